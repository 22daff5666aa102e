//! Proxy settings of this machine: environment variables, Windows WinINET (per user) and
//! WinHTTP (machine), macOS `scutil --proxy`, GNOME gsettings and KDE `kioslaverc`, plus the
//! `--proxy URL|none` and `--pac FILE|URL` flags that override them.
//!
//! Each source is a pure parser (text in, [`ProxySettings`] out) tested on captured output, and
//! a thin collector that runs the OS's own tool under a deadline
//! ([`dns_config::command::run`](crate::host::dns_config::command::run)). The OS is chosen at
//! run time, so every line compiles everywhere; a missing or failing tool becomes a note.
//!
//! [`ProxyDiscovery::route_for`] answers what the machine's browsers and OS would do for
//! `https://<host>/`: the first source the OS itself uses decides (flags, then WinINET on
//! Windows, `scutil` on macOS, GNOME or KDE on Linux desktops, then the environment), WPAD
//! runs before a PAC URL, and a PAC URL wins over a manual proxy, as the OS does. Each
//! source's bypass list is matched with that source's own rules (see `bypass`).
//!
//! Crates considered for collection: `proxy-watch` reads the OS stores through their native
//! APIs (WinHTTP, SCDynamicStore, GLib loaded at run time) chosen by compile-time `cfg`, so its
//! Windows and macOS paths could neither be built nor tested on Linux; `proxy_cfg` covers only
//! Windows and macOS, also through native APIs, and keeps bypass entries in a set that loses
//! their order and meaning. pe-doctor therefore runs the OS tools and parses their output.
//! Passwords are never kept: a [`ProxyServer`] only records that credentials were present, and
//! every value quoted in a note goes through [`redact_url`].

mod bypass;
mod env;
mod linux;
mod macos;
mod windows;

use crate::host::dns_config::command::{self, CommandError, TOOL_TIMEOUT};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::env::{Convention, env_route, no_proxy_note, no_proxy_verdicts, parse_env};
pub use self::linux::{parse_gsettings, parse_gsettings_list, parse_kioslaverc};
pub use self::macos::parse_scutil_proxy;
pub use self::windows::{parse_netsh_winhttp, parse_reg_query_internet_settings};

/// Errors of the proxy-settings parsers and collectors.
#[derive(Debug, thiserror::Error)]
pub enum ProxySettingsError {
    /// A proxy URL (flag, environment variable or OS setting) cannot be used.
    #[error("invalid proxy `{value}`: {reason}")]
    BadProxyUrl {
        /// The value as given, credentials hidden.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A settings file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Where a set of proxy settings comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProxySource {
    /// Environment variables; the name is the variable that supplies the proxy for https
    /// (or for http, or `no_proxy`; `*_proxy` when none is set).
    Env(String),
    /// Windows per-user Internet Settings (what Edge, Chrome and WinINET programs use).
    WinInet,
    /// Windows machine-wide WinHTTP proxy (`netsh winhttp`; services, not browsers).
    WinHttp,
    /// macOS `scutil --proxy`.
    MacScutil,
    /// GNOME `org.gnome.system.proxy` gsettings.
    Gnome,
    /// KDE `kioslaverc` `[Proxy Settings]`.
    Kde,
    /// `--proxy` / `--pac` flags.
    Flag,
}

impl fmt::Display for ProxySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySource::Env(var) => write!(f, "environment ({var})"),
            ProxySource::WinInet => f.write_str("Windows Internet Settings (WinINET)"),
            ProxySource::WinHttp => f.write_str("Windows WinHTTP machine proxy"),
            ProxySource::MacScutil => f.write_str("macOS network proxies (scutil --proxy)"),
            ProxySource::Gnome => f.write_str("GNOME proxy settings (gsettings)"),
            ProxySource::Kde => f.write_str("KDE proxy settings (kioslaverc)"),
            ProxySource::Flag => f.write_str("--proxy/--pac flags"),
        }
    }
}

/// One proxy server. The password is never kept, only whether credentials were given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyServer {
    /// How the proxy is spoken to: `http`, `https`, `socks` (version unspecified or 4),
    /// `socks4`, `socks4a`, `socks5`, `socks5h`. A proxy for https URLs is usually `http`
    /// (it is sent `CONNECT`).
    pub scheme: String,
    /// Host name (lower case) or IP address (IPv6 without brackets).
    pub host: String,
    /// Port (the scheme's default when the source gives none: 80, 443 or 1080).
    pub port: u16,
    /// `user:pass@` (or `user@`) was present.
    pub credentials: bool,
}

impl fmt::Display for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// One source's view of the proxy configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxySettings {
    /// Where it was read.
    pub source: ProxySource,
    /// Proxy for http URLs (only when the source has it enabled).
    pub http: Option<ProxyServer>,
    /// Proxy for https URLs (only when enabled).
    pub https: Option<ProxyServer>,
    /// SOCKS proxy, used for https when there is no https proxy (only when enabled).
    pub socks: Option<ProxyServer>,
    /// Bypass entries as the source gives them (`<local>`, `*.corp`, `.corp`, `10.0.0.0/8`).
    pub bypass: Vec<String>,
    /// The bypass list names the only hosts that use the proxy (KDE `ReversedException`).
    #[serde(default)]
    pub bypass_reversed: bool,
    /// PAC URL, when automatic configuration by script is enabled.
    pub pac_url: Option<String>,
    /// Automatic proxy discovery (WPAD) is enabled.
    pub auto_detect: bool,
    /// The source says "use the environment variables" (KDE ProxyType 4).
    #[serde(default)]
    pub defer_to_env: bool,
    /// What the parser noticed (disabled values, disagreements, unreadable entries).
    pub notes: Vec<String>,
}

impl ProxySettings {
    /// Empty settings (direct) from `source`.
    pub fn new(source: ProxySource) -> Self {
        Self {
            source,
            http: None,
            https: None,
            socks: None,
            bypass: Vec::new(),
            bypass_reversed: false,
            pac_url: None,
            auto_detect: false,
            defer_to_env: false,
            notes: Vec::new(),
        }
    }

    /// True when nothing sends traffic anywhere but direct.
    pub fn is_direct(&self) -> bool {
        self.http.is_none()
            && self.https.is_none()
            && self.socks.is_none()
            && self.pac_url.is_none()
            && !self.auto_detect
            && !self.defer_to_env
    }

    /// What this source alone decides for `https://<host>/`.
    pub fn route_for(&self, host: &str) -> Route {
        let host = normalize_host(host);
        // GLib applies ignore-hosts before asking the PAC runner; the others leave PAC alone.
        if self.source == ProxySource::Gnome
            && (self.auto_detect || self.pac_url.is_some())
            && let Some(why) = bypass::matches(self, &host, 443)
        {
            return Route::Direct {
                reason: format!("{why} in {}", self.source),
            };
        }
        if self.auto_detect {
            let mut rest = self.clone();
            rest.auto_detect = false;
            return Route::Wpad {
                source: self.source.clone(),
                otherwise: Box::new(rest.route_for(&host)),
            };
        }
        if let Some(url) = &self.pac_url {
            return Route::Pac {
                url: url.clone(),
                source: self.source.clone(),
            };
        }
        let Some(server) = self.https.as_ref().or(self.socks.as_ref()) else {
            let reason = if self.source == ProxySource::Flag {
                "--proxy none".to_string()
            } else {
                format!("no proxy for https configured in {}", self.source)
            };
            return Route::Direct { reason };
        };
        match bypass::matches(self, &host, 443) {
            Some(why) => Route::Direct {
                reason: format!("{why} in {}", self.source),
            },
            None => Route::Proxy {
                server: server.clone(),
                source: self.source.clone(),
            },
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

/// Every source read on this machine, in the order the OS consults them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyDiscovery {
    /// The sources read (flags first when given).
    pub sources: Vec<ProxySettings>,
    /// What the collector noticed (tools missing or failing, which source browsers follow).
    pub notes: Vec<String>,
}

/// What the machine's browsers / OS would do for `https://<host>/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Route {
    /// A PAC file decides (evaluate it for the URL).
    Pac {
        /// The PAC URL (or file given with `--pac`).
        url: String,
        /// Where it is configured.
        source: ProxySource,
    },
    /// A fixed proxy.
    Proxy {
        /// The proxy (https proxy, else SOCKS).
        server: ProxyServer,
        /// Where it is configured.
        source: ProxySource,
    },
    /// No proxy.
    Direct {
        /// Why: the bypass entry that matched, or that no proxy is configured.
        reason: String,
    },
    /// WPAD discovery runs first; when it finds no PAC file, `otherwise` applies.
    Wpad {
        /// Where auto-detection is enabled.
        source: ProxySource,
        /// The route when discovery finds nothing.
        otherwise: Box<Route>,
    },
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Pac { url, source } => write!(f, "PAC {} ({source})", redact_url(url)),
            Route::Proxy { server, source } => write!(f, "proxy {server} ({source})"),
            Route::Direct { reason } => write!(f, "DIRECT ({reason})"),
            Route::Wpad { source, otherwise } => {
                write!(f, "WPAD auto-detection ({source}), otherwise {otherwise}")
            }
        }
    }
}

impl ProxyDiscovery {
    /// The source the OS's browsers follow: flags, then WinINET, macOS, GNOME, KDE (unless it
    /// defers to the environment), then the environment. The WinHTTP machine proxy is used by
    /// services, never by browsers, so it never decides.
    pub fn decisive(&self) -> Option<&ProxySettings> {
        let rank = |s: &ProxySettings| match s.source {
            ProxySource::Flag => Some(0),
            ProxySource::WinInet => Some(1),
            ProxySource::MacScutil => Some(2),
            ProxySource::Gnome => Some(3),
            ProxySource::Kde if !s.defer_to_env => Some(4),
            ProxySource::Env(_) => Some(5),
            ProxySource::Kde | ProxySource::WinHttp => None,
        };
        self.sources
            .iter()
            .filter_map(|s| rank(s).map(|r| (r, s)))
            .min_by_key(|(r, _)| *r)
            .map(|(_, s)| s)
    }

    /// What the machine's browsers / OS would do for `https://<host>/` (see [`Self::decisive`]).
    pub fn route_for(&self, host: &str) -> Route {
        match self.decisive() {
            Some(s) => s.route_for(host),
            None => Route::Direct {
                reason: "no proxy configured".to_string(),
            },
        }
    }

    /// What command-line tools that read `*_proxy` would do (curl's reading), when the
    /// environment was read.
    pub fn env_route_for(&self, host: &str) -> Option<Route> {
        self.sources
            .iter()
            .find(|s| matches!(s.source, ProxySource::Env(_)))
            .map(|s| s.route_for(host))
    }
}

/// `--proxy URL|none` and `--pac FILE|URL`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--proxy`: a proxy URL, or `none` for direct.
    pub proxy: Option<String>,
    /// `--pac`: a PAC file path or URL.
    pub pac: Option<String>,
}

/// The flags as a source (`None` when neither is given). A PAC given with `--pac` wins over
/// `--proxy`, as a PAC does over a manual proxy in the OS settings.
pub fn flag_settings(overrides: &Overrides) -> Result<Option<ProxySettings>, ProxySettingsError> {
    if overrides.proxy.is_none() && overrides.pac.is_none() {
        return Ok(None);
    }
    let mut s = ProxySettings::new(ProxySource::Flag);
    if let Some(p) = &overrides.proxy {
        if p.trim().eq_ignore_ascii_case("none") {
            s.note("--proxy none: direct connections");
        } else {
            let server = parse_proxy_url(p)?;
            s.http = Some(server.clone());
            s.https = Some(server);
        }
    }
    if let Some(pac) = &overrides.pac {
        let pac = pac.trim();
        if pac.is_empty() {
            return Err(ProxySettingsError::BadProxyUrl {
                value: String::new(),
                reason: "--pac needs a file or URL".to_string(),
            });
        }
        if overrides.proxy.is_some() {
            s.note("--pac and --proxy both given: the PAC file decides");
        }
        s.pac_url = Some(pac.to_string());
    }
    Ok(Some(s))
}

/// Parses a proxy as environment variables and flags give it: `http://user:pass@h:3128`,
/// `h:3128`, `socks5://h:1080`, `[::1]:3128`. No scheme means `http`; no port means the
/// scheme's default (80 for http, 443 for https, 1080 for SOCKS; curl would use 1080 for any
/// scheme). A trailing path is ignored.
pub fn parse_proxy_url(s: &str) -> Result<ProxyServer, ProxySettingsError> {
    parse_proxy_with_default(s, "http")
}

/// [`parse_proxy_url`] with the scheme to assume when the value has none.
fn parse_proxy_with_default(
    s: &str,
    default_scheme: &str,
) -> Result<ProxyServer, ProxySettingsError> {
    let bad = |reason: &str| ProxySettingsError::BadProxyUrl {
        value: redact_url(s.trim()),
        reason: reason.to_string(),
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad("empty"));
    }
    let (scheme, rest) = match t.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (default_scheme.to_string(), t),
    };
    if !matches!(
        scheme.as_str(),
        "http" | "https" | "socks" | "socks4" | "socks4a" | "socks5" | "socks5h"
    ) {
        return Err(bad(&format!(
            "unsupported scheme `{scheme}` (http, https, socks4, socks5 are)"
        )));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (credentials, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hp)) => (!userinfo.is_empty(), hp),
        None => (false, authority),
    };
    let (host, port) = if let Some(after) = hostport.strip_prefix('[') {
        let (h, tail) = after
            .split_once(']')
            .ok_or_else(|| bad("unclosed `[` in IPv6 address"))?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad(&format!("`{h}` is not an IPv6 address")));
        }
        let port = match tail {
            "" => None,
            t => Some(
                t.strip_prefix(':')
                    .ok_or_else(|| bad("unexpected text after `]`"))?,
            ),
        };
        (h.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err(bad(
                    "IPv6 addresses must be written in brackets: [::1]:3128",
                ));
            }
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (hostport.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    if !host.contains(':')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(bad(&format!("`{host}` is not a host name")));
    }
    let port = match port {
        None => default_port(&scheme),
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad(&format!("`{p}` is not a port (1-65535)"))),
            Ok(p) => p,
        },
    };
    Ok(ProxyServer {
        scheme,
        host,
        port,
        credentials,
    })
}

fn default_port(scheme: &str) -> u16 {
    match scheme {
        "https" => 443,
        s if s.starts_with("socks") => 1080,
        _ => 80,
    }
}

/// Hides credentials in any URL-ish text: `http://user:pass@h:3128` → `http://***@h:3128`,
/// `user:pass@h:3128` → `***@h:3128`, also inside lists such as `https=u:p@h:80;...` and
/// sentences. Text without credentials is returned unchanged.
pub fn redact_url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut token = String::new();
    let is_sep =
        |c: char| c.is_whitespace() || matches!(c, ';' | ',' | '"' | '\'' | '<' | '>' | '`');
    for c in s.chars() {
        if is_sep(c) {
            out.push_str(&redact_token(&token));
            token.clear();
            out.push(c);
        } else {
            token.push(c);
        }
    }
    out.push_str(&redact_token(&token));
    out
}

/// The credentials placeholder fix texts show (`http://USER:PASSWORD@proxy:8080`): not a secret.
pub const CREDENTIALS_PLACEHOLDER: &str = "USER:PASSWORD";

/// Redacts one whitespace/list-free token.
fn redact_token(token: &str) -> String {
    if !token.contains('@') || token.contains(&format!("://{CREDENTIALS_PLACEHOLDER}@")) {
        return token.to_string();
    }
    // `scheme://userinfo@host...`: the authority runs to the first `/`, `?` or `#`.
    if let Some(i) = token.find("://") {
        let (head, rest) = token.split_at(i + 3);
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if let Some(at) = authority.rfind('@') {
            return format!("{head}***{}{tail}", &authority[at..]);
        }
        return token.to_string();
    }
    // `key=user:pass@host` or `user:pass@host`: only when a `:` shows a password.
    let (prefix, value) = match token.split_once('=') {
        Some((k, v)) => (&token[..=k.len()], v),
        None => ("", token),
    };
    let end = value.find(['/', '?', '#']).unwrap_or(value.len());
    let (authority, tail) = value.split_at(end);
    match authority.rfind('@') {
        Some(at) if authority[..at].contains(':') => {
            format!("{prefix}***{}{tail}", &authority[at..])
        }
        _ => token.to_string(),
    }
}

/// Lower case, no trailing dot, no IPv6 brackets.
fn normalize_host(host: &str) -> String {
    let h = host.trim().trim_end_matches('.');
    let h = h
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(h);
    h.to_ascii_lowercase()
}

/// The host as an IP address, when it is one.
fn host_ip(host: &str) -> Option<IpAddr> {
    host.parse().ok()
}

/// Runs a tool: the signature collectors use, so tests can inject canned output.
type Runner<'a> = &'a dyn Fn(&str, &[&str], Duration) -> Result<String, CommandError>;

/// Which OS's stores to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Windows,
    Mac,
    Linux,
}

/// Reads this machine's proxy settings, choosing the OS at run time; the environment is always
/// read, and the flags come first when given. Never fails: what could not be read is a note.
pub fn collect(overrides: &Overrides) -> ProxyDiscovery {
    let os = if cfg!(target_os = "windows") {
        Os::Windows
    } else if cfg!(target_os = "macos") {
        Os::Mac
    } else {
        Os::Linux
    };
    let vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let runner =
        |program: &str, args: &[&str], timeout: Duration| command::run(program, args, timeout);
    collect_with(overrides, os, &vars, &runner)
}

/// The collector with the OS, the environment and the tool runner injected.
fn collect_with(
    overrides: &Overrides,
    os: Os,
    vars: &[(String, String)],
    run: Runner<'_>,
) -> ProxyDiscovery {
    let mut d = ProxyDiscovery::default();
    match flag_settings(overrides) {
        Ok(Some(flags)) => d.sources.push(flags),
        Ok(None) => {}
        Err(e) => d.notes.push(format!("flag ignored: {e}")),
    }
    match os {
        Os::Windows => collect_windows(&mut d, run),
        Os::Mac => match run("scutil", &["--proxy"], TOOL_TIMEOUT) {
            Ok(text) => d.sources.push(parse_scutil_proxy(&text)),
            Err(e) => d
                .notes
                .push(format!("cannot read the macOS proxy settings: {e}")),
        },
        Os::Linux => collect_linux(&mut d, vars, run),
    }
    d.sources.push(parse_env(vars));
    explain_decisive(&mut d);
    d
}

/// Says which source browsers follow, and that command-line tools may differ.
fn explain_decisive(d: &mut ProxyDiscovery) {
    let Some(decisive) = d.decisive() else {
        return;
    };
    let name = decisive.source.to_string();
    let env_differs = d.sources.iter().any(|s| {
        matches!(s.source, ProxySource::Env(_)) && !s.is_direct() && s.source != decisive.source
    });
    let mut note = format!("browsers and the OS follow {name}");
    if env_differs {
        note.push_str("; command-line tools (curl, az, Python, Go, Node) follow the *_proxy environment variables");
    }
    d.notes.push(note);
}

const INTERNET_SETTINGS: &str = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings";
const POLICY_INTERNET_SETTINGS: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";

/// Windows: the per-user Internet Settings and their `Connections` blob (or the machine's when
/// the `ProxySettingsPerUser` policy is 0), then the WinHTTP machine proxy.
fn collect_windows(d: &mut ProxyDiscovery, run: Runner<'_>) {
    let per_machine = run(
        "reg",
        &[
            "query",
            POLICY_INTERNET_SETTINGS,
            "/v",
            "ProxySettingsPerUser",
        ],
        TOOL_TIMEOUT,
    )
    .map(|text| windows::policy_per_machine(&text))
    .unwrap_or(false);
    let hive = if per_machine { "HKLM" } else { "HKCU" };
    if per_machine {
        d.notes.push(
            "group policy ProxySettingsPerUser=0: proxy settings are per machine (HKLM)"
                .to_string(),
        );
    }
    let key = format!(r"{hive}\{INTERNET_SETTINGS}");
    let connections = format!(r"{key}\Connections");
    let mut text = String::new();
    match run("reg", &["query", &key], TOOL_TIMEOUT) {
        Ok(t) => text.push_str(&t),
        Err(e) => d.notes.push(format!("cannot read {key}: {e}")),
    }
    match run(
        "reg",
        &["query", &connections, "/v", "DefaultConnectionSettings"],
        TOOL_TIMEOUT,
    ) {
        Ok(t) => {
            text.push('\n');
            text.push_str(&t);
        }
        Err(e) => d.notes.push(format!("cannot read {connections}: {e}")),
    }
    if !text.trim().is_empty() {
        d.sources.push(parse_reg_query_internet_settings(&text));
    }
    match run("netsh", &["winhttp", "show", "proxy"], TOOL_TIMEOUT) {
        Ok(t) => d.sources.push(parse_netsh_winhttp(&t)),
        Err(e) => d.notes.push(format!(
            "cannot read the WinHTTP proxy (netsh winhttp show proxy): {e}"
        )),
    }
}

/// The desktop whose proxy settings Linux browsers follow (as Chromium picks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desktop {
    Gnome,
    Kde,
    Other,
}

/// Reads `XDG_CURRENT_DESKTOP` (a `:` list) and `DESKTOP_SESSION` like Chromium's
/// `base::nix::GetDesktopEnvironment`: GNOME, Unity, Cinnamon, Pantheon and Budgie read
/// gsettings; KDE reads kioslaverc; anything else uses the environment variables.
fn desktop(vars: &[(String, String)]) -> (Desktop, String) {
    let get = |k: &str| {
        vars.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let current = get("XDG_CURRENT_DESKTOP");
    let name = if current.is_empty() {
        get("DESKTOP_SESSION")
    } else {
        current
    };
    let lower = name.to_ascii_lowercase();
    let kind = if lower
        .split([':', ';'])
        .any(|d| d.contains("kde") || d == "plasma")
    {
        Desktop::Kde
    } else if lower.split([':', ';']).any(|d| {
        matches!(
            d,
            "gnome" | "unity" | "x-cinnamon" | "cinnamon" | "pantheon" | "budgie"
        ) || d.starts_with("gnome")
            || d.starts_with("ubuntu")
    }) {
        Desktop::Gnome
    } else {
        Desktop::Other
    };
    (kind, name)
}

fn collect_linux(d: &mut ProxyDiscovery, vars: &[(String, String)], run: Runner<'_>) {
    let (kind, name) = desktop(vars);
    match kind {
        Desktop::Gnome => match run(
            "gsettings",
            &["list-recursively", "org.gnome.system.proxy"],
            TOOL_TIMEOUT,
        ) {
            Ok(text) => d.sources.push(parse_gsettings_list(&text)),
            Err(e) => d
                .notes
                .push(format!("cannot read the GNOME proxy settings: {e}")),
        },
        Desktop::Kde => {
            let path = kioslaverc_path(vars);
            match path {
                Some(path) => match read_kioslaverc(&path) {
                    Ok(Some(s)) => d.sources.push(s),
                    Ok(None) => d.notes.push(format!(
                        "{} does not exist: KDE uses no proxy",
                        path.display()
                    )),
                    Err(e) => d.notes.push(e.to_string()),
                },
                None => d
                    .notes
                    .push("neither XDG_CONFIG_HOME nor HOME is set: kioslaverc not read".to_string()),
            }
        }
        Desktop::Other => d.notes.push(if name.is_empty() {
            "no desktop session detected: only the *_proxy environment variables apply".to_string()
        } else {
            format!("desktop `{name}` has no proxy store pe-doctor reads: browsers follow the *_proxy environment variables")
        }),
    }
}

/// `$XDG_CONFIG_HOME/kioslaverc`, else `~/.config/kioslaverc`.
fn kioslaverc_path(vars: &[(String, String)]) -> Option<PathBuf> {
    let get = |k: &str| {
        vars.iter()
            .find(|(n, v)| n == k && !v.is_empty())
            .map(|(_, v)| PathBuf::from(v))
    };
    get("XDG_CONFIG_HOME")
        .or_else(|| get("HOME").map(|h| h.join(".config")))
        .map(|dir| dir.join("kioslaverc"))
}

/// Reads and parses a kioslaverc; `Ok(None)` when it does not exist.
fn read_kioslaverc(path: &Path) -> Result<Option<ProxySettings>, ProxySettingsError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(parse_kioslaverc(&String::from_utf8_lossy(&bytes)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProxySettingsError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
