//! DNS rules: compare what each resolver answered for each name with the truth (expected
//! state, Azure DNS, or a resolver that knows the private zone) and name the root cause.

use super::{Affected, Finding, FindingId, Section, Severity};
use crate::host::hosts_file::{self, HostsEntry};
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::{Resolution, ResolverInfo, ResolverRole};
use crate::targets::{Cloud, Target, forwarder_zone_of};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;

/// Everything the DNS rules look at.
#[derive(Debug, Clone, Copy)]
pub struct DnsFacts<'a> {
    /// Names diagnosed.
    pub targets: &'a [Target],
    /// Resolvers asked.
    pub resolvers: &'a [ResolverInfo],
    /// What they answered.
    pub resolutions: &'a [Resolution],
    /// Hosts-file entries.
    pub hosts: &'a [HostsEntry],
    /// Hosts-file path, for remediation text.
    pub hosts_path: Option<&'a Path>,
}

/// Where the private address a name must resolve to comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Truth {
    Expected(Vec<IpAddr>),
    Resolver(String, Vec<IpAddr>),
    Unknown,
}

impl Truth {
    fn ips(&self) -> &[IpAddr] {
        match self {
            Truth::Expected(ips) | Truth::Resolver(_, ips) => ips,
            Truth::Unknown => &[],
        }
    }
    fn describe(&self) -> String {
        match self {
            Truth::Expected(ips) => format!("{} (expected state)", join_ips(ips)),
            Truth::Resolver(label, ips) => format!("{} (answered by {label})", join_ips(ips)),
            Truth::Unknown => "unknown".into(),
        }
    }
}

fn join_ips(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short description of an answer for evidence lines.
pub fn describe(r: &Resolution) -> String {
    match r.status {
        DnsStatus::Ok if r.addresses.is_empty() => "no address (NODATA)".into(),
        DnsStatus::Ok => {
            let class = match r.class {
                AddrClass::Private => "private",
                AddrClass::Public => "PUBLIC",
                AddrClass::Mixed => "mixed private/PUBLIC",
                AddrClass::None => "none",
            };
            format!("{} ({class})", join_ips(&r.addresses))
        }
        other => other.as_str().to_uppercase(),
    }
}

fn is_private_ok(r: &Resolution) -> bool {
    r.status == DnsStatus::Ok && r.class == AddrClass::Private
}

fn is_public(r: &Resolution) -> bool {
    r.status == DnsStatus::Ok && matches!(r.class, AddrClass::Public | AddrClass::Mixed)
}

fn is_failure(r: &Resolution) -> bool {
    matches!(
        r.status,
        DnsStatus::Servfail | DnsStatus::Refused | DnsStatus::Timeout | DnsStatus::Error
    )
}

/// The ways a name can be wrong, each a root cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    /// The system resolver gives NXDOMAIN.
    Nxdomain,
    /// The system resolver does not answer.
    NoAnswer,
    /// A VPN / configured server knows the private answer but the system does not use it.
    VpnDnsNotApplied,
    /// The DNS server(s) the machine uses answer public while the private IP is known.
    NotForwarding,
    /// Public answer, cause unknown.
    PublicAnswer,
    /// A private IP that is not the expected one, from a hosts-file entry.
    StaleHostsEntry,
    /// A private IP that is not the expected one.
    WrongPrivateIp,
    /// The machine's servers disagree.
    Disagree,
    /// A `--dns-server` answers public while the private IP is known.
    CustomNotForwarding,
    /// Azure DNS answers public while the expected state says private.
    AzureDnsPublic,
    /// A DoH resolver answers public where the system answers private.
    DohPublic,
}

#[derive(Debug, Default)]
struct Group {
    names: Vec<String>,
    /// The same names, for constant-time membership.
    seen: HashSet<String>,
    evidence: Vec<String>,
    forwarder_zones: Vec<&'static str>,
}

struct Ctx<'a> {
    groups: BTreeMap<(Cause, String), Group>,
    /// Each name's resolutions and alternative spellings, so rules stay linear in the names.
    index: Index<'a>,
}

/// Lookups by name, built once.
#[derive(Default)]
struct Index<'a> {
    resolutions: HashMap<&'a str, Vec<&'a Resolution>>,
    targets: HashMap<&'a str, &'a Target>,
    /// Name → the targets that are its alternative spelling (both directions).
    alternatives: HashMap<&'a str, Vec<&'a Target>>,
}

impl<'a> Index<'a> {
    fn new(facts: &DnsFacts<'a>) -> Self {
        let mut index = Index::default();
        for r in facts.resolutions {
            index
                .resolutions
                .entry(r.fqdn.as_str())
                .or_default()
                .push(r);
        }
        index.targets = facts.targets.iter().map(|t| (t.fqdn.as_str(), t)).collect();
        for t in facts.targets {
            if let Some(other) = t
                .alternative_of
                .as_deref()
                .and_then(|o| index.targets.get(o))
            {
                index
                    .alternatives
                    .entry(t.fqdn.as_str())
                    .or_default()
                    .push(other);
                index
                    .alternatives
                    .entry(other.fqdn.as_str())
                    .or_default()
                    .push(t);
            }
        }
        index
    }
}

impl<'a> Ctx<'a> {
    fn of<'s>(&'s self, fqdn: &str) -> impl Iterator<Item = &'a Resolution> + use<'s, 'a> {
        self.index
            .resolutions
            .get(fqdn)
            .into_iter()
            .flatten()
            .copied()
    }

    fn res(&self, fqdn: &str, resolver: &ResolverInfo) -> Option<&'a Resolution> {
        self.of(fqdn).find(|r| r.resolver.label == resolver.label)
    }

    fn by_role(&self, fqdn: &str, role: ResolverRole) -> Vec<&'a Resolution> {
        self.of(fqdn).filter(|r| r.resolver.role == role).collect()
    }

    fn add(&mut self, cause: Cause, subject: &str, fqdn: &str, evidence: String) {
        let g = self.groups.entry((cause, subject.to_string())).or_default();
        if g.seen.insert(fqdn.to_string()) {
            g.names.push(fqdn.to_string());
        }
        let zone = self
            .index
            .targets
            .get(fqdn)
            .and_then(|t| t.forwarder_zone)
            .or_else(|| forwarder_zone_of(fqdn, Cloud::Public));
        if let Some(z) = zone
            && !g.forwarder_zones.contains(&z)
        {
            g.forwarder_zones.push(z);
        }
        g.evidence.push(evidence);
    }

    fn truth(&self, t: &Target) -> Truth {
        if !t.expected_ips.is_empty() {
            return Truth::Expected(t.expected_ips.clone());
        }
        for role in [
            ResolverRole::AzureDns,
            ResolverRole::Configured,
            ResolverRole::Custom,
        ] {
            if let Some(r) = self
                .by_role(&t.fqdn, role)
                .into_iter()
                .find(|r| is_private_ok(r))
            {
                return Truth::Resolver(r.resolver.label.clone(), r.addresses.clone());
            }
        }
        Truth::Unknown
    }
}

/// Some names are derived under two documented spellings (compute-instance suffixes, a
/// truncated notebooks label): when one of a pair resolves privately, the other failing is not
/// a problem.
fn alternative_ok(ctx: &Ctx<'_>, t: &Target, system: &ResolverInfo) -> bool {
    ctx.index
        .alternatives
        .get(t.fqdn.as_str())
        .into_iter()
        .flatten()
        .any(|o| o.fqdn != t.fqdn && ctx.res(&o.fqdn, system).is_some_and(is_private_ok))
}

/// Evaluates the DNS rules.
pub fn evaluate(facts: DnsFacts<'_>) -> Vec<Finding> {
    let mut ctx = Ctx {
        groups: BTreeMap::new(),
        index: Index::new(&facts),
    };
    let Some(system) = facts
        .resolvers
        .iter()
        .find(|r| r.role == ResolverRole::System)
        .cloned()
    else {
        return Vec::new();
    };
    for t in facts.targets {
        let Some(sys) = ctx.res(&t.fqdn, &system) else {
            continue;
        };
        let truth = ctx.truth(t);
        let configured = ctx.by_role(&t.fqdn, ResolverRole::Configured);
        let said = |r: &Resolution| format!("{} said {}", r.resolver.label, describe(r));
        let line = |r: &Resolution| format!("{}: {}", t.fqdn, said(r));
        let truth_line = format!("the private endpoint's IP is {}", truth.describe());

        if sys.status == DnsStatus::Nxdomain
            || (sys.status == DnsStatus::Ok && sys.addresses.is_empty())
        {
            if !alternative_ok(&ctx, t, &system) {
                ctx.add(Cause::Nxdomain, &system.label, &t.fqdn, line(sys));
            }
        } else if is_failure(sys) {
            if !alternative_ok(&ctx, t, &system) {
                ctx.add(Cause::NoAnswer, &system.label, &t.fqdn, line(sys));
            }
        } else if is_public(sys) {
            if let Some(vpn) = configured.iter().find(|r| is_private_ok(r)) {
                let ev = format!(
                    "{}; but {} said {}",
                    line(sys),
                    vpn.resolver.label,
                    describe(vpn)
                );
                ctx.add(Cause::VpnDnsNotApplied, &system.label, &t.fqdn, ev);
            } else if truth != Truth::Unknown {
                let public_servers: Vec<&Resolution> = configured
                    .iter()
                    .copied()
                    .filter(|r| is_public(r))
                    .collect();
                let subject = if public_servers.is_empty() {
                    "the DNS server this machine uses".to_string()
                } else {
                    public_servers
                        .iter()
                        .map(|r| format!("{} ({})", r.resolver.label, r.resolver.address))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                ctx.add(
                    Cause::NotForwarding,
                    &subject,
                    &t.fqdn,
                    format!("{}; {}", line(sys), truth_line),
                );
            } else {
                ctx.add(Cause::PublicAnswer, &system.label, &t.fqdn, line(sys));
            }
        } else if is_private_ok(sys) {
            let want = truth.ips();
            let matches = want.is_empty() || sys.addresses.iter().any(|a| want.contains(a));
            if !matches {
                let hosts = hosts_file::entries_for(facts.hosts, &t.fqdn);
                if let Some(h) = hosts.iter().find(|h| sys.addresses.contains(&h.ip)) {
                    let path = facts
                        .hosts_path
                        .map_or_else(|| "hosts file".to_string(), |p| p.display().to_string());
                    let ev = format!(
                        "{}; {}; {path} line {}: {} {}",
                        line(sys),
                        truth_line,
                        h.line,
                        h.ip,
                        h.names.join(" ")
                    );
                    ctx.add(Cause::StaleHostsEntry, &system.label, &t.fqdn, ev);
                } else {
                    ctx.add(
                        Cause::WrongPrivateIp,
                        &system.label,
                        &t.fqdn,
                        format!("{}; {}", line(sys), truth_line),
                    );
                }
            } else {
                // The system is right: do the other servers it may use agree?
                for r in &configured {
                    let same = r.status == DnsStatus::Ok
                        && r.addresses.iter().any(|a| sys.addresses.contains(a));
                    if !same && r.status != DnsStatus::Timeout {
                        ctx.add(
                            Cause::Disagree,
                            &r.resolver.label,
                            &t.fqdn,
                            format!("{}; {}", line(sys), said(r)),
                        );
                    }
                }
            }
            if sys.class == AddrClass::Private {
                for r in ctx.by_role(&t.fqdn, ResolverRole::Doh) {
                    if is_public(r) {
                        ctx.add(
                            Cause::DohPublic,
                            &r.resolver.label,
                            &t.fqdn,
                            format!("{}; {}", line(sys), said(r)),
                        );
                    }
                }
            }
        }

        // Servers given by flag: do they know the private zone?
        if truth != Truth::Unknown {
            for r in ctx.by_role(&t.fqdn, ResolverRole::Custom) {
                if is_public(r) {
                    ctx.add(
                        Cause::CustomNotForwarding,
                        &format!("{} ({})", r.resolver.label, r.resolver.address),
                        &t.fqdn,
                        format!("{}; {}", line(r), truth_line),
                    );
                }
            }
        }
        if let Truth::Expected(_) = truth {
            for r in ctx.by_role(&t.fqdn, ResolverRole::AzureDns) {
                if is_public(r) {
                    ctx.add(
                        Cause::AzureDnsPublic,
                        &r.resolver.label,
                        &t.fqdn,
                        format!("{}; {}", line(r), truth_line),
                    );
                }
            }
        }
    }

    let mut findings: Vec<Finding> = ctx
        .groups
        .iter()
        .map(|((cause, subject), g)| render(*cause, subject, g, facts.hosts_path))
        .collect();
    if let Some(f) = azure_unreachable(facts) {
        findings.push(f);
    }
    findings
}

fn azure_unreachable(facts: DnsFacts<'_>) -> Option<Finding> {
    let azure: Vec<&Resolution> = facts
        .resolutions
        .iter()
        .filter(|r| r.resolver.role == ResolverRole::AzureDns)
        .collect();
    let first = azure.first()?;
    if !azure
        .iter()
        .all(|r| matches!(r.status, DnsStatus::Timeout | DnsStatus::Error))
    {
        return None;
    }
    Some(Finding {
        id: FindingId::DnsAzureDnsUnreachable,
        severity: Severity::Info,
        section: Section::DnsAzure,
        subject: format!("{} ({})", first.resolver.label, first.resolver.address),
        title: format!("Azure DNS ({}) did not answer from this machine", first.resolver.address),
        detail: "Azure DNS answers only from inside an Azure virtual network, so this is expected on a \
                 laptop and is not the fault. It only means pe-doctor could not use it to learn the \
                 private addresses; pass the expected state (--expected) or a DNS Private Resolver \
                 inbound endpoint (--azure-dns IP) for a firmer verdict."
            .into(),
        evidence: vec![format!(
            "{} of {} questions to {} ended {}",
            azure.len(),
            azure.len(),
            first.resolver.address,
            first.status.as_str()
        )],
        remediation: vec![
            "Nothing to fix here when you are not on an Azure VM.".into(),
            "If your company has a DNS Private Resolver inbound endpoint or a DNS server inside the \
             virtual network, re-run with --azure-dns <its IP> to compare with it."
                .into(),
        ],
        affected: Vec::new(),
        snippet: None,
    })
}

fn names_subject(g: &Group, fallback: &str) -> String {
    match g.names.as_slice() {
        [one] => one.clone(),
        many => format!("{} names via {fallback}", many.len()),
    }
}

fn zones_text(g: &Group) -> String {
    if g.forwarder_zones.is_empty() {
        "the zones of the names above (without the privatelink. label)".into()
    } else {
        g.forwarder_zones
            .iter()
            .map(|z| format!("`{z}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn render(cause: Cause, subject: &str, g: &Group, hosts_path: Option<&Path>) -> Finding {
    let names = g.names.join(", ");
    let zones = zones_text(g);
    let evidence = g.evidence.clone();
    let (id, severity, section, title, detail, remediation): (
        FindingId,
        Severity,
        Section,
        String,
        String,
        Vec<String>,
    ) = match cause {
        Cause::Nxdomain => (
            FindingId::DnsNxdomain,
            Severity::Error,
            Section::DnsAzure,
            format!("The private DNS record is missing: {names} does not exist (NXDOMAIN)"),
            "Your DNS reaches the private DNS zone, but the zone has no record for this name, so \
             nothing can connect to it. A private zone without the record answers NXDOMAIN."
                .into(),
            vec![
                "In the Azure portal, open the private endpoint of the workspace > DNS configuration.".into(),
                "Each Private DNS zone entry must have a DNS zone group entry; if it has none, delete and \
                 recreate the private endpoint with \"Integrate with private DNS zone\" enabled."
                    .into(),
                "If the zone group exists, open the Private DNS zone and check that the A record for the \
                 name exists (record sets) and that the zone has a Virtual network link to your VNet."
                    .into(),
                "With a custom DNS server that hosts its own copy of the zone, add the A record there \
                 (Custom DNS section of the article)."
                    .into(),
            ],
        ),
        Cause::NoAnswer => (
            FindingId::DnsNoAnswer,
            Severity::Error,
            Section::DnsCustom,
            format!("The DNS server this machine uses does not answer for {}", names_subject(g, subject)),
            "Name resolution fails (SERVFAIL, refused or timeout). A DNS server that forwards the \
             private zones to 168.63.129.16 from outside Azure fails like this, as does a VPN whose \
             DNS server is unreachable."
                .into(),
            vec![
                "Check that the VPN is connected; then run pe-doctor again.".into(),
                format!(
                    "If your DNS server has a conditional forwarder for {zones}, make sure it points to an \
                     address it can reach: from on-premises that is a DNS Private Resolver inbound \
                     endpoint (or a DNS server inside the VNet), never 168.63.129.16 directly."
                ),
            ],
        ),
        Cause::VpnDnsNotApplied => (
            FindingId::DnsPublicAnswer,
            Severity::Error,
            Section::ConnectionMethod,
            "Your VPN's DNS server knows the private address, but this machine is not using it".into(),
            "The system resolver returns the workspace's PUBLIC address, so the service answers 403. \
             A DNS server of your VPN connection returns the correct private address: the VPN's DNS \
             settings are not applied to these names (split-DNS / NRPT rules missing, or another \
             network adapter's DNS wins)."
                .into(),
            vec![
                "Disconnect and reconnect the VPN, then run pe-doctor again.".into(),
                "Windows (Azure VPN Client): re-download the VPN profile; its DNS settings are applied as \
                 NRPT rules (check with PowerShell: Get-DnsClientNrptPolicy)."
                    .into(),
                format!(
                    "Linux (systemd-resolved): route the zones to the VPN link, e.g. `resolvectl domain \
                     <vpn-interface> ~{}`.",
                    g.forwarder_zones.first().copied().unwrap_or("api.azureml.ms")
                ),
                "macOS: check `scutil --dns` for a resolver for these domains on the VPN interface.".into(),
                "If it persists, ask the VPN administrators to push the DNS server and domains to clients."
                    .into(),
            ],
        ),
        Cause::NotForwarding => (
            FindingId::DnsCustomServerNotForwarding,
            Severity::Error,
            Section::DnsCustom,
            format!("Your DNS server returns the PUBLIC address for {}", names_subject(g, subject)),
            format!(
                "The DNS server this machine uses ({subject}) resolves the names through the internet, \
                 which gives the workspace's public address; the service then answers 403. It needs a \
                 conditional forwarder so that it asks Azure for the private zone."
            ),
            vec![
                format!(
                    "On the DNS server ({subject}), add conditional forwarders for the PUBLIC zones {zones} \
                     (not the privatelink. zones)."
                ),
                "Point them to a DNS Private Resolver inbound endpoint or a DNS server inside the VNet; \
                 only a server inside Azure may forward to 168.63.129.16."
                    .into(),
                "Clear the caches (`ipconfig /flushdns` on Windows, `resolvectl flush-caches` on Linux, \
                 `sudo dscacheutil -flushcache` on macOS) and run pe-doctor again."
                    .into(),
            ],
        ),
        Cause::PublicAnswer => (
            FindingId::DnsPublicAnswer,
            Severity::Error,
            Section::DnsCustom,
            format!("This machine resolves {} to a PUBLIC address", names_subject(g, subject)),
            "The system resolver returns the workspace's public address, so the service answers 403. \
             The private address must come from the private DNS zone, through a DNS server that can \
             reach it (VPN DNS, a custom DNS server with conditional forwarders, or a DNS Private \
             Resolver)."
                .into(),
            vec![
                "Connect to the VPN (or use the jump box) and run pe-doctor again.".into(),
                format!(
                    "If you use a custom DNS server: add conditional forwarders for {zones} to a DNS \
                     Private Resolver inbound endpoint or a DNS server inside the VNet."
                ),
                "Re-run with --azure-dns <resolver inbound endpoint IP> or --expected <az JSON> so \
                 pe-doctor can name the exact server at fault."
                    .into(),
            ],
        ),
        Cause::StaleHostsEntry => {
            let path = hosts_path.map_or_else(|| "the hosts file".to_string(), |p| p.display().to_string());
            (
                FindingId::DnsWrongPrivateIp,
                Severity::Error,
                Section::DnsCustom,
                format!("A hosts-file entry sends {names} to an old private address"),
                format!(
                    "{path} overrides DNS with an address that is not the private endpoint's current \
                     IP (for example after the endpoint was recreated)."
                ),
                vec![
                    format!("Open {path} as administrator and delete the line(s) quoted in the evidence."),
                    "Flush the DNS cache (`ipconfig /flushdns`, `resolvectl flush-caches`, \
                     `sudo dscacheutil -flushcache`) and run pe-doctor again."
                        .into(),
                ],
            )
        }
        Cause::WrongPrivateIp => (
            FindingId::DnsWrongPrivateIp,
            Severity::Error,
            Section::DnsCustom,
            format!("{} resolves to a private address that is not the private endpoint's", names_subject(g, subject)),
            "The answer is private but differs from the private endpoint's IP: a stale record on a \
             custom DNS server, a hosts-file entry, or a record left from an endpoint that was deleted."
                .into(),
            vec![
                "Compare with the private endpoint's DNS configuration in the Azure portal.".into(),
                "Fix or delete the stale A record on the DNS server that answered (or in the hosts file).".into(),
                "Flush the DNS cache and run pe-doctor again.".into(),
            ],
        ),
        Cause::Disagree => (
            FindingId::DnsResolversDisagree,
            Severity::Warning,
            Section::DnsCustom,
            format!("DNS server {subject} answers differently from the system resolver"),
            "This machine has several DNS servers and they do not agree. Depending on which one the \
             OS asks, the workspace works or answers 403 — intermittent failures are typical."
                .into(),
            vec![
                format!(
                    "Make every DNS server this machine uses resolve {zones} the same way (conditional \
                     forwarders), or remove {subject} from the network settings."
                ),
            ],
        ),
        Cause::CustomNotForwarding => (
            FindingId::DnsCustomServerNotForwarding,
            Severity::Error,
            Section::DnsCustom,
            format!("DNS server {subject} returns the PUBLIC address"),
            "This DNS server does not forward the private-endpoint zones to Azure, so any client that \
             uses it gets the public address and a 403."
                .into(),
            vec![
                format!(
                    "Add conditional forwarders for the PUBLIC zones {zones} (not the privatelink. zones) \
                     to a DNS Private Resolver inbound endpoint or a DNS server in the VNet."
                ),
                "Clear the server's cache and run pe-doctor again.".into(),
            ],
        ),
        Cause::AzureDnsPublic => (
            FindingId::DnsPublicAnswer,
            Severity::Error,
            Section::DnsAzure,
            format!("Azure DNS returns the PUBLIC address for {}", names_subject(g, subject)),
            "Azure DNS in this virtual network does not see the private DNS zone: the zone group or \
             the virtual network link is missing."
                .into(),
            vec![
                "In the portal, open the private endpoint > DNS configuration: every Private DNS zone \
                 entry needs a DNS zone group entry (else recreate the endpoint with private DNS \
                 integration)."
                    .into(),
                "Open the Private DNS zone > Virtual network links: there must be a link to this VNet.".into(),
            ],
        ),
        Cause::DohPublic => (
            FindingId::DohPublicAnswer,
            Severity::Warning,
            Section::BrowserDoh,
            format!("DNS-over-HTTPS resolver {subject} returns the PUBLIC address"),
            "Your system resolver is correct, but a browser that uses DNS over HTTPS asks this \
             resolver instead and gets the public address, so the studio page answers 403 in that \
             browser only."
                .into(),
            vec![
                "Microsoft Edge: Settings > Privacy, search, and services > Security > turn off \"Use secure \
                 DNS to specify how to look up the network address for websites\"."
                    .into(),
                "Google Chrome: Settings > Privacy and security > Security > turn off \"Use secure DNS\".".into(),
                "Firefox: Settings > Privacy & Security > DNS over HTTPS > Off (or set network.trr.mode \
                 to 5 in about:config)."
                    .into(),
                "Restart the browser and reload the page.".into(),
            ],
        ),
    };
    Finding {
        id,
        severity,
        section,
        subject: match cause {
            Cause::Disagree
            | Cause::DohPublic
            | Cause::CustomNotForwarding
            | Cause::NotForwarding => subject.to_string(),
            _ => names_subject(g, subject),
        },
        title,
        detail,
        evidence,
        remediation,
        affected: Affected::names(&g.names),
        snippet: None,
    }
}
