//! A websocket (or flashsocket) connection after the upgrade: the RFC 6455 / hybi
//! handshake, a reader that decodes client frames into packets for the session engine,
//! and a writer task that flushes the session's outlet.

use super::stream_io::{next, read_owned, Flusher, PendingRead};
use crate::http::RequestHead;
use crate::server::dispatch::{not_handshaken, WsEnd};
use crate::server::shard_state::ShardState;
use crate::session::StreamOutlet;
use crate::sid::Sid;
use crate::transport::websocket::{self as ws, FrameDecoder, UpgradeRequest, WsError, WsEvent};
use bytes::{Bytes, BytesMut};
use monoio::io::{AsyncWriteRentExt, Splitable};
use monoio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use tracing::{debug, info, warn};

/// Smallest read: what an idle connection holds while its read is pending (a heartbeat
/// reply is 9 bytes, a typical event well under 256).
const MIN_READ: usize = 256;
/// An empty read buffer larger than this is released between reads.
const IDLE_KEEP: usize = 1024;
/// Largest single growth of the read buffer while a big frame arrives.
const MAX_READ_RESERVE: usize = 1 << 20;

/// Validate an upgrade request (§3.2.1): returns the `Sec-WebSocket-Key` to answer, or
/// `None` (logged) when the connection must be closed without a response.
pub(crate) fn accept(st: &ShardState, head: &RequestHead) -> Option<String> {
    let req = UpgradeRequest {
        upgrade: head.header("upgrade"),
        version: head.header("sec-websocket-version"),
        key: head.header("sec-websocket-key"),
        origin: head.header("origin"),
        sec_websocket_origin: head.header("sec-websocket-origin"),
    };
    let origin = match ws::validate_upgrade_head(&req) {
        Ok((_, origin)) => origin,
        Err(e) => {
            warn!("{e}");
            return None;
        }
    };
    let origin = (!origin.is_empty()).then_some(origin);
    if !st.srv.origins.check(origin) {
        warn!("{}", ws::ORIGIN_MISMATCH_LOG);
        return None;
    }
    match ws::require_key(&req) {
        Ok(k) => Some(k.to_owned()),
        Err(e) => {
            warn!("{e}");
            None
        }
    }
}

/// Answer the upgrade with `key` and run the connection until it ends. Spawned as a task
/// of its own, so a long-lived websocket carries none of the HTTP phase's state.
pub(crate) async fn run(
    st: Rc<ShardState>,
    stream: TcpStream,
    mut buf: BytesMut,
    key: String,
    sid: Option<Sid>,
    name: &'static str,
) {
    let _ = stream.set_nodelay(true);
    let fd = stream.as_raw_fd();
    let (rd, mut wr) = stream.into_split();
    if Box::pin(wr.write_all(ws::handshake_response(&key)))
        .await
        .0
        .is_err()
    {
        return;
    }
    drop(key);
    let outlet = StreamOutlet::new(name);
    let mut fl = Flusher::new(wr, fd);
    let opened = match sid {
        Some(s) => {
            crate::runtime::poll_conn::session_known(&st, &s).await && st.open_ws(s, outlet.clone())
        }
        None => false,
    };
    let Some(sid) = sid.filter(|_| opened) else {
        warn!("client not handshaken client should reconnect");
        outlet.push(not_handshaken().frame().clone());
        outlet.close(Some(ws::CLOSE_NORMAL));
        info!("transport end (error)");
        Box::pin(fl.finish(&outlet)).await;
        return;
    };
    let mut read_hint = MIN_READ;
    if buf.is_empty() {
        buf = BytesMut::new();
    }
    let mut dec =
        FrameDecoder::new(usize::try_from(st.srv.config.destroy_buffer_size).unwrap_or(usize::MAX));
    // Bytes that arrived with the upgrade request are handled before the first read.
    let mut pending: Option<PendingRead> = None;
    let mut rd = Some(rd);
    let mut want = read_hint;
    let end = 'conn: loop {
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(WsEvent::Text(t))) => {
                    debug!("{name} received data packet {t}");
                    st.on_text(sid, &t);
                }
                Ok(Some(WsEvent::Ping(p))) => outlet.push(Bytes::from(ws::pong_frame(&p))),
                Ok(Some(WsEvent::Pong | WsEvent::Binary)) => {}
                Ok(Some(WsEvent::Close { code, .. })) => {
                    // Echo the close (RFC 6455 §5.5.1), then end.
                    outlet.close(Some(code.unwrap_or(ws::CLOSE_NORMAL)));
                    break 'conn WsEnd::CloseFrame;
                }
                Ok(None) => break,
                Err(WsError::TooBig { limit }) => {
                    // §3.2.2 size guard, per message: kick like a client `0::`.
                    warn!("websocket parser forced user kick: message larger than {limit} bytes");
                    st.force_disconnect(&sid);
                    break 'conn WsEnd::Server;
                }
                Err(e) => {
                    warn!("websocket parser error: {e}");
                    outlet.close(Some(e.close_code()));
                    break 'conn WsEnd::ProtocolError;
                }
            }
        }
        if let Some(r) = rd.take() {
            if buf.is_empty() && buf.capacity() > IDLE_KEEP {
                // Nothing partial is pending: give a large buffer back rather than pinning
                // it while the connection idles.
                buf = BytesMut::new();
            }
            want = dec
                .pending_frame_len()
                .map_or(read_hint, |n| n.saturating_sub(buf.len()))
                .clamp(MIN_READ, MAX_READ_RESERVE);
            pending = Some(read_owned(r, std::mem::take(&mut buf), want));
        }
        // Write what handling queued, then wait for more bytes or more packets.
        let done = loop {
            if !fl.flush(&outlet).await {
                break 'conn WsEnd::SocketError;
            }
            if outlet.is_closing() || outlet.is_dead() {
                break 'conn WsEnd::Server;
            }
            let Some(p) = pending.as_mut() else {
                break 'conn WsEnd::Server;
            };
            if let Some(done) = next(p, &outlet).await {
                break done;
            }
        };
        pending = None;
        let (r, b, res) = done;
        let spare = b.capacity() - b.len();
        rd = Some(r);
        buf = b;
        match res {
            Ok(0) => break WsEnd::SocketEnd,
            Ok(n) => {
                // Grow the next read while reads fill the buffer; shrink when they don't.
                if n >= spare.max(want) {
                    read_hint = (read_hint * 2).min(MAX_READ_RESERVE);
                } else if n < read_hint / 4 {
                    read_hint = (read_hint / 2).max(MIN_READ);
                }
            }
            Err(e) => {
                debug!("websocket read error: {e}");
                break WsEnd::SocketError;
            }
        }
    };
    drop(pending);
    st.ws_closed(sid, &outlet, end);
    if end == WsEnd::SocketError {
        outlet.set_dead();
    } else {
        outlet.close(Some(ws::CLOSE_NORMAL));
    }
    Box::pin(fl.finish(&outlet)).await;
}
