//! One HTTP connection: request heads (keep-alive), routing (PROTOCOL.md §1.2), the
//! handshake, transport requests, hand-off of connections whose session lives on another
//! shard, and the application fallback for requests outside the resource.

use super::{htmlfile_conn, ws_conn};
use crate::http::{self, RequestHead, Route};
use crate::protocol::{handshake as hs, payload};
use crate::server::dispatch::not_handshaken;
use crate::server::shard_state::{Remote, ShardState};
use crate::server::{AppRequest, AppResponse};
use crate::session::PollOutlet;
use crate::sid::Sid;
use crate::transport::flash_policy;
use bytes::{Buf, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt, CancelableAsyncReadRent, Canceller};
use monoio::net::TcpStream;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;
use tracing::{debug, info, warn};

/// Read-buffer growth step.
const READ_CHUNK: usize = 4096;

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
                    let sid = sid.to_owned();
                    buf.advance(head.head_len);
                    ws_conn::run(st.clone(), stream, buf, &head, &sid, name).await;
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
            Route::Handshake => st.handshake(&head, peer, &mut out),
            Route::Transport { transport, sid } => {
                let query = head.target.split_once('?').map_or("", |(_, q)| q);
                if transport == "htmlfile"
                    && matches!(head.method, http::Method::Get)
                    && !http::query_has(query, "disconnect")
                    && st.srv.transport_names.contains(&"htmlfile")
                {
                    htmlfile_conn::run(st.clone(), stream, buf, Sid::parse(sid)).await;
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

/// A plain HTTP request naming a session. Returns false when the connection must be
/// closed without an answer (§1.9).
/// The connection a request arrived on (a pending poll watches it for an abort).
struct Conn<'a> {
    stream: &'a mut TcpStream,
    buf: &'a mut BytesMut,
}

/// Wait until the pending poll `outlet` has something to say or `wait` passes. Returns
/// true when the client went away meanwhile (Q-21: the poll is aborted at once).
async fn wait_poll(io: Conn<'_>, outlet: &PollOutlet, wait: Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    if !outlet.notify.is_set() {
        let canceller = Canceller::new();
        if io.buf.capacity() - io.buf.len() < READ_CHUNK / 2 {
            io.buf.reserve(READ_CHUNK);
        }
        let len = io.buf.len();
        let b = std::mem::take(io.buf);
        let mut read = std::pin::pin!(io
            .stream
            .cancelable_read(b.slice_mut(len..), canceller.handle()));
        let first = monoio::select! {
            r = &mut read => Some(r),
            _ = monoio::time::timeout(wait, outlet.notify.notified()) => None,
        };
        let (res, slice) = match first {
            Some(r) => r,
            None => {
                canceller.cancel();
                read.await
            }
        };
        *io.buf = slice.into_inner();
        match res {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => return false,
            Err(_) => return true,
        }
    }
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    let _ = monoio::time::timeout(left, outlet.notify.notified()).await;
    false
}

async fn transport_request(
    st: &Rc<ShardState>,
    head: &RequestHead,
    transport: &str,
    sid: &str,
    body: &[u8],
    out: &mut Vec<u8>,
    io: Conn<'_>,
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
    let Some(name) = st
        .srv
        .transport_names
        .iter()
        .copied()
        .find(|t| *t == transport)
    else {
        warn!("unknown transport: \"{transport}\"");
        return false;
    };
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
    if name == "websocket" || name == "flashsocket" {
        warn!("websocket connection invalid");
        return false;
    }
    let origin = head.origin();
    let sid = Sid::parse(sid);
    if matches!(head.method, http::Method::Post) {
        http::response::post_ok(out, origin, keep);
        if let Some(sid) = sid.filter(|s| st.has_session(s)) {
            if let Some(text) = post_text(name, body) {
                debug!("{name} received data packet {text}");
                st.post_packets(sid, &text);
            }
        }
        return true;
    }
    if name == "htmlfile" {
        // The htmlfile stream is built by a later milestone; until then every htmlfile
        // request is answered as for an unknown session so the client moves on.
        warn!("transport htmlfile is not active in this build");
        let mut html = String::from(hs::HTMLFILE_PREAMBLE);
        hs::htmlfile_wrap(not_handshaken().as_str(), &mut html);
        http::response::plain(out, 200, "text/html; charset=UTF-8", html.as_bytes(), false);
        return true;
    }
    let packets = match sid {
        Some(sid) if st.has_session(&sid) => {
            let outlet = PollOutlet::new(name);
            st.open_poll(sid, outlet.clone());
            let wait = Duration::from_secs_f64(st.srv.config.polling_duration.max(0.0));
            if wait_poll(io, &outlet, wait).await {
                debug!("{name} request aborted by the client");
                st.poll_aborted(sid, &outlet);
                return false;
            }
            st.poll_finished(sid, &outlet)
        }
        Some(sid) => match st.take_tombstone(&sid) {
            Some(p) => p,
            None => {
                warn!("client not handshaken client should reconnect");
                info!("transport end (error)");
                vec![not_handshaken()]
            }
        },
        None => {
            warn!("client not handshaken client should reconnect");
            vec![not_handshaken()]
        }
    };
    let mut text = String::new();
    if packets.is_empty() {
        text.push_str("8::");
    } else {
        let strs: Vec<&str> = packets.iter().map(|p| p.as_str()).collect();
        payload::encode_payload(&strs, &mut text);
    }
    debug!("{name} writing {text}");
    if name == "jsonp-polling" {
        let idx = http::query_get(query, "i")
            .filter(|i| hs::is_jsonp_index(i))
            .map_or_else(|| "0".to_owned(), |c| c.into_owned());
        let mut js = String::with_capacity(text.len() + 16);
        hs::jsonp_wrap(&idx, &text, &mut js);
        http::response::write_response(
            out,
            200,
            Some("text/javascript; charset=UTF-8"),
            &[("Connection", "Keep-Alive"), ("X-XSS-Protection", "0")],
            js.as_bytes(),
            keep,
        );
    } else {
        let mut hdrs: Vec<(&str, &str)> = vec![("Connection", "Keep-Alive")];
        if let Some(o) = origin {
            hdrs.extend(http::response::cors_headers(o));
        }
        http::response::write_response(
            out,
            200,
            Some("text/plain; charset=UTF-8"),
            &hdrs,
            text.as_bytes(),
            keep,
        );
    }
    true
}

/// The packet text of a POST body: the whole body for xhr-polling (decoded once, Q-39),
/// the JSON string in the `d` form field for jsonp-polling (Q-9: a bad `d` is logged
/// and ignored).
fn post_text(transport: &str, body: &[u8]) -> Option<String> {
    if transport != "jsonp-polling" {
        return Some(String::from_utf8_lossy(body).into_owned());
    }
    let Some(d) = http::form_field(body, "d") else {
        warn!("jsonp-polling POST without a d= field ignored");
        return None;
    };
    match crate::protocol::json::parse(&d) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => {
            warn!("jsonp-polling POST whose d= is not a JSON string ignored");
            None
        }
    }
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
