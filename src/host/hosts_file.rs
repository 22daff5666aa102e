//! The hosts file (`/etc/hosts`, `%SystemRoot%\System32\drivers\etc\hosts`): a stale entry for
//! a private-endpoint name silently overrides DNS.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One hosts-file line that names a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostsEntry {
    /// 1-based line number.
    pub line: usize,
    /// The address.
    pub ip: IpAddr,
    /// Names on that line, lower case.
    pub names: Vec<String>,
}

/// Parses hosts-file text; lines that are not `IP NAME...` are skipped.
pub fn parse(text: &str) -> Vec<HostsEntry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(ip) = fields
            .next()
            .and_then(|f| f.split('%').next()?.parse::<IpAddr>().ok())
        else {
            continue;
        };
        let names: Vec<String> = fields
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
            .collect();
        if !names.is_empty() {
            out.push(HostsEntry {
                line: i + 1,
                ip,
                names,
            });
        }
    }
    out
}

/// Entries that name `fqdn`.
pub fn entries_for<'a>(entries: &'a [HostsEntry], fqdn: &str) -> Vec<&'a HostsEntry> {
    let fqdn = fqdn.trim_end_matches('.').to_ascii_lowercase();
    entries.iter().filter(|e| e.names.contains(&fqdn)).collect()
}

/// The OS's hosts file.
pub fn default_path() -> PathBuf {
    if cfg!(windows) {
        let root = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".to_string());
        Path::new(&root).join(r"System32\drivers\etc\hosts")
    } else {
        PathBuf::from("/etc/hosts")
    }
}

/// Reads and parses a hosts file; a missing or unreadable file yields no entries.
pub fn read(path: &Path) -> Vec<HostsEntry> {
    crate::fsio::read(path, crate::fsio::Input::Hosts)
        .map(|bytes| parse(&String::from_utf8_lossy(&bytes)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_comments_and_scopes() {
        let text = "127.0.0.1 localhost\n# 10.0.0.1 commented.example\n\n10.0.0.99  WS.Workspace.eastus2.api.azureml.ms ws-alias # old PE\nfe80::1%eth0 router\nbad line\n";
        let e = parse(text);
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].line, 4);
        assert_eq!(e[1].ip, "10.0.0.99".parse::<IpAddr>().unwrap());
        let hits = entries_for(&e, "ws.workspace.eastus2.api.azureml.ms.");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].names[1], "ws-alias");
        assert!(entries_for(&e, "commented.example").is_empty());
    }
}
