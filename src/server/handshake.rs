//! The handshake (PROTOCOL.md §1.4–§1.7, §4.10): origin check, handshake data, global
//! authorization, a new session id owned by this shard, and the (JSONP) answer.

use super::embed::Verdict;
use super::shard_state::ShardState;
use crate::http::{self, RequestHead};
use crate::protocol::handshake as hs;
use crate::sid::Sid;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::{debug, error, info, warn};

impl ShardState {
    /// Answer a handshake request into `out`. Waits (without blocking the shard) while
    /// an asynchronous authorization is pending.
    pub async fn handshake(
        &self,
        head: &RequestHead,
        peer: SocketAddr,
        secure: bool,
        out: &mut Vec<u8>,
    ) {
        let keep = head.keep_alive;
        let query = head.target.split_once('?').map_or("", |(_, q)| q);
        let jsonp = http::query_get(query, "jsonp")
            .filter(|j| hs::is_jsonp_index(j))
            .map(|j| j.into_owned());
        let origin_header = head.header("origin");
        let fail = |out: &mut Vec<u8>, status: u16, msg: &str, cors: bool| match &jsonp {
            Some(i) => http::response::handshake_ok_jsonp(out, &hs::jsonp_error(i, msg), keep),
            None => http::response::handshake_fail(
                out,
                status,
                msg,
                if cors { origin_header } else { None },
                keep,
            ),
        };
        let origin = http::handshake_origin(head);
        if !self.live().origins.check(origin) {
            match origin {
                Some(o) => warn!("illegal origin: {o}"),
                None => warn!("origin missing from handshake, yet required by config"),
            }
            fail(out, 403, "handshake bad origin", false);
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let addr = http::PeerAddr {
            ip: peer.ip().to_string(),
            port: peer.port(),
        };
        let mut data = http::handshake_data(head, &addr, now, secure);
        match self.authorize_handshake(&mut data).await {
            Verdict::Allow => debug!("client authorized"),
            Verdict::Deny => {
                info!("handshake unauthorized");
                fail(out, 403, "handshake unauthorized", true);
                return;
            }
            Verdict::Error(e) => {
                warn!("handshake error {e}");
                fail(out, 500, "handshake error", true);
                return;
            }
        }
        let sid = match Sid::generate(self.id, self.srv.shard_count()) {
            Ok(s) => s,
            Err(e) => {
                error!("cannot draw a session id from the OS RNG: {e}");
                fail(out, 500, "handshake error", true);
                return;
            }
        };
        self.add_session(sid, data, now);
        // Read after the authorization: a change made meanwhile applies.
        let live = self.live();
        let cfg = &live.config;
        let body = hs::handshake_body(
            sid.as_str(),
            cfg.handshake_heartbeat_timeout(),
            cfg.handshake_close_timeout(),
            &live.transport_names,
        );
        info!("handshake authorized {sid}");
        match &jsonp {
            Some(i) => {
                let mut js = String::new();
                hs::jsonp_wrap(i, &body, &mut js);
                http::response::handshake_ok_jsonp(out, &js, keep);
            }
            None => http::response::handshake_ok(out, &body, origin_header, keep),
        }
    }
}
