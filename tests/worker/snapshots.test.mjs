// Snapshots changing under a running worker (workerd, local KV, a 1 s
// REFRESH_SECONDS): hostile values are rejected and named in /healthz while
// the last good version keeps serving; a newer valid snapshot is served within
// REFRESH_SECONDS; expired snapshots serve under the core's stale policy.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, build, healthz, keygen, ofrep, startWorker, tmpdir, waitFor } from './lib/harness.mjs';

const REFRESH_SECONDS = 1;
const dir = tmpdir();
const key = keygen(dir);
const stranger = keygen(dir, 'stranger');
const season0 = path.join(ROOT, 'examples/season0.toml');
const staleRelease = path.join(import.meta.dirname, 'fixtures/stale-release.toml');
const PAST = '2026-01-01T00:00:00Z';

const snap = (name, opts) => build({ release: season0, key, out: path.join(dir, `${name}.json`), expiresIn: '30d', ...opts });
const vars = (extra = {}) => ({ TRUSTED_KEYS: key.pem, REFRESH_SECONDS: String(REFRESH_SECONDS), ...extra });

/** The snapshot version an OFREP answer came from. */
async function served(w) {
  const r = await ofrep(w, { context: { targetingKey: 'p' } });
  assert.equal(r.status, 200, r.text);
  return r.json.metadata.snapshotVersion;
}

/** A valid envelope whose payload was edited after signing. */
function tampered(text) {
  const env = JSON.parse(text);
  const payload = Buffer.from(env.payload, 'base64').toString('utf8').replace('"percent":100', '"percent":99');
  assert.notEqual(payload, Buffer.from(env.payload, 'base64').toString('utf8'));
  env.payload = Buffer.from(payload).toString('base64');
  return JSON.stringify(env, null, 2);
}

describe('hostile KV values keep the last good version serving', () => {
  let w;
  const v2 = snap('v2', { version: 2 });
  before(async () => {
    w = await startWorker({ vars: vars(), snapshot: v2.text });
    assert.equal(await served(w), 2);
  });
  after(() => w.close());

  const hostile = [
    ['tampered', () => tampered(snap('v3-tampered', { version: 3 }).text), 'BAD_SIGNATURE', /the signature of key [0-9a-f]{64} does not verify/],
    ['signed by an unknown key', () => build({ release: season0, key: stranger, out: path.join(dir, 'unknown.json'), version: 3, expiresIn: '30d' }).text, 'UNKNOWN_KEY', /no signature from a trusted key/],
    ['expired and older', () => snap('v1-expired', { version: 1, at: PAST, expiresIn: '1d' }).text, 'VERSION_TOO_OLD', /snapshot version 1 is below the minimum 2/],
    ['older version', () => snap('v1', { version: 1 }).text, 'VERSION_TOO_OLD', /snapshot version 1 is below the minimum 2 \(the high-water mark of this environment\)/],
    ['not json', () => 'this is not a snapshot', 'MALFORMED', /malformed snapshot: not a dsse envelope/],
    ['expired though newer', () => snap('v9-expired', { version: 9, at: PAST, expiresIn: '1d' }).text, 'EXPIRED', /snapshot expired/],
    ['deleted', null, 'MISSING', /kv holds no value under `snapshot:production`/],
  ];

  for (const [name, make, code, message] of hostile) {
    test(`${name}: rejected (${code}), named in /healthz`, async () => {
      const seen = (await healthz(w)).rejections;
      if (make) await w.put(make());
      else await w.remove();
      const { value: h } = await waitFor(async () => {
        const h = await healthz(w);
        return h.rejections > seen && h;
      }, REFRESH_SECONDS * 1000 + 3000, `the ${code} rejection`);
      assert.equal(h.last_rejection.code, code);
      assert.match(h.last_rejection.message, message);
      assert.deepEqual([h.http, h.status, h.version], [200, 'degraded', 2]);
      assert.match(h.problems[0], new RegExp(`^the latest value in kv was rejected \\(${code}\\)`));
      assert.equal(await served(w), 2);
      assert.ok(w.logs.some((l) => l.includes('"event":"snapshot_rejected"') && l.includes(`"code":"${code}"`)), `no log line for ${code}`);
    });
  }

  test('a newer valid snapshot is served within REFRESH_SECONDS, and /healthz is ok again', async (t) => {
    const v3 = snap('v3', { version: 3 });
    await w.put(v3.text);
    const { elapsed } = await waitFor(async () => (await served(w)) === 3, REFRESH_SECONDS * 1000 + 3000, 'version 3');
    t.diagnostic(`version 3 served ${elapsed} ms after the kv write (REFRESH_SECONDS ${REFRESH_SECONDS})`);
    // The interval, plus one background read and verify, plus the polling step.
    assert.ok(elapsed <= REFRESH_SECONDS * 1000 + 1000, `served after ${elapsed} ms`);
    const h = await healthz(w);
    assert.deepEqual([h.status, h.version, h.digest, h.problems], ['ok', 3, v3.digest, []]);
    assert.equal(h.last_rejection.code, 'MISSING', 'the last rejection stays on record');
  });

  test('the same version with another payload is refused (VERSION_REUSED)', async () => {
    const other = build({ release: season0, key, out: path.join(dir, 'v3-other.json'), version: 3, expiresIn: '29d' });
    const seen = (await healthz(w)).rejections;
    await w.put(other.text);
    const { value: h } = await waitFor(async () => {
      const h = await healthz(w);
      return h.rejections > seen && h;
    }, REFRESH_SECONDS * 1000 + 3000, 'the VERSION_REUSED rejection');
    assert.equal(h.last_rejection.code, 'VERSION_REUSED');
    assert.equal(h.environment, 'production');
  });
});

describe('MIN_SNAPSHOT_VERSION', () => {
  test('applies from the first load', async () => {
    const w = await startWorker({ vars: vars({ MIN_SNAPSHOT_VERSION: '5' }), snapshot: snap('v4-min', { version: 4 }).text });
    try {
      const r = await ofrep(w, { key: 'ranked-matchmaking' });
      assert.equal(r.json.errorCode, 'PROVIDER_NOT_READY');
      assert.match(r.json.errorDetails, /the last attempt was rejected \(VERSION_TOO_OLD\)$/);
      assert.equal((await healthz(w)).last_rejection.message, 'snapshot version 4 is below the minimum 5 (the configured minimum)');
      await w.put(snap('v5-min', { version: 5 }).text);
      await waitFor(async () => (await ofrep(w, { key: 'ranked-matchmaking' })).status === 200, REFRESH_SECONDS * 1000 + 3000, 'version 5');
    } finally {
      await w.close();
    }
  });
});

describe('the stale policy', () => {
  const expired = build({ release: staleRelease, key, out: path.join(dir, 'stale-expired.json'), version: 7, at: PAST, expiresIn: '1d' });

  async function bulk(w) {
    const r = await ofrep(w, { context: { targetingKey: 'u1', beta: true } });
    assert.equal(r.status, 200, r.text);
    return Object.fromEntries(r.json.flags.map((f) => [f.key, f]));
  }

  test('a cold isolate whose only snapshot expired serves it: STALE, safe flags on their rollback variant', async () => {
    const w = await startWorker({ vars: vars(), snapshot: expired.text });
    try {
      const f = await bulk(w);
      assert.deepEqual(
        Object.values(f).map((x) => [x.key, x.value, x.variant, x.reason]),
        [
          ['payments-kill-switch', false, 'off', 'STALE'],
          ['new-checkout', true, 'on', 'STALE'],
          ['banner-text', 'Hello', 'hello', 'STALE'],
        ],
      );
      assert.equal(f['new-checkout'].metadata.rule, 'beta testers', 'the last good plan keeps serving');
      assert.equal(f['payments-kill-switch'].metadata.stale, true);
      const h = await healthz(w);
      assert.deepEqual([h.http, h.status, h.stale, h.version, h.expires_at], [200, 'degraded', true, 7, '2026-01-02T00:00:00Z']);
      assert.deepEqual(h.problems, ['snapshot version 7 expired at 2026-01-02T00:00:00Z: answers are STALE']);
    } finally {
      await w.close();
    }
  });

  test('a snapshot that expires while served turns STALE, until a fresh one loads', async () => {
    const soon = build({ release: staleRelease, key, out: path.join(dir, 'stale-soon.json'), version: 8, expiresIn: '5s' });
    const w = await startWorker({ vars: vars(), snapshot: soon.text });
    try {
      let f = await bulk(w);
      assert.deepEqual([f['payments-kill-switch'].value, f['payments-kill-switch'].reason], [true, 'STATIC']);
      assert.equal((await healthz(w)).status, 'ok');
      const wait = Date.parse(soon.expires_at) - Date.now() + 200;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      f = await bulk(w);
      assert.deepEqual([f['payments-kill-switch'].value, f['payments-kill-switch'].variant, f['payments-kill-switch'].reason], [false, 'off', 'STALE']);
      assert.equal(f['new-checkout'].reason, 'STALE');
      assert.equal((await healthz(w)).status, 'degraded');
      const fresh = build({ release: staleRelease, key, out: path.join(dir, 'stale-fresh.json'), version: 9, expiresIn: '30d' });
      await w.put(fresh.text);
      await waitFor(async () => (await bulk(w))['payments-kill-switch'].reason === 'STATIC', REFRESH_SECONDS * 1000 + 3000, 'the fresh snapshot');
      const h = await healthz(w);
      assert.deepEqual([h.status, h.version, h.stale], ['ok', 9, false]);
    } finally {
      await w.close();
    }
  });
});
