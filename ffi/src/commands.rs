//! Commands on one socket (ANY THREAD after start): they copy their inputs and run on
//! the shard that owns the socket.

use crate::boundary::*;
use crate::event::{OwnedEvent, SIO_EV_ACK};
use crate::result::*;
use crate::server::*;
use sio09_core::Socket;
use std::ffi::c_char;

/// Volatile: dropped unless the transport can write now (0.9 `volatile`).
pub const SIO_F_VOLATILE: u32 = 1;

/// Check that `json` is a JSON array (event and ack arguments).
pub(crate) fn json_array(json: &str) -> Result<(), sio_result> {
    serde_json::from_str::<Vec<serde::de::IgnoredAny>>(json)
        .map(|_| ())
        .map_err(|_| SIO_E_INVALID_PARAM)
}

/// Check that `json` is one JSON value.
pub(crate) fn json_value(json: &str) -> Result<(), sio_result> {
    serde_json::from_str::<serde::de::IgnoredAny>(json)
        .map(|_| ())
        .map_err(|_| SIO_E_INVALID_PARAM)
}

/// Run `f` with socket `id` on its shard (dropped silently when it is gone by then).
pub(crate) fn on_socket(
    s: &sio_server,
    id: u64,
    f: impl FnOnce(&Socket) + Send + 'static,
) -> sio_result {
    let r = tri!(s.running());
    let (sid, nsp) = tri!(s.socket(id));
    if r.embed.with_socket(&sid, nsp as usize, move |sock| {
        if let Some(sock) = sock {
            f(&sock)
        }
    }) {
        SIO_OK
    } else {
        SIO_E_STOPPED
    }
}

/// Emit event `name` (`name_len` bytes) with `args_json` (`len` bytes, a JSON array) to
/// socket `socket`; `flags`: `SIO_F_VOLATILE`. Inputs are copied. ANY THREAD.
/// Errors: `SIO_E_NOT_FOUND` (socket gone), `SIO_E_INVALID_PARAM` (not UTF-8 / not an
/// array), `SIO_E_STATE` (not started), `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; buffers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn sio_emit(
    srv: *mut sio_server,
    socket: u64,
    name: *const c_char,
    name_len: usize,
    args_json: *const c_char,
    len: usize,
    flags: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, name, args) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, text(name, name_len)?, text(args_json, len)?))
        })());
        tri!(json_array(args));
        let (name, args) = (name.to_owned(), args.to_owned());
        let volatile = flags & SIO_F_VOLATILE != 0;
        on_socket(s, socket, move |sock| {
            sock.emit_raw_flags(&name, &args, volatile)
        })
    })
}

/// Send message `text` (`3:::text`) to socket `socket`; `flags`: `SIO_F_VOLATILE`.
/// ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `msg` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sio_send(
    srv: *mut sio_server,
    socket: u64,
    msg: *const c_char,
    len: usize,
    flags: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, t) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, text(msg, len)?))
        })());
        let t = t.to_owned();
        let volatile = flags & SIO_F_VOLATILE != 0;
        on_socket(s, socket, move |sock| sock.send_flags(&t, volatile))
    })
}

/// Send a JSON message (`4:::json`; `json` one JSON value) to socket `socket`; `flags`:
/// `SIO_F_VOLATILE`. ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `json` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sio_json(
    srv: *mut sio_server,
    socket: u64,
    json: *const c_char,
    len: usize,
    flags: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, j) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, text(json, len)?))
        })());
        tri!(json_value(j));
        let j = j.to_owned();
        let volatile = flags & SIO_F_VOLATILE != 0;
        on_socket(s, socket, move |sock| sock.json_raw(&j, volatile))
    })
}

/// Emit event `name` asking for the client's answer (always the `+` form, Q-31); the
/// answer arrives as `SIO_EV_ACK` with `id` = `token` and `data` = its JSON array.
/// ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; buffers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn sio_emit_with_ack(
    srv: *mut sio_server,
    socket: u64,
    name: *const c_char,
    name_len: usize,
    args_json: *const c_char,
    len: usize,
    token: u64,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, name, args) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, text(name, name_len)?, text(args_json, len)?))
        })());
        tri!(json_array(args));
        let (name, args) = (name.to_owned(), args.to_owned());
        let shared = s.shared.clone();
        on_socket(s, socket, move |sock| {
            sock.emit_raw_with_ack(&name, &args, move |sock, reply| {
                shared.push(OwnedEvent {
                    kind: SIO_EV_ACK,
                    nsp: sock.namespace_index() as u32,
                    socket,
                    id: token,
                    sid: sock.id().to_owned(),
                    data: reply.raw().as_bytes().to_vec(),
                    ..Default::default()
                });
            })
        })
    })
}

fn ack_event(
    shared: &std::sync::Arc<crate::server::Shared>,
    socket: u64,
    token: u64,
    sock: &Socket,
    reply: sio09_core::Args,
) {
    shared.push(OwnedEvent {
        kind: SIO_EV_ACK,
        nsp: sock.namespace_index() as u32,
        socket,
        id: token,
        sid: sock.id().to_owned(),
        data: reply.raw().as_bytes().to_vec(),
        ..Default::default()
    });
}

/// Send a message asking for the client's automatic ack (`3:N::text`, 0.9's
/// `socket.send(text, fn)`); the ack arrives as `SIO_EV_ACK` with `id` = `token` and `data`
/// = `[]`. ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `text` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sio_send_with_ack(
    srv: *mut sio_server,
    socket: u64,
    text_ptr: *const c_char,
    len: usize,
    token: u64,
) -> sio_result {
    // SAFETY: caller's contract, passed on.
    ffi_boundary!({ unsafe { message_with_ack(srv, socket, text_ptr, len, token, false) } })
}

/// Send a JSON message asking for the client's automatic ack (`4:N::json`, 0.9's
/// `socket.json.send(data, fn)`; `json` one JSON value); the ack arrives as `SIO_EV_ACK`
/// with `id` = `token`. ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `json` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sio_json_with_ack(
    srv: *mut sio_server,
    socket: u64,
    json: *const c_char,
    len: usize,
    token: u64,
) -> sio_result {
    // SAFETY: caller's contract, passed on.
    ffi_boundary!({ unsafe { message_with_ack(srv, socket, json, len, token, true) } })
}

/// The body of `sio_send_with_ack` (`json` false: a `3` packet) and `sio_json_with_ack`
/// (`json` true: a `4` packet, `data` checked to be one JSON value).
///
/// # Safety
/// `srv` from `sio_server_new`; `data` readable for `len` bytes.
unsafe fn message_with_ack(
    srv: *mut sio_server,
    socket: u64,
    data: *const c_char,
    len: usize,
    token: u64,
    json: bool,
) -> sio_result {
    // SAFETY: caller's contract.
    let (s, d) = tri!((|| unsafe {
        Ok::<_, sio_result>((server(srv)?, text(data, len)?))
    })());
    if json {
        tri!(json_value(d));
    }
    let d = d.to_owned();
    let shared = s.shared.clone();
    on_socket(s, socket, move |sock| {
        let done = move |sock: &Socket, reply| ack_event(&shared, socket, token, sock, reply);
        if json {
            sock.json_raw_with_ack(&d, done)
        } else {
            sock.send_with_ack(&d, done)
        }
    })
}

/// Answer the client's data ack `ack_id` (the `id` of an EVENT/MESSAGE/JSON event) with
/// `args_json` (a JSON array; `[]` sends `6:::id`). ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `args_json` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sio_ack(
    srv: *mut sio_server,
    socket: u64,
    ack_id: u64,
    args_json: *const c_char,
    len: usize,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, args) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, text(args_json, len)?))
        })());
        let args = if args.trim().is_empty() { "[]" } else { args };
        tri!(json_array(args));
        let args = args.to_owned();
        on_socket(s, socket, move |sock| sock.ack(ack_id).send_raw(&args))
    })
}

/// Join room `room` (NUL-terminated) of the socket's namespace. ANY THREAD.
/// Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `room` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_join(
    srv: *mut sio_server,
    socket: u64,
    room: *const c_char,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, room) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(room)?))
        })());
        let room = room.to_owned();
        on_socket(s, socket, move |sock| sock.join(&room))
    })
}

/// Leave room `room` of the socket's namespace. ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`; `room` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_leave(
    srv: *mut sio_server,
    socket: u64,
    room: *const c_char,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, room) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(room)?))
        })());
        let room = room.to_owned();
        on_socket(s, socket, move |sock| sock.leave(&room))
    })
}

/// `socket.disconnect()`: the whole session for the main namespace, only this namespace
/// otherwise; a DISCONNECT event (`booted`) follows. ANY THREAD. Errors as `sio_emit`.
///
/// # Safety
/// `srv` from `sio_server_new`.
#[no_mangle]
pub unsafe extern "C" fn sio_disconnect(srv: *mut sio_server, socket: u64) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        on_socket(s, socket, |sock| sock.disconnect())
    })
}
