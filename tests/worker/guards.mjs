// The guarded-rollout load script (docs/guards.md): drives the guarded
// fixture release (tests/guards/release.toml) against a running worker.
// Each user is evaluated once through bulk OFREP (the exposures), and the
// app's error events are tracked through `POST /v1/track` at a rate that
// depends on the variant the user was served: for `new-matcher`, 1% of the
// users outside its rollout and `--treatment-rate` of those inside; for
// `dark-mode`, 1% in both arms. Bounded: `--users` evaluations and at most
// as many events, in batches. guards.test.mjs runs it under `wrangler dev`;
// standalone against a running worker:
//
//   node tests/worker/guards.mjs --base http://127.0.0.1:8787 [--users 6000] [--treatment-rate 0.03]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** The evaluation time of every request (`X-Edgeflag-At`): stage 0 of every rollout. */
export const AT = '2026-12-07T12:00:00Z';

/** SplitMix64 over BigInt, uniform in [0, 1): seeded, so runs repeat. */
function rng(seed) {
  let s = BigInt(seed);
  const M = (1n << 64n) - 1n;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & M;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53;
  };
}

/** The arm a served result puts the user in, as the app sees it. */
export function arm(result) {
  if (result?.reason !== 'SPLIT') return undefined;
  return result.variant === 'off' ? 'control' : 'treatment';
}

export function user(i) {
  return { targetingKey: `user-${i}` };
}

/**
 * Runs the load. Returns each user's bulk answer (by flag key) and the
 * counts of what was sent.
 */
export async function drive({ base, apiKey, users = 6000, treatmentRate = 0.03, controlRate = 0.01, seed = 15, concurrency = 16, batch = 500 }) {
  const headers = { 'Content-Type': 'application/json', 'X-Edgeflag-At': AT };
  if (apiKey) headers['X-API-Key'] = apiKey;
  const random = rng(seed);
  const served = new Array(users);
  const sent = { evaluations: 0, events: 0, batches: 0, byArm: {} };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= users) return;
      const r = await fetch(`${base}/ofrep/v1/evaluate/flags`, { method: 'POST', headers, body: JSON.stringify({ context: user(i) }) });
      if (r.status !== 200) throw new Error(`bulk OFREP answered ${r.status}: ${await r.text()}`);
      served[i] = Object.fromEntries((await r.json()).flags.map((f) => [f.key, f]));
      sent.evaluations++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // The events, in user order so that the seeded draws repeat.
  const events = [];
  for (let i = 0; i < users; i++) {
    const watched = [['new-matcher', 'match_error', treatmentRate], ['dark-mode', 'ui_error', controlRate]];
    for (const [flag, metric, rate] of watched) {
      const side = arm(served[i][flag]);
      const draw = random();
      if (side === undefined) continue;
      const p = side === 'treatment' ? rate : controlRate;
      if (draw < p) {
        events.push({ metric, context: user(i) });
        const k = `${flag}/${side}`;
        sent.byArm[k] = (sent.byArm[k] ?? 0) + 1;
      }
    }
  }
  for (let at = 0; at < events.length; at += batch) {
    const r = await fetch(`${base}/v1/track`, { method: 'POST', headers, body: JSON.stringify({ events: events.slice(at, at + batch) }) });
    if (r.status !== 202) throw new Error(`/v1/track answered ${r.status}: ${await r.text()}`);
    sent.events += (await r.json()).received;
    sent.batches++;
  }
  return { served, sent };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: o } = parseArgs({
    options: {
      base: { type: 'string', default: 'http://127.0.0.1:8787' },
      'api-key': { type: 'string' },
      users: { type: 'string', default: '6000' },
      'treatment-rate': { type: 'string', default: '0.03' },
    },
  });
  const { sent } = await drive({ base: o.base, apiKey: o['api-key'], users: Number(o.users), treatmentRate: Number(o['treatment-rate']) });
  console.log(JSON.stringify(sent));
}
