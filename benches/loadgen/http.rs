//! A keep-alive HTTP/1.1 client connection (one request at a time, no pipelining), as the
//! xhr-polling and static scenarios use it. Responses must carry `Content-Length` (both
//! servers set it on polling, POST and static answers); the body stays in the connection's
//! read buffer until the next request.

use crate::ws::tcp_connect;
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;

/// Initial read buffer size.
const READ_BUF: usize = 8192;
/// Largest body accepted.
const MAX_BODY: usize = 64 << 20;

/// The parts of one response the scenarios check.
pub struct Response {
    /// Status code.
    pub status: u16,
    /// The body's range in [`HttpConn::buf`].
    pub body: Range<usize>,
    /// `Content-Encoding: gzip` was present.
    pub gzip: bool,
}

/// One keep-alive connection to the server.
pub struct HttpConn {
    /// The socket; `None` after the server closed it (reconnected on the next request).
    stream: Option<TcpStream>,
    /// Received bytes; the last response's body is at [`Response::body`].
    pub buf: Vec<u8>,
    /// Server address.
    addr: SocketAddr,
    /// Source address.
    src: Option<Ipv4Addr>,
}

impl HttpConn {
    /// Connect now.
    pub async fn connect(addr: SocketAddr, src: Option<Ipv4Addr>) -> Result<Self, String> {
        let s = tcp_connect(addr, src)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        Ok(HttpConn {
            stream: Some(s),
            buf: Vec::with_capacity(READ_BUF),
            addr,
            src,
        })
    }

    /// Send the request in `req` (left intact for reuse) and read the whole response. A
    /// reused connection the server closed while idle (EOF or reset before any response
    /// byte) is reopened and the request sent once more.
    pub async fn roundtrip(&mut self, req: &mut Vec<u8>) -> Result<Response, String> {
        let mut retried = false;
        loop {
            self.buf.clear();
            let fresh = self.stream.is_none();
            if fresh {
                self.stream = Some(
                    tcp_connect(self.addr, self.src)
                        .await
                        .map_err(|e| format!("reconnect: {e}"))?,
                );
            }
            let s = self.stream.as_mut().expect("connected");
            let (res, b) = s.write_all(std::mem::take(req)).await;
            *req = b;
            let early = match res {
                Ok(_) => match read_response(s, &mut self.buf).await {
                    Ok(Some(r)) => return Ok(r),
                    Ok(None) => "closed".to_string(),
                    Err(e) => return Err(e),
                },
                Err(e) => format!("write: {e}"),
            };
            // Nothing came back: the server dropped the connection.
            self.stream = None;
            if retried || fresh {
                return Err(format!("server closed the connection ({early})"));
            }
            retried = true;
        }
    }
}

/// Read one response into `buf`. `Ok(None)` when the connection ends (EOF or reset) before
/// any byte of it.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Option<Response>, String> {
    let mut want: Option<(usize, Response)> = None;
    loop {
        if want.is_none() && !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(buf) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = resp.code.unwrap_or(0);
                    let mut cl = None;
                    let mut gzip = false;
                    for h in resp.headers.iter() {
                        let v = std::str::from_utf8(h.value).unwrap_or("").trim();
                        if h.name.eq_ignore_ascii_case("content-length") {
                            cl = v.parse::<usize>().ok();
                        } else if h.name.eq_ignore_ascii_case("content-encoding") {
                            gzip = v.eq_ignore_ascii_case("gzip");
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            return Err(format!("HTTP {status}: unexpected Transfer-Encoding {v}"));
                        }
                    }
                    let cl = match (status, cl) {
                        (204 | 304, _) => 0,
                        (_, Some(n)) if n <= MAX_BODY => n,
                        (_, Some(n)) => return Err(format!("HTTP {status}: body of {n} bytes")),
                        (_, None) => return Err(format!("HTTP {status} without Content-Length")),
                    };
                    if buf.capacity() < head + cl {
                        buf.reserve((head + cl).saturating_sub(buf.len()));
                    }
                    want = Some((
                        head + cl,
                        Response {
                            status,
                            body: head..head + cl,
                            gzip,
                        },
                    ));
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => return Err(format!("bad HTTP response: {e}")),
            }
        }
        if let Some((total, _)) = &want {
            if buf.len() >= *total {
                if buf.len() > *total {
                    return Err("bytes after the response (not asked for)".into());
                }
                return Ok(want.map(|w| w.1));
            }
        }
        if buf.len() == buf.capacity() {
            if buf.len() > 64 * 1024 && want.is_none() {
                return Err("HTTP response head too large".into());
            }
            buf.reserve(buf.capacity().max(READ_BUF));
        }
        let len = buf.len();
        let (res, slice) = s.read(std::mem::take(buf).slice_mut(len..)).await;
        *buf = slice.into_inner();
        match res {
            Ok(0) if buf.is_empty() => return Ok(None),
            Ok(0) => return Err("connection closed inside a response".into()),
            Ok(_) => {}
            Err(e) if buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Ok(None)
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Append a request head (`Host`, optional extra header lines each ending in CRLF) and body.
pub fn put_request(
    out: &mut Vec<u8>,
    method: &str,
    path: &str,
    host: &str,
    extra: &str,
    body: &[u8],
) {
    out.clear();
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(extra.as_bytes());
    if method == "POST" {
        out.extend_from_slice(b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ");
        crate::ws::put_u64(out, body.len() as u64);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encoding() {
        let mut v = Vec::new();
        put_request(&mut v, "POST", "/x", "h:1", "", b"5:::");
        assert_eq!(
            v,
            b"POST /x HTTP/1.1\r\nHost: h:1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 4\r\n\r\n5:::"
        );
        put_request(&mut v, "GET", "/y", "h", "Accept-Encoding: gzip\r\n", b"");
        assert_eq!(
            v,
            b"GET /y HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n"
        );
    }
}
