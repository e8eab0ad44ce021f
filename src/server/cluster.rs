//! The cluster side of the engine (PROTOCOL.md §6.4–§6.6, REDIS-STORE.md): what this node
//! publishes at the 0.9.19 moments, and what it does with what other nodes publish.
//!
//! Ownership (sio09's answer to Q-38): a session belongs to one node, the one whose
//! handlers run for it. For a session handshaken by an sio09 node that is the handshake
//! node, for ever; a session handshaken by a 0.9.19 node belongs, as in 0.9, to the node
//! that serves its first transport request (an sio09 node adopts it from the published
//! handshake data). A transport request that reaches another node is *relayed*: that node
//! holds the poll or the stream, publishes `open`/`close` for it, forwards the client's
//! packets to the owner as `message-remote` (heartbeats as `heartbeat-clear`, `0::` as
//! `disconnect-force`), and writes what the owner sends it as `dispatch-remote`. Only the
//! owner buffers for a session whose transport is closed, so nothing is duplicated and no
//! other node keeps copies. sio09 adds envelope fields that 0.9.19 ignores: `"sio09"`
//! on its handshakes (the handshake node owns) and `"target"` on `dispatch-remote` and
//! `message-remote` (the one node meant to act), plus `"stream"` on `open` for relayed
//! streams and `"bounced"` on a `dispatch-remote` a relay returns to the owner (returned
//! only to the owner, and never twice, so two nodes can never pass a packet back and
//! forth).

use super::shard_state::{Remote, ShardState};
use super::ServerInner;
use crate::protocol::packet::{self, Body, MessageId};
use crate::session::{Encoded, HandshakeData, Outlet, PollOutlet, RemoteOutlet, StreamOutlet};
use crate::sid::Sid;
use crate::store::redis_wire::{Message, PacketObject, Received};
use rustc_hash::FxHashMap;
use std::rc::Rc;
use std::sync::Arc;
use tracing::{debug, warn};

/// Unconnected handshakes of other nodes are forgotten after this long (0.9.19 drops
/// them after 30 s).
const HANDSHAKE_TTL_MS: u64 = 60_000;

/// A session another node owns, as far as this shard knows.
pub(crate) struct RemoteSession {
    /// The owner's node id (text).
    pub owner: String,
    /// Handshaken by an sio09 node (which keeps ownership).
    pub sio09: bool,
    /// The handshake data while a 0.9.19 node's session may still be adopted here.
    pub data: Option<HandshakeData>,
    /// When the handshake was heard (shard ms), for expiry of unconnected ones.
    pub heard_ms: u64,
    /// Connected (its first transport request was served somewhere).
    pub connected: bool,
}

/// A transport this node holds for a session owned elsewhere.
pub(crate) enum Relay {
    Poll(Rc<PollOutlet>),
    Stream(Rc<StreamOutlet>),
}

/// Per-shard cluster tables (only used when the store is shared).
#[derive(Default)]
pub(crate) struct ClusterView {
    pub remote: FxHashMap<Sid, RemoteSession>,
    pub relays: FxHashMap<Sid, Relay>,
    /// Room membership of other nodes' sessions (see [`super::cluster_rooms`]).
    pub rooms: super::rooms::RemoteRooms,
    inserts: u64,
}

/// Hand one message from another node to the shard that must act on it: room broadcasts
/// to every shard, everything about one session to that session's shard.
pub(crate) fn route(srv: &Arc<ServerInner>, r: Received) {
    if let Message::Dispatch {
        room,
        packet,
        volatile,
        exceptions,
    } = &r.msg
    {
        let except = exceptions.iter().filter_map(|s| Sid::parse(s)).collect();
        srv.deliver_everywhere(room, Encoded::new(packet), except, *volatile);
        return;
    }
    if let Message::AckReply { token, args, .. } = &r.msg {
        // To the shard that asked (its token says which), if this node is the one.
        let me = srv.node.map(|n| n.to_string());
        if r.ext_text("target").is_some_and(|t| Some(t) == me) {
            let shard = super::remote_ack::token_shard(*token);
            if shard < srv.shard_count() {
                let (token, args) = (*token, args.clone());
                srv.send(
                    shard,
                    Remote::Run(Box::new(move |st: &Rc<ShardState>| {
                        st.ack_answered(token, &args)
                    })),
                );
            }
        }
        return;
    }
    let Some(sid) = r.msg.sid().and_then(Sid::parse) else {
        debug!("cluster message without a valid session id ignored");
        return;
    };
    let owner = sid.owner(srv.shard_count());
    srv.send(
        owner,
        Remote::Run(Box::new(move |st: &Rc<ShardState>| st.on_cluster(sid, r))),
    );
}

/// The packets of `text`: one packet, or several in a U+FFFD payload.
fn packets_of(text: &str) -> Vec<Encoded> {
    if text.starts_with('\u{fffd}') {
        crate::protocol::payload::decode_payload(text)
            .into_iter()
            .map(Encoded::new)
            .collect()
    } else {
        vec![Encoded::new(text)]
    }
}

/// A node id as a JSON string (the `target` extension field).
pub(crate) fn quoted(node: &str) -> String {
    serde_json::Value::from(node).to_string()
}

fn payload_of(packets: &[Encoded]) -> String {
    let texts: Vec<&str> = packets.iter().map(|p| p.as_str()).collect();
    let mut out = String::new();
    crate::protocol::payload::encode_payload(&texts, &mut out);
    out
}

impl ShardState {
    fn node_text(&self) -> String {
        self.srv.node.map(|n| n.to_string()).unwrap_or_default()
    }

    /// Publish a message about one session (no extension fields).
    pub(crate) fn publish_sid(&self, msg: Message) {
        self.srv.store.publish(&msg, &[]);
    }

    /// `handshake [sid, data]`, marked as an sio09 handshake (this node owns the session).
    pub(crate) fn publish_handshake(&self, sid: &Sid, data: &HandshakeData) {
        let msg = Message::Handshake {
            sid: sid.as_str().to_owned(),
            data: data.clone(),
        };
        self.srv.store.publish(&msg, &[("sio09", "1")]);
    }

    /// `join`/`leave [sid, key]` (PROTOCOL.md §6.5).
    pub(crate) fn publish_room(&self, sid: &Sid, key: &str, join: bool) {
        if self.srv.node.is_none() {
            return;
        }
        let (sid, room) = (sid.as_str().to_owned(), key.to_owned());
        self.publish_sid(if join {
            Message::Join { sid, room }
        } else {
            Message::Leave { sid, room }
        });
    }

    /// A transport of a session of this node opened: `open`, and for its first one
    /// `connect` and the handshake data without `issued` (§6.5).
    pub(crate) fn published_open(&self, sid: &Sid, outlet: &Outlet, first: bool) {
        if let Outlet::Remote(r) = outlet {
            // The relaying node published `open`; a remote poll may never report back
            // (node gone): bound it like a local poll plus the close timeout.
            if !r.stream {
                let mut ss = self.sessions.borrow_mut();
                if let Some(s) = ss.get_mut(sid) {
                    let live = self.live();
                    let c = &live.config;
                    let secs = c.polling_duration.max(0.0) + c.close_timeout.max(0.0);
                    self.arm_deadline(*sid, s, crate::session::Deadline::CloseTimeout, secs);
                }
            }
        } else {
            self.publish_sid(Message::Open {
                sid: sid.as_str().to_owned(),
            });
        }
        if first {
            self.publish_sid(Message::Connect {
                sid: sid.as_str().to_owned(),
            });
            let data = self.sessions.borrow().get(sid).map(|s| s.handshake_data());
            if let Some(data) = data {
                self.publish_handshake(sid, &data);
            }
        }
    }

    /// Whether this node can serve a request for `sid`: its own session, or one another
    /// node of the cluster told it about.
    pub fn knows_session(&self, sid: &Sid) -> bool {
        self.has_session(sid)
            || (self.srv.node.is_some() && self.cluster.borrow().remote.contains_key(sid))
    }

    /// A packet for `sid`, which is not a session of this node (`io.sockets.socket(id)`
    /// on another node, an auto-ack from a relayed POST): to the relay held here, else to
    /// the owner as `dispatch-remote`.
    pub(crate) fn write_elsewhere(&self, sid: &Sid, p: Encoded, volatile: bool) {
        if self.relay_write(sid, &p) {
            return;
        }
        let owner = self
            .cluster
            .borrow()
            .remote
            .get(sid)
            .map(|r| r.owner.clone());
        if let Some(owner) = owner {
            self.send_to_owner(sid, p.as_str(), volatile, &owner);
        }
    }

    fn send_to_owner(&self, sid: &Sid, text: &str, volatile: bool, owner: &str) {
        let msg = Message::DispatchRemote {
            sid: sid.as_str().to_owned(),
            packet: text.to_owned(),
            volatile,
        };
        self.srv.store.publish(&msg, &[("target", &quoted(owner))]);
    }

    /// Write to the transport this node relays for `sid`, if it holds one that can take it.
    fn relay_write(&self, sid: &Sid, p: &Encoded) -> bool {
        let view = self.cluster.borrow();
        match view.relays.get(sid) {
            Some(Relay::Poll(o)) => {
                for q in packets_of(p.as_str()) {
                    o.push(q);
                }
                true
            }
            Some(Relay::Stream(w)) => {
                for q in packets_of(p.as_str()) {
                    Outlet::Stream(w.clone()).write(q);
                }
                true
            }
            None => false,
        }
    }

    /// A transport request for `sid`, which is not a session of this node: adopt a 0.9.19
    /// node's unconnected session, or relay for the owner. False when the cluster does not
    /// know the session (the caller answers `7:::1+0`).
    pub(crate) fn open_elsewhere(self: &Rc<Self>, sid: Sid, outlet: Outlet) -> bool {
        let (owner, adopt) = {
            let mut view = self.cluster.borrow_mut();
            let Some(r) = view.remote.get_mut(&sid) else {
                return false;
            };
            let adopt = if !r.sio09 && !r.connected {
                r.data.take()
            } else {
                None
            };
            (r.owner.clone(), adopt)
        };
        if let Some(mut data) = adopt {
            // As 0.9: the first node to serve a transport request connects the session.
            debug!("adopting session {sid} handshaken by node {owner}");
            let issued = data
                .get("issued")
                .and_then(|v| v.as_u64())
                .unwrap_or_default();
            data.shift_remove("issued");
            self.cluster.borrow_mut().remote.remove(&sid);
            self.forget_remote_rooms(&sid);
            let s = crate::session::Session::new(data, issued);
            self.sessions.borrow_mut().insert(sid, Box::new(s));
            return self.open(sid, outlet);
        }
        let (relay, stream) = match outlet {
            Outlet::Poll(p) => (Relay::Poll(p), false),
            Outlet::Stream(w) => (Relay::Stream(w), true),
            Outlet::Remote(_) => return false,
        };
        debug!("relaying a transport of session {sid} for node {owner}");
        let old = self.cluster.borrow_mut().relays.insert(sid, relay);
        match old {
            Some(Relay::Poll(p)) => p.end(),
            Some(Relay::Stream(w)) => w.close(Some(crate::transport::websocket::CLOSE_NORMAL)),
            None => {}
        }
        let msg = Message::Open {
            sid: sid.as_str().to_owned(),
        };
        if stream {
            self.srv.store.publish(&msg, &[("stream", "true")]);
        } else {
            self.srv.store.publish(&msg, &[]);
        }
        true
    }

    fn is_relay_poll(&self, sid: &Sid, outlet: &Rc<PollOutlet>) -> bool {
        matches!(self.cluster.borrow().relays.get(sid), Some(Relay::Poll(p)) if Rc::ptr_eq(p, outlet))
    }

    /// The relayed poll `outlet` answers now: its packets, and `close` for the owner.
    /// `None` when `outlet` is not a relayed poll.
    pub(crate) fn relay_poll_finished(
        &self,
        sid: &Sid,
        outlet: &Rc<PollOutlet>,
    ) -> Option<Vec<Encoded>> {
        if !self.is_relay_poll(sid, outlet) {
            return None;
        }
        self.cluster.borrow_mut().relays.remove(sid);
        self.publish_sid(Message::Close {
            sid: sid.as_str().to_owned(),
        });
        Some(outlet.finish())
    }

    /// The client aborted a relayed poll: what it held goes back to the owner, which
    /// buffers it for the next request. False when `outlet` is not a relayed poll.
    pub(crate) fn relay_poll_aborted(&self, sid: &Sid, outlet: &Rc<PollOutlet>) -> bool {
        if !self.is_relay_poll(sid, outlet) {
            return false;
        }
        self.cluster.borrow_mut().relays.remove(sid);
        let packets = outlet.finish();
        self.publish_sid(Message::Close {
            sid: sid.as_str().to_owned(),
        });
        if !packets.is_empty() {
            let owner = self
                .cluster
                .borrow()
                .remote
                .get(sid)
                .map(|r| r.owner.clone());
            if let Some(owner) = owner {
                self.send_to_owner(sid, &payload_of(&packets), false, &owner);
            }
        }
        true
    }

    /// A relayed stream ended; true when `outlet` was one.
    pub(crate) fn relayed_stream_closed(
        &self,
        sid: &Sid,
        outlet: &Rc<StreamOutlet>,
        why: super::dispatch::WsEnd,
    ) -> bool {
        let mine = matches!(self.cluster.borrow().relays.get(sid), Some(Relay::Stream(w)) if Rc::ptr_eq(w, outlet));
        if !mine {
            return false;
        }
        self.cluster.borrow_mut().relays.remove(sid);
        use super::dispatch::WsEnd;
        match why {
            // The owner closed it (or this node is stopping): nothing to tell.
            WsEnd::Server => {}
            // A reset: the session may come back within the close timeout.
            WsEnd::SocketError => self.publish_sid(Message::Close {
                sid: sid.as_str().to_owned(),
            }),
            // The client ended the transport: the owner ends the session.
            WsEnd::SocketEnd | WsEnd::CloseFrame | WsEnd::ProtocolError => {
                self.publish_sid(Message::DisconnectForce {
                    sid: sid.as_str().to_owned(),
                })
            }
        }
        true
    }

    /// A client packet for a session this node only relays: to the owner (§6.5).
    pub(crate) fn relay_inbound(self: &Rc<Self>, sid: Sid, text: &str) {
        let owner = self
            .cluster
            .borrow()
            .remote
            .get(&sid)
            .map(|r| r.owner.clone());
        let Some(owner) = owner else {
            debug!("packet for unknown session {sid} ignored");
            return;
        };
        let pkt = match packet::decode(text) {
            Ok(p) => p,
            Err(e) => {
                debug!("ignoring undecodable packet from {sid}: {e}");
                return;
            }
        };
        let s = sid.as_str().to_owned();
        match pkt.body {
            Body::Heartbeat => {
                self.publish_sid(Message::HeartbeatClear { sid: s });
                return;
            }
            Body::Disconnect if pkt.endpoint.is_empty() => {
                self.publish_sid(Message::DisconnectForce { sid: s });
                return;
            }
            _ => {}
        }
        if let MessageId::Auto(id) = pkt.id {
            // As the reference's transport: the node that received the packet acks it.
            let mut ack = String::new();
            packet::encode_ack(&mut ack, &pkt.endpoint, id, None);
            self.write_elsewhere(&sid, Encoded::new(&ack), false);
        }
        let msg = Message::MessageRemote {
            sid: s,
            packet: PacketObject::from_packet(&pkt),
        };
        self.srv.store.publish(&msg, &[("target", &quoted(&owner))]);
    }

    /// One message from another node about session `sid` (§6.4 receiving side).
    pub(crate) fn on_cluster(self: &Rc<Self>, sid: Sid, r: Received) {
        let from = r.from_text();
        let local = self.sessions.borrow().contains_key(&sid);
        let me = self.node_text();
        let target = r.ext_text("target");
        if target.as_ref().is_some_and(|t| *t != me) {
            // Addressed to another node (a relay there, or the owner there).
            return;
        }
        let stream = r.ext.contains_key("stream");
        let bounced = r.ext.contains_key("bounced");
        let sio09 = r.ext.contains_key("sio09");
        match r.msg {
            Message::Handshake { data, .. } => {
                if local {
                    return;
                }
                let now = self.now_ms();
                let mut view = self.cluster.borrow_mut();
                view.inserts += 1;
                if view.inserts.is_multiple_of(1024) {
                    view.remote
                        .retain(|_, s| s.connected || now - s.heard_ms < HANDSHAKE_TTL_MS);
                }
                let e = view.remote.entry(sid).or_insert(RemoteSession {
                    owner: from.clone(),
                    sio09,
                    data: None,
                    heard_ms: now,
                    connected: false,
                });
                if !e.connected {
                    e.owner = from;
                    e.sio09 = sio09;
                    e.heard_ms = now;
                    e.data = (!sio09).then_some(data);
                }
            }
            Message::Connect { .. } => {
                if local {
                    let connected = self
                        .sessions
                        .borrow()
                        .get(&sid)
                        .is_some_and(|s| s.connected);
                    if connected {
                        warn!("node {from} connected session {sid}, which this node owns");
                        return;
                    }
                    // A 0.9.19 node served the first request of a session handshaken here.
                    debug!("session {sid} connected on node {from}");
                    self.sessions.borrow_mut().remove(&sid);
                }
                let now = self.now_ms();
                let mut view = self.cluster.borrow_mut();
                let e = view.remote.entry(sid).or_insert(RemoteSession {
                    owner: from.clone(),
                    sio09: false,
                    data: None,
                    heard_ms: now,
                    connected: true,
                });
                e.owner = from;
                e.connected = true;
                e.data = None;
            }
            Message::Open { .. } => {
                if local {
                    let outlet = RemoteOutlet::new(sid, from, stream, self.srv.store.clone());
                    self.open(sid, Outlet::Remote(outlet));
                }
            }
            Message::Close { .. } => {
                let relayed_by_sender = self.sessions.borrow().get(&sid).is_some_and(
                    |s| matches!(&s.outlet, Some(Outlet::Remote(o)) if o.node == from),
                );
                if relayed_by_sender {
                    self.transport_closed(sid);
                }
            }
            Message::DispatchRemote {
                packet, volatile, ..
            } => {
                if local {
                    if bounced {
                        // The relay it was sent to is gone: stop writing there (its
                        // `close` may still be on its way) and buffer instead.
                        let relayed_by_sender = self.sessions.borrow().get(&sid).is_some_and(
                            |s| matches!(&s.outlet, Some(Outlet::Remote(o)) if o.node == from),
                        );
                        if relayed_by_sender {
                            self.transport_closed(sid);
                        }
                    }
                    for p in packets_of(&packet) {
                        self.write_to(&sid, p, volatile);
                    }
                } else if !self.relay_write(&sid, &Encoded::new(&packet))
                    && target.is_some()
                    && !bounced
                    && !volatile
                    && self
                        .cluster
                        .borrow()
                        .remote
                        .get(&sid)
                        .is_some_and(|r| r.owner == from)
                {
                    // Sent by the owner to a relay here that has just closed: back to the
                    // owner (once: a bounced message is never bounced again), which
                    // buffers it for the session's next request.
                    let msg = Message::DispatchRemote {
                        sid: sid.as_str().to_owned(),
                        packet,
                        volatile: false,
                    };
                    let to = quoted(&from);
                    self.srv
                        .store
                        .publish(&msg, &[("target", &to), ("bounced", "true")]);
                }
            }
            Message::MessageRemote { packet, .. } => {
                if !local {
                    return;
                }
                match packet.to_packet_text() {
                    Ok(text) => self.on_packet(sid, &text, false),
                    Err(e) => warn!("bad message-remote packet from node {from}: {e}"),
                }
            }
            Message::HeartbeatClear { .. } => {
                if local {
                    self.heartbeat_received(&sid);
                }
            }
            Message::DisconnectForce { .. } => {
                if local {
                    self.force_disconnect(&sid);
                }
            }
            Message::Disconnect { .. } => {
                if local {
                    self.force_disconnect(&sid);
                } else {
                    self.forget_remote_rooms(&sid);
                }
            }
            Message::DisconnectRemote { reason, .. } => {
                if local {
                    // A server-side disconnect issued on another node: really close the
                    // client's transport (0.9.19 only forgot the session).
                    let p = Encoded::new("0::");
                    if let Some(s) = self.sessions.borrow_mut().get_mut(&sid) {
                        s.deliver(p, false);
                    }
                    self.disconnect(sid, reason.as_deref().unwrap_or("booted"));
                    return;
                }
                let relay = {
                    let mut view = self.cluster.borrow_mut();
                    view.remote.remove(&sid);
                    view.relays.remove(&sid)
                };
                self.forget_remote_rooms(&sid);
                match relay {
                    Some(Relay::Poll(p)) => p.end(),
                    Some(Relay::Stream(w)) => {
                        w.close(Some(crate::transport::websocket::CLOSE_NORMAL))
                    }
                    None => {}
                }
            }
            msg @ Message::AckRequest { .. } => {
                if local {
                    self.on_ack_request(sid, msg, from);
                }
            }
            Message::Join { room, .. } => self.on_cluster_room(sid, &room, true, local),
            Message::Leave { room, .. } => self.on_cluster_room(sid, &room, false, local),
            Message::Dispatch { .. } | Message::AckReply { .. } => {}
        }
    }

    /// Server-side disconnect of `sid` on namespace `nsp` from this shard, where the
    /// session is not local: ask its owner (`disconnect-remote [sid]`, the 0.9 form).
    pub(crate) fn disconnect_elsewhere(&self, sid: &Sid) {
        if self.srv.node.is_none() {
            return;
        }
        let known = self.cluster.borrow().remote.contains_key(sid);
        let in_rooms = !self.cluster.borrow().rooms.rooms_of(sid).is_empty();
        if known || in_rooms {
            self.publish_sid(Message::DisconnectRemote {
                sid: sid.as_str().to_owned(),
                reason: None,
            });
        }
        // As 0.9.19's issuing node: the session leaves its rooms here at once (a 0.9.19
        // owner publishes nothing more; an sio09 owner's own `disconnect-remote` follows).
        self.forget_remote_rooms(sid);
    }
}
