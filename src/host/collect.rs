//! Host collection as jobs of the diagnosis. A collector is a thin, synchronous function that
//! reads files and runs OS tools and returns an [`Update`] to the host facts (with its notes);
//! the diagnosis starts every collector at once on the blocking pool under its one deadline.
//! Each OS tool a collector runs is bounded by `min(TOOL_TIMEOUT, time left)`
//! ([`command::within`]); a collector that still has not finished when its facts are needed
//! becomes a note, never a missing report.

use super::dns_config::command;
use super::{HostFacts, azure_vm, browsers, dns_config, interfaces, os_doh, proxy_settings};
use crate::run::{self, Deadline, Task};
use std::time::Duration;

/// What a collector found, applied to the host facts.
pub type Update = Box<dyn FnOnce(&mut HostFacts) + Send>;

/// A collector: its name (for notes) and its work.
pub struct Collector {
    /// What it reads, e.g. `DNS configuration`.
    pub name: &'static str,
    /// The work, run on a blocking thread.
    pub work: Box<dyn FnOnce() -> Update + Send>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("name", &self.name)
            .finish()
    }
}

/// Tools stop this long before their job's deadline, so their own note ("`resolvectl` did
/// not answer within 2.0 s") arrives instead of the job's.
pub(crate) const TOOL_MARGIN: Duration = Duration::from_millis(150);

/// A started collector.
pub struct Started {
    name: &'static str,
    budget: Duration,
    task: Task<Update>,
}

/// Starts `c` now; its tools are bounded by `deadline` (less a margin).
pub fn start(c: Collector, deadline: Deadline) -> Started {
    let tools = deadline.earlier_by(TOOL_MARGIN).instant().into_std();
    let work = c.work;
    Started {
        name: c.name,
        budget: deadline.left(),
        task: run::spawn_blocking(move || command::within(tools, work), deadline),
    }
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started").field("name", &self.name).finish()
    }
}

impl Started {
    /// Waits for the collector until its deadline and applies what it found; a collector cut
    /// off is a note.
    pub async fn finish(self, facts: &mut HostFacts) {
        let (name, budget) = (self.name, self.budget);
        match self.task.join().await {
            Some(update) => update(facts),
            None => facts.notes.push(format!(
                "{name}: not read within {:.1} s (left out of this report)",
                budget.as_secs_f64()
            )),
        }
    }
}

/// The OS's DNS servers and search domains (when `dns`), then the browsers' DoH settings
/// (when `browsers`; they need the DNS configuration for Firefox's heuristics). Both are
/// needed before the diagnosis plans its questions.
pub fn dns_and_browsers(dns: bool, browsers: bool) -> Collector {
    if cfg!(windows) {
        return windows_sources(dns, browsers);
    }
    Collector {
        name: "DNS configuration and browser settings",
        work: Box::new(move || {
            let cfg = dns.then(dns_config::collect);
            let servers = cfg
                .as_ref()
                .map(super::configured_servers)
                .unwrap_or_default();
            let found = browsers.then(|| {
                let hints = browsers::HostHints {
                    domain_joined: None,
                    vpn_or_enterprise: servers.iter().any(|s| !s.domains.is_empty()),
                };
                browsers::collect_with_hints(&browsers::BrowserPaths::for_this_machine(), &hints)
            });
            Box::new(move |facts: &mut HostFacts| {
                if let Some(cfg) = cfg {
                    facts.dns_servers = servers;
                    facts.search_domains = cfg.search;
                    facts.notes.extend(cfg.notes);
                }
                if let Some((found, notes)) = found {
                    facts.browsers = found;
                    facts.notes.extend(notes);
                }
            })
        }),
    }
}

/// Windows: the adapter table and the one PowerShell call give the DNS servers (NRPT first)
/// and, when `machine`, the interfaces, OS DoH, route table and Azure VM facts too (so
/// [`machine`] has nothing left to do there); then the browsers, with the domain membership
/// PowerShell reported.
fn windows_sources(dns: bool, machine: bool) -> Collector {
    Collector {
        name: "Windows adapters, NRPT, routes and browser settings",
        work: Box::new(move || {
            let w = super::windows::collect::collect(command::TOOL_TIMEOUT, dns);
            let servers = super::configured_servers(&w.dns);
            let domain_joined = w.computer.as_ref().map(|c| c.part_of_domain);
            let vm = machine.then(|| match &w.computer {
                Some(pc) => azure_vm::from_dmi(&pc.manufacturer, &pc.asset_tag),
                None => azure_vm::collect(),
            });
            let found = machine.then(|| {
                let hints = browsers::HostHints {
                    domain_joined,
                    vpn_or_enterprise: servers.iter().any(|s| !s.domains.is_empty()),
                };
                browsers::collect_with_hints(&browsers::BrowserPaths::for_this_machine(), &hints)
            });
            Box::new(move |facts: &mut HostFacts| {
                if dns {
                    facts.dns_servers = servers;
                    facts.search_domains = w.dns.search;
                    facts.notes.extend(w.dns.notes);
                }
                if machine {
                    facts.interfaces = w.interfaces;
                    facts.os_doh = w.os_doh.entries;
                    facts.notes.extend(w.os_doh.notes);
                    facts.notes.extend(w.notes);
                    facts.azure_vm = vm;
                    if let Some(table) = w.routes {
                        facts.routes = super::RouteLookup::Table(table);
                    }
                }
                if let Some((found, notes)) = found {
                    facts.browsers = found;
                    facts.notes.extend(notes);
                }
            })
        }),
    }
}

/// The OS's proxy settings (and the proxy environment variables).
pub fn proxy_settings() -> Collector {
    Collector {
        name: "proxy settings",
        work: Box::new(|| {
            let found = proxy_settings::collect(&proxy_settings::Overrides::default());
            Box::new(move |facts: &mut HostFacts| facts.proxy = Some(found))
        }),
    }
}

/// Network interfaces, Azure VM detection and OS-level DoH: needed only for findings.
pub fn machine() -> Vec<Collector> {
    if cfg!(windows) {
        // Read with the DNS configuration (one PowerShell call per diagnosis).
        return Vec::new();
    }
    vec![
        Collector {
            name: "network interfaces",
            work: Box::new(|| {
                let found = interfaces::collect();
                Box::new(move |facts: &mut HostFacts| facts.interfaces = found)
            }),
        },
        Collector {
            name: "Azure VM detection",
            work: Box::new(|| {
                let vm = azure_vm::collect();
                Box::new(move |facts: &mut HostFacts| facts.azure_vm = Some(vm))
            }),
        },
        Collector {
            name: "OS DNS over HTTPS",
            work: Box::new(|| {
                let doh = os_doh::collect();
                Box::new(move |facts: &mut HostFacts| {
                    facts.os_doh = doh.entries;
                    facts.notes.extend(doh.notes);
                })
            }),
        },
    ]
}

// The tests use `sleep`: Unix only.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_collector_past_its_deadline_is_a_note_and_its_tools_are_capped() {
        let slow = Collector {
            name: "slow thing",
            work: Box::new(|| {
                let r = command::run("sleep", &["30"], Duration::from_secs(30));
                Box::new(move |facts: &mut HostFacts| {
                    facts
                        .notes
                        .push(r.err().map(|e| e.to_string()).unwrap_or_default())
                })
            }),
        };
        let stuck = Collector {
            name: "stuck thing",
            work: Box::new(|| {
                std::thread::sleep(Duration::from_millis(1500));
                Box::new(|_: &mut HostFacts| {})
            }),
        };
        let start = std::time::Instant::now();
        let deadline = Deadline::after(Duration::from_millis(600)).unwrap();
        let (a, b) = (super::start(slow, deadline), super::start(stuck, deadline));
        let mut facts = HostFacts::empty();
        a.finish(&mut facts).await;
        b.finish(&mut facts).await;
        assert!(
            start.elapsed() < Duration::from_millis(900),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(facts.notes.len(), 2, "{:?}", facts.notes);
        assert!(
            facts.notes[0].starts_with("`sleep` did not answer within"),
            "{:?}",
            facts.notes
        );
        assert!(
            facts.notes[1].starts_with("stuck thing: not read within"),
            "{:?}",
            facts.notes
        );
    }
}
