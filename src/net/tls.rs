//! TLS client configurations, always with the ring provider passed explicitly.

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// TLS configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// A CA file cannot be read or holds no certificate.
    #[error("{file}: {message}")]
    CaFile {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The platform's certificate verifier cannot start.
    #[error("the platform TLS verifier cannot start: {0}")]
    Verifier(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

/// The crypto provider every TLS configuration uses (ring, passed explicitly).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Trusted roots, loaded once from `--ca-file` (and, in the lab, the public roots).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustRoots {
    /// `--ca-file` certificates, trusted in addition to the OS store.
    pub extra: Vec<CertificateDer<'static>>,
    /// Lab only: these stand for the public roots, and only `extra` for the OS store, so
    /// interception can be simulated.
    pub lab_public: Option<Vec<CertificateDer<'static>>>,
}

impl TrustRoots {
    /// Reads the CA files (and the lab's public roots).
    pub fn load(
        ca_files: &[PathBuf],
        lab_public: Option<&[PathBuf]>,
    ) -> Result<Self, TlsConfigError> {
        Ok(Self {
            extra: read_pem_certs(ca_files)?,
            lab_public: lab_public.map(read_pem_certs).transpose()?,
        })
    }

    /// A client configuration offering `alpn`: in the lab (`lab_public` given, or
    /// `extra_only`) only the extra roots, elsewhere the OS store plus the extra roots.
    pub fn client_config(
        &self,
        extra_only: bool,
        alpn: &[&[u8]],
    ) -> Result<Arc<ClientConfig>, TlsConfigError> {
        if extra_only || self.lab_public.is_some() {
            roots_only_config(&self.extra, alpn)
        } else {
            os_trust_with(&self.extra, alpn)
        }
    }
}

/// Reads every certificate of the PEM files.
pub fn read_pem_certs(files: &[PathBuf]) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let mut out = Vec::new();
    for f in files {
        out.extend(read_one(f)?);
    }
    Ok(out)
}

fn read_one(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let err = |message: String| TlsConfigError::CaFile {
        file: path.display().to_string(),
        message,
    };
    let bytes =
        crate::fsio::read(path, crate::fsio::Input::CaFile).map_err(|e| err(e.to_string()))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| err(format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(err("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

fn finish(mut cfg: ClientConfig, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

/// The OS trust store (rustls-platform-verifier) plus the extra roots.
fn os_trust_with(
    extra: &[CertificateDer<'static>],
    alpn: &[&[u8]],
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra.iter().cloned(), provider())
            .map_err(|e| TlsConfigError::Verifier(e.to_string()))?;
    let cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(finish(cfg, alpn))
}

/// Only the given CAs are trusted (the lab, where nothing else should be).
pub fn extra_roots_only_config(
    ca: &[PathBuf],
    alpn: &[&[u8]],
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    roots_only_config(&read_pem_certs(ca)?, alpn)
}

fn roots_only_config(
    ca: &[CertificateDer<'static>],
    alpn: &[&[u8]],
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in ca.iter().cloned() {
        roots
            .add(c)
            .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
    }
    let cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(finish(cfg, alpn))
}

/// Public roots only (webpki-roots): a certificate that passes the OS store but not this one
/// was issued by a private CA (TLS inspection).
pub fn public_roots_config(alpn: &[&[u8]]) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(finish(cfg, alpn))
}
