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
    // A note has nothing to fix.
    assert!(info.remediation.is_empty(), "{info:?}");
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

// ---------------------------------------------------------------------------------------------
// Against real peers: dnsmasq and dnsdist on 127.0.0.1 high ports, real routing tables and a
// bind-mounted /etc/hosts inside `unshare -nm`. dnsmasq (dnsmasq-base), dnsdist, iproute2 and
// util-linux are installed by .ci/run; the tests are #[ignore]d with the reason, .ci/test runs
// them (PE_DOCTOR_INTEROP=1), and then a missing peer fails the test.

use super::support::{bin, finding_ids, json, run};
use pe_doctor::lab::dns_server::View as LabView;
use std::process::{Child, Command, Stdio};

/// A free UDP port on 127.0.0.1 (TCP on the same port is almost always free too).
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The dnsmasq command line serving `view` on 127.0.0.1:`port`, logging to `log`.
fn dnsmasq_cmd(port: u16, view: &LabView, log: &std::path::Path) -> Vec<String> {
    let mut args = vec![
        "dnsmasq".to_string(),
        "--keep-in-foreground".into(),
        "--conf-file=/dev/null".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        "--bind-interfaces".into(),
        "--listen-address=127.0.0.1".into(),
        format!("--port={port}"),
        format!("--pid-file={}.pid", log.display()),
        format!("--log-facility={}", log.display()),
        "--user=root".into(),
        "--group=root".into(),
    ];
    args.extend(view.dnsmasq_args());
    args
}

/// A real dnsmasq on 127.0.0.1, stopped (by its PID) on drop.
struct Dnsmasq {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn dnsmasq(view: &LabView) -> Dnsmasq {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cmd = dnsmasq_cmd(port, view, &dir.path().join("dnsmasq.log"));
    let child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq is installed (apt-get install dnsmasq-base)");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let server = Dnsmasq {
        child,
        addr,
        _dir: dir,
    };
    wait_answering(addr, "dnsmasq").await;
    server
}

async fn wait_answering(addr: SocketAddr, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let probe = pe_doctor::probe::dns::query(
            addr,
            "ready.check.lab.test",
            hickory_proto::rr::RecordType::A,
            Duration::from_millis(200),
        )
        .await;
        if probe.is_ok() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what} on {addr} did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A real dnsdist on 127.0.0.1 whose only backend is down: it answers SERVFAIL, as a forwarder
/// that cannot reach its upstream does.
struct Dnsdist {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Dnsdist {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn dnsdist_without_upstream() -> Dnsdist {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("dnsdist.conf");
    std::fs::write(
        &conf,
        format!(
            "setLocal('127.0.0.1:{port}')\nsetSecurityPollSuffix('')\nsetServFailWhenNoServer(true)\n\
             newServer({{address='127.0.0.1:{}'}}):setDown()\n",
            free_port()
        ),
    )
    .unwrap();
    let child = Command::new("dnsdist")
        .args(["--supervised", "--disable-syslog", "-C"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsdist is installed (apt-get install dnsdist)");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let server = Dnsdist {
        child,
        addr,
        _dir: dir,
    };
    wait_answering(addr, "dnsdist").await;
    server
}

fn lab_args() -> Vec<String> {
    vec![
        "diagnose".into(),
        "--workspace-id".into(),
        world::WORKSPACE_ID.into(),
        "--region".into(),
        world::REGION.into(),
        "--workspace-name".into(),
        world::WORKSPACE_NAME.into(),
        "--instance".into(),
        world::INSTANCE.into(),
    ]
}

async fn run_json(args: Vec<String>) -> (Option<i32>, serde_json::Value) {
    let out = tokio::task::spawn_blocking(move || {
        let mut a = args;
        a.extend(["--format".into(), "json".into()]);
        run(&a.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    (out.status.code(), json(&out))
}

fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id}: {report:#}"))
}

fn affected(f: &serde_json::Value) -> Vec<&str> {
    f["affected"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["fqdn"].as_str())
        .collect()
}

fn ws_fqdn() -> String {
    format!(
        "{}.workspace.{}.api.azureml.ms",
        world::WORKSPACE_ID,
        world::REGION
    )
}

/// Runs pe-doctor inside `unshare -nm`: lo up, `setup` (ip commands), `files` bind-mounted over
/// their paths, dnsmasq instances started in the namespace, then `args`. Returns the exit code,
/// the JSON report and the text report of the same run configuration.
fn in_namespace(
    setup: &str,
    files: &[(&str, String)],
    dnsmasqs: &[(u16, LabView)],
    args: &[String],
) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut script = String::from("set -e\nip link set lo up\n");
    script.push_str(setup);
    script.push('\n');
    for (i, (target, text)) in files.iter().enumerate() {
        let f = dir.path().join(format!("file{i}"));
        std::fs::write(&f, text).unwrap();
        script.push_str(&format!("mount --bind '{}' '{target}'\n", f.display()));
    }
    let mut pids = Vec::new();
    for (i, (port, view)) in dnsmasqs.iter().enumerate() {
        let log = dir.path().join(format!("dnsmasq{i}.log"));
        let cmd = dnsmasq_cmd(*port, view, &log);
        let quoted: Vec<String> = cmd.iter().map(|a| format!("'{a}'")).collect();
        script.push_str(&format!(
            "{} >/dev/null 2>&1 &\npid{i}=$!\nfor n in $(seq 1 100); do grep -q started '{}' 2>/dev/null && break; sleep 0.05; done\n",
            quoted.join(" "),
            log.display()
        ));
        pids.push(format!("$pid{i}"));
    }
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let report = dir.path().join("report.json");
    let text = dir.path().join("report.txt");
    script.push_str(&format!(
        "set +e\n'{bin}' {a} --format text --output '{t}'\n'{bin}' {a} --format json --output '{r}'\ncode=$?\n",
        bin = bin(),
        a = quoted.join(" "),
        t = text.display(),
        r = report.display(),
    ));
    if !pids.is_empty() {
        script.push_str(&format!("kill {}\n", pids.join(" ")));
    }
    script.push_str("exit $code\n");
    let out = Command::new("unshare")
        .args(["-nm", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux) is installed");
    let code = out.status.code().unwrap_or(-1);
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).unwrap_or_else(|_| {
            panic!(
                "no report (exit {code}; needs root for unshare -nm):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let json: serde_json::Value = serde_json::from_str(&read(&report)).expect("json report");
    (code, json, read(&text))
}

fn sorted_ids(report: &serde_json::Value) -> Vec<String> {
    finding_ids(report)
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[test]
fn offline_machine_is_one_net_offline_finding_and_no_dns_blame() {
    // Only loopback, and the machine's resolver is an address nothing routes to.
    let resolv = "nameserver 10.255.0.1\noptions timeout:1 attempts:1\n".to_string();
    let mut args = lab_args();
    args.extend(["--azure-dns", "10.255.0.2", "--no-doh", "--timeout", "5s"].map(String::from));
    let (code, report, text) = in_namespace(
        "",
        &[
            ("/etc/resolv.conf", resolv),
            ("/etc/hosts", "127.0.0.1 localhost\n".into()),
        ],
        &[],
        &args,
    );
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(sorted_ids(&report), vec!["net.offline"], "{report:#}");
    assert_eq!(report["verdict"], "inconclusive");
    // getaddrinfo's temporary failure is typed, and is not SERVFAIL.
    let system: Vec<&serde_json::Value> = report["resolutions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resolver"]["role"] == "system")
        .collect();
    assert!(!system.is_empty());
    for r in &system {
        assert_eq!(r["status"], "error", "{r:#}");
        assert_eq!(r["failure"], "try-again", "{r:#}");
    }
    assert!(
        text.contains("This machine has no network connection"),
        "{text}"
    );
    let all = format!("{report}{text}");
    for debug in ["LookupError", "kind: Again", "Os {", "Custom {"] {
        assert!(
            !all.contains(debug),
            "Rust debug text {debug:?} in a report"
        );
    }
    assert!(!text.contains("check the VPN"), "{text}");
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[test]
fn hosts_entry_with_a_public_address_is_the_cause_with_file_and_line() {
    let targets = world::targets();
    let ws = ws_fqdn();
    let mut args = lab_args();
    args.extend(
        [
            "--azure-dns",
            "127.0.0.1:53",
            "--no-doh",
            "--no-host-dns",
            "--no-connect",
        ]
        .map(String::from),
    );
    let (code, report, text) = in_namespace(
        "",
        &[
            (
                "/etc/resolv.conf",
                "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n".into(),
            ),
            ("/etc/nsswitch.conf", "hosts: files dns\n".into()),
            (
                "/etc/hosts",
                format!("127.0.0.1 localhost\n20.41.5.7 {ws}\n"),
            ),
        ],
        &[(53, world::private_view(&targets))],
        &args,
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(sorted_ids(&report), vec!["dns.public-answer"], "{report:#}");
    let f = finding(&report, "dns.public-answer");
    assert!(
        f["title"].as_str().unwrap().contains("/etc/hosts line 2"),
        "{f:#}"
    );
    assert!(f["title"].as_str().unwrap().contains("20.41.5.7"), "{f:#}");
    assert_eq!(affected(f), vec![ws.as_str()]);
    assert!(!text.contains("VPN's DNS"), "{text}");
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn azure_dns_in_use_answering_public_is_zone_not_linked() {
    let targets = world::targets();
    let azure = dnsmasq(&world::public_view(&targets)).await;
    let mut args = lab_args();
    let a = azure.addr.to_string();
    args.extend(
        [
            "--system-resolver",
            &a,
            "--azure-dns",
            &a,
            "--no-doh",
            "--no-host-dns",
            "--no-connect",
            "--loopback-only",
        ]
        .map(String::from),
    );
    let (code, report) = run_json(args.clone()).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        sorted_ids(&report),
        vec!["dns.zone-not-linked"],
        "{report:#}"
    );
    let f = finding(&report, "dns.zone-not-linked");
    let first = f["remediation"][0].as_str().unwrap();
    assert!(first.starts_with("Link the private DNS zone"), "{first}");
    // The zones come from the public chain the server answered.
    assert!(first.contains("`privatelink.api.azureml.ms`"), "{first}");
    assert!(
        first.contains("`privatelink.notebooks.azure.net`"),
        "{first}"
    );
    assert!(!first.contains("conditional forwarder"), "{first}");

    // The same server answering NXDOMAIN for everything (a linked zone without these records,
    // or none of the right zone) is the same cause.
    let mut empty = LabView::new();
    for z in [
        "azureml.ms",
        "azure.ms",
        "azure.net",
        "azure.com",
        "windows.net",
    ] {
        empty.zone(z);
    }
    let nx = dnsmasq(&empty).await;
    let n = nx.addr.to_string();
    let args: Vec<String> = args
        .into_iter()
        .map(|x| if x == a { n.clone() } else { x })
        .collect();
    let (code, report) = run_json(args).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        sorted_ids(&report),
        vec!["dns.zone-not-linked"],
        "{report:#}"
    );
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn a_public_chain_without_privatelink_is_no_private_endpoint_not_a_dns_fault() {
    // dnsmasq serves the public internet's view; the storage account has no private endpoint,
    // so its chain goes straight to the storage front end.
    let targets = world::targets();
    let mut view = world::public_view(&targets);
    let storage: Vec<String> = targets
        .iter()
        .filter(|t| t.fqdn.contains(".core.windows.net"))
        .map(|t| t.fqdn.clone())
        .collect();
    assert_eq!(storage.len(), 2, "{targets:?}");
    for s in &storage {
        if let Some(pl) = world::privatelink_name(s) {
            view.remove(&pl);
        }
        view.remove(s)
            .cname(s, "blob.bn9prdstr08a.store.core.windows.net")
            .addr(
                "blob.bn9prdstr08a.store.core.windows.net",
                "20.60.1.10".parse().unwrap(),
            );
    }
    let dns = dnsmasq(&view).await;
    // Off Azure, Azure DNS (here a second dnsmasq) sees the same public view.
    let azure = dnsmasq(&view).await;
    let mut args = lab_args();
    let a = dns.addr.to_string();
    let z = azure.addr.to_string();
    args.extend(
        [
            "--storage-account",
            world::STORAGE_ACCOUNT,
            "--system-resolver",
            &a,
            "--dns-server",
            &a,
            "--azure-dns",
            &z,
            "--no-doh",
            "--no-host-dns",
            "--no-connect",
            "--loopback-only",
        ]
        .map(String::from),
    );
    let (code, report) = run_json(args).await;
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(
        sorted_ids(&report),
        vec!["dns.public-answer", "target.no-private-endpoint"],
        "{report:#}"
    );
    // The workspace's names (privatelink chain) are a DNS fault; the storage names are not.
    let public = affected(finding(&report, "dns.public-answer"));
    assert!(public.contains(&ws_fqdn().as_str()), "{public:?}");
    assert!(
        storage.iter().all(|s| !public.contains(&s.as_str())),
        "{public:?}"
    );
    let none = finding(&report, "target.no-private-endpoint");
    assert_eq!(none["severity"], "info");
    assert_eq!(
        affected(none),
        storage.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        none["evidence"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .contains("CNAME blob.bn9prdstr08a.store.core.windows.net → 20.60.1.10 (PUBLIC)")),
        "{none:#}"
    );
}

/// A public DoH resolver (the lab's RFC 8484 front end, `doh.public.test`) on loopback in front
/// of `upstream`, trusted through its own test CA.
struct PublicDoh {
    server: pe_doctor::lab::doh_server::DohServer,
    ca_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl PublicDoh {
    async fn start(upstream: SocketAddr) -> Self {
        let ca = pe_doctor::lab::tls::LabCa::new("test root").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.ca_pem()).unwrap();
        let tls = pe_doctor::lab::tls::LabCa::server_config(
            ca.issue(&["doh.public.test"]).unwrap(),
            &[b"h2", b"http/1.1"],
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = pe_doctor::lab::doh_server::spawn(listener, tls, upstream, Duration::ZERO)
            .await
            .unwrap();
        PublicDoh {
            server,
            ca_path,
            _dir: dir,
        }
    }

    /// The flags that make pe-doctor ask it: `--doh`, `--connect-to` its port, `--ca-file`.
    fn flags(&self) -> Vec<String> {
        vec![
            "--doh".into(),
            "https://doh.public.test/dns-query".into(),
            "--connect-to".into(),
            format!(
                "doh.public.test:443=127.0.0.1:{}",
                self.server.local_addr().port()
            ),
            "--ca-file".into(),
            self.ca_path.display().to_string(),
        ]
    }
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn a_name_that_exists_nowhere_is_target_not_found() {
    let targets = world::targets();
    let corp = dnsmasq(&world::private_view(&targets)).await;
    let public = dnsmasq(&world::public_view(&targets)).await;
    // A public DoH resolver (the lab's RFC 8484 front end) in front of the public dnsmasq.
    let doh = PublicDoh::start(public.addr).await;
    let c = corp.addr.to_string();
    let mut args = vec![
        "diagnose".to_string(),
        "--workspace-id".into(),
        "7c2e9d41-3b8a-4f0e-9c61-2d5e8b0a5a96".into(),
        "--region".into(),
        world::REGION.into(),
        "--system-resolver".into(),
        c.clone(),
        "--azure-dns".into(),
        c,
    ];
    args.extend(doh.flags());
    args.extend(["--no-host-dns", "--no-connect", "--loopback-only"].map(String::from));
    let (code, report) = run_json(args).await;
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(sorted_ids(&report), vec!["target.not-found"], "{report:#}");
    let f = finding(&report, "target.not-found");
    assert!(
        f["remediation"][0]
            .as_str()
            .unwrap()
            .starts_with("Check the workspace ID, region and name"),
        "{f:#}"
    );
    // The public resolver really answered NXDOMAIN over DoH.
    assert!(
        report["resolutions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resolver"]["transport"] == "doh" && r["status"] == "nxdomain")
    );
}

fn expected_file(dir: &std::path::Path, status: &str, with_zone_group: bool) -> String {
    let pe = format!(
        r#"{{"name":"pe-contoso-ml","customDnsConfigs":[
          {{"fqdn":"{ws}","ipAddresses":["10.0.0.4"]}},
          {{"fqdn":"ml-contoso-ml-eastus2-{id}.eastus2.notebooks.azure.net","ipAddresses":["10.0.0.5"]}}],
          "privateLinkServiceConnections":[{{"name":"pe-contoso-ml-conn","groupIds":["amlworkspace"],
            "privateLinkServiceConnectionState":{{"status":"{status}","description":""}}}}],
          "manualPrivateLinkServiceConnections":[]}}"#,
        ws = ws_fqdn(),
        id = world::WORKSPACE_ID
    );
    let text = if with_zone_group {
        let pl = ws_fqdn().replace(".api.azureml.ms", ".privatelink.api.azureml.ms");
        format!(
            r#"[{pe}, [{{"name":"default","privateDnsZoneConfigs":[{{"name":"privatelink-api-azureml-ms",
              "privateDnsZoneId":"/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms",
              "recordSets":[{{"fqdn":"{pl}","ipAddresses":["10.0.0.4"],"recordSetName":"x","recordType":"A","ttl":10}}]}}]}}]]"#
        )
    } else {
        pe
    };
    let path = dir.join("expected.json");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn pending_private_endpoint_connection_and_zone_group_gaps_from_az_json() {
    let targets = world::targets();
    let corp = dnsmasq(&world::private_view(&targets)).await;
    let dir = tempfile::tempdir().unwrap();
    let c = corp.addr.to_string();
    let base = |expected: String| {
        let mut args = lab_args();
        args.extend([
            "--system-resolver".into(),
            c.clone(),
            "--azure-dns".into(),
            c.clone(),
            "--expected".into(),
            expected,
        ]);
        args.extend(
            [
                "--no-doh",
                "--no-host-dns",
                "--no-connect",
                "--loopback-only",
            ]
            .map(String::from),
        );
        args
    };
    for status in ["Pending", "Rejected", "Disconnected"] {
        let (code, report) = run_json(base(expected_file(dir.path(), status, false))).await;
        assert_eq!(code, Some(1), "{status}: {report:#}");
        assert_eq!(
            sorted_ids(&report),
            vec!["pe.connection-not-approved"],
            "{status}: {report:#}"
        );
        let f = finding(&report, "pe.connection-not-approved");
        assert!(f["title"].as_str().unwrap().contains(status));
        assert!(affected(f).contains(&ws_fqdn().as_str()));
    }
    let (code, report) = run_json(base(expected_file(dir.path(), "Approved", false))).await;
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(sorted_ids(&report), Vec::<String>::new());
    // The zone group covers the workspace name but not the notebooks name.
    let (code, report) = run_json(base(expected_file(dir.path(), "Approved", true))).await;
    assert_eq!(code, Some(0), "a warning keeps exit 0: {report:#}");
    assert_eq!(
        sorted_ids(&report),
        vec!["pe.zone-group-missing"],
        "{report:#}"
    );
    let f = finding(&report, "pe.zone-group-missing");
    assert!(
        f["subject"]
            .as_str()
            .unwrap()
            .contains(".notebooks.azure.net")
    );
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn servfail_from_a_real_forwarder_names_the_server_without_tautology() {
    let targets = world::targets();
    let dd = dnsdist_without_upstream().await;
    let azure = dnsmasq(&world::private_view(&targets)).await;
    let mut args = lab_args();
    args.extend([
        "--system-resolver".into(),
        dd.addr.to_string(),
        "--azure-dns".into(),
        azure.addr.to_string(),
    ]);
    args.extend(
        [
            "--no-doh",
            "--no-host-dns",
            "--no-connect",
            "--loopback-only",
        ]
        .map(String::from),
    );
    let (code, report) = run_json(args).await;
    assert_eq!(code, Some(1));
    assert_eq!(sorted_ids(&report), vec!["dns.no-answer"], "{report:#}");
    let f = finding(&report, "dns.no-answer");
    assert_eq!(f["subject"], format!("system ({})", dd.addr.ip()));
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains(&dd.addr.ip().to_string())
    );
    assert!(
        !f["title"]
            .as_str()
            .unwrap()
            .contains("The DNS server this machine uses")
    );
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn unidentified_dns_server_is_described_not_repeated() {
    // getaddrinfo is the system resolver and no DNS server is known: the finding says what is
    // known instead of "the DNS server this machine uses (the DNS server this machine uses)".
    let targets = world::targets();
    let mut args = lab_args();
    args.extend(
        [
            "--azure-dns",
            "127.0.0.1:5300",
            "--no-doh",
            "--no-host-dns",
            "--no-connect",
        ]
        .map(String::from),
    );
    let (code, report, text) = in_namespace(
        "",
        &[
            (
                "/etc/resolv.conf",
                "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n".into(),
            ),
            ("/etc/nsswitch.conf", "hosts: files dns\n".into()),
            ("/etc/hosts", "127.0.0.1 localhost\n".into()),
        ],
        &[
            (53, world::public_view(&targets)),
            (5300, world::private_view(&targets)),
        ],
        &args,
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        sorted_ids(&report),
        vec!["dns.custom-server-not-forwarding"],
        "{report:#}"
    );
    let f = finding(&report, "dns.custom-server-not-forwarding");
    assert_eq!(
        f["subject"],
        "the DNS resolver your network (ISP, router or VPN) assigned"
    );
    assert!(!text.contains("uses (the DNS"), "{text}");
    assert!(
        !text.contains("(the DNS server this machine uses)"),
        "{text}"
    );
}

fn namespace_args(extra: &[&str]) -> Vec<String> {
    let mut args = lab_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--no-doh", "--no-host-dns", "--proxy", "none"].map(String::from));
    args
}

/// A veth pair whose far end stays in the namespace: `name` gets `cidr`, both ends up.
fn link(name: &str, cidr: &str) -> String {
    format!(
        "ip link add {name} type veth peer name {name}p\nip addr add {cidr} dev {name}\n\
         ip link set {name} up\nip link set {name}p up\n"
    )
}

fn home_wifi() -> String {
    format!(
        "{}ip route add default via 192.168.1.1\n",
        link("wlan0", "192.168.1.23/24")
    )
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[test]
fn vpn_route_without_the_vpns_dns_is_vpn_dns_not_pushed() {
    let targets = world::targets();
    // A point-to-site VPN (WireGuard-named adapter) carries 10.0.0.0/16; DNS stays with the
    // home router (public answers); the resolver inbound endpoint answers privately.
    let setup = format!(
        "{}{}ip route add 10.0.0.0/16 dev wg0\n",
        home_wifi(),
        link("wg0", "172.16.201.2/24")
    );
    let args = namespace_args(&[
        "--system-resolver",
        "127.0.0.1:5301",
        "--azure-dns",
        "127.0.0.1:5302",
        "--no-connect",
    ]);
    let (code, report, text) = in_namespace(
        &setup,
        &[],
        &[
            (5301, world::public_view(&targets)),
            (5302, world::private_view(&targets)),
        ],
        &args,
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        sorted_ids(&report),
        vec!["vpn.dns-not-pushed"],
        "{report:#}"
    );
    let f = finding(&report, "vpn.dns-not-pushed");
    assert_eq!(f["subject"], "wg0");
    assert!(
        f["remediation"][0]
            .as_str()
            .unwrap()
            .contains("Private Resolver inbound endpoint")
    );
    assert!(f["remediation"][1].as_str().unwrap().contains("re-import"));
    assert!(text.contains("wg0"), "{text}");
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[test]
fn home_lan_in_the_vnet_range_is_subnet_overlap() {
    let targets = world::targets();
    let setup = format!(
        "{}ip route add default via 10.0.0.1\n",
        link("eth0", "10.0.0.23/24")
    );
    let args = namespace_args(&[
        "--system-resolver",
        "127.0.0.1:5303",
        "--azure-dns",
        "127.0.0.1:5303",
        "--no-connect",
    ]);
    let (code, report, _) =
        in_namespace(&setup, &[], &[(5303, world::private_view(&targets))], &args);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        sorted_ids(&report),
        vec!["net.subnet-overlap"],
        "{report:#}"
    );
    let f = finding(&report, "net.subnet-overlap");
    assert!(f["title"].as_str().unwrap().contains("eth0"));
    assert!(f["evidence"][0].as_str().unwrap().contains("10.0.0.4"));
    assert!(affected(f).contains(&ws_fqdn().as_str()));
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[test]
fn vpn_not_detected_needs_a_failed_connection_on_the_default_route() {
    let targets = world::targets();
    // The private endpoint's addresses lead to a closed loopback port (connection refused).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let map4 = format!("10.0.0.4:443=127.0.0.1:{closed}");
    let map5 = format!("10.0.0.5:443=127.0.0.1:{closed}");
    let base = [
        "--system-resolver",
        "127.0.0.1:5304",
        "--azure-dns",
        "127.0.0.1:5304",
        "--connect-to",
        map4.as_str(),
        "--connect-to",
        map5.as_str(),
        "--timeout",
        "5s",
    ];
    let view = || vec![(5304, world::private_view(&targets))];

    // Home Wi-Fi, no VPN: the route is the default route and the connection failed.
    let (code, report, _) = in_namespace(&home_wifi(), &[], &view(), &namespace_args(&base));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        sorted_ids(&report),
        vec!["connect.unreachable", "vpn.not-detected"],
        "{report:#}"
    );

    // An office LAN whose router carries 10/8 (ExpressRoute / site-to-site): no VPN adapter is
    // needed, so no vpn.not-detected.
    let office = format!("{}ip route add 10.0.0.0/8 via 192.168.1.254\n", home_wifi());
    let (_, report, _) = in_namespace(&office, &[], &view(), &namespace_args(&base));
    assert_eq!(
        sorted_ids(&report),
        vec!["connect.unreachable"],
        "{report:#}"
    );

    // Without connection checks there is no evidence at all.
    let mut no_connect = base.to_vec();
    no_connect.push("--no-connect");
    let (code, report, _) = in_namespace(&home_wifi(), &[], &view(), &namespace_args(&no_connect));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(sorted_ids(&report), Vec::<String>::new(), "{report:#}");
}

#[ignore = "needs dnsmasq/dnsdist (and root for unshare -nm); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
#[tokio::test]
async fn healthy_machine_with_public_doh_is_healthy_with_a_note() {
    let targets = world::targets();
    let corp = dnsmasq(&world::private_view(&targets)).await;
    let public = dnsmasq(&world::public_view(&targets)).await;
    let doh = PublicDoh::start(public.addr).await;
    let c = corp.addr.to_string();
    let mut args = lab_args();
    args.extend([
        "--system-resolver".into(),
        c.clone(),
        "--azure-dns".into(),
        c,
    ]);
    args.extend(doh.flags());
    args.extend(["--no-host-dns", "--no-connect", "--loopback-only"].map(String::from));
    let (code, report) = run_json(args).await;
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "healthy");
    assert_eq!(sorted_ids(&report), vec!["doh.public-answer"]);
    let f = finding(&report, "doh.public-answer");
    assert_eq!(f["severity"], "info");
    assert_eq!(f["remediation"].as_array().unwrap().len(), 0);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "info")
    );
}
