//! HTML renderer: one self-contained file (inline CSS, no external asset, works offline, light
//! and dark, printable). The first screen is the verdict banner with the top finding and its
//! fix; then the per-name path table, every finding, and the raw evidence folded away. The full
//! JSON report is embedded as `<script type="application/json" id="report">` so that a helpdesk
//! tool can read a mailed file. Every model string is HTML-escaped.

use super::model::Report;
use super::text::shorten;
use super::{
    Banner, Cell, Mark, code_runs, first_sentence, header_facts, lookup, plural, role_words,
    short_time, tally_line,
};
use crate::findings::{Finding, Severity};
use crate::model::Resolution;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Longest name shown in the path table (the full name is in the raw evidence).
const NAME_MAX: usize = 64;

const STYLE: &str = r#"
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1f;--muted:#50545c;--line:#d5d8de;--alt:#f5f6f8;--code:#eef0f3;
--bad:#a3201a;--bad-bg:#fdeceb;--warn:#7a4d00;--warn-bg:#fff3dc;--good:#17652f;--good-bg:#e6f4ea;--unk:#3f4794;--unk-bg:#eceffa;--link:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#131417;--fg:#e9eaee;--muted:#b2b6bf;--line:#3a3d45;--alt:#1b1d22;--code:#262930;
--bad:#ff9b94;--bad-bg:#3b1715;--warn:#ffcf70;--warn-bg:#382a0c;--good:#86e0a0;--good-bg:#10301c;--unk:#b5bdff;--unk-bg:#212541;--link:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
main,.top{max-width:1180px;margin:0 auto;padding:0 24px}
.top{padding-top:14px;padding-bottom:6px;color:var(--muted);font-size:.875rem}
.top strong{color:var(--fg)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
code{background:var(--code);padding:.05em .3em;border-radius:4px;overflow-wrap:anywhere}
pre.snippet{background:var(--code);padding:.6em .8em;border-radius:6px;overflow-x:auto}
pre.snippet code{background:none;padding:0;overflow-wrap:normal}
a{color:var(--link)}
h2{font-size:1.3rem;margin:2rem 0 .6rem}
h3{font-size:1.1rem;margin:1.4rem 0 .4rem}
.banner{border:2px solid var(--accent);border-left-width:12px;background:var(--tint);border-radius:10px;padding:18px 24px 16px;margin:8px 0 12px}
.problem{--accent:var(--bad);--tint:var(--bad-bg)}.warning{--accent:var(--warn);--tint:var(--warn-bg)}
.healthy{--accent:var(--good);--tint:var(--good-bg)}.inconclusive{--accent:var(--unk);--tint:var(--unk-bg)}
.info{--accent:var(--muted);--tint:var(--alt)}
.tag{display:inline-block;font-weight:800;letter-spacing:.06em;color:var(--bg);background:var(--accent);border-radius:999px;padding:.05em .7em;white-space:nowrap}
.banner .tag{font-size:1.05rem}
.finding .tag{font-size:.8rem;vertical-align:.12em;margin-right:.3em}
.banner h1{font-size:1.65rem;line-height:1.25;margin:.2rem 0 .45rem}
.banner .lead{font-size:1.08rem;margin:0 0 .8rem;max-width:70em}
.banner h2{font-size:1.05rem;margin:.4rem 0 .3rem;text-transform:uppercase;letter-spacing:.05em}
.banner ol{margin:0 0 .6rem;padding-left:1.6em;font-size:1.05rem}
.banner ol li{margin:.2rem 0}
.banner .more{margin:.4rem 0 0;color:var(--muted);font-size:.92rem}
.tally{color:var(--muted);margin:.2rem 0 0}
.hint{color:var(--muted);margin:.2rem 0 .6rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
thead th{background:var(--alt);font-weight:700;border-bottom:2px solid var(--line)}
thead .role{display:block;max-width:12em;font-weight:400;color:var(--muted);font-size:.8rem}
tbody th{font-weight:600}
.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem;white-space:nowrap}
.kind{display:block;font-weight:400;color:var(--muted);font-size:.8rem}
td.ans{white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem}
td.good{color:var(--good)}td.bad{color:var(--bad);background:var(--bad-bg);font-weight:700}
td.warn{color:var(--warn);background:var(--warn-bg)}td.quiet{color:var(--muted)}
.cls{font-family:system-ui,sans-serif;font-size:.78rem;margin-left:.3em}
td.bad .cls{font-weight:800}
.finding{border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:8px;padding:4px 20px 12px;margin:14px 0}
.finding h3{margin-top:.8rem}
.finding h4{margin:.8rem 0 .2rem;font-size:.95rem}
.finding .src{color:var(--muted);font-size:.9rem}
.evidence{font-size:.9rem;overflow-wrap:anywhere}
details{border:1px solid var(--line);border-radius:8px;padding:6px 14px;margin:10px 0}
summary{cursor:pointer;font-weight:700;padding:4px 0}
details h3{font-size:1rem;overflow-wrap:anywhere}
.chain{margin:0;padding-left:1.2em;font-size:.85rem}
.chain li{overflow-wrap:anywhere}
.ttl{color:var(--muted);font-size:.8rem;white-space:nowrap}
td.num{white-space:nowrap;text-align:right}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
dl.facts dt{font-weight:700}dl.facts dd{margin:0;overflow-wrap:anywhere}
footer{max-width:1180px;margin:2rem auto 1.5rem;padding:0 24px;color:var(--muted);font-size:.85rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media print{body{font-size:11pt}main,.top,footer{max-width:none;padding:0}
.banner,.finding,td.bad,td.warn{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.banner,.finding,table tr{break-inside:avoid}details{border:none;padding:0}summary{list-style:none}}
"#;

/// Opens every `<details>` before printing so that the paper copy has all the evidence.
const PRINT_SCRIPT: &str = "addEventListener(\"beforeprint\",function(){document.querySelectorAll(\"details\").forEach(function(d){d.open=true})});";

/// Writes the HTML report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let json = embedded_json(report)?;
    let mut h = String::with_capacity(64 * 1024);
    page(report, &json, &mut h).map_err(io::Error::other)?;
    out.write_all(h.as_bytes())
}

/// The report as JSON that is safe inside a `<script>` element: `<`, `>` and `&` are written as
/// `\u003c`, `\u003e`, `\u0026` (JSON string escapes; they only occur inside strings), so the
/// text can neither close the element nor open a comment, and parses back to the same JSON.
/// Control characters JSON leaves raw (C1, bidi overrides, line separators) are `\uXXXX` too.
pub fn embedded_json(report: &Report) -> io::Result<String> {
    let raw = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    let mut out = String::with_capacity(raw.len() + 64);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            // serde_json escapes the ASCII ones; the raw ASCII left is JSON's own whitespace.
            c if !c.is_ascii() && super::sanitize::is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in super::sanitize::sanitize_lines(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escaped text with backtick-marked commands and zone names as `<code>`.
fn rich(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for (code, seg) in code_runs(s) {
        if code {
            let _ = write!(out, "<code>{}</code>", esc(seg));
        } else {
            out.push_str(&esc(seg));
        }
    }
    out
}

/// An escaped DNS name that may wrap after its dots, and nowhere else.
fn breakable(name: &str) -> String {
    esc(name).replace('.', ".<wbr>")
}

fn banner_class(b: Banner) -> &'static str {
    match b {
        Banner::Problem => "problem",
        Banner::Warning => "warning",
        Banner::Healthy => "healthy",
        Banner::Inconclusive => "inconclusive",
    }
}

/// Splits `✗ PROBLEM` into the symbol (hidden from screen readers) and the word.
fn tag_html(tag: &str) -> String {
    match tag.split_once(' ') {
        Some((sym, word)) => format!("<span aria-hidden=\"true\">{sym}</span> {word}"),
        None => tag.to_string(),
    }
}

fn severity_tag(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Error => ("✗ PROBLEM", "problem"),
        Severity::Warning => ("! WARNING", "warning"),
        Severity::Info => ("i NOTE", "info"),
    }
}

fn page(report: &Report, json: &str, h: &mut String) -> std::fmt::Result {
    let banner = Banner::of(report);
    let headline = banner.top(report).map_or_else(
        || banner.default_headline().to_string(),
        |f| f.title.clone(),
    );
    writeln!(h, "<!DOCTYPE html>")?;
    writeln!(h, "<html lang=\"en\">")?;
    writeln!(h, "<head>")?;
    writeln!(h, "<meta charset=\"utf-8\">")?;
    writeln!(
        h,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(h, "<meta name=\"color-scheme\" content=\"light dark\">")?;
    writeln!(
        h,
        "<meta name=\"generator\" content=\"pe-doctor {}\">",
        esc(&report.tool.version)
    )?;
    writeln!(
        h,
        "<title>pe-doctor: {} — {}</title>",
        banner.tag(),
        esc(&headline)
    )?;
    writeln!(h, "<style>{STYLE}</style>")?;
    writeln!(h, "</head>")?;
    writeln!(h, "<body>")?;
    writeln!(
        h,
        "<header class=\"top\"><strong>pe-doctor report</strong> · {} · {}</header>",
        esc(&header_facts(report).join(" · ")),
        esc(&short_time(&report.started_at))
    )?;
    writeln!(h, "<main>")?;
    for d in &report.derived_from {
        writeln!(
            h,
            "<p class=\"derived\">Derived from: {}</p>",
            esc(&d.line())
        )?;
        for note in &d.notes {
            writeln!(h, "<p class=\"derived\">Note: {}</p>", esc(note))?;
        }
    }
    banner_section(report, banner, &headline, h)?;
    path_table(report, h)?;
    findings(report, h)?;
    raw_evidence(report, h)?;
    writeln!(h, "</main>")?;
    writeln!(
        h,
        "<footer>Written by pe-doctor {} ({}). This file is self-contained; the complete \
         machine-readable report is embedded in it as JSON (element <code>script#report</code>, \
         schema <code>{}</code>).</footer>",
        esc(&report.tool.version),
        esc(&report.started_at),
        esc(report.schema)
    )?;
    writeln!(h, "<script>{PRINT_SCRIPT}</script>")?;
    writeln!(h, "<script type=\"application/json\" id=\"report\">")?;
    writeln!(h, "{json}")?;
    writeln!(h, "</script>")?;
    writeln!(h, "</body>")?;
    writeln!(h, "</html>")
}

fn banner_section(
    report: &Report,
    banner: Banner,
    headline: &str,
    h: &mut String,
) -> std::fmt::Result {
    writeln!(
        h,
        "<section class=\"banner {}\" aria-labelledby=\"verdict\">",
        banner_class(banner)
    )?;
    writeln!(h, "<div class=\"tag\">{}</div>", tag_html(banner.tag()))?;
    writeln!(h, "<h1 id=\"verdict\">{}</h1>", esc(headline))?;
    match banner.top(report) {
        Some(f) => {
            writeln!(
                h,
                "<p class=\"lead\">{}</p>",
                rich(first_sentence(&f.detail))
            )?;
            if !f.remediation.is_empty() {
                writeln!(h, "<h2>What to do</h2>")?;
                steps(&f.remediation, h)?;
            }
            snippet(f, h)?;
            let others = report.findings.len().saturating_sub(1);
            let more = if others == 0 {
                String::new()
            } else {
                format!(" · {} below", plural(others, "more finding"))
            };
            writeln!(
                h,
                "<p class=\"more\">Troubleshooting article section: “{}”{}</p>",
                esc(f.section.title()),
                more
            )?;
        }
        None => {
            let s = banner.default_steps();
            if !s.is_empty() {
                writeln!(h, "<h2>What to do</h2>")?;
                let owned: Vec<String> = s.iter().map(|x| (*x).to_string()).collect();
                steps(&owned, h)?;
            }
        }
    }
    writeln!(h, "<p class=\"tally\">{}</p>", esc(&tally_line(report)))?;
    writeln!(h, "</section>")
}

/// The finding's code, verbatim in `<pre>`.
fn snippet(f: &Finding, h: &mut String) -> std::fmt::Result {
    match &f.snippet {
        Some(code) => writeln!(h, "<pre class=\"snippet\"><code>{}</code></pre>", esc(code)),
        None => Ok(()),
    }
}

fn steps(items: &[String], h: &mut String) -> std::fmt::Result {
    writeln!(h, "<ol>")?;
    for s in items {
        writeln!(h, "<li>{}</li>", rich(s))?;
    }
    writeln!(h, "</ol>")
}

fn mark_class(m: Mark) -> &'static str {
    match m {
        Mark::Good => "good",
        Mark::Bad => "bad",
        Mark::Warn => "warn",
        Mark::Quiet => "quiet",
    }
}

fn cell_html(c: &Cell) -> String {
    let class = if c.class.is_empty() {
        String::new()
    } else {
        format!(" <span class=\"cls\">{}</span>", c.class)
    };
    format!(
        "<td class=\"ans {}\"><span aria-hidden=\"true\">{}</span><span class=\"sr\">{}</span> {}{}</td>",
        mark_class(c.mark),
        c.mark.symbol(),
        match c.mark {
            Mark::Good => "correct:",
            Mark::Bad => "wrong:",
            Mark::Warn => "failed:",
            Mark::Quiet => "no answer:",
        },
        esc(&c.text),
        class
    )
}

/// The serialised (kebab-case) name of a unit enum variant, in words: `workspace api`.
fn enum_words<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s.replace('-', " "),
        _ => "?".into(),
    }
}

/// The per-name path table: one row per name, one column per resolver. Later stages of the path
/// (PAC/proxy, connection) get their own columns once the model carries them.
fn path_table(report: &Report, h: &mut String) -> std::fmt::Result {
    if report.targets.is_empty() {
        return Ok(());
    }
    writeln!(h, "<section aria-labelledby=\"paths\">")?;
    writeln!(
        h,
        "<h2 id=\"paths\">{}</h2>",
        if report.connections.is_empty() {
            "What each DNS server answered"
        } else {
            "What each DNS server answered, and where the traffic goes"
        }
    )?;
    writeln!(
        h,
        "<p class=\"hint\">Behind a private endpoint every name must resolve to a <strong>private</strong> \
         address (✓). A <strong>PUBLIC</strong> address, no address or NXDOMAIN (✗) leads to the 403.</p>"
    )?;
    writeln!(h, "<div class=\"scroll\"><table class=\"paths\">")?;
    writeln!(
        h,
        "<caption class=\"sr\">DNS answers per name (rows) and resolver (columns)</caption>"
    )?;
    write!(h, "<thead><tr><th scope=\"col\">Name</th>")?;
    for r in &report.resolvers {
        write!(
            h,
            "<th scope=\"col\">{}<span class=\"role\">{}</span></th>",
            esc(&r.label),
            role_words(r.role)
        )?;
    }
    let with_paths = !report.connections.is_empty();
    if with_paths {
        write!(
            h,
            "<th scope=\"col\">Path<span class=\"role\">PAC / proxy / direct</span></th>"
        )?;
        write!(
            h,
            "<th scope=\"col\">Result<span class=\"role\">TCP · TLS · HTTP</span></th>"
        )?;
    }
    writeln!(h, "</tr></thead>")?;
    writeln!(h, "<tbody>")?;
    for t in super::shown_targets(report) {
        write!(
            h,
            "<tr><th scope=\"row\"><span class=\"name\" title=\"{}\">{}</span><span class=\"kind\">{}",
            esc(&t.fqdn),
            breakable(&shorten(&t.fqdn, NAME_MAX)),
            esc(&enum_words(&t.kind))
        )?;
        if !t.expected_ips.is_empty() {
            let ips: Vec<String> = t.expected_ips.iter().map(ToString::to_string).collect();
            write!(h, " · expected {}", esc(&ips.join(", ")))?;
        }
        write!(h, "</span></th>")?;
        for r in &report.resolvers {
            let cell = lookup(report, &t.fqdn, &r.label)
                .map_or_else(Cell::missing, |x| super::judged_cell(report, x));
            write!(h, "{}", cell_html(&cell))?;
        }
        if with_paths {
            match super::primary_connection(report, &t.fqdn) {
                Some(c) => {
                    let sum = super::connection_summary(c);
                    let (class, mark, word) = if sum.ok {
                        ("good", "✓", "works:")
                    } else {
                        ("bad", "✗", "fails:")
                    };
                    write!(
                        h,
                        "<td>{}</td><td class=\"ans {class}\"><span aria-hidden=\"true\">{mark}</span><span class=\"sr\">{word}</span> {}</td>",
                        esc(&sum.route),
                        esc(&sum.steps.join(" · "))
                    )?;
                }
                None => write!(h, "<td>—</td><td>not tried</td>")?,
            }
        }
        writeln!(h, "</tr>")?;
    }
    writeln!(h, "</tbody></table></div>")?;
    writeln!(h, "</section>")
}

fn findings(report: &Report, h: &mut String) -> std::fmt::Result {
    writeln!(h, "<section aria-labelledby=\"findings\">")?;
    writeln!(
        h,
        "<h2 id=\"findings\">Findings ({})</h2>",
        report.findings.len()
    )?;
    if report.findings.is_empty() {
        writeln!(h, "<p>Nothing to fix.</p>")?;
    }
    for (i, f) in report.findings.iter().enumerate() {
        finding(i + 1, f, h)?;
    }
    writeln!(h, "</section>")
}

fn finding(n: usize, f: &Finding, h: &mut String) -> std::fmt::Result {
    let (tag, class) = severity_tag(f.severity);
    writeln!(
        h,
        "<article class=\"finding {class}\" id=\"finding-{n}\" aria-labelledby=\"finding-{n}-title\">"
    )?;
    writeln!(
        h,
        "<h3 id=\"finding-{n}-title\"><span class=\"tag\">{}</span> {}</h3>",
        tag_html(tag),
        esc(&f.title)
    )?;
    writeln!(h, "<p>{}</p>", rich(&f.detail))?;
    if !f.remediation.is_empty() {
        writeln!(h, "<h4>Fix</h4>")?;
        steps(&f.remediation, h)?;
    }
    snippet(f, h)?;
    writeln!(
        h,
        "<p class=\"src\">Troubleshooting article section: “{}” · finding <code>{}</code> · about {}</p>",
        esc(f.section.title()),
        esc(f.id.as_str()),
        esc(&f.subject)
    )?;
    if !f.evidence.is_empty() {
        writeln!(h, "<h4>Evidence</h4>")?;
        writeln!(h, "<ul class=\"evidence\">")?;
        for e in &f.evidence {
            writeln!(h, "<li>{}</li>", rich(e))?;
        }
        writeln!(h, "</ul>")?;
    }
    writeln!(h, "</article>")
}

fn raw_evidence(report: &Report, h: &mut String) -> std::fmt::Result {
    writeln!(h, "<section aria-labelledby=\"raw\">")?;
    writeln!(h, "<h2 id=\"raw\">Raw evidence</h2>")?;
    writeln!(
        h,
        "<details><summary>DNS answers with CNAME chains ({})</summary>",
        report.resolutions.len()
    )?;
    for t in &report.targets {
        writeln!(h, "<h3 class=\"mono\">{}</h3>", esc(&t.fqdn))?;
        writeln!(h, "<div class=\"scroll\"><table>")?;
        writeln!(
            h,
            "<thead><tr><th scope=\"col\">Resolver</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">Answer</th><th scope=\"col\">CNAME chain and records</th>\
             <th scope=\"col\">Time</th></tr></thead><tbody>"
        )?;
        for r in report.resolutions.iter().filter(|r| r.fqdn == t.fqdn) {
            resolution_row(r, h)?;
        }
        writeln!(h, "</tbody></table></div>")?;
    }
    writeln!(h, "</details>")?;

    writeln!(
        h,
        "<details><summary>Resolvers ({})</summary>",
        report.resolvers.len()
    )?;
    writeln!(
        h,
        "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Label</th><th scope=\"col\">Role</th>\
         <th scope=\"col\">Transport</th><th scope=\"col\">Address</th><th scope=\"col\">Named by</th>\
         </tr></thead><tbody>"
    )?;
    for r in &report.resolvers {
        writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            esc(&r.label),
            esc(&enum_words(&r.role)),
            esc(&enum_words(&r.transport)),
            esc(&r.address),
            r.source.as_deref().map_or_else(|| "—".into(), esc)
        )?;
    }
    writeln!(h, "</tbody></table></div>")?;
    writeln!(h, "</details>")?;

    let host = &report.host;
    writeln!(h, "<details><summary>This machine</summary>")?;
    writeln!(h, "<dl class=\"facts\">")?;
    writeln!(h, "<dt>Operating system</dt><dd>{}</dd>", esc(&host.os))?;
    writeln!(
        h,
        "<dt>Azure VM</dt><dd>{}</dd>",
        if host.azure_vm { "yes" } else { "no" }
    )?;
    writeln!(
        h,
        "<dt>DNS servers</dt><dd class=\"mono\">{}</dd>",
        joined(&host.dns_servers)
    )?;
    if !host.search_domains.is_empty() {
        writeln!(
            h,
            "<dt>Search domains</dt><dd class=\"mono\">{}</dd>",
            joined(&host.search_domains)
        )?;
    }
    if let Some(w) = &report.workspace {
        writeln!(
            h,
            "<dt>Workspace</dt><dd><span class=\"mono\">{}</span>{} · region {} · cloud {}</dd>",
            esc(&w.id),
            w.name
                .as_deref()
                .map(|n| format!(" ({})", esc(n)))
                .unwrap_or_default(),
            esc(&w.region),
            esc(&w.cloud)
        )?;
    }
    writeln!(h, "</dl>")?;
    if !host.interfaces.is_empty() {
        writeln!(
            h,
            "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Interface</th>\
             <th scope=\"col\">Addresses</th><th scope=\"col\">VPN-like</th></tr></thead><tbody>"
        )?;
        for i in &host.interfaces {
            let addrs: Vec<String> = i.addresses.iter().map(ToString::to_string).collect();
            writeln!(
                h,
                "<tr><th scope=\"row\">{}</th><td class=\"mono\">{}</td><td>{}</td></tr>",
                esc(&i.name),
                esc(&addrs.join(", ")),
                if i.vpn_like { "yes" } else { "no" }
            )?;
        }
        writeln!(h, "</tbody></table></div>")?;
    }
    if !host.notes.is_empty() {
        writeln!(h, "<h3>Notes</h3><ul>")?;
        for n in &host.notes {
            writeln!(h, "<li>{}</li>", rich(n))?;
        }
        writeln!(h, "</ul>")?;
    }
    writeln!(h, "</details>")?;
    writeln!(h, "</section>")
}

fn joined(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        esc(&items.join(", "))
    }
}

fn resolution_row(r: &Resolution, h: &mut String) -> std::fmt::Result {
    let cell = Cell::of(r);
    write!(
        h,
        "<tr><th scope=\"row\">{}</th><td>{}</td>{}<td>",
        esc(&r.resolver.label),
        esc(r.status.as_str()),
        cell_html(&cell)
    )?;
    if !r.chain.is_empty() {
        write!(h, "<ol class=\"chain\">")?;
        for c in &r.chain {
            write!(
                h,
                "<li><code>{}</code> <strong>{}</strong> <code>{}</code> <span class=\"ttl\">TTL {}</span></li>",
                esc(&c.name),
                esc(&c.rtype),
                esc(&c.data),
                c.ttl
            )?;
        }
        write!(h, "</ol>")?;
    }
    if let Some(e) = &r.error {
        write!(h, "<p>{}</p>", esc(e))?;
    }
    writeln!(h, "</td><td class=\"num\">{} ms</td></tr>", r.elapsed_ms)
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

    /// The text between `<script type="application/json" id="report">` and its `</script>`.
    fn embedded(html: &str) -> &str {
        let open = "<script type=\"application/json\" id=\"report\">";
        let start = html.find(open).unwrap() + open.len();
        let end = start + html[start..].find("</script>").unwrap();
        &html[start..end]
    }

    #[tokio::test]
    async fn doh_leak_first_screen_then_evidence() {
        let report = lab_report("doh-leak").await;
        let html = render_string(&report);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.trim_end().ends_with("</html>"));
        // A public DoH resolver nothing here uses is a note: the machine is healthy.
        let banner = html.find("<section class=\"banner healthy\"").unwrap();
        let tag = html
            .find("<span aria-hidden=\"true\">✓</span> HEALTHY")
            .unwrap();
        let title = html
            .find("<h1 id=\"verdict\">Every name resolves to a private address")
            .unwrap();
        assert!(!html.contains("<h2>What to do</h2>"), "nothing to fix");
        let table = html.find("<h2 id=\"paths\">").unwrap();
        let findings = html.find("<h2 id=\"findings\">Findings (1)</h2>").unwrap();
        let raw = html.find("<h2 id=\"raw\">").unwrap();
        assert!(banner < tag && tag < title && title < table);
        assert!(table < findings && findings < raw);
        assert!(html[findings..raw].contains("<span aria-hidden=\"true\">i</span> NOTE"));
        // The path table: one row per name, ✓/✗ with the words.
        assert!(html.contains(
            "<td class=\"ans bad\"><span aria-hidden=\"true\">✗</span><span class=\"sr\">wrong:</span> 20.41.5.7 <span class=\"cls\">PUBLIC</span></td>"
        ));
        assert!(html.contains("<span class=\"cls\">private</span>"));
        assert_eq!(
            html[table..findings]
                .matches("<tr><th scope=\"row\">")
                .count(),
            crate::report::shown_targets(&report).len()
        );
        // Raw evidence is folded away, with the CNAME chains.
        assert!(html[raw..].contains(&format!(
            "<details><summary>DNS answers with CNAME chains ({})</summary>",
            report.resolutions.len()
        )));
        assert!(html[raw..].contains("privatelink.api.azureml.ms</code>"));
        // Self-contained: no external resource.
        for bad in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(bad), "external reference {bad}");
        }
        assert_eq!(html, render_string(&report));
    }

    #[tokio::test]
    async fn embedded_json_parses_back_to_the_report() {
        let mut report = lab_report("custom-dns-no-forwarder").await;
        report.findings[0]
            .evidence
            .push("</script><!--<script> & \u{2028} \"q\"".into());
        let html = render_string(&report);
        let json = embedded(&html);
        assert!(!json.contains('<'));
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(parsed, serde_json::to_value(&report).unwrap());
        assert_eq!(parsed["schema"], "pe-doctor/report/v1");
    }

    #[tokio::test]
    async fn hostile_strings_are_escaped() {
        let mut report = lab_report("doh-leak").await;
        let hostile = "<script>alert(1)</script>";
        report.findings[0].evidence.push(hostile.into());
        report.findings[0].title = format!("{hostile} \"quoted\" 'x'");
        report.findings[0]
            .remediation
            .push(format!("run `{hostile}`"));
        report.resolvers[0].label = "<b>sys</b>".into();
        report.targets[0].fqdn = "\"><img src=x onerror=alert(1)>.example".into();
        report.host.notes.push(hostile.into());
        report.resolutions[0].error = Some(hostile.into());
        report.resolutions[0].chain[0].data = hostile.into();
        let html = render_string(&report);
        // The only <script> elements are the print helper and the JSON.
        assert_eq!(html.matches("<script").count(), 2);
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>sys"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"));
        assert!(html.contains("&quot;quoted&quot; &#39;x&#39;"));
        let json: serde_json::Value = serde_json::from_str(embedded(&html)).unwrap();
        assert_eq!(json, serde_json::to_value(&report).unwrap());
    }

    #[tokio::test]
    async fn verdict_banners() {
        let html = render_string(&lab_report("healthy").await);
        assert!(html.contains("<section class=\"banner healthy\""));
        assert!(html.contains("<span aria-hidden=\"true\">✓</span> HEALTHY"));
        assert!(html.contains("<p>Nothing to fix.</p>"));
        let html = render_string(&lab_report("vpn-dns-not-applied").await);
        assert!(html.contains("<section class=\"banner problem\""));
        assert!(html.contains("<span aria-hidden=\"true\">✗</span> PROBLEM"));
        assert!(html.contains("<title>pe-doctor: ✗ PROBLEM — Your VPN&#39;s DNS server"));
        let mut report = lab_report("healthy").await;
        report.verdict = crate::report::model::Verdict::Inconclusive;
        let html = render_string(&report);
        assert!(html.contains("<section class=\"banner inconclusive\""));
        assert!(html.contains("No DNS server answered"));
    }

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(rich("a `<b>` c"), "a <code>&lt;b&gt;</code> c");
        assert_eq!(rich("odd ` tick <"), "odd ` tick &lt;");
    }
}
