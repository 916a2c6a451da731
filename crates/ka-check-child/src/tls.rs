//! SSL_GET's TLS (rustls over the probe's non-blocking socket).
//!
//! keepalived's SSL_GET checks that the server answers the request correctly over TLS; it
//! does not judge the server's certificate (real servers commonly carry self-signed ones),
//! so neither does this: the handshake's signatures are still verified, the chain is not.
//! SNI is sent with `enable_sni` (sni_name, else the virtual host). A client certificate
//! is presented when the global `SSL { certificate key }` names one.

use std::io::{self, Read, Write};
use std::sync::Arc;

use ka_check::checker::Outcome;
use mio::net::TcpStream;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

/// Accepts any certificate chain (keepalived: the certificate is not checked).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The two client configurations (with and without SNI), built once.
pub struct Tls {
    sni: Arc<ClientConfig>,
    no_sni: Arc<ClientConfig>,
}

/// A client certificate chain and its key, from PEM files.
pub struct ClientCert {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ClientCert {
    /// keepalived's `SSL { certificate FILE key FILE password P }`: the chain from
    /// `certificate`, the key from `key` (else from the certificate's file). Keys
    /// encrypted with a password are not read (rustls has no PEM decryption).
    pub fn load(ssl: &ka_config::model::SslDefaults) -> Result<Option<ClientCert>, TlsError> {
        let Some(cert) = &ssl.certificate else {
            if let Some(k) = &ssl.key {
                return Err(TlsError::KeyWithoutCertificate(k.clone()));
            }
            return Ok(None);
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| TlsError::Certificate {
                file: cert.clone(),
                why: e.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate(cert.clone()));
        }
        let key_file = ssl.key.as_deref().unwrap_or(cert);
        let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
            let encrypted = std::fs::read_to_string(key_file).is_ok_and(|t| {
                t.contains("ENCRYPTED PRIVATE KEY") || t.contains("Proc-Type: 4,ENCRYPTED")
            });
            if encrypted {
                TlsError::EncryptedKey(key_file.into())
            } else {
                TlsError::Key {
                    file: key_file.into(),
                    why: e.to_string(),
                }
            }
        })?;
        Ok(Some(ClientCert { chain, key }))
    }
}

/// What keeps TLS from being set up, worded for the log.
#[derive(Debug)]
pub enum TlsError {
    KeyWithoutCertificate(String),
    Certificate {
        file: String,
        why: String,
    },
    NoCertificate(String),
    EncryptedKey(String),
    Key {
        file: String,
        why: String,
    },
    /// rustls refused the protocol versions or the client certificate.
    Config(rustls::Error),
    ClientCertificate(rustls::Error),
    /// A client connection could not be made.
    Connect(rustls::Error),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::KeyWithoutCertificate(k) => {
                write!(f, "SSL key {k} given without a certificate")
            }
            TlsError::Certificate { file, why } => {
                write!(f, "cannot read the certificate file {file}: {why}")
            }
            TlsError::NoCertificate(file) => write!(f, "no certificate in {file}"),
            TlsError::EncryptedKey(file) => write!(
                f,
                "the private key in {file} is encrypted (password): not supported, store it unencrypted"
            ),
            TlsError::Key { file, why } => {
                write!(f, "cannot read a private key from {file}: {why}")
            }
            TlsError::Config(e) => e.fmt(f),
            TlsError::ClientCertificate(e) => write!(f, "client certificate: {e}"),
            TlsError::Connect(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl Tls {
    pub fn new(client: Option<&ClientCert>) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let build = |sni: bool| -> Result<Arc<ClientConfig>, TlsError> {
            let b = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(TlsError::Config)?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider.clone())));
            let mut c = match client {
                Some(cc) => b
                    .with_client_auth_cert(cc.chain.clone(), cc.key.clone_key())
                    .map_err(TlsError::ClientCertificate)?,
                None => b.with_no_client_auth(),
            };
            c.enable_sni = sni;
            Ok(Arc::new(c))
        };
        Ok(Tls {
            sni: build(true)?,
            no_sni: build(false)?,
        })
    }

    /// A client connection to `ip`, naming `sni` in the handshake when given.
    pub fn connect(
        &self,
        sni: Option<&str>,
        ip: std::net::IpAddr,
    ) -> Result<ClientConnection, TlsError> {
        let (cfg, name) = match sni.map(|s| ServerName::try_from(s.to_string())) {
            Some(Ok(n)) => (self.sni.clone(), n),
            Some(Err(_)) | None => (self.no_sni.clone(), ServerName::IpAddress(ip.into())),
        };
        ClientConnection::new(cfg, name).map_err(TlsError::Connect)
    }
}

/// Drives one HTTPS exchange over a non-blocking socket; Some when it has ended (the
/// answer complete when the server closes, as for plain HTTP).
pub fn progress(
    s: &mut TcpStream,
    conn: &mut ClientConnection,
    request: &[u8],
    written: &mut usize,
    response: &mut Vec<u8>,
    max: usize,
) -> Option<Outcome> {
    match crate::tcp::connected(s) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => return Some(Outcome::Failure(e.to_string())),
    }
    if *written < request.len() {
        // Buffered by rustls until the handshake is done.
        if let Err(e) = conn.writer().write_all(&request[*written..]) {
            return Some(Outcome::Failure(format!("TLS: {e}")));
        }
        *written = request.len();
    }
    let mut buf = [0u8; 16384];
    loop {
        let mut progressed = false;
        while conn.wants_write() {
            match conn.write_tls(s) {
                Ok(_) => progressed = true,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Some(Outcome::Failure(e.to_string())),
            }
        }
        let mut closed = false;
        match conn.read_tls(s) {
            Ok(0) => closed = true,
            Ok(_) => {
                progressed = true;
                if let Err(e) = conn.process_new_packets() {
                    // Tell the server why, then fail.
                    let _ = conn.write_tls(s);
                    return Some(Outcome::Failure(format!("TLS: {e}")));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Some(Outcome::Failure(e.to_string())),
        }
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => return Some(Outcome::Success),
                Ok(n) => {
                    response.extend_from_slice(&buf[..n]);
                    if response.len() > max {
                        return Some(Outcome::Failure(format!(
                            "response larger than {max} bytes"
                        )));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // Closed without close_notify: many servers do; the answer is what came.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Some(Outcome::Success)
                }
                Err(e) => return Some(Outcome::Failure(format!("TLS: {e}"))),
            }
        }
        if closed {
            return Some(if conn.is_handshaking() {
                Outcome::Failure("TLS: connection closed during the handshake".into())
            } else {
                Outcome::Success
            });
        }
        if !progressed {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ka_config::model::SslDefaults;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn ssl(cert: Option<&str>, key: Option<&str>) -> SslDefaults {
        SslDefaults {
            password: None,
            ca: None,
            certificate: cert.map(fixture),
            key: key.map(fixture),
        }
    }

    #[test]
    fn client_certificate_files_as_keepalived_names_them() {
        assert!(ClientCert::load(&ssl(None, None)).unwrap().is_none());
        let c = ClientCert::load(&ssl(Some("client.pem"), Some("client.key")))
            .unwrap()
            .unwrap();
        assert_eq!(c.chain.len(), 1);
        assert!(Tls::new(Some(&c)).is_ok());
        // No key file: the key is looked for in the certificate's file.
        assert!(ClientCert::load(&ssl(Some("client-and-key.pem"), None))
            .unwrap()
            .is_some());
        let e = ClientCert::load(&ssl(Some("client.pem"), None))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("cannot read a private key from") && e.contains("client.pem"),
            "{e}"
        );
        let e = ClientCert::load(&ssl(Some("client.pem"), Some("client-encrypted.key")))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("encrypted (password)"), "{e}");
        let e = ClientCert::load(&ssl(Some("missing.pem"), Some("client.key")))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("missing.pem"), "{e}");
        let e = ClientCert::load(&ssl(None, Some("client.key")))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("without a certificate"), "{e}");
    }
}
