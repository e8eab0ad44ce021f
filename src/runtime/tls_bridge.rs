//! TLS termination for a listener with `tls cert` / `tls key`: the accepting shard runs
//! the rustls record layer between the client's TCP socket and one end of a Unix socket
//! pair; the other end goes to [`super::conn::serve`] as if it were the client's socket.
//!
//! So the HTTP, polling, htmlfile and websocket code stays the same for TLS and
//! plaintext (the plaintext path does not even see this module), and a connection whose
//! session lives on another shard is handed off exactly as a plaintext one: its
//! decrypted end moves, the TLS state stays here and keeps pumping bytes. rustls is a
//! sans-IO state machine: this module only feeds it what the socket read and writes
//! what it produced.

use super::conn;
use super::stream_io::shutdown_fd;
use crate::server::shard_state::{ConnKind, ShardState};
use monoio::io::{AsyncReadRent, AsyncWriteRentExt, Splitable};
use monoio::net::{TcpStream, UnixStream};
use rustls::ServerConnection;
use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;

/// A TLS handshake that has not finished by then is abandoned (slow or silent clients
/// must not hold a connection forever).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Read size on either side of the bridge (one TLS record carries at most 16 KiB).
const CHUNK: usize = 16 * 1024;

/// Terminate TLS on `tcp` and serve the decrypted stream as an HTTP connection.
/// `pre`: ciphertext already read from `tcp` (by a host that adopted the connection);
/// `adopted`: the host adopted it, so requests that are the host's go back to it (as the
/// decrypted stream: this bridge keeps running for it).
pub(crate) async fn serve(
    st: Rc<ShardState>,
    mut tcp: TcpStream,
    peer: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    pre: Vec<u8>,
    adopted: bool,
) {
    let _ = tcp.set_nodelay(true);
    let tcp_fd = tcp.as_raw_fd();
    let mut tls = match ServerConnection::new(config) {
        Ok(t) => t,
        Err(e) => {
            debug!("TLS session for {peer} not created: {e}");
            return;
        }
    };
    match monoio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut tcp, &mut tls, pre)).await {
        Ok(Ok(())) => {}
        Ok(Err(why)) => {
            debug!("TLS handshake with {peer} failed: {why}");
            return;
        }
        Err(_) => {
            debug!("TLS handshake with {peer} timed out; connection closed");
            return;
        }
    }
    let (ours, theirs) = match pair() {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("no socket pair for a TLS connection from {peer}: {e}");
            return;
        }
    };
    let kind = ConnKind {
        adopted,
        secure: true,
    };
    st.spawn(conn::serve(st.clone(), theirs, peer, Vec::new(), kind));
    let unix_fd = ours.as_raw_fd();
    let tls = Rc::new(RefCell::new(tls));
    let (trd, twr) = tcp.into_split();
    let (urd, uwr) = ours.into_split();
    monoio::join!(
        inbound(&tls, trd, uwr, peer, tcp_fd, unix_fd),
        outbound(&tls, urd, twr, tcp_fd),
    );
}

/// A connected Unix socket pair: ours (the bridge's) and the one that plays the client's
/// socket for [`conn::serve`] (a `TcpStream` over a Unix socket: only its reads, writes,
/// shutdown and descriptor are used; `set_nodelay` fails and is ignored).
fn pair() -> std::io::Result<(UnixStream, TcpStream)> {
    let (a, b) = std::os::unix::net::UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    let theirs = std::net::TcpStream::from(OwnedFd::from(b));
    Ok((UnixStream::from_std(a)?, TcpStream::from_std(theirs)?))
}

/// Move every TLS record rustls has queued into `out`.
fn drain_tls(tls: &mut ServerConnection, out: &mut Vec<u8>) -> std::io::Result<()> {
    while tls.wants_write() {
        tls.write_tls(out)?;
    }
    Ok(())
}

/// Feed `input` (bytes read from the client) to rustls; decrypted bytes go to `plain`.
/// True once the client has ended the session (close_notify). An error is a protocol
/// error (the alert rustls queued is left in `tls`).
pub(crate) fn feed(
    tls: &mut ServerConnection,
    mut input: &[u8],
    plain: &mut Vec<u8>,
) -> Result<bool, String> {
    let mut closed = false;
    while !input.is_empty() {
        tls.read_tls(&mut input).map_err(|e| e.to_string())?;
        tls.process_new_packets().map_err(|e| e.to_string())?;
        closed |= take_plaintext(tls, plain)?;
    }
    Ok(closed)
}

/// Move the decrypted bytes rustls holds to `plain`; true when the client sent
/// close_notify.
fn take_plaintext(tls: &mut ServerConnection, plain: &mut Vec<u8>) -> Result<bool, String> {
    let mut chunk = [0u8; 4096];
    loop {
        match tls.reader().read(&mut chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => plain.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Run the handshake to its end on the whole socket, starting with `pre` (bytes already
/// read from it). Plaintext that arrived with the client's last handshake flight stays
/// buffered in `tls`.
async fn handshake(
    tcp: &mut TcpStream,
    tls: &mut ServerConnection,
    pre: Vec<u8>,
) -> Result<(), String> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK.max(pre.len()));
    let mut out: Vec<u8> = Vec::new();
    let mut pending = pre;
    loop {
        drain_tls(tls, &mut out).map_err(|e| e.to_string())?;
        if !out.is_empty() {
            let (r, b) = tcp.write_all(std::mem::take(&mut out)).await;
            r.map_err(|e| format!("write: {e}"))?;
            out = b;
            out.clear();
        }
        if !tls.is_handshaking() {
            return Ok(());
        }
        buf.clear();
        let r = if pending.is_empty() {
            let (r, b) = tcp.read(buf).await;
            buf = b;
            r
        } else {
            buf.append(&mut pending);
            Ok(buf.len())
        };
        match r {
            Ok(0) => return Err("closed by the client".to_owned()),
            Ok(n) => {
                let mut input = &buf[..n];
                while !input.is_empty() {
                    tls.read_tls(&mut input).map_err(|e| e.to_string())?;
                    if let Err(e) = tls.process_new_packets() {
                        // Send the alert rustls queued, then give up.
                        let mut alert = Vec::new();
                        if drain_tls(tls, &mut alert).is_ok() && !alert.is_empty() {
                            let _ = tcp.write_all(alert).await;
                        }
                        return Err(e.to_string());
                    }
                }
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Client → server: decrypt what the client sends and pass it on to the HTTP side.
async fn inbound(
    tls: &RefCell<ServerConnection>,
    mut rd: monoio::io::OwnedReadHalf<TcpStream>,
    mut wr: monoio::io::OwnedWriteHalf<UnixStream>,
    peer: SocketAddr,
    tcp_fd: RawFd,
    unix_fd: RawFd,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    // Plaintext that came with the end of the handshake.
    let mut plain: Vec<u8> = Vec::new();
    let first = take_plaintext(&mut tls.borrow_mut(), &mut plain);
    let mut ok = first.is_ok();
    let mut closed = first.unwrap_or(true);
    while ok {
        if !plain.is_empty() {
            let (r, b) = wr.write_all(std::mem::take(&mut plain)).await;
            plain = b;
            plain.clear();
            if r.is_err() {
                break;
            }
        }
        if closed {
            break;
        }
        buf.clear();
        let (r, b) = rd.read(buf).await;
        buf = b;
        match r {
            Ok(n) if n > 0 => match feed(&mut tls.borrow_mut(), &buf[..n], &mut plain) {
                Ok(c) => closed = c,
                Err(why) => {
                    debug!("TLS error from {peer}: {why}; connection closed");
                    ok = false;
                }
            },
            _ => break,
        }
    }
    if !ok {
        shutdown_fd(tcp_fd);
    }
    // The HTTP side reads EOF, finishes, and closes its end, which ends `outbound`.
    // SAFETY: plain syscall on a descriptor the bridge still owns (its halves hold it).
    unsafe {
        libc::shutdown(unix_fd, libc::SHUT_WR);
    }
}

/// Server → client: encrypt what the HTTP side writes. When that side closes, end the
/// TLS session (close_notify) and the socket.
async fn outbound(
    tls: &RefCell<ServerConnection>,
    mut rd: monoio::io::OwnedReadHalf<UnixStream>,
    mut wr: monoio::io::OwnedWriteHalf<TcpStream>,
    tcp_fd: RawFd,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    let mut out: Vec<u8> = Vec::new();
    let mut alive = true;
    loop {
        buf.clear();
        let (r, b) = rd.read(buf).await;
        buf = b;
        let n = match r {
            Ok(n) if n > 0 => n,
            _ => break,
        };
        {
            let mut t = tls.borrow_mut();
            if t.writer().write_all(&buf[..n]).is_err() || drain_tls(&mut t, &mut out).is_err() {
                alive = false;
                break;
            }
        }
        let (r, b) = wr.write_all(std::mem::take(&mut out)).await;
        out = b;
        out.clear();
        if r.is_err() {
            alive = false;
            break;
        }
    }
    if alive {
        let ok = {
            let mut t = tls.borrow_mut();
            t.send_close_notify();
            drain_tls(&mut t, &mut out).is_ok()
        };
        if ok && !out.is_empty() {
            let _ = wr.write_all(out).await;
        }
    }
    // Wakes `inbound`'s pending read.
    shutdown_fd(tcp_fd);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use rustls::ClientConnection;

    /// A server connection and a client connection that trusts it, both in memory.
    fn pair() -> (ServerConnection, ClientConnection) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
        let der: CertificateDer<'static> = c.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key_pair.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![der.clone()], key)
            .expect("server config");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der).expect("root");
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from("localhost").expect("name");
        (
            ServerConnection::new(Arc::new(server)).expect("server"),
            ClientConnection::new(Arc::new(client), name).expect("client"),
        )
    }

    fn client_bytes(c: &mut ClientConnection) -> Vec<u8> {
        let mut out = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut out).expect("write_tls");
        }
        out
    }

    /// Run the handshake in memory through `feed` on the server side.
    fn shake(s: &mut ServerConnection, c: &mut ClientConnection) {
        for _ in 0..10 {
            let mut plain = Vec::new();
            let to_server = client_bytes(c);
            feed(s, &to_server, &mut plain).expect("server side");
            assert!(plain.is_empty());
            let mut to_client = Vec::new();
            drain_tls(s, &mut to_client).expect("drain");
            let mut rd = &to_client[..];
            while !rd.is_empty() {
                c.read_tls(&mut rd).expect("client read");
                c.process_new_packets().expect("client process");
            }
            if !s.is_handshaking() && !c.is_handshaking() {
                return;
            }
        }
        panic!("handshake did not finish");
    }

    #[test]
    fn feed_decrypts_records_split_anywhere_and_sees_close_notify() {
        let (mut s, mut c) = pair();
        shake(&mut s, &mut c);
        c.writer()
            .write_all(b"GET /socket.io/1/ HTTP/1.1\r\n\r\n")
            .expect("plaintext");
        let wire = client_bytes(&mut c);
        // Byte by byte: a record split across reads is kept until it is whole.
        let mut plain = Vec::new();
        for b in &wire {
            assert_eq!(feed(&mut s, std::slice::from_ref(b), &mut plain), Ok(false));
        }
        assert_eq!(plain, b"GET /socket.io/1/ HTTP/1.1\r\n\r\n");
        c.send_close_notify();
        let bye = client_bytes(&mut c);
        let mut rest = Vec::new();
        assert_eq!(feed(&mut s, &bye, &mut rest), Ok(true));
        assert!(rest.is_empty());
    }

    #[test]
    fn feed_refuses_plaintext_and_corrupt_records() {
        let (mut s, _) = pair();
        let mut plain = Vec::new();
        let e = feed(&mut s, b"GET / HTTP/1.1\r\n\r\n", &mut plain).expect_err("not TLS");
        assert!(
            e.contains("corrupt") || e.contains("InvalidContentType"),
            "{e}"
        );
        assert!(plain.is_empty());
        // After the handshake, a flipped byte in a record fails authentication.
        let (mut s, mut c) = pair();
        shake(&mut s, &mut c);
        c.writer().write_all(b"secret").expect("plaintext");
        let mut wire = client_bytes(&mut c);
        let last = wire.len() - 1;
        wire[last] ^= 0x55;
        let e = feed(&mut s, &wire, &mut plain).expect_err("tampered");
        assert!(e.to_lowercase().contains("decrypt"), "{e}");
        assert!(plain.is_empty());
    }
}
