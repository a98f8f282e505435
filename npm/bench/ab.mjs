// Before and after, in one Node process: the reference workload through two
// builds of the package (each directory's dist/node.js, as npm/build.sh left
// it), in interleaved rounds, reporting the median of the paired new/old time
// ratios. Absolute figures on shared machines swing 2x; paired ratios do not.
//   git worktree add /tmp/before <commit> && (cd /tmp/before && bash npm/build.sh)
//   node npm/bench/ab.mjs /tmp/before/npm npm        (ROUNDS=15 for more)
import path from "node:path";
import { pathToFileURL } from "node:url";
import { contexts, snapshot } from "./workload.mjs";
const [oldDir, newDir] = process.argv.slice(2).map((d) => path.resolve(d));
if (!oldDir || !newDir) throw new Error("usage: node npm/bench/ab.mjs OLD_NPM_DIR NEW_NPM_DIR");
const build = (dir) => pathToFileURL(path.join(dir, "dist/node.js")).href;
const A = (await import(build(oldDir))).EdgeFlags;
const B = (await import(build(newDir))).EdgeFlags;
const { bytes, publicKey } = snapshot();
const raws = contexts();
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function load(E) {
  const t = performance.now();
  for (let i = 0; i < 50; i++) E.fromSnapshot(bytes, { trustedKeys: [publicKey] }).free();
  return (performance.now() - t) / 50;
}
function run(flags, now) {
  const keys = flags.flagKeys();
  let sink = 0;
  const t = performance.now();
  for (const r of raws) {
    const ctx = flags.context({ targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan });
    for (const key of keys) {
      const d = flags.evaluate(key, ctx, now);
      if (d.value === true || d.variant === "x" || d.reason === "SPLIT") sink++;
    }
    ctx.free();
  }
  if (!sink) throw new Error("nothing");
  return performance.now() - t;
}
const fa = A.fromSnapshot(bytes, { trustedKeys: [publicKey] });
const fb = B.fromSnapshot(bytes, { trustedKeys: [publicKey] });
const now = Date.now();
const few = raws.slice(0, 500);
function runPlain(flags) {
  const keys = flags.flagKeys();
  let sink = 0;
  const t = performance.now();
  for (const r of few) {
    const attrs = { targetingKey: r.key, email: r.email, country: r.country, appVersion: r.version, plan: r.plan };
    for (const key of keys) if (flags.evaluate(key, attrs, now).reason === "SPLIT") sink++;
  }
  if (!sink) throw new Error("nothing");
  return performance.now() - t;
}
const cases = {
  load: [() => load(A), () => load(B), 1],
  "handle, default now": [() => run(fa, undefined), () => run(fb, undefined), 2_000_000],
  "handle, now given": [() => run(fa, now), () => run(fb, now), 2_000_000],
  "plain object, now given": [() => runPlain(fa), () => runPlain(fb), few.length * 200],
};
for (const [, [a, b]] of Object.entries(cases)) { a(); b(); }
const rounds = Number(process.env.ROUNDS ?? 11);
for (const [name, [a, b, n]] of Object.entries(cases)) {
  const ratios = [], olds = [], news = [];
  for (let r = 0; r < rounds; r++) {
    let o, w;
    if (r % 2) { o = a(); w = b(); } else { w = b(); o = a(); }
    olds.push(o); news.push(w); ratios.push(w / o);
  }
  const fmt = (ms) => n === 1 ? `${ms.toFixed(3)} ms` : `${(ms * 1e6 / n).toFixed(1)} ns/eval`;
  console.log(`${name}: ${fmt(median(olds))} -> ${fmt(median(news))}; new/old time, median of ${rounds} paired rounds: ${median(ratios).toFixed(3)}`);
}
