//! Browser rules: a browser on this machine that resolves through DNS over HTTPS, judged by
//! what its own DoH server answered for each private-endpoint name.

use super::{Affected, Finding, FindingId, Section, Severity};
use crate::host::browsers::{BrowserDoh, BrowserKind, DohMode};
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::{Resolution, ResolverRole};
use crate::targets::Target;
use crate::targets::{Cloud, forwarder_zones_needed};
use serde::{Deserialize, Serialize};

fn answer_for(b: &BrowserDoh, fqdn: &str, resolutions: &[Resolution]) -> DohAnswer {
    let mine: Vec<&Resolution> = resolutions
        .iter()
        .filter(|r| {
            r.fqdn == fqdn
                && r.resolver.role == ResolverRole::BrowserDoh
                && b.templates.contains(&r.resolver.address)
        })
        .collect();
    if mine.is_empty() {
        return DohAnswer::NotAsked;
    }
    if mine.iter().any(|r| {
        r.status == DnsStatus::Ok && matches!(r.class, AddrClass::Public | AddrClass::Mixed)
    }) {
        DohAnswer::Public
    } else if mine
        .iter()
        .any(|r| r.status == DnsStatus::Ok && r.class == AddrClass::Private)
    {
        DohAnswer::Private
    } else {
        DohAnswer::NoAnswer
    }
}

/// Evaluates every browser against every target; one finding per (id, browser), listing the
/// names.
pub fn evaluate(
    list: &[BrowserDoh],
    targets: &[Target],
    resolutions: &[Resolution],
) -> Vec<Finding> {
    let mut out: Vec<(Finding, Vec<String>)> = Vec::new();
    for b in list {
        for t in targets.iter().filter(|t| t.alternative_of.is_none()) {
            for f in propose_findings(b, &t.fqdn, answer_for(b, &t.fqdn, resolutions)) {
                match out
                    .iter_mut()
                    .find(|(g, _)| g.id == f.id && g.subject == f.subject)
                {
                    Some((g, names)) => {
                        names.push(t.fqdn.clone());
                        g.affected.extend(f.affected);
                        for e in f.evidence {
                            if !g.evidence.contains(&e) {
                                g.evidence.push(e);
                            }
                        }
                        if f.severity < g.severity {
                            g.severity = f.severity;
                        }
                    }
                    None => out.push((f, vec![t.fqdn.clone()])),
                }
            }
        }
    }
    out.into_iter()
        .map(|(mut f, names)| {
            if let Some(b) = list
                .iter()
                .find(|b| format!("{} ({})", b.browser.name(), b.profile) == f.subject)
            {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                f.remediation = fixes(b, f.id, &names);
            }
            if names.len() > 1 {
                f.title = match f.id {
                    FindingId::BrowserDohEnabled => format!(
                        "{} uses DNS over HTTPS and gets the PUBLIC address of your workspace ({} names)",
                        f.subject,
                        names.len()
                    ),
                    FindingId::BrowserTrrDropsPrivate => format!(
                        "{} drops the private answers from its DNS-over-HTTPS server ({} names)",
                        f.subject,
                        names.len()
                    ),
                    _ => format!("{} ({} names)", f.title, names.len()),
                };
            }
            f
        })
        .collect()
}

/// The domains to exclude from a browser's DoH so that `names` use the system resolver: the
/// public zones of the names (excluding a domain excludes its subdomains).
fn exclusion_domains(names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let zones = forwarder_zones_needed(n, Cloud::Public);
        let zone = zones
            .first()
            .map_or_else(|| n.to_string(), |z| z.to_string());
        if !out.contains(&zone) {
            out.push(zone);
        }
    }
    out
}

/// The fix for one browser finding about `names`, each step once.
fn fixes(b: &BrowserDoh, id: FindingId, names: &[&str]) -> Vec<String> {
    let domains = exclusion_domains(names).join(",");
    let exclude = format!(
        "To keep DoH for everything else instead: about:config > network.trr.excluded-domains, \
         add `{domains}` (comma-separated, after the entries already there)"
    );
    let mut out = Vec::new();
    match id {
        FindingId::BrowserTrrDropsPrivate => {
            out.push("about:config > network.trr.allow-rfc1918 = true".to_string());
            if !b.managed {
                out.push(exclude);
            }
        }
        _ => {
            out.push(b.fix.clone());
            if b.browser == BrowserKind::Firefox && !b.managed {
                out.push(exclude);
            }
        }
    }
    out.push(format!(
        "Restart {} and open the workspace again",
        b.browser.name()
    ));
    out
}

/// What a browser's DoH server answered for a private-endpoint name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DohAnswer {
    /// Only public addresses (the private endpoint is bypassed).
    Public,
    /// Private addresses.
    Private,
    /// No address (error, NXDOMAIN, timeout).
    NoAnswer,
    /// The browser's DoH server was not asked.
    NotAsked,
}

/// Proposes findings for one browser and one private-endpoint name, given what the browser's
/// DoH server answered: `browser.doh-enabled` (error when DoH answers public, naming the
/// browser, profile and setting) and `browser.trr-drops-private` (Firefox dropping private
/// answers). Nothing when the browser does not use DoH for the name.
pub fn propose_findings(b: &BrowserDoh, name: &str, answer: DohAnswer) -> Vec<Finding> {
    if !b.uses_doh_for(name) {
        return Vec::new();
    }
    // `automatic` without templates only upgrades known public resolvers; whether that
    // happens depends on the system resolver, which the DNS rules already judge.
    if b.mode == DohMode::Automatic && b.templates.is_empty() {
        return Vec::new();
    }
    let subject = format!("{} ({})", b.browser.name(), b.profile);
    let server = if b.templates.is_empty() {
        "its DoH server".to_string()
    } else {
        b.templates.join(", ")
    };
    let mut evidence = vec![
        format!("setting: {}", b.setting),
        format!("DoH server: {server}"),
    ];
    if !b.excluded_domains.is_empty() {
        evidence.push(format!(
            "excluded domains: {}",
            b.excluded_domains.join(", ")
        ));
    }
    let remediation = fixes(b, FindingId::BrowserDohEnabled, &[name]);
    let doh_finding =
        |severity: Severity, title: String, detail: String, ev: Vec<String>| Finding {
            id: FindingId::BrowserDohEnabled,
            severity,
            section: Section::BrowserDoh,
            subject: subject.clone(),
            title,
            detail,
            evidence: ev,
            remediation: remediation.clone(),
            snippet: None,
            affected: vec![Affected::name(name)],
        };
    let mode_text = match b.mode {
        DohMode::Only => "DoH only, no fallback",
        DohMode::First => "DoH first, system DNS only when DoH fails",
        DohMode::Automatic => "DoH when available, system DNS only when DoH fails",
        DohMode::Off | DohMode::OffByChoice => "off",
    };
    match answer {
        DohAnswer::Public => {
            let mut ev = evidence.clone();
            ev.push(format!("{server} answers {name} with a public address"));
            vec![doh_finding(
                Severity::Error,
                format!("{subject} resolves {name} over DoH and gets the public address"),
                format!(
                    "{} sends its DNS questions to {server} ({mode_text}) instead of the \
                     system resolver, so it never sees the private DNS zone of the VPN or \
                     corporate DNS. The DoH server answers {name} with the workspace's public \
                     address, and the workspace refuses public access (403). The setting is: {}.",
                    b.browser.name(),
                    b.setting
                ),
                ev,
            )]
        }
        DohAnswer::Private => {
            if b.browser == BrowserKind::Firefox && !b.allow_rfc1918 {
                let (severity, effect) = if b.mode == DohMode::Only {
                    (
                        Severity::Error,
                        "with network.trr.mode 3 there is no fallback, so the name does not \
                         resolve in Firefox at all",
                    )
                } else {
                    (
                        Severity::Warning,
                        "Firefox then falls back to the system resolver, which works but makes \
                         every lookup of the workspace wait for DoH first",
                    )
                };
                let mut ev = evidence.clone();
                ev.push(format!("{server} answers {name} with a private address"));
                ev.push("network.trr.allow-rfc1918 = false (default)".to_string());
                vec![Finding {
                    id: FindingId::BrowserTrrDropsPrivate,
                    severity,
                    section: Section::BrowserDoh,
                    subject,
                    title: format!(
                        "Firefox ({}) drops the private answer for {name}",
                        b.profile
                    ),
                    detail: format!(
                        "Firefox asks {server} for {name} and gets the private-endpoint address, \
                         but discards private (RFC 1918) answers from DoH because \
                         network.trr.allow-rfc1918 is false; {effect}."
                    ),
                    evidence: ev,
                    remediation: fixes(b, FindingId::BrowserTrrDropsPrivate, &[name]),
                    snippet: None,
                    affected: vec![Affected::name(name)],
                }]
            } else {
                Vec::new()
            }
        }
        DohAnswer::NoAnswer if b.mode == DohMode::Only => {
            let mut ev = evidence.clone();
            ev.push(format!("{server} gave no address for {name}"));
            vec![doh_finding(
                Severity::Error,
                format!("{subject} uses DoH only and cannot resolve {name}"),
                format!(
                    "{} resolves names only through {server}, with no fallback to the system \
                     resolver, and that server gives no address for {name}. The setting is: {}.",
                    b.browser.name(),
                    b.setting
                ),
                ev,
            )]
        }
        DohAnswer::NoAnswer => Vec::new(),
        DohAnswer::NotAsked => vec![doh_finding(
            Severity::Warning,
            format!("{subject} resolves names over DoH"),
            format!(
                "{} sends DNS questions to {server} ({mode_text}) instead of the system \
                 resolver, so the VPN's private DNS zones do not apply in this browser. \
                 pe-doctor did not ask that server about {name}. The setting is: {}.",
                b.browser.name(),
                b.setting
            ),
            evidence,
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn s(x: &str) -> String {
        x.to_string()
    }

    fn edge_secure() -> BrowserDoh {
        BrowserDoh {
            browser: BrowserKind::Edge,
            profile: s("all profiles"),
            profile_path: PathBuf::from("/nowhere"),
            mode: DohMode::Only,
            templates: vec![s("https://dns.quad9.net/dns-query")],
            excluded_domains: vec![],
            allow_rfc1918: true,
            managed: false,
            setting: s("Local State dns_over_https.mode = secure"),
            fix: s(BrowserKind::Edge.secure_dns_setting()),
        }
    }

    fn firefox_mode2() -> BrowserDoh {
        BrowserDoh {
            browser: BrowserKind::Firefox,
            profile: s("k3x9q2lm.default-release"),
            profile_path: PathBuf::new(),
            mode: DohMode::First,
            templates: vec![s("https://doh.contoso.example/dns-query")],
            excluded_domains: vec![s("corp.contoso.example")],
            allow_rfc1918: false,
            managed: false,
            setting: s("about:config network.trr.mode = 2 (prefs.js)"),
            fix: s("about:config > network.trr.mode = 5"),
        }
    }

    #[test]
    fn findings_for_public_doh_answer() {
        let name = "ws1.westeurope.api.azureml.ms";
        let f = propose_findings(&edge_secure(), name, DohAnswer::Public);
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.id, "browser.doh-enabled");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.section, Section::BrowserDoh);
        assert_eq!(f.subject, "Edge (all profiles)");
        assert_eq!(
            f.title,
            "Edge (all profiles) resolves ws1.westeurope.api.azureml.ms over DoH and gets the public address"
        );
        assert!(
            f.detail
                .contains("Local State dns_over_https.mode = secure")
        );
        assert_eq!(
            f.remediation[0],
            "Edge Settings > Privacy, search, and services > Security > Use secure DNS: off (edge://settings/privacy)"
        );
        assert!(f.affects(name));
        assert!(propose_findings(&edge_secure(), name, DohAnswer::Private).is_empty());
        let f = propose_findings(&edge_secure(), name, DohAnswer::NoAnswer);
        assert_eq!(
            (f[0].id.as_str(), f[0].severity),
            ("browser.doh-enabled", Severity::Error)
        );
        let f = propose_findings(&edge_secure(), name, DohAnswer::NotAsked);
        assert_eq!(f[0].severity, Severity::Warning);
        let mut off = edge_secure();
        off.mode = DohMode::Off;
        assert!(propose_findings(&off, name, DohAnswer::Public).is_empty());
        let mut auto = edge_secure();
        auto.mode = DohMode::Automatic;
        auto.templates.clear();
        assert!(propose_findings(&auto, name, DohAnswer::Public).is_empty());
    }

    #[test]
    fn findings_for_firefox_name_the_domains_once() {
        let b = firefox_mode2();
        let name = "ws1.westeurope.api.azureml.ms";
        let f = propose_findings(&b, name, DohAnswer::Private);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "browser.trr-drops-private");
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(
            f[0].remediation,
            vec![
                s("about:config > network.trr.allow-rfc1918 = true"),
                s("To keep DoH for everything else instead: about:config > \
                   network.trr.excluded-domains, add `api.azureml.ms` (comma-separated, after the \
                   entries already there)"),
                s("Restart Firefox and open the workspace again"),
            ]
        );
        let f = propose_findings(&b, name, DohAnswer::Public);
        assert_eq!(
            (f[0].id.as_str(), f[0].severity),
            ("browser.doh-enabled", Severity::Error)
        );
        assert!(f[0].remediation[1].contains("network.trr.excluded-domains"));
        let mut only = b.clone();
        only.mode = DohMode::Only;
        let f = propose_findings(&only, name, DohAnswer::Private);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(propose_findings(&b, "x.corp.contoso.example.", DohAnswer::Public).is_empty());
        let mut allow = b.clone();
        allow.allow_rfc1918 = true;
        assert!(propose_findings(&allow, name, DohAnswer::Private).is_empty());
    }

    #[test]
    fn grouped_firefox_finding_lists_every_zone_once() {
        let names = [
            "ws1.workspace.westeurope.api.azureml.ms",
            "ws1.workspace.westeurope.cert.api.azureml.ms",
            "ml-x-westeurope-ws1.westeurope.notebooks.azure.net",
            "ci.westeurope.instances.azureml.ms",
        ];
        let fixes = fixes(&firefox_mode2(), FindingId::BrowserDohEnabled, &names);
        assert_eq!(fixes.len(), 3, "{fixes:?}");
        assert!(
            fixes[1].contains("`api.azureml.ms,notebooks.azure.net,instances.azureml.ms`"),
            "{fixes:?}"
        );
        let mut unique = fixes.clone();
        unique.dedup();
        assert_eq!(unique, fixes);
    }
}
