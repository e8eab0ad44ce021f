//! Configuration before start: options by their 0.9 names, `configure`, namespaces and
//! host-answered authorization.

use crate::boundary::*;
use crate::event::SIO_NSP_GLOBAL;
use crate::result::*;
use crate::server::*;
use sio09_core::config::{Config, ConfigError, OptionValue};
use sio09_core::protocol::json::to_js_json;
use sio09_core::server::LiveError;
use sio09_core::Value;
use std::ffi::c_char;

fn config_err(s: &sio_server, e: impl std::fmt::Display) -> sio_result {
    s.fail(SIO_E_CONFIG, e.to_string())
}

/// Apply `f` to the settings: before start to the server being configured; after start
/// to the live settings of every shard (`SIO_E_STATE` for a start-only option, and then
/// nothing changes).
fn apply(
    s: &sio_server,
    f: impl FnOnce(&mut Config) -> Result<(), ConfigError>,
) -> Result<(), sio_result> {
    if s.stopped.load(std::sync::atomic::Ordering::Acquire) {
        return Err(SIO_E_STOPPED);
    }
    {
        let mut b = lock(&s.builder);
        if let Some(b) = b.as_mut() {
            return f(b.server.config_mut()).map_err(|e| config_err(s, e));
        }
    }
    let r = s.running()?;
    r.embed.update_config(f).map_err(|e| match e {
        LiveError::Config(e) => config_err(s, e),
        LiveError::StartOnly(_) => s.fail(SIO_E_STATE, e.to_string()),
    })
}

/// Set option `key` (0.9 name, e.g. "heartbeat interval") from its text `value`, parsed
/// like the `SIO_*` environment variables ("10", "1"/"0", "websocket,xhr-polling").
/// Host thread, before or after start: after `sio_server_listen` the change reaches
/// every shard before this returns and applies from the next request, packet or
/// session (transports, origins, heartbeats and their timings, close timeout, polling
/// duration, blacklist, destroy upgrade / buffer size, browser client options, client
/// store expiration, match origin protocol, resource, log settings, Flash policy
/// server and port). Errors: `SIO_E_CONFIG` (unknown key or bad value; see
/// `sio_last_error_message`), `SIO_E_STATE` (after start, an option read only at start:
/// `workers`, `io driver`, `store`, `redis pub`/`sub`/`client`), `SIO_E_STOPPED`,
/// `SIO_E_INVALID_PARAM`.
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
        tri!(apply(s, |c| c.set_str(key, value).map(|_| ())));
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
/// (`SIO_E_BUFFER_TOO_SMALL`: `*out_n` = size needed). After start: the live value.
/// Host thread, any phase. Errors: `SIO_E_CONFIG` (unknown key), `SIO_E_INVALID_PARAM`.
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
            (None, Some(r)) => r.embed.config().get(key),
            (None, None) => Config::default().get(key),
        };
        match got {
            // SAFETY: caller's contract.
            Ok(v) => unsafe { write_text(&option_json(&v), buf, len, out_n) },
            Err(e) => config_err(s, e),
        }
    })
}

/// `io.enable(key)`: set a boolean option to true. Host thread, before or after start
/// (as `sio_set`). Errors as `sio_set`.
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
        tri!(apply(s, |c| c.enable(key).map(|_| ())));
        SIO_OK
    })
}

/// `io.disable(key)`: set a boolean option to false. Host thread, before or after
/// start (as `sio_set`). Errors as `sio_set`.
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
        tri!(apply(s, |c| c.disable(key).map(|_| ())));
        SIO_OK
    })
}

/// `io.configure(env, fn)`: apply the `n` pairs `keys[i]` = `values[i]` (as `sio_set`)
/// when `env` is NULL or equals `$NODE_ENV` (default "development"); otherwise do
/// nothing. Before start it stops at the first refused pair (earlier pairs stay
/// applied); after start the pairs apply together or not at all. Host thread.
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
        tri!(apply(s, |c| {
            let mut res = Ok(());
            let set_all = |c: &mut Config| {
                for (k, v) in &pairs {
                    if let Err(e) = c.set_str(k, v) {
                        res = Err(e);
                        return;
                    }
                }
            };
            match env {
                Some(env) => {
                    c.configure_for(env, node_env.as_deref(), set_all);
                }
                None => {
                    c.configure_all(set_all);
                }
            }
            res
        }));
        SIO_OK
    })
}

/// `sio_of` and `sio_of_with_authorization`: declare `name`, write its id.
///
/// # Safety
/// As `sio_of`.
unsafe fn of_entry(
    srv: *mut sio_server,
    name: *const c_char,
    out_nsp: *mut u32,
    with_authorization: bool,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_nsp);
        // SAFETY: caller's contract.
        let (s, name) = tri!((|| unsafe {
            Ok::<_, sio_result>((server(srv)?, cstr(name)?))
        })());
        let id = tri!(declare(s, name, with_authorization));
        // SAFETY: checked non-NULL; caller's contract.
        unsafe { *out_nsp = id };
        SIO_OK
    })
}

/// `io.of(name)`: declare namespace `name` ("" = main namespace, id 0; "/chat") and
/// write its id to `*out_nsp`. Declaring twice gives the same id. Host thread, before
/// or after start: after start the namespace is served on every shard before this
/// returns (a connect packet for a namespace not declared yet is ignored, as in 0.9).
/// Errors: `SIO_E_STOPPED`, `SIO_E_INVALID_PARAM`.
///
/// # Safety
/// `srv` from `sio_server_new`; `name` NUL-terminated; `out_nsp` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_of(
    srv: *mut sio_server,
    name: *const c_char,
    out_nsp: *mut u32,
) -> sio_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { of_entry(srv, name, out_nsp, false) }
}

/// `io.of(name).authorization(fn)` in one step: declare namespace `name` (as `sio_of`)
/// with its host-answered authorization already on, so that no connect is admitted
/// unasked between the two (after start, `sio_of` then `sio_authorization` leaves a
/// short window in which a connect to the new namespace is admitted without asking).
/// An existing namespace keeps its id and gets the authorization switched on. Writes
/// the id to `*out_nsp`. Host thread, before or after start. Errors: `SIO_E_STOPPED`,
/// `SIO_E_INVALID_PARAM`.
///
/// # Safety
/// `srv` from `sio_server_new`; `name` NUL-terminated; `out_nsp` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_of_with_authorization(
    srv: *mut sio_server,
    name: *const c_char,
    out_nsp: *mut u32,
) -> sio_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { of_entry(srv, name, out_nsp, true) }
}

/// Declare namespace `name` (its id; the same id when it exists), with the
/// host-answered authorization on when `authorize`.
fn declare(s: &sio_server, name: &str, authorize: bool) -> Result<u32, sio_result> {
    let id = match phase(s) {
        Phase::Configuring(mut guard) => {
            let Some(b) = guard.as_mut() else {
                return Err(SIO_E_STATE);
            };
            let id = match b.nsps.iter().position(|n| n == name) {
                Some(i) => i as u32,
                None => {
                    let id = b.nsps.len() as u32;
                    b.nsps.push(name.to_owned());
                    crate::handlers::install(b.server.of(name), id, s.shared.clone());
                    id
                }
            };
            if authorize {
                crate::handlers::install_nsp_auth(b.server.of(name), id, s.shared.clone());
            }
            return Ok(id);
        }
        Phase::Running(r) => {
            let shared = s.shared.clone();
            let mut created = false;
            let idx = r.embed.declare_namespace(name, |ns, idx| {
                crate::handlers::install(ns, idx as u32, shared.clone());
                if authorize {
                    crate::handlers::install_nsp_auth(ns, idx as u32, shared);
                }
                created = true;
            }) as u32;
            if authorize && !created {
                match set_authorization(s, idx, true) {
                    SIO_OK => {}
                    e => return Err(e),
                }
            }
            idx
        }
        Phase::Err(e) => return Err(e),
    };
    Ok(id)
}

/// Where the server is: being configured (its builder locked), running, or neither.
enum Phase<'a> {
    Configuring(std::sync::MutexGuard<'a, Option<Builder>>),
    Running(&'a Running),
    Err(sio_result),
}

fn phase(s: &sio_server) -> Phase<'_> {
    if s.stopped.load(std::sync::atomic::Ordering::Acquire) {
        return Phase::Err(SIO_E_STOPPED);
    }
    let b = lock(&s.builder);
    if b.is_some() {
        return Phase::Configuring(b);
    }
    drop(b);
    match s.running() {
        Ok(r) => Phase::Running(r),
        Err(e) => Phase::Err(e),
    }
}

/// Make an authorization the host's: `SIO_NSP_GLOBAL` for the handshake, else that
/// namespace's connect. Each request then arrives as `SIO_EV_AUTHORIZE`, answered with
/// `sio_authorize_reply` (10 s without an answer → error). Host thread, before or after
/// start (after start: from the next handshake / connect packet on every shard).
/// Errors: `SIO_E_NOT_FOUND` (unknown namespace id), `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`.
#[no_mangle]
pub unsafe extern "C" fn sio_authorization(srv: *mut sio_server, nsp_or_global: u32) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        set_authorization(s, nsp_or_global, true)
    })
}

/// Switch a host-answered authorization off again (0.9's `io.set('authorization',
/// false)` after a function): `SIO_NSP_GLOBAL` for the handshake, else that
/// namespace's; handshakes / connects are then admitted without asking. Requests
/// already asked stay answerable. Host thread, before or after start.
/// Errors: `SIO_E_NOT_FOUND` (unknown namespace id), `SIO_E_STOPPED`.
///
/// # Safety
/// `srv` from `sio_server_new`.
#[no_mangle]
pub unsafe extern "C" fn sio_authorization_off(
    srv: *mut sio_server,
    nsp_or_global: u32,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        set_authorization(s, nsp_or_global, false)
    })
}

fn set_authorization(s: &sio_server, nsp_or_global: u32, on: bool) -> sio_result {
    let shared = s.shared.clone();
    match phase(s) {
        Phase::Configuring(mut guard) => {
            let Some(b) = guard.as_mut() else {
                return SIO_E_STATE;
            };
            if nsp_or_global == SIO_NSP_GLOBAL {
                if on {
                    crate::handlers::install_global_auth(&mut b.server, shared);
                } else {
                    b.server.authorization_async_off();
                }
                return SIO_OK;
            }
            let Some(name) = b.nsps.get(nsp_or_global as usize).cloned() else {
                return SIO_E_NOT_FOUND;
            };
            let ns = b.server.of(&name);
            if on {
                crate::handlers::install_nsp_auth(ns, nsp_or_global, shared);
            } else {
                ns.authorization_async_off();
            }
            SIO_OK
        }
        Phase::Running(r) => {
            if nsp_or_global == SIO_NSP_GLOBAL {
                let f = on.then(|| crate::handlers::global_auth_fn(shared));
                r.embed.set_authorization_async(f);
                return SIO_OK;
            }
            let found = r.embed.update_namespace(nsp_or_global as usize, |ns| {
                if on {
                    crate::handlers::install_nsp_auth(ns, nsp_or_global, shared);
                } else {
                    ns.authorization_async_off();
                }
            });
            if found {
                SIO_OK
            } else {
                SIO_E_NOT_FOUND
            }
        }
        Phase::Err(e) => e,
    }
}
