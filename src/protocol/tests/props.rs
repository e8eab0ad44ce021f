//! Property tests: round trips and no panics on arbitrary input.

use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::Value;

use crate::protocol::json::{self, js_number, to_js_json, write_js_string};
use crate::protocol::packet::*;
use crate::protocol::payload::*;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_array_text() -> impl Strategy<Value = String> {
    prop::collection::vec(arb_json(), 0..5).prop_map(|v| to_js_json(&Value::Array(v)))
}

fn arb_id() -> impl Strategy<Value = MessageId> {
    prop_oneof![
        Just(MessageId::None),
        any::<u64>().prop_map(MessageId::Auto),
        any::<u64>().prop_map(MessageId::Data),
    ]
}

fn arb_body() -> impl Strategy<Value = Body<'static>> {
    let reason = prop::option::of(prop_oneof![
        Just(ErrorReason::TransportNotSupported),
        Just(ErrorReason::ClientNotHandshaken),
        Just(ErrorReason::Unauthorized),
    ]);
    let advice = prop::option::of(Just(ErrorAdvice::Reconnect));
    prop_oneof![
        Just(Body::Disconnect),
        any::<String>().prop_map(|q| Body::Connect { query: q.into() }),
        Just(Body::Heartbeat),
        any::<String>().prop_map(|d| Body::Message { data: d.into() }),
        arb_json().prop_map(|v| Body::Json {
            json: to_js_json(&v).into()
        }),
        (any::<String>(), arb_array_text()).prop_map(|(n, a)| Body::Event {
            name: n.into(),
            args: a.into()
        }),
        (any::<u64>(), prop::option::of(arb_array_text())).prop_map(|(ack_id, a)| Body::Ack {
            ack_id,
            args: a.map(Cow::Owned)
        }),
        (reason, advice).prop_map(|(reason, advice)| Body::Error { reason, advice }),
        Just(Body::Noop),
    ]
}

fn arb_packet() -> impl Strategy<Value = Packet<'static>> {
    (arb_id(), "[^:]{0,12}", arb_body()).prop_map(|(id, e, body)| Packet {
        id,
        endpoint: e.into(),
        body,
    })
}

/// Strings made of the characters that matter to the parsers, to reach deep code paths.
fn junk() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("5:::".to_string()),
        Just("6:::".to_string()),
        Just("4:::".to_string()),
        Just(r#"{"name":""#.to_string()),
        Just(r#"","args":"#.to_string()),
        Just("\u{FFFD}".to_string()),
        Just("😀".to_string()),
        Just("\\u".to_string()),
        "[0-9:+/{}\\[\\]\",a-z\\\\ .eE-]{0,6}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_encode_round_trip(p in arb_packet()) {
        let text = encode_to_string(&p);
        let back = decode(&text);
        prop_assert_eq!(back, Ok(p));
    }

    #[test]
    fn decode_never_panics(s in any::<String>()) {
        let _ = decode(&s);
        let _ = decode_payload(&s);
        let _ = json::parse(&s);
    }

    #[test]
    fn decode_never_panics_on_structured_junk(s in junk()) {
        if let Ok(p) = decode(&s) {
            // Whatever decodes re-encodes to something that decodes to the same packet.
            let again = encode_to_string(&p);
            prop_assert_eq!(decode(&again).map(Packet::into_owned), Ok(p.into_owned()));
        }
        for part in decode_payload(&s) {
            let _ = decode(part);
        }
        let _ = json::is_valid(&s);
    }

    #[test]
    fn decoded_event_args_are_arrays(s in junk()) {
        let text = format!("5:::{s}");
        if let Ok(Packet { body: Body::Event { args, .. }, .. }) = decode(&text) {
            prop_assert!(matches!(json::parse(&args), Ok(Value::Array(_))), "{}", args);
            prop_assert!(serde_json::from_str::<Value>(&args).is_ok(), "{}", args);
        }
    }

    #[test]
    fn payload_round_trip(ps in prop::collection::vec(arb_packet(), 1..6)) {
        let texts: Vec<String> = ps.iter().map(encode_to_string).collect();
        let mut body = String::new();
        encode_payload(&texts, &mut body);
        let back = decode_payload(&body);
        prop_assert_eq!(back, texts.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn utf16_len_matches_std(s in any::<String>()) {
        prop_assert_eq!(utf16_len(&s), s.encode_utf16().count());
    }

    #[test]
    fn js_string_matches_serde_and_parses_back(s in any::<String>()) {
        let mut out = String::new();
        write_js_string(&mut out, &s);
        prop_assert_eq!(&out, &serde_json::to_string(&s).expect("serialises"));
        prop_assert_eq!(json::parse(&out), Ok(Value::String(s)));
    }

    #[test]
    fn js_number_round_trips(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let mut out = String::new();
        js_number(f, &mut out);
        let back: f64 = out.parse().expect("parses");
        prop_assert!(back == f, "{} -> {}", f, out);
    }

    #[test]
    fn json_text_round_trips(v in arb_json()) {
        let text = to_js_json(&v);
        let back = json::parse(&text).expect("own output parses");
        prop_assert_eq!(to_js_json(&back), text);
    }
}
