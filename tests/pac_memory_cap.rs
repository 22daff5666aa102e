//! The PAC worker's memory cap holds on every platform: a script that doubles a string until
//! it would need 16 GiB is stopped at the cap and reported as out of memory (on Linux
//! `RLIMIT_DATA` may stop it first; on Windows and macOS the allocator's cap does).

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_script_that_grows_without_end_is_stopped_at_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grow.pac");
    std::fs::write(
        &path,
        "function FindProxyForURL(u, h) { var s = 'xxxxxxxxxxxxxxxx'; \
         for (var i = 0; i < 30; i++) { s = s + s; } return 'DIRECT'; }",
    )
    .unwrap();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pe-doctor"))
        .args(["pac", "--pac"])
        .arg(&path)
        .args(["-u", "http://a.example/"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = start.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("ERROR: "), "{text}");
    assert!(text.contains("out of memory"), "{text}");
    assert!(text.contains("256 MiB"), "{text}");
    assert!(took < Duration::from_secs(15), "{took:?}");
}
