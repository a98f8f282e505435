#!/usr/bin/env bash
# The release console in real headless Chromium (Debian's) against the worker
# under `wrangler dev`: page loads, signature, timeline, charts, try-a-user,
# environment switch and a rejected snapshot. Screenshots land in
# target/console-screenshots/. Idempotent; quick when everything is built.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f tests/console/node_modules/.edgeflag-lock ] || ! command -v chromium >/dev/null ||
  ! cmp -s tests/console/package-lock.json tests/console/node_modules/.edgeflag-lock; then
  bash scripts/setup.sh
fi
cargo build -p edgeflag-cli --locked --quiet
bash scripts/build-console.sh
bash scripts/build-worker.sh >/dev/null

cd tests/console
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
node --test --test-concurrency=1 --test-timeout=300000 console.test.mjs
