//! PAC rules: a PAC that cannot be loaded or evaluated, and one that sends private-endpoint
//! names to a proxy (which then resolves the public address).

use super::{Affected, Finding, FindingId, Section, Severity, scope};
use crate::probe::pac::{PacReport, PacVerdict};
use crate::targets::Target;
use pac::Directive;

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
            snippet: None,
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
            snippet: None,
        });
    }
    let sent: Vec<&PacVerdict> = pac
        .verdicts
        .iter()
        .filter(|v| !matches!(v.first, None | Some(Directive::Direct)))
        .collect();
    if !sent.is_empty() {
        let names: Vec<&str> = sent.iter().map(|v| v.fqdn.as_str()).collect();
        let section = if sent.iter().all(|v| is_storage(targets, &v.fqdn)) {
            Section::Storage
        } else {
            Section::Proxy
        };
        out.push(Finding {
            id: FindingId::PacNotDirect,
            severity: Severity::Warning,
            section,
            subject: pac.source.clone(),
            title: format!(
                "The PAC file sends {} private-endpoint name{} to a proxy",
                sent.len(),
                if sent.len() == 1 { "" } else { "s" }
            ),
            detail: if section == Section::Storage {
                "A proxy resolves the storage account's names itself and reaches the account's \
                 PUBLIC endpoint, where its network rules apply, instead of its private endpoint."
                    .into()
            } else {
                "A proxy resolves the names itself, usually to the PUBLIC address, and the \
                 workspace answers 403; compute instances (*.instances.azureml.ms) are often \
                 blocked by proxies too. The article recommends sending these names DIRECT."
                    .into()
            },
            evidence: sent
                .iter()
                .map(|v| format!("{} → \"{}\"", v.url, v.result.clone().unwrap_or_default()))
                .collect(),
            remediation: vec![
                format!(
                    "Ask the PAC file's maintainers to paste the lines below at the top of \
                     FindProxyForURL: they send {} DIRECT and nothing else.",
                    scope::glob_list(names.iter().copied())
                ),
                format!(
                    "Check the edited file before publishing it: pe-doctor pac --pac FILE -u {}",
                    sent.first().map_or("", |v| v.url.as_str())
                ),
                "Meanwhile, test without the proxy: pe-doctor diagnose ... --proxy none.".into(),
            ],
            affected: Affected::names(names.iter().copied()),
            snippet: Some(scope::pac_snippet(names.iter().copied())),
        });
    }
    out
}

/// True when `fqdn` is a storage account's name (the article's storage section).
fn is_storage(targets: &[Target], fqdn: &str) -> bool {
    targets
        .iter()
        .find(|t| t.is_named(fqdn))
        .is_some_and(|t| t.kind.is_storage())
}
