//! DNS rules: compare what each resolver answered for each name with the truth (expected
//! state, Azure DNS, or a resolver that knows the private zone) and name the root cause.

use super::vpn::RouteFact;
use super::{Affected, Finding, FindingId, Section, Severity};
use crate::host::ConfiguredServer;
use crate::host::hosts_file::{self, HostsEntry};
use crate::host::routes::VpnVerdict;
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::{Resolution, ResolverInfo, ResolverRole};
use crate::targets::{Cloud, Target, TargetKind, forwarder_zones_needed};
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
    /// Route facts for the private addresses (VPN, default route, on-link).
    pub routes: &'a [RouteFact],
    /// This machine is an Azure VM (its resolver is Azure DNS unless configured otherwise).
    pub azure_vm: bool,
    /// The DNS servers the OS is configured with.
    pub configured: &'a [ConfiguredServer],
    /// This machine's OS (`std::env::consts::OS`), for the commands in fix texts.
    pub os: &'a str,
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
    /// A hosts-file entry pins a public address.
    HostsPublic,
    /// The name exists nowhere: the private path and public DNS say NXDOMAIN.
    NotFound,
    /// The resolver in use is Azure DNS (or a resolver inbound endpoint) and does not see the
    /// private zone: public chain or NXDOMAIN.
    ZoneNotLinked,
    /// A VPN carries the route to the private IP, but the machine's DNS answers public.
    VpnDnsNotPushed,
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
    /// Public DNS shows no private endpoint for the name: its chain skips `privatelink.`.
    NoPrivateEndpoint,
}

#[derive(Debug, Default)]
struct Group {
    names: Vec<String>,
    /// The same names, for constant-time membership.
    seen: HashSet<String>,
    evidence: Vec<String>,
    /// The same evidence lines, for constant-time membership.
    seen_evidence: HashSet<String>,
    /// Private DNS zones the names live in (from the answer's chain or the catalog).
    private_zones: Vec<String>,
    /// Hosts-file entries that decided the answers: (line, address).
    hosts: Vec<(usize, std::net::IpAddr)>,
    /// The wrong addresses each name got, when the cause is an address.
    wrong: Vec<(String, std::net::IpAddr)>,
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
        let zone = private_zone(self, fqdn);
        let g = self.groups.entry((cause, subject.to_string())).or_default();
        if g.seen.insert(fqdn.to_string()) {
            g.names.push(fqdn.to_string());
        }
        if let Some(z) = zone
            && !g.private_zones.contains(&z)
        {
            g.private_zones.push(z);
        }
        if g.seen_evidence.insert(evidence.clone()) {
            g.evidence.push(evidence);
        }
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

/// The private DNS zone a name's record lives in: from the CNAME chain any resolver showed
/// (`….privatelink.api.azureml.ms`), else from the catalog.
fn private_zone(ctx: &Ctx<'_>, fqdn: &str) -> Option<String> {
    let from_chain = ctx.of(fqdn).flat_map(|r| r.chain.iter()).find_map(|c| {
        let d = c.data.trim_end_matches('.').to_ascii_lowercase();
        d.find("privatelink.").map(|i| d[i..].to_string())
    });
    from_chain.or_else(|| {
        ctx.index
            .targets
            .get(fqdn)
            .and_then(|t| t.privatelink_zone)
            .map(str::to_string)
    })
}

/// The conditional-forwarder zones to name: Microsoft's published list for a workspace (when a
/// workspace name is checked) plus the zones of every other name checked (storage, Foundry…).
fn forwarder_list(targets: &[Target]) -> Vec<&'static str> {
    let mut zones: Vec<&'static str> = Vec::new();
    let workspace = targets.iter().find(|t| {
        matches!(
            t.kind,
            TargetKind::WorkspaceApi | TargetKind::WorkspaceCertApi | TargetKind::Notebooks
        )
    });
    if let Some(w) = workspace {
        let cloud = w.cloud.unwrap_or(Cloud::Public);
        // Microsoft's list names `instances.azureml.ms` only (DOMAIN.md §9).
        zones.extend(
            cloud
                .forwarder_zones()
                .iter()
                .filter(|z| !z.starts_with("instances.ml.")),
        );
    }
    for t in targets {
        let cloud = t.cloud.unwrap_or(Cloud::Public);
        for z in forwarder_zones_needed(&t.fqdn, cloud) {
            if !zones.contains(&z) && !z.starts_with("instances.ml.") {
                zones.push(z);
            }
        }
    }
    zones
}

/// Azure's DNS virtual server.
const AZURE_DNS_IP: std::net::IpAddr =
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(168, 63, 129, 16));

fn ip_of(address: &str) -> Option<std::net::IpAddr> {
    address
        .parse::<std::net::SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| address.parse::<std::net::IpAddr>())
        .ok()
}

/// When the resolver this machine uses is Azure DNS or the resolver given as `--azure-dns`
/// (a DNS Private Resolver inbound endpoint): how we know, for the evidence.
fn azure_in_use(facts: DnsFacts<'_>, system: &ResolverInfo) -> Option<String> {
    let azure: Vec<std::net::SocketAddr> = facts
        .resolvers
        .iter()
        .filter(|r| r.role == ResolverRole::AzureDns)
        .filter_map(|r| r.address.parse().ok())
        .collect();
    let azure_addr: Vec<&str> = facts
        .resolvers
        .iter()
        .filter(|r| r.role == ResolverRole::AzureDns)
        .map(|r| r.address.as_str())
        .collect();
    if azure_addr.contains(&system.address.as_str())
        || ip_of(&system.address).is_some_and(|ip| ip == AZURE_DNS_IP)
    {
        return Some(format!(
            "the system resolver is Azure DNS / the resolver inbound endpoint ({})",
            system.address
        ));
    }
    if let Some(s) = facts
        .configured
        .iter()
        .find(|s| azure.contains(&s.addr) || s.addr.ip() == AZURE_DNS_IP)
    {
        return Some(format!(
            "this machine's DNS server {} ({}) is Azure DNS / the resolver inbound endpoint",
            s.addr.ip(),
            s.source
        ));
    }
    if facts.azure_vm && facts.configured.is_empty() {
        return Some("this Azure VM uses Azure DNS (no other DNS server is configured)".into());
    }
    None
}

/// The VPN interface that carries the route to one of `ips`, if any.
fn vpn_carrying<'a>(
    facts: DnsFacts<'a>,
    ips: &[std::net::IpAddr],
) -> Option<(&'a str, std::net::IpAddr)> {
    facts.routes.iter().find_map(|r| match &r.verdict {
        VpnVerdict::Carried { interface } if ips.contains(&r.ip) => {
            Some((interface.as_str(), r.ip))
        }
        _ => None,
    })
}

/// What is known about the DNS server(s) this machine uses, for titles and subjects: the
/// configured servers by address, else an honest description.
fn machine_dns(facts: DnsFacts<'_>, system: &ResolverInfo) -> String {
    if let Some(ip) = ip_of(&system.address) {
        return format!("{} ({ip})", system.label);
    }
    if facts.configured.is_empty() {
        return "the DNS resolver your network (ISP, router or VPN) assigned".into();
    }
    facts
        .configured
        .iter()
        .map(|s| s.addr.ip().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The hosts-file entry that decided the system resolver's answer for `fqdn`, if any.
fn hosts_decided<'a>(facts: DnsFacts<'a>, fqdn: &str, sys: &Resolution) -> Option<&'a HostsEntry> {
    if sys.status != DnsStatus::Ok {
        return None;
    }
    hosts_file::entries_for(facts.hosts, fqdn)
        .into_iter()
        .find(|h| sys.addresses.contains(&h.ip))
}

fn hosts_line(facts: DnsFacts<'_>, h: &HostsEntry) -> String {
    let path = facts
        .hosts_path
        .map_or_else(|| "hosts file".to_string(), |p| p.display().to_string());
    format!("{path} line {}: {} {}", h.line, h.ip, h.names.join(" "))
}

/// Evidence that `t` has no private endpoint at all: a name of a `privatelink.`-zone kind
/// whose public CNAME chain, as some resolver showed it, never passes through `privatelink.`
/// (DOMAIN.md §2: with a private endpoint, public DNS answers `name CNAME name.privatelink.…`).
/// None when the kind has no such CNAME (compute instances) or no resolver showed a chain.
fn no_private_link(ctx: &Ctx<'_>, t: &Target) -> Option<String> {
    if !t
        .privatelink_zone
        .is_some_and(|z| z.starts_with("privatelink."))
    {
        return None;
    }
    if ctx.of(&t.fqdn).any(|r| {
        r.chain
            .iter()
            .any(|c| c.data.to_ascii_lowercase().contains("privatelink."))
    }) {
        return None;
    }
    let shown = ctx
        .of(&t.fqdn)
        .find(|r| is_public(r) && r.chain.iter().any(|c| c.rtype == "CNAME"))?;
    let path: Vec<&str> = shown
        .chain
        .iter()
        .filter(|c| c.rtype == "CNAME")
        .map(|c| c.data.trim_end_matches('.'))
        .collect();
    Some(format!(
        "{}: {} answered CNAME {} → {}, with no privatelink. name in the chain",
        t.fqdn,
        shown.resolver.label,
        path.join(" → "),
        describe(shown)
    ))
}

/// The name exists nowhere: every resolver that answered said NXDOMAIN, and a public resolver
/// (DoH, which sees the public internet) is among them.
fn not_found(ctx: &Ctx<'_>, t: &Target) -> bool {
    let all: Vec<&Resolution> = ctx.of(&t.fqdn).collect();
    let answered: Vec<&&Resolution> = all.iter().filter(|r| !is_failure(r)).collect();
    !answered.is_empty()
        && answered.iter().all(|r| r.status == DnsStatus::Nxdomain)
        && answered.iter().any(|r| {
            matches!(
                r.resolver.role,
                ResolverRole::Doh | ResolverRole::BrowserDoh
            )
        })
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
    let azure = azure_in_use(facts, &system);
    let machine = machine_dns(facts, &system);
    for t in facts.targets {
        let Some(sys) = ctx.res(&t.fqdn, &system) else {
            continue;
        };
        let truth = ctx.truth(t);
        let configured = ctx.by_role(&t.fqdn, ResolverRole::Configured);
        let said = |r: &Resolution| format!("{} said {}", r.resolver.label, describe(r));
        let line = |r: &Resolution| format!("{}: {}", t.fqdn, said(r));
        let truth_line = format!("the private endpoint's IP is {}", truth.describe());

        if let Some(h) = hosts_decided(facts, &t.fqdn, sys) {
            // The hosts file decides this name's answer: it is the cause when the answer is wrong.
            let want = truth.ips();
            let public = !crate::classify::is_private(h.ip);
            if public || (!want.is_empty() && !want.contains(&h.ip)) {
                let cause = if public {
                    Cause::HostsPublic
                } else {
                    Cause::StaleHostsEntry
                };
                let mut ev = format!("{}; {}", line(sys), hosts_line(facts, h));
                if truth != Truth::Unknown {
                    ev.push_str(&format!("; {truth_line}"));
                }
                ctx.add(cause, &system.label, &t.fqdn, ev);
                if let Some(g) = ctx.groups.get_mut(&(cause, system.label.clone())) {
                    if !g.hosts.contains(&(h.line, h.ip)) {
                        g.hosts.push((h.line, h.ip));
                    }
                    g.wrong.push((t.fqdn.clone(), h.ip));
                }
            }
        } else if sys.status == DnsStatus::Nxdomain
            || (sys.status == DnsStatus::Ok && sys.addresses.is_empty())
        {
            if !alternative_ok(&ctx, t, &system) {
                if not_found(&ctx, t) {
                    let ev = ctx
                        .of(&t.fqdn)
                        .filter(|r| !is_failure(r))
                        .map(|r| r.resolver.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    ctx.add(
                        Cause::NotFound,
                        "",
                        &t.fqdn,
                        format!("{}: NXDOMAIN from {ev}", t.fqdn),
                    );
                } else if let Some(how) = &azure {
                    ctx.add(Cause::ZoneNotLinked, &system.label, &t.fqdn, line(sys));
                    ctx.add(Cause::ZoneNotLinked, &system.label, &t.fqdn, how.clone());
                } else {
                    ctx.add(Cause::Nxdomain, &system.label, &t.fqdn, line(sys));
                }
            }
        } else if is_failure(sys) {
            if !alternative_ok(&ctx, t, &system) {
                ctx.add(Cause::NoAnswer, &machine, &t.fqdn, line(sys));
            }
        } else if is_public(sys) {
            if truth == Truth::Unknown
                && let Some(ev) = no_private_link(&ctx, t)
            {
                // Not a DNS fault: no DNS server can give a private answer for this name.
                ctx.add(Cause::NoPrivateEndpoint, "", &t.fqdn, ev);
            } else if let Some(vpn) = configured.iter().find(|r| is_private_ok(r)) {
                let ev = format!(
                    "{}; but {} said {}",
                    line(sys),
                    vpn.resolver.label,
                    describe(vpn)
                );
                ctx.add(Cause::VpnDnsNotApplied, &system.label, &t.fqdn, ev);
            } else if let Some(how) = &azure {
                ctx.add(Cause::ZoneNotLinked, &system.label, &t.fqdn, line(sys));
                ctx.add(Cause::ZoneNotLinked, &system.label, &t.fqdn, how.clone());
            } else if let Some((iface, ip)) = vpn_carrying(facts, truth.ips()) {
                ctx.add(
                    Cause::VpnDnsNotPushed,
                    iface,
                    &t.fqdn,
                    format!(
                        "{}; {truth_line}; the route to {ip} goes through the VPN adapter {iface}",
                        line(sys)
                    ),
                );
            } else if truth != Truth::Unknown {
                let public_servers: Vec<&Resolution> = configured
                    .iter()
                    .copied()
                    .filter(|r| is_public(r))
                    .collect();
                let subject = if public_servers.is_empty() {
                    machine.clone()
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
                ctx.add(
                    Cause::WrongPrivateIp,
                    &system.label,
                    &t.fqdn,
                    format!("{}; {}", line(sys), truth_line),
                );
                if let Some(g) = ctx
                    .groups
                    .get_mut(&(Cause::WrongPrivateIp, system.label.clone()))
                {
                    for a in sys.addresses.iter().filter(|a| !want.contains(a)) {
                        g.wrong.push((t.fqdn.clone(), *a));
                    }
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
        if let Truth::Expected(_) = truth
            && azure.is_none()
        {
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
        .map(|((cause, subject), g)| render(*cause, subject, g, facts))
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
                 inbound endpoint or DNS server inside the virtual network (--azure-dns IP) for a \
                 firmer verdict."
            .into(),
        evidence: vec![format!(
            "{} of {} questions to {} ended {}",
            azure.len(),
            azure.len(),
            first.resolver.address,
            first.status.as_str()
        )],
        remediation: Vec::new(),
        affected: Vec::new(),
        snippet: None,
    })
}

fn names_subject(g: &Group) -> String {
    match g.names.as_slice() {
        [one] => one.clone(),
        many => format!("{} names", many.len()),
    }
}

fn code_list(items: &[impl AsRef<str>]) -> String {
    items
        .iter()
        .map(|z| format!("`{}`", z.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last step after a DNS fix, for this machine's OS (`std::env::consts::OS`): the OS
/// cache, then the browser's own (Chromium keeps answers for a minute, whatever the OS says).
fn flush_step(os: &str) -> String {
    let os_cache = match os {
        "windows" => "Flush the DNS cache (`ipconfig /flushdns`)",
        "macos" => {
            "Flush the DNS cache (`sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder`)"
        }
        "linux" => "Flush the DNS cache if systemd-resolved caches it (`resolvectl flush-caches`)",
        _ => {
            "Flush the DNS cache (`ipconfig /flushdns` on Windows, `resolvectl flush-caches` on \
             Linux, `sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder` on macOS)"
        }
    };
    format!("{os_cache}, restart the browser (it keeps its own DNS cache) and run pe-doctor again.")
}

fn render(cause: Cause, subject: &str, g: &Group, facts: DnsFacts<'_>) -> Finding {
    let names = g.names.join(", ");
    let forwarders = code_list(&forwarder_list(facts.targets));
    let private_zones = if g.private_zones.is_empty() {
        "the private DNS zone (`privatelink.…`) of each name above".to_string()
    } else {
        code_list(&g.private_zones)
    };
    let hosts_path = facts
        .hosts_path
        .map_or_else(|| "the hosts file".to_string(), |p| p.display().to_string());
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
                format!(
                    "Each private DNS zone ({private_zones}) needs a DNS zone group entry; if it has \
                     none, delete and recreate the private endpoint with \"Integrate with private DNS \
                     zone\" enabled."
                ),
                "If the zone group exists, open the private DNS zone and check that the A record for \
                 the name exists (record sets) and that the zone has a virtual network link to your VNet."
                    .into(),
                "With a custom DNS server that hosts its own copy of the zone, add the A record there \
                 (Custom DNS section of the article)."
                    .into(),
            ],
        ),
        Cause::NotFound => (
            FindingId::TargetNotFound,
            Severity::Error,
            Section::ConnectionMethod,
            match g.names.as_slice() {
                [one] => format!("{one} does not exist anywhere, public DNS included"),
                many => format!(
                    "{} names do not exist anywhere, public DNS included",
                    many.len()
                ),
            },
            format!(
                "Neither this machine's DNS nor public DNS knows {names}. That is not a DNS fault: \
                 the name itself is wrong — usually a mistyped workspace ID, region or name."
            ),
            vec![
                "Check the workspace ID, region and name: Azure portal > the workspace > Overview \
                 (Location), and Overview > JSON View (properties.workspaceId); the studio link \
                 (ml.azure.com) also carries the workspace ID (wsid)."
                    .into(),
                "The exact names the private endpoint serves are listed at Azure portal > the private \
                 endpoint > DNS configuration; pass them with --fqdn or the `az network \
                 private-endpoint show` output with --expected."
                    .into(),
                "For a compute instance, check its name in the studio under Compute.".into(),
            ],
        ),
        Cause::NoPrivateEndpoint => {
            let storage_names: HashSet<&str> = facts
                .targets
                .iter()
                .filter(|t| t.kind.is_storage())
                .map(|t| t.fqdn.as_str())
                .collect();
            let storage = g.names.iter().all(|n| storage_names.contains(n.as_str()));
            let zones = g
                .private_zones
                .iter()
                .map(|z| format!("`{z}`"))
                .collect::<Vec<_>>()
                .join(", ");
            (
                FindingId::TargetNoPrivateEndpoint,
                Severity::Info,
                if storage { Section::Storage } else { Section::ConnectionMethod },
                match g.names.as_slice() {
                    [one] => format!("{one} has no private endpoint: public DNS sends it to the public service"),
                    many => format!(
                        "{} names have no private endpoint: public DNS sends them to the public service",
                        many.len()
                    ),
                },
                format!(
                    "With a private endpoint, public DNS answers a name with a CNAME into its \
                     private zone ({zones}). For {names} the chain goes straight to the public \
                     service, so no DNS server can give a private address and DNS is not the thing \
                     to fix: the public endpoint is the way in, and the resource's own network \
                     rules decide whether it admits this machine (see the connection findings). \
                     Should it be private, it needs a private endpoint (Azure portal › the \
                     resource › Networking › Private endpoint connections) with a DNS zone group \
                     for {zones}."
                ),
                Vec::new(),
            )
        }
        Cause::ZoneNotLinked => (
            FindingId::DnsZoneNotLinked,
            Severity::Error,
            Section::DnsAzure,
            format!(
                "Azure DNS does not see the private DNS zone for {}",
                names_subject(g)
            ),
            "This machine resolves through Azure DNS (or a DNS Private Resolver inbound endpoint), \
             which answers the private zones only for virtual networks linked to them. It answers \
             the public chain or NXDOMAIN here, so the private DNS zone is not linked to this \
             virtual network or the private endpoint's zone group does not write the record."
                .into(),
            [zone_link_steps(&private_zones).as_slice(), &[flush_step(facts.os)]].concat(),
        ),
        Cause::NoAnswer => (
            FindingId::DnsNoAnswer,
            Severity::Error,
            Section::DnsCustom,
            format!("DNS does not answer for {}", names_subject(g)),
            format!(
                "Name resolution through {subject} fails (SERVFAIL, refused or no answer). A DNS \
                 server that forwards the private zones to 168.63.129.16 from outside Azure fails \
                 like this, as does a VPN whose DNS server is unreachable."
            ),
            vec![
                "Check that the VPN is connected; then run pe-doctor again.".into(),
                format!(
                    "If your DNS server has conditional forwarders for {forwarders}, make sure they \
                     point to an address it can reach: from on-premises that is a DNS Private Resolver \
                     inbound endpoint (or a DNS server inside the VNet), never 168.63.129.16 directly."
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
                     {} {}`.",
                    // The VPN adapter that carries a private endpoint's route, when known.
                    facts
                        .routes
                        .iter()
                        .find_map(|r| match &r.verdict {
                            VpnVerdict::Carried { interface } => Some(interface.as_str()),
                            _ => None,
                        })
                        .unwrap_or("<vpn-interface>"),
                    forwarder_list(facts.targets)
                        .iter()
                        .map(|z| format!("~{z}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                "macOS: check `scutil --dns` for a resolver for these domains on the VPN interface.".into(),
                "If it persists, ask the VPN administrators to push the DNS server and domains to clients."
                    .into(),
            ],
        ),
        Cause::VpnDnsNotPushed => (
            FindingId::VpnDnsNotPushed,
            Severity::Error,
            Section::ConnectionMethod,
            format!("The VPN ({subject}) carries the traffic but not the DNS"),
            format!(
                "The route to the private endpoint goes through the VPN adapter {subject}, but this \
                 machine's DNS servers are not the VPN's: they answer the PUBLIC address. A \
                 point-to-site VPN client gets its DNS servers from the virtual network's DNS \
                 settings when its profile is generated; with Azure-provided DNS it gets none \
                 (168.63.129.16 is not reachable over the VPN)."
            ),
            vec![
                "Set the virtual network's DNS servers to a DNS Private Resolver inbound endpoint (or \
                 a DNS server inside the VNet that forwards to 168.63.129.16): Azure portal > the \
                 virtual network > DNS servers > Custom."
                    .into(),
                "Download the VPN client profile again and re-import it on this machine (the DNS \
                 servers are written into the profile when it is generated), then reconnect."
                    .into(),
                flush_step(facts.os),
            ],
        ),
        Cause::NotForwarding => {
            // `machine_dns` describes an unidentified server as "the DNS resolver your network …".
            let identified = !subject.starts_with("the ");
            let (title, detail) = if identified {
                (
                    format!("DNS server {subject} returns the PUBLIC address for {}", names_subject(g)),
                    format!(
                        "The DNS server this machine uses, {subject}, resolves the names through \
                         the internet, which gives the workspace's public address; the service then \
                         answers 403. It needs conditional forwarders so that it asks Azure for the \
                         private zones."
                    ),
                )
            } else {
                (
                    format!("This machine's DNS returns the PUBLIC address for {}", names_subject(g)),
                    format!(
                        "This machine resolves through {subject}, which resolves the names through \
                         the internet and gets the workspace's public address; the service then \
                         answers 403."
                    ),
                )
            };
            (
                FindingId::DnsCustomServerNotForwarding,
                Severity::Error,
                Section::DnsCustom,
                title,
                detail,
                vec![
                    format!(
                        "On that DNS server, add conditional forwarders for the PUBLIC zones \
                         {forwarders} (not the privatelink. zones)."
                    ),
                    "Point them to a DNS Private Resolver inbound endpoint or a DNS server inside the \
                     VNet; only a server inside Azure may forward to 168.63.129.16."
                        .into(),
                    flush_step(facts.os),
                ],
            )
        }
        Cause::PublicAnswer => (
            FindingId::DnsPublicAnswer,
            Severity::Error,
            Section::DnsCustom,
            format!("This machine resolves {} to a PUBLIC address", names_subject(g)),
            "The system resolver returns the workspace's public address, so the service answers 403. \
             The private address must come from the private DNS zone, through a DNS server that can \
             reach it (VPN DNS, a custom DNS server with conditional forwarders, or a DNS Private \
             Resolver)."
                .into(),
            vec![
                "Connect to the VPN (or use the jump box) and run pe-doctor again.".into(),
                format!(
                    "If you use a custom DNS server: add conditional forwarders for {forwarders} to a \
                     DNS Private Resolver inbound endpoint or a DNS server inside the VNet."
                ),
                "Re-run with --azure-dns <resolver inbound endpoint IP> or --expected <az JSON> so \
                 pe-doctor can name the exact server at fault."
                    .into(),
            ],
        ),
        Cause::StaleHostsEntry | Cause::HostsPublic => {
            let (what, id) = if cause == Cause::HostsPublic {
                ("a PUBLIC address", FindingId::DnsPublicAnswer)
            } else {
                ("an address that is not the private endpoint's", FindingId::DnsWrongPrivateIp)
            };
            let title = match g.hosts.as_slice() {
                [(line, ip)] => format!("{hosts_path} line {line} pins {names} to {what} ({ip})"),
                _ => format!("{hosts_path} pins {names} to {what}"),
            };
            (
                id,
                Severity::Error,
                Section::DnsCustom,
                title,
                format!(
                    "An entry in {hosts_path} overrides DNS for these names, so every program on \
                     this machine connects to the address it pins (quoted in the evidence with its \
                     line number) instead of the private endpoint's."
                ),
                vec![
                    format!("Open {hosts_path} as administrator and delete the line(s) quoted in the evidence."),
                    flush_step(facts.os),
                ],
            )
        }
        Cause::WrongPrivateIp => (
            FindingId::DnsWrongPrivateIp,
            Severity::Error,
            Section::DnsCustom,
            format!("{} resolves to a private address that is not the private endpoint's", names_subject(g)),
            "The answer is private but differs from the private endpoint's IP: a stale record on a \
             custom DNS server, or a record left from an endpoint that was deleted."
                .into(),
            vec![
                "Compare with the private endpoint's DNS configuration in the Azure portal.".into(),
                "Fix or delete the stale A record on the DNS server that answered.".into(),
                flush_step(facts.os),
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
                    "Make every DNS server this machine uses resolve {forwarders} the same way \
                     (conditional forwarders), or remove {subject} from the network settings."
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
                    "Add conditional forwarders for the PUBLIC zones {forwarders} (not the privatelink. \
                     zones) to a DNS Private Resolver inbound endpoint or a DNS server in the VNet."
                ),
                "Clear the server's cache and run pe-doctor again.".into(),
            ],
        ),
        Cause::AzureDnsPublic => (
            FindingId::DnsZoneNotLinked,
            Severity::Error,
            Section::DnsAzure,
            format!("Azure DNS ({subject}) returns the PUBLIC address for {}", names_subject(g)),
            "Azure DNS in this virtual network does not see the private DNS zone: the virtual \
             network link or the zone group is missing."
                .into(),
            zone_link_steps(&private_zones),
        ),
        Cause::DohPublic => (
            FindingId::DohPublicAnswer,
            Severity::Info,
            Section::BrowserDoh,
            format!("DNS-over-HTTPS resolver {subject} answers the PUBLIC address (as expected)"),
            "A public DNS-over-HTTPS resolver cannot see private DNS zones, so it answers the \
             public address; nothing on this machine uses it. A browser switched to DNS over HTTPS \
             with this resolver would get 403 from the workspace."
                .into(),
            Vec::new(),
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
            | Cause::NotForwarding
            | Cause::NoAnswer
            | Cause::VpnDnsNotPushed => subject.to_string(),
            _ => names_subject(g),
        },
        title,
        detail,
        evidence,
        remediation,
        affected: g
            .names
            .iter()
            .flat_map(|n| {
                let wrong: Vec<Affected> = g
                    .wrong
                    .iter()
                    .filter(|(f, _)| f == n)
                    .map(|(f, ip)| Affected::at(f.clone(), *ip))
                    .collect();
                if wrong.is_empty() {
                    vec![Affected::name(n.clone())]
                } else {
                    wrong
                }
            })
            .collect(),
        snippet: None,
    }
}

/// The fix for a private DNS zone that Azure DNS here does not see: the virtual network link,
/// then the zone group.
fn zone_link_steps(private_zones: &str) -> Vec<String> {
    vec![
        format!(
            "Link the private DNS zone {private_zones} to this virtual network: Azure portal > \
             Private DNS zones > the zone > Virtual network links > Add."
        ),
        "Check the zone group: Azure portal > the private endpoint > DNS configuration: every \
         zone needs a configuration entry (else add it, or recreate the endpoint with private \
         DNS integration)."
            .into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChainRecord, Transport};
    use crate::targets::{TargetKind, derive};

    fn resolver(label: &str, role: ResolverRole, address: &str) -> ResolverInfo {
        ResolverInfo {
            label: label.into(),
            role,
            transport: Transport::Udp,
            address: address.into(),
            source: None,
        }
    }

    fn public(fqdn: &str, r: &ResolverInfo) -> Resolution {
        Resolution {
            fqdn: fqdn.into(),
            resolver: r.clone(),
            status: DnsStatus::Ok,
            chain: vec![ChainRecord {
                name: fqdn.into(),
                rtype: "CNAME".into(),
                data: fqdn.replace(".api.azureml.ms", ".privatelink.api.azureml.ms"),
                ttl: 60,
            }],
            addresses: vec!["20.41.5.7".parse().unwrap()],
            class: AddrClass::Public,
            elapsed_ms: 1,
            error: None,
            failure: None,
        }
    }

    fn ws() -> Vec<Target> {
        let spec = crate::targets::WorkspaceSpec {
            id: "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69".into(),
            region: "eastus2".into(),
            ..Default::default()
        };
        derive(&spec)
            .into_iter()
            .filter(|t| t.kind == TargetKind::WorkspaceApi)
            .collect()
    }

    fn ids(
        targets: &[Target],
        resolvers: &[ResolverInfo],
        resolutions: &[Resolution],
        azure_vm: bool,
        configured: &[ConfiguredServer],
    ) -> Vec<FindingId> {
        evaluate(DnsFacts {
            targets,
            resolvers,
            resolutions,
            hosts: &[],
            hosts_path: None,
            routes: &[],
            azure_vm,
            configured,
            os: "linux",
        })
        .iter()
        .map(|f| f.id)
        .collect()
    }

    #[test]
    fn azure_dns_in_use_is_recognised_three_ways() {
        let targets = ws();
        let fqdn = targets[0].fqdn.clone();
        let system = resolver("system", ResolverRole::System, "getaddrinfo");
        let res = vec![public(&fqdn, &system)];
        let configured = |ip: &str| ConfiguredServer {
            label: None,
            addr: format!("{ip}:53").parse().unwrap(),
            source: "resolv.conf".into(),
            domains: Vec::new(),
        };
        // An Azure VM with no other DNS server uses Azure DNS.
        assert_eq!(
            ids(&targets, std::slice::from_ref(&system), &res, true, &[]),
            vec![FindingId::DnsZoneNotLinked]
        );
        // A machine configured with 168.63.129.16.
        assert_eq!(
            ids(
                &targets,
                std::slice::from_ref(&system),
                &res,
                false,
                &[configured("168.63.129.16")]
            ),
            vec![FindingId::DnsZoneNotLinked]
        );
        // A machine configured with the resolver inbound endpoint given as --azure-dns.
        let inbound = resolver("azure-dns", ResolverRole::AzureDns, "10.1.0.4:53");
        let mut both = res.clone();
        both.push(public(&fqdn, &inbound));
        assert_eq!(
            ids(
                &targets,
                &[system.clone(), inbound.clone()],
                &both,
                false,
                &[configured("10.1.0.4")]
            ),
            vec![FindingId::DnsZoneNotLinked]
        );
        // A home router is none of these: a public answer without a known truth.
        assert_eq!(
            ids(
                &targets,
                &[system],
                &res,
                false,
                &[configured("192.168.1.1")]
            ),
            vec![FindingId::DnsPublicAnswer]
        );
    }

    #[test]
    fn zone_fix_names_the_privatelink_zone_from_the_chain() {
        let targets = ws();
        let fqdn = targets[0].fqdn.clone();
        let system = resolver("system", ResolverRole::System, "getaddrinfo");
        let f = evaluate(DnsFacts {
            targets: &targets,
            resolvers: std::slice::from_ref(&system),
            resolutions: &[public(&fqdn, &system)],
            hosts: &[],
            hosts_path: None,
            routes: &[],
            azure_vm: true,
            configured: &[],
            os: "windows",
        });
        // The last step names this machine's own commands only.
        let last = f[0].remediation.last().unwrap();
        assert!(last.contains("`ipconfig /flushdns`"), "{last}");
        assert!(
            !last.contains("resolvectl") && !last.contains("dscacheutil"),
            "{last}"
        );
        assert!(
            f[0].remediation[0].contains("`privatelink.api.azureml.ms`"),
            "{:?}",
            f[0].remediation
        );
        assert!(f[0].affects(&fqdn));
    }
}
