//! The diagnosis: plan -> fan out every probe under one deadline -> findings -> one report.

use crate::classify::classify;
use crate::config::Config;
use crate::config::ProxyChoice;
use crate::findings::{self, dns::DnsFacts};
use crate::host::proxy_settings::Route as SysRoute;
use crate::host::routes::{RouteError, RouteInfo, VpnVerdict, vpn_verdict_from_lookup};
use crate::host::{HostFacts, collect, hosts_file};
use crate::model::DnsStatus;
use crate::model::{FailKind, Phase, ProbeError};
use crate::model::{Resolution, ResolverRole};
use crate::net::Net;
use crate::plan::{self, Ask, Plan};
use crate::probe::answer::DnsAnswer;
use crate::probe::connect::{self, Connection, Route, RouteReason};
use crate::probe::doh::DohClient;
use crate::probe::pac::{PacReport, PacVerdict};
use crate::probe::proxy::ProxyEndpoint;
use crate::probe::tls::TrustStores;
use crate::probe::{dns, system};
use crate::report::model::{HostInfo, Report, SCHEMA, ToolInfo, Verdict, WorkspaceInfo};
use crate::run::{self, Deadline, Job};
use pac::Directive;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Per-question limit for plain DNS: a server that has not answered in this time is broken for
/// the user too (stub resolvers give up after a few seconds).
const DNS_PROBE_LIMIT: Duration = Duration::from_secs(4);
/// Per-question limit for DoH (a TLS handshake comes first).
const DOH_PROBE_LIMIT: Duration = Duration::from_secs(5);
/// Per-connection limit (TCP + TLS + one request).
const CONNECT_PROBE_LIMIT: Duration = Duration::from_secs(6);
/// One DNS question: (target index, resolver index) in the plan.
type Question = (usize, usize);

/// Safety margin so every probe records its own timeout before the overall deadline.
const MARGIN: Duration = Duration::from_millis(50);

/// Runs the diagnosis described by `config` on a machine described by `host` (the lab and
/// tests: the facts are given, nothing is read from this machine).
pub async fn diagnose(config: &Config, host: &HostFacts) -> Report {
    let clock = Clock::start(config);
    run_diagnosis(config, host.clone(), Collecting::default(), clock).await
}

/// Runs the diagnosis on this machine: reading the host (DNS configuration, proxy settings,
/// interfaces, browsers, routes...) is part of it, concurrently and under the same deadline.
pub async fn diagnose_this_machine(config: &Config) -> Report {
    let clock = Clock::start(config);
    let mut host = HostFacts::empty();
    let machine = !config.loopback_only;
    if machine {
        host.routes = crate::host::RouteLookup::Os;
    }
    let wants_proxy = config.proxy == ProxyChoice::System && config.pac.is_none();
    let collecting = Collecting {
        dns: (config.read_host_dns || machine).then(|| {
            collect::start(
                collect::dns_and_browsers(config.read_host_dns, machine),
                clock.host,
            )
        }),
        proxy: (machine && wants_proxy)
            .then(|| collect::start(collect::proxy_settings(), clock.host)),
        machine: if machine {
            collect::machine()
                .into_iter()
                .map(|c| collect::start(c, clock.end))
                .collect()
        } else {
            Vec::new()
        },
    };
    run_diagnosis(config, host, collecting, clock).await
}

/// The diagnosis clock: started before anything is read.
#[derive(Debug, Clone, Copy)]
struct Clock {
    started: Instant,
    /// Everything is done by then.
    end: Deadline,
    /// Host facts that later probes depend on (DNS servers, proxy settings) are in by then, so
    /// a third of the time is left for those probes.
    host: Deadline,
}

impl Clock {
    fn start(config: &Config) -> Self {
        let end = Deadline::within(config.timeout);
        let host = Deadline::within(config.timeout * 2 / 3).min(end);
        Self {
            started: Instant::now(),
            end,
            host,
        }
    }
}

/// Host collectors under way (none in the lab).
#[derive(Debug, Default)]
struct Collecting {
    dns: Option<collect::Started>,
    proxy: Option<collect::Started>,
    machine: Vec<collect::Started>,
}

async fn run_diagnosis(
    config: &Config,
    mut host: HostFacts,
    collecting: Collecting,
    clock: Clock,
) -> Report {
    let started = clock.started;
    let started_at = now_rfc3339();
    let deadline = clock.end;
    if let Some(dns) = collecting.dns {
        dns.finish(&mut host).await;
    }
    let plan = plan::plan(config, &host);
    let per_probe = deadline
        .left()
        .saturating_sub(MARGIN)
        .max(Duration::from_millis(1));
    let probes = Probes::new(config);

    // The system resolver's questions and the others fan out side by side: the route
    // lookups for the system resolver's private addresses start as soon as those are in.
    let (system_q, other_q): (Vec<Question>, Vec<Question>) =
        plan.questions().partition(|&(_, r)| {
            plan.resolvers
                .get(r)
                .is_some_and(|r| r.info.role == ResolverRole::System)
        });
    let jobs = |qs: &[Question]| -> Vec<Job<(DnsAnswer, u64)>> {
        qs.iter()
            .map(|&(t, r)| probes.job(&plan, t, r, per_probe))
            .collect()
    };
    let others = run::spawn(
        Box::pin(run::fan_out(jobs(&other_q), deadline.instant())),
        deadline.later_by(MARGIN),
    );
    let system_answers = run::fan_out(jobs(&system_q), deadline.instant()).await;
    let mut resolutions = resolutions_of(&plan, &system_q, system_answers, per_probe);
    let system_ips = private_ips(resolutions.iter().map(|(_, r)| r), &[]);
    let mut routes = start_route_lookups(&host, system_ips, deadline);
    let other_answers = others.join().await.unwrap_or_default();
    resolutions.extend(resolutions_of(&plan, &other_q, other_answers, per_probe));
    // Report order: by name, then resolver column.
    resolutions.sort_by_key(|(q, _)| *q);
    let resolutions: Vec<Resolution> = resolutions.into_iter().map(|(_, r)| r).collect();
    // Then every other private address (other resolvers, the expected state) and a public one,
    // to tell the default route from a LAN / ExpressRoute route. A lookup sends nothing.
    let expected: Vec<IpAddr> = plan
        .targets
        .iter()
        .flat_map(|t| t.expected_ips.iter().copied())
        .collect();
    let mut more: Vec<IpAddr> = private_ips(resolutions.iter(), &expected)
        .into_iter()
        .filter(|ip| !routes.iter().any(|(r, _)| r == ip))
        .collect();
    more.push(INTERNET_PROBE);
    routes.extend(start_route_lookups(&host, more, deadline));

    if let Some(proxy) = collecting.proxy {
        proxy.finish(&mut host).await;
    }
    let host_ref = &host;
    let (pac, connections) = if config.connect {
        connection_phase(
            config,
            host_ref,
            &plan,
            &resolutions,
            &probes,
            deadline.instant(),
        )
        .await
    } else {
        (None, Vec::new())
    };
    for job in collecting.machine {
        job.finish(&mut host).await;
    }
    crate::host::raw_capture::record_facts(&host);
    let routes = finish_route_lookups(routes, &mut host).await;
    let host = &host;

    let hosts_path = config
        .hosts_file
        .clone()
        .or_else(|| host.hosts_file.clone())
        .unwrap_or_else(hosts_file::default_path);
    let hosts = hosts_file::read(&hosts_path);
    let resolvers: Vec<_> = plan.resolvers.iter().map(|r| r.info.clone()).collect();
    let azure_vm = host.azure_vm.as_ref().is_some_and(|v| v.is_azure);
    let mut findings = findings::pe::evaluate(&config.expected, &plan.targets);
    findings.extend(findings::net::subnet_overlap(
        &routes,
        azure_vm,
        &resolutions,
        &plan.targets,
    ));
    findings.extend(findings::dns::evaluate(DnsFacts {
        targets: &plan.targets,
        resolvers: &resolvers,
        resolutions: &resolutions,
        hosts: &hosts,
        hosts_path: Some(&hosts_path),
        routes: &routes,
        azure_vm,
        configured: &host.dns_servers,
        os: &host.os,
    }));
    findings.extend(findings::browser::evaluate(
        &host.browsers,
        &plan.targets,
        &resolutions,
    ));
    let vpn = findings::vpn::evaluate(host, &routes, &connections, &findings);
    findings.extend(vpn);
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
    // An offline machine explains everything else: one finding, no DNS blame.
    if let Some(offline) = findings::net::offline(&host.interfaces, &resolutions) {
        findings = vec![offline];
    }

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
        derived_from: config.derived_from.clone(),
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

/// The resolutions of `questions` from their answers (a missing answer is a deadline
/// timeout), each with its question.
fn resolutions_of(
    plan: &Plan,
    questions: &[Question],
    answers: Vec<Option<(DnsAnswer, u64)>>,
    per_probe: Duration,
) -> Vec<(Question, Resolution)> {
    let mut answers = answers.into_iter();
    questions
        .iter()
        .filter_map(|&(t, r)| {
            let (answer, elapsed_ms) = answers.next().flatten().unwrap_or_else(|| {
                (
                    DnsAnswer::unanswered(
                        DnsStatus::Timeout,
                        FailKind::Timeout,
                        "overall deadline reached",
                    ),
                    per_probe.as_millis() as u64,
                )
            });
            // questions() only yields valid indices.
            let res = resolution(
                plan.targets.get(t)?,
                plan.resolvers.get(r)?,
                answer,
                elapsed_ms,
            );
            Some(((t, r), res))
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
    if !answered
        || findings
            .iter()
            .any(|f| f.id == findings::FindingId::NetOffline)
    {
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
        failure: answer.failure,
    }
}

/// The shared probe machinery (clients built once per diagnosis).
struct Probes {
    net: Arc<Net>,
    doh: Result<DohClient, String>,
}

impl Probes {
    fn new(config: &Config) -> Self {
        let net = Arc::new(Net::new(
            config.connect_to.clone(),
            config.loopback_only,
            config.trust.clone(),
        ));
        const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];
        let doh = net
            .tls(&ALPN)
            .map(|t| DohClient::new(net.dialer.clone(), t))
            .map_err(|e| e.to_string());
        Self { net, doh }
    }

    fn job(&self, plan: &Plan, t: usize, r: usize, per_probe: Duration) -> Job<(DnsAnswer, u64)> {
        let name = plan
            .targets
            .get(t)
            .map(|t| t.fqdn.clone())
            .unwrap_or_default();
        let ask = plan.resolvers.get(r).map(|r| r.ask.clone());
        let dialer = self.net.dialer.clone();
        let doh = self.doh.clone();
        Box::pin(async move {
            let start = Instant::now();
            let answer = match ask {
                None => DnsAnswer::failed(DnsStatus::Error, "no such resolver"),
                Some(Ask::Getaddrinfo) => system::resolve(&name, per_probe).await,
                Some(Ask::Dns(addr)) => match dialer.check_addr(addr) {
                    Err(e) => DnsAnswer::unanswered(DnsStatus::Error, e.kind, e.message),
                    Ok(()) => dns::resolve(addr, &name, per_probe.min(DNS_PROBE_LIMIT)).await,
                },
                Some(Ask::Doh(endpoint)) => match (&doh, endpoint) {
                    (Err(e), _) => DnsAnswer::failed(DnsStatus::Error, e.clone()),
                    (_, Err(e)) => DnsAnswer::failed(DnsStatus::Error, e),
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
    // When the trust stores cannot be built (the platform verifier does not start), every
    // connection says so instead of vanishing from the report.
    let stores = TrustStores::for_roots(&config.trust).map(Arc::new);
    let net = &probes.net;
    let left = || deadline.saturating_duration_since(tokio::time::Instant::now());

    // The PAC to evaluate: --pac, or the one the system settings name, or one WPAD finds.
    let routes_use_wpad = matches!((&config.proxy, &config.pac, &host.proxy), (ProxyChoice::System, None, Some(d))
        if plan.targets.iter().any(|t| matches!(d.route_for(&t.fqdn), SysRoute::Wpad { .. })));
    let wpad = if routes_use_wpad {
        crate::probe::pac::discover_wpad(
            &host.search_domains,
            net,
            left().min(Duration::from_secs(3)),
        )
        .await
    } else {
        None
    };
    let pac_source: Option<(String, String)> = match (&config.proxy, &config.pac, &host.proxy) {
        (ProxyChoice::Direct | ProxyChoice::Proxy(_), _, _) => None,
        (ProxyChoice::System, Some(p), _) => Some((p.clone(), "--pac".into())),
        (ProxyChoice::System, None, Some(d)) => wpad
            .clone()
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
            }),
        _ => None,
    };
    let pac = match &pac_source {
        Some((src, by)) => Some(
            crate::probe::pac::evaluate(
                src,
                by,
                &plan.targets,
                resolutions,
                None,
                net,
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
            (ProxyChoice::Proxy(ep), _, _) => {
                Decision::Proxy(ep.clone(), reason("flag", "--proxy"))
            }
            (ProxyChoice::Direct, _, _) => Decision::Direct(reason("flag", "--proxy none")),
            (ProxyChoice::System, Some(p), _) => from_pac(verdict_for(&t.fqdn), p),
            (ProxyChoice::System, None, Some(d)) => match d.route_for(&t.fqdn) {
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
            (ProxyChoice::System, None, None) => Decision::Direct(RouteReason {
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
            let dialer = probes.net.dialer.clone();
            let stores = stores.clone();
            let (fqdn, route, why, ep) = (fqdn.clone(), route.clone(), why.clone(), ep.clone());
            Box::pin(async move {
                let stores = match stores {
                    Ok(s) => s,
                    Err(e) => return unprobed(fqdn, route, why, e),
                };
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
            c.unwrap_or_else(|| {
                let e = ProbeError::new(
                    Phase::Connect,
                    FailKind::Timeout,
                    "overall deadline reached",
                );
                unprobed(fqdn, route, why, e)
            })
        })
        .collect();
    (pac, connections)
}

/// A connection that was not (completely) probed, and why.
fn unprobed(fqdn: String, route: Route, reason: RouteReason, failure: ProbeError) -> Connection {
    Connection {
        fqdn,
        route,
        reason,
        tcp_ms: None,
        proxy: None,
        tls: None,
        http: None,
        failure: Some(failure),
        elapsed_ms: 0,
    }
}

/// An address on the public internet whose route is the default route (TEST-NET-1; only
/// looked up, never contacted).
const INTERNET_PROBE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

/// The private (non-loopback) addresses among the answers, then `extra`, each once.
fn private_ips<'a>(
    resolutions: impl Iterator<Item = &'a Resolution>,
    extra: &[IpAddr],
) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = Vec::new();
    let answered = resolutions.flat_map(|r| r.addresses.iter());
    for a in answered.chain(extra.iter()) {
        if crate::classify::is_private(*a) && !a.is_loopback() && !ips.contains(a) {
            ips.push(*a);
        }
    }
    ips
}

/// Starts a route lookup for each address.
fn start_route_lookups(
    host: &HostFacts,
    ips: Vec<IpAddr>,
    deadline: Deadline,
) -> Vec<(IpAddr, run::Task<Result<RouteInfo, RouteError>>)> {
    ips.into_iter()
        .filter_map(|ip| Some((ip, host.routes.start(ip, deadline)?)))
        .collect()
}

/// The route facts of each looked-up private address (VPN verdict, default route, on-link);
/// a lookup cut off by the deadline is a note and an unknown verdict.
async fn finish_route_lookups(
    lookups: Vec<(IpAddr, run::Task<Result<RouteInfo, RouteError>>)>,
    host: &mut HostFacts,
) -> Vec<findings::vpn::RouteFact> {
    let mut done: Vec<(IpAddr, Option<Result<RouteInfo, RouteError>>)> = Vec::new();
    for (ip, task) in lookups {
        done.push((ip, task.join().await));
    }
    let internet: Option<RouteInfo> = done.iter().find_map(|(ip, r)| match r {
        Some(Ok(route)) if *ip == INTERNET_PROBE => Some(route.clone()),
        _ => None,
    });
    let mut out = Vec::new();
    for (ip, lookup) in done.into_iter().filter(|(ip, _)| *ip != INTERNET_PROBE) {
        let (verdict, route) = match lookup {
            Some(lookup) => {
                if let Err(e @ RouteError::Tool { .. }) = &lookup {
                    host.notes.push(e.to_string());
                }
                (
                    vpn_verdict_from_lookup(ip, &lookup, &host.interfaces),
                    lookup.ok(),
                )
            }
            None => {
                let why = format!("the route lookup for {ip} did not finish before the deadline");
                host.notes.push(why.clone());
                (VpnVerdict::Unknown { why }, None)
            }
        };
        out.push(findings::vpn::RouteFact::new(
            ip,
            verdict,
            route.as_ref(),
            internet.as_ref(),
            &host.interfaces,
        ));
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
