//! One client's state (PROTOCOL.md §4.1): handshake data, connected/open flags, the
//! current transport's outlet, the buffer of packets kept while no transport is open,
//! per-namespace socket state (membership, ack ids and callbacks), rooms, and the
//! generations of its deadlines. No I/O here: the runtime moves bytes, this holds state.

use crate::server::args::Args;
use crate::server::Socket;
use crate::sid::Sid;
use bytes::Bytes;
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::Waker;

/// Handshake data (PROTOCOL.md §1.14) as a JSON object in the reference's key order.
pub type HandshakeData = Map<String, Value>;

/// A packet encoded once: the websocket frame (header + text) in one shared allocation;
/// the packet text is the tail of the frame (DESIGN.md §3). Cloning is a refcount bump.
#[derive(Clone, Debug)]
pub struct Encoded {
    frame: Bytes,
    hdr: u8,
}

/// Room reserved in front of the text for the largest websocket header.
const HDR_ROOM: usize = crate::transport::websocket::MAX_SERVER_HEADER_LEN;

impl Encoded {
    /// Encode `text` once, with its unmasked server websocket frame header in front.
    pub fn new(text: &str) -> Encoded {
        Encoded::build(text.len(), |s| s.push_str(text))
    }

    /// Encode the text that `write` appends (about `hint` bytes) straight into the frame
    /// buffer: one allocation, no intermediate string.
    pub fn build(hint: usize, write: impl FnOnce(&mut String)) -> Encoded {
        let mut s = String::with_capacity(HDR_ROOM + hint);
        s.push_str("\0\0\0\0\0\0\0\0\0\0");
        write(&mut s);
        let mut v = s.into_bytes();
        let len = v.len() - HDR_ROOM;
        let mut hdr = [0u8; 10];
        let n = crate::transport::websocket::text_frame_header(len, &mut hdr);
        let start = HDR_ROOM - n;
        if let (Some(dst), Some(src)) = (v.get_mut(start..HDR_ROOM), hdr.get(..n)) {
            dst.copy_from_slice(src);
        }
        let mut frame = Bytes::from(v);
        bytes::Buf::advance(&mut frame, start);
        Encoded {
            frame,
            hdr: n as u8,
        }
    }

    /// The complete websocket text frame.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// The packet text (UTF-8 bytes).
    pub fn text(&self) -> &[u8] {
        self.frame.get(self.hdr as usize..).unwrap_or(&[])
    }

    /// The packet text as `str`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.text()).unwrap_or("")
    }

    /// The packet text as a shared slice of the frame (a refcount bump, no copy): what a
    /// hixie frame carries between its `0x00` and `0xFF` bytes.
    pub fn text_bytes(&self) -> Bytes {
        self.frame
            .slice((self.hdr as usize).min(self.frame.len())..)
    }

    /// The frame, by value (no refcount traffic when the packet has one recipient).
    pub fn into_frame(self) -> Bytes {
        self.frame
    }
}

/// A single-threaded wake-up flag: the writer task waits on it, producers set it.
#[derive(Default)]
pub struct Notify {
    flagged: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Notify {
    /// Flag and wake the waiting task, if any.
    pub fn notify(&self) {
        self.flagged.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Whether the flag is set (a wake-up is pending).
    pub fn is_set(&self) -> bool {
        self.flagged.get()
    }

    /// Wait until flagged, then clear the flag.
    pub fn notified(&self) -> impl std::future::Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.flagged.replace(false) {
                std::task::Poll::Ready(())
            } else {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
    }
}

/// How a persistent transport frames packets on its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One unmasked websocket text frame per packet (websocket, flashsocket).
    Websocket,
    /// One HTTP chunk `<script>_("…");</script>` per packet (htmlfile, §3.4).
    Htmlfile,
    /// `0x00` + text + `0xFF` per packet: websocket or flashsocket on a hixie draft (§3.2.3).
    Hixie(crate::transport::hixie::Draft),
}

/// First byte of every hixie frame, shared by all of them.
static HIXIE_START: [u8; 1] = [0x00];
/// Last byte of every hixie frame.
static HIXIE_END: [u8; 1] = [0xFF];

/// Queued bytes from which a hixie outlet counts as not drained, so volatile packets are
/// dropped (§3.2.3, §4.8): Node's default stream `highWaterMark`, past which the
/// reference's `socket.write` returns false.
const HIXIE_DRAIN_MARK: usize = 16 * 1024;

/// The writable end of a persistent transport (websocket, flashsocket, htmlfile):
/// bytes queued here are written by the connection's writer task.
pub struct StreamOutlet {
    /// Transport name as on the wire (`websocket`, `flashsocket` or `htmlfile`).
    pub name: &'static str,
    /// How packets are framed.
    pub framing: Framing,
    queue: RefCell<Vec<Bytes>>,
    /// Wakes the writer.
    pub notify: Notify,
    close: Cell<Option<u16>>,
    closing: Cell<bool>,
    dead: Cell<bool>,
    /// Shard tick of the last wake for broadcast frames (see [`StreamOutlet::push_bulk`]).
    bulk_tick: Cell<u32>,
    /// Registered for a wake at the shard's next tick.
    deferred: Cell<bool>,
}

impl StreamOutlet {
    /// A new websocket-framed outlet for a transport called `name`.
    pub fn new(name: &'static str) -> Rc<StreamOutlet> {
        Self::with_framing(name, Framing::Websocket)
    }

    /// A new outlet with the given framing.
    pub fn with_framing(name: &'static str, framing: Framing) -> Rc<StreamOutlet> {
        Rc::new(StreamOutlet {
            name,
            framing,
            queue: RefCell::new(Vec::new()),
            notify: Notify::default(),
            close: Cell::new(None),
            closing: Cell::new(false),
            dead: Cell::new(false),
            // Two ticks before tick 0: the first broadcast frame always goes out at once.
            bulk_tick: Cell::new(u32::MAX - 1),
            deferred: Cell::new(false),
        })
    }

    /// Queue a frame of a broadcast at shard tick `tick` (10 ms ticks). Broadcast
    /// frames are coalesced per connection: the first after a quiet tick wakes the writer
    /// at once; while broadcasts keep coming, the writer is woken once per tick and writes
    /// everything queued in one go (a fan-out of N messages per tick to many receivers
    /// costs one write per receiver per tick instead of N). Returns true when the caller
    /// must register this outlet for [`StreamOutlet::wake_deferred`] at the next tick.
    pub fn push_bulk(&self, frame: Bytes, tick: u32) -> bool {
        self.push_bulk_with(tick, |q| q.push(frame))
    }

    /// [`StreamOutlet::push_bulk`] for a packet, framed for this stream.
    pub fn push_bulk_packet(&self, p: Encoded, tick: u32) -> bool {
        self.push_bulk_with(tick, |q| self.enqueue(q, p))
    }

    fn push_bulk_with(&self, tick: u32, add: impl FnOnce(&mut Vec<Bytes>)) -> bool {
        if self.closing.get() || self.dead.get() {
            return false;
        }
        add(&mut self.queue.borrow_mut());
        if self.notify.is_set() || self.deferred.get() {
            // A wake is already due: the frame goes with it.
            return false;
        }
        if tick.wrapping_sub(self.bulk_tick.get()) >= 2 {
            self.bulk_tick.set(tick);
            self.notify.notify();
            return false;
        }
        self.deferred.set(true);
        true
    }

    /// Append `p` framed for this stream to `q`: the websocket frame, an htmlfile chunk, or
    /// a hixie frame as three shared pieces (`0x00`, the packet's text, `0xFF`), so a
    /// broadcast to hixie clients is still encoded once (DESIGN.md §3).
    fn enqueue(&self, q: &mut Vec<Bytes>, p: Encoded) {
        match self.framing {
            Framing::Websocket => q.push(p.into_frame()),
            Framing::Htmlfile => q.push(htmlfile_chunk(p.as_str())),
            Framing::Hixie(_) => {
                q.push(Bytes::from_static(&HIXIE_START));
                q.push(p.text_bytes());
                q.push(Bytes::from_static(&HIXIE_END));
            }
        }
    }

    /// Whether a volatile packet may be written now: always, except on a hixie stream whose
    /// queue holds [`HIXIE_DRAIN_MARK`] bytes or more (not drained, §3.2.3).
    pub fn accepts_volatile(&self) -> bool {
        if !matches!(self.framing, Framing::Hixie(_)) {
            return true;
        }
        let mut queued = 0;
        self.queue.borrow().iter().all(|b| {
            queued += b.len();
            queued < HIXIE_DRAIN_MARK
        })
    }

    /// The deferred wake of [`StreamOutlet::push_bulk`], at shard tick `tick`.
    pub fn wake_deferred(&self, tick: u32) {
        self.deferred.set(false);
        self.bulk_tick.set(tick);
        self.notify.notify();
    }

    /// Queue a frame for writing. Frames queued after `close` are dropped.
    pub fn push(&self, frame: Bytes) {
        self.push_with(|q| q.push(frame));
    }

    /// Queue a packet for writing, framed for this stream.
    pub fn push_packet(&self, p: Encoded) {
        self.push_with(|q| self.enqueue(q, p));
    }

    fn push_with(&self, add: impl FnOnce(&mut Vec<Bytes>)) {
        if self.closing.get() || self.dead.get() {
            return;
        }
        add(&mut self.queue.borrow_mut());
        self.notify.notify();
    }

    /// Take everything queued.
    pub fn take(&self) -> Vec<Bytes> {
        std::mem::take(&mut *self.queue.borrow_mut())
    }

    /// Swap the queue with `spare` (an empty vector the caller keeps between flushes,
    /// so steady traffic does not allocate a new queue per flush).
    pub fn swap_queue(&self, spare: &mut Vec<Bytes>) {
        std::mem::swap(&mut *self.queue.borrow_mut(), spare);
    }

    /// Ask the writer to flush, send a close frame with `code` (if any), and end the
    /// connection.
    pub fn close(&self, code: Option<u16>) {
        if self.closing.replace(true) {
            return;
        }
        self.close.set(code);
        self.notify.notify();
    }

    /// Whether `close` was called.
    pub fn is_closing(&self) -> bool {
        self.closing.get()
    }

    /// The close code requested by `close`.
    pub fn close_code(&self) -> Option<u16> {
        self.close.get()
    }

    /// Mark the connection dead (write failed or peer gone): nothing more is queued.
    pub fn set_dead(&self) {
        self.dead.set(true);
        self.notify.notify();
    }

    /// Whether the connection is dead.
    pub fn is_dead(&self) -> bool {
        self.dead.get()
    }
}

/// The pending long-poll GET of a polling transport (xhr-polling, jsonp-polling):
/// packets written while it waits are answered together in its response.
pub struct PollOutlet {
    /// Transport name as on the wire.
    pub name: &'static str,
    packets: RefCell<Vec<Encoded>>,
    /// Wakes the waiting request.
    pub notify: Notify,
    ended: Cell<bool>,
}

impl PollOutlet {
    /// A new pending poll for transport `name`.
    pub fn new(name: &'static str) -> Rc<PollOutlet> {
        Rc::new(PollOutlet {
            name,
            packets: RefCell::new(Vec::new()),
            notify: Notify::default(),
            ended: Cell::new(false),
        })
    }

    /// Add a packet to the response.
    pub fn push(&self, p: Encoded) {
        if self.ended.get() {
            return;
        }
        self.packets.borrow_mut().push(p);
        self.notify.notify();
    }

    /// Take the packets of the response and stop accepting more.
    pub fn finish(&self) -> Vec<Encoded> {
        self.ended.set(true);
        std::mem::take(&mut *self.packets.borrow_mut())
    }

    /// Answer now with whatever is queued (`8::` when nothing is).
    pub fn end(&self) {
        self.notify.notify();
    }
}

/// The session's current transport on this node.
#[derive(Clone)]
pub enum Outlet {
    /// websocket, flashsocket, htmlfile.
    Stream(Rc<StreamOutlet>),
    /// A pending xhr-polling / jsonp-polling GET.
    Poll(Rc<PollOutlet>),
    /// A transport another node of the cluster holds for this node's session (the client's
    /// request reached a non-owner node, which relays; PROTOCOL.md §6.6, Q-38).
    Remote(Rc<RemoteOutlet>),
}

/// A transport held by another node for one of this node's sessions: packets go to that
/// node as `dispatch-remote` addressed to it. A polling transport takes one write (the
/// relaying node answers its GET with it); a stream takes any number.
pub struct RemoteOutlet {
    /// Session id.
    pub sid: Sid,
    /// The relaying node's id, as text.
    pub node: String,
    /// Websocket, flashsocket or htmlfile on the relaying node: stays open after a write.
    pub stream: bool,
    spent: Cell<bool>,
    store: std::sync::Arc<dyn crate::store::Store>,
}

impl RemoteOutlet {
    /// A transport of `node` for `sid`, written through `store`.
    pub fn new(
        sid: Sid,
        node: String,
        stream: bool,
        store: std::sync::Arc<dyn crate::store::Store>,
    ) -> Rc<RemoteOutlet> {
        Rc::new(RemoteOutlet {
            sid,
            node,
            stream,
            spent: Cell::new(false),
            store,
        })
    }

    /// Whether a write can go out now (a remote poll takes one).
    pub fn writable(&self) -> bool {
        !self.spent.get()
    }

    /// Send `text` (one packet, or a payload of several) to the relaying node.
    pub fn send(&self, text: &str) {
        if !self.stream {
            self.spent.set(true);
        }
        let msg = crate::store::redis_wire::Message::DispatchRemote {
            sid: self.sid.as_str().to_owned(),
            packet: text.to_owned(),
            volatile: false,
        };
        let target = serde_json::Value::from(self.node.as_str()).to_string();
        self.store.publish(&msg, &[("target", &target)]);
    }
}

impl Outlet {
    /// Wire name of the transport.
    pub fn name(&self) -> &'static str {
        match self {
            Outlet::Stream(w) => w.name,
            Outlet::Poll(p) => p.name,
            Outlet::Remote(r) => {
                if r.stream {
                    "websocket"
                } else {
                    "xhr-polling"
                }
            }
        }
    }

    /// Whether a packet can be written now (a remote poll takes one write).
    pub fn writable(&self) -> bool {
        match self {
            Outlet::Remote(r) => r.writable(),
            _ => true,
        }
    }

    /// Whether a volatile packet may be written now ([`StreamOutlet::accepts_volatile`]).
    pub fn accepts_volatile(&self) -> bool {
        match self {
            Outlet::Stream(w) => w.accepts_volatile(),
            _ => true,
        }
    }

    /// Whether `self` and `other` are the same transport object.
    pub fn same(&self, other: &Outlet) -> bool {
        match (self, other) {
            (Outlet::Stream(a), Outlet::Stream(b)) => Rc::ptr_eq(a, b),
            (Outlet::Poll(a), Outlet::Poll(b)) => Rc::ptr_eq(a, b),
            (Outlet::Remote(a), Outlet::Remote(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Write one packet now (the transport is open).
    pub fn write(&self, p: Encoded) {
        match self {
            Outlet::Stream(w) => w.push_packet(p),
            Outlet::Poll(o) => o.push(p),
            Outlet::Remote(r) => r.send(p.as_str()),
        }
    }

    /// Write one packet of a broadcast at shard tick `tick`: stream transports coalesce
    /// broadcast frames ([`StreamOutlet::push_bulk`]); returns the outlet when it must be
    /// woken at the next tick. Polls and relays write at once.
    pub fn write_bulk(&self, p: Encoded, tick: u32) -> Option<Rc<StreamOutlet>> {
        match self {
            Outlet::Stream(w) => w.push_bulk_packet(p, tick).then(|| w.clone()),
            _ => {
                self.write(p);
                None
            }
        }
    }

    /// End the transport: close a websocket (with a close frame), answer a pending poll.
    pub fn close(&self) {
        match self {
            Outlet::Stream(w) => w.close(Some(crate::transport::websocket::CLOSE_NORMAL)),
            Outlet::Poll(p) => p.end(),
            // The relaying node ends its transport on `disconnect-remote`.
            Outlet::Remote(_) => {}
        }
    }
}

/// One HTTP chunk carrying `<script>_("…");</script>` for `text` (§3.4).
pub fn htmlfile_chunk(text: &str) -> Bytes {
    let mut script = String::with_capacity(text.len() + 32);
    crate::protocol::handshake::htmlfile_wrap(text, &mut script);
    let mut v = Vec::with_capacity(script.len() + 12);
    v.extend_from_slice(format!("{:x}\r\n", script.len()).as_bytes());
    v.extend_from_slice(script.as_bytes());
    v.extend_from_slice(b"\r\n");
    Bytes::from(v)
}

/// A server→client ack callback waiting for the client's `6` packet.
pub type AckCallback = Box<dyn FnOnce(&Socket, Args)>;

/// Per (session, namespace) state: the "socket" of the 0.9 model.
#[derive(Default)]
pub struct NspState {
    /// Connected to the namespace (in its membership room).
    pub joined: bool,
    /// Last ack id issued by the server on this namespace.
    pub ack_seq: u64,
    /// Callbacks for acks the server requested, by id (removed on first use, Q-7).
    pub acks: Vec<(u64, AckCallback)>,
}

/// Which deadline a timer entry is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// Send the next `2::`.
    Heartbeat,
    /// The client did not answer a heartbeat in time.
    HeartbeatTimeout,
    /// No transport came back in time.
    CloseTimeout,
    /// The handshake was never followed by a transport (§1.15).
    HandshakeExpiry,
}

/// One client session.
pub struct Session {
    /// Handshake data as compact JSON text: an idle session keeps one small string
    /// instead of a tree of maps (parsed on demand by [`Session::handshake_data`]).
    pub handshake: Rc<str>,
    /// Handshake time (ms since the Unix epoch) until the session connects.
    pub issued: Option<u64>,
    /// A transport has been seen.
    pub connected: bool,
    /// The current transport, if any.
    pub outlet: Option<Outlet>,
    /// The current transport can write.
    pub open: bool,
    /// Packets kept while no transport is open (exists after the first close).
    pub buffer: Vec<Encoded>,
    /// Sockets per declared namespace, by namespace index (grown on demand).
    pub nsps: Vec<NspState>,
    /// Room keys this session is in.
    pub rooms: Vec<Rc<str>>,
    /// Its deadlines (heartbeat scheduled, heartbeat timeout running, …) and the wheel
    /// entries standing for them.
    pub deadlines: crate::deadlines::Deadlines,
    /// The session has ended (disconnect in progress or done).
    pub ended: bool,
}

impl Session {
    /// A freshly handshaken session.
    pub fn new(handshake: HandshakeData, issued: u64) -> Session {
        Session {
            handshake: Rc::from(crate::protocol::json::to_js_json(&Value::Object(handshake))),
            issued: Some(issued),
            connected: false,
            outlet: None,
            open: false,
            buffer: Vec::new(),
            nsps: Vec::new(),
            rooms: Vec::new(),
            deadlines: Default::default(),
            ended: false,
        }
    }

    /// The handshake data, parsed from its stored text.
    pub fn handshake_data(&self) -> HandshakeData {
        match crate::protocol::json::parse(&self.handshake) {
            Ok(Value::Object(m)) => m,
            _ => HandshakeData::new(),
        }
    }

    /// Remove `issued` from the handshake data (the session connected, §4.2 step 3.2).
    pub fn forget_issued(&mut self) {
        let mut h = self.handshake_data();
        if h.remove("issued").is_some() {
            self.handshake = Rc::from(crate::protocol::json::to_js_json(&Value::Object(h)));
        }
    }

    /// The namespace state at `idx`, created on demand.
    pub fn nsp(&mut self, idx: usize) -> &mut NspState {
        if self.nsps.len() <= idx {
            // Exact: a session is usually in one namespace; `resize_with` alone would
            // reserve four states (160 bytes) per idle session.
            self.nsps.reserve_exact(idx + 1 - self.nsps.len());
            self.nsps.resize_with(idx + 1, NspState::default);
        }
        &mut self.nsps[idx]
    }

    /// Whether the session is connected to namespace `idx`.
    pub fn in_nsp(&self, idx: usize) -> bool {
        self.nsps.get(idx).is_some_and(|n| n.joined)
    }

    /// Write `p` now if a transport is open, else keep it (unless volatile: a volatile
    /// packet is dropped, also while a hixie stream is not drained).
    /// Returns whether it was written or kept.
    pub fn deliver(&mut self, p: Encoded, volatile: bool) -> bool {
        if self.ended {
            return false;
        }
        if let Some(o) = self.writable_outlet() {
            if volatile && !o.accepts_volatile() {
                return false;
            }
            o.write(p);
            return true;
        }
        if volatile {
            return false;
        }
        self.buffer.push(p);
        true
    }

    /// The current transport if it is open and can write now.
    fn writable_outlet(&self) -> Option<&Outlet> {
        self.outlet.as_ref().filter(|o| self.open && o.writable())
    }

    /// [`Session::deliver`] for one packet of a broadcast at shard tick `tick`: returns
    /// the stream outlet to wake at the next tick, if the write was deferred.
    pub fn deliver_bulk(
        &mut self,
        p: Encoded,
        volatile: bool,
        tick: u32,
    ) -> Option<Rc<StreamOutlet>> {
        if self.ended {
            return None;
        }
        if let Some(o) = self.writable_outlet() {
            if volatile && !o.accepts_volatile() {
                return None;
            }
            return o.write_bulk(p, tick);
        }
        if !volatile {
            self.buffer.push(p);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_frame_wraps_text_once() {
        let e = Encoded::new("1::");
        assert_eq!(&e.frame()[..], b"\x81\x031::");
        assert_eq!(e.as_str(), "1::");
        let big = "x".repeat(70_000);
        let e = Encoded::build(10, |s| s.push_str(&big));
        assert_eq!(&e.frame()[..2], &[0x81, 127]);
        assert_eq!(e.text().len(), 70_000);
        assert_eq!(e.frame().len(), 70_010);
    }

    #[test]
    fn deliver_buffers_until_open_and_drops_volatile() {
        let mut s = Session::new(HandshakeData::new(), 0);
        assert!(s.deliver(Encoded::new("3:::a"), false));
        assert!(!s.deliver(Encoded::new("3:::v"), true));
        assert_eq!(s.buffer.len(), 1);
        let out = StreamOutlet::new("websocket");
        s.outlet = Some(Outlet::Stream(out.clone()));
        s.open = true;
        assert!(s.deliver(Encoded::new("3:::v"), true));
        assert_eq!(out.take().len(), 1);
    }

    #[test]
    fn broadcast_frames_coalesce_per_tick() {
        let out = StreamOutlet::new("websocket");
        // First broadcast frame after a quiet period: woken at once.
        assert!(!out.push_bulk(Bytes::from_static(b"a"), 100));
        assert!(out.notify.is_set());
        // More frames while that wake is pending ride along.
        assert!(!out.push_bulk(Bytes::from_static(b"b"), 100));
        let mut q = Vec::new();
        out.swap_queue(&mut q);
        assert_eq!(q.len(), 2);
        // The writer ran (flag consumed); another frame in the same or next tick is
        // deferred to the shard's next tick, and registered once.
        out.notify.flagged.set(false);
        assert!(out.push_bulk(Bytes::from_static(b"c"), 101));
        assert!(!out.notify.is_set());
        assert!(!out.push_bulk(Bytes::from_static(b"d"), 101));
        out.wake_deferred(102);
        assert!(out.notify.is_set());
        out.notify.flagged.set(false);
        // Still busy at tick 103: deferred again; after two quiet ticks: at once.
        assert!(out.push_bulk(Bytes::from_static(b"e"), 103));
        out.wake_deferred(104);
        out.notify.flagged.set(false);
        assert!(!out.push_bulk(Bytes::from_static(b"f"), 106));
        assert!(out.notify.is_set());
        let mut q = Vec::new();
        out.swap_queue(&mut q);
        assert_eq!(q.len(), 4, "c, d, e, f in order");
        assert_eq!(&q[0][..], b"c");
        assert_eq!(&q[3][..], b"f");
    }

    #[test]
    fn closed_outlet_drops_frames() {
        let out = StreamOutlet::new("websocket");
        out.push(Bytes::from_static(b"a"));
        out.close(Some(1000));
        out.push(Bytes::from_static(b"b"));
        assert_eq!(out.take().len(), 1);
        assert_eq!(out.close_code(), Some(1000));
    }

    #[test]
    fn hixie_outlet_frames_share_the_encoded_text() {
        use crate::transport::hixie::Draft;
        let out = StreamOutlet::with_framing("websocket", Framing::Hixie(Draft::Hixie76));
        let p = Encoded::new("3:::h\u{e9}");
        out.push_packet(p.clone());
        assert!(!out.push_bulk_packet(p.clone(), 7));
        let q = out.take();
        let bytes: Vec<u8> = q.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(bytes, b"\x003:::h\xc3\xa9\xff\x003:::h\xc3\xa9\xff");
        // Encoded once: the text pieces point into the packet's own buffer.
        assert_eq!(q.len(), 6);
        assert_eq!(q[1].as_ptr(), p.text().as_ptr());
        assert_eq!(q[4].as_ptr(), p.text().as_ptr());
    }

    #[test]
    fn hixie_outlet_refuses_volatile_while_not_drained() {
        use crate::transport::hixie::Draft;
        let ws = StreamOutlet::new("websocket");
        let hx = StreamOutlet::with_framing("websocket", Framing::Hixie(Draft::Hixie75));
        let big = Encoded::new(&"x".repeat(HIXIE_DRAIN_MARK));
        assert!(hx.accepts_volatile());
        hx.push_packet(Encoded::new(&"x".repeat(HIXIE_DRAIN_MARK - 10)));
        assert!(hx.accepts_volatile(), "below the mark");
        hx.push_packet(big.clone());
        assert!(!hx.accepts_volatile());
        ws.push_packet(big);
        assert!(ws.accepts_volatile(), "only hixie tracks draining");
        hx.take();
        assert!(hx.accepts_volatile(), "drained again");
    }
}
