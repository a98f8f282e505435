/**
 * OpenFeature providers on edgeflag's wasm core: {@link EdgeFlagsServerProvider}
 * for `@openfeature/server-sdk` and {@link EdgeFlagsWebProvider} for
 * `@openfeature/web-sdk`.
 *
 * ```js
 * import { OpenFeature } from "@openfeature/server-sdk";
 * import { EdgeFlagsServerProvider } from "edgeflag/openfeature";
 * await OpenFeature.setProviderAndWait(new EdgeFlagsServerProvider({
 *   url: "https://flags.example.com/production.json",
 *   trustedKeys: [publicKeyPem],
 *   environment: "production",
 * }));
 * ```
 *
 * Events: `PROVIDER_READY` once a snapshot verified (and again after a
 * failure or expiry is over), `PROVIDER_CONFIGURATION_CHANGED` when a newer
 * version is served (`flagsChanged` lists the flags whose definitions
 * changed), `PROVIDER_ERROR` when a fetch fails or a snapshot is rejected
 * (the last good one keeps serving; `metadata.code` is the rejection's code),
 * `PROVIDER_STALE` when the served snapshot has expired (it keeps serving
 * under the core's stale policy until a fresh one verifies).
 * @packageDocumentation
 */
import type {
  EvaluationContext,
  JsonValue,
  Logger,
  ProviderEventEmitter,
  AnyProviderEvent,
  ProviderMetadata,
  ResolutionDetails,
} from "@openfeature/core";
import type { EdgeFlags, Mark, Time } from "edgeflag";

/** A durable high-water mark per environment (see `floorStore`). */
export interface FloorStore {
  load(environment: string): Mark | undefined | Promise<Mark | undefined>;
  save(environment: string, mark: Mark): void | Promise<void>;
}

/** A floor store in `localStorage` (key `edgeflag:floor:<environment>`). */
export function localStorageFloor(storage?: Storage): FloorStore;
/** A floor store in memory, for servers that keep one per process or tests. */
export function memoryFloor(): FloorStore & { marks: Map<string, Mark> };

export interface EdgeFlagsProviderOptions {
  /**
   * Where to fetch the signed snapshot. It is polled with `If-None-Match`
   * (the server's `ETag`); cross-origin, the server must expose `ETag` (CORS).
   */
  url?: string | URL;
  /** A signed snapshot to start from (bytes or text), with or without `url`. */
  snapshot?: string | Uint8Array | ArrayBuffer;
  /** The Ed25519 public keys to trust, SPKI PEM. */
  trustedKeys: string[];
  /** Distinct trusted keys whose signatures must verify (M of N). Default 1. */
  threshold?: number;
  /** The environment this provider serves (required): other environments' snapshots are refused. */
  environment: string;
  /**
   * Whom the snapshots it accepts are for: `"browser"` for the web provider
   * (the worker's `GET /v1/snapshot?audience=browser`, built with `edgeflag
   * build --audience browser`), `"server"` for the server provider. A snapshot
   * for the other audience is refused (`WRONG_AUDIENCE`). Browser snapshots
   * keep their own floor, under `<environment>:browser`.
   */
  audience?: "server" | "browser";
  /** The lowest snapshot version ever accepted (the core's policy then holds it to the served one and the floor). */
  minVersion?: number;
  /**
   * Where the provider keeps its high-water mark, so a restart or a page
   * reload cannot be handed an older snapshot. The web provider defaults to
   * `localStorageFloor()` where `localStorage` exists; `null` turns it off.
   */
  floorStore?: FloorStore | null;
  /** How often to fetch `url`, in ms. Default 30000; 0 turns polling off. */
  pollIntervalMs?: number;
  /** A fetch's time limit, in ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Extra request headers, e.g. authorization. */
  headers?: Record<string, string>;
  /** The fetch to use. Default: the global one. */
  fetch?: typeof fetch;
  /** The clock for evaluations and expiry. Default: the current time. */
  now?: () => Time;
  /**
   * Where `track()` sends events (the worker's `POST /v1/track`, which counts
   * them for guarded rollouts: docs/guards.md). Default: `/v1/track` next to
   * `url` when `url` is a worker's `/v1/snapshot`, none otherwise; `false`
   * turns tracking off. Sent with `headers`.
   */
  trackUrl?: string | URL | false;
  /** How tracking batches, retries and bounds its queue. */
  tracking?: TrackingOptions;
  /**
   * Where the server provider reads the worker's guard halts, applied to
   * every snapshot it serves (a halted rollout's users get what the signed
   * guard says, as from OFREP). Default: `/v1/guards` next to `url` for the
   * server provider when `url` is a worker's `/v1/snapshot`, none otherwise
   * (and none for the web provider); `false` turns it off.
   * Read on each poll, with `headers`.
   */
  guardsUrl?: string | URL | false;
}

export interface TrackingOptions {
  /** Events per request, at most 1000 (the worker's limit). Default 100. */
  batchSize?: number;
  /** How long an event waits for its batch to fill, in ms. Default 5000. */
  flushIntervalMs?: number;
  /** Events waiting at most; newer ones are dropped (and counted) past it. Default 10000. */
  maxQueue?: number;
  /** Retries of a batch after a network error, 408, 429 or 5xx, with exponential backoff. Default 5. */
  maxRetries?: number;
  /** The first retry's delay, in ms; each next one doubles. Default 500. */
  retryBaseMs?: number;
  /** How long events of a metric no guard watches are skipped before they are sent again, in ms. Default 300000. */
  unwatchedTtlMs?: number;
  /** Told of every failed or refused batch. */
  logger?: Pick<Logger, "warn">;
}

/** What tracking has done so far. */
export interface TrackingStats {
  /** Events the worker accepted. */
  accepted: number;
  /** Counts they added to guard arms. */
  counted: number;
  /** Events of a metric (or flag) the worker said no guard watches: taken out of their batch, then skipped for `unwatchedTtlMs`. */
  ignored: number;
  /** Events in batches the worker refused otherwise (4xx): never sent again. */
  refused: number;
  /** Events dropped: the queue was full, or a batch ran out of retries. */
  dropped: number;
  retries: number;
  queued: number;
  lastError: string | undefined;
}

/** A guard halt as the worker records it (docs/guards.md). */
export interface Halt {
  flag: string;
  rule: string | null;
  plan: string;
  stage: number | null;
  metric: string;
  at: string;
  evidence: Record<string, unknown>;
}

declare class EdgeFlagsProvider {
  readonly metadata: ProviderMetadata;
  readonly hooks: [];
  readonly events: ProviderEventEmitter<AnyProviderEvent>;
  constructor(options: EdgeFlagsProviderOptions);
  /** The snapshot being served, once one has verified. */
  readonly flags: EdgeFlags | undefined;
  /** The high-water mark this provider holds to: from its floor store, raised by each acceptance. */
  readonly floor: Mark | undefined;
  /** Loads `snapshot` and/or fetches `url`; rejects if no snapshot verified. */
  initialize(context?: EvaluationContext): Promise<void>;
  /** Stops polling. */
  onClose(): Promise<void>;
  /**
   * Verifies `envelope` and serves it if it is newer than the current
   * snapshot (a push instead of a poll). Returns whether it was served.
   * @throws {import("edgeflag").EdgeFlagsError} and emits `PROVIDER_ERROR` when it is rejected.
   */
  update(envelope: string | Uint8Array | ArrayBuffer): boolean;
  /** Fetches `url` now, as the poll would (and the guard halts). */
  refresh(): Promise<void>;
  /** OpenFeature's tracking API: queues the event for `trackUrl`; never throws. */
  track(trackingEventName: string, context?: EvaluationContext, trackingEventDetails?: Record<string, unknown>): void;
  /** Sends the events queued so far. */
  flushTracking(): Promise<void>;
  /** What tracking has done; `undefined` without a `trackUrl`. */
  readonly tracking: TrackingStats | undefined;
  /** The guard halts applied to the snapshots served. */
  readonly halts: Halt[];
  /** Why the last read of the halts failed, if it did. */
  readonly haltsError: string | undefined;
}

/** A provider for `@openfeature/server-sdk`: the context comes with each evaluation. */
export class EdgeFlagsServerProvider extends EdgeFlagsProvider {
  readonly runsOn: "server";
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<boolean>>;
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<string>>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<number>>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<T>>;
}

/**
 * A provider for `@openfeature/web-sdk`: one static context, parsed once when
 * it is set or changes (`OpenFeature.setContext`), then used for every
 * evaluation.
 */
export class EdgeFlagsWebProvider extends EdgeFlagsProvider {
  readonly runsOn: "client";
  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): void;
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context?: EvaluationContext, logger?: Logger): ResolutionDetails<boolean>;
  resolveStringEvaluation(flagKey: string, defaultValue: string, context?: EvaluationContext, logger?: Logger): ResolutionDetails<string>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context?: EvaluationContext, logger?: Logger): ResolutionDetails<number>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context?: EvaluationContext, logger?: Logger): ResolutionDetails<T>;
}
