//! The Redis store against a real redis-server (started here on a free loopback port):
//! per-client data in the 0.9.19 layout, values stored as 0.9.19 stores them
//! (`String(value)`) and read back as strings, reading values a reference node wrote, EXPIRE at disconnect, reconnection after a Redis restart, and a
//! clear start-up error when Redis is not there.

mod common;

use common::{handshake, Ws};
use sio09::{RedisStore, Server};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Wait until the redis-server on `port` answers PING (listening is not enough: a server
/// still starting answers `-LOADING`).
fn wait_ready(port: u16) {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pong = std::net::TcpStream::connect(("127.0.0.1", port))
            .and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(1)))?;
                s.write_all(b"PING\r\n")?;
                let mut buf = [0u8; 64];
                let n = s.read(&mut buf)?;
                // `-NOAUTH` also means ready (a password-protected server).
                Ok(buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH"))
            })
            .unwrap_or(false);
        if pong {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "redis-server did not get ready on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start_on(port: u16) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is required (the test command installs it: apt-get install redis-server)");
        wait_ready(port);
        RedisServer { child, port }
    }

    fn start() -> RedisServer {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        RedisServer::start_on(port)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .expect("client")
            .get_connection()
            .expect("connection")
    }

    /// Wait until `n` subscribers listen on `dispatch` (every node's subscriber is ready).
    fn wait_subscribers(&self, n: i64) {
        let mut c = self.conn();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, got): (String, i64) = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg("dispatch")
                .query(&mut c)
                .expect("numsub");
            if got >= n {
                return;
            }
            assert!(Instant::now() < deadline, "subscribers not ready ({got})");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server(url: &str) -> sio09::ServerHandle {
    let mut io = Server::new();
    io.config_mut()
        .set_str("log level", "0")
        .expect("log level");
    io.config_mut()
        .set_str("client store expiration", "15")
        .expect("opt");
    io.store(Arc::new(RedisStore::connect(url).expect("redis store")));
    sio09::apps::test_app::install(&mut io);
    io.listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .expect("listen")
}

#[test]
fn client_data_lives_in_redis_hashes_and_expires_after_disconnect() {
    let redis_srv = RedisServer::start();
    let h = server(&redis_srv.url());
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    // An object is stored as 0.9.19 stores it: `String(value)`, "[object Object]".
    ws.send(r#"5:1+::{"name":"set","args":["k",{"v":[1,"é"]}]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::1+[true]"));
    let mut c = redis_srv.conn();
    let hget = |c: &mut redis::Connection, key: &str| -> Option<Vec<u8>> {
        redis::cmd("HGET")
            .arg(&sid)
            .arg(key)
            .query(c)
            .expect("hget")
    };
    assert_eq!(hget(&mut c, "k").as_deref(), Some(&b"[object Object]"[..]));
    // Per-session data is shared by the session's namespaces; reads are the stored string.
    ws.send("1::/chat");
    assert_eq!(ws.text().as_deref(), Some("1::/chat"));
    ws.send(r#"5:2+:/chat:{"name":"get","args":["k"]}"#);
    assert_eq!(
        ws.text().as_deref(),
        Some(r#"6::/chat:2+["[object Object]"]"#)
    );
    // Every kind of value, byte for byte as redis@0.7.3 stored it for a 0.9.19 node.
    let cases: &[(&str, &[u8])] = &[
        (r#""alice""#, b"alice"),
        (r#""héllo ✓ 😀""#, "héllo ✓ 😀".as_bytes()),
        ("42", b"42"),
        ("-0", b"0"),
        ("0.30000000000000004", b"0.30000000000000004"),
        ("1e21", b"1e+21"),
        ("true", b"true"),
        ("null", b"null"),
        ("[1,[2,[null,{}]],null]", b"1,2,,[object Object],"),
    ];
    for (i, (json, stored)) in cases.iter().enumerate() {
        let id = 100 + i;
        ws.send(&format!(
            r#"5:{id}+::{{"name":"set","args":["v{i}",{json}]}}"#
        ));
        assert_eq!(ws.text(), Some(format!("6:::{id}+[true]")));
        assert_eq!(
            hget(&mut c, &format!("v{i}")).as_deref(),
            Some(*stored),
            "{json}"
        );
    }
    ws.send(r#"5:3+::{"name":"get","args":["v2"]}"#);
    assert_eq!(ws.text().as_deref(), Some(r#"6:::3+["42"]"#));
    // What a socket.io 0.9.19 node stored reads back as the same string, including text
    // that looks like JSON, and invalid UTF-8 decoded as node_redis decodes it.
    for (key, raw) in [
        ("ref", &b"[object Object]"[..]),
        ("quoted", &br#""alice""#[..]),
        ("bad", &b"a\xffb\xe2\x82c"[..]),
    ] {
        let _: i64 = redis::cmd("HSET")
            .arg(&sid)
            .arg(key)
            .arg(raw)
            .query(&mut c)
            .expect("hset");
    }
    ws.send(r#"5:4+::{"name":"get","args":["ref"]}"#);
    assert_eq!(ws.text().as_deref(), Some(r#"6:::4+["[object Object]"]"#));
    ws.send(r#"5:5+::{"name":"get","args":["quoted"]}"#);
    assert_eq!(ws.text().as_deref(), Some(r#"6:::5+["\"alice\""]"#));
    ws.send(r#"5:6+::{"name":"get","args":["bad"]}"#);
    assert_eq!(
        ws.text().as_deref(),
        Some("6:::6+[\"a\u{fffd}b\u{fffd}c\"]")
    );
    ws.send(r#"5:7+::{"name":"get","args":["missing"]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::7+[null]"));
    // Disconnect: the hash gets EXPIRE {client store expiration}.
    ws.send("0::");
    assert_eq!(ws.text().as_deref(), Some("0::"));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let ttl: i64 = redis::cmd("TTL").arg(&sid).query(&mut c).expect("ttl");
        if ttl > 0 {
            assert!(ttl <= 15, "ttl {ttl}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no EXPIRE after disconnect (ttl {ttl})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    h.shutdown();
    h.wait();
}

#[test]
fn redis_restart_is_survived_and_a_missing_redis_fails_at_start() {
    let redis_srv = RedisServer::start();
    let url = redis_srv.url();
    let h = server(&url);
    let a = h.local_addr();
    let sid = handshake(a, "");
    let mut ws = Ws::connect(a, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    ws.send(r#"5:1+::{"name":"set","args":["k",1]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::1+[true]"));
    let port = redis_srv.stop();
    // While Redis is away: a clear failure, and the server keeps serving.
    ws.send(r#"5:2+::{"name":"set","args":["k",2]}"#);
    assert_eq!(ws.text().as_deref(), Some("6:::2+[false]"));
    ws.send(r#"5:3+::{"name":"echo","args":["alive"]}"#);
    assert_eq!(ws.text().as_deref(), Some(r#"6:::3+["alive"]"#));
    // Redis comes back on the same port: the store reconnects.
    let _again = RedisServer::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut id = 10;
    loop {
        id += 1;
        ws.send(&format!(r#"5:{id}+::{{"name":"set","args":["k",3]}}"#));
        if ws.text() == Some(format!("6:::{id}+[true]")) {
            break;
        }
        assert!(Instant::now() < deadline, "the store did not reconnect");
        std::thread::sleep(Duration::from_millis(200));
    }
    h.shutdown();
    h.wait();
    // Nothing listens on a fresh port: start-up fails with a message naming the URL.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!(
        "redis://127.0.0.1:{}/",
        l.local_addr().expect("addr").port()
    );
    drop(l);
    let err = RedisStore::connect(&dead).err().expect("must fail");
    assert!(err.to_string().contains(&dead), "{err}");
}

#[test]
fn room_broadcasts_cross_nodes_once() {
    let redis_srv = RedisServer::start();
    let n1 = server(&redis_srv.url());
    let n2 = server(&redis_srv.url());
    let (a1, a2) = (n1.local_addr(), n2.local_addr());
    let mut clients: Vec<Ws> = Vec::new();
    for (i, addr) in [a1, a2, a1, a2].into_iter().enumerate() {
        let sid = handshake(addr, "");
        let mut ws = Ws::connect(addr, &sid);
        assert_eq!(ws.text().as_deref(), Some("1::"));
        ws.send(&format!(r#"5:{}+::{{"name":"join","args":["r"]}}"#, i + 1));
        assert_eq!(ws.text(), Some(format!(r#"6:::{}+["r"]"#, i + 1)));
        clients.push(ws);
    }
    // Both nodes' subscribers must be listening before the first publish.
    redis_srv.wait_subscribers(2);
    clients[1].send(r#"5:::{"name":"to-room","args":["r","x"]}"#);
    for ws in clients.iter_mut() {
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"room","args":["r","x"]}"#)
        );
    }
    clients[0].send(r#"5:::{"name":"broadcast","args":[7]}"#);
    for ws in clients.iter_mut().skip(1) {
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"broadcast","args":[7]}"#)
        );
    }
    // Exactly once: a marker sent afterwards is the next frame everywhere (no duplicate of
    // the broadcast came back through Redis to its own node).
    clients[3].send(r#"5:::{"name":"emit-all","args":["end"]}"#);
    for ws in clients.iter_mut() {
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"all","args":["end"]}"#)
        );
    }
    n1.shutdown();
    n2.shutdown();
    n1.wait();
    n2.wait();
}

/// 0.9's `redisClient`/`redisPub`/`redisSub` as options: client data on one Redis, the
/// cluster's pub/sub on another.
#[test]
fn client_data_and_pub_sub_can_live_on_separate_redis_servers() {
    let bus = RedisServer::start();
    let data = RedisServer::start();
    let node = |bus: &RedisServer, data: &RedisServer| {
        let mut io = Server::new();
        io.config_mut().set_str("log level", "0").expect("opt");
        let urls = sio09::store::RedisUrls {
            store: bus.url(),
            client: Some(data.url()),
            ..Default::default()
        };
        io.store(Arc::new(RedisStore::connect_urls(&urls).expect("store")));
        sio09::apps::test_app::install(&mut io);
        io.listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
            .expect("listen")
    };
    let (n1, n2) = (node(&bus, &data), node(&bus, &data));
    let sid1 = handshake(n1.local_addr(), "");
    let mut a = Ws::connect(n1.local_addr(), &sid1);
    assert_eq!(a.text().as_deref(), Some("1::"));
    let sid2 = handshake(n2.local_addr(), "");
    let mut b = Ws::connect(n2.local_addr(), &sid2);
    assert_eq!(b.text().as_deref(), Some("1::"));
    a.send(r#"5:1+::{"name":"set","args":["k","v"]}"#);
    assert_eq!(a.text().as_deref(), Some("6:::1+[true]"));
    let on = |srv: &RedisServer| -> Option<String> {
        redis::cmd("HGET")
            .arg(&sid1)
            .arg("k")
            .query(&mut srv.conn())
            .expect("hget")
    };
    assert_eq!(on(&data).as_deref(), Some("v"));
    assert_eq!(on(&bus), None);
    // Both subscribers listen on the bus server, not on the data server.
    bus.wait_subscribers(2);
    b.send(r#"5:::{"name":"emit-all","args":["x"]}"#);
    assert_eq!(
        a.text().as_deref(),
        Some(r#"5:::{"name":"all","args":["x"]}"#)
    );
    assert_eq!(
        b.text().as_deref(),
        Some(r#"5:::{"name":"all","args":["x"]}"#)
    );
    // and node 2 reads node 1's session data from the data server
    b.send(&format!(
        r#"5:2+::{{"name":"get-of","args":["{sid1}","k"]}}"#
    ));
    assert_eq!(b.text().as_deref(), Some(r#"6:::2+["v"]"#));
    n1.shutdown();
    n2.shutdown();
    n1.wait();
    n2.wait();
}

/// A password-protected Redis (`redis://:password@host:port`), and a clear start-up error
/// for a wrong password; publishes made while Redis is down are counted as lost.
#[test]
fn password_auth_and_lost_publishes_are_counted() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    let mut child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            "s3cret",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server");
    wait_ready(port);
    let wrong = format!("redis://:nope@127.0.0.1:{port}/");
    let err = RedisStore::connect(&wrong)
        .err()
        .expect("wrong password must fail");
    assert!(err.to_string().contains("cannot connect"), "{err}");
    let store = RedisStore::connect(&format!("redis://:s3cret@127.0.0.1:{port}/")).expect("auth");
    let (tx, rx) = std::sync::mpsc::channel();
    sio09::Store::set(
        &store,
        "sid1",
        "k",
        sio09::Value::from(1),
        Box::new(move |r| {
            let _ = tx.send(r.is_ok());
        }),
    );
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(true));
    let _ = child.kill();
    let _ = child.wait();
    let before = RedisStore::lost_publishes();
    let msg = sio09::store::redis_wire::Message::Close { sid: "sid1".into() };
    sio09::Store::publish(&store, &msg, &[]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while RedisStore::lost_publishes() == before {
        assert!(
            Instant::now() < deadline,
            "the lost publish was not counted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A websocket session on `addr` that has its `1::`.
fn ws_session(addr: SocketAddr) -> (String, Ws) {
    let sid = handshake(addr, "");
    let mut ws = Ws::connect(addr, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    (sid, ws)
}

/// `io.sockets.socket(id).emit('ask', data, fn)` for a session on another node (and on
/// another shard of the same node): the owner sends `5:N+` with its own ack id, the
/// client's answer comes back to the asking node's callback (sio09's `sio09-ack-request`
/// / `sio09-ack` channels), several at once without mixing them up.
#[test]
fn acks_from_a_session_on_another_node_or_shard_reach_the_asker() {
    let redis_srv = RedisServer::start();
    let n1 = server(&redis_srv.url());
    let n2 = server(&redis_srv.url());
    let (a1, a2) = (n1.local_addr(), n2.local_addr());
    redis_srv.wait_subscribers(2);
    let (_, mut asker) = ws_session(a1);
    // Sessions on the other node, and on this node (at least one on each of its shards).
    let mut targets: Vec<(String, Ws)> = (0..2).map(|_| ws_session(a2)).collect();
    targets.extend((0..4).map(|_| ws_session(a1)));
    // Each target's handshake reached the asking node before it asks.
    std::thread::sleep(Duration::from_millis(200));
    for (i, (sid, _)) in targets.iter().enumerate() {
        let n = i + 1;
        asker.send(&format!(
            r#"5:{n}+::{{"name":"ask-of","args":["{sid}",{{"n":{n}}}]}}"#
        ));
    }
    // Every target is asked with an ack id of its own session (the first: 1), and
    // answers with its own data; the answers arrive in any order.
    for (i, (_, ws)) in targets.iter_mut().enumerate().rev() {
        let n = i + 1;
        assert_eq!(
            ws.text(),
            Some(format!(r#"5:1+::{{"name":"ask","args":[{{"n":{n}}}]}}"#))
        );
        ws.send(&format!(r#"6:::1+["answer",{n}]"#));
    }
    let mut got: Vec<String> = (0..targets.len()).filter_map(|_| asker.text()).collect();
    got.sort();
    let mut want: Vec<String> = (1..=targets.len())
        .map(|n| format!(r#"6:::{n}+["answer",{n}]"#))
        .collect();
    want.sort();
    assert_eq!(got, want);
    // An answer given twice runs the callback once: nothing more arrives.
    targets[0].1.send(r#"6:::1+["again"]"#);
    asker.send(r#"5:99+::{"name":"echo","args":["marker"]}"#);
    assert_eq!(asker.text().as_deref(), Some(r#"6:::99+["marker"]"#));
    n1.shutdown();
    n2.shutdown();
    n1.wait();
    n2.wait();
}
