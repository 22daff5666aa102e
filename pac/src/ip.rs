//! IP-address rules of the PAC helpers, as Chromium applies them.
//!
//! Chromium parses "IP literals" with its URL canonicaliser, which accepts the legacy IPv4
//! spellings (`127.1`, `0x7f.0.0.1`, `2130706433`, octal `0177.0.0.1`), while `isInNet` checks
//! its arguments with a strict dotted-quad pattern. Both are reproduced here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Parses an IP literal the way Chromium's `IPAddress::AssignFromIPLiteral` does:
/// a string containing `:` must be an IPv6 address (no brackets, no zone), anything else is
/// tried as an IPv4 address in any of the legacy numeric forms.
pub fn parse_ip_literal(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        return s.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    parse_ipv4_lenient(s).map(IpAddr::V4)
}

/// An address as Chromium prints it (`IPAddress::ToString`): IPv6 in the URL standard's
/// compressed form, so an IPv4-mapped address is `::ffff:c0a8:1`, not `::ffff:192.168.0.1`.
pub fn canonical(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = url::Host::<&str>::Ipv6(v6).to_string();
            s.trim_start_matches('[').trim_end_matches(']').to_string()
        }
    }
}

/// IPv4 in the forms URL canonicalisation accepts: 1 to 4 dot-separated numbers, each decimal,
/// octal (leading `0`) or hex (`0x`); the last fills the remaining bytes; one trailing dot allowed.
pub fn parse_ipv4_lenient(s: &str) -> Option<Ipv4Addr> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        nums.push(parse_component(p)?);
    }
    let (last, init) = nums.split_last()?;
    let mut value: u64 = 0;
    for (i, n) in init.iter().enumerate() {
        if *n > 255 {
            return None;
        }
        value |= n << (8 * (3 - i));
    }
    let remaining_bytes = 4 - init.len();
    let max = (1u64 << (8 * remaining_bytes)) - 1;
    if *last > max {
        return None;
    }
    value |= last;
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

fn parse_component(p: &str) -> Option<u64> {
    if p.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        (h, 16)
    } else if p.len() > 1 && p.starts_with('0') {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = u64::from(c.to_digit(radix)?);
        v = v.checked_mul(u64::from(radix))?.checked_add(d)?;
        if v > u64::from(u32::MAX) {
            return None;
        }
    }
    Some(v)
}

/// The strict check of the Netscape `isInNet`: `^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$`
/// with every part at most 255 (leading zeros allowed and read as decimal).
pub fn parse_dotted_quad(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u16 = p.parse().ok()?;
        *slot = u8::try_from(n).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// `isPlainHostName` on a string: no dot, and not an IP literal (IPv6 literals have no dots).
pub fn is_plain_host_name(host: &str) -> bool {
    !host.contains('.') && parse_ip_literal(host).is_none()
}

/// `isInNetEx(address, "prefix/bits")`: false on any malformed input; an IPv4/IPv6 mismatch is
/// compared through the IPv4-mapped IPv6 form.
pub fn is_in_net_ex(address: &str, cidr: &str) -> bool {
    let Some(addr) = parse_ip_literal(address) else {
        return false;
    };
    let Some((prefix, bits)) = parse_cidr(cidr) else {
        return false;
    };
    matches_prefix(addr, prefix, bits)
}

fn parse_cidr(cidr: &str) -> Option<(IpAddr, u32)> {
    let mut parts = cidr.split('/');
    let ip = parts.next()?.trim_matches(is_ascii_ws);
    let bits = parts.next()?.trim_matches(is_ascii_ws);
    if parts.next().is_some() {
        return None;
    }
    let prefix = parse_ip_literal(ip)?;
    if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = bits.parse().ok()?;
    let max = if prefix.is_ipv4() { 32 } else { 128 };
    (n <= max).then_some((prefix, n))
}

fn is_ascii_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

fn matches_prefix(addr: IpAddr, prefix: IpAddr, bits: u32) -> bool {
    match (addr, prefix) {
        (IpAddr::V4(a), IpAddr::V4(p)) => prefix_eq(&a.octets(), &p.octets(), bits),
        (IpAddr::V6(a), IpAddr::V6(p)) => prefix_eq(&a.octets(), &p.octets(), bits),
        (IpAddr::V4(a), IpAddr::V6(p)) => {
            prefix_eq(&a.to_ipv6_mapped().octets(), &p.octets(), bits)
        }
        (IpAddr::V6(a), IpAddr::V4(p)) => {
            prefix_eq(&a.octets(), &p.to_ipv6_mapped().octets(), bits + 96)
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u32) -> bool {
    let full = (bits / 8) as usize;
    if a.get(..full) != b.get(..full) {
        return false;
    }
    let rem = bits % 8;
    if rem == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rem);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

/// `sortIpAddressList`: `None` when the list is empty, only separators, or has a bad entry
/// (the helper then returns `false`); otherwise IPv6 first, each family ascending, original
/// spellings kept, joined with `;`.
pub fn sort_ip_address_list(list: &str) -> Option<String> {
    let cleaned: String = list.chars().filter(|c| *c != ' ' && *c != '\t').collect();
    let mut entries = Vec::new();
    for tok in cleaned.split(';').filter(|t| !t.is_empty()) {
        let ip = parse_ip_literal(tok)?;
        entries.push((ip, tok));
    }
    if entries.is_empty() {
        return None;
    }
    entries.sort_by(|(a, _), (b, _)| match (a, b) {
        (IpAddr::V6(_), IpAddr::V4(_)) => std::cmp::Ordering::Less,
        (IpAddr::V4(_), IpAddr::V6(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    });
    let strs: Vec<&str> = entries.iter().map(|(_, s)| *s).collect();
    Some(strs.join(";"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ipv6_is_the_url_standard_form() {
        let c = |s: &str| canonical(s.parse().unwrap());
        assert_eq!(c("::ffff:192.168.0.1"), "::ffff:c0a8:1");
        assert_eq!(c("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(c("::1"), "::1");
        assert_eq!(c("10.1.2.3"), "10.1.2.3");
    }

    #[test]
    fn lenient_ipv4_forms() {
        let lo = Some(Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(parse_ipv4_lenient("127.0.0.1"), lo);
        assert_eq!(parse_ipv4_lenient("127.1"), lo);
        assert_eq!(parse_ipv4_lenient("0x7f.0.0.1"), lo);
        assert_eq!(parse_ipv4_lenient("0177.0.0.1"), lo);
        assert_eq!(parse_ipv4_lenient("2130706433"), lo);
        assert_eq!(parse_ipv4_lenient("127.0.0.1."), lo);
        assert_eq!(parse_ipv4_lenient("127.0.0.1.."), None);
        assert_eq!(parse_ipv4_lenient("1.2.3.4.5"), None);
        assert_eq!(parse_ipv4_lenient("256.0.0.1"), None);
        assert_eq!(parse_ipv4_lenient("1.2.3.256"), None);
        assert_eq!(
            parse_ipv4_lenient("1.2.65535"),
            Some(Ipv4Addr::new(1, 2, 255, 255))
        );
        assert_eq!(parse_ipv4_lenient("09.1.1.1"), None);
        assert_eq!(parse_ipv4_lenient("www"), None);
        assert_eq!(parse_ipv4_lenient(""), None);
    }

    #[test]
    fn dotted_quad_is_strict() {
        assert_eq!(parse_dotted_quad("010.1.1.1"), Some([10, 1, 1, 1]));
        assert_eq!(parse_dotted_quad("127.1"), None);
        assert_eq!(parse_dotted_quad("1.2.3.256"), None);
        assert_eq!(parse_dotted_quad("1.2.3.4 "), None);
        assert_eq!(parse_dotted_quad("1.2.3.0004"), None);
    }

    #[test]
    fn cidr_and_prefix() {
        assert!(is_in_net_ex("198.95.249.79", "198.95.249.79/32"));
        assert!(is_in_net_ex("198.95.1.1", "198.95.0.0/16"));
        assert!(!is_in_net_ex("198.94.1.1", "198.95.0.0/16"));
        assert!(is_in_net_ex("3ffe:8311:ffff:1::", "3ffe:8311:ffff::/48"));
        assert!(!is_in_net_ex("3ffe:8311:fffe:1::", "3ffe:8311:ffff::/48"));
        assert!(!is_in_net_ex("3ffe:8311:ffff:1::", "3ffe:8311:ffff/48"));
        assert!(is_in_net_ex("1.2.3.4", "::ffff:1.2.0.0/112"));
        assert!(is_in_net_ex("::ffff:1.2.3.4", "1.2.0.0/16"));
        assert!(!is_in_net_ex("1.2.3.4", "1.2.0.0/33"));
        assert!(!is_in_net_ex("1.2.3.4", "1.2.0.0/+16"));
        assert!(is_in_net_ex("1.2.3.4", " 1.2.0.0 / 16 "));
        assert!(!is_in_net_ex("1.2.3.4", "1.2.0.0"));
    }

    #[test]
    fn sort_list() {
        assert_eq!(
            sort_ip_address_list("10.2.3.9;2001:4898:28:3:201:2ff:feea:fc14;::1;127.0.0.1;::9")
                .as_deref(),
            Some("::1;::9;2001:4898:28:3:201:2ff:feea:fc14;10.2.3.9;127.0.0.1")
        );
        assert_eq!(
            sort_ip_address_list(" 2.2.2.2 ; 1.1.1.1").as_deref(),
            Some("1.1.1.1;2.2.2.2")
        );
        assert_eq!(sort_ip_address_list(";"), None);
        assert_eq!(sort_ip_address_list("; ;"), None);
        assert_eq!(sort_ip_address_list(""), None);
        assert_eq!(sort_ip_address_list("1.2.3.4;bogus"), None);
    }

    #[test]
    fn plain_host_names() {
        assert!(is_plain_host_name("www"));
        assert!(!is_plain_host_name("www.example"));
        assert!(!is_plain_host_name("::1"));
        assert!(!is_plain_host_name("2130706433"));
        assert!(!is_plain_host_name("0x7f"));
        assert!(is_plain_host_name("[::1]"));
    }
}
