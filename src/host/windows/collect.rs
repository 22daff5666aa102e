//! The Windows collector: the adapter table first, then the one PowerShell call; text tools
//! only for what those could not give. Each source that fails leaves a note saying what was
//! used instead.

use super::adapters;
use super::nrpt_registry;
use super::powershell;
use super::route_table::RouteTable;
use crate::host::dns_config::{self, DnsConfig, add_nrpt_rules, command};
use crate::host::interfaces::{self, Interface};
use crate::host::os_doh::{self, OsDoh};
use crate::host::raw_capture;
use std::time::Duration;

/// What this Windows machine's sources gave.
#[derive(Debug, Clone, Default)]
pub struct WindowsHost {
    /// DNS servers: NRPT rules first, then the adapters' servers.
    pub dns: DnsConfig,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// OS DNS over HTTPS.
    pub os_doh: OsDoh,
    /// The route table, when PowerShell gave it (else routes are looked up with
    /// `route print`).
    pub routes: Option<RouteTable>,
    /// Firmware and domain facts from PowerShell (`None`: ask the old way).
    pub computer: Option<powershell::PsComputer>,
    /// What could not be read and what was used instead.
    pub notes: Vec<String>,
}

/// Reads everything, with the PowerShell call bounded by `limit`. `read_dns` is false under
/// `--no-host-dns` (then no DNS source is read).
pub fn collect(limit: Duration, read_dns: bool) -> WindowsHost {
    let mut host = WindowsHost::default();
    let table = adapters::read();
    if let Ok(t) = &table
        && let Ok(json) = serde_json::to_string_pretty(t)
    {
        raw_capture::record("GetAdaptersAddresses.json", json.as_bytes());
    }
    let (ps, _) = powershell::run(limit.min(command::TOOL_TIMEOUT));

    // NRPT first: its rules take precedence over adapters for the names they match.
    if read_dns {
        match &ps {
            Ok(f) => add_nrpt_rules(&f.nrpt_rules(), &mut host.dns),
            Err(e) => {
                let (rules, notes) = nrpt_registry::read();
                host.dns
                    .note(format!("{e}; NRPT rules read from the registry"));
                host.dns.notes.extend(notes);
                add_nrpt_rules(&rules, &mut host.dns);
            }
        }
    }
    match &table {
        Ok(t) => {
            if read_dns {
                host.dns.merge(t.dns_config());
            }
            host.interfaces = t.interfaces();
        }
        Err(e) => {
            host.notes
                .push(format!("{e}; adapters read from `ipconfig /all` instead"));
            if read_dns {
                host.dns.merge(dns_config::collect_windows_text());
            }
            let scan = interfaces::collect_scan();
            host.interfaces = scan.interfaces;
            host.notes.extend(scan.notes);
        }
    }
    match ps {
        Ok(f) => {
            host.os_doh.entries = f.doh_entries();
            host.computer = f.computer.clone();
            host.notes
                .extend(f.errors.iter().map(|e| format!("PowerShell: {e}")));
            host.routes = Some(RouteTable {
                routes: f.routes,
                interfaces: f.ip_interfaces,
            })
            .filter(|t| !t.routes.is_empty());
        }
        Err(_) => host.os_doh = os_doh::collect(),
    }
    host
}
