// `wrangler dev --local` on loopback with the repository's wrangler.toml, and
// `wrangler kv key put --local` into the same persistence folder: the way an
// operator writes KV, used while the dev server runs (its workerd reads the
// same local store, so a put is visible to the running worker).
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, waitFor } from './harness.mjs';

const WRANGLER = path.join(ROOT, 'tests/worker/node_modules/.bin/wrangler');

/** Keeps wrangler offline and quiet: no metrics, no Cloudflare lookups. */
export const ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  NO_COLOR: '1',
};

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Writes a file to the local KV namespace `FLAGS` (the store `wrangler dev --persist-to` uses). */
export async function kvPut(persistTo, kvKey, file) {
  await promisify(execFile)(
    WRANGLER,
    ['kv', 'key', 'put', '--local', '--persist-to', persistTo, '--binding', 'FLAGS', kvKey, '--path', file],
    { cwd: ROOT, env: ENV },
  );
}

/**
 * Starts `wrangler dev --local` on 127.0.0.1 and waits until it answers.
 * `vars` are passed as `--var NAME:VALUE` (on top of wrangler.toml's).
 */
export async function startDev({ persistTo, vars = {}, port }) {
  port ??= await freePort();
  const args = ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persistTo,
    '--show-interactive-dev-session=false', '--log-level', 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  // Its own process group, so stopping it also stops the workerd it starts.
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output.join('')}`);
      try {
        return (await fetch(`${base}/healthz`)).status > 0;
      } catch {
        return false;
      }
    }, 120_000, 'wrangler dev to answer');
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, port, pid: child.pid, output, stop };
}
