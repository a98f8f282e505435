// Type-checked by scripts/test-npm.sh (tsc --strict) against the installed
// package: the .d.ts files describe the API as a TypeScript user calls it.
import { EdgeFlags, EdgeFlagsError, FlagContext, type EvaluationDetails, type SnapshotOptions } from "edgeflag";
import { EdgeFlagsServerProvider, EdgeFlagsWebProvider, memoryFloor, localStorageFloor, type FloorStore } from "edgeflag/openfeature";
import { OpenFeature } from "@openfeature/server-sdk";
import { OpenFeature as WebOpenFeature } from "@openfeature/web-sdk";

declare const envelope: Uint8Array;
declare const pem: string;

const options: SnapshotOptions = {
  trustedKeys: [pem],
  environment: "production",
  minVersion: 3,
  now: new Date(),
  floor: { version: 3, digest: "sha256:00" },
};
try {
  const flags: EdgeFlags = EdgeFlags.fromSnapshot(envelope, options);
  const next: EdgeFlags = EdgeFlags.fromSnapshot(envelope, { ...options, current: flags });
  const never: boolean = next.neverExpires;
  void never;
  const version: number = flags.version;
  const expires: string | undefined = flags.expiresAt;
  const ctx: FlagContext = flags.context({ targetingKey: "user-42", signedUpAt: new Date(), plan: "pro" });
  const on: boolean = flags.booleanValue("ranked-matchmaking", ctx, false);
  const layout: string = flags.stringValue("store-layout", { targetingKey: "u" }, "classic", "2026-12-05T18:00:00Z");
  const timeout: number = flags.numberValue("match-timeout-seconds", undefined, 60, Date.now());
  const banner: { title: string } = flags.objectValue("season-banner", ctx, { title: "" });
  const detail: EvaluationDetails<boolean> = flags.booleanDetails("ranked-matchmaking", ctx, false);
  const owner: string | undefined = detail.flagMetadata.owner;
  const all = flags.evaluateAll(ctx);
  const reason: string = all["ranked-matchmaking"].reason;
  const stage: number | null | undefined = flags.status()[0].rollout?.stage;
  const users: number = flags.simulate(["store-layout"], 1000)[0].users;
  const changed: string[] = flags.changedFlags(flags);
  const channel: string | undefined = flags.definitions().release.incidentChannel;
  const rollout: number | undefined = flags.definitions().flags["store-layout"].rollout?.stages?.[0]?.percent;
  const steps: string | undefined = detail.flagMetadata.rollbackSteps;
  void [channel, rollout, steps];
  {
    // `using` frees both at the end of the block.
    using scoped = EdgeFlags.fromSnapshot(envelope, options);
    using handle = scoped.context({ targetingKey: "user-7" });
    const inside: boolean = scoped.booleanValue("ranked-matchmaking", handle, false);
    void inside;
  }
  ctx.free();
  flags.free();
  void [version, expires, on, layout, timeout, banner, owner, reason, stage, users, changed];
} catch (e) {
  if (e instanceof EdgeFlagsError) {
    const code: string = e.code;
    void code;
  }
}

const floors: FloorStore = memoryFloor();
void localStorageFloor;
const server = new EdgeFlagsServerProvider({
  url: "https://flags.example.com/production.json",
  trustedKeys: [pem],
  environment: "production",
  floorStore: floors,
});
await OpenFeature.setProviderAndWait(server);
const web = new EdgeFlagsWebProvider({ snapshot: envelope, trustedKeys: [pem], environment: "production", pollIntervalMs: 0, floorStore: null });
await WebOpenFeature.setProviderAndWait(web);
const pushed: boolean = server.update(envelope);
void pushed;
