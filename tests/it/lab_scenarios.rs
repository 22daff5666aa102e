//! Every lab scenario runs the real diagnosis against real DNS servers on loopback and must
//! report exactly its finding ids.

use pe_doctor::lab::scenarios::{self, LabOptions};
use pe_doctor::model::ResolverRole;
use pe_doctor::report::model::Verdict;

async fn ids_of(name: &str) -> (Vec<&'static str>, Verdict, pe_doctor::report::model::Report) {
    crate::support::use_built_pac_worker();
    let run = scenarios::setup(name, &LabOptions::default())
        .await
        .expect("setup");
    let report = run.diagnose().await;
    let mut ids: Vec<&'static str> = report.findings.iter().map(|f| f.id.as_str()).collect();
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
        assert_eq!(r.class, pe_doctor::model::AddrClass::Private, "{r:?}");
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
    crate::support::use_built_pac_worker();
    let run = scenarios::setup("healthy", &opts).await.expect("setup");
    let report = run.diagnose().await;
    assert_eq!(report.verdict, Verdict::Healthy);
    assert!(report.resolutions.iter().all(|r| r.elapsed_ms >= 150));
}

#[tokio::test]
async fn doh_leak_goes_through_a_real_doh_front_end() {
    crate::support::use_built_pac_worker();
    let run = scenarios::setup("doh-leak", &LabOptions::default())
        .await
        .expect("setup");
    let report = run.diagnose().await;
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
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
            .all(|r| r.class == pe_doctor::model::AddrClass::Public)
    );
    // Every question (A and AAAA per name) went over HTTP/2 POST to the lab front-end.
    let c = run.doh[0].counters();
    let n = (report.targets.len() * 2) as u64;
    assert_eq!(c.post.load(std::sync::atomic::Ordering::Relaxed), n);
    assert_eq!(c.h2.load(std::sync::atomic::Ordering::Relaxed), n);
}

async fn lab(name: &str) -> pe_doctor::report::model::Report {
    crate::support::use_built_pac_worker();
    let run = scenarios::setup(name, &LabOptions::default())
        .await
        .expect("setup");
    run.diagnose().await
}

fn finding<'a>(
    r: &'a pe_doctor::report::model::Report,
    id: &str,
) -> &'a pe_doctor::findings::Finding {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", r.findings))
}

#[tokio::test]
async fn healthy_connects_directly_to_the_private_endpoint() {
    let r = lab("healthy").await;
    let ws = &r.targets[0].fqdn;
    let c = r
        .connections
        .iter()
        .find(|c| &c.fqdn == ws && matches!(c.route, pe_doctor::probe::connect::Route::Direct { address, .. } if address.to_string() == "10.0.0.4"))
        .expect("direct connection to the private endpoint");
    assert!(c.failure.is_none(), "{c:?}");
    assert_eq!(c.http.as_ref().map(|h| h.status), Some(200));
    let tls = c.tls.as_ref().unwrap();
    assert!(tls.os_trusted && tls.public_trusted && !tls.intercepted());
}

#[tokio::test]
async fn pac_sends_to_proxy_names_the_directive_and_suggests_a_snippet() {
    let r = lab("pac-sends-to-proxy").await;
    let f = finding(&r, "pac.not-direct");
    assert!(
        f.evidence
            .iter()
            .all(|e| e.contains("\"PROXY proxy.corp.lab.test:3128; DIRECT\"")),
        "{:?}",
        f.evidence
    );
    // The fix is code in its own field, pasted and evaluated by the PAC engine below.
    let snippet = f
        .snippet
        .as_deref()
        .expect("pac.not-direct carries a snippet");
    assert!(
        !f.remediation.iter().any(|s| s.contains("dnsDomainIs")),
        "{:?}",
        f.remediation
    );
    let affected: Vec<&str> = f.affected.iter().map(|a| a.fqdn.as_str()).collect();
    assert_eq!(affected.len(), r.targets.len(), "{affected:?}");
    assert_snippet_sends_only_these_direct(snippet, &affected);
    // Each format shows it as code: its own lines in text, a fence in Markdown, <pre> in HTML.
    let render = |format| {
        let mut buf = Vec::new();
        pe_doctor::report::render(&r, format, false, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    };
    let text = render(pe_doctor::cli::Format::Text);
    for line in snippet.lines() {
        assert!(
            text.lines().any(|l| l.trim_end().ends_with(line)
                && !l.trim_start().starts_with(|c: char| c.is_ascii_digit())),
            "{line:?} not on a line of its own in:\n{text}"
        );
    }
    let md = render(pe_doctor::cli::Format::Markdown);
    assert!(md.contains(&format!("```\n{snippet}\n```")), "{md}");
    let html = render(pe_doctor::cli::Format::Html);
    assert!(
        html.contains("<pre class=\"snippet\"><code>// The workspace"),
        "{html}"
    );
    assert!(html.contains("dnsDomainIs(host, &quot;.eastus2.api.azureml.ms&quot;)"));
    // The proxy works here (it resolves privately): every connection went through it and got 200.
    assert!(
        r.connections
            .iter()
            .all(|c| c.reason.source == "pac" && c.proxy.as_ref().map(|p| p.status) == Some(200))
    );
}

#[tokio::test]
async fn proxy_denies_instances_only() {
    let r = lab("proxy-denies-instances").await;
    let f = finding(&r, "proxy.denied");
    assert!(
        f.evidence.iter().all(|e| e.contains(".instances.")
            && e.contains("403")
            && e.contains("X-Squid-Error: ERR_ACCESS_DENIED 0")
            && e.contains("Via: 1.1 lab-proxy (squid/5.7)")),
        "{:?}",
        f.evidence
    );
    let api_ok = r.connections.iter().any(|c| {
        c.fqdn.contains(".workspace.") && c.http.as_ref().is_some_and(|h| h.status == 200)
    });
    assert!(api_ok, "the API zone is allowed");
    assert!(r.connections.iter().all(|c| c.reason.source == "system"));
    // The fix lists exactly the names that failed, both compute-instance spellings included.
    assert!(
        f.remediation.iter().any(|s| s.contains(
            "allow CONNECT to *.eastus2.instances.azureml.ms, *.eastus2.instances.ml.azure.ms on port 443"
        )),
        "{:?}",
        f.remediation
    );
}

#[tokio::test]
async fn proxy_auth_records_every_scheme() {
    let r = lab("proxy-auth-required").await;
    let f = finding(&r, "proxy.auth-required");
    assert!(f.evidence[0].contains("407"), "{}", f.evidence[0]);
    assert!(f.evidence[0].contains("Proxy-Authenticate: Negotiate"));
    assert!(f.evidence[0].contains("Proxy-Authenticate: Basic realm=\"Contoso proxy\""));
    // The credentials placeholder survives the report's redaction.
    let out = tokio::task::spawn_blocking(|| {
        super::support::run(&["lab", "proxy-auth-required", "--format", "json"])
    })
    .await
    .unwrap();
    let report = super::support::json(&out);
    let fix = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "proxy.auth-required")
        .map(|f| f["remediation"].to_string())
        .unwrap();
    assert!(
        fix.contains("--proxy http://USER:PASSWORD@proxy.corp.lab.test:3128"),
        "{fix}"
    );
}

#[tokio::test]
async fn proxy_resolving_public_meets_the_private_link_403() {
    let r = lab("proxy-resolves-public").await;
    let f = finding(&r, "connect.public-endpoint-forbidden");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("HTTP 403") && e.contains("aml private-link denial")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn tls_inspection_names_the_issuer() {
    let r = lab("tls-inspection").await;
    let f = finding(&r, "connect.tls-intercepted");
    assert!(
        f.subject.contains("Contoso Corporate Inspection CA"),
        "{}",
        f.subject
    );
    assert!(f.evidence[0].contains("SHA-256"));
    assert_eq!(
        r.verdict,
        Verdict::Healthy,
        "a warning: the traffic still works"
    );
}

#[tokio::test]
async fn unreachable_private_endpoint_is_one_finding() {
    let r = lab("private-ip-unreachable").await;
    let f = finding(&r, "connect.unreachable");
    assert_eq!(f.subject, "10.0.0.4, 10.0.0.5");
    assert!(
        f.evidence.iter().all(|e| e.contains("Refused")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn edge_secure_dns_is_named_with_the_setting_to_change() {
    let r = lab("browser-doh-edge").await;
    let f = finding(&r, "browser.doh-enabled");
    assert_eq!(f.severity, pe_doctor::findings::Severity::Error);
    assert!(f.subject.starts_with("Edge"), "{}", f.subject);
    assert!(
        f.remediation[0].contains("Use secure DNS"),
        "{:?}",
        f.remediation
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("dns_over_https.mode = secure"))
    );
    // The browser's DoH server was really asked, and answered public.
    assert!(
        r.resolutions
            .iter()
            .any(|x| x.resolver.role == ResolverRole::BrowserDoh
                && x.class == pe_doctor::model::AddrClass::Public)
    );
    assert_eq!(r.browsers.len(), 1);
}

#[tokio::test]
async fn firefox_trr_dropping_private_answers() {
    let r = lab("firefox-trr").await;
    let f = finding(&r, "browser.trr-drops-private");
    assert_eq!(f.severity, pe_doctor::findings::Severity::Warning);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("network.trr.mode = 2"))
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("allow-rfc1918 = false"))
    );
}

#[tokio::test]
async fn vpn_down_names_the_route_and_the_missing_adapter() {
    let r = lab("vpn-down").await;
    let f = finding(&r, "vpn.not-detected");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("via wlan0") && e.contains("VPN-like interfaces up: none")),
        "{:?}",
        f.evidence
    );
    assert!(r.host.interfaces.iter().all(|i| !i.vpn_like));
    finding(&r, "connect.unreachable");
}

#[tokio::test]
async fn jump_box_is_recognised_from_dmi() {
    let r = lab("all-good-on-jump-box").await;
    let f = finding(&r, "host.azure-vm");
    assert_eq!(f.severity, pe_doctor::findings::Severity::Info);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("7783-7084-3265-9085-8269-3286-77")),
        "{:?}",
        f.evidence
    );
    assert!(r.host.azure_vm);
    assert_eq!(r.verdict, Verdict::Healthy);
}

async fn with_pac(source: &str) -> pe_doctor::report::model::Report {
    crate::support::use_built_pac_worker();
    let run = scenarios::setup("pac-sends-to-proxy", &LabOptions::default())
        .await
        .expect("setup");
    let mut config = run.config.clone();
    config.pac = Some(source.to_string());
    pe_doctor::diagnose::diagnose(&config, &run.host).await
}

#[tokio::test]
async fn missing_pac_is_pac_load_failed_and_traffic_goes_direct() {
    let r = with_pac("/nonexistent/proxy.pac").await;
    let f = finding(&r, "pac.load-failed");
    assert!(
        f.evidence[0].contains("/nonexistent/proxy.pac"),
        "{:?}",
        f.evidence
    );
    // Browsers fall back to DIRECT: the direct connections to the private endpoint work.
    assert!(
        r.connections
            .iter()
            .any(|c| c.reason.source == "pac" && c.http.as_ref().is_some_and(|h| h.status == 200))
    );
}

#[tokio::test]
async fn broken_and_hostile_pacs_are_pac_eval_failed_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        (
            "syntax.pac",
            "function FindProxyForURL(url, host) { return \"DIRECT\"; ",
        ),
        (
            "throws.pac",
            "function FindProxyForURL(url, host) { throw new Error('boom'); }",
        ),
        (
            "loop.pac",
            "function FindProxyForURL(url, host) { while (true) {} }",
        ),
        (
            "recursion.pac",
            "function f(n) { return f(n + 1); }\nfunction FindProxyForURL(url, host) { return f(0); }",
        ),
        (
            "not-a-string.pac",
            "function FindProxyForURL(url, host) { return 42; }",
        ),
        (
            "out-of-memory.pac",
            "function FindProxyForURL(url, host) { var s = 'xxxxxxxxxxxxxxxx'; \
             for (var i = 0; i < 30; i++) { s = s + s; } return 'DIRECT'; }",
        ),
        (
            "catastrophic-regex.pac",
            "function FindProxyForURL(url, host) { \
             /^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'); return 'DIRECT'; }",
        ),
    ] {
        // The memory cap is Linux's (RLIMIT_DATA); elsewhere this would grow unbounded.
        if name == "out-of-memory.pac" && !cfg!(target_os = "linux") {
            continue;
        }
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let started = std::time::Instant::now();
        let r = with_pac(path.to_str().unwrap()).await;
        let f = finding(&r, "pac.eval-failed");
        assert!(!f.evidence.is_empty(), "{name}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{name} took {:?}",
            started.elapsed()
        );
        assert!(
            !r.findings.iter().any(|f| f.id == "pac.not-direct"),
            "{name}"
        );
        let why = f.evidence.join("\n");
        match name {
            "out-of-memory.pac" => assert!(why.contains("out of memory"), "{why}"),
            "catastrophic-regex.pac" => assert!(why.contains("process was stopped"), "{why}"),
            "loop.pac" => assert!(why.contains("time limit"), "{why}"),
            _ => {}
        }
    }
}

/// Pastes `snippet` at the top of a corporate-style PAC that sends everything to a proxy and
/// evaluates it with the PAC engine: every affected name goes DIRECT, nothing else does (an
/// unrelated storage account, another region, the shared zones themselves).
fn assert_snippet_sends_only_these_direct(snippet: &str, affected: &[&str]) {
    let src = format!(
        "function FindProxyForURL(url, host) {{\n{snippet}\n  if (isPlainHostName(host) || dnsDomainIs(host, \".corp.contoso.com\"))\n    return \"DIRECT\";\n  return \"PROXY proxy.corp.contoso.com:8080\";\n}}\n"
    );
    let options = pac::PacOptions {
        host: std::sync::Arc::new(pac::StaticHost::new()),
        ..pac::PacOptions::default()
    };
    let script = pac::PacScript::compile(&src, options).unwrap();
    let first = |host: &str| {
        script
            .find_proxy_for_url(&format!("https://{host}/"))
            .unwrap()
            .directives
            .first()
            .cloned()
    };
    assert!(!affected.is_empty());
    for name in affected {
        assert_eq!(first(name), Some(pac::Directive::Direct), "{name}\n{src}");
    }
    for other in [
        "otherstore.blob.core.windows.net",
        "blob.core.windows.net",
        "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a69.workspace.westus.api.azureml.ms",
        "www.example.com",
        "login.microsoftonline.com",
        "api.azureml.ms",
    ] {
        assert!(
            matches!(first(other), Some(pac::Directive::Proxy { .. })),
            "{other} must still go to the proxy\n{src}"
        );
    }
}

#[tokio::test]
async fn tls_reset_is_one_finding_naming_both_endpoint_addresses() {
    let r = lab("tls-reset").await;
    assert_eq!(r.verdict, Verdict::Problems);
    let f = finding(&r, "connect.tls-failed");
    assert_eq!(f.subject, "10.0.0.4, 10.0.0.5");
    assert!(f.title.contains("resets the connection"), "{}", f.title);
    assert!(
        f.evidence
            .iter()
            .all(|e| e.contains("TLS failed: the server reset the connection")),
        "{:?}",
        f.evidence
    );
    // Every name the machine connects to directly is affected, each once.
    let mut names: Vec<&str> = f.affected.iter().map(|a| a.fqdn.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), r.targets.len());
}

#[tokio::test]
async fn storage_firewall_is_the_storage_section_and_the_pac_fix_names_the_exact_hosts() {
    let r = lab("storage-firewall").await;
    let f = finding(&r, "storage.firewall-denied");
    assert_eq!(f.section, pe_doctor::findings::Section::Storage);
    assert_eq!(
        f.subject,
        "contosomlstore.blob.core.windows.net, contosomlstore.file.core.windows.net"
    );
    assert!(
        f.evidence
            .iter()
            .all(|e| e.contains("through proxy proxy.corp.lab.test:3128")
                && e.contains("x-ms-error-code: AuthorizationFailure")),
        "{:?}",
        f.evidence
    );
    // Through a proxy: first send the account DIRECT, then the account's network settings.
    assert!(f.remediation[0].contains(
        "send contosomlstore.blob.core.windows.net, contosomlstore.file.core.windows.net DIRECT"
    ));
    assert!(f.remediation[1].contains("(contosomlstore) › Networking"));
    // The workspace's own names went DIRECT and answered 200: no private-link 403 blamed.
    assert!(
        r.findings
            .iter()
            .all(|f| f.id != "connect.public-endpoint-forbidden")
    );
    let pac = finding(&r, "pac.not-direct");
    assert_eq!(pac.section, pe_doctor::findings::Section::Storage);
    let snippet = pac.snippet.as_deref().unwrap();
    assert!(snippet.contains("host == \"contosomlstore.blob.core.windows.net\""));
    assert!(!snippet.contains("dnsDomainIs(host, \".blob.core.windows.net\")"));
    let affected: Vec<&str> = pac.affected.iter().map(|a| a.fqdn.as_str()).collect();
    assert_snippet_sends_only_these_direct(snippet, &affected);
}

/// A storage account without a private endpoint answers public everywhere: that is no DNS
/// fault, so no DNS finding blames the machine's DNS for it; the account's own 403 is the error.
#[tokio::test]
async fn storage_without_a_private_endpoint_blames_the_account_not_dns() {
    let r = lab("storage-no-private-endpoint").await;
    let storage = [
        "contosomlstore.blob.core.windows.net",
        "contosomlstore.file.core.windows.net",
    ];
    for f in r
        .findings
        .iter()
        .filter(|f| f.id.as_str().starts_with("dns."))
    {
        assert!(
            f.affected
                .iter()
                .all(|a| !storage.contains(&a.fqdn.as_str())),
            "{} blames DNS for storage: {:?}",
            f.id,
            f.affected
        );
    }
    let none = finding(&r, "target.no-private-endpoint");
    assert_eq!(none.severity, pe_doctor::findings::Severity::Info);
    assert_eq!(none.section, pe_doctor::findings::Section::Storage);
    let names: Vec<&str> = none.affected.iter().map(|a| a.fqdn.as_str()).collect();
    assert_eq!(names, storage);
    assert!(
        none.evidence
            .iter()
            .any(|e| e
                .contains("CNAME blob.bn9prdstr08a.store.core.windows.net → 20.60.1.10 (PUBLIC)")),
        "{:?}",
        none.evidence
    );
    assert!(
        none.detail.contains("`privatelink.blob.core.windows.net`"),
        "{}",
        none.detail
    );
    let fw = finding(&r, "storage.firewall-denied");
    assert!(
        fw.evidence
            .iter()
            .all(|e| e.contains("direct to 20.60.1.10")),
        "{:?}",
        fw.evidence
    );
    // Sent DIRECT (no proxy): no "send it DIRECT" step.
    assert!(
        fw.remediation[0].contains("(contosomlstore) › Networking"),
        "{:?}",
        fw.remediation
    );
}

#[tokio::test]
async fn every_finding_has_a_severity_its_id_allows_and_names_what_it_affects() {
    for s in scenarios::SCENARIOS {
        let (_, _, report) = ids_of(s.name).await;
        for f in &report.findings {
            assert!(
                f.id.severities().contains(&f.severity),
                "{}: {} is {:?}",
                s.name,
                f.id,
                f.severity
            );
            // Rules after DNS read these names; an error about names must carry them.
            let about_names = !matches!(
                f.id.as_str(),
                "host.azure-vm"
                    | "dns.azure-dns-unreachable"
                    | "os.doh-enabled"
                    | "proxy.unreachable"
                    | "proxy.auth-required"
                    | "pac.load-failed"
                    | "pac.eval-failed"
                    | "connect.tls-intercepted"
            );
            if about_names {
                assert!(!f.affected.is_empty(), "{}: {} names nothing", s.name, f.id);
            }
            // Info findings have nothing to fix.
            if f.severity == pe_doctor::findings::Severity::Info {
                assert!(f.remediation.is_empty(), "{}: {}", s.name, f.id);
            }
        }
    }
}

#[tokio::test]
async fn new_scenarios_give_their_verdicts_and_facts() {
    let r = lab("offline").await;
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(pe_doctor::app::exit_code(&r), 3);

    let r = lab("typo-workspace-id").await;
    assert_eq!(r.verdict, Verdict::Problems);
    let f = finding(&r, "target.not-found");
    assert!(
        f.affected
            .iter()
            .all(|a| a.fqdn.contains(scenarios::MISTYPED_WORKSPACE_ID))
    );
    assert_eq!(
        finding(&r, "doh.public-answer").severity,
        pe_doctor::findings::Severity::Info
    );

    let r = lab("zone-not-linked").await;
    let f = finding(&r, "dns.zone-not-linked");
    assert!(f.remediation[0].contains("`privatelink.api.azureml.ms`"));
    // The public endpoint's 403 is the same root cause: not a second finding.
    assert!(
        r.findings
            .iter()
            .all(|f| f.id != "connect.public-endpoint-forbidden")
    );

    let r = lab("pe-pending").await;
    let f = finding(&r, "pe.connection-not-approved");
    assert!(f.title.contains("Pending"));
    assert_eq!(f.subject, "pe-contoso-ml-conn");
    // The endpoint passes no traffic, and that is explained by the pending connection.
    assert!(r.connections.iter().any(|c| c.failure.is_some()));

    let r = lab("vpn-no-dns").await;
    assert_eq!(finding(&r, "vpn.dns-not-pushed").subject, "tun0");

    let r = lab("subnet-overlap").await;
    let f = finding(&r, "net.subnet-overlap");
    assert!(f.title.contains("eth0"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("10.0.0.0/24 dev eth0"))
    );
}

/// Masks what changes from run to run (times, ports, temporary paths, fingerprints).
#[cfg(target_os = "linux")]
fn mask(v: &mut serde_json::Value) {
    use serde_json::Value;
    let ports = regex_lite::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let tmp = regex_lite::Regex::new(r"/tmp/\.tmp[A-Za-z0-9]+").unwrap();
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k.ends_with("_ms") && x.is_number() {
                    *x = Value::from(0);
                } else if k == "started_at" || k == "sha256" || k == "version" {
                    *x = Value::from("MASKED");
                } else {
                    mask(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        Value::String(s) => {
            let masked = ports.replace_all(s, "127.0.0.1:PORT");
            *s = tmp.replace_all(&masked, "/tmp/TMP").into_owned();
        }
        _ => {}
    }
}

/// The golden report is a Linux run: its host section (`os`) and the commands in its fix texts
/// are this machine's, so other platforms compare nothing here.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn json_report_v1_is_pinned_by_a_golden_file() {
    let r = lab("vpn-no-dns").await;
    let mut json = serde_json::to_value(&r).unwrap();
    mask(&mut json);
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/golden/report-v1-vpn-no-dns.json"
    );
    if std::env::var("PE_DOCTOR_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        std::fs::write(path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect(
        "golden file (regenerate with PE_DOCTOR_UPDATE_GOLDEN=1 after a deliberate change)",
    );
    assert_eq!(json["schema"], "pe-doctor/report/v1");
    assert_eq!(
        text, golden,
        "the v1 JSON report changed; if deliberate, regenerate with PE_DOCTOR_UPDATE_GOLDEN=1"
    );
}

fn text_of(r: &pe_doctor::report::model::Report) -> String {
    let mut buf = Vec::new();
    pe_doctor::report::render(r, pe_doctor::cli::Format::Text, false, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[tokio::test]
async fn counts_and_tables_agree() {
    for name in [
        "stale-hosts-entry",
        "browser-doh-edge",
        "healthy",
        "vpn-down",
    ] {
        let r = lab(name).await;
        let text = text_of(&r);
        let header = text.lines().next().unwrap();
        let rows = text
            .lines()
            .skip_while(|l| !l.starts_with("NAME"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .count();
        assert!(
            header.contains(&format!("· {rows} names ·")),
            "{name}: header {header:?} vs {rows} rows\n{text}"
        );
        // The tally counts the answers the table shows (every resolver asks every name here).
        let total = rows * r.resolvers.len();
        assert!(
            text.contains(&format!(" of {total} answers were private")),
            "{name}: {total} cells\n{text}"
        );
        // A finding title that counts names counts the rows it stands for.
        for f in &r.findings {
            if let Some(n) = f
                .title
                .split(" (")
                .nth(1)
                .and_then(|x| x.strip_suffix(" names)"))
            {
                assert!(n.parse::<usize>().unwrap() <= rows, "{name}: {}", f.title);
            }
        }
        // Each alternative spelling at most once, and PATH rows (a name line and its indented
        // continuation lines) are unique.
        let mut paths: Vec<String> = Vec::new();
        for l in text
            .lines()
            .skip_while(|l| !l.starts_with("PATH"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
        {
            match paths.last_mut() {
                Some(row) if l.starts_with(' ') => row.push_str(l),
                _ => paths.push(l.to_string()),
            }
        }
        let mut unique = paths.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            paths.len(),
            "{name}: doubled PATH rows\n{text}"
        );
        // Info findings never say "Nothing to fix".
        assert!(!text.contains("Nothing to fix"), "{name}");
    }
    // The wrong private IP is marked wrong.
    let text = text_of(&lab("stale-hosts-entry").await);
    assert!(text.contains("10.0.0.99 ✗"), "{text}");
    // The jump-box note does not send the user to the VM they are on.
    let r = lab("all-good-on-jump-box").await;
    let f = finding(&r, "host.azure-vm");
    assert!(
        f.remediation
            .iter()
            .all(|s| !s.contains("Connect to this VM"))
    );
    assert!(!text_of(&r).contains("Connect to this VM"));
}
