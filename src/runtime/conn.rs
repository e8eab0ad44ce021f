//! One HTTP connection: request heads (keep-alive), routing (PROTOCOL.md §1.2), the
//! handshake, transport requests, hand-off of connections whose session lives on another
//! shard, and the application fallback for requests outside the resource.

use super::poll_conn::{transport_request, Conn};
use super::{htmlfile_conn, ws_conn};
use crate::http::{self, RequestHead, Route};
use crate::server::shard_state::{Remote, ShardState};
use crate::server::{AppRequest, AppResponse};
use crate::sid::Sid;
use crate::transport::flash_policy;
use bytes::{Buf, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::rc::Rc;
use tracing::{debug, info, warn};

/// Read-buffer growth step.
pub(crate) const READ_CHUNK: usize = 1024;

/// Append what the peer sends next to `buf` (growing it as needed). Returns the
/// number of bytes read; 0 means EOF. monoio reads into the start of a `BytesMut`, so
/// the read goes into a slice over the spare capacity.
pub(crate) async fn read_into<R: AsyncReadRent>(
    r: &mut R,
    buf: &mut BytesMut,
    want: usize,
) -> std::io::Result<usize> {
    if buf.capacity() - buf.len() < want / 2 {
        buf.reserve(want);
    }
    let len = buf.len();
    let b = std::mem::take(buf);
    let (res, slice) = r.read(b.slice_mut(len..)).await;
    *buf = slice.into_inner();
    res
}

/// Read more bytes into `buf`; false on EOF or error.
pub(crate) async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> bool {
    matches!(read_into(stream, buf, READ_CHUNK).await, Ok(n) if n > 0)
}

async fn write_bytes(stream: &mut TcpStream, b: bytes::Bytes) -> bool {
    if b.is_empty() {
        return true;
    }
    stream.write_all(b).await.0.is_ok()
}

async fn write(stream: &mut TcpStream, out: Vec<u8>) -> bool {
    let (r, _) = stream.write_all(out).await;
    r.is_ok()
}

enum BodyError {
    TooLarge,
    Closed,
    Bad,
}

async fn read_body(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    head: &RequestHead,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    if head.chunked {
        let mut dec = http::ChunkedDecoder::new(limit as usize);
        let mut body = Vec::new();
        loop {
            match dec.feed(buf, &mut body) {
                Ok(true) => return Ok(body),
                Ok(false) => {}
                Err(http::BodyError::TooLarge) => return Err(BodyError::TooLarge),
                Err(_) => return Err(BodyError::Bad),
            }
            if !read_more(stream, buf).await {
                return Err(BodyError::Closed);
            }
        }
    }
    let len = head.content_length.unwrap_or(0);
    if len >= limit {
        return Err(BodyError::TooLarge);
    }
    let len = len as usize;
    while buf.len() < len {
        if !read_more(stream, buf).await {
            return Err(BodyError::Closed);
        }
    }
    Ok(buf.split_to(len).to_vec())
}

/// Move the connection (and the bytes already read) to shard `owner`.
fn hand_off(st: &ShardState, stream: TcpStream, buf: BytesMut, peer: SocketAddr, owner: usize) {
    let raw = stream.into_raw_fd();
    // SAFETY: `into_raw_fd` gave us sole ownership of an open socket descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    st.srv.send(
        owner,
        Remote::Handoff {
            fd,
            pre: buf.to_vec(),
            peer,
        },
    );
}

fn owner_of(st: &ShardState, sid: &str) -> Option<usize> {
    let o = Sid::parse(sid)?.owner(st.srv.shard_count());
    (o != st.id).then_some(o)
}

/// Serve one TCP connection until it closes or becomes a websocket.
pub(crate) async fn serve(
    st: Rc<ShardState>,
    mut stream: TcpStream,
    peer: SocketAddr,
    pre: Vec<u8>,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::from(&pre[..]);
    if st.srv.transport_names.contains(&"flashsocket") {
        // §3.3 inline policy request, recognised before any HTTP parsing.
        loop {
            if buf.is_empty() && !read_more(&mut stream, &mut buf).await {
                return;
            }
            match flash_policy::sniff(&buf) {
                flash_policy::Sniff::Policy => {
                    let doc = flash_policy::policy_document(&st.srv.config.origins);
                    write(&mut stream, doc.into_bytes()).await;
                    return;
                }
                flash_policy::Sniff::Other => break,
                flash_policy::Sniff::NeedMore => {
                    if !read_more(&mut stream, &mut buf).await {
                        return;
                    }
                }
            }
        }
    }
    loop {
        let head = loop {
            match http::parse_head(&buf) {
                Ok(Some(h)) => break h,
                Ok(None) => {}
                Err(e) => {
                    warn!("bad HTTP request from {peer}: {e:?}");
                    let mut out = Vec::new();
                    http::response::head_error(&mut out, &e);
                    write(&mut stream, out).await;
                    return;
                }
            }
            if !read_more(&mut stream, &mut buf).await {
                return;
            }
        };
        let cfg = &st.srv.config;
        debug!("setting request {:?} {}", head.method, head.target);
        if head.upgrade {
            match http::route_upgrade(&head.target, &cfg.resource) {
                Route::Transport { transport, sid } => {
                    if let Some(o) = owner_of(&st, sid) {
                        hand_off(&st, stream, buf, peer, o);
                        return;
                    }
                    let Some(name) = ws_transport_name(&st, transport) else {
                        warn!("unknown transport: \"{transport}\"");
                        return;
                    };
                    let Some(key) = ws_conn::accept(&st, &head) else {
                        return;
                    };
                    buf.advance(head.head_len);
                    let sid = Sid::parse(sid);
                    st.spawn(ws_conn::run(st.clone(), stream, buf, key, sid, name));
                    return;
                }
                _ if cfg.destroy_upgrade => {
                    debug!("destroying non-socket.io upgrade");
                    return;
                }
                // `destroy upgrade` off (§4.12): the upgrade goes to the application's
                // request handler like any request outside the resource.
                _ => {}
            }
        }
        let assets = &st.srv.assets;
        let route = http::route(
            &head.target,
            &cfg.resource,
            |p| assets.is_static(p),
            cfg.browser_client,
        );
        if let Route::Transport { sid, .. } = &route {
            if let Some(o) = owner_of(&st, sid) {
                hand_off(&st, stream, buf, peer, o);
                return;
            }
        }
        buf.advance(head.head_len);
        let body = match read_body(&mut stream, &mut buf, &head, cfg.destroy_buffer_size).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                warn!("request body from {peer} exceeds destroy buffer size; connection closed");
                let mut out = Vec::new();
                http::response::payload_too_large(&mut out);
                write(&mut stream, out).await;
                return;
            }
            Err(BodyError::Bad) => {
                let mut out = Vec::new();
                http::response::bad_request(&mut out, "Bad chunked body");
                write(&mut stream, out).await;
                return;
            }
            Err(BodyError::Closed) => return,
        };
        let keep = head.keep_alive;
        let mut out = Vec::new();
        match route {
            Route::NotOurs => app_fallback(&st, &head, &body, &mut out),
            Route::Static(path) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let r = st.srv.assets.respond(path, &head, now, keep);
                debug!("served static content {path}");
                if !write_bytes(&mut stream, r.head).await
                    || !write_bytes(&mut stream, r.body).await
                    || !keep
                {
                    return;
                }
                continue;
            }
            Route::Welcome => {
                info!("unhandled socket.io url");
                http::response::welcome(&mut out, keep);
            }
            Route::ProtocolUnsupported => {
                info!("client protocol version unsupported");
                http::response::protocol_unsupported(&mut out, keep);
            }
            Route::Handshake => st.handshake(&head, peer, &mut out).await,
            Route::Transport { transport, sid } => {
                let query = head.target.split_once('?').map_or("", |(_, q)| q);
                if transport == "htmlfile"
                    && matches!(head.method, http::Method::Get)
                    && !http::query_has(query, "disconnect")
                    && st.srv.transport_names.contains(&"htmlfile")
                {
                    st.spawn(htmlfile_conn::run(st.clone(), stream, buf, Sid::parse(sid)));
                    return;
                }
                let io = Conn {
                    stream: &mut stream,
                    buf: &mut buf,
                };
                if !transport_request(&st, &head, transport, sid, &body, &mut out, io).await {
                    return;
                }
            }
        }
        if !write(&mut stream, out).await || !keep {
            return;
        }
    }
}

fn ws_transport_name(st: &ShardState, transport: &str) -> Option<&'static str> {
    st.srv
        .transport_names
        .iter()
        .copied()
        .find(|t| *t == transport && (*t == "websocket" || *t == "flashsocket"))
}

fn app_fallback(st: &ShardState, head: &RequestHead, body: &[u8], out: &mut Vec<u8>) {
    let keep = head.keep_alive;
    match &st.srv.fallback {
        Some(f) => {
            let method = match &head.method {
                http::Method::Get => "GET",
                http::Method::Post => "POST",
                http::Method::Head => "HEAD",
                http::Method::Options => "OPTIONS",
                http::Method::Other(m) => m.as_str(),
            };
            let r: AppResponse = f(&AppRequest {
                method,
                target: &head.target,
                head,
                body,
            });
            http::response::plain(out, r.status, &r.content_type, &r.body, keep);
        }
        None => http::response::welcome(out, keep),
    }
}
