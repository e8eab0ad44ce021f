//! Sessions addressed by id, wherever they live (0.9's `io.sockets.socket(id)` for a socket
//! the host has no socket id for: on another shard, or on another node of a Redis
//! cluster): emit with an ack, per-client data. Plain emits, joins, leaves and
//! disconnects by id are in rooms.rs (`sio_emit_to_sid`, `sio_join_sid`, …).

use crate::boundary::*;
use crate::commands::{json_array, json_value};
use crate::event::{OwnedEvent, SIO_EV_ACK, SIO_EV_STORE};
use crate::result::*;
use crate::rooms::{SIO_PK_EVENT, SIO_PK_JSON, SIO_PK_MESSAGE};
use crate::server::*;
use sio09_core::protocol::json::to_js_json;
use sio09_core::{Socket, Value};
use std::ffi::c_char;
use std::sync::Arc;

/// `sio_client_op_sid`: `set` (store `value_json`).
pub const SIO_CLIENT_SET: u32 = 0;
/// `sio_client_op_sid`: `get`.
pub const SIO_CLIENT_GET: u32 = 1;
/// `sio_client_op_sid`: `has`.
pub const SIO_CLIENT_HAS: u32 = 2;
/// `sio_client_op_sid`: `del`.
pub const SIO_CLIENT_DEL: u32 = 3;

/// The session id of a by-id call, or why not.
fn target(s: &sio_server, sid: *const c_char) -> Result<String, sio_result> {
    // SAFETY: the callers' contract: `sid` NULL or NUL-terminated.
    let sid = unsafe { cstr(sid) }?;
    if sid.is_empty() || sid.len() > 64 {
        return Err(s.fail(SIO_E_INVALID_PARAM, format!("{sid:?} is not a session id")));
    }
    Ok(sid.to_owned())
}

/// Send session `sid` (on namespace `nsp`) a packet that asks for its ack, wherever the
/// session lives: `packet` `SIO_PK_EVENT` (`name`, `data` a JSON array: `5:N+`),
/// `SIO_PK_MESSAGE` (`data` the text: `3:N`) or `SIO_PK_JSON` (`data` one JSON value:
/// `4:N`). The client's answer arrives as `SIO_EV_ACK` with `id` = `token`, `socket` 0
/// and `sid` = `sid`. On another node of a cluster this needs an sio09 node there (0.9.19
/// nodes do not route acks); no event comes when the session is gone. Inputs are copied.
/// ANY THREAD. Errors: `SIO_E_NOT_FOUND` (namespace), `SIO_E_INVALID_PARAM` (bad id, kind
/// or JSON), `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` NUL-terminated; `name`/`data` readable for their
/// lengths (`name` may be NULL unless EVENT).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sio_emit_to_sid_with_ack(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
    packet: u32,
    name: *const c_char,
    name_len: usize,
    data: *const c_char,
    len: usize,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, name, data) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, text(name, name_len)?, text(data, len)?))
        })());
        let sid = tri!(target(s, sid));
        let r = tri!(s.running());
        if r.embed.namespace_name(nsp as usize).is_none() {
            return SIO_E_NOT_FOUND;
        }
        match packet {
            SIO_PK_EVENT => tri!(json_array(data)),
            SIO_PK_JSON => tri!(json_value(data)),
            SIO_PK_MESSAGE => {}
            _ => return SIO_E_INVALID_PARAM,
        }
        let (name, data, shared) = (name.to_owned(), data.to_owned(), s.shared.clone());
        let ok = r.embed.with_peer(&sid, nsp as usize, move |sock| {
            let done = move |sock: &Socket, reply: sio09_core::Args| {
                shared.push(OwnedEvent {
                    kind: SIO_EV_ACK,
                    nsp: sock.namespace_index() as u32,
                    socket: 0,
                    id: token,
                    sid: sock.id().to_owned(),
                    data: reply.raw().as_bytes().to_vec(),
                    ..Default::default()
                });
            };
            match packet {
                SIO_PK_EVENT => sock.emit_raw_with_ack(&name, &data, done),
                SIO_PK_MESSAGE => sock.send_with_ack(&data, done),
                _ => sock.json_raw_with_ack(&data, done),
            }
        });
        if ok {
            SIO_OK
        } else {
            SIO_E_INVALID_PARAM
        }
    })
}

fn store_done(shared: &Arc<Shared>, sid: &str, token: u64, op: &str, v: Value) {
    shared.push(OwnedEvent {
        kind: SIO_EV_STORE,
        socket: 0,
        id: token,
        sid: sid.to_owned(),
        name: op.to_owned(),
        data: to_js_json(&v).into_bytes(),
        ..Default::default()
    });
}

fn error_value(e: impl std::fmt::Display) -> Value {
    serde_json::json!({ "error": e.to_string() })
}

/// Per-client data of session `sid` by id (`socket.set/get/has/del` on 0.9's
/// `io.sockets.socket(id)`), wherever the session lives (the store is shared in a
/// cluster): `op` `SIO_CLIENT_SET` (`value_json`, `len` bytes: one JSON value),
/// `SIO_CLIENT_GET`, `SIO_CLIENT_HAS` or `SIO_CLIENT_DEL` (`value_json` unused, may be
/// NULL). The result arrives as `SIO_EV_STORE` as for `sio_client_set` etc. (`socket` 0,
/// `sid` = `sid`, `id` = `token`). ANY THREAD. Errors: `SIO_E_INVALID_PARAM` (bad id, op
/// or JSON), `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid`, `key` NUL-terminated; `value_json` readable for
/// `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sio_client_op_sid(
    srv: *mut sio_server,
    sid: *const c_char,
    op: u32,
    key: *const c_char,
    value_json: *const c_char,
    len: usize,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        let sid = tri!(target(s, sid));
        let value = if op == SIO_CLIENT_SET {
            // SAFETY: caller's contract.
            let v = tri!(unsafe { text(value_json, len) });
            let Ok(v) = sio09_core::protocol::json::parse(v) else {
                return SIO_E_INVALID_PARAM;
            };
            Some(v)
        } else if op > SIO_CLIENT_DEL {
            return SIO_E_INVALID_PARAM;
        } else {
            None
        };
        let r = tri!(s.running());
        let (key, sh) = (key.to_owned(), s.shared.clone());
        let ok = r.embed.with_peer(&sid, 0, move |sock| {
            let id = sock.id().to_owned();
            match (op, value) {
                (SIO_CLIENT_SET, Some(v)) => sock.set(&key, v, move |r| {
                    let v = r.map_or_else(error_value, |_| Value::Bool(true));
                    store_done(&sh, &id, token, "set", v)
                }),
                (SIO_CLIENT_GET, _) => sock.get(&key, move |r| {
                    let v = r.map_or_else(error_value, |v| v.unwrap_or(Value::Null));
                    store_done(&sh, &id, token, "get", v)
                }),
                (SIO_CLIENT_HAS, _) => sock.has(&key, move |r| {
                    let v = r.map_or_else(error_value, Value::Bool);
                    store_done(&sh, &id, token, "has", v)
                }),
                _ => sock.del(&key, move |r| {
                    let v = r.map_or_else(error_value, |_| Value::Bool(true));
                    store_done(&sh, &id, token, "del", v)
                }),
            }
        });
        if ok {
            SIO_OK
        } else {
            SIO_E_INVALID_PARAM
        }
    })
}
