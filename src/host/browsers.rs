//! Browser DNS over HTTPS: which browsers on this machine resolve names through their own DoH
//! server instead of the OS (and so past the VPN's private DNS zones), with the exact setting
//! that decides it and what to click to change it.
//!
//! Pure parsers (Firefox `prefs.js`, `profiles.ini`, `policies.json`; Chromium `Local State`
//! and managed policy files; `reg query` and `defaults read` output) plus a thin collector,
//! [`collect`], that walks the profile and policy locations of the OS named in
//! [`BrowserPaths`]. Every root comes from [`BrowserPaths`], so a test or the lab can lay out
//! a synthetic home in a temporary directory; OS tools (`reg`, `defaults`, `powershell`) run
//! only when [`BrowserPaths::run_os_tools`] is set. A missing browser yields nothing; an
//! unreadable file yields a note.

pub mod chromium;
pub mod firefox;
pub mod policy_text;

use crate::host::dns_config::command::{self, CommandError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::chromium::{
    ChromiumDoh, ChromiumPolicy, ChromiumResolved, automatic_upgrade_template, effective_chromium,
    parse_chromium_policy_file, parse_chromium_policy_json, parse_local_state, resolve_chromium,
};
pub use self::firefox::{
    DEFAULT_FIREFOX_URI, FirefoxDohPolicy, FirefoxPolicies, FirefoxPrefs, FirefoxProfileEntry,
    FirefoxResolved, PrefValue, effective_firefox, parse_firefox_policies,
    parse_firefox_policies_json, parse_prefs_js, parse_prefs_text, parse_profiles_ini,
    resolve_firefox,
};
pub use self::policy_text::{
    RegValue, parse_defaults_read, parse_reg_query_policies, reg_values_to_policies,
};

/// Errors of the browser-settings parsers.
#[derive(Debug, thiserror::Error)]
pub enum BrowsersError {
    /// A JSON file (Local State, policies.json, a managed policy file) is not valid JSON.
    #[error("{what} is not valid JSON: {message}")]
    Json {
        /// The file.
        what: String,
        /// serde_json's message (with line and column).
        message: String,
    },
    /// A JSON file's top level is not an object.
    #[error("{what}: the top level is not a JSON object")]
    NotObject {
        /// The file.
        what: String,
    },
    /// `defaults read` output that is not a property list.
    #[error("property list line {line}: {message}")]
    Plist {
        /// 1-based line.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

/// A browser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrowserKind {
    /// Mozilla Firefox.
    Firefox,
    /// Google Chrome.
    Chrome,
    /// Microsoft Edge.
    Edge,
    /// Chromium.
    Chromium,
    /// Brave.
    Brave,
}

impl BrowserKind {
    /// The name people know.
    pub fn name(self) -> &'static str {
        match self {
            BrowserKind::Firefox => "Firefox",
            BrowserKind::Chrome => "Chrome",
            BrowserKind::Edge => "Edge",
            BrowserKind::Chromium => "Chromium",
            BrowserKind::Brave => "Brave",
        }
    }

    /// Where the user turns the browser's DoH off.
    pub fn secure_dns_setting(self) -> &'static str {
        match self {
            BrowserKind::Firefox => "Settings > Privacy & Security > DNS over HTTPS: Off",
            BrowserKind::Edge => {
                "Edge Settings > Privacy, search, and services > Security > Use secure DNS: off \
                 (edge://settings/privacy)"
            }
            BrowserKind::Chrome => {
                "Chrome Settings > Privacy and security > Security > Use secure DNS: off \
                 (chrome://settings/security)"
            }
            BrowserKind::Chromium => {
                "Chromium Settings > Privacy and security > Security > Use secure DNS: off \
                 (chrome://settings/security)"
            }
            BrowserKind::Brave => {
                "Brave Settings > Privacy and security > Security > Use secure DNS: off \
                 (brave://settings/security)"
            }
        }
    }
}

/// How a browser resolves names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DohMode {
    /// No DoH (Firefox mode 0 without the default-on rollout, Chromium `off`, or a managed
    /// machine).
    Off,
    /// DoH when available with fallback to the system resolver: Chromium `automatic`
    /// (without templates it only upgrades a system resolver that is a known DoH provider), or
    /// Firefox's default-on rollout (mode 0 with `doh-rollout.mode` 2).
    Automatic,
    /// Firefox mode 2: DoH first, the system resolver when DoH fails.
    First,
    /// DoH only (Firefox 3, Chromium `secure`): no fallback.
    Only,
    /// Firefox mode 5: off by choice (the rollout never turns it on).
    OffByChoice,
}

impl DohMode {
    /// Whether the browser sends DoH queries in this mode.
    pub fn sends_doh(self) -> bool {
        matches!(self, DohMode::Automatic | DohMode::First | DohMode::Only)
    }

    /// Whether a failed DoH lookup falls back to the system resolver.
    pub fn falls_back(self) -> bool {
        matches!(self, DohMode::Automatic | DohMode::First)
    }
}

/// The DoH configuration of one browser profile (Firefox) or one browser installation
/// (Chromium family: the setting lives in `Local State` and covers every profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserDoh {
    /// The browser.
    pub browser: BrowserKind,
    /// The Firefox profile directory name (`abcd1234.default-release`), or `all profiles` for
    /// Chromium-family browsers; packaging (`snap`, `flatpak`) is added in parentheses.
    pub profile: String,
    /// Where the profile / user-data directory is. Contains the home path: never serialized
    /// into reports (use [`BrowserDoh::shown_path`] for display).
    #[serde(skip)]
    pub profile_path: PathBuf,
    /// The effective mode.
    pub mode: DohMode,
    /// Effective DoH URI templates (`{?dns}` means GET). Firefox: `network.trr.uri` /
    /// policy / rollout / the default `https://mozilla.cloudflare-dns.com/dns-query`.
    /// Chromium `automatic` without configured templates: empty (only known providers are
    /// upgraded; see [`automatic_upgrade_template`]). Empty whenever the mode sends no DoH.
    pub templates: Vec<String>,
    /// Names under these domains bypass DoH (Firefox `network.trr.excluded-domains` /
    /// policy `ExcludedDomains`).
    pub excluded_domains: Vec<String>,
    /// Private (RFC 1918) answers from the DoH server are kept. Firefox
    /// `network.trr.allow-rfc1918` (default false: dropped); always true for Chromium-family
    /// browsers, which keep them.
    pub allow_rfc1918: bool,
    /// The mode is set by an enterprise policy.
    pub managed: bool,
    /// The exact setting that decides the mode, e.g. `about:config network.trr.mode = 3
    /// (prefs.js)`, `Policy DnsOverHttpsMode = secure (HKLM\SOFTWARE\Policies\Microsoft\Edge)`,
    /// `Local State dns_over_https.mode = secure`.
    pub setting: String,
    /// What to click (or whom to ask) to change it.
    pub fix: String,
}

impl BrowserDoh {
    /// Whether `name` bypasses DoH through an excluded domain (or Firefox's built-in
    /// `localhost` / `local`).
    pub fn excludes(&self, name: &str) -> bool {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let builtin: &[&str] = if self.browser == BrowserKind::Firefox {
            &["localhost", "local"]
        } else {
            &[]
        };
        self.excluded_domains
            .iter()
            .map(String::as_str)
            .chain(builtin.iter().copied())
            .any(|d| {
                name == d
                    || (name.len() > d.len()
                        && name.ends_with(d)
                        && name.as_bytes()[name.len() - d.len() - 1] == b'.')
            })
    }

    /// Whether the browser asks its DoH server for `name`.
    pub fn uses_doh_for(&self, name: &str) -> bool {
        self.mode.sends_doh() && !self.excludes(name)
    }

    /// The profile path with the home directory replaced by `~` (for notes and reports).
    pub fn shown_path(&self, home: &Path) -> String {
        shown(&self.profile_path, home)
    }
}

/// An operating system whose layout [`BrowserPaths`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Os {
    /// Windows: `%APPDATA%`, `%LOCALAPPDATA%`, the registry.
    Windows,
    /// macOS: `~/Library/Application Support`, preference domains.
    MacOs,
    /// Linux (and other Unix): `~/.mozilla`, `~/.config`, snap and flatpak homes, `/etc`.
    Linux,
}

impl Os {
    /// The OS pe-doctor runs on.
    pub fn current() -> Self {
        if cfg!(target_os = "windows") {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        }
    }
}

/// Who a policy source applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyScope {
    /// Machine-wide (HKLM, `/etc/...`, `/Library/Managed Preferences/<domain>`). Any such
    /// policy makes Chromium treat the machine as managed.
    Machine,
    /// Enforced for the user (HKCU, `/Library/Managed Preferences/<user>/<domain>`).
    User,
    /// A plain user preference domain (`defaults read com.google.Chrome`): Firefox reads
    /// policies from it; Chromium treats it as recommended, which the DoH policies do not
    /// support, so it is only noted.
    Unmanaged,
}

/// Where a policy store is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicySource {
    /// A directory: Firefox reads `policies.json` in it; Chromium-family browsers read every
    /// `*.json` in it.
    Dir(PathBuf),
    /// A registry key read with `reg query KEY /s` (Windows).
    Registry(String),
    /// A preference domain (`com.microsoft.Edge`) or plist path without `.plist`
    /// (`/Library/Managed Preferences/com.microsoft.Edge`) read with `defaults read` (macOS).
    Defaults(String),
}

/// One policy store of one browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRoot {
    /// The browser that reads it.
    pub browser: BrowserKind,
    /// Where it is.
    pub source: PolicySource,
    /// Who it applies to.
    pub scope: PolicyScope,
}

impl PolicyRoot {
    fn new(browser: BrowserKind, source: PolicySource, scope: PolicyScope) -> Self {
        Self {
            browser,
            source,
            scope,
        }
    }
}

/// Every root the collector reads, so tests and the lab can point it at a synthetic home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserPaths {
    /// The user's home directory.
    pub home: PathBuf,
    /// Windows `%APPDATA%` (default `<home>\AppData\Roaming`).
    pub appdata: Option<PathBuf>,
    /// Windows `%LOCALAPPDATA%` (default `<home>\AppData\Local`).
    pub localappdata: Option<PathBuf>,
    /// Linux `$XDG_CONFIG_HOME` (default `<home>/.config`).
    pub xdg_config_home: Option<PathBuf>,
    /// Which OS layout to walk.
    pub os: Os,
    /// Policy stores, in precedence order per browser (first wins).
    pub policy_roots: Vec<PolicyRoot>,
    /// Run `reg`, `defaults` and `powershell` for [`PolicySource::Registry`] /
    /// [`PolicySource::Defaults`] roots and the Windows domain-join check. Off for
    /// synthetic homes.
    pub run_os_tools: bool,
}

impl BrowserPaths {
    /// The real locations of this machine (home and app-data directories from the
    /// environment, the OS's policy stores) with OS tools enabled.
    pub fn for_this_machine() -> Self {
        let os = Os::current();
        let env_path = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = match os {
            Os::Windows => env_path("USERPROFILE").or_else(|| env_path("HOME")),
            _ => env_path("HOME"),
        }
        .unwrap_or_default();
        let program_files: Vec<PathBuf> = ["ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"]
            .iter()
            .filter_map(|k| env_path(k))
            .collect();
        Self {
            appdata: env_path("APPDATA").filter(|_| os == Os::Windows),
            localappdata: env_path("LOCALAPPDATA").filter(|_| os == Os::Windows),
            xdg_config_home: env_path("XDG_CONFIG_HOME").filter(|_| os == Os::Linux),
            policy_roots: default_policy_roots(os, &program_files, std::env::var("USER").ok()),
            home,
            os,
            run_os_tools: true,
        }
    }

    /// A home laid out under `home` for `os` (Windows app-data under `<home>\AppData`), with
    /// no policy stores and no OS tools: what tests and lab scenarios start from.
    pub fn synthetic(home: impl Into<PathBuf>, os: Os) -> Self {
        Self {
            home: home.into(),
            appdata: None,
            localappdata: None,
            xdg_config_home: None,
            os,
            policy_roots: Vec::new(),
            run_os_tools: false,
        }
    }

    fn appdata(&self) -> PathBuf {
        self.appdata
            .clone()
            .unwrap_or_else(|| self.home.join("AppData").join("Roaming"))
    }

    fn localappdata(&self) -> PathBuf {
        self.localappdata
            .clone()
            .unwrap_or_else(|| self.home.join("AppData").join("Local"))
    }

    fn config_home(&self) -> PathBuf {
        self.xdg_config_home
            .clone()
            .unwrap_or_else(|| self.home.join(".config"))
    }

    /// Firefox profile roots (where `profiles.ini` lives), with a packaging label.
    pub fn firefox_roots(&self) -> Vec<(PathBuf, Option<&'static str>)> {
        match self.os {
            Os::Windows => vec![(join(&self.appdata(), &["Mozilla", "Firefox"]), None)],
            Os::MacOs => vec![(
                join(&self.home, &["Library", "Application Support", "Firefox"]),
                None,
            )],
            Os::Linux => vec![
                (join(&self.home, &[".mozilla", "firefox"]), None),
                (join(&self.config_home(), &["mozilla", "firefox"]), None),
                (
                    join(
                        &self.home,
                        &["snap", "firefox", "common", ".mozilla", "firefox"],
                    ),
                    Some("snap"),
                ),
                (
                    join(
                        &self.home,
                        &[".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"],
                    ),
                    Some("flatpak"),
                ),
            ],
        }
    }

    /// Chromium-family user-data directories (where `Local State` lives), with a packaging
    /// label.
    pub fn chromium_user_data_dirs(&self) -> Vec<(BrowserKind, PathBuf, Option<&'static str>)> {
        use BrowserKind::*;
        match self.os {
            Os::Windows => {
                let l = self.localappdata();
                vec![
                    (Chrome, join(&l, &["Google", "Chrome", "User Data"]), None),
                    (Edge, join(&l, &["Microsoft", "Edge", "User Data"]), None),
                    (Chromium, join(&l, &["Chromium", "User Data"]), None),
                    (
                        Brave,
                        join(&l, &["BraveSoftware", "Brave-Browser", "User Data"]),
                        None,
                    ),
                ]
            }
            Os::MacOs => {
                let s = join(&self.home, &["Library", "Application Support"]);
                vec![
                    (Chrome, join(&s, &["Google", "Chrome"]), None),
                    (Edge, join(&s, &["Microsoft Edge"]), None),
                    (Chromium, join(&s, &["Chromium"]), None),
                    (Brave, join(&s, &["BraveSoftware", "Brave-Browser"]), None),
                ]
            }
            Os::Linux => {
                let c = self.config_home();
                let flatpak = |app: &str, rest: &[&str]| {
                    let mut parts = vec![".var", "app", app, "config"];
                    parts.extend_from_slice(rest);
                    join(&self.home, &parts)
                };
                vec![
                    (Chrome, join(&c, &["google-chrome"]), None),
                    (Edge, join(&c, &["microsoft-edge"]), None),
                    (Chromium, join(&c, &["chromium"]), None),
                    (Brave, join(&c, &["BraveSoftware", "Brave-Browser"]), None),
                    (
                        Chromium,
                        join(&self.home, &["snap", "chromium", "common", "chromium"]),
                        Some("snap"),
                    ),
                    (
                        Chrome,
                        flatpak("com.google.Chrome", &["google-chrome"]),
                        Some("flatpak"),
                    ),
                    (
                        Edge,
                        flatpak("com.microsoft.Edge", &["microsoft-edge"]),
                        Some("flatpak"),
                    ),
                    (
                        Chromium,
                        flatpak("org.chromium.Chromium", &["chromium"]),
                        Some("flatpak"),
                    ),
                    (
                        Brave,
                        flatpak("com.brave.Browser", &["BraveSoftware", "Brave-Browser"]),
                        Some("flatpak"),
                    ),
                ]
            }
        }
    }
}

/// `base` joined with each part (so Windows layouts can be built under a Linux temp dir).
fn join(base: &Path, parts: &[&str]) -> PathBuf {
    parts.iter().fold(base.to_path_buf(), |acc, p| acc.join(p))
}

/// The OS's policy stores, in precedence order.
pub fn default_policy_roots(
    os: Os,
    program_files: &[PathBuf],
    user: Option<String>,
) -> Vec<PolicyRoot> {
    use BrowserKind::*;
    use PolicyScope::*;
    use PolicySource::*;
    let mut out = Vec::new();
    match os {
        Os::Windows => {
            for (kind, key) in [
                (Firefox, r"SOFTWARE\Policies\Mozilla\Firefox"),
                (Chrome, r"SOFTWARE\Policies\Google\Chrome"),
                (Edge, r"SOFTWARE\Policies\Microsoft\Edge"),
                (Chromium, r"SOFTWARE\Policies\Chromium"),
                (Brave, r"SOFTWARE\Policies\BraveSoftware\Brave"),
            ] {
                out.push(PolicyRoot::new(
                    kind,
                    Registry(format!(r"HKLM\{key}")),
                    Machine,
                ));
                out.push(PolicyRoot::new(
                    kind,
                    Registry(format!(r"HKCU\{key}")),
                    User,
                ));
            }
            for pf in program_files {
                out.push(PolicyRoot::new(
                    Firefox,
                    Dir(join(pf, &["Mozilla Firefox", "distribution"])),
                    Machine,
                ));
            }
        }
        Os::MacOs => {
            let managed = "/Library/Managed Preferences";
            for (kind, domain) in [
                (Firefox, "org.mozilla.firefox"),
                (Chrome, "com.google.Chrome"),
                (Edge, "com.microsoft.Edge"),
                (Chromium, "org.chromium.Chromium"),
                (Brave, "com.brave.Browser"),
            ] {
                out.push(PolicyRoot::new(
                    kind,
                    Defaults(format!("{managed}/{domain}")),
                    Machine,
                ));
                if let Some(u) = user.as_deref().filter(|u| !u.contains('/')) {
                    out.push(PolicyRoot::new(
                        kind,
                        Defaults(format!("{managed}/{u}/{domain}")),
                        User,
                    ));
                }
                if kind == Firefox {
                    out.push(PolicyRoot::new(
                        kind,
                        Defaults(format!("/Library/Preferences/{domain}")),
                        Machine,
                    ));
                }
                out.push(PolicyRoot::new(
                    kind,
                    Defaults(domain.to_string()),
                    Unmanaged,
                ));
            }
            out.push(PolicyRoot::new(
                Firefox,
                Dir(PathBuf::from(
                    "/Applications/Firefox.app/Contents/Resources/distribution",
                )),
                Machine,
            ));
        }
        Os::Linux => {
            for dir in [
                "/etc/firefox/policies",
                "/usr/lib/firefox/distribution",
                "/usr/lib64/firefox/distribution",
                "/usr/lib/firefox-esr/distribution",
                "/opt/firefox/distribution",
            ] {
                out.push(PolicyRoot::new(Firefox, Dir(dir.into()), Machine));
            }
            for (kind, dir) in [
                (Chrome, "/etc/opt/chrome/policies/managed"),
                (Edge, "/etc/opt/edge/policies/managed"),
                (Chromium, "/etc/chromium/policies/managed"),
                (Chromium, "/etc/chromium-browser/policies/managed"),
                (Brave, "/etc/brave/policies/managed"),
            ] {
                out.push(PolicyRoot::new(kind, Dir(dir.into()), Machine));
            }
        }
    }
    out
}

/// Facts from elsewhere in the diagnosis that change what browsers do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostHints {
    /// Windows domain join (Chromium turns DoH off on a managed machine). `None`: ask
    /// Windows when OS tools may run.
    pub domain_joined: Option<bool>,
    /// A VPN, split DNS / NRPT or Firefox's canary domain was detected: Firefox's default-on
    /// rollout heuristics switch DoH off.
    pub vpn_or_enterprise: bool,
}

/// Runs a tool: the signature collectors use, so tests can inject canned output.
pub(crate) type Runner<'a> = &'a dyn Fn(&str, &[&str], Duration) -> Result<String, CommandError>;

/// Reads every browser's DoH settings under `paths` (see [`collect_with_hints`]).
pub fn collect(paths: &BrowserPaths) -> (Vec<BrowserDoh>, Vec<String>) {
    collect_with_hints(paths, &HostHints::default())
}

/// Reads every browser's DoH settings under `paths`: Firefox profiles (from `profiles.ini`,
/// plus any profile directory with a `prefs.js`) with the Firefox policies, and each
/// Chromium-family user-data directory's `Local State` with that browser's policies. Returns
/// the browsers found and notes (unreadable files, failing tools), paths shown with `~`.
pub fn collect_with_hints(
    paths: &BrowserPaths,
    hints: &HostHints,
) -> (Vec<BrowserDoh>, Vec<String>) {
    let runner =
        |program: &str, args: &[&str], timeout: Duration| command::run(program, args, timeout);
    collect_with(paths, hints, &runner)
}

/// [`collect_with_hints`] with an injectable tool runner.
pub(crate) fn collect_with(
    paths: &BrowserPaths,
    hints: &HostHints,
    run: Runner<'_>,
) -> (Vec<BrowserDoh>, Vec<String>) {
    let mut c = Collector {
        paths,
        run,
        notes: Vec::new(),
        domain_joined: hints.domain_joined,
    };
    let mut out = Vec::new();
    c.firefox(hints, &mut out);
    c.chromium(&mut out);
    (out, c.notes)
}

struct Collector<'a> {
    paths: &'a BrowserPaths,
    run: Runner<'a>,
    notes: Vec<String>,
    domain_joined: Option<bool>,
}

/// `path` with `home` replaced by `~`.
fn shown(path: &Path, home: &Path) -> String {
    if !home.as_os_str().is_empty()
        && let Ok(rest) = path.strip_prefix(home)
    {
        return if rest.as_os_str().is_empty() {
            "~".to_string()
        } else {
            format!("~{}{}", std::path::MAIN_SEPARATOR, rest.display())
        };
    }
    path.display().to_string()
}

impl Collector<'_> {
    fn shown(&self, path: &Path) -> String {
        shown(path, &self.paths.home)
    }

    fn read(&mut self, path: &Path) -> Option<String> {
        match std::fs::read(path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => {
                self.notes
                    .push(format!("cannot read {}: {e}", self.shown(path)));
                None
            }
        }
    }

    /// Runs an OS tool for a policy store; `None` when the store does not exist (the tool
    /// failed) or the tool could not run (then a note).
    fn tool(&mut self, program: &str, args: &[&str]) -> Option<String> {
        if !self.paths.run_os_tools {
            return None;
        }
        match (self.run)(program, args, command::TOOL_TIMEOUT) {
            Ok(text) => Some(text),
            Err(CommandError::Failed { .. }) => None,
            Err(e) => {
                self.notes.push(format!(
                    "cannot read browser policies with `{program} {}`: {e}",
                    args.join(" ")
                ));
                None
            }
        }
    }

    /// A policy store as a policy-name → value map, when it exists.
    fn platform_store(&mut self, source: &PolicySource) -> Option<(Map<String, Value>, String)> {
        match source {
            PolicySource::Registry(key) => {
                let text = self.tool("reg", &["query", key, "/s"])?;
                let values = parse_reg_query_policies(&text);
                let map = reg_values_to_policies(&values, key);
                Some((map, key.clone()))
            }
            PolicySource::Defaults(domain) => {
                if domain.contains('/') && !Path::new(&format!("{domain}.plist")).exists() {
                    return None;
                }
                let text = self.tool("defaults", &["read", domain])?;
                match parse_defaults_read(&text) {
                    Ok(Value::Object(map)) => Some((map, format!("defaults {domain}"))),
                    Ok(_) => None,
                    Err(e) => {
                        self.notes
                            .push(format!("cannot parse `defaults read {domain}`: {e}"));
                        None
                    }
                }
            }
            PolicySource::Dir(_) => None,
        }
    }

    /// The Firefox policies of all stores: platform stores first (they win), then the first
    /// `policies.json` found.
    fn firefox_policies(&mut self) -> Option<FirefoxPolicies> {
        let mut combined: Option<FirefoxPolicies> = None;
        let mut json_done = false;
        let roots: Vec<PolicyRoot> = self
            .paths
            .policy_roots
            .iter()
            .filter(|r| r.browser == BrowserKind::Firefox)
            .cloned()
            .collect();
        // Platform stores before policies.json, whatever the listing order.
        let (platform, dirs): (Vec<_>, Vec<_>) = roots
            .into_iter()
            .partition(|r| !matches!(r.source, PolicySource::Dir(_)));
        for root in platform.iter().chain(dirs.iter()) {
            let found = match &root.source {
                PolicySource::Dir(dir) => {
                    if json_done {
                        continue;
                    }
                    let file = dir.join("policies.json");
                    if !file.is_file() {
                        continue;
                    }
                    json_done = true;
                    let Some(text) = self.read(&file) else {
                        continue;
                    };
                    match parse_firefox_policies(&text, &self.shown(&file)) {
                        Ok(p) => p,
                        Err(e) => {
                            self.notes
                                .push(format!("Firefox ignores its policies: {e}"));
                            continue;
                        }
                    }
                }
                source => {
                    let Some((mut map, label)) = self.platform_store(source) else {
                        continue;
                    };
                    if matches!(source, PolicySource::Defaults(_)) {
                        let enabled = map
                            .get("EnterprisePoliciesEnabled")
                            .and_then(policy_text::json_bool)
                            .unwrap_or(false);
                        if !enabled {
                            if map.contains_key("DNSOverHTTPS") {
                                self.notes.push(format!(
                                    "{label} has a DNSOverHTTPS policy but not \
                                     EnterprisePoliciesEnabled, so Firefox ignores it"
                                ));
                            }
                            continue;
                        }
                        map.remove("EnterprisePoliciesEnabled");
                    }
                    firefox::firefox_policies_from_value(&Value::Object(map), &label)
                }
            };
            match combined.as_mut() {
                Some(c) => c.combine(found),
                None => combined = Some(found),
            }
        }
        combined
    }

    fn firefox(&mut self, hints: &HostHints, out: &mut Vec<BrowserDoh>) {
        let mut profiles: Vec<(PathBuf, Option<&'static str>)> = Vec::new();
        for (root, label) in self.paths.firefox_roots() {
            if !root.is_dir() {
                continue;
            }
            let ini = root.join("profiles.ini");
            if ini.is_file()
                && let Some(text) = self.read(&ini)
            {
                for p in parse_profiles_ini(&text, &root) {
                    profiles.push((p.path, label));
                }
            }
            // Profiles not (or no longer) listed: any directory holding a prefs.js.
            let scan = if self.paths.os == Os::Linux {
                root.clone()
            } else {
                root.join("Profiles")
            };
            if let Ok(entries) = std::fs::read_dir(&scan) {
                let mut dirs: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.join("prefs.js").is_file())
                    .collect();
                dirs.sort();
                for d in dirs {
                    profiles.push((d, label));
                }
            }
        }
        let mut seen: Vec<PathBuf> = Vec::new();
        profiles.retain(|(p, _)| {
            let key = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        });
        if profiles.is_empty() {
            return;
        }
        let policies = self.firefox_policies();
        let enterprise = hints.vpn_or_enterprise || policies.as_ref().is_some_and(|p| p.active);
        let doh_policy = policies.as_ref().and_then(|p| p.doh.clone());
        for (dir, label) in profiles {
            let prefs_file = dir.join("prefs.js");
            if !prefs_file.is_file() {
                // Listed but never started: no settings yet.
                continue;
            }
            let Some(text) = self.read(&prefs_file) else {
                continue;
            };
            let mut prefs = parse_prefs_text(&text, "prefs.js");
            let user_js = dir.join("user.js");
            if user_js.is_file()
                && let Some(text) = self.read(&user_js)
            {
                prefs.merge(parse_prefs_text(&text, "user.js"));
            }
            for e in &prefs.errors {
                self.notes
                    .push(format!("Firefox profile {}: {e}", self.shown(&dir)));
            }
            let r = resolve_firefox(&prefs, doh_policy.as_ref(), enterprise);
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "profile".to_string());
            out.push(BrowserDoh {
                browser: BrowserKind::Firefox,
                profile: labelled(name, label),
                profile_path: dir,
                mode: r.mode,
                templates: r.templates,
                excluded_domains: r.excluded_domains,
                allow_rfc1918: r.allow_rfc1918,
                managed: r.managed,
                setting: r.setting,
                fix: r.fix,
            });
        }
    }

    /// The DoH policies of one Chromium-family browser over its stores.
    fn chromium_policy(&mut self, kind: BrowserKind) -> ChromiumPolicy {
        let mut policy = ChromiumPolicy::default();
        let roots: Vec<PolicyRoot> = self
            .paths
            .policy_roots
            .iter()
            .filter(|r| r.browser == kind)
            .cloned()
            .collect();
        for root in roots {
            let machine = root.scope == PolicyScope::Machine;
            match &root.source {
                PolicySource::Dir(dir) => {
                    let Ok(entries) = std::fs::read_dir(dir) else {
                        continue;
                    };
                    let mut files: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
                        .collect();
                    files.sort();
                    for f in files {
                        let Some(text) = self.read(&f) else {
                            continue;
                        };
                        let label = self.shown(&f);
                        match serde_json::from_str::<Value>(&text) {
                            Ok(Value::Object(map)) => policy
                                .merge(chromium::chromium_policy_from_map(&map, &label, machine)),
                            Ok(_) => self.notes.push(format!(
                                "{} ignores {label}: the top level is not a JSON object",
                                kind.name()
                            )),
                            Err(e) => self.notes.push(format!(
                                "{} ignores {label}: not valid JSON: {e}",
                                kind.name()
                            )),
                        }
                    }
                }
                source => {
                    let Some((map, label)) = self.platform_store(source) else {
                        continue;
                    };
                    if root.scope == PolicyScope::Unmanaged {
                        if let Some(m) = map.get("DnsOverHttpsMode").and_then(Value::as_str) {
                            self.notes.push(format!(
                                "{label} sets DnsOverHttpsMode = {m} as a plain preference, not \
                                 a managed policy; {} does not apply it",
                                kind.name()
                            ));
                        }
                        continue;
                    }
                    policy.merge(chromium::chromium_policy_from_map(&map, &label, machine));
                }
            }
        }
        policy
    }

    /// Whether this Windows machine is joined to a domain (asked once, only when needed).
    fn domain_joined(&mut self) -> bool {
        if let Some(j) = self.domain_joined {
            return j;
        }
        let joined = if self.paths.os == Os::Windows && self.paths.run_os_tools {
            match (self.run)(
                "powershell",
                &[
                    "-NoProfile",
                    "-NonInteractive",
                    "-Command",
                    "(Get-CimInstance Win32_ComputerSystem).PartOfDomain",
                ],
                command::TOOL_TIMEOUT,
            ) {
                Ok(text) => text.trim().eq_ignore_ascii_case("true"),
                Err(e) => {
                    self.notes.push(format!(
                        "cannot tell whether Windows is domain-joined (Chrome and Edge turn \
                         DoH off when it is): {e}"
                    ));
                    false
                }
            }
        } else {
            false
        };
        self.domain_joined = Some(joined);
        joined
    }

    fn chromium(&mut self, out: &mut Vec<BrowserDoh>) {
        let mut policies: HashMap<BrowserKind, ChromiumPolicy> = HashMap::new();
        let mut found: Vec<BrowserKind> = Vec::new();
        for (kind, dir, label) in self.paths.chromium_user_data_dirs() {
            let local_state = dir.join("Local State");
            if !local_state.is_file() {
                continue;
            }
            let Some(text) = self.read(&local_state) else {
                continue;
            };
            let local = match parse_local_state(&text) {
                Ok(l) => l,
                Err(e) => {
                    self.notes
                        .push(format!("{} {}: {e}", kind.name(), self.shown(&local_state)));
                    continue;
                }
            };
            let policy = policies
                .entry(kind)
                .or_insert_with(|| self.chromium_policy(kind))
                .clone();
            // The domain join matters only when no policy decides and DoH would be on.
            let would_send = policy.mode.is_none()
                && !policy.machine_policies
                && local
                    .mode
                    .as_deref()
                    .map(chromium::mode_from_str)
                    .unwrap_or(DohMode::Automatic)
                    .sends_doh();
            let joined = would_send && self.domain_joined();
            let r = resolve_chromium(kind, &local, &policy, joined);
            found.push(kind);
            out.push(BrowserDoh {
                browser: kind,
                profile: labelled("all profiles".to_string(), label),
                profile_path: dir,
                mode: r.mode,
                templates: r.templates,
                excluded_domains: Vec::new(),
                allow_rfc1918: true,
                managed: r.managed,
                setting: r.setting,
                fix: r.fix,
            });
        }
        // Policies for browsers without user data: worth a note when they turn DoH on.
        for kind in [
            BrowserKind::Chrome,
            BrowserKind::Edge,
            BrowserKind::Chromium,
            BrowserKind::Brave,
        ] {
            if found.contains(&kind) || !self.paths.policy_roots.iter().any(|r| r.browser == kind) {
                continue;
            }
            let p = self.chromium_policy(kind);
            if let Some(m) = p
                .mode
                .as_deref()
                .filter(|m| chromium::mode_from_str(m).sends_doh())
            {
                self.notes.push(format!(
                    "policy DnsOverHttpsMode = {m} for {} ({}), but no {} user data was found",
                    kind.name(),
                    p.mode_source.as_deref().unwrap_or("policy"),
                    kind.name()
                ));
            }
        }
    }
}

/// `name` with a packaging label: `abc.default (snap)`.
fn labelled(name: String, label: Option<&str>) -> String {
    match label {
        Some(l) => format!("{name} ({l})"),
        None => name,
    }
}

/// The DoH servers the browsers use, once per template, labelled with the browsers that use
/// it (`Edge (all profiles), Firefox (abc.default)`): what the diagnosis adds to the DoH
/// resolvers it asks (role `browser-doh`).
pub fn doh_resolvers(list: &[BrowserDoh]) -> Vec<crate::config::NamedDoh> {
    let mut out: Vec<crate::config::NamedDoh> = Vec::new();
    for b in list.iter().filter(|b| b.mode.sends_doh()) {
        let who = format!("{} ({})", b.browser.name(), b.profile);
        for t in &b.templates {
            match out.iter_mut().find(|d| d.url == *t) {
                Some(d) => {
                    if !d.label.split(", ").any(|l| l == who) {
                        d.label = format!("{}, {who}", d.label);
                    }
                }
                None => out.push(crate::config::NamedDoh {
                    label: who.clone(),
                    url: t.clone(),
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
