//! One anonymous HTTPS request and the classification of its answer, recognising the
//! private-link 403 bodies of Azure services.

use crate::model::{FailKind, Phase, ProbeError};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Body bytes kept for classification.
const MAX_BODY: usize = 64 * 1024;

/// Bodies that mean "the public endpoint refuses: private link only" (matched case-insensitive).
pub const PRIVATE_LINK_DENIALS: [(&str, &str); 6] = [
    (
        "aml",
        "access to workspace was denied based on workspace private link configuration",
    ),
    (
        "aml",
        "none of the workspaces/registries are accessible from outside of the designated private link",
    ),
    (
        "ai-services",
        "public access is disabled. please configure private endpoint.",
    ),
    ("storage", "<code>authorizationfailure</code>"),
    ("key-vault", "forbiddenbyconnection"),
    ("acr", "\"code\":\"denied\""),
];

/// The answer to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpOutcome {
    /// Status code.
    pub status: u16,
    /// `Server` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The service whose private-link denial the body carries, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_link_denied: Option<String>,
    /// The start of the body (for evidence).
    pub body_excerpt: String,
}

/// Which private-link denial a body carries.
pub fn classify_body(body: &str) -> Option<&'static str> {
    let lower = body.to_ascii_lowercase();
    PRIVATE_LINK_DENIALS
        .iter()
        .find(|(_, needle)| lower.contains(needle))
        .map(|(svc, _)| *svc)
}

/// Sends `GET /` for `host` over an established (TLS) stream.
pub async fn get<S>(stream: S, host: &str, timeout: Duration) -> Result<HttpOutcome, ProbeError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let err =
        |e: &dyn std::fmt::Display| ProbeError::new(Phase::Http, FailKind::Protocol, e.to_string());
    let work = async {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| err(&e))?;
        tokio::spawn(conn);
        let req = hyper::Request::get("/")
            .header(hyper::header::HOST, host)
            .header(
                hyper::header::USER_AGENT,
                concat!("pe-doctor/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::<Bytes>::new())
            .map_err(|e| err(&e))?;
        let resp = sender.send_request(req).await.map_err(|e| err(&e))?;
        let status = resp.status().as_u16();
        let server = resp
            .headers()
            .get(hyper::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        Ok(HttpOutcome {
            status,
            server,
            private_link_denied: classify_body(&text).map(String::from),
            body_excerpt: text.chars().take(300).collect(),
        })
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ProbeError::timeout(Phase::Http))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_private_link_denials() {
        assert_eq!(
            classify_body(
                "{\"error\":{\"message\":\"Access to workspace was denied based on workspace Private Link configuration\"}}"
            ),
            Some("aml")
        );
        assert_eq!(
            classify_body("<Error><Code>AuthorizationFailure</Code></Error>"),
            Some("storage")
        );
        assert_eq!(
            classify_body("Public access is disabled. Please configure private endpoint."),
            Some("ai-services")
        );
        assert_eq!(
            classify_body("{\"errors\":[{\"code\":\"DENIED\"}]}"),
            Some("acr")
        );
        assert_eq!(classify_body("Forbidden"), None);
    }
}
