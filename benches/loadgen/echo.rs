//! The `echo` and `ack` clients: each keeps `--inflight` `echo` events outstanding and checks
//! every reply exactly once, in order, byte for byte.

use crate::connect::{connect_client, flush};
use crate::local::Local;
use crate::plan::{now_ns, Scenario};
use crate::ws::{parse_u64, put_frame, put_u64, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT};
use std::collections::VecDeque;
use std::rc::Rc;

/// Prefix of an echo event, client → server and server → client alike.
pub const ECHO_HEAD: &[u8] = b"{\"name\":\"echo\",\"args\":[";

/// Encode the echo event `seq` (with a data ack request when `ack`) into `out`.
#[inline]
pub fn encode_echo(out: &mut Vec<u8>, ack: bool, seq: u64, suffix: &[u8]) {
    out.clear();
    if ack {
        out.extend_from_slice(b"5:");
        put_u64(out, seq);
        out.extend_from_slice(b"+::");
    } else {
        out.extend_from_slice(b"5:::");
    }
    out.extend_from_slice(ECHO_HEAD);
    put_u64(out, seq);
    out.extend_from_slice(suffix);
}

/// The seq carried by an echo reply (`5:::{"name":"echo","args":[seq,"pad"]}`) or an ack reply
/// (`6:::seq+[seq,"pad"]`), checking every byte; `None` if it is neither. `suffix` is the
/// event's tail after the seq (`,"pad"]}`).
#[inline]
pub fn parse_echo_reply(p: &[u8], ack: bool, suffix: &[u8]) -> Option<u64> {
    if ack {
        let rest = p.strip_prefix(b"6:::")?;
        let (id, n) = parse_u64(rest)?;
        let rest = rest[n..].strip_prefix(b"+[")?;
        let (seq, n) = parse_u64(rest)?;
        (seq == id && rest[n..] == suffix[..suffix.len() - 1]).then_some(seq)
    } else {
        let rest = p.strip_prefix(b"5:::")?.strip_prefix(ECHO_HEAD)?;
        let (seq, n) = parse_u64(rest)?;
        (&rest[n..] == suffix).then_some(seq)
    }
}

/// One echo/ack client: keeps `inflight` events outstanding until the window ends, then drains.
pub async fn echo_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = echo_run(&l, idx).await {
        l.error(|| format!("client {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// The body of [`echo_client`].
pub async fn echo_run(l: &Local, idx: usize) -> Result<(), String> {
    let mut conn = connect_client(l, idx, false).await?;
    l.gate.wait().await;
    let ack = l.plan.scenario == Scenario::Ack;
    let w = l.plan.inflight;
    // 16-byte pad, unique per client: a reply routed to the wrong client fails verification.
    let suffix = format!(",\"c{idx:015}\"]}}").into_bytes();
    let end = l.end.get();
    let mut pending: VecDeque<(u64, u64)> = VecDeque::with_capacity(w);
    let mut next_seq = 1u64;
    let mut scratch = Vec::with_capacity(128);
    let mut wbuf = Vec::with_capacity(96 * w.clamp(1, 64));
    let mut now = now_ns();
    loop {
        if now < end {
            let t = now_ns();
            while pending.len() < w {
                encode_echo(&mut scratch, ack, next_seq, &suffix);
                put_frame(&mut wbuf, OP_TEXT, &scratch, conn.mask.next_key());
                pending.push_back((next_seq, t));
                next_seq += 1;
                Local::add(&l.inflight, 1);
                Local::add(&l.sent, 1);
            }
        }
        flush(&mut conn.stream, &mut wbuf).await?;
        if now >= end && pending.is_empty() {
            return Ok(());
        }
        match conn.rx.fill(&mut conn.stream).await {
            Ok(0) => return Err("server closed the connection".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
        now = now_ns();
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
            let Some(seq) = parse_echo_reply(p, ack, &suffix) else {
                l.error(|| {
                    format!(
                        "client {idx}: unexpected packet {:?}",
                        String::from_utf8_lossy(p)
                    )
                });
                continue;
            };
            match pending.front() {
                Some(&(s, t)) if s == seq => {
                    pending.pop_front();
                    Local::add(&l.inflight, u64::MAX); // -1
                    l.delivered(now, t);
                }
                _ => {
                    if let Some(pos) = pending.iter().position(|x| x.0 == seq) {
                        l.error(|| format!("client {idx}: reply {seq} out of order"));
                        pending.remove(pos);
                        Local::add(&l.inflight, u64::MAX);
                    } else if seq < next_seq {
                        Local::add(&l.dups, 1);
                    } else {
                        l.error(|| format!("client {idx}: reply to {seq}, never sent"));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_reply_parsing() {
        let suffix = b",\"c000000000000007\"]}";
        let mut v = Vec::new();
        encode_echo(&mut v, false, 42, suffix);
        assert_eq!(parse_echo_reply(&v, false, suffix), Some(42));
        assert_eq!(
            parse_echo_reply(&v, false, b",\"c000000000000008\"]}"),
            None
        );
        let ack = b"6:::9+[9,\"c000000000000007\"]";
        assert_eq!(
            parse_echo_reply(ack, true, b",\"c000000000000007\"]}"),
            Some(9)
        );
        let bad = b"6:::9+[8,\"c000000000000007\"]";
        assert_eq!(
            parse_echo_reply(bad, true, b",\"c000000000000007\"]}"),
            None
        );
    }
}
