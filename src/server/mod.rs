//! The application model (PROTOCOL.md §5): a [`Server`] is configured and given its
//! namespaces and handlers, then [`Server::listen`] starts the shards and returns a
//! [`ServerHandle`]. Handlers run on the shard that owns the socket's session.

pub mod args;
mod cluster;
mod cluster_rooms;
pub(crate) mod dispatch;
pub mod embed;
mod handshake;
pub(crate) mod live;
pub mod namespace;
mod polling;
mod remote_ack;
pub mod rooms;
pub(crate) mod shard_state;
pub mod socket;

pub use args::{Args, Message};
pub use embed::{
    Adopt, AuthAnswer, AuthReply, EmbedHandle, HandbackFn, RoomChange, RoomChangeFn, SessionSet,
};
pub use live::{Handback, LiveError, START_ONLY_OPTIONS};
pub use namespace::Namespace;
pub use socket::{Ack, Emitter, Socket};

use crate::config::{Config, ConfigError, OptionValue};
use crate::http::RequestHead;
use crate::session::{Encoded, HandshakeData};
use crate::sid::Sid;
use crate::store::{MemoryStore, Store};
use shard_state::{current_shard, Remote};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// Global authorization (PROTOCOL.md §4.10): may mutate the handshake data;
/// `Ok(true)` admits, `Ok(false)` answers `403 handshake unauthorized`, `Err` answers
/// `500 handshake error`.
pub type AuthFn = Arc<dyn Fn(&mut HandshakeData) -> Result<bool, String> + Send + Sync>;

/// An HTTP request outside the socket.io resource, handed to the application.
pub struct AppRequest<'a> {
    /// Method name, e.g. `GET`.
    pub method: &'a str,
    /// Raw request target, e.g. `/hello?x=1`.
    pub target: &'a str,
    /// The parsed head.
    pub head: &'a RequestHead,
    /// The request body.
    pub body: &'a [u8],
}

/// The application's answer to an [`AppRequest`].
pub struct AppResponse {
    /// HTTP status.
    pub status: u16,
    /// Content-Type header.
    pub content_type: String,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// For hosts whose handlers run later on their own thread (the C ABI): called after the
/// packets of a polling POST were handed to the handlers; a receiver returned is awaited
/// (at most 1 s) before the POST is answered, so that, as in 0.9, the packets the handlers
/// sent in reply are queued before the client's next request can arrive.
pub type PostBarrier = Arc<dyn Fn() -> Option<flume::Receiver<()>> + Send + Sync>;

/// Handler for requests outside the resource.
pub type FallbackFn = Arc<dyn Fn(&AppRequest<'_>) -> AppResponse + Send + Sync>;

/// Everything the shards share. What may change after start (settings, namespaces,
/// the host-answered global authorization) is in the [`live::Live`] snapshot.
pub(crate) struct ServerInner {
    /// The settings as they were at start: read only for the start-only options
    /// (`workers`, `io driver`, `store`); everything else reads the live snapshot.
    pub boot: Config,
    /// The authoritative live snapshot (see [`live`]).
    pub live: std::sync::RwLock<Arc<live::Live>>,
    /// Serializes live changes.
    pub live_update: std::sync::Mutex<()>,
    /// Namespace names by index (append-only, lock-free reads).
    pub nsp_names: live::NspNames,
    pub authorization: Option<AuthFn>,
    pub post_barrier: Option<PostBarrier>,
    pub fallback: Option<FallbackFn>,
    /// Takes connections handed back to the host (see [`Handback`]).
    pub handback_fn: Option<HandbackFn>,
    /// Told of the room membership changes the cluster makes (see
    /// [`Server::on_cluster_rooms`]).
    pub room_change_fn: Option<RoomChangeFn>,
    /// The `browser client handler`, kept to rebuild the assets after a change.
    pub client_handler: Option<crate::assets::ClientHandler>,
    pub store: Arc<dyn Store>,
    /// This node's cluster id when the store is shared with other nodes (RedisStore);
    /// `None` for a single process, and then no cluster message is ever built.
    pub node: Option<u32>,
    pub shards: OnceLock<Vec<flume::Sender<Remote>>>,
    /// The TLS configuration (`tls cert` / `tls key`): every connection accepted on the
    /// listener is TLS. Adopted connections stay plaintext.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl ServerInner {
    pub fn shard_count(&self) -> usize {
        self.shards.get().map_or(1, |s| s.len().max(1))
    }

    /// Send `msg` to shard `i`.
    pub fn send(&self, i: usize, msg: Remote) {
        if let Some(s) = self.shards.get().and_then(|v| v.get(i)) {
            let _ = s.send(msg);
        }
    }

    /// Deliver a packet to every member of room `key` on every shard of this node (see
    /// [`ServerInner::deliver_everywhere`]) and publish it to the other nodes of the
    /// cluster through the store.
    pub fn broadcast(&self, key: &str, packet: Encoded, except: Vec<Sid>, volatile: bool) {
        if self.node.is_some() {
            let msg = crate::store::redis_wire::Message::Dispatch {
                room: key.to_owned(),
                packet: packet.as_str().to_owned(),
                volatile,
                exceptions: except.iter().map(|s| s.as_str().to_owned()).collect(),
            };
            self.store.publish(&msg, &[]);
        }
        self.deliver_everywhere(key, packet, except, volatile);
    }

    /// Deliver a packet to every member of room `key` on every shard of this node: this
    /// thread's shard synchronously, the others over the bus. Encoded once.
    pub fn deliver_everywhere(&self, key: &str, packet: Encoded, except: Vec<Sid>, volatile: bool) {
        let here = current_shard();
        let n = self.shard_count();
        let except: Arc<[Sid]> = except.into();
        for i in 0..n {
            match &here {
                Some(st) if st.id == i => st.deliver_room(key, &packet, &except, volatile),
                _ => self.send(
                    i,
                    Remote::Deliver {
                        key: key.into(),
                        packet: packet.clone(),
                        except: except.clone(),
                        volatile,
                    },
                ),
            }
        }
    }

    /// Deliver a packet to one session wherever it lives.
    pub fn unicast(&self, sid: Sid, packet: Encoded, volatile: bool) {
        let owner = sid.owner(self.shard_count());
        match current_shard() {
            Some(st) if st.id == owner => st.write_to(&sid, packet, volatile),
            _ => self.send(
                owner,
                Remote::ToSid {
                    sid,
                    packet,
                    volatile,
                },
            ),
        }
    }
}

/// A Socket.IO 0.9 server being configured.
pub struct Server {
    config: Config,
    namespaces: Vec<Namespace>,
    authorization: Option<AuthFn>,
    authorization_async: Option<embed::AsyncAuthFn>,
    post_barrier: Option<PostBarrier>,
    fallback: Option<FallbackFn>,
    /// Set with [`Server::store`]; `None`: made from the `store` option at start.
    store: Option<Arc<dyn Store>>,
    client_handler: Option<crate::assets::ClientHandler>,
    handback: Option<Handback>,
    handback_fn: Option<HandbackFn>,
    room_change_fn: Option<RoomChangeFn>,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server with the 0.9 defaults and the main namespace.
    pub fn new() -> Server {
        Server::with_config(Config::default())
    }

    /// A server with the given settings.
    pub fn with_config(config: Config) -> Server {
        Server {
            config,
            namespaces: vec![Namespace::new("")],
            authorization: None,
            authorization_async: None,
            post_barrier: None,
            fallback: None,
            store: None,
            client_handler: None,
            handback: None,
            handback_fn: None,
            room_change_fn: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The settings, mutable (before `listen`).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// `io.set(key, value)` by the 0.9 option name.
    pub fn set(
        &mut self,
        key: &str,
        value: impl Into<OptionValue>,
    ) -> Result<&mut Self, ConfigError> {
        self.config.set(key, value.into())?;
        Ok(self)
    }

    /// `io.get(key)`.
    pub fn get(&self, key: &str) -> Result<OptionValue, ConfigError> {
        self.config.get(key)
    }

    /// `io.enable(key)`.
    pub fn enable(&mut self, key: &str) -> Result<&mut Self, ConfigError> {
        self.config.enable(key)?;
        Ok(self)
    }

    /// `io.disable(key)`.
    pub fn disable(&mut self, key: &str) -> Result<&mut Self, ConfigError> {
        self.config.disable(key)?;
        Ok(self)
    }

    /// `io.enabled(key)`.
    pub fn enabled(&self, key: &str) -> bool {
        self.config.enabled(key)
    }

    /// `io.disabled(key)`.
    pub fn disabled(&self, key: &str) -> bool {
        self.config.disabled(key)
    }

    /// `io.configure(env, fn)`: runs `f` when `NODE_ENV` (default `development`) is `env`.
    pub fn configure(&mut self, env: &str, f: impl FnOnce(&mut Config)) -> &mut Self {
        self.config.configure(env, f);
        self
    }

    /// The main namespace (`io.sockets`).
    pub fn sockets(&mut self) -> &mut Namespace {
        self.of("")
    }

    /// `io.of(name)`: the namespace, declared on first use.
    pub fn of(&mut self, name: &str) -> &mut Namespace {
        let idx = match self.namespaces.iter().position(|n| n.name == name) {
            Some(i) => i,
            None => {
                self.namespaces.push(Namespace::new(name));
                self.namespaces.len() - 1
            }
        };
        &mut self.namespaces[idx]
    }

    /// Global authorization (the `authorization` option).
    pub fn authorization(
        &mut self,
        f: impl Fn(&mut HandshakeData) -> Result<bool, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.authorization = Some(Arc::new(f));
        self
    }

    /// Answer requests outside the resource (default: `200 Welcome to socket.io.`).
    pub fn on_request(
        &mut self,
        f: impl Fn(&AppRequest<'_>) -> AppResponse + Send + Sync + 'static,
    ) -> &mut Self {
        self.fallback = Some(Arc::new(f));
        self
    }

    /// `browser client handler`: answer every static browser-client request yourself
    /// (path after the resource, request head, keep-alive) instead of the built-in files.
    pub fn browser_client_handler(
        &mut self,
        f: impl Fn(&str, &RequestHead, bool) -> crate::assets::StaticResponse + Send + Sync + 'static,
    ) -> &mut Self {
        self.client_handler = Some(Arc::new(f));
        self
    }

    /// Set the [`PostBarrier`] (embedding hosts).
    pub fn post_barrier(&mut self, f: PostBarrier) -> &mut Self {
        self.post_barrier = Some(f);
        self
    }

    /// Replace the store. Without this call the `store` option decides at start:
    /// [`MemoryStore`] (`memory`, the default) or a [`crate::RedisStore`] connected to the
    /// `store` URL (with `redis client`/`redis pub`/`redis sub`).
    pub fn store(&mut self, store: Arc<dyn Store>) -> &mut Self {
        self.store = Some(store);
        self
    }

    /// Start the shards listening on `addr` and return a handle.
    pub fn listen(self, addr: SocketAddr) -> std::io::Result<ServerHandle> {
        self.start_with(Some(addr))
    }

    /// Start the shards, listening on `addr` when given (else adopt-only, see
    /// [`Server::start_adopt_only`]).
    pub(crate) fn start_with(self, addr: Option<SocketAddr>) -> std::io::Result<ServerHandle> {
        let store: Arc<dyn Store> = match self.store {
            Some(s) => s,
            None => match &self.config.store {
                crate::config::StoreSpec::Memory => Arc::new(MemoryStore::new()),
                crate::config::StoreSpec::Redis { url } => {
                    let urls = crate::store::RedisUrls {
                        store: url.clone(),
                        publish: self.config.redis_pub.clone(),
                        subscribe: self.config.redis_sub.clone(),
                        client: self.config.redis_client.clone(),
                    };
                    Arc::new(
                        crate::RedisStore::connect_urls(&urls)
                            .map_err(|e| std::io::Error::other(format!("store: {e}")))?,
                    )
                }
            },
        };
        let tls = crate::tls::server_config(
            self.config.tls_cert.as_deref(),
            self.config.tls_key.as_deref(),
        )
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let (mut assets, warnings) = crate::assets::Assets::load(&self.config);
        for w in warnings {
            tracing::warn!("{w}");
        }
        assets.set_handler(self.client_handler.clone());
        let nsp_names = live::NspNames::new(self.namespaces.iter().map(|n| n.name.clone()));
        let live = live::Live::new(
            self.config.clone(),
            self.namespaces,
            self.authorization_async,
            assets,
            self.handback,
        );
        let inner = Arc::new(ServerInner {
            boot: self.config,
            live: std::sync::RwLock::new(Arc::new(live)),
            live_update: std::sync::Mutex::new(()),
            nsp_names,
            authorization: self.authorization,
            post_barrier: self.post_barrier,
            fallback: self.fallback,
            handback_fn: self.handback_fn,
            room_change_fn: self.room_change_fn,
            client_handler: self.client_handler,
            node: store.node_id(),
            store,
            shards: OnceLock::new(),
            tls,
        });
        let weak = Arc::downgrade(&inner);
        inner.store.start(Box::new(move |r| {
            if let Some(srv) = weak.upgrade() {
                cluster::route(&srv, r);
            }
        }));
        crate::runtime::start(inner, addr)
    }
}

/// A running server: broadcast from any thread, query, shut down, wait.
pub struct ServerHandle {
    pub(crate) inner: Arc<ServerInner>,
    pub(crate) threads: Vec<std::thread::JoinHandle<()>>,
    pub(crate) local_addr: SocketAddr,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// An emitter for namespace `name` (to broadcast from outside handlers).
    pub fn of(&self, name: &str) -> Option<Emitter> {
        Emitter::for_namespace(self.inner.clone(), name)
    }

    /// Session ids in room `room` of namespace `nsp` (all shards and, with a shared
    /// store, the members on other nodes), sorted.
    pub fn clients(&self, nsp: &str, room: &str) -> Vec<String> {
        self.embed().clients(nsp, room)
    }

    /// Ask every shard to stop: listeners close, sessions end with a close frame.
    pub fn shutdown(&self) {
        for i in 0..self.inner.shard_count() {
            self.inner.send(i, Remote::Shutdown);
        }
    }

    /// Wait for every shard thread to finish.
    pub fn wait(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}
