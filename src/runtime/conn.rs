//! One HTTP connection: request heads (keep-alive), routing (PROTOCOL.md §1.2), the
//! handshake, transport requests, hand-off of connections whose session lives on another
//! shard, and the application fallback for requests outside the resource.

use super::ws_conn;
use crate::http::{self, RequestHead, Route};
use crate::server::shard_state::{Remote, ShardState};
use crate::server::{AppRequest, AppResponse};
use crate::sid::Sid;
use bytes::{Buf, BytesMut};
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::rc::Rc;
use tracing::{debug, info, warn};

/// Read-buffer growth step.
const READ_CHUNK: usize = 4096;

/// Read more bytes into `buf`; false on EOF or error.
pub(crate) async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> bool {
    if buf.capacity() - buf.len() < READ_CHUNK / 2 {
        buf.reserve(READ_CHUNK);
    }
    let b = std::mem::take(buf);
    let (r, b) = stream.read(b).await;
    *buf = b;
    matches!(r, Ok(n) if n > 0)
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
pub(crate) async fn serve(st: Rc<ShardState>, mut stream: TcpStream, peer: SocketAddr, pre: Vec<u8>) {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::from(&pre[..]);
    loop {
        let head = loop {
            match http::parse_head(&buf) {
                Ok(Some(h)) => break h,
                Ok(None) => {}
                Err(e) => {
                    warn!("bad HTTP request from {peer}: {e:?}");
                    let mut out = Vec::new();
                    http::response::bad_request(&mut out, "Bad Request");
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
                    let sid = sid.to_owned();
                    buf.advance(head.head_len);
                    ws_conn::run(st.clone(), stream, buf, &head, &sid, name).await;
                    return;
                }
                _ => {
                    debug!("destroying non-socket.io upgrade");
                    return;
                }
            }
        }
        let route = http::route(&head.target, &cfg.resource, |_| false, cfg.browser_client);
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
                // The browser client is served by a later milestone; say so plainly.
                info!("static file {path} requested; the browser client is not served by this build");
                http::response::plain(
                    &mut out,
                    404,
                    "text/plain",
                    b"Not found: this sio09 build does not serve the browser client yet.",
                    keep,
                );
            }
            Route::Welcome => {
                info!("unhandled socket.io url");
                http::response::welcome(&mut out, keep);
            }
            Route::ProtocolUnsupported => {
                info!("client protocol version unsupported");
                http::response::protocol_unsupported(&mut out, keep);
            }
            Route::Handshake => st.handshake(&head, peer, &mut out),
            Route::Transport { transport, sid } => {
                if !transport_request(&st, &head, transport, sid, &mut out) {
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

/// A plain HTTP request naming a session. Returns false when the connection must be
/// closed without an answer (§1.9).
fn transport_request(
    st: &Rc<ShardState>,
    head: &RequestHead,
    transport: &str,
    sid: &str,
    out: &mut Vec<u8>,
) -> bool {
    let keep = head.keep_alive;
    let query = head.target.split_once('?').map_or("", |(_, q)| q);
    if http::query_has(query, "disconnect") {
        // disconnect whatever the transport state.
        if let Some(sid) = Sid::parse(sid) {
            st.force_disconnect(&sid);
        }
        http::response::disconnect_ok(out, keep);
        return true;
    }
    if !st.srv.transport_names.contains(&transport) {
        warn!("unknown transport: \"{transport}\"");
        return false;
    }
    match head.method {
        http::Method::Get | http::Method::Post => {}
        http::Method::Options => {
            http::response::preflight(
                out,
                head.header("origin"),
                head.header("access-control-request-headers"),
                keep,
            );
            return true;
        }
        _ => {
            http::response::method_not_allowed(out, keep);
            return true;
        }
    }
    if transport == "websocket" || transport == "flashsocket" {
        warn!("websocket connection invalid");
        return false;
    }
    // HTTP long-polling transports are built by a later milestone; what works now is the
    // answer for an unknown session (§1.10), so clients fall back to a new handshake.
    let origin = head.header("origin");
    if matches!(head.method, http::Method::Post) {
        http::response::post_ok(out, origin, keep);
        return true;
    }
    let known = Sid::parse(sid).is_some_and(|s| st.has_session(&s));
    if known {
        warn!("transport {transport} is not active in this build");
    } else {
        warn!("client not handshaken client should reconnect");
    }
    let pkt = crate::server::dispatch::not_handshaken();
    let body = pkt.as_str();
    match transport {
        "jsonp-polling" => {
            let q = head.target.split_once('?').map_or("", |(_, q)| q);
            let idx = http::query_get(q, "i")
                .filter(|i| crate::protocol::handshake::is_jsonp_index(i))
                .map_or_else(|| "0".to_owned(), |c| c.into_owned());
            let mut js = String::new();
            crate::protocol::handshake::jsonp_wrap(&idx, body, &mut js);
            http::response::plain(
                out,
                200,
                "text/javascript; charset=UTF-8",
                js.as_bytes(),
                keep,
            );
        }
        "htmlfile" => {
            let mut html = String::from(crate::protocol::handshake::HTMLFILE_PREAMBLE);
            crate::protocol::handshake::htmlfile_wrap(body, &mut html);
            http::response::plain(out, 200, "text/html; charset=UTF-8", html.as_bytes(), false);
        }
        _ => {
            let mut hdrs: Vec<(&str, &str)> = Vec::new();
            if let Some(o) = origin {
                hdrs.extend(http::response::cors_headers(o));
            }
            http::response::write_response(
                out,
                200,
                Some("text/plain; charset=UTF-8"),
                &hdrs,
                body.as_bytes(),
                keep,
            );
        }
    }
    info!("transport end (error)");
    true
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
