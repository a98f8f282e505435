//! Synthetic users through the real evaluation: how a plan distributes users
//! (`simulate`) and how many users a change moves (`diff`, the blast radius
//! an emergency hotfix must show is zero for every other flag).

use indexmap::IndexMap;
use serde::Serialize;

use crate::compile::snapshot::Snapshot;
use crate::compile::{Plan, Serve};
use crate::eval::Reason;
use crate::format::time::Timestamp;
use crate::model::Definitions;
use crate::model::FlagDef;
use crate::model::context::{Context, TARGETING_KEY};

/// How N users resolved for one flag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Distribution {
    pub key: String,
    pub users: usize,
    /// `(variant, reason)` outcomes, most common first.
    pub outcomes: Vec<Outcome>,
}

/// One outcome and how many users got it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub variant: Option<String>,
    pub reason: Reason,
    /// The rule or partial rollback that decided, so that each rule rollout
    /// is counted on its own.
    pub rule: Option<String>,
    pub users: usize,
    pub share: f64,
}

/// The synthetic user `i`: the template's attributes, with a fresh
/// `targetingKey` and a fresh value for every attribute a rollout buckets by
/// (unless the template fixes it), so that buckets spread as real users do.
pub fn synthetic_user(snapshot: &Snapshot, template: &Context, i: usize) -> Context {
    let mut ctx = template.clone();
    ctx.set(TARGETING_KEY, format!("user-{i}").into());
    for plan in plans(snapshot) {
        if &*plan.by != TARGETING_KEY && template.get(&plan.by).is_none() {
            ctx.set(&plan.by, format!("{}-{i}", plan.by).into());
        }
    }
    ctx
}

/// An outcome as counted: variant, reason, and the rule that decided.
type Key<'a> = (Option<&'a str>, Reason, Option<&'a str>);

/// Every rollout of a snapshot: the flags' and their rules'.
fn plans(snapshot: &Snapshot) -> impl Iterator<Item = &Plan> {
    snapshot.flags.iter().flat_map(|f| {
        f.rollout
            .iter()
            .chain(f.rules.iter().filter_map(|r| match &r.serve {
                Serve::Rollout(plan) => Some(&**plan),
                Serve::Variant(_) => None,
            }))
    })
}

impl Snapshot {
    /// Evaluates `users` synthetic users for the given flags (all when empty).
    pub fn simulate(
        &self,
        flags: &[&str],
        users: usize,
        now: Timestamp,
        template: &Context,
    ) -> Vec<Distribution> {
        let keys: Vec<&str> = if flags.is_empty() {
            self.flag_keys().collect()
        } else {
            flags.to_vec()
        };
        let mut tallies: Vec<IndexMap<Key<'_>, usize>> = vec![IndexMap::new(); keys.len()];
        for i in 0..users {
            let ctx = synthetic_user(self, template, i);
            for (key, tally) in keys.iter().zip(tallies.iter_mut()) {
                let r = self.evaluate(key, &ctx, now);
                *tally.entry((r.variant, r.reason, r.rule)).or_default() += 1;
            }
        }
        keys.iter()
            .zip(tallies)
            .map(|(key, tally)| {
                let mut outcomes: Vec<Outcome> = tally
                    .into_iter()
                    .map(|((variant, reason, rule), n)| Outcome {
                        variant: variant.map(str::to_owned),
                        reason,
                        rule: rule.map(str::to_owned),
                        users: n,
                        share: if users == 0 {
                            0.0
                        } else {
                            n as f64 / users as f64
                        },
                    })
                    .collect();
                outcomes.sort_by_key(|o| std::cmp::Reverse(o.users));
                Distribution {
                    key: (*key).to_owned(),
                    users,
                    outcomes,
                }
            })
            .collect()
    }
}

/// What happened to a flag's definition between two snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
    Unchanged,
}

/// One flag's part in a change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlagDiff {
    pub key: String,
    pub definition: Change,
    /// Synthetic users whose variant differs (present in both snapshots only).
    pub moved_users: Option<usize>,
    /// The moved users by the rule that decides them in the new snapshot, or
    /// failing that in the old (`None`: neither a rule nor a rollback), most first.
    pub by_rule: Vec<RuleMoves>,
    pub users: usize,
}

/// How many moved users one rule accounts for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleMoves {
    pub rule: Option<String>,
    pub users: usize,
}

/// The definition changes between two sets of definitions, flag by flag, in
/// the new order with removed flags last.
pub fn definition_changes(old: &Definitions, new: &Definitions) -> Vec<(String, Change)> {
    let change = |a: Option<&FlagDef>, b: Option<&FlagDef>| match (a, b) {
        (None, Some(_)) => Change::Added,
        (Some(_), None) => Change::Removed,
        (Some(a), Some(b)) if a != b => Change::Changed,
        _ => Change::Unchanged,
    };
    let mut out: Vec<(String, Change)> = new
        .flags
        .iter()
        .map(|(k, def)| (k.clone(), change(old.flags.get(k), Some(def))))
        .collect();
    for k in old.flags.keys().filter(|k| !new.flags.contains_key(*k)) {
        out.push((k.clone(), Change::Removed));
    }
    out
}

/// The names of segments added, removed or changed between two definitions.
pub fn segment_changes(old: &Definitions, new: &Definitions) -> Vec<String> {
    let mut names: Vec<String> = new
        .segments
        .iter()
        .filter(|(k, s)| old.segments.get(*k) != Some(*s))
        .map(|(k, _)| k.clone())
        .collect();
    names.extend(
        old.segments
            .keys()
            .filter(|k| !new.segments.contains_key(*k))
            .cloned(),
    );
    names
}

/// The blast radius of going from `old` to `new`, over `users` synthetic users.
pub fn diff(
    old: &Snapshot,
    new: &Snapshot,
    users: usize,
    now: Timestamp,
    template: &Context,
) -> Vec<FlagDiff> {
    let changes = definition_changes(old.definitions(), new.definitions());
    let mut moved = vec![0usize; changes.len()];
    let mut by_rule: Vec<IndexMap<Option<String>, usize>> = vec![IndexMap::new(); changes.len()];
    let both: Vec<Option<(crate::FlagId, crate::FlagId)>> = changes
        .iter()
        .map(|(k, _)| Some((old.flag_id(k)?, new.flag_id(k)?)))
        .collect();
    for i in 0..users {
        // The same synthetic user on both sides, with every bucketing attribute either side uses.
        let mut ctx = synthetic_user(old, template, i);
        for plan in plans(new) {
            if ctx.get(&plan.by).is_none() {
                ctx.set(&plan.by, format!("{}-{i}", plan.by).into());
            }
        }
        for ((slot, rules), ids) in moved.iter_mut().zip(&mut by_rule).zip(&both) {
            if let Some((a, b)) = ids {
                let (ra, rb) = (
                    old.evaluate_id(*a, &ctx, now),
                    new.evaluate_id(*b, &ctx, now),
                );
                if ra.value != rb.value || ra.variant != rb.variant {
                    *slot += 1;
                    let rule = rb.rule.or(ra.rule).map(str::to_owned);
                    *rules.entry(rule).or_default() += 1;
                }
            }
        }
    }
    changes
        .into_iter()
        .zip(moved.into_iter().zip(both).zip(by_rule))
        .map(|((key, definition), ((n, ids), rules))| {
            let mut by_rule: Vec<RuleMoves> = rules
                .into_iter()
                .map(|(rule, users)| RuleMoves { rule, users })
                .collect();
            by_rule.sort_by_key(|m| std::cmp::Reverse(m.users));
            FlagDiff {
                key,
                definition,
                moved_users: ids.map(|_| n),
                by_rule,
                users,
            }
        })
        .collect()
}
