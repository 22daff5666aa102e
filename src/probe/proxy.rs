//! An HTTP CONNECT client that keeps what the proxy said: status, `Proxy-Authenticate`
//! schemes, `Via`, `X-Squid-Error` and timing. Credentials are sent only when the user gave
//! them.

use crate::host::proxy_settings::redact_url;
use crate::model::{FailKind, Phase, ProbeError};
use crate::net::dialer::Dialer;
use base64::Engine;
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head accepted from a proxy.
const MAX_HEAD: usize = 16 * 1024;

/// A proxy to send CONNECT to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyEndpoint {
    /// Host name or IP.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `user:password` given by the user (never printed).
    pub credentials: Option<(String, String)>,
}

impl ProxyEndpoint {
    /// Parses `http://[user:pass@]host:port`, `host:port`.
    pub fn parse(s: &str) -> Result<Self, ProbeError> {
        let bad = |m: &str| {
            ProbeError::new(
                Phase::ProxyConnect,
                FailKind::Other,
                format!("proxy {:?}: {m}", redact_url(s)),
            )
        };
        let with_scheme = if s.contains("://") {
            s.to_string()
        } else {
            format!("http://{s}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("only http:// proxies take CONNECT"));
        }
        let host = url.host_str().ok_or_else(|| bad("no host"))?;
        let credentials = (!url.username().is_empty()).then(|| {
            (
                url.username().to_string(),
                url.password().unwrap_or_default().to_string(),
            )
        });
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: url.port_or_known_default().unwrap_or(8080),
            credentials,
        })
    }

    /// `host:port` (no credentials).
    pub fn display(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// What the proxy answered to CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectOutcome {
    /// Status code.
    pub status: u16,
    /// Status line as sent.
    pub status_line: String,
    /// Every `Proxy-Authenticate` (or `WWW-Authenticate`) challenge.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authenticate: Vec<String>,
    /// `Via`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// `X-Squid-Error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub squid_error: Option<String>,
    /// `Server`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Time to the response head.
    pub elapsed_ms: u64,
}

/// Parses a response head (`HTTP/1.1 403 Forbidden\r\nHeader: v\r\n...`).
pub fn parse_head(head: &str, elapsed_ms: u64) -> Result<ConnectOutcome, ProbeError> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().trim().to_string();
    let mut parts = status_line.split_whitespace();
    let proto_ok = parts.next().is_some_and(|p| p.starts_with("HTTP/"));
    let status = parts.next().and_then(|c| c.parse::<u16>().ok());
    let Some(status) = status.filter(|_| proto_ok) else {
        return Err(ProbeError::new(
            Phase::ProxyConnect,
            FailKind::Protocol,
            format!(
                "not an HTTP answer: {:?}",
                status_line.chars().take(80).collect::<String>()
            ),
        ));
    };
    let mut out = ConnectOutcome {
        status,
        status_line,
        authenticate: Vec::new(),
        via: None,
        squid_error: None,
        server: None,
        elapsed_ms,
    };
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "proxy-authenticate" | "www-authenticate" => out.authenticate.push(v),
            "via" => out.via = Some(v),
            "x-squid-error" => out.squid_error = Some(v),
            "server" => out.server = Some(v),
            _ => {}
        }
    }
    Ok(out)
}

/// Sends `CONNECT target:port` through `proxy`. Returns the stream (usable for TLS when the
/// status is 200) and what the proxy said. A failure to reach the proxy keeps the dialer's
/// phase (`Connect`, or `Dns` for its name); everything after TCP is `ProxyConnect`: no answer
/// in time (`Timeout`), closed or reset without an answer, or an answer that is not HTTP
/// (`Protocol`).
pub async fn connect(
    dialer: &Dialer,
    proxy: &ProxyEndpoint,
    target: &str,
    port: u16,
    timeout: Duration,
) -> Result<(TcpStream, ConnectOutcome), ProbeError> {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let (mut stream, _) = dialer.connect_tcp(&proxy.host, proxy.port, timeout).await?;
    let mut req = format!("CONNECT {target}:{port} HTTP/1.1\r\nHost: {target}:{port}\r\n");
    if let Some((user, pass)) = &proxy.credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    req.push_str(concat!(
        "User-Agent: pe-doctor/",
        env!("CARGO_PKG_VERSION"),
        "\r\n\r\n"
    ));
    let io = |e: std::io::Error| ProbeError::from_io(Phase::ProxyConnect, &e);
    let silent = || {
        ProbeError::new(
            Phase::ProxyConnect,
            FailKind::Timeout,
            format!(
                "the proxy accepted TCP but did not answer CONNECT within {} ms",
                timeout.as_millis()
            ),
        )
    };
    tokio::time::timeout_at(deadline, stream.write_all(req.as_bytes()))
        .await
        .map_err(|_| silent())?
        .map_err(io)?;
    // Read byte-wise up to the end of the head so no tunnel byte is consumed.
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut byte))
            .await
            .map_err(|_| silent())?
            .map_err(io)?;
        if n == 0 {
            return Err(ProbeError::new(
                Phase::ProxyConnect,
                FailKind::Closed,
                "the proxy closed the connection without answering CONNECT",
            ));
        }
        head.push(byte[0]);
        if head.len() > MAX_HEAD {
            return Err(ProbeError::new(
                Phase::ProxyConnect,
                FailKind::Protocol,
                "answer head too large",
            ));
        }
    }
    let outcome = parse_head(
        &String::from_utf8_lossy(&head),
        start.elapsed().as_millis() as u64,
    )?;
    Ok((stream, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_squid_and_tinyproxy_heads() {
        let squid = "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_CACHE_ACCESS_DENIED 0\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nVia: 1.1 proxy (squid/5.7)\r\n\r\n";
        let o = parse_head(squid, 3).unwrap();
        assert_eq!(o.status, 407);
        assert_eq!(o.authenticate, vec!["Negotiate", "Basic realm=\"corp\""]);
        assert_eq!(o.squid_error.as_deref(), Some("ERR_CACHE_ACCESS_DENIED 0"));
        assert_eq!(o.via.as_deref(), Some("1.1 proxy (squid/5.7)"));
        let tiny = parse_head(
            "HTTP/1.0 403 Filtered\r\nServer: tinyproxy/1.11.1\r\n\r\n",
            1,
        )
        .unwrap();
        assert_eq!(
            (tiny.status, tiny.status_line.as_str()),
            (403, "HTTP/1.0 403 Filtered")
        );
        assert!(parse_head("SSH-2.0-OpenSSH\r\n\r\n", 0).is_err());
    }

    #[test]
    fn proxy_urls_and_redaction() {
        let p = ProxyEndpoint::parse("http://alice:s3cret@proxy.corp.example:3128").unwrap();
        assert_eq!(p.display(), "proxy.corp.example:3128");
        assert_eq!(p.credentials, Some(("alice".into(), "s3cret".into())));
        assert_eq!(ProxyEndpoint::parse("10.0.0.1:8080").unwrap().port, 8080);
        assert_eq!(
            redact_url("http://alice:s3cret@proxy:3128"),
            "http://***@proxy:3128"
        );
        // The placeholder in fix texts is not a credential and stays readable.
        assert_eq!(
            redact_url("--proxy http://USER:PASSWORD@proxy:3128 to check"),
            "--proxy http://USER:PASSWORD@proxy:3128 to check"
        );
        assert_eq!(
            redact_url("http://USER:PASSWORD2@proxy:3128"),
            "http://***@proxy:3128"
        );
        let e = ProxyEndpoint::parse("socks5://u:p@h:1080").unwrap_err();
        assert!(!e.message.contains("u:p"), "{}", e.message);
    }
}
