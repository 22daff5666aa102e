//! Connection-method rules: is this machine on a path into the virtual network (a VPN that
//! carries the private endpoint's route, or an Azure VM inside the VNet)?

use super::{Finding, FindingId, Section, Severity};
use crate::host::HostFacts;
use crate::host::interfaces::Interface;
use crate::host::routes::{RouteInfo, VpnVerdict};
use crate::model::Phase;
use crate::probe::connect::{Connection, Route};
use std::net::IpAddr;

/// What the routing table says about one private address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFact {
    /// The private address.
    pub ip: IpAddr,
    /// Whether a VPN-like interface carries it.
    pub verdict: VpnVerdict,
    /// It leaves by the default (internet) route: the tool names the default prefix, or the
    /// route has the same gateway and interface as the route to a public address.
    pub via_default: bool,
    /// It is on-link (no gateway) on this ordinary, non-loopback interface: the address lies in
    /// a local network's subnet.
    pub on_link: Option<String>,
    /// The tool's output for the route, for evidence.
    pub raw: String,
}

impl RouteFact {
    /// Derives the facts from the route to `ip` and the route to a public address.
    pub fn new(
        ip: IpAddr,
        verdict: VpnVerdict,
        route: Option<&RouteInfo>,
        internet: Option<&RouteInfo>,
        interfaces: &[Interface],
    ) -> Self {
        let named = route.map(|r| {
            let mut r = r.clone();
            r.name_interface_from(interfaces);
            r
        });
        let default_prefix = named.as_ref().and_then(|r| r.network.as_deref()).map(|n| {
            let n = n.trim();
            n.eq_ignore_ascii_case("default") || n.ends_with("/0") || n == "0.0.0.0"
        });
        let same_as_internet = match (&named, internet) {
            (Some(r), Some(i)) => {
                r.gateway.is_some() && r.gateway == i.gateway && r.interface == i.interface
            }
            _ => false,
        };
        let via_default = matches!(verdict, VpnVerdict::NotCarried { .. })
            && default_prefix.unwrap_or(same_as_internet);
        let on_link = match (&verdict, &named) {
            (VpnVerdict::NotCarried { .. }, Some(r)) if r.gateway.is_none() && !via_default => {
                r.interface.clone().filter(|name| {
                    interfaces
                        .iter()
                        .find(|i| &i.name == name)
                        .is_some_and(|i| {
                            !i.vpn_like
                                && !i.addresses.iter().all(|a| a.is_loopback())
                                && !i.has_address(ip)
                        })
                })
            }
            _ => None,
        };
        Self {
            ip,
            verdict,
            via_default,
            on_link,
            raw: named.map(|r| r.raw).unwrap_or_default(),
        }
    }
}

/// Evaluates `host.azure-vm` and `vpn.not-detected`. `earlier` holds the findings made so far:
/// a name they already explain gets no second cause.
pub fn evaluate(
    host: &HostFacts,
    routes: &[RouteFact],
    connections: &[Connection],
    earlier: &[Finding],
) -> Vec<Finding> {
    if let Some(vm) = host.azure_vm.as_ref().filter(|v| v.is_azure) {
        return vec![Finding {
            id: FindingId::HostAzureVm,
            severity: Severity::Info,
            section: Section::ConnectionMethod,
            subject: "this machine".into(),
            title: "This machine is an Azure VM (a jump box inside Azure)".into(),
            detail: "Inside the virtual network no VPN is needed: the VM reaches the private \
                     endpoint directly, and Azure DNS (168.63.129.16) answers the private zones \
                     when they are linked to this VM's VNet. If the workspace fails here, the \
                     Azure DNS section applies: zone group entries on the private endpoint and a \
                     virtual network link from each private DNS zone to this VM's VNet."
                .into(),
            evidence: vm.evidence.clone(),
            remediation: Vec::new(),
            affected: Vec::new(),
            snippet: None,
        }];
    }
    // Only a connection that was tried and failed is evidence; a route through the LAN
    // (site-to-site VPN, ExpressRoute) is a supported method, so only the default route counts.
    let failed = |ip: &IpAddr| {
        let tried: Vec<&Connection> = connections
            .iter()
            .filter(|c| {
                matches!(&c.route, Route::Direct { address, .. } if address == ip) && !c.guarded()
            })
            .collect();
        !tried.is_empty()
            && tried.iter().all(|c| {
                c.failure
                    .as_ref()
                    .is_some_and(|f| f.phase == Phase::Connect)
            })
            && !tried.iter().all(|c| super::explained(earlier, &c.fqdn))
    };
    let mut evidence = Vec::new();
    let mut addrs = Vec::new();
    let mut affected = Vec::new();
    let mut seen: std::collections::HashSet<(String, std::net::IpAddr)> =
        std::collections::HashSet::new();
    for fact in routes.iter().filter(|f| f.via_default) {
        let VpnVerdict::NotCarried {
            interface_used,
            vpn_interfaces,
        } = &fact.verdict
        else {
            continue;
        };
        let ip = &fact.ip;
        if !failed(ip) {
            continue;
        }
        addrs.push(ip.to_string());
        for c in connections {
            if matches!(&c.route, Route::Direct { address, .. } if address == ip)
                && seen.insert((c.fqdn.clone(), *ip))
            {
                affected.push(super::Affected::at(c.fqdn.clone(), *ip));
            }
        }
        evidence.push(format!(
            "route to {ip}: the default route{}; VPN-like interfaces up: {}",
            interface_used
                .as_deref()
                .map_or_else(String::new, |i| format!(" via {i}")),
            if vpn_interfaces.is_empty() {
                "none".to_string()
            } else {
                vpn_interfaces.join(", ")
            }
        ));
    }
    if addrs.is_empty() {
        return Vec::new();
    }
    let vpns: Vec<String> = host
        .interfaces
        .iter()
        .filter(|i| i.vpn_like)
        .map(|i| i.name.clone())
        .collect();
    vec![Finding {
        id: FindingId::VpnNotDetected,
        severity: Severity::Warning,
        section: Section::ConnectionMethod,
        subject: addrs.join(", "),
        title: "No VPN carries the route to the private endpoint".into(),
        detail: if vpns.is_empty() {
            "The connection to the private endpoint failed, this machine has no VPN-like network \
             adapter, and the endpoint's address goes out by the default (internet) route. From \
             a laptop the workspace is reachable only through a VPN (point-to-site), from a \
             network joined to Azure (site-to-site VPN, ExpressRoute), or from a jump box."
                .into()
        } else {
            format!(
                "The connection to the private endpoint failed, and its address goes out by the \
                 default (internet) route although VPN-like adapters exist ({}): the VPN is \
                 disconnected, or it does not push the virtual network's address range.",
                vpns.join(", ")
            )
        },
        evidence,
        remediation: vec![
            "Connect the VPN (Azure VPN Client or your company's VPN) and run pe-doctor again."
                .into(),
            "If it is connected: ask the VPN administrators to include the virtual network's \
             address space in the routes pushed to clients."
                .into(),
            "Or work from the jump box through Azure Bastion.".into(),
        ],
        affected,
        snippet: None,
    }]
}

/// `os.doh-enabled`: Windows encrypts DNS to a server this machine uses (it then talks to a
/// public DoH provider, which cannot see private zones).
pub fn os_doh(host: &HostFacts) -> Option<Finding> {
    let used: Vec<&crate::host::os_doh::OsDohEntry> = host
        .os_doh
        .iter()
        .filter(|e| e.template.is_some() && e.auto_upgrade.unwrap_or(false))
        .filter(|e| host.dns_servers.iter().any(|s| s.addr.ip() == e.server))
        .collect();
    if used.is_empty() {
        return None;
    }
    Some(Finding {
        id: FindingId::OsDohEnabled,
        severity: Severity::Warning,
        section: Section::BrowserDoh,
        subject: used
            .iter()
            .map(|e| e.server.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        title: "Windows sends DNS for this machine over HTTPS to a public resolver".into(),
        detail:
            "Windows upgrades the queries to these DNS servers to DNS over HTTPS. A public DoH \
                 resolver cannot see the private DNS zones, so every program gets the workspace's \
                 public address."
                .into(),
        evidence: used
            .iter()
            .map(|e| {
                format!(
                    "{}: template {} (auto-upgrade on)",
                    e.server,
                    e.template.as_deref().unwrap_or("?")
                )
            })
            .collect(),
        remediation: vec![
            "Settings > Network & internet > your adapter > DNS server assignment > Edit: set DNS \
             over HTTPS to Off (or use the VPN's / company's DNS servers instead of public ones)."
                .into(),
            "If a policy sets it (HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient \
             DoHPolicy), ask IT."
                .into(),
        ],
        affected: Vec::new(),
        snippet: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ConfiguredServer;

    #[test]
    fn os_doh_for_a_server_in_use() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/windows/netsh-dns-show-encryption.txt"
        ))
        .unwrap();
        let entries = crate::host::os_doh::parse_netsh_dns_encryption(&text);
        let upgraded = entries
            .iter()
            .find(|e| e.auto_upgrade == Some(true) && e.template.is_some())
            .expect("fixture has an auto-upgraded server");
        let mut host = HostFacts::empty();
        host.os_doh = entries.clone();
        assert!(os_doh(&host).is_none(), "no configured server uses DoH");
        host.dns_servers.push(ConfiguredServer {
            label: None,
            addr: std::net::SocketAddr::new(upgraded.server, 53),
            source: "ipconfig".into(),
            domains: Vec::new(),
        });
        let f = os_doh(&host).unwrap();
        assert_eq!(f.id, "os.doh-enabled");
        assert_eq!(f.subject, upgraded.server.to_string());
    }
}
