#!/usr/bin/env bash
# Builds pe-doctor's tests for Windows (x86_64-pc-windows-gnu, MinGW) and runs them under Wine.
# Run it inside a private network namespace, like the Linux tests:
#   unshare -n sh -c 'ip link set lo up && scripts/windows-test.sh'
# Wine before 8.13 lacks ProcessPrng (bcryptprimitives.dll), which Rust's standard library
# needs for random numbers; a small shim forwarding to RtlGenRandom is compiled from source
# here with MinGW and put next to the executables. Ends with one line: `N passed, M failed`.
# Needs: the Rust target, gcc-mingw-w64-x86-64, wine (Debian packages of those names).
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  if ! rustup target add "$target" >/dev/null 2>&1; then
    echo "SKIPPED: the Rust target $target is not installed and the toolchain server cannot be reached"
    exit 0
  fi
fi
for tool in x86_64-w64-mingw32-gcc wine; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (apt-get install gcc-mingw-w64-x86-64 wine)"; exit 0; }
done

out="target/$target/debug"
mkdir -p "$out/deps"
shim_dir=$(mktemp -d)
trap 'rm -rf "$shim_dir"' EXIT
cat > "$shim_dir/bcryptprimitives.c" <<'C'
/* ProcessPrng for Wine < 8.13: fills the buffer from RtlGenRandom (SystemFunction036). */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
C
x86_64-w64-mingw32-gcc -O2 -shared -o "$shim_dir/bcryptprimitives.dll" \
  "$shim_dir/bcryptprimitives.c" -ladvapi32

export WINEPREFIX="${WINEPREFIX:-$PWD/target/wine-prefix}"
export WINEDEBUG=-all
# No Mono/Gecko install prompts; the shim wins over any builtin.
export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
wineboot --init >/dev/null 2>&1 || true
# In the prefix's system32, so doctests (run from a temporary folder) find it too.
cp "$shim_dir/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

# Tests Wine cannot run, each with the reason; they run on Linux and on real Windows.
no_cert_store="Wine has no certificate store: rustls-platform-verifier fails to start"
skips=(
  "pac_fetch::tests::fetches_over_https_with_an_extra_root|$no_cert_store with an extra root (\"Invalid parameter\")"
  "lab::https_server::tests::reset_after_hello_resets_the_tls_handshake|under Wine a socket closed with SO_LINGER 0 arrives as a close, not a reset"
  "lab_scenarios::tls_reset_is_one_finding_naming_both_endpoint_addresses|under Wine a socket closed with SO_LINGER 0 arrives as a close, not a reset"
  "probe::dns::tests::closed_udp_port_is_refused_not_a_timeout|under Wine a connected UDP socket is not told of the ICMP port-unreachable, so the question times out"
  "scale::ten_thousand_names_give_a_complete_report|10,000 names within the deadline is a native-speed bound; emulated, a few hundred are answered in time"
)
skip_args=()
for s in "${skips[@]}"; do
  skip_args+=(--skip "${s%%|*}")
done

log=$(mktemp)
trap 'rm -rf "$shim_dir" "$log"' EXIT
set +e
# One test at a time: the lab tests run whole diagnoses against loopback servers under a
# deadline, and emulated in parallel on a busy machine they miss it.
cargo test --target "$target" --workspace --no-fail-fast "$@" -- --test-threads=1 "${skip_args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo
echo "Skipped under Wine:"
for s in "${skips[@]}"; do
  echo "  ${s%%|*}: ${s#*|}"
done
awk -v skipped="${#skips[@]}" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "\nwine: %d passed, %d failed, %d skipped\n", p, f, skipped }' "$log"
exit "$status"
