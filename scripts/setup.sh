#!/usr/bin/env bash
# Installs every tool the project builds and tests with. Idempotent: a second
# run only checks versions and returns in seconds. Tools go to ~/.cargo/bin and
# Debian's paths; npm packages to each package's own node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }
say() { printf '  setup: %s\n' "$*"; }

rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target list --installed | grep -qx wasm32-unknown-unknown ||
  { say "rustup target wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }

# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -n "$wbg" ] && ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg$"; then
  say "wasm-bindgen-cli $wbg (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$wbg" --quiet
fi

if [ -d crates/edgeflag-worker ] && ! have worker-build; then
  say "worker-build (a few minutes, once)"
  cargo install worker-build --version 0.8.7 --quiet
fi

python3 -c 'import xxhash' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check xxhash

if ! have chromium || ! have chromedriver; then
  say "chromium and chromedriver from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# npm packages, per package, from their lockfiles.
for dir in npm tests/worker tests/console; do
  if [ -f "$dir/package-lock.json" ]; then
    stamp="$dir/node_modules/.edgeflag-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
      say "npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      cp "$dir/package-lock.json" "$stamp"
    fi
  fi
done
