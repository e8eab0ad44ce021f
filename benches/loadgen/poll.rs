//! The `poll` scenario: xhr-polling clients echoing. Each client holds two keep-alive
//! connections, as a browser's XHRs would: one for the long-poll GET loop, one for POSTs.
//! It keeps `--inflight` `echo` events outstanding: whatever is queued when the previous POST
//! has been answered goes out in one POST (a U+FFFD payload when more than one), and the GET
//! loop checks every `echo` reply (single packet or payload) exactly once, in order.

use crate::echo::{encode_echo, parse_echo_reply};
use crate::http::{put_request, HttpConn};
use crate::local::{source, Local, Notify};
use crate::payload;
use crate::plan::now_ns;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// State shared by a client's GET and POST tasks.
struct Shared {
    /// Events sent and not yet answered: `(seq, send time ns)`.
    pending: RefCell<VecDeque<(u64, u64)>>,
    /// Woken when replies free slots (or the GET loop stops).
    slots: Notify,
    /// Set when either task fails: the other stops too.
    stop: Cell<bool>,
}

/// One polling client.
pub async fn poll_client(l: Rc<Local>, idx: usize) {
    if let Err(e) = poll_run(&l, idx).await {
        l.error(|| format!("poll client {idx}: {e}"));
    }
    l.done.set(l.done.get() + 1);
}

/// Handshake, first GET (`1::`) and the POST connection.
async fn open(l: &Local, idx: usize) -> Result<(String, HttpConn, HttpConn), String> {
    let t = &l.plan.target;
    let src = source(&l.plan, idx);
    let sid = crate::ws::handshake(t, src, "xhr-polling").await?;
    let url = format!("/socket.io/1/xhr-polling/{sid}");
    let mut get = HttpConn::connect(t.addr, src).await?;
    let mut req = Vec::with_capacity(256);
    put_request(&mut req, "GET", &format!("{url}?t=0"), &t.host, "", b"");
    let r = get.roundtrip(&mut req).await?;
    if r.status != 200 || get.buf[r.body.clone()] != *b"1::" {
        return Err(format!(
            "first GET: HTTP {} {:?} (expected 1::)",
            r.status,
            String::from_utf8_lossy(&get.buf[r.body])
        ));
    }
    let post = HttpConn::connect(t.addr, src).await?;
    Ok((url, get, post))
}

/// The body of [`poll_client`].
async fn poll_run(l: &Rc<Local>, idx: usize) -> Result<(), String> {
    let res = open(l, idx).await;
    l.connected(res.is_ok());
    let (url, get, post) = res?;
    l.gate.wait().await;
    let sh = Rc::new(Shared {
        pending: RefCell::new(VecDeque::with_capacity(l.plan.inflight)),
        slots: Notify::default(),
        stop: Cell::new(false),
    });
    // 16-byte pad, unique per client: a reply routed to the wrong session fails verification.
    let suffix: Rc<[u8]> = format!(",\"c{idx:015}\"]}}").into_bytes().into();
    let poster = monoio::spawn(post_loop(
        l.clone(),
        sh.clone(),
        post,
        url.clone(),
        suffix.clone(),
    ));
    let got = get_loop(l, &sh, get, &url, &suffix).await;
    sh.stop.set(got.is_err() || sh.stop.get());
    sh.slots.notify();
    let posted = poster.await;
    got.and(posted)
}

/// POST queued events whenever a slot is free, until the window ends.
async fn post_loop(
    l: Rc<Local>,
    sh: Rc<Shared>,
    mut conn: HttpConn,
    url: String,
    suffix: Rc<[u8]>,
) -> Result<(), String> {
    let w = l.plan.inflight;
    let end = l.end.get();
    let host = l.plan.target.host.clone();
    let mut next_seq = 1u64;
    let mut packets: Vec<Vec<u8>> = (0..w).map(|_| Vec::with_capacity(64)).collect();
    let (mut body, mut req) = (Vec::with_capacity(96 * w), Vec::with_capacity(256 + 96 * w));
    let mut t = 0u64;
    let res = async {
        loop {
            if sh.stop.get() {
                return Ok(());
            }
            let now = now_ns();
            if now >= end {
                return Ok(());
            }
            let room = w - sh.pending.borrow().len();
            if room == 0 {
                sh.slots.wait().await;
                continue;
            }
            for p in packets.iter_mut().take(room) {
                encode_echo(p, false, next_seq, &suffix);
                sh.pending.borrow_mut().push_back((next_seq, now));
                next_seq += 1;
            }
            Local::add(&l.inflight, room as u64);
            Local::add(&l.sent, room as u64);
            payload::encode(&mut body, &packets[..room]);
            t += 1;
            put_request(&mut req, "POST", &format!("{url}?t={t}"), &host, "", &body);
            let r = conn.roundtrip(&mut req).await?;
            if r.status != 200 || conn.buf[r.body.clone()] != *b"1" {
                return Err(format!(
                    "POST answered HTTP {} {:?}",
                    r.status,
                    String::from_utf8_lossy(&conn.buf[r.body])
                ));
            }
        }
    }
    .await;
    if res.is_err() {
        sh.stop.set(true);
    }
    res
}

/// Long-poll until the window has ended and every event is answered.
async fn get_loop(
    l: &Local,
    sh: &Shared,
    mut conn: HttpConn,
    url: &str,
    suffix: &[u8],
) -> Result<(), String> {
    let end = l.end.get();
    let host = &l.plan.target.host;
    let mut req = Vec::with_capacity(256);
    let mut t = 0u64;
    loop {
        let now = now_ns();
        if sh.stop.get() || (now >= end && sh.pending.borrow().is_empty()) {
            return Ok(());
        }
        t += 1;
        put_request(&mut req, "GET", &format!("{url}?t={t}"), host, "", b"");
        let r = conn.roundtrip(&mut req).await?;
        let now = now_ns();
        if r.status != 200 {
            return Err(format!("GET answered HTTP {}", r.status));
        }
        let mut bad: Option<String> = None;
        payload::decode(&conn.buf[r.body], |p| {
            if p == b"8::" {
                return; // polling duration elapsed: nothing to deliver
            }
            let Some(seq) = parse_echo_reply(p, false, suffix) else {
                bad.get_or_insert_with(|| {
                    format!("unexpected packet {:?}", String::from_utf8_lossy(p))
                });
                return;
            };
            let mut pending = sh.pending.borrow_mut();
            match pending.front() {
                Some(&(s, sent)) if s == seq => {
                    pending.pop_front();
                    Local::add(&l.inflight, u64::MAX); // -1
                    l.delivered(now, sent);
                }
                _ => {
                    if let Some(pos) = pending.iter().position(|x| x.0 == seq) {
                        l.error(|| format!("reply {seq} out of order"));
                        pending.remove(pos);
                        Local::add(&l.inflight, u64::MAX);
                    } else {
                        // Not pending: answered before (seqs only grow) or never sent.
                        Local::add(&l.dups, 1);
                    }
                }
            }
        })?;
        if let Some(e) = bad {
            return Err(e);
        }
        sh.slots.notify();
    }
}
