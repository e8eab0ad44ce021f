//! `application/x-www-form-urlencoded` parsing with Node's `querystring` semantics.
//!
//! `+` becomes a space, `%XX` (two hex digits) becomes that byte, a `%` not followed by
//! two hex digits is kept literally, and the resulting bytes are read as lossy UTF-8.
//! This matches Node's `querystring.unescape` (which falls back to a byte-wise decode when
//! `decodeURIComponent` throws). Repeated keys collect into a JSON array. Empty pieces
//! (`a=1&&b=2`) are skipped, as in current Node.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// Most key/value pairs read from one query string or form body.
///
/// Node's `querystring.parse` stops at 1000 keys by default (`maxKeys`); the reference
/// inherits that, and it bounds the handshake-data object a client can make us build.
pub const MAX_QUERY_PAIRS: usize = 1000;

/// Decode one form component (`+` → space, `%XX`, lossy UTF-8).
///
/// Borrows when nothing needed decoding.
pub fn decode_component(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&c| hex_val(c));
                let lo = bytes.get(i + 2).and_then(|&c| hex_val(c));
                if let (Some(h), Some(l)) = (hi, lo) {
                    out.push(h << 4 | l);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The raw `(key, value)` pieces of a query, in order (at most [`MAX_QUERY_PAIRS`]).
fn pieces(q: &str) -> impl Iterator<Item = (&str, &str)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .take(MAX_QUERY_PAIRS)
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Parse a raw query (no leading `?`) into an object like Node's `querystring.parse`.
///
/// Keys keep the order of their first appearance; a key seen more than once maps to an
/// array of its values (in order).
pub fn parse_query(q: &str) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pieces(q) {
        let key = decode_component(k).into_owned();
        let val = Value::String(decode_component(v).into_owned());
        match map.get_mut(&key) {
            None => {
                map.insert(key, val);
            }
            Some(Value::Array(items)) => items.push(val),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, val]);
            }
        }
    }
    map
}

/// `String(querystring.parse(q)[key])` when the key is present.
///
/// A single occurrence gives its decoded value (borrowed when nothing needed decoding);
/// a repeated key gives its values joined with `,` — what the reference sees when it
/// concatenates or regex-tests the value (so `jsonp=1&jsonp=2` is `"1,2"`, not all digits).
pub fn query_get<'a>(q: &'a str, key: &str) -> Option<Cow<'a, str>> {
    let mut found: Option<Cow<'a, str>> = None;
    for (k, v) in pieces(q) {
        if decode_component(k) == key {
            let v = decode_component(v);
            found = Some(match found {
                None => v,
                Some(prev) => {
                    let mut joined = prev.into_owned();
                    joined.push(',');
                    joined.push_str(&v);
                    Cow::Owned(joined)
                }
            });
        }
    }
    found
}

/// Whether `key` is present in the query, even with an empty value (`?disconnect`).
pub fn query_has(q: &str, key: &str) -> bool {
    // Without a `%` escape, a key decodes to `key` only if `key` occurs literally (`+`
    // decodes to a space): most queries (`t=…`) are settled without decoding.
    // (A naive scan: queries are short, and a searcher costs more to set up than this.)
    let plain_key = !key.is_empty() && !key.contains(' ');
    if plain_key
        && memchr::memchr(b'%', q.as_bytes()).is_none()
        && !q.as_bytes().windows(key.len()).any(|w| w == key.as_bytes())
    {
        return false;
    }
    pieces(q).any(|(k, _)| decode_component(k) == key)
}

/// A field of a form-encoded request body (the jsonp-polling `d=` body, §3.6).
///
/// The body is read as lossy UTF-8 text first (the whole body at once, Q-39), then
/// parsed like a query; repeated fields are joined with `,` as in [`query_get`].
pub fn form_field(body: &[u8], key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    query_get(&text, key).map(Cow::into_owned)
}

/// Whether `s` is a JSONP callback index: matches `^\d+$` (§1.3).
pub fn is_jsonp_index(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn plus_and_percent() {
        let m = parse_query("a=b+c&x=%C3%A9&y=caf%c3%a9&sp=%20");
        assert_eq!(
            Value::Object(m),
            json!({"a": "b c", "x": "\u{e9}", "y": "caf\u{e9}", "sp": " "})
        );
        assert_eq!(decode_component("plain"), Cow::Borrowed("plain"));
        assert_eq!(decode_component("%2B"), "+");
    }

    #[test]
    fn repeated_keys_become_arrays_in_first_order() {
        let m = parse_query("t=1&a=1&b=2&a=3&a=4");
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"t":"1","a":["1","3","4"],"b":"2"}"#
        );
        assert_eq!(query_get("a=1&b=2&a=3", "a").as_deref(), Some("1,3"));
        assert_eq!(
            query_get("jsonp=1&jsonp=2", "jsonp").as_deref(),
            Some("1,2")
        );
    }

    #[test]
    fn bad_escapes_kept_literally() {
        let m = parse_query("a=%&b=%zz&c=%4&d=100%25&e=%ff");
        assert_eq!(
            Value::Object(m),
            json!({"a": "%", "b": "%zz", "c": "%4", "d": "100%", "e": "\u{fffd}"})
        );
    }

    #[test]
    fn empty_pieces_and_values() {
        let m = parse_query("a&&b=&=c&d=e=f");
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"a":"","b":"","":"c","d":"e=f"}"#
        );
        assert!(parse_query("").is_empty());
        assert!(query_has("t=1&disconnect", "disconnect"));
        assert!(query_has("disconnect=", "disconnect"));
        assert!(query_has("disconnect=1", "disconnect"));
        assert!(query_has("dis%63onnect", "disconnect"));
        assert!(!query_has("disconnected=1", "disconnect"));
        assert!(!query_has("", "disconnect"));
        assert_eq!(
            query_get("t=1&disconnect", "disconnect").as_deref(),
            Some("")
        );
        assert_eq!(query_get("t=1", "x"), None);
        assert!(matches!(query_get("i=3", "i"), Some(Cow::Borrowed("3"))));
    }

    #[test]
    fn form_bodies() {
        let body = b"d=%2211%3A%3A%3A%EF%BF%BD%22";
        assert_eq!(form_field(body, "d").as_deref(), Some("\"11:::\u{fffd}\""));
        assert_eq!(
            form_field(b"d=3%3A%3A%3Ahello+world", "d").as_deref(),
            Some("3:::hello world")
        );
        assert_eq!(form_field(b"x=1", "d"), None);
        assert_eq!(
            form_field("d=\u{e9}".as_bytes(), "d").as_deref(),
            Some("\u{e9}")
        );
    }

    #[test]
    fn jsonp_index() {
        assert!(is_jsonp_index("0"));
        assert!(is_jsonp_index("12"));
        assert!(!is_jsonp_index(""));
        assert!(!is_jsonp_index("1,2"));
        assert!(!is_jsonp_index("1a"));
        assert!(!is_jsonp_index("\u{661}"));
    }

    #[test]
    fn key_limit() {
        let q: String = (0..MAX_QUERY_PAIRS + 50)
            .map(|i| format!("k{i}=v&"))
            .collect();
        assert_eq!(parse_query(&q).len(), MAX_QUERY_PAIRS);
    }

    proptest! {
        #[test]
        fn parse_query_never_panics(s in "\\PC*") {
            let _ = parse_query(&s);
            let _ = query_get(&s, "a");
            let _ = query_has(&s, "a");
        }

        #[test]
        fn percent_heavy_never_panics(s in "[%a-fA-F0-9+=&\u{e9}]{0,64}") {
            let _ = parse_query(&s);
            let _ = form_field(s.as_bytes(), "d");
        }

        #[test]
        fn form_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = form_field(&b, "d");
        }
    }
}
