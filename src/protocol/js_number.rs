//! JavaScript `Number.prototype.toString()` (radix 10) for `f64`, and a small integer writer.

use std::fmt::Write as _;

/// 2^53: every integer with a smaller magnitude is exact in an `f64`, and JavaScript prints it
/// digit for digit.
pub(crate) const MAX_SAFE: u64 = 1 << 53;

/// Appends `n` in decimal.
pub(crate) fn write_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        // `n % 10` is below 10, so the cast and the addition cannot overflow.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(d as char);
    }
}

/// Appends `n` exactly as JavaScript's `String(n)` would: `60`, `0.05`, `1e+21`, `1.5e-7`,
/// `18446744073709552000`. Both zeros print `0` (JavaScript prints `-0` as `0`), and the
/// non-finite values print `NaN`, `Infinity`, `-Infinity`. Note that inside JSON
/// (`JSON.stringify`) non-finite numbers become `null` instead; [`crate::protocol::json`]'s
/// value writer takes care of that.
pub fn js_number(n: f64, out: &mut String) {
    if n.is_nan() {
        out.push_str("NaN");
        return;
    }
    if n == 0.0 {
        out.push('0');
        return;
    }
    if n.is_infinite() {
        out.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    let mut v = n;
    if v < 0.0 {
        out.push('-');
        v = -v;
    }
    if v.fract() == 0.0 && v < MAX_SAFE as f64 {
        // Exact integer: its shortest round-trip digits are the integer itself.
        write_u64(out, v as u64);
        return;
    }
    // Rust's `{:e}` prints the shortest round-trip digits: `d[.ddd]e[-]x`.
    let mut sci = StackStr::new();
    if write!(sci, "{v:e}").is_err() {
        // Cannot happen (the buffer fits any f64); fall back to Rust's own form.
        let _ = write!(out, "{v}");
        return;
    }
    let text = sci.as_str();
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits = StackStr::new();
    for c in mantissa.chars().filter(char::is_ascii_digit) {
        digits.push(c);
    }
    let s = digits.as_str();
    let k = s.len() as i32;
    // value = 0.s × 10^n  (ECMA-262 Number::toString, step with k digits and exponent n)
    let n = exp + 1;
    if k <= n && n <= 21 {
        out.push_str(s);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let (int, frac) = s.split_at_checked(n as usize).unwrap_or((s, ""));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(s);
    } else {
        let (first, rest) = s.split_at_checked(1).unwrap_or((s, ""));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        write_u64(out, u64::from((n - 1).unsigned_abs()));
    }
}

/// A fixed 40-byte ASCII buffer, enough for any `{:e}` rendering of an `f64`.
struct StackStr {
    buf: [u8; 40],
    len: usize,
}

impl StackStr {
    fn new() -> Self {
        StackStr {
            buf: [0; 40],
            len: 0,
        }
    }

    fn push(&mut self, c: char) {
        let _ = self.write_char(c);
    }

    fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Write for StackStr {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
