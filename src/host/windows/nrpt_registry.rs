//! NRPT rules straight from the registry ([MS-GPNRPT] 2.2.2): one subkey per rule under
//! `HKLM\SOFTWARE\Policies\Microsoft\Windows NT\DNSClient\DnsPolicyConfig` (group policy) and
//! `HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters\DnsPolicyConfig` (local rules,
//! where VPN clients write theirs), with `Name` (REG_MULTI_SZ namespaces), `GenericDNSServers`
//! (REG_SZ, `;`-separated), `ConfigOptions` (0x8: generic DNS servers set; 0x4: DirectAccess)
//! and `DirectAccessDNSServers`. Used when PowerShell cannot be asked.

use crate::host::nrpt::NrptRule;
use std::net::IpAddr;

/// The two places rules live, as (label, path below HKLM).
pub const RULE_KEYS: [(&str, &str); 2] = [
    (
        "policy",
        r"SOFTWARE\Policies\Microsoft\Windows NT\DNSClient\DnsPolicyConfig",
    ),
    (
        "local",
        r"SYSTEM\CurrentControlSet\Services\Dnscache\Parameters\DnsPolicyConfig",
    ),
];

/// `ConfigOptions` bit: the generic DNS server option is set.
const OPT_GENERIC_DNS: u32 = 0x8;
/// `ConfigOptions` bit: DirectAccess options are set.
const OPT_DIRECT_ACCESS: u32 = 0x4;

/// The values of one rule key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleValues {
    /// `Name`.
    pub names: Vec<String>,
    /// `GenericDNSServers`.
    pub generic_dns_servers: Option<String>,
    /// `ConfigOptions`.
    pub config_options: Option<u32>,
    /// `DirectAccessDNSServers`.
    pub direct_access_dns_servers: Option<String>,
}

/// Turns one rule key's values into a rule. Servers count when `ConfigOptions` says the
/// option is set (or is absent); names instead of addresses go to `invalid`.
pub fn rule_from_values(v: &RuleValues) -> Option<NrptRule> {
    let namespace: Vec<String> = v
        .names
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if namespace.is_empty() {
        return None;
    }
    let opts = v.config_options;
    let direct_access = opts.is_some_and(|o| o & OPT_DIRECT_ACCESS != 0);
    let mut rule = NrptRule {
        namespace,
        direct_access_enabled: opts.map(|_| direct_access),
        ..NrptRule::default()
    };
    let mut lists = Vec::new();
    if opts.is_none_or(|o| o & OPT_GENERIC_DNS != 0) {
        lists.extend(v.generic_dns_servers.as_deref());
    }
    if direct_access {
        lists.extend(v.direct_access_dns_servers.as_deref());
    }
    for item in lists
        .iter()
        .flat_map(|l| l.split([';', ',', ' ']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match item.parse::<IpAddr>() {
            Ok(ip) if !rule.name_servers.contains(&ip) => rule.name_servers.push(ip),
            Ok(_) => {}
            Err(_) => rule.invalid.push(item.to_string()),
        }
    }
    Some(rule)
}

/// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`: the key does not exist.
#[cfg(windows)]
const ERROR_FILE_NOT_FOUND_HRESULT: u32 = 0x8007_0002;

/// Reads the rules under `path` of `root` (Windows only): the rule keys' values, in key order.
#[cfg(windows)]
pub fn read_rules(root: &windows_registry::Key, path: &str) -> Result<Vec<NrptRule>, String> {
    let base = match root.open(path) {
        Ok(k) => k,
        // No key: no rules of this kind.
        Err(e) if e.code().0 as u32 == ERROR_FILE_NOT_FOUND_HRESULT => return Ok(Vec::new()),
        Err(e) => return Err(format!("{path}: {e}")),
    };
    let names = base.keys().map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    for name in names {
        let Ok(key) = base.open(&name) else {
            continue;
        };
        let values = RuleValues {
            names: key
                .get_multi_string("Name")
                .unwrap_or_else(|_| key.get_string("Name").map(|s| vec![s]).unwrap_or_default()),
            generic_dns_servers: key.get_string("GenericDNSServers").ok(),
            config_options: key.get_u32("ConfigOptions").ok(),
            direct_access_dns_servers: key.get_string("DirectAccessDNSServers").ok(),
        };
        out.extend(rule_from_values(&values));
    }
    Ok(out)
}

/// Reads both rule locations under HKLM (Windows only).
#[cfg(windows)]
pub fn read() -> (Vec<NrptRule>, Vec<String>) {
    let mut rules = Vec::new();
    let mut notes = Vec::new();
    for (_, path) in RULE_KEYS {
        match read_rules(windows_registry::LOCAL_MACHINE, path) {
            Ok(r) => rules.extend(r),
            Err(e) => notes.push(format!("cannot read the NRPT from the registry: {e}")),
        }
    }
    (rules, notes)
}

/// Reads both rule locations (nothing off Windows).
#[cfg(not(windows))]
pub fn read() -> (Vec<NrptRule>, Vec<String>) {
    (Vec::new(), Vec::new())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn values(names: &[&str], servers: Option<&str>, opts: Option<u32>) -> RuleValues {
        RuleValues {
            names: names.iter().map(|s| s.to_string()).collect(),
            generic_dns_servers: servers.map(str::to_string),
            config_options: opts,
            direct_access_dns_servers: None,
        }
    }

    #[test]
    fn rule_values_to_rules() {
        let r = rule_from_values(&values(
            &[".azureml.ms", ".privatelink.api.azureml.ms"],
            Some("10.1.0.4;10.1.0.5"),
            Some(8),
        ))
        .unwrap();
        assert_eq!(r.namespace, [".azureml.ms", ".privatelink.api.azureml.ms"]);
        assert_eq!(
            r.name_servers,
            [
                "10.1.0.4".parse::<IpAddr>().unwrap(),
                "10.1.0.5".parse().unwrap()
            ]
        );
        assert_eq!(r.direct_access_enabled, Some(false));
        // ConfigOptions without the generic-server bit: the value is not in force.
        let r = rule_from_values(&values(&[".corp"], Some("10.0.0.1"), Some(2))).unwrap();
        assert!(r.name_servers.is_empty());
        // DirectAccess servers count when DirectAccess is on.
        let mut v = values(&[".corp"], None, Some(4));
        v.direct_access_dns_servers = Some("fd00::1;dns.corp".into());
        let r = rule_from_values(&v).unwrap();
        assert_eq!(r.name_servers, ["fd00::1".parse::<IpAddr>().unwrap()]);
        assert_eq!(r.invalid, ["dns.corp"]);
        assert_eq!(
            rule_from_values(&values(&[" "], Some("10.0.0.1"), None)),
            None
        );
    }

    /// Writes rules into a scratch key of the current user's hive and reads them back
    /// through the same code that reads HKLM.
    #[cfg(windows)]
    #[test]
    fn reads_rules_from_a_real_registry() {
        let root = windows_registry::CURRENT_USER;
        let path = format!(r"Software\pe-doctor-test\nrpt-{}", std::process::id());
        let base = root.create(&path).unwrap();
        let r1 = base
            .create("{11111111-2222-3333-4444-555555555555}")
            .unwrap();
        r1.set_multi_string("Name", &[".azureml.ms", ".notebooks.azure.net"])
            .unwrap();
        r1.set_string("GenericDNSServers", "10.1.0.4;10.1.0.5")
            .unwrap();
        r1.set_u32("ConfigOptions", 8).unwrap();
        let r2 = base
            .create("{66666666-7777-8888-9999-000000000000}")
            .unwrap();
        r2.set_multi_string("Name", &["nls.corp.contoso.com"])
            .unwrap();
        r2.set_u32("ConfigOptions", 2).unwrap();
        let rules = read_rules(root, &path);
        let _ = root.remove_tree(&path);
        let rules = rules.unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].namespace, [".azureml.ms", ".notebooks.azure.net"]);
        assert_eq!(rules[0].name_servers.len(), 2);
        assert!(rules[1].name_servers.is_empty());
        assert_eq!(
            read_rules(root, r"Software\pe-doctor-test\missing").unwrap(),
            []
        );
    }
}
