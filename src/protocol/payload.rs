//! Multi-packet payloads with U+FFFD framing (PROTOCOL.md §2.8).
//!
//! `U+FFFD len U+FFFD packet …`, where `len` counts **UTF-16 code units** (JavaScript
//! `String.length`): characters outside the BMP count 2. Bodies stay UTF-8; lengths are computed
//! and slices taken by walking characters.

const MARK: char = '\u{FFFD}';
const MARK_UTF8: &[u8] = "\u{FFFD}".as_bytes();

/// Length of `s` in UTF-16 code units (`str::encode_utf16().count()`, but faster).
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        // The common case, checked a word at a time.
        return s.len();
    }
    // One unit per char (= per non-continuation byte), one more per 4-byte sequence.
    s.bytes()
        .map(|b| usize::from((b & 0xC0) != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// Appends the payload for `packets`: one packet is written unframed; two or more each get
/// `U+FFFD{utf16 length}U+FFFD` in front. Nothing is written for no packets (the reference never
/// sends an empty payload; callers send `8::` or wait instead).
pub fn encode_payload<S: AsRef<str>>(packets: &[S], out: &mut String) {
    if packets.len() > 1 {
        out.reserve(packets.iter().map(|p| p.as_ref().len() + 12).sum());
    }
    encode_payload_with(
        packets.len(),
        |i| packets.get(i).map_or("", AsRef::as_ref),
        out,
    );
}

/// [`encode_payload`] for `count` packets given by index (`packet(i)` for `i < count`), for
/// callers whose packets are not a slice of strings (no vector of `&str` to build).
pub fn encode_payload_with<'a>(count: usize, packet: impl Fn(usize) -> &'a str, out: &mut String) {
    match count {
        0 => {}
        1 => out.push_str(packet(0)),
        n => {
            // `packet` is called once per packet (it may be costly); the caller's buffer
            // is expected to be reused, so growing it is rare.
            for i in 0..n {
                let p = packet(i);
                out.push(MARK);
                super::js_number::write_u64(out, utf16_len(p) as u64);
                out.push(MARK);
                out.push_str(p);
            }
        }
    }
}

/// The byte offset of the first U+FFFD in `s` (its UTF-8 form starts with 0xEF, a byte
/// that only starts three-byte sequences, so a byte search plus a check of the next two is
/// exact and needs no searcher set up per call).
fn find_mark(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|t| memchr::memchr(MARK_UTF8[0], t)) {
        let at = from + i;
        if s.get(at..at + MARK_UTF8.len()) == Some(MARK_UTF8) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Splits a body into packet strings, reproducing the reference's decoder:
///
/// - an empty body gives no packets;
/// - a body not starting with U+FFFD is one packet (`3:::a\u{FFFD}3:::b` is one message);
/// - otherwise frames are read in turn: the length is the text up to the next U+FFFD, the packet
///   is that many UTF-16 units after it (clamped at the end of the body), and the one character
///   after the packet is skipped (normally the next frame's U+FFFD);
/// - a length that is not plain decimal digits ends the scan (an empty length counts as 0, like
///   JavaScript's `Number("")`); `Number()`'s other forms (`0x10`, `1e1`, surrounding spaces) are
///   treated as not numeric, which no client sends;
/// - a length that ends in the middle of a surrogate pair ends the packet before that character
///   (the reference keeps the lone high surrogate, which Rust cannot), and the character is
///   skipped in place of the separator, as the reference effectively does.
///
/// Empty packets (length 0) are left out: the reference ignores them.
pub fn decode_payload(body: &str) -> Vec<&str> {
    let Some(mut rest) = body.strip_prefix(MARK) else {
        return if body.is_empty() {
            Vec::new()
        } else {
            vec![body]
        };
    };
    let mut out = Vec::new();
    while let Some(pos) = find_mark(rest.as_bytes()) {
        let Some(units) = rest.get(..pos).and_then(parse_len) else {
            break;
        };
        let after = rest.get(pos + MARK_UTF8.len()..).unwrap_or("");
        let (end, taken) = take_utf16(after, units);
        let packet = after.get(..end).unwrap_or("");
        if !packet.is_empty() {
            out.push(packet);
        }
        let mut tail = after.get(end..).unwrap_or("").chars();
        match tail.next() {
            None => break,
            // The unit after the packet is the high half of a non-BMP char: the reference
            // skips only that half and then reads the low half as a (non-numeric) length.
            Some(c) if taken == units && c.len_utf16() == 2 => break,
            Some(_) => rest = tail.as_str(),
        }
    }
    out
}

/// An empty length is 0 (`Number("")`); otherwise only ASCII digits, saturating on overflow.
fn parse_len(s: &str) -> Option<usize> {
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0usize, |n, c| {
        n.saturating_mul(10).saturating_add(usize::from(c - b'0'))
    }))
}

/// The longest prefix of `s` that is at most `units` UTF-16 units: (byte end, units taken).
/// Units taken is `units`, or less when `s` ends first or a surrogate pair would be split.
fn take_utf16(s: &str, units: usize) -> (usize, usize) {
    let b = s.as_bytes();
    let lim = units.min(b.len());
    if b.get(..lim).is_some_and(<[u8]>::is_ascii) && (lim == units || lim == b.len()) {
        // Safe to stop at `lim`: the byte before it is ASCII, so `lim` is a char boundary.
        return (lim, lim);
    }
    let mut taken = 0;
    for (i, c) in s.char_indices() {
        let u = c.len_utf16();
        if taken + u > units {
            return (i, taken);
        }
        taken += u;
    }
    (s.len(), taken)
}
