//! A websocket (or flashsocket) connection after the upgrade: the RFC 6455 / hybi
//! handshake, then one task per open connection that decodes client frames into packets
//! for the session engine and flushes the session's outlet after handling them.

use super::stream_io::{next, read_owned_inline, Flusher};
use crate::http::RequestHead;
use crate::server::dispatch::{not_handshaken, WsEnd};
use crate::server::shard_state::ShardState;
use crate::session::StreamOutlet;
use crate::sid::Sid;
use crate::transport::websocket::{self as ws, FrameDecoder, UpgradeRequest, WsError, WsEvent};
use bytes::{Bytes, BytesMut};
use monoio::io::{AsyncWriteRentExt, OwnedReadHalf, Splitable};
use monoio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use tracing::{debug, info, warn};

/// Smallest read: what an idle connection holds while its read is pending (a heartbeat
/// reply is a 15-byte frame; busier connections grow their reads, see `read_hint`).
const MIN_READ: usize = 64;
/// An empty read buffer larger than this is always released between reads.
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
    if !st.live().origins.check(origin) {
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
    let fl = Flusher::new(wr, fd);
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
    if buf.is_empty() {
        buf = BytesMut::new();
    }
    let dec = FrameDecoder::new(
        usize::try_from(st.live().config.destroy_buffer_size).unwrap_or(usize::MAX),
    );
    // The open connection becomes a task of its own holding only what it needs: this
    // set-up future (request bytes, key, timers) ends here instead of riding along.
    let conn = WsConn {
        st: st.clone(),
        outlet,
        fl,
        dec,
        buf,
        rd: Some(rd),
        sid,
        name,
    };
    st.spawn(pump(conn));
}

/// What an open websocket connection holds for its whole life (kept small: it is the
/// bulk of an idle session's memory).
struct WsConn {
    st: Rc<ShardState>,
    outlet: Rc<StreamOutlet>,
    fl: Flusher,
    dec: FrameDecoder,
    buf: BytesMut,
    rd: Option<OwnedReadHalf<TcpStream>>,
    sid: Sid,
    name: &'static str,
}

/// Run an open connection until it ends. A plain function around an `async move` block
/// on purpose: an `async fn pump(c)` would keep `c` twice in the task (its argument and
/// the local it moves into).
#[allow(clippy::manual_async_fn)]
fn pump(mut c: WsConn) -> impl std::future::Future<Output = ()> {
    async move {
        let end = read_loop(&mut c).await;
        c.st.ws_closed(c.sid, &c.outlet, end);
        if end == WsEnd::SocketError {
            c.outlet.set_dead();
        } else {
            c.outlet.close(Some(ws::CLOSE_NORMAL));
        }
        Box::pin(c.fl.finish(&c.outlet)).await;
    }
}

/// Decode what arrives, hand packets to the session engine, flush what handling queued,
/// and wait for bytes or packets; returns how the connection ended.
async fn read_loop(c: &mut WsConn) -> WsEnd {
    let (st, sid, name) = (&c.st, c.sid, c.name);
    let mut read_hint = MIN_READ;
    // Bytes that arrived with the upgrade request are handled before the first read.
    loop {
        loop {
            match c.dec.decode(&mut c.buf) {
                Ok(Some(WsEvent::Text(t))) => {
                    debug!("{name} received data packet {t}");
                    st.on_text(sid, &t);
                }
                Ok(Some(WsEvent::Ping(p))) => c.outlet.push(Bytes::from(ws::pong_frame(&p))),
                Ok(Some(WsEvent::Pong | WsEvent::Binary)) => {}
                Ok(Some(WsEvent::Close { code, .. })) => {
                    // Echo the close (RFC 6455 §5.5.1), then end.
                    c.outlet.close(Some(code.unwrap_or(ws::CLOSE_NORMAL)));
                    return WsEnd::CloseFrame;
                }
                Ok(None) => break,
                Err(WsError::TooBig { limit }) => {
                    // §3.2.2 size guard, per message: kick like a client `0::`.
                    warn!("websocket parser forced user kick: message larger than {limit} bytes");
                    st.force_disconnect(&sid);
                    return WsEnd::Server;
                }
                Err(e) => {
                    warn!("websocket parser error: {e}");
                    c.outlet.close(Some(e.close_code()));
                    return WsEnd::ProtocolError;
                }
            }
        }
        let Some(r) = c.rd.take() else {
            return WsEnd::Server;
        };
        if c.buf.is_empty() && c.buf.capacity() > IDLE_KEEP.min(2 * read_hint) {
            // Nothing partial is pending: give a buffer larger than the reads need
            // back rather than pinning it while the connection idles (`read_hint`
            // falls to MIN_READ after a few small reads).
            c.buf = BytesMut::new();
        }
        let want = c
            .dec
            .pending_frame_len()
            .map_or(read_hint, |n| n.saturating_sub(c.buf.len()))
            .clamp(MIN_READ, MAX_READ_RESERVE);
        // The read lives in this task's state (no allocation per read); returning while
        // it is pending drops it, which cancels it.
        let mut read = std::pin::pin!(read_owned_inline(r, std::mem::take(&mut c.buf), want));
        // Write what handling queued, then wait for more bytes or more packets.
        let (r, b, res) = loop {
            // Boxed: the write future is large and an idle connection would otherwise
            // carry its size between writes.
            if !Box::pin(c.fl.flush(&c.outlet)).await {
                return WsEnd::SocketError;
            }
            if c.outlet.is_closing() || c.outlet.is_dead() {
                return WsEnd::Server;
            }
            if let Some(done) = next(&mut read, &c.outlet).await {
                break done;
            }
        };
        let spare = b.capacity() - b.len();
        c.rd = Some(r);
        c.buf = b;
        match res {
            Ok(0) => return WsEnd::SocketEnd,
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
                return WsEnd::SocketError;
            }
        }
    }
}
