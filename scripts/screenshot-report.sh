#!/usr/bin/env bash
# Renders lab HTML reports in headless Chromium and checks what a reader sees: a non-blank
# screenshot (light and dark) and the verdict, fix and embedded JSON in the rendered DOM.
#
# Usage: scripts/screenshot-report.sh [OUT_DIR]        (default: target/report-screenshots)
# Env:   PE_DOCTOR=path/to/pe-doctor (default: build and use the debug binary)
#        CHROMIUM=path/to/chromium   (default: chromium or chromium-browser on PATH; installed
#                                     with apt-get when missing and running as root)
#
# Nothing leaves the machine: the lab runs on loopback, the report has no external asset, and
# Chromium runs with every host name mapped to NOTFOUND and background networking off.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/target/report-screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

fail() { echo "screenshot-report: FAIL: $*" >&2; exit 1; }

# --- chromium -------------------------------------------------------------------------------
chromium="${CHROMIUM:-}"
if [[ -z "$chromium" ]]; then
    chromium="$(command -v chromium || command -v chromium-browser || true)"
fi
if [[ -z "$chromium" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        fail "chromium is not installed (run as root to apt-get install it, or set CHROMIUM)"
    fi
    echo "screenshot-report: installing chromium (Debian package)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2
    chromium="$(command -v chromium)"
fi

# --- pe-doctor ------------------------------------------------------------------------------
bin="${PE_DOCTOR:-}"
if [[ -z "$bin" ]]; then
    (cd "$root" && cargo build -q --bin pe-doctor)
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/pe-doctor"
fi
[[ -x "$bin" ]] || fail "no pe-doctor binary at $bin"

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

browse() { # browse EXTRA_FLAGS... -- URL
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --disable-default-apps --no-default-browser-check \
        --disable-domain-reliability --disable-client-side-phishing-detection \
        --host-resolver-rules="MAP * ~NOTFOUND" --no-proxy-server \
        --user-data-dir="$profile" --window-size=1280,900 "$@" 2>/dev/null
}

png_ok() { # png_ok FILE MIN_BYTES
    local f="$1" min="$2" size magic
    [[ -s "$f" ]] || fail "$f was not written"
    magic="$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')"
    [[ "$magic" == "89504e470d0a1a0a" ]] || fail "$f is not a PNG"
    size="$(wc -c <"$f")"
    # A blank or nearly blank 1280x900 page compresses to a few kilobytes.
    ((size >= min)) || fail "$f is only $size bytes: the page looks blank"
    echo "screenshot-report: ok  $f ($size bytes)"
}

check_scenario() { # check_scenario SCENARIO EXPECTED_TAG EXPECTED_HEADLINE_PART
    local scenario="$1" tag="$2" headline="$3"
    local html="$out/$scenario.html"
    local rc=0
    "$bin" lab "$scenario" --format html --output "$html" 2>/dev/null || rc=$?
    ((rc <= 1)) || fail "pe-doctor lab $scenario exited $rc"
    [[ -s "$html" ]] || fail "no report at $html"

    (cd "$out" && browse --screenshot="$out/$scenario.png" "file://$html")
    png_ok "$out/$scenario.png" 20000
    (cd "$out" && browse --force-dark-mode --screenshot="$out/$scenario-dark.png" "file://$html")
    png_ok "$out/$scenario-dark.png" 20000
    if ! cmp -s "$out/$scenario.png" "$out/$scenario-dark.png"; then
        echo "screenshot-report: ok  dark scheme differs from light"
    else
        fail "$scenario: the dark screenshot is identical to the light one"
    fi

    local dom="$out/$scenario.dom.html"
    browse --dump-dom "file://$html" >"$dom"
    grep -q "<h1 id=\"verdict\">[^<]*$headline" "$dom" || fail "$scenario: headline '$headline' not in the DOM"
    grep -q "</span> $tag</div>" "$dom" || fail "$scenario: verdict '$tag' not in the DOM"
    grep -q '<script type="application/json" id="report">' "$dom" || fail "$scenario: no embedded JSON"
    echo "screenshot-report: ok  $scenario: '$tag' and '$headline' rendered"
}

check_scenario doh-leak WARNING "DNS-over-HTTPS resolver doh:public returns the PUBLIC address"
check_scenario custom-dns-no-forwarder PROBLEM "Your DNS server returns the PUBLIC address"
check_scenario healthy HEALTHY "Every name resolves to a private address"

# The JSON a helpdesk tool reads from the rendered page equals what pe-doctor writes.
json_dom="$out/doh-leak.json-from-dom.txt"
browse --dump-dom "file://$out/doh-leak.html" |
    sed -n '/<script type="application\/json" id="report">/,/<\/script>/p' >"$json_dom"
grep -q '"schema": "pe-doctor/report/v1"' "$json_dom" || fail "embedded JSON lacks the schema id"

# Printing opens the folded evidence: the PDF has more pages than the screen shows folded.
pdf="$out/doh-leak.pdf"
(cd "$out" && browse --no-pdf-header-footer --print-to-pdf="$pdf" "file://$out/doh-leak.html")
[[ -s "$pdf" ]] || fail "no PDF at $pdf"
pages="$(grep -a -c -E '/Type ?/Page([^s]|$)' "$pdf" || true)"
((pages >= 5)) || fail "the printed report has $pages pages: the evidence did not unfold"
echo "screenshot-report: ok  printed report has $pages pages"

echo "screenshot-report: all checks passed; screenshots in $out"
