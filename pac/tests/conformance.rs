//! Data-driven conformance tests: see `tests/data/README.md` for the table format.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use pac::{EntryPreference, ImplicitBypass, PacOptions, PacScript, StaticHost};

const EVAL_PAC: &str = r#"
function FindProxyForURL(url, host) {
  var v;
  try {
    v = eval(host);
  } catch (e) {
    if (e && typeof e == "object" && "name" in e) return "throws " + e.name;
    return "throws " + String(e);
  }
  if (v === undefined) return "undefined";
  return JSON.stringify(v);
}
"#;

#[derive(Default, Clone)]
struct Config {
    names: Vec<(String, IpAddr)>,
    my_ips: Vec<IpAddr>,
    now_ms: i64,
    offset_s: i32,
    entry: EntryPreference,
}

impl Config {
    fn host(&self) -> StaticHost {
        let mut h = StaticHost::new()
            .with_my_ips(self.my_ips.clone())
            .with_time(self.now_ms, self.offset_s);
        for (n, ip) in &self.names {
            h.add_name(n, *ip);
        }
        h
    }
}

fn parse_offset(s: &str) -> i32 {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let (h, m) = s[1..].split_once(':').expect("offset ±HH:MM");
    sign * (h.parse::<i32>().unwrap() * 3600 + m.parse::<i32>().unwrap() * 60)
}

/// Milliseconds since the epoch for `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_utc(s: &str) -> i64 {
    let s = s.trim_end_matches('Z');
    let (d, t) = s.split_once('T').unwrap();
    let d: Vec<i64> = d.split('-').map(|x| x.parse().unwrap()).collect();
    let t: Vec<i64> = t.split(':').map(|x| x.parse().unwrap()).collect();
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + t[0]) * 60 + t[1]) * 60_000 + t[2] * 1000
}

struct Case {
    line: usize,
    input: String,
    expected: String,
}

fn run_group(
    file: &str,
    pac_src: &str,
    url_mode: bool,
    cfg: &Config,
    cases: &[Case],
    failures: &mut Vec<String>,
) {
    if cases.is_empty() {
        return;
    }
    let options = PacOptions {
        host: Arc::new(cfg.host()),
        entry_point: cfg.entry,
        ..PacOptions::default()
    };
    let script = PacScript::compile(pac_src, options).expect("compile");
    for c in cases {
        let got = if let Some(result) = c.input.strip_prefix("proxies ") {
            proxies(result)
        } else if let Some(url) = c.input.strip_prefix("bypass ") {
            bypass(url)
        } else if url_mode {
            match script.find_proxy_for_url(&c.input) {
                Ok(r) => r.raw,
                Err(e) => format!("error {e}"),
            }
        } else {
            match script.find_proxy("http://conformance.test/", &c.input) {
                Ok(r) => r.raw,
                Err(e) => format!("error {e}"),
            }
        };
        let expected = c.expected.clone();
        let literal = url_mode || c.input.starts_with("proxies ") || c.input.starts_with("bypass ");
        let ok = if literal || expected.starts_with("throws") || expected == "undefined" {
            got == expected
        } else {
            // Compare as JSON so that `1` and `1.0`, spacing etc. do not matter.
            let norm = |s: &str| s.replace(' ', "");
            norm(&got) == norm(&expected)
        };
        if !ok {
            failures.push(format!(
                "{file}:{}: {}\n    expected {expected}\n    got      {got}",
                c.line, c.input
            ));
        }
    }
}

/// What a browser makes of a returned string: the valid entries, canonicalised, then each
/// invalid entry as `invalid(ENTRY)`.
fn proxies(result: &str) -> String {
    let (good, bad) = pac::parse_pac_result(result);
    let mut parts: Vec<String> = good.iter().map(ToString::to_string).collect();
    parts.extend(bad.iter().map(|b| format!("invalid({b})")));
    parts.join("; ")
}

/// Which implicit bypass rule a URL matches (Chromium on Linux/macOS rules).
fn bypass(url: &str) -> String {
    match pac::implicit_bypass(url, false) {
        None => "pac".into(),
        Some(ImplicitBypass::LocalhostName) => "direct localhost".into(),
        Some(ImplicitBypass::Loopback) => "direct loopback".into(),
        Some(ImplicitBypass::LinkLocal) => "direct link-local".into(),
    }
}

fn run_file(name: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let pac_path = dir.join(name.replace(".tsv", ".pac"));
    let (pac_src, url_mode) = match std::fs::read_to_string(&pac_path) {
        Ok(s) => (s, true),
        Err(_) => (EVAL_PAC.to_string(), false),
    };
    let mut cfg = Config::default();
    let mut cases: Vec<Case> = Vec::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(d) = line.strip_prefix('@') {
            run_group(name, &pac_src, url_mode, &cfg, &cases, &mut failures);
            cases.clear();
            let (k, v) = d.split_once(' ').unwrap_or((d, ""));
            match k {
                "resolve" => {
                    let (n, ips) = v.split_once('=').unwrap();
                    for ip in ips.split(',') {
                        cfg.names.push((n.to_string(), ip.parse().unwrap()));
                    }
                }
                "my-ip" => cfg.my_ips = v.split(',').map(|s| s.parse().unwrap()).collect(),
                "now" => {
                    let mut parts = v.split_whitespace();
                    cfg.now_ms = parse_utc(parts.next().unwrap());
                    cfg.offset_s = parts.next().map_or(0, parse_offset);
                }
                "entry" => {
                    cfg.entry = match v {
                        "ex" => EntryPreference::PreferEx,
                        "standard" => EntryPreference::Standard,
                        other => panic!("{name}:{}: unknown entry {other}", i + 1),
                    }
                }
                "reset" => cfg = Config::default(),
                other => panic!("{name}:{}: unknown directive {other}", i + 1),
            }
            continue;
        }
        let (input, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("{name}:{}: no TAB in {line:?}", i + 1));
        let input = if url_mode && !input.starts_with("proxies ") && !input.starts_with("bypass ") {
            input
                .strip_prefix("url ")
                .unwrap_or_else(|| panic!("{name}:{}: expected `url URL`", i + 1))
        } else {
            input
        };
        // Expected values may carry a trailing comment after two spaces and `#`.
        let expected = expected.split("  #").next().unwrap_or("").trim();
        cases.push(Case {
            line: i + 1,
            input: input.to_string(),
            expected: expected.to_string(),
        });
        count += 1;
    }
    run_group(name, &pac_src, url_mode, &cfg, &cases, &mut failures);
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    count
}

#[test]
fn pac_resolver_tables() {
    assert!(run_file("pac-resolver.tsv") > 30);
}

#[test]
fn pacparser_tables() {
    assert!(run_file("pacparser.tsv") >= 10);
}

#[test]
fn chromium_edge_cases() {
    assert!(run_file("chromium.tsv") > 100);
}

#[test]
fn strict_mode_script() {
    assert!(run_file("strict.tsv") >= 3);
}
