//! Packet encoding, byte-exact per PROTOCOL.md §2.3. Every function appends to `out`.
//!
//! The fast encoders (`encode_event`, `encode_ack`, …) build no [`Packet`]; [`encode`] dispatches
//! to the same code, so both give identical bytes. Endpoints must not contain `:` (the wire
//! cannot represent it); the encoders do not check.

use super::js_number::write_u64;
use super::json::write_js_string;
use super::packet::{Body, ErrorAdvice, ErrorReason, MessageId, Packet, PacketType};

/// `T:{id}:{endpoint}` — the part every packet has.
fn write_head(out: &mut String, t: PacketType, id: MessageId, endpoint: &str) {
    out.push(t.digit());
    out.push(':');
    match id {
        MessageId::None => {}
        MessageId::Auto(n) => write_u64(out, n),
        MessageId::Data(n) => {
            write_u64(out, n);
            out.push('+');
        }
    }
    out.push(':');
    out.push_str(endpoint);
}

/// Whether `args_json` means "no arguments": empty, or `[]` (whitespace allowed inside).
fn is_empty_args(args_json: &str) -> bool {
    let t = args_json.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    t.is_empty()
        || t.strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .is_some_and(|inner| {
                inner
                    .bytes()
                    .all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            })
}

/// Encodes `p` (PROTOCOL.md §2.3) onto `out`.
pub fn encode(p: &Packet<'_>, out: &mut String) {
    let e = &p.endpoint;
    match &p.body {
        Body::Disconnect | Body::Heartbeat | Body::Noop => {
            write_head(out, p.packet_type(), p.id, e);
        }
        Body::Connect { query } => {
            out.reserve(4 + e.len() + query.len());
            write_head(out, PacketType::Connect, p.id, e);
            if !query.is_empty() {
                out.push(':');
                out.push_str(query);
            }
        }
        Body::Message { data } => encode_message(out, p.id, e, data),
        Body::Json { json } => encode_json(out, p.id, e, json),
        Body::Event { name, args } => encode_event(out, p.id, e, name, args),
        Body::Ack { ack_id, args } => write_ack(out, p.id, e, *ack_id, args.as_deref()),
        Body::Error { reason, advice } => write_error(out, p.id, e, *reason, *advice),
    }
}

/// Encodes `p` into a new string.
pub fn encode_to_string(p: &Packet<'_>) -> String {
    let mut out = String::new();
    encode(p, &mut out);
    out
}

/// Event: `5:{id}:{endpoint}:{"name":…,"args":[…]}`. `args_json` is JSON array text written
/// as is; `""` or `[]` omits the `args` key (`5:::{"name":"woot"}`). Server emits with a callback
/// must use [`MessageId::Data`] (PROTOCOL.md §2.4, Q-31).
pub fn encode_event(out: &mut String, id: MessageId, endpoint: &str, name: &str, args_json: &str) {
    out.reserve(30 + endpoint.len() + name.len() + args_json.len());
    write_head(out, PacketType::Event, id, endpoint);
    out.push_str(r#":{"name":"#);
    write_js_string(out, name);
    if !is_empty_args(args_json) {
        out.push_str(r#","args":"#);
        out.push_str(args_json);
    }
    out.push('}');
}

/// Ack: `6::{endpoint}:{ack_id}` for `None`, `6::{endpoint}:{ack_id}+{args}` otherwise
/// (`Some("[]")` writes `+[]`). The server never sets an id on acks.
pub fn encode_ack(out: &mut String, endpoint: &str, ack_id: u64, args_json: Option<&str>) {
    write_ack(out, MessageId::None, endpoint, ack_id, args_json);
}

fn write_ack(out: &mut String, id: MessageId, endpoint: &str, ack_id: u64, args: Option<&str>) {
    out.reserve(26 + endpoint.len() + args.map_or(0, str::len));
    write_head(out, PacketType::Ack, id, endpoint);
    out.push(':');
    write_u64(out, ack_id);
    if let Some(a) = args {
        out.push('+');
        out.push_str(a);
    }
}

/// Message: `3:{id}:{endpoint}:{text}`; the data part is omitted for empty text (`3::`).
pub fn encode_message(out: &mut String, id: MessageId, endpoint: &str, text: &str) {
    out.reserve(26 + endpoint.len() + text.len());
    write_head(out, PacketType::Message, id, endpoint);
    if !text.is_empty() {
        out.push(':');
        out.push_str(text);
    }
}

/// Json: `4:{id}:{endpoint}:{json}` (`json` is JSON text, e.g. produced by
/// [`super::json::to_js_json`]).
pub fn encode_json(out: &mut String, id: MessageId, endpoint: &str, json: &str) {
    out.reserve(26 + endpoint.len() + json.len());
    write_head(out, PacketType::Json, id, endpoint);
    out.push(':');
    out.push_str(json);
}

/// A packet without id or data: `0::/chat`, `1::`, `2::`, `8::`.
pub fn encode_simple(out: &mut String, t: PacketType, endpoint: &str) {
    write_head(out, t, MessageId::None, endpoint);
}

/// Error: `7::{endpoint}[:{reason}[+{advice}]]` — `7:::1+0`, `7::/chat:2`, `7::`, `7:::+0`.
/// For a namespace authorization *error* send reason `Unauthorized` (PROTOCOL.md Q-8).
pub fn encode_error(
    out: &mut String,
    endpoint: &str,
    reason: Option<ErrorReason>,
    advice: Option<ErrorAdvice>,
) {
    write_error(out, MessageId::None, endpoint, reason, advice);
}

fn write_error(
    out: &mut String,
    id: MessageId,
    endpoint: &str,
    reason: Option<ErrorReason>,
    advice: Option<ErrorAdvice>,
) {
    write_head(out, PacketType::Error, id, endpoint);
    if reason.is_none() && advice.is_none() {
        return;
    }
    out.push(':');
    if let Some(r) = reason {
        out.push(char::from(b'0' + r as u8));
    }
    if let Some(a) = advice {
        out.push('+');
        out.push(char::from(b'0' + a as u8));
    }
}
