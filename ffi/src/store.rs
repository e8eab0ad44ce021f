//! Per-client data (`socket.set/get/has/del`, shared by the session's namespaces):
//! results arrive as `SIO_EV_STORE` events carrying the host's token.

use crate::boundary::*;
use crate::commands::on_socket;
use crate::event::{OwnedEvent, SIO_EV_STORE};
use crate::result::*;
use crate::server::*;
use sio09_core::protocol::json::to_js_json;
use sio09_core::store::StoreError;
use sio09_core::{Socket, Value};
use std::ffi::c_char;
use std::sync::Arc;

fn result_json<T>(r: Result<T, StoreError>, ok: impl FnOnce(T) -> Value) -> Vec<u8> {
    let v = match r {
        Ok(t) => ok(t),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    to_js_json(&v).into_bytes()
}

fn done(shared: &Arc<Shared>, sock: &Socket, socket: u64, token: u64, op: &str, data: Vec<u8>) {
    shared.push(OwnedEvent {
        kind: SIO_EV_STORE,
        nsp: sock.namespace_index() as u32,
        socket,
        id: token,
        sid: sock.id().to_owned(),
        name: op.to_owned(),
        data,
        ..Default::default()
    });
}

/// `socket.set(key, value)`: store `value_json` (`len` bytes, one JSON value) under
/// `key`; then `SIO_EV_STORE` (`name` "set", `data` `true` or `{"error":…}`, `id` =
/// `token`). ANY THREAD. Errors: `SIO_E_NOT_FOUND`, `SIO_E_INVALID_PARAM`,
/// `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated; `value_json` readable for `len`.
#[no_mangle]
pub unsafe extern "C" fn sio_client_set(
    srv: *mut sio_server,
    socket: u64,
    key: *const c_char,
    value_json: *const c_char,
    len: usize,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key, v) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?, text(value_json, len)?))
        })());
        let Ok(value) = sio09_core::protocol::json::parse(v) else {
            return SIO_E_INVALID_PARAM;
        };
        let (key, sh) = (key.to_owned(), s.shared.clone());
        on_socket(s, socket, move |sock| {
            let s2 = sock.clone();
            sock.set(&key, value, move |r| {
                done(
                    &sh,
                    &s2,
                    socket,
                    token,
                    "set",
                    result_json(r, |_| Value::Bool(true)),
                )
            })
        })
    })
}

/// `socket.get(key)`: then `SIO_EV_STORE` (`name` "get", `data` the value or `null`, or
/// `{"error":…}`). ANY THREAD. Errors as `sio_client_set`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_client_get(
    srv: *mut sio_server,
    socket: u64,
    key: *const c_char,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        let (key, sh) = (key.to_owned(), s.shared.clone());
        on_socket(s, socket, move |sock| {
            let s2 = sock.clone();
            sock.get(&key, move |r| {
                let data = result_json(r, |v| v.unwrap_or(Value::Null));
                done(&sh, &s2, socket, token, "get", data)
            })
        })
    })
}

/// `socket.has(key)`: then `SIO_EV_STORE` (`name` "has", `data` `true`/`false`, or
/// `{"error":…}`). ANY THREAD. Errors as `sio_client_set`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_client_has(
    srv: *mut sio_server,
    socket: u64,
    key: *const c_char,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        let (key, sh) = (key.to_owned(), s.shared.clone());
        on_socket(s, socket, move |sock| {
            let s2 = sock.clone();
            sock.has(&key, move |r| {
                done(&sh, &s2, socket, token, "has", result_json(r, Value::Bool))
            })
        })
    })
}

/// `socket.del(key)`: then `SIO_EV_STORE` (`name` "del", `data` `true` or
/// `{"error":…}`). ANY THREAD. Errors as `sio_client_set`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_client_del(
    srv: *mut sio_server,
    socket: u64,
    key: *const c_char,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        let (key, sh) = (key.to_owned(), s.shared.clone());
        on_socket(s, socket, move |sock| {
            let s2 = sock.clone();
            sock.del(&key, move |r| {
                done(
                    &sh,
                    &s2,
                    socket,
                    token,
                    "del",
                    result_json(r, |_| Value::Bool(true)),
                )
            })
        })
    })
}
