//! The lab scenarios: each sets up servers on loopback, a machine (its DNS configuration and
//! hosts file), and the flags a user would pass, then runs the real diagnosis.

use super::dns_server::{LabDnsServer, ServerOptions, View};
use super::world;
use crate::cli::Format;
use crate::config::{Config, SystemResolver};
use crate::host::{ConfiguredServer, HostFacts};
use crate::report::model::Report;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Lab errors.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Unknown scenario name.
    #[error("unknown scenario {0:?}; `pe-doctor lab --list` shows them")]
    Unknown(String),
    /// A lab server could not start.
    #[error("could not start the lab: {0}")]
    Io(#[from] std::io::Error),
}

/// A scenario's name, what it simulates, and the finding ids it must produce.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioInfo {
    /// Name on the command line.
    pub name: &'static str,
    /// One line: what is simulated.
    pub summary: &'static str,
    /// The finding ids the diagnosis reports (sorted).
    pub expected_ids: &'static [&'static str],
}

/// All scenarios.
pub const SCENARIOS: &[ScenarioInfo] = &[
    ScenarioInfo {
        name: "healthy",
        summary: "corporate DNS forwards the private zones to Azure; everything resolves privately",
        expected_ids: &[],
    },
    ScenarioInfo {
        name: "custom-dns-no-forwarder",
        summary: "corporate DNS has no conditional forwarder and answers the public chain",
        expected_ids: &["dns.custom-server-not-forwarding"],
    },
    ScenarioInfo {
        name: "missing-a-record",
        summary: "the privatelink zone lacks the notebooks record: NXDOMAIN",
        expected_ids: &["dns.nxdomain"],
    },
    ScenarioInfo {
        name: "doh-leak",
        summary: "the system resolver answers privately, a DNS-over-HTTPS resolver answers public",
        expected_ids: &["doh.public-answer"],
    },
    ScenarioInfo {
        name: "vpn-dns-not-applied",
        summary: "the home router answers public while the VPN's DNS server would answer private",
        expected_ids: &["dns.public-answer"],
    },
    ScenarioInfo {
        name: "stale-hosts-entry",
        summary: "a hosts-file entry pins the workspace name to the endpoint's old private IP",
        expected_ids: &["dns.wrong-private-ip"],
    },
];

/// Looks a scenario up by name.
pub fn find(name: &str) -> Option<&'static ScenarioInfo> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Options of a lab run.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Delay added to every server answer.
    pub latency: Duration,
    /// Overall deadline of the diagnosis.
    pub timeout: Duration,
}

impl Default for LabOptions {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A running scenario: its servers live as long as this value.
#[derive(Debug)]
pub struct LabRun {
    /// The configuration the diagnosis runs with (what a user would pass as flags).
    pub config: Config,
    /// The simulated machine.
    pub host: HostFacts,
    /// Servers, kept alive.
    pub servers: Vec<LabDnsServer>,
    /// Temporary files (hosts file, CA), removed on drop.
    pub dir: Arc<tempfile::TempDir>,
    /// What the machine's system resolver answers in this scenario.
    pub system_view: View,
    /// DoH front-ends, kept alive.
    pub doh: Vec<super::doh_server::DohServer>,
}

impl LabRun {
    /// Runs the diagnosis.
    pub async fn diagnose(&self) -> Report {
        crate::diagnose::diagnose(&self.config, &self.host).await
    }
}

/// Host name of the lab's public DoH resolver.
pub const DOH_HOST: &str = "doh.public.lab.test";

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn server(view: &View, latency: Duration) -> Result<LabDnsServer, LabError> {
    let mut opts = ServerOptions::answer(view.clone());
    opts.latency = latency;
    Ok(LabDnsServer::spawn(LOCALHOST, opts).await?)
}

fn configured(label: &str, server: &LabDnsServer, source: &str) -> ConfiguredServer {
    ConfiguredServer {
        label: Some(label.into()),
        addr: server.addr(),
        source: source.into(),
        domains: Vec::new(),
    }
}

/// Sets up a scenario's world and returns it ready to diagnose.
pub async fn setup(name: &str, opts: &LabOptions) -> Result<LabRun, LabError> {
    let info = find(name).ok_or_else(|| LabError::Unknown(name.to_string()))?;
    let dir = Arc::new(tempfile::tempdir()?);
    let targets = world::targets();
    let public = world::public_view(&targets);
    let private = world::private_view(&targets);
    let lat = opts.latency;

    let mut servers = Vec::new();
    let mut host = HostFacts::empty();
    let hosts_path: PathBuf = dir.path().join("hosts");
    std::fs::write(
        &hosts_path,
        "127.0.0.1 localhost\n::1 localhost ip6-localhost\n",
    )?;
    host.hosts_file = Some(hosts_path.clone());

    let azure = server(&private, lat).await?;
    let system: std::net::SocketAddr;
    let system_view: View;
    match info.name {
        "healthy" | "doh-leak" => {
            let corp = server(&private, lat).await?;
            system = corp.addr();
            system_view = private.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            servers.push(corp);
        }
        "custom-dns-no-forwarder" => {
            let corp = server(&public, lat).await?;
            system = corp.addr();
            system_view = public.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            servers.push(corp);
        }
        "missing-a-record" => {
            let mut broken = private.clone();
            for t in targets
                .iter()
                .filter(|t| t.kind == crate::targets::TargetKind::Notebooks)
            {
                if let Some(pl) = world::privatelink_name(&t.fqdn) {
                    broken.remove(&pl);
                }
            }
            let corp = server(&broken, lat).await?;
            let azure_broken = server(&broken, lat).await?;
            system = corp.addr();
            system_view = broken.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            servers.push(corp);
            // Azure DNS itself lacks the record: replace the healthy one.
            servers.push(azure_broken);
        }
        "vpn-dns-not-applied" => {
            let router = server(&public, lat).await?;
            let vpn = server(&private, lat).await?;
            system = router.addr();
            system_view = public.clone();
            host.dns_servers
                .push(configured("home-router", &router, "resolv.conf"));
            host.dns_servers
                .push(configured("vpn-dns", &vpn, "link tun0"));
            servers.push(router);
            servers.push(vpn);
        }
        "stale-hosts-entry" => {
            let ws = targets
                .iter()
                .find(|t| t.kind == crate::targets::TargetKind::WorkspaceApi)
                .map(|t| t.fqdn.clone())
                .unwrap_or_default();
            // What getaddrinfo returns with the entry: the hosts file wins, no CNAME chain.
            let mut overlay = private.clone();
            overlay.remove(&ws).addr(&ws, IpAddr::from(world::STALE_IP));
            let sys = server(&overlay, lat).await?;
            let corp = server(&private, lat).await?;
            system = sys.addr();
            system_view = overlay.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            std::fs::write(
                &hosts_path,
                format!(
                    "127.0.0.1 localhost\n# added for the workspace pilot\n{} {ws}\n",
                    Ipv4Addr::from(world::STALE_IP)
                ),
            )?;
            servers.push(sys);
            servers.push(corp);
        }
        _ => return Err(LabError::Unknown(name.to_string())),
    }
    let azure_addr = if info.name == "missing-a-record" {
        servers.last().map_or(azure.addr(), LabDnsServer::addr)
    } else {
        azure.addr()
    };
    servers.push(azure);

    // A public DoH resolver (it sees only the public internet's view), reached by name through
    // --connect-to and trusted through the lab CA, as a user would pass them.
    let mut doh_servers = Vec::new();
    let mut doh = Vec::new();
    let mut connect_to = Vec::new();
    let mut ca_files = Vec::new();
    if info.name == "doh-leak" {
        let upstream = server(&public, lat).await?;
        let ca = super::tls::LabCa::new("pe-doctor lab CA").map_err(std::io::Error::other)?;
        let cert = ca.issue(&[DOH_HOST]).map_err(std::io::Error::other)?;
        let tls = super::tls::LabCa::server_config(cert, &[b"h2", b"http/1.1"])
            .map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind((LOCALHOST, 0)).await?;
        let front = super::doh_server::spawn(listener, tls, upstream.addr(), lat).await?;
        let ca_path = dir.path().join("lab-ca.pem");
        std::fs::write(&ca_path, ca.ca_pem())?;
        ca_files.push(ca_path);
        connect_to.push(format!(
            "{DOH_HOST}:443=127.0.0.1:{}",
            front.local_addr().port()
        ));
        doh.push(crate::config::NamedDoh {
            label: "doh:public".into(),
            url: format!("https://{DOH_HOST}/dns-query"),
        });
        servers.push(upstream);
        doh_servers.push(front);
    }

    let config = Config {
        workspace: Some(world::workspace()),
        targets,
        system_resolver: SystemResolver::Server(system),
        dns_servers: Vec::new(),
        azure_dns: azure_addr,
        doh,
        read_host_dns: true,
        ca_files,
        proxy: None,
        connect: true,
        lab_public_roots: None,
        connect_to,
        hosts_file: Some(hosts_path),
        timeout: opts.timeout,
        format: Format::Text,
        output: None,
        redact: true,
        loopback_only: true,
    };
    Ok(LabRun {
        config,
        host,
        servers,
        dir,
        system_view,
        doh: doh_servers,
    })
}
