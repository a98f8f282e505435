//! The flag definitions as people write them (the TOML release file) and as a
//! signed snapshot carries them (JSON). One model serves both, so a snapshot
//! says exactly what the release file said for its environment. Each type is
//! declared once with `schema!` or `names!` (see `format::decode`): that one
//! declaration is the reader of release files and snapshots alike, and the
//! writer of snapshots.

use indexmap::IndexMap;
use serde_json::Value;

use crate::format::decode::{names, schema};

pub mod context;
pub mod error;

/// The release file schema this crate reads.
pub const RELEASE_SCHEMA: u32 = 1;

/// Percentages are kept in thousandths of a percent: 100% is this many
/// buckets, and no percent may be finer than one of them.
pub const BUCKETS: u32 = 100_000;

schema! {
    /// A whole release file: metadata, checklist thresholds, segments and flags.
    pub struct ReleaseFile {
        schema: u32 = req "schema",
        release: ReleaseInfo = req "release",
        checklist: Option<Checklist> = opt "checklist",
        segments: IndexMap<String, Segment> = or_default "segments",
        flags: IndexMap<String, FlagDef> = always "flags",
    }
}

schema! {
    /// The flag definitions of one environment, overrides applied: the
    /// content a signed snapshot carries.
    pub struct Definitions {
        release: ReleaseInfo = req "release",
        environment: String = req "environment",
        segments: IndexMap<String, Segment> = or_default "segments",
        flags: IndexMap<String, FlagDef> = req "flags",
        /// Browser snapshots only: the salt that private values and target
        /// keys were digested with, and the attributes that are private.
        private: Option<Private> = opt "private",
    }
}

schema! {
    /// How a browser snapshot hides values (see `compile::audience`).
    pub struct Private {
        salt: String = req "salt",
        attributes: Vec<String> = or_default "attributes",
    }
}

names! {
    /// Who evaluates a flag, and whom a snapshot is for: servers (the edge,
    /// Node) hold everything; browsers hold only what they are given.
    #[derive(Default)]
    pub enum Audience {
        #[default]
        Server = "server",
        Browser = "browser",
    }
}

schema! {
    /// The `[release]` table.
    pub struct ReleaseInfo {
        name: String = req "name",
        owner: Option<String> = opt "owner",
        description: Option<String> = opt "description",
        incident_channel: Option<String> = opt "incident_channel",
        /// When given, the only environment names overrides and builds may use,
        /// so that a typo such as `prodution` is an error rather than the base plan.
        environments: Option<Vec<String>> = opt "environments",
        /// Context attributes whose values a browser snapshot must not
        /// publish: it carries salted digests of them instead.
        private_attributes: Vec<String> = or_default "private_attributes",
    }
}

schema! {
    /// The `[checklist]` thresholds the release checklist enforces.
    pub struct Checklist {
        max_first_stage_percent: Option<f64> = opt "max_first_stage_percent",
        min_stage_soak: Option<String> = opt "min_stage_soak",
        require_runbook: bool = yes "require_runbook",
        require_rollback: bool = yes "require_rollback",
        /// Rollouts (the flag's and each rule's) that reach more than this
        /// percent must carry a guard (docs/guards.md); none required if unset.
        require_guard_above: Option<f64> = opt "require_guard_above",
        /// The promotion gate: `to` environments only get a candidate that
        /// was signed for `from` at least `soak` before.
        promote: Option<Promote> = opt "promote",
    }
}

schema! {
    /// `[checklist] promote = { from, to, soak, hotfix_soak }`.
    pub struct Promote {
        from: String = req "from",
        to: Vec<String> = always "to",
        soak: String = req "soak",
        /// For a candidate whose only changes since the last snapshot of the
        /// target are hotfix flags (default: `soak`).
        hotfix_soak: Option<String> = opt "hotfix_soak",
    }
}

schema! {
    /// A named set of users: all of its conditions must hold.
    pub struct Segment {
        description: Option<String> = opt "description",
        /// Dogfooding and QA: a rule on an internal segment may serve a new
        /// variant to all of it at once without failing the staged plan.
        internal: bool = or_default "internal",
        conditions: Vec<Condition> = always "match",
    }
}

names! {
    /// The type of a flag's values.
    pub enum FlagType {
        Boolean = "boolean",
        String = "string",
        Number = "number",
        Json = "json",
    }
}

impl FlagType {
    /// Whether `value` is a value of this type.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            FlagType::Boolean => value.is_boolean(),
            FlagType::String => value.is_string(),
            FlagType::Number => value.is_number(),
            FlagType::Json => true,
        }
    }
}

names! {
    /// What a flag serves once its snapshot has expired (see the stale policy).
    #[derive(Default)]
    pub enum StalePolicy {
        /// Keep evaluating normally, with reason `STALE`.
        #[default]
        Serve = "serve",
        /// Serve the rollback variant: for kill switches that must fail safe.
        Safe = "safe",
    }
}

schema! {
    /// One flag as written, with its per-environment overrides.
    pub struct FlagDef {
        kind: FlagType = req "type",
        description: Option<String> = opt "description",
        owner: Option<String> = opt "owner",
        runbook: Option<String> = opt "runbook",
        hotfix: bool = or_default "hotfix",
        /// Who may evaluate the flag; servers only unless it says so.
        clients: Option<Vec<Audience>> = opt "clients",
        /// Keep the description, owner, runbook and rollback steps in
        /// browser snapshots too (they are left out by default).
        public_metadata: bool = or_default "public_metadata",
        enabled: Option<bool> = opt "enabled",
        stale: Option<StalePolicy> = opt "stale",
        variants: Option<IndexMap<String, Value>> = opt "variants",
        default: Option<String> = opt "default",
        rollback: Option<RollbackPlan> = opt "rollback",
        prerequisites: Vec<Prerequisite> = or_default "prerequisites",
        targets: IndexMap<String, Vec<String>> = or_default "targets",
        rollbacks: Vec<PartialRollback> = or_default "rollbacks",
        rules: Vec<Rule> = or_default "rules",
        rollout: Option<Rollout> = opt "rollout",
        env: IndexMap<String, EnvOverride> = or_default "env",
    }
}

// A server snapshot is written as it always was, with no `audience` field.
impl crate::format::decode::IsDefault for Audience {
    fn is_default(&self) -> bool {
        *self == Audience::Server
    }
}

impl FlagDef {
    /// Whether clients of `audience` may evaluate this flag.
    pub fn serves(&self, audience: Audience) -> bool {
        match &self.clients {
            Some(clients) => clients.contains(&audience),
            None => audience == Audience::Server,
        }
    }
}

schema! {
    /// `[flags.X.env.NAME]`: what one environment does differently. Each field
    /// given replaces the base field whole.
    #[derive(Default)]
    pub struct EnvOverride {
        enabled: Option<bool> = opt "enabled",
        targets: Option<IndexMap<String, Vec<String>>> = opt "targets",
        rules: Option<Vec<Rule>> = opt "rules",
        rollout: Option<Rollout> = opt "rollout",
    }
}

schema! {
    /// The way back: the variant a disabled flag serves and the human steps.
    #[derive(Default)]
    pub struct RollbackPlan {
        variant: Option<String> = opt "variant",
        steps: Vec<String> = or_default "steps",
    }
}

schema! {
    /// Another flag that must serve a given variant for this one to apply.
    pub struct Prerequisite {
        flag: String = req "flag",
        variant: String = req "variant",
    }
}

schema! {
    /// A targeting rule: a segment and/or conditions, all of which must hold,
    /// and what matching users get: one variant (`serve`), or a `rollout` of
    /// the flag's shape that reaches them in stages. Matching users outside
    /// the rule's current percentage go on to the next rule.
    pub struct Rule {
        name: Option<String> = opt "name",
        segment: Option<String> = opt "segment",
        conditions: Vec<Condition> = or_default "match",
        serve: Option<String> = opt "serve",
        rollout: Option<Rollout> = opt "rollout",
    }
}

schema! {
    /// A partial rollback: from `since` on, matching users get `serve`.
    pub struct PartialRollback {
        name: Option<String> = opt "name",
        segment: Option<String> = opt "segment",
        conditions: Vec<Condition> = or_default "match",
        serve: String = req "serve",
        since: String = req "since",
    }
}

schema! {
    /// A percentage rollout: one variant or a weighted split, on a schedule.
    pub struct Rollout {
        by: Option<String> = opt "by",
        salt: Option<String> = opt "salt",
        variant: Option<String> = opt "variant",
        weights: Option<IndexMap<String, f64>> = opt "weights",
        /// A constant percentage: the same as one stage at the beginning of time.
        percent: Option<f64> = opt "percent",
        stages: Vec<Stage> = or_default "stages",
        /// What to watch while the rollout widens, and what to do on a regression.
        guard: Option<Guard> = opt "guard",
    }
}

schema! {
    /// A guarded rollout (docs/guards.md): the rollout's users (treatment)
    /// against the users it has not reached yet (control), on one metric.
    pub struct Guard {
        /// The event name the providers track (`match_error`).
        metric: String = req "metric",
        /// The largest increase of the treatment's event rate over the
        /// control's, relative (0.25: up to 25% more), that is no regression.
        max_relative_increase: f64 = req "max_relative_increase",
        /// Exposures each arm needs before any verdict.
        min_exposures: Option<u64> = opt "min_exposures",
        on_regression: OnRegression = req "on_regression",
    }
}

names! {
    /// What a regression does to the rollout.
    pub enum OnRegression {
        /// Freeze at the stage where it was found: no further stages.
        Hold = "hold",
        /// The rollout's users get the rollback variant.
        Rollback = "rollback",
    }
}

schema! {
    /// One step of a staged schedule.
    pub struct Stage {
        at: String = req "at",
        percent: f64 = req "percent",
    }
}

schema! {
    /// A test on one context attribute.
    pub struct Condition {
        attr: String = req "attr",
        op: Op = req "op",
        values: Vec<Value> = many "values" "value",
        negate: bool = or_default "negate",
    }
}

names! {
    /// The condition operators.
    pub enum Op {
        In = "in",
        NotIn = "not_in",
        Eq = "eq",
        Neq = "neq",
        StartsWith = "starts_with",
        EndsWith = "ends_with",
        Contains = "contains",
        Lt = "lt",
        Lte = "lte",
        Gt = "gt",
        Gte = "gte",
        SemverEq = "semver_eq",
        SemverLt = "semver_lt",
        SemverLte = "semver_lte",
        SemverGt = "semver_gt",
        SemverGte = "semver_gte",
        Before = "before",
        After = "after",
        Exists = "exists",
    }
}
