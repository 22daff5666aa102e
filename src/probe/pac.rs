//! The machine's PAC file in the diagnosis: load it (file or URL, never through a proxy),
//! compile it once, and evaluate it for every target URL with the DNS answers the system
//! resolver gave, so `dnsResolve`/`isInNet` in the script see what the browser would see.

use crate::model::{Resolution, ResolverRole};
use crate::net::Net;
use crate::targets::Target;
use pac::{Directive, PacHost, PacOptions, PacScript};
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

/// What the PAC said for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacVerdict {
    /// Target name.
    pub fqdn: String,
    /// URL handed to FindProxyForURL.
    pub url: String,
    /// The string the script returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Parsed directives, in order.
    pub directives: Vec<String>,
    /// Entries that did not parse.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bad_entries: Vec<String>,
    /// Evaluation error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first directive a browser tries.
    #[serde(skip)]
    pub first: Option<Directive>,
}

/// The PAC part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacReport {
    /// Where the PAC came from (file path or URL) and who configured it.
    pub source: String,
    /// `--pac`, `WinINET`, `scutil`...
    pub configured_by: String,
    /// Load or compile failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_error: Option<String>,
    /// Compile failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_error: Option<String>,
    /// Entry point used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    /// One verdict per target.
    pub verdicts: Vec<PacVerdict>,
}

/// DNS for the script from the diagnosis's own answers; the real clock and time zone.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wpad_devolution() {
        assert_eq!(
            wpad_candidates(&["emea.corp.example.com".into()]),
            vec![
                "http://wpad.emea.corp.example.com/wpad.dat",
                "http://wpad.corp.example.com/wpad.dat",
                "http://wpad.example.com/wpad.dat",
                "http://wpad/wpad.dat",
            ]
        );
        assert_eq!(wpad_candidates(&[]), vec!["http://wpad/wpad.dat"]);
    }

    #[tokio::test]
    async fn wpad_is_never_fetched_off_loopback_in_lab_mode() {
        let net = Net::new(Vec::new(), true, crate::net::tls::TrustRoots::default());
        let found = discover_wpad(
            &["corp.example.com".into()],
            &net,
            Duration::from_millis(200),
        )
        .await;
        assert_eq!(found, None);
    }
}

#[derive(Debug)]
struct DiagnosisHost {
    names: HashMap<String, Vec<IpAddr>>,
    my: Vec<IpAddr>,
}

impl PacHost for DiagnosisHost {
    fn resolve_v4(&self, host: &str) -> Vec<Ipv4Addr> {
        self.resolve_all(host)
            .into_iter()
            .filter_map(|a| match a {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .collect()
    }
    fn resolve_all(&self, host: &str) -> Vec<IpAddr> {
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        if let Ok(ip) = key.parse::<IpAddr>() {
            return vec![ip];
        }
        self.names.get(&key).cloned().unwrap_or_default()
    }
    fn my_addresses(&self) -> Vec<IpAddr> {
        self.my.clone()
    }
    fn now_utc_millis(&self) -> i64 {
        (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }
    fn local_offset_seconds(&self, utc_seconds: i64) -> i32 {
        time::OffsetDateTime::from_unix_timestamp(utc_seconds)
            .ok()
            .and_then(|t| time::UtcOffset::local_offset_at(t).ok())
            .map_or(0, |o| o.whole_seconds())
    }
}

/// Loads the PAC text from a file or URL (fetched through `net`: `--connect-to`, the loopback
/// guard and `--ca-file` apply).
pub async fn load(source: &str, net: &Net, timeout: Duration) -> Result<String, String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let opts = crate::pac_fetch::FetchOptions {
            timeout,
            ..crate::pac_fetch::FetchOptions::default()
        };
        crate::pac_fetch::fetch_pac(source, net, &opts)
            .await
            .map_err(|e| e.to_string())
    } else {
        let path = source.strip_prefix("file://").unwrap_or(source).to_string();
        tokio::task::spawn_blocking(move || crate::fsio::read_pac(std::path::Path::new(&path)))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

/// WPAD over DNS: the URLs a browser tries, `http://wpad.<domain>/wpad.dat` for each search
/// domain and its parents down to two labels (devolution), then `http://wpad/wpad.dat`.
pub fn wpad_candidates(search: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in search {
        let labels: Vec<&str> = d
            .trim_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
            .collect();
        for i in 0..labels.len().saturating_sub(1) {
            let url = format!("http://wpad.{}/wpad.dat", labels[i..].join("."));
            if !out.contains(&url) {
                out.push(url);
            }
        }
    }
    out.push("http://wpad/wpad.dat".into());
    out
}

/// Tries the WPAD candidates concurrently and returns the first (in order) that serves a PAC.
pub async fn discover_wpad(search: &[String], net: &Net, timeout: Duration) -> Option<String> {
    let candidates = wpad_candidates(search);
    let tries = candidates.iter().map(|u| load(u, net, timeout));
    let results = futures_util::future::join_all(tries).await;
    candidates
        .into_iter()
        .zip(results)
        .find_map(|(u, r)| r.ok().map(|_| u))
}

/// Loads, compiles and evaluates the PAC for every target.
pub async fn evaluate(
    source: &str,
    configured_by: &str,
    targets: &[Target],
    resolutions: &[Resolution],
    my_addresses: Vec<IpAddr>,
    net: &Net,
    timeout: Duration,
) -> PacReport {
    let mut report = PacReport {
        source: source.to_string(),
        configured_by: configured_by.to_string(),
        load_error: None,
        compile_error: None,
        entry_point: None,
        verdicts: Vec::new(),
    };
    let text = match load(source, net, timeout).await {
        Ok(t) => t,
        Err(e) => {
            report.load_error = Some(e);
            return report;
        }
    };
    let mut names: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for r in resolutions
        .iter()
        .filter(|r| r.resolver.role == ResolverRole::System)
    {
        names.insert(r.fqdn.clone(), r.addresses.clone());
    }
    let host = Arc::new(DiagnosisHost {
        names,
        my: my_addresses,
    });
    let fqdns: Vec<String> = targets.iter().map(|t| t.fqdn.clone()).collect();
    let per_call = timeout.min(Duration::from_secs(2));
    let joined = tokio::task::spawn_blocking(move || {
        let options = PacOptions {
            host,
            timeout: per_call,
            ..PacOptions::default()
        };
        let script = PacScript::compile(&text, options).map_err(|e| e.to_string())?;
        // The first name alone: a script that runs away (time or loop limits) would do so for
        // every name, so it is not run again. Then one round trip for all the others.
        let urls: Vec<String> = fqdns.iter().map(|f| format!("https://{f}/")).collect();
        let mut results = Vec::with_capacity(urls.len());
        if let (Some(url), Some(host)) = (urls.first(), fqdns.first()) {
            let first = script.find_proxy(url, host);
            let runaway = matches!(
                first,
                Err(pac::PacError::Timeout { .. } | pac::PacError::LimitExceeded { .. })
            );
            let rest: Vec<Result<pac::PacResult, pac::PacError>> = if runaway {
                let msg = first
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                urls[1..]
                    .iter()
                    .map(|_| Err(pac::PacError::Engine(format!("not run again: {msg}"))))
                    .collect()
            } else {
                script.find_proxy_for_urls(&urls[1..])
            };
            results.push(first);
            results.extend(rest);
        }
        let verdicts: Vec<PacVerdict> = fqdns
            .iter()
            .zip(urls)
            .zip(results)
            .map(|((fqdn, url), r)| match r {
                Ok(r) => {
                    let eff = r.effective_directives();
                    PacVerdict {
                        fqdn: fqdn.clone(),
                        url,
                        result: Some(r.raw.clone()),
                        directives: eff.iter().map(ToString::to_string).collect(),
                        bad_entries: r.bad_entries.clone(),
                        error: None,
                        first: eff.first().cloned(),
                    }
                }
                Err(e) => PacVerdict {
                    fqdn: fqdn.clone(),
                    url,
                    result: None,
                    directives: Vec::new(),
                    bad_entries: Vec::new(),
                    error: Some(e.to_string()),
                    first: None,
                },
            })
            .collect();
        Ok::<_, String>((verdicts, script.has_find_proxy_for_url_ex()))
    });
    // Bounded by the diagnosis deadline; a script stuck where the engine cannot interrupt it
    // is left to its own limits on its thread.
    let joined = match tokio::time::timeout(timeout, joined).await {
        Ok(j) => j,
        Err(_) => {
            report.compile_error = Some(format!(
                "the PAC did not finish within {} ms",
                timeout.as_millis()
            ));
            return report;
        }
    };
    match joined {
        Ok(Ok((verdicts, _))) => {
            report.entry_point = Some("FindProxyForURL".into());
            report.verdicts = verdicts;
        }
        Ok(Err(e)) => report.compile_error = Some(e),
        Err(e) => report.compile_error = Some(format!("PAC evaluation thread failed: {e}")),
    }
    report
}
