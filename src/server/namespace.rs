//! Namespaces (`io.of("/chat")`, PROTOCOL.md §5.2): authorization and handlers, declared
//! before the server starts and shared read-only by every shard.

use super::args::{Args, Message};
use super::socket::{Ack, Socket};
use crate::session::HandshakeData;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Namespace authorization: handshake data and the connect packet's query string
/// `Ok(true)` admits, `Ok(false)` refuses (`7::/nsp:2`), `Err` is logged and
/// refused the same way.
pub type NspAuthFn = Arc<dyn Fn(&HandshakeData, &str) -> Result<bool, String> + Send + Sync>;
/// `connection` handler.
pub type ConnectionFn = Arc<dyn Fn(&Socket) + Send + Sync>;
/// `disconnect` handler with the reason (PROTOCOL.md §4.7).
pub type DisconnectFn = Arc<dyn Fn(&Socket, &str) + Send + Sync>;
/// `message` handler; `Some(ack)` when the client asked for a data ack.
pub type MessageFn = Arc<dyn Fn(&Socket, Message, Option<Ack>) + Send + Sync>;
/// Handler of one named event.
pub type EventFn = Arc<dyn Fn(&Socket, Args, Option<Ack>) + Send + Sync>;
/// Handler of any event without a named handler.
pub type AnyEventFn = Arc<dyn Fn(&Socket, &str, Args, Option<Ack>) + Send + Sync>;

/// A namespace: its name and handlers.
#[derive(Clone, Default)]
pub struct Namespace {
    pub(crate) name: String,
    pub(crate) auth: Option<NspAuthFn>,
    pub(crate) auth_async: Option<super::embed::NspAsyncAuthFn>,
    pub(crate) on_connection: Vec<ConnectionFn>,
    pub(crate) on_disconnect: Vec<DisconnectFn>,
    pub(crate) on_message: Vec<MessageFn>,
    pub(crate) events: FxHashMap<String, Vec<EventFn>>,
    pub(crate) on_any: Vec<AnyEventFn>,
}

impl Namespace {
    pub(crate) fn new(name: &str) -> Namespace {
        Namespace {
            name: name.to_owned(),
            ..Default::default()
        }
    }

    /// The namespace name (`""` for the main namespace).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Set the namespace authorization (PROTOCOL.md §4.9).
    pub fn authorization(
        &mut self,
        f: impl Fn(&HandshakeData, &str) -> Result<bool, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.auth = Some(Arc::new(f));
        self
    }

    /// Run `f` for every socket that connects to this namespace.
    pub fn on_connection(&mut self, f: impl Fn(&Socket) + Send + Sync + 'static) -> &mut Self {
        self.on_connection.push(Arc::new(f));
        self
    }

    /// Run `f` when a socket of this namespace disconnects, with the reason.
    pub fn on_disconnect(
        &mut self,
        f: impl Fn(&Socket, &str) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_disconnect.push(Arc::new(f));
        self
    }

    /// Run `f` for every `message` (packet types 3 and 4).
    pub fn on_message(
        &mut self,
        f: impl Fn(&Socket, Message, Option<Ack>) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_message.push(Arc::new(f));
        self
    }

    /// Run `f` for every event called `name`.
    pub fn on(
        &mut self,
        name: &str,
        f: impl Fn(&Socket, Args, Option<Ack>) + Send + Sync + 'static,
    ) -> &mut Self {
        self.events
            .entry(name.to_owned())
            .or_default()
            .push(Arc::new(f));
        self
    }

    /// Run `f` for every event that has no handler of its own name.
    pub fn on_any(
        &mut self,
        f: impl Fn(&Socket, &str, Args, Option<Ack>) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_any.push(Arc::new(f));
        self
    }
}
