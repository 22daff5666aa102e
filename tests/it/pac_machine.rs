//! The PAC in `diagnose` sees the machine: `myIpAddress()` is the address of the interface
//! that carries the default route, found in a network namespace the test makes (a veth pair
//! whose both ends stay in it: nothing leaves the machine), and `timeRange()` runs in the time
//! zone of `TZ`. Needs root for the namespace, so the test is `#[ignore]`d; `.ci/test` with
//! PE_DOCTOR_INTEROP=1 runs it, and then a refused `unshare` fails it.

use super::support::bin;
use std::process::{Command, Stdio};

const PAC: &str = r#"function FindProxyForURL(url, host) {
    if (!isInNet(myIpAddress(), "10.20.0.0", "255.255.0.0"))
        return "PROXY off-corp.invalid:3128";
    if (timeRange(0, 11))
        return "PROXY morning.invalid:3128";
    return "DIRECT";
}"#;

/// A POSIX `TZ` value whose local hour is now `hour` (offsets kept within -11..=12 hours).
fn zone_with_local_hour(hour: i64) -> String {
    let utc_hour = jiff::Timestamp::now().as_second().rem_euclid(86_400) / 3600;
    let mut offset = (hour - utc_hour).rem_euclid(24);
    if offset > 12 {
        offset -= 24;
    }
    // POSIX: `TZ=XXX-5` is five hours *ahead* of UTC.
    format!("PEX{:+}", -offset)
}

/// Runs `diagnose` with the PAC in a fresh network namespace whose only non-loopback
/// interfaces are a veth pair, one end holding `addr` with the default route on it.
fn diagnose_in_namespace(addr: &str, tz: &str, pac: &std::path::Path) -> serde_json::Value {
    let script = format!(
        "set -e; ip link set lo up; ip link add pe0 type veth peer name pe1; \
         ip addr add {addr}/24 dev pe0; ip link set pe0 up; ip link set pe1 up; \
         ip route add default dev pe0; exec \"$0\" \"$@\""
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script, bin()])
        .args([
            "diagnose",
            "--fqdn",
            "ws.corp.example",
            "--system-resolver",
            "127.0.0.1:9",
            "--azure-dns",
            "127.0.0.1:9",
            "--no-doh",
            "--no-host-dns",
            "--loopback-only",
            // No DNS server in the namespace: DNS questions end at their own 4 s limit.
            "--timeout",
            "10s",
            "--format",
            "json",
            "--pac",
        ])
        .arg(pac)
        .env("TZ", tz)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    assert!(
        !out.stdout.is_empty(),
        "no report (is this root with `unshare` and `ip`?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn verdict(report: &serde_json::Value) -> String {
    report["pac"]["verdicts"][0]["result"]
        .as_str()
        .unwrap_or_else(|| panic!("no PAC verdict in {:#}", report["pac"]))
        .to_string()
}

#[test]
#[ignore = "needs root and util-linux unshare -n; .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
fn pac_in_diagnose_sees_the_address_and_the_time_zone_of_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let pac = dir.path().join("corp.pac");
    std::fs::write(&pac, PAC).unwrap();
    let afternoon = zone_with_local_hour(15);
    let morning = zone_with_local_hour(3);

    let on_corp = diagnose_in_namespace("10.20.30.40", &afternoon, &pac);
    assert_eq!(verdict(&on_corp), "DIRECT");
    assert_eq!(
        on_corp["pac"]["verdicts"][0]["fqdn"], "ws.corp.example",
        "{on_corp:#}"
    );
    let off_corp = diagnose_in_namespace("192.168.77.5", &afternoon, &pac);
    assert_eq!(verdict(&off_corp), "PROXY off-corp.invalid:3128");
    let early = diagnose_in_namespace("10.20.30.40", &morning, &pac);
    assert_eq!(verdict(&early), "PROXY morning.invalid:3128");
}
