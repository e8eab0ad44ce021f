//! The websocket transport, sans-IO: the hybi-07/08 and RFC 6455 (version 13) upgrade
//! handshake and the frame codec (PROTOCOL.md §3.2, §3.2.1, §3.2.2).
//!
//! Nothing here touches a socket, a thread or a clock. The HTTP layer hands in the parsed request
//! headers ([`UpgradeRequest`]) and gets back the bytes of the `101` answer; the connection task
//! appends what it reads to a [`bytes::BytesMut`] and calls [`FrameDecoder::decode`] until it
//! returns `Ok(None)`; outbound packets become frames with [`write_text_frame`] (or
//! [`text_frame_header`] for a payload shared by many recipients, DESIGN.md §3).
//!
//! tungstenite supplies the accept-key derivation and the frame-header parser
//! ([`FrameHeader::parse`]); the message assembly, limits and policy are ours:
//!
//! - masking is accepted but not required on client frames (PROTOCOL.md §3.2.2);
//! - the size guard (`destroy buffer size`) applies per message, all fragments together, and is
//!   checked from a frame's header before its payload arrives (PROTOCOL.md Q-16);
//! - text is validated as UTF-8 on the complete message (close code 1007);
//! - server frames use the correct RFC 6455 length encoding; pings get a real pong.

use bytes::{Buf, BytesMut};
use std::io::Cursor;
use tungstenite::protocol::frame::coding::{CloseCode, Control, Data, OpCode};
use tungstenite::protocol::frame::FrameHeader;

// ---------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------

/// Log text when the origins check (§3.2.1 step 2, done by the caller) rejects an upgrade.
pub const ORIGIN_MISMATCH_LOG: &str = "websocket connection invalid: origin mismatch";

/// Which websocket flavour a request asked for (by its `Sec-WebSocket-Version` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsVersion {
    /// hybi-07…12, announced as version 7 or 8 (the value is kept). Same framing as RFC 6455;
    /// the origin is taken from `Sec-WebSocket-Origin`.
    Hybi(u8),
    /// RFC 6455, version 13. The origin is taken from `Origin`.
    Rfc6455,
}

impl WsVersion {
    /// Parse a `Sec-WebSocket-Version` value (surrounding whitespace ignored). `None` for an
    /// absent header or any version other than 7, 8 and 13 (the hixie drafts: see
    /// [`crate::transport::hixie`]).
    pub fn from_header(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            Some("13") => Some(WsVersion::Rfc6455),
            Some("7") => Some(WsVersion::Hybi(7)),
            Some("8") => Some(WsVersion::Hybi(8)),
            _ => None,
        }
    }

    /// The version number as sent in `Sec-WebSocket-Version`.
    pub fn number(self) -> u8 {
        match self {
            WsVersion::Hybi(n) => n,
            WsVersion::Rfc6455 => 13,
        }
    }
}

/// What the upgrade validation needs from the request. The HTTP layer fills it from the parsed
/// headers (`None` = header absent); values are used as received, surrounding whitespace aside.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpgradeRequest<'a> {
    /// The `Upgrade` header.
    pub upgrade: Option<&'a str>,
    /// The `Sec-WebSocket-Version` header.
    pub version: Option<&'a str>,
    /// The `Sec-WebSocket-Key` header.
    pub key: Option<&'a str>,
    /// The `Origin` header (used for version 13).
    pub origin: Option<&'a str>,
    /// The `Sec-WebSocket-Origin` header (used for versions 7 and 8).
    pub sec_websocket_origin: Option<&'a str>,
}

/// Why an upgrade request is refused. Every case closes the TCP connection without an HTTP
/// response (PROTOCOL.md §3.2.1); the `Display` text is the reference's warn-level log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    /// `Upgrade` absent or not `websocket` (case-insensitive).
    #[error("websocket connection invalid")]
    NotWebsocket,
    /// `Sec-WebSocket-Version` absent or not 7, 8 or 13: a hixie-75/76 client, which this codec
    /// does not handle (the runtime routes those to [`crate::transport::hixie`] first).
    #[error("websocket connection invalid: unsupported websocket version")]
    UnsupportedVersion,
    /// No `Sec-WebSocket-Key` header.
    #[error("websocket connection invalid: received no key")]
    NoKey,
}

/// Validate §3.2.1 step 1 (the `Upgrade` header) and pick the version; return the version and
/// the value the origins check (step 2) must use: `Origin` for version 13, `Sec-WebSocket-Origin`
/// for 7/8, and `""` when that header is absent (the check then denies unless `*:*`).
///
/// This is the first half of [`validate_upgrade`], for callers that want the reference's exact
/// log order (origin mismatch is reported before a missing key): call this, check the origin,
/// then [`require_key`].
pub fn validate_upgrade_head<'a>(
    req: &UpgradeRequest<'a>,
) -> Result<(WsVersion, &'a str), UpgradeError> {
    let version = WsVersion::from_header(req.version).ok_or(UpgradeError::UnsupportedVersion)?;
    let is_websocket = req
        .upgrade
        .is_some_and(|u| u.trim().eq_ignore_ascii_case("websocket"));
    if !is_websocket {
        return Err(UpgradeError::NotWebsocket);
    }
    let origin = match version {
        WsVersion::Rfc6455 => req.origin,
        WsVersion::Hybi(_) => req.sec_websocket_origin,
    };
    Ok((version, origin.unwrap_or("")))
}

/// §3.2.1 step 3: the `Sec-WebSocket-Key` (trimmed), or [`UpgradeError::NoKey`] when it is
/// absent or empty. The key's format is not validated (the reference does not either).
pub fn require_key<'a>(req: &UpgradeRequest<'a>) -> Result<&'a str, UpgradeError> {
    req.key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(UpgradeError::NoKey)
}

/// Validate §3.2.1 steps 1 and 3, pick the version, and return the origin value the origins
/// check must use (step 2 is done by the caller with that value: version 13 → `Origin`,
/// versions 7/8 → `Sec-WebSocket-Origin`, `""` when absent).
///
/// A request without a supported version (hixie) yields [`UpgradeError::UnsupportedVersion`]
/// before anything else is looked at (every error closes the connection; only the log differs).
pub fn validate_upgrade<'a>(
    req: &UpgradeRequest<'a>,
) -> Result<(WsVersion, &'a str), UpgradeError> {
    let head = validate_upgrade_head(req)?;
    require_key(req)?;
    Ok(head)
}

/// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
pub fn accept_key(key: &str) -> String {
    tungstenite::handshake::derive_accept_key(key.as_bytes())
}

/// The complete `101` answer of §3.2.1: exactly four header lines and the blank line. No
/// subprotocol and no extension is negotiated.
pub fn handshake_response(key: &str) -> Vec<u8> {
    let accept = accept_key(key);
    let mut out = Vec::with_capacity(97 + accept.len());
    out.extend_from_slice(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ",
    );
    out.extend_from_slice(accept.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

// ---------------------------------------------------------------------------------------------
// Server → client frames
// ---------------------------------------------------------------------------------------------

/// First byte of a final text frame (FIN + opcode 1).
const TEXT_FIN: u8 = 0x81;
/// First byte of a final close frame.
const CLOSE_FIN: u8 = 0x88;
/// First byte of a final pong frame.
const PONG_FIN: u8 = 0x8A;
/// RFC 6455 §5.5: control-frame payloads are at most 125 bytes.
const MAX_CONTROL_PAYLOAD: usize = 125;
/// Longest unmasked frame header: 2 bytes + 64-bit length.
pub const MAX_SERVER_HEADER_LEN: usize = 10;

/// Write an unmasked header with first byte `first` for a payload of `len` bytes into `out`,
/// using RFC 6455 length encoding (≤125: 7-bit; ≤65535: 126 + 16-bit; else 127 + 64-bit — a
/// payload of exactly 65 536 bytes takes the 64-bit form, Q-14). Returns the header length.
fn frame_header(first: u8, len: usize, out: &mut [u8; MAX_SERVER_HEADER_LEN]) -> usize {
    out[0] = first;
    if len <= 125 {
        out[1] = len as u8;
        2
    } else if let Ok(short) = u16::try_from(len) {
        out[1] = 126;
        let [a, b] = short.to_be_bytes();
        out[2] = a;
        out[3] = b;
        4
    } else {
        out[1] = 127;
        let bytes = (len as u64).to_be_bytes();
        out[2..10].copy_from_slice(&bytes);
        10
    }
}

fn write_frame(first: u8, payload: &[u8], out: &mut Vec<u8>) {
    let mut head = [0u8; MAX_SERVER_HEADER_LEN];
    let n = frame_header(first, payload.len(), &mut head);
    out.reserve(n + payload.len());
    out.extend_from_slice(&head[..n]);
    out.extend_from_slice(payload);
}

/// Append one unfragmented, unmasked text frame (`0x81`, PROTOCOL.md §3.2.2) carrying `payload`
/// (the UTF-8 of one packet) to `out`.
pub fn write_text_frame(payload: &[u8], out: &mut Vec<u8>) {
    write_frame(TEXT_FIN, payload, out);
}

/// One unfragmented, unmasked text frame carrying `payload`, as a new buffer.
pub fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_text_frame(payload, &mut out);
    out
}

/// Write only the header of a final, unmasked text frame for a payload of `len` bytes into
/// `out` and return its length (2, 4 or 10); `&out[..n]` followed by the payload is the frame.
/// For vectored writes of one payload shared by many recipients.
pub fn text_frame_header(len: usize, out: &mut [u8; 10]) -> usize {
    frame_header(TEXT_FIN, len, out)
}

/// A pong frame echoing a ping's payload. Control payloads are limited to 125 bytes;
/// a longer `payload` (never produced by [`FrameDecoder`]) is cut to 125.
pub fn pong_frame(payload: &[u8]) -> Vec<u8> {
    let payload = payload.get(..MAX_CONTROL_PAYLOAD).unwrap_or(payload);
    let mut out = Vec::with_capacity(2 + payload.len());
    write_frame(PONG_FIN, payload, &mut out);
    out
}

/// A close frame with a status `code` (1000 normal, 1002 protocol error, 1007 invalid UTF-8,
/// 1009 too big, see [`WsError::close_code`]) and a `reason`, cut at a character boundary to
/// the 123 bytes a control frame can hold.
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let reason = reason.as_bytes().get(..end).unwrap_or_default();
    let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
    let [hi, lo] = code.to_be_bytes();
    payload[0] = hi;
    payload[1] = lo;
    payload[2..2 + reason.len()].copy_from_slice(reason);
    let mut out = Vec::with_capacity(4 + reason.len());
    write_frame(CLOSE_FIN, &payload[..2 + reason.len()], &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Client → server frames
// ---------------------------------------------------------------------------------------------

/// Close code for a normal closure.
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code for a protocol error.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Close code for a text message that is not UTF-8.
pub const CLOSE_INVALID_PAYLOAD: u16 = 1007;
/// Close code for a message above the size limit.
pub const CLOSE_TOO_BIG: u16 = 1009;

/// One complete thing a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// A complete text message (all fragments joined), validated as UTF-8: one packet.
    Text(String),
    /// A ping with its payload (≤125 bytes): answer with [`pong_frame`].
    Ping(Vec<u8>),
    /// A pong (unsolicited or not): ignore it.
    Pong,
    /// A close frame: `code` is `None` for an empty payload; `reason` may be empty. Echo a close
    /// frame, then end the connection.
    Close {
        /// The status code, if the frame carried one.
        code: Option<u16>,
        /// The UTF-8 reason text.
        reason: String,
    },
    /// A complete binary message; its bytes were discarded (Socket.IO 0.9 has no binary).
    Binary,
}

/// Why the client's byte stream is unacceptable. The connection is to be failed: send
/// [`close_frame`] with [`WsError::close_code`] (or, for `TooBig`, kick the client as §3.2.2
/// says) and end it. The decoder keeps returning the same error afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// A framing rule was broken (RSV bits set, reserved opcode, fragmented or over-long control
    /// frame, continuation without a start, a new data frame inside a fragmented one, a 64-bit
    /// length with the high bit set, a 1-byte close payload, a forbidden close code).
    #[error("websocket protocol error: {0}")]
    Protocol(&'static str),
    /// A text message or close reason that is not valid UTF-8.
    #[error("websocket text is not valid UTF-8")]
    InvalidUtf8,
    /// A message (all its fragments together) longer than `destroy buffer size`.
    #[error("websocket message larger than {limit} bytes")]
    TooBig {
        /// The limit that was exceeded.
        limit: usize,
    },
}

impl WsError {
    /// The close code to send: 1002 (protocol), 1007 (UTF-8) or 1009 (too big).
    pub fn close_code(&self) -> u16 {
        match self {
            WsError::Protocol(_) => CLOSE_PROTOCOL_ERROR,
            WsError::InvalidUtf8 => CLOSE_INVALID_PAYLOAD,
            WsError::TooBig { .. } => CLOSE_TOO_BIG,
        }
    }
}

/// A message whose first fragment arrived but not its last.
#[derive(Debug)]
enum Partial {
    /// No fragmented message is open.
    None,
    /// A text message: the unmasked bytes so far.
    Text(Vec<u8>),
    /// A binary message: only its length so far is kept.
    Binary(usize),
}

impl Partial {
    fn len(&self) -> usize {
        match self {
            Partial::None => 0,
            Partial::Text(v) => v.len(),
            Partial::Binary(n) => *n,
        }
    }
}

/// Incremental decoder for client frames; one per connection.
///
/// Feed it the connection's read buffer: [`decode`](Self::decode) removes complete frames from
/// the front and leaves an incomplete frame in place until more bytes arrive.
#[derive(Debug)]
pub struct FrameDecoder {
    max_message_size: usize,
    partial: Partial,
    failed: Option<WsError>,
    pending: Option<usize>,
}

impl FrameDecoder {
    /// A decoder that refuses any message (all fragments together) larger than
    /// `max_message_size` bytes — the `destroy buffer size` option (§4.12).
    pub fn new(max_message_size: usize) -> Self {
        FrameDecoder {
            max_message_size,
            partial: Partial::None,
            failed: None,
            pending: None,
        }
    }

    /// The message size limit.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// After `decode` returned `Ok(None)`: the total size (header + payload) of the frame at the
    /// front of the buffer when its header is complete, so the caller can reserve room for it;
    /// `None` when not even the header is complete.
    pub fn pending_frame_len(&self) -> Option<usize> {
        self.pending
    }

    /// Whether a fragmented message is open (its first fragment seen, its last not yet).
    pub fn in_message(&self) -> bool {
        !matches!(self.partial, Partial::None)
    }

    /// Consume as many bytes from the front of `buf` as form complete frames and return the
    /// next event; `Ok(None)` = need more bytes (the bytes of an incomplete frame stay in
    /// `buf`). Loop until `Ok(None)`.
    ///
    /// An oversize frame is detected from its header alone (before its payload arrives).
    /// When a frame ends exactly where `buf` ends, `buf` is replaced by an empty `BytesMut`
    /// with no capacity and the frame keeps the allocation: an unfragmented text message then
    /// becomes the returned `String` without a copy (unmasked in place). Otherwise the payload
    /// is split off and copied once. Reserve space again before the next read.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<WsEvent>, WsError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        match self.decode_inner(buf) {
            Err(err) => {
                self.failed = Some(err);
                self.partial = Partial::None;
                self.pending = None;
                Err(err)
            }
            ok => ok,
        }
    }

    fn decode_inner(&mut self, buf: &mut BytesMut) -> Result<Option<WsEvent>, WsError> {
        loop {
            self.pending = None;
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            // Rules that the first byte alone decides: fail as early as possible.
            if first & 0x70 != 0 {
                return Err(WsError::Protocol("reserved bits set"));
            }
            let fin = first & 0x80 != 0;
            let opcode = OpCode::from(first & 0x0F);
            match opcode {
                OpCode::Data(Data::Reserved(_)) | OpCode::Control(Control::Reserved(_)) => {
                    return Err(WsError::Protocol("reserved opcode"));
                }
                OpCode::Control(_) if !fin => {
                    return Err(WsError::Protocol("fragmented control frame"));
                }
                OpCode::Data(Data::Continue) if !self.in_message() => {
                    return Err(WsError::Protocol("continuation frame without a message"));
                }
                OpCode::Data(Data::Text | Data::Binary) if self.in_message() => {
                    return Err(WsError::Protocol("new message inside a fragmented message"));
                }
                _ => {}
            }
            if let (OpCode::Control(_), Some(&second)) = (opcode, buf.get(1)) {
                if usize::from(second & 0x7F) > MAX_CONTROL_PAYLOAD {
                    return Err(WsError::Protocol("control frame longer than 125 bytes"));
                }
            }

            let mut cursor = Cursor::new(&buf[..]);
            let (header, len) = match FrameHeader::parse(&mut cursor) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => return Ok(None),
                Err(_) => return Err(WsError::Protocol("invalid frame header")),
            };
            // The cursor never runs past the slice, so its position fits in usize.
            let header_len = usize::try_from(cursor.position())
                .map_err(|_| WsError::Protocol("invalid frame header"))?;

            if len > i64::MAX as u64 {
                return Err(WsError::Protocol("64-bit length with the high bit set"));
            }
            let len = match opcode {
                OpCode::Data(_) => {
                    let total = (self.partial.len() as u64).saturating_add(len);
                    if total > self.max_message_size as u64 {
                        return Err(WsError::TooBig {
                            limit: self.max_message_size,
                        });
                    }
                    // ≤ max_message_size, a usize.
                    len as usize
                }
                // ≤ 125, checked above.
                OpCode::Control(_) => len as usize,
            };
            let frame_len = header_len.saturating_add(len);
            if buf.len() < frame_len {
                self.pending = Some(frame_len);
                return Ok(None);
            }

            // The whole frame is here: take its payload off the buffer and unmask it in place.
            let mut payload = if buf.len() == frame_len {
                let mut whole = std::mem::take(buf);
                whole.advance(header_len);
                whole
            } else {
                buf.advance(header_len);
                buf.split_to(len)
            };
            if let Some(mask) = header.mask {
                apply_mask(&mut payload, mask);
            }

            match opcode {
                OpCode::Data(Data::Text) if fin => {
                    let text =
                        String::from_utf8(Vec::from(payload)).map_err(|_| WsError::InvalidUtf8)?;
                    return Ok(Some(WsEvent::Text(text)));
                }
                OpCode::Data(Data::Text) => {
                    self.partial = Partial::Text(Vec::from(payload));
                }
                OpCode::Data(Data::Binary) if fin => return Ok(Some(WsEvent::Binary)),
                OpCode::Data(Data::Binary) => self.partial = Partial::Binary(len),
                OpCode::Data(_) => {
                    // A continuation (the opcode checks above ruled out the reserved ones).
                    match &mut self.partial {
                        Partial::Text(data) => data.extend_from_slice(&payload),
                        Partial::Binary(n) => *n += len,
                        Partial::None => {
                            return Err(WsError::Protocol("continuation frame without a message"))
                        }
                    }
                    if fin {
                        return Ok(Some(
                            match std::mem::replace(&mut self.partial, Partial::None) {
                                Partial::Text(data) => WsEvent::Text(
                                    String::from_utf8(data).map_err(|_| WsError::InvalidUtf8)?,
                                ),
                                _ => WsEvent::Binary,
                            },
                        ));
                    }
                }
                OpCode::Control(Control::Ping) => {
                    return Ok(Some(WsEvent::Ping(Vec::from(payload))))
                }
                OpCode::Control(Control::Pong) => return Ok(Some(WsEvent::Pong)),
                OpCode::Control(_) => return parse_close(&payload).map(Some),
            }
        }
    }
}

/// Decode a close frame's payload: nothing, or a 2-byte code and a UTF-8 reason.
fn parse_close(payload: &[u8]) -> Result<WsEvent, WsError> {
    let Some((code, reason)) = payload.split_first_chunk::<2>() else {
        return if payload.is_empty() {
            Ok(WsEvent::Close {
                code: None,
                reason: String::new(),
            })
        } else {
            Err(WsError::Protocol("close frame with a 1-byte payload"))
        };
    };
    let code = u16::from_be_bytes(*code);
    if !CloseCode::from(code).is_allowed() {
        return Err(WsError::Protocol("close code not allowed on the wire"));
    }
    let reason = std::str::from_utf8(reason).map_err(|_| WsError::InvalidUtf8)?;
    Ok(WsEvent::Close {
        code: Some(code),
        reason: reason.to_owned(),
    })
}

/// XOR `buf` with the 4-byte `mask` (RFC 6455 §5.3), eight bytes at a time.
fn apply_mask(buf: &mut [u8], mask: [u8; 4]) {
    let [a, b, c, d] = mask;
    let word = u64::from_ne_bytes([a, b, c, d, a, b, c, d]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        if let Ok(bytes) = <[u8; 8]>::try_from(&*chunk) {
            chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
        }
    }
    for (byte, m) in chunks.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // -- handshake ------------------------------------------------------------------------

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn req<'a>(version: Option<&'a str>) -> UpgradeRequest<'a> {
        UpgradeRequest {
            upgrade: Some("websocket"),
            version,
            key: Some(KEY),
            origin: Some("http://example.com"),
            sec_websocket_origin: Some("http://hybi.example"),
        }
    }

    #[test]
    fn accept_key_hand_check() {
        assert_eq!(accept_key(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn handshake_response_is_exact() {
        assert_eq!(
            handshake_response(KEY),
            b"HTTP/1.1 101 Switching Protocols\r\n\
              Upgrade: websocket\r\n\
              Connection: Upgrade\r\n\
              Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
              \r\n"
                .to_vec()
        );
    }

    #[test]
    fn version_13_uses_origin() {
        assert_eq!(
            validate_upgrade(&req(Some("13"))),
            Ok((WsVersion::Rfc6455, "http://example.com"))
        );
        let no_origin = UpgradeRequest {
            origin: None,
            ..req(Some("13"))
        };
        assert_eq!(validate_upgrade(&no_origin), Ok((WsVersion::Rfc6455, "")));
    }

    #[test]
    fn versions_7_and_8_use_sec_websocket_origin() {
        assert_eq!(
            validate_upgrade(&req(Some("8"))),
            Ok((WsVersion::Hybi(8), "http://hybi.example"))
        );
        assert_eq!(
            validate_upgrade(&req(Some(" 7 "))),
            Ok((WsVersion::Hybi(7), "http://hybi.example"))
        );
        let none = UpgradeRequest {
            sec_websocket_origin: None,
            ..req(Some("7"))
        };
        assert_eq!(validate_upgrade(&none), Ok((WsVersion::Hybi(7), "")));
        assert_eq!(WsVersion::Hybi(7).number(), 7);
        assert_eq!(WsVersion::Rfc6455.number(), 13);
    }

    #[test]
    fn upgrade_header_is_case_insensitive_and_required() {
        for ok in ["websocket", "WebSocket", "WEBSOCKET"] {
            let r = UpgradeRequest {
                upgrade: Some(ok),
                ..req(Some("13"))
            };
            assert!(validate_upgrade(&r).is_ok(), "{ok}");
        }
        for bad in [None, Some("h2c"), Some("")] {
            let r = UpgradeRequest {
                upgrade: bad,
                ..req(Some("13"))
            };
            assert_eq!(validate_upgrade(&r), Err(UpgradeError::NotWebsocket));
        }
    }

    #[test]
    fn hixie_and_unknown_versions_are_unsupported() {
        for v in [None, Some("6"), Some("0"), Some("14"), Some("")] {
            assert_eq!(
                validate_upgrade(&req(v)),
                Err(UpgradeError::UnsupportedVersion)
            );
        }
    }

    #[test]
    fn missing_key() {
        let r = UpgradeRequest {
            key: None,
            ..req(Some("13"))
        };
        assert_eq!(validate_upgrade(&r), Err(UpgradeError::NoKey));
        assert!(validate_upgrade_head(&r).is_ok());
        let empty = UpgradeRequest {
            key: Some(" "),
            ..req(Some("13"))
        };
        assert_eq!(require_key(&empty), Err(UpgradeError::NoKey));
        assert_eq!(
            UpgradeError::NoKey.to_string(),
            "websocket connection invalid: received no key"
        );
        assert_eq!(
            UpgradeError::NotWebsocket.to_string(),
            "websocket connection invalid"
        );
    }

    // -- server frames --------------------------------------------------------------------

    #[test]
    fn transcript_a4_frames() {
        assert_eq!(text_frame(b"1::"), [0x81, 0x03, b'1', b':', b':']);
        assert_eq!(&text_frame(b"6:::1+[\"x\"]")[..2], [0x81, 0x0b]);
        assert_eq!(&text_frame(b"6:::5")[..2], [0x81, 0x05]);
        assert_eq!(text_frame(b"2::"), [0x81, 0x03, b'2', b':', b':']);
    }

    fn header_of(len: usize) -> Vec<u8> {
        let mut h = [0u8; 10];
        let n = text_frame_header(len, &mut h);
        h[..n].to_vec()
    }

    #[test]
    fn length_encoding_boundaries() {
        assert_eq!(header_of(0), [0x81, 0]);
        assert_eq!(header_of(125), [0x81, 125]);
        assert_eq!(header_of(126), [0x81, 126, 0, 126]);
        assert_eq!(header_of(65535), [0x81, 126, 0xff, 0xff]);
        // exactly 65 536 takes the 64-bit form.
        assert_eq!(header_of(65536), [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(header_of(65537), [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 1]);
    }

    #[test]
    fn headers_agree_with_tungstenite() {
        for len in [0usize, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 24] {
            let mut theirs = Vec::new();
            let hdr = FrameHeader {
                opcode: OpCode::Data(Data::Text),
                ..FrameHeader::default()
            };
            hdr.format(len as u64, &mut theirs).unwrap();
            assert_eq!(header_of(len), theirs, "len {len}");
        }
    }

    #[test]
    fn written_frames_decode() {
        for len in [0usize, 125, 126, 65535, 65536, 65537] {
            let payload = "a".repeat(len);
            let mut out = vec![0xEE];
            write_text_frame(payload.as_bytes(), &mut out);
            assert_eq!(out.len(), 1 + header_of(len).len() + len);
            let mut buf = BytesMut::from(&out[1..]);
            let mut dec = FrameDecoder::new(1 << 20);
            assert_eq!(dec.decode(&mut buf), Ok(Some(WsEvent::Text(payload))));
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn pong_and_close_bytes() {
        assert_eq!(pong_frame(b""), [0x8A, 0x00]);
        assert_eq!(pong_frame(b"hi"), [0x8A, 0x02, b'h', b'i']);
        assert_eq!(pong_frame(&[7u8; 200]).len(), 2 + 125);
        assert_eq!(close_frame(1000, ""), [0x88, 0x02, 0x03, 0xE8]);
        assert_eq!(
            close_frame(1002, "bad"),
            [0x88, 0x05, 0x03, 0xEA, b'b', b'a', b'd']
        );
        // 200 × 'é' (2 bytes): cut to 61 characters (122 bytes), never mid-character.
        let long = "é".repeat(200);
        let f = close_frame(1000, &long);
        assert_eq!(f[1] as usize, 2 + 122);
        assert_eq!(f.len(), 2 + 2 + 122);
    }

    // -- client frames --------------------------------------------------------------------

    /// Test-side client encoder: header from tungstenite, payload masked by hand.
    fn client_frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
        let hdr = FrameHeader {
            is_final: fin,
            opcode: OpCode::from(opcode),
            mask,
            ..FrameHeader::default()
        };
        let mut out = Vec::new();
        hdr.format(payload.len() as u64, &mut out).unwrap();
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(m) = mask {
            for (i, b) in out[start..].iter_mut().enumerate() {
                *b ^= m[i % 4];
            }
        }
        out
    }

    const M: Option<[u8; 4]> = Some([0x37, 0xfa, 0x21, 0x3d]);

    fn decode_all(dec: &mut FrameDecoder, buf: &mut BytesMut) -> Result<Vec<WsEvent>, WsError> {
        let mut events = Vec::new();
        while let Some(ev) = dec.decode(buf)? {
            events.push(ev);
        }
        Ok(events)
    }

    fn text(s: &str) -> WsEvent {
        WsEvent::Text(s.to_owned())
    }

    #[test]
    fn rfc_example_masked_and_unmasked_hello() {
        // RFC 6455 §5.7 examples.
        let mut dec = FrameDecoder::new(1000);
        let mut buf = BytesMut::from(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f][..]);
        assert_eq!(dec.decode(&mut buf), Ok(Some(text("Hello"))));
        let mut buf = BytesMut::from(
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ][..],
        );
        assert_eq!(dec.decode(&mut buf), Ok(Some(text("Hello"))));
        assert_eq!(dec.decode(&mut buf), Ok(None));
    }

    #[test]
    fn several_frames_in_one_buffer() {
        let mut bytes = client_frame(true, 1, b"5:1+::{\"name\":\"echo\",\"args\":[\"x\"]}", M);
        bytes.extend(client_frame(true, 1, b"3:5::hello", None));
        bytes.extend(client_frame(true, 1, b"2::", M));
        bytes.extend(&client_frame(true, 1, b"partial", M)[..8]);
        let mut buf = BytesMut::from(&bytes[..]);
        let mut dec = FrameDecoder::new(1000);
        assert_eq!(
            decode_all(&mut dec, &mut buf),
            Ok(vec![
                text("5:1+::{\"name\":\"echo\",\"args\":[\"x\"]}"),
                text("3:5::hello"),
                text("2::")
            ])
        );
        assert_eq!(buf.len(), 8, "the incomplete frame stays");
        assert_eq!(dec.pending_frame_len(), Some(2 + 4 + 7));
    }

    #[test]
    fn byte_by_byte() {
        let payload = "x".repeat(300);
        let mut bytes = client_frame(true, 1, payload.as_bytes(), M);
        bytes.extend(client_frame(true, 9, b"p", M));
        let mut dec = FrameDecoder::new(1000);
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        for b in bytes {
            buf.extend_from_slice(&[b]);
            events.extend(decode_all(&mut dec, &mut buf).unwrap());
        }
        assert_eq!(events, vec![text(&payload), WsEvent::Ping(b"p".to_vec())]);
        assert!(buf.is_empty());
    }

    #[test]
    fn fragmented_text_with_ping_in_the_middle() {
        // "héllo" split inside the 2-byte 'é'.
        let s = "héllo".as_bytes();
        let mut bytes = client_frame(false, 1, &s[..2], M);
        bytes.extend(client_frame(true, 9, b"ping!", M));
        bytes.extend(client_frame(false, 0, &s[2..4], None));
        bytes.extend(client_frame(true, 10, b"", M));
        bytes.extend(client_frame(true, 0, &s[4..], M));
        let mut buf = BytesMut::from(&bytes[..]);
        let mut dec = FrameDecoder::new(1000);
        assert_eq!(
            decode_all(&mut dec, &mut buf),
            Ok(vec![
                WsEvent::Ping(b"ping!".to_vec()),
                WsEvent::Pong,
                text("héllo")
            ])
        );
        assert!(!dec.in_message());
    }

    #[test]
    fn ping_answered_with_pong_bytes() {
        let mut buf = BytesMut::from(&client_frame(true, 9, b"abc", M)[..]);
        let mut dec = FrameDecoder::new(1000);
        let Ok(Some(WsEvent::Ping(p))) = dec.decode(&mut buf) else {
            panic!("no ping")
        };
        assert_eq!(pong_frame(&p), [0x8A, 0x03, b'a', b'b', b'c']);
    }

    #[test]
    fn binary_is_assembled_and_discarded() {
        let mut bytes = client_frame(true, 2, &[0, 1, 2], M);
        bytes.extend(client_frame(false, 2, &[0xff; 10], M));
        bytes.extend(client_frame(true, 0, &[0xfe; 10], M));
        bytes.extend(client_frame(true, 1, b"after", M));
        let mut buf = BytesMut::from(&bytes[..]);
        let mut dec = FrameDecoder::new(1000);
        assert_eq!(
            decode_all(&mut dec, &mut buf),
            Ok(vec![WsEvent::Binary, WsEvent::Binary, text("after")])
        );
    }

    fn first_error(bytes: &[u8], max: usize) -> WsError {
        let mut buf = BytesMut::from(bytes);
        let mut dec = FrameDecoder::new(max);
        let err = decode_all(&mut dec, &mut buf).unwrap_err();
        // Sticky.
        assert_eq!(dec.decode(&mut buf), Err(err));
        err
    }

    #[test]
    fn invalid_utf8_is_1007() {
        let e = first_error(&client_frame(true, 1, b"3:::\xffa", M), 1000);
        assert_eq!(e, WsError::InvalidUtf8);
        assert_eq!(e.close_code(), 1007);
        // Also across fragments: a truncated sequence at the end.
        let mut bytes = client_frame(false, 1, b"ok", M);
        bytes.extend(client_frame(true, 0, b"\xc3", M));
        assert_eq!(first_error(&bytes, 1000), WsError::InvalidUtf8);
    }

    #[test]
    fn rsv_bits_are_1002() {
        for rsv in [0x40u8, 0x20, 0x10] {
            let mut f = client_frame(true, 1, b"x", M);
            f[0] |= rsv;
            // Detected from the first byte alone.
            let e = first_error(&f[..1], 1000);
            assert!(matches!(e, WsError::Protocol(_)));
            assert_eq!(e.close_code(), 1002);
        }
    }

    #[test]
    fn protocol_errors() {
        let p = |bytes: Vec<u8>| matches!(first_error(&bytes, 1000), WsError::Protocol(_));
        for op in [3u8, 4, 5, 6, 7, 11, 12, 13, 14, 15] {
            assert!(p(vec![0x80 | op]), "opcode {op}");
        }
        assert!(p(client_frame(false, 9, b"", M)), "fragmented ping");
        assert!(p(client_frame(true, 9, &[0; 126], M)), "long ping");
        assert!(p(vec![0x89, 0xFE]), "long ping, header only");
        assert!(p(client_frame(true, 0, b"x", M)), "lone continuation");
        let mut two_starts = client_frame(false, 1, b"a", M);
        two_starts.extend(client_frame(true, 1, b"b", M));
        assert!(p(two_starts), "new text inside fragmented");
        let mut bin_in_text = client_frame(false, 1, b"a", M);
        bin_in_text.extend(client_frame(false, 2, b"b", M));
        assert!(p(bin_in_text), "binary inside fragmented text");
        assert!(p(client_frame(true, 8, b"\x03", M)), "1-byte close");
        assert!(p(client_frame(true, 8, &1005u16.to_be_bytes(), M)), "1005");
        assert!(p(client_frame(true, 8, &999u16.to_be_bytes(), M)), "999");
        let mut huge = vec![0x81, 127];
        huge.extend(0x8000_0000_0000_0001u64.to_be_bytes());
        assert!(p(huge), "64-bit length with the high bit");
    }

    #[test]
    fn oversized_frame_detected_from_header() {
        // Only the header of a 2 000-byte masked frame: 2 + 2 + 4 bytes.
        let f = client_frame(true, 1, &[b'a'; 2000], M);
        let e = first_error(&f[..8], 1000);
        assert_eq!(e, WsError::TooBig { limit: 1000 });
        assert_eq!(e.close_code(), 1009);
        // 64-bit length with high 32 bits set but below 2^63: too big, not a protocol error.
        let mut h = vec![0x81, 127];
        h.extend(0x0000_0001_0000_0000u64.to_be_bytes());
        assert_eq!(
            first_error(&h, 100_000_000),
            WsError::TooBig { limit: 100_000_000 }
        );
        // Exactly the limit is fine.
        let mut buf = BytesMut::from(&client_frame(true, 1, &[b'a'; 1000], M)[..]);
        let mut dec = FrameDecoder::new(1000);
        assert_eq!(dec.decode(&mut buf), Ok(Some(text(&"a".repeat(1000)))));
    }

    #[test]
    fn oversized_fragmented_message() {
        let mut bytes = Vec::new();
        for _ in 0..3 {
            bytes.extend(client_frame(false, 1, &[b'a'; 400], M));
        }
        bytes.extend(client_frame(true, 0, b"", M));
        let mut f = client_frame(false, 1, &[b'a'; 400], M);
        f.extend(client_frame(false, 0, &[b'a'; 400], M));
        // The third fragment's header alone trips the guard.
        f.extend(&client_frame(true, 0, &[b'a'; 400], M)[..8]);
        assert_eq!(first_error(&f, 1000), WsError::TooBig { limit: 1000 });
        // Binary too.
        let mut b = client_frame(false, 2, &[0; 600], M);
        b.extend(client_frame(true, 0, &[0; 600], M));
        assert_eq!(first_error(&b, 1000), WsError::TooBig { limit: 1000 });
        // Many messages below the limit are fine (per message, not per connection: Q-16).
        let mut many = Vec::new();
        for _ in 0..10 {
            many.extend(client_frame(true, 1, &[b'a'; 900], M));
        }
        let mut buf = BytesMut::from(&many[..]);
        assert_eq!(
            decode_all(&mut FrameDecoder::new(1000), &mut buf).map(|v| v.len()),
            Ok(10)
        );
    }

    #[test]
    fn close_frames() {
        let mut dec = FrameDecoder::new(1000);
        let mut payload = 1001u16.to_be_bytes().to_vec();
        payload.extend_from_slice("bye ☃".as_bytes());
        let mut buf = BytesMut::from(&client_frame(true, 8, &payload, M)[..]);
        assert_eq!(
            dec.decode(&mut buf),
            Ok(Some(WsEvent::Close {
                code: Some(1001),
                reason: "bye ☃".into()
            }))
        );
        let mut buf = BytesMut::from(&client_frame(true, 8, b"", M)[..]);
        assert_eq!(
            dec.decode(&mut buf),
            Ok(Some(WsEvent::Close {
                code: None,
                reason: String::new()
            }))
        );
        let mut bad = 1000u16.to_be_bytes().to_vec();
        bad.push(0xff);
        assert_eq!(
            first_error(&client_frame(true, 8, &bad, M), 1000),
            WsError::InvalidUtf8
        );
    }

    #[test]
    fn empty_text_message() {
        let mut buf = BytesMut::from(&client_frame(true, 1, b"", M)[..]);
        assert_eq!(FrameDecoder::new(0).decode(&mut buf), Ok(Some(text(""))));
    }

    #[test]
    fn mask_matches_bytewise() {
        let mask = [1, 2, 3, 4];
        for len in 0..40 {
            let data: Vec<u8> = (0..len as u8).collect();
            let mut fast = data.clone();
            apply_mask(&mut fast, mask);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            assert_eq!(fast, slow);
        }
    }

    // -- properties -----------------------------------------------------------------------

    #[derive(Debug, Clone)]
    struct Msg {
        text: String,
        fragments: Vec<usize>,
        ping_after_first: bool,
        mask: Option<[u8; 4]>,
    }

    fn msg() -> impl Strategy<Value = Msg> {
        (
            prop_oneof![
                ".{0,40}",
                proptest::collection::vec(any::<char>(), 0..300)
                    .prop_map(|c| c.into_iter().collect::<String>()),
                (0usize..70_000).prop_map(|n| "é".repeat(n / 2)),
            ],
            proptest::collection::vec(0usize..1000, 0..4),
            any::<bool>(),
            proptest::option::weighted(0.8, any::<[u8; 4]>()),
        )
            .prop_map(|(text, fragments, ping_after_first, mask)| Msg {
                text,
                fragments,
                ping_after_first,
                mask,
            })
    }

    /// Encode `m` as client frames into `out` and push the events it must decode to.
    fn encode_msg(m: &Msg, out: &mut Vec<u8>, expected: &mut Vec<WsEvent>) {
        let bytes = m.text.as_bytes();
        // Fragment boundaries: arbitrary byte positions, even inside a character.
        let mut cuts: Vec<usize> = m.fragments.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(bytes.len());
        let mut start = 0;
        for (i, &end) in cuts.iter().enumerate() {
            let last = i + 1 == cuts.len();
            let op = if i == 0 { 1 } else { 0 };
            out.extend(client_frame(last, op, &bytes[start..end], m.mask));
            if i == 0 && m.ping_after_first {
                // Between fragments when the message has several, else after it.
                out.extend(client_frame(true, 9, b"pp", m.mask));
                if last {
                    expected.push(WsEvent::Text(m.text.clone()));
                }
                expected.push(WsEvent::Ping(b"pp".to_vec()));
            } else if last {
                expected.push(WsEvent::Text(m.text.clone()));
            }
            start = end;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn round_trip_any_chunking(
            msgs in proptest::collection::vec(msg(), 1..5),
            chunks in proptest::collection::vec(1usize..5000, 1..50),
        ) {
            let mut wire = Vec::new();
            let mut expected = Vec::new();
            for m in &msgs {
                encode_msg(m, &mut wire, &mut expected);
            }
            let mut dec = FrameDecoder::new(1 << 20);
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            let mut rest = &wire[..];
            let mut sizes = chunks.iter().cycle();
            while !rest.is_empty() {
                let n = (*sizes.next().unwrap()).min(rest.len());
                buf.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                got.extend(decode_all(&mut dec, &mut buf).unwrap());
            }
            prop_assert_eq!(got, expected);
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            max in 0usize..2000,
            chunk in 1usize..64,
        ) {
            let mut dec = FrameDecoder::new(max);
            let mut buf = BytesMut::new();
            'outer: for piece in data.chunks(chunk) {
                buf.extend_from_slice(piece);
                loop {
                    match dec.decode(&mut buf) {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => break 'outer,
                    }
                }
            }
        }

        #[test]
        fn mutated_frames_never_panic(
            msgs in proptest::collection::vec(msg(), 1..4),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            max in 0usize..100_000,
            chunk in 1usize..300,
        ) {
            let mut wire = Vec::new();
            for m in &msgs {
                encode_msg(m, &mut wire, &mut Vec::new());
            }
            for (at, x) in flips {
                let i = at % wire.len();
                wire[i] ^= x;
            }
            let mut dec = FrameDecoder::new(max);
            let mut buf = BytesMut::new();
            'outer: for piece in wire.chunks(chunk) {
                buf.extend_from_slice(piece);
                loop {
                    match dec.decode(&mut buf) {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => break 'outer,
                    }
                }
            }
        }

        #[test]
        fn server_frames_parse_back(len in 0usize..70_000) {
            let payload = vec![b'z'; len];
            let frame = text_frame(&payload);
            let mut cursor = Cursor::new(&frame[..]);
            let (hdr, n) = FrameHeader::parse(&mut cursor).unwrap().unwrap();
            prop_assert_eq!(n as usize, len);
            prop_assert!(hdr.is_final && hdr.mask.is_none());
            prop_assert_eq!(hdr.opcode, OpCode::Data(Data::Text));
            prop_assert_eq!(cursor.position() as usize + len, frame.len());
        }
    }
}
