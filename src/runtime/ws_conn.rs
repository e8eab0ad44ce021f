//! A websocket (or flashsocket) connection after the upgrade: the RFC 6455 / hybi or the
//! hixie-75/76 handshake, then one task per open connection that decodes client frames into
//! packets for the session engine and flushes the session's outlet after handling them.

use super::stream_io::{next, read_owned_inline, Flusher};
use crate::http::RequestHead;
use crate::server::dispatch::{not_handshaken, WsEnd};
use crate::server::shard_state::ShardState;
use crate::session::{Framing, StreamOutlet};
use crate::sid::Sid;
use crate::transport::hixie::{self, HixieEvent};
use crate::transport::websocket::{self as ws, FrameDecoder, UpgradeRequest, WsError, WsEvent};
use bytes::{Bytes, BytesMut};
use monoio::io::{AsyncWriteRentExt, OwnedReadHalf, Splitable};
use monoio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// Smallest read: what an idle connection holds while its read is pending (a heartbeat
/// reply is a 15-byte frame; busier connections grow their reads, see `read_hint`).
const MIN_READ: usize = 64;
/// An empty read buffer larger than this is always released between reads.
const IDLE_KEEP: usize = 1024;
/// Largest single growth of the read buffer while a big frame arrives.
const MAX_READ_RESERVE: usize = 1 << 20;

/// How long a hixie-76 client may take to send the 8 bytes after its request head (they can
/// come late: HAProxy forwards them only after the `101`). A client that sends its head
/// and then nothing would otherwise hold the connection forever.
const NONCE_TIMEOUT: Duration = Duration::from_secs(10);

/// An upgrade that passed validation: what answers it.
pub(crate) enum Accepted {
    /// RFC 6455 / hybi-07..12: the `Sec-WebSocket-Key`.
    Rfc(String),
    /// hixie-75/76: the prepared handshake.
    Hixie(Box<hixie::Handshake>),
}

/// Validate an upgrade request (§3.2.1, or §3.2.3 for the hixie drafts): returns how to
/// answer it, or `None` (logged) when the connection must be closed without a response.
/// `secure`: the connection is TLS (the hixie `Location` is then `wss://`).
pub(crate) fn accept(st: &ShardState, head: &RequestHead, secure: bool) -> Option<Accepted> {
    if hixie::is_hixie(head.header("sec-websocket-version")) {
        return accept_hixie(st, head, secure);
    }
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
        Ok(k) => Some(Accepted::Rfc(k.to_owned())),
        Err(e) => {
            warn!("{e}");
            None
        }
    }
}

/// §3.2.3: a hixie-75/76 upgrade. Unlike the reference, the `origins` check applies
/// (PROTOCOL.md Q-17).
fn accept_hixie(st: &ShardState, head: &RequestHead, secure: bool) -> Option<Accepted> {
    let origin = head.header("origin");
    if !st.live().origins.check(origin.filter(|o| !o.is_empty())) {
        warn!("{}", ws::ORIGIN_MISMATCH_LOG);
        return None;
    }
    let host = head.header("host");
    let location = hixie::location(
        st.live().config.match_origin_protocol,
        origin,
        secure,
        host,
        &head.target,
    );
    let req = hixie::HixieRequest {
        upgrade: head.header("upgrade"),
        origin,
        host,
        target: &head.target,
        key1: head.header("sec-websocket-key1"),
        key2: head.header("sec-websocket-key2"),
        protocol: head.header("sec-websocket-protocol"),
    };
    match hixie::Handshake::new(&req, &location) {
        Ok(h) => Some(Accepted::Hixie(Box::new(h))),
        Err(e) => {
            warn!("{e}");
            None
        }
    }
}

/// Answer a hixie upgrade: the response head at once, then (hixie-76) the challenge answer
/// once the 8 bytes after the request head are in (waiting at most [`NONCE_TIMEOUT`]).
/// Returns false when the connection must be dropped.
async fn hixie_handshake(stream: &mut TcpStream, buf: &mut BytesMut, h: &hixie::Handshake) -> bool {
    let mut out = h.head().to_vec();
    if let Some(answer) = h.finish(buf) {
        out.extend_from_slice(&answer);
        return stream.write_all(out).await.0.is_ok();
    }
    if stream.write_all(out).await.0.is_err() {
        return false;
    }
    let deadline = Instant::now() + NONCE_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let read = super::conn::read_into(stream, buf, hixie::NONCE_LEN);
        match monoio::time::timeout(left, read).await {
            Ok(Ok(n)) if n > 0 => {
                if let Some(answer) = h.finish(buf) {
                    return stream.write_all(answer).await.0.is_ok();
                }
            }
            Ok(_) => {
                debug!("hixie-76 client left before sending the 8 bytes after its request head");
                return false;
            }
            Err(_) => {
                warn!(
                    "websocket connection invalid: hixie-76 key body (8 bytes after the request head) not received within {} s",
                    NONCE_TIMEOUT.as_secs()
                );
                return false;
            }
        }
    }
}

/// The frame decoder of a connection's draft.
enum Decoder {
    /// RFC 6455 / hybi.
    Rfc(FrameDecoder),
    /// hixie-75/76.
    Hixie(hixie::FrameDecoder),
}

impl Decoder {
    /// Bytes still missing from the frame being received, when its length is known.
    fn pending_frame_len(&self) -> Option<usize> {
        match self {
            Decoder::Rfc(d) => d.pending_frame_len(),
            Decoder::Hixie(_) => None,
        }
    }
}

/// Answer the upgrade as `accepted` says and run the connection until it ends. Spawned as
/// a task of its own, so a long-lived websocket carries none of the HTTP phase's state.
pub(crate) async fn run(
    st: Rc<ShardState>,
    mut stream: TcpStream,
    mut buf: BytesMut,
    accepted: Accepted,
    sid: Option<Sid>,
    name: &'static str,
) {
    let _ = stream.set_nodelay(true);
    let fd = stream.as_raw_fd();
    let framing = match accepted {
        Accepted::Rfc(key) => {
            let answer = ws::handshake_response(&key);
            if Box::pin(stream.write_all(answer)).await.0.is_err() {
                return;
            }
            Framing::Websocket
        }
        Accepted::Hixie(h) => {
            if !Box::pin(hixie_handshake(&mut stream, &mut buf, &h)).await {
                return;
            }
            Framing::Hixie(h.draft())
        }
    };
    let (rd, wr) = stream.into_split();
    let outlet = StreamOutlet::with_framing(name, framing);
    let fl = Flusher::new(wr, fd);
    let opened = match sid {
        Some(s) => {
            crate::runtime::poll_conn::session_known(&st, &s).await && st.open_ws(s, outlet.clone())
        }
        None => false,
    };
    let Some(sid) = sid.filter(|_| opened) else {
        warn!("client not handshaken client should reconnect");
        outlet.push_packet(not_handshaken());
        outlet.close(Some(ws::CLOSE_NORMAL));
        info!("transport end (error)");
        Box::pin(fl.finish(&outlet)).await;
        return;
    };
    if buf.is_empty() {
        buf = BytesMut::new();
    }
    let limit = usize::try_from(st.live().config.destroy_buffer_size).unwrap_or(usize::MAX);
    let dec = match framing {
        Framing::Hixie(_) => Decoder::Hixie(hixie::FrameDecoder::new(limit)),
        _ => Decoder::Rfc(FrameDecoder::new(limit)),
    };
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
    dec: Decoder,
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
    let mut read_hint = MIN_READ;
    // Bytes that arrived with the upgrade request are handled before the first read.
    loop {
        let handled = match &mut c.dec {
            Decoder::Rfc(dec) => handle_rfc(dec, &c.st, &c.outlet, &mut c.buf, c.sid, c.name),
            Decoder::Hixie(dec) => handle_hixie(dec, &c.st, &c.outlet, &mut c.buf, c.sid, c.name),
        };
        if let Some(end) = handled {
            return end;
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

/// Decode and handle every complete RFC 6455 frame in `buf`; `Some` when the connection
/// ends.
fn handle_rfc(
    dec: &mut FrameDecoder,
    st: &Rc<ShardState>,
    outlet: &StreamOutlet,
    buf: &mut BytesMut,
    sid: Sid,
    name: &str,
) -> Option<WsEnd> {
    loop {
        match dec.decode(buf) {
            Ok(Some(WsEvent::Text(t))) => {
                debug!("{name} received data packet {t}");
                st.on_text(sid, &t);
            }
            Ok(Some(WsEvent::Ping(p))) => outlet.push(Bytes::from(ws::pong_frame(&p))),
            Ok(Some(WsEvent::Pong | WsEvent::Binary)) => {}
            Ok(Some(WsEvent::Close { code, .. })) => {
                // Echo the close (RFC 6455 §5.5.1), then end.
                outlet.close(Some(code.unwrap_or(ws::CLOSE_NORMAL)));
                return Some(WsEnd::CloseFrame);
            }
            Ok(None) => return None,
            Err(WsError::TooBig { limit }) => {
                // §3.2.2 size guard, per message: kick like a client `0::`.
                warn!("websocket parser forced user kick: message larger than {limit} bytes");
                st.force_disconnect(&sid);
                return Some(WsEnd::Server);
            }
            Err(e) => {
                warn!("websocket parser error: {e}");
                outlet.close(Some(e.close_code()));
                return Some(WsEnd::ProtocolError);
            }
        }
    }
}

/// Decode and handle every complete hixie frame in `buf` (§3.2.3); `Some` when the
/// connection ends.
fn handle_hixie(
    dec: &mut hixie::FrameDecoder,
    st: &Rc<ShardState>,
    outlet: &StreamOutlet,
    buf: &mut BytesMut,
    sid: Sid,
    name: &str,
) -> Option<WsEnd> {
    loop {
        match dec.decode(buf) {
            Ok(Some(HixieEvent::Text(t))) => {
                debug!("{name} received data packet {t}");
                st.on_text(sid, &t);
            }
            Ok(Some(HixieEvent::Close)) => {
                // Answer with the closing frame (hixie-76), then end.
                outlet.close(Some(ws::CLOSE_NORMAL));
                return Some(WsEnd::CloseFrame);
            }
            Ok(None) => return None,
            Err(hixie::FrameError::TooBig { limit }) => {
                // Size guard per message, as on RFC 6455: kick like a client `0::`.
                warn!("{name} parser forced user kick: message larger than {limit} bytes");
                st.force_disconnect(&sid);
                return Some(WsEnd::Server);
            }
            Err(e) => {
                warn!("{name} parser error (hixie): {e}; connection closed");
                outlet.close(Some(ws::CLOSE_NORMAL));
                return Some(WsEnd::ProtocolError);
            }
        }
    }
}
