//! Environment variables, and how curl, Python, Go and Node read `no_proxy` differently.
//!
//! Sources encoded here (each function cites its rules):
//! - curl: `lib/noproxy.c` `Curl_check_noproxy` (curl >= 7.86) and `CURLOPT_NOPROXY(3)`;
//!   variables per everything.curl.dev "Proxy environment variables": `http_proxy` only in
//!   lower case, the others in either case (lower first), `ALL_PROXY` as a fallback.
//! - Python: `urllib.request.getproxies_environment` / `proxy_bypass_environment` (3.x):
//!   lower case wins over upper case, `HTTP_PROXY` dropped under CGI, no `all_proxy` for
//!   urllib (requests does use it).
//! - Go: `golang.org/x/net/http/httpproxy` (`FromEnvironment`, `useProxy`, `config.init`):
//!   upper case first, no `ALL_PROXY`.
//! - Node: `proxy-from-env` 2.x (`getProxyForUrl`, `shouldProxy`, used by axios and many
//!   CLIs): lower case first, `all_proxy` fallback.

use super::{
    ProxySettings, ProxySource, Route, bypass, host_ip, normalize_host, parse_proxy_url, redact_url,
};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A client library's reading of `no_proxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Convention {
    /// curl / libcurl (`lib/noproxy.c`).
    Curl,
    /// Python `urllib.request.proxy_bypass_environment` (requests, and so az CLI and pip,
    /// also match CIDR for IPv4 literals).
    Python,
    /// Go `golang.org/x/net/http/httpproxy` (net/http `ProxyFromEnvironment`).
    Go,
    /// Node `proxy-from-env` (axios, npm tooling).
    Node,
}

impl std::fmt::Display for Convention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Convention::Curl => "curl",
            Convention::Python => "Python",
            Convention::Go => "Go",
            Convention::Node => "Node",
        })
    }
}

/// The first non-empty value among `names`, with the name that gave it.
fn first<'a>(
    vars: &'a [(String, String)],
    names: &[&'static str],
) -> Option<(&'static str, &'a str)> {
    names.iter().find_map(|n| {
        vars.iter()
            .find(|(k, v)| k == n && !v.trim().is_empty())
            .map(|(_, v)| (*n, v.as_str()))
    })
}

/// Parses the proxy environment variables as curl reads them (`https_proxy`, `HTTPS_PROXY`,
/// then `all_proxy`/`ALL_PROXY` for https; `http_proxy` only in lower case for http;
/// `no_proxy` then `NO_PROXY`). Notes say where Python, Go and Node would pick differently.
/// Values are never quoted with their credentials.
pub fn parse_env(vars: &[(String, String)]) -> ProxySettings {
    let https = first(
        vars,
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
    );
    let http = first(vars, &["http_proxy", "all_proxy", "ALL_PROXY"]);
    let no_proxy = first(vars, &["no_proxy", "NO_PROXY"]);
    let name = https
        .or(http)
        .or(no_proxy)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| "*_proxy".to_string());
    let mut s = ProxySettings::new(ProxySource::Env(name));

    for (slot, found) in [(0, https), (1, http)] {
        let Some((var, value)) = found else { continue };
        match parse_proxy_url(value) {
            Ok(server) => {
                if var.eq_ignore_ascii_case("all_proxy") && server.scheme.starts_with("socks") {
                    s.socks = Some(server.clone());
                }
                if slot == 0 {
                    s.https = Some(server);
                } else {
                    s.http = Some(server);
                }
            }
            Err(e) => s.note(format!("{var}: {e}")),
        }
    }
    if let Some((_, list)) = no_proxy {
        s.bypass = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect();
    }

    let get = |n: &'static str| first(vars, &[n]).map(|(_, v)| v);
    // curl never reads upper-case HTTP_PROXY (httpoxy); the others do.
    if get("HTTP_PROXY").is_some() && get("http_proxy").is_none() {
        s.note(format!(
            "HTTP_PROXY={} is ignored by curl (it reads only lower-case http_proxy); Python, Go and Node use it for http:// URLs",
            redact_url(get("HTTP_PROXY").unwrap_or_default())
        ));
    }
    for (lower, upper) in [
        ("https_proxy", "HTTPS_PROXY"),
        ("http_proxy", "HTTP_PROXY"),
        ("no_proxy", "NO_PROXY"),
    ] {
        if let (Some(l), Some(u)) = (get(lower), get(upper))
            && l.trim() != u.trim()
        {
            s.note(format!(
                "{lower}={} and {upper}={} differ: curl, Python and Node use {lower}, Go uses {upper}",
                redact_url(l),
                redact_url(u)
            ));
        }
    }
    if get("https_proxy").is_none()
        && get("HTTPS_PROXY").is_none()
        && let Some((var, v)) = first(vars, &["all_proxy", "ALL_PROXY"])
    {
        s.note(format!(
            "{var}={} is the https proxy for curl and Node only: Go and Python's urllib ignore it (Python requests uses it)",
            redact_url(v)
        ));
    }
    s
}

/// What each convention decides for `https://<host>/` (port 443) under `no_proxy`:
/// `true` = bypassed (direct). All four are returned; callers report them when they differ.
pub fn no_proxy_verdicts(no_proxy: &str, host: &str) -> Vec<(Convention, bool)> {
    let host = normalize_host(host);
    vec![
        (Convention::Curl, curl_bypass(no_proxy, &host)),
        (Convention::Python, python_bypass(no_proxy, &host)),
        (Convention::Go, go_bypass(no_proxy, &host, 443)),
        (Convention::Node, node_bypass(no_proxy, &host, 443)),
    ]
}

/// A sentence for the report when the conventions disagree about `host`, else `None`.
pub fn no_proxy_note(no_proxy: &str, host: &str) -> Option<String> {
    let v = no_proxy_verdicts(no_proxy, host);
    if v.iter().all(|(_, b)| *b == v[0].1) {
        return None;
    }
    let list = |want: bool| {
        v.iter()
            .filter(|(_, b)| *b == want)
            .map(|(c, _)| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "no_proxy `{no_proxy}` for {host}: {} go direct, {} use the proxy",
        list(true),
        list(false)
    ))
}

/// What command-line tools that read `*_proxy` do for `https://<host>/` (curl's reading).
pub fn env_route(vars: &[(String, String)], host: &str) -> Route {
    parse_env(vars).route_for(host)
}

/// curl `Curl_check_noproxy`: the whole list equal to `*` bypasses all; tokens split on
/// blanks and commas; for names, a trailing and a leading dot are ignored and the token
/// matches the host or a domain containing it (`ample.com` matches `www.ample.com`, not
/// `www.example.com`); `*` has no other meaning, so `*.corp` matches nothing; for IP
/// literals, tokens are addresses or CIDR (7.86+) and names never match.
pub(super) fn curl_bypass(no_proxy: &str, host: &str) -> bool {
    if no_proxy == "*" {
        return true;
    }
    let ip = host_ip(host);
    let name = host.trim_end_matches('.');
    for token in no_proxy.split([',', ' ', '\t']) {
        if token.is_empty() {
            continue;
        }
        match ip {
            None => {
                let t = token.strip_suffix('.').unwrap_or(token);
                let t = t.strip_prefix('.').unwrap_or(t).to_ascii_lowercase();
                if t.is_empty() {
                    continue;
                }
                if name == t
                    || (name.len() > t.len()
                        && name.ends_with(&t)
                        && name.as_bytes()[name.len() - t.len() - 1] == b'.')
                {
                    return true;
                }
            }
            Some(ip) => {
                let (addr, bits) = match token.split_once('/') {
                    // atoi: garbage reads as 0; 0 means "whole address" (v4) / 128 (v6).
                    Some((a, b)) => (a, b.trim().parse::<u32>().unwrap_or(0)),
                    None => (token, 0),
                };
                let Ok(net) = addr.parse::<IpAddr>() else {
                    continue;
                };
                let full = if net.is_ipv4() { 32 } else { 128 };
                let bits = if bits == 0 { full } else { bits };
                if bits <= full
                    && let Ok(bits) = u8::try_from(bits)
                    && bypass::in_net(ip, net, bits)
                {
                    return true;
                }
            }
        }
    }
    false
}

/// Python `proxy_bypass_environment`: the whole value `*` bypasses all; entries split on `,`,
/// stripped, leading dots removed, lower-cased; match when the host equals the entry or ends
/// with `.entry`. No wildcards, no CIDR (requests adds CIDR for IPv4 literals).
fn python_bypass(no_proxy: &str, host: &str) -> bool {
    if no_proxy == "*" {
        return true;
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .any(|name| {
            let name = name.trim_start_matches('.').to_ascii_lowercase();
            host == name || host.ends_with(&format!(".{name}"))
        })
}

/// Go `httpproxy`: `localhost` and loopback IPs are never proxied; entries split on `,`,
/// trimmed, lower-cased; `*` bypasses all; CIDR and IP entries (optionally with a port) match
/// IP literals; `*.d` becomes `.d`; `.d` matches subdomains only; a bare `d` matches `d` and
/// its subdomains; a port in the entry must equal the URL's (443 for https).
fn go_bypass(no_proxy: &str, host: &str, port: u16) -> bool {
    let ip = host_ip(host);
    if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return true;
    }
    let port = port.to_string();
    for p in no_proxy.split(',') {
        let p = p.trim().to_ascii_lowercase();
        if p.is_empty() {
            continue;
        }
        if p == "*" {
            return true;
        }
        if let Some((net, bits)) = bypass::parse_cidr(&p, false) {
            if ip.is_some_and(|ip| bypass::in_net(ip, net, bits)) {
                return true;
            }
            continue;
        }
        let (phost, pport) = go_split_host_port(&p);
        if let Ok(pip) = phost.parse::<IpAddr>() {
            if ip == Some(pip) && (pport.is_empty() || pport == port) {
                return true;
            }
            continue;
        }
        if phost.is_empty() {
            continue;
        }
        let phost = phost
            .strip_prefix('*')
            .filter(|r| r.starts_with('.'))
            .unwrap_or(phost);
        let (suffix, match_host) = if phost.starts_with('.') {
            (phost.to_string(), false)
        } else {
            (format!(".{phost}"), true)
        };
        if (host.ends_with(&suffix) || (match_host && host == &suffix[1..]))
            && (pport.is_empty() || pport == port)
        {
            return true;
        }
    }
    false
}

/// Go `net.SplitHostPort` for the shapes `no_proxy` entries take; no port → whole entry.
fn go_split_host_port(p: &str) -> (&str, &str) {
    if let Some(after) = p.strip_prefix('[') {
        if let Some((h, tail)) = after.split_once(']')
            && let Some(port) = tail.strip_prefix(':')
        {
            return (h, port);
        }
        return (p, "");
    }
    match p.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') => (h, port),
        _ => (p, ""),
    }
}

/// Node `proxy-from-env` `shouldProxy`: the lower-cased whole value `*` bypasses all; entries
/// split on commas and whitespace; `name:port` only applies to that port; an entry not
/// starting with `.` or `*` must equal the host exactly (no subdomains); otherwise a leading
/// `*` is dropped and the host must end with the rest (`*example.com` also matches
/// `notexample.com`). No CIDR.
fn node_bypass(no_proxy: &str, host: &str, port: u16) -> bool {
    let list = no_proxy.to_ascii_lowercase();
    if list.is_empty() {
        return false;
    }
    if list == "*" {
        return true;
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    list.split(|c: char| c == ',' || c.is_whitespace())
        .any(|entry| {
            if entry.is_empty() {
                return false;
            }
            let (name, eport) = match entry.rsplit_once(':') {
                Some((n, p))
                    if !n.is_empty() && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    (n, p.parse::<u32>().unwrap_or(0))
                }
                _ => (entry, 0),
            };
            if eport != 0 && eport != u32::from(port) {
                return false;
            }
            if !name.starts_with(['.', '*']) {
                return host == name;
            }
            let name = name.strip_prefix('*').unwrap_or(name);
            host.ends_with(name)
        })
}
