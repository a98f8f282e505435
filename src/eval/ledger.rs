//! The guard ledger (docs/guards.md): the fleet's counts of every guarded
//! rollout, and the rule for when they halt it. Pure, so the worker's
//! `GUARDS` Durable Object only stores it and every reader (`/v1/guards`,
//! `/healthz`, the console, `edgeflag guards`) gets the same view.
//!
//! A rollout is judged on its counts summed over all its stages; a
//! regression is recorded once, as a [`Halt`] naming the latest stage its
//! treatment was seen at, and never judged again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::eval::guard::{Arm, DEFAULT_MIN_EXPOSURES, Verdict, judge};
use crate::eval::halt::{Guarded, Halt, Side};
use crate::format::time::Timestamp;
use crate::model::{Guard, OnRegression};

/// A guarded rollout of a snapshot, as the ledger knows it: which one (flag,
/// rule, plan digest) and its signed guard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub flag: String,
    #[serde(default)]
    pub rule: Option<String>,
    pub plan: String,
    pub metric: String,
    pub max_relative_increase: f64,
    #[serde(default)]
    pub min_exposures: Option<u64>,
    /// `hold` or `rollback`.
    pub on_regression: String,
}

impl Watch {
    /// The guard to judge with (an unknown action reads as `hold`, the one
    /// that changes nobody's value).
    pub fn guard(&self) -> Guard {
        Guard {
            metric: self.metric.clone(),
            max_relative_increase: self.max_relative_increase,
            min_exposures: self.min_exposures,
            on_regression: OnRegression::from_name(&self.on_regression)
                .unwrap_or(OnRegression::Hold),
        }
    }

    /// What the ledger knows of a guarded rollout of a snapshot.
    pub fn of(g: &Guarded<'_>) -> Self {
        Watch {
            flag: g.flag.to_owned(),
            rule: g.rule.map(str::to_owned),
            plan: g.plan.clone(),
            metric: g.guard.metric.clone(),
            max_relative_increase: g.guard.max_relative_increase,
            min_exposures: g.guard.min_exposures,
            on_regression: g.guard.on_regression.name().to_owned(),
        }
    }

    fn same_rollout(&self, flag: &str, rule: Option<&str>, plan: &str) -> bool {
        self.flag == flag && self.rule.as_deref() == rule && self.plan == plan
    }
}

/// One count's place: the rollout, its stage and the arm.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    pub flag: String,
    #[serde(default)]
    pub rule: Option<String>,
    pub plan: String,
    #[serde(default)]
    pub stage: Option<usize>,
    pub arm: Side,
}

/// What an isolate sends the ledger: the guarded rollouts it serves and its counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Flush {
    pub watches: Vec<Watch>,
    pub cells: Vec<(Cell, Arm)>,
}

impl Cell {
    /// A rollout's count at `stage`, in `arm`.
    pub fn of(w: &Watch, stage: Option<usize>, arm: Side) -> Self {
        Cell {
            flag: w.flag.clone(),
            rule: w.rule.clone(),
            plan: w.plan.clone(),
            stage,
            arm,
        }
    }
}

/// The fleet's counts and halts: the `GUARDS` Durable Object's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub watches: Vec<Watch>,
    pub cells: Vec<(Cell, Arm)>,
    pub halts: Vec<Halt>,
}

/// Rollouts the ledger remembers at most; the oldest go first.
pub const MAX_WATCHES: usize = 256;

impl Ledger {
    /// Adds an isolate's counts, then judges every rollout not halted yet and
    /// records the halts found. Returns every halt.
    pub fn flush(&mut self, f: Flush, now: Timestamp) -> &[Halt] {
        for w in f.watches {
            self.watches
                .retain(|x| !x.same_rollout(&w.flag, w.rule.as_deref(), &w.plan));
            self.watches.push(w);
        }
        if self.watches.len() > MAX_WATCHES {
            let extra = self.watches.len() - MAX_WATCHES;
            self.watches.drain(..extra);
        }
        let mut cells: BTreeMap<Cell, Arm> = std::mem::take(&mut self.cells).into_iter().collect();
        for (c, a) in f.cells {
            let arm = cells.entry(c).or_default();
            arm.exposures = arm.exposures.saturating_add(a.exposures);
            arm.events = arm.events.saturating_add(a.events);
        }
        let watches = &self.watches;
        cells.retain(|c, _| {
            watches
                .iter()
                .any(|w| w.same_rollout(&c.flag, c.rule.as_deref(), &c.plan))
        });
        self.cells = cells.into_iter().collect();
        for w in &self.watches {
            if self.halted(w).is_some() {
                continue;
            }
            let (verdict, stage) = self.judge(w);
            if let Verdict::Regression { evidence } = verdict {
                self.halts.push(Halt {
                    flag: w.flag.clone(),
                    rule: w.rule.clone(),
                    plan: w.plan.clone(),
                    stage,
                    metric: w.metric.clone(),
                    at: now.to_string(),
                    evidence,
                });
            }
        }
        let watches = &self.watches;
        self.halts.retain(|h| {
            watches
                .iter()
                .any(|w| w.same_rollout(&h.flag, h.rule.as_deref(), &h.plan))
        });
        &self.halts
    }

    fn halted(&self, w: &Watch) -> Option<&Halt> {
        self.halts
            .iter()
            .find(|h| w.same_rollout(&h.flag, h.rule.as_deref(), &h.plan))
    }

    fn cells_of<'a>(&'a self, w: &'a Watch) -> impl Iterator<Item = &'a (Cell, Arm)> + 'a {
        self.cells
            .iter()
            .filter(move |(c, _)| w.same_rollout(&c.flag, c.rule.as_deref(), &c.plan))
    }

    /// The verdict on a rollout's counts over all its stages, and the latest
    /// stage its treatment was seen at.
    fn judge(&self, w: &Watch) -> (Verdict, Option<usize>) {
        let (mut control, mut treatment, mut stage) = (Arm::default(), Arm::default(), None);
        for (c, a) in self.cells_of(w) {
            let sum = match c.arm {
                Side::Control => &mut control,
                Side::Treatment => {
                    stage = stage.max(c.stage);
                    &mut treatment
                }
            };
            sum.exposures = sum.exposures.saturating_add(a.exposures);
            sum.events = sum.events.saturating_add(a.events);
        }
        (judge(&w.guard(), control, treatment), stage)
    }

    /// Every rollout with its counts per stage, verdict and halt: what
    /// `GET /v1/guards`, `/healthz`, the console and `edgeflag guards` show.
    /// `serving` says which rollouts the served snapshot has.
    pub fn view<'w>(
        &self,
        serving: impl Iterator<Item = &'w Watch> + Clone,
    ) -> Vec<serde_json::Value> {
        self
            .watches
            .iter()
            .rev()
            .map(|w| {
                let mut stages: BTreeMap<Option<usize>, (Arm, Arm)> = BTreeMap::new();
                for (c, a) in self.cells_of(w) {
                    let s = stages.entry(c.stage).or_default();
                    match c.arm {
                        Side::Control => s.0 = *a,
                        Side::Treatment => s.1 = *a,
                    }
                }
                let stages: Vec<_> = stages
                    .into_iter()
                    .map(|(stage, (c, t))| serde_json::json!({"stage": stage, "control": c, "treatment": t}))
                    .collect();
                let (verdict, _) = self.judge(w);
                let serving = serving.clone().any(|x| x == w);
                serde_json::json!({
                    "flag": w.flag, "rule": w.rule, "plan": w.plan, "metric": w.metric,
                    "max_relative_increase": w.max_relative_increase,
                    "min_exposures": w.guard().min_exposures.unwrap_or(DEFAULT_MIN_EXPOSURES),
                    "on_regression": w.on_regression,
                    "serving": serving,
                    "stages": stages,
                    "verdict": verdict,
                    "halt": self.halted(w),
                })
            })
            .collect()
    }
}
