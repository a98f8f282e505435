#!/usr/bin/env bash
# Builds the npm package into npm/dist: the wasm core (crates/edgeflag-wasm)
# twice, tuned for speed (Node, JS workers, the console) and for size
# (browsers), each through wasm-bindgen and npm binaryen's wasm-opt; the JS
# wrapper, the runtime entry points and the types. The one build command:
#   bash npm/build.sh        (or `npm run build` in npm/)
# Quick when nothing changed: cargo is incremental, and wasm-bindgen/wasm-opt
# run again only when the wasm cargo built differs from the last one.
# On a fresh machine it first installs what it builds with (as
# scripts/setup.sh would, see scripts/lib/need.sh): rustc's wasm32 target, the
# wasm-bindgen CLI of Cargo.lock's version (a few minutes, once) and npm/'s
# packages; what it cannot install, it names with the command to run.
set -euo pipefail
cd "$(dirname "$0")"
. ../scripts/lib/need.sh

say() { printf '  build: %s\n' "$*"; }

# wasm-opt comes from npm binaryen: Debian's binaryen 108 writes -Oz output
# that fails to load.
ensure wasm32 wasm-bindgen npm:npm npm/node_modules/.bin/wasm-opt

target_dir=$(target_dir)
opt_flags="-Oz --converge --strip-debug --strip-producers --strip-target-features"
mkdir -p dist

# build <name> <cargo profile> [cargo flags...]: dist/<name>.js and dist/<name>_bg.wasm.
build() {
  local name=$1 profile=$2
  shift 2
  cargo build --quiet --locked -p edgeflag-wasm --target wasm32-unknown-unknown --profile "$profile" "$@"
  local raw="$target_dir/wasm32-unknown-unknown/$profile/edgeflag_wasm.wasm"
  local stamp="dist/.$name.sha256"
  local sum
  sum="$(sha256sum "$raw" | cut -d' ' -f1) $opt_flags"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -f "dist/${name}_bg.wasm" ]; then
    return
  fi
  say "wasm-bindgen + wasm-opt: $name"
  local tmp
  tmp=$(mktemp -d)
  # --target web: ESM glue with an explicit init, which each runtime's entry
  # point calls its own way (fs in Node, fetch in browsers, a static import in workers).
  wasm-bindgen --target web --no-typescript --out-dir "$tmp" --out-name "$name" "$raw"
  # The browser build's glue, minified: bytes over the wire (esbuild renames
  # locals only; the wasm's import names are properties and stay).
  if [ "$name" = edgeflag_web ]; then
    node_modules/.bin/esbuild "$tmp/$name.js" --minify --format=esm --log-level=warning --outfile="$tmp/$name.min.js"
    mv "$tmp/$name.min.js" "$tmp/$name.js"
  fi
  # shellcheck disable=SC2086
  node_modules/.bin/wasm-opt $opt_flags "$tmp/${name}_bg.wasm" -o "$tmp/opt.wasm"
  mv "$tmp/opt.wasm" "dist/${name}_bg.wasm"
  mv "$tmp/$name.js" "dist/$name.js"
  rm -rf "$tmp"
  echo "$sum" >"$stamp"
}

# The full build, tuned for speed: Node, JS workers and the release console.
build edgeflag_wasm wasm-release
# The browser build, tuned for size, without the console's extras, and with
# sha2's compact (rolled-loop) SHA-256/512: ~15 KB less wasm, slower hashing.
RUSTFLAGS='--cfg sha2_backend_soft="compact"' build edgeflag_web wasm-web --no-default-features

# The hand-written part: always copied, it is cheap. The browser build's
# wrapper is the same file bound to the browser build's glue, with slots.js
# bundled in and minified (esbuild), since a page pays for every byte.
cp src/*.js src/*.d.ts dist/
node_modules/.bin/esbuild src/edgeflags.js --bundle --minify --format=esm --log-level=warning \
  --external:./edgeflag_wasm.js --outfile=dist/edgeflags_web.min.js
sed 's#from"./edgeflag_wasm.js"#from"./edgeflag_web.js"#' dist/edgeflags_web.min.js >dist/edgeflags_web.js
rm dist/edgeflags_web.min.js
grep -q '"./edgeflag_web.js"' dist/edgeflags_web.js || { echo "build: edgeflags.js no longer imports ./edgeflag_wasm.js" >&2; exit 1; }
say "dist/ ready ($(wc -c <dist/edgeflag_wasm_bg.wasm) bytes of wasm, $(wc -c <dist/edgeflag_web_bg.wasm) for browsers)"
