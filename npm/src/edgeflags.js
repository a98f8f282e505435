// The package's API over the wasm core (crates/edgeflag-wasm). It converts
// and caches; every flag decision is the core's. An evaluation is one call
// into wasm that returns a small number: the result's position in a per-flag
// table of the distinct results seen so far, whose objects are built here once.
import { EdgeFlags as Core, FlagContext, mayChange, timeMicros } from "./edgeflag_wasm.js";

export { FlagContext, mayChange };

// Shared with crates/edgeflag-wasm/src/resolve.rs.
const UNCACHED = 0xffffffff;
const ANY = 0;
const BOOLEAN = 1;
const STRING = 2;
const NUMBER = 3;
const OBJECT = 4;

const CODED = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/;
const NEW = Symbol("EdgeFlags");

/** An error with a stable `code`, e.g. `BAD_SIGNATURE` or `EXPIRED`. */
export class EdgeFlagsError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "EdgeFlagsError";
    this.code = code;
  }
}

// The wasm's errors read "CODE: message" (a JsError carries only a message).
function rethrow(e) {
  const m = e instanceof Error ? CODED.exec(e.message) : null;
  if (m) throw new EdgeFlagsError(m[1], m[2], { cause: e });
  throw e;
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

function detail(o, value) {
  return {
    value,
    variant: o.variant,
    reason: o.reason,
    errorCode: o.errorCode,
    errorMessage: o.errorMessage,
    flagMetadata: o.flagMetadata,
    rule: o.rule,
    stage: o.stage,
    percent: o.percent,
  };
}

// JSON's null where JS says "absent".
function tidy(o) {
  if (o.variant === null) o.variant = undefined;
  return o;
}

export class EdgeFlags {
  #core;
  #keys;
  #ids = new Map();
  #outcomes;
  #metadata;
  #facts;

  /** @internal Use `EdgeFlags.fromSnapshot`. */
  constructor(token, core) {
    if (token !== NEW) throw new TypeError("use EdgeFlags.fromSnapshot(envelope, options)");
    this.#core = core;
    this.#keys = core.flagKeys();
    this.#keys.forEach((k, i) => this.#ids.set(k, i));
    this.#outcomes = this.#keys.map(() => []);
    this.#metadata = new Array(this.#keys.length);
    this.#facts = Object.freeze({
      version: core.version,
      environment: core.environment,
      issuedAt: core.issuedAt,
      expiresAt: core.expiresAt,
      digest: core.digest,
      previous: core.previous,
      forced: core.forced,
      neverExpires: core.neverExpires,
      signedBy: Object.freeze(core.signedBy),
    });
  }

  static fromSnapshot(envelope, options) {
    let core;
    try {
      core = Core.fromSnapshot(envelope, options);
    } catch (e) {
      rethrow(e);
    }
    return new EdgeFlags(NEW, core);
  }

  get version() { return this.#facts.version; }
  get environment() { return this.#facts.environment; }
  get issuedAt() { return this.#facts.issuedAt; }
  get expiresAt() { return this.#facts.expiresAt; }
  get digest() { return this.#facts.digest; }
  get previous() { return this.#facts.previous; }
  get forced() { return this.#facts.forced; }
  get neverExpires() { return this.#facts.neverExpires; }
  get signedBy() { return this.#facts.signedBy; }

  flagKeys() {
    return this.#keys.slice();
  }

  isExpired(now) {
    return this.#core.isExpired(micros(now));
  }

  context(attributes) {
    try {
      return this.#core.context(attributes);
    } catch (e) {
      rethrow(e);
    }
  }

  evaluate(key, context, now) {
    const o = this.#resolve(key, ANY, context, micros(now));
    return detail(o, o.useDefault ? undefined : o.value);
  }

  evaluateAll(context, now) {
    const t = micros(now);
    let handle = context;
    if (!(context instanceof FlagContext)) {
      try {
        handle = this.#core.context(context);
      } catch {
        // Every flag then reports the context's error, with its metadata.
        return this.#each((key) => {
          const o = this.#resolve(key, ANY, context, t);
          return detail(o, undefined);
        });
      }
    }
    try {
      const ids = this.#core.resolveAll(handle, t);
      const out = {};
      for (let flag = 0; flag < ids.length; flag++) {
        const o = this.#outcome(flag, ids[flag]);
        out[this.#keys[flag]] = detail(o, o.useDefault ? undefined : o.value);
      }
      return out;
    } finally {
      if (handle !== context) handle.free();
    }
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

  // The console's extras are not in the size-tuned browser build.
  #console(method) {
    if (typeof this.#core[method] !== "function") {
      throw new EdgeFlagsError(
        "UNSUPPORTED",
        `${method}() is not in the size-tuned browser build; import it from "edgeflag/console"`,
      );
    }
  }

  status(now) {
    this.#console("status");
    try {
      return this.#core.status(micros(now));
    } catch (e) {
      rethrow(e);
    }
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
    return this.#core.definitions();
  }

  changedFlags(previous) {
    this.#console("changedFlags");
    return this.#core.changedFlags(previous.#core);
  }

  /** Frees the wasm memory now rather than at garbage collection. */
  free() {
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

  #resolve(key, kind, context, t) {
    const flag = this.#ids.get(key);
    if (flag === undefined) return this.#missing(key);
    const id =
      context instanceof FlagContext
        ? this.#core.resolve(context, flag, kind, t)
        : this.#core.resolveWith(context, flag, kind, t);
    return this.#outcome(flag, id);
  }

  #outcome(flag, id) {
    if (id !== UNCACHED) {
      const known = this.#outcomes[flag][id];
      if (known !== undefined) return known;
    }
    const o = tidy(id === UNCACHED ? this.#core.lastOutcome() : this.#core.outcome(flag, id));
    o.flagMetadata = this.#metadata[flag] ??= freeze(this.#core.flagMetadata(flag));
    freeze(o);
    if (id !== UNCACHED) this.#outcomes[flag][id] = o;
    return o;
  }

  #missing(key) {
    return freeze(tidy(this.#core.missing(String(key))));
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
