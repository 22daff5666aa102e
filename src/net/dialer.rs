//! The dialer: curl-style `--connect-to` rules and the loopback guard used in the lab and tests.

use crate::model::{FailKind, Phase, ProbeError};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;
use tokio::net::TcpStream;

/// One `--connect-to HOST:PORT=ADDR:PORT` rule (empty HOST or PORT on the left matches any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// Host to match (lower case), None = any.
    pub host: Option<String>,
    /// Port to match, None = any.
    pub port: Option<u16>,
    /// Where to connect instead.
    pub to_host: String,
    /// Port to connect to instead (None = keep the port).
    pub to_port: Option<u16>,
}

/// A `--connect-to` rule that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--connect-to {value:?}: {reason} (expected HOST:PORT=ADDR:PORT)")]
pub struct ConnectToError {
    value: String,
    reason: &'static str,
}

/// Splits `host:port`, `[v6]:port`, `host:` or `:port`.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host, port));
    }
    s.rsplit_once(':')
}

impl FromStr for ConnectTo {
    type Err = ConnectToError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ConnectToError {
            value: s.to_string(),
            reason,
        };
        let (from, to) = s.split_once('=').ok_or_else(|| err("missing '='"))?;
        let (host, port) = split_host_port(from).ok_or_else(|| err("left side needs HOST:PORT"))?;
        let (to_host, to_port) =
            split_host_port(to).ok_or_else(|| err("right side needs ADDR:PORT"))?;
        let parse_port = |p: &str| -> Result<Option<u16>, ConnectToError> {
            if p.is_empty() {
                Ok(None)
            } else {
                p.parse().map(Some).map_err(|_| err("bad port"))
            }
        };
        if to_host.is_empty() {
            return Err(err("empty ADDR"));
        }
        Ok(ConnectTo {
            host: (!host.is_empty()).then(|| host.to_ascii_lowercase()),
            port: parse_port(port)?,
            to_host: to_host.to_string(),
            to_port: parse_port(to_port)?,
        })
    }
}

/// Opens connections, applying `--connect-to` rules and, in lab/test mode, refusing any
/// destination that is not loopback (and any name lookup, which would send a DNS query).
#[derive(Debug, Clone, Default)]
pub struct Dialer {
    rules: Vec<ConnectTo>,
    loopback_only: bool,
}

impl Dialer {
    /// A dialer with these rules.
    pub fn new(rules: Vec<ConnectTo>, loopback_only: bool) -> Self {
        Self {
            rules,
            loopback_only,
        }
    }

    /// The effective destination of `host:port` (first matching rule wins).
    pub fn map(&self, host: &str, port: u16) -> (String, u16) {
        let host_l = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        for r in &self.rules {
            let host_ok = r.host.as_deref().is_none_or(|h| h == host_l);
            let port_ok = r.port.is_none_or(|p| p == port);
            if host_ok && port_ok {
                return (r.to_host.clone(), r.to_port.unwrap_or(port));
            }
        }
        (host_l, port)
    }

    /// The guard: in loopback-only mode, only 127.0.0.0/8 and ::1 may be reached.
    pub fn check_addr(&self, addr: SocketAddr) -> Result<(), ProbeError> {
        if self.loopback_only && !addr.ip().is_loopback() {
            return Err(ProbeError::new(
                Phase::Connect,
                FailKind::Guard,
                format!("{addr} is not loopback: refused in lab/test mode"),
            ));
        }
        Ok(())
    }

    /// Connects to `host:port` (after mapping) within `timeout`.
    pub async fn connect_tcp(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<(TcpStream, SocketAddr), ProbeError> {
        let (to_host, to_port) = self.map(host, port);
        let addrs: Vec<SocketAddr> = match to_host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, to_port)],
            Err(_) if self.loopback_only => {
                return Err(ProbeError::new(
                    Phase::Connect,
                    FailKind::Guard,
                    format!("{to_host} would need a DNS lookup: refused in lab/test mode"),
                ));
            }
            Err(_) => tokio::time::timeout(
                timeout,
                tokio::net::lookup_host((to_host.as_str(), to_port)),
            )
            .await
            .map_err(|_| ProbeError::timeout(Phase::Dns))?
            .map_err(|e| ProbeError::new(Phase::Dns, FailKind::Other, format!("{to_host}: {e}")))?
            .collect(),
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = ProbeError::new(
            Phase::Connect,
            FailKind::Other,
            format!("{to_host}: no address"),
        );
        for addr in addrs {
            self.check_addr(addr)?;
            match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
                Err(_) => return Err(ProbeError::timeout(Phase::Connect)),
                Ok(Ok(stream)) => {
                    // As browsers do: a request written in pieces (TLS records, then HTTP) must
                    // not wait for the peer's delayed ACK (up to 40 ms on Linux, 200 on Windows).
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, addr));
                }
                Ok(Err(e)) => last = ProbeError::from_io(Phase::Connect, &e),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connections are made without Nagle's delay: a request written in two pieces got its
    /// answer 40 ms late on Linux loopback (the peer's delayed ACK), which doubled the time of a
    /// healthy lab diagnosis.
    #[tokio::test]
    async fn connections_do_not_wait_for_delayed_acks() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let d = Dialer::new(Vec::new(), true);
        let (stream, _) = d
            .connect_tcp("127.0.0.1", port, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(stream.nodelay().unwrap());
    }

    #[test]
    fn parses_curl_syntax() {
        let r: ConnectTo = "doh.lab.test:443=127.0.0.1:8443".parse().unwrap();
        assert_eq!(r.host.as_deref(), Some("doh.lab.test"));
        assert_eq!((r.port, r.to_port), (Some(443), Some(8443)));
        let r: ConnectTo = ":443=[::1]:9".parse().unwrap();
        assert_eq!((r.host, r.to_host.as_str()), (None, "::1"));
        let r: ConnectTo = "a.example:=127.0.0.2:".parse().unwrap();
        assert_eq!((r.port, r.to_port), (None, None));
        assert!("nonsense".parse::<ConnectTo>().is_err());
        assert!(
            "a:1=b:x"
                .parse::<ConnectTo>()
                .unwrap_err()
                .to_string()
                .contains("bad port")
        );
    }

    #[tokio::test]
    async fn maps_connects_and_guards() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let rule = format!("svc.lab.test:443=127.0.0.1:{port}")
            .parse()
            .unwrap();
        let d = Dialer::new(vec![rule], true);
        assert_eq!(d.map("SVC.lab.test", 443), ("127.0.0.1".into(), port));
        let (_s, addr) = d
            .connect_tcp("svc.lab.test", 443, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(addr.port(), port);
        let e = d
            .connect_tcp("elsewhere.example", 443, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailKind::Guard);
        let e = d
            .connect_tcp("192.0.2.1", 443, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailKind::Guard);
    }
}
