// The core's acceptance policy through the OpenFeature server provider, in
// Node, with the packed package: the provider keeps no rules of its own, so
// each case is what the core decides given what the provider serves and its
// floor store. Snapshots are signed by the real CLI.
import assert from "node:assert/strict";
import test from "node:test";

import { markName } from "edgeflag";
import { EdgeFlagsServerProvider, memoryFloor } from "edgeflag/openfeature";

import { build, keys, snapshotServer } from "../support/fixtures.mjs";

const k = keys();
const at = "2026-12-01T00:00:00Z";
const snap = (version, extra = {}) => build(k.key, { version, at, expiresIn: "30d", ...extra });
const v5 = snap(5);
const now = "2026-12-02T00:00:00Z";

function provider(extra = {}) {
  return new EdgeFlagsServerProvider({ snapshot: v5, trustedKeys: [k.pub], environment: "production", now: () => now, ...extra });
}

/** What `update` came to: "served" or the rejection's code. */
function offer(p, envelope) {
  try {
    return p.update(envelope) ? "served" : "unchanged";
  } catch (e) {
    return e.code;
  }
}

test("the acceptance policy through the provider, as a table", async () => {
  const cases = [
    ["a newer version", snap(6), "served"],
    ["an old version replayed after a newer one", snap(4), "VERSION_TOO_OLD"],
    ["a newer but expired snapshot while a fresh one serves", snap(7, { at: "2026-10-01T00:00:00Z", expiresIn: "1d" }), "EXPIRED"],
    ["the same version with another payload", snap(5, { expiresIn: "29d" }), "VERSION_REUSED"],
    ["a staging snapshot to a production provider", snap(8, { env: "staging" }), "WRONG_ENVIRONMENT"],
    ["a snapshot issued in the future", snap(8, { at: "2026-12-10T00:00:00Z" }), "ISSUED_IN_FUTURE"],
  ];
  for (const [name, envelope, want] of cases) {
    const p = provider();
    await p.initialize();
    const codes = [];
    p.events.addHandler("PROVIDER_ERROR", (d) => codes.push(d.metadata.code));
    assert.equal(offer(p, envelope), want, name);
    // The last good snapshot keeps serving, and the event carries the code.
    assert.equal(p.flags.version, want === "served" ? 6 : 5, name);
    if (want !== "served") assert.deepEqual(codes, [want], name);
    await p.onClose();
  }
});

test("a floor store: a fresh provider refuses what is below it; acceptances raise it", async () => {
  const floors = memoryFloor();
  floors.save("production", { version: 5, digest: "sha256:00" });
  const cold = new EdgeFlagsServerProvider({ snapshot: snap(4), trustedKeys: [k.pub], environment: "production", now: () => now, floorStore: floors });
  await assert.rejects(cold.initialize(), (e) => {
    assert.equal(e.code, "NO_SNAPSHOT");
    assert.match(e.message, /VERSION_TOO_OLD: snapshot version 4 is below the minimum 5 \(the high-water mark of this environment\)/);
    return true;
  });
  const p = provider({ snapshot: snap(6), floorStore: floors });
  await p.initialize();
  assert.deepEqual(floors.marks.get("production"), { version: 6, digest: p.flags.digest });
  assert.equal(offer(p, snap(7)), "served");
  assert.equal(floors.marks.get("production").version, 7);
  await p.onClose();
});

test("a failing floor store is reported, never thrown into evaluation", async () => {
  const broken = { load: () => { throw new Error("disk on fire"); }, save: () => { throw new Error("disk on fire"); } };
  const p = provider({ floorStore: broken });
  const codes = [];
  p.events.addHandler("PROVIDER_ERROR", (d) => codes.push(d.metadata.code));
  await p.initialize();
  assert.equal(p.flags.version, 5);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(codes.includes("FLOOR_STORE"), codes.join(" "));
  const r = await p.resolveBooleanEvaluation("ranked-matchmaking", false, { targetingKey: "qa-bot-1" });
  assert.equal(r.errorCode, undefined);
  assert.equal(typeof r.value, "boolean");
  await p.onClose();
});

test("the environment is required", () => {
  assert.throws(
    () => new EdgeFlagsServerProvider({ snapshot: v5, trustedKeys: [k.pub] }),
    { name: "TypeError", message: "edgeflag: options.environment (the environment this provider serves) is required" },
  );
});

test("a refusal that depends on the clock is judged again, even when the server answers 304", async (t) => {
  const server = await snapshotServer();
  t.after(() => server.close());
  server.set(snap(5));
  let clock = "2026-12-02T00:00:00Z";
  const p = new EdgeFlagsServerProvider({ url: server.url, trustedKeys: [k.pub], environment: "production", pollIntervalMs: 0, now: () => clock });
  await p.initialize();
  // Signed by a clock an hour ahead of the provider's: refused for now.
  server.set(snap(6, { at: "2026-12-02T01:30:00Z" }));
  const codes = [];
  p.events.addHandler("PROVIDER_ERROR", (d) => codes.push(d.metadata.code));
  await p.refresh();
  assert.deepEqual([p.flags.version, codes], [5, ["ISSUED_IN_FUTURE"]]);
  // The same bytes (a 304), once the provider's clock has caught up.
  clock = "2026-12-02T02:00:00Z";
  await p.refresh();
  assert.equal(server.log.at(-1).status, 304);
  assert.equal(p.flags.version, 6);
  await p.onClose();
});

test("floors are kept under the core's mark names: browser snapshots apart", () => {
  assert.equal(markName("production", "server"), "production");
  assert.equal(markName("production", "browser"), "production:browser");
  assert.throws(() => markName("production", "edge"), { code: "INVALID_ARGUMENT", message: "unknown audience `edge`: server or browser" });
});
