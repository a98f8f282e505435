#!/usr/bin/env bash
# The edge worker against the real runtime: lints crates/edgeflag-worker for
# wasm32 (natively it is linted and unit-tested with the workspace), builds it
# with worker-build (quick when nothing changed), then runs tests/worker with
# Node's test runner: workerd through miniflare and `wrangler dev`, local KV,
# snapshots signed by the CLI, real OpenFeature clients. Installs what is
# missing; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh

step() { printf '\n== worker: %s\n' "$*"; }

step "setup (installs what is missing)"
ensure wasm32 worker-build wasm-bindgen npm:tests/worker

step "clippy for wasm32 (the runtime glue only exists there)"
cargo clippy -p edgeflag-worker --no-deps --target wasm32-unknown-unknown --locked -- -D warnings

step "the edgeflag cli (signs the test snapshots)"
cargo build -p edgeflag-cli --locked --quiet

step "worker-build"
bash scripts/build-worker.sh

step "the npm package (vectors.test.mjs compares its flagMetadata with OFREP's) and the console's copy (guards.test.mjs screenshots it)"
bash npm/build.sh
bash scripts/build-console.sh

step "tests under workerd (node --test)"
EDGEFLAG_CLI=$(edgeflag_cli)
export EDGEFLAG_CLI
cd tests/worker
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
node --test --test-concurrency=1 --test-timeout=180000 \
  vectors.test.mjs ofrep.test.mjs snapshots.test.mjs trust.test.mjs browser.test.mjs openfeature.test.mjs console-env.test.mjs wrangler.test.mjs guards.test.mjs
