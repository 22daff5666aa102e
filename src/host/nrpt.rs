//! Windows Name Resolution Policy Table: `Get-DnsClientNrptPolicy | Format-List` output.
//!
//! Azure VPN Client (and DirectAccess, and group policy) put per-namespace DNS servers into
//! the NRPT, which `ipconfig /all` does not show. A rule's namespaces route matching names to
//! its servers ahead of every adapter.

use crate::host::dns_config::{DnsConfig, DnsServerEntry};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// One NRPT rule as PowerShell lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NrptRule {
    /// Namespaces as written: `.azureml.ms` (suffix), `host.corp.example` (one name), `.` (all).
    pub namespace: Vec<String>,
    /// DNS servers for the namespace (`NameServers`, plus `DirectAccessDnsServers` when
    /// DirectAccess is enabled for the rule).
    pub name_servers: Vec<IpAddr>,
    /// DNS-over-HTTPS for these servers, when the output has such a field (current Windows
    /// builds print none: then `None`).
    pub doh: Option<bool>,
    /// `DnsSecValidationRequired`.
    pub dnssec_validation_required: Option<bool>,
    /// `DirectAccessEnabled`.
    pub direct_access_enabled: Option<bool>,
    /// A list ended in `...`: PowerShell truncated it (`$FormatEnumerationLimit`).
    pub truncated: bool,
    /// Values that were not addresses.
    pub invalid: Vec<String>,
}

/// Splits `Key   : value` (PowerShell list format: the key is one word).
fn split_key(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let key = key.trim_end();
    if key.is_empty()
        || key.starts_with([' ', '\t'])
        || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    Some((key, value.trim()))
}

/// Splits `{a, b, c...}` or `a` into items; the flag tells whether the list was truncated.
fn list(value: &str) -> (Vec<String>, bool) {
    let v = value.trim();
    let v = v.strip_prefix('{').unwrap_or(v);
    let v = v.strip_suffix('}').unwrap_or(v).trim();
    let (v, truncated) = match v.strip_suffix("...") {
        Some(rest) => (rest, true),
        None => (v, false),
    };
    let items = v
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (items, truncated)
}

fn bool_value(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Parses `Get-DnsClientNrptPolicy | Format-List` (or `Get-DnsClientNrptRule`) output into
/// rules. Records are separated by blank lines or start at `Namespace`; wrapped values are
/// joined. Never fails: unknown lines are ignored.
pub fn parse_nrpt_policy(text: &str) -> Vec<NrptRule> {
    // Gather records of (key, value) with continuation lines joined.
    let mut records: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                records.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some((key, value)) = split_key(line) {
            if key.eq_ignore_ascii_case("Namespace") && !current.is_empty() {
                records.push(std::mem::take(&mut current));
            }
            current.push((key.to_string(), value.to_string()));
        } else if line.starts_with([' ', '\t'])
            && let Some((_, value)) = current.last_mut()
        {
            let more = line.trim();
            if value.ends_with(',') {
                value.push(' ');
            }
            value.push_str(more);
        }
    }
    if !current.is_empty() {
        records.push(current);
    }

    let mut rules = Vec::new();
    for record in records {
        let get = |k: &str| {
            record
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let Some(namespace) = get("Namespace") else {
            continue;
        };
        let (namespace, _) = list(namespace);
        if namespace.is_empty() {
            continue;
        }
        let mut rule = NrptRule {
            namespace,
            dnssec_validation_required: get("DnsSecValidationRequired").and_then(bool_value),
            direct_access_enabled: get("DirectAccessEnabled").and_then(bool_value),
            ..NrptRule::default()
        };
        let mut server_values = vec![get("NameServers").unwrap_or("")];
        if rule.direct_access_enabled == Some(true) {
            server_values.push(get("DirectAccessDnsServers").unwrap_or(""));
        }
        for value in server_values {
            let (items, truncated) = list(value);
            rule.truncated |= truncated;
            for item in items {
                match item.parse::<IpAddr>() {
                    Ok(ip) if !rule.name_servers.contains(&ip) => rule.name_servers.push(ip),
                    Ok(_) => {}
                    Err(_) => rule.invalid.push(item),
                }
            }
        }
        rule.doh = record
            .iter()
            .find(|(k, _)| {
                let k = k.to_ascii_lowercase();
                k.contains("doh") || k.contains("dnsoverhttps")
            })
            .and_then(|(_, v)| bool_value(v));
        rules.push(rule);
    }
    rules
}

/// Adds NRPT rules to a configuration: each rule with servers becomes entries whose domains
/// are its namespaces (`NRPT .azureml.ms` source, never a default route); rules without
/// servers, truncated lists and bad values become notes. A namespace without a leading dot
/// names one host; it is matched like a suffix here (its subdomains too), a slight
/// over-approximation.
pub fn add_nrpt_rules(rules: &[NrptRule], cfg: &mut DnsConfig) {
    for rule in rules {
        let label = rule.namespace.join(", ");
        let source = format!("NRPT {label}");
        if !rule.invalid.is_empty() {
            cfg.note(format!(
                "{source}: `{}` not server addresses; skipped",
                rule.invalid.join(", ")
            ));
        }
        if rule.truncated {
            cfg.note(format!(
                "{source}: the server list was truncated by PowerShell; later servers are missing"
            ));
        }
        if rule.name_servers.is_empty() {
            cfg.note(format!(
                "{source}: rule has no DNS servers (exemption or DNSSEC-only rule); names under it use the adapters' servers"
            ));
            continue;
        }
        if rule.doh == Some(true) {
            cfg.note(format!("{source}: rule asks for DNS over HTTPS"));
        }
        for ip in &rule.name_servers {
            cfg.push_server(
                DnsServerEntry::new(
                    SocketAddr::new(*ip, crate::host::dns_config::DNS_PORT),
                    source.clone(),
                )
                .with_domains(&rule.namespace, false),
            );
        }
    }
}
