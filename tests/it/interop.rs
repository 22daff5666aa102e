//! Interop: pe-doctor against DNS servers it did not write. Real unbound instances on loopback
//! serve the lab's views as authoritative zones (resolving CNAME chains across zones as a
//! corporate resolver does), and one of them is a real conditional forwarder — the fix
//! pe-doctor recommends. `#[ignore]`d where unbound may be missing; `.ci/test` with
//! PE_DOCTOR_INTEROP=1 (as `.ci/run` sets it, after installing unbound) runs them, and then a
//! missing unbound is a failure.

use super::support::{finding_ids, json, run};
use hickory_proto::rr::RecordType;
use pe_doctor::lab::dns_server::View;
use pe_doctor::lab::world;
use pe_doctor::probe::dns;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A real unbound on 127.0.0.1, stopped (by its PID) on drop.
struct Unbound {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // UDP and TCP on the same port: take a UDP port and hope TCP is free too (it almost always
    // is on loopback); unbound fails loudly otherwise and the start-up check below reports it.
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server_conf(dir: &Path, port: u16) -> String {
    format!(
        "server:\n  interface: 127.0.0.1@{port}\n  port: {port}\n  do-ip6: no\n  do-daemonize: no\n  \
         username: \"\"\n  chroot: \"\"\n  directory: \"{d}\"\n  pidfile: \"{d}/unbound.pid\"\n  \
         use-syslog: no\n  logfile: \"{d}/unbound.log\"\n  verbosity: 1\n  \
         access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n  \
         module-config: \"iterator\"\n  root-hints: \"\"\n",
        d = dir.display()
    )
}

async fn start(conf_tail: &str, files: &[(String, String)]) -> Unbound {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut conf = server_conf(dir.path(), port);
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    conf.push_str(&conf_tail.replace("{dir}", &dir.path().display().to_string()));
    let conf_path = dir.path().join("unbound.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let check = Command::new("unbound-checkconf").arg(&conf_path).output();
    if let Ok(c) = check {
        assert!(
            c.status.success(),
            "unbound-checkconf: {}",
            String::from_utf8_lossy(&c.stdout)
        );
    }
    let child = Command::new("unbound")
        .args(["-d", "-c"])
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("unbound is installed (apt-get install unbound)");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let ub = Unbound {
        child,
        addr,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let probe = dns::query(
            addr,
            "ns-check.lab.test",
            RecordType::A,
            Duration::from_millis(200),
        )
        .await;
        if probe.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "unbound on {addr} did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ub
}

/// An unbound that serves `view` as authoritative zones (used for resolution, not answered
/// authoritatively: it behaves as a resolver that knows these zones).
async fn serving(view: &View) -> Unbound {
    let mut tail = String::new();
    let mut files = Vec::new();
    for apex in view.apexes() {
        let file = format!("{apex}.zone");
        tail.push_str(&format!(
            "auth-zone:\n  name: \"{apex}.\"\n  zonefile: \"{{dir}}/{file}\"\n  for-downstream: no\n  \
             for-upstream: yes\n  fallback-enabled: no\n"
        ));
        files.push((file, view.zone_text(&apex)));
    }
    start(&tail, &files).await
}

/// An unbound with conditional forwarders for the public AML zones to `upstream`.
async fn forwarding(upstream: SocketAddr) -> Unbound {
    let mut tail = String::new();
    for zone in [
        "api.azureml.ms",
        "notebooks.azure.net",
        "instances.azureml.ms",
        "instances.ml.azure.ms",
    ] {
        tail.push_str(&format!(
            "forward-zone:\n  name: \"{zone}.\"\n  forward-addr: {}@{}\n",
            upstream.ip(),
            upstream.port()
        ));
    }
    start(&tail, &[]).await
}

async fn diagnose(system: SocketAddr, azure: SocketAddr) -> (Option<i32>, serde_json::Value) {
    let args: Vec<String> = vec![
        "diagnose".into(),
        "--workspace-id".into(),
        world::WORKSPACE_ID.into(),
        "--region".into(),
        world::REGION.into(),
        "--workspace-name".into(),
        world::WORKSPACE_NAME.into(),
        "--instance".into(),
        world::INSTANCE.into(),
        "--system-resolver".into(),
        system.to_string(),
        "--azure-dns".into(),
        azure.to_string(),
        "--no-doh".into(),
        "--no-host-dns".into(),
        "--no-connect".into(),
        "--loopback-only".into(),
        "--format".into(),
        "json".into(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    (out.status.code(), json(&out))
}

#[tokio::test]
#[ignore = "needs unbound; .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn unbound_conditional_forwarder_is_healthy() {
    let targets = world::targets();
    let azure = serving(&world::private_view(&targets)).await;
    let corp = forwarding(azure.addr).await;
    let (code, report) = diagnose(corp.addr, azure.addr).await;
    assert_eq!(finding_ids(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(code, Some(0));
    let res = report["resolutions"].as_array().unwrap();
    let ws = res
        .iter()
        .find(|r| {
            r["resolver"]["role"] == "system" && r["fqdn"].as_str().unwrap().contains(".workspace.")
        })
        .unwrap();
    assert_eq!(ws["addresses"][0], "10.0.0.4");
    assert_eq!(ws["chain"][0]["type"], "CNAME");
}

#[tokio::test]
#[ignore = "needs unbound; .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn unbound_without_forwarder_answers_public() {
    let targets = world::targets();
    let azure = serving(&world::private_view(&targets)).await;
    let corp = serving(&world::public_view(&targets)).await;
    let (code, report) = diagnose(corp.addr, azure.addr).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        finding_ids(&report),
        vec!["dns.custom-server-not-forwarding"],
        "{report:#}"
    );
}

#[tokio::test]
#[ignore = "needs unbound; .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
async fn unbound_zone_without_the_record_is_nxdomain() {
    let targets = world::targets();
    let mut broken = world::private_view(&targets);
    for t in targets
        .iter()
        .filter(|t| t.kind == pe_doctor::targets::TargetKind::Notebooks)
    {
        if let Some(pl) = world::private_name(t) {
            broken.remove(&pl);
        }
    }
    let azure = serving(&broken).await;
    let corp = forwarding(azure.addr).await;
    let (code, report) = diagnose(corp.addr, azure.addr).await;
    assert_eq!(code, Some(1));
    assert_eq!(finding_ids(&report), vec!["dns.nxdomain"], "{report:#}");
}
