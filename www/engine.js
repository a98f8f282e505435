// Fetches the signed snapshot and the trusted keys from the worker and
// verifies them in the browser with the npm package's wasm build: the page
// trusts the signature it checks itself, not the network.

import { EdgeFlags } from "/vendor/edgeflag/console.js";

// A worker with API_KEYS wants one for /v1/snapshot too: the key given to
// the guard view (guards.js) is kept for the tab and sent with every fetch.
function keyHeaders() {
  try {
    const key = sessionStorage.getItem("edgeflag:api-key");
    return key ? { "X-API-Key": key } : {};
  } catch {
    return {};
  }
}

async function fetchOk(url) {
  const res = await fetch(url, { cache: "no-cache", headers: keyHeaders() });
  if (!res.ok) {
    const body = await res.text().catch(() => "");
    throw Object.assign(new Error(`${url} answered ${res.status} ${res.statusText}${body ? `: ${body.slice(0, 300)}` : ""}`), { fetchFailed: true });
  }
  return res;
}

/**
 * Loads and verifies one environment's snapshot for `audience` ("server", or
 * "browser": what a page is given): `{ flags }` or `{ error: { title, detail } }`.
 */
export async function loadSnapshot(env, audience = "server") {
  let envelope, keys;
  const which = audience === "browser" ? `${env} browser` : env;
  try {
    const [snap, trusted] = await Promise.all([
      fetchOk(`/v1/snapshot?env=${encodeURIComponent(env)}${audience === "browser" ? "&audience=browser" : ""}`),
      fetchOk("/v1/keys"),
    ]);
    envelope = await snap.text();
    keys = await trusted.json();
  } catch (e) {
    return { error: { title: `No ${which} snapshot could be fetched`, detail: e.message } };
  }
  const trustedKeys = (keys.keys ?? []).map((k) => k.pem);
  try {
    // The core's acceptance policy decides: the environment asked for, and
    // (holding nothing) an expired snapshot still loads, to show what it serves.
    const flags = EdgeFlags.fromSnapshot(envelope, {
      trustedKeys,
      threshold: keys.threshold ?? 1,
      environment: env,
      audience,
    });
    return { flags };
  } catch (e) {
    return {
      error: {
        title: `The ${which} snapshot was rejected (${e.code ?? "ERROR"})`,
        detail: `${e.message}. Nothing from it is shown: the console only trusts snapshots whose signature verifies in this browser against the worker's trusted keys.`,
      },
    };
  }
}

/** Status rows as the page draws them (the wasm already answers in this shape). */
export function normalizeStatus(rows) {
  return rows.map((r) => ({ ...r, rules: r.rules ?? [], rollbacks: r.rollbacks ?? [] }));
}
