//! A per-shard hashed timing wheel (DESIGN.md §2) driving session deadlines: heartbeats,
//! heartbeat timeouts, close timeouts, handshake expiry and client-data expiry.
//!
//! Time is passed in as milliseconds since the shard started, so the wheel is a pure data
//! structure and is tested without clocks. Entries are never removed when a deadline is
//! cancelled: each carries the generation of the deadline it was armed for, and the owner
//! ignores a fired entry whose generation is stale (lazy cancellation keeps arming O(1)).

/// Milliseconds per wheel slot.
pub const TICK_MS: u64 = 10;
/// Slots in the wheel: one turn covers `SLOTS * TICK_MS` ms (about 41 s); later
/// deadlines wait in their slot for the right turn.
const SLOTS: usize = 4096;

/// One armed deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    /// Absolute tick at which the entry fires.
    pub tick: u64,
    /// What fires (owner-defined).
    pub item: T,
}

/// A hashed timing wheel of `T` items.
pub struct Wheel<T> {
    slots: Vec<Vec<Entry<T>>>,
    /// The next tick to process.
    next: u64,
    len: usize,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wheel<T> {
    /// An empty wheel starting at time 0.
    pub fn new() -> Self {
        let mut slots = Vec::with_capacity(SLOTS);
        slots.resize_with(SLOTS, Vec::new);
        Wheel {
            slots,
            next: 0,
            len: 0,
        }
    }

    /// Number of armed entries (including stale ones not yet fired).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is armed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Arm `item` to fire at `at_ms` (rounded up to the next tick; never in the past).
    pub fn insert(&mut self, at_ms: u64, item: T) {
        let tick = at_ms.div_ceil(TICK_MS).max(self.next);
        let slot = (tick % SLOTS as u64) as usize;
        self.slots[slot].push(Entry { tick, item });
        self.len += 1;
    }

    /// Advance to `now_ms`, appending every entry due by then to `fired` in deadline order
    /// (ties in insertion order).
    pub fn advance(&mut self, now_ms: u64, fired: &mut Vec<T>) {
        let now_tick = now_ms / TICK_MS;
        // Never sweep more than one full turn per call: everything older than one turn
        // is found in that sweep anyway, since entries stay in their slot until due.
        let start = self.next;
        let end = now_tick.min(start.saturating_add(SLOTS as u64 - 1));
        let mut t = start;
        while t <= end {
            let slot = &mut self.slots[(t % SLOTS as u64) as usize];
            if !slot.is_empty() {
                let mut i = 0;
                while i < slot.len() {
                    if slot[i].tick <= now_tick {
                        let e = slot.remove(i);
                        fired.push(e.item);
                        self.len -= 1;
                    } else {
                        i += 1;
                    }
                }
            }
            t += 1;
        }
        self.next = self.next.max(now_tick + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_order_and_only_when_due() {
        let mut w = Wheel::new();
        w.insert(25, "b");
        w.insert(5, "a");
        w.insert(100_000, "late");
        let mut out = Vec::new();
        w.advance(4, &mut out);
        assert!(out.is_empty());
        w.advance(30, &mut out);
        assert_eq!(out, vec!["a", "b"]);
        out.clear();
        w.advance(99_990, &mut out);
        assert!(
            out.is_empty(),
            "a deadline more than a turn away waits for its turn"
        );
        w.advance(100_000, &mut out);
        assert_eq!(out, vec!["late"]);
        assert!(w.is_empty());
    }

    #[test]
    fn past_deadlines_fire_on_next_advance() {
        let mut w = Wheel::new();
        let mut out = Vec::new();
        w.advance(1_000, &mut out);
        w.insert(10, 1);
        w.advance(1_010, &mut out);
        assert_eq!(out, vec![1]);
    }

    #[test]
    fn long_gaps_do_not_lose_entries() {
        let mut w = Wheel::new();
        w.insert(50, 1);
        w.insert(60_000, 2);
        let mut out = Vec::new();
        w.advance(500_000, &mut out);
        assert_eq!(out, vec![1, 2]);
    }
}
