//! HTTP/1.x request heads (parsed with `httparse`) and a chunked-body decoder.
//!
//! Everything here works on byte buffers handed in by the caller; nothing reads a
//! socket. Malformed input is reported as an error value, never a panic.

use bytes::{Buf, BytesMut};

/// Largest request head (request line + headers + blank line) we accept.
///
/// Socket.IO 0.9 clients send short heads (a few hundred bytes; cookies can add a few KiB).
/// Node.js, which the reference runs on, caps heads at 16 KiB too (`--max-http-header-size`),
/// so any client that worked with the reference fits.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Most header fields we accept in one request head.
///
/// Browsers send 10–20; 64 leaves generous room for proxies while bounding the
/// per-request parse array (it lives on the stack).
pub const MAX_HEADERS: usize = 64;

/// Longest chunk-size line (hex size plus any chunk extensions) in a chunked body.
///
/// A size needs at most 16 hex digits; extensions are never sent by real clients. The
/// bound stops a peer from making us buffer an endless line.
pub const MAX_CHUNK_LINE: usize = 1024;

/// The request method. Method names are case-sensitive (RFC 9110 §9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// Any other token, kept verbatim.
    Other(String),
}

impl Method {
    fn from_token(s: &str) -> Method {
        match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_owned()),
        }
    }

    /// The method token as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Other(s) => s,
        }
    }
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Request method.
    pub method: Method,
    /// The raw request target exactly as received (path plus query, not decoded).
    pub target: String,
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub version_minor: u8,
    /// Header fields in arrival order: lower-case name, value as lossy UTF-8.
    pub headers: Vec<(String, String)>,
    /// Number of bytes the head occupied in the buffer (the body starts here).
    pub head_len: usize,
    /// `Content-Length`, when present (several equal values are accepted as one).
    pub content_length: Option<u64>,
    /// `Transfer-Encoding` ends in `chunked`.
    pub chunked: bool,
    /// Whether the connection may stay open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub keep_alive: bool,
    /// Has an `Upgrade` header and `Connection` contains the `upgrade` token.
    pub upgrade: bool,
}

impl RequestHead {
    /// First value of the header `lower_name` (which must be given in lower case).
    pub fn header(&self, lower_name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == lower_name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of the header `lower_name`, in arrival order.
    pub fn header_all<'s>(&'s self, lower_name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n == lower_name)
            .map(|(_, v)| v.as_str())
    }

    /// The `Origin` header when present and non-empty.
    ///
    /// The reference tests `req.headers.origin` for truthiness, so an empty `Origin`
    /// counts as absent (no CORS headers, `xdomain: false`).
    pub fn origin(&self) -> Option<&str> {
        self.header("origin").filter(|v| !v.is_empty())
    }

    /// Whether some `Connection` header lists `token` (case-insensitive).
    pub fn connection_has(&self, token: &str) -> bool {
        self.header_all("connection")
            .any(|v| list_has_token(v, token))
    }

    /// The request path (target up to `?` or `#`).
    pub fn path(&self) -> &str {
        let end = self.target.find(['?', '#']).unwrap_or(self.target.len());
        self.target.get(..end).unwrap_or("")
    }

    /// The raw query string (after the first `?`, up to any `#`), without the `?`.
    pub fn query(&self) -> &str {
        super::route::target_query(&self.target)
    }
}

/// Why a request head was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// The head is longer than [`MAX_HEAD_BYTES`].
    #[error("request head exceeds {MAX_HEAD_BYTES} bytes")]
    TooLarge,
    /// More than [`MAX_HEADERS`] header fields.
    #[error("more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    /// The head is not valid HTTP/1.x (the `httparse` message).
    #[error("malformed request head: {0}")]
    Malformed(String),
    /// `Content-Length` is not a decimal number, or several disagree, or it is combined
    /// with `Transfer-Encoding`.
    #[error("bad Content-Length")]
    BadContentLength,
    /// `Transfer-Encoding` is present but its last coding is not `chunked`, so the
    /// body length cannot be determined (RFC 9112 §6.3).
    #[error("unsupported Transfer-Encoding")]
    BadTransferEncoding,
}

impl HeadError {
    /// The status code to answer with before closing the connection.
    pub fn status(&self) -> u16 {
        match self {
            HeadError::TooLarge | HeadError::TooManyHeaders => 431,
            HeadError::BadTransferEncoding => 501,
            HeadError::Malformed(_) | HeadError::BadContentLength => 400,
        }
    }
}

/// Whether a comma-separated header list contains `token` (case-insensitive, trimmed).
pub(crate) fn list_has_token(list: &str, token: &str) -> bool {
    list.split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Parse a request head from the start of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete (read more bytes and call again with
/// the whole buffer), `Ok(Some(head))` once complete (`head.head_len` bytes were used), or
/// an error. A buffer of [`MAX_HEAD_BYTES`] or more without a complete head is
/// [`HeadError::TooLarge`].
pub fn parse_head(buf: &[u8]) -> Result<Option<RequestHead>, HeadError> {
    let window = buf.get(..MAX_HEAD_BYTES).unwrap_or(buf);
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut raw);
    let head_len = match req.parse(window) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return if buf.len() >= MAX_HEAD_BYTES {
                Err(HeadError::TooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
        Err(e) => return Err(HeadError::Malformed(e.to_string())),
    };
    let method = Method::from_token(req.method.unwrap_or(""));
    let target = req.path.unwrap_or("").to_owned();
    let version_minor = req.version.unwrap_or(1);

    let mut headers = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let value = match std::str::from_utf8(h.value) {
            Ok(v) => v.to_owned(),
            Err(_) => String::from_utf8_lossy(h.value).into_owned(),
        };
        headers.push((h.name.to_ascii_lowercase(), value));
    }

    let mut content_length: Option<u64> = None;
    let mut transfer_encoding: Option<String> = None;
    for (name, value) in &headers {
        match name.as_str() {
            "content-length" => {
                // Several fields (or a list) are allowed only if all values agree.
                for part in value.split(',') {
                    let n = parse_decimal(part.trim()).ok_or(HeadError::BadContentLength)?;
                    match content_length {
                        Some(prev) if prev != n => return Err(HeadError::BadContentLength),
                        _ => content_length = Some(n),
                    }
                }
            }
            "transfer-encoding" => {
                let t = transfer_encoding.get_or_insert_with(String::new);
                if !t.is_empty() {
                    t.push(',');
                }
                t.push_str(value);
            }
            _ => {}
        }
    }
    let mut chunked = false;
    if let Some(te) = &transfer_encoding {
        let last = te
            .rsplit(',')
            .map(str::trim)
            .find(|t| !t.is_empty())
            .unwrap_or("");
        if !last.eq_ignore_ascii_case("chunked") {
            return Err(HeadError::BadTransferEncoding);
        }
        // Both framings at once is a request-smuggling vector: refuse it.
        if content_length.is_some() {
            return Err(HeadError::BadContentLength);
        }
        chunked = true;
    }

    let mut head = RequestHead {
        method,
        target,
        version_minor,
        headers,
        head_len,
        content_length,
        chunked,
        keep_alive: false,
        upgrade: false,
    };
    head.keep_alive = if head.version_minor >= 1 {
        !head.connection_has("close")
    } else {
        head.connection_has("keep-alive") && !head.connection_has("close")
    };
    head.upgrade = head.header("upgrade").is_some() && head.connection_has("upgrade");
    Ok(Some(head))
}

/// Strict decimal (digits only, at least one, no overflow).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Why a request body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The decoded body exceeds the configured limit (`destroy buffer size`).
    #[error("request body too large")]
    TooLarge,
    /// The chunked framing is invalid.
    #[error("malformed chunked body: {0}")]
    Malformed(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk-size line.
    Size,
    /// Reading chunk data; this many bytes are left.
    Data(u64),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last (zero) chunk: reading trailer lines until an empty one.
    Trailers,
    /// Finished.
    Done,
}

/// Incremental decoder for `Transfer-Encoding: chunked` request bodies.
///
/// Feed it the bytes after the head as they arrive; it consumes what it can from the
/// input buffer and appends the decoded data to `body`. Bytes after the end of the body
/// (a pipelined request) are left in the input buffer.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: ChunkState,
    limit: usize,
    trailer_bytes: usize,
}

impl ChunkedDecoder {
    /// A decoder that refuses bodies longer than `limit` decoded bytes.
    pub fn new(limit: usize) -> Self {
        ChunkedDecoder {
            state: ChunkState::Size,
            limit,
            trailer_bytes: 0,
        }
    }

    /// Whether the terminating chunk and trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consume as much of `input` as possible, appending decoded bytes to `body`.
    ///
    /// Returns `Ok(true)` once the whole body has been read, `Ok(false)` when more input
    /// is needed.
    pub fn feed(&mut self, input: &mut BytesMut, body: &mut Vec<u8>) -> Result<bool, BodyError> {
        loop {
            match self.state {
                ChunkState::Done => return Ok(true),
                ChunkState::Size => {
                    let Some(line) = take_line(input, MAX_CHUNK_LINE)? else {
                        return Ok(false);
                    };
                    let size = parse_chunk_size(&line)?;
                    if size == 0 {
                        self.state = ChunkState::Trailers;
                    } else {
                        let new_len = (body.len() as u64).saturating_add(size);
                        if new_len > self.limit as u64 {
                            return Err(BodyError::TooLarge);
                        }
                        self.state = ChunkState::Data(size);
                    }
                }
                ChunkState::Data(left) => {
                    if input.is_empty() {
                        return Ok(false);
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    let chunk = input.split_to(n);
                    body.extend_from_slice(&chunk);
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                }
                ChunkState::DataEnd => {
                    if input.len() < 2 {
                        if input.first().is_some_and(|&b| b != b'\r') {
                            return Err(BodyError::Malformed("missing CRLF after chunk data"));
                        }
                        return Ok(false);
                    }
                    if !input.starts_with(b"\r\n") {
                        return Err(BodyError::Malformed("missing CRLF after chunk data"));
                    }
                    input.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    let room = MAX_HEAD_BYTES.saturating_sub(self.trailer_bytes);
                    let Some(line) = take_line(input, room)? else {
                        return Ok(false);
                    };
                    self.trailer_bytes += line.len() + 2;
                    if line.is_empty() {
                        self.state = ChunkState::Done;
                    }
                }
            }
        }
    }
}

/// Take one CRLF-terminated line (without the CRLF) off the front of `input`.
fn take_line(input: &mut BytesMut, max: usize) -> Result<Option<Vec<u8>>, BodyError> {
    match memchr::memchr(b'\n', input) {
        None => {
            if input.len() > max {
                Err(BodyError::Malformed("line too long"))
            } else {
                Ok(None)
            }
        }
        Some(pos) => {
            if pos > max {
                return Err(BodyError::Malformed("line too long"));
            }
            let line = input.split_to(pos + 1);
            match line.strip_suffix(b"\r\n") {
                Some(l) => Ok(Some(l.to_vec())),
                None => Err(BodyError::Malformed("bare LF in chunked framing")),
            }
        }
    }
}

/// Hex chunk size, ignoring `;extensions`.
fn parse_chunk_size(line: &[u8]) -> Result<u64, BodyError> {
    let end = memchr::memchr(b';', line).unwrap_or(line.len());
    let digits = line.get(..end).unwrap_or(line);
    let digits = trim_ows(digits);
    if digits.is_empty() {
        return Err(BodyError::Malformed("empty chunk size"));
    }
    let mut size: u64 = 0;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(BodyError::Malformed("invalid chunk size")),
        };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .ok_or(BodyError::Malformed("chunk size overflow"))?;
    }
    Ok(size)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GET: &[u8] = b"GET /socket.io/1/?t=1345 HTTP/1.1\r\nHost: localhost:3000\r\nOrigin: http://example.com\r\nX-Dup: a\r\nx-dup: b\r\n\r\n";

    #[test]
    fn parses_complete_head() {
        let h = parse_head(GET).unwrap().unwrap();
        assert_eq!(h.method, Method::Get);
        assert_eq!(h.target, "/socket.io/1/?t=1345");
        assert_eq!(h.version_minor, 1);
        assert_eq!(h.head_len, GET.len());
        assert_eq!(h.header("host"), Some("localhost:3000"));
        assert_eq!(h.origin(), Some("http://example.com"));
        assert_eq!(h.header_all("x-dup").collect::<Vec<_>>(), ["a", "b"]);
        assert!(h.keep_alive);
        assert!(!h.upgrade);
        assert!(!h.chunked);
        assert_eq!(h.content_length, None);
        assert_eq!(h.path(), "/socket.io/1/");
        assert_eq!(h.query(), "t=1345");
    }

    #[test]
    fn incomplete_in_pieces() {
        for cut in 0..GET.len() {
            assert_eq!(parse_head(&GET[..cut]), Ok(None), "cut at {cut}");
        }
        let mut with_body = GET.to_vec();
        with_body.extend_from_slice(b"extra");
        assert_eq!(parse_head(&with_body).unwrap().unwrap().head_len, GET.len());
    }

    #[test]
    fn too_large() {
        let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        big.resize(MAX_HEAD_BYTES, b'a');
        assert_eq!(parse_head(&big), Err(HeadError::TooLarge));
        assert_eq!(parse_head(&big[..MAX_HEAD_BYTES - 1]), Ok(None));
        // A complete head followed by lots of body is fine.
        let mut ok = b"POST / HTTP/1.1\r\nContent-Length: 20000\r\n\r\n".to_vec();
        ok.resize(40_000, b'x');
        assert!(parse_head(&ok).unwrap().is_some());
    }

    #[test]
    fn too_many_headers() {
        let mut s = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            s.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        s.extend_from_slice(b"\r\n");
        assert_eq!(parse_head(&s), Err(HeadError::TooManyHeaders));
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            parse_head(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/2.0\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
    }

    #[test]
    fn content_length_rules() {
        let h = parse_head(b"POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.method, Method::Post);
        assert_eq!(h.content_length, Some(12));
        let h = parse_head(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.content_length, Some(5));
        for bad in [
            &b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"[..],
            b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: \r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(parse_head(bad), Err(HeadError::BadContentLength));
        }
        assert_eq!(
            parse_head(b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Err(HeadError::BadTransferEncoding)
        );
        let h = parse_head(b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(h.chunked);
    }

    #[test]
    fn keep_alive_and_upgrade() {
        let ka = |s: &[u8]| parse_head(s).unwrap().unwrap().keep_alive;
        assert!(ka(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
        assert!(ka(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
        let h = parse_head(
            b"GET /socket.io/1/websocket/abc HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert!(h.upgrade);
        let h =
            parse_head(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n")
                .unwrap()
                .unwrap();
        assert!(!h.upgrade);
        let h = parse_head(b"GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!h.upgrade);
    }

    #[test]
    fn methods() {
        let m = |s: &[u8]| parse_head(s).unwrap().unwrap().method;
        assert_eq!(m(b"OPTIONS / HTTP/1.1\r\n\r\n"), Method::Options);
        assert_eq!(m(b"HEAD / HTTP/1.1\r\n\r\n"), Method::Head);
        assert_eq!(m(b"PUT / HTTP/1.1\r\n\r\n"), Method::Other("PUT".into()));
        assert_eq!(m(b"get / HTTP/1.1\r\n\r\n"), Method::Other("get".into()));
        assert_eq!(Method::Other("PUT".into()).as_str(), "PUT");
    }

    #[test]
    fn lossy_header_values() {
        let h = parse_head(b"GET / HTTP/1.1\r\nX-A: caf\xc3\xa9 \xff\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.header("x-a"), Some("caf\u{e9} \u{fffd}"));
    }

    fn decode_all(
        input: &[u8],
        limit: usize,
        step: usize,
    ) -> Result<(Vec<u8>, Vec<u8>), BodyError> {
        let mut dec = ChunkedDecoder::new(limit);
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            if dec.feed(&mut buf, &mut body)? {
                assert!(dec.is_done());
                return Ok((body, buf.to_vec()));
            }
        }
        Err(BodyError::Malformed("incomplete"))
    }

    #[test]
    fn chunked_whole_and_in_pieces() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-T: 1\r\n\r\nGET";
        for step in 1..wire.len() {
            let (body, rest) = decode_all(wire, 100, step).unwrap();
            assert_eq!(body, b"hello, world");
            // Pipelined bytes stay in the buffer (those that were fed).
            assert!(b"GET".starts_with(&rest));
        }
        let (body, rest) = decode_all(b"A\r\n0123456789\r\n0\r\n\r\n", 100, 100).unwrap();
        assert_eq!(body, b"0123456789");
        assert!(rest.is_empty());
    }

    #[test]
    fn chunked_errors() {
        assert_eq!(
            decode_all(b"b\r\nhello world\r\n0\r\n\r\n", 10, 100),
            Err(BodyError::TooLarge)
        );
        assert!(matches!(
            decode_all(b"zz\r\n", 10, 100),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            decode_all(b"5\r\nhelloXX0\r\n\r\n", 10, 100),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            decode_all(b"5\nhello\r\n0\r\n\r\n", 10, 100),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            decode_all(b"fffffffffffffffffff\r\n", 10, 100),
            Err(BodyError::Malformed(_))
        ));
        let long = vec![b'1'; MAX_CHUNK_LINE + 10];
        assert!(matches!(
            decode_all(&long, usize::MAX, 7),
            Err(BodyError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn parse_head_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse_head(&bytes);
        }

        #[test]
        fn parse_head_prefixed_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut b = b"GET /socket.io/1/ HTTP/1.1\r\n".to_vec();
            b.extend_from_slice(&tail);
            let _ = parse_head(&b);
        }

        #[test]
        fn chunked_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), step in 1usize..16) {
            let mut dec = ChunkedDecoder::new(256);
            let mut buf = BytesMut::new();
            let mut body = Vec::new();
            for piece in bytes.chunks(step) {
                buf.extend_from_slice(piece);
                match dec.feed(&mut buf, &mut body) {
                    Ok(true) | Err(_) => break,
                    Ok(false) => {}
                }
            }
            prop_assert!(body.len() <= 256);
        }
    }
}
