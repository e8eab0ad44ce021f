//! The default demo: a chat relay with rooms. Clients `join(room)` (ack: room),
//! `say(room, text)` (everyone else in the room gets `said(room, from, text)`),
//! `nick(name)` (kept per client with `set`), and `leave(room)`.

use crate::server::{AppResponse, Server};
use serde_json::Value;

/// Install the chat demo.
pub fn install(io: &mut Server) {
    io.on_request(|req| AppResponse {
        status: 200,
        content_type: "text/plain; charset=utf-8".to_owned(),
        body: format!(
            "sio09 chat demo. Connect a socket.io 0.9 client to this server and emit \
             join(room), say(room, text), nick(name), leave(room).\n{} {}\n",
            req.method, req.target
        )
        .into_bytes(),
    });
    let main = io.sockets();
    main.on_connection(|s| s.emit("welcome", &[Value::from(s.id())]));
    main.on("nick", |s, args, ack| {
        let name = args.str(0).unwrap_or("anonymous").to_owned();
        s.set("nick", Value::from(name.clone()), move |r| {
            if let Some(a) = ack {
                a.send(&[Value::Bool(r.is_ok()), Value::from(name)]);
            }
        });
    });
    main.on("join", |s, args, ack| {
        let room = args.str(0).unwrap_or("lobby").to_owned();
        s.join(&room);
        if let Some(a) = ack {
            a.send(&[Value::from(room)]);
        }
    });
    main.on("leave", |s, args, _| {
        if let Some(room) = args.str(0) {
            s.leave(room);
        }
    });
    main.on("say", |s, args, _| {
        let room = args.str(0).unwrap_or("lobby").to_owned();
        let text = args.get(1).clone();
        let sock = s.clone();
        s.get("nick", move |r| {
            let from = r.ok().flatten().unwrap_or_else(|| Value::from(sock.id()));
            sock.broadcast()
                .to(&room)
                .emit("said", &[Value::from(room.clone()), from, text]);
        });
    });
}
