//! Namespace-wide operations: broadcasts (room, except list, packet kind), the client
//! list, and session id → socket id lookups.

use crate::boundary::*;
use crate::commands::{json_array, json_value, SIO_F_VOLATILE};
use crate::result::*;
use crate::server::*;
use std::ffi::c_char;

/// Broadcast packet kind: a message (`3`).
pub const SIO_PK_MESSAGE: u32 = 3;
/// Broadcast packet kind: a JSON message (`4`).
pub const SIO_PK_JSON: u32 = 4;
/// Broadcast packet kind: an event (`5`).
pub const SIO_PK_EVENT: u32 = 5;

/// Broadcast to namespace `nsp` (or its room `room`; NULL or "" = the whole
/// namespace), except the `n_except` sockets in `except` (ids already gone are ignored):
/// `packet` `SIO_PK_EVENT` (`name` + `data` a JSON array), `SIO_PK_MESSAGE` (`data`
/// text) or `SIO_PK_JSON` (`data` a JSON value); `flags`: `SIO_F_VOLATILE`. Reaches every
/// shard and, with a shared store, the other nodes. Inputs are copied. ANY THREAD.
/// Errors: `SIO_E_NOT_FOUND` (namespace), `SIO_E_INVALID_PARAM`, `SIO_E_STATE`,
/// `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `room` NULL or NUL-terminated; `except` readable for
/// `n_except` ids; `name`/`data` readable for their lengths (`name` may be NULL unless
/// EVENT).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sio_broadcast(
    srv: *mut sio_server,
    nsp: u32,
    room: *const c_char,
    except: *const u64,
    n_except: usize,
    packet: u32,
    name: *const c_char,
    name_len: usize,
    data: *const c_char,
    len: usize,
    flags: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, room, name, data) = tri!((|| unsafe {
            Ok::<_, sio_result>((
                server(srv)?,
                opt_cstr(room)?,
                text(name, name_len)?,
                text(data, len)?,
            ))
        })());
        if n_except > 0 {
            non_null!(except);
        }
        let r = tri!(s.running());
        let Some(mut em) = r.embed.emitter(nsp as usize) else {
            return SIO_E_NOT_FOUND;
        };
        if let Some(room) = room.filter(|r| !r.is_empty()) {
            em = em.to(room);
        }
        {
            let ids = lock(&s.shared.ids);
            for i in 0..n_except {
                // SAFETY: `except` holds `n_except` ids.
                let id = unsafe { *except.add(i) };
                if let Some(e) = ids.get(id) {
                    em = em.except(&e.sid);
                }
            }
        }
        if flags & SIO_F_VOLATILE != 0 {
            em = em.volatile();
        }
        match packet {
            SIO_PK_EVENT => {
                tri!(json_array(data));
                em.emit_raw(name, data);
            }
            SIO_PK_MESSAGE => em.send(data),
            SIO_PK_JSON => match sio09_core::protocol::json::parse(data) {
                Ok(v) => em.json(&v),
                Err(_) => return SIO_E_INVALID_PARAM,
            },
            _ => return SIO_E_INVALID_PARAM,
        }
        SIO_OK
    })
}

/// Send one packet to session `sid` (a NUL-terminated session id string) on namespace
/// `nsp`, wherever the session lives — on this server or, with a Redis store, on another
/// node of the cluster (0.9's `io.sockets.socket(id).emit(…)` for a socket the host has
/// no socket id for). `packet`, `name`, `data` and `flags` as in `sio_broadcast`. Dropped
/// silently when no such session exists anywhere. Inputs are copied. ANY THREAD.
/// Errors: `SIO_E_NOT_FOUND` (namespace), `SIO_E_INVALID_PARAM` (bad id, kind or JSON),
/// `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` NUL-terminated; `name`/`data` readable for their
/// lengths (`name` may be NULL unless EVENT).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sio_emit_to_sid(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
    packet: u32,
    name: *const c_char,
    name_len: usize,
    data: *const c_char,
    len: usize,
    flags: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, sid, name, data) = tri!((|| unsafe {
            Ok::<_, sio_result>((
                server(srv)?,
                opt_cstr(sid)?,
                text(name, name_len)?,
                text(data, len)?,
            ))
        })());
        let Some(sid) = sid else {
            return SIO_E_INVALID_PARAM;
        };
        let r = tri!(s.running());
        let Some(nsp_name) = r.embed.namespace_name(nsp as usize) else {
            return SIO_E_NOT_FOUND;
        };
        use sio09_core::protocol::packet::{encode_event, encode_json, encode_message, MessageId};
        let mut out = String::new();
        match packet {
            SIO_PK_EVENT => {
                tri!(json_array(data));
                encode_event(&mut out, MessageId::None, nsp_name, name, data);
            }
            SIO_PK_MESSAGE => encode_message(&mut out, MessageId::None, nsp_name, data),
            SIO_PK_JSON => {
                tri!(json_value(data));
                encode_json(&mut out, MessageId::None, nsp_name, data);
            }
            _ => return SIO_E_INVALID_PARAM,
        }
        if r.embed.unicast_text(sid, &out, flags & SIO_F_VOLATILE != 0) {
            SIO_OK
        } else {
            SIO_E_INVALID_PARAM
        }
    })
}

/// The session ids in namespace `nsp` (or its room `room`; NULL or "" = all) on every
/// shard, as a NUL-terminated JSON array of strings, into `buf` (`len` bytes,
/// caller-owned); `*out_n` = length without the NUL (`SIO_E_BUFFER_TOO_SMALL`: `*out_n` =
/// size needed; the list may change before the next call). Blocks briefly while the
/// shards answer. Host thread. Errors: `SIO_E_NOT_FOUND` (namespace), `SIO_E_STATE`,
/// `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `room` NULL or NUL-terminated; `buf` writable for `len`;
/// `out_n` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_clients(
    srv: *mut sio_server,
    nsp: u32,
    room: *const c_char,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        // SAFETY: caller's contract.
        let (s, room) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, opt_cstr(room)?))
        })());
        let r = tri!(s.running());
        let Some(name) = r.embed.namespace_name(nsp as usize) else {
            return SIO_E_NOT_FOUND;
        };
        let list = r.embed.clients(name, room.unwrap_or(""));
        let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned());
        // SAFETY: caller's contract.
        unsafe { write_text(&json, buf, len, out_n) }
    })
}

/// The socket id of session `sid` (NUL-terminated) on namespace `nsp` into
/// `*out_socket`. Any thread. Errors: `SIO_E_NOT_FOUND` (not connected there).
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` NUL-terminated; `out_socket` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_lookup(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
    out_socket: *mut u64,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_socket);
        // SAFETY: caller's contract.
        let (s, sid) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(sid)?))
        })());
        let Some(id) = lock(&s.shared.ids).lookup(sid, nsp) else {
            return SIO_E_NOT_FOUND;
        };
        // SAFETY: checked non-NULL; caller's contract.
        unsafe { *out_socket = id };
        SIO_OK
    })
}

/// `sio_sessions`: handshake done and not expired or ended (0.9's `io.handshaken`).
pub const SIO_SESSIONS_HANDSHAKEN: u32 = 0;
/// `sio_sessions`: a transport has connected at least once (`io.connected`).
pub const SIO_SESSIONS_CONNECTED: u32 = 1;
/// `sio_sessions`: a transport is open now (`io.open`).
pub const SIO_SESSIONS_OPEN: u32 = 2;
/// `sio_sessions`: connected, no transport open now, within the close timeout
/// (`io.closed`).
pub const SIO_SESSIONS_CLOSED: u32 = 3;

/// Flag for `sio_sessions`' `which`: answer a JSON object mapping each session id to its
/// handshake data (what `socket.handshake` holds; 0.9's `io.handshaken[id]`) instead of
/// an array of ids.
pub const SIO_SESSIONS_WITH_DATA: u32 = 0x100;

/// The session ids of set `which` (`SIO_SESSIONS_*`, optionally `| SIO_SESSIONS_WITH_DATA`)
/// on every shard of this process, as a NUL-terminated JSON array of strings (sorted) or,
/// with `SIO_SESSIONS_WITH_DATA`, a JSON object `{id: handshake data}`, into `buf` (`len` bytes,
/// caller-owned); `*out_n` = length without the NUL (`SIO_E_BUFFER_TOO_SMALL`: `*out_n`
/// = size needed; the sets may change before the next call). Blocks briefly while the
/// shards answer. Host thread. Errors: `SIO_E_INVALID_PARAM` (unknown `which`),
/// `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `buf` writable for `len`; `out_n` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_sessions(
    srv: *mut sio_server,
    which: u32,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        use sio09_core::server::SessionSet;
        let with_data = which & SIO_SESSIONS_WITH_DATA != 0;
        let set = match which & !SIO_SESSIONS_WITH_DATA {
            SIO_SESSIONS_HANDSHAKEN => SessionSet::Handshaken,
            SIO_SESSIONS_CONNECTED => SessionSet::Connected,
            SIO_SESSIONS_OPEN => SessionSet::Open,
            SIO_SESSIONS_CLOSED => SessionSet::Closed,
            _ => return SIO_E_INVALID_PARAM,
        };
        let r = tri!(s.running());
        let json = if with_data {
            let mut out = String::from("{");
            for (i, (sid, data)) in r.embed.sessions_with_data(set).iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(sid).unwrap_or_else(|_| "\"\"".to_owned()));
                out.push(':');
                out.push_str(data);
            }
            out.push('}');
            out
        } else {
            let list = r.embed.sessions(set);
            serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
        };
        // SAFETY: caller's contract.
        unsafe { write_text(&json, buf, len, out_n) }
    })
}

/// `io.sockets.socket(sid).join(room)` / `.leave(room)` for session `sid` wherever it
/// lives: a socket of this server (the same as `sio_join` on its socket id) or, with a
/// Redis store, a session of another node of the cluster (the change is published and
/// that node applies it; this server's `sio_clients` / `sio_rooms` show it at once).
///
/// # Safety
/// As `sio_join_sid`.
unsafe fn room_sid(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
    room: *const c_char,
    join: bool,
) -> sio_result {
    // SAFETY: the callers' contract.
    let (s, sid, room) = tri!((|| unsafe {
        Ok::<_, sio_result>((server(srv)?, cstr(sid)?, cstr(room)?))
    })());
    let r = tri!(s.running());
    if r.embed.namespace_name(nsp as usize).is_none() {
        return SIO_E_NOT_FOUND;
    }
    if sio09_core::sid::Sid::parse(sid).is_none() {
        return SIO_E_INVALID_PARAM;
    }
    if r.embed.room_op(nsp as usize, sid, room, join) {
        SIO_OK
    } else {
        SIO_E_STOPPED
    }
}

/// Join room `room` (NUL-terminated) of namespace `nsp` for session `sid`
/// (NUL-terminated id string), wherever the session lives: on this server, or with a
/// Redis store on another node of the cluster, which applies it (0.9's
/// `io.sockets.socket(id).join(room)`). Not reported back as `SIO_EV_ROOM`. ANY THREAD.
/// Errors: `SIO_E_NOT_FOUND` (namespace), `SIO_E_INVALID_PARAM` (bad id),
/// `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` and `room` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_join_sid(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
    room: *const c_char,
) -> sio_result {
    // SAFETY: caller's contract.
    ffi_boundary!({ unsafe { room_sid(srv, nsp, sid, room, true) } })
}

/// Leave room `room` of namespace `nsp` for session `sid`, wherever it lives (as
/// `sio_join_sid`). ANY THREAD. Errors as `sio_join_sid`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` and `room` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_leave_sid(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
    room: *const c_char,
) -> sio_result {
    // SAFETY: caller's contract.
    ffi_boundary!({ unsafe { room_sid(srv, nsp, sid, room, false) } })
}

/// Server-side disconnect of session `sid` (NUL-terminated id string) on namespace `nsp`,
/// wherever it lives (0.9's `io.sockets.socket(id).disconnect()`): a socket of this
/// server (as `sio_disconnect`) or, with a Redis store, a session of another node
/// (`disconnect-remote`; its rooms are forgotten here at once, reported as
/// `SIO_EV_ROOM` `SIO_ROOM_GONE` when room events are on). ANY THREAD. Errors:
/// `SIO_E_NOT_FOUND` (namespace), `SIO_E_INVALID_PARAM` (bad id), `SIO_E_STATE`,
/// `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_disconnect_sid(
    srv: *mut sio_server,
    nsp: u32,
    sid: *const c_char,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, sid) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(sid)?))
        })());
        let r = tri!(s.running());
        if r.embed.namespace_name(nsp as usize).is_none() {
            return SIO_E_NOT_FOUND;
        }
        if sio09_core::sid::Sid::parse(sid).is_none() {
            return SIO_E_INVALID_PARAM;
        }
        if r.embed.disconnect_sid(nsp as usize, sid) {
            SIO_OK
        } else {
            SIO_E_STOPPED
        }
    })
}

/// Every room with its members (0.9's `io.rooms`), on every shard and, with a Redis
/// store, on every node of the cluster: a NUL-terminated JSON object `{room key: [session
/// ids, sorted]}` (keys in 0.9's format: `""` the main namespace, `"/chat"` a namespace,
/// `"/chat/room"` a room joined in it) into `buf` (`len` bytes, caller-owned); `*out_n`
/// as `sio_clients`. Blocks briefly while the shards answer. Host thread. Errors:
/// `SIO_E_BUFFER_TOO_SMALL`, `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `buf` writable for `len`; `out_n` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_rooms(
    srv: *mut sio_server,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        let r = tri!(s.running());
        let json = serde_json::to_string(&r.embed.rooms()).unwrap_or_else(|_| "{}".to_owned());
        // SAFETY: caller's contract.
        unsafe { write_text(&json, buf, len, out_n) }
    })
}

/// The rooms session `sid` (NUL-terminated) is in, cluster-wide (0.9's
/// `io.roomClients[id]`): a NUL-terminated JSON object `{room key: true}` (`{}` for an
/// unknown session) into `buf`; `*out_n` as `sio_clients`. Blocks briefly while the
/// session's shard answers. Host thread. Errors: `SIO_E_INVALID_PARAM` (bad id),
/// `SIO_E_BUFFER_TOO_SMALL`, `SIO_E_STATE`, `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`; `sid` NUL-terminated; `buf` writable for `len`; `out_n`
/// valid.
#[no_mangle]
pub unsafe extern "C" fn sio_room_clients(
    srv: *mut sio_server,
    sid: *const c_char,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        // SAFETY: caller's contract.
        let (s, sid) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(sid)?))
        })());
        if sio09_core::sid::Sid::parse(sid).is_none() {
            return SIO_E_INVALID_PARAM;
        }
        let r = tri!(s.running());
        let map: serde_json::Map<String, serde_json::Value> = r
            .embed
            .room_clients(sid)
            .into_iter()
            .map(|k| (k, serde_json::Value::Bool(true)))
            .collect();
        let json = serde_json::Value::Object(map).to_string();
        // SAFETY: caller's contract.
        unsafe { write_text(&json, buf, len, out_n) }
    })
}

/// Queue `SIO_EV_ROOM` events (`enabled` non-zero) for the room membership changes the
/// cluster makes, for a host that mirrors 0.9's `io.rooms` / `io.roomClients` itself;
/// off by default. Any phase, ANY THREAD. Errors: `SIO_E_INVALID_PARAM`.
///
/// # Safety
/// `srv` from `sio_server_new`.
#[no_mangle]
pub unsafe extern "C" fn sio_server_set_room_events(
    srv: *mut sio_server,
    enabled: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        s.shared
            .room_events
            .store(enabled != 0, std::sync::atomic::Ordering::Relaxed);
        SIO_OK
    })
}
