//! One connection attempt to a target along its path: direct to an address, or CONNECT through
//! a proxy; then TLS (verified twice) and one HTTPS request. Every step's outcome is kept, and
//! the first failure names its phase.

use super::http::{self, HttpOutcome};
use super::proxy::{self, ConnectOutcome, ProxyEndpoint};
use super::tls::{self, TlsOutcome, TrustStores};
use crate::model::{FailKind, ProbeError};
use crate::net::dialer::Dialer;
use serde::Serialize;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How traffic for a target leaves the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Route {
    /// Straight to an address.
    Direct {
        /// The address connected to.
        address: IpAddr,
        /// Which resolver gave it.
        resolver: String,
    },
    /// Through an HTTP proxy (CONNECT).
    Proxy {
        /// `host:port` of the proxy (no credentials).
        proxy: String,
    },
}

/// Why that route: PAC, environment, system settings or a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteReason {
    /// `pac`, `env`, `system`, `flag` or `none`.
    pub source: String,
    /// The PAC directive or setting that decided it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What happened on one connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Target name.
    pub fqdn: String,
    /// Route taken.
    pub route: Route,
    /// Why.
    pub reason: RouteReason,
    /// TCP connect time (to the address or the proxy), when it connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_ms: Option<u64>,
    /// What the proxy answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ConnectOutcome>,
    /// TLS result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOutcome>,
    /// HTTP result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpOutcome>,
    /// First failure, with its phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<ProbeError>,
    /// Total time.
    pub elapsed_ms: u64,
}

impl Connection {
    /// True when the loopback guard refused it (lab/test mode): not probed, not a finding.
    pub fn guarded(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| f.kind == FailKind::Guard)
    }
}

/// Runs one attempt along `route` (for a proxy route, `endpoint` is the proxy).
pub async fn probe(
    dialer: &Dialer,
    stores: &TrustStores,
    fqdn: &str,
    route: Route,
    endpoint: Option<&ProxyEndpoint>,
    reason: RouteReason,
    timeout: Duration,
) -> Connection {
    let start = Instant::now();
    let mut c = Connection {
        fqdn: fqdn.to_string(),
        route: route.clone(),
        reason,
        tcp_ms: None,
        proxy: None,
        tls: None,
        http: None,
        failure: None,
        elapsed_ms: 0,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(tokio::time::Instant::now());
    let stream = match (&route, endpoint) {
        (Route::Direct { address, .. }, _) => {
            match dialer.connect_tcp(&address.to_string(), 443, left()).await {
                Ok((s, _)) => {
                    c.tcp_ms = Some(start.elapsed().as_millis() as u64);
                    s
                }
                Err(e) => return finish(c, e, start),
            }
        }
        (Route::Proxy { .. }, Some(ep)) => {
            match proxy::connect(dialer, ep, fqdn, 443, left()).await {
                Ok((s, outcome)) => {
                    let ok = outcome.status == 200;
                    let status = outcome.status;
                    c.proxy = Some(outcome);
                    if !ok {
                        let phase = if matches!(status, 401 | 407) {
                            crate::model::Phase::ProxyAuth
                        } else {
                            crate::model::Phase::ProxyConnect
                        };
                        let e = ProbeError::new(
                            phase,
                            FailKind::Status,
                            format!("proxy answered {status}"),
                        );
                        return finish(c, e, start);
                    }
                    s
                }
                Err(e) => return finish(c, e, start),
            }
        }
        (Route::Proxy { proxy }, None) => {
            let e = ProbeError::new(
                crate::model::Phase::ProxyConnect,
                FailKind::Other,
                format!("no endpoint for {proxy}"),
            );
            return finish(c, e, start);
        }
    };
    let tls_stream = match tls::handshake(stream, fqdn, stores, left()).await {
        Ok((s, outcome)) => {
            c.tls = Some(outcome);
            s
        }
        Err(e) => return finish(c, e, start),
    };
    match http::get(tls_stream, fqdn, left()).await {
        Ok(h) => c.http = Some(h),
        Err(e) => return finish(c, e, start),
    }
    c.elapsed_ms = start.elapsed().as_millis() as u64;
    c
}

fn finish(mut c: Connection, e: ProbeError, start: Instant) -> Connection {
    c.failure = Some(e);
    c.elapsed_ms = start.elapsed().as_millis() as u64;
    c
}
