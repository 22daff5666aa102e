//! macOS `scutil --proxy`: the global proxy dictionary of the System Configuration store.
//!
//! ```text
//! <dictionary> {
//!   ExceptionsList : <array> {
//!     0 : *.local
//!     1 : 169.254/16
//!   }
//!   HTTPEnable : 1
//!   HTTPPort : 3128
//!   HTTPProxy : proxy.corp.example
//!   ProxyAutoConfigEnable : 1
//!   ProxyAutoConfigURLString : http://pac.corp.example/proxy.pac
//!   __SCOPED__ : <dictionary> { ... per-interface copies ... }
//! }
//! ```
//! Only top-level keys count; nested dictionaries (`__SCOPED__`) are skipped.

use super::{ProxyServer, ProxySettings, ProxySource, parse_proxy_with_default};
use std::collections::HashMap;

/// Parses `scutil --proxy` output. `ExcludeSimpleHostnames : 1` is kept as a `<local>` bypass
/// entry. HTTP and HTTPS proxies are HTTP proxies; the SOCKS proxy is SOCKS5.
pub fn parse_scutil_proxy(text: &str) -> ProxySettings {
    let mut s = ProxySettings::new(ProxySource::MacScutil);
    let mut values: HashMap<String, String> = HashMap::new();
    let mut exceptions: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut in_exceptions = false;
    let mut saw_dictionary = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "}" {
            if depth == 2 && in_exceptions {
                in_exceptions = false;
            }
            depth = depth.saturating_sub(1);
            continue;
        }
        if line.ends_with('{') {
            if depth == 0 {
                saw_dictionary = true;
            }
            if depth == 1 && line.starts_with("ExceptionsList") {
                in_exceptions = true;
            }
            depth += 1;
            continue;
        }
        let Some((key, value)) = line.split_once(" : ") else {
            continue;
        };
        match depth {
            1 => {
                values.insert(key.trim().to_string(), value.trim().to_string());
            }
            2 if in_exceptions => exceptions.push(value.trim().to_string()),
            _ => {}
        }
    }
    if !saw_dictionary {
        s.note("no proxy dictionary in the scutil output");
    }
    let flag = |k: &str| values.get(k).is_some_and(|v| v == "1");

    let server = |prefix: &str,
                  scheme: &str,
                  default_port: u16,
                  s: &mut ProxySettings|
     -> Option<ProxyServer> {
        if !flag(&format!("{prefix}Enable")) {
            return None;
        }
        let Some(host) = values
            .get(&format!("{prefix}Proxy"))
            .filter(|h| !h.is_empty())
        else {
            s.note(format!("{prefix}Enable is 1 but {prefix}Proxy is empty"));
            return None;
        };
        let port = values
            .get(&format!("{prefix}Port"))
            .map(String::as_str)
            .unwrap_or("");
        let port = if port.is_empty() {
            s.note(format!("{prefix}Port missing; assuming {default_port}"));
            default_port
        } else {
            match port.parse::<u16>() {
                Ok(p) if p != 0 => p,
                _ => {
                    s.note(format!("{prefix}Port `{port}` is not a port"));
                    return None;
                }
            }
        };
        let hostport = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        match parse_proxy_with_default(&hostport, scheme) {
            Ok(mut p) => {
                p.credentials = values
                    .get(&format!("{prefix}User"))
                    .is_some_and(|u| !u.is_empty())
                    || flag(&format!("{prefix}ProxyAuthenticated"));
                Some(p)
            }
            Err(e) => {
                s.note(e.to_string());
                None
            }
        }
    };
    s.http = server("HTTP", "http", 80, &mut s);
    s.https = server("HTTPS", "http", 80, &mut s);
    s.socks = server("SOCKS", "socks5", 1080, &mut s);

    if flag("ProxyAutoConfigEnable") {
        match values
            .get("ProxyAutoConfigURLString")
            .filter(|u| !u.is_empty())
        {
            Some(url) => s.pac_url = Some(url.clone()),
            None => s.note("ProxyAutoConfigEnable is 1 but ProxyAutoConfigURLString is empty"),
        }
    }
    s.auto_detect = flag("ProxyAutoDiscoveryEnable");
    s.bypass = exceptions;
    if flag("ExcludeSimpleHostnames") {
        s.bypass.push("<local>".to_string());
        s.note(
            "ExcludeSimpleHostnames is 1: plain host names bypass the proxy (listed as <local>)",
        );
    }
    s
}
