/**
 * edgeflag: feature flags for staged releases that only act on signed
 * snapshots. One wasm core evaluates flags in Node, browsers and JS workers,
 * after verifying the snapshot's Ed25519 signatures.
 *
 * ```js
 * import { EdgeFlags } from "edgeflag";
 * const flags = EdgeFlags.fromSnapshot(envelope, { trustedKeys: [publicKeyPem] });
 * const on = flags.booleanValue("ranked-matchmaking", { targetingKey: "user-42" }, false);
 * ```
 * @packageDocumentation
 */

/** A JSON value, as flag values and context attributes are. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The attributes of one user or request. `targetingKey` is the user's key;
 * a `Date` attribute is compared as its RFC 3339 time; `undefined`
 * attributes are absent.
 */
export type ContextAttributes = { targetingKey?: string } & Record<string, JsonValue | Date | undefined>;

/** A context: plain attributes, or a {@link FlagContext} parsed once. */
export type Context = ContextAttributes | FlagContext;

/**
 * An evaluation time: a `Date`, milliseconds since the epoch, or an RFC 3339
 * string (microsecond precision). Omitted: the current time.
 */
export type Time = Date | number | string;

/** Why a flag resolved as it did (the OpenFeature reasons, plus edgeflag's). */
export type Reason =
  | "STATIC"
  | "DEFAULT"
  | "TARGETING_MATCH"
  | "SPLIT"
  | "DISABLED"
  | "ROLLBACK"
  | "PREREQUISITE_FAILED"
  | "STALE"
  | "ERROR";

/** The OpenFeature error codes an evaluation can end with. */
export type ErrorCode = "FLAG_NOT_FOUND" | "TYPE_MISMATCH" | "INVALID_CONTEXT" | "GENERAL";

/**
 * OpenFeature's `flagMetadata`, flat (strings, numbers, booleans): the
 * core's one list, the same fields the OFREP worker sends for the same
 * evaluation. Shared and frozen between evaluations with the same result.
 */
export interface FlagMetadata {
  /** The version of the snapshot that answered. */
  readonly snapshotVersion: number;
  /** The environment and release the snapshot was built for. */
  readonly environment: string;
  readonly release: string;
  /** The flag's type: `boolean`, `string`, `number` or `json` (absent for an unknown flag). */
  readonly type?: "boolean" | "string" | "number" | "json";
  readonly description?: string;
  readonly owner?: string;
  /** The incident runbook's address. */
  readonly runbook?: string;
  /** Whether the flag is an emergency hotfix (absent for an unknown flag). */
  readonly hotfix?: boolean;
  /** The human steps of the flag's rollback plan, one per line. */
  readonly rollbackSteps?: string;
  /** The rule or partial rollback that decided, by name. */
  readonly rule?: string;
  /** The current rollout stage (0-based) and percentage, when the rollout step ran. */
  readonly stage?: number;
  readonly percent?: number;
  /** Whether the snapshot had expired (reason `STALE`). */
  readonly stale: boolean;
}

/**
 * The detail of one evaluation, with OpenFeature's field names. Fields that
 * do not apply are `undefined`.
 */
export interface EvaluationDetails<T = JsonValue> {
  /** The served value, or the caller's default on error (`undefined` for `evaluate`). */
  value: T;
  variant: string | undefined;
  reason: Reason;
  errorCode: ErrorCode | undefined;
  errorMessage: string | undefined;
  /** Shared and frozen: the same object for every evaluation with this result. */
  flagMetadata: FlagMetadata;
  /** The rule or partial rollback that decided, by name. */
  rule: string | undefined;
  /** The current rollout stage (0-based), when the rollout decided. */
  stage: number | undefined;
  /** The current rollout percentage, when the rollout step ran. */
  percent: number | undefined;
}

/** Options of {@link EdgeFlags.fromSnapshot}. Unknown names are errors. */
export interface SnapshotOptions {
  /** The Ed25519 public keys to trust, SPKI PEM; an entry may hold several. */
  trustedKeys: string[];
  /** Distinct trusted keys whose signatures must verify (M of N). Default 1. */
  threshold?: number;
  /** The environment this consumer serves: a snapshot of another is `WRONG_ENVIRONMENT`. */
  environment?: string;
  /** Whom this consumer serves: a snapshot for another audience is `WRONG_AUDIENCE`. Default `"server"`. */
  audience?: "server" | "browser";
  /** The lowest version accepted: an older snapshot replayed is rejected. Default 0. */
  minVersion?: number;
  /** The time to judge expiry and issue times against. Default: now. */
  now?: Time;
  /**
   * The snapshot being served (an `EdgeFlags` has these fields): the
   * candidate must not be older (`VERSION_TOO_OLD`), the same version with
   * another payload (`VERSION_REUSED`), or expired while this one is fresh
   * (`EXPIRED`). Without it an expired snapshot loads, and its evaluations
   * say `STALE` (flags marked `stale = "safe"` serve their rollback variant).
   */
  current?: { version: number; digest: string; expiresAt?: string };
  /** A durable high-water mark (see `FloorStore`): nothing below it loads. */
  floor?: Mark;
  /** The largest envelope accepted, in bytes. Default 10 MiB. */
  maxSize?: number;
}

/**
 * Whether a snapshot refused with this code may be accepted later as it is
 * (the verdict depends on the clock: `EXPIRED`, `ISSUED_IN_FUTURE`). The core's rule.
 */
export function mayChange(code: string): boolean;
/** The name a floor store keeps an environment's high-water mark under: the environment for server snapshots, `<environment>:browser` for browser ones (their versions are numbered apart). */
export function markName(environment: string, audience: "server" | "browser"): string;

/** A snapshot's place in its environment's history. */
export interface Mark {
  version: number;
  digest: string;
}

/**
 * Why something was rejected, with a stable `code`:
 * - the snapshot's (the core's acceptance policy): `TOO_LARGE`, `MALFORMED`,
 *   `TOO_DEEP`, `TOO_MANY_VALUES`, `DUPLICATE_KEY`, `WRONG_PAYLOAD_TYPE`,
 *   `TOO_MANY_SIGNATURES`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `BELOW_THRESHOLD`,
 *   `EXPIRED`, `NO_EXPIRY`, `ISSUED_IN_FUTURE`, `VERSION_TOO_OLD`,
 *   `VERSION_REUSED`, `WRONG_ENVIRONMENT`, `UNSUPPORTED_SCHEMA`,
 *   `INVALID_DEFINITIONS`, `UNSATISFIABLE_THRESHOLD`;
 * - the caller's: `INVALID_KEY` (a trusted key that is not an Ed25519 SPKI
 *   PEM), `INVALID_CONTEXT`, `INVALID_ARGUMENT`, `FREED` (a method called
 *   after `free()`);
 * - the browser build's: `UNSUPPORTED` (a console extra, see `status`);
 * - the providers': `FETCH_FAILED`, `NO_SNAPSHOT`, `FLOOR_STORE`.
 */
export class EdgeFlagsError extends Error {
  readonly name: "EdgeFlagsError";
  readonly code: string;
}

/**
 * An envelope as bytes, read as {@link EdgeFlags.fromSnapshot} reads it (a
 * string's UTF-8, any `ArrayBuffer` view, an `ArrayBuffer`).
 * @throws {EdgeFlagsError} `MALFORMED` for anything else.
 */
export function envelopeBytes(envelope: string | ArrayBufferView | ArrayBuffer): Uint8Array;

/** A condition of a rule, segment or partial rollback. */
export interface ConditionDefinition {
  attr: string;
  op: string;
  values?: JsonValue[];
  negate?: boolean;
}

/** A percentage rollout: one variant or weights, on a schedule. */
export interface RolloutDefinition {
  by?: string;
  salt?: string;
  variant?: string;
  weights?: Record<string, number>;
  percent?: number;
  stages?: { at: string; percent: number }[];
}

/** A targeting rule. */
export interface RuleDefinition {
  name?: string;
  segment?: string;
  match?: ConditionDefinition[];
  /** One variant for everyone the rule matches; a rule has this or `rollout`. */
  serve?: string;
  /** The rule's own staged rollout; matching users outside it go on to the next rule. */
  rollout?: RolloutDefinition;
}

/** One flag as signed (overrides applied), camelCase fields, keys as written. */
export interface FlagDefinition {
  type: "boolean" | "string" | "number" | "json";
  description?: string;
  owner?: string;
  runbook?: string;
  hotfix?: boolean;
  enabled?: boolean;
  stale?: "serve" | "safe";
  variants?: Record<string, JsonValue>;
  default?: string;
  rollback?: { variant?: string; steps?: string[] };
  prerequisites?: { flag: string; variant: string }[];
  targets?: Record<string, string[]>;
  rollbacks?: (Omit<RuleDefinition, "serve" | "rollout"> & { serve: string; since: string })[];
  rules?: RuleDefinition[];
  rollout?: RolloutDefinition;
}

/** A snapshot's definitions (see {@link EdgeFlags.definitions}). */
export interface Definitions {
  release: {
    name: string;
    owner?: string;
    description?: string;
    incidentChannel?: string;
    environments?: string[];
  };
  environment: string;
  segments?: Record<string, { description?: string; internal?: boolean; match: ConditionDefinition[] }>;
  flags: Record<string, FlagDefinition>;
}

/**
 * A context parsed once (versions and times read once), for any number of
 * evaluations with any snapshot: the fast path for hot loops. Free it with
 * `free()` (where the runtime has `Symbol.dispose`, `using` works too), or
 * let the garbage collector do it.
 */
export class FlagContext {
  private constructor();
  free(): void;
  /** `free()`, for `using`. */
  [Symbol.dispose](): void;
}

/** Where one flag's rollout stands at a moment (the release console's timeline). */
export interface FlagStatus {
  key: string;
  enabled: boolean;
  hotfix: boolean;
  rollout: RolloutStatus | null;
  /** Every rule in order: the variant it serves, or its own rollout. */
  rules: { name: string; serve: string | null; rollout: RolloutStatus | null }[];
  rollbacks: { name: string; serve: string; since: string; active: boolean }[];
}

/** Where a staged schedule stands at a moment. */
export interface RolloutStatus {
  by: string;
  stage: number | null;
  percent: number;
  next: StageStatus | null;
  stages: StageStatus[];
}

/** One stage of a schedule; `at` is `null` for a constant percentage. */
export interface StageStatus {
  index: number;
  at: string | null;
  percent: number;
}

/** How synthetic users resolved for one flag. */
export interface Distribution {
  key: string;
  users: number;
  /** Most common first; `rule` is the rule or partial rollback that decided. */
  outcomes: { variant: string | null; reason: Reason; rule: string | null; users: number; share: number }[];
}

/** A verified snapshot, ready to evaluate. */
export class EdgeFlags {
  private constructor();

  /**
   * Verifies a signed snapshot (a DSSE envelope: signatures first, before
   * any flag content is parsed, then expiry, version and definitions) and
   * loads it.
   * @throws {EdgeFlagsError} with the rejection's `code`.
   */
  static fromSnapshot(envelope: string | Uint8Array | ArrayBuffer, options: SnapshotOptions): EdgeFlags;

  /** The snapshot's version: it only grows per environment. */
  readonly version: number;
  /** The environment the snapshot was built for. */
  readonly environment: string;
  /** When it was issued, RFC 3339. */
  readonly issuedAt: string;
  /** When it expires, RFC 3339; `undefined` if never. */
  readonly expiresAt: string | undefined;
  /** The payload's digest: `sha256:` and hex. */
  readonly digest: string;
  /** The digest of the previous snapshot of this environment (the audit chain). */
  readonly previous: string | undefined;
  /** Whether it was built with `--force` despite a failing release checklist. */
  readonly forced: boolean;
  /** Whether it was built with `--expires-in never --force`. */
  readonly neverExpires: boolean;
  /** Whom the snapshot is for: `"server"` (everything) or `"browser"` (only browser flags, private values as digests). */
  readonly audience: "server" | "browser";
  /** The ids of the trusted keys whose signatures verified. */
  readonly signedBy: readonly string[];
  /** The release candidate: `sha256:` over the release file's meaning, the same in every environment's snapshot of one release. */
  readonly candidate: string | undefined;
  /** How the promotion gate let it through, in a gated environment. */
  readonly promotion: Promotion | undefined;

  /** The flag keys, in release-file order. */
  flagKeys(): string[];
  /** Whether the snapshot has passed its expiry at `now`. */
  isExpired(now?: Time): boolean;

  /**
   * Parses a context once for many evaluations.
   * @throws {EdgeFlagsError} `INVALID_CONTEXT` if it is not an object of JSON-compatible attributes.
   */
  context(attributes?: ContextAttributes): FlagContext;

  /**
   * Evaluates one flag: the detail, `value` `undefined` on error. Never
   * throws: an unknown flag or a context that does not convert is an error
   * detail (`FLAG_NOT_FOUND`, `INVALID_CONTEXT`).
   */
  evaluate(key: string, context?: Context, now?: Time): EvaluationDetails<JsonValue | undefined>;
  /** Every flag for one context, keyed by flag key in release-file order. Never throws. */
  evaluateAll(context?: Context, now?: Time): Record<string, EvaluationDetails<JsonValue | undefined>>;

  /** A boolean flag's value, or `defaultValue` (wrong type, unknown flag, ...). Never throws. */
  booleanValue(key: string, context: Context | undefined, defaultValue: boolean, now?: Time): boolean;
  /** A string flag's value, or `defaultValue`. Never throws. */
  stringValue(key: string, context: Context | undefined, defaultValue: string, now?: Time): string;
  /** A number flag's value, or `defaultValue`. Never throws. */
  numberValue(key: string, context: Context | undefined, defaultValue: number, now?: Time): number;
  /**
   * A JSON flag's value (frozen: it is shared between evaluations), or
   * `defaultValue`. Never throws.
   */
  objectValue<T extends JsonValue>(key: string, context: Context | undefined, defaultValue: T, now?: Time): T;

  /** {@link booleanValue} with its detail (OpenFeature's `getBooleanDetails`). */
  booleanDetails(key: string, context: Context | undefined, defaultValue: boolean, now?: Time): EvaluationDetails<boolean>;
  stringDetails(key: string, context: Context | undefined, defaultValue: string, now?: Time): EvaluationDetails<string>;
  numberDetails(key: string, context: Context | undefined, defaultValue: number, now?: Time): EvaluationDetails<number>;
  objectDetails<T extends JsonValue>(key: string, context: Context | undefined, defaultValue: T, now?: Time): EvaluationDetails<T>;

  /*
   * The release console's extras: status, simulate, definitions and
   * changedFlags. The size-tuned browser build ("edgeflag" in a browser)
   * leaves them out and throws `UNSUPPORTED`; Node, JS workers and
   * "edgeflag/console" (the full build for browsers) have them.
   */

  /** Where every flag's rollout and partial rollbacks stand at `now`. */
  status(now?: Time): FlagStatus[];
  /**
   * How `users` synthetic users resolve for `flagKeys` (all when empty) at
   * `now`, through the real evaluation. `template` gives fixed attributes.
   */
  simulate(flagKeys: string[], users: number, now?: Time, template?: Context): Distribution[];
  /**
   * The snapshot's definitions as signed, in the release file's shape
   * (description, owner, runbook, rollback steps, prerequisites, rules,
   * partial rollbacks, rollout), with camelCase field names
   * (`incidentChannel`) and keys as written. A fresh copy on each call.
   */
  definitions(): Definitions;
  /** The keys of flags added, removed or changed since `previous`. */
  changedFlags(previous: EdgeFlags): string[];
  /**
   * Applies a worker's guard halts (the `halt` records of `GET /v1/guards`)
   * in place of any applied before; returns how many apply to this
   * snapshot. Not in the browser build (throws `UNSUPPORTED`).
   */
  applyHalts(halts: object[]): number;

  /**
   * Frees the wasm memory now rather than at garbage collection. Any call
   * afterwards throws `FREED`.
   */
  free(): void;
  /** `free()`, for `using` (where the runtime has `Symbol.dispose`). */
  [Symbol.dispose](): void;
}

/** The promotion gate's record in a snapshot of a gated environment. */
export interface Promotion {
  /** The source environment (`[checklist] promote.from`). */
  readonly from: string;
  /** The source snapshot of the same candidate it soaked in; absent when forced without one. */
  readonly version: number | undefined;
  readonly digest: string | undefined;
  readonly issuedAt: string | undefined;
  /** Only hotfix flags changed, so the shorter hotfix soak applied. */
  readonly hotfix: boolean;
  /** `--force --reason`: why the gate was bypassed. */
  readonly forced: string | undefined;
}
