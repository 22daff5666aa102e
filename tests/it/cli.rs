//! The command line end to end: real lab DNS servers on loopback, the real binary.

use super::support::{finding_ids, json, run};
use pe_doctor::lab::dns_server::{Behavior, LabDnsServer, ServerOptions};
use pe_doctor::lab::world;
use std::time::{Duration, Instant};

fn ws_args() -> Vec<String> {
    vec![
        "diagnose".into(),
        "--workspace-id".into(),
        world::WORKSPACE_ID.into(),
        "--region".into(),
        world::REGION.into(),
        "--no-doh".into(),
        "--no-host-dns".into(),
        "--no-connect".into(),
        "--loopback-only".into(),
        "--format".into(),
        "json".into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn diagnose_flags_against_lab_servers() {
    let targets = world::targets();
    let public = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions::answer(world::public_view(&targets)),
    )
    .await
    .unwrap();
    let azure = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions::answer(world::private_view(&targets)),
    )
    .await
    .unwrap();
    let mut args = ws_args();
    args.extend([
        "--system-resolver".into(),
        public.addr().to_string(),
        "--azure-dns".into(),
        azure.addr().to_string(),
    ]);
    let out = tokio::task::spawn_blocking(move || run(&strs(&args)))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["schema"], "pe-doctor/report/v1");
    assert_eq!(report["verdict"], "problems");
    // No configured servers (--no-host-dns): the system's upstream is the one not forwarding.
    assert_eq!(
        finding_ids(&report),
        vec!["dns.custom-server-not-forwarding"]
    );
    let res = report["resolutions"].as_array().unwrap();
    assert!(
        res.iter()
            .any(|r| r["resolver"]["role"] == "azure-dns" && r["class"] == "private")
    );
    assert!(
        res.iter()
            .any(|r| r["resolver"]["role"] == "system" && r["class"] == "public")
    );
}

#[tokio::test]
async fn expected_ips_from_fqdn_flag_detect_wrong_private_ip() {
    let targets = world::targets();
    let private = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions::answer(world::private_view(&targets)),
    )
    .await
    .unwrap();
    let ws = targets[0].fqdn.clone();
    let args = vec![
        "diagnose".to_string(),
        "--fqdn".into(),
        format!("{ws}=10.9.9.9"),
        "--system-resolver".into(),
        private.addr().to_string(),
        "--azure-dns".into(),
        private.addr().to_string(),
        "--no-doh".into(),
        "--no-host-dns".into(),
        "--no-connect".into(),
        "--loopback-only".into(),
        "--format".into(),
        "json".into(),
    ];
    let out = tokio::task::spawn_blocking(move || run(&strs(&args)))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(finding_ids(&json(&out)), vec!["dns.wrong-private-ip"]);
}

#[tokio::test]
async fn black_holed_everything_reports_within_the_timeout() {
    let hole = || ServerOptions {
        behavior: Behavior::BlackHole,
        latency: Duration::ZERO,
        truncate_udp: false,
    };
    let sys = LabDnsServer::spawn([127, 0, 0, 1].into(), hole())
        .await
        .unwrap();
    let azure = LabDnsServer::spawn([127, 0, 0, 1].into(), hole())
        .await
        .unwrap();
    let mut args = ws_args();
    args.extend([
        "--system-resolver".into(),
        sys.addr().to_string(),
        "--azure-dns".into(),
        azure.addr().to_string(),
        "--timeout".into(),
        "1500ms".into(),
    ]);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || run(&strs(&args)))
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "inconclusive");
    let report = json(&out);
    assert_eq!(report["verdict"], "inconclusive");
    // Every question is in the report, recorded as a timeout.
    let res = report["resolutions"].as_array().unwrap();
    assert_eq!(res.len(), 2 * 2);
    assert!(res.iter().all(|r| r["status"] == "timeout"));
    assert!(took < Duration::from_millis(1500 + 1500), "took {took:?}");
}

#[test]
fn malformed_settings_file_exits_2_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pe.toml");
    std::fs::write(&path, "region = \"eastus2\"\nworkspace-id = [\n").unwrap();
    let out = run(&[
        "diagnose",
        "--config",
        path.to_str().unwrap(),
        "--loopback-only",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pe.toml:"), "{err}");
    assert!(err.contains(":2:") || err.contains(":3:"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&[
        "diagnose",
        "--fqdn",
        "a.example",
        "--timeout",
        "soon",
        "--loopback-only",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
    let out = run(&["diagnose", "--loopback-only"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["lab", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lab_list_and_output_file() {
    let out = run(&["lab", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "healthy",
        "custom-dns-no-forwarder",
        "missing-a-record",
        "doh-leak",
        "vpn-dns-not-applied",
        "stale-hosts-entry",
    ] {
        assert!(text.contains(name), "{name} missing from --list");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = run(&[
        "lab",
        "custom-dns-no-forwarder",
        "--format",
        "json",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(report["verdict"], "problems");
}

#[test]
fn text_report_leads_with_the_problem_and_its_fix() {
    let out = run(&["lab", "custom-dns-no-forwarder"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let problem = text.find("✗ PROBLEM").expect("problem line");
    let fix = text.find("Fix:").expect("fix");
    let matrix = text.find("NAME ").expect("matrix");
    assert!(
        problem < fix && fix < matrix,
        "answer first, evidence after:\n{text}"
    );
    assert!(!text.contains("\x1b["), "NO_COLOR honoured");
}

#[tokio::test]
async fn expected_state_file_drives_the_verdict() {
    let targets = world::targets();
    let private = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions::answer(world::private_view(&targets)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The endpoint was recreated: az now says 10.0.0.7, DNS still answers 10.0.0.4.
    let expected = dir.path().join("pe.json");
    let ws = &targets[0].fqdn;
    std::fs::write(
        &expected,
        format!("{{\"properties\": {{\"customDnsConfigs\": [{{\"fqdn\": \"{ws}\", \"ipAddresses\": [\"10.0.0.7\"]}}]}}}}"),
    )
    .unwrap();
    let args = vec![
        "diagnose".to_string(),
        "--expected".into(),
        expected.display().to_string(),
        "--system-resolver".into(),
        private.addr().to_string(),
        "--azure-dns".into(),
        private.addr().to_string(),
        "--no-doh".into(),
        "--no-host-dns".into(),
        "--no-connect".into(),
        "--loopback-only".into(),
        "--format".into(),
        "json".into(),
    ];
    let out = tokio::task::spawn_blocking(move || run(&strs(&args)))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(finding_ids(&report), vec!["dns.wrong-private-ip"]);
    assert_eq!(report["targets"][0]["expected_ips"][0], "10.0.0.7");

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "[\n  {\"FQDNs\": [\"a.example\"],\n   \"IPAddress\": \"10.0.0.1\",,}\n]\n",
    )
    .unwrap();
    let out = run(&[
        "diagnose",
        "--expected",
        bad.to_str().unwrap(),
        "--no-doh",
        "--no-host-dns",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json:3:"), "{err}");
}

#[test]
fn unreadable_ca_file_exits_2_naming_it() {
    let out = run(&[
        "diagnose",
        "--fqdn",
        "a.example",
        "--ca-file",
        "/nonexistent/corp-root.pem",
        "--loopback-only",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/corp-root.pem"), "{err}");
}

#[tokio::test]
async fn save_raw_writes_facts_and_an_index() {
    let targets = world::targets();
    let dns = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions::answer(world::private_view(&targets)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("captures").join("laptop-1");
    let mut args = ws_args();
    args.extend([
        "--system-resolver".into(),
        dns.addr().to_string(),
        "--azure-dns".into(),
        dns.addr().to_string(),
        "--timeout".into(),
        "3s".into(),
        "--save-raw".into(),
        raw.to_str().unwrap().into(),
    ]);
    let out = run(&strs(&args));
    let report = json(&out);
    assert!(report["verdict"].is_string());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("parsed facts written to"), "{err}");
    let facts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(raw.join("facts.json")).unwrap()).unwrap();
    assert_eq!(facts["os"], std::env::consts::OS);
    assert!(facts["dns_servers"].is_array());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(raw.join("captures.json")).unwrap()).unwrap();
    // Every capture listed in the index is a file in the folder.
    for c in index.as_array().unwrap() {
        assert!(raw.join(c["file"].as_str().unwrap()).is_file(), "{c}");
    }

    // A folder that cannot be made is a usage error, before anything runs.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut args = ws_args();
    args.extend([
        "--fqdn".into(),
        "a.example".into(),
        "--save-raw".into(),
        file.join("sub").to_str().unwrap().into(),
    ]);
    let out = run(&strs(&args));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--save-raw"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
