//! pe-doctor's entry point: parse, run, map to an exit code.

use clap::Parser;
use pe_doctor::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(pe_doctor::app::run(cli))
}
