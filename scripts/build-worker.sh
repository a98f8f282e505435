#!/usr/bin/env bash
# Builds the edge worker (crates/edgeflag-worker) into crates/edgeflag-worker/build/
# with worker-build, using local tools only: wasm-bindgen from ~/.cargo/bin (it
# must match the wasm-bindgen crate in Cargo.lock), wasm-opt and esbuild from
# tests/worker/node_modules. Quick when nothing changed: the inputs' digest is
# kept next to the output. wrangler.toml's [build] runs this too.
set -euo pipefail
cd "$(dirname "$0")/.."

out=crates/edgeflag-worker/build
node_bin=$PWD/tests/worker/node_modules/.bin

inputs() {
  find src crates/edgeflag-worker/src -type f -name '*.rs' -print0 | sort -z | xargs -0 sha256sum
  sha256sum Cargo.toml Cargo.lock crates/edgeflag-worker/Cargo.toml
  worker-build --version
}

for tool in worker-build wasm-bindgen; do
  command -v "$tool" >/dev/null || { echo "build-worker: $tool is missing; run scripts/setup.sh" >&2; exit 2; }
done
for tool in wasm-opt esbuild; do
  [ -x "$node_bin/$tool" ] || { echo "build-worker: $node_bin/$tool is missing; run scripts/setup.sh" >&2; exit 2; }
done

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
