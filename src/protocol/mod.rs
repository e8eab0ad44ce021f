//! The sans-IO protocol core: packets, payloads, JSON text and handshake bodies
//! (PROTOCOL.md §1.4–§1.7, §2, §3.4, §3.6). No I/O, no clocks, no panics on network input.
//!
//! - [`packet`]: the nine packet types, [`packet::decode`] and the encoders;
//! - [`payload`]: U+FFFD multi-packet framing with UTF-16 lengths;
//! - [`json`]: `JSON.stringify`-compatible output and guarded parsing;
//! - [`handshake`]: handshake body, JSONP and htmlfile wrappers, session-id encoding.

mod encode;
pub mod handshake;
mod js_number;
pub mod json;
mod json_scan;
pub mod packet;
mod packet_data;
pub mod payload;

#[cfg(test)]
mod tests;
