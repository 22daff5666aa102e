//! The edge between the command line and the library: runs a command, writes its output and
//! returns the exit code (0 healthy, 1 error finding, 2 usage/input error, 3 inconclusive).

use crate::cli::{Cli, Command, DiagnoseArgs, Format, LabArgs};
use crate::config::{self, Config};
use crate::fsio::Output;
use crate::lab::scenarios::{self, LabOptions};
use crate::report;
use crate::report::model::{Report, Verdict};
use crate::report::sanitize::sanitize_lines;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Exit code: no error-severity finding.
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one error finding.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: usage, configuration or input error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: inconclusive (nothing answered).
pub const EXIT_INCONCLUSIVE: u8 = 3;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The exit code for a report.
pub fn exit_code(report: &Report) -> u8 {
    match report.verdict {
        Verdict::Healthy => EXIT_OK,
        Verdict::Problems => EXIT_PROBLEMS,
        Verdict::Inconclusive => EXIT_INCONCLUSIVE,
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> u8 {
    // The PAC worker sets its limits first, in a process with no runtime threads.
    if matches!(cli.command, Some(Command::PacWorker)) {
        return crate::pac_worker::main();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pe-doctor: cannot start the async runtime: {e}");
            return EXIT_USAGE;
        }
    };
    let code = match cli.command {
        None => runtime.block_on(interruptible(crate::commands::interactive::run(
            cli.config,
            cli.targets,
        ))),
        Some(Command::Diagnose(args)) => runtime.block_on(interruptible(diagnose(&args))),
        Some(Command::Lab(args)) => runtime.block_on(lab(&args)),
        Some(Command::Completions { shell }) => {
            let mut buf = Vec::new();
            crate::commands::completions::completions(shell, &mut buf);
            print_all(&buf, "the completions")
        }
        Some(Command::Man) => {
            let mut buf = Vec::new();
            match crate::commands::completions::man(&mut buf) {
                Ok(()) => print_all(&buf, "the manual page"),
                Err(e) => {
                    eprintln!("pe-doctor: cannot write the manual page: {e}");
                    EXIT_USAGE
                }
            }
        }
        Some(Command::Pac(args)) => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match crate::pac_cmd::run(&args, &mut out, &mut std::io::stderr()) {
                Ok(outcome) if outcome.errors > 0 => EXIT_PROBLEMS,
                Ok(_) => EXIT_OK,
                // A closed pipe (`| head`): the reader has what it wanted.
                Err(crate::pac_cmd::PacCmdError::Io(e))
                    if e.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("pe-doctor pac: {}", sanitize_lines(&e.to_string()));
                    EXIT_USAGE
                }
            }
        }
        // Answered above, before the runtime starts.
        Some(Command::PacWorker) => EXIT_USAGE,
    };
    // Work that cannot be cancelled (a getaddrinfo call the deadline cut off) must not hold
    // the exit: the report is out, so wait only briefly for it.
    runtime.shutdown_timeout(EXIT_GRACE);
    code
}

/// How long the exit waits for blocking work the deadline cut off.
const EXIT_GRACE: Duration = Duration::from_millis(50);

async fn diagnose(args: &DiagnoseArgs) -> u8 {
    let config = match crate::commands::diagnose::resolve(args).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pe-doctor: {}", sanitize_lines(&e.to_string()));
            return EXIT_USAGE;
        }
    };
    let Ok(output) = open_output(config.output.as_deref()) else {
        return EXIT_USAGE;
    };
    if let Some(dir) = &args.save_raw {
        if let Err(e) = crate::save_raw::prepare(dir) {
            eprintln!(
                "pe-doctor: --save-raw {}",
                sanitize_lines(&format!("{}: {e}", dir.display()))
            );
            return EXIT_USAGE;
        }
        crate::host::raw_capture::start();
    }
    let report = run_diagnosis(&config).await;
    if let Some(dir) = &args.save_raw {
        let recorded = crate::host::raw_capture::take();
        match crate::save_raw::save(dir, &recorded, config.redact) {
            Ok(_) => eprintln!(
                "pe-doctor: {} raw captures and the parsed facts written to {}",
                recorded.captures.len(),
                sanitize_lines(&dir.display().to_string())
            ),
            Err(e) => {
                eprintln!(
                    "pe-doctor: cannot write to {}",
                    sanitize_lines(&format!("{}: {e}", dir.display()))
                );
                return EXIT_USAGE;
            }
        }
    }
    emit(report, config.redact, config.format, output)
}

/// Checks and prepares `--output` before any probing; the error is printed here.
fn open_output(path: Option<&std::path::Path>) -> Result<Option<Output>, ()> {
    path.map(Output::open).transpose().map_err(|e| {
        let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
        eprintln!(
            "pe-doctor: {}",
            sanitize_lines(&format!("--output {shown}: {e}"))
        );
    })
}

/// Collects this machine's facts and runs the diagnosis, with a spinner on a terminal.
pub async fn run_diagnosis(config: &Config) -> Report {
    let spinner = Spinner::start(config.targets.len());
    let report = crate::diagnose::diagnose_this_machine(config).await;
    spinner.stop().await;
    report
}

/// Prints the text report on standard output (colour and width from the terminal); returns
/// the report's exit code, or [`EXIT_USAGE`] when it cannot be written.
pub fn print_text(report: &Report) -> u8 {
    render_stdout(report, Format::Text)
}

fn render_stdout(report: &Report, format: Format) -> u8 {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    let written = match format {
        Format::Text => report::text::render_width(
            report,
            use_color(terminal),
            text_width(terminal, std::env::var("COLUMNS").ok().as_deref()),
            &mut out,
        ),
        other => report::render(report, other, false, &mut out),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => exit_code(report),
        // A closed pipe (e.g. `| head`) is not a failure of the diagnosis.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit_code(report),
        Err(e) => {
            eprintln!("pe-doctor: cannot write the report: {e}");
            EXIT_USAGE
        }
    }
}

/// Width of the text report: `COLUMNS` when set, else the terminal's width, else 80.
pub fn text_width(is_terminal: bool, columns: Option<&str>) -> usize {
    const MIN: usize = 40;
    if let Some(n) = columns.and_then(|c| c.trim().parse::<usize>().ok())
        && n > 0
    {
        return n.max(MIN);
    }
    // A pseudo-terminal nobody sized reports 0 columns.
    if is_terminal
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
        && w > 0
    {
        return usize::from(w).max(MIN);
    }
    80
}

/// Redacts the report when asked, writes it to the output file or stdout; returns the exit code.
fn emit(mut report: Report, redact: bool, format: Format, output: Option<Output>) -> u8 {
    if redact {
        report::redact::redact(
            &mut report,
            &report::redact::RedactionContext::for_this_machine(),
        );
    }
    let report = &report;
    match output {
        Some(output) => {
            let shown = output.path().display().to_string();
            let mut buf = Vec::new();
            let written =
                report::render(report, format, false, &mut buf).and_then(|()| output.write(&buf));
            match written {
                Ok(()) => {
                    eprintln!("pe-doctor: report written to {}", sanitize_lines(&shown));
                    exit_code(report)
                }
                Err(e) => {
                    let msg = format!("cannot write {shown}: {e}");
                    eprintln!("pe-doctor: {}", sanitize_lines(&msg));
                    EXIT_USAGE
                }
            }
        }
        None => render_stdout(report, format),
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org); on
/// Windows only when the console accepts escape sequences (they are switched on first).
pub fn use_color(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && escapes_work()
}

/// False on a Windows console that cannot be switched to escape sequences (which it would
/// print raw); true elsewhere.
fn escapes_work() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(true)
}

async fn lab(args: &LabArgs) -> u8 {
    if args.list {
        let list: String = scenarios::SCENARIOS
            .iter()
            .map(|s| format!("{:<26} {}\n", s.name, s.summary))
            .collect();
        return print_all(list.as_bytes(), "the list");
    }
    let format = match Format::resolve(args.format, args.output.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pe-doctor lab: --output: {e}");
            return EXIT_USAGE;
        }
    };
    let mut opts = LabOptions::default();
    for (flag, value, slot) in [
        ("--latency", &args.latency, &mut opts.latency),
        ("--timeout", &args.timeout, &mut opts.timeout),
    ] {
        if let Some(v) = value {
            let parsed = if flag == "--timeout" {
                config::parse_timeout(flag, v)
            } else {
                config::parse_duration(flag, v)
            };
            match parsed {
                Ok(d) => *slot = d,
                Err(e) => {
                    eprintln!("pe-doctor lab: {e}");
                    return EXIT_USAGE;
                }
            }
        }
    }
    let Some(name) = &args.scenario else {
        return tour(&opts).await;
    };
    let Ok(output) = open_output(args.output.as_deref()) else {
        return EXIT_USAGE;
    };
    let run = match scenarios::setup(name, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pe-doctor lab: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(addr) = args.serve {
        return serve(&run, addr).await;
    }
    let spinner = Spinner::start(run.config.targets.len());
    let report = run.diagnose().await;
    spinner.stop().await;
    emit(report, true, format, output)
}

/// Serves the scenario's system view on `addr` until Ctrl-C (or SIGTERM's default action).
async fn serve(run: &scenarios::LabRun, addr: std::net::SocketAddr) -> u8 {
    use crate::lab::dns_server::{LabDnsServer, ServerOptions};
    let server =
        match LabDnsServer::spawn_on(addr, ServerOptions::answer(run.system_view.clone())).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("pe-doctor lab: cannot listen on {addr}: {e}");
                return EXIT_USAGE;
            }
        };
    let line = format!("serving on {} (udp+tcp); Ctrl-C to stop\n", server.addr());
    if let Err(code) = stdout_or_exit(line.as_bytes(), "the address") {
        return code;
    }
    let _ = tokio::signal::ctrl_c().await;
    EXIT_OK
}

/// Runs every scenario and prints one line each.
async fn tour(opts: &LabOptions) -> u8 {
    let intro =
        "pe-doctor lab: a tour of the simulated scenarios (run one with `pe-doctor lab NAME`)\n\n";
    if let Err(code) = stdout_or_exit(intro.as_bytes(), "the tour") {
        return code;
    }
    for s in scenarios::SCENARIOS {
        let line = match scenarios::setup(s.name, opts).await {
            Ok(run) => {
                let report = run.diagnose().await;
                let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
                let warned = report
                    .findings
                    .iter()
                    .any(|f| f.severity == crate::findings::Severity::Warning);
                let verdict = match report.verdict {
                    Verdict::Healthy if warned => "! warnings",
                    Verdict::Healthy => "✓ healthy",
                    Verdict::Problems => "✗ problems",
                    Verdict::Inconclusive => "? inconclusive",
                };
                format!(
                    "{:<26} {:<15} {}",
                    s.name,
                    verdict,
                    if ids.is_empty() {
                        "no findings".to_string()
                    } else {
                        ids.join(", ")
                    }
                )
            }
            Err(e) => format!("{:<26} could not start: {e}", s.name),
        };
        let terminal = std::io::stdout().is_terminal();
        let width = text_width(terminal, std::env::var("COLUMNS").ok().as_deref());
        let lines: String = report::text::fit(&line, width)
            .into_iter()
            .map(|l| format!("{l}\n"))
            .collect();
        if let Err(code) = stdout_or_exit(lines.as_bytes(), "the tour") {
            return code;
        }
    }
    EXIT_OK
}

/// Runs `work` until it ends or the user presses Ctrl-C. OS tools run in process groups of
/// their own (so that a stuck one can be killed with what it started), which keeps the
/// terminal's Ctrl-C from them: on Ctrl-C they are killed here, and the PAC worker with the
/// dropped work. Exit code 130.
async fn interruptible(work: impl std::future::Future<Output = u8>) -> u8 {
    tokio::select! {
        code = work => code,
        Ok(()) = tokio::signal::ctrl_c() => {
            let tools = crate::host::dns_config::command::kill_all_running();
            if tools > 0 {
                eprintln!("\npe-doctor: interrupted; stopped {tools} running tool(s)");
            } else {
                eprintln!("\npe-doctor: interrupted");
            }
            EXIT_INTERRUPTED
        }
    }
}

/// [`stdout_or_exit`] as a command's whole output: its exit code.
fn print_all(bytes: &[u8], what: &str) -> u8 {
    stdout_or_exit(bytes, what).map_or_else(|code| code, |()| EXIT_OK)
}

/// Writes `bytes` to standard output and flushes. A closed pipe (`| head`) is `Err(EXIT_OK)`:
/// stop quietly, the reader has what it wanted; another error is reported, `Err(EXIT_USAGE)`.
fn stdout_or_exit(bytes: &[u8], what: &str) -> Result<(), u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(EXIT_OK),
        Err(e) => {
            eprintln!("pe-doctor: cannot write {what}: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// A progress spinner on stderr, shown only when stderr is a terminal.
struct Spinner {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    fn start(names: usize) -> Self {
        if !std::io::stderr().is_terminal() || !escapes_work() {
            return Self { task: None };
        }
        let task = tokio::spawn(async move {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0usize;
            loop {
                eprint!("\r{} checking {names} names…", frames[i % frames.len()]);
                i += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self { task: Some(task) }
    }

    async fn stop(self) {
        if let Some(task) = self.task {
            task.abort();
            let _ = task.await;
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_width_from_columns_else_80_off_a_terminal() {
        assert_eq!(text_width(false, None), 80);
        assert_eq!(text_width(false, Some("120")), 120);
        assert_eq!(text_width(true, Some("100")), 100);
        assert_eq!(text_width(false, Some("10")), 40);
        assert_eq!(text_width(false, Some("wide")), 80);
        assert_eq!(text_width(false, Some("0")), 80);
    }
}
