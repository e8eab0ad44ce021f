//! The store seam (PROTOCOL.md §6.1, DESIGN.md §4): per-client data shared beyond one
//! shard. Calls complete through callbacks so that a networked store (Redis) can answer
//! later without blocking a shard; the in-process [`MemoryStore`] answers at once.

pub mod memory;
pub mod redis;
pub mod redis_wire;

pub use memory::MemoryStore;
pub use redis::RedisStore;

use serde_json::Value;

/// Errors a store reports to the application.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The backend could not be reached or failed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// Completion of a `get`: the value, or `None` when the key is missing.
pub type GetCallback = Box<dyn FnOnce(Result<Option<Value>, StoreError>) + Send>;
/// Completion of `has`.
pub type HasCallback = Box<dyn FnOnce(Result<bool, StoreError>) + Send>;
/// Completion of `set`/`del`.
pub type DoneCallback = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A room broadcast published by another node of the cluster (`dispatch`, §6.4).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteDispatch {
    /// Room key (§5.4).
    pub room: String,
    /// The encoded packet text.
    pub packet: String,
    /// Volatile packets are dropped for sessions whose transport is not open.
    pub volatile: bool,
    /// Session ids excluded.
    pub exceptions: Vec<String>,
}

/// Where a store delivers what other nodes published (called on the store's own thread).
pub type DispatchSink = Box<dyn Fn(RemoteDispatch) + Send + Sync>;

/// Per-client data (`socket.set/get/has/del`, PROTOCOL.md §5.7), keyed by session id,
/// and the bus to other nodes (§6.1; a single-process store has none).
pub trait Store: Send + Sync + 'static {
    /// Start listening to other nodes; `sink` receives their room broadcasts. Called once
    /// when the server starts. The default (single process) does nothing.
    fn start(&self, sink: DispatchSink) {
        let _ = sink;
    }
    /// Tell the other nodes about a room broadcast this node just delivered locally.
    /// The default (single process) does nothing.
    fn publish_dispatch(&self, room: &str, packet: &str, volatile: bool, exceptions: &[&str]) {
        let _ = (room, packet, volatile, exceptions);
    }
    /// Store `value` under `key` for session `sid`.
    fn set(&self, sid: &str, key: &str, value: Value, done: DoneCallback);
    /// Read `key` of session `sid`.
    fn get(&self, sid: &str, key: &str, done: GetCallback);
    /// Whether `key` is set for session `sid`.
    fn has(&self, sid: &str, key: &str, done: HasCallback);
    /// Delete `key` of session `sid`.
    fn del(&self, sid: &str, key: &str, done: DoneCallback);
    /// Session `sid` disconnected; its data should live `expiration_secs` more seconds
    /// (`client store expiration`). Stores that expire data themselves (Redis: `EXPIRE`)
    /// act here; the default does nothing and waits for `destroy_client`.
    fn client_disconnected(&self, sid: &str, expiration_secs: f64) {
        let _ = (sid, expiration_secs);
    }
    /// Drop all data of session `sid` now (called `client store expiration` seconds after
    /// the session disconnected).
    fn destroy_client(&self, sid: &str);
}
