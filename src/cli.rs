//! Command-line interface (clap derive). Pure parsing: no I/O happens here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// pe-doctor: finds out why this machine cannot reach an Azure Machine Learning / AI Foundry
/// workspace behind a private endpoint (the "403 / access forbidden" symptom).
#[derive(Debug, Parser)]
///
/// Without a subcommand, `pe-doctor [TARGET]` diagnoses TARGET; with nothing at all it asks for
/// a link and writes an HTML report (the double-click mode).
#[command(
    name = "pe-doctor",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand: what to diagnose (as `diagnose TARGET`, and an HTML report is
    /// saved as in the no-argument mode).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Without a subcommand: the settings file (default: pe-doctor.toml next to the program).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
}

/// What TARGET may be, shown under `--help`.
const AFTER_HELP: &str = "\
TARGET is whatever you have at hand, for example:
  a workspace URL    https://<workspace-id>.workspace.eastus2.api.azureml.ms/
  a notebooks URL    https://ml-<name>-<region>-<workspace-id>.<region>.notebooks.azure.net/
  an instance URL    https://<instance>.<region>.instances.azureml.ms/
  an endpoint name   <endpoint>.<region>.inference.ml.azure.com
  a studio link      https://ml.azure.com/?wsid=/subscriptions/.../workspaces/<name>&tid=...
  the workspace ID   7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69
  error text         \"$(cat error.txt)\"   (the workspace names in it are found)
`pe-doctor` alone asks for one; both it and `pe-doctor TARGET` also save an HTML report.";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose this machine's access to a workspace.
    #[command(after_help = AFTER_HELP)]
    Diagnose(Box<DiagnoseArgs>),
    /// Evaluate a PAC file for URLs, like pactester (-p, -u, -f, -h HOST, -c, -e).
    #[command(disable_help_flag = true)]
    Pac(crate::pac_cmd::PacArgs),
    /// Run a built-in simulated scenario on loopback and show the real report.
    Lab(LabArgs),
    /// Internal: evaluate a PAC for the parent process (request on stdin, answers on stdout).
    #[command(name = "pac-worker", hide = true)]
    PacWorker,
    /// Print shell completions (bash, zsh, fish, powershell, elvish) to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output.
    #[command(hide = true)]
    Man,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable text (colour on a terminal).
    Text,
    /// `pe-doctor/report/v1` JSON.
    Json,
    /// Markdown (for a ticket or a chat message).
    #[value(alias = "md")]
    #[serde(alias = "md")]
    Markdown,
    /// One self-contained HTML file with the JSON report embedded.
    Html,
}

impl Format {
    /// The format a file name's extension asks for (`.html`/`.htm`, `.md`/`.markdown`,
    /// `.json`, `.txt`/`.text`), case-insensitive; None for any other extension or none.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(Format::Html),
            "md" | "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            "txt" | "text" => Some(Format::Text),
            _ => None,
        }
    }

    /// The format for a report: the one given, else the output file's extension's, else text.
    /// A format that contradicts a known extension is an error.
    pub fn resolve(
        given: Option<Format>,
        output: Option<&std::path::Path>,
    ) -> Result<Format, String> {
        let by_ext = output.and_then(Format::from_extension);
        match (given, by_ext, output) {
            (Some(f), Some(e), Some(path)) if f != e => Err(format!(
                "--format {} does not match the output file {} (a {} file); \
                 change one of them",
                f.name(),
                path.display(),
                e.name()
            )),
            (Some(f), _, _) => Ok(f),
            (None, Some(e), _) => Ok(e),
            (None, None, _) => Ok(Format::Text),
        }
    }

    /// The format's name as given to `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// `pe-doctor diagnose` flags. Every flag may also come from `--config FILE.toml` (same names,
/// with `_` or `-`); flags given on the command line win.
#[derive(Debug, Clone, Default, Args)]
pub struct DiagnoseArgs {
    /// A workspace URL or name, a studio or AI Foundry link, the workspace ID, or pasted error
    /// text (repeatable): the workspace ID, region, name, instances and endpoints are read
    /// from it.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Workspace GUID (with --region, derives every private-endpoint name); a workspace URL
    /// works too.
    #[arg(long, value_name = "GUID|URL")]
    pub workspace_id: Option<String>,
    /// Azure region of the workspace, e.g. eastus2.
    #[arg(long)]
    pub region: Option<String>,
    /// Workspace name (adds the notebooks name).
    #[arg(long, value_name = "NAME")]
    pub workspace_name: Option<String>,
    /// Azure cloud: public, usgov or china.
    #[arg(long)]
    pub cloud: Option<String>,
    /// Compute instance name (repeatable).
    #[arg(long = "instance", value_name = "NAME")]
    pub instances: Vec<String>,
    /// Storage account name (repeatable): adds its blob and file names.
    #[arg(long = "storage-account", value_name = "NAME")]
    pub storage_accounts: Vec<String>,
    /// Managed online endpoint name (repeatable).
    #[arg(long = "inference-endpoint", value_name = "NAME")]
    pub inference_endpoints: Vec<String>,
    /// AI Foundry project GUID under the hub (repeatable): adds the project's API and cert names.
    #[arg(long = "project-id", value_name = "GUID")]
    pub project_ids: Vec<String>,
    /// Foundry / AI services account name (repeatable): adds NAME.cognitiveservices.azure.com,
    /// NAME.openai.azure.com and NAME.services.ai.azure.com.
    #[arg(long = "ai-services", value_name = "NAME")]
    pub ai_services: Vec<String>,
    /// Extra name to check, optionally with its expected IPs (repeatable).
    #[arg(long = "fqdn", value_name = "NAME[=IP[,IP]]")]
    pub fqdns: Vec<String>,
    /// Expected state: JSON from `az network private-endpoint show`, `az network nic show` or
    /// `az network private-endpoint dns-zone-group list`.
    #[arg(long, value_name = "FILE")]
    pub expected: Option<PathBuf>,
    /// The system resolver: `getaddrinfo` (default) or a DNS server IP[:PORT] standing in for it.
    #[arg(long, value_name = "getaddrinfo|IP[:PORT]")]
    pub system_resolver: Option<String>,
    /// Extra DNS server to ask directly (repeatable).
    #[arg(long = "dns-server", value_name = "[LABEL=]IP[:PORT]")]
    pub dns_servers: Vec<String>,
    /// Azure DNS or a DNS Private Resolver inbound endpoint (default 168.63.129.16).
    #[arg(long, value_name = "IP[:PORT]")]
    pub azure_dns: Option<String>,
    /// DNS-over-HTTPS resolver URL to compare with (repeatable; `{?dns}` templates accepted).
    #[arg(long = "doh", value_name = "URL")]
    pub doh: Vec<String>,
    /// Do not ask any DoH resolver.
    #[arg(long)]
    pub no_doh: bool,
    /// Do not read this machine's DNS configuration (ask only the resolvers given by flags).
    #[arg(long)]
    pub no_host_dns: bool,
    /// Proxy for the connection checks: a URL (`http://[user:pass@]host:port`) or `none`
    /// (default: no proxy until proxy discovery decides).
    #[arg(long, value_name = "URL|none")]
    pub proxy: Option<String>,
    /// PAC file or URL to evaluate instead of the machine's proxy settings.
    #[arg(long, value_name = "FILE|URL")]
    pub pac: Option<String>,
    /// Only check DNS: no TCP/TLS/HTTP connection attempts.
    #[arg(long)]
    pub no_connect: bool,
    /// Extra trusted CA certificate (PEM) for DoH and TLS checks (repeatable).
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,
    /// Connect to ADDR:PORT instead of HOST:PORT, as curl's --connect-to (repeatable).
    #[arg(long = "connect-to", value_name = "HOST:PORT=ADDR:PORT")]
    pub connect_to: Vec<String>,
    /// Hosts file to inspect (default: the OS's).
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
    /// Overall deadline, e.g. 10s or 1500ms (default 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Settings file (TOML) with the same keys as the flags.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically) instead of standard output; the format follows
    /// the extension (.html, .md, .json, .txt) unless --format is given.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// For a studio link: ask the Azure CLI (`az`, already logged in) for the workspace ID and
    /// region. Never prompts for a login.
    #[arg(long)]
    pub use_az: bool,
    /// Keep usernames, home paths and credentials in the report.
    #[arg(long)]
    pub no_redact: bool,
    /// Also write every OS tool's raw output and the parsed facts into DIR (for the helpdesk;
    /// redacted like the report).
    #[arg(long, value_name = "DIR")]
    pub save_raw: Option<PathBuf>,
    /// Refuse every destination that is not loopback (tests and lab runs).
    #[arg(long, hide = true)]
    pub loopback_only: bool,
    /// Tests and lab: treat these CAs as the public roots (repeatable).
    #[arg(long = "public-roots", value_name = "PEM", hide = true)]
    pub public_roots: Vec<PathBuf>,
}

/// `pe-doctor lab` flags.
#[derive(Debug, Clone, Args)]
pub struct LabArgs {
    /// Scenario to run (see --list).
    pub scenario: Option<String>,
    /// List the scenarios.
    #[arg(long)]
    pub list: bool,
    /// Instead of diagnosing, serve the scenario's system DNS view on ADDR (e.g. 127.0.0.1:53)
    /// until interrupted: point a resolv.conf at it to exercise the real getaddrinfo path.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<std::net::SocketAddr>,
    /// Delay added to every simulated server answer, e.g. 200ms.
    #[arg(long, value_name = "DURATION")]
    pub latency: Option<String>,
    /// Overall deadline of the diagnosis (default 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Report format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output (format from the extension).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn format_follows_the_output_extension() {
        let cases = [
            ("r.html", Some(Format::Html)),
            ("R.HTM", Some(Format::Html)),
            ("notes.md", Some(Format::Markdown)),
            ("x.markdown", Some(Format::Markdown)),
            ("out/report.json", Some(Format::Json)),
            ("r.txt", Some(Format::Text)),
            ("r.log", None),
            ("report", None),
            (".html", None),
        ];
        for (file, want) in cases {
            assert_eq!(Format::from_extension(Path::new(file)), want, "{file}");
        }
        let p = Path::new("r.json");
        assert_eq!(Format::resolve(None, Some(p)), Ok(Format::Json));
        assert_eq!(
            Format::resolve(Some(Format::Json), Some(p)),
            Ok(Format::Json)
        );
        assert_eq!(
            Format::resolve(None, Some(Path::new("r.log"))),
            Ok(Format::Text)
        );
        assert_eq!(
            Format::resolve(Some(Format::Html), Some(Path::new("r.log"))),
            Ok(Format::Html)
        );
        assert_eq!(Format::resolve(None, None), Ok(Format::Text));
        let e = Format::resolve(Some(Format::Html), Some(p)).unwrap_err();
        assert!(
            e.contains("--format html does not match the output file r.json (a json file)"),
            "{e}"
        );
    }

    #[test]
    fn no_arguments_and_a_bare_target_parse_without_a_subcommand() {
        let cli = Cli::try_parse_from(["pe-doctor"]).unwrap();
        assert!(cli.command.is_none() && cli.targets.is_empty());
        let cli = Cli::try_parse_from(["pe-doctor", "https://x.example/"]).unwrap();
        assert_eq!(cli.targets, vec!["https://x.example/"]);
        let cli = Cli::try_parse_from(["pe-doctor", "lab", "--list"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Lab(_))));
        let cli = Cli::try_parse_from(["pe-doctor", "diagnose", "a", "b", "--use-az"]).unwrap();
        let Some(Command::Diagnose(d)) = cli.command else {
            panic!("diagnose expected");
        };
        assert_eq!(d.targets, vec!["a", "b"]);
        assert!(d.use_az);
    }
}
