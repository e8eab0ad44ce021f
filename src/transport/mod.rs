//! Sans-IO transport state machines: bytes in, bytes out (DESIGN.md §1).

pub mod websocket;
pub mod flash_policy;
