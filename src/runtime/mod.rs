//! The only place that does I/O (DESIGN.md §2): one monoio runtime per shard thread,
//! an SO_REUSEPORT listener per shard, the bus between shards, and the timing wheel.

pub(crate) mod bus;
pub(crate) mod conn;
pub(crate) mod flash;
pub(crate) mod htmlfile_conn;
pub(crate) mod listener;
pub(crate) mod poll_conn;
pub(crate) mod shard;
pub(crate) mod stream_io;
pub mod timers;
pub(crate) mod tls_bridge;
pub(crate) mod ws_conn;

use crate::server::{ServerHandle, ServerInner};
use std::net::SocketAddr;
use std::sync::Arc;

/// Number of shards for a `workers` setting (0 = one per available core).
pub fn shard_count(workers: usize) -> usize {
    if workers > 0 {
        workers
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Bind the listeners (none without `addr`: adopt-only, connections arrive through
/// [`crate::server::EmbedHandle::adopt_connection`]), start one thread per shard, and
/// return the handle.
pub(crate) fn start(
    inner: Arc<ServerInner>,
    addr: Option<SocketAddr>,
) -> std::io::Result<ServerHandle> {
    let n = shard_count(inner.boot.workers);
    let listeners: Vec<Option<std::net::TcpListener>> = match addr {
        Some(a) => listener::bind_all(a, n)?.into_iter().map(Some).collect(),
        None => (0..n).map(|_| None).collect(),
    };
    let unbound = SocketAddr::from(([0, 0, 0, 0], 0));
    let local_addr = match listeners.first() {
        Some(Some(l)) => l.local_addr()?,
        _ => addr.unwrap_or(unbound),
    };
    let (senders, receivers) = bus::channels(n);
    if inner.shards.set(senders).is_err() {
        return Err(std::io::Error::other("server already started"));
    }
    let mut threads = Vec::with_capacity(n);
    for (i, (l, rx)) in listeners.into_iter().zip(receivers).enumerate() {
        let inner = inner.clone();
        let t = std::thread::Builder::new()
            .name(format!("sio09-shard-{i}"))
            .spawn(move || shard::run(i, inner, l, rx))?;
        threads.push(t);
    }
    tracing::info!("socket.io started");
    match addr {
        Some(_) => tracing::debug!("{n} shard(s) listening on {local_addr}"),
        None => tracing::debug!("{n} shard(s) started without a listener (adopt-only)"),
    }
    Ok(ServerHandle {
        inner,
        threads,
        local_addr,
    })
}
