//! PAC evaluated in a child process, as browsers do it (Chromium's proxy resolver lives in a
//! utility process): `pe-doctor` re-executes itself as the hidden `pac-worker` subcommand.
//!
//! The parent ([`client`]) writes one [`Request`] as a JSON line to the worker's stdin: the
//! script, the questions and the [`MachineHost`] the script may observe. The worker caps its own
//! memory ([`limits`]), runs the engine on a thread with a large stack and answers with one
//! [`Line`] per step on stdout. The parent kills it at its deadline; a crash, an out-of-memory
//! abort or a timeout becomes a [`Failure`] with the reason, never the parent's end.

pub mod client;
pub mod host;
pub mod limits;
pub mod my_ip;

pub use client::{Failure, Outcome, evaluate, set_exe};
pub use host::MachineHost;

use pac::{EntryPreference, LocalScript, PacError, PacOptions};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::sync::Arc;
use std::time::Duration;

/// The hidden subcommand that starts a worker.
pub const SUBCOMMAND: &str = "pac-worker";
/// Stack of the engine thread in the worker: the parser and compiler recurse on nested source.
/// Counted in the memory limit.
pub const ENGINE_STACK_BYTES: usize = 64 << 20;
/// Largest request the worker reads (a PAC is at most 1 MiB; the rest is names and addresses).
const MAX_REQUEST_BYTES: u64 = 64 << 20;

/// One question: a URL and, when given, the host handed to the script (else derived from the
/// URL as a browser does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The URL.
    pub url: String,
    /// The host argument, when not derived from the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Everything the worker needs, sent as one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// The PAC text.
    pub source: String,
    /// What the script observes.
    pub host: MachineHost,
    /// The questions, answered in order.
    pub queries: Vec<Query>,
    /// Call `FindProxyForURLEx` when defined (WinHTTP).
    pub prefer_ex: bool,
    /// Limit of the top-level code and of each call, in ms.
    pub per_call_ms: u64,
}

/// What the script returned for one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluated {
    /// The string returned.
    pub raw: String,
    /// `FindProxyForURL` or `FindProxyForURLEx`.
    pub entry_point: String,
    /// Messages passed to `alert()`.
    pub alerts: Vec<String>,
    /// Names the script asked to resolve.
    pub dns_queries: Vec<String>,
}

/// An error of the script itself, reported by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptError {
    /// The engine's message.
    pub message: String,
    /// The script ran out of time or hit an engine limit: it would do so for every URL, so
    /// the worker stops there.
    pub runaway: bool,
    /// For a compile error: the engine's message and position, apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile: Option<CompileDetail>,
}

/// A compile error split into message and position (for `FILE:LINE:COL: message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileDetail {
    /// The engine's message, without position.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
}

impl From<&PacError> for ScriptError {
    fn from(e: &PacError) -> Self {
        Self {
            message: e.to_string(),
            runaway: matches!(e, PacError::Timeout { .. } | PacError::LimitExceeded { .. }),
            compile: match e {
                PacError::Compile {
                    message,
                    line,
                    column,
                } => Some(CompileDetail {
                    message: message.clone(),
                    line: *line,
                    column: *column,
                }),
                _ => None,
            },
        }
    }
}

/// One line of the worker's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Line {
    /// The script compiled and its top-level code ran.
    Compiled {
        /// It defines `FindProxyForURLEx`.
        has_ex: bool,
    },
    /// The script did not compile, or its top-level code failed.
    CompileFailed(ScriptError),
    /// The answer to the next query.
    Answer(Evaluated),
    /// The next query failed.
    Failed(ScriptError),
}

/// Answers `req` line by line into `out`; stops after a compile failure or a runaway call.
/// Runs on the calling thread, which needs [`ENGINE_STACK_BYTES`] of stack.
pub fn serve(req: Request, out: &mut dyn Write) -> std::io::Result<()> {
    let mut host = req.host;
    host.load_zone();
    let options = PacOptions {
        host: Arc::new(host),
        timeout: Duration::from_millis(req.per_call_ms.max(1)),
        entry_point: if req.prefer_ex {
            EntryPreference::PreferEx
        } else {
            EntryPreference::Standard
        },
        ..PacOptions::default()
    };
    let mut emit = |line: &Line| -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, line)?;
        out.write_all(b"\n")?;
        out.flush()
    };
    let mut script = match LocalScript::compile(&req.source, options) {
        Ok(s) => s,
        Err(e) => return emit(&Line::CompileFailed((&e).into())),
    };
    emit(&Line::Compiled {
        has_ex: script.has_find_proxy_for_url_ex(),
    })?;
    for q in &req.queries {
        let r = match &q.host {
            Some(h) => script.find_proxy(&q.url, h),
            None => script.find_proxy_for_url(&q.url),
        };
        match r {
            Ok(r) => emit(&Line::Answer(Evaluated {
                raw: r.raw,
                entry_point: r.entry_point.to_string(),
                alerts: r.alerts,
                dns_queries: r.dns_queries,
            }))?,
            Err(e) => {
                let e = ScriptError::from(&e);
                let runaway = e.runaway;
                emit(&Line::Failed(e))?;
                if runaway {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// The `pac-worker` subcommand: limits, then one request from stdin, answers on stdout.
/// Returns the exit code (0 also after script errors: they are in the answers).
pub fn main() -> u8 {
    if let Err(e) = limits::apply() {
        eprintln!("pe-doctor pac-worker: cannot set the memory limit: {e}");
        return 70;
    }
    let mut text = String::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_REQUEST_BYTES)
        .read_line(&mut text);
    if let Err(e) = read {
        eprintln!("pe-doctor pac-worker: cannot read the request: {e}");
        return 65;
    }
    let req: Request = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pe-doctor pac-worker: malformed request: {e}");
            return 65;
        }
    };
    // Top-level code and every call, one second each more, and the start.
    let calls = u64::try_from(req.queries.len())
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let cpu = req
        .per_call_ms
        .saturating_add(1000)
        .saturating_mul(calls)
        .div_ceil(1000)
        .saturating_add(2);
    if let Err(e) = limits::cap_cpu(cpu) {
        eprintln!("pe-doctor pac-worker: cannot set the CPU limit: {e}");
        return 70;
    }
    let engine = std::thread::Builder::new()
        .name("pac-engine".into())
        .stack_size(ENGINE_STACK_BYTES)
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            serve(req, &mut out)
        });
    match engine.map(std::thread::JoinHandle::join) {
        Ok(Ok(Ok(()))) => 0,
        Ok(Ok(Err(e))) => {
            eprintln!("pe-doctor pac-worker: cannot write the answer: {e}");
            74
        }
        Ok(Err(_)) => 101,
        Err(e) => {
            eprintln!("pe-doctor pac-worker: cannot start the engine thread: {e}");
            71
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(source: &str, urls: &[&str], per_call_ms: u64) -> Vec<Line> {
        let req = Request {
            source: source.into(),
            host: MachineHost::new().with_my_ips(vec!["10.1.2.3".parse().unwrap()]),
            queries: urls
                .iter()
                .map(|u| Query {
                    url: (*u).into(),
                    host: None,
                })
                .collect(),
            prefer_ex: false,
            per_call_ms,
        };
        let mut out = Vec::new();
        serve(req, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn answers_each_query_in_order() {
        let lines = run(
            "function FindProxyForURL(u, h) { alert('x'); \
             if (h == 'bad') throw new Error('no'); return 'PROXY ' + myIpAddress() + ':1'; }",
            &["http://a/", "http://bad/", "http://c/"],
            2000,
        );
        assert_eq!(lines[0], Line::Compiled { has_ex: false });
        let Line::Answer(a) = &lines[1] else {
            panic!("{lines:?}")
        };
        assert_eq!(a.raw, "PROXY 10.1.2.3:1");
        assert_eq!(a.alerts, vec!["x".to_string()]);
        assert!(matches!(&lines[2], Line::Failed(e) if !e.runaway && e.message.contains("no")));
        assert!(matches!(&lines[3], Line::Answer(_)));
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn stops_after_a_runaway_call_and_reports_compile_errors() {
        let lines = run(
            "function FindProxyForURL(u, h) { while (true) {} }",
            &["http://a/", "http://b/"],
            100,
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(matches!(&lines[1], Line::Failed(e) if e.runaway));
        let lines = run("function FindProxyForURL(u, h) {", &["http://a/"], 100);
        assert!(matches!(&lines[..], [Line::CompileFailed(e)] if !e.runaway));
        let lines = run(
            "function FindProxyForURL(u, h) {\n  var x = ;\n}",
            &["http://a/"],
            100,
        );
        let [Line::CompileFailed(e)] = &lines[..] else {
            panic!("{lines:?}")
        };
        let c = e.compile.as_ref().unwrap();
        assert_eq!((c.line, c.column), (Some(2), Some(11)), "{c:?}");
        assert!(c.message.starts_with("SyntaxError"), "{c:?}");
    }
}
