// Plain context objects at the speed of a context handle. A snapshot knows
// which attributes its flags read (the core's `Snapshot::attributes`), and
// which of them each flag reads. So a call with a plain object reads only
// that flag's properties, and when they hold what the last converted context
// held, evaluates with that context again. Otherwise it reads every attribute
// the snapshot uses, encodes them compactly (no JSON text for strings,
// numbers, booleans, null or Dates) and has the wasm build one context.
//
// The values are JSON's, so both paths agree with `flags.context(object)`:
// an attribute is an own enumerable property; `toJSON` applies (a `Date` is
// its RFC 3339 text); `NaN` and infinities are null; `undefined`, functions
// and symbols are absent; a BigInt or a lone surrogate cannot convert. One difference, by
// design: only attributes the snapshot reads are looked at, so a value that
// cannot convert in an attribute no flag reads does not fail an evaluation.
//
// The encoding is read by `decode_slots` in crates/edgeflag-wasm/src/context.rs.

const enumerable = Object.prototype.propertyIsEnumerable;
const objectProto = Object.prototype;
// A value no property holds, for slots not read yet.
const UNREAD = Symbol("unread");

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

/** The converted contexts of plain objects, for one snapshot. */
export class PlainContexts {
  #core;
  #names;
  #reads;
  // The raw property values the held context was made from.
  #seen;
  #held;
  #heldText;
  #empty;

  constructor(core) {
    this.#core = core;
    this.#names = core.attributes();
    this.#reads = core.flagKeys().map((_, flag) => Array.from(core.flagAttributes(flag)));
    this.#seen = this.#names.map(() => UNREAD);
  }

  /**
   * The context handle for `object` as flag number `flag` reads it, or a
   * message saying why it does not convert. `object` is a non-null,
   * non-array object; the handle stays owned here.
   */
  handle(object, flag) {
    const held = this.#held;
    const proto = Object.getPrototypeOf(object);
    // Inherited properties are not attributes: an object with a prototype of
    // its own is read in full, where own-ness is checked.
    if (held !== undefined && (proto === objectProto || proto === null)) {
      const reads = this.#reads[flag];
      const names = this.#names;
      const seen = this.#seen;
      let same = true;
      for (let i = 0; i < reads.length; i++) {
        const at = reads[i];
        const v = object[names[at]];
        // Objects may have changed inside since: they are encoded again.
        if (v !== seen[at] || (typeof v === "object" && v !== null)) {
          same = false;
          break;
        }
      }
      if (same) return held;
    }
    return this.#convert(object);
  }

  /** The empty context (`undefined` or `null` given). */
  empty() {
    this.#empty ??= this.#core.contextOf("u".repeat(this.#names.length));
    return this.#empty;
  }

  #convert(object) {
    const names = this.#names;
    const raw = new Array(names.length);
    let text = "";
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const v = enumerable.call(object, name) ? object[name] : undefined;
      raw[i] = v;
      try {
        text += item(v, name);
      } catch (e) {
        return `the context attribute \`${name}\` cannot convert: ${e?.message ?? e}`;
      }
    }
    this.#seen = raw;
    if (text === this.#heldText) return this.#held;
    let handle;
    try {
      handle = this.#core.contextOf(text);
    } catch (e) {
      return e?.message ?? String(e);
    }
    this.#held?.free();
    this.#held = handle;
    this.#heldText = text;
    return handle;
  }

  free() {
    this.#held?.free();
    this.#empty?.free();
    this.#held = this.#empty = this.#heldText = undefined;
    this.#seen.fill(UNREAD);
  }
}
