//! The report model and its renderers. Renderers write to any `io::Write`.

pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod sanitize;
pub mod text;

use crate::cli::Format;
use crate::findings::{Finding, Severity};
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::{Resolution, ResolverRole};
use model::{Report, Verdict};
use std::io::{self, Write};

pub use crate::fsio::write_atomically;

/// Writes `report` in `format` to `out`; `color` enables ANSI colour in text.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, color, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Html => html::render(report, out),
    }
}

/// The first thing a report says: how bad it is, in a symbol and a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Banner {
    /// At least one error finding.
    Problem,
    /// No error, at least one warning.
    Warning,
    /// Nothing wrong.
    Healthy,
    /// Nothing answered.
    Inconclusive,
}

impl Banner {
    /// The banner for a report.
    pub(crate) fn of(report: &Report) -> Self {
        match report.verdict {
            Verdict::Problems => Banner::Problem,
            Verdict::Inconclusive => Banner::Inconclusive,
            Verdict::Healthy
                if report
                    .findings
                    .iter()
                    .any(|f| f.severity <= Severity::Warning) =>
            {
                Banner::Warning
            }
            Verdict::Healthy => Banner::Healthy,
        }
    }

    /// Symbol and word, e.g. `✗ PROBLEM`.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Banner::Problem => "✗ PROBLEM",
            Banner::Warning => "! WARNING",
            Banner::Healthy => "✓ HEALTHY",
            Banner::Inconclusive => "? INCONCLUSIVE",
        }
    }

    /// The finding the banner leads with, if any (findings are sorted most severe first).
    pub(crate) fn top(self, report: &Report) -> Option<&Finding> {
        report
            .findings
            .first()
            .filter(|f| f.severity <= Severity::Warning)
    }

    /// The banner's headline when no finding leads it.
    pub(crate) fn default_headline(self) -> &'static str {
        match self {
            Banner::Inconclusive => "No DNS server answered: pe-doctor cannot tell what is wrong.",
            _ => {
                "Every name resolves to a private address through the resolvers this machine uses."
            }
        }
    }

    /// What to do when no finding leads the banner.
    pub(crate) fn default_steps(self) -> &'static [&'static str] {
        match self {
            Banner::Inconclusive => &[
                "Check that the network (and the VPN, if you use one) is connected.",
                "Run pe-doctor again.",
            ],
            _ => &[],
        }
    }
}

/// How an answer cell reads: good (private), bad (public, missing), or a failure to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Private addresses only.
    Good,
    /// Public, mixed, no address or NXDOMAIN.
    Bad,
    /// The resolver failed (SERVFAIL, REFUSED, error).
    Warn,
    /// No answer in time, or not asked.
    Quiet,
}

impl Mark {
    /// The symbol that carries the meaning without colour.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Mark::Good => "✓",
            Mark::Bad => "✗",
            Mark::Warn => "!",
            Mark::Quiet => "?",
        }
    }
}

/// One answer as a table cell: symbol, main text (`10.0.0.4 +1`, `NXDOMAIN`) and a class word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    /// Good, bad...
    pub mark: Mark,
    /// Addresses or status.
    pub text: String,
    /// `private`, `PUBLIC`, `MIXED` or empty.
    pub class: &'static str,
}

impl Cell {
    /// The cell for a (name, resolver) pair nobody asked.
    pub(crate) fn missing() -> Self {
        Cell {
            mark: Mark::Quiet,
            text: "not asked".into(),
            class: "",
        }
    }

    /// The cell for one resolution.
    pub(crate) fn of(r: &Resolution) -> Self {
        let (mark, text, class) = match r.status {
            DnsStatus::Ok if r.addresses.is_empty() => (Mark::Bad, "no address".into(), ""),
            DnsStatus::Ok => {
                let mut text = r
                    .addresses
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if r.addresses.len() > 1 {
                    text.push_str(&format!(" +{}", r.addresses.len() - 1));
                }
                match r.class {
                    AddrClass::Private => (Mark::Good, text, "private"),
                    AddrClass::Mixed => (Mark::Bad, text, "MIXED"),
                    _ => (Mark::Bad, text, "PUBLIC"),
                }
            }
            DnsStatus::Nxdomain => (Mark::Bad, "NXDOMAIN".into(), ""),
            DnsStatus::Timeout => (Mark::Quiet, "timeout".into(), ""),
            other => (Mark::Warn, other.as_str().to_uppercase(), ""),
        };
        Cell { mark, text, class }
    }

    /// Symbol, text and class word on one line, e.g. `✗ 20.41.5.7 PUBLIC`.
    pub(crate) fn plain(&self) -> String {
        let mut s = format!("{} {}", self.mark.symbol(), self.text);
        if !self.class.is_empty() {
            s.push(' ');
            s.push_str(self.class);
        }
        s
    }
}

/// The resolution of `fqdn` by the resolver labelled `label`, if it was asked.
/// How one connection attempt reads in a report: whether it worked, the route, and each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// The traffic got an ordinary answer from the private endpoint.
    pub ok: bool,
    /// `DIRECT 10.0.0.4:443 (from system)` or `PROXY host:3128 (pac)`.
    pub route: String,
    /// `TCP ok · TLS ok · HTTP 200`, `CONNECT 403`, `connect failed: ...`.
    pub steps: Vec<String>,
}

/// Summarises a connection attempt (one wording for every format).
pub fn connection_summary(c: &crate::probe::connect::Connection) -> ConnectionSummary {
    use crate::probe::connect::Route;
    let route = match &c.route {
        Route::Direct { address, resolver } => format!("DIRECT {address}:443 (from {resolver})"),
        Route::Proxy { proxy } => format!("PROXY {proxy} ({})", c.reason.source),
    };
    let mut steps: Vec<String> = Vec::new();
    if let Some(p) = &c.proxy {
        steps.push(format!("CONNECT {}", p.status));
    } else if c.tcp_ms.is_some() {
        steps.push("TCP ok".into());
    }
    if let Some(t) = &c.tls {
        steps.push(if t.intercepted() {
            format!("TLS intercepted by {}", t.issuer)
        } else if t.os_trusted {
            "TLS ok".into()
        } else {
            "TLS untrusted".into()
        });
    }
    if let Some(h) = &c.http {
        steps.push(match &h.private_link_denied {
            Some(_) => format!("HTTP {} private-link denial", h.status),
            None => format!("HTTP {}", h.status),
        });
    }
    if let Some(f) = &c.failure {
        // A proxy's refusal is already shown as its status.
        let shown = c.proxy.is_some() && f.kind == crate::model::FailKind::Status;
        if !shown {
            steps.push(format!("{} failed: {}", f.phase.as_str(), f.message));
        }
    }
    let ok = c.failure.is_none()
        && c.http
            .as_ref()
            .is_some_and(|h| h.private_link_denied.is_none() && h.status < 500)
        && !c.tls.as_ref().is_some_and(|t| t.intercepted());
    ConnectionSummary { ok, route, steps }
}

/// The connection that shows how a browser's traffic for `fqdn` goes: through the proxy, or
/// direct to the address the system resolver gave.
pub fn primary_connection<'a>(
    report: &'a Report,
    fqdn: &str,
) -> Option<&'a crate::probe::connect::Connection> {
    use crate::probe::connect::Route;
    let system = report
        .resolvers
        .iter()
        .find(|r| r.role == ResolverRole::System)
        .map(|r| r.label.as_str());
    report
        .connections
        .iter()
        .filter(|c| c.fqdn == fqdn && !c.guarded())
        .find(|c| match &c.route {
            Route::Proxy { .. } => true,
            Route::Direct { resolver, .. } => Some(resolver.as_str()) == system,
        })
}

/// True when `ip`, answered for `fqdn`, is wrong although private: not one of the expected IPs,
/// or named by an error finding (its typed affected address).
pub(crate) fn wrong_private(report: &Report, fqdn: &str, ip: std::net::IpAddr) -> bool {
    let expected = report
        .targets
        .iter()
        .find(|t| t.fqdn == fqdn)
        .map(|t| t.expected_ips.as_slice())
        .unwrap_or_default();
    (!expected.is_empty() && !expected.contains(&ip))
        || report.findings.iter().any(|f| {
            f.severity == crate::findings::Severity::Error
                && f.affected
                    .iter()
                    .any(|a| a.fqdn == fqdn && a.address == Some(ip))
        })
}

/// The cell for one resolution, judged against the expected state and the findings: a private
/// address that is not the endpoint's is marked wrong.
pub(crate) fn judged_cell(report: &Report, r: &Resolution) -> Cell {
    let mut cell = Cell::of(r);
    if cell.mark == Mark::Good
        && r.addresses
            .iter()
            .any(|a| wrong_private(report, &r.fqdn, *a))
    {
        cell.mark = Mark::Bad;
        cell.class = "private, WRONG";
    }
    cell
}

/// The names the tables show: an alternative spelling (a second documented suffix of a compute
/// instance, a truncated notebooks label) is folded away when it adds nothing — it does not
/// exist anywhere, or every resolver answered it exactly as the name it stands for.
pub(crate) fn shown_targets(report: &Report) -> Vec<&crate::targets::Target> {
    report
        .targets
        .iter()
        .filter(|t| {
            let Some(primary) = &t.alternative_of else {
                return true;
            };
            let mine: Vec<&Resolution> = report
                .resolutions
                .iter()
                .filter(|r| r.fqdn == t.fqdn)
                .collect();
            let nowhere = mine.iter().all(|r| r.addresses.is_empty());
            let same = mine.iter().all(|r| {
                lookup(report, primary, &r.resolver.label)
                    .is_some_and(|p| p.addresses == r.addresses && p.status == r.status)
            });
            !(nowhere || same)
        })
        .collect()
}

pub(crate) fn lookup<'a>(report: &'a Report, fqdn: &str, label: &str) -> Option<&'a Resolution> {
    report
        .resolutions
        .iter()
        .find(|r| r.fqdn == fqdn && r.resolver.label == label)
}

/// A resolver role in words a non-expert can follow.
pub(crate) fn role_words(role: ResolverRole) -> &'static str {
    match role {
        ResolverRole::System => "what this machine uses",
        ResolverRole::Configured => "DNS server this machine is configured with",
        ResolverRole::Custom => "DNS server given on the command line",
        ResolverRole::AzureDns => "Azure DNS (the reference answer)",
        ResolverRole::Doh => "DNS over HTTPS (what a browser may use)",
        ResolverRole::BrowserDoh => "this browser's DNS over HTTPS",
    }
}

/// The one-line header: version, workspace, counts, duration.
pub(crate) fn header_line(report: &Report) -> String {
    let mut parts = vec![format!("pe-doctor {}", report.tool.version)];
    parts.extend(header_facts(report));
    parts.join(" · ")
}

/// The header's facts without the version: workspace, counts, duration.
pub(crate) fn header_facts(report: &Report) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(w) = &report.workspace {
        parts.push(format!(
            "workspace {} ({})",
            text::shorten(&w.id, 40),
            w.region
        ));
    }
    parts.push(plural(shown_targets(report).len(), "name"));
    parts.push(plural(report.resolvers.len(), "resolver"));
    parts.push(format!("{:.1} s", report.duration_ms as f64 / 1000.0));
    parts
}

/// An RFC 3339 UTC time as `2026-11-28 09:03 UTC`; anything else unchanged.
pub(crate) fn short_time(rfc3339: &str) -> String {
    let b = rfc3339.as_bytes();
    let shaped = b.len() >= 17
        && rfc3339.ends_with('Z')
        && b[10] == b'T'
        && b[..10].iter().all(|c| c.is_ascii_digit() || *c == b'-')
        && b[11..16].iter().all(|c| c.is_ascii_digit() || *c == b':');
    if shaped {
        format!("{} {} UTC", &rfc3339[..10], &rfc3339[11..16])
    } else {
        rfc3339.to_string()
    }
}

/// The tally line: private answers and findings per severity.
pub(crate) fn tally_line(report: &Report) -> String {
    let count = |sev: Severity| report.findings.iter().filter(|f| f.severity == sev).count();
    // The answers the tables show (folded alternative spellings are not counted).
    let names: std::collections::HashSet<&str> = shown_targets(report)
        .iter()
        .map(|t| t.fqdn.as_str())
        .collect();
    let shown: Vec<&Resolution> = report
        .resolutions
        .iter()
        .filter(|r| names.contains(&r.fqdn.as_str()))
        .collect();
    let good = shown
        .iter()
        .filter(|r| r.status == DnsStatus::Ok && r.class == AddrClass::Private)
        .count();
    format!(
        "{good} of {} answers were private addresses · {} · {} · {}",
        shown.len(),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "note"),
    )
}

/// `1 name`, `3 names`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first sentence of a paragraph (a full stop followed by a space and a capital letter
/// ends it); the whole paragraph when it has one sentence.
pub(crate) fn first_sentence(text: &str) -> &str {
    for (i, _) in text.match_indices(". ") {
        if text[i + 2..].chars().next().is_some_and(char::is_uppercase) {
            return &text[..=i];
        }
    }
    text
}

/// Splits text on backticks into (is_code, segment) runs when the backticks pair up; otherwise
/// one plain run. Finding wording marks commands and zone names with backticks.
pub(crate) fn code_runs(text: &str) -> Vec<(bool, &str)> {
    let ticks = text.matches('`').count();
    if ticks == 0 || ticks % 2 == 1 {
        return vec![(false, text)];
    }
    text.split('`')
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| (i % 2 == 1, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_from_flags_and_settings_files() {
        use clap::ValueEnum;
        #[derive(serde::Deserialize)]
        struct File {
            format: Format,
        }
        for (word, format) in [
            ("text", Format::Text),
            ("json", Format::Json),
            ("markdown", Format::Markdown),
            ("md", Format::Markdown),
            ("html", Format::Html),
        ] {
            assert_eq!(Format::from_str(word, false).unwrap(), format);
            let f: File = toml::from_str(&format!("format = \"{word}\"")).unwrap();
            assert_eq!(f.format, format);
        }
        assert!(toml::from_str::<File>("format = \"pdf\"").is_err());
    }

    #[test]
    fn first_sentence_and_short_time() {
        assert_eq!(first_sentence("One, e.g. `x`. Two."), "One, e.g. `x`.");
        assert_eq!(first_sentence("Only 10.0.0.4. fine"), "Only 10.0.0.4. fine");
        assert_eq!(
            short_time("2026-11-28T09:03:28.581855781Z"),
            "2026-11-28 09:03 UTC"
        );
        assert_eq!(short_time("yesterday"), "yesterday");
        assert_eq!(
            code_runs("a `b` c"),
            vec![(false, "a "), (true, "b"), (false, " c")]
        );
        assert_eq!(code_runs("a ` c"), vec![(false, "a ` c")]);
    }
}
