//! The dedicated Flash policy listener (PROTOCOL.md §3.3): on `flash policy port` (all
//! interfaces), every accepted connection gets the policy document at once and is closed,
//! without waiting for the request. Runs on shard 0 when `flashsocket` is among the
//! transports and `flash policy server` is on; a port that cannot be bound is logged and
//! only the inline answer on the main port remains.

use crate::server::shard_state::ShardState;
use crate::transport::flash_policy::policy_document;
use bytes::Bytes;
use monoio::io::{AsyncWriteRent, AsyncWriteRentExt};
use monoio::net::{ListenerOpts, TcpListener};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;
use tracing::{debug, error, info, warn};

/// Whether the configuration asks for the dedicated listener, and on which port.
pub(crate) fn policy_port(st: &ShardState) -> Option<u16> {
    let live = st.live();
    let cfg = &live.config;
    if !cfg.flash_policy_server || !live.transport_names.contains(&"flashsocket") {
        return None;
    }
    u16::try_from(cfg.flash_policy_port).ok()
}

/// Start, stop or move the dedicated listener to what the live settings ask for
/// (shard 0, at start and after every settings change). Dropping the running
/// listener's stop sender ends it, which closes its port.
pub(crate) fn sync(st: &Rc<ShardState>) {
    let want = if st.stopping.get() {
        None
    } else {
        policy_port(st)
    };
    let mut cur = st.flash.borrow_mut();
    if cur.as_ref().map(|(p, _)| *p) == want {
        return;
    }
    *cur = None;
    if let Some(port) = want {
        let (tx, rx) = flume::bounded::<()>(1);
        *cur = Some((port, tx));
        st.spawn(serve(st.clone(), port, rx));
    }
}

/// Serve the policy file until the shard stops or `stop`'s sender is dropped.
pub(crate) async fn serve(st: Rc<ShardState>, port: u16, stop: flume::Receiver<()>) {
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let opts = ListenerOpts::new().reuse_port(false).reuse_addr(true);
    let listener = match TcpListener::bind_with_config(addr, &opts) {
        Ok(l) => l,
        Err(e) => {
            error!(
                "flash policy server cannot listen on port {port}: {e}; only the inline answer on the main port remains"
            );
            return;
        }
    };
    info!("flash policy server listening on port {port}");
    while !st.stopping.get() {
        let accepted = monoio::select! {
            r = listener.accept() => r,
            _ = stop.recv_async() => break,
        };
        match accepted {
            Ok((mut s, peer)) => {
                // The live origins: a change applies to the next client.
                let doc = Bytes::from(policy_document(&st.live().config.origins));
                st.spawn(async move {
                    debug!("served flash policy to {peer}");
                    let _ = s.write_all(doc).await;
                    let _ = s.shutdown().await;
                });
            }
            Err(e) => {
                warn!("flash policy accept failed: {e}");
                monoio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    info!("flash policy server on port {port} stopped");
}
