//! `pe-doctor completions SHELL` and the hidden `pe-doctor man`: generated from the same clap
//! definition as the parser, so they cannot drift from it.
//!
//! The man page is a hidden subcommand rather than a build script: the binary a helpdesk
//! downloads can produce it (`pe-doctor man > pe-doctor.1`), and ordinary builds pay nothing.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::{self, Write};

/// Writes `shell`'s completion script for pe-doctor.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "pe-doctor", out);
}

/// Writes the roff manual page: the top-level page, then one section per subcommand.
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name: &'static str = match sub.get_name() {
            "diagnose" => "pe-doctor-diagnose",
            "pac" => "pe-doctor-pac",
            "lab" => "pe-doctor-lab",
            "completions" => "pe-doctor-completions",
            _ => continue,
        };
        let sub = sub.clone().name(name);
        clap_mangen::Man::new(sub).render(out)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_the_subcommands_and_flags() {
        let mut out = Vec::new();
        completions(clap_complete::Shell::Bash, &mut out);
        let s = String::from_utf8(out).unwrap();
        for word in [
            "diagnose",
            "--workspace-id",
            "--use-az",
            "completions",
            "lab",
        ] {
            assert!(s.contains(word), "{word} missing");
        }
    }

    #[test]
    fn man_page_is_roff_with_every_subcommand() {
        let mut out = Vec::new();
        man(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with(".ie \\n(.g .ds Aq"), "{}", &s[..40]);
        assert!(s.contains(".TH pe-doctor 1"));
        assert!(s.contains(".TH pe-doctor-diagnose 1"));
        assert!(s.contains("use\\-az"));
    }
}
