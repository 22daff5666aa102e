//! Bypass-list matching, each source with its own rules.
//!
//! - WinINET `ProxyOverride` as Edge/Chrome read it (Chromium `ProxyBypassRules`, default
//!   format): `;` list, `*` wildcards anywhere, case-insensitive, an entry without wildcard is
//!   that host only, a leading `.` means `*.`, `<local>` = names without a dot (not IP
//!   literals), optional `scheme://` and `:port`, CIDR for IP literals, and loopback /
//!   link-local never proxied unless `<-loopback>` is listed.
//! - macOS `ExceptionsList`: the same glob reading (CFNetwork and Chromium), plus abbreviated
//!   networks such as `169.254/16`; `ExcludeSimpleHostnames` arrives as `<local>`.
//! - GNOME `ignore-hosts` (GLib `GSimpleProxyResolver`): `example.com`, `.example.com` and
//!   `*.example.com` all match the domain and its subdomains; IP addresses and CIDR ranges
//!   only match IP literals; an entry with a port only matches URLs that name that port
//!   explicitly, so never `https://host/`.
//! - KDE `NoProxyFor`: suffix match on the text (KIO's `revmatch`, Chromium's
//!   `kHostnameSuffixMatching`), so `corp.example` also matches `notcorp.example`; a leading
//!   `*` is dropped; IP/CIDR for IP literals; `ReversedException` inverts the list.
//! - Environment `no_proxy`: curl's rules (see `env`).

use super::{ProxySettings, ProxySource, env, host_ip};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The bypass entry (or implicit rule) that sends `host` (normalised) direct, with its
/// explanation, or `None` when the proxy is used.
pub(super) fn matches(s: &ProxySettings, host: &str, port: u16) -> Option<String> {
    match &s.source {
        ProxySource::WinInet | ProxySource::WinHttp | ProxySource::MacScutil => glob_rules(
            &s.bypass,
            host,
            port,
            matches!(s.source, ProxySource::MacScutil),
        ),
        ProxySource::Gnome => gnome(&s.bypass, host),
        ProxySource::Kde => match (kde(&s.bypass, host), s.bypass_reversed) {
            (hit, false) => hit,
            (Some(_), true) => None,
            (None, true) => Some(
                "host not listed in NoProxyFor (ReversedException: only listed hosts use the proxy)"
                    .to_string(),
            ),
        },
        ProxySource::Env(_) => {
            let list = s.bypass.join(",");
            env::curl_bypass(&list, host).then(|| format!("no_proxy `{list}` (curl's reading)"))
        }
        ProxySource::Flag => None,
    }
}

/// Case-insensitive glob with `*` only (linear backtracking on the last star).
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Parses `10.0.0.0/8`, `fe80::/10`, and (when `abbreviated`) `169.254/16`, `10/8`.
pub(super) fn parse_cidr(entry: &str, abbreviated: bool) -> Option<(IpAddr, u8)> {
    let (addr, bits) = entry.split_once('/')?;
    let bits: u8 = bits.trim().parse().ok()?;
    let addr = addr.trim().trim_start_matches('[').trim_end_matches(']');
    let ip = match addr.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) if abbreviated && !addr.contains(':') => {
            let mut octets = [0u8; 4];
            let parts: Vec<&str> = addr.split('.').collect();
            if parts.is_empty() || parts.len() > 4 {
                return None;
            }
            for (i, p) in parts.iter().enumerate() {
                octets[i] = p.parse().ok()?;
            }
            IpAddr::V4(Ipv4Addr::from(octets))
        }
        Err(_) => return None,
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// `ip` is inside `net/bits`.
pub(super) fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

/// Loopback and link-local destinations Chromium never proxies (its implicit bypass rules:
/// `localhost`, `*.localhost`, `127.0.0.1/8`, `[::1]`, `169.254/16`, `[fe80::]/10`).
fn implicit_bypass(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host_ip(host) {
        Some(IpAddr::V4(v4)) => v4.is_loopback() || v4.is_link_local(),
        Some(IpAddr::V6(v6)) => {
            v6.is_loopback()
                || in_net(
                    IpAddr::V6(v6),
                    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)),
                    10,
                )
        }
        None => false,
    }
}

/// Splits `[scheme://]host[:port]` (IPv6 in brackets) into scheme, host pattern and port.
fn split_rule(entry: &str) -> (Option<&str>, &str, Option<u16>) {
    let (scheme, rest) = match entry.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, entry),
    };
    if let Some(after) = rest.strip_prefix('[') {
        if let Some((h, tail)) = after.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (scheme, h, port);
        }
        return (scheme, rest, None);
    }
    match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse::<u16>() {
            Ok(port) => (scheme, h, Some(port)),
            Err(_) => (scheme, rest, None),
        },
        _ => (scheme, rest, None),
    }
}

/// Windows / macOS glob rules (Chromium's reading of the OS list).
fn glob_rules(entries: &[String], host: &str, port: u16, abbreviated_cidr: bool) -> Option<String> {
    let ip = host_ip(host);
    let no_loopback = entries
        .iter()
        .any(|e| e.trim().eq_ignore_ascii_case("<-loopback>"));
    if !no_loopback && implicit_bypass(host) {
        return Some("loopback / link-local destination (never proxied)".to_string());
    }
    for raw in entries {
        let e = raw.trim();
        if e.is_empty() || e.eq_ignore_ascii_case("<-loopback>") {
            continue;
        }
        if e.eq_ignore_ascii_case("<local>") {
            if ip.is_none() && !host.contains('.') {
                return Some(format!("bypass entry `{e}` (plain host name)"));
            }
            continue;
        }
        if e.contains('/') && !e.contains("://") {
            if let (Some(ip), Some((net, bits))) = (ip, parse_cidr(e, abbreviated_cidr))
                && in_net(ip, net, bits)
            {
                return Some(format!("bypass entry `{e}`"));
            }
            continue;
        }
        let (scheme, pattern, rule_port) = split_rule(e);
        if scheme.is_some_and(|s| !s.eq_ignore_ascii_case("https")) {
            continue;
        }
        if rule_port.is_some_and(|p| p != port) {
            continue;
        }
        let pattern = match pattern.strip_prefix('.') {
            Some(rest) => format!("*.{rest}"),
            None => pattern.to_string(),
        };
        let pattern = pattern.trim_end_matches('.');
        if glob(pattern, host) {
            return Some(format!("bypass entry `{e}`"));
        }
    }
    None
}

/// GLib `GSimpleProxyResolver` ignore-hosts.
fn gnome(entries: &[String], host: &str) -> Option<String> {
    let ip = host_ip(host);
    for raw in entries {
        let e = raw.trim();
        if e.is_empty() {
            continue;
        }
        if let Some((net, bits)) = parse_cidr(e, false) {
            if ip.is_some_and(|ip| in_net(ip, net, bits)) {
                return Some(format!("ignore-hosts entry `{e}`"));
            }
            continue;
        }
        if let Ok(entry_ip) = e
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            if ip == Some(entry_ip) {
                return Some(format!("ignore-hosts entry `{e}`"));
            }
            continue;
        }
        let (_, name, rule_port) = split_rule(e);
        if rule_port.is_some() || ip.is_some() {
            // A port entry only matches URLs that name the port; names never match literals.
            continue;
        }
        let name = name
            .strip_prefix("*.")
            .or_else(|| name.strip_prefix('.'))
            .unwrap_or(name)
            .to_ascii_lowercase();
        if !name.is_empty() && (host == name || host.ends_with(&format!(".{name}"))) {
            return Some(format!("ignore-hosts entry `{e}`"));
        }
    }
    None
}

/// KDE NoProxyFor (suffix match on the text; IP/CIDR for IP literals).
fn kde(entries: &[String], host: &str) -> Option<String> {
    let ip = host_ip(host);
    for raw in entries {
        let e = raw.trim();
        if e.is_empty() {
            continue;
        }
        if e.eq_ignore_ascii_case("<local>") {
            if ip.is_none() && !host.contains('.') {
                return Some(format!("NoProxyFor entry `{e}` (plain host name)"));
            }
            continue;
        }
        if let Some((net, bits)) = parse_cidr(e, false) {
            if ip.is_some_and(|ip| in_net(ip, net, bits)) {
                return Some(format!("NoProxyFor entry `{e}`"));
            }
            continue;
        }
        let suffix = e.trim_start_matches('*').to_ascii_lowercase();
        if !suffix.is_empty() && host.ends_with(&suffix) {
            return Some(format!("NoProxyFor entry `{e}`"));
        }
    }
    None
}
