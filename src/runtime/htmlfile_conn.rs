//! An htmlfile stream (PROTOCOL.md §3.4): a chunked HTML response that stays open, one
//! `<script>_("…");</script>` chunk per packet, heartbeats included. The client sends with
//! POSTs on other connections; this one only watches for the client going away.

use super::stream_io::{next, read_owned, Flusher};
use crate::protocol::handshake::HTMLFILE_PREAMBLE;
use crate::server::dispatch::not_handshaken;
use crate::server::dispatch::WsEnd;
use crate::server::shard_state::ShardState;
use crate::session::{htmlfile_chunk, Framing, StreamOutlet};
use crate::sid::Sid;
use bytes::BytesMut;
use monoio::io::{AsyncWriteRentExt, Splitable};
use monoio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use tracing::{info, warn};

/// Read size while watching the stream for the client's close.
const READ_CHUNK: usize = 512;

/// The response head and the 256-byte first chunk.
fn head() -> Vec<u8> {
    let mut v = Vec::with_capacity(400);
    crate::http::response::write_head(
        &mut v,
        200,
        Some("text/html; charset=UTF-8"),
        &[
            ("Connection", "keep-alive"),
            ("Transfer-Encoding", "chunked"),
        ],
        None,
        true,
    );
    v.extend_from_slice(format!("{:x}\r\n", HTMLFILE_PREAMBLE.len()).as_bytes());
    v.extend_from_slice(HTMLFILE_PREAMBLE.as_bytes());
    v.extend_from_slice(b"\r\n");
    v
}

/// Serve an htmlfile GET for `sid` on `stream` until the stream ends.
pub(crate) async fn run(
    st: Rc<ShardState>,
    stream: TcpStream,
    mut buf: BytesMut,
    sid: Option<Sid>,
) {
    let fd = stream.as_raw_fd();
    let (rd, mut wr) = stream.into_split();
    if Box::pin(wr.write_all(head())).await.0.is_err() {
        return;
    }
    let outlet = StreamOutlet::with_framing("htmlfile", Framing::Htmlfile);
    let mut fl = Flusher::new(wr, fd);
    let opened = match sid {
        Some(s) => {
            crate::runtime::poll_conn::session_known(&st, &s).await
                && st.open_stream(s, outlet.clone())
        }
        None => false,
    };
    let Some(sid) = sid.filter(|_| opened) else {
        warn!("client not handshaken client should reconnect");
        outlet.push(htmlfile_chunk(not_handshaken().as_str()));
        outlet.close(None);
        info!("transport end (error)");
        Box::pin(fl.finish(&outlet)).await;
        return;
    };
    buf.clear();
    let mut pending = read_owned(rd, buf, READ_CHUNK);
    let end = loop {
        if !fl.flush(&outlet).await {
            break WsEnd::SocketError;
        }
        if outlet.is_closing() || outlet.is_dead() {
            break WsEnd::Server;
        }
        let Some((rd, mut buf, res)) = next(&mut pending, &outlet).await else {
            continue;
        };
        match res {
            Ok(0) => break WsEnd::SocketEnd,
            // Nothing is expected on this connection; drop whatever comes.
            Ok(_) => {
                buf.clear();
                pending = read_owned(rd, buf, READ_CHUNK);
            }
            Err(_) => break WsEnd::Server,
        }
    };
    st.ws_closed(sid, &outlet, end);
    if end == WsEnd::SocketError {
        outlet.set_dead();
    } else {
        outlet.close(None);
    }
    Box::pin(fl.finish(&outlet)).await;
}
