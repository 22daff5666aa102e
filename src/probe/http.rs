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

/// The service whose "private link only" refusal an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Denial {
    /// Azure Machine Learning workspace / registry.
    Aml,
    /// Azure AI services (OpenAI, Foundry accounts).
    AiServices,
    /// A storage account refusing by its network rules (`AuthorizationFailure`).
    Storage,
    /// Key Vault.
    KeyVault,
    /// Container registry.
    Acr,
}

impl Denial {
    /// The service as reports name it (`aml`, `ai-services`, `storage`, `key-vault`, `acr`).
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::Aml => "aml",
            Denial::AiServices => "ai-services",
            Denial::Storage => "storage",
            Denial::KeyVault => "key-vault",
            Denial::Acr => "acr",
        }
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Denial {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Bodies that mean "the public endpoint refuses: private link only" (matched case-insensitive).
pub const PRIVATE_LINK_DENIALS: [(Denial, &str); 6] = [
    (
        Denial::Aml,
        "access to workspace was denied based on workspace private link configuration",
    ),
    (
        Denial::Aml,
        "none of the workspaces/registries are accessible from outside of the designated private link",
    ),
    (
        Denial::AiServices,
        "public access is disabled. please configure private endpoint.",
    ),
    (Denial::Storage, "<code>authorizationfailure</code>"),
    (Denial::KeyVault, "forbiddenbyconnection"),
    (Denial::Acr, "\"code\":\"denied\""),
];

/// The `x-ms-error-code` a storage account sends when its network rules refuse the request.
pub const STORAGE_AUTHORIZATION_FAILURE: &str = "AuthorizationFailure";

/// The answer to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpOutcome {
    /// Status code.
    pub status: u16,
    /// `Server` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `x-ms-error-code` header (Azure storage and others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The service whose private-link denial the answer carries, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_link_denied: Option<Denial>,
    /// The start of the body (for evidence).
    pub body_excerpt: String,
}

impl HttpOutcome {
    /// A storage account's own refusal: `403` with `x-ms-error-code: AuthorizationFailure` (or
    /// that code in the body): its network rules refuse the path this request took.
    pub fn storage_firewall_denied(&self) -> bool {
        self.status == 403
            && (self
                .error_code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(STORAGE_AUTHORIZATION_FAILURE))
                || self.private_link_denied == Some(Denial::Storage))
    }
}

/// Which private-link denial a body carries.
pub fn classify_body(body: &str) -> Option<Denial> {
    let lower = body.to_ascii_lowercase();
    PRIVATE_LINK_DENIALS
        .iter()
        .find(|(_, needle)| lower.contains(needle))
        .map(|(svc, _)| *svc)
}

/// Classifies an answer: the body's denial, or the storage error code alone.
fn denial(status: u16, error_code: Option<&str>, body: &str) -> Option<Denial> {
    classify_body(body).or_else(|| {
        (status == 403
            && error_code.is_some_and(|c| c.eq_ignore_ascii_case(STORAGE_AUTHORIZATION_FAILURE)))
        .then_some(Denial::Storage)
    })
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
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let server = header("server");
        let error_code = header("x-ms-error-code");
        let body = Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        Ok(HttpOutcome {
            status,
            server,
            private_link_denied: denial(status, error_code.as_deref(), &text),
            error_code,
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
            Some(Denial::Aml)
        );
        assert_eq!(
            classify_body("<Error><Code>AuthorizationFailure</Code></Error>"),
            Some(Denial::Storage)
        );
        assert_eq!(
            classify_body("Public access is disabled. Please configure private endpoint."),
            Some(Denial::AiServices)
        );
        assert_eq!(
            classify_body("{\"errors\":[{\"code\":\"DENIED\"}]}"),
            Some(Denial::Acr)
        );
        assert_eq!(classify_body("Forbidden"), None);
        // A storage 403 recognised by its header alone (HEAD-like answers have no body).
        assert_eq!(
            denial(403, Some("AuthorizationFailure"), ""),
            Some(Denial::Storage)
        );
        assert_eq!(denial(403, Some("AuthenticationFailed"), ""), None);
        assert_eq!(denial(200, Some("AuthorizationFailure"), ""), None);
    }
}
