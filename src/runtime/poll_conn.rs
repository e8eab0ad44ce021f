//! Plain HTTP requests that name a session (PROTOCOL.md §1.9, §1.16, §3.5–§3.7): the
//! xhr-polling and jsonp-polling long polls, POSTs of every HTTP transport, `?disconnect`,
//! CORS preflight and 405.

use super::conn::Io;
use crate::http::{self, RequestHead};
use crate::protocol::{handshake as hs, payload};
use crate::server::dispatch::not_handshaken;
use crate::server::shard_state::ShardState;
use crate::session::PollOutlet;
use crate::sid::Sid;
use std::borrow::Cow;
use std::rc::Rc;
use std::time::Duration;
use tracing::{debug, info, warn};

/// Wait until the pending poll `outlet` has something to say or `wait` passes. Returns
/// true when the client went away meanwhile (Q-21: the poll is aborted at once).
///
/// The connection is watched with a read. When the poll ends first, the read stays in
/// flight ([`Io::park`]) as the read of the connection's next request.
async fn wait_poll(io: &mut Io, outlet: &PollOutlet, wait: Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    if !outlet.notify.is_set() {
        let Some(mut read) = io.start_read() else {
            return true;
        };
        let first = monoio::select! {
            r = &mut read => Some(r),
            _ = monoio::time::timeout(wait, outlet.notify.notified()) => None,
        };
        let Some((rd, buf, res)) = first else {
            io.park(read);
            return false;
        };
        io.read_done(rd, buf);
        if !matches!(res, Ok(n) if n > 0) {
            return true;
        }
    }
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    let _ = monoio::time::timeout(left, outlet.notify.notified()).await;
    false
}

/// Whether `sid` is a session this node can serve. In a cluster, a request can arrive
/// before the handshake another node published (the client is faster than pub/sub): wait
/// up to half a second for it before answering `7:::1+0`.
pub(crate) async fn session_known(st: &Rc<ShardState>, sid: &Sid) -> bool {
    if st.knows_session(sid) {
        return true;
    }
    if st.srv.node.is_none() {
        return false;
    }
    // Boxed: the timer future is large, and every connection task that awaits this
    // would otherwise carry its size for the connection's whole life.
    Box::pin(wait_for_session(st, *sid)).await
}

async fn wait_for_session(st: &Rc<ShardState>, sid: Sid) -> bool {
    let sid = &sid;
    for _ in 0..25 {
        monoio::time::sleep(Duration::from_millis(20)).await;
        if st.knows_session(sid) {
            return true;
        }
    }
    false
}

/// A plain HTTP request naming a session. Returns false when the connection must be
/// closed without an answer (§1.9).
pub(crate) async fn transport_request(
    st: &Rc<ShardState>,
    head: &RequestHead,
    transport: &str,
    sid: &str,
    body: &[u8],
    out: &mut Vec<u8>,
    io: &mut Io,
) -> bool {
    let keep = head.keep_alive;
    let query = head.target.split_once('?').map_or("", |(_, q)| q);
    if http::query_has(query, "disconnect") {
        // disconnect whatever the transport state.
        if let Some(sid) = Sid::parse(sid) {
            st.force_disconnect(&sid);
        }
        http::response::disconnect_ok(out, keep);
        return true;
    }
    let Some(name) = st
        .live()
        .transport_names
        .iter()
        .copied()
        .find(|t| *t == transport)
    else {
        warn!("unknown transport: \"{transport}\"");
        return false;
    };
    match head.method {
        http::Method::Get | http::Method::Post => {}
        http::Method::Options => {
            http::response::preflight(
                out,
                head.header("origin"),
                head.header("access-control-request-headers"),
                keep,
            );
            return true;
        }
        _ => {
            http::response::method_not_allowed(out, keep);
            return true;
        }
    }
    if name == "websocket" || name == "flashsocket" {
        warn!("websocket connection invalid");
        return false;
    }
    let origin = head.origin();
    let sid = Sid::parse(sid);
    if matches!(head.method, http::Method::Post) {
        http::response::post_ok(out, origin, keep);
        let sid = match sid {
            Some(s) if session_known(st, &s).await => Some(s),
            _ => None,
        };
        if let Some(sid) = sid {
            if let Some(text) = post_text(name, body) {
                debug!("{name} received data packet {text}");
                st.post_packets(sid, &text);
                // An embedding host handles the packets on its own thread: answer the POST
                // once it did (or after 1 s), as 0.9 answered after its handlers ran.
                if let Some(rx) = st.srv.post_barrier.as_ref().and_then(|b| b()) {
                    let _ = monoio::time::timeout(Duration::from_secs(1), rx.recv_async()).await;
                }
            }
        }
        return true;
    }
    if name == "htmlfile" {
        // The htmlfile stream is built by a later milestone; until then every htmlfile
        // request is answered as for an unknown session so the client moves on.
        warn!("transport htmlfile is not active in this build");
        let mut html = String::from(hs::HTMLFILE_PREAMBLE);
        hs::htmlfile_wrap(not_handshaken().as_str(), &mut html);
        http::response::plain(out, 200, "text/html; charset=UTF-8", html.as_bytes(), false);
        return true;
    }
    let known = match &sid {
        Some(s) => session_known(st, s).await,
        None => false,
    };
    let outlet = PollOutlet::new(name);
    let packets = match sid {
        Some(sid) if known && st.open_poll(sid, outlet.clone()) => {
            let wait = Duration::from_secs_f64(st.live().config.polling_duration.max(0.0));
            if wait_poll(io, &outlet, wait).await {
                debug!("{name} request aborted by the client");
                st.poll_aborted(sid, &outlet);
                return false;
            }
            st.poll_finished(sid, &outlet)
        }
        Some(sid) => match st.take_tombstone(&sid) {
            Some(p) => p,
            None => {
                warn!("client not handshaken client should reconnect");
                info!("transport end (error)");
                vec![not_handshaken()]
            }
        },
        None => {
            warn!("client not handshaken client should reconnect");
            vec![not_handshaken()]
        }
    };
    let mut text = std::mem::take(&mut io.text);
    text.clear();
    if packets.is_empty() {
        text.push_str("8::");
    } else {
        payload::encode_payload_with(
            packets.len(),
            |i| packets.get(i).map_or("", |p| p.as_str()),
            &mut text,
        );
    }
    debug!("{name} writing {text}");
    if name == "jsonp-polling" {
        let idx = http::query_get(query, "i")
            .filter(|i| hs::is_jsonp_index(i))
            .map_or_else(|| "0".to_owned(), |c| c.into_owned());
        let mut js = String::with_capacity(text.len() + 16);
        hs::jsonp_wrap(&idx, &text, &mut js);
        http::response::write_response(
            out,
            200,
            Some("text/javascript; charset=UTF-8"),
            &[("Connection", "Keep-Alive"), ("X-XSS-Protection", "0")],
            js.as_bytes(),
            keep,
        );
    } else {
        let hdrs: [(&str, &str); 3];
        let hdrs: &[(&str, &str)] = match origin {
            Some(o) => {
                let [a, b] = http::response::cors_headers(o);
                hdrs = [("Connection", "Keep-Alive"), a, b];
                &hdrs
            }
            None => &[("Connection", "Keep-Alive")],
        };
        http::response::write_response(
            out,
            200,
            Some("text/plain; charset=UTF-8"),
            hdrs,
            text.as_bytes(),
            keep,
        );
    }
    if text.capacity() <= KEEP_TEXT {
        io.text = text;
    }
    true
}

/// A connection keeps its payload scratch text only up to this size.
const KEEP_TEXT: usize = 16 * 1024;

/// The packet text of a POST body: the whole body for xhr-polling (decoded once, Q-39),
/// the JSON string in the `d` form field for jsonp-polling (Q-9: a bad `d` is logged
/// and ignored).
fn post_text<'a>(transport: &str, body: &'a [u8]) -> Option<Cow<'a, str>> {
    if transport != "jsonp-polling" {
        return Some(match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(body),
        });
    }
    let Some(d) = http::form_field(body, "d") else {
        warn!("jsonp-polling POST without a d= field ignored");
        return None;
    };
    match crate::protocol::json::parse(&d) {
        Ok(serde_json::Value::String(s)) => Some(Cow::Owned(s)),
        _ => {
            warn!("jsonp-polling POST whose d= is not a JSON string ignored");
            None
        }
    }
}
