//! The Flash socket policy file (PROTOCOL.md §3.3): the document built from the parsed
//! `origins`, and recognition of the inline `<policy-file-request/>\0` request.

/// The 23 bytes a Flash player sends to ask for the policy.
pub const POLICY_REQUEST: &[u8] = b"<policy-file-request/>\0";

/// What the first bytes of a connection say about an inline policy request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// The bytes so far are a proper prefix of the request: read more.
    NeedMore,
    /// A policy request.
    Policy,
    /// Something else (HTTP).
    Other,
}

/// Classify the first bytes received on a connection.
pub fn sniff(buf: &[u8]) -> Sniff {
    if buf.starts_with(POLICY_REQUEST) {
        Sniff::Policy
    } else if !buf.is_empty() && POLICY_REQUEST.starts_with(buf) {
        Sniff::NeedMore
    } else {
        Sniff::Other
    }
}

/// The policy document for `origins` entries (`host:port`, `*` wildcards); no trailing
/// NUL.
pub fn policy_document(origins: &[String]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><!DOCTYPE cross-domain-policy SYSTEM \"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd\"><cross-domain-policy>",
    );
    for o in origins {
        let (host, port) = o.split_once(':').unwrap_or((o.as_str(), "*"));
        s.push_str("<allow-access-from domain=\"");
        push_attr(&mut s, host);
        s.push_str("\" to-ports=\"");
        push_attr(&mut s, port);
        s.push_str("\"/>");
    }
    s.push_str("</cross-domain-policy>");
    s
}

fn push_attr(s: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '"' => s.push_str("&quot;"),
            '<' => s.push_str("&lt;"),
            '&' => s.push_str("&amp;"),
            c => s.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_listed_origins() {
        assert_eq!(
            policy_document(&["*:*".to_owned()]),
            "<?xml version=\"1.0\"?><!DOCTYPE cross-domain-policy SYSTEM \"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd\"><cross-domain-policy><allow-access-from domain=\"*\" to-ports=\"*\"/></cross-domain-policy>"
        );
        let d = policy_document(&["example.com:80".to_owned(), "*:8080".to_owned()]);
        assert!(d.contains("<allow-access-from domain=\"example.com\" to-ports=\"80\"/><allow-access-from domain=\"*\" to-ports=\"8080\"/>"));
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"<policy"), Sniff::NeedMore);
        assert_eq!(sniff(POLICY_REQUEST), Sniff::Policy);
        assert_eq!(sniff(b"GET / HTTP/1.1"), Sniff::Other);
        assert_eq!(sniff(b""), Sniff::Other);
    }
}
