//! Parsing of DNS server address tokens as the OS tools print them.
//!
//! Accepted shapes (all without panicking on anything else):
//! `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:853`, `fe80::1%eth0`,
//! `fe80::1%12`, `[fe80::1%2]:53`, `[fe80::1]:53%2`, each optionally followed by a
//! systemd-resolved server name `#dns.example` (for DNS-over-TLS), which is dropped.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// The standard DNS port.
pub const DNS_PORT: u16 = 53;

/// A server address parsed from tool output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedServer {
    /// Address with port (53 unless the token named one) and numeric scope id when known.
    pub addr: SocketAddr,
    /// The scope as written after `%` (an interface name or index), if any.
    pub scope: Option<String>,
    /// The TLS server name after `#`, if any (systemd-resolved DNS-over-TLS).
    pub server_name: Option<String>,
}

/// Parses one server token; `None` when it is not an address.
pub(crate) fn parse_server(token: &str) -> Option<ParsedServer> {
    let token = token.trim();
    if token.is_empty() {
        return None;
    }
    let (token, server_name) = match token.split_once('#') {
        Some((addr, name)) => (addr, Some(name.to_string()).filter(|n| !n.is_empty())),
        None => (token, None),
    };

    let (ip_text, mut scope, port) = if let Some(rest) = token.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let (ip_text, inner_scope) = split_scope(inside);
        let mut scope = inner_scope;
        let mut port = None;
        // after: "" | ":853" | ":853%2" | "%2"
        let (port_part, outer_scope) = split_scope(after);
        if let Some(s) = outer_scope {
            scope = Some(s);
        }
        if !port_part.is_empty() {
            port = Some(port_part.strip_prefix(':')?.parse::<u16>().ok()?);
        }
        (ip_text, scope, port)
    } else {
        let (addr_part, scope) = split_scope(token);
        if addr_part.parse::<IpAddr>().is_ok() {
            (addr_part, scope, None)
        } else if let Some((host, port)) = addr_part.rsplit_once(':') {
            // Only IPv4 may carry a port without brackets.
            if host.contains(':') {
                return None;
            }
            (host, scope, Some(port.parse::<u16>().ok()?))
        } else {
            return None;
        }
    };

    let ip: IpAddr = ip_text.parse().ok()?;
    let port = port.unwrap_or(DNS_PORT);
    let addr = match ip {
        IpAddr::V4(v4) => {
            if scope.is_some() {
                // IPv4 has no scope ids; a `%` here means the token is not an address.
                return None;
            }
            SocketAddr::new(IpAddr::V4(v4), port)
        }
        IpAddr::V6(v6) => {
            let scope_id = scope
                .as_deref()
                .and_then(|s| s.parse::<u32>().ok())
                .unwrap_or(0);
            SocketAddr::V6(SocketAddrV6::new(v6, port, 0, scope_id))
        }
    };
    if scope.as_deref() == Some("") {
        scope = None;
    }
    Some(ParsedServer {
        addr,
        scope,
        server_name,
    })
}

/// Splits `addr%scope` into its parts.
fn split_scope(text: &str) -> (&str, Option<String>) {
    match text.split_once('%') {
        Some((addr, scope)) => (addr, Some(scope.to_string())),
        None => (text, None),
    }
}

/// True for the deprecated IPv6 site-local defaults `fec0:0:0:ffff::1..3` Windows lists
/// when an adapter has IPv6 but no IPv6 DNS server.
pub(crate) fn is_windows_site_local_default(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            s[..7] == [0xfec0, 0, 0, 0xffff, 0, 0, 0] && (1..=3).contains(&s[7])
        }
        IpAddr::V4(_) => false,
    }
}

/// True for IPv6 link-local (`fe80::/10`) addresses, which need a scope id to be reached.
pub(crate) fn is_link_local_v6(ip: &Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn plain_addresses_get_port_53() {
        assert_eq!(parse_server("192.0.2.1").unwrap().addr, sa("192.0.2.1:53"));
        assert_eq!(
            parse_server("2001:db8::1").unwrap().addr,
            sa("[2001:db8::1]:53")
        );
    }

    #[test]
    fn ports_and_server_names() {
        let p = parse_server("10.1.0.4:5353#dns.corp.contoso.com").unwrap();
        assert_eq!(p.addr, sa("10.1.0.4:5353"));
        assert_eq!(p.server_name.as_deref(), Some("dns.corp.contoso.com"));
        let p = parse_server("[fd10:1::4]:853#dns.corp.contoso.com").unwrap();
        assert_eq!(p.addr, sa("[fd10:1::4]:853"));
        let p = parse_server("1.1.1.1#cloudflare-dns.com").unwrap();
        assert_eq!(p.addr, sa("1.1.1.1:53"));
    }

    #[test]
    fn scopes_named_and_numeric() {
        let p = parse_server("fe80::1%eth0").unwrap();
        assert_eq!(p.scope.as_deref(), Some("eth0"));
        let SocketAddr::V6(v6) = p.addr else { panic!() };
        assert_eq!(v6.scope_id(), 0);
        let p = parse_server("fe80::861e:a3ff:feb1:f8e7%2").unwrap();
        let SocketAddr::V6(v6) = p.addr else { panic!() };
        assert_eq!(v6.scope_id(), 2);
        assert_eq!(v6.port(), 53);
        let p = parse_server("[fe80::1%7]:5353").unwrap();
        let SocketAddr::V6(v6) = p.addr else { panic!() };
        assert_eq!((v6.scope_id(), v6.port()), (7, 5353));
        let p = parse_server("[fe80::1]:53%3#x").unwrap();
        let SocketAddr::V6(v6) = p.addr else { panic!() };
        assert_eq!((v6.scope_id(), v6.port()), (3, 53));
    }

    #[test]
    fn garbage_is_none_not_panic() {
        for bad in [
            "",
            "#",
            "%",
            "[",
            "]",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[::1]:99999",
            "1.2.3.4%eth0",
            "1.2.3.4:",
            "1.2.3.4:x",
            "not-an-address",
            "fe80::1%",
            "2001:db8::1:5353",
            "{10.1.0.4,",
            "10.1.0.7...",
            "ünïcode%",
        ] {
            let got = parse_server(bad);
            // "2001:db8::1:5353" is itself a valid IPv6 address; everything else is rejected.
            if bad == "2001:db8::1:5353" {
                assert_eq!(got.unwrap().addr.port(), 53);
            } else if bad == "fe80::1%" {
                assert_eq!(got.unwrap().scope, None);
            } else {
                assert!(got.is_none(), "{bad:?} -> {got:?}");
            }
        }
    }

    #[test]
    fn site_local_defaults() {
        assert!(is_windows_site_local_default(
            &"fec0:0:0:ffff::1".parse().unwrap()
        ));
        assert!(is_windows_site_local_default(
            &"fec0:0:0:ffff::3".parse().unwrap()
        ));
        assert!(!is_windows_site_local_default(&"fec0::1".parse().unwrap()));
        assert!(!is_windows_site_local_default(&"10.0.0.1".parse().unwrap()));
        assert!(is_link_local_v6(&"fe80::1".parse().unwrap()));
        assert!(!is_link_local_v6(&"fd00::1".parse().unwrap()));
    }
}
