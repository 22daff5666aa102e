//! Differential test: `pe-doctor pac` against pacparser's `pactester` (Debian package
//! `libpacparser1`) on the same PAC files, URLs and flags. Where the two differ by design
//! (Chromium semantics: implicit bypass, per-URL errors reported and evaluation continued) the
//! test says so. Every PAC here is free of DNS lookups and pactester always gets `-c`, so
//! neither tool sends a packet. `#[ignore]`d where pactester may be missing; `.ci/test` runs
//! them with PE_DOCTOR_INTEROP=1 (.ci/run installs the package), and a missing pactester fails.

use super::support::bin;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pac");

fn pactester() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("pactester"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("pactester is not installed: apt-get install libpacparser1 (.ci/run does)")
    })
}

fn exec(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1");
    let mut child = cmd.spawn().expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

/// Runs both tools with pactester's arguments.
fn both(args: &[&str], stdin: Option<&str>) -> (Output, Output) {
    let mut theirs = Command::new(pactester());
    theirs.args(args);
    let mut ours = Command::new(bin());
    ours.arg("pac").args(args);
    (exec(theirs, stdin), exec(ours, stdin))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Same stdout and both successful.
fn agree(args: &[&str], stdin: Option<&str>) {
    let (theirs, ours) = both(args, stdin);
    assert!(
        theirs.status.success(),
        "pactester {args:?}: {}",
        text(&theirs.stderr)
    );
    assert!(
        ours.status.success(),
        "pe-doctor pac {args:?}: {}",
        text(&ours.stderr)
    );
    assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{args:?}");
    assert!(!ours.stdout.is_empty());
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write fixture");
    p.display().to_string()
}

const HELPERS_PAC: &str = r#"
function FindProxyForURL(url, host) {
  if (isPlainHostName(host)) return "DIRECT";
  if (dnsDomainIs(host, ".intranet.example") || localHostOrDomainIs(host, "wiki.corp")) {
    return "PROXY intra.example:8080";
  }
  if (shExpMatch(host, "*.api.azureml.ms") || shExpMatch(url, "http://*/download/*")) {
    return "PROXY ml.example:3128; DIRECT";
  }
  if (isInNet(host, "10.0.0.0", "255.0.0.0")) return "DIRECT";
  if (isInNet(myIpAddress(), "192.168.0.0", "255.255.0.0")) {
    return "SOCKS5 socks.example:1080; PROXY fallback.example:80";
  }
  if (url.substring(0, 6) == "https:") return "HTTPS secure.example:443";
  return "PROXY " + dnsDomainLevels(host) + ".levels.example:3128";
}
"#;

const ECHO_PAC: &str = r#"
function FindProxyForURL(url, host) {
  return "PROXY echo.example:1; DIRECT # " + url + " | " + host + " | " + myIpAddress();
}
"#;

#[test]
#[ignore = "needs pactester (Debian libpacparser1); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
fn pactester_same_answers_for_the_shared_inputs() {
    for pac in ["small.pac", "large.pac"] {
        let pac = format!("{FIXTURES}/{pac}");
        let urls = format!("{FIXTURES}/urls.txt");
        // -f prints `URL : RESULT` in both.
        agree(&["-p", &pac, "-f", &urls, "-c", "10.0.0.1"], None);
        agree(&["-p", &pac, "-f", &urls, "-c", "172.16.5.5"], None);
    }
}

#[test]
#[ignore = "needs pactester (Debian libpacparser1); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
fn pactester_same_answers_for_each_flag() {
    let dir = tempfile::tempdir().unwrap();
    let helpers = write(dir.path(), "helpers.pac", HELPERS_PAC);
    let echo = write(dir.path(), "echo.pac", ECHO_PAC);
    let urls = write(
        dir.path(),
        "urls.txt",
        "http://intranet/\nhttp://a.intranet.example/x\nhttp://wiki/\n\
         https://ws.api.azureml.ms/\nhttp://files.example/download/a.zip\nhttp://10.2.3.4/\n\
         https://bank.example/\nhttp://a.b.c.example/\n",
    );
    for my_ip in ["10.9.9.9", "192.168.1.20"] {
        // -p, -f, -c
        agree(&["-p", &helpers, "-f", &urls, "-c", my_ip], None);
        // -u (bare result), one URL at a time
        for url in [
            "http://a.b.c.example/",
            "http://wiki.corp/",
            "https://x.example/",
        ] {
            agree(&["-p", &helpers, "-u", url, "-c", my_ip], None);
        }
    }
    // -u with the URL handed over as given, -c into myIpAddress()
    agree(
        &[
            "-p",
            &echo,
            "-u",
            "http://www.example.com/p?q=1",
            "-c",
            "10.1.1.1",
        ],
        None,
    );
    // -h replaces the host handed to FindProxyForURL
    agree(
        &[
            "-p",
            &echo,
            "-u",
            "http://www.example.com/",
            "-h",
            "other.example",
            "-c",
            "10.1.1.1",
        ],
        None,
    );
    // -p - reads the PAC from standard input
    agree(
        &["-p", "-", "-u", "http://a.b.c.example/", "-c", "10.1.1.1"],
        Some(HELPERS_PAC),
    );
    // -e: the Microsoft helpers; neither calls a FindProxyForURLEx that is not there
    let ex = write(
        dir.path(),
        "ex.pac",
        r#"function FindProxyForURL(url, host) {
             if (isInNetEx(myIpAddressEx(), "10.0.0.0/8")) return "PROXY ten.example:3128";
             return "DIRECT; " + myIpAddressEx() + " " + typeof FindProxyForURLEx;
           }"#,
    );
    for my_ip in ["10.2.3.4", "192.168.1.1"] {
        agree(
            &["-p", &ex, "-e", "-u", "http://a.example/", "-c", my_ip],
            None,
        );
    }
}

#[test]
#[ignore = "needs pactester (Debian libpacparser1); .ci/test runs it (PE_DOCTOR_INTEROP=1 adds --include-ignored)"]
fn pactester_errors_and_differences_by_design() {
    let dir = tempfile::tempdir().unwrap();
    // A URL whose evaluation throws: both exit non-zero. pactester stops there; pe-doctor
    // reports the error on that URL's line and goes on.
    let throws = write(
        dir.path(),
        "throws.pac",
        "function FindProxyForURL(url, host) {\n  if (host == 'bad.example') return noSuchFunction();\n  return 'DIRECT';\n}\n",
    );
    let urls = write(
        dir.path(),
        "urls.txt",
        "http://ok.example/\nhttp://bad.example/\nhttp://after.example/\n",
    );
    let (theirs, ours) = both(&["-p", &throws, "-f", &urls, "-c", "10.0.0.1"], None);
    assert!(!theirs.status.success());
    assert_eq!(ours.status.code(), Some(1), "{}", text(&ours.stderr));
    assert_eq!(text(&theirs.stdout), "http://ok.example/ : DIRECT\n");
    let out = text(&ours.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "http://ok.example/ : DIRECT");
    assert!(lines[1].starts_with("http://bad.example/ : ERROR: PAC script threw: ReferenceError"));
    assert_eq!(lines[2], "http://after.example/ : DIRECT");

    // A syntax error: both refuse the file and name line 3; pe-doctor adds the column (exit 2).
    let broken = write(
        dir.path(),
        "broken.pac",
        "function FindProxyForURL(url, host) {\n  return 'DIRECT'\n  var x = ;\n}\n",
    );
    let (theirs, ours) = both(
        &["-p", &broken, "-u", "http://x.example/", "-c", "10.0.0.1"],
        None,
    );
    assert!(!theirs.status.success());
    assert!(
        text(&theirs.stderr).contains("PAC script:3:"),
        "{}",
        text(&theirs.stderr)
    );
    assert_eq!(ours.status.code(), Some(2));
    let err = text(&ours.stderr);
    assert!(
        err.contains(&format!("{broken}:3:11: SyntaxError")),
        "{err}"
    );
    assert_eq!(err.matches(":3:").count(), 1, "one position: {err}");

    // localhost: pactester asks the PAC; the browser (and pe-doctor) does not, unless told to.
    let echo = write(dir.path(), "echo.pac", ECHO_PAC);
    let args = [
        "-p",
        &echo,
        "-u",
        "http://localhost:8080/",
        "-c",
        "10.0.0.1",
    ];
    let (theirs, ours) = both(&args, None);
    assert!(text(&theirs.stdout).starts_with("PROXY echo.example:1"));
    assert_eq!(text(&ours.stdout), "DIRECT\n");
    assert!(text(&ours.stderr).contains("connect DIRECT without asking the PAC"));

    let mut pactester_like = args.to_vec();
    pactester_like.push("--no-implicit-bypass");
    let mut ours = Command::new(bin());
    ours.arg("pac").args(&pactester_like);
    let ours = exec(ours, None);
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));

    // -e: pacparser 1.3.6 keeps calling FindProxyForURL (its -e is a no-op) and has no
    // getClientVersion; pe-doctor's -e evaluates as WinHTTP does.
    let ex = write(
        dir.path(),
        "ex.pac",
        "function FindProxyForURL(url, host) { return 'PROXY std.example:1; ' + typeof getClientVersion; }\n\
         function FindProxyForURLEx(url, host) { return 'PROXY ex.example:1; ' + getClientVersion(); }\n",
    );
    let (theirs, ours) = both(
        &["-p", &ex, "-e", "-u", "http://a.example/", "-c", "10.0.0.1"],
        None,
    );
    assert_eq!(text(&theirs.stdout), "PROXY std.example:1; undefined\n");
    assert_eq!(text(&ours.stdout), "PROXY ex.example:1; 1.0\n");
    let (theirs, ours) = both(
        &["-p", &ex, "-u", "http://a.example/", "-c", "10.0.0.1"],
        None,
    );
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
}
