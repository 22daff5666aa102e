//! Lab DoH front-end: RFC 8484 GET and POST over HTTP/1.1 and h2 (ALPN), forwarding each query
//! over UDP to a lab DNS server on loopback. Counts requests so tests can prove what was used.

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

/// Request counters.
#[derive(Debug, Default)]
pub struct DohCounters {
    /// GET requests.
    pub get: AtomicU64,
    /// POST requests.
    pub post: AtomicU64,
    /// Requests over HTTP/2.
    pub h2: AtomicU64,
    /// Requests over HTTP/1.1.
    pub h1: AtomicU64,
}

/// A running lab DoH server; stops when dropped.
#[derive(Debug)]
pub struct DohServer {
    addr: SocketAddr,
    counters: Arc<DohCounters>,
    task: tokio::task::JoinHandle<()>,
}

impl DohServer {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its counters.
    pub fn counters(&self) -> &DohCounters {
        &self.counters
    }
}

impl Drop for DohServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Ctx {
    upstream: SocketAddr,
    latency: Duration,
    counters: Arc<DohCounters>,
}

/// Starts the server on `listener` with TLS `tls`, forwarding to `upstream`, delaying each
/// answer by `latency`.
pub async fn spawn(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    upstream: SocketAddr,
    latency: Duration,
) -> std::io::Result<DohServer> {
    let addr = listener.local_addr()?;
    let counters = Arc::new(DohCounters::default());
    let ctx = Arc::new(Ctx {
        upstream,
        latency,
        counters: counters.clone(),
    });
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            // As servers do (nginx's tcp_nodelay): answers are not held for the peer's ACK.
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                super::serve_http(tls, move |req| {
                    let ctx = ctx.clone();
                    async move { handle(&ctx, req).await }
                })
                .await;
            });
        }
    });
    Ok(DohServer {
        addr,
        counters,
        task,
    })
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if status == StatusCode::OK {
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/dns-message"),
        );
    }
    r
}

async fn handle(ctx: &Ctx, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.version() == hyper::Version::HTTP_2 {
        ctx.counters.h2.fetch_add(1, Ordering::Relaxed);
    } else {
        ctx.counters.h1.fetch_add(1, Ordering::Relaxed);
    }
    if req.uri().path() != "/dns-query" {
        return reply(StatusCode::NOT_FOUND, Vec::new());
    }
    let query = match *req.method() {
        Method::GET => {
            ctx.counters.get.fetch_add(1, Ordering::Relaxed);
            let param = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("dns="));
            match param.and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            }) {
                Some(q) => q,
                None => return reply(StatusCode::BAD_REQUEST, Vec::new()),
            }
        }
        Method::POST => {
            ctx.counters.post.fetch_add(1, Ordering::Relaxed);
            let ok_type = req
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .is_some_and(|v| v == "application/dns-message");
            if !ok_type {
                return reply(StatusCode::UNSUPPORTED_MEDIA_TYPE, Vec::new());
            }
            match Limited::new(req.into_body(), 65535).collect().await {
                Ok(b) => b.to_bytes().to_vec(),
                Err(_) => return reply(StatusCode::BAD_REQUEST, Vec::new()),
            }
        }
        _ => return reply(StatusCode::METHOD_NOT_ALLOWED, Vec::new()),
    };
    if !ctx.latency.is_zero() {
        tokio::time::sleep(ctx.latency).await;
    }
    match forward(ctx.upstream, &query).await {
        Some(answer) => reply(StatusCode::OK, answer),
        None => reply(StatusCode::BAD_GATEWAY, Vec::new()),
    }
}

async fn forward(upstream: SocketAddr, query: &[u8]) -> Option<Vec<u8>> {
    let bind: SocketAddr = if upstream.is_ipv4() {
        ([127, 0, 0, 1], 0).into()
    } else {
        (std::net::Ipv6Addr::LOCALHOST, 0).into()
    };
    let sock = UdpSocket::bind(bind).await.ok()?;
    sock.send_to(query, upstream).await.ok()?;
    let mut buf = vec![0u8; 65535];
    let n = tokio::time::timeout(Duration::from_secs(5), sock.recv(&mut buf))
        .await
        .ok()?
        .ok()?;
    buf.truncate(n);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::dns_server::{LabDnsServer, ServerOptions, View};
    use crate::lab::tls::LabCa;
    use crate::model::DnsStatus;
    use crate::model::FailKind;
    use crate::net::dialer::Dialer;
    use crate::net::tls;
    use crate::probe::doh::{DohClient, DohEndpoint, DohMethod};
    use hickory_proto::rr::RecordType;

    struct Setup {
        _dns: LabDnsServer,
        doh: DohServer,
        client: DohClient,
        _dir: tempfile::TempDir,
    }

    async fn setup(alpn: &[&[u8]], trust_lab_ca: bool) -> Setup {
        let mut view = View::new();
        view.zone("privatelink.api.azureml.ms")
            .cname("ws.api.azureml.ms", "ws.privatelink.api.azureml.ms")
            .addr("ws.privatelink.api.azureml.ms", "10.0.0.4".parse().unwrap());
        let dns = LabDnsServer::spawn([127, 0, 0, 1].into(), ServerOptions::answer(view))
            .await
            .unwrap();
        let ca = LabCa::new("pe-doctor lab CA").unwrap();
        let cfg = LabCa::server_config(ca.issue(&["doh.lab.test"]).unwrap(), alpn).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let doh = spawn(listener, cfg, dns.addr(), Duration::ZERO)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        let other = LabCa::new("someone else").unwrap();
        std::fs::write(
            &ca_file,
            if trust_lab_ca {
                ca.ca_pem()
            } else {
                other.ca_pem()
            },
        )
        .unwrap();
        let rule = format!("doh.lab.test:443=127.0.0.1:{}", doh.local_addr().port())
            .parse()
            .unwrap();
        let dialer = Arc::new(Dialer::new(vec![rule], true));
        let client_tls = tls::extra_roots_only_config(&[ca_file], &[b"h2", b"http/1.1"]).unwrap();
        Setup {
            _dns: dns,
            doh,
            client: DohClient::new(dialer, client_tls),
            _dir: dir,
        }
    }

    #[tokio::test]
    async fn get_and_post_over_h2_and_http1() {
        for (alpn, h2) in [
            (&[&b"h2"[..], b"http/1.1"][..], true),
            (&[&b"http/1.1"[..]][..], false),
        ] {
            let s = setup(alpn, true).await;
            for (method, template) in [
                (DohMethod::Get, "https://doh.lab.test/dns-query{?dns}"),
                (DohMethod::Post, "https://doh.lab.test/dns-query"),
            ] {
                let ep = DohEndpoint::parse(template).unwrap();
                assert_eq!(ep.method, method);
                let a = s
                    .client
                    .query(
                        &ep,
                        "ws.api.azureml.ms",
                        RecordType::A,
                        Duration::from_secs(3),
                    )
                    .await
                    .unwrap();
                assert_eq!(a.status, DnsStatus::Ok);
                assert_eq!(a.chain[0].rtype, "CNAME");
                assert_eq!(
                    a.addresses,
                    vec!["10.0.0.4".parse::<std::net::IpAddr>().unwrap()]
                );
                let nx = s
                    .client
                    .query(
                        &ep,
                        "nope.privatelink.api.azureml.ms",
                        RecordType::A,
                        Duration::from_secs(3),
                    )
                    .await
                    .unwrap();
                assert_eq!(nx.status, DnsStatus::Nxdomain);
            }
            let c = s.doh.counters();
            assert_eq!(c.get.load(Ordering::Relaxed), 2);
            assert_eq!(c.post.load(Ordering::Relaxed), 2);
            let (on_h2, on_h1) = (c.h2.load(Ordering::Relaxed), c.h1.load(Ordering::Relaxed));
            if h2 {
                assert_eq!((on_h2, on_h1), (4, 0))
            } else {
                assert_eq!((on_h2, on_h1), (0, 4))
            }
        }
    }

    #[tokio::test]
    async fn wrong_ca_wrong_path_and_guard() {
        let s = setup(&[b"h2"], false).await;
        let ep = DohEndpoint::parse("https://doh.lab.test/dns-query").unwrap();
        let e = s
            .client
            .query(
                &ep,
                "ws.api.azureml.ms",
                RecordType::A,
                Duration::from_secs(3),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailKind::Tls, "{e}");

        let s = setup(&[b"h2"], true).await;
        let ep = DohEndpoint::parse("https://doh.lab.test/other").unwrap();
        let e = s
            .client
            .query(
                &ep,
                "ws.api.azureml.ms",
                RecordType::A,
                Duration::from_secs(3),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailKind::Status);
        assert!(e.message.contains("404"));

        let ep = DohEndpoint::parse("https://unmapped.example/dns-query")
            .unwrap()
            .with_method(DohMethod::Get);
        let e = s
            .client
            .query(
                &ep,
                "ws.api.azureml.ms",
                RecordType::A,
                Duration::from_secs(3),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailKind::Guard);
    }

    #[tokio::test]
    async fn black_holed_doh_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let _hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let rule = format!("doh.lab.test:443=127.0.0.1:{port}")
            .parse()
            .unwrap();
        let client = DohClient::new(
            Arc::new(Dialer::new(vec![rule], true)),
            tls::public_roots_config(&[b"h2"]).unwrap(),
        );
        let ep = DohEndpoint::parse("https://doh.lab.test/dns-query").unwrap();
        let start = std::time::Instant::now();
        let e = client
            .query(&ep, "x.example", RecordType::A, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailKind::Timeout);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}
