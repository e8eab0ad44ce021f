//! The run's shared parameters and cross-thread state: the scenario, the [`Plan`], the
//! [`Global`] timeline and the [`ThreadResult`] each generator thread reports.

use crate::metrics::Histogram;
use crate::ws::Target;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::OnceLock;
use std::time::Instant;

/// What the clients do once connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `echo` events without ack; the server emits `echo` back.
    Echo,
    /// `echo` events with a data ack; the server acks with the same args.
    Ack,
    /// Everybody joins room `bench`; one extra sender emits `to-room` at `--rate`.
    Broadcast,
    /// xhr-polling clients: `echo` events POSTed (a U+FFFD payload when several are queued),
    /// replies received by the long-poll GET loop.
    Poll,
    /// Keep-alive connections each looping `GET /socket.io/socket.io.js`.
    Static,
    /// `--rate` handshake + websocket connects per second (each waits for `1::`, then sends
    /// `0::` and closes).
    Storm,
    /// Websocket sessions held idle for the window, answering heartbeats (server RSS per session).
    Idle,
}

impl Scenario {
    /// Lower-case name (as on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Echo => "echo",
            Scenario::Ack => "ack",
            Scenario::Broadcast => "broadcast",
            Scenario::Poll => "poll",
            Scenario::Static => "static",
            Scenario::Storm => "storm",
            Scenario::Idle => "idle",
        }
    }
}

/// The run's parameters, shared read-only by every thread.
pub struct Plan {
    /// Where to connect.
    pub target: Target,
    /// Other nodes of the same cluster; clients are spread over `target` and these.
    pub also: Vec<Target>,
    /// The scenario.
    pub scenario: Scenario,
    /// Events in flight per client (echo/ack).
    pub inflight: usize,
    /// Broadcast sender rate (messages per second); storm: connects per second.
    pub rate: f64,
    /// Generator threads.
    pub threads: usize,
    /// Static: ask for gzip (`Accept-Encoding: gzip`) and expect it.
    pub gzip: bool,
    /// Static: the path requested.
    pub path: String,
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
    /// Static: response body bytes received inside the window.
    pub bytes: u64,
    /// Storm: connects not started because too many were still pending.
    pub skipped: u64,
}

/// The process-wide time base.
static BASE: OnceLock<Instant> = OnceLock::new();

/// Monotonic nanoseconds since the generator started.
#[inline]
pub fn now_ns() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

impl Plan {
    /// The node client `idx` connects to: round-robin over `target` and `also`.
    pub fn target_for(&self, idx: usize) -> &Target {
        match idx % (self.also.len() + 1) {
            0 => &self.target,
            i => &self.also[i - 1],
        }
    }
}
