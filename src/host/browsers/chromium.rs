//! Chrome, Edge, Chromium and Brave: the `Local State` preferences and the
//! `DnsOverHttpsMode` / `DnsOverHttpsTemplates` policies.
//!
//! What Chromium does (chrome/browser/net/stub_resolver_config_reader.cc):
//! - The mode comes from the policy when one sets it; otherwise, on a managed machine (any
//!   machine-level policy, or a Windows domain join) DoH is off whatever the user chose;
//!   otherwise the user's `dns_over_https.mode` in `Local State` (default `automatic`).
//! - `off`, `automatic` (DoH when available, fallback to plain DNS) and `secure` (DoH only);
//!   anything else counts as off.
//! - Templates are space separated (or a JSON `{"servers": [{"template": ...}]}` config);
//!   `{?dns}` means GET. `automatic` without templates only upgrades a system resolver that is
//!   a known DoH provider (see [`automatic_upgrade_template`]); a corporate resolver stays
//!   plain DNS.

use super::{BrowserKind, BrowsersError, DohMode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// The DoH settings stored in a Chromium-family `Local State` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChromiumDoh {
    /// `dns_over_https.mode` as stored (`None`: not stored, the default `automatic` applies).
    pub mode: Option<String>,
    /// `dns_over_https.templates` as stored.
    pub templates: Option<String>,
}

/// Parses `Local State` (JSON). Both the nested form Chromium writes
/// (`{"dns_over_https": {"mode": ...}}`) and dotted keys are accepted; missing keys are `None`.
pub fn parse_local_state(text: &str) -> Result<ChromiumDoh, BrowsersError> {
    let v: Value = serde_json::from_str(text).map_err(|e| BrowsersError::Json {
        what: "Local State".into(),
        message: e.to_string(),
    })?;
    let Value::Object(root) = v else {
        return Err(BrowsersError::NotObject {
            what: "Local State".into(),
        });
    };
    let get = |key: &str| -> Option<String> {
        root.get("dns_over_https")
            .and_then(|d| d.get(key))
            .or_else(|| root.get(&format!("dns_over_https.{key}")))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(ChromiumDoh {
        mode: get("mode"),
        templates: get("templates"),
    })
}

/// The DoH policies of one Chromium-family browser, merged over its policy sources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChromiumPolicy {
    /// `DnsOverHttpsMode`.
    pub mode: Option<String>,
    /// Where `DnsOverHttpsMode` was set.
    pub mode_source: Option<String>,
    /// `DnsOverHttpsTemplates`.
    pub templates: Option<String>,
    /// Where `DnsOverHttpsTemplates` was set.
    pub templates_source: Option<String>,
    /// Some machine-level policy is set (makes the browser treat the machine as managed).
    pub machine_policies: bool,
    /// Where the first machine-level policy was seen.
    pub machine_policies_source: Option<String>,
}

impl ChromiumPolicy {
    /// Adds a lower-precedence source: values already set stay.
    pub fn merge(&mut self, lower: ChromiumPolicy) {
        if self.mode.is_none() {
            self.mode = lower.mode;
            self.mode_source = lower.mode_source;
        }
        if self.templates.is_none() {
            self.templates = lower.templates;
            self.templates_source = lower.templates_source;
        }
        if !self.machine_policies && lower.machine_policies {
            self.machine_policies = true;
            self.machine_policies_source = lower.machine_policies_source;
        }
    }
}

/// Parses one managed policy file (`/etc/opt/chrome/policies/managed/*.json`, ...), which is
/// machine-level.
pub fn parse_chromium_policy_json(text: &str) -> Result<ChromiumPolicy, BrowsersError> {
    parse_chromium_policy_file(text, "managed policy file")
}

/// As [`parse_chromium_policy_json`], naming the file in errors and sources.
pub fn parse_chromium_policy_file(
    text: &str,
    source: &str,
) -> Result<ChromiumPolicy, BrowsersError> {
    let v: Value = serde_json::from_str(text).map_err(|e| BrowsersError::Json {
        what: source.to_string(),
        message: e.to_string(),
    })?;
    let Value::Object(map) = v else {
        return Err(BrowsersError::NotObject {
            what: source.to_string(),
        });
    };
    Ok(chromium_policy_from_map(&map, source, true))
}

/// Reads the DoH policies from a policy-name → value object (a JSON file, a registry tree, a
/// `defaults read` dictionary). `machine_level` says whether the source is machine scope.
pub fn chromium_policy_from_map(
    map: &Map<String, Value>,
    source: &str,
    machine_level: bool,
) -> ChromiumPolicy {
    let string = |key: &str| -> Option<String> {
        map.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .map(str::to_string)
    };
    let mode = string("DnsOverHttpsMode");
    let templates = string("DnsOverHttpsTemplates");
    let machine = machine_level && !map.is_empty();
    ChromiumPolicy {
        mode_source: mode.as_ref().map(|_| source.to_string()),
        mode,
        templates_source: templates.as_ref().map(|_| source.to_string()),
        templates,
        machine_policies: machine,
        machine_policies_source: machine.then(|| source.to_string()),
    }
}

/// Maps a Chromium mode string (`off`, `automatic`, `secure`; anything else is off).
pub fn mode_from_str(mode: &str) -> DohMode {
    match mode.trim() {
        "secure" => DohMode::Only,
        "automatic" => DohMode::Automatic,
        _ => DohMode::Off,
    }
}

/// Splits a templates setting into valid `https://` templates: space separated, or the JSON
/// form `{"servers": [{"template": "..."}]}`. Invalid entries are dropped, as Chromium does.
pub fn split_templates(text: &str) -> Vec<String> {
    let t = text.trim();
    let raw: Vec<String> = if t.starts_with('{') {
        serde_json::from_str::<Value>(t)
            .ok()
            .and_then(|v| v.get("servers").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.get("template").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    } else {
        t.split_whitespace().map(str::to_string).collect()
    };
    raw.into_iter()
        .filter(|s| {
            s.len() > "https://".len()
                && s.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        })
        .collect()
}

/// Chromium's effective mode and templates. A policy mode wins; otherwise a managed machine
/// (`managed_machine`: a Windows domain join, or any machine-level policy) turns DoH off;
/// otherwise the user's choice (default `automatic`). Templates come from the policy when it
/// sets them, else from `Local State`; none when the mode is off.
pub fn effective_chromium(
    local: &ChromiumDoh,
    policy: &ChromiumPolicy,
    managed_machine: bool,
) -> (DohMode, Vec<String>) {
    let r = resolve_chromium(BrowserKind::Chrome, local, policy, managed_machine);
    (r.mode, r.templates)
}

/// The effective settings of a Chromium-family browser, with where they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChromiumResolved {
    /// The effective mode.
    pub mode: DohMode,
    /// Templates in use (empty when off, or when `automatic` has none set).
    pub templates: Vec<String>,
    /// The mode is set by policy.
    pub managed: bool,
    /// The setting that decides the mode, for people.
    pub setting: String,
    /// What to change.
    pub fix: String,
}

/// See [`effective_chromium`]; `kind` picks the wording of the fix.
pub fn resolve_chromium(
    kind: BrowserKind,
    local: &ChromiumDoh,
    policy: &ChromiumPolicy,
    managed_machine: bool,
) -> ChromiumResolved {
    let managed_env = managed_machine || policy.machine_policies;
    let (mode, setting, managed) = if let Some(m) = &policy.mode {
        (
            mode_from_str(m),
            format!(
                "Policy DnsOverHttpsMode = {m} ({})",
                policy.mode_source.as_deref().unwrap_or("policy")
            ),
            true,
        )
    } else if managed_env {
        let why = if policy.machine_policies {
            format!(
                "machine-level policies are set ({})",
                policy
                    .machine_policies_source
                    .as_deref()
                    .unwrap_or("policy")
            )
        } else {
            "the machine is domain-joined".to_string()
        };
        let user = local
            .mode
            .as_deref()
            .map(|m| format!("; Local State dns_over_https.mode = {m} is ignored"))
            .unwrap_or_default();
        (
            DohMode::Off,
            format!("DoH off on a managed machine: {why} and no DnsOverHttpsMode policy{user}"),
            false,
        )
    } else if let Some(m) = &local.mode {
        (
            mode_from_str(m),
            format!("Local State dns_over_https.mode = {m}"),
            false,
        )
    } else {
        (
            DohMode::Automatic,
            "Local State dns_over_https.mode not set (default automatic)".to_string(),
            false,
        )
    };
    let templates = if mode.sends_doh() {
        match (&policy.templates, &local.templates) {
            (Some(p), _) => split_templates(p),
            (None, Some(l)) => split_templates(l),
            (None, None) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let setting = match (&policy.templates, &local.templates) {
        (Some(p), _) if mode.sends_doh() => format!(
            "{setting}; Policy DnsOverHttpsTemplates = {p} ({})",
            policy.templates_source.as_deref().unwrap_or("policy")
        ),
        (None, Some(l)) if mode.sends_doh() && !l.trim().is_empty() => {
            format!("{setting}; Local State dns_over_https.templates = {l}")
        }
        _ if mode == DohMode::Automatic => format!(
            "{setting}; no templates: only a system resolver that is a known DoH provider is upgraded"
        ),
        _ => setting,
    };
    let fix = if managed {
        format!(
            "{} is set by your organisation ({}): ask IT to set DnsOverHttpsMode to off, or to a \
             DoH server that answers the workspace's private DNS zones",
            "DnsOverHttpsMode",
            policy.mode_source.as_deref().unwrap_or("policy")
        )
    } else {
        kind.secure_dns_setting().to_string()
    };
    ChromiumResolved {
        mode,
        templates,
        managed,
        setting,
        fix,
    }
}

/// Providers Chromium's `automatic` mode upgrades to DoH when the system resolver is one of
/// their addresses (net/dns/public/doh_provider_entry.cc, providers enabled by default).
const AUTO_UPGRADE: &[(&str, &[&str])] = &[
    (
        "https://chrome.cloudflare-dns.com/dns-query",
        &[
            "1.1.1.1",
            "1.0.0.1",
            "2606:4700:4700::1111",
            "2606:4700:4700::1001",
        ],
    ),
    (
        "https://dns.google/dns-query{?dns}",
        &[
            "8.8.8.8",
            "8.8.4.4",
            "2001:4860:4860::8888",
            "2001:4860:4860::8844",
        ],
    ),
    (
        "https://dns11.quad9.net/dns-query",
        &[
            "9.9.9.11",
            "149.112.112.11",
            "2620:fe::11",
            "2620:fe::fe:11",
        ],
    ),
    (
        "https://dns10.quad9.net/dns-query",
        &[
            "9.9.9.10",
            "149.112.112.10",
            "2620:fe::10",
            "2620:fe::fe:10",
        ],
    ),
    (
        "https://doh.opendns.com/dns-query{?dns}",
        &[
            "208.67.222.222",
            "208.67.220.220",
            "2620:119:35::35",
            "2620:119:53::53",
        ],
    ),
];

/// The DoH template Chromium's `automatic` mode switches to when the system resolver is
/// `server`, for the main public providers; `None` for any other resolver (it stays plain DNS).
pub fn automatic_upgrade_template(server: IpAddr) -> Option<&'static str> {
    AUTO_UPGRADE.iter().find_map(|(template, ips)| {
        ips.iter()
            .any(|ip| ip.parse::<IpAddr>().ok() == Some(server))
            .then_some(*template)
    })
}
