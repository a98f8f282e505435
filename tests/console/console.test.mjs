// The release console in real headless Chromium (Debian's), served by the
// worker under `wrangler dev` with signed season0 snapshots in local KV. The
// page verifies the snapshot in the browser with the npm package's wasm build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, build, keygen, tmpdir } from '../worker/lib/harness.mjs';
import { kvPut, startDev } from '../worker/lib/wrangler.mjs';

const SHOTS = path.join(ROOT, 'target/console-screenshots');
const season0 = path.join(ROOT, 'examples/season0.toml');
const dir = tmpdir('edgeflag-console-');
const key = keygen(dir);
// season0 with the promotion gate: production is promoted from the staging
// snapshot of the same candidate, a day (the soak) after it was signed.
const gated = path.join(dir, 'season0-gated.toml');
// store-layout's rollout also carries a guard.
fs.writeFileSync(gated, fs.readFileSync(season0, 'utf8')
  .replace('require_rollback = true\n', 'require_rollback = true\npromote = { from = "staging", to = ["production"], soak = "24h" }\n')
  .replace('weights = { classic = 50, grid = 25, carousel = 25 }\n',
    'weights = { classic = 50, grid = 25, carousel = 25 }\nguard = { metric = "match_error", max_relative_increase = 0.25, on_regression = "rollback" }\n'));
const STAGED = '2026-11-20T00:00:00Z';
const PROMOTED = '2026-11-21T00:00:00Z';
const snapshot = (env, extra = {}) =>
  build({ release: gated, env, key, out: path.join(dir, `${env}.json`), at: env === 'staging' ? STAGED : PROMOTED,
    expiresIn: '60d', force: false, promoteFrom: env === 'staging' ? undefined : path.join(dir, 'staging.json'), ...extra });

/** A validly signed envelope whose payload was changed afterwards. */
function tamper(file) {
  const env = JSON.parse(fs.readFileSync(file, 'utf8'));
  const payload = Buffer.from(env.payload, 'base64').toString('utf8');
  const changed = payload.replace('"percent":100', '"percent":99');
  assert.notEqual(changed, payload);
  env.payload = Buffer.from(changed).toString('base64');
  const out = path.join(dir, 'tampered.json');
  fs.writeFileSync(out, JSON.stringify(env));
  return out;
}

const PROVIDER_PAGE = `<!doctype html>
<script type="importmap">
{ "imports": {
  "edgeflag": "/__npm/browser.js",
  "edgeflag/openfeature": "/__npm/openfeature.js",
  "@openfeature/web-sdk": "/__npm/web-sdk.js",
  "@openfeature/core": "/__npm/core.js"
} }
</script>
<script type="module">
import { EdgeFlagsWebProvider } from "edgeflag/openfeature";
import { OpenFeature } from "@openfeature/web-sdk";
try {
  const keys = await fetch("/v1/keys").then((r) => r.json());
  const provider = new EdgeFlagsWebProvider({
    url: "/v1/snapshot?audience=browser",
    trustedKeys: keys.keys.map((k) => k.pem),
    environment: "production",
    pollIntervalMs: 0,
    now: () => "2026-12-02T18:00:00Z",
  });
  await OpenFeature.setContext({ targetingKey: "store-demo-device" });
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient();
  const d = client.getStringDetails("store-layout", "classic");
  window.result = { layout: [d.value, d.reason], audience: provider.flags.audience, flags: provider.flags.flagKeys(),
    missing: client.getBooleanDetails("ranked-matchmaking", false).errorCode };
} catch (e) {
  window.result = { failed: String(e && e.stack || e) };
}
</script>`;

describe('the release console', () => {
  let dev, browser, page;
  const errors = [];
  const persist = path.join(dir, 'state');

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const env of ['staging', 'production']) await kvPut(persist, `snapshot:${env}`, snapshot(env).path);
    const browserSnap = snapshot('production', { out: path.join(dir, 'browser.json'), audience: 'browser' });
    await kvPut(persist, 'snapshot:production:browser', browserSnap.path);
    dev = await startDev({ persistTo: persist, vars: { TRUSTED_KEYS: JSON.stringify([key.pem]) } });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    // Name the URL of a failed load: the console message alone does not.
    page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  });
  after(async () => {
    await browser?.close();
    await dev?.stop();
  });

  const open = async (query) => {
    await page.goto(`${dev.base}/?${query}`);
    await page.waitForSelector('[data-signature]');
  };

  test('loads with no console errors and shows the signature as valid', async () => {
    await open('at=2026-12-02T18:00:00Z');
    assert.equal(await page.getAttribute('[data-signature]', 'data-signature'), 'valid');
    assert.equal(await page.textContent('[data-field="environment"]'), 'production');
    // The provenance next to the signature badge: where the candidate soaked.
    assert.equal(await page.getAttribute('[data-promotion]', 'data-promotion'), 'promoted');
    assert.equal(await page.textContent('[data-promotion]'), `tested in staging (v1) from ${STAGED} to ${PROMOTED}`);
    assert.match(await page.textContent('[data-field="candidate"]'), /^sha256:[0-9a-f]{64}$/);
    // The signed plan's guard, on the rollout it watches.
    assert.equal(await page.textContent('#flag-store-layout [data-guard="match_error"]'), 'guarded: match_error up to +25%, else rollback');
    assert.equal(await page.locator('article.flag').count(), 6);
    // The release's incident channel, read from definitions() in camelCase.
    assert.equal(
      await page.locator('a[href="https://chat.example.com/channels/season0-incidents"]').count(),
      1,
    );
    await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('ranked-matchmaking shows its timeline and current percentage at the chosen time', async () => {
    await open('at=2026-12-02T18:00:00Z');
    const box = page.locator('[data-flag-timeline="ranked-matchmaking"]');
    assert.equal(await box.locator('[data-current-percent]').getAttribute('data-current-percent'), '5');
    assert.match(await box.textContent(), /stage 2 of 4: 5%; next 25% at 2026-12-03T16:00:00Z/);
    assert.equal(await box.locator('svg [data-now]').count(), 1);
    // The time control moves every view: a day later it is the third stage.
    await page.fill('#at-text', '2026-12-03T18:00:00Z');
    await page.press('#at-text', 'Enter');
    await page.waitForFunction(() =>
      document.querySelector('[data-flag-timeline="ranked-matchmaking"] [data-current-percent]')?.dataset.currentPercent === '25');
    await page.locator('#flag-ranked-matchmaking').screenshot({ path: path.join(SHOTS, 'ranked-matchmaking.png') });
    assert.deepEqual(errors, []);
  });

  test('store-layout draws three bars near 50/25/25', async () => {
    await open('at=2026-12-03T17:00:00Z');
    const bars = await page.locator('[data-flag-chart="store-layout"] g[data-variant]').evaluateAll((gs) =>
      gs.map((g) => ({ variant: g.dataset.variant, reason: g.dataset.reason, share: Number(g.dataset.share) })));
    assert.equal(bars.length, 3, JSON.stringify(bars));
    const share = Object.fromEntries(bars.map((b) => [b.variant, b.share]));
    for (const [variant, want] of [['classic', 0.5], ['grid', 0.25], ['carousel', 0.25]]) {
      assert.ok(Math.abs(share[variant] - want) < 0.02, `${variant}: ${share[variant]}`);
    }
    assert.ok(bars.every((b) => b.reason === 'SPLIT'));
    await page.locator('#flag-store-layout').screenshot({ path: path.join(SHOTS, 'store-layout.png') });
  });

  test('a rule rollout has its own timeline row and, for users it matches, its own bars', async () => {
    await open('at=2026-12-03T20:00:00Z');
    const RULE = 'short queue in high-population regions';
    const row = page.locator(`#flag-match-timeout-seconds [data-rule-timeline="${RULE}"]`);
    assert.equal(await row.locator('[data-current-percent]').getAttribute('data-current-percent'), '50');
    assert.match(await row.textContent(), /stage 2 of 3: 50%; next 100% at 2026-12-04T16:00:00Z/);
    assert.equal(await row.locator('svg [data-now]').count(), 1);
    // Synthetic users like the context: in Germany the rule matches, and half are inside it.
    await page.fill('#ctx-json', '{"country": "DE"}');
    await page.waitForFunction((rule) =>
      document.querySelector(`[data-flag-chart="match-timeout-seconds"] g[data-rule="${rule}"]`), RULE);
    const bars = await page.locator('[data-flag-chart="match-timeout-seconds"] g[data-variant]').evaluateAll((gs) =>
      gs.map((g) => ({ variant: g.dataset.variant, reason: g.dataset.reason, rule: g.dataset.rule, share: Number(g.dataset.share) })));
    assert.equal(bars.length, 2, JSON.stringify(bars));
    const inside = bars.find((b) => b.rule === RULE);
    assert.deepEqual([inside.variant, inside.reason], ['short', 'SPLIT']);
    assert.ok(Math.abs(inside.share - 0.5) < 0.02, `${inside.share}`);
    const outside = bars.find((b) => b.rule === '');
    assert.deepEqual([outside.variant, outside.reason], ['normal', 'DEFAULT']);
    await page.locator('#flag-match-timeout-seconds').screenshot({ path: path.join(SHOTS, 'rule-rollout.png') });
    await page.fill('#ctx-json', '');
    assert.deepEqual(errors, []);
  });

  test('a legacy Android user gets ROLLBACK for ranked-matchmaking', async () => {
    await open('at=2026-12-05T18:00:00Z');
    await page.fill('#ctx-platform', 'android');
    await page.fill('#ctx-version', '4.1.9');
    const row = page.locator('tr[data-result="ranked-matchmaking"]');
    await page.waitForFunction(() =>
      document.querySelector('tr[data-result="ranked-matchmaking"] [data-reason]')?.textContent === 'ROLLBACK');
    assert.match(await row.textContent(), /INC-2041 crash on legacy Android/);
    await page.locator('#results').screenshot({ path: path.join(SHOTS, 'try-a-user.png') });
    assert.deepEqual(errors, []);
  });

  test('the environment switch shows staging, where the feature is at 100%', async () => {
    await open('at=2026-12-02T18:00:00Z');
    await page.selectOption('#env', 'staging');
    await page.waitForFunction(() => document.querySelector('[data-field="environment"]')?.textContent === 'staging');
    const pct = await page.getAttribute('[data-flag-timeline="ranked-matchmaking"] [data-current-percent]', 'data-current-percent');
    assert.equal(pct, '100');
    assert.deepEqual(errors, []);
  });

  test('the audience switch shows what a page holds, and says so', async () => {
    await open('at=2026-12-02T18:00:00Z');
    assert.match(await page.textContent('[data-field="audience"]'), /^server: every flag/);
    await open('audience=browser&at=2026-12-02T18:00:00Z');
    assert.equal(await page.getAttribute('[data-signature]', 'data-signature'), 'valid');
    assert.match(await page.textContent('[data-field="audience"]'), /^browser: only the flags pages may evaluate/);
    assert.equal(await page.locator('article.flag').count(), 2);
    assert.equal(await page.inputValue('#audience'), 'browser');
    // Neither the owners nor the runbooks nor the incident channel reach a page.
    const html = await page.content();
    for (const secret of ['store-team@example.com', 'runbooks.example.com', 'season0-incidents']) {
      assert.ok(!html.includes(secret), `the browser view shows ${secret}`);
    }
    await page.screenshot({ path: path.join(SHOTS, 'browser-audience.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  // The npm package's web provider in a page of the worker's origin: the
  // package's files are handed to the page by the test (the worker serves
  // only the console), the snapshot and keys come from the worker itself.
  test('the web OpenFeature provider in Chromium loads the browser snapshot from the worker', async () => {
    const npm = path.join(ROOT, 'npm');
    const files = {
      '/__test/provider.html': { body: PROVIDER_PAGE, type: 'text/html' },
      '/__npm/web-sdk.js': path.join(npm, 'node_modules/@openfeature/web-sdk/dist/esm/index.js'),
      '/__npm/core.js': path.join(npm, 'node_modules/@openfeature/core/dist/esm/index.js'),
    };
    for (const f of ['browser.js', 'edgeflag_web.js', 'edgeflag_web_bg.wasm', 'edgeflags_web.js', 'slots.js', 'openfeature.js', 'track.js']) {
      files[`/__npm/${f}`] = path.join(npm, 'dist', f);
    }
    const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
    const p = await browser.newPage();
    await p.route(`${dev.base}/__*/**`, (route) => {
      const file = files[new URL(route.request().url()).pathname];
      if (!file) return route.fulfill({ status: 404 });
      if (typeof file !== 'string') return route.fulfill({ status: 200, contentType: file.type, body: file.body });
      return route.fulfill({ status: 200, contentType: types[path.extname(file)], body: fs.readFileSync(file) });
    });
    const worker = [];
    p.on('request', (r) => r.url().startsWith(`${dev.base}/v1/`) && worker.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await p.goto(`${dev.base}/__test/provider.html`);
    await p.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    const result = await p.evaluate(() => window.result);
    await p.close();
    assert.equal(result.failed, undefined, result.failed);
    assert.deepEqual(result.layout, ['carousel-v1', 'TARGETING_MATCH']);
    assert.equal(result.audience, 'browser');
    assert.deepEqual(result.flags, ['store-layout', 'season-banner']);
    assert.equal(result.missing, 'FLAG_NOT_FOUND');
    assert.ok(worker.includes('/v1/snapshot?audience=browser'), worker.join(' '));
  });

  test('a runbook that is not https is shown as text, never as a link', async () => {
    // Signed, but built with --force: the checklist's https check was skipped.
    const release = path.join(dir, 'javascript-runbook.toml');
    const text = fs.readFileSync(season0, 'utf8');
    const hostile = text.replace(/runbook = "https:[^"]*"/, 'runbook = "javascript:alert(document.domain)"');
    assert.notEqual(hostile, text);
    fs.writeFileSync(release, hostile);
    const snap = build({ release, env: 'staging', key, out: path.join(dir, 'javascript.json'), at: '2026-11-20T00:00:00Z', expiresIn: '60d', version: 2 });
    await kvPut(persist, 'snapshot:staging', snap.path);
    await open('env=staging&at=2026-12-02T18:00:00Z');
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
    assert.ok((await page.locator('.unlinked', { hasText: 'javascript:alert(document.domain)' }).count()) >= 1);
    assert.ok((await page.locator('a[href^="https://"]').count()) >= 1, 'https runbooks stay links');
  });

  test('a snapshot whose signature does not verify shows the rejection instead of flags', async () => {
    await kvPut(persist, 'snapshot:staging', tamper(path.join(dir, 'staging.json')));
    await open('env=staging&at=2026-12-02T18:00:00Z');
    assert.equal(await page.getAttribute('[data-signature]', 'data-signature'), 'rejected');
    const alert = await page.textContent('[role="alert"] h2');
    assert.match(alert, /The staging snapshot was rejected \(BAD_SIGNATURE\)/);
    assert.equal(await page.locator('article.flag').count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'rejected.png'), fullPage: true });
  });
});
