//! Connection rules: what happened on the way to each target (direct or through a proxy).
//! They read typed facts only: the route, the phase and kind of the failure, the proxy's
//! status, the TLS verdicts, the HTTP status and denial, and the names earlier findings
//! already explain.

use super::{Affected, Finding, FindingId, Section, Severity, scope};
use crate::classify::is_private;
use crate::host::proxy_settings::CREDENTIALS_PLACEHOLDER;
use crate::model::{FailKind, Phase, ProbeError};
use crate::model::{ResolverInfo, ResolverRole};
use crate::probe::connect::{Connection, Route};
use crate::probe::http::Denial;
use crate::targets::infer;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    Unreachable,
    TlsFailed,
    TunnelTlsFailed,
    Intercepted,
    StorageFirewall,
    PublicForbidden,
    /// The same refusal on the direct path for a name public DNS shows without a private
    /// endpoint: the endpoint is missing, not the route to it.
    PublicForbiddenNoEndpoint,
    ProxyDenied,
    ProxyAuth,
    ProxyUpstream,
    ProxyBadResponse,
    ProxyNoAnswer,
    ProxyUnreachable,
}

#[derive(Debug, Default)]
struct Group {
    names: Vec<String>,
    /// The same names, for constant-time membership (10,000 names stay linear).
    named: std::collections::HashSet<String>,
    evidence: Vec<String>,
    /// What the peer did, for the title (TLS and proxy failures).
    seen: Vec<&'static str>,
    /// Proxies some of the requests went through.
    proxies: Vec<String>,
}

/// What a failed step saw, in a few words.
fn seen(kind: FailKind) -> &'static str {
    match kind {
        FailKind::Timeout => "stays silent",
        FailKind::Closed => "closes the connection",
        FailKind::Reset => "resets the connection",
        FailKind::Protocol => "answers with bytes that are not TLS",
        _ => "breaks the TLS handshake",
    }
}

/// CONNECT statuses with a finding of their own; any other status is a bad response.
fn status_has_own_finding(status: u16) -> bool {
    matches!(status, 200 | 401 | 403 | 407) || status >= 500
}

fn proxy_evidence(c: &Connection) -> String {
    match &c.proxy {
        Some(p) => {
            let mut parts = vec![format!("CONNECT {}:443 → {}", c.fqdn, p.status_line)];
            if let Some(e) = &p.squid_error {
                parts.push(format!("X-Squid-Error: {e}"));
            }
            for a in &p.authenticate {
                parts.push(format!("Proxy-Authenticate: {a}"));
            }
            if let Some(v) = &p.via {
                parts.push(format!("Via: {v}"));
            }
            if let Some(f) = &c.failure
                && f.phase == Phase::Tls
            {
                parts.push(format!("then {}", f.message));
            }
            parts.join("; ")
        }
        None => format!(
            "CONNECT {}:443 → {} failed: {}",
            c.fqdn,
            c.failure.as_ref().map_or("?", |f| f.phase.as_str()),
            c.failure.as_ref().map_or("unknown", |f| f.message.as_str())
        ),
    }
}

fn is_storage(fqdn: &str) -> bool {
    infer(fqdn).0.is_storage()
}

/// Evaluates the connection rules. `earlier` holds the DNS findings: a failure for a name
/// whose DNS is already reported wrong is the same root cause, not a second one.
pub fn evaluate(
    earlier: &[Finding],
    resolvers: &[ResolverInfo],
    connections: &[Connection],
) -> Vec<Finding> {
    let system = resolvers
        .iter()
        .find(|r| r.role == ResolverRole::System)
        .map(|r| r.label.clone())
        .unwrap_or_default();
    let dns_explains = |fqdn: &str| super::explained(earlier, fqdn);
    let mut groups: BTreeMap<(Cause, String), Group> = BTreeMap::new();
    let mut add = |cause: Cause, subject: String, c: &Connection, ev: String| {
        let g = groups.entry((cause, subject)).or_default();
        if g.named.insert(c.fqdn.clone()) {
            g.names.push(c.fqdn.clone());
        }
        g.evidence.push(ev);
        if let Some(f) = &c.failure {
            let s = seen(f.kind);
            if !g.seen.contains(&s) {
                g.seen.push(s);
            }
        }
        if let Route::Proxy { proxy } = &c.route
            && !g.proxies.contains(proxy)
        {
            g.proxies.push(proxy.clone());
        }
    };
    // Addresses where TLS fails after TCP: one root cause, one finding.
    let mut tls_failed: Vec<String> = Vec::new();
    // Unreachable private endpoints are one root cause (no path to the VNet): one finding
    // naming every address.
    let mut unreachable: Vec<String> = Vec::new();
    for c in connections.iter().filter(|c| !c.guarded()) {
        // The path this machine's programs take: the proxy, or the system resolver's address.
        let machine_path = match &c.route {
            Route::Direct { resolver, .. } => *resolver == system,
            Route::Proxy { .. } => true,
        };
        // A name whose DNS is already reported wrong has that root cause on the direct path.
        let direct_ok = machine_path && !dns_explains(&c.fqdn);
        let via = match &c.route {
            Route::Direct { address, .. } => format!("direct to {address}"),
            Route::Proxy { proxy } => format!("through proxy {proxy}"),
        };
        match (&c.route, &c.failure) {
            (Route::Direct { address, .. }, Some(f))
                if direct_ok && f.phase == Phase::Connect && is_private(*address) =>
            {
                if !unreachable.contains(&address.to_string()) {
                    unreachable.push(address.to_string());
                }
                add(
                    Cause::Unreachable,
                    String::new(),
                    c,
                    format!(
                        "{}: TCP to {address}:443 failed ({:?}: {})",
                        c.fqdn, f.kind, f.message
                    ),
                );
            }
            (Route::Direct { address, .. }, Some(f)) if direct_ok && f.phase == Phase::Tls => {
                if !tls_failed.contains(&address.to_string()) {
                    tls_failed.push(address.to_string());
                }
                add(Cause::TlsFailed, String::new(), c, tls_evidence(c, &via, f));
            }
            (Route::Proxy { proxy }, failure) => {
                if let Some(cause) = proxy_cause(c, failure.as_ref()) {
                    add(cause, proxy.clone(), c, proxy_evidence(c));
                }
            }
            _ => {}
        }
        if let Some(t) = &c.tls
            && t.intercepted()
        {
            add(
                Cause::Intercepted,
                t.issuer.clone(),
                c,
                format!(
                    "{} ({via}): certificate issued by {} (SHA-256 {}), trusted by this machine but not by public roots",
                    c.fqdn, t.issuer, t.sha256
                ),
            );
        }
        if let Some(h) = c.http.as_ref().filter(|_| direct_ok) {
            let public_path = match &c.route {
                Route::Direct { address, .. } => !is_private(*address),
                Route::Proxy { .. } => true,
            };
            let excerpt: String = h.body_excerpt.chars().take(120).collect();
            if public_path && h.storage_firewall_denied() {
                add(
                    Cause::StorageFirewall,
                    c.fqdn.clone(),
                    c,
                    format!(
                        "{} ({via}): HTTP {}, x-ms-error-code: {}: {excerpt:?}",
                        c.fqdn,
                        h.status,
                        h.error_code.as_deref().unwrap_or("(none)")
                    ),
                );
            } else if public_path
                && let Some(svc) = h.private_link_denied
                && svc != Denial::Storage
            {
                let no_endpoint = matches!(c.route, Route::Direct { .. })
                    && earlier
                        .iter()
                        .any(|f| f.id == FindingId::TargetNoPrivateEndpoint && f.affects(&c.fqdn));
                add(
                    if no_endpoint {
                        Cause::PublicForbiddenNoEndpoint
                    } else {
                        Cause::PublicForbidden
                    },
                    via.clone(),
                    c,
                    format!(
                        "{} ({via}): HTTP {} with the {svc} private-link denial: {excerpt:?}",
                        c.fqdn, h.status
                    ),
                );
            }
        }
    }
    let storage_subjects: Vec<String> = groups
        .iter()
        .filter(|((cause, _), _)| *cause == Cause::StorageFirewall)
        .flat_map(|(_, g)| g.names.clone())
        .collect();
    // One storage finding for every refused account name.
    let mut merged: BTreeMap<(Cause, String), Group> = BTreeMap::new();
    for ((cause, subject), g) in groups {
        let key = if cause == Cause::StorageFirewall {
            (cause, storage_subjects.join(", "))
        } else {
            (cause, subject)
        };
        let m = merged.entry(key).or_default();
        for n in g.names {
            if m.named.insert(n.clone()) {
                m.names.push(n);
            }
        }
        m.evidence.extend(g.evidence);
        for s in g.seen {
            if !m.seen.contains(&s) {
                m.seen.push(s);
            }
        }
        for p in g.proxies {
            if !m.proxies.contains(&p) {
                m.proxies.push(p);
            }
        }
    }
    merged
        .into_iter()
        .map(|((cause, subject), g)| {
            let subject = match cause {
                Cause::Unreachable => unreachable.join(", "),
                Cause::TlsFailed => tls_failed.join(", "),
                _ => subject,
            };
            render(cause, &subject, g)
        })
        .collect()
}

/// Which proxy finding a connection through a proxy gives, if any.
fn proxy_cause(c: &Connection, failure: Option<&ProbeError>) -> Option<Cause> {
    if let Some(p) = &c.proxy {
        return match p.status {
            403 => Some(Cause::ProxyDenied),
            401 | 407 => Some(Cause::ProxyAuth),
            s if s >= 500 => Some(Cause::ProxyUpstream),
            s if !status_has_own_finding(s) => Some(Cause::ProxyBadResponse),
            // 200: the tunnel opened; bytes that are not TLS came from the proxy itself, any
            // other TLS failure happened in the tunnel.
            _ => match failure {
                Some(f) if f.phase == Phase::Tls && f.kind == FailKind::Protocol => {
                    Some(Cause::ProxyBadResponse)
                }
                Some(f) if f.phase == Phase::Tls => Some(Cause::TunnelTlsFailed),
                _ => None,
            },
        };
    }
    let f = failure?;
    match (f.phase, f.kind) {
        (_, FailKind::Guard) => None,
        (Phase::Connect | Phase::Dns, _) => Some(Cause::ProxyUnreachable),
        (Phase::ProxyConnect, FailKind::Protocol) => Some(Cause::ProxyBadResponse),
        (Phase::ProxyConnect, FailKind::Timeout | FailKind::Closed | FailKind::Reset) => {
            Some(Cause::ProxyNoAnswer)
        }
        _ => None,
    }
}

fn tls_evidence(c: &Connection, via: &str, f: &ProbeError) -> String {
    let tcp = c
        .tcp_ms
        .map_or(String::new(), |ms| format!("TCP connected in {ms} ms; "));
    format!(
        "{} ({via}): {tcp}{} failed: {}",
        c.fqdn,
        f.phase.as_str(),
        f.message
    )
}

fn render(cause: Cause, subject: &str, g: Group) -> Finding {
    let names = g.names.join(", ");
    let globs = scope::glob_list(g.names.iter().map(String::as_str));
    let storage_only = !g.names.is_empty() && g.names.iter().all(|n| is_storage(n));
    let proxy_section = if storage_only {
        Section::Storage
    } else {
        Section::Proxy
    };
    let seen = g.seen.join(" / ");
    let (id, severity, section, title, detail, remediation): (FindingId, Severity, Section, String, String, Vec<String>) = match cause {
        Cause::Unreachable => (
            FindingId::ConnectUnreachable,
            Severity::Error,
            Section::ConnectionMethod,
            format!("The private endpoint ({subject}) cannot be reached on port 443"),
            "DNS is right, but this machine has no network path to the private endpoint: the VPN is \
             down, does not route the virtual network's address space, or a firewall blocks it."
                .into(),
            vec![
                "Connect the VPN (Azure VPN Client / your corporate VPN) and run pe-doctor again.".into(),
                format!("Check that {subject} is routed through the VPN (`route print` on Windows, `ip route get <address>` on Linux, `route -n get <address>` on macOS)."),
                "If you are on-premises: ask the network team whether the ExpressRoute / site-to-site \
                 VPN routes the VNet's prefixes and whether a firewall or NSG blocks TCP 443."
                    .into(),
                "Alternatively use the jump box through Azure Bastion.".into(),
            ],
        ),
        Cause::TlsFailed => (
            FindingId::ConnectTlsFailed,
            Severity::Error,
            if storage_only { Section::Storage } else { Section::ConnectionMethod },
            format!("TCP to {subject} port 443 works but TLS fails: the server {seen}"),
            format!(
                "The connection to {subject} on port 443 opens, but the TLS handshake for {names} does not \
                 complete, so no browser or SDK can talk to the service there. What answers on \
                 this address is not (or not only) the service's HTTPS endpoint: a firewall or \
                 security appliance that cuts HTTPS, a device that owns this address on your \
                 network, or a name pinned to the wrong address."
            ),
            vec![
                format!(
                    "Find out what answers on {subject} port 443: ask the network team whether a \
                     firewall, VPN gateway or security appliance on the path terminates or drops \
                     TLS to it."
                ),
                format!(
                    "Compare {subject} with the private endpoint's IP address in the Azure portal \
                     (private endpoint › DNS configuration); a different address means the name \
                     is pinned or resolved to the wrong place."
                ),
                format!("Have TLS to {globs} on port 443 allowed through unchanged."),
            ],
        ),
        Cause::TunnelTlsFailed => (
            FindingId::ConnectTlsFailed,
            Severity::Error,
            proxy_section,
            format!("Through the proxy {subject} the tunnel opens but TLS fails: the server {seen}"),
            format!(
                "The proxy answered 200 to CONNECT, but the TLS handshake for {names} through the \
                 tunnel does not complete: the proxy, or a firewall between it and the service, \
                 cuts the connection after accepting it."
            ),
            vec![
                format!(
                    "Send the evidence to the proxy administrators: CONNECT to {globs} is accepted \
                     but the tunnel is cut before TLS completes."
                ),
                format!("Or send {globs} DIRECT in the PAC file / proxy bypass list."),
            ],
        ),
        Cause::Intercepted => (
            FindingId::ConnectTlsIntercepted,
            Severity::Warning,
            proxy_section,
            format!("TLS to {names} is intercepted (certificate from {subject})"),
            "A proxy or security agent decrypts the traffic and presents its own certificate. It \
             then connects to the service itself — usually to the PUBLIC endpoint, which refuses \
             private-link-only workspaces."
                .into(),
            vec![
                format!("Ask IT to exempt {globs} from TLS inspection."),
                "Make sure the inspecting proxy resolves these names through corporate DNS that \
                 forwards to Azure (so it connects to the private endpoint), or send them DIRECT."
                    .into(),
            ],
        ),
        Cause::StorageFirewall => (
            FindingId::StorageFirewallDenied,
            Severity::Error,
            Section::Storage,
            format!("The storage account refuses this machine: its network rules deny the public path ({subject})"),
            "The request reached the storage account over its PUBLIC endpoint and the account \
             itself answered 403 AuthorizationFailure (\"This request is not authorized to \
             perform this operation.\"): its firewall admits only selected networks, or public \
             network access is disabled. This is the account's own refusal, not the workspace's \
             private-link 403."
                .into(),
            [
                g.proxies.first().map(|p| {
                    format!(
                        "These requests went through the proxy {p}, which reached the account's \
                         public endpoint. If the account has a private endpoint, send {globs} \
                         DIRECT (PAC file / proxy bypass list) so they take it."
                    )
                }),
                Some(format!(
                    "In the Azure portal open the storage account ({}) › Networking.",
                    storage_accounts(&g.names).join(", ")
                )),
                Some(
                    "If public network access is \"Enabled from selected virtual networks and IP \
                     addresses\": add the public IP address range your network uses to the \
                     firewall list (ask the network team which range your traffic leaves from)."
                        .into(),
                ),
                Some(format!(
                    "If public network access is \"Disabled\": reach the account through a private \
                     endpoint (target sub-resource blob, and file for notebooks) in your virtual \
                     network, with DNS for {names} resolving to it, and connect through the VPN."
                )),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        Cause::PublicForbidden => (
            FindingId::ConnectPublicEndpointForbidden,
            Severity::Error,
            proxy_section,
            format!("The workspace's public endpoint refuses the request ({subject})"),
            "The request reached the PUBLIC endpoint, which answers 403 because the workspace only \
             accepts traffic through its private endpoint. When this happens through a proxy, the \
             proxy resolved the public address itself."
                .into(),
            vec![
                format!("Send these names DIRECT (PAC file or proxy bypass list): {globs}."),
                "Or configure the proxy to resolve these names through a DNS server that forwards \
                 them to Azure (resolver inbound endpoint)."
                    .into(),
            ],
        ),
        Cause::PublicForbiddenNoEndpoint => (
            FindingId::ConnectPublicEndpointForbidden,
            Severity::Error,
            Section::ConnectionMethod,
            format!("The service refuses its public endpoint, and {names} has no private endpoint ({subject})"),
            "The request went straight to the PUBLIC endpoint, which answers 403 because the service \
             accepts traffic only through a private endpoint. Public DNS shows no private endpoint \
             for these names (target.no-private-endpoint), so no DNS or proxy change on this \
             machine can help: the private endpoint is missing, or it does not cover these names."
                .into(),
            vec![
                "In the Azure portal open the workspace (or AI services account) › Networking › \
                 Private endpoint connections and add a private endpoint in a virtual network your \
                 VPN reaches, with a private DNS zone group; then connect through the VPN and run \
                 pe-doctor again."
                    .into(),
                format!(
                    "If there is a private endpoint already, compare the names it serves (the private \
                     endpoint › DNS configuration) with {names}: a name it does not list has no \
                     private record."
                ),
                "Or, if this network is meant to use the public endpoint, allow it under Networking › \
                 Public access (\"Enabled from selected IP addresses\")."
                    .into(),
            ],
        ),
        Cause::ProxyDenied => (
            FindingId::ProxyDenied,
            Severity::Error,
            proxy_section,
            format!("The proxy {subject} refuses connections to {names}"),
            "The proxy's policy blocks these names (HTTP 403 to CONNECT).".into(),
            vec![format!(
                "Ask the proxy administrators to allow CONNECT to {globs} on port 443, or send \
                 them DIRECT in the PAC file."
            )],
        ),
        Cause::ProxyAuth => (
            FindingId::ProxyAuthRequired,
            Severity::Error,
            proxy_section,
            format!("The proxy {subject} requires authentication"),
            "The proxy answered 407 (or 401): it wants credentials this check did not send. Tools \
             that cannot authenticate (SDKs, CLI, some browsers' background requests) fail here."
                .into(),
            vec![
                format!(
                    "Re-run with --proxy http://{CREDENTIALS_PLACEHOLDER}@{subject} to check with \
                     credentials (they are never written to the report)."
                ),
                format!("Or ask IT to exempt {globs} from proxy authentication, or send them DIRECT."),
            ],
        ),
        Cause::ProxyUpstream => (
            FindingId::ProxyUpstreamFailed,
            Severity::Error,
            proxy_section,
            format!("The proxy {subject} could not resolve or reach {names}"),
            "The proxy accepted the request but failed upstream (5xx): it cannot resolve the name or \
             cannot reach the address it resolved — typically it does not see the private DNS zone \
             or has no route to the private endpoint."
                .into(),
            vec![format!(
                "Send {globs} DIRECT in the PAC file / proxy bypass list, or have the proxy \
                 resolve them through DNS that forwards to Azure and route to the VNet."
            )],
        ),
        Cause::ProxyBadResponse => (
            FindingId::ProxyBadResponse,
            Severity::Error,
            proxy_section,
            format!("The proxy {subject} does not open a tunnel to {names}"),
            "The proxy answered the CONNECT request with something other than a tunnel, a denial, \
             an authentication request or an upstream error: another status (400, 404, 405 \
             method not allowed, 429, a 302 redirect to a login page...) or, after \"200\", bytes \
             that are not TLS. HTTPS to these names cannot pass through it."
                .into(),
            vec![
                format!(
                    "Send the evidence to the proxy administrators and ask them to allow CONNECT \
                     to {globs} on port 443."
                ),
                format!("Or send {globs} DIRECT in the PAC file / proxy bypass list."),
            ],
        ),
        Cause::ProxyNoAnswer => (
            FindingId::ProxyNoAnswer,
            Severity::Error,
            proxy_section,
            format!("The proxy {subject} accepts connections but does not answer CONNECT"),
            format!(
                "TCP to the proxy works, but it {seen} instead of answering the CONNECT request: \
                 it is overloaded or hung, waits on its own DNS, or this port is not an HTTP \
                 proxy."
            ),
            vec![
                format!("Check that {subject} is the HTTP proxy your network documents (system proxy settings / PAC file)."),
                "Send the evidence to the proxy administrators.".into(),
                format!("Meanwhile, send {globs} DIRECT if your network allows it."),
            ],
        ),
        Cause::ProxyUnreachable => (
            FindingId::ProxyUnreachable,
            Severity::Error,
            proxy_section,
            format!("The proxy {subject} does not accept connections"),
            "No TCP connection to the proxy: wrong address/port, proxy down, or only reachable on the \
             corporate network."
                .into(),
            vec![
                "Check the proxy address in the system settings / PAC file.".into(),
                "Connect the VPN if the proxy is internal, or remove the proxy setting if it is stale.".into(),
            ],
        ),
    };
    Finding {
        id,
        severity,
        section,
        subject: subject.to_string(),
        title,
        detail,
        evidence: g.evidence,
        remediation,
        affected: Affected::names(&g.names),
        snippet: None,
    }
}

/// The storage account names of storage hosts (`acct.blob.core.windows.net` -> `acct`).
fn storage_accounts(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .filter_map(|n| n.split('.').next().map(String::from))
        .collect();
    out.sort();
    out.dedup();
    out
}
