//! The Rust handlers installed on every namespace: they run on the shard threads and
//! turn connections, packets and disconnects into queued events (never host calls).

use crate::event::*;
use crate::server::{lock, Shared};
use sio09_core::protocol::json::to_js_json;
use sio09_core::server::embed::AsyncAuthFn;
use sio09_core::server::{AuthReply, Namespace};
use sio09_core::session::HandshakeData;
use sio09_core::{Message, Server, Socket, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Run `f`; a panic becomes an `SIO_EV_ERROR` event and the shard carries on.
fn guarded(shared: &Shared, what: &str, f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        shared.push(OwnedEvent {
            kind: SIO_EV_ERROR,
            name: format!("panic in the {what} handler"),
            ..Default::default()
        });
    }
}

fn socket_id(shared: &Shared, s: &Socket, nsp: u32) -> u64 {
    lock(&shared.ids).lookup(s.id(), nsp).unwrap_or(0)
}

/// Install the event-pushing handlers on namespace `nsp` (id `idx`).
pub(crate) fn install(nsp: &mut Namespace, idx: u32, shared: Arc<Shared>) {
    let sh = shared.clone();
    nsp.on_connection(move |s| {
        guarded(&sh, "connection", || {
            let id = lock(&sh.ids).alloc(s.shard(), s.id(), idx).unwrap_or(0);
            let data = s
                .handshake()
                .map(|h| to_js_json(&Value::Object(h)))
                .unwrap_or_else(|| "{}".to_owned());
            sh.push(OwnedEvent {
                kind: SIO_EV_CONNECTION,
                nsp: idx,
                socket: id,
                sid: s.id().to_owned(),
                name: s.transport().unwrap_or("").to_owned(),
                data: data.into_bytes(),
                ..Default::default()
            });
        })
    });
    let sh = shared.clone();
    nsp.on_any(move |s, name, args, ack| {
        guarded(&sh, "event", || {
            sh.push(OwnedEvent {
                kind: SIO_EV_EVENT,
                nsp: idx,
                socket: socket_id(&sh, s, idx),
                id: ack.map_or(0, |a| a.id()),
                sid: s.id().to_owned(),
                name: name.to_owned(),
                data: args.raw().as_bytes().to_vec(),
                ..Default::default()
            });
        })
    });
    let sh = shared.clone();
    nsp.on_message(move |s, m, ack| {
        guarded(&sh, "message", || {
            let (kind, data) = match m {
                Message::Text(t) => (SIO_EV_MESSAGE, t.into_bytes()),
                Message::Json(v) => (SIO_EV_JSON, to_js_json(&v).into_bytes()),
            };
            sh.push(OwnedEvent {
                kind,
                nsp: idx,
                socket: socket_id(&sh, s, idx),
                id: ack.map_or(0, |a| a.id()),
                sid: s.id().to_owned(),
                data,
                ..Default::default()
            });
        })
    });
    let sh = shared;
    nsp.on_disconnect(move |s, reason| {
        guarded(&sh, "disconnect", || {
            let id = lock(&sh.ids).release(s.id(), idx).unwrap_or(0);
            sh.push(OwnedEvent {
                kind: SIO_EV_DISCONNECT,
                nsp: idx,
                socket: id,
                sid: s.id().to_owned(),
                name: reason.to_owned(),
                ..Default::default()
            });
        })
    });
}

/// Queue an AUTHORIZE event for `reply`.
fn ask(shared: &Shared, nsp: u32, query: &str, data: HandshakeData, reply: AuthReply) {
    let id = shared.next_auth.fetch_add(1, Ordering::Relaxed);
    lock(&shared.auth).insert(id, reply);
    shared.push(OwnedEvent {
        kind: SIO_EV_AUTHORIZE,
        nsp,
        id,
        name: query.to_owned(),
        data: to_js_json(&Value::Object(data)).into_bytes(),
        ..Default::default()
    });
}

/// Make the handshake authorization the host's (SIO_EV_AUTHORIZE, `SIO_NSP_GLOBAL`).
pub(crate) fn install_global_auth(server: &mut Server, shared: Arc<Shared>) {
    server.authorization_async(move |data, reply| ask(&shared, SIO_NSP_GLOBAL, "", data, reply));
}

/// The host-answered handshake authorization, for a running server.
pub(crate) fn global_auth_fn(shared: Arc<Shared>) -> AsyncAuthFn {
    Arc::new(move |data, reply| ask(&shared, SIO_NSP_GLOBAL, "", data, reply))
}

/// Make namespace `idx`'s authorization the host's.
pub(crate) fn install_nsp_auth(nsp: &mut Namespace, idx: u32, shared: Arc<Shared>) {
    nsp.authorization_async(move |data, query, reply| ask(&shared, idx, query, data, reply));
}
