// Load script (not a test; figures go to BENCHMARKS.md): bulk OFREP
// evaluations against the worker under `wrangler dev --local` on loopback,
// with autocannon, while a new valid snapshot is signed by the CLI and written
// with `wrangler kv key put --local` (into the store the dev server reads)
// every few seconds. Every response is checked: status 200, one snapshot
// version across all its flags, and that version's digest one of those
// written. Exits 1 on any failed request or unknown version.
//
//   node tests/worker/load.mjs [--duration 60] [--connections 32] [--swap-every 5] [--refresh 1]
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ROOT, build, keygen, tmpdir, waitFor } from './lib/harness.mjs';
import { kvPut, startDev } from './lib/wrangler.mjs';

const { values: opt } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '32' },
    'swap-every': { type: 'string', default: '5' },
    refresh: { type: 'string', default: '1' },
  },
});
const duration = Number(opt.duration);
const connections = Number(opt.connections);
const swapEvery = Number(opt['swap-every']);

const dir = tmpdir('edgeflag-load-');
const state = path.join(dir, 'state');
const key = keygen(dir);
const season0 = path.join(ROOT, 'examples/season0.toml');
const KV_KEY = 'snapshot:production';

/** version → payload digest, for every snapshot written (before it is written). */
const written = new Map();
let latest = build({ release: season0, key, out: path.join(dir, 'v1.json'), version: 1, expiresIn: '30d' });
written.set(latest.version, latest.digest);
await kvPut(state, KV_KEY, latest.path);

const dev = await startDev({ persistTo: state, vars: { TRUSTED_KEYS: key.pem, REFRESH_SECONDS: opt.refresh } });
const swaps = [];
try {
  await waitFor(async () => (await (await fetch(`${dev.base}/healthz`)).json()).version === 1, 30_000, 'version 1');

  // The writer: a new version every `swapEvery` seconds, chained with --previous.
  let running = true;
  const writer = (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, swapEvery * 1000));
      if (!running) return;
      const next = build({ release: season0, key, out: path.join(dir, `v${latest.version + 1}.json`), previous: latest.path, expiresIn: '30d' });
      written.set(next.version, next.digest);
      const started = Date.now();
      await kvPut(state, KV_KEY, next.path);
      swaps.push({ version: next.version, put_ms: Date.now() - started });
      latest = next;
    }
  })();

  const served = new Map();
  const problems = [];
  let n = 0;
  const result = await autocannon({
    url: dev.base,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/ofrep/v1/evaluate/flags',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ context: { targetingKey: `user-${n++}`, country: 'DE', accountId: `acc-${n % 997}` } }) }),
        onResponse: (status, body) => {
          if (status !== 200) return void problems.push(`status ${status}: ${body.slice(0, 200)}`);
          const json = JSON.parse(body);
          const v = json.metadata.snapshotVersion;
          if (written.get(v) !== json.metadata.digest) problems.push(`version ${v} with digest ${json.metadata.digest} was never written`);
          if (!json.flags.every((f) => f.metadata.snapshotVersion === v)) problems.push(`version ${v}: flags from another version`);
          served.set(v, (served.get(v) ?? 0) + 1);
        },
      },
    ],
  });
  running = false;
  await writer;

  const summary = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}`,
    duration_s: duration,
    connections,
    swap_every_s: swapEvery,
    refresh_seconds: Number(opt.refresh),
    requests: result.requests.total,
    req_per_s_avg: result.requests.average,
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    invalid_versions: problems.length,
    versions_written: written.size,
    versions_served: Object.fromEntries([...served].sort((a, b) => a[0] - b[0])),
    kv_put_ms: swaps.map((s) => s.put_ms),
  };
  console.log(JSON.stringify(summary, null, 2));
  for (const p of problems.slice(0, 20)) console.error(`problem: ${p}`);
  const failed = result.non2xx + result.errors + result.timeouts + problems.length;
  if (failed > 0) {
    console.error(`load: ${failed} failed or invalid responses`);
    process.exitCode = 1;
  }
} finally {
  await dev.stop();
}
