#!/usr/bin/env bash
# Type-checks pe-doctor for macOS (aarch64-apple-darwin) on Linux: `cargo check`, with Zig (from
# PyPI's `ziglang` package) as the C compiler for ring's C code. Linking is impossible here
# without Apple's SDK, so nothing is built or run: this catches code that does not compile on
# macOS (`#[cfg(target_os = "macos")]` paths, macOS-only dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-apple-darwin

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  if ! rustup target add "$target" >/dev/null 2>&1; then
    echo "SKIPPED: the Rust target $target is not installed and the toolchain server cannot be reached"
    exit 0
  fi
fi

venv=target/zig-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import ziglang' 2>/dev/null; then
  "$venv/bin/pip" install --quiet ziglang || { echo "SKIPPED: cannot install ziglang from PyPI"; exit 0; }
fi

# cc-rs wants one executable per tool: small wrappers around `python -m ziglang`.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
py="$PWD/$venv/bin/python"
# cc-rs passes clang's `--target=arm64-apple-macosx`, which Zig does not know: drop it.
cat > "$bin/zig-cc" <<SH
#!/bin/sh
for a in "\$@"; do
  shift
  case "\$a" in --target=*) ;; *) set -- "\$@" "\$a" ;; esac
done
exec "$py" -m ziglang cc -target aarch64-macos "\$@"
SH
printf '#!/bin/sh\nexec "%s" -m ziglang ar "$@"\n' "$py" > "$bin/zig-ar"
chmod +x "$bin/zig-cc" "$bin/zig-ar"
export CC_aarch64_apple_darwin="$bin/zig-cc" AR_aarch64_apple_darwin="$bin/zig-ar"

cargo check --target "$target" --workspace --all-targets "$@"
echo "macos-check: aarch64-apple-darwin type-checks"
