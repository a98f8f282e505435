// The shared vectors (tests/vectors/*.json) through the installed package's
// JS API: the wrapper's caches, typed calls and context handles on top of the
// wasm core. Rust signed each release (crates/edgeflag-wasm/examples/fixtures.rs).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test from "node:test";

import { EdgeFlags } from "edgeflag";

import { FIXTURES } from "../support/fixtures.mjs";

const pem = readFileSync(join(FIXTURES, "key.pub.pem"), "utf8");
const dir = join(FIXTURES, "vectors");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

// 5 and 5.0 are the same JSON number; listed keys only, as tests/common/mod.rs.
const CAMEL = { error_code: "errorCode", error_message: "errorMessage" };
const DETAILS = { boolean: "booleanDetails", string: "stringDetails", number: "numberDetails", json: "objectDetails" };
const VALUES = { boolean: "booleanValue", string: "stringValue", number: "numberValue", json: "objectValue" };

function actual(flags, c, ctx) {
  const type = c.type ?? "any";
  const dflt = c.default ?? null;
  if (type === "any") {
    const d = flags.evaluate(c.flag, ctx, c.at);
    return { ...d, value: d.value === undefined ? dflt : d.value };
  }
  const d = flags[DETAILS[type]](c.flag, ctx, dflt, c.at);
  assert.deepEqual(flags[VALUES[type]](c.flag, ctx, dflt, c.at), d.value, `${c.name}: value call and details agree`);
  return d;
}

test("every vector file has a snapshot", () => {
  assert.ok(files.length >= 10, `only ${files.length} vector snapshots`);
});

for (const file of files) {
  test(`vectors: ${file}`, () => {
    const { envelope, environment, cases } = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const flags = EdgeFlags.fromSnapshot(envelope, { trustedKeys: [pem], environment });
    const failures = [];
    for (const c of cases) {
      const attrs = c.context ?? {};
      const handle = flags.context(attrs);
      const plain = actual(flags, c, attrs);
      const parsed = actual(flags, c, handle);
      handle.free();
      const problems = [];
      for (const [k, want] of Object.entries(c.expected)) {
        const got = plain[CAMEL[k] ?? k] ?? null;
        if (!sameJson(want, got)) problems.push(`${k}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
      if (JSON.stringify(plain) !== JSON.stringify(parsed)) problems.push("the context handle answered differently");
      if (problems.length) failures.push(`${file}: ${c.name}: ${problems.join("; ")}`);
    }
    assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join("\n")}`);
  });
}

function sameJson(a, b) {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return a === b;
}
