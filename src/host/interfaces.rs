//! Network interfaces and their addresses, and which of them look like a VPN.
//!
//! Interfaces come from sysinfo (name, addresses, MAC). On Windows sysinfo skips adapters
//! without a hardware address — exactly the PPP adapters Windows' own VPN client and the Azure
//! VPN Client create — so the collector also parses `ipconfig /all`, which lists them with
//! their description (`Cisco AnyConnect ... Virtual Miniport Adapter`, `WireGuard Tunnel`).
//!
//! A name or description that looks like a VPN ([`is_vpn_like`]) only says the adapter exists:
//! macOS always has a few `utun` interfaces (iCloud, Continuity) carrying nothing but
//! link-local IPv6, and disconnected VPN adapters stay installed on Windows.
//! [`Interface::is_active_vpn`] is the stricter test used for reports.

use crate::host::dns_config::command::{self, CommandError};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::Path;

/// One network interface of this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// OS name: `wg0`, `utun3`, `en0`; on Windows the alias (`Wi-Fi`, `AzureVNet-ml-prod`).
    pub name: String,
    /// Adapter description when the OS has one (Windows `ipconfig /all`).
    pub description: Option<String>,
    /// Addresses (IPv6 without zone id).
    pub addresses: Vec<IpAddr>,
    /// Hardware address, lower-case and colon separated; `None` when the interface has none.
    pub mac: Option<String>,
    /// The name, description or adapter type looks like a VPN.
    pub vpn_like: bool,
    /// Why it looks like a VPN: `name tun0 (TUN tunnel)`, `description "WireGuard Tunnel"
    /// (WireGuard)`, `Windows PPP adapter (VPN connection)`.
    pub vpn_hint: Option<String>,
    /// IANA interface type when the OS says (Windows: 23 PPP, 131 tunnel, 6 Ethernet, 71 Wi-Fi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_type: Option<u32>,
    /// Operational state when the OS says (`false`: down, disconnected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up: Option<bool>,
    /// Addresses with their on-link prefix length, when the OS says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<crate::host::ipnet_prefix::Prefix>,
}

impl Interface {
    /// An interface with the VPN classification derived from its name and description.
    pub fn new(
        name: impl Into<String>,
        description: Option<String>,
        addresses: Vec<IpAddr>,
    ) -> Self {
        let name = name.into();
        let vpn_hint = is_vpn_like(&name, description.as_deref());
        Self {
            name,
            description,
            addresses,
            mac: None,
            vpn_like: vpn_hint.is_some(),
            vpn_hint,
            if_type: None,
            up: None,
            prefixes: Vec::new(),
        }
    }

    /// VPN-like and carrying at least one address that is not link-local (IPv4 169.254/16,
    /// IPv6 fe80::/10): a tunnel that is up and can carry traffic to a VNet.
    pub fn is_active_vpn(&self) -> bool {
        self.vpn_like && self.up != Some(false) && self.addresses.iter().any(|a| !is_link_local(a))
    }

    /// Whether `ip` is one of this interface's addresses.
    pub fn has_address(&self, ip: IpAddr) -> bool {
        self.addresses.contains(&ip)
    }
}

/// Interfaces plus what the collector could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceScan {
    /// Interfaces sorted by name.
    pub interfaces: Vec<Interface>,
    /// Tools that failed, sources that were skipped.
    pub notes: Vec<String>,
}

/// IPv4 169.254.0.0/16 or IPv6 fe80::/10.
pub fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// Interface-name prefixes of tunnel drivers and VPN clients. A prefix matches when the name
/// continues with nothing, a digit, `-` or `_` (so `tun0` matches but the IP-in-IP fallback
/// device `tunl0` does not).
const NAME_PREFIXES: &[(&str, &str)] = &[
    ("utun", "macOS utun tunnel"),
    ("tun", "TUN tunnel"),
    ("tap", "TAP tunnel"),
    ("ppp", "PPP link"),
    ("wg", "WireGuard"),
    ("ipsec", "IPsec"),
    ("vti", "IPsec VTI"),
    ("xfrm", "IPsec XFRM"),
    ("gpd", "GlobalProtect"),
    ("cscotun", "Cisco AnyConnect"),
    ("tailscale", "Tailscale"),
    ("nordlynx", "NordLynx"),
    ("vpn", "VPN"),
];

/// Case-insensitive substrings of adapter names and descriptions of VPN clients, most
/// specific first (real Windows adapter descriptions in the comments).
const VENDOR_MARKERS: &[(&str, &str)] = &[
    ("azure vpn", "Azure VPN Client"),
    // "WAN Miniport (IKEv2)", "WAN Miniport (SSTP)": Windows' built-in VPN.
    ("wan miniport", "Windows built-in VPN (WAN Miniport)"),
    // "Fortinet SSL VPN Virtual Ethernet Adapter", "Fortinet Virtual Ethernet Adapter (NDIS 6.30)".
    ("fortinet", "Fortinet FortiClient"),
    ("forticlient", "Fortinet FortiClient"),
    // "PANGP Virtual Ethernet Adapter Secure".
    ("pangp", "Palo Alto GlobalProtect"),
    ("globalprotect", "Palo Alto GlobalProtect"),
    // "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter for Windows x64".
    ("anyconnect", "Cisco AnyConnect"),
    ("cisco secure client", "Cisco Secure Client"),
    // "TAP-Windows Adapter V9", "OpenVPN Data Channel Offload", "Wintun Userspace Tunnel".
    ("openvpn", "OpenVPN"),
    ("tap-windows", "OpenVPN TAP-Windows"),
    ("wintun", "Wintun tunnel (WireGuard / OpenVPN)"),
    // "WireGuard Tunnel".
    ("wireguard", "WireGuard"),
    // "Zscaler Network Adapter 1.0.2.0".
    ("zscaler", "Zscaler Client Connector"),
    // "NordLynx Tunnel", "TAP-NordVPN Windows Adapter V9".
    ("nordlynx", "NordLynx"),
    ("nordvpn", "NordVPN"),
    // "Juniper Networks Virtual Adapter", Pulse Secure / Ivanti Secure Access.
    ("juniper", "Juniper / Pulse Secure"),
    ("pulse secure", "Juniper / Pulse Secure"),
    ("ivanti", "Ivanti Secure Access"),
    // "Check Point Virtual Network Adapter For Endpoint VPN Client".
    ("check point", "Check Point Endpoint VPN"),
    ("sonicwall", "SonicWall"),
    ("f5 networks", "F5 BIG-IP Edge Client"),
    // "Tailscale Tunnel".
    ("tailscale", "Tailscale"),
    // "Cloudflare WARP Interface Tunnel".
    ("cloudflare warp", "Cloudflare WARP"),
    // DirectAccess: "Tunnel adapter iphttpsinterface".
    ("iphttps", "DirectAccess IP-HTTPS"),
    ("vpn", "VPN"),
];

/// Whether an interface looks like a VPN from its name (`tun*`, `tap*`, `utun*`, `ppp*`,
/// `wg*`, `ipsec*`, `gpd*`, `cscotun*`, ...) or its name or description naming a VPN client
/// (Azure VPN, WAN Miniport, Fortinet, PANGP, Cisco AnyConnect, OpenVPN, WireGuard, Zscaler,
/// NordLynx, ...). Returns why, e.g. `name tun0 (TUN tunnel)`.
pub fn is_vpn_like(name: &str, description: Option<&str>) -> Option<String> {
    let lower = name.trim().to_ascii_lowercase();
    for (prefix, what) in NAME_PREFIXES {
        if let Some(rest) = lower.strip_prefix(prefix)
            && rest
                .chars()
                .next()
                .is_none_or(|c| c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Some(format!("name {} ({what})", name.trim()));
        }
    }
    if let Some(desc) = description.map(str::trim).filter(|d| !d.is_empty()) {
        let d = desc.to_ascii_lowercase();
        if let Some((_, what)) = VENDOR_MARKERS.iter().find(|(m, _)| d.contains(m)) {
            return Some(format!("description \"{desc}\" ({what})"));
        }
    }
    VENDOR_MARKERS
        .iter()
        .find(|(m, _)| lower.contains(m))
        .map(|(_, what)| format!("name {} ({what})", name.trim()))
}

/// Reads this machine's interfaces (sysinfo; on Windows merged with `ipconfig /all`).
/// Never fails: an unreadable source yields fewer interfaces.
pub fn collect() -> Vec<Interface> {
    collect_scan().interfaces
}

/// Why an interface source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InterfacesError {
    /// sysinfo could not list the interfaces.
    #[error("cannot list network interfaces: {0}")]
    Sysinfo(#[from] sysinfo::Error),
}

/// Like [`collect`], with notes on what could not be read.
pub fn collect_scan() -> InterfaceScan {
    let mut scan = InterfaceScan::default();
    match from_sysinfo() {
        Ok(list) => scan.interfaces = list,
        Err(e) => scan.notes.push(e.to_string()),
    }
    if cfg!(target_os = "windows") {
        match command::run("ipconfig", &["/all"], command::TOOL_TIMEOUT) {
            Ok(text) => merge_adapters(&mut scan.interfaces, parse_ipconfig_interfaces(&text)),
            Err(e) => scan.notes.push(ipconfig_note(&e)),
        }
    } else if cfg!(target_os = "linux") {
        classify_linux_links(&mut scan.interfaces, Path::new("/sys/class/net"));
    }
    scan.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    scan
}

/// Linux `ARPHRD_PPP` (`/sys/class/net/<if>/type`).
const ARPHRD_PPP: u32 = 512;
/// `IFF_TUN` in `/sys/class/net/<if>/tun_flags` (TAP devices, `IFF_TAP`, are mostly VM NICs).
const IFF_TUN: u32 = 0x0001;

/// Why a Linux link is a tunnel, from sysfs under `sys_class_net`: a WireGuard device
/// (`DEVTYPE=wireguard` in `uevent`), a TUN device (`tun_flags` with `IFF_TUN`: OpenVPN,
/// OpenConnect, vendor clients) or a PPP link (`type` 512). Catches tunnels named freely
/// (`wg-quick up azure` makes an interface `azure`). `None` when sysfs says nothing.
pub fn linux_link_hint(sys_class_net: &Path, name: &str) -> Option<String> {
    // A name is one path component; refuse anything that could leave the directory.
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return None;
    }
    let dir = sys_class_net.join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    if let Some(uevent) = read("uevent")
        && uevent.lines().any(|l| l.trim() == "DEVTYPE=wireguard")
    {
        return Some(format!(
            "{name} is a WireGuard device (sysfs DEVTYPE=wireguard)"
        ));
    }
    if let Some(flags) = read("tun_flags")
        && let Ok(bits) = u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16)
        && bits & IFF_TUN != 0
    {
        return Some(format!(
            "{name} is a TUN device (sysfs tun_flags {})",
            flags.trim()
        ));
    }
    if read("type").and_then(|t| t.trim().parse::<u32>().ok()) == Some(ARPHRD_PPP) {
        return Some(format!("{name} is a PPP link (sysfs type {ARPHRD_PPP})"));
    }
    None
}

/// Marks interfaces sysfs identifies as tunnels ([`linux_link_hint`]) as VPN-like.
pub fn classify_linux_links(interfaces: &mut [Interface], sys_class_net: &Path) {
    for iface in interfaces.iter_mut().filter(|i| !i.vpn_like) {
        if let Some(hint) = linux_link_hint(sys_class_net, &iface.name) {
            iface.vpn_like = true;
            iface.vpn_hint = Some(hint);
        }
    }
}

fn ipconfig_note(e: &CommandError) -> String {
    format!("{e}; Windows PPP (VPN) adapters, which sysinfo does not list, may be missing")
}

/// The interfaces sysinfo reports.
fn from_sysinfo() -> Result<Vec<Interface>, InterfacesError> {
    let networks = sysinfo::Networks::new_with_refreshed_list()?;
    Ok(networks
        .iter()
        .map(|(name, data)| {
            let mut iface = Interface::new(
                name.to_string_lossy().into_owned(),
                None,
                data.ip_networks().iter().map(|n| n.addr).collect(),
            );
            let mac = data.mac_address();
            if !mac.is_unspecified() {
                iface.mac = Some(mac.to_string());
            }
            iface
        })
        .collect())
}

/// Adds adapters parsed from `ipconfig /all` to a sysinfo list: same-named interfaces gain
/// the description (and the VPN classification it implies) and any missing addresses;
/// adapters sysinfo skipped (PPP, Wintun) are appended.
pub fn merge_adapters(interfaces: &mut Vec<Interface>, adapters: Vec<Interface>) {
    for adapter in adapters {
        match interfaces
            .iter_mut()
            .find(|i| i.name.eq_ignore_ascii_case(&adapter.name))
        {
            Some(existing) => {
                if existing.description.is_none() {
                    existing.description = adapter.description;
                }
                for a in adapter.addresses {
                    if !existing.addresses.contains(&a) {
                        existing.addresses.push(a);
                    }
                }
                if existing.mac.is_none() {
                    existing.mac = adapter.mac;
                }
                if !existing.vpn_like && adapter.vpn_like {
                    existing.vpn_like = true;
                    existing.vpn_hint = adapter.vpn_hint;
                }
            }
            None => interfaces.push(adapter),
        }
    }
}

/// Parses the adapters of Windows `ipconfig /all` (any display language, see
/// [`crate::host::dns_config::parse_ipconfig_adapters`]): alias from the section header
/// (`PPP adapter AzureVNet-ml-prod:` → `AzureVNet-ml-prod`), description, hardware address and
/// own addresses. PPP adapters are VPN-like by type (Windows creates them for VPN and dial-up
/// connections, the Azure VPN Client included); tunnel pseudo adapters (Teredo, ISATAP) are
/// skipped. Disconnected adapters are listed without addresses.
pub fn parse_ipconfig_interfaces(text: &str) -> Vec<Interface> {
    use crate::host::dns_config::AdapterKind;
    crate::host::dns_config::parse_ipconfig_adapters(text)
        .adapters
        .into_iter()
        .filter(|a| {
            a.kind != AdapterKind::Tunnel || a.name.to_ascii_lowercase().contains("iphttps")
        })
        .map(|a| {
            let mut iface = Interface::new(a.name, a.description, a.addresses);
            iface.mac = a.mac;
            if a.kind == AdapterKind::Ppp && !iface.vpn_like {
                iface.vpn_like = true;
                iface.vpn_hint = Some("Windows PPP adapter (VPN connection)".to_string());
            }
            iface
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($p:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/host/",
                $p
            ))
        };
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn vpn_names_by_prefix() {
        for (name, hint) in [
            ("tun0", "name tun0 (TUN tunnel)"),
            ("tap1", "name tap1 (TAP tunnel)"),
            ("utun3", "name utun3 (macOS utun tunnel)"),
            ("ppp0", "name ppp0 (PPP link)"),
            ("wg0", "name wg0 (WireGuard)"),
            ("wg-azure", "name wg-azure (WireGuard)"),
            ("ipsec0", "name ipsec0 (IPsec)"),
            ("gpd0", "name gpd0 (GlobalProtect)"),
            ("cscotun0", "name cscotun0 (Cisco AnyConnect)"),
            ("tailscale0", "name tailscale0 (Tailscale)"),
            ("nordlynx", "name nordlynx (NordLynx)"),
            ("vti1", "name vti1 (IPsec VTI)"),
        ] {
            assert_eq!(is_vpn_like(name, None).as_deref(), Some(hint), "{name}");
        }
    }

    #[test]
    fn ordinary_names_are_not_vpn() {
        for name in [
            "lo",
            "lo0",
            "eth0",
            "en0",
            "wlp2s0",
            "enp0s31f6",
            "docker0",
            "br-1a2b",
            "virbr0",
            "tunl0",
            "ip_vti0",
            "gif0",
            "stf0",
            "awdl0",
            "bridge100",
            "Wi-Fi",
            "Ethernet",
            "wlan0",
            "tapestry",
        ] {
            assert_eq!(is_vpn_like(name, None), None, "{name}");
        }
    }

    #[test]
    fn vpn_by_windows_description() {
        let cases = [
            (
                "Ethernet 3",
                "PANGP Virtual Ethernet Adapter Secure",
                "Palo Alto GlobalProtect",
            ),
            (
                "Ethernet 2",
                "Fortinet SSL VPN Virtual Ethernet Adapter",
                "Fortinet FortiClient",
            ),
            (
                "Local Area Connection 2",
                "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter for Windows x64",
                "Cisco AnyConnect",
            ),
            (
                "OpenVPN TAP",
                "TAP-Windows Adapter V9",
                "OpenVPN TAP-Windows",
            ),
            ("wg-corp", "WireGuard Tunnel", "WireGuard"),
            (
                "Zscaler",
                "Zscaler Network Adapter 1.0.2.0",
                "Zscaler Client Connector",
            ),
            ("NordLynx", "NordLynx Tunnel", "NordLynx"),
            (
                "Local Area Connection* 13",
                "Juniper Networks Virtual Adapter",
                "Juniper / Pulse Secure",
            ),
            ("Azure", "Azure VPN Client", "Azure VPN Client"),
        ];
        for (name, desc, what) in cases {
            let hint = is_vpn_like(name, Some(desc)).unwrap_or_else(|| panic!("{desc}"));
            // A name that is itself VPN-like (wg-corp, NordLynx) wins; else the description.
            assert!(hint.contains(what), "{hint} / {what}");
        }
        assert_eq!(
            is_vpn_like("Ethernet 3", Some("PANGP Virtual Ethernet Adapter Secure")).as_deref(),
            Some("description \"PANGP Virtual Ethernet Adapter Secure\" (Palo Alto GlobalProtect)")
        );
        for desc in [
            "Intel(R) Wi-Fi 6 AX201 160MHz",
            "Hyper-V Virtual Ethernet Adapter",
            "Microsoft Wi-Fi Direct Virtual Adapter",
            "Bluetooth Device (Personal Area Network)",
            "Teredo Tunneling Pseudo-Interface",
            "VirtualBox Host-Only Ethernet Adapter",
        ] {
            assert_eq!(is_vpn_like("Ethernet", Some(desc)), None, "{desc}");
        }
    }

    #[test]
    fn ipconfig_azure_vpn_ppp_adapter() {
        let list = parse_ipconfig_interfaces(fixture!("windows/ipconfig-all-vpn.txt"));
        let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "AzureVNet-ml-prod",
                "Ethernet",
                "Ethernet 2",
                "Local Area Connection* 1",
                "Wi-Fi",
                "Bluetooth Network Connection"
            ]
        );
        let ppp = &list[0];
        assert_eq!(ppp.description.as_deref(), Some("AzureVNet-ml-prod"));
        assert_eq!(ppp.addresses, vec![ip("172.16.201.3")]);
        assert_eq!(ppp.mac, None);
        assert!(ppp.vpn_like);
        assert_eq!(
            ppp.vpn_hint.as_deref(),
            Some("Windows PPP adapter (VPN connection)")
        );
        assert!(ppp.is_active_vpn());

        let wifi = &list[4];
        assert_eq!(
            wifi.addresses,
            vec![
                ip("2a02:8109:b6c0:1e00:3d2f:77a1:9c4e:12ab"),
                ip("2a02:8109:b6c0:1e00:9145:2b1c:6e0d:44f1"),
                ip("fe80::9d3a:1f2e:7b44:c210"),
                ip("192.168.178.34"),
            ]
        );
        assert_eq!(wifi.mac.as_deref(), Some("3c:f0:11:8d:52:a7"));
        assert!(!wifi.vpn_like);
        let eth = &list[1];
        assert_eq!(
            eth.addresses,
            vec![ip("fe80::4c1d:9a2b:3e5f:1a7c"), ip("10.20.30.44")]
        );
        assert!(list[2].addresses.is_empty(), "disconnected adapter");
    }

    #[test]
    fn ipconfig_without_vpn_keeps_disconnected_globalprotect_inactive() {
        let list = parse_ipconfig_interfaces(fixture!("windows/ipconfig-all-novpn.txt"));
        let gp = list.iter().find(|i| i.name == "Ethernet 3").unwrap();
        assert!(gp.vpn_like);
        assert!(gp.addresses.is_empty());
        assert!(!gp.is_active_vpn());
        assert_eq!(gp.mac.as_deref(), Some("00:ff:7d:2c:91:e4"));
        assert!(list.iter().all(|i| !i.is_active_vpn()));
        let wifi = list.iter().find(|i| i.name == "Wi-Fi").unwrap();
        assert!(wifi.has_address(ip("192.168.178.34")));
    }

    #[test]
    fn ipconfig_wireguard_and_idle_anyconnect() {
        let list = parse_ipconfig_interfaces(fixture!("windows/ipconfig-all-wireguard.txt"));
        let wg = &list[0];
        assert_eq!(wg.name, "wg-azure-hub");
        assert_eq!(wg.addresses, vec![ip("10.66.66.2")]);
        assert_eq!(
            wg.vpn_hint.as_deref(),
            Some("name wg-azure-hub (WireGuard)")
        );
        assert!(wg.is_active_vpn());
        // AnyConnect's adapter with only an APIPA and a link-local address is idle.
        let ac = &list[2];
        assert_eq!(ac.name, "Local Area Connection 2");
        assert_eq!(
            ac.addresses,
            vec![ip("fe80::8d2e:1a4c:77b1:2e90"), ip("169.254.46.144")]
        );
        assert!(ac.vpn_like);
        assert!(!ac.is_active_vpn());
        assert_eq!(ac.mac.as_deref(), Some("00:05:9a:3c:7a:00"));
    }

    #[test]
    fn merge_adds_ppp_adapter_and_descriptions() {
        // What sysinfo reports on the ipconfig-all-vpn machine: no PPP adapter.
        let mut list = vec![
            Interface::new("Wi-Fi", None, vec![ip("192.168.178.34")]),
            Interface::new("Ethernet", None, vec![ip("10.20.30.44")]),
            Interface::new("Loopback Pseudo-Interface 1", None, vec![ip("127.0.0.1")]),
        ];
        merge_adapters(
            &mut list,
            parse_ipconfig_interfaces(fixture!("windows/ipconfig-all-vpn.txt")),
        );
        let ppp = list.iter().find(|i| i.name == "AzureVNet-ml-prod").unwrap();
        assert!(ppp.is_active_vpn());
        let wifi = list.iter().find(|i| i.name == "Wi-Fi").unwrap();
        assert_eq!(
            wifi.description.as_deref(),
            Some("Intel(R) Wi-Fi 6 AX201 160MHz")
        );
        assert_eq!(wifi.addresses.len(), 4);
        assert_eq!(wifi.addresses[0], ip("192.168.178.34"));
        // Wi-Fi and Ethernet merged, the other four adapters appended.
        assert_eq!(list.len(), 3 + 4);
    }

    #[test]
    fn linux_sysfs_identifies_freely_named_tunnels() {
        let sys =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/host/linux/sys-class-net");
        let mut list = vec![
            Interface::new("azure", None, vec![ip("10.66.66.2")]),
            Interface::new("corp", None, vec![ip("10.8.0.6")]),
            Interface::new("fortissl", None, vec![ip("10.212.134.200")]),
            Interface::new("vnet0", None, vec![]),
            Interface::new("wlp2s0", None, vec![ip("192.168.1.23")]),
            Interface::new("lo", None, vec![ip("127.0.0.1")]),
            Interface::new("wg0", None, vec![ip("10.66.67.2")]),
            Interface::new("missing0", None, vec![]),
        ];
        classify_linux_links(&mut list, &sys);
        let hints: Vec<Option<&str>> = list.iter().map(|i| i.vpn_hint.as_deref()).collect();
        assert_eq!(
            hints,
            [
                Some("azure is a WireGuard device (sysfs DEVTYPE=wireguard)"),
                Some("corp is a TUN device (sysfs tun_flags 0x1801)"),
                Some("fortissl is a PPP link (sysfs type 512)"),
                None,
                None,
                None,
                Some("name wg0 (WireGuard)"),
                None,
            ]
        );
        assert_eq!(
            list.iter().map(|i| i.vpn_like).collect::<Vec<_>>(),
            [true, true, true, false, false, false, true, false]
        );
        assert_eq!(linux_link_hint(&sys, "../sys-class-net/azure"), None);
        assert_eq!(linux_link_hint(&sys, ".."), None);
    }

    #[test]
    fn macos_system_utuns_are_not_active() {
        let utun0 = Interface::new("utun0", None, vec![ip("fe80::a1b2:c3d4:e5f6:1")]);
        assert!(utun0.vpn_like);
        assert!(!utun0.is_active_vpn());
        let utun4 = Interface::new("utun4", None, vec![ip("172.16.201.6")]);
        assert!(utun4.is_active_vpn());
    }

    #[test]
    fn collect_on_this_machine_has_loopback() {
        if cfg!(target_os = "windows") {
            // sysinfo skips adapters without a hardware address, loopback included.
            return;
        }
        let lo_name = if cfg!(target_os = "macos") {
            "lo0"
        } else {
            "lo"
        };
        let list = collect();
        let lo = list
            .iter()
            .find(|i| i.name == lo_name)
            .unwrap_or_else(|| panic!("no lo in {list:?}"));
        assert!(lo.has_address(ip("127.0.0.1")), "{lo:?}");
        assert!(!lo.vpn_like);
        assert_eq!(lo.vpn_hint, None);
        assert_eq!(lo.mac, None);
        let mut sorted = list.clone();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(list, sorted);
    }
}
