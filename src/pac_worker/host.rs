//! The one host a PAC sees, in `diagnose` and in `pe-doctor pac` alike: DNS answers handed over
//! by the caller, this machine's addresses as Chromium's `myIpAddress()` finds them (or
//! `--my-ip`), the clock (or `--now`) and this machine's time zone.
//!
//! It is built in the parent and sent to the worker process, which reads the clock and the
//! time-zone database itself: a fresh process with its own `TZ`.

use pac::PacHost;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// What a PAC script observes. Names not in `names` do not resolve: the worker never asks DNS.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MachineHost {
    /// DNS answers by lower-case name without the trailing dot.
    names: BTreeMap<String, Vec<IpAddr>>,
    /// `myIpAddressEx()` in order (`myIpAddress()` favours the first IPv4).
    my_ips: Vec<IpAddr>,
    /// A fixed instant (ms since the epoch, UTC); `None` = the clock of the worker.
    now_ms: Option<i64>,
    /// This machine's time zone, loaded once in the worker (not sent: the worker reads `TZ`,
    /// else `/etc/localtime`, else the Windows setting, itself).
    #[serde(skip)]
    zone: Option<jiff::tz::TimeZone>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl MachineHost {
    /// A host where nothing resolves, `myIpAddress()` is 127.0.0.1 and time is the machine's.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds DNS answers for `name` (case-insensitive, trailing dot ignored).
    pub fn add_name(&mut self, name: &str, addresses: &[IpAddr]) {
        let slot = self.names.entry(key(name)).or_default();
        for a in addresses {
            if !slot.contains(a) {
                slot.push(*a);
            }
        }
    }

    /// Sets this machine's addresses (`myIpAddressEx()` order).
    pub fn with_my_ips(mut self, ips: Vec<IpAddr>) -> Self {
        self.my_ips = ips;
        self
    }

    /// Fixes the clock at `now_ms` (ms since the epoch, UTC).
    pub fn with_now(mut self, now_ms: i64) -> Self {
        self.now_ms = Some(now_ms);
        self
    }

    /// The addresses `myIpAddressEx()` returns.
    pub fn my_ips(&self) -> &[IpAddr] {
        &self.my_ips
    }

    /// Loads this machine's time zone (in the worker, once, before the script runs).
    pub fn load_zone(&mut self) {
        self.zone = Some(jiff::tz::TimeZone::system());
    }
}

impl PacHost for MachineHost {
    fn resolve_v4(&self, host: &str) -> Vec<Ipv4Addr> {
        self.resolve_all(host)
            .into_iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .collect()
    }

    fn resolve_all(&self, host: &str) -> Vec<IpAddr> {
        let k = key(host);
        if let Ok(ip) = k.trim_start_matches('[').trim_end_matches(']').parse() {
            return vec![ip];
        }
        self.names.get(&k).cloned().unwrap_or_default()
    }

    fn my_addresses(&self) -> Vec<IpAddr> {
        self.my_ips.clone()
    }

    fn now_utc_millis(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| jiff::Timestamp::now().as_millisecond())
    }

    fn local_offset_seconds(&self, utc_seconds: i64) -> i32 {
        let Ok(at) = jiff::Timestamp::from_second(utc_seconds) else {
            return 0;
        };
        match &self.zone {
            Some(tz) => tz.to_offset(at).seconds(),
            None => jiff::tz::TimeZone::system().to_offset(at).seconds(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_addresses_clock_and_zone() {
        let mut h = MachineHost::new()
            .with_my_ips(vec![
                "fd00::5".parse().unwrap(),
                "10.1.2.3".parse().unwrap(),
            ])
            .with_now(1_700_000_000_000);
        h.add_name(
            "WS.Example.",
            &["10.0.0.4".parse().unwrap(), "fd00::4".parse().unwrap()],
        );
        let mut h: MachineHost = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        h.zone = Some(jiff::tz::TimeZone::fixed(jiff::tz::offset(1)));
        assert_eq!(h.resolve_v4("ws.example"), vec![Ipv4Addr::new(10, 0, 0, 4)]);
        assert_eq!(h.resolve_all("ws.example.").len(), 2);
        assert_eq!(h.resolve_all("other.example"), Vec::<IpAddr>::new());
        assert_eq!(
            h.resolve_all("192.0.2.1"),
            vec![IpAddr::from([192, 0, 2, 1])]
        );
        assert_eq!(
            pac::my_ip_address(&h),
            Some(IpAddr::from([10, 1, 2, 3])),
            "myIpAddress favours IPv4"
        );
        assert_eq!(h.now_utc_millis(), 1_700_000_000_000);
        assert_eq!(h.local_offset_seconds(1_700_000_000), 3600);
    }

    #[test]
    fn named_zone_follows_daylight_saving() {
        let mut h = MachineHost::new();
        h.zone = Some(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        // 2024-01-15 and 2024-07-15, noon UTC.
        assert_eq!(h.local_offset_seconds(1_705_320_000), 3600);
        assert_eq!(h.local_offset_seconds(1_721_044_800), 7200);
    }
}
