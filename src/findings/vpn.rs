//! Connection-method rules: is this machine on a path into the virtual network (a VPN that
//! carries the private endpoint's route, or an Azure VM inside the VNet)?

use super::{Finding, FindingId, Section, Severity};
use crate::host::HostFacts;
use crate::host::routes::VpnVerdict;
use crate::model::Phase;
use crate::probe::connect::{Connection, Route};
use std::net::IpAddr;

/// Evaluates `host.azure-vm` and `vpn.not-detected`.
pub fn evaluate(
    host: &HostFacts,
    verdicts: &[(IpAddr, VpnVerdict)],
    connections: &[Connection],
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
                     when they are linked to this VM's VNet."
                .into(),
            evidence: vm.evidence.clone(),
            remediation: vec![
                "If the workspace fails here, check the Azure DNS section: zone group entries on the \
                 private endpoint and a Virtual network link from each private DNS zone to this VM's VNet."
                    .into(),
                "Connect to this VM through Azure Bastion and use it as your development environment.".into(),
            ],
            affected: Vec::new(),
            snippet: None,
        }];
    }
    // A route not carried by a VPN is only a problem when the private endpoint is not reached
    // (site-to-site VPN and ExpressRoute need no VPN adapter on the laptop).
    let failed = |ip: &IpAddr| {
        let tried: Vec<&Connection> = connections
            .iter()
            .filter(|c| {
                matches!(&c.route, Route::Direct { address, .. } if address == ip) && !c.guarded()
            })
            .collect();
        tried.is_empty()
            || tried.iter().any(|c| {
                c.failure
                    .as_ref()
                    .is_some_and(|f| f.phase == Phase::Connect)
            })
    };
    let mut evidence = Vec::new();
    let mut addrs = Vec::new();
    let mut affected = Vec::new();
    for (ip, v) in verdicts {
        if let VpnVerdict::NotCarried {
            interface_used,
            vpn_interfaces,
        } = v
            && failed(ip)
        {
            addrs.push(ip.to_string());
            for c in connections {
                if matches!(&c.route, Route::Direct { address, .. } if address == ip) {
                    let a = super::Affected::at(c.fqdn.clone(), *ip);
                    if !affected.contains(&a) {
                        affected.push(a);
                    }
                }
            }
            evidence.push(format!(
                "route to {ip}: {}; VPN-like interfaces up: {}",
                interface_used
                    .as_deref()
                    .map_or_else(|| "no route".to_string(), |i| format!("via {i}")),
                if vpn_interfaces.is_empty() {
                    "none".to_string()
                } else {
                    vpn_interfaces.join(", ")
                }
            ));
        }
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
            "This machine has no VPN-like network adapter, and the private endpoint's address is \
             routed through the ordinary network. From a laptop the workspace is reachable only \
             through a VPN (point-to-site), or from a network joined to Azure (site-to-site VPN, \
             ExpressRoute), or from a jump box."
                .into()
        } else {
            format!(
                "VPN-like adapters exist ({}), but the private endpoint's address is not routed \
                 through any of them: the VPN is disconnected, or it does not push the virtual \
                 network's address range.",
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
