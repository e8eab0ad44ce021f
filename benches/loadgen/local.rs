//! Per-thread state shared by the client tasks of one generator thread: the start [`Gate`],
//! the counters and the latency histogram (plain `Cell`s, no atomics on the hot path).

use crate::metrics::Histogram;
use crate::plan::{Global, Plan, ThreadResult};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A one-shot barrier for the tasks of one thread.
#[derive(Default)]
pub struct Gate {
    /// Whether it opened.
    pub open: Cell<bool>,
    /// Tasks waiting for it.
    pub waiters: RefCell<Vec<Waker>>,
}

impl Gate {
    /// Open it and wake every waiter.
    pub fn open(&self) {
        self.open.set(true);
        for w in self.waiters.borrow_mut().drain(..) {
            w.wake();
        }
    }

    /// Wait until it is open.
    pub fn wait(&self) -> GateWait<'_> {
        GateWait(self)
    }
}

/// Future of [`Gate::wait`].
pub struct GateWait<'a>(&'a Gate);

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

/// A single-waiter wake-up flag between two tasks of one thread (set before or while the
/// other task waits; each wait consumes it).
#[derive(Default)]
pub struct Notify {
    /// Whether a notification is pending.
    flag: Cell<bool>,
    /// The waiting task.
    waker: RefCell<Option<Waker>>,
}

impl Notify {
    /// Set the flag and wake the waiter.
    pub fn notify(&self) {
        self.flag.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Wait for (and consume) a notification.
    pub fn wait(&self) -> NotifyWait<'_> {
        NotifyWait(self)
    }
}

/// Future of [`Notify::wait`].
pub struct NotifyWait<'a>(&'a Notify);

impl Future for NotifyWait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.flag.replace(false) {
            Poll::Ready(())
        } else {
            *self.0.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Per-thread state shared by that thread's client tasks.
pub struct Local {
    /// The plan.
    pub plan: Arc<Plan>,
    /// Cross-thread state.
    pub g: Arc<Global>,
    /// Opened when the run starts.
    pub gate: Gate,
    /// Copies of the timeline, valid once the gate is open.
    pub t0: Cell<u64>,
    /// Window start (ns).
    pub ms: Cell<u64>,
    /// Window end (ns).
    pub end: Cell<u64>,
    /// Connections being set up.
    pub pending: Cell<usize>,
    /// Client tasks that returned.
    pub done: Cell<usize>,
    /// Latency histogram.
    pub hist: RefCell<Histogram>,
    /// Counters, see [`ThreadResult`].
    pub msgs: Cell<u64>,
    /// Messages sent.
    pub sent: Cell<u64>,
    /// Errors.
    pub errors: Cell<u64>,
    /// Duplicates.
    pub dups: Cell<u64>,
    /// Echo/ack messages in flight.
    pub inflight: Cell<u64>,
    /// Broadcast receivers.
    pub receivers: Cell<u64>,
    /// Broadcast distinct deliveries.
    pub unique: Cell<u64>,
    /// First few errors.
    pub samples: RefCell<Vec<String>>,
    /// Static: body bytes received in the window.
    pub bytes: Cell<u64>,
    /// Storm: connects skipped.
    pub skipped: Cell<u64>,
}

/// How many error descriptions a thread keeps.
pub const MAX_SAMPLES: usize = 5;

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
            bytes: Cell::new(0),
            skipped: Cell::new(0),
        })
    }

    /// Count one error and keep its description if there is room.
    pub fn error(&self, msg: impl FnOnce() -> String) {
        self.errors.set(self.errors.get() + 1);
        let mut s = self.samples.borrow_mut();
        if s.len() < MAX_SAMPLES {
            s.push(msg());
        }
    }

    /// Add `d` to a counter cell.
    #[inline]
    pub fn add(c: &Cell<u64>, d: u64) {
        c.set(c.get().wrapping_add(d));
    }

    /// Record a message received at `now` that was sent at `sent_ns`, if inside the window.
    #[inline]
    pub fn delivered(&self, now: u64, sent_ns: u64) {
        if now >= self.ms.get() && now < self.end.get() {
            Self::add(&self.msgs, 1);
            self.hist
                .borrow_mut()
                .record(now.saturating_sub(sent_ns) / 1000);
        }
    }

    /// Whether `now` is inside the measured window.
    #[inline]
    pub fn in_window(&self, now: u64) -> bool {
        now >= self.ms.get() && now < self.end.get()
    }

    /// Count a connection that is set up (`ok`) or failed, and release its batch slot.
    pub fn connected(&self, ok: bool) {
        self.pending.set(self.pending.get() - 1);
        if ok {
            self.g.ready.fetch_add(1, Ordering::Release);
        } else {
            self.g.failed.fetch_add(1, Ordering::Release);
        }
    }

    /// Snapshot the results.
    pub fn result(&self, clients: usize) -> ThreadResult {
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
            bytes: self.bytes.get(),
            skipped: self.skipped.get(),
        }
    }
}

/// Source address of client `idx`.
pub fn source(plan: &Plan, idx: usize) -> Option<Ipv4Addr> {
    (plan.sources > 1).then(|| Ipv4Addr::new(127, 0, 0, 1 + (idx % plan.sources as usize) as u8))
}
