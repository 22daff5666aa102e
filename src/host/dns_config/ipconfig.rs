//! Windows `ipconfig /all` output, in any display language (the fallback when
//! `GetAdaptersAddresses` cannot be asked).
//!
//! Labels are translated (`DNS Servers`, `DNS-Server`, `Serveurs DNS`, `DNS サーバー`) and
//! French puts a space before the colon, so the parser leans on what does not change:
//! - a section header is a line that is not indented and ends with `:`; the adapter's alias is
//!   what follows the type words (`Ethernet adapter`, `Ethernet-Adapter`, `Carte Ethernet`,
//!   `イーサネット アダプター`);
//! - a field is `label . . . : value` (the first `:` followed by a space or the line's end);
//!   more deeply indented lines continue the previous field's value;
//! - the adapter's own addresses are the ones followed by a state in brackets
//!   (`(Preferred)`, `(Bevorzugt)`, `(préféré)`, `(優先)`);
//! - DNS servers are the field whose label contains `DNS` and whose value is an address
//!   (the suffix fields also say `DNS` but hold names);
//! - the hardware address is the value shaped like six hex pairs.
//!
//! Every connected adapter's DNS servers are used for all names; the deprecated IPv6
//! site-local defaults `fec0:0:0:ffff::1..3` are skipped with a note. Suffixes go to the search
//! list. NRPT rules (which `ipconfig` does not show) come from [`crate::host::nrpt`].

use super::addr::{is_windows_site_local_default, parse_server};
use super::{DnsConfig, DnsServerEntry};
use std::net::IpAddr;

/// What kind of adapter a section header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterKind {
    /// Ethernet (and Bluetooth PAN, Hyper-V vEthernet...).
    Ethernet,
    /// Wireless LAN.
    Wireless,
    /// PPP: Windows' own VPN connections and the Azure VPN Client.
    Ppp,
    /// Tunnel pseudo adapters (Teredo, ISATAP, 6to4, IP-HTTPS).
    Tunnel,
    /// A header the parser does not know.
    Other,
}

/// One adapter section of `ipconfig /all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpconfigAdapter {
    /// The alias (`Wi-Fi`, `AzureVNet-ml-prod`, `WLAN`).
    pub name: String,
    /// The type the header names.
    pub kind: AdapterKind,
    /// The `Description` field (the second field after the suffix in every language).
    pub description: Option<String>,
    /// Hardware address, lower-case and colon separated.
    pub mac: Option<String>,
    /// Own addresses (IPv6 without zone).
    pub addresses: Vec<IpAddr>,
    /// DNS server values as printed (with `%zone`).
    pub dns_servers: Vec<String>,
    /// Connection-specific DNS suffix and suffix search list.
    pub suffixes: Vec<String>,
}

impl IpconfigAdapter {
    /// Connected: it has an address or a DNS server (a disconnected adapter prints only its
    /// media state, suffix, description and hardware address).
    pub fn connected(&self) -> bool {
        !self.addresses.is_empty() || !self.dns_servers.is_empty()
    }
}

/// All of `ipconfig /all`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpconfigAll {
    /// The global `DNS Suffix Search List` (and primary suffix).
    pub search: Vec<String>,
    /// Adapters in the order printed.
    pub adapters: Vec<IpconfigAdapter>,
    /// Whether any line looked like a section header or field.
    pub recognised: bool,
}

/// Header words that precede the alias, per language, with the kind they mean. Matched
/// case-insensitively against the start of the header; the longest match wins.
const HEADER_PREFIXES: &[(&str, AdapterKind)] = &[
    // English.
    ("ethernet adapter ", AdapterKind::Ethernet),
    ("wireless lan adapter ", AdapterKind::Wireless),
    ("ppp adapter ", AdapterKind::Ppp),
    ("tunnel adapter ", AdapterKind::Tunnel),
    ("unknown adapter ", AdapterKind::Other),
    // German.
    ("ethernet-adapter ", AdapterKind::Ethernet),
    ("drahtlos-lan-adapter ", AdapterKind::Wireless),
    ("ppp-adapter ", AdapterKind::Ppp),
    ("tunneladapter ", AdapterKind::Tunnel),
    ("tunnel-adapter ", AdapterKind::Tunnel),
    ("unbekannter adapter ", AdapterKind::Other),
    // French.
    ("carte ethernet ", AdapterKind::Ethernet),
    ("carte réseau sans fil ", AdapterKind::Wireless),
    ("carte ppp ", AdapterKind::Ppp),
    ("carte tunnel ", AdapterKind::Tunnel),
    ("carte inconnue ", AdapterKind::Other),
    // Japanese.
    ("イーサネット アダプター ", AdapterKind::Ethernet),
    ("wireless lan アダプター ", AdapterKind::Wireless),
    ("ワイヤレス lan アダプター ", AdapterKind::Wireless),
    ("ppp アダプター ", AdapterKind::Ppp),
    ("トンネル アダプター ", AdapterKind::Tunnel),
    ("不明なアダプター ", AdapterKind::Other),
];

/// Splits a section header into kind and alias. Known type words first; otherwise anything
/// up to an `adapter`/`アダプター` word; otherwise the whole header is the alias.
fn split_header(header: &str) -> (AdapterKind, String) {
    let h = header.trim().trim_end_matches([':', '：']).trim_end();
    let lower = h.to_lowercase();
    if let Some((prefix, kind)) = HEADER_PREFIXES
        .iter()
        .filter(|(p, _)| lower.starts_with(p))
        .max_by_key(|(p, _)| p.len())
    {
        // Lower-casing kept the character count, so cut the original by characters.
        let skip = prefix.chars().count();
        return (
            *kind,
            h.chars().skip(skip).collect::<String>().trim().into(),
        );
    }
    for word in ["adapter ", "アダプター ", "アダプタ "] {
        if let Some(i) = lower.find(word) {
            let kind = if lower[..i].contains("ppp") {
                AdapterKind::Ppp
            } else {
                AdapterKind::Other
            };
            // `i` indexes the lower-cased text; ASCII words keep byte offsets the same only
            // when everything before is ASCII, so cut by characters.
            let skip = lower[..i].chars().count() + word.chars().count();
            return (kind, h.chars().skip(skip).collect::<String>().trim().into());
        }
    }
    (AdapterKind::Other, h.to_string())
}

/// Splits `   DNS Servers . . . . : 10.0.0.1` (also `Adresse IPv4. . .: x` and
/// `Verbindungsspezifisches DNS-Suffix: x`) at the first `:` followed by a space or the end
/// of the line. The label loses its dot leader.
fn split_field(line: &str) -> Option<(String, String)> {
    let mut search = 0;
    while let Some(rel) = line[search..].find([':', '：']) {
        let i = search + rel;
        let colon_len = line[i..].chars().next().map_or(1, char::len_utf8);
        let after = &line[i + colon_len..];
        if after.is_empty() || after.starts_with([' ', '\t']) {
            let label = line[..i].trim().trim_end_matches(['.', ' ']).trim();
            if label.is_empty() {
                return None;
            }
            return Some((label.to_string(), after.trim().to_string()));
        }
        search = i + colon_len;
    }
    None
}

/// An address as `ipconfig` prints it, with the bracketed state it carries (if any):
/// `10.0.0.5(Preferred)` → (10.0.0.5, true); `fe80::1%12` → (fe80::1, false).
fn addr_with_state(value: &str) -> Option<(IpAddr, bool)> {
    let v = value.trim();
    let (addr, has_state) = match v.split_once('(') {
        Some((a, _)) => (a.trim(), true),
        None => (v, false),
    };
    let addr = addr.split('%').next().unwrap_or(addr);
    addr.parse().ok().map(|ip| (ip, has_state))
}

/// `8C-16-45-2A-7B-91` → `8c:16:45:2a:7b:91`; anything else (a DUID, empty, all zero) → None.
pub fn normalize_mac(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.trim().split(['-', ':']).collect();
    let valid = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    (valid && parts.iter().any(|p| *p != "00")).then(|| parts.join(":").to_ascii_lowercase())
}

/// Field lines are indented a few spaces; continuation lines sit under the value column.
const CONTINUATION_INDENT: usize = 10;

/// Which field a continuation line extends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    None,
    Addresses,
    Dns,
    Suffixes,
    GlobalSearch,
}

/// Parses `ipconfig /all` (any language) into adapters and the global search list.
pub fn parse_ipconfig_adapters(text: &str) -> IpconfigAll {
    let mut out = IpconfigAll::default();
    let mut seen_title = false;
    let mut last = Last::None;
    // Field index within the current section (0 = first field).
    let mut field_no = 0usize;
    let mut first_label_is_dns = false;
    for raw in text.lines() {
        let line = raw.trim_end_matches(['\r', ' ', '\t']);
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            last = Last::None;
            let ends_colon = line.ends_with(':') || line.ends_with('：');
            if !ends_colon {
                // The "Windows IP Configuration" title (any language).
                seen_title = true;
                continue;
            }
            let (kind, name) = split_header(line);
            out.recognised = true;
            out.adapters.push(IpconfigAdapter {
                name,
                kind,
                description: None,
                mac: None,
                addresses: Vec::new(),
                dns_servers: Vec::new(),
                suffixes: Vec::new(),
            });
            field_no = 0;
            first_label_is_dns = false;
            continue;
        }
        let adapter = out.adapters.last_mut();
        if indent >= CONTINUATION_INDENT || split_field(line).is_none() {
            let value = line.trim();
            match (last, adapter) {
                (Last::Addresses, Some(a)) => {
                    if let Some((ip, _)) = addr_with_state(value)
                        && !a.addresses.contains(&ip)
                    {
                        a.addresses.push(ip);
                    }
                }
                (Last::Dns, Some(a)) => a.dns_servers.push(value.to_string()),
                (Last::Suffixes, Some(a)) => a.suffixes.push(value.to_string()),
                (Last::GlobalSearch, _) => out.search.push(value.to_string()),
                _ => {}
            }
            continue;
        }
        let Some((label, value)) = split_field(line) else {
            continue;
        };
        out.recognised |= seen_title;
        let label_dns = label.to_ascii_lowercase().contains("dns");
        let value_addr = addr_with_state(&value);
        let Some(a) = adapter else {
            // Global section: the primary suffix and the suffix search list.
            last = if label_dns && value_addr.is_none() {
                if !value.is_empty() {
                    out.search.push(value.clone());
                }
                Last::GlobalSearch
            } else {
                Last::None
            };
            continue;
        };
        if field_no == 0 {
            first_label_is_dns = label_dns;
        }
        field_no += 1;
        last = Last::None;
        match value_addr {
            Some((ip, true)) => {
                if !a.addresses.contains(&ip) {
                    a.addresses.push(ip);
                }
                last = Last::Addresses;
            }
            Some((_, false)) if label_dns => {
                a.dns_servers.push(value.clone());
                last = Last::Dns;
            }
            Some(_) => {}
            None if label_dns => {
                if !value.is_empty() {
                    a.suffixes.push(value.clone());
                }
                last = Last::Suffixes;
            }
            None => {
                if let Some(mac) = normalize_mac(&value) {
                    a.mac = Some(mac);
                } else if a.description.is_none()
                    && !value.is_empty()
                    && description_position(field_no, first_label_is_dns)
                {
                    a.description = Some(value.clone());
                }
            }
        }
    }
    out
}

/// The description is the field right after the connection-specific suffix: the second
/// field of a connected adapter, the third of a disconnected one (which starts with its
/// media state).
fn description_position(field_no: usize, first_label_is_dns: bool) -> bool {
    if first_label_is_dns {
        field_no == 2
    } else {
        field_no == 3
    }
}

/// Parses `ipconfig /all` output into a DNS configuration. Sources are
/// `ipconfig <adapter name>`.
pub fn parse_ipconfig_all(text: &str) -> DnsConfig {
    let parsed = parse_ipconfig_adapters(text);
    let mut cfg = DnsConfig::default();
    for d in &parsed.search {
        cfg.push_search(d);
    }
    for a in parsed.adapters.iter().filter(|a| a.connected()) {
        for d in &a.suffixes {
            cfg.push_search(d);
        }
        let source = format!("ipconfig {}", a.name);
        let mut site_local = Vec::new();
        for token in &a.dns_servers {
            let Some(server) = parse_server(token) else {
                cfg.note(format!(
                    "{source}: `{token}` is not a server address; skipped"
                ));
                continue;
            };
            if is_windows_site_local_default(&server.addr.ip()) {
                site_local.push(token.clone());
                continue;
            }
            cfg.push_server(
                DnsServerEntry::new(server.addr, source.clone())
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
    if parsed.adapters.is_empty() && !text.trim().is_empty() {
        cfg.note("ipconfig /all output not recognised (no adapter section)");
    } else if parsed.adapters.iter().any(IpconfigAdapter::connected)
        && parsed.adapters.iter().all(|a| a.dns_servers.is_empty())
    {
        cfg.note("ipconfig /all lists no DNS server for any connected adapter");
    }
    cfg
}
