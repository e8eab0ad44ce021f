//! `sio09-raw-echo`: the ceiling for the `echo` and `ack` benchmarks — a minimal websocket
//! echo server with just enough Socket.IO on the wire for `sio09-loadgen` to run unchanged.
//!
//! - `GET /socket.io/1/?…` answers `200` with the fixed body `raw:60:60:websocket`.
//! - `GET /socket.io/1/websocket/<sid>` with an RFC 6455 upgrade answers `101`, sends `1::`,
//!   then for each text frame whose payload starts `5:::{"name":"echo","args":` sends the
//!   payload back unchanged (what the test app emits for an `echo` event without ack), and for
//!   `5:<id>+::{"name":"echo","args":<args>}` sends `6:::<id>+<args>` (the data ack). Every
//!   reply produced by one read goes out in one write.
//!
//! What it skips, so that the gap to it is what Socket.IO semantics cost: sessions and session
//! ids (any sid upgrades), handshake data, authorization, heartbeats (it sends none, ignores
//! `2::`), timeouts, namespaces, packet decoding beyond the event name prefix (args are
//! neither parsed nor validated), JSON, rooms, buffering, acks other than the echo form, and
//! the polling transports. It is single-threaded (one monoio runtime) like a pinned server.
//!
//! `PORT=N sio09-raw-echo` or `sio09-raw-echo --port N`; listens on 127.0.0.1.

use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};

/// Read buffer size.
const READ_BUF: usize = 16 * 1024;
/// Prefix of an echo event after the packet header.
const ECHO: &[u8] = b"{\"name\":\"echo\",\"args\":";
/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// Port from `--port N` or `PORT`.
fn port() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().collect();
    let raw = match args.iter().position(|a| a == "--port") {
        Some(i) => args.get(i + 1).cloned(),
        None => std::env::var("PORT").ok(),
    };
    raw.unwrap_or_else(|| "9000".into())
        .parse()
        .map_err(|e| format!("bad port: {e}"))
}

/// Entry point.
fn main() {
    let port = match port() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("sio09-raw-echo: {e}");
            std::process::exit(2);
        }
    };
    let mut rt = monoio::RuntimeBuilder::<monoio::FusionDriver>::new()
        .with_entries(1024)
        .enable_timer()
        .build()
        .expect("monoio runtime");
    rt.block_on(async move {
        let l = match TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sio09-raw-echo: bind 127.0.0.1:{port}: {e}");
                std::process::exit(2);
            }
        };
        println!("READY {port}");
        loop {
            match l.accept().await {
                Ok((s, _)) => {
                    let _ = s.set_nodelay(true);
                    monoio::spawn(async move {
                        let _ = serve(s).await;
                    });
                }
                Err(e) => {
                    eprintln!("accept: {e}");
                    monoio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        }
    });
}

/// Read more bytes into `buf` (growing it when full). `Ok(0)` at EOF.
async fn fill(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    if buf.len() == buf.capacity() {
        buf.reserve(buf.capacity().max(READ_BUF));
    }
    let len = buf.len();
    let (res, slice) = s.read(std::mem::take(buf).slice_mut(len..)).await;
    *buf = slice.into_inner();
    res
}

/// Write all of `out`, then clear it.
async fn write(s: &mut TcpStream, out: &mut Vec<u8>) -> std::io::Result<()> {
    let (res, b) = s.write_all(std::mem::take(out)).await;
    *out = b;
    out.clear();
    res.map(|_| ())
}

/// Serve HTTP requests on one connection until it upgrades (then run the echo loop) or ends.
async fn serve(mut s: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(READ_BUF);
    let mut out = Vec::with_capacity(READ_BUF);
    loop {
        // One request head (these clients send no request bodies before the upgrade).
        let (head, path, key, close) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let mut key = None;
                    let mut close = false;
                    for h in req.headers.iter() {
                        if h.name.eq_ignore_ascii_case("sec-websocket-key") {
                            key = Some(String::from_utf8_lossy(h.value).trim().to_string());
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            close = h.value.eq_ignore_ascii_case(b"close");
                        }
                    }
                    break (n, req.path.unwrap_or("").to_string(), key, close);
                }
                Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
                _ => return Ok(()),
            }
            if fill(&mut s, &mut buf).await? == 0 {
                return Ok(());
            }
        };
        buf.drain(..head);
        if let (true, Some(key)) = (path.starts_with("/socket.io/1/websocket/"), key) {
            let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
            out.extend_from_slice(
                format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                )
                .as_bytes(),
            );
            put_frame(&mut out, 1, b"1::");
            write(&mut s, &mut out).await?;
            return echo_loop(s, buf, out).await;
        }
        let body: &[u8] = if path == "/socket.io/1/" || path.starts_with("/socket.io/1/?") {
            b"raw:60:60:websocket"
        } else {
            b"raw echo: not found"
        };
        let status = if body.starts_with(b"raw:") {
            "200 OK"
        } else {
            "404 Not Found"
        };
        out.extend_from_slice(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(body);
        write(&mut s, &mut out).await?;
        if close {
            return Ok(());
        }
    }
}

/// Append one unmasked server frame.
fn put_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    put_header(out, opcode, payload.len());
    out.extend_from_slice(payload);
}

/// Append the header of an unmasked, unfragmented server frame of `n` payload bytes.
fn put_header(out: &mut Vec<u8>, opcode: u8, n: usize) {
    out.push(0x80 | opcode);
    if n < 126 {
        out.push(n as u8);
    } else if n <= 0xFFFF {
        out.push(126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
}

/// Append the reply to one Socket.IO packet, if it is an `echo` event.
fn answer(out: &mut Vec<u8>, p: &[u8]) {
    if let Some(rest) = p.strip_prefix(b"5:::") {
        if rest.starts_with(ECHO) {
            put_frame(out, 1, p);
        }
        return;
    }
    // `5:<id>+::{"name":"echo","args":<args>}` → `6:::<id>+<args>`.
    let Some(rest) = p.strip_prefix(b"5:") else {
        return;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let (id, rest) = rest.split_at(digits);
    let Some(args) = rest
        .strip_prefix(b"+::")
        .and_then(|r| r.strip_prefix(ECHO))
        .and_then(|r| r.strip_suffix(b"}"))
    else {
        return;
    };
    if digits == 0 {
        return;
    }
    // The frame header for the reply's length, then its pieces (no temporary buffer).
    let n = 4 + id.len() + 1 + args.len();
    put_header(out, 1, n);
    out.extend_from_slice(b"6:::");
    out.extend_from_slice(id);
    out.push(b'+');
    out.extend_from_slice(args);
}

/// Parse masked client frames from `buf`, answering each; returns `false` on a close frame or
/// a `0::` disconnect.
fn process(buf: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<bool, ()> {
    let mut pos = 0;
    let mut open = true;
    while open {
        let b = &buf[pos..];
        if b.len() < 2 {
            break;
        }
        let (b0, b1) = (b[0], b[1]);
        if b1 & 0x80 == 0 || b0 & 0x80 == 0 {
            return Err(()); // unmasked or fragmented: not from these clients
        }
        let (len, hl) = match b1 & 0x7F {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 if b.len() >= 10 => {
                let mut l = [0u8; 8];
                l.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(l).min(1 << 30) as usize, 10)
            }
            126 | 127 => break,
            n => (n as usize, 2),
        };
        if b.len() < hl + 4 + len {
            break;
        }
        let mut key = [0u8; 4];
        key.copy_from_slice(&b[hl..hl + 4]);
        let start = pos + hl + 4;
        let payload = &mut buf[start..start + len];
        for (i, c) in payload.iter_mut().enumerate() {
            *c ^= key[i & 3];
        }
        match b0 & 0x0F {
            1 if payload == b"0::" => open = false,
            1 => answer(out, payload),
            8 => {
                put_frame(out, 8, &[]);
                open = false;
            }
            9 => {
                let p = payload.to_vec();
                put_frame(out, 10, &p);
            }
            _ => {}
        }
        pos = start + len;
    }
    buf.drain(..pos);
    Ok(open)
}

/// The websocket phase: read, answer everything complete, write once.
async fn echo_loop(mut s: TcpStream, mut buf: Vec<u8>, mut out: Vec<u8>) -> std::io::Result<()> {
    loop {
        let open = process(&mut buf, &mut out).unwrap_or(false);
        if !out.is_empty() {
            write(&mut s, &mut out).await?;
        }
        if !open {
            return Ok(());
        }
        if fill(&mut s, &mut buf).await? == 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_the_test_app() {
        let mut out = Vec::new();
        answer(&mut out, b"5:::{\"name\":\"echo\",\"args\":[1,\"x\"]}");
        assert_eq!(&out[2..], b"5:::{\"name\":\"echo\",\"args\":[1,\"x\"]}");
        out.clear();
        answer(&mut out, b"5:7+::{\"name\":\"echo\",\"args\":[7,\"x\"]}");
        assert_eq!(&out[2..], b"6:::7+[7,\"x\"]");
        out.clear();
        answer(&mut out, b"2::");
        answer(&mut out, b"5:::{\"name\":\"other\",\"args\":[]}");
        assert!(out.is_empty());
    }
}
