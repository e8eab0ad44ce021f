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

/// Read size for websocket connections.
const READ_CHUNK: usize = 4096;
/// Largest single growth of the read buffer while a big frame arrives.
const MAX_READ_RESERVE: usize = 1 << 20;
/// A writer keeps its coalescing buffer between flushes only up to this size, so idle
/// connections do not pin large buffers.
const KEEP_SCRATCH: usize = 64 * 1024;
/// Likewise for the vector that takes the queued frames.
const KEEP_FRAMES: usize = 64;

/// Complete the upgrade and run the connection until it ends.
pub(crate) async fn run(
    st: Rc<ShardState>,
    stream: TcpStream,
    mut buf: BytesMut,
    head: &RequestHead,
    sid_text: &str,
    name: &'static str,
) {
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
            return;
        }
    };
    let origin = (!origin.is_empty()).then_some(origin);
    if !st.srv.origins.check(origin) {
        warn!("{}", ws::ORIGIN_MISMATCH_LOG);
        return;
    }
    let key = match ws::require_key(&req) {
        Ok(k) => k,
        Err(e) => {
            warn!("{e}");
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let fd = stream.as_raw_fd();
    let (mut rd, mut wr) = stream.into_split();
    if wr.write_all(ws::handshake_response(key)).await.0.is_err() {
        return;
    }
    let outlet = StreamOutlet::new(name);
    let writer = monoio::spawn(writer(wr, outlet.clone(), fd));
    let sid = Sid::parse(sid_text);
    let opened = sid.is_some_and(|s| st.open_ws(s, outlet.clone()));
    let Some(sid) = sid.filter(|_| opened) else {
        warn!("client not handshaken client should reconnect");
        outlet.push(not_handshaken().frame().clone());
        outlet.close(Some(ws::CLOSE_NORMAL));
        info!("transport end (error)");
        writer.await;
        return;
    };
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
        let want = dec
            .pending_frame_len()
            .map_or(READ_CHUNK, |n| n.saturating_sub(buf.len()))
            .clamp(READ_CHUNK, MAX_READ_RESERVE);
        let r = super::conn::read_into(&mut rd, &mut buf, want).await;
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
