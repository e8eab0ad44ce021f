//! Room membership across the nodes of a cluster (issue 14): what 0.9.19 kept in
//! `io.rooms` / `io.roomClients` from every node's `join` / `leave` messages.
//!
//! Each shard keeps, for the sessions it would own (by [`Sid::owner`]) but that live on
//! another node, the rooms those nodes said they are in ([`super::rooms::RemoteRooms`]);
//! membership queries ([`ShardState::cluster_room_members`], [`EmbedHandle::rooms`],
//! [`EmbedHandle::room_clients`]) read it next to the local room index. A `join` /
//! `leave` for a session of this node is applied to the local index as if the app had
//! called it (0.9's `io.sockets.socket(id).join(room)` on another node), without being
//! published again. A `join` / `leave` this node's app makes for a session of another
//! node updates the view here and is published, so that the owner applies it.
//!
//! [`EmbedHandle::rooms`]: super::EmbedHandle::rooms
//! [`EmbedHandle::room_clients`]: super::EmbedHandle::room_clients

use super::embed::RoomChange;
use super::shard_state::{Remote, ShardState, StoreResult};
use crate::sid::Sid;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

impl ShardState {
    /// Tell the embedding host (if it asked, [`super::Server::on_cluster_rooms`]).
    fn room_changed(&self, change: RoomChange<'_>) {
        if let Some(f) = &self.srv.room_change_fn {
            f(change);
        }
    }

    /// Another node's `join` / `leave [sid, key]` (`local`: `sid` is a session of this
    /// node).
    pub(crate) fn on_cluster_room(&self, sid: Sid, key: &str, join: bool, local: bool) {
        let changed = if local {
            if join {
                self.join_room_as(&sid, key, false)
            } else {
                self.leave_room_as(&sid, key, false)
            }
        } else {
            let mut view = self.cluster.borrow_mut();
            if join {
                view.rooms.join(sid, key)
            } else {
                view.rooms.leave(&sid, key)
            }
        };
        if changed {
            let (sid, key) = (sid.as_str(), key);
            self.room_changed(if join {
                RoomChange::Join { sid, key, local }
            } else {
                RoomChange::Leave { sid, key, local }
            });
        }
    }

    /// Session `sid` of another node is gone: it leaves every room of the view.
    pub(crate) fn forget_remote_rooms(&self, sid: &Sid) {
        let left = self.cluster.borrow_mut().rooms.forget(sid);
        if !left.is_empty() {
            self.room_changed(RoomChange::Gone { sid: sid.as_str() });
        }
    }

    /// `join` / `leave` of room `key` for session `sid`, wherever it lives (0.9's
    /// `io.sockets.socket(id).join(room)`): on the shard that owns `sid`, applied locally
    /// for a session of this node, else recorded in the view and published for the
    /// owner node to apply.
    pub(crate) fn room_op(self: &Rc<Self>, sid: Sid, key: String, join: bool) {
        let owner = sid.owner(self.srv.shard_count());
        if owner != self.id {
            self.srv.send(
                owner,
                Remote::Run(Box::new(move |st| st.room_op(sid, key, join))),
            );
            return;
        }
        if self.has_session(&sid) {
            if join {
                self.join_room(&sid, &key);
            } else {
                self.leave_room(&sid, &key);
            }
            return;
        }
        if self.srv.node.is_none() {
            return;
        }
        {
            let mut view = self.cluster.borrow_mut();
            if join {
                view.rooms.join(sid, &key);
            } else {
                view.rooms.leave(&sid, &key);
            }
        }
        self.publish_room(&sid, &key, join);
    }

    /// Members of room `key` this shard knows: its own sessions and, in a cluster, the
    /// sessions of other nodes it keeps the membership of.
    pub(crate) fn cluster_room_members(&self, key: &str) -> Vec<String> {
        let mut out = self.room_members(key);
        if self.srv.node.is_some() {
            if let Some(m) = self.cluster.borrow().rooms.members(key) {
                out.extend(m.iter().map(|s| s.as_str().to_owned()));
            }
        }
        out
    }

    /// Every (room key, session id) pair this shard knows, local and remote.
    pub(crate) fn room_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut add = |k: &str, m: &rustc_hash::FxHashSet<Sid>| {
            out.extend(m.iter().map(|s| (k.to_owned(), s.as_str().to_owned())));
        };
        for (k, m) in self.rooms.borrow().iter() {
            add(k, m);
        }
        for (k, m) in self.cluster.borrow().rooms.iter() {
            add(k, m);
        }
        out
    }

    /// The room keys session `sid` is in (on its owner shard): its own for a session
    /// of this node, else what the cluster said.
    pub(crate) fn rooms_of(&self, sid: &Sid) -> Vec<String> {
        if let Some(s) = self.sessions.borrow().get(sid) {
            return s.rooms.iter().map(|r| r.to_string()).collect();
        }
        self.cluster
            .borrow()
            .rooms
            .rooms_of(sid)
            .iter()
            .map(|r| r.to_string())
            .collect()
    }

    /// Gather the members of room `key` from every shard without blocking (see
    /// [`ShardState::cluster_room_members`]); `cb` runs on this shard with them sorted
    /// and without duplicates.
    pub(crate) fn gather_members(self: &Rc<Self>, key: String, cb: Box<dyn FnOnce(Vec<String>)>) {
        let n = self.srv.shard_count();
        let acc: Arc<Mutex<(Vec<String>, usize)>> = Arc::new(Mutex::new((Vec::new(), n)));
        let mine = acc.clone();
        let token = self.add_pending(Box::new(move |_| {
            let mut all = std::mem::take(&mut lock(&mine).0);
            all.sort();
            all.dedup();
            cb(all);
        }));
        let (origin, srv) = (self.id, self.srv.clone());
        let key: Arc<str> = key.into();
        for i in 0..n {
            let (acc, key, srv2) = (acc.clone(), key.clone(), srv.clone());
            let job = move |st: &Rc<ShardState>| {
                let members = st.cluster_room_members(&key);
                let done = {
                    let mut a = lock(&acc);
                    a.0.extend(members);
                    a.1 -= 1;
                    a.1 == 0
                };
                if done {
                    let result = StoreResult::Done(Ok(()));
                    super::shard_state::finish_store_op(&srv2, origin, token, result);
                }
            };
            if i == self.id {
                job(self);
            } else {
                srv.send(i, Remote::Run(Box::new(job)));
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
