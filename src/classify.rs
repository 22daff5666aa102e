//! Address classification: private (RFC 1918, CGNAT, ULA, ...) versus public.

use crate::model::AddrClass;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True for addresses that only make sense inside a private network: RFC 1918, CGNAT
/// (100.64/10), loopback, link-local, IPv6 ULA (fc00::/7) and link-local (fe80::/10).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            is_private_v6(v6)
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
}

/// Classifies a set of addresses.
pub fn classify(addrs: &[IpAddr]) -> AddrClass {
    let private = addrs.iter().filter(|a| is_private(**a)).count();
    match (addrs.len(), private) {
        (0, _) => AddrClass::None,
        (n, p) if p == n => AddrClass::Private,
        (_, 0) => AddrClass::Public,
        _ => AddrClass::Mixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().expect("test ip")).collect()
    }

    #[test]
    fn classifies_ranges() {
        assert_eq!(classify(&ips(&["10.0.0.4"])), AddrClass::Private);
        assert_eq!(
            classify(&ips(&["172.16.5.1", "192.168.1.1"])),
            AddrClass::Private
        );
        assert_eq!(classify(&ips(&["100.64.0.1"])), AddrClass::Private);
        assert_eq!(classify(&ips(&["100.128.0.1"])), AddrClass::Public);
        assert_eq!(classify(&ips(&["172.32.0.1"])), AddrClass::Public);
        assert_eq!(classify(&ips(&["fd00::1"])), AddrClass::Private);
        assert_eq!(classify(&ips(&["::ffff:10.1.2.3"])), AddrClass::Private);
        assert_eq!(classify(&ips(&["2603:1030::1"])), AddrClass::Public);
        assert_eq!(classify(&ips(&["20.41.5.7", "10.0.0.4"])), AddrClass::Mixed);
        assert_eq!(classify(&[]), AddrClass::None);
    }
}
