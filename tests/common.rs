//! A tiny blocking raw client for integration tests: HTTP requests and a websocket
//! client that masks its frames, both over std TcpStream with timeouts.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub fn http(addr: SocketAddr, raw: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    s.write_all(raw.as_bytes()).expect("write");
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        match s.read(&mut tmp) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&tmp[..n]);
                if let Some(resp) = complete_response(&buf) {
                    return resp;
                }
            }
            Err(_) => break,
        }
    }
    complete_response(&buf).unwrap_or((0, String::new(), String::from_utf8_lossy(&buf).into()))
}

fn complete_response(buf: &[u8]) -> Option<(u16, String, String)> {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let len: usize = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|v| v.trim().parse().unwrap_or(0))
    })?;
    if body.len() < len {
        return None;
    }
    Some((status, head.to_owned(), body[..len].to_owned()))
}

pub fn get(addr: SocketAddr, target: &str) -> (u16, String, String) {
    http(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

pub fn handshake(addr: SocketAddr, query: &str) -> String {
    let (status, _, body) = get(addr, &format!("/socket.io/1/?t=1{query}"));
    assert_eq!(status, 200, "handshake failed: {body}");
    body.split(':').next().expect("sid").to_owned()
}

pub struct Ws {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Ws {
    pub fn connect(addr: SocketAddr, sid: &str) -> Ws {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let req = format!(
            "GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(req.as_bytes()).expect("write");
        let mut ws = Ws { s, buf: Vec::new() };
        loop {
            if let Some(p) = ws.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&ws.buf[..p]).to_string();
                assert!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
                assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
                ws.buf.drain(..p + 4);
                return ws;
            }
            ws.fill().expect("handshake response");
        }
    }

    fn fill(&mut self) -> Option<()> {
        let mut tmp = [0u8; 65536];
        match self.s.read(&mut tmp) {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                Some(())
            }
        }
    }

    /// Next frame: (opcode, payload); None on close/timeout.
    pub fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.buf.len() >= 2 {
                let op = self.buf[0] & 0x0f;
                let l = (self.buf[1] & 0x7f) as usize;
                let (len, off) = match l {
                    126 if self.buf.len() >= 4 => {
                        (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
                    }
                    127 if self.buf.len() >= 10 => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&self.buf[2..10]);
                        (u64::from_be_bytes(b) as usize, 10)
                    }
                    126 | 127 => (usize::MAX, 0),
                    n => (n, 2),
                };
                if len != usize::MAX && self.buf.len() >= off + len {
                    let payload = self.buf[off..off + len].to_vec();
                    self.buf.drain(..off + len);
                    return Some((op, payload));
                }
            }
            self.fill()?;
        }
    }

    /// Next text frame as a string, skipping heartbeats.
    pub fn text(&mut self) -> Option<String> {
        loop {
            let (op, p) = self.frame()?;
            if op == 1 {
                let t = String::from_utf8(p).expect("utf8");
                if t != "2::" {
                    return Some(t);
                }
            } else if op == 8 {
                return None;
            }
        }
    }

    pub fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        let mut f = vec![0x80 | opcode];
        let mask = [1u8, 2, 3, 4];
        match payload.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n < 65536 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.s.write_all(&f).expect("send");
    }

    pub fn send(&mut self, text: &str) {
        self.send_frame(1, text.as_bytes());
    }

    pub fn raw(&mut self) -> &mut TcpStream {
        &mut self.s
    }
}
