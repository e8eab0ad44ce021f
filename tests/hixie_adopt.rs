//! Integration tests: hixie-76 upgrades handed to the server by an embedding host
//! (`EmbedHandle::adopt_connection`, the path of `sio_server_adopt_connection`), with the
//! 8-byte body among the bytes the host already read, or arriving later on the socket.

mod common;

use common::handshake;
use sio09::Server;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

const KEY1: &str = "4 @1  46546xW%0l 1 5";
const KEY2: &str = "12998 5 Y3 1  .P00";
const KEY3: &[u8; 8] = b"^n:ds[4U";
const ANSWER: &[u8; 16] = b"8jKS'y:G*Co,Wxa-";

fn start() -> sio09::ServerHandle {
    let mut io = Server::new();
    io.set("log level", 0.0).expect("log level");
    io.set("workers", 2.0).expect("workers");
    sio09::apps::test_app::install(&mut io);
    io.listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .expect("listen")
}

fn request_head(sid: &str) -> String {
    format!(
        "GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: host.example\r\nOrigin: http://host.example\r\nSec-WebSocket-Key1: {KEY1}\r\nSec-WebSocket-Key2: {KEY2}\r\n\r\n"
    )
}

/// Read from `s` until `buf` holds `want` or 5 s pass.
fn read_until(s: &mut TcpStream, buf: &mut Vec<u8>, want: &[u8]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut tmp = [0u8; 4096];
    while Instant::now() < deadline {
        if buf.windows(want.len()).any(|w| w == want) {
            return true;
        }
        match s.read(&mut tmp) {
            Ok(0) => return false,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return false,
        }
    }
    buf.windows(want.len()).any(|w| w == want)
}

/// A host that accepts one connection, reads the request head (and whatever came with it,
/// at least `extra` bytes after the head), and hands it to the server.
fn host_adopts(h: &sio09::ServerHandle, listener: &TcpListener, extra: usize) {
    let (mut s, _) = listener.accept().expect("accept");
    s.set_read_timeout(Some(Duration::from_millis(200))).ok();
    let mut got = Vec::new();
    let mut tmp = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            if got.len() >= p + 4 + extra {
                break;
            }
        }
        assert!(Instant::now() < deadline, "host read timed out");
        match s.read(&mut tmp) {
            Ok(0) => panic!("client left"),
            Ok(n) => got.extend_from_slice(&tmp[..n]),
            Err(_) => {}
        }
    }
    s.set_read_timeout(None).ok();
    h.embed()
        .adopt_connection(OwnedFd::from(s), got)
        .expect("adopt");
}

const HEAD_END: &str = "Sec-WebSocket-Location: ws://host.example/socket.io/1/websocket/";

fn expect_open(c: &mut TcpStream, sid: &str) {
    let mut buf = Vec::new();
    assert!(
        read_until(c, &mut buf, b"\x001::\xff"),
        "no 1:: frame: {:?}",
        String::from_utf8_lossy(&buf)
    );
    let head = format!(
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Origin: http://host.example\r\n{HEAD_END}{sid}\r\n\r\n"
    );
    let mut want = head.into_bytes();
    want.extend_from_slice(ANSWER);
    want.extend_from_slice(b"\x001::\xff");
    assert_eq!(buf, want);
    // The session works: the test app echoes a message.
    c.write_all(b"\x003:::adopted\xff").expect("write");
    let mut echo = Vec::new();
    assert!(read_until(c, &mut echo, b"\x003:::adopted\xff"));
}

#[test]
fn adopted_hixie76_with_the_body_in_the_initial_bytes() {
    let h = start();
    let sid = handshake(h.local_addr(), "");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut c = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    c.set_read_timeout(Some(Duration::from_millis(200))).ok();
    let mut req = request_head(&sid).into_bytes();
    req.extend_from_slice(KEY3);
    c.write_all(&req).expect("write");
    host_adopts(&h, &listener, KEY3.len());
    expect_open(&mut c, &sid);
    h.shutdown();
    h.wait();
}

#[test]
fn adopted_hixie76_with_the_body_arriving_later() {
    let h = start();
    let sid = handshake(h.local_addr(), "");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut c = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    c.set_read_timeout(Some(Duration::from_millis(200))).ok();
    c.write_all(request_head(&sid).as_bytes()).expect("write");
    host_adopts(&h, &listener, 0);
    // The head comes at once, before the body is sent.
    let mut buf = Vec::new();
    assert!(read_until(&mut c, &mut buf, b"\r\n\r\n"));
    assert!(buf.starts_with(b"HTTP/1.1 101 WebSocket Protocol Handshake\r\n"));
    std::thread::sleep(Duration::from_millis(200));
    let mut more = [0u8; 64];
    assert!(c.read(&mut more).is_err(), "nothing before the body");
    c.write_all(KEY3).expect("write");
    let mut rest = Vec::new();
    assert!(read_until(&mut c, &mut rest, b"\x001::\xff"));
    let mut want = ANSWER.to_vec();
    want.extend_from_slice(b"\x001::\xff");
    assert_eq!(rest, want);
    h.shutdown();
    h.wait();
}
