//! Socket ids (C-ABI.md §1, SPEC.md "Socket ids"): one 64-bit id per (session,
//! namespace), `shard << 48 | generation << 24 | slot`. A slot's generation moves on
//! when its socket goes, so an old id finds nothing instead of another socket.

use std::collections::HashMap;

const SLOT_BITS: u32 = 24;
const GEN_MASK: u64 = (1 << 24) - 1;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

/// What a live id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The session id string.
    pub sid: String,
    /// The namespace index.
    pub nsp: u32,
}

#[derive(Default)]
struct Slot {
    gen: u64,
    entry: Option<Entry>,
}

/// The id table.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Vec<Slot>,
    free: Vec<usize>,
    by_sid: HashMap<String, Vec<(u32, u64)>>,
}

fn next_gen(g: u64) -> u64 {
    // Generations run 1..=2^24-1, so an id is never 0.
    if g >= GEN_MASK {
        1
    } else {
        g + 1
    }
}

impl Registry {
    /// A new id for `sid` on namespace `nsp`, owned by `shard` (`None` when 2^24 sockets
    /// are live at once).
    pub fn alloc(&mut self, shard: usize, sid: &str, nsp: u32) -> Option<u64> {
        let slot = match self.free.pop() {
            Some(i) => i,
            None => {
                if self.slots.len() as u64 > SLOT_MASK {
                    return None;
                }
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        let s = &mut self.slots[slot];
        s.gen = next_gen(s.gen);
        s.entry = Some(Entry {
            sid: sid.to_owned(),
            nsp,
        });
        let id = ((shard as u64 & 0xFFFF) << 48) | (s.gen << SLOT_BITS) | slot as u64;
        self.by_sid
            .entry(sid.to_owned())
            .or_default()
            .push((nsp, id));
        Some(id)
    }

    fn slot_of(&self, id: u64) -> Option<usize> {
        let slot = (id & SLOT_MASK) as usize;
        let gen = (id >> SLOT_BITS) & GEN_MASK;
        let s = self.slots.get(slot)?;
        (s.gen == gen && s.entry.is_some()).then_some(slot)
    }

    /// What live id `id` names.
    pub fn get(&self, id: u64) -> Option<&Entry> {
        let slot = self.slot_of(id)?;
        self.slots[slot].entry.as_ref()
    }

    /// The live id of `sid` on namespace `nsp`.
    pub fn lookup(&self, sid: &str, nsp: u32) -> Option<u64> {
        let v = self.by_sid.get(sid)?;
        v.iter().find(|(n, _)| *n == nsp).map(|(_, id)| *id)
    }

    /// Forget the id of `sid` on `nsp`; returns it.
    pub fn release(&mut self, sid: &str, nsp: u32) -> Option<u64> {
        let id = self.lookup(sid, nsp)?;
        if let Some(v) = self.by_sid.get_mut(sid) {
            v.retain(|(n, _)| *n != nsp);
            if v.is_empty() {
                self.by_sid.remove(sid);
            }
        }
        if let Some(slot) = self.slot_of(id) {
            self.slots[slot].entry = None;
            self.free.push(slot);
        }
        Some(id)
    }

    /// Number of live ids.
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.slots.iter().filter(|s| s.entry.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::Registry;

    #[test]
    fn stale_ids_find_nothing_and_ids_are_never_zero() {
        let mut r = Registry::default();
        let a = r.alloc(1, "abc", 0).expect("id");
        assert_ne!(a, 0);
        assert_eq!(a >> 48, 1);
        assert_eq!(r.get(a).map(|e| e.sid.as_str()), Some("abc"));
        assert_eq!(r.lookup("abc", 0), Some(a));
        assert_eq!(r.release("abc", 0), Some(a));
        assert!(r.get(a).is_none());
        let b = r.alloc(0, "def", 2).expect("id");
        assert_ne!(
            a & 0xFFFF_FFFF_FFFF,
            b & 0xFFFF_FFFF_FFFF,
            "slot reused with a new generation"
        );
        assert!(r.get(a).is_none());
        assert_eq!(r.get(b).map(|e| e.nsp), Some(2));
        assert_eq!(r.live(), 1);
    }
}
