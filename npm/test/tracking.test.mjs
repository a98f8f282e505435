// The providers' tracking (OpenFeature's `track`) against a local HTTP
// endpoint that answers as `POST /v1/track` may: batched, retried on 5xx,
// bounded, and never throwing. The worker's own `/v1/track`, with the real
// Durable Object, is tests/worker/guards.test.mjs.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";

import { EdgeFlagsServerProvider, EdgeFlagsWebProvider } from "edgeflag/openfeature";

import { build, keys } from "../support/fixtures.mjs";

const k = keys();

/** Records each batch; answers with the next scripted status (202 when none is left). */
async function trackServer(script = []) {
  const batches = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const events = JSON.parse(body).events;
      batches.push({ key: req.headers["x-api-key"], events });
      const bad = events.findIndex((e) => e.metric === "bad");
      const status = script.shift() ?? (bad >= 0 ? 422 : events.some((e) => e.metric === "broken") ? 400 : 202);
      const reply = status === 202
        ? { received: events.length, counted: events.length }
        : status === 422
          ? { errorCode: "UNKNOWN_METRIC", errorDetails: `events[${bad}]: no guard watches the metric \`bad\``, index: bad, metric: "bad" }
          : { errorCode: "MALFORMED_BATCH", errorDetails: "the body must be a json object with an `events` list" };
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1/track`, batches, close: () => new Promise((r) => server.close(r)) };
}

const wait = async (probe) => {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(probe(), "timed out");
};

for (const Provider of [EdgeFlagsServerProvider, EdgeFlagsWebProvider]) {
  test(`${Provider.name}: batched, retried after a 503, bounded, and refused batches are not resent`, async (t) => {
    const server = await trackServer([503]);
    t.after(() => server.close());
    const warnings = [];
    const provider = new Provider({
      snapshot: build(k.key, Provider === EdgeFlagsWebProvider ? { audience: "browser" } : {}),
      trustedKeys: [k.pub],
      environment: "production",
      now: () => "2026-12-05T00:00:00Z",
      trackUrl: server.url,
      headers: { "X-API-Key": "client" },
      tracking: { batchSize: 3, flushIntervalMs: 5, maxQueue: 5, retryBaseMs: 5, logger: { warn: (m) => warnings.push(m) } },
    });
    await provider.initialize({ targetingKey: "u0" });
    for (let i = 0; i < 7; i++) provider.track("match_error", { targetingKey: `u${i}`, at: new Date("2026-12-05T00:00:00Z") });
    // Never throws: no name, a context JSON cannot hold.
    const cyclic = {};
    cyclic.self = cyclic;
    provider.track(undefined, {});
    provider.track("match_error", cyclic);
    await wait(() => provider.tracking.accepted === 5);
    // Five queued (two over the bound dropped, and the cyclic one): the first
    // batch of three failed once and went again, then the other two.
    assert.deepEqual(server.batches.map((b) => b.events.length), [3, 3, 2]);
    assert.deepEqual(server.batches[0].events, server.batches[1].events);
    assert.deepEqual(server.batches[0].events[0], { metric: "match_error", context: { targetingKey: "u0", at: "2026-12-05T00:00:00.000Z" } });
    assert.ok(server.batches.every((b) => b.key === "client"));
    const s = provider.tracking;
    assert.deepEqual([s.accepted, s.counted, s.dropped, s.retries, s.refused, s.queued], [5, 5, 3, 1, 0, 0]);
    // A metric no guard watches: out of the batch, the rest sent again, and
    // skipped here from then on.
    provider.track("bad", { targetingKey: "u1" });
    provider.track("match_error", { targetingKey: "u2" });
    await provider.flushTracking();
    assert.deepEqual(server.batches.slice(3).map((b) => b.events.map((e) => e.metric)), [["bad", "match_error"], ["match_error"]]);
    provider.track("bad", { targetingKey: "u3" });
    await provider.flushTracking();
    assert.equal(server.batches.length, 5);
    assert.deepEqual([provider.tracking.accepted, provider.tracking.ignored], [6, 2]);
    assert.ok(warnings.some((w) => /422/.test(w) && /no guard watches the metric `bad`/.test(w)), warnings.join("\n"));
    // Any other refusal: dropped, said, and never sent again.
    provider.track("broken", { targetingKey: "u1" });
    await provider.flushTracking();
    await provider.flushTracking();
    assert.equal(server.batches.length, 6);
    assert.equal(provider.tracking.refused, 1);
    await provider.onClose();
    provider.track("match_error", { targetingKey: "late" });
    assert.equal(provider.tracking.queued, 0);
  });
}

test("without a worker url or a trackUrl, track() does nothing", async () => {
  const provider = new EdgeFlagsServerProvider({ snapshot: build(k.key), trustedKeys: [k.pub], environment: "production" });
  await provider.initialize();
  provider.track("match_error", { targetingKey: "u1" });
  assert.equal(provider.tracking, undefined);
  assert.deepEqual(provider.halts, []);
});
