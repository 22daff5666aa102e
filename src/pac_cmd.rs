//! `pe-doctor pac`: evaluate a PAC file for URLs, like pactester.
//!
//! Prints what `FindProxyForURL` returns, one line per URL, in input order (`-u` URLs first,
//! then the lines of `-f`). DNS answers come only from `--resolve` (other names fail to
//! resolve, so nothing is sent to the network), `--my-ip` sets `myIpAddress()` (else this
//! machine's address, found as Chromium does), `--now` fixes the clock; local time follows the
//! time zone of this machine. The script runs in a worker process ([`crate::pac_worker`]) with
//! a memory cap and a deadline; a runaway script is reported once, and every `ERROR:` line
//! makes the exit code non-zero. Everything printed has its control characters escaped.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::pac_worker::{self, Failure, MachineHost, Outcome, Query, Request};
use crate::report::sanitize::{json as json_safe, sanitize};
use pac::PacError;
use serde::Serialize;

/// Limit of the PAC's top-level code and of each call.
pub const PER_CALL_LIMIT: Duration = Duration::from_secs(2);

/// Arguments of `pe-doctor pac`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PacArgs {
    /// PAC file path or http(s) URL (fetched directly, never through a proxy).
    #[arg(long = "pac", value_name = "FILE|URL")]
    pub pac: String,
    /// URL to evaluate (repeatable).
    #[arg(short = 'u', long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// File with one URL per line (blank lines and `#` comments skipped).
    #[arg(short = 'f', long = "url-file", value_name = "URLFILE")]
    pub url_file: Option<PathBuf>,
    /// DNS answer for the PAC's lookups, `HOST=IP` (repeatable; other names do not resolve).
    #[arg(long = "resolve", value_name = "HOST=IP")]
    pub resolve: Vec<String>,
    /// This machine's address for `myIpAddress()` (repeatable; first is `myIpAddress`).
    #[arg(long = "my-ip", value_name = "IP")]
    pub my_ip: Vec<String>,
    /// Fixed current time (RFC 3339), for `weekdayRange`, `dateRange`, `timeRange`, `Date`.
    #[arg(long = "now", value_name = "RFC3339")]
    pub now: Option<String>,
    /// Call `FindProxyForURLEx` when the PAC defines it (as WinHTTP does).
    #[arg(long = "ex")]
    pub ex: bool,
    /// Print JSON instead of one line per URL.
    #[arg(long = "json")]
    pub json: bool,
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
    /// The PAC cannot be loaded or compiled.
    #[error("--pac {source_name}: {error}")]
    Pac {
        /// File path or URL given to `--pac`.
        source_name: String,
        /// What went wrong.
        error: PacError,
    },
    /// The PAC does not compile, or its top-level code fails.
    #[error("--pac {source_name}: {message}")]
    Compile {
        /// File path or URL given to `--pac`.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
}

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

fn collect_urls(args: &PacArgs) -> Result<Vec<String>, PacCmdError> {
    let mut urls: Vec<String> = args.urls.clone();
    if let Some(path) = &args.url_file {
        let text = crate::fsio::read_text(path, crate::fsio::Input::UrlList).map_err(|e| {
            PacCmdError::UrlFile {
                path: path.display().to_string(),
                message: e.to_string(),
            }
        })?;
        urls.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    if urls.is_empty() {
        return Err(PacCmdError::NoUrls);
    }
    Ok(urls)
}

/// Loads the PAC text from a file or an http(s) URL.
pub fn load_pac_source(source: &str) -> Result<String, PacError> {
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
}

/// Evaluates `urls` in a worker process, under one deadline for all of them.
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

/// The text of an `ERROR:` line: the first failure in full, the queries it left unevaluated
/// in short (a runaway script is reported once).
fn error_text(f: &Failure) -> String {
    match f {
        Failure::NotRun { after } => format!("not evaluated (see the error for {after})"),
        f => f.to_string(),
    }
}

/// Runs `pe-doctor pac`, writing to `out`; returns the number of `ERROR:` lines. Evaluation
/// errors of single URLs are reported on that URL's line (`ERROR: ...`); loading, compiling
/// and flag errors end the command.
pub fn run(args: &PacArgs, out: &mut dyn std::io::Write) -> Result<usize, PacCmdError> {
    let host = build_host(args)?;
    let urls = collect_urls(args)?;
    let text = load_pac_source(&args.pac).map_err(|error| PacCmdError::Pac {
        source_name: args.pac.clone(),
        error,
    })?;
    let req = Request {
        source: text,
        host,
        queries: urls
            .iter()
            .map(|u| Query {
                url: u.clone(),
                host: None,
            })
            .collect(),
        prefer_ex: args.ex,
        per_call_ms: u64::try_from(PER_CALL_LIMIT.as_millis()).unwrap_or(u64::MAX),
    };
    let outcome = evaluate(&req)?;
    if let Err(f) = &outcome.compiled {
        return Err(PacCmdError::Compile {
            source_name: args.pac.clone(),
            message: f.to_string(),
        });
    }
    let errors = outcome.answers.iter().filter(|a| a.is_err()).count();
    if args.json {
        let lines: Vec<JsonLine<'_>> = urls
            .iter()
            .zip(&outcome.answers)
            .map(|(url, r)| match r {
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
                },
            })
            .collect();
        let json = serde_json::to_string_pretty(&lines).map_err(std::io::Error::other)?;
        writeln!(out, "{}", json_safe(&json))?;
    } else {
        for r in &outcome.answers {
            match r {
                Ok(r) => writeln!(out, "{}", sanitize(&r.raw))?,
                Err(e) => writeln!(out, "ERROR: {}", sanitize(&error_text(e)))?,
            }
        }
    }
    Ok(errors)
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
        run(args, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// What pacparser 1.3.6 (`pactester -p large.pac -f urls.txt`) prints for the shared inputs.
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
        assert_eq!(run_to_string(&args).unwrap(), SMALL_EXPECTED);
    }

    #[test]
    fn large_pac_matches_pacparser() {
        let args = PacArgs {
            pac: format!("{BENCH}/large.pac"),
            url_file: Some(format!("{BENCH}/urls.txt").into()),
            ..PacArgs::default()
        };
        assert_eq!(run_to_string(&args).unwrap(), LARGE_EXPECTED);
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
        let mut sink = Vec::new();
        let errors = run(
            &PacArgs {
                pac: bad.path().display().to_string(),
                urls: vec!["http://x/".into(), "http://y/".into()],
                ..PacArgs::default()
            },
            &mut sink,
        )
        .unwrap();
        assert_eq!(errors, 1, "one ERROR line, counted for the exit code");
    }

    #[test]
    fn nothing_from_the_script_reaches_the_output_raw() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            "function FindProxyForURL(u, h) {{ alert('\\x1b]0;title\\x07');
               if (h == 'x') throw new Error('\\x1b[2Jgone\\u009b31m');
               return 'PROXY a\\x1b[31m:1'; }}"
        )
        .unwrap();
        let base = PacArgs {
            pac: f.path().display().to_string(),
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
}
