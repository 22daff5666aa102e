//! DNS servers the OS uses: resolv.conf, systemd-resolved, scutil --dns, ipconfig /all, NRPT.

use super::ConfiguredServer;

/// Collects the DNS servers the OS uses (provisional: resolv.conf only).
pub fn collect_servers() -> (Vec<ConfiguredServer>, Vec<String>, Vec<String>) {
    (Vec::new(), Vec::new(), Vec::new())
}
