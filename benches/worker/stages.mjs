// Where a bulk OFREP request's time goes inside our worker's Rust: the
// functions crates/edgeflag-worker's handler calls, compiled to wasm32 as the
// worker is (benches/worker/stages, release profile, wasm-opt -O) and timed
// one by one in Node's V8, the engine under workerd (whose timers stand still
// during a request, so it cannot time them itself). Same workload and
// request bodies as run.mjs: the 200-flag reference snapshot, contexts().
//
//   node benches/worker/stages.mjs [--runs 7] [--n 500] [--no-build] [--json FILE]
//
// Prints µs per request for each stage (median of the runs); the runtime side
// (workerd's HTTP, the Request/Response/Headers objects, KV and the isolate
// glue) is what run.mjs measures and this cannot.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { contexts, release, signSnapshot } from '../../npm/bench/workload.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    n: { type: 'string', default: '500' },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const RUNS = Number(opt.runs);
const N = Number(opt.n);

if (!opt['no-build']) {
  execFileSync('bash', ['benches/worker/build-stages.sh'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}
const stages = createRequire(import.meta.url)('./stages/pkg/edgeflag_bench_worker_stages.js');

const rel = release();
const { envelope, publicKey } = signSnapshot({ release: rel.release, environment: 'production', flags: rel.flags });
const bodies = contexts().map((r) =>
  Buffer.from(JSON.stringify({ context: { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan } })),
);
const status = stages.setup(Buffer.from(envelope), publicKey, Buffer.concat(bodies), Uint32Array.from(bodies.map((b) => b.length)), Date.now());
if (!status.startsWith('ok')) throw new Error(`setup: ${status}`);

// The answer must be the worker's: 200 flags in release order.
const answer = JSON.parse(Buffer.from(stages.answer(0)).toString());
const keys = Object.keys(rel.flags);
if (answer.flags.length !== 200 || answer.flags.some((f, i) => f.key !== keys[i] || !f.reason)) throw new Error('answer: not 200 flags in release order');
const bytes = stages.answer(0).length;

// miniflare's local Analytics Engine binding is a no-op writeDataPoint; this
// one keeps the last point, so V8 cannot optimise the objects away.
let points = 0;
let last;
const dataset = { writeDataPoint(point) { points++; last = point; } };

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(name, f) {
  f(Math.max(50, N / 5)); // warm-up: V8 tiers the wasm up
  const us = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    f(N);
    us.push(((performance.now() - t) * 1000) / N);
  }
  return { name, us: median(us), runs: us.map((x) => +x.toFixed(1)) };
}

const t = {
  parse: time('parse_context', (n) => stages.parse(n)),
  evaluate: time('evaluate_all (200 flags)', (n) => stages.evaluate(n)),
  metadata: time('Resolution::flag_metadata x200', (n) => stages.metadata(n)),
  bulk: time('ofrep::bulk (evaluate + serialise + exposure list)', (n) => stages.bulk(n)),
  etag: time('http::etag + version text + client_keys', (n) => stages.etag(n)),
  points: time('exposure::data_point x200 (Rust strings only)', (n) => stages.points(n)),
  expose: time('glue expose loop x200 (data_point + AE builder + writeDataPoint)', (n) => stages.expose(n, dataset)),
  request: time('all of it, one request (parse + bulk + etag + expose)', (n) => stages.request(n, dataset)),
};
if (points === 0 || !last?.blobs) throw new Error('no data points written');

// Not a stage of ours: the same 200 data points written from JS with strings
// made once per snapshot (what a batched writer called once per request, with
// the flags' indexes, variants and reasons as numbers, would cost).
const flagNames = keys;
const reasons = ['STATIC', 'SPLIT', 'TARGETING_MATCH', 'DEFAULT'];
const variants = answer.flags.map((f) => f.variant ?? '');
const floor = time('JS-side writer, 200 points, strings cached', (n) => {
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < flagNames.length; i++) {
      dataset.writeDataPoint({ indexes: [flagNames[i]], blobs: [flagNames[i], variants[i], reasons[i & 3], 'production', '1'], doubles: [1, 1] });
    }
  }
});

const rows = [
  ['parse the request body into a Context (ofrep::parse_context)', t.parse.us],
  ['evaluate 200 flags (Snapshot::evaluate_all)', t.evaluate.us],
  ['serialise: build 200 flagMetadata lists (Resolution::flag_metadata)', t.metadata.us],
  ['serialise: write the JSON (ofrep::bulk - evaluate - flag_metadata)', t.bulk.us - t.evaluate.us - t.metadata.us],
  ['etag (xxh3-128 of the body) + small strings', t.etag.us],
  ['exposures, Rust side: exposure::data_point x200', t.points.us],
  ['exposures, JS side: AnalyticsEngineDataPointBuilder + write_to x200', t.expose.us - t.points.us],
];
const sum = rows.reduce((a, [, us]) => a + us, 0);
console.log(`node ${process.version}; wasm32 release + wasm-opt -O; ${bytes}-byte answer; median of ${RUNS} runs of ${N} requests\n`);
console.log('| stage | µs per request | share |');
console.log('|---|---:|---:|');
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(1)} | ${((100 * us) / sum).toFixed(0)}% |`);
console.log(`| sum of the stages | ${sum.toFixed(1)} | |`);
console.log(`| measured in one go (stages.request) | ${t.request.us.toFixed(1)} | |`);
console.log(`\nfor comparison, the 200 data points written by JS with cached strings: ${floor.us.toFixed(1)} µs per request`);
if (opt.json) fs.writeFileSync(opt.json, JSON.stringify({ runs: RUNS, n: N, bytes, stages: t, jsWriterFloor: floor }, null, 2));
