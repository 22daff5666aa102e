//! Rules: diagnosis results -> findings with evidence and remediation. Wording lives here, once,
//! so every report format says the same thing.

pub mod browser;
pub mod connect;
pub mod dns;
pub mod net;
pub mod pac;
pub mod pe;
pub mod scope;
pub mod vpn;

use serde::Serialize;
use std::net::IpAddr;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Breaks access.
    Error,
    /// A risk or a partial breakage.
    Warning,
    /// Context.
    Info,
}

/// The troubleshooting article's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// "Securely connect to your project".
    ConnectionMethod,
    /// "Custom DNS troubleshooting".
    DnsCustom,
    /// "Azure DNS troubleshooting".
    DnsAzure,
    /// "Browser configuration (DNS over HTTPS)".
    BrowserDoh,
    /// "Proxy configuration".
    Proxy,
    /// "Troubleshoot configurations on connecting to storage".
    Storage,
}

/// A finding's stable id. `as_str()` is the id in the JSON report and in README's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingId {
    /// `dns.public-answer`
    DnsPublicAnswer,
    /// `dns.wrong-private-ip`
    DnsWrongPrivateIp,
    /// `dns.nxdomain`
    DnsNxdomain,
    /// `dns.no-answer`
    DnsNoAnswer,
    /// `dns.resolvers-disagree`
    DnsResolversDisagree,
    /// `dns.custom-server-not-forwarding`
    DnsCustomServerNotForwarding,
    /// `dns.azure-dns-unreachable`
    DnsAzureDnsUnreachable,
    /// `dns.zone-not-linked`
    DnsZoneNotLinked,
    /// `doh.public-answer`
    DohPublicAnswer,
    /// `browser.doh-enabled`
    BrowserDohEnabled,
    /// `browser.trr-drops-private`
    BrowserTrrDropsPrivate,
    /// `os.doh-enabled`
    OsDohEnabled,
    /// `pac.not-direct`
    PacNotDirect,
    /// `pac.load-failed`
    PacLoadFailed,
    /// `pac.eval-failed`
    PacEvalFailed,
    /// `proxy.denied`
    ProxyDenied,
    /// `proxy.auth-required`
    ProxyAuthRequired,
    /// `proxy.upstream-failed`
    ProxyUpstreamFailed,
    /// `proxy.unreachable`
    ProxyUnreachable,
    /// `proxy.bad-response`
    ProxyBadResponse,
    /// `proxy.no-answer`
    ProxyNoAnswer,
    /// `connect.unreachable`
    ConnectUnreachable,
    /// `connect.tls-intercepted`
    ConnectTlsIntercepted,
    /// `connect.tls-failed`
    ConnectTlsFailed,
    /// `connect.public-endpoint-forbidden`
    ConnectPublicEndpointForbidden,
    /// `vpn.not-detected`
    VpnNotDetected,
    /// `vpn.dns-not-pushed`
    VpnDnsNotPushed,
    /// `net.offline`
    NetOffline,
    /// `net.subnet-overlap`
    NetSubnetOverlap,
    /// `target.not-found`
    TargetNotFound,
    /// `pe.connection-not-approved`
    PeConnectionNotApproved,
    /// `pe.zone-group-missing`
    PeZoneGroupMissing,
    /// `storage.firewall-denied`
    StorageFirewallDenied,
    /// `target.no-private-endpoint`
    TargetNoPrivateEndpoint,
    /// `host.azure-vm`
    HostAzureVm,
}

impl FindingId {
    /// Every id, in README order.
    pub const ALL: &'static [FindingId] = &[
        FindingId::DnsPublicAnswer,
        FindingId::DnsWrongPrivateIp,
        FindingId::DnsNxdomain,
        FindingId::DnsNoAnswer,
        FindingId::DnsResolversDisagree,
        FindingId::DnsCustomServerNotForwarding,
        FindingId::DnsAzureDnsUnreachable,
        FindingId::DnsZoneNotLinked,
        FindingId::DohPublicAnswer,
        FindingId::BrowserDohEnabled,
        FindingId::BrowserTrrDropsPrivate,
        FindingId::OsDohEnabled,
        FindingId::PacNotDirect,
        FindingId::PacLoadFailed,
        FindingId::PacEvalFailed,
        FindingId::ProxyDenied,
        FindingId::ProxyAuthRequired,
        FindingId::ProxyUpstreamFailed,
        FindingId::ProxyUnreachable,
        FindingId::ProxyBadResponse,
        FindingId::ProxyNoAnswer,
        FindingId::ConnectUnreachable,
        FindingId::ConnectTlsIntercepted,
        FindingId::ConnectTlsFailed,
        FindingId::ConnectPublicEndpointForbidden,
        FindingId::VpnNotDetected,
        FindingId::VpnDnsNotPushed,
        FindingId::NetOffline,
        FindingId::NetSubnetOverlap,
        FindingId::TargetNotFound,
        FindingId::PeConnectionNotApproved,
        FindingId::PeZoneGroupMissing,
        FindingId::StorageFirewallDenied,
        FindingId::TargetNoPrivateEndpoint,
        FindingId::HostAzureVm,
    ];

    /// The id as reports and scripts see it, e.g. `dns.public-answer`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::DnsPublicAnswer => "dns.public-answer",
            FindingId::DnsWrongPrivateIp => "dns.wrong-private-ip",
            FindingId::DnsNxdomain => "dns.nxdomain",
            FindingId::DnsNoAnswer => "dns.no-answer",
            FindingId::DnsResolversDisagree => "dns.resolvers-disagree",
            FindingId::DnsCustomServerNotForwarding => "dns.custom-server-not-forwarding",
            FindingId::DnsAzureDnsUnreachable => "dns.azure-dns-unreachable",
            FindingId::DnsZoneNotLinked => "dns.zone-not-linked",
            FindingId::DohPublicAnswer => "doh.public-answer",
            FindingId::BrowserDohEnabled => "browser.doh-enabled",
            FindingId::BrowserTrrDropsPrivate => "browser.trr-drops-private",
            FindingId::OsDohEnabled => "os.doh-enabled",
            FindingId::PacNotDirect => "pac.not-direct",
            FindingId::PacLoadFailed => "pac.load-failed",
            FindingId::PacEvalFailed => "pac.eval-failed",
            FindingId::ProxyDenied => "proxy.denied",
            FindingId::ProxyAuthRequired => "proxy.auth-required",
            FindingId::ProxyUpstreamFailed => "proxy.upstream-failed",
            FindingId::ProxyUnreachable => "proxy.unreachable",
            FindingId::ProxyBadResponse => "proxy.bad-response",
            FindingId::ProxyNoAnswer => "proxy.no-answer",
            FindingId::ConnectUnreachable => "connect.unreachable",
            FindingId::ConnectTlsIntercepted => "connect.tls-intercepted",
            FindingId::ConnectTlsFailed => "connect.tls-failed",
            FindingId::ConnectPublicEndpointForbidden => "connect.public-endpoint-forbidden",
            FindingId::VpnNotDetected => "vpn.not-detected",
            FindingId::VpnDnsNotPushed => "vpn.dns-not-pushed",
            FindingId::NetOffline => "net.offline",
            FindingId::NetSubnetOverlap => "net.subnet-overlap",
            FindingId::TargetNotFound => "target.not-found",
            FindingId::PeConnectionNotApproved => "pe.connection-not-approved",
            FindingId::PeZoneGroupMissing => "pe.zone-group-missing",
            FindingId::StorageFirewallDenied => "storage.firewall-denied",
            FindingId::TargetNoPrivateEndpoint => "target.no-private-endpoint",
            FindingId::HostAzureVm => "host.azure-vm",
        }
    }
}

impl FindingId {
    /// The severities a finding with this id can have, the usual one first (README's table
    /// lists them joined by `/`).
    pub fn severities(self) -> &'static [Severity] {
        use Severity::{Error, Info, Warning};
        match self {
            FindingId::DnsResolversDisagree
            | FindingId::OsDohEnabled
            | FindingId::PacNotDirect
            | FindingId::ConnectTlsIntercepted
            | FindingId::VpnNotDetected
            | FindingId::PeZoneGroupMissing => &[Warning],
            FindingId::BrowserDohEnabled => &[Error, Warning],
            FindingId::BrowserTrrDropsPrivate => &[Warning, Error],
            FindingId::DnsAzureDnsUnreachable
            | FindingId::DohPublicAnswer
            | FindingId::TargetNoPrivateEndpoint
            | FindingId::HostAzureVm => &[Info],
            _ => &[Error],
        }
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `dns.public-answer`.
    pub id: FindingId,
    /// Severity.
    pub severity: Severity,
    /// Article section.
    pub section: Section,
    /// What it is about (a name, a resolver, a browser...).
    pub subject: String,
    /// One-line statement.
    pub title: String,
    /// A paragraph for the person at the laptop.
    pub detail: String,
    /// What was observed, one line each.
    pub evidence: Vec<String>,
    /// Steps to fix, in order.
    pub remediation: Vec<String>,
    /// The names (and addresses) this finding is about. Later rules read these, never the
    /// subject or evidence text.
    pub affected: Vec<Affected>,
    /// Code to paste (a PAC fragment, a command), kept apart from the steps so reports show it
    /// verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// One name a finding is about, with the address concerned when there is one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Affected {
    /// The FQDN.
    pub fqdn: String,
    /// The address concerned (the one answered, pinned or tried), when the finding has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
}

impl Affected {
    /// A name without an address.
    pub fn name(fqdn: impl Into<String>) -> Self {
        Affected {
            fqdn: fqdn.into(),
            address: None,
        }
    }

    /// A name with the address concerned.
    pub fn at(fqdn: impl Into<String>, address: IpAddr) -> Self {
        Affected {
            fqdn: fqdn.into(),
            address: Some(address),
        }
    }

    /// Names without addresses, in order.
    pub fn names<S: AsRef<str>>(fqdns: impl IntoIterator<Item = S>) -> Vec<Self> {
        fqdns
            .into_iter()
            .map(|n| Affected::name(n.as_ref()))
            .collect()
    }
}

impl Finding {
    /// True when `fqdn` is one of the names this finding is about.
    pub fn affects(&self, fqdn: &str) -> bool {
        self.affected
            .iter()
            .any(|a| a.fqdn.eq_ignore_ascii_case(fqdn))
    }
}

/// True when an error-severity finding already explains `fqdn` (a later rule must not name a
/// second cause for it).
pub fn explained(findings: &[Finding], fqdn: &str) -> bool {
    findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.affects(fqdn))
}

/// Sorts findings: errors first, then warnings, then info; stable within a severity.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| f.severity);
}

impl Section {
    /// The article section's heading, as users see it.
    pub fn title(self) -> &'static str {
        match self {
            Section::ConnectionMethod => "Securely connect to your project",
            Section::DnsCustom => "DNS configuration > Custom DNS troubleshooting",
            Section::DnsAzure => "DNS configuration > Azure DNS troubleshooting",
            Section::BrowserDoh => "Browser configuration (DNS over HTTPS)",
            Section::Proxy => "Proxy configuration",
            Section::Storage => "Troubleshoot configurations on connecting to storage",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, affected: Vec<Affected>) -> Finding {
        Finding {
            id: FindingId::DnsPublicAnswer,
            severity,
            section: Section::DnsCustom,
            subject: "ws.eastus2.api.azureml.ms".into(),
            title: String::new(),
            detail: String::new(),
            evidence: vec!["other.eastus2.api.azureml.ms: said 20.1.2.3".into()],
            remediation: Vec::new(),
            affected,
            snippet: None,
        }
    }

    #[test]
    fn explained_reads_affected_names_not_text() {
        let f = finding(
            Severity::Error,
            vec![Affected::at(
                "A.eastus2.api.azureml.ms",
                "10.0.0.5".parse().unwrap(),
            )],
        );
        assert!(f.affects("a.eastus2.api.azureml.ms"));
        assert!(explained(
            std::slice::from_ref(&f),
            "a.eastus2.api.azureml.ms"
        ));
        // Subject and evidence text are not read.
        assert!(!explained(
            std::slice::from_ref(&f),
            "ws.eastus2.api.azureml.ms"
        ));
        assert!(!explained(
            std::slice::from_ref(&f),
            "other.eastus2.api.azureml.ms"
        ));
        let w = finding(
            Severity::Warning,
            Affected::names(["a.eastus2.api.azureml.ms"]),
        );
        assert!(!explained(&[w], "a.eastus2.api.azureml.ms"));
    }

    #[test]
    fn readme_table_lists_every_id_with_its_severity() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let start = readme
            .find("## What the findings mean")
            .expect("README has the findings section");
        let mut rows: Vec<(String, String)> = Vec::new();
        for line in readme[start..]
            .lines()
            .skip_while(|l| !l.starts_with("| id"))
            .skip(2)
        {
            if !line.starts_with('|') {
                break;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (id, severity) = (cells[1].trim_matches('`'), cells[2]);
            rows.push((id.to_string(), severity.to_string()));
        }
        let ids: Vec<&str> = rows.iter().map(|(i, _)| i.as_str()).collect();
        let all: Vec<&str> = FindingId::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(ids, all, "README rows (in order) vs FindingId::ALL");
        for (id, severity) in &rows {
            let fid = FindingId::ALL.iter().find(|f| f.as_str() == id).unwrap();
            let want: Vec<String> = fid
                .severities()
                .iter()
                .map(|s| {
                    serde_json::to_value(s)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            assert_eq!(severity, &want.join("/"), "{id}");
        }
    }

    #[test]
    fn affected_serialises_fqdn_and_optional_address() {
        let json = serde_json::to_value(vec![
            Affected::name("a.example"),
            Affected::at("b.example", "10.0.0.5".parse().unwrap()),
        ])
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"fqdn": "a.example"}, {"fqdn": "b.example", "address": "10.0.0.5"}])
        );
    }
}
