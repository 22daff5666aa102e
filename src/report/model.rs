//! The report model, serialised as `pe-doctor/report/v1`.

use crate::classify::AddrClass;
use crate::findings::Finding;
use crate::probe::answer::{ChainRecord, DnsStatus};
use crate::targets::Target;
use serde::Serialize;
use std::net::IpAddr;

/// Schema id of the JSON report.
pub const SCHEMA: &str = "pe-doctor/report/v1";

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No error-severity finding.
    Healthy,
    /// At least one error-severity finding.
    Problems,
    /// Nothing answered: no conclusion possible.
    Inconclusive,
}

/// Who a resolver is, from the machine's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolverRole {
    /// The OS resolver (getaddrinfo), or a server standing in for it.
    System,
    /// A DNS server the OS is configured to use, asked directly.
    Configured,
    /// A server given with `--dns-server`.
    Custom,
    /// Azure DNS (168.63.129.16) or a resolver inbound endpoint.
    AzureDns,
    /// A DNS-over-HTTPS resolver.
    Doh,
    /// The DoH resolver a browser on this machine is configured with.
    BrowserDoh,
}

impl ResolverRole {
    /// True for resolvers whose answers the machine's applications actually use.
    pub fn is_used_by_machine(self) -> bool {
        matches!(self, ResolverRole::System | ResolverRole::Configured)
    }
}

/// How a resolver is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// The OS's getaddrinfo.
    Getaddrinfo,
    /// Plain DNS over UDP with TCP fallback on truncation.
    Udp,
    /// Plain DNS over TCP.
    Tcp,
    /// DNS over HTTPS (RFC 8484).
    Doh,
}

/// One resolver the diagnosis asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResolverInfo {
    /// Short label for tables (`system`, `corp-dns`, `doh:cloudflare`...).
    pub label: String,
    /// Role.
    pub role: ResolverRole,
    /// Transport.
    pub transport: Transport,
    /// `IP:PORT`, a DoH URL, or `getaddrinfo`.
    pub address: String,
    /// Where the machine's configuration named it (e.g. `resolv.conf`, `link wg0`), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What one resolver answered for one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The name asked.
    pub fqdn: String,
    /// Who was asked.
    pub resolver: ResolverInfo,
    /// Outcome.
    pub status: DnsStatus,
    /// CNAME chain and address records.
    pub chain: Vec<ChainRecord>,
    /// Addresses returned.
    pub addresses: Vec<IpAddr>,
    /// Private / public / mixed / none.
    pub class: AddrClass,
    /// Time until the answer (or the failure).
    pub elapsed_ms: u64,
    /// Failure detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The tool that wrote the report.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    /// Always `pe-doctor`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        Self {
            name: "pe-doctor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// A network interface of this machine.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceInfo {
    /// OS name of the interface.
    pub name: String,
    /// Its addresses.
    pub addresses: Vec<IpAddr>,
    /// Whether the name looks like a VPN adapter.
    pub vpn_like: bool,
}

/// Facts about this machine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostInfo {
    /// `linux`, `windows`, `macos`...
    pub os: String,
    /// Interfaces and addresses.
    pub interfaces: Vec<InterfaceInfo>,
    /// DNS servers the OS uses.
    pub dns_servers: Vec<String>,
    /// Search domains.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub search_domains: Vec<String>,
    /// Whether this is an Azure VM (jump box).
    pub azure_vm: bool,
    /// Which configured DNS server the OS sends each private-endpoint zone to (split DNS,
    /// NRPT, scoped resolvers): `api.azureml.ms → 10.8.0.1:53 (link tun0)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_routes: Vec<String>,
    /// Notes from collectors that could not read something.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Tool name and version.
    pub tool: ToolInfo,
    /// RFC 3339 UTC start time.
    pub started_at: String,
    /// Wall-clock duration of the diagnosis.
    pub duration_ms: u64,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Workspace the diagnosis is about, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<WorkspaceInfo>,
    /// Facts about this machine.
    pub host: HostInfo,
    /// Names diagnosed.
    pub targets: Vec<Target>,
    /// Resolvers asked.
    pub resolvers: Vec<ResolverInfo>,
    /// One entry per (name, resolver).
    pub resolutions: Vec<Resolution>,
    /// Browsers' DNS-over-HTTPS settings found on this machine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub browsers: Vec<crate::host::browsers::BrowserDoh>,
    /// The PAC file's verdicts, when a PAC decides the route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pac: Option<crate::probe::pac::PacReport>,
    /// Connection attempts (direct to each address, or through the proxy).
    pub connections: Vec<crate::probe::connect::Connection>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

/// The workspace identity the targets were derived from.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceInfo {
    /// Workspace GUID.
    pub id: String,
    /// Azure region.
    pub region: String,
    /// Workspace name, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cloud (`public`, `usgov`, `china`).
    pub cloud: String,
}
