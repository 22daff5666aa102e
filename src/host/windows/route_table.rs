//! Route selection over the Windows route table (`Get-NetRoute` from the diagnosis's one
//! PowerShell call): the longest matching prefix wins, then the lowest sum of route metric and
//! interface metric, as Windows chooses. Routes on interfaces that are not connected are
//! ignored.

use super::powershell::{PsIpInterface, PsRoute};
use crate::host::ipnet_prefix::Prefix;
use crate::host::routes::RouteInfo;
use std::net::IpAddr;

/// The active routes and interface metrics of this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RouteTable {
    /// Active routes.
    pub routes: Vec<PsRoute>,
    /// Interfaces per address family, with their metrics.
    pub interfaces: Vec<PsIpInterface>,
}

/// `10.1.0.0/16` → prefix.
fn parse_prefix(text: &str) -> Option<Prefix> {
    let (addr, len) = text.trim().split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some(Prefix { addr, len })
}

impl RouteTable {
    /// The interface entry for `index` in the family of `ip`.
    fn interface(&self, index: u32, ip: IpAddr) -> Option<&PsIpInterface> {
        let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
        self.interfaces
            .iter()
            .find(|i| i.if_index == index && i.family.eq_ignore_ascii_case(family))
    }

    /// The route Windows would use to reach `ip`, or `None` when no route matches.
    pub fn route_to(&self, ip: IpAddr) -> Option<RouteInfo> {
        let mut best: Option<(u8, u64, &PsRoute, Prefix)> = None;
        for r in &self.routes {
            let Some(p) = parse_prefix(&r.prefix) else {
                continue;
            };
            if !p.contains(ip) {
                continue;
            }
            let iface = self.interface(r.if_index, ip);
            if iface.is_some_and(|i| !i.connected) {
                continue;
            }
            let metric = u64::from(r.metric) + u64::from(iface.map_or(0, |i| i.metric));
            let better = best
                .as_ref()
                .is_none_or(|(len, m, _, _)| p.len > *len || (p.len == *len && metric < *m));
            if better {
                best = Some((p.len, metric, r, p));
            }
        }
        let (_, metric, r, p) = best?;
        let gateway = r
            .next_hop
            .trim()
            .parse::<IpAddr>()
            .ok()
            .filter(|g| !g.is_unspecified());
        Some(RouteInfo {
            destination: ip,
            interface: Some(r.alias.clone()).filter(|a| !a.is_empty()),
            gateway,
            source: None,
            network: Some(if p.len == 0 {
                "default".to_string()
            } else {
                format!("{}/{}", p.addr, p.len)
            }),
            raw: format!(
                "{} via {} if {} ({}) metric {metric}",
                r.prefix, r.next_hop, r.if_index, r.alias
            ),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let f = super::super::powershell::parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/host/windows/powershell-facts-vpn.json"
        )))
        .unwrap();
        RouteTable {
            routes: f.routes,
            interfaces: f.ip_interfaces,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_endpoint_range_goes_through_the_ppp_adapter() {
        let r = table().route_to(ip("10.1.0.5")).unwrap();
        assert_eq!(r.interface.as_deref(), Some("AzureVNet-ml-prod"));
        assert_eq!(r.gateway, None);
        assert_eq!(r.network.as_deref(), Some("10.1.0.0/16"));
        let v6 = table().route_to(ip("fd00:1::4")).unwrap();
        assert_eq!(v6.interface.as_deref(), Some("AzureVNet-ml-prod"));
    }

    #[test]
    fn default_route_by_lowest_combined_metric() {
        // Both defaults have route metric 0: Ethernet (interface metric 25) beats Wi-Fi (35).
        let r = table().route_to(ip("10.2.0.4")).unwrap();
        assert_eq!(r.interface.as_deref(), Some("Ethernet"));
        assert_eq!(r.gateway, Some(ip("10.20.30.1")));
        assert_eq!(r.network.as_deref(), Some("default"));
        // With Ethernet disconnected, Wi-Fi carries it.
        let mut t = table();
        t.interfaces
            .iter_mut()
            .filter(|i| i.alias == "Ethernet")
            .for_each(|i| i.connected = false);
        let r = t.route_to(ip("10.2.0.4")).unwrap();
        assert_eq!(r.interface.as_deref(), Some("Wi-Fi"));
        assert_eq!(r.gateway, Some(ip("192.168.178.1")));
    }

    #[test]
    fn no_route_and_bad_rows() {
        let mut t = table();
        t.routes.retain(|r| !r.prefix.ends_with("/0"));
        assert_eq!(t.route_to(ip("8.8.8.8")), None);
        t.routes.push(PsRoute {
            prefix: "garbage".into(),
            ..PsRoute::default()
        });
        t.routes.push(PsRoute {
            prefix: "10.0.0.0/99".into(),
            ..PsRoute::default()
        });
        assert_eq!(t.route_to(ip("8.8.8.8")), None);
        assert_eq!(RouteTable::default().route_to(ip("10.1.0.4")), None);
    }
}
