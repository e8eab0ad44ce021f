//! The routing decision of PROTOCOL.md §1.1/§1.2 for a string `resource` setting.
//!
//! Deviation (PROTOCOL.md Q-1): the resource prefix only matches at a `/`, `?` or
//! end-of-target boundary, so `/socket.iox/…` and `/socket.io.css` reach the
//! application instead of being answered `Welcome to socket.io.`.

/// The parts of a request target after the resource prefix (PROTOCOL.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// First path segment (the protocol version), when the path matches the pattern.
    pub protocol: Option<&'a str>,
    /// Second segment (the transport name); `None` when absent or empty.
    pub transport: Option<&'a str>,
    /// Third segment (the session id).
    pub sid: Option<&'a str>,
    /// The path part of the remainder (before `?`/`#`); what the static table is tested with.
    pub path: &'a str,
    /// The raw query, without the `?` (and without any `#fragment`).
    pub query: &'a str,
}

/// The remainder of `target` after the `resource` prefix, or `None` when the request is
/// not a socket.io request.
///
/// Matches only at a boundary: the remainder must be empty or begin with `/` or `?`
/// (a resource that itself ends in `/` is already at a boundary).
pub fn split_resource<'a>(target: &'a str, resource: &str) -> Option<&'a str> {
    let rest = target.strip_prefix(resource)?;
    if rest.is_empty() || resource.ends_with('/') || rest.starts_with(['/', '?']) {
        Some(rest)
    } else {
        None
    }
}

/// The raw query of a request target: after the first `?`, before any `#`; `""` when none.
///
/// Like Node's `url.parse`, a `#` before the `?` means there is no query.
pub fn target_query(target: &str) -> &str {
    let no_frag = target.split('#').next().unwrap_or("");
    match no_frag.split_once('?') {
        Some((_, q)) => q,
        None => "",
    }
}

/// Parse the remainder after the resource prefix (PROTOCOL.md §1.1).
///
/// The path is matched with the exact semantics of the reference's JavaScript regular
/// expression `^/([^/]+)/?([^/]+)?/?([^/]+)?/?$`; when it does not match (no leading
/// `/`, more than three segments, …) protocol, transport and sid are all `None`.
pub fn parse_target(rest: &str) -> Target<'_> {
    // Byte scans: targets are short, and `#`, `?` are ASCII (never inside a UTF-8 sequence).
    let b = rest.as_bytes();
    let frag = b.iter().position(|&c| c == b'#').unwrap_or(b.len());
    let no_frag = rest.get(..frag).unwrap_or("");
    let (path, query) = match no_frag.bytes().position(|c| c == b'?') {
        Some(i) => (
            no_frag.get(..i).unwrap_or(""),
            no_frag.get(i + 1..).unwrap_or(""),
        ),
        None => (no_frag, ""),
    };
    let [protocol, transport, sid] = match_segments(path).unwrap_or([None; 3]);
    Target {
        protocol,
        transport,
        sid,
        path,
        query,
    }
}

/// One step of the path pattern after the mandatory `/` and first group.
#[derive(Clone, Copy)]
enum Step {
    OptSlash,
    OptGroup(usize),
}

/// `/?([^/]+)?/?([^/]+)?/?` — the part of the pattern after `^/([^/]+)`.
const STEPS: [Step; 5] = [
    Step::OptSlash,
    Step::OptGroup(1),
    Step::OptSlash,
    Step::OptGroup(2),
    Step::OptSlash,
];

/// Match the §1.1 pattern, returning the three captures.
///
/// A backtracking search in the same order a JavaScript engine explores (optional parts
/// are tried present first). A group always takes a whole run of non-`/` characters:
/// taking a shorter run can never turn a failing match into a succeeding one (the
/// leftover characters would need a later group, and every step in between is
/// optional), so this yields the same captures as the regex with at most 2^5 paths.
fn match_segments(path: &str) -> Option<[Option<&str>; 3]> {
    let after = path.strip_prefix('/')?;
    if let Some(caps) = plain_segments(after) {
        return Some(caps);
    }
    let first_len = after.find('/').unwrap_or(after.len());
    if first_len == 0 {
        return None;
    }
    let mut caps = [after.get(..first_len), None, None];
    let rest = after.get(first_len..)?;
    if search(rest, &STEPS, &mut caps) {
        Some(caps)
    } else {
        None
    }
}

/// The common shapes without a search: one to three non-empty segments separated by
/// single slashes, with at most one trailing slash (`1/`, `1/xhr-polling/{sid}`, …). For
/// these the first path the regex explores (every optional part present) matches, so the
/// captures are simply the segments. Other shapes return `None` (use [`search`]).
fn plain_segments(after: &str) -> Option<[Option<&str>; 3]> {
    let body = after.strip_suffix('/').unwrap_or(after);
    let mut caps = [None; 3];
    let mut start = 0;
    let mut n = 0;
    for (i, c) in body
        .bytes()
        .enumerate()
        .chain(std::iter::once((body.len(), b'/')))
    {
        if c != b'/' {
            continue;
        }
        // `i` is at a `/` (ASCII) or the end: both are char boundaries.
        let seg = body.get(start..i).filter(|s| !s.is_empty())?;
        *caps.get_mut(n)? = Some(seg);
        n += 1;
        start = i + 1;
    }
    Some(caps)
}

fn search<'a>(input: &'a str, steps: &[Step], caps: &mut [Option<&'a str>; 3]) -> bool {
    let Some((step, more)) = steps.split_first() else {
        return input.is_empty();
    };
    match *step {
        Step::OptSlash => {
            if let Some(r) = input.strip_prefix('/') {
                if search(r, more, caps) {
                    return true;
                }
            }
            search(input, more, caps)
        }
        Step::OptGroup(i) => {
            let run = input.find('/').unwrap_or(input.len());
            if run > 0 {
                if let (Some(seg), Some(r)) = (input.get(..run), input.get(run..)) {
                    let saved = *caps;
                    if let Some(slot) = caps.get_mut(i) {
                        *slot = Some(seg);
                    }
                    if search(r, more, caps) {
                        return true;
                    }
                    *caps = saved;
                }
            }
            search(input, more, caps)
        }
    }
}

/// JavaScript whitespace and line terminators, as trimmed by `Number()`.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// JavaScript `Number(s)` for a string: trimmed decimal literal, `Infinity`, or
/// `0x`/`0o`/`0b` integer; `""` is 0; anything else is NaN.
pub fn js_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            if digits.is_empty() {
                return f64::NAN;
            }
            let mut v = 0.0f64;
            for c in digits.chars() {
                match c.to_digit(radix) {
                    Some(d) => v = v * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return v;
        }
    }
    let (sign, unsigned) = match t.strip_prefix('-') {
        Some(u) => (-1.0, u),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    if unsigned == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(unsigned) {
        return f64::NAN;
    }
    unsigned
        .parse::<f64>()
        .map(|v| sign * v)
        .unwrap_or(f64::NAN)
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: digits [. digits] [exp] | . digits [exp].
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = digits(&mut i);
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `Number(s) == 1` in JavaScript (`"1"`, `"1.0"`, `" 1"`, `"1e0"` …).
pub fn js_number_is_one(s: &str) -> bool {
    js_number(s) == 1.0
}

/// `Number(s)` is truthy in JavaScript: neither 0 nor NaN (`""` → 0 → falsy).
pub fn js_number_truthy(s: &str) -> bool {
    let n = js_number(s);
    n != 0.0 && !n.is_nan()
}

/// Where a plain (non-Upgrade) request goes (PROTOCOL.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// Not under the resource: the application's handler (or `Welcome` for `listen(port)`).
    NotOurs,
    /// A static client file; the path after the resource (no query).
    Static(&'a str),
    /// `200 Welcome to socket.io.`
    Welcome,
    /// `500 Protocol version not supported.`
    ProtocolUnsupported,
    /// A handshake (§1.4); any method.
    Handshake,
    /// A transport request (§1.9, §1.10, §1.16, §3).
    Transport {
        /// The transport segment; `""` when absent/empty (e.g. `/1//{sid}/?disconnect=1`).
        transport: &'a str,
        /// The session id; `""` for an Upgrade without one (unknown session).
        sid: &'a str,
    },
}

/// Route a plain HTTP request (§1.2 decision order).
///
/// `is_static` is asked about the path after the resource (without query) when the path
/// matches the §1.1 pattern, as in the reference; `browser_client` is the `browser client`
/// setting.
pub fn route<'a>(
    target: &'a str,
    resource: &str,
    is_static: impl Fn(&str) -> bool,
    browser_client: bool,
) -> Route<'a> {
    let Some(rest) = split_resource(target, resource) else {
        return Route::NotOurs;
    };
    let t = parse_target(rest);
    let Some(protocol) = t.protocol else {
        // No match of the pattern: no protocol, no transport, not static.
        return Route::Welcome;
    };
    let is_static_hit = is_static(t.path);
    if is_static_hit && browser_client {
        return Route::Static(t.path);
    }
    if is_static_hit || (t.transport.is_none() && !js_number_truthy(protocol)) {
        return Route::Welcome;
    }
    if !js_number_is_one(protocol) {
        return Route::ProtocolUnsupported;
    }
    match t.sid {
        Some(sid) => Route::Transport {
            transport: t.transport.unwrap_or(""),
            sid,
        },
        None => Route::Handshake,
    }
}

/// Route an HTTP Upgrade request (§1.2 last paragraph): `NotOurs` (destroy or leave it,
/// §4.12) or `Transport` with possibly empty transport and sid. The protocol segment is
/// not checked.
pub fn route_upgrade<'a>(target: &'a str, resource: &str) -> Route<'a> {
    match split_resource(target, resource) {
        None => Route::NotOurs,
        Some(rest) => {
            let t = parse_target(rest);
            Route::Transport {
                transport: t.transport.unwrap_or(""),
                sid: t.sid.unwrap_or(""),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RES: &str = "/socket.io";

    fn statics(p: &str) -> bool {
        matches!(
            p,
            "/socket.io.js"
                | "/static/flashsocket/WebSocketMain.swf"
                | "/static/flashsocket/WebSocketMainInsecure.swf"
        )
    }

    fn r(target: &str) -> Route<'_> {
        route(target, RES, statics, true)
    }

    fn segs(target: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
        let t = parse_target(split_resource(target, RES).unwrap());
        (t.protocol, t.transport, t.sid)
    }

    #[test]
    fn section_1_1_table() {
        assert_eq!(segs("/socket.io/1/?t=1345"), (Some("1"), None, None));
        assert_eq!(segs("/socket.io/1"), (Some("1"), None, None));
        assert_eq!(
            segs("/socket.io/1/xhr-polling/AbC?t=1"),
            (Some("1"), Some("xhr-polling"), Some("AbC"))
        );
        assert_eq!(
            segs("/socket.io/1/websocket/AbC"),
            (Some("1"), Some("websocket"), Some("AbC"))
        );
        assert_eq!(
            segs("/socket.io/1//AbC/?disconnect=1"),
            (Some("1"), None, Some("AbC"))
        );
        assert_eq!(
            segs("/socket.io/socket.io.js"),
            (Some("socket.io.js"), None, None)
        );
        assert_eq!(segs("/socket.io/a/b/c/d"), (None, None, None));
        assert_eq!(segs("/socket.io"), (None, None, None));
        assert_eq!(segs("/socket.io/"), (None, None, None));
        assert_eq!(segs("/socket.io//1"), (None, None, None));
        assert_eq!(segs("/socket.io/1/x//"), (Some("1"), Some("x"), None));
        assert_eq!(segs("/socket.io/1//x/y"), (None, None, None));
        assert_eq!(segs("/socket.io/1/x/y/"), (Some("1"), Some("x"), Some("y")));
        assert_eq!(segs("/socket.io/1/x/y//"), (None, None, None));
        assert_eq!(segs("/socket.io/1///"), (Some("1"), None, None));
        assert_eq!(segs("/socket.io/1////"), (None, None, None));
    }

    #[test]
    fn routes_of_1_1_and_1_8() {
        assert_eq!(r("/socket.io/1/?t=1345"), Route::Handshake);
        assert_eq!(r("/socket.io/1"), Route::Handshake);
        assert_eq!(r("/socket.io/1.0/"), Route::Handshake);
        assert_eq!(
            r("/socket.io/1/xhr-polling/AbC?t=1"),
            Route::Transport {
                transport: "xhr-polling",
                sid: "AbC"
            }
        );
        assert_eq!(
            r("/socket.io/1/websocket/AbC"),
            Route::Transport {
                transport: "websocket",
                sid: "AbC"
            }
        );
        assert_eq!(
            r("/socket.io/1//AbC/?disconnect=1"),
            Route::Transport {
                transport: "",
                sid: "AbC"
            }
        );
        assert_eq!(r("/socket.io/socket.io.js"), Route::Static("/socket.io.js"));
        assert_eq!(
            r("/socket.io/static/flashsocket/WebSocketMain.swf?x=1"),
            Route::Static("/static/flashsocket/WebSocketMain.swf")
        );
        assert_eq!(
            route("/socket.io/socket.io.js", RES, statics, false),
            Route::Welcome
        );
        // §1.8
        assert_eq!(r("/socket.io/2/"), Route::ProtocolUnsupported);
        assert_eq!(
            r("/socket.io/2/xhr-polling/AbC"),
            Route::ProtocolUnsupported
        );
        assert_eq!(r("/socket.io/foo/bar"), Route::ProtocolUnsupported);
        assert_eq!(r("/socket.io/0/xhr-polling"), Route::ProtocolUnsupported);
        assert_eq!(r("/socket.io/"), Route::Welcome);
        assert_eq!(r("/socket.io"), Route::Welcome);
        assert_eq!(r("/socket.io/0/"), Route::Welcome);
        assert_eq!(r("/socket.io/abc/"), Route::Welcome);
        assert_eq!(r("/socket.io/a/b/c/d"), Route::Welcome);
        assert_eq!(r("/socket.io/socket.io.min.js"), Route::Welcome);
        // A transport segment without sid is ignored: handshake.
        assert_eq!(r("/socket.io/1/xhr-polling"), Route::Handshake);
    }

    #[test]
    fn q1_boundaries() {
        assert_eq!(r("/socket.iox/1/"), Route::NotOurs);
        assert_eq!(r("/socket.io.css"), Route::NotOurs);
        assert_eq!(r("/other"), Route::NotOurs);
        assert_eq!(r("/"), Route::NotOurs);
        assert_eq!(r("/socket.io?x"), Route::Welcome);
        assert_eq!(split_resource("/socket.io?x", RES), Some("?x"));
        assert_eq!(split_resource("/socket.io", RES), Some(""));
        assert_eq!(split_resource("/socket.iox", RES), None);
        assert_eq!(split_resource("/sio/1/", "/sio/"), Some("1/"));
        assert_eq!(
            route_upgrade("/socket.iox/1/websocket/a", RES),
            Route::NotOurs
        );
    }

    #[test]
    fn upgrades() {
        assert_eq!(
            route_upgrade("/socket.io/1/websocket/AbC", RES),
            Route::Transport {
                transport: "websocket",
                sid: "AbC"
            }
        );
        assert_eq!(
            route_upgrade("/socket.io/2/websocket/AbC", RES),
            Route::Transport {
                transport: "websocket",
                sid: "AbC"
            }
        );
        assert_eq!(
            route_upgrade("/socket.io/1/websocket", RES),
            Route::Transport {
                transport: "websocket",
                sid: ""
            }
        );
        assert_eq!(
            route_upgrade("/socket.io", RES),
            Route::Transport {
                transport: "",
                sid: ""
            }
        );
    }

    #[test]
    fn query_and_fragment() {
        let t = parse_target("/1/xhr-polling/AbC?t=1&disconnect#frag");
        assert_eq!(t.query, "t=1&disconnect");
        assert_eq!(t.path, "/1/xhr-polling/AbC");
        let t = parse_target("/1#?x=1");
        assert_eq!(t.query, "");
        assert_eq!(t.protocol, Some("1"));
        assert_eq!(target_query("/socket.io/1/?t=1&a=b"), "t=1&a=b");
        assert_eq!(target_query("/socket.io/1/"), "");
        assert_eq!(target_query("/x?a?b"), "a?b");
    }

    #[test]
    fn js_numbers() {
        for one in [
            "1", "1.0", " 1", "1 ", "\t1\n", "+1", "1e0", "0.1e1", "0x1", "0b1", "0o1", "01", "1.",
        ] {
            assert!(js_number_is_one(one), "{one:?}");
        }
        for not_one in [
            "", "0", "2", "1a", "one", "NaN", "1/", "0x", "- 1", "Infinity", ".", "e1", "1e",
            "++1", "-0x1",
        ] {
            assert!(!js_number_is_one(not_one), "{not_one:?}");
        }
        assert!(!js_number_truthy(""));
        assert!(!js_number_truthy("0"));
        assert!(!js_number_truthy("0.0"));
        assert!(!js_number_truthy("-0"));
        assert!(!js_number_truthy("abc"));
        assert!(!js_number_truthy("socket.io.js"));
        assert!(js_number_truthy("2"));
        assert!(js_number_truthy("-Infinity"));
        assert!(js_number_truthy(".5"));
        assert_eq!(js_number("0x10"), 16.0);
        assert_eq!(js_number("\u{a0}\u{feff}3\u{3000}"), 3.0);
    }

    proptest! {
        #[test]
        fn route_never_panics(s in "\\PC*") {
            let _ = r(&s);
            let _ = route_upgrade(&s, RES);
            let _ = parse_target(&s);
            let _ = js_number(&s);
            let _ = r(&format!("/socket.io{s}"));
        }

        #[test]
        fn route_slashy_never_panics(s in "[/a1?#. ]{0,40}") {
            let _ = r(&format!("/socket.io{s}"));
            let _ = route_upgrade(&format!("/socket.io{s}"), RES);
        }
    }
}
