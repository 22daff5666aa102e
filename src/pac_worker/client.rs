//! The parent's side: start the worker, hand it the request, read its answers under a deadline,
//! and turn whatever happens to it (crash, out of memory, silence) into a [`Failure`].

use super::{CompileDetail, Evaluated, Line, Request, SUBCOMMAND, limits::MEMORY_LIMIT_BYTES};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::time::Instant;

/// Time a worker gets to start, on top of the script's own limit for its top-level code.
const START_GRACE: Duration = Duration::from_secs(2);
/// Time past a call's own limit before the worker is considered stuck in a native call.
const CALL_GRACE: Duration = Duration::from_millis(500);
/// How much of the worker's stderr is kept to explain a crash.
const STDERR_KEEP: u64 = 8 * 1024;

static EXE: OnceLock<PathBuf> = OnceLock::new();

/// Uses `exe` (a `pe-doctor` binary) as the worker instead of this executable: for tests whose
/// process is not `pe-doctor`. The first call wins.
pub fn set_exe(exe: impl Into<PathBuf>) {
    let _ = EXE.set(exe.into());
}

/// Why a query (or the whole script) has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The script threw, returned something that is not a string, or did not compile.
    Script(String),
    /// The script ran out of time or hit an engine limit.
    Runaway(String),
    /// Not evaluated, because the script ran away or the worker died on an earlier URL.
    NotRun {
        /// That URL.
        after: String,
    },
    /// The worker died (stack overflow, out of memory, a signal).
    Crashed(String),
    /// The worker did not answer within the call's limit and was killed.
    Killed {
        /// How long it was given.
        waited: Duration,
    },
    /// The caller's overall deadline came first; the worker was killed.
    Deadline,
    /// The worker could not be started, or its answer was not understood.
    Worker(String),
}

impl Failure {
    /// The failure ends the run: later queries are not evaluated.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Self::Script(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Script(m) | Self::Runaway(m) => f.write_str(m),
            Self::NotRun { after } => {
                write!(f, "not evaluated: the PAC already failed for {after}")
            }
            Self::Crashed(m) => write!(f, "the PAC evaluation process died: {m}"),
            Self::Killed { waited } => write!(
                f,
                "the PAC did not answer within {} ms and its process was stopped (a call that \
                 never returns, e.g. a catastrophic regular expression)",
                waited.as_millis()
            ),
            Self::Deadline => f.write_str(
                "the PAC evaluation was stopped unfinished at the overall deadline (--timeout)",
            ),
            Self::Worker(m) => write!(f, "the PAC evaluation process failed: {m}"),
        }
    }
}

/// What one run of the worker produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the script compiled (and defines `FindProxyForURLEx`).
    pub compiled: Result<bool, Failure>,
    /// The compile error's message and position, when the script did not compile.
    pub compile_detail: Option<CompileDetail>,
    /// One entry per query, in order (all failures when the script did not compile).
    pub answers: Vec<Result<Evaluated, Failure>>,
}

/// Assembles the outcome from the worker's lines, in order.
struct Assembler<'a> {
    req: &'a Request,
    compiled: Option<Result<bool, Failure>>,
    compile_detail: Option<CompileDetail>,
    answers: Vec<Result<Evaluated, Failure>>,
}

impl<'a> Assembler<'a> {
    fn new(req: &'a Request) -> Self {
        Self {
            req,
            compiled: None,
            compile_detail: None,
            answers: Vec::with_capacity(req.queries.len()),
        }
    }

    /// How long the next line may take.
    fn wait_for_next(&self) -> Duration {
        let per_call = Duration::from_millis(self.req.per_call_ms);
        if self.compiled.is_none() {
            per_call + START_GRACE
        } else {
            per_call + CALL_GRACE
        }
    }

    fn done(&self) -> bool {
        match &self.compiled {
            None => false,
            Some(Err(_)) => true,
            Some(Ok(_)) => {
                self.answers.len() >= self.req.queries.len()
                    || self
                        .answers
                        .last()
                        .is_some_and(|a| a.as_ref().is_err_and(Failure::is_fatal))
            }
        }
    }

    fn push(&mut self, line: Line) -> Result<(), String> {
        match (line, self.compiled.is_some()) {
            (Line::Compiled { has_ex }, false) => self.compiled = Some(Ok(has_ex)),
            (Line::CompileFailed(e), false) => {
                self.compile_detail = e.compile;
                self.compiled = Some(Err(if e.runaway {
                    Failure::Runaway(e.message)
                } else {
                    Failure::Script(e.message)
                }));
            }
            (Line::Answer(a), true) => self.answers.push(Ok(a)),
            (Line::Failed(e), true) => self.answers.push(Err(if e.runaway {
                Failure::Runaway(e.message)
            } else {
                Failure::Script(e.message)
            })),
            (line, _) => return Err(format!("unexpected answer {line:?}")),
        }
        Ok(())
    }

    /// Ends the run with `failure` at the current step (the first query without an answer, or
    /// the compilation); every later query is "not run".
    fn fail(&mut self, failure: Failure) {
        match &self.compiled {
            None => self.compiled = Some(Err(failure)),
            Some(Err(_)) => {}
            Some(Ok(_)) => {
                if self.answers.len() < self.req.queries.len() {
                    self.answers.push(Err(failure));
                }
            }
        }
    }

    fn finish(mut self) -> Outcome {
        let compiled = self
            .compiled
            .take()
            .unwrap_or_else(|| Err(Failure::Worker("no answer".into())));
        let queries = &self.req.queries;
        let mut answers = self.answers;
        if let Err(e) = &compiled {
            answers = queries.iter().map(|_| Err(e.clone())).collect();
        } else if answers.len() < queries.len() {
            let after = answers
                .len()
                .checked_sub(1)
                .and_then(|i| queries.get(i))
                .map_or_else(String::new, |q| q.url.clone());
            answers.resize_with(queries.len(), || {
                Err(Failure::NotRun {
                    after: after.clone(),
                })
            });
        }
        Outcome {
            compiled,
            compile_detail: self.compile_detail,
            answers,
        }
    }
}

/// Why a worker that stopped answering died, from its exit status and its stderr.
fn explain(status: Option<ExitStatus>, stderr: &str) -> Failure {
    if stderr.contains("memory allocation of") {
        return Failure::Crashed(format!(
            "out of memory: the script needed more than the {} MiB limit",
            MEMORY_LIMIT_BYTES >> 20
        ));
    }
    if stderr.contains("has overflowed its stack") {
        return Failure::Crashed(
            "stack overflow: the script nests too deeply for the parser".into(),
        );
    }
    let panic = stderr
        .lines()
        .skip_while(|l| !l.contains("panicked at"))
        .nth(1)
        .map(str::trim);
    if let Some(p) = panic {
        return Failure::Crashed(format!("the PAC engine failed: {p}"));
    }
    let Some(status) = status else {
        return Failure::Crashed("it stopped answering".into());
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Failure::Crashed(format!("killed by signal {sig}"));
        }
    }
    match status.code() {
        // Windows: STATUS_STACK_OVERFLOW.
        Some(c) if c as u32 == 0xC000_00FD => {
            Failure::Crashed("stack overflow: the script nests too deeply for the parser".into())
        }
        Some(c) => {
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            Failure::Crashed(format!("exit code {c} {first}").trim().to_string())
        }
        None => Failure::Crashed("it stopped answering".into()),
    }
}

/// Evaluates `req` in a worker process, giving up at `deadline` (the worker is killed then).
pub async fn evaluate(req: &Request, deadline: Instant) -> Outcome {
    #[cfg(test)]
    if EXE.get().is_none() {
        return in_process(req);
    }
    let mut asm = Assembler::new(req);
    if let Err(failure) = run(req, deadline, &mut asm).await {
        asm.fail(failure);
    }
    asm.finish()
}

async fn run(req: &Request, deadline: Instant, asm: &mut Assembler<'_>) -> Result<(), Failure> {
    let exe = match EXE.get() {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .map_err(|e| Failure::Worker(format!("cannot find this program: {e}")))?,
    };
    let mut child = Command::new(&exe)
        .arg(SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::Worker(format!("cannot start {}: {e}", exe.display())))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(Failure::Worker("no pipes to the worker".into()));
    };
    let mut text = serde_json::to_string(req).map_err(|e| Failure::Worker(e.to_string()))?;
    text.push('\n');
    let errors = tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut stderr = stderr;
        let _ = (&mut stderr).take(STDERR_KEEP).read_to_end(&mut kept).await;
        // Drain the rest so the worker never blocks on a full pipe.
        let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        String::from_utf8_lossy(&kept).into_owned()
    });
    let feed = async move {
        stdin.write_all(text.as_bytes()).await?;
        stdin.shutdown().await
    };
    let mut lines = BufReader::new(stdout).lines();
    let read = async {
        // The worker reads the whole request before it answers: writing first cannot deadlock.
        match tokio::time::timeout_at(deadline, feed).await {
            Err(_) => return Err(Stop::Deadline),
            // It died before reading everything: its exit status says why.
            Ok(Err(_)) => return Err(Stop::Closed),
            Ok(Ok(())) => {}
        }
        while !asm.done() {
            let wait = asm.wait_for_next();
            let own = Instant::now() + wait;
            match tokio::time::timeout_at(own.min(deadline), lines.next_line()).await {
                Err(_) if deadline < own => return Err(Stop::Deadline),
                Err(_) => return Err(Stop::Killed(wait)),
                Ok(Ok(Some(l))) => {
                    let line: Line = serde_json::from_str(&l)
                        .map_err(|e| Stop::Garbled(format!("malformed answer ({e})")))?;
                    asm.push(line).map_err(Stop::Garbled)?;
                }
                Ok(Ok(None)) => return Err(Stop::Closed),
                Ok(Err(e)) => return Err(Stop::Garbled(format!("cannot read the answer: {e}"))),
            }
        }
        Ok(())
    };
    let result = read.await;
    let stop = match result {
        Ok(()) => {
            // It exits after its last answer; one that lingers is killed on drop.
            let _ =
                tokio::time::timeout_at(deadline.min(Instant::now() + CALL_GRACE), child.wait())
                    .await;
            return Ok(());
        }
        Err(stop) => stop,
    };
    match stop {
        Stop::Killed(waited) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            Err(Failure::Killed { waited })
        }
        Stop::Deadline => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            Err(Failure::Deadline)
        }
        Stop::Garbled(message) => Err(Failure::Worker(message)),
        Stop::Closed => {
            // The worker closed its output: it exited or died. Give it a moment to be reaped.
            let left = deadline.saturating_duration_since(Instant::now());
            let status = match tokio::time::timeout(left.min(CALL_GRACE), child.wait()).await {
                Ok(Ok(s)) => Some(s),
                _ => {
                    let _ = child.start_kill();
                    None
                }
            };
            let stderr = tokio::time::timeout(CALL_GRACE, errors)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            match status {
                // Exited cleanly after its last answer (a runaway call ends the run).
                Some(s) if s.success() && stderr.is_empty() => Ok(()),
                s => Err(explain(s, &stderr)),
            }
        }
    }
}

/// Why the parent stopped reading.
enum Stop {
    /// No answer within the call's limit.
    Killed(Duration),
    /// The caller's deadline came first.
    Deadline,
    /// The worker closed its output.
    Closed,
    /// The answer was not understood.
    Garbled(String),
}

/// Lib unit tests run in a test binary, not `pe-doctor`: evaluate on a thread of this process.
#[cfg(test)]
fn in_process(req: &Request) -> Outcome {
    let mut asm = Assembler::new(req);
    let owned = req.clone();
    let out = std::thread::Builder::new()
        .stack_size(super::ENGINE_STACK_BYTES)
        .spawn(move || {
            let mut out = Vec::new();
            super::serve(owned, &mut out).map(|()| out)
        })
        .ok()
        .and_then(|h| h.join().ok())
        .and_then(Result::ok)
        .unwrap_or_default();
    for l in String::from_utf8_lossy(&out).lines() {
        match serde_json::from_str::<Line>(l) {
            Ok(line) => {
                if let Err(e) = asm.push(line) {
                    asm.fail(Failure::Worker(e));
                    break;
                }
            }
            Err(e) => {
                asm.fail(Failure::Worker(e.to_string()));
                break;
            }
        }
    }
    asm.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{MachineHost, Query, ScriptError};
    use super::*;

    fn req(n: usize) -> Request {
        Request {
            source: String::new(),
            host: MachineHost::new(),
            queries: (0..n)
                .map(|i| Query {
                    url: format!("http://h{i}/"),
                    host: None,
                })
                .collect(),
            prefer_ex: false,
            per_call_ms: 100,
        }
    }

    fn answer(raw: &str) -> Line {
        Line::Answer(Evaluated {
            raw: raw.into(),
            entry_point: "FindProxyForURL".into(),
            alerts: vec![],
            dns_queries: vec![],
        })
    }

    #[test]
    fn a_failure_names_its_url_and_the_rest_are_not_run() {
        let r = req(3);
        let mut asm = Assembler::new(&r);
        asm.push(Line::Compiled { has_ex: false }).unwrap();
        asm.push(answer("DIRECT")).unwrap();
        asm.fail(Failure::Killed {
            waited: Duration::from_millis(600),
        });
        let o = asm.finish();
        assert_eq!(o.compiled, Ok(false));
        assert!(o.answers[0].is_ok());
        assert!(matches!(o.answers[1], Err(Failure::Killed { .. })));
        assert_eq!(
            o.answers[2],
            Err(Failure::NotRun {
                after: "http://h1/".into()
            })
        );
    }

    #[test]
    fn a_runaway_answer_ends_the_run_and_a_compile_error_fails_every_query() {
        let r = req(3);
        let mut asm = Assembler::new(&r);
        asm.push(Line::Compiled { has_ex: false }).unwrap();
        asm.push(Line::Failed(ScriptError {
            message: "too long".into(),
            runaway: true,
            compile: None,
        }))
        .unwrap();
        assert!(asm.done());
        let o = asm.finish();
        assert_eq!(o.answers[0], Err(Failure::Runaway("too long".into())));
        assert!(matches!(o.answers[2], Err(Failure::NotRun { .. })));
        let mut asm = Assembler::new(&r);
        asm.push(Line::CompileFailed(ScriptError {
            message: "syntax".into(),
            runaway: false,
            compile: None,
        }))
        .unwrap();
        assert!(asm.done());
        let o = asm.finish();
        assert_eq!(o.answers.len(), 3);
        assert!(
            o.answers
                .iter()
                .all(|a| a == &Err(Failure::Script("syntax".into())))
        );
        assert!(asm_rejects_out_of_order(&r));
    }

    fn asm_rejects_out_of_order(r: &Request) -> bool {
        Assembler::new(r).push(answer("DIRECT")).is_err()
    }

    #[test]
    fn crashes_are_explained() {
        let oom = explain(None, "memory allocation of 1073741824 bytes failed\n");
        assert!(oom.to_string().contains("out of memory"), "{oom}");
        let so = explain(
            None,
            "\nthread 'pac-engine' has overflowed its stack\nfatal runtime error: stack overflow",
        );
        assert!(so.to_string().contains("stack overflow"), "{so}");
        let p = explain(
            None,
            "thread 'pac-engine' panicked at src/x.rs:1:1:\ncapacity overflow\nnote: ...",
        );
        assert!(p.to_string().ends_with("capacity overflow"), "{p}");
    }
}
