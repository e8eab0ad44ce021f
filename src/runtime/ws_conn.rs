//! A websocket (or flashsocket) connection after the upgrade: the RFC 6455 / hybi
//! handshake, a reader that decodes client frames into packets for the session engine,
//! and a writer task that flushes the session's outlet.

use crate::http::RequestHead;
use crate::server::dispatch::{not_handshaken, WsEnd};
use crate::server::shard_state::ShardState;
use crate::session::{Framing, StreamOutlet};
use crate::sid::Sid;
use crate::transport::websocket::{self as ws, FrameDecoder, UpgradeRequest, WsError, WsEvent};
use bytes::{Bytes, BytesMut};
use monoio::io::{AsyncWriteRent, AsyncWriteRentExt, OwnedWriteHalf, Splitable};
use monoio::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use tracing::{debug, info, warn};

/// Smallest read: what an idle connection holds while its read is pending (a heartbeat
/// reply is 9 bytes, a typical event well under 256).
const MIN_READ: usize = 256;
/// An empty read buffer larger than this is released between reads.
const IDLE_KEEP: usize = 1024;
/// Largest single growth of the read buffer while a big frame arrives.
const MAX_READ_RESERVE: usize = 1 << 20;
/// A writer keeps its coalescing buffer between flushes only up to this size, so idle
/// connections do not pin large buffers.
const KEEP_SCRATCH: usize = 64 * 1024;
/// Likewise for the vector that takes the queued frames.
const KEEP_FRAMES: usize = 64;

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
    let (mut rd, mut wr) = stream.into_split();
    if wr.write_all(ws::handshake_response(&key)).await.0.is_err() {
        return;
    }
    let outlet = StreamOutlet::new(name);
    let writer = monoio::spawn(writer(wr, outlet.clone(), fd));
    drop(key);
    let opened = sid.is_some_and(|s| st.open_ws(s, outlet.clone()));
    let Some(sid) = sid.filter(|_| opened) else {
        warn!("client not handshaken client should reconnect");
        outlet.push(not_handshaken().frame().clone());
        outlet.close(Some(ws::CLOSE_NORMAL));
        info!("transport end (error)");
        writer.await;
        return;
    };
    let mut read_hint = MIN_READ;
    if buf.is_empty() {
        buf = BytesMut::new();
    }
    let mut dec =
        FrameDecoder::new(usize::try_from(st.srv.config.destroy_buffer_size).unwrap_or(usize::MAX));
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
        if outlet.is_closing() || outlet.is_dead() {
            break WsEnd::Server;
        }
        if buf.is_empty() && buf.capacity() > IDLE_KEEP {
            // Nothing partial is pending: give a large buffer back rather than pinning it
            // while the connection idles.
            buf = BytesMut::new();
        }
        let want = dec
            .pending_frame_len()
            .map_or(read_hint, |n| n.saturating_sub(buf.len()))
            .clamp(MIN_READ, MAX_READ_RESERVE);
        let spare = buf.capacity() - buf.len();
        let r = super::conn::read_into(&mut rd, &mut buf, want).await;
        if let Ok(n) = r {
            // Grow the next read while reads fill the buffer; shrink back when they don't.
            if n >= spare.max(want) {
                read_hint = (read_hint * 2).min(MAX_READ_RESERVE);
            } else if n < read_hint / 4 {
                read_hint = (read_hint / 2).max(MIN_READ);
            }
        }
        match r {
            Ok(0) => break WsEnd::SocketEnd,
            Ok(_) => {}
            Err(e) => {
                debug!("websocket read error: {e}");
                break WsEnd::SocketError;
            }
        }
    };
    st.ws_closed(sid, &outlet, end);
    if end == WsEnd::SocketError {
        outlet.set_dead();
    } else {
        outlet.close(Some(ws::CLOSE_NORMAL));
    }
    writer.await;
}

fn shutdown_fd(fd: RawFd) {
    // SAFETY: plain syscall on a descriptor this connection still owns (the halves hold
    // it open until both are dropped); wakes a reader blocked on it.
    unsafe {
        libc::shutdown(fd, libc::SHUT_RDWR);
    }
}

pub(crate) async fn writer(mut wr: OwnedWriteHalf<TcpStream>, outlet: Rc<StreamOutlet>, fd: RawFd) {
    let mut scratch: Vec<u8> = Vec::new();
    let mut frames: Vec<Bytes> = Vec::new();
    loop {
        outlet.notify.notified().await;
        outlet.swap_queue(&mut frames);
        if !frames.is_empty() {
            let ok = if frames.len() == 1 {
                match frames.pop() {
                    Some(f) => wr.write_all(f).await.0.is_ok(),
                    None => true,
                }
            } else {
                scratch.clear();
                for f in frames.drain(..) {
                    scratch.extend_from_slice(&f);
                }
                let (r, b) = wr.write_all(std::mem::take(&mut scratch)).await;
                scratch = b;
                if scratch.capacity() > KEEP_SCRATCH {
                    scratch = Vec::new();
                }
                r.is_ok()
            };
            if frames.capacity() > KEEP_FRAMES {
                frames = Vec::new();
            }
            if !ok {
                outlet.set_dead();
                shutdown_fd(fd);
                return;
            }
        }
        if outlet.is_dead() {
            shutdown_fd(fd);
            return;
        }
        if outlet.is_closing() {
            match outlet.framing {
                Framing::Websocket => {
                    if let Some(code) = outlet.close_code() {
                        let _ = wr.write_all(ws::close_frame(code, "")).await;
                    }
                }
                // The last chunk ends the htmlfile stream.
                Framing::Htmlfile => {
                    let _ = wr.write_all(&b"0\r\n\r\n"[..]).await;
                }
            }
            let _ = wr.shutdown().await;
            shutdown_fd(fd);
            return;
        }
    }
}
