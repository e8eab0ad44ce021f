//! A validating JSON scanner: checks strict RFC 8259 syntax without building any value.
//!
//! It is the gatekeeper in front of every JSON parser in the crate:
//! - nesting deeper than [`MAX_DEPTH`] is refused before a recursive parser can overflow the
//!   stack (simd-json has no depth limit of its own);
//! - escaped lone surrogates (`"\ud800"`) are refused: JavaScript's `JSON.parse` accepts them,
//!   but a Rust string cannot hold them (serde_json refuses them, simd-json mangles them);
//! - numbers that a Rust parser may refuse or that need care (very long integers, exponents of
//!   three or more digits) are flagged `risky`, so callers confirm them with a real parse.
//!
//! It never allocates and never recurses.

/// Deepest nesting of arrays/objects accepted anywhere. Below serde_json's own limit (127
/// levels) with room to spare, so a consumer may wrap accepted text in a few more levels and
/// still parse it with serde_json.
pub(crate) const MAX_DEPTH: usize = 100;

/// Why the scanner refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// Not JSON: the byte offset where the scan stopped.
    Syntax(usize),
    /// Arrays/objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A value that scanned clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Byte offset just past the value (trailing whitespace not consumed).
    pub end: usize,
    /// A number in it may be out of range for Rust parsers: confirm with a full parse.
    pub risky: bool,
}

/// Checks that the whole text is one JSON value, surrounded by optional whitespace.
pub(crate) fn validate(b: &[u8]) -> Result<Scanned, ScanError> {
    let s = scan_value(b, skip_ws(b, 0))?;
    let end = skip_ws(b, s.end);
    if end == b.len() {
        Ok(s)
    } else {
        Err(ScanError::Syntax(end))
    }
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Scans one JSON value starting exactly at `start` (no leading whitespace skipped).
pub(crate) fn scan_value(b: &[u8], start: usize) -> Result<Scanned, ScanError> {
    // Bit d of `objects` is set when the container at depth d is an object.
    let mut objects: u128 = 0;
    let mut depth: usize = 0;
    let mut risky = false;
    let mut i = start;
    'value: loop {
        if depth > 0 {
            i = skip_ws(b, i);
        }
        let c = *b.get(i).ok_or(ScanError::Syntax(i))?;
        match c {
            b'{' | b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(ScanError::TooDeep);
                }
                let is_obj = c == b'{';
                if is_obj {
                    objects |= 1u128 << depth;
                } else {
                    objects &= !(1u128 << depth);
                }
                depth += 1;
                i = skip_ws(b, i + 1);
                let close = if is_obj { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    depth -= 1;
                    i += 1;
                } else {
                    if is_obj {
                        i = scan_key(b, i)?;
                    }
                    continue 'value;
                }
            }
            b'"' => i = scan_string(b, i)?,
            b't' => i = expect_literal(b, i, b"true")?,
            b'f' => i = expect_literal(b, i, b"false")?,
            b'n' => i = expect_literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => {
                let (end, r) = scan_number(b, i)?;
                i = end;
                risky |= r;
            }
            _ => return Err(ScanError::Syntax(i)),
        }
        // A complete value ends at `i`: close containers or move to the next element.
        loop {
            if depth == 0 {
                return Ok(Scanned { end: i, risky });
            }
            i = skip_ws(b, i);
            let is_obj = objects & (1u128 << (depth - 1)) != 0;
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    if is_obj {
                        i = scan_key(b, skip_ws(b, i))?;
                    }
                    continue 'value;
                }
                Some(b']') if !is_obj => {
                    depth -= 1;
                    i += 1;
                }
                Some(b'}') if is_obj => {
                    depth -= 1;
                    i += 1;
                }
                _ => return Err(ScanError::Syntax(i)),
            }
        }
    }
}

/// `"key"` then optional whitespace then `:`; returns the offset after the colon.
fn scan_key(b: &[u8], i: usize) -> Result<usize, ScanError> {
    if b.get(i) != Some(&b'"') {
        return Err(ScanError::Syntax(i));
    }
    let i = skip_ws(b, scan_string(b, i)?);
    if b.get(i) == Some(&b':') {
        Ok(i + 1)
    } else {
        Err(ScanError::Syntax(i))
    }
}

fn expect_literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, ScanError> {
    match b.get(i..i + lit.len()) {
        Some(s) if s == lit => Ok(i + lit.len()),
        _ => Err(ScanError::Syntax(i)),
    }
}

/// Scans a string starting at the opening quote; returns the offset after the closing quote.
pub(crate) fn scan_string(b: &[u8], start: usize) -> Result<usize, ScanError> {
    let mut i = start + 1;
    loop {
        let rest = b.get(i..).ok_or(ScanError::Syntax(i))?;
        let Some(off) = memchr::memchr2(b'"', b'\\', rest) else {
            return Err(ScanError::Syntax(b.len()));
        };
        if let Some(bad) = rest
            .get(..off)
            .and_then(|s| s.iter().position(|&c| c < 0x20))
        {
            return Err(ScanError::Syntax(i + bad));
        }
        i += off;
        if b.get(i) == Some(&b'"') {
            return Ok(i + 1);
        }
        // A backslash escape.
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
            Some(b'u') => {
                let unit = hex4(b, i + 2).ok_or(ScanError::Syntax(i))?;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = match b.get(i + 6..i + 8) {
                            Some(br"\u") => hex4(b, i + 8),
                            _ => None,
                        };
                        match low {
                            Some(0xDC00..=0xDFFF) => i += 12,
                            _ => return Err(ScanError::Syntax(i)),
                        }
                    }
                    0xDC00..=0xDFFF => return Err(ScanError::Syntax(i)),
                    _ => i += 6,
                }
            }
            _ => return Err(ScanError::Syntax(i)),
        }
    }
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &c in s {
        let d = (c as char).to_digit(16)?;
        v = v * 16 + d;
    }
    Some(v)
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; returns (end, risky).
fn scan_number(b: &[u8], start: usize) -> Result<(usize, bool), ScanError> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(b, i + 1),
        _ => return Err(ScanError::Syntax(i)),
    }
    let int_digits = i - int_start;
    let mut plain_integer = true;
    let mut risky = false;
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return Err(ScanError::Syntax(end));
        }
        i = end;
        plain_integer = false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return Err(ScanError::Syntax(end));
        }
        // 1e99 with up to 40 mantissa digits stays well inside f64's range.
        risky |= end - i > 2;
        i = end;
        plain_integer = false;
    }
    // Integers beyond 64 bits are refused by simd-json; long mantissas are unusual.
    risky |= (plain_integer && int_digits > 18) || i - start > 40;
    Ok((i, risky))
}

#[inline]
fn digits(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    i
}
