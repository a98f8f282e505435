// edgeflag side by side with two peer engines, in one Node process, on the
// reference workload (docs/workload.md): 200 flags, 10,000 contexts, every flag
// for every context with the call that returns value and detail, each context
// built once per context as a request handler would build it.
//
//   node bench/peers.mjs [--runs 5] [--json]        (in npm/, after `bash build.sh`)
//
// Progress goes to stderr; the table (or --json) to stdout. A run of 5 takes
// minutes: the OpenFeature SDK rows cost tens of µs per evaluation.
//
// The peers get the same 200 flags, translated from workload.mjs `release()`
// into their own formats by peers/encode.mjs (so the country subsets are the
// same): a flagd flag configuration for @openfeature/flagd-core, an SDK
// payload for @growthbook/growthbook. Every path is checked on all 2,000,000
// evaluations before anything is timed (peers/check.mjs): static and rule
// flags exactly, rollouts and splits within one point in aggregate (each
// engine buckets users its own way).
//
// Paths are timed in rounds: each round runs every path once, in an order that
// rotates from round to round, so the machine's drift falls on all of them;
// the median of the runs after one warm-up round is reported, and for ratios
// the median of the rounds' ratios. Absolute figures on the shared machines
// swing about 2x from hour to hour, so only the ratios between paths of one
// run are claimed. Direct paths are compared with
// flagd-core's direct call; the OpenFeature SDK rows with "OpenFeature SDK +
// flagd-core" (the SDK's own cost per call is the same for both and would hide
// the engines' difference in a ratio against a direct call). Two rows beyond
// the engines' own calls: "flagd-core provider", the like-for-like peer of
// "edgeflag provider" (one awaited promise per call), and "growthbook,
// bundled" (see growthbookBundle).
//
// edgeflag's direct calls get a `now` read once per run, as a request handler
// would read it; the peers have no clock argument (flagd-core reads the clock
// in every targeting evaluation), nor does an OpenFeature provider.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { GrowthBookClient } from "@growthbook/growthbook";
import { FlagdCore } from "@openfeature/flagd-core";
import { OpenFeature } from "@openfeature/server-sdk";
import { EdgeFlags } from "edgeflag";
import { EdgeFlagsServerProvider } from "edgeflag/openfeature";

import { check } from "./peers/check.mjs";
import { flagdConfiguration, growthbookPayload } from "./peers/encode.mjs";
import { contexts, release, snapshot } from "./workload.mjs";

const require = createRequire(import.meta.url);

// --- Engines ----------------------------------------------------------------

/** A minimal in-memory OpenFeature server provider over FlagdCore (as flagd's in-process provider resolves). */
class FlagdCoreProvider {
  metadata = { name: "flagd-core in memory" };
  runsOn = "server";
  hooks = [];
  constructor(core) {
    this.core = core;
  }
  async resolveBooleanEvaluation(key, def, ctx, logger) {
    return this.core.resolveBooleanEvaluation(key, def, ctx, logger);
  }
  async resolveStringEvaluation(key, def, ctx, logger) {
    return this.core.resolveStringEvaluation(key, def, ctx, logger);
  }
  async resolveNumberEvaluation(key, def, ctx, logger) {
    return this.core.resolveNumberEvaluation(key, def, ctx, logger);
  }
  async resolveObjectEvaluation(key, def, ctx, logger) {
    return this.core.resolveObjectEvaluation(key, def, ctx, logger);
  }
}

// What `import "@growthbook/growthbook"` resolves to in Node is the unbundled
// build, which tests `process.env.NODE_ENV` before each of its ~35 debug log
// calls, and each read of process.env is a call into Node (hundreds of ns in
// a loop of its own here). The package's ESM bundle, same version, has those
// log calls compiled out, as a bundler with NODE_ENV=production would: timed
// too, to tell that cost from the engine's.
async function growthbookBundle() {
  const root = dirname(require.resolve("@growthbook/growthbook/package.json"));
  return (await import(pathToFileURL(join(root, "dist/bundles/esm.js")).href)).GrowthBookClient;
}

// Some packages do not export their package.json: read it from the nearest node_modules.
function version(pkg) {
  for (let d = fileURLToPath(new URL(".", import.meta.url)); ; d = dirname(d)) {
    try {
      return JSON.parse(readFileSync(join(d, "node_modules", pkg, "package.json"), "utf8")).version;
    } catch {}
    if (dirname(d) === d) return "?";
  }
}

// Which build of edgeflag ran: dist/ is rebuilt by build.sh, so name it.
function edgeflagBuild() {
  const wasm = require.resolve("edgeflag/edgeflag_wasm_bg.wasm");
  const sha256 = createHash("sha256").update(readFileSync(wasm)).digest("hex");
  return { wasmSha256: sha256.slice(0, 16), builtAt: statSync(wasm).mtime.toISOString() };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// --- The paths --------------------------------------------------------------

// Each path has its own hand-written loop: one loop shared by all through
// callbacks would turn every call site polymorphic and time the harness. The
// loops sum something from each result so none can be skipped; `open`, `bool`,
// `str`, `close` and `norm` serve the check only.
const attrs = (r) => ({ targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan });
const gbUser = (r) => ({ attributes: { id: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan } });
const asIs = (d) => d;
const gbNorm = (d) => ({ value: d.value, variant: d.experimentResult?.key, reason: d.source });
const done = (t, sink) => {
  const ms = performance.now() - t;
  if (sink === 0) throw new Error("nothing evaluated");
  return ms;
};

// Each path's `run` writes its timed loop out rather than calling its `bool`
// and `str` closures (which the result check uses): one shared loop would put
// every engine behind the same polymorphic call site, and V8 would time that
// call, not the engines.
function paths({ flagd, gb, gbBundled, flags, provider, flagdProvider, sdkEdgeflag, sdkFlagd, BOOL, STR }) {
  const growthbook = (name, client) => ({
    name, engine: "growthbook", base: "flagd-core",
    open: (r) => client.createScopedInstance(gbUser(r)),
    bool: (u, k) => u.evalFeature(k),
    str: (u, k) => u.evalFeature(k),
    norm: gbNorm,
  });
  return [
    {
      name: "flagd-core", engine: "flagd", base: "flagd-core",
      open: attrs,
      bool: (c, k) => flagd.resolveBooleanEvaluation(k, false, c),
      str: (c, k) => flagd.resolveStringEvaluation(k, "", c),
      norm: asIs,
      run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
          for (const k of BOOL) if (flagd.resolveBooleanEvaluation(k, false, c).value === true) sink++;
          for (const k of STR) if (flagd.resolveStringEvaluation(k, "", c).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      // The singleton GrowthBookClient with a user-scoped instance per request (1.x's server mode).
      ...growthbook("growthbook", gb),
      run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const u = gb.createScopedInstance({ attributes: { id: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan } });
          for (const k of BOOL) if (u.evalFeature(k).value === true) sink++;
          for (const k of STR) if (u.evalFeature(k).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      ...growthbook("growthbook, bundled", gbBundled),
      run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const u = gbBundled.createScopedInstance({ attributes: { id: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan } });
          for (const k of BOOL) if (u.evalFeature(k).value === true) sink++;
          for (const k of STR) if (u.evalFeature(k).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      name: "edgeflag handle", engine: "edgeflag", base: "flagd-core",
      open: (r) => flags.context(attrs(r)),
      bool: (c, k, now) => flags.booleanDetails(k, c, false, now),
      str: (c, k, now) => flags.stringDetails(k, c, "", now),
      close: (c) => c.free(),
      norm: asIs,
      run(raws, now) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = flags.context({ targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan });
          for (const k of BOOL) if (flags.booleanDetails(k, c, false, now).value === true) sink++;
          for (const k of STR) if (flags.stringDetails(k, c, "", now).value === "x") sink++;
          c.free();
        }
        return done(t, sink);
      },
    },
    {
      name: "edgeflag plain", engine: "edgeflag", base: "flagd-core",
      open: attrs,
      bool: (c, k, now) => flags.booleanDetails(k, c, false, now),
      str: (c, k, now) => flags.stringDetails(k, c, "", now),
      norm: asIs,
      run(raws, now) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
          for (const k of BOOL) if (flags.booleanDetails(k, c, false, now).value === true) sink++;
          for (const k of STR) if (flags.stringDetails(k, c, "", now).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      // The provider's resolve* awaited one by one, as the SDK awaits them.
      // It has no `now` argument: it reads the clock per call (so does flagd-core, for $flagd.timestamp).
      name: "edgeflag provider", engine: "edgeflag", base: "flagd-core",
      open: attrs,
      bool: (c, k) => provider.resolveBooleanEvaluation(k, false, c),
      str: (c, k) => provider.resolveStringEvaluation(k, "", c),
      norm: asIs,
      async run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
          for (const k of BOOL) if ((await provider.resolveBooleanEvaluation(k, false, c)).value === true) sink++;
          for (const k of STR) if ((await provider.resolveStringEvaluation(k, "", c)).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      // Not a row of its own in the brief's list: the like-for-like peer of
      // "edgeflag provider" (the same promise per call around flagd-core).
      name: "flagd-core provider", engine: "flagd", base: "flagd-core",
      open: attrs,
      bool: (c, k) => flagdProvider.resolveBooleanEvaluation(k, false, c),
      str: (c, k) => flagdProvider.resolveStringEvaluation(k, "", c),
      norm: asIs,
      async run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
          for (const k of BOOL) if ((await flagdProvider.resolveBooleanEvaluation(k, false, c)).value === true) sink++;
          for (const k of STR) if ((await flagdProvider.resolveStringEvaluation(k, "", c)).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      name: "OpenFeature SDK + flagd-core", engine: "flagd", base: "OpenFeature SDK + flagd-core",
      open: attrs,
      bool: (c, k) => sdkFlagd.getBooleanDetails(k, false, c),
      str: (c, k) => sdkFlagd.getStringDetails(k, "", c),
      norm: asIs,
      async run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
          for (const k of BOOL) if ((await sdkFlagd.getBooleanDetails(k, false, c)).value === true) sink++;
          for (const k of STR) if ((await sdkFlagd.getStringDetails(k, "", c)).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
    {
      // The SDK merges the invocation context into a new object on every
      // call, so a provider only ever sees plain objects: no handle here.
      name: "OpenFeature SDK + edgeflag", engine: "edgeflag", base: "OpenFeature SDK + flagd-core",
      open: attrs,
      bool: (c, k) => sdkEdgeflag.getBooleanDetails(k, false, c),
      str: (c, k) => sdkEdgeflag.getStringDetails(k, "", c),
      norm: asIs,
      async run(raws) {
        let sink = 0;
        const t = performance.now();
        for (const r of raws) {
          const c = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
          for (const k of BOOL) if ((await sdkEdgeflag.getBooleanDetails(k, false, c)).value === true) sink++;
          for (const k of STR) if ((await sdkEdgeflag.getStringDetails(k, "", c)).value === "x") sink++;
        }
        return done(t, sink);
      },
    },
  ];
}

// --- Loading ----------------------------------------------------------------

/** The first load in the process (it compiles what it runs) and the median of `n` after `warm` more. */
function loads(load, dispose, n = 25, warm = 5) {
  const times = [];
  for (let i = 0; i < 1 + warm + n; i++) {
    const t = performance.now();
    const x = load();
    times.push(performance.now() - t);
    dispose?.(x);
  }
  return { medianMs: +median(times.slice(1 + warm)).toFixed(3), firstMs: +times[0].toFixed(2) };
}

// A full collection before each timed run, when V8 lets us ask for one: the
// promise-heavy paths leave garbage that would otherwise be collected on the
// next path's time.
function collector() {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc");
  } catch {
    return undefined;
  }
}

async function main() {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf("--runs") + 1]) || 5;
  const json = args.includes("--json");
  const log = (s) => process.stderr.write(`${s}\n`);
  // Read now: the wasm was loaded at import, and build.sh may replace it meanwhile.
  const build = edgeflagBuild();

  const rel = release();
  const { bytes, publicKey } = snapshot();
  const flagdText = flagdConfiguration(rel);
  const gbText = growthbookPayload(rel);
  const snapshotOptions = { trustedKeys: [publicKey], environment: "production" };

  // Loads first, so each engine's first load in the process is its cold one.
  // Each parses text (or bytes) into a ready engine: GrowthBook's initSync
  // takes an object, so its JSON.parse is counted; it compiles its conditions
  // lazily, flagd-core compiles JsonLogic (new Function) and hashes each flag
  // eagerly, edgeflag verifies the Ed25519 signature first.
  log("loading the 200 definitions ...");
  const load = {
    edgeflag: { what: "EdgeFlags.fromSnapshot (parse + verify)", bytes: bytes.length, ...loads(() => EdgeFlags.fromSnapshot(bytes, snapshotOptions), (f) => f.free()) },
    flagd: { what: "FlagdCore setConfigurations", bytes: flagdText.length, ...loads(() => new FlagdCore().setConfigurations(flagdText)) },
    growthbook: { what: "GrowthBookClient initSync (+ JSON.parse)", bytes: gbText.length, ...loads(() => new GrowthBookClient().initSync({ payload: JSON.parse(gbText) }), (c) => c.destroy()) },
  };

  // flagd-core reports a configuration that fails its schema at debug level
  // and a targeting rule it cannot compile as a warning, and carries on (its
  // logger wrapper swallows throws): what it says while loading is collected.
  const complaints = [];
  const note = (...a) => complaints.push(a.map(String).join(" "));
  new FlagdCore(undefined, { error: note, warn: note, info() {}, debug: note }).setConfigurations(flagdText);
  if (complaints.length) throw new Error(`flagd-core on the translated flags: ${complaints.join("; ")}`);
  const flagd = new FlagdCore();
  flagd.setConfigurations(flagdText);
  const gb = new GrowthBookClient().initSync({ payload: JSON.parse(gbText) });
  const gbBundled = new (await growthbookBundle())().initSync({ payload: JSON.parse(gbText) });
  const flags = EdgeFlags.fromSnapshot(bytes, snapshotOptions);
  const provider = new EdgeFlagsServerProvider({ snapshot: bytes, trustedKeys: [publicKey], environment: "production" });
  const flagdProvider = new FlagdCoreProvider(flagd);
  // One SDK, a domain per provider: both in one process.
  await OpenFeature.setProviderAndWait("edgeflag", provider);
  await OpenFeature.setProviderAndWait("flagd-core", flagdProvider);
  const sdkEdgeflag = OpenFeature.getClient("edgeflag");
  const sdkFlagd = OpenFeature.getClient("flagd-core");

  const types = Object.entries(rel.flags);
  const BOOL = types.filter(([, f]) => f.type === "boolean").map(([k]) => k);
  const STR = types.filter(([, f]) => f.type === "string").map(([k]) => k);
  if (BOOL.length + STR.length !== 200) throw new Error("the workload has other flag types than boolean and string");
  const all = paths({ flagd, gb, gbBundled, flags, provider, flagdProvider, sdkEdgeflag, sdkFlagd, BOOL, STR });
  const raws = contexts();
  const evals = raws.length * 200;

  const shares = {};
  for (const p of all) {
    log(`checking ${p.name} ...`);
    shares[p.name] = await check(p, raws, Date.now());
  }

  const gc = collector();
  const timeOnce = async (p) => {
    gc?.();
    // A request handler's time, read once per run, for edgeflag's direct calls.
    return p.run(raws, Date.now());
  };
  log("warm-up round ...");
  for (const p of all) await timeOnce(p);
  const times = new Map(all.map((p) => [p.name, []]));
  for (let round = 0; round < runs; round++) {
    log(`round ${round + 1} of ${runs} ...`);
    // Rotated so that no path always runs right after the same other path.
    for (let j = 0; j < all.length; j++) {
      const p = all[(round + j) % all.length];
      times.get(p.name).push(await timeOnce(p));
    }
  }
  await OpenFeature.close();

  const medians = new Map(all.map((p) => [p.name, median(times.get(p.name))]));
  const rows = all.map((p) => {
    const ms = medians.get(p.name);
    return {
      path: p.name,
      evalsPerSec: Math.round(evals / (ms / 1000)),
      nsPerEval: +((ms * 1e6) / evals).toFixed(1),
      // Speed relative to the baseline, above 1 faster: the median of the
      // rounds' ratios, since paths of one round share the machine's state
      // (the load on these machines drifts more than a round lasts).
      ratio: +median(times.get(p.base).map((b, round) => b / times.get(p.name)[round])).toFixed(2),
      vs: p.base,
      medianMs: +ms.toFixed(1),
      runsMs: times.get(p.name).map((x) => +x.toFixed(1)),
      // Half the range of the runs, against the median: what a ratio is worth.
      spreadPct: +((100 * (Math.max(...times.get(p.name)) - Math.min(...times.get(p.name)))) / (2 * ms)).toFixed(1),
    };
  });
  const result = {
    node: process.version,
    versions: Object.fromEntries(
      ["@openfeature/flagd-core", "json-logic-engine", "@growthbook/growthbook", "@openfeature/server-sdk", "@openfeature/core"].map((p) => [p, version(p)]),
    ),
    edgeflag: build,
    evaluations: evals,
    runs,
    forcedGc: gc !== undefined,
    rows,
    load,
    shares,
  };
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const v = result.versions;
  console.log(`node ${result.node}; ${evals.toLocaleString("en")} evaluations per run (${raws.length.toLocaleString("en")} contexts x 200 flags); median of ${runs} interleaved runs after a warm-up${gc ? ", a full GC before each" : ""}`);
  console.log(`edgeflag dist: wasm sha256 ${build.wasmSha256}..., built ${build.builtAt}`);
  console.log(`peers: @openfeature/flagd-core ${v["@openfeature/flagd-core"]} (json-logic-engine ${v["json-logic-engine"]}), @growthbook/growthbook ${v["@growthbook/growthbook"]}, @openfeature/server-sdk ${v["@openfeature/server-sdk"]} (@openfeature/core ${v["@openfeature/core"]})`);
  console.log("");
  const w = Math.max(...rows.map((r) => r.path.length));
  console.log(`${"path".padEnd(w)}  ${"M evals/s".padStart(9)}  ${"ns/eval".padStart(8)}  ${"spread".padStart(6)}  ratio`);
  for (const r of rows) {
    const against = r.path === r.vs ? "(baseline)" : `vs ${r.vs}`;
    const spread = `±${r.spreadPct.toFixed(0)}%`;
    console.log(`${r.path.padEnd(w)}  ${(r.evalsPerSec / 1e6).toFixed(2).padStart(9)}  ${r.nsPerEval.toFixed(1).padStart(8)}  ${spread.padStart(6)}  ${r.ratio.toFixed(2)}x ${against}`);
  }
  console.log("(spread: half the range of the runs, relative to their median; ratio: the median of the rounds' speed ratios)");
  console.log("");
  console.log("load 200 definitions (median of 25 after 5 warm-up; the first in the process):");
  for (const l of Object.values(load)) {
    console.log(`  ${l.what.padEnd(42)} ${l.medianMs.toFixed(3).padStart(8)} ms  (first ${l.firstMs} ms; ${l.bytes.toLocaleString("en")} bytes)`);
  }
  console.log("");
  console.log("checked every path on all evaluations; rollouts % on, splits x/y/z %:");
  for (const [name, s] of Object.entries(shares)) console.log(`  ${name.padEnd(w)}  ${s.rollout.toFixed(2)}   ${s.x.toFixed(2)}/${s.y.toFixed(2)}/${s.z.toFixed(2)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
