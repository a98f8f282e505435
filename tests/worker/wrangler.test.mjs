// The deployed configuration, end to end: `wrangler dev --local` with the
// repository's wrangler.toml (its [build] command, KV binding, vars, static
// assets from www/, Analytics Engine binding), snapshots written with
// `wrangler kv key put --local` before and while it runs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_KEY, ROOT, build, keygen, tmpdir, waitFor } from './lib/harness.mjs';
import { kvPut, startDev } from './lib/wrangler.mjs';

const dir = tmpdir();
const key = keygen(dir);
const season0 = path.join(ROOT, 'examples/season0.toml');

describe('wrangler dev with wrangler.toml', () => {
  let dev;
  const v1 = build({ release: season0, key, out: path.join(dir, 'v1.json'), version: 1, expiresIn: '30d' });
  const b1 = build({ release: season0, key, out: path.join(dir, 'b1.json'), version: 1, expiresIn: '2d', audience: 'browser' });
  before(async () => {
    await kvPut(path.join(dir, 'state'), 'snapshot:production', v1.path);
    // wrangler.toml's BROWSER_SNAPSHOT_KEY.
    await kvPut(path.join(dir, 'state'), 'snapshot:production:browser', b1.path);
    // TRUSTED_KEYS as a JSON list of PEM strings, one of its two accepted forms.
    dev = await startDev({ persistTo: path.join(dir, 'state'), vars: { TRUSTED_KEYS: JSON.stringify([key.pem]), REFRESH_SECONDS: '1', ADMIN_KEYS: ADMIN_KEY } });
  });
  after(() => dev?.stop());

  test('static assets from www/ are served at /', async () => {
    const r = await fetch(`${dev.base}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.match(await r.text(), /<html/i);
  });

  test('the snapshot put before the start is served', async () => {
    const h = await (await fetch(`${dev.base}/healthz`, { headers: { 'X-API-Key': ADMIN_KEY } })).json();
    assert.deepEqual([h.status, h.version, h.environment, h.digest], ['ok', 1, 'production', v1.digest]);
    assert.deepEqual([h.browser.status, h.browser.version, h.browser.digest], ['ok', 1, b1.digest]);
    const b = await fetch(`${dev.base}/v1/snapshot?audience=browser`);
    assert.equal(b.status, 200);
    assert.equal(await b.text(), b1.text);
    const r = await fetch(`${dev.base}/ofrep/v1/evaluate/flags/hotfix-login-throttle`, {
      method: 'POST',
      body: JSON.stringify({ context: { targetingKey: 'p' } }),
    });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {
      key: 'hotfix-login-throttle', value: true, reason: 'STATIC', variant: 'on',
      metadata: {
        snapshotVersion: 1, environment: 'production', release: 'season0', type: 'boolean',
        owner: 'platform-team@example.com', runbook: 'https://runbooks.example.com/season0/login-throttle',
        description: 'Hotfix: throttle login retries (INC-2050)', hotfix: true,
        rollbackSteps: 'Run `edgeflag rollback hotfix-login-throttle`', stale: false,
      },
    });
  });

  test('a snapshot put while it runs is served within REFRESH_SECONDS', async () => {
    const v2 = build({ release: season0, key, out: path.join(dir, 'v2.json'), previous: v1.path, expiresIn: '30d' });
    assert.equal(v2.version, 2);
    await kvPut(path.join(dir, 'state'), 'snapshot:production', v2.path);
    await waitFor(async () => (await (await fetch(`${dev.base}/healthz`)).json()).version === 2, 5000, 'version 2');
  });

  test('a fresh dev server over the same state refuses the replayed version 1 (the Durable Object mark)', async () => {
    const details = async () => (await fetch(`${dev.base}/healthz`, { headers: { 'X-API-Key': ADMIN_KEY } })).json();
    await waitFor(async () => (await details()).mark?.version === 2, 5000, 'the mark at version 2');
    await kvPut(path.join(dir, 'state'), 'snapshot:production', v1.path);
    await dev.stop();
    dev = await startDev({ persistTo: path.join(dir, 'state'), vars: { TRUSTED_KEYS: JSON.stringify([key.pem]), REFRESH_SECONDS: '1', ADMIN_KEYS: ADMIN_KEY } });
    const h = await details();
    assert.deepEqual([h.version, h.mark?.version, h.last_rejection?.code], [2, 2, 'VERSION_TOO_OLD']);
  });
});
