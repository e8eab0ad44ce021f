//! What embedding hosts need beyond the Rust handler API (DESIGN.md §5, the C ABI in
//! `ffi/`): authorization answered later from any thread ([`AuthReply`]), operations on
//! a socket from any thread ([`EmbedHandle::with_socket`]), connections the host
//! accepted itself ([`EmbedHandle::adopt_connection`]) and shards started without a
//! listener ([`Server::start_adopt_only`]).

use super::namespace::Namespace;
use super::shard_state::{ConnKind, Remote, ShardState};
use super::socket::{Emitter, Socket};
use super::{rooms, Server, ServerHandle, ServerInner};
use crate::protocol::packet::{self, MessageId};
use crate::session::HandshakeData;
use crate::sid::Sid;
use crate::store::redis_wire::AckKind;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};

/// How long a handshake or namespace connect waits for an asynchronous authorization
/// before it is answered as an error (`authorization timeout`; not an 0.9 option).
pub const AUTHORIZATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer to an asynchronous authorization.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthAnswer {
    /// Admit; with `Some(data)` the handshake data is replaced (global authorization
    /// only, like a 0.9 authorization function that extends `handshakeData`).
    Allow(Option<HandshakeData>),
    /// Refuse: `403 handshake unauthorized`, or `7::/nsp:2` for a namespace.
    Deny,
    /// Fail: `500 handshake error`, or `7::/nsp:2` for a namespace.
    Error(String),
}

/// A pending authorization. `Send`: answer it from any thread, once. Dropping it
/// unanswered refuses with an error.
#[derive(Debug)]
pub struct AuthReply {
    tx: flume::Sender<AuthAnswer>,
}

impl AuthReply {
    pub(crate) fn pair() -> (AuthReply, flume::Receiver<AuthAnswer>) {
        let (tx, rx) = flume::bounded(1);
        (AuthReply { tx }, rx)
    }

    /// Answer with `answer` (ignored when the request already timed out).
    pub fn answer(self, answer: AuthAnswer) {
        let _ = self.tx.send(answer);
    }

    /// Admit, handshake data unchanged.
    pub fn allow(self) {
        self.answer(AuthAnswer::Allow(None));
    }

    /// Refuse (`403` / `7::/nsp:2`).
    pub fn deny(self) {
        self.answer(AuthAnswer::Deny);
    }

    /// Fail with `msg` (`500` / `7::/nsp:2`; the message is logged).
    pub fn error(self, msg: impl Into<String>) {
        self.answer(AuthAnswer::Error(msg.into()));
    }
}

/// Global authorization answered later: gets a copy of the handshake data.
pub type AsyncAuthFn = Arc<dyn Fn(HandshakeData, AuthReply) + Send + Sync>;
/// Namespace authorization answered later: handshake data and the connect query.
pub type NspAsyncAuthFn = Arc<dyn Fn(HandshakeData, &str, AuthReply) + Send + Sync>;

/// Takes a connection handed back to the host (see [`super::Handback`]): the
/// descriptor (non-blocking, close-on-exec), the bytes read from it and not consumed
/// (the request head and any body bytes so far), and the peer address. Called on a
/// shard thread; must not block.
pub type HandbackFn = Arc<dyn Fn(OwnedFd, Vec<u8>, std::net::SocketAddr) + Send + Sync>;

/// Which sessions [`EmbedHandle::sessions`] lists, with the meanings of 0.9.19's
/// manager maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSet {
    /// Handshake done, session neither expired nor ended (`io.handshaken`).
    Handshaken,
    /// A transport has connected at least once (`io.connected`).
    Connected,
    /// A transport is open now (`io.open`).
    Open,
    /// Connected, no transport open, still within the close timeout (`io.closed`).
    Closed,
}

/// A room membership change the cluster made (see [`Server::on_cluster_rooms`]). Room
/// keys are in 0.9's format: `""` the main namespace, `/chat` a namespace, `/chat/r` a
/// room joined in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomChange<'a> {
    /// Session `sid` joined room `key`: on another node, or (`local`) a session of this
    /// node that another node's app joined (`io.sockets.socket(id).join(room)`).
    Join {
        /// The session id.
        sid: &'a str,
        /// The room key.
        key: &'a str,
        /// `sid` is a session of this node.
        local: bool,
    },
    /// Session `sid` left room `key` (as for `Join`).
    Leave {
        /// The session id.
        sid: &'a str,
        /// The room key.
        key: &'a str,
        /// `sid` is a session of this node.
        local: bool,
    },
    /// Session `sid` of another node is gone: it left every room.
    Gone {
        /// The session id.
        sid: &'a str,
    },
}

/// Told of the [`RoomChange`]s the cluster makes. Called on a shard thread; must not
/// block.
pub type RoomChangeFn = Arc<dyn Fn(RoomChange<'_>) + Send + Sync>;

/// Outcome of the handshake authorization.
pub(crate) enum Verdict {
    Allow,
    Deny,
    Error(String),
}

/// Wait for the answer without blocking the shard; time out after
/// [`AUTHORIZATION_TIMEOUT`].
async fn await_answer(rx: flume::Receiver<AuthAnswer>) -> AuthAnswer {
    monoio::select! {
        r = rx.recv_async() => r.unwrap_or_else(|_| AuthAnswer::Error("authorization dropped".into())),
        _ = monoio::time::sleep(AUTHORIZATION_TIMEOUT) => AuthAnswer::Error("authorization timeout".into()),
    }
}

impl Server {
    /// Global authorization answered later, from any thread, through the [`AuthReply`].
    /// The handshake request waits (the shard keeps running). When a synchronous
    /// [`Server::authorization`] is set too, it runs first.
    pub fn authorization_async(
        &mut self,
        f: impl Fn(HandshakeData, AuthReply) + Send + Sync + 'static,
    ) -> &mut Self {
        self.authorization_async = Some(Arc::new(f));
        self
    }

    /// Connection hand-back (see [`super::Handback`]): on with `Some` (the paths under
    /// the resource the host serves itself), off with `None` (the default). Changeable
    /// after start with [`EmbedHandle::set_handback`]. Has no effect without
    /// [`Server::on_handback`].
    pub fn handback(&mut self, handback: Option<super::Handback>) -> &mut Self {
        self.handback = handback;
        self
    }

    /// The function that takes connections handed back (see [`HandbackFn`]). Without
    /// it, hand-back never happens.
    pub fn on_handback(&mut self, f: HandbackFn) -> &mut Self {
        self.handback_fn = Some(f);
        self
    }

    /// Remove the asynchronous global authorization (0.9's `io.set('authorization',
    /// false)`).
    pub fn authorization_async_off(&mut self) -> &mut Self {
        self.authorization_async = None;
        self
    }

    /// Be told of the room membership changes other nodes of the cluster make (a host
    /// that mirrors 0.9's `io.rooms` / `io.roomClients` itself). Changes this node's own
    /// app makes are not reported: the host made them.
    pub fn on_cluster_rooms(&mut self, f: RoomChangeFn) -> &mut Self {
        self.room_change_fn = Some(f);
        self
    }

    /// Start the shards without a listener: connections arrive only through
    /// [`EmbedHandle::adopt_connection`].
    pub fn start_adopt_only(self) -> std::io::Result<ServerHandle> {
        self.start_with(None)
    }
}

impl Namespace {
    /// Namespace authorization answered later, from any thread (replaces the
    /// synchronous one for this namespace).
    pub fn authorization_async(
        &mut self,
        f: impl Fn(HandshakeData, &str, AuthReply) + Send + Sync + 'static,
    ) -> &mut Self {
        self.auth_async = Some(Arc::new(f));
        self
    }

    /// Remove this namespace's asynchronous authorization.
    pub fn authorization_async_off(&mut self) -> &mut Self {
        self.auth_async = None;
        self
    }
}

impl ShardState {
    /// Run the global authorizations (synchronous first, then asynchronous).
    pub(crate) async fn authorize_handshake(&self, data: &mut HandshakeData) -> Verdict {
        if let Some(auth) = &self.srv.authorization {
            match auth(data) {
                Ok(true) => {}
                Ok(false) => return Verdict::Deny,
                Err(e) => return Verdict::Error(e),
            }
        }
        let Some(auth) = self.live().authorization_async.clone() else {
            return Verdict::Allow;
        };
        let (reply, rx) = AuthReply::pair();
        auth(data.clone(), reply);
        match await_answer(rx).await {
            AuthAnswer::Allow(Some(d)) => {
                *data = d;
                Verdict::Allow
            }
            AuthAnswer::Allow(None) => Verdict::Allow,
            AuthAnswer::Deny => Verdict::Deny,
            AuthAnswer::Error(e) => Verdict::Error(e),
        }
    }

    /// Namespace connect with an asynchronous authorization: ask, then admit or refuse
    /// from a task when the answer arrives.
    pub(crate) fn nsp_connect_async(
        self: &Rc<Self>,
        sid: Sid,
        idx: usize,
        query: &str,
        handshake: &str,
        auth: NspAsyncAuthFn,
    ) {
        let data = match crate::protocol::json::parse(handshake) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => HandshakeData::new(),
        };
        let (reply, rx) = AuthReply::pair();
        auth(data, query, reply);
        let st = self.clone();
        self.spawn(async move {
            let name = st.srv.nsp_names.get(idx).unwrap_or("");
            match await_answer(rx).await {
                AuthAnswer::Allow(data) => {
                    debug!("client authorized for {name}");
                    // 0.9 handed the namespace authorization the session's own handshake
                    // data object: what it adds shows in `socket.handshake` from then on.
                    if let Some(d) = data {
                        if let Some(s) = st.sessions.borrow_mut().get_mut(&sid) {
                            s.handshake = Rc::from(crate::protocol::json::to_js_json(
                                &serde_json::Value::Object(d),
                            ));
                        }
                    }
                    st.nsp_admit(sid, idx);
                }
                AuthAnswer::Deny => {
                    warn!("handshake error unauthorized for {name}");
                    st.nsp_refuse(sid, idx);
                }
                AuthAnswer::Error(e) => {
                    warn!("handshake error {e} for {name}");
                    st.nsp_refuse(sid, idx);
                }
            }
        });
    }

    /// Ids and handshake data (JSON text) of this shard's sessions in set `which`.
    pub(crate) fn session_ids(&self, which: SessionSet) -> Vec<(String, String)> {
        self.sessions
            .borrow()
            .iter()
            .filter(|(_, s)| {
                !s.ended
                    && match which {
                        SessionSet::Handshaken => true,
                        SessionSet::Connected => s.connected,
                        SessionSet::Open => s.open,
                        SessionSet::Closed => s.connected && !s.open,
                    }
            })
            .map(|(sid, s)| (sid.as_str().to_owned(), s.handshake.to_string()))
            .collect()
    }

    /// The socket of `sid` on namespace `nsp`, if the session lives here and joined it.
    fn joined_socket(self: &Rc<Self>, sid: Sid, nsp: usize) -> Option<Socket> {
        let joined = self
            .sessions
            .borrow()
            .get(&sid)
            .is_some_and(|s| !s.ended && s.in_nsp(nsp));
        joined.then(|| Socket {
            st: self.clone(),
            sid,
            nsp,
        })
    }
}

impl Socket {
    /// Index of the shard that owns this socket (0-based).
    pub fn shard(&self) -> usize {
        self.st.id
    }

    /// Index of the socket's namespace in declaration order (0 = main namespace).
    pub fn namespace_index(&self) -> usize {
        self.nsp
    }

    /// The answer handle for the client's data-ack request `id` (`5:{id}+:…`), for
    /// hosts that answer later than the handler call.
    pub fn ack(&self, id: u64) -> super::Ack {
        super::Ack {
            socket: self.clone(),
            id,
        }
    }

    /// Emit with the arguments as a JSON array text; `volatile` drops it unless the
    /// transport can write now (§4.8).
    pub fn emit_raw_flags(&self, name: &str, args_json: &str, volatile: bool) {
        let mut s = String::new();
        packet::encode_event(&mut s, MessageId::None, self.nsp_name(), name, args_json);
        self.write(&s, volatile);
    }

    /// Send a message (`3:::text`), volatile or not.
    pub fn send_flags(&self, text: &str, volatile: bool) {
        let mut s = String::new();
        packet::encode_message(&mut s, MessageId::None, self.nsp_name(), text);
        self.write(&s, volatile);
    }

    /// Send a JSON message (`4:::json`) given as JSON text, volatile or not.
    pub fn json_raw(&self, json: &str, volatile: bool) {
        let mut s = String::new();
        packet::encode_json(&mut s, MessageId::None, self.nsp_name(), json);
        self.write(&s, volatile);
    }

    /// Send a JSON message (`json_text`, one JSON value) asking for the client's
    /// automatic ack (`4:{n}:…`, socket.io 0.9's `socket.json.send(data, fn)`); `cb` runs
    /// when the `6:::{n}` arrives.
    pub fn json_raw_with_ack(
        &self,
        json_text: &str,
        cb: impl FnOnce(&Socket, super::Args) + 'static,
    ) {
        self.with_ack(AckKind::Json, "", json_text, Box::new(cb));
    }

    /// [`Socket::emit_with_ack`] with the arguments as a JSON array text.
    pub fn emit_raw_with_ack(
        &self,
        name: &str,
        args_json: &str,
        cb: impl FnOnce(&Socket, super::Args) + 'static,
    ) {
        self.with_ack(AckKind::Event, name, args_json, Box::new(cb));
    }
}

/// How a connection the host accepted reaches the server ([`EmbedHandle::adopt`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Adopt {
    /// The connection carries TLS records: the server terminates TLS with its `tls cert`
    /// / `tls key`, then serves the decrypted stream. A request that is the host's is
    /// handed back as the decrypted stream (a Unix socket), TLS staying with the server.
    pub tls: bool,
    /// The connection is plaintext, but the client reached the host over TLS (a stream
    /// the host decrypted, or one the server handed back): handshakes say `secure`, the
    /// hixie `Location` is `wss://`.
    pub secure: bool,
    /// The client's address, for a descriptor that is not the client's TCP socket (a
    /// Unix socket carrying a decrypted stream); `None`: asked from the socket.
    pub peer: Option<std::net::SocketAddr>,
}

/// A cheap, clonable, `Send + Sync` handle to a running server for embedding hosts:
/// reach sockets from any thread, broadcast, adopt connections, stop.
#[derive(Clone)]
pub struct EmbedHandle {
    inner: Arc<ServerInner>,
    next_shard: Arc<AtomicUsize>,
}

impl ServerHandle {
    /// An [`EmbedHandle`] for this server.
    pub fn embed(&self) -> EmbedHandle {
        EmbedHandle {
            inner: self.inner.clone(),
            next_shard: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl EmbedHandle {
    /// Write an already encoded packet (`text`) to session `sid` wherever it lives: a
    /// shard of this node or, with a shared store, another node of the cluster (0.9's
    /// `io.sockets.socket(id).emit` for a socket the host has no handle for). False when
    /// `sid` is not a session id.
    pub fn unicast_text(&self, sid: &str, text: &str, volatile: bool) -> bool {
        let Some(sid) = Sid::parse(sid) else {
            return false;
        };
        self.inner
            .unicast(sid, crate::session::Encoded::new(text), volatile);
        true
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.inner.shard_count()
    }

    /// Index of namespace `name` (declaration order; `""` is 0).
    pub fn namespace_index(&self, name: &str) -> Option<usize> {
        self.inner.live().nsp_index.get(name).copied()
    }

    /// Name of namespace `idx`.
    pub fn namespace_name(&self, idx: usize) -> Option<&str> {
        self.inner.nsp_names.get(idx)
    }

    /// The live settings (what `io.get` reads after start).
    pub fn config(&self) -> crate::config::Config {
        self.inner.live().config.clone()
    }

    /// Change the settings while the server runs (`io.set`, `io.enable`, `io.configure`
    /// after start): `f` edits a copy; the copy is published to every shard and this
    /// returns once each has it, so it holds from the next request, packet or session
    /// on. What 0.9 reads per request or session follows (transports, origins,
    /// heartbeats and their timings, close timeout, polling duration, blacklist,
    /// destroy upgrade / buffer size, browser client options, client store expiration,
    /// match origin protocol, resource, log settings, Flash policy server and port).
    /// Start-only options ([`super::START_ONLY_OPTIONS`]) are refused with
    /// [`super::LiveError::StartOnly`] and nothing changes.
    pub fn update_config(
        &self,
        f: impl FnOnce(&mut crate::config::Config) -> Result<(), crate::config::ConfigError>,
    ) -> Result<(), super::LiveError> {
        self.inner.update_config(f)
    }

    /// `io.of(name)` while the server runs: declare namespace `name` (set up with
    /// `setup(namespace, index)` before any shard sees it) and return its index; an existing namespace's
    /// index is returned unchanged (`setup` is not called). Every shard serves it for
    /// the next connect packet once this returns.
    pub fn declare_namespace(
        &self,
        name: &str,
        setup: impl FnOnce(&mut Namespace, usize),
    ) -> usize {
        let mut idx = 0;
        let _ = self.inner.update_live(|live| {
            if let Some(&i) = live.nsp_index.get(name) {
                idx = i;
                return Err(());
            }
            idx = live.namespaces.len();
            let mut ns = Namespace::new(name);
            setup(&mut ns, idx);
            live.namespaces.push(ns);
            live.nsp_index.insert(name.to_owned(), idx);
            self.inner.nsp_names.set(idx, name.to_owned());
            Ok(())
        });
        idx
    }

    /// Change namespace `idx` while the server runs (e.g. its host-answered
    /// authorization on or off). False when no such namespace.
    pub fn update_namespace(&self, idx: usize, f: impl FnOnce(&mut Namespace)) -> bool {
        self.inner
            .update_live(|live| match live.namespaces.get_mut(idx) {
                Some(ns) => {
                    f(ns);
                    Ok(())
                }
                None => Err(()),
            })
            .is_ok()
    }

    /// Set (or with `None` remove) the host-answered global authorization while the
    /// server runs; applies to the next handshake.
    pub fn set_authorization_async(&self, f: Option<AsyncAuthFn>) {
        let _ = self.inner.update_live(|live| {
            live.authorization_async = f;
            Ok::<_, ()>(())
        });
    }

    /// Connection hand-back on (`Some`, with the paths under the resource the host
    /// serves itself) or off, for the next request of every adopted connection.
    pub fn set_handback(&self, handback: Option<super::Handback>) {
        let _ = self.inner.update_live(|live| {
            live.handback = handback.map(Arc::new);
            Ok::<_, ()>(())
        });
    }

    /// Session ids of set `which` on every shard, sorted (0.9's `io.handshaken`,
    /// `io.connected`, `io.open`, `io.closed`; see [`SessionSet`]). Blocks (up to 5 s
    /// per shard) while the shards answer; never call it on a shard thread.
    pub fn sessions(&self, which: SessionSet) -> Vec<String> {
        self.sessions_with_data(which)
            .into_iter()
            .map(|(sid, _)| sid)
            .collect()
    }

    /// [`EmbedHandle::sessions`] with each session's handshake data (JSON object text,
    /// what `socket.handshake` holds; 0.9's `io.handshaken[id]`), sorted by id.
    pub fn sessions_with_data(&self, which: SessionSet) -> Vec<(String, String)> {
        self.gather(move |st| st.session_ids(which))
    }

    /// What `f` answers on every shard, gathered and sorted. Blocks (up to 5 s per
    /// shard) while the shards answer; never call it on a shard thread.
    fn gather<T: Ord + Send + 'static>(
        &self,
        f: impl Fn(&ShardState) -> Vec<T> + Clone + Send + 'static,
    ) -> Vec<T> {
        let (tx, rx) = flume::unbounded();
        let n = self.inner.shard_count();
        for i in 0..n {
            let tx = tx.clone();
            let f = f.clone();
            self.inner.send(
                i,
                Remote::Run(Box::new(move |st| {
                    let _ = tx.send(f(st));
                })),
            );
        }
        drop(tx);
        let mut all = Vec::new();
        for _ in 0..n {
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(v) => all.extend(v),
                Err(_) => break,
            }
        }
        all.sort();
        all
    }

    /// Run `f` on the shard that owns session `sid`, with its socket on namespace
    /// `nsp`, or `None` when the session is gone or not in that namespace. Returns
    /// false (and drops `f`) when `sid` is not a session id or the server stopped.
    pub fn with_socket(
        &self,
        sid: &str,
        nsp: usize,
        f: impl FnOnce(Option<Socket>) + Send + 'static,
    ) -> bool {
        let Some(sid) = Sid::parse(sid) else {
            return false;
        };
        let owner = sid.owner(self.inner.shard_count());
        self.send(
            owner,
            Remote::Run(Box::new(move |st| f(st.joined_socket(sid, nsp)))),
        )
    }

    /// Run `f` on the shard that `sid` hashes to, with a socket for `sid` on namespace
    /// `nsp` wherever the session lives (0.9's `io.sockets.socket(id)`: see
    /// [`Socket::peer`]; emits, acks, disconnects and client data reach it on another shard
    /// or another node of the cluster). Returns false (and drops `f`) when `sid` is not a
    /// session id or the server stopped.
    pub fn with_peer(
        &self,
        sid: &str,
        nsp: usize,
        f: impl FnOnce(Socket) + Send + 'static,
    ) -> bool {
        let Some(sid) = Sid::parse(sid) else {
            return false;
        };
        let owner = sid.owner(self.inner.shard_count());
        self.send(
            owner,
            Remote::Run(Box::new(move |st| f(st.socket(sid, nsp)))),
        )
    }

    /// An emitter for namespace `idx` (broadcasts from any thread).
    pub fn emitter(&self, idx: usize) -> Option<Emitter> {
        let name = self.namespace_name(idx)?.to_owned();
        Emitter::for_namespace(self.inner.clone(), &name)
    }

    /// Session ids in room `room` of namespace `nsp` (`""`: the namespace itself) on
    /// every shard and, with a shared store, the members on other nodes of the cluster
    /// (0.9's `io.of(nsp).clients(room)`), sorted, without duplicates. Blocks (up to 5 s
    /// per shard) while the shards answer; never call it on a shard thread.
    pub fn clients(&self, nsp: &str, room: &str) -> Vec<String> {
        let key = rooms::room_key(nsp, room);
        let mut all = self.gather(move |st| st.cluster_room_members(&key));
        all.dedup();
        all
    }

    /// Every room with its members, cluster-wide (0.9's `io.rooms`): room key (`""`,
    /// `/chat`, `/chat/room`) → sorted session ids. Blocks like [`EmbedHandle::clients`].
    pub fn rooms(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut pairs = self.gather(|st| st.room_pairs());
        pairs.dedup();
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (k, sid) in pairs {
            out.entry(k).or_default().push(sid);
        }
        out
    }

    /// The room keys session `sid` is in, cluster-wide (0.9's `io.roomClients[id]`),
    /// sorted; empty for an unknown session. Blocks (up to 5 s) while its shard answers;
    /// never call it on a shard thread.
    pub fn room_clients(&self, sid: &str) -> Vec<String> {
        let Some(sid) = Sid::parse(sid) else {
            return Vec::new();
        };
        let (tx, rx) = flume::bounded(1);
        let owner = sid.owner(self.inner.shard_count());
        let sent = self.send(
            owner,
            Remote::Run(Box::new(move |st| {
                let _ = tx.send(st.rooms_of(&sid));
            })),
        );
        if !sent {
            return Vec::new();
        }
        let mut v = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
        v.sort();
        v
    }

    /// Server-side disconnect of session `sid` on namespace `nsp` wherever it lives (0.9's
    /// `io.sockets.socket(id).disconnect()`, see [`Socket::disconnect`]): a shard of this
    /// node or, with a shared store, another node of the cluster (`disconnect-remote`).
    /// A session of this node that did not join `nsp` is left alone. False when `sid`
    /// is not a session id or the namespace is unknown.
    pub fn disconnect_sid(&self, nsp: usize, sid: &str) -> bool {
        let (Some(sid), true) = (Sid::parse(sid), self.namespace_name(nsp).is_some()) else {
            return false;
        };
        let owner = sid.owner(self.inner.shard_count());
        self.send(
            owner,
            Remote::Run(Box::new(move |st| {
                if st.has_session(&sid) {
                    // A session of this node: only a socket that joined the namespace.
                    if let Some(s) = st.joined_socket(sid, nsp) {
                        s.disconnect();
                    }
                } else {
                    Socket {
                        st: st.clone(),
                        sid,
                        nsp,
                    }
                    .disconnect();
                }
            })),
        )
    }

    /// `join` (`true`) or `leave` of room `room` of namespace `nsp` for session `sid`,
    /// wherever it lives: a shard of this node or, with a shared store, another node of
    /// the cluster, which applies it (0.9's `io.sockets.socket(id).join(room)`). False
    /// when `sid` is not a session id or the namespace is unknown.
    pub fn room_op(&self, nsp: usize, sid: &str, room: &str, join: bool) -> bool {
        let (Some(sid), Some(name)) = (Sid::parse(sid), self.namespace_name(nsp)) else {
            return false;
        };
        let key = rooms::room_key(name, room);
        let owner = sid.owner(self.inner.shard_count());
        self.send(
            owner,
            Remote::Run(Box::new(move |st| st.room_op(sid, key, join))),
        )
    }

    /// Serve a TCP connection the host accepted, exactly like one the server accepted,
    /// with `initial` (what the host already read from it) as its first bytes. Takes
    /// ownership of `fd` in every case: on error it is closed.
    pub fn adopt_connection(&self, fd: OwnedFd, initial: Vec<u8>) -> std::io::Result<()> {
        self.adopt(fd, initial, &Adopt::default())
    }

    /// Serve a connection the host accepted, as `how` says (see [`Adopt`]), with
    /// `initial` (what the host already read from it) as its first bytes. Takes ownership
    /// of `fd` in every case: on error it is closed. Errors: `how.tls` without a TLS
    /// configuration (`InvalidInput`), a descriptor that is not a connected TCP socket
    /// when `how.peer` is `None`, a stopped server.
    pub fn adopt(&self, fd: OwnedFd, initial: Vec<u8>, how: &Adopt) -> std::io::Result<()> {
        if how.tls && self.inner.tls.is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a TLS connection needs `tls cert` and `tls key` set before start",
            ));
        }
        let stream = std::net::TcpStream::from(fd);
        let peer = match how.peer {
            Some(p) => p,
            None => stream.peer_addr().map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("no client address from the descriptor ({e}); one that is not a connected TCP socket needs the address given"),
                )
            })?,
        };
        stream.set_nonblocking(true)?;
        let n = self.inner.shard_count();
        let shard = self.next_shard.fetch_add(1, Ordering::Relaxed) % n;
        let fd = OwnedFd::from(stream);
        let msg = if how.tls {
            Remote::AdoptTls {
                fd,
                pre: initial,
                peer,
            }
        } else {
            Remote::Handoff {
                fd,
                pre: initial,
                peer,
                kind: ConnKind {
                    adopted: true,
                    secure: how.secure,
                },
            }
        };
        if self.send(shard, msg) {
            Ok(())
        } else {
            Err(std::io::Error::other("server stopped"))
        }
    }

    /// Ask every shard to stop (listeners close, sessions end with `server shutdown`).
    pub fn shutdown(&self) {
        for i in 0..self.inner.shard_count() {
            self.inner.send(i, Remote::Shutdown);
        }
    }

    fn send(&self, shard: usize, msg: Remote) -> bool {
        match self.inner.shards.get().and_then(|v| v.get(shard)) {
            Some(s) => s.send(msg).is_ok(),
            None => false,
        }
    }
}
