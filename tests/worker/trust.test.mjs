// The hostile-KV matrix: what someone who can write to KV, but holds no
// signing key, can do to the fleet. workerd with the real local KV and the
// real HighWater Durable Object, persisted on disk, so a "cold isolate" is a
// fresh worker over the same state (as after a recycle). Every hostile value
// is refused with its code by a warm isolate and by a cold one, the last good
// snapshot keeps serving through OFREP (a cold isolate takes it from the mark
// store), /healthz with the admin key names the rejection, and the worker
// answers throughout.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, build, cli, healthz, keygen, ofrep, startWorker, tmpdir, waitFor } from './lib/harness.mjs';

const REFRESH_SECONDS = 1;
const dir = tmpdir();
const key = keygen(dir);
const season0 = path.join(ROOT, 'examples/season0.toml');
const PAST = '2026-01-01T00:00:00Z';
const vars = { TRUSTED_KEYS: key.pem, REFRESH_SECONDS: String(REFRESH_SECONDS) };
const snap = (name, opts) => build({ release: season0, key, out: path.join(dir, `${name}.json`), expiresIn: '30d', ...opts });

/** The snapshot version OFREP answers from (`null` when it serves nothing). */
async function served(w) {
  const r = await ofrep(w, { context: { targetingKey: 'p' } });
  return r.status === 200 ? r.json.metadata.snapshotVersion : null;
}

/** A copy of an envelope whose one signature is repeated `n` times. */
function repeatedSignatures(text, n) {
  const env = JSON.parse(text);
  env.signatures = Array.from({ length: n }, () => env.signatures[0]);
  return JSON.stringify(env);
}

const v5 = snap('v5', { version: 5 });
const future = new Date(Date.now() + 2 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const hostile = [
  ['an old version replayed', () => snap('v3', { version: 3 }).text, 'VERSION_TOO_OLD'],
  ['an old version that has also expired', () => snap('v2-expired', { version: 2, at: PAST, expiresIn: '1d' }).text, 'VERSION_TOO_OLD'],
  ['a staging snapshot under the production key', () => snap('staging-v9', { version: 9, env: 'staging' }).text, 'WRONG_ENVIRONMENT'],
  ['a 10 MiB array', () => `[${'0,'.repeat(5 * 1024 * 1024 - 1)}0]`, 'TOO_LARGE'],
  ['five hundred signatures with the trusted keyid', () => repeatedSignatures(snap('v6-sigs', { version: 6 }).text, 500), 'TOO_MANY_SIGNATURES'],
  ['a snapshot issued in the future', () => snap('v6-future', { version: 6, at: future }).text, 'ISSUED_IN_FUTURE'],
  ['the same version with another payload', () => snap('v5-other', { version: 5, expiresIn: '29d' }).text, 'VERSION_REUSED'],
  ['garbage bytes', () => '\u0000\u00ff garbage {{{', 'MALFORMED'],
  ['a deleted key', null, 'MISSING'],
];

describe('hostile KV values, warm and cold isolates, with the durable high-water mark', () => {
  const persist = tmpdir('edgeflag-trust-');
  let w;
  before(async () => {
    w = await startWorker({ vars, persist, snapshot: v5.text });
    assert.equal(await served(w), 5);
    // The isolate raised the environment's mark in the Durable Object.
    await waitFor(async () => (await healthz(w)).mark?.version === 5, 5000, 'the mark at version 5');
  });
  after(() => w?.close());

  for (const [name, make, code] of hostile) {
    test(`${name}: ${code}, warm and cold; version 5 keeps serving`, async () => {
      const seen = (await healthz(w)).rejections;
      if (make) await w.put(make());
      else await w.remove();
      // Warm: refused at the next refresh while requests keep being answered.
      const answered = [];
      const { value: h } = await waitFor(async () => {
        answered.push(await served(w));
        const h = await healthz(w);
        return h.rejections > seen && h;
      }, REFRESH_SECONDS * 1000 + 5000, `the ${code} rejection`);
      assert.equal(h.last_rejection.code, code, h.last_rejection.message);
      assert.deepEqual([h.status, h.version], ['degraded', 5]);
      assert.ok(answered.every((v) => v === 5), `answers while refusing: ${answered}`);
      // Cold: a fresh worker over the same KV and Durable Object state.
      await w.close();
      w = await startWorker({ vars, persist });
      assert.equal(await served(w), 5, 'a cold isolate serves the last good snapshot from the mark store');
      const cold = await healthz(w);
      assert.equal(cold.last_rejection?.code, code, JSON.stringify(cold));
      assert.deepEqual([cold.status, cold.version, cold.mark.version, cold.mark_store], ['degraded', 5, 5, 'answered']);
      // The public answer says only the status and the version.
      assert.deepEqual(await healthz(w, { admin: false }), { http: 200, status: 'degraded', version: 5 });
    });
  }

  test('a newer valid snapshot is accepted and raises the mark for the fleet', async () => {
    await w.put(snap('v6', { version: 6 }).text);
    await waitFor(async () => (await served(w)) === 6, REFRESH_SECONDS * 1000 + 5000, 'version 6');
    await waitFor(async () => (await healthz(w)).mark?.version === 6, 5000, 'the mark at version 6');
    // Version 5, once good, is now a replay for every isolate, cold ones too.
    await w.put(v5.text);
    await w.close();
    w = await startWorker({ vars, persist });
    assert.equal(await served(w), 6);
    assert.equal((await healthz(w)).last_rejection.code, 'VERSION_TOO_OLD');
  });
});

describe('settings and the mark store', () => {
  test('THRESHOLD = 2: one signature is refused, a co-signed snapshot serves', async () => {
    const second = keygen(dir, 'second');
    const one = snap('v1-one-signer', { version: 1 });
    const w = await startWorker({ vars: { ...vars, TRUSTED_KEYS: JSON.stringify([key.pem, second.pem]), THRESHOLD: '2' }, snapshot: one.text });
    try {
      assert.equal(await served(w), null);
      assert.equal((await healthz(w)).last_rejection.code, 'BELOW_THRESHOLD');
      // The second person co-signs the same bytes: the payload is untouched.
      const signed = cli('sign', one.path, '--key', second.private);
      assert.equal(signed.digest, one.digest);
      await w.put(fs.readFileSync(one.path, 'utf8'));
      await waitFor(async () => (await served(w)) === 1, REFRESH_SECONDS * 1000 + 5000, 'the co-signed version 1');
      assert.equal((await healthz(w)).signed_by.length, 2);
    } finally {
      await w.close();
    }
  });

  test('a weak key in TRUSTED_KEYS is a clear misconfiguration', async () => {
    // The identity point: order 1, it would "verify" forged signatures.
    const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from([1]), Buffer.alloc(31)]);
    const weak = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const w = await startWorker({ vars: { ...vars, TRUSTED_KEYS: weak }, snapshot: v5.text });
    try {
      const r = await ofrep(w, { context: { targetingKey: 'p' } });
      assert.equal(r.status, 500);
      assert.match(r.json.errorDetails, /the worker is misconfigured: `TRUSTED_KEYS`: weak ed25519 public key [0-9a-f]{64}: a small-order point/);
      const h = await healthz(w);
      assert.equal(h.status, 'failing');
    } finally {
      await w.close();
    }
  });

  test('without the mark store the isolate serves on its own floor and says so', async () => {
    const w = await startWorker({ vars, snapshot: v5.text, markStore: false });
    try {
      assert.equal(await served(w), 5);
      const h = await healthz(w);
      assert.equal(h.status, 'degraded');
      assert.equal(h.mark_store, 'unreachable');
      assert.ok(h.problems.some((p) => p.startsWith('the high-water mark store is unreachable (no durable object bound as `HIGH_WATER`')), h.problems.join('\n'));
    } finally {
      await w.close();
    }
  });
});
