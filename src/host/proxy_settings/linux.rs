//! Linux desktops: GNOME `org.gnome.system.proxy` (gsettings) and KDE `kioslaverc`.
//!
//! GNOME, as glib-networking's `gproxyresolvergnome.c` (`update_settings`) reads it: `mode` is
//! `none`, `manual` or `auto`; in `auto` the PAC runner gets `autoconfig-url` (empty: WPAD);
//! in `manual` the `http`, `https` and `socks` children each give `host` and `port`; https
//! URLs use the https host, else the http proxy, else the SOCKS proxy (the default proxy);
//! `ignore-hosts` is applied before either mode.
//!
//! KDE (`[Proxy Settings]` in `kioslaverc`, as KIO and Chromium's KDE reader use it):
//! `ProxyType` 0 none, 1 manual (`httpProxy`, `httpsProxy`, `socksProxy` as `http://h:p` or
//! `h p`), 2 PAC (`Proxy Config Script`), 3 WPAD, 4 environment variables (the keys then hold
//! variable names); `NoProxyFor` is a comma list; `ReversedException=true` inverts it.

use super::{ProxyServer, ProxySettings, ProxySource, parse_proxy_with_default, redact_url};

/// Parses one GVariant text value as `gsettings get` prints it: `'manual'`, `"it's"`,
/// `uint32 8080`, `8080`. Unquoted text is returned as is.
fn gvariant_scalar(value: &str) -> String {
    let v = value.trim();
    let v = [
        "uint32 ", "int32 ", "uint16 ", "int16 ", "byte ", "@s ", "@i ",
    ]
    .iter()
    .find_map(|p| v.strip_prefix(p))
    .unwrap_or(v)
    .trim();
    match gvariant_strings(v).as_slice() {
        [one] if v.starts_with(['\'', '"']) => one.clone(),
        _ => v.to_string(),
    }
}

/// Every quoted string in a GVariant text (`['localhost', '127.0.0.0/8']`, `@as []`), with
/// backslash escapes resolved.
fn gvariant_strings(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            continue;
        }
        let quote = c;
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        s.push(next);
                    }
                }
                c if c == quote => break,
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// Builds a manual proxy from a gsettings host and port (empty host: none).
fn gnome_server(
    kind: &str,
    scheme: &str,
    host: &str,
    port: &str,
    s: &mut ProxySettings,
) -> Option<ProxyServer> {
    let host = gvariant_scalar(host);
    if host.is_empty() {
        return None;
    }
    let port = gvariant_scalar(port);
    let port: u16 = match port.parse() {
        Ok(p) if p != 0 => p,
        _ => {
            s.note(format!(
                "{kind} proxy {host} has no usable port (`{port}`); ignored"
            ));
            return None;
        }
    };
    let hostport = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    match parse_proxy_with_default(&hostport, scheme) {
        Ok(p) => Some(p),
        Err(e) => {
            s.note(e.to_string());
            None
        }
    }
}

/// Parses the GNOME proxy keys, each as `gsettings get` prints it (`'manual'`,
/// `['localhost', '127.0.0.0/8']`, `8080`).
#[allow(clippy::too_many_arguments)]
pub fn parse_gsettings(
    mode: &str,
    autoconfig_url: &str,
    ignore_hosts: &str,
    https_host: &str,
    https_port: &str,
    http_host: &str,
    http_port: &str,
    socks_host: &str,
    socks_port: &str,
) -> ProxySettings {
    let mut s = ProxySettings::new(ProxySource::Gnome);
    s.bypass = gvariant_strings(ignore_hosts)
        .into_iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    match gvariant_scalar(mode).as_str() {
        "none" | "" => {}
        "manual" => {
            s.http = gnome_server("http", "http", http_host, http_port, &mut s);
            s.https = gnome_server("https", "http", https_host, https_port, &mut s);
            s.socks = gnome_server("socks", "socks", socks_host, socks_port, &mut s);
            if s.https.is_none() && s.http.is_some() {
                // glib-networking: no https host means https URLs use the http proxy.
                s.https = s.http.clone();
            }
            if s.http.is_none() && s.https.is_none() && s.socks.is_none() {
                s.note("mode is manual but no proxy host is set");
            }
        }
        "auto" => {
            let url = gvariant_scalar(autoconfig_url);
            if url.is_empty() {
                s.auto_detect = true;
                s.note("mode is auto with an empty autoconfig-url: WPAD");
            } else {
                s.pac_url = Some(url);
            }
        }
        other => s.note(format!("unknown proxy mode `{other}`; taken as none")),
    }
    s
}

/// Parses `gsettings list-recursively org.gnome.system.proxy` (lines `schema key value`) and
/// hands the values to [`parse_gsettings`].
pub fn parse_gsettings_list(text: &str) -> ProxySettings {
    let mut get = std::collections::HashMap::new();
    for line in text.lines() {
        let mut parts = line.trim().splitn(3, ' ');
        let (Some(schema), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let child = schema.strip_prefix("org.gnome.system.proxy").unwrap_or("?");
        get.insert(format!("{child}/{key}"), value.to_string());
    }
    let v = |k: &str| get.get(k).map(String::as_str).unwrap_or("");
    let mut s = parse_gsettings(
        v("/mode"),
        v("/autoconfig-url"),
        v("/ignore-hosts"),
        v(".https/host"),
        v(".https/port"),
        v(".http/host"),
        v(".http/port"),
        v(".socks/host"),
        v(".socks/port"),
    );
    if get.is_empty() {
        s.note("gsettings printed no org.gnome.system.proxy keys");
    } else if v(".http/use-authentication") == "true"
        && let Some(http) = s.http.as_mut()
    {
        http.credentials = true;
    }
    s
}

/// `http://host port` / `host port` / `host:port` → `host:port` with the scheme kept.
fn kde_proxy_value(v: &str) -> String {
    let v = v.trim();
    match v.rsplit_once(' ') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
            format!("{}:{p}", h.trim())
        }
        _ => v.to_string(),
    }
}

/// Parses a `kioslaverc` (only `[Proxy Settings]` matters). Keys may carry KConfig flags such
/// as `[$e]`; `true`/`false` booleans.
pub fn parse_kioslaverc(text: &str) -> ProxySettings {
    let mut s = ProxySettings::new(ProxySource::Kde);
    let mut in_group = false;
    let mut values = std::collections::HashMap::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && !line.contains('=') {
            in_group = line == "[Proxy Settings]";
            continue;
        }
        if !in_group {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let key = match key.find("[$") {
            Some(i) => &key[..i],
            None => key,
        };
        values.insert(key.trim().to_string(), value.trim().to_string());
    }
    let v = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    s.bypass = v("NoProxyFor")
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    s.bypass_reversed = v("ReversedException").eq_ignore_ascii_case("true");
    let proxy_type = v("ProxyType");
    match proxy_type {
        "" | "0" => {}
        "1" => {
            for (key, scheme, slot) in [
                ("httpProxy", "http", 0),
                ("httpsProxy", "http", 1),
                ("socksProxy", "socks", 2),
            ] {
                let raw = v(key);
                if raw.is_empty() {
                    continue;
                }
                let value = kde_proxy_value(raw);
                let value = match value.split_once("://") {
                    Some((sch, rest)) if sch.eq_ignore_ascii_case("socks") && slot == 2 => {
                        format!("socks://{rest}")
                    }
                    _ => value,
                };
                match parse_proxy_with_default(&value, scheme) {
                    Ok(p) => match slot {
                        0 => s.http = Some(p),
                        1 => s.https = Some(p),
                        _ => s.socks = Some(p),
                    },
                    Err(e) => s.note(format!("{key}: {e}")),
                }
            }
            if s.http.is_none() && s.https.is_none() && s.socks.is_none() {
                s.note("ProxyType is 1 (manual) but no proxy is set");
            }
        }
        "2" => match Some(v("Proxy Config Script")).filter(|u| !u.is_empty()) {
            Some(url) => s.pac_url = Some(url.to_string()),
            None => s.note("ProxyType is 2 (PAC) but `Proxy Config Script` is empty"),
        },
        "3" => s.auto_detect = true,
        "4" => {
            s.defer_to_env = true;
            let names: Vec<String> = ["httpProxy", "httpsProxy", "NoProxyFor"]
                .iter()
                .filter(|k| !v(k).is_empty())
                .map(|k| format!("{k}={}", redact_url(v(k))))
                .collect();
            s.note(format!(
                "ProxyType is 4: KDE uses the environment variables{}",
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", names.join(", "))
                }
            ));
            // The keys name variables, not hosts.
            s.bypass.clear();
        }
        other => s.note(format!("unknown ProxyType `{other}`; taken as none")),
    }
    if s.bypass_reversed {
        s.note("ReversedException is true: only the NoProxyFor hosts use the proxy");
    }
    s
}
