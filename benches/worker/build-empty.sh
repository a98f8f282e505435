#!/usr/bin/env bash
# Builds the empty baseline worker (benches/worker/empty) with worker-build,
# into benches/worker/empty/build/, with the same local tools as
# scripts/build-worker.sh (wasm-bindgen from PATH, wasm-opt and esbuild from
# tests/worker/node_modules). Quick when nothing changed: the inputs' digest
# is kept next to the output. Runs cargo under `nice`. A standalone crate
# with its own [workspace]: cargo's target dir is its own (or
# CARGO_TARGET_DIR), and only build/ is read afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/need.sh

crate=benches/worker/empty
out=$crate/build
node_bin=$PWD/tests/worker/node_modules/.bin

inputs() {
  sha256sum "$crate/src/lib.rs" "$crate/body.json" "$crate/Cargo.toml" "$crate/Cargo.lock"
  worker-build --version
}

ensure wasm32 worker-build wasm-bindgen npm:tests/worker
need tests/worker/node_modules/.bin/wasm-opt tests/worker/node_modules/.bin/esbuild

digest=$(inputs | sha256sum | cut -d' ' -f1)
if [ -f "$out/index.js" ] && [ "$(cat "$out/.inputs" 2>/dev/null)" = "$digest" ]; then
  exit 0
fi

export WASM_BINDGEN_BIN WASM_OPT_BIN ESBUILD_BIN
WASM_BINDGEN_BIN=$(command -v wasm-bindgen)
WASM_OPT_BIN=$node_bin/wasm-opt
ESBUILD_BIN=$node_bin/esbuild
(cd "$crate" && nice -n 10 worker-build --release)
echo "$digest" > "$out/.inputs"
