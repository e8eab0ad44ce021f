//! Handshake bodies and transport text wrappers (PROTOCOL.md §1.4–§1.7, §3.4, §3.6).
//! Bodies only: status lines and headers belong to the HTTP layer.

use super::js_number::js_number;
use super::json::{write_js_string_htmlfile, write_js_string_jsonp};

/// The handshake body `{sid}:{heartbeat timeout}:{close timeout}:{transports}` (§1.4).
///
/// A timeout that is `None`, zero or NaN (falsy in JavaScript) gives an empty field; others are
/// written as JavaScript writes numbers (`60`, `0.05`). Transports are joined by `,`. No trailing
/// newline. Example: `4d4f185e96a7b:60:60:websocket,htmlfile,xhr-polling,jsonp-polling`.
pub fn handshake_body(
    sid: &str,
    heartbeat_timeout: Option<f64>,
    close_timeout: Option<f64>,
    transports: &[&str],
) -> String {
    let mut out = String::with_capacity(sid.len() + 64);
    out.push_str(sid);
    for t in [heartbeat_timeout, close_timeout] {
        out.push(':');
        if let Some(v) = t.filter(|v| *v != 0.0 && !v.is_nan()) {
            js_number(v, &mut out);
        }
    }
    out.push(':');
    for (i, t) in transports.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(t);
    }
    out
}

/// Appends a JSONP call `io.j[{index}]("{text as JSON string}");` (§1.6, §3.6), escaping
/// U+2028/U+2029 as well. `index` must satisfy [`is_jsonp_index`] (the caller uses `0`
/// otherwise, per §3.6).
pub fn jsonp_wrap(index: &str, text: &str, out: &mut String) {
    out.reserve(text.len() + index.len() + 12);
    out.push_str("io.j[");
    out.push_str(index);
    out.push_str("](");
    write_js_string_jsonp(out, text);
    out.push_str(");");
}

/// A JSONP handshake failure `io.j[{index}](new Error("{message}"));` (§1.7). The message is
/// inserted verbatim: pass only the fixed texts (`handshake bad origin`, `handshake error`,
/// `handshake unauthorized`).
pub fn jsonp_error(index: &str, message: &str) -> String {
    let mut out = String::with_capacity(index.len() + message.len() + 24);
    out.push_str("io.j[");
    out.push_str(index);
    out.push_str("](new Error(\"");
    out.push_str(message);
    out.push_str("\"));");
    out
}

/// Whether `s` is a valid JSONP index (`^\d+$`: one or more ASCII digits).
pub fn is_jsonp_index(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// The first chunk of an htmlfile response (§3.4): 83 bytes of markup, then 173 spaces, 256
/// bytes in all.
pub const HTMLFILE_PREAMBLE: &str = concat!(
    "<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>",
    "                                                                                ",
    "                                                                                ",
    "             ",
);

/// Appends one htmlfile chunk body `<script>_("{text as JSON string}");</script>` with every `/`
/// written as `\/` (§3.4): e.g. `<script>_("1::\/chat");</script>`.
pub fn htmlfile_wrap(text: &str, out: &mut String) {
    out.reserve(text.len() + 24);
    out.push_str("<script>_(");
    write_js_string_htmlfile(out, text);
    out.push_str(");</script>");
}

/// Encodes 15 bytes (12 random + 3 counter bytes in the reference, §1.5) as a 20-character
/// session id: standard base64 with `/` → `_` and `+` → `-` (the URL-safe alphabet), no padding.
pub fn generate_sid_from(bytes: &[u8; 15]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(20);
    for chunk in bytes.chunks_exact(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ALPHABET[((n >> shift) & 0x3F) as usize]));
        }
    }
    out
}
