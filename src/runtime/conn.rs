//! One HTTP connection: request heads (keep-alive), routing (PROTOCOL.md §1.2), the
//! handshake, transport requests, hand-off of connections whose session lives on another
//! shard, and the application fallback for requests outside the resource.

use super::poll_conn::transport_request;
use super::stream_io::PendingRead;
use super::{htmlfile_conn, ws_conn};
use crate::http::{self, RequestHead, Route};
use crate::server::shard_state::{ConnKind, Remote, ShardState};
use crate::server::{AppRequest, AppResponse};
use crate::sid::Sid;
use crate::transport::flash_policy;
use bytes::{Buf, Bytes, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf, Splitable};
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

/// A plain HTTP connection between requests: the two halves of its socket, the read
/// buffer, and possibly a read still in flight.
///
/// A long poll watches its connection with a read (Q-21: an abort ends the poll at once).
/// When the poll is answered, that read is not cancelled: it is parked here and becomes the
/// read of the next request, which the client sends right after the answer. That saves a
/// cancel and a fresh read (on io_uring: two submissions, an extra completion and a poll
/// re-arm) per long poll.
pub(crate) struct Io {
    /// `None` while a read is parked (the parked read owns the read half).
    rd: Option<OwnedReadHalf<TcpStream>>,
    wr: OwnedWriteHalf<TcpStream>,
    /// The bytes read and not consumed yet; empty while a read is parked.
    pub(crate) buf: BytesMut,
    parked: Option<PendingRead>,
    /// Scratch text for a poll answer's payload, kept between requests.
    pub(crate) text: String,
}

impl Io {
    fn new(stream: TcpStream, buf: BytesMut) -> Io {
        let (rd, wr) = stream.into_split();
        Io {
            rd: Some(rd),
            wr,
            buf,
            parked: None,
            text: String::new(),
        }
    }

    /// Wait for the parked read, if any. False when the connection ended meanwhile.
    async fn unpark(&mut self) -> bool {
        let Some(read) = self.parked.take() else {
            return true;
        };
        let (rd, buf, res) = read.await;
        self.rd = Some(rd);
        self.buf = buf;
        matches!(res, Ok(n) if n > 0)
    }

    /// Read more bytes into the buffer; false on EOF or error.
    pub(crate) async fn read_more(&mut self) -> bool {
        if self.parked.is_some() {
            return self.unpark().await;
        }
        match self.rd.as_mut() {
            Some(rd) => matches!(read_into(rd, &mut self.buf, READ_CHUNK).await, Ok(n) if n > 0),
            None => false,
        }
    }

    /// Start a read owning the read half and the buffer (the long-poll abort watch).
    pub(crate) fn start_read(&mut self) -> Option<PendingRead> {
        let rd = self.rd.take()?;
        Some(super::stream_io::read_owned(
            rd,
            std::mem::take(&mut self.buf),
            READ_CHUNK,
        ))
    }

    /// A read started by [`Io::start_read`] finished: take back the half and the buffer.
    pub(crate) fn read_done(&mut self, rd: OwnedReadHalf<TcpStream>, buf: BytesMut) {
        self.rd = Some(rd);
        self.buf = buf;
    }

    /// Keep a read started by [`Io::start_read`] in flight for the next request.
    pub(crate) fn park(&mut self, read: PendingRead) {
        self.parked = Some(read);
    }

    async fn write(&mut self, out: Vec<u8>) -> (bool, Vec<u8>) {
        let (r, b) = self.wr.write_all(out).await;
        (r.is_ok(), b)
    }

    async fn write_bytes(&mut self, b: bytes::Bytes) -> bool {
        if b.is_empty() {
            return true;
        }
        self.wr.write_all(b).await.0.is_ok()
    }

    /// The whole socket and the buffer again (no read may be parked).
    fn into_parts(self) -> Option<(TcpStream, BytesMut)> {
        let rd = self.rd?;
        rd.reunite(self.wr).ok().map(|s| (s, self.buf))
    }
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

/// The request body. A `Content-Length` body is split off the read buffer without a copy.
async fn read_body(io: &mut Io, head: &RequestHead, limit: u64) -> Result<Bytes, BodyError> {
    if head.chunked {
        let mut dec = http::ChunkedDecoder::new(limit as usize);
        let mut body = Vec::new();
        loop {
            match dec.feed(&mut io.buf, &mut body) {
                Ok(true) => return Ok(body.into()),
                Ok(false) => {}
                Err(http::BodyError::TooLarge) => return Err(BodyError::TooLarge),
                Err(_) => return Err(BodyError::Bad),
            }
            if !io.read_more().await {
                return Err(BodyError::Closed);
            }
        }
    }
    let len = head.content_length.unwrap_or(0);
    if len >= limit {
        return Err(BodyError::TooLarge);
    }
    let len = len as usize;
    if len == 0 {
        return Ok(Bytes::new());
    }
    while io.buf.len() < len {
        if !io.read_more().await {
            return Err(BodyError::Closed);
        }
    }
    Ok(io.buf.split_to(len).freeze())
}

/// Move the connection (and the bytes already read) to shard `owner`.
fn hand_off(
    st: &ShardState,
    stream: TcpStream,
    buf: BytesMut,
    peer: SocketAddr,
    owner: usize,
    kind: ConnKind,
) {
    let raw = stream.into_raw_fd();
    // SAFETY: `into_raw_fd` gave us sole ownership of an open socket descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    st.srv.send(
        owner,
        Remote::Handoff {
            fd,
            pre: buf.to_vec(),
            peer,
            kind,
        },
    );
}

/// Whether the request `target` on an adopted connection goes back to the host: hand-back
/// is on and the target is outside the resource or one of the host's paths.
fn hands_back(live: &crate::server::live::Live, target: &str) -> bool {
    let Some(hb) = &live.handback else {
        return false;
    };
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    if path_listed(&hb.paths, path) {
        return true;
    }
    matches!(
        http::route(target, &live.config.resource, |_| false, false),
        Route::NotOurs
    )
}

/// Whether `path` is one of the host's `paths`: equal to an entry, or starting with an
/// entry's text before a final `*` (a prefix: `/socket.io/socket.io+*` covers every custom
/// client build).
fn path_listed(paths: &[String], path: &str) -> bool {
    paths.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => p == path,
    })
}

/// Give the connection back to the host with the bytes not consumed (the request
/// head first). The descriptor is a duplicate (close-on-exec, still non-blocking: the
/// flag belongs to the open file shared with the host's own descriptor); the stream is
/// then dropped, which deregisters and closes only our descriptor.
fn give_back(st: &ShardState, stream: TcpStream, buf: BytesMut, peer: SocketAddr) {
    use std::os::fd::AsRawFd;
    let Some(f) = st.srv.handback_fn.clone() else {
        return;
    };
    if st.stopping.get() {
        return;
    }
    // SAFETY: the stream's descriptor stays open for the duration of this borrow.
    let dup =
        unsafe { std::os::fd::BorrowedFd::borrow_raw(stream.as_raw_fd()) }.try_clone_to_owned();
    drop(stream);
    match dup {
        Ok(fd) => {
            debug!("handing a connection from {peer} back to the host");
            f(fd, buf.to_vec(), peer);
        }
        Err(e) => warn!("cannot hand the connection back: {e}"),
    }
}

fn owner_of(st: &ShardState, sid: &str) -> Option<usize> {
    let o = Sid::parse(sid)?.owner(st.srv.shard_count());
    (o != st.id).then_some(o)
}

/// Serve one TCP connection until it closes or becomes a websocket.
/// `kind.adopted`: the host adopted the connection, so a request that is the host's is
/// handed back to it (see [`crate::server::Handback`]); `kind.secure`: the client reached
/// us over TLS.
pub(crate) async fn serve(
    st: Rc<ShardState>,
    mut stream: TcpStream,
    peer: SocketAddr,
    pre: Vec<u8>,
    kind: ConnKind,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::from(&pre[..]);
    if st.live().transport_names.contains(&"flashsocket") {
        // §3.3 inline policy request, recognised before any HTTP parsing.
        loop {
            if buf.is_empty() && !read_more(&mut stream, &mut buf).await {
                return;
            }
            match flash_policy::sniff(&buf) {
                flash_policy::Sniff::Policy => {
                    let doc = flash_policy::policy_document(&st.live().config.origins);
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
    let ConnKind { adopted, secure } = kind;
    let mut io = Io::new(stream, buf);
    // The response buffer, kept across the requests of the connection.
    let mut out: Vec<u8> = Vec::with_capacity(512);
    loop {
        if !io.unpark().await {
            return;
        }
        let head = loop {
            if !io.buf.is_empty() {
                match http::parse_head(&io.buf) {
                    Ok(Some(h)) => break h,
                    Ok(None) => {}
                    Err(e) => {
                        warn!("bad HTTP request from {peer}: {e:?}");
                        out.clear();
                        http::response::head_error(&mut out, &e);
                        io.write(out).await;
                        return;
                    }
                }
            }
            if !io.read_more().await {
                return;
            }
        };
        // The live settings for this request (a change applies from the next one).
        let live = st.live();
        if adopted && st.srv.handback_fn.is_some() && hands_back(&live, &head.target) {
            // Between requests: nothing is pending on the connection.
            if let Some((stream, buf)) = io.into_parts() {
                give_back(&st, stream, buf, peer);
            }
            return;
        }
        let cfg = &live.config;
        debug!("setting request {:?} {}", head.method, head.target);
        if head.upgrade || websocket_without_connection_upgrade(&head, &cfg.resource) {
            match http::route_upgrade(&head.target, &cfg.resource) {
                Route::Transport { transport, sid } => {
                    let Some((stream, mut buf)) = io.into_parts() else {
                        return;
                    };
                    if let Some(o) = owner_of(&st, sid) {
                        hand_off(&st, stream, buf, peer, o, kind);
                        return;
                    }
                    let Some(name) = ws_transport_name(&st, transport) else {
                        warn!("unknown transport: \"{transport}\"");
                        return;
                    };
                    let Some(key) = ws_conn::accept(&st, &head, secure) else {
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
        let assets = &live.assets;
        let route = http::route(
            &head.target,
            &cfg.resource,
            |p| assets.is_static(p),
            cfg.browser_client,
        );
        if let Route::Transport { sid, .. } = &route {
            if let Some(o) = owner_of(&st, sid) {
                if let Some((stream, buf)) = io.into_parts() {
                    hand_off(&st, stream, buf, peer, o, kind);
                }
                return;
            }
        }
        io.buf.advance(head.head_len);
        let body = match read_body(&mut io, &head, cfg.destroy_buffer_size).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                warn!("request body from {peer} exceeds destroy buffer size; connection closed");
                out.clear();
                http::response::payload_too_large(&mut out);
                io.write(out).await;
                return;
            }
            Err(BodyError::Bad) => {
                out.clear();
                http::response::bad_request(&mut out, "Bad chunked body");
                io.write(out).await;
                return;
            }
            Err(BodyError::Closed) => return,
        };
        let keep = head.keep_alive;
        out.clear();
        match route {
            Route::NotOurs => app_fallback(&st, &head, &body, &mut out),
            Route::Static(path) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let r = live.assets.respond(path, &head, now, keep);
                debug!("served static content {path}");
                if !io.write_bytes(r.head).await || !io.write_bytes(r.body).await || !keep {
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
            Route::Handshake => st.handshake(&head, peer, secure, &mut out).await,
            Route::Transport { transport, sid } => {
                let query = head.target.split_once('?').map_or("", |(_, q)| q);
                if transport == "htmlfile"
                    && matches!(head.method, http::Method::Get)
                    && !http::query_has(query, "disconnect")
                    && live.transport_names.contains(&"htmlfile")
                {
                    if let Some((stream, buf)) = io.into_parts() {
                        st.spawn(htmlfile_conn::run(st.clone(), stream, buf, Sid::parse(sid)));
                    }
                    return;
                }
                if !transport_request(&st, &head, transport, sid, &body, &mut out, &mut io).await {
                    return;
                }
            }
        }
        let (ok, b) = io.write(out).await;
        out = b;
        if !ok || !keep {
            return;
        }
        if out.capacity() > KEEP_OUT {
            out = Vec::with_capacity(512);
        }
    }
}

/// A connection keeps its response buffer between requests only up to this size.
const KEEP_OUT: usize = 16 * 1024;

/// A websocket or flashsocket transport request that carries `Upgrade` but no
/// `Connection: upgrade` (a proxy or an old client that rewrote `Connection`): 0.9 served
/// it as an upgrade, since its websocket transport looked only at `Upgrade` (PROTOCOL.md
/// §3.2.1: `Connection` is not validated), so sio09 does too.
fn websocket_without_connection_upgrade(head: &RequestHead, resource: &str) -> bool {
    head.header("upgrade").is_some()
        && matches!(
            http::route_upgrade(&head.target, resource),
            Route::Transport {
                transport: "websocket" | "flashsocket",
                ..
            }
        )
}

fn ws_transport_name(st: &ShardState, transport: &str) -> Option<&'static str> {
    st.live()
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

#[cfg(test)]
mod tests {
    use super::path_listed;

    #[test]
    fn handback_paths_exact_and_prefix() {
        let paths = vec![
            "/socket.io/random.js".to_owned(),
            "/socket.io/socket.io+*".to_owned(),
        ];
        assert!(path_listed(&paths, "/socket.io/random.js"));
        assert!(!path_listed(&paths, "/socket.io/random.jsx"));
        assert!(path_listed(&paths, "/socket.io/socket.io+websocket.js"));
        assert!(path_listed(&paths, "/socket.io/socket.io+"));
        assert!(!path_listed(&paths, "/socket.io/socket.io.js"));
        assert!(!path_listed(&paths, "/socket.io/1/"));
        assert!(!path_listed(&[], "/socket.io/random.js"));
    }
}
