//! The diagnosis: plan -> fan out every probe under one deadline -> findings -> one report.

use crate::classify::classify;
use crate::config::Config;
use crate::findings::{self, dns::DnsFacts};
use crate::host::proxy_settings::Route as SysRoute;
use crate::host::{HostFacts, hosts_file};
use crate::model::DnsStatus;
use crate::model::{FailKind, Phase, ProbeError};
use crate::model::{Resolution, ResolverRole};
use crate::net::dialer::{ConnectTo, Dialer};
use crate::net::tls;
use crate::plan::{self, Ask, Plan};
use crate::probe::answer::DnsAnswer;
use crate::probe::connect::{self, Connection, Route, RouteReason};
use crate::probe::doh::{DohClient, DohEndpoint};
use crate::probe::pac::{PacReport, PacVerdict};
use crate::probe::proxy::ProxyEndpoint;
use crate::probe::tls::TrustStores;
use crate::probe::{dns, system};
use crate::report::model::{HostInfo, Report, SCHEMA, ToolInfo, Verdict, WorkspaceInfo};
use crate::run::{self, Job};
use pac::Directive;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Per-question limit for plain DNS: a server that has not answered in this time is broken for
/// the user too (stub resolvers give up after a few seconds).
const DNS_PROBE_LIMIT: Duration = Duration::from_secs(4);
/// Per-question limit for DoH (a TLS handshake comes first).
const DOH_PROBE_LIMIT: Duration = Duration::from_secs(5);
/// Per-connection limit (TCP + TLS + one request).
const CONNECT_PROBE_LIMIT: Duration = Duration::from_secs(6);
/// Safety margin so every probe records its own timeout before the overall deadline.
const MARGIN: Duration = Duration::from_millis(50);

/// Runs the diagnosis described by `config` on a machine described by `host`.
pub async fn diagnose(config: &Config, host: &HostFacts) -> Report {
    let started = Instant::now();
    let started_at = now_rfc3339();
    let deadline = tokio::time::Instant::now() + config.timeout;
    let plan = plan::plan(config, host);
    let per_probe = config
        .timeout
        .saturating_sub(MARGIN)
        .max(Duration::from_millis(1));
    let probes = Probes::new(config);

    let questions: Vec<(usize, usize)> = plan.questions().collect();
    let jobs: Vec<Job<(DnsAnswer, u64)>> = questions
        .iter()
        .map(|&(t, r)| probes.job(&plan, t, r, per_probe))
        .collect();
    let answers = run::fan_out(jobs, deadline).await;

    let resolutions: Vec<Resolution> = questions
        .iter()
        .zip(answers)
        .filter_map(|(&(t, r), answer)| {
            let (answer, elapsed_ms) = answer.unwrap_or_else(|| {
                (
                    DnsAnswer::failed(DnsStatus::Timeout, "overall deadline reached"),
                    config.timeout.as_millis() as u64,
                )
            });
            // questions() only yields valid indices.
            Some(resolution(
                plan.targets.get(t)?,
                plan.resolvers.get(r)?,
                answer,
                elapsed_ms,
            ))
        })
        .collect();

    let (pac, connections) = if config.connect {
        connection_phase(config, host, &plan, &resolutions, &probes, deadline).await
    } else {
        (None, Vec::new())
    };

    let hosts_path = config
        .hosts_file
        .clone()
        .or_else(|| host.hosts_file.clone())
        .unwrap_or_else(hosts_file::default_path);
    let hosts = hosts_file::read(&hosts_path);
    let resolvers: Vec<_> = plan.resolvers.iter().map(|r| r.info.clone()).collect();
    let mut findings = findings::dns::evaluate(DnsFacts {
        targets: &plan.targets,
        resolvers: &resolvers,
        resolutions: &resolutions,
        hosts: &hosts,
        hosts_path: Some(&hosts_path),
    });
    findings.extend(findings::browser::evaluate(
        &host.browsers,
        &plan.targets,
        &resolutions,
    ));
    let vpn = vpn_verdicts(host, &resolutions).await;
    findings.extend(findings::vpn::evaluate(host, &vpn, &connections));
    findings.extend(findings::vpn::os_doh(host));
    if let Some(p) = &pac {
        findings.extend(findings::pac::evaluate(p, &plan.targets));
    }
    findings.extend(findings::connect::evaluate(
        &findings,
        &resolvers,
        &connections,
    ));
    findings::sort(&mut findings);

    let verdict = verdict(&resolutions, &findings);
    Report {
        schema: SCHEMA,
        tool: ToolInfo::default(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        verdict,
        workspace: config.workspace.as_ref().map(|w| WorkspaceInfo {
            id: w.id.to_ascii_lowercase(),
            region: w.region.to_ascii_lowercase(),
            name: w.name.clone(),
            cloud: format!("{:?}", w.cloud).to_ascii_lowercase(),
        }),
        host: HostInfo {
            os: host.os.clone(),
            interfaces: host
                .interfaces
                .iter()
                .map(|i| crate::report::model::InterfaceInfo {
                    name: i.name.clone(),
                    addresses: i.addresses.clone(),
                    vpn_like: i.vpn_like,
                })
                .collect(),
            dns_servers: host
                .dns_servers
                .iter()
                .map(|s| s.addr.to_string())
                .collect(),
            search_domains: host.search_domains.clone(),
            azure_vm: host.azure_vm.as_ref().is_some_and(|v| v.is_azure),
            dns_routes: dns_routes(host, &plan.targets),
            notes: host.notes.clone(),
        },
        targets: plan.targets,
        resolvers,
        resolutions,
        browsers: host.browsers.clone(),
        pac,
        connections,
        findings,
    }
}

/// Inconclusive when no resolver the machine uses answered anything; problems when any error
/// finding; healthy otherwise.
fn verdict(resolutions: &[Resolution], findings: &[findings::Finding]) -> Verdict {
    let answered = resolutions.iter().any(|r| {
        r.resolver.role != ResolverRole::AzureDns
            && !matches!(r.status, DnsStatus::Timeout | DnsStatus::Error)
    });
    if !answered {
        Verdict::Inconclusive
    } else if findings
        .iter()
        .any(|f| f.severity == findings::Severity::Error)
    {
        Verdict::Problems
    } else {
        Verdict::Healthy
    }
}

fn resolution(
    target: &crate::targets::Target,
    resolver: &plan::PlannedResolver,
    answer: DnsAnswer,
    elapsed_ms: u64,
) -> Resolution {
    let class = classify(&answer.addresses);
    Resolution {
        fqdn: target.fqdn.clone(),
        resolver: resolver.info.clone(),
        status: answer.status,
        chain: answer.chain,
        addresses: answer.addresses,
        class,
        elapsed_ms,
        error: answer.error,
    }
}

/// The shared probe machinery (clients built once per diagnosis).
struct Probes {
    dialer: Arc<Dialer>,
    doh: Result<DohClient, String>,
}

impl Probes {
    fn new(config: &Config) -> Self {
        let rules = config
            .connect_to
            .iter()
            .filter_map(|r| r.parse::<ConnectTo>().ok())
            .collect();
        let dialer = Arc::new(Dialer::new(rules, config.loopback_only));
        const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];
        // In the lab only the lab CA is trusted; elsewhere the OS store plus --ca-file.
        let tls = if config.loopback_only && !config.ca_files.is_empty() {
            tls::extra_roots_only_config(&config.ca_files, &ALPN)
        } else {
            tls::os_trust_config(&config.ca_files, &ALPN)
        };
        let doh = tls
            .map(|t| DohClient::new(dialer.clone(), t))
            .map_err(|e| e.to_string());
        Self { dialer, doh }
    }

    fn job(&self, plan: &Plan, t: usize, r: usize, per_probe: Duration) -> Job<(DnsAnswer, u64)> {
        let name = plan
            .targets
            .get(t)
            .map(|t| t.fqdn.clone())
            .unwrap_or_default();
        let ask = plan.resolvers.get(r).map(|r| r.ask.clone());
        let dialer = self.dialer.clone();
        let doh = self.doh.clone();
        Box::pin(async move {
            let start = Instant::now();
            let answer = match ask {
                None => DnsAnswer::failed(DnsStatus::Error, "no such resolver"),
                Some(Ask::Getaddrinfo) => system::resolve(&name, per_probe).await,
                Some(Ask::Dns(addr)) => match dialer.check_addr(addr) {
                    Err(e) => DnsAnswer::failed(DnsStatus::Error, e.message),
                    Ok(()) => dns::resolve(addr, &name, per_probe.min(DNS_PROBE_LIMIT)).await,
                },
                Some(Ask::Doh(url)) => match (&doh, DohEndpoint::parse(&url)) {
                    (Err(e), _) => DnsAnswer::failed(DnsStatus::Error, e.clone()),
                    (_, Err(e)) => DnsAnswer::failed(DnsStatus::Error, e.message),
                    (Ok(client), Ok(ep)) => {
                        client
                            .resolve(&ep, &name, per_probe.min(DOH_PROBE_LIMIT))
                            .await
                    }
                },
            };
            (answer, start.elapsed().as_millis() as u64)
        })
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How one target's traffic leaves the machine, before probing.
enum Decision {
    Direct(RouteReason),
    Proxy(ProxyEndpoint, RouteReason),
}

fn reason(source: &str, detail: impl Into<String>) -> RouteReason {
    RouteReason {
        source: source.into(),
        detail: Some(detail.into()),
    }
}

/// Maps the PAC's first directive to a decision (browsers fall back to DIRECT on failure).
fn from_pac(v: Option<&PacVerdict>, source: &str) -> Decision {
    match v.and_then(|v| v.first.clone().map(|d| (d, v))) {
        Some((Directive::Proxy { host, port }, v)) => Decision::Proxy(
            ProxyEndpoint {
                host,
                port,
                credentials: None,
            },
            reason(
                "pac",
                format!(
                    "{source} returned \"{}\"",
                    v.result.clone().unwrap_or_default()
                ),
            ),
        ),
        Some((Directive::Direct, v)) => Decision::Direct(reason(
            "pac",
            format!(
                "{source} returned \"{}\"",
                v.result.clone().unwrap_or_default()
            ),
        )),
        Some((other, _)) => Decision::Direct(reason(
            "pac",
            format!(
                "{source} returned {other}: not probed (only HTTP proxies are), shown as DIRECT"
            ),
        )),
        None => Decision::Direct(reason(
            "pac",
            format!("{source} failed: browsers fall back to DIRECT"),
        )),
    }
}

/// Phase two: decide each target's route (flag, --pac, then this machine's proxy settings),
/// then connect along it, under the same overall deadline.
async fn connection_phase(
    config: &Config,
    host: &HostFacts,
    plan: &Plan,
    resolutions: &[Resolution],
    probes: &Probes,
    deadline: tokio::time::Instant,
) -> (Option<PacReport>, Vec<Connection>) {
    let stores = match &config.lab_public_roots {
        Some(public) => TrustStores::from_ca_files(&config.ca_files, public),
        None => TrustStores::for_machine(&config.ca_files),
    };
    let Ok(stores) = stores.map(Arc::new) else {
        return (None, Vec::new());
    };
    let left = || deadline.saturating_duration_since(tokio::time::Instant::now());

    // The PAC to evaluate: --pac, or the one the system settings name, or one WPAD finds.
    let routes_use_wpad = matches!((&config.proxy, &config.pac, &host.proxy), (None, None, Some(d))
        if plan.targets.iter().any(|t| matches!(d.route_for(&t.fqdn), SysRoute::Wpad { .. })));
    let wpad = if routes_use_wpad {
        crate::probe::pac::discover_wpad(
            &host.search_domains,
            config.loopback_only,
            left().min(Duration::from_secs(3)),
        )
        .await
    } else {
        None
    };
    let pac_source: Option<(String, String)> = match (&config.proxy, &config.pac, &host.proxy) {
        (Some(_), _, _) => None,
        (None, Some(p), _) => Some((p.clone(), "--pac".into())),
        (None, None, Some(d)) => {
            wpad.clone()
                .map(|u| (u, "WPAD (DNS)".to_string()))
                .or_else(|| {
                    plan.targets
                        .iter()
                        .find_map(|t| match d.route_for(&t.fqdn) {
                            SysRoute::Pac { url, source } => Some((url, source.to_string())),
                            SysRoute::Wpad { otherwise, .. } => match *otherwise {
                                SysRoute::Pac { url, source } => Some((url, source.to_string())),
                                _ => None,
                            },
                            _ => None,
                        })
                })
        }
        _ => None,
    };
    let pac = match &pac_source {
        Some((src, by)) => Some(
            crate::probe::pac::evaluate(
                src,
                by,
                &plan.targets,
                resolutions,
                Vec::new(),
                config.loopback_only,
                left().min(Duration::from_secs(30)),
            )
            .await,
        ),
        None => None,
    };
    let verdict_for = |fqdn: &str| {
        pac.as_ref()
            .and_then(|p| p.verdicts.iter().find(|v| v.fqdn == fqdn))
    };

    let mut specs: Vec<(String, Route, RouteReason, Option<ProxyEndpoint>)> = Vec::new();
    for t in &plan.targets {
        let decision = match (&config.proxy, &config.pac, &host.proxy) {
            (Some(Some(url)), _, _) => match ProxyEndpoint::parse(url) {
                Ok(ep) => Decision::Proxy(ep, reason("flag", "--proxy")),
                Err(_) => Decision::Direct(reason("flag", "--proxy is invalid")),
            },
            (Some(None), _, _) => Decision::Direct(reason("flag", "--proxy none")),
            (None, Some(p), _) => from_pac(verdict_for(&t.fqdn), p),
            (None, None, Some(d)) => match d.route_for(&t.fqdn) {
                SysRoute::Direct { reason: why } => Decision::Direct(reason("system", why)),
                SysRoute::Proxy { server, source } if server.scheme.starts_with("http") => {
                    Decision::Proxy(
                        ProxyEndpoint {
                            host: server.host.clone(),
                            port: server.port,
                            credentials: None,
                        },
                        reason("system", source.to_string()),
                    )
                }
                SysRoute::Proxy { server, source } => Decision::Direct(reason(
                    "system",
                    format!("{source} names a {} proxy: not probed", server.scheme),
                )),
                SysRoute::Pac { url, .. } => from_pac(verdict_for(&t.fqdn), &url),
                SysRoute::Wpad { .. } if wpad.is_some() => {
                    from_pac(verdict_for(&t.fqdn), wpad.as_deref().unwrap_or("WPAD"))
                }
                SysRoute::Wpad { otherwise, .. } => match *otherwise {
                    SysRoute::Pac { url, .. } => from_pac(verdict_for(&t.fqdn), &url),
                    other => Decision::Direct(reason(
                        "system",
                        format!("WPAD auto-detection on, no wpad.dat found; {other}"),
                    )),
                },
            },
            (None, None, None) => Decision::Direct(RouteReason {
                source: "none".into(),
                detail: None,
            }),
        };
        match decision {
            Decision::Proxy(ep, why) => {
                specs.push((
                    t.fqdn.clone(),
                    Route::Proxy {
                        proxy: ep.display(),
                    },
                    why,
                    Some(ep),
                ));
            }
            Decision::Direct(why) => {
                // Every address any resolver returned, the system resolver's first.
                let mut seen: Vec<std::net::IpAddr> = Vec::new();
                let mut ordered: Vec<&Resolution> =
                    resolutions.iter().filter(|r| r.fqdn == t.fqdn).collect();
                ordered.sort_by_key(|r| r.resolver.role != ResolverRole::System);
                for r in ordered {
                    for a in &r.addresses {
                        if !seen.contains(a) {
                            seen.push(*a);
                            specs.push((
                                t.fqdn.clone(),
                                Route::Direct {
                                    address: *a,
                                    resolver: r.resolver.label.clone(),
                                },
                                why.clone(),
                                None,
                            ));
                        }
                    }
                }
            }
        }
    }
    let per_probe = left().saturating_sub(MARGIN).max(Duration::from_millis(1));
    let jobs: Vec<Job<Connection>> = specs
        .iter()
        .map(|(fqdn, route, why, ep)| -> Job<Connection> {
            let dialer = probes.dialer.clone();
            let stores = stores.clone();
            let (fqdn, route, why, ep) = (fqdn.clone(), route.clone(), why.clone(), ep.clone());
            Box::pin(async move {
                connect::probe(
                    &dialer,
                    &stores,
                    &fqdn,
                    route,
                    ep.as_ref(),
                    why,
                    per_probe.min(CONNECT_PROBE_LIMIT),
                )
                .await
            })
        })
        .collect();
    let done = run::fan_out(jobs, deadline).await;
    let connections = specs
        .into_iter()
        .zip(done)
        .map(|((fqdn, route, why, _), c)| {
            c.unwrap_or_else(|| Connection {
                fqdn,
                route,
                reason: why,
                tcp_ms: None,
                proxy: None,
                tls: None,
                http: None,
                failure: Some(ProbeError::new(
                    Phase::Connect,
                    FailKind::Timeout,
                    "overall deadline reached",
                )),
                elapsed_ms: 0,
            })
        })
        .collect();
    (pac, connections)
}

/// The VPN verdict for every private address the system resolver returned.
async fn vpn_verdicts(
    host: &HostFacts,
    resolutions: &[Resolution],
) -> Vec<(std::net::IpAddr, crate::host::routes::VpnVerdict)> {
    let mut ips: Vec<std::net::IpAddr> = Vec::new();
    for r in resolutions
        .iter()
        .filter(|r| r.resolver.role == ResolverRole::System)
    {
        for a in &r.addresses {
            if crate::classify::is_private(*a) && !a.is_loopback() && !ips.contains(a) {
                ips.push(*a);
            }
        }
    }
    let mut out = Vec::new();
    for ip in ips {
        if let Some(lookup) = host.routes.route_to(ip).await {
            out.push((
                ip,
                crate::host::routes::vpn_verdict_from_lookup(ip, &lookup, &host.interfaces),
            ));
        }
    }
    out
}

/// `zone → server (source)` for each private-endpoint zone, when the OS has several servers.
fn dns_routes(host: &HostFacts, targets: &[crate::targets::Target]) -> Vec<String> {
    if host.dns_servers.len() < 2 {
        return Vec::new();
    }
    let mut zones: Vec<&str> = targets.iter().filter_map(|t| t.forwarder_zone).collect();
    zones.sort_unstable();
    zones.dedup();
    zones
        .into_iter()
        .map(|z| {
            let servers: Vec<String> = host
                .servers_for(&format!("x.{z}"))
                .iter()
                .map(|s| format!("{} ({})", s.addr, s.source))
                .collect();
            format!(
                "*.{z} → {}",
                if servers.is_empty() {
                    "no server".to_string()
                } else {
                    servers.join(", ")
                }
            )
        })
        .collect()
}
