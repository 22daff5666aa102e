//! Adapters from `GetAdaptersAddresses` (through the `ipconfig` crate): alias, description,
//! interface type (IANA ifType: 23 PPP, 131 tunnel, 24 loopback), operational state, addresses
//! with their on-link prefix length, DNS servers, and the per-adapter DNS suffix (from the
//! adapter's `Tcpip\Parameters\Interfaces\{GUID}` registry key). Nothing here depends on the
//! display language. The conversion to interfaces and DNS servers is pure and tested on
//! captured JSON; reading the table needs Windows.

use crate::host::dns_config::{DnsConfig, DnsServerEntry};
use crate::host::interfaces::{Interface, is_vpn_like};
use crate::host::ipnet_prefix::Prefix;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// IANA ifType of PPP adapters (Windows VPN connections, Azure VPN Client).
pub const IF_TYPE_PPP: u32 = 23;
/// IANA ifType of the software loopback.
pub const IF_TYPE_LOOPBACK: u32 = 24;
/// IANA ifType of tunnel pseudo adapters (Teredo, ISATAP, 6to4, IP-HTTPS).
pub const IF_TYPE_TUNNEL: u32 = 131;

/// One adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WinAdapter {
    /// Adapter name (`{GUID}`).
    pub guid: String,
    /// Friendly name / alias (`Wi-Fi`, `AzureVNet-ml-prod`).
    pub alias: String,
    /// Description (driver or connection name).
    pub description: String,
    /// IANA interface type.
    pub if_type: u32,
    /// Operational status is up.
    pub up: bool,
    /// Hardware address, lower-case and colon separated.
    pub mac: Option<String>,
    /// Unicast addresses with the on-link prefix length.
    pub addresses: Vec<Prefix>,
    /// DNS servers in order.
    pub dns_servers: Vec<IpAddr>,
    /// Connection-specific DNS suffix.
    pub dns_suffix: Option<String>,
    /// IPv6 interface index (scope id of link-local servers).
    pub ipv6_index: u32,
}

/// The adapter table plus the machine's suffix search list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WinAdapters {
    /// Adapters in the order Windows lists them.
    pub adapters: Vec<WinAdapter>,
    /// `Tcpip\Parameters\SearchList`.
    pub search_list: Vec<String>,
}

impl WinAdapters {
    /// Interfaces for the report and the VPN rules. PPP adapters (type 23) are VPN-like by
    /// type; tunnel pseudo adapters (type 131: Teredo, ISATAP) only when their name or
    /// description names a VPN (DirectAccess IP-HTTPS), else they are left out; the loopback
    /// is left out. Adapters that are not up keep no addresses, so they are never an active VPN.
    pub fn interfaces(&self) -> Vec<Interface> {
        let mut out = Vec::new();
        for a in &self.adapters {
            if a.if_type == IF_TYPE_LOOPBACK {
                continue;
            }
            let description = Some(a.description.clone()).filter(|d| !d.is_empty());
            let vpn_named = is_vpn_like(&a.alias, description.as_deref()).is_some();
            if a.if_type == IF_TYPE_TUNNEL && !vpn_named {
                continue;
            }
            let addresses = if a.up {
                a.addresses.iter().map(|p| p.addr).collect()
            } else {
                Vec::new()
            };
            let mut iface = Interface::new(a.alias.clone(), description, addresses);
            iface.mac = a.mac.clone();
            iface.if_type = Some(a.if_type);
            iface.up = Some(a.up);
            iface.prefixes = if a.up {
                a.addresses.clone()
            } else {
                Vec::new()
            };
            if a.if_type == IF_TYPE_PPP && !iface.vpn_like {
                iface.vpn_like = true;
                iface.vpn_hint = Some("Windows PPP adapter (ifType 23, VPN connection)".into());
            }
            out.push(iface);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// DNS servers of the adapters that are up (used for every name, like `ipconfig /all`
    /// shows them; the IPv6 site-local placeholders `fec0:0:0:ffff::1..3` are skipped with a
    /// note), their suffixes and the search list.
    pub fn dns_config(&self) -> DnsConfig {
        let mut cfg = DnsConfig::default();
        for d in &self.search_list {
            cfg.push_search(d);
        }
        for a in self.adapters.iter().filter(|a| a.up) {
            if let Some(s) = &a.dns_suffix {
                cfg.push_search(s);
            }
            let source = format!("adapter {}", a.alias);
            let mut placeholders = Vec::new();
            for ip in &a.dns_servers {
                if is_site_local_placeholder(ip) {
                    placeholders.push(ip.to_string());
                    continue;
                }
                let mut addr = SocketAddr::new(*ip, crate::host::dns_config::DNS_PORT);
                if let SocketAddr::V6(v6) = &mut addr
                    && (v6.ip().segments()[0] & 0xffc0) == 0xfe80
                {
                    v6.set_scope_id(a.ipv6_index);
                }
                cfg.push_server(
                    DnsServerEntry::new(addr, source.clone()).with_interface(Some(a.alias.clone())),
                );
            }
            if !placeholders.is_empty() {
                cfg.note(format!(
                    "{source}: skipped the IPv6 site-local placeholder servers {} (Windows lists them when no IPv6 DNS server is configured; they rarely answer)",
                    placeholders.join(", ")
                ));
            }
        }
        cfg
    }
}

/// `fec0:0:0:ffff::1`, `::2`, `::3`.
fn is_site_local_placeholder(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            s[..7] == [0xfec0, 0, 0, 0xffff, 0, 0, 0] && (1..=3).contains(&s[7])
        }
        IpAddr::V4(_) => false,
    }
}

/// The on-link prefix length of `addr` from an adapter's prefix list: the longest prefix
/// that contains it and is not a host route (`/32`, `/128`) or multicast; host length when
/// none.
pub fn prefix_len_of(addr: IpAddr, prefixes: &[(IpAddr, u32)]) -> u8 {
    let host = if addr.is_ipv4() { 32 } else { 128 };
    prefixes
        .iter()
        .filter_map(|(net, len)| {
            let len = u8::try_from(*len).ok()?;
            let p = Prefix { addr: *net, len };
            (len < host && !net.is_multicast() && p.contains(addr)).then_some(len)
        })
        .max()
        .unwrap_or(host)
}

/// Reads the adapter table (Windows only).
#[cfg(windows)]
pub fn read() -> Result<WinAdapters, String> {
    let list = ipconfig::get_adapters().map_err(|e| format!("GetAdaptersAddresses: {e}"))?;
    let mut out = WinAdapters {
        search_list: ipconfig::computer::get_search_list()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect(),
        adapters: Vec::new(),
    };
    for a in list {
        let mac = a
            .physical_address()
            .filter(|m| m.len() == 6 && m.iter().any(|b| *b != 0))
            .map(|m| {
                m.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            });
        let addresses = a
            .ip_addresses()
            .iter()
            .map(|ip| Prefix {
                addr: *ip,
                len: prefix_len_of(*ip, a.prefixes()),
            })
            .collect();
        out.adapters.push(WinAdapter {
            guid: a.adapter_name().to_string(),
            alias: a.friendly_name().to_string(),
            description: a.description().to_string(),
            if_type: a.if_type() as u32,
            up: a.oper_status() == ipconfig::OperStatus::IfOperStatusUp,
            mac,
            addresses,
            dns_servers: a.dns_servers().to_vec(),
            dns_suffix: adapter_suffix(a.adapter_name()),
            ipv6_index: a.ipv6_if_index(),
        });
    }
    Ok(out)
}

/// The connection-specific suffix of an adapter: `Domain` (set by hand) or `DhcpDomain`.
#[cfg(windows)]
fn adapter_suffix(guid: &str) -> Option<String> {
    if guid.is_empty() || guid.contains(['\\', '/']) {
        return None;
    }
    let key = windows_registry::LOCAL_MACHINE
        .open(format!(
            r"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{guid}"
        ))
        .ok()?;
    ["Domain", "DhcpDomain"]
        .iter()
        .filter_map(|v| key.get_string(v).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
}

/// Reads the adapter table (Windows only).
#[cfg(not(windows))]
pub fn read() -> Result<WinAdapters, String> {
    Err("GetAdaptersAddresses is only available on Windows".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CAPTURE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/host/windows/adapters-vpn.json"
    ));

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn interfaces_from_captured_table() {
        let t: WinAdapters = serde_json::from_str(CAPTURE).unwrap();
        let list = t.interfaces();
        let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
        // Loopback and Teredo left out; sorted by name.
        assert_eq!(
            names,
            ["AzureVNet-ml-prod", "Ethernet 2", "Ethernet 3", "WLAN"]
        );
        let ppp = &list[0];
        assert!(ppp.is_active_vpn());
        assert_eq!(ppp.if_type, Some(IF_TYPE_PPP));
        assert_eq!(
            ppp.vpn_hint.as_deref(),
            Some("Windows PPP adapter (ifType 23, VPN connection)")
        );
        assert_eq!(ppp.prefixes[0].len, 32);
        // A GlobalProtect adapter that is down: VPN-like, no addresses, not active.
        let gp = &list[2];
        assert!(gp.vpn_like);
        assert_eq!(gp.up, Some(false));
        assert!(gp.addresses.is_empty());
        assert!(!gp.is_active_vpn());
        let wlan = &list[3];
        assert_eq!(wlan.mac.as_deref(), Some("3c:f0:11:8d:52:a7"));
        assert!(wlan.has_address(ip("192.168.178.34")));
        assert_eq!(wlan.prefixes[1].len, 24);
        assert!(!wlan.vpn_like);
    }

    #[test]
    fn dns_from_captured_table() {
        let t: WinAdapters = serde_json::from_str(CAPTURE).unwrap();
        let cfg = t.dns_config();
        let servers: Vec<(String, &str)> = cfg
            .servers
            .iter()
            .map(|s| (s.addr.to_string(), s.source.as_str()))
            .collect();
        assert_eq!(
            servers,
            [
                (
                    "[fe80::ca0e:14ff:fe2b:1c4e%18]:53".to_string(),
                    "adapter WLAN"
                ),
                ("192.168.178.1:53".to_string(), "adapter WLAN"),
                ("10.1.0.4:53".to_string(), "adapter AzureVNet-ml-prod"),
                ("10.1.0.5:53".to_string(), "adapter AzureVNet-ml-prod"),
            ]
        );
        // The suffix of the adapter that is down is not searched.
        assert_eq!(cfg.search, ["corp.contoso.de", "contoso.de", "fritz.box"]);
        assert_eq!(cfg.notes.len(), 1);
        assert!(cfg.notes[0].contains("fec0:0:0:ffff::1"), "{:?}", cfg.notes);
    }

    #[test]
    fn prefix_length_from_prefix_list() {
        let prefixes = [
            (ip("192.168.178.0"), 24),
            (ip("192.168.178.34"), 32),
            (ip("192.168.178.255"), 32),
            (ip("224.0.0.0"), 4),
            (ip("255.255.255.255"), 32),
        ];
        assert_eq!(prefix_len_of(ip("192.168.178.34"), &prefixes), 24);
        assert_eq!(prefix_len_of(ip("172.16.201.3"), &prefixes), 32);
        assert_eq!(prefix_len_of(ip("fe80::1"), &[(ip("fe80::"), 64)]), 64);
    }

    #[cfg(windows)]
    #[test]
    fn read_lists_this_machines_adapters() {
        let t = read().unwrap();
        for a in &t.adapters {
            assert!(!a.guid.is_empty());
            for p in &a.addresses {
                assert!(p.len <= if p.addr.is_ipv4() { 32 } else { 128 });
            }
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn read_fails_off_windows() {
        let e = read().unwrap_err();
        assert!(e.contains("only available on Windows"), "{e}");
    }
}
