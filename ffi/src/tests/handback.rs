//! Connection hand-back over real sockets: the test plays the host (it accepts the
//! client's connection on its own listener, reads the first request, adopts the
//! connection) and the client (a keep-alive HTTP/1.1 connection).

use super::*;
use crate::lifecycle::sio_server_set_handback;
use std::os::fd::{FromRawFd, IntoRawFd};

/// A client connected through the "host": returns the client side; the server side
/// was adopted with the first request `first` (read by the host from the socket).
fn adopted_client(srv: *mut sio_server, first: &str) -> TcpStream {
    let host = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut client = TcpStream::connect(host.local_addr().expect("addr")).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let (mut conn, _) = host.accept().expect("accept");
    client.write_all(first.as_bytes()).expect("write");
    // The host reads the request head (like Node's HTTP parser) before handing over.
    let mut read = vec![0u8; first.len()];
    conn.read_exact(&mut read).expect("read the first request");
    let fd = conn.into_raw_fd();
    unsafe {
        assert_eq!(
            sio_server_adopt_connection(srv, fd, read.as_ptr(), read.len()),
            SIO_OK
        );
    }
    client
}

/// One HTTP/1.1 response read by its Content-Length: (status, head, body).
fn response(s: &mut TcpStream) -> (u16, String, String) {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).expect("read"), 1, "response head: {head:?}");
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

fn set_handback(srv: *mut sio_server, on: bool, paths: &[&str]) {
    let cs: Vec<_> = paths.iter().map(|p| c(p)).collect();
    let ps: Vec<_> = cs.iter().map(|p| p.as_ptr()).collect();
    unsafe {
        assert_eq!(
            sio_server_set_handback(srv, on as i32, ps.as_ptr(), ps.len()),
            SIO_OK
        );
    }
}

/// Wait for the HANDBACK event; returns it with the descriptor as a `TcpStream` the
/// test now owns.
fn handback(srv: *mut sio_server) -> (Ev, TcpStream) {
    let evs = wait_kind(srv, SIO_EV_HANDBACK);
    let e = evs
        .into_iter()
        .find(|e| e.kind == SIO_EV_HANDBACK)
        .expect("handback");
    let fd = i32::try_from(e.id).expect("a descriptor");
    // SAFETY: the event hands the descriptor over; the test owns it now.
    let s = unsafe { TcpStream::from_raw_fd(fd) };
    (e, s)
}

#[test]
fn a_later_request_outside_the_resource_goes_back_to_the_host() {
    later_request_goes_back("legacy");
}

/// The same with the default driver (io_uring where the kernel allows it): the
/// descriptor is dropped through the ring there.
#[test]
fn a_later_request_goes_back_with_the_auto_driver() {
    later_request_goes_back("auto");
}

fn later_request_goes_back(driver: &str) {
    let (srv, port) = started(|srv| {
        set_handback(srv, true, &[]);
        unsafe {
            assert_eq!(
                sio_set(srv, c("io driver").as_ptr(), c(driver).as_ptr()),
                SIO_OK
            );
        }
    });
    let hs = "GET /socket.io/1/?t=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut client = adopted_client(srv, hs);
    let (status, _, body) = response(&mut client);
    assert_eq!(status, 200, "the library answered the handshake: {body}");
    assert!(body.ends_with(":60:60:websocket,htmlfile,xhr-polling,jsonp-polling"));

    // Same keep-alive connection, a request that is the host's.
    let other = "GET /other?x=1 HTTP/1.1\r\nHost: x\r\nX-Test: 1\r\n\r\n";
    client.write_all(other.as_bytes()).expect("write");
    let (e, mut fd) = handback(srv);
    assert_eq!(e.data, other, "exactly the unconsumed bytes");
    assert_eq!(
        e.name,
        client.local_addr().expect("addr").to_string(),
        "the peer"
    );
    // The descriptor is the same TCP connection.
    assert_eq!(
        fd.peer_addr().expect("peer"),
        client.local_addr().expect("addr")
    );
    fd.set_nonblocking(false).expect("blocking for the test");
    fd.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhost")
        .expect("host answers");
    let (status, _, body) = response(&mut client);
    assert_eq!((status, body.as_str()), (200, "host"));
    // The library no longer reads the connection: the host gets the next request.
    client
        .write_all(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut buf = [0u8; 64];
    fd.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let n = fd.read(&mut buf).expect("the host reads the next request");
    assert!(buf[..n].starts_with(b"GET /again "), "{:?}", &buf[..n]);

    // A connection the library accepted itself is answered as before.
    let (status, body) = http(port, "GET", "/other", "");
    assert_eq!((status, body.as_str()), (200, "Welcome to socket.io."));
    assert!(
        drain_kinds(srv).iter().all(|k| *k != SIO_EV_HANDBACK),
        "no hand-back for own connections"
    );
    stop_and_free(srv);
}

fn drain_kinds(srv: *mut sio_server) -> Vec<u32> {
    std::thread::sleep(Duration::from_millis(200));
    drain(srv).iter().map(|e| e.kind).collect()
}

#[test]
fn host_paths_under_the_resource_go_back_and_others_stay() {
    let (srv, _) = started(|_| {});
    // Switched on after start, with a path under the resource the host serves.
    set_handback(srv, true, &["/socket.io/random.js"]);
    let mut client = adopted_client(
        srv,
        "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let (status, head, body) = response(&mut client);
    assert_eq!(status, 200, "{head}");
    assert!(body.contains("Socket.IO"), "the library serves its client");
    let req = "POST /socket.io/random.js?v=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    client.write_all(req.as_bytes()).expect("write");
    let (e, fd) = handback(srv);
    assert!(
        req.starts_with(&e.data) && e.data.len() >= req.len() - 5,
        "the head and the body bytes read so far: {:?}",
        e.data
    );
    assert_eq!(
        fd.peer_addr().expect("peer"),
        client.local_addr().expect("addr")
    );
    drop(fd);

    // Off again: the library answers requests outside the resource itself.
    set_handback(srv, false, &[]);
    let mut client = adopted_client(srv, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    let (status, _, body) = response(&mut client);
    assert_eq!((status, body.as_str()), (200, "Welcome to socket.io."));
    assert!(drain_kinds(srv).iter().all(|k| *k != SIO_EV_HANDBACK));
    stop_and_free(srv);
}

#[test]
fn a_handback_never_drained_is_closed_by_free() {
    let (srv, _) = started(|srv| set_handback(srv, true, &[]));
    let mut client = adopted_client(srv, "GET /mine HTTP/1.1\r\nHost: x\r\n\r\n");
    // Wait until the event is queued (the fd readable), without draining it.
    let mut efd = -1;
    unsafe { assert_eq!(sio_server_event_fd(srv, &mut efd), SIO_OK) };
    let mut p = libc::pollfd {
        fd: efd,
        events: libc::POLLIN,
        revents: 0,
    };
    assert_eq!(unsafe { libc::poll(&mut p, 1, 10_000) }, 1);
    unsafe {
        assert_eq!(sio_server_stop(srv, 0), SIO_OK);
        assert_eq!(sio_server_free(srv), SIO_OK);
    }
    // The connection was closed: the client reads EOF.
    let mut buf = [0u8; 16];
    assert_eq!(client.read(&mut buf).expect("EOF, not an error"), 0);
}

/// `socket.handshake` (the CONNECTION event's data) has what 0.9.19's handshakeData has,
/// with the real peer of an adopted connection as `address`.
#[test]
fn handshake_data_of_an_adopted_connection_names_the_real_peer() {
    let (srv, port) = started(|_| {});
    let mut client = adopted_client(
        srv,
        "GET /socket.io/1/?user=ann&t=5 HTTP/1.1\r\nHost: example.test:81\r\nConnection: keep-alive\r\n\r\n",
    );
    let (status, _, body) = response(&mut client);
    assert_eq!(status, 200, "{body}");
    let sid = body.split(':').next().expect("sid").to_owned();
    let (_, first) = http(port, "GET", &format!("/socket.io/1/xhr-polling/{sid}"), "");
    assert_eq!(first, "1::");
    let evs = wait_kind(srv, SIO_EV_CONNECTION);
    let conn = evs
        .iter()
        .find(|e| e.kind == SIO_EV_CONNECTION)
        .expect("connection");
    let hs: serde_json::Value = serde_json::from_str(&conn.data).expect("JSON");
    let me = client.local_addr().expect("addr");
    assert_eq!(hs["address"]["address"], me.ip().to_string());
    assert_eq!(hs["address"]["port"], me.port());
    assert_eq!(hs["headers"]["host"], "example.test:81");
    assert_eq!(hs["headers"]["connection"], "keep-alive");
    assert!(
        hs["time"].as_str().is_some_and(|t| t.contains("GMT")),
        "{}",
        hs["time"]
    );
    assert_eq!(hs["query"]["user"], "ann");
    assert_eq!(hs["url"], "/socket.io/1/?user=ann&t=5");
    assert_eq!(hs["xdomain"], false);
    assert!(
        hs.get("secure").is_none(),
        "plain TCP: no `secure` key (0.9)"
    );
    stop_and_free(srv);
}
