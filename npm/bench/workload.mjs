// The reference workload (docs/workload.md) through the npm package
// in Node: 200 flags, 10,000 contexts, every flag for every context with the
// detail call (value, variant, reason). The flags and contexts come from the
// same fixed seeds and SplitMix64 sequence as benches/common/workload.rs, so
// they are the flags the native bench evaluates (a test compares the two).
//
//   node bench/workload.mjs [--runs 5] [--json] [--web]     (in npm/, after build.sh)
//
// --web runs the size-tuned browser build (dist/edgeflag_web_bg.wasm) in Node
// instead of the Node build, to show what its size costs in speed.
//
// Prints the median of the runs after one warm-up run, in evaluations per
// second and ns per evaluation, and the median time to load (parse and verify)
// the signed 200-flag snapshot. Before timing, it checks the results: static
// and rule flags exactly, rollouts and splits within one point in aggregate.
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

import { EdgeFlags as NodeEdgeFlags } from "edgeflag";

export const COUNTRIES = [
  "US", "DE", "JP", "FR", "GB", "BR", "IN", "CA", "AU", "ES", "IT", "MX", "KR", "NL", "SE", "PL",
  "TR", "AR", "ZA", "NG",
];
const NEAR_MISSES = ["mail.test", "notexample.com", "example.com.au", "corp.test"];
const PLANS = ["free", "pro", "enterprise"];
const MASK = (1n << 64n) - 1n;

/** SplitMix64, exactly as benches/common/workload.rs. */
export class Rng {
  constructor(seed) {
    this.state = BigInt(seed);
  }
  next() {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  }
  below(n) {
    return Number(this.next() % BigInt(n));
  }
}

/** The 200 flags, as a release document (workload.rs `release()`). */
export function release() {
  const rng = new Rng(42);
  const flags = {};
  for (let i = 0; i < 50; i++) {
    flags[`simple-${i}`] = { type: "boolean", default: i % 2 === 0 ? "on" : "off" };
  }
  for (let i = 0; i < 50; i++) {
    flags[`rollout-${i}`] = { type: "boolean", rollout: { variant: "on", percent: 30 } };
  }
  for (let i = 0; i < 50; i++) {
    const countries = COUNTRIES.slice();
    const pick = [];
    for (let n = 0; n < 5; n++) pick.push(countries.splice(rng.below(countries.length), 1)[0]);
    flags[`rules-${i}`] = {
      type: "string",
      variants: { a: "a", b: "b", c: "c", off: "off" },
      default: "off",
      rules: [
        { match: [{ attr: "country", op: "in", values: pick }], serve: "a" },
        { match: [{ attr: "appVersion", op: "semver_gte", values: ["2.3.0"] }], serve: "b" },
        { match: [{ attr: "email", op: "ends_with", values: ["@example.com"] }], serve: "c" },
      ],
    };
  }
  for (let i = 0; i < 50; i++) {
    flags[`split-${i}`] = {
      type: "string",
      variants: { x: "x", y: "y", z: "z" },
      default: "x",
      rollout: { weights: { x: 34, y: 33, z: 33 }, percent: 100 },
    };
  }
  return { schema: 1, release: { name: "workload" }, flags };
}

/** The raw attributes of the 10,000 contexts (workload.rs `contexts()`). */
export function contexts() {
  const rng = new Rng(7);
  const out = [];
  for (let i = 0; i < 10_000; i++) {
    const email = i % 5 === 0 ? `user${i}@example.com` : `user${i}@${NEAR_MISSES[rng.below(4)]}`;
    const country = COUNTRIES[rng.below(20)];
    const version = `${1 + rng.below(3)}.${rng.below(10)}.${rng.below(10)}`;
    const plan = PLANS[rng.below(3)];
    out.push({ key: `user-${i}`, email, country, version, plan });
  }
  return out;
}

const PAYLOAD_TYPE = "application/vnd.edgeflag.snapshot+json";

/**
 * Signs definitions as the CLI's `build` does (a DSSE envelope, Ed25519), with
 * Node's crypto: an independent implementation of the envelope format.
 */
export function signSnapshot(definitions, { version = 1, issuedAt, expiresAt } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const spki = publicKey.export({ type: "spki", format: "der" });
  const payload = Buffer.from(
    JSON.stringify({
      schema: 1,
      version,
      issued_at: issuedAt ?? new Date().toISOString(),
      // No expiry means `--expires-in never --force`, recorded as such.
      ...(expiresAt ? { expires_at: expiresAt } : { never_expires: true }),
      definitions,
    }),
  );
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${PAYLOAD_TYPE.length} ${PAYLOAD_TYPE} ${payload.length} `),
    payload,
  ]);
  const envelope = JSON.stringify({
    payload: payload.toString("base64"),
    payloadType: PAYLOAD_TYPE,
    signatures: [
      {
        keyid: createHash("sha256").update(spki).digest("hex"),
        sig: sign(null, pae, privateKey).toString("base64"),
      },
    ],
  });
  return { envelope, publicKey: publicKey.export({ type: "spki", format: "pem" }) };
}

/** The workload's signed snapshot, as bytes, and the key to trust. */
export function snapshot() {
  const { release: info, flags } = release();
  const defs = { release: info, environment: "production", flags };
  const { envelope, publicKey } = signSnapshot(defs);
  return { bytes: new TextEncoder().encode(envelope), publicKey };
}

function semverAtLeast(v, [a, b, c]) {
  const [x, y, z] = v.split(".").map(Number);
  return x !== a ? x > a : y !== b ? y > b : z >= c;
}

/** Checks every result against an independent computation; throws on a miss. */
export function check(flags, raws, now) {
  const rules = release().flags;
  const on = { rollout: 0 };
  const split = { x: 0, y: 0, z: 0 };
  let total = 0;
  for (const r of raws) {
    const ctx = flags.context({
      targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan,
    });
    for (let i = 0; i < 50; i++) {
      const s = flags.evaluate(`simple-${i}`, ctx, now);
      const want = i % 2 === 0;
      if (s.value !== want || s.variant !== (want ? "on" : "off") || s.reason !== "STATIC") {
        throw new Error(`simple-${i} for ${r.key}: ${JSON.stringify(s)}`);
      }
      const k = `rules-${i}`;
      const pick = rules[k].rules[0].match[0].values;
      const variant = pick.includes(r.country) ? "a"
        : semverAtLeast(r.version, [2, 3, 0]) ? "b"
        : r.email.endsWith("@example.com") ? "c" : "off";
      const got = flags.evaluate(k, ctx, now);
      const reason = variant === "off" ? "DEFAULT" : "TARGETING_MATCH";
      if (got.value !== variant || got.variant !== variant || got.reason !== reason) {
        throw new Error(`${k} for ${r.key}: expected ${variant}/${reason}, got ${JSON.stringify(got)}`);
      }
      const ro = flags.evaluate(`rollout-${i}`, ctx, now);
      if (ro.reason !== "SPLIT" || ro.value !== (ro.variant === "on")) {
        throw new Error(`rollout-${i} for ${r.key}: ${JSON.stringify(ro)}`);
      }
      if (ro.value) on.rollout++;
      const sp = flags.evaluate(`split-${i}`, ctx, now);
      if (sp.reason !== "SPLIT" || sp.value !== sp.variant) {
        throw new Error(`split-${i} for ${r.key}: ${JSON.stringify(sp)}`);
      }
      split[sp.variant]++;
      total++;
    }
    ctx.free();
  }
  const pct = (n) => (100 * n) / total;
  const within = (got, want, what) => {
    if (Math.abs(got - want) > 1) throw new Error(`${what}: ${got.toFixed(2)}%, expected ${want}% ± 1`);
  };
  within(pct(on.rollout), 30, "rollouts");
  within(pct(split.x), 34, "split x");
  within(pct(split.y), 33, "split y");
  within(pct(split.z), 33, "split z");
  return { rollout: pct(on.rollout), x: pct(split.x), y: pct(split.y), z: pct(split.z) };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run: build each context once, evaluate all 200 flags with their detail. */
function run(flags, keys, raws, now) {
  let sink = 0;
  const start = performance.now();
  for (const r of raws) {
    const ctx = flags.context({
      targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan,
    });
    for (const key of keys) {
      const d = flags.evaluate(key, ctx, now);
      if (d.value === true || d.variant === "x" || d.reason === "SPLIT") sink++;
    }
    ctx.free();
  }
  const ms = performance.now() - start;
  if (sink === 0) throw new Error("nothing evaluated");
  return ms;
}

// The browser build, loaded by hand from npm/dist (it is not an export of its own).
async function webBuild() {
  const dist = new URL("../dist/", import.meta.url);
  const glue = await import(new URL("edgeflag_web.js", dist));
  glue.initSync({ module: readFileSync(new URL("edgeflag_web_bg.wasm", dist)) });
  return (await import(new URL("edgeflags_web.js", dist))).EdgeFlags;
}

async function main() {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf("--runs") + 1]) || 5;
  const web = args.includes("--web");
  const EdgeFlags = web ? await webBuild() : NodeEdgeFlags;
  const { bytes, publicKey } = snapshot();
  const options = { trustedKeys: [publicKey] };

  // Load: parse and verify the signed snapshot (freeing it is not part of
  // loading). The first load in a process also compiles the wasm functions it runs.
  const t0 = performance.now();
  EdgeFlags.fromSnapshot(bytes, options).free();
  const firstLoadMs = performance.now() - t0;
  const loads = [];
  for (let i = 0; i < 220; i++) {
    const t = performance.now();
    const f = EdgeFlags.fromSnapshot(bytes, options);
    loads.push(performance.now() - t);
    f.free();
  }
  const loadMs = median(loads.slice(20));

  const flags = EdgeFlags.fromSnapshot(bytes, options);
  const keys = flags.flagKeys();
  const raws = contexts();
  const shares = check(flags, raws, undefined);

  const evals = raws.length * keys.length;
  const timed = (now) => {
    run(flags, keys, raws, now); // warm-up
    const ms = [];
    for (let i = 0; i < runs; i++) ms.push(run(flags, keys, raws, now));
    const m = median(ms);
    return { runsMs: ms.map((x) => +x.toFixed(1)), medianMs: +m.toFixed(1), evalsPerSec: Math.round(evals / (m / 1000)), nsPerEval: +((m * 1e6) / evals).toFixed(1) };
  };
  const result = {
    build: web ? "browser (size-tuned)" : "node",
    node: process.version,
    snapshotBytes: bytes.length,
    loadMedianMs: +loadMs.toFixed(3),
    firstLoadMs: +firstLoadMs.toFixed(2),
    evaluations: evals,
    // The API's default: the current time read on every call.
    defaultNow: timed(undefined),
    // A request handler's time, read once (as the native bench passes one).
    fixedNow: timed(Date.now()),
    shares,
  };
  if (args.includes("--json")) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const row = (name, r) =>
    `${name}: ${(r.evalsPerSec / 1e6).toFixed(2)} M evals/s, ${r.nsPerEval} ns/eval, median ${r.medianMs} ms per run of ${evals} (runs ${r.runsMs.join(", ")})`;
  console.log(`node ${result.node}; ${result.build} build; snapshot ${result.snapshotBytes} bytes`);
  console.log(`load + verify 200 flags: ${result.loadMedianMs} ms (median of 200 after 20 warm-up; the first in the process ${result.firstLoadMs} ms)`);
  console.log(row("evaluate, default now", result.defaultNow));
  console.log(row("evaluate, now given  ", result.fixedNow));
  console.log(`checked: rollouts ${shares.rollout.toFixed(2)}% on, splits ${shares.x.toFixed(2)}/${shares.y.toFixed(2)}/${shares.z.toFixed(2)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
