//! The release checklist: the release manager's non-negotiable list, run on a
//! release file before anything is built from it. It reports every violation
//! at once rather than stopping at the first, so one run gives the whole fix list.

use serde::Serialize;

use crate::format::time::{Timestamp, parse_duration};
use crate::model::{Checklist, FlagDef, ReleaseFile, Rollout, Stage};

/// The environment whose plan the checklist holds to its thresholds.
const CHECKED_ENVIRONMENT: &str = "production";

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
        }
    }
}

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
}

impl Check {
    /// The release-level checks, in report order.
    pub const RELEASE: [Check; 2] = [Check::ReleaseOwner, Check::IncidentChannel];
    /// The per-flag checks, in report order.
    pub const FLAG: [Check; 6] = [
        Check::Owner,
        Check::Description,
        Check::Runbook,
        Check::RollbackVariant,
        Check::RollbackSteps,
        Check::StagedPlan,
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
            items: flag_items(
                production
                    .as_ref()
                    .and_then(|p| p.flags.get(key))
                    .unwrap_or(def),
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

fn flag_items(def: &FlagDef, t: &Thresholds) -> Vec<CheckItem> {
    vec![
        item(Check::Owner, present("owner", def.owner.as_deref())),
        item(
            Check::Description,
            present("description", def.description.as_deref()),
        ),
        item(Check::Runbook, runbook(def.runbook.as_deref(), t)),
        item(Check::RollbackVariant, rollback_variant(def, t)),
        item(Check::RollbackSteps, rollback_steps(def, t)),
        item(Check::StagedPlan, staged_plan(def, t)),
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

/// Boolean flags without declared variants default to `off`; validation
/// makes every other flag name its default.
fn default_variant(def: &FlagDef) -> &str {
    def.default.as_deref().unwrap_or("off")
}

fn staged_plan(def: &FlagDef, t: &Thresholds) -> CheckStatus {
    let default = default_variant(def);
    let rollback = def
        .rollback
        .as_ref()
        .and_then(|r| r.variant.as_deref())
        .unwrap_or(default);
    if def.hotfix {
        return CheckStatus::NotApplicable("a hotfix (`hotfix = true`) ships at once".to_owned());
    }
    if def.enabled == Some(false) {
        return CheckStatus::NotApplicable(format!(
            "disabled (`enabled = false`): it serves its rollback variant `{rollback}`"
        ));
    }
    let mut problems = Vec::new();
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
        None if problems.is_empty() => {
            return CheckStatus::NotApplicable(format!(
                "serves its rollback variant `{rollback}` by default and has no rollout"
            ));
        }
        None => {}
        Some(r) => stage_problems(r, t, &mut problems),
    }
    if problems.is_empty() {
        CheckStatus::Pass
    } else {
        CheckStatus::Fail(problems.join("; "))
    }
}

fn stage_problems(r: &Rollout, t: &Thresholds, problems: &mut Vec<String>) {
    if let Some(p) = r.percent {
        problems.push(format!(
            "`rollout.percent` is {p}, a constant rollout; give it `stages`"
        ));
        return;
    }
    let stages = &r.stages;
    if stages.len() < 2 {
        problems.push(format!(
            "`rollout.stages` has {} stage{}; a staged plan needs at least 2",
            stages.len(),
            if stages.len() == 1 { "" } else { "s" }
        ));
    }
    let max = t.max_first_stage_percent;
    if let Some(first) = stages.first().filter(|s| milli(s.percent) > milli(max)) {
        problems.push(format!(
            "`rollout.stages[0].percent` is {}, above the first-stage maximum of {max}",
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
                    "`rollout.stages[{}].at` is {} after stage {i}, less than the {} soak",
                    i + 1,
                    duration(gap),
                    t.min_stage_soak
                ));
            }
        }
        if milli(stage.percent) < milli(before.percent) {
            problems.push(format!(
                "`rollout.stages[{}].percent` is {}, below stage {i}'s {}",
                i + 1,
                stage.percent,
                before.percent
            ));
        }
    }
    if let Some(last) = stages.last().filter(|s| milli(s.percent) != 100_000) {
        problems.push(format!(
            "`rollout.stages[{}].percent` is {}: the last stage must be 100",
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
