// The package's API over the wasm core (crates/edgeflag-wasm). It converts
// and caches; every flag decision is the core's. An evaluation is one call
// into wasm that returns a small number: the result's position in a per-flag
// table of the distinct results seen so far, whose objects are built here once.
import {
  EdgeFlags as Core,
  FlagContext,
  Kind,
  envelopeBytes as coreEnvelopeBytes,
  markName,
  mayChange,
  timeMicros,
  uncachedOutcome,
} from "./edgeflag_wasm.js";
import { PlainContexts } from "./slots.js";

export { FlagContext, markName, mayChange };

// The wasm's own numbers, read from it rather than copied. UNCACHED is read
// when the first snapshot loads: the wasm is not instantiated before.
let UNCACHED;
const { Any: ANY, Boolean: BOOLEAN, String: STRING, Number: NUMBER, Object: OBJECT } = Kind;
const KINDS = { boolean: BOOLEAN, string: STRING, number: NUMBER, object: OBJECT };

const NEW = Symbol("EdgeFlags");

/** An error with a stable `code`, e.g. `BAD_SIGNATURE` or `EXPIRED`. */
export class EdgeFlagsError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "EdgeFlagsError";
    this.code = code;
  }
}

// The wasm throws Errors whose stable code is a property: data, not text.
function rethrow(e) {
  if (e instanceof Error && typeof e.code === "string") {
    throw new EdgeFlagsError(e.code, e.message, { cause: e });
  }
  throw e;
}

// Runs a call into the wasm with its errors as EdgeFlagsError.
function coded(f) {
  try {
    return f();
  } catch (e) {
    rethrow(e);
  }
}

/** An envelope as bytes, as `fromSnapshot` reads it (`MALFORMED` otherwise). */
export function envelopeBytes(envelope) {
  return coded(() => coreEnvelopeBytes(envelope));
}

// Microseconds since the epoch, the core's unit. Numbers and "now" are
// converted here because they are the hot path; Dates and strings by the wasm.
function micros(now) {
  if (now === undefined) return Date.now() * 1000;
  return typeof now === "number" ? now * 1000 : timeMicros(now);
}

// Results are shared between calls, so their values must not change.
function freeze(v) {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    for (const k of Object.keys(v)) freeze(v[k]);
    Object.freeze(v);
  }
  return v;
}

// The package's detail: OpenFeature's fields, then where the result came from.
function detail(o, value) {
  const d = resolution(o, value);
  d.rule = o.rule;
  d.stage = o.stage;
  d.percent = o.percent;
  return d;
}

// JSON's null where JS says "absent".
function tidy(o) {
  if (o.variant === null) o.variant = undefined;
  return o;
}

// OpenFeature's ResolutionDetails of a result with `value` as its value.
function resolution(o, value) {
  return {
    value,
    variant: o.variant,
    reason: o.reason,
    errorCode: o.errorCode,
    errorMessage: o.errorMessage,
    flagMetadata: o.flagMetadata,
  };
}

export class EdgeFlags {
  #core;
  #freed = false;
  #keys;
  #ids = new Map();
  #outcomes;
  #facts;
  #plain;

  /** @internal Use `EdgeFlags.fromSnapshot`. */
  constructor(token, core) {
    if (token !== NEW) throw new TypeError("use EdgeFlags.fromSnapshot(envelope, options)");
    UNCACHED ??= uncachedOutcome();
    this.#core = core;
    this.#keys = core.flagKeys();
    this.#keys.forEach((k, i) => this.#ids.set(k, i));
    this.#outcomes = this.#keys.map(() => []);
    this.#plain = new PlainContexts(core);
    this.#facts = Object.freeze({
      version: core.version,
      environment: core.environment,
      issuedAt: core.issuedAt,
      expiresAt: core.expiresAt,
      digest: core.digest,
      previous: core.previous,
      forced: core.forced,
      neverExpires: core.neverExpires,
      audience: core.audience,
      signedBy: Object.freeze(core.signedBy),
      candidate: core.candidate,
      promotion: core.promotion && Object.freeze(core.promotion),
    });
  }

  /**
   * Applies a worker's guard halts (the `halt` records of `GET /v1/guards`,
   * docs/guards.md) in place of any applied before, as the snapshot's signed
   * guards say; returns how many apply to this snapshot. Not in the browser
   * build (browsers read no guard ledger): there it throws `UNSUPPORTED`.
   */
  applyHalts(halts) {
    const core = this.#live();
    if (typeof core.applyHalts !== "function") {
      throw new EdgeFlagsError("UNSUPPORTED", "this build applies no guard halts (the browser build)");
    }
    const n = coded(() => core.applyHalts(JSON.stringify(Array.isArray(halts) ? halts : [])));
    // Results are numbered per snapshot state: a halt changes some.
    this.#outcomes = this.#keys.map(() => []);
    return n;
  }

  static fromSnapshot(envelope, options) {
    return new EdgeFlags(NEW, coded(() => Core.fromSnapshot(envelope, options)));
  }

  get version() { return this.#facts.version; }
  get environment() { return this.#facts.environment; }
  get issuedAt() { return this.#facts.issuedAt; }
  get expiresAt() { return this.#facts.expiresAt; }
  get digest() { return this.#facts.digest; }
  get previous() { return this.#facts.previous; }
  get forced() { return this.#facts.forced; }
  get neverExpires() { return this.#facts.neverExpires; }
  get audience() { return this.#facts.audience; }
  get signedBy() { return this.#facts.signedBy; }
  get candidate() { return this.#facts.candidate; }
  get promotion() { return this.#facts.promotion; }

  flagKeys() {
    return this.#keys.slice();
  }

  isExpired(now) {
    return this.#live().isExpired(micros(now));
  }

  context(attributes) {
    const core = this.#live();
    return coded(() => core.context(attributes));
  }

  evaluate(key, context, now) {
    const o = this.#resolve(key, ANY, context, micros(now));
    return detail(o, o.useDefault ? undefined : o.value);
  }

  evaluateAll(context, now) {
    this.#live();
    const t = micros(now);
    // A plain object is read as `evaluate` reads it, flag by flag, so that
    // both give the same results; a handle is evaluated in one call.
    if (!(context instanceof FlagContext)) {
      return this.#each((key) => {
        const o = this.#resolve(key, ANY, context, t);
        return detail(o, o.useDefault ? undefined : o.value);
      });
    }
    const ids = this.#core.resolveAll(context, t);
    const out = {};
    for (let flag = 0; flag < ids.length; flag++) {
      const o = this.#outcome(flag, ids[flag]);
      out[this.#keys[flag]] = detail(o, o.useDefault ? undefined : o.value);
    }
    return out;
  }

  booleanValue(key, context, defaultValue, now) {
    return this.#value(key, BOOLEAN, context, defaultValue, now);
  }
  stringValue(key, context, defaultValue, now) {
    return this.#value(key, STRING, context, defaultValue, now);
  }
  numberValue(key, context, defaultValue, now) {
    return this.#value(key, NUMBER, context, defaultValue, now);
  }
  objectValue(key, context, defaultValue, now) {
    return this.#value(key, OBJECT, context, defaultValue, now);
  }

  booleanDetails(key, context, defaultValue, now) {
    return this.#details(key, BOOLEAN, context, defaultValue, now);
  }
  stringDetails(key, context, defaultValue, now) {
    return this.#details(key, STRING, context, defaultValue, now);
  }
  numberDetails(key, context, defaultValue, now) {
    return this.#details(key, NUMBER, context, defaultValue, now);
  }
  objectDetails(key, context, defaultValue, now) {
    return this.#details(key, OBJECT, context, defaultValue, now);
  }

  // The wasm object, or FREED: a freed one would throw wasm-bindgen's
  // uncoded error.
  #live() {
    if (this.#freed) throw new EdgeFlagsError("FREED", "this snapshot was freed");
    return this.#core;
  }

  // The console's extras are not in the size-tuned browser build.
  #console(method) {
    this.#live();
    if (typeof this.#core[method] !== "function") {
      throw new EdgeFlagsError(
        "UNSUPPORTED",
        `${method}() is not in the size-tuned browser build; import it from "edgeflag/console"`,
      );
    }
  }

  status(now) {
    this.#console("status");
    return coded(() => this.#core.status(micros(now)));
  }

  simulate(flagKeys, users, now, template) {
    this.#console("simulate");
    let handle;
    try {
      handle = template instanceof FlagContext ? template : this.#core.context(template);
      return this.#core.simulate(Array.from(flagKeys ?? [], String), users, micros(now), handle);
    } catch (e) {
      rethrow(e);
    } finally {
      if (handle !== undefined && handle !== template) handle.free();
    }
  }

  definitions() {
    this.#console("definitions");
    return coded(() => this.#core.definitions());
  }

  changedFlags(previous) {
    this.#console("changedFlags");
    if (!(previous instanceof EdgeFlags)) {
      throw new EdgeFlagsError("INVALID_ARGUMENT", "changedFlags takes the previous EdgeFlags");
    }
    const before = previous.#live();
    return coded(() => this.#core.changedFlags(before));
  }

  /** Frees the wasm memory now rather than at garbage collection. */
  free() {
    if (this.#freed) return;
    this.#freed = true;
    this.#plain.free();
    this.#core.free();
  }

  #value(key, kind, context, defaultValue, now) {
    const o = this.#resolve(key, kind, context, micros(now));
    return o.useDefault ? defaultValue : o.value;
  }

  #details(key, kind, context, defaultValue, now) {
    const o = this.#resolve(key, kind, context, micros(now));
    return detail(o, o.useDefault ? defaultValue : o.value);
  }

  /**
   * @internal The OpenFeature providers' call: the ResolutionDetails of a
   * typed call (`type` is "boolean", "string", "number" or "object"). When
   * the flag's value is served, the object is frozen and shared by every call
   * with the same result, so the hot path allocates nothing.
   */
  _resolution(type, key, context, defaultValue, now) {
    const o = this.#resolve(key, KINDS[type] ?? ANY, context, micros(now));
    return o.resolution ?? resolution(o, defaultValue);
  }

  #resolve(key, kind, context, t) {
    if (this.#freed) this.#live();
    const flag = this.#ids.get(key);
    if (flag === undefined) return this.#missing(key);
    let handle = context;
    if (!(context instanceof FlagContext)) {
      if (context === undefined || context === null) {
        handle = this.#plain.empty();
      } else if (typeof context !== "object" || Array.isArray(context)) {
        // The core says what is wrong with it.
        return this.#outcome(flag, this.#core.resolveWith(context, flag, kind, t));
      } else {
        handle = this.#plain.handle(context, flag);
        if (typeof handle === "string") {
          return this.#outcome(flag, this.#core.invalidContext(flag, handle));
        }
      }
    }
    return this.#outcome(flag, this.#core.resolve(handle, flag, kind, t));
  }

  #outcome(flag, id) {
    if (id !== UNCACHED) {
      const known = this.#outcomes[flag][id];
      if (known !== undefined) return known;
    }
    // The result carries the core's flagMetadata, frozen and shared.
    const o = tidy(id === UNCACHED ? this.#core.lastOutcome() : this.#core.outcome(flag, id));
    // Made once per distinct result, for `_resolution` (not in `detail`).
    o.resolution = o.useDefault ? undefined : resolution(o, o.value);
    freeze(o);
    if (id !== UNCACHED) this.#outcomes[flag][id] = o;
    return o;
  }

  #missing(key) {
    const o = tidy(this.#live().missing(String(key)));
    o.resolution = undefined;
    return freeze(o);
  }

  #each(f) {
    const out = {};
    for (const key of this.#keys) out[key] = f(key);
    return out;
  }
}

if (typeof Symbol.dispose === "symbol") {
  EdgeFlags.prototype[Symbol.dispose] = EdgeFlags.prototype.free;
}

