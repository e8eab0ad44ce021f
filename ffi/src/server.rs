//! The `sio_server` handle and what its functions share: the state the shards' handlers
//! push events into, the phases (configuring, running, stopped), the last error, and
//! the argument helpers.

use crate::event::{EventQueue, OwnedEvent};
use crate::ids::Registry;
use crate::result::*;
use sio09_core::server::{AuthReply, EmbedHandle};
use sio09_core::{Server, ServerHandle};
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Lock, ignoring poisoning: every critical section leaves its data consistent.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the shards' handlers share with the host side.
pub(crate) struct Shared {
    /// Events for the host.
    pub queue: EventQueue,
    /// Socket ids.
    pub ids: Mutex<Registry>,
    /// Pending asynchronous authorizations by request id.
    pub auth: Mutex<HashMap<u64, AuthReply>>,
    /// Next authorization request id.
    pub next_auth: AtomicU64,
    /// `SIO_EV_ROOM` events are queued (`sio_server_set_room_events`).
    pub room_events: AtomicBool,
}

impl Shared {
    /// Queue an event for the host.
    pub fn push(&self, ev: OwnedEvent) {
        self.queue.push(ev);
    }
}

/// The server before start: the Rust server being configured and the namespace names
/// in id order.
pub(crate) struct Builder {
    pub server: Server,
    pub nsps: Vec<String>,
}

/// The running server.
pub(crate) struct Running {
    pub embed: EmbedHandle,
    pub port: u16,
}

/// The host's event callback and its user data.
#[derive(Clone, Copy)]
pub(crate) struct Callback {
    pub cb: crate::poll::sio_event_cb,
    pub user_data: *mut c_void,
}

// SAFETY: the callback is only ever called on the thread that calls
// `sio_server_dispatch`; the pointer is the host's and only handed back to it.
unsafe impl Send for Callback {}

/// An embedded sio09 server (opaque to C; create with `sio_server_new`, destroy with
/// `sio_server_free`).
#[allow(non_camel_case_types)]
pub struct sio_server {
    pub(crate) shared: Arc<Shared>,
    pub(crate) builder: Mutex<Option<Builder>>,
    pub(crate) running: OnceLock<Running>,
    pub(crate) handle: Mutex<Option<ServerHandle>>,
    pub(crate) stopped: AtomicBool,
    pub(crate) last_error: Mutex<String>,
    pub(crate) batch: Mutex<Vec<OwnedEvent>>,
    pub(crate) callback: Mutex<Option<Callback>>,
    pub(crate) in_callback: AtomicBool,
}

impl sio_server {
    /// A new server in the configuring phase.
    pub(crate) fn new() -> std::io::Result<sio_server> {
        let shared = Arc::new(Shared {
            queue: EventQueue::new()?,
            ids: Mutex::new(Registry::default()),
            auth: Mutex::new(HashMap::new()),
            next_auth: AtomicU64::new(1),
            room_events: AtomicBool::new(false),
        });
        let mut server = Server::new();
        crate::handlers::install(server.sockets(), 0, shared.clone());
        // A polling POST is answered once the host handled its events (0.9 answered after
        // its handlers ran, so their replies were queued before the client's next GET).
        let barrier_shared = shared.clone();
        server.post_barrier(Arc::new(move || barrier_shared.queue.barrier()));
        // Connections handed back become SIO_EV_HANDBACK events that own the descriptor.
        let hb_shared = shared.clone();
        server.on_handback(Arc::new(move |fd, bytes, peer| {
            use std::os::fd::AsRawFd;
            hb_shared.push(OwnedEvent {
                kind: crate::event::SIO_EV_HANDBACK,
                id: fd.as_raw_fd() as u64,
                name: peer.to_string(),
                data: bytes,
                fd: Some(fd),
                ..Default::default()
            });
        }));
        // Membership changes made by other nodes become SIO_EV_ROOM events, when asked.
        let room_shared = shared.clone();
        server.on_cluster_rooms(Arc::new(move |change| {
            if !room_shared.room_events.load(Ordering::Relaxed) {
                return;
            }
            use crate::event::{SIO_ROOM_GONE, SIO_ROOM_JOIN, SIO_ROOM_LEAVE};
            use sio09_core::server::RoomChange;
            let (sid, key, op) = match change {
                RoomChange::Join { sid, key, .. } => (sid, key, SIO_ROOM_JOIN),
                RoomChange::Leave { sid, key, .. } => (sid, key, SIO_ROOM_LEAVE),
                RoomChange::Gone { sid } => (sid, "", SIO_ROOM_GONE),
            };
            room_shared.push(OwnedEvent {
                kind: crate::event::SIO_EV_ROOM,
                nsp: crate::event::SIO_NSP_GLOBAL,
                id: op,
                sid: sid.to_owned(),
                name: key.to_owned(),
                ..Default::default()
            });
        }));
        Ok(sio_server {
            shared,
            builder: Mutex::new(Some(Builder {
                server,
                nsps: vec![String::new()],
            })),
            running: OnceLock::new(),
            handle: Mutex::new(None),
            stopped: AtomicBool::new(false),
            last_error: Mutex::new(String::new()),
            batch: Mutex::new(Vec::new()),
            callback: Mutex::new(None),
            in_callback: AtomicBool::new(false),
        })
    }

    /// Remember `msg` for `sio_last_error_message` and return `code`.
    pub(crate) fn fail(&self, code: sio_result, msg: impl Into<String>) -> sio_result {
        *lock(&self.last_error) = msg.into();
        code
    }

    /// The running server, or `SIO_E_STOPPED` / `SIO_E_STATE` (not started).
    pub(crate) fn running(&self) -> Result<&Running, sio_result> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(SIO_E_STOPPED);
        }
        self.running.get().ok_or(SIO_E_STATE)
    }

    /// Run `f` on the builder (before start), else `SIO_E_STATE` / `SIO_E_STOPPED`.
    pub(crate) fn configure<R>(
        &self,
        f: impl FnOnce(&mut Builder) -> Result<R, sio_result>,
    ) -> Result<R, sio_result> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(SIO_E_STOPPED);
        }
        let mut b = lock(&self.builder);
        match b.as_mut() {
            Some(b) => f(b),
            None => Err(self.fail(SIO_E_STATE, "the server has already started")),
        }
    }

    /// The session id and namespace of live socket `id`.
    pub(crate) fn socket(&self, id: u64) -> Result<(String, u32), sio_result> {
        let ids = lock(&self.shared.ids);
        let e = ids.get(id).ok_or(SIO_E_NOT_FOUND)?;
        Ok((e.sid.clone(), e.nsp))
    }
}

/// `&sio_server` from a C pointer (`SIO_E_INVALID_PARAM` when NULL).
///
/// # Safety
/// `p` is NULL or a pointer from `sio_server_new` not yet freed.
pub(crate) unsafe fn server<'a>(p: *const sio_server) -> Result<&'a sio_server, sio_result> {
    // SAFETY: per the caller's contract.
    unsafe { p.as_ref() }.ok_or(SIO_E_INVALID_PARAM)
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string alive for `'a`.
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Result<&'a str, sio_result> {
    if p.is_null() {
        return Err(SIO_E_INVALID_PARAM);
    }
    // SAFETY: per the caller's contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| SIO_E_INVALID_PARAM)
}

/// An optional NUL-terminated string: NULL is `None`.
///
/// # Safety
/// As [`cstr`].
pub(crate) unsafe fn opt_cstr<'a>(p: *const c_char) -> Result<Option<&'a str>, sio_result> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: per the caller's contract.
        unsafe { cstr(p) }.map(Some)
    }
}

/// A `(pointer, length)` byte argument; NULL is allowed with length 0.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes alive for `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const c_char, len: usize) -> Result<&'a [u8], sio_result> {
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(SIO_E_INVALID_PARAM)
        };
    }
    // SAFETY: per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// A `(pointer, length)` UTF-8 text argument.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(p: *const c_char, len: usize) -> Result<&'a str, sio_result> {
    // SAFETY: per the caller's contract.
    let b = unsafe { bytes(p, len) }?;
    std::str::from_utf8(b).map_err(|_| SIO_E_INVALID_PARAM)
}

/// Copy `s` and a NUL into `buf` (`len` bytes). On success `*out_n` = `s.len()`; when
/// `buf` is too small, `*out_n` = the size needed (`s.len() + 1`) and
/// `SIO_E_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `buf` points to `len` writable bytes; `out_n` is valid.
pub(crate) unsafe fn write_text(
    s: &str,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> sio_result {
    if buf.is_null() && len > 0 {
        return SIO_E_INVALID_PARAM;
    }
    if len < s.len() + 1 {
        // SAFETY: per the caller's contract.
        unsafe { *out_n = s.len() + 1 };
        return SIO_E_BUFFER_TOO_SMALL;
    }
    // SAFETY: `buf` has room for `s.len() + 1` bytes (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        *buf.add(s.len()) = 0;
        *out_n = s.len();
    }
    SIO_OK
}
