//! Files the user names, through the real binary: inputs that are not regular files or are too
//! big are usage errors that name the file (and never hang), `--output` is checked before any
//! probing and never written through a link, and hostile text never reaches the output raw.

use super::support::{bin, run};
use pe_doctor::lab::dns_server::{Behavior, LabDnsServer, ServerOptions};
use pe_doctor::lab::world;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn mkfifo(path: &Path) {
    // nix's mkfifo, not rustix's mknodat: macOS has no mknodat.
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
}

/// Runs pe-doctor, killing it if it has not finished within 10 s (a hang is a failure).
fn run_bounded(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("pe-doctor {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child.wait_with_output().unwrap(), started.elapsed())
}

const QUIET: [&str; 5] = [
    "--no-doh",
    "--no-host-dns",
    "--no-connect",
    "--loopback-only",
    "--system-resolver",
];

fn diagnose_with<'a>(extra: &[&'a str], resolver: &'a str) -> Vec<&'a str> {
    let mut args = vec!["diagnose", "--fqdn", "a.example"];
    args.extend(QUIET);
    args.push(resolver);
    args.extend(extra);
    args
}

#[test]
fn inputs_that_are_not_regular_files_or_too_big_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("input.fifo");
    mkfifo(&fifo);
    let big = |name: &str, mib: u64| {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .set_len(mib * (1 << 20) + 1)
            .unwrap();
        p.display().to_string()
    };
    let fifo_s = fifo.display().to_string();
    let dir_s = dir.path().display().to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        ("--config", fifo_s.clone(), "FIFO"),
        ("--expected", fifo_s.clone(), "FIFO"),
        ("--ca-file", fifo_s.clone(), "FIFO"),
        ("--pac", fifo_s.clone(), "FIFO"),
        ("--hosts-file", fifo_s.clone(), "FIFO"),
        ("--config", dir_s.clone(), "directory"),
        ("--hosts-file", dir_s.clone(), "directory"),
        ("--ca-file", "/dev/zero".into(), "character device"),
        ("--config", big("big.toml", 1), "1 MiB at most"),
        ("--expected", big("big.json", 16), "16 MiB at most"),
        ("--ca-file", big("big.pem", 1), "1 MiB at most"),
        ("--pac", big("big.pac", 1), "1 MiB at most"),
        ("--hosts-file", big("hosts", 4), "4 MiB at most"),
    ];
    for (flag, path, why) in &cases {
        // The black-holed address is never asked: the error comes first.
        let (out, took) = run_bounded(&diagnose_with(&[flag, path], "127.0.0.1:9"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {path}: {err}");
        assert!(
            err.contains(path.as_str()) && err.contains(why),
            "{flag}: {err}"
        );
        assert!(took < Duration::from_secs(5), "{flag} took {took:?}");
    }
    // `pe-doctor pac`: the PAC file and the URL list alike.
    for args in [
        vec!["pac", "--pac", fifo_s.as_str(), "-u", "http://a.example/"],
        vec!["pac", "--pac", dir_s.as_str(), "-u", "http://a.example/"],
    ] {
        let (out, _) = run_bounded(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
    let pac = dir.path().join("proxy.pac");
    std::fs::write(&pac, "function FindProxyForURL(u, h) { return 'DIRECT'; }").unwrap();
    let (out, _) = run_bounded(&["pac", "--pac", pac.to_str().unwrap(), "-f", &fifo_s]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&fifo_s) && err.contains("FIFO"), "{err}");
}

#[tokio::test]
async fn output_is_checked_before_any_probing() {
    let hole = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions {
            behavior: Behavior::BlackHole,
            latency: Duration::ZERO,
            truncate_udp: false,
        },
    )
    .await
    .unwrap();
    let resolver = hole.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo = dir.path().join("nobody-reads");
    mkfifo(&fifo);
    for (path, why) in [
        (dir.path().display().to_string(), "is a directory"),
        (link.display().to_string(), "is a symbolic link"),
        (fifo.display().to_string(), "no program is reading"),
        (
            dir.path().join("no/such/r.json").display().to_string(),
            "cannot create a file in",
        ),
    ] {
        // With a 5 s timeout and a black-holed resolver, probing would take 5 s.
        let resolver = resolver.clone();
        let (out, took) = tokio::task::spawn_blocking(move || {
            run_bounded(&diagnose_with(
                &["--output", &path, "--timeout", "5s"],
                &resolver,
            ))
        })
        .await
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{why}: {err}");
        assert!(err.contains("--output") && err.contains(why), "{err}");
        assert!(took < Duration::from_secs(3), "{why}: took {took:?}");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn output_to_dev_stdout_and_to_a_fifo_is_written_in_place() {
    let out = run(&[
        "lab",
        "custom-dns-no-forwarder",
        "--format",
        "json",
        "--output",
        "/dev/stdout",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "problems");

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    // The reader is waiting in open() before pe-doctor checks for one.
    std::thread::sleep(Duration::from_millis(300));
    let (out, _) = run_bounded(&[
        "lab",
        "healthy",
        "--format",
        "markdown",
        "--output",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(reader.join().unwrap().starts_with("# pe-doctor report"));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn output_replaces_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    std::fs::write(&path, "old report").unwrap();
    let out = run(&[
        "lab",
        "healthy",
        "--format",
        "html",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left");
}

/// A PAC whose return value carries terminal escapes: the finding quotes it in every format,
/// escaped; the JSON keeps it exactly. (The PAC runs for the routes: connections stay on.)
#[tokio::test]
async fn hostile_pac_text_never_reaches_the_output_raw() {
    let targets = world::targets();
    let dns = LabDnsServer::spawn(
        [127, 0, 0, 1].into(),
        ServerOptions::answer(world::private_view(&targets)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pac = dir.path().join("evil.pac");
    std::fs::write(
        &pac,
        "function FindProxyForURL(u, h) { return 'PROXY proxy.example:8080; DIRECT \\x1b]0;owned\\x07\\x1b[2J'; }",
    )
    .unwrap();
    let fqdn = targets[0].fqdn.clone();
    let addr = dns.addr().to_string();
    for format in ["text", "markdown", "html", "json"] {
        let args: Vec<String> = [
            "diagnose",
            "--fqdn",
            &fqdn,
            "--pac",
            pac.to_str().unwrap(),
            "--no-doh",
            "--no-host-dns",
            "--loopback-only",
            "--system-resolver",
            &addr,
            "--azure-dns",
            &addr,
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = tokio::task::spawn_blocking(move || {
            run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("owned"), "{format}: the PAC result is quoted");
        for c in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
            assert!(!text.contains(c), "{format}: raw {c:?}");
        }
        if format != "json" {
            // Markdown escapes the backslash and brackets as well.
            let shown = text.replace("\\\\", "\\").replace("\\]", "]");
            assert!(shown.contains("\\x1b]0;owned\\x07"), "{format}:\n{text}");
        }
    }
}

#[test]
fn error_messages_escape_what_came_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("\x1b]0;owned\x07.toml");
    std::fs::write(&evil, "region = [\n").unwrap();
    for flag in ["--config", "--output"] {
        let path = if flag == "--output" {
            dir.path().join("\x1b[2J/r.json")
        } else {
            evil.clone()
        };
        let out = run(&[
            "diagnose",
            "--fqdn",
            "a.example",
            "--loopback-only",
            flag,
            path.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(
            !err.contains('\x1b') && !err.contains('\x07'),
            "{flag}: {err:?}"
        );
        assert!(err.contains("\\x1b"), "{flag}: {err}");
    }
}
