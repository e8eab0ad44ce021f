//! Tests for the protocol core: byte-exact vectors from PROTOCOL.md and property tests.

mod handshake;
mod json;
mod packet_decode;
mod packet_encode;
mod payload;
mod props;
