//! The URL and host handed to `FindProxyForURL`, sanitised as Chromium does.

use crate::PacError;

/// Returns `(url, host)` as Chromium passes them: credentials and fragment removed; for
/// cryptographic schemes (`https`, `wss`) path and query removed too, leaving
/// `scheme://host[:port]/`; the host lower-cased, IDN in punycode, IPv4 in dotted form
/// (`0x7f.1` → `127.0.0.1`), IPv6 compressed (`::ffff:c0a8:1`) and without brackets.
pub fn sanitize_url(input: &str) -> Result<(String, String), PacError> {
    let bad = |reason: String| PacError::BadUrl {
        url: input.to_string(),
        reason,
    };
    let mut u = url::Url::parse(input.trim()).map_err(|e| bad(e.to_string()))?;
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_fragment(None);
    if matches!(u.scheme(), "https" | "wss") {
        u.set_path("/");
        u.set_query(None);
    }
    // The URL standard's serialisation (as Chromium's): `[::ffff:c0a8:1]`, brackets removed.
    let host = u
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .unwrap_or_default();
    Ok((u.to_string(), host))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strips_like_chromium() {
        let s = |u: &str| sanitize_url(u).unwrap();
        assert_eq!(
            s("https://user:pw@Login.Bank.example.org:8443/path?q=1#frag"),
            (
                "https://login.bank.example.org:8443/".into(),
                "login.bank.example.org".into()
            )
        );
        assert_eq!(
            s("http://u:p@www.example.com/a/b?c=d#e"),
            (
                "http://www.example.com/a/b?c=d".into(),
                "www.example.com".into()
            )
        );
        assert_eq!(
            s("https://[::1]:443/x"),
            ("https://[::1]/".into(), "::1".into())
        );
        assert_eq!(
            s("wss://h.example/sock?x"),
            ("wss://h.example/".into(), "h.example".into())
        );
        assert_eq!(
            s("ftp://files.example.com/pub/"),
            (
                "ftp://files.example.com/pub/".into(),
                "files.example.com".into()
            )
        );
        assert_eq!(
            s("http://bücher.example/"),
            (
                "http://xn--bcher-kva.example/".into(),
                "xn--bcher-kva.example".into()
            )
        );
        assert_eq!(
            s("http://[::ffff:192.168.0.1]:8080/p"),
            (
                "http://[::ffff:c0a8:1]:8080/p".into(),
                "::ffff:c0a8:1".into()
            )
        );
        assert_eq!(
            s("http://0x7f.1/"),
            ("http://127.0.0.1/".into(), "127.0.0.1".into())
        );
        assert!(sanitize_url("not a url").is_err());
    }
}
