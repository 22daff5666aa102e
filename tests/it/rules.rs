//! The DNS finding ids not covered by a lab scenario, each against real lab servers.

use pe_doctor::cli::DiagnoseArgs;
use pe_doctor::config::Config;
use pe_doctor::host::{ConfiguredServer, HostFacts};
use pe_doctor::lab::dns_server::{Behavior, LabDnsServer, ServerOptions, View};
use pe_doctor::lab::world;
use pe_doctor::report::model::Report;
use std::net::SocketAddr;
use std::time::Duration;

async fn serve(view: View) -> LabDnsServer {
    LabDnsServer::spawn([127, 0, 0, 1].into(), ServerOptions::answer(view))
        .await
        .unwrap()
}

async fn serve_behaving(behavior: Behavior) -> LabDnsServer {
    let opts = ServerOptions {
        behavior,
        latency: Duration::ZERO,
        truncate_udp: false,
    };
    LabDnsServer::spawn([127, 0, 0, 1].into(), opts)
        .await
        .unwrap()
}

fn config(system: SocketAddr, azure: SocketAddr, extra: &[&str]) -> Config {
    let args = DiagnoseArgs {
        workspace_id: Some(world::WORKSPACE_ID.into()),
        region: Some(world::REGION.into()),
        system_resolver: Some(system.to_string()),
        azure_dns: Some(azure.to_string()),
        no_doh: true,
        timeout: Some("2s".into()),
        dns_servers: extra.iter().map(|s| s.to_string()).collect(),
        hosts_file: Some("/nonexistent/hosts".into()),
        ..DiagnoseArgs::default()
    };
    let mut c = Config::from_args(&args).unwrap();
    c.loopback_only = true;
    c.connect = false;
    c
}

fn configured(label: &str, addr: SocketAddr) -> ConfiguredServer {
    ConfiguredServer {
        label: Some(label.into()),
        addr,
        source: "resolv.conf".into(),
        domains: Vec::new(),
    }
}

fn ids(report: &Report) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn second_dns_server_without_forwarder_is_a_disagreement() {
    let targets = world::targets();
    let good = serve(world::private_view(&targets)).await;
    let bad = serve(world::public_view(&targets)).await;
    let cfg = config(good.addr(), good.addr(), &[]);
    let mut host = HostFacts::empty();
    host.dns_servers = vec![
        configured("dns1", good.addr()),
        configured("dns2", bad.addr()),
    ];
    let report = pe_doctor::diagnose::diagnose(&cfg, &host).await;
    assert_eq!(ids(&report), vec!["dns.resolvers-disagree"]);
    assert_eq!(report.findings[0].subject, "dns2");
    assert_eq!(report.verdict, pe_doctor::report::model::Verdict::Healthy);
}

#[tokio::test]
async fn servfail_from_the_system_resolver_and_silent_azure_dns() {
    let sys = serve_behaving(Behavior::Servfail).await;
    let azure = serve_behaving(Behavior::BlackHole).await;
    let cfg = config(sys.addr(), azure.addr(), &[]);
    let report = pe_doctor::diagnose::diagnose(&cfg, &HostFacts::empty()).await;
    assert_eq!(
        ids(&report),
        vec!["dns.azure-dns-unreachable", "dns.no-answer"]
    );
    let info = report
        .findings
        .iter()
        .find(|f| f.id == "dns.azure-dns-unreachable")
        .unwrap();
    assert_eq!(info.severity, pe_doctor::findings::Severity::Info);
}

#[tokio::test]
async fn custom_server_given_by_flag_is_checked_against_azure_dns() {
    let targets = world::targets();
    let private = serve(world::private_view(&targets)).await;
    let public = serve(world::public_view(&targets)).await;
    let flag = format!("corp={}", public.addr());
    let cfg = config(private.addr(), private.addr(), &[&flag]);
    let report = pe_doctor::diagnose::diagnose(&cfg, &HostFacts::empty()).await;
    assert_eq!(ids(&report), vec!["dns.custom-server-not-forwarding"]);
    assert!(report.findings[0].subject.starts_with("corp ("));
}

#[tokio::test]
async fn refused_by_the_system_resolver_is_no_answer() {
    let targets = world::targets();
    let sys = serve_behaving(Behavior::Refused).await;
    let azure = serve(world::private_view(&targets)).await;
    let cfg = config(sys.addr(), azure.addr(), &[]);
    let report = pe_doctor::diagnose::diagnose(&cfg, &HostFacts::empty()).await;
    assert_eq!(ids(&report), vec!["dns.no-answer"]);
    assert!(
        report.findings[0]
            .evidence
            .iter()
            .all(|e| e.contains("REFUSED"))
    );
}

#[tokio::test]
async fn an_alternative_spelling_that_does_not_exist_is_not_a_problem() {
    let targets = world::targets();
    let mut view = world::private_view(&targets);
    let alternatives: Vec<&str> = targets
        .iter()
        .filter(|t| t.alternative_of.is_some())
        .map(|t| t.fqdn.as_str())
        .collect();
    assert!(
        !alternatives.is_empty(),
        "the lab derives alternative instance names"
    );
    for a in &alternatives {
        view.remove(a);
    }
    let server = serve(view).await;
    let mut cfg = config(server.addr(), server.addr(), &[]);
    cfg.targets = targets.clone();
    let report = pe_doctor::diagnose::diagnose(&cfg, &HostFacts::empty()).await;
    assert_eq!(ids(&report), Vec::<&str>::new());
    // They really were NXDOMAIN.
    for a in alternatives {
        let statuses: Vec<_> = report
            .resolutions
            .iter()
            .filter(|r| r.fqdn == a)
            .map(|r| (r.resolver.label.clone(), r.status))
            .collect();
        assert!(
            statuses
                .iter()
                .any(|(_, s)| *s == pe_doctor::model::DnsStatus::Nxdomain),
            "{a}: {statuses:?}"
        );
    }
}
