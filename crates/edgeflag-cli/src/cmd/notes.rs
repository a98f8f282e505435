//! `edgeflag notes`: Markdown release notes for one environment, built from
//! the same resolved definitions and schedule positions a snapshot would carry.

use std::fmt::Write as _;
use std::path::Path;

use edgeflag::{Condition, FlagDef, FlagStatus, FlagType, Prerequisite, Rollout, RolloutStatus};
use serde::Serialize;

use crate::error::Result;
use crate::io;

#[derive(Serialize)]
struct Notes {
    release: String,
    environment: String,
    /// The flags with an override for this environment; none means the base
    /// plan throughout, which also shows a mistyped environment name.
    overrides: Vec<String>,
    at: String,
    owner: Option<String>,
    description: Option<String>,
    incident_channel: Option<String>,
    /// The release candidate (`edgeflag::candidate`).
    candidate: String,
    /// With `--snapshot`: how that snapshot was promoted, for people.
    promotion: Option<String>,
    flags: Vec<FlagNotes>,
}

#[derive(Serialize)]
struct FlagNotes {
    key: String,
    #[serde(rename = "type")]
    kind: &'static str,
    description: Option<String>,
    owner: Option<String>,
    runbook: Option<String>,
    hotfix: bool,
    enabled: bool,
    default: String,
    schedule: Option<Schedule>,
    rules: Vec<RuleNotes>,
    targets: usize,
    targets_by_variant: Vec<Targets>,
    partial_rollbacks: Vec<RollbackNotes>,
    prerequisites: Vec<Prerequisite>,
    rollback: RollbackPlanNotes,
}

#[derive(Serialize)]
struct Schedule {
    by: String,
    /// `on`, or a split such as `classic 50, grid 25`.
    serves: String,
    /// The current stage, 1-based; `None` before the first.
    current_stage: Option<usize>,
    percent: f64,
    stages: Vec<StageNotes>,
}

#[derive(Serialize)]
struct StageNotes {
    /// 1-based, as `status` and `rollback --to-stage` count.
    stage: usize,
    /// `None` for a constant percentage (in force from the start).
    at: Option<String>,
    percent: f64,
    current: bool,
}

#[derive(Serialize)]
struct RuleNotes {
    name: String,
    segment: Option<String>,
    conditions: Vec<Condition>,
    /// The variant everyone the rule matches gets; `None` for a rule rollout.
    serve: Option<String>,
    /// A rule rollout's own stages.
    schedule: Option<Schedule>,
    summary: String,
}

#[derive(Serialize)]
struct Targets {
    variant: String,
    keys: usize,
}

#[derive(Serialize)]
struct RollbackNotes {
    name: String,
    since: String,
    serve: String,
    segment: Option<String>,
    conditions: Vec<Condition>,
    active: bool,
    /// Who it applies to: the segment and/or conditions.
    applies_to: String,
}

#[derive(Serialize)]
struct RollbackPlanNotes {
    variant: String,
    steps: Vec<String>,
}

pub fn run(
    path: &Path,
    env: &str,
    at: Option<&str>,
    signed: Option<(&Path, &[std::path::PathBuf])>,
    json: bool,
) -> Result<()> {
    let now = io::time(at)?;
    let (release, snap) = io::compiled_release(path, env)?;
    let candidate = edgeflag::candidate(&release);
    let promotion = match signed {
        Some((file, trust)) => super::promotion::of_snapshot(file, trust, env, now, &candidate)?,
        None => None,
    };
    let status = snap.status(now);
    // The snapshot's own definitions are the environment-resolved ones
    // (`for_environment`), so text and schedule positions cannot disagree.
    let defs = snap.definitions();
    let flags = defs
        .flags
        .iter()
        .zip(&status)
        .map(|((key, def), st)| flag_notes(key, def, st))
        .collect();
    let notes = Notes {
        release: release.release.name.clone(),
        environment: env.to_owned(),
        overrides: release
            .flags
            .iter()
            .filter(|(_, def)| def.env.contains_key(env))
            .map(|(key, _)| key.clone())
            .collect(),
        at: now.to_string(),
        owner: release.release.owner.clone(),
        description: release.release.description.clone(),
        incident_channel: release.release.incident_channel.clone(),
        candidate,
        promotion,
        flags,
    };
    if json {
        return io::print_json(&notes);
    }
    out!("{}", markdown(&notes));
    Ok(())
}

fn flag_notes(key: &str, def: &FlagDef, st: &FlagStatus) -> FlagNotes {
    // Boolean flags without declared variants have the implicit `on`/`off`.
    let implicit = def.kind == FlagType::Boolean && def.variants.is_none();
    let default = def
        .default
        .clone()
        .unwrap_or_else(|| if implicit { "off" } else { "" }.to_owned());
    let schedule = st
        .rollout
        .as_ref()
        .zip(def.rollout.as_ref())
        .map(|(r, plan)| self::schedule(r, plan, implicit));
    let rules = def
        .rules
        .iter()
        .zip(&st.rules)
        .map(|(r, rs)| {
            let who = applies_to(r.segment.as_deref(), &r.conditions);
            let schedule = rs
                .rollout
                .as_ref()
                .zip(r.rollout.as_ref())
                .map(|(ro, plan)| self::schedule(ro, plan, implicit));
            let summary = match (&r.serve, &schedule) {
                (_, Some(sc)) => format!(
                    "{}: {who} get {} in stages of its own ({})",
                    rs.name,
                    sc.serves,
                    position(sc)
                ),
                (Some(v), None) => format!("{}: {who} get `{v}`", rs.name),
                (None, None) => format!("{}: {who}", rs.name),
            };
            RuleNotes {
                summary,
                name: rs.name.clone(),
                segment: r.segment.clone(),
                conditions: r.conditions.clone(),
                serve: r.serve.clone(),
                schedule,
            }
        })
        .collect();
    let partial_rollbacks = def
        .rollbacks
        .iter()
        .zip(&st.rollbacks)
        .map(|(d, s)| RollbackNotes {
            name: s.name.clone(),
            since: s.since.clone(),
            serve: s.serve.clone(),
            segment: d.segment.clone(),
            conditions: d.conditions.clone(),
            active: s.active,
            applies_to: applies_to(d.segment.as_deref(), &d.conditions),
        })
        .collect();
    let rollback = def.rollback.clone().unwrap_or_default();
    FlagNotes {
        key: key.to_owned(),
        kind: def.kind.name(),
        description: def.description.clone(),
        owner: def.owner.clone(),
        runbook: def.runbook.clone(),
        hotfix: st.hotfix,
        enabled: st.enabled,
        schedule,
        rules,
        targets: def.targets.values().map(Vec::len).sum(),
        targets_by_variant: def
            .targets
            .iter()
            .map(|(variant, keys)| Targets {
                variant: variant.clone(),
                keys: keys.len(),
            })
            .collect(),
        partial_rollbacks,
        prerequisites: def.prerequisites.clone(),
        rollback: RollbackPlanNotes {
            variant: rollback.variant.unwrap_or_else(|| default.clone()),
            steps: rollback.steps,
        },
        default,
    }
}

fn schedule(r: &RolloutStatus, plan: &Rollout, implicit: bool) -> Schedule {
    Schedule {
        by: r.by.clone(),
        serves: serves(plan, implicit),
        current_stage: r.stage.map(|i| i + 1),
        percent: r.percent,
        stages: r
            .stages
            .iter()
            .map(|s| StageNotes {
                stage: s.index + 1,
                at: s.at.clone(),
                percent: s.percent,
                current: r.stage == Some(s.index),
            })
            .collect(),
    }
}

/// `stage 2 of 3, 25%`, or `not started (0%)`.
fn position(r: &Schedule) -> String {
    match r.current_stage {
        Some(i) => format!("stage {i} of {}, {}%", r.stages.len(), r.percent),
        None => "not started (0%)".to_owned(),
    }
}

/// What a rollout hands out: one variant, or the weighted split.
fn serves(plan: &Rollout, implicit: bool) -> String {
    match (&plan.variant, &plan.weights) {
        (Some(v), _) => format!("`{v}`"),
        (None, Some(w)) => w
            .iter()
            .map(|(v, n)| format!("`{v}` {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        (None, None) if implicit => "`on`".to_owned(),
        (None, None) => String::new(),
    }
}

/// Who a rule or a partial rollback is for: `users in segment `x` with `country in US, DE``.
fn applies_to(segment: Option<&str>, conditions: &[Condition]) -> String {
    let conds: Vec<String> = conditions.iter().map(condition).collect();
    match (segment, conds.is_empty()) {
        (None, true) => "everyone".to_owned(),
        (Some(seg), true) => format!("users in segment `{seg}`"),
        (None, false) => format!("users with {}", conds.join(" and ")),
        (Some(seg), false) => format!("users in segment `{seg}` with {}", conds.join(" and ")),
    }
}

fn condition(c: &Condition) -> String {
    let op = serde_json::to_value(c.op)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let values: Vec<String> = c
        .values
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let not = if c.negate { "not " } else { "" };
    if values.is_empty() {
        format!("`{} {not}{op}`", c.attr)
    } else {
        format!("`{} {not}{op} {}`", c.attr, values.join(", "))
    }
}

fn link(url: &str) -> String {
    format!("[{url}]({url})")
}

/// Keeps a table cell on its row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn markdown(n: &Notes) -> String {
    let mut s = String::new();
    // Writing into a String cannot fail: the results are ignored on purpose.
    let _ = writeln!(s, "# Release notes: {} ({})", n.release, n.environment);
    let _ = writeln!(s);
    if let Some(d) = &n.description {
        let _ = writeln!(s, "{d}");
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "- **Release owner:** {}",
        n.owner.as_deref().unwrap_or("none given")
    );
    let _ = writeln!(
        s,
        "- **Incident channel:** {}",
        n.incident_channel
            .as_deref()
            .map_or("none given".to_owned(), link)
    );
    let overrides = if n.overrides.is_empty() {
        "none: every flag follows its base plan".to_owned()
    } else {
        let keys: Vec<String> = n.overrides.iter().map(|k| format!("`{k}`")).collect();
        keys.join(", ")
    };
    let _ = writeln!(s, "- **Environment overrides:** {overrides}");
    let _ = writeln!(s, "- **Release candidate:** `{}`", n.candidate);
    if let Some(p) = &n.promotion {
        let _ = writeln!(s, "- **Promotion:** {p}");
    }
    let _ = writeln!(s, "- **Schedule positions at:** {}", n.at);
    let _ = writeln!(s, "- **Flags:** {}", n.flags.len());
    for f in &n.flags {
        let _ = writeln!(s);
        flag_markdown(&mut s, f);
    }
    s
}

fn flag_markdown(s: &mut String, f: &FlagNotes) {
    let mut heading = format!("## `{}`", f.key);
    if f.hotfix {
        heading.push_str(" **hotfix**");
    }
    if !f.enabled {
        heading.push_str(" **disabled**");
    }
    let _ = writeln!(s, "{heading}");
    let _ = writeln!(s);
    if let Some(d) = &f.description {
        let _ = writeln!(s, "{d}");
        let _ = writeln!(s);
    }
    if !f.enabled {
        let _ = writeln!(
            s,
            "**Disabled** (`enabled = false`): everyone gets `{}`.",
            f.rollback.variant
        );
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "- **Type:** {}", f.kind);
    let _ = writeln!(
        s,
        "- **Owner:** {}",
        f.owner.as_deref().unwrap_or("none given")
    );
    let _ = writeln!(
        s,
        "- **Runbook:** {}",
        f.runbook.as_deref().map_or("none given".to_owned(), link)
    );
    let _ = writeln!(s, "- **Default:** `{}`", f.default);
    let targets = if f.targets == 0 {
        "none".to_owned()
    } else {
        let per: Vec<String> = f
            .targets_by_variant
            .iter()
            .map(|t| format!("{} for `{}`", t.keys, t.variant))
            .collect();
        format!("{} key(s) ({})", f.targets, per.join(", "))
    };
    let _ = writeln!(s, "- **Targets:** {targets}");
    if !f.prerequisites.is_empty() {
        let list: Vec<String> = f
            .prerequisites
            .iter()
            .map(|p| format!("`{}` serves `{}`", p.flag, p.variant))
            .collect();
        let _ = writeln!(s, "- **Prerequisites:** {}", list.join(", "));
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "### Schedule");
    let _ = writeln!(s);
    match &f.schedule {
        None => {
            let _ = writeln!(s, "No rollout: no percentage schedule.");
        }
        Some(r) => schedule_markdown(s, r),
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "### Rules");
    let _ = writeln!(s);
    if f.rules.is_empty() {
        let _ = writeln!(s, "No rules.");
    }
    for r in &f.rules {
        let _ = writeln!(s, "- {}", r.summary);
    }
    for r in &f.rules {
        if let Some(sc) = &r.schedule {
            let _ = writeln!(s);
            let _ = writeln!(s, "#### Rule `{}`: its schedule", r.name);
            let _ = writeln!(s);
            schedule_markdown(s, sc);
        }
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "### Partial rollbacks");
    let _ = writeln!(s);
    if f.partial_rollbacks.is_empty() {
        let _ = writeln!(s, "None.");
    }
    for r in &f.partial_rollbacks {
        let state = if r.active {
            format!("**active** since {}", r.since)
        } else {
            format!("scheduled from {}", r.since)
        };
        let _ = writeln!(
            s,
            "- {}: {state}; {} get `{}`",
            r.name, r.applies_to, r.serve
        );
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "### Rollback (serves `{}`)", f.rollback.variant);
    let _ = writeln!(s);
    if f.rollback.steps.is_empty() {
        let _ = writeln!(s, "No rollback steps written.");
    }
    for (i, step) in f.rollback.steps.iter().enumerate() {
        let _ = writeln!(s, "{}. {step}", i + 1);
    }
}

/// A schedule's one-line summary and its stage table.
fn schedule_markdown(s: &mut String, r: &Schedule) {
    let _ = writeln!(
        s,
        "Serves {} to a share of users bucketed by `{}`; now: {}.",
        if r.serves.is_empty() {
            "the rollout"
        } else {
            &r.serves
        },
        r.by,
        position(r)
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "| Stage | Starts | Percent | Now |");
    let _ = writeln!(s, "|---:|---|---:|---|");
    for st in &r.stages {
        let _ = writeln!(
            s,
            "| {} | {} | {}% | {} |",
            st.stage,
            cell(st.at.as_deref().unwrap_or("from the start")),
            st.percent,
            if st.current { "**current**" } else { "" }
        );
    }
}
