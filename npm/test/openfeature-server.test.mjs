// The server provider with the real @openfeature/server-sdk, fetching CLI-signed
// snapshots from a local HTTP server that speaks ETag.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { OpenFeature, ProviderEvents, ServerProviderStatus } from "@openfeature/server-sdk";
import { EdgeFlagsError } from "edgeflag";
import { EdgeFlagsServerProvider } from "edgeflag/openfeature";

import { build, keys, nextEvent, season0Changed, snapshotServer, tampered } from "../support/fixtures.mjs";

const k = keys();
const legacyAndroid = { targetingKey: "user-42", platform: "android", appVersion: "4.1.9" };
const EVENTS = {
  [ProviderEvents.Ready]: "READY",
  [ProviderEvents.ConfigurationChanged]: "CHANGED",
  [ProviderEvents.Error]: "ERROR",
  [ProviderEvents.Stale]: "STALE",
};

function record(client) {
  const events = [];
  for (const [event, type] of Object.entries(EVENTS)) {
    client.addHandler(event, (details) => events.push({ type, details }));
  }
  return events;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

after(() => OpenFeature.close());

test("polls with ETag, verifies each snapshot, keeps the last good one, and says so", async (t) => {
  const server = await snapshotServer();
  t.after(() => server.close());
  let clock = "2026-12-05T18:00:00Z";
  const v1 = build(k.key, { version: 1 });
  server.set(v1);
  const provider = new EdgeFlagsServerProvider({
    url: server.url,
    trustedKeys: [k.pub],
    environment: "production",
    pollIntervalMs: 25,
    now: () => clock,
  });
  const client = OpenFeature.getClient("polling");
  const events = record(client);
  await OpenFeature.setProviderAndWait("polling", provider);
  assert.equal(client.providerStatus, ServerProviderStatus.READY);
  assert.deepEqual(events.map((e) => e.type), ["READY"]);

  // Dynamic context: each call brings its own.
  const rolledBack = await client.getBooleanDetails("ranked-matchmaking", true, legacyAndroid);
  assert.equal(rolledBack.value, false);
  assert.equal(rolledBack.variant, "off");
  assert.equal(rolledBack.reason, "ROLLBACK");
  assert.equal(rolledBack.flagMetadata.owner, "matchmaking-team@example.com");
  assert.equal(rolledBack.flagMetadata.snapshotVersion, 1);
  assert.match(String(rolledBack.flagMetadata.rollbackSteps), /edgeflag rollback ranked-matchmaking/);
  const tester = await client.getBooleanDetails("ranked-matchmaking", false, { targetingKey: "qa-bot-1" });
  assert.deepEqual([tester.value, tester.reason], [true, "TARGETING_MATCH"]);
  assert.equal(await client.getNumberValue("match-timeout-seconds", 60, legacyAndroid), 90);
  const mismatch = await client.getStringDetails("match-timeout-seconds", "x", legacyAndroid);
  assert.deepEqual([mismatch.value, mismatch.errorCode], ["x", "TYPE_MISMATCH"]);
  const missing = await client.getBooleanDetails("no-such-flag", true, {});
  assert.deepEqual([missing.value, missing.errorCode], [true, "FLAG_NOT_FOUND"]);

  // Unchanged: the server answers 304 to the ETag it gave.
  await sleep(150);
  assert.ok(server.log.some((r) => r.status === 304 && r.conditional), JSON.stringify(server.log.slice(0, 5)));
  assert.deepEqual(events.map((e) => e.type), ["READY"]);

  // A newer version: CONFIGURATION_CHANGED, with the flags it changed.
  let mark = events.length;
  const v2 = build(k.key, { release: season0Changed(), version: 2 });
  server.set(v2);
  const changed = await nextEvent(events, "CHANGED", { after: mark });
  assert.deepEqual(changed.details.flagsChanged, ["ranked-matchmaking"]);
  assert.equal(provider.flags.version, 2);

  // The server fails, then comes back with the same snapshot (304): READY again.
  mark = events.length;
  server.fail(503);
  assert.equal((await nextEvent(events, "ERROR", { after: mark })).details.metadata.code, "FETCH_FAILED");
  assert.equal(client.providerStatus, ServerProviderStatus.ERROR);
  mark = events.length;
  server.set(v2);
  await nextEvent(events, "READY", { after: mark });
  assert.equal(server.log.at(-1).status, 304);

  // Tampered: rejected, ERROR once, the last good one keeps serving.
  mark = events.length;
  server.set(tampered(build(k.key, { version: 3 })));
  const error = await nextEvent(events, "ERROR", { after: mark });
  assert.match(error.details.message, /^BAD_SIGNATURE: /);
  assert.equal(error.details.metadata.code, "BAD_SIGNATURE");
  assert.equal(client.providerStatus, ServerProviderStatus.ERROR);
  const still = await client.getBooleanDetails("ranked-matchmaking", true, legacyAndroid);
  assert.deepEqual([still.value, still.flagMetadata.snapshotVersion, still.errorCode], [false, 2, undefined]);
  await sleep(150);
  assert.equal(events.slice(mark).filter((e) => e.type === "ERROR").length, 1, "one ERROR per bad snapshot");

  // An older snapshot replayed, then the server failing: rejected too.
  mark = events.length;
  server.set(v1);
  assert.match((await nextEvent(events, "ERROR", { after: mark })).details.message, /^VERSION_TOO_OLD: /);
  mark = events.length;
  server.fail(503);
  assert.equal((await nextEvent(events, "ERROR", { after: mark })).details.metadata.code, "FETCH_FAILED");
  assert.equal(provider.flags.version, 2);

  // A good newer one: CONFIGURATION_CHANGED and READY again.
  mark = events.length;
  server.set(build(k.key, { version: 4, at: "2026-12-05T00:00:00Z", expiresIn: "1d" }));
  await nextEvent(events, "CHANGED", { after: mark });
  await nextEvent(events, "READY", { after: mark });
  assert.equal(client.providerStatus, ServerProviderStatus.READY);

  // Time passes its expiry: STALE, and it serves on under the stale policy.
  mark = events.length;
  clock = "2026-12-07T00:00:00Z";
  await nextEvent(events, "STALE", { after: mark });
  assert.equal(client.providerStatus, ServerProviderStatus.STALE);
  const stale = await client.getBooleanDetails("ranked-matchmaking", true, { targetingKey: "qa-bot-1" });
  assert.deepEqual([stale.value, stale.reason], [true, "STALE"]);

  // A fresh one ends it.
  mark = events.length;
  server.set(build(k.key, { version: 5, at: "2026-12-06T00:00:00Z", expiresIn: "30d" }));
  await nextEvent(events, "READY", { after: mark });
  assert.equal(provider.flags.version, 5);

  await OpenFeature.clearProviders();
});

test("from bytes, without a URL; pushed updates", async () => {
  const provider = new EdgeFlagsServerProvider({ snapshot: build(k.key, { version: 1 }), trustedKeys: [k.pub], environment: "production" });
  const client = OpenFeature.getClient("bytes");
  const events = record(client);
  await OpenFeature.setProviderAndWait("bytes", provider);
  assert.equal(await client.getBooleanValue("ranked-matchmaking", false, { targetingKey: "qa-bot-2" }), true);
  assert.equal(provider.update(build(k.key, { version: 2 })), true);
  await nextEvent(events, "CHANGED");
  assert.throws(() => provider.update(tampered(build(k.key, { version: 3 }))), (e) => e instanceof EdgeFlagsError && e.code === "BAD_SIGNATURE");
  await nextEvent(events, "ERROR");
  assert.deepEqual(events.map((e) => e.type), ["READY", "CHANGED", "ERROR"]);
  assert.equal(provider.flags.version, 2);
  await OpenFeature.clearProviders();
});

test("without any good snapshot initialization fails, then recovers when one arrives", async (t) => {
  const server = await snapshotServer();
  t.after(() => server.close());
  server.set(tampered(build(k.key, { version: 1 })));
  const provider = new EdgeFlagsServerProvider({ url: server.url, trustedKeys: [k.pub], environment: "production", pollIntervalMs: 25 });
  const client = OpenFeature.getClient("recovering");
  const events = record(client);
  await assert.rejects(OpenFeature.setProviderAndWait("recovering", provider), /NO_SNAPSHOT|BAD_SIGNATURE/);
  assert.equal(client.providerStatus, ServerProviderStatus.ERROR);
  const d = await client.getBooleanDetails("ranked-matchmaking", true, {});
  assert.deepEqual([d.value, d.errorCode], [true, "PROVIDER_NOT_READY"]);
  const mark = events.length;
  server.set(build(k.key, { version: 1 }));
  await nextEvent(events, "READY", { after: mark });
  assert.equal(client.providerStatus, ServerProviderStatus.READY);
  await OpenFeature.clearProviders();
});
