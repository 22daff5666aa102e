//! Chromium's implicit bypass rules: hosts a browser never sends to the PAC script.
//!
//! Chromium (`ProxyBypassRules::MatchesImplicitRules`, applied before every PAC evaluation)
//! connects directly to `localhost`, `*.localhost`, loopback addresses (127.0.0.0/8, `::1`,
//! `::ffff:127.0.0.0/104`) and link-local addresses (169.254.0.0/16, `fe80::/10`,
//! `::ffff:169.254.0.0/112`); on Windows also to the name `loopback`.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a URL bypasses the PAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImplicitBypass {
    /// `localhost`, `*.localhost` (one trailing dot allowed), or `loopback` on Windows.
    LocalhostName,
    /// A loopback address literal.
    Loopback,
    /// A link-local address literal.
    LinkLocal,
}

impl std::fmt::Display for ImplicitBypass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LocalhostName => "a localhost name",
            Self::Loopback => "a loopback address",
            Self::LinkLocal => "a link-local address",
        })
    }
}

/// The implicit rule `url` matches, if any (`None` also for a URL that does not parse).
/// `windows` adds the name `loopback`, as Chromium does on Windows.
pub fn implicit_bypass(url: &str, windows: bool) -> Option<ImplicitBypass> {
    let u = url::Url::parse(url.trim()).ok()?;
    match u.host()? {
        url::Host::Domain(d) => {
            let name = d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase();
            let local = name == "localhost"
                || name.ends_with(".localhost")
                || (windows && name == "loopback");
            local.then_some(ImplicitBypass::LocalhostName)
        }
        url::Host::Ipv4(a) => v4_rule(a),
        url::Host::Ipv6(a) => v6_rule(a),
    }
}

fn v4_rule(a: Ipv4Addr) -> Option<ImplicitBypass> {
    match a.octets() {
        [127, ..] => Some(ImplicitBypass::Loopback),
        [169, 254, ..] => Some(ImplicitBypass::LinkLocal),
        _ => None,
    }
}

fn v6_rule(a: Ipv6Addr) -> Option<ImplicitBypass> {
    if a == Ipv6Addr::LOCALHOST {
        return Some(ImplicitBypass::Loopback);
    }
    if let Some(v4) = a.to_ipv4_mapped() {
        return v4_rule(v4);
    }
    ((a.segments()[0] & 0xffc0) == 0xfe80).then_some(ImplicitBypass::LinkLocal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromium_implicit_rules() {
        let b = |u: &str| implicit_bypass(u, false);
        let name = Some(ImplicitBypass::LocalhostName);
        let lo = Some(ImplicitBypass::Loopback);
        let ll = Some(ImplicitBypass::LinkLocal);
        assert_eq!(b("http://localhost/"), name);
        assert_eq!(b("http://LOCALHOST.:8080/x"), name);
        assert_eq!(b("https://app.localhost/"), name);
        assert_eq!(b("http://127.0.0.1/"), lo);
        assert_eq!(b("http://127.255.1.2:81/"), lo);
        assert_eq!(b("http://0x7f.1/"), lo);
        assert_eq!(b("http://[::1]/"), lo);
        assert_eq!(b("http://[::ffff:127.0.0.2]/"), lo);
        assert_eq!(b("http://169.254.169.254/latest"), ll);
        assert_eq!(b("http://[fe80::1]/"), ll);
        assert_eq!(b("http://[febf::1]/"), ll);
        assert_eq!(b("http://[::ffff:169.254.0.1]/"), ll);
        for no in [
            "http://localhost.example/",
            "http://notlocalhost/",
            "http://loopback/",
            "http://10.0.0.1/",
            "http://128.0.0.1/",
            "http://169.253.1.1/",
            "http://[fec0::1]/",
            "http://[::2]/",
            "http://[::ffff:10.0.0.1]/",
            "not a url",
            "file:///etc/hosts",
        ] {
            assert_eq!(b(no), None, "{no}");
        }
        assert_eq!(implicit_bypass("http://loopback/", true), name);
        assert_eq!(implicit_bypass("http://loopback./", true), name);
    }
}
