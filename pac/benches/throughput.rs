//! Throughput of `find_proxy` on the shared PAC benchmark inputs.
//!
//! `cargo bench -p pac --bench throughput -- [DIR] [SECONDS]` (DIR defaults to
//! `../shared/bench/pac` relative to the workspace, SECONDS to 3 per script). Prints one line per
//! script: `pe-doctor-pac <file> <calls/s>`. `bench/compare.sh` runs this next to pacparser and
//! pac-resolver on the same inputs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pac::{PacOptions, PacScript};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = args.first().map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/pac"),
        PathBuf::from,
    );
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let urls_text = match std::fs::read_to_string(dir.join("urls.txt")) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.join("urls.txt").display());
            std::process::exit(2);
        }
    };
    let urls: Vec<&str> = urls_text.lines().filter(|l| !l.trim().is_empty()).collect();
    let only = std::env::var("PAC_BENCH_ONLY").ok();
    for name in ["small.pac", "large.pac"] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let path = dir.join(name);
        let src = match pac::load::load_file(&path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        let script = match PacScript::compile(&src, PacOptions::default()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(2);
            }
        };
        // Warm up (fills the pattern cache), then measure whole cycles over the URL list.
        for u in &urls {
            let _ = script.find_proxy_for_url(u);
        }
        let budget = Duration::from_secs_f64(secs);
        let start = Instant::now();
        let mut calls = 0u64;
        while start.elapsed() < budget {
            for u in &urls {
                if let Err(e) = script.find_proxy_for_url(u) {
                    eprintln!("{name} {u}: {e}");
                    std::process::exit(1);
                }
                calls += 1;
            }
        }
        let rate = calls as f64 / start.elapsed().as_secs_f64();
        println!("pe-doctor-pac {name} {rate:.0}");
        // The same work in batches of the whole URL list (one engine round trip each).
        let start = Instant::now();
        let mut calls = 0u64;
        while start.elapsed() < budget {
            for r in script.find_proxy_for_urls(&urls) {
                if let Err(e) = r {
                    eprintln!("{name}: {e}");
                    std::process::exit(1);
                }
                calls += 1;
            }
        }
        let rate = calls as f64 / start.elapsed().as_secs_f64();
        println!("pe-doctor-pac-batch {name} {rate:.0}");
        if std::env::var_os("PAC_BENCH_IN_THREAD").is_some() {
            let start = Instant::now();
            let n = pac::__bench::in_thread(&src, &urls, 2000).unwrap_or(0);
            let rate = n as f64 / start.elapsed().as_secs_f64();
            println!("in-thread {name} {rate:.0}");
        }
    }
}
