//! The machine's PAC file in the diagnosis: load it (file or URL, never through a proxy),
//! then evaluate it for every target URL in a worker process, with the DNS answers the system
//! resolver gave and this machine's addresses, clock and time zone, so `dnsResolve`, `isInNet`,
//! `myIpAddress` and `timeRange` in the script see what the browser would see.

use crate::model::{Resolution, ResolverRole};
use crate::net::Net;
use crate::pac_worker::{self, MachineHost, Query, Request, my_ip};
use crate::targets::Target;
use pac::Directive;
use serde::Serialize;
use std::net::IpAddr;
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

/// Limit of the PAC's top-level code and of each call in the diagnosis.
const PER_CALL_LIMIT: Duration = Duration::from_secs(2);

/// This machine's `myIpAddressEx()` list, found as Chromium does (bounded by `limit`: the
/// hostname lookup may wait on a DNS server). In lab and test runs the hostname is not
/// resolved, since the system resolver could ask a server off the machine.
pub async fn my_addresses(loopback_only: bool, limit: Duration) -> Vec<IpAddr> {
    let source = my_ip::MachineSource {
        resolve_hostname: !loopback_only,
    };
    let job = tokio::task::spawn_blocking(move || my_ip::candidates(&source));
    match tokio::time::timeout(limit, job).await {
        Ok(Ok(found)) => found,
        _ => Vec::new(),
    }
}

/// Loads the PAC and evaluates it for every target in a worker process, with the DNS answers
/// of the system resolver, this machine's addresses (`my_addresses`, else found here) and its
/// clock and time zone. Nothing about the script can take the diagnosis down or past `timeout`.
pub async fn evaluate(
    source: &str,
    configured_by: &str,
    targets: &[Target],
    resolutions: &[Resolution],
    my_addresses: Option<Vec<IpAddr>>,
    net: &Net,
    timeout: Duration,
) -> PacReport {
    let deadline = tokio::time::Instant::now() + timeout;
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
    let mine = match my_addresses {
        Some(m) => m,
        None => {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            self::my_addresses(net.loopback_only(), left.min(Duration::from_secs(1))).await
        }
    };
    let mut host = MachineHost::new().with_my_ips(mine);
    for r in resolutions
        .iter()
        .filter(|r| r.resolver.role == ResolverRole::System)
    {
        host.add_name(&r.fqdn, &r.addresses);
    }
    let urls: Vec<String> = targets
        .iter()
        .map(|t| format!("https://{}/", t.fqdn))
        .collect();
    let req = Request {
        source: text,
        host,
        queries: targets
            .iter()
            .zip(&urls)
            .map(|(t, u)| Query {
                url: u.clone(),
                host: Some(t.fqdn.clone()),
            })
            .collect(),
        prefer_ex: false,
        per_call_ms: u64::try_from(PER_CALL_LIMIT.min(timeout).as_millis()).unwrap_or(1),
    };
    let outcome = pac_worker::evaluate(&req, deadline).await;
    if let Err(f) = &outcome.compiled {
        report.compile_error = Some(f.to_string());
        return report;
    }
    report.entry_point = outcome
        .answers
        .iter()
        .find_map(|a| a.as_ref().ok().map(|e| e.entry_point.clone()))
        .or_else(|| Some("FindProxyForURL".into()));
    report.verdicts = targets
        .iter()
        .zip(urls)
        .zip(outcome.answers)
        .map(|((t, url), r)| match r {
            Ok(r) => {
                let (directives, bad_entries) = pac::parse_pac_result(&r.raw);
                let eff = if directives.is_empty() {
                    vec![Directive::Direct]
                } else {
                    directives
                };
                PacVerdict {
                    fqdn: t.fqdn.clone(),
                    url,
                    result: Some(r.raw),
                    directives: eff.iter().map(ToString::to_string).collect(),
                    bad_entries,
                    error: None,
                    first: eff.first().cloned(),
                }
            }
            Err(e) => PacVerdict {
                fqdn: t.fqdn.clone(),
                url,
                result: None,
                directives: Vec::new(),
                bad_entries: Vec::new(),
                error: Some(e.to_string()),
                first: None,
            },
        })
        .collect();
    report
}

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
