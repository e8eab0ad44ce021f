//! hixie framing both ways: `0x00` + UTF-8 text + `0xFF`, one packet per frame, and the
//! hixie-76 closing frame `0xFF 0x00` (PROTOCOL.md §3.2.3).

use bytes::{Buf, BytesMut};

/// First byte of a text frame.
pub const FRAME_START: u8 = 0x00;
/// Last byte of a text frame (never part of UTF-8 text).
pub const FRAME_END: u8 = 0xFF;
/// The hixie-76 closing frame.
pub const CLOSE_FRAME: [u8; 2] = [0xFF, 0x00];

/// Append the frame carrying `text` to `out`.
pub fn write_frame(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() + 2);
    out.push(FRAME_START);
    out.extend_from_slice(text.as_bytes());
    out.push(FRAME_END);
}

/// What a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HixieEvent {
    /// A complete text frame (one packet).
    Text(String),
    /// The closing frame `0xFF 0x00`.
    Close,
}

/// Why the client's bytes cannot be decoded; every case ends the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A frame starts with a byte other than `0x00` (and is not the closing frame).
    #[error("bad framing: expected 0x00 to start a frame, got 0x{0:02x}")]
    BadStart(u8),
    /// A frame's bytes are not valid UTF-8 (Q-18 decision, see the module docs).
    #[error("invalid UTF-8 in a text frame")]
    InvalidUtf8,
    /// A frame is longer than `destroy buffer size` (checked per message, Q-16).
    #[error("message larger than {limit} bytes")]
    TooBig {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Splits the client's byte stream into frames. Bytes are scanned for the `0xFF`
/// terminator before any UTF-8 decoding, and each byte is scanned once however the
/// frame is split across reads.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_message_size: usize,
    /// Bytes of the pending frame (from its `0x00`) already scanned for the terminator.
    scanned: usize,
}

impl FrameDecoder {
    /// A decoder refusing frames whose text exceeds `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        FrameDecoder {
            max_message_size,
            scanned: 0,
        }
    }

    /// Whether a frame has started and not ended yet.
    pub fn in_frame(&self) -> bool {
        self.scanned > 0
    }

    /// Take the next complete frame from the front of `buf`: `Ok(None)` when more bytes
    /// are needed (what is left stays in `buf`). Call until it returns `Ok(None)`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<HixieEvent>, FrameError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        match first {
            FRAME_START => {}
            FRAME_END => {
                return match buf.get(1) {
                    None => Ok(None),
                    Some(0x00) => {
                        buf.advance(2);
                        Ok(Some(HixieEvent::Close))
                    }
                    Some(_) => Err(FrameError::BadStart(FRAME_END)),
                };
            }
            other => return Err(FrameError::BadStart(other)),
        }
        let from = self.scanned.max(1);
        let Some(end) = buf
            .get(from..)
            .and_then(|rest| memchr::memchr(FRAME_END, rest))
            .map(|i| from + i)
        else {
            // Text so far: everything after the 0x00.
            if buf.len() - 1 > self.max_message_size {
                return Err(FrameError::TooBig {
                    limit: self.max_message_size,
                });
            }
            self.scanned = buf.len();
            return Ok(None);
        };
        self.scanned = 0;
        if end - 1 > self.max_message_size {
            return Err(FrameError::TooBig {
                limit: self.max_message_size,
            });
        }
        let frame = buf.split_to(end + 1);
        let text = frame.get(1..end).unwrap_or(&[]);
        match std::str::from_utf8(text) {
            Ok(t) => Ok(Some(HixieEvent::Text(t.to_owned()))),
            Err(_) => Err(FrameError::InvalidUtf8),
        }
    }
}
