// OpenFeature providers on the wasm core: EdgeFlagsServerProvider for
// @openfeature/server-sdk (dynamic context: each call's context is converted
// for that call) and EdgeFlagsWebProvider for @openfeature/web-sdk (static
// context: parsed once when it changes). Both load a signed snapshot from
// bytes and/or a URL, poll the URL with ETag, verify every new snapshot before
// use, keep the last good one on any failure, and emit the provider events.
// They emit and return the SDKs' string values, so neither SDK is needed at
// run time: the package peer-depends on both, optionally.
import { EdgeFlags, EdgeFlagsError, envelopeBytes, markName, mayChange } from "edgeflag";
import { Tracker } from "./track.js";

const READY = "PROVIDER_READY";
const ERROR = "PROVIDER_ERROR";
const STALE = "PROVIDER_STALE";
const CHANGED = "PROVIDER_CONFIGURATION_CHANGED";
// setTimeout's longest delay.
const MAX_DELAY = 2 ** 31 - 1;

/** The SDKs' ProviderEventEmitter: handlers per event type, called in order. */
class Events {
  #handlers = new Map();
  #logger;

  emit(type, details) {
    for (const handler of this.getHandlers(type)) {
      try {
        const r = handler(details);
        if (r && typeof r.catch === "function") r.catch((e) => this.#fail(e));
      } catch (e) {
        this.#fail(e);
      }
    }
  }
  addHandler(type, handler) {
    this.#handlers.set(type, [...this.getHandlers(type), handler]);
  }
  removeHandler(type, handler) {
    const list = this.getHandlers(type);
    const i = list.lastIndexOf(handler);
    if (i >= 0) list.splice(i, 1);
    this.#handlers.set(type, list);
  }
  removeAllHandlers(type) {
    if (type === undefined) this.#handlers.clear();
    else this.#handlers.delete(type);
  }
  getHandlers(type) {
    return [...(this.#handlers.get(type) ?? [])];
  }
  setLogger(logger) {
    this.#logger = logger;
    return this;
  }
  #fail(e) {
    this.#logger?.error?.("edgeflag: an event handler failed", e);
  }
}

function unref(timer) {
  if (timer && typeof timer.unref === "function") timer.unref();
  return timer;
}

function sameBytes(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NOT_READY = (defaultValue) => ({
  value: defaultValue,
  reason: "ERROR",
  errorCode: "PROVIDER_NOT_READY",
  errorMessage: "no verified snapshot has loaded yet",
  flagMetadata: {},
});

/** A floor store in `localStorage`: `edgeflag:floor:<environment>` holds the mark as JSON. */
export function localStorageFloor(storage) {
  // Looked up on use: reading `localStorage` throws where storage is blocked.
  const store = () => storage ?? globalThis.localStorage;
  const key = (env) => `edgeflag:floor:${env}`;
  const load = (env) => {
    const text = store().getItem(key(env));
    return text === null ? undefined : JSON.parse(text);
  };
  return {
    load,
    save(env, mark) {
      // Another tab may have stored a higher mark meanwhile: never lower it.
      const held = load(env);
      if (held && Number.isInteger(held.version) && held.version > mark.version) return;
      store().setItem(key(env), JSON.stringify({ version: mark.version, digest: mark.digest }));
    },
  };
}

/** A floor store in memory (one per process, or for tests). */
export function memoryFloor() {
  const marks = new Map();
  return {
    marks,
    load: (env) => marks.get(env),
    save: (env, mark) => void marks.set(env, { version: mark.version, digest: mark.digest }),
  };
}

/** What both providers share: loading, polling, verifying, events. */
class Provider {
  metadata = Object.freeze({ name: "edgeflag" });
  hooks = [];
  events = new Events();

  #options;
  #flags;
  #floor;
  #bytes;
  #etag;
  #state = "NOT_READY";
  #failed = false;
  // Whether the last snapshot fetched was rejected (a 304 repeats its verdict,
  // unless that verdict depended on the clock: then `#retry` holds its bytes).
  #rejected = false;
  #retry;
  #initializing = false;
  #queued = [];
  #pollTimer;
  #expiryTimer;
  #polling;
  #closed = false;
  #tracker;
  #guardsUrl;
  // The worker's guard halts (docs/guards.md), applied to every snapshot served.
  #halts = [];
  #haltsKey = "[]";
  #haltsError;

  constructor(options) {
    if (!options || !Array.isArray(options.trustedKeys)) {
      throw new TypeError("edgeflag: options.trustedKeys (pem public keys) is required");
    }
    if (options.url === undefined && options.snapshot === undefined) {
      throw new TypeError("edgeflag: give options.url, options.snapshot or both");
    }
    if (typeof options.environment !== "string" || options.environment === "") {
      throw new TypeError("edgeflag: options.environment (the environment this provider serves) is required");
    }
    const audience = options.audience ?? this._defaultAudience();
    if (audience !== "server" && audience !== "browser") {
      throw new TypeError('edgeflag: options.audience must be "server" or "browser"');
    }
    this.#options = { pollIntervalMs: 30_000, requestTimeoutMs: 10_000, ...options, audience };
    // Pointed at an edgeflag worker (its `/v1/snapshot`), events go to that
    // worker and the server provider reads its halts, unless told otherwise.
    let snapshotUrl;
    try {
      // Relative to the page in a browser.
      snapshotUrl = options.url === undefined ? undefined : new URL(options.url, globalThis.location?.href);
    } catch {
      snapshotUrl = undefined; // fetch will say what is wrong with it
    }
    const worker = snapshotUrl?.pathname === "/v1/snapshot";
    const near = (path) => (worker ? new URL(path, snapshotUrl) : undefined);
    const trackUrl = options.trackUrl === undefined ? near("/v1/track") : options.trackUrl;
    if (trackUrl) {
      this.#tracker = new Tracker({
        url: trackUrl,
        headers: options.headers,
        fetch: options.fetch,
        requestTimeoutMs: this.#options.requestTimeoutMs,
        ...options.tracking,
      });
    }
    const guardsUrl = options.guardsUrl === undefined ? (audience === "server" ? near("/v1/guards") : undefined) : options.guardsUrl;
    this.#guardsUrl = guardsUrl || undefined;
  }

  /**
   * OpenFeature's tracking API: queues the event for the worker's
   * `POST /v1/track`, batched, retried and bounded (see `tracking`).
   */
  track(trackingEventName, context, trackingEventDetails) {
    this.#tracker?.track(trackingEventName, context, trackingEventDetails);
  }

  /** Sends the tracked events queued so far. */
  async flushTracking() {
    await this.#tracker?.flush();
  }

  /** What tracking has done: events accepted, counted, refused, dropped, retries, the last error. */
  get tracking() {
    return this.#tracker ? { ...this.#tracker.stats, queued: this.#tracker.queued } : undefined;
  }

  /** The guard halts applied (from the worker's `GET /v1/guards`). */
  get halts() {
    return this.#halts;
  }

  /** Why the last read or application of the halts failed, if it did. */
  get haltsError() {
    return this.#haltsError;
  }

  /** @internal Whom the snapshots this provider accepts are for: the web provider takes browser snapshots. */
  _defaultAudience() {
    return "server";
  }

  // Browser and server snapshots are numbered apart: each keeps its own
  // floor, under the core's name for it.
  #floorName() {
    return markName(this.#options.environment, this.#options.audience);
  }

  /** @internal The floor store when none is given (the web provider keeps one in localStorage). */
  _defaultFloorStore() {
    return undefined;
  }

  #floorStore() {
    return this.#options.floorStore === undefined ? this._defaultFloorStore() : this.#options.floorStore;
  }

  async #loadFloor() {
    try {
      const store = this.#floorStore();
      if (!store) return;
      const mark = await store.load(this.#floorName());
      if (mark === undefined || mark === null) return;
      if (!Number.isSafeInteger(mark.version) || mark.version < 0 || typeof mark.digest !== "string") {
        throw new Error(`it holds ${JSON.stringify(mark)}, not { version, digest }`);
      }
      this.#floor = { version: mark.version, digest: mark.digest };
    } catch (e) {
      this.#fail(new EdgeFlagsError("FLOOR_STORE", `the floor store could not be read: ${e?.message ?? e}`, { cause: e }));
    }
  }

  #saveFloor(flags) {
    // Acceptance never goes below the floor; at the floor itself there is nothing to save.
    if (this.#floor && this.#floor.version >= flags.version) return;
    const mark = { version: flags.version, digest: flags.digest };
    this.#floor = mark;
    const report = (e) => this.#fail(new EdgeFlagsError("FLOOR_STORE", `the floor store could not be written: ${e?.message ?? e}`, { cause: e }));
    try {
      const store = this.#floorStore();
      if (!store) return;
      const r = store.save(this.#floorName(), mark);
      if (r && typeof r.catch === "function") r.catch(report);
    } catch (e) {
      report(e);
    }
  }

  /** The snapshot being served, once one has verified. */
  get flags() {
    return this.#flags;
  }

  async initialize() {
    this.#closed = false;
    this.#initializing = true;
    let error;
    try {
      await this.#loadFloor();
      if (this.#options.snapshot !== undefined) {
        try {
          this.update(this.#options.snapshot);
        } catch {
          // Reported below if it still matters; the URL may have a good snapshot.
        }
      }
      if (this.#options.url !== undefined) await this.#poll();
      this.#schedulePoll();
      error = this.#queued.findLast((e) => e.type === ERROR);
      if (!this.#flags) {
        throw new EdgeFlagsError("NO_SNAPSHOT", `no snapshot verified${error ? ` (${error.details.message})` : ""}`);
      }
    } finally {
      // Events during initialization are summed up once it is over: the SDK
      // reports READY (or ERROR, when this throws) itself.
      this.#initializing = false;
      this.#queued = [];
    }
    this.#state = READY;
    setTimeout(() => {
      if (this.#failed && error) {
        this.#state = ERROR;
        this.events.emit(ERROR, error.details);
      }
      this.#settle();
    }, 0);
  }

  async onClose() {
    await this.#tracker?.close();
    this.#closed = true;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#expiryTimer);
  }

  /**
   * Verifies `envelope` and serves it if it is newer than the current
   * snapshot. Throws (and emits PROVIDER_ERROR) when it does not verify;
   * returns whether it replaced the current snapshot.
   */
  update(envelope) {
    const bytes = envelopeBytes(envelope);
    if (sameBytes(this.#bytes, bytes)) {
      this.#failed = false;
      this.#settle();
      return false;
    }
    const current = this.#flags;
    let next;
    try {
      // The core's acceptance policy decides, against what is served and
      // the floor: no copy of its rules here.
      next = EdgeFlags.fromSnapshot(bytes, {
        trustedKeys: this.#options.trustedKeys,
        threshold: this.#options.threshold,
        environment: this.#options.environment,
        audience: this.#options.audience,
        minVersion: this.#options.minVersion,
        now: this.#now(),
        current,
        floor: this.#floor,
      });
    } catch (e) {
      this.#fail(e);
      throw e;
    }
    if (this.#halts.length > 0) this.#applyHalts(next);
    this.#flags = next;
    this.#bytes = bytes.slice();
    this.#failed = false;
    this.#saveFloor(next);
    this.#watchExpiry();
    // The same payload signed again (a co-signature) changes nothing served.
    if (current && current.digest !== next.digest) {
      this.#emit(CHANGED, {
        message: `snapshot version ${current.version} -> ${next.version}`,
        flagsChanged: next.changedFlags(current),
        metadata: { version: next.version, previousVersion: current.version },
      });
    }
    this.#settle();
    return true;
  }

  /** Fetches the URL now (also done every `pollIntervalMs`). */
  async refresh() {
    await this.#poll();
  }

  #now() {
    return this.#options.now ? this.#options.now() : undefined;
  }

  /** The high-water mark this provider holds to (from its floor store and what it accepted). */
  get floor() {
    return this.#floor;
  }

  async #poll() {
    if (this.#options.url === undefined) return;
    if (this.#polling) return this.#polling;
    this.#polling = (async () => {
      const headers = { ...this.#options.headers };
      if (this.#etag) headers["If-None-Match"] = this.#etag;
      let res;
      try {
        const fetcher = this.#options.fetch ?? globalThis.fetch;
        res = await fetcher(this.#options.url, {
          headers,
          signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
        });
        // 304: what was fetched last time, good or bad, still stands; a
        // refusal that depended on the clock is judged again (a snapshot
        // issued seconds "in the future" by a skewed clock becomes valid).
        if (res.status === 304) {
          if (this.#retry) this.#offerFetched(this.#retry);
          else this.#failed = this.#rejected;
          return;
        }
        if (!res.ok) {
          throw new EdgeFlagsError("FETCH_FAILED", `GET ${this.#options.url}: ${res.status} ${res.statusText}`);
        }
        const bytes = new Uint8Array(await res.arrayBuffer());
        this.#etag = res.headers.get("ETag") ?? undefined;
        this.#offerFetched(bytes);
      } catch (e) {
        this.#fail(e instanceof EdgeFlagsError ? e : new EdgeFlagsError("FETCH_FAILED", `GET ${this.#options.url}: ${e.message}`, { cause: e }));
      } finally {
        await this.#pollHalts();
        this.#polling = undefined;
        this.#settle();
      }
    })();
    return this.#polling;
  }

  // The worker's halts: a read that fails keeps the last ones (a halt only
  // ever holds a rollout or rolls it back, so keeping it is the safe side).
  async #pollHalts() {
    if (!this.#guardsUrl || this.#closed) return;
    try {
      const fetcher = this.#options.fetch ?? globalThis.fetch;
      const res = await fetcher(this.#guardsUrl, {
        headers: { ...this.#options.headers },
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      const view = await res.json();
      const halts = (Array.isArray(view?.guards) ? view.guards : []).map((g) => g?.halt).filter((h) => h && typeof h === "object");
      const key = JSON.stringify(halts);
      if (key === this.#haltsKey) return;
      this.#halts = halts;
      this.#haltsKey = key;
      this.#haltsError = undefined;
      if (this.#flags) {
        this.#applyHalts(this.#flags);
        this.#emit(CHANGED, {
          message: `guard halts: ${halts.map((h) => `${h.flag}${h.rule ? ` (${h.rule})` : ""} on ${h.metric}`).join(", ") || "none"}`,
          flagsChanged: [...new Set(halts.map((h) => h.flag))],
          metadata: { version: this.#flags.version, halts: halts.length },
        });
      }
    } catch (e) {
      this.#haltsError = `GET ${this.#guardsUrl}: ${e?.message ?? e}`;
    }
  }

  #applyHalts(flags) {
    try {
      flags.applyHalts(this.#halts);
    } catch (e) {
      this.#haltsError = String(e?.message ?? e);
    }
  }

  #offerFetched(bytes) {
    try {
      this.update(bytes);
      this.#rejected = false;
      this.#retry = undefined;
    } catch (e) {
      // Reported as an event by update; the last good snapshot serves on.
      this.#rejected = true;
      this.#retry = e instanceof EdgeFlagsError && mayChange(e.code) ? bytes : undefined;
    }
  }

  #schedulePoll() {
    const every = this.#options.pollIntervalMs;
    if (this.#options.url === undefined || !(every > 0) || this.#closed) return;
    clearTimeout(this.#pollTimer);
    this.#pollTimer = unref(
      setTimeout(async () => {
        await this.#poll();
        this.#schedulePoll();
      }, Math.min(every, MAX_DELAY)),
    );
  }

  #watchExpiry() {
    clearTimeout(this.#expiryTimer);
    const at = this.#flags?.expiresAt;
    if (at === undefined || this.#closed) return;
    const now = this.#now() ?? Date.now();
    const wait = Date.parse(at) - new Date(now).getTime() + 1;
    this.#expiryTimer = unref(
      setTimeout(() => (wait > MAX_DELAY ? this.#watchExpiry() : this.#settle()), Math.max(0, Math.min(wait, MAX_DELAY))),
    );
  }

  #fail(e) {
    this.#failed = true;
    this.#state = ERROR;
    const code = e instanceof EdgeFlagsError ? e.code : "GENERAL";
    const message = e instanceof EdgeFlagsError ? `${e.code}: ${e.message}` : String(e?.message ?? e);
    const metadata = { code };
    if (this.#flags) metadata.servingVersion = this.#flags.version;
    this.#emit(ERROR, { message, metadata });
  }

  // READY or STALE, whichever holds now, when the provider is not failing.
  #settle() {
    if (this.#initializing || this.#failed || !this.#flags || this.#closed) return;
    const want = this.#flags.isExpired(this.#now()) ? STALE : READY;
    if (want === this.#state) return;
    this.#state = want;
    const details =
      want === STALE
        ? { message: `snapshot version ${this.#flags.version} expired at ${this.#flags.expiresAt}`, metadata: { version: this.#flags.version } }
        : { message: `serving snapshot version ${this.#flags.version}`, metadata: { version: this.#flags.version } };
    this.#emit(want, details);
  }

  #emit(type, details) {
    if (this.#closed) return;
    if (this.#initializing) this.#queued.push({ type, details });
    else this.events.emit(type, details);
  }

  /**
   * @internal The resolution of a typed call on the current snapshot, with
   * the core's OpenFeature flagMetadata, as the OFREP worker sends it.
   */
  _resolve(type, key, defaultValue, context) {
    const flags = this.#flags;
    if (!flags) return NOT_READY(defaultValue);
    const now = this.#options.now;
    return flags._resolution(type, key, context, defaultValue, now ? now() : undefined);
  }
}

/** A provider for @openfeature/server-sdk: the context comes with each call. */
export class EdgeFlagsServerProvider extends Provider {
  runsOn = "server";

  async resolveBooleanEvaluation(flagKey, defaultValue, context) {
    return this._resolve("boolean", flagKey, defaultValue, context);
  }
  async resolveStringEvaluation(flagKey, defaultValue, context) {
    return this._resolve("string", flagKey, defaultValue, context);
  }
  async resolveNumberEvaluation(flagKey, defaultValue, context) {
    return this._resolve("number", flagKey, defaultValue, context);
  }
  async resolveObjectEvaluation(flagKey, defaultValue, context) {
    return this._resolve("object", flagKey, defaultValue, context);
  }
}

/**
 * A provider for @openfeature/web-sdk: one static context, parsed once when it
 * is set or changes, then used for every evaluation.
 */
export class EdgeFlagsWebProvider extends Provider {
  runsOn = "client";
  #context;
  #handle;

  async initialize(context) {
    this.#setContext(context);
    await super.initialize(context);
  }

  onContextChange(_oldContext, newContext) {
    this.#setContext(newContext);
  }

  resolveBooleanEvaluation(flagKey, defaultValue) {
    return this.#resolve("boolean", flagKey, defaultValue);
  }
  resolveStringEvaluation(flagKey, defaultValue) {
    return this.#resolve("string", flagKey, defaultValue);
  }
  resolveNumberEvaluation(flagKey, defaultValue) {
    return this.#resolve("number", flagKey, defaultValue);
  }
  resolveObjectEvaluation(flagKey, defaultValue) {
    return this.#resolve("object", flagKey, defaultValue);
  }

  _defaultAudience() {
    // A page holds only what browsers may see: `GET /v1/snapshot?audience=browser`.
    return "browser";
  }

  _defaultFloorStore() {
    // A reload must not be handed an older snapshot either.
    try {
      return globalThis.localStorage ? localStorageFloor() : undefined;
    } catch {
      return undefined; // storage blocked (a sandboxed frame): no floor to keep
    }
  }

  #setContext(context) {
    this.#handle?.free();
    this.#handle = undefined;
    this.#context = context ?? {};
  }

  #resolve(type, key, defaultValue) {
    const flags = this.flags;
    if (flags && this.#handle === undefined) {
      try {
        // A context handle belongs to no snapshot: it outlives updates.
        this.#handle = flags.context(this.#context);
      } catch {
        // Evaluating the raw context reports why it does not convert.
        this.#handle = null;
      }
    }
    return this._resolve(type, key, defaultValue, this.#handle ?? this.#context);
  }
}
