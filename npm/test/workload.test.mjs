// The benchmark's workload is the reference one: its JS generator builds the
// flags and contexts benches/common/workload.rs builds, and its result check
// passes through the installed package.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "node:test";

import { EdgeFlags } from "edgeflag";

import { check, contexts, release, snapshot } from "../bench/workload.mjs";
import { FIXTURES } from "../support/fixtures.mjs";

test("the JS workload generator builds the Rust one's flags and contexts", () => {
  const rust = JSON.parse(readFileSync(join(FIXTURES, "workload-release.json"), "utf8"));
  assert.deepStrictEqual(release(), rust);
  const rustContexts = JSON.parse(readFileSync(join(FIXTURES, "workload-contexts.json"), "utf8"));
  assert.deepStrictEqual(
    contexts().map((r) => [r.key, r.email, r.country, r.version, r.plan]),
    rustContexts,
  );
});

test("the workload's results check out: static and rule flags exactly, rollouts and splits within a point", () => {
  const { bytes, publicKey } = snapshot();
  const flags = EdgeFlags.fromSnapshot(bytes, { trustedKeys: [publicKey] });
  assert.equal(flags.flagKeys().length, 200);
  const shares = check(flags, contexts(), undefined);
  assert.ok(Math.abs(shares.rollout - 30) <= 1, JSON.stringify(shares));
});
