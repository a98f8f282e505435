//! Evaluation: one pass down a fixed order of steps (kill switch,
//! prerequisites, targets, partial rollbacks, rules, rollout, default). It
//! never fails: problems come back inside the resolution, with the caller's
//! default to use.

use serde_json::Value;

use crate::format::decode::names;

pub mod bucket;
pub mod error;
pub mod guard;
pub mod halt;
pub mod ledger;
pub mod wire;

use crate::compile::audience::{Plain, digest};
use crate::compile::snapshot::{FlagId, Snapshot};
use crate::compile::{Halted, Pick, Plan, Serve, Step};
use crate::eval::bucket::{INCLUSION_SEED, VARIANT_SEED, bucket, decimal};
use crate::eval::error::{ErrorCode, EvalError};
use crate::eval::halt::{GuardHit, Side, Site};
use crate::format::base64::hex;
use crate::format::time::Timestamp;
use crate::model::context::{Attr, Context, TARGETING_KEY};
use crate::model::{FlagDef, FlagType};

names! {
    /// Why a flag resolved to its value (the OpenFeature reasons, plus ours).
    #[non_exhaustive]
    pub enum Reason {
        /// The flag has no targeting: everyone gets the default variant.
        Static = "STATIC",
        /// Targeting ran and nothing matched, or the rollout has not reached the user.
        Default = "DEFAULT",
        /// A target pin or a rule matched.
        TargetingMatch = "TARGETING_MATCH",
        /// The user's bucket decided (inside or outside the current percentage).
        Split = "SPLIT",
        /// The kill switch is off: the rollback variant.
        Disabled = "DISABLED",
        /// A partial rollback covers the user.
        Rollback = "ROLLBACK",
        /// A prerequisite flag does not serve the required variant.
        PrerequisiteFailed = "PREREQUISITE_FAILED",
        /// The snapshot has expired: the last good plan keeps serving (or, for
        /// flags marked `stale = "safe"`, the rollback variant) until a fresh one loads.
        Stale = "STALE",
        /// The caller's default, because of an error.
        Error = "ERROR",
    }
}

/// The outcome of one evaluation, borrowing from the snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution<'a> {
    /// The served value; `None` when the caller's default applies (errors).
    pub value: Option<&'a Value>,
    pub variant: Option<&'a str>,
    pub reason: Reason,
    pub error: Option<EvalError>,
    /// The rule or partial rollback that decided, by name.
    pub rule: Option<&'a str>,
    /// The current rollout stage (0-based), when the rollout step ran and a stage has started.
    pub stage: Option<usize>,
    /// The current rollout percentage, when the rollout step ran.
    pub percent: Option<f64>,
    /// The flag's definition, for its metadata (owner, runbook, rollback steps).
    pub flag: Option<&'a FlagDef>,
    /// The guarded rollout this user counts for, and in which arm: the one
    /// that decided, or else the first the user was outside of.
    pub guard: Option<GuardHit>,
}

impl<'a> Resolution<'a> {
    /// The result of a call that never reached a flag: the caller's default,
    /// reason `ERROR`, and why. Runtimes use it for inputs they could not
    /// convert, so those results have the same fields as every other.
    pub fn failure(error: EvalError) -> Self {
        Resolution::error(error, None)
    }

    fn error(error: EvalError, flag: Option<&'a FlagDef>) -> Self {
        Resolution {
            value: None,
            variant: None,
            reason: Reason::Error,
            error: Some(error),
            rule: None,
            stage: None,
            percent: None,
            flag,
            guard: None,
        }
    }

    /// The metric of the guard this result counts for ([`Resolution::guard`]).
    pub fn guard_metric(&self) -> Option<&'a str> {
        let (hit, def) = (self.guard?, self.flag?);
        let rollout = match hit.site.rule() {
            None => def.rollout.as_ref(),
            Some(r) => def.rules.get(r)?.rollout.as_ref(),
        };
        Some(rollout?.guard.as_ref()?.metric.as_str())
    }

    /// The error code, when the evaluation failed.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.error.as_ref().map(EvalError::code)
    }

    /// Whether the caller's default is the value: the core has no value of
    /// the asked type, and `error` says why.
    pub fn uses_default(&self) -> bool {
        self.value.is_none()
    }

    /// The value to use: the flag's, or the caller's default.
    pub fn value_or<'d>(&self, default: &'d Value) -> &'d Value
    where
        'a: 'd,
    {
        self.value.unwrap_or(default)
    }
}

/// The caller's default did not have the type it asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the default {default} is not a {expected}")]
#[non_exhaustive]
pub struct DefaultMismatch {
    pub expected: &'static str,
    pub default: String,
}

/// A typed evaluation: the value to use (the caller's default on error) and the detail.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed<'a, T> {
    pub value: T,
    pub detail: Resolution<'a>,
}

struct Decision<'a> {
    variant: usize,
    reason: Reason,
    rule: Option<&'a str>,
    /// `(stage index, percent in thousandths)` when the rollout step ran.
    stage: Option<(Option<usize>, u32)>,
    /// The guarded rollout, the arm, and whether its halt decided.
    guard: Option<GuardHit>,
}

impl<'a> Decision<'a> {
    fn plain(variant: usize, reason: Reason) -> Self {
        Decision {
            variant,
            reason,
            rule: None,
            stage: None,
            guard: None,
        }
    }

    /// What a rollout's plan gives a user inside it: its variant, or, once
    /// its guard halted it to roll back, the rollback variant.
    fn inside(plan: &'a Plan, site: Site, stage: Stage, v: usize, rollback: usize) -> Self {
        let arm = |halted| {
            plan.guard.as_ref().map(|_| GuardHit {
                site,
                side: Side::Treatment,
                halted,
            })
        };
        match &plan.halt {
            Some(Halted::Rollback { rule }) => Decision {
                rule: Some(rule),
                stage: Some(stage.at),
                guard: arm(true),
                ..Decision::plain(rollback, Reason::Rollback)
            },
            _ => Decision {
                stage: Some(stage.at),
                guard: arm(stage.held),
                ..Decision::plain(v, Reason::Split)
            },
        }
    }
}

impl Snapshot {
    /// Evaluates one flag for a context at a time.
    pub fn evaluate(&self, key: &str, ctx: &Context, now: Timestamp) -> Resolution<'_> {
        match self.flag_id(key) {
            Some(id) => self.evaluate_id(id, ctx, now),
            None => Resolution::error(
                EvalError::FlagNotFound {
                    key: key.to_owned(),
                },
                None,
            ),
        }
    }

    /// Evaluates a flag by position, skipping the key lookup in hot loops.
    pub fn evaluate_id(&self, id: FlagId, ctx: &Context, now: Timestamp) -> Resolution<'_> {
        let (Some(flag), Some((_, def))) = (self.flags.get(id.0), self.defs.flags.get_index(id.0))
        else {
            return Resolution::error(
                EvalError::FlagNotFound {
                    key: format!("#{}", id.0),
                },
                None,
            );
        };
        let mut d = self.decide(id.0, ctx, now);
        if self.is_stale(now) {
            // Kill switches must fail safe; everything else keeps its last good plan.
            d = if flag.fail_safe {
                Decision::plain(flag.rollback, Reason::Stale)
            } else {
                Decision {
                    reason: Reason::Stale,
                    ..d
                }
            };
        }
        let variant = flag.variants.get(d.variant);
        Resolution {
            value: variant.map(|(_, v)| v),
            variant: variant.map(|(n, _)| &**n),
            reason: d.reason,
            error: None,
            rule: d.rule,
            stage: d.stage.and_then(|(i, _)| i),
            percent: d.stage.map(|(_, p)| f64::from(p) / 1000.0),
            flag: Some(def),
            guard: d.guard,
        }
    }

    /// Evaluates every flag for one context, in release-file order.
    pub fn evaluate_all<'s>(
        &'s self,
        ctx: &'s Context,
        now: Timestamp,
    ) -> impl Iterator<Item = (&'s str, Resolution<'s>)> + 's {
        self.defs
            .flags
            .keys()
            .enumerate()
            .map(move |(i, k)| (k.as_str(), self.evaluate_id(FlagId(i), ctx, now)))
    }

    /// The result of a call on flag `id` that never reached its evaluation
    /// (an input the runtime could not convert): the caller's default, why,
    /// and the flag's metadata.
    pub fn failure(&self, id: FlagId, error: EvalError) -> Resolution<'_> {
        Resolution::error(error, self.defs.flags.get_index(id.0).map(|(_, d)| d))
    }

    /// The one typed call every runtime makes: evaluates `key` and, when
    /// `expect` names a type and the flag has another, ends in
    /// `TYPE_MISMATCH`. Whether the caller's default is then the value is
    /// [`Resolution::uses_default`]; every typed helper below is this call.
    pub fn resolve(
        &self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        expect: Option<FlagType>,
    ) -> Resolution<'_> {
        match self.flag_id(key) {
            Some(id) => self.resolve_id(id, ctx, now, expect),
            None => self.evaluate(key, ctx, now),
        }
    }

    /// [`Snapshot::resolve`] by position.
    pub fn resolve_id(
        &self,
        id: FlagId,
        ctx: &Context,
        now: Timestamp,
        expect: Option<FlagType>,
    ) -> Resolution<'_> {
        if let (Some(expected), Some((key, def))) = (expect, self.defs.flags.get_index(id.0)) {
            if def.kind != expected {
                let err = EvalError::type_mismatch(key, expected, def.kind);
                return Resolution::error(err, Some(def));
            }
        }
        self.evaluate_id(id, ctx, now)
    }

    /// A typed call with the caller's default as JSON (the CLI's
    /// `--default`, the test vectors): the default must have the asked type.
    pub fn resolve_or(
        &self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        expect: Option<FlagType>,
        default: Value,
    ) -> Result<Typed<'_, Value>, DefaultMismatch> {
        if let Some(t) = expect {
            if !t.accepts(&default) {
                return Err(DefaultMismatch {
                    expected: t.name(),
                    default: default.to_string(),
                });
            }
        }
        let detail = self.resolve(key, ctx, now, expect);
        let value = detail.value.cloned().unwrap_or(default);
        Ok(Typed { value, detail })
    }

    fn typed<'s, T>(
        &'s self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        expected: FlagType,
        default: T,
        read: impl Fn(&Value) -> Option<T>,
    ) -> Typed<'s, T> {
        let detail = self.resolve(key, ctx, now, Some(expected));
        match detail.value.and_then(read) {
            Some(value) => Typed { value, detail },
            None => Typed {
                value: default,
                detail,
            },
        }
    }

    /// A boolean flag's value, or `default` with the reason it was used.
    pub fn bool_value(
        &self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        default: bool,
    ) -> Typed<'_, bool> {
        self.typed(key, ctx, now, FlagType::Boolean, default, Value::as_bool)
    }

    /// A string flag's value, or `default` with the reason it was used.
    pub fn string_value(
        &self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        default: &str,
    ) -> Typed<'_, String> {
        self.typed(key, ctx, now, FlagType::String, default.to_owned(), |v| {
            v.as_str().map(str::to_owned)
        })
    }

    /// A number flag's value, or `default` with the reason it was used.
    pub fn number_value(
        &self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        default: f64,
    ) -> Typed<'_, f64> {
        self.typed(key, ctx, now, FlagType::Number, default, Value::as_f64)
    }

    /// A JSON flag's value, or `default` with the reason it was used.
    pub fn json_value(
        &self,
        key: &str,
        ctx: &Context,
        now: Timestamp,
        default: Value,
    ) -> Typed<'_, Value> {
        self.typed(key, ctx, now, FlagType::Json, default, |v| Some(v.clone()))
    }

    fn decide(&self, i: usize, ctx: &Context, now: Timestamp) -> Decision<'_> {
        let Some(f) = self.flags.get(i) else {
            return Decision::plain(0, Reason::Error);
        };
        if !f.enabled {
            return Decision::plain(f.rollback, Reason::Disabled);
        }
        for (p, wanted) in &f.prerequisites {
            if self.decide(*p, ctx, now).variant != *wanted {
                return Decision::plain(f.rollback, Reason::PrerequisiteFailed);
            }
        }
        if !f.targets.is_empty() {
            if let Some(Attr::String(key)) = ctx.get(TARGETING_KEY) {
                // A browser snapshot holds only digests of its target keys.
                let hit = match &self.defs.private {
                    None => f.targets.get(key.as_str()),
                    Some(p) => f
                        .targets
                        .get(hex(&digest(&p.salt, Plain::Str(key.as_str()))).as_str()),
                };
                if let Some(v) = hit {
                    return Decision::plain(*v, Reason::TargetingMatch);
                }
            }
        }
        for rb in &f.rollbacks {
            if now >= rb.since && self.step_matches(rb, ctx) {
                if let Serve::Variant(v) = rb.serve {
                    return Decision {
                        rule: Some(&rb.name),
                        ..Decision::plain(v, Reason::Rollback)
                    };
                }
            }
        }
        // The first guarded rule rollout the user matched but is outside
        // of: its control arm, unless a guarded rollout decides.
        let mut control = None;
        for (r, rule) in f.rules.iter().enumerate() {
            if !self.step_matches(rule, ctx) {
                continue;
            }
            let d = match &rule.serve {
                Serve::Variant(v) => Decision::plain(*v, Reason::TargetingMatch),
                // Outside the rule's percentage: on to the next rule, as if
                // this rule were not there yet (docs/bucketing.md).
                Serve::Rollout(plan) => {
                    let site = Site::new(i, Some(r));
                    match rollout(plan, ctx, now) {
                        (stage, Place::Inside(v)) => {
                            Decision::inside(plan, site, stage, v, f.rollback)
                        }
                        (_, Place::Outside) => {
                            if plan.guard.is_some() {
                                control = control.or(Some(GuardHit::control(site)));
                            }
                            continue;
                        }
                        _ => continue,
                    }
                }
            };
            return Decision {
                rule: Some(&rule.name),
                guard: d.guard.or(control),
                ..d
            };
        }
        if let Some(plan) = &f.rollout {
            let site = Site::new(i, None);
            let (stage, inside) = rollout(plan, ctx, now);
            let d = match inside {
                Place::Inside(v) => Decision::inside(plan, site, stage, v, f.rollback),
                Place::Outside => Decision {
                    stage: Some(stage.at),
                    guard: plan.guard.as_ref().map(|_| GuardHit::control(site)),
                    ..Decision::plain(f.default, Reason::Split)
                },
                Place::Unbucketed => Decision {
                    stage: Some(stage.at),
                    ..Decision::plain(f.default, Reason::Default)
                },
            };
            return Decision {
                guard: d.guard.or(control),
                ..d
            };
        }
        let reason = if f.targeted {
            Reason::Default
        } else {
            Reason::Static
        };
        Decision {
            guard: control,
            ..Decision::plain(f.default, reason)
        }
    }

    fn step_matches(&self, step: &Step, ctx: &Context) -> bool {
        let segment_ok = match step.segment {
            Some(s) => self
                .segments
                .get(s)
                .is_some_and(|conds| conds.iter().all(|c| c.matches(ctx))),
            None => true,
        };
        segment_ok && step.conds.iter().all(|c| c.matches(ctx))
    }
}

/// The current stage: the last one that has started, if any.
pub(crate) fn current_stage(plan: &Plan, now: Timestamp) -> (Option<usize>, u32) {
    let started = plan.stages.partition_point(|(at, _)| *at <= now);
    match started.checked_sub(1) {
        Some(i) => (Some(i), plan.stages.get(i).map_or(0, |(_, p)| *p)),
        None => (None, 0),
    }
}

/// Where a user stands in a rollout.
enum Place {
    /// No stage has started, the percentage is 0, or the user has no bucket.
    Unbucketed,
    /// The user's bucket is at or above the current percentage.
    Outside,
    /// Inside the percentage, with the variant the user gets.
    Inside(usize),
}

/// The stage a rollout is at.
#[derive(Clone, Copy)]
struct Stage {
    /// `(stage index, percent in thousandths)`.
    at: (Option<usize>, u32),
    /// A guard's hold keeps it from a stage the schedule has reached.
    held: bool,
}

/// The stage of `plan` at `now`, as far as a hold lets it go.
fn stage_of(plan: &Plan, now: Timestamp) -> Stage {
    let at = current_stage(plan, now);
    match &plan.halt {
        Some(Halted::Hold { stage: cap }) if at.0 > *cap => Stage {
            at: (
                *cap,
                cap.and_then(|c| plan.stages.get(c)).map_or(0, |(_, p)| *p),
            ),
            held: true,
        },
        _ => Stage { at, held: false },
    }
}

/// The current stage of `plan` at `now`, and where the user stands.
fn rollout(plan: &Plan, ctx: &Context, now: Timestamp) -> (Stage, Place) {
    let stage = stage_of(plan, now);
    let percent = stage.at.1;
    if percent == 0 {
        return (stage, Place::Unbucketed);
    }
    let mut digits = [0u8; 20];
    let value: &[u8] = match ctx.get(&plan.by) {
        Some(Attr::String(s)) => s.as_str().as_bytes(),
        Some(Attr::Number(n)) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => {
            decimal(*n as i64, &mut digits)
        }
        _ => return (stage, Place::Unbucketed),
    };
    let salt = plan.salt.as_bytes();
    if bucket(salt, value, INCLUSION_SEED) >= percent {
        return (stage, Place::Outside);
    }
    let place = match &plan.pick {
        Pick::One(v) => Place::Inside(*v),
        Pick::Split(split) => {
            let b = bucket(salt, value, VARIANT_SEED);
            // The weights sum to 100%, so some bound is above every bucket.
            split
                .iter()
                .find(|(upto, _)| b < *upto)
                .map_or(Place::Outside, |(_, v)| Place::Inside(*v))
        }
    };
    (stage, place)
}
