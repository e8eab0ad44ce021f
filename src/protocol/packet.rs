//! Packets: the nine types, their parts, and decoding (PROTOCOL.md §2.1–§2.7).
//!
//! Wire form: `type ":" [id ["+"]] ":" [endpoint] [":" data]`. Decoding is strict from the
//! first byte (PROTOCOL.md Q-11): the type is exactly one digit `0`–`8` followed by `:`, so
//! `:3:::hi`, `03:::x` and `9:5::x` are errors (the reference would skip the leading `:` or
//! auto-ack the unknown type). Callers drop packets that fail to decode.
//!
//! The encoders are defined in a sibling module and re-exported here.

use std::borrow::Cow;

pub use super::encode::{
    encode, encode_ack, encode_error, encode_event, encode_json, encode_message, encode_simple,
    encode_to_string,
};
use super::packet_data;

/// The error packet sent for a transport request naming an unknown or expired session:
/// reason `client not handshaken`, advice `reconnect` (PROTOCOL.md §1.10).
pub const NOT_HANDSHAKEN: &str = "7:::1+0";

/// The heartbeat packet (`2::`).
pub const HEARTBEAT: &str = "2::";

/// The noop packet (`8::`), which ends an idle long poll.
pub const NOOP: &str = "8::";

/// The main-namespace connect packet (`1::`).
pub const CONNECT: &str = "1::";

/// Packet type, by its wire digit (PROTOCOL.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: leave a namespace, or the whole session on the main namespace.
    Disconnect = 0,
    /// `1`: join a namespace (client may add a query string).
    Connect = 1,
    /// `2`: heartbeat.
    Heartbeat = 2,
    /// `3`: a plain text message.
    Message = 3,
    /// `4`: a JSON message.
    Json = 4,
    /// `5`: an event `{"name":…,"args":[…]}`.
    Event = 5,
    /// `6`: an acknowledgement.
    Ack = 6,
    /// `7`: an error (server → client).
    Error = 7,
    /// `8`: no operation (server → client).
    Noop = 8,
}

impl PacketType {
    /// The type for a wire digit byte (`b'0'`…`b'8'`).
    pub fn from_digit(d: u8) -> Option<PacketType> {
        Some(match d {
            b'0' => PacketType::Disconnect,
            b'1' => PacketType::Connect,
            b'2' => PacketType::Heartbeat,
            b'3' => PacketType::Message,
            b'4' => PacketType::Json,
            b'5' => PacketType::Event,
            b'6' => PacketType::Ack,
            b'7' => PacketType::Error,
            b'8' => PacketType::Noop,
            _ => return None,
        })
    }

    /// The wire digit (`'0'`…`'8'`).
    pub fn digit(self) -> char {
        char::from(b'0' + self as u8)
    }

    /// The reference's name for the type (`"disconnect"`, …, `"noop"`), for logs.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Disconnect => "disconnect",
            PacketType::Connect => "connect",
            PacketType::Heartbeat => "heartbeat",
            PacketType::Message => "message",
            PacketType::Json => "json",
            PacketType::Event => "event",
            PacketType::Ack => "ack",
            PacketType::Error => "error",
            PacketType::Noop => "noop",
        }
    }
}

/// The id part: none, "7" (automatic ack), "7+" (data ack). PROTOCOL.md §2.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageId {
    /// No id: no acknowledgement requested.
    None,
    /// `7`: the receiver's transport layer acks at once with `6:::7`, no arguments.
    Auto(u64),
    /// `7+`: the receiving application gets a callback and acks with data `6:::7+[…]`.
    Data(u64),
}

impl MessageId {
    /// The numeric id, if any.
    pub fn id(self) -> Option<u64> {
        match self {
            MessageId::None => None,
            MessageId::Auto(n) | MessageId::Data(n) => Some(n),
        }
    }
}

/// Error reasons (PROTOCOL.md §2.5), by wire index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorReason {
    /// `0`: transport not supported.
    TransportNotSupported = 0,
    /// `1`: client not handshaken.
    ClientNotHandshaken = 1,
    /// `2`: unauthorized.
    Unauthorized = 2,
}

impl ErrorReason {
    /// The reason for a wire index field (exactly `"0"`, `"1"` or `"2"`).
    pub fn from_field(s: &str) -> Option<ErrorReason> {
        match s {
            "0" => Some(ErrorReason::TransportNotSupported),
            "1" => Some(ErrorReason::ClientNotHandshaken),
            "2" => Some(ErrorReason::Unauthorized),
            _ => None,
        }
    }

    /// The reference's text for the reason (`"client not handshaken"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorReason::TransportNotSupported => "transport not supported",
            ErrorReason::ClientNotHandshaken => "client not handshaken",
            ErrorReason::Unauthorized => "unauthorized",
        }
    }
}

/// Error advice (PROTOCOL.md §2.5), by wire index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorAdvice {
    /// `0`: reconnect (the client disconnects and handshakes again).
    Reconnect = 0,
}

impl ErrorAdvice {
    /// The advice for a wire index field (exactly `"0"`).
    pub fn from_field(s: &str) -> Option<ErrorAdvice> {
        match s {
            "0" => Some(ErrorAdvice::Reconnect),
            _ => None,
        }
    }

    /// The reference's text for the advice (`"reconnect"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorAdvice::Reconnect => "reconnect",
        }
    }
}

/// A decoded packet borrowing from the input where it can.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet<'a> {
    /// The message id (ack request).
    pub id: MessageId,
    /// The namespace (`""` = main). Must not contain `:` when encoded.
    pub endpoint: Cow<'a, str>,
    /// The type and its data.
    pub body: Body<'a>,
}

/// A packet's type with its type-specific data.
#[derive(Debug, Clone, PartialEq)]
pub enum Body<'a> {
    /// `0`: no data.
    Disconnect,
    /// `1`: the query string the client added (`""` when none; e.g. `?a=b`).
    Connect {
        /// Raw query text after the third colon.
        query: Cow<'a, str>,
    },
    /// `2`: no data.
    Heartbeat,
    /// `3`: raw text (`""` when absent).
    Message {
        /// The message text.
        data: Cow<'a, str>,
    },
    /// `4`: JSON text as received. Decoding checks it; text that is not valid JSON is replaced
    /// by `false`, which is what the reference hands the application (PROTOCOL.md §2.7).
    Json {
        /// The JSON text.
        json: Cow<'a, str>,
    },
    /// `5`: an event.
    Event {
        /// The event name (decoded, not JSON).
        name: Cow<'a, str>,
        /// The arguments as JSON *array* text: `"[]"` when absent or falsy; a non-array value
        /// `x` becomes `[x]` (JavaScript `concat` semantics, PROTOCOL.md §2.6). Borrowed raw
        /// from the input in the common `{"name":"…","args":[…]}` shape, re-serialised in
        /// `JSON.stringify` form otherwise.
        args: Cow<'a, str>,
    },
    /// `6`: an acknowledgement of message `ack_id`.
    Ack {
        /// The id being acknowledged.
        ack_id: u64,
        /// JSON array text of the ack arguments (`6:::12+["a"]`), `None` for a bare `6:::12`.
        /// On decode, data after the id that is not a JSON array gives `Some("[]")`.
        args: Option<Cow<'a, str>>,
    },
    /// `7`: an error; unknown indices decode as `None`.
    Error {
        /// Why.
        reason: Option<ErrorReason>,
        /// What the client should do.
        advice: Option<ErrorAdvice>,
    },
    /// `8`: no data.
    Noop,
}

impl<'a> Packet<'a> {
    /// A packet on the main namespace without id.
    pub fn new(body: Body<'a>) -> Self {
        Packet {
            id: MessageId::None,
            endpoint: Cow::Borrowed(""),
            body,
        }
    }

    /// The same packet on `endpoint`.
    pub fn with_endpoint(mut self, endpoint: impl Into<Cow<'a, str>>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The same packet with message id `id`.
    pub fn with_id(mut self, id: MessageId) -> Self {
        self.id = id;
        self
    }
}

impl Packet<'_> {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        self.body.packet_type()
    }

    /// A copy that owns all its text.
    pub fn into_owned(self) -> Packet<'static> {
        Packet {
            id: self.id,
            endpoint: Cow::Owned(self.endpoint.into_owned()),
            body: self.body.into_owned(),
        }
    }
}

impl Body<'_> {
    /// The type of this body.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Body::Disconnect => PacketType::Disconnect,
            Body::Connect { .. } => PacketType::Connect,
            Body::Heartbeat => PacketType::Heartbeat,
            Body::Message { .. } => PacketType::Message,
            Body::Json { .. } => PacketType::Json,
            Body::Event { .. } => PacketType::Event,
            Body::Ack { .. } => PacketType::Ack,
            Body::Error { .. } => PacketType::Error,
            Body::Noop => PacketType::Noop,
        }
    }

    /// A copy that owns all its text.
    pub fn into_owned(self) -> Body<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        match self {
            Body::Disconnect => Body::Disconnect,
            Body::Connect { query } => Body::Connect { query: own(query) },
            Body::Heartbeat => Body::Heartbeat,
            Body::Message { data } => Body::Message { data: own(data) },
            Body::Json { json } => Body::Json { json: own(json) },
            Body::Event { name, args } => Body::Event {
                name: own(name),
                args: own(args),
            },
            Body::Ack { ack_id, args } => Body::Ack {
                ack_id,
                args: args.map(own),
            },
            Body::Error { reason, advice } => Body::Error { reason, advice },
            Body::Noop => Body::Noop,
        }
    }
}

/// Why a packet could not be decoded. The reference ignores such packets; so should callers.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer than two `:` (e.g. ``, `3`, `3:`).
    #[error("packet too short: expected `type:[id]:[endpoint][:data]`")]
    TooShort,
    /// The type field is not exactly one digit `0`–`8`.
    #[error("unknown packet type: expected one digit 0-8 followed by ':'")]
    UnknownType,
    /// The id field is not `digits`, `digits+` or empty, or does not fit in 64 bits.
    #[error(
        "bad message id: expected decimal digits (optionally followed by '+') that fit in 64 bits"
    )]
    BadId,
    /// Event data is not a JSON object with a string `name`.
    #[error("bad event data: expected a JSON object with a string \"name\"")]
    BadEventJson,
    /// Ack data does not start with a decimal ack id that fits in 64 bits.
    #[error("bad ack data: expected a decimal ack id that fits in 64 bits")]
    BadAckData,
}

/// Decodes one packet (PROTOCOL.md §2.7, strict ). Never panics.
pub fn decode(input: &str) -> Result<Packet<'_>, DecodeError> {
    let b = input.as_bytes();
    let ty = match b.first() {
        None => return Err(DecodeError::TooShort),
        Some(&d) => PacketType::from_digit(d).ok_or(DecodeError::UnknownType)?,
    };
    match b.get(1) {
        None => return Err(DecodeError::TooShort),
        Some(b':') => {}
        Some(_) => return Err(DecodeError::UnknownType),
    }
    // After "T:" (two ASCII bytes), so every split below is on a char boundary.
    let rest = input.get(2..).unwrap_or("");
    let colon2 = memchr::memchr(b':', rest.as_bytes()).ok_or(DecodeError::TooShort)?;
    let id = parse_id(rest.get(..colon2).unwrap_or(""))?;
    let rest = rest.get(colon2 + 1..).unwrap_or("");
    let (endpoint, data) = match memchr::memchr(b':', rest.as_bytes()) {
        Some(c) => (rest.get(..c).unwrap_or(""), rest.get(c + 1..).unwrap_or("")),
        None => (rest, ""),
    };
    let body = match ty {
        PacketType::Disconnect => Body::Disconnect,
        PacketType::Connect => Body::Connect {
            query: Cow::Borrowed(data),
        },
        PacketType::Heartbeat => Body::Heartbeat,
        PacketType::Message => Body::Message {
            data: Cow::Borrowed(data),
        },
        PacketType::Json => Body::Json {
            json: packet_data::decode_json(data),
        },
        PacketType::Event => {
            let (name, args) = packet_data::decode_event(data)?;
            Body::Event { name, args }
        }
        PacketType::Ack => {
            let (ack_id, args) = packet_data::decode_ack(data)?;
            Body::Ack { ack_id, args }
        }
        PacketType::Error => {
            let (reason, advice) = packet_data::decode_error(data);
            Body::Error { reason, advice }
        }
        PacketType::Noop => Body::Noop,
    };
    Ok(Packet {
        id,
        endpoint: Cow::Borrowed(endpoint),
        body,
    })
}

/// `""` → none; `"7"` → auto; `"7+"` → data. A lone `"+"` means no id (the reference's regex
/// allows it and ignores the `+` without digits).
fn parse_id(field: &str) -> Result<MessageId, DecodeError> {
    let (digits, data) = match field.strip_suffix('+') {
        Some(d) => (d, true),
        None => (field, false),
    };
    if digits.is_empty() {
        return Ok(MessageId::None);
    }
    let n = parse_u64(digits).ok_or(DecodeError::BadId)?;
    Ok(if data {
        MessageId::Data(n)
    } else {
        MessageId::Auto(n)
    })
}

/// Parses a non-empty run of ASCII digits; `None` for anything else or on overflow.
pub(crate) fn parse_u64(digits: &str) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}
