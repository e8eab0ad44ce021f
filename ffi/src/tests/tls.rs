//! TLS through the C ABI: `tls cert` / `tls key` set with `sio_set` before start, a
//! handshake and an xhr-polling connect over https with a client that trusts the
//! certificate; `sio_server_listen` refuses a certificate without its key.

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
