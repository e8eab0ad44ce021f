//! The `storm` scenario: an open-loop stream of `--rate` new clients per second (spread over
//! the generator threads). Each does the handshake and the websocket upgrade, waits for `1::`,
//! then sends `0::` (disconnect) and closes. Latency runs from the connect's scheduled time to
//! `1::`, so a server that falls behind shows it even while the generator waits.

use crate::local::{source, Local};
use crate::plan::now_ns;
use crate::ws::{self, put_frame, OP_TEXT};
use monoio::io::{AsyncWriteRent, AsyncWriteRentExt};
use std::rc::Rc;
use std::time::Duration;

/// Connects in progress per thread above which new ones are skipped (and counted): a server
/// that cannot keep up is then measured at its capacity with bounded queueing, and the
/// connects still open at the end of the window finish within the drain time.
pub const MAX_ACTIVE: usize = 256;

/// How long a storm client waits for the server to close after `0::`.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Drive one thread's share of the storm from the start of the run to the end of the window,
/// then wait (at most the drain time) for the connects still in progress.
pub async fn storm_driver(l: Rc<Local>, thread: usize) {
    let threads = l.plan.threads.max(1);
    let interval = 1e9 * threads as f64 / l.plan.rate;
    let phase = interval * thread as f64 / threads as f64;
    let (t0, end) = (l.t0.get(), l.end.get());
    let active = Rc::new(std::cell::Cell::new(0usize));
    let mut k = 0u64;
    loop {
        let due = t0 + (phase + k as f64 * interval) as u64;
        if due >= end {
            break;
        }
        let now = now_ns();
        if due > now {
            monoio::time::sleep(Duration::from_nanos(due - now)).await;
            continue;
        }
        k += 1;
        if active.get() >= MAX_ACTIVE {
            Local::add(&l.skipped, 1);
            continue;
        }
        active.set(active.get() + 1);
        Local::add(&l.sent, 1);
        Local::add(&l.inflight, 1);
        let (l2, active2) = (l.clone(), active.clone());
        let idx = (k as usize) * threads + thread;
        monoio::spawn(async move {
            if let Err(e) = one(&l2, idx, due).await {
                l2.error(|| format!("storm connect {idx}: {e}"));
            }
            active2.set(active2.get() - 1);
            Local::add(&l2.inflight, u64::MAX); // -1: finished (unfinished ones count as lost)
        });
    }
    let deadline = end + l.plan.drain_ns;
    while active.get() > 0 && now_ns() < deadline {
        monoio::time::sleep(Duration::from_millis(2)).await;
    }
    l.done.set(l.done.get() + 1);
}

/// One storm client: connect (until `1::`), record, disconnect gracefully: `0::`, half-close,
/// then read until the server closes (at most [`CLOSE_WAIT`]), so no reset reaches the server
/// (the reference crashes on an unhandled `ECONNRESET`).
async fn one(l: &Local, idx: usize, due: u64) -> Result<(), String> {
    let mut conn = ws::open(&l.plan.target, source(&l.plan, idx), idx as u32 ^ 0x5707).await?;
    l.delivered(now_ns(), due);
    let mut w = Vec::with_capacity(16);
    put_frame(&mut w, OP_TEXT, b"0::", conn.mask.next_key());
    let (res, _) = conn.stream.write_all(w).await;
    res.map_err(|e| format!("write 0::: {e}"))?;
    let _ = conn.stream.shutdown().await;
    let _ = monoio::time::timeout(CLOSE_WAIT, async {
        while let Ok(n) = conn.rx.fill(&mut conn.stream).await {
            if n == 0 {
                break;
            }
            conn.rx.pos = conn.rx.buf.len();
        }
    })
    .await;
    Ok(())
}
