//! Versions, result strings, and the server's life: new, listen (or adopt-only),
//! adopted connections, stop, free.

use crate::boundary::*;
use crate::event::{OwnedEvent, SIO_EV_STOPPED};
use crate::result::*;
use crate::server::*;
use std::ffi::c_char;
use std::net::ToSocketAddrs;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;

/// `(SIO_ABI_MAJOR << 16) | SIO_ABI_MINOR` of the loaded library. Hosts check
/// `sio_abi_version() >> 16 == SIO_ABI_MAJOR` at load time. Any thread.
#[no_mangle]
pub extern "C" fn sio_abi_version() -> u32 {
    (crate::SIO_ABI_MAJOR << 16) | crate::SIO_ABI_MINOR
}

/// The library version (e.g. "0.1.0"): a static NUL-terminated string, never freed.
/// Any thread.
#[no_mangle]
pub extern "C" fn sio_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A static NUL-terminated description of `code` (never freed; unknown codes read
/// "invalid parameter"). Any thread.
#[no_mangle]
pub extern "C" fn sio_result_str(code: sio_result) -> *const c_char {
    ffi_boundary!(default = describe_ptr(SIO_E_PANIC), { describe_ptr(code) })
}

/// Create a server with the 0.9 defaults and the main namespace (id 0) into `*out`.
/// Free it with `sio_server_free`. Host thread.
/// Errors: `SIO_E_INVALID_PARAM` (NULL `out`), `SIO_E_SYS_BASE|errno` (no eventfd).
///
/// # Safety
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sio_server_new(out: *mut *mut sio_server) -> sio_result {
    ffi_boundary!({
        non_null!(out);
        match sio_server::new() {
            Ok(s) => {
                // SAFETY: `out` is valid (checked non-NULL; caller's contract).
                unsafe { *out = Box::into_raw(Box::new(s)) };
                SIO_OK
            }
            Err(e) => from_io(&e),
        }
    })
}

/// Copy the message of the last failed call on `srv` (NUL-terminated) into `buf`
/// (`len` bytes, caller-owned); `*out_n` = its length without the NUL. When `buf` is
/// too small: `SIO_E_BUFFER_TOO_SMALL` and `*out_n` = the size needed. Host thread.
///
/// # Safety
/// `srv` from `sio_server_new`; `buf` writable for `len` bytes; `out_n` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_last_error_message(
    srv: *const sio_server,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        let msg = lock(&s.last_error).clone();
        // SAFETY: caller's contract.
        unsafe { write_text(&msg, buf, len, out_n) }
    })
}

/// Start the shards listening on `addr` ("127.0.0.1:3000"; port 0 picks one, see
/// `sio_server_local_port`), or, with `addr` NULL, without a listener (adopt-only:
/// connections come from `sio_server_adopt_connection`). Configuration ends here.
/// Host thread. Errors: `SIO_E_STATE` (already started), `SIO_E_STOPPED`,
/// `SIO_E_INVALID_PARAM` (bad address), `SIO_E_CONFIG` (`tls cert` / `tls key`: one
/// without the other, or a file unreadable or without a valid PEM certificate chain /
/// private key; the message names the option and the file), `SIO_E_IO` /
/// `SIO_E_SYS_BASE|errno` (bind); after any of these the server is unusable: later
/// calls return `SIO_E_STOPPED`. With `tls cert` and `tls key` every connection on the
/// listener is TLS (https, wss); adopted connections are TLS only when adopted with
/// `SIO_ADOPT_TLS` (`sio_server_adopt_connection_with`).
///
/// # Safety
/// `srv` from `sio_server_new`; `addr` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sio_server_listen(
    srv: *mut sio_server,
    addr: *const c_char,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        // SAFETY: caller's contract.
        let addr = tri!(unsafe { opt_cstr(addr) });
        let addr = match addr {
            None => None,
            Some(a) => match a.to_socket_addrs().map(|mut i| i.next()) {
                Ok(Some(a)) => Some(a),
                _ => return s.fail(SIO_E_INVALID_PARAM, format!("bad listen address {a:?}")),
            },
        };
        tri!(s.configure(|_| Ok(())));
        let Some(b) = lock(&s.builder).take() else {
            return s.fail(SIO_E_STATE, "the server has already started");
        };
        let started = match addr {
            Some(a) => b.server.listen(a),
            None => b.server.start_adopt_only(),
        };
        match started {
            Ok(h) => {
                let running = Running {
                    embed: h.embed(),
                    port: h.local_addr().port(),
                };
                let _ = s.running.set(running);
                *lock(&s.handle) = Some(h);
                SIO_OK
            }
            Err(e) => {
                s.stopped.store(true, Ordering::Release);
                let code = match (e.kind(), e.raw_os_error()) {
                    // The core's TLS settings check (`tls cert` / `tls key`).
                    (std::io::ErrorKind::InvalidInput, None) => SIO_E_CONFIG,
                    _ => from_io(&e),
                };
                s.fail(code, format!("cannot start: {e}"))
            }
        }
    })
}

/// The port the server listens on (0 in adopt-only mode) into `*out`. Host thread.
/// Errors: `SIO_E_STATE` before `sio_server_listen`.
///
/// # Safety
/// `srv` from `sio_server_new`; `out` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_server_local_port(
    srv: *const sio_server,
    out: *mut u16,
) -> sio_result {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        let Some(r) = s.running.get() else {
            return SIO_E_STATE;
        };
        // SAFETY: checked non-NULL; caller's contract.
        unsafe { *out = r.port };
        SIO_OK
    })
}

/// Serve TCP connection `fd`, accepted by the host, exactly like one the server
/// accepted, starting with `bytes` (`len` bytes the host already read: a request head,
/// and body if any; copied). Takes ownership of `fd` in every case (closed on error).
/// ANY THREAD after start. Errors: `SIO_E_STATE`, `SIO_E_STOPPED`,
/// `SIO_E_INVALID_PARAM` (fd < 0), `SIO_E_SYS_BASE|errno` (not a connected TCP socket).
///
/// # Safety
/// `srv` from `sio_server_new`; `fd` an open descriptor the host gives up;
/// `bytes` readable for `len` bytes (NULL when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn sio_server_adopt_connection(
    srv: *mut sio_server,
    fd: i32,
    bytes: *const u8,
    len: usize,
) -> sio_result {
    ffi_boundary!({
        if fd < 0 {
            return SIO_E_INVALID_PARAM;
        }
        // SAFETY: the host hands over an open descriptor it no longer uses.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        // SAFETY: caller's contract.
        let initial = tri!(unsafe { crate::server::bytes(bytes.cast(), len) }).to_vec();
        let r = tri!(s.running());
        match r.embed.adopt_connection(owned, initial) {
            Ok(()) => SIO_OK,
            Err(e) => s.fail(from_io(&e), format!("cannot adopt the connection: {e}")),
        }
    })
}

/// Flag for `sio_server_adopt_connection_with`: the connection carries TLS records (the
/// host accepted it on an https port and read nothing, or only ciphertext, from it). The
/// library terminates TLS with its `tls cert` / `tls key` (set before start; the PEM text
/// itself may be given instead of a path). A request that is the host's is handed back
/// (`SIO_EV_HANDBACK`) as the decrypted stream: a Unix socket, TLS staying with the library.
pub const SIO_ADOPT_TLS: u32 = 1;

/// Flag for `sio_server_adopt_connection_with`: the connection is plaintext, but the
/// client reached the host over TLS (a stream the host decrypted, or one the library
/// handed back after `SIO_ADOPT_TLS`): handshakes report `secure: true`, the hixie
/// `Location` is `wss://`.
pub const SIO_ADOPT_SECURE: u32 = 2;

/// `sio_server_adopt_connection` with `flags` (`SIO_ADOPT_TLS`, `SIO_ADOPT_SECURE`; not
/// both) and `peer`, the client's address as `ip:port` (`[v6]:port`) text for a
/// descriptor that is not the client's TCP socket (a Unix socket the library handed back,
/// whose `SIO_EV_HANDBACK` event named the client), or NULL to ask the socket. Takes
/// ownership of `fd` in every case (closed on error). ANY THREAD after start. Errors:
/// `SIO_E_INVALID_PARAM` (fd < 0, unknown or conflicting flags, `peer` not an address),
/// `SIO_E_CONFIG` (`SIO_ADOPT_TLS` without `tls cert` / `tls key`), `SIO_E_STATE`,
/// `SIO_E_STOPPED`, `SIO_E_SYS_BASE|errno` (no `peer` and not a connected TCP socket).
///
/// # Safety
/// As `sio_server_adopt_connection`; `peer` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sio_server_adopt_connection_with(
    srv: *mut sio_server,
    fd: i32,
    bytes: *const u8,
    len: usize,
    flags: u32,
    peer: *const c_char,
) -> sio_result {
    ffi_boundary!({
        if fd < 0 {
            return SIO_E_INVALID_PARAM;
        }
        // SAFETY: the host hands over an open descriptor it no longer uses.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        if flags & !(SIO_ADOPT_TLS | SIO_ADOPT_SECURE) != 0
            || flags == SIO_ADOPT_TLS | SIO_ADOPT_SECURE
        {
            return s.fail(
                SIO_E_INVALID_PARAM,
                format!("unknown adopt flags {flags:#x}"),
            );
        }
        // SAFETY: caller's contract.
        let peer = match tri!(unsafe { opt_cstr(peer) }) {
            None => None,
            Some(text) => match text.parse::<std::net::SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    return s.fail(
                        SIO_E_INVALID_PARAM,
                        format!("peer {text:?} is not an ip:port address"),
                    )
                }
            },
        };
        // SAFETY: caller's contract.
        let initial = tri!(unsafe { crate::server::bytes(bytes.cast(), len) }).to_vec();
        let r = tri!(s.running());
        let how = sio09_core::server::Adopt {
            tls: flags & SIO_ADOPT_TLS != 0,
            secure: flags & SIO_ADOPT_SECURE != 0,
            peer,
        };
        match r.embed.adopt(owned, initial, &how) {
            Ok(()) => SIO_OK,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput && how.tls => {
                s.fail(SIO_E_CONFIG, format!("cannot adopt the connection: {e}"))
            }
            Err(e) => s.fail(from_io(&e), format!("cannot adopt the connection: {e}")),
        }
    })
}

/// Stop: close the listeners, end every session (`server shutdown`), join the shard
/// threads, then queue `SIO_EV_STOPPED`. Idempotent; events stay drainable. The shards
/// give writers a fixed 200 ms to flush; `grace_ms` is accepted for the future. ANY
/// THREAD (blocks until the shards have stopped). Commands return `SIO_E_STOPPED` after.
///
/// # Safety
/// `srv` from `sio_server_new`.
#[no_mangle]
pub unsafe extern "C" fn sio_server_stop(srv: *mut sio_server, grace_ms: u32) -> sio_result {
    let _ = grace_ms;
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        stop(s);
        SIO_OK
    })
}

pub(crate) fn stop(s: &sio_server) {
    if s.stopped.swap(true, Ordering::AcqRel) {
        return;
    }
    lock(&s.builder).take();
    if let Some(r) = s.running.get() {
        r.embed.shutdown();
    }
    let handle = lock(&s.handle).take();
    if let Some(h) = handle {
        h.wait();
    }
    lock(&s.shared.auth).clear();
    s.shared.push(OwnedEvent {
        kind: SIO_EV_STOPPED,
        ..Default::default()
    });
}

/// Stop (if needed) and destroy the server: no callback fires after this and the event
/// fd is closed; event views become invalid. NULL is a no-op. Host thread.
/// Errors: `SIO_E_BUSY` inside an event callback (the server stays alive).
///
/// # Safety
/// `srv` NULL or from `sio_server_new`, not used again after `SIO_OK`.
#[no_mangle]
pub unsafe extern "C" fn sio_server_free(srv: *mut sio_server) -> sio_result {
    ffi_boundary!({
        if srv.is_null() {
            return SIO_OK;
        }
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        if s.in_callback.load(Ordering::Acquire) {
            return SIO_E_BUSY;
        }
        stop(s);
        // SAFETY: from `Box::into_raw` in `sio_server_new`; the host gives it up.
        drop(unsafe { Box::from_raw(srv) });
        SIO_OK
    })
}

/// Connection hand-back for connections adopted with `sio_server_adopt_connection`
/// (never those the library accepted on its own listener). With `enabled` != 0, a
/// request on such a connection whose target is outside the resource, or whose path
/// (query stripped) equals one of `paths` (`n_paths` full paths such as
/// `/socket.io/random.js`: files the host serves itself; an entry ending in `*` is a
/// prefix, `/socket.io/socket.io+*` covering every such path), is not answered by the
/// library: at that request, i.e. between requests (never while a response or a long
/// poll is pending on the connection), the library stops using the connection and
/// queues `SIO_EV_HANDBACK` (`id` = a descriptor the host then owns, `data` = the bytes
/// read and not consumed: the request head and any body bytes so far; see the event).
/// Upgrade requests outside the resource are handed back too. While the server stops,
/// such a connection is closed instead. `enabled` = 0 turns hand-back off (`paths`
/// ignored). The strings are copied. Host thread, before or after start (after start:
/// from the next request of every adopted connection).
/// Errors: `SIO_E_INVALID_PARAM` (`paths` NULL with `n_paths` > 0, a path NULL or not
/// UTF-8), `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `paths` NULL or an array of `n_paths` NUL-terminated
/// strings.
#[no_mangle]
pub unsafe extern "C" fn sio_server_set_handback(
    srv: *mut sio_server,
    enabled: std::ffi::c_int,
    paths: *const *const c_char,
    n_paths: usize,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        let handback = if enabled != 0 {
            let mut list = Vec::with_capacity(n_paths);
            if n_paths > 0 {
                non_null!(paths);
            }
            for i in 0..n_paths {
                // SAFETY: `paths` holds `n_paths` pointers (caller's contract).
                let p = tri!(unsafe { cstr(*paths.add(i)) });
                list.push(p.to_owned());
            }
            Some(sio09_core::server::Handback { paths: list })
        } else {
            None
        };
        if s.stopped.load(Ordering::Acquire) {
            return SIO_E_STOPPED;
        }
        {
            let mut b = lock(&s.builder);
            if let Some(b) = b.as_mut() {
                b.server.handback(handback);
                return SIO_OK;
            }
        }
        let r = tri!(s.running());
        r.embed.set_handback(handback);
        SIO_OK
    })
}
