//! `pe-doctor pac`: evaluate a PAC file for URLs, like pactester.
//!
//! Prints what `FindProxyForURL` returns, one line per URL, in input order (`-u` URLs first,
//! then the lines of `-f`). DNS answers come only from `--resolve` (other names fail to
//! resolve, so nothing is sent to the network), `--my-ip` sets `myIpAddress()`, `--now` fixes
//! the clock; local time follows the TZ of this machine.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use pac::{EntryPreference, PacError, PacHost, PacOptions, PacResult, PacScript};
use serde::Serialize;

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
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
}

/// The host seen by the PAC under `pe-doctor pac`: DNS from `--resolve`, own addresses from
/// `--my-ip`, the clock from `--now` or this machine, local offset from this machine's TZ.
#[derive(Debug)]
struct CliHost {
    names: HashMap<String, Vec<IpAddr>>,
    my_ips: Vec<IpAddr>,
    fixed_now_ms: Option<i64>,
    offset_s: i32,
}

impl PacHost for CliHost {
    fn resolve_v4(&self, host: &str) -> Vec<std::net::Ipv4Addr> {
        self.resolve_all(host)
            .into_iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .collect()
    }

    fn resolve_all(&self, host: &str) -> Vec<IpAddr> {
        self.names
            .get(&host.trim_end_matches('.').to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    fn my_addresses(&self) -> Vec<IpAddr> {
        self.my_ips.clone()
    }

    fn now_utc_millis(&self) -> i64 {
        self.fixed_now_ms.unwrap_or_else(|| {
            let now = time::OffsetDateTime::now_utc();
            i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
        })
    }

    fn local_offset_seconds(&self, _utc_seconds: i64) -> i32 {
        self.offset_s
    }
}

/// This machine's UTC offset at `at`, in seconds: from the `time` crate, else (it refuses in
/// multi-threaded processes on some systems) from the `date` tool, else 0 (UTC).
fn local_offset_seconds(at: time::OffsetDateTime) -> i32 {
    if let Ok(o) = time::UtcOffset::local_offset_at(at) {
        return o.whole_seconds();
    }
    if cfg!(windows) {
        return 0;
    }
    let secs = at.unix_timestamp().to_string();
    let attempts: [&[&str]; 2] = [&["-d", &format!("@{secs}"), "+%z"], &["-r", &secs, "+%z"]];
    for args in attempts {
        if let Ok(out) = std::process::Command::new("date").args(args).output()
            && out.status.success()
            && let Some(v) = parse_z_offset(String::from_utf8_lossy(&out.stdout).trim())
        {
            return v;
        }
    }
    0
}

/// Parses `+HHMM` / `-HHMM` (as printed by `date +%z`) into seconds.
fn parse_z_offset(s: &str) -> Option<i32> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

fn build_host(args: &PacArgs) -> Result<CliHost, PacCmdError> {
    let mut names: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for r in &args.resolve {
        let (host, ips) = r.split_once('=').ok_or_else(|| PacCmdError::BadFlag {
            flag: "--resolve",
            message: format!("{r:?} is not HOST=IP"),
        })?;
        let host = host.trim();
        if host.is_empty() {
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
            names
                .entry(host.trim_end_matches('.').to_ascii_lowercase())
                .or_default()
                .push(ip);
        }
    }
    let mut my_ips = Vec::new();
    for ip in &args.my_ip {
        my_ips.push(ip.trim().parse().map_err(|_| PacCmdError::BadFlag {
            flag: "--my-ip",
            message: format!("{ip:?} is not an IP address"),
        })?);
    }
    let (fixed_now_ms, at) = match &args.now {
        Some(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|e| PacCmdError::BadFlag {
                    flag: "--now",
                    message: format!("{s:?} is not an RFC 3339 time: {e}"),
                })?;
            (
                Some(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)),
                t,
            )
        }
        None => (None, time::OffsetDateTime::now_utc()),
    };
    Ok(CliHost {
        names,
        my_ips,
        fixed_now_ms,
        offset_s: local_offset_seconds(at),
    })
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
    entry_point: Option<String>,
    bad_entries: &'a [String],
    alerts: &'a [String],
    dns_queries: &'a [String],
    error: Option<String>,
}

/// Runs `pe-doctor pac`, writing to `out`. Evaluation errors of single URLs are reported on
/// that URL's line (`ERROR: ...`); loading/compiling/flag errors end the command.
pub fn run(args: &PacArgs, out: &mut dyn std::io::Write) -> Result<(), PacCmdError> {
    let host = build_host(args)?;
    let urls = collect_urls(args)?;
    let pac_err = |error: PacError| PacCmdError::Pac {
        source_name: args.pac.clone(),
        error,
    };
    let text = load_pac_source(&args.pac).map_err(pac_err)?;
    let options = PacOptions {
        host: Arc::new(host),
        entry_point: if args.ex {
            EntryPreference::PreferEx
        } else {
            EntryPreference::Standard
        },
        ..PacOptions::default()
    };
    let script = PacScript::compile(&text, options).map_err(pac_err)?;
    let answers = script.find_proxy_for_urls(&urls);
    let results: Vec<(String, Result<PacResult, PacError>)> =
        urls.into_iter().zip(answers).collect();
    if args.json {
        let empty: Vec<String> = Vec::new();
        let lines: Vec<JsonLine<'_>> = results
            .iter()
            .map(|(url, r)| match r {
                Ok(r) => JsonLine {
                    url,
                    result: Some(&r.raw),
                    directives: r.directives.iter().map(ToString::to_string).collect(),
                    entry_point: Some(r.entry_point.to_string()),
                    bad_entries: &r.bad_entries,
                    alerts: &r.alerts,
                    dns_queries: &r.dns_queries,
                    error: None,
                },
                Err(e) => JsonLine {
                    url,
                    result: None,
                    directives: Vec::new(),
                    entry_point: None,
                    bad_entries: &empty,
                    alerts: &empty,
                    dns_queries: &empty,
                    error: Some(e.to_string()),
                },
            })
            .collect();
        let json = serde_json::to_string_pretty(&lines).map_err(std::io::Error::other)?;
        writeln!(out, "{json}")?;
    } else {
        for (_, r) in &results {
            match r {
                Ok(r) => writeln!(out, "{}", r.raw)?,
                Err(e) => writeln!(out, "ERROR: {e}")?,
            }
        }
    }
    Ok(())
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
    fn parses_date_offsets() {
        assert_eq!(parse_z_offset("+0530"), Some(19_800));
        assert_eq!(parse_z_offset("-0100"), Some(-3600));
        assert_eq!(parse_z_offset("+0000"), Some(0));
        assert_eq!(parse_z_offset("UTC"), None);
        assert_eq!(parse_z_offset("+05:30"), None);
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
}
