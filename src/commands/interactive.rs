//! The double-click mode: `pe-doctor` with no arguments (or only TARGETs) asks for a link or workspace ID (unless
//! the helpdesk's `pe-doctor.toml` next to the program names the workspace), runs the
//! diagnosis, prints the text report and saves an HTML report where the user can find it.
//! Started from the file manager (Windows Explorer), the window waits for Enter before closing.

use super::diagnose::resolve;
use crate::app::{self, EXIT_USAGE};
use crate::cli::{DiagnoseArgs, Format};
use crate::config::{Config, ConfigError};
use crate::report::{self, model::Report};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The settings file a helpdesk ships next to the program.
pub const PRESET_FILE: &str = "pe-doctor.toml";

/// Runs the double-click mode with the settings file given, or the one next to the program.
/// With `targets` (`pe-doctor TARGET`) nothing is asked.
pub async fn run(config: Option<PathBuf>, targets: Vec<String>) -> u8 {
    let code = run_once(config.or_else(preset_next_to_program), targets).await;
    if should_pause(std::env::var("PE_DOCTOR_PAUSE").ok().as_deref()) {
        print!("\nPress Enter to close this window.");
        let _ = std::io::stdout().flush();
        // Read on a thread of its own, so that Ctrl-C (watched by the caller) still ends it.
        let _ = tokio::task::spawn_blocking(|| {
            // Lines left over from a pasted block are not the Enter the user is asked for.
            let mut stdin = std::io::stdin().lock();
            let mut line = String::new();
            while matches!(stdin.read_line(&mut line), Ok(n) if n > 0) && !line.trim().is_empty() {
                line.clear();
            }
        })
        .await;
    }
    code
}

/// `pe-doctor.toml` next to the program, when there is one.
pub fn preset_next_to_program() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.join(PRESET_FILE);
    path.is_file().then_some(path)
}

async fn run_once(preset: Option<PathBuf>, targets: Vec<String>) -> u8 {
    let mut args = DiagnoseArgs {
        config: preset.clone(),
        ..Default::default()
    };
    if let Some(p) = &preset {
        println!("pe-doctor: using the settings in {}", p.display());
    }
    match Config::from_args(&args) {
        _ if !targets.is_empty() => args.targets = targets,
        Ok(_) => {}
        // Asked on a thread of its own, so that Ctrl-C (watched by the caller) still ends it.
        Err(ConfigError::NoTargets) => {
            match tokio::task::spawn_blocking(ask).await.ok().flatten() {
                Some(answer) => args.targets = vec![answer],
                None => {
                    eprintln!(
                        "pe-doctor: no link given. Run it again and paste a link, or run \
                     `pe-doctor diagnose LINK` (see pe-doctor --help)."
                    );
                    return EXIT_USAGE;
                }
            }
        }
        Err(e) => {
            eprintln!("pe-doctor: {e}");
            return EXIT_USAGE;
        }
    }
    let config = match resolve(&args).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pe-doctor: {e}");
            return EXIT_USAGE;
        }
    };
    let mut report = app::run_diagnosis(&config).await;
    if config.redact {
        report::redact::redact(
            &mut report,
            &report::redact::RedactionContext::for_this_machine(),
        );
    }
    let code = app::print_text(&report);
    if code == EXIT_USAGE {
        return code;
    }
    match save(&report, config.output.as_deref()) {
        Ok(path) => {
            println!(
                "\nThe report is saved as {}\nSend this file to your helpdesk.",
                path.display()
            );
            code
        }
        Err(e) => {
            eprintln!("pe-doctor: cannot save the report: {e}");
            EXIT_USAGE
        }
    }
}

/// One prompt with an example; None on end of input or an empty answer. An answer with no
/// workspace in it (or the first line of a pasted block) is followed by the next line, a few
/// times, with a word of why.
fn ask() -> Option<String> {
    println!(
        "pe-doctor finds out why this computer cannot reach an Azure Machine Learning workspace.\n\
         Paste a link to the workspace (from the browser's address bar or an error message) or \
         its workspace ID, then press Enter.\nFor example: {}",
        crate::targets::EXAMPLE_INPUT
    );
    print!("> ");
    let _ = std::io::stdout().flush();
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    for _ in 0..MAX_TRIES {
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(n) if n > 0 && !line.trim().is_empty() => {}
            _ => return None,
        }
        match crate::targets::parse_input(line.trim()) {
            Ok(_) => return Some(line.trim().to_string()),
            Err(e) => {
                println!("{e}\nTry again (or press Enter to stop):");
                print!("> ");
                let _ = std::io::stdout().flush();
            }
        }
    }
    Some(line.trim().to_string())
}

/// Answers read before giving up (a pasted error message arrives one line at a time).
const MAX_TRIES: usize = 20;

/// Writes the report file: to the preset's `output` (a folder or a file), else next to the
/// program, else in Downloads, Documents or the temporary folder, whichever takes it first.
fn save(report: &Report, preset: Option<&Path>) -> std::io::Result<PathBuf> {
    let name = file_name(&report.started_at);
    save_first(report, &candidates(preset, &name))
}

fn candidates(preset: Option<&Path>, name: &str) -> Vec<PathBuf> {
    match preset {
        Some(p) if p.is_dir() => vec![p.join(name)],
        Some(p) => vec![p.to_path_buf()],
        None => [
            std::env::current_exe()
                .ok()
                .and_then(|e| e.parent().map(Path::to_path_buf)),
            dirs::download_dir(),
            dirs::document_dir(),
            Some(std::env::temp_dir()),
        ]
        .into_iter()
        .flatten()
        .map(|d| d.join(name))
        .collect(),
    }
}

/// Writes the report to the first of `candidates` that takes it.
fn save_first(report: &Report, candidates: &[PathBuf]) -> std::io::Result<PathBuf> {
    let mut last = std::io::Error::other("no folder to write to");
    for path in candidates {
        let format = Format::from_extension(path).unwrap_or(Format::Html);
        let mut buf = Vec::new();
        report::render(report, format, false, &mut buf)?;
        match report::write_atomically(path, &buf) {
            Ok(()) => return Ok(path.clone()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// `pe-doctor-report-20261130-104012.html` from the report's RFC 3339 start time.
fn file_name(started_at: &str) -> String {
    let digits: String = started_at
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let stamp = if digits.len() == 14 {
        format!("{}-{}", &digits[..8], &digits[8..])
    } else {
        "latest".to_string()
    };
    format!("pe-doctor-report-{stamp}.html")
}

/// Whether to wait for Enter before exiting: `PE_DOCTOR_PAUSE=1`/`0` decides; otherwise only
/// when started from the file manager, whose console window would close at once.
fn should_pause(env: Option<&str>) -> bool {
    match env.map(str::trim) {
        Some("1") | Some("true") | Some("yes") => true,
        Some("0") | Some("false") | Some("no") => false,
        _ => std::io::stdin().is_terminal() && started_from_file_manager(),
    }
}

/// True when the parent process is the Windows shell (a double-click in Explorer).
fn started_from_file_manager() -> bool {
    if !cfg!(windows) {
        return false;
    }
    let Ok(pid) = sysinfo::get_current_pid() else {
        return false;
    };
    let Ok(mut sys) = sysinfo::System::new() else {
        return false;
    };
    sys.refresh_processes(sysinfo::ProcessesToUpdate::All, false);
    sys.process(pid)
        .and_then(|p| p.parent())
        .and_then(|parent| sys.process(parent))
        .is_some_and(|p| is_file_manager(&p.name().to_string_lossy()))
}

fn is_file_manager(process_name: &str) -> bool {
    process_name.eq_ignore_ascii_case("explorer.exe")
        || process_name.eq_ignore_ascii_case("explorer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_file_name_from_start_time() {
        assert_eq!(
            file_name("2026-11-30T10:40:12Z"),
            "pe-doctor-report-20261130-104012.html"
        );
        assert_eq!(file_name("garbage"), "pe-doctor-report-latest.html");
    }

    #[tokio::test]
    async fn saves_in_the_first_folder_that_takes_it() {
        let run = crate::lab::scenarios::setup("healthy", &Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let report = run.diagnose().await;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gone = dir.path().join("no-such-folder").join("r.html");
        let ok = dir.path().join("r.html");
        let got = save_first(&report, &[gone, ok.clone()]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, ok);
        let html = std::fs::read_to_string(&ok).unwrap_or_default();
        assert!(html.starts_with("<!DOCTYPE html>"));
        // A preset folder gets a timestamped file; a preset file is used as named.
        let c = candidates(Some(dir.path()), "x.html");
        assert_eq!(c, vec![dir.path().join("x.html")]);
        let c = candidates(Some(&ok), "x.html");
        assert_eq!(c, vec![ok.clone()]);
        // Without a preset: next to the program first, the temporary folder last.
        let c = candidates(None, "x.html");
        assert!(c.len() >= 2);
        assert_eq!(c.last(), Some(&std::env::temp_dir().join("x.html")));
    }

    #[test]
    fn pause_decision() {
        assert!(should_pause(Some("1")));
        assert!(!should_pause(Some("0")));
        assert!(is_file_manager("EXPLORER.EXE"));
        assert!(!is_file_manager("cmd.exe"));
        assert!(!is_file_manager("powershell.exe"));
    }
}
