//! Windows: `reg query` of the WinINET Internet Settings (and its `Connections` blob) and
//! `netsh winhttp show proxy`.
//!
//! `reg query` prints a key line (`HKEY_CURRENT_USER\...\Internet Settings`) then one line per
//! value: four spaces, name, four spaces, type, four spaces, data. `ProxyEnable` is a
//! `REG_DWORD 0x1`; `ProxyServer` is `host:port` (every protocol) or
//! `http=a:80;https=b:8080;socks=c:1080`; `ProxyOverride` is a `;` list with `<local>`;
//! `AutoConfigURL` is present when a script is configured.
//!
//! `Connections\DefaultConnectionSettings` (REG_BINARY) is what WinINET itself reads and the
//! only place auto-detect lives. Its layout (not documented by Microsoft; Microsoft's IE
//! support blog "What is DefaultConnectionSettings key?" gives the flag byte, community
//! reverse engineering the rest): little-endian u32 version (0x46 / 0x3C), u32 change
//! counter, u32 flags (`INTERNET_PER_CONN_FLAGS`: 0x01 direct, 0x02 proxy, 0x04 auto-config
//! URL, 0x08 auto-detect), then three length-prefixed (u32) strings: proxy server, bypass
//! list, auto-config URL.

use super::{ProxyServer, ProxySettings, ProxySource, parse_proxy_with_default, redact_url};

const FLAG_PROXY: u32 = 0x02;
const FLAG_AUTO_PROXY_URL: u32 = 0x04;
const FLAG_AUTO_DETECT: u32 = 0x08;

/// One `reg query` value line: name, type, data.
fn reg_value(line: &str) -> Option<(&str, &str, &str)> {
    let t = line.trim_start();
    let i = t.find("    REG_")?;
    let name = t[..i].trim();
    let rest = &t[i + 4..];
    let (ty, data) = match rest.find("    ") {
        Some(j) => (&rest[..j], rest[j + 4..].trim()),
        None => (rest.trim(), ""),
    };
    Some((name, ty.trim(), data))
}

/// `0x1` → 1.
fn dword(data: &str) -> Option<u32> {
    let d = data.trim();
    match d.strip_prefix("0x").or_else(|| d.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => d.parse().ok(),
    }
}

/// The decoded `DefaultConnectionSettings` blob.
#[derive(Debug, Default)]
struct ConnBlob {
    flags: u32,
    proxy: String,
    bypass: String,
    pac: String,
}

fn decode_blob(hex: &str) -> Result<ConnBlob, String> {
    let hex: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not hex".to_string());
    }
    if !hex.len().is_multiple_of(2) {
        return Err("odd number of hex digits".to_string());
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| "not hex".to_string())?;
    let u32_at = |i: usize| -> Option<u32> {
        let b = bytes.get(i..i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let flags = u32_at(8).ok_or_else(|| format!("only {} bytes", bytes.len()))?;
    let mut blob = ConnBlob {
        flags,
        ..ConnBlob::default()
    };
    let mut pos = 12;
    for slot in [&mut blob.proxy, &mut blob.bypass, &mut blob.pac] {
        let Some(len) = u32_at(pos) else { break };
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let start = pos + 4;
        let Some(text) = start.checked_add(len).and_then(|end| bytes.get(start..end)) else {
            return Err(format!("string at byte {pos} runs past the end"));
        };
        *slot = String::from_utf8_lossy(text)
            .trim_end_matches('\0')
            .to_string();
        pos = start + len;
    }
    Ok(blob)
}

/// Parses a WinINET / WinHTTP proxy-server string into (http, https, socks) proxies:
/// `host:port` serves every protocol except SOCKS; `http=a:80;https=b:8080;socks=c:1080`
/// names one proxy per protocol (the https one is an HTTP proxy sent CONNECT; `socks=` is
/// SOCKS4 for WinINET).
pub(super) fn parse_proxy_server_list(
    value: &str,
    notes: &mut Vec<String>,
) -> (
    Option<ProxyServer>,
    Option<ProxyServer>,
    Option<ProxyServer>,
) {
    let value = value.trim();
    let (mut http, mut https, mut socks) = (None, None, None);
    if value.is_empty() {
        return (http, https, socks);
    }
    let parse = |v: &str, scheme: &str, notes: &mut Vec<String>| match parse_proxy_with_default(
        v, scheme,
    ) {
        Ok(s) => Some(s),
        Err(e) => {
            notes.push(e.to_string());
            None
        }
    };
    if !value.contains('=') {
        let first = value
            .split([';', ' '])
            .find(|s| !s.is_empty())
            .unwrap_or("");
        let server = parse(first, "http", notes);
        http = server.clone();
        https = server;
        return (http, https, socks);
    }
    for entry in value
        .split([';', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let Some((proto, server)) = entry.split_once('=') else {
            notes.push(format!(
                "proxy entry `{}` has no protocol= prefix; ignored",
                redact_url(entry)
            ));
            continue;
        };
        match proto.trim().to_ascii_lowercase().as_str() {
            "http" => http = parse(server, "http", notes),
            "https" => https = parse(server, "http", notes),
            "socks" => socks = parse(server, "socks4", notes),
            "ftp" => {}
            other => notes.push(format!(
                "proxy entry for unknown protocol `{other}` ignored"
            )),
        }
    }
    (http, https, socks)
}

/// Splits a WinINET bypass list (`;`, also `,` and blanks) into raw entries.
fn split_override(value: &str) -> Vec<String> {
    value
        .split([';', ',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses `reg query "HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings"`
/// output, optionally followed by the `...\Internet Settings\Connections` query with
/// `DefaultConnectionSettings`. When the blob is present its flags decide what is enabled
/// (as WinINET reads it) and disagreements with the plain values become notes; without it,
/// `ProxyEnable` and `AutoConfigURL` decide and auto-detect is unknown (noted, taken as off).
pub fn parse_reg_query_internet_settings(text: &str) -> ProxySettings {
    let mut s = ProxySettings::new(ProxySource::WinInet);
    #[derive(PartialEq)]
    enum Key {
        Settings,
        Connections,
        Other,
    }
    let mut key = Key::Other;
    let mut proxy_enable: Option<u32> = None;
    let mut proxy_server: Option<String> = None;
    let mut proxy_override: Option<String> = None;
    let mut auto_config_url: Option<String> = None;
    let mut blob: Option<ConnBlob> = None;
    let mut seen_key = false;
    for line in text.lines() {
        let trimmed = line.trim();
        let upper = trimmed.to_ascii_uppercase();
        if upper.starts_with("HKEY_") || upper.starts_with("HKCU\\") || upper.starts_with("HKLM\\")
        {
            let lower = trimmed.to_ascii_lowercase();
            seen_key = true;
            key = if lower.ends_with(r"\internet settings") {
                Key::Settings
            } else if lower.ends_with(r"\internet settings\connections") {
                Key::Connections
            } else {
                Key::Other
            };
            continue;
        }
        let Some((name, ty, data)) = reg_value(line) else {
            continue;
        };
        match (&key, name.to_ascii_lowercase().as_str()) {
            (Key::Settings, "proxyenable") => proxy_enable = dword(data),
            (Key::Settings, "proxyserver") => proxy_server = Some(data.to_string()),
            (Key::Settings, "proxyoverride") => proxy_override = Some(data.to_string()),
            (Key::Settings, "autoconfigurl") => auto_config_url = Some(data.to_string()),
            (Key::Connections, "defaultconnectionsettings") if ty == "REG_BINARY" => {
                match decode_blob(data) {
                    Ok(b) => blob = Some(b),
                    Err(e) => s.note(format!(
                        "DefaultConnectionSettings unreadable ({e}); using the plain values"
                    )),
                }
            }
            _ => {}
        }
    }
    if !seen_key {
        s.note("no Internet Settings key in the reg query output");
    }

    let reg_manual = proxy_enable == Some(1);
    let reg_pac = auto_config_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let (manual, pac, auto_detect) = match &blob {
        Some(b) => {
            let manual = b.flags & FLAG_PROXY != 0;
            let pac_on = b.flags & FLAG_AUTO_PROXY_URL != 0;
            if proxy_enable.is_some() && manual != reg_manual {
                s.note(format!(
                    "ProxyEnable is {} but DefaultConnectionSettings says the manual proxy is {}; WinINET follows DefaultConnectionSettings",
                    proxy_enable.unwrap_or(0),
                    if manual { "on" } else { "off" }
                ));
            }
            if reg_pac.is_some() != pac_on {
                s.note(format!(
                    "AutoConfigURL is {} but DefaultConnectionSettings says the configuration script is {}; WinINET follows DefaultConnectionSettings",
                    if reg_pac.is_some() { "set" } else { "not set" },
                    if pac_on { "on" } else { "off" }
                ));
            }
            let blob_pac = Some(b.pac.trim()).filter(|u| !u.is_empty());
            let pac = if pac_on {
                reg_pac.or(blob_pac).map(str::to_string)
            } else {
                None
            };
            if pac_on && pac.is_none() {
                s.note("automatic configuration script is enabled but no URL is set");
            }
            if proxy_server.is_none() && !b.proxy.is_empty() {
                proxy_server = Some(b.proxy.clone());
            }
            if proxy_override.is_none() && !b.bypass.is_empty() {
                proxy_override = Some(b.bypass.clone());
            }
            (manual, pac, b.flags & FLAG_AUTO_DETECT != 0)
        }
        None => {
            if seen_key {
                s.note("auto-detect (WPAD) state unknown: Connections\\DefaultConnectionSettings was not read; taken as off");
            }
            (reg_manual, reg_pac.map(str::to_string), false)
        }
    };
    s.pac_url = pac;
    s.auto_detect = auto_detect;
    if let Some(list) = &proxy_override {
        s.bypass = split_override(list);
    }
    if let Some(server) = proxy_server.as_deref().filter(|v| !v.trim().is_empty()) {
        if manual {
            let mut notes = Vec::new();
            let (http, https, socks) = parse_proxy_server_list(server, &mut notes);
            s.http = http;
            s.https = https;
            s.socks = socks;
            s.notes.extend(notes);
        } else {
            s.note(format!(
                "ProxyServer {} is set but the manual proxy is off (not used)",
                redact_url(server)
            ));
        }
    } else if manual {
        s.note("the manual proxy is on but ProxyServer is empty");
    }
    s
}

/// Reads `ProxySettingsPerUser` from the policy key query: 0 means per-machine settings.
pub(super) fn policy_per_machine(text: &str) -> bool {
    text.lines().filter_map(reg_value).any(|(name, _, data)| {
        name.eq_ignore_ascii_case("ProxySettingsPerUser") && dword(data) == Some(0)
    })
}

/// How `netsh winhttp show proxy` says "no proxy" (English, German, French, Japanese).
const DIRECT_PHRASES: &[&str] = &[
    "direct access",
    "direkter zugriff",
    "accès direct",
    "直接アクセス",
];

/// Parses `netsh winhttp show proxy`: `Direct access (no proxy server).` or
/// `Proxy Server(s) :  host:port` (same syntax as WinINET's ProxyServer) and
/// `Bypass List     :  <local>;*.corp`. Localised output is read by position: the first
/// `key : value` line after the header is the proxy, the second the bypass list.
pub fn parse_netsh_winhttp(text: &str) -> ProxySettings {
    let mut s = ProxySettings::new(ProxySource::WinHttp);
    let mut proxy: Option<&str> = None;
    let mut bypass: Option<&str> = None;
    let mut pac: Option<&str> = None;
    let mut positional: Vec<&str> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once([':', '：']) else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key.is_empty() || value.is_empty() {
            continue;
        }
        if key.starts_with("proxy server") {
            proxy = Some(value);
        } else if key.starts_with("bypass list") {
            bypass = Some(value);
        } else if key.contains("auto") && (key.contains("url") || key.contains("config")) {
            pac = Some(value);
        } else {
            positional.push(value);
        }
    }
    let lower = text.to_lowercase();
    let direct = DIRECT_PHRASES.iter().any(|p| lower.contains(p));
    if proxy.is_none() && !direct && !positional.is_empty() {
        s.note("netsh output not in English: proxy and bypass list read by position");
        proxy = positional.first().copied();
        bypass = positional.get(1).copied();
    }
    if let Some(p) = proxy {
        let mut notes = Vec::new();
        let (http, https, socks) = parse_proxy_server_list(p, &mut notes);
        s.http = http;
        s.https = https;
        s.socks = socks;
        s.notes.extend(notes);
    } else if !direct {
        s.note("no proxy line recognised in the netsh output; taken as direct");
    }
    if let Some(b) = bypass.filter(|b| !b.trim_start().starts_with('(')) {
        s.bypass = split_override(b);
    }
    s.pac_url = pac.map(str::to_string);
    s
}
