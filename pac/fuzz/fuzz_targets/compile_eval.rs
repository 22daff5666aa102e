//! Compiles and evaluates arbitrary input as a PAC script; nothing may panic, hang or crash.
//!
//! The first byte picks how the rest is used: as a whole script, as the body of
//! `FindProxyForURL`, or as a `shExpMatch` / `isInNet` / `dateRange` argument.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pac::{PacOptions, PacScript, StaticHost};

fn js_string_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let lit = js_string_literal(&text);
    let source = match mode % 5 {
        0 => text.to_string(),
        1 => format!("function FindProxyForURL(url, host) {{ {text} }}"),
        2 => format!("function FindProxyForURL(url, host) {{ return String(shExpMatch(host, {lit})) + shExpMatch({lit}, host); }}"),
        3 => format!("function FindProxyForURL(url, host) {{ return [isInNet({lit}, {lit}, host), isInNetEx({lit}, {lit}), sortIpAddressList({lit}), dnsResolveEx({lit}), isPlainHostName({lit})].join(); }}"),
        _ => format!("function FindProxyForURL(url, host) {{ return [dateRange({lit}, 3, {lit}), timeRange(1, {lit}, 2, 0), weekdayRange({lit}, 'GMT'), dnsDomainLevels({lit}), localHostOrDomainIs(host, {lit})].join(); }}"),
    };
    let host = StaticHost::new()
        .with_name("a.example", "10.0.0.1".parse().unwrap_or(std::net::IpAddr::from([10, 0, 0, 1])))
        .with_time(1_710_532_470_000, 19_800);
    let options = PacOptions {
        host: Arc::new(host),
        timeout: Duration::from_millis(200),
        loop_iteration_limit: 100_000,
        ..PacOptions::default()
    };
    if let Ok(script) = PacScript::compile(&source, options) {
        let _ = script.find_proxy_for_url("https://user:pw@a.example:8443/x?y#z");
        let _ = script.find_proxy("http://b.example/", &text);
    }
});
