// Plain context objects and context handles give the same results. A plain
// object is read attribute by attribute (only those the snapshot reads, and a
// converted context is reused while a flag's attributes are unchanged); a
// handle is the whole object converted once through JSON. Random contexts of
// every kind of value, over every vector snapshot, in random call orders, so
// that every way of reusing or rebuilding the converted context is taken.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test from "node:test";

import { EdgeFlags } from "edgeflag";

import { FIXTURES } from "../support/fixtures.mjs";

const pem = readFileSync(join(FIXTURES, "key.pub.pem"), "utf8");
const dir = join(FIXTURES, "vectors");
const snapshots = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));

// mulberry32: a seeded sequence, so a failure can be replayed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The attribute names the vectors use, plus some no snapshot reads.
const NAMES = [...new Set(snapshots.flatMap((s) => s.cases.flatMap((c) => Object.keys(c.context ?? {}))))];
NAMES.push("unread", "__proto__", "constructor", "toString");

class Tagged {
  constructor(v) {
    this.v = v;
  }
  toJSON() {
    return this.v;
  }
}

// Values from the vectors (what the conditions compare against) and edge cases.
function pools() {
  const seen = snapshots.flatMap((s) => s.cases.flatMap((c) => Object.values(c.context ?? {})));
  return [
    ...seen,
    "", "US", "de", "1.2.3", "v2.0.0-beta.1", "2.3.0+build.5", "10.0.0", "2026-12-01T00:00:00Z",
    "2026-12-01T00:00:00.000001+01:00", "user-1", "x;y:z", "u42", "é😀", "\ud800", "d1;", "s3:abc",
    0, -0, 1, -1, 0.5, 41, 1e21, 2 ** 53, -(2 ** 53) - 2, NaN, Infinity, -Infinity,
    true, false, null, undefined,
  ];
}

function value(r, pool, depth = 0) {
  const k = r();
  if (k < 0.7) return pool[Math.floor(r() * pool.length)];
  if (k < 0.78) return new Date(Date.UTC(2026, 11, 1 + Math.floor(r() * 5), Math.floor(r() * 24)));
  if (k < 0.8) return new Date(NaN);
  if (k < 0.86 && depth < 2) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, pool, depth + 1));
  if (k < 0.89 && depth < 2) return { nested: value(r, pool, depth + 1) };
  if (k < 0.91) return new Tagged(pool[Math.floor(r() * pool.length)]);
  if (k < 0.93) return new String("boxed");
  if (k < 0.95) return () => "a function";
  if (k < 0.97) return Symbol("s");
  return pool[Math.floor(r() * pool.length)];
}

// An own property even for `__proto__`, whose assignment would set the prototype.
function put(o, name, v) {
  Object.defineProperty(o, name, { value: v, enumerable: true, writable: true, configurable: true });
}

function context(r, pool) {
  const out = {};
  for (const name of NAMES) if (r() < 0.45) put(out, name, value(r, pool));
  return out;
}

// For failure messages: any context, as text.
function show(x) {
  try {
    return JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
  } catch (e) {
    return `(${e.message})`;
  }
}

// What a handle of `ctx` answers, or undefined when it cannot be made.
function viaHandle(flags, key, ctx, at) {
  let handle;
  try {
    handle = flags.context(ctx);
  } catch {
    return undefined;
  }
  try {
    return flags.evaluate(key, handle, at);
  } finally {
    handle.free();
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

test("plain objects and handles agree on random contexts, in random call orders", () => {
  const r = rng(20261203);
  const pool = pools();
  let compared = 0;
  let invalid = 0;
  for (const snap of snapshots) {
    const flags = EdgeFlags.fromSnapshot(snap.envelope, { trustedKeys: [pem], environment: snap.environment });
    const keys = flags.flagKeys();
    const at = snap.cases[0]?.at;
    const contexts = Array.from({ length: 60 }, () => context(r, pool));
    // Pairs that differ in one attribute, to hit a converted context reused
    // for one flag and rebuilt for another.
    for (let i = 0; i < 20; i++) {
      const base = contexts[Math.floor(r() * contexts.length)];
      const name = NAMES[Math.floor(r() * NAMES.length)];
      const pair = { ...base };
      put(pair, name, value(r, pool));
      contexts.push(pair);
    }
    for (let n = 0; n < 1500; n++) {
      const ctx = contexts[Math.floor(r() * contexts.length)];
      // The OpenFeature SDK hands over a new, frozen copy on every call.
      const given = r() < 0.3 ? Object.freeze({ ...ctx }) : ctx;
      const key = keys[Math.floor(r() * keys.length)];
      const plain = flags.evaluate(key, given, at);
      const handled = viaHandle(flags, key, ctx, at);
      if (handled === undefined) {
        // A lone surrogate somewhere: JSON cannot carry it, so no handle. The
        // plain object fails only the flags that read it.
        const bad = Object.keys(ctx).filter((n) => viaHandle(flags, key, { [n]: ctx[n] }, at) === undefined);
        assert.ok(bad.length > 0, `${key}: no attribute of ${show(ctx)} is the one that fails`);
        if (plain.errorCode === "INVALID_CONTEXT") {
          const name = /attribute `([^`]+)`/.exec(plain.errorMessage)?.[1];
          assert.ok(bad.includes(name), `${key}: ${plain.errorMessage} names none of ${bad}`);
        } else {
          const rest = { ...ctx };
          for (const n of bad) delete rest[n];
          assert.ok(same(plain, viaHandle(flags, key, rest, at)), `${key} for ${show(ctx)}: ${show(plain)}`);
        }
        invalid++;
      } else {
        assert.ok(same(plain, handled), `${key} for ${show(ctx)}: plain ${show(plain)}, handle ${show(handled)}`);
      }
      compared++;
    }
    flags.free();
  }
  assert.ok(compared >= 20_000, `${compared} comparisons`);
  assert.ok(invalid > 0 && invalid < compared / 2, `${invalid} of ${compared} without a handle`);
});

test("a plain object changed between calls is read again", () => {
  const snap = snapshots.find((s) => s.cases.some((c) => c.context?.country !== undefined));
  const flags = EdgeFlags.fromSnapshot(snap.envelope, { trustedKeys: [pem], environment: snap.environment });
  const r = rng(7);
  // Every value converts here (no lone surrogates), so there is always a handle.
  const pool = pools().filter((v) => typeof v !== "string" || v.isWellFormed());
  let changes = 0;
  for (const c of snap.cases) {
    const ctx = { ...(c.context ?? {}) };
    for (let n = 0; n < 20; n++) {
      const name = NAMES[Math.floor(r() * NAMES.length)];
      const v = value(r, pool);
      // In place: the same object, and for lists the same array, changed.
      const held = Object.hasOwn(ctx, name) ? ctx[name] : undefined;
      if (Array.isArray(held) && r() < 0.5) held.push(v);
      else if (held instanceof Date && r() < 0.5) held.setTime(held.getTime() + 86_400_000);
      else put(ctx, name, v);
      for (const key of flags.flagKeys()) {
        const plain = flags.evaluate(key, ctx, c.at);
        const handled = viaHandle(flags, key, ctx, c.at);
        assert.ok(handled !== undefined && same(plain, handled), `${key} after ${name} changed: ${show(ctx)}`);
      }
      changes++;
    }
  }
  assert.ok(changes > 0);
  flags.free();
});

test("inherited properties are not attributes, as in JSON; own ones are, enumerable or not", () => {
  const snap = snapshots.find((s) => s.cases.some((c) => c.context?.country !== undefined));
  const flags = EdgeFlags.fromSnapshot(snap.envelope, { trustedKeys: [pem], environment: snap.environment });
  const c = snap.cases.find((x) => x.context?.country !== undefined);
  const inherited = Object.create(c.context);
  const hidden = Object.defineProperty({ ...c.context }, "country", { value: c.context.country, enumerable: false });
  const bare = Object.assign(Object.create(null), c.context);
  for (const key of flags.flagKeys()) {
    for (const ctx of [inherited, bare, c.context]) {
      assert.ok(same(flags.evaluate(key, ctx, c.at), viaHandle(flags, key, ctx, c.at)), `${key}`);
    }
    // Not JSON's reading (it skips the property): the plain path reads it.
    assert.ok(same(flags.evaluate(key, hidden, c.at), flags.evaluate(key, c.context, c.at)), `${key}: hidden`);
    // The inheriting object has no attributes at all.
    assert.ok(same(flags.evaluate(key, inherited, c.at), flags.evaluate(key, {}, c.at)));
  }
  flags.free();
});

test("a value that cannot convert fails the flags that read it, and only them", () => {
  const snap = snapshots.find((s) => s.cases.some((c) => c.context?.country !== undefined));
  const flags = EdgeFlags.fromSnapshot(snap.envelope, { trustedKeys: [pem], environment: snap.environment });
  const c = snap.cases.find((x) => x.context?.country !== undefined);
  const cyclic = [];
  cyclic.push(cyclic);
  let failed = 0;
  for (const bad of [10n, cyclic, { toJSON() { throw new Error("no"); } }]) {
    assert.throws(() => flags.context({ ...c.context, country: bad }), { code: "INVALID_CONTEXT" });
    const without = { ...c.context };
    delete without.country;
    for (const key of flags.flagKeys()) {
      const d = flags.evaluate(key, { ...c.context, country: bad }, c.at);
      if (d.errorCode === "INVALID_CONTEXT") {
        assert.match(d.errorMessage, /^the context attribute `country` cannot convert: /);
        assert.equal(d.reason, "ERROR");
        assert.equal(d.value, undefined);
        failed++;
      } else {
        // The flag does not read `country`: the value is never looked at.
        assert.ok(same(d, flags.evaluate(key, without, c.at)), key);
      }
      // Elsewhere it is never looked at either.
      assert.ok(same(flags.evaluate(key, { ...c.context, unread: bad }, c.at), flags.evaluate(key, c.context, c.at)));
    }
  }
  assert.ok(failed > 0, "some flag reads country");
  flags.free();
});

// Each vector case with each of its attributes replaced by each special value:
// what JSON makes of the value is what the plain path must make of it.
test("special values convert as JSON converts them, in every attribute a vector uses", () => {
  const specials = () => [
    NaN, Infinity, -Infinity, -0, 1e21, null, undefined, true, "",
    new Date(Date.UTC(2026, 11, 1)), new Date(NaN), new Tagged("2026-12-01T00:00:00Z"), new Tagged(5),
    new String("US"), new Number(3), () => 1, Symbol("s"), [], ["a", 1, null, undefined], { x: 1 },
  ];
  let compared = 0;
  for (const snap of snapshots) {
    const flags = EdgeFlags.fromSnapshot(snap.envelope, { trustedKeys: [pem], environment: snap.environment });
    for (const c of snap.cases) {
      for (const name of Object.keys(c.context ?? {})) {
        for (const v of specials()) {
          const ctx = { ...c.context };
          put(ctx, name, v);
          const plain = flags.evaluate(c.flag, ctx, c.at);
          assert.ok(same(plain, viaHandle(flags, c.flag, ctx, c.at)), `${c.name}: ${name} = ${String(v?.toString?.() ?? v)}: ${show(plain)}`);
          compared++;
        }
      }
    }
    flags.free();
  }
  assert.ok(compared >= 10_000, `${compared} comparisons`);
});

// A list or a Date changed in place is the same object with other contents:
// the plain path must notice, though the property still holds that object.
test("lists and Dates changed in place are read again", () => {
  let changed = 0;
  for (const snap of snapshots) {
    const flags = EdgeFlags.fromSnapshot(snap.envelope, { trustedKeys: [pem], environment: snap.environment });
    for (const c of snap.cases) {
      for (const [name, want] of Object.entries(c.context ?? {})) {
        const ctx = { ...c.context };
        let change;
        if (Array.isArray(want)) {
          const list = [];
          put(ctx, name, list);
          change = () => list.push(...want);
        } else if (typeof want === "string" && !Number.isNaN(Date.parse(want)) && /^\d{4}-/.test(want)) {
          const date = new Date(0);
          put(ctx, name, date);
          change = () => date.setTime(Date.parse(want));
        } else {
          continue;
        }
        flags.evaluate(c.flag, ctx, c.at); // converted with the old contents
        change();
        const plain = flags.evaluate(c.flag, ctx, c.at);
        assert.ok(same(plain, viaHandle(flags, c.flag, ctx, c.at)), `${c.name}: ${name} changed in place: ${show(plain)}`);
        changed++;
      }
    }
    flags.free();
  }
  assert.ok(changed >= 20, `only ${changed} lists and times changed`);
});
