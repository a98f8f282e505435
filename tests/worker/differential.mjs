// The differential's JS runners (issue 16; scripts/differential.sh runs the
// whole chain). For each release of the plan that
// crates/edgeflag-differential generated and the CLI signed, every probe is
// evaluated against every flag by:
//   node      the npm package's wasm in this Node process (EdgeFlags.evaluate, plain objects);
//   chromium  the size-tuned browser build in Debian's headless Chromium (playwright-core);
//   worker    the built worker under workerd (miniflare, real KV and Durable Object),
//             through bulk OFREP, one request per probe, several in flight.
// Each writes results/<runtime>/rN.jsonl with the rows the native runner
// writes: per probe, [value, variant, reason, error_code, rule, stage] per flag.
//   node differential.mjs DIR KEY.pub.pem node,chromium,worker
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { EdgeFlags } from '../../npm/dist/node.js';
import { ROOT, ofrep, startWorker } from './lib/harness.mjs';

const [dir, keyPath, which = 'node,chromium,worker'] = process.argv.slice(2);
if (!dir || !keyPath) {
  console.error('usage: node differential.mjs DIR KEY.pub.pem [node,chromium,worker]');
  process.exit(2);
}
const pem = fs.readFileSync(keyPath, 'utf8');
const plan = JSON.parse(fs.readFileSync(path.join(dir, 'plan.json'), 'utf8'));
const ENV = 'production';

/** Each release: its name, flag keys, signed snapshot and probes. */
function* releases() {
  for (const r of plan.releases) {
    const snapshot = fs.readFileSync(path.join(dir, `${r.name}.snapshot.json`), 'utf8');
    const probes = fs
      .readFileSync(path.join(dir, `${r.name}.probes.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    yield { ...r, snapshot, probes };
  }
}

function write(runtime, name, rows) {
  const out = path.join(dir, 'results', runtime);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${name}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

// The same row from an EdgeFlags detail, in Node and in the page alike.
const ROW = (d) => [d.value ?? null, d.variant ?? null, d.reason ?? null, d.errorCode ?? null, d.rule ?? null, d.stage ?? null];

const runners = {
  async node(r) {
    const flags = EdgeFlags.fromSnapshot(r.snapshot, { trustedKeys: [pem], environment: ENV });
    return r.probes.map((p) => r.flags.map((k) => ROW(flags.evaluate(k, p.context, p.at))));
  },

  async chromium(r, { page }) {
    const rows = [];
    // In slices, so that no one message between Node and the page is huge.
    for (let i = 0; i < r.probes.length; i += 250) {
      const slice = r.probes.slice(i, i + 250);
      const got = await page.evaluate(
        ({ snapshot, pem, env, keys, probes, row }) => {
          const ROW = new Function(`return ${row}`)();
          const flags = window.edgeflag.EdgeFlags.fromSnapshot(snapshot, { trustedKeys: [pem], environment: env });
          const out = probes.map((p) => keys.map((k) => ROW(flags.evaluate(k, p.context, p.at))));
          flags.free?.();
          return out;
        },
        { snapshot: r.snapshot, pem, env: ENV, keys: r.flags, probes: slice, row: ROW.toString() },
      );
      rows.push(...got);
    }
    return rows;
  },

  async worker(r) {
    const worker = await startWorker({
      vars: { TRUSTED_KEYS: pem, ALLOW_TIME_OVERRIDE: 'true', ENVIRONMENT: ENV },
      snapshot: r.snapshot,
    });
    try {
      const rows = new Array(r.probes.length);
      let next = 0;
      const lane = async () => {
        while (next < r.probes.length) {
          const i = next++;
          const p = r.probes[i];
          const res = await ofrep(worker, { context: p.context, at: p.at });
          if (res.status !== 200) {
            rows[i] = r.flags.map(() => [`bulk OFREP answered ${res.status}: ${res.text.slice(0, 200)}`]);
            continue;
          }
          const byKey = new Map(res.json.flags.map((f) => [f.key, f]));
          rows[i] = r.flags.map((k) => {
            const item = byKey.get(k);
            // Bulk OFREP leaves out a key the snapshot does not have: the
            // caller's default, as a single evaluation's FLAG_NOT_FOUND says.
            if (!item) return [null, null, 'ERROR', 'FLAG_NOT_FOUND', null, null];
            const m = item.metadata ?? {};
            return [item.value ?? null, item.variant ?? null, item.reason ?? null, item.errorCode ?? null, m.rule ?? null, m.stage ?? null];
          });
        }
      };
      await Promise.all(Array.from({ length: 8 }, lane));
      return rows;
    } finally {
      await worker.close();
    }
  },
};

/** A page that loads the browser build ("edgeflag"'s browser condition) from npm/dist. */
async function openBrowser() {
  const dist = path.join(ROOT, 'npm/dist');
  const server = createServer(async (req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (p === '/') {
      const page = `<!doctype html><script type="module">
        import * as edgeflag from "/dist/browser.js"; window.edgeflag = edgeflag; window.ready = true;
      </script>`;
      return res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
    }
    const file = path.normalize(path.join(dist, p.replace(/^\/dist\//, '')));
    if (!p.startsWith('/dist/') || !file.startsWith(dist)) return res.writeHead(404).end();
    try {
      const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      res.writeHead(200, { 'Content-Type': type }).end(await readFile(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
  if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}`);
  return { page, close: async () => { await browser.close(); server.close(); } };
}

for (const runtime of which.split(',')) {
  const run = runners[runtime];
  if (!run) throw new Error(`unknown runtime ${runtime}: node, chromium or worker`);
  const env = runtime === 'chromium' ? await openBrowser() : {};
  const started = Date.now();
  let cases = 0;
  try {
    for (const r of releases()) {
      write(runtime, r.name, await run(r, env));
      cases += r.probes.length * r.flags.length;
    }
  } finally {
    await env.close?.();
  }
  console.log(`${runtime}: ${cases} cases evaluated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
