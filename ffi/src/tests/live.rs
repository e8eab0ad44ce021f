//! Changes after start over real sockets: options (`sio_set`/`sio_enable`/
//! `sio_disable`/`sio_configure` read back with `sio_get` and seen on the wire),
//! namespaces and authorization switched on and off, session introspection.

use super::*;
use crate::auth::sio_authorize_reply;
use crate::rooms::*;
use std::ffi::CStr;

fn set(srv: *mut sio_server, k: &str, v: &str) -> sio_result {
    unsafe { sio_set(srv, c(k).as_ptr(), c(v).as_ptr()) }
}

fn get(srv: *mut sio_server, k: &str) -> String {
    let mut buf = [0 as std::ffi::c_char; 512];
    let mut n = 0;
    unsafe {
        assert_eq!(
            sio_get(srv, c(k).as_ptr(), buf.as_mut_ptr(), buf.len(), &mut n),
            SIO_OK
        );
        CStr::from_ptr(buf.as_ptr())
            .to_str()
            .expect("UTF-8")
            .to_owned()
    }
}

fn last_error(srv: *mut sio_server) -> String {
    let mut buf = [0 as std::ffi::c_char; 512];
    let mut n = 0;
    unsafe {
        assert_eq!(
            sio_last_error_message(srv, buf.as_mut_ptr(), buf.len(), &mut n),
            SIO_OK
        );
        CStr::from_ptr(buf.as_ptr())
            .to_str()
            .expect("UTF-8")
            .to_owned()
    }
}

/// The raw HTTP/1.0 answer (head and body).
fn raw(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Read the Flash policy document from `port` (None when nothing listens).
fn flash_policy(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Retry `f` for up to 5 s until it returns true.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn options_set_after_start_apply_to_the_next_request() {
    let (srv, port) = started(|_| {});
    // Defaults on the wire.
    let (_, body) = http(port, "GET", "/socket.io/1/", "");
    assert!(
        body.ends_with(":60:60:websocket,htmlfile,xhr-polling,jsonp-polling"),
        "{body}"
    );
    // transports, heartbeat timeout, close timeout: the next handshake answer.
    assert_eq!(set(srv, "transports", "xhr-polling,jsonp-polling"), SIO_OK);
    assert_eq!(set(srv, "heartbeat timeout", "7"), SIO_OK);
    assert_eq!(set(srv, "close timeout", "9"), SIO_OK);
    let (_, body) = http(port, "GET", "/socket.io/1/", "");
    assert!(body.ends_with(":7:9:xhr-polling,jsonp-polling"), "{body}");
    assert_eq!(
        get(srv, "transports"),
        "[\"xhr-polling\",\"jsonp-polling\"]"
    );
    assert_eq!(get(srv, "heartbeat timeout"), "7");
    // heartbeats off: the handshake announces no heartbeat timeout.
    unsafe { assert_eq!(sio_disable(srv, c("heartbeats").as_ptr()), SIO_OK) };
    let (_, body) = http(port, "GET", "/socket.io/1/", "");
    assert!(body.ends_with("::9:xhr-polling,jsonp-polling"), "{body}");
    assert_eq!(get(srv, "heartbeats"), "false");
    unsafe { assert_eq!(sio_enable(srv, c("heartbeats").as_ptr()), SIO_OK) };

    // Start-only options are refused and nothing changes.
    assert_eq!(set(srv, "workers", "1"), SIO_E_STATE);
    assert!(last_error(srv).contains("workers"), "{}", last_error(srv));
    assert_eq!(get(srv, "workers"), "2");
    assert_eq!(set(srv, "io driver", "uring"), SIO_E_STATE);
    assert_eq!(get(srv, "io driver"), "\"legacy\"");
    assert_eq!(set(srv, "store", "redis://127.0.0.1:6379"), SIO_E_STATE);
    // A bad value is still a config error.
    assert_eq!(set(srv, "close timeout", "soon"), SIO_E_CONFIG);
    assert_eq!(get(srv, "close timeout"), "9");

    // sio_configure after start: all pairs, or none when one is start-only.
    let keys = [c("close timeout"), c("heartbeat timeout")];
    let vals = [c("11"), c("12")];
    let kp: Vec<_> = keys.iter().map(|k| k.as_ptr()).collect();
    let vp: Vec<_> = vals.iter().map(|v| v.as_ptr()).collect();
    unsafe {
        assert_eq!(
            sio_configure(srv, std::ptr::null(), kp.as_ptr(), vp.as_ptr(), 2),
            SIO_OK
        );
    }
    let (_, body) = http(port, "GET", "/socket.io/1/", "");
    assert!(body.ends_with(":12:11:xhr-polling,jsonp-polling"), "{body}");
    let keys = [c("close timeout"), c("workers")];
    let vals = [c("30"), c("4")];
    let kp: Vec<_> = keys.iter().map(|k| k.as_ptr()).collect();
    let vp: Vec<_> = vals.iter().map(|v| v.as_ptr()).collect();
    unsafe {
        assert_eq!(
            sio_configure(srv, std::ptr::null(), kp.as_ptr(), vp.as_ptr(), 2),
            SIO_E_STATE
        );
    }
    assert_eq!(get(srv, "close timeout"), "11", "all or nothing");

    // log settings: the process-wide switches follow at once.
    use sio09_core::log::{enabled, Level};
    assert_eq!(set(srv, "log level", "3"), SIO_OK);
    assert!(enabled(Level::Debug));
    unsafe { assert_eq!(sio_disable(srv, c("log").as_ptr()), SIO_OK) };
    assert!(!enabled(Level::Error));
    assert_eq!(set(srv, "log level", "0"), SIO_OK);
    unsafe { assert_eq!(sio_enable(srv, c("log").as_ptr()), SIO_OK) };
    assert!(enabled(Level::Error) && !enabled(Level::Warn));

    // origins: a handshake without an Origin header is now refused.
    assert_eq!(set(srv, "origins", "a.com:80"), SIO_OK);
    let (status, body) = http(port, "GET", "/socket.io/1/", "");
    assert_eq!((status, body.as_str()), (403, "handshake bad origin"));
    assert_eq!(set(srv, "origins", "*:*"), SIO_OK);
    assert_eq!(http(port, "GET", "/socket.io/1/", "").0, 200);

    // resource: the handshake moves.
    assert_eq!(set(srv, "resource", "/io"), SIO_OK);
    assert_eq!(http(port, "GET", "/io/1/", "").0, 200);
    assert_eq!(
        http(port, "GET", "/socket.io/1/", "").1,
        "Welcome to socket.io."
    );
    assert_eq!(set(srv, "resource", "/socket.io"), SIO_OK);

    // browser client options: the served file follows (rebuilt off the shards).
    let js = raw(port, "/socket.io/socket.io.js");
    assert!(
        js.starts_with("HTTP/1.1 200"),
        "{}",
        &js[..js.len().min(200)]
    );
    assert!(!js.contains("\r\nEtag: "), "no ETag by default");
    unsafe { assert_eq!(sio_enable(srv, c("browser client etag").as_ptr()), SIO_OK) };
    let js = raw(port, "/socket.io/socket.io.js");
    assert!(js.contains("\r\nEtag: "), "{}", &js[..js.len().min(300)]);
    unsafe { assert_eq!(sio_disable(srv, c("browser client").as_ptr()), SIO_OK) };
    assert_eq!(
        http(port, "GET", "/socket.io/socket.io.js", "").1,
        "Welcome to socket.io."
    );
    stop_and_free(srv);
}

#[test]
fn flash_policy_listener_follows_the_settings() {
    let (srv, _) = started(|_| {});
    let (p1, p2) = (free_port(), free_port());
    assert_eq!(set(srv, "flash policy port", &p1.to_string()), SIO_OK);
    assert_eq!(set(srv, "transports", "websocket,flashsocket"), SIO_OK);
    assert!(
        eventually(|| flash_policy(p1).is_some_and(|d| d.contains("cross-domain-policy"))),
        "the policy server listens on {p1}"
    );
    // A new port: the old listener is closed, the new one serves.
    assert_eq!(set(srv, "flash policy port", &p2.to_string()), SIO_OK);
    assert!(
        eventually(|| flash_policy(p2).is_some_and(|d| d.contains("cross-domain-policy"))),
        "the policy server moved to {p2}"
    );
    assert!(
        eventually(|| TcpStream::connect(("127.0.0.1", p1)).is_err()),
        "{p1} is closed"
    );
    // Switched off.
    unsafe { assert_eq!(sio_disable(srv, c("flash policy server").as_ptr()), SIO_OK) };
    assert!(
        eventually(|| TcpStream::connect(("127.0.0.1", p2)).is_err()),
        "{p2} is closed"
    );
    stop_and_free(srv);
}

/// A minimal websocket (hybi-13) client: the upgrade, then the text of each frame.
struct Ws(TcpStream);

impl Ws {
    fn connect(port: u16, sid: &str) -> Ws {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let req = format!(
            "GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(req.as_bytes()).expect("write");
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).expect("read"), 1, "upgrade answer");
            head.push(b[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
        Ws(s)
    }

    /// The next text frame, or None on timeout.
    fn next(&mut self, timeout: Duration) -> Option<String> {
        self.0.set_read_timeout(Some(timeout)).ok()?;
        let mut h = [0u8; 2];
        self.0.read_exact(&mut h).ok()?;
        let len = match h[1] & 0x7f {
            126 => {
                let mut l = [0u8; 2];
                self.0.read_exact(&mut l).ok()?;
                u16::from_be_bytes(l) as usize
            }
            127 => {
                let mut l = [0u8; 8];
                self.0.read_exact(&mut l).ok()?;
                u64::from_be_bytes(l) as usize
            }
            n => n as usize,
        };
        let mut p = vec![0u8; len];
        self.0.read_exact(&mut p).ok()?;
        Some(String::from_utf8_lossy(&p).into_owned())
    }
}

#[test]
fn heartbeat_interval_set_after_start_paces_the_next_session() {
    let (srv, port) = started(|_| {});
    assert_eq!(set(srv, "heartbeat interval", "1"), SIO_OK);
    let sid = handshake(port, "");
    let mut ws = Ws::connect(port, &sid);
    assert_eq!(ws.next(Duration::from_secs(5)).as_deref(), Some("1::"));
    let t0 = Instant::now();
    assert_eq!(
        ws.next(Duration::from_secs(5)).as_deref(),
        Some("2::"),
        "a heartbeat after about 1 s (default: 25 s)"
    );
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    stop_and_free(srv);
}

fn poll(port: u16, sid: &str) -> String {
    http(port, "GET", &format!("/socket.io/1/xhr-polling/{sid}"), "").1
}

fn post(port: u16, sid: &str, body: &str) {
    let (status, b) = http(
        port,
        "POST",
        &format!("/socket.io/1/xhr-polling/{sid}"),
        body,
    );
    assert_eq!((status, b.as_str()), (200, "1"));
}

/// Poll until the answer contains `want` (at most 10 polls); all answers joined.
fn poll_until(port: u16, sid: &str, want: &str) -> String {
    let mut got = String::new();
    for _ in 0..10 {
        got.push_str(&poll(port, sid));
        if got.contains(want) {
            break;
        }
    }
    got
}

fn authorize(srv: *mut sio_server, nsp: u32, allow: bool) -> Ev {
    let evs = wait_kind(srv, SIO_EV_AUTHORIZE);
    let e = evs
        .into_iter()
        .find(|e| e.kind == SIO_EV_AUTHORIZE)
        .expect("authorize");
    assert_eq!(e.nsp, nsp);
    unsafe {
        assert_eq!(
            sio_authorize_reply(srv, e.id, allow as i32, std::ptr::null(), std::ptr::null()),
            SIO_OK
        );
    }
    e
}

#[test]
fn namespaces_and_authorization_change_after_start() {
    let (srv, port) = started(|_| {});
    assert_eq!(set(srv, "polling duration", "1"), SIO_OK);
    let sid = handshake(port, "");
    assert_eq!(poll(port, &sid), "1::");
    wait_kind(srv, SIO_EV_CONNECTION);

    // blacklist set after start: the next blacklisted event is dropped.
    assert_eq!(set(srv, "blacklist", "secret,other"), SIO_OK);
    assert_eq!(get(srv, "blacklist"), "[\"secret\",\"other\"]");
    post(
        port,
        &sid,
        "\u{fffd}31\u{fffd}5:::{\"name\":\"secret\",\"args\":[]}\u{fffd}29\u{fffd}5:::{\"name\":\"open\",\"args\":[]}",
    );
    let evs = wait_kind(srv, SIO_EV_EVENT);
    let names: Vec<_> = evs
        .iter()
        .filter(|e| e.kind == SIO_EV_EVENT)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["open"]);

    // Not declared yet: the connect is ignored (0.9); the poll times out with a noop.
    post(port, &sid, "1::/late");
    let t0 = Instant::now();
    assert_eq!(poll(port, &sid), "8::", "polling duration 1 s, no answer");
    assert!(t0.elapsed() < Duration::from_secs(3));

    // Declared after start: the next connect is admitted.
    let mut late = 0;
    unsafe { assert_eq!(sio_of(srv, c("/late").as_ptr(), &mut late), SIO_OK) };
    assert_eq!(late, 1);
    let mut again = 0;
    unsafe { assert_eq!(sio_of(srv, c("/late").as_ptr(), &mut again), SIO_OK) };
    assert_eq!(again, 1, "same id when declared twice");
    post(port, &sid, "1::/late");
    assert!(poll_until(port, &sid, "1::/late").contains("1::/late"));
    let evs = wait_kind(srv, SIO_EV_CONNECTION);
    let conn = evs
        .iter()
        .find(|e| e.kind == SIO_EV_CONNECTION)
        .expect("connection");
    assert_eq!((conn.nsp, conn.sid.as_str()), (1, sid.as_str()));

    // Namespace authorization switched on after start: asked, refused.
    let mut guarded = 0;
    unsafe {
        assert_eq!(sio_of(srv, c("/guarded").as_ptr(), &mut guarded), SIO_OK);
        assert_eq!(sio_authorization(srv, guarded), SIO_OK);
        assert_eq!(sio_authorization(srv, 77), SIO_E_NOT_FOUND);
        assert_eq!(sio_authorization_off(srv, 77), SIO_E_NOT_FOUND);
    }
    post(port, &sid, "1::/guarded:?k=v");
    let e = authorize(srv, guarded, false);
    assert_eq!(e.name, "?k=v", "the connect query");
    assert!(poll_until(port, &sid, "7::/guarded:2").contains("7::/guarded:2"));
    // ...and off again: admitted without asking.
    unsafe { assert_eq!(sio_authorization_off(srv, guarded), SIO_OK) };
    post(port, &sid, "1::/guarded");
    assert!(poll_until(port, &sid, "1::/guarded").contains("1::/guarded"));
    let evs = wait_kind(srv, SIO_EV_CONNECTION);
    assert!(
        !evs.iter().any(|e| e.kind == SIO_EV_AUTHORIZE),
        "not asked: {evs:?}"
    );

    // Declared with its authorization in one step: the first connect is asked.
    let mut vault = 0;
    unsafe {
        assert_eq!(
            sio_of_with_authorization(srv, c("/vault").as_ptr(), &mut vault),
            SIO_OK
        );
    }
    assert_eq!(vault, guarded + 1);
    post(port, &sid, "1::/vault");
    authorize(srv, vault, true);
    assert!(poll_until(port, &sid, "1::/vault").contains("1::/vault"));
    // On an existing namespace it switches the authorization on (same id).
    let mut again = 0;
    unsafe {
        assert_eq!(
            sio_of_with_authorization(srv, c("/late").as_ptr(), &mut again),
            SIO_OK
        );
    }
    assert_eq!(again, late);
    let sid2 = handshake(port, "");
    assert_eq!(poll(port, &sid2), "1::");
    post(port, &sid2, "1::/late");
    authorize(srv, late, false);
    assert!(poll_until(port, &sid2, "7::/late:2").contains("7::/late:2"));

    // Global authorization on after start: the next handshake waits for the host.
    unsafe { assert_eq!(sio_authorization(srv, SIO_NSP_GLOBAL), SIO_OK) };
    let hs = std::thread::spawn(move || http(port, "GET", "/socket.io/1/?who=a", ""));
    let e = authorize(srv, SIO_NSP_GLOBAL, false);
    assert!(e.data.contains("\"who\":\"a\""), "{}", e.data);
    assert_eq!(hs.join().expect("thread").0, 403);
    // Off again: handshakes are admitted at once, no AUTHORIZE event.
    unsafe { assert_eq!(sio_authorization_off(srv, SIO_NSP_GLOBAL), SIO_OK) };
    assert_eq!(http(port, "GET", "/socket.io/1/", "").0, 200);
    assert!(
        !drain(srv).iter().any(|e| e.kind == SIO_EV_AUTHORIZE),
        "no authorization asked"
    );
    stop_and_free(srv);
}

fn sessions(srv: *mut sio_server, which: u32) -> Vec<String> {
    let mut buf = vec![0 as std::ffi::c_char; 4096];
    let mut n = 0;
    unsafe {
        assert_eq!(
            sio_sessions(srv, which, buf.as_mut_ptr(), buf.len(), &mut n),
            SIO_OK
        );
        let s = CStr::from_ptr(buf.as_ptr()).to_str().expect("UTF-8");
        serde_json::from_str(s).expect("a JSON array of strings")
    }
}

#[test]
fn session_sets_follow_handshake_connect_open_close_and_disconnect() {
    let (srv, port) = started(|_| {});
    assert_eq!(set(srv, "polling duration", "1"), SIO_OK);
    unsafe {
        let mut n = 0;
        let mut tiny = [0 as std::ffi::c_char; 1];
        assert_eq!(
            sio_sessions(srv, 9, tiny.as_mut_ptr(), 1, &mut n),
            SIO_E_INVALID_PARAM
        );
    }
    let sid = handshake(port, "who=me");
    let has = |which: u32| sessions(srv, which).contains(&sid);
    assert!(has(SIO_SESSIONS_HANDSHAKEN));
    assert!(!has(SIO_SESSIONS_CONNECTED));
    assert!(!has(SIO_SESSIONS_OPEN));
    assert!(!has(SIO_SESSIONS_CLOSED));
    unsafe {
        let mut n = 0;
        let mut tiny = [0 as std::ffi::c_char; 4];
        assert_eq!(
            sio_sessions(srv, SIO_SESSIONS_HANDSHAKEN, tiny.as_mut_ptr(), 4, &mut n),
            SIO_E_BUFFER_TOO_SMALL
        );
        assert_eq!(n, sid.len() + 4 + 1, "[\"sid\"] and the NUL");
    }
    // With the data: {id: handshake data}, as 0.9's io.handshaken.
    let mut buf = vec![0 as std::ffi::c_char; 8192];
    let mut n = 0;
    unsafe {
        assert_eq!(
            sio_sessions(
                srv,
                SIO_SESSIONS_HANDSHAKEN | SIO_SESSIONS_WITH_DATA,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n
            ),
            SIO_OK
        );
    }
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .expect("UTF-8");
    let map: serde_json::Value = serde_json::from_str(text).expect("a JSON object");
    assert_eq!(map[&sid]["url"], "/socket.io/1/?who=me", "{text}");
    assert!(map[&sid]["issued"].is_number(), "not connected yet: {text}");
    // The first poll connects (answered at once with 1::): connected, now closed.
    assert_eq!(poll(port, &sid), "1::");
    assert!(has(SIO_SESSIONS_CONNECTED));
    assert!(
        has(SIO_SESSIONS_CLOSED),
        "between polls the transport is closed"
    );
    assert!(!has(SIO_SESSIONS_OPEN));
    // A long poll pending: open.
    let sid2 = sid.clone();
    let pending = std::thread::spawn(move || poll(port, &sid2));
    assert!(
        eventually(|| has(SIO_SESSIONS_OPEN)),
        "open while the poll waits"
    );
    assert!(!has(SIO_SESSIONS_CLOSED));
    assert_eq!(pending.join().expect("thread"), "8::");
    // Disconnected: in no set.
    http(
        port,
        "GET",
        &format!("/socket.io/1/xhr-polling/{sid}?disconnect"),
        "",
    );
    assert!(eventually(|| !has(SIO_SESSIONS_HANDSHAKEN)));
    assert!(!has(SIO_SESSIONS_CONNECTED));
    assert!(!has(SIO_SESSIONS_CLOSED));
    stop_and_free(srv);
}
