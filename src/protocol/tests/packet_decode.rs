//! Decoding vectors from PROTOCOL.md §2.3, §2.4, §2.5 and §2.7 (strict per Q-11).

use std::borrow::Cow;

use crate::protocol::packet::*;

fn ok(s: &str) -> Packet<'_> {
    match decode(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?} failed: {e}"),
    }
}

fn body(s: &str) -> Body<'_> {
    ok(s).body
}

fn event(s: &str) -> (String, String) {
    match body(s) {
        Body::Event { name, args } => (name.into_owned(), args.into_owned()),
        other => panic!("{s:?} is not an event: {other:?}"),
    }
}

fn ack(s: &str) -> (u64, Option<String>) {
    match body(s) {
        Body::Ack { ack_id, args } => (ack_id, args.map(Cow::into_owned)),
        other => panic!("{s:?} is not an ack: {other:?}"),
    }
}

fn error(s: &str) -> (Option<ErrorReason>, Option<ErrorAdvice>) {
    match body(s) {
        Body::Error { reason, advice } => (reason, advice),
        other => panic!("{s:?} is not an error: {other:?}"),
    }
}

fn message(s: &str) -> String {
    match body(s) {
        Body::Message { data } => data.into_owned(),
        other => panic!("{s:?} is not a message: {other:?}"),
    }
}

fn json_of(s: &str) -> String {
    match body(s) {
        Body::Json { json } => json.into_owned(),
        other => panic!("{s:?} is not json: {other:?}"),
    }
}

#[test]
fn simple_types() {
    let p = ok("0::/chat");
    assert_eq!(p.body, Body::Disconnect);
    assert_eq!(p.endpoint, "/chat");
    assert_eq!(p.id, MessageId::None);
    assert_eq!(body("0::"), Body::Disconnect);
    assert_eq!(body("2::"), Body::Heartbeat);
    assert_eq!(body("8::"), Body::Noop);
    assert_eq!(ok("8::").packet_type(), PacketType::Noop);
    // Data on data-less types is ignored.
    assert_eq!(body("2:::junk"), Body::Heartbeat);
}

#[test]
fn connect_query() {
    let p = ok("1::/test:?test=1");
    assert_eq!(p.endpoint, "/test");
    assert_eq!(
        p.body,
        Body::Connect {
            query: "?test=1".into()
        }
    );
    assert_eq!(body("1::"), Body::Connect { query: "".into() });
    assert_eq!(ok("1::/chat:?a=b").endpoint, "/chat");
}

#[test]
fn message_data_rules() {
    assert_eq!(message("3:::multi:colon:data"), "multi:colon:data");
    assert_eq!(message("3:::\n"), "\n");
    assert_eq!(message("3::"), "");
    assert_eq!(message("3:::"), "");
    assert_eq!(message("3:::hello"), "hello");
    let p = ok("3:5:/tobi");
    assert_eq!(p.id, MessageId::Auto(5));
    assert_eq!(p.endpoint, "/tobi");
    assert_eq!(message("3:::a\u{FFFD}3:::b"), "a\u{FFFD}3:::b");
    // Endpoint then no third colon: no data.
    assert_eq!(message("3::/chat"), "");
}

#[test]
fn message_ids() {
    let p = ok("3:7::hi");
    assert_eq!(p.id, MessageId::Auto(7));
    assert_eq!(message("3:7::hi"), "hi");
    assert_eq!(ok("3:8+::hi2").id, MessageId::Data(8));
    assert_eq!(ok("5:9+::{\"name\":\"x\"}").id, MessageId::Data(9));
    assert_eq!(
        ok("3:18446744073709551615::x").id,
        MessageId::Auto(u64::MAX)
    );
    assert_eq!(decode("3:18446744073709551616::x"), Err(DecodeError::BadId));
    assert_eq!(decode("3:5a::x"), Err(DecodeError::BadId));
    assert_eq!(decode("3:5++::x"), Err(DecodeError::BadId));
    assert_eq!(decode("3:+5::x"), Err(DecodeError::BadId));
    // The reference's regex accepts a lone '+' and ignores it.
    assert_eq!(ok("3:+::x").id, MessageId::None);
    assert_eq!(ok("3:007::x").id, MessageId::Auto(7));
}

#[test]
fn strict_decoding_q11() {
    for bad in ["", "3", "3:", "2", "hello"] {
        assert!(decode(bad).is_err(), "{bad:?}");
    }
    assert_eq!(decode(""), Err(DecodeError::TooShort));
    assert_eq!(decode("3"), Err(DecodeError::TooShort));
    assert_eq!(decode("3:"), Err(DecodeError::TooShort));
    assert_eq!(decode("9:5::x"), Err(DecodeError::UnknownType));
    assert_eq!(decode("03:6::x"), Err(DecodeError::UnknownType));
    assert_eq!(decode("ab:3:::hi"), Err(DecodeError::UnknownType));
    assert_eq!(decode(":3:::hi"), Err(DecodeError::UnknownType));
    assert_eq!(decode("::3:::hi"), Err(DecodeError::UnknownType));
    assert_eq!(decode("é:::"), Err(DecodeError::UnknownType));
}

#[test]
fn json_data() {
    assert_eq!(json_of("4:::\"2\""), "\"2\"");
    assert_eq!(json_of("4:::null"), "null");
    let p = ok("4:1+::{\"a\":\"b\"}");
    assert_eq!(p.id, MessageId::Data(1));
    assert_eq!(json_of("4:1+::{\"a\":\"b\"}"), "{\"a\":\"b\"}");
    assert_eq!(json_of("4::: [1, 2] "), " [1, 2] ");
    // Invalid JSON: the reference hands the application `false`.
    assert_eq!(json_of("4:::{bad"), "false");
    assert_eq!(json_of("4::"), "false");
    assert_eq!(json_of("4:::1e400"), "false");
    assert_eq!(
        json_of("4:::123456789012345678901234567890"),
        "123456789012345678901234567890"
    );
}

#[test]
fn event_data_fast_shape() {
    assert_eq!(
        event(r#"5:::{"name":"woot"}"#),
        ("woot".into(), "[]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}"#),
        ("edwald".into(), r#"[{"a":"b"},2,"3"]"#.into())
    );
    assert_eq!(
        event(r#"5:9+::{"name":"echo","args":[1,"a",{"b":null}]}"#),
        ("echo".into(), r#"[1,"a",{"b":null}]"#.into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":["]}","}"]}"#),
        ("a".into(), r#"["]}","}"]"#.into())
    );
    // The fast path borrows.
    match body(r#"5:::{"name":"e","args":[1]}"#) {
        Body::Event {
            name: Cow::Borrowed(n),
            args: Cow::Borrowed(a),
        } => assert_eq!((n, a), ("e", "[1]")),
        other => panic!("not borrowed: {other:?}"),
    }
}

#[test]
fn event_data_general_shape() {
    assert_eq!(
        event(r#"5::: { "name" : "a" , "args" : [1, 2.50, {"x" : 1e2}] } "#),
        ("a".into(), r#"[1,2.5,{"x":100}]"#.into())
    );
    assert_eq!(
        event(r#"5:::{"args":[1],"name":"x","other":true}"#),
        ("x".into(), "[1]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a\"b\u00e9","args":[1]}"#),
        ("a\"bé".into(), "[1]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":[1] }"#),
        ("a".into(), "[1]".into())
    );
    // Non-array args: JavaScript concat semantics; falsy args: [].
    assert_eq!(
        event(r#"5:::{"name":"a","args":"x"}"#),
        ("a".into(), r#"["x"]"#.into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":{"k":1}}"#),
        ("a".into(), r#"[{"k":1}]"#.into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":5}"#),
        ("a".into(), "[5]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":null}"#),
        ("a".into(), "[]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":0}"#),
        ("a".into(), "[]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":""}"#),
        ("a".into(), "[]".into())
    );
    assert_eq!(
        event(r#"5:::{"name":"a","args":false}"#),
        ("a".into(), "[]".into())
    );
    // Duplicate keys: the last wins, like JSON.parse.
    assert_eq!(
        event(r#"5:::{"name":"a","name":"b"}"#),
        ("b".into(), "[]".into())
    );
    // Big integers are read as JavaScript numbers.
    assert_eq!(
        event(r#"5:::{"name":"a","args":[123456789012345678901234567890,18446744073709551615]}"#),
        (
            "a".into(),
            "[1.2345678901234568e+29,18446744073709552000]".into()
        )
    );
}

#[test]
fn event_data_errors() {
    for bad in [
        r#"5:::{"name":"a","args":[1]}x"#,
        r#"5:::{"name":"a","args":[1]}}"#,
        r#"5:::{"name":"a","args":[1,]}"#,
        r#"5:::{"name":"a","args":[1e400]}"#,
        r#"5:::{"args":[1]}"#,
        r#"5:::{"name":5}"#,
        r#"5:::["a"]"#,
        r#"5:::"a""#,
        r#"5:::{"name":"a""#,
        r#"5:::{"name":"a\ud800"}"#,
        "5:::{\"name\":\"a\tb\"}",
        "5:::",
        "5::",
    ] {
        assert_eq!(decode(bad), Err(DecodeError::BadEventJson), "{bad:?}");
    }
}

#[test]
fn ack_data() {
    assert_eq!(ack("6:::140"), (140, None));
    assert_eq!(
        ack(r#"6:::12+["woot","wa"]"#),
        (12, Some(r#"["woot","wa"]"#.into()))
    );
    let p = ok(r#"6::/chat:1+["x"]"#);
    assert_eq!(p.endpoint, "/chat");
    assert_eq!(ack(r#"6::/chat:1+["x"]"#), (1, Some(r#"["x"]"#.into())));
    assert_eq!(
        ack(r#"6:::1+["answer"]"#),
        (1, Some(r#"["answer"]"#.into()))
    );
    // §2.7: args that fail to parse give [].
    assert_eq!(ack(r#"6:::1+{"++]"#), (1, Some("[]".into())));
    assert_eq!(ack("6:::1+"), (1, Some("[]".into())));
    assert_eq!(ack("6:::1+[]"), (1, Some("[]".into())));
    assert_eq!(ack("6:::1+\"x\""), (1, Some("[]".into())));
    // `^([0-9]+)(\+)?(.*)`: the '+' is optional before the JSON.
    assert_eq!(ack(r#"6:::1["a"]"#), (1, Some(r#"["a"]"#.into())));
    assert_eq!(ack("6:::1+ [1] "), (1, Some(" [1] ".into())));
    assert_eq!(decode("6:::abc"), Err(DecodeError::BadAckData));
    assert_eq!(decode("6:::"), Err(DecodeError::BadAckData));
    assert_eq!(decode("6:::+[1]"), Err(DecodeError::BadAckData));
    assert_eq!(
        decode("6:::18446744073709551616"),
        Err(DecodeError::BadAckData)
    );
}

#[test]
fn error_data() {
    use ErrorAdvice::Reconnect;
    use ErrorReason::*;
    assert_eq!(
        error("7:::1+0"),
        (Some(ClientNotHandshaken), Some(Reconnect))
    );
    assert_eq!(error("7::"), (None, None));
    assert_eq!(error("7:::0"), (Some(TransportNotSupported), None));
    assert_eq!(error("7:::2+0"), (Some(Unauthorized), Some(Reconnect)));
    assert_eq!(error("7::/chat:2"), (Some(Unauthorized), None));
    assert_eq!(ok("7::/woot").endpoint, "/woot");
    assert_eq!(error("7:::+0"), (None, Some(Reconnect)));
    // Unknown indices decode as nothing (Q-8's `undefined` included).
    assert_eq!(error("7::/errns:undefined"), (None, None));
    assert_eq!(error("7:::01"), (None, None));
    assert_eq!(error("7:::5+3"), (None, None));
    assert_eq!(error("7:::2+0+9"), (Some(Unauthorized), Some(Reconnect)));
}

#[test]
fn into_owned_keeps_value() {
    let text = String::from(r#"5:3+:/n:{"name":"e","args":[1]}"#);
    let owned = decode(&text).map(Packet::into_owned);
    drop(text);
    let p = owned.expect("decodes");
    assert_eq!(p.id, MessageId::Data(3));
    assert_eq!(p.endpoint, "/n");
    assert_eq!(
        p.body,
        Body::Event {
            name: "e".into(),
            args: "[1]".into()
        }
    );
}

#[test]
fn decode_error_messages_are_clear() {
    assert!(DecodeError::UnknownType.to_string().contains("0-8"));
    assert!(DecodeError::BadAckData.to_string().contains("ack"));
}
