//! `resolvectl status` (and the older `systemd-resolve --status`) output.
//!
//! Handles the systemd 237-245 layout (`DefaultRoute setting: yes`, one value per continuation
//! line, padded lines) and the 246+ layout (`Protocols: +DefaultRoute ...`, `Default Route:`,
//! servers on one wrapped line, `addr:port%ifindex#name`).
//!
//! Routing follows systemd-resolved: every domain of a link (search or `~routing`) routes
//! matching names to it; `~.` routes all names; a link is also used for unmatched names when
//! it is a default route. Links without a DNS scope are not used.

use super::addr::{is_link_local_v6, parse_server};
use super::{DnsConfig, DnsServerEntry};
use std::net::SocketAddr;

/// A `Global` or `Link N (name)` block.
#[derive(Debug, Default)]
struct Section {
    header: String,
    link: Option<(u32, String)>,
    fields: Vec<(String, Vec<String>)>,
}

impl Section {
    fn get(&self, key: &str) -> Option<&[String]> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }
}

/// Splits `Key words: value` into key and value; `None` for continuation lines and IPv6
/// addresses (the key has letters, spaces, dots and dashes only, and the colon is followed by
/// whitespace or the end of the line).
fn split_key(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let key = key.trim();
    let first = key.chars().next()?;
    if !first.is_ascii_alphabetic()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '.' || c == '-' || c == '/')
    {
        return None;
    }
    if !(value.is_empty() || value.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, value.trim()))
}

/// Parses `Link 3 (wg0)`.
fn parse_link_header(line: &str) -> Option<(u32, String)> {
    let rest = line.strip_prefix("Link ")?;
    let (index, name) = rest.split_once(' ')?;
    let index = index.parse().ok()?;
    let name = name.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some((index, name.to_string()))
}

fn split_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if let Some((key, value)) = split_key(line) {
            let Some(section) = sections.last_mut() else {
                // Fields before any header: treat as global (some wrappers drop the header).
                sections.push(Section {
                    header: "Global".into(),
                    ..Section::default()
                });
                if let Some(s) = sections.last_mut() {
                    s.fields.push((key.to_string(), tokens(value)));
                }
                continue;
            };
            section.fields.push((key.to_string(), tokens(value)));
        } else if !line.starts_with([' ', '\t']) {
            sections.push(Section {
                header: line.trim().to_string(),
                link: parse_link_header(line.trim()),
                fields: Vec::new(),
            });
        } else if let Some((_, values)) = sections.last_mut().and_then(|s| s.fields.last_mut()) {
            values.extend(tokens(line));
        }
    }
    sections
}

fn tokens(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn yes_no(v: &[String]) -> Option<bool> {
    match v.first().map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("yes") | Some("true") => Some(true),
        Some("no") | Some("false") => Some(false),
        _ => None,
    }
}

/// Parses `resolvectl status` output. Servers get sources `systemd-resolved global` or
/// `systemd-resolved link 3 (wg0)`; domains become routing domains, non-`~` ones also the
/// search list. Fallback servers are used only when nothing else is configured.
pub fn parse_resolvectl_status(text: &str) -> DnsConfig {
    let mut cfg = DnsConfig::default();
    let mut fallback: Vec<String> = Vec::new();
    let sections = split_sections(text);
    let mut recognised = false;

    for section in &sections {
        let is_global = section.header.eq_ignore_ascii_case("Global");
        if !is_global && section.link.is_none() {
            if section.fields.iter().any(|(k, _)| k.contains("DNS Server")) {
                cfg.note(format!(
                    "resolvectl section `{}` not understood; its servers are not listed",
                    section.header
                ));
            }
            continue;
        }
        recognised = true;
        if is_global && let Some(f) = section.get("Fallback DNS Servers") {
            fallback.extend(f.iter().cloned());
        }

        let (source, interface, link_index) = match &section.link {
            Some((index, name)) => (
                format!("systemd-resolved link {index} ({name})"),
                Some(name.clone()),
                Some(*index),
            ),
            None => ("systemd-resolved global".to_string(), None, None),
        };

        let mut server_tokens: Vec<String> = section
            .get("DNS Servers")
            .or_else(|| section.get("DNS Server"))
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        if let Some(current) = section.get("Current DNS Server") {
            for c in current {
                if !server_tokens.contains(c) {
                    server_tokens.insert(0, c.clone());
                }
            }
        }
        let domains: Vec<String> = section
            .get("DNS Domain")
            .or_else(|| section.get("DNS Domains"))
            .map(<[String]>::to_vec)
            .unwrap_or_default();

        // A link without a DNS scope does not take part in unicast DNS.
        if let Some(scopes) = section.get("Current Scopes")
            && !scopes.iter().any(|s| s == "DNS")
        {
            if !server_tokens.is_empty() {
                cfg.note(format!(
                    "{source}: has DNS servers but no DNS scope (link down or unmanaged); not used"
                ));
            }
            continue;
        }

        let default_route = if is_global {
            true
        } else {
            explicit_default_route(section).unwrap_or_else(|| {
                // systemd < 240: a link without routing-only domains, or with `~.`, gets
                // every name.
                domains.iter().any(|d| d == "~.") || !domains.iter().any(|d| d.starts_with('~'))
            })
        };

        for d in &domains {
            if !d.starts_with('~') {
                cfg.push_search(d);
            }
        }
        if server_tokens.is_empty() {
            continue;
        }
        if domains.is_empty() && !default_route {
            cfg.note(format!(
                "{source}: not a default route and no DNS domain; its servers get no queries"
            ));
            continue;
        }
        for token in &server_tokens {
            let Some(parsed) = parse_server(token) else {
                cfg.note(format!(
                    "{source}: `{token}` is not a server address; skipped"
                ));
                continue;
            };
            let mut addr = parsed.addr;
            // A link-local server listed under a link belongs to that link.
            if let (SocketAddr::V6(v6), Some(index)) = (&mut addr, link_index)
                && v6.scope_id() == 0
                && is_link_local_v6(v6.ip())
            {
                v6.set_scope_id(index);
            }
            cfg.push_server(
                DnsServerEntry::new(addr, source.clone())
                    .with_interface(interface.clone())
                    .with_domains(&domains, default_route),
            );
        }
    }

    if cfg.servers.is_empty() && !fallback.is_empty() {
        cfg.note(
            "systemd-resolved has no configured DNS server; it uses its compiled-in fallback servers",
        );
        for token in &fallback {
            if let Some(parsed) = parse_server(token) {
                cfg.push_server(DnsServerEntry::new(
                    parsed.addr,
                    "systemd-resolved fallback",
                ));
            }
        }
    }
    if !recognised && !text.trim().is_empty() {
        cfg.note("resolvectl output not recognised (no Global or Link section)");
    }
    cfg
}

/// `Default Route: yes` (systemd 257+), `DefaultRoute setting: yes` (240-245) or the
/// `+DefaultRoute` / `-DefaultRoute` protocol flag (246+).
fn explicit_default_route(section: &Section) -> Option<bool> {
    if let Some(v) = section.get("Default Route").and_then(yes_no) {
        return Some(v);
    }
    if let Some(v) = section.get("DefaultRoute setting").and_then(yes_no) {
        return Some(v);
    }
    let protocols = section.get("Protocols")?;
    protocols.iter().find_map(|p| match p.as_str() {
        "+DefaultRoute" => Some(true),
        "-DefaultRoute" => Some(false),
        _ => None,
    })
}
