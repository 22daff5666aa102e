//! PAC rules: a PAC that cannot be loaded or evaluated, and one that sends private-endpoint
//! names to a proxy (which then resolves the public address).

use super::{Affected, Finding, FindingId, Section, Severity};
use crate::probe::pac::PacReport;
use crate::targets::Target;
use pac::Directive;

/// A PAC snippet that sends the zones of `targets` DIRECT.
pub fn direct_snippet(targets: &[Target]) -> String {
    let mut zones: Vec<&str> = targets.iter().filter_map(|t| t.forwarder_zone).collect();
    if zones.is_empty() {
        zones.push("api.azureml.ms");
    }
    zones.sort_unstable();
    zones.dedup();
    let tests: Vec<String> = zones
        .iter()
        .map(|z| format!("dnsDomainIs(host, \".{z}\")"))
        .collect();
    format!(
        "// At the top of FindProxyForURL: the workspace's private-endpoint names go DIRECT.\nif ({})\n    return \"DIRECT\";",
        tests.join(" ||\n    ")
    )
}

/// Evaluates the PAC rules.
pub fn evaluate(pac: &PacReport, targets: &[Target]) -> Vec<Finding> {
    let mut out = Vec::new();
    let src = format!("{} (configured by {})", pac.source, pac.configured_by);
    if let Some(e) = &pac.load_error {
        out.push(Finding {
            id: FindingId::PacLoadFailed,
            severity: Severity::Error,
            section: Section::Proxy,
            subject: pac.source.clone(),
            title: "The proxy auto-configuration (PAC) file cannot be loaded".into(),
            detail: "Browsers that cannot load the PAC file fall back to DIRECT or fail, so what \
                     works differs between programs and networks."
                .into(),
            evidence: vec![format!("{src}: {e}")],
            remediation: vec![
                "Check the PAC address in the proxy settings (Windows: Settings > Network > Proxy > \
                 Use setup script; macOS: System Settings > Network > Details > Proxies)."
                    .into(),
                "If the PAC is served from the corporate network, connect the VPN first.".into(),
            ],
            affected: Affected::names(targets.iter().map(|t| &t.fqdn)),
        });
        return out;
    }
    let errors: Vec<String> = pac
        .compile_error
        .iter()
        .map(|e| format!("{src}: {e}"))
        .chain(
            pac.verdicts
                .iter()
                .filter_map(|v| v.error.as_ref().map(|e| format!("{}: {e}", v.url))),
        )
        .collect();
    if !errors.is_empty() {
        out.push(Finding {
            id: FindingId::PacEvalFailed,
            severity: Severity::Error,
            section: Section::Proxy,
            subject: pac.source.clone(),
            title: "The PAC file fails when it is evaluated".into(),
            detail:
                "The script has a syntax error, throws, runs too long or returns something that \
                     is not a string. Browsers then fall back to DIRECT or fail, silently."
                    .into(),
            evidence: errors,
            remediation: vec![
                "Send the evidence to whoever maintains the PAC file.".into(),
                "Test a fix with `pe-doctor pac --pac FILE -u https://<workspace name>/` before \
                 publishing it."
                    .into(),
            ],
            affected: Affected::names(
                pac.verdicts
                    .iter()
                    .filter(|v| v.error.is_some())
                    .map(|v| &v.fqdn),
            ),
        });
    }
    let not_direct: Vec<String> = pac
        .verdicts
        .iter()
        .filter(|v| !matches!(v.first, None | Some(Directive::Direct)))
        .map(|v| format!("{} → \"{}\"", v.url, v.result.clone().unwrap_or_default()))
        .collect();
    if !not_direct.is_empty() {
        out.push(Finding {
            id: FindingId::PacNotDirect,
            severity: Severity::Warning,
            section: Section::Proxy,
            subject: pac.source.clone(),
            title: format!(
                "The PAC file sends {} private-endpoint name{} to a proxy",
                not_direct.len(),
                if not_direct.len() == 1 { "" } else { "s" }
            ),
            detail: "A proxy resolves the names itself, usually to the PUBLIC address, and the \
                     workspace answers 403; compute instances (*.instances.azureml.ms) are often \
                     blocked by proxies too. The article recommends sending these names DIRECT."
                .into(),
            evidence: not_direct,
            remediation: vec![
                "Ask the PAC file's maintainers to send the private-endpoint zones DIRECT, e.g.:"
                    .into(),
                direct_snippet(targets),
                "Meanwhile, test without the proxy: pe-doctor diagnose ... --proxy none.".into(),
            ],
            affected: Affected::names(
                pac.verdicts
                    .iter()
                    .filter(|v| !matches!(v.first, None | Some(Directive::Direct)))
                    .map(|v| &v.fqdn),
            ),
        });
    }
    out
}
