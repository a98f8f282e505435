//! Rollout plans, of a flag or of a rule: the variant or weighted split,
//! the stages in thousandths, and the salt and attribute they bucket by.

use crate::compile::{Locate, Pick, Plan, Variants, time};
use crate::format::path::Loc;
use crate::format::time::Timestamp;
use crate::model::BUCKETS;
use crate::model::Rollout;
use crate::model::context::TARGETING_KEY;
use crate::model::error::ReleaseError;

/// Percent as thousandths, rejecting values outside [0, 100] or finer than 0.001%.
pub(crate) fn thousandths(percent: f64, at: impl FnOnce() -> Loc) -> Result<u32, ReleaseError> {
    if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
        return Err(ReleaseError::PercentOutOfRange { at: at(), percent });
    }
    let scaled = percent * 1000.0;
    let rounded = scaled.round();
    if (scaled - rounded).abs() > 1e-6 {
        return Err(ReleaseError::PercentTooPrecise { at: at(), percent });
    }
    // In [0, 100_000] after the range check above.
    Ok(rounded as u32)
}

/// The salt a rule rollout buckets by unless it names one: the flag key and
/// the rule's name (docs/bucketing.md), so that each rule of a flag, and the
/// flag's own rollout, pick their users independently.
pub(super) fn rule_salt(flag: &str, rule: &str) -> String {
    format!("{flag}/{rule}")
}

/// A guard names its metric and allows a finite, non-negative increase.
fn check_guard(g: &crate::model::Guard, at: impl Fn() -> Loc) -> Result<(), ReleaseError> {
    if g.metric.trim().is_empty() {
        return Err(ReleaseError::Shape {
            at: at().key("metric"),
            why: "names the event to watch, such as `match_error`".to_owned(),
        });
    }
    if !(g.max_relative_increase.is_finite() && g.max_relative_increase >= 0.0) {
        return Err(ReleaseError::Shape {
            at: at().key("max_relative_increase"),
            // Num, not f64's Display: that formatter alone is ~20 KB of wasm.
            why: format!(
                "{} is not a relative increase: 0 or more, such as 0.25 for 25%",
                crate::format::path::Num(g.max_relative_increase)
            ),
        });
    }
    Ok(())
}

/// `default_salt` is what the rollout buckets by when it gives no `salt`.
pub(super) fn plan(
    default_salt: &str,
    implicit_on: bool,
    r: &Rollout,
    names: &Variants,
    at: Locate,
) -> Result<Plan, ReleaseError> {
    if let Some(g) = &r.guard {
        check_guard(g, || at().key("guard"))?;
    }
    let pick = match (&r.variant, &r.weights) {
        (Some(_), Some(_)) => {
            return Err(ReleaseError::Conflict {
                at: at(),
                why: "a rollout serves either one `variant` or a split by `weights`, not both",
            });
        }
        (Some(v), None) => Pick::One(names.find(v, || at().key("variant"))?),
        (None, None) if implicit_on => Pick::One(names.find("on", || at().key("variant"))?),
        (None, None) => {
            return Err(ReleaseError::Missing {
                at: at(),
                field: "variant",
                why: "a rollout serves one `variant` or a split by `weights`",
            });
        }
        (None, Some(weights)) => {
            let mut upto = 0u32;
            let mut split = Vec::with_capacity(weights.len());
            for (name, w) in weights {
                let wat = || at().key("weights").key(name);
                let v = names.find(name, wat)?;
                upto += thousandths(*w, wat)?;
                split.push((upto, v));
            }
            if upto != BUCKETS {
                return Err(ReleaseError::WeightsSum {
                    at: at().key("weights"),
                    // From whole thousandths, so 33.3 x 3 reads 99.9, not float noise.
                    sum: f64::from(upto) / 1000.0,
                });
            }
            Pick::Split(split)
        }
    };
    let stages = match (r.percent, r.stages.is_empty()) {
        (Some(_), false) => {
            return Err(ReleaseError::Conflict {
                at: at(),
                why: "a rollout has either a constant `percent` or `stages`, not both",
            });
        }
        (Some(p), true) => vec![(Timestamp::MIN, thousandths(p, || at().key("percent"))?)],
        (None, true) => {
            return Err(ReleaseError::Missing {
                at: at(),
                field: "stages",
                why: "a rollout needs `stages` or a constant `percent`",
            });
        }
        (None, false) => {
            let mut out: Vec<(Timestamp, u32)> = Vec::with_capacity(r.stages.len());
            for (i, s) in r.stages.iter().enumerate() {
                let sat = || at().key("stages").index(i);
                let t = time(&s.at, || sat().key("at"))?;
                if out.last().is_some_and(|(prev, _)| *prev >= t) {
                    return Err(ReleaseError::StagesNotIncreasing {
                        at: sat(),
                        index: i,
                    });
                }
                out.push((t, thousandths(s.percent, || sat().key("percent"))?));
            }
            out
        }
    };
    Ok(Plan {
        by: r.by.as_deref().unwrap_or(TARGETING_KEY).into(),
        salt: r.salt.as_deref().unwrap_or(default_salt).into(),
        pick,
        stages,
        guard: r.guard.as_ref().map(|g| g.metric.as_str().into()),
        halt: None,
    })
}
