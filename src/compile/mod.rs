//! Turns flag definitions into the indexed form evaluation runs on, and
//! rejects every definition that could not be evaluated as written.

use std::collections::HashMap;

pub mod audience;
pub mod condition;
#[cfg(feature = "toml")]
pub mod lines;
mod plan;
pub mod release;
pub mod snapshot;

pub(crate) use plan::thousandths;
use plan::{plan, rule_salt};

use serde_json::Value;

use crate::compile::condition::Cond;
use crate::compile::snapshot::FastMap;
use crate::format::path::Loc;
use crate::format::time::Timestamp;
use crate::model::Definitions;
use crate::model::error::ReleaseError;
use crate::model::{Condition, FlagDef, FlagType, Private};

/// A location built only when an error needs it: paths allocate, and a
/// large snapshot must not pay for locations it never reports.
pub(crate) type Locate<'a> = &'a dyn Fn() -> Loc;

#[derive(Clone)]
pub(crate) struct Flag {
    pub(crate) variants: Vec<(Box<str>, Value)>,
    pub(crate) default: usize,
    pub(crate) rollback: usize,
    pub(crate) enabled: bool,
    /// Serve the rollback variant once the snapshot has expired.
    pub(crate) fail_safe: bool,
    pub(crate) prerequisites: Vec<(usize, usize)>,
    pub(crate) targets: FastMap<Box<str>, usize>,
    pub(crate) rollbacks: Vec<Step>,
    pub(crate) rules: Vec<Step>,
    pub(crate) rollout: Option<Plan>,
    /// Whether anything can serve other than the default (STATIC vs DEFAULT).
    pub(crate) targeted: bool,
}

/// A rule or a partial rollback: who it matches and what it serves.
#[derive(Clone)]
pub(crate) struct Step {
    pub(crate) name: Box<str>,
    pub(crate) segment: Option<usize>,
    pub(crate) conds: Vec<Cond>,
    pub(crate) serve: Serve,
    pub(crate) since: Timestamp,
}

/// What a matching step gives: one variant to everyone it matches, or (rules
/// only) a staged rollout that the users outside its percentage pass through.
#[derive(Clone)]
pub(crate) enum Serve {
    Variant(usize),
    /// Boxed: most steps serve a variant, and a small `Step` keeps the rule
    /// loop's memory compact.
    Rollout(Box<Plan>),
}

#[derive(Clone)]
pub(crate) struct Plan {
    pub(crate) by: Box<str>,
    pub(crate) salt: Box<str>,
    pub(crate) pick: Pick,
    /// `(starts at, percent in thousandths)`, strictly increasing in time.
    pub(crate) stages: Vec<(Timestamp, u32)>,
    /// The guard's metric, when the rollout is guarded: its users and the
    /// users it has not reached yet are the guard's two arms.
    pub(crate) guard: Option<Box<str>>,
    /// A guard's halt, applied over the signed plan (docs/guards.md).
    pub(crate) halt: Option<Halted>,
}

/// A guard's halt as applied to a plan (eval/halt.rs applies it).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Halted {
    /// No stage after this one (`None`: none at all).
    Hold { stage: Option<usize> },
    /// The rollout's users get the rollback variant; `rule` is `guard: <metric>`.
    Rollback { rule: Box<str> },
}

#[derive(Clone)]
pub(crate) enum Pick {
    One(usize),
    /// `(cumulative upper bound in thousandths, variant)`.
    Split(Vec<(u32, usize)>),
}

/// Where each overridable part of a flag came from, for error messages:
/// `Some(env)` when that environment's override replaced it.
#[derive(Default)]
pub(crate) struct Origins<'a> {
    pub(crate) targets: Option<&'a str>,
    pub(crate) rules: Option<&'a str>,
    pub(crate) rollout: Option<&'a str>,
}

impl Origins<'_> {
    fn at(base: &Loc, env: Option<&str>) -> Loc {
        match env {
            Some(e) => base.key("env").key(e),
            None => base.clone(),
        }
    }
}

pub(crate) fn segments(defs: &Definitions) -> Result<Vec<Vec<Cond>>, ReleaseError> {
    let private = defs.private.as_ref();
    defs.segments
        .iter()
        .map(|(name, seg)| {
            let at = || Loc::root().key("segments").key(name);
            if seg.conditions.is_empty() {
                return Err(ReleaseError::Missing {
                    at: at(),
                    field: "match",
                    why: "a segment needs at least one condition",
                });
            }
            conditions(&seg.conditions, &|| at().key("match"), private)
        })
        .collect()
}

fn conditions(
    conds: &[Condition],
    at: Locate,
    private: Option<&Private>,
) -> Result<Vec<Cond>, ReleaseError> {
    conds
        .iter()
        .enumerate()
        .map(|(i, c)| condition::compile(c, &|| at().index(i), private))
        .collect()
}

pub(crate) fn time(value: &str, at: impl FnOnce() -> Loc) -> Result<Timestamp, ReleaseError> {
    Timestamp::parse(value).ok_or_else(|| ReleaseError::BadTime {
        at: at(),
        value: value.to_owned(),
    })
}

pub(crate) struct Variants<'a> {
    names: Vec<&'a str>,
}

impl Variants<'_> {
    /// `at` is only built on error: locations allocate, and compiling a
    /// large snapshot must not pay for paths it never reports.
    pub(crate) fn find(&self, name: &str, at: impl FnOnce() -> Loc) -> Result<usize, ReleaseError> {
        self.names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| ReleaseError::UnknownVariant {
                at: at(),
                variant: name.to_owned(),
                known: self
                    .names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

fn variant_values(def: &FlagDef, at: Locate) -> Result<Vec<(Box<str>, Value)>, ReleaseError> {
    let Some(declared) = &def.variants else {
        if def.kind == FlagType::Boolean {
            return Ok(vec![
                ("on".into(), Value::Bool(true)),
                ("off".into(), Value::Bool(false)),
            ]);
        }
        return Err(ReleaseError::Missing {
            at: at(),
            field: "variants",
            why: "only boolean flags have implicit variants",
        });
    };
    if declared.is_empty() {
        return Err(ReleaseError::Missing {
            at: at().key("variants"),
            field: "variants",
            why: "a flag needs at least one variant",
        });
    }
    declared
        .iter()
        .map(|(name, value)| {
            if def.kind.accepts(value) {
                Ok((name.as_str().into(), value.clone()))
            } else {
                Err(ReleaseError::WrongValueType {
                    at: at().key("variants").key(name),
                    expected: def.kind.name(),
                    value: value.to_string(),
                })
            }
        })
        .collect()
}

/// Compiles one flag. Prerequisites are resolved against `keys`; cycles are
/// checked once every flag is known.
pub(crate) fn flag(
    key: &str,
    def: &FlagDef,
    defs: &Definitions,
    origins: &Origins,
) -> Result<Flag, ReleaseError> {
    let at: Locate = &|| Loc::root().key("flags").key(key);
    if def.clients.as_ref().is_some_and(Vec::is_empty) {
        return Err(ReleaseError::Missing {
            at: at().key("clients"),
            field: "clients",
            why: "a flag is evaluated by \"server\", \"browser\" or both; leave `clients` out for servers only",
        });
    }
    let variants = variant_values(def, at)?;
    let names = Variants {
        names: variants.iter().map(|(n, _)| &**n).collect(),
    };
    let default = match (&def.default, def.kind) {
        (Some(d), _) => names.find(d, || at().key("default"))?,
        (None, FlagType::Boolean) if def.variants.is_none() => {
            names.find("off", || at().key("default"))?
        }
        (None, _) => {
            return Err(ReleaseError::Missing {
                at: at(),
                field: "default",
                why: "only a boolean flag with the implicit `on`/`off` variants defaults to `off`",
            });
        }
    };
    let rollback = match def.rollback.as_ref().and_then(|r| r.variant.as_ref()) {
        Some(v) => names.find(v, || at().key("rollback").key("variant"))?,
        None => default,
    };
    let mut prerequisites = Vec::with_capacity(def.prerequisites.len());
    for (i, p) in def.prerequisites.iter().enumerate() {
        let pat = || at().key("prerequisites").index(i);
        let Some((idx, _, other)) = defs.flags.get_full(&p.flag) else {
            return Err(ReleaseError::UnknownFlag {
                at: pat().key("flag"),
                flag: p.flag.clone(),
            });
        };
        let other_variants = variant_values(other, &pat)?;
        let wanted = Variants {
            names: other_variants.iter().map(|(n, _)| &**n).collect(),
        }
        .find(&p.variant, || pat().key("variant"))?;
        prerequisites.push((idx, wanted));
    }
    let mut targets = FastMap::default();
    let tat = || Origins::at(&at(), origins.targets).key("targets");
    for (variant, keys) in &def.targets {
        let v = names.find(variant, || tat().key(variant))?;
        for (i, k) in keys.iter().enumerate() {
            if targets.insert(k.as_str().into(), v).is_some() {
                return Err(ReleaseError::DuplicateName {
                    at: tat().key(variant).index(i),
                    name: k.clone(),
                });
            }
        }
    }
    let seg = |name: &Option<String>, at: Locate| -> Result<Option<usize>, ReleaseError> {
        name.as_ref()
            .map(|s| {
                defs.segments
                    .get_index_of(s)
                    .ok_or_else(|| ReleaseError::UnknownSegment {
                        at: at(),
                        segment: s.clone(),
                    })
            })
            .transpose()
    };
    let implicit_on = def.kind == FlagType::Boolean && def.variants.is_none();
    let mut rules = Vec::with_capacity(def.rules.len());
    let rat = || Origins::at(&at(), origins.rules).key("rules");
    for (i, r) in def.rules.iter().enumerate() {
        let at: Locate = &|| rat().index(i);
        let name = step_name(&r.name, "rule", i, &rules, at)?;
        let serve = match (&r.serve, &r.rollout) {
            (Some(v), None) => Serve::Variant(names.find(v, || at().key("serve"))?),
            (None, Some(ro)) => {
                if r.name.is_none() {
                    return Err(ReleaseError::Missing {
                        at: at(),
                        field: "name",
                        why: "a rule rollout picks its users by the rule's name, \
                              which must not change when rules are reordered",
                    });
                }
                let salt = rule_salt(key, &name);
                Serve::Rollout(Box::new(plan(&salt, implicit_on, ro, &names, &|| {
                    at().key("rollout")
                })?))
            }
            (Some(_), Some(_)) => {
                return Err(ReleaseError::Conflict {
                    at: at(),
                    why: "a rule has either `serve` or a `rollout`, not both",
                });
            }
            (None, None) => {
                return Err(ReleaseError::Missing {
                    at: at(),
                    field: "serve",
                    why: "a rule serves one variant (`serve`) or a staged `rollout`",
                });
            }
        };
        let segment = seg(&r.segment, &|| at().key("segment"))?;
        let conds = step_conditions(
            r.segment.is_some(),
            &r.conditions,
            at,
            defs.private.as_ref(),
        )?;
        rules.push(Step {
            name,
            segment,
            conds,
            serve,
            since: Timestamp::MIN,
        });
    }
    let mut rollbacks = Vec::with_capacity(def.rollbacks.len());
    let bat = || at().key("rollbacks");
    for (i, r) in def.rollbacks.iter().enumerate() {
        let at: Locate = &|| bat().index(i);
        rollbacks.push(Step {
            name: step_name(&r.name, "rollback", i, &rollbacks, at)?,
            segment: seg(&r.segment, &|| at().key("segment"))?,
            conds: step_conditions(
                r.segment.is_some(),
                &r.conditions,
                at,
                defs.private.as_ref(),
            )?,
            serve: Serve::Variant(names.find(&r.serve, || at().key("serve"))?),
            since: time(&r.since, || at().key("since"))?,
        });
    }
    let rollout = def
        .rollout
        .as_ref()
        .map(|r| {
            plan(key, implicit_on, r, &names, &|| {
                Origins::at(&at(), origins.rollout).key("rollout")
            })
        })
        .transpose()?;
    if !def.env.is_empty() {
        return Err(ReleaseError::Conflict {
            at: at().key("env"),
            why: "environment overrides are resolved before a snapshot is compiled",
        });
    }
    Ok(Flag {
        targeted: !rules.is_empty()
            || !targets.is_empty()
            || !rollbacks.is_empty()
            || rollout.is_some(),
        variants,
        default,
        rollback,
        enabled: def.enabled.unwrap_or(true),
        fail_safe: def.stale == Some(crate::model::StalePolicy::Safe),
        prerequisites,
        targets,
        rollbacks,
        rules,
        rollout,
    })
}

fn step_name(
    name: &Option<String>,
    kind: &str,
    i: usize,
    before: &[Step],
    at: Locate,
) -> Result<Box<str>, ReleaseError> {
    let given = name.is_some();
    let name: Box<str> = match name {
        Some(n) => n.as_str().into(),
        None => format!("{kind} {}", i + 1).into(),
    };
    if before.iter().any(|s| s.name == name) {
        // An unnamed step is called "rule N"; a clash is reported on the step.
        let name_at = if given { at().key("name") } else { at() };
        return Err(ReleaseError::DuplicateName {
            at: name_at,
            name: name.into(),
        });
    }
    Ok(name)
}

fn step_conditions(
    has_segment: bool,
    conds: &[Condition],
    at: Locate,
    private: Option<&Private>,
) -> Result<Vec<Cond>, ReleaseError> {
    if !has_segment && conds.is_empty() {
        return Err(ReleaseError::Missing {
            at: at(),
            field: "segment",
            why: "give a segment, conditions (`match`), or both",
        });
    }
    conditions(conds, &|| at().key("match"), private)
}

/// Rejects prerequisite cycles, naming the flags on the cycle.
pub(crate) fn check_cycles(flags: &[Flag], keys: &[&str]) -> Result<(), ReleaseError> {
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; flags.len()];
    let mut path = Vec::new();
    fn visit(
        i: usize,
        flags: &[Flag],
        keys: &[&str],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Result<(), ReleaseError> {
        match state.get(i) {
            Some(2) | None => return Ok(()),
            Some(1) => {
                let start = path.iter().position(|p| *p == i).unwrap_or(0);
                let mut cycle: Vec<String> = path
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .map(|p| keys.get(*p).copied().unwrap_or("?").to_owned())
                    .collect();
                cycle.push(keys.get(i).copied().unwrap_or("?").to_owned());
                return Err(ReleaseError::PrerequisiteCycle { cycle });
            }
            _ => {}
        }
        if let Some(s) = state.get_mut(i) {
            *s = 1;
        }
        path.push(i);
        if let Some(f) = flags.get(i) {
            for (p, _) in &f.prerequisites {
                visit(*p, flags, keys, state, path)?;
            }
        }
        path.pop();
        if let Some(s) = state.get_mut(i) {
            *s = 2;
        }
        Ok(())
    }
    for i in 0..flags.len() {
        visit(i, flags, keys, &mut state, &mut path)?;
    }
    Ok(())
}

pub(crate) fn index(keys: &[&str]) -> FastMap<Box<str>, usize> {
    let mut map: FastMap<Box<str>, usize> =
        HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    for (i, k) in keys.iter().enumerate() {
        map.insert((*k).into(), i);
    }
    map
}
