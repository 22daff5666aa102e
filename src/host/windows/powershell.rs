//! The one PowerShell call of a diagnosis: a script that prints one JSON document with the
//! NRPT (`Get-DnsClientNrptPolicy`), OS DNS-over-HTTPS (`Get-DnsClientDohServerAddress`), the
//! active route table (`Get-NetRoute`), the interface metrics (`Get-NetIPInterface`) and the
//! computer facts (`Win32_ComputerSystem` manufacturer and domain membership,
//! `Win32_SystemEnclosure` asset tag: Azure VM detection, Chrome's managed-machine rule).
//!
//! Objects are flattened to plain strings, numbers and booleans inside the script, so the JSON
//! does not depend on the PowerShell version or the display language; output is forced to
//! UTF-8. [`parse`] is a pure function over the captured JSON.

use crate::host::dns_config::command::{self, CommandError};
use crate::host::nrpt::NrptRule;
use crate::host::os_doh::OsDohEntry;
use crate::serde_list::one_or_many;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;

/// The script. Each section runs on its own, so one missing cmdlet (DoH needs Windows 11)
/// costs only its section; failures are listed under `errors`.
pub const SCRIPT: &str = r#"try { [Console]::OutputEncoding = [Text.Encoding]::UTF8 } catch {}
$ErrorActionPreference = 'Stop'
$out = [ordered]@{ nrpt = @(); doh = @(); routes = @(); ipInterfaces = @(); errors = @() }
try {
  $out.nrpt = @(Get-DnsClientNrptPolicy | ForEach-Object { [ordered]@{
    namespace = @($_.Namespace | ForEach-Object { [string]$_ })
    nameServers = @($_.NameServers | ForEach-Object { [string]$_ })
    directAccessEnabled = [bool]$_.DirectAccessEnabled
    directAccessDnsServers = @($_.DirectAccessDnsServers | ForEach-Object { [string]$_ })
    dnsSecValidationRequired = [bool]$_.DnsSecValidationRequired } })
} catch { $out.errors += 'Get-DnsClientNrptPolicy: ' + $_.Exception.Message }
try {
  $out.doh = @(Get-DnsClientDohServerAddress | ForEach-Object { [ordered]@{
    server = [string]$_.ServerAddress; template = [string]$_.DohTemplate
    autoUpgrade = [bool]$_.AutoUpgrade; udpFallback = [bool]$_.AllowFallbackToUdp } })
} catch { $out.errors += 'Get-DnsClientDohServerAddress: ' + $_.Exception.Message }
try {
  $out.routes = @(Get-NetRoute -PolicyStore ActiveStore | ForEach-Object { [ordered]@{
    prefix = [string]$_.DestinationPrefix; nextHop = [string]$_.NextHop
    ifIndex = [int]$_.InterfaceIndex; alias = [string]$_.InterfaceAlias
    metric = [int]$_.RouteMetric } })
} catch { $out.errors += 'Get-NetRoute: ' + $_.Exception.Message }
try {
  $out.ipInterfaces = @(Get-NetIPInterface | ForEach-Object { [ordered]@{
    ifIndex = [int]$_.InterfaceIndex; alias = [string]$_.InterfaceAlias
    family = [string]$_.AddressFamily; metric = [int]$_.InterfaceMetric
    connected = ([string]$_.ConnectionState -eq 'Connected') } })
} catch { $out.errors += 'Get-NetIPInterface: ' + $_.Exception.Message }
try {
  $cs = Get-CimInstance Win32_ComputerSystem
  $out.computer = [ordered]@{
    manufacturer = [string]$cs.Manufacturer; partOfDomain = [bool]$cs.PartOfDomain
    assetTag = [string](Get-CimInstance Win32_SystemEnclosure | Select-Object -First 1).SMBIOSAssetTag }
} catch { $out.errors += 'Get-CimInstance: ' + $_.Exception.Message }
ConvertTo-Json -InputObject $out -Depth 5 -Compress
"#;

/// One NRPT rule as the script prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PsNrptRule {
    /// Namespaces (`.azureml.ms`).
    #[serde(deserialize_with = "one_or_many")]
    pub namespace: Vec<String>,
    /// DNS servers.
    #[serde(deserialize_with = "one_or_many")]
    pub name_servers: Vec<String>,
    /// DirectAccess rule.
    pub direct_access_enabled: bool,
    /// DirectAccess DNS servers.
    #[serde(deserialize_with = "one_or_many")]
    pub direct_access_dns_servers: Vec<String>,
    /// DNSSEC validation required.
    pub dns_sec_validation_required: bool,
}

/// One OS DoH server as the script prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PsDohServer {
    /// Server address.
    pub server: String,
    /// DoH template.
    pub template: String,
    /// Auto-upgrade.
    pub auto_upgrade: bool,
    /// Plain DNS when DoH fails.
    pub udp_fallback: bool,
}

/// One active route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PsRoute {
    /// `10.1.0.0/16`, `0.0.0.0/0`, `fd00::/64`.
    pub prefix: String,
    /// `0.0.0.0` / `::` for on-link routes.
    pub next_hop: String,
    /// Interface index.
    pub if_index: u32,
    /// Interface alias.
    pub alias: String,
    /// Route metric.
    pub metric: u32,
}

/// One IP interface (per address family).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PsIpInterface {
    /// Interface index.
    pub if_index: u32,
    /// Interface alias.
    pub alias: String,
    /// `IPv4` or `IPv6`.
    pub family: String,
    /// Interface metric (added to the route metric).
    pub metric: u32,
    /// Connection state is `Connected`.
    pub connected: bool,
}

/// Firmware and domain facts (`Get-CimInstance`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PsComputer {
    /// `Win32_ComputerSystem.Manufacturer`.
    pub manufacturer: String,
    /// `Win32_ComputerSystem.PartOfDomain`.
    pub part_of_domain: bool,
    /// `Win32_SystemEnclosure.SMBIOSAssetTag`.
    pub asset_tag: String,
}

/// Everything the script prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PsFacts {
    /// NRPT rules.
    #[serde(deserialize_with = "one_or_many")]
    pub nrpt: Vec<PsNrptRule>,
    /// OS DoH servers.
    #[serde(deserialize_with = "one_or_many")]
    pub doh: Vec<PsDohServer>,
    /// Active routes.
    #[serde(deserialize_with = "one_or_many")]
    pub routes: Vec<PsRoute>,
    /// IP interfaces.
    #[serde(deserialize_with = "one_or_many")]
    pub ip_interfaces: Vec<PsIpInterface>,
    /// Computer facts (`None` when that section failed).
    pub computer: Option<PsComputer>,
    /// Sections that failed, with PowerShell's message.
    #[serde(deserialize_with = "one_or_many")]
    pub errors: Vec<String>,
}

/// Why the script's output could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PsError {
    /// PowerShell did not run or did not finish.
    #[error("PowerShell: {0}")]
    Tool(#[from] CommandError),
    /// It printed something that is not the expected JSON.
    #[error("PowerShell printed no readable JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parses the script's output (a UTF-8 BOM and text around the JSON object are tolerated).
pub fn parse(text: &str) -> Result<PsFacts, serde_json::Error> {
    let t = text.trim_start_matches('\u{feff}');
    let start = t.find('{').unwrap_or(0);
    let end = t.rfind('}').map_or(t.len(), |i| i + 1);
    serde_json::from_str(t.get(start..end).unwrap_or(t))
}

impl PsFacts {
    /// The NRPT rules, as [`crate::host::nrpt`] adds them to a DNS configuration.
    pub fn nrpt_rules(&self) -> Vec<NrptRule> {
        self.nrpt
            .iter()
            .filter(|r| !r.namespace.is_empty())
            .map(|r| {
                let mut rule = NrptRule {
                    namespace: r.namespace.clone(),
                    dnssec_validation_required: Some(r.dns_sec_validation_required),
                    direct_access_enabled: Some(r.direct_access_enabled),
                    ..NrptRule::default()
                };
                let da = if r.direct_access_enabled {
                    r.direct_access_dns_servers.as_slice()
                } else {
                    &[]
                };
                for s in r.name_servers.iter().chain(da) {
                    for item in s.split([',', ';', ' ']).filter(|i| !i.is_empty()) {
                        match item.parse::<IpAddr>() {
                            Ok(ip) if !rule.name_servers.contains(&ip) => {
                                rule.name_servers.push(ip)
                            }
                            Ok(_) => {}
                            Err(_) => rule.invalid.push(item.to_string()),
                        }
                    }
                }
                rule
            })
            .collect()
    }

    /// The OS DoH servers (entries whose address does not parse are dropped).
    pub fn doh_entries(&self) -> Vec<OsDohEntry> {
        self.doh
            .iter()
            .filter_map(|d| {
                Some(OsDohEntry {
                    server: d.server.trim().parse().ok()?,
                    template: Some(d.template.trim().to_string()).filter(|t| !t.is_empty()),
                    auto_upgrade: Some(d.auto_upgrade),
                    udp_fallback: Some(d.udp_fallback),
                })
            })
            .collect()
    }
}

/// PowerShell's arguments: no profile, no prompts, the script as UTF-16LE base64 (no quoting
/// of the script by the command line).
pub fn arguments() -> Vec<String> {
    use base64::Engine;
    let utf16: Vec<u8> = SCRIPT.encode_utf16().flat_map(u16::to_le_bytes).collect();
    vec![
        "-NoProfile".into(),
        "-NonInteractive".into(),
        "-ExecutionPolicy".into(),
        "Bypass".into(),
        "-EncodedCommand".into(),
        base64::engine::general_purpose::STANDARD.encode(utf16),
    ]
}

/// Runs the script once under `limit`; returns the raw output too (for `--save-raw`).
pub fn run(limit: Duration) -> (Result<PsFacts, PsError>, Option<String>) {
    let args = arguments();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match command::run_bytes("powershell", &args, limit) {
        Ok(bytes) => {
            // The script switches the console to UTF-8; decode as the console would
            // otherwise, in case an old host ignored that.
            let text = super::codepage::decode_console(&bytes, super::codepage::oem_codepage());
            (parse(&text).map_err(PsError::from), Some(text))
        }
        Err(e) => (Err(PsError::Tool(e)), None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CAPTURE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/host/windows/powershell-facts-vpn.json"
    ));

    #[test]
    fn parses_captured_json() {
        let f = parse(CAPTURE).unwrap();
        let rules = f.nrpt_rules();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].namespace, [".azureml.ms"]);
        assert_eq!(
            rules[0].name_servers,
            [
                "10.1.0.4".parse::<IpAddr>().unwrap(),
                "10.1.0.5".parse().unwrap()
            ]
        );
        assert_eq!(
            rules[1].namespace,
            [".notebooks.azure.net", ".instances.azureml.ms"]
        );
        assert!(rules[2].name_servers.is_empty(), "exemption rule");
        let doh = f.doh_entries();
        assert_eq!(doh.len(), 2);
        assert_eq!(doh[0].server, "1.1.1.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            doh[0].template.as_deref(),
            Some("https://cloudflare-dns.com/dns-query")
        );
        assert_eq!(doh[0].auto_upgrade, Some(true));
        assert_eq!(doh[0].udp_fallback, Some(false));
        assert_eq!(f.routes.len(), 9);
        assert_eq!(f.ip_interfaces.len(), 6);
        let pc = f.computer.unwrap();
        assert_eq!(pc.manufacturer, "LENOVO");
        assert!(pc.part_of_domain);
        assert_eq!(pc.asset_tag, "No Asset Tag");
        assert!(f.errors.is_empty());
    }

    #[test]
    fn single_objects_nulls_and_failed_sections() {
        // Windows 10: no DoH cmdlet; PowerShell 5.1 prints a one-element list as an object.
        let f = parse(
            "\u{feff}{\"nrpt\":{\"namespace\":\".azureml.ms\",\"nameServers\":\"10.1.0.4\",\
             \"directAccessEnabled\":false,\"directAccessDnsServers\":null,\
             \"dnsSecValidationRequired\":false},\"doh\":null,\"routes\":[],\
             \"errors\":\"Get-DnsClientDohServerAddress: The term is not recognized\"}\r\n",
        )
        .unwrap();
        assert_eq!(f.nrpt_rules()[0].name_servers.len(), 1);
        assert!(f.doh.is_empty());
        assert_eq!(f.computer, None);
        assert_eq!(f.errors.len(), 1);
        assert!(parse("Get-NetRoute : Zugriff verweigert").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn arguments_carry_the_script_as_utf16_base64() {
        use base64::Engine;
        let args = arguments();
        assert_eq!(
            args[..5],
            [
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-EncodedCommand"
            ]
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&args[5])
            .unwrap();
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(String::from_utf16(&units).unwrap(), SCRIPT);
        assert!(SCRIPT.contains("[Console]::OutputEncoding = [Text.Encoding]::UTF8"));
        assert!(
            SCRIPT
                .trim_end()
                .ends_with("ConvertTo-Json -InputObject $out -Depth 5 -Compress")
        );
    }
}
