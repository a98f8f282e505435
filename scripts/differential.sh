#!/usr/bin/env bash
# The cross-runtime differential (issue 16): seeded releases and cases from
# crates/edgeflag-differential, signed by the CLI, evaluated natively, by the
# npm package's wasm in Node, by the browser build in headless Chromium and by
# the worker under workerd (bulk OFREP), then compared field by field. Exits 1
# on any disagreement, with reproducers (vector files) in DIR/reproducers.
#   scripts/differential.sh                          # the full million, seed 2026
#   scripts/differential.sh --cases 20000 --seed 16  # the slice scripts/test.sh runs
# Installs what is missing; DIR is $EDGEFLAG_DIFFERENTIAL_DIR or a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh

cases=1000000
seed=2026
runtimes=node,chromium,worker
while [ $# -gt 0 ]; do
  case $1 in
    --cases) cases=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --runtimes) runtimes=$2; shift 2 ;;
    *) echo "usage: scripts/differential.sh [--cases N] [--seed N] [--runtimes node,chromium,worker]" >&2; exit 2 ;;
  esac
done
dir=${EDGEFLAG_DIFFERENTIAL_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/edgeflag-differential.XXXXXX")}
mkdir -p "$dir"

step() { printf '\n== differential: %s\n' "$*"; }

step "setup (installs what is missing)"
ensure wasm32 wasm-bindgen worker-build chromium npm:npm npm:tests/worker

step "the cli and the generator"
cargo build -p edgeflag-cli -p edgeflag-differential --locked --quiet
cli=$(edgeflag_cli)
differential=$(dirname "$cli")/edgeflag-differential

step "the worker and the npm package (quick when built)"
bash scripts/build-worker.sh
bash npm/build.sh

step "$cases cases, seed $seed, in $dir"
# A folder used before is rewritten whole (its key is kept).
rm -rf "$dir/results" "$dir/reproducers" "$dir"/plan.json "$dir"/r*.release.json "$dir"/r*.probes.jsonl "$dir"/r*.snapshot.json
"$differential" gen --seed "$seed" --cases "$cases" --out "$dir"
[ -f "$dir/differential.pem" ] || "$cli" keygen --out "$dir" --name differential >/dev/null
for release in "$dir"/r*.release.json; do
  name=$(basename "$release" .release.json)
  # The generated releases skip owners and runbooks: --force past the checklist.
  "$cli" build "$release" --env production --key "$dir/differential.pem" --out "$dir/$name.snapshot.json" \
    --version 1 --expires-in never --force >/dev/null
done

step "native"
"$differential" native --dir "$dir" --key "$dir/differential.pub.pem"

step "$runtimes"
(cd tests/worker && WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
  node differential.mjs "$dir" "$dir/differential.pub.pem" "$runtimes")

step "compare"
"$differential" compare --dir "$dir" --runtimes "$runtimes"
