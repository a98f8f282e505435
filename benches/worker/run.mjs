// What the edge worker costs: bulk OFREP (`POST /ofrep/v1/evaluate/flags`,
// the reference workload's 200 flags, per-request contexts) against our
// worker (crates/edgeflag-worker) and against an empty workers-rs worker
// (benches/worker/empty: a fixed 42 KB OFREP body), both under workerd
// through the same miniflare, driven by the same load generator straight at
// workerd's socket. Rounds alternate between the targets, so drift on a
// shared machine spreads over all of them.
//
//   node benches/worker/run.mjs [--rounds 5] [--seconds 5] [--connections 8]
//                               [--breakdown] [--no-build] [--json FILE]
//
// --breakdown adds variants of our worker to the same rotation (request and
// binding variants only; the worker's code is the same build): empty context,
// targetingKey only, the single-flag endpoint, a 20-flag snapshot, an
// OPTIONS preflight (the per-request floor: routing and a 204), no EXPOSURES
// binding, EXPOSURE_LOG_SAMPLE=0. Their differences tell where the
// time goes (see README.md).
//
// The load generator is undici's Pool (the client under Node's fetch, without
// fetch's WHATWG Request/Response layer) at the URL `mf.ready` gives, which
// is workerd's own listening socket: no Node process sits between the client
// and workerd. `mf.dispatchFetch` is not used: it goes through miniflare's
// Node-side fetch wrapper (Request/Response conversions, extra headers) and
// that Node CPU would compete with the load generator on this 2-core
// machine. No Accept-Encoding is sent, so workerd does not gzip the answers
// (Node's fetch sends one, and workerd then compresses 42 KB per request; at
// the edge that happens outside the worker's CPU time).
//
// Besides requests/s and latency it reads each workerd process's CPU time
// from /proc (µs of workerd CPU per request: the worker's cost independent of
// how fast the load generator is) and the load generator's own CPU share.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import { BUILD, ROOT, SNAPSHOT_KEY, wranglerSettings } from '../../tests/worker/lib/harness.mjs';
import { contexts, release, signSnapshot } from '../../npm/bench/workload.mjs';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    breakdown: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
const CONNECTIONS = Number(opt.connections);
const EMPTY_BUILD = path.join(ROOT, 'benches/worker/empty/build');

// miniflare and undici as tests/worker installed them (undici: miniflare's own).
const requireTests = createRequire(path.join(ROOT, 'tests/worker/package.json'));
const miniflarePath = requireTests.resolve('miniflare');
const { Miniflare } = await import(pathToFileURL(miniflarePath).href);
const { Pool } = createRequire(miniflarePath)('undici');

// ---- builds: our worker as scripts/test-worker.sh builds it, then the empty one.
if (!opt['no-build']) {
  for (const script of ['scripts/build-worker.sh', 'benches/worker/build-empty.sh']) {
    console.error(`build: ${script}`);
    execFileSync('nice', ['-n', '10', 'bash', script], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}
for (const dir of [BUILD, EMPTY_BUILD]) {
  if (!fs.existsSync(path.join(dir, 'index.js'))) throw new Error(`${dir}/index.js is missing (run without --no-build)`);
}

// ---- the workload: the reference snapshot, and a 20-flag one of the same mix.
const rel = release();
const FLAG_KEYS = Object.keys(rel.flags);
function signed(flags) {
  const { envelope, publicKey } = signSnapshot({ release: rel.release, environment: 'production', flags });
  return { envelope, publicKey };
}
const full = signed(rel.flags);
const few = signed(
  Object.fromEntries(FLAG_KEYS.filter((k) => Number(k.slice(k.lastIndexOf('-') + 1)) < 5).map((k) => [k, rel.flags[k]])),
);
const raws = contexts();
const fullBodies = raws.map((r) =>
  JSON.stringify({ context: { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan } }),
);
const keyBodies = raws.map((r) => JSON.stringify({ context: { targetingKey: r.key } }));
const emptyBodies = [JSON.stringify({ context: {} })];

// ---- workerd processes: children of this process named workerd, for CPU time.
const CLK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
function workerdPids() {
  const out = new Set();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.startsWith('workerd')) out.add(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
/** utime + stime of a process, all threads, in µs. */
function cpuMicros(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK;
}

// ---- starting workers.
const settings = wranglerSettings();
const instances = [];

async function start(name, mfOptions) {
  const before = workerdPids();
  let lines = 0;
  const errors = [];
  const count = (stream) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const l of parts) {
        if (!l) continue;
        lines++;
        // Everything but the sampled exposure lines and the load report is worth showing.
        if (!l.includes('"event":"exposure"') && !l.includes('"event":"snapshot_loaded"') && errors.length < 20) errors.push(l);
      }
    });
  };
  const mf = new Miniflare({
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: settings.date,
    host: '127.0.0.1',
    handleRuntimeStdio(stdout, stderr) {
      count(stdout);
      count(stderr);
    },
    ...mfOptions,
  });
  const url = await mf.ready;
  const pids = [...workerdPids()].filter((p) => !before.has(p));
  if (pids.length !== 1) throw new Error(`${name}: expected one new workerd process, found ${pids.length}`);
  const inst = { name, mf, url, pid: pids[0], logs: () => lines, errors };
  inst.pool = new Pool(url.origin, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  instances.push(inst);
  return inst;
}

/** Our worker with the deployed settings (wrangler.toml), local KV, the mark store and EXPOSURES, as tests/worker/lib/harness.mjs starts it. */
async function startOurs(name, { snap = full, exposures = true, vars = {} } = {}) {
  const inst = await start(name, {
    scriptPath: path.join(BUILD, 'index.js'),
    modulesRoot: BUILD,
    kvNamespaces: ['FLAGS'],
    durableObjects: { HIGH_WATER: 'HighWater' },
    ...(exposures ? { analyticsEngineDatasets: { EXPOSURES: { dataset: 'edgeflag_exposures' } } } : {}),
    bindings: { ...settings.vars, TRUSTED_KEYS: snap.publicKey, ...vars },
  });
  const kv = await inst.mf.getKVNamespace('FLAGS');
  await kv.put(settings.vars.SNAPSHOT_KEY ?? SNAPSHOT_KEY, snap.envelope);
  return inst;
}

async function startEmpty() {
  return start('empty', { scriptPath: path.join(EMPTY_BUILD, 'index.js'), modulesRoot: EMPTY_BUILD });
}

// ---- one request, and the load loop.
const HEADERS = { 'content-type': 'application/json' };

async function post(inst, p, body) {
  const { statusCode, body: b } = await inst.pool.request({ path: p, method: 'POST', headers: HEADERS, body });
  return { status: statusCode, text: await b.text() };
}

/**
 * `seconds` of load from CONNECTIONS concurrent loops, each with one request
 * in flight; bodies cycle through `bodies`. Returns counts, latencies (ms) and
 * CPU times.
 */
async function load(inst, target, seconds) {
  const lat = [];
  let n = 0;
  let bad = 0;
  let bytes = 0;
  const errors = [];
  const cpu0 = cpuMicros(inst.pid);
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const body = target.bodies[n++ % target.bodies.length];
      const s = performance.now();
      try {
        const { statusCode, body: b } = await inst.pool.request({ path: target.path, method: target.method ?? 'POST', headers: HEADERS, body });
        const buf = await b.arrayBuffer();
        lat.push(performance.now() - s);
        bytes += buf.byteLength;
        if (statusCode !== (target.status ?? 200) || buf.byteLength < target.minBytes) bad++;
      } catch (err) {
        // A connection workerd closed: counted and shown, not timed; undici reconnects.
        errors.push(`${err.code ?? err.name}: ${err.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const wall = (performance.now() - t0) / 1000;
  const node = process.cpuUsage(node0);
  return {
    requests: lat.length,
    wall,
    lat,
    bad,
    errors,
    bytes,
    workerdCpuUs: cpuMicros(inst.pid) - cpu0,
    nodeCpuUs: node.user + node.system,
  };
}

// ---- checks, before any timing.
const COUNTRIES_RULE = (k) => rel.flags[k].rules[0].match[0].values;
function semverAtLeast(v, [a, b, c]) {
  const [x, y, z] = v.split('.').map(Number);
  return x !== a ? x > a : y !== b ? y > b : z >= c;
}
function fail(what) {
  throw new Error(`check failed: ${what}`);
}

/** Our bulk answers for `count` contexts against an independent computation. */
async function checkOurs(inst, keys, count = 300) {
  let rolloutOn = 0;
  let rolloutN = 0;
  const split = { x: 0, y: 0, z: 0 };
  let size = 0;
  for (let i = 0; i < count; i++) {
    const r = raws[i];
    const { status, text } = await post(inst, '/ofrep/v1/evaluate/flags', fullBodies[i]);
    if (status !== 200) fail(`${inst.name}: status ${status}: ${text.slice(0, 300)}`);
    size = Math.max(size, text.length);
    const json = JSON.parse(text);
    if (json.flags.length !== keys.length) fail(`${inst.name}: ${json.flags.length} flags, expected ${keys.length}`);
    if (json.metadata.snapshotVersion !== 1 || json.metadata.environment !== 'production') fail(`${inst.name}: metadata ${JSON.stringify(json.metadata)}`);
    json.flags.forEach((f, j) => {
      if (f.key !== keys[j]) fail(`${inst.name}: flag ${j} is ${f.key}, expected ${keys[j]} (release order)`);
      const kind = f.key.slice(0, f.key.lastIndexOf('-'));
      const idx = Number(f.key.slice(f.key.lastIndexOf('-') + 1));
      const ok = {
        simple: () => f.value === (idx % 2 === 0) && f.variant === (idx % 2 === 0 ? 'on' : 'off') && f.reason === 'STATIC',
        rules: () => {
          const want = COUNTRIES_RULE(f.key).includes(r.country) ? 'a'
            : semverAtLeast(r.version, [2, 3, 0]) ? 'b'
            : r.email.endsWith('@example.com') ? 'c' : 'off';
          return f.value === want && f.variant === want && f.reason === (want === 'off' ? 'DEFAULT' : 'TARGETING_MATCH');
        },
        rollout: () => f.reason === 'SPLIT' && f.value === (f.variant === 'on') && (rolloutN++, f.value && rolloutOn++, true),
        split: () => f.reason === 'SPLIT' && f.value === f.variant && f.value in split && (split[f.value]++, true),
      }[kind];
      if (!ok || !ok()) fail(`${inst.name}: ${f.key} for ${r.key}: ${JSON.stringify(f)}`);
      if (f.metadata?.snapshotVersion !== 1) fail(`${inst.name}: ${f.key} metadata ${JSON.stringify(f.metadata)}`);
    });
  }
  const pct = (a, b) => (100 * a) / b;
  const splitN = split.x + split.y + split.z;
  const shares = { rollout: pct(rolloutOn, rolloutN), x: pct(split.x, splitN), y: pct(split.y, splitN), z: pct(split.z, splitN) };
  for (const [k, want] of Object.entries({ rollout: 30, x: 34, y: 33, z: 33 })) {
    if (Math.abs(shares[k] - want) > 3) fail(`${inst.name}: ${k} share ${shares[k].toFixed(1)}%, expected ${want}% ± 3`);
  }
  return { size, shares };
}

// ---- main.
const targets = [];
try {
  const ours = await startOurs('ours');
  const empty = await startEmpty();
  const ref = await checkOurs(ours, FLAG_KEYS);
  {
    const { status, text } = await post(empty, '/ofrep/v1/evaluate/flags', fullBodies[0]);
    const json = JSON.parse(text);
    if (status !== 200 || json.flags.length !== 200) fail(`empty: status ${status}, ${json.flags?.length} flags`);
    const diff = Math.abs(text.length - ref.size) / ref.size;
    if (diff > 0.05) fail(`empty: its body is ${text.length} bytes, ours ${ref.size}: regenerate benches/worker/empty/body.json`);
    console.error(`checked: ours 300 contexts x 200 flags (rollouts ${ref.shares.rollout.toFixed(1)}% on, splits ${ref.shares.x.toFixed(1)}/${ref.shares.y.toFixed(1)}/${ref.shares.z.toFixed(1)}), ${ref.size} bytes; empty ${text.length} bytes`);
  }
  const BULK = '/ofrep/v1/evaluate/flags';
  const minFull = Math.floor(ref.size * 0.9);
  targets.push({ label: 'ours: bulk, 200 flags, full context', inst: ours, path: BULK, bodies: fullBodies, minBytes: minFull });
  targets.push({ label: 'empty workers-rs worker (fixed body)', inst: empty, path: BULK, bodies: fullBodies, minBytes: minFull });

  if (opt.breakdown) {
    const noExp = await startOurs('no-exposures', { exposures: false });
    const noLog = await startOurs('no-log-sample', { vars: { EXPOSURE_LOG_SAMPLE: '0' } });
    const small = await startOurs('20-flags', { snap: few });
    await checkOurs(noExp, FLAG_KEYS, 20);
    await checkOurs(noLog, FLAG_KEYS, 20);
    await checkOurs(small, FLAG_KEYS.filter((k) => Number(k.slice(k.lastIndexOf('-') + 1)) < 5), 50);
    for (const [bodies, what] of [[emptyBodies, 'empty'], [keyBodies, 'key-only']]) {
      const { status, text } = await post(ours, BULK, bodies[0]);
      if (status !== 200 || JSON.parse(text).flags.length !== 200) fail(`${what} context: status ${status}`);
    }
    const single = await post(ours, `${BULK}/simple-0`, fullBodies[0]);
    if (single.status !== 200 || JSON.parse(single.text).value !== true) fail(`single: ${single.status} ${single.text.slice(0, 200)}`);
    const sizeOf = async (inst, p, body) => (await post(inst, p, body)).text.length;
    targets.push({ label: 'ours: bulk, empty context {}', inst: ours, path: BULK, bodies: emptyBodies, minBytes: Math.floor((await sizeOf(ours, BULK, emptyBodies[0])) * 0.9) });
    targets.push({ label: 'ours: bulk, targetingKey only', inst: ours, path: BULK, bodies: keyBodies, minBytes: Math.floor((await sizeOf(ours, BULK, keyBodies[0])) * 0.9) });
    targets.push({ label: 'ours: single flag (simple-0), full ctx', inst: ours, path: `${BULK}/simple-0`, bodies: fullBodies, minBytes: 100 });
    targets.push({ label: 'ours: bulk, 20-flag snapshot, full ctx', inst: small, path: BULK, bodies: fullBodies, minBytes: Math.floor((await sizeOf(small, BULK, fullBodies[0])) * 0.9) });
    targets.push({ label: 'ours: OPTIONS (204, no body: the floor)', inst: ours, path: BULK, method: 'OPTIONS', status: 204, bodies: [undefined], minBytes: 0 });
    targets.push({ label: 'ours: bulk, no EXPOSURES binding', inst: noExp, path: BULK, bodies: fullBodies, minBytes: minFull });
    targets.push({ label: 'ours: bulk, EXPOSURE_LOG_SAMPLE=0', inst: noLog, path: BULK, bodies: fullBodies, minBytes: minFull });
  }

  // Warm-up: V8 tiers the wasm up (Liftoff, then TurboFan) in the first requests.
  for (const t of targets) await load(t.inst, t, 2);
  for (const t of targets) t.runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order every round so no target always follows the same one.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const logs0 = t.inst.logs();
      const r = await load(t.inst, t, SECONDS);
      r.logLines = t.inst.logs() - logs0;
      t.runs.push(r);
      console.error(`round ${round + 1}/${ROUNDS} ${t.label}: ${(r.requests / r.wall).toFixed(0)} req/s`);
    }
  }

  // ---- results.
  const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const results = targets.map((t) => {
    const lat = Float64Array.from(t.runs.flatMap((r) => r.lat)).sort();
    const sum = (f) => t.runs.reduce((a, r) => a + f(r), 0);
    const requests = sum((r) => r.requests);
    const wall = sum((r) => r.wall);
    const perRound = t.runs.map((r) => r.requests / r.wall);
    return {
      label: t.label,
      requests,
      reqPerSec: requests / wall,
      roundMin: Math.min(...perRound),
      roundMax: Math.max(...perRound),
      p50: q(lat, 0.5),
      p99: q(lat, 0.99),
      workerdCpuUsPerReq: sum((r) => r.workerdCpuUs) / requests,
      workerdCpuShare: sum((r) => r.workerdCpuUs) / 1e6 / wall,
      nodeCpuShare: sum((r) => r.nodeCpuUs) / 1e6 / wall,
      bytesPerResponse: sum((r) => r.bytes) / requests,
      logLinesPerReq: sum((r) => r.logLines) / requests,
      bad: sum((r) => r.bad),
      errors: t.runs.flatMap((r) => r.errors),
    };
  });
  const [o, e] = results;
  const fmt = (x, d = 0) => x.toFixed(d);
  console.log(`\n${new Date().toISOString()}; ${os.cpus().length} cores, ${os.cpus()[0]?.model}; node ${process.version}; miniflare ${JSON.parse(fs.readFileSync(path.join(path.dirname(miniflarePath), '../../package.json'), 'utf8')).version}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${ROUNDS} rounds x ${SECONDS} s per target, ${CONNECTIONS} connections, undici Pool straight at workerd\n`);
  const head = ['target', 'req/s', '(rounds)', 'p50 ms', 'p99 ms', 'workerd µs/req', 'workerd cpu', 'node cpu', 'bytes', 'log lines/req'];
  const rows = results.map((r) => [
    r.label, fmt(r.reqPerSec), `${fmt(r.roundMin)}-${fmt(r.roundMax)}`, fmt(r.p50, 2), fmt(r.p99, 2),
    fmt(r.workerdCpuUsPerReq), `${fmt(100 * r.workerdCpuShare)}%`, `${fmt(100 * r.nodeCpuShare)}%`, fmt(r.bytesPerResponse), fmt(r.logLinesPerReq, 2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(`\nthroughput ratio ours / empty: ${(o.reqPerSec / e.reqPerSec).toFixed(3)}`);
  console.log(`workerd CPU per request ours / empty: ${(o.workerdCpuUsPerReq / e.workerdCpuUsPerReq).toFixed(2)} (${fmt(o.workerdCpuUsPerReq)} vs ${fmt(e.workerdCpuUsPerReq)} µs)`);
  const bad = results.reduce((a, r) => a + r.bad, 0);
  if (bad) console.log(`WARNING: ${bad} responses had the wrong status or were short`);
  for (const r of results) {
    if (r.errors.length) console.log(`${r.label}: ${r.errors.length} failed requests (${[...new Set(r.errors)].slice(0, 3).join('; ')})`);
  }
  for (const i of instances) for (const l of i.errors) console.error(`${i.name}: ${l}`);
  if (opt.json) fs.writeFileSync(opt.json, JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, results }, null, 2));
  if (bad) process.exitCode = 1;
} finally {
  for (const i of instances) {
    await i.pool.close().catch(() => {});
    await i.mf.dispose().catch(() => {});
  }
}
