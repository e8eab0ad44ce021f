//! One task per persistent connection (websocket, flashsocket, htmlfile): the pending
//! read owns the read half, so the task can wait for "bytes arrived" or "packets queued"
//! at once, and flushes the outlet itself right after handling what it read — no
//! separate writer task, no wake-up between handling and writing.

use crate::session::{Framing, StreamOutlet};
use crate::transport::hixie::{self, Draft};
use crate::transport::websocket as ws;
use bytes::{Bytes, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf};
use monoio::net::TcpStream;
use std::future::Future;
use std::os::fd::RawFd;
use std::pin::Pin;

/// A writer keeps its coalescing buffer between flushes only up to this size, so idle
/// connections do not pin large buffers.
const KEEP_SCRATCH: usize = 64 * 1024;
/// Likewise for the vector that takes the queued frames.
const KEEP_FRAMES: usize = 64;

/// What a finished read hands back: the read half, the buffer, and the result.
pub(crate) type ReadDone = (OwnedReadHalf<TcpStream>, BytesMut, std::io::Result<usize>);
/// A read in flight.
pub(crate) type PendingRead = Pin<Box<dyn Future<Output = ReadDone>>>;

/// Start a read of about `want` bytes that owns `rd` and `buf` until it completes.
pub(crate) fn read_owned(rd: OwnedReadHalf<TcpStream>, buf: BytesMut, want: usize) -> PendingRead {
    Box::pin(read_owned_inline(rd, buf, want))
}

/// [`read_owned`] without the box, for a caller that pins the read in its own state
/// (one allocation less per read, and no separately allocated future while it waits).
pub(crate) fn read_owned_inline(
    mut rd: OwnedReadHalf<TcpStream>,
    mut buf: BytesMut,
    want: usize,
) -> impl Future<Output = ReadDone> {
    // The read op takes the buffer itself (no `read_into` frame around it): this future
    // is part of every idle connection's state, so its size counts.
    if buf.capacity() - buf.len() < want / 2 {
        buf.reserve(want);
    }
    async move {
        let len = buf.len();
        let (res, slice) = rd.read(buf.slice_mut(len..)).await;
        (rd, slice.into_inner(), res)
    }
}

/// Wait until the read completes (`Some`) or packets are queued on `outlet` (`None`).
pub(crate) async fn next<F>(read: &mut F, outlet: &StreamOutlet) -> Option<ReadDone>
where
    F: Future<Output = ReadDone> + Unpin,
{
    monoio::select! {
        r = read => Some(r),
        _ = outlet.notify.notified() => None,
    }
}

/// The write side of a persistent connection.
pub(crate) struct Flusher {
    wr: OwnedWriteHalf<TcpStream>,
    fd: RawFd,
    scratch: Vec<u8>,
    frames: Vec<Bytes>,
}

impl Flusher {
    pub(crate) fn new(wr: OwnedWriteHalf<TcpStream>, fd: RawFd) -> Flusher {
        Flusher {
            wr,
            fd,
            scratch: Vec::new(),
            frames: Vec::new(),
        }
    }

    /// Write everything queued on `outlet`; false when the connection failed.
    pub(crate) async fn flush(&mut self, outlet: &StreamOutlet) -> bool {
        outlet.swap_queue(&mut self.frames);
        if self.frames.is_empty() {
            return true;
        }
        let single = self.frames.len() == 1;
        let ok = if single {
            match self.frames.pop() {
                Some(f) => self.wr.write_all(f).await.0.is_ok(),
                None => true,
            }
        } else {
            self.scratch.clear();
            for f in self.frames.drain(..) {
                self.scratch.extend_from_slice(&f);
            }
            let (r, b) = self.wr.write_all(std::mem::take(&mut self.scratch)).await;
            self.scratch = b;
            if self.scratch.capacity() > KEEP_SCRATCH {
                self.scratch = Vec::new();
            }
            r.is_ok()
        };
        if single || self.frames.capacity() > KEEP_FRAMES {
            // Keep the vector only while frames come in batches; a connection that
            // writes one frame at a time (idle: heartbeats) holds none between writes.
            self.frames = Vec::new();
        }
        if !ok {
            outlet.set_dead();
        }
        ok
    }

    /// Flush what is left, end the stream the way its framing says (close frame, or the
    /// last chunk of an htmlfile body), and shut the socket down.
    pub(crate) async fn finish(mut self, outlet: &StreamOutlet) {
        if !outlet.is_dead() && self.flush(outlet).await {
            match outlet.framing {
                Framing::Websocket => {
                    if let Some(code) = outlet.close_code() {
                        let _ = self.wr.write_all(ws::close_frame(code, "")).await;
                    }
                }
                Framing::Htmlfile => {
                    let _ = self.wr.write_all(&b"0\r\n\r\n"[..]).await;
                }
                // The hixie-76 closing frame (hixie-75 has none): see transport::hixie.
                Framing::Hixie(Draft::Hixie76) => {
                    if outlet.close_code().is_some() {
                        let _ = self.wr.write_all(&hixie::CLOSE_FRAME[..]).await;
                    }
                }
                Framing::Hixie(Draft::Hixie75) => {}
            }
            let _ = self.wr.shutdown().await;
        }
        shutdown_fd(self.fd);
    }
}

/// Shut down both directions of `fd` (wakes a read pending on it).
pub(crate) fn shutdown_fd(fd: RawFd) {
    // SAFETY: plain syscall on a descriptor this connection still owns (its halves hold
    // it open until both are dropped).
    unsafe {
        libc::shutdown(fd, libc::SHUT_RDWR);
    }
}
