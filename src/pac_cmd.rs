//! `pe-doctor pac`: evaluate a PAC file for URLs, like pactester.
//!
//! Takes pactester's flags (`-p FILE|-`, `-u URL`, `-f URLFILE`, `-h HOST`, `-c MY_IP`, `-e`)
//! and prints like it: the bare result for each `-u` URL, `URL : RESULT` for each line of
//! `-f`, in input order (`-u` first). DNS answers come only from `--resolve` (other names fail
//! to resolve, so nothing is sent to the network), `-c`/`--my-ip` sets `myIpAddress()`,
//! `--now` fixes the clock; local time follows the time zone of this machine. The script runs in
//! a worker process ([`crate::pac_worker`]) with a memory cap and a deadline; a runaway script
//! is reported once (later URLs are "not evaluated"). URLs Chrome never sends to a PAC
//! (localhost, loopback, link-local) print `DIRECT` with a note, as the browser behaves.
//! Everything printed has its control characters escaped. Exit status: 0, or 1 when any URL
//! gives an error, 2 when the PAC or a flag is bad. Unlike pactester 1.3.6: evaluation goes on
//! after a failing URL, `-u` may repeat, results follow Chromium (a non-string return is an
//! error), and `-e` prefers `FindProxyForURLEx` (pactester's `-e` is a no-op).

use std::io::Read as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use pac::{ImplicitBypass, PacError};
use serde::Serialize;

use crate::pac_worker::{self, Evaluated, Failure, MachineHost, Outcome, Query, Request};
use crate::report::sanitize::{json as json_safe, sanitize};

/// Limit of the PAC's top-level code and of each call.
pub const PER_CALL_LIMIT: Duration = Duration::from_secs(2);

/// Arguments of `pe-doctor pac` (pactester's short flags; `-h` is the host, help is `--help`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PacArgs {
    /// PAC file path, http(s) URL (fetched directly, never through a proxy), or `-` for
    /// standard input.
    #[arg(short = 'p', long = "pac", value_name = "FILE|URL|-")]
    pub pac: String,
    /// URL to evaluate (repeatable).
    #[arg(short = 'u', long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// File with one URL per line (blank lines and `#` comments skipped).
    #[arg(short = 'f', long = "url-file", value_name = "URLFILE")]
    pub url_file: Option<PathBuf>,
    /// Host handed to `FindProxyForURL` for the `-u` URLs instead of the URL's own host.
    #[arg(short = 'h', long = "host", value_name = "HOST", requires = "urls")]
    pub host: Option<String>,
    /// DNS answer for the PAC's lookups, `HOST=IP` (repeatable; other names do not resolve).
    #[arg(long = "resolve", value_name = "HOST=IP")]
    pub resolve: Vec<String>,
    /// This machine's address for `myIpAddress()` (repeatable; first is `myIpAddress`).
    #[arg(short = 'c', long = "my-ip", value_name = "IP")]
    pub my_ip: Vec<String>,
    /// Fixed current time (RFC 3339), for `weekdayRange`, `dateRange`, `timeRange`, `Date`.
    #[arg(long = "now", value_name = "RFC3339")]
    pub now: Option<String>,
    /// Microsoft mode, as WinHTTP: call `FindProxyForURLEx` when the PAC defines it, define
    /// `getClientVersion`, no browser bypass rules (the `Ex` helpers exist in both modes).
    #[arg(short = 'e', long = "ex")]
    pub ex: bool,
    /// Print JSON instead of one line per URL.
    #[arg(long = "json")]
    pub json: bool,
    /// Ask the PAC even for URLs the browser never sends to it (localhost, loopback,
    /// link-local), as pactester does.
    #[arg(long = "no-implicit-bypass")]
    pub no_implicit_bypass: bool,
    /// Print help (`-h` is pactester's host flag).
    #[arg(long = "help", action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// Why `pe-doctor pac` could not run; each message names the flag or file.
#[derive(Debug, thiserror::Error)]
pub enum PacCmdError {
    /// A flag value is malformed.
    #[error("{flag}: {message}")]
    BadFlag {
        /// The flag, e.g. `--resolve`.
        flag: &'static str,
        /// What is wrong, with the value.
        message: String,
    },
    /// No URL was given.
    #[error("no URL to evaluate: give -u URL or -f URLFILE")]
    NoUrls,
    /// The URL file cannot be read.
    #[error("-f {path}: {message}")]
    UrlFile {
        /// The file.
        path: String,
        /// The error.
        message: String,
    },
    /// The PAC does not compile; one position when the engine knows it.
    #[error("{source_name}{}: {message}", position(*line, *column))]
    Compile {
        /// File path or URL given to `-p`, `<stdin>` for `-`.
        source_name: String,
        /// What the engine says, without position.
        message: String,
        /// 1-based line.
        line: Option<u32>,
        /// 1-based column.
        column: Option<u32>,
    },
    /// The PAC cannot be loaded.
    #[error("--pac {source_name}: {error}")]
    Pac {
        /// File path or URL given to `--pac`.
        source_name: String,
        /// What went wrong.
        error: PacError,
    },
    /// The PAC has no entry point, its top-level code ran away, or its worker failed.
    #[error("--pac {source_name}: {message}")]
    Script {
        /// File path or URL given to `--pac`.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
}

fn position(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// The machine the PAC sees: DNS from `--resolve` (other names fail), own addresses from
/// `-c`/`--my-ip` (else this machine's, found as Chromium does), the clock from `--now`; the
/// worker reads this machine's time zone.
fn build_host(args: &PacArgs) -> Result<MachineHost, PacCmdError> {
    let mut host = MachineHost::new();
    for r in &args.resolve {
        let (name, ips) = r.split_once('=').ok_or_else(|| PacCmdError::BadFlag {
            flag: "--resolve",
            message: format!("{r:?} is not HOST=IP"),
        })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(PacCmdError::BadFlag {
                flag: "--resolve",
                message: format!("{r:?} has no host"),
            });
        }
        for ip in ips.split(',') {
            let ip: IpAddr = ip.trim().parse().map_err(|_| PacCmdError::BadFlag {
                flag: "--resolve",
                message: format!("{ip:?} in {r:?} is not an IP address"),
            })?;
            host.add_name(name, &[ip]);
        }
    }
    let mut my_ips: Vec<IpAddr> = Vec::new();
    for ip in &args.my_ip {
        my_ips.push(ip.trim().parse().map_err(|_| PacCmdError::BadFlag {
            flag: "--my-ip",
            message: format!("{ip:?} is not an IP address"),
        })?);
    }
    if my_ips.is_empty() {
        my_ips = pac_worker::my_ip::candidates(&pac_worker::my_ip::MachineSource {
            resolve_hostname: true,
        });
    }
    host = host.with_my_ips(my_ips);
    if let Some(s) = &args.now {
        let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|e| PacCmdError::BadFlag {
                flag: "--now",
                message: format!("{s:?} is not an RFC 3339 time: {e}"),
            })?;
        host = host.with_now(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0));
    }
    Ok(host)
}

/// One URL to evaluate and where it came from.
#[derive(Debug, Clone)]
struct Item {
    url: String,
    /// From `-f` (printed as `URL : RESULT`, like pactester) rather than `-u`.
    from_file: bool,
}

fn collect_urls(args: &PacArgs) -> Result<Vec<Item>, PacCmdError> {
    let mut items: Vec<Item> = args
        .urls
        .iter()
        .map(|u| Item {
            url: u.clone(),
            from_file: false,
        })
        .collect();
    if let Some(path) = &args.url_file {
        let text = crate::fsio::read_text(path, crate::fsio::Input::UrlList).map_err(|e| {
            PacCmdError::UrlFile {
                path: path.display().to_string(),
                message: e.to_string(),
            }
        })?;
        items.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| Item {
                    url: l.to_string(),
                    from_file: true,
                }),
        );
    }
    if items.is_empty() {
        return Err(PacCmdError::NoUrls);
    }
    Ok(items)
}

/// Loads the PAC text from a file, an http(s) URL, or standard input (`-`).
pub fn load_pac_source(source: &str) -> Result<String, PacError> {
    if source == "-" {
        let mut bytes = Vec::new();
        let limit = u64::try_from(pac::load::MAX_PAC_BYTES)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| PacError::Load {
                location: "standard input".into(),
                reason: e.to_string(),
            })?;
        return pac::load::decode_pac_bytes(&bytes, None);
    }
    if source.starts_with("http://") || source.starts_with("https://") {
        // `pe-doctor pac` has no network flags: a direct connection, the OS trust store.
        let net = crate::net::Net::new(Vec::new(), false, crate::net::tls::TrustRoots::default());
        crate::pac_fetch::fetch_pac_blocking(
            source,
            &net,
            &crate::pac_fetch::FetchOptions::default(),
        )
    } else {
        let path = source.strip_prefix("file://").unwrap_or(source);
        crate::fsio::read_pac(std::path::Path::new(path))
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    url: &'a str,
    result: Option<&'a str>,
    directives: Vec<String>,
    entry_point: Option<&'a str>,
    bad_entries: Vec<String>,
    alerts: &'a [String],
    dns_queries: &'a [String],
    error: Option<String>,
    /// Why the browser connects directly without asking the PAC (then `result` is `DIRECT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    implicit_bypass: Option<String>,
    /// What the PAC itself returns for a bypassed URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pac_result: Option<&'a str>,
    /// The PAC's error for a bypassed URL (the browser is not affected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pac_error: Option<String>,
}

/// What `pe-doctor pac` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacOutcome {
    /// URLs whose evaluation gave an error (the exit status is then 1).
    pub errors: usize,
}

/// One answer of the worker.
type Answer = Result<Evaluated, Failure>;

/// Runs `pe-doctor pac`, writing results to `out` and notes (implicit bypass) to `notes`.
/// Evaluation errors of single URLs are reported on that URL's line (`ERROR: ...`) and counted;
/// loading/compiling/flag errors end the command.
pub fn run(
    args: &PacArgs,
    out: &mut dyn std::io::Write,
    notes: &mut dyn std::io::Write,
) -> Result<PacOutcome, PacCmdError> {
    let host = build_host(args)?;
    let items = collect_urls(args)?;
    let source_name = if args.pac == "-" {
        "<stdin>".to_string()
    } else {
        args.pac.clone()
    };
    let text = load_pac_source(&args.pac).map_err(|error| PacCmdError::Pac {
        source_name: source_name.clone(),
        error,
    })?;
    let req = Request {
        source: text,
        host,
        queries: items
            .iter()
            .map(|it| query(it, args.host.as_deref()))
            .collect(),
        // Microsoft mode: FindProxyForURLEx preferred and getClientVersion defined.
        prefer_ex: args.ex,
        per_call_ms: u64::try_from(PER_CALL_LIMIT.as_millis()).unwrap_or(u64::MAX),
    };
    let outcome = evaluate(&req)?;
    if let Err(f) = &outcome.compiled {
        return Err(match outcome.compile_detail {
            Some(c) => PacCmdError::Compile {
                source_name,
                message: c.message,
                line: c.line,
                column: c.column,
            },
            None => PacCmdError::Script {
                source_name,
                message: f.to_string(),
            },
        });
    }
    let answers = outcome.answers;
    // Chromium's rules; WinHTTP (-e) is not the browser, so none there.
    let bypass: Vec<Option<ImplicitBypass>> = items
        .iter()
        .map(|it| {
            if args.ex || args.no_implicit_bypass {
                None
            } else {
                pac::implicit_bypass(&it.url, cfg!(windows))
            }
        })
        .collect();
    let errors = answers
        .iter()
        .zip(&bypass)
        .filter(|(r, b)| r.is_err() && b.is_none())
        .count();
    if args.json {
        write_json(out, &items, &answers, &bypass)?;
    } else {
        write_text(out, notes, &items, &answers, &bypass)?;
    }
    Ok(PacOutcome { errors })
}

/// The worker's question for `item`: `-u` URLs with the `-h` host when given (when the URL
/// does not parse, the worker derives the host and reports the URL error, as without `-h`).
fn query(item: &Item, host: Option<&str>) -> Query {
    let host = match host {
        Some(h) if !item.from_file && pac::sanitize_url(&item.url).is_ok() => Some(h.to_string()),
        _ => None,
    };
    Query {
        url: item.url.clone(),
        host,
    }
}

/// Evaluates the queries in a worker process, under one deadline for all of them.
fn evaluate(req: &Request) -> Result<Outcome, PacCmdError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let n = u32::try_from(req.queries.len()).unwrap_or(u32::MAX);
    // Each call has its own limit; a run of healthy calls is never cut short.
    let budget = PER_CALL_LIMIT
        .saturating_mul(n.saturating_add(1))
        .saturating_add(Duration::from_secs(3));
    Ok(runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + budget;
        pac_worker::evaluate(req, deadline).await
    }))
}

/// The text of an error: the first failure in full, the queries it left unevaluated in short
/// (a runaway script is reported once).
fn error_text(f: &Failure) -> String {
    match f {
        Failure::NotRun { after } => format!("not evaluated (see the error for {after})"),
        f => f.to_string(),
    }
}

fn write_text(
    out: &mut dyn std::io::Write,
    notes: &mut dyn std::io::Write,
    items: &[Item],
    answers: &[Answer],
    bypass: &[Option<ImplicitBypass>],
) -> std::io::Result<()> {
    for ((it, r), b) in items.iter().zip(answers).zip(bypass) {
        let shown = match (b, r) {
            (Some(_), _) => "DIRECT".to_string(),
            (None, Ok(r)) => sanitize(&r.raw).into_owned(),
            (None, Err(e)) => format!("ERROR: {}", sanitize(&error_text(e))),
        };
        if it.from_file {
            writeln!(out, "{} : {shown}", sanitize(&it.url))?;
        } else {
            writeln!(out, "{shown}")?;
        }
        if let Some(b) = b {
            let pac_says = match r {
                Ok(r) => format!("the PAC would return \"{}\"", sanitize(&r.raw)),
                Err(e) => format!("the PAC would fail: {}", sanitize(&error_text(e))),
            };
            writeln!(
                notes,
                "note: {}: the host is {b}: browsers (Chrome, Edge) connect DIRECT without asking \
                 the PAC; {pac_says} (--no-implicit-bypass prints that)",
                sanitize(&it.url)
            )?;
        }
    }
    Ok(())
}

fn write_json(
    out: &mut dyn std::io::Write,
    items: &[Item],
    answers: &[Answer],
    bypass: &[Option<ImplicitBypass>],
) -> std::io::Result<()> {
    let lines: Vec<JsonLine<'_>> = items
        .iter()
        .zip(answers)
        .zip(bypass)
        .map(|((it, r), b)| {
            let url = it.url.as_str();
            let mut line = match r {
                Ok(r) => {
                    let (directives, bad_entries) = pac::parse_pac_result(&r.raw);
                    JsonLine {
                        url,
                        result: Some(&r.raw),
                        directives: directives.iter().map(ToString::to_string).collect(),
                        entry_point: Some(&r.entry_point),
                        bad_entries,
                        alerts: &r.alerts,
                        dns_queries: &r.dns_queries,
                        error: None,
                        implicit_bypass: None,
                        pac_result: None,
                        pac_error: None,
                    }
                }
                Err(e) => JsonLine {
                    url,
                    result: None,
                    directives: Vec::new(),
                    entry_point: None,
                    bad_entries: Vec::new(),
                    alerts: &[],
                    dns_queries: &[],
                    error: Some(error_text(e)),
                    implicit_bypass: None,
                    pac_result: None,
                    pac_error: None,
                },
            };
            if let Some(b) = b {
                line.pac_error = line.error.take();
                line.pac_result = line.result;
                line.entry_point = None;
                line.result = Some("DIRECT");
                line.directives = vec!["DIRECT".to_string()];
                line.implicit_bypass = Some(b.to_string());
            }
            line
        })
        .collect();
    let json = serde_json::to_string_pretty(&lines).map_err(std::io::Error::other)?;
    writeln!(out, "{}", json_safe(&json))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write as _;

    // Copies of ../shared/bench/pac (the shared benchmark inputs), so the tests need no sibling.
    const BENCH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pac");

    fn run_to_string(args: &PacArgs) -> Result<String, PacCmdError> {
        let mut out = Vec::new();
        run(args, &mut out, &mut std::io::sink())?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// Prefixes each expected line with its URL from `urls.txt`, as `-f` prints.
    fn with_urls(expected: &str) -> String {
        let urls = std::fs::read_to_string(format!("{BENCH}/urls.txt")).unwrap();
        let urls: Vec<&str> = urls
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let lines: Vec<&str> = expected.lines().collect();
        assert_eq!(urls.len(), lines.len());
        urls.iter()
            .zip(lines)
            .map(|(u, r)| format!("{u} : {r}\n"))
            .collect()
    }

    /// What pacparser 1.3.6 (`pactester -p large.pac -f urls.txt`) answers for the shared
    /// inputs (it prints each line as `URL : RESULT`).
    const LARGE_EXPECTED: &str = "DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
DIRECT
DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
DIRECT
PROXY p1.corp.example:8080
PROXY cdn.corp.example:3128; DIRECT
DIRECT
DIRECT
PROXY test-net.corp.example:8080
PROXY cgnat-proxy.corp.example:8080
DIRECT
PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT
";

    /// What pacparser 1.3.6 prints for `small.pac` with the same URLs.
    const SMALL_EXPECTED: &str = "DIRECT
DIRECT
DIRECT
DIRECT
DIRECT
PROXY partner-proxy.example.com:3128
DIRECT
PROXY cdn-proxy.example.com:8080; DIRECT
PROXY ftp-proxy.example.com:2121
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
PROXY proxy.example.com:8080; PROXY backup.example.com:8080; DIRECT
";

    #[test]
    fn small_pac_matches_pacparser() {
        let args = PacArgs {
            pac: format!("{BENCH}/small.pac"),
            url_file: Some(format!("{BENCH}/urls.txt").into()),
            ..PacArgs::default()
        };
        assert_eq!(run_to_string(&args).unwrap(), with_urls(SMALL_EXPECTED));
    }

    #[test]
    fn large_pac_matches_pacparser() {
        let args = PacArgs {
            pac: format!("{BENCH}/large.pac"),
            url_file: Some(format!("{BENCH}/urls.txt").into()),
            ..PacArgs::default()
        };
        assert_eq!(run_to_string(&args).unwrap(), with_urls(LARGE_EXPECTED));
    }

    #[test]
    fn flags_drive_dns_ip_and_clock() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            "function FindProxyForURL(url, host) {{
               if (weekdayRange('SAT', 'SUN')) return 'DIRECT';
               if (isInNet(host, '10.0.0.0', '255.0.0.0')) return 'DIRECT; ' + myIpAddress();
               return 'PROXY p.example:3128';
             }}"
        )
        .unwrap();
        let args = PacArgs {
            pac: f.path().display().to_string(),
            urls: vec![
                "https://ws1.api.azureml.ms/x".into(),
                "https://ws1.instances.azureml.ms/".into(),
            ],
            resolve: vec!["ws1.api.azureml.ms=10.1.2.3".into()],
            my_ip: vec!["192.168.7.7".into()],
            now: Some("2024-03-13T12:00:00Z".into()),
            ..PacArgs::default()
        };
        assert_eq!(
            run_to_string(&args).unwrap(),
            "DIRECT; 192.168.7.7\nPROXY p.example:3128\n"
        );
        let json = run_to_string(&PacArgs {
            json: true,
            ..args.clone()
        })
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["directives"][0], "DIRECT");
        assert_eq!(v[1]["directives"][0], "PROXY p.example:3128");
        assert_eq!(v[0]["entry_point"], "FindProxyForURL");
        assert_eq!(v[1]["dns_queries"][0], "ws1.instances.azureml.ms");
        // A Saturday.
        let sat = PacArgs {
            now: Some("2024-03-16T12:00:00Z".into()),
            ..args
        };
        assert_eq!(run_to_string(&sat).unwrap(), "DIRECT\nDIRECT\n");
    }

    fn parse(argv: &[&str]) -> Result<PacArgs, clap::Error> {
        use clap::Parser as _;
        let mut full = vec!["pe-doctor", "pac"];
        full.extend_from_slice(argv);
        match crate::cli::Cli::try_parse_from(full)?.command {
            Some(crate::cli::Command::Pac(a)) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn takes_pactester_flags() {
        let a = parse(&[
            "-p",
            "w.pac",
            "-u",
            "http://a/",
            "-h",
            "other",
            "-c",
            "10.0.0.7",
            "-e",
            "-f",
            "u.txt",
        ])
        .unwrap();
        assert_eq!(a.pac, "w.pac");
        assert_eq!(a.urls, vec!["http://a/"]);
        assert_eq!(a.host.as_deref(), Some("other"));
        assert_eq!(a.my_ip, vec!["10.0.0.7"]);
        assert!(a.ex);
        assert_eq!(a.url_file, Some(PathBuf::from("u.txt")));
        let b = parse(&[
            "--pac",
            "-",
            "--url",
            "http://b/",
            "--host",
            "h",
            "--my-ip",
            "::1",
            "--ex",
        ])
        .unwrap();
        assert_eq!((b.pac.as_str(), b.host.as_deref()), ("-", Some("h")));
        assert_eq!(b.my_ip, vec!["::1"]);
        // `-h` is the host, so it needs a value and a -u URL; help is `--help` only.
        assert!(parse(&["-p", "w.pac", "-f", "u.txt", "-h", "x"]).is_err());
        assert!(parse(&["-p", "w.pac", "-u", "http://a/", "-h"]).is_err());
        let help = parse(&["--help"]).unwrap_err();
        assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
        let text = help.to_string();
        assert!(
            text.contains("-h, --host <HOST>") && text.contains("-c, --my-ip"),
            "{text}"
        );
    }

    fn pac_file(src: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(src.as_bytes()).unwrap();
        f
    }

    #[test]
    fn host_flag_and_output_forms() {
        let pac = pac_file(
            "function FindProxyForURL(url, host) { return 'PROXY ' + host + ':1; DIRECT'; }",
        );
        let mut urls = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            urls,
            "http://from-file.example/\n\n# skipped\nhttp://second.example/x"
        )
        .unwrap();
        let args = PacArgs {
            pac: pac.path().display().to_string(),
            urls: vec!["http://given.example/".into()],
            host: Some("override.example".into()),
            url_file: Some(urls.path().into()),
            ..PacArgs::default()
        };
        assert_eq!(
            run_to_string(&args).unwrap(),
            "PROXY override.example:1; DIRECT\n\
             http://from-file.example/ : PROXY from-file.example:1; DIRECT\n\
             http://second.example/x : PROXY second.example:1; DIRECT\n"
        );
    }

    #[test]
    fn errors_are_counted_and_control_characters_escaped() {
        let pac = pac_file(
            "function FindProxyForURL(url, host) {
               if (host == 'boom') throw new Error('bad \\x1b[31m host');
               return host == 'esc' ? 'PROXY a:1;\\x1b[2J' : 'DIRECT';
             }",
        );
        let mut out = Vec::new();
        let outcome = run(
            &PacArgs {
                pac: pac.path().display().to_string(),
                urls: vec![
                    "http://boom/".into(),
                    "http://esc/".into(),
                    "http://fine/".into(),
                    "not a url".into(),
                ],
                ..PacArgs::default()
            },
            &mut out,
            &mut std::io::sink(),
        )
        .unwrap();
        assert_eq!(outcome.errors, 2);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b'), "{text:?}");
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("ERROR: PAC script threw: Error: bad \\x1b[31m host"),
            "{text}"
        );
        assert_eq!(lines[1], "PROXY a:1;\\x1b[2J");
        assert_eq!(lines[2], "DIRECT");
        assert!(lines[3].starts_with("ERROR: cannot parse URL"), "{text}");
    }

    #[test]
    fn compile_errors_carry_one_position() {
        let pac = pac_file("function FindProxyForURL(u, h) {\n  return 'DIRECT'\n  var x = ;\n}\n");
        let path = pac.path().display().to_string();
        let e = run_to_string(&PacArgs {
            pac: path.clone(),
            urls: vec!["http://x/".into()],
            ..PacArgs::default()
        })
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("{path}:3:11: SyntaxError: ")),
            "{text}"
        );
        assert!(!text.contains("line") && !text.contains("col "), "{text}");
    }

    #[test]
    fn implicit_bypass_is_reported_as_the_browser_behaves() {
        let pac = pac_file(
            "function FindProxyForURL(url, host) {
               if (host == '169.254.169.254') throw 'no';
               return 'PROXY p.example:8080';
             }",
        );
        let args = PacArgs {
            pac: pac.path().display().to_string(),
            urls: vec![
                "http://localhost:8080/".into(),
                "http://[::1]/".into(),
                "http://169.254.169.254/latest".into(),
                "http://app.example/".into(),
            ],
            ..PacArgs::default()
        };
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let outcome = run(&args, &mut out, &mut notes).unwrap();
        assert_eq!(
            outcome.errors, 0,
            "the browser never asks the PAC for these"
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "DIRECT\nDIRECT\nDIRECT\nPROXY p.example:8080\n"
        );
        let notes = String::from_utf8(notes).unwrap();
        let notes: Vec<&str> = notes.lines().collect();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("note: http://localhost:8080/: the host is a localhost name"));
        assert!(notes[0].contains(r#"the PAC would return "PROXY p.example:8080""#));
        assert!(notes[1].contains("a loopback address"));
        assert!(notes[2].contains("a link-local address") && notes[2].contains("would fail"));
        // JSON says the same, with what the PAC returns.
        let json = run_to_string(&PacArgs {
            json: true,
            ..args.clone()
        })
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["result"], "DIRECT");
        assert_eq!(v[0]["implicit_bypass"], "a localhost name");
        assert_eq!(v[0]["pac_result"], "PROXY p.example:8080");
        assert_eq!(v[2]["pac_error"], r#"PAC script threw: "no""#);
        assert!(v[2]["error"].is_null());
        assert!(v[3].get("implicit_bypass").is_none());
        // As pactester (or WinHTTP with -e): the PAC is asked.
        for args in [
            PacArgs {
                no_implicit_bypass: true,
                ..args.clone()
            },
            PacArgs {
                ex: true,
                ..args.clone()
            },
        ] {
            let (mut out, mut notes) = (Vec::new(), Vec::new());
            let outcome = run(&args, &mut out, &mut notes).unwrap();
            assert_eq!(outcome.errors, 1);
            let out = String::from_utf8(out).unwrap();
            assert!(
                out.starts_with("PROXY p.example:8080\nPROXY p.example:8080\nERROR: "),
                "{out}"
            );
            assert!(notes.is_empty());
        }
    }

    #[test]
    fn microsoft_mode_prefers_ex_and_defines_get_client_version() {
        let pac = pac_file(
            "function FindProxyForURL(url, host) { return 'PROXY std:1; ' + typeof getClientVersion; }
             function FindProxyForURLEx(url, host) { return 'PROXY ex:1; ' + getClientVersion(); }",
        );
        let base = PacArgs {
            pac: pac.path().display().to_string(),
            urls: vec!["http://a.example/".into()],
            ..PacArgs::default()
        };
        assert_eq!(run_to_string(&base).unwrap(), "PROXY std:1; undefined\n");
        let ex = PacArgs { ex: true, ..base };
        assert_eq!(run_to_string(&ex).unwrap(), "PROXY ex:1; 1.0\n");
    }

    #[test]
    fn errors_name_the_flag_or_file() {
        let base = PacArgs {
            pac: format!("{BENCH}/small.pac"),
            urls: vec!["http://x/".into()],
            ..PacArgs::default()
        };
        let e = run_to_string(&PacArgs {
            resolve: vec!["nohost".into()],
            ..base.clone()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("--resolve"), "{e}");
        let e = run_to_string(&PacArgs {
            resolve: vec!["a=1.2.3".into()],
            ..base.clone()
        })
        .unwrap_err();
        assert!(e.to_string().contains("1.2.3"), "{e}");
        let e = run_to_string(&PacArgs {
            my_ip: vec!["me".into()],
            ..base.clone()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("--my-ip"), "{e}");
        let e = run_to_string(&PacArgs {
            now: Some("yesterday".into()),
            ..base.clone()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("--now"), "{e}");
        let e = run_to_string(&PacArgs {
            urls: vec![],
            ..base.clone()
        })
        .unwrap_err();
        assert!(matches!(e, PacCmdError::NoUrls));
        let e = run_to_string(&PacArgs {
            pac: "/nonexistent/x.pac".into(),
            ..base.clone()
        })
        .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/x.pac"), "{e}");
        let e = run_to_string(&PacArgs {
            url_file: Some("/nonexistent/urls".into()),
            ..base.clone()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("-f /nonexistent/urls"), "{e}");
        let mut bad = tempfile::NamedTempFile::new().unwrap();
        write!(
            bad,
            "function FindProxyForURL(u, h) {{ return h == 'x' ? 5 : 'DIRECT' }}"
        )
        .unwrap();
        let out = run_to_string(&PacArgs {
            pac: bad.path().display().to_string(),
            urls: vec!["http://x/".into(), "http://y/".into()],
            ..PacArgs::default()
        })
        .unwrap();
        assert!(
            out.starts_with("ERROR: FindProxyForURL() did not return a string"),
            "{out}"
        );
        assert!(out.ends_with("\nDIRECT\n"), "{out}");
    }

    #[test]
    fn nothing_from_the_script_reaches_the_output_raw() {
        let pac = pac_file(
            "function FindProxyForURL(u, h) { alert('\\x1b]0;title\\x07');
               if (h == 'x') throw new Error('\\x1b[2Jgone\\u009b31m');
               return 'PROXY a\\x1b[31m:1'; }",
        );
        let base = PacArgs {
            pac: pac.path().display().to_string(),
            urls: vec!["http://a/".into(), "http://x/".into()],
            ..PacArgs::default()
        };
        let text = run_to_string(&base).unwrap();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.starts_with(
                "PROXY a\\x1b[31m:1\nERROR: PAC script threw: Error: \\x1b[2Jgone\\u{9b}31m"
            ),
            "{text}"
        );
        let json = run_to_string(&PacArgs { json: true, ..base }).unwrap();
        assert!(
            !json.chars().any(|c| c.is_control() && c != '\n'),
            "{json:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["alerts"][0], "\u{1b}]0;title\u{7}");
    }

    #[test]
    fn a_runaway_script_is_reported_once_and_host_flag_reaches_the_worker() {
        let pac = pac_file(
            "function FindProxyForURL(u, h) { if (h == 'spin') while (true) {} return 'PROXY ' + h + ':1'; }",
        );
        let mut out = Vec::new();
        let outcome = run(
            &PacArgs {
                pac: pac.path().display().to_string(),
                urls: vec!["http://a/".into(), "http://b/".into()],
                host: Some("spin".into()),
                ..PacArgs::default()
            },
            &mut out,
            &mut std::io::sink(),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("ERROR: ") && !lines[0].contains("not evaluated"),
            "{text}"
        );
        assert_eq!(
            lines[1],
            "ERROR: not evaluated (see the error for http://a/)"
        );
        assert_eq!(outcome.errors, 2);
    }
}
