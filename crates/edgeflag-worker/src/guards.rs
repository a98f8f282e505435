//! Guarded rollouts at the edge (docs/guards.md): the events `POST /v1/track`
//! takes in, the counts each isolate keeps, and the ledger the `GUARDS`
//! Durable Object keeps for the whole fleet, which judges them with the
//! core's `guard::judge` and records each halt once.
//!
//! Nothing here decides who a user is or what they get: an event's arm is
//! the core's evaluation of the guarded flag for the event's context, and a
//! halt only takes effect through the core's `apply_halts`, as the signed
//! guard says.

use std::collections::BTreeMap;

use edgeflag::guard::{Arm, Verdict, judge};
use edgeflag::halt::{GuardHit, Halt, Side, Site};
use edgeflag::{Context, Guard, OnRegression, Snapshot, Timestamp};
use serde::{Deserialize, Serialize};

use crate::exposure::Exposure;

/// The most events one `POST /v1/track` may carry.
pub const MAX_EVENTS: usize = 1000;

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

    fn same_rollout(&self, flag: &str, rule: Option<&str>, plan: &str) -> bool {
        self.flag == flag && self.rule.as_deref() == rule && self.plan == plan
    }
}

/// The guarded rollouts of one snapshot, computed once when it loads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Watches {
    list: Vec<(Site, Watch)>,
}

impl Watches {
    pub fn of(s: &Snapshot) -> Self {
        let list = s
            .guarded()
            .into_iter()
            .map(|g| {
                let w = Watch {
                    flag: g.flag.to_owned(),
                    rule: g.rule.map(str::to_owned),
                    plan: g.plan,
                    metric: g.guard.metric.clone(),
                    max_relative_increase: g.guard.max_relative_increase,
                    min_exposures: g.guard.min_exposures,
                    on_regression: g.guard.on_regression.name().to_owned(),
                };
                (g.site, w)
            })
            .collect();
        Watches { list }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn watches(&self) -> impl Iterator<Item = &Watch> {
        self.list.iter().map(|(_, w)| w)
    }

    fn at(&self, site: Site) -> Option<&Watch> {
        self.list.iter().find(|(s, _)| *s == site).map(|(_, w)| w)
    }

    /// The metrics watched, for error messages.
    fn metrics(&self) -> Vec<&str> {
        let mut m: Vec<&str> = self.watches().map(|w| w.metric.as_str()).collect();
        m.sort_unstable();
        m.dedup();
        m
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

/// Counts kept by one isolate until they are flushed to the ledger.
#[derive(Debug, Default)]
pub struct Tally {
    cells: BTreeMap<Cell, Arm>,
}

impl Tally {
    /// Counts one served evaluation, when a guarded rollout took part in it.
    pub fn expose(&mut self, w: &Watches, e: &Exposure<'_>) {
        if let Some(cell) = cell(w, e.guard, e.stage) {
            let arm = self.cells.entry(cell).or_default();
            arm.exposures = arm.exposures.saturating_add(1);
        }
    }

    fn event(&mut self, cell: Cell) {
        let arm = self.cells.entry(cell).or_default();
        arm.events = arm.events.saturating_add(1);
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The counts so far, leaving none.
    pub fn take(&mut self) -> Vec<(Cell, Arm)> {
        std::mem::take(&mut self.cells).into_iter().collect()
    }

    /// Puts back counts a flush could not deliver.
    pub fn restore(&mut self, cells: Vec<(Cell, Arm)>) {
        for (c, a) in cells {
            let arm = self.cells.entry(c).or_default();
            arm.exposures = arm.exposures.saturating_add(a.exposures);
            arm.events = arm.events.saturating_add(a.events);
        }
    }
}

/// The cell of an evaluation's guard arm, in the snapshot it came from.
fn cell(w: &Watches, guard: Option<GuardHit>, stage: Option<usize>) -> Option<Cell> {
    let hit = guard?;
    let watch = w.at(hit.site)?;
    Some(Cell {
        flag: watch.flag.clone(),
        rule: watch.rule.clone(),
        plan: watch.plan.clone(),
        stage,
        arm: hit.side,
    })
}

/// Why a `/v1/track` batch was refused as a whole (nothing of it is counted).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    #[error("the body must be a json object with an `events` list: {why}")]
    Malformed { why: String },
    #[error("a batch holds at most {max} events; this one has {count}")]
    TooMany { count: usize, max: usize },
    #[error("events[{index}]: no guard watches the metric `{metric}` (watched: {watched})")]
    UnknownMetric {
        index: usize,
        metric: String,
        watched: String,
    },
    #[error("events[{index}]: no flag `{flag}` in the served snapshot")]
    UnknownFlag { index: usize, flag: String },
}

impl TrackError {
    /// The stable code, for clients.
    pub fn code(&self) -> &'static str {
        match self {
            TrackError::Malformed { .. } => "MALFORMED_BATCH",
            TrackError::TooMany { .. } => "BATCH_TOO_LARGE",
            TrackError::UnknownMetric { .. } => "UNKNOWN_METRIC",
            TrackError::UnknownFlag { .. } => "UNKNOWN_FLAG",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            TrackError::TooMany { .. } => 413,
            TrackError::Malformed { .. } => 400,
            _ => 422,
        }
    }

    /// `errorCode`, `errorDetails`, and for an unknown metric or flag the
    /// event's `index` and the `metric` or `flag`, so a client can send the
    /// rest of its batch again without it.
    pub fn body(&self) -> Vec<u8> {
        let mut body =
            serde_json::json!({"errorCode": self.code(), "errorDetails": self.to_string()});
        let (index, field, name) = match self {
            TrackError::UnknownMetric { index, metric, .. } => (*index, "metric", metric),
            TrackError::UnknownFlag { index, flag } => (*index, "flag", flag),
            _ => return body.to_string().into_bytes(),
        };
        if let Some(m) = body.as_object_mut() {
            m.insert("index".into(), index.into());
            m.insert(field.into(), name.clone().into());
        }
        body.to_string().into_bytes()
    }
}

#[derive(Deserialize)]
struct Batch {
    events: Vec<serde_json::Value>,
}

/// One tracked event: OpenFeature's `track(eventName, context, details)`.
#[derive(Deserialize)]
struct Event {
    metric: String,
    context: Context,
    /// Only this flag's guards count it (all guards of the metric otherwise).
    #[serde(default)]
    flag: Option<String>,
}

/// What a batch came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tracked {
    pub received: usize,
    /// Counts added: an event counts once for each guarded rollout of its
    /// metric the user is in either arm of, and nowhere else.
    pub counted: usize,
}

/// Reads a `/v1/track` body and counts its events, each in the arm the user
/// is in at `now`. The whole batch is checked before anything is counted.
pub fn track(
    snapshot: &Snapshot,
    w: &Watches,
    body: &[u8],
    now: Timestamp,
    tally: &mut Tally,
) -> Result<Tracked, TrackError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(TrackError::Malformed {
            why: "it is not a json object".into(),
        });
    }
    let batch: Batch =
        serde_json::from_slice(body).map_err(|e| TrackError::Malformed { why: e.to_string() })?;
    if batch.events.len() > MAX_EVENTS {
        return Err(TrackError::TooMany {
            count: batch.events.len(),
            max: MAX_EVENTS,
        });
    }
    let mut events = Vec::with_capacity(batch.events.len());
    for (index, v) in batch.events.into_iter().enumerate() {
        let e: Event = serde_json::from_value(v).map_err(|e| TrackError::Malformed {
            why: format!("events[{index}]: {e}"),
        })?;
        if !w.watches().any(|x| x.metric == e.metric) {
            return Err(TrackError::UnknownMetric {
                index,
                metric: e.metric,
                watched: match w.metrics() {
                    m if m.is_empty() => "none".to_owned(),
                    m => m.join(", "),
                },
            });
        }
        if let Some(flag) = &e.flag {
            if snapshot.flag_id(flag).is_none() {
                return Err(TrackError::UnknownFlag {
                    index,
                    flag: flag.clone(),
                });
            }
        }
        events.push(e);
    }
    let mut out = Tracked {
        received: events.len(),
        counted: 0,
    };
    for e in &events {
        let wanted =
            |x: &Watch| x.metric == e.metric && e.flag.as_ref().is_none_or(|f| *f == x.flag);
        for (site, x) in w.list.iter().filter(|(_, x)| wanted(x)) {
            let res = snapshot.evaluate(&x.flag, &e.context, now);
            if res.guard.is_some_and(|g| g.site == *site) {
                if let Some(c) = cell(w, res.guard, res.stage) {
                    tally.event(c);
                    out.counted += 1;
                }
            }
        }
    }
    Ok(out)
}

/// What an isolate sends the ledger: the guarded rollouts it serves and its counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Flush {
    pub watches: Vec<Watch>,
    pub cells: Vec<(Cell, Arm)>,
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
    pub fn view(&self, serving: Option<&Watches>) -> Vec<serde_json::Value> {
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
                let serving = serving.is_some_and(|s| s.watches().any(|x| x == w));
                serde_json::json!({
                    "flag": w.flag, "rule": w.rule, "plan": w.plan, "metric": w.metric,
                    "max_relative_increase": w.max_relative_increase,
                    "min_exposures": w.guard().min_exposures.unwrap_or(edgeflag::guard::DEFAULT_MIN_EXPOSURES),
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

#[cfg(test)]
#[path = "guards_tests.rs"]
mod tests;
