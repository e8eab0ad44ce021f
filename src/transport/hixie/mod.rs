//! The legacy websocket drafts hixie-75 and hixie-76, sans-IO (PROTOCOL.md §3.2.3): the
//! upgrade handshake (with the hixie-76 challenge) and the `0x00 … 0xFF` framing.
//!
//! Old Safari, iOS and Android browsers speak these drafts, and socket.io 0.9 serves them on
//! the `websocket` and `flashsocket` transports when a request carries no
//! `Sec-WebSocket-Version` of 7, 8 or 13 ([`is_hixie`]). Nothing here touches a socket or a
//! clock: the connection task hands in the request headers and the bytes it read, and writes
//! the bytes it gets back.
//!
//! Decisions taken from PROTOCOL.md §10 (binding for this project):
//! - **Q-17**: the `origins` check applies to hixie upgrades as to RFC 6455 ones (done by the
//!   caller), and a request without `Origin` gets no `*-Origin` response header at all (the
//!   reference writes the text `undefined`); `match origin protocol` without an `Origin`
//!   picks `ws` instead of crashing.
//! - **Q-18**: inbound frames are split on the `0xFF` *byte* before any UTF-8 decoding, so a
//!   message may carry U+FFFD. A frame whose bytes are not valid UTF-8 is a protocol error
//!   (the connection is closed with a log line); §10 says nothing about it and the RFC 6455
//!   path of this server does the same (§3.2.2).
//!
//! One deliberate difference besides §10: when the server ends a hixie-76 connection it sends
//! the draft's closing frame `0xFF 0x00` before the TCP FIN (the reference only sends the
//! FIN), as the RFC 6455 path sends a close frame. hixie-75 has no closing frame.

mod framing;
mod handshake;
#[cfg(test)]
mod tests;

pub use framing::{write_frame, FrameDecoder, FrameError, HixieEvent, CLOSE_FRAME};
pub use handshake::{
    challenge_answer, is_hixie, key_number, location, response_head, Draft, Handshake,
    HixieRequest, KeyError, UpgradeError, NONCE_LEN,
};
