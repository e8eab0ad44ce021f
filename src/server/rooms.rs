//! The per-shard room index (PROTOCOL.md §5.4): room key → sessions of this shard in it.
//! Keys follow the reference format: `""` is the main namespace, `/chat` a namespace's
//! membership room, `{nsp}/{room}` a room joined inside a namespace (Q-32, Q-33).

use crate::sid::Sid;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::rc::Rc;

/// The room key of `room` joined in namespace `nsp`; an empty room means the namespace
/// itself (Q-32: `join('')` and `in('')` agree here, unlike the reference).
pub fn room_key(nsp: &str, room: &str) -> String {
    if room.is_empty() {
        nsp.to_owned()
    } else {
        let mut k = String::with_capacity(nsp.len() + 1 + room.len());
        k.push_str(nsp);
        k.push('/');
        k.push_str(room);
        k
    }
}

/// Room membership of this shard's sessions.
#[derive(Default)]
pub struct Rooms {
    map: HashMap<Rc<str>, FxHashSet<Sid>>,
}

impl Rooms {
    /// Add `sid` to `key`; returns the interned key and whether it was newly added.
    pub fn join(&mut self, key: &str, sid: Sid) -> (Rc<str>, bool) {
        if let Some((k, set)) = self.map.get_key_value(key) {
            let k = k.clone();
            let _ = set;
            let added = self.map.get_mut(key).is_some_and(|s| s.insert(sid));
            return (k, added);
        }
        let k: Rc<str> = Rc::from(key);
        let mut set = FxHashSet::default();
        set.insert(sid);
        self.map.insert(k.clone(), set);
        (k, true)
    }

    /// Remove `sid` from `key`; a room whose last member leaves is deleted.
    pub fn leave(&mut self, key: &str, sid: &Sid) -> bool {
        let (removed, empty) = match self.map.get_mut(key) {
            Some(set) => (set.remove(sid), set.is_empty()),
            None => (false, false),
        };
        if empty {
            self.map.remove(key);
        }
        removed
    }

    /// Members of `key` on this shard.
    pub fn members(&self, key: &str) -> Option<&FxHashSet<Sid>> {
        self.map.get(key)
    }

    /// Number of rooms.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no rooms.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every room with its members.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FxHashSet<Sid>)> {
        self.map.iter().map(|(k, v)| (&**k, v))
    }
}

/// Room membership of sessions owned by other nodes of a cluster, as their `join` /
/// `leave` messages told it (0.9.19 kept every node's membership in `io.rooms`). Only
/// read for membership queries: a room broadcast reaches those sessions through their
/// own node, never from here.
#[derive(Default)]
pub struct RemoteRooms {
    by_key: Rooms,
    by_sid: FxHashMap<Sid, Vec<Rc<str>>>,
}

impl RemoteRooms {
    /// `sid` joined `key`; false when it already was in it.
    pub fn join(&mut self, sid: Sid, key: &str) -> bool {
        let (k, added) = self.by_key.join(key, sid);
        if added {
            self.by_sid.entry(sid).or_default().push(k);
        }
        added
    }

    /// `sid` left `key`; false when it was not in it.
    pub fn leave(&mut self, sid: &Sid, key: &str) -> bool {
        if !self.by_key.leave(key, sid) {
            return false;
        }
        if let Some(v) = self.by_sid.get_mut(sid) {
            v.retain(|r| &**r != key);
            if v.is_empty() {
                self.by_sid.remove(sid);
            }
        }
        true
    }

    /// `sid` is gone: it leaves every room. Returns the rooms it was in.
    pub fn forget(&mut self, sid: &Sid) -> Vec<Rc<str>> {
        let rooms = self.by_sid.remove(sid).unwrap_or_default();
        for k in &rooms {
            self.by_key.leave(k, sid);
        }
        rooms
    }

    /// The rooms `sid` is in, as far as this view knows.
    pub fn rooms_of(&self, sid: &Sid) -> &[Rc<str>] {
        self.by_sid.get(sid).map_or(&[], |v| v.as_slice())
    }

    /// Members of `key`.
    pub fn members(&self, key: &str) -> Option<&FxHashSet<Sid>> {
        self.by_key.members(key)
    }

    /// Every room with its members.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FxHashSet<Sid>)> {
        self.by_key.iter()
    }

    /// Number of sessions with at least one room.
    pub fn sessions(&self) -> usize {
        self.by_sid.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_reference_format() {
        assert_eq!(room_key("", "r"), "/r");
        assert_eq!(room_key("/chat", "room1"), "/chat/room1");
        assert_eq!(room_key("/chat", ""), "/chat");
        assert_eq!(room_key("", ""), "");
    }

    #[test]
    fn join_leave_and_cleanup() {
        let a = Sid::parse("a").expect("sid");
        let b = Sid::parse("b").expect("sid");
        let mut r = Rooms::default();
        assert!(r.join("/x", a).1);
        assert!(!r.join("/x", a).1);
        assert!(r.join("/x", b).1);
        assert_eq!(r.members("/x").map(|s| s.len()), Some(2));
        assert!(r.leave("/x", &a));
        assert!(r.leave("/x", &b));
        assert!(r.is_empty());
    }

    #[test]
    fn remote_view_tracks_both_directions() {
        let a = Sid::parse("a").expect("sid");
        let b = Sid::parse("b").expect("sid");
        let mut r = RemoteRooms::default();
        assert!(r.join(a, ""));
        assert!(r.join(a, "/x"));
        assert!(!r.join(a, "/x"));
        assert!(r.join(b, "/x"));
        assert_eq!(r.members("/x").map(|s| s.len()), Some(2));
        assert_eq!(r.rooms_of(&a).len(), 2);
        assert!(r.leave(&a, "/x"));
        assert!(!r.leave(&a, "/x"));
        assert_eq!(r.rooms_of(&a).len(), 1);
        let gone = r.forget(&a);
        assert_eq!(gone.len(), 1);
        assert!(r.members("").is_none());
        assert!(r.rooms_of(&a).is_empty());
        assert_eq!(r.sessions(), 1);
        assert!(r.leave(&b, "/x"));
        assert_eq!(r.sessions(), 0);
        assert_eq!(r.iter().count(), 0);
    }
}
