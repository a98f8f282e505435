// A JS worker that imports the package runs under workerd (miniflare): bundled
// as wrangler bundles (esbuild with the "workerd", "worker" and "browser"
// conditions, .wasm kept as a module of its own), where compiling wasm from
// bytes at run time is not allowed.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";

import { build as bundle } from "esbuild";
import { Miniflare } from "miniflare";

import { build, keys, tampered } from "../support/fixtures.mjs";

const WORKER = `
import { EdgeFlags, EdgeFlagsError } from "edgeflag";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      const flags = EdgeFlags.fromSnapshot(url.pathname === "/tampered" ? env.TAMPERED : env.SNAPSHOT, {
        trustedKeys: [env.PUBLIC_KEY],
      });
      const user = { targetingKey: url.searchParams.get("user"), platform: "android", appVersion: "4.1.9" };
      const detail = flags.evaluate("ranked-matchmaking", user, "2026-12-05T18:00:00Z");
      return Response.json({ version: flags.version, ...detail });
    } catch (e) {
      return Response.json({ error: e instanceof EdgeFlagsError, code: e.code, message: e.message }, { status: 403 });
    }
  },
};
`;

let mf;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgeflag-worker-"));
  writeFileSync(join(dir, "src.mjs"), WORKER);
  // wrangler's treatment of .wasm imports: a module uploaded beside the script.
  const wasmModules = {
    name: "wasm-modules",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = join(args.resolveDir, args.path);
        copyFileSync(file, join(dir, basename(file)));
        return { path: `./${basename(file)}`, external: true };
      });
    },
  };
  await bundle({
    entryPoints: [join(dir, "src.mjs")],
    outfile: join(dir, "worker.mjs"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    nodePaths: [join(process.cwd(), "node_modules")],
    plugins: [wasmModules],
    logLevel: "error",
  });
  const k = keys();
  const envelope = build(k.key, { version: 7 });
  mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, "worker.mjs"),
    modulesRoot: dir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-01-01",
    bindings: {
      SNAPSHOT: new TextDecoder().decode(envelope),
      TAMPERED: new TextDecoder().decode(tampered(envelope)),
      PUBLIC_KEY: k.pub,
    },
  });
});

after(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("a worker verifies a snapshot and evaluates a flag under workerd", async () => {
  const res = await mf.dispatchFetch("http://localhost/?user=user-42");
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.version, 7);
  assert.deepEqual([body.value, body.variant, body.reason], [false, "off", "ROLLBACK"]);
  assert.equal(body.flagMetadata.owner, "matchmaking-team@example.com");
  const tester = await (await mf.dispatchFetch("http://localhost/?user=qa-bot-1")).json();
  assert.deepEqual([tester.value, tester.reason], [true, "TARGETING_MATCH"]);
});

test("a tampered snapshot is rejected in the worker with its code", async () => {
  const res = await mf.dispatchFetch("http://localhost/tampered");
  const body = await res.json();
  assert.equal(res.status, 403);
  assert.deepEqual([body.error, body.code], [true, "BAD_SIGNATURE"]);
  assert.match(body.message, /^the signature of key [0-9a-f]{64} does not verify$/);
});
