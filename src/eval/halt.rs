//! Halts (docs/guards.md): what a guard's regression does to evaluation.
//!
//! A regression is found from unsigned input (metric events), so a halt
//! chooses nothing itself. It names a guarded rollout by flag, rule and the
//! digest of its signed plan, and the stage it was found at; what it does is
//! what the signed guard says (`hold` or `rollback`), and it can only ever
//! move the rollout's users toward the rollback variant or keep the rollout
//! from widening. Targets, partial rollbacks, other rules and other flags
//! are untouched. A new signed plan for that rollout has another digest,
//! and so clears the halt.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compile::snapshot::Snapshot;
use crate::compile::{Halted, Plan};
use crate::eval::guard::Evidence;
use crate::format::base64::hex;
use crate::model::{Guard, OnRegression, Rollout};

/// Where a guarded rollout sits in a snapshot: a flag's rollout or one of
/// its rules' (by position). Eight bytes, since every resolution may carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    flag: u32,
    /// `u32::MAX` for the flag's own rollout.
    rule: u32,
}

impl Site {
    pub(crate) fn new(flag: usize, rule: Option<usize>) -> Self {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX - 1);
        Site {
            flag: narrow(flag),
            rule: rule.map_or(u32::MAX, narrow),
        }
    }

    /// The flag, by position in the snapshot.
    pub fn flag(self) -> usize {
        self.flag as usize
    }

    /// The rule, by position in the flag's rules; `None` for the flag's rollout.
    pub fn rule(self) -> Option<usize> {
        (self.rule != u32::MAX).then_some(self.rule as usize)
    }
}

/// The two arms a guard compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Users the rollout has not reached yet (its bucket is above the
    /// percentage): what everyone would get without it.
    Control,
    /// The rollout's users.
    Treatment,
}

/// How a guarded rollout took part in one evaluation: the arm the user was
/// in, and whether a halt decided the result (its metric:
/// [`crate::Resolution::guard_metric`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardHit {
    pub site: Site,
    pub side: Side,
    /// The result is the halt's: the rollback variant, or a frozen stage that
    /// the signed schedule has passed.
    pub halted: bool,
}

impl GuardHit {
    pub(crate) fn control(site: Site) -> Self {
        GuardHit {
            site,
            side: Side::Control,
            halted: false,
        }
    }
}

/// A halt as recorded: which rollout, at which stage, why and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Halt {
    pub flag: String,
    /// The rule, for a rule rollout.
    #[serde(default)]
    pub rule: Option<String>,
    /// [`plan_id`] of the guarded rollout the regression was found in.
    pub plan: String,
    /// The stage (0-based) that had started when it was found.
    #[serde(default)]
    pub stage: Option<usize>,
    pub metric: String,
    /// When it was recorded (RFC 3339).
    pub at: String,
    pub evidence: Evidence,
}

/// A guarded rollout of a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Guarded<'a> {
    pub site: Site,
    pub flag: &'a str,
    pub rule: Option<&'a str>,
    pub guard: &'a Guard,
    /// [`plan_id`] of its signed plan.
    pub plan: String,
    /// Whether a halt is applied to it.
    pub halted: bool,
}

/// The identity of a guarded rollout's signed plan: `sha256:` over the flag,
/// the rule and the rollout as written (schedule, weights, salt, guard). A
/// halt applies while the plan is the same, through any number of snapshot
/// versions, and a changed plan is a new rollout with no halt.
pub fn plan_id(flag: &str, rule: Option<&str>, rollout: &Rollout) -> String {
    // Strings, finite numbers and lists of them: serialising cannot fail.
    let text = serde_json::to_vec(&(flag, rule, rollout)).unwrap_or_default();
    format!("sha256:{}", hex(&Sha256::digest(&text)))
}

impl Snapshot {
    /// Every guarded rollout, flags in release-file order, a flag's rules
    /// before its own rollout.
    pub fn guarded(&self) -> Vec<Guarded<'_>> {
        let mut out = Vec::new();
        for (i, (key, def)) in self.defs.flags.iter().enumerate() {
            let rules = def.rules.iter().enumerate().filter_map(|(r, rule)| {
                let ro = rule.rollout.as_ref()?;
                Some((Some(r), rule.name.as_deref(), ro))
            });
            let own = def.rollout.as_ref().map(|ro| (None, None, ro));
            for (r, name, ro) in rules.chain(own) {
                let Some(guard) = &ro.guard else { continue };
                let site = Site::new(i, r);
                out.push(Guarded {
                    site,
                    flag: key,
                    rule: name,
                    guard,
                    plan: plan_id(key, name, ro),
                    halted: self.plan_at(site).is_some_and(|p| p.halt.is_some()),
                });
            }
        }
        out
    }

    /// Applies `halts` in place of any applied before: each one whose flag,
    /// rule and plan match a guarded rollout of this snapshot, as its signed
    /// guard says. Returns the halts applied; the others are for plans this
    /// snapshot no longer has.
    pub fn apply_halts<'h>(&mut self, halts: &'h [Halt]) -> Vec<&'h Halt> {
        let guarded: Vec<(Site, OnRegression, String, Option<String>, String)> = self
            .guarded()
            .into_iter()
            .map(|g| {
                let (flag, rule) = (g.flag.to_owned(), g.rule.map(str::to_owned));
                (g.site, g.guard.on_regression, flag, rule, g.plan)
            })
            .collect();
        let mut applied = Vec::new();
        for (site, action, flag, rule, plan) in guarded {
            let halt = halts
                .iter()
                .find(|h| h.flag == flag && h.rule == rule && h.plan == plan);
            let Some(p) = self.plan_at_mut(site) else {
                continue;
            };
            p.halt = halt.map(|h| match action {
                OnRegression::Hold => Halted::Hold { stage: h.stage },
                OnRegression::Rollback => Halted::Rollback {
                    rule: format!("guard: {}", p.guard.as_deref().unwrap_or(&h.metric)).into(),
                },
            });
            applied.extend(halt);
        }
        applied
    }

    pub(crate) fn plan_at(&self, site: Site) -> Option<&Plan> {
        let f = self.flags.get(site.flag())?;
        match site.rule() {
            None => f.rollout.as_ref(),
            Some(r) => match &f.rules.get(r)?.serve {
                crate::compile::Serve::Rollout(p) => Some(p),
                crate::compile::Serve::Variant(_) => None,
            },
        }
    }

    fn plan_at_mut(&mut self, site: Site) -> Option<&mut Plan> {
        let f = self.flags.get_mut(site.flag())?;
        match site.rule() {
            None => f.rollout.as_mut(),
            Some(r) => match &mut f.rules.get_mut(r)?.serve {
                crate::compile::Serve::Rollout(p) => Some(p),
                crate::compile::Serve::Variant(_) => None,
            },
        }
    }
}
