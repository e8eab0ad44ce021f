//! The panic boundary and argument checks every `extern "C"` entry point goes through
//! (C-ABI.md §3, §10).

/// Run the body of an `extern "C"` function; a panic becomes `SIO_E_PANIC` (or the given
/// default for functions that return something else) instead of crossing into C.
macro_rules! ffi_boundary {
    ($body:block) => {
        ffi_boundary!(default = $crate::result::SIO_E_PANIC, $body)
    };
    (default = $default:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $default,
        }
    };
}

/// Return `SIO_E_INVALID_PARAM` from the enclosing function when a pointer is NULL.
/// (No `debug_assert!` as in hyper: a NULL gives the same code in debug and release
/// builds, which the host tests rely on.)
macro_rules! non_null {
    ($($p:expr),+) => {
        $(
            if $p.is_null() {
                return $crate::result::SIO_E_INVALID_PARAM;
            }
        )+
    };
}

/// Evaluate a `Result<T, sio_result>`; on `Err` return the code.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return code,
        }
    };
}

pub(crate) use {ffi_boundary, non_null, tri};
