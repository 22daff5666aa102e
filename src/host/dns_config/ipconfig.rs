//! Windows `ipconfig /all` output (English).
//!
//! Every connected adapter's "DNS Servers" (with their continuation lines) are used for all
//! names; adapters with "Media disconnected" are skipped; the deprecated IPv6 site-local
//! defaults `fec0:0:0:ffff::1..3` are skipped with a note. Suffixes go to the search list.
//! NRPT rules (which `ipconfig` does not show) come from [`crate::host::nrpt`].

use super::addr::{is_windows_site_local_default, parse_server};
use super::{DnsConfig, DnsServerEntry};

#[derive(Debug, Default)]
struct Adapter {
    name: String,
    fields: Vec<(String, Vec<String>)>,
}

impl Adapter {
    fn get(&self, key: &str) -> Option<&[String]> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }
}

/// Splits `   DNS Servers . . . . : 10.0.0.1` into key and value. The separator is the first
/// ` :` followed by a space or the end of the line (IPv6 values never have a space before a
/// colon).
fn split_key(line: &str) -> Option<(String, String)> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b' '
            && bytes[i + 1] == b':'
            && (i + 2 == bytes.len() || bytes[i + 2] == b' ')
        {
            let key = line[..i].trim().trim_end_matches(['.', ' ']).trim();
            if key.is_empty() {
                return None;
            }
            let value = line[i + 2..].trim();
            return Some((key.to_string(), value.to_string()));
        }
        i += 1;
    }
    None
}

/// Parses `ipconfig /all` output. Sources are `ipconfig <adapter name>`.
pub fn parse_ipconfig_all(text: &str) -> DnsConfig {
    let mut cfg = DnsConfig::default();
    let mut global = Adapter::default();
    let mut adapters: Vec<Adapter> = Vec::new();
    let mut in_adapter = false;

    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            // Header: "Ethernet adapter Ethernet:", "PPP adapter Contoso VPN:", or the
            // "Windows IP Configuration" title.
            if let Some((_, name)) = line.split_once(" adapter ") {
                adapters.push(Adapter {
                    name: name.trim().trim_end_matches(':').trim().to_string(),
                    fields: Vec::new(),
                });
                in_adapter = true;
            }
            continue;
        }
        let target = if in_adapter {
            match adapters.last_mut() {
                Some(a) => a,
                None => &mut global,
            }
        } else {
            &mut global
        };
        if let Some((key, value)) = split_key(line) {
            let values = if value.is_empty() {
                Vec::new()
            } else {
                vec![value]
            };
            target.fields.push((key, values));
        } else if let Some((_, values)) = target.fields.last_mut() {
            values.push(line.trim().to_string());
        }
    }

    for d in global.get("DNS Suffix Search List").unwrap_or(&[]) {
        cfg.push_search(d);
    }

    let mut saw_dns_key = false;
    for a in &adapters {
        let disconnected = a.get("Media State").is_some_and(|v| {
            v.iter()
                .any(|s| s.to_ascii_lowercase().contains("disconnected"))
        });
        if disconnected {
            continue;
        }
        for d in a.get("Connection-specific DNS Suffix").unwrap_or(&[]) {
            cfg.push_search(d);
        }
        for d in a
            .get("Connection-specific DNS Suffix Search List")
            .unwrap_or(&[])
        {
            cfg.push_search(d);
        }
        let Some(servers) = a.get("DNS Servers") else {
            continue;
        };
        saw_dns_key = true;
        let source = format!("ipconfig {}", a.name);
        let mut site_local = Vec::new();
        for token in servers {
            let Some(parsed) = parse_server(token) else {
                cfg.note(format!(
                    "{source}: `{token}` is not a server address; skipped"
                ));
                continue;
            };
            if is_windows_site_local_default(&parsed.addr.ip()) {
                site_local.push(token.clone());
                continue;
            }
            cfg.push_server(
                DnsServerEntry::new(parsed.addr, source.clone())
                    .with_interface(Some(a.name.clone())),
            );
        }
        if !site_local.is_empty() {
            cfg.note(format!(
                "{source}: skipped the IPv6 site-local placeholder servers {} (Windows lists them when no IPv6 DNS server is configured; they rarely answer)",
                site_local.join(", ")
            ));
        }
    }

    if adapters.is_empty() && !text.trim().is_empty() {
        cfg.note("ipconfig /all output not recognised (no adapter section)");
    } else if !adapters.is_empty() && !saw_dns_key && cfg.servers.is_empty() {
        let connected = adapters.iter().any(|a| a.get("Media State").is_none());
        if connected {
            cfg.note(
                "ipconfig /all shows no \"DNS Servers\" line (non-English Windows?); no adapter server read",
            );
        }
    }
    cfg
}
