#!/usr/bin/env bash
# Builds the release console's one build input: the npm package's full
# browser build ("edgeflag/console": status, simulate, definitions), copied to www/vendor/edgeflag/ (generated, gitignored) where the worker
# serves it with the page. Quick when nothing changed (npm/build.sh is).
set -euo pipefail
cd "$(dirname "$0")/.."
bash npm/build.sh >/dev/null
mkdir -p www/vendor/edgeflag
for f in console.js edgeflags.js slots.js edgeflag_wasm.js edgeflag_wasm_bg.wasm; do
  cmp -s "npm/dist/$f" "www/vendor/edgeflag/$f" || cp "npm/dist/$f" "www/vendor/edgeflag/$f"
done
