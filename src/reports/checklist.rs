//! The release checklist: the release manager's non-negotiable list, run on a
//! release file before anything is built from it. It reports every violation
//! at once rather than stopping at the first, so one run gives the whole fix list.

use serde::Serialize;

use indexmap::IndexMap;

use crate::format::path::Num;
use crate::model::{Audience, FlagDef, ReleaseFile, Segment};
pub use crate::reports::staged::Thresholds;
use crate::reports::staged::{Staged, default_variant, staged_plan};

/// The environment whose plan the checklist holds to its thresholds.
const CHECKED_ENVIRONMENT: &str = "production";

/// One item of the checklist. In JSON, snake case: `staged_plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// `[release] owner` is present and not blank.
    ReleaseOwner,
    /// `[release] incident_channel` is an https link with a host.
    IncidentChannel,
    /// The flag's `owner` is present and not blank.
    Owner,
    /// The flag's `description` is present and not blank.
    Description,
    /// The flag's `runbook` is an https link with a host.
    Runbook,
    /// `rollback.variant` is given, not left to fall back to the default.
    RollbackVariant,
    /// `rollback.steps` has at least one non-blank step.
    RollbackSteps,
    /// A flag that changes what users get does so in soaked stages up to 100%.
    StagedPlan,
    /// Each rollout reaching more than `require_guard_above` carries a guard.
    Guarded,
}

impl Check {
    /// The release-level checks, in report order.
    pub const RELEASE: [Check; 2] = [Check::ReleaseOwner, Check::IncidentChannel];
    /// The per-flag checks, in report order.
    pub const FLAG: [Check; 7] = [
        Check::Owner,
        Check::Description,
        Check::Runbook,
        Check::RollbackVariant,
        Check::RollbackSteps,
        Check::StagedPlan,
        Check::Guarded,
    ];
}

/// The outcome of one check. In JSON: `{"status": "fail", "message": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "message", rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    /// What is wrong, naming the field and its value.
    Fail(String),
    /// Why the check does not apply to this flag.
    NotApplicable(String),
}

impl CheckStatus {
    pub fn is_fail(&self) -> bool {
        matches!(self, CheckStatus::Fail(_))
    }

    /// The failure or the reason it does not apply; `None` for a pass.
    pub fn message(&self) -> Option<&str> {
        match self {
            CheckStatus::Pass => None,
            CheckStatus::Fail(m) | CheckStatus::NotApplicable(m) => Some(m),
        }
    }
}

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    pub check: Check,
    #[serde(flatten)]
    pub status: CheckStatus,
}

/// Every check of one flag, in [`Check::FLAG`] order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlagReport {
    pub flag: String,
    /// Who may evaluate the flag (its audience): servers, browsers or both.
    pub clients: Vec<Audience>,
    pub items: Vec<CheckItem>,
}

impl FlagReport {
    /// No check failed (not applicable counts as passing).
    pub fn passed(&self) -> bool {
        !self.items.iter().any(|i| i.status.is_fail())
    }

    pub fn status(&self, check: Check) -> Option<&CheckStatus> {
        status_of(&self.items, check)
    }
}

/// The counts a release manager reads first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckSummary {
    pub flags: usize,
    pub flags_passing: usize,
    /// Failed checks, release-level ones included; a staged plan with several
    /// stage problems counts once.
    pub violations: usize,
    pub passed: bool,
}

/// The whole checklist of one release file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChecklistReport {
    /// The release's name.
    pub release: String,
    pub thresholds: Thresholds,
    /// The release-level checks, in [`Check::RELEASE`] order.
    pub release_items: Vec<CheckItem>,
    /// One report per flag, in file order.
    pub flags: Vec<FlagReport>,
    pub summary: CheckSummary,
}

impl ChecklistReport {
    /// No check failed anywhere: the release may ship.
    pub fn passed(&self) -> bool {
        self.summary.passed
    }

    pub fn flag(&self, key: &str) -> Option<&FlagReport> {
        self.flags.iter().find(|f| f.flag == key)
    }

    /// The status of a release-level check.
    pub fn release_status(&self, check: Check) -> Option<&CheckStatus> {
        status_of(&self.release_items, check)
    }
}

fn status_of(items: &[CheckItem], check: Check) -> Option<&CheckStatus> {
    items.iter().find(|i| i.check == check).map(|i| &i.status)
}

/// Runs the release checklist on `release` with its `[checklist]` thresholds.
///
/// `release` must be validated ([`ReleaseFile::from_toml`] does it, or
/// [`ReleaseFile::validate`]): variants, times and durations are trusted to
/// resolve. Flags are checked as `production` serves them: the base plan
/// with any `[flags.X.env.production]` override applied, so an override
/// cannot skip the staged plan. Other environments (staging runs features
/// whole on purpose) are not held to the production thresholds.
pub fn check(release: &ReleaseFile) -> ChecklistReport {
    let t = Thresholds::of(release.checklist.as_ref());
    let info = &release.release;
    let channel = info.incident_channel.as_deref();
    let release_items = vec![
        item(
            Check::ReleaseOwner,
            present("release.owner", info.owner.as_deref()),
        ),
        item(
            Check::IncidentChannel,
            https_link("release.incident_channel", channel),
        ),
    ];
    // A release declaring environments without `production` is checked on its base plan.
    let production = release.for_environment(CHECKED_ENVIRONMENT).ok();
    let flags: Vec<FlagReport> = release
        .flags
        .iter()
        .map(|(key, def)| FlagReport {
            flag: key.clone(),
            clients: Audience::NAMES
                .iter()
                .map(|(_, a)| *a)
                .filter(|a| def.serves(*a))
                .collect(),
            items: flag_items(
                production
                    .as_ref()
                    .and_then(|p| p.flags.get(key))
                    .unwrap_or(def),
                &release.segments,
                &t,
            ),
        })
        .collect();
    let flags_passing = flags.iter().filter(|f| f.passed()).count();
    let violations = release_items
        .iter()
        .chain(flags.iter().flat_map(|f| &f.items))
        .filter(|i| i.status.is_fail())
        .count();
    ChecklistReport {
        release: info.name.clone(),
        thresholds: t,
        release_items,
        summary: CheckSummary {
            flags: flags.len(),
            flags_passing,
            violations,
            passed: violations == 0,
        },
        flags,
    }
}

fn item(check: Check, status: CheckStatus) -> CheckItem {
    CheckItem { check, status }
}

fn flag_items(
    def: &FlagDef,
    segments: &IndexMap<String, Segment>,
    t: &Thresholds,
) -> Vec<CheckItem> {
    vec![
        item(Check::Owner, present("owner", def.owner.as_deref())),
        item(
            Check::Description,
            present("description", def.description.as_deref()),
        ),
        item(Check::Runbook, runbook(def.runbook.as_deref(), t)),
        item(Check::RollbackVariant, rollback_variant(def, t)),
        item(Check::RollbackSteps, rollback_steps(def, t)),
        item(
            Check::StagedPlan,
            match staged_plan(def, segments, t) {
                Staged::Pass => CheckStatus::Pass,
                Staged::Exempt(why) => CheckStatus::NotApplicable(why),
                Staged::Fail(problems) => CheckStatus::Fail(problems.join("; ")),
            },
        ),
        item(Check::Guarded, guarded(def, t)),
    ]
}

fn runbook(link: Option<&str>, t: &Thresholds) -> CheckStatus {
    match link {
        Some(r) if !r.trim().is_empty() => https_link("runbook", link),
        _ => not_required(t.require_runbook, "require_runbook")
            .unwrap_or_else(|| present("runbook", link)),
    }
}

fn rollback_variant(def: &FlagDef, t: &Thresholds) -> CheckStatus {
    if def.rollback.as_ref().is_some_and(|r| r.variant.is_some()) {
        return CheckStatus::Pass;
    }
    not_required(t.require_rollback, "require_rollback").unwrap_or_else(|| {
        fail(format!(
            "`rollback.variant` is missing; it falls back to the default `{}`",
            default_variant(def)
        ))
    })
}

fn rollback_steps(def: &FlagDef, t: &Thresholds) -> CheckStatus {
    let steps = def
        .rollback
        .as_ref()
        .map(|r| r.steps.as_slice())
        .unwrap_or_default();
    if steps.iter().any(|s| !s.trim().is_empty()) {
        return CheckStatus::Pass;
    }
    not_required(t.require_rollback, "require_rollback").unwrap_or_else(|| {
        fail(if steps.is_empty() {
            "`rollback.steps` is missing".to_owned()
        } else {
            format!("`rollback.steps` is {steps:?}: every step is empty")
        })
    })
}

/// Rollouts above `require_guard_above` percent carry a guard.
fn guarded(def: &FlagDef, t: &Thresholds) -> CheckStatus {
    let Some(limit) = t.require_guard_above else {
        return CheckStatus::NotApplicable(
            "no guard required: [checklist] require_guard_above is not set".to_owned(),
        );
    };
    let reach = |r: &crate::model::Rollout| {
        r.stages
            .iter()
            .map(|s| s.percent)
            .chain(r.percent)
            .fold(0.0_f64, f64::max)
    };
    let rollouts = def
        .rollout
        .iter()
        .map(|r| ("the rollout".to_owned(), r))
        .chain(def.rules.iter().enumerate().filter_map(|(i, rule)| {
            let name = rule
                .name
                .clone()
                .unwrap_or_else(|| format!("rule {}", i + 1));
            rule.rollout
                .as_ref()
                .map(|r| (format!("rule `{name}`'s rollout"), r))
        }));
    let mut seen = false;
    let mut missing = Vec::new();
    for (what, r) in rollouts {
        seen = true;
        let top = reach(r);
        if top > limit && r.guard.is_none() {
            missing.push(format!(
                "{what} reaches {}% without a guard; [checklist] require_guard_above is {}%",
                Num(top),
                Num(limit)
            ));
        }
    }
    match (seen, missing.is_empty()) {
        (false, _) => CheckStatus::NotApplicable("no rollout".to_owned()),
        (true, true) => CheckStatus::Pass,
        (true, false) => CheckStatus::Fail(missing.join("; ")),
    }
}

fn fail(message: impl Into<String>) -> CheckStatus {
    CheckStatus::Fail(message.into())
}

fn not_required(required: bool, threshold: &str) -> Option<CheckStatus> {
    (!required).then(|| {
        CheckStatus::NotApplicable(format!("not required: `checklist.{threshold}` is false"))
    })
}

fn present(field: &str, value: Option<&str>) -> CheckStatus {
    match value {
        None => fail(format!("`{field}` is missing")),
        Some(v) if v.trim().is_empty() => fail(format!("`{field}` is empty")),
        Some(_) => CheckStatus::Pass,
    }
}

fn https_link(field: &str, value: Option<&str>) -> CheckStatus {
    match value {
        Some(link) if https_host(link).is_some() => CheckStatus::Pass,
        Some(link) if !link.trim().is_empty() => fail(format!(
            "`{field}` is {link:?}, not an https:// link with a host"
        )),
        other => present(field, other),
    }
}

/// The host of an `https://` link, `None` for anything else: a runbook or an
/// incident channel must open in a browser mid-incident, from anywhere.
fn https_host(link: &str) -> Option<&str> {
    let scheme = link.get(..8)?;
    if !scheme.eq_ignore_ascii_case("https://") || link.chars().any(char::is_whitespace) {
        return None;
    }
    let rest = link.get(8..)?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    // IPv6 literals are not accepted: no runbook lives at one.
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.'));
    (host_ok && port.chars().all(|c| c.is_ascii_digit())).then_some(host)
}
