//! Session ids (PROTOCOL.md §1.5) and the shard that owns each one (DESIGN.md §2).
//!
//! An id is 20 characters of `[A-Za-z0-9_-]`: 15 bytes (12 from the OS RNG, 3 from a
//! per-process counter, as the reference does) in URL-safe base64. The owner shard of an
//! id is a hash of its text modulo the shard count, so any shard computes it with no lookup;
//! a shard answering a handshake draws ids until one maps to itself (rejection sampling,
//! so the id stays uniformly random).

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

/// Length in characters of the session ids this server issues.
pub const SID_LEN: usize = 20;
/// Longest session id accepted from the network (ids from other cluster nodes may differ
/// from ours in length; anything longer than this is rejected as garbage). Kept small:
/// ids live inline in every session, room and map entry.
pub const MAX_SID_LEN: usize = 32;

/// A session id, stored inline (no heap allocation) so it is cheap to copy and hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid {
    len: u8,
    bytes: [u8; MAX_SID_LEN],
}

impl Sid {
    /// Parse an id received from a client: 1..=64 characters of `[A-Za-z0-9_-]`.
    pub fn parse(s: &str) -> Option<Sid> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > MAX_SID_LEN {
            return None;
        }
        if !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        {
            return None;
        }
        let mut bytes = [0u8; MAX_SID_LEN];
        bytes[..b.len()].copy_from_slice(b);
        Some(Sid {
            len: b.len() as u8,
            bytes,
        })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored (checked in `parse`, produced by `generate`).
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// The shard (0..n) that owns this id.
    pub fn owner(&self, shards: usize) -> usize {
        if shards <= 1 {
            return 0;
        }
        // FNV-1a: cheap, stable across processes and builds.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &c in &self.bytes[..self.len as usize] {
            h ^= c as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        (h % shards as u64) as usize
    }

    /// A fresh unguessable id owned by `shard` of `shards`.
    pub fn generate(shard: usize, shards: usize) -> std::io::Result<Sid> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        loop {
            let mut raw = [0u8; 15];
            getrandom::getrandom(&mut raw[..12])
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            raw[12] = (n >> 16) as u8;
            raw[13] = (n >> 8) as u8;
            raw[14] = n as u8;
            let text = crate::protocol::handshake::generate_sid_from(&raw);
            if let Some(sid) = Sid::parse(&text) {
                if sid.owner(shards) == shard {
                    return Ok(sid);
                }
            }
        }
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_the_reference_shape_and_owner() {
        for shard in 0..3 {
            let sid = Sid::generate(shard, 3).expect("rng");
            assert_eq!(sid.as_str().len(), SID_LEN);
            assert_eq!(sid.owner(3), shard);
            assert!(Sid::parse(sid.as_str()).is_some());
        }
    }

    #[test]
    fn parse_rejects_bad_ids() {
        assert!(Sid::parse("").is_none());
        assert!(Sid::parse("abc/def").is_none());
        assert!(Sid::parse("é").is_none());
        assert!(Sid::parse(&"a".repeat(33)).is_none());
        assert!(Sid::parse(&"a".repeat(32)).is_some());
        assert_eq!(Sid::parse("AbC").map(|s| s.owner(1)), Some(0));
    }
}
