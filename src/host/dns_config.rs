//! DNS servers the OS uses: resolv.conf, systemd-resolved, scutil --dns, ipconfig /all, NRPT.
//!
//! Each source is a pure parser (text in, [`DnsConfig`] out) plus a thin collector that reads
//! the file or runs the OS's own tool under a deadline. The OS is chosen at run time, so every
//! line compiles everywhere; a missing or failing tool becomes a note, never an error.
//!
//! Routing follows the OS: [`DnsConfig::servers_for`] picks the servers whose routing domain
//! matches the name most specifically (systemd-resolved routing domains, macOS supplemental
//! resolvers, Windows NRPT rules) and falls back to the default-route servers.

mod addr;
pub mod command;
mod ipconfig;
mod resolv;
mod resolved;
mod scutil;

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::addr::DNS_PORT;
pub use self::command::{CommandError, TOOL_TIMEOUT};
pub use self::ipconfig::{
    AdapterKind, IpconfigAdapter, IpconfigAll, normalize_mac, parse_ipconfig_adapters,
    parse_ipconfig_all,
};
pub use self::resolv::parse_resolv_conf;
pub use self::resolved::parse_resolvectl_status;
pub use self::scutil::parse_scutil_dns;
pub use crate::host::nrpt::{NrptRule, add_nrpt_rules, parse_nrpt_policy};

/// Errors of the DNS-configuration parsers.
#[derive(Debug, thiserror::Error)]
pub enum DnsConfigError {
    /// The text has no line a resolv.conf parser recognises.
    #[error("not a resolv.conf: {message}")]
    NotResolvConf {
        /// What the first rejected line was.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// One DNS server the OS uses, with where it was found and which names it answers for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsServerEntry {
    /// Server address; port 53 unless the source names another. IPv6 link-local addresses
    /// carry the interface's scope id when it is known.
    pub addr: SocketAddr,
    /// Where it was found, e.g. `resolv.conf`, `systemd-resolved link 3 (wg0)`,
    /// `scutil resolver #2`, `ipconfig Ethernet`, `NRPT .azureml.ms`.
    pub source: String,
    /// The interface the server belongs to, when the source says.
    pub interface: Option<String>,
    /// Routing / match domains, normalised (lower case, no leading or trailing dot; `.` is the
    /// root and matches every name). Empty: no specific domain.
    pub domains: Vec<String>,
    /// Also used for names that match no routing domain (systemd `DefaultRoute`, the macOS
    /// default resolver, Windows adapters). False for split-DNS-only servers (VPN routing
    /// domains, supplemental resolvers, NRPT rules) and for servers the OS only uses for
    /// interface-scoped queries.
    pub default_route: bool,
}

impl DnsServerEntry {
    /// A server used for all names (no routing domain, default route).
    pub fn new(addr: SocketAddr, source: impl Into<String>) -> Self {
        Self {
            addr,
            source: source.into(),
            interface: None,
            domains: Vec::new(),
            default_route: true,
        }
    }

    /// Sets the interface.
    pub fn with_interface(mut self, interface: Option<String>) -> Self {
        self.interface = interface;
        self
    }

    /// Sets the routing domains (normalised, de-duplicated) and whether the server is also a
    /// default route.
    pub fn with_domains<I, S>(mut self, domains: I, default_route: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.domains.clear();
        for d in domains {
            if let Some(d) = normalize_domain(d.as_ref())
                && !self.domains.contains(&d)
            {
                self.domains.push(d);
            }
        }
        self.default_route = default_route;
        self
    }

    /// How specifically this server's domains match `name` (label count of the longest
    /// matching domain; `.` counts 0), or `None` when no domain matches.
    fn match_labels(&self, name: &str) -> Option<usize> {
        self.domains
            .iter()
            .filter_map(|d| domain_match_labels(name, d))
            .max()
    }
}

/// The DNS configuration read from this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsConfig {
    /// Servers in the order the sources list them, de-duplicated (same address and domains).
    pub servers: Vec<DnsServerEntry>,
    /// Search list (suffixes appended to short names).
    pub search: Vec<String>,
    /// What the collector noticed: replaced stubs, skipped entries, tools that failed.
    pub notes: Vec<String>,
}

impl DnsConfig {
    /// The servers the OS sends a query for `fqdn` to: those whose routing domain matches it
    /// most specifically (like systemd-resolved routing domains, macOS supplemental resolvers
    /// and Windows NRPT rules), otherwise the default-route servers.
    pub fn servers_for(&self, fqdn: &str) -> Vec<&DnsServerEntry> {
        let name = normalize_name(fqdn);
        let scores: Vec<Option<usize>> =
            self.servers.iter().map(|s| s.match_labels(&name)).collect();
        match scores.iter().flatten().max() {
            Some(&best) => self
                .servers
                .iter()
                .zip(&scores)
                .filter(|(_, score)| **score == Some(best))
                .map(|(s, _)| s)
                .collect(),
            None => self.servers.iter().filter(|s| s.default_route).collect(),
        }
    }

    /// Adds a server unless one with the same address and domains is already there (then
    /// the existing entry keeps its source and becomes a default route if either is).
    pub fn push_server(&mut self, entry: DnsServerEntry) {
        if let Some(existing) = self
            .servers
            .iter_mut()
            .find(|s| s.addr == entry.addr && s.domains == entry.domains)
        {
            existing.default_route |= entry.default_route;
            if existing.interface.is_none() {
                existing.interface = entry.interface;
            }
            return;
        }
        self.servers.push(entry);
    }

    /// Adds a search suffix (normalised) unless present.
    pub fn push_search(&mut self, domain: &str) {
        if let Some(d) = normalize_domain(domain)
            && d != "."
            && !self.search.contains(&d)
        {
            self.search.push(d);
        }
    }

    /// Each distinct server address once, in order: what to ask directly (the `configured`
    /// resolver role).
    pub fn unique_addrs(&self) -> Vec<SocketAddr> {
        let mut out: Vec<SocketAddr> = Vec::new();
        for s in &self.servers {
            if !out.contains(&s.addr) {
                out.push(s.addr);
            }
        }
        out
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Appends another configuration's servers, search list and notes (de-duplicating).
    pub fn merge(&mut self, other: DnsConfig) {
        for s in other.servers {
            self.push_server(s);
        }
        for d in &other.search {
            self.push_search(d);
        }
        self.notes.extend(other.notes);
    }
}

/// Normalises a domain as written by an OS tool: drops a systemd `~`, a leading NRPT `.`,
/// the trailing dot, lower-cases; the root (`.`, `~.`) stays `.`. `None` when empty.
pub fn normalize_domain(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let t = t.strip_prefix('~').unwrap_or(t);
    let lowered = t.trim_matches('.').to_ascii_lowercase();
    if lowered.is_empty() {
        if t.is_empty() {
            // A lone `~` is not a domain.
            return None;
        }
        return Some(".".to_string());
    }
    Some(lowered)
}

/// Lower-cases a query name and drops its trailing dot.
fn normalize_name(fqdn: &str) -> String {
    fqdn.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Label count of `domain` when `name` is inside it (`.` matches all with 0).
fn domain_match_labels(name: &str, domain: &str) -> Option<usize> {
    if domain == "." {
        return Some(0);
    }
    let inside = name == domain
        || (name.len() > domain.len()
            && name.ends_with(domain)
            && name.as_bytes()[name.len() - domain.len() - 1] == b'.');
    inside.then(|| domain.split('.').count())
}

/// The systemd-resolved stub listener addresses.
fn is_resolved_stub(addr: &SocketAddr) -> bool {
    matches!(addr.ip().to_string().as_str(), "127.0.0.53" | "127.0.0.54")
}

/// Runs a tool: the signature collectors use, so tests can inject canned output.
type Runner<'a> = &'a dyn Fn(&str, &[&str], Duration) -> Result<String, CommandError>;

/// Reads this machine's DNS configuration, choosing the OS at run time. Never fails: what
/// could not be read is in [`DnsConfig::notes`].
pub fn collect() -> DnsConfig {
    let runner =
        |program: &str, args: &[&str], timeout: Duration| command::run(program, args, timeout);
    if cfg!(target_os = "windows") {
        collect_windows_text()
    } else if cfg!(target_os = "macos") {
        collect_macos_with(&runner)
    } else {
        let mut cfg = collect_linux_with(
            Path::new("/etc/resolv.conf"),
            Path::new(RESOLVED_UPLINK_RESOLV_CONF),
            &runner,
        );
        fill_linux_scope_ids(&mut cfg, Path::new("/sys/class/net"));
        cfg
    }
}

/// Reads `resolv_conf` as the Linux collector would, without asking systemd-resolved.
/// Used by tests and the lab to point pe-doctor at a given file.
pub fn collect_from_paths(resolv_conf: &Path) -> DnsConfig {
    let mut cfg = DnsConfig::default();
    match read_resolv_conf(resolv_conf, "resolv.conf") {
        Ok(parsed) => cfg.merge(parsed),
        Err(e) => cfg.note(e.to_string()),
    }
    if !cfg.servers.is_empty() && cfg.servers.iter().all(|s| is_resolved_stub(&s.addr)) {
        cfg.note(format!(
            "{} points only at the systemd-resolved stub; its upstream servers were not looked up",
            resolv_conf.display()
        ));
    }
    cfg
}

/// Where systemd-resolved writes the real upstream servers.
const RESOLVED_UPLINK_RESOLV_CONF: &str = "/run/systemd/resolve/resolv.conf";

/// Reads and parses a resolv.conf-format file, labelling its entries with `source`.
fn read_resolv_conf(path: &Path, source: &str) -> Result<DnsConfig, DnsConfigError> {
    let text = std::fs::read(path).map_err(|source| DnsConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    crate::host::raw_capture::record(&path.display().to_string(), &text);
    let text = String::from_utf8_lossy(&text);
    let mut cfg = resolv::parse_resolv_conf_labelled(&text, source)?;
    for n in &mut cfg.notes {
        *n = format!("{}: {n}", path.display());
    }
    Ok(cfg)
}

/// The Linux (and other Unix) collector with injectable paths and tool runner.
fn collect_linux_with(resolv_conf: &Path, uplink: &Path, run: Runner<'_>) -> DnsConfig {
    let mut cfg = match read_resolv_conf(resolv_conf, "resolv.conf") {
        Ok(cfg) => cfg,
        Err(e) => {
            let mut cfg = DnsConfig::default();
            cfg.note(e.to_string());
            cfg
        }
    };
    let stub_only =
        !cfg.servers.is_empty() && cfg.servers.iter().all(|s| is_resolved_stub(&s.addr));
    let resolv_empty = cfg.servers.is_empty();
    if !stub_only && !resolv_empty {
        return cfg;
    }

    // Ask systemd-resolved for the real upstreams: resolvectl (systemd >= 239), then the
    // older systemd-resolve, then the uplink file it writes.
    let mut failures = Vec::new();
    for (program, args) in [
        ("resolvectl", &["status", "--no-pager"][..]),
        ("systemd-resolve", &["--status", "--no-pager"][..]),
    ] {
        match run(program, args, TOOL_TIMEOUT) {
            Ok(text) => {
                let resolved = parse_resolvectl_status(&text);
                if resolved.servers.is_empty() {
                    failures.push(format!("`{program}` lists no DNS servers"));
                    cfg.notes.extend(resolved.notes);
                    continue;
                }
                return replace_stub(cfg, resolved, &format!("`{program} status`"), stub_only);
            }
            Err(CommandError::NotFound { .. }) if program == "resolvectl" => {
                failures.push("`resolvectl` not found".to_string());
            }
            Err(CommandError::NotFound { .. }) => {}
            Err(e) => failures.push(e.to_string()),
        }
    }
    if stub_only {
        match read_resolv_conf(uplink, "systemd-resolved resolv.conf") {
            Ok(up) if !up.servers.is_empty() => {
                let mut out = replace_stub(cfg, up, &uplink.display().to_string(), true);
                out.notes.extend(failures);
                return out;
            }
            Ok(_) => failures.push(format!("{} lists no servers", uplink.display())),
            Err(e) => failures.push(e.to_string()),
        }
        cfg.note(
            "resolv.conf points only at the systemd-resolved stub and its upstream servers \
             could not be read; only the stub is listed",
        );
        cfg.notes.extend(failures);
    } else if resolv_empty {
        cfg.notes.extend(failures);
        // glibc asks 127.0.0.1 when resolv.conf names no server (or is missing).
        cfg.note("no nameserver configured; glibc falls back to 127.0.0.1");
        cfg.push_server(DnsServerEntry::new(
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), DNS_PORT),
            "glibc default (no nameserver in resolv.conf)",
        ));
    }
    cfg
}

/// Replaces resolv.conf's stub entry with systemd-resolved's upstream servers.
fn replace_stub(resolv: DnsConfig, upstream: DnsConfig, from: &str, stub: bool) -> DnsConfig {
    let mut out = DnsConfig::default();
    if stub {
        let stubs: Vec<String> = resolv
            .servers
            .iter()
            .map(|s| s.addr.ip().to_string())
            .collect();
        out.note(format!(
            "resolv.conf points at the systemd-resolved stub {}; using its upstream servers from {from}",
            stubs.join(", ")
        ));
    } else {
        out.note(format!(
            "resolv.conf lists no nameserver; using systemd-resolved's servers from {from}"
        ));
    }
    out.notes.extend(resolv.notes);
    out.merge(upstream);
    for d in &resolv.search {
        out.push_search(d);
    }
    out
}

/// Sets the numeric scope id of IPv6 link-local servers whose interface is known by name,
/// reading `<sys_class_net>/<ifname>/ifindex` (Linux sysfs).
fn fill_linux_scope_ids(cfg: &mut DnsConfig, sys_class_net: &Path) {
    for s in &mut cfg.servers {
        let SocketAddr::V6(v6) = &mut s.addr else {
            continue;
        };
        if v6.scope_id() != 0 || !addr::is_link_local_v6(v6.ip()) {
            continue;
        }
        let Some(ifname) = s.interface.as_deref() else {
            continue;
        };
        if ifname.is_empty() || ifname.contains('/') || ifname.starts_with('.') {
            continue;
        }
        let index = std::fs::read_to_string(sys_class_net.join(ifname).join("ifindex"))
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
        if let Some(index) = index {
            v6.set_scope_id(index);
        }
    }
}

/// The macOS collector: `scutil --dns`.
fn collect_macos_with(run: Runner<'_>) -> DnsConfig {
    match run("scutil", &["--dns"], TOOL_TIMEOUT) {
        Ok(text) => parse_scutil_dns(&text),
        Err(e) => {
            let mut cfg = DnsConfig::default();
            cfg.note(format!("cannot read the macOS DNS configuration: {e}"));
            cfg
        }
    }
}

/// The Windows text fallback (when `GetAdaptersAddresses` could not be asked):
/// `ipconfig /all` in any display language, decoded from the console code page.
pub fn collect_windows_text() -> DnsConfig {
    let runner =
        |program: &str, args: &[&str], timeout: Duration| command::run(program, args, timeout);
    collect_windows_with(&runner)
}

/// [`collect_windows_text`] with an injectable tool runner.
fn collect_windows_with(run: Runner<'_>) -> DnsConfig {
    match run("ipconfig", &["/all"], TOOL_TIMEOUT) {
        Ok(text) => parse_ipconfig_all(&text),
        Err(e) => {
            let mut cfg = DnsConfig::default();
            cfg.note(format!("cannot run ipconfig /all: {e}"));
            cfg
        }
    }
}

#[cfg(test)]
mod tests;
