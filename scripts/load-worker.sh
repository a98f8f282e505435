#!/usr/bin/env bash
# Load on the edge worker (not a test; the figures go to BENCHMARKS.md): 60 s of
# bulk OFREP at 32 connections against `wrangler dev --local` on 127.0.0.1
# while a new signed snapshot is written to its local KV every 5 s. Arguments
# go to tests/worker/load.mjs (--duration, --connections, --swap-every, --refresh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
# What scripts/build-worker.sh needs, installed when missing.
ensure wasm32 worker-build wasm-bindgen npm:tests/worker
cargo build -p edgeflag-cli --locked --quiet
bash scripts/build-worker.sh
EDGEFLAG_CLI=$(edgeflag_cli) exec node tests/worker/load.mjs "$@"
