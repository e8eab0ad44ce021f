//! Room membership across two sio09 nodes on one real redis-server (issue 14): joins and
//! leaves on either node show on both (`clients`, `rooms`, `room_clients`), a join or
//! leave for a session of the other node is applied by its owner (which then delivers the
//! room's broadcasts to it), and a server-side disconnect from either node removes the
//! session from the room on both.

mod common;

use common::{handshake, Ws};
use sio09::{RedisStore, Server, ServerHandle};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start() -> RedisServer {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is required (apt-get install redis-server)");
        let srv = RedisServer { child, port };
        // Ready when it answers PING (not merely when the port accepts).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pong = redis::Client::open(srv.url())
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            if pong.is_ok() {
                return srv;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Wait until `n` subscribers listen on `join` (every node's subscriber is ready).
    fn wait_subscribers(&self, n: i64) {
        let mut c = redis::Client::open(self.url())
            .expect("client")
            .get_connection()
            .expect("connection");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, got): (String, i64) = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg("join")
                .query(&mut c)
                .expect("numsub");
            if got >= n {
                return;
            }
            assert!(Instant::now() < deadline, "subscribers not ready ({got})");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node(url: &str) -> ServerHandle {
    let mut io = Server::new();
    io.config_mut()
        .set_str("log level", "0")
        .expect("log level");
    io.store(Arc::new(RedisStore::connect(url).expect("redis store")));
    sio09::apps::test_app::install(&mut io);
    io.listen("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .expect("listen")
}

fn connect(addr: SocketAddr) -> (String, Ws) {
    let sid = handshake(addr, "");
    let mut ws = Ws::connect(addr, &sid);
    assert_eq!(ws.text().as_deref(), Some("1::"));
    (sid, ws)
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Wait (up to 5 s) until room `room` of the main namespace is `want` on every node:
/// the cluster's messages travel asynchronously.
fn converge(nodes: &[&ServerHandle], room: &str, want: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    for (i, n) in nodes.iter().enumerate() {
        loop {
            let got = n.clients("", room);
            if got == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node {i}: clients({room:?}) = {got:?}, want {want:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Send `event` with `args` (JSON array text) and ack id `id`; the ack's arguments.
fn ask(ws: &mut Ws, id: u32, event: &str, args: &str) -> String {
    ws.send(&format!(r#"5:{id}+::{{"name":"{event}","args":{args}}}"#));
    let want = format!("6:::{id}+");
    loop {
        let t = ws.text().expect("ack");
        if let Some(rest) = t.strip_prefix(&want) {
            return rest.to_owned();
        }
    }
}

#[test]
fn rooms_are_shared_by_the_nodes_of_a_cluster() {
    let redis_srv = RedisServer::start();
    let n1 = node(&redis_srv.url());
    let n2 = node(&redis_srv.url());
    redis_srv.wait_subscribers(2);
    let (a1, a2) = (n1.local_addr(), n2.local_addr());
    let (a, mut wa) = connect(a1);
    let (b, mut wb) = connect(a2);
    let (c, mut wc) = connect(a2);
    let nodes = [&n1, &n2];

    // Joins on either node show on both.
    assert_eq!(ask(&mut wa, 1, "join", r#"["r"]"#), r#"["r"]"#);
    assert_eq!(ask(&mut wb, 1, "join", r#"["r"]"#), r#"["r"]"#);
    converge(&nodes, "r", &sorted(&[&a, &b]));
    converge(&nodes, "", &sorted(&[&a, &b, &c]));
    let want = serde_json::to_string(&[sorted(&[&a, &b])]).expect("json");
    assert_eq!(ask(&mut wa, 2, "clients", r#"["r"]"#), want);
    assert_eq!(ask(&mut wc, 1, "clients", r#"["r"]"#), want);
    // io.rooms and io.roomClients, cluster-wide.
    for n in nodes {
        let rooms = n.embed().rooms();
        assert_eq!(rooms.get("/r"), Some(&sorted(&[&a, &b])));
        assert_eq!(rooms.get(""), Some(&sorted(&[&a, &b, &c])));
        assert_eq!(
            n.embed().room_clients(&b),
            vec!["".to_owned(), "/r".to_owned()]
        );
        assert_eq!(n.embed().room_clients(&c), vec!["".to_owned()]);
    }

    // join-of from node 1 for a session of node 2: its owner applies it, so the room's
    // broadcasts reach it.
    assert_eq!(
        ask(&mut wa, 3, "join-of", &format!(r#"["{c}","r"]"#)),
        "[true]"
    );
    converge(&nodes, "r", &sorted(&[&a, &b, &c]));
    wa.send(r#"5:::{"name":"to-room","args":["r","x"]}"#);
    for ws in [&mut wa, &mut wb, &mut wc] {
        assert_eq!(
            ws.text().as_deref(),
            Some(r#"5:::{"name":"room","args":["r","x"]}"#)
        );
    }

    // leave-of from node 2 for a session of node 1; a plain leave on node 2.
    assert_eq!(
        ask(&mut wc, 2, "leave-of", &format!(r#"["{a}","r"]"#)),
        "[true]"
    );
    converge(&nodes, "r", &sorted(&[&b, &c]));
    assert!(!n1.embed().room_clients(&a).contains(&"/r".to_owned()));
    assert_eq!(ask(&mut wb, 2, "leave", r#"["r"]"#), r#"["r"]"#);
    converge(&nodes, "r", &sorted(&[&c]));

    // A kick from node 1 of a session of node 2: gone from its rooms on both nodes.
    assert_eq!(ask(&mut wa, 4, "join", r#"["r"]"#), r#"["r"]"#);
    converge(&nodes, "r", &sorted(&[&a, &c]));
    wa.send(&format!(r#"5:::{{"name":"kick","args":["{c}"]}}"#));
    converge(&nodes, "r", &sorted(&[&a]));
    converge(&nodes, "", &sorted(&[&a, &b]));
    assert!(n1.embed().room_clients(&c).is_empty());
    // And from node 2 of a session of node 1.
    wb.send(&format!(r#"5:::{{"name":"kick","args":["{a}"]}}"#));
    converge(&nodes, "r", &[]);
    converge(&nodes, "", &sorted(&[&b]));
    assert!(!n2.embed().rooms().contains_key("/r"));
    drop((wa, wb, wc));
    n1.shutdown();
    n2.shutdown();
    n1.wait();
    n2.wait();
}
