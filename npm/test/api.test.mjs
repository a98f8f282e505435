// The package's API, installed from the packed tarball, in Node.
import assert from "node:assert/strict";
import test from "node:test";

import { EdgeFlags, EdgeFlagsError, FlagContext, envelopeBytes } from "edgeflag";

import { build, keys, tampered } from "../support/fixtures.mjs";

const k = keys();
const envelope = build(k.key, { version: 3, at: "2026-12-01T00:00:00Z", expiresIn: "30d" });
const options = { trustedKeys: [k.pub], now: "2026-12-02T00:00:00Z" };
const flags = EdgeFlags.fromSnapshot(envelope, options);
const at = "2026-12-05T18:00:00Z";
const legacyAndroid = { targetingKey: "user-42", platform: "android", appVersion: "4.1.9" };

test("Node resolves the package to its node entry point", () => {
  assert.match(import.meta.resolve("edgeflag"), /\/node_modules\/edgeflag\/dist\/node\.js$/);
  assert.match(import.meta.resolve("edgeflag/openfeature"), /\/dist\/openfeature\.js$/);
});

test("a snapshot signed by the CLI loads, with its facts", () => {
  assert.equal(flags.version, 3);
  assert.equal(flags.environment, "production");
  assert.equal(flags.issuedAt, "2026-12-01T00:00:00Z");
  assert.equal(flags.expiresAt, "2026-12-31T00:00:00Z");
  assert.match(flags.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(flags.signedBy.length, 1);
  assert.deepEqual(flags.flagKeys().slice(0, 2), ["ranked-matchmaking", "store-layout"]);
  assert.equal(flags.isExpired("2026-12-30T00:00:00Z"), false);
  assert.equal(flags.isExpired(new Date("2027-01-01T00:00:00Z")), true);
});

test("evaluate gives OpenFeature's fields, camelCase, with the flag's metadata", () => {
  const d = flags.evaluate("ranked-matchmaking", legacyAndroid, at);
  assert.equal(d.value, false);
  assert.equal(d.variant, "off");
  assert.equal(d.reason, "ROLLBACK");
  assert.equal(d.rule, "INC-2041 crash on legacy Android");
  assert.equal(d.errorCode, undefined);
  assert.equal(d.flagMetadata.owner, "matchmaking-team@example.com");
  assert.equal(d.flagMetadata.runbook, "https://runbooks.example.com/season0/ranked-matchmaking");
  // OpenFeature's flat metadata, the same fields the OFREP worker sends.
  assert.equal(d.flagMetadata.rollbackSteps.split("\n").length, 3);
  assert.equal(d.flagMetadata.snapshotVersion, 3);
  assert.equal(d.flagMetadata.environment, "production");
  assert.equal(d.flagMetadata.hotfix, false);
  assert.equal(d.flagMetadata.rule, "INC-2041 crash on legacy Android");
  assert.equal(d.flagMetadata.stale, false);
  const split = flags.evaluate("ranked-matchmaking", { targetingKey: "user-7" }, at);
  assert.equal(split.reason, "SPLIT");
  assert.equal(split.stage, 3);
  assert.equal(split.percent, 100);
  assert.equal(flags.numberValue("match-timeout-seconds", legacyAndroid, 60, at), 90);
});

test("typed calls and evaluate never throw", () => {
  const bad = [5, "user-1", [1], 10n, { targetingKey: 10n }];
  const cyclic = {};
  cyclic.self = cyclic;
  // A value that cannot convert fails the flags that read it (ranked-matchmaking
  // buckets by targetingKey); one in an attribute no flag reads is never looked at.
  for (const ctx of [...bad, { targetingKey: cyclic }]) {
    assert.equal(flags.booleanValue("ranked-matchmaking", ctx, true, at), true);
    const d = flags.booleanDetails("ranked-matchmaking", ctx, true, at);
    assert.equal(d.errorCode, "INVALID_CONTEXT", String(d.errorMessage));
    assert.equal(d.reason, "ERROR");
    assert.equal(d.flagMetadata.owner, "matchmaking-team@example.com");
    assert.equal(flags.evaluate("ranked-matchmaking", ctx, at).value, undefined);
  }
  for (const unread of [{ big: 10n }, cyclic]) {
    const d = flags.booleanDetails("ranked-matchmaking", { targetingKey: "u1", ...unread }, true, at);
    assert.deepEqual(d, flags.booleanDetails("ranked-matchmaking", { targetingKey: "u1" }, true, at));
  }
  const missing = flags.stringDetails("no-such-flag", {}, "dflt", at);
  assert.deepEqual([missing.value, missing.errorCode], ["dflt", "FLAG_NOT_FOUND"]);
  const wrongType = flags.booleanDetails("match-timeout-seconds", {}, true, at);
  assert.deepEqual([wrongType.value, wrongType.errorCode], [true, "TYPE_MISMATCH"]);
  const badTime = flags.numberDetails("match-timeout-seconds", {}, 7, "soon");
  assert.deepEqual([badTime.value, badTime.errorCode], [7, "GENERAL"]);
  // One bad time for every flag at once: each flag its own error result.
  const allBad = Object.values(flags.evaluateAll({ targetingKey: "u" }, "soon"));
  assert.equal(allBad.length, flags.flagKeys().length);
  for (const d of allBad) assert.deepEqual([d.value, d.reason, d.errorCode], [undefined, "ERROR", "GENERAL"]);
  assert.equal(flags.stringValue("store-layout", undefined, "x", at).length > 0, true);
  assert.equal(flags.evaluate("store-layout", null, at).reason, "DEFAULT");
});

test("a context handle answers as the plain object does, with any snapshot", () => {
  const handle = flags.context(legacyAndroid);
  assert.ok(handle instanceof FlagContext);
  assert.deepEqual(flags.evaluateAll(handle, at), flags.evaluateAll(legacyAndroid, at));
  const other = EdgeFlags.fromSnapshot(build(k.key, { version: 4 }), { trustedKeys: [k.pub] });
  assert.deepEqual(other.evaluate("ranked-matchmaking", handle, at).variant, "off");
  handle.free();
  assert.throws(() => flags.context(42), (e) => e instanceof EdgeFlagsError && e.code === "INVALID_CONTEXT");
  // A bad context in evaluateAll: every flag says why, nothing throws.
  const all = flags.evaluateAll([1], at);
  assert.deepEqual(new Set(Object.values(all).map((d) => d.errorCode)), new Set(["INVALID_CONTEXT"]));
  assert.deepEqual(Object.keys(all), flags.flagKeys());
});

test("times: Dates, epoch milliseconds and RFC 3339 strings, in contexts and as now", () => {
  const ms = Date.parse(at);
  const a = flags.evaluate("store-layout", { targetingKey: "u1" }, at);
  assert.deepEqual(flags.evaluate("store-layout", { targetingKey: "u1" }, ms), a);
  assert.deepEqual(flags.evaluate("store-layout", { targetingKey: "u1" }, new Date(ms)), a);
  // Before the first stage: no rollout yet.
  assert.equal(flags.evaluate("ranked-matchmaking", { targetingKey: "user-7" }, "2026-11-01T00:00:00Z").reason, "DEFAULT");
  // A Date attribute is compared as a time (JSON's toISOString).
  const withDate = flags.context({ targetingKey: "u1", signedUpAt: new Date(ms) });
  assert.ok(withDate instanceof FlagContext);
});

test("values are frozen and metadata shared: results are reused between calls", () => {
  const a = flags.evaluate("ranked-matchmaking", legacyAndroid, at);
  const b = flags.evaluate("ranked-matchmaking", legacyAndroid, at);
  assert.notEqual(a, b);
  assert.equal(a.flagMetadata, b.flagMetadata);
  assert.ok(Object.isFrozen(a.flagMetadata));
  for (const v of Object.values(a.flagMetadata)) assert.ok(v === null || typeof v !== "object");
});

test("each rejected snapshot throws an EdgeFlagsError with its own code", () => {
  const stranger = keys();
  const env = JSON.parse(new TextDecoder().decode(envelope));
  const cases = [
    ["flipped payload bit", tampered(envelope), options, "BAD_SIGNATURE"],
    ["signed by another key", build(stranger.key, { version: 3 }), options, "UNKNOWN_KEY"],
    ["wrong payload type", JSON.stringify({ ...env, payloadType: "application/json" }), options, "WRONG_PAYLOAD_TYPE"],
    ["expired while a fresh one serves", envelope,
      { ...options, now: "2027-02-01T00:00:00Z", current: { version: 2, digest: "sha256:00", expiresAt: "2027-03-01T00:00:00Z" } }, "EXPIRED"],
    ["replayed older version", envelope, { ...options, minVersion: 4 }, "VERSION_TOO_OLD"],
    ["older than the one served (an EdgeFlags as current)", envelope,
      { ...options, current: EdgeFlags.fromSnapshot(build(k.key, { version: 4, at: "2026-12-01T00:00:00Z" }), options) }, "VERSION_TOO_OLD"],
    ["below the floor", envelope, { ...options, floor: { version: 9, digest: "sha256:00" } }, "VERSION_TOO_OLD"],
    ["the same version with another payload", envelope, { ...options, current: { version: 3, digest: "sha256:00" } }, "VERSION_REUSED"],
    ["another environment", envelope, { ...options, environment: "staging" }, "WRONG_ENVIRONMENT"],
    ["issued in the future", envelope, { ...options, now: "2026-11-01T00:00:00Z" }, "ISSUED_IN_FUTURE"],
    ["not json", "garbage", options, "MALFORMED"],
    ["no envelope at all", 42, options, "MALFORMED"],
    ["over the size limit", envelope, { ...options, maxSize: 1000 }, "TOO_LARGE"],
    ["two of one key", envelope, { ...options, threshold: 2 }, "UNSATISFIABLE_THRESHOLD"],
    ["two of two keys", envelope, { ...options, trustedKeys: [k.pub, stranger.pub], threshold: 2 }, "BELOW_THRESHOLD"],
    ["a trusted key that is not a key", envelope, { trustedKeys: ["-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"] }, "INVALID_KEY"],
    ["a misspelt option", envelope, { ...options, minversion: 4 }, "INVALID_ARGUMENT"],
  ];
  for (const [name, input, opts, code] of cases) {
    assert.throws(
      () => EdgeFlags.fromSnapshot(input, opts),
      (e) => {
        assert.ok(e instanceof EdgeFlagsError && e instanceof Error, name);
        assert.equal(e.code, code, `${name}: ${e.message}`);
        assert.equal(e.name, "EdgeFlagsError");
        assert.ok(!e.message.startsWith(code), `${name}: the code is not repeated in the message`);
        return true;
      },
    );
  }
  // Expired, holding nothing fresher: it loads and every result says STALE.
  const stale = EdgeFlags.fromSnapshot(envelope, { ...options, now: "2027-02-01T00:00:00Z" });
  assert.equal(stale.evaluate("store-layout", { targetingKey: "u" }, "2027-02-01T00:00:00Z").reason, "STALE");
});

test("the release console's calls: status, simulate, definitions", () => {
  const status = flags.status("2026-12-02T18:00:00Z");
  const ranked = status.find((s) => s.key === "ranked-matchmaking");
  assert.equal(ranked.rollout.stage, 1);
  assert.equal(ranked.rollout.next.percent, 25);
  assert.equal(ranked.rollbacks[0].active, true);
  const [dist] = flags.simulate(["store-layout"], 2000, at, { platform: "ios" });
  assert.equal(dist.users, 2000);
  assert.equal(dist.outcomes.reduce((n, o) => n + o.users, 0), 2000);
  const handle = flags.context({ platform: "ios" });
  assert.deepEqual(flags.simulate(["store-layout"], 2000, at, handle), [dist]);
  assert.throws(() => flags.simulate([], -1, at), (e) => e.code === "INVALID_ARGUMENT");
  const defs = flags.definitions();
  // camelCase fields, keys as written.
  assert.match(defs.release.incidentChannel, /^https:/);
  assert.equal(defs.release.incident_channel, undefined);
  assert.equal(defs.flags["ranked-matchmaking"].owner, "matchmaking-team@example.com");
  assert.equal(defs.flags["ranked-matchmaking"].rollback.steps.length, 3);
  assert.ok(Array.isArray(defs.flags["ranked-matchmaking"].rules));
});

test("free releases the wasm memory; using a freed snapshot throws", () => {
  const f = EdgeFlags.fromSnapshot(envelope, options);
  f.free();
  for (const call of [
    () => f.evaluate("store-layout", {}, at),
    () => f.booleanValue("ranked-matchmaking", {}, false, at),
    () => f.context({}),
    () => f.evaluateAll({}, at),
    () => f.definitions(),
    () => f.status(at),
  ]) {
    assert.throws(call, (e) => e instanceof EdgeFlagsError && e.code === "FREED");
  }
});

test("every method's errors are EdgeFlagsError, with the code as data", () => {
  const f = EdgeFlags.fromSnapshot(envelope, options);
  assert.throws(() => f.changedFlags({}), (e) => e instanceof EdgeFlagsError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => f.simulate([], -1, at), (e) => e instanceof EdgeFlagsError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => f.status("soon"), (e) => e instanceof EdgeFlagsError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => f.context(5), (e) => e instanceof EdgeFlagsError && e.code === "INVALID_CONTEXT" && !e.message.startsWith("INVALID_CONTEXT"));
  assert.throws(() => envelopeBytes(5), (e) => e instanceof EdgeFlagsError && e.code === "MALFORMED");
  assert.deepEqual(Array.from(envelopeBytes("{}")), [123, 125]);
  f.free();
});
