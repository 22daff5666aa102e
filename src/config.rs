//! Settings: defaults < `--config FILE.toml` < command-line flags, resolved into a [`Config`].

use crate::cli::{DiagnoseArgs, Format};
use crate::targets::{self, Cloud, Target, TargetError, WorkspaceSpec};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Azure's DNS virtual server.
pub const AZURE_DNS: &str = "168.63.129.16";
/// Default DoH resolvers compared with the system's answers.
pub const DEFAULT_DOH: [(&str, &str); 2] = [
    ("doh:cloudflare", "https://cloudflare-dns.com/dns-query"),
    ("doh:google", "https://dns.google/dns-query"),
];
/// Default overall deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors in flags, the settings file or input files. All map to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A flag value is invalid.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag (or settings key).
        flag: String,
        /// What is wrong.
        message: String,
    },
    /// The settings file cannot be read or parsed.
    #[error("{file}:{line}:{column}: {message}")]
    File {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A file cannot be read.
    #[error("{file}: {message}")]
    Read {
        /// File name.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// Target derivation or expected-state import failed.
    #[error(transparent)]
    Targets(#[from] TargetError),
    /// Nothing to diagnose.
    #[error(
        "nothing to diagnose: give --workspace-id and --region, --fqdn NAME, or --expected FILE"
    )]
    NoTargets,
}

fn flag_err(flag: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Flag {
        flag: flag.to_string(),
        message: message.into(),
    }
}

/// How the system resolver is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemResolver {
    /// The OS's getaddrinfo.
    Getaddrinfo,
    /// A DNS server standing in for the OS resolver.
    Server(SocketAddr),
}

/// A DNS server with a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedServer {
    /// Label in tables.
    pub label: String,
    /// Address.
    pub addr: SocketAddr,
}

/// A DoH resolver with a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDoh {
    /// Label in tables.
    pub label: String,
    /// URL or URL template.
    pub url: String,
}

/// Everything a diagnosis needs, resolved and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The workspace the targets come from.
    pub workspace: Option<WorkspaceSpec>,
    /// Names to diagnose.
    pub targets: Vec<Target>,
    /// The system resolver.
    pub system_resolver: SystemResolver,
    /// Extra DNS servers asked directly (`custom` role).
    pub dns_servers: Vec<NamedServer>,
    /// Azure DNS / resolver inbound endpoint.
    pub azure_dns: SocketAddr,
    /// DoH resolvers.
    pub doh: Vec<NamedDoh>,
    /// Read the OS's DNS configuration and ask its servers (`configured` role).
    pub read_host_dns: bool,
    /// Extra CA files.
    pub ca_files: Vec<PathBuf>,
    /// `--proxy`: None = decide from the machine's settings; Some(None) = `none`; Some(Some(url)).
    pub proxy: Option<Option<String>>,
    /// `--pac`: a PAC file or URL that replaces the machine's proxy settings.
    pub pac: Option<String>,
    /// Run the connection checks (TCP, TLS, HTTP).
    pub connect: bool,
    /// Lab only: trust these CA files as "public roots" instead of webpki-roots (and trust only
    /// `ca_files` as the OS store), so interception can be simulated.
    pub lab_public_roots: Option<Vec<PathBuf>>,
    /// `--connect-to` rules, as given.
    pub connect_to: Vec<String>,
    /// Hosts file to inspect (None: the OS's).
    pub hosts_file: Option<PathBuf>,
    /// Overall deadline.
    pub timeout: Duration,
    /// Report format.
    pub format: Format,
    /// Output file.
    pub output: Option<PathBuf>,
    /// Mask usernames, home paths and credentials.
    pub redact: bool,
    /// Refuse any destination that is not loopback (lab and tests).
    pub loopback_only: bool,
}

/// The settings file: the same keys as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    #[serde(alias = "workspace_id")]
    workspace_id: Option<String>,
    region: Option<String>,
    #[serde(alias = "workspace_name")]
    workspace_name: Option<String>,
    cloud: Option<String>,
    #[serde(default, alias = "instance")]
    instances: Vec<String>,
    #[serde(default, alias = "storage_accounts", alias = "storage-account")]
    storage_accounts: Vec<String>,
    #[serde(default, alias = "inference_endpoints")]
    inference_endpoints: Vec<String>,
    #[serde(default, alias = "fqdn")]
    fqdns: Vec<String>,
    expected: Option<PathBuf>,
    #[serde(alias = "system_resolver")]
    system_resolver: Option<String>,
    #[serde(default, alias = "dns_servers", alias = "dns-server")]
    dns_servers: Vec<String>,
    #[serde(alias = "azure_dns")]
    azure_dns: Option<String>,
    #[serde(default)]
    doh: Vec<String>,
    #[serde(default, alias = "no_doh")]
    no_doh: bool,
    proxy: Option<String>,
    pac: Option<String>,
    #[serde(default, alias = "no_connect")]
    no_connect: bool,
    #[serde(default, alias = "ca_files", alias = "ca-file")]
    ca_files: Vec<PathBuf>,
    #[serde(default, alias = "connect_to")]
    connect_to: Vec<String>,
    #[serde(alias = "hosts_file")]
    hosts_file: Option<PathBuf>,
    timeout: Option<String>,
    format: Option<Format>,
    output: Option<PathBuf>,
    #[serde(default, alias = "no_redact")]
    no_redact: bool,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn read_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let file = path.display().to_string();
    let text = crate::fsio::read_text(path, crate::fsio::Input::Config).map_err(|e| {
        ConfigError::Read {
            file: file.clone(),
            message: e.to_string(),
        }
    })?;
    toml::from_str(&text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
        ConfigError::File {
            file,
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// Parses `IP`, `IP:PORT`, `[IPv6]:PORT` or `IPv6` with `default_port`.
pub fn parse_server_addr(s: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, default_port))
}

/// Parses a duration such as `10s`, `1500ms`, `2m`.
pub fn parse_duration(flag: &str, s: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(s.trim()).map_err(|e| {
        flag_err(
            flag,
            format!("{s:?} is not a duration (try 10s or 1500ms): {e}"),
        )
    })
}

fn pick<T>(cli: Option<T>, file: Option<T>) -> Option<T> {
    cli.or(file)
}

fn pick_vec<T>(cli: Vec<T>, file: Vec<T>) -> Vec<T> {
    if cli.is_empty() { file } else { cli }
}

impl Config {
    /// Resolves flags (and the settings file they name) into a validated configuration.
    pub fn from_args(args: &DiagnoseArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file_config(path)?,
            None => FileConfig::default(),
        };
        let a = args.clone();
        let workspace_id = pick(a.workspace_id, file.workspace_id);
        let region = pick(a.region, file.region);
        let cloud = match pick(a.cloud, file.cloud) {
            Some(c) => c.parse::<Cloud>()?,
            None => Cloud::default(),
        };
        let workspace = match (workspace_id, region) {
            (Some(id), Some(region)) => Some(
                WorkspaceSpec {
                    id,
                    region,
                    name: pick(a.workspace_name, file.workspace_name),
                    cloud,
                    instances: pick_vec(a.instances, file.instances),
                    storage_accounts: pick_vec(a.storage_accounts, file.storage_accounts),
                    inference_endpoints: pick_vec(a.inference_endpoints, file.inference_endpoints),
                    project_ids: Vec::new(),
                }
                .validated()?,
            ),
            (Some(_), None) => return Err(flag_err("--region", "required with --workspace-id")),
            (None, Some(_)) => return Err(flag_err("--workspace-id", "required with --region")),
            (None, None) => None,
        };
        let mut targets = match &workspace {
            Some(spec) => targets::derive(spec),
            None => Vec::new(),
        };
        for f in pick_vec(a.fqdns, file.fqdns) {
            targets.push(targets::parse_fqdn_arg(&f)?);
        }
        if let Some(path) = pick(a.expected, file.expected) {
            let expected = targets::load_expected(&path)?;
            targets::merge_expected(&mut targets, &expected);
        }
        if targets.is_empty() {
            return Err(ConfigError::NoTargets);
        }

        let system_resolver = match pick(a.system_resolver, file.system_resolver) {
            None => SystemResolver::Getaddrinfo,
            Some(s) if s.eq_ignore_ascii_case("getaddrinfo") => SystemResolver::Getaddrinfo,
            Some(s) => SystemResolver::Server(parse_server_addr(&s, 53).ok_or_else(|| {
                flag_err(
                    "--system-resolver",
                    format!("{s:?} is neither getaddrinfo nor IP[:PORT]"),
                )
            })?),
        };
        let mut dns_servers = Vec::new();
        for s in pick_vec(a.dns_servers, file.dns_servers) {
            let (label, addr) = match s.split_once('=') {
                Some((l, rest)) => (l.to_string(), rest),
                None => (format!("dns:{s}"), s.as_str()),
            };
            let addr = parse_server_addr(addr, 53).ok_or_else(|| {
                flag_err("--dns-server", format!("{s:?}: expected [LABEL=]IP[:PORT]"))
            })?;
            dns_servers.push(NamedServer { label, addr });
        }
        let azure = pick(a.azure_dns, file.azure_dns).unwrap_or_else(|| AZURE_DNS.to_string());
        let azure_dns = parse_server_addr(&azure, 53)
            .ok_or_else(|| flag_err("--azure-dns", format!("{azure:?}: expected IP[:PORT]")))?;

        let no_doh = a.no_doh || file.no_doh;
        let doh_urls = pick_vec(a.doh, file.doh);
        let mut doh = Vec::new();
        if !no_doh {
            if doh_urls.is_empty() {
                doh.extend(DEFAULT_DOH.iter().map(|(label, url)| NamedDoh {
                    label: label.to_string(),
                    url: url.to_string(),
                }));
            }
            for url in doh_urls {
                let label = doh_label(&url)
                    .ok_or_else(|| flag_err("--doh", format!("{url:?} is not an https:// URL")))?;
                doh.push(NamedDoh { label, url });
            }
        }
        for d in &doh {
            crate::probe::doh::DohEndpoint::parse(&d.url)
                .map_err(|e| flag_err("--doh", e.message))?;
        }
        let ca_files = pick_vec(a.ca_files, file.ca_files);
        for files in [&ca_files, &a.public_roots] {
            crate::net::tls::read_pem_certs(files)
                .map_err(|e| flag_err("--ca-file", e.to_string()))?;
        }
        // Input files the diagnosis reads later: a FIFO, a folder or an oversized file is a
        // usage error now, before any probing.
        let pac = pick(a.pac, file.pac);
        if let Some(p) = pac
            .as_deref()
            .filter(|p| !p.starts_with("http://") && !p.starts_with("https://"))
        {
            let path = p.strip_prefix("file://").unwrap_or(p);
            crate::fsio::check(Path::new(path), crate::fsio::Input::Pac)
                .map_err(|e| flag_err("--pac", format!("{path}: {e}")))?;
        }
        // A hosts file that does not exist has no entries, as for the OS.
        let hosts_file = pick(a.hosts_file, file.hosts_file);
        if let Some(p) = &hosts_file {
            match crate::fsio::check(p, crate::fsio::Input::Hosts) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(flag_err("--hosts-file", format!("{}: {e}", p.display())));
                }
                _ => {}
            }
        }
        let connect_to = pick_vec(a.connect_to, file.connect_to);
        for rule in &connect_to {
            rule.parse::<crate::net::dialer::ConnectTo>()
                .map_err(|e| flag_err("--connect-to", e.to_string()))?;
        }
        let proxy = match pick(a.proxy, file.proxy) {
            None => None,
            Some(p) if p.eq_ignore_ascii_case("none") || p.eq_ignore_ascii_case("direct") => {
                Some(None)
            }
            Some(p) => {
                crate::probe::proxy::ProxyEndpoint::parse(&p)
                    .map_err(|e| flag_err("--proxy", e.message))?;
                Some(Some(p))
            }
        };
        let timeout = match pick(a.timeout, file.timeout) {
            Some(t) => parse_duration("--timeout", &t)?,
            None => DEFAULT_TIMEOUT,
        };
        if timeout.is_zero() {
            return Err(flag_err("--timeout", "must be more than zero"));
        }
        Ok(Config {
            workspace,
            targets,
            system_resolver,
            dns_servers,
            azure_dns,
            doh,
            read_host_dns: !a.no_host_dns,
            ca_files,
            proxy,
            pac,
            connect: !(a.no_connect || file.no_connect),
            lab_public_roots: (!a.public_roots.is_empty()).then_some(a.public_roots),
            connect_to,
            hosts_file,
            timeout,
            format: pick(a.format, file.format).unwrap_or(Format::Text),
            output: pick(a.output, file.output),
            redact: !(a.no_redact || file.no_redact),
            loopback_only: a.loopback_only,
        })
    }
}

/// `doh:<host>` for an https URL (`doh:cloudflare-dns.com`), None when not https.
fn doh_label(url: &str) -> Option<String> {
    Some(format!("doh:{}", doh_host(url)?))
}

/// The host of an https DoH URL or template, without userinfo or port (`[::1]` for IPv6);
/// None when not https.
pub(crate) fn doh_host(url: &str) -> Option<&str> {
    let authority = url
        .strip_prefix("https://")?
        .split(['/', '{', '?', '#'])
        .next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.find(']') {
        Some(end) if host_port.starts_with('[') => &host_port[..=end],
        _ => host_port.split(':').next()?,
    };
    Some(host).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> DiagnoseArgs {
        DiagnoseArgs {
            fqdns: vec!["a.example".into()],
            ..Default::default()
        }
    }

    #[test]
    fn doh_labels_carry_no_userinfo() {
        for (url, host) in [
            (
                "https://alice:s3cret@doh.example/dns-query",
                Some("doh.example"),
            ),
            (
                "https://alice@doh.example:8443/dns-query{?dns}",
                Some("doh.example"),
            ),
            ("https://[::1]:8443/dns-query", Some("[::1]")),
            ("https://dns.google/dns-query", Some("dns.google")),
            ("https://@/x", None),
            ("http://doh.example/dns-query", None),
        ] {
            assert_eq!(doh_host(url), host, "{url}");
        }
        assert_eq!(
            doh_label("https://alice:pw@doh.example/q").as_deref(),
            Some("doh:doh.example")
        );
    }

    #[test]
    fn server_addresses() {
        assert_eq!(
            parse_server_addr("10.0.0.1", 53),
            Some("10.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_server_addr("127.0.0.1:5353", 53),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_server_addr("::1", 53),
            Some("[::1]:53".parse().unwrap())
        );
        assert_eq!(
            parse_server_addr("[::1]:99", 53),
            Some("[::1]:99".parse().unwrap())
        );
        assert_eq!(parse_server_addr("dns.example", 53), None);
    }

    #[test]
    fn defaults_and_flags() {
        let c = Config::from_args(&args()).unwrap();
        assert_eq!(c.system_resolver, SystemResolver::Getaddrinfo);
        assert_eq!(c.azure_dns, "168.63.129.16:53".parse().unwrap());
        assert_eq!(c.doh.len(), 2);
        assert!(c.redact);
        assert_eq!(c.lab_public_roots, None);
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("lab-ca.pem");
        let ca = crate::lab::tls::LabCa::new("test CA").unwrap();
        std::fs::write(&pem, ca.ca_pem()).unwrap();
        let mut a = args();
        a.public_roots = vec![pem.clone()];
        let c = Config::from_args(&a).unwrap();
        assert_eq!(c.lab_public_roots, Some(vec![pem]));
        a.public_roots = vec![dir.path().join("missing.pem")];
        assert!(
            Config::from_args(&a)
                .unwrap_err()
                .to_string()
                .contains("missing.pem")
        );
        let mut a = args();
        a.no_doh = true;
        a.dns_servers = vec!["corp=10.1.1.1".into(), "127.0.0.1:5300".into()];
        a.timeout = Some("1500ms".into());
        let c = Config::from_args(&a).unwrap();
        assert!(c.doh.is_empty());
        assert_eq!(c.dns_servers[0].label, "corp");
        assert_eq!(c.dns_servers[1].label, "dns:127.0.0.1:5300");
        assert_eq!(c.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn bad_values_name_the_flag() {
        let mut a = args();
        a.timeout = Some("soon".into());
        let e = Config::from_args(&a).unwrap_err().to_string();
        assert!(e.starts_with("--timeout:"), "{e}");
        let mut a = args();
        a.system_resolver = Some("resolver.example".into());
        assert!(
            Config::from_args(&a)
                .unwrap_err()
                .to_string()
                .starts_with("--system-resolver")
        );
        let mut a = args();
        a.fqdns.clear();
        assert!(matches!(Config::from_args(&a), Err(ConfigError::NoTargets)));
    }

    #[test]
    fn settings_file_layers_under_flags_and_reports_position() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            "timeout = \"3s\"\ndns-servers = [\"corp=10.1.1.1\"]\nno-doh = true\n",
        )
        .unwrap();
        let mut a = args();
        a.config = Some(good);
        a.timeout = Some("4s".into());
        let c = Config::from_args(&a).unwrap();
        assert_eq!(c.timeout, Duration::from_secs(4));
        assert_eq!(c.dns_servers[0].label, "corp");
        assert!(c.doh.is_empty());

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "timeout = \"3s\"\nregion = = 1\n").unwrap();
        a.config = Some(bad);
        let e = Config::from_args(&a).unwrap_err();
        match e {
            ConfigError::File {
                line,
                column,
                ref file,
                ..
            } => {
                assert_eq!(line, 2);
                assert!(column > 1);
                assert!(file.ends_with("bad.toml"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let unknown = dir.path().join("unknown.toml");
        std::fs::write(&unknown, "colour = true\n").unwrap();
        a.config = Some(unknown);
        assert!(
            Config::from_args(&a)
                .unwrap_err()
                .to_string()
                .contains("unknown.toml:1:1")
        );
    }
}
