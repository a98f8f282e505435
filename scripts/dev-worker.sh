#!/usr/bin/env bash
# Runs the edge worker locally, as it runs at the edge: builds it, makes a dev
# signing key if there is none (.dev/keys, gitignored), signs
# examples/season0.toml for production and staging, each for the edge and for
# browsers (each run chains a new version onto the last with --previous;
# browser snapshots expire in 2 days, so they publish no later stage), writes them to local KV
# (.dev/state) and starts `wrangler dev --local` on 127.0.0.1:${PORT:-8787}.
# Extra arguments go to wrangler dev, e.g. `--env staging` (serves the staging
# snapshot) or `--var ALLOW_TIME_OVERRIDE:true` (the X-Edgeflag-At header).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh

port=${PORT:-8787}
# What scripts/build-worker.sh needs, installed when missing.
ensure wasm32 worker-build wasm-bindgen npm:tests/worker
cargo build -p edgeflag-cli --locked --quiet
bash scripts/build-worker.sh

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
wrangler=tests/worker/node_modules/.bin/wrangler
edgeflag=$(edgeflag_cli)
mkdir -p .dev/snapshots
[ -f .dev/keys/dev.pem ] || "$edgeflag" keygen --out .dev/keys --name dev

for env in production staging; do
  for audience in server browser; do
    kv_key=snapshot:$env snap=.dev/snapshots/$env.json extra=()
    if [ "$audience" = browser ]; then
      kv_key=snapshot:$env:browser snap=.dev/snapshots/$env.browser.json
      extra=(--audience browser --expires-in 2d)
    fi
    # The first snapshot of an environment is version 1; later runs chain onto the last.
    chain=(--version 1)
    [ -f "$snap" ] && chain=(--previous "$snap")
    built=$("$edgeflag" --json build examples/season0.toml --env "$env" --key .dev/keys/dev.pem "${chain[@]}" "${extra[@]}" --out "$snap.new")
    mv "$snap.new" "$snap"
    "$wrangler" kv key put --local --persist-to .dev/state --binding FLAGS "$kv_key" --path "$snap" >/dev/null
    echo "dev-worker: $kv_key is $(node -e 'const b=JSON.parse(process.argv[1]);console.log(`version ${b.version}, ${b.digest}`)' "$built")"
  done
done

trusted=$(node -e 'process.stdout.write(JSON.stringify([require("fs").readFileSync(process.argv[1], "utf8")]))' .dev/keys/dev.pub.pem)
base="http://127.0.0.1:$port"
cat <<MSG

  OFREP     $base/ofrep/v1/evaluate/flags   (POST {"context": {"targetingKey": "user-1"}})
  health    $base/healthz
  snapshot  $base/v1/snapshot   browsers $base/v1/snapshot?audience=browser   keys $base/v1/keys
  console   $base/

  curl -s -X POST $base/ofrep/v1/evaluate/flags -d '{"context":{"targetingKey":"user-1"}}'

MSG
exec "$wrangler" dev --local --ip 127.0.0.1 --port "$port" --persist-to .dev/state \
  --var "TRUSTED_KEYS:$trusted" "$@"
