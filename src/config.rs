//! Settings: defaults < `--config FILE.toml` < command-line flags, resolved into a [`Config`].

use crate::cli::{DiagnoseArgs, Format};
use crate::net::dialer::ConnectTo;
use crate::net::tls::TrustRoots;
use crate::probe::doh::DohEndpoint;
use crate::probe::proxy::ProxyEndpoint;
use crate::serde_list::one_or_many;
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

/// A DoH resolver to ask: its label, URL (as shown) and parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DohResolver {
    /// Label in tables.
    pub label: String,
    /// URL or URL template, as given.
    pub url: String,
    /// The parsed endpoint.
    pub endpoint: DohEndpoint,
}

impl DohResolver {
    /// Parses `url` (an https URL or `{?dns}` template).
    pub fn new(label: impl Into<String>, url: impl Into<String>) -> Result<Self, ConfigError> {
        let url = url.into();
        let endpoint = DohEndpoint::parse(&url).map_err(|e| flag_err("--doh", e.message))?;
        Ok(Self {
            label: label.into(),
            url,
            endpoint,
        })
    }
}

/// Which proxy the connection checks use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Decide from `--pac` or this machine's proxy settings.
    #[default]
    System,
    /// `--proxy none`: connect directly.
    Direct,
    /// `--proxy URL`.
    Proxy(ProxyEndpoint),
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
    pub doh: Vec<DohResolver>,
    /// Read the OS's DNS configuration and ask its servers (`configured` role).
    pub read_host_dns: bool,
    /// Trusted roots: `--ca-file` (and the lab's public roots), loaded.
    pub trust: TrustRoots,
    /// `--proxy`.
    pub proxy: ProxyChoice,
    /// `--pac`: a PAC file or URL that replaces the machine's proxy settings.
    pub pac: Option<String>,
    /// Run the connection checks (TCP, TLS, HTTP).
    pub connect: bool,
    /// `--connect-to` rules.
    pub connect_to: Vec<ConnectTo>,
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
    /// The expected state from `--expected` (empty without it): connection approval and the
    /// zone group, beyond the names and IPs merged into `targets`.
    pub expected: targets::ExpectedState,
    /// Pasted inputs (URLs, studio links, error text) and what each yielded.
    pub derived_from: Vec<targets::Derivation>,
}

/// The settings file: the keys are the long flag names (`inference-endpoint`, `no-host-dns`);
/// a list key also takes a single value (`storage-account = "x"`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    #[serde(alias = "workspace_id")]
    workspace_id: Option<String>,
    region: Option<String>,
    #[serde(alias = "workspace_name")]
    workspace_name: Option<String>,
    cloud: Option<String>,
    #[serde(default, alias = "instances", deserialize_with = "one_or_many")]
    instance: Vec<String>,
    #[serde(
        default,
        alias = "storage_account",
        alias = "storage-accounts",
        alias = "storage_accounts",
        deserialize_with = "one_or_many"
    )]
    storage_account: Vec<String>,
    #[serde(
        default,
        alias = "inference_endpoint",
        alias = "inference-endpoints",
        alias = "inference_endpoints",
        deserialize_with = "one_or_many"
    )]
    inference_endpoint: Vec<String>,
    #[serde(
        default,
        alias = "project_id",
        alias = "project-ids",
        alias = "project_ids",
        deserialize_with = "one_or_many"
    )]
    project_id: Vec<String>,
    #[serde(default, alias = "ai_services", deserialize_with = "one_or_many")]
    ai_services: Vec<String>,
    #[serde(default, alias = "fqdns", deserialize_with = "one_or_many")]
    fqdn: Vec<String>,
    expected: Option<PathBuf>,
    #[serde(alias = "system_resolver")]
    system_resolver: Option<String>,
    #[serde(
        default,
        alias = "dns_server",
        alias = "dns-servers",
        alias = "dns_servers",
        deserialize_with = "one_or_many"
    )]
    dns_server: Vec<String>,
    #[serde(alias = "azure_dns")]
    azure_dns: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    doh: Vec<String>,
    #[serde(default, alias = "no_doh")]
    no_doh: bool,
    #[serde(default, alias = "no_host_dns")]
    no_host_dns: bool,
    proxy: Option<String>,
    pac: Option<String>,
    #[serde(default, alias = "no_connect")]
    no_connect: bool,
    #[serde(
        default,
        alias = "ca_file",
        alias = "ca-files",
        alias = "ca_files",
        deserialize_with = "one_or_many"
    )]
    ca_file: Vec<PathBuf>,
    #[serde(default, alias = "connect_to", deserialize_with = "one_or_many")]
    connect_to: Vec<String>,
    #[serde(alias = "hosts_file")]
    hosts_file: Option<PathBuf>,
    timeout: Option<String>,
    format: Option<Format>,
    output: Option<PathBuf>,
    #[serde(default, alias = "no_redact")]
    no_redact: bool,
}

impl FileConfig {
    /// Makes the file's relative paths relative to the folder the file is in (as a helpdesk
    /// zip expects: `expected = "pe.json"` beside `pe-doctor.toml`), not to where pe-doctor
    /// was started. A PAC given as a URL is left alone.
    fn rebase(&mut self, dir: &Path) {
        let under = |p: &Path| {
            if p.is_relative() {
                dir.join(p)
            } else {
                p.to_path_buf()
            }
        };
        for p in self
            .expected
            .iter_mut()
            .chain(self.hosts_file.iter_mut())
            .chain(self.output.iter_mut())
            .chain(self.ca_file.iter_mut())
        {
            *p = under(p);
        }
        if let Some(pac) = &mut self.pac
            && !pac.contains("://")
        {
            *pac = under(Path::new(pac.as_str())).display().to_string();
        }
    }
}

/// The keys the settings file accepts (the long flag names), for the unknown-key error.
const FILE_KEYS: &[&str] = &[
    "workspace-id",
    "region",
    "workspace-name",
    "cloud",
    "instance",
    "storage-account",
    "inference-endpoint",
    "fqdn",
    "expected",
    "system-resolver",
    "dns-server",
    "azure-dns",
    "doh",
    "no-doh",
    "no-host-dns",
    "proxy",
    "pac",
    "no-connect",
    "ca-file",
    "connect-to",
    "hosts-file",
    "timeout",
    "format",
    "output",
    "no-redact",
];

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
    let parsed: Result<FileConfig, _> = toml::from_str(&text);
    parsed
        .map(|mut fc| {
            if let Some(dir) = path.parent() {
                fc.rebase(dir);
            }
            fc
        })
        .map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
            let message = match e.message().strip_prefix("unknown field ") {
                Some(rest) => {
                    let key = rest.split(',').next().unwrap_or(rest);
                    format!(
                        "unknown key {key}; the keys are the long flag names: {}",
                        FILE_KEYS.join(", ")
                    )
                }
                None => e.message().to_string(),
            };
            ConfigError::File {
                file,
                line,
                column,
                message,
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

/// Parses an overall deadline: more than zero, at most a day.
pub fn parse_timeout(flag: &str, s: &str) -> Result<Duration, ConfigError> {
    let t = parse_duration(flag, s)?;
    if t.is_zero() {
        return Err(flag_err(flag, "must be more than zero"));
    }
    if t > crate::run::MAX_TIMEOUT {
        return Err(flag_err(
            flag,
            format!("{s:?} is more than a day; a diagnosis needs seconds (try 10s)"),
        ));
    }
    Ok(t)
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
        let project_ids = pick_vec(a.project_ids, file.project_id);
        let ai_services = pick_vec(a.ai_services, file.ai_services);
        let workspace = match (workspace_id, region) {
            (Some(id), Some(region)) => Some(
                WorkspaceSpec {
                    id,
                    region,
                    name: pick(a.workspace_name, file.workspace_name),
                    cloud,
                    instances: pick_vec(a.instances, file.instance),
                    storage_accounts: pick_vec(a.storage_accounts, file.storage_account),
                    inference_endpoints: pick_vec(a.inference_endpoints, file.inference_endpoint),
                    project_ids: project_ids.clone(),
                    ai_services: ai_services.clone(),
                }
                .validated()?,
            ),
            (Some(_), None) => return Err(flag_err("--region", "required with --workspace-id")),
            (None, Some(_)) => return Err(flag_err("--workspace-id", "required with --region")),
            (None, None) => None,
        };
        let mut targets = match &workspace {
            Some(spec) => targets::derive(spec),
            None if !project_ids.is_empty() => {
                return Err(flag_err(
                    "--project-id",
                    "needs the hub's --workspace-id and --region",
                ));
            }
            None if !ai_services.is_empty() && cloud != Cloud::Public => {
                return Err(flag_err(
                    "--ai-services",
                    "the AI services names are known for the public cloud only; give the \
                     account's names with --fqdn",
                ));
            }
            // AI services accounts need no workspace.
            None => {
                let names = ai_services
                    .iter()
                    .map(|n| targets::validate_ai_services_name(n))
                    .collect::<Result<Vec<_>, _>>()?;
                targets::ai_services_targets(&names)
            }
        };
        for f in pick_vec(a.fqdns, file.fqdn) {
            targets.push(targets::parse_fqdn_arg(&f)?);
        }
        let mut expected = targets::ExpectedState::default();
        if let Some(path) = pick(a.expected, file.expected) {
            expected = targets::load_expected(&path)?;
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
        for s in pick_vec(a.dns_servers, file.dns_server) {
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
                for (label, url) in DEFAULT_DOH {
                    doh.push(DohResolver::new(label, url)?);
                }
            }
            for url in doh_urls {
                let label = doh_label(&url)
                    .ok_or_else(|| flag_err("--doh", format!("{url:?} is not an https:// URL")))?;
                doh.push(DohResolver::new(label, url)?);
            }
        }
        let ca_files = pick_vec(a.ca_files, file.ca_file);
        let trust = TrustRoots::load(
            &ca_files,
            (!a.public_roots.is_empty()).then_some(&a.public_roots[..]),
        )
        .map_err(|e| flag_err("--ca-file", e.to_string()))?;
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
        let connect_to = pick_vec(a.connect_to, file.connect_to)
            .iter()
            .map(|rule| rule.parse::<ConnectTo>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| flag_err("--connect-to", e.to_string()))?;
        let proxy = match pick(a.proxy, file.proxy) {
            None => ProxyChoice::System,
            Some(p) if p.eq_ignore_ascii_case("none") || p.eq_ignore_ascii_case("direct") => {
                ProxyChoice::Direct
            }
            Some(p) => ProxyChoice::Proxy(
                ProxyEndpoint::parse(&p).map_err(|e| flag_err("--proxy", e.message))?,
            ),
        };
        let timeout = match pick(a.timeout, file.timeout) {
            Some(t) => parse_timeout("--timeout", &t)?,
            None => DEFAULT_TIMEOUT,
        };
        let output = pick(a.output, file.output);
        let format = Format::resolve(pick(a.format, file.format), output.as_deref())
            .map_err(|e| flag_err("--output", e))?;
        Ok(Config {
            workspace,
            targets,
            system_resolver,
            dns_servers,
            azure_dns,
            doh,
            read_host_dns: !(a.no_host_dns || file.no_host_dns),
            trust,
            proxy,
            pac,
            connect: !(a.no_connect || file.no_connect),
            connect_to,
            hosts_file,
            timeout,
            format,
            output,
            redact: !(a.no_redact || file.no_redact),
            loopback_only: a.loopback_only,
            expected,
            derived_from: Vec::new(),
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
        assert_eq!(c.trust.lab_public, None);
        assert_eq!(c.proxy, ProxyChoice::System);
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("lab-ca.pem");
        let ca = crate::lab::tls::LabCa::new("test CA").unwrap();
        std::fs::write(&pem, ca.ca_pem()).unwrap();
        let mut a = args();
        a.public_roots = vec![pem.clone()];
        let c = Config::from_args(&a).unwrap();
        assert_eq!(c.trust.lab_public, Some(vec![ca.ca_der().clone()]));
        let _ = pem;
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
    fn values_are_typed_once_and_bad_ones_name_the_flag() {
        let mut a = args();
        a.connect_to = vec!["svc.example:443=127.0.0.1:8443".into()];
        a.proxy = Some("http://proxy.corp:3128".into());
        let c = Config::from_args(&a).unwrap();
        assert_eq!(c.connect_to[0].to_port, Some(8443));
        assert!(
            matches!(&c.proxy, ProxyChoice::Proxy(p) if p.host == "proxy.corp" && p.port == 3128)
        );
        assert_eq!(c.doh[0].endpoint.host, "cloudflare-dns.com");
        a.proxy = Some("none".into());
        assert_eq!(Config::from_args(&a).unwrap().proxy, ProxyChoice::Direct);
        // A bad --connect-to rule is an error, not silently dropped.
        a.connect_to = vec!["svc.example:443=127.0.0.1:x".into()];
        let e = Config::from_args(&a).unwrap_err().to_string();
        assert!(
            e.starts_with("--connect-to:") && e.contains("bad port"),
            "{e}"
        );
    }

    #[test]
    fn timeouts_past_a_day_or_overflowing_are_refused() {
        for t in ["25h", "1000000000years", "18446744073709551615s", "0s"] {
            let mut a = args();
            a.timeout = Some(t.into());
            let e = Config::from_args(&a).unwrap_err().to_string();
            assert!(e.starts_with("--timeout:"), "{t}: {e}");
        }
        let mut a = args();
        a.timeout = Some("24h".into());
        assert_eq!(
            Config::from_args(&a).unwrap().timeout,
            crate::run::MAX_TIMEOUT
        );
    }

    #[test]
    fn settings_file_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("kit");
        std::fs::create_dir(&kit).unwrap();
        std::fs::write(
            kit.join("pe.json"),
            r#"{"customDnsConfigs": [{"fqdn": "a.example.net", "ipAddresses": ["10.0.0.4"]}]}"#,
        )
        .unwrap();
        let pac = "function FindProxyForURL(u, h) { return \"DIRECT\"; }";
        std::fs::write(kit.join("proxy.pac"), pac).unwrap();
        std::fs::write(dir.path().join("elsewhere.pac"), pac).unwrap();
        std::fs::write(kit.join("hosts"), "127.0.0.1 localhost\n").unwrap();
        let f = kit.join("pe-doctor.toml");
        std::fs::write(
            &f,
            "fqdn = \"a.example.net\"\nexpected = \"pe.json\"\nhosts-file = \"hosts\"\n\
             pac = \"proxy.pac\"\noutput = \"out/report.html\"\n",
        )
        .unwrap();
        // Started from elsewhere (the test's working folder is the crate), the file's folder
        // still decides.
        let c = Config::from_args(&DiagnoseArgs {
            config: Some(f.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.expected.entries.len(), 1);
        assert_eq!(c.hosts_file, Some(kit.join("hosts")));
        assert_eq!(c.pac, Some(kit.join("proxy.pac").display().to_string()));
        assert_eq!(c.output, Some(kit.join("out/report.html")));
        // Absolute paths and PAC URLs stay as written.
        let abs = dir.path().join("elsewhere.pac").display().to_string();
        std::fs::write(&f, format!("fqdn = \"a.example.net\"\npac = {abs:?}\n")).unwrap();
        let c = Config::from_args(&DiagnoseArgs {
            config: Some(f.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.pac.as_deref(), Some(abs.as_str()));
        std::fs::write(
            &f,
            "fqdn = \"a.example.net\"\npac = \"http://wpad.corp.example/proxy.pac\"\n",
        )
        .unwrap();
        let c = Config::from_args(&DiagnoseArgs {
            config: Some(f),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.pac.as_deref(), Some("http://wpad.corp.example/proxy.pac"));
    }

    #[test]
    fn settings_file_keys_are_the_long_flag_names() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pe-doctor.toml");
        std::fs::write(
            &f,
            "workspace-id = \"8f2a6c1e-3b4d-4e5f-9a0b-1c2d3e4f5a6b\"\nregion = \"eastus2\"\n\
             storage-account = \"stcorp\"\ninference-endpoint = [\"ep1\"]\ninstance = \"ci1\"\n\
             no-host-dns = true\ndns-server = \"corp=10.1.1.1\"\ndoh = \"https://doh.corp.example/dns-query\"\n\
             connect-to = \":443=127.0.0.1:8443\"\ntimeout = \"3s\"\n",
        )
        .unwrap();
        let mut a = DiagnoseArgs {
            config: Some(f),
            ..Default::default()
        };
        let c = Config::from_args(&a).unwrap();
        let ws = c.workspace.as_ref().unwrap();
        assert_eq!(ws.storage_accounts, vec!["stcorp"]);
        assert_eq!(ws.inference_endpoints, vec!["ep1"]);
        assert_eq!(ws.instances, vec!["ci1"]);
        assert!(!c.read_host_dns);
        assert_eq!(c.dns_servers[0].label, "corp");
        assert_eq!(c.doh.len(), 1);
        assert_eq!(c.connect_to.len(), 1);
        assert_eq!(c.timeout, Duration::from_secs(3));
        // Flags win over the file.
        a.timeout = Some("5s".into());
        a.storage_accounts = vec!["stflag".into()];
        let c = Config::from_args(&a).unwrap();
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.workspace.unwrap().storage_accounts, vec!["stflag"]);

        let unknown = dir.path().join("unknown.toml");
        std::fs::write(
            &unknown,
            "region = \"eastus2\"\ninference-endpoints-x = 1\n",
        )
        .unwrap();
        a.config = Some(unknown);
        let e = Config::from_args(&a).unwrap_err().to_string();
        assert!(e.contains("unknown.toml:2:1"), "{e}");
        assert!(e.contains("inference-endpoints-x"), "{e}");
        assert!(e.contains("inference-endpoint, fqdn"), "{e}");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "fqdn = \"a.example\"\ntimeout = \"99999h\"\n").unwrap();
        a.config = Some(bad);
        a.timeout = None;
        let e = Config::from_args(&a).unwrap_err().to_string();
        assert!(e.starts_with("--timeout:"), "{e}");
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
