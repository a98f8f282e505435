// The web provider with the real @openfeature/web-sdk (static context), fetching
// CLI-signed snapshots from a local HTTP server that speaks ETag.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { ClientProviderStatus, OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { EdgeFlagsWebProvider } from "edgeflag/openfeature";

import { build, keys, nextEvent, season0Changed, snapshotServer, tampered } from "../support/fixtures.mjs";

const k = keys();
const EVENTS = {
  [ProviderEvents.Ready]: "READY",
  [ProviderEvents.ConfigurationChanged]: "CHANGED",
  [ProviderEvents.Error]: "ERROR",
  [ProviderEvents.Stale]: "STALE",
  [ProviderEvents.ContextChanged]: "CONTEXT_CHANGED",
};

after(() => OpenFeature.close());

test("static context, parsed once per change; events as the snapshots change", async (t) => {
  const server = await snapshotServer();
  t.after(() => server.close());
  server.set(build(k.key, { version: 1 }));
  const provider = new EdgeFlagsWebProvider({
    url: server.url,
    trustedKeys: [k.pub],
    environment: "production",
    // These tests drive the provider's machinery with season0's server
    // flags; the default (browser snapshots only) has its own test below.
    audience: "server",
    pollIntervalMs: 25,
    now: () => "2026-12-05T18:00:00Z",
  });
  const client = OpenFeature.getClient("web");
  const events = [];
  for (const [event, type] of Object.entries(EVENTS)) {
    client.addHandler(event, (details) => events.push({ type, details }));
  }
  await OpenFeature.setContext("web", { targetingKey: "qa-bot-1" });
  await OpenFeature.setProviderAndWait("web", provider);
  assert.equal(client.providerStatus, ClientProviderStatus.READY);

  const tester = client.getBooleanDetails("ranked-matchmaking", false);
  assert.deepEqual([tester.value, tester.variant, tester.reason], [true, "on", "TARGETING_MATCH"]);
  assert.equal(tester.flagMetadata.snapshotVersion, 1);

  // The static context changes: the provider reconciles it once.
  let mark = events.length;
  await OpenFeature.setContext("web", { targetingKey: "user-42", platform: "android", appVersion: "4.1.9" });
  await nextEvent(events, "CONTEXT_CHANGED", { after: mark });
  const android = client.getBooleanDetails("ranked-matchmaking", true);
  assert.deepEqual([android.value, android.reason], [false, "ROLLBACK"]);
  assert.equal(client.getNumberValue("match-timeout-seconds", 60), 90);
  assert.equal(client.getStringDetails("match-timeout-seconds", "x").errorCode, "TYPE_MISMATCH");

  mark = events.length;
  server.set(build(k.key, { release: season0Changed(), version: 2 }));
  assert.deepEqual((await nextEvent(events, "CHANGED", { after: mark })).details.flagsChanged, ["ranked-matchmaking"]);
  assert.equal(client.getBooleanDetails("ranked-matchmaking", true).flagMetadata.snapshotVersion, 2);

  mark = events.length;
  server.set(tampered(build(k.key, { version: 3 })));
  assert.equal((await nextEvent(events, "ERROR", { after: mark })).details.metadata.code, "BAD_SIGNATURE");
  assert.equal(client.providerStatus, ClientProviderStatus.ERROR);
  assert.equal(client.getBooleanDetails("ranked-matchmaking", true).flagMetadata.snapshotVersion, 2);

  // Newer but already expired at the provider's clock: a fresh snapshot is
  // being served, so the core refuses it and version 2 keeps serving.
  mark = events.length;
  server.set(build(k.key, { version: 3, at: "2026-12-01T00:00:00Z", expiresIn: "1d" }));
  assert.equal((await nextEvent(events, "ERROR", { after: mark })).details.metadata.code, "EXPIRED");
  assert.equal(client.getBooleanDetails("ranked-matchmaking", true).flagMetadata.snapshotVersion, 2);

  // Holding nothing, an expired snapshot is the best there is: STALE.
  const cold = new EdgeFlagsWebProvider({
    snapshot: build(k.key, { version: 3, at: "2026-12-01T00:00:00Z", expiresIn: "1d" }),
    trustedKeys: [k.pub],
    environment: "production",
    audience: "server",
    floorStore: null,
    now: () => "2026-12-05T18:00:00Z",
  });
  await OpenFeature.setProviderAndWait("web-stale", cold);
  const staleClient = OpenFeature.getClient("web-stale");
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(staleClient.providerStatus, ClientProviderStatus.STALE);
  const stale = staleClient.getBooleanDetails("ranked-matchmaking", true);
  assert.deepEqual([stale.value, stale.reason], [false, "STALE"]);

  await OpenFeature.clearProviders();
});

test("a static context that is not an object of attributes gives defaults, never throws", async () => {
  const provider = new EdgeFlagsWebProvider({ snapshot: build(k.key, { version: 1 }), trustedKeys: [k.pub], environment: "production", audience: "server" });
  // ranked-matchmaking buckets by targetingKey, which cannot convert.
  await OpenFeature.setContext("odd", { targetingKey: 10n, big: 10n });
  await OpenFeature.setProviderAndWait("odd", provider);
  const d = OpenFeature.getClient("odd").getBooleanDetails("ranked-matchmaking", true);
  assert.deepEqual([d.value, d.errorCode], [true, "INVALID_CONTEXT"]);
  await OpenFeature.clearProviders();
});

test("by default the web provider takes browser snapshots only, and keeps their floor apart", async () => {
  const floors = new Map();
  const floorStore = { load: (env) => floors.get(env), save: (env, mark) => void floors.set(env, mark) };
  const edge = new EdgeFlagsWebProvider({ snapshot: build(k.key, { version: 7 }), trustedKeys: [k.pub], environment: "production", floorStore });
  await assert.rejects(OpenFeature.setProviderAndWait("edge-in-page", edge), /WRONG_AUDIENCE|snapshot is for `server` clients, but this consumer serves `browser` clients/);

  const provider = new EdgeFlagsWebProvider({
    snapshot: build(k.key, { version: 3, audience: "browser" }),
    trustedKeys: [k.pub],
    environment: "production",
    floorStore,
    now: () => "2026-12-05T18:00:00Z",
  });
  await OpenFeature.setContext("page", { targetingKey: "store-demo-device" });
  await OpenFeature.setProviderAndWait("page", provider);
  const client = OpenFeature.getClient("page");
  const d = client.getStringDetails("store-layout", "classic");
  assert.deepEqual([d.value, d.variant, d.reason], ["carousel-v1", "carousel", "TARGETING_MATCH"]);
  // Browser snapshots carry no owners or runbooks, so neither does the metadata.
  assert.equal(d.flagMetadata.owner, undefined);
  assert.equal(d.flagMetadata.runbook, undefined);
  // A server flag is not in a browser snapshot at all.
  assert.equal(client.getBooleanDetails("ranked-matchmaking", false).errorCode, "FLAG_NOT_FOUND");
  assert.deepEqual([...floors.keys()], ["production:browser"]);
  assert.equal(floors.get("production:browser").version, 3);
  await OpenFeature.clearProviders();
});
