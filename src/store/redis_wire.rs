//! The RedisStore wire format of socket.io 0.9.19, sans IO (PROTOCOL.md §6.3–§6.6,
//! REDIS-STORE.md): channel names, the PUBLISH envelope `{"nodeId":N,"args":[…]}`, typed
//! messages per channel, the decoded-packet object of `message-remote`, and the text form of
//! per-client data values. Nothing here talks to Redis; the store feeds bytes in and takes
//! strings out.
//!
//! Output is byte-identical to what a 0.9.19 node publishes (`JSON.stringify` via
//! [`crate::protocol::json`]): non-volatile flags are written as `null` (an `undefined` array
//! element), `exceptions` as `[]` when empty, handshake data and packet objects with their keys
//! in insertion order.
//!
//! Decoding treats every payload as untrusted network data: it never panics, nesting is bounded
//! by [`json::MAX_DEPTH`], and anything the reference would not understand is an error value.
//! It is lenient exactly where the reference is: invalid UTF-8 is replaced by U+FFFD (node_redis
//! decodes replies as UTF-8 text), a missing `nodeId` counts as foreign, `volatile` follows
//! JavaScript truthiness (`null`/absent/`false` = not volatile), `exceptions` may be
//! `null`/absent, `reason` may be `null`/absent, extra arguments and extra envelope fields are
//! ignored. The own-message filter is JavaScript loose equality (`msg.nodeId != self.nodeId`),
//! so `"123"`, `123.0` and `[123]` all equal node 123.
//!
//! Not supported: MessagePack envelopes (the reference uses them only if the optional native
//! `msgpack` module is installed; such a node cannot talk to a JSON node either).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::protocol::json::{self, write_js_string, write_value, JsonError};
use crate::protocol::packet::{
    self, Body, ErrorAdvice, ErrorReason, MessageId, Packet, PacketType,
};

/// The 13 channels, by their bare names, in the order a 0.9.19 node subscribes to them
/// (REDIS-STORE.md §2). There is no prefix: every socket.io 0.9 cluster on one Redis server
/// shares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `handshake`: `[sid, handshakeData]`.
    Handshake,
    /// `connect`: `[sid]`.
    Connect,
    /// `open`: `[sid]`.
    Open,
    /// `join`: `[sid, roomKey]`.
    Join,
    /// `leave`: `[sid, roomKey]`.
    Leave,
    /// `close`: `[sid]`.
    Close,
    /// `dispatch`: `[roomKey, encodedPacket, volatile, exceptions]`.
    Dispatch,
    /// `disconnect`: `[sid]` (subscribed, never published by 0.9.19).
    Disconnect,
    /// `message-remote`: `[sid, packetObject]`.
    MessageRemote,
    /// `disconnect-remote`: `[sid, reason?]`.
    DisconnectRemote,
    /// `dispatch-remote`: `[sid, encodedPacket, volatile]`.
    DispatchRemote,
    /// `heartbeat-clear`: `[sid]`.
    HeartbeatClear,
    /// `disconnect-force`: `[sid]`.
    DisconnectForce,
    /// sio09's own `sio09-ack-request`: `[sid, endpoint, kind, name, data, token]`, an emit
    /// that wants the client's ack, for the node that owns the session (never published
    /// by 0.9.19, which does not subscribe to it).
    AckRequest,
    /// sio09's own `sio09-ack`: `[sid, token, argsJson]`, the client's ack for an
    /// [`Channel::AckRequest`], back to the node that asked.
    AckReply,
}

impl Channel {
    /// All channels in the reference's subscription order.
    pub const ALL: [Channel; 13] = [
        Channel::Handshake,
        Channel::Connect,
        Channel::Open,
        Channel::Join,
        Channel::Leave,
        Channel::Close,
        Channel::Dispatch,
        Channel::Disconnect,
        Channel::MessageRemote,
        Channel::DisconnectRemote,
        Channel::DispatchRemote,
        Channel::HeartbeatClear,
        Channel::DisconnectForce,
    ];

    /// sio09's own channels, subscribed after [`Channel::ALL`]: 0.9.19 nodes neither
    /// publish on them nor listen.
    pub const SIO09: [Channel; 2] = [Channel::AckRequest, Channel::AckReply];

    /// The Redis channel name (`"handshake"`, `"message-remote"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Channel::Handshake => "handshake",
            Channel::Connect => "connect",
            Channel::Open => "open",
            Channel::Join => "join",
            Channel::Leave => "leave",
            Channel::Close => "close",
            Channel::Dispatch => "dispatch",
            Channel::Disconnect => "disconnect",
            Channel::MessageRemote => "message-remote",
            Channel::DisconnectRemote => "disconnect-remote",
            Channel::DispatchRemote => "dispatch-remote",
            Channel::HeartbeatClear => "heartbeat-clear",
            Channel::DisconnectForce => "disconnect-force",
            Channel::AckRequest => "sio09-ack-request",
            Channel::AckReply => "sio09-ack",
        }
    }

    /// The channel with this exact (case-sensitive) name.
    pub fn from_name(s: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .chain(Channel::SIO09)
            .find(|c| c.name() == s)
    }

    /// [`Channel::from_name`] for the raw channel bytes of a Redis pub/sub reply.
    pub fn from_bytes(b: &[u8]) -> Option<Channel> {
        std::str::from_utf8(b).ok().and_then(Channel::from_name)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cluster-unique node id, drawn like the reference's
/// `Math.abs(Math.random() * Math.random() * Date.now() | 0)`: a random non-negative 31-bit
/// integer. Never 0 (JavaScript's loose equality would make `""`, `[]` and `false` equal to 0).
pub fn random_node_id() -> u32 {
    let mut buf = [0u8; 4];
    let raw = match getrandom::getrandom(&mut buf) {
        Ok(()) => u32::from_le_bytes(buf),
        Err(_) => fallback_random(),
    };
    match raw & 0x7FFF_FFFF {
        0 => 1,
        id => id,
    }
}

/// Randomness without the OS source: clock, process id and a stack address, mixed.
fn fallback_random() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let local = 0u8;
    let addr = std::ptr::addr_of!(local) as usize as u64;
    // splitmix64 finaliser.
    let mut z = nanos ^ (u64::from(std::process::id()) << 32) ^ addr;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 32) as u32
}

/// One message of the cluster protocol, with the arguments typed per channel
/// (PROTOCOL.md §6.4, REDIS-STORE.md §4).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The session was handshaken (data includes `issued`), or connected (republished without
    /// `issued`), or authorised for a namespace: store `handshaken[sid] = data`.
    Handshake {
        /// Session id.
        sid: String,
        /// The handshake data object (PROTOCOL.md §1.14), keys in order.
        data: Map<String, Value>,
    },
    /// The session's first transport request arrived: `connected[sid] = true`.
    Connect {
        /// Session id.
        sid: String,
    },
    /// A transport for the session opened somewhere.
    Open {
        /// Session id.
        sid: String,
    },
    /// A transport for the session closed: start buffering for it.
    Close {
        /// Session id.
        sid: String,
    },
    /// Full local cleanup (never published by 0.9.19).
    Disconnect {
        /// Session id.
        sid: String,
    },
    /// The session joined a room (`""`, `"/chat"`, `"/chat/r"`: PROTOCOL.md §5.4).
    Join {
        /// Session id.
        sid: String,
        /// Room key.
        room: String,
    },
    /// The session left a room.
    Leave {
        /// Session id.
        sid: String,
        /// Room key.
        room: String,
    },
    /// A broadcast to a room.
    Dispatch {
        /// Room key (`""` = everyone on the main namespace).
        room: String,
        /// The encoded protocol-1 packet (`5:::{"name":…}`).
        packet: String,
        /// Volatile: drop rather than buffer for sessions without an open transport.
        volatile: bool,
        /// Session ids not to deliver to.
        exceptions: Vec<String>,
    },
    /// A packet for one session whose transport is not open on the publishing node.
    DispatchRemote {
        /// Session id.
        sid: String,
        /// The encoded protocol-1 packet.
        packet: String,
        /// Volatile: do not buffer.
        volatile: bool,
    },
    /// A client packet that arrived on a node without a transport object for the session.
    /// The publishing node has already sent the automatic ack for an id without `+`.
    MessageRemote {
        /// Session id.
        sid: String,
        /// The decoded packet, as the reference's parser shapes it.
        packet: PacketObject,
    },
    /// The session ended: fire `disconnect` everywhere, drop it from every room and table.
    DisconnectRemote {
        /// Session id.
        sid: String,
        /// Why (`"booted"`, `"close timeout"`, …); `None` when the reference sent no reason
        /// (`[sid]`) or `null` (`[sid,null]`). Encoded as `[sid]`.
        reason: Option<String>,
    },
    /// A heartbeat for the session arrived on another node: clear its heartbeat timeout.
    HeartbeatClear {
        /// Session id.
        sid: String,
    },
    /// A disconnect request for the session arrived on another node: end its transport.
    DisconnectForce {
        /// Session id.
        sid: String,
    },
    /// (sio09) Send the session a packet that asks for its ack, and report the ack back.
    AckRequest {
        /// Session id.
        sid: String,
        /// The namespace (`""`, `"/chat"`).
        endpoint: String,
        /// What to send.
        kind: AckKind,
        /// The event name ([`AckKind::Event`]; empty otherwise).
        name: String,
        /// The event's arguments as a JSON array text, the message text, or the JSON text.
        data: String,
        /// The asking node's token for the answer.
        token: u64,
    },
    /// (sio09) The client's ack for an [`Message::AckRequest`].
    AckReply {
        /// Session id.
        sid: String,
        /// The asking node's token.
        token: u64,
        /// The ack's arguments, a JSON array text.
        args: String,
    },
}

/// What an [`Message::AckRequest`] sends: an event (`5:N+`), a message (`3:N`) or a JSON
/// message (`4:N`) (PROTOCOL.md §2.4: the data ack form for events, Q-31; the automatic
/// ack for messages, as 0.9's `send(data, fn)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckKind {
    /// `5:N+::{"name":…,"args":…}`.
    Event,
    /// `3:N::text`.
    Message,
    /// `4:N::json`.
    Json,
}

impl AckKind {
    /// The wire name (`"event"`, `"message"`, `"json"`).
    pub fn name(self) -> &'static str {
        match self {
            AckKind::Event => "event",
            AckKind::Message => "message",
            AckKind::Json => "json",
        }
    }

    /// The kind named `s`.
    pub fn from_name(s: &str) -> Option<AckKind> {
        [AckKind::Event, AckKind::Message, AckKind::Json]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

impl Message {
    /// The channel this message is published on.
    pub fn channel(&self) -> Channel {
        match self {
            Message::Handshake { .. } => Channel::Handshake,
            Message::Connect { .. } => Channel::Connect,
            Message::Open { .. } => Channel::Open,
            Message::Close { .. } => Channel::Close,
            Message::Disconnect { .. } => Channel::Disconnect,
            Message::Join { .. } => Channel::Join,
            Message::Leave { .. } => Channel::Leave,
            Message::Dispatch { .. } => Channel::Dispatch,
            Message::DispatchRemote { .. } => Channel::DispatchRemote,
            Message::MessageRemote { .. } => Channel::MessageRemote,
            Message::DisconnectRemote { .. } => Channel::DisconnectRemote,
            Message::HeartbeatClear { .. } => Channel::HeartbeatClear,
            Message::DisconnectForce { .. } => Channel::DisconnectForce,
            Message::AckRequest { .. } => Channel::AckRequest,
            Message::AckReply { .. } => Channel::AckReply,
        }
    }

    /// The session id the message is about (`None` for [`Message::Dispatch`], which names a
    /// room).
    pub fn sid(&self) -> Option<&str> {
        match self {
            Message::Handshake { sid, .. }
            | Message::Connect { sid }
            | Message::Open { sid }
            | Message::Close { sid }
            | Message::Disconnect { sid }
            | Message::Join { sid, .. }
            | Message::Leave { sid, .. }
            | Message::DispatchRemote { sid, .. }
            | Message::MessageRemote { sid, .. }
            | Message::DisconnectRemote { sid, .. }
            | Message::HeartbeatClear { sid }
            | Message::DisconnectForce { sid }
            | Message::AckRequest { sid, .. }
            | Message::AckReply { sid, .. } => Some(sid),
            Message::Dispatch { .. } => None,
        }
    }
}

/// Why a payload or packet object could not be decoded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// The payload is not JSON (or nested deeper than [`json::MAX_DEPTH`]).
    #[error("payload is not JSON: {0}")]
    Json(#[from] JsonError),
    /// The payload is JSON but not an object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// The envelope's `args` is missing or not an array.
    #[error("payload \"args\" is missing or not an array")]
    ArgsNotArray,
    /// A required argument is missing.
    #[error("{channel}: argument {index} is missing")]
    MissingArg {
        /// The channel.
        channel: Channel,
        /// Zero-based argument index.
        index: usize,
    },
    /// An argument has the wrong type.
    #[error("{channel}: argument {index} must be {expected}")]
    BadArg {
        /// The channel.
        channel: Channel,
        /// Zero-based argument index.
        index: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// A `message-remote` packet object cannot be turned into a packet.
    #[error("bad packet object: {0}")]
    BadPacket(&'static str),
}

/// Encodes the PUBLISH payload for `msg` from node `node_id`, byte-identical to what a 0.9.19
/// node publishes: `{"nodeId":N,"args":[…]}`. Publish it on `msg.channel().name()`.
pub fn encode(node_id: u32, msg: &Message) -> String {
    let mut out = String::with_capacity(64 + encoded_len_hint(msg));
    out.push_str(r#"{"nodeId":"#);
    out.push_str(&node_id.to_string());
    out.push_str(r#","args":["#);
    match msg {
        Message::Handshake { sid, data } => {
            write_js_string(&mut out, sid);
            out.push(',');
            write_object(&mut out, data);
        }
        Message::Connect { sid }
        | Message::Open { sid }
        | Message::Close { sid }
        | Message::Disconnect { sid }
        | Message::HeartbeatClear { sid }
        | Message::DisconnectForce { sid } => write_js_string(&mut out, sid),
        Message::Join { sid, room } | Message::Leave { sid, room } => {
            write_js_string(&mut out, sid);
            out.push(',');
            write_js_string(&mut out, room);
        }
        Message::Dispatch {
            room,
            packet,
            volatile,
            exceptions,
        } => {
            write_js_string(&mut out, room);
            out.push(',');
            write_js_string(&mut out, packet);
            out.push(',');
            write_flag(&mut out, *volatile);
            out.push_str(",[");
            for (i, e) in exceptions.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js_string(&mut out, e);
            }
            out.push(']');
        }
        Message::DispatchRemote {
            sid,
            packet,
            volatile,
        } => {
            write_js_string(&mut out, sid);
            out.push(',');
            write_js_string(&mut out, packet);
            out.push(',');
            write_flag(&mut out, *volatile);
        }
        Message::MessageRemote { sid, packet } => {
            write_js_string(&mut out, sid);
            out.push(',');
            write_object(&mut out, &packet.0);
        }
        Message::DisconnectRemote { sid, reason } => {
            write_js_string(&mut out, sid);
            if let Some(r) = reason {
                out.push(',');
                write_js_string(&mut out, r);
            }
        }
        Message::AckRequest {
            sid,
            endpoint,
            kind,
            name,
            data,
            token,
        } => {
            for t in [sid.as_str(), endpoint, kind.name(), name, data] {
                write_js_string(&mut out, t);
                out.push(',');
            }
            out.push_str(&token.to_string());
        }
        Message::AckReply { sid, token, args } => {
            write_js_string(&mut out, sid);
            out.push(',');
            out.push_str(&token.to_string());
            out.push(',');
            write_js_string(&mut out, args);
        }
    }
    out.push_str("]}");
    out
}

/// A rough size of the variable part, to allocate once in the common cases.
fn encoded_len_hint(msg: &Message) -> usize {
    match msg {
        Message::Dispatch { room, packet, .. } => room.len() + packet.len() + packet.len() / 8,
        Message::DispatchRemote { sid, packet, .. } => sid.len() + packet.len() + packet.len() / 8,
        Message::Handshake { .. } => 512,
        Message::MessageRemote { .. } => 128,
        _ => 48,
    }
}

/// `true`, or `null` for a non-volatile packet (the reference's `undefined` in an array).
fn write_flag(out: &mut String, volatile: bool) {
    out.push_str(if volatile { "true" } else { "null" });
}

/// `JSON.stringify` of an object, without building a [`Value`] around the map.
fn write_object(out: &mut String, map: &Map<String, Value>) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_js_string(out, k);
        out.push(':');
        write_value(out, v);
    }
    out.push('}');
}

/// Decodes a payload received on `channel`.
///
/// - `Ok(None)`: the message is this node's own (its `nodeId` loosely equals `own_node_id`);
///   its arguments are not checked, like the reference.
/// - `Ok(Some((sender_node_id, message)))`: a message from another node; the sender's id is
///   returned as sent (`Value::Null` when absent).
/// - `Err`: not JSON, not an object, `args` not an array, or arguments missing or of the wrong
///   type for `channel`.
pub fn decode(
    channel: Channel,
    payload: &[u8],
    own_node_id: u32,
) -> Result<Option<(Value, Message)>, WireError> {
    Ok(decode_envelope(channel, payload, own_node_id)?.map(|r| (r.from, r.msg)))
}

/// A message from another node, with the envelope fields beyond `nodeId` and `args`.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The sender's `nodeId`, as sent (`Value::Null` when absent).
    pub from: Value,
    /// The decoded message.
    pub msg: Message,
    /// Other envelope fields: sio09 nodes add a few (see [`encode_ext`]); 0.9.19 sends none
    /// and ignores them.
    pub ext: Map<String, Value>,
}

impl Received {
    /// The sender's id as text (`"751025151"`), the form sio09 keeps node ids in.
    pub fn from_text(&self) -> String {
        match &self.from {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    }

    /// Extension field `key` as text (strings as is, numbers printed), if present.
    pub fn ext_text(&self, key: &str) -> Option<String> {
        match self.ext.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        }
    }
}

/// [`encode`] plus extension fields after `args`: `ext` pairs of a key and a raw JSON value
/// text (`("target", "123")`, `("sio09", "1")`). 0.9.19 nodes read only `nodeId` and `args`, so
/// the payload stays compatible; sio09 nodes use the extensions to address one node.
pub fn encode_ext(node_id: u32, msg: &Message, ext: &[(&str, &str)]) -> String {
    let mut out = encode(node_id, msg);
    if ext.is_empty() {
        return out;
    }
    out.pop();
    for (k, v) in ext {
        out.push(',');
        write_js_string(&mut out, k);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
    out
}

/// Like [`decode`], keeping the envelope's other fields (see [`Received`]).
pub fn decode_envelope(
    channel: Channel,
    payload: &[u8],
    own_node_id: u32,
) -> Result<Option<Received>, WireError> {
    let text = String::from_utf8_lossy(payload);
    let Value::Object(mut envelope) = json::parse(&text)? else {
        return Err(WireError::NotAnObject);
    };
    let sender = envelope.swap_remove("nodeId").unwrap_or(Value::Null);
    if loosely_equals(&sender, own_node_id) {
        return Ok(None);
    }
    let Some(Value::Array(args)) = envelope.swap_remove("args") else {
        return Err(WireError::ArgsNotArray);
    };
    let mut a = Args { channel, args };
    let msg = match channel {
        Channel::Handshake => Message::Handshake {
            sid: a.string(0)?,
            data: a.object(1)?,
        },
        Channel::Connect => Message::Connect { sid: a.string(0)? },
        Channel::Open => Message::Open { sid: a.string(0)? },
        Channel::Close => Message::Close { sid: a.string(0)? },
        Channel::Disconnect => Message::Disconnect { sid: a.string(0)? },
        Channel::HeartbeatClear => Message::HeartbeatClear { sid: a.string(0)? },
        Channel::DisconnectForce => Message::DisconnectForce { sid: a.string(0)? },
        Channel::Join => Message::Join {
            sid: a.string(0)?,
            room: a.string(1)?,
        },
        Channel::Leave => Message::Leave {
            sid: a.string(0)?,
            room: a.string(1)?,
        },
        Channel::Dispatch => Message::Dispatch {
            room: a.string(0)?,
            packet: a.string(1)?,
            volatile: a.flag(2),
            exceptions: a.strings(3)?,
        },
        Channel::DispatchRemote => Message::DispatchRemote {
            sid: a.string(0)?,
            packet: a.string(1)?,
            volatile: a.flag(2),
        },
        Channel::MessageRemote => Message::MessageRemote {
            sid: a.string(0)?,
            packet: PacketObject(a.object(1)?),
        },
        Channel::DisconnectRemote => Message::DisconnectRemote {
            sid: a.string(0)?,
            reason: a.optional_string(1)?,
        },
        Channel::AckRequest => Message::AckRequest {
            sid: a.string(0)?,
            endpoint: a.string(1)?,
            kind: {
                let k = a.string(2)?;
                AckKind::from_name(&k).ok_or(a.bad(2, "event, message or json"))?
            },
            name: a.string(3)?,
            data: a.string(4)?,
            token: a.token(5)?,
        },
        Channel::AckReply => Message::AckReply {
            sid: a.string(0)?,
            token: a.token(1)?,
            args: a.string(2)?,
        },
    };
    Ok(Some(Received {
        from: sender,
        msg,
        ext: envelope,
    }))
}

/// The `args` array of one payload, taken apart by index.
struct Args {
    channel: Channel,
    args: Vec<Value>,
}

impl Args {
    /// Takes argument `index` (`None` when absent).
    fn take(&mut self, index: usize) -> Option<Value> {
        self.args.get_mut(index).map(Value::take)
    }

    fn bad(&self, index: usize, expected: &'static str) -> WireError {
        WireError::BadArg {
            channel: self.channel,
            index,
            expected,
        }
    }

    fn missing(&self, index: usize) -> WireError {
        WireError::MissingArg {
            channel: self.channel,
            index,
        }
    }

    fn string(&mut self, index: usize) -> Result<String, WireError> {
        match self.take(index) {
            Some(Value::String(s)) => Ok(s),
            None => Err(self.missing(index)),
            Some(_) => Err(self.bad(index, "a string")),
        }
    }

    fn optional_string(&mut self, index: usize) -> Result<Option<String>, WireError> {
        match self.take(index) {
            Some(Value::String(s)) => Ok(Some(s)),
            None | Some(Value::Null) => Ok(None),
            Some(_) => Err(self.bad(index, "a string or null")),
        }
    }

    fn object(&mut self, index: usize) -> Result<Map<String, Value>, WireError> {
        match self.take(index) {
            Some(Value::Object(m)) => Ok(m),
            None => Err(self.missing(index)),
            Some(_) => Err(self.bad(index, "an object")),
        }
    }

    /// JavaScript truthiness; absent is `false`.
    /// A non-negative integer (an sio09 token: exact up to 2^53).
    fn token(&mut self, index: usize) -> Result<u64, WireError> {
        match self.take(index) {
            Some(Value::Number(n)) => n.as_u64().ok_or(self.bad(index, "a token")),
            None => Err(self.missing(index)),
            Some(_) => Err(self.bad(index, "a token")),
        }
    }

    fn flag(&mut self, index: usize) -> bool {
        self.take(index).is_some_and(|v| is_truthy(&v))
    }

    /// An array of strings; absent or `null` is empty.
    fn strings(&mut self, index: usize) -> Result<Vec<String>, WireError> {
        match self.take(index) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(self.bad(index, "an array of strings")),
                })
                .collect(),
            Some(_) => Err(self.bad(index, "an array of strings or null")),
        }
    }
}

/// JavaScript truthiness of a JSON value.
fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript `v == n` for a JSON value `v` and a number `n` (the reference's
/// `msg.nodeId != self.nodeId`, negated).
fn loosely_equals(v: &Value, n: u32) -> bool {
    let n = f64::from(n);
    match v {
        // `null == 123` is false (null only equals undefined); so are objects ("[object Object]").
        Value::Null | Value::Object(_) => false,
        Value::Bool(b) => f64::from(u8::from(*b)) == n,
        Value::Number(x) => x.as_f64() == Some(n),
        Value::String(s) => js_string_to_number(s) == n,
        Value::Array(items) => array_to_number(items) == n,
    }
}

/// `Number(String(array))`: an array's string form is its elements' joined by `,`, so two or
/// more elements never make a number; `[]` is `""` (0) and `[x]` is `String(x)` (`null` → `""`).
fn array_to_number(items: &[Value]) -> f64 {
    let mut items = items;
    loop {
        match items {
            [] => return 0.0,
            [single] => match single {
                Value::Null => return 0.0,
                Value::Bool(_) | Value::Object(_) => return f64::NAN,
                Value::Number(x) => return x.as_f64().unwrap_or(f64::NAN),
                Value::String(s) => return js_string_to_number(s),
                Value::Array(inner) => items = inner,
            },
            _ => return f64::NAN,
        }
    }
}

/// JavaScript's whitespace and line terminators, which `Number(string)` trims.
fn is_js_space(c: char) -> bool {
    const SINGLES: [char; 13] = [
        '\t', '\n', '\u{0B}', '\u{0C}', '\r', ' ', '\u{A0}', '\u{1680}', '\u{2028}', '\u{2029}',
        '\u{202F}', '\u{205F}', '\u{3000}',
    ];
    c == '\u{FEFF}' || ('\u{2000}'..='\u{200A}').contains(&c) || SINGLES.contains(&c)
}

/// JavaScript `Number(s)`: trimmed; empty → 0; `0x`/`0o`/`0b` integers; `Infinity`; decimal
/// literals (`+1`, `1.`, `.5`, `1e3`); anything else → NaN.
fn js_string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if let (Some(b'0'), Some(p)) = (b.first(), b.get(1)) {
        let radix = match p {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let digits = t.get(2..).unwrap_or("");
            if digits.is_empty() {
                return f64::NAN;
            }
            let mut acc = 0.0f64;
            for c in digits.chars() {
                match c.to_digit(radix) {
                    Some(d) => acc = acc * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return acc;
        }
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if !is_decimal_literal(unsigned.as_bytes()) {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `digits [. digits] [e [sign] digits]` with at least one mantissa digit, or `. digits …`.
fn is_decimal_literal(b: &[u8]) -> bool {
    let mut i = 0;
    let int_digits = count_digits(b, &mut i);
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(b, &mut i);
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if count_digits(b, &mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn count_digits(b: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    *i - start
}

/// The decoded packet object that `message-remote` carries: what the reference's
/// `parser.decodePacket` returns, keys in its order — `type` (name), `endpoint`, then `id`
/// (string) and `ack` (`true` or `"data"`) when the packet has an id, then per type: message and
/// json `data`; event `name`, `args`; connect `qs`; ack `ackId` (string), `args`; error `reason`,
/// `advice` (texts, `""` when absent). PROTOCOL.md §6.4.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PacketObject(pub Map<String, Value>);

impl PacketObject {
    /// The reference's packet object for `p` (what a 0.9.19 node publishes for it).
    ///
    /// Event and ack arguments and json data are parsed from the packet's JSON text; text that
    /// does not parse gives `[]` (args) or `false` (json data), as decoding would have.
    pub fn from_packet(p: &Packet<'_>) -> PacketObject {
        let mut m = Map::new();
        m.insert("type".into(), Value::from(p.packet_type().name()));
        m.insert("endpoint".into(), Value::from(p.endpoint.as_ref()));
        match p.id {
            MessageId::None => {}
            MessageId::Auto(n) => {
                m.insert("id".into(), Value::String(n.to_string()));
                m.insert("ack".into(), Value::Bool(true));
            }
            MessageId::Data(n) => {
                m.insert("id".into(), Value::String(n.to_string()));
                m.insert("ack".into(), Value::from("data"));
            }
        }
        match &p.body {
            Body::Disconnect | Body::Heartbeat | Body::Noop => {}
            Body::Connect { query } => {
                m.insert("qs".into(), Value::from(query.as_ref()));
            }
            Body::Message { data } => {
                m.insert("data".into(), Value::from(data.as_ref()));
            }
            Body::Json { json: text } => {
                let v = json::parse(text).unwrap_or(Value::Bool(false));
                m.insert("data".into(), v);
            }
            Body::Event { name, args } => {
                m.insert("name".into(), Value::from(name.as_ref()));
                m.insert("args".into(), args_value(Some(args)));
            }
            Body::Ack { ack_id, args } => {
                m.insert("ackId".into(), Value::String(ack_id.to_string()));
                m.insert("args".into(), args_value(args.as_deref()));
            }
            Body::Error { reason, advice } => {
                let r = reason.map_or("", ErrorReason::as_str);
                let a = advice.map_or("", ErrorAdvice::as_str);
                m.insert("reason".into(), Value::from(r));
                m.insert("advice".into(), Value::from(a));
            }
        }
        PacketObject(m)
    }

    /// The packet as protocol-1 wire text (PROTOCOL.md §2.3), for the receiving node's normal
    /// inbound packet path (`packet::decode` accepts every text this returns, nesting permitting).
    ///
    /// Lenient like the reference: `endpoint`, `qs` and message `data` may be absent (`""`),
    /// `id`/`ackId` may be JSON numbers, event `args` absent or falsy means none and a non-array
    /// value `x` means `[x]`, ack `args` that are absent or not an array mean none, json `data`
    /// absent means `false` (what the reference hands the application for unparsable JSON),
    /// unknown error reason/advice texts mean none, extra keys are ignored.
    ///
    /// Errors: `type` missing or not a packet type name; `endpoint` not a string or containing
    /// `:`; `id` or `ackId` not decimal digits fitting 64 bits; event `name` not a string; ack
    /// without `ackId`; `qs` or message `data` not a string.
    ///
    /// The sending node has already sent the automatic ack for an `id` without `ack: "data"`
    /// (the reference acks in the transport, before publishing); the receiver must not ack again.
    pub fn to_packet_text(&self) -> Result<String, WireError> {
        let m = &self.0;
        let ty = match m.get("type") {
            Some(Value::String(s)) => type_from_name(s),
            _ => None,
        }
        .ok_or(WireError::BadPacket("\"type\" must be a packet type name"))?;
        let endpoint = match m.get("endpoint") {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) if !s.contains(':') => s.as_str(),
            Some(_) => {
                return Err(WireError::BadPacket(
                    "\"endpoint\" must be a string without ':'",
                ))
            }
        };
        let id = match m.get("id").map(id_number).transpose()? {
            None | Some(None) => MessageId::None,
            Some(Some(n)) if m.get("ack").and_then(Value::as_str) == Some("data") => {
                MessageId::Data(n)
            }
            Some(Some(n)) => MessageId::Auto(n),
        };
        let body = match ty {
            PacketType::Disconnect => Body::Disconnect,
            PacketType::Heartbeat => Body::Heartbeat,
            PacketType::Noop => Body::Noop,
            PacketType::Connect => Body::Connect {
                query: Cow::Borrowed(optional_str(m, "qs", "\"qs\" must be a string")?),
            },
            PacketType::Message => Body::Message {
                data: Cow::Borrowed(optional_str(
                    m,
                    "data",
                    "message \"data\" must be a string",
                )?),
            },
            PacketType::Json => Body::Json {
                json: Cow::Owned(match m.get("data") {
                    None => "false".to_owned(),
                    Some(v) => json::to_js_json(v),
                }),
            },
            PacketType::Event => {
                let Some(Value::String(name)) = m.get("name") else {
                    return Err(WireError::BadPacket("event \"name\" must be a string"));
                };
                let args = match m.get("args") {
                    None => "[]".to_owned(),
                    Some(v) if !is_truthy(v) => "[]".to_owned(),
                    Some(v @ Value::Array(_)) => json::to_js_json(v),
                    Some(v) => {
                        let mut s = String::from("[");
                        write_value(&mut s, v);
                        s.push(']');
                        s
                    }
                };
                Body::Event {
                    name: Cow::Borrowed(name),
                    args: Cow::Owned(args),
                }
            }
            PacketType::Ack => {
                let ack_id = m
                    .get("ackId")
                    .map(id_number)
                    .transpose()?
                    .flatten()
                    .ok_or(WireError::BadPacket("ack without \"ackId\""))?;
                let args = match m.get("args") {
                    Some(v @ Value::Array(items)) if !items.is_empty() => {
                        Some(Cow::Owned(json::to_js_json(v)))
                    }
                    _ => None,
                };
                Body::Ack { ack_id, args }
            }
            PacketType::Error => Body::Error {
                reason: m
                    .get("reason")
                    .and_then(Value::as_str)
                    .and_then(reason_from_text),
                advice: m
                    .get("advice")
                    .and_then(Value::as_str)
                    .and_then(advice_from_text),
            },
        };
        let p = Packet {
            id,
            endpoint: Cow::Borrowed(endpoint),
            body,
        };
        Ok(packet::encode_to_string(&p))
    }
}

/// JSON text of an argument array → the array value (`None` → `[]`; text that is not an array
/// → `[]`).
fn args_value(text: Option<&str>) -> Value {
    match text.map(json::parse) {
        Some(Ok(v @ Value::Array(_))) => v,
        _ => Value::Array(Vec::new()),
    }
}

/// A packet type by the reference's name.
fn type_from_name(s: &str) -> Option<PacketType> {
    (b'0'..=b'8')
        .filter_map(PacketType::from_digit)
        .find(|t| t.name() == s)
}

fn reason_from_text(s: &str) -> Option<ErrorReason> {
    ["0", "1", "2"]
        .into_iter()
        .filter_map(ErrorReason::from_field)
        .find(|r| r.as_str() == s)
}

fn advice_from_text(s: &str) -> Option<ErrorAdvice> {
    ErrorAdvice::from_field("0").filter(|a| a.as_str() == s)
}

/// A string field that may be absent or `null` (→ `""`).
fn optional_str<'m>(
    m: &'m Map<String, Value>,
    key: &str,
    err: &'static str,
) -> Result<&'m str, WireError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(WireError::BadPacket(err)),
    }
}

/// A message id: `"12"` or `12`; `""`, `null` and `false` mean none (the reference tests
/// `if (packet.id)`).
fn id_number(v: &Value) -> Result<Option<u64>, WireError> {
    const ERR: WireError = WireError::BadPacket("ids must be decimal digits that fit in 64 bits");
    match v {
        Value::Null | Value::Bool(false) => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => packet::parse_u64(s).map(Some).ok_or(ERR),
        Value::Number(n) => n.as_u64().map(Some).ok_or(ERR),
        _ => Err(ERR),
    }
}

/// The text sio09 stores with `HSET sid key <text>` for a client data value: JavaScript's
/// `String(value)`, byte for byte what socket.io 0.9.19's RedisStore stores, since node_redis
/// 0.7.3 (the client it ships with) turns every non-string argument into `String(arg)`. A node
/// of either kind then reads the other's values as its own.
///
/// Verified against redis@0.7.3 and redis-server 7.0 (HSET from Node, fields read raw with
/// `redis-cli`): for the value `JSON.parse` gives for each text on the left, the stored bytes:
///
/// | value | stored |
/// |---|---|
/// | `"alice"`, `""`, `"héllo ✓ 😀"`, `"a\u0000b"`, `"line\r\nnext"` | the string's UTF-8, raw (no quotes, no escapes, NUL kept) |
/// | `42`, `-7`, `0`, `-0`, `-0.0` | `42`, `-7`, `0`, `0`, `0` |
/// | `1.5`, `0.30000000000000004`, `1e-7`, `0.000001`, `-1.5e-10`, `5e-324` | the same text |
/// | `1e21`, `1e20`, `1.7976931348623157e308` | `1e+21`, `100000000000000000000`, `1.7976931348623157e+308` |
/// | `123456789012345678901`, `12345678901234567890`, `9007199254740993` | `123456789012345680000`, `12345678901234567000`, `9007199254740992` (the nearest double, as JavaScript prints it) |
/// | `true`, `false`, `null` | `true`, `false`, `null` |
/// | `{}`, `{"x":1}` | `[object Object]` |
/// | `[]`, `[null]`, `[[]]`, `[[],[]]` | empty, empty, empty, `,` |
/// | `[1,2]`, `[null,1,null]`, `[true,"a,b",false]` | `1,2`, `,1,`, `true,a,b,false` (`Array.prototype.join(',')`: `null` elements are empty) |
/// | `[1,[2,[3,[]]]]`, `[[null,[null]],{}]` | `1,2,3,`, `,,[object Object]` (nested arrays joined in place) |
/// | `[{"a":1},2]`, `["é",1.5,1e21]` | `[object Object],2`, `é,1.5,1e+21` |
///
/// JavaScript values a JSON value cannot hold are out of reach here: `undefined` (stored as
/// `undefined`), `NaN`, `±Infinity` (the reference stores `Infinity` for `1e400`; sio09's JSON
/// parser refuses that number), escaped lone surrogates (stored as U+FFFD; sio09's parser
/// refuses them), Dates and objects with their own `toString`. The Node module converts such
/// values with JavaScript's own `String()` before they reach the library.
pub fn encode_value(v: &Value) -> String {
    let mut out = String::new();
    write_js_to_string(&mut out, v);
    out
}

/// Appends JavaScript's `String(v)` for a JSON value (see [`encode_value`]). Arrays are walked
/// with an explicit stack, so nesting depth costs no native stack.
fn write_js_to_string(out: &mut String, v: &Value) {
    let Value::Array(items) = v else {
        write_js_scalar(out, v);
        return;
    };
    // One entry per array being joined: its remaining elements, and whether none was written.
    let mut stack = vec![(items.iter(), true)];
    while let Some((rest, first)) = stack.last_mut() {
        let Some(item) = rest.next() else {
            stack.pop();
            continue;
        };
        if !std::mem::replace(first, false) {
            out.push(',');
        }
        match item {
            // `join` writes null (and undefined) elements as nothing.
            Value::Null => {}
            Value::Array(inner) => stack.push((inner.iter(), true)),
            other => write_js_scalar(out, other),
        }
    }
}

/// `String(v)` for anything but an array.
fn write_js_scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            // Integers beyond 2^53 become the nearest double, as `JSON.parse` made them.
            Some(f) => json::js_number(f, out),
            None => out.push_str(&n.to_string()),
        },
        Value::String(s) => out.push_str(s),
        Value::Object(_) => out.push_str("[object Object]"),
        Value::Array(_) => write_js_to_string(out, v),
    }
}

/// The value of a client data field read with `HGET`, written by a node of either kind: the
/// stored text as a string, as 0.9.19's `get` returns it (a missing field is `null`, which the
/// caller handles). Non-UTF-8 bytes (only a third party can store them) are replaced by U+FFFD
/// per maximal invalid subsequence, as node_redis's UTF-8 decoding of the reply does.
pub fn decode_value(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const A: u32 = 751_025_151;
    const B: u32 = 1_966_998_933;

    /// Handshake data of REDIS-STORE.md §4, compacted as `JSON.stringify` writes it.
    const HANDSHAKE_DATA: &str = r#"{"headers":{"user-agent":"node-XMLHttpRequest","accept":"*/*","host":"127.0.0.1:17001","connection":"keep-alive"},"address":{"address":"127.0.0.1","port":42716},"time":"Wed Nov 25 2026 20:21:50 GMT+0000 (Coordinated Universal Time)","query":{"t":"1795638110673"},"url":"/socket.io/1/?t=1795638110673","xdomain":false,"issued":1795638110681}"#;

    /// Payloads captured between two 0.9.19 nodes (REDIS-STORE.md §6), verbatim.
    const CAPTURED: &[(Channel, &str)] = &[
        (
            Channel::Open,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH"]}"#,
        ),
        (
            Channel::Connect,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH"]}"#,
        ),
        (
            Channel::Join,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH",""]}"#,
        ),
        (
            Channel::Join,
            r#"{"nodeId":751025151,"args":["LfibQE5Uy12vteSAXyhI",""]}"#,
        ),
        (
            Channel::Close,
            r#"{"nodeId":751025151,"args":["LfibQE5Uy12vteSAXyhI"]}"#,
        ),
        (
            Channel::Open,
            r#"{"nodeId":751025151,"args":["LfibQE5Uy12vteSAXyhI"]}"#,
        ),
        (
            Channel::Dispatch,
            r#"{"nodeId":1966998933,"args":["","5:::{\"name\":\"all\",\"args\":[{\"data\":\"0rmkqo6l\",\"from\":\"B\"}]}",null,[]]}"#,
        ),
        (
            Channel::DispatchRemote,
            r#"{"nodeId":1966998933,"args":["9wMAYaX8YsB3Fu2mXyhG","6:::3+[{\"node\":\"B\"}]",null]}"#,
        ),
        (
            Channel::Join,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH","/room-s3d2poqe"]}"#,
        ),
        (
            Channel::Join,
            r#"{"nodeId":751025151,"args":["LfibQE5Uy12vteSAXyhI","/room-s3d2poqe"]}"#,
        ),
        (
            Channel::Dispatch,
            r#"{"nodeId":1966998933,"args":["/room-s3d2poqe","5:::{\"name\":\"room\",\"args\":[{\"room\":\"room-s3d2poqe\",\"data\":\"oe3pmvop\",\"from\":\"B\"}]}",null,[]]}"#,
        ),
        (
            Channel::Leave,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH","/room-s3d2poqe"]}"#,
        ),
        (
            Channel::DispatchRemote,
            r#"{"nodeId":1966998933,"args":["LfibQE5Uy12vteSAXyhI","5:::{\"name\":\"direct\",\"args\":[{\"data\":\"doah0hke\",\"from\":\"B\"}]}",null]}"#,
        ),
        (
            Channel::DisconnectRemote,
            r#"{"nodeId":751025151,"args":["3zRGWPiMYCXuGeCwXyhJ","booted"]}"#,
        ),
        (
            Channel::DisconnectRemote,
            r#"{"nodeId":1966998933,"args":["5hkiR6EQ-xWESKrDXyhL"]}"#,
        ),
        (
            Channel::DisconnectForce,
            r#"{"nodeId":751025151,"args":["5hkiR6EQ-xWESKrDXyhL"]}"#,
        ),
        (
            Channel::MessageRemote,
            r#"{"nodeId":1966998933,"args":["GxGiGBq_xEhG2UhXXyhP",{"type":"event","endpoint":"","id":"2","ack":"data","name":"echo","args":["t67tw6ps"]}]}"#,
        ),
    ];

    /// Captured `[sid, null]` form of `disconnect-remote` (re-encodes as `[sid]`).
    const DISCONNECT_REMOTE_NULL: &str =
        r#"{"nodeId":751025151,"args":["5hkiR6EQ-xWESKrDXyhL",null]}"#;

    fn handshake_payload() -> String {
        format!(r#"{{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH",{HANDSHAKE_DATA}]}}"#)
    }

    fn decode_foreign(channel: Channel, payload: &str) -> (Value, Message) {
        match decode(channel, payload.as_bytes(), 1) {
            Ok(Some(r)) => r,
            other => panic!("{channel} {payload}: {other:?}"),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn channel_names_and_order() {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "handshake",
                "connect",
                "open",
                "join",
                "leave",
                "close",
                "dispatch",
                "disconnect",
                "message-remote",
                "disconnect-remote",
                "dispatch-remote",
                "heartbeat-clear",
                "disconnect-force"
            ]
        );
        for c in Channel::ALL {
            assert_eq!(Channel::from_name(c.name()), Some(c));
            assert_eq!(Channel::from_bytes(c.name().as_bytes()), Some(c));
            assert_eq!(c.to_string(), c.name());
        }
        assert_eq!(Channel::from_name("Handshake"), None);
        assert_eq!(Channel::from_name("heartbeat-clear:abc"), None);
        assert_eq!(Channel::from_bytes(b"\xff"), None);
    }

    #[test]
    fn sio09_ack_channels_round_trip_byte_exact() {
        assert_eq!(
            Channel::SIO09.map(|c| c.name()),
            ["sio09-ack-request", "sio09-ack"]
        );
        for c in Channel::SIO09 {
            assert_eq!(Channel::from_name(c.name()), Some(c));
            assert!(!Channel::ALL.contains(&c), "not one of 0.9.19's channels");
        }
        let req = Message::AckRequest {
            sid: "NMPlQ64Kcs_CH-QoXyhH".to_owned(),
            endpoint: "/chat".to_owned(),
            kind: AckKind::Event,
            name: "ask".to_owned(),
            data: r#"[{"n":"é"}]"#.to_owned(),
            token: (1 << 40) | 7,
        };
        let wire = encode(A, &req);
        assert_eq!(
            wire,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH","/chat","event","ask","[{\"n\":\"é\"}]",1099511627783]}"#
        );
        assert_eq!(decode_foreign(Channel::AckRequest, &wire).1, req);
        let reply = Message::AckReply {
            sid: "NMPlQ64Kcs_CH-QoXyhH".to_owned(),
            token: 3,
            args: "[1,null]".to_owned(),
        };
        let wire = encode(A, &reply);
        assert_eq!(
            wire,
            r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH",3,"[1,null]"]}"#
        );
        assert_eq!(decode_foreign(Channel::AckReply, &wire).1, reply);
        // A bad kind or token is an error, not a guess.
        let bad = r#"{"nodeId":9,"args":["s","","shout","","[]",1]}"#;
        assert!(decode(Channel::AckRequest, bad.as_bytes(), A).is_err());
        let bad = r#"{"nodeId":9,"args":["s",-1,"[]"]}"#;
        assert!(decode(Channel::AckReply, bad.as_bytes(), A).is_err());
    }

    #[test]
    fn node_ids_are_positive_31_bit() {
        for _ in 0..1000 {
            let id = random_node_id();
            assert!(id > 0 && id < (1 << 31));
        }
        assert_ne!(random_node_id(), random_node_id());
        // The fallback source still varies.
        let draws: std::collections::HashSet<u32> = (0..64).map(|_| fallback_random()).collect();
        assert!(draws.len() > 1);
    }

    #[test]
    fn captured_payloads_decode_and_reencode_byte_exact() {
        for &(channel, payload) in CAPTURED {
            let (sender, msg) = decode_foreign(channel, payload);
            assert_eq!(msg.channel(), channel);
            let node = u32::try_from(sender.as_u64().expect("numeric node id")).expect("u32");
            assert!(node == A || node == B);
            assert_eq!(encode(node, &msg), payload, "{channel}");
        }
        let hs = handshake_payload();
        let (_, msg) = decode_foreign(Channel::Handshake, &hs);
        assert_eq!(encode(A, &msg), hs);
    }

    #[test]
    fn captured_payloads_by_hand() {
        let sid = "NMPlQ64Kcs_CH-QoXyhH".to_owned();
        let cases = [
            (
                Message::Open { sid: sid.clone() },
                A,
                r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH"]}"#,
            ),
            (
                Message::Join {
                    sid: sid.clone(),
                    room: String::new(),
                },
                A,
                r#"{"nodeId":751025151,"args":["NMPlQ64Kcs_CH-QoXyhH",""]}"#,
            ),
            (
                Message::Dispatch {
                    room: String::new(),
                    packet: r#"5:::{"name":"all","args":[{"data":"0rmkqo6l","from":"B"}]}"#.into(),
                    volatile: false,
                    exceptions: vec![],
                },
                B,
                r#"{"nodeId":1966998933,"args":["","5:::{\"name\":\"all\",\"args\":[{\"data\":\"0rmkqo6l\",\"from\":\"B\"}]}",null,[]]}"#,
            ),
            (
                Message::DispatchRemote {
                    sid: "9wMAYaX8YsB3Fu2mXyhG".into(),
                    packet: r#"6:::3+[{"node":"B"}]"#.into(),
                    volatile: false,
                },
                B,
                r#"{"nodeId":1966998933,"args":["9wMAYaX8YsB3Fu2mXyhG","6:::3+[{\"node\":\"B\"}]",null]}"#,
            ),
            (
                Message::DisconnectRemote {
                    sid: "3zRGWPiMYCXuGeCwXyhJ".into(),
                    reason: Some("booted".into()),
                },
                A,
                r#"{"nodeId":751025151,"args":["3zRGWPiMYCXuGeCwXyhJ","booted"]}"#,
            ),
            (
                Message::DisconnectRemote {
                    sid: "5hkiR6EQ-xWESKrDXyhL".into(),
                    reason: None,
                },
                B,
                r#"{"nodeId":1966998933,"args":["5hkiR6EQ-xWESKrDXyhL"]}"#,
            ),
            (
                Message::MessageRemote {
                    sid: "GxGiGBq_xEhG2UhXXyhP".into(),
                    packet: PacketObject::from_packet(
                        &packet::decode(r#"5:2+::{"name":"echo","args":["t67tw6ps"]}"#)
                            .expect("packet"),
                    ),
                },
                B,
                r#"{"nodeId":1966998933,"args":["GxGiGBq_xEhG2UhXXyhP",{"type":"event","endpoint":"","id":"2","ack":"data","name":"echo","args":["t67tw6ps"]}]}"#,
            ),
            (
                Message::Handshake {
                    sid: sid.clone(),
                    data: obj(json::parse(HANDSHAKE_DATA).expect("json")),
                },
                A,
                &handshake_payload(),
            ),
        ];
        for (msg, node, expected) in cases {
            assert_eq!(encode(node, &msg), expected);
        }
    }

    #[test]
    fn dispatch_shapes_from_protocol_trace() {
        // PROTOCOL.md §6.5 trace (node 222).
        let m = Message::Dispatch {
            room: "/chat".into(),
            packet: r#"5::/chat:{"name":"bb"}"#.into(),
            volatile: false,
            exceptions: vec!["S".into()],
        };
        assert_eq!(
            encode(222, &m),
            r#"{"nodeId":222,"args":["/chat","5::/chat:{\"name\":\"bb\"}",null,["S"]]}"#
        );
        let m = Message::DispatchRemote {
            sid: "S".into(),
            packet: "1::/chat".into(),
            volatile: true,
        };
        assert_eq!(
            encode(222, &m),
            r#"{"nodeId":222,"args":["S","1::/chat",true]}"#
        );
    }

    #[test]
    fn disconnect_remote_null_reason() {
        let (_, msg) = decode_foreign(Channel::DisconnectRemote, DISCONNECT_REMOTE_NULL);
        assert_eq!(
            msg,
            Message::DisconnectRemote {
                sid: "5hkiR6EQ-xWESKrDXyhL".into(),
                reason: None
            }
        );
        assert_eq!(
            encode(A, &msg),
            r#"{"nodeId":751025151,"args":["5hkiR6EQ-xWESKrDXyhL"]}"#
        );
    }

    fn sample_messages() -> Vec<Message> {
        let sid = || "NMPlQ64Kcs_CH-QoXyhH".to_owned();
        let po = |t: &str| PacketObject::from_packet(&packet::decode(t).expect("packet"));
        vec![
            Message::Handshake {
                sid: sid(),
                data: obj(json!({"headers":{"host":"x"},"secure":true,"n":1.5,"u":"\u{2028}\"\\"})),
            },
            Message::Connect { sid: sid() },
            Message::Open { sid: sid() },
            Message::Join {
                sid: sid(),
                room: "/chat/r".into(),
            },
            Message::Leave {
                sid: sid(),
                room: "/chat".into(),
            },
            Message::Close { sid: sid() },
            Message::Dispatch {
                room: "/r".into(),
                packet: "3:::héllo\n\u{7}".into(),
                volatile: true,
                exceptions: vec!["a".into(), "b".into()],
            },
            Message::Disconnect { sid: sid() },
            Message::MessageRemote {
                sid: sid(),
                packet: po("1::/chat:?a=b"),
            },
            Message::DisconnectRemote {
                sid: sid(),
                reason: Some("close timeout".into()),
            },
            Message::DisconnectRemote {
                sid: sid(),
                reason: None,
            },
            Message::DispatchRemote {
                sid: sid(),
                packet: "8::".into(),
                volatile: false,
            },
            Message::HeartbeatClear { sid: sid() },
            Message::DisconnectForce { sid: sid() },
        ]
    }

    #[test]
    fn every_channel_round_trips() {
        let msgs = sample_messages();
        for c in Channel::ALL {
            assert!(msgs.iter().any(|m| m.channel() == c), "{c} not covered");
        }
        for m in msgs {
            let text = encode(A, &m);
            let (sender, back) = decode(m.channel(), text.as_bytes(), B)
                .expect("decodes")
                .expect("foreign");
            assert_eq!(sender, json!(A));
            assert_eq!(back, m);
            assert_eq!(encode(A, &back), text);
            // Our own publication comes back to us and is dropped.
            assert_eq!(decode(m.channel(), text.as_bytes(), A), Ok(None));
        }
    }

    #[test]
    fn sid_accessor() {
        for m in sample_messages() {
            match m {
                Message::Dispatch { .. } => assert_eq!(m.sid(), None),
                _ => assert_eq!(m.sid(), Some("NMPlQ64Kcs_CH-QoXyhH")),
            }
        }
    }

    fn is_own(node_id_json: &str, own: u32) -> bool {
        let payload = format!(r#"{{"nodeId":{node_id_json},"args":["x"]}}"#);
        match decode(Channel::Open, payload.as_bytes(), own) {
            Ok(None) => true,
            Ok(Some(_)) => false,
            Err(e) => panic!("{payload}: {e}"),
        }
    }

    #[test]
    fn own_messages_are_filtered_with_loose_equality() {
        for own in [
            r#"123"#,
            r#""123""#,
            r#"123.0"#,
            r#"1.23e2"#,
            r#"" 123\n""#,
            r#""+123""#,
            r#""123.""#,
            r#""0x7b""#,
            r#""0o173""#,
            r#""0b1111011""#,
            r#"[123]"#,
            r#"["123"]"#,
            r#"[[123]]"#,
            r#""\u00a0123\ufeff""#,
        ] {
            assert!(is_own(own, 123), "{own} should equal 123");
        }
        for foreign in [
            r#"124"#,
            r#""124""#,
            r#""123abc""#,
            r#""12 3""#,
            r#""0x""#,
            r#""-0x7b""#,
            r#""Infinity""#,
            r#"null"#,
            r#"true"#,
            r#"{}"#,
            r#"[123,0]"#,
            r#"[true]"#,
            r#""""#,
            r#""1e""#,
            r#"".""#,
            r#""inf""#,
            r#""123_""#,
            r#"-123"#,
        ] {
            assert!(!is_own(foreign, 123), "{foreign} should not equal 123");
        }
        // Loose equality with 1 and 0.
        assert!(is_own("true", 1));
        assert!(is_own(r#""1""#, 1));
        assert!(is_own(r#""""#, 0));
        assert!(is_own("[]", 0));
        assert!(is_own("[null]", 0));
        assert!(is_own("false", 0));
        assert!(!is_own("null", 0));
        assert!(!is_own("[true]", 1));
        // Absent nodeId: foreign, reported as null.
        let r = decode(Channel::Open, br#"{"args":["x"]}"#, 0).expect("ok");
        assert_eq!(r, Some((Value::Null, Message::Open { sid: "x".into() })));
        // The sender's id is returned as sent.
        let r = decode(Channel::Open, br#"{"nodeId":"77","args":["x"]}"#, 1).expect("ok");
        assert_eq!(r.map(|(n, _)| n), Some(json!("77")));
        // Own messages are dropped before their arguments are checked.
        assert_eq!(
            decode(Channel::Join, br#"{"nodeId":5,"args":[1]}"#, 5),
            Ok(None)
        );
        assert_eq!(decode(Channel::Join, br#"{"nodeId":5}"#, 5), Ok(None));
    }

    #[test]
    fn lenient_where_the_reference_is() {
        // Extra envelope fields and extra arguments are ignored.
        let (_, m) = decode_foreign(
            Channel::Join,
            r#"{"args":["s","/r","extra",{}],"nodeId":9,"x":[1]}"#,
        );
        assert_eq!(
            m,
            Message::Join {
                sid: "s".into(),
                room: "/r".into()
            }
        );
        // volatile: absent/null/false → false, JavaScript truthiness otherwise.
        for (v, expected) in [
            ("", false),
            (",null", false),
            (",false", false),
            (",0", false),
            (",\"\"", false),
            (",true", true),
            (",1", true),
            (",\"false\"", true),
            (",[]", true),
        ] {
            let p = format!(r#"{{"nodeId":9,"args":["s","3:::x"{v}]}}"#);
            let (_, m) = decode_foreign(Channel::DispatchRemote, &p);
            assert_eq!(
                m,
                Message::DispatchRemote {
                    sid: "s".into(),
                    packet: "3:::x".into(),
                    volatile: expected
                },
                "{p}"
            );
        }
        // exceptions absent/null → none.
        for tail in ["", ",null", ",null,null"] {
            let p = format!(r#"{{"nodeId":9,"args":["/r","3:::x"{tail}]}}"#);
            let (_, m) = decode_foreign(Channel::Dispatch, &p);
            assert_eq!(
                m,
                Message::Dispatch {
                    room: "/r".into(),
                    packet: "3:::x".into(),
                    volatile: false,
                    exceptions: vec![]
                }
            );
        }
        // Invalid UTF-8 becomes U+FFFD, as node_redis decodes it.
        let mut p = br#"{"nodeId":9,"args":["a"#.to_vec();
        p.push(0xFF);
        p.extend_from_slice(br#""]}"#);
        let (_, m) = decode(Channel::Open, &p, 1).expect("ok").expect("foreign");
        assert_eq!(
            m,
            Message::Open {
                sid: "a\u{FFFD}".into()
            }
        );
        // Whitespace around the JSON (other encoders).
        let (_, m) = decode_foreign(
            Channel::Close,
            " {\"nodeId\" : 9 , \"args\" : [ \"s\" ] }\n",
        );
        assert_eq!(m, Message::Close { sid: "s".into() });
    }

    fn err(channel: Channel, payload: &[u8]) -> WireError {
        match decode(channel, payload, 1) {
            Err(e) => e,
            Ok(r) => panic!("{channel} {:?}: expected an error, got {r:?}", payload),
        }
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            &b""[..],
            b"not json",
            b"{",
            b"{\"nodeId\":1,\"args\":[\"s\"]",
            b"{\"nodeId\":1,\"args\":[\"s\"]}x",
            b"\xff\xfe",
            b"{\"nodeId\":1e400,\"args\":[]}",
            b"\"\\ud800\"",
        ] {
            assert!(
                matches!(err(Channel::Open, bad), WireError::Json(_)),
                "{bad:?}"
            );
        }
        for bad in [&b"[]"[..], b"null", b"\"s\"", b"42", b"[\"s\"]"] {
            assert_eq!(err(Channel::Open, bad), WireError::NotAnObject);
        }
        for bad in [
            &br#"{"nodeId":9}"#[..],
            br#"{"nodeId":9,"args":null}"#,
            br#"{"nodeId":9,"args":{"0":"s"}}"#,
            br#"{"nodeId":9,"args":"s"}"#,
        ] {
            assert_eq!(err(Channel::Open, bad), WireError::ArgsNotArray);
        }
        let missing = |c: Channel, index: usize| WireError::MissingArg { channel: c, index };
        let bad = |c: Channel, index: usize, expected: &'static str| WireError::BadArg {
            channel: c,
            index,
            expected,
        };
        let cases: &[(Channel, &str, WireError)] = &[
            (Channel::Open, r#"[]"#, missing(Channel::Open, 0)),
            (Channel::Open, r#"[1]"#, bad(Channel::Open, 0, "a string")),
            (
                Channel::Open,
                r#"[null]"#,
                bad(Channel::Open, 0, "a string"),
            ),
            (Channel::Join, r#"["s"]"#, missing(Channel::Join, 1)),
            (
                Channel::Leave,
                r#"["s",1]"#,
                bad(Channel::Leave, 1, "a string"),
            ),
            (
                Channel::Handshake,
                r#"["s"]"#,
                missing(Channel::Handshake, 1),
            ),
            (
                Channel::Handshake,
                r#"["s",null]"#,
                bad(Channel::Handshake, 1, "an object"),
            ),
            (
                Channel::Handshake,
                r#"["s",[]]"#,
                bad(Channel::Handshake, 1, "an object"),
            ),
            (
                Channel::Dispatch,
                r#"["/r"]"#,
                missing(Channel::Dispatch, 1),
            ),
            (
                Channel::Dispatch,
                r#"["/r",{"type":"event"},null,[]]"#,
                bad(Channel::Dispatch, 1, "a string"),
            ),
            (
                Channel::Dispatch,
                r#"["/r","3:::x",null,"s"]"#,
                bad(Channel::Dispatch, 3, "an array of strings or null"),
            ),
            (
                Channel::Dispatch,
                r#"["/r","3:::x",null,["s",1]]"#,
                bad(Channel::Dispatch, 3, "an array of strings"),
            ),
            (
                Channel::DispatchRemote,
                r#"["s"]"#,
                missing(Channel::DispatchRemote, 1),
            ),
            (
                Channel::MessageRemote,
                r#"["s","5:::{}"]"#,
                bad(Channel::MessageRemote, 1, "an object"),
            ),
            (
                Channel::MessageRemote,
                r#"["s"]"#,
                missing(Channel::MessageRemote, 1),
            ),
            (
                Channel::DisconnectRemote,
                r#"["s",5]"#,
                bad(Channel::DisconnectRemote, 1, "a string or null"),
            ),
            (
                Channel::DisconnectRemote,
                r#"[]"#,
                missing(Channel::DisconnectRemote, 0),
            ),
        ];
        for (c, args, expected) in cases {
            let p = format!(r#"{{"nodeId":9,"args":{args}}}"#);
            assert_eq!(&err(*c, p.as_bytes()), expected, "{c} {args}");
        }
    }

    #[test]
    fn huge_nesting_is_an_error_not_a_stack_overflow() {
        for depth in [json::MAX_DEPTH + 1, 100_000] {
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let p = format!(r#"{{"nodeId":9,"args":["s",{nested}]}}"#);
            assert_eq!(
                err(Channel::Handshake, p.as_bytes()),
                WireError::Json(JsonError::TooDeep)
            );
            let p = format!(r#"{{"nodeId":9,"args":["s",{{"a":{nested}}}]}}"#);
            assert!(matches!(
                err(Channel::MessageRemote, p.as_bytes()),
                WireError::Json(_)
            ));
            assert!(matches!(
                err(Channel::Open, nested.as_bytes()),
                WireError::Json(_)
            ));
            // Unclosed.
            let p = "[".repeat(depth);
            assert!(matches!(
                err(Channel::Open, p.as_bytes()),
                WireError::Json(_)
            ));
        }
        // A nodeId nested as deep as allowed is compared without recursion.
        let d = json::MAX_DEPTH - 2;
        let p = format!(
            r#"{{"nodeId":{}7{},"args":["s"]}}"#,
            "[".repeat(d),
            "]".repeat(d)
        );
        assert_eq!(decode(Channel::Open, p.as_bytes(), 7), Ok(None));
    }

    /// (wire text, packet object JSON, canonical wire text from the object).
    const PACKETS: &[(&str, &str, &str)] = &[
        ("0::", r#"{"type":"disconnect","endpoint":""}"#, "0::"),
        (
            "0::/chat",
            r#"{"type":"disconnect","endpoint":"/chat"}"#,
            "0::/chat",
        ),
        (
            "1::/chat",
            r#"{"type":"connect","endpoint":"/chat","qs":""}"#,
            "1::/chat",
        ),
        (
            "1::/test:?test=1",
            r#"{"type":"connect","endpoint":"/test","qs":"?test=1"}"#,
            "1::/test:?test=1",
        ),
        ("2::", r#"{"type":"heartbeat","endpoint":""}"#, "2::"),
        (
            "3::",
            r#"{"type":"message","endpoint":"","data":""}"#,
            "3::",
        ),
        (
            "3:5:/tobi:multi:colon:data",
            r#"{"type":"message","endpoint":"/tobi","id":"5","ack":true,"data":"multi:colon:data"}"#,
            "3:5:/tobi:multi:colon:data",
        ),
        (
            "4:1+::{\"a\":\"b\"}",
            r#"{"type":"json","endpoint":"","id":"1","ack":"data","data":{"a":"b"}}"#,
            "4:1+::{\"a\":\"b\"}",
        ),
        (
            "4:::\"2\"",
            r#"{"type":"json","endpoint":"","data":"2"}"#,
            "4:::\"2\"",
        ),
        (
            "4:::{nope",
            r#"{"type":"json","endpoint":"","data":false}"#,
            "4:::false",
        ),
        (
            "5:1+::{\"name\":\"set\",\"args\":[]}",
            r#"{"type":"event","endpoint":"","id":"1","ack":"data","name":"set","args":[]}"#,
            "5:1+::{\"name\":\"set\"}",
        ),
        (
            "5:2+::{\"name\":\"echo\",\"args\":[\"t67tw6ps\"]}",
            r#"{"type":"event","endpoint":"","id":"2","ack":"data","name":"echo","args":["t67tw6ps"]}"#,
            "5:2+::{\"name\":\"echo\",\"args\":[\"t67tw6ps\"]}",
        ),
        (
            "5:7:/chat:{\"name\":\"edwald\",\"args\":[{\"a\":\"b\"},2,\"3\"]}",
            r#"{"type":"event","endpoint":"/chat","id":"7","ack":true,"name":"edwald","args":[{"a":"b"},2,"3"]}"#,
            "5:7:/chat:{\"name\":\"edwald\",\"args\":[{\"a\":\"b\"},2,\"3\"]}",
        ),
        (
            "6:::140",
            r#"{"type":"ack","endpoint":"","ackId":"140","args":[]}"#,
            "6:::140",
        ),
        (
            "6:::12+[\"woot\",\"wa\"]",
            r#"{"type":"ack","endpoint":"","ackId":"12","args":["woot","wa"]}"#,
            "6:::12+[\"woot\",\"wa\"]",
        ),
        (
            "6::/chat:1+",
            r#"{"type":"ack","endpoint":"/chat","ackId":"1","args":[]}"#,
            "6::/chat:1",
        ),
        (
            "7:::1+0",
            r#"{"type":"error","endpoint":"","reason":"client not handshaken","advice":"reconnect"}"#,
            "7:::1+0",
        ),
        (
            "7::/chat:2",
            r#"{"type":"error","endpoint":"/chat","reason":"unauthorized","advice":""}"#,
            "7::/chat:2",
        ),
        (
            "7::",
            r#"{"type":"error","endpoint":"","reason":"","advice":""}"#,
            "7::",
        ),
        ("8::", r#"{"type":"noop","endpoint":""}"#, "8::"),
    ];

    #[test]
    fn packet_objects_for_every_type() {
        for &(wire, object, canonical) in PACKETS {
            let p = packet::decode(wire).expect(wire);
            let po = PacketObject::from_packet(&p);
            assert_eq!(
                json::to_js_json(&Value::Object(po.0.clone())),
                object,
                "{wire}"
            );
            assert_eq!(po.to_packet_text().as_deref(), Ok(canonical), "{wire}");
            // What another node sends parses back to the same object.
            let parsed = PacketObject(obj(json::parse(object).expect("json")));
            assert_eq!(parsed, po);
            // The canonical text is itself stable.
            let again = PacketObject::from_packet(&packet::decode(canonical).expect("canon"));
            assert_eq!(again.to_packet_text().as_deref(), Ok(canonical));
        }
        let covered: Vec<char> = PACKETS
            .iter()
            .filter_map(|(w, _, _)| w.chars().next())
            .collect();
        for d in '0'..='8' {
            assert!(covered.contains(&d), "type {d} not covered");
        }
    }

    #[test]
    fn verified_packet_object_examples() {
        // PROTOCOL.md §6.4 (verified against the reference).
        let connect = packet::decode("1::/chat:").expect("connect");
        assert_eq!(
            json::to_js_json(&Value::Object(PacketObject::from_packet(&connect).0)),
            r#"{"type":"connect","endpoint":"/chat","qs":""}"#
        );
        let set = packet::decode(r#"5:1+::{"name":"set"}"#).expect("event");
        assert_eq!(
            json::to_js_json(&Value::Object(PacketObject::from_packet(&set).0)),
            r#"{"type":"event","endpoint":"","id":"1","ack":"data","name":"set","args":[]}"#
        );
    }

    fn text_of(object: &str) -> Result<String, WireError> {
        PacketObject(obj(json::parse(object).expect("json"))).to_packet_text()
    }

    #[test]
    fn packet_object_leniency() {
        let ok = [
            (r#"{"type":"connect"}"#, "1::"),
            (r#"{"type":"connect","endpoint":null,"qs":null}"#, "1::"),
            (r#"{"type":"message","endpoint":"/a"}"#, "3::/a"),
            (r#"{"type":"json","endpoint":""}"#, "4:::false"),
            (r#"{"type":"json","endpoint":"","data":null}"#, "4:::null"),
            (
                r#"{"type":"json","endpoint":"","data":{"big":1e21,"s":"\u2028"}}"#,
                "4:::{\"big\":1e+21,\"s\":\"\u{2028}\"}",
            ),
            (
                r#"{"type":"event","endpoint":"","name":"e"}"#,
                r#"5:::{"name":"e"}"#,
            ),
            (
                r#"{"type":"event","endpoint":"","name":"e","args":null}"#,
                r#"5:::{"name":"e"}"#,
            ),
            (
                r#"{"type":"event","endpoint":"","name":"e","args":5}"#,
                r#"5:::{"name":"e","args":[5]}"#,
            ),
            (
                r#"{"type":"event","endpoint":"","id":3,"ack":"data","name":"e"}"#,
                r#"5:3+::{"name":"e"}"#,
            ),
            (
                r#"{"type":"event","endpoint":"","id":"","ack":true,"name":"e"}"#,
                r#"5:::{"name":"e"}"#,
            ),
            (
                r#"{"type":"event","endpoint":"","id":"4","name":"e"}"#,
                r#"5:4::{"name":"e"}"#,
            ),
            (
                r#"{"endpoint":"","args":[],"name":"e\"q","type":"event","extra":1}"#,
                r#"5:::{"name":"e\"q"}"#,
            ),
            (r#"{"type":"ack","ackId":9}"#, "6:::9"),
            (r#"{"type":"ack","ackId":"9","args":"x"}"#, "6:::9"),
            (
                r#"{"type":"ack","ackId":"9","args":[null]}"#,
                "6:::9+[null]",
            ),
            (
                r#"{"type":"error","endpoint":"","reason":"bogus","advice":"reconnect"}"#,
                "7:::+0",
            ),
            (
                r#"{"type":"error","endpoint":"","reason":"transport not supported"}"#,
                "7:::0",
            ),
            (
                r#"{"type":"heartbeat","endpoint":"","id":"1","ack":true}"#,
                "2:1:",
            ),
        ];
        for (object, wire) in ok {
            assert_eq!(text_of(object).as_deref(), Ok(wire), "{object}");
            assert!(packet::decode(wire).is_ok(), "{wire}");
        }
        for object in [
            r#"{}"#,
            r#"{"type":"nope","endpoint":""}"#,
            r#"{"type":5,"endpoint":""}"#,
            r#"{"type":"Event","endpoint":""}"#,
            r#"{"type":"message","endpoint":"a:b","data":"x"}"#,
            r#"{"type":"message","endpoint":1}"#,
            r#"{"type":"message","endpoint":"","data":5}"#,
            r#"{"type":"connect","endpoint":"","qs":{}}"#,
            r#"{"type":"event","endpoint":""}"#,
            r#"{"type":"event","endpoint":"","name":null}"#,
            r#"{"type":"event","endpoint":"","id":"1x","name":"e"}"#,
            r#"{"type":"event","endpoint":"","id":"99999999999999999999","name":"e"}"#,
            r#"{"type":"event","endpoint":"","id":-1,"name":"e"}"#,
            r#"{"type":"event","endpoint":"","id":1.5,"name":"e"}"#,
            r#"{"type":"event","endpoint":"","id":[1],"name":"e"}"#,
            r#"{"type":"ack","endpoint":""}"#,
            r#"{"type":"ack","endpoint":"","ackId":""}"#,
            r#"{"type":"ack","endpoint":"","ackId":"+1"}"#,
        ] {
            assert!(
                matches!(text_of(object), Err(WireError::BadPacket(_))),
                "{object}"
            );
        }
    }

    #[test]
    fn message_remote_round_trip_through_packet_path() {
        let (_, m) = decode_foreign(Channel::MessageRemote, CAPTURED[16].1);
        let Message::MessageRemote { sid, packet: po } = m else {
            panic!("wrong message");
        };
        assert_eq!(sid, "GxGiGBq_xEhG2UhXXyhP");
        let text = po.to_packet_text().expect("text");
        assert_eq!(text, r#"5:2+::{"name":"echo","args":["t67tw6ps"]}"#);
        let p = packet::decode(&text).expect("decodes");
        assert_eq!(p.id, MessageId::Data(2));
        assert_eq!(PacketObject::from_packet(&p), po);
    }

    /// Every case of [`encode_value`]'s table: the JSON text a client sends, and the bytes
    /// redis@0.7.3 stored for `JSON.parse` of it (read back raw with `redis-cli`).
    const STORED_BY_0_9_19: &[(&str, &[u8])] = &[
        (r#""alice""#, b"alice"),
        (r#""""#, b""),
        (
            "\"h\u{e9}llo \u{2713} \u{1f600}\"",
            b"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80",
        ),
        (r#""a\u0000b""#, b"a\x00b"),
        (r#""line\r\nnext""#, b"line\r\nnext"),
        ("42", b"42"),
        ("-7", b"-7"),
        ("0", b"0"),
        ("-0", b"0"),
        ("-0.0", b"0"),
        ("1.5", b"1.5"),
        ("0.30000000000000004", b"0.30000000000000004"),
        ("1e21", b"1e+21"),
        ("1e20", b"100000000000000000000"),
        ("123456789012345678901", b"123456789012345680000"),
        ("12345678901234567890", b"12345678901234567000"),
        ("9007199254740993", b"9007199254740992"),
        ("1e-7", b"1e-7"),
        ("0.000001", b"0.000001"),
        ("-1.5e-10", b"-1.5e-10"),
        ("5e-324", b"5e-324"),
        ("1.7976931348623157e308", b"1.7976931348623157e+308"),
        ("true", b"true"),
        ("false", b"false"),
        ("null", b"null"),
        ("{}", b"[object Object]"),
        (r#"{"x":1}"#, b"[object Object]"),
        ("[]", b""),
        ("[1,2]", b"1,2"),
        ("[1,[2,[3,[]]]]", b"1,2,3,"),
        ("[null,1,null]", b",1,"),
        (r#"[{"a":1},2]"#, b"[object Object],2"),
        (r#"[true,"a,b",false]"#, b"true,a,b,false"),
        ("[[]]", b""),
        ("[[],[]]", b","),
        ("[null]", b""),
        ("[\"\u{e9}\",1.5,1e21]", b"\xc3\xa9,1.5,1e+21"),
        ("[[null,[null]],{}]", b",,[object Object]"),
    ];

    #[test]
    fn client_data_values_are_stored_as_0_9_19_stores_them() {
        for (text, stored) in STORED_BY_0_9_19 {
            let v = json::parse(text).expect("test JSON");
            let got = encode_value(&v);
            assert_eq!(got.as_bytes(), *stored, "String({text})");
            // and reading it back gives the stored text as a string, like 0.9.19's `get`
            assert_eq!(decode_value(got.as_bytes()), Value::String(got.clone()));
        }
        // Deep nesting costs no native stack.
        let mut v = Value::Array(vec![]);
        for _ in 0..100_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(encode_value(&v), "");
        let mut wide = Value::Array(vec![]);
        for i in 0..3 {
            wide = Value::Array(vec![wide, Value::from(i)]);
        }
        assert_eq!(encode_value(&wide), ",0,1,2");
        // serde_json drops deep values recursively; unwind them here instead.
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn client_data_reads_are_strings() {
        // What a reference node stored, read as the string it is (never as JSON).
        assert_eq!(decode_value(b"alice-5tdyazn4"), json!("alice-5tdyazn4"));
        assert_eq!(decode_value(b"[object Object]"), json!("[object Object]"));
        assert_eq!(decode_value(b"42"), json!("42"));
        assert_eq!(decode_value(b"null"), json!("null"));
        assert_eq!(decode_value(br#""alice""#), json!("\"alice\""));
        assert_eq!(decode_value(b""), json!(""));
        // Invalid UTF-8 as node_redis decodes it (verified: `a\xff\xfeb\xe2\x82c\xed\xa0\x80d`
        // read with redis@0.7.3 is `a��b�c���d`).
        assert_eq!(
            decode_value(b"a\xff\xfeb\xe2\x82c\xed\xa0\x80d"),
            json!("a\u{fffd}\u{fffd}b\u{fffd}c\u{fffd}\u{fffd}\u{fffd}d")
        );
    }

    /// `String(v)` written the obvious recursive way, to check the iterative one against.
    fn naive_js_string(v: &Value) -> String {
        match v {
            Value::Array(items) => items
                .iter()
                .map(|x| match x {
                    Value::Null => String::new(),
                    x => naive_js_string(x),
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::String(s) => s.clone(),
            Value::Object(_) => "[object Object]".to_owned(),
            other => json::to_js_json(other),
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 53)..(1i64 << 53)).prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((".{0,6}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn arb_packet_text() -> impl Strategy<Value = String> {
        let ep = prop_oneof![Just(String::new()), "/[a-z]{1,5}"];
        let id = prop_oneof![Just(String::new()), "[0-9]{1,4}", "[0-9]{1,4}\\+"];
        (0u8..9, id, ep, arb_json(), ".{0,10}").prop_map(|(t, id, ep, v, s)| {
            let data = match t {
                4 => json::to_js_json(&v),
                5 => {
                    let mut d = String::from(r#"{"name":"#);
                    json::write_js_string(&mut d, &s);
                    d.push_str(r#","args":["#);
                    write_value(&mut d, &v);
                    d.push_str("]}");
                    d
                }
                6 => format!("{}+[{}]", s.len(), json::to_js_json(&v)),
                7 => "1+0".into(),
                _ => s.replace(':', "_"),
            };
            format!("{t}:{id}:{ep}:{data}")
        })
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let s = || ".{0,12}";
        prop_oneof![
            (s(), prop::collection::vec((".{0,6}", arb_json()), 0..4)).prop_map(|(sid, kv)| {
                Message::Handshake {
                    sid,
                    data: kv.into_iter().collect(),
                }
            }),
            s().prop_map(|sid| Message::Connect { sid }),
            s().prop_map(|sid| Message::Open { sid }),
            s().prop_map(|sid| Message::Close { sid }),
            s().prop_map(|sid| Message::Disconnect { sid }),
            s().prop_map(|sid| Message::HeartbeatClear { sid }),
            s().prop_map(|sid| Message::DisconnectForce { sid }),
            (s(), s()).prop_map(|(sid, room)| Message::Join { sid, room }),
            (s(), s()).prop_map(|(sid, room)| Message::Leave { sid, room }),
            (s(), s(), any::<bool>(), prop::collection::vec(s(), 0..3)).prop_map(
                |(room, packet, volatile, exceptions)| Message::Dispatch {
                    room,
                    packet,
                    volatile,
                    exceptions
                }
            ),
            (s(), s(), any::<bool>()).prop_map(|(sid, packet, volatile)| {
                Message::DispatchRemote {
                    sid,
                    packet,
                    volatile,
                }
            }),
            (s(), arb_packet_text()).prop_map(|(sid, t)| Message::MessageRemote {
                sid,
                packet: PacketObject::from_packet(
                    &packet::decode(&t).unwrap_or_else(|_| Packet::new(Body::Noop))
                ),
            }),
            (s(), prop::option::of(s()))
                .prop_map(|(sid, reason)| Message::DisconnectRemote { sid, reason }),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256),
                                       own in any::<u32>()) {
            for c in Channel::ALL {
                let _ = decode(c, &bytes, own);
            }
            let _ = decode_value(&bytes);
        }

        #[test]
        fn arbitrary_envelopes_never_panic(node in arb_json(),
                                           args in prop::collection::vec(arb_json(), 0..5),
                                           own in any::<u32>()) {
            let mut env = Map::new();
            env.insert("nodeId".into(), node);
            env.insert("args".into(), Value::Array(args));
            let text = json::to_js_json(&Value::Object(env));
            for c in Channel::ALL {
                if let Ok(Some((_, Message::MessageRemote { packet, .. }))) =
                    decode(c, text.as_bytes(), own)
                {
                    if let Ok(t) = packet.to_packet_text() {
                        prop_assert!(packet::decode(&t).is_ok(), "{}", t);
                    }
                }
            }
        }

        #[test]
        fn arbitrary_packet_objects_never_panic(fields in prop::collection::vec(
            (prop_oneof![Just("type".to_owned()), Just("endpoint".to_owned()),
                         Just("id".to_owned()), Just("ack".to_owned()), Just("name".to_owned()),
                         Just("args".to_owned()), Just("ackId".to_owned()),
                         Just("data".to_owned()), Just("qs".to_owned()),
                         Just("reason".to_owned()), Just("advice".to_owned())],
             prop_oneof![arb_json(),
                         prop::sample::select(vec!["event", "ack", "json", "message",
                             "connect", "error", "disconnect", "heartbeat", "noop", "data",
                             "12", "/chat"]).prop_map(Value::from)]),
            0..8)) {
            let po = PacketObject(fields.into_iter().collect());
            if let Ok(t) = po.to_packet_text() {
                prop_assert!(packet::decode(&t).is_ok(), "{}", t);
            }
        }

        #[test]
        fn messages_round_trip(m in arb_message(), node in 1u32..0x7FFF_FFFF) {
            let text = encode(node, &m);
            let own = node ^ 1;
            let decoded = decode(m.channel(), text.as_bytes(), own);
            let Ok(Some((sender, back))) = decoded else {
                return Err(TestCaseError::fail(format!("{text}: {decoded:?}")));
            };
            prop_assert_eq!(sender, Value::from(node));
            prop_assert_eq!(back.channel(), m.channel());
            prop_assert_eq!(back.sid(), m.sid());
            // Same bytes again (`5.0` and `5` are one JavaScript number, so compare text).
            prop_assert_eq!(encode(node, &back), text.clone());
            // And the same as JSON.stringify of the parsed envelope.
            prop_assert_eq!(json::to_js_json(&json::parse(&text).expect("json")), text.clone());
            prop_assert_eq!(decode(m.channel(), text.as_bytes(), node), Ok(None));
        }

        #[test]
        fn packets_round_trip_through_objects(t in arb_packet_text()) {
            if let Ok(p) = packet::decode(&t) {
                let po = PacketObject::from_packet(&p);
                let text = po.to_packet_text().expect("from_packet objects convert back");
                let p2 = packet::decode(&text).expect("canonical text decodes");
                prop_assert_eq!(PacketObject::from_packet(&p2), po);
            }
        }

        #[test]
        fn client_values_are_javascript_strings(v in arb_json()) {
            let stored = encode_value(&v);
            prop_assert_eq!(&stored, &naive_js_string(&v));
            prop_assert_eq!(decode_value(stored.as_bytes()), Value::String(stored.clone()));
        }
    }
}
