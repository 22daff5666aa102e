//! Facts read from this machine. Each source is a pure parser (tested on captured output from
//! all three OSes) plus a thin collector that runs the OS's own tools and picks the OS at run
//! time, so every line compiles on Linux.

pub mod azure_vm;
pub mod browsers;
pub mod collect;
pub mod dns_config;
pub mod hosts_file;
pub mod interfaces;
pub mod nrpt;
pub mod os_doh;
pub mod proxy_settings;
pub mod raw_capture;
pub mod routes;
pub mod windows;

use std::net::SocketAddr;

/// A DNS server the OS is configured to use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfiguredServer {
    /// Short label for tables (derived from the source when None).
    pub label: Option<String>,
    /// Address (port 53 unless the OS says otherwise).
    pub addr: SocketAddr,
    /// Where the configuration names it (`resolv.conf`, `link wg0`, `NRPT .azureml.ms`...).
    pub source: String,
    /// Routing / match domains; empty when the server is used for every name.
    pub domains: Vec<String>,
}

/// What the diagnosis knows about this machine.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HostFacts {
    /// OS name (`linux`, `windows`, `macos`).
    pub os: String,
    /// DNS servers the OS uses.
    pub dns_servers: Vec<ConfiguredServer>,
    /// Search domains.
    pub search_domains: Vec<String>,
    /// Hosts-file entries that mention names of interest are looked up in this file.
    pub hosts_file: Option<std::path::PathBuf>,
    /// Notes from collectors (what could not be read, and why).
    pub notes: Vec<String>,
    /// Proxy settings (None: not collected).
    pub proxy: Option<proxy_settings::ProxyDiscovery>,
    /// Browsers' DNS-over-HTTPS settings.
    pub browsers: Vec<browsers::BrowserDoh>,
    /// Network interfaces.
    pub interfaces: Vec<interfaces::Interface>,
    /// Whether this is an Azure VM.
    pub azure_vm: Option<azure_vm::AzureVm>,
    /// How routes to private addresses are looked up.
    pub routes: RouteLookup,
    /// Windows OS-level DNS over HTTPS (`netsh dns show encryption`).
    pub os_doh: Vec<os_doh::OsDohEntry>,
}

/// How the diagnosis learns the route to a private address.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteLookup {
    /// Not looked up.
    #[default]
    None,
    /// Ask the OS (`ip route get`, `route -n get`, `route print`).
    Os,
    /// Windows' route table, read once (`Get-NetRoute`); routes are chosen from it.
    Table(windows::route_table::RouteTable),
    /// Fixed answers (the lab): the route for any address in the given prefix.
    Fixed(Vec<(ipnet_prefix::Prefix, routes::RouteInfo)>),
}

/// A tiny IPv4/IPv6 prefix for lab route tables.
pub mod ipnet_prefix {
    use std::net::IpAddr;

    /// `addr/len`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    pub struct Prefix {
        /// Network address.
        pub addr: IpAddr,
        /// Prefix length.
        pub len: u8,
    }

    impl Prefix {
        /// Whether `ip` is inside.
        pub fn contains(&self, ip: IpAddr) -> bool {
            match (self.addr, ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    let mask = if self.len == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(self.len.min(32)))
                    };
                    (u32::from(n) & mask) == (u32::from(a) & mask)
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = if self.len == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(self.len.min(128)))
                    };
                    (u128::from(n) & mask) == (u128::from(a) & mask)
                }
                _ => false,
            }
        }
    }
}

impl RouteLookup {
    /// Starts looking up the route to `ip` as the OS (or the lab) answers; the OS tools it
    /// runs are bounded by `deadline`. None when routes are not looked up.
    pub fn start(
        &self,
        ip: std::net::IpAddr,
        deadline: crate::run::Deadline,
    ) -> Option<crate::run::Task<Result<routes::RouteInfo, routes::RouteError>>> {
        match self {
            RouteLookup::None => None,
            RouteLookup::Os => {
                let tools = deadline
                    .earlier_by(collect::TOOL_MARGIN)
                    .instant()
                    .into_std();
                Some(crate::run::spawn_blocking(
                    move || dns_config::command::within(tools, || routes::route_to(ip)),
                    deadline,
                ))
            }
            RouteLookup::Table(table) => {
                let found = table
                    .route_to(ip)
                    .ok_or_else(|| routes::RouteError::NoRoute {
                        dest: ip,
                        detail: "no matching route in the route table (Get-NetRoute)".into(),
                    });
                Some(crate::run::spawn(Box::pin(async move { found }), deadline))
            }
            RouteLookup::Fixed(table) => {
                let found = table
                    .iter()
                    .filter(|(p, _)| p.contains(ip))
                    .max_by_key(|(p, _)| p.len)
                    .map(|(_, r)| {
                        let mut r = r.clone();
                        r.destination = ip;
                        r
                    })?;
                Some(crate::run::spawn(
                    Box::pin(async move { Ok(found) }),
                    deadline,
                ))
            }
        }
    }
}

impl HostFacts {
    /// The configured servers the OS sends `fqdn` to: those whose routing domain matches it most
    /// specifically, else those used for every name.
    pub fn servers_for(&self, fqdn: &str) -> Vec<&ConfiguredServer> {
        let name = fqdn.trim_end_matches('.').to_ascii_lowercase();
        let matches = |d: &str| {
            let d = d.trim_matches('.').to_ascii_lowercase();
            d.is_empty() || name == d || name.ends_with(&format!(".{d}"))
        };
        let best = self
            .dns_servers
            .iter()
            .flat_map(|s| {
                s.domains
                    .iter()
                    .filter(|d| matches(d))
                    .map(move |d| (d.trim_matches('.').len(), s))
            })
            .map(|(len, _)| len)
            .max();
        match best {
            Some(len) => self
                .dns_servers
                .iter()
                .filter(|s| {
                    s.domains
                        .iter()
                        .any(|d| matches(d) && d.trim_matches('.').len() == len)
                })
                .collect(),
            None => self
                .dns_servers
                .iter()
                .filter(|s| s.domains.is_empty())
                .collect(),
        }
    }

    /// An empty set of facts for this OS (used when host collection is off, and by the lab).
    pub fn empty() -> Self {
        Self {
            os: std::env::consts::OS.to_string(),
            ..Self::default()
        }
    }
}

/// The servers of a DNS configuration as the diagnosis asks them (one entry per address, with
/// the domains it serves when it is a split-DNS server).
pub fn configured_servers(cfg: &dns_config::DnsConfig) -> Vec<ConfiguredServer> {
    let mut out: Vec<ConfiguredServer> = Vec::new();
    for s in &cfg.servers {
        if let Some(existing) = out.iter_mut().find(|c| c.addr == s.addr) {
            for d in &s.domains {
                if !existing.domains.contains(d) {
                    existing.domains.push(d.clone());
                }
            }
            continue;
        }
        out.push(ConfiguredServer {
            label: s.interface.as_ref().map(|i| format!("dns@{i}")),
            addr: s.addr,
            source: s.source.clone(),
            domains: if s.default_route {
                Vec::new()
            } else {
                s.domains.clone()
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(addr: &str, source: &str, domains: &[&str]) -> ConfiguredServer {
        ConfiguredServer {
            label: None,
            addr: addr.parse().unwrap(),
            source: source.into(),
            domains: domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn split_dns_routing_prefers_the_most_specific_domain() {
        let mut h = HostFacts::empty();
        h.dns_servers = vec![
            server("192.168.1.1:53", "resolv.conf", &[]),
            server("10.8.0.1:53", "link tun0", &["azureml.ms"]),
            server("10.8.0.2:53", "NRPT", &[".api.azureml.ms"]),
        ];
        let ws = h.servers_for("x.workspace.eastus2.api.azureml.ms");
        assert_eq!(ws.len(), 1);
        assert_eq!(ws[0].source, "NRPT");
        assert_eq!(
            h.servers_for("ci.eastus2.instances.azureml.ms")[0].source,
            "link tun0"
        );
        assert_eq!(h.servers_for("example.com")[0].source, "resolv.conf");
    }
}
