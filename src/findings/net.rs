//! Network rules: a machine with no network at all (`net.offline`), and a local network that
//! overlaps the virtual network (`net.subnet-overlap`).

use super::vpn::RouteFact;
use super::{Affected, Finding, FindingId, Section, Severity};
use crate::host::interfaces::Interface;
use crate::model::{DnsStatus, FailKind, Resolution};
use crate::targets::Target;

/// An interface that can carry traffic off the machine: a non-loopback, non-link-local address.
fn usable(i: &Interface) -> bool {
    i.addresses.iter().any(|a| {
        !a.is_loopback()
            && !a.is_unspecified()
            && match a {
                std::net::IpAddr::V4(v4) => !v4.is_link_local(),
                std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
            }
    })
}

/// `net.offline`: no resolver gave any address, and either no interface can carry traffic
/// (when the interfaces are known) or every question that failed in transport failed with
/// "network unreachable" and none got a DNS answer at all.
pub fn offline(interfaces: &[Interface], resolutions: &[Resolution]) -> Option<Finding> {
    if resolutions.is_empty() || resolutions.iter().any(|r| !r.addresses.is_empty()) {
        return None;
    }
    let no_interface = !interfaces.is_empty() && !interfaces.iter().any(usable);
    let unreachable: Vec<&Resolution> = resolutions
        .iter()
        .filter(|r| r.failure == Some(FailKind::Unreachable))
        .collect();
    let all_unreachable = !unreachable.is_empty()
        && resolutions.iter().all(|r| {
            matches!(r.status, DnsStatus::Timeout | DnsStatus::Error)
                // Timeouts are excluded: a firewall that drops packets is not an offline machine.
                && matches!(
                    r.failure,
                    Some(FailKind::Unreachable | FailKind::TryAgain)
                )
        })
        && resolutions
            .iter()
            .any(|r| r.failure == Some(FailKind::Unreachable));
    if !no_interface && !all_unreachable {
        return None;
    }
    let mut evidence = Vec::new();
    if no_interface {
        let names: Vec<&str> = interfaces.iter().map(|i| i.name.as_str()).collect();
        evidence.push(format!(
            "no network interface with a usable address (interfaces: {})",
            names.join(", ")
        ));
    }
    let mut servers: Vec<String> = Vec::new();
    for r in resolutions {
        let line = format!(
            "{} ({}): {}",
            r.resolver.label,
            r.resolver.address,
            match r.failure {
                Some(FailKind::Unreachable) => "network unreachable",
                Some(FailKind::TryAgain) => "temporary failure, no DNS server answered",
                Some(FailKind::Timeout) => "no answer in time",
                _ => r.status.as_str(),
            }
        );
        if !servers.contains(&line) {
            servers.push(line);
        }
    }
    evidence.extend(servers);
    let mut names: Vec<&str> = resolutions.iter().map(|r| r.fqdn.as_str()).collect();
    names.dedup();
    Some(Finding {
        id: FindingId::NetOffline,
        severity: Severity::Error,
        section: Section::ConnectionMethod,
        subject: "this machine".into(),
        title: "This machine has no network connection".into(),
        detail: "No DNS server could even be reached, so nothing about the workspace could be \
                 checked. This is not a DNS or VPN fault of the workspace: the machine itself is \
                 offline."
            .into(),
        evidence,
        remediation: vec![
            "Connect to a network (Wi-Fi or cable) and check that websites open.".into(),
            "Then connect the VPN, if you use one, and run pe-doctor again.".into(),
        ],
        snippet: None,
        affected: Affected::names(names),
    })
}

/// The names that resolve (or must resolve) to one of the addresses hit.
fn names_at(
    hits: &[(&RouteFact, &str)],
    resolutions: &[Resolution],
    targets: &[Target],
) -> Vec<Affected> {
    let mut out: Vec<Affected> = Vec::new();
    let mut seen: std::collections::HashSet<(String, std::net::IpAddr)> =
        std::collections::HashSet::new();
    for (r, _) in hits {
        let names = resolutions
            .iter()
            .filter(|x| x.addresses.contains(&r.ip))
            .map(|x| x.fqdn.as_str())
            .chain(
                targets
                    .iter()
                    .filter(|t| t.expected_ips.contains(&r.ip))
                    .map(|t| t.fqdn.as_str()),
            );
        for n in names {
            if seen.insert((n.to_string(), r.ip)) {
                out.push(Affected::at(n, r.ip));
            }
        }
    }
    out
}

/// `net.subnet-overlap`: a private endpoint address is on-link on an ordinary local interface
/// (a home or office LAN using the same range as the VNet), so packets to it stay on the LAN.
/// Not on an Azure VM, where the endpoint may share the VM's subnet.
pub fn subnet_overlap(
    routes: &[RouteFact],
    azure_vm: bool,
    resolutions: &[Resolution],
    targets: &[Target],
) -> Option<Finding> {
    if azure_vm {
        return None;
    }
    let hits: Vec<(&RouteFact, &str)> = routes
        .iter()
        .filter_map(|r| r.on_link.as_deref().map(|i| (r, i)))
        .collect();
    if hits.is_empty() {
        return None;
    }
    let ifaces: Vec<&str> = hits.iter().fold(Vec::new(), |mut v, (_, i)| {
        if !v.contains(i) {
            v.push(*i);
        }
        v
    });
    Some(Finding {
        id: FindingId::NetSubnetOverlap,
        severity: Severity::Error,
        section: Section::ConnectionMethod,
        subject: hits
            .iter()
            .map(|(r, _)| r.ip.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        title: format!(
            "The local network on {} uses the same addresses as the private endpoint",
            ifaces.join(", ")
        ),
        detail: "The private endpoint's address lies inside the subnet of a local network \
                 interface, so this machine sends the traffic to a device on that local network \
                 instead of through the VPN. Connections then fail, or reach the wrong host \
                 (\"connection refused\" from a LAN device)."
            .into(),
        evidence: hits
            .iter()
            .map(|(r, i)| {
                format!(
                    "route to {}: on-link on {i} (no gateway){}",
                    r.ip,
                    if r.raw.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", r.raw)
                    }
                )
            })
            .collect(),
        remediation: vec![
            format!(
                "Change the local network's address range (the router's LAN/DHCP settings for {}) \
                 to one the virtual network does not use, then reconnect.",
                ifaces.join(", ")
            ),
            "Or ask the network team to give the virtual network (or the VPN client pool) a range \
             that does not collide with common home ranges such as 10.0.0.0/24 or \
             192.168.0.0/24."
                .into(),
        ],
        snippet: None,
        affected: names_at(&hits, resolutions, targets),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AddrClass, ResolverInfo, ResolverRole, Transport};
    use std::net::{IpAddr, Ipv4Addr};

    fn res(status: DnsStatus, failure: Option<FailKind>, addresses: Vec<IpAddr>) -> Resolution {
        Resolution {
            fqdn: "ws.workspace.eastus2.api.azureml.ms".into(),
            resolver: ResolverInfo {
                label: "system".into(),
                role: ResolverRole::System,
                transport: Transport::Getaddrinfo,
                address: "getaddrinfo".into(),
                source: None,
            },
            status,
            chain: Vec::new(),
            addresses,
            class: AddrClass::None,
            elapsed_ms: 0,
            error: None,
            failure,
        }
    }

    fn lo() -> Interface {
        Interface::new("lo", None, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
    }

    fn wlan() -> Interface {
        Interface::new(
            "wlan0",
            None,
            vec![IpAddr::V4(Ipv4Addr::new(192, 168, 1, 5))],
        )
    }

    #[test]
    fn only_loopback_and_no_answer_is_offline() {
        let r = [res(DnsStatus::Servfail, None, Vec::new())];
        assert!(offline(&[lo()], &r).is_some());
        // The same answer with a usable interface is a DNS problem, not an offline machine.
        assert!(offline(&[lo(), wlan()], &r).is_none());
    }

    #[test]
    fn every_server_unreachable_is_offline_even_without_interface_facts() {
        let r = [
            res(DnsStatus::Error, Some(FailKind::TryAgain), Vec::new()),
            res(DnsStatus::Error, Some(FailKind::Unreachable), Vec::new()),
        ];
        assert!(offline(&[], &r).is_some());
        // One SERVFAIL means a server was reached.
        let mut with_answer = r.to_vec();
        with_answer.push(res(DnsStatus::Servfail, None, Vec::new()));
        assert!(offline(&[], &with_answer).is_none());
        // Timeouts do not prove the machine is offline, even next to unreachable servers.
        let timeouts = [
            res(DnsStatus::Timeout, Some(FailKind::Timeout), Vec::new()),
            res(DnsStatus::Error, Some(FailKind::Unreachable), Vec::new()),
        ];
        assert!(offline(&[], &timeouts).is_none());
    }

    #[test]
    fn any_address_means_online() {
        let r = [res(
            DnsStatus::Ok,
            None,
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4))],
        )];
        assert!(offline(&[lo()], &r).is_none());
    }
}
