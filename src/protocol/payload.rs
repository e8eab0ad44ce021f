//! Multi-packet payloads with U+FFFD framing (PROTOCOL.md §2.8).
//!
//! `U+FFFD len U+FFFD packet …`, where `len` counts **UTF-16 code units** (JavaScript
//! `String.length`): characters outside the BMP count 2. Bodies stay UTF-8; lengths are computed
//! and slices taken by walking characters.

const MARK: char = '\u{FFFD}';
const MARK_UTF8: &[u8] = "\u{FFFD}".as_bytes();

/// Length of `s` in UTF-16 code units (`str::encode_utf16().count()`, but faster).
pub fn utf16_len(s: &str) -> usize {
    // One unit per char (= per non-continuation byte), one more per 4-byte sequence.
    s.bytes()
        .map(|b| usize::from((b & 0xC0) != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// Appends the payload for `packets`: one packet is written unframed; two or more each get
/// `U+FFFD{utf16 length}U+FFFD` in front. Nothing is written for no packets (the reference never
/// sends an empty payload; callers send `8::` or wait instead).
pub fn encode_payload<S: AsRef<str>>(packets: &[S], out: &mut String) {
    match packets {
        [] => {}
        [one] => out.push_str(one.as_ref()),
        many => {
            let total: usize = many.iter().map(|p| p.as_ref().len() + 12).sum();
            out.reserve(total);
            for p in many {
                let p = p.as_ref();
                out.push(MARK);
                super::js_number::write_u64(out, utf16_len(p) as u64);
                out.push(MARK);
                out.push_str(p);
            }
        }
    }
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
    while let Some(pos) = memchr::memmem::find(rest.as_bytes(), MARK_UTF8) {
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
