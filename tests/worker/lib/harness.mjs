// Shared by the worker tests: the built worker under workerd (through
// miniflare, with real local KV), snapshots signed by the real `edgeflag` CLI,
// and small HTTP helpers. Nothing here stands in for the worker or the core.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const BUILD = path.join(ROOT, 'crates/edgeflag-worker/build');
export const CLI = process.env.EDGEFLAG_CLI ?? path.join(ROOT, 'target/debug/edgeflag');
export const SNAPSHOT_KEY = 'snapshot:production';
export const BROWSER_SNAPSHOT_KEY = 'snapshot:production:browser';

/** wrangler.toml's top-level `compatibility_date` and `[vars]`, so the tests run the deployed settings. */
export function wranglerSettings() {
  const text = fs.readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  const vars = {};
  const section = /^\[vars\]\n([\s\S]*?)(?=^\[)/m.exec(text)?.[1] ?? '';
  for (const m of section.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  return { date, vars };
}

const made = [];
process.on('exit', () => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A temporary folder, removed when the process exits. */
export function tmpdir(prefix = 'edgeflag-worker-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Runs the CLI with `--json` and returns its parsed output. */
export function cli(...args) {
  const out = execFileSync(CLI, ['--json', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out);
}

/** A fresh Ed25519 key pair from `edgeflag keygen`. */
export function keygen(dir, name = 'dev') {
  cli('keygen', '--out', dir, '--name', name);
  const pub = path.join(dir, `${name}.pub.pem`);
  return { private: path.join(dir, `${name}.pem`), pub, pem: fs.readFileSync(pub, 'utf8') };
}

/**
 * Signs a release for one environment with `edgeflag build`. `force` lets the
 * test releases (which skip owners and runbooks) past the checklist.
 */
export function build({ release, env = 'production', key, out, version, previous, at, expiresIn = 'never', force = true, audience, promoteFrom }) {
  const args = ['build', release, '--env', env, '--key', key.private, '--out', out, '--expires-in', expiresIn];
  // A snapshot of the promotion gate's source environment (`[checklist] promote`).
  if (promoteFrom) args.push('--promote-from', promoteFrom);
  if (audience) args.push('--audience', audience);
  if (version !== undefined) args.push('--version', String(version));
  if (previous) args.push('--previous', previous);
  // build needs one of the two: without either, this is an environment's first snapshot.
  if (version === undefined && !previous) args.push('--version', '1');
  if (at) args.push('--at', at);
  if (force) args.push('--force');
  const info = cli(...args);
  return { ...info, path: out, text: fs.readFileSync(out, 'utf8') };
}

/**
 * The built worker under workerd, with a local KV namespace `FLAGS`, the
 * wrangler.toml vars plus `vars`, and the local Analytics Engine simulator as
 * `EXPOSURES`. `logs` collects the worker's console lines.
 */
export const ADMIN_KEY = 'test-admin-key';

export async function startWorker({ vars = {}, snapshot, persist, markStore = true } = {}) {
  if (!fs.existsSync(path.join(BUILD, 'index.js'))) {
    throw new Error(`${BUILD}/index.js is missing: run scripts/build-worker.sh`);
  }
  const settings = wranglerSettings();
  const logs = [];
  const collect = (stream) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      logs.push(...lines.filter(Boolean));
    });
  };
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(BUILD, 'index.js'),
    modulesRoot: BUILD,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: settings.date,
    host: '127.0.0.1',
    kvNamespaces: ['FLAGS'],
    ...(markStore ? { durableObjects: { HIGH_WATER: 'HighWater', GUARDS: 'GuardLedger' } } : {}),
    // A persisted folder lets a second worker start cold over the same KV and
    // Durable Object state: a fresh isolate, as after a recycle.
    ...(persist ? { kvPersist: path.join(persist, 'kv'), durableObjectsPersist: path.join(persist, 'do') } : {}),
    analyticsEngineDatasets: { EXPOSURES: { dataset: 'edgeflag_exposures' } },
    // No browser snapshot unless a test asks for one (BROWSER_SNAPSHOT_KEY in
    // `vars`): a configured key with nothing under it is a degraded worker.
    bindings: { ...settings.vars, BROWSER_SNAPSHOT_KEY: '', ADMIN_KEYS: ADMIN_KEY, ...vars },
    handleRuntimeStdio(stdout, stderr) {
      collect(stdout);
      collect(stderr);
    },
  });
  const url = await mf.ready;
  const kv = await mf.getKVNamespace('FLAGS');
  const worker = {
    mf,
    url,
    kv,
    logs,
    base: url.href.replace(/\/$/, ''),
    put: (text) => kv.put(vars.SNAPSHOT_KEY ?? SNAPSHOT_KEY, text),
    putBrowser: (text) => kv.put(vars.BROWSER_SNAPSHOT_KEY ?? BROWSER_SNAPSHOT_KEY, text),
    remove: () => kv.delete(vars.SNAPSHOT_KEY ?? SNAPSHOT_KEY),
    fetch: (p, init) => fetch(new URL(p, url), init),
    close: () => mf.dispose(),
  };
  if (snapshot !== undefined) await worker.put(snapshot);
  return worker;
}

/** POSTs an OFREP evaluation; `key` undefined means bulk. */
export async function ofrep(worker, { key, context = {}, body, headers = {}, at } = {}) {
  const p = key === undefined ? '/ofrep/v1/evaluate/flags' : `/ofrep/v1/evaluate/flags/${encodeURIComponent(key)}`;
  const h = { 'Content-Type': 'application/json', ...headers };
  if (at) h['X-Edgeflag-At'] = at;
  const res = await worker.fetch(p, { method: 'POST', headers: h, body: body ?? JSON.stringify({ context }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** `/healthz` with the admin key (the details); `{ admin: false }` for the public answer. */
export async function healthz(worker, { admin = true } = {}) {
  const res = await worker.fetch('/healthz', admin ? { headers: { 'X-API-Key': ADMIN_KEY } } : {});
  return { http: res.status, ...(await res.json()) };
}

/** Polls until `probe()` returns something truthy; fails after `ms`. */
export async function waitFor(probe, ms, what) {
  const started = Date.now();
  for (;;) {
    const got = await probe();
    if (got) return { value: got, elapsed: Date.now() - started };
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Equality where 5 and 5.0 are the same number, as in tests/common/mod.rs. */
export function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && same(a[k], b[k]));
  }
  return a === b;
}

/** The keys of `expected` whose values differ in `actual`, described. */
export function mismatches(expected, actual) {
  return Object.entries(expected)
    .filter(([k, want]) => !same(want, actual[k] ?? null))
    .map(([k, want]) => `${k}: expected ${JSON.stringify(want)}, got ${JSON.stringify(actual[k] ?? null)}`);
}
