//! The real getaddrinfo path: inside a private network and mount namespace (`unshare -nm`),
//! /etc/resolv.conf is bind-mounted to point at a lab DNS server on 127.0.0.1:53, and the
//! diagnosis runs with the default system resolver. Needs root and util-linux's unshare, so it
//! is `#[ignore]`d; `.ci/test` with PE_DOCTOR_INTEROP=1 runs it, and then a refused `unshare` is
//! a failure.

use super::support::bin;
use std::process::Command;

fn can_unshare() -> Result<(), String> {
    let ok = Command::new("unshare")
        .args(["-nm", "true"])
        .output()
        .map_err(|e| format!("unshare not available: {e}"))?;
    if ok.status.success() {
        Ok(())
    } else {
        Err(format!(
            "unshare -nm refused (not root?): {}",
            String::from_utf8_lossy(&ok.stderr).trim()
        ))
    }
}

fn run_in_namespace(scenario: &str, extra: &str) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n",
    )
    .unwrap();
    let nss = dir.path().join("nsswitch.conf");
    std::fs::write(&nss, "hosts: files dns\n").unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
    let report = dir.path().join("report.json");
    let script = format!(
        r#"set -e
ip link set lo up 2>/dev/null || ifconfig lo up
mount --bind '{resolv}' /etc/resolv.conf
mount --bind '{nss}' /etc/nsswitch.conf
mount --bind '{hosts}' /etc/hosts
'{bin}' lab {scenario} --serve 127.0.0.1:53 > '{dir}/serve.log' 2>&1 &
server=$!
for i in $(seq 1 100); do grep -q serving '{dir}/serve.log' && break; sleep 0.05; done
set +e
'{bin}' diagnose --workspace-id {id} --region {region} --workspace-name {name} --instance {ci} \
  --azure-dns 127.0.0.1:53 --no-doh --no-host-dns --no-connect --timeout 5s {extra} --format json --output '{report}'
code=$?
kill $server
exit $code
"#,
        resolv = resolv.display(),
        nss = nss.display(),
        hosts = hosts.display(),
        bin = bin(),
        dir = dir.path().display(),
        report = report.display(),
        id = pe_doctor::lab::world::WORKSPACE_ID,
        region = pe_doctor::lab::world::REGION,
        name = pe_doctor::lab::world::WORKSPACE_NAME,
        ci = pe_doctor::lab::world::INSTANCE,
    );
    let out = Command::new("unshare")
        .args(["-nm", "sh", "-c", &script])
        .output()
        .expect("unshare");
    let code = out.status.code().unwrap_or(-1);
    let text = std::fs::read(&report).unwrap_or_else(|_| {
        panic!(
            "no report (exit {code}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, serde_json::from_slice(&text).expect("json report"))
}

#[test]
#[ignore = "needs root and util-linux unshare -nm; .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
fn system_resolver_through_real_getaddrinfo() {
    if let Err(why) = can_unshare() {
        panic!("cannot run the real getaddrinfo path: {why}");
    }
    let (code, report) = run_in_namespace("healthy", "");
    assert_eq!(code, 0, "{report:#}");
    let system: Vec<&serde_json::Value> = report["resolutions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resolver"]["role"] == "system")
        .collect();
    assert_eq!(system.len(), report["targets"].as_array().unwrap().len());
    for r in &system {
        assert_eq!(r["resolver"]["transport"], "getaddrinfo");
        assert_eq!(r["class"], "private", "{r:#}");
    }
    // getaddrinfo's canonical name shows where the CNAME chain led.
    let ws = system
        .iter()
        .find(|r| r["fqdn"].as_str().unwrap().contains(".workspace."))
        .unwrap();
    assert!(
        ws["chain"]
            .to_string()
            .contains("privatelink.api.azureml.ms"),
        "{ws:#}"
    );

    let (code, report) = run_in_namespace("custom-dns-no-forwarder", "");
    assert_eq!(code, 1);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    // The system resolver's answers are public; azure-dns (the same server here) agrees, so
    // without another source of truth this is a public answer.
    assert_eq!(ids, vec!["dns.public-answer"], "{report:#}");
}
