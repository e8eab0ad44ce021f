//! Tests of the C ABI over real sockets: the `extern "C"` functions are called as a C
//! host would, and a plain TCP client speaks HTTP / xhr-polling to the server.

mod abi;
mod handback;
mod live;
mod polling;
mod tls;

use crate::event::*;
use crate::lifecycle::*;
use crate::options::*;
use crate::poll::*;
use crate::result::*;
use crate::server::sio_server;
use std::ffi::CString;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A C string literal.
fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

/// A started server (epoll driver, quiet, one shard unless `workers` is set).
fn started(setup: impl FnOnce(*mut sio_server)) -> (*mut sio_server, u16) {
    let mut srv = std::ptr::null_mut();
    unsafe {
        assert_eq!(sio_server_new(&mut srv), SIO_OK);
        assert_eq!(
            sio_set(srv, c("log level").as_ptr(), c("0").as_ptr()),
            SIO_OK
        );
        assert_eq!(
            sio_set(srv, c("io driver").as_ptr(), c("legacy").as_ptr()),
            SIO_OK
        );
        assert_eq!(sio_set(srv, c("workers").as_ptr(), c("2").as_ptr()), SIO_OK);
        setup(srv);
        assert_eq!(sio_server_listen(srv, c("127.0.0.1:0").as_ptr()), SIO_OK);
        let mut port = 0;
        assert_eq!(sio_server_local_port(srv, &mut port), SIO_OK);
        (srv, port)
    }
}

/// An owned copy of an event view.
#[derive(Debug, Clone)]
struct Ev {
    kind: u32,
    nsp: u32,
    socket: u64,
    id: u64,
    sid: String,
    name: String,
    data: String,
}

fn copy(e: &sio_event) -> Ev {
    let s = |p: *const u8, n: usize| unsafe {
        String::from_utf8_lossy(std::slice::from_raw_parts(p, n)).into_owned()
    };
    Ev {
        kind: e.kind,
        nsp: e.nsp,
        socket: e.socket,
        id: e.id,
        sid: s(e.sid.cast(), e.sid_len),
        name: s(e.name.cast(), e.name_len),
        data: s(e.data, e.data_len),
    }
}

/// Drain what is queued now (without waiting).
fn drain(srv: *mut sio_server) -> Vec<Ev> {
    let mut evs: Vec<sio_event> = Vec::with_capacity(64);
    let mut n = 0;
    unsafe {
        assert_eq!(
            sio_server_poll_events(srv, evs.as_mut_ptr(), 64, &mut n),
            SIO_OK
        );
        evs.set_len(n);
    }
    evs.iter().map(copy).collect()
}

/// Poll (waiting on the event fd) until an event of `kind` arrives; earlier events
/// are returned too.
fn wait_kind(srv: *mut sio_server, kind: u32) -> Vec<Ev> {
    let mut fd = -1;
    unsafe { assert_eq!(sio_server_event_fd(srv, &mut fd), SIO_OK) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while Instant::now() < deadline {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        unsafe { libc::poll(&mut p, 1, 100) };
        let mut evs: Vec<sio_event> = Vec::with_capacity(8);
        let mut n = 0;
        unsafe {
            assert_eq!(
                sio_server_poll_events(srv, evs.as_mut_ptr(), 8, &mut n),
                SIO_OK
            );
            evs.set_len(n);
        }
        got.extend(evs.iter().map(copy));
        if got.iter().any(|e| e.kind == kind) {
            return got;
        }
    }
    panic!("no event of kind {kind} within 10 s; got {got:?}");
}

/// One HTTP/1.0 request; returns (status, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// Handshake and return the session id.
fn handshake(port: u16, query: &str) -> String {
    let (status, body) = http(port, "GET", &format!("/socket.io/1/?{query}"), "");
    assert_eq!(status, 200, "handshake: {body}");
    body.split(':').next().expect("sid").to_owned()
}

fn stop_and_free(srv: *mut sio_server) {
    unsafe {
        assert_eq!(sio_server_stop(srv, 100), SIO_OK);
        let evs = wait_kind(srv, SIO_EV_STOPPED);
        assert_eq!(evs.last().map(|e| e.kind), Some(SIO_EV_STOPPED));
        assert_eq!(sio_server_free(srv), SIO_OK);
    }
}
