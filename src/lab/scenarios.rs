//! The lab scenarios: each sets up servers on loopback, a machine (its DNS configuration and
//! hosts file), and the flags a user would pass, then runs the real diagnosis.

use super::dns_server::{LabDnsServer, ServerOptions, View};
use super::world;
use crate::cli::Format;
use crate::config::{Config, SystemResolver};
use crate::host::browsers::{BrowserKind, BrowserPaths, Os as BrowserOs};
use crate::host::interfaces::Interface;
use crate::host::ipnet_prefix::Prefix;
use crate::host::proxy_settings::{ProxyDiscovery, ProxyServer, ProxySettings, ProxySource};
use crate::host::routes::RouteInfo;
use crate::host::{ConfiguredServer, HostFacts, RouteLookup};
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
        name: "browser-doh-edge",
        summary: "Microsoft Edge uses secure DNS with a public resolver; the system resolver is right",
        expected_ids: &["browser.doh-enabled"],
    },
    ScenarioInfo {
        name: "firefox-trr",
        summary: "Firefox uses a corporate DoH server (TRR mode 2) and drops its private answers",
        expected_ids: &["browser.trr-drops-private"],
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
    ScenarioInfo {
        name: "pac-sends-to-proxy",
        summary: "the PAC file sends the workspace names to the corporate proxy (which still works)",
        expected_ids: &["pac.not-direct"],
    },
    ScenarioInfo {
        name: "proxy-denies-instances",
        summary: "the system proxy allows the API zone but denies *.instances.azureml.ms",
        expected_ids: &["proxy.denied"],
    },
    ScenarioInfo {
        name: "proxy-auth-required",
        summary: "the system proxy wants credentials (407, Negotiate and Basic)",
        expected_ids: &["proxy.auth-required"],
    },
    ScenarioInfo {
        name: "proxy-resolves-public",
        summary: "the proxy resolves the public address; the public endpoint answers 403 (private link)",
        expected_ids: &["connect.public-endpoint-forbidden"],
    },
    ScenarioInfo {
        name: "tls-inspection",
        summary: "the proxy decrypts TLS with a corporate CA the machine trusts",
        expected_ids: &["connect.tls-intercepted"],
    },
    ScenarioInfo {
        name: "vpn-down",
        summary: "the VPN adapter is gone: the private endpoint's route goes through Wi-Fi",
        expected_ids: &["connect.unreachable", "vpn.not-detected"],
    },
    ScenarioInfo {
        name: "all-good-on-jump-box",
        summary: "an Azure VM inside the VNet: Azure DNS answers privately, everything works",
        expected_ids: &["host.azure-vm"],
    },
    ScenarioInfo {
        name: "tls-reset",
        summary: "something on the private endpoint's address accepts TCP and resets TLS",
        expected_ids: &["connect.tls-failed"],
    },
    ScenarioInfo {
        name: "storage-firewall",
        summary: "the PAC sends the storage account to the proxy; the account's firewall refuses that public path",
        expected_ids: &["pac.not-direct", "storage.firewall-denied"],
    },
    ScenarioInfo {
        name: "storage-no-private-endpoint",
        summary: "the workspace is private; its storage account has no private endpoint and its firewall refuses this machine",
        expected_ids: &["storage.firewall-denied", "target.no-private-endpoint"],
    },
    ScenarioInfo {
        name: "private-ip-unreachable",
        summary: "DNS is right but nothing answers on the private endpoint's IP (VPN down)",
        expected_ids: &["connect.unreachable"],
    },
    ScenarioInfo {
        name: "offline",
        summary: "no network: only loopback is up and the local stub resolver answers SERVFAIL",
        expected_ids: &["net.offline"],
    },
    ScenarioInfo {
        name: "typo-workspace-id",
        summary: "the workspace ID is mistyped: its names exist nowhere, public DNS included",
        expected_ids: &["doh.public-answer", "target.not-found"],
    },
    ScenarioInfo {
        name: "zone-not-linked",
        summary: "a jump box whose VNet is not linked to the private DNS zones: Azure DNS answers public",
        expected_ids: &["dns.zone-not-linked", "host.azure-vm"],
    },
    ScenarioInfo {
        name: "pe-pending",
        summary: "the private endpoint connection is still Pending (az network private-endpoint show)",
        expected_ids: &["pe.connection-not-approved"],
    },
    ScenarioInfo {
        name: "vpn-no-dns",
        summary: "the point-to-site VPN carries the route to the VNet, but DNS stays with the home router",
        expected_ids: &["vpn.dns-not-pushed"],
    },
    ScenarioInfo {
        name: "subnet-overlap",
        summary: "the home LAN is 10.0.0.0/24, the VNet's range: the private IP is a host on the LAN",
        expected_ids: &["net.subnet-overlap"],
    },
];

/// The lab workspace ID with its last two digits swapped, as a user might type it.
pub const MISTYPED_WORKSPACE_ID: &str = "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a96";

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
    /// HTTPS endpoints (private and public), kept alive.
    pub endpoints: Vec<super::https_server::HttpsServer>,
    /// The corporate proxy, when the scenario has one.
    pub proxy: Option<super::proxy_server::ProxyServer>,
}

impl LabRun {
    /// Runs the diagnosis.
    pub async fn diagnose(&self) -> Report {
        crate::diagnose::diagnose(&self.config, &self.host).await
    }
}

/// Host name of the lab's corporate proxy.
pub const PROXY_HOST: &str = "proxy.corp.lab.test";

/// Host name of the lab's corporate DoH resolver (it sees the private zones).
pub const CORP_DOH_HOST: &str = "doh.corp.lab.test";

/// Host name of the lab's public DoH resolver.
pub const DOH_HOST: &str = "doh.public.lab.test";

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The storage account's public front end (storage-firewall scenario).
const STORAGE_PUBLIC_IP: [u8; 4] = [20, 60, 1, 10];

/// Makes `host` a VM in the virtual network: synthetic DMI files in `dir`, read by the real
/// collector, and one interface in the VNet.
fn on_azure_vm(dir: &std::path::Path, host: &mut HostFacts) -> std::io::Result<()> {
    let dmi = dir.join("dmi");
    std::fs::create_dir_all(&dmi)?;
    std::fs::write(dmi.join("sys_vendor"), "Microsoft Corporation\n")?;
    std::fs::write(
        dmi.join("chassis_asset_tag"),
        "7783-7084-3265-9085-8269-3286-77\n",
    )?;
    host.azure_vm = Some(crate::host::azure_vm::collect_from(&dmi));
    host.interfaces = vec![
        Interface::new("lo", None, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
        Interface::new("eth0", None, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 1, 4))]),
    ];
    Ok(())
}

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
    let mut public = world::public_view(&targets);
    let mut private = world::private_view(&targets);
    if info.name == "storage-no-private-endpoint" {
        // No private endpoint for the storage account: every resolver, Azure DNS included, sees
        // the public chain, which never passes through privatelink.
        for t in targets.iter().filter(|t| t.kind.is_storage()) {
            let svc = if t.kind == crate::targets::TargetKind::StorageFile {
                "file"
            } else {
                "blob"
            };
            let front = format!("{svc}.bn9prdstr08a.store.core.windows.net");
            for v in [&mut public, &mut private] {
                if let Some(pl) = world::private_name(t) {
                    v.remove(&pl);
                }
                v.remove(&t.fqdn)
                    .cname(&t.fqdn, &front)
                    .addr(&front, IpAddr::from(STORAGE_PUBLIC_IP));
            }
        }
    }
    let (public, private) = (public, private);
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
    let mut azure_override: Option<std::net::SocketAddr> = None;
    let mut workspace = world::workspace();
    let mut config_targets = targets.clone();
    let mut expected = crate::targets::ExpectedState::default();
    let on_link = |ip: [u8; 4], len: u8, iface: &str, gateway: Option<[u8; 4]>, src: [u8; 4]| {
        let network = format!("{}/{len}", Ipv4Addr::from(ip));
        (
            Prefix {
                addr: IpAddr::from(ip),
                len,
            },
            RouteInfo {
                destination: IpAddr::from(ip),
                interface: Some(iface.to_string()),
                gateway: gateway.map(IpAddr::from),
                source: Some(IpAddr::from(src)),
                raw: match gateway {
                    Some(g) => format!("{network} via {} dev {iface}", Ipv4Addr::from(g)),
                    None => format!("{network} dev {iface} scope link"),
                },
                network: Some(network),
            },
        )
    };
    match info.name {
        "offline" => {
            // The machine's stub resolver (systemd-resolved, dnsmasq) answers SERVFAIL when it has
            // no upstream; nothing else is reachable.
            let stub = LabDnsServer::spawn(
                LOCALHOST,
                ServerOptions {
                    behavior: super::dns_server::Behavior::Servfail,
                    latency: lat,
                    truncate_udp: false,
                },
            )
            .await?;
            system = stub.addr();
            azure_override = Some(stub.addr());
            system_view = View::new();
            host.dns_servers
                .push(configured("stub", &stub, "resolv.conf"));
            host.interfaces = vec![Interface::new(
                "lo",
                None,
                vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            )];
            servers.push(stub);
        }
        "typo-workspace-id" => {
            workspace.id = MISTYPED_WORKSPACE_ID.into();
            config_targets = crate::targets::derive(&workspace);
            let corp = server(&private, lat).await?;
            system = corp.addr();
            system_view = private.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            servers.push(corp);
        }
        "zone-not-linked" => {
            // A jump box: Azure DNS is the resolver in use and sees only the public chain.
            let azure_vm_dns = server(&public, lat).await?;
            system = azure_vm_dns.addr();
            azure_override = Some(azure_vm_dns.addr());
            system_view = public.clone();
            host.dns_servers
                .push(configured("azure-dns-vnet", &azure_vm_dns, "resolv.conf"));
            servers.push(azure_vm_dns);
            on_azure_vm(dir.path(), &mut host)?;
        }
        "pe-pending" => {
            let corp = server(&private, lat).await?;
            system = corp.addr();
            system_view = private.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            servers.push(corp);
            let configs: Vec<String> = targets
                .iter()
                .filter_map(|t| {
                    private
                        .resolve(&t.fqdn, hickory_proto::rr::RecordType::A)
                        .1
                        .iter()
                        .find_map(|r| match &r.data {
                            hickory_proto::rr::RData::A(a) => Some(format!(
                                "{{\"fqdn\": \"{}\", \"ipAddresses\": [\"{}\"]}}",
                                t.fqdn, a.0
                            )),
                            _ => None,
                        })
                })
                .collect();
            let json = format!(
                "{{\"name\": \"pe-contoso-ml\", \"customDnsConfigs\": [{}], \"privateLinkServiceConnections\": [], \"manualPrivateLinkServiceConnections\": [{{\"name\": \"pe-contoso-ml-conn\", \"groupIds\": [\"amlworkspace\"], \"privateLinkServiceConnectionState\": {{\"status\": \"Pending\", \"description\": \"Awaiting approval\"}}}}]}}",
                configs.join(", ")
            );
            let path = dir.path().join("pe-show.json");
            std::fs::write(&path, json)?;
            expected = crate::targets::load_expected(&path).map_err(std::io::Error::other)?;
            crate::targets::merge_expected(&mut config_targets, &expected);
        }
        "vpn-no-dns" => {
            let router = server(&public, lat).await?;
            system = router.addr();
            system_view = public.clone();
            host.dns_servers
                .push(configured("home-router", &router, "resolv.conf"));
            servers.push(router);
            host.interfaces = vec![
                Interface::new("lo", None, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
                Interface::new(
                    "wlan0",
                    None,
                    vec![IpAddr::V4(Ipv4Addr::new(192, 168, 1, 23))],
                ),
                Interface::new(
                    "tun0",
                    None,
                    vec![IpAddr::V4(Ipv4Addr::new(172, 16, 201, 2))],
                ),
            ];
            host.routes = RouteLookup::Fixed(vec![
                on_link(
                    [0, 0, 0, 0],
                    0,
                    "wlan0",
                    Some([192, 168, 1, 1]),
                    [192, 168, 1, 23],
                ),
                on_link([10, 0, 0, 0], 16, "tun0", None, [172, 16, 201, 2]),
            ]);
        }
        "subnet-overlap" => {
            let corp = server(&private, lat).await?;
            system = corp.addr();
            system_view = private.clone();
            host.dns_servers
                .push(configured("corp-dns", &corp, "resolv.conf"));
            servers.push(corp);
            host.interfaces = vec![
                Interface::new("lo", None, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
                Interface::new("eth0", None, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 23))]),
            ];
            host.routes = RouteLookup::Fixed(vec![
                on_link([0, 0, 0, 0], 0, "eth0", Some([10, 0, 0, 1]), [10, 0, 0, 23]),
                on_link([10, 0, 0, 0], 24, "eth0", None, [10, 0, 0, 23]),
            ]);
        }
        "vpn-down"
        | "browser-doh-edge"
        | "firefox-trr"
        | "healthy"
        | "doh-leak"
        | "pac-sends-to-proxy"
        | "proxy-denies-instances"
        | "proxy-auth-required"
        | "proxy-resolves-public"
        | "tls-inspection"
        | "tls-reset"
        | "storage-firewall"
        | "storage-no-private-endpoint"
        | "private-ip-unreachable" => {
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
                if let Some(pl) = world::private_name(t) {
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
        "all-good-on-jump-box" => {
            // The VM uses Azure DNS directly (168.63.129.16 answers the linked private zones).
            let azure_vm_dns = server(&private, lat).await?;
            system = azure_vm_dns.addr();
            system_view = private.clone();
            host.dns_servers
                .push(configured("azure-dns-vnet", &azure_vm_dns, "resolv.conf"));
            servers.push(azure_vm_dns);
            on_azure_vm(dir.path(), &mut host)?;
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
        azure_override.unwrap_or_else(|| azure.addr())
    };
    servers.push(azure);

    // A public DoH resolver (it sees only the public internet's view), reached by name through
    // --connect-to and trusted through the lab CA, as a user would pass them.
    let mut doh_servers = Vec::new();
    let mut doh = Vec::new();
    let mut connect_to = Vec::new();
    let mut ca_files = Vec::new();

    // TLS endpoints: the private endpoint (10.0.0.x) and the public one (20.x/40.x), reached
    // through --connect-to rules like a user's; unreachable addresses map to a closed port.
    let public_ca = Arc::new(
        super::tls::LabCa::new("pe-doctor lab public root CA").map_err(std::io::Error::other)?,
    );
    let public_ca_path = dir.path().join("public-roots.pem");
    std::fs::write(&public_ca_path, public_ca.ca_pem())?;
    ca_files.push(public_ca_path.clone());
    let mut names: Vec<&str> = targets.iter().map(|t| t.fqdn.as_str()).collect();
    names.sort_unstable();
    let leaf = public_ca.issue(&names).map_err(std::io::Error::other)?;
    let tls =
        super::tls::LabCa::server_config(leaf, &[b"http/1.1"]).map_err(std::io::Error::other)?;
    let private_ep = super::https_server::spawn(
        tokio::net::TcpListener::bind((LOCALHOST, 0)).await?,
        tls.clone(),
        super::https_server::EndpointBehavior::PrivateOk,
        lat,
    )
    .await?;
    let public_ep = super::https_server::spawn(
        tokio::net::TcpListener::bind((LOCALHOST, 0)).await?,
        tls.clone(),
        super::https_server::EndpointBehavior::PrivateLinkDenied { service: "aml" },
        lat,
    )
    .await?;
    let closed = {
        let l = std::net::TcpListener::bind((LOCALHOST, 0))?;
        l.local_addr()?.port()
    };
    let mut endpoints = Vec::new();
    let private_port = match info.name {
        "private-ip-unreachable" | "vpn-down" | "pe-pending" | "subnet-overlap" => closed,
        "tls-reset" => {
            let reset = super::https_server::spawn(
                tokio::net::TcpListener::bind((LOCALHOST, 0)).await?,
                tls.clone(),
                super::https_server::EndpointBehavior::ResetAfterHello,
                lat,
            )
            .await?;
            let port = reset.local_addr().port();
            endpoints.push(reset);
            port
        }
        _ => private_ep.local_addr().port(),
    };
    if matches!(
        info.name,
        "storage-firewall" | "storage-no-private-endpoint"
    ) {
        // The storage account's public endpoint, whose firewall admits selected networks only.
        let storage = super::https_server::spawn(
            tokio::net::TcpListener::bind((LOCALHOST, 0)).await?,
            tls.clone(),
            super::https_server::EndpointBehavior::PrivateLinkDenied { service: "storage" },
            lat,
        )
        .await?;
        connect_to.push(format!(
            "{}:443=127.0.0.1:{}",
            Ipv4Addr::from(STORAGE_PUBLIC_IP),
            storage.local_addr().port()
        ));
        endpoints.push(storage);
    }
    if info.name == "vpn-down" {
        // The laptop on home Wi-Fi with the VPN adapter gone: the route to 10.x is the default
        // route through wlan0.
        host.interfaces = vec![
            Interface::new("lo", None, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
            Interface::new(
                "wlan0",
                None,
                vec![IpAddr::V4(Ipv4Addr::new(192, 168, 1, 23))],
            ),
        ];
        let default = RouteInfo {
            destination: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            interface: Some("wlan0".into()),
            gateway: Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1))),
            source: Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 23))),
            network: Some("0.0.0.0/0".into()),
            raw: "default via 192.168.1.1 dev wlan0 src 192.168.1.23".into(),
        };
        host.routes = RouteLookup::Fixed(vec![(
            Prefix {
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                len: 0,
            },
            default,
        )]);
    }
    for ip in [world::PE_IP, world::PE_NOTEBOOKS_IP] {
        connect_to.push(format!(
            "{}:443=127.0.0.1:{private_port}",
            Ipv4Addr::from(ip)
        ));
    }
    connect_to.push(format!(
        "{}:443=127.0.0.1:{closed}",
        Ipv4Addr::from(world::STALE_IP)
    ));
    for ip in world::PUBLIC_IPS {
        connect_to.push(format!(
            "{}:443=127.0.0.1:{}",
            Ipv4Addr::from(ip),
            public_ep.local_addr().port()
        ));
    }

    // DoH resolvers: a public one (the internet's view) and a corporate one (private view).
    let doh_front = |view: View, name: &'static str| {
        let public_ca = public_ca.clone();
        async move {
            let upstream = server(&view, lat).await?;
            let cert = public_ca.issue(&[name]).map_err(std::io::Error::other)?;
            let tls = super::tls::LabCa::server_config(cert, &[b"h2", b"http/1.1"])
                .map_err(std::io::Error::other)?;
            let listener = tokio::net::TcpListener::bind((LOCALHOST, 0)).await?;
            let front = super::doh_server::spawn(listener, tls, upstream.addr(), lat).await?;
            Ok::<_, LabError>((front, upstream))
        }
    };
    match info.name {
        "doh-leak" | "typo-workspace-id" => {
            let (front, upstream) = doh_front(public.clone(), DOH_HOST).await?;
            connect_to.push(format!(
                "{DOH_HOST}:443=127.0.0.1:{}",
                front.local_addr().port()
            ));
            doh.push(
                crate::config::DohResolver::new(
                    "doh:public",
                    format!("https://{DOH_HOST}/dns-query"),
                )
                .map_err(|e| LabError::Io(std::io::Error::other(e.to_string())))?,
            );
            servers.push(upstream);
            doh_servers.push(front);
        }
        "browser-doh-edge" | "firefox-trr" => {
            let (view, name) = if info.name == "browser-doh-edge" {
                (public.clone(), DOH_HOST)
            } else {
                (private.clone(), CORP_DOH_HOST)
            };
            let (front, upstream) = doh_front(view, name).await?;
            connect_to.push(format!(
                "{name}:443=127.0.0.1:{}",
                front.local_addr().port()
            ));
            servers.push(upstream);
            doh_servers.push(front);
            // A synthetic home with the browser's real settings files; the real collector reads it.
            let home = dir.path().join("home");
            let paths = BrowserPaths::synthetic(&home, BrowserOs::Linux);
            if info.name == "browser-doh-edge" {
                let edge = paths
                    .chromium_user_data_dirs()
                    .into_iter()
                    .find(|(k, _, _)| *k == BrowserKind::Edge)
                    .map(|(_, d, _)| d)
                    .ok_or_else(|| std::io::Error::other("no Edge path"))?;
                std::fs::create_dir_all(&edge)?;
                std::fs::write(
                    edge.join("Local State"),
                    format!(
                        "{{\"browser\":{{\"enabled_labs_experiments\":[]}},\"dns_over_https\":{{\"mode\":\"secure\",\"templates\":\"https://{DOH_HOST}/dns-query{{?dns}}\"}}}}"
                    ),
                )?;
            } else {
                let root = paths
                    .firefox_roots()
                    .into_iter()
                    .next()
                    .map(|(d, _)| d)
                    .ok_or_else(|| std::io::Error::other("no Firefox path"))?;
                let profile = root.join("x1y2z3.default-release");
                std::fs::create_dir_all(&profile)?;
                std::fs::write(
                    root.join("profiles.ini"),
                    "[Profile0]\nName=default-release\nIsRelative=1\nPath=x1y2z3.default-release\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n",
                )?;
                std::fs::write(
                    profile.join("prefs.js"),
                    format!(
                        "// Mozilla User Preferences\nuser_pref(\"browser.startup.homepage\", \"about:home\");\nuser_pref(\"network.trr.mode\", 2);\nuser_pref(\"network.trr.uri\", \"https://{CORP_DOH_HOST}/dns-query\");\n"
                    ),
                )?;
            }
            let (found, notes) = crate::host::browsers::collect(&paths);
            host.browsers = found;
            host.notes.extend(notes);
        }
        _ => {}
    }

    // The corporate proxy (squid-like), reached by name, resolving with its own DNS.
    let mut proxy = None;
    let mut pac = None;
    let proxy_scenario = matches!(
        info.name,
        "pac-sends-to-proxy"
            | "proxy-denies-instances"
            | "proxy-auth-required"
            | "proxy-resolves-public"
            | "tls-inspection"
            | "storage-firewall"
    );
    if proxy_scenario {
        use super::proxy_server::{Acl, Inspection, ProxyAuth, ProxyOptions};
        let proxy_dns = match info.name {
            "proxy-resolves-public" => server(&public, lat).await?,
            "storage-firewall" => {
                // The proxy's DNS sees the storage account's public address.
                let mut v = private.clone();
                for t in targets.iter().filter(|t| t.kind.is_storage()) {
                    v.remove(&t.fqdn)
                        .addr(&t.fqdn, IpAddr::from(STORAGE_PUBLIC_IP));
                }
                server(&v, lat).await?
            }
            _ => server(&private, lat).await?,
        };
        let rules = connect_to.iter().filter_map(|r| r.parse().ok()).collect();
        let dialer = Arc::new(crate::net::dialer::Dialer::new(rules, true));
        let mut opts = ProxyOptions::squid(proxy_dns.addr(), dialer);
        opts.latency = lat;
        match info.name {
            "proxy-denies-instances" => {
                opts.acl = Acl::deny_only(&[".instances.azureml.ms", ".instances.ml.azure.ms"]);
            }
            "proxy-auth-required" => {
                let mut auth = ProxyAuth::basic("svc-ml", "not-given", "Contoso proxy");
                auth.negotiate = true;
                opts.auth = Some(auth);
            }
            "tls-inspection" => {
                let corp = Arc::new(
                    super::tls::LabCa::new("Contoso Corporate Inspection CA")
                        .map_err(std::io::Error::other)?,
                );
                let corp_path = dir.path().join("corporate-ca.pem");
                std::fs::write(&corp_path, corp.ca_pem())?;
                ca_files.push(corp_path);
                let inspection = Inspection::new(corp, std::slice::from_ref(public_ca.ca_der()))
                    .map_err(std::io::Error::other)?;
                opts.inspect = Some(Arc::new(inspection));
            }
            _ => {}
        }
        let listener = tokio::net::TcpListener::bind((LOCALHOST, 0)).await?;
        let p = super::proxy_server::spawn(listener, opts).await?;
        connect_to.push(format!(
            "{PROXY_HOST}:3128=127.0.0.1:{}",
            p.local_addr().port()
        ));
        if info.name == "pac-sends-to-proxy" {
            let pac_path = dir.path().join("proxy.pac");
            std::fs::write(
                &pac_path,
                format!(
                    "function FindProxyForURL(url, host) {{\n  if (isPlainHostName(host) || dnsDomainIs(host, \".corp.lab.test\"))\n    return \"DIRECT\";\n  return \"PROXY {PROXY_HOST}:3128; DIRECT\";\n}}\n"
                ),
            )?;
            pac = Some(pac_path.display().to_string());
        } else if info.name == "storage-firewall" {
            // Storage traffic goes through the proxy (for inspection); the rest goes DIRECT.
            let pac_path = dir.path().join("proxy.pac");
            std::fs::write(
                &pac_path,
                format!(
                    "function FindProxyForURL(url, host) {{\n  if (shExpMatch(host, \"*.core.windows.net\"))\n    return \"PROXY {PROXY_HOST}:3128\";\n  return \"DIRECT\";\n}}\n"
                ),
            )?;
            pac = Some(pac_path.display().to_string());
        } else {
            let mut settings = ProxySettings::new(ProxySource::WinInet);
            settings.https = Some(ProxyServer {
                scheme: "http".into(),
                host: PROXY_HOST.into(),
                port: 3128,
                credentials: false,
            });
            settings.http = settings.https.clone();
            host.proxy = Some(ProxyDiscovery {
                sources: vec![settings],
                notes: Vec::new(),
            });
        }
        servers.push(proxy_dns);
        proxy = Some(p);
    }

    let config = Config {
        workspace: Some(workspace),
        targets: config_targets,
        system_resolver: SystemResolver::Server(system),
        dns_servers: Vec::new(),
        azure_dns: azure_addr,
        doh,
        read_host_dns: true,
        trust: crate::net::tls::TrustRoots::load(&ca_files, Some(&[public_ca_path]))
            .map_err(|e| LabError::Io(std::io::Error::other(e.to_string())))?,
        proxy: crate::config::ProxyChoice::System,
        pac,
        connect: true,
        connect_to: connect_to
            .iter()
            .map(|r| r.parse())
            .collect::<Result<_, _>>()
            .map_err(|e: crate::net::dialer::ConnectToError| {
                LabError::Io(std::io::Error::other(e.to_string()))
            })?,
        hosts_file: Some(hosts_path),
        timeout: opts.timeout,
        format: Format::Text,
        output: None,
        redact: true,
        loopback_only: true,
        expected,
        derived_from: Vec::new(),
    };
    Ok(LabRun {
        config,
        host,
        servers,
        dir,
        system_view,
        doh: doh_servers,
        endpoints: [private_ep, public_ep]
            .into_iter()
            .chain(endpoints)
            .collect(),
        proxy,
    })
}
