//! Handshake, JSONP and htmlfile vectors (PROTOCOL.md §1.4–§1.7, §3.4, §3.6, A.3, A.5).

use crate::protocol::handshake::*;
use crate::protocol::json::parse_string_literal;
use crate::protocol::packet::encode_ack;

const ALL: &[&str] = &["websocket", "htmlfile", "xhr-polling", "jsonp-polling"];

#[test]
fn handshake_bodies() {
    assert_eq!(
        handshake_body("4d4f185e96a7b", Some(60.0), Some(60.0), ALL),
        "4d4f185e96a7b:60:60:websocket,htmlfile,xhr-polling,jsonp-polling"
    );
    assert_eq!(
        handshake_body("XYZ", None, Some(0.0), ALL),
        "XYZ:::websocket,htmlfile,xhr-polling,jsonp-polling"
    );
    assert_eq!(
        handshake_body("s", Some(0.05), Some(25.5), &["xhr-polling"]),
        "s:0.05:25.5:xhr-polling"
    );
    assert_eq!(handshake_body("s", Some(f64::NAN), Some(0.0), &[]), "s:::");
    assert_eq!(
        handshake_body("UHWxc3RMNIhx86YDWo4d", Some(60.0), Some(60.0), ALL),
        "UHWxc3RMNIhx86YDWo4d:60:60:websocket,htmlfile,xhr-polling,jsonp-polling"
    );
}

#[test]
fn jsonp() {
    let body = handshake_body("abc", Some(60.0), Some(60.0), &["websocket"]);
    let mut out = String::new();
    jsonp_wrap("3", &body, &mut out);
    assert_eq!(out, r#"io.j[3]("abc:60:60:websocket");"#);
    let mut out = String::new();
    jsonp_wrap("3", "1::", &mut out);
    assert_eq!(out, r#"io.j[3]("1::");"#);
    let mut out = String::new();
    jsonp_wrap("0", "7:::1+0", &mut out);
    assert_eq!(out, r#"io.j[0]("7:::1+0");"#);
    // §3.6 example, with U+2028 escaped per Q-22 (`</script>` stays raw).
    let mut out = String::new();
    jsonp_wrap(
        "3",
        "5:::{\"name\":\"echo\",\"args\":[\"</script>\u{2028}é\",\"😀\"]}",
        &mut out,
    );
    assert_eq!(
        out,
        r#"io.j[3]("5:::{\"name\":\"echo\",\"args\":[\"</script>\u2028é\",\"😀\"]}");"#
    );
    // A.5
    let mut out = String::new();
    jsonp_wrap("3", "5:::{\"name\":\"echo\",\"args\":[\"é\"]}", &mut out);
    assert_eq!(
        out,
        r#"io.j[3]("5:::{\"name\":\"echo\",\"args\":[\"é\"]}");"#
    );
}

#[test]
fn jsonp_post_field_decodes() {
    // A.5: d="5:::{\"name\":\"echo\",\"args\":[\"é\"]}" after form decoding.
    let d = r#""5:::{\"name\":\"echo\",\"args\":[\"é\"]}""#;
    assert_eq!(
        parse_string_literal(d).as_deref(),
        Ok(r#"5:::{"name":"echo","args":["é"]}"#)
    );
    assert_eq!(
        parse_string_literal(r#""3:::hello""#).as_deref(),
        Ok("3:::hello")
    );
    assert!(parse_string_literal("3:::hello").is_err());
    assert!(parse_string_literal("[\"a\"]").is_err());
    assert!(parse_string_literal("\"a").is_err());
}

#[test]
fn jsonp_errors_and_index() {
    assert_eq!(
        jsonp_error("5", "handshake bad origin"),
        r#"io.j[5](new Error("handshake bad origin"));"#
    );
    assert_eq!(
        jsonp_error("0", "handshake error"),
        r#"io.j[0](new Error("handshake error"));"#
    );
    assert_eq!(
        jsonp_error("12", "handshake unauthorized"),
        r#"io.j[12](new Error("handshake unauthorized"));"#
    );
    assert!(is_jsonp_index("0"));
    assert!(is_jsonp_index("123"));
    for bad in ["", "a", "1a", " 1", "1 ", "-1", "１", "1\n"] {
        assert!(!is_jsonp_index(bad), "{bad:?}");
    }
}

#[test]
fn htmlfile() {
    assert_eq!(HTMLFILE_PREAMBLE.len(), 256);
    let markup =
        "<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>";
    assert_eq!(markup.len(), 83);
    assert!(HTMLFILE_PREAMBLE.starts_with(markup));
    assert!(HTMLFILE_PREAMBLE[83..].bytes().all(|b| b == b' '));
    let wrap = |t: &str| {
        let mut s = String::new();
        htmlfile_wrap(t, &mut s);
        s
    };
    assert_eq!(wrap("1::"), r#"<script>_("1::");</script>"#);
    assert_eq!(wrap("1::/chat"), r#"<script>_("1::\/chat");</script>"#);
    assert_eq!(wrap("2::"), r#"<script>_("2::");</script>"#);
    assert_eq!(
        wrap("7::/private:2"),
        r#"<script>_("7::\/private:2");</script>"#
    );
    assert_eq!(wrap("7:::1+0"), r#"<script>_("7:::1+0");</script>"#);
    let mut ack = String::new();
    encode_ack(&mut ack, "", 1, Some(r#"["a/b</script>"]"#));
    assert_eq!(
        wrap(&ack),
        r#"<script>_("6:::1+[\"a\/b<\/script>\"]");</script>"#
    );
}

#[test]
fn session_ids() {
    let sid = generate_sid_from(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    assert_eq!(sid, "AAECAwQFBgcICQoLDA0O");
    let sid = generate_sid_from(&[
        0xFB, 0xFF, 0xBF, 0xFB, 0xFF, 0xBF, 0xFB, 0xFF, 0xBF, 0xFB, 0xFF, 0xBF, 0xFB, 0xFF, 0xBF,
    ]);
    // Standard base64 "+/+/…" with '+' → '-' and '/' → '_'.
    assert_eq!(sid, "-_-_-_-_-_-_-_-_-_-_");
    assert_eq!(sid.len(), 20);
}
