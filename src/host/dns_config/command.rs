//! Running an OS tool with a deadline: spawn, read its output on a helper thread, wait until
//! the deadline, kill on expiry. A collector never hangs on a stuck tool.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Default deadline for one OS tool.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(8);

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
    #[error("`{program}` did not finish within {timeout:?} and was stopped")]
    TimedOut {
        /// The program name.
        program: String,
        /// The deadline it was given.
        timeout: Duration,
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

/// Runs `program args...` and returns its standard output (lossy UTF-8), or why not.
/// Standard input is closed; the child is killed if it outlives `timeout`.
pub fn run(program: &str, args: &[&str], timeout: Duration) -> Result<String, CommandError> {
    let mut child = Command::new(program)
        .args(args)
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

    let stdout_rx = child.stdout.take().map(spawn_reader);
    let stderr_rx = child.stderr.take().map(spawn_reader);

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                if Instant::now() >= deadline {
                    // Best effort: the child may have exited in between.
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(CommandError::TimedOut {
                        program: program.to_string(),
                        timeout,
                    });
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
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
        let first = stderr
            .lines()
            .chain(stdout.lines())
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
    Ok(stdout)
}

/// Reads a pipe to its end on a helper thread and sends the (lossy UTF-8) text.
fn spawn_reader<R: Read + Send + 'static>(pipe: R) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn returns_stdout() {
        let out = run("sh", &["-c", "printf 'a\\nb\\n'"], Duration::from_secs(5)).unwrap();
        assert_eq!(out, "a\nb\n");
    }

    #[test]
    fn missing_tool_is_not_found() {
        let err = run("pe-doctor-no-such-tool-xyz", &[], Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, CommandError::NotFound { .. }), "{err:?}");
    }

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
