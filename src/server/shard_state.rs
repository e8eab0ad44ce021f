//! What one shard owns: its sessions, its part of the room index, its timing wheel and
//! the store completions it waits for. Single-threaded (`Rc`/`RefCell`): only the shard's
//! own thread touches it; other threads reach it with [`Remote`] messages over the bus.

use super::rooms::Rooms;
use super::ServerInner;
use crate::runtime::timers::Wheel;
use crate::session::{Deadline, Encoded, Session};
use crate::sid::Sid;
use crate::store::StoreError;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// Where a served connection came from; travels with it when it moves between shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConnKind {
    /// The host adopted this connection, so a request that is the host's is handed back
    /// to it (see [`super::Handback`]).
    pub adopted: bool,
    /// The client reached us over TLS (terminated here or by the host): handshakes say
    /// `secure`, the hixie `Location` is `wss://`.
    pub secure: bool,
}

/// A closure run on a shard's thread.
pub(crate) type ShardJob = Box<dyn FnOnce(&Rc<ShardState>) + Send>;

/// Work sent to a shard from another thread.
pub(crate) enum Remote {
    /// A TCP connection whose request belongs to a session of this shard, with the bytes
    /// already read from it.
    Handoff {
        fd: OwnedFd,
        pre: Vec<u8>,
        peer: SocketAddr,
        /// Where the connection came from (adopted by the host, reached us over TLS).
        kind: ConnKind,
    },
    /// A TCP connection the host accepted whose bytes are TLS records: terminate TLS on
    /// it (with the server's `tls cert` / `tls key`) and serve the decrypted stream as an
    /// adopted connection. `pre`: ciphertext the host already read.
    AdoptTls {
        fd: OwnedFd,
        pre: Vec<u8>,
        peer: SocketAddr,
    },
    /// Deliver a packet to this shard's members of a room.
    Deliver {
        key: Box<str>,
        packet: Encoded,
        except: Arc<[Sid]>,
        volatile: bool,
    },
    /// Deliver a packet to one session of this shard.
    ToSid {
        sid: Sid,
        packet: Encoded,
        volatile: bool,
    },
    /// A store operation finished.
    StoreDone { token: u64, result: StoreResult },
    /// Run a closure on the shard.
    Run(ShardJob),
    /// Stop the shard.
    Shutdown,
}

/// The result of a store operation, carried back to the shard that asked.
pub(crate) enum StoreResult {
    Get(Result<Option<Value>, StoreError>),
    Has(Result<bool, StoreError>),
    Done(Result<(), StoreError>),
}

/// A timer entry.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Timer {
    /// Deadline `d` of a session; the tick the entry was queued for identifies the live
    /// entry (see [`crate::deadlines`]).
    Session(Sid, Deadline, crate::deadlines::Tick),
    /// Client data kept after a disconnect expires (`client store expiration`).
    ClientData(Sid),
}

type Pending = Box<dyn FnOnce(StoreResult)>;

/// The state of one shard.
pub(crate) struct ShardState {
    pub id: usize,
    pub srv: Arc<ServerInner>,
    /// This shard's copy of the live snapshot (see [`super::live`]; the `Rc` keeps
    /// reads free of atomics, see [`ShardState::live`]).
    #[allow(clippy::redundant_allocation)]
    pub live: RefCell<Rc<Arc<super::live::Live>>>,
    /// The dedicated Flash policy listener (shard 0): its port and the sender whose
    /// drop stops it.
    pub flash: RefCell<Option<(u16, flume::Sender<()>)>>,
    /// Boxed: the table keeps a 48-byte slot per bucket (hash tables run 50-87 % full)
    /// instead of a 216-byte one; one pointer hop per lookup.
    pub sessions: RefCell<FxHashMap<Sid, Box<Session>>>,
    /// The timer task's tick count (10 ms ticks, wrapping): the clock broadcast coalescing
    /// reads without a system call.
    pub tick: Cell<u32>,
    /// Stream outlets whose broadcast frames wait for the next tick.
    pub deferred_outlets: RefCell<std::collections::VecDeque<Rc<crate::session::StreamOutlet>>>,
    pub rooms: RefCell<Rooms>,
    pub wheel: RefCell<Wheel<Timer>>,
    pub epoch: Instant,
    pending: RefCell<FxHashMap<u64, Pending>>,
    next_token: Cell<u64>,
    pub stopping: Cell<bool>,
    /// Tasks spawned with [`ShardState::spawn`] and not finished yet.
    tasks: Cell<usize>,
    next_task: Cell<u64>,
    /// Set by [`ShardState::halt`]: every spawned task ends at its next poll.
    halted: Cell<bool>,
    halt_wakers: RefCell<FxHashMap<u64, std::task::Waker>>,
    /// Packets left for sessions disconnected while no transport was open.
    pub tombstones: RefCell<FxHashMap<Sid, Vec<Encoded>>>,
    /// What this shard knows of sessions owned by other nodes (RedisStore cluster).
    pub cluster: RefCell<super::cluster::ClusterView>,
    /// Ack callbacks waiting for a session on another shard or node (see
    /// `remote_ack.rs`).
    pub(crate) pending_acks: RefCell<super::remote_ack::PendingAcks>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<ShardState>>> = const { RefCell::new(None) };
}

/// The shard running on this thread, if any.
pub(crate) fn current_shard() -> Option<Rc<ShardState>> {
    CURRENT.with(|c| c.borrow().clone())
}

impl ShardState {
    pub fn new(id: usize, srv: Arc<ServerInner>) -> Rc<ShardState> {
        let live = RefCell::new(Rc::new(srv.live()));
        let st = Rc::new(ShardState {
            id,
            srv,
            live,
            flash: RefCell::new(None),
            sessions: RefCell::new(FxHashMap::default()),
            tick: Cell::new(0),
            deferred_outlets: RefCell::new(std::collections::VecDeque::new()),
            rooms: RefCell::new(Rooms::default()),
            wheel: RefCell::new(Wheel::new()),
            epoch: Instant::now(),
            pending: RefCell::new(FxHashMap::default()),
            next_token: Cell::new(1),
            stopping: Cell::new(false),
            tasks: Cell::new(0),
            next_task: Cell::new(0),
            halted: Cell::new(false),
            halt_wakers: RefCell::new(FxHashMap::default()),
            tombstones: RefCell::new(FxHashMap::default()),
            cluster: RefCell::new(Default::default()),
            pending_acks: RefCell::new(Default::default()),
        });
        CURRENT.with(|c| *c.borrow_mut() = Some(st.clone()));
        st
    }

    /// Forget the thread-local reference (at shard exit, to break the cycle).
    pub fn detach() {
        CURRENT.with(|c| *c.borrow_mut() = None);
    }

    /// Spawn a task on this shard that ends when the shard halts, so that no task (and
    /// none of the I/O it has pending) outlives the shard's runtime. The wrapper adds a
    /// flag check per wake and one waker registration per task, and stores `f` once (an
    /// `async` block around a `select!` would hold it twice: idle memory per connection).
    pub fn spawn(self: &Rc<Self>, f: impl std::future::Future<Output = ()> + 'static) {
        let id = self.next_task.get();
        self.next_task.set(id + 1);
        self.tasks.set(self.tasks.get() + 1);
        monoio::spawn(Halting {
            f,
            st: self.clone(),
            id,
            registered: false,
            done: false,
        });
    }

    /// End every task spawned with [`ShardState::spawn`] (at shutdown, after the grace
    /// period). Returns at once; see [`ShardState::live_tasks`].
    pub fn halt(&self) {
        self.halted.set(true);
        let wakers: Vec<_> = self
            .halt_wakers
            .borrow_mut()
            .drain()
            .map(|(_, w)| w)
            .collect();
        for w in wakers {
            w.wake();
        }
    }

    /// Tasks spawned with [`ShardState::spawn`] still running.
    pub fn live_tasks(&self) -> usize {
        self.tasks.get()
    }

    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Arm deadline `d` of session `s` to be due `secs` seconds from now. A wheel entry
    /// is inserted only when none is queued for `d` that fires at or before then (see
    /// [`crate::deadlines`]).
    pub fn arm_deadline(&self, sid: Sid, s: &mut Session, d: Deadline, secs: f64) {
        let tick = self.tick_in(secs);
        if let Some(t) = s.deadlines.arm(d, tick) {
            self.queue_deadline(sid, d, tick, t);
        }
    }

    /// Insert the wheel entry for deadline `d` of `sid` at `tick` (`t`: the tick as the
    /// session's deadlines store it, carried by the entry).
    pub fn queue_deadline(&self, sid: Sid, d: Deadline, tick: u64, t: crate::deadlines::Tick) {
        self.wheel.borrow_mut().insert(
            tick.saturating_mul(crate::runtime::timers::TICK_MS),
            Timer::Session(sid, d, t),
        );
    }

    /// The wheel tick `secs` seconds from now (rounded up).
    fn tick_in(&self, secs: f64) -> u64 {
        let ms = (secs.max(0.0) * 1000.0).round() as u64;
        (self.now_ms() + ms).div_ceil(crate::runtime::timers::TICK_MS)
    }

    /// The current wheel tick.
    pub fn now_tick(&self) -> u64 {
        self.now_ms() / crate::runtime::timers::TICK_MS
    }

    /// Arm a timer `secs` seconds from now.
    pub fn arm(&self, secs: f64, t: Timer) {
        let ms = (secs.max(0.0) * 1000.0).round() as u64;
        self.wheel.borrow_mut().insert(self.now_ms() + ms, t);
    }

    /// Session ids of this shard in room `key`.
    pub fn room_members(&self, key: &str) -> Vec<String> {
        self.rooms
            .borrow()
            .members(key)
            .map(|m| m.iter().map(|s| s.as_str().to_owned()).collect())
            .unwrap_or_default()
    }

    /// Register a completion and return its token.
    pub fn add_pending(&self, f: Pending) -> u64 {
        let t = self.next_token.get();
        self.next_token.set(t + 1);
        self.pending.borrow_mut().insert(t, f);
        t
    }

    /// Run the completion registered under `token`.
    pub fn complete(&self, token: u64, result: StoreResult) {
        let f = self.pending.borrow_mut().remove(&token);
        if let Some(f) = f {
            f(result);
        }
    }
}

/// Called by a store callback (any thread): complete on the owning shard, directly when
/// already on it, else over the bus.
pub(crate) fn finish_store_op(srv: &ServerInner, shard: usize, token: u64, result: StoreResult) {
    match current_shard() {
        Some(st) if st.id == shard => st.complete(token, result),
        _ => srv.send(shard, Remote::StoreDone { token, result }),
    }
}

pin_project_lite::pin_project! {
    /// A task spawned by [`ShardState::spawn`]: `f`, ended early when the shard halts.
    struct Halting<F> {
        #[pin]
        f: F,
        st: Rc<ShardState>,
        id: u64,
        registered: bool,
        done: bool,
    }
}

impl<F: std::future::Future<Output = ()>> std::future::Future for Halting<F> {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let this = self.project();
        if *this.done {
            return std::task::Poll::Ready(());
        }
        if this.st.halted.get() || this.f.poll(cx).is_ready() {
            *this.done = true;
            if *this.registered {
                this.st.halt_wakers.borrow_mut().remove(this.id);
            }
            this.st.tasks.set(this.st.tasks.get() - 1);
            return std::task::Poll::Ready(());
        }
        if !*this.registered {
            // A spawned task keeps one waker for its whole life: register it once.
            *this.registered = true;
            this.st
                .halt_wakers
                .borrow_mut()
                .insert(*this.id, cx.waker().clone());
        }
        std::task::Poll::Pending
    }
}
