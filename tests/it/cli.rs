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

/// Flags that point a diagnosis at a running lab scenario (what its config holds), with the
/// machine's own DNS, DoH and proxy settings left out.
fn lab_flags(run: &pe_doctor::lab::scenarios::LabRun) -> Vec<String> {
    use pe_doctor::config::SystemResolver;
    let c = &run.config;
    let mut a = Vec::new();
    if let SystemResolver::Server(addr) = c.system_resolver {
        a.extend(["--system-resolver".to_string(), addr.to_string()]);
    }
    a.extend(["--azure-dns".to_string(), c.azure_dns.to_string()]);
    for rule in &c.connect_to {
        let port = |p: Option<u16>| p.map(|p| p.to_string()).unwrap_or_default();
        let to = if rule.to_host.contains(':') {
            format!("[{}]", rule.to_host)
        } else {
            rule.to_host.clone()
        };
        a.extend([
            "--connect-to".to_string(),
            format!(
                "{}:{}={to}:{}",
                rule.host.clone().unwrap_or_default(),
                port(rule.port),
                port(rule.to_port)
            ),
        ]);
    }
    // The lab's CA, trusted as the OS store and standing for the public roots.
    let ca = run.dir.path().join("public-roots.pem");
    a.extend(["--ca-file".to_string(), ca.display().to_string()]);
    a.extend(["--public-roots".to_string(), ca.display().to_string()]);
    if let Some(h) = &c.hosts_file {
        a.extend(["--hosts-file".to_string(), h.display().to_string()]);
    }
    a.extend(
        [
            "--no-doh",
            "--no-host-dns",
            "--proxy",
            "none",
            "--loopback-only",
        ]
        .map(String::from),
    );
    a
}

async fn healthy_lab() -> pe_doctor::lab::scenarios::LabRun {
    pe_doctor::lab::scenarios::setup("healthy", &Default::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn workspace_url_runs_the_full_diagnosis_and_says_what_it_derived() {
    let lab = healthy_lab().await;
    // As copied from a browser, with a secret in the query.
    let url = format!(
        "https://{}.workspace.{}.api.azureml.ms/?sig=S3CRETSIG",
        world::WORKSPACE_ID,
        world::REGION
    );
    let mut args = vec!["diagnose".to_string(), url.clone()];
    args.extend(lab_flags(&lab));
    args.extend(["--format".into(), "json".into()]);
    let text_args: Vec<String> = args[..args.len() - 2].to_vec();
    let out = tokio::task::spawn_blocking(move || run(&strs(&args)))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["verdict"], "healthy");
    assert_eq!(report["workspace"]["id"], world::WORKSPACE_ID);
    assert_eq!(report["workspace"]["region"], world::REGION);
    let d = &report["derived_from"][0];
    assert_eq!(d["input"], url.replace("S3CRETSIG", "***").as_str());
    assert!(
        !out.stdout.windows(9).any(|w| w == b"S3CRETSIG"),
        "redacted"
    );
    assert_eq!(d["form"], "url");
    assert_eq!(d["found"]["workspace_id"], world::WORKSPACE_ID);
    assert_eq!(d["found"]["region"], world::REGION);
    // The workspace API and cert names were connected to, through TLS, to the lab endpoint.
    let conns = report["connections"].as_array().unwrap();
    assert!(conns.len() >= 2, "{conns:?}");
    let names: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["fqdn"].as_str())
        .collect();
    assert!(
        names.contains(
            &format!(
                "{}.workspace.eastus2.cert.api.azureml.ms",
                world::WORKSPACE_ID
            )
            .as_str()
        )
    );
    // The same in text and Markdown: a "derived from" line.
    for format in ["text", "markdown"] {
        let mut a = text_args.clone();
        a.extend(["--format".into(), format.into()]);
        let out = tokio::task::spawn_blocking(move || run(&strs(&a)))
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        // Text shortens GUIDs as everywhere in it; Markdown keeps them whole.
        let id = if format == "text" {
            "7c2e…5a69"
        } else {
            world::WORKSPACE_ID
        };
        assert!(
            text.contains(&format!("workspace ID {id}, region eastus2 ← URL https://")),
            "{format}: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.to_lowercase().contains("derived from"), "{format}");
    }
}

#[tokio::test]
async fn pasted_error_text_and_workspace_id_flag_given_a_url() {
    let lab = healthy_lab().await;
    let error = format!(
        "HttpResponseError: (UserError) 403 Forbidden\nGET https://{}.workspace.eastus2.api.azureml.ms/mlflow/v1.0/x\nCorrelation: 1d2e3f40-1111-4222-8333-944455556666",
        world::WORKSPACE_ID
    );
    for first in [
        vec!["diagnose".to_string(), error],
        vec![
            "diagnose".to_string(),
            "--workspace-id".into(),
            format!(
                "https://{}.workspace.eastus2.api.azureml.ms",
                world::WORKSPACE_ID
            ),
        ],
    ] {
        let mut args = first;
        args.extend(lab_flags(&lab));
        args.extend(["--no-connect".into(), "--format".into(), "json".into()]);
        let out = tokio::task::spawn_blocking(move || run(&strs(&args)))
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = json(&out);
        assert_eq!(report["workspace"]["id"], world::WORKSPACE_ID);
        assert_eq!(report["derived_from"][0]["found"]["region"], "eastus2");
    }
}

/// A shell script standing in for `az` (Unix: it is run through /bin/sh).
#[cfg(unix)]
fn fake_az(dir: &std::path::Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("az");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studio_link_gets_the_workspace_id_from_az() {
    let lab = healthy_lab().await;
    let sub = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let link = format!(
        "https://ml.azure.com/home?wsid=%2Fsubscriptions%2F{sub}%2Fresourcegroups%2Frg-ml%2Fproviders%2FMicrosoft.MachineLearningServices%2Fworkspaces%2F{}&tid=72f988bf-86f1-41af-91ab-2d7cd011db47",
        world::WORKSPACE_NAME
    );
    let bin_dir = tempfile::tempdir().unwrap();
    // Answers only the exact question pe-doctor must ask.
    fake_az(
        bin_dir.path(),
        &format!(
            "if [ \"$*\" = \"resource show --ids /subscriptions/{sub}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/{} --output json\" ]; then\n  echo '{{\"location\": \"eastus2\", \"properties\": {{\"workspaceId\": \"{}\"}}}}'\nelse\n  echo \"unexpected: $*\" >&2; exit 3\nfi",
            world::WORKSPACE_NAME,
            world::WORKSPACE_ID
        ),
    );
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let run_with = |extra: &[&str], path: String| {
        let mut args = vec!["diagnose".to_string(), link.clone()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(lab_flags(&lab));
        args.extend(["--no-connect".into(), "--format".into(), "json".into()]);
        std::process::Command::new(super::support::bin())
            .args(&args)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = run_with(&["--use-az"], path.clone());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert_eq!(report["workspace"]["id"], world::WORKSPACE_ID);
    assert_eq!(report["workspace"]["name"], world::WORKSPACE_NAME);
    let d = &report["derived_from"][0];
    assert_eq!(d["form"], "studio-link");
    assert_eq!(d["found"]["resource_group"], "rg-ml");
    assert!(
        d["notes"][0].as_str().unwrap().contains("az resource show"),
        "{d}"
    );
    // The notebooks name follows from the workspace name the link gave.
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "notebooks")
    );

    // Without --use-az: where to find the ID, exit 2.
    let out = run_with(&[], path.clone());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("workspace 'contoso-ml' (resource group rg-ml)"),
        "{err}"
    );
    assert!(err.contains("JSON View"), "{err}");

    // az not logged in: a note, no prompt, exit 2 with the same help.
    fake_az(
        bin_dir.path(),
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1",
    );
    let out = run_with(&["--use-az"], path.clone());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("note: --use-az: az is not logged in"), "{err}");
    assert!(err.contains("JSON View"), "{err}");

    // No az at all.
    let empty = tempfile::tempdir().unwrap();
    let out = run_with(&["--use-az"], empty.path().display().to_string());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("az) is not installed"));
}

#[test]
fn garbage_target_exits_2_naming_it() {
    let out = run(&["diagnose", "hello world", "--loopback-only"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TARGET 'hello world'"), "{err}");
    let out = run(&["https://portal.azure.com/#home"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn output_extension_picks_the_format_and_a_mismatch_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for (file, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.md", "# pe-doctor report"),
        ("r.json", "{"),
        ("r.txt", "pe-doctor "),
    ] {
        let path = dir.path().join(file);
        let out = run(&["lab", "healthy", "--output", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{file}");
        let body = std::fs::read_to_string(&path).unwrap();
        assert!(
            body.starts_with(starts),
            "{file}: {}",
            &body[..40.min(body.len())]
        );
    }
    let path = dir.path().join("mismatch.json");
    let out = run(&[
        "lab",
        "healthy",
        "--format",
        "text",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!path.exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format text does not match"));
    let out = run(&[
        "diagnose",
        "--fqdn",
        "a.example",
        "--format",
        "html",
        "--output",
        path.to_str().unwrap(),
        "--loopback-only",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output:"));
}

#[test]
fn text_report_fits_the_width() {
    for (columns, width) in [(None, 80), (Some("60"), 60), (Some("120"), 120)] {
        let mut cmd = std::process::Command::new(super::support::bin());
        cmd.args(["lab", "custom-dns-no-forwarder"])
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS");
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= width, "{columns:?}: {widest}\n{text}");
        assert!(!text.contains('\u{1b}'), "no colour off a terminal");
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            s.contains("diagnose") && s.contains("workspace-id"),
            "{shell}"
        );
    }
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH pe-doctor 1"));
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The program next to a helpdesk preset, as a user would find them in the unpacked zip.
fn unpacked_zip(lab: &pe_doctor::lab::scenarios::LabRun, preset_extra: &str) -> tempfile::TempDir {
    use pe_doctor::config::SystemResolver;
    // Under the target directory, so the program can be hard-linked rather than copied.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let exe = dir.path().join("pe-doctor");
    if std::fs::hard_link(super::support::bin(), &exe).is_err() {
        std::fs::copy(super::support::bin(), &exe).unwrap();
    }
    let SystemResolver::Server(system) = lab.config.system_resolver else {
        panic!("the lab stands in a server for the system resolver");
    };
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    // Only loopback resolvers, no DoH, no connection attempts: nothing leaves the machine.
    let preset = format!(
        "system-resolver = \"{system}\"\nazure-dns = \"{}\"\nno-doh = true\nno-host-dns = true\n\
         no-connect = true\nproxy = \"none\"\nhosts-file = '{}'\noutput = '{}'\n{preset_extra}",
        lab.config.azure_dns,
        lab.config.hosts_file.as_ref().unwrap().display(),
        dir.path().join("reports").display(),
    );
    std::fs::write(dir.path().join("pe-doctor.toml"), preset).unwrap();
    dir
}

fn saved_report(transcript: &str) -> std::path::PathBuf {
    let line = transcript
        .lines()
        .find_map(|l| l.trim().strip_prefix("The report is saved as "))
        .unwrap_or_else(|| panic!("no saved report in:\n{transcript}"));
    std::path::PathBuf::from(line.trim())
}

/// Drives a pseudo-terminal through python3's `pty` module (Unix).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_click_mode_asks_diagnoses_saves_html_and_waits_for_enter() {
    let lab = healthy_lab().await;
    let zip = unpacked_zip(&lab, "");
    let exe = zip.path().join("pe-doctor");
    let url = format!(
        "https://{}.workspace.{}.api.azureml.ms/",
        world::WORKSPACE_ID,
        world::REGION
    );
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/scripts/pty_session.py"
    );
    let pty_session = |no_color: bool| {
        let (exe, url) = (exe.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new("python3");
            cmd.arg(script)
                .arg(&exe)
                .arg(&url)
                .env("PE_DOCTOR_PAUSE", "1")
                .env_remove("NO_COLOR")
                .env_remove("COLUMNS")
                .env_remove("https_proxy")
                .env_remove("HTTPS_PROXY");
            if no_color {
                cmd.env("NO_COLOR", "1");
            }
            cmd.output()
                .expect("python3 (a test dependency, installed by .ci/run)")
        })
    };
    let out = pty_session(false).await.unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let session: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let transcript = session["transcript"].as_str().unwrap();
    assert_eq!(session["code"], 0, "{transcript}");
    // One prompt, with an example; the preset next to the program was used.
    assert_eq!(transcript.matches("> ").count(), 1, "{transcript}");
    assert!(transcript.contains("For example: https://"), "{transcript}");
    assert!(transcript.contains("pe-doctor.toml"), "{transcript}");
    // The text report, in colour on a terminal, then the saved HTML report and the pause.
    assert!(transcript.contains("derived from:"), "{transcript}");
    assert!(
        transcript.contains("\u{1b}[32m10.0.0.4"),
        "private answers, in green on a terminal: {transcript}"
    );
    let path = saved_report(transcript);
    assert!(path.starts_with(zip.path().join("reports")), "{path:?}");
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!(
        "Derived from: workspace ID {}",
        world::WORKSPACE_ID
    )));
    assert!(transcript.find("saved as").unwrap() < transcript.find("Press Enter").unwrap());

    // NO_COLOR on a terminal: the same report without colour.
    let out = pty_session(true).await.unwrap();
    let session: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let transcript = session["transcript"].as_str().unwrap();
    assert!(transcript.contains("10.0.0.4"), "{transcript}");
    assert!(!transcript.contains("\u{1b}[32m"), "{transcript}");

    // Ctrl-C at the prompt ends the program at once (exit 130), as at any other point.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .arg(&exe)
            .arg(&url)
            .arg("--ctrl-c-at-prompt")
            .env("PE_DOCTOR_PAUSE", "1")
            .output()
            .expect("python3")
    })
    .await
    .unwrap();
    let session: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let transcript = session["transcript"].as_str().unwrap();
    assert_eq!(session["code"], 130, "{transcript}");
    assert!(transcript.contains("interrupted"), "{transcript}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_click_mode_without_a_terminal_and_with_a_preset_workspace() {
    use std::io::Write;
    let lab = healthy_lab().await;
    // No terminal: the answer comes on standard input; no colour, no pause.
    let zip = unpacked_zip(&lab, "");
    let mut child = std::process::Command::new(zip.path().join("pe-doctor"))
        .env_remove("NO_COLOR")
        .env_remove("PE_DOCTOR_PAUSE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", world::WORKSPACE_ID).unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // A bare GUID has no region: the preset must give it.
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--region: required"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An error message pasted whole: its first lines have no workspace name, a later one has.
    let mut child = std::process::Command::new(zip.path().join("pe-doctor"))
        .env_remove("PE_DOCTOR_PAUSE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    write!(
        child.stdin.take().unwrap(),
        "HttpResponseError: (UserError) Forbidden\nCode: 403\nGET https://{}.workspace.{}.api.azureml.ms/mlflow\nCorrelation: 1d2e3f40-1111-4222-8333-944455556666\n",
        world::WORKSPACE_ID,
        world::REGION
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("Try again").count(), 2, "{text}");
    assert!(saved_report(&text).is_file());

    // End of input instead of an answer: a clear message, exit 2.
    let exe = zip.path().join("pe-doctor");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no link given"));

    // `pe-doctor TARGET`: no question, the same saved report.
    let url = format!(
        "https://{}.workspace.{}.api.azureml.ms/",
        world::WORKSPACE_ID,
        world::REGION
    );
    let exe = zip.path().join("pe-doctor");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("> "), "{text}");
    assert!(saved_report(&text).is_file());

    // The helpdesk preset names the workspace: no question at all.
    let zip = unpacked_zip(
        &lab,
        &format!(
            "workspace-id = \"{}\"\nregion = \"{}\"\n",
            world::WORKSPACE_ID,
            world::REGION
        ),
    );
    let exe = zip.path().join("pe-doctor");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .env_remove("NO_COLOR")
            .env_remove("PE_DOCTOR_PAUSE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("> "), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour off a terminal");
    assert!(!text.contains("Press Enter"));
    let html = std::fs::read_to_string(saved_report(&text)).unwrap();
    assert!(html.contains(world::WORKSPACE_ID));
}

/// A reader that has gone (`pe-doctor … | head`) ends the output quietly: exit as if it had been
/// read, no panic and no error message. The pipe's read end is closed before pe-doctor starts,
/// so every write meets a closed pipe.
#[cfg(unix)]
#[test]
fn a_closed_pipe_on_stdout_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let pac = dir.path().join("p.pac");
    std::fs::write(
        &pac,
        "function FindProxyForURL(u, h) { return \"DIRECT\"; }",
    )
    .unwrap();
    let pac = pac.display().to_string();
    let cases: [&[&str]; 5] = [
        &["lab", "--list"],
        &["completions", "bash"],
        &["man"],
        &["pac", "-p", &pac, "-u", "https://a.example/"],
        &["lab", "healthy", "--format", "json"],
    ];
    for args in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(super::support::bin())
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}
