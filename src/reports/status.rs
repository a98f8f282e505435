//! Where each rollout stands at a moment: the release manager's `status`
//! view and the console's timeline read the same answer from here.

use serde::Serialize;

use crate::compile::snapshot::Snapshot;
use crate::compile::{Plan, Serve};
use crate::eval::current_stage;
use crate::format::time::Timestamp;

/// One flag's position in its plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlagStatus {
    pub key: String,
    pub enabled: bool,
    pub hotfix: bool,
    pub rollout: Option<RolloutStatus>,
    /// Every targeting rule, in order, with its own schedule when it has one.
    pub rules: Vec<RuleStatus>,
    pub rollbacks: Vec<RollbackStatus>,
}

/// A targeting rule: the variant it serves everyone it matches, or its rollout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleStatus {
    pub name: String,
    /// The variant of a rule without a rollout.
    pub serve: Option<String>,
    pub rollout: Option<RolloutStatus>,
}

/// A staged schedule at a moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RolloutStatus {
    /// The bucketing attribute.
    pub by: String,
    /// The current stage (0-based), `None` before the first.
    pub stage: Option<usize>,
    pub percent: f64,
    /// The next stage, if any: its index, start and percent.
    pub next: Option<StageStatus>,
    pub stages: Vec<StageStatus>,
}

/// One stage of a schedule. `at` is `None` for a constant percentage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageStatus {
    pub index: usize,
    pub at: Option<String>,
    pub percent: f64,
}

/// A partial rollback and whether it is in force.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollbackStatus {
    pub name: String,
    pub serve: String,
    pub since: String,
    pub active: bool,
}

impl Snapshot {
    /// Every flag's rollout position and partial rollbacks at `now`.
    pub fn status(&self, now: Timestamp) -> Vec<FlagStatus> {
        self.flags
            .iter()
            .zip(&self.defs.flags)
            .map(|(flag, (key, def))| {
                let variant = |v: usize| flag.variants.get(v).map(|(n, _)| n.to_string());
                let rules = flag
                    .rules
                    .iter()
                    .map(|r| match &r.serve {
                        Serve::Variant(v) => RuleStatus {
                            name: r.name.to_string(),
                            serve: variant(*v),
                            rollout: None,
                        },
                        Serve::Rollout(plan) => RuleStatus {
                            name: r.name.to_string(),
                            serve: None,
                            rollout: Some(schedule(plan, now)),
                        },
                    })
                    .collect();
                let rollbacks = flag
                    .rollbacks
                    .iter()
                    .map(|r| RollbackStatus {
                        name: r.name.to_string(),
                        serve: match r.serve {
                            Serve::Variant(v) => variant(v).unwrap_or_default(),
                            Serve::Rollout(_) => String::new(),
                        },
                        since: r.since.to_string(),
                        active: now >= r.since,
                    })
                    .collect();
                FlagStatus {
                    key: key.clone(),
                    enabled: flag.enabled,
                    hotfix: def.hotfix,
                    rollout: flag.rollout.as_ref().map(|plan| schedule(plan, now)),
                    rules,
                    rollbacks,
                }
            })
            .collect()
    }
}

fn schedule(plan: &Plan, now: Timestamp) -> RolloutStatus {
    let (stage, percent) = current_stage(plan, now);
    let stages: Vec<StageStatus> = plan
        .stages
        .iter()
        .enumerate()
        .map(|(index, (at, p))| StageStatus {
            index,
            at: (*at != Timestamp::MIN).then(|| at.to_string()),
            percent: f64::from(*p) / 1000.0,
        })
        .collect();
    let next_index = stage.map_or(0, |i| i + 1);
    RolloutStatus {
        by: plan.by.to_string(),
        stage,
        percent: f64::from(percent) / 1000.0,
        next: stages.get(next_index).cloned(),
        stages,
    }
}
