//! JSON text exactly as JavaScript's `JSON.stringify` writes it (PROTOCOL.md §2.9), and JSON
//! parsing guarded against hostile input.
//!
//! Output rules: no insignificant whitespace, object keys in insertion order (serde_json is built
//! with `preserve_order`), strings escaped like `JSON.stringify` (`\"`, `\\`, `\b`, `\t`, `\n`,
//! `\f`, `\r`, other controls as lower-case `\u00xx`, everything else raw), numbers in
//! JavaScript's shortest form (`2`, not `2.0`; `1e+21`; integers beyond 2^53 rounded like a
//! JavaScript number would be).
//!
//! Parsing: a strict scanner checks the text first (no allocation, no recursion, nesting limited
//! to [`MAX_DEPTH`]); then simd-json builds the value (integers beyond 64 bits, which simd-json
//! refuses, are re-read as doubles, like `JSON.parse` does). Differences from `JSON.parse`, all on
//! input no JavaScript client produces by `JSON.stringify`: nesting deeper than [`MAX_DEPTH`] is
//! refused; escaped lone surrogates (`"\ud800"`) are refused (a Rust string cannot hold them);
//! numbers beyond the `f64` range (`1e400`) are refused instead of becoming `Infinity`.

use std::borrow::Cow;

use serde_json::Value;

use super::js_number::{write_u64, MAX_SAFE};
use super::json_scan::{self, ScanError};

pub use super::js_number::js_number;

/// Deepest nesting of arrays and objects that [`parse`] and [`is_valid`] accept.
pub const MAX_DEPTH: usize = json_scan::MAX_DEPTH;

/// Why a text could not be parsed as JSON.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum JsonError {
    /// The text is not JSON; the byte offset where it went wrong.
    #[error("invalid JSON at byte {0}")]
    Syntax(usize),
    /// Arrays/objects nested deeper than [`MAX_DEPTH`].
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Well-formed, but a value is out of range (e.g. the number `1e400`).
    #[error("JSON value out of range: {0}")]
    OutOfRange(String),
    /// Well-formed JSON of the wrong kind (e.g. not a string where a string literal was needed).
    #[error("unexpected JSON value: {0}")]
    WrongKind(&'static str),
}

impl From<ScanError> for JsonError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::Syntax(at) => JsonError::Syntax(at),
            ScanError::TooDeep => JsonError::TooDeep,
        }
    }
}

/// Which extra characters a string literal escapes beyond `JSON.stringify`'s own set.
#[derive(Clone, Copy)]
enum Extra {
    /// Plain `JSON.stringify`.
    None,
    /// Also U+2028/U+2029 as `\u2028`/`\u2029` (JSONP, PROTOCOL.md Q-22).
    LineSeparators,
    /// Also `/` as `\/` (htmlfile, PROTOCOL.md §3.4).
    Slash,
}

/// Bytes that may need escaping, per mode.
const fn table(slash: bool, e2: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    if slash {
        t[b'/' as usize] = true;
    }
    if e2 {
        // First byte of U+2028 / U+2029 (E2 80 A8 / E2 80 A9).
        t[0xE2] = true;
    }
    t
}

static PLAIN: [bool; 256] = table(false, false);
static JSONP: [bool; 256] = table(false, true);
static HTML: [bool; 256] = table(true, false);

const HEX: &[u8; 16] = b"0123456789abcdef";

fn write_quoted(out: &mut String, s: &str, extra: Extra) {
    let table = match extra {
        Extra::None => &PLAIN,
        Extra::LineSeparators => &JSONP,
        Extra::Slash => &HTML,
    };
    out.reserve(s.len() + 2);
    out.push('"');
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if !table[c as usize] {
            i += 1;
            continue;
        }
        let mut unicode = [b'\\', b'u', b'0', b'0', b'0', b'0'];
        let (escape, consumed): (&[u8], usize) = match c {
            b'"' => (br#"\""#, 1),
            b'\\' => (br"\\", 1),
            b'/' => (br"\/", 1),
            0x08 => (br"\b", 1),
            0x09 => (br"\t", 1),
            0x0A => (br"\n", 1),
            0x0C => (br"\f", 1),
            0x0D => (br"\r", 1),
            0xE2 => match (b.get(i + 1), b.get(i + 2)) {
                (Some(0x80), Some(0xA8)) => (br"\u2028", 3),
                (Some(0x80), Some(0xA9)) => (br"\u2029", 3),
                _ => {
                    i += 1;
                    continue;
                }
            },
            _ => {
                unicode[4] = HEX[usize::from(c >> 4)];
                unicode[5] = HEX[usize::from(c & 0xF)];
                (&unicode[..], 1)
            }
        };
        // `i` is at an ASCII byte or a UTF-8 lead byte, so both slices are on char boundaries.
        out.push_str(s.get(start..i).unwrap_or(""));
        for &e in escape {
            out.push(e as char);
        }
        i += consumed;
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// Appends `s` as a JSON string literal, byte-identical to `JSON.stringify(s)`.
pub fn write_js_string(out: &mut String, s: &str) {
    write_quoted(out, s, Extra::None);
}

/// Like [`write_js_string`], but also escapes U+2028 and U+2029 as `\u2028` / `\u2029`, so the
/// literal is valid in pre-2019 JavaScript engines (JSONP responses, PROTOCOL.md Q-22).
pub fn write_js_string_jsonp(out: &mut String, s: &str) {
    write_quoted(out, s, Extra::LineSeparators);
}

/// Like [`write_js_string`], but with every `/` written as `\/`, which is what the htmlfile
/// transport sends: `JSON.stringify(s).replace(/\//g, '\\/')` (PROTOCOL.md §3.4).
pub fn write_js_string_htmlfile(out: &mut String, s: &str) {
    write_quoted(out, s, Extra::Slash);
}

/// Appends `JSON.stringify(v)`: keys in insertion order, numbers in JavaScript form.
///
/// Integers up to 2^53 in magnitude print exactly; larger ones print as the nearest `f64` does in
/// JavaScript (`18446744073709551615` → `18446744073709552000`), since that is the value a
/// JavaScript peer would see.
pub fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u <= MAX_SAFE {
                    write_u64(out, u);
                } else {
                    js_number(u as f64, out);
                }
            } else if let Some(i) = n.as_i64() {
                // `as_u64` failed, so `i` is negative.
                if i.unsigned_abs() <= MAX_SAFE {
                    out.push('-');
                    write_u64(out, i.unsigned_abs());
                } else {
                    js_number(i as f64, out);
                }
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() => js_number(f, out),
                    _ => out.push_str("null"),
                }
            }
        }
        Value::String(s) => write_js_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js_string(out, k);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// `JSON.stringify(v)` as a new string (see [`write_value`]).
pub fn to_js_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

/// Parses JSON text (leading/trailing whitespace allowed). See the module notes for the few
/// differences from JavaScript's `JSON.parse`.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    json_scan::validate(text.as_bytes())?;
    build(text)
}

/// Builds the value of a text the scanner accepted.
fn build(text: &str) -> Result<Value, JsonError> {
    let mut bytes = text.as_bytes().to_vec();
    match simd_json::serde::from_slice::<Value>(&mut bytes) {
        Ok(v) => Ok(v),
        Err(first) => {
            // simd-json refuses integers beyond 64 bits, which JSON.parse reads as doubles.
            // Written as `digits.0` they take simd-json's (correctly rounded) float path.
            let mut patched = float_big_integers(text).into_bytes();
            simd_json::serde::from_slice::<Value>(&mut patched)
                .map_err(|_| JsonError::OutOfRange(first.to_string()))
        }
    }
}

/// Appends `.0` to every plain integer of more than 18 digits in scanner-valid JSON text.
fn float_big_integers(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                i += 1;
                while let Some(&c) = b.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                let mut plain = true;
                while let Some(&c) = b.get(i) {
                    match c {
                        b'0'..=b'9' | b'-' | b'+' => {}
                        b'.' | b'e' | b'E' => plain = false,
                        _ => break,
                    }
                    i += 1;
                }
                let digits = b
                    .get(start..i)
                    .map_or(0, |t| t.iter().filter(|c| c.is_ascii_digit()).count());
                if plain && digits > 18 {
                    out.push_str(text.get(copied..i).unwrap_or(""));
                    out.push_str(".0");
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// Whether [`parse`] would succeed. Needs no allocation unless the text holds an unusual number.
pub fn is_valid(text: &str) -> bool {
    match json_scan::validate(text.as_bytes()) {
        Ok(s) if s.risky => build(text).is_ok(),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Whether `text` is a JSON array (optionally surrounded by whitespace) that [`parse`] accepts.
pub fn is_array(text: &str) -> bool {
    let b = text.as_bytes();
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
    matches!(start.and_then(|i| b.get(i)), Some(b'[')) && is_valid(text)
}

/// Parses a JSON *string literal* (e.g. the `d` field of a jsonp-polling POST, PROTOCOL.md §3.6)
/// into its text. Borrows from `text` when the literal has no escapes.
pub fn parse_string_literal(text: &str) -> Result<Cow<'_, str>, JsonError> {
    json_scan::validate(text.as_bytes())?;
    let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let inner = trimmed
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or(JsonError::WrongKind("expected a JSON string"))?;
    if !inner.contains('\\') {
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(trimmed)
        .map(Cow::Owned)
        .map_err(|e| JsonError::OutOfRange(e.to_string()))
}
