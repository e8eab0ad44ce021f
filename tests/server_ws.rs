//! Integration tests: the Rust API over real sockets (a server on an ephemeral loopback
//! port, raw HTTP and websocket clients).

mod common;

use common::{get, handshake, Ws};
use sio09::{Server, Value};
use std::net::SocketAddr;

fn start(f: impl FnOnce(&mut Server)) -> sio09::ServerHandle {
    let mut io = Server::new();
    io.set("log level", 0.0).expect("log level");
    io.set("workers", 2.0).expect("workers");
    f(&mut io);
    io.listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .expect("listen")
}

fn test_app() -> sio09::ServerHandle {
    start(sio09::apps::test_app::install)
}

#[test]
fn handshake_body_has_the_reference_shape() {
    let h = test_app();
    let (status, head, body) = get(h.local_addr(), "/socket.io/1/?t=1");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: text/plain"));
    let parts: Vec<&str> = body.split(':').collect();
    assert_eq!(parts.len(), 4, "{body}");
    assert_eq!(parts[0].len(), 20);
    assert_eq!(
        &parts[1..],
        ["60", "60", "websocket,htmlfile,xhr-polling,jsonp-polling"]
    );
    h.shutdown();
    h.wait();
}

#[test]
fn handshake_refusals_and_fallback() {
    let h = test_app();
    let a = h.local_addr();
    assert_eq!(get(a, "/socket.io/1/?deny=1").0, 403);
    let (s, _, b) = get(a, "/socket.io/1/?autherr=1");
    assert_eq!((s, b.as_str()), (500, "handshake error"));
    let (s, _, b) = get(a, "/hello?x=1");
    assert_eq!((s, b.as_str()), (200, "probe app: GET /hello?x=1"));
    let (s, _, b) = get(a, "/socket.io/2/");
    assert_eq!((s, b.as_str()), (500, "Protocol version not supported."));
    h.shutdown();
    h.wait();
}

#[test]
fn websocket_connect_echo_acks_and_namespaces() {
    let h = test_app();
    let a = h.local_addr();
    // Several sessions so that both shards own some (connections are handed off).
    for _ in 0..4 {
        let sid = handshake(a, "");
        let mut ws = Ws::connect(a, &sid);
        assert_eq!(ws.text().as_deref(), Some("1::"));
        ws.send(r#"5:1+::{"name":"echo","args":["x",1]}"#);
        assert_eq!(ws.text().as_deref(), Some(r#"6:::1+["x",1]"#));
        ws.send("3:5::hello");
        assert_eq!(ws.text().as_deref(), Some("6:::5"));
        assert_eq!(ws.text().as_deref(), Some("3:::hello"));
        ws.send(r#"5:::{"name":"echo","args":[{"a":null}]}"#);
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"echo","args":[{"a":null}]}"#)
        );
        ws.send("1::/chat");
        assert_eq!(ws.text().as_deref(), Some("1::/chat"));
        ws.send("1::/private");
        assert_eq!(ws.text().as_deref(), Some("7::/private:2"));
        ws.send("1::/broken");
        assert_eq!(ws.text().as_deref(), Some("7::/broken:2"));
        ws.send(r#"5:2+:/chat:{"name":"whoami"}"#);
        assert_eq!(ws.text(), Some(format!(r#"6::/chat:2+["{sid}","/chat"]"#)));
        ws.send(r#"5:3+::{"name":"set","args":["k",{"v":2}]}"#);
        assert_eq!(ws.text().as_deref(), Some("6:::3+[true]"));
        ws.send(r#"5:4+:/chat:{"name":"get","args":["k"]}"#);
        assert_eq!(ws.text().as_deref(), Some(r#"6::/chat:4+[{"v":2}]"#));
        ws.send(r#"5:::{"name":"server-ack","args":["q"]}"#);
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:1+::{"name":"ask","args":["q"]}"#)
        );
        ws.send(r#"6:::1+["answer"]"#);
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"got-ack","args":[["answer"]]}"#)
        );
    }
    h.shutdown();
    h.wait();
}

#[test]
fn rooms_and_broadcasts_cross_shards() {
    let h = test_app();
    let a = h.local_addr();
    let mut clients: Vec<(String, Ws)> = (0..6)
        .map(|_| {
            let sid = handshake(a, "");
            let mut ws = Ws::connect(a, &sid);
            assert_eq!(ws.text().as_deref(), Some("1::"));
            (sid, ws)
        })
        .collect();
    for (i, (_, ws)) in clients.iter_mut().enumerate() {
        ws.send(&format!(r#"5:{}+::{{"name":"join","args":["r"]}}"#, i + 1));
        assert_eq!(ws.text(), Some(format!(r#"6:::{}+["r"]"#, i + 1)));
    }
    clients[0]
        .1
        .send(r#"5:::{"name":"broadcast-room","args":["r",7]}"#);
    for (_, ws) in clients.iter_mut().skip(1) {
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"room","args":["r",7]}"#)
        );
    }
    clients[1].1.send(r#"5:::{"name":"emit-all","args":["z"]}"#);
    for (_, ws) in clients.iter_mut() {
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"all","args":["z"]}"#)
        );
    }
    let mut members = h.clients("", "r");
    let mut want: Vec<String> = clients.iter().map(|(s, _)| s.clone()).collect();
    members.sort();
    want.sort();
    assert_eq!(members, want);
    h.shutdown();
    h.wait();
}

#[test]
fn unknown_session_gets_error_packet_and_garbage_is_survived() {
    let h = test_app();
    let a = h.local_addr();
    let mut ws = Ws::connect(a, "nosuchsessionAAAAAAA");
    assert_eq!(ws.text().as_deref(), Some("7:::1+0"));
    // Garbage HTTP gets a 400 and the server keeps serving.
    let (status, _, _) = common::http(a, "BLAH\r\n\r\n");
    assert_eq!(status, 400);
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    for junk in ["hello", "9::", "5:::{bad json", "6:::x", ":3:::hi", ""] {
        ws.send(junk);
    }
    ws.send(r#"5:1+::{"name":"echo","args":[true]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::1+[true]"));
    // Invalid UTF-8 fails the connection with 1007.
    ws.send_frame(1, &[0x33, 0x3a, 0x3a, 0x3a, 0xff]);
    let (op, payload) = ws.frame().expect("close frame");
    assert_eq!(op, 8);
    assert_eq!(&payload[..2], &1007u16.to_be_bytes());
    h.shutdown();
    h.wait();
}

#[test]
fn rust_api_emit_from_outside_and_disconnect_reasons() {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = std::sync::Mutex::new(tx);
    let h = start(move |io| {
        io.sockets().on_disconnect(move |s, reason| {
            let _ = tx.lock().map(|t| t.send(format!("{}:{reason}", s.id())));
        });
    });
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    h.of("")
        .expect("main namespace")
        .emit("news", &[Value::from(1)]);
    assert_eq!(
        ws.text().as_deref(),
        Some(r#"5:::{"name":"news","args":[1]}"#)
    );
    ws.send("0::");
    assert_eq!(ws.text().as_deref(), Some("0::"));
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("disconnect");
    assert_eq!(got, format!("{sid}:booted"));
    h.shutdown();
    h.wait();
}

#[test]
fn bad_http_heads_get_clear_statuses_and_others_keep_working() {
    let h = test_app();
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(common::http(a, &huge).0, 431);
    let many: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(
        common::http(a, &format!("GET / HTTP/1.1\r\n{many}\r\n")).0,
        431
    );
    assert_eq!(
        common::http(a, "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").0,
        400
    );
    assert_eq!(
        common::http(a, "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").0,
        501
    );
    // A websocket frame with RSV bits set fails that connection with 1002 only.
    let sid2 = handshake(a, "");
    let mut bad = Ws::connect(a, &sid2);
    assert_eq!(bad.text().as_deref(), Some("1::"));
    bad.send_frame(0x40 | 1, b"3:::x");
    let (op, payload) = bad.frame().expect("close frame");
    assert_eq!((op, &payload[..2]), (8, &1002u16.to_be_bytes()[..]));
    // The first client is unaffected.
    ws.send(r#"5:1+::{"name":"echo","args":["still here"]}"#);
    assert_eq!(ws.text().as_deref(), Some(r#"6:::1+["still here"]"#));
    h.shutdown();
    h.wait();
}

#[test]
fn destroy_upgrade_closes_foreign_upgrades_unless_disabled() {
    let up = "GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let h = test_app();
    assert_eq!(
        common::http(h.local_addr(), up).0,
        0,
        "closed without a response"
    );
    h.shutdown();
    h.wait();
    let h = start(|io| {
        io.set("destroy upgrade", false).expect("option");
        sio09::apps::test_app::install(io);
    });
    let (status, _, body) = common::http(h.local_addr(), up);
    assert_eq!((status, body.as_str()), (200, "probe app: GET /other"));
    h.shutdown();
    h.wait();
}

#[test]
fn per_client_data_has_and_del_through_the_socket() {
    let h = start(|io| {
        io.sockets().on("check", |s, args, ack| {
            let key = args.str(0).unwrap_or("").to_owned();
            let s2 = s.clone();
            let k1 = key.clone();
            s.set(&k1, Value::from(1), move |_| {
                let s3 = s2.clone();
                let k2 = key.clone();
                s2.has(&key, move |before| {
                    let s4 = s3.clone();
                    let k3 = k2.clone();
                    s3.del(&k2, move |_| {
                        s4.has(&k3, move |after| {
                            if let Some(a) = ack {
                                a.send(&[
                                    Value::Bool(before == Ok(true)),
                                    Value::Bool(after == Ok(true)),
                                ]);
                            }
                        });
                    });
                });
            });
        });
    });
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    ws.send(r#"5:1+::{"name":"check","args":["k"]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::1+[true,false]"));
    h.shutdown();
    h.wait();
}
