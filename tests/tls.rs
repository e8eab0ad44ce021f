//! Integration tests: TLS terminated in the core (`tls cert` / `tls key`), over real
//! sockets with a self-signed certificate made at test time (rcgen) and a rustls client
//! that trusts it: https handshake and xhr-polling (on both shards: hand-off), wss
//! (RFC 6455 and hixie-76 with a `wss://` Location), handshake data `secure`, and bad
//! clients (plaintext on the TLS port, garbage, silence) that are closed without
//! disturbing the others. Start-up errors for an incomplete or unreadable pair.

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use sio09::{Server, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Pki {
    cert: String,
    key: String,
    der: CertificateDer<'static>,
}

fn pki(tag: &str) -> Pki {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let dir = std::env::temp_dir().join(format!("sio09-tls-it-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, c.cert.pem()).expect("cert");
    std::fs::write(&key, c.key_pair.serialize_pem()).expect("key");
    Pki {
        cert: cert.to_string_lossy().into_owned(),
        key: key.to_string_lossy().into_owned(),
        der: c.cert.der().clone(),
    }
}

type Seen = Arc<Mutex<Vec<Option<Value>>>>;

/// A TLS test-app server on two shards; `seen` collects each connection's handshake
/// `secure` field.
fn start(p: &Pki) -> (sio09::ServerHandle, Seen) {
    start_on(p, "auto")
}

/// [`start`] on I/O driver `driver` (`auto`, `legacy`).
fn start_on(p: &Pki, driver: &str) -> (sio09::ServerHandle, Seen) {
    let mut io = Server::new();
    io.set("io driver", driver).expect("io driver");
    io.set("log level", 0.0).expect("log level");
    io.set("workers", 2.0).expect("workers");
    io.set("tls cert", p.cert.as_str()).expect("tls cert");
    io.set("tls key", p.key.as_str()).expect("tls key");
    sio09::apps::test_app::install(&mut io);
    let seen: Seen = Arc::default();
    let s = seen.clone();
    io.of("/secure").on_connection(move |sock| {
        let v = sock.handshake().and_then(|h| h.get("secure").cloned());
        s.lock().expect("lock").push(v);
    });
    let h = io
        .listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .expect("listen");
    (h, seen)
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn connect(addr: SocketAddr, p: &Pki) -> Tls {
    let mut roots = RootCertStore::empty();
    roots.add(p.der.clone()).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").expect("name");
    let conn = ClientConnection::new(Arc::new(cfg), name).expect("client");
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
    StreamOwned::new(conn, tcp)
}

/// Read until `done` says the bytes so far are complete (or EOF / timeout).
fn read_until(s: &mut impl Read, buf: &mut Vec<u8>, done: impl Fn(&[u8]) -> bool) -> bool {
    let mut tmp = [0u8; 8192];
    while !done(buf) {
        match s.read(&mut tmp) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
    true
}

/// One HTTP/1.1 exchange (Connection: close) over a new TLS connection.
fn https(addr: SocketAddr, p: &Pki, method: &str, target: &str, body: &str) -> (u16, String) {
    let mut s = connect(addr, p);
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut buf = Vec::new();
    read_until(&mut s, &mut buf, |_| false);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, body.to_owned())
}

fn handshake(addr: SocketAddr, p: &Pki) -> String {
    let (status, body) = https(addr, p, "GET", "/socket.io/1/?t=1", "");
    assert_eq!(status, 200, "{body}");
    body.split(':').next().expect("sid").to_owned()
}

#[test]
fn https_handshake_and_xhr_polling_on_both_shards() {
    let p = pki("poll");
    let (h, _) = start(&p);
    let addr = h.local_addr();
    // Enough sessions that both shards own some: a poll for a session of the other shard
    // is handed off (the decrypted end moves; TLS stays with the accepting shard).
    for _ in 0..6 {
        let sid = handshake(addr, &p);
        let t = format!("/socket.io/1/xhr-polling/{sid}?t=2");
        assert_eq!(https(addr, &p, "GET", &t, ""), (200, "1::".to_owned()));
        let msg = r#"5:1+::{"name":"echo","args":["över tls"]}"#;
        assert_eq!(https(addr, &p, "POST", &t, msg), (200, "1".to_owned()));
        assert_eq!(
            https(addr, &p, "GET", &t, ""),
            (200, r#"6:::1+["över tls"]"#.to_owned())
        );
    }
    // jsonp-polling too.
    let sid = handshake(addr, &p);
    let (status, body) = https(
        addr,
        &p,
        "GET",
        &format!("/socket.io/1/jsonp-polling/{sid}?t=3&i=0"),
        "",
    );
    assert_eq!(status, 200);
    assert_eq!(body, r#"io.j[0]("1::");"#);
    h.shutdown();
}

fn ws_frame(s: &mut Tls, buf: &mut Vec<u8>) -> Option<(u8, String)> {
    let complete =
        |b: &[u8]| b.len() >= 2 && (b[1] & 0x7f) < 126 && b.len() >= 2 + (b[1] & 0x7f) as usize;
    if !read_until(s, buf, complete) {
        return None;
    }
    let len = (buf[1] & 0x7f) as usize;
    let op = buf[0] & 0x0f;
    let text = String::from_utf8_lossy(&buf[2..2 + len]).into_owned();
    buf.drain(..2 + len);
    Some((op, text))
}

fn ws_send(s: &mut Tls, text: &str) {
    let mask = [7u8, 1, 9, 3];
    let mut f = vec![0x81, 0x80 | text.len() as u8];
    f.extend_from_slice(&mask);
    f.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&f).expect("send");
}

#[test]
fn wss_rfc6455_echo_and_secure_handshake_data() {
    wss_echo_on("auto");
}

#[test]
fn wss_rfc6455_echo_on_the_epoll_driver() {
    wss_echo_on("legacy");
}

fn wss_echo_on(driver: &str) {
    let p = pki(&format!("wss-{driver}"));
    let (h, seen) = start_on(&p, driver);
    let addr = h.local_addr();
    for _ in 0..4 {
        let sid = handshake(addr, &p);
        let mut s = connect(addr, &p);
        let req = format!(
            "GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(req.as_bytes()).expect("write");
        let mut buf = Vec::new();
        assert!(read_until(&mut s, &mut buf, |b| b
            .windows(4)
            .any(|w| w == b"\r\n\r\n")));
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        buf.drain(..end);
        assert_eq!(ws_frame(&mut s, &mut buf), Some((1, "1::".to_owned())));
        ws_send(&mut s, r#"5:7+::{"name":"echo","args":[1,"wss"]}"#);
        assert_eq!(
            ws_frame(&mut s, &mut buf),
            Some((1, r#"6:::7+[1,"wss"]"#.to_owned()))
        );
        ws_send(&mut s, "1::/secure");
        assert_eq!(
            ws_frame(&mut s, &mut buf),
            Some((1, "1::/secure".to_owned()))
        );
    }
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen, vec![Some(Value::Bool(true)); 4]);
    h.shutdown();
}

#[test]
fn hixie76_over_tls_says_wss() {
    let p = pki("hixie");
    let (h, _) = start(&p);
    let addr = h.local_addr();
    let sid = handshake(addr, &p);
    let mut s = connect(addr, &p);
    let req = format!(
        "GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: localhost\r\nOrigin: https://localhost\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U"
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut buf = Vec::new();
    let answered = |b: &[u8]| {
        b.windows(4)
            .position(|w| w == b"\r\n\r\n")
            .is_some_and(|p| b.len() >= p + 4 + 16)
    };
    assert!(read_until(&mut s, &mut buf, answered));
    let text = String::from_utf8_lossy(&buf).into_owned();
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(
        text.contains(&format!(
            "Sec-WebSocket-Location: wss://localhost/socket.io/1/websocket/{sid}\r\n"
        )),
        "{text}"
    );
    assert!(text.contains("8jKS'y:G*Co,Wxa-"), "{text}");
    h.shutdown();
}

#[test]
fn bad_clients_are_closed_and_others_unaffected() {
    let p = pki("bad");
    let (h, _) = start(&p);
    let addr = h.local_addr();
    // Plain HTTP on the TLS port: closed (after at most an alert), no HTTP answer.
    let mut plain = TcpStream::connect(addr).expect("connect");
    plain.set_read_timeout(Some(Duration::from_secs(5))).ok();
    plain
        .write_all(b"GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!got.starts_with(b"HTTP/"), "{got:?}");
    // A TLS client that stops mid-record: the half record is dropped with the connection.
    let mut trunc = TcpStream::connect(addr).expect("connect");
    trunc
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .expect("write");
    drop(trunc);
    // A good client meanwhile.
    assert_eq!(handshake(addr, &p).len(), 20);
    // A silent client is closed once the handshake bound passes.
    let mut silent = TcpStream::connect(addr).expect("connect");
    silent.set_read_timeout(Some(Duration::from_secs(15))).ok();
    let t0 = Instant::now();
    let mut one = [0u8; 1];
    let r = silent.read(&mut one);
    assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(14),
        "{waited:?}"
    );
    assert_eq!(handshake(addr, &p).len(), 20);
    h.shutdown();
}

#[test]
fn incomplete_or_unreadable_pair_does_not_start() {
    let p = pki("err");
    let mut io = Server::new();
    io.set("log level", 0.0).expect("log level");
    io.set("tls cert", p.cert.as_str()).expect("tls cert");
    let e = io
        .listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .err()
        .expect("cert alone must not start");
    assert!(e.to_string().contains("`tls key`"), "{e}");
    let mut io = Server::new();
    io.set("log level", 0.0).expect("log level");
    io.set("tls cert", "/nonexistent/cert.pem")
        .expect("tls cert");
    io.set("tls key", p.key.as_str()).expect("tls key");
    let e = io
        .listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .err()
        .expect("missing file must not start");
    assert!(e.to_string().contains("/nonexistent/cert.pem"), "{e}");
}

/// One keep-alive HTTP/1.1 exchange on `s`; the response must carry a Content-Length.
fn exchange(s: &mut impl ReadWrite, method: &str, target: &str, body: &str) -> (u16, String) {
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut buf = Vec::new();
    let complete = |b: &[u8]| {
        let text = String::from_utf8_lossy(b);
        let Some((head, rest)) = text.split_once("\r\n\r\n") else {
            return false;
        };
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        rest.len() >= len
    };
    assert!(
        read_until(s, &mut buf, complete),
        "no whole response to {method} {target}"
    );
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, body.to_owned())
}

/// Read + Write, for [`exchange`] on a TLS client and on a plain socket alike.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A host that accepts TCP connections itself and hands them to the server still
/// encrypted (`Adopt { tls: true }`, what the Node module does for an `https.Server`),
/// with the PEM text given inline: the server terminates TLS and serves the handshake;
/// a request that is the host's comes back as the decrypted stream (a Unix socket) with
/// the client's address; the host answers it in plaintext, the client reads it over TLS;
/// the host hands the decrypted stream back again (`Adopt { secure, peer }`) for the next
/// socket.io request, whose session sees `secure: true`.
#[test]
fn adopted_tls_connection_is_served_handed_back_and_readopted() {
    use sio09::server::{Adopt, Handback};
    use std::os::unix::net::UnixStream;
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let p = Pki {
        cert: c.cert.pem(),
        key: c.key_pair.serialize_pem(),
        der: c.cert.der().clone(),
    };
    let mut io = Server::new();
    io.set("log level", 0.0).expect("log level");
    io.set("workers", 2.0).expect("workers");
    io.set("tls cert", p.cert.as_str()).expect("tls cert");
    io.set("tls key", p.key.as_str()).expect("tls key");
    sio09::apps::test_app::install(&mut io);
    let seen: Seen = Arc::default();
    let s = seen.clone();
    io.of("/secure").on_connection(move |sock| {
        let v = sock.handshake().and_then(|h| h.get("secure").cloned());
        s.lock().expect("lock").push(v);
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    io.handback(Some(Handback { paths: Vec::new() }));
    io.on_handback(Arc::new(move |fd, bytes, peer| {
        let _ = tx.lock().expect("lock").send((fd, bytes, peer));
    }));
    let h = io.start_adopt_only().expect("start");
    let embed = h.embed();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");

    // The client runs its keep-alive exchanges in a thread; the host answers its part here.
    let client_pki = Pki {
        cert: String::new(),
        key: String::new(),
        der: p.der.clone(),
    };
    let client = std::thread::spawn(move || {
        let mut s = connect(addr, &client_pki);
        let me = s.sock.local_addr().expect("local");
        let (st, body) = exchange(&mut s, "GET", "/socket.io/1/?t=1", "");
        assert_eq!(st, 200, "{body}");
        let sid = body.split(':').next().expect("sid").to_owned();
        // the host's page, answered by the host over the decrypted stream
        assert_eq!(
            exchange(&mut s, "GET", "/app/page", ""),
            (200, "hello from the host".to_owned())
        );
        // socket.io again on the same connection, after the host gave it back
        let t = format!("/socket.io/1/xhr-polling/{sid}?t=2");
        assert_eq!(exchange(&mut s, "GET", &t, ""), (200, "1::".to_owned()));
        assert_eq!(
            exchange(&mut s, "POST", &t, "1::/secure"),
            (200, "1".to_owned())
        );
        me
    });
    let (tcp, _) = listener.accept().expect("accept");
    embed
        .adopt(
            OwnedFd::from(tcp),
            Vec::new(),
            &Adopt {
                tls: true,
                ..Adopt::default()
            },
        )
        .expect("adopt");
    let (fd, bytes, peer) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the host's request comes back");
    assert!(
        bytes.starts_with(b"GET /app/page HTTP/1.1\r\n"),
        "{bytes:?}"
    );
    let mut plain = UnixStream::from(fd);
    // the server's descriptor was non-blocking, and the flag belongs to the open file
    plain.set_nonblocking(false).expect("blocking");
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    plain
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\nhello from the host")
        .expect("answer");
    // The next request arrives decrypted on the stream; hand it back with what was read.
    let mut next = Vec::new();
    assert!(read_until(&mut plain, &mut next, |b| b
        .windows(4)
        .any(|w| w == b"\r\n\r\n")));
    assert!(
        next.starts_with(b"GET /socket.io/1/xhr-polling/"),
        "{next:?}"
    );
    embed
        .adopt(
            OwnedFd::from(plain),
            next,
            &Adopt {
                tls: false,
                secure: true,
                peer: Some(peer),
            },
        )
        .expect("re-adopt");
    let me = client.join().expect("client");
    assert_eq!(peer, me, "the handed-back stream names the client");
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().expect("lock").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*seen.lock().expect("lock"), vec![Some(Value::Bool(true))]);
    h.shutdown();
}

/// Adopting an encrypted connection without `tls cert` / `tls key` is refused (and the
/// descriptor closed), and a Unix socket without the client's address is refused too.
#[test]
fn adopting_tls_without_a_configuration_is_refused() {
    use sio09::server::Adopt;
    let mut io = Server::new();
    io.set("log level", 0.0).expect("log level");
    let h = io.start_adopt_only().expect("start");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (tcp, _) = listener.accept().expect("accept");
    let how = Adopt {
        tls: true,
        ..Adopt::default()
    };
    let e = h
        .embed()
        .adopt(OwnedFd::from(tcp), Vec::new(), &how)
        .expect_err("no TLS configuration");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("tls cert"), "{e}");
    // the descriptor was closed: the client reads EOF
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut b = [0u8; 1];
    assert_eq!(client.read(&mut b).expect("eof"), 0);
    let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
    let e = h
        .embed()
        .adopt(OwnedFd::from(a), Vec::new(), &Adopt::default())
        .expect_err("no peer address for a Unix socket");
    assert!(e.to_string().contains("client address"), "{e}");
    h.shutdown();
}
