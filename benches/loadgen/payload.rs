//! U+FFFD multi-packet payloads (PROTOCOL.md §2.8) over UTF-8 bytes, with packet lengths in
//! UTF-16 code units (JavaScript `String.length`).

/// The UTF-8 encoding of U+FFFD, the frame marker.
pub const MARK: &[u8] = "\u{FFFD}".as_bytes();

/// UTF-16 length of the UTF-8 text `b` (each character counts 1, those outside the BMP 2).
pub fn utf16_len(b: &[u8]) -> usize {
    b.iter()
        .map(|&c| match c {
            0x80..=0xBF => 0, // continuation byte
            0xF0..=0xFF => 2, // lead byte of a 4-byte sequence: a surrogate pair
            _ => 1,
        })
        .sum()
}

/// Byte length of the prefix of `b` holding `units` UTF-16 units, clamped at the end of `b`
/// (the reference's `substr` clamps too). `None` when the cut would split a surrogate pair.
pub fn utf16_prefix(b: &[u8], units: usize) -> Option<usize> {
    let (mut i, mut u) = (0, 0);
    while u < units && i < b.len() {
        let (bytes, w) = match b[i] {
            0x00..=0x7F => (1, 1),
            0xC0..=0xDF => (2, 1),
            0xE0..=0xEF => (3, 1),
            0xF0..=0xFF => (4, 2),
            _ => (1, 1), // stray continuation byte: the lossy decoder makes it one U+FFFD
        };
        if u + w > units {
            return None;
        }
        i += bytes;
        u += w;
    }
    Some(i.min(b.len()))
}

/// Encode `packets` as one body into `out` (cleared): a single packet unframed, several each
/// as U+FFFD length U+FFFD packet.
pub fn encode<P: AsRef<[u8]>>(out: &mut Vec<u8>, packets: &[P]) {
    out.clear();
    if let [one] = packets {
        out.extend_from_slice(one.as_ref());
        return;
    }
    for p in packets {
        let p = p.as_ref();
        out.extend_from_slice(MARK);
        crate::ws::put_u64(out, utf16_len(p) as u64);
        out.extend_from_slice(MARK);
        out.extend_from_slice(p);
    }
}

/// Decode a body into its packets, calling `f` for each in order. Stricter than the
/// reference decoder (§2.8 steps 1–3): framing the servers never produce (a non-numeric
/// length, a length splitting a surrogate pair or running past the end, bytes between
/// frames) is an error rather than a silently different split.
pub fn decode<'a>(body: &'a [u8], mut f: impl FnMut(&'a [u8])) -> Result<(), String> {
    if body.is_empty() {
        return Ok(());
    }
    if !body.starts_with(MARK) {
        f(body);
        return Ok(());
    }
    let mut rest = body;
    while !rest.is_empty() {
        let after = rest
            .strip_prefix(MARK)
            .ok_or_else(|| "payload: bytes between frames".to_string())?;
        let end = memchr::memmem::find(after, MARK)
            .ok_or_else(|| "payload: length without a closing U+FFFD".to_string())?;
        let len: usize = std::str::from_utf8(&after[..end])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| {
                format!(
                    "payload: bad length {:?}",
                    String::from_utf8_lossy(&after[..end])
                )
            })?;
        let data = &after[end + MARK.len()..];
        let n = utf16_prefix(data, len)
            .ok_or_else(|| "payload: a length splits a surrogate pair".to_string())?;
        if utf16_len(&data[..n]) != len {
            return Err(format!(
                "payload: length {len} runs past the end of the body"
            ));
        }
        f(&data[..n]);
        rest = &data[n..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(body: &[u8]) -> Result<Vec<String>, String> {
        let mut v = Vec::new();
        decode(body, |p| v.push(String::from_utf8_lossy(p).into_owned()))?;
        Ok(v)
    }

    #[test]
    fn spec_examples() {
        let body = "\u{FFFD}34\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}\u{FFFD}32\u{FFFD}5:::{\"name\":\"echo\",\"args\":[\"a\"]}";
        assert_eq!(
            packets(body.as_bytes()).unwrap(),
            [
                "5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}",
                "5:::{\"name\":\"echo\",\"args\":[\"a\"]}"
            ]
        );
        let mut out = Vec::new();
        encode(
            &mut out,
            &[
                "5:::{\"name\":\"echo\",\"args\":[\"é😀\"]}",
                "5:::{\"name\":\"echo\",\"args\":[\"a\"]}",
            ],
        );
        assert_eq!(out, body.as_bytes());
        assert_eq!(
            packets("\u{FFFD}5\u{FFFD}3:::5\u{FFFD}7\u{FFFD}3:::53d".as_bytes()).unwrap(),
            ["3:::5", "3:::53d"]
        );
        assert_eq!(packets(b"3:::a").unwrap(), ["3:::a"]);
        assert_eq!(packets(b"").unwrap(), Vec::<String>::new());
        encode(&mut out, &["1::"]);
        assert_eq!(out, b"1::");
    }

    #[test]
    fn rejects_bad_framing() {
        assert!(packets("\u{FFFD}abc\u{FFFD}x".as_bytes()).is_err());
        assert!(packets("\u{FFFD}9\u{FFFD}short".as_bytes()).is_err());
        assert!(packets("\u{FFFD}1\u{FFFD}😀".as_bytes()).is_err());
        assert!(packets("\u{FFFD}1\u{FFFD}ab".as_bytes()).is_err());
    }
}
