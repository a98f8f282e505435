// OFREP over HTTP against the worker under workerd, with a signed season0
// snapshot in local KV: status codes and error bodies, ETag/304, the body
// limit, auth on and off, CORS, the time header, /v1/snapshot, /v1/keys.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, build, healthz, keygen, ofrep, startWorker, tmpdir } from './lib/harness.mjs';

const dir = tmpdir();
const key = keygen(dir);
const season0 = build({ release: path.join(ROOT, 'examples/season0.toml'), key, out: path.join(dir, 'season0.json'), version: 4, expiresIn: '30d' });
const AT = '2026-12-05T18:00:00Z';
const legacyAndroid = { targetingKey: 'user-42', platform: 'android', appVersion: '4.1.9' };

describe('without api keys', () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, ALLOW_TIME_OVERRIDE: 'true' }, snapshot: season0.text });
  });
  after(() => w.close());

  test('single evaluation: value, reason, variant and flagMetadata', async () => {
    const r = await ofrep(w, { key: 'ranked-matchmaking', context: legacyAndroid, at: AT });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(r.json, {
      key: 'ranked-matchmaking',
      value: false,
      reason: 'ROLLBACK',
      variant: 'off',
      metadata: {
        snapshotVersion: 4,
        environment: 'production',
        release: 'season0',
        // The core's flagMetadata list, the same the npm providers report.
        type: 'boolean',
        owner: 'matchmaking-team@example.com',
        runbook: 'https://runbooks.example.com/season0/ranked-matchmaking',
        description: 'Skill-based ranked matchmaking',
        hotfix: false,
        rollbackSteps: [
          'Run `edgeflag rollback ranked-matchmaking` and publish the new snapshot',
          'Confirm the ranked queue error rate returns under 0.1% on the dashboard',
          'Post the incident summary in the incident channel',
        ].join('\n'),
        rule: 'INC-2041 crash on legacy Android',
        stale: false,
      },
    });
  });

  test('bulk evaluation: every flag in release order, with the snapshot in metadata', async () => {
    const r = await ofrep(w, { context: legacyAndroid, at: AT });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.json.flags.map((f) => f.key),
      ['ranked-matchmaking', 'store-layout', 'ranked-rewards', 'match-timeout-seconds', 'hotfix-login-throttle', 'season-banner'],
    );
    assert.deepEqual(r.json.metadata, {
      snapshotVersion: 4,
      environment: 'production',
      release: 'season0',
      digest: season0.digest,
      // The release candidate build recorded: monitoring groups answers by it.
      releaseCandidate: season0.candidate,
    });
    assert.match(season0.candidate, /^sha256:[0-9a-f]{64}$/);
    for (const f of r.json.flags) assert.equal(f.metadata.snapshotVersion, 4);
  });

  test('ETag and If-None-Match: 304 while the answer is the same, 200 once it changes', async () => {
    for (const flagKey of [undefined, 'ranked-matchmaking']) {
      const first = await ofrep(w, { key: flagKey, context: { targetingKey: 'user-7' }, at: AT });
      const tag = first.headers.get('etag');
      assert.match(tag, /^"[0-9a-f]{32}"$/);
      const again = await ofrep(w, { key: flagKey, context: { targetingKey: 'user-7' }, at: AT, headers: { 'If-None-Match': tag } });
      assert.equal(again.status, 304);
      assert.equal(again.text, '');
      assert.equal(again.headers.get('etag'), tag);
      const other = await ofrep(w, { key: flagKey, context: { targetingKey: 'qa-bot-1' }, at: AT, headers: { 'If-None-Match': tag } });
      assert.equal(other.status, 200);
      assert.notEqual(other.headers.get('etag'), tag);
    }
    // The same context a stage later is another answer.
    const before = await ofrep(w, { context: { targetingKey: 'user-7' }, at: '2026-12-01T12:00:00Z' });
    const later = await ofrep(w, { context: { targetingKey: 'user-7' }, at: AT, headers: { 'If-None-Match': before.headers.get('etag') } });
    assert.equal(later.status, 200);
  });

  test('unknown flag: 404 FLAG_NOT_FOUND', async () => {
    const r = await ofrep(w, { key: 'season1-teaser', context: { targetingKey: 'p' } });
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { key: 'season1-teaser', errorCode: 'FLAG_NOT_FOUND', errorDetails: 'flag `season1-teaser` is not in snapshot version 4' });
  });

  test('malformed requests: 400 PARSE_ERROR or INVALID_CONTEXT', async () => {
    const cases = [
      ['{"context": {', 'PARSE_ERROR', /^request body is not json: EOF while parsing/],
      ['not json', 'PARSE_ERROR', /must be a json object with a `context` object/],
      ['', 'PARSE_ERROR', /must be a json object/],
      ['{}', 'INVALID_CONTEXT', /no `context` object/],
      ['{"context": "user-1"}', 'INVALID_CONTEXT', /^context: invalid type: string "user-1", expected an object of context attributes/],
    ];
    for (const [body, code, details] of cases) {
      for (const flagKey of ['ranked-matchmaking', undefined]) {
        const r = await ofrep(w, { key: flagKey, body });
        assert.equal(r.status, 400, body);
        assert.equal(r.json.errorCode, code, body);
        assert.match(r.json.errorDetails, details);
        assert.equal(r.json.key, flagKey);
      }
    }
  });

  test('bodies over 64 KiB: 413, with or without a Content-Length', async () => {
    const big = JSON.stringify({ context: { targetingKey: 'u', pad: 'x'.repeat(70 * 1024) } });
    const r = await ofrep(w, { body: big });
    assert.equal(r.status, 413);
    assert.match(r.json.errorDetails, /over the 65536-byte limit/);
    // Chunked, no length: the worker keeps none of it past the limit, and
    // drains the rest (bounded) so the client reads the 413 instead of a
    // reset connection. Repeated because that used to be a race.
    for (let round = 0; round < 5; round++) {
      const chunks = Array.from({ length: 40 }, () => new TextEncoder().encode('x'.repeat(4096)));
      const stream = new ReadableStream({ pull(c) { const next = chunks.shift(); next ? c.enqueue(next) : c.close(); } });
      const res = await w.fetch('/ofrep/v1/evaluate/flags', { method: 'POST', body: stream, duplex: 'half' });
      assert.equal(res.status, 413);
      assert.match((await res.json()).errorDetails, /over the 65536-byte limit \(\d+ bytes or more\)/);
    }
    // Exactly at the limit is fine (and then not json).
    const edge = await ofrep(w, { body: ' '.repeat(64 * 1024 - 2) + '{}' });
    assert.equal(edge.status, 400);
  });

  test('routes and methods', async () => {
    assert.equal((await w.fetch('/ofrep/v1/evaluate/flags')).status, 405);
    assert.equal((await w.fetch('/ofrep/v1/evaluate/flags')).headers.get('allow'), 'POST, OPTIONS');
    assert.equal((await w.fetch('/healthz', { method: 'POST' })).status, 405);
    const missing = await w.fetch('/ofrep/v2/nothing', { method: 'POST' });
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'no route for POST /ofrep/v2/nothing' });
  });

  test('CORS: preflight and headers on every answer', async () => {
    const pre = await w.fetch('/ofrep/v1/evaluate/flags', {
      method: 'OPTIONS',
      headers: { Origin: 'https://console.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-api-key' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers'), /X-API-Key/);
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    const r = await ofrep(w, { key: 'nope', headers: { Origin: 'https://console.example' } });
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal(r.headers.get('access-control-expose-headers'), 'ETag');
  });

  test('GET /v1/snapshot: the envelope as stored, with ETag and Cache-Control', async () => {
    const r = await w.fetch('/v1/snapshot');
    assert.equal(r.status, 200);
    assert.equal(await r.text(), season0.text);
    assert.equal(r.headers.get('x-edgeflag-version'), '4');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=30, must-revalidate');
    const again = await w.fetch('/v1/snapshot', { headers: { 'If-None-Match': r.headers.get('etag') } });
    assert.equal(again.status, 304);
  });

  test('GET /v1/keys: the trusted public keys', async () => {
    const r = await (await w.fetch('/v1/keys')).json();
    assert.equal(r.threshold, 1);
    assert.equal(r.keys.length, 1);
    assert.equal(r.keys[0].pem, key.pem);
    assert.match(r.keys[0].keyid, /^[0-9a-f]{64}$/);
  });

  test('GET /healthz: ok, with version, environment, digest, age and expiry', async () => {
    const h = await healthz(w);
    assert.equal(h.http, 200);
    assert.equal(h.status, 'ok');
    assert.deepEqual(
      [h.version, h.environment, h.release, h.digest, h.expires_at, h.problems, h.stale],
      [4, 'production', 'season0', season0.digest, season0.expires_at, [], false],
    );
    assert.ok(h.age_seconds >= 0 && h.age_seconds < 600);
    // The release candidate; season0 has no promotion gate, so no promotion record.
    assert.deepEqual([h.candidate, h.promotion], [season0.candidate, null]);
  });

  test('exposures: the local Analytics Engine binding takes the writes; sampled log lines carry the version, rule and stage', async () => {
    const logged = await startWorker({ vars: { TRUSTED_KEYS: key.pem, EXPOSURE_LOG_SAMPLE: '1', ALLOW_TIME_OVERRIDE: 'true' }, snapshot: season0.text });
    try {
      // Germany once the country rule's rollout is at its last stage.
      const r = await ofrep(logged, { context: { targetingKey: 'qa-bot-1', country: 'DE' }, at: '2026-12-05T00:00:00Z' });
      assert.equal(r.status, 200);
      const lines = () => logged.logs.filter((l) => l.includes('"event":"exposure"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
      for (let i = 0; i < 40 && lines().length < 6; i++) await new Promise((res) => setTimeout(res, 50));
      const mm = lines().find((l) => l.flag === 'ranked-matchmaking');
      assert.deepEqual(mm, {
        event: 'exposure', flag: 'ranked-matchmaking', variant: 'on', reason: 'TARGETING_MATCH', rule: null, stage: null,
        snapshot_version: 4, environment: 'production', release: 'season0', sample: 1,
      });
      const timeout = lines().find((l) => l.flag === 'match-timeout-seconds');
      assert.deepEqual(timeout, {
        event: 'exposure', flag: 'match-timeout-seconds', variant: 'short', reason: 'SPLIT',
        rule: 'short queue in high-population regions', stage: 2,
        snapshot_version: 4, environment: 'production', release: 'season0', sample: 1,
      });
      assert.equal(lines().length, 6);
      assert.ok(!logged.logs.some((l) => l.includes('exposure_write_failed')), logged.logs.join('\n'));
    } finally {
      await logged.close();
    }
    // At the default sample of 0.01, a few requests log (almost surely) nothing.
    const before = w.logs.filter((l) => l.includes('"event":"exposure"')).length;
    assert.ok(before < 60, `${before} exposure lines at a 1% sample`);
  });
});

describe('the time header is a staging and testing feature', () => {
  test('refused with 400 while ALLOW_TIME_OVERRIDE is off (the default)', async () => {
    const w = await startWorker({ vars: { TRUSTED_KEYS: key.pem }, snapshot: season0.text });
    try {
      const r = await ofrep(w, { key: 'ranked-matchmaking', context: legacyAndroid, at: AT });
      assert.equal(r.status, 400);
      assert.equal(r.json.errorCode, 'GENERAL');
      assert.match(r.json.errorDetails, /X-Edgeflag-At header is refused: ALLOW_TIME_OVERRIDE is off/);
      assert.equal((await ofrep(w, { key: 'ranked-matchmaking', context: legacyAndroid })).status, 200);
    } finally {
      await w.close();
    }
  });
});

describe('with API_KEYS set', () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, API_KEYS: 'key-one, key-two' }, snapshot: season0.text });
  });
  after(() => w.close());

  test('OFREP needs X-API-Key or a Bearer token: 401 otherwise', async () => {
    for (const flagKey of ['ranked-matchmaking', undefined]) {
      const none = await ofrep(w, { key: flagKey, context: { targetingKey: 'p' } });
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await ofrep(w, { key: flagKey, headers: { 'X-API-Key': 'key-three' } })).status, 401);
      assert.equal((await ofrep(w, { key: flagKey, headers: { Authorization: 'Bearer key-on' } })).status, 401);
      assert.equal((await ofrep(w, { key: flagKey, headers: { 'X-API-Key': 'key-one' } })).status, 200);
      assert.equal((await ofrep(w, { key: flagKey, headers: { Authorization: 'Bearer key-two' } })).status, 200);
    }
  });

  test('/v1/snapshot needs a key too; /healthz, /v1/keys and preflights do not', async () => {
    assert.equal((await w.fetch('/v1/snapshot')).status, 401);
    const ok = await w.fetch('/v1/snapshot', { headers: { 'X-API-Key': 'key-one' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'private, max-age=30, must-revalidate');
    assert.equal((await w.fetch('/healthz')).status, 200);
    assert.equal((await w.fetch('/v1/keys')).status, 200);
    assert.equal((await w.fetch('/ofrep/v1/evaluate/flags', { method: 'OPTIONS' })).status, 204);
  });
});

describe('before any valid snapshot', () => {
  test('evaluations answer PROVIDER_NOT_READY, /healthz is unavailable (503)', async () => {
    const w = await startWorker({ vars: { TRUSTED_KEYS: key.pem } });
    try {
      for (const flagKey of ['ranked-matchmaking', undefined]) {
        const r = await ofrep(w, { key: flagKey, context: { targetingKey: 'p' } });
        assert.equal(r.status, 500);
        assert.equal(r.json.errorCode, 'PROVIDER_NOT_READY');
        assert.match(r.json.errorDetails, /no valid snapshot has loaded from kv key `snapshot:production` yet; the last attempt was rejected \(MISSING\)/);
      }
      const h = await healthz(w);
      assert.deepEqual([h.http, h.status], [503, 'failing']);
      assert.equal(h.last_rejection.code, 'MISSING');
      assert.equal((await w.fetch('/v1/snapshot')).status, 503);
    } finally {
      await w.close();
    }
  });

  test('a misconfigured worker says which setting is wrong', async () => {
    const w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, THRESHOLD: 'two' }, snapshot: season0.text });
    try {
      const r = await ofrep(w, { key: 'ranked-matchmaking' });
      assert.equal(r.status, 500);
      assert.deepEqual(r.json, { key: 'ranked-matchmaking', errorCode: 'GENERAL', errorDetails: 'the worker is misconfigured: `THRESHOLD` is `two`, not a number' });
      // With its settings unreadable the worker cannot tell an admin key
      // either: /healthz gives the public answer only (OFREP says why).
      assert.deepEqual(await healthz(w), { http: 503, status: 'failing', version: null });
    } finally {
      await w.close();
    }
  });
});
