//! The session engine of a shard: connect sequence (§4.2), inbound packets (§4.3, §5.8),
//! namespace connect/leave (§4.9), heartbeats and timeouts (§4.4, §4.5, §1.15), and the
//! disconnect paths (§4.7). Handlers are always called with no `RefCell` borrow held, so
//! they may freely use their socket.

use super::args::{Args, Message};
use super::shard_state::{ShardState, Timer};
use super::socket::{Ack, Socket};
use crate::deadlines::Fired;
use crate::protocol::packet::{self, Body, ErrorAdvice, ErrorReason, MessageId, PacketType};
use crate::session::{Deadline, Encoded, Framing, HandshakeData, Outlet, Session, StreamOutlet};
use crate::sid::Sid;
use std::rc::Rc;
use tracing::{debug, info, warn};

/// Why a websocket connection ended, as seen by its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WsEnd {
    /// Peer FIN.
    SocketEnd,
    /// Read error (reset): the transport closes and the close timeout runs.
    SocketError,
    /// The client sent a close frame.
    CloseFrame,
    /// Frame-level protocol error (bad frame, invalid UTF-8).
    ProtocolError,
    /// The server closed it (disconnect, displaced, shutdown).
    Server,
}

fn text(f: impl FnOnce(&mut String)) -> Encoded {
    Encoded::build(16, f)
}

impl ShardState {
    pub(super) fn socket(self: &Rc<Self>, sid: Sid, nsp: usize) -> Socket {
        Socket {
            st: self.clone(),
            sid,
            nsp,
        }
    }

    fn nsp_name(&self, idx: usize) -> &str {
        self.srv.nsp_names.get(idx).unwrap_or("")
    }

    /// Register a new handshaken session and arm its expiry (§1.15).
    pub fn add_session(&self, sid: Sid, data: HandshakeData, issued: u64) {
        if self.srv.node.is_some() {
            self.publish_handshake(&sid, &data);
        }
        let mut s = Box::new(Session::new(data, issued));
        self.arm_deadline(
            sid,
            &mut s,
            Deadline::HandshakeExpiry,
            HANDSHAKE_EXPIRY_SECS,
        );
        self.sessions.borrow_mut().insert(sid, s);
    }

    /// Whether this shard holds session `sid`.
    pub fn has_session(&self, sid: &Sid) -> bool {
        self.sessions.borrow().get(sid).is_some_and(|s| !s.ended)
    }

    /// Unicast to a session of this shard (or forward to its owner).
    pub fn write_to(&self, sid: &Sid, p: Encoded, volatile: bool) {
        let owner = sid.owner(self.srv.shard_count());
        if owner != self.id {
            self.srv.unicast(*sid, p, volatile);
            return;
        }
        let mut ss = self.sessions.borrow_mut();
        match ss.get_mut(sid) {
            Some(s) => {
                let delivered = s.deliver(p, volatile);
                if !delivered && volatile {
                    debug!("ignoring volatile packet, transport not open");
                }
            }
            None if self.srv.node.is_some() => {
                drop(ss);
                self.write_elsewhere(sid, p, volatile);
            }
            None => {}
        }
    }

    /// Local part of a room broadcast (§5.5 step 2).
    pub fn deliver_room(&self, key: &str, p: &Encoded, except: &[Sid], volatile: bool) {
        let rooms = self.rooms.borrow();
        let Some(members) = rooms.members(key) else {
            return;
        };
        let mut ss = self.sessions.borrow_mut();
        if self.live().config.broadcast_writes_per_tick == 0 {
            // Coalescing off: every frame is written at once, as 0.9 did.
            for sid in members {
                if let Some(s) = ss.get_mut(sid).filter(|_| !except.contains(sid)) {
                    s.deliver(p.clone(), volatile);
                }
            }
            return;
        }
        let tick = self.tick.get();
        let mut deferred = self.deferred_outlets.borrow_mut();
        for sid in members {
            if let Some(s) = ss.get_mut(sid).filter(|_| !except.contains(sid)) {
                if let Some(o) = s.deliver_bulk(p.clone(), volatile, tick) {
                    deferred.push_back(o);
                }
            }
        }
    }

    /// The shard's tick (every `TICK_MS`): wake the writers whose broadcast frames were
    /// deferred to it (see [`StreamOutlet::push_bulk`]), oldest first and at most
    /// `broadcast writes per tick` of them (default 500: at most about 50,000 coalesced
    /// writes per second per shard); the rest keep collecting frames for a later tick. A
    /// fan-out too large for one tick thus spreads over several, each write carrying more
    /// frames, instead of one write per frame per receiver.
    pub fn wake_deferred(&self) {
        let tick = self.tick.get();
        let budget = self.live().config.broadcast_writes_per_tick;
        let mut woken = 0;
        while woken < budget {
            let Some(o) = self.deferred_outlets.borrow_mut().pop_front() else {
                break;
            };
            o.wake_deferred(tick);
            woken += 1;
        }
    }

    /// `sid` (a session of this shard) joins room `key`; published to the cluster.
    pub fn join_room(&self, sid: &Sid, key: &str) {
        self.join_room_as(sid, key, true);
    }

    /// `sid` (a session of this shard) leaves room `key`; published to the cluster.
    pub fn leave_room(&self, sid: &Sid, key: &str) {
        self.leave_room_as(sid, key, true);
    }

    /// Join, publishing the change when `publish` (not when applying another node's
    /// `join`). True when the session was not in the room yet.
    pub(crate) fn join_room_as(&self, sid: &Sid, key: &str, publish: bool) -> bool {
        let mut ss = self.sessions.borrow_mut();
        let Some(s) = ss.get_mut(sid) else {
            return false;
        };
        if s.ended {
            return false;
        }
        let (k, added) = self.rooms.borrow_mut().join(key, *sid);
        if added {
            // Exact growth: most sessions are in one or two rooms, and a vector's first
            // push would otherwise reserve four slots per idle session.
            s.rooms.reserve_exact(1);
            s.rooms.push(k);
            drop(ss);
            if publish {
                self.publish_room(sid, key, true);
            }
        }
        added
    }

    /// Leave, publishing the change when `publish`. True when the session was in it.
    pub(crate) fn leave_room_as(&self, sid: &Sid, key: &str, publish: bool) -> bool {
        let mut ss = self.sessions.borrow_mut();
        let Some(s) = ss.get_mut(sid) else {
            return false;
        };
        if !self.rooms.borrow_mut().leave(key, sid) {
            return false;
        }
        s.rooms.retain(|r| &**r != key);
        drop(ss);
        if publish {
            self.publish_room(sid, key, false);
        }
        true
    }

    /// A websocket GET/upgrade for `sid` arrived (§4.2). Returns false for an unknown
    /// session (the caller answers `7:::1+0`).
    pub fn open_ws(self: &Rc<Self>, sid: Sid, outlet: Rc<StreamOutlet>) -> bool {
        self.open(sid, Outlet::Stream(outlet))
    }

    /// A stream transport (websocket, flashsocket, htmlfile) GET/upgrade arrived.
    pub fn open_stream(self: &Rc<Self>, sid: Sid, outlet: Rc<StreamOutlet>) -> bool {
        self.open(sid, Outlet::Stream(outlet))
    }

    pub(crate) fn mark_connected(s: &mut Session) {
        s.connected = true;
        s.issued = None;
        s.deadlines.cancel(Deadline::HandshakeExpiry);
        s.forget_issued();
    }

    pub(crate) fn open(self: &Rc<Self>, sid: Sid, outlet: Outlet) -> bool {
        if self.srv.node.is_some() && !self.sessions.borrow().contains_key(&sid) {
            // Not this node's session: adopt it (handshaken by a 0.9.19 node) or relay
            // the transport to its owner (§6.6).
            return self.open_elsewhere(sid, outlet);
        }
        let first = {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(&sid) else {
                return false;
            };
            if s.ended {
                return false;
            }
            if let Some(old) = s.outlet.replace(outlet.clone()) {
                debug!("discarding transport");
                if !old.same(&outlet) {
                    // a displaced poll is answered (`8::`), a displaced socket closed.
                    old.close();
                }
            }
            s.open = true;
            s.deadlines.cancel(Deadline::CloseTimeout);
            let buffered = std::mem::take(&mut s.buffer);
            match &outlet {
                // §4.2 step 1: the buffer goes out as one payload (one htmlfile chunk);
                // websockets carry one packet per frame.
                Outlet::Stream(w) if w.framing == Framing::Htmlfile && buffered.len() > 1 => {
                    let texts: Vec<&str> = buffered.iter().map(|p| p.as_str()).collect();
                    let mut payload = String::new();
                    crate::protocol::payload::encode_payload(&texts, &mut payload);
                    w.push(crate::session::htmlfile_chunk(&payload));
                }
                // A relaying node gets the whole buffer in one `dispatch-remote`.
                Outlet::Remote(r) if !buffered.is_empty() => {
                    let texts: Vec<&str> = buffered.iter().map(|p| p.as_str()).collect();
                    let mut payload = String::new();
                    crate::protocol::payload::encode_payload(&texts, &mut payload);
                    r.send(&payload);
                }
                _ => {
                    for p in buffered {
                        outlet.write(p);
                    }
                }
            }
            let first = !s.connected;
            if first {
                Self::mark_connected(s);
            }
            first
        };
        if self.srv.node.is_some() {
            self.published_open(&sid, &outlet, first);
        }
        self.schedule_heartbeat(&sid);
        if first {
            self.nsp_connect(sid, 0, "");
        }
        true
    }

    fn schedule_heartbeat(&self, sid: &Sid) {
        if !self.live().config.heartbeats || self.live().config.heartbeat_interval <= 0.0 {
            return;
        }
        let mut ss = self.sessions.borrow_mut();
        let Some(s) = ss.get_mut(sid) else { return };
        let stream = match &s.outlet {
            Some(Outlet::Stream(_)) => true,
            Some(Outlet::Remote(r)) => r.stream,
            _ => false,
        };
        if s.deadlines.is_armed(Deadline::Heartbeat) || !s.open || !stream {
            return;
        }
        debug!("set heartbeat interval for client {sid}");
        self.arm_deadline(
            *sid,
            s,
            Deadline::Heartbeat,
            self.live().config.heartbeat_interval,
        );
    }

    /// The reader of websocket `outlet` for `sid` stopped.
    pub fn ws_closed(self: &Rc<Self>, sid: Sid, outlet: &Rc<StreamOutlet>, why: WsEnd) {
        if self.relayed_stream_closed(&sid, outlet, why) {
            return;
        }
        let current = {
            let ss = self.sessions.borrow();
            ss.get(&sid).is_some_and(|s| {
                !s.ended && matches!(&s.outlet, Some(Outlet::Stream(w)) if Rc::ptr_eq(w, outlet))
            })
        };
        if !current {
            return;
        }
        match why {
            WsEnd::SocketEnd => self.disconnect(sid, "socket end"),
            WsEnd::CloseFrame => self.disconnect(sid, "transport close"),
            WsEnd::ProtocolError => self.disconnect(sid, "transport error"),
            WsEnd::Server => self.disconnect(sid, "socket close"),
            WsEnd::SocketError => self.transport_closed(sid),
        }
    }

    /// The current transport closed without ending the session: buffer and start the
    /// close timeout (§4.3, §4.5).
    pub(crate) fn transport_closed(&self, sid: Sid) {
        let mut ss = self.sessions.borrow_mut();
        let Some(s) = ss.get_mut(&sid) else { return };
        if self.srv.node.is_some() && !matches!(s.outlet, Some(Outlet::Remote(_))) {
            self.publish_sid(crate::store::redis_wire::Message::Close {
                sid: sid.as_str().to_owned(),
            });
        }
        s.open = false;
        s.outlet = None;
        s.deadlines.cancel(Deadline::Heartbeat);
        s.deadlines.cancel(Deadline::HeartbeatTimeout);
        debug!("set close timeout for client {sid}");
        self.arm_deadline(
            sid,
            s,
            Deadline::CloseTimeout,
            self.live().config.close_timeout,
        );
    }

    /// One inbound packet text from session `sid` (§4.3 inbound processing). On a node
    /// that only relays the session's transport, the packet goes to the owner (§6.6).
    pub fn on_text(self: &Rc<Self>, sid: Sid, text: &str) {
        if self.srv.node.is_some() && !self.sessions.borrow().contains_key(&sid) {
            self.relay_inbound(sid, text);
            return;
        }
        self.on_packet(sid, text, true);
    }

    /// Process one inbound packet of a session of this node; `auto_ack` is false for
    /// packets another node relayed (it already sent the automatic ack, §6.4).
    pub(crate) fn on_packet(self: &Rc<Self>, sid: Sid, text: &str, auto_ack: bool) {
        let pkt = match packet::decode(text) {
            Ok(p) => p,
            Err(e) => {
                debug!("ignoring undecodable packet from {sid}: {e}");
                return;
            }
        };
        match pkt.body {
            Body::Heartbeat => {
                debug!("got heartbeat packet");
                self.heartbeat_received(&sid);
                return;
            }
            Body::Disconnect if pkt.endpoint.is_empty() => {
                info!("transport end by forced client disconnection");
                self.force_disconnect(&sid);
                return;
            }
            _ => {}
        }
        if let (MessageId::Auto(id), true) = (pkt.id, auto_ack) {
            debug!("acknowledging packet automatically");
            let ack = text_ack(&pkt.endpoint, id);
            self.write_to(&sid, ack, false);
        }
        let Some(&idx) = self.live().nsp_index.get(&*pkt.endpoint) else {
            debug!(
                "packet for undeclared namespace {:?} ignored",
                &*pkt.endpoint
            );
            return;
        };
        let data_ack = match pkt.id {
            MessageId::Data(id) => Some(id),
            _ => None,
        };
        match pkt.body {
            Body::Connect { query } => self.nsp_connect(sid, idx, &query),
            Body::Disconnect => self.nsp_leave(&sid, idx, "packet"),
            Body::Message { data } => {
                self.deliver_message(sid, idx, Message::Text(data.into_owned()), data_ack)
            }
            Body::Json { json } => {
                let v =
                    crate::protocol::json::parse(&json).unwrap_or(serde_json::Value::Bool(false));
                self.deliver_message(sid, idx, Message::Json(v), data_ack)
            }
            Body::Event { name, args } => self.deliver_event(sid, idx, &name, &args, data_ack),
            Body::Ack { ack_id, args } => {
                let cb = {
                    let mut ss = self.sessions.borrow_mut();
                    ss.get_mut(&sid).and_then(|s| {
                        let n = s.nsp(idx);
                        let pos = n.acks.iter().position(|(i, _)| *i == ack_id)?;
                        Some(n.acks.swap_remove(pos).1)
                    })
                };
                match cb {
                    Some(cb) => {
                        let args = Args::from_raw(args.as_deref().unwrap_or("[]"));
                        cb(&self.socket(sid, idx), args)
                    }
                    None => info!("unknown ack packet"),
                }
            }
            Body::Heartbeat | Body::Error { .. } | Body::Noop => {}
        }
    }

    fn joined(&self, sid: &Sid, idx: usize) -> bool {
        self.sessions
            .borrow()
            .get(sid)
            .is_some_and(|s| !s.ended && s.in_nsp(idx))
    }

    fn deliver_message(self: &Rc<Self>, sid: Sid, idx: usize, m: Message, ack: Option<u64>) {
        if !self.joined(&sid, idx) {
            return;
        }
        let socket = self.socket(sid, idx);
        let ack = ack.map(|id| Ack {
            socket: socket.clone(),
            id,
        });
        for h in &self.live().namespaces[idx].on_message {
            h(&socket, m.clone(), ack.clone());
        }
    }

    fn deliver_event(
        self: &Rc<Self>,
        sid: Sid,
        idx: usize,
        name: &str,
        args: &str,
        ack: Option<u64>,
    ) {
        if self.live().config.blacklist.iter().any(|b| b == name) {
            debug!("ignoring blacklisted event `{name}`");
            return;
        }
        if !self.joined(&sid, idx) {
            return;
        }
        let socket = self.socket(sid, idx);
        let ack = ack.map(|id| Ack {
            socket: socket.clone(),
            id,
        });
        let live = self.live();
        let nsp = &live.namespaces[idx];
        match nsp.events.get(name) {
            Some(hs) => {
                let args = Args::from_raw(args);
                for h in hs {
                    h(&socket, args.clone(), ack.clone());
                }
            }
            None => {
                let args = Args::from_raw(args);
                for h in &nsp.on_any {
                    h(&socket, name, args.clone(), ack.clone());
                }
            }
        }
    }

    /// Namespace connect (§4.2 step 3.4 for the main namespace, §4.9 for others).
    pub fn nsp_connect(self: &Rc<Self>, sid: Sid, idx: usize, query: &str) {
        let name = self.nsp_name(idx).to_owned();
        let (already, hs) = {
            let ss = self.sessions.borrow();
            let Some(s) = ss.get(&sid) else { return };
            if s.ended {
                return;
            }
            (s.in_nsp(idx), s.handshake.clone())
        };
        let connect_pkt = text(|s| packet::encode_simple(s, PacketType::Connect, &name));
        if already {
            // idempotent connect — echo, but no second `connection`.
            self.write_to(&sid, connect_pkt, false);
            return;
        }
        if let Some(auth) = self.live().namespaces[idx].auth_async.clone() {
            self.nsp_connect_async(sid, idx, query, &hs, auth);
            return;
        }
        if let Some(auth) = &self.live().namespaces[idx].auth {
            let data = match crate::protocol::json::parse(&hs) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => HandshakeData::new(),
            };
            let outcome = auth(&data, query);
            let refused = match outcome {
                Ok(true) => {
                    debug!("client authorized for {name}");
                    false
                }
                Ok(false) => {
                    warn!("handshake error unauthorized for {name}");
                    true
                }
                Err(e) => {
                    // answer `7::/nsp:2`, not `7::/nsp:undefined`.
                    warn!("handshake error {e} for {name}");
                    true
                }
            };
            if refused {
                self.nsp_refuse(sid, idx);
                return;
            }
        }
        self.nsp_admit(sid, idx);
    }

    /// Refuse a namespace connect: `7::/nsp:2` (§4.9, Q-8).
    pub(crate) fn nsp_refuse(&self, sid: Sid, idx: usize) {
        let name = self.nsp_name(idx);
        let p = text(|s| packet::encode_error(s, name, Some(ErrorReason::Unauthorized), None));
        self.write_to(&sid, p, false);
    }

    /// Admit a session to namespace `idx`: join, write `1::/nsp`, run the `connection`
    /// handlers. An already joined session only gets the connect echo.
    pub(crate) fn nsp_admit(self: &Rc<Self>, sid: Sid, idx: usize) {
        let name = self.nsp_name(idx).to_owned();
        let (already, hs) = {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(&sid) else { return };
            if s.ended {
                return;
            }
            let already = s.in_nsp(idx);
            s.nsp(idx).joined = true;
            (already, s.handshake.clone())
        };
        let connect_pkt = text(|s| packet::encode_simple(s, PacketType::Connect, &name));
        if already {
            self.write_to(&sid, connect_pkt, false);
            return;
        }
        if self.srv.node.is_some() {
            // As 0.9.19: the namespace authorisation republishes the handshake data.
            if let Ok(serde_json::Value::Object(data)) = crate::protocol::json::parse(&hs) {
                self.publish_handshake(&sid, &data);
            }
        }
        self.join_room(&sid, &name);
        self.write_to(&sid, connect_pkt, false);
        let socket = self.socket(sid, idx);
        for h in &self.live().namespaces[idx].on_connection {
            h(&socket);
        }
    }

    /// Leave namespace `idx` (client `0::/nsp` → reason `packet`; server-side
    /// `socket.disconnect()` → `booted`). Rooms joined inside it are left too.
    pub fn nsp_leave(self: &Rc<Self>, sid: &Sid, idx: usize, reason: &str) {
        let name = self.nsp_name(idx).to_owned();
        let rooms: Vec<Rc<str>> = {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(sid) else { return };
            if !s.in_nsp(idx) {
                return;
            }
            s.nsp(idx).joined = false;
            let prefix = format!("{name}/");
            s.rooms
                .iter()
                .filter(|r| ***r == *name || r.starts_with(&prefix))
                .cloned()
                .collect()
        };
        for r in rooms {
            self.leave_room(sid, &r);
        }
        let socket = self.socket(*sid, idx);
        for h in &self.live().namespaces[idx].on_disconnect {
            h(&socket, reason);
        }
    }

    pub(crate) fn heartbeat_received(&self, sid: &Sid) {
        {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(sid) else { return };
            s.deadlines.cancel(Deadline::HeartbeatTimeout);
        }
        self.schedule_heartbeat(sid);
    }

    /// Forced disconnect (§4.7): write `0::` if a transport is open, then end with `booted`.
    pub fn force_disconnect(self: &Rc<Self>, sid: &Sid) {
        let p = text(|s| packet::encode_simple(s, PacketType::Disconnect, ""));
        {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(sid) else {
                drop(ss);
                if self.srv.node.is_some() && self.knows_session(sid) {
                    // The owner is another node: it ends the session (§6.5).
                    self.publish_sid(crate::store::redis_wire::Message::DisconnectForce {
                        sid: sid.as_str().to_owned(),
                    });
                }
                return;
            };
            if s.ended {
                return;
            }
            // with no open transport the `0::` waits in the buffer for the next
            // request (the session is forgotten, so that request learns nothing more).
            s.deliver(p, false);
        }
        self.disconnect(*sid, "booted");
    }

    /// Full disconnect (§4.7): end the transport, run `disconnect` handlers of the joined
    /// namespaces (main first), leave every room, forget the session, and schedule the
    /// deletion of its client data.
    pub fn disconnect(self: &Rc<Self>, sid: Sid, reason: &str) {
        let (outlet, joined) = {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(&sid) else { return };
            if s.ended {
                return;
            }
            s.ended = true;
            s.open = false;
            let joined: Vec<usize> = (0..s.nsps.len()).filter(|&i| s.in_nsp(i)).collect();
            (s.outlet.take(), joined)
        };
        info!("transport end ({reason})");
        if let Some(o) = &outlet {
            o.close();
        }
        for idx in joined {
            if let Some(s) = self.sessions.borrow_mut().get_mut(&sid) {
                s.nsp(idx).joined = false;
            }
            let socket = self.socket(sid, idx);
            for h in &self.live().namespaces[idx].on_disconnect {
                h(&socket, reason);
            }
        }
        let removed = self.sessions.borrow_mut().remove(&sid);
        if let Some(s) = removed {
            if outlet.is_none() && !s.buffer.is_empty() {
                self.tombstones.borrow_mut().insert(sid, s.buffer.clone());
            }
            let mut rooms = self.rooms.borrow_mut();
            for r in &s.rooms {
                rooms.leave(r, &sid);
            }
        }
        if self.srv.node.is_some() {
            self.publish_sid(crate::store::redis_wire::Message::DisconnectRemote {
                sid: sid.as_str().to_owned(),
                reason: Some(reason.to_owned()),
            });
        }
        self.srv
            .store
            .client_disconnected(sid.as_str(), self.live().config.client_store_expiration);
        self.arm(
            self.live().config.client_store_expiration,
            Timer::ClientData(sid),
        );
    }

    /// Fire every due timer.
    pub fn fire_timers(self: &Rc<Self>) {
        let mut due = Vec::new();
        self.wheel.borrow_mut().advance(self.now_ms(), &mut due);
        for t in due {
            match t {
                Timer::ClientData(sid) => {
                    self.tombstones.borrow_mut().remove(&sid);
                    if !self.has_session(&sid) {
                        self.srv.store.destroy_client(sid.as_str());
                    }
                }
                Timer::Session(sid, d, queued) => self.fire(sid, d, queued),
            }
        }
    }

    fn fire(self: &Rc<Self>, sid: Sid, d: Deadline, queued: u32) {
        {
            let mut ss = self.sessions.borrow_mut();
            let Some(s) = ss.get_mut(&sid) else { return };
            if s.ended {
                return;
            }
            match s.deadlines.fired(d, queued, self.now_tick()) {
                Fired::Stale => return,
                Fired::Later(t) => {
                    // The deadline moved later since this entry was queued: the full
                    // tick is now plus the (wrapping) distance to it.
                    let now = self.now_tick();
                    let tick = now + u64::from(t.wrapping_sub(crate::deadlines::tick32(now)));
                    self.queue_deadline(sid, d, tick, t);
                    return;
                }
                Fired::Due => {}
            }
            match d {
                Deadline::Heartbeat => {
                    if !s.open {
                        return;
                    }
                    debug!("emitting heartbeat for client {sid}");
                    s.deliver(
                        text(|t| packet::encode_simple(t, PacketType::Heartbeat, "")),
                        true,
                    );
                    if !s.deadlines.is_armed(Deadline::HeartbeatTimeout) {
                        let secs = self.live().config.heartbeat_timeout;
                        self.arm_deadline(sid, s, Deadline::HeartbeatTimeout, secs);
                    }
                    return;
                }
                Deadline::HeartbeatTimeout | Deadline::CloseTimeout => {}
                Deadline::HandshakeExpiry => {
                    if !s.connected {
                        ss.remove(&sid);
                    }
                    return;
                }
            }
        }
        if d == Deadline::HeartbeatTimeout {
            debug!("fired heartbeat timeout for client {sid}");
            self.disconnect(sid, "heartbeat timeout")
        } else {
            debug!("fired close timeout for client {sid}");
            self.disconnect(sid, "close timeout")
        }
    }

    /// Shut down: end every session of this shard.
    pub fn end_all(self: &Rc<Self>, reason: &str) {
        let sids: Vec<Sid> = self.sessions.borrow().keys().copied().collect();
        for sid in sids {
            self.disconnect(sid, reason);
        }
    }
}

fn text_ack(endpoint: &str, id: u64) -> Encoded {
    text(|s| packet::encode_ack(s, endpoint, id, None))
}

/// `7:::1+0`, the answer to a transport request for an unknown session (§1.10).
pub(crate) fn not_handshaken() -> Encoded {
    text(|s| {
        packet::encode_error(
            s,
            "",
            Some(ErrorReason::ClientNotHandshaken),
            Some(ErrorAdvice::Reconnect),
        )
    })
}

/// Sessions must open a transport within this many seconds of the handshake (§1.15:
/// the reference removes them after 30–40 s; a per-session timer gives exactly 30).
pub(crate) const HANDSHAKE_EXPIRY_SECS: f64 = 30.0;
