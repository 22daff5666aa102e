//! Text renderer: the answer first (verdict, then each finding with its fix), the evidence after
//! (a name × resolver matrix that shows where answers diverge). Symbols and words carry the
//! meaning; colour only reinforces it.

use super::model::{Report, Verdict};
use crate::findings::{Finding, Severity};
use crate::model::AddrClass;
use crate::model::DnsStatus;
use crate::model::Resolution;
use std::io::{self, Write};

/// Width when none is given (not a terminal, no `COLUMNS`).
pub const DEFAULT_WIDTH: usize = 80;

#[derive(Clone, Copy)]
struct Style {
    color: bool,
    width: usize,
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
        if label.get(i..i + 36).is_some_and(is_guid) {
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

/// Code kept line by line; a `//` comment too long for `width` continues as comments, so what
/// is copied still runs.
fn code_lines(code: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        match trimmed.strip_prefix("//") {
            Some(comment) if line.chars().count() > width => {
                let indent = &line[..line.len() - trimmed.len()];
                let room = width.saturating_sub(indent.len() + 3).max(10);
                for part in wrap(comment, room) {
                    out.push(format!("{indent}// {part}"));
                }
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// Columns a line takes on screen: characters, not counting ANSI colour sequences.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// Splits one rendered line (colour sequences allowed) into lines of at most `width` columns:
/// on spaces where possible, inside a word only when the word alone is too long. Continuation
/// lines are indented under the line's own indentation plus four.
pub(crate) fn fit(line: &str, width: usize) -> Vec<String> {
    if visible_len(line) <= width {
        return vec![line.to_string()];
    }
    let lead = line.len() - line.trim_start_matches(' ').len();
    let cont = " ".repeat((lead + 4).min(width / 2));
    let mut out = Vec::new();
    let mut cur = " ".repeat(lead);
    let mut cur_len = lead;
    let mut fresh = true;
    for word in line[lead..].split(' ') {
        let wlen = visible_len(word);
        let sep = usize::from(!fresh);
        if !fresh && cur_len + sep + wlen > width {
            out.push(std::mem::take(&mut cur));
            cur = cont.clone();
            cur_len = cont.len();
            fresh = true;
        }
        if !fresh {
            cur.push(' ');
            cur_len += 1;
        }
        // A word longer than the room left is cut into pieces.
        let mut piece = String::new();
        let mut in_escape = false;
        for c in word.chars() {
            if c == '\x1b' {
                in_escape = true;
            }
            if !in_escape && cur_len >= width {
                cur.push_str(&piece);
                piece.clear();
                out.push(std::mem::take(&mut cur));
                cur = cont.clone();
                cur_len = cont.len();
            }
            piece.push(c);
            if in_escape {
                in_escape = !c.is_ascii_alphabetic();
            } else {
                cur_len += 1;
            }
        }
        cur.push_str(&piece);
        fresh = false;
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
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
    let title = wrap(&f.title, style.width.saturating_sub(indent.len()).max(20));
    for (i, l) in title.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{painted}  {}", style.bold(l))?;
        } else {
            writeln!(out, "{indent}{}", style.bold(l))?;
        }
    }
    for l in wrap(&f.detail, style.width.saturating_sub(indent.len()).max(20)) {
        writeln!(out, "{indent}{l}")?;
    }
    writeln!(out)?;
    let label = "  Fix:  ";
    let pad = " ".repeat(label.len() + 3);
    let mut n = 0;
    for step in &f.remediation {
        // A step of several lines is code to copy: its lines stay lines.
        if step.contains('\n') {
            for l in code_lines(step, style.width.saturating_sub(pad.len()).max(20)) {
                writeln!(out, "{pad}{l}")?;
            }
            continue;
        }
        n += 1;
        let lines = wrap(step, style.width.saturating_sub(pad.len()).max(20));
        for (j, l) in lines.iter().enumerate() {
            match (n, j) {
                (1, 0) => writeln!(out, "{label}{n}. {l}")?,
                (_, 0) => writeln!(out, "{}{n}. {l}", " ".repeat(label.len()))?,
                _ => writeln!(out, "{pad}{l}")?,
            }
        }
    }
    // Code is printed verbatim, one line each, so it can be copied as it stands.
    // Long `//` comments continue as comments; the code is indented little to leave room.
    if let Some(code) = &f.snippet {
        writeln!(out)?;
        let indent = "    ";
        for l in code_lines(code, style.width.saturating_sub(indent.len()).max(20)) {
            let l: String = l.chars().filter(|c| !c.is_control()).collect();
            writeln!(out, "{indent}{l}")?;
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
        for (j, l) in wrap(e, style.width.saturating_sub(14).max(20))
            .iter()
            .enumerate()
        {
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

/// Renders the text report, [`DEFAULT_WIDTH`] columns wide.
pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    render_width(report, color, DEFAULT_WIDTH, out)
}

/// Renders the text report so that no line is wider than `width` columns: prose wraps on
/// words (continuation lines indented), the name × resolver table splits into column groups.
pub fn render_width(
    report: &Report,
    color: bool,
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut safe = super::sanitize::report(report);
    // Code steps (the PAC fix) keep their line breaks; each line is sanitised.
    for (f, original) in safe.findings.iter_mut().zip(&report.findings) {
        f.remediation = original
            .remediation
            .iter()
            .map(|step| super::sanitize::sanitize_lines(step).into_owned())
            .collect();
    }
    let report = &safe;
    let width = width.max(20);
    let mut buf = Vec::new();
    render_lines(report, Style { color, width }, &mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    for line in text.lines() {
        for l in fit(line, width) {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

fn render_lines(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", super::header_line(report))?;
    for d in &report.derived_from {
        writeln!(
            out,
            "  {} {}",
            style.dim("derived from:"),
            shorten_guids(&d.line())
        )?;
        for note in &d.notes {
            writeln!(out, "  {} {note}", style.dim("note:"))?;
        }
    }
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
    // Resolver columns in groups that fit the width, each group a table of its own.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut used = name_w;
    for (c, w) in widths.iter().enumerate() {
        let need = 2 + w;
        match groups.last_mut() {
            Some(g) if used + need <= style.width => g.push(c),
            _ => {
                groups.push(vec![c]);
                used = name_w;
            }
        }
        used += need;
    }
    if groups.is_empty() {
        groups.push(Vec::new());
    }
    for (g, group) in groups.iter().enumerate() {
        if g > 0 {
            writeln!(out)?;
        }
        table(&names, name_w, &cols, &widths, &cells, group, style, out)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn table(
    names: &[String],
    name_w: usize,
    cols: &[&str],
    widths: &[usize],
    cells: &[Vec<(String, CellKind)>],
    group: &[usize],
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut head = format!("{:<name_w$}", "NAME");
    for &c in group {
        head.push_str(&format!("  {:<w$}", cols[c], w = widths[c]));
    }
    writeln!(out, "{}", style.bold(head.trim_end()))?;
    for (i, row) in cells.iter().enumerate() {
        let mut line = format!("{:<name_w$}", names[i]);
        for &c in group {
            let Some((text, kind)) = row.get(c) else {
                continue;
            };
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
        // Multi-byte characters within 36 bytes of a position are no GUID and no panic.
        assert_eq!(
            shorten_guids("x ← 7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69/?…"),
            "x ← 7c2e…5a69/?…"
        );
        let s = shorten(
            "a-very-long-label-that-goes-on.and-on-and-on.example.com",
            20,
        );
        assert_eq!(s.chars().count(), 20);
        assert!(s.contains('…'));
    }

    #[test]
    fn fit_keeps_every_line_within_the_width() {
        let long = format!(
            "  note: {} and {}",
            "word ".repeat(30).trim_end(),
            "x".repeat(130)
        );
        for width in [40, 80, 100] {
            let lines = fit(&long, width);
            assert!(lines.len() > 1);
            for l in &lines {
                assert!(visible_len(l) <= width, "{width}: {l:?}");
            }
            // Nothing is lost: the words read the same.
            let joined: String = lines.join(" ");
            assert_eq!(
                joined.split_whitespace().collect::<String>(),
                long.split_whitespace().collect::<String>()
            );
            assert!(lines[1].starts_with("      "), "continuation indented");
        }
        // Colour sequences take no room and are not cut.
        let painted = format!("\x1b[1;31m{}\x1b[0m", "abc ".repeat(30));
        for l in fit(&painted, 40) {
            assert!(visible_len(&l) <= 40);
        }
        assert_eq!(visible_len("\x1b[32m✓ ok\x1b[0m"), 4);
        assert_eq!(fit("short", 80), vec!["short"]);
    }

    #[test]
    fn code_steps_keep_their_lines_and_comments_stay_comments() {
        let code = "// At the top of FindProxyForURL: the workspace's private-endpoint names go DIRECT.\nif (dnsDomainIs(host, \".api.azureml.ms\"))\n    return \"DIRECT\";";
        let lines = code_lines(code, 60);
        assert!(lines.len() == 4, "{lines:?}");
        assert!(lines[..2].iter().all(|l| l.starts_with("// ")));
        assert_eq!(lines[2], "if (dnsDomainIs(host, \".api.azureml.ms\"))");
        assert_eq!(lines[3], "    return \"DIRECT\";");
        assert!(lines.iter().all(|l| l.chars().count() <= 60));
    }

    /// The PAC fix as printed, narrow, is copied into a PAC file and run: the workspace's names
    /// go DIRECT, others keep the proxy.
    #[tokio::test]
    async fn printed_pac_fix_runs() {
        let run = crate::lab::scenarios::setup("pac-sends-to-proxy", &Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let report = run.diagnose().await;
        let mut buf = Vec::new();
        render_width(&report, false, 60, &mut buf).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&buf);
        let code: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("//"))
            .take_while(|l| !l.trim_start().starts_with("Article:"))
            .collect();
        assert!(code.len() > 3, "{text}");
        assert!(code.iter().all(|l| l.chars().count() <= 60));
        let pac = format!(
            "function FindProxyForURL(url, host) {{\n{}\n  return \"PROXY proxy.example:3128\";\n}}\n",
            code.join("\n")
        );
        let script = pac::PacScript::compile(&pac, pac::PacOptions::default())
            .unwrap_or_else(|e| panic!("{e}\n{pac}"));
        for t in &report.targets {
            let r = script
                .find_proxy(&format!("https://{}/", t.fqdn), &t.fqdn)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.raw, "DIRECT", "{}", t.fqdn);
        }
        let r = script
            .find_proxy("https://www.example.com/", "www.example.com")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.raw, "PROXY proxy.example:3128");
    }

    #[test]
    fn wraps_on_words() {
        let w = wrap("one two three four five", 9);
        assert_eq!(w, vec!["one two", "three", "four five"]);
    }
}
