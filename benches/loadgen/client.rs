//! The simulated clients of each scenario and the per-thread coordinator that spawns them in
//! batches, opens the start gate for all of them at once and collects their results.
//!
//! Each generator thread runs one monoio runtime; its clients are tasks sharing one [`Local`]
//! (plain `Cell`s, no atomics on the hot path). Threads meet only through [`Global`].

use crate::metrics::Histogram;
use crate::ws::{
    self, parse_u64, put_frame, put_u64, Conn, Target, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT,
};
use monoio::io::{AsyncWriteRentExt, Splitable};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// What the clients do once connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `echo` events without ack; the server emits `echo` back.
    Echo,
    /// `echo` events with a data ack; the server acks with the same args.
    Ack,
    /// Everybody joins room `bench`; one extra sender emits `to-room` at `--rate`.
    Broadcast,
}

/// The run's parameters, shared read-only by every thread.
pub struct Plan {
    /// Where to connect.
    pub target: Target,
    /// The scenario.
    pub scenario: Scenario,
    /// Events in flight per client (echo/ack).
    pub inflight: usize,
    /// Broadcast sender rate (messages per second).
    pub rate: f64,
    /// Number of loopback source addresses (127.0.0.1 ..= 127.0.0.N).
    pub sources: u8,
    /// Connections being set up at once per thread.
    pub connect_batch: usize,
    /// How long after the end of the window clients may drain their in-flight messages (ns).
    pub drain_ns: u64,
}

/// Cross-thread coordination: connection progress and the run's timeline.
#[derive(Default)]
pub struct Global {
    /// Clients (and the broadcast sender) connected and ready.
    pub ready: AtomicUsize,
    /// Clients that failed to connect.
    pub failed: AtomicUsize,
    /// Start of the run (ns on [`now_ns`]'s clock); 0 until every client is ready.
    pub t0: AtomicU64,
    /// Start of the measured window (ns).
    pub measure_start: AtomicU64,
    /// End of the measured window: no new sends after it (ns).
    pub end: AtomicU64,
    /// Broadcast: the last seq the sender will send (`u64::MAX` until known).
    pub final_seq: AtomicU64,
}

impl Global {
    /// A fresh coordination block.
    pub fn new() -> Self {
        Global {
            final_seq: AtomicU64::new(u64::MAX),
            ..Default::default()
        }
    }
}

/// What one thread measured.
#[derive(Default)]
pub struct ThreadResult {
    /// Latencies (µs) of messages received inside the window.
    pub hist: Histogram,
    /// Messages (echo/ack replies, broadcast deliveries) received inside the window.
    pub msgs: u64,
    /// Messages sent (whole run).
    pub sent: u64,
    /// Protocol errors, unexpected packets, transport failures.
    pub errors: u64,
    /// Echo/ack: messages still unanswered at the end.
    pub inflight_left: u64,
    /// Messages received twice (or a seq seen again).
    pub dups: u64,
    /// First few error descriptions.
    pub samples: Vec<String>,
    /// Broadcast: receivers that joined.
    pub receivers: u64,
    /// Broadcast: distinct seqs received over all receivers (whole run).
    pub unique: u64,
    /// Clients of this thread.
    pub clients: usize,
    /// Clients that finished (drained) before the deadline.
    pub finished: usize,
}

/// The process-wide time base.
static BASE: OnceLock<Instant> = OnceLock::new();

/// Monotonic nanoseconds since the generator started.
#[inline]
pub fn now_ns() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// A one-shot barrier for the tasks of one thread.
#[derive(Default)]
struct Gate {
    /// Whether it opened.
    open: Cell<bool>,
    /// Tasks waiting for it.
    waiters: RefCell<Vec<Waker>>,
}

impl Gate {
    /// Open it and wake every waiter.
    fn open(&self) {
        self.open.set(true);
        for w in self.waiters.borrow_mut().drain(..) {
            w.wake();
        }
    }

    /// Wait until it is open.
    fn wait(&self) -> GateWait<'_> {
        GateWait(self)
    }
}

/// Future of [`Gate::wait`].
struct GateWait<'a>(&'a Gate);

impl Future for GateWait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.open.get() {
            Poll::Ready(())
        } else {
            self.0.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Per-thread state shared by that thread's client tasks.
pub struct Local {
    /// The plan.
    plan: Arc<Plan>,
    /// Cross-thread state.
    g: Arc<Global>,
    /// Opened when the run starts.
    gate: Gate,
    /// Copies of the timeline, valid once the gate is open.
    t0: Cell<u64>,
    /// Window start (ns).
    ms: Cell<u64>,
    /// Window end (ns).
    end: Cell<u64>,
    /// Connections being set up.
    pending: Cell<usize>,
    /// Client tasks that returned.
    done: Cell<usize>,
    /// Latency histogram.
    hist: RefCell<Histogram>,
    /// Counters, see [`ThreadResult`].
    msgs: Cell<u64>,
    /// Messages sent.
    sent: Cell<u64>,
    /// Errors.
    errors: Cell<u64>,
    /// Duplicates.
    dups: Cell<u64>,
    /// Echo/ack messages in flight.
    inflight: Cell<u64>,
    /// Broadcast receivers.
    receivers: Cell<u64>,
    /// Broadcast distinct deliveries.
    unique: Cell<u64>,
    /// First few errors.
    samples: RefCell<Vec<String>>,
}

/// How many error descriptions a thread keeps.
const MAX_SAMPLES: usize = 5;
/// Prefix of an echo event, client → server and server → client alike.
const ECHO_HEAD: &[u8] = b"{\"name\":\"echo\",\"args\":[";
/// A room delivery up to the seq's digits.
const ROOM_HEAD: &[u8] = b"5:::{\"name\":\"room\",\"args\":[\"bench\",{\"seq\":";
/// The join event (ack id 1).
const JOIN: &[u8] = b"5:1+::{\"name\":\"join\",\"args\":[\"bench\"]}";
/// The join's ack.
const JOIN_ACK: &[u8] = b"6:::1+[\"bench\"]";

impl Local {
    /// Fresh state for one thread.
    pub fn new(plan: Arc<Plan>, g: Arc<Global>) -> Rc<Self> {
        Rc::new(Local {
            plan,
            g,
            gate: Gate::default(),
            t0: Cell::new(0),
            ms: Cell::new(0),
            end: Cell::new(0),
            pending: Cell::new(0),
            done: Cell::new(0),
            hist: RefCell::new(Histogram::default()),
            msgs: Cell::new(0),
            sent: Cell::new(0),
            errors: Cell::new(0),
            dups: Cell::new(0),
            inflight: Cell::new(0),
            receivers: Cell::new(0),
            unique: Cell::new(0),
            samples: RefCell::new(Vec::new()),
        })
    }

    /// Count one error and keep its description if there is room.
    fn error(&self, msg: impl FnOnce() -> String) {
        self.errors.set(self.errors.get() + 1);
        let mut s = self.samples.borrow_mut();
        if s.len() < MAX_SAMPLES {
            s.push(msg());
        }
    }

    /// Add `d` to a counter cell.
    #[inline]
    fn add(c: &Cell<u64>, d: u64) {
        c.set(c.get().wrapping_add(d));
    }

    /// Record a message received at `now` that was sent at `sent_ns`, if inside the window.
    #[inline]
    fn delivered(&self, now: u64, sent_ns: u64) {
        if now >= self.ms.get() && now < self.end.get() {
            Self::add(&self.msgs, 1);
            self.hist
                .borrow_mut()
                .record(now.saturating_sub(sent_ns) / 1000);
        }
    }

    /// Snapshot the results.
    fn result(&self, clients: usize) -> ThreadResult {
        ThreadResult {
            hist: self.hist.borrow().clone(),
            msgs: self.msgs.get(),
            sent: self.sent.get(),
            errors: self.errors.get(),
            inflight_left: self.inflight.get(),
            dups: self.dups.get(),
            samples: self.samples.borrow().clone(),
            receivers: self.receivers.get(),
            unique: self.unique.get(),
            clients,
            finished: self.done.get().min(clients),
        }
    }
}

/// Source address of client `idx`.
fn source(plan: &Plan, idx: usize) -> Option<Ipv4Addr> {
    (plan.sources > 1).then(|| Ipv4Addr::new(127, 0, 0, 1 + (idx % plan.sources as usize) as u8))
}

/// Read frames until `want` arrives (answering heartbeats); anything else is an error.
async fn await_packet(conn: &mut Conn, want: &[u8]) -> Result<(), String> {
    loop {
        let mut hb = false;
        while let Some((op, r)) = conn.rx.next_frame()? {
            let p = &conn.rx.buf[r];
            if op == OP_TEXT && p == want {
                return Ok(());
            } else if op == OP_TEXT && p == b"2::" {
                hb = true;
            } else {
                return Err(format!(
                    "waiting for {:?}, got {:?}",
                    String::from_utf8_lossy(want),
                    String::from_utf8_lossy(p)
                ));
            }
        }
        if hb {
            let mut w = Vec::with_capacity(16);
            put_frame(&mut w, OP_TEXT, b"2::", conn.mask.next_key());
            conn.stream
                .write_all(w)
                .await
                .0
                .map_err(|e| format!("write: {e}"))?;
        }
        match conn.rx.fill(&mut conn.stream).await {
            Ok(0) => return Err("server closed the connection".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Connect client `idx` (joining room `bench` when `join`), keeping the connection accounting.
async fn connect_client(l: &Local, idx: usize, join: bool) -> Result<Conn, String> {
    let res = async {
        let mut conn = ws::open(&l.plan.target, source(&l.plan, idx), idx as u32 ^ 0x5EED).await?;
        if join {
            let mut w = Vec::with_capacity(64);
            put_frame(&mut w, OP_TEXT, JOIN, conn.mask.next_key());
            conn.stream
                .write_all(w)
                .await
                .0
                .map_err(|e| format!("write: {e}"))?;
            await_packet(&mut conn, JOIN_ACK).await?;
        }
        Ok(conn)
    }
    .await;
    l.pending.set(l.pending.get() - 1);
    match &res {
        Ok(_) => l.g.ready.fetch_add(1, Ordering::Release),
        Err(_) => l.g.failed.fetch_add(1, Ordering::Release),
    };
    res
}

/// Write and clear `wbuf` if it holds anything.
async fn flush(stream: &mut impl AsyncWriteRentExt, wbuf: &mut Vec<u8>) -> Result<(), String> {
    if wbuf.is_empty() {
        return Ok(());
    }
    let (res, b) = stream.write_all(std::mem::take(wbuf)).await;
    *wbuf = b;
    wbuf.clear();
    res.map(|_| ()).map_err(|e| format!("write: {e}"))
}

/// Encode the echo event `seq` (with a data ack request when `ack`) into `out`.
#[inline]
fn encode_echo(out: &mut Vec<u8>, ack: bool, seq: u64, suffix: &[u8]) {
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
fn parse_echo_reply(p: &[u8], ack: bool, suffix: &[u8]) -> Option<u64> {
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
async fn echo_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = echo_run(&l, idx).await {
        l.error(|| format!("client {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// The body of [`echo_client`].
async fn echo_run(l: &Local, idx: usize) -> Result<(), String> {
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

/// One broadcast receiver: joins `bench`, then checks every seq arrives once, in order.
async fn receiver_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = receiver_run(&l, idx).await {
        l.error(|| format!("receiver {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// Parse a room delivery `5:::{"name":"room","args":["bench",{"seq":S,"t":T}]}` → `(S, T)`.
#[inline]
fn parse_room(p: &[u8]) -> Option<(u64, u64)> {
    let rest = p.strip_prefix(ROOM_HEAD)?;
    let (seq, n) = parse_u64(rest)?;
    let rest = rest[n..].strip_prefix(b",\"t\":")?;
    let (t, n) = parse_u64(rest)?;
    (&rest[n..] == b"}]}").then_some((seq, t))
}

/// The body of [`receiver_client`].
async fn receiver_run(l: &Local, idx: usize) -> Result<(), String> {
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
async fn sender_client(l: Rc<Local>) {
    if let Err(e) = sender_run(&l).await {
        l.error(|| format!("sender: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// Encode the `to-room` event carrying `seq` and send time `t_us` into `out` (framed).
fn encode_to_room(
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
async fn sender_run(l: &Rc<Local>) -> Result<(), String> {
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

/// Run one generator thread: connect its clients (at most `connect_batch` at a time), wait for
/// the global start, open the gate, wait for its clients to finish (or the drain deadline) and
/// send its results.
pub async fn thread_main(
    l: Rc<Local>,
    clients: Vec<usize>,
    with_sender: bool,
    tx: flume::Sender<ThreadResult>,
) {
    let total = clients.len() + with_sender as usize;
    let batch = l.plan.connect_batch.max(1);
    let tick = Duration::from_millis(1);
    if with_sender {
        l.pending.set(l.pending.get() + 1);
        monoio::spawn(sender_client(l.clone()));
    }
    for idx in clients {
        while l.pending.get() >= batch {
            monoio::time::sleep(tick).await;
        }
        l.pending.set(l.pending.get() + 1);
        match l.plan.scenario {
            Scenario::Echo | Scenario::Ack => monoio::spawn(echo_client(l.clone(), idx)),
            Scenario::Broadcast => monoio::spawn(receiver_client(l.clone(), idx)),
        };
    }
    loop {
        let t0 = l.g.t0.load(Ordering::Acquire);
        if t0 != 0 {
            l.t0.set(t0);
            l.ms.set(l.g.measure_start.load(Ordering::Relaxed));
            l.end.set(l.g.end.load(Ordering::Relaxed));
            break;
        }
        monoio::time::sleep(tick).await;
    }
    l.gate.open();
    let deadline = l.end.get() + l.plan.drain_ns;
    while l.done.get() < total && now_ns() < deadline {
        monoio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = tx.send(l.result(total));
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

    #[test]
    fn room_parsing() {
        let p = b"5:::{\"name\":\"room\",\"args\":[\"bench\",{\"seq\":3,\"t\":1234}]}";
        assert_eq!(parse_room(p), Some((3, 1234)));
        assert_eq!(parse_room(b"5:::{}"), None);
    }
}
