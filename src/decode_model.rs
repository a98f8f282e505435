//! The flag definitions of a snapshot, decoded by hand (see `decode`): the
//! same fields, names and defaults as the serde model in `model`.

use serde_json::Value;

use crate::decode::{At, Decoded, boolean, list, map, number, object, one_of, string, value};
use crate::json::Json;
use crate::model::{
    Condition, EnvOverride, FlagDef, FlagType, Op, PartialRollback, Prerequisite, ReleaseInfo,
    RollbackPlan, Rollout, Rule, Segment, Stage, StalePolicy,
};
use crate::snapshot::Definitions;

pub(crate) fn definitions(j: Json, at: At) -> Decoded<Definitions> {
    let mut f = object(j, at, &["release", "environment", "segments", "flags"])?;
    Ok(Definitions {
        release: f.req("release", release)?,
        environment: f.req("environment", string)?,
        segments: f.or_default("segments", |j, at| map(j, at, segment))?,
        flags: f.req("flags", |j, at| map(j, at, flag))?,
    })
}

fn strings(j: Json, at: At) -> Decoded<Vec<String>> {
    list(j, at, string)
}

fn release(j: Json, at: At) -> Decoded<ReleaseInfo> {
    let mut f = object(
        j,
        at,
        &[
            "name",
            "owner",
            "description",
            "incident_channel",
            "environments",
        ],
    )?;
    Ok(ReleaseInfo {
        name: f.req("name", string)?,
        owner: f.opt("owner", string)?,
        description: f.opt("description", string)?,
        incident_channel: f.opt("incident_channel", string)?,
        environments: f.opt("environments", strings)?,
    })
}

fn segment(j: Json, at: At) -> Decoded<Segment> {
    let mut f = object(j, at, &["description", "match"])?;
    Ok(Segment {
        description: f.opt("description", string)?,
        conditions: f.or_default("match", conditions)?,
    })
}

const FLAG_FIELDS: [&str; 16] = [
    "type",
    "description",
    "owner",
    "runbook",
    "hotfix",
    "enabled",
    "stale",
    "variants",
    "default",
    "rollback",
    "prerequisites",
    "targets",
    "rollbacks",
    "rules",
    "rollout",
    "env",
];

fn flag(j: Json, at: At) -> Decoded<FlagDef> {
    let mut f = object(j, at, &FLAG_FIELDS)?;
    Ok(FlagDef {
        kind: f.req("type", flag_type)?,
        description: f.opt("description", string)?,
        owner: f.opt("owner", string)?,
        runbook: f.opt("runbook", string)?,
        hotfix: f.or_default("hotfix", boolean)?,
        enabled: f.opt("enabled", boolean)?,
        stale: f.opt("stale", stale)?,
        variants: f.opt("variants", |j, at| map(j, at, value))?,
        default: f.opt("default", string)?,
        rollback: f.opt("rollback", rollback_plan)?,
        prerequisites: f.or_default("prerequisites", |j, at| list(j, at, prerequisite))?,
        targets: f.or_default("targets", targets)?,
        rollbacks: f.or_default("rollbacks", |j, at| list(j, at, partial_rollback))?,
        rules: f.or_default("rules", rules)?,
        rollout: f.opt("rollout", rollout)?,
        env: f.or_default("env", |j, at| map(j, at, env_override))?,
    })
}

fn flag_type(j: Json, at: At) -> Decoded<FlagType> {
    one_of(
        j,
        at,
        &[
            ("boolean", FlagType::Boolean),
            ("string", FlagType::String),
            ("number", FlagType::Number),
            ("json", FlagType::Json),
        ],
    )
}

fn stale(j: Json, at: At) -> Decoded<StalePolicy> {
    one_of(
        j,
        at,
        &[("serve", StalePolicy::Serve), ("safe", StalePolicy::Safe)],
    )
}

fn targets(j: Json, at: At) -> Decoded<indexmap::IndexMap<String, Vec<String>>> {
    map(j, at, strings)
}

fn rules(j: Json, at: At) -> Decoded<Vec<Rule>> {
    list(j, at, rule)
}

fn env_override(j: Json, at: At) -> Decoded<EnvOverride> {
    let mut f = object(j, at, &["enabled", "targets", "rules", "rollout"])?;
    Ok(EnvOverride {
        enabled: f.opt("enabled", boolean)?,
        targets: f.opt("targets", targets)?,
        rules: f.opt("rules", rules)?,
        rollout: f.opt("rollout", rollout)?,
    })
}

fn rollback_plan(j: Json, at: At) -> Decoded<RollbackPlan> {
    let mut f = object(j, at, &["variant", "steps"])?;
    Ok(RollbackPlan {
        variant: f.opt("variant", string)?,
        steps: f.or_default("steps", strings)?,
    })
}

fn prerequisite(j: Json, at: At) -> Decoded<Prerequisite> {
    let mut f = object(j, at, &["flag", "variant"])?;
    Ok(Prerequisite {
        flag: f.req("flag", string)?,
        variant: f.req("variant", string)?,
    })
}

fn rule(j: Json, at: At) -> Decoded<Rule> {
    let mut f = object(j, at, &["name", "segment", "match", "serve"])?;
    Ok(Rule {
        name: f.opt("name", string)?,
        segment: f.opt("segment", string)?,
        conditions: f.or_default("match", conditions)?,
        serve: f.req("serve", string)?,
    })
}

fn partial_rollback(j: Json, at: At) -> Decoded<PartialRollback> {
    let mut f = object(j, at, &["name", "segment", "match", "serve", "since"])?;
    Ok(PartialRollback {
        name: f.opt("name", string)?,
        segment: f.opt("segment", string)?,
        conditions: f.or_default("match", conditions)?,
        serve: f.req("serve", string)?,
        since: f.req("since", string)?,
    })
}

fn rollout(j: Json, at: At) -> Decoded<Rollout> {
    let mut f = object(
        j,
        at,
        &["by", "salt", "variant", "weights", "percent", "stages"],
    )?;
    Ok(Rollout {
        by: f.opt("by", string)?,
        salt: f.opt("salt", string)?,
        variant: f.opt("variant", string)?,
        weights: f.opt("weights", |j, at| map(j, at, number))?,
        percent: f.opt("percent", number)?,
        stages: f.or_default("stages", |j, at| list(j, at, stage))?,
    })
}

fn stage(j: Json, at: At) -> Decoded<Stage> {
    let mut f = object(j, at, &["at", "percent"])?;
    Ok(Stage {
        at: f.req("at", string)?,
        percent: f.req("percent", number)?,
    })
}

fn conditions(j: Json, at: At) -> Decoded<Vec<Condition>> {
    list(j, at, condition)
}

fn condition(j: Json, at: At) -> Decoded<Condition> {
    let mut f = object(j, at, &["attr", "op", "values", "value", "negate"])?;
    let attr = f.req("attr", string)?;
    let op = f.req("op", op)?;
    // One value or a list of them, as the release file may write either.
    let values = match f.either("values", "value")? {
        None => Vec::new(),
        Some(j) => match Value::from(j) {
            Value::Array(items) => items,
            single => vec![single],
        },
    };
    Ok(Condition {
        attr,
        op,
        values,
        negate: f.or_default("negate", boolean)?,
    })
}

const OPS: [(&str, Op); 19] = [
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("eq", Op::Eq),
    ("neq", Op::Neq),
    ("starts_with", Op::StartsWith),
    ("ends_with", Op::EndsWith),
    ("contains", Op::Contains),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("semver_eq", Op::SemverEq),
    ("semver_lt", Op::SemverLt),
    ("semver_lte", Op::SemverLte),
    ("semver_gt", Op::SemverGt),
    ("semver_gte", Op::SemverGte),
    ("before", Op::Before),
    ("after", Op::After),
    ("exists", Op::Exists),
];

fn op(j: Json, at: At) -> Decoded<Op> {
    one_of(j, at, &OPS)
}
