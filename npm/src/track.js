// OpenFeature's tracking API for both providers: `track(eventName, context,
// details)` queues the event and returns at once; batches go to the worker's
// `POST /v1/track` (docs/guards.md), where each event is counted in the guard
// arm its user is in. Bounded: at most `maxQueue` events wait (newer ones are
// dropped and counted past it), at most `batchSize` per request. Retried:
// a network failure, a 429 or a 5xx puts the batch back, with exponential
// backoff, up to `maxRetries` times. A 4xx other than 408/429 is the batch's
// own fault (unknown metric, too large): it is dropped and reported, never
// sent again. Nothing here throws into the caller.

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
  /** Events sent and accepted, dropped (queue full or refused), and the last failure. */
  stats = { accepted: 0, counted: 0, dropped: 0, refused: 0, retries: 0, lastError: undefined };

  constructor(options) {
    this.#o = {
      batchSize: 100,
      flushIntervalMs: 5_000,
      maxQueue: 10_000,
      maxRetries: 5,
      retryBaseMs: 500,
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
    if (typeof details?.flag === "string") event.flag = details.flag;
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

  #report(e) {
    this.stats.lastError = String(e?.message ?? e);
    this.#o.logger?.warn?.(`edgeflag: tracking: ${this.stats.lastError}`);
  }
}
