#!/usr/bin/env bash
# Builds the edge worker (crates/edgeflag-worker) into crates/edgeflag-worker/build/
# with worker-build, using local tools only: wasm-bindgen from ~/.cargo/bin (it
# must match the wasm-bindgen crate in Cargo.lock), wasm-opt and esbuild from
# tests/worker/node_modules; stops naming what is missing (scripts/setup.sh
# installs it). Quick when nothing changed: the inputs' digest is
# kept next to the output. wrangler.toml's [build] runs this too.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh

out=crates/edgeflag-worker/build
node_bin=$PWD/tests/worker/node_modules/.bin

inputs() {
  find src crates/edgeflag-worker/src -type f -name '*.rs' -print0 | sort -z | xargs -0 sha256sum
  sha256sum Cargo.toml Cargo.lock crates/edgeflag-worker/Cargo.toml
  worker-build --version
}

need wasm32 worker-build wasm-bindgen tests/worker/node_modules/.bin/wasm-opt \
  tests/worker/node_modules/.bin/esbuild

digest=$(inputs | sha256sum | cut -d' ' -f1)
if [ -f "$out/index.js" ] && [ "$(cat "$out/.inputs" 2>/dev/null)" = "$digest" ]; then
  exit 0
fi

export WASM_BINDGEN_BIN WASM_OPT_BIN ESBUILD_BIN
WASM_BINDGEN_BIN=$(command -v wasm-bindgen)
WASM_OPT_BIN=$node_bin/wasm-opt
ESBUILD_BIN=$node_bin/esbuild
(cd crates/edgeflag-worker && worker-build --release)
echo "$digest" > "$out/.inputs"
