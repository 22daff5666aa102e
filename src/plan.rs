//! Pure planning: configuration and host facts -> which resolver is asked about which name.

use crate::config::{Config, SystemResolver};
use crate::host::HostFacts;
use crate::model::{ResolverInfo, ResolverRole, Transport};
use crate::targets::Target;
use std::net::SocketAddr;

/// How a resolver is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// The OS's getaddrinfo.
    Getaddrinfo,
    /// Plain DNS to this server (UDP, TCP on truncation).
    Dns(SocketAddr),
    /// DNS over HTTPS to this endpoint (or why its URL cannot be used).
    Doh(Result<crate::probe::doh::DohEndpoint, String>),
}

/// A resolver in the plan.
#[derive(Debug, Clone)]
pub struct PlannedResolver {
    /// Who it is, as the report shows it.
    pub info: ResolverInfo,
    /// How to ask it.
    pub ask: Ask,
}

/// The plan: every target is asked of every resolver.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Names.
    pub targets: Vec<Target>,
    /// Resolvers, in report column order: system, configured, custom, azure-dns, DoH.
    pub resolvers: Vec<PlannedResolver>,
}

impl Plan {
    /// Every (target index, resolver index) question.
    pub fn questions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.targets.len()).flat_map(move |t| (0..self.resolvers.len()).map(move |r| (t, r)))
    }
}

fn dns_resolver(
    label: String,
    role: ResolverRole,
    addr: SocketAddr,
    source: Option<String>,
) -> PlannedResolver {
    PlannedResolver {
        info: ResolverInfo {
            label,
            role,
            transport: Transport::Udp,
            address: addr.to_string(),
            source,
        },
        ask: Ask::Dns(addr),
    }
}

/// Builds the plan.
pub fn plan(config: &Config, host: &HostFacts) -> Plan {
    let mut resolvers = Vec::new();
    resolvers.push(match config.system_resolver {
        SystemResolver::Getaddrinfo => PlannedResolver {
            info: ResolverInfo {
                label: "system".into(),
                role: ResolverRole::System,
                transport: Transport::Getaddrinfo,
                address: "getaddrinfo".into(),
                source: None,
            },
            ask: Ask::Getaddrinfo,
        },
        SystemResolver::Server(addr) => dns_resolver(
            "system".into(),
            ResolverRole::System,
            addr,
            Some("--system-resolver".into()),
        ),
    });
    if config.read_host_dns {
        for (i, s) in host.dns_servers.iter().enumerate() {
            if resolvers
                .iter()
                .any(|r| r.info.role == ResolverRole::Configured && r.ask == Ask::Dns(s.addr))
            {
                continue;
            }
            let label = if let Some(l) = &s.label {
                l.clone()
            } else if host.dns_servers.len() == 1 {
                "os-dns".to_string()
            } else {
                format!("os-dns{}", i + 1)
            };
            let mut source = s.source.clone();
            if !s.domains.is_empty() {
                source = format!("{source} (for {})", s.domains.join(", "));
            }
            resolvers.push(dns_resolver(
                label,
                ResolverRole::Configured,
                s.addr,
                Some(source),
            ));
        }
    }
    for s in &config.dns_servers {
        resolvers.push(dns_resolver(
            s.label.clone(),
            ResolverRole::Custom,
            s.addr,
            Some("--dns-server".into()),
        ));
    }
    resolvers.push(dns_resolver(
        "azure-dns".into(),
        ResolverRole::AzureDns,
        config.azure_dns,
        None,
    ));
    for d in &config.doh {
        resolvers.push(PlannedResolver {
            info: ResolverInfo {
                label: d.label.clone(),
                role: ResolverRole::Doh,
                transport: Transport::Doh,
                address: d.url.clone(),
                source: None,
            },
            ask: Ask::Doh(Ok(d.endpoint.clone())),
        });
    }
    // The DoH servers browsers on this machine use: asked too, as `browser-doh`.
    for b in crate::host::browsers::doh_resolvers(&host.browsers) {
        if let Some(existing) = resolvers
            .iter_mut()
            .find(|r| r.info.transport == Transport::Doh && r.info.address == b.url)
        {
            existing.info.role = ResolverRole::BrowserDoh;
            existing.info.source = Some(format!("used by {}", b.label));
            continue;
        }
        let host_part = crate::config::doh_host(&b.url).unwrap_or("doh").to_string();
        resolvers.push(PlannedResolver {
            info: ResolverInfo {
                label: format!("browser-doh:{host_part}"),
                role: ResolverRole::BrowserDoh,
                transport: Transport::Doh,
                address: b.url.clone(),
                source: Some(format!("used by {}", b.label)),
            },
            ask: Ask::Doh(crate::probe::doh::DohEndpoint::parse(&b.url).map_err(|e| e.message)),
        });
    }
    Plan {
        targets: config.targets.clone(),
        resolvers,
    }
}
