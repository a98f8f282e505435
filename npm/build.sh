#!/usr/bin/env bash
# Builds the npm package into npm/dist: the wasm core (crates/edgeflag-wasm,
# size-tuned profile, then wasm-bindgen and npm binaryen's wasm-opt), the JS
# wrapper, the runtime entry points and the types. The one build command:
#   bash npm/build.sh        (or `npm run build` in npm/)
# Quick when nothing changed: cargo is incremental, and wasm-bindgen/wasm-opt
# run again only when the wasm cargo built differs from the last one.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '  build: %s\n' "$*"; }

if [ ! -x node_modules/.bin/wasm-opt ]; then
  say "npm ci (wasm-opt comes from npm binaryen; Debian's is too old, see TOOLCHAIN.md)"
  npm ci --no-audit --no-fund --loglevel=error
fi

target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
raw="$target_dir/wasm32-unknown-unknown/wasm-release/edgeflag_wasm.wasm"

cargo build --quiet --locked -p edgeflag-wasm --target wasm32-unknown-unknown --profile wasm-release

opt_flags="-Oz --converge --strip-debug --strip-producers --strip-target-features"
stamp=dist/.wasm-source.sha256
sum="$(sha256sum "$raw" | cut -d' ' -f1) $opt_flags"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ] || [ ! -f dist/edgeflag_wasm_bg.wasm ]; then
  say "wasm-bindgen + wasm-opt"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # --target web: ESM glue with an explicit init, which each runtime's entry
  # point calls its own way (fs in Node, fetch in browsers, a static import in workers).
  wasm-bindgen --target web --no-typescript --out-dir "$tmp" --out-name edgeflag_wasm "$raw"
  # shellcheck disable=SC2086
  node_modules/.bin/wasm-opt $opt_flags "$tmp/edgeflag_wasm_bg.wasm" -o "$tmp/opt.wasm"
  mkdir -p dist
  mv "$tmp/opt.wasm" dist/edgeflag_wasm_bg.wasm
  mv "$tmp/edgeflag_wasm.js" dist/edgeflag_wasm.js
  echo "$sum" >"$stamp"
fi

# The hand-written part: always copied, it is cheap.
cp src/*.js src/*.d.ts dist/
say "dist/ ready ($(wc -c <dist/edgeflag_wasm_bg.wasm) bytes of wasm)"
