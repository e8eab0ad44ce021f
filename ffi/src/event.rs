//! Events to the host (C-ABI.md §8): the `sio_event` view, the owned event the shards
//! queue, and the queue itself with its level-signalled eventfd.

use std::collections::VecDeque;
use std::ffi::c_char;
use std::os::fd::RawFd;
use std::sync::Mutex;

/// A socket connected to a namespace: `name` = transport, `data` = handshake data JSON.
pub const SIO_EV_CONNECTION: u32 = 1;
/// An event: `name` = event name, `data` = JSON array of arguments, `id` = client ack id.
pub const SIO_EV_EVENT: u32 = 2;
/// A text message (`3`): `data` = the text, `id` = client ack id.
pub const SIO_EV_MESSAGE: u32 = 3;
/// A JSON message (`4`): `data` = the JSON value, `id` = client ack id.
pub const SIO_EV_JSON: u32 = 4;
/// A socket left its namespace: `name` = the 0.9 reason. Always the socket's last event.
pub const SIO_EV_DISCONNECT: u32 = 5;
/// An authorization request: answer with `sio_authorize_reply(id)`. `nsp` is
/// `SIO_NSP_GLOBAL` for the handshake; for a namespace `name` is the connect query.
pub const SIO_EV_AUTHORIZE: u32 = 6;
/// The client answered `sio_emit_with_ack`: `id` = the host's token, `data` = JSON array.
pub const SIO_EV_ACK: u32 = 7;
/// A client store operation finished: `id` = the host's token, `name` = the operation.
pub const SIO_EV_STORE: u32 = 8;
/// Something failed inside the library: `name` = message.
pub const SIO_EV_ERROR: u32 = 9;
/// The server stopped; the last event ever queued.
pub const SIO_EV_STOPPED: u32 = 10;

/// A connection adopted with `sio_server_adopt_connection` is handed back to the host
/// (`sio_server_set_handback`): `id` = a file descriptor of the connection that the host
/// now owns (it must close it), `data` = the bytes the library read from it and did not
/// consume (the request head, then any body bytes so far; feed them to the HTTP parser
/// first), `name` = the peer address (`"1.2.3.4:5678"`). The descriptor is close-on-exec
/// and non-blocking (O_NONBLOCK lives on the open file it shares with the descriptor
/// the host passed to `sio_server_adopt_connection`; Node's `new net.Socket({fd})` sets
/// it anyway). The host owns it from the `sio_server_poll_events` /
/// `sio_server_dispatch` call that returns the event; an event never drained is closed
/// by `sio_server_free`.
pub const SIO_EV_HANDBACK: u32 = 11;
/// Room membership changed by the cluster (RedisStore; only after
/// `sio_server_set_room_events(srv, 1)`): another node's session joined or left a room,
/// or another node's app joined / left a room for a session of this server
/// (`io.sockets.socket(id).join(room)` there, applied here). `sid` = session id, `name` =
/// room key in 0.9's format (`""` main namespace, `"/chat"`, `"/chat/room"`), `id` =
/// `SIO_ROOM_JOIN`, `SIO_ROOM_LEAVE` or `SIO_ROOM_GONE` (a session of another node is
/// gone: it left every room, `name` empty), `socket` 0, `nsp` `SIO_NSP_GLOBAL`. Changes
/// the host made itself (`sio_join`, `sio_join_sid`, ...) are not reported, but a
/// session of another node the host disconnected (`sio_disconnect_sid`) is `GONE`. 12 is
/// kept for the Python proposal `SIO_EV_REQUEST`.
pub const SIO_EV_ROOM: u32 = 13;
/// `SIO_EV_ROOM` `id`: the session left the room.
pub const SIO_ROOM_LEAVE: u64 = 0;
/// `SIO_EV_ROOM` `id`: the session joined the room.
pub const SIO_ROOM_JOIN: u64 = 1;
/// `SIO_EV_ROOM` `id`: the session (of another node) is gone and left every room.
pub const SIO_ROOM_GONE: u64 = 2;
/// `nsp` of a global (handshake) authorization request.
pub const SIO_NSP_GLOBAL: u32 = 0xFFFF_FFFF;

/// One event, as a view into library memory valid until the next
/// `sio_server_poll_events` / `sio_server_dispatch` on the same server. Strings are
/// UTF-8 and not NUL-terminated; use the lengths.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct sio_event {
    /// `SIO_EV_*`.
    pub kind: u32,
    /// Namespace id (`SIO_NSP_GLOBAL` for the global authorization).
    pub nsp: u32,
    /// Socket id, 0 when none.
    pub socket: u64,
    /// EVENT/MESSAGE/JSON: client ack id (0 = none); AUTHORIZE: request id;
    /// ACK/STORE: the host's token.
    pub id: u64,
    /// Session id (socket.io `socket.id`).
    pub sid: *const c_char,
    /// Length of `sid` in bytes.
    pub sid_len: usize,
    /// Event name / disconnect reason / transport / store operation / error message.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// The payload (see the kinds).
    pub data: *const u8,
    /// Length of `data` in bytes.
    pub data_len: usize,
}

/// An event as the shards queue it (owned).
#[derive(Debug, Default)]
pub(crate) struct OwnedEvent {
    pub kind: u32,
    pub nsp: u32,
    pub socket: u64,
    pub id: u64,
    pub sid: String,
    pub name: String,
    pub data: Vec<u8>,
    /// HANDBACK: the descriptor (its number is `id`), owned by the queue until the event
    /// is handed to the host ([`OwnedEvent::release_fd`]); closed if never drained.
    pub fd: Option<std::os::fd::OwnedFd>,
}

impl OwnedEvent {
    /// The host takes the descriptor this event carries (if any): the library forgets
    /// it without closing it.
    pub fn release_fd(&mut self) {
        if let Some(fd) = self.fd.take() {
            let _ = std::os::fd::IntoRawFd::into_raw_fd(fd);
        }
    }

    /// A view of this event (borrows its buffers).
    pub fn view(&self) -> sio_event {
        sio_event {
            kind: self.kind,
            nsp: self.nsp,
            socket: self.socket,
            id: self.id,
            sid: self.sid.as_ptr().cast(),
            sid_len: self.sid.len(),
            name: self.name.as_ptr().cast(),
            name_len: self.name.len(),
            data: self.data.as_ptr(),
            data_len: self.data.len(),
        }
    }
}

/// The queue the shards push to and the host drains, with an eventfd readable exactly
/// while the queue is non-empty (or after a wake).
pub(crate) struct EventQueue {
    q: Mutex<Inner>,
    fd: RawFd,
}

/// The queue and the bookkeeping of POST barriers (see [`EventQueue::barrier`]).
#[derive(Default)]
struct Inner {
    q: VecDeque<OwnedEvent>,
    /// Events ever pushed.
    pushed: u64,
    /// Events ever handed to the host.
    taken: u64,
    /// Events the host has finished with (it came back for more after taking them).
    handled: u64,
    /// Barriers: resolved when `handled` reaches the count.
    waiters: Vec<(u64, flume::Sender<()>)>,
}

impl Inner {
    /// The host came back: everything taken before is handled.
    fn mark_handled(&mut self) {
        self.handled = self.taken;
        let handled = self.handled;
        // Dropping a sender wakes its receiver.
        self.waiters.retain(|(n, _)| *n > handled);
    }
}

impl EventQueue {
    /// A queue with a fresh non-blocking eventfd.
    pub fn new() -> std::io::Result<EventQueue> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EventQueue {
            q: Mutex::new(Inner::default()),
            fd,
        })
    }

    /// The eventfd.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the deque inconsistent.
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Make the fd readable.
    pub fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our own eventfd.
        unsafe { libc::write(self.fd, (&one as *const u64).cast(), 8) };
    }

    fn reset(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from our own non-blocking eventfd.
        unsafe { libc::read(self.fd, (&mut v as *mut u64).cast(), 8) };
    }

    /// Queue an event (any thread).
    pub fn push(&self, ev: OwnedEvent) {
        let mut i = self.lock();
        let was_empty = i.q.is_empty();
        i.q.push_back(ev);
        i.pushed += 1;
        if was_empty {
            self.signal();
        }
    }

    /// A receiver that completes once the host has handled every event pushed so far
    /// (it took them and came back for more), or `None` when it already has. Used to hold
    /// a polling POST's answer until the host ran its handlers (any thread).
    pub fn barrier(&self) -> Option<flume::Receiver<()>> {
        let mut i = self.lock();
        if i.pushed <= i.handled {
            return None;
        }
        let (tx, rx) = flume::bounded(1);
        let n = i.pushed;
        i.waiters.push((n, tx));
        Some(rx)
    }

    /// Move up to `max` events into `out`; the fd is reset when the queue drains, unless
    /// a barrier waits for the events just taken (the host is then woken once more, and
    /// that call marks them handled).
    pub fn drain(&self, max: usize, out: &mut Vec<OwnedEvent>) {
        let mut i = self.lock();
        i.mark_handled();
        let n = max.min(i.q.len());
        out.extend(i.q.drain(..n));
        i.taken += n as u64;
        if i.q.is_empty() {
            let taken = i.taken;
            if i.waiters.iter().any(|(w, _)| *w <= taken) {
                self.signal();
            } else {
                self.reset();
            }
        }
    }

    /// The host finished with everything it took (callback mode: after the callbacks).
    pub fn handled_all(&self) {
        self.lock().mark_handled();
    }
}

impl Drop for EventQueue {
    fn drop(&mut self) {
        // SAFETY: the fd is ours and closed exactly once.
        unsafe { libc::close(self.fd) };
    }
}
