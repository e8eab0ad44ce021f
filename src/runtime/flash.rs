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
    let cfg = &st.srv.config;
    if !cfg.flash_policy_server || !st.srv.transport_names.contains(&"flashsocket") {
        return None;
    }
    u16::try_from(cfg.flash_policy_port).ok()
}

/// Serve the policy file until the shard stops.
pub(crate) async fn serve(st: Rc<ShardState>, port: u16) {
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
    let doc = Bytes::from(policy_document(&st.srv.config.origins));
    while !st.stopping.get() {
        match listener.accept().await {
            Ok((mut s, peer)) => {
                let doc = doc.clone();
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
}
