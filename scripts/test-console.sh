#!/usr/bin/env bash
# The release console in real headless Chromium (Debian's) against the worker
# under `wrangler dev`: page loads, signature, timeline, charts, try-a-user,
# the audience switch, the npm web provider loading the browser snapshot,
# environment switch and a rejected snapshot. Screenshots land in
# target/console-screenshots/. Installs what is missing; idempotent, and quick
# when everything is built.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh

# The console's own, and what the worker's build needs (npm/build.sh ensures its own).
ensure npm:tests/console chromium wasm32 worker-build wasm-bindgen npm:tests/worker
cargo build -p edgeflag-cli --locked --quiet
bash scripts/build-console.sh
bash scripts/build-worker.sh >/dev/null

cd tests/console
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
EDGEFLAG_CLI=$(edgeflag_cli)
export EDGEFLAG_CLI
node --test --test-concurrency=1 --test-timeout=300000 console.test.mjs
