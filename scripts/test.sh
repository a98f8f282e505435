#!/usr/bin/env bash
# Sets up what the tests need, then runs every test. Quick when already set up.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "setup (installs what is missing; seconds when everything is there)"
bash scripts/setup.sh

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The browser build's feature set, as it compiles for the browser.
cargo clippy -p edgeflag-wasm --all-targets --no-default-features --target wasm32-unknown-unknown --locked -- -D warnings

step "rust tests: core (unit, vectors, properties, season0, release errors, checklist, snapshots) and the cli"
cargo test --workspace --locked

step "bucketing vectors against the independent reference implementation"
python3 tools/reference_bucketing.py --check

step "the main job's demo runs"
cargo run --quiet --locked --example demo -- --at 2026-12-02T18:00:00Z >/dev/null

# The shells, each replaying the shared vectors in its own runtime.
for suite in npm worker console; do
  if [ -f "scripts/test-$suite.sh" ]; then
    step "$suite"
    bash "scripts/test-$suite.sh"
  fi
done

# Needs the worker and npm builds the suites above left (quick to check).
step "the cross-runtime differential: a 20,000-case slice, fixed seed (the million: scripts/differential.sh)"
bash scripts/differential.sh --cases 20000 --seed 16

echo
echo "all test suites passed"
