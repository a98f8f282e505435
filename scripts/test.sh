#!/usr/bin/env bash
# Sets up what the tests need, then runs every test. Quick when already set up.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
python3 -c 'import xxhash' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check xxhash

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust tests: core (unit, vectors, properties, season0, release errors, checklist, snapshots) and the cli"
cargo test --workspace --locked

step "bucketing vectors against the independent reference implementation"
python3 tools/reference_bucketing.py --check

step "the main job's demo runs"
cargo run --quiet --locked --example demo -- --at 2026-12-02T18:00:00Z >/dev/null

echo
echo "all test suites passed"
