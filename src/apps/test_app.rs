//! The test app every target runs (TEST-APP.md): the conformance suite and the
//! benchmarks drive it, and `conformance/reference-app.js` implements the same on
//! socket.io 0.9.19.

use crate::server::{AppResponse, Message, Server, Socket};
use serde_json::Value;
use std::time::Duration;

/// The namespaces of the test app.
pub const NAMESPACES: [&str; 5] = ["", "/chat", "/vip", "/private", "/broken"];

fn query_flag(hs: &crate::session::HandshakeData, key: &str) -> bool {
    hs.get("query")
        .and_then(|q| q.get(key))
        .and_then(|v| v.as_str())
        == Some("1")
}

/// Install the test app's authorization, namespaces, handlers and HTTP fallback.
pub fn install(io: &mut Server) {
    io.authorization(|hs| {
        if query_flag(hs, "autherr") {
            Err("authorization failure".to_owned())
        } else {
            Ok(!query_flag(hs, "deny"))
        }
    });
    io.on_request(|req| AppResponse {
        status: 200,
        content_type: "text/plain".to_owned(),
        body: format!("probe app: {} {}", req.method, req.target).into_bytes(),
    });
    for name in NAMESPACES {
        let nsp = io.of(name);
        match name {
            "/private" => {
                nsp.authorization(|_, _| Ok(false));
            }
            "/vip" => {
                nsp.authorization(|hs, _| Ok(query_flag(hs, "vip")));
            }
            "/broken" => {
                nsp.authorization(|_, _| Err("namespace auth failure".to_owned()));
            }
            _ => {}
        }
        install_handlers(nsp);
    }
}

fn nsp_value(s: &Socket) -> Value {
    Value::from(s.namespace())
}

fn install_handlers(nsp: &mut crate::server::Namespace) {
    nsp.on_connection(|s| {
        s.nsp_emitter()
            .to("monitor")
            .emit("arrived", &[Value::from(s.id()), nsp_value(s)]);
    });
    nsp.on_disconnect(|s, reason| {
        s.nsp_emitter().to("monitor").emit(
            "gone",
            &[Value::from(s.id()), nsp_value(s), Value::from(reason)],
        );
    });
    nsp.on("echo", |s, args, ack| match ack {
        Some(a) => a.send_raw(args.raw()),
        None => s.emit_raw("echo", args.raw()),
    });
    nsp.on_message(|s, m, ack| match (ack, m) {
        (Some(a), m) => a.send(&[m.to_value()]),
        (None, Message::Text(t)) => s.send(&t),
        (None, Message::Json(v)) => s.json(&v),
    });
    nsp.on("whoami", |s, _, ack| {
        if let Some(a) = ack {
            a.send(&[Value::from(s.id()), nsp_value(s)]);
        }
    });
    nsp.on("handshake-query", |s, _, ack| {
        if let Some(a) = ack {
            a.send(&[s.handshake_query()]);
        }
    });
    nsp.on("join", |s, args, ack| {
        let room = room_name(args.get(0));
        s.join(&room);
        if let Some(a) = ack {
            a.send(&[Value::from(room)]);
        }
    });
    nsp.on("leave", |s, args, ack| {
        let room = room_name(args.get(0));
        s.leave(&room);
        if let Some(a) = ack {
            a.send(&[Value::from(room)]);
        }
    });
    nsp.on("to-room", |s, args, _| {
        let room = room_name(args.get(0));
        s.nsp_emitter()
            .to(&room)
            .emit("room", &[Value::from(room.clone()), args.get(1).clone()]);
    });
    nsp.on("broadcast-room", |s, args, _| {
        let room = room_name(args.get(0));
        s.broadcast()
            .to(&room)
            .emit("room", &[Value::from(room.clone()), args.get(1).clone()]);
    });
    nsp.on("room", |s, args, ack| {
        let room = room_name(args.get(0));
        s.nsp_emitter().to(&room).emit_raw("room", args.raw());
        if let Some(a) = ack {
            a.send(&[]);
        }
    });
    nsp.on("broadcast", |s, args, _| {
        s.broadcast().emit("broadcast", &[args.get(0).clone()]);
    });
    nsp.on("emit-all", |s, args, _| {
        s.nsp_emitter().emit("all", &[args.get(0).clone()]);
    });
    nsp.on("set", |s, args, ack| {
        let key = room_name(args.get(0));
        s.set(&key, args.get(1).clone(), move |r| {
            if let Some(a) = ack {
                a.send(&[Value::Bool(r.is_ok())]);
            }
        });
    });
    nsp.on("get", |s, args, ack| {
        let key = room_name(args.get(0));
        s.get(&key, move |r| {
            if let Some(a) = ack {
                a.send(&[r.ok().flatten().unwrap_or(Value::Null)]);
            }
        });
    });
    nsp.on("disconnect-me", |s, _, _| s.disconnect());
    nsp.on("send-json", |s, args, _| s.json(args.get(0)));
    nsp.on("emit-many", |s, args, _| {
        let n = args.get(0).as_u64().unwrap_or(0).min(MAX_EMIT_MANY);
        let tag = args.get(1).clone();
        for i in 0..n {
            s.emit("seq", &[Value::from(i), tag.clone()]);
        }
    });
    nsp.on("emit-later", |s, args, _| {
        let ms = args.get(0).as_f64().unwrap_or(0.0).clamp(0.0, MAX_LATER_MS);
        let data = args.get(1).clone();
        s.after(Duration::from_millis(ms as u64), move |s| {
            s.emit("later", &[data]);
        });
    });
    for name in ["server-ack", "server-ack-plain"] {
        nsp.on(name, |s, args, _| {
            s.emit_with_ack("ask", &[args.get(0).clone()], |s, reply| {
                s.emit("got-ack", &[Value::Array(reply.values().to_vec())]);
            });
        });
    }
    // Cluster events (README "Clustering"): act on another session by id, wherever it
    // lives (`io.sockets.socket(id)` of 0.9).
    nsp.on("emit-to", |s, args, _| {
        if let Some(p) = args.str(0).and_then(|id| s.peer(id)) {
            p.emit("direct", &[args.get(1).clone()]);
        }
    });
    nsp.on("kick", |s, args, _| {
        if let Some(p) = args.str(0).and_then(|id| s.peer(id)) {
            p.disconnect();
        }
    });
    nsp.on("ask-of", |s, args, ack| {
        // emit `ask(data)` with an ack to another session by id; its answer acks ours
        if let Some(p) = args.str(0).and_then(|id| s.peer(id)) {
            p.emit_with_ack("ask", &[args.get(1).clone()], move |_, reply| {
                if let Some(a) = ack {
                    a.send(reply.values());
                }
            });
        }
    });
    nsp.on("set-of", |s, args, ack| {
        let key = room_name(args.get(1));
        if let Some(p) = args.str(0).and_then(|id| s.peer(id)) {
            p.set(&key, args.get(2).clone(), move |r| {
                if let Some(a) = ack {
                    a.send(&[Value::Bool(r.is_ok())]);
                }
            });
        }
    });
    nsp.on("has-of", |s, args, ack| {
        let key = room_name(args.get(1));
        if let Some(p) = args.str(0).and_then(|id| s.peer(id)) {
            p.has(&key, move |r| {
                if let Some(a) = ack {
                    a.send(&[Value::Bool(r.unwrap_or(false))]);
                }
            });
        }
    });
    nsp.on("del-of", |s, args, ack| {
        let key = room_name(args.get(1));
        if let Some(p) = args.str(0).and_then(|id| s.peer(id)) {
            p.del(&key, move |r| {
                if let Some(a) = ack {
                    a.send(&[Value::Bool(r.is_ok())]);
                }
            });
        }
    });
    nsp.on("get-of", |s, args, ack| {
        let key = room_name(args.get(1));
        match args.str(0).and_then(|id| s.peer(id)) {
            Some(p) => p.get(&key, move |r| {
                if let Some(a) = ack {
                    a.send(&[r.ok().flatten().unwrap_or(Value::Null)]);
                }
            }),
            None => {
                if let Some(a) = ack {
                    a.send(&[Value::Null]);
                }
            }
        }
    });
    nsp.on("clients", |s, args, ack| {
        let room = room_name(args.get(0));
        s.clients(&room, move |ids| {
            if let Some(a) = ack {
                a.send(&[Value::from(ids)]);
            }
        });
    });
    for (name, join) in [("join-of", true), ("leave-of", false)] {
        nsp.on(name, move |s, args, ack| {
            let room = room_name(args.get(1));
            let peer = args.str(0).and_then(|id| s.peer(id));
            if let Some(p) = &peer {
                if join {
                    p.join(&room);
                } else {
                    p.leave(&room);
                }
            }
            if let Some(a) = ack {
                a.send(&[Value::Bool(peer.is_some())]);
            }
        });
    }
    nsp.on("watch", |s, _, ack| {
        s.join("monitor");
        if let Some(a) = ack {
            a.send(&[Value::Bool(true)]);
        }
    });
}

/// `emit-many` is capped so one request cannot make the server queue unbounded work.
const MAX_EMIT_MANY: u64 = 100_000;
/// `emit-later` delays are capped at ten minutes.
const MAX_LATER_MS: f64 = 600_000.0;

fn room_name(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => crate::protocol::json::to_js_json(other),
    }
}
