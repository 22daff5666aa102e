//! Hostile PAC scripts are contained by the worker process: each ends with a clear error, a
//! non-zero exit code, within its time limit, and no process of the run uses more memory than
//! the worker's cap allows. A binary of its own with one test, so the peak memory of the
//! children it waited for (`RUSAGE_CHILDREN`) is the peak of these runs only.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use pe_doctor::lab::dns_server::{LabDnsServer, ServerOptions};
use pe_doctor::lab::world;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pe-doctor");
/// The worker's cap (256 MiB of data) plus the program's own code pages in its resident set.
const PEAK_LIMIT_KIB: i64 = 320 * 1024;

fn pac(dir: &std::path::Path, name: &str, body: &str, urls: &[&str]) -> (Output, Duration) {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    let mut args = vec![
        "pac".to_string(),
        "--pac".into(),
        path.display().to_string(),
    ];
    for u in urls {
        args.push("-u".into());
        args.push((*u).into());
    }
    run(&args)
}

fn run(args: &[String]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out, start.elapsed())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn peak_kib() -> i64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss()
}

#[test]
fn hostile_pacs_are_contained() {
    let dir = tempfile::tempdir().unwrap();

    // 200 KB of chained `!`: the parser recurses once per `!` and overflows its stack.
    let bang = format!(
        "function FindProxyForURL(u, h) {{ return {}'DIRECT'; }}",
        "!".repeat(200_000)
    );
    let (o, took) = pac(dir.path(), "bang.pac", &bang, &["http://a/"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("stack overflow"), "{}", text(&o));
    assert!(took < Duration::from_secs(10), "{took:?}");

    // `s = s + s` doubling to 16 GiB: stopped at the memory cap.
    let grow = "function FindProxyForURL(u, h) { var s = 'xxxxxxxxxxxxxxxx'; \
                for (var i = 0; i < 30; i++) { s = s + s; } return 'DIRECT'; }";
    let (o, took) = pac(dir.path(), "grow.pac", grow, &["http://a/", "http://b/"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.starts_with("ERROR: "), "{out}");
    assert!(out.contains("out of memory"), "{out}");
    assert_eq!(out.matches("out of memory").count(), 1, "{out}");
    assert!(took < Duration::from_secs(15), "{took:?}");

    // Native calls that never return: the worker is killed at its deadline (2 s + 0.5 s).
    for (name, body) in [
        (
            "regex.pac",
            "function FindProxyForURL(u, h) { \
             /^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'); return 'DIRECT'; }",
        ),
        (
            "sort.pac",
            "function FindProxyForURL(u, h) { var a = []; for (var i = 0; i < 50; i++) a.push(i); \
             a.sort(function (x, y) { while (true) {} }); return 'DIRECT'; }",
        ),
    ] {
        let (o, took) = pac(dir.path(), name, body, &["http://a/", "http://b/"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {out}");
        assert!(out.starts_with("ERROR: "), "{name}: {out}");
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(8),
            "{name}: {took:?}"
        );
    }

    // `pac -f` with a runaway script: one time limit for all URLs, one error, exit 1.
    let urls: String = (0..20).map(|i| format!("http://h{i}.example/\n")).collect();
    std::fs::write(dir.path().join("urls.txt"), urls).unwrap();
    std::fs::write(
        dir.path().join("loop.pac"),
        "function FindProxyForURL(u, h) { while (true) {} }",
    )
    .unwrap();
    let (o, took) = run(&[
        "pac".into(),
        "--pac".into(),
        dir.path().join("loop.pac").display().to_string(),
        "-f".into(),
        dir.path().join("urls.txt").display().to_string(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert_eq!(out.lines().count(), 20, "{out}");
    // `-f` lines read `URL : RESULT`, as pactester prints them.
    assert!(
        out.lines()
            .enumerate()
            .all(|(i, l)| l.starts_with(&format!("http://h{i}.example/ : ERROR: "))),
        "{out}"
    );
    assert_eq!(out.matches("time limit").count(), 1, "{out}");
    assert!(took < Duration::from_secs(8), "{took:?}");

    // The same scripts inside `diagnose` (DNS from a lab server on loopback): a report within
    // its deadline, with the reason.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dns = rt
        .block_on(LabDnsServer::spawn(
            [127, 0, 0, 1].into(),
            ServerOptions::answer(world::private_view(&world::targets())),
        ))
        .unwrap();
    for (name, reason) in [
        ("grow.pac", "out of memory"),
        ("regex.pac", "process was stopped"),
        ("bang.pac", "stack overflow"),
    ] {
        let (o, took) = run(&[
            "diagnose".into(),
            "--workspace-id".into(),
            world::WORKSPACE_ID.into(),
            "--region".into(),
            world::REGION.into(),
            "--system-resolver".into(),
            dns.addr().to_string(),
            "--azure-dns".into(),
            dns.addr().to_string(),
            "--no-doh".into(),
            "--no-host-dns".into(),
            "--loopback-only".into(),
            "--timeout".into(),
            "4s".into(),
            "--format".into(),
            "json".into(),
            "--pac".into(),
            dir.path().join(name).display().to_string(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let failed = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "pac.eval-failed")
            .unwrap_or_else(|| panic!("{name}: {:#}", report["findings"]));
        assert!(
            failed["evidence"].to_string().contains(reason),
            "{name}: {failed:#}"
        );
        assert!(took < Duration::from_millis(4_700), "{name}: {took:?}");
    }

    // A worker whose parent is gone (nobody kills it at the deadline) ends on its own: its
    // CPU time is capped at its calls' limits plus a little.
    let request = serde_json::json!({
        "source": "function FindProxyForURL(u, h) { /^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'); return 'DIRECT'; }",
        "host": {"names": {}, "my_ips": [], "now_ms": null},
        "queries": [{"url": "http://a/"}],
        "prefer_ex": false,
        "per_call_ms": 100
    });
    let start = Instant::now();
    let mut worker = Command::new(BIN)
        .arg("pac-worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = worker.stdin.take().unwrap();
        writeln!(stdin, "{request}").unwrap();
    }
    let status = loop {
        if let Some(s) = worker.try_wait().unwrap() {
            break s;
        }
        // 5 s of CPU time; on a busy machine that takes longer on the clock.
        if start.elapsed() > Duration::from_secs(60) {
            let _ = worker.kill();
            panic!("the orphaned worker is still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    {
        use std::os::unix::process::ExitStatusExt as _;
        // SIGXCPU (24) at the soft limit, SIGKILL (9) at the hard one.
        assert!(matches!(status.signal(), Some(9 | 24)), "{status:?}");
    }

    let peak = peak_kib();
    assert!(
        peak > 0 && peak < PEAK_LIMIT_KIB,
        "peak resident memory of the runs: {peak} KiB"
    );
    eprintln!(
        "peak resident memory of the hostile runs: {} MiB",
        peak / 1024
    );
}
