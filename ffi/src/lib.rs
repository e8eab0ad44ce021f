//! libsio09: the C ABI of the sio09 Socket.IO 0.9 server (the contract is
//! `ffi/SPEC.md`, the rules `C-ABI.md`; the header `include/sio09.h` is generated from
//! this crate by cbindgen).
//!
//! Threads: the server runs on its own shard threads. Events are queued there and
//! drained by the host on its own thread (`sio_server_poll_events`, or
//! `sio_server_dispatch` with a callback), signalled by an eventfd. Commands
//! (`sio_emit`, `sio_join`, …) may be called from any thread; they are copied and
//! run on the shard that owns the socket.
//!
//! Panics: every entry point catches panics and returns `SIO_E_PANIC`; a panic in an
//! event handler on a shard becomes an `SIO_EV_ERROR` event. A panic in the shard
//! machinery itself (outside a handler) ends that shard thread.

#![deny(missing_docs)]
#![allow(clippy::missing_safety_doc)]

mod boundary;

pub mod auth;
pub mod commands;
pub mod event;
mod handlers;
mod ids;
pub mod lifecycle;
pub mod options;
pub mod peer;
pub mod poll;
pub mod result;
pub mod rooms;
pub mod server;
pub mod store;

#[cfg(test)]
mod tests;

/// The major version of the C ABI (the SONAME is `libsio09.so.<major>`).
pub const SIO_ABI_MAJOR: u32 = 0;
/// The minor version of the C ABI (additions only).
pub const SIO_ABI_MINOR: u32 = 1;
