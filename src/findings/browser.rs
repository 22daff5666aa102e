//! Browser rules: a browser on this machine that resolves through DNS over HTTPS, judged by
//! what its own DoH server answered for each private-endpoint name.

use super::{Finding, FindingId};
use crate::host::browsers::{self, BrowserDoh, DohAnswer};
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::{Resolution, ResolverRole};
use crate::targets::Target;

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
            for f in browsers::propose_findings(b, &t.fqdn, answer_for(b, &t.fqdn, resolutions)) {
                match out
                    .iter_mut()
                    .find(|(g, _)| g.id == f.id && g.subject == f.subject)
                {
                    Some((g, names)) => {
                        names.push(t.fqdn.clone());
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
