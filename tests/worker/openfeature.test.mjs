// Real OpenFeature clients: @openfeature/server-sdk with
// @openfeature/ofrep-provider, talking to the worker over HTTP as an
// application would. The first test pins the time with the worker's time
// header (the country rule rolls out in stages); the others do not depend on it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ROOT, build, keygen, startWorker, tmpdir } from './lib/harness.mjs';

const dir = tmpdir();
const key = keygen(dir);
const season0 = build({ release: path.join(ROOT, 'examples/season0.toml'), key, out: path.join(dir, 'season0.json'), version: 12, expiresIn: '30d' });

after(() => OpenFeature.close());

describe('@openfeature/ofrep-provider with @openfeature/server-sdk', () => {
  test('typed calls get the expected values, reasons, variants and flagMetadata', async () => {
    const w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, ALLOW_TIME_OVERRIDE: 'true' }, snapshot: season0.text });
    try {
      // After the country rule's rollout reached its last stage.
      const at = '2026-12-05T00:00:00Z';
      await OpenFeature.setProviderAndWait('season0', new OFREPProvider({ baseUrl: w.base, headersFactory: () => [['X-Edgeflag-At', at]] }));
      const client = OpenFeature.getClient('season0');
      client.setContext({ targetingKey: 'qa-bot-1', country: 'JP' });

      const ranked = await client.getBooleanDetails('ranked-matchmaking', false);
      assert.deepEqual([ranked.value, ranked.variant, ranked.reason, ranked.errorCode], [true, 'on', 'TARGETING_MATCH', undefined]);
      assert.equal(ranked.flagMetadata.runbook, 'https://runbooks.example.com/season0/ranked-matchmaking');
      assert.equal(ranked.flagMetadata.owner, 'matchmaking-team@example.com');
      assert.equal(ranked.flagMetadata.snapshotVersion, 12);

      const timeout = await client.getNumberDetails('match-timeout-seconds', 60);
      assert.deepEqual([timeout.value, timeout.variant, timeout.reason], [45, 'short', 'SPLIT']);
      // The rule and its stage travel in flagMetadata.
      assert.deepEqual([timeout.flagMetadata.rule, timeout.flagMetadata.stage, timeout.flagMetadata.percent],
        ['short queue in high-population regions', 2, 100]);
      // Invocation context overrides the client's.
      assert.equal(await client.getNumberValue('match-timeout-seconds', 60, { country: 'FR' }), 90);

      const hotfix = await client.getBooleanDetails('hotfix-login-throttle', false);
      assert.deepEqual([hotfix.value, hotfix.reason, hotfix.flagMetadata.hotfix], [true, 'STATIC', true]);

      const mismatch = await client.getStringDetails('hotfix-login-throttle', 'fallback');
      assert.deepEqual([mismatch.value, mismatch.reason, mismatch.errorCode], ['fallback', 'ERROR', 'TYPE_MISMATCH']);

      const missing = await client.getBooleanDetails('season1-teaser', false);
      assert.deepEqual([missing.value, missing.reason, missing.errorCode], [false, 'ERROR', 'FLAG_NOT_FOUND']);
      assert.equal(missing.errorMessage, 'flag `season1-teaser` is not in snapshot version 12');
    } finally {
      await w.close();
    }
  });

  test('with API_KEYS: the provider sends its key; without one it gets the default', async () => {
    const w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, API_KEYS: 'app-key' }, snapshot: season0.text });
    try {
      await OpenFeature.setProviderAndWait('keyed', new OFREPProvider({ baseUrl: w.base, headers: [['X-API-Key', 'app-key']] }));
      await OpenFeature.setProviderAndWait('bearer', new OFREPProvider({ baseUrl: w.base, headers: { Authorization: 'Bearer app-key' } }));
      await OpenFeature.setProviderAndWait('anonymous', new OFREPProvider({ baseUrl: w.base }));
      const ctx = { targetingKey: 'qa-bot-1' };
      assert.equal(await OpenFeature.getClient('keyed').getBooleanValue('ranked-matchmaking', false, ctx), true);
      assert.equal(await OpenFeature.getClient('bearer').getBooleanValue('ranked-matchmaking', false, ctx), true);
      const refused = await OpenFeature.getClient('anonymous').getBooleanDetails('ranked-matchmaking', false, ctx);
      assert.deepEqual([refused.value, refused.reason, refused.errorCode], [false, 'ERROR', 'GENERAL']);
    } finally {
      await w.close();
    }
  });

  test('before any snapshot: the default, with the worker saying why', async () => {
    const w = await startWorker({ vars: { TRUSTED_KEYS: key.pem } });
    try {
      await OpenFeature.setProviderAndWait('cold', new OFREPProvider({ baseUrl: w.base }));
      const d = await OpenFeature.getClient('cold').getBooleanDetails('ranked-matchmaking', false, { targetingKey: 'p' });
      // The provider knows only OFREP's error codes: PROVIDER_NOT_READY arrives as GENERAL.
      assert.deepEqual([d.value, d.reason, d.errorCode], [false, 'ERROR', 'GENERAL']);
      assert.match(d.errorMessage, /^no valid snapshot has loaded from kv key `snapshot:production` yet/);
    } finally {
      await w.close();
    }
  });
});
