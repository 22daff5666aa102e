#!/usr/bin/env bash
# Measures PAC evaluation throughput of pe-doctor's engine, pacparser and pac-resolver on the
# same inputs in the same run, and prints the ratios.
#
#   pac/bench/compare.sh [BENCH_DIR] [SECONDS]
#
# BENCH_DIR defaults to ../shared/bench/pac (small.pac, large.pac, urls.txt); SECONDS per
# measurement defaults to 3. Installs nothing itself; it needs:
#   - pacparser:    apt-get update && apt-get install -y python3-pacparser
#   - pac-resolver: mkdir -p "$PAC_RESOLVER_DIR" && cd "$PAC_RESOLVER_DIR" &&
#                   npm init -y && npm install pac-resolver@9
#                   (PAC_RESOLVER_DIR defaults to ${TMPDIR:-/tmp}/pe-doctor-pac-bench)
# A missing peer is reported and skipped.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench_dir="${1:-$root/../shared/bench/pac}"
seconds="${2:-3}"
bench_dir="$(cd "$bench_dir" && pwd)"
resolver_dir="${PAC_RESOLVER_DIR:-${TMPDIR:-/tmp}/pe-doctor-pac-bench}"
python="${PACPARSER_PYTHON:-/usr/bin/python3}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "inputs: $bench_dir, ${seconds}s per measurement, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

(cd "$root" && cargo bench -q -p pac --bench throughput -- "$bench_dir" "$seconds") | tee -a "$out"

if "$python" -W ignore -c 'import pacparser' 2>/dev/null; then
  "$python" "$here/pacparser_bench.py" "$bench_dir" "$seconds" | tee -a "$out"
else
  echo "pacparser: not installed (apt-get install -y python3-pacparser); skipped"
fi

if [ -f "$resolver_dir/node_modules/pac-resolver/package.json" ] && command -v node >/dev/null; then
  node "$here/pac_resolver_bench.mjs" "$resolver_dir/node_modules" "$bench_dir" "$seconds" | tee -a "$out"
else
  echo "pac-resolver: not found in $resolver_dir (see the header of this script); skipped"
fi

echo
awk '
  { rate[$1 " " $2] = $3 }
  END {
    split("small.pac large.pac", files, " ")
    for (i = 1; i <= 2; i++) {
      f = files[i]
      ours = rate["pe-doctor-pac " f]
      batch = rate["pe-doctor-pac-batch " f]
      printf "%-10s pe-doctor %8d/s  batch %8d/s", f, ours, batch
      if (rate["pacparser " f] > 0) printf "  pacparser %7d/s (x%.1f, batch x%.1f)", rate["pacparser " f], ours / rate["pacparser " f], batch / rate["pacparser " f]
      if (rate["pac-resolver " f] > 0) printf "  pac-resolver %7d/s (x%.1f, batch x%.1f)", rate["pac-resolver " f], ours / rate["pac-resolver " f], batch / rate["pac-resolver " f]
      printf "\n"
    }
  }' "$out"
