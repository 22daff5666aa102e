//! `pe-doctor pac`: evaluate a PAC file for URLs, like pactester.

/// `pe-doctor pac` flags.
#[derive(Debug, clap::Args)]
pub struct PacArgs {
    /// PAC file or URL.
    #[arg(long)]
    pub pac: String,
}

/// `pe-doctor pac` errors.
#[derive(Debug, thiserror::Error)]
pub enum PacCmdError {
    /// Not built yet.
    #[error("not available")]
    Unavailable,
}

/// Runs `pe-doctor pac`.
pub fn run(_args: &PacArgs, _out: &mut dyn std::io::Write) -> Result<(), PacCmdError> {
    Err(PacCmdError::Unavailable)
}
