// The shared vectors (tests/vectors/*.json), replayed through the real worker
// under workerd: each file's release is built and signed with the CLI, put in
// local KV, and every case is evaluated at its own time (X-Edgeflag-At, with
// ALLOW_TIME_OVERRIDE on).
//
// Untyped cases: the single OFREP answer and the flag's entry in the bulk
// answer are both compared (a 404 means the caller's default, as OpenFeature
// does). Typed cases go through the real @openfeature/ofrep-provider and
// @openfeature/server-sdk typed calls, so OpenFeature's own type rule decides
// TYPE_MISMATCH. `rule`, `stage` and `percent` travel in flagMetadata.
//
// The same cases also go through the npm package (the wasm core in this
// Node process, its EdgeFlagsServerProvider with the same OpenFeature SDK),
// and the two OpenFeature paths must report the same flagMetadata, field by
// field: both come from the core's one list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ROOT, build, keygen, mismatches, ofrep, startWorker, tmpdir } from './lib/harness.mjs';
// The packed package's files as npm/build.sh left them (test.sh runs the npm
// suite first); inside npm/, "edgeflag" resolves to the package itself.
import { EdgeFlags } from '../../npm/dist/node.js';
import { EdgeFlagsServerProvider, memoryFloor } from '../../npm/dist/openfeature.js';

const dir = tmpdir();
const key = keygen(dir);
const files = fs
  .readdirSync(path.join(ROOT, 'tests/vectors'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, ...JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors', f), 'utf8')) }))
  .filter((f) => Array.isArray(f.cases));

after(() => OpenFeature.close());

/** What a case reports, from an OFREP success or failure, as tests/common/mod.rs lays it out. */
function fromOfrep(res, kase) {
  if (res.status === 404 && res.json?.errorCode === 'FLAG_NOT_FOUND') {
    return { value: kase.default ?? null, variant: null, reason: 'ERROR', error_code: 'FLAG_NOT_FOUND' };
  }
  assert.equal(res.status, 200, `${kase.name}: ${res.text}`);
  return fromItem(res.json);
}

function fromItem(item) {
  const m = item.metadata ?? {};
  return {
    value: item.value ?? null,
    variant: item.variant ?? null,
    reason: item.reason,
    error_code: item.errorCode ?? null,
    rule: m.rule ?? null,
    stage: m.stage ?? null,
    percent: m.percent ?? null,
  };
}

function fromDetails(d) {
  const m = d.flagMetadata ?? {};
  return {
    value: d.value ?? null,
    variant: d.variant ?? null,
    reason: d.reason,
    error_code: d.errorCode ?? null,
    rule: m.rule ?? null,
    stage: m.stage ?? null,
    percent: m.percent ?? null,
  };
}

/** The release of a vector file, as a file the CLI reads (inline releases as JSON). */
function releasePath(file) {
  if (file.release_file) return path.join(ROOT, file.release_file);
  const p = path.join(dir, file.name);
  fs.writeFileSync(p, JSON.stringify(file.release));
  return p;
}

/** `--at`/`--expires-in` so that the snapshot expires exactly at the file's `expires_at`. */
function expiry(file) {
  if (!file.expires_at) return { expiresIn: 'never' };
  // Issued a minute ago (never in the future: the worker refuses that by its
  // own clock), expiring exactly when the file says.
  const issued = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const at = new Date(issued).toISOString();
  return { at, expiresIn: `${(Date.parse(file.expires_at) - issued) / 1000}s` };
}

let total = 0;
let compared = 0;

/** The differences between two flagMetadata objects, field by field. */
function metadataDiff(name, ofrepMeta, npmMeta) {
  const keys = new Set([...Object.keys(ofrepMeta ?? {}), ...Object.keys(npmMeta ?? {})]);
  const out = [];
  for (const k of [...keys].sort()) {
    const a = ofrepMeta?.[k];
    const b = npmMeta?.[k];
    if (a !== b) out.push(`${name}: flagMetadata.${k}: ofrep ${JSON.stringify(a)}, npm ${JSON.stringify(b)}`);
  }
  return out;
}

for (const file of files) {
  test(`vectors ${file.name}`, async () => {
    const env = file.environment ?? 'production';
    const snap = build({ release: releasePath(file), env, key, out: path.join(dir, `${file.name}.snapshot.json`), version: 1, ...expiry(file) });
    if (file.expires_at) assert.equal(snap.expires_at, file.expires_at);
    const worker = await startWorker({ vars: { TRUSTED_KEYS: key.pem, ALLOW_TIME_OVERRIDE: 'true', ENVIRONMENT: env }, snapshot: snap.text });
    let at;
    await OpenFeature.setProviderAndWait(
      new OFREPProvider({ baseUrl: worker.base, headersFactory: () => [['X-Edgeflag-At', at]] }),
    );
    const client = OpenFeature.getClient();
    const domain = `npm-${file.name}`;
    await OpenFeature.setProviderAndWait(
      domain,
      new EdgeFlagsServerProvider({
        snapshot: snap.text,
        trustedKeys: [key.pem],
        environment: env,
        floorStore: memoryFloor(),
        now: () => at ?? new Date(),
      }),
    );
    const npmClient = OpenFeature.getClient(domain);
    const flags = EdgeFlags.fromSnapshot(snap.text, { trustedKeys: [key.pem], environment: env });
    const failures = [];
    try {
      for (const kase of file.cases) {
        total += 1;
        const type = kase.type ?? 'any';
        if (type === 'any') {
          const res = await ofrep(worker, { key: kase.flag, context: kase.context, at: kase.at });
          const single = fromOfrep(res, kase);
          for (const m of mismatches(kase.expected, single)) failures.push(`${kase.name}: single: ${m}`);
          if (res.status === 200) {
            const npm = flags.evaluate(kase.flag, kase.context, kase.at);
            failures.push(...metadataDiff(kase.name, res.json.metadata, npm.flagMetadata));
            compared += 1;
          }
          const bulk = await ofrep(worker, { context: kase.context, at: kase.at });
          assert.equal(bulk.status, 200, bulk.text);
          // The release candidate the CLI recorded, as the vector file pins it.
          if (file.candidate) assert.equal(bulk.json.metadata.releaseCandidate, file.candidate, `${file.name}: release candidate`);
          if (file.candidate) assert.equal(flags.candidate, file.candidate, `${file.name}: npm release candidate`);
          const item = bulk.json.flags.find((f) => f.key === kase.flag);
          if (kase.expected.error_code === 'FLAG_NOT_FOUND') {
            if (item) failures.push(`${kase.name}: bulk: unknown flag answered`);
          } else if (!item) {
            failures.push(`${kase.name}: bulk: flag missing`);
          } else {
            for (const m of mismatches(kase.expected, fromItem(item))) failures.push(`${kase.name}: bulk: ${m}`);
          }
          continue;
        }
        at = kase.at;
        // The provider puts the key into the URL as it is; URL parsing would
        // strip a trailing space, so keys that need it are percent-encoded here.
        const flag = encodeURIComponent(kase.flag);
        const call = {
          boolean: () => client.getBooleanDetails(flag, kase.default, kase.context),
          string: () => client.getStringDetails(flag, kase.default, kase.context),
          number: () => client.getNumberDetails(flag, kase.default, kase.context),
          json: () => client.getObjectDetails(flag, kase.default, kase.context),
        }[type];
        assert.ok(call, `${kase.name}: unknown type ${type}`);
        const details = await call();
        const got = fromDetails(details);
        for (const m of mismatches(kase.expected, got)) failures.push(`${kase.name}: ${type} call: ${m}`);
        if (!details.errorCode) {
          const npmCall = {
            boolean: () => npmClient.getBooleanDetails(kase.flag, kase.default, kase.context),
            string: () => npmClient.getStringDetails(kase.flag, kase.default, kase.context),
            number: () => npmClient.getNumberDetails(kase.flag, kase.default, kase.context),
            json: () => npmClient.getObjectDetails(kase.flag, kase.default, kase.context),
          }[type];
          const npm = await npmCall();
          failures.push(...metadataDiff(`${kase.name} (${type})`, details.flagMetadata, npm.flagMetadata));
          compared += 1;
        }
      }
    } finally {
      flags.free();
      await worker.close();
    }
    assert.deepEqual(failures, [], `${failures.length} of ${file.cases.length} cases failed`);
  });
}

test('the suite promises at least 300 cases', () => {
  assert.ok(total >= 300, `only ${total} vector cases ran`);
  assert.ok(compared >= 250, `flagMetadata compared for only ${compared} cases`);
});
