//! Connection rules: what happened on the way to each target (direct or through a proxy).

use super::{Finding, FindingId, Section, Severity};
use crate::classify::is_private;
use crate::model::{FailKind, Phase};
use crate::model::{ResolverInfo, ResolverRole};
use crate::probe::connect::{Connection, Route};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    Unreachable,
    Intercepted,
    PublicForbidden,
    ProxyDenied,
    ProxyAuth,
    ProxyUpstream,
    ProxyUnreachable,
}

#[derive(Debug, Default)]
struct Group {
    names: Vec<String>,
    evidence: Vec<String>,
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
            parts.join("; ")
        }
        None => format!(
            "CONNECT {}:443 failed: {}",
            c.fqdn,
            c.failure.as_ref().map_or("unknown", |f| f.message.as_str())
        ),
    }
}

/// Evaluates the connection rules. `earlier` holds the DNS findings: a 403 from the public
/// endpoint for a name whose DNS is already reported wrong is the same root cause.
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
    let mut add = |cause: Cause, subject: String, fqdn: &str, ev: String| {
        let g = groups.entry((cause, subject)).or_default();
        if !g.names.iter().any(|n| n == fqdn) {
            g.names.push(fqdn.to_string());
        }
        g.evidence.push(ev);
    };
    // Unreachable private endpoints are one root cause (no path to the VNet): one finding
    // naming every address.
    let mut unreachable: Vec<String> = Vec::new();
    for c in connections.iter().filter(|c| !c.guarded()) {
        match &c.route {
            Route::Direct { address, resolver } => {
                if *resolver != system {
                    continue;
                }
                if let Some(f) = &c.failure
                    && f.phase == Phase::Connect
                    && is_private(*address)
                    && !dns_explains(&c.fqdn)
                {
                    if !unreachable.contains(&address.to_string()) {
                        unreachable.push(address.to_string());
                    }
                    add(
                        Cause::Unreachable,
                        String::new(),
                        &c.fqdn,
                        format!(
                            "{}: TCP to {address}:443 failed ({:?}: {})",
                            c.fqdn, f.kind, f.message
                        ),
                    );
                }
            }
            Route::Proxy { proxy } => {
                let status = c.proxy.as_ref().map(|p| p.status);
                match (status, &c.failure) {
                    (Some(403), _) => add(
                        Cause::ProxyDenied,
                        proxy.clone(),
                        &c.fqdn,
                        proxy_evidence(c),
                    ),
                    (Some(401 | 407), _) => {
                        add(Cause::ProxyAuth, proxy.clone(), &c.fqdn, proxy_evidence(c))
                    }
                    (Some(s), _) if s >= 500 => add(
                        Cause::ProxyUpstream,
                        proxy.clone(),
                        &c.fqdn,
                        proxy_evidence(c),
                    ),
                    (None, Some(f))
                        if (f.phase == Phase::ProxyConnect || f.phase == Phase::Connect)
                            && f.kind != FailKind::Guard =>
                    {
                        add(
                            Cause::ProxyUnreachable,
                            proxy.clone(),
                            &c.fqdn,
                            proxy_evidence(c),
                        );
                    }
                    _ => {}
                }
            }
        }
        let via = match &c.route {
            Route::Direct { address, .. } => format!("direct to {address}"),
            Route::Proxy { proxy } => format!("through proxy {proxy}"),
        };
        if let Some(t) = &c.tls
            && t.intercepted()
        {
            add(
                Cause::Intercepted,
                t.issuer.clone(),
                &c.fqdn,
                format!(
                    "{} ({via}): certificate issued by {} (SHA-256 {}), trusted by this machine but not by public roots",
                    c.fqdn, t.issuer, t.sha256
                ),
            );
        }
        if let Some(h) = &c.http
            && let Some(svc) = &h.private_link_denied
            && !dns_explains(&c.fqdn)
        {
            let public_direct = matches!(&c.route, Route::Direct { address, resolver } if !is_private(*address) && *resolver == system);
            if public_direct || matches!(c.route, Route::Proxy { .. }) {
                add(
                    Cause::PublicForbidden,
                    via.clone(),
                    &c.fqdn,
                    format!(
                        "{} ({via}): HTTP {} with the {svc} private-link denial: {:?}",
                        c.fqdn,
                        h.status,
                        h.body_excerpt.chars().take(120).collect::<String>()
                    ),
                );
            }
        }
    }
    groups
        .into_iter()
        .map(|((cause, subject), g)| {
            let subject = if cause == Cause::Unreachable {
                unreachable.join(", ")
            } else {
                subject
            };
            render(cause, &subject, g)
        })
        .collect()
}

fn render(cause: Cause, subject: &str, g: Group) -> Finding {
    let names = g.names.join(", ");
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
        Cause::Intercepted => (
            FindingId::ConnectTlsIntercepted,
            Severity::Warning,
            Section::Proxy,
            format!("TLS to {names} is intercepted (certificate from {subject})"),
            "A proxy or security agent decrypts the traffic and presents its own certificate. It \
             then connects to the service itself — usually to the PUBLIC endpoint, which refuses \
             private-link-only workspaces."
                .into(),
            vec![
                "Ask IT to exempt *.api.azureml.ms, *.instances.azureml.ms, *.notebooks.azure.net and \
                 the workspace's storage from TLS inspection."
                    .into(),
                "Make sure the inspecting proxy resolves these names through corporate DNS that \
                 forwards to Azure (so it connects to the private endpoint), or send them DIRECT."
                    .into(),
            ],
        ),
        Cause::PublicForbidden => (
            FindingId::ConnectPublicEndpointForbidden,
            Severity::Error,
            Section::Proxy,
            format!("The workspace's public endpoint refuses the request ({subject})"),
            "The request reached the PUBLIC endpoint, which answers 403 because the workspace only \
             accepts traffic through its private endpoint. When this happens through a proxy, the \
             proxy resolved the public address itself."
                .into(),
            vec![
                "Send the private-endpoint names DIRECT (PAC file or proxy bypass list): \
                 *.api.azureml.ms, *.instances.azureml.ms, *.notebooks.azure.net, *.aznbcontent.net."
                    .into(),
                "Or configure the proxy to resolve these names through a DNS server that forwards \
                 them to Azure (resolver inbound endpoint)."
                    .into(),
            ],
        ),
        Cause::ProxyDenied => (
            FindingId::ProxyDenied,
            Severity::Error,
            Section::Proxy,
            format!("The proxy {subject} refuses connections to {names}"),
            "The proxy's policy blocks these names (HTTP 403 to CONNECT).".into(),
            vec![
                "Ask the proxy administrators to allow CONNECT to *.<region>.api.azureml.ms and \
                 *.instances.azureml.ms (and *.notebooks.azure.net), or send them DIRECT in the PAC \
                 file."
                    .into(),
            ],
        ),
        Cause::ProxyAuth => (
            FindingId::ProxyAuthRequired,
            Severity::Error,
            Section::Proxy,
            format!("The proxy {subject} requires authentication"),
            "The proxy answered 407 (or 401): it wants credentials this check did not send. Tools \
             that cannot authenticate (SDKs, CLI, some browsers' background requests) fail here."
                .into(),
            vec![
                "Re-run with --proxy http://USER:PASSWORD@proxy:port to check with credentials (they \
                 are never written to the report)."
                    .into(),
                "Or ask IT to exempt the workspace names from proxy authentication / send them DIRECT.".into(),
            ],
        ),
        Cause::ProxyUpstream => (
            FindingId::ProxyUpstreamFailed,
            Severity::Error,
            Section::Proxy,
            format!("The proxy {subject} could not resolve or reach {names}"),
            "The proxy accepted the request but failed upstream (5xx): it cannot resolve the name or \
             cannot reach the address it resolved — typically it does not see the private DNS zone \
             or has no route to the private endpoint."
                .into(),
            vec![
                "Send these names DIRECT in the PAC file / proxy bypass list, or have the proxy resolve \
                 them through DNS that forwards to Azure and route to the VNet."
                    .into(),
            ],
        ),
        Cause::ProxyUnreachable => (
            FindingId::ProxyUnreachable,
            Severity::Error,
            Section::Proxy,
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
        affected: super::Affected::names(&g.names),
    }
}
