//! One file per subcommand (and the steps they share).

pub mod az;
pub mod completions;
pub mod diagnose;
pub mod inputs;
pub mod interactive;
