//! `JSON.stringify` compatibility (PROTOCOL.md §2.9) and guarded parsing.

use crate::protocol::json::*;
use serde_json::{json, Value};

fn num(n: f64) -> String {
    let mut s = String::new();
    js_number(n, &mut s);
    s
}

fn lit(f: fn(&mut String, &str), s: &str) -> String {
    let mut out = String::new();
    f(&mut out, s);
    out
}

#[test]
fn js_numbers() {
    let cases: &[(f64, &str)] = &[
        (60.0, "60"),
        (0.05, "0.05"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (1e-7, "1e-7"),
        (-0.0, "0"),
        (0.0, "0"),
        (2.0, "2"),
        (-1.5, "-1.5"),
        (25.5, "25.5"),
        (0.000001, "0.000001"),
        (0.0000015, "0.0000015"),
        (1e20, "100000000000000000000"),
        (123456789.125, "123456789.125"),
        (18446744073709551615.0, "18446744073709552000"),
        (9007199254740991.0, "9007199254740991"),
        (9007199254740993.0, "9007199254740992"),
        (1.23e-18, "1.23e-18"),
        (1.2345e25, "1.2345e+25"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.1 + 0.2, "0.30000000000000004"),
        (100.0, "100"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for &(n, want) in cases {
        assert_eq!(num(n), want, "{n:?}");
    }
}

#[test]
fn strings_like_json_stringify() {
    let s = "\u{0}\u{1f}\"\\/\u{7f}\u{2028}\u{2029}é😀<>&\u{8}\t\n\u{c}\r\u{b}";
    let plain = "\"\\u0000\\u001f\\\"\\\\/\u{7f}\u{2028}\u{2029}é😀<>&\\b\\t\\n\\f\\r\\u000b\"";
    assert_eq!(lit(write_js_string, s), plain);
    assert_eq!(
        lit(write_js_string_jsonp, s),
        "\"\\u0000\\u001f\\\"\\\\/\u{7f}\\u2028\\u2029é😀<>&\\b\\t\\n\\f\\r\\u000b\""
    );
    assert_eq!(
        lit(write_js_string_htmlfile, s),
        "\"\\u0000\\u001f\\\"\\\\\\/\u{7f}\u{2028}\u{2029}é😀<>&\\b\\t\\n\\f\\r\\u000b\""
    );
    assert_eq!(lit(write_js_string, ""), "\"\"");
    // Other E2-led characters stay raw in the JSONP form.
    assert_eq!(
        lit(write_js_string_jsonp, "€\u{2027}\u{202a}"),
        "\"€\u{2027}\u{202a}\""
    );
    // serde_json agrees with JSON.stringify on these rules.
    assert_eq!(
        lit(write_js_string, s),
        serde_json::to_string(s).expect("serialises")
    );
}

#[test]
fn values_like_json_stringify() {
    let v = json!({"b": 1, "a": [1.0, 2.5, -0.0, "x/y", null, true, false, {}], "c": {"z": [], "y": "é"}});
    assert_eq!(
        to_js_json(&v),
        r#"{"b":1,"a":[1,2.5,0,"x/y",null,true,false,{}],"c":{"z":[],"y":"é"}}"#
    );
    assert_eq!(to_js_json(&json!(u64::MAX)), "18446744073709552000");
    assert_eq!(to_js_json(&json!(i64::MIN)), "-9223372036854776000");
    assert_eq!(
        to_js_json(&json!(-9007199254740992i64)),
        "-9007199254740992"
    );
    assert_eq!(to_js_json(&json!(9007199254740992u64)), "9007199254740992");
    assert_eq!(to_js_json(&json!(1e21)), "1e+21");
    let mut out = String::from("x");
    write_value(&mut out, &json!([]));
    assert_eq!(out, "x[]");
}

#[test]
fn parse_and_validate() {
    assert_eq!(
        parse(r#" {"a":[1,2.5,"é"],"b":null} "#),
        Ok(json!({"a": [1, 2.5, "é"], "b": null}))
    );
    // Key order is kept.
    let v = parse(r#"{"z":1,"a":2}"#).expect("parses");
    assert_eq!(to_js_json(&v), r#"{"z":1,"a":2}"#);
    assert_eq!(
        parse("123456789012345678901234567890"),
        Ok(json!(1.2345678901234568e29))
    );
    for good in [
        "0",
        "-0",
        "1E5",
        "1e-400",
        "\"\\ud83d\\ude00\"",
        "[]",
        "{}",
        " null ",
        "\"\\u0000\"",
    ] {
        assert!(is_valid(good), "{good:?}");
        assert!(parse(good).is_ok(), "{good:?}");
    }
    for bad in [
        "",
        " ",
        "[1,]",
        "01",
        "1.",
        "-",
        "+1",
        ".5",
        "nul",
        "truee",
        "[]]",
        "{\"a\"}",
        "{\"a\":}",
        "{,}",
        "[,1]",
        "\"\t\"",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "1e400",
        "-1e400",
        "[1] x",
        "'a'",
        "NaN",
        "Infinity",
        "{\"a\":1,}",
        "\"abc",
    ] {
        assert!(!is_valid(bad), "{bad:?}");
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    assert!(is_array(" [1, 2] "));
    assert!(!is_array("{}"));
    assert!(!is_array("[1"));
}

#[test]
fn big_integers_read_like_json_parse() {
    // simd-json refuses these; they must come back as correctly rounded doubles.
    assert_eq!(
        parse("-486861165591253000000"),
        Ok(json!(-4.86861165591253e20))
    );
    assert_eq!(
        parse("123456789012345680000"),
        Ok(json!(1.2345678901234568e20))
    );
    assert_eq!(
        to_js_json(&parse(r#"{"12345678901234567890123":["12345678901234567890123",12345678901234567890123,-1e-7]}"#).expect("parses")),
        r#"{"12345678901234567890123":["12345678901234567890123",1.2345678901234568e+22,-1e-7]}"#
    );
    assert_eq!(parse("18446744073709551615"), Ok(json!(u64::MAX)));
    assert_eq!(parse("-9223372036854775808"), Ok(json!(i64::MIN)));
    assert!(matches!(
        parse("1.7976931348623159e308"),
        Err(JsonError::OutOfRange(_))
    ));
}

#[test]
fn nesting_limit() {
    let nest = |d: usize| "[".repeat(d) + &"]".repeat(d);
    let ok = nest(MAX_DEPTH);
    assert!(is_valid(&ok));
    assert!(parse(&ok).is_ok());
    // Whatever we accept, serde_json accepts too.
    assert!(serde_json::from_str::<Value>(&ok).is_ok());
    assert_eq!(parse(&nest(MAX_DEPTH + 1)), Err(JsonError::TooDeep));
    // Far deeper input is refused without recursion (simd-json alone would overflow the stack).
    let deep = nest(1_000_000);
    assert_eq!(parse(&deep), Err(JsonError::TooDeep));
    assert!(!is_valid(&deep));
    let objects = "{\"a\":".repeat(MAX_DEPTH) + "1" + &"}".repeat(MAX_DEPTH);
    assert!(is_valid(&objects));
    let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
    assert!(!is_valid(&objects));
}

#[test]
fn errors_display() {
    assert!(JsonError::TooDeep.to_string().contains("100"));
    assert!(matches!(parse("[1,]"), Err(JsonError::Syntax(3))));
}
