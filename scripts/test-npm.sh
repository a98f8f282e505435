#!/usr/bin/env bash
# Tests the npm package end to end, for real:
#  1. the wasm core's tests (every tests/vectors/*.json, the hostile snapshots)
#     through its JS-facing exports, in Node and in headless Chromium;
#  2. the package built (npm/build.sh) and packed (npm pack), the tarball
#     installed into a scratch project in a temp dir, and `node --test` there:
#     the API from Node, the vectors through the JS wrapper, the providers with
#     the real OpenFeature SDKs against a local HTTP server, a worker under
#     workerd (miniflare), a page in headless Chromium, the types with tsc.
# Idempotent, and quick when built: cargo and npm/build.sh are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. scripts/lib/need.sh

step() { printf '\n== %s\n' "$*"; }

# The wasm tests' runner in Node and Chromium, and the package's build tools.
ensure wasm32 wasm-bindgen chromium chromedriver npm:npm

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step "wasm core: vectors and hostile snapshots through the JS-facing exports, in Node"
cargo test --locked -p edgeflag-wasm --target wasm32-unknown-unknown
step "the same in headless Chromium, with the browser build's features (no console extras)"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
  cargo test --locked -p edgeflag-wasm --target wasm32-unknown-unknown --no-default-features

step "build and pack the npm package"
bash npm/build.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd npm && npm pack --silent --pack-destination "$tmp" >/dev/null)
tarball=$(ls "$tmp"/edgeflag-*.tgz)
# The browser build as a page loads it, gzip -9 and brotli (quality 11, as
# CDNs serve it); BENCHMARKS.md has the history. (slots.js is bundled into
# edgeflags_web.js there.)
node -e '
  const fs = require("fs"), zlib = require("zlib"), { execFileSync } = require("child_process");
  let gz = 0, br = 0;
  for (const f of process.argv.slice(1)) {
    const b = fs.readFileSync("npm/dist/" + f);
    // The gzip CLI, as every earlier figure in BENCHMARKS.md was measured.
    const g = execFileSync("gzip", ["-9c", "npm/dist/" + f]).length;
    const r = zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    gz += g; br += r;
    console.log(`  ${f.padEnd(24)} gzip -9 ${String(g).padStart(7)}  brotli ${String(r).padStart(7)} bytes`);
  }
  console.log(`  ${"browser build".padEnd(24)} gzip -9 ${String(gz).padStart(7)}  brotli ${String(br).padStart(7)} bytes`);
' edgeflag_web_bg.wasm edgeflag_web.js edgeflags_web.js browser.js

step "fixtures: the CLI, vector snapshots and the reference workload from Rust"
cargo build --quiet --locked -p edgeflag-cli
cargo run --quiet --locked -p edgeflag-wasm --example fixtures -- "$tmp/fixtures"

step "the tarball in a scratch project"
scratch="$tmp/scratch"
mkdir -p "$scratch/test" "$scratch/support" "$scratch/bench"
printf '{ "name": "scratch", "private": true, "type": "module" }\n' >"$scratch/package.json"
# The test tools at the versions npm/package-lock.json pins (npm ci in
# npm/ has them in the npm cache already).
pinned=$(cd npm && node -e '
  const lock = require("./package-lock.json").packages;
  const names = ["@openfeature/server-sdk", "@openfeature/web-sdk", "@openfeature/core",
    "miniflare", "esbuild", "playwright-core", "typescript", "@types/node", "vite"];
  console.log(names.map((n) => `${n}@${lock["node_modules/" + n].version}`).join(" "));')
# shellcheck disable=SC2086
(cd "$scratch" && npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball" $pinned)
cp npm/test/*.test.mjs npm/test/consumer.ts "$scratch/test/"
cp npm/test/support/* "$scratch/support/"
cp npm/bench/workload.mjs "$scratch/bench/"

step "node --test in the scratch project"
(cd "$scratch" &&
  EDGEFLAG_ROOT="$root" EDGEFLAG_CLI="$(edgeflag_cli)" EDGEFLAG_FIXTURES="$tmp/fixtures" \
    node --test test/*.test.mjs)

step "the types, as a TypeScript consumer sees them (tsc --strict)"
(cd "$scratch" && npx --no-install tsc --noEmit --strict --skipLibCheck false \
  --target es2022 --lib es2022,esnext.disposable,dom --module nodenext --moduleResolution nodenext \
  test/consumer.ts)

echo
echo "npm package tests passed"
