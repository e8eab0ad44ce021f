//! Receiving events on the host thread: the event fd, polling in batches, the callback
//! mode, and waking the host's loop.

use crate::boundary::*;
use crate::event::sio_event;
use crate::result::*;
use crate::server::*;
use std::ffi::c_void;
use std::sync::atomic::Ordering;

/// An event callback: called only from inside `sio_server_dispatch`, on the thread that
/// called it, with the host's `user_data` first. `ev` and its views are valid until the
/// next poll/dispatch call.
#[allow(non_camel_case_types)]
pub type sio_event_cb = Option<unsafe extern "C" fn(user_data: *mut c_void, ev: *const sio_event)>;

/// The eventfd into `*out_fd`: readable while events are queued (level; the library
/// resets it when the queue drains). Owned by the library (closed by
/// `sio_server_free`); the host only watches it. Host thread.
///
/// # Safety
/// `srv` from `sio_server_new`; `out_fd` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_server_event_fd(
    srv: *const sio_server,
    out_fd: *mut i32,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_fd);
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        // SAFETY: checked non-NULL; caller's contract.
        unsafe { *out_fd = s.shared.queue.fd() };
        SIO_OK
    })
}

/// Move up to `cap` queued events into `out` (caller-owned array of `cap`), count in
/// `*out_n` (0 when none). The views inside stay valid until the next
/// `sio_server_poll_events` / `sio_server_dispatch` on this server (or its free); copy
/// what you keep. Host thread. Errors: `SIO_E_BUSY` inside a callback.
///
/// # Safety
/// `srv` from `sio_server_new`; `out` writable for `cap` events; `out_n` valid.
#[no_mangle]
pub unsafe extern "C" fn sio_server_poll_events(
    srv: *mut sio_server,
    out: *mut sio_event,
    cap: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        non_null!(out_n);
        if cap > 0 {
            non_null!(out);
        }
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        if s.in_callback.load(Ordering::Acquire) {
            return SIO_E_BUSY;
        }
        let mut batch = lock(&s.batch);
        batch.clear();
        s.shared.queue.drain(cap, &mut batch);
        for (i, ev) in batch.iter_mut().enumerate() {
            ev.release_fd();
            // SAFETY: `i < cap` and `out` holds `cap` events.
            unsafe { out.add(i).write(ev.view()) };
        }
        // SAFETY: checked non-NULL; caller's contract.
        unsafe { *out_n = batch.len() };
        SIO_OK
    })
}

/// Set (or, with `cb` NULL, clear) the callback `sio_server_dispatch` calls. Host thread.
///
/// # Safety
/// `srv` from `sio_server_new`; `cb` callable with `user_data` until replaced or freed.
#[no_mangle]
pub unsafe extern "C" fn sio_server_set_callback(
    srv: *mut sio_server,
    cb: sio_event_cb,
    user_data: *mut c_void,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        *lock(&s.callback) = cb.map(|_| Callback { cb, user_data });
        SIO_OK
    })
}

/// Drain up to `max` events, calling the callback for each on this thread; count in
/// `*out_n`. Views are valid during the call and until the next poll/dispatch.
/// Host thread. Errors: `SIO_E_STATE` (no callback set), `SIO_E_BUSY` (re-entered).
///
/// # Safety
/// `srv` from `sio_server_new`; `out_n` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn sio_server_dispatch(
    srv: *mut sio_server,
    max: usize,
    out_n: *mut usize,
) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        let Some(Callback {
            cb: Some(cb),
            user_data,
        }) = *lock(&s.callback)
        else {
            return SIO_E_STATE;
        };
        if s.in_callback.swap(true, Ordering::AcqRel) {
            return SIO_E_BUSY;
        }
        let mut batch = lock(&s.batch);
        batch.clear();
        s.shared.queue.drain(max, &mut batch);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for ev in batch.iter_mut() {
                ev.release_fd();
                let view = ev.view();
                // SAFETY: the host's callback with its own user data; `view` is live.
                unsafe { cb(user_data, &view) };
            }
        }));
        let n = batch.len();
        drop(batch);
        s.shared.queue.handled_all();
        s.in_callback.store(false, Ordering::Release);
        if r.is_err() {
            return SIO_E_PANIC;
        }
        if !out_n.is_null() {
            // SAFETY: checked non-NULL; caller's contract.
            unsafe { *out_n = n };
        }
        SIO_OK
    })
}

/// Make the event fd readable (e.g. to wake the host loop from another thread); a poll
/// with nothing queued resets it. ANY THREAD.
///
/// # Safety
/// `srv` from `sio_server_new`, not freed.
#[no_mangle]
pub unsafe extern "C" fn sio_server_wake(srv: *mut sio_server) -> sio_result {
    ffi_boundary!({
        // SAFETY: caller's contract.
        let s = tri!(unsafe { server(srv) });
        s.shared.queue.signal();
        SIO_OK
    })
}
