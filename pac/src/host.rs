//! What the PAC engine asks of its host: DNS, the machine's addresses, the clock.
//!
//! The engine itself never opens a socket or reads the clock; everything observable by a PAC
//! script comes through [`PacHost`], so evaluation is deterministic under [`StaticHost`].

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

/// Services a PAC script can observe. Implementations must be cheap to call repeatedly.
pub trait PacHost: Send + Sync + std::fmt::Debug {
    /// IPv4 addresses of `host` (for `dnsResolve`, `isResolvable`, `isInNet`); empty = failure.
    fn resolve_v4(&self, host: &str) -> Vec<Ipv4Addr>;
    /// All addresses of `host`, IPv6 and IPv4 (for `dnsResolveEx`); empty = failure.
    fn resolve_all(&self, host: &str) -> Vec<IpAddr>;
    /// This machine's addresses in preference order, as `myIpAddressEx()` lists them;
    /// `myIpAddress()` is the first IPv4 among them, else the first (see [`my_ip_address`]);
    /// empty = unknown.
    fn my_addresses(&self) -> Vec<IpAddr>;
    /// Current time, milliseconds since the Unix epoch (UTC).
    fn now_utc_millis(&self) -> i64;
    /// Offset of local time from UTC, in seconds, at the given UTC instant (seconds since epoch).
    fn local_offset_seconds(&self, utc_seconds: i64) -> i32;
}

/// What `myIpAddress()` returns for `host`: the first IPv4 of its addresses, else the first
/// address (Chromium favours IPv4 for legacy reasons, crbug.com/905126); `None` = `127.0.0.1`.
pub fn my_ip_address(host: &dyn PacHost) -> Option<IpAddr> {
    let all = host.my_addresses();
    all.iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| all.first())
        .copied()
}

/// A fixed host: a table of names, fixed own addresses, a fixed instant and a fixed offset.
///
/// Names not in the table fail to resolve, so nothing ever reaches the network.
#[derive(Debug, Clone, Default)]
pub struct StaticHost {
    names: HashMap<String, Vec<IpAddr>>,
    my_ips: Vec<IpAddr>,
    now_ms: i64,
    offset_s: i32,
}

impl StaticHost {
    /// An empty host: nothing resolves, no own address, time is the epoch in UTC.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an address for `name` (case-insensitive; a trailing dot is ignored).
    pub fn with_name(mut self, name: &str, ip: IpAddr) -> Self {
        self.add_name(name, ip);
        self
    }

    /// Adds an address for `name` in place.
    pub fn add_name(&mut self, name: &str, ip: IpAddr) {
        self.names.entry(normalize(name)).or_default().push(ip);
    }

    /// Sets this machine's addresses (`myIpAddressEx()`; `myIpAddress()` favours IPv4).
    pub fn with_my_ips(mut self, ips: Vec<IpAddr>) -> Self {
        self.my_ips = ips;
        self
    }

    /// Sets the current instant (ms since epoch, UTC) and the local offset from UTC in seconds.
    pub fn with_time(mut self, now_utc_millis: i64, local_offset_seconds: i32) -> Self {
        self.now_ms = now_utc_millis;
        self.offset_s = local_offset_seconds;
        self
    }

    fn lookup(&self, host: &str) -> &[IpAddr] {
        self.names.get(&normalize(host)).map_or(&[], Vec::as_slice)
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl PacHost for StaticHost {
    fn resolve_v4(&self, host: &str) -> Vec<Ipv4Addr> {
        self.lookup(host)
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            })
            .collect()
    }

    fn resolve_all(&self, host: &str) -> Vec<IpAddr> {
        self.lookup(host).to_vec()
    }

    fn my_addresses(&self) -> Vec<IpAddr> {
        self.my_ips.clone()
    }

    fn now_utc_millis(&self) -> i64 {
        self.now_ms
    }

    fn local_offset_seconds(&self, _utc_seconds: i64) -> i32 {
        self.offset_s
    }
}
