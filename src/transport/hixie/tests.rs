//! Byte-exact tests of the hixie handshake and framing.

use super::*;
use bytes::BytesMut;
use proptest::prelude::*;

// -- key numbers and the challenge ----------------------------------------------------------

/// The draft's example (draft-hixie-thewebsocketprotocol-76 §1.3).
const SPEC_KEY1: &str = "4 @1  46546xW%0l 1 5";
const SPEC_KEY2: &str = "12998 5 Y3 1  .P00";
const SPEC_KEY3: &[u8; 8] = b"^n:ds[4U";
const SPEC_ANSWER: &[u8; 16] = b"8jKS'y:G*Co,Wxa-";

#[test]
fn spec_example_key_numbers() {
    // 4146546015 / 5 spaces, 1299853100 / 5 spaces.
    assert_eq!(key_number(SPEC_KEY1), Ok(829_309_203));
    assert_eq!(key_number(SPEC_KEY2), Ok(259_970_620));
}

#[test]
fn spec_example_answer() {
    let a = challenge_answer(829_309_203, 259_970_620, SPEC_KEY3);
    assert_eq!(&a, SPEC_ANSWER);
}

#[test]
fn key_without_spaces_is_refused() {
    assert_eq!(key_number("12345"), Err(KeyError::NoSpaces));
}

#[test]
fn key_without_digits_is_refused() {
    assert_eq!(key_number("a b c"), Err(KeyError::NoDigits));
    assert_eq!(key_number(""), Err(KeyError::NoDigits));
}

#[test]
fn key_number_not_multiple_of_spaces_is_refused() {
    // 7 with 2 spaces.
    assert_eq!(key_number(" 7 "), Err(KeyError::NotMultiple));
    // 11 with 3 spaces; 10 with 1 space divides.
    assert_eq!(key_number("1 1  "), Err(KeyError::NotMultiple));
    assert_eq!(key_number("1 0"), Ok(10));
}

#[test]
fn key_number_overflow_is_refused() {
    // One more than u32::MAX, with one space (n/s would not fit in 32 bits either).
    assert_eq!(key_number("429496729 6"), Err(KeyError::Overflow));
    // Far beyond u64 too: the parse must not wrap around.
    assert_eq!(
        key_number("9999999999999999999999999999999 0"),
        Err(KeyError::Overflow)
    );
    // u32::MAX itself, divisible by 3 spaces and by 5.
    assert_eq!(key_number("4294967295 "), Ok(u32::MAX));
    assert_eq!(key_number("42949 67295  "), Ok(1_431_655_765));
    assert_eq!(key_number("0 "), Ok(0));
}

// -- the handshake ---------------------------------------------------------------------------

fn req76() -> HixieRequest<'static> {
    HixieRequest {
        upgrade: Some("WebSocket"),
        origin: Some("http://example.com"),
        host: Some("example.com"),
        target: "/socket.io/1/websocket/abc?t=1",
        key1: Some(SPEC_KEY1),
        key2: Some(SPEC_KEY2),
        protocol: None,
    }
}

const LOC: &str = "ws://example.com/socket.io/1/websocket/abc?t=1";

#[test]
fn hixie76_head_and_answer_exact() {
    let h = Handshake::new(&req76(), LOC).expect("valid");
    assert_eq!(h.draft(), Draft::Hixie76);
    assert_eq!(
        h.head(),
        b"HTTP/1.1 101 WebSocket Protocol Handshake\r\n\
          Upgrade: WebSocket\r\n\
          Connection: Upgrade\r\n\
          Sec-WebSocket-Origin: http://example.com\r\n\
          Sec-WebSocket-Location: ws://example.com/socket.io/1/websocket/abc?t=1\r\n\
          \r\n"
    );
    assert_eq!(h.body_len(), 8);
    let mut buf = BytesMut::from(&b"^n:ds[4U\x00"[..]);
    assert_eq!(h.finish(&mut buf).as_deref(), Some(&SPEC_ANSWER[..]));
    // The nonce is consumed, what follows it stays.
    assert_eq!(&buf[..], b"\x00");
}

#[test]
fn hixie76_waits_for_the_whole_body() {
    let h = Handshake::new(&req76(), LOC).expect("valid");
    let mut buf = BytesMut::new();
    for (i, b) in SPEC_KEY3.iter().enumerate() {
        assert_eq!(h.finish(&mut buf), None, "after {i} bytes");
        assert_eq!(buf.len(), i, "nothing consumed early");
        buf.extend_from_slice(&[*b]);
    }
    assert_eq!(h.finish(&mut buf).as_deref(), Some(&SPEC_ANSWER[..]));
    assert!(buf.is_empty());
}

#[test]
fn hixie76_echoes_the_protocol() {
    let r = HixieRequest {
        protocol: Some("chat"),
        ..req76()
    };
    let h = Handshake::new(&r, LOC).expect("valid");
    assert!(h
        .head()
        .ends_with(b"Sec-WebSocket-Location: ws://example.com/socket.io/1/websocket/abc?t=1\r\nSec-WebSocket-Protocol: chat\r\n\r\n"));
}

#[test]
fn missing_origin_omits_the_header() {
    let r = HixieRequest {
        origin: None,
        ..req76()
    };
    let h = Handshake::new(&r, LOC).expect("valid");
    let head = String::from_utf8(h.head().to_vec()).expect("ascii");
    assert!(!head.contains("Origin"), "{head}");
    assert!(!head.contains("undefined"), "{head}");
}

#[test]
fn hixie75_head_exact_and_no_body() {
    let r = HixieRequest {
        key1: None,
        key2: None,
        protocol: Some("ignored"),
        ..req76()
    };
    let h = Handshake::new(&r, LOC).expect("valid");
    assert_eq!(h.draft(), Draft::Hixie75);
    assert_eq!(
        h.head(),
        b"HTTP/1.1 101 Web Socket Protocol Handshake\r\n\
          Upgrade: WebSocket\r\n\
          Connection: Upgrade\r\n\
          WebSocket-Origin: http://example.com\r\n\
          WebSocket-Location: ws://example.com/socket.io/1/websocket/abc?t=1\r\n\
          \r\n"
    );
    assert_eq!(h.body_len(), 0);
    let mut buf = BytesMut::from(&b"\x001::\xff"[..]);
    assert_eq!(h.finish(&mut buf), Some(Vec::new()));
    assert_eq!(buf.len(), 5, "hixie-75 consumes nothing");
}

#[test]
fn upgrade_must_be_exactly_websocket() {
    for bad in [None, Some("websocket"), Some("WEBSOCKET"), Some("h2c")] {
        let r = HixieRequest {
            upgrade: bad,
            ..req76()
        };
        assert_eq!(Handshake::new(&r, LOC), Err(UpgradeError::NotWebsocket));
    }
}

#[test]
fn invalid_keys_refuse_the_upgrade() {
    let r = HixieRequest {
        key2: Some("12345"),
        ..req76()
    };
    assert_eq!(
        Handshake::new(&r, LOC),
        Err(UpgradeError::InvalidKey {
            key: "12345".into(),
            why: KeyError::NoSpaces
        })
    );
    let r = HixieRequest {
        key1: Some("429496729 6"),
        ..req76()
    };
    assert!(matches!(
        Handshake::new(&r, LOC),
        Err(UpgradeError::InvalidKey {
            why: KeyError::Overflow,
            ..
        })
    ));
    let r = HixieRequest {
        key2: None,
        ..req76()
    };
    assert!(matches!(
        Handshake::new(&r, LOC),
        Err(UpgradeError::InvalidKey {
            why: KeyError::Missing,
            ..
        })
    ));
    let e = Handshake::new(
        &HixieRequest {
            key1: Some(" 7 "),
            ..req76()
        },
        LOC,
    )
    .expect_err("7 is not a multiple of 2");
    assert_eq!(
        e.to_string(),
        "Invalid websocket key: \" 7 \" (key number not a multiple of the spaces)"
    );
}

#[test]
fn version_selection() {
    assert!(is_hixie(None));
    assert!(is_hixie(Some("76")));
    assert!(is_hixie(Some("6")));
    assert!(is_hixie(Some("")));
    assert!(!is_hixie(Some("13")));
    assert!(!is_hixie(Some("8")));
    assert!(!is_hixie(Some(" 7 ")));
}

#[test]
fn location_scheme() {
    let t = "/socket.io/1/websocket/x";
    assert_eq!(
        location(false, Some("https://a"), false, Some("h:1"), t),
        "ws://h:1/socket.io/1/websocket/x"
    );
    assert_eq!(
        location(false, None, true, Some("h"), t),
        "wss://h/socket.io/1/websocket/x"
    );
    // `match origin protocol`: substring `https` in the Origin.
    assert_eq!(
        location(true, Some("https://a"), false, Some("h"), t),
        "wss://h/socket.io/1/websocket/x"
    );
    assert_eq!(
        location(true, Some("x-https"), false, Some("h"), t),
        "wss://h/socket.io/1/websocket/x"
    );
    assert_eq!(
        location(true, Some("http://a"), true, Some("h"), t),
        "ws://h/socket.io/1/websocket/x"
    );
    // No Origin: `ws` (the reference crashes here, Q-17).
    assert_eq!(
        location(true, None, false, Some("h"), t),
        "ws://h/socket.io/1/websocket/x"
    );
    assert_eq!(
        location(false, None, false, None, t),
        "ws:///socket.io/1/websocket/x"
    );
}

// -- framing ----------------------------------------------------------------------------------

fn decode_all(dec: &mut FrameDecoder, buf: &mut BytesMut) -> Result<Vec<HixieEvent>, FrameError> {
    let mut out = Vec::new();
    while let Some(e) = dec.decode(buf)? {
        out.push(e);
    }
    Ok(out)
}

fn text(s: &str) -> HixieEvent {
    HixieEvent::Text(s.to_owned())
}

#[test]
fn write_frame_exact() {
    let mut out = Vec::new();
    write_frame("1::", &mut out);
    write_frame("3:::é", &mut out);
    assert_eq!(out, b"\x001::\xff\x003:::\xc3\xa9\xff");
}

#[test]
fn several_frames_in_one_read() {
    let mut dec = FrameDecoder::new(1000);
    let mut buf = BytesMut::from(&b"\x003:::a\xff\x00\xff\x003:::b\xff\x003:::"[..]);
    assert_eq!(
        decode_all(&mut dec, &mut buf),
        Ok(vec![text("3:::a"), text(""), text("3:::b")])
    );
    assert_eq!(&buf[..], b"\x003:::", "the partial frame stays");
    assert!(dec.in_frame());
    buf.extend_from_slice(b"c\xff");
    assert_eq!(decode_all(&mut dec, &mut buf), Ok(vec![text("3:::c")]));
    assert!(buf.is_empty());
    assert!(!dec.in_frame());
}

#[test]
fn frames_split_at_every_byte_boundary() {
    let stream: &[u8] = b"\x003:::h\xc3\xa9llo\xff\x005:::{\"name\":\"x\"}\xff\xff\x00";
    let want = vec![
        text("3:::héllo"),
        text("5:::{\"name\":\"x\"}"),
        HixieEvent::Close,
    ];
    for cut in 0..=stream.len() {
        let mut dec = FrameDecoder::new(1000);
        let mut buf = BytesMut::from(&stream[..cut]);
        let mut got = decode_all(&mut dec, &mut buf).expect("valid prefix");
        buf.extend_from_slice(&stream[cut..]);
        got.extend(decode_all(&mut dec, &mut buf).expect("valid rest"));
        assert_eq!(got, want, "cut at {cut}");
        assert!(buf.is_empty(), "cut at {cut}");
    }
    // And one byte per read.
    let mut dec = FrameDecoder::new(1000);
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for b in stream {
        buf.extend_from_slice(&[*b]);
        got.extend(decode_all(&mut dec, &mut buf).expect("valid"));
    }
    assert_eq!(got, want);
}

#[test]
fn close_frame() {
    let mut dec = FrameDecoder::new(10);
    let mut buf = BytesMut::from(&CLOSE_FRAME[..1]);
    assert_eq!(dec.decode(&mut buf), Ok(None));
    buf.extend_from_slice(&CLOSE_FRAME[1..]);
    assert_eq!(dec.decode(&mut buf), Ok(Some(HixieEvent::Close)));
    assert!(buf.is_empty());
}

#[test]
fn frame_not_starting_with_zero_is_an_error() {
    let mut dec = FrameDecoder::new(10);
    let mut buf = BytesMut::from(&b"3:::a\xff"[..]);
    assert_eq!(dec.decode(&mut buf), Err(FrameError::BadStart(b'3')));
    // After a good frame too.
    let mut buf = BytesMut::from(&b"\x00a\xffx"[..]);
    assert_eq!(dec.decode(&mut buf), Ok(Some(text("a"))));
    assert_eq!(dec.decode(&mut buf), Err(FrameError::BadStart(b'x')));
    // 0xFF followed by anything but 0x00.
    let mut buf = BytesMut::from(&b"\xff\x05hello"[..]);
    assert_eq!(dec.decode(&mut buf), Err(FrameError::BadStart(0xFF)));
}

#[test]
fn q18_u_fffd_inside_a_frame_is_kept() {
    // The reference cuts this message at the U+FFFD; we split on the 0xFF byte only.
    let mut dec = FrameDecoder::new(100);
    let mut buf = BytesMut::from(&b"\x003:::a\xef\xbf\xbdb\xff"[..]);
    assert_eq!(dec.decode(&mut buf), Ok(Some(text("3:::a\u{FFFD}b"))));
}

#[test]
fn q18_invalid_utf8_is_an_error() {
    let mut dec = FrameDecoder::new(100);
    let mut buf = BytesMut::from(&b"\x003:::\xc3(\xff"[..]);
    assert_eq!(dec.decode(&mut buf), Err(FrameError::InvalidUtf8));
}

#[test]
fn size_guard_per_message() {
    let mut dec = FrameDecoder::new(5);
    // Exactly the limit, many times: fine.
    let mut buf = BytesMut::from(&b"\x0012345\xff\x0012345\xff"[..]);
    assert_eq!(
        decode_all(&mut dec, &mut buf),
        Ok(vec![text("12345"), text("12345")])
    );
    // One byte more, complete in the buffer.
    let mut buf = BytesMut::from(&b"\x00123456\xff"[..]);
    assert_eq!(dec.decode(&mut buf), Err(FrameError::TooBig { limit: 5 }));
    // One byte more, still arriving: refused before the end comes.
    let mut dec = FrameDecoder::new(5);
    let mut buf = BytesMut::from(&b"\x00123"[..]);
    assert_eq!(dec.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"456");
    assert_eq!(dec.decode(&mut buf), Err(FrameError::TooBig { limit: 5 }));
}

proptest! {
    #[test]
    fn decode_of_written_frames(texts in proptest::collection::vec(".{0,20}", 0..6), cut in 0usize..200) {
        let mut wire = Vec::new();
        for t in &texts {
            write_frame(t, &mut wire);
        }
        let cut = cut.min(wire.len());
        let mut dec = FrameDecoder::new(1000);
        let mut buf = BytesMut::from(&wire[..cut]);
        let mut got = decode_all(&mut dec, &mut buf).expect("valid");
        buf.extend_from_slice(&wire[cut..]);
        got.extend(decode_all(&mut dec, &mut buf).expect("valid"));
        let want: Vec<HixieEvent> = texts.iter().map(|t| text(t)).collect();
        prop_assert_eq!(got, want);
    }
}

proptest! {
    /// Any bytes, cut anywhere: the decoder never panics, never returns text that was not
    /// between a 0x00 and a 0xFF, and stops at the first error.
    #[test]
    fn decoder_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64), cut in 0usize..64) {
        let cut = cut.min(bytes.len());
        let mut dec = FrameDecoder::new(16);
        let mut buf = BytesMut::from(&bytes[..cut]);
        let mut events = Vec::new();
        let mut failed = false;
        for chunk in [&bytes[cut..], &[][..]] {
            loop {
                match dec.decode(&mut buf) {
                    Ok(Some(e)) => events.push(e),
                    Ok(None) => break,
                    Err(_) => { failed = true; break; }
                }
            }
            if failed { break; }
            buf.extend_from_slice(chunk);
        }
        for e in events {
            if let HixieEvent::Text(t) = e {
                prop_assert!(t.len() <= 16);
                let framed = [&[0u8][..], t.as_bytes(), &[0xFF]].concat();
                prop_assert!(bytes.windows(framed.len()).any(|w| w == &framed[..]));
            }
        }
    }
}
