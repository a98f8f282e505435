#!/usr/bin/env bash
# The main job: the edge worker locally with signed demo snapshots and the
# release console. Installs what is missing (quick when everything is there),
# builds the console's wasm, then scripts/dev-worker.sh builds the worker,
# creates a dev key if there is none, signs examples/season0.toml for
# production and staging, writes both to local KV and starts `wrangler dev` on
# http://127.0.0.1:8787 (console at /, OFREP at /ofrep/v1/...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-console.sh
exec bash scripts/dev-worker.sh "$@"
