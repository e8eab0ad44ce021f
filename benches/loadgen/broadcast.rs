//! The `broadcast` scenario: receivers in room `bench` check every seq arrives once, in
//! order; one sender emits `to-room` at the planned rate.

use crate::connect::{connect_client, flush};
use crate::local::Local;
use crate::plan::now_ns;
use crate::ws::{self, parse_u64, put_frame, put_u64, Conn, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT};
use monoio::io::Splitable;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A room delivery up to the seq's digits.
pub const ROOM_HEAD: &[u8] = b"5:::{\"name\":\"room\",\"args\":[\"bench\",{\"seq\":";

/// One broadcast receiver: joins `bench`, then checks every seq arrives once, in order.
pub async fn receiver_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = receiver_run(&l, idx).await {
        l.error(|| format!("receiver {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// Parse a room delivery `5:::{"name":"room","args":["bench",{"seq":S,"t":T}]}` → `(S, T)`.
#[inline]
pub fn parse_room(p: &[u8]) -> Option<(u64, u64)> {
    let rest = p.strip_prefix(ROOM_HEAD)?;
    let (seq, n) = parse_u64(rest)?;
    let rest = rest[n..].strip_prefix(b",\"t\":")?;
    let (t, n) = parse_u64(rest)?;
    (&rest[n..] == b"}]}").then_some((seq, t))
}

/// The body of [`receiver_client`].
pub async fn receiver_run(l: &Local, idx: usize) -> Result<(), String> {
    let mut conn = connect_client(l, idx, true).await?;
    Local::add(&l.receivers, 1);
    l.gate.wait().await;
    let mut next = 0u64;
    let mut wbuf = Vec::with_capacity(64);
    loop {
        let fin = l.g.final_seq.load(Ordering::Acquire);
        if fin != u64::MAX && next > fin {
            return Ok(());
        }
        match conn.rx.fill(&mut conn.stream).await {
            Ok(0) => return Err("server closed the connection".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
        let now = now_ns();
        while let Some((op, r)) = conn.rx.next_frame()? {
            let p = &conn.rx.buf[r];
            match op {
                OP_TEXT => {}
                OP_PING => {
                    put_frame(&mut wbuf, OP_PONG, p, conn.mask.next_key());
                    continue;
                }
                OP_PONG => continue,
                OP_CLOSE => return Err("server sent a close frame".into()),
                _ => return Err(format!("unexpected opcode {op}")),
            }
            if p == b"2::" {
                put_frame(&mut wbuf, OP_TEXT, b"2::", conn.mask.next_key());
                continue;
            }
            if p == b"8::" {
                continue;
            }
            let Some((seq, t_us)) = parse_room(p) else {
                l.error(|| {
                    format!(
                        "receiver {idx}: unexpected packet {:?}",
                        String::from_utf8_lossy(p)
                    )
                });
                continue;
            };
            if seq == next {
                next += 1;
                Local::add(&l.unique, 1);
                l.delivered(now, t_us * 1000);
            } else if seq < next {
                Local::add(&l.dups, 1);
            } else {
                l.error(|| format!("receiver {idx}: got seq {seq}, expected {next}"));
                next = seq + 1;
                Local::add(&l.unique, 1);
            }
        }
        flush(&mut conn.stream, &mut wbuf).await?;
    }
}

/// The broadcast sender: emits `to-room` to `bench` at the planned rate from the start of the
/// run to the end of the window, then one final message whose seq it publishes first.
pub async fn sender_client(l: Rc<Local>) {
    if let Err(e) = sender_run(&l).await {
        l.error(|| format!("sender: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// Encode the `to-room` event carrying `seq` and send time `t_us` into `out` (framed).
pub fn encode_to_room(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    mask: &mut ws::Masker,
    seq: u64,
    t_us: u64,
) {
    scratch.clear();
    scratch.extend_from_slice(b"5:::{\"name\":\"to-room\",\"args\":[\"bench\",{\"seq\":");
    put_u64(scratch, seq);
    scratch.extend_from_slice(b",\"t\":");
    put_u64(scratch, t_us);
    scratch.extend_from_slice(b"}]}");
    put_frame(out, OP_TEXT, scratch, mask.next_key());
}

/// The body of [`sender_client`].
pub async fn sender_run(l: &Rc<Local>) -> Result<(), String> {
    let conn = connect_client(l, 0, false).await?;
    l.gate.wait().await;
    let Conn {
        stream,
        mut rx,
        mut mask,
    } = conn;
    let (mut rd, mut wr) = stream.into_split();
    let hb = Rc::new(Cell::new(false));
    // Set once the final message is written: dropping the write half then shuts the socket
    // down, and the server's close frame that follows is expected.
    let finished = Rc::new(Cell::new(false));
    {
        // The sender only ever gets heartbeats; a reader task flags them for the writer.
        let (hb, l, finished) = (hb.clone(), l.clone(), finished.clone());
        monoio::spawn(async move {
            loop {
                loop {
                    if finished.get() {
                        return;
                    }
                    match rx.next_frame() {
                        Ok(Some((OP_TEXT, r))) if &rx.buf[r.clone()] == b"2::" => hb.set(true),
                        Ok(Some((OP_TEXT, r))) if &rx.buf[r.clone()] == b"8::" => {}
                        Ok(Some((op, r))) => {
                            let p = String::from_utf8_lossy(&rx.buf[r]).into_owned();
                            l.error(|| format!("sender: unexpected opcode {op} packet {p:?}"));
                        }
                        Ok(None) => break,
                        Err(e) => {
                            l.error(|| format!("sender: {e}"));
                            return;
                        }
                    }
                }
                match rx.fill(&mut rd).await {
                    Ok(n) if n > 0 => {}
                    _ => return,
                }
            }
        });
    }
    let (t0, end) = (l.t0.get(), l.end.get());
    let rate = l.plan.rate;
    let mut sent = 0u64;
    let mut scratch = Vec::with_capacity(128);
    let mut wbuf = Vec::with_capacity(4096);
    loop {
        let now = now_ns();
        if now >= end {
            l.g.final_seq.store(sent, Ordering::Release);
            encode_to_room(&mut wbuf, &mut scratch, &mut mask, sent, now / 1000);
            Local::add(&l.sent, 1);
            let res = flush(&mut wr, &mut wbuf).await;
            finished.set(true);
            return res;
        }
        let due = ((now - t0) as f64 * rate / 1e9) as u64 + 1;
        while sent < due {
            encode_to_room(&mut wbuf, &mut scratch, &mut mask, sent, now / 1000);
            sent += 1;
            Local::add(&l.sent, 1);
        }
        if hb.replace(false) {
            put_frame(&mut wbuf, OP_TEXT, b"2::", mask.next_key());
        }
        flush(&mut wr, &mut wbuf).await?;
        monoio::time::sleep(Duration::from_micros(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_parsing() {
        let p = b"5:::{\"name\":\"room\",\"args\":[\"bench\",{\"seq\":3,\"t\":1234}]}";
        assert_eq!(parse_room(p), Some((3, 1234)));
        assert_eq!(parse_room(b"5:::{}"), None);
    }
}
