"""Throughput of pacparser (Debian python3-pacparser) on the shared PAC inputs.

usage: python3 pacparser_bench.py DIR SECONDS  -> lines "pacparser <file> <calls/s>"
"""
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pacparser  # noqa: E402

bench_dir, seconds = sys.argv[1], float(sys.argv[2])
urls = [u for u in open(f"{bench_dir}/urls.txt").read().split() if u]
for name in ("small.pac", "large.pac"):
    pacparser.init()
    pacparser.parse_pac(f"{bench_dir}/{name}")
    for u in urls:
        pacparser.find_proxy(u)
    calls = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for u in urls:
            pacparser.find_proxy(u)
            calls += 1
    print(f"pacparser {name} {calls / (time.perf_counter() - start):.0f}", flush=True)
    pacparser.cleanup()
