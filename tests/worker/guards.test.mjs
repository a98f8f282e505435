// Guarded rollouts at the edge (docs/guards.md), under `wrangler dev` with
// the real GUARDS Durable Object: the load script (guards.mjs) drives the
// guarded fixture release, the ledger halts `new-matcher` (1% vs 3%
// `match_error`) and not `dark-mode` (1% vs 1% `ui_error`), and OFREP then
// serves the rollback variant to exactly the rollout's users. Hostile input
// to `/v1/track` runs under miniflare, with the same Durable Objects.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_KEY, CLI, ROOT, build, keygen, startWorker, tmpdir, waitFor } from './lib/harness.mjs';
import { kvPut, startDev } from './lib/wrangler.mjs';
import { OpenFeature } from '@openfeature/server-sdk';
import { chromium } from 'playwright-core';
import { EdgeFlags } from '../../npm/dist/node.js';
import { EdgeFlagsServerProvider } from '../../npm/dist/openfeature.js';
import { AT, arm, drive, user } from './guards.mjs';

const dir = tmpdir();
const key = keygen(dir);
const release = path.join(ROOT, 'tests/guards/release.toml');
const API_KEY = 'guard-test-client';
const USERS = 6000;

// Issued before AT, the evaluation time of every request and provider, and
// fresh for years of real time (the worker accepts on its own clock).
const issued = (hhmm) => ({ at: `2026-12-07T${hhmm}:00Z`, expiresIn: '3650d' });

async function guards(base, apiKey = API_KEY) {
  const r = await fetch(`${base}/v1/guards`, { headers: { 'X-API-Key': apiKey } });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

const find = (view, flag) => view.guards.find((g) => g.flag === flag && g.serving);

async function bulk(base, i) {
  const r = await fetch(`${base}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY, 'X-Edgeflag-At': AT },
    body: JSON.stringify({ context: user(i) }),
  });
  assert.equal(r.status, 200);
  return Object.fromEntries((await r.json()).flags.map((f) => [f.key, f]));
}

describe('a guarded rollout under wrangler dev', () => {
  let dev;
  const state = path.join(dir, 'state');
  const v1 = build({ release, key, out: path.join(dir, 'v1.json'), version: 1, force: false, ...issued('11:00') });
  before(async () => {
    await kvPut(state, 'snapshot:production', v1.path);
    dev = await startDev({
      persistTo: state,
      vars: { TRUSTED_KEYS: key.pem, REFRESH_SECONDS: '1', ADMIN_KEYS: ADMIN_KEY, API_KEYS: API_KEY, ALLOW_TIME_OVERRIDE: 'true', BROWSER_SNAPSHOT_KEY: '' },
    });
  });
  after(() => dev?.stop());

  let before_;
  test('the load halts the regressed rollout, and only that one', async () => {
    const { served, sent } = await drive({ base: dev.base, apiKey: API_KEY, users: USERS });
    before_ = served;
    assert.equal(sent.evaluations, USERS);
    const { value: view } = await waitFor(async () => {
      const v = await guards(dev.base);
      return find(v, 'new-matcher')?.halt ? v : undefined;
    }, 20_000, 'the new-matcher halt');
    const g = find(view, 'new-matcher');
    assert.deepEqual([g.halt.metric, g.halt.stage, g.verdict.verdict, g.on_regression], ['match_error', 0, 'regression', 'rollback']);
    const ev = g.halt.evidence;
    assert.ok(ev.treatment_rate > 2 * ev.control_rate, JSON.stringify(ev));
    assert.ok(ev.likelihood_ratio >= ev.threshold);
    // Equal rates: counted, judged, no halt.
    const d = find(view, 'dark-mode');
    assert.equal(d.halt, null);
    assert.equal(d.verdict.verdict, 'continue', JSON.stringify(d.verdict));
    const exposures = d.stages.reduce((n, s) => n + s.control.exposures + s.treatment.exposures, 0);
    assert.equal(exposures, USERS);
    // Admins see the same in /healthz.
    const h = await (await fetch(`${dev.base}/healthz`, { headers: { 'X-API-Key': ADMIN_KEY } })).json();
    assert.equal(h.guards.find((x) => x.flag === 'new-matcher' && x.serving).halt.plan, g.plan);
  });

  test('`edgeflag guards` prints the same, and exits 1 while a rollout is halted', async () => {
    const run = (...args) => spawnSync(CLI, args, { encoding: 'utf8', env: { ...process.env, EDGEFLAG_API_KEY: API_KEY } });
    const text = run('guards', '--url', dev.base);
    assert.equal(text.status, 1, text.stderr);
    const row = text.stdout.split('\n').find((l) => l.startsWith('new-matcher '));
    assert.match(row, /match_error +\d\.\d\d% \[\d\.\d\d%, \d\.\d\d%\] of \d+ +\d\.\d\d% \[/);
    assert.match(row, /HALTED \(rollback\) at stage 0 on 20\d\d-/);
    assert.match(text.stdout.split('\n').find((l) => l.startsWith('dark-mode ')), /continue$/);
    assert.match(text.stderr, /^edgeflag: 1 guarded rollout\(s\) halted: new-matcher$/m);
    const json = run('--json', 'guards', '--url', `${dev.base}/`);
    assert.equal(json.status, 1);
    const view = JSON.parse(json.stdout);
    assert.deepEqual(find(view, 'new-matcher').halt, find(await guards(dev.base), 'new-matcher').halt);
    const denied = spawnSync(CLI, ['guards', '--url', dev.base], { encoding: 'utf8', env: { ...process.env, EDGEFLAG_API_KEY: '' } });
    assert.equal(denied.status, 2);
    assert.match(denied.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/v1\/guards: 401: an api key is required/);
  });

  test('OFREP then serves the rollback variant to exactly the rollout’s users', async () => {
    assert.ok(before_, 'the load ran');
    let changed = 0;
    let treated = 0;
    for (let i = 0; i < USERS; i += 3) {
      const now = await bulk(dev.base, i);
      const was = before_[i];
      const inside = arm(was['new-matcher']) === 'treatment';
      treated += inside;
      for (const flag of Object.keys(was)) {
        const [a, b] = [was[flag], now[flag]];
        if (flag === 'new-matcher' && inside) {
          assert.deepEqual([b.value, b.variant, b.reason, b.metadata.rule, b.metadata.guard], [false, 'off', 'ROLLBACK', 'guard: match_error', 'match_error']);
          changed++;
        } else {
          assert.deepEqual([b.value, b.variant, b.reason, b.metadata.rule], [a.value, a.variant, a.reason, a.metadata.rule], `${flag} for user-${i}`);
        }
      }
    }
    assert.ok(treated > 800, `${treated} in the rollout`);
    assert.equal(changed, treated);
  });

  test('the npm server provider pointed at the worker honours the halt', async () => {
    const provider = new EdgeFlagsServerProvider({
      url: `${dev.base}/v1/snapshot`,
      headers: { 'X-API-Key': API_KEY },
      trustedKeys: [key.pem],
      environment: 'production',
      now: () => AT,
      pollIntervalMs: 0,
    });
    await OpenFeature.setProviderAndWait('guards-dev', provider);
    const client = OpenFeature.getClient('guards-dev');
    assert.equal(provider.halts.length, 1, provider.haltsError);
    for (let i = 0; i < 300; i++) {
      const d = await client.getBooleanDetails('new-matcher', true, user(i));
      const was = before_[i]['new-matcher'];
      if (arm(was) === 'treatment') {
        assert.deepEqual([d.value, d.variant, d.reason, d.flagMetadata.rule, d.flagMetadata.guard], [false, 'off', 'ROLLBACK', 'guard: match_error', 'match_error']);
      } else {
        assert.deepEqual([d.value, d.variant, d.reason], [was.value, was.variant, was.reason]);
      }
    }
    await OpenFeature.clearProviders();
  });

  test('the console shows both arms and the halt (Chromium screenshot)', async () => {
    const shots = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'console-screenshots');
    fs.mkdirSync(shots, { recursive: true });
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.addInitScript((k) => sessionStorage.setItem('edgeflag:api-key', k), API_KEY);
      await page.goto(`${dev.base}/?env=production&at=${AT}`);
      const halt = page.locator('[data-guard-halt="new-matcher"]');
      await halt.waitFor({ timeout: 20_000 });
      assert.equal(await halt.getAttribute('data-stage'), '0');
      assert.match(await halt.textContent(), /Halted at stage 0 on 20\d\d-.*rollback variant off \(reason ROLLBACK, rule guard: match_error\)/s);
      const card = page.locator('[data-guard-view="new-matcher"]');
      assert.equal(await card.locator('[data-verdict]').getAttribute('data-verdict'), 'halted');
      const rate = async (arm) => Number(await card.locator(`[data-arm="${arm}"]`).getAttribute('data-rate'));
      assert.ok((await rate('treatment')) > 2 * (await rate('control')));
      const dark = page.locator('[data-guard-view="dark-mode"] [data-verdict]');
      assert.equal(await dark.getAttribute('data-verdict'), 'continue');
      await page.locator('#guards-section').screenshot({ path: path.join(shots, 'guard-halt.png') });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test('the halt survives a new version with the same plan; a new plan clears it', async () => {
    const v2 = build({ release, key, out: path.join(dir, 'v2.json'), previous: v1.path, force: false, ...issued('11:10') });
    await kvPut(state, 'snapshot:production', v2.path);
    const inside = before_.findIndex((u) => arm(u['new-matcher']) === 'treatment');
    await waitFor(async () => (await (await fetch(`${dev.base}/healthz`)).json()).version === 2, 10_000, 'version 2');
    assert.equal((await bulk(dev.base, inside))['new-matcher'].reason, 'ROLLBACK');
    const edited = path.join(dir, 'replanned.toml');
    fs.writeFileSync(edited, fs.readFileSync(release, 'utf8').replace('max_relative_increase = 0.25', 'max_relative_increase = 0.3'));
    const v3 = build({ release: edited, key, out: path.join(dir, 'v3.json'), previous: v2.path, force: false, ...issued('11:20') });
    await kvPut(state, 'snapshot:production', v3.path);
    await waitFor(async () => (await (await fetch(`${dev.base}/healthz`)).json()).version === 3, 10_000, 'version 3');
    const r = (await bulk(dev.base, inside))['new-matcher'];
    assert.deepEqual([r.variant, r.reason], ['on', 'SPLIT']);
    const g = find(await guards(dev.base), 'new-matcher');
    assert.equal(g.halt, null);
  });
});

describe('hostile input to /v1/track', () => {
  let w;
  before(async () => {
    const v1 = build({ release, key, out: path.join(dir, 'h1.json'), version: 1, force: false, ...issued('11:00') });
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, API_KEYS: API_KEY, ALLOW_TIME_OVERRIDE: 'true' }, snapshot: v1.text });
  });
  after(() => w?.close());

  const track = (body, headers = { 'X-API-Key': API_KEY }) =>
    w.fetch('/v1/track', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Edgeflag-At': AT, ...headers }, body });
  const events = (n, extra = {}) => JSON.stringify({ events: Array.from({ length: n }, (_, i) => ({ metric: 'match_error', context: user(i), ...extra })) });

  const cases = [
    ['no api key', () => track(events(1), {}), 401, /an api key is required/],
    ['a wrong api key', () => track(events(1), { 'X-API-Key': 'nope' }), 401, /an api key is required/],
    ['a body over the limit', () => track('{"events": [' + ' '.repeat(70 * 1024) + ']}'), 413, /over the 65536-byte limit/],
    ['too many events', () => track(events(1001)), 413, /^a batch holds at most 1000 events; this one has 1001$/],
    ['not json', () => track('events'), 400, /^the body must be a json object with an `events` list: it is not a json object$/],
    ['an event without a context', () => track('{"events": [{"metric": "match_error"}]}'), 400, /events\[0\]: missing field `context`/],
    ['an unknown metric', () => track(events(1, { metric: 'purchase' })), 422, /^events\[0\]: no guard watches the metric `purchase` \(watched: lobby_crash, match_error, ui_error\)$/],
    ['an unknown flag', () => track(events(1, { flag: 'no-such-flag' })), 422, /^events\[0\]: no flag `no-such-flag` in the served snapshot$/],
    ['GET', () => w.fetch('/v1/track', { headers: { 'X-API-Key': API_KEY } }), 405, /GET is not allowed on \/v1\/track/],
  ];
  for (const [name, send, status, message] of cases) {
    test(`${name}: ${status}`, async () => {
      const r = await send();
      const body = await r.json();
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(body.errorDetails ?? body.error, message);
    });
  }

  test("the npm provider's track() reaches /v1/track through OpenFeature, counted in each user's arm", async () => {
    const provider = new EdgeFlagsServerProvider({
      url: `${w.base}/v1/snapshot`,
      headers: { 'X-API-Key': API_KEY, 'X-Edgeflag-At': AT },
      trustedKeys: [key.pem],
      environment: 'production',
      now: () => AT,
      pollIntervalMs: 0,
      tracking: { batchSize: 50, flushIntervalMs: 60_000 },
    });
    await OpenFeature.setProviderAndWait('guards-track', provider);
    const client = OpenFeature.getClient('guards-track');
    const want = { control: 0, treatment: 0 };
    const tracked = [];
    for (let i = 0; i < 400; i += 4) {
      const d = await client.getBooleanDetails('new-matcher', true, user(i));
      const side = arm({ reason: d.reason, variant: d.variant });
      if (!side) continue;
      client.track('match_error', user(i));
      want[side]++;
      tracked.push([i, side]);
    }
    // An event no guard watches, in a batch with watched ones: the worker
    // names it, the provider sends the rest again and skips that metric from
    // then on, and nothing throws.
    await provider.flushTracking();
    const [again, side] = tracked[0];
    client.track('purchase', user(1));
    client.track('match_error', user(again));
    want[side]++;
    await provider.flushTracking();
    client.track('purchase', user(2));
    await provider.flushTracking();
    const stats = provider.tracking;
    const all = want.control + want.treatment;
    assert.deepEqual([stats.accepted, stats.counted, stats.ignored, stats.refused, stats.queued], [all, all, 2, 0, 0]);
    assert.match(stats.lastError, /no guard watches the metric `purchase`/);
    const view = await (await w.fetch('/v1/guards', { headers: { 'X-API-Key': API_KEY } })).json();
    const g = view.guards.find((x) => x.flag === 'new-matcher' && x.serving);
    const got = { control: 0, treatment: 0 };
    for (const st of g.stages) {
      got.control += st.control.events;
      got.treatment += st.treatment.events;
    }
    assert.deepEqual(got, want);
    assert.ok(want.control > 20 && want.treatment > 20, JSON.stringify(want));
    await OpenFeature.clearProviders();
  });

  test('events for users outside every rollout are counted nowhere; nothing is counted from refused batches', async () => {
    const counts = async () => {
      const view = await (await w.fetch('/v1/guards', { headers: { 'X-API-Key': API_KEY } })).json();
      return view.guards.map((g) => [g.flag, g.stages.reduce((n, st) => n + st.control.events + st.treatment.events, 0)]);
    };
    const before = await counts();
    const outside = [{ targetingKey: 'pinned-on' }, { targetingKey: 'x', platform: 'android-old' }, {}, { targetingKey: 42.5 }];
    const r = await track(JSON.stringify({ events: outside.map((context) => ({ metric: 'match_error', context })) }));
    assert.equal(r.status, 202);
    assert.deepEqual(await r.json(), { received: 4, counted: 0 });
    // The refused batches above added nothing either.
    for (const [, send] of cases) await send();
    assert.deepEqual(await counts(), before);
    assert.equal((await w.fetch('/v1/guards')).status, 401);
    // The worker still answers.
    const ok = await w.fetch('/healthz');
    assert.equal(ok.status, 200);
  });
});

describe('a held rule rollout at the edge', () => {
  let w;
  let local;
  const EU = 3000;
  const eu = (i) => ({ targetingKey: `eu-${i}`, region: 'eu' });
  const LATER = '2026-12-12T12:00:00Z'; // the rule's second stage (40%)
  before(async () => {
    const v1 = build({ release, key, out: path.join(dir, 'l1.json'), version: 1, force: false, ...issued('11:00') });
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem, ALLOW_TIME_OVERRIDE: 'true', REFRESH_SECONDS: '1' }, snapshot: v1.text });
    // The same snapshot without halts, in Node: what the schedule alone gives later.
    local = EdgeFlags.fromSnapshot(v1.text, { trustedKeys: [key.pem], environment: 'production', now: AT });
  });
  after(() => w?.close());

  const lobby = async (ctx, at) => {
    const r = await w.fetch('/ofrep/v1/evaluate/flags/lobby', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Edgeflag-At': at }, body: JSON.stringify({ context: ctx }),
    });
    assert.equal(r.status, 200);
    return r.json();
  };

  test('a regression holds the rule rollout at its stage: no one the schedule adds later gets it', async () => {
    const first = [];
    for (let i = 0; i < EU; i++) first.push(await lobby(eu(i), AT));
    // Crashes: every 10th user inside the rollout, every 100th outside.
    const events = [];
    const seen = { grid: 0, classic: 0 };
    first.forEach((r, i) => {
      const n = ++seen[r.variant];
      if (n % (r.variant === 'grid' ? 10 : 100) === 0) events.push({ metric: 'lobby_crash', context: eu(i) });
    });
    const t = await w.fetch('/v1/track', { method: 'POST', headers: { 'X-Edgeflag-At': AT }, body: JSON.stringify({ events }) });
    assert.equal(t.status, 202);
    const { value: g } = await waitFor(async () => {
      const v = await (await w.fetch('/v1/guards')).json();
      return v.guards.find((x) => x.flag === 'lobby' && x.halt);
    }, 10_000, 'the lobby halt');
    assert.deepEqual([g.rule, g.on_regression, g.halt.stage], ['eu grid', 'hold', 0]);
    // Applied by the flush that found it: at the later stage, every EU user
    // gets what the first stage gave, the stage held at 0.
    let heldBack = 0;
    for (let i = 0; i < EU; i++) {
      const now = await lobby(eu(i), LATER);
      assert.equal(now.variant, first[i].variant, `eu-${i}`);
      if (now.variant === 'grid') assert.deepEqual([now.reason, now.metadata.stage, now.metadata.guard], ['SPLIT', 0, 'lobby_crash']);
      heldBack += local.evaluate('lobby', eu(i), LATER).variant === 'grid' && now.variant === 'classic';
    }
    assert.ok(heldBack > 600, `${heldBack} users the second stage would have added`);
  });
});

describe('a snapshot without guards', () => {
  let w;
  before(async () => {
    const s = build({ release: path.join(ROOT, 'examples/season0.toml'), key, out: path.join(dir, 's1.json'), version: 1, ...issued('11:00') });
    w = await startWorker({ vars: { TRUSTED_KEYS: key.pem }, snapshot: s.text });
  });
  after(() => w?.close());

  test('/v1/guards lists none, and /v1/track says no metric is watched', async () => {
    const r = await w.fetch('/v1/guards');
    assert.equal(r.status, 200);
    const view = await r.json();
    assert.deepEqual([view.environment, view.snapshot_version, view.guards], ['production', 1, []]);
    const t = await w.fetch('/v1/track', { method: 'POST', body: JSON.stringify({ events: [{ metric: 'match_error', context: {} }] }) });
    assert.equal(t.status, 422);
    assert.deepEqual(await t.json(), { errorCode: 'UNKNOWN_METRIC', errorDetails: 'events[0]: no guard watches the metric `match_error` (watched: none)', index: 0, metric: 'match_error' });
  });
});
