//! Firefox: `prefs.js` / `user.js`, `profiles.ini`, the `DNSOverHTTPS` enterprise policy, and
//! how Firefox combines them into the TRR (DoH) mode it uses.
//!
//! What Firefox does (netwerk TRRServiceBase, browser/components/enterprisepolicies):
//! - `network.trr.mode`: 0 off (default; the default-on rollout may still turn DoH on through
//!   `doh-rollout.mode`), 2 TRR first with native fallback, 3 TRR only, 5 off by choice; 1, 4
//!   and anything above 5 count as 5.
//! - The URI used is `network.trr.uri` when non-empty, else `doh-rollout.uri`, else
//!   `network.trr.default_provider_uri` (default `https://mozilla.cloudflare-dns.com/dns-query`).
//!   `network.trr.custom_uri` only remembers the settings page's "Custom" field.
//! - The `DNSOverHTTPS` policy sets *default* values (`Enabled` → mode 2, or 5 when false;
//!   `Fallback: false` → mode 3; `ProviderURL` → `network.trr.uri`; `ExcludedDomains` →
//!   `network.trr.excluded-domains`). A user value in `prefs.js` still wins unless the policy
//!   is `Locked`.
//! - Private (RFC 1918) answers from the DoH server are dropped unless
//!   `network.trr.allow-rfc1918` is true.

use super::policy_text::json_bool;
use super::{BrowsersError, DohMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Firefox's built-in DoH provider URI.
pub const DEFAULT_FIREFOX_URI: &str = "https://mozilla.cloudflare-dns.com/dns-query";

/// Regions where Firefox turned DoH on by default (the "default-on" rollout): USA (2019),
/// Canada (2021), Russia and Ukraine (2022).
pub const ROLLOUT_REGIONS: &[&str] = &["US", "CA", "RU", "UA"];

/// A preference value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PrefValue {
    /// A string preference.
    Str(String),
    /// An integer preference.
    Int(i64),
    /// A boolean preference.
    Bool(bool),
}

impl std::fmt::Display for PrefValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrefValue::Str(s) => write!(f, "{s:?}"),
            PrefValue::Int(i) => write!(f, "{i}"),
            PrefValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// One preference as read from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pref {
    /// Its value.
    pub value: PrefValue,
    /// The file that set it (`prefs.js`, `user.js`).
    pub source: String,
}

/// Preferences of one Firefox profile (the last statement for a name wins, as in Firefox).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirefoxPrefs {
    /// Preferences by name.
    pub values: BTreeMap<String, Pref>,
    /// Statements that could not be parsed (`prefs.js:12: ...`).
    pub errors: Vec<String>,
}

impl FirefoxPrefs {
    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&PrefValue> {
        self.values.get(name).map(|p| &p.value)
    }

    /// An integer preference (`None` when unset or of another type).
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            PrefValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A string preference (`None` when unset or of another type).
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            PrefValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean preference (`None` when unset or of another type).
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            PrefValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The file that set `name`.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|p| p.source.as_str())
    }

    /// Applies `other` on top of these preferences (as `user.js` is applied after `prefs.js`).
    pub fn merge(&mut self, other: FirefoxPrefs) {
        self.values.extend(other.values);
        self.errors.extend(other.errors);
    }
}

/// Parses a `prefs.js` file (see [`parse_prefs_text`]).
pub fn parse_prefs_js(text: &str) -> FirefoxPrefs {
    parse_prefs_text(text, "prefs.js")
}

/// Parses Firefox preference statements — `user_pref("name", value);` and the `pref`,
/// `sticky_pref`, `lockPref` forms — with string escapes (`\"`, `\\`, `\n`, `\xHH`, `\uHHHH`),
/// integers and booleans, skipping `//`, `#` and `/* */` comments. A statement that cannot be
/// parsed is recorded in [`FirefoxPrefs::errors`] and skipped up to the end of its line.
pub fn parse_prefs_text(text: &str, source: &str) -> FirefoxPrefs {
    let mut out = FirefoxPrefs::default();
    let mut lx = Lexer {
        chars: text.chars().collect(),
        pos: 0,
    };
    loop {
        lx.skip_ws();
        if lx.pos >= lx.chars.len() {
            break;
        }
        let start = lx.pos;
        match lx.statement() {
            Ok((name, value)) => {
                out.values.insert(
                    name,
                    Pref {
                        value,
                        source: source.to_string(),
                    },
                );
            }
            Err(message) => {
                out.errors
                    .push(format!("{source}:{}: {message}", lx.line_of(start)));
                lx.skip_line_from(start);
            }
        }
    }
    out
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn line_of(&self, pos: usize) -> usize {
        self.chars[..pos.min(self.chars.len())]
            .iter()
            .filter(|c| **c == '\n')
            .count()
            + 1
    }

    /// Moves past the end of the line containing `start` (always past `start`).
    fn skip_line_from(&mut self, start: usize) {
        let mut p = start;
        while p < self.chars.len() && self.chars[p] != '\n' {
            p += 1;
        }
        self.pos = (p + 1).min(self.chars.len());
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => self.pos += 1,
                Some('#') => self.skip_to_eol(),
                Some('/') if self.chars.get(self.pos + 1) == Some(&'/') => self.skip_to_eol(),
                Some('/') if self.chars.get(self.pos + 1) == Some(&'*') => {
                    self.pos += 2;
                    while self.pos < self.chars.len()
                        && !(self.chars[self.pos] == '*'
                            && self.chars.get(self.pos + 1) == Some(&'/'))
                    {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 2).min(self.chars.len());
                }
                _ => return,
            }
        }
    }

    fn skip_to_eol(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                return;
            }
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(match self.peek() {
                Some(got) => format!("expected `{c}`, found `{got}`"),
                None => format!("expected `{c}` before the end of the file"),
            })
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn statement(&mut self) -> Result<(String, PrefValue), String> {
        let kw = self.ident();
        if !matches!(
            kw.as_str(),
            "user_pref" | "pref" | "sticky_pref" | "lockPref"
        ) {
            return Err(if kw.is_empty() {
                format!(
                    "unexpected `{}`",
                    self.peek().map(String::from).unwrap_or_default()
                )
            } else {
                format!("unknown statement `{kw}`")
            });
        }
        self.expect('(')?;
        self.skip_ws();
        let name = match self.peek() {
            Some('"') | Some('\'') => self.string()?,
            _ => return Err("expected a quoted preference name".into()),
        };
        self.expect(',')?;
        self.skip_ws();
        let value = match self.peek() {
            Some('"') | Some('\'') => PrefValue::Str(self.string()?),
            Some(c) if c == '-' || c == '+' || c.is_ascii_digit() => {
                let start = self.pos;
                self.pos += 1;
                while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                let n = text
                    .parse::<i64>()
                    .ok()
                    .filter(|n| i32::try_from(*n).is_ok())
                    .ok_or_else(|| format!("bad integer `{text}` for {name}"))?;
                PrefValue::Int(n)
            }
            _ => match self.ident().as_str() {
                "true" => PrefValue::Bool(true),
                "false" => PrefValue::Bool(false),
                other => return Err(format!("bad value `{other}` for {name}")),
            },
        };
        // `pref("x", 1, sticky)` / `pref("x", 1, locked)` attributes.
        loop {
            self.skip_ws();
            if self.peek() == Some(',') {
                self.pos += 1;
                self.skip_ws();
                let attr = self.ident();
                if attr != "sticky" && attr != "locked" {
                    return Err(format!("unknown attribute `{attr}` for {name}"));
                }
            } else {
                break;
            }
        }
        self.expect(')')?;
        self.expect(';')?;
        Ok((name, value))
    }

    fn hex(&mut self, n: usize) -> Result<u32, String> {
        let end = self.pos + n;
        if end > self.chars.len() {
            return Err("truncated escape".into());
        }
        let text: String = self.chars[self.pos..end].iter().collect();
        let v = u32::from_str_radix(&text, 16).map_err(|_| format!("bad escape `{text}`"))?;
        self.pos = end;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().unwrap_or('"');
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated string".into());
            };
            self.pos += 1;
            if c == quote {
                return Ok(out);
            }
            if c == '\n' {
                return Err("unterminated string".into());
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err("unterminated string".into());
            };
            self.pos += 1;
            match e {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'x' => {
                    let v = self.hex(2)?;
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
                'u' => {
                    let hi = self.hex(4)?;
                    if (0xd800..0xdc00).contains(&hi)
                        && self.peek() == Some('\\')
                        && self.chars.get(self.pos + 1) == Some(&'u')
                    {
                        self.pos += 2;
                        let lo = self.hex(4)?;
                        let code = 0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00));
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    } else {
                        out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
                    }
                }
                other => out.push(other),
            }
        }
    }
}

/// The `DNSOverHTTPS` enterprise policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirefoxDohPolicy {
    /// `Enabled`: DoH on (mode 2) or off (mode 5).
    pub enabled: Option<bool>,
    /// `ProviderURL`.
    pub provider_url: Option<String>,
    /// `Locked`: the user cannot change these settings.
    pub locked: bool,
    /// `ExcludedDomains`.
    pub excluded_domains: Option<Vec<String>>,
    /// `Fallback`: false makes the mode 3 (DoH only).
    pub fallback: Option<bool>,
    /// Where it was found (`policies.json`, `HKLM\SOFTWARE\Policies\Mozilla\Firefox`, ...).
    pub source: String,
}

impl FirefoxDohPolicy {
    /// The `network.trr.mode` default this policy sets, when it sets one.
    pub fn mode(&self) -> Option<i64> {
        let enabled = self.enabled?;
        // As Firefox does: Fallback false means TRR-only whenever Enabled is given.
        if self.fallback == Some(false) {
            return Some(3);
        }
        Some(if enabled { 2 } else { 5 })
    }

    /// A short description: `DNSOverHTTPS Enabled = true, Fallback = false, Locked`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(e) = self.enabled {
            parts.push(format!("Enabled = {e}"));
        }
        if let Some(f) = self.fallback {
            parts.push(format!("Fallback = {f}"));
        }
        if let Some(u) = &self.provider_url {
            parts.push(format!("ProviderURL = {u}"));
        }
        if self.locked {
            parts.push("Locked".to_string());
        }
        format!("DNSOverHTTPS {}", parts.join(", "))
    }
}

/// What one Firefox policy source holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirefoxPolicies {
    /// Enterprise policies are active (any policy but a lone
    /// `Certificates.ImportEnterpriseRoots`, which Firefox does not count). Active policies
    /// switch off the default-on DoH rollout.
    pub active: bool,
    /// Names of the policies found.
    pub names: Vec<String>,
    /// The `DNSOverHTTPS` policy, when set.
    pub doh: Option<FirefoxDohPolicy>,
    /// Where they were found.
    pub source: String,
}

impl FirefoxPolicies {
    /// Adds a lower-precedence source (Firefox combines the platform store, which wins, with
    /// `policies.json`).
    pub fn combine(&mut self, lower: FirefoxPolicies) {
        if self.doh.is_none() {
            self.doh = lower.doh;
        }
        if !self.active && lower.active {
            self.source = lower.source.clone();
        }
        self.active |= lower.active;
        for n in lower.names {
            if !self.names.contains(&n) {
                self.names.push(n);
            }
        }
    }
}

/// Parses a `policies.json` file into the policies Firefox would apply.
pub fn parse_firefox_policies(text: &str, source: &str) -> Result<FirefoxPolicies, BrowsersError> {
    let root: Value = serde_json::from_str(text).map_err(|e| BrowsersError::Json {
        what: source.to_string(),
        message: e.to_string(),
    })?;
    let Value::Object(root) = root else {
        return Err(BrowsersError::NotObject {
            what: source.to_string(),
        });
    };
    Ok(match root.get("policies") {
        Some(p) => firefox_policies_from_value(p, source),
        None => FirefoxPolicies {
            source: source.to_string(),
            ..FirefoxPolicies::default()
        },
    })
}

/// The `DNSOverHTTPS` policy of a `policies.json` file; `None` when absent or unreadable
/// (use [`parse_firefox_policies`] for the error).
pub fn parse_firefox_policies_json(text: &str) -> Option<FirefoxDohPolicy> {
    parse_firefox_policies(text, "policies.json").ok()?.doh
}

/// Reads the policies from a JSON object of policy name → value (the `policies` object of
/// `policies.json`, the registry tree of `Software\Policies\Mozilla\Firefox`, or the macOS
/// `org.mozilla.firefox` domain, where the `EnterprisePoliciesEnabled` switch is not a policy).
pub fn firefox_policies_from_value(policies: &Value, source: &str) -> FirefoxPolicies {
    let mut out = FirefoxPolicies {
        source: source.to_string(),
        ..FirefoxPolicies::default()
    };
    let Value::Object(map) = policies else {
        return out;
    };
    out.names = map
        .keys()
        .filter(|k| *k != "EnterprisePoliciesEnabled")
        .cloned()
        .collect();
    let only_enterprise_roots = out.names.len() == 1
        && map
            .get("Certificates")
            .and_then(Value::as_object)
            .is_some_and(|c| {
                c.len() == 1
                    && c.get("ImportEnterpriseRoots")
                        .and_then(json_bool)
                        .unwrap_or(false)
            });
    out.active = !out.names.is_empty() && !only_enterprise_roots;
    if let Some(Value::Object(d)) = map.get("DNSOverHTTPS") {
        let excluded = d.get("ExcludedDomains").map(|v| match v {
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(normalize_domain)
                .collect(),
            Value::String(s) => split_domains(s),
            _ => Vec::new(),
        });
        out.doh = Some(FirefoxDohPolicy {
            enabled: d.get("Enabled").and_then(json_bool),
            provider_url: d
                .get("ProviderURL")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            locked: d.get("Locked").and_then(json_bool).unwrap_or(false),
            excluded_domains: excluded,
            fallback: d.get("Fallback").and_then(json_bool),
            source: source.to_string(),
        });
    }
    out
}

/// Lower-cases a domain and drops surrounding dots and spaces; `None` when empty.
fn normalize_domain(d: &str) -> Option<String> {
    let d = d.trim().trim_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// Splits `network.trr.excluded-domains` (comma separated, spaces allowed).
pub fn split_domains(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .filter_map(normalize_domain)
        .collect()
}

/// One profile listed in `profiles.ini`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirefoxProfileEntry {
    /// `Name=` (e.g. `default-release`).
    pub name: Option<String>,
    /// The profile directory (relative paths resolved against the profiles.ini directory).
    pub path: PathBuf,
    /// `Default=1`, or named by an `[Install...]` section's `Default=`.
    pub is_default: bool,
}

/// Parses `profiles.ini`: `[ProfileN]` sections with `Name`, `IsRelative`, `Path`, `Default`;
/// `[Install<hash>]` sections name the default profile of an installation. Relative paths
/// (with `/` or `\` separators) are joined to `root`.
pub fn parse_profiles_ini(text: &str, root: &Path) -> Vec<FirefoxProfileEntry> {
    #[derive(Default)]
    struct Section {
        name: String,
        keys: BTreeMap<String, String>,
    }
    let mut sections: Vec<Section> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push(Section {
                name: name.trim().to_string(),
                keys: BTreeMap::new(),
            });
            continue;
        }
        if let (Some(section), Some((k, v))) = (sections.last_mut(), line.split_once('=')) {
            section
                .keys
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let install_defaults: Vec<String> = sections
        .iter()
        .filter(|s| s.name.starts_with("Install"))
        .filter_map(|s| s.keys.get("default").cloned())
        .collect();
    let mut out = Vec::new();
    for s in sections.iter().filter(|s| s.name.starts_with("Profile")) {
        let Some(path_text) = s.keys.get("path").filter(|p| !p.is_empty()) else {
            continue;
        };
        let relative = s.keys.get("isrelative").map(String::as_str) != Some("0");
        let path = if relative {
            path_text
                .split(['/', '\\'])
                .filter(|p| !p.is_empty() && *p != "." && *p != "..")
                .fold(root.to_path_buf(), |acc, part| acc.join(part))
        } else {
            PathBuf::from(path_text)
        };
        out.push(FirefoxProfileEntry {
            name: s.keys.get("name").cloned(),
            path,
            is_default: s.keys.get("default").map(String::as_str) == Some("1")
                || install_defaults.iter().any(|d| d == path_text),
        });
    }
    out
}

/// How one Firefox profile resolves names, with where each setting came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirefoxResolved {
    /// The effective mode.
    pub mode: DohMode,
    /// The DoH URI template in use (empty when DoH is off).
    pub templates: Vec<String>,
    /// `network.trr.excluded-domains` (from the user or the policy).
    pub excluded_domains: Vec<String>,
    /// `network.trr.allow-rfc1918`.
    pub allow_rfc1918: bool,
    /// The mode is set by an enterprise policy.
    pub managed: bool,
    /// The setting that decides the mode, for people.
    pub setting: String,
    /// What to change.
    pub fix: String,
}

/// Firefox's effective DoH mode for a profile (see [`resolve_firefox`]).
pub fn effective_firefox(
    prefs: &FirefoxPrefs,
    policy: Option<&FirefoxDohPolicy>,
    enterprise_or_vpn_detected: bool,
) -> DohMode {
    resolve_firefox(prefs, policy, enterprise_or_vpn_detected).mode
}

/// Maps a `network.trr.mode` / `doh-rollout.mode` value as Firefox does (1, 4, >5 and
/// negative values count as 5).
fn mode_from_value(v: i64) -> DohMode {
    match v {
        0 => DohMode::Off,
        2 => DohMode::First,
        3 => DohMode::Only,
        _ => DohMode::OffByChoice,
    }
}

/// How one profile resolves names. A locked policy wins over `prefs.js`; an unlocked policy
/// only supplies defaults that a user value overrides. With mode 0 the default-on rollout
/// counts only when the profile shows it ran (`doh-rollout.mode` 2/3 or
/// `doh-rollout.self-enabled`), and its heuristics turn it off when
/// `enterprise_or_vpn_detected` (enterprise policy, VPN, NRPT, canary domain) unless
/// `doh-rollout.disable-heuristics` is set.
pub fn resolve_firefox(
    prefs: &FirefoxPrefs,
    policy: Option<&FirefoxDohPolicy>,
    enterprise_or_vpn_detected: bool,
) -> FirefoxResolved {
    let policy_mode = policy.and_then(|p| p.mode().map(|m| (m, p)));
    let user_mode = prefs
        .int("network.trr.mode")
        .map(|m| (m, prefs.source("network.trr.mode").unwrap_or("prefs.js")));

    let (raw_mode, mut setting, mut managed) = match (policy_mode, user_mode) {
        (Some((m, p)), _) if p.locked => {
            (m, format!("Policy {} ({})", p.describe(), p.source), true)
        }
        (_, Some((m, src))) => (
            m,
            format!("about:config network.trr.mode = {m} ({src})"),
            false,
        ),
        (Some((m, p)), None) => (m, format!("Policy {} ({})", p.describe(), p.source), true),
        (None, None) => (0, "network.trr.mode not set (default 0)".to_string(), false),
    };

    let mut mode = mode_from_value(raw_mode);
    if mode == DohMode::Off {
        // Mode 0: the default-on rollout decides.
        let rollout = prefs.int("doh-rollout.mode").filter(|m| *m != 0);
        let self_enabled = prefs.bool("doh-rollout.self-enabled") == Some(true);
        let no_heuristics = prefs.bool("doh-rollout.disable-heuristics") == Some(true);
        let region = prefs.string("doh-rollout.home-region").unwrap_or("");
        if rollout.is_some() || self_enabled {
            let rolled = rollout.map(mode_from_value).unwrap_or(DohMode::First);
            if matches!(rolled, DohMode::First | DohMode::Only) {
                if enterprise_or_vpn_detected && !no_heuristics {
                    setting = format!(
                        "{setting}; default-on DoH (doh-rollout) is switched off by its \
                         heuristics (enterprise policy, VPN or canary domain detected)"
                    );
                } else {
                    mode = DohMode::Automatic;
                    setting = match rollout {
                        Some(m) => format!(
                            "{setting}; Firefox default-on DoH: doh-rollout.mode = {m} ({})",
                            prefs.source("doh-rollout.mode").unwrap_or("prefs.js")
                        ),
                        None => format!(
                            "{setting}; Firefox default-on DoH: doh-rollout.self-enabled = true ({})",
                            prefs
                                .source("doh-rollout.self-enabled")
                                .unwrap_or("prefs.js")
                        ),
                    };
                    managed = false;
                }
            }
        } else if ROLLOUT_REGIONS.contains(&region) && !enterprise_or_vpn_detected {
            setting = format!(
                "{setting}; home region {region} gets default-on DoH, but this profile shows no \
                 sign it was turned on"
            );
        }
    }

    let locked = |p: &&FirefoxDohPolicy| p.locked;
    // URI: a locked ProviderURL, else network.trr.uri (user, then policy default), else the
    // rollout URI, else the default provider.
    let template = policy
        .filter(locked)
        .and_then(|p| p.provider_url.clone())
        .or_else(|| {
            prefs
                .string("network.trr.uri")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .or_else(|| policy.and_then(|p| p.provider_url.clone()))
        .or_else(|| {
            prefs
                .string("doh-rollout.uri")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .or_else(|| {
            prefs
                .string("network.trr.default_provider_uri")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| DEFAULT_FIREFOX_URI.to_string());

    let policy_excluded = policy.and_then(|p| p.excluded_domains.clone().map(|d| (d, p.locked)));
    let excluded_domains = match (
        policy_excluded,
        prefs.string("network.trr.excluded-domains"),
    ) {
        (Some((d, true)), _) => d,
        (_, Some(user)) => split_domains(user),
        (Some((d, false)), None) => d,
        (None, None) => Vec::new(),
    };

    let fix = if managed && policy.is_some_and(|p| p.locked) {
        format!(
            "The DNSOverHTTPS policy is locked by your organisation ({}): ask IT to turn it off \
             or to add the workspace's private DNS zones to ExcludedDomains",
            policy.map(|p| p.source.as_str()).unwrap_or("policy")
        )
    } else {
        "Firefox Settings > Privacy & Security > DNS over HTTPS: Off (about:config \
         network.trr.mode = 5), or keep DoH and add the workspace's private DNS zones to \
         about:config network.trr.excluded-domains"
            .to_string()
    };

    FirefoxResolved {
        mode,
        templates: if mode.sends_doh() {
            vec![template]
        } else {
            Vec::new()
        },
        excluded_domains,
        allow_rfc1918: prefs.bool("network.trr.allow-rfc1918").unwrap_or(false),
        managed,
        setting,
        fix,
    }
}
