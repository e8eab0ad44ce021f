//! The handles handlers get (PROTOCOL.md §5.3): [`Socket`] (one session on one
//! namespace), [`Ack`] (answer a client's data ack) and [`Emitter`] (namespace and room
//! broadcasts with the `to`/`except`/`volatile`/`json` flags of §5.2).

use super::args::{values_to_json, Args};
use super::remote_ack::AckSend;
use super::rooms::room_key;
use super::shard_state::{finish_store_op, ShardState, StoreResult};
use super::ServerInner;
use crate::protocol::packet::{self, MessageId};
use crate::session::{AckCallback, Encoded, HandshakeData};
use crate::sid::Sid;
use crate::store::redis_wire::AckKind;
use crate::store::StoreError;
use serde_json::Value;
use std::rc::Rc;
use std::sync::Arc;

/// One session's socket on one namespace. Lives on the session's owner shard.
#[derive(Clone)]
pub struct Socket {
    pub(crate) st: Rc<ShardState>,
    pub(crate) sid: Sid,
    pub(crate) nsp: usize,
}

impl Socket {
    /// The session id.
    pub fn id(&self) -> &str {
        self.sid.as_str()
    }

    /// The namespace name (`""` for the main namespace).
    pub fn namespace(&self) -> &str {
        self.nsp_name()
    }

    pub(super) fn nsp_name(&self) -> &str {
        self.st.srv.nsp_names.get(self.nsp).unwrap_or("")
    }

    /// The handshake data (PROTOCOL.md §1.14), `None` once the session is gone.
    pub fn handshake(&self) -> Option<HandshakeData> {
        self.st
            .sessions
            .borrow()
            .get(&self.sid)
            .map(|s| s.handshake_data())
    }

    /// The query of the handshake request, as a JSON object.
    pub fn handshake_query(&self) -> Value {
        self.handshake()
            .and_then(|h| h.get("query").cloned())
            .unwrap_or_else(|| Value::Object(Default::default()))
    }

    /// Wire name of the session's current transport, if any.
    pub fn transport(&self) -> Option<&'static str> {
        self.st
            .sessions
            .borrow()
            .get(&self.sid)
            .and_then(|s| s.outlet.as_ref().map(|o| o.name()))
    }

    /// Whether the session has ended or left this namespace.
    pub fn disconnected(&self) -> bool {
        self.st
            .sessions
            .borrow()
            .get(&self.sid)
            .is_none_or(|s| s.ended || !s.in_nsp(self.nsp))
    }

    pub(super) fn write(&self, text: &str, volatile: bool) {
        self.st.write_to(&self.sid, Encoded::new(text), volatile);
    }

    /// Encode with `f` straight into the outgoing frame buffer and write it.
    fn write_built(&self, hint: usize, volatile: bool, f: impl FnOnce(&mut String)) {
        self.st
            .write_to(&self.sid, Encoded::build(hint, f), volatile);
    }

    /// Emit event `name` with `args` to this client.
    pub fn emit(&self, name: &str, args: &[Value]) {
        self.emit_raw(name, &values_to_json(args));
    }

    /// Emit with the arguments given as a JSON array text.
    pub fn emit_raw(&self, name: &str, args_json: &str) {
        let nsp = self.nsp_name();
        // At least what encode_event reserves, so the frame buffer is never regrown.
        let hint = 32 + nsp.len() + name.len() + args_json.len();
        self.write_built(hint, false, |s| {
            packet::encode_event(s, MessageId::None, nsp, name, args_json)
        });
    }

    /// Emit a volatile event: dropped unless the transport can write now (§4.8).
    pub fn volatile_emit(&self, name: &str, args: &[Value]) {
        let mut s = String::new();
        packet::encode_event(
            &mut s,
            MessageId::None,
            self.nsp_name(),
            name,
            &values_to_json(args),
        );
        self.write(&s, true);
    }

    pub(super) fn next_ack(&self, cb: crate::session::AckCallback) -> Option<u64> {
        let mut ss = self.st.sessions.borrow_mut();
        let s = ss.get_mut(&self.sid)?;
        if s.ended {
            return None;
        }
        let n = s.nsp(self.nsp);
        n.ack_seq += 1;
        let id = n.ack_seq;
        n.acks.push((id, cb));
        Some(id)
    }

    /// Send `kind` (`name`, `data`) asking for the client's ack, `cb` to run with it:
    /// on this shard when the session lives here, else where it lives (another shard,
    /// or another sio09 node of the cluster; see `remote_ack.rs`).
    pub(super) fn with_ack(&self, kind: AckKind, name: &str, data: &str, cb: AckCallback) {
        let what = AckSend {
            kind,
            name: name.to_owned(),
            data: data.to_owned(),
        };
        if !self.st.sessions.borrow().contains_key(&self.sid) {
            self.st.ack_elsewhere(self.sid, self.nsp, what, cb);
            return;
        }
        let Some(id) = self.next_ack(cb) else {
            return;
        };
        self.write(
            &super::remote_ack::encode(&what, id, self.nsp_name()),
            false,
        );
    }

    /// Emit with an ack callback: always the `+` form (`5:{n}+:…`, Q-31); `cb` runs
    /// once with the client's ack arguments. For a session of another shard or node
    /// (see [`Socket::peer`]) the ack comes back from there.
    pub fn emit_with_ack(
        &self,
        name: &str,
        args: &[Value],
        cb: impl FnOnce(&Socket, Args) + 'static,
    ) {
        self.with_ack(AckKind::Event, name, &values_to_json(args), Box::new(cb));
    }

    /// Send a message (`3:::text`).
    pub fn send(&self, text: &str) {
        let mut s = String::with_capacity(8 + text.len());
        packet::encode_message(&mut s, MessageId::None, self.nsp_name(), text);
        self.write(&s, false);
    }

    /// Send a message asking for the client's automatic ack (`3:{n}:…`); `cb` runs when
    /// it arrives.
    pub fn send_with_ack(&self, text: &str, cb: impl FnOnce(&Socket, Args) + 'static) {
        self.with_ack(AckKind::Message, "", text, Box::new(cb));
    }

    /// Send a JSON message (`4:::json`).
    pub fn json(&self, value: &Value) {
        let mut s = String::new();
        packet::encode_json(
            &mut s,
            MessageId::None,
            self.nsp_name(),
            &crate::protocol::json::to_js_json(value),
        );
        self.write(&s, false);
    }

    /// `socket.broadcast`: an emitter for the namespace, excluding this session.
    pub fn broadcast(&self) -> Emitter {
        Emitter {
            srv: self.st.srv.clone(),
            nsp: self.nsp,
            room: None,
            except: vec![self.sid],
            volatile: false,
        }
    }

    /// An emitter for this socket's namespace (every member, this session included).
    pub fn nsp_emitter(&self) -> Emitter {
        Emitter {
            srv: self.st.srv.clone(),
            nsp: self.nsp,
            room: None,
            except: Vec::new(),
            volatile: false,
        }
    }

    /// An emitter for another namespace of the server.
    pub fn of(&self, name: &str) -> Option<Emitter> {
        Emitter::for_namespace(self.st.srv.clone(), name)
    }

    /// Run `f` with this socket after `delay` (on the socket's shard).
    pub fn after(&self, delay: std::time::Duration, f: impl FnOnce(&Socket) + 'static) {
        let s = self.clone();
        self.st.spawn(async move {
            monoio::time::sleep(delay).await;
            f(&s);
        });
    }

    /// Join `room` of this namespace (key `{nsp}/{room}`). For a [`Socket::peer`] of
    /// another shard the join happens there; of another node of a cluster, that node
    /// applies it (the change is published), as 0.9's `io.sockets.socket(id).join(room)`.
    pub fn join(&self, room: &str) {
        self.st
            .room_op(self.sid, room_key(self.nsp_name(), room), true);
    }

    /// Leave `room` of this namespace (wherever the session lives, as [`Socket::join`]).
    pub fn leave(&self, room: &str) {
        self.st
            .room_op(self.sid, room_key(self.nsp_name(), room), false);
    }

    /// Room keys the session is in (all namespaces, reference key format): its own for
    /// a session of this shard, what the cluster said for a session of another node on
    /// this shard; empty otherwise (see [`crate::server::EmbedHandle::room_clients`]).
    pub fn rooms(&self) -> Vec<String> {
        self.st.rooms_of(&self.sid)
    }

    /// Session ids in `room` of this namespace (`""`: the namespace itself) on every
    /// shard and, in a cluster, on every node (0.9's `nsp.clients(room)`), sorted and
    /// without duplicates; `cb` runs on this socket's shard when every shard answered.
    pub fn clients(&self, room: &str, cb: impl FnOnce(Vec<String>) + 'static) {
        self.st
            .gather_members(room_key(self.nsp_name(), room), Box::new(cb));
    }

    /// The socket of session `sid` on this socket's namespace, wherever the session lives
    /// (`io.sockets.socket(id)` of 0.9): on another shard or, with a RedisStore, another
    /// node. `emit`/`send`/`json`/`disconnect` and `set`/`get`/`has`/`del` work on it from
    /// here; `handshake`, `rooms` and acks only for sessions of this shard. `None` for a
    /// malformed id.
    pub fn peer(&self, sid: &str) -> Option<Socket> {
        Some(Socket {
            st: self.st.clone(),
            sid: Sid::parse(sid)?,
            nsp: self.nsp,
        })
    }

    /// Disconnect: the whole session for the main namespace, just this namespace
    /// otherwise (PROTOCOL.md §5.3).
    pub fn disconnect(&self) {
        let owner = self.sid.owner(self.st.srv.shard_count());
        if owner != self.st.id {
            // A peer socket (`peer`) of another shard: disconnect it there.
            let (sid, nsp) = (self.sid, self.nsp);
            self.st.srv.send(
                owner,
                super::shard_state::Remote::Run(Box::new(move |st| {
                    Socket {
                        st: st.clone(),
                        sid,
                        nsp,
                    }
                    .disconnect()
                })),
            );
            return;
        }
        if !self.st.sessions.borrow().contains_key(&self.sid) {
            // Owned by another node of the cluster.
            self.st.disconnect_elsewhere(&self.sid);
            return;
        }
        tracing::info!("booting client");
        if self.nsp == 0 {
            self.st.force_disconnect(&self.sid);
        } else {
            let mut s = String::new();
            packet::encode_simple(&mut s, packet::PacketType::Disconnect, self.nsp_name());
            self.write(&s, false);
            self.st.nsp_leave(&self.sid, self.nsp, "booted");
        }
    }

    /// Register `cb` for a store completion of the kind `pick` extracts; returns what the
    /// store's (any-thread) callback needs to route the result back to this shard.
    fn pending<R: 'static>(
        &self,
        cb: impl FnOnce(R) + 'static,
        pick: fn(StoreResult) -> Option<R>,
    ) -> (Arc<ServerInner>, usize, u64) {
        let token = self.st.add_pending(Box::new(move |r| {
            if let Some(r) = pick(r) {
                cb(r)
            }
        }));
        (self.st.srv.clone(), self.st.id, token)
    }

    /// Store `value` under `key` for this session (shared by its namespaces). With a Redis
    /// store the value is kept as 0.9.19 keeps it, JavaScript's `String(value)`, and `get`
    /// returns that string (see [`crate::store::Store::set`]).
    pub fn set(&self, key: &str, value: Value, cb: impl FnOnce(Result<(), StoreError>) + 'static) {
        let (srv, shard, token) = self.pending(cb, done_result);
        self.st.srv.store.set(
            self.id(),
            key,
            value,
            Box::new(move |r| finish_store_op(&srv, shard, token, StoreResult::Done(r))),
        );
    }

    /// Read `key` for this session (`None` when missing; a string with a Redis store).
    pub fn get(&self, key: &str, cb: impl FnOnce(Result<Option<Value>, StoreError>) + 'static) {
        let (srv, shard, token) = self.pending(cb, |r| match r {
            StoreResult::Get(r) => Some(r),
            _ => None,
        });
        self.st.srv.store.get(
            self.id(),
            key,
            Box::new(move |r| finish_store_op(&srv, shard, token, StoreResult::Get(r))),
        );
    }

    /// Whether `key` is set for this session.
    pub fn has(&self, key: &str, cb: impl FnOnce(Result<bool, StoreError>) + 'static) {
        let (srv, shard, token) = self.pending(cb, |r| match r {
            StoreResult::Has(r) => Some(r),
            _ => None,
        });
        self.st.srv.store.has(
            self.id(),
            key,
            Box::new(move |r| finish_store_op(&srv, shard, token, StoreResult::Has(r))),
        );
    }

    /// Delete `key` for this session.
    pub fn del(&self, key: &str, cb: impl FnOnce(Result<(), StoreError>) + 'static) {
        let (srv, shard, token) = self.pending(cb, done_result);
        self.st.srv.store.del(
            self.id(),
            key,
            Box::new(move |r| finish_store_op(&srv, shard, token, StoreResult::Done(r))),
        );
    }
}

fn done_result(r: StoreResult) -> Option<Result<(), StoreError>> {
    match r {
        StoreResult::Done(r) => Some(r),
        _ => None,
    }
}

/// Answers a client's data-ack request (`id+`). Calling it twice sends twice, as in 0.9.
#[derive(Clone)]
pub struct Ack {
    pub(crate) socket: Socket,
    pub(crate) id: u64,
}

impl Ack {
    /// The message id being acknowledged.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Ack with `args` (`6:::{id}+[…]`).
    pub fn send(&self, args: &[Value]) {
        self.send_raw(&values_to_json(args));
    }

    /// Ack with the arguments as a JSON array text.
    pub fn send_raw(&self, args_json: &str) {
        // As in 0.9: an ack called without arguments is `6:::{id}`, without `+[]`.
        let args = (args_json.trim() != "[]").then_some(args_json);
        let nsp = self.socket.nsp_name();
        // At least what encode_ack reserves, so the frame buffer is never regrown.
        let hint = 28 + nsp.len() + args_json.len();
        self.socket
            .write_built(hint, false, |s| packet::encode_ack(s, nsp, self.id, args));
    }

    /// Ack with no arguments (`6:::{id}`).
    pub fn send_empty(&self) {
        let mut s = String::new();
        packet::encode_ack(&mut s, self.socket.nsp_name(), self.id, None);
        self.socket.write(&s, false);
    }
}

/// A namespace (or room) broadcast; usable from handlers and from any thread.
#[derive(Clone)]
pub struct Emitter {
    pub(crate) srv: Arc<ServerInner>,
    pub(crate) nsp: usize,
    pub(crate) room: Option<String>,
    pub(crate) except: Vec<Sid>,
    pub(crate) volatile: bool,
}

impl Emitter {
    pub(crate) fn for_namespace(srv: Arc<ServerInner>, name: &str) -> Option<Emitter> {
        let nsp = *srv.live().nsp_index.get(name)?;
        Some(Emitter {
            srv,
            nsp,
            room: None,
            except: Vec::new(),
            volatile: false,
        })
    }

    pub(super) fn nsp_name(&self) -> &str {
        self.srv.nsp_names.get(self.nsp).unwrap_or("")
    }

    /// Target room `room` of the namespace (`in`/`to`); empty means the namespace.
    pub fn to(mut self, room: &str) -> Emitter {
        self.room = Some(room.to_owned());
        self
    }

    /// Exclude session `sid` (repeatable).
    pub fn except(mut self, sid: &str) -> Emitter {
        if let Some(s) = Sid::parse(sid) {
            self.except.push(s);
        }
        self
    }

    /// Mark the packet volatile (§4.8).
    pub fn volatile(mut self) -> Emitter {
        self.volatile = true;
        self
    }

    fn key(&self) -> String {
        room_key(self.nsp_name(), self.room.as_deref().unwrap_or(""))
    }

    fn go(self, text: String) {
        tracing::debug!("broadcasting packet");
        let key = self.key();
        self.srv
            .broadcast(&key, Encoded::new(&text), self.except, self.volatile);
    }

    /// Emit event `name` to every target.
    pub fn emit(self, name: &str, args: &[Value]) {
        self.emit_raw(name, &values_to_json(args));
    }

    /// Emit with the arguments as a JSON array text.
    pub fn emit_raw(self, name: &str, args_json: &str) {
        let mut s = String::new();
        packet::encode_event(&mut s, MessageId::None, self.nsp_name(), name, args_json);
        self.go(s);
    }

    /// Send a message (`3`) to every target.
    pub fn send(self, text: &str) {
        let mut s = String::new();
        packet::encode_message(&mut s, MessageId::None, self.nsp_name(), text);
        self.go(s);
    }

    /// Send a JSON message (`4`) to every target.
    pub fn json(self, value: &Value) {
        let mut s = String::new();
        packet::encode_json(
            &mut s,
            MessageId::None,
            self.nsp_name(),
            &crate::protocol::json::to_js_json(value),
        );
        self.go(s);
    }
}
