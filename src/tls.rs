//! TLS settings: the `tls cert` / `tls key` options turned into a rustls server
//! configuration (ring provider), with start-up errors that name the option and the file.
//! Each option is a path to a PEM file or the PEM text itself (what an embedding host
//! such as the Node module has in memory: an `https.Server`'s `key` and `cert`).
//!
//! No I/O besides reading the two PEM files; the record layer runs in
//! `runtime::tls_bridge`.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// Why the TLS settings cannot be used; the server does not start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TlsError {
    /// Only one of `tls cert` and `tls key` is set.
    #[error("`tls cert` and `tls key` go together: `{set}` is set but `{missing}` is not")]
    Incomplete {
        /// The option that is set.
        set: &'static str,
        /// The option that is missing.
        missing: &'static str,
    },
    /// A file cannot be read.
    #[error("`{option}`: cannot read {path}: {why}")]
    Unreadable {
        /// `tls cert` or `tls key`.
        option: &'static str,
        /// The file.
        path: String,
        /// The operating system's reason.
        why: String,
    },
    /// A file holds no usable PEM item of the kind the option wants.
    #[error("`{option}`: {path}: {why}")]
    BadPem {
        /// `tls cert` or `tls key`.
        option: &'static str,
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// rustls refused the pair (e.g. the key does not match the certificate).
    #[error("`tls cert` {cert} with `tls key` {key}: {why}")]
    Rejected {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
        /// rustls's reason.
        why: String,
    },
}

/// How an inline PEM value is named in errors and when the option is read back.
pub const INLINE_PEM: &str = "(inline PEM)";

/// Whether an option value is PEM text rather than a path.
pub fn is_inline_pem(value: &str) -> bool {
    value.trim_start().starts_with("-----BEGIN")
}

/// The option's value as it may be shown: the path, or [`INLINE_PEM`].
fn shown(value: &str) -> &str {
    if is_inline_pem(value) {
        INLINE_PEM
    } else {
        value
    }
}

/// The PEM bytes of an option: the text itself, or the file's content.
fn read(option: &'static str, path: &str) -> Result<Vec<u8>, TlsError> {
    if is_inline_pem(path) {
        return Ok(path.as_bytes().to_vec());
    }
    std::fs::read(path).map_err(|e| TlsError::Unreadable {
        option,
        path: path.to_owned(),
        why: e.to_string(),
    })
}

/// Parse a certificate chain (PEM `CERTIFICATE` blocks, leaf first) from `pem`.
pub fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("invalid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block found".to_owned());
    }
    Ok(certs)
}

/// Parse the first private key (PKCS#8, PKCS#1 or SEC1 PEM block) from `pem`.
pub fn parse_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => "no PRIVATE KEY block found".to_owned(),
        other => format!("invalid PEM: {other}"),
    })
}

/// The rustls configuration for `cert` and `key` (paths or PEM text), or `None` when neither is
/// set. One set without the other, an unreadable file, a file without the expected PEM
/// block, or a key that does not fit the certificate is an error.
pub fn server_config(
    cert: Option<&str>,
    key: Option<&str>,
) -> Result<Option<Arc<rustls::ServerConfig>>, TlsError> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(TlsError::Incomplete {
                set: "tls cert",
                missing: "tls key",
            })
        }
        (None, Some(_)) => {
            return Err(TlsError::Incomplete {
                set: "tls key",
                missing: "tls cert",
            })
        }
        (Some(c), Some(k)) => (c, k),
    };
    fn bad<'a>(option: &'static str, path: &'a str) -> impl FnOnce(String) -> TlsError + 'a {
        move |why| TlsError::BadPem {
            option,
            path: shown(path).to_owned(),
            why,
        }
    }
    let chain = parse_certs(&read("tls cert", cert)?).map_err(bad("tls cert", cert))?;
    let private = parse_key(&read("tls key", key)?).map_err(bad("tls key", key))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private))
        .map_err(|e| TlsError::Rejected {
            cert: shown(cert).to_owned(),
            key: shown(key).to_owned(),
            why: e.to_string(),
        })?;
    Ok(Some(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
        (c.cert.pem(), c.key_pair.serialize_pem())
    }

    fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write fixture");
        p.to_string_lossy().into_owned()
    }

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("sio09-tls-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("tmp dir");
        d
    }

    #[test]
    fn neither_is_plaintext_and_one_alone_is_an_error() {
        assert!(matches!(server_config(None, None), Ok(None)));
        let e = server_config(Some("c.pem"), None).expect_err("cert alone");
        assert_eq!(
            e,
            TlsError::Incomplete {
                set: "tls cert",
                missing: "tls key"
            }
        );
        let e = server_config(None, Some("k.pem")).expect_err("key alone");
        assert!(
            e.to_string()
                .contains("`tls key` is set but `tls cert` is not"),
            "{e}"
        );
    }

    #[test]
    fn a_valid_pair_loads() {
        let d = tmpdir("ok");
        let (c, k) = pair();
        let (cp, kp) = (write(&d, "c.pem", &c), write(&d, "k.pem", &k));
        let cfg = server_config(Some(&cp), Some(&kp))
            .expect("loads")
            .expect("some");
        assert!(cfg.alpn_protocols.is_empty());
    }

    #[test]
    fn errors_name_the_file() {
        let d = tmpdir("bad");
        let (c, k) = pair();
        let (cp, kp) = (write(&d, "c.pem", &c), write(&d, "k.pem", &k));
        let missing = d.join("nope.pem").to_string_lossy().into_owned();
        let e = server_config(Some(&missing), Some(&kp)).expect_err("missing");
        assert!(
            matches!(&e, TlsError::Unreadable { option: "tls cert", path, .. } if *path == missing)
        );
        // The key file given as the certificate: no CERTIFICATE block.
        let e = server_config(Some(&kp), Some(&kp)).expect_err("key as cert");
        assert!(e.to_string().contains("no CERTIFICATE block"), "{e}");
        assert!(e.to_string().contains(&kp), "{e}");
        // The certificate given as the key: no PRIVATE KEY block.
        let e = server_config(Some(&cp), Some(&cp)).expect_err("cert as key");
        assert!(
            matches!(
                &e,
                TlsError::BadPem {
                    option: "tls key",
                    ..
                }
            ),
            "{e}"
        );
        // A key that belongs to another certificate.
        let (_, other) = pair();
        let op = write(&d, "other.pem", &other);
        let e = server_config(Some(&cp), Some(&op)).expect_err("mismatch");
        assert!(matches!(e, TlsError::Rejected { .. }), "{e}");
    }

    #[test]
    fn pem_text_is_taken_as_is_and_never_shown() {
        let (c, k) = pair();
        let cfg = server_config(Some(&c), Some(&k))
            .expect("inline pair loads")
            .expect("some");
        assert!(cfg.alpn_protocols.is_empty());
        // Leading whitespace (a PEM read from a file with a blank first line) still counts.
        let indented = format!("\n\n{k}");
        assert!(server_config(Some(&c), Some(&indented)).is_ok());
        // A key that is not the certificate's: the error names neither text.
        let (_, other) = pair();
        let e = server_config(Some(&c), Some(&other)).expect_err("mismatch");
        let text = e.to_string();
        assert!(text.contains(INLINE_PEM), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        // The certificate given as the key.
        let e = server_config(Some(&c), Some(&c)).expect_err("cert as key");
        assert_eq!(
            e,
            TlsError::BadPem {
                option: "tls key",
                path: INLINE_PEM.to_owned(),
                why: "no PRIVATE KEY block found".to_owned()
            }
        );
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_certs(b"hello").is_err());
        assert!(
            parse_key(b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n").is_err()
        );
    }
}
