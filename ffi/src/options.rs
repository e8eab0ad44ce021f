//! Configuration before start: options by their 0.9 names, `configure`, namespaces and
//! host-answered authorization.

use crate::boundary::*;
use crate::event::SIO_NSP_GLOBAL;
use crate::result::*;
use crate::server::*;
use sio09_core::config::{Config, OptionValue};
use sio09_core::protocol::json::to_js_json;
use sio09_core::Value;
use std::ffi::c_char;

fn config_err(s: &sio_server, e: impl std::fmt::Display) -> sio_result {
    s.fail(SIO_E_CONFIG, e.to_string())
}

/// Set option `key` (0.9 name, e.g. "heartbeat interval") from its text `value`, parsed
/// like the `SIO_*` environment variables ("10", "1"/"0", "websocket,xhr-polling").
/// Host thread, before start. Errors: `SIO_E_CONFIG` (unknown key or bad value; see
/// `sio_last_error_message`), `SIO_E_STATE` (started), `SIO_E_INVALID_PARAM`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key`, `value` NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn sio_set(
    srv: *mut sio_server,
    key: *const c_char,
    value: *const c_char,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key, value) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?, cstr(value)?))
        })());
        tri!(s.configure(|b| b
            .server
            .config_mut()
            .set_str(key, value)
            .map(|_| ())
            .map_err(|e| config_err(s, e))));
        SIO_OK
    })
}

fn option_json(v: &OptionValue) -> String {
    let v = match v {
        OptionValue::Bool(b) => Value::Bool(*b),
        OptionValue::Number(n) => Value::from(*n),
        OptionValue::Str(t) => Value::String(t.clone()),
        OptionValue::List(l) => Value::Array(l.iter().cloned().map(Value::String).collect()),
    };
    to_js_json(&v)
}

/// Read option `key` as JSON text (`25`, `true`, `"text"`, `["a","b"]`), NUL-terminated,
/// into `buf` (`len` bytes, caller-owned); `*out_n` = length without the NUL
/// (`SIO_E_BUFFER_TOO_SMALL`: `*out_n` = size needed). Host thread, any phase.
/// Errors: `SIO_E_CONFIG` (unknown key), `SIO_E_INVALID_PARAM`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated; `buf` writable for `len`; `out_n` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_get(
    srv: *const sio_server,
    key: *const c_char,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        let got = match (lock(&s.builder).as_ref(), s.running.get()) {
            (Some(b), _) => b.server.config().get(key),
            (None, Some(r)) => r.config.get(key),
            (None, None) => Config::default().get(key),
        };
        match got {
            // SAFETY: caller's contract.
            Ok(v) => unsafe { write_text(&option_json(&v), buf, len, out_n) },
            Err(e) => config_err(s, e),
        }
    })
}

/// `io.enable(key)`: set a boolean option to true. Host thread, before start.
/// Errors as `sio_set`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_enable(srv: *mut sio_server, key: *const c_char) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        tri!(s.configure(|b| b
            .server
            .enable(key)
            .map(|_| ())
            .map_err(|e| config_err(s, e))));
        SIO_OK
    })
}

/// `io.disable(key)`: set a boolean option to false. Host thread, before start.
/// Errors as `sio_set`.
///
/// # Safety
/// `srv` from `sio_server_new`; `key` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn sio_disable(srv: *mut sio_server, key: *const c_char) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, key) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(key)?))
        })());
        tri!(s.configure(|b| b
            .server
            .disable(key)
            .map(|_| ())
            .map_err(|e| config_err(s, e))));
        SIO_OK
    })
}

/// `io.configure(env, fn)`: apply the `n` pairs `keys[i]` = `values[i]` (as `sio_set`)
/// when `env` is NULL or equals `$NODE_ENV` (default "development"); otherwise do
/// nothing. Stops at the first refused pair. Host thread, before start.
/// Errors as `sio_set`.
///
/// # Safety
/// `srv` from `sio_server_new`; `env` NULL or NUL-terminated; `keys`/`values` arrays of
/// `n` NUL-terminated strings (may be NULL when `n` is 0).
#[no_mangle]
pub unsafe extern "C" fn sio_configure(
    srv: *mut sio_server,
    env: *const c_char,
    keys: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let (s, env) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, opt_cstr(env)?))
        })());
        if n > 0 {
            non_null!(keys, values);
        }
        let mut pairs = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: both arrays hold `n` pointers (caller's contract).
            let kv =
                (|| unsafe { Ok::<_, sio_result>((cstr(*keys.add(i))?, cstr(*values.add(i))?)) })();
            pairs.push(tri!(kv));
        }
        let node_env = std::env::var("NODE_ENV").ok();
        tri!(s.configure(|b| {
            let mut res = Ok(());
            let apply = |c: &mut Config| {
                for (k, v) in &pairs {
                    if let Err(e) = c.set_str(k, v) {
                        res = Err(config_err(s, e));
                        return;
                    }
                }
            };
            match env {
                Some(env) => {
                    b.server
                        .config_mut()
                        .configure_for(env, node_env.as_deref(), apply);
                }
                None => {
                    b.server.config_mut().configure_all(apply);
                }
            }
            res
        }));
        SIO_OK
    })
}

/// `io.of(name)`: declare namespace `name` ("" = main namespace, id 0; "/chat") and
/// write its id to `*out_nsp`. Declaring twice gives the same id. Host thread, before
/// start. Errors: `SIO_E_STATE` (started), `SIO_E_INVALID_PARAM`.
///
/// # Safety
/// `srv` from `sio_server_new`; `name` NUL-terminated; `out_nsp` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_of(
    srv: *mut sio_server,
    name: *const c_char,
    out_nsp: *mut u32,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_nsp);
        // SAFETY: caller's contract.
        let (s, name) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(name)?))
        })());
        let id = tri!(s.configure(|b| {
            if let Some(i) = b.nsps.iter().position(|n| n == name) {
                return Ok(i as u32);
            }
            let id = b.nsps.len() as u32;
            b.nsps.push(name.to_owned());
            crate::handlers::install(b.server.of(name), id, s.shared.clone());
            Ok(id)
        }));
        // SAFETY: checked non-NULL; caller's contract.
        unsafe { *out_nsp = id };
        SIO_OK
    })
}

/// Make an authorization the host's: `SIO_NSP_GLOBAL` for the handshake, else that
/// namespace's connect. Each request then arrives as `SIO_EV_AUTHORIZE`, answered with
/// `sio_authorize_reply` (10 s without an answer → error). Host thread, before start.
/// Errors: `SIO_E_NOT_FOUND` (unknown namespace id), `SIO_E_STATE`.
///
/// # Safety
/// `srv` from `sio_server_new`.
#[no_mangle]
pub unsafe extern "C" fn sio_authorization(srv: *mut sio_server, nsp_or_global: u32) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        tri!(s.configure(|b| {
            let shared = s.shared.clone();
            if nsp_or_global == SIO_NSP_GLOBAL {
                crate::handlers::install_global_auth(&mut b.server, shared);
                return Ok(());
            }
            let Some(name) = b.nsps.get(nsp_or_global as usize).cloned() else {
                return Err(SIO_E_NOT_FOUND);
            };
            crate::handlers::install_nsp_auth(b.server.of(&name), nsp_or_global, shared);
            Ok(())
        }));
        SIO_OK
    })
}
