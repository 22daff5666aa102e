//! Every lab scenario runs the real diagnosis against real DNS servers on loopback and must
//! report exactly its finding ids.

use pe_doctor::lab::scenarios::{self, LabOptions};
use pe_doctor::report::model::{ResolverRole, Verdict};

async fn ids_of(name: &str) -> (Vec<&'static str>, Verdict, pe_doctor::report::model::Report) {
    let run = scenarios::setup(name, &LabOptions::default())
        .await
        .expect("setup");
    let report = run.diagnose().await;
    let mut ids: Vec<&'static str> = report.findings.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    (ids, report.verdict, report)
}

#[tokio::test]
async fn healthy_has_no_findings() {
    let (ids, verdict, report) = ids_of("healthy").await;
    assert_eq!(ids, Vec::<&str>::new());
    assert_eq!(verdict, Verdict::Healthy);
    // Every resolver the machine uses answered a private address for every name.
    for r in report
        .resolutions
        .iter()
        .filter(|r| r.resolver.role.is_used_by_machine())
    {
        assert_eq!(r.class, pe_doctor::classify::AddrClass::Private, "{r:?}");
        assert!(r.chain.iter().any(|c| c.rtype == "A"), "{r:?}");
    }
}

#[tokio::test]
async fn custom_dns_without_forwarder() {
    let (ids, verdict, report) = ids_of("custom-dns-no-forwarder").await;
    assert_eq!(ids, vec!["dns.custom-server-not-forwarding"]);
    assert_eq!(verdict, Verdict::Problems);
    let f = &report.findings[0];
    assert!(f.subject.starts_with("corp-dns"), "{}", f.subject);
    assert!(
        f.remediation.iter().any(|s| s.contains("`api.azureml.ms`")),
        "{:?}",
        f.remediation
    );
    // The public CNAME chain is kept as evidence.
    let sys = report
        .resolutions
        .iter()
        .find(|r| r.resolver.role == ResolverRole::System && r.fqdn.contains(".workspace."))
        .expect("system resolution");
    assert!(
        sys.chain
            .iter()
            .any(|c| c.data.contains(".privatelink.api.azureml.ms"))
    );
}

#[tokio::test]
async fn missing_a_record_is_nxdomain() {
    let (ids, _, report) = ids_of("missing-a-record").await;
    assert_eq!(ids, vec!["dns.nxdomain"]);
    assert!(report.findings[0].subject.contains("notebooks.azure.net"));
}

#[tokio::test]
async fn vpn_dns_not_applied() {
    let (ids, _, report) = ids_of("vpn-dns-not-applied").await;
    assert_eq!(ids, vec!["dns.public-answer"]);
    assert!(
        report.findings[0]
            .evidence
            .iter()
            .all(|e| e.contains("vpn-dns said"))
    );
}

#[tokio::test]
async fn stale_hosts_entry() {
    let (ids, _, report) = ids_of("stale-hosts-entry").await;
    assert_eq!(ids, vec!["dns.wrong-private-ip"]);
    assert!(report.findings[0].evidence[0].contains("line 3: 10.0.0.99"));
}

#[tokio::test]
async fn every_listed_scenario_matches_its_documented_ids() {
    for s in scenarios::SCENARIOS {
        let (ids, _, _) = ids_of(s.name).await;
        assert_eq!(ids, s.expected_ids, "scenario {}", s.name);
    }
}

#[tokio::test]
async fn latency_is_paid_once_per_dependency_not_per_query() {
    // 4 names x 3 resolvers x (A, AAAA) = 24 queries at 150 ms each would take 3.6 s one by one.
    let opts = LabOptions {
        latency: std::time::Duration::from_millis(150),
        ..LabOptions::default()
    };
    let run = scenarios::setup("healthy", &opts).await.expect("setup");
    let report = run.diagnose().await;
    assert_eq!(report.verdict, Verdict::Healthy);
    assert!(report.resolutions.iter().all(|r| r.elapsed_ms >= 150));
}

#[tokio::test]
async fn doh_leak_goes_through_a_real_doh_front_end() {
    let run = scenarios::setup("doh-leak", &LabOptions::default())
        .await
        .expect("setup");
    let report = run.diagnose().await;
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, vec!["doh.public-answer"]);
    assert_eq!(
        report.verdict,
        Verdict::Healthy,
        "a warning alone keeps exit code 0"
    );
    let doh: Vec<_> = report
        .resolutions
        .iter()
        .filter(|r| r.resolver.role == ResolverRole::Doh)
        .collect();
    assert_eq!(doh.len(), report.targets.len());
    assert!(
        doh.iter()
            .all(|r| r.class == pe_doctor::classify::AddrClass::Public)
    );
    // Every question (A and AAAA per name) went over HTTP/2 POST to the lab front-end.
    let c = run.doh[0].counters();
    let n = (report.targets.len() * 2) as u64;
    assert_eq!(c.post.load(std::sync::atomic::Ordering::Relaxed), n);
    assert_eq!(c.h2.load(std::sync::atomic::Ordering::Relaxed), n);
}
