//! The `origins` setting and its check (PROTOCOL.md §1.12).
//!
//! Array settings keep the reference's semantics exactly (element equality). A string
//! setting is split into tokens on whitespace and commas and matched token by token
//! (deviation Q-4: the reference does a substring test on the whole string, which lets
//! `ample.com:*` match `example.com:*`). Origins without a port are taken as port 80, even
//! for `https://` (Q-3, kept for compatibility).

use super::request::RequestHead;

/// The wildcard entry that allows every origin.
pub const ALLOW_ALL: &str = "*:*";

/// A parsed `origins` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    entries: Vec<String>,
}

impl Default for Origins {
    /// The default setting, `*:*`.
    fn default() -> Self {
        Origins {
            entries: vec![ALLOW_ALL.to_owned()],
        }
    }
}

impl Origins {
    /// Parse a string setting: tokens separated by whitespace and/or commas.
    pub fn parse(setting: &str) -> Origins {
        Origins {
            entries: setting
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// An array setting, entries taken verbatim.
    pub fn from_list(v: &[String]) -> Origins {
        Origins {
            entries: v.to_vec(),
        }
    }

    /// Whether the setting contains `*:*`.
    pub fn allows_all(&self) -> bool {
        self.contains(ALLOW_ALL)
    }

    /// The entries (`host:port` patterns), in setting order.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    fn contains(&self, s: &str) -> bool {
        self.entries.iter().any(|e| e == s)
    }

    /// The origin check of §1.12 for an `Origin`/`Referer`/`Sec-WebSocket-Origin` value.
    ///
    /// `None` or an empty value is "no origin" (denied unless `*:*`). The literal `null`
    /// becomes `*`, which has no host: like the reference it is then checked as host `null`,
    /// port 80 (so only `*:*`, `*:80`, `null:80` or `null:*` admit it).
    pub fn check(&self, value: Option<&str>) -> bool {
        if self.allows_all() {
            return true;
        }
        let value = match value {
            Some("null") => "*",
            Some(v) if !v.is_empty() => v,
            _ => return false,
        };
        let (host, port) = host_and_port(value);
        let host = host.unwrap_or_else(|| "null".to_owned());
        let port = port.unwrap_or("80");
        self.contains(&format!("{host}:{port}"))
            || self.contains(&format!("{host}:*"))
            || self.contains(&format!("*:{port}"))
    }
}

/// Hostname (lower-cased, IPv6 brackets removed) and port of a URL, the way Node's
/// legacy `url.parse` finds them for `scheme://[userinfo@]host[:port][/?#…]`.
///
/// Values without `scheme://` have no host (`None`), as with `url.parse`. An empty or
/// missing port is `None`. Checked against Node 20's `url.parse` for well-formed origins;
/// for malformed hosts (`http://h:1a`, `http://a:1:2`) Node truncates the hostname at the
/// first invalid character and we do not, so such junk is simply refused here.
fn host_and_port(value: &str) -> (Option<String>, Option<&str>) {
    let v = value.trim();
    let Some((scheme, rest)) = v.split_once("://") else {
        return (None, None);
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return (None, None);
    }
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or(authority);
    // `:[0-9]*$` is the port, as in `url.parse`.
    let digits_start = hostport
        .bytes()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let (host, port) = match hostport.get(..digits_start) {
        Some(h) if h.ends_with(':') => (
            h.get(..h.len().saturating_sub(1)).unwrap_or(""),
            hostport.get(digits_start..).filter(|p| !p.is_empty()),
        ),
        _ => (hostport, None),
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (Some(host.to_ascii_lowercase()), port)
}

/// The value the handshake checks (§1.12 step 1): the `Origin` header, else `Referer`
/// (empty values count as absent, as in the reference's `origin || referer`).
pub fn handshake_origin(head: &RequestHead) -> Option<&str> {
    head.header("origin")
        .filter(|v| !v.is_empty())
        .or_else(|| head.header("referer").filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::super::request::parse_head;
    use super::*;

    fn list(v: &[&str]) -> Origins {
        Origins::from_list(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn section_1_12_examples() {
        let o = list(&["example.com:*", "foo.org:8080"]);
        assert!(!o.allows_all());
        assert!(o.check(Some("http://example.com")));
        assert!(o.check(Some("https://example.com")));
        assert!(o.check(Some("http://foo.org:8080")));
        assert!(!o.check(Some("http://foo.org")));
        assert!(o.check(Some("http://example.com:3000/page")));
        assert!(!o.check(None));
        assert!(!o.check(Some("")));
        assert!(!o.check(Some("null")));
        assert!(!o.check(Some("http://ample.com")));
        assert!(o.check(Some("HTTP://EXAMPLE.COM:1")));
        assert!(o.check(Some("http://user:pw@example.com:1/x")));
    }

    #[test]
    fn default_allows_everything() {
        let o = Origins::default();
        assert!(o.allows_all());
        assert!(o.check(None));
        assert!(o.check(Some("null")));
        assert!(Origins::parse("*:*").check(Some("garbage")));
        assert_eq!(Origins::parse("a:1 *:*").entries(), ["a:1", "*:*"]);
    }

    #[test]
    fn string_setting_is_tokenised_q4() {
        let o = Origins::parse("good.example:*,other.example:8080");
        assert_eq!(o.entries(), ["good.example:*", "other.example:8080"]);
        assert!(o.check(Some("http://good.example:1234")));
        assert!(o.check(Some("http://other.example:8080")));
        // Accepted by the reference's substring test, refused here.
        assert!(!o.check(Some("http://other.example")));
        assert!(!o.check(Some("http://example:8080")));
        assert!(!o.check(Some("http://her.example:8080")));
        let o = Origins::parse("  example.com:*   foo.org:8080\n");
        assert!(o.check(Some("https://example.com")));
        assert!(!o.check(Some("http://ample.com")));
        assert!(Origins::parse("").entries().is_empty());
    }

    #[test]
    fn wildcard_ports_and_null() {
        let o = list(&["*:80"]);
        assert!(o.check(Some("http://anything.example")));
        assert!(o.check(Some("https://anything.example")));
        assert!(!o.check(Some("http://anything.example:81")));
        // `null` → `*` → no host, port 80: admitted by `*:80` as in the reference.
        assert!(o.check(Some("null")));
        assert!(list(&["null:*"]).check(Some("not a url")));
        let o = list(&["::1:3000", "localhost:*"]);
        assert!(o.check(Some("http://[::1]:3000")));
        assert!(o.check(Some("http://localhost:9")));
        assert!(!o.check(Some("localhost:9")));
    }

    #[test]
    fn handshake_origin_prefers_origin_then_referer() {
        let h = |s: &[u8]| parse_head(s).unwrap().unwrap();
        let a = h(
            b"GET / HTTP/1.1\r\nReferer: http://r.example/p\r\nOrigin: http://o.example\r\n\r\n",
        );
        assert_eq!(handshake_origin(&a), Some("http://o.example"));
        let b = h(b"GET / HTTP/1.1\r\nReferer: http://r.example/p\r\n\r\n");
        assert_eq!(handshake_origin(&b), Some("http://r.example/p"));
        let c = h(b"GET / HTTP/1.1\r\nOrigin: \r\nReferer: http://r.example/p\r\n\r\n");
        assert_eq!(handshake_origin(&c), Some("http://r.example/p"));
        let d = h(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(handshake_origin(&d), None);
        let e = h(b"GET / HTTP/1.1\r\nOrigin: null\r\n\r\n");
        assert_eq!(handshake_origin(&e), Some("null"));
        assert!(!list(&["example.com:*"]).check(handshake_origin(&e)));
        assert!(list(&["r.example:80"]).check(handshake_origin(&b)));
    }

    proptest::proptest! {
        #[test]
        fn check_never_panics(s in "\\PC*") {
            let _ = list(&["a:*", "*:1"]).check(Some(&s));
            let _ = Origins::parse(&s).check(Some("http://x"));
        }
    }
}
