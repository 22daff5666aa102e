//! Probes: each asks one peer one thing and records what happened, failures included.
//!
//! Failures are data: a [`ProbeError`] names the [`Phase`] that failed and a [`FailKind`], and
//! rules match on those, never on message strings.

pub mod answer;
pub mod connect;
pub mod dns;
pub mod doh;
pub mod http;
pub mod pac;
pub mod proxy;
pub mod system;
pub mod tls;

use serde::Serialize;
use std::fmt;

/// The step of a probe that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Name resolution (including DoH transport).
    Dns,
    /// TCP connect.
    Connect,
    /// TLS handshake or certificate verification.
    Tls,
    /// HTTP exchange.
    Http,
    /// Proxy CONNECT.
    ProxyConnect,
    /// Proxy authentication.
    ProxyAuth,
    /// PAC fetch.
    PacLoad,
    /// PAC evaluation.
    PacEval,
}

impl Phase {
    /// The phase as people name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Dns => "DNS",
            Phase::Connect => "TCP connect",
            Phase::Tls => "TLS",
            Phase::Http => "HTTP",
            Phase::ProxyConnect => "proxy CONNECT",
            Phase::ProxyAuth => "proxy authentication",
            Phase::PacLoad => "PAC load",
            Phase::PacEval => "PAC evaluation",
        }
    }
}

/// How a probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailKind {
    /// No answer within the probe's time.
    Timeout,
    /// The peer refused the connection (TCP RST / ICMP port unreachable).
    Refused,
    /// No route / network unreachable.
    Unreachable,
    /// The peer closed or reset the connection mid-exchange.
    Reset,
    /// The peer answered something that does not follow the protocol.
    Protocol,
    /// TLS failure (handshake or certificate).
    Tls,
    /// A non-success status (HTTP status, DNS rcode carried as an error).
    Status,
    /// Refused by the loopback guard (lab / test mode).
    Guard,
    /// Anything else (local I/O error, bad input).
    Other,
}

/// A probe failure: which phase, what kind, and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ProbeError {
    /// The phase that failed.
    pub phase: Phase,
    /// The kind of failure.
    pub kind: FailKind,
    /// Human-readable detail (never matched on).
    pub message: String,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}/{:?}: {}", self.phase, self.kind, self.message)
    }
}

impl ProbeError {
    /// Builds an error.
    pub fn new(phase: Phase, kind: FailKind, message: impl Into<String>) -> Self {
        Self {
            phase,
            kind,
            message: message.into(),
        }
    }

    /// Maps an I/O error to a probe error of the given phase.
    pub fn from_io(phase: Phase, err: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match err.kind() {
            K::TimedOut | K::WouldBlock => FailKind::Timeout,
            K::ConnectionRefused => FailKind::Refused,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                FailKind::Reset
            }
            K::NetworkUnreachable | K::HostUnreachable | K::AddrNotAvailable => {
                FailKind::Unreachable
            }
            K::InvalidData => FailKind::Protocol,
            _ => FailKind::Other,
        };
        Self::new(phase, kind, err.to_string())
    }

    /// A timeout in the given phase.
    pub fn timeout(phase: Phase) -> Self {
        Self::new(phase, FailKind::Timeout, "no answer in time")
    }
}
