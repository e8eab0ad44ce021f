//! Decoding of the data part of json, event, ack and error packets (PROTOCOL.md §2.5–§2.7).

use std::borrow::Cow;

use serde_json::Value;

use super::json::{self, to_js_json, write_value};
use super::json_scan;
use super::packet::{parse_u64, DecodeError, ErrorAdvice, ErrorReason};

/// Json packet data: the text itself when valid JSON, else `false` (what `JSON.parse` failure
/// gives the application in the reference).
pub(crate) fn decode_json(data: &str) -> Cow<'_, str> {
    if json::is_valid(data) {
        Cow::Borrowed(data)
    } else {
        Cow::Borrowed("false")
    }
}

/// Event data → (name, args array text).
pub(crate) fn decode_event(data: &str) -> Result<(Cow<'_, str>, Cow<'_, str>), DecodeError> {
    match event_fast(data) {
        Some(r) => Ok(r),
        None => event_slow(data),
    }
}

/// The common shape `{"name":"…"}` / `{"name":"…","args":[…]}` exactly as `JSON.stringify`
/// writes it, with a name free of escapes: slices name and args from the input. Any doubt
/// (whitespace, other keys, escapes, odd numbers) → `None`, and the slow path decides.
fn event_fast(data: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let rest = data.strip_prefix(r#"{"name":""#)?;
    let q = memchr::memchr2(b'"', b'\\', rest.as_bytes())?;
    if rest.as_bytes().get(q) != Some(&b'"') {
        return None;
    }
    let name = rest.get(..q)?;
    if name.bytes().any(|c| c < 0x20) {
        return None;
    }
    let tail = rest.get(q + 1..)?;
    if tail == "}" {
        return Some((Cow::Borrowed(name), Cow::Borrowed("[]")));
    }
    let args = tail.strip_prefix(r#","args":"#)?;
    if !args.starts_with('[') {
        return None;
    }
    let scanned = json_scan::scan_value(args.as_bytes(), 0).ok()?;
    if scanned.risky || args.get(scanned.end..)? != "}" {
        return None;
    }
    Some((Cow::Borrowed(name), Cow::Borrowed(args.get(..scanned.end)?)))
}

/// Full parse: any JSON object with a string `name`.
fn event_slow(data: &str) -> Result<(Cow<'_, str>, Cow<'_, str>), DecodeError> {
    let Ok(Value::Object(mut obj)) = json::parse(data) else {
        return Err(DecodeError::BadEventJson);
    };
    let Some(Value::String(name)) = obj.swap_remove("name") else {
        return Err(DecodeError::BadEventJson);
    };
    let args = match obj.get("args") {
        None => Cow::Borrowed("[]"),
        Some(v) if is_falsy(v) => Cow::Borrowed("[]"),
        Some(v @ Value::Array(_)) => Cow::Owned(to_js_json(v)),
        Some(v) => {
            let mut s = String::from("[");
            write_value(&mut s, v);
            s.push(']');
            Cow::Owned(s)
        }
    };
    Ok((Cow::Owned(name), args))
}

/// JavaScript falsiness (`args || []`): null, false, 0, -0, "".
fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// Ack data `^([0-9]+)(\+)?(.*)` → (ack id, args).
///
/// - `12` → `None`; `12+` → `Some("[]")`;
/// - `12+[…]` (or `12[…]`, which the reference also reads) → the array text;
/// - anything after the id that is not a JSON array → `Some("[]")` (the reference uses `[]` when
///   `JSON.parse` fails; for a non-array value it would throw when applying the callback).
///
/// Unlike the reference, whose `.` stops at the first line terminator, the whole rest of the data
/// is parsed, so raw U+2028 inside a string argument does not lose the arguments.
pub(crate) fn decode_ack(data: &str) -> Result<(u64, Option<Cow<'_, str>>), DecodeError> {
    let digits_end = data
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(data.len());
    let ack_id = parse_u64(data.get(..digits_end).unwrap_or("")).ok_or(DecodeError::BadAckData)?;
    let rest = data.get(digits_end..).unwrap_or("");
    let (plus, rest) = match rest.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() {
        return Ok((ack_id, plus.then_some(Cow::Borrowed("[]"))));
    }
    let args = if json::is_array(rest) { rest } else { "[]" };
    Ok((ack_id, Some(Cow::Borrowed(args))))
}

/// Error data `[reason][+advice]`: fields split on `+`, unknown indices → `None`.
pub(crate) fn decode_error(data: &str) -> (Option<ErrorReason>, Option<ErrorAdvice>) {
    let mut fields = data.split('+');
    let reason = fields.next().and_then(ErrorReason::from_field);
    let advice = fields.next().and_then(ErrorAdvice::from_field);
    (reason, advice)
}
