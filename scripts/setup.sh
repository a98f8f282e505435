#!/usr/bin/env bash
# Installs every tool the project builds and tests with. Idempotent: a second
# run only checks versions and returns in seconds. Tools go to ~/.cargo/bin and
# Debian's paths; npm packages to each package's own node_modules. What each
# tool is, how it is checked and how it is installed: scripts/lib/need.sh,
# which the other scripts use to check (or install) just what they need.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh

rustup component add rustfmt clippy >/dev/null 2>&1 || true

needs=(wasm32 wasm-bindgen)
[ -d crates/edgeflag-worker ] && needs+=(worker-build)
# One install brings both.
ready chromium && ready chromedriver || needs+=(chromium)
# npm packages, per package, from their lockfiles.
for dir in npm tests/worker tests/console; do
  [ -f "$dir/package-lock.json" ] && needs+=("npm:$dir")
done
for n in "${needs[@]}"; do
  ready "$n" || install_need "$n"
done

python3 -c 'import xxhash' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check xxhash
