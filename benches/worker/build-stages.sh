#!/usr/bin/env bash
# Builds benches/worker/stages (the bulk request's stages, timed by
# stages.mjs) for wasm32 with the release profile, then wasm-bindgen
# (--target nodejs) and the same `wasm-opt -O` pass, features and
# --debuginfo that worker-build 0.8.7 runs on the worker, into
# benches/worker/stages/pkg/. Quick when nothing changed. Cargo runs under
# `nice`; its target dir is the crate's own (or CARGO_TARGET_DIR), found
# with `cargo metadata`.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/need.sh

crate=benches/worker/stages
out=$crate/pkg

inputs() {
  find src crates/edgeflag-worker/src "$crate/src" -type f -name '*.rs' -print0 | sort -z | xargs -0 sha256sum
  sha256sum Cargo.toml crates/edgeflag-worker/Cargo.toml "$crate/Cargo.toml" "$crate/Cargo.lock"
}

ensure wasm32 wasm-bindgen npm:tests/worker
need tests/worker/node_modules/.bin/wasm-opt

digest=$(inputs | sha256sum | cut -d' ' -f1)
if [ -f "$out/edgeflag_bench_worker_stages.js" ] && [ "$(cat "$out/.inputs" 2>/dev/null)" = "$digest" ]; then
  exit 0
fi

(cd "$crate" && nice -n 10 cargo build --release --target wasm32-unknown-unknown)
target=$(cd "$crate" && cargo metadata --format-version 1 --no-deps |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
rm -rf "$out"
wasm-bindgen --target nodejs --out-dir "$out" "$target/wasm32-unknown-unknown/release/edgeflag_bench_worker_stages.wasm"
features=()
for f in mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling; do
  features+=("--enable-$f")
done
wasm="$out/edgeflag_bench_worker_stages_bg.wasm"
tests/worker/node_modules/.bin/wasm-opt -O "${features[@]}" --debuginfo "$wasm" -o "$wasm"
echo "$digest" > "$out/.inputs"
