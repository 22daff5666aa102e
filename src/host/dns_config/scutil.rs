//! macOS `scutil --dns` output.
//!
//! The "DNS configuration" list holds the default resolver (the first one without `domain`)
//! and supplemental resolvers (`domain : corp.example`), which is where VPN clients put
//! split DNS. Resolvers from "DNS configuration (for scoped queries)" serve only queries bound
//! to one interface; their servers are listed (so pe-doctor can ask them) but never routed to.
//! mDNS resolvers (`options : mdns`) have no unicast server and are skipped.

use super::addr::{is_link_local_v6, parse_server};
use super::{DnsConfig, DnsServerEntry};
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Main,
    Scoped,
    Other,
}

#[derive(Debug)]
struct Resolver {
    part: Part,
    number: String,
    domain: Option<String>,
    search: Vec<String>,
    nameservers: Vec<String>,
    port: Option<u16>,
    if_index: Option<(u32, String)>,
    options: Option<String>,
}

/// Parses `14 (en0)`.
fn parse_if_index(value: &str) -> Option<(u32, String)> {
    let (index, rest) = value.split_once(' ').unwrap_or((value, ""));
    let index = index.trim().parse().ok()?;
    let name = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or("")
        .to_string();
    Some((index, name))
}

fn split_resolvers(text: &str, cfg: &mut DnsConfig) -> Vec<Resolver> {
    let mut part = Part::Other;
    let mut out: Vec<Resolver> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("DNS configuration") {
            let rest = rest.trim();
            part = if rest.is_empty() {
                Part::Main
            } else if rest.contains("scoped") {
                Part::Scoped
            } else {
                Part::Other
            };
            continue;
        }
        if let Some(number) = line.strip_prefix("resolver #") {
            out.push(Resolver {
                part,
                number: number.trim().to_string(),
                domain: None,
                search: Vec::new(),
                nameservers: Vec::new(),
                port: None,
                if_index: None,
                options: None,
            });
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            // Old releases print reachability as a bare "Reachable" / "Not Reachable" line.
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let Some(r) = out.last_mut() else {
            continue;
        };
        if key == "domain" {
            r.domain = Some(value.to_string()).filter(|v| !v.is_empty());
        } else if key.starts_with("search domain") {
            r.search.push(value.to_string());
        } else if key.starts_with("nameserver") {
            r.nameservers.push(value.to_string());
        } else if key == "port" {
            match value.parse() {
                Ok(p) => r.port = Some(p),
                Err(_) => cfg.note(format!("scutil resolver #{}: bad port `{value}`", r.number)),
            }
        } else if key == "if_index" {
            r.if_index = parse_if_index(value);
        } else if key == "options" {
            r.options = Some(value.to_string());
        }
    }
    out
}

/// Parses `scutil --dns` output. Sources are `scutil resolver #N` and
/// `scutil scoped resolver #N`; the default resolver's search domains are the search list.
pub fn parse_scutil_dns(text: &str) -> DnsConfig {
    let mut cfg = DnsConfig::default();
    let resolvers = split_resolvers(text, &mut cfg);
    let mut have_default = false;

    for r in resolvers.iter().filter(|r| r.part == Part::Main) {
        if r.nameservers.is_empty() {
            continue; // mDNS or empty placeholder
        }
        if r.options.as_deref().is_some_and(|o| o.contains("mdns")) {
            continue;
        }
        let source = format!("scutil resolver #{}", r.number);
        let entry_shape: (Vec<String>, bool) = match &r.domain {
            Some(domain) => (vec![domain.clone()], false),
            None if !have_default => {
                have_default = true;
                for s in &r.search {
                    cfg.push_search(s);
                }
                (Vec::new(), true)
            }
            None => {
                cfg.note(format!(
                    "{source} has no domain and is not the default resolver; listed but not routed"
                ));
                (Vec::new(), false)
            }
        };
        push_servers(&mut cfg, r, &source, &entry_shape.0, entry_shape.1);
    }

    for r in resolvers.iter().filter(|r| r.part == Part::Scoped) {
        let source = format!("scutil scoped resolver #{}", r.number);
        let ifname = r.if_index.as_ref().map(|(_, n)| n.as_str()).unwrap_or("?");
        let before = cfg.servers.len();
        let known: Vec<SocketAddr> = cfg.servers.iter().map(|s| s.addr).collect();
        let mut fresh = DnsConfig::default();
        push_servers(&mut fresh, r, &source, &[], false);
        for s in fresh.servers {
            if !known
                .iter()
                .any(|k| k.ip() == s.addr.ip() && k.port() == s.addr.port())
            {
                cfg.push_server(s);
            }
        }
        cfg.notes.extend(fresh.notes);
        if cfg.servers.len() > before {
            let added: Vec<String> = cfg.servers[before..]
                .iter()
                .map(|s| s.addr.ip().to_string())
                .collect();
            cfg.note(format!(
                "{source} ({ifname}): {} used only for queries bound to {ifname}",
                added.join(", ")
            ));
        }
    }

    if resolvers.iter().any(|r| r.part == Part::Other) {
        cfg.note("scutil lists resolvers in a section pe-doctor does not know; they are skipped");
    }
    if resolvers.is_empty() && !text.trim().is_empty() {
        cfg.note("scutil --dns output not recognised (no resolver)");
    } else if !have_default {
        cfg.note("scutil --dns shows no default resolver (no network, or all names are routed)");
    }
    cfg
}

fn push_servers(
    cfg: &mut DnsConfig,
    r: &Resolver,
    source: &str,
    domains: &[String],
    default_route: bool,
) {
    let interface = r
        .if_index
        .as_ref()
        .map(|(_, n)| n.clone())
        .filter(|n| !n.is_empty());
    for token in &r.nameservers {
        let Some(parsed) = parse_server(token) else {
            cfg.note(format!(
                "{source}: `{token}` is not a server address; skipped"
            ));
            continue;
        };
        let mut addr = parsed.addr;
        if let Some(port) = r.port {
            addr.set_port(port);
        }
        let mut entry_if = interface.clone();
        if let SocketAddr::V6(v6) = &mut addr
            && is_link_local_v6(v6.ip())
            && v6.scope_id() == 0
        {
            // `fe80::1%en0`: the scope names the interface; take its index from if_index
            // when both agree (or when the resolver names only one interface).
            if let Some((index, name)) = &r.if_index
                && parsed.scope.as_deref().is_none_or(|s| s == name)
            {
                v6.set_scope_id(*index);
            }
            if parsed.scope.is_some() && entry_if.is_none() {
                entry_if = parsed.scope.clone();
            }
        }
        cfg.push_server(
            DnsServerEntry::new(addr, source)
                .with_interface(entry_if)
                .with_domains(domains, default_route),
        );
    }
}
