// Signed snapshots from the real CLI, and a snapshot server with ETags, for
// the package's Node tests (scripts/test-npm.sh sets the environment).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run scripts/test-npm.sh`);
  return v;
};

export const ROOT = need("EDGEFLAG_ROOT");
export const CLI = need("EDGEFLAG_CLI");
export const FIXTURES = need("EDGEFLAG_FIXTURES");
export const SEASON0 = join(ROOT, "examples/season0.toml");

const dir = mkdtempSync(join(tmpdir(), "edgeflag-test-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
let count = 0;

/** A fresh key pair from `edgeflag keygen`: the private key's path and the public PEM. */
export function keys() {
  const out = join(dir, `keys-${count++}`);
  execFileSync(CLI, ["keygen", "--out", out]);
  return { key: join(out, "edgeflag.pem"), pub: readFileSync(join(out, "edgeflag.pub.pem"), "utf8") };
}

/** `edgeflag build`: a signed snapshot of `release` (a path or TOML text), as bytes. */
export function build(key, { release = SEASON0, version = 1, at, expiresIn, env = "production", audience } = {}) {
  let path = release;
  if (release.includes("\n")) {
    path = join(dir, `release-${count++}.toml`);
    writeFileSync(path, release);
  }
  const out = join(dir, `snapshot-${count++}.json`);
  const args = ["build", path, "--env", env, "--key", key, "--version", String(version), "--out", out];
  // A fixed issue time by default: tests on fixed clocks must never see a
  // snapshot issued after their "now" (ISSUED_IN_FUTURE), whatever the date.
  args.push("--at", at ?? "2026-12-01T00:00:00Z");
  args.push("--expires-in", expiresIn ?? (at ? "30d" : "3650d"));
  // A browser snapshot keeps every stage here: tests evaluate at fixed times.
  if (audience) args.push("--audience", audience, ...(audience === "browser" ? ["--full-schedule"] : []));
  execFileSync(CLI, args);
  return new Uint8Array(readFileSync(out));
}

/** season0 with one flag's first stage changed: a new definition for `ranked-matchmaking`. */
export function season0Changed() {
  const text = readFileSync(SEASON0, "utf8");
  const changed = text.replace('{ at = "2026-12-01T16:00:00Z", percent = 1 }', '{ at = "2026-12-01T16:00:00Z", percent = 2 }');
  if (changed === text) throw new Error("season0.toml no longer has the stage this test edits");
  return changed;
}

/** The same envelope with one payload bit flipped: still well formed, no longer signed. */
export function tampered(bytes) {
  const env = JSON.parse(new TextDecoder().decode(bytes));
  const payload = Buffer.from(env.payload, "base64");
  payload[Math.floor(payload.length / 2)] ^= 1;
  env.payload = payload.toString("base64");
  return new TextEncoder().encode(JSON.stringify(env));
}

/**
 * An HTTP server on 127.0.0.1 serving one snapshot with a strong ETag and
 * answering `If-None-Match` with 304. `set` changes what it serves;
 * `status` makes it fail.
 */
export async function snapshotServer() {
  let body = new Uint8Array();
  let etag = '""';
  let failWith = 0;
  const log = [];
  const server = createServer((req, res) => {
    const conditional = req.headers["if-none-match"];
    if (failWith) {
      log.push({ status: failWith, conditional });
      res.writeHead(failWith).end("unavailable");
      return;
    }
    if (conditional === etag) {
      log.push({ status: 304, conditional });
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    log.push({ status: 200, conditional });
    res.writeHead(200, { "Content-Type": "application/json", ETag: etag }).end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/snapshot.json`,
    log,
    set(bytes) {
      body = bytes;
      etag = `"${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}"`;
      failWith = 0;
    },
    fail(status) {
      failWith = status;
    },
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

/**
 * Resolves with the first event `type` that `events` (an array handlers push
 * to) holds from index `after` on: pass the length taken before the action.
 */
export function nextEvent(events, type, { after = 0, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const look = () => {
      const found = events.slice(after).find((e) => e.type === type);
      if (found) return resolve(found);
      if (Date.now() - started > timeoutMs) {
        return reject(new Error(`no ${type} within ${timeoutMs} ms; saw ${events.map((e) => e.type).join(", ")}`));
      }
      setTimeout(look, 10);
    };
    look();
  });
}
