//! DNS over HTTPS (RFC 8484) client on hyper + rustls: GET (`?dns=` base64url) or POST
//! (`application/dns-message`), HTTP/2 when the server offers it by ALPN, else HTTP/1.1.

use super::answer::{DnsAnswer, answer_from_message};
use crate::model::{FailKind, Phase, ProbeError};
use crate::net::dialer::Dialer;
use base64::Engine;
use bytes::Bytes;
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Largest DoH answer accepted.
const MAX_BODY: usize = 64 * 1024;
const DNS_MESSAGE: &str = "application/dns-message";

/// GET or POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DohMethod {
    /// `GET ?dns=<base64url>`.
    Get,
    /// `POST` with an `application/dns-message` body.
    Post,
}

/// A DoH endpoint: URL and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DohEndpoint {
    /// Host name of the URL.
    pub host: String,
    /// Port (443 by default).
    pub port: u16,
    /// Path (and fixed query, if any).
    pub path: String,
    /// Method.
    pub method: DohMethod,
}

impl DohEndpoint {
    /// Parses a URL or URI template: `{?dns}` means GET; a plain URL uses POST.
    pub fn parse(template: &str) -> Result<Self, ProbeError> {
        let bad = |m: &str| {
            ProbeError::new(
                Phase::Dns,
                FailKind::Other,
                format!("DoH URL {template:?}: {m}"),
            )
        };
        let (url_text, method) = match template.split_once("{?dns}") {
            Some((base, _)) => (base.to_string(), DohMethod::Get),
            None => (template.to_string(), DohMethod::Post),
        };
        let url = url::Url::parse(&url_text).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "https" {
            return Err(bad("must be https"));
        }
        let host = url.host_str().ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path = format!("{path}?{q}");
        }
        Ok(Self {
            host,
            port: url.port().unwrap_or(443),
            path,
            method,
        })
    }

    /// The same endpoint with another method.
    pub fn with_method(mut self, method: DohMethod) -> Self {
        self.method = method;
        self
    }
}

/// The DoH client: a dialer and a TLS configuration offering h2 and http/1.1.
#[derive(Debug, Clone)]
pub struct DohClient {
    dialer: Arc<Dialer>,
    tls: Arc<ClientConfig>,
}

fn build_query(name: &str, rtype: RecordType) -> Result<Vec<u8>, ProbeError> {
    let fqdn = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    let qname = Name::from_str(&fqdn).map_err(|e| {
        ProbeError::new(Phase::Dns, FailKind::Other, format!("bad name {name}: {e}"))
    })?;
    let mut msg = Message::query();
    msg.metadata.id = 0;
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(qname, rtype));
    msg.to_vec()
        .map_err(|e| ProbeError::new(Phase::Dns, FailKind::Other, e.to_string()))
}

fn http_err(e: impl std::fmt::Display) -> ProbeError {
    ProbeError::new(Phase::Dns, FailKind::Protocol, format!("HTTP: {e}"))
}

impl DohClient {
    /// A client. `tls` should offer ALPN `h2` and `http/1.1`.
    pub fn new(dialer: Arc<Dialer>, tls: Arc<ClientConfig>) -> Self {
        Self { dialer, tls }
    }

    /// Asks one question.
    pub async fn query(
        &self,
        endpoint: &DohEndpoint,
        name: &str,
        rtype: RecordType,
        timeout: Duration,
    ) -> Result<DnsAnswer, ProbeError> {
        tokio::time::timeout(timeout, self.exchange(endpoint, name, rtype, timeout))
            .await
            .map_err(|_| ProbeError::timeout(Phase::Dns))?
    }

    /// Asks A and AAAA concurrently and merges the answers; failures become a failed answer.
    pub async fn resolve(
        &self,
        endpoint: &DohEndpoint,
        name: &str,
        timeout: Duration,
    ) -> DnsAnswer {
        let (a, aaaa) = tokio::join!(
            self.query(endpoint, name, RecordType::A, timeout),
            self.query(endpoint, name, RecordType::AAAA, timeout)
        );
        let fix = |r: Result<DnsAnswer, ProbeError>| match r {
            Ok(a) => a,
            Err(e) => super::dns::failed_answer(&e),
        };
        DnsAnswer::merge(fix(a), fix(aaaa))
    }

    async fn exchange(
        &self,
        ep: &DohEndpoint,
        name: &str,
        rtype: RecordType,
        timeout: Duration,
    ) -> Result<DnsAnswer, ProbeError> {
        let wire = build_query(name, rtype)?;
        let (tcp, _) = self.dialer.connect_tcp(&ep.host, ep.port, timeout).await?;
        let server_name = ServerName::try_from(ep.host.clone())
            .map_err(|e| ProbeError::new(Phase::Tls, FailKind::Other, e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(server_name, tcp)
            .await
            .map_err(|e| {
                let kind = if e.kind() == std::io::ErrorKind::InvalidData {
                    FailKind::Tls
                } else {
                    FailKind::Reset
                };
                ProbeError::new(Phase::Dns, kind, format!("TLS with {}: {e}", ep.host))
            })?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let authority = if ep.port == 443 {
            ep.host.clone()
        } else {
            format!("{}:{}", ep.host, ep.port)
        };
        let builder = Request::builder().header("accept", DNS_MESSAGE);
        let request = match ep.method {
            DohMethod::Get => {
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&wire);
                let sep = if ep.path.contains('?') { '&' } else { '?' };
                builder
                    .method("GET")
                    .uri(format!("https://{authority}{}{sep}dns={b64}", ep.path))
                    .body(Full::new(Bytes::new()))
            }
            DohMethod::Post => builder
                .method("POST")
                .uri(format!("https://{authority}{}", ep.path))
                .header("content-type", DNS_MESSAGE)
                .body(Full::new(Bytes::from(wire))),
        }
        .map_err(http_err)?;
        let io = TokioIo::new(tls);
        let response = if h2 {
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .map_err(http_err)?;
            tokio::spawn(conn);
            sender.send_request(request).await.map_err(http_err)?
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(http_err)?;
            tokio::spawn(conn);
            let mut request = request;
            if let Ok(v) = hyper::header::HeaderValue::from_str(&authority) {
                request.headers_mut().insert(hyper::header::HOST, v);
            }
            sender.send_request(request).await.map_err(http_err)?
        };
        let status = response.status();
        if status != hyper::StatusCode::OK {
            return Err(ProbeError::new(
                Phase::Dns,
                FailKind::Status,
                format!("DoH server {} answered HTTP {status}", ep.host),
            ));
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(http_err)?
            .to_bytes();
        let msg = Message::from_vec(&body).map_err(|e| {
            ProbeError::new(
                Phase::Dns,
                FailKind::Protocol,
                format!("not a DNS message: {e}"),
            )
        })?;
        Ok(answer_from_message(&msg))
    }
}
