//! Acks for a session this shard does not own (0.9's `io.sockets.socket(id).emit(…, fn)`
//! for a socket on another shard or another node): the callback waits here under a token;
//! the packet that asks for the ack is sent where the session lives, which allocates the
//! ack id, and the client's answer comes back to this shard by the token.
//!
//! On this node the owner shard is reached over the bus; in a cluster the owner node is
//! reached with sio09's own `sio09-ack-request` / `sio09-ack` channels (0.9.19 nodes do
//! not listen there, so a 0.9.19 node's sessions get no such emit: as with 0.9.19, whose
//! acks never crossed nodes).

use super::shard_state::{Remote, ShardState};
use super::{Args, Socket};
use crate::protocol::packet::{self, MessageId};
use crate::session::AckCallback;
use crate::sid::Sid;
use crate::store::redis_wire::{AckKind, Message};
use std::collections::BTreeMap;
use std::rc::Rc;
use tracing::{debug, warn};

/// Callbacks kept per shard for acks that have not come back; past this the oldest is
/// dropped (an ack whose session went away never comes).
const MAX_PENDING: usize = 65_536;

/// Tokens carry the asking shard in their top bits, so an answer finds its callback.
const SHARD_SHIFT: u32 = 40;

/// What an ack request sends.
#[derive(Debug, Clone)]
pub(crate) struct AckSend {
    /// Event, message or JSON message.
    pub kind: AckKind,
    /// The event name (events only).
    pub name: String,
    /// Arguments as a JSON array text, the message text, or the JSON text.
    pub data: String,
}

/// One waiting callback.
pub(crate) struct Pending {
    sid: Sid,
    nsp: usize,
    cb: AckCallback,
}

/// The callbacks a shard waits with, by token (oldest first).
#[derive(Default)]
pub(crate) struct PendingAcks {
    seq: u64,
    waiting: BTreeMap<u64, Pending>,
}

/// The packet for `what` asking for ack `id` on namespace `endpoint`: `5:N+` for events
/// (the data ack form, Q-31), `3:N` / `4:N` for messages (the automatic ack).
pub(crate) fn encode(what: &AckSend, id: u64, endpoint: &str) -> String {
    let mut s = String::with_capacity(24 + endpoint.len() + what.name.len() + what.data.len());
    match what.kind {
        AckKind::Event => packet::encode_event(
            &mut s,
            MessageId::Data(id),
            endpoint,
            &what.name,
            &what.data,
        ),
        AckKind::Message => {
            packet::encode_message(&mut s, MessageId::Auto(id), endpoint, &what.data)
        }
        AckKind::Json => packet::encode_json(&mut s, MessageId::Auto(id), endpoint, &what.data),
    }
    s
}

/// The shard a token was issued by.
pub(crate) fn token_shard(token: u64) -> usize {
    (token >> SHARD_SHIFT) as usize
}

impl ShardState {
    /// Send `what` to `sid` on namespace `nsp` wherever the session lives, and run `cb`
    /// with the client's ack here.
    pub(crate) fn ack_elsewhere(
        self: &Rc<Self>,
        sid: Sid,
        nsp: usize,
        what: AckSend,
        cb: AckCallback,
    ) {
        let token = {
            let mut p = self.pending_acks.borrow_mut();
            p.seq += 1;
            let token = ((self.id as u64) << SHARD_SHIFT) | (p.seq & ((1 << SHARD_SHIFT) - 1));
            if p.waiting.len() >= MAX_PENDING {
                if let Some((old, _)) = p.waiting.pop_first() {
                    warn!("{MAX_PENDING} acks waiting for other shards or nodes; the oldest ({old}) is dropped");
                }
            }
            p.waiting.insert(token, Pending { sid, nsp, cb });
            token
        };
        let owner = sid.owner(self.srv.shard_count());
        if owner == self.id {
            self.ack_request(sid, nsp, what, token, None);
        } else {
            self.srv.send(
                owner,
                Remote::Run(Box::new(move |st: &Rc<ShardState>| {
                    st.ack_request(sid, nsp, what, token, None)
                })),
            );
        }
    }

    /// On the shard that owns `sid` by its hash: send `what` asking for the ack when the
    /// session is here; otherwise, in a cluster, ask the other nodes (unless `from` says
    /// this request came from one). The answer goes to `token`'s shard, on this node
    /// (`from` `None`) or node `from`.
    pub(crate) fn ack_request(
        self: &Rc<Self>,
        sid: Sid,
        nsp: usize,
        what: AckSend,
        token: u64,
        from: Option<String>,
    ) {
        let here = self
            .sessions
            .borrow()
            .get(&sid)
            .is_some_and(|s| !s.ended && s.in_nsp(nsp));
        if here {
            let srv = self.srv.clone();
            let reply: AckCallback = Box::new(move |_s: &Socket, args: Args| match from {
                None => {
                    let raw = args.raw().to_owned();
                    srv.send(
                        token_shard(token),
                        Remote::Run(Box::new(move |st: &Rc<ShardState>| {
                            st.ack_answered(token, &raw)
                        })),
                    );
                }
                Some(node) => {
                    let msg = Message::AckReply {
                        sid: sid.as_str().to_owned(),
                        token,
                        args: args.raw().to_owned(),
                    };
                    srv.store
                        .publish(&msg, &[("target", &super::cluster::quoted(&node))]);
                }
            });
            let sock = self.socket(sid, nsp);
            if let Some(id) = sock.next_ack(reply) {
                sock.write(&encode(&what, id, sock.nsp_name()), false);
            }
            return;
        }
        if from.is_some() || self.srv.node.is_none() {
            // Not here, and nobody else to ask: the callback will never run.
            if from.is_none() {
                self.srv.send(
                    token_shard(token),
                    Remote::Run(Box::new(move |st: &Rc<ShardState>| st.ack_forgotten(token))),
                );
            }
            return;
        }
        let endpoint = self.srv.nsp_names.get(nsp).unwrap_or("").to_owned();
        let msg = Message::AckRequest {
            sid: sid.as_str().to_owned(),
            endpoint,
            kind: what.kind,
            name: what.name,
            data: what.data,
            token,
        };
        self.srv.store.publish(&msg, &[]);
    }

    /// An ack request from node `from` (routed to `sid`'s shard).
    pub(crate) fn on_ack_request(self: &Rc<Self>, sid: Sid, msg: Message, from: String) {
        let Message::AckRequest {
            endpoint,
            kind,
            name,
            data,
            token,
            ..
        } = msg
        else {
            return;
        };
        let Some(nsp) = self.srv.live().nsp_index.get(endpoint.as_str()).copied() else {
            debug!("ack request for unknown namespace {endpoint:?} ignored");
            return;
        };
        let what = AckSend { kind, name, data };
        self.ack_request(sid, nsp, what, token, Some(from));
    }

    /// The client answered the ack asked with `token`: run the callback here.
    pub(crate) fn ack_answered(self: &Rc<Self>, token: u64, args_json: &str) {
        let Some(p) = self.pending_acks.borrow_mut().waiting.remove(&token) else {
            debug!("ack {token} answered twice or too late; ignored");
            return;
        };
        let sock = self.socket(p.sid, p.nsp);
        (p.cb)(&sock, Args::from_raw(args_json));
    }

    /// The session of `token`'s ack was not found: forget the callback.
    fn ack_forgotten(&self, token: u64) {
        self.pending_acks.borrow_mut().waiting.remove(&token);
    }
}
