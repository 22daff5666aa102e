//! `/etc/resolv.conf` (and systemd-resolved's uplink copy), parsed with the `resolv-conf` crate.
//!
//! Lines glibc would ignore (bad addresses such as `127.0.0.1:5353`, unknown options) are
//! skipped with a note, like glibc does; only a text with no recognisable line is an error.

use super::{DNS_PORT, DnsConfig, DnsConfigError, DnsServerEntry};
use resolv_conf::ScopedIp;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

/// glibc's MAXNS: only the first three nameservers are used by glibc's stub resolver.
const GLIBC_MAXNS: usize = 3;

/// Parses resolv.conf text. Servers get source `resolv.conf`, port 53 and no routing domain;
/// `search`/`domain` (the last one wins, like glibc) become the search list.
pub fn parse_resolv_conf(text: &str) -> Result<DnsConfig, DnsConfigError> {
    parse_resolv_conf_labelled(text, "resolv.conf")
}

/// [`parse_resolv_conf`] with a caller-chosen source label.
pub(crate) fn parse_resolv_conf_labelled(
    text: &str,
    source: &str,
) -> Result<DnsConfig, DnsConfigError> {
    let (parsed, errors) = resolv_conf::Config::parse_with_errors(text.as_bytes());

    // Which lines carry a directive (not blank, not a comment)?
    let directive_lines: BTreeSet<usize> = text
        .split('\n')
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start_matches([' ', '\t']);
            !t.trim().is_empty() && !t.starts_with('#') && !t.starts_with(';')
        })
        .map(|(i, _)| i)
        .collect();
    let error_lines: BTreeSet<usize> = errors.iter().filter_map(error_line).collect();
    if !directive_lines.is_empty() && directive_lines.is_subset(&error_lines) {
        let message = errors
            .first()
            .map(|e| describe(e, text))
            .unwrap_or_else(|| "no directive recognised".to_string());
        return Err(DnsConfigError::NotResolvConf { message });
    }

    let mut cfg = DnsConfig::default();
    for e in &errors {
        cfg.note(format!(
            "{}; ignored (glibc ignores it too)",
            describe(e, text)
        ));
    }
    for ns in &parsed.nameservers {
        let (addr, interface) = to_socket_addr(ns);
        cfg.push_server(DnsServerEntry::new(addr, source).with_interface(interface));
    }
    if parsed.nameservers.len() > GLIBC_MAXNS {
        let extra: Vec<String> = parsed.nameservers[GLIBC_MAXNS..]
            .iter()
            .map(ToString::to_string)
            .collect();
        cfg.note(format!(
            "{source} lists {} nameservers; glibc uses only the first {GLIBC_MAXNS} (not {})",
            parsed.nameservers.len(),
            extra.join(", ")
        ));
    }
    for d in parsed.get_last_search_or_domain() {
        cfg.push_search(d);
    }
    Ok(cfg)
}

/// Converts a resolv.conf address; a named IPv6 scope goes to `interface`, a numeric one to the
/// scope id.
fn to_socket_addr(ip: &ScopedIp) -> (SocketAddr, Option<String>) {
    match ip {
        ScopedIp::V4(v4) => (SocketAddr::new(IpAddr::V4(*v4), DNS_PORT), None),
        ScopedIp::V6(v6, scope) => {
            let numeric = scope.as_deref().and_then(|s| s.parse::<u32>().ok());
            let addr = SocketAddr::V6(SocketAddrV6::new(*v6, DNS_PORT, 0, numeric.unwrap_or(0)));
            let interface = match numeric {
                Some(_) => None,
                None => scope.clone(),
            };
            (addr, interface)
        }
    }
}

/// The 0-based line an error refers to.
fn error_line(e: &resolv_conf::ParseError) -> Option<usize> {
    use resolv_conf::ParseError as E;
    match e {
        E::InvalidUtf8(l, _)
        | E::InvalidValue(l)
        | E::InvalidOptionValue(l)
        | E::InvalidOption(l)
        | E::InvalidDirective(l)
        | E::InvalidIp(l, _)
        | E::ExtraData(l) => Some(*l),
    }
}

/// "line N: `text`: what is wrong", with a 1-based line number.
fn describe(e: &resolv_conf::ParseError, text: &str) -> String {
    use resolv_conf::ParseError as E;
    let what = match e {
        E::InvalidUtf8(..) => "not UTF-8",
        E::InvalidValue(_) => "missing or bad value",
        E::InvalidOptionValue(_) => "bad option value",
        E::InvalidOption(_) => "unknown option",
        E::InvalidDirective(_) => "unknown directive",
        E::InvalidIp(..) => "not an IP address (resolv.conf takes no port)",
        E::ExtraData(_) => "extra data at end of line",
    };
    match error_line(e) {
        Some(l) => {
            let line: String = text
                .split('\n')
                .nth(l)
                .unwrap_or("")
                .trim()
                .chars()
                .take(80)
                .collect();
            format!("line {}: `{line}`: {what}", l + 1)
        }
        None => what.to_string(),
    }
}
