//! The diagnosis: plan -> fan out every probe under one deadline -> findings -> one report.

use crate::classify::classify;
use crate::config::Config;
use crate::findings::{self, dns::DnsFacts};
use crate::host::{HostFacts, hosts_file};
use crate::net::dialer::{ConnectTo, Dialer};
use crate::net::tls;
use crate::plan::{self, Ask, Plan};
use crate::probe::answer::{DnsAnswer, DnsStatus};
use crate::probe::connect::{self, Connection, Route, RouteReason};
use crate::probe::doh::{DohClient, DohEndpoint};
use crate::probe::proxy::ProxyEndpoint;
use crate::probe::tls::TrustStores;
use crate::probe::{FailKind, Phase, ProbeError};
use crate::probe::{dns, system};
use crate::report::model::{
    HostInfo, Report, Resolution, ResolverRole, SCHEMA, ToolInfo, Verdict, WorkspaceInfo,
};
use crate::run::{self, Job};
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
        .map(|(&(t, r), answer)| {
            let (answer, elapsed_ms) = answer.unwrap_or_else(|| {
                (
                    DnsAnswer::failed(DnsStatus::Timeout, "overall deadline reached"),
                    config.timeout.as_millis() as u64,
                )
            });
            resolution(&plan, t, r, answer, elapsed_ms)
        })
        .collect();

    let connections = if config.connect {
        connection_phase(config, &plan, &resolutions, &probes, deadline).await
    } else {
        Vec::new()
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
            interfaces: Vec::new(),
            dns_servers: host
                .dns_servers
                .iter()
                .map(|s| s.addr.to_string())
                .collect(),
            search_domains: host.search_domains.clone(),
            azure_vm: false,
            notes: host.notes.clone(),
        },
        targets: plan.targets,
        resolvers,
        resolutions,
        connections,
        findings,
    }
}

/// Phase two: connect along each target's route, under the same overall deadline.
async fn connection_phase(
    config: &Config,
    plan: &Plan,
    resolutions: &[Resolution],
    probes: &Probes,
    deadline: tokio::time::Instant,
) -> Vec<Connection> {
    let stores = match &config.lab_public_roots {
        Some(public) => TrustStores::from_ca_files(&config.ca_files, public),
        None => TrustStores::for_machine(&config.ca_files),
    };
    let stores = match stores {
        Ok(s) => Arc::new(s),
        Err(_) => return Vec::new(),
    };
    let proxy = match &config.proxy {
        Some(Some(url)) => ProxyEndpoint::parse(url).ok(),
        _ => None,
    };
    let mut specs: Vec<(String, Route, RouteReason)> = Vec::new();
    for t in &plan.targets {
        if let Some(ep) = &proxy {
            specs.push((
                t.fqdn.clone(),
                Route::Proxy {
                    proxy: ep.display(),
                },
                RouteReason {
                    source: "flag".into(),
                    detail: Some("--proxy".into()),
                },
            ));
            continue;
        }
        // Direct: every address any resolver returned, system resolver's first.
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
                        RouteReason {
                            source: if config.proxy.is_some() {
                                "flag".into()
                            } else {
                                "none".into()
                            },
                            detail: config.proxy.as_ref().map(|_| "--proxy none".to_string()),
                        },
                    ));
                }
            }
        }
    }
    let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
    let per_probe = remaining
        .saturating_sub(MARGIN)
        .max(Duration::from_millis(1));
    let jobs: Vec<Job<Connection>> = specs
        .iter()
        .map(|(fqdn, route, reason)| -> Job<Connection> {
            let dialer = probes.dialer.clone();
            let stores = stores.clone();
            let (fqdn, route, reason, ep) =
                (fqdn.clone(), route.clone(), reason.clone(), proxy.clone());
            Box::pin(async move {
                connect::probe(
                    &dialer,
                    &stores,
                    &fqdn,
                    route,
                    ep.as_ref(),
                    reason,
                    per_probe.min(CONNECT_PROBE_LIMIT),
                )
                .await
            })
        })
        .collect();
    let done = run::fan_out(jobs, deadline).await;
    specs
        .into_iter()
        .zip(done)
        .map(|((fqdn, route, reason), c)| {
            c.unwrap_or_else(|| Connection {
                fqdn,
                route,
                reason,
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
        .collect()
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

fn resolution(plan: &Plan, t: usize, r: usize, answer: DnsAnswer, elapsed_ms: u64) -> Resolution {
    let (fqdn, resolver) = match (plan.targets.get(t), plan.resolvers.get(r)) {
        (Some(t), Some(r)) => (t.fqdn.clone(), r.info.clone()),
        _ => unreachable_pair(),
    };
    let class = classify(&answer.addresses);
    Resolution {
        fqdn,
        resolver,
        status: answer.status,
        chain: answer.chain,
        addresses: answer.addresses,
        class,
        elapsed_ms,
        error: answer.error,
    }
}

#[cold]
fn unreachable_pair() -> (String, crate::report::model::ResolverInfo) {
    // questions() only yields valid indices; keep a harmless value rather than panic.
    (
        String::new(),
        crate::report::model::ResolverInfo {
            label: String::new(),
            role: ResolverRole::Custom,
            transport: crate::report::model::Transport::Udp,
            address: String::new(),
            source: None,
        },
    )
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
