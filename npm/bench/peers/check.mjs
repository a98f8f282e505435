// Checks one benchmark path on every flag for every context against an
// independent computation of the workload (docs/workload.md): static and rule
// flags exactly, rollouts and splits within one point in aggregate (engines
// bucket users differently, so only the shares compare).
import { release } from "../workload.mjs";

// How each engine names what happened: OpenFeature reasons for edgeflag and
// flagd (flagd calls a fractional bucket a TARGETING_MATCH), result sources for GrowthBook.
const VOCABULARY = {
  edgeflag: { variants: true, static: "STATIC", match: "TARGETING_MATCH", fallthrough: "DEFAULT", on: "SPLIT", off: "SPLIT", split: "SPLIT" },
  flagd: { variants: true, static: "STATIC", match: "TARGETING_MATCH", fallthrough: "DEFAULT", on: "TARGETING_MATCH", off: "TARGETING_MATCH", split: "TARGETING_MATCH" },
  growthbook: { variants: false, static: "defaultValue", match: "force", fallthrough: "defaultValue", on: "force", off: "defaultValue", split: "experiment" },
};

const semverAtLeast = (v, [a, b, c]) => {
  const [x, y, z] = v.split(".").map(Number);
  return x !== a ? x > a : y !== b ? y > b : z >= c;
};

/** Every flag for every context through one path, against an independent computation; throws on a miss. */
export async function check(path, raws, now) {
  const flags = release().flags;
  const v = VOCABULARY[path.engine];
  const on = { n: 0 };
  const split = { x: 0, y: 0, z: 0 };
  let total = 0;
  const miss = (key, r, got, want) => {
    throw new Error(`${path.name}: ${key} for ${r.key}: expected ${want}, got ${JSON.stringify(got)}`);
  };
  for (const r of raws) {
    const ctx = path.open(r);
    for (let i = 0; i < 50; i++) {
      let k = `simple-${i}`;
      const want = i % 2 === 0;
      let d = path.norm(await path.bool(ctx, k, now));
      if (d.value !== want || d.reason !== v.static || (v.variants && d.variant !== (want ? "on" : "off"))) {
        miss(k, r, d, `${want}/${v.static}`);
      }
      k = `rules-${i}`;
      const variant = flags[k].rules[0].match[0].values.includes(r.country) ? "a"
        : semverAtLeast(r.version, [2, 3, 0]) ? "b"
        : r.email.endsWith("@example.com") ? "c" : "off";
      const reason = variant === "off" ? v.fallthrough : v.match;
      d = path.norm(await path.str(ctx, k, now));
      if (d.value !== variant || d.reason !== reason || (v.variants && d.variant !== variant)) {
        miss(k, r, d, `${variant}/${reason}`);
      }
      k = `rollout-${i}`;
      d = path.norm(await path.bool(ctx, k, now));
      if (typeof d.value !== "boolean" || d.reason !== (d.value ? v.on : v.off)
        || (v.variants && d.variant !== (d.value ? "on" : "off"))) miss(k, r, d, "on/off");
      if (d.value) on.n++;
      k = `split-${i}`;
      d = path.norm(await path.str(ctx, k, now));
      if (!(d.value in split) || d.reason !== v.split || d.variant !== d.value) miss(k, r, d, "x/y/z");
      split[d.value]++;
      total++;
    }
    path.close?.(ctx);
  }
  const pct = (n) => (100 * n) / total;
  const within = (got, want, what) => {
    if (Math.abs(got - want) > 1) throw new Error(`${path.name}: ${what} ${got.toFixed(2)}%, expected ${want}% ± 1`);
  };
  within(pct(on.n), 30, "rollouts on");
  within(pct(split.x), 34, "split x");
  within(pct(split.y), 33, "split y");
  within(pct(split.z), 33, "split z");
  return { rollout: +pct(on.n).toFixed(2), x: +pct(split.x).toFixed(2), y: +pct(split.y).toFixed(2), z: +pct(split.z).toFixed(2) };
}
