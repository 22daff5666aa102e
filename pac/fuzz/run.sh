#!/usr/bin/env bash
# Fuzzes compile + evaluate of PAC scripts for a bounded time.
#
#   pac/fuzz/run.sh [SECONDS]      (default 60)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The toolchain here is stable, so nightly-only
# flags are unlocked with RUSTC_BOOTSTRAP=1; no sanitizer is used (the crate forbids unsafe code,
# the fuzzer looks for panics, hangs and aborts). Exits non-zero if a crash or timeout is found;
# reproducers land in pac/fuzz/artifacts/.
set -euo pipefail
seconds="${1:-60}"
cd "$(dirname "$0")"
mkdir -p corpus/compile_eval
# Seeds: the benchmark scripts (mode byte 0 = whole script) when present.
for f in ../../../shared/bench/pac/small.pac ../../../shared/bench/pac/large.pac; do
  if [ -f "$f" ]; then
    { printf '\0'; cat "$f"; } > "corpus/compile_eval/seed-$(basename "$f")"
  fi
done
RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none compile_eval corpus/compile_eval -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096
