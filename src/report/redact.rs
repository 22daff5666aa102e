//! Redaction: masks what identifies the person or leaks a secret in every string of a report,
//! before any renderer sees it: the usernames of this machine, home folders (`~`, or `<user>`
//! for someone else's), credentials in URLs (`scheme://***@host`), secret query parameters
//! (`sig=***`) and MAC addresses (`<mac>`).
//!
//! Every string is reached through [`for_each_string`], which takes each struct of the model
//! apart without `..`: a field added to the model is a compile error here until it is handled,
//! so no new string is left unredacted silently.

use super::model::{HostInfo, InterfaceInfo, Report, ToolInfo, WorkspaceInfo};
use crate::findings::Finding;
use crate::host::browsers::BrowserDoh;
use crate::model::ChainRecord;
use crate::model::ProbeError;
use crate::model::{Resolution, ResolverInfo};
use crate::probe::connect::{Connection, Route, RouteReason};
use crate::probe::http::HttpOutcome;
use crate::probe::pac::{PacReport, PacVerdict};
use crate::probe::proxy::ConnectOutcome;
use crate::probe::tls::TlsOutcome;
use crate::targets::Target;
use regex_lite::Regex;
use std::path::PathBuf;
use std::sync::LazyLock;

/// What identifies the person running pe-doctor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedactionContext {
    /// Login names to mask wherever they appear as a whole word (case-insensitive).
    pub usernames: Vec<String>,
    /// Home folders to replace with `~`.
    pub home_dirs: Vec<PathBuf>,
}

impl RedactionContext {
    /// The user and home folder of this process (`USER`, `USERNAME`, `LOGNAME`; `HOME`,
    /// `USERPROFILE`).
    pub fn for_this_machine() -> Self {
        Self::from_env(|k| std::env::var(k).ok())
    }

    /// Builds the context from an environment lookup (empty and duplicate values dropped).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut ctx = RedactionContext::default();
        for key in ["USER", "USERNAME", "LOGNAME"] {
            if let Some(v) = get(key).map(|v| v.trim().to_string())
                && !v.is_empty()
                && !ctx.usernames.iter().any(|u| u.eq_ignore_ascii_case(&v))
            {
                ctx.usernames.push(v);
            }
        }
        for key in ["HOME", "USERPROFILE"] {
            if let Some(v) = get(key).map(|v| v.trim().to_string())
                && !v.is_empty()
            {
                let p = PathBuf::from(v);
                if !ctx.home_dirs.contains(&p) {
                    ctx.home_dirs.push(p);
                }
            }
        }
        ctx
    }
}

/// Masks personal data and secrets in every string of `report`.
pub fn redact(report: &mut Report, ctx: &RedactionContext) {
    let r = Redactor::new(ctx);
    for_each_string(report, &mut |s| *s = r.apply(s));
}

/// Masks personal data and secrets in one string.
pub fn redact_str(s: &str, ctx: &RedactionContext) -> String {
    Redactor::new(ctx).apply(s)
}

/// Usernames that are ordinary words of a report (or too generic to identify anyone): masking
/// them would garble the report without protecting anybody.
const GENERIC_USERS: &[&str] = &[
    "root",
    "admin",
    "administrator",
    "user",
    "guest",
    "public",
    "default",
    "system",
    "azure",
    "dns",
    "proxy",
    "private",
];

/// Folder names under `/home`, `/Users` or `C:\Users` that are not a person.
const SHARED_HOMES: &[&str] = &["shared", "public", "default", "default user", "all users"];

/// URL userinfo: `scheme://user:pass@` or `scheme://token@`.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s@?#]+)@").expect("constant pattern")
});

/// Query parameters that carry secrets (SAS signatures, tokens, passwords, keys).
static SECRET_PARAMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)([?&](?:sig|signature|token|access_token|id_token|refresh_token|code|password|passwd|pwd|secret|client_secret|api[-_]?key|apikey|key)=)[^&\s#]+",
    )
    .expect("constant pattern")
});

/// `/home/NAME`, `/Users/NAME`.
static UNIX_HOME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(/home/|/Users/)([^/\s:;,'`<>()\[\]]+)").expect("constant pattern")
});

/// `C:\Users\NAME` (either slash, any drive, or none).
static WINDOWS_HOME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)((?:[a-z]:)?[\\/]+Users[\\/]+)([^\\/\s:;,'`<>()\[\]]+)")
        .expect("constant pattern")
});

/// `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`.
static MAC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f]{2}(?:[:\-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}")
        .expect("constant pattern")
});

struct Redactor {
    /// Home folders as text, longest first, with whether to compare case-insensitively.
    homes: Vec<(String, bool)>,
    /// One case-insensitive pattern per username worth masking (Unicode case folding, so
    /// `JÜRGEN` is `jürgen`: JavaScript's `iu` flags, as the PAC engine's own regex engine has them).
    /// With each, the name in ASCII lower case when it is ASCII (for a quick look first).
    users: Vec<(regress::Regex, Option<String>)>,
}

impl Redactor {
    fn new(ctx: &RedactionContext) -> Self {
        let mut homes: Vec<(String, bool)> = ctx
            .home_dirs
            .iter()
            .map(|p| {
                p.to_string_lossy()
                    .trim_end_matches(['/', '\\'])
                    .to_string()
            })
            .filter(|h| h.chars().count() >= 2)
            .map(|h| {
                let windows = h.contains('\\') || h.get(1..2) == Some(":");
                (h, windows)
            })
            .collect();
        homes.sort_by_key(|(h, _)| std::cmp::Reverse(h.len()));
        let users = ctx
            .usernames
            .iter()
            .map(|u| u.trim())
            .filter(|u| u.chars().count() >= 3)
            .filter(|u| !GENERIC_USERS.iter().any(|g| g.eq_ignore_ascii_case(u)))
            .filter_map(|u| {
                let re = regress::Regex::with_flags(&regress::escape(u), "iu").ok()?;
                Some((re, u.is_ascii().then(|| u.to_ascii_lowercase())))
            })
            .collect();
        Self { homes, users }
    }

    fn apply(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (home, windows) in &self.homes {
            s = replace_home(&s, home, *windows);
        }
        // Each pattern runs only on text that holds what it cannot match without (a report of
        // 10,000 names has 100,000 strings, nearly all without a path, URL or MAC address).
        if s.contains("/home/") || s.contains("/Users/") {
            s = replace_checked(&s, &UNIX_HOME, |m, caps_start, text| {
                home_path_start(text, caps_start) && !is_shared(m)
            });
        }
        if s.to_ascii_lowercase().contains("users") {
            s = replace_checked(&s, &WINDOWS_HOME, |m, caps_start, text| {
                home_path_start(text, caps_start) && !is_shared(m)
            });
        }
        if s.contains("://") && s.contains('@') {
            s = URL_CREDENTIALS
                .replace_all(&s, |c: &regex_lite::Captures<'_>| {
                    // The placeholder fix texts show is not a credential.
                    let placeholder = format!(
                        "{}{}@",
                        &c[1],
                        crate::host::proxy_settings::CREDENTIALS_PLACEHOLDER
                    );
                    if c[0] == placeholder {
                        placeholder
                    } else {
                        format!("{}***@", &c[1])
                    }
                })
                .into_owned();
        }
        if s.contains('=') {
            s = SECRET_PARAMS.replace_all(&s, "${1}***").into_owned();
        }
        if may_hold_mac(&s) {
            s = mask_macs(&s);
        }
        let lower = s.is_ascii().then(|| s.to_ascii_lowercase());
        for (u, ascii_lower) in &self.users {
            // ASCII text holds an ASCII name only as its ASCII-case variant.
            if let (Some(l), Some(name)) = (&lower, ascii_lower)
                && !l.contains(name.as_str())
            {
                continue;
            }
            s = mask_word(&s, u, "<user>");
        }
        s
    }
}

/// Whether `s` has what every MAC address form has: `hh:hh` / `hh-hh`, or `hhhh.hhhh`.
fn may_hold_mac(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    (0..b.len()).any(|i| {
        let pair = hex(i) && hex(i + 1);
        (pair && matches!(b.get(i + 2), Some(b':' | b'-')) && hex(i + 3) && hex(i + 4))
            || (pair
                && hex(i + 2)
                && hex(i + 3)
                && b.get(i + 4) == Some(&b'.')
                && (5..9).all(|k| hex(i + k)))
    })
}

fn is_shared(name: &str) -> bool {
    SHARED_HOMES.iter().any(|h| h.eq_ignore_ascii_case(name)) || name == "<user>"
}

/// A home path starts a path: at the start, or after something that is not part of a word,
/// a host name or another path component (`example.com/home/x` is a URL path, not a home).
fn home_path_start(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '\\')))
        || text[..at].ends_with(":///")
        || text[..at].ends_with("file://")
}

/// Replaces the NAME group of a home-path pattern with `<user>` where `keep(name, start, text)`.
fn replace_checked(text: &str, re: &Regex, keep: impl Fn(&str, usize, &str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let (Some(all), Some(prefix), Some(name)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            continue;
        };
        if !keep(name.as_str(), all.start(), text) {
            continue;
        }
        out.push_str(&text[last..all.start()]);
        out.push_str(prefix.as_str());
        out.push_str("<user>");
        last = all.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Replaces `home` (followed by a separator or the end) with `~`.
fn replace_home(text: &str, home: &str, case_insensitive: bool) -> String {
    let (hay, needle) = if case_insensitive {
        (text.to_ascii_lowercase(), home.to_ascii_lowercase())
    } else {
        (text.to_string(), home.to_string())
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = hay[from..].find(&needle).map(|p| p + from) {
        let end = pos + needle.len();
        let boundary_after = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_')));
        let boundary_before = text[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_')));
        if boundary_after && boundary_before {
            out.push_str(&text[last..pos]);
            out.push('~');
            last = end;
        }
        from = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Replaces whole-word matches of `re` (not inside a longer word) with `with`.
fn mask_word(text: &str, re: &regress::Regex, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in re.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
            continue;
        }
        out.push_str(&text[last..m.start()]);
        out.push_str(with);
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Masks MAC addresses that stand alone (not part of an IPv6 address or a longer hex run).
fn mask_macs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in MAC.find_iter(text) {
        let seg = m.as_str();
        // Colon and dash forms must use one separator throughout.
        if seg.len() == 17 {
            let sep = seg.as_bytes()[2];
            if !seg.bytes().skip(2).step_by(3).all(|b| b == sep) {
                continue;
            }
        }
        let glued = |c: char| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.');
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        let after_ok = match after {
            // A full stop ends a sentence unless a hex digit follows it.
            Some('.') => !text[m.end() + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_hexdigit()),
            Some(c) => !glued(c),
            None => true,
        };
        if before.is_some_and(glued) || !after_ok {
            continue;
        }
        out.push_str(&text[last..m.start()]);
        out.push_str("<mac>");
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Calls `f` on every owned string of the report, in a fixed order.
///
/// Each struct is destructured without `..`: adding a field to the model breaks the build here,
/// which is the point. Fields that are `&'static str` (schema, finding ids), enums without data,
/// numbers and IP addresses carry nothing to redact.
pub fn for_each_string(report: &mut Report, f: &mut dyn FnMut(&mut String)) {
    let Report {
        schema: _,
        tool,
        started_at,
        duration_ms: _,
        verdict: _,
        workspace,
        derived_from,
        host,
        targets,
        resolvers,
        resolutions,
        browsers,
        pac,
        connections,
        findings,
    } = report;
    let ToolInfo { name, version } = tool;
    f(name);
    f(version);
    f(started_at);
    if let Some(w) = workspace {
        workspace_strings(w, f);
    }
    for d in derived_from {
        derivation_strings(d, f);
    }
    host_strings(host, f);
    for t in targets {
        target_strings(t, f);
    }
    for r in resolvers {
        resolver_strings(r, f);
    }
    for r in resolutions {
        resolution_strings(r, f);
    }
    for b in browsers {
        browser_strings(b, f);
    }
    if let Some(p) = pac {
        pac_strings(p, f);
    }
    for c in connections {
        connection_strings(c, f);
    }
    for x in findings {
        finding_strings(x, f);
    }
}

fn browser_strings(b: &mut BrowserDoh, f: &mut dyn FnMut(&mut String)) {
    let BrowserDoh {
        browser: _,
        profile,
        profile_path: _,
        mode: _,
        templates,
        excluded_domains,
        allow_rfc1918: _,
        managed: _,
        setting,
        fix,
    } = b;
    f(profile);
    templates.iter_mut().for_each(&mut *f);
    excluded_domains.iter_mut().for_each(&mut *f);
    f(setting);
    f(fix);
}

fn pac_strings(p: &mut PacReport, f: &mut dyn FnMut(&mut String)) {
    let PacReport {
        source,
        configured_by,
        load_error,
        compile_error,
        entry_point,
        verdicts,
    } = p;
    f(source);
    f(configured_by);
    for s in [load_error, compile_error, entry_point]
        .into_iter()
        .flatten()
    {
        f(s);
    }
    for v in verdicts {
        let PacVerdict {
            fqdn,
            url,
            result,
            directives,
            bad_entries,
            error,
            first: _,
        } = v;
        f(fqdn);
        f(url);
        for s in [result, error].into_iter().flatten() {
            f(s);
        }
        directives.iter_mut().for_each(&mut *f);
        bad_entries.iter_mut().for_each(&mut *f);
    }
}

fn connection_strings(c: &mut Connection, f: &mut dyn FnMut(&mut String)) {
    let Connection {
        fqdn,
        route,
        reason,
        tcp_ms: _,
        proxy,
        tls,
        http,
        failure,
        elapsed_ms: _,
    } = c;
    f(fqdn);
    match route {
        Route::Direct {
            address: _,
            resolver,
        } => f(resolver),
        Route::Proxy { proxy } => f(proxy),
    }
    let RouteReason { source, detail } = reason;
    f(source);
    if let Some(d) = detail {
        f(d);
    }
    if let Some(p) = proxy {
        let ConnectOutcome {
            status: _,
            status_line,
            authenticate,
            via,
            squid_error,
            server,
            elapsed_ms: _,
        } = p;
        f(status_line);
        authenticate.iter_mut().for_each(&mut *f);
        for s in [via, squid_error, server].into_iter().flatten() {
            f(s);
        }
    }
    if let Some(t) = tls {
        let TlsOutcome {
            os_trusted: _,
            os_error,
            public_trusted: _,
            public_error,
            subject,
            issuer,
            sha256,
        } = t;
        for s in [os_error, public_error].into_iter().flatten() {
            f(s);
        }
        f(subject);
        f(issuer);
        f(sha256);
    }
    if let Some(h) = http {
        let HttpOutcome {
            status: _,
            server,
            error_code,
            private_link_denied: _,
            body_excerpt,
        } = h;
        for s in [server, error_code].into_iter().flatten() {
            f(s);
        }
        f(body_excerpt);
    }
    if let Some(e) = failure {
        let ProbeError {
            phase: _,
            kind: _,
            message,
        } = e;
        f(message);
    }
}

fn workspace_strings(w: &mut WorkspaceInfo, f: &mut dyn FnMut(&mut String)) {
    let WorkspaceInfo {
        id,
        region,
        name,
        cloud,
    } = w;
    f(id);
    f(region);
    if let Some(n) = name {
        f(n);
    }
    f(cloud);
}

fn derivation_strings(d: &mut crate::targets::Derivation, f: &mut dyn FnMut(&mut String)) {
    let crate::targets::Derivation {
        input,
        form: _,
        found,
        notes,
    } = d;
    f(input);
    let crate::targets::Found {
        workspace_id,
        region,
        workspace_name,
        cloud: _,
        resource_group,
        subscription,
        instances,
        inference_endpoints,
        storage_accounts,
        names,
    } = found;
    for s in [
        workspace_id,
        region,
        workspace_name,
        resource_group,
        subscription,
    ]
    .into_iter()
    .flatten()
    {
        f(s);
    }
    for list in [
        instances,
        inference_endpoints,
        storage_accounts,
        names,
        notes,
    ] {
        list.iter_mut().for_each(&mut *f);
    }
}

fn host_strings(h: &mut HostInfo, f: &mut dyn FnMut(&mut String)) {
    let HostInfo {
        os,
        interfaces,
        dns_servers,
        search_domains,
        azure_vm: _,
        dns_routes,
        notes,
    } = h;
    f(os);
    for i in interfaces {
        let InterfaceInfo {
            name,
            addresses: _,
            vpn_like: _,
        } = i;
        f(name);
    }
    dns_servers.iter_mut().for_each(&mut *f);
    search_domains.iter_mut().for_each(&mut *f);
    dns_routes.iter_mut().for_each(&mut *f);
    notes.iter_mut().for_each(&mut *f);
}

fn target_strings(t: &mut Target, f: &mut dyn FnMut(&mut String)) {
    let Target {
        fqdn,
        kind: _,
        expected_ips: _,
        private_name,
        same_ip_as,
        alternative_of,
        privatelink_zone: _,
        forwarder_zone: _,
        cloud: _,
        source: _,
    } = t;
    f(fqdn);
    for s in [private_name, same_ip_as, alternative_of]
        .into_iter()
        .flatten()
    {
        f(s);
    }
}

fn resolver_strings(r: &mut ResolverInfo, f: &mut dyn FnMut(&mut String)) {
    let ResolverInfo {
        label,
        role: _,
        transport: _,
        address,
        source,
    } = r;
    f(label);
    f(address);
    if let Some(s) = source {
        f(s);
    }
}

fn resolution_strings(r: &mut Resolution, f: &mut dyn FnMut(&mut String)) {
    let Resolution {
        fqdn,
        resolver,
        status: _,
        chain,
        addresses: _,
        class: _,
        elapsed_ms: _,
        error,
        failure: _,
    } = r;
    f(fqdn);
    resolver_strings(resolver, f);
    for c in chain {
        let ChainRecord {
            name,
            rtype,
            data,
            ttl: _,
        } = c;
        f(name);
        f(rtype);
        f(data);
    }
    if let Some(e) = error {
        f(e);
    }
}

fn finding_strings(x: &mut Finding, f: &mut dyn FnMut(&mut String)) {
    let Finding {
        id: _,
        severity: _,
        section: _,
        subject,
        title,
        detail,
        evidence,
        remediation,
        affected,
        snippet,
    } = x;
    f(subject);
    f(title);
    f(detail);
    evidence.iter_mut().for_each(&mut *f);
    remediation.iter_mut().for_each(&mut *f);
    snippet.iter_mut().for_each(&mut *f);
    affected.iter_mut().for_each(|a| f(&mut a.fqdn));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Format;
    use crate::lab::scenarios::{self, LabOptions};
    use crate::report::model::InterfaceInfo;

    fn ctx() -> RedactionContext {
        RedactionContext {
            usernames: vec!["jdoe".into(), "JDoe".into()],
            home_dirs: vec![PathBuf::from("/home/jdoe"), PathBuf::from(r"C:\Users\JDoe")],
        }
    }

    fn red(s: &str) -> String {
        redact_str(s, &ctx())
    }

    #[test]
    fn masks_home_paths_and_usernames() {
        assert_eq!(red("/home/jdoe/.config/x.pac"), "~/.config/x.pac");
        assert_eq!(red("read /home/jdoe"), "read ~");
        assert_eq!(red(r"c:\users\jdoe\AppData\x"), r"~\AppData\x");
        assert_eq!(
            red("/home/alice/x and /Users/bob/y"),
            "/home/<user>/x and /Users/<user>/y"
        );
        assert_eq!(red(r"C:\Users\Alice\x"), r"C:\Users\<user>\x");
        assert_eq!(red(r"C:\Users\Public\x"), r"C:\Users\Public\x");
        assert_eq!(red("file:///home/alice/p.pac"), "file:///home/<user>/p.pac");
        // A URL path is not a home folder.
        assert_eq!(
            red("https://example.com/home/page"),
            "https://example.com/home/page"
        );
        // The home folder of someone whose name merely starts the same.
        assert_eq!(red("/home/jdoenot/x"), "/home/<user>/x");
        assert_eq!(
            red("logged in as JDOE on jdoe-laptop"),
            "logged in as <user> on <user>-laptop"
        );
        // Not inside a longer word.
        assert_eq!(red("jdoes and ajdoe"), "jdoes and ajdoe");
    }

    #[test]
    fn usernames_beyond_ascii_are_masked_in_any_case() {
        let c = RedactionContext {
            usernames: vec!["Jürgen".into(), "山田太郎".into(), "a.b+c".into()],
            home_dirs: Vec::new(),
        };
        assert_eq!(
            redact_str("JÜRGEN-LAPTOP, jürgen and Jürgens", &c),
            "<user>-LAPTOP, <user> and Jürgens"
        );
        assert_eq!(
            redact_str("user 山田太郎 signed in", &c),
            "user <user> signed in"
        );
        // Regex characters in a name are literal.
        assert_eq!(redact_str("a.b+c and aXb+c", &c), "<user> and aXb+c");
    }

    #[test]
    fn generic_and_short_usernames_are_left_alone() {
        let c = RedactionContext {
            usernames: vec!["root".into(), "ml".into(), "azure".into()],
            home_dirs: vec![PathBuf::from("/")],
        };
        let s = "root hints · ml-contoso · notebooks.azure.net /etc/resolv.conf";
        assert_eq!(redact_str(s, &c), s);
    }

    #[test]
    fn masks_url_credentials_and_secret_parameters() {
        assert_eq!(
            red("proxy http://alice:s3cr%40t@proxy.corp:8080/ failed"),
            "proxy http://***@proxy.corp:8080/ failed"
        );
        assert_eq!(red("https://token@host/x"), "https://***@host/x");
        // The fix texts' placeholder survives; a real user named USER with another password not.
        assert_eq!(
            red("Re-run with --proxy http://USER:PASSWORD@proxy:8080"),
            "Re-run with --proxy http://USER:PASSWORD@proxy:8080"
        );
        assert_eq!(
            red("http://USER:hunter2@proxy:8080"),
            "http://***@proxy:8080"
        );
        assert_eq!(
            red("--proxy http://USER:PASSWORD@proxy:8080 to check"),
            "--proxy http://USER:PASSWORD@proxy:8080 to check"
        );
        assert_eq!(
            red("http://user:PASSWORD@proxy:8080"),
            "http://***@proxy:8080"
        );
        assert_eq!(
            red("mailto-like a@b and http://host/p@x"),
            "mailto-like a@b and http://host/p@x"
        );
        assert_eq!(
            red("https://acct.blob.core.windows.net/c?sv=2022&sig=AbC%2Fd&se=1"),
            "https://acct.blob.core.windows.net/c?sv=2022&sig=***&se=1"
        );
    }

    #[test]
    fn masks_mac_addresses_not_ipv6() {
        assert_eq!(red("wlan0 aa:bb:cc:dd:ee:0f up"), "wlan0 <mac> up");
        assert_eq!(
            red("Physical Address: AA-BB-CC-DD-EE-FF."),
            "Physical Address: <mac>."
        );
        assert_eq!(red("mac 00a0.c9ff.fe01"), "mac <mac>");
        for keep in [
            "fe80::aa:bb:cc:dd:ee:ff",
            "2001:db8:aa:bb:cc:dd:ee:ff",
            "aa:bb:cc:dd:ee:ff:00:11",
            "aa:bb-cc:dd:ee:ff",
            "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69",
        ] {
            assert_eq!(red(keep), keep);
        }
    }

    #[test]
    fn context_from_environment() {
        let env = |k: &str| match k {
            "USER" => Some("jdoe".to_string()),
            "LOGNAME" => Some("JDOE".to_string()),
            "USERNAME" => Some(" ".to_string()),
            "HOME" => Some("/home/jdoe".to_string()),
            _ => None,
        };
        let c = RedactionContext::from_env(env);
        assert_eq!(c.usernames, vec!["jdoe".to_string()]);
        assert_eq!(c.home_dirs, vec![PathBuf::from("/home/jdoe")]);
    }

    /// What every string of the sample report is set to: a username, a home path, URL
    /// credentials and a MAC address.
    const PLANTED: &str =
        "jdoe /home/jdoe/x C:\\Users\\JDoe\\y http://jdoe:hunter2@proxy:3128 aa:bb:cc:dd:ee:ff";

    /// Every JSON string leaf, with the key it sits under.
    fn leaves(v: &serde_json::Value, key: &str, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::String(s) => out.push((key.to_string(), s.clone())),
            serde_json::Value::Array(a) => a.iter().for_each(|x| leaves(x, key, out)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| leaves(x, k, out)),
            _ => {}
        }
    }

    /// Keys whose string values are enum names, constants or IP addresses, not free text.
    const NOT_TEXT: &[&str] = &[
        "schema",
        "verdict",
        "kind",
        "role",
        "transport",
        "status",
        "class",
        "severity",
        "private_link_denied",
        "section",
        "addresses",
        "expected_ips",
        "phase",
        "privatelink_zone",
        "forwarder_zone",
        "cloud",
    ];

    async fn sample() -> Report {
        let run = scenarios::setup("doh-leak", &LabOptions::default())
            .await
            .unwrap();
        let mut report = run.diagnose().await;
        // Make sure every optional and list field holds at least one string.
        report.host.interfaces.push(InterfaceInfo {
            name: "eth0".into(),
            addresses: vec!["10.1.2.3".parse().unwrap()],
            vpn_like: false,
        });
        report.host.search_domains.push("corp.example".into());
        report.host.notes.push("note".into());
        report.resolutions[0].error = Some("err".into());
        report.findings[0].remediation.push("a fix".into());
        for r in &mut report.resolvers {
            r.source.get_or_insert_with(|| "src".into());
        }
        report.resolutions[0].resolver.source = Some("src".into());
        if let Some(w) = &mut report.workspace {
            w.name.get_or_insert_with(|| "ws".into());
        }
        report
    }

    #[tokio::test]
    async fn the_walk_reaches_every_serialised_string() {
        let mut report = sample().await;
        for_each_string(&mut report, &mut |s| *s = PLANTED.to_string());
        let json = serde_json::to_value(&report).unwrap();
        let mut all = Vec::new();
        leaves(&json, "", &mut all);
        let finding_ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
        let mut text_leaves = 0;
        for (key, value) in &all {
            if NOT_TEXT.contains(&key.as_str())
                || (key == "id" && finding_ids.contains(&value.as_str()))
                // Route::Direct's address is an IpAddr, not text.
                || (key == "address" && value.parse::<std::net::IpAddr>().is_ok())
                // Target::source is an enum (derived / fqdn-flag / expected-file).
                || (key == "source" && ["derived", "fqdn-flag", "expected-file"].contains(&value.as_str()))
            {
                continue;
            }
            assert_eq!(value, PLANTED, "string under `{key}` was not visited");
            text_leaves += 1;
        }
        // The walk is not vacuous: every kind of text field is present in the sample.
        for key in [
            "name",
            "version",
            "started_at",
            "id",
            "region",
            "cloud",
            "os",
            "dns_servers",
            "search_domains",
            "notes",
            "fqdn",
            "label",
            "address",
            "source",
            "type",
            "data",
            "error",
            "subject",
            "title",
            "detail",
            "evidence",
            "remediation",
        ] {
            assert!(
                all.iter().any(|(k, v)| k == key && v == PLANTED),
                "no `{key}` in the sample"
            );
        }
        assert!(text_leaves > 100);
    }

    #[tokio::test]
    async fn nothing_planted_survives_in_any_format() {
        let mut report = sample().await;
        for_each_string(&mut report, &mut |s| *s = PLANTED.to_string());
        redact(&mut report, &ctx());
        for format in [Format::Json, Format::Text, Format::Markdown, Format::Html] {
            let mut buf = Vec::new();
            crate::report::render(&report, format, false, &mut buf).unwrap();
            let out = String::from_utf8(buf).unwrap();
            for secret in ["jdoe", "JDoe", "hunter2", "aa:bb:cc:dd:ee:ff"] {
                assert!(
                    !out.to_lowercase().contains(&secret.to_lowercase()),
                    "{secret} survives in {format:?}"
                );
            }
        }
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("~/x"));
        assert!(json.contains("http://***@proxy:3128"));
        assert!(json.contains("<mac>"));
    }

    #[tokio::test]
    async fn a_lab_report_is_unchanged_by_redaction() {
        let run = scenarios::setup("custom-dns-no-forwarder", &LabOptions::default())
            .await
            .unwrap();
        let report = run.diagnose().await;
        let mut redacted = report.clone();
        redact(&mut redacted, &ctx());
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            serde_json::to_value(&redacted).unwrap()
        );
    }
}
