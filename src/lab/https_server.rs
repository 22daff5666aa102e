//! Lab HTTPS endpoints: a TLS server (HTTP/1.1, h2 via ALPN) playing a workspace's private
//! endpoint (answers 200) or its public endpoint (answers 403 with the service's private-link
//! denial body, as Azure does). Counts requests and the `Host` each one named.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The `Server` header the lab endpoints send.
const SERVER: &str = "pe-doctor-lab";

/// The AML workspace's denial when reached through its public endpoint.
pub const AML_DENIAL: &str = "{\"error\":{\"code\":\"UserError\",\"message\":\"Access to workspace was denied based on workspace private link configuration.\"}}";
/// The AI services' (Azure OpenAI, AI Foundry) denial with public network access disabled.
pub const AI_SERVICES_DENIAL: &str = "{\"error\":{\"code\":\"403\",\"message\":\"Public access is disabled. Please configure private endpoint.\"}}";
/// A storage account's denial with public network access disabled.
pub const STORAGE_DENIAL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.</Message></Error>";

/// What an endpoint answers to every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointBehavior {
    /// `200 application/json {"status":"ok"}`, as the workspace API answers through the
    /// private endpoint.
    PrivateOk,
    /// `403` with the private-link denial body of `service`: `"aml"`, `"ai-services"` or
    /// `"storage"` (the names [`crate::probe::http::classify_body`] returns).
    PrivateLinkDenied {
        /// Which service's body.
        service: &'static str,
    },
    /// Accepts TCP, reads the TLS ClientHello and resets the connection (TCP RST), as a
    /// firewall that cuts HTTPS does.
    ResetAfterHello,
}

impl EndpointBehavior {
    /// Status, content type and body of the answer; None for an unknown service.
    pub fn answer(&self) -> Option<(StatusCode, &'static str, &'static str)> {
        match self {
            Self::PrivateOk => Some((StatusCode::OK, "application/json", "{\"status\":\"ok\"}")),
            Self::PrivateLinkDenied { service } => {
                let (ctype, body) = match *service {
                    "aml" => ("application/json; charset=utf-8", AML_DENIAL),
                    "ai-services" => ("application/json", AI_SERVICES_DENIAL),
                    "storage" => ("application/xml", STORAGE_DENIAL),
                    _ => return None,
                };
                Some((StatusCode::FORBIDDEN, ctype, body))
            }
            Self::ResetAfterHello => None,
        }
    }

    /// The `x-ms-error-code` Azure sends with the answer (storage's own refusal).
    fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::PrivateLinkDenied { service: "storage" } => Some("AuthorizationFailure"),
            _ => None,
        }
    }
}

/// Request counters of a running endpoint.
#[derive(Debug, Default)]
pub struct HttpsCounters {
    /// TLS handshakes completed.
    pub handshakes: AtomicU64,
    /// Requests answered.
    pub requests: AtomicU64,
    /// Requests over HTTP/2.
    pub h2: AtomicU64,
    /// Requests over HTTP/1.1.
    pub h1: AtomicU64,
    /// The `Host` header (or `:authority`) of every request, in order.
    pub hosts: Mutex<Vec<String>>,
}

/// A running lab HTTPS endpoint; stops (with its connections) when dropped.
#[derive(Debug)]
pub struct HttpsServer {
    addr: SocketAddr,
    counters: Arc<HttpsCounters>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpsServer {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its counters.
    pub fn counters(&self) -> &HttpsCounters {
        &self.counters
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::Relaxed)
    }

    /// The hosts requested so far, in order.
    pub fn hosts(&self) -> Vec<String> {
        self.counters
            .hosts
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Ctx {
    behavior: EndpointBehavior,
    latency: Duration,
    counters: Arc<HttpsCounters>,
}

/// Starts the endpoint on `listener` with TLS `tls` (its ALPN list decides h2 / HTTP/1.1),
/// delaying each answer by `latency`. An unknown `service` is an `InvalidInput` error.
pub async fn spawn(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    behavior: EndpointBehavior,
    latency: Duration,
) -> std::io::Result<HttpsServer> {
    if behavior != EndpointBehavior::ResetAfterHello && behavior.answer().is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("lab HTTPS endpoint: no denial body known for {behavior:?}"),
        ));
    }
    let addr = listener.local_addr()?;
    let counters = Arc::new(HttpsCounters::default());
    let ctx = Arc::new(Ctx {
        behavior,
        latency,
        counters: counters.clone(),
    });
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let task = tokio::spawn(async move {
        // Connections live in this set: aborting the accept task drops them all.
        let mut conns = JoinSet::new();
        loop {
            while conns.try_join_next().is_some() {}
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            // As servers do (nginx's tcp_nodelay): answers are not held for the peer's ACK.
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let ctx = ctx.clone();
            if ctx.behavior == EndpointBehavior::ResetAfterHello {
                conns.spawn(reset_after_hello(tcp));
                continue;
            }
            conns.spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                ctx.counters.handshakes.fetch_add(1, Ordering::Relaxed);
                super::serve_http(tls, move |req| {
                    let ctx = ctx.clone();
                    async move { handle(&ctx, req).await }
                })
                .await;
            });
        }
    });
    Ok(HttpsServer {
        addr,
        counters,
        task,
    })
}

/// Reads what the client sent first, then closes with SO_LINGER 0: the peer sees a TCP RST.
async fn reset_after_hello(mut tcp: tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 2048];
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await;
    let _ = tcp.set_zero_linger();
    drop(tcp);
}

async fn handle(ctx: &Ctx, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let c = &ctx.counters;
    c.requests.fetch_add(1, Ordering::Relaxed);
    if req.version() == hyper::Version::HTTP_2 {
        c.h2.fetch_add(1, Ordering::Relaxed);
    } else {
        c.h1.fetch_add(1, Ordering::Relaxed);
    }
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    if let Ok(mut hosts) = c.hosts.lock() {
        hosts.push(host);
    }
    if !ctx.latency.is_zero() {
        tokio::time::sleep(ctx.latency).await;
    }
    // `spawn` refused behaviours without an answer.
    let (status, ctype, body) = ctx.behavior.answer().unwrap_or((
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain",
        "no answer configured",
    ));
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(ctype),
    );
    h.insert(
        hyper::header::SERVER,
        hyper::header::HeaderValue::from_static(SERVER),
    );
    if let Some(code) = ctx.behavior.error_code() {
        h.insert(
            "x-ms-error-code",
            hyper::header::HeaderValue::from_static(code),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tls::LabCa;
    use crate::probe::http;
    use crate::probe::tls::{TrustStores, handshake};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use std::path::PathBuf;

    const HOST: &str = "ws.workspace.eastus2.api.azureml.ms";

    fn stores(dir: &tempfile::TempDir, ca: &LabCa) -> TrustStores {
        let path: PathBuf = dir.path().join("lab-ca.pem");
        std::fs::write(&path, ca.ca_pem()).unwrap();
        TrustStores::from_ca_files(std::slice::from_ref(&path), std::slice::from_ref(&path))
            .unwrap()
    }

    async fn start(ca: &LabCa, behavior: EndpointBehavior, latency: Duration) -> HttpsServer {
        let cfg = LabCa::server_config(ca.issue(&[HOST]).unwrap(), &[b"h2", b"http/1.1"]).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        spawn(listener, cfg, behavior, latency).await.unwrap()
    }

    async fn get(server: &HttpsServer, stores: &TrustStores) -> http::HttpOutcome {
        let t = Duration::from_secs(3);
        let tcp = tokio::net::TcpStream::connect(server.local_addr())
            .await
            .unwrap();
        let (tls, outcome) = handshake(tcp, HOST, stores, t).await.unwrap();
        assert!(outcome.os_trusted && outcome.public_trusted, "{outcome:?}");
        http::get(tls, HOST, t).await.unwrap()
    }

    #[tokio::test]
    async fn private_ok_and_each_denial_body_is_classified() {
        let ca = LabCa::new("pe-doctor lab public CA").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let stores = stores(&dir, &ca);
        let ok = start(&ca, EndpointBehavior::PrivateOk, Duration::ZERO).await;
        let o = get(&ok, &stores).await;
        assert_eq!(o.status, 200);
        assert_eq!(o.private_link_denied, None);
        assert_eq!(o.body_excerpt, "{\"status\":\"ok\"}");
        assert_eq!(o.server.as_deref(), Some(SERVER));
        assert_eq!(ok.requests(), 1);
        assert_eq!(ok.hosts(), vec![HOST.to_string()]);
        // pe-doctor's client offers only HTTP/1.1.
        assert_eq!(ok.counters().h1.load(Ordering::Relaxed), 1);

        for service in ["aml", "ai-services", "storage"] {
            let denied = start(
                &ca,
                EndpointBehavior::PrivateLinkDenied { service },
                Duration::ZERO,
            )
            .await;
            let o = get(&denied, &stores).await;
            assert_eq!(o.status, 403);
            assert_eq!(o.private_link_denied.map(|d| d.as_str()), Some(service));
            assert_eq!(o.storage_firewall_denied(), service == "storage");
            assert_eq!(
                o.error_code.as_deref(),
                (service == "storage").then_some("AuthorizationFailure")
            );
            assert_eq!(denied.requests(), 1);
        }
    }

    #[tokio::test]
    async fn reset_after_hello_resets_the_tls_handshake() {
        use crate::model::{FailKind, Phase};
        let ca = LabCa::new("pe-doctor lab public CA").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let stores = stores(&dir, &ca);
        let server = start(&ca, EndpointBehavior::ResetAfterHello, Duration::ZERO).await;
        let tcp = tokio::net::TcpStream::connect(server.local_addr())
            .await
            .unwrap();
        let e = handshake(tcp, HOST, &stores, Duration::from_secs(3))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!((e.phase, e.kind), (Phase::Tls, FailKind::Reset), "{e}");
    }

    #[tokio::test]
    async fn h2_latency_unknown_service_and_stop_on_drop() {
        let ca = LabCa::new("pe-doctor lab public CA").unwrap();
        let server = start(
            &ca,
            EndpointBehavior::PrivateLinkDenied { service: "aml" },
            Duration::from_millis(150),
        )
        .await;
        // An h2 client (hyper) through the lab CA.
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.ca_der().clone()).unwrap();
        let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        let tcp = tokio::net::TcpStream::connect(server.local_addr())
            .await
            .unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(HOST.try_into().unwrap(), tcp)
            .await
            .unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(conn);
        let started = std::time::Instant::now();
        let req = Request::get(format!("https://{HOST}/"))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(server.counters().h2.load(Ordering::Relaxed), 1);
        assert_eq!(server.hosts(), vec![HOST.to_string()]);

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cfg = LabCa::server_config(ca.issue(&[HOST]).unwrap(), &[b"http/1.1"]).unwrap();
        let e = spawn(
            listener,
            cfg,
            EndpointBehavior::PrivateLinkDenied { service: "nope" },
            Duration::ZERO,
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);

        let addr = server.local_addr();
        drop(server);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
