//! Shared helpers: run the pe-doctor binary, parse its JSON report.

use std::process::{Command, Output};

/// The pe-doctor binary built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pe-doctor")
}

/// In-process diagnoses evaluate PACs in this built pe-doctor (the test binary is not one).
pub fn use_built_pac_worker() {
    pe_doctor::pac_worker::set_exe(bin());
}

/// Runs pe-doctor with `args` (stdin closed, NO_COLOR set).
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pe-doctor")
}

/// Finding ids of a JSON report, sorted.
pub fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Parses stdout as a JSON report.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
