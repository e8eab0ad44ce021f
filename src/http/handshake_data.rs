//! The handshake data object (PROTOCOL.md §1.14) and JavaScript's `Date` string.

use serde_json::{Map, Value};

use super::query::parse_query;
use super::request::RequestHead;
use super::route::target_query;

/// The remote end of the TCP connection that carried the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAddr {
    /// The remote IP as text (as Node reports it, e.g. `127.0.0.1` or `::ffff:127.0.0.1`).
    pub ip: String,
    /// The remote TCP port.
    pub port: u16,
}

/// Headers Node keeps only the first of when repeated (`IncomingMessage` rules).
const FIRST_WINS: &[&str] = &[
    "age",
    "authorization",
    "content-length",
    "content-type",
    "etag",
    "expires",
    "from",
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
];

/// The request headers as Node exposes `req.headers`: lower-case names in first-seen
/// order; repeated headers joined with `, ` (`cookie` with `; `), except those Node
/// keeps only once (`host`, `user-agent`, `referer`, …) and `set-cookie` (an array).
pub fn node_headers(head: &RequestHead) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in &head.headers {
        match map.get_mut(name.as_str()) {
            None => {
                let v = if name == "set-cookie" {
                    Value::Array(vec![Value::String(value.clone())])
                } else {
                    Value::String(value.clone())
                };
                map.insert(name.clone(), v);
            }
            Some(Value::Array(items)) => items.push(Value::String(value.clone())),
            Some(Value::String(existing)) => {
                if FIRST_WINS.contains(&name.as_str()) {
                    continue;
                }
                existing.push_str(if name == "cookie" { "; " } else { ", " });
                existing.push_str(value);
            }
            Some(_) => {}
        }
    }
    map
}

/// Build the handshake data object, keys in the order of §1.14: `headers`, `address`,
/// `time`, `query`, `url`, `xdomain`, `secure` (only when `true`), `issued`.
///
/// `now_ms` is the handshake time in milliseconds since the Unix epoch.
pub fn handshake_data(
    head: &RequestHead,
    peer: &PeerAddr,
    now_ms: u64,
    secure: bool,
) -> Map<String, Value> {
    let mut address = Map::new();
    address.insert("address".into(), Value::String(peer.ip.clone()));
    address.insert("port".into(), Value::from(peer.port));

    let mut data = Map::new();
    data.insert("headers".into(), Value::Object(node_headers(head)));
    data.insert("address".into(), Value::Object(address));
    data.insert("time".into(), Value::String(js_date_string(now_ms)));
    data.insert(
        "query".into(),
        Value::Object(parse_query(target_query(&head.target))),
    );
    data.insert("url".into(), Value::String(head.target.clone()));
    data.insert("xdomain".into(), Value::Bool(head.origin().is_some()));
    if secure {
        data.insert("secure".into(), Value::Bool(true));
    }
    data.insert("issued".into(), Value::from(now_ms));
    data
}

/// Largest time a JavaScript `Date` can hold (±100 000 000 days around the epoch).
const JS_MAX_TIME_MS: u64 = 8_640_000_000_000_000;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `new Date(ms).toString()` in a process whose time zone is UTC, e.g.
/// `Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)`.
///
/// Times beyond JavaScript's range give `Invalid Date`.
pub fn js_date_string(ms_since_epoch: u64) -> String {
    if ms_since_epoch > JS_MAX_TIME_MS {
        return "Invalid Date".to_owned();
    }
    let secs = ms_since_epoch / 1000;
    let sod = secs % 86_400;
    let UtcDate {
        weekday,
        day,
        month_name,
        year,
    } = utc_date(secs / 86_400);
    format!(
        "{weekday} {month_name} {day:02} {year:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// The calendar parts of a UTC day, named as JavaScript's `Date` prints them.
pub(crate) struct UtcDate {
    /// `Thu`.
    pub weekday: &'static str,
    /// Day of the month, 1–31.
    pub day: u64,
    /// `Jan`.
    pub month_name: &'static str,
    /// Four-digit year.
    pub year: u64,
}

/// Calendar parts of the day `days` after 1970-01-01 (shared by the handshake data's
/// `time` and the static files' `Date`/`Expires` headers).
pub(crate) fn utc_date(days: u64) -> UtcDate {
    let (year, month, day) = civil_from_days(days);
    UtcDate {
        weekday: WEEKDAYS
            .get(((days + 4) % 7) as usize)
            .copied()
            .unwrap_or(""),
        day,
        month_name: MONTHS
            .get(month.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(""),
        year,
    }
}

/// Proleptic Gregorian (year, month 1–12, day 1–31) for days since 1970-01-01
/// (H. Hinnant's `civil_from_days`, restricted to non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::super::request::parse_head;
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(
            js_date_string(0),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        // 2026-11-25T20:20:31Z
        assert_eq!(
            js_date_string(1_795_638_031_000),
            "Wed Nov 25 2026 20:20:31 GMT+0000 (Coordinated Universal Time)"
        );
        // 2000-02-29T23:59:59.999Z (leap day, end of day)
        assert_eq!(
            js_date_string(951_868_799_999),
            "Tue Feb 29 2000 23:59:59 GMT+0000 (Coordinated Universal Time)"
        );
        // 2038-01-19T03:14:08Z (past i32 seconds)
        assert_eq!(
            js_date_string(2_147_483_648_000),
            "Tue Jan 19 2038 03:14:08 GMT+0000 (Coordinated Universal Time)"
        );
        // 1999-12-31T23:59:59Z
        assert_eq!(
            js_date_string(946_684_799_000),
            "Fri Dec 31 1999 23:59:59 GMT+0000 (Coordinated Universal Time)"
        );
        // The largest JavaScript date: +275760-09-13.
        assert_eq!(
            js_date_string(JS_MAX_TIME_MS),
            "Sat Sep 13 275760 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(js_date_string(JS_MAX_TIME_MS + 1), "Invalid Date");
        assert_eq!(js_date_string(u64::MAX), "Invalid Date");
    }

    #[test]
    fn data_object_key_order_and_values() {
        let head = parse_head(
            b"GET /socket.io/1/?t=1&a=b&a=c&x=%C3%A9 HTTP/1.1\r\nHost: h:3000\r\nHost: other\r\n\
              Origin: http://o.example\r\nAccept: a\r\naccept: b\r\nCookie: c=1\r\nCookie: d=2\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        let peer = PeerAddr {
            ip: "127.0.0.1".into(),
            port: 51234,
        };
        let d = handshake_data(&head, &peer, 1_795_638_031_123, false);
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            "{\"headers\":{\"host\":\"h:3000\",\"origin\":\"http://o.example\",\"accept\":\"a, b\",\"cookie\":\"c=1; d=2\"},\
             \"address\":{\"address\":\"127.0.0.1\",\"port\":51234},\
             \"time\":\"Wed Nov 25 2026 20:20:31 GMT+0000 (Coordinated Universal Time)\",\
             \"query\":{\"t\":\"1\",\"a\":[\"b\",\"c\"],\"x\":\"\u{e9}\"},\
             \"url\":\"/socket.io/1/?t=1&a=b&a=c&x=%C3%A9\",\"xdomain\":true,\"issued\":1795638031123}"
        );
        let d = handshake_data(&head, &peer, 5, true);
        let keys: Vec<&str> = d.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["headers", "address", "time", "query", "url", "xdomain", "secure", "issued"]
        );
    }

    #[test]
    fn no_origin_no_query() {
        let head = parse_head(b"GET /socket.io/1 HTTP/1.1\r\nOrigin: \r\n\r\n")
            .unwrap()
            .unwrap();
        let peer = PeerAddr {
            ip: "::1".into(),
            port: 1,
        };
        let d = handshake_data(&head, &peer, 0, false);
        assert_eq!(d.get("xdomain"), Some(&Value::Bool(false)));
        assert_eq!(d.get("query"), Some(&Value::Object(Map::new())));
        assert!(d.get("secure").is_none());
    }

    proptest::proptest! {
        #[test]
        fn date_string_never_panics(ms in proptest::prelude::any::<u64>()) {
            let s = js_date_string(ms);
            proptest::prop_assert!(!s.is_empty());
        }
    }
}
