//! The sans-IO HTTP front of sio09 (PROTOCOL.md §1, §3.7, §3.8, §4.12).
//!
//! Bytes in, decisions and bytes out: request-head parsing ([`request`]), the routing
//! decision for socket.io URLs ([`route`]), query strings ([`query`]), the `origins`
//! check ([`origins`]), byte-exact responses ([`response`]) and the handshake data object
//! ([`handshake_data`]). Nothing here touches a socket, a thread or a clock; time is
//! passed in. This module depends on no other sio09 module.
//!
//! Deliberate departures from the reference (PROTOCOL.md §10):
//! - the resource prefix matches only at a `/`, `?` or end boundary.
//! - `OPTIONS` gets a CORS preflight ([`response::preflight`]), other methods a 405
//!   ([`response::method_not_allowed`]); the caller decides when to use them.
//! - port 80 is assumed for every origin without a port (kept, for compatibility).
//! - a string `origins` setting is split on whitespace/commas and matched exactly.
//! - form bodies are decoded as a whole ([`query::form_field`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod handshake_data;
pub mod origins;
pub mod query;
pub mod request;
pub mod response;
pub mod route;

pub use handshake_data::{handshake_data, js_date_string, PeerAddr};
pub use origins::{handshake_origin, Origins};
pub use query::{form_field, parse_query, query_get, query_has};
pub use request::{
    parse_head, BodyError, ChunkedDecoder, HeadError, Method, RequestHead, MAX_HEADERS,
    MAX_HEAD_BYTES,
};
pub use response::Cors;
pub use route::{parse_target, route, route_upgrade, split_resource, Route, Target};
