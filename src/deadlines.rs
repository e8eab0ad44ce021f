//! A session's deadlines (heartbeat, heartbeat timeout, close timeout, handshake expiry)
//! and the timing-wheel entries that stand for them, kept to at most one live entry per
//! deadline kind.
//!
//! Deadlines move all the time: a heartbeat timeout is armed at every heartbeat and
//! cancelled by the reply, a polling session's close timeout is armed at the end of every
//! poll and cancelled by the next one. Inserting a wheel entry each time and ignoring the
//! stale ones when they fire would keep `timeout / interval` dead entries per session
//! (one per poll for the whole close timeout, on a busy polling server: millions). Here
//! a deadline only records when it is due; a wheel entry is inserted only when none is
//! queued that fires at or before that time, and an entry that fires early (its deadline
//! moved later) re-queues itself once for the new time. Pure bookkeeping in wheel ticks:
//! no clock, tested here.

use crate::session::Deadline;

/// Deadline kinds (the variants of [`Deadline`]).
const KINDS: usize = 4;

/// A wheel tick as stored per deadline: 32 bits, compared with wrapping arithmetic, so a
/// shard can run for ever as long as no deadline is more than about 248 days away
/// (10 ms ticks). 0 means "none".
pub type Tick = u32;

/// Whether tick `a` is after tick `b` (wrapping).
fn after(a: Tick, b: Tick) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// A tick as stored: the low 32 bits, never 0.
pub fn tick32(tick: u64) -> Tick {
    (tick as u32).max(1)
}

/// When each deadline of one session is due and which wheel entry stands for it: the
/// entry queued for kind `d` carries the tick it was queued for, and only the entry whose
/// tick matches `queued[d]` is live.
#[derive(Debug, Default, Clone)]
pub struct Deadlines {
    /// Tick at which each deadline is due; 0 when not armed.
    due: [Tick; KINDS],
    /// Tick of the live wheel entry for each kind; 0 when none is queued.
    queued: [Tick; KINDS],
}

/// What a fired wheel entry means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// The deadline is due now: act on it (it is no longer armed).
    Due,
    /// Cancelled, or superseded by another entry: nothing to do.
    Stale,
    /// The deadline moved later: queue an entry for it at `tick`.
    Later(Tick),
}

impl Deadlines {
    /// Arm `d` to be due at `tick`. Returns the tick to insert a wheel entry at (the
    /// entry carries it), or `None` when a queued entry fires at or before it (that entry
    /// re-queues itself when it fires).
    pub fn arm(&mut self, d: Deadline, tick: u64) -> Option<Tick> {
        let i = d as usize;
        let tick = tick32(tick);
        self.due[i] = tick;
        if self.queued[i] != 0 && !after(self.queued[i], tick) {
            return None;
        }
        self.queued[i] = tick;
        Some(tick)
    }

    /// Cancel `d` (its queued entry, if any, will fire as stale).
    pub fn cancel(&mut self, d: Deadline) {
        self.due[d as usize] = 0;
    }

    /// Whether `d` is armed.
    pub fn is_armed(&self, d: Deadline) -> bool {
        self.due[d as usize] != 0
    }

    /// The wheel entry for `d` queued at `queued` fired at `now_tick`.
    pub fn fired(&mut self, d: Deadline, queued: Tick, now_tick: u64) -> Fired {
        let i = d as usize;
        if self.queued[i] == 0 || queued != self.queued[i] {
            return Fired::Stale;
        }
        self.queued[i] = 0;
        let due = self.due[i];
        if due == 0 {
            Fired::Stale
        } else if after(due, tick32(now_tick)) {
            self.queued[i] = due;
            Fired::Later(due)
        } else {
            self.due[i] = 0;
            Fired::Due
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Deadline::*;

    #[test]
    fn armed_deadline_fires_when_due() {
        let mut d = Deadlines::default();
        let g = d.arm(Heartbeat, 100).expect("first arm queues an entry");
        assert!(d.is_armed(Heartbeat));
        assert_eq!(d.fired(Heartbeat, g, 100), Fired::Due);
        assert!(!d.is_armed(Heartbeat));
        // The same entry cannot fire twice.
        assert_eq!(d.fired(Heartbeat, g, 101), Fired::Stale);
    }

    #[test]
    fn cancelled_deadline_fires_stale() {
        let mut d = Deadlines::default();
        let g = d.arm(CloseTimeout, 50).unwrap();
        d.cancel(CloseTimeout);
        assert!(!d.is_armed(CloseTimeout));
        assert_eq!(d.fired(CloseTimeout, g, 50), Fired::Stale);
        // Re-arming after the stale entry fired queues a new one.
        assert!(d.arm(CloseTimeout, 80).is_some());
    }

    #[test]
    fn rearming_later_reuses_the_queued_entry() {
        let mut d = Deadlines::default();
        let g = d.arm(HeartbeatTimeout, 60).unwrap();
        d.cancel(HeartbeatTimeout);
        // Armed again (and cancelled, and armed) before the entry fires: no new entries.
        assert_eq!(d.arm(HeartbeatTimeout, 85), None);
        d.cancel(HeartbeatTimeout);
        assert_eq!(d.arm(HeartbeatTimeout, 110), None);
        // The entry fires at 60 and re-queues itself once, for 110.
        assert_eq!(d.fired(HeartbeatTimeout, g, 60), Fired::Later(110));
        assert_eq!(d.fired(HeartbeatTimeout, 110, 110), Fired::Due);
    }

    #[test]
    fn arming_earlier_supersedes_the_queued_entry() {
        let mut d = Deadlines::default();
        let old = d.arm(CloseTimeout, 500).unwrap();
        let new = d
            .arm(CloseTimeout, 100)
            .expect("earlier deadline needs its own entry");
        assert_eq!(d.fired(CloseTimeout, new, 100), Fired::Due);
        assert_eq!(d.fired(CloseTimeout, old, 500), Fired::Stale);
    }

    #[test]
    fn kinds_are_independent() {
        let mut d = Deadlines::default();
        let h = d.arm(Heartbeat, 10).unwrap();
        let e = d.arm(HandshakeExpiry, 20).unwrap();
        d.cancel(HandshakeExpiry);
        assert_eq!(d.fired(Heartbeat, h, 10), Fired::Due);
        assert_eq!(d.fired(HandshakeExpiry, e, 20), Fired::Stale);
    }

    #[test]
    fn ticks_wrap_around() {
        let mut d = Deadlines::default();
        let near_end = u64::from(u32::MAX) - 5;
        let g = d.arm(Heartbeat, near_end).unwrap();
        d.cancel(Heartbeat);
        // Due 10 ticks later, past the 32-bit wrap: still "later", so the entry is reused.
        assert_eq!(d.arm(Heartbeat, near_end + 10), None);
        assert_eq!(
            d.fired(Heartbeat, g, near_end),
            Fired::Later(tick32(near_end + 10))
        );
        assert_eq!(
            d.fired(Heartbeat, tick32(near_end + 10), near_end + 10),
            Fired::Due
        );
    }

    #[test]
    fn tick_zero_is_treated_as_one() {
        let mut d = Deadlines::default();
        let g = d.arm(Heartbeat, 0).unwrap();
        assert!(d.is_armed(Heartbeat));
        assert_eq!(d.fired(Heartbeat, g, 1), Fired::Due);
    }
}
