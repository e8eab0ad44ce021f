//! Sans-IO transport state machines: bytes in, bytes out (DESIGN.md §1).

pub mod flash_policy;
pub mod hixie;
pub mod websocket;
