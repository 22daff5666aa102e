//! Markdown renderer, for a ticket or a chat message: the verdict first, then each finding with
//! its numbered fix, then the name × resolver table, then the details. Every model string is
//! escaped so that a hostile name or error message cannot inject markup, links or HTML.

use super::model::Report;
use super::text::shorten;
use super::{Banner, Cell, code_runs, first_sentence, header_line, lookup, short_time, tally_line};
use crate::findings::{Finding, Severity};
use std::io::{self, Write};

/// Longest name shown in the table (GUIDs are shortened first, then the middle).
const NAME_MAX: usize = 64;

/// Writes the Markdown report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let report = &super::sanitize::report(report);
    let banner = Banner::of(report);
    writeln!(out, "# pe-doctor report")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} · started {}",
        text(&header_line(report)),
        text(&short_time(&report.started_at))
    )?;
    writeln!(out)?;
    for d in &report.derived_from {
        writeln!(out, "- Derived from: {}", text(&d.line()))?;
        for note in &d.notes {
            writeln!(out, "  - Note: {}", text(note))?;
        }
    }
    if !report.derived_from.is_empty() {
        writeln!(out)?;
    }
    verdict(report, banner, out)?;
    if !report.findings.is_empty() {
        writeln!(out, "## Findings")?;
        writeln!(out)?;
        for (i, f) in report.findings.iter().enumerate() {
            finding(i + 1, f, out)?;
        }
    }
    matrix(report, out)?;
    details(report, out)
}

fn verdict(report: &Report, banner: Banner, out: &mut dyn Write) -> io::Result<()> {
    match banner.top(report) {
        Some(f) => {
            writeln!(out, "## {}: {}", banner.tag(), text(&f.title))?;
            writeln!(out)?;
            writeln!(out, "{}", rich(first_sentence(&f.detail)))?;
            writeln!(out)?;
            let others = report.findings.len() - 1;
            if others > 0 {
                writeln!(
                    out,
                    "The fix is under finding 1 below; {} more {} follow{}.",
                    others,
                    if others == 1 { "finding" } else { "findings" },
                    if others == 1 { "s" } else { "" }
                )?;
            } else {
                writeln!(out, "The fix is under finding 1 below.")?;
            }
        }
        None => {
            writeln!(out, "## {}: {}", banner.tag(), banner.default_headline())?;
            let steps = banner.default_steps();
            if !steps.is_empty() {
                writeln!(out)?;
                for (i, s) in steps.iter().enumerate() {
                    writeln!(out, "{}. {s}", i + 1)?;
                }
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", text(&tally_line(report)))?;
    writeln!(out)
}

fn severity_tag(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✗ PROBLEM",
        Severity::Warning => "! WARNING",
        Severity::Info => "i NOTE",
    }
}

fn finding(n: usize, f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "### {n}. {} — {}",
        severity_tag(f.severity),
        text(&f.title)
    )?;
    writeln!(out)?;
    writeln!(out, "{}", rich(&f.detail))?;
    writeln!(out)?;
    if !f.remediation.is_empty() {
        writeln!(out, "**Fix**")?;
        writeln!(out)?;
        for (i, step) in f.remediation.iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, rich(step))?;
        }
        writeln!(out)?;
    }
    if let Some(code) = &f.snippet {
        writeln!(out, "{}", fenced(code))?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "**Article section:** \"{}\" · id `{}`",
        text(f.section.title()),
        f.id
    )?;
    writeln!(out)?;
    if !f.evidence.is_empty() {
        writeln!(out, "**Evidence**")?;
        writeln!(out)?;
        for e in &f.evidence {
            writeln!(out, "- {}", rich(e))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn matrix(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.targets.is_empty() {
        return Ok(());
    }
    writeln!(out, "## DNS answers (name × resolver)")?;
    writeln!(out)?;
    writeln!(
        out,
        "✓ private address (correct for a private endpoint) · ✗ public address, no address or \
         NXDOMAIN · ! the resolver failed · ? no answer"
    )?;
    writeln!(out)?;
    let mut head = vec!["Name".to_string()];
    head.extend(report.resolvers.iter().map(|r| cell(&r.label)));
    table_row(&head, out)?;
    table_row(&vec!["---".to_string(); head.len()], out)?;
    for t in super::shown_targets(report) {
        let mut row = vec![name_cell(&shorten(&t.fqdn, NAME_MAX))];
        for r in &report.resolvers {
            let answer = lookup(report, &t.fqdn, &r.label)
                .map_or_else(Cell::missing, |x| super::judged_cell(report, x));
            row.push(cell(&answer.plain()));
        }
        table_row(&row, out)?;
    }
    writeln!(out)
}

fn details(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Details")?;
    writeln!(out)?;
    if !report.resolvers.is_empty() {
        writeln!(out, "### Resolvers")?;
        writeln!(out)?;
        table_row(
            &["Label", "Role", "Transport", "Address", "Source"].map(String::from),
            out,
        )?;
        table_row(&vec!["---".to_string(); 5], out)?;
        for r in &report.resolvers {
            table_row(
                &[
                    cell(&r.label),
                    cell(&enum_word(&r.role)),
                    cell(&enum_word(&r.transport)),
                    cell(&r.address),
                    r.source.as_deref().map_or_else(|| "—".into(), cell),
                ],
                out,
            )?;
        }
        writeln!(out)?;
    }
    writeln!(out, "### This machine")?;
    writeln!(out)?;
    let h = &report.host;
    writeln!(out, "- Operating system: {}", text(&h.os))?;
    writeln!(out, "- Azure VM: {}", if h.azure_vm { "yes" } else { "no" })?;
    writeln!(out, "- DNS servers: {}", list(&h.dns_servers))?;
    if !h.search_domains.is_empty() {
        writeln!(out, "- Search domains: {}", list(&h.search_domains))?;
    }
    for i in &h.interfaces {
        let addrs: Vec<String> = i.addresses.iter().map(ToString::to_string).collect();
        writeln!(
            out,
            "- Interface {}{}: {}",
            text(&i.name),
            if i.vpn_like { " (VPN)" } else { "" },
            list(&addrs)
        )?;
    }
    for note in &h.notes {
        writeln!(out, "- Note: {}", rich(note))?;
    }
    if let Some(w) = &report.workspace {
        writeln!(
            out,
            "- Workspace: {}{} · region {} · cloud {}",
            text(&w.id),
            w.name
                .as_deref()
                .map(|n| format!(" ({})", text(n)))
                .unwrap_or_default(),
            text(&w.region),
            text(&w.cloud)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Full evidence (CNAME chains, timings): run again with `--format json` or `--format html`."
    )
}

/// The serialised (kebab-case) name of a unit enum variant, e.g. `azure-dns`.
fn enum_word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.iter().map(|s| text(s)).collect::<Vec<_>>().join(", ")
    }
}

fn table_row(cells: &[String], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| {} |", cells.join(" | "))
}

/// A name in a table cell: a code span when that is safe, escaped text otherwise.
fn name_cell(name: &str) -> String {
    if name
        .chars()
        .all(|c| c != '`' && c != '|' && !c.is_control())
        && !name.is_empty()
    {
        format!("`{name}`")
    } else {
        cell(name)
    }
}

/// Escapes model text for a table cell (block starts do not matter there; pipes do).
fn cell(s: &str) -> String {
    escape(s, false)
}

/// Model text with backtick-marked commands rendered as code spans, the rest escaped.
fn rich(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, (code, seg)) in code_runs(s).into_iter().enumerate() {
        if code {
            let seg: String = seg
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            out.push('`');
            out.push_str(&seg);
            out.push('`');
        } else if i == 0 {
            out.push_str(&text(seg));
        } else {
            out.push_str(&escape(seg, false));
        }
    }
    out
}

/// `code` in a fence longer than any backtick run inside it, control characters dropped.
pub fn fenced(code: &str) -> String {
    let clean: String = code
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}\n{clean}\n{fence}")
}

/// Escapes model text for Markdown at the start of a line: one line, no markup, no HTML, no
/// block start (heading, list, quote).
pub fn text(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, at_line_start: bool) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' if chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#') =>
            {
                out.push_str("&amp;")
            }
            // Without a `<` no tag can form: `>` only matters where it starts a block quote.
            '#' | '-' | '+' | '=' | '>' if at_line_start && i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')'
                if at_line_start
                    && i > 0
                    && chars[..i].iter().all(char::is_ascii_digit)
                    && chars.get(i + 1).is_none_or(|n| *n == ' ') =>
            {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::scenarios::{self, LabOptions};

    async fn lab_report(name: &str) -> Report {
        let run = scenarios::setup(name, &LabOptions::default())
            .await
            .unwrap();
        run.diagnose().await
    }

    fn render_string(report: &Report) -> String {
        let mut buf = Vec::new();
        render(report, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// Splits a table row into cells on pipes that are not escaped.
    fn cells(line: &str) -> usize {
        let mut n = 0;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '|' && prev != '\\' {
                n += 1;
            }
            prev = c;
        }
        n
    }

    fn assert_tables_consistent(md: &str) -> usize {
        let mut tables = 0;
        let mut width = None;
        for line in md.lines() {
            if line.starts_with('|') {
                let n = cells(line);
                match width {
                    None => {
                        tables += 1;
                        width = Some(n);
                    }
                    Some(w) => assert_eq!(n, w, "ragged table row: {line}"),
                }
            } else {
                width = None;
            }
        }
        tables
    }

    #[tokio::test]
    async fn doh_leak_reads_answer_first() {
        let report = lab_report("doh-leak").await;
        let md = render_string(&report);
        let verdict = md
            .find("## ✓ HEALTHY: Every name resolves to a private address")
            .unwrap();
        let note = md
            .find("### 1. i NOTE — DNS-over-HTTPS resolver doh:public answers the PUBLIC address")
            .unwrap();
        let table = md.find("## DNS answers").unwrap();
        assert!(verdict < note && note < table);
        // A note has nothing to fix.
        assert!(!md.contains("**Fix**"), "{md}");
        assert!(md.contains("**Article section:** \"Browser configuration (DNS over HTTPS)\""));
        // Names are shortened in the table, whole in the evidence.
        assert!(
            md.contains("| `7c2e…5a69.workspace.eastus2.api.azureml.ms` | ✓ 10.0.0.4 private |")
        );
        assert!(md.contains("✗ 20.41.5.7 PUBLIC |"));
        assert!(md.contains(
            "- 7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.api.azureml.ms: system said"
        ));
        assert!(
            md.contains("| doh:public | doh | doh | https://doh.public.lab.test/dns-query | — |")
        );
        // Two tables (answers, resolvers), each with as many cells in every row.
        assert_eq!(assert_tables_consistent(&md), 2);
        // Deterministic.
        assert_eq!(md, render_string(&report));
    }

    #[tokio::test]
    async fn healthy_and_problem_verdicts() {
        let md = render_string(&lab_report("healthy").await);
        assert!(md.contains("## ✓ HEALTHY: Every name resolves to a private address"));
        assert!(!md.contains("## Findings"));
        let md = render_string(&lab_report("custom-dns-no-forwarder").await);
        assert!(md.contains("## ✗ PROBLEM: DNS server corp-dns (127.0.0.1:"));
        // Backticked zone names from the finding wording stay code spans.
        assert!(md.contains("`api.azureml.ms`"));
        assert!(md.contains("3. Flush the DNS cache"), "{md}");
        assert_tables_consistent(&md);
    }

    #[tokio::test]
    async fn hostile_strings_are_escaped() {
        let mut report = lab_report("doh-leak").await;
        let hostile = "<script>alert(1)</script> | *x* [a](javascript:x) \n# h";
        report.findings[0].evidence.push(hostile.into());
        report.findings[0].title = format!("t {hostile}");
        report.resolvers[0].label = "sys|tem".into();
        report.targets[0].fqdn = "a|b`c.example".into();
        report.host.notes.push("- `unclosed".into());
        let md = render_string(&report);
        assert!(!md.contains("<script>"));
        assert!(md.contains("&lt;script>alert(1)&lt;/script> \\| \\*x\\* \\[a\\](javascript:x)"));
        assert!(!md.contains("\n# h"));
        assert!(md.contains("sys\\|tem"));
        assert!(md.contains("- Note: \\- \\`unclosed"));
        assert_tables_consistent(&md);
    }

    #[test]
    fn escapes_block_starts_only_at_line_start() {
        assert_eq!(text("# x"), "\\# x");
        assert_eq!(text("a # b - c"), "a # b - c");
        assert_eq!(text("10. x"), "10\\. x");
        assert_eq!(text("10.0.0.4"), "10.0.0.4");
        assert_eq!(
            text("Privacy & Security &amp;"),
            "Privacy & Security &amp;amp;"
        );
        assert_eq!(rich("run `a|b` then <x>"), "run `a|b` then &lt;x>");
        assert_eq!(text("> quote"), "\\> quote");
        assert_eq!(cell("--flag"), "--flag");
    }
}
