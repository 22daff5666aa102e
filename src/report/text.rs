//! Text renderer: the answer first (verdict, then each finding with its fix), the evidence after
//! (a name × resolver matrix that shows where answers diverge). Symbols and words carry the
//! meaning; colour only reinforces it.

use super::model::{Report, Verdict};
use crate::findings::{Finding, Severity};
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::Resolution;
use std::io::{self, Write};

const WIDTH: usize = 100;

#[derive(Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

/// Shortens GUIDs in a name to `7c2e…5a69`, then the middle of what is still too long.
pub fn shorten(name: &str, max: usize) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, label) in name.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&shorten_guids(label));
    }
    let chars: Vec<char> = out.chars().collect();
    if chars.len() <= max || max < 5 {
        return out;
    }
    let keep = max - 1;
    let head = keep / 2;
    let tail = keep - head;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[chars.len() - tail..]);
    s
}

fn shorten_guids(label: &str) -> String {
    let bytes = label.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if i + 36 <= bytes.len() && is_guid(&label[i..i + 36]) {
            out.push_str(&label[i..i + 4]);
            out.push('…');
            out.push_str(&label[i + 32..i + 36]);
            i += 36;
        } else {
            let ch = label[i..].chars().next().unwrap_or('?');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn cell(r: &Resolution) -> (String, CellKind) {
    match r.status {
        DnsStatus::Ok if r.addresses.is_empty() => ("no address".into(), CellKind::Bad),
        DnsStatus::Ok => {
            let first = r
                .addresses
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            let more = if r.addresses.len() > 1 {
                format!(" +{}", r.addresses.len() - 1)
            } else {
                String::new()
            };
            match r.class {
                AddrClass::Private => (format!("{first}{more}"), CellKind::Good),
                _ => (format!("{first}{more} ✗"), CellKind::Bad),
            }
        }
        DnsStatus::Nxdomain => ("NXDOMAIN ✗".into(), CellKind::Bad),
        DnsStatus::Timeout => ("timeout".into(), CellKind::Quiet),
        other => (other.as_str().to_uppercase(), CellKind::Warn),
    }
}

#[derive(Clone, Copy)]
enum CellKind {
    Good,
    Bad,
    Warn,
    Quiet,
}

fn finding_block(f: &Finding, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let (tag, painted) = match f.severity {
        Severity::Error => ("✗ PROBLEM", style.red("✗ PROBLEM")),
        Severity::Warning => ("! WARNING", style.yellow("! WARNING")),
        Severity::Info => ("i NOTE   ", style.dim("i NOTE   ")),
    };
    let indent = " ".repeat(tag.chars().count() + 2);
    let title = wrap(&f.title, WIDTH - indent.len());
    for (i, l) in title.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{painted}  {}", style.bold(l))?;
        } else {
            writeln!(out, "{indent}{}", style.bold(l))?;
        }
    }
    for l in wrap(&f.detail, WIDTH - indent.len()) {
        writeln!(out, "{indent}{l}")?;
    }
    writeln!(out)?;
    let label = "  Fix:  ";
    let pad = " ".repeat(label.len() + 3);
    for (i, step) in f.remediation.iter().enumerate() {
        let lines = wrap(step, WIDTH - pad.len());
        for (j, l) in lines.iter().enumerate() {
            match (i, j) {
                (0, 0) => writeln!(out, "{label}{}. {l}", i + 1)?,
                (_, 0) => writeln!(out, "{}{}. {l}", " ".repeat(label.len()), i + 1)?,
                _ => writeln!(out, "{pad}{l}")?,
            }
        }
    }
    // Code is printed verbatim, one line each, so it can be copied as it stands.
    if let Some(code) = &f.snippet {
        writeln!(out)?;
        for l in code.lines() {
            let l: String = l.chars().filter(|c| !c.is_control()).collect();
            writeln!(out, "{pad}{l}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "  {} \"{}\" · {}",
        style.dim("Article:"),
        f.section.title(),
        style.dim(f.id.as_str())
    )?;
    let shown = f.evidence.iter().take(4);
    for e in shown {
        for (j, l) in wrap(e, WIDTH - 14).iter().enumerate() {
            if j == 0 {
                writeln!(out, "  {} {l}", style.dim("Evidence:"))?;
            } else {
                writeln!(out, "            {l}")?;
            }
        }
    }
    if f.evidence.len() > 4 {
        writeln!(
            out,
            "            … and {} more (see --format json)",
            f.evidence.len() - 4
        )?;
    }
    writeln!(out)
}

/// Renders the text report.
pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let report = &super::sanitize::report(report);
    let style = Style { color };
    writeln!(out, "{}", super::header_line(report))?;
    writeln!(out)?;
    match report.verdict {
        Verdict::Healthy if report.findings.iter().all(|f| f.severity == Severity::Info) => {
            writeln!(
                out,
                "{}  Every name resolves to a private address through the resolvers this machine uses.",
                style.green("✓ HEALTHY")
            )?;
            writeln!(out)?;
        }
        Verdict::Inconclusive => {
            writeln!(
                out,
                "{}  No DNS server answered: pe-doctor cannot tell what is wrong. Check that the \
                 network (and VPN) is up, then run it again.",
                style.yellow("? INCONCLUSIVE")
            )?;
            writeln!(out)?;
        }
        _ => {}
    }
    // With more than one finding, a one-line-each summary comes first, so the whole answer
    // fits on the first screen; the details follow.
    if report.findings.len() > 1 {
        writeln!(
            out,
            "{}",
            style.bold(&format!("{} findings:", report.findings.len()))
        )?;
        for f in &report.findings {
            let tag = match f.severity {
                Severity::Error => style.red("✗"),
                Severity::Warning => style.yellow("!"),
                Severity::Info => style.dim("i"),
            };
            writeln!(out, "  {tag} {}", f.title)?;
        }
        writeln!(out)?;
    }
    for f in &report.findings {
        finding_block(f, style, out)?;
    }
    matrix(report, style, out)?;
    paths(report, style, out)?;
    writeln!(out)?;
    writeln!(out, "{}", super::tally_line(report))?;
    for route in &report.host.dns_routes {
        writeln!(out, "  {} {route}", style.dim("DNS routing:"))?;
    }
    for note in &report.host.notes {
        writeln!(out, "  {} {note}", style.dim("note:"))?;
    }
    writeln!(
        out,
        "  {}",
        style.dim("Full evidence: add --format json --output report.json (or send this output).")
    )
}

/// One line per connection attempt: the route, why, and how far it got.
fn paths(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<&str> = super::shown_targets(report)
        .iter()
        .map(|t| t.fqdn.as_str())
        .collect();
    let shown: Vec<_> = report
        .connections
        .iter()
        .filter(|c| !c.guarded() && names.contains(&c.fqdn.as_str()))
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.bold("PATH (how traffic for each name leaves this machine)")
    )?;
    let name_w = shown
        .iter()
        .map(|c| shorten(&c.fqdn, 64).chars().count())
        .max()
        .unwrap_or(4);
    for c in shown {
        let sum = super::connection_summary(c);
        let mark = if sum.ok {
            style.green("✓")
        } else {
            style.red("✗")
        };
        writeln!(
            out,
            "{:<name_w$}  {mark} {} · {}",
            shorten(&c.fqdn, 64),
            sum.route,
            sum.steps.join(" · ")
        )?;
    }
    Ok(())
}

fn matrix(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    const NAME_MAX: usize = 64;
    let targets = super::shown_targets(report);
    let names: Vec<String> = targets.iter().map(|t| shorten(&t.fqdn, NAME_MAX)).collect();
    let name_w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let cols: Vec<&str> = report.resolvers.iter().map(|r| r.label.as_str()).collect();
    let mut cells: Vec<Vec<(String, CellKind)>> = Vec::new();
    for t in &targets {
        let row = report
            .resolvers
            .iter()
            .map(|r| {
                report
                    .resolutions
                    .iter()
                    .find(|x| x.fqdn == t.fqdn && x.resolver.label == r.label)
                    .map_or_else(
                        || ("-".to_string(), CellKind::Quiet),
                        |x| {
                            let (text, kind) = cell(x);
                            if matches!(kind, CellKind::Good)
                                && x.addresses
                                    .iter()
                                    .any(|a| super::wrong_private(report, &x.fqdn, *a))
                            {
                                (format!("{text} ✗"), CellKind::Bad)
                            } else {
                                (text, kind)
                            }
                        },
                    )
            })
            .collect();
        cells.push(row);
    }
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(c, h)| {
            cells
                .iter()
                .map(|row| row.get(c).map_or(0, |x| x.0.chars().count()))
                .max()
                .unwrap_or(0)
                .max(h.chars().count())
        })
        .collect();
    let mut head = format!("{:<name_w$}", "NAME");
    for (c, h) in cols.iter().enumerate() {
        head.push_str(&format!("  {:<w$}", h, w = widths[c]));
    }
    writeln!(out, "{}", style.bold(head.trim_end()))?;
    for (i, row) in cells.iter().enumerate() {
        let mut line = format!("{:<name_w$}", names[i]);
        for (c, (text, kind)) in row.iter().enumerate() {
            let padded = format!("{:<w$}", text, w = widths[c]);
            let painted = match kind {
                CellKind::Good => style.green(&padded),
                CellKind::Bad => style.red(&padded),
                CellKind::Warn => style.yellow(&padded),
                CellKind::Quiet => style.dim(&padded),
            };
            line.push_str("  ");
            line.push_str(&painted);
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_guids_and_long_names() {
        assert_eq!(
            shorten(
                "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.eastus2.api.azureml.ms",
                80
            ),
            "7c2e…5a69.workspace.eastus2.api.azureml.ms"
        );
        let s = shorten(
            "a-very-long-label-that-goes-on.and-on-and-on.example.com",
            20,
        );
        assert_eq!(s.chars().count(), 20);
        assert!(s.contains('…'));
    }

    #[test]
    fn wraps_on_words() {
        let w = wrap("one two three four five", 9);
        assert_eq!(w, vec!["one two", "three", "four five"]);
    }
}
