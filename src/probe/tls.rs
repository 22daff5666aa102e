//! TLS handshake with SNI, verified twice in one handshake: against the OS trust store (plus
//! `--ca-file`) and against public roots only. A certificate that passes the first and fails
//! the second was issued by a private CA: TLS inspection.

use crate::model::{FailKind, Phase, ProbeError};
use crate::net::tls::provider;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::client::TlsStream;

/// The two trust stores a certificate is checked against.
#[derive(Debug, Clone)]
pub struct TrustStores {
    os: Arc<dyn ServerCertVerifier>,
    public: Arc<dyn ServerCertVerifier>,
}

fn webpki(roots: RootCertStore) -> Result<Arc<dyn ServerCertVerifier>, ProbeError> {
    let v: Arc<dyn ServerCertVerifier> =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| ProbeError::new(Phase::Tls, FailKind::Other, e.to_string()))?;
    Ok(v)
}

fn store(files: &[PathBuf]) -> Result<RootCertStore, ProbeError> {
    let certs = crate::net::tls::read_pem_certs(files)
        .map_err(|e| ProbeError::new(Phase::Tls, FailKind::Other, e.to_string()))?;
    store_of(&certs)
}

fn store_of(certs: &[CertificateDer<'static>]) -> Result<RootCertStore, ProbeError> {
    let mut roots = RootCertStore::empty();
    for c in certs.iter().cloned() {
        roots
            .add(c)
            .map_err(|e| ProbeError::new(Phase::Tls, FailKind::Other, e.to_string()))?;
    }
    Ok(roots)
}

impl TrustStores {
    /// The stores for loaded roots: the lab's explicit stores when it gives public roots,
    /// else this machine's. An error says the platform verifier could not start.
    pub fn for_roots(trust: &crate::net::tls::TrustRoots) -> Result<Self, ProbeError> {
        match &trust.lab_public {
            Some(public) => Ok(Self {
                os: webpki(store_of(&trust.extra)?)?,
                public: webpki(store_of(public)?)?,
            }),
            None => {
                let os = rustls_platform_verifier::Verifier::new_with_extra_roots(
                    trust.extra.iter().cloned(),
                    provider(),
                )
                .map_err(|e| {
                    ProbeError::new(
                        Phase::Tls,
                        FailKind::Other,
                        format!("the platform TLS verifier cannot start: {e}"),
                    )
                })?;
                Ok(Self {
                    os: Arc::new(os),
                    public: webpki(RootCertStore {
                        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                    })?,
                })
            }
        }
    }

    /// Explicit stores from CA files (the lab: "OS" = lab public CA + corporate CA, "public" =
    /// lab public CA).
    pub fn from_ca_files(os: &[PathBuf], public: &[PathBuf]) -> Result<Self, ProbeError> {
        Ok(Self {
            os: webpki(store(os)?)?,
            public: webpki(store(public)?)?,
        })
    }
}

/// What the handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsOutcome {
    /// Valid for the OS trust store.
    pub os_trusted: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_error: Option<String>,
    /// Valid for public roots only.
    pub public_trusted: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_error: Option<String>,
    /// Leaf certificate subject.
    pub subject: String,
    /// Leaf certificate issuer.
    pub issuer: String,
    /// SHA-256 of the leaf certificate (hex, colon separated).
    pub sha256: String,
}

impl TlsOutcome {
    /// Trusted by the OS but not by public roots: a private CA, i.e. TLS inspection.
    pub fn intercepted(&self) -> bool {
        self.os_trusted && !self.public_trusted
    }
}

#[derive(Debug, Default)]
struct Seen {
    os: Option<Result<(), String>>,
    public: Option<Result<(), String>>,
    leaf: Option<Vec<u8>>,
}

#[derive(Debug)]
struct DualVerifier {
    stores: TrustStores,
    seen: Arc<Mutex<Seen>>,
}

impl ServerCertVerifier for DualVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let os = self
            .stores
            .os
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let public = self
            .stores
            .public
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .map(|_| ())
            .map_err(|e| e.to_string());
        if let Ok(mut seen) = self.seen.lock() {
            seen.os = Some(os);
            seen.public = Some(public);
            seen.leaf = Some(end_entity.to_vec());
        }
        // The diagnosis continues either way: it only sends an anonymous GET.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.stores
            .public
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.stores
            .public
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.stores.public.supported_verify_schemes()
    }
}

fn names(der: &[u8]) -> (String, String) {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => (cert.subject().to_string(), cert.issuer().to_string()),
        Err(_) => ("(unparsable)".into(), "(unparsable)".into()),
    }
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The first bytes a peer sent, kept to say what a failed handshake saw.
const KEEP: usize = 64;

/// A stream that keeps a copy of the first [`KEEP`] bytes it reads.
#[derive(Debug)]
pub struct Recorded<S> {
    inner: S,
    first: Arc<Mutex<Vec<u8>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r
            && let Ok(mut first) = self.first.lock()
            && first.len() < KEEP
        {
            let new = buf.filled().get(before..).unwrap_or_default();
            let room = KEEP - first.len();
            first.extend_from_slice(new.get(..room.min(new.len())).unwrap_or_default());
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// True when `bytes` start like a TLS record (content type 20..=23, version 3.x).
fn looks_like_tls(bytes: &[u8]) -> bool {
    match bytes {
        [t, ..] if !(20..=23).contains(t) => false,
        [_, major, ..] => *major == 3,
        _ => true,
    }
}

/// The bytes as text a person can read: printable ASCII kept, the rest escaped.
pub fn printable(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// What a failed handshake saw, as a probe error: silence (timeout), a close, a reset,
/// bytes that are not TLS, or a TLS-level failure (alert, bad record).
fn failure(err: Option<&std::io::Error>, first: &[u8], waited: Duration) -> ProbeError {
    if !first.is_empty() && !looks_like_tls(first) {
        return ProbeError::new(
            Phase::Tls,
            FailKind::Protocol,
            format!(
                "the server answered the TLS ClientHello with bytes that are not TLS: \"{}\"",
                printable(first)
            ),
        );
    }
    let Some(err) = err else {
        return ProbeError::new(
            Phase::Tls,
            FailKind::Timeout,
            format!(
                "the server accepted TCP but sent no TLS answer within {} ms",
                waited.as_millis()
            ),
        );
    };
    use std::io::ErrorKind as K;
    let (kind, what) = match err.kind() {
        K::UnexpectedEof if first.is_empty() => (
            FailKind::Closed,
            "the server closed the connection without a TLS answer".to_string(),
        ),
        K::UnexpectedEof => (
            FailKind::Closed,
            "the server closed the connection in the middle of the TLS handshake".to_string(),
        ),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => (
            FailKind::Reset,
            "the server reset the connection (TCP RST) during the TLS handshake".to_string(),
        ),
        K::InvalidData => (FailKind::Tls, format!("TLS error: {err}")),
        _ => (FailKind::Other, err.to_string()),
    };
    ProbeError::new(Phase::Tls, kind, what)
}

/// Handshakes over `stream` with SNI `sni`, offering HTTP/1.1. A failure says what the peer
/// did instead: stayed silent, closed, reset, sent bytes that are not TLS, or a TLS alert.
pub async fn handshake<S>(
    stream: S,
    sni: &str,
    stores: &TrustStores,
    timeout: Duration,
) -> Result<(TlsStream<Recorded<S>>, TlsOutcome), ProbeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let seen = Arc::new(Mutex::new(Seen::default()));
    let verifier = Arc::new(DualVerifier {
        stores: stores.clone(),
        seen: seen.clone(),
    });
    let mut cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::new(Phase::Tls, FailKind::Other, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from(sni.to_string())
        .map_err(|e| ProbeError::new(Phase::Tls, FailKind::Other, format!("SNI {sni}: {e}")))?;
    let first = Arc::new(Mutex::new(Vec::new()));
    let recorded = Recorded {
        inner: stream,
        first: first.clone(),
    };
    let result = tokio::time::timeout(
        timeout,
        tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, recorded),
    )
    .await;
    let first_bytes = || first.lock().map(|f| f.clone()).unwrap_or_default();
    let tls = match result {
        Err(_) => return Err(failure(None, &first_bytes(), timeout)),
        Ok(Err(e)) => return Err(failure(Some(&e), &first_bytes(), timeout)),
        Ok(Ok(tls)) => tls,
    };
    let seen = seen
        .lock()
        .map_err(|_| ProbeError::new(Phase::Tls, FailKind::Other, "verifier state poisoned"))?;
    let leaf = seen.leaf.clone().unwrap_or_default();
    let (subject, issuer) = names(&leaf);
    let split = |r: &Option<Result<(), String>>| match r {
        Some(Ok(())) => (true, None),
        Some(Err(e)) => (false, Some(e.clone())),
        None => (false, Some("no certificate".to_string())),
    };
    let (os_trusted, os_error) = split(&seen.os);
    let (public_trusted, public_error) = split(&seen.public);
    let outcome = TlsOutcome {
        os_trusted,
        os_error,
        public_trusted,
        public_error,
        subject,
        issuer,
        sha256: fingerprint(&leaf),
    };
    drop(seen);
    Ok((tls, outcome))
}
