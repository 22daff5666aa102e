//! Running an OS tool with a deadline: spawn it in its own process group, read its output on
//! helper threads, wait until `min(its limit, the diagnosis deadline)`, then kill the whole
//! group (a tool that forks leaves nothing behind). A collector never hangs on a stuck tool.
//!
//! The diagnosis deadline reaches every collector without changing its signature: the job
//! that runs a collector sets it for its thread with [`within`].

use std::cell::Cell;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Limit for one OS tool (capped by the time left before the deadline).
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(8);

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `f` with every tool it starts on this thread bounded by `deadline`.
pub fn within<T>(deadline: Instant, f: impl FnOnce() -> T) -> T {
    let before = DEADLINE.with(|d| d.replace(Some(deadline)));
    let out = f();
    DEADLINE.with(|d| d.set(before));
    out
}

/// `min(limit, time left)` under the thread's deadline.
fn capped(limit: Duration) -> Duration {
    DEADLINE.with(Cell::get).map_or(limit, |d| {
        limit.min(d.saturating_duration_since(Instant::now()))
    })
}

/// `2.0 s`, `350 ms`.
fn shown(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Process ids (each its own process group's leader) of the tools running now, so that an
/// interrupted pe-doctor can end them: they do not get the terminal's Ctrl-C themselves.
static LIVE: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<u32>> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Set once pe-doctor is stopping (Ctrl-C): no tool is started any more.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn stopping() -> bool {
    STOPPING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Kills every OS tool still running, with what it started, and refuses to start more (for
/// Ctrl-C: the collectors' threads would otherwise go on to their next tool); returns how many
/// were running.
pub fn kill_all_running() -> usize {
    STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    let pids = std::mem::take(&mut *live());
    for &pid in &pids {
        kill_pid_tree(pid);
    }
    pids.len()
}

/// A started tool: killed with its process group when dropped unless it was reaped.
struct Running {
    child: Child,
    reaped: bool,
}

impl Running {
    fn new(child: Child) -> Self {
        live().push(child.id());
        Running {
            child,
            reaped: false,
        }
    }

    /// Marks the tool reaped: its process id may be reused from now on.
    fn set_reaped(&mut self) {
        self.reaped = true;
        let id = self.child.id();
        live().retain(|&p| p != id);
    }

    fn kill(&mut self) {
        if self.reaped {
            return;
        }
        kill_tree(&mut self.child);
        let _ = self.child.wait();
        self.set_reaped();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Kills the tool and everything it started.
fn kill_tree(child: &mut Child) {
    kill_pid_tree(child.id());
    let _ = child.kill();
}

/// Kills the process group led by `pid` (each tool leads its own, spawned with
/// `process_group(0)`).
#[cfg(unix)]
fn kill_pid_tree(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Kills the process `pid` and the processes it started.
#[cfg(windows)]
fn kill_pid_tree(pid: u32) {
    let _ = Command::new("taskkill")
        .args(["/F", "/T", "/PID", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// No process tree to kill on this platform (the child itself is killed by the caller).
#[cfg(not(any(unix, windows)))]
fn kill_pid_tree(_pid: u32) {}

fn own_group(cmd: &mut Command) -> &mut Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd
}

/// Largest output read from a tool (anything beyond is dropped).
const MAX_OUTPUT: u64 = 4 * 1024 * 1024;

/// Why an OS tool gave no usable output.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The program is not installed / not on PATH.
    #[error("`{program}` not found")]
    NotFound {
        /// The program name.
        program: String,
    },
    /// The program ran past its deadline and was killed.
    #[error("`{program}` did not answer within {} and was stopped", shown(*timeout))]
    TimedOut {
        /// The program name.
        program: String,
        /// The deadline it was given.
        timeout: Duration,
    },
    /// The deadline had passed before the program could be started.
    #[error("`{program}` was not run: the deadline had passed")]
    NoTimeLeft {
        /// The program name.
        program: String,
    },
    /// The program exited unsuccessfully.
    #[error("`{program}` failed ({status}): {stderr}")]
    Failed {
        /// The program name.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// The first line of its standard error.
        stderr: String,
    },
    /// Starting or talking to the program failed.
    #[error("`{program}`: {source}")]
    Io {
        /// The program name.
        program: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs `program args...` and returns its standard output as text, or why not. Output that
/// is not UTF-8 is decoded from the OEM code page on Windows, where console tools write in it
/// (see [`crate::host::windows::codepage`]), and lossily elsewhere. Standard input is closed;
/// the child and its process group are killed if it outlives
/// `min(timeout, time left before the thread's deadline)`.
pub fn run(program: &str, args: &[&str], timeout: Duration) -> Result<String, CommandError> {
    let cp = crate::host::windows::codepage::oem_codepage();
    run_bytes(program, args, timeout)
        .map(|b| crate::host::windows::codepage::decode_console(&b, cp))
}

/// Like [`run`], returning the raw bytes of standard output.
pub fn run_bytes(program: &str, args: &[&str], timeout: Duration) -> Result<Vec<u8>, CommandError> {
    let timeout = capped(timeout);
    if timeout.is_zero() || stopping() {
        return Err(CommandError::NoTimeLeft {
            program: program.to_string(),
        });
    }
    let child = own_group(Command::new(program).args(args))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                CommandError::NotFound {
                    program: program.to_string(),
                }
            } else {
                CommandError::Io {
                    program: program.to_string(),
                    source,
                }
            }
        })?;
    let mut running = Running::new(child);
    // Started while pe-doctor began to stop (it was not in the list that was killed).
    if stopping() {
        running.kill();
        return Err(CommandError::NoTimeLeft {
            program: program.to_string(),
        });
    }

    let stdout_rx = running.child.stdout.take().map(spawn_reader);
    let stderr_rx = running.child.stderr.take().map(spawn_reader);

    let deadline = Instant::now() + timeout;
    let status = loop {
        match running.child.try_wait() {
            Ok(Some(status)) => {
                // Whatever the tool left running in its group goes too.
                kill_group_of_exited(&running.child);
                running.set_reaped();
                break status;
            }
            Ok(None) => {
                if Instant::now() >= deadline {
                    running.kill();
                    return Err(CommandError::TimedOut {
                        program: program.to_string(),
                        timeout,
                    });
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                running.kill();
                return Err(CommandError::Io {
                    program: program.to_string(),
                    source,
                });
            }
        }
    };

    // A grandchild may still hold the pipes open: never wait past the deadline for them.
    let remaining = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(100))
    };
    let stdout = stdout_rx
        .and_then(|rx| rx.recv_timeout(remaining()).ok())
        .unwrap_or_default();
    if !status.success() {
        let stderr = stderr_rx
            .and_then(|rx| rx.recv_timeout(remaining()).ok())
            .unwrap_or_default();
        let cp = crate::host::windows::codepage::oem_codepage();
        let stderr = crate::host::windows::codepage::decode_console(&stderr, cp);
        let stdout_text = crate::host::windows::codepage::decode_console(&stdout, cp);
        let first = stderr
            .lines()
            .chain(stdout_text.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string();
        return Err(CommandError::Failed {
            program: program.to_string(),
            status,
            stderr: first,
        });
    }
    crate::host::raw_capture::record(&capture_label(program, args), &stdout);
    Ok(stdout)
}

/// How a tool's output is named in raw captures: the command line, with an encoded
/// PowerShell script shown as `<script>`.
fn capture_label(program: &str, args: &[&str]) -> String {
    let mut label = program.to_string();
    let mut hide_next = false;
    for a in args {
        label.push(' ');
        label.push_str(if hide_next { "<script>" } else { a });
        hide_next = a.eq_ignore_ascii_case("-EncodedCommand");
    }
    label
}

/// A real non-zero exit status, for tests of tool failures.
#[cfg(test)]
pub(crate) fn failed_exit_status() -> ExitStatus {
    #[cfg(unix)]
    {
        std::os::unix::process::ExitStatusExt::from_raw(1 << 8)
    }
    #[cfg(windows)]
    {
        std::os::windows::process::ExitStatusExt::from_raw(1)
    }
}

/// Kills what an exited tool left in its process group (a daemonised grandchild). Unix only:
/// elsewhere nothing of an exited tool can be found by its id any more.
fn kill_group_of_exited(child: &Child) {
    #[cfg(unix)]
    kill_pid_tree(child.id());
    #[cfg(not(unix))]
    let _ = child;
}

/// Reads a pipe to its end on a helper thread and sends the bytes.
fn spawn_reader<R: Read + Send + 'static>(pipe: R) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn returns_stdout() {
        let out = run("sh", &["-c", "printf 'a\\nb\\n'"], Duration::from_secs(5)).unwrap();
        assert_eq!(out, "a\nb\n");
    }

    /// `cmd.exe` stands in for `sh` on Windows.
    #[cfg(windows)]
    #[test]
    fn returns_stdout_and_carries_stderr_on_windows() {
        let out = run("cmd", &["/c", "echo a"], Duration::from_secs(10)).unwrap();
        assert_eq!(out.trim_end(), "a");
        let err = run(
            "cmd",
            &["/c", "echo boom happened 1>&2 & exit /b 3"],
            Duration::from_secs(10),
        )
        .unwrap_err();
        match err {
            CommandError::Failed { stderr, status, .. } => {
                assert_eq!(stderr, "boom happened");
                assert_eq!(status.code(), Some(3));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failed_exit_status_is_a_failure() {
        assert_eq!(failed_exit_status().code(), Some(1));
        assert!(!failed_exit_status().success());
    }

    #[test]
    fn missing_tool_is_not_found() {
        let err = run("pe-doctor-no-such-tool-xyz", &[], Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, CommandError::NotFound { .. }), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn failure_carries_stderr() {
        let err = run(
            "sh",
            &["-c", "echo 'boom happened' >&2; exit 3"],
            Duration::from_secs(5),
        )
        .unwrap_err();
        match err {
            CommandError::Failed { stderr, status, .. } => {
                assert_eq!(stderr, "boom happened");
                assert_eq!(status.code(), Some(3));
            }
            other => panic!("{other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn stuck_tool_is_killed_at_deadline() {
        let start = Instant::now();
        let err = run("sleep", &["30"], Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, CommandError::TimedOut { .. }), "{err:?}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[cfg(unix)]
    #[test]
    fn grandchild_holding_pipe_does_not_block() {
        // The shell exits at once but leaves a background sleeper with our stdout.
        let start = Instant::now();
        let out = run(
            "sh",
            &["-c", "echo hi; sleep 3 & exit 0"],
            Duration::from_millis(500),
        )
        .unwrap();
        assert!(out.is_empty() || out == "hi\n", "{out:?}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}
