//! Parsing the string `FindProxyForURL` returns, as Chromium's `ProxyList::SetFromPacString`.

/// One way to reach a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Directive {
    /// Connect directly.
    Direct,
    /// HTTP proxy (`PROXY host:port`, default port 80).
    Proxy {
        /// Proxy host (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// HTTPS proxy (`HTTPS host:port`, default port 443).
    Https {
        /// Proxy host.
        host: String,
        /// Port.
        port: u16,
    },
    /// SOCKS proxy; `version` is `None` for `SOCKS` (which browsers treat as SOCKS4),
    /// `Some(4)` / `Some(5)` for `SOCKS4` / `SOCKS5`. Default port 1080.
    Socks {
        /// 4, 5, or unspecified.
        version: Option<u8>,
        /// Proxy host.
        host: String,
        /// Port.
        port: u16,
    },
}

impl std::fmt::Display for Directive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hp = |host: &str, port: u16| {
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        };
        match self {
            Self::Direct => write!(f, "DIRECT"),
            Self::Proxy { host, port } => write!(f, "PROXY {}", hp(host, *port)),
            Self::Https { host, port } => write!(f, "HTTPS {}", hp(host, *port)),
            Self::Socks {
                version,
                host,
                port,
            } => match version {
                Some(v) => write!(f, "SOCKS{v} {}", hp(host, *port)),
                None => write!(f, "SOCKS {}", hp(host, *port)),
            },
        }
    }
}

/// Splits a PAC result into directives; entries that do not parse are returned separately
/// (browsers skip them, and fall back to DIRECT when nothing valid remains).
pub fn parse_pac_result(s: &str) -> (Vec<Directive>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for element in s.split(';') {
        let e = element.trim_matches(|c| c == ' ' || c == '\t');
        if e.is_empty() {
            continue;
        }
        match parse_element(e) {
            Some(d) => good.push(d),
            None => bad.push(e.to_string()),
        }
    }
    (good, bad)
}

fn parse_element(e: &str) -> Option<Directive> {
    let (scheme, rest) = match e.find([' ', '\t']) {
        Some(i) => (&e[..i], e[i..].trim_matches(|c| c == ' ' || c == '\t')),
        None => (e, ""),
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "direct" {
        return rest.is_empty().then_some(Directive::Direct);
    }
    let default_port = match scheme.as_str() {
        "proxy" => 80,
        "https" => 443,
        "socks" | "socks4" | "socks5" => 1080,
        _ => return None,
    };
    let (host, port) = host_port(rest, default_port)?;
    Some(match scheme.as_str() {
        "proxy" => Directive::Proxy { host, port },
        "https" => Directive::Https { host, port },
        "socks" => Directive::Socks {
            version: None,
            host,
            port,
        },
        "socks4" => Directive::Socks {
            version: Some(4),
            host,
            port,
        },
        _ => Directive::Socks {
            version: Some(5),
            host,
            port,
        },
    })
}

fn host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    if s.is_empty() || s.contains([' ', '\t']) {
        return None;
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &rest[..end];
        host.parse::<std::net::Ipv6Addr>().ok()?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        (host, port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() || (host.contains(':') && !s.starts_with('[')) {
        return None;
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return None;
    }
    let port = match port {
        None => default_port,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().ok()?
        }
        Some(_) => return None,
    };
    Some((canonical_host(host)?, port))
}

/// The host as Chromium's URL canonicaliser (the URL standard's host parser) leaves it:
/// lower case, IPv4 in any numeric spelling as a dotted quad (`0x7f.1` → `127.0.0.1`), IPv6
/// compressed (`::ffff:c0a8:1`); a name whose last label is a number but which is no valid
/// IPv4 address (`foopy.111`) is invalid.
fn canonical_host(host: &str) -> Option<String> {
    let parsed = if host.contains(':') {
        url::Host::parse(&format!("[{host}]"))
    } else {
        url::Host::parse(host)
    };
    match parsed.ok()? {
        url::Host::Domain(d) => Some(d),
        url::Host::Ipv4(a) => Some(a.to_string()),
        url::Host::Ipv6(a) => Some(crate::ip::canonical(std::net::IpAddr::V6(a))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_kinds() {
        let (d, bad) = parse_pac_result(
            "PROXY p:8080; https h; SOCKS s; SOCKS5 [::1]:1081;socks4 4.4.4.4:9;DIRECT;",
        );
        assert!(bad.is_empty());
        assert_eq!(
            d,
            vec![
                Directive::Proxy {
                    host: "p".into(),
                    port: 8080
                },
                Directive::Https {
                    host: "h".into(),
                    port: 443
                },
                Directive::Socks {
                    version: None,
                    host: "s".into(),
                    port: 1080
                },
                Directive::Socks {
                    version: Some(5),
                    host: "::1".into(),
                    port: 1081
                },
                Directive::Socks {
                    version: Some(4),
                    host: "4.4.4.4".into(),
                    port: 9
                },
                Directive::Direct,
            ]
        );
        assert_eq!(d[3].to_string(), "SOCKS5 [::1]:1081");
    }

    #[test]
    fn hosts_are_canonicalised_like_chromium() {
        let one = |s: &str| parse_pac_result(s).0.first().map(ToString::to_string);
        assert_eq!(
            one("PROXY 0x7f.1:3128").as_deref(),
            Some("PROXY 127.0.0.1:3128")
        );
        assert_eq!(
            one("PROXY 2130706433").as_deref(),
            Some("PROXY 127.0.0.1:80")
        );
        assert_eq!(
            one("PROXY 0177.0.0.1:1").as_deref(),
            Some("PROXY 127.0.0.1:1")
        );
        assert_eq!(
            one("HTTPS FOOPY.Example").as_deref(),
            Some("HTTPS foopy.example:443")
        );
        assert_eq!(
            one("SOCKS5 under_score:1").as_deref(),
            Some("SOCKS5 under_score:1")
        );
        assert_eq!(
            one("PROXY [::ffff:192.168.0.1]:3128").as_deref(),
            Some("PROXY [::ffff:c0a8:1]:3128")
        );
        assert_eq!(
            one("PROXY [0:0:0:0:0:0:0:1]").as_deref(),
            Some("PROXY [::1]:80")
        );
        for bad in [
            "PROXY foopy.111:3128",
            "PROXY 1.2.3.256",
            "PROXY 0x100000000",
            "PROXY a.0x",
        ] {
            let (d, b) = parse_pac_result(bad);
            assert!(d.is_empty(), "{bad} -> {d:?}");
            assert_eq!(b, vec![bad.to_string()]);
        }
    }

    #[test]
    fn bad_entries_are_reported() {
        let (d, bad) =
            parse_pac_result("PROXY; FOO bar:1; PROXY a:99999; DIRECT x; PROXY a b; proxy ok:1");
        assert_eq!(
            d,
            vec![Directive::Proxy {
                host: "ok".into(),
                port: 1
            }]
        );
        assert_eq!(
            bad,
            vec![
                "PROXY",
                "FOO bar:1",
                "PROXY a:99999",
                "DIRECT x",
                "PROXY a b"
            ]
        );
        let (d, bad) = parse_pac_result("");
        assert!(d.is_empty() && bad.is_empty());
    }
}
