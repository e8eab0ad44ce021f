//! The host's answers to `SIO_EV_AUTHORIZE` requests.

use crate::boundary::*;
use crate::result::*;
use crate::server::*;
use sio09_core::server::AuthAnswer;
use sio09_core::Value;
use std::ffi::{c_char, c_int};

/// Answer authorization request `request` (the `id` of an AUTHORIZE event): `error`
/// non-NULL → error (handshake `500 handshake error`, namespace `7::/nsp:2`); else
/// `allow` 0 → refused (`403 handshake unauthorized` / `7::/nsp:2`); else admitted, with
/// `handshake_json` (NULL = unchanged) replacing the session's handshake data (a JSON
/// object; for a namespace authorization too, as 0.9 shared that object: the namespace's
/// CONNECTION event and later ones carry it). ANY THREAD. Errors: `SIO_E_NOT_FOUND` (unknown, already
/// answered, or stopped), `SIO_E_INVALID_PARAM` (bad JSON; the request stays pending).
///
/// # Safety
/// `srv` from `sio_server_new`; `error`, `handshake_json` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_authorize_reply(
    srv: *mut sio_server,
    request: u64,
    allow: c_int,
    error: *const c_char,
    handshake_json: *const c_char,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, error, hs) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, opt_cstr(error)?, opt_cstr(handshake_json)?))
        })());
        let answer = match (error, allow, hs) {
            (Some(e), _, _) => AuthAnswer::Error(e.to_owned()),
            (None, 0, _) => AuthAnswer::Deny,
            (None, _, None) => AuthAnswer::Allow(None),
            (None, _, Some(h)) => match sio09_core::protocol::json::parse(h) {
                Ok(Value::Object(m)) => AuthAnswer::Allow(Some(m)),
                _ => return s.fail(SIO_E_INVALID_PARAM, "handshake_json is not a JSON object"),
            },
        };
        let Some(reply) = lock(&s.shared.auth).remove(&request) else {
            return SIO_E_NOT_FOUND;
        };
        reply.answer(answer);
        SIO_OK
    })
}
