//! TLS through the C ABI: `tls cert` / `tls key` set with `sio_set` before start, a
//! handshake and an xhr-polling connect over https with a client that trusts the
//! certificate; `sio_server_listen` refuses a certificate without its key; a connection
//! the host accepted and adopted with `SIO_ADOPT_TLS` (PEM text given inline), and the
//! errors of `sio_server_adopt_connection_with`.

use super::*;
use std::sync::Arc;

/// A self-signed certificate for `localhost` and its key, written to a temp folder.
fn pki(tag: &str) -> (String, String, Vec<u8>) {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let dir = std::env::temp_dir().join(format!("sio09-ffi-tls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, c.cert.pem()).expect("cert");
    std::fs::write(&key, c.key_pair.serialize_pem()).expect("key");
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
        c.cert.der().to_vec(),
    )
}

/// One request (Connection: close) over TLS; the whole response text.
fn https_get(port: u16, der: &[u8], target: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(der.to_vec()))
        .expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).expect("client");
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut s = rustls::StreamOwned::new(conn, tcp);
    let req = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let mut out = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        match s.read(&mut tmp) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&tmp[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn https_handshake_and_polling_with_options_set_through_the_abi() {
    let (cert, key, der) = pki("ok");
    let (srv, port) = started(|srv| unsafe {
        assert_eq!(
            sio_set(srv, c("tls cert").as_ptr(), c(&cert).as_ptr()),
            SIO_OK
        );
        assert_eq!(
            sio_set(srv, c("tls key").as_ptr(), c(&key).as_ptr()),
            SIO_OK
        );
    });
    let hs = https_get(port, &der, "/socket.io/1/?t=1");
    assert!(hs.starts_with("HTTP/1.1 200 OK\r\n"), "{hs}");
    let body = hs.split("\r\n\r\n").nth(1).expect("body");
    let sid = body.split(':').next().expect("sid");
    assert_eq!(sid.len(), 20, "{body}");
    assert!(
        body.ends_with(":60:60:websocket,htmlfile,xhr-polling,jsonp-polling"),
        "{body}"
    );
    let poll = https_get(port, &der, &format!("/socket.io/1/xhr-polling/{sid}?t=2"));
    assert!(poll.ends_with("\r\n\r\n1::"), "{poll}");
    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    plain.set_read_timeout(Some(Duration::from_secs(5))).ok();
    plain
        .write_all(b"GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!got.starts_with(b"HTTP/"), "{got:?}");
    stop_and_free(srv);
}

#[test]
fn a_certificate_without_its_key_does_not_start() {
    let (cert, _, _) = pki("half");
    let mut srv = std::ptr::null_mut();
    unsafe {
        assert_eq!(sio_server_new(&mut srv), SIO_OK);
        assert_eq!(
            sio_set(srv, c("log level").as_ptr(), c("0").as_ptr()),
            SIO_OK
        );
        assert_eq!(
            sio_set(srv, c("tls cert").as_ptr(), c(&cert).as_ptr()),
            SIO_OK
        );
        assert_eq!(
            sio_server_listen(srv, c("127.0.0.1:0").as_ptr()),
            SIO_E_CONFIG
        );
        let mut buf = [0 as std::ffi::c_char; 512];
        let mut n = 0;
        assert_eq!(
            crate::lifecycle::sio_last_error_message(srv, buf.as_mut_ptr(), buf.len(), &mut n),
            SIO_OK
        );
        let msg = std::ffi::CStr::from_ptr(buf.as_ptr())
            .to_string_lossy()
            .into_owned();
        assert!(msg.contains("`tls key`"), "{msg}");
        assert_eq!(sio_server_free(srv), SIO_OK);
    }
}

#[test]
fn adopted_tls_connection_with_inline_pem_and_the_adopt_errors() {
    use crate::lifecycle::{sio_server_adopt_connection_with, SIO_ADOPT_SECURE, SIO_ADOPT_TLS};
    use std::os::fd::IntoRawFd;
    let c0 = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let (cert, key, der) = (
        c0.cert.pem(),
        c0.key_pair.serialize_pem(),
        c0.cert.der().to_vec(),
    );
    let (srv, _) = started(|srv| unsafe {
        assert_eq!(
            sio_set(srv, c("tls cert").as_ptr(), c(&cert).as_ptr()),
            SIO_OK
        );
        assert_eq!(
            sio_set(srv, c("tls key").as_ptr(), c(&key).as_ptr()),
            SIO_OK
        );
    });
    // The host's own listener: it accepts, reads nothing, and hands the ciphertext over.
    let host = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let host_port = host.local_addr().expect("addr").port();
    let srv_addr = srv as usize;
    let adopter = std::thread::spawn(move || {
        let (conn, _) = host.accept().expect("accept");
        let srv = srv_addr as *mut sio_server;
        // SAFETY: the server outlives this thread (joined before it is freed); the call
        // is documented ANY THREAD.
        unsafe {
            sio_server_adopt_connection_with(
                srv,
                conn.into_raw_fd(),
                std::ptr::null(),
                0,
                SIO_ADOPT_TLS,
                std::ptr::null(),
            )
        }
    });
    let hs = https_get(host_port, &der, "/socket.io/1/?t=1");
    assert_eq!(adopter.join().expect("adopter"), SIO_OK);
    assert!(hs.starts_with("HTTP/1.1 200 OK\r\n"), "{hs}");
    let body = hs.split("\r\n\r\n").nth(1).expect("body");
    assert_eq!(body.split(':').next().expect("sid").len(), 20, "{body}");

    let fd = || {
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
        a.into_raw_fd()
    };
    unsafe {
        let null = std::ptr::null();
        assert_eq!(
            sio_server_adopt_connection_with(srv, fd(), null, 0, 4, null.cast()),
            SIO_E_INVALID_PARAM
        );
        assert_eq!(
            sio_server_adopt_connection_with(
                srv,
                fd(),
                null,
                0,
                SIO_ADOPT_TLS | SIO_ADOPT_SECURE,
                null.cast()
            ),
            SIO_E_INVALID_PARAM
        );
        assert_eq!(
            sio_server_adopt_connection_with(
                srv,
                fd(),
                null,
                0,
                SIO_ADOPT_SECURE,
                c("not an address").as_ptr()
            ),
            SIO_E_INVALID_PARAM
        );
        // a Unix socket with the client's address given is accepted
        assert_eq!(
            sio_server_adopt_connection_with(
                srv,
                fd(),
                null,
                0,
                SIO_ADOPT_SECURE,
                c("127.0.0.1:4567").as_ptr()
            ),
            SIO_OK
        );
    }
    stop_and_free(srv);
    // SIO_ADOPT_TLS on a server without `tls cert` / `tls key`: a configuration error.
    let (plain, _) = started(|_| {});
    unsafe {
        let r = sio_server_adopt_connection_with(
            plain,
            fd(),
            std::ptr::null(),
            0,
            SIO_ADOPT_TLS,
            std::ptr::null(),
        );
        assert_eq!(r, SIO_E_CONFIG);
    }
    stop_and_free(plain);
}
