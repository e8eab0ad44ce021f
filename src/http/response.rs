//! Byte-exact response heads and bodies (PROTOCOL.md §1.4–§1.10, §1.16, §3.7, §3.8).
//!
//! Every builder appends one complete HTTP/1.1 response to `out`. Bodies always get a
//! `Content-Length` (except 1xx/204/304, which must not have one); `keep_alive == false`
//! adds `Connection: close`. Node's incidental `Date`/`Connection: keep-alive` headers are
//! not reproduced (§3.8 says they need not match).

use super::request::HeadError;

/// `Welcome to socket.io.` (§1.2 step 3, §1.8).
pub const WELCOME_BODY: &str = "Welcome to socket.io.";
/// `Protocol version not supported.` (§1.8).
pub const PROTOCOL_UNSUPPORTED_BODY: &str = "Protocol version not supported.";
/// Content type of handshake answers and handshake failures.
pub const TEXT_PLAIN: &str = "text/plain";
/// Content type of polling GET and POST answers.
pub const TEXT_PLAIN_UTF8: &str = "text/plain; charset=UTF-8";
/// Content type of JSONP handshake answers.
pub const APPLICATION_JAVASCRIPT: &str = "application/javascript";

/// The CORS echo of §1.11 for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cors<'a> {
    /// `Some(origin)` when the request had a (non-empty) `Origin` header.
    pub origin: Option<&'a str>,
}

impl<'a> Cors<'a> {
    /// The two CORS headers, or `None` when there is no origin to echo.
    pub fn headers(&self) -> Option<[(&'static str, &'a str); 2]> {
        self.origin.map(cors_headers)
    }
}

/// `Access-Control-Allow-Origin: {origin}` and `Access-Control-Allow-Credentials: true`.
pub fn cors_headers(origin: &str) -> [(&'static str, &str); 2] {
    [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
    ]
}

/// The reason phrase for a status code (`""` for unknown codes).
pub fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Statuses that never carry a body or a `Content-Length` (RFC 9110 §8.6).
fn bodiless(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// A header line is written only if it cannot break the framing.
fn safe(s: &str) -> bool {
    !s.bytes().any(|b| b == b'\r' || b == b'\n')
}

/// `n` in decimal, without going through a `String`.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        // `n % 10` is below 10: the cast and the addition cannot overflow.
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or(&[]));
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    if safe(name) && safe(value) && !name.is_empty() {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Append a response head: status line, `Content-Type` (if any), `Content-Length` (if
/// given), `extra_headers` in order, `Connection: close` when `!keep_alive`, blank line.
///
/// Use directly for `HEAD` answers (length of the body that a GET would get) and for
/// streaming heads (`content_length: None`, with the caller's `Transfer-Encoding`).
/// Extra `Content-Length` headers are dropped (the length is ours to state), as is an
/// extra `Connection` header when `!keep_alive`; headers containing CR or LF are dropped.
pub fn write_head(
    out: &mut Vec<u8>,
    status: u16,
    content_type: Option<&str>,
    extra_headers: &[(&str, &str)],
    content_length: Option<usize>,
    keep_alive: bool,
) {
    out.reserve(128 + extra_headers.len() * 48);
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason(status).as_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(ct) = content_type {
        push_header(out, "Content-Type", ct);
    }
    if let Some(len) = content_length {
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, len as u64);
        out.extend_from_slice(b"\r\n");
    }
    for &(name, value) in extra_headers {
        if name.eq_ignore_ascii_case("content-length")
            || (!keep_alive && name.eq_ignore_ascii_case("connection"))
        {
            continue;
        }
        push_header(out, name, value);
    }
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Append a complete response with `Content-Length` (see [`write_head`] for the header
/// order). For 1xx/204/304 neither length nor body is written.
pub fn write_response(
    out: &mut Vec<u8>,
    status: u16,
    content_type: Option<&str>,
    extra_headers: &[(&str, &str)],
    body: &[u8],
    keep_alive: bool,
) {
    if bodiless(status) {
        write_head(out, status, content_type, extra_headers, None, keep_alive);
    } else {
        write_head(
            out,
            status,
            content_type,
            extra_headers,
            Some(body.len()),
            keep_alive,
        );
        out.extend_from_slice(body);
    }
}

/// `200`, no Content-Type, `Welcome to socket.io.`
pub fn welcome(out: &mut Vec<u8>, keep_alive: bool) {
    write_response(out, 200, None, &[], WELCOME_BODY.as_bytes(), keep_alive);
}

/// `500`, no Content-Type, `Protocol version not supported.`
pub fn protocol_unsupported(out: &mut Vec<u8>, keep_alive: bool) {
    write_response(
        out,
        500,
        None,
        &[],
        PROTOCOL_UNSUPPORTED_BODY.as_bytes(),
        keep_alive,
    );
}

/// Successful handshake (§1.4): `200`, `text/plain`, CORS when `origin` is given; `body`
/// is `{sid}:{hb}:{ct}:{transports}`.
pub fn handshake_ok(out: &mut Vec<u8>, body: &str, origin: Option<&str>, keep_alive: bool) {
    let cors = Cors { origin }.headers();
    let extra: &[(&str, &str)] = match &cors {
        Some(h) => h,
        None => &[],
    };
    write_response(
        out,
        200,
        Some(TEXT_PLAIN),
        extra,
        body.as_bytes(),
        keep_alive,
    );
}

/// Successful JSONP handshake (§1.6): `200`, `application/javascript`, no CORS; `body` is
/// the whole script (`io.j[N]("…");`).
pub fn handshake_ok_jsonp(out: &mut Vec<u8>, body: &str, keep_alive: bool) {
    write_response(
        out,
        200,
        Some(APPLICATION_JAVASCRIPT),
        &[],
        body.as_bytes(),
        keep_alive,
    );
}

/// A failed handshake, plain form (§1.7): `status` (403/500), `text/plain`, body `msg`,
/// CORS when `origin` is given (pass `None` for `handshake bad origin`).
pub fn handshake_fail(
    out: &mut Vec<u8>,
    status: u16,
    msg: &str,
    origin: Option<&str>,
    keep_alive: bool,
) {
    let cors = Cors { origin }.headers();
    let extra: &[(&str, &str)] = match &cors {
        Some(h) => h,
        None => &[],
    };
    write_response(
        out,
        status,
        Some(TEXT_PLAIN),
        extra,
        msg.as_bytes(),
        keep_alive,
    );
}

/// A failed handshake, JSONP form (§1.7): `200`, `application/javascript`,
/// `io.j[{index}](new Error("{msg}"));`. `index` must already be checked to be all
/// digits; `msg` is one of the fixed messages (inserted verbatim).
pub fn handshake_fail_jsonp(out: &mut Vec<u8>, index: &str, msg: &str, keep_alive: bool) {
    let body = format!("io.j[{index}](new Error(\"{msg}\"));");
    write_response(
        out,
        200,
        Some(APPLICATION_JAVASCRIPT),
        &[],
        body.as_bytes(),
        keep_alive,
    );
}

/// The answer to every complete POST body (§3.7), header order as listed there:
/// `Content-Length: 1`, `Content-Type: text/plain; charset=UTF-8`, then with an origin the
/// CORS pair and `X-XSS-Protection: 0`; body `1`.
pub fn post_ok(out: &mut Vec<u8>, origin: Option<&str>, keep_alive: bool) {
    out.extend_from_slice(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Type: text/plain; charset=UTF-8\r\n",
    );
    if let Some(o) = origin {
        for (name, value) in cors_headers(o) {
            push_header(out, name, value);
        }
        out.extend_from_slice(b"X-XSS-Protection: 0\r\n");
    }
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n1");
}

/// The `?disconnect` answer (§1.16): `200`, no Content-Type, empty body.
pub fn disconnect_ok(out: &mut Vec<u8>, keep_alive: bool) {
    write_response(out, 200, None, &[], b"", keep_alive);
}

/// CORS preflight answer (decision for Q-2): `204` with
/// `Access-Control-Allow-Origin`/`-Credentials` (when there is an origin),
/// `Access-Control-Allow-Methods: GET, POST` and `Access-Control-Allow-Headers` echoing
/// the request's `Access-Control-Request-Headers` (when given and non-empty).
pub fn preflight(
    out: &mut Vec<u8>,
    origin: Option<&str>,
    request_headers: Option<&str>,
    keep_alive: bool,
) {
    let mut extra: Vec<(&str, &str)> = Vec::with_capacity(4);
    if let Some(o) = origin {
        extra.extend(cors_headers(o));
    }
    extra.push(("Access-Control-Allow-Methods", "GET, POST"));
    if let Some(h) = request_headers.filter(|h| !h.is_empty()) {
        extra.push(("Access-Control-Allow-Headers", h));
    }
    write_response(out, 204, None, &extra, b"", keep_alive);
}

/// `405` for methods other than GET/POST/OPTIONS on transport URLs, with
/// `Allow: GET, POST, OPTIONS` and a `text/plain` body.
pub fn method_not_allowed(out: &mut Vec<u8>, keep_alive: bool) {
    write_response(
        out,
        405,
        Some(TEXT_PLAIN),
        &[("Allow", "GET, POST, OPTIONS")],
        b"Method Not Allowed",
        keep_alive,
    );
}

/// `400`, `text/plain`, body `msg`, `Connection: close` (for malformed heads).
pub fn bad_request(out: &mut Vec<u8>, msg: &str) {
    write_response(out, 400, Some(TEXT_PLAIN), &[], msg.as_bytes(), false);
}

/// `413`, `text/plain`, `Connection: close` (POST body over `destroy buffer size`, §3.7).
pub fn payload_too_large(out: &mut Vec<u8>) {
    write_response(out, 413, Some(TEXT_PLAIN), &[], b"Payload Too Large", false);
}

/// The answer to a rejected request head ([`HeadError::status`]: 431, 400 or 501),
/// `text/plain`, `Connection: close`; the body is the error text.
pub fn head_error(out: &mut Vec<u8>, err: &HeadError) {
    write_response(
        out,
        err.status(),
        Some(TEXT_PLAIN),
        &[],
        err.to_string().as_bytes(),
        false,
    );
}

/// A generic response with a Content-Type and a body.
pub fn plain(out: &mut Vec<u8>, status: u16, content_type: &str, body: &[u8], keep_alive: bool) {
    write_response(out, status, Some(content_type), &[], body, keep_alive);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn welcome_and_protocol() {
        assert_eq!(
            s(|o| welcome(o, true)),
            "HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\nWelcome to socket.io."
        );
        assert_eq!(
            s(|o| welcome(o, false)),
            "HTTP/1.1 200 OK\r\nContent-Length: 21\r\nConnection: close\r\n\r\nWelcome to socket.io."
        );
        assert_eq!(
            s(|o| protocol_unsupported(o, true)),
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 31\r\n\r\nProtocol version not supported."
        );
    }

    #[test]
    fn handshakes() {
        let body = "4d4f185e96a7b:60:60:websocket,htmlfile,xhr-polling,jsonp-polling";
        assert_eq!(
            s(|o| handshake_ok(o, body, None, true)),
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\r\n{body}"
            )
        );
        assert_eq!(
            s(|o| handshake_ok(o, body, Some("http://example.com"), true)),
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\
                 Access-Control-Allow-Origin: http://example.com\r\n\
                 Access-Control-Allow-Credentials: true\r\n\r\n{body}"
            )
        );
        let js = "io.j[0](\"XYZ:::websocket\");";
        assert_eq!(
            s(|o| handshake_ok_jsonp(o, js, true)),
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: {}\r\n\r\n{js}", js.len())
        );
    }

    #[test]
    fn handshake_failures() {
        assert_eq!(
            s(|o| handshake_fail(o, 403, "handshake bad origin", None, true)),
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\nhandshake bad origin"
        );
        assert_eq!(
            s(|o| handshake_fail(o, 500, "handshake error", Some("http://a"), false)),
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\
             Access-Control-Allow-Origin: http://a\r\nAccess-Control-Allow-Credentials: true\r\n\
             Connection: close\r\n\r\nhandshake error"
        );
        assert_eq!(
            s(|o| handshake_fail_jsonp(o, "3", "handshake unauthorized", true)),
            "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: 45\r\n\r\n\
             io.j[3](new Error(\"handshake unauthorized\"));"
        );
    }

    #[test]
    fn post_ok_exact() {
        assert_eq!(
            s(|o| post_ok(o, None, true)),
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n1"
        );
        assert_eq!(
            s(|o| post_ok(o, Some("http://x.example:3000"), false)),
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Type: text/plain; charset=UTF-8\r\n\
             Access-Control-Allow-Origin: http://x.example:3000\r\n\
             Access-Control-Allow-Credentials: true\r\nX-XSS-Protection: 0\r\n\
             Connection: close\r\n\r\n1"
        );
    }

    #[test]
    fn disconnect_preflight_405() {
        assert_eq!(
            s(|o| disconnect_ok(o, true)),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(
            s(|o| preflight(o, Some("http://a"), Some("content-type"), true)),
            "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: http://a\r\n\
             Access-Control-Allow-Credentials: true\r\nAccess-Control-Allow-Methods: GET, POST\r\n\
             Access-Control-Allow-Headers: content-type\r\n\r\n"
        );
        assert_eq!(
            s(|o| preflight(o, None, Some(""), false)),
            "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Methods: GET, POST\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(
            s(|o| method_not_allowed(o, true)),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\
             Allow: GET, POST, OPTIONS\r\n\r\nMethod Not Allowed"
        );
    }

    #[test]
    fn errors_close() {
        assert_eq!(
            s(|o| bad_request(o, "bad")),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad"
        );
        assert_eq!(
            s(payload_too_large),
            "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nConnection: close\r\n\r\nPayload Too Large"
        );
        let t = s(|o| head_error(o, &HeadError::TooLarge));
        assert!(t.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(t.contains("\r\nConnection: close\r\n\r\n"));
        let t = s(|o| head_error(o, &HeadError::Malformed("x".into())));
        assert!(t.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn decimal() {
        for n in [0u64, 7, 10, 99, 100, 65_535, u64::MAX] {
            let mut v = Vec::new();
            push_decimal(&mut v, n);
            assert_eq!(v, n.to_string().into_bytes());
        }
    }

    #[test]
    fn generic_and_sanitising() {
        assert_eq!(
            s(|o| plain(o, 200, "text/html", b"<p>", true)),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\n<p>"
        );
        assert_eq!(
            s(|o| write_response(
                o,
                200,
                Some(TEXT_PLAIN_UTF8),
                &[
                    ("Connection", "Keep-Alive"),
                    ("Content-Length", "99"),
                    ("X-Evil", "a\r\nSet-Cookie: x")
                ],
                b"8::",
                true
            )),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 3\r\n\
             Connection: Keep-Alive\r\n\r\n8::"
        );
        assert_eq!(
            s(|o| write_response(o, 200, None, &[("Connection", "Keep-Alive")], b"", false)),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(
            s(|o| write_response(o, 304, None, &[], b"ignored", true)),
            "HTTP/1.1 304 Not Modified\r\n\r\n"
        );
        assert_eq!(
            s(|o| write_head(o, 200, Some("text/html; charset=UTF-8"), &[("Transfer-Encoding", "chunked")], None, true)),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        assert_eq!(Cors { origin: None }.headers(), None);
        assert_eq!(
            Cors { origin: Some("o") }.headers(),
            Some([
                ("Access-Control-Allow-Origin", "o"),
                ("Access-Control-Allow-Credentials", "true")
            ])
        );
    }
}
