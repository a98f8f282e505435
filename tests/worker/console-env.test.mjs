// The console's environment switch: `GET /v1/snapshot?env=NAME` hands out the
// envelope of an environment listed in CONSOLE_SNAPSHOTS exactly as stored,
// for the browser to verify; unlisted or missing environments are a 404.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, build, keygen, startWorker, tmpdir } from './lib/harness.mjs';

const dir = tmpdir();
const key = keygen(dir);
const season0 = path.join(ROOT, 'examples/season0.toml');
const production = build({ release: season0, env: 'production', key, out: path.join(dir, 'p.json'), expiresIn: '30d' });
const staging = build({ release: season0, env: 'staging', key, out: path.join(dir, 's.json'), expiresIn: '30d' });

describe('GET /v1/snapshot?env=', () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem }, snapshot: production.text });
    await w.kv.put('snapshot:staging', staging.text);
  });
  after(() => w.close());

  test('the served environment, asked by name, is the verified snapshot', async () => {
    const res = await w.fetch('/v1/snapshot?env=production');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), production.text);
    assert.equal(res.headers.get('x-edgeflag-version'), String(production.version));
  });

  test('another listed environment comes as stored, with its own ETag', async () => {
    const res = await w.fetch('/v1/snapshot?env=staging');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), staging.text);
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const again = await w.fetch('/v1/snapshot?env=staging', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  });

  test('an unlisted environment is a 404 naming what is listed', async () => {
    const res = await w.fetch('/v1/snapshot?env=dev');
    assert.equal(res.status, 404);
    assert.match((await res.json()).error, /no snapshot for environment `dev`: this worker serves `production`, and CONSOLE_SNAPSHOTS lists production, staging/);
  });

  test('a listed environment with nothing stored is a 404 naming the key', async () => {
    await w.kv.delete('snapshot:staging');
    const res = await w.fetch('/v1/snapshot?env=staging');
    assert.equal(res.status, 404);
    assert.match((await res.json()).error, /no snapshot stored under `snapshot:staging` for environment `staging`/);
  });
});
