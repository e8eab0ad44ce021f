//! Codec microbenchmarks: packet decode/encode, event args, JSON parsing, U+FFFD payloads,
//! websocket frames, handshake bodies and the JSONP/htmlfile wrappers.
//!
//! `cargo bench --bench codec` (about 2.5 s per case). Per-packet cases report elements/s,
//! byte-oriented ones bytes/s; criterion prints the time per operation for every case.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use sio09::protocol::handshake::{handshake_body, htmlfile_wrap, jsonp_wrap};
use sio09::protocol::json;
use sio09::protocol::packet::{self, Body};
use sio09::protocol::payload::{decode_payload, encode_payload};
use sio09::session::Encoded;
use sio09::transport::websocket::{text_frame_header, FrameDecoder, WsEvent};

/// One representative packet per type (PROTOCOL.md §2.3/§2.4), in type order.
const PACKETS: [(&str, &str); 9] = [
    ("0_disconnect", "0::/chat"),
    ("1_connect", "1::/chat:?a=b"),
    ("2_heartbeat", "2::"),
    ("3_message", "3:7::hi"),
    ("4_json", r#"4:1+::{"a":"b"}"#),
    (
        "5_event",
        r#"5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}"#,
    ),
    ("6_ack", r#"6:::12+["woot","wa"]"#),
    ("7_error", "7:::2+0"),
    ("8_noop", "8::"),
];

/// Websocket payload sizes: a tiny event, a typical chat message, a large one.
const WS_SIZES: [(&str, usize); 3] = [("16B", 16), ("1KB", 1024), ("64KB", 64 * 1024)];

/// An event packet of exactly `n` bytes (`n` = 16 or `n` ≥ 31).
fn event_of_size(n: usize) -> String {
    if n == 16 {
        return r#"5:::{"name":"e"}"#.to_owned();
    }
    let prefix = r#"5:::{"name":"echo","args":[""#;
    let suffix = r#""]}"#;
    let fill = n - prefix.len() - suffix.len();
    let s = format!("{prefix}{}{suffix}", "a".repeat(fill));
    assert_eq!(s.len(), n);
    s
}

/// A JSON array of objects of about 4 KB, in `JSON.stringify` form.
fn large_args() -> String {
    let mut s = String::from("[");
    let mut i = 0;
    while s.len() < 4096 - 80 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{i},"user":"user-{i}","score":{}.5,"tags":["a","b"],"ok":true}}"#,
            i * 7
        ));
        i += 1;
    }
    s.push(']');
    s
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(10)
        .without_plots()
}

fn packets(c: &mut Criterion) {
    let mut g = c.benchmark_group("packet_decode");
    g.throughput(Throughput::Elements(1));
    for (name, wire) in PACKETS {
        assert!(packet::decode(wire).is_ok(), "{wire}");
        g.bench_with_input(BenchmarkId::from_parameter(name), wire, |b, wire| {
            b.iter(|| black_box(packet::decode(black_box(wire))));
        });
    }
    g.finish();

    let mut g = c.benchmark_group("packet_encode");
    g.throughput(Throughput::Elements(1));
    let mut out = String::with_capacity(256);
    for (name, wire) in PACKETS {
        let p = packet::decode(wire).expect("representative packet decodes");
        g.bench_with_input(BenchmarkId::from_parameter(name), &p, |b, p| {
            b.iter(|| {
                out.clear();
                packet::encode(black_box(p), &mut out);
                black_box(&out);
            });
        });
    }
    g.finish();
}

fn events(c: &mut Criterion) {
    let small = r#"[1,"a"]"#;
    let large = large_args();
    let cases = [
        // The shape JSON.stringify writes: name and args sliced from the input.
        (
            "fast/small",
            format!(r#"5:::{{"name":"echo","args":{small}}}"#),
        ),
        (
            "fast/large",
            format!(r#"5:::{{"name":"echo","args":{large}}}"#),
        ),
        // Keys in another order: full parse, then args re-serialised.
        (
            "fallback/small",
            format!(r#"5:::{{"args":{small},"name":"echo"}}"#),
        ),
        (
            "fallback/large",
            format!(r#"5:::{{"args":{large},"name":"echo"}}"#),
        ),
    ];
    let mut g = c.benchmark_group("event_decode");
    for (name, wire) in &cases {
        match packet::decode(wire).map(|p| p.body) {
            Ok(Body::Event { args, .. }) => {
                assert_eq!(
                    matches!(args, Cow::Borrowed(_)),
                    name.starts_with("fast"),
                    "{name} takes the intended path"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(name),
            wire.as_str(),
            |b, wire| {
                b.iter(|| black_box(packet::decode(black_box(wire))));
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("json_parse");
    for (name, text) in [("small", small), ("large", large.as_str())] {
        assert!(json::parse(text).is_ok());
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| black_box(json::parse(black_box(text))));
        });
    }
    g.finish();
}

fn payloads(c: &mut Criterion) {
    let packets = [
        r#"5:::{"name":"chat","args":["héllo wörld"]}"#,
        "3:::日本語のメッセージ",
        "3:::emoji 😀🎉 outside the BMP",
        r#"5:1+::{"name":"echo","args":[1,"a",{"b":null}]}"#,
        "2::",
        r#"4:::{"price":"12 €","city":"Zürich"}"#,
        r#"6:::3+["ok"]"#,
        "3::/chat:plain ascii text",
        r#"5::/chat:{"name":"typing","args":["Ωμέγα"]}"#,
        "0::/chat",
    ];
    let mut body = String::new();
    encode_payload(&packets, &mut body);
    assert_eq!(decode_payload(&body), packets);

    let mut g = c.benchmark_group("payload");
    g.throughput(Throughput::Bytes(body.len() as u64));
    let mut out = String::with_capacity(body.len());
    g.bench_function("encode/10_packets", |b| {
        b.iter(|| {
            out.clear();
            encode_payload(black_box(&packets), &mut out);
            black_box(&out);
        });
    });
    g.bench_function("decode/10_packets", |b| {
        b.iter(|| black_box(decode_payload(black_box(&body))));
    });
    g.finish();
}

/// A masked client text frame carrying `payload`.
fn client_frame(payload: &[u8]) -> BytesMut {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = BytesMut::with_capacity(payload.len() + 14);
    f.extend_from_slice(&[0x81]);
    match payload.len() {
        n if n <= 125 => f.extend_from_slice(&[0x80 | n as u8]),
        n if n <= 0xFFFF => {
            f.extend_from_slice(&[0x80 | 126]);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.extend_from_slice(&[0x80 | 127]);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    f
}

fn websocket(c: &mut Criterion) {
    let mut g = c.benchmark_group("ws_text_frame_header");
    g.throughput(Throughput::Elements(1));
    for (name, size) in WS_SIZES {
        g.bench_with_input(BenchmarkId::from_parameter(name), &size, |b, &size| {
            let mut hdr = [0u8; 10];
            b.iter(|| {
                let n = text_frame_header(black_box(size), &mut hdr);
                black_box((n, &hdr));
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("ws_encoded_new");
    for (name, size) in WS_SIZES {
        let text = event_of_size(size);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(name),
            text.as_str(),
            |b, text| {
                b.iter(|| black_box(Encoded::new(black_box(text))));
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("ws_client_frame_decode");
    for (name, size) in WS_SIZES {
        let text = event_of_size(size);
        let frame = client_frame(text.as_bytes());
        let mut check = frame.clone();
        assert_eq!(
            FrameDecoder::new(1 << 20).decode(&mut check),
            Ok(Some(WsEvent::Text(text.clone())))
        );
        // Keep the batch of fresh frames small for the 64 KB case.
        let batch = if size > 4096 {
            BatchSize::LargeInput
        } else {
            BatchSize::SmallInput
        };
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), &frame, |b, frame| {
            b.iter_batched(
                || frame.clone(),
                |mut buf| {
                    let mut dec = FrameDecoder::new(1 << 20);
                    black_box(dec.decode(&mut buf))
                },
                batch,
            );
        });
    }
    g.finish();
}

fn handshake(c: &mut Criterion) {
    let transports = ["websocket", "htmlfile", "xhr-polling", "jsonp-polling"];
    let mut g = c.benchmark_group("handshake");
    g.throughput(Throughput::Elements(1));
    g.bench_function("handshake_body", |b| {
        b.iter(|| {
            black_box(handshake_body(
                black_box("AbCdEfGhIjKlMnOpQrSt"),
                black_box(Some(60.0)),
                black_box(Some(60.0)),
                black_box(&transports),
            ))
        });
    });
    g.finish();

    // A 1 KB event with quotes and slashes to escape.
    let mut text = String::from(r#"5::/chat:{"name":"msg","args":["#);
    let item = r#""see https://example.com/a/b?c=d","#;
    while text.len() + item.len() + 8 <= 1024 {
        text.push_str(item);
    }
    text.push_str(r#"1]}"#);
    while text.len() < 1024 {
        text.insert(text.len() - 3, ' ');
    }
    assert_eq!(text.len(), 1024);

    let mut g = c.benchmark_group("wrap");
    g.throughput(Throughput::Bytes(text.len() as u64));
    let mut out = String::with_capacity(2048);
    g.bench_function("jsonp_wrap/1KB", |b| {
        b.iter(|| {
            out.clear();
            jsonp_wrap(black_box("3"), black_box(&text), &mut out);
            black_box(&out);
        });
    });
    g.bench_function("htmlfile_wrap/1KB", |b| {
        b.iter(|| {
            out.clear();
            htmlfile_wrap(black_box(&text), &mut out);
            black_box(&out);
        });
    });
    g.finish();
}

criterion_group! {
    name = codec;
    config = config();
    targets = packets, events, payloads, websocket, handshake
}
criterion_main!(codec);
