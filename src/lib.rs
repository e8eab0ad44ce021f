//! sio09: a Socket.IO 0.9 (protocol revision 1) server, wire-compatible with
//! socket.io 0.9.19, built thread-per-core on monoio (io_uring, epoll fallback).
//!
//! ```no_run
//! use sio09::{Server, Value};
//! let mut io = Server::new();
//! io.set("heartbeat interval", 10.0).expect("valid option");
//! io.sockets().on("echo", |socket, args, ack| match ack {
//!     Some(ack) => ack.send_raw(args.raw()),
//!     None => socket.emit_raw("echo", args.raw()),
//! });
//! io.of("/chat").on_connection(|socket| socket.emit("hello", &[Value::from("world")]));
//! let handle = io.listen("127.0.0.1:3000".parse().expect("addr")).expect("listen");
//! handle.wait();
//! ```
#![deny(missing_docs)]

pub mod apps;
pub mod assets;
pub mod config;
pub mod deadlines;
pub mod http;
pub mod log;
pub mod protocol;
pub(crate) mod runtime;
pub mod server;
pub mod session;
pub mod sid;
pub mod store;
pub mod tls;
pub mod transport;

pub use config::{Config, ConfigError, OptionValue};
pub use runtime::timers;
pub use serde_json::Value;
pub use server::{
    Ack, AppRequest, AppResponse, Args, Emitter, Message, Namespace, Server, ServerHandle, Socket,
};
pub use store::{MemoryStore, RedisStore, Store};
