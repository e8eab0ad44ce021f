//! Integration tests over real sockets: xhr/jsonp long-polling, heartbeats and their
//! timeout, close timeout, big websocket messages, and the epoll driver.

mod common;

use common::{get, handshake, http, Ws};
use sio09::Server;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn start(opts: &[(&str, &str)]) -> sio09::ServerHandle {
    let mut io = Server::new();
    io.config_mut()
        .set_str("log level", "0")
        .expect("log level");
    for (k, v) in opts {
        io.config_mut().set_str(k, v).expect("option");
    }
    sio09::apps::test_app::install(&mut io);
    io.listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .expect("listen")
}

fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn xhr_polling_round_trip_with_payload_framing() {
    let h = start(&[("polling duration", "1"), ("workers", "2")]);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let p = format!("/socket.io/1/xhr-polling/{sid}");
    let (s, head, body) = get(a, &format!("{p}?t=1"));
    assert_eq!((s, body.as_str()), (200, "1::"));
    assert!(head.contains("Content-Type: text/plain; charset=UTF-8"));
    let payload =
        "\u{fffd}6\u{fffd}3:7::a\u{fffd}36\u{fffd}5:9+::{\"name\":\"echo\",\"args\":[\"é😀\"]}";
    let (s, _, body) = post(a, &format!("{p}?t=2"), payload);
    assert_eq!((s, body.as_str()), (200, "1"));
    let (_, _, body) = get(a, &format!("{p}?t=3"));
    assert_eq!(
        body,
        "\u{fffd}5\u{fffd}6:::7\u{fffd}5\u{fffd}3:::a\u{fffd}13\u{fffd}6:::9+[\"é😀\"]"
    );
    // Nothing to say: the poll ends with a noop after the polling duration.
    let t = Instant::now();
    let (_, _, body) = get(a, &format!("{p}?t=4"));
    assert_eq!(body, "8::");
    assert!(t.elapsed() >= Duration::from_millis(900));
    h.shutdown();
    h.wait();
}

#[test]
fn jsonp_polling_wraps_and_reads_form_posts() {
    let h = start(&[("polling duration", "1")]);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let p = format!("/socket.io/1/jsonp-polling/{sid}");
    let (_, head, body) = get(a, &format!("{p}?t=1&i=3"));
    assert_eq!(body, "io.j[3](\"1::\");");
    assert!(head.contains("Content-Type: text/javascript; charset=UTF-8"));
    assert!(head.contains("X-XSS-Protection: 0"));
    let form = "d=%225%3A1%2B%3A%3A%7B%5C%22name%5C%22%3A%5C%22echo%5C%22%2C%5C%22args%5C%22%3A%5B%5C%22%C3%A9%5Cu2028%5C%22%5D%7D%22";
    let (s, _, body) = post(a, &format!("{p}?t=2&i=3"), form);
    assert_eq!((s, body.as_str()), (200, "1"));
    let (_, _, body) = get(a, &format!("{p}?t=3&i=3"));
    assert_eq!(body, "io.j[3](\"6:::1+[\\\"é\\u2028\\\"]\");");
    // A bad d= body is answered and ignored (Q-9); the session keeps working.
    let (s, _, _) = post(a, &format!("{p}?t=4&i=3"), "d=%7Bnot-json");
    assert_eq!(s, 200);
    h.shutdown();
    h.wait();
}

#[test]
fn heartbeat_timeout_and_replies() {
    let h = start(&[("heartbeat interval", "0.2"), ("heartbeat timeout", "0.4")]);
    let a = h.local_addr();
    // A client that answers heartbeats stays connected past several intervals.
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    for _ in 0..3 {
        let (op, p) = ws.frame().expect("heartbeat");
        assert_eq!((op, p.as_slice()), (1, &b"2::"[..]));
        ws.send("2::");
    }
    ws.send(r#"5:1+::{"name":"echo","args":[1]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::1+[1]"));
    // A silent client is dropped: heartbeat at +0.2 s, timeout at +0.6 s.
    let sid2 = handshake(a, "");
    let mut silent = Ws::connect(a, &sid2);
    assert_eq!(silent.text().as_deref(), Some("1::"));
    let t = Instant::now();
    let (op, _) = silent.frame().expect("heartbeat");
    assert_eq!(op, 1);
    // The server ends the connection (close frame, then FIN).
    loop {
        match silent.frame() {
            Some((8, _)) | None => break,
            Some(_) => {}
        }
    }
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    h.shutdown();
    h.wait();
}

#[test]
fn close_timeout_ends_polling_sessions() {
    let h = start(&[("polling duration", "0.2"), ("close timeout", "0.5")]);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let p = format!("/socket.io/1/xhr-polling/{sid}");
    assert_eq!(get(a, &format!("{p}?t=1")).2, "1::");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(get(a, &format!("{p}?t=2")).2, "7:::1+0");
    h.shutdown();
    h.wait();
}

#[test]
fn big_websocket_messages_on_the_epoll_driver() {
    let h = start(&[("io driver", "legacy"), ("workers", "2")]);
    let a = h.local_addr();
    for _ in 0..3 {
        let sid = handshake(a, "");
        let mut ws = Ws::connect(a, &sid);
        assert_eq!(ws.text().as_deref(), Some("1::"));
        for n in [125usize, 126, 65_535, 65_536, 70_000, 300_000] {
            let text = format!("3:::{}", "x".repeat(n - 4));
            ws.send(&text);
            assert_eq!(ws.text().map(|t| t.len()), Some(n));
        }
    }
    h.shutdown();
    h.wait();
}

#[test]
fn destroy_buffer_size_kicks_per_message() {
    let h = start(&[("destroy buffer size", "1000")]);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    for _ in 0..5 {
        ws.send(&format!("3:::{}", "m".repeat(900)));
        assert_eq!(ws.text().map(|t| t.len()), Some(904));
    }
    ws.send(&format!("3:::{}", "m".repeat(2000)));
    assert_eq!(ws.text().as_deref(), Some("0::"));
    h.shutdown();
    h.wait();
}

#[test]
fn htmlfile_streams_chunks_and_heartbeats() {
    use std::io::{Read, Write};
    let h = start(&[("heartbeat interval", "0.3")]);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut s = std::net::TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    write!(
        s,
        "GET /socket.io/1/htmlfile/{sid}?t=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .expect("write");
    let mut got = Vec::new();
    let mut tmp = [0u8; 4096];
    let want_first = "<script>_(\"1::\");</script>";
    while !String::from_utf8_lossy(&got).contains(want_first) {
        let n = s.read(&mut tmp).expect("read");
        assert!(n > 0, "stream ended early");
        got.extend_from_slice(&tmp[..n]);
    }
    let text = String::from_utf8_lossy(&got).to_string();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"));
    assert!(text.contains("Transfer-Encoding: chunked"));
    assert!(text.contains("\r\n\r\n100\r\n<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>"));
    let (st, _, body) = post(
        a,
        &format!("/socket.io/1/htmlfile/{sid}?t=2"),
        "5:1+::{\"name\":\"echo\",\"args\":[\"a/b</script>\"]}",
    );
    assert_eq!((st, body.as_str()), (200, "1"));
    let want = "<script>_(\"6:::1+[\\\"a\\/b<\\/script>\\\"]\");</script>";
    let hb = "<script>_(\"2::\");</script>";
    while !(String::from_utf8_lossy(&got).contains(want)
        && String::from_utf8_lossy(&got).contains(hb))
    {
        let n = s.read(&mut tmp).expect("read");
        assert!(
            n > 0,
            "stream ended early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&tmp[..n]);
    }
    drop(s);
    // The session ended with the stream: a poll now gets the unknown-session answer.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        get(a, &format!("/socket.io/1/xhr-polling/{sid}?t=3")).2,
        "7:::1+0"
    );
    h.shutdown();
    h.wait();
}

#[test]
fn aborted_poll_keeps_packets_for_the_next_one() {
    use std::io::Write;
    let h = start(&[("polling duration", "5")]);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let p = format!("/socket.io/1/xhr-polling/{sid}");
    assert_eq!(get(a, &format!("{p}?t=1")).2, "1::");
    // A poll that the client abandons (Q-21) closes the transport at once...
    let mut s = std::net::TcpStream::connect(a).expect("connect");
    write!(s, "GET {p}?t=2 HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    std::thread::sleep(Duration::from_millis(200));
    drop(s);
    std::thread::sleep(Duration::from_millis(200));
    // ...and what arrives meanwhile waits for the next poll, which answers at once.
    let (st, _, _) = post(
        a,
        &format!("{p}?t=3"),
        "5:::{\"name\":\"echo\",\"args\":[9]}",
    );
    assert_eq!(st, 200);
    let t = Instant::now();
    assert_eq!(
        get(a, &format!("{p}?t=4")).2,
        "5:::{\"name\":\"echo\",\"args\":[9]}"
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    h.shutdown();
    h.wait();
}

#[test]
fn flash_policy_listener_inline_answer_and_flashsocket_upgrade() {
    use std::io::{Read, Write};
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = free.local_addr().expect("addr").port();
    drop(free);
    let port_s = port.to_string();
    let h = start(&[
        ("transports", "websocket,flashsocket"),
        ("flash policy port", &port_s),
        ("origins", "example.com:80 *:8080"),
    ]);
    let a = h.local_addr();
    let want = "<?xml version=\"1.0\"?><!DOCTYPE cross-domain-policy SYSTEM \"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd\"><cross-domain-policy><allow-access-from domain=\"example.com\" to-ports=\"80\"/><allow-access-from domain=\"*\" to-ports=\"8080\"/></cross-domain-policy>";
    // The dedicated listener answers without waiting for a request.
    let mut got = String::new();
    for _ in 0..50 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let _ = s.read_to_string(&mut got);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(got, want);
    // Inline on the main port, even when the request arrives in two pieces.
    let mut s = std::net::TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    s.write_all(b"<policy-file-").expect("write");
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b"request/>\0").expect("write");
    let mut inline = String::new();
    let _ = s.read_to_string(&mut inline);
    assert_eq!(inline, want);
    // flashsocket is the websocket transport under its own name.
    let (_, _, body) = http(
        a,
        "GET /socket.io/1/?t=1 HTTP/1.1\r\nHost: x\r\nOrigin: http://example.com\r\nConnection: close\r\n\r\n",
    );
    assert!(body.ends_with(":websocket,flashsocket"), "{body}");
    let sid = body.split(':').next().expect("sid").to_owned();
    let mut s = std::net::TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    write!(s, "GET /socket.io/1/flashsocket/{sid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: http://example.com\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").expect("write");
    let mut buf = Vec::new();
    let mut tmp = [0u8; 1024];
    while !buf.ends_with(b"\x81\x031::") {
        let n = s.read(&mut tmp).expect("read");
        assert!(n > 0);
        buf.extend_from_slice(&tmp[..n]);
    }
    assert!(buf.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    h.shutdown();
    h.wait();
}
