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
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

/// The crypto provider every TLS configuration uses (ring, passed explicitly).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
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

/// The OS trust store (rustls-platform-verifier) plus the extra CA files.
pub fn os_trust_config(
    extra_ca: &[PathBuf],
    alpn: &[&[u8]],
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let extra = read_pem_certs(extra_ca)?;
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider())
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
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
    let mut roots = rustls::RootCertStore::empty();
    for c in read_pem_certs(ca)? {
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
