//! A real client over xhr-polling: authorization by the host, connection, an event
//! with a data ack answered by the host, an emit, a stale socket id.

use super::*;
use crate::auth::sio_authorize_reply;
use crate::commands::*;
use crate::rooms::sio_socket_lookup;

fn poll(port: u16, sid: &str) -> String {
    http(port, "GET", &format!("/socket.io/1/xhr-polling/{sid}"), "").1
}

/// Answer every pending AUTHORIZE: deny when the query has deny=1.
fn answer_auth(srv: *mut sio_server, evs: &[Ev]) {
    for e in evs.iter().filter(|e| e.kind == SIO_EV_AUTHORIZE) {
        assert_eq!(e.nsp, SIO_NSP_GLOBAL);
        let allow = !e.data.contains("\"deny\":\"1\"");
        unsafe {
            assert_eq!(
                sio_authorize_reply(srv, e.id, allow as i32, std::ptr::null(), std::ptr::null()),
                SIO_OK
            );
            assert_eq!(
                sio_authorize_reply(srv, e.id, 1, std::ptr::null(), std::ptr::null()),
                SIO_E_NOT_FOUND,
                "answered twice"
            );
        }
    }
}

#[test]
fn host_authorizes_acks_and_emits_over_polling() {
    let (srv, port) = started(|srv| unsafe {
        assert_eq!(sio_authorization(srv, SIO_NSP_GLOBAL), SIO_OK);
    });
    // A denied handshake: the HTTP request waits for the host's answer.
    let denied = std::thread::spawn(move || http(port, "GET", "/socket.io/1/?deny=1", ""));
    answer_auth(srv, &wait_kind(srv, SIO_EV_AUTHORIZE));
    let (status, body) = denied.join().expect("thread");
    assert_eq!((status, body.as_str()), (403, "handshake unauthorized"));

    let hs = std::thread::spawn(move || handshake(port, "x=1"));
    answer_auth(srv, &wait_kind(srv, SIO_EV_AUTHORIZE));
    let sid = hs.join().expect("thread");
    assert_eq!(poll(port, &sid), "1::");
    let evs = wait_kind(srv, SIO_EV_CONNECTION);
    let conn = evs
        .iter()
        .find(|e| e.kind == SIO_EV_CONNECTION)
        .expect("connection");
    assert_eq!(
        (conn.sid.as_str(), conn.name.as_str()),
        (sid.as_str(), "xhr-polling")
    );
    assert!(
        conn.data.contains("\"x\":\"1\""),
        "handshake data: {}",
        conn.data
    );
    let mut looked_up = 0;
    unsafe {
        assert_eq!(
            sio_socket_lookup(srv, 0, c(&sid).as_ptr(), &mut looked_up),
            SIO_OK
        );
    }
    assert_eq!(looked_up, conn.socket);

    let post = format!("/socket.io/1/xhr-polling/{sid}");
    http(
        port,
        "POST",
        &post,
        "5:3+::{\"name\":\"echo\",\"args\":[1,\"a\"]}",
    );
    let evs = wait_kind(srv, SIO_EV_EVENT);
    let ev = evs.iter().find(|e| e.kind == SIO_EV_EVENT).expect("event");
    assert_eq!(
        (ev.name.as_str(), ev.data.as_str(), ev.id),
        ("echo", "[1,\"a\"]", 3)
    );
    unsafe {
        assert_eq!(
            sio_ack(
                srv,
                ev.socket,
                ev.id,
                ev.data.as_ptr().cast(),
                ev.data.len()
            ),
            SIO_OK
        );
        let args = "[{\"b\":2}]";
        assert_eq!(
            sio_emit(
                srv,
                ev.socket,
                c("hi").as_ptr(),
                2,
                args.as_ptr().cast(),
                args.len(),
                0
            ),
            SIO_OK
        );
    }
    let mut got = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !got.contains("5:::{\"name\":\"hi\"") && Instant::now() < deadline {
        got.push_str(&poll(port, &sid));
    }
    assert!(got.contains("6:::3+[1,\"a\"]"), "ack on the wire: {got:?}");
    assert!(
        got.contains("5:::{\"name\":\"hi\",\"args\":[{\"b\":2}]}"),
        "emit: {got:?}"
    );

    unsafe { assert_eq!(sio_disconnect(srv, ev.socket), SIO_OK) };
    let evs = wait_kind(srv, SIO_EV_DISCONNECT);
    let d = evs
        .iter()
        .find(|e| e.kind == SIO_EV_DISCONNECT)
        .expect("disconnect");
    assert_eq!((d.socket, d.name.as_str()), (ev.socket, "booted"));
    unsafe {
        let a = "[]";
        assert_eq!(
            sio_emit(srv, ev.socket, c("x").as_ptr(), 1, a.as_ptr().cast(), 2, 0),
            SIO_E_NOT_FOUND,
            "a stale socket id"
        );
    }
    stop_and_free(srv);
}

/// `sio_send_with_ack` / `sio_json_with_ack` (0.9's `socket.send(data, fn)` and
/// `socket.json.send(data, fn)`): plain-id packets, the client's `6:::N` reported with the
/// host's token.
#[test]
fn message_and_json_with_ack_report_the_clients_ack() {
    let (srv, port) = started(|_| {});
    let sid = handshake(port, "");
    assert_eq!(poll(port, &sid), "1::");
    let evs = wait_kind(srv, SIO_EV_CONNECTION);
    let socket = evs
        .iter()
        .find(|e| e.kind == SIO_EV_CONNECTION)
        .expect("connection")
        .socket;
    let (text, json) = ("hello", "{\"a\":1}");
    unsafe {
        assert_eq!(
            sio_send_with_ack(srv, socket, text.as_ptr().cast(), text.len(), 77),
            SIO_OK
        );
        assert_eq!(
            sio_json_with_ack(srv, socket, json.as_ptr().cast(), json.len(), 78),
            SIO_OK
        );
        let bad = "{nope";
        assert_eq!(
            sio_json_with_ack(srv, socket, bad.as_ptr().cast(), bad.len(), 79),
            SIO_E_INVALID_PARAM
        );
    }
    let mut got = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !got.contains("4:2::") && Instant::now() < deadline {
        got.push_str(&poll(port, &sid));
    }
    assert!(got.contains("3:1::hello"), "{got:?}");
    assert!(got.contains("4:2::{\"a\":1}"), "{got:?}");
    let post = format!("/socket.io/1/xhr-polling/{sid}");
    http(
        port,
        "POST",
        &post,
        "\u{fffd}5\u{fffd}6:::1\u{fffd}5\u{fffd}6:::2",
    );
    let mut acks: Vec<(u64, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while acks.len() < 2 && Instant::now() < deadline {
        for e in wait_kind(srv, SIO_EV_ACK) {
            if e.kind == SIO_EV_ACK {
                acks.push((e.id, e.data.clone()));
            }
        }
    }
    acks.sort();
    assert_eq!(acks, vec![(77, "[]".to_owned()), (78, "[]".to_owned())]);
    // A packet addressed by session id string (no socket id needed).
    let args = "[\"by-sid\"]";
    unsafe {
        assert_eq!(
            crate::rooms::sio_emit_to_sid(
                srv,
                0,
                c(&sid).as_ptr(),
                crate::rooms::SIO_PK_EVENT,
                c("d").as_ptr(),
                1,
                args.as_ptr().cast(),
                args.len(),
                0
            ),
            SIO_OK
        );
        assert_eq!(
            crate::rooms::sio_emit_to_sid(
                srv,
                0,
                c("bad/id").as_ptr(),
                crate::rooms::SIO_PK_EVENT,
                c("d").as_ptr(),
                1,
                args.as_ptr().cast(),
                args.len(),
                0
            ),
            SIO_E_INVALID_PARAM
        );
    }
    let mut got = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !got.contains("by-sid") && Instant::now() < deadline {
        got.push_str(&poll(port, &sid));
    }
    assert!(
        got.contains("5:::{\"name\":\"d\",\"args\":[\"by-sid\"]}"),
        "{got:?}"
    );
    stop_and_free(srv);
}
