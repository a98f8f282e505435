//! The staged-plan check: every path by which a flag can serve a new variant
//! (its rollout, each rule, its default) reaches users in soaked stages up to
//! 100%, unless the flag is a hotfix or the rule's segment is internal.

use indexmap::IndexMap;
use serde::Serialize;

use crate::format::time::{Timestamp, parse_duration};
use crate::model::{Checklist, FlagDef, Rollout, Segment, Stage};

/// The thresholds a run used: `[checklist]`, with the defaults for what it
/// leaves out (5%, `12h`, runbook and rollback required).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Thresholds {
    pub max_first_stage_percent: f64,
    /// As written, e.g. `12h`, so messages quote the release file.
    pub min_stage_soak: String,
    pub min_stage_soak_ms: i64,
    pub require_runbook: bool,
    pub require_rollback: bool,
    /// Rollouts reaching more than this percent need a guard.
    pub require_guard_above: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::of(None)
    }
}

impl Thresholds {
    /// The thresholds of a `[checklist]` table, or the defaults without one.
    /// A soak that is not a duration keeps the default: validation rejects it first.
    pub fn of(checklist: Option<&Checklist>) -> Thresholds {
        let c = checklist;
        let (soak, soak_ms) = c
            .and_then(|c| c.min_stage_soak.as_deref())
            .and_then(|s| Some((s.trim(), parse_duration(s)?)))
            .unwrap_or(("12h", 12 * 3_600_000));
        Thresholds {
            max_first_stage_percent: c.and_then(|c| c.max_first_stage_percent).unwrap_or(5.0),
            min_stage_soak: soak.to_owned(),
            min_stage_soak_ms: soak_ms,
            require_runbook: c.is_none_or(|c| c.require_runbook),
            require_rollback: c.is_none_or(|c| c.require_rollback),
            require_guard_above: c.and_then(|c| c.require_guard_above),
        }
    }
}

/// The outcome of the staged-plan check.
pub(crate) enum Staged {
    Pass,
    /// Why the check does not apply.
    Exempt(String),
    /// Every problem, each naming its field (and rule).
    Fail(Vec<String>),
}

/// Boolean flags without declared variants default to `off`; validation
/// makes every other flag name its default.
pub(crate) fn default_variant(def: &FlagDef) -> &str {
    def.default.as_deref().unwrap_or("off")
}

pub(crate) fn staged_plan(
    def: &FlagDef,
    segments: &IndexMap<String, Segment>,
    t: &Thresholds,
) -> Staged {
    let default = default_variant(def);
    let rollback = def
        .rollback
        .as_ref()
        .and_then(|r| r.variant.as_deref())
        .unwrap_or(default);
    if def.hotfix {
        return Staged::Exempt("a hotfix (`hotfix = true`) ships at once".to_owned());
    }
    if def.enabled == Some(false) {
        return Staged::Exempt(format!(
            "disabled (`enabled = false`): it serves its rollback variant `{rollback}`"
        ));
    }
    let mut problems = Vec::new();
    // Every path to a new variant must be staged: a rule serving one to all
    // it matches would bypass the stages below it.
    for (i, rule) in def.rules.iter().enumerate() {
        let name = rule
            .name
            .clone()
            .unwrap_or_else(|| format!("rule {}", i + 1));
        match (&rule.rollout, rule.serve.as_deref()) {
            (Some(r), _) => {
                let field = format!("rules[{i}].rollout");
                stage_problems(r, &field, &format!("rule `{name}`: "), t, &mut problems);
            }
            (None, Some(serve)) if serve != rollback => {
                let internal = rule
                    .segment
                    .as_ref()
                    .and_then(|s| segments.get(s))
                    .is_some_and(|s| s.internal);
                if !internal {
                    problems.push(format!(
                        "rule `{name}` serves `{serve}`, not the rollback variant `{rollback}`, \
                         to everyone it matches at once; give the rule a staged `rollout` \
                         or an internal segment"
                    ));
                }
            }
            (None, _) => {}
        }
    }
    // Users outside the rollout get the default: unless it is the safe
    // variant, they all get the change at once whatever the stages say.
    if default != rollback {
        let who = match def.rollout {
            Some(_) => "everyone outside the rollout",
            None => "everyone",
        };
        problems.push(format!(
            "`default` is `{default}`, not the rollback variant `{rollback}`: \
             serves `{default}` to {who} at once; give it a staged rollout"
        ));
    }
    match &def.rollout {
        // Rules were checked above, so a flag with rules has a plan that passed or failed.
        None if problems.is_empty() && def.rules.is_empty() => {
            return Staged::Exempt(format!(
                "serves its rollback variant `{rollback}` by default and has no rollout"
            ));
        }
        None => {}
        Some(r) => stage_problems(r, "rollout", "", t, &mut problems),
    }
    if problems.is_empty() {
        Staged::Pass
    } else {
        Staged::Fail(problems)
    }
}

/// The threshold problems of one rollout, whose fields are at `field`
/// (`rollout`, `rules[0].rollout`); each message starts with `who`.
fn stage_problems(r: &Rollout, field: &str, who: &str, t: &Thresholds, problems: &mut Vec<String>) {
    if let Some(p) = r.percent {
        problems.push(format!(
            "{who}`{field}.percent` is {p}, a constant rollout; give it `stages`"
        ));
        return;
    }
    let stages = &r.stages;
    if stages.len() < 2 {
        problems.push(format!(
            "{who}`{field}.stages` has {} stage{}; a staged plan needs at least 2",
            stages.len(),
            if stages.len() == 1 { "" } else { "s" }
        ));
    }
    let max = t.max_first_stage_percent;
    if let Some(first) = stages.first().filter(|s| milli(s.percent) > milli(max)) {
        problems.push(format!(
            "{who}`{field}.stages[0].percent` is {}, above the first-stage maximum of {max}",
            first.percent
        ));
    }
    let soak_us = t.min_stage_soak_ms.saturating_mul(1000);
    for (i, pair) in stages.windows(2).enumerate() {
        let [before, stage] = pair else { continue };
        let at = |s: &Stage| Timestamp::parse(&s.at).map(Timestamp::as_micros);
        if let (Some(from), Some(to)) = (at(before), at(stage)) {
            let gap = to.saturating_sub(from);
            if gap < soak_us {
                problems.push(format!(
                    "{who}`{field}.stages[{}].at` is {} after stage {i}, less than the {} soak",
                    i + 1,
                    duration(gap),
                    t.min_stage_soak
                ));
            }
        }
        if milli(stage.percent) < milli(before.percent) {
            problems.push(format!(
                "{who}`{field}.stages[{}].percent` is {}, below stage {i}'s {}",
                i + 1,
                stage.percent,
                before.percent
            ));
        }
    }
    if let Some(last) = stages.last().filter(|s| milli(s.percent) != 100_000) {
        problems.push(format!(
            "{who}`{field}.stages[{}].percent` is {}: the last stage must be 100",
            stages.len() - 1,
            last.percent
        ));
    }
}

/// Percent in thousandths, so comparisons see the same 0.001% grid as bucketing.
fn milli(percent: f64) -> i64 {
    (percent * 1000.0).round() as i64
}

/// Microseconds in the release file's duration syntax, e.g. `1d12h`.
fn duration(us: i64) -> String {
    let mut ms = us / 1000;
    if ms <= 0 {
        return "under 1ms".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}
