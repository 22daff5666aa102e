//! Network plumbing shared by the probes: one [`Net`] per run, holding the dialer
//! (`--connect-to`, loopback guard) and the trusted roots, so every connection (DNS, DoH, PAC
//! fetch, CONNECT, TLS) goes through the same rules.

pub mod dialer;
pub mod tls;

use std::sync::Arc;

/// The network layer of one run.
#[derive(Debug, Clone)]
pub struct Net {
    /// Opens every TCP connection and guards every destination.
    pub dialer: Arc<dialer::Dialer>,
    /// Trusted roots (`--ca-file`, the lab's).
    pub trust: tls::TrustRoots,
    /// In lab/test mode only the given roots are trusted.
    loopback_only: bool,
}

impl Net {
    /// The network layer for these rules and roots.
    pub fn new(rules: Vec<dialer::ConnectTo>, loopback_only: bool, trust: tls::TrustRoots) -> Self {
        Self {
            dialer: Arc::new(dialer::Dialer::new(rules, loopback_only)),
            trust,
            loopback_only,
        }
    }

    /// Lab/test mode: every destination must be loopback.
    pub fn loopback_only(&self) -> bool {
        self.loopback_only
    }

    /// A TLS client configuration offering `alpn`: the OS store plus `--ca-file`; in lab/test
    /// mode with CA files, only those. An error names the cause (e.g. the platform verifier
    /// cannot start).
    pub fn tls(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ClientConfig>, tls::TlsConfigError> {
        self.trust
            .client_config(self.loopback_only && !self.trust.extra.is_empty(), alpn)
    }
}
