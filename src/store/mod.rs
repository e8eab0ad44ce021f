//! The store seam (PROTOCOL.md §6.1, DESIGN.md §4): per-client data shared beyond one
//! shard. Calls complete through callbacks so that a networked store (Redis) can answer
//! later without blocking a shard; the in-process [`MemoryStore`] answers at once.

pub mod memory;
pub mod redis;
pub mod redis_wire;

pub use memory::MemoryStore;
pub use redis::{RedisStore, RedisUrls};

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

/// What another node of the cluster published, decoded (called on the store's own thread).
pub type ClusterSink = Box<dyn Fn(redis_wire::Received) + Send + Sync>;

/// Per-client data (`socket.set/get/has/del`, PROTOCOL.md §5.7), keyed by session id,
/// and the bus to other nodes (§6.1; a single-process store has none).
pub trait Store: Send + Sync + 'static {
    /// Start listening to other nodes; `sink` receives what they publish (every channel of
    /// PROTOCOL.md §6.4, own messages already filtered out). Called once when the server
    /// starts. The default (single process) does nothing.
    fn start(&self, sink: ClusterSink) {
        let _ = sink;
    }
    /// This node's cluster id, or `None` for a single-process store (then nothing is
    /// published and the engine skips building cluster messages).
    fn node_id(&self) -> Option<u32> {
        None
    }
    /// Publish `msg` to the other nodes, with sio09's envelope extensions `ext` (key, raw
    /// JSON value; see [`redis_wire::encode_ext`]). The default (single process) does nothing.
    fn publish(&self, msg: &redis_wire::Message, ext: &[(&str, &str)]) {
        let _ = (msg, ext);
    }
    /// Store `value` under `key` for session `sid`. What `get` gives back depends on the
    /// store, as in 0.9.19: the MemoryStore keeps the value as given; the RedisStore keeps
    /// JavaScript's `String(value)` (`{"x":1}` becomes `"[object Object]"`, `42` becomes `"42"`),
    /// so applications serialise structured values themselves.
    fn set(&self, sid: &str, key: &str, value: Value, done: DoneCallback);
    /// Read `key` of session `sid` (`None` when missing; a string from the RedisStore).
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
