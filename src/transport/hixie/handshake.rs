//! The hixie-75/76 upgrade: which draft a request speaks, the key numbers and challenge
//! answer of hixie-76, and the exact `101` response heads (PROTOCOL.md §3.2.3).

use bytes::{Buf, BytesMut};
use md5::{Digest, Md5};

/// Length of the hixie-76 "key3": the bytes that follow the request head.
pub const NONCE_LEN: usize = 8;

/// Whether an upgrade with this `Sec-WebSocket-Version` value (`None` = absent) is a hixie
/// one: every value other than 7, 8 and 13 is (§3.2, the reference's version table).
pub fn is_hixie(version: Option<&str>) -> bool {
    !matches!(version.map(str::trim), Some("7" | "8" | "13"))
}

/// What the hixie handshake needs from the request (`None` = header absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HixieRequest<'a> {
    /// The `Upgrade` header.
    pub upgrade: Option<&'a str>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// The request target, as received.
    pub target: &'a str,
    /// `Sec-WebSocket-Key1` (its presence selects hixie-76).
    pub key1: Option<&'a str>,
    /// `Sec-WebSocket-Key2`.
    pub key2: Option<&'a str>,
    /// `Sec-WebSocket-Protocol`, echoed by hixie-76 when present.
    pub protocol: Option<&'a str>,
}

/// Which draft a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draft {
    /// hixie-75: no challenge, no closing frame.
    Hixie75,
    /// hixie-76: 16-byte challenge answer after the head, `0xFF 0x00` closing frame.
    Hixie76,
}

/// Why a hixie-76 key is refused (the reference logs `Invalid websocket key: "…".`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// `Sec-WebSocket-Key2` is absent while `Sec-WebSocket-Key1` is present.
    #[error("missing")]
    Missing,
    /// The key holds no digit at all.
    #[error("no digits")]
    NoDigits,
    /// The key holds no space (division by zero).
    #[error("no spaces")]
    NoSpaces,
    /// The number formed by the digits does not fit in 32 bits (a client builds it as
    /// spaces × a 32-bit number ≤ 4 294 967 295, so a larger one is never valid).
    #[error("key number larger than 4294967295")]
    Overflow,
    /// The number is not a multiple of the number of spaces.
    #[error("key number not a multiple of the spaces")]
    NotMultiple,
}

/// Why a hixie upgrade is refused: the connection is closed without a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    /// `Upgrade` is not exactly `WebSocket` (the drafts' spelling, case-sensitive).
    #[error("websocket connection invalid")]
    NotWebsocket,
    /// `Sec-WebSocket-Key1` or `-Key2` is invalid or missing (`key` holds its text).
    #[error("Invalid websocket key: \"{key}\" ({why})")]
    InvalidKey {
        /// The key as received (empty when `Sec-WebSocket-Key2` is missing).
        key: String,
        /// What is wrong with it.
        why: KeyError,
    },
}

/// The key number of a hixie-76 `Sec-WebSocket-Key1`/`-Key2`: the decimal number formed by
/// its digits divided by its number of spaces (U+0020), when that division is exact.
pub fn key_number(key: &str) -> Result<u32, KeyError> {
    let mut n: u64 = 0;
    let mut digits = false;
    let mut spaces: u64 = 0;
    for b in key.bytes() {
        match b {
            b'0'..=b'9' => {
                digits = true;
                // Stops growing once past u32::MAX, so no u64 overflow either.
                if n <= u64::from(u32::MAX) {
                    n = n * 10 + u64::from(b - b'0');
                }
            }
            b' ' => spaces += 1,
            _ => {}
        }
    }
    if !digits {
        return Err(KeyError::NoDigits);
    }
    if n > u64::from(u32::MAX) {
        return Err(KeyError::Overflow);
    }
    if spaces == 0 {
        return Err(KeyError::NoSpaces);
    }
    if !n.is_multiple_of(spaces) {
        return Err(KeyError::NotMultiple);
    }
    // n ≤ u32::MAX and spaces ≥ 1, so the quotient fits.
    u32::try_from(n / spaces).map_err(|_| KeyError::Overflow)
}

/// The 16-byte hixie-76 challenge answer: MD5 of key number 1 and key number 2 (4 bytes
/// big-endian each) followed by the 8 bytes after the request head.
pub fn challenge_answer(key1: u32, key2: u32, key3: &[u8; NONCE_LEN]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(key1.to_be_bytes());
    h.update(key2.to_be_bytes());
    h.update(key3);
    h.finalize().into()
}

/// The `Sec-WebSocket-Location` / `WebSocket-Location` value (§1.13): `wss://` when
/// `match origin protocol` is on and the `Origin` contains `https` (no `Origin` → `ws`,
/// Q-17), or when it is off and the connection is TLS; `ws://` otherwise. Then the `Host`
/// header (empty when absent) and the request target.
pub fn location(
    match_origin_protocol: bool,
    origin: Option<&str>,
    tls: bool,
    host: Option<&str>,
    target: &str,
) -> String {
    let secure = if match_origin_protocol {
        origin.is_some_and(|o| o.contains("https"))
    } else {
        tls
    };
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{}{target}", host.unwrap_or(""))
}

/// The `101` response head of `draft`, blank line included: the status line and headers in
/// the reference's order. The origin header is written raw and omitted when the request had
/// no `Origin`; `Sec-WebSocket-Protocol` is echoed by hixie-76 only.
pub fn response_head(
    draft: Draft,
    origin: Option<&str>,
    location: &str,
    protocol: Option<&str>,
) -> Vec<u8> {
    let mut s = String::with_capacity(160 + location.len());
    let prefix = match draft {
        Draft::Hixie76 => {
            s.push_str("HTTP/1.1 101 WebSocket Protocol Handshake\r\n");
            "Sec-WebSocket-"
        }
        Draft::Hixie75 => {
            s.push_str("HTTP/1.1 101 Web Socket Protocol Handshake\r\n");
            "WebSocket-"
        }
    };
    s.push_str("Upgrade: WebSocket\r\nConnection: Upgrade\r\n");
    if let Some(o) = origin {
        s.push_str(prefix);
        s.push_str("Origin: ");
        s.push_str(o);
        s.push_str("\r\n");
    }
    s.push_str(prefix);
    s.push_str("Location: ");
    s.push_str(location);
    s.push_str("\r\n");
    if let (Draft::Hixie76, Some(p)) = (draft, protocol) {
        s.push_str("Sec-WebSocket-Protocol: ");
        s.push_str(p);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// An accepted hixie upgrade: the response head to write at once and, for hixie-76, the key
/// numbers waiting for the 8 bytes after the request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    draft: Draft,
    head: Vec<u8>,
    keys: Option<(u32, u32)>,
}

impl Handshake {
    /// Validate `req` (the `origins` check is the caller's, before this) and build the
    /// response. `location` is the value of [`location`] for this request.
    pub fn new(req: &HixieRequest<'_>, location: &str) -> Result<Handshake, UpgradeError> {
        if req.upgrade.map(str::trim) != Some("WebSocket") {
            return Err(UpgradeError::NotWebsocket);
        }
        let (draft, keys) = match req.key1 {
            None => (Draft::Hixie75, None),
            Some(k1) => {
                let num = |k: &str| {
                    key_number(k).map_err(|why| UpgradeError::InvalidKey {
                        key: k.to_owned(),
                        why,
                    })
                };
                let k2 = req.key2.ok_or(UpgradeError::InvalidKey {
                    key: String::new(),
                    why: KeyError::Missing,
                })?;
                (Draft::Hixie76, Some((num(k1)?, num(k2)?)))
            }
        };
        let head = response_head(draft, req.origin, location, req.protocol);
        Ok(Handshake { draft, head, keys })
    }

    /// The draft the client speaks.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// The response head (status line to blank line), to write at once: the 8 bytes of a
    /// hixie-76 client may only come after it (HAProxy holds them back until it sees the
    /// `101`).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// How many bytes the handshake still needs after the head: 8 for hixie-76, else 0.
    pub fn body_len(&self) -> usize {
        if self.keys.is_some() {
            NONCE_LEN
        } else {
            0
        }
    }

    /// The bytes that complete the handshake after [`Handshake::head`]: for hixie-76, the
    /// challenge answer over the first 8 bytes of `buf` (consumed), or `None` while fewer
    /// have arrived; for hixie-75, nothing (`Some` of an empty vector).
    pub fn finish(&self, buf: &mut BytesMut) -> Option<Vec<u8>> {
        let Some((k1, k2)) = self.keys else {
            return Some(Vec::new());
        };
        let key3: [u8; NONCE_LEN] = buf.get(..NONCE_LEN)?.try_into().ok()?;
        buf.advance(NONCE_LEN);
        Some(challenge_answer(k1, k2, &key3).to_vec())
    }
}
