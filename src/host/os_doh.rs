//! Windows OS-level DNS over HTTPS: `netsh dns show encryption` output.
//!
//! Windows upgrades a configured DNS server to DoH only when the server's IP has a DoH template
//! (built-in list: 1.1.1.1, 8.8.8.8, 9.9.9.9, ...; or added by an administrator) and
//! auto-upgrade or the adapter setting asks for it.

use crate::host::dns_config::command::{self, CommandError};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One server's encryption settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsDohEntry {
    /// The DNS server address the settings apply to.
    pub server: IpAddr,
    /// `DNS-over-HTTPS template`, when one is set.
    pub template: Option<String>,
    /// `Auto-upgrade`: Windows switches queries to this server to DoH by itself.
    pub auto_upgrade: Option<bool>,
    /// `UDP-fallback`: plain DNS is used when DoH fails.
    pub udp_fallback: Option<bool>,
}

/// What the Windows DoH collector found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsDoh {
    /// Servers with encryption settings.
    pub entries: Vec<OsDohEntry>,
    /// Why nothing could be read, or oddities.
    pub notes: Vec<String>,
}

impl OsDoh {
    /// The settings for `ip`, if Windows has any.
    pub fn entry_for(&self, ip: IpAddr) -> Option<&OsDohEntry> {
        self.entries.iter().find(|e| e.server == ip)
    }
}

fn yes_no(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "enabled" => Some(true),
        "no" | "false" | "disabled" => Some(false),
        _ => None,
    }
}

/// Parses `netsh dns show encryption` (English): blocks headed `Encryption settings for <ip>`
/// with `DNS-over-HTTPS template`, `Auto-upgrade` and `UDP-fallback` lines. Unknown lines and
/// blocks with an unparsable address are skipped.
pub fn parse_netsh_dns_encryption(text: &str) -> Vec<OsDohEntry> {
    let mut out: Vec<OsDohEntry> = Vec::new();
    let mut in_block = false;
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("Encryption settings for") {
            let addr = rest.trim().trim_end_matches(':');
            match addr.parse::<IpAddr>() {
                Ok(server) => {
                    out.push(OsDohEntry {
                        server,
                        template: None,
                        auto_upgrade: None,
                        udp_fallback: None,
                    });
                    in_block = true;
                }
                Err(_) => in_block = false,
            }
            continue;
        }
        if !in_block {
            continue;
        }
        // The value may be a URL: split at the first " : " / ":" after the key only.
        let Some((key, value)) = line.split_once(" :").or_else(|| line.split_once(':')) else {
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
        let Some(entry) = out.last_mut() else {
            continue;
        };
        if key.starts_with("dns-over-https template") || key == "dohtemplate" {
            entry.template = Some(value.to_string()).filter(|v| !v.is_empty());
        } else if key.starts_with("auto-upgrade") || key == "autoupgrade" {
            entry.auto_upgrade = yes_no(value);
        } else if key.starts_with("udp-fallback") || key == "udpfallback" {
            entry.udp_fallback = yes_no(value);
        }
    }
    out
}

/// Reads Windows' DoH settings with `netsh dns show encryption` (Windows 11 / Server 2022 and
/// later). On other systems, or when netsh lacks the command, returns notes only.
pub fn collect() -> OsDoh {
    let mut out = OsDoh::default();
    if !cfg!(target_os = "windows") {
        return out;
    }
    match command::run(
        "netsh",
        &["dns", "show", "encryption"],
        command::TOOL_TIMEOUT,
    ) {
        Ok(text) => {
            out.entries = parse_netsh_dns_encryption(&text);
            if out.entries.is_empty() {
                out.notes.push(
                    "netsh dns show encryption lists no server (Windows without OS DoH support?)"
                        .into(),
                );
            }
        }
        Err(CommandError::Failed { stderr, .. }) => out.notes.push(format!(
            "netsh dns show encryption failed (Windows without OS DoH support?): {stderr}"
        )),
        Err(e) => out.notes.push(e.to_string()),
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NETSH: &str =
        include_str!("../../tests/fixtures/host/windows/netsh-dns-show-encryption.txt");

    #[test]
    fn parses_netsh_encryption_fixture() {
        let got = parse_netsh_dns_encryption(NETSH);
        assert_eq!(
            got,
            vec![
                OsDohEntry {
                    server: "1.1.1.1".parse().unwrap(),
                    template: Some("https://cloudflare-dns.com/dns-query".into()),
                    auto_upgrade: Some(true),
                    udp_fallback: Some(false),
                },
                OsDohEntry {
                    server: "8.8.8.8".parse().unwrap(),
                    template: Some("https://dns.google/dns-query".into()),
                    auto_upgrade: Some(false),
                    udp_fallback: Some(false),
                },
                OsDohEntry {
                    server: "2620:fe::fe".parse().unwrap(),
                    template: Some("https://dns.quad9.net/dns-query".into()),
                    auto_upgrade: Some(false),
                    udp_fallback: Some(true),
                },
            ]
        );
        let doh = OsDoh {
            entries: got,
            notes: vec![],
        };
        assert!(doh.entry_for("1.1.1.1".parse().unwrap()).is_some());
        assert!(doh.entry_for("10.1.0.4".parse().unwrap()).is_none());
    }

    #[test]
    fn unsupported_or_garbage_gives_nothing() {
        assert!(
            parse_netsh_dns_encryption("The following command was not found: dns show encryption.")
                .is_empty()
        );
        assert!(
            parse_netsh_dns_encryption("Encryption settings for not-an-ip\nAuto-upgrade : yes\n")
                .is_empty()
        );
        assert!(parse_netsh_dns_encryption("").is_empty());
        let got = parse_netsh_dns_encryption(
            "Encryption settings for 9.9.9.9\nDNS-over-HTTPS template :\nAuto-upgrade : maybe\n",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].template, None);
        assert_eq!(got[0].auto_upgrade, None);
    }

    #[test]
    fn collect_off_windows_is_empty() {
        if !cfg!(target_os = "windows") {
            assert_eq!(collect(), OsDoh::default());
        }
    }
}
