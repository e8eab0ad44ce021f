//! SO_REUSEPORT listeners, one per shard, all on the same address: the kernel spreads
//! new connections over the shards.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, TcpListener};

/// Pending-connection queue per listener: bursts of connects (the `storm` benchmark)
/// must not be refused.
const BACKLOG: i32 = 4096;

fn bind_one(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(BACKLOG)?;
    Ok(s.into())
}

/// Bind `n` listeners on `addr`; with port 0 the first one picks the port and the
/// others share it.
pub(crate) fn bind_all(addr: SocketAddr, n: usize) -> std::io::Result<Vec<TcpListener>> {
    let first = bind_one(addr)?;
    let actual = first.local_addr()?;
    let mut v = vec![first];
    for _ in 1..n {
        v.push(bind_one(actual)?);
    }
    Ok(v)
}
