// The browser snapshot under workerd: its own KV key and high-water mark,
// the same acceptance policy, `GET /v1/snapshot?audience=browser` with CORS
// and ETag/304, and neither snapshot accepted under the other's key.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BROWSER_SNAPSHOT_KEY, ROOT, build, healthz, keygen, ofrep, startWorker, tmpdir, waitFor } from './lib/harness.mjs';

const dir = tmpdir();
const key = keygen(dir);
const season0 = path.join(ROOT, 'examples/season0.toml');
const snap = (name, opts) =>
  build({ release: season0, key, out: path.join(dir, `${name}.json`), expiresIn: '30d', force: false, ...opts });

describe('the browser snapshot', () => {
  let w;
  const edge = snap('edge-v3', { version: 3 });
  const browser = snap('browser-v2', { version: 2, audience: 'browser' });
  before(async () => {
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, REFRESH_SECONDS: '0', BROWSER_SNAPSHOT_KEY }, snapshot: edge.text });
    await w.putBrowser(browser.text);
  });
  after(() => w.close());

  test('is served as stored at /v1/snapshot?audience=browser, with CORS and ETag/304', async () => {
    const res = await w.fetch('/v1/snapshot?audience=browser', { headers: { Origin: 'https://game.example' } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), browser.text);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-expose-headers'), /ETag/);
    assert.equal(res.headers.get('x-edgeflag-version'), '2');
    const tag = res.headers.get('etag');
    assert.ok(tag);
    const again = await w.fetch('/v1/snapshot?audience=browser', { headers: { 'If-None-Match': tag } });
    assert.equal(again.status, 304);
    // The edge snapshot is another resource, with its own tag.
    const full = await w.fetch('/v1/snapshot');
    assert.equal(full.status, 200);
    assert.equal(await full.text(), edge.text);
    assert.notEqual(full.headers.get('etag'), tag);
    const pre = await w.fetch('/v1/snapshot?audience=browser', { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  });

  test('holds only browser flags, with no owners or runbooks', async () => {
    const env = JSON.parse(await (await w.fetch('/v1/snapshot?audience=browser')).text());
    const payload = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    assert.equal(payload.audience, 'browser');
    assert.deepEqual(Object.keys(payload.definitions.flags), ['store-layout', 'season-banner']);
    const text = JSON.stringify(payload);
    for (const secret of ['@example.com', 'runbooks.example.com', 'acct-store-qa-1', 'store-demo-device', 'ranked-matchmaking']) {
      assert.ok(!text.includes(secret), `the browser snapshot holds ${secret}`);
    }
  });

  test('an unknown audience is a 400 naming the two', async () => {
    const res = await w.fetch('/v1/snapshot?audience=mobile');
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'unknown audience `mobile`: ask for `server` or `browser`');
  });

  test('an edge snapshot under the browser key is refused, and the browser one keeps serving', async () => {
    const edge9 = snap('edge-v9', { version: 9 });
    await w.putBrowser(edge9.text);
    const h = await waitFor(async () => {
      const h = await healthz(w);
      return h.browser?.last_rejection?.code === 'WRONG_AUDIENCE' && h;
    }, 10_000, 'the browser loader to refuse the edge snapshot');
    assert.equal(h.value.browser.last_rejection.message, 'snapshot is for `server` clients, but this consumer serves `browser` clients');
    assert.equal(h.value.browser.version, 2);
    assert.equal(h.value.status, 'degraded');
    assert.match(h.value.problems.join('\n'), /the browser snapshot is degraded: the latest value in kv was rejected \(WRONG_AUDIENCE\)/);
    const res = await w.fetch('/v1/snapshot?audience=browser');
    assert.equal(await res.text(), browser.text);
    await w.putBrowser(browser.text);
  });

  test('a browser snapshot under the edge key is refused, and OFREP keeps answering from the edge one', async () => {
    const browser9 = snap('browser-v9', { version: 9, audience: 'browser' });
    await w.put(browser9.text);
    await waitFor(async () => (await healthz(w)).last_rejection?.code === 'WRONG_AUDIENCE', 10_000, 'the edge loader to refuse');
    const r = await ofrep(w, { key: 'ranked-matchmaking', context: { targetingKey: 'qa-bot-1' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.value, true);
    assert.equal(r.json.metadata.snapshotVersion, 3);
    await w.put(edge.text);
  });
});

describe('without BROWSER_SNAPSHOT_KEY', () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, BROWSER_SNAPSHOT_KEY: '' }, snapshot: snap('edge-only', { version: 1 }).text });
  });
  after(() => w.close());

  test('asking for the browser snapshot is a 404 that says why', async () => {
    const res = await w.fetch('/v1/snapshot?audience=browser');
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, 'this worker serves no browser snapshot: BROWSER_SNAPSHOT_KEY is not set');
    assert.equal((await healthz(w)).browser, undefined);
  });
});
