//! The lab: an embedded simulated network on loopback (DNS servers, DoH front-end, TLS
//! certificates), used by `pe-doctor lab` and by the tests. Nothing in it leaves the machine:
//! every server binds 127.0.0.1 and the diagnosis runs with the loopback guard on.

pub mod dns_server;
pub mod doh_server;
pub mod https_server;
pub mod proxy_server;
pub mod scenarios;
pub mod tls;
pub mod world;

/// Serves HTTP/1.1 or h2 (as ALPN chose) on an accepted TLS stream, answering with `handler`.
pub(crate) async fn serve_http<S, F, Fut>(stream: S, handler: F)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = hyper::Response<http_body_util::Full<bytes::Bytes>>>
        + Send
        + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(handler(req).await) }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}
