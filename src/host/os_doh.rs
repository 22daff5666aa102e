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

/// `yes`/`no` in the languages `netsh` speaks here (English, German, French, Japanese).
fn yes_no(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "true" | "enabled" | "ja" | "oui" | "はい" | "sí" | "si" => Some(true),
        "no" | "false" | "disabled" | "nein" | "non" | "いいえ" => Some(false),
        _ => None,
    }
}

/// Splits `key : value` at the first colon followed by a space or the end of the line
/// (colons inside IPv6 addresses and URLs are followed by neither).
fn split_field(line: &str) -> Option<(&str, &str)> {
    let mut from = 0;
    while let Some(rel) = line[from..].find([':', '：']) {
        let i = from + rel;
        let len = line[i..].chars().next().map_or(1, char::len_utf8);
        let after = &line[i + len..];
        if after.is_empty() || after.starts_with([' ', '\t']) {
            return Some((line[..i].trim(), after.trim()));
        }
        from = i + len;
    }
    None
}

/// The server a block header names: the one token that is an address
/// (`Encryption settings for 1.1.1.1`, `1.1.1.1 の暗号化設定`).
fn header_server(line: &str) -> Option<IpAddr> {
    line.split_whitespace()
        .filter_map(|t| t.trim_end_matches([':', '：']).parse::<IpAddr>().ok())
        .next()
}

/// Parses `netsh dns show encryption` in any display language: a block starts at a line
/// naming one server address (`Encryption settings for 1.1.1.1`, `Verschlüsselungseinstellungen
/// für 1.1.1.1`, `1.1.1.1 の暗号化設定`); its `key : value` lines come in a fixed order —
/// DoH template, auto-upgrade, UDP fallback — so they are read by position, and yes/no is
/// understood in English, German, French and Japanese. Blocks whose header has no address
/// are skipped.
pub fn parse_netsh_dns_encryption(text: &str) -> Vec<OsDohEntry> {
    let mut out: Vec<OsDohEntry> = Vec::new();
    let mut in_block = false;
    let mut field = 0usize;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with("---") {
            continue;
        }
        let Some((_, value)) = split_field(line) else {
            match header_server(line) {
                Some(server) => {
                    out.push(OsDohEntry {
                        server,
                        template: None,
                        auto_upgrade: None,
                        udp_fallback: None,
                    });
                    in_block = true;
                    field = 0;
                }
                None => in_block = false,
            }
            continue;
        };
        let Some(entry) = out.last_mut().filter(|_| in_block) else {
            continue;
        };
        match field {
            0 => {
                entry.template = Some(value.to_string()).filter(|v| v.contains("://"));
            }
            1 => entry.auto_upgrade = yes_no(value),
            2 => entry.udp_fallback = yes_no(value),
            _ => {}
        }
        field += 1;
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

    /// The same settings captured in German, French and Japanese, in their code pages.
    #[test]
    fn parses_localised_captures() {
        use crate::host::windows::codepage::decode_console;
        let fixtures: [(&[u8], u16); 3] = [
            (
                include_bytes!(
                    "../../tests/fixtures/host/windows/netsh-dns-show-encryption-de-cp850.txt"
                ),
                850,
            ),
            (
                include_bytes!(
                    "../../tests/fixtures/host/windows/netsh-dns-show-encryption-fr-cp850.txt"
                ),
                850,
            ),
            (
                include_bytes!(
                    "../../tests/fixtures/host/windows/netsh-dns-show-encryption-ja-cp932.txt"
                ),
                932,
            ),
        ];
        for (bytes, cp) in fixtures {
            let got = parse_netsh_dns_encryption(&decode_console(bytes, cp));
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
                        server: "2620:fe::fe".parse().unwrap(),
                        template: Some("https://dns.quad9.net/dns-query".into()),
                        auto_upgrade: Some(false),
                        udp_fallback: Some(true),
                    },
                    OsDohEntry {
                        server: "9.9.9.9".parse().unwrap(),
                        template: None,
                        auto_upgrade: Some(false),
                        udp_fallback: Some(false),
                    },
                ],
                "code page {cp}"
            );
        }
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
