// Plain context objects at the speed of a context handle. A snapshot knows
// which attributes its flags read (the core's `Snapshot::attributes`), and
// which of them each flag reads. So a call with a plain object reads only
// that flag's properties, and when they hold what one of the last few
// converted contexts held, evaluates with it again. Otherwise it reads every attribute
// the snapshot uses, encodes them compactly (no JSON text for strings,
// numbers, booleans, null or Dates) and has the wasm build one context.
//
// The values are JSON's, so both paths agree with `flags.context(object)`:
// an attribute is an own property; `toJSON` applies (a `Date` is its RFC 3339
// text); `NaN` and infinities are null; `undefined`, functions and symbols
// are absent; a BigInt or a lone surrogate cannot convert. Two differences,
// by design: only attributes the snapshot reads are looked at, so a value
// that cannot convert in an attribute no flag reads fails nothing; and an own
// property that is not enumerable counts (JSON skips it), because whether one
// is cannot be asked cheaply on every call.
//
// The encoding is read by `decode_slots` in crates/edgeflag-wasm/src/context.rs.

const hasOwn = Object.hasOwn;
const objectProto = Object.prototype;

// Whether a string has a UTF-8 form: JSON escapes a lone surrogate, which the
// core's JSON reader then refuses, so this path refuses it too.
const wellFormed =
  typeof String.prototype.isWellFormed === "function"
    ? (s) => s.isWellFormed()
    : (s) => !/\p{Surrogate}/u.test(s);

// One attribute's item in the encoding.
function item(v, name) {
  if (v === undefined) return "u";
  const type = typeof v;
  if ((type === "object" && v !== null) || type === "bigint" || type === "function") {
    if (typeof v.toJSON === "function") return item(v.toJSON(name), name);
  }
  switch (typeof v) {
    case "string":
      if (!wellFormed(v)) throw new TypeError("a string with a lone surrogate has no UTF-8 form");
      return `s${v.length}:${v}`;
    case "number":
      // `${v}` is ToString, which is also how JSON writes a finite number.
      return Number.isFinite(v) ? `d${v};` : "n";
    case "boolean":
      return v ? "t" : "f";
    case "object": {
      if (v === null) return "n";
      // Lists and nested objects are rare in contexts: JSON's own rules.
      const text = JSON.stringify(v);
      return text === undefined ? "u" : `j${text.length}:${text}`;
    }
    case "bigint":
      throw new TypeError("a BigInt has no JSON value");
    default:
      return "u";
  }
}

// How many converted contexts are kept. A server awaiting through the
// OpenFeature SDK interleaves the calls of concurrent requests at every
// await: with one kept context, two users' calls would convert on every call.
const KEPT = 8;

/** The converted contexts of plain objects, for one snapshot. */
export class PlainContexts {
  #core;
  #names;
  #reads;
  // Most recently used first: { seen (the property values it was made
  // from), text (their encoding), handle }.
  #kept = [];
  #empty;

  constructor(core) {
    this.#core = core;
    this.#names = core.attributes();
    this.#reads = core.flagKeys().map((_, flag) => Array.from(core.flagAttributes(flag)));
  }

  /**
   * The context handle for `object` as flag number `flag` reads it, or a
   * message saying why it does not convert. `object` is a non-null,
   * non-array object; the handle stays owned here.
   */
  handle(object, flag) {
    const proto = Object.getPrototypeOf(object);
    // Inherited properties are not attributes: an object with a prototype of
    // its own is read in full, where own-ness is checked.
    if (proto === objectProto || proto === null) {
      const kept = this.#kept;
      for (let k = 0; k < kept.length; k++) {
        if (this.#unchanged(object, flag, kept[k].seen)) {
          if (k > 0) kept.unshift(kept.splice(k, 1)[0]);
          return kept[0].handle;
        }
      }
    }
    return this.#convert(object);
  }

  // Whether the attributes flag number `flag` reads hold the values `seen`.
  #unchanged(object, flag, seen) {
    const reads = this.#reads[flag];
    const names = this.#names;
    for (let i = 0; i < reads.length; i++) {
      const at = reads[i];
      const v = object[names[at]];
      // Objects may have changed inside since: they are encoded again.
      if (v !== seen[at] || (typeof v === "object" && v !== null)) return false;
    }
    return true;
  }

  /** The empty context (`undefined` or `null` given). */
  empty() {
    this.#empty ??= this.#core.contextOf("u".repeat(this.#names.length));
    return this.#empty;
  }

  #convert(object) {
    const names = this.#names;
    const seen = new Array(names.length);
    let text = "";
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const v = hasOwn(object, name) ? object[name] : undefined;
      seen[i] = v;
      try {
        text += item(v, name);
      } catch (e) {
        return `the context attribute \`${name}\` cannot convert: ${e?.message ?? e}`;
      }
    }
    const kept = this.#kept;
    const k = kept.findIndex((c) => c.text === text);
    if (k >= 0) {
      const [c] = kept.splice(k, 1);
      c.seen = seen;
      kept.unshift(c);
      return c.handle;
    }
    let handle;
    try {
      handle = this.#core.contextOf(text);
    } catch (e) {
      return e?.message ?? String(e);
    }
    kept.unshift({ seen, text, handle });
    if (kept.length > KEPT) kept.pop().handle.free();
    return handle;
  }

  free() {
    for (const c of this.#kept) c.handle.free();
    this.#empty?.free();
    this.#kept = [];
    this.#empty = undefined;
  }
}
