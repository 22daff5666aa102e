//! `myIpAddress()` / `myIpAddressEx()` as Chromium computes them (`MyIpAddressImpl`):
//!
//! 1. the local address of a UDP socket *connected* (no packet is sent) to 8.8.8.8 and to
//!    2001:4860:4860::8888 — the interface that carries traffic to the internet;
//! 2. else the addresses of this machine's hostname (the system resolver);
//! 3. else the local addresses of UDP sockets connected into the private ranges 10.0.0.0,
//!    172.16.0.0, 192.168.0.0 and fc00::;
//! 4. else one link-local address (IPv4 favoured); else nothing, and `myIpAddress()` is
//!    `127.0.0.1`.
//!
//! Loopback addresses never count; the first step that finds a candidate ends the search.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The destinations of step 1.
const PUBLIC: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888)),
];
/// The destinations of step 3.
const PRIVATE: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)),
    IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)),
    IpAddr::V4(Ipv4Addr::new(192, 168, 0, 0)),
    IpAddr::V6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0)),
];

/// Where the candidates come from; the real machine in [`MachineSource`].
pub trait AddressSource {
    /// The local address a UDP socket connected to `to` would send from, if there is a route.
    fn route_source(&self, to: IpAddr) -> Option<IpAddr>;
    /// The addresses this machine's hostname resolves to.
    fn hostname_addresses(&self) -> Vec<IpAddr>;
}

/// This machine: UDP `connect` (which sends nothing) and `getaddrinfo(gethostname())`.
#[derive(Debug, Clone, Copy)]
pub struct MachineSource {
    /// Resolve the hostname (step 2). Off in lab and test runs, where the system resolver
    /// could ask a DNS server off the machine.
    pub resolve_hostname: bool,
}

impl AddressSource for MachineSource {
    fn route_source(&self, to: IpAddr) -> Option<IpAddr> {
        let bind: SocketAddr = match to {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = UdpSocket::bind(bind).ok()?;
        socket.connect((to, 80)).ok()?;
        Some(socket.local_addr().ok()?.ip())
    }

    fn hostname_addresses(&self) -> Vec<IpAddr> {
        if !self.resolve_hostname {
            return Vec::new();
        }
        dns_lookup::get_hostname()
            .ok()
            .and_then(|h| dns_lookup::lookup_host(&h).ok())
            .unwrap_or_default()
    }
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
    }
}

#[derive(Default)]
struct Search {
    seen: Vec<IpAddr>,
    candidates: Vec<IpAddr>,
    link_local: Vec<IpAddr>,
}

impl Search {
    fn add(&mut self, ip: IpAddr) {
        if ip.is_loopback() || ip.is_unspecified() || self.seen.contains(&ip) {
            return;
        }
        self.seen.push(ip);
        if is_link_local(ip) {
            self.link_local.push(ip);
        } else {
            self.candidates.push(ip);
        }
    }
}

fn favour_ipv4(ips: &[IpAddr]) -> Option<IpAddr> {
    ips.iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| ips.first())
        .copied()
}

/// The `myIpAddressEx()` list (`myIpAddress()` is its first IPv4, else its first address);
/// empty when nothing but loopback was found.
pub fn candidates(source: &dyn AddressSource) -> Vec<IpAddr> {
    let mut s = Search::default();
    for to in PUBLIC {
        if let Some(ip) = source.route_source(to) {
            s.add(ip);
        }
    }
    if s.candidates.is_empty() {
        for ip in source.hostname_addresses() {
            s.add(ip);
        }
    }
    if s.candidates.is_empty() {
        for to in PRIVATE {
            if let Some(ip) = source.route_source(to) {
                s.add(ip);
            }
        }
    }
    if s.candidates.is_empty() {
        // Only one link-local address, as Chromium (crbug.com/905366).
        return favour_ipv4(&s.link_local).into_iter().collect();
    }
    s.candidates
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fake {
        routes: HashMap<IpAddr, IpAddr>,
        hostname: Vec<IpAddr>,
    }

    impl AddressSource for Fake {
        fn route_source(&self, to: IpAddr) -> Option<IpAddr> {
            self.routes.get(&to).copied()
        }
        fn hostname_addresses(&self) -> Vec<IpAddr> {
            self.hostname.clone()
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn fake(routes: &[(&str, &str)], hostname: &[&str]) -> Fake {
        Fake {
            routes: routes.iter().map(|(a, b)| (ip(a), ip(b))).collect(),
            hostname: hostname.iter().map(|h| ip(h)).collect(),
        }
    }

    #[test]
    fn public_routes_win_and_end_the_search() {
        let f = fake(
            &[
                ("8.8.8.8", "192.168.1.20"),
                ("2001:4860:4860::8888", "2001:db8::20"),
                ("10.0.0.0", "10.8.0.5"),
            ],
            &["172.17.0.9"],
        );
        assert_eq!(candidates(&f), vec![ip("192.168.1.20"), ip("2001:db8::20")]);
    }

    #[test]
    fn hostname_then_private_routes_then_link_local() {
        let f = fake(&[("10.0.0.0", "10.8.0.5")], &["127.0.1.1", "172.17.0.9"]);
        assert_eq!(candidates(&f), vec![ip("172.17.0.9")]);
        let f = fake(
            &[("10.0.0.0", "10.8.0.5"), ("fc00::", "fd00::5")],
            &["127.0.1.1"],
        );
        assert_eq!(candidates(&f), vec![ip("10.8.0.5"), ip("fd00::5")]);
        let f = fake(
            &[("fc00::", "fe80::1"), ("10.0.0.0", "169.254.3.4")],
            &["fe80::2"],
        );
        assert_eq!(candidates(&f), vec![ip("169.254.3.4")]);
        assert!(candidates(&fake(&[("8.8.8.8", "127.0.0.1")], &[])).is_empty());
    }
}
