//! Encoding vectors from PROTOCOL.md §2.3 and §2.4.

use std::borrow::Cow;

use crate::protocol::json::to_js_json;
use crate::protocol::packet::*;
use serde_json::json;

fn enc(p: Packet<'_>) -> String {
    encode_to_string(&p)
}

fn with(f: impl FnOnce(&mut String)) -> String {
    let mut s = String::new();
    f(&mut s);
    s
}

#[test]
fn simple_packets() {
    assert_eq!(enc(Packet::new(Body::Disconnect)), "0::");
    assert_eq!(
        enc(Packet::new(Body::Disconnect).with_endpoint("/chat")),
        "0::/chat"
    );
    assert_eq!(
        with(|o| encode_simple(o, PacketType::Disconnect, "/chat")),
        "0::/chat"
    );
    assert_eq!(with(|o| encode_simple(o, PacketType::Connect, "")), "1::");
    assert_eq!(
        with(|o| encode_simple(o, PacketType::Connect, "/chat")),
        "1::/chat"
    );
    assert_eq!(with(|o| encode_simple(o, PacketType::Heartbeat, "")), "2::");
    assert_eq!(with(|o| encode_simple(o, PacketType::Noop, "")), "8::");
    assert_eq!(enc(Packet::new(Body::Heartbeat)), HEARTBEAT);
    assert_eq!(enc(Packet::new(Body::Noop)), NOOP);
    let connect = Body::Connect {
        query: Cow::Borrowed(""),
    };
    assert_eq!(enc(Packet::new(connect)), CONNECT);
}

#[test]
fn connect_with_query_round_trips() {
    let p = Packet::new(Body::Connect {
        query: "?a=b".into(),
    })
    .with_endpoint("/chat");
    assert_eq!(enc(p), "1::/chat:?a=b");
}

#[test]
fn messages() {
    assert_eq!(with(|o| encode_message(o, MessageId::None, "", "")), "3::");
    assert_eq!(
        with(|o| encode_message(o, MessageId::Auto(5), "/tobi", "")),
        "3:5:/tobi"
    );
    assert_eq!(
        with(|o| encode_message(o, MessageId::None, "", "42")),
        "3:::42"
    );
    assert_eq!(
        with(|o| encode_message(o, MessageId::Auto(7), "", "hi")),
        "3:7::hi"
    );
    assert_eq!(
        with(|o| encode_message(o, MessageId::Data(8), "", "hi2")),
        "3:8+::hi2"
    );
    assert_eq!(
        with(|o| encode_message(o, MessageId::None, "", "multi:colon:data")),
        "3:::multi:colon:data"
    );
}

#[test]
fn json_packets() {
    assert_eq!(
        with(|o| encode_json(o, MessageId::None, "", &to_js_json(&json!("2")))),
        "4:::\"2\""
    );
    assert_eq!(
        with(|o| encode_json(o, MessageId::Data(1), "", &to_js_json(&json!({"a": "b"})))),
        "4:1+::{\"a\":\"b\"}"
    );
    assert_eq!(
        with(|o| encode_json(o, MessageId::None, "", "null")),
        "4:::null"
    );
}

#[test]
fn events() {
    assert_eq!(
        with(|o| encode_event(o, MessageId::None, "", "woot", "[]")),
        r#"5:::{"name":"woot"}"#
    );
    assert_eq!(
        with(|o| encode_event(o, MessageId::None, "", "woot", "")),
        r#"5:::{"name":"woot"}"#
    );
    assert_eq!(
        with(|o| encode_event(o, MessageId::None, "", "woot", " [ ] ")),
        r#"5:::{"name":"woot"}"#
    );
    let args = to_js_json(&json!([{"a": "b"}, 2, "3"]));
    assert_eq!(
        with(|o| encode_event(o, MessageId::None, "", "edwald", &args)),
        r#"5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}"#
    );
    // §2.4: server emit("ask", fn) with fn(answer): data ack, empty args omitted.
    assert_eq!(
        with(|o| encode_event(o, MessageId::Data(1), "", "ask", "[]")),
        r#"5:1+::{"name":"ask"}"#
    );
    assert_eq!(
        with(|o| encode_event(o, MessageId::None, "/chat", "a\"b\n", "[1]")),
        r#"5::/chat:{"name":"a\"b\n","args":[1]}"#
    );
    let p = Packet::new(Body::Event {
        name: "edwald".into(),
        args: args.as_str().into(),
    });
    assert_eq!(enc(p), r#"5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}"#);
}

#[test]
fn acks() {
    assert_eq!(with(|o| encode_ack(o, "", 140, None)), "6:::140");
    assert_eq!(
        with(|o| encode_ack(o, "", 12, Some(r#"["woot","wa"]"#))),
        r#"6:::12+["woot","wa"]"#
    );
    assert_eq!(
        with(|o| encode_ack(o, "/chat", 1, Some(r#"["x"]"#))),
        r#"6::/chat:1+["x"]"#
    );
    assert_eq!(with(|o| encode_ack(o, "", 140, Some("[]"))), "6:::140+[]");
    // §2.4 worked examples.
    assert_eq!(with(|o| encode_ack(o, "", 7, None)), "6:::7");
    assert_eq!(with(|o| encode_ack(o, "/chat", 7, None)), "6::/chat:7");
    let a = to_js_json(&json!(["ackdata", 2]));
    assert_eq!(
        with(|o| encode_ack(o, "", 8, Some(&a))),
        r#"6:::8+["ackdata",2]"#
    );
    let a = to_js_json(&json!([1, "a", {"b": null}]));
    assert_eq!(
        with(|o| encode_ack(o, "", 9, Some(&a))),
        r#"6:::9+[1,"a",{"b":null}]"#
    );
    assert_eq!(
        with(|o| encode_ack(o, "", 1, Some(r#"["answer"]"#))),
        r#"6:::1+["answer"]"#
    );
    let p = Packet::new(Body::Ack {
        ack_id: 140,
        args: None,
    });
    assert_eq!(enc(p), "6:::140");
}

#[test]
fn errors() {
    use ErrorAdvice::Reconnect;
    use ErrorReason::*;
    assert_eq!(with(|o| encode_error(o, "", None, None)), "7::");
    assert_eq!(
        with(|o| encode_error(o, "", Some(TransportNotSupported), None)),
        "7:::0"
    );
    assert_eq!(
        with(|o| encode_error(o, "", Some(Unauthorized), Some(Reconnect))),
        "7:::2+0"
    );
    assert_eq!(with(|o| encode_error(o, "/woot", None, None)), "7::/woot");
    assert_eq!(
        with(|o| encode_error(o, "/chat", Some(Unauthorized), None)),
        "7::/chat:2"
    );
    assert_eq!(
        with(|o| encode_error(o, "", Some(Unauthorized), None)),
        "7:::2"
    );
    assert_eq!(
        with(|o| encode_error(o, "", Some(ClientNotHandshaken), Some(Reconnect))),
        NOT_HANDSHAKEN
    );
    assert_eq!(
        with(|o| encode_error(o, "", None, Some(Reconnect))),
        "7:::+0"
    );
}

#[test]
fn encoders_append() {
    let mut s = String::from("x");
    encode_simple(&mut s, PacketType::Heartbeat, "");
    encode_ack(&mut s, "", 1, None);
    assert_eq!(s, "x2::6:::1");
}

#[test]
fn generic_encode_writes_ids_everywhere() {
    let p = Packet::new(Body::Ack {
        ack_id: 3,
        args: Some("[1]".into()),
    })
    .with_id(MessageId::Auto(4))
    .with_endpoint("/x");
    assert_eq!(enc(p), "6:4:/x:3+[1]");
    let p = Packet::new(Body::Error {
        reason: Some(ErrorReason::Unauthorized),
        advice: None,
    })
    .with_id(MessageId::Data(2));
    assert_eq!(enc(p), "7:2+::2");
}

#[test]
fn types_and_names() {
    for d in b'0'..=b'8' {
        let t = PacketType::from_digit(d).expect("digit");
        assert_eq!(t.digit() as u8, d);
        assert_eq!(t as u8, d - b'0');
    }
    assert_eq!(PacketType::from_digit(b'9'), None);
    assert_eq!(PacketType::Event.name(), "event");
    assert_eq!(
        ErrorReason::ClientNotHandshaken.as_str(),
        "client not handshaken"
    );
    assert_eq!(ErrorAdvice::Reconnect.as_str(), "reconnect");
    assert_eq!(MessageId::Data(3).id(), Some(3));
    assert_eq!(MessageId::None.id(), None);
}
