//! The client side of the wire: TCP connect (optionally from a chosen source address), the
//! Socket.IO 0.9 handshake (`GET /socket.io/1/`), the RFC 6455 upgrade on
//! `/socket.io/1/websocket/{sid}`, masked client frames and incremental server-frame parsing.
//!
//! Everything here is allocation-free per message: frames are encoded into caller-owned
//! reusable buffers and parsed in place from a growable read buffer.

use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::os::fd::AsRawFd;

/// Initial size of a connection's read buffer (grown when a frame does not fit).
const READ_BUF: usize = 4096;
/// The fixed `Sec-WebSocket-Key` we send (RFC 6455 §1.3 sample; servers only hash it).
const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// Largest HTTP response head or handshake body we accept.
const MAX_HTTP: usize = 64 * 1024;

/// WebSocket opcode of a text frame.
pub const OP_TEXT: u8 = 1;
/// WebSocket opcode of a close frame.
pub const OP_CLOSE: u8 = 8;
/// WebSocket opcode of a ping frame.
pub const OP_PING: u8 = 9;
/// WebSocket opcode of a pong frame.
pub const OP_PONG: u8 = 10;

/// Cheap xorshift32 generator for frame masking keys (RFC 6455 §5.3 wants them unpredictable
/// to proxies; for a loopback benchmark a fast PRNG is plenty, and the server must unmask
/// every byte either way).
#[derive(Clone, Copy)]
pub struct Masker(u32);

impl Masker {
    /// A generator seeded from `seed` (any value; zero is remapped).
    pub fn new(seed: u32) -> Self {
        Masker(seed.wrapping_mul(0x9E37_79B9) | 1)
    }

    /// The next masking key.
    #[inline]
    pub fn next_key(&mut self) -> [u8; 4] {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x.to_be_bytes()
    }
}

/// Append one masked, unfragmented client frame carrying `payload` to `out`.
#[inline]
pub fn put_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8], key: [u8; 4]) {
    let n = payload.len();
    out.push(0x80 | opcode);
    if n < 126 {
        out.push(0x80 | n as u8);
    } else if n <= 0xFFFF {
        out.push(0x80 | 126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(&key);
    let start = out.len();
    out.extend_from_slice(payload);
    for (i, b) in out[start..].iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// Append the decimal digits of `v` to `out`.
#[inline]
pub fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Parse leading decimal digits of `b`: the value and how many bytes were digits.
/// `None` when there is no digit or the number overflows.
#[inline]
pub fn parse_u64(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut n = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
        n += 1;
    }
    (n > 0).then_some((v, n))
}

/// An incremental parser of server → client frames over a growable byte buffer.
pub struct FrameBuf {
    /// Received bytes; `buf[pos..]` is not parsed yet.
    pub buf: Vec<u8>,
    /// Parse offset into `buf`.
    pub pos: usize,
}

impl FrameBuf {
    /// An empty buffer holding `initial` bytes already received (e.g. after an HTTP head).
    pub fn new(initial: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(READ_BUF.max(initial.len() * 2));
        buf.extend_from_slice(initial);
        FrameBuf { buf, pos: 0 }
    }

    /// Read more bytes from `r` (after dropping what was parsed). Returns the byte count; 0 is EOF.
    pub async fn fill<R: AsyncReadRent>(&mut self, r: &mut R) -> io::Result<usize> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos.., 0);
            self.buf.truncate(self.buf.len() - self.pos);
            self.pos = 0;
        }
        if self.buf.len() == self.buf.capacity() {
            self.buf.reserve(self.buf.capacity().max(READ_BUF));
        }
        let buf = std::mem::take(&mut self.buf);
        let len = buf.len();
        let (res, slice) = r.read(buf.slice_mut(len..)).await;
        self.buf = slice.into_inner();
        res
    }

    /// The next complete frame: its opcode and the payload's range in `buf`. `Ok(None)` when
    /// more bytes are needed; `Err` on frames a server must not send (masked, fragmented,
    /// reserved bits).
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<(u8, Range<usize>)>, String> {
        let b = &self.buf[self.pos..];
        if b.len() < 2 {
            return Ok(None);
        }
        let (b0, b1) = (b[0], b[1]);
        if b0 & 0x70 != 0 {
            return Err(format!("server frame with RSV bits set ({b0:#04x})"));
        }
        if b0 & 0x80 == 0 || b0 & 0x0F == 0 {
            return Err("fragmented server frame (not expected from these servers)".into());
        }
        if b1 & 0x80 != 0 {
            return Err("masked server frame".into());
        }
        let (len, hl) = match b1 & 0x7F {
            126 => {
                if b.len() < 4 {
                    return Ok(None);
                }
                (u16::from_be_bytes([b[2], b[3]]) as usize, 4)
            }
            127 => {
                if b.len() < 10 {
                    return Ok(None);
                }
                let mut l = [0u8; 8];
                l.copy_from_slice(&b[2..10]);
                let l = u64::from_be_bytes(l);
                if l > (1 << 31) {
                    return Err(format!("absurd frame length {l}"));
                }
                (l as usize, 10)
            }
            n => (n as usize, 2),
        };
        if b.len() < hl + len {
            return Ok(None);
        }
        let start = self.pos + hl;
        self.pos = start + len;
        Ok(Some((b0 & 0x0F, start..start + len)))
    }
}

/// One open Socket.IO websocket connection: the socket, its frame parser and its masker.
pub struct Conn {
    /// The TCP stream (upgraded).
    pub stream: TcpStream,
    /// Inbound frames.
    pub rx: FrameBuf,
    /// Masking keys for outbound frames.
    pub mask: Masker,
}

/// Where and how a client connects.
pub struct Target {
    /// Server address.
    pub addr: SocketAddr,
    /// The `Host` header value.
    pub host: String,
}

/// Open a non-blocking TCP connection to `addr`, bound to `src` when given (the port is chosen
/// at connect time thanks to `IP_BIND_ADDRESS_NO_PORT`, so each source address gets its own
/// ephemeral port range). Nagle is disabled.
pub async fn tcp_connect(addr: SocketAddr, src: Option<Ipv4Addr>) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    sock.set_nodelay(true)?;
    if let Some(ip) = src {
        let one: libc::c_int = 1;
        // SAFETY: valid fd and a c_int option value of the right size.
        unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        sock.bind(&SocketAddr::new(ip.into(), 0).into())?;
    }
    match sock.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    let std_stream: std::net::TcpStream = sock.into();
    let stream = TcpStream::from_std(std_stream)?;
    stream.writable(false).await?;
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: valid fd; `err`/`len` are a properly sized out-parameter pair.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err));
    }
    Ok(stream)
}

/// Decode a chunked transfer-encoded body; `None` while incomplete.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = memchr::memmem::find(b, b"\r\n")?;
        let size_txt = std::str::from_utf8(&b[..eol]).ok()?;
        let size_txt = size_txt.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_txt, 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if b.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// The parsed parts of an HTTP response we care about.
struct HttpResponse {
    /// Status code.
    status: u16,
    /// Body (de-chunked), empty for 101.
    body: Vec<u8>,
    /// `Sec-WebSocket-Accept` value, if any.
    accept: Option<String>,
    /// Bytes received after the head of a 101 response (first frames).
    rest: Vec<u8>,
}

/// Read one HTTP response from `s`: the head, then (unless 101) the body by Content-Length,
/// chunked encoding or EOF.
async fn read_response(s: &mut TcpStream) -> Result<HttpResponse, String> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut eof = false;
    loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&buf) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = resp.code.unwrap_or(0);
                    let mut cl: Option<usize> = None;
                    let mut chunked = false;
                    let mut accept = None;
                    for h in resp.headers.iter() {
                        let v = std::str::from_utf8(h.value).unwrap_or("").trim();
                        if h.name.eq_ignore_ascii_case("content-length") {
                            cl = v.parse().ok();
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = v.to_ascii_lowercase().contains("chunked");
                        } else if h.name.eq_ignore_ascii_case("sec-websocket-accept") {
                            accept = Some(v.to_string());
                        }
                    }
                    let rest = &buf[head..];
                    if status == 101 {
                        return Ok(HttpResponse {
                            status,
                            body: Vec::new(),
                            accept,
                            rest: rest.to_vec(),
                        });
                    }
                    let body = if chunked {
                        dechunk(rest)
                    } else if let Some(cl) = cl {
                        (rest.len() >= cl).then(|| rest[..cl].to_vec())
                    } else if eof {
                        Some(rest.to_vec())
                    } else {
                        None
                    };
                    if let Some(body) = body {
                        return Ok(HttpResponse {
                            status,
                            body,
                            accept,
                            rest: Vec::new(),
                        });
                    }
                    if eof {
                        return Err(format!("HTTP {status}: connection closed inside the body"));
                    }
                }
                Ok(httparse::Status::Partial) => {
                    if eof {
                        return Err("connection closed inside the HTTP response head".into());
                    }
                }
                Err(e) => return Err(format!("bad HTTP response: {e}")),
            }
        } else if eof {
            return Err("connection closed before any HTTP response".into());
        }
        if buf.len() > MAX_HTTP {
            return Err("HTTP response too large".into());
        }
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity());
        }
        let len = buf.len();
        let (res, slice) = s.read(buf.slice_mut(len..)).await;
        buf = slice.into_inner();
        match res {
            Ok(0) => eof = true,
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Write all of `data` to `s`.
async fn write_str(s: &mut TcpStream, data: String) -> Result<(), String> {
    let (res, _) = s.write_all(data.into_bytes()).await;
    res.map(|_| ()).map_err(|e| format!("write: {e}"))
}

/// The Socket.IO handshake (`GET /socket.io/1/`) on its own short connection, as the real
/// client does it (XHR first). Returns the session id; fails unless the server offers
/// `transport`.
pub async fn handshake(
    t: &Target,
    src: Option<Ipv4Addr>,
    transport: &str,
) -> Result<String, String> {
    let mut s = tcp_connect(t.addr, src)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let req = format!(
        "GET /socket.io/1/?t={ms} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.host
    );
    write_str(&mut s, req).await?;
    let resp = read_response(&mut s).await?;
    drop(s);
    let body = String::from_utf8_lossy(&resp.body).into_owned();
    if resp.status != 200 {
        return Err(format!("handshake: HTTP {} {body:?}", resp.status));
    }
    let mut parts = body.split(':');
    let sid = parts.next().unwrap_or("").to_string();
    let transports = parts.nth(2).unwrap_or("");
    if sid.is_empty() || !transports.split(',').any(|x| x == transport) {
        return Err(format!("handshake: unexpected body {body:?}"));
    }
    Ok(sid)
}

/// Handshake, upgrade and wait for the server's `1::`. `seed` seeds the masker.
/// Heartbeats (`2::`) that arrive first are answered.
pub async fn open(t: &Target, src: Option<Ipv4Addr>, seed: u32) -> Result<Conn, String> {
    // 1. The handshake.
    let sid = handshake(t, src, "websocket").await?;

    // 2. The websocket upgrade.
    let mut s = tcp_connect(t.addr, src)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let req = format!(
        "GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        t.host
    );
    write_str(&mut s, req).await?;
    let resp = read_response(&mut s).await?;
    if resp.status != 101 {
        return Err(format!("upgrade: HTTP {}", resp.status));
    }
    let want = tungstenite::handshake::derive_accept_key(WS_KEY.as_bytes());
    if resp.accept.as_deref() != Some(want.as_str()) {
        return Err(format!(
            "upgrade: bad Sec-WebSocket-Accept {:?}",
            resp.accept
        ));
    }
    let mut conn = Conn {
        stream: s,
        rx: FrameBuf::new(&resp.rest),
        mask: Masker::new(seed),
    };

    // 3. Wait for `1::`.
    loop {
        while let Some((op, r)) = conn.rx.next_frame()? {
            let p = &conn.rx.buf[r];
            match (op, p) {
                (OP_TEXT, b"1::") => return Ok(conn),
                (OP_TEXT, b"2::") => {
                    let mut w = Vec::with_capacity(16);
                    put_frame(&mut w, OP_TEXT, b"2::", conn.mask.next_key());
                    let (res, _) = conn.stream.write_all(w).await;
                    res.map_err(|e| format!("write: {e}"))?;
                }
                _ => {
                    return Err(format!(
                        "expected 1::, got opcode {op} {:?}",
                        String::from_utf8_lossy(p)
                    ))
                }
            }
        }
        match conn.rx.fill(&mut conn.stream).await {
            Ok(0) => return Err("server closed before 1::".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_roundtrip_unmasks() {
        let mut out = Vec::new();
        put_frame(&mut out, OP_TEXT, b"2::", [1, 2, 3, 4]);
        assert_eq!(out[0], 0x81);
        assert_eq!(out[1], 0x83);
        let un: Vec<u8> = out[6..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ [1, 2, 3, 4][i & 3])
            .collect();
        assert_eq!(un, b"2::");
    }

    #[test]
    fn parses_server_frames() {
        let mut fb = FrameBuf::new(&[0x81, 3, b'1', b':', b':', 0x81]);
        let (op, r) = fb.next_frame().unwrap().unwrap();
        assert_eq!((op, &fb.buf[r]), (OP_TEXT, &b"1::"[..]));
        assert!(fb.next_frame().unwrap().is_none());
    }

    #[test]
    fn numbers_and_chunks() {
        let mut v = Vec::new();
        put_u64(&mut v, 1234567);
        assert_eq!(v, b"1234567");
        assert_eq!(parse_u64(b"42,x"), Some((42, 2)));
        assert_eq!(parse_u64(b"x"), None);
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"3\r\nab").is_none());
    }
}
