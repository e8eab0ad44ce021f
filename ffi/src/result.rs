//! Result codes (`sio_result`, C-ABI.md §2) and their static descriptions.

use std::ffi::c_char;

/// The status every fallible call returns: `SIO_OK` (0) or one of the `SIO_E_*` codes;
/// wrapped OS errors are `SIO_E_SYS_BASE | errno`.
#[allow(non_camel_case_types)]
pub type sio_result = u32;

/// Success.
pub const SIO_OK: sio_result = 0;
/// A NULL pointer, an unknown key, text that is not UTF-8 or not the JSON expected.
pub const SIO_E_INVALID_PARAM: sio_result = 1;
/// The socket id, namespace or request is unknown or gone.
pub const SIO_E_NOT_FOUND: sio_result = 2;
/// Not allowed from inside an event callback (`sio_server_free`, polling).
pub const SIO_E_BUSY: sio_result = 3;
/// A panic inside the library was caught at the boundary.
pub const SIO_E_PANIC: sio_result = 4;
/// An I/O error (bind, adopt); see `sio_last_error_message`.
pub const SIO_E_IO: sio_result = 5;
/// An option value was refused; see `sio_last_error_message`.
pub const SIO_E_CONFIG: sio_result = 6;
/// The call is not valid in this state (e.g. configuring after start, commands before).
pub const SIO_E_STATE: sio_result = 7;
/// The server was stopped.
pub const SIO_E_STOPPED: sio_result = 8;
/// The output buffer is too small; the size needed is written to the `out_n` argument.
pub const SIO_E_BUFFER_TOO_SMALL: sio_result = 9;
/// Not supported by this build.
pub const SIO_E_UNSUPPORTED: sio_result = 10;
/// Base of wrapped OS errors: `SIO_E_SYS_BASE | errno`.
pub const SIO_E_SYS_BASE: sio_result = 0x10000;

/// The static, NUL-terminated description of `code` (unknown codes read as
/// "invalid parameter").
pub(crate) fn describe(code: sio_result) -> &'static [u8] {
    match code {
        SIO_OK => b"ok\0",
        SIO_E_NOT_FOUND => b"not found\0",
        SIO_E_BUSY => b"busy (called from inside an event callback)\0",
        SIO_E_PANIC => b"internal panic caught at the ABI boundary\0",
        SIO_E_IO => b"I/O error\0",
        SIO_E_CONFIG => b"invalid configuration\0",
        SIO_E_STATE => b"not valid in the server's current state\0",
        SIO_E_STOPPED => b"server stopped\0",
        SIO_E_BUFFER_TOO_SMALL => b"buffer too small\0",
        SIO_E_UNSUPPORTED => b"unsupported\0",
        c if c & SIO_E_SYS_BASE != 0 && c < 2 * SIO_E_SYS_BASE => b"operating system error\0",
        _ => b"invalid parameter\0",
    }
}

/// The description as a C string pointer.
pub(crate) fn describe_ptr(code: sio_result) -> *const c_char {
    describe(code).as_ptr().cast()
}

/// `SIO_E_SYS_BASE | errno` for an I/O error with an OS code, else `SIO_E_IO`.
pub(crate) fn from_io(e: &std::io::Error) -> sio_result {
    match e.raw_os_error() {
        Some(n) if (0..0x10000).contains(&n) => SIO_E_SYS_BASE | n as u32,
        _ => SIO_E_IO,
    }
}
