// The reference workload's flags (workload.mjs `release()`) in the peers'
// formats: a flagd flag configuration for @openfeature/flagd-core and an SDK
// payload for @growthbook/growthbook. Translated, not written out, so the
// peers get the same country subsets, percentages and order of rules. Only
// what the workload uses is translated: anything else throws.

// A boolean flag without variants has edgeflag's implicit ones.
const variantsOf = (f) => f.variants ?? { on: true, off: false };
const defaultOf = (f) => f.default ?? "off";
const unsupported = (what) => {
  throw new Error(`peers.mjs does not translate ${what}; extend the encoders`);
};
const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** flagd's JsonLogic for one condition. */
function flagdCondition({ attr, op, values, negate }) {
  const v = { var: attr };
  let logic;
  if (op === "in") logic = { in: [v, values] };
  else if (op === "semver_gte") logic = { sem_ver: [v, ">=", values[0]] };
  else if (op === "ends_with") {
    const each = values.map((s) => ({ ends_with: [v, s] }));
    logic = each.length === 1 ? each[0] : { or: each };
  } else unsupported(`the operator ${op}`);
  return negate ? { "!": logic } : logic;
}

/** flagd `fractional` buckets for a rollout, bucketed by flagKey + targetingKey (flagd's default). */
function flagdBuckets({ by, variant, weights, percent = 100 }, def) {
  if (by !== undefined && by !== "targetingKey") unsupported(`rollouts by ${by}`);
  const entries = weights ? Object.entries(weights) : [[variant, 1]];
  if (percent === 100) return entries;
  // flagd weights are integers: each share times the percentage, and the
  // rest of the total to the default variant.
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const buckets = entries.map(([v, w]) => [v, w * percent]);
  buckets.push([def, total * (100 - percent)]);
  return buckets.filter(([, w]) => w > 0);
}

/** The release as a flagd flag configuration (a JSON string, as setConfigurations takes it). */
export function flagdConfiguration(rel) {
  const flags = {};
  for (const [key, f] of Object.entries(rel.flags)) {
    if (f.targets || f.prerequisites || f.rollbacks || f.rollout?.stages || f.enabled === false) {
      unsupported(`${key}'s features`);
    }
    const def = defaultOf(f);
    const flag = { state: "ENABLED", variants: variantsOf(f), defaultVariant: def };
    // Rules in order, then the rollout, else null: flagd then serves the
    // default variant with reason DEFAULT, as edgeflag does.
    const fallback = f.rollout ? { fractional: flagdBuckets(f.rollout, def) } : null;
    if (f.rules?.length) {
      const branches = f.rules.flatMap((r) => {
        if (r.segment) unsupported("segments");
        const conds = r.match.map(flagdCondition);
        return [conds.length === 1 ? conds[0] : { and: conds }, r.serve];
      });
      flag.targeting = { if: [...branches, fallback] };
    } else if (fallback) flag.targeting = fallback;
    flags[key] = flag;
  }
  return JSON.stringify({ $schema: "https://flagd.dev/schema/v0/flags.json", flags });
}

/** A GrowthBook condition for one edgeflag condition (`targetingKey` is GrowthBook's `id`). */
function growthbookCondition({ attr, op, values, negate }) {
  const a = attr === "targetingKey" ? "id" : attr;
  let c;
  if (op === "in") c = { [a]: { $in: values } };
  else if (op === "semver_gte") c = { [a]: { $vgte: values[0] } };
  // GrowthBook has no ends-with operator: an anchored regex is the idiom.
  else if (op === "ends_with") {
    const alternatives = values.map(escapeRegex);
    c = { [a]: { $regex: alternatives.length === 1 ? `${alternatives[0]}$` : `(?:${alternatives.join("|")})$` } };
  } else unsupported(`the operator ${op}`);
  return negate ? { $not: c } : c;
}

/** A rollout as a GrowthBook rule: a force rule with coverage, or an experiment for weights. */
function growthbookRollout(key, { by, variant, weights, percent = 100 }, variants) {
  if (by !== undefined && by !== "targetingKey") unsupported(`rollouts by ${by}`);
  const common = { id: `${key}-rollout`, seed: key, hashAttribute: "id", hashVersion: 2, coverage: percent / 100 };
  if (!weights) return { ...common, force: variants[variant] };
  const names = Object.keys(weights);
  const total = names.reduce((s, v) => s + weights[v], 0);
  return {
    ...common,
    key,
    variations: names.map((v) => variants[v]),
    weights: names.map((v) => weights[v] / total),
    // The variation keys come back as experimentResult.key: the variant.
    meta: names.map((v) => ({ key: v })),
  };
}

/** The release as a GrowthBook SDK payload (a JSON string, as the SDK's API serves it). */
export function growthbookPayload(rel) {
  const features = {};
  for (const [key, f] of Object.entries(rel.flags)) {
    if (f.targets || f.prerequisites || f.rollbacks || f.rollout?.stages || f.enabled === false) {
      unsupported(`${key}'s features`);
    }
    const variants = variantsOf(f);
    const rules = (f.rules ?? []).map((r, i) => {
      if (r.segment) unsupported("segments");
      const conds = r.match.map(growthbookCondition);
      return { id: `${key}-rule-${i}`, condition: conds.length === 1 ? conds[0] : { $and: conds }, force: variants[r.serve] };
    });
    if (f.rollout) rules.push(growthbookRollout(key, f.rollout, variants));
    features[key] = { defaultValue: variants[defaultOf(f)], ...(rules.length ? { rules } : {}) };
  }
  return JSON.stringify({ features });
}
