//! The report model, serialised as `pe-doctor/report/v1`.

use crate::findings::Finding;
use crate::model::{Resolution, ResolverInfo};
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
    /// What the user gave instead of flags (a URL, a studio link, error text) and what each
    /// input yielded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<crate::targets::Derivation>,
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
