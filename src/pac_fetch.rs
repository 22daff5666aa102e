//! Fetching a PAC file over http(s) the way browsers do: a direct connection (never through a
//! proxy), status 200 required (redirects followed), 1 MiB body limit, 30 s overall limit, and
//! the body decoded with BOM sniffing / Content-Type charset / Latin-1 ([`pac::load`]).
//! Connections go through the run's [`Net`]: `--connect-to`, the loopback guard and
//! `--ca-file` apply as for every other probe.

use std::time::Duration;

use crate::net::Net;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use pac::PacError;
use pac::load::{MAX_PAC_BYTES, decode_pac_bytes};
use rustls::pki_types::ServerName;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Overall limit for connecting, redirects and the body (browsers: 30 s).
    pub timeout: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_redirects: 5,
        }
    }
}

fn load_err(url: &str, reason: impl Into<String>) -> PacError {
    PacError::Load {
        location: url.to_string(),
        reason: reason.into(),
    }
}

/// Fetches and decodes the PAC at `url` (http or https).
pub async fn fetch_pac(url: &str, net: &Net, options: &FetchOptions) -> Result<String, PacError> {
    match tokio::time::timeout(options.timeout, fetch_inner(url, net, options)).await {
        Ok(r) => r,
        Err(_) => Err(load_err(
            url,
            format!("no complete answer within {:?}", options.timeout),
        )),
    }
}

/// [`fetch_pac`] on a private single-threaded runtime, for synchronous callers.
pub fn fetch_pac_blocking(
    url: &str,
    net: &Net,
    options: &FetchOptions,
) -> Result<String, PacError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| load_err(url, format!("cannot start runtime: {e}")))?;
    rt.block_on(fetch_pac(url, net, options))
}

async fn fetch_inner(
    original: &str,
    net: &Net,
    options: &FetchOptions,
) -> Result<String, PacError> {
    let mut current = url::Url::parse(original).map_err(|e| load_err(original, e.to_string()))?;
    for _ in 0..=options.max_redirects {
        let (status, location, charset, body) = get_once(&current, net, options)
            .await
            .map_err(|reason| load_err(original, reason))?;
        if (300..400).contains(&status)
            && let Some(loc) = location
        {
            current = current
                .join(&loc)
                .map_err(|e| load_err(original, format!("bad redirect {loc:?}: {e}")))?;
            continue;
        }
        if status != 200 {
            return Err(load_err(
                original,
                format!("HTTP status {status} from {current} (200 required)"),
            ));
        }
        return decode_pac_bytes(&body, charset.as_deref())
            .map_err(|e| load_err(original, e.to_string()));
    }
    Err(load_err(
        original,
        format!("more than {} redirects", options.max_redirects),
    ))
}

type Fetched = (u16, Option<String>, Option<String>, Vec<u8>);

async fn get_once(url: &url::Url, net: &Net, options: &FetchOptions) -> Result<Fetched, String> {
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        s => return Err(format!("unsupported scheme {s:?} (http or https)")),
    };
    let host = url.host_str().ok_or("URL has no host")?.to_string();
    let port = url.port_or_known_default().ok_or("URL has no port")?;
    let connect_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let (tcp, _) = net
        .dialer
        .connect_tcp(&connect_host, port, options.timeout)
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {}", e.message))?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let req = Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(
            hyper::header::USER_AGENT,
            concat!("pe-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .header(hyper::header::ACCEPT, "*/*")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    if https {
        let config = net
            .tls(&[b"http/1.1"])
            .map_err(|e| format!("TLS setup: {e}"))?;
        let name = ServerName::try_from(connect_host.clone())
            .map_err(|e| format!("bad TLS name {host:?}: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {host}:{port}: {e}"))?;
        send(TokioIo::new(tls), req).await
    } else {
        send(TokioIo::new(tcp), req).await
    }
}

async fn send<T>(io: T, req: Request<Empty<Bytes>>) -> Result<Fetched, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("HTTP request: {e}"))?;
    let status = resp.status().as_u16();
    let header = |name: hyper::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let location = header(hyper::header::LOCATION);
    let charset = header(hyper::header::CONTENT_TYPE).and_then(|ct| {
        ct.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_string())
        })
    });
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("reading body: {e}"))?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > MAX_PAC_BYTES {
                driver.abort();
                return Err(format!("body larger than the {MAX_PAC_BYTES}-byte limit"));
            }
            buf.extend_from_slice(data);
        }
    }
    driver.abort();
    Ok((status, location, charset, buf))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// The network layer of a test: loopback only, no extra roots.
    fn net() -> Net {
        Net::new(Vec::new(), true, crate::net::tls::TrustRoots::default())
    }

    /// A loopback HTTP server answering each connection with the next canned response.
    async fn serve(responses: Vec<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for resp in responses {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut req = vec![0u8; 4096];
                let _ = s.read(&mut req).await;
                let _ = s.write_all(&resp).await;
                let _ = s.shutdown().await;
            }
        });
        format!("http://{addr}")
    }

    fn response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    }

    #[tokio::test]
    async fn fetches_and_decodes() {
        let pac = b"function FindProxyForURL(u, h) { return 'DIRECT'; } // caf\xe9";
        let base = serve(vec![response(
            "200 OK",
            "Content-Type: application/x-ns-proxy-autoconfig\r\n",
            pac,
        )])
        .await;
        let text = fetch_pac(
            &format!("{base}/proxy.pac"),
            &net(),
            &FetchOptions::default(),
        )
        .await
        .unwrap();
        assert!(text.ends_with("// café"), "{text}");
        let with_charset = serve(vec![response(
            "200 OK",
            "Content-Type: text/plain; charset=\"utf-8\"\r\n",
            "// café".as_bytes(),
        )])
        .await;
        assert_eq!(
            fetch_pac(&with_charset, &net(), &FetchOptions::default())
                .await
                .unwrap(),
            "// café"
        );
    }

    #[tokio::test]
    async fn follows_redirects_and_requires_200() {
        let target = serve(vec![response(
            "200 OK",
            "",
            b"function FindProxyForURL(){}",
        )])
        .await;
        let base = serve(vec![response(
            "302 Found",
            &format!("Location: {target}/p.pac\r\n"),
            b"",
        )])
        .await;
        assert!(
            fetch_pac(&base, &net(), &FetchOptions::default())
                .await
                .unwrap()
                .contains("FindProxyForURL")
        );
        let missing = serve(vec![response("404 Not Found", "", b"nope")]).await;
        let err = fetch_pac(
            &format!("{missing}/wpad.dat"),
            &net(),
            &FetchOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string().contains("404") && err.to_string().contains("wpad.dat"),
            "{err}"
        );
        let no_content = serve(vec![response("204 No Content", "", b"")]).await;
        assert!(
            fetch_pac(&no_content, &net(), &FetchOptions::default())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn fetches_over_https_with_an_extra_root() {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for _ in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    continue;
                };
                let mut req = vec![0u8; 4096];
                let _ = tls.read(&mut req).await;
                let _ = tls
                    .write_all(&response("200 OK", "", b"function FindProxyForURL(){}"))
                    .await;
                let _ = tls.shutdown().await;
            }
        });
        let url = format!("https://{addr}/proxy.pac");
        // Without the lab root the certificate is rejected...
        let err = fetch_pac(&url, &net(), &FetchOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("TLS"), "{err}");
        // ...and with it the PAC is fetched.
        let trusting = Net::new(
            Vec::new(),
            true,
            crate::net::tls::TrustRoots {
                extra: vec![ca.der().clone()],
                lab_public: None,
            },
        );
        assert!(
            fetch_pac(&url, &trusting, &FetchOptions::default())
                .await
                .unwrap()
                .contains("FindProxyForURL")
        );
    }

    #[tokio::test]
    async fn limits_size_and_time() {
        let big = vec![b'/'; MAX_PAC_BYTES + 10];
        let base = serve(vec![response("200 OK", "", &big)]).await;
        let err = fetch_pac(&base, &net(), &FetchOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("limit"), "{err}");

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _hold = tokio::spawn(async move {
            let (_s, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        let opts = FetchOptions {
            timeout: Duration::from_millis(300),
            ..FetchOptions::default()
        };
        let start = std::time::Instant::now();
        let err = fetch_pac(&format!("http://{addr}/slow.pac"), &net(), &opts)
            .await
            .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(3));
        assert!(err.to_string().contains("slow.pac"), "{err}");
        let err = fetch_pac("ftp://127.0.0.1/x.pac", &net(), &opts)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("unsupported scheme"), "{err}");
    }
}
