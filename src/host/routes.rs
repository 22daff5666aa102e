//! The route this machine would use to reach an address, and whether a VPN carries it.
//!
//! Each OS tool has a pure parser: Linux `ip route get` (a netlink query, no packet is
//! sent), macOS `route -n get`, and on Windows, when the route table from the diagnosis's one
//! PowerShell call ([`crate::host::windows::route_table`]) is missing, `route print -4` in any
//! display language (longest prefix, then lowest metric). [`route_to`] picks the tool at run
//! time and never hangs (every tool runs under a deadline). [`parse_format_list`] reads
//! PowerShell's list format.
//!
//! [`vpn_verdict`] is the rule input for `vpn.not-detected`: the private endpoint's address is
//! routed through a VPN-like interface, or not (and which VPN-like interfaces are up), or the
//! route could not be determined.

use crate::host::dns_config::command::{self, CommandError, TOOL_TIMEOUT};
use crate::host::interfaces::{self, Interface};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Why the route to an address could not be determined.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The OS has no usable route (unreachable, blackhole, prohibited, not in table).
    #[error("no route to {dest}: {detail}")]
    NoRoute {
        /// The address asked about.
        dest: IpAddr,
        /// What the tool said.
        detail: String,
    },
    /// The tool could not be run or timed out.
    #[error("cannot look up the route to {dest}: {source}")]
    Tool {
        /// The address asked about.
        dest: IpAddr,
        /// The tool failure.
        #[source]
        source: CommandError,
    },
    /// The tool answered, but with nothing the parser recognises.
    #[error("`{tool}` printed no route to {dest} that could be read")]
    Unparsable {
        /// The address asked about.
        dest: IpAddr,
        /// The tool.
        tool: String,
    },
}

/// The route to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteInfo {
    /// The address the route was looked up for.
    pub destination: IpAddr,
    /// Outgoing interface (`wg0`, `utun3`, Windows alias); `None` when the tool only names it
    /// by address (`route print`) and the address matched no known interface.
    pub interface: Option<String>,
    /// Next hop; `None` for on-link / point-to-point routes.
    pub gateway: Option<IpAddr>,
    /// Local address packets would leave with (Windows `route print`: the interface address).
    pub source: Option<IpAddr>,
    /// The matching route's prefix when the tool says (`10.0.0.0/16`, `default`).
    pub network: Option<String>,
    /// The tool's output the route was read from, trimmed (for `route print`, the matching
    /// line of the table).
    pub raw: String,
}

impl RouteInfo {
    fn new(destination: IpAddr, raw: &str) -> Self {
        Self {
            destination,
            interface: None,
            gateway: None,
            source: None,
            network: None,
            raw: raw.trim().to_string(),
        }
    }

    /// Names the interface from its source address when the tool did not (Windows
    /// `route print`), using an interface list.
    pub fn name_interface_from(&mut self, interfaces: &[Interface]) {
        if self.interface.is_none()
            && let Some(src) = self.source
            && let Some(i) = interfaces.iter().find(|i| i.has_address(src))
        {
            self.interface = Some(i.name.clone());
        }
    }
}

/// An address with an optional `%zone` suffix (`fe80::1%en0`).
fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    t.split('%').next().unwrap_or(t).parse().ok()
}

/// `None` for the unspecified next hop Windows prints for on-link routes.
fn gateway(ip: Option<IpAddr>) -> Option<IpAddr> {
    ip.filter(|g| !g.is_unspecified())
}

/// Route types `ip route get` prints before the destination when the route is not unicast.
const IP_ROUTE_DEAD_TYPES: &[&str] = &["unreachable", "blackhole", "prohibit", "throw"];
const IP_ROUTE_TYPES: &[&str] = &[
    "local",
    "broadcast",
    "multicast",
    "unicast",
    "anycast",
    "nat",
];

/// Parses Linux `ip route get ADDR`, e.g. `10.0.0.4 via 192.168.1.1 dev wlp2s0 src
/// 192.168.1.23 uid 1000` followed by `    cache`. `None` for `RTNETLINK answers: ...`
/// errors and unreachable / blackhole / prohibit routes.
pub fn parse_ip_route_get(text: &str) -> Option<RouteInfo> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    let kind = *tokens.first()?;
    if IP_ROUTE_DEAD_TYPES.contains(&kind)
        || first.starts_with("RTNETLINK")
        || first.starts_with("Error")
    {
        return None;
    }
    if IP_ROUTE_TYPES.contains(&kind) {
        i += 1;
    }
    let destination = parse_ip(tokens.get(i)?)?;
    let mut route = RouteInfo::new(destination, text);
    while i < tokens.len() {
        match tokens[i] {
            "via" => {
                // `via inet6 fe80::1` (IPv4 over an IPv6 next hop).
                let mut v = tokens.get(i + 1).copied();
                if matches!(v, Some("inet" | "inet6")) {
                    i += 1;
                    v = tokens.get(i + 1).copied();
                }
                route.gateway = gateway(v.and_then(parse_ip));
                i += 2;
            }
            "dev" => {
                route.interface = tokens.get(i + 1).map(|s| s.to_string());
                i += 2;
            }
            "src" => {
                route.source = tokens.get(i + 1).and_then(|s| parse_ip(s));
                i += 2;
            }
            _ => i += 1,
        }
    }
    route.interface.as_ref()?;
    Some(route)
}

/// Prefix length of a contiguous netmask (`255.255.0.0` → 16), `None` otherwise.
fn mask_prefix(mask: IpAddr) -> Option<u8> {
    let (bits, ones, zeros) = match mask {
        IpAddr::V4(m) => {
            let v = u32::from(m);
            (32, v.leading_ones(), v.trailing_zeros())
        }
        IpAddr::V6(m) => {
            let v = u128::from(m);
            (128, v.leading_ones(), v.trailing_zeros())
        }
    };
    (ones + zeros == bits).then_some(ones as u8)
}

/// Parses macOS `route -n get ADDR`: `route to`, `destination`, `mask`, `gateway` (only
/// printed for routes through a next hop), `interface`, `flags`. `None` when there is no
/// interface line (e.g. `route: writing to routing socket: not in table`) or the route is
/// a reject / blackhole route.
pub fn parse_route_n_get(text: &str) -> Option<RouteInfo> {
    let mut route_to = None;
    let mut dest = None;
    let mut mask = None;
    let mut gw = None;
    let mut iface = None;
    let mut flags = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "route to" => route_to = parse_ip(value),
            "destination" => dest = Some(value.to_string()),
            "mask" => mask = Some(value.to_string()),
            "gateway" => gw = parse_ip(value),
            "interface" => iface = Some(value.to_string()).filter(|v| !v.is_empty()),
            "flags" => flags = value.to_string(),
            _ => {}
        }
    }
    let flag_set: Vec<&str> = flags
        .trim_matches(['<', '>'])
        .split(',')
        .map(str::trim)
        .collect();
    if flag_set.iter().any(|f| *f == "REJECT" || *f == "BLACKHOLE") {
        return None;
    }
    let mut route = RouteInfo::new(route_to?, text);
    route.interface = Some(iface?);
    route.gateway = gateway(gw);
    route.network = match (dest, mask) {
        (Some(d), _) if d == "default" => Some("default".to_string()),
        (Some(d), Some(m)) => match (parse_ip(&d), parse_ip(&m).and_then(mask_prefix)) {
            (Some(ip), Some(p)) => Some(format!("{ip}/{p}")),
            _ => Some(d),
        },
        (Some(d), None) => Some(d),
        (None, _) => None,
    };
    Some(route)
}

/// Parses PowerShell `Format-List` output into records (one per object, split at blank
/// lines) of `(Property, value)`; wrapped values are joined with their continuation lines.
pub fn parse_format_list(text: &str) -> Vec<Vec<(String, String)>> {
    let mut records: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                records.push(std::mem::take(&mut current));
            }
            continue;
        }
        let kv = line.split_once(':').and_then(|(k, v)| {
            let key = k.trim();
            let is_property = !line.starts_with(' ')
                && !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            is_property.then(|| (key.to_string(), v.trim().to_string()))
        });
        match kv {
            Some(kv) => current.push(kv),
            None => {
                if let Some((_, v)) = current.last_mut() {
                    v.push_str(line.trim());
                }
            }
        }
    }
    if !current.is_empty() {
        records.push(current);
    }
    records
}

/// One line of the `Interface List` at the top of `route print`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutePrintInterface {
    /// Interface index.
    pub index: u32,
    /// Hardware address (lower-case, colon separated) when listed.
    pub mac: Option<String>,
    /// Adapter description (`Intel(R) Wi-Fi 6 AX201 160MHz`, a PPP connection's name).
    pub description: String,
}

/// Whether a line is a `===` separator of `route print`.
fn is_separator(line: &str) -> bool {
    line.starts_with("=====")
}

/// Parses the interface list at the top of Windows `route print` (any language): lines like
/// ` 12...8c 16 45 2a 7b 91 ......Intel(R) Ethernet Connection (7) I219-LM` and
/// ` 35...........................AzureVNet-ml-prod`, found by their shape (an index, then
/// dots), up to the `===` line that ends the list.
pub fn parse_route_print_interfaces(text: &str) -> Vec<RoutePrintInterface> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if is_separator(line) && !out.is_empty() {
            break;
        }
        let Some((index, rest)) = line.split_once("...") else {
            continue;
        };
        let Ok(index) = index.trim().parse::<u32>() else {
            continue;
        };
        let rest = rest.trim_start_matches('.');
        let mut mac_parts = Vec::new();
        let mut tail = rest;
        while let Some((pair, after)) = tail.split_once(' ')
            && pair.len() == 2
            && pair.chars().all(|c| c.is_ascii_hexdigit())
        {
            mac_parts.push(pair.to_ascii_lowercase());
            tail = after;
        }
        let description = tail.trim_start_matches(['.', ' ']).trim().to_string();
        let mac = (mac_parts.len() >= 6 && mac_parts.iter().any(|p| p != "00"))
            .then(|| mac_parts.join(":"));
        out.push(RoutePrintInterface {
            index,
            mac,
            description,
        });
    }
    out
}

/// One IPv4 route row of `route print`: `network mask gateway interface metric`, where the
/// gateway is an address or a translated on-link word that may hold spaces (`On-link`,
/// `Auf Verbindung`, `リンク上`).
fn route_print_row(line: &str) -> Option<(Ipv4Addr, Ipv4Addr, Option<IpAddr>, Ipv4Addr, u32)> {
    let cols: Vec<&str> = line.split_whitespace().collect();
    if cols.len() < 5 {
        return None;
    }
    let net = cols[0].parse::<Ipv4Addr>().ok()?;
    let mask = cols[1].parse::<Ipv4Addr>().ok()?;
    let metric = cols[cols.len() - 1].parse::<u32>().ok()?;
    let iface = cols[cols.len() - 2].parse::<Ipv4Addr>().ok()?;
    let middle = &cols[2..cols.len() - 2];
    let gw = match middle {
        [one] => gateway(parse_ip(one)),
        _ => None,
    };
    Some((net, mask, gw, iface, metric))
}

/// Parses Windows `route print -4` (any language) and picks the route to `dest` from the
/// active routes: the longest prefix, then the lowest metric. The active routes are the
/// first block of route rows (found by their shape), ended by a `===` line, so persistent
/// routes below are not read. The table names the interface only by its address, which
/// becomes [`RouteInfo::source`]; [`RouteInfo::name_interface_from`] turns it into a name.
pub fn parse_route_print(text: &str, dest: Ipv4Addr) -> Option<RouteInfo> {
    let mut in_rows = false;
    let mut best: Option<RoutePrintRow<'_>> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if is_separator(line) {
            if in_rows {
                break;
            }
            continue;
        }
        let Some((net, mask, gw, iface, metric)) = route_print_row(line) else {
            continue;
        };
        in_rows = true;
        let Some(prefix) = mask_prefix(IpAddr::V4(mask)) else {
            continue;
        };
        let m = u32::from(mask);
        if u32::from(dest) & m != u32::from(net) & m {
            continue;
        }
        let better = best
            .as_ref()
            .is_none_or(|b| prefix > b.prefix || (prefix == b.prefix && metric < b.metric));
        if better {
            best = Some(RoutePrintRow {
                prefix,
                metric,
                net,
                gateway: gw,
                iface,
                line,
            });
        }
    }
    let best = best?;
    let mut route = RouteInfo::new(IpAddr::V4(dest), best.line);
    route.gateway = best.gateway;
    route.source = Some(IpAddr::V4(best.iface));
    route.network = Some(if best.prefix == 0 {
        "default".to_string()
    } else {
        format!("{}/{}", best.net, best.prefix)
    });
    Some(route)
}

/// One row of `route print`'s `Active Routes` that matches the destination.
struct RoutePrintRow<'a> {
    prefix: u8,
    metric: u32,
    net: Ipv4Addr,
    gateway: Option<IpAddr>,
    iface: Ipv4Addr,
    line: &'a str,
}

/// Runs a tool: the signature collectors use, so tests can inject canned output.
type Runner<'a> = &'a dyn Fn(&str, &[&str], Duration) -> Result<String, CommandError>;

/// Looks up the route this machine would use to reach `ip`, choosing the tool by OS at run
/// time: `ip route get` (Linux), `route -n get` (macOS), PowerShell `Find-NetRoute` with
/// `route print -4` as fallback (Windows). Every tool runs under [`TOOL_TIMEOUT`].
pub fn route_to(ip: IpAddr) -> Result<RouteInfo, RouteError> {
    let runner =
        |program: &str, args: &[&str], timeout: Duration| command::run(program, args, timeout);
    route_to_with(ip, std::env::consts::OS, &runner)
}

/// [`route_to`] for a given OS name (`linux`, `macos`, `windows`; anything else is treated
/// like Linux) and tool runner.
fn route_to_with(ip: IpAddr, os: &str, run: Runner<'_>) -> Result<RouteInfo, RouteError> {
    let dest = ip.to_string();
    match os {
        "windows" => route_windows(ip, run),
        "macos" => {
            let mut args = vec!["-n", "get"];
            if ip.is_ipv6() {
                args.push("-inet6");
            }
            args.push(&dest);
            match run("route", &args, TOOL_TIMEOUT) {
                Ok(text) => parse_route_n_get(&text).ok_or(RouteError::Unparsable {
                    dest: ip,
                    tool: "route -n get".into(),
                }),
                Err(CommandError::Failed { stderr, .. }) => Err(RouteError::NoRoute {
                    dest: ip,
                    detail: stderr,
                }),
                Err(source) => Err(RouteError::Tool { dest: ip, source }),
            }
        }
        _ => match run("ip", &["route", "get", &dest], TOOL_TIMEOUT) {
            Ok(text) => parse_ip_route_get(&text).ok_or_else(|| {
                let first = text.lines().next().unwrap_or("").trim().to_string();
                if IP_ROUTE_DEAD_TYPES.iter().any(|t| first.starts_with(t)) {
                    RouteError::NoRoute {
                        dest: ip,
                        detail: first,
                    }
                } else {
                    RouteError::Unparsable {
                        dest: ip,
                        tool: "ip route get".into(),
                    }
                }
            }),
            // `RTNETLINK answers: Network is unreachable` and friends, exit status 2.
            Err(CommandError::Failed { stderr, .. }) => Err(RouteError::NoRoute {
                dest: ip,
                detail: stderr,
            }),
            Err(source) => Err(RouteError::Tool { dest: ip, source }),
        },
    }
}

/// Windows without the route table from PowerShell: `route print -4` (IPv4 only). The
/// table names the interface by its address; the verdict names it from the interface list.
fn route_windows(ip: IpAddr, run: Runner<'_>) -> Result<RouteInfo, RouteError> {
    let IpAddr::V4(v4) = ip else {
        return Err(RouteError::Unparsable {
            dest: ip,
            tool: "route print -4 (IPv4 only)".into(),
        });
    };
    let text = run("route", &["print", "-4"], TOOL_TIMEOUT)
        .map_err(|source| RouteError::Tool { dest: ip, source })?;
    parse_route_print(&text, v4).ok_or_else(|| RouteError::NoRoute {
        dest: ip,
        detail: "no matching route in `route print -4`".into(),
    })
}

/// Whether `route` leaves through a VPN-like interface: its interface is one of the
/// VPN-like `interfaces` (by name, case-insensitive), its source address belongs to one, or
/// its interface name itself looks like a VPN (for adapters the list lacks).
pub fn carried_by_vpn(route: &RouteInfo, interfaces: &[Interface]) -> bool {
    vpn_interface_of(route, interfaces).is_some()
}

/// The name of the VPN-like interface carrying `route`, if any.
fn vpn_interface_of(route: &RouteInfo, interfaces: &[Interface]) -> Option<String> {
    if let Some(name) = &route.interface {
        if let Some(i) = interfaces
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
        {
            return i.vpn_like.then(|| i.name.clone());
        }
        if interfaces::is_vpn_like(name, None).is_some() {
            return Some(name.clone());
        }
    }
    let src = route.source?;
    interfaces
        .iter()
        .find(|i| i.vpn_like && i.has_address(src))
        .map(|i| i.name.clone())
}

/// Whether the route to a private endpoint's address goes through a VPN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum VpnVerdict {
    /// The route leaves through this VPN-like interface.
    Carried {
        /// The interface.
        interface: String,
    },
    /// The route leaves through an ordinary interface (`vpn.not-detected`).
    NotCarried {
        /// The interface it does use, when known.
        interface_used: Option<String>,
        /// VPN-like interfaces that are up with a routable address (empty: no VPN connected;
        /// otherwise the VPN is connected but does not carry this range — split tunnel).
        vpn_interfaces: Vec<String>,
    },
    /// The route could not be determined.
    Unknown {
        /// Why.
        why: String,
    },
}

/// Decides whether `private_ip` is reached through a VPN, from its route and the interface
/// list. A machine inside the VNet (an Azure VM, see `host::azure_vm`) needs no VPN: check
/// that first, since its route is `NotCarried` too.
pub fn vpn_verdict(
    private_ip: IpAddr,
    route: Option<&RouteInfo>,
    interfaces: &[Interface],
) -> VpnVerdict {
    if private_ip.is_loopback() || private_ip.is_unspecified() {
        return VpnVerdict::Unknown {
            why: format!("{private_ip} is not a network address"),
        };
    }
    let Some(route) = route else {
        return VpnVerdict::Unknown {
            why: format!("the route to {private_ip} could not be determined"),
        };
    };
    if let Some(interface) = vpn_interface_of(route, interfaces) {
        return VpnVerdict::Carried { interface };
    }
    let mut named = route.clone();
    named.name_interface_from(interfaces);
    if named.interface.is_none() && named.source.is_none() {
        return VpnVerdict::Unknown {
            why: format!("the route to {private_ip} names no interface"),
        };
    }
    let interface_used = named
        .interface
        .or_else(|| named.source.map(|s| format!("interface with address {s}")));
    VpnVerdict::NotCarried {
        interface_used,
        vpn_interfaces: active_vpn_names(interfaces),
    }
}

/// [`vpn_verdict`] from the result of [`route_to`]: a lookup that found no route at all
/// (unreachable, not in table) is `NotCarried` with no interface — certainly not through a
/// VPN — while a tool failure is `Unknown`.
pub fn vpn_verdict_from_lookup(
    private_ip: IpAddr,
    lookup: &Result<RouteInfo, RouteError>,
    interfaces: &[Interface],
) -> VpnVerdict {
    match lookup {
        Ok(route) => vpn_verdict(private_ip, Some(route), interfaces),
        Err(RouteError::NoRoute { .. }) => VpnVerdict::NotCarried {
            interface_used: None,
            vpn_interfaces: active_vpn_names(interfaces),
        },
        Err(e) => VpnVerdict::Unknown { why: e.to_string() },
    }
}

fn active_vpn_names(interfaces: &[Interface]) -> Vec<String> {
    interfaces
        .iter()
        .filter(|i| i.is_active_vpn())
        .map(|i| i.name.clone())
        .collect()
}

#[cfg(test)]
mod tests;
