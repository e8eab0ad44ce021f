//! The polling side of the session engine (PROTOCOL.md §3.5–§3.7, §4.3): long-poll
//! GETs as transports, POSTed packets, aborted polls, and the packets a session
//! leaves for its next poll when it is disconnected between polls.

use super::shard_state::ShardState;
use crate::session::{Encoded, Outlet, PollOutlet};
use crate::sid::Sid;
use std::rc::Rc;

impl ShardState {
    /// A polling GET for `sid` arrived (§3.5): it becomes the current transport; buffered
    /// packets (and `1::` for a new session) are queued on it at once.
    pub fn open_poll(self: &Rc<Self>, sid: Sid, outlet: Rc<PollOutlet>) -> bool {
        self.open(sid, Outlet::Poll(outlet))
    }

    /// The pending poll `outlet` of `sid` answers now: take its packets, and close the
    /// transport (the close timeout starts) if it is still the current one.
    pub fn poll_finished(&self, sid: Sid, outlet: &Rc<PollOutlet>) -> Vec<Encoded> {
        if let Some(packets) = self.relay_poll_finished(&sid, outlet) {
            return packets;
        }
        let packets = outlet.finish();
        let current = self.sessions.borrow().get(&sid).is_some_and(|s| {
            !s.ended && matches!(&s.outlet, Some(Outlet::Poll(p)) if Rc::ptr_eq(p, outlet))
        });
        if current {
            self.transport_closed(sid);
        }
        packets
    }

    /// The client aborted the pending poll `outlet`: its packets go back to the
    /// front of the session buffer, and the transport closes now.
    pub fn poll_aborted(&self, sid: Sid, outlet: &Rc<PollOutlet>) {
        if self.relay_poll_aborted(&sid, outlet) {
            return;
        }
        let mut packets = outlet.finish();
        let current = {
            let mut ss = self.sessions.borrow_mut();
            match ss.get_mut(&sid) {
                Some(s) if !s.ended => {
                    packets.append(&mut s.buffer);
                    s.buffer = packets;
                    matches!(&s.outlet, Some(Outlet::Poll(p)) if Rc::ptr_eq(p, outlet))
                }
                _ => false,
            }
        };
        if current {
            self.transport_closed(sid);
        }
    }

    /// Packets a session left queued when it was disconnected without an open transport
    /// the next poll gets them instead of `7:::1+0`.
    pub fn take_tombstone(&self, sid: &Sid) -> Option<Vec<Encoded>> {
        self.tombstones.borrow_mut().remove(sid)
    }

    /// A POST carried packets for `sid` (§3.7): connect the session if this is its first
    /// request (Q-23: `1::` waits for the first GET), then process each packet in order.
    pub fn post_packets(self: &Rc<Self>, sid: Sid, body: &str) {
        if self.srv.node.is_some() && !self.sessions.borrow().contains_key(&sid) {
            // A session another node owns: its packets go there (§6.6).
            for p in crate::protocol::payload::decode_payload(body) {
                self.relay_inbound(sid, p);
            }
            return;
        }
        let first = {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(&sid) else { return };
            if s.ended {
                return;
            }
            let first = !s.connected;
            if first {
                Self::mark_connected(s);
            }
            first
        };
        if first {
            self.nsp_connect(sid, 0, "");
        }
        for p in crate::protocol::payload::decode_payload(body) {
            self.on_text(sid, p);
        }
    }
}
