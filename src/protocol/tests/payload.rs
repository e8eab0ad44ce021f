//! U+FFFD framing vectors from PROTOCOL.md §2.8 and Appendix A.1.

use crate::protocol::payload::*;

fn enc(packets: &[&str]) -> String {
    let mut s = String::new();
    encode_payload(packets, &mut s);
    s
}

const ECHO_EMOJI: &str = "5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}";
const ECHO_A: &str = "5:::{\"name\":\"echo\",\"args\":[\"a\"]}";
const ABC: &str = "5:::{\"name\":\"abc\",\"args\":[1,2,3]}";
const UTF8_TEST: &str = "5:::{\"name\":\"utf8-test\",\"args\":[\"Iñtërnâtiônàlizætiøn\"]}";

#[test]
fn utf16_lengths() {
    assert_eq!(utf16_len(""), 0);
    assert_eq!(utf16_len("abc"), 3);
    assert_eq!(utf16_len("é€"), 2);
    assert_eq!(utf16_len("😀"), 2);
    assert_eq!(utf16_len(ECHO_EMOJI), 34);
    assert_eq!(ECHO_EMOJI.chars().count(), 33);
    assert_eq!(ECHO_EMOJI.len(), 37);
    assert_eq!(utf16_len(ECHO_A), 32);
}

#[test]
fn encode_examples() {
    let framed = enc(&[ECHO_EMOJI, ECHO_A]);
    assert_eq!(
        framed,
        "\u{FFFD}34\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}\u{FFFD}32\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"a\"]}"
    );
    assert_eq!(
        framed.as_bytes()[..9],
        [0xEF, 0xBF, 0xBD, b'3', b'4', 0xEF, 0xBF, 0xBD, b'5']
    );
    assert_eq!(
        enc(&["3:::5", "3:::53d"]),
        "\u{FFFD}5\u{FFFD}3:::5\u{FFFD}7\u{FFFD}3:::53d"
    );
    // PROTOCOL.md §2.8 prints this example with length 63, which is the packet's UTF-8 byte
    // length; with the precomposed characters printed there its UTF-16 length (the normative
    // unit, verified by the é😀 example) is 56.
    assert_eq!(utf16_len(UTF8_TEST), 56);
    assert_eq!(UTF8_TEST.len(), 63);
    assert_eq!(
        enc(&[ABC, UTF8_TEST]),
        "\u{FFFD}33\u{FFFD}5:::{\"name\":\"abc\",\"args\":[1,2,3]}\u{FFFD}56\u{FFFD}5:::{\"name\":\"utf8-test\",\"args\":[\"Iñtërnâtiônàlizætiøn\"]}"
    );
    // One packet: unframed; none: nothing.
    assert_eq!(enc(&["1::"]), "1::");
    assert_eq!(enc(&[]), "");
    // Works with owned strings too, and appends.
    let mut s = String::from(">");
    encode_payload(&[String::from("2::"), String::from("8::")], &mut s);
    assert_eq!(s, ">\u{FFFD}3\u{FFFD}2::\u{FFFD}3\u{FFFD}8::");
}

#[test]
fn appendix_a1_poll_body() {
    let body = enc(&[
        "6:::7",
        "6:::8+[\"ackdata\",2]",
        "6:::9+[1,\"a\",{\"b\":null}]",
    ]);
    assert_eq!(
        body,
        "\u{FFFD}5\u{FFFD}6:::7\u{FFFD}19\u{FFFD}6:::8+[\"ackdata\",2]\u{FFFD}24\u{FFFD}6:::9+[1,\"a\",{\"b\":null}]"
    );
    assert_eq!(body.len(), 71);
    assert_eq!(
        decode_payload(&body),
        [
            "6:::7",
            "6:::8+[\"ackdata\",2]",
            "6:::9+[1,\"a\",{\"b\":null}]"
        ]
    );
}

#[test]
fn decode_examples() {
    assert_eq!(
        decode_payload("\u{FFFD}34\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}\u{FFFD}32\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"a\"]}"),
        [ECHO_EMOJI, ECHO_A]
    );
    assert_eq!(
        decode_payload("\u{FFFD}5\u{FFFD}3:::5\u{FFFD}7\u{FFFD}3:::53d"),
        ["3:::5", "3:::53d"]
    );
    assert_eq!(
        decode_payload("\u{FFFD}100\u{FFFD}3:::short"),
        ["3:::short"]
    );
    // The §2.8 example exactly as printed (length 63 for a 56-unit last packet) still decodes:
    // an over-long last length takes the rest of the body.
    assert_eq!(
        decode_payload("\u{FFFD}33\u{FFFD}5:::{\"name\":\"abc\",\"args\":[1,2,3]}\u{FFFD}63\u{FFFD}5:::{\"name\":\"utf8-test\",\"args\":[\"Iñtërnâtiônàlizætiøn\"]}"),
        [ABC, UTF8_TEST]
    );
    assert_eq!(decode_payload("3:::a\u{FFFD}3:::b"), ["3:::a\u{FFFD}3:::b"]);
    assert_eq!(decode_payload("1::"), ["1::"]);
    assert!(decode_payload("").is_empty());
}

#[test]
fn decode_odd_lengths() {
    // Non-numeric length ends the scan (packets before it are kept).
    assert!(decode_payload("\u{FFFD}abc\u{FFFD}3:::x").is_empty());
    assert_eq!(
        decode_payload("\u{FFFD}3\u{FFFD}2::\u{FFFD}x\u{FFFD}3:::x"),
        ["2::"]
    );
    // Empty length is Number("") = 0: an empty packet (dropped), then one char skipped.
    assert_eq!(
        decode_payload("\u{FFFD}\u{FFFD}\u{FFFD}3\u{FFFD}2::"),
        ["2::"]
    );
    // Length 0: dropped, scan goes on.
    assert_eq!(
        decode_payload("\u{FFFD}0\u{FFFD}\u{FFFD}3\u{FFFD}8::"),
        ["8::"]
    );
    // No closing mark: nothing.
    assert!(decode_payload("\u{FFFD}12").is_empty());
    assert!(decode_payload("\u{FFFD}").is_empty());
    // Huge length: takes the rest.
    assert_eq!(
        decode_payload("\u{FFFD}99999999999999999999999999\u{FFFD}3:::x"),
        ["3:::x"]
    );
    // The char after a packet is skipped whatever it is (reference behaviour).
    assert_eq!(
        decode_payload("\u{FFFD}3\u{FFFD}2::X3\u{FFFD}8::"),
        ["2::", "8::"]
    );
}

#[test]
fn decode_split_surrogate_pair_does_not_panic() {
    // Length 5 ends inside 😀 (units 4..6): the packet stops before it, and 😀 stands in for
    // the separator; what follows is misaligned like in the reference.
    assert_eq!(
        decode_payload("\u{FFFD}5\u{FFFD}3:::😀\u{FFFD}3\u{FFFD}2::"),
        ["3:::"]
    );
    assert_eq!(
        decode_payload("\u{FFFD}1\u{FFFD}😀\u{FFFD}3\u{FFFD}3::"),
        Vec::<&str>::new()
    );
    // Length ends exactly before a non-BMP char: the reference skips its high half and then
    // reads the low half as a (non-numeric) length: end.
    assert_eq!(
        decode_payload("\u{FFFD}3\u{FFFD}2::😀3\u{FFFD}8::"),
        ["2::"]
    );
    // Counting code points instead of units (a buggy sender) loses alignment, never panics.
    let bad = "\u{FFFD}33\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}\u{FFFD}3\u{FFFD}2::";
    let _ = decode_payload(bad);
}
