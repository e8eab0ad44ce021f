//! The `idle` scenario: websocket sessions held open for the window doing nothing but
//! answering heartbeats (`2::` → `2::`), so the server's memory per session can be read.

use crate::connect::{connect_client, flush};
use crate::local::Local;
use crate::plan::now_ns;
use crate::ws::{put_frame, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT};
use std::rc::Rc;
use std::time::Duration;

/// One idle session.
pub async fn idle_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = idle_run(&l, idx).await {
        l.error(|| format!("idle client {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// The body of [`idle_client`]: heartbeats answered count as messages.
async fn idle_run(l: &Local, idx: usize) -> Result<(), String> {
    let mut conn = connect_client(l, idx, false).await?;
    l.gate.wait().await;
    let end = l.end.get();
    let mut wbuf = Vec::with_capacity(64);
    loop {
        let now = now_ns();
        if now >= end {
            return Ok(());
        }
        let read = monoio::time::timeout(
            Duration::from_nanos(end - now),
            conn.rx.fill(&mut conn.stream),
        )
        .await;
        match read {
            Err(_) => return Ok(()), // held to the end
            Ok(Ok(0)) => return Err("server closed the connection".into()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("read: {e}")),
        }
        let now = now_ns();
        while let Some((op, r)) = conn.rx.next_frame()? {
            let p = &conn.rx.buf[r];
            match (op, p) {
                (OP_TEXT, b"2::") => {
                    put_frame(&mut wbuf, OP_TEXT, b"2::", conn.mask.next_key());
                    Local::add(&l.sent, 1);
                    if l.in_window(now) {
                        Local::add(&l.msgs, 1);
                    }
                }
                (OP_TEXT, b"8::") | (OP_PONG, _) => {}
                (OP_PING, _) => put_frame(&mut wbuf, OP_PONG, p, conn.mask.next_key()),
                (OP_CLOSE, _) => return Err("server sent a close frame".into()),
                _ => {
                    return Err(format!(
                        "unexpected opcode {op} packet {:?}",
                        String::from_utf8_lossy(p)
                    ))
                }
            }
        }
        flush(&mut conn.stream, &mut wbuf).await?;
    }
}
