// OpenFeature's tracking API for both providers: `track(eventName, context,
// details)` queues the event and returns at once; batches go to the worker's
// `POST /v1/track` (docs/guards.md), where each event is counted in the guard
// arm its user is in. Bounded: at most `maxQueue` events wait (newer ones are
// dropped and counted past it), at most `batchSize` per request. Retried:
// a network failure, a 429 or a 5xx puts the batch back, with exponential
// backoff, up to `maxRetries` times. A metric no guard watches (422
// UNKNOWN_METRIC, which names it) is taken out of the batch and the rest is
// sent again; events of that metric are then skipped here for
// `unwatchedTtlMs`, since a later snapshot may guard it. Any other 4xx is the
// batch's own fault: it is dropped and reported, never sent again. Nothing
// here throws into the caller.

// The worker's limit per batch.
const MAX_BATCH = 1000;

function unref(timer) {
  if (timer && typeof timer.unref === "function") timer.unref();
  return timer;
}

/** Only the attributes, as JSON: `Date`s as RFC 3339, nothing else of the SDK's. */
function plainContext(context) {
  if (!context || typeof context !== "object") return {};
  return JSON.parse(JSON.stringify(context));
}

export class Tracker {
  #o;
  #queue = [];
  #timer;
  #sending;
  #attempts = 0;
  #closed = false;
  // metric or flag -> until when its events are skipped.
  #unwatched = new Map();
  /** Events accepted and counted, ignored (no guard watches them), refused, dropped, and the last failure. */
  stats = { accepted: 0, counted: 0, ignored: 0, dropped: 0, refused: 0, retries: 0, lastError: undefined };

  constructor(options) {
    this.#o = {
      batchSize: 100,
      flushIntervalMs: 5_000,
      maxQueue: 10_000,
      maxRetries: 5,
      retryBaseMs: 500,
      unwatchedTtlMs: 300_000,
      requestTimeoutMs: 10_000,
      ...options,
    };
    this.#o.batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor(this.#o.batchSize)));
  }

  get queued() {
    return this.#queue.length;
  }

  track(eventName, context, details) {
    if (this.#closed || typeof eventName !== "string" || eventName === "") return;
    const flag = typeof details?.flag === "string" ? details.flag : undefined;
    if (this.#skipped(`metric:${eventName}`) || (flag !== undefined && this.#skipped(`flag:${flag}`))) {
      this.stats.ignored++;
      return;
    }
    if (this.#queue.length >= this.#o.maxQueue) {
      this.stats.dropped++;
      return;
    }
    let event;
    try {
      event = { metric: eventName, context: plainContext(context) };
    } catch (e) {
      // A context JSON cannot hold (a cycle, a BigInt): the event is dropped.
      this.stats.dropped++;
      this.#report(new Error(`event \`${eventName}\` dropped: its context is not json (${e?.message ?? e})`));
      return;
    }
    // An event may be meant for one flag's guards only.
    if (flag !== undefined) event.flag = flag;
    this.#queue.push(event);
    if (this.#queue.length >= this.#o.batchSize) this.#kick(0);
    else this.#kick(this.#o.flushIntervalMs);
  }

  /** Sends everything queued now; resolves when the queue is empty or a send failed. */
  async flush() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      if (!(await this.#sendOne())) return;
    }
  }

  /** One last flush attempt, then no more events. */
  async close() {
    this.#closed = true;
    this.#o.maxRetries = 0;
    await this.flush();
    clearTimeout(this.#timer);
  }

  #kick(delay) {
    if (this.#timer !== undefined && delay > 0) return;
    clearTimeout(this.#timer);
    this.#timer = unref(
      setTimeout(() => {
        this.#timer = undefined;
        this.flush().catch((e) => this.#report(e));
      }, delay),
    );
  }

  // Sends one batch: true when the queue may go on draining.
  async #sendOne() {
    if (this.#sending) return this.#sending;
    const batch = this.#queue.splice(0, this.#o.batchSize);
    this.#sending = (async () => {
      let status;
      try {
        const fetcher = this.#o.fetch ?? globalThis.fetch;
        const res = await fetcher(this.#o.url, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...this.#o.headers },
          body: JSON.stringify({ events: batch }),
          signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
        });
        status = res.status;
        const text = await res.text();
        if (res.ok) {
          this.#attempts = 0;
          this.stats.accepted += batch.length;
          try {
            this.stats.counted += JSON.parse(text).counted ?? 0;
          } catch {
            // a 2xx without the worker's summary: still delivered
          }
          return true;
        }
        if (status === 422) {
          const named = this.#unknown(text);
          if (named) {
            // Out of the batch, and skipped for a while; the rest goes again.
            this.#unwatched.set(named.key, Date.now() + this.#o.unwatchedTtlMs);
            const rest = batch.filter((e) => !named.matches(e));
            this.stats.ignored += batch.length - rest.length;
            this.#report(new Error(`POST ${this.#o.url}: ${status} ${text}`));
            this.#queue.unshift(...rest);
            return true;
          }
        }
        if (status !== 408 && status !== 429 && status < 500) {
          this.stats.refused += batch.length;
          this.#report(new Error(`POST ${this.#o.url}: ${status} ${text}`));
          return true;
        }
        throw new Error(`POST ${this.#o.url}: ${status} ${text}`);
      } catch (e) {
        this.#report(e);
        if (this.#attempts >= this.#o.maxRetries) {
          this.#attempts = 0;
          this.stats.dropped += batch.length;
          return true;
        }
        this.#attempts++;
        this.stats.retries++;
        // Back at the front, within the bound.
        const room = Math.max(0, this.#o.maxQueue - this.#queue.length);
        this.#queue.unshift(...batch.slice(0, room));
        this.stats.dropped += batch.length - Math.min(room, batch.length);
        if (!this.#closed) this.#kick(this.#o.retryBaseMs * 2 ** (this.#attempts - 1));
        return false;
      } finally {
        this.#sending = undefined;
      }
    })();
    return this.#sending;
  }

  #skipped(key) {
    const until = this.#unwatched.get(key);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.#unwatched.delete(key);
    return false;
  }

  // The metric or flag a 422 names (UNKNOWN_METRIC, UNKNOWN_FLAG).
  #unknown(text) {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (body?.errorCode === "UNKNOWN_METRIC" && typeof body.metric === "string") {
      return { key: `metric:${body.metric}`, matches: (e) => e.metric === body.metric };
    }
    if (body?.errorCode === "UNKNOWN_FLAG" && typeof body.flag === "string") {
      return { key: `flag:${body.flag}`, matches: (e) => e.flag === body.flag };
    }
    return undefined;
  }

  #report(e) {
    this.stats.lastError = String(e?.message ?? e);
    this.#o.logger?.warn?.(`edgeflag: tracking: ${this.stats.lastError}`);
  }
}
