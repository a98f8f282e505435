//! Guarded rollouts at the edge (docs/guards.md): the events `POST /v1/track`
//! takes in and the counts each isolate keeps until it flushes them to the
//! `GUARDS` Durable Object, which keeps the core's `ledger::Ledger`.
//!
//! Nothing here decides who a user is or what they get: an event's arm is
//! the core's evaluation of the guarded flag for the event's context, and a
//! halt only takes effect through the core's `apply_halts`, as the signed
//! guard says.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

pub use edgeflag::ledger::{Cell, Flush, Ledger, Watch};

use edgeflag::guard::Arm;
use edgeflag::halt::{GuardHit, Side, Site};
use edgeflag::{Context, Snapshot, Timestamp};
use serde::{Deserialize, Serialize};

use crate::exposure::Exposure;

/// The most events one `POST /v1/track` may carry.
pub const MAX_EVENTS: usize = 1000;

/// The guarded rollouts of one snapshot, computed once when it loads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Watches {
    list: Vec<(Site, Rc<Watch>)>,
}

impl Watches {
    pub fn of(s: &Snapshot) -> Self {
        let list = s
            .guarded()
            .into_iter()
            .map(|g| (g.site, Rc::new(Watch::of(&g))))
            .collect();
        Watches { list }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn watches(&self) -> impl Iterator<Item = &Watch> + Clone {
        self.list.iter().map(|(_, w)| &**w)
    }

    fn at(&self, site: Site) -> Option<&Rc<Watch>> {
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

/// Where an isolate counts: the rollout (by the address of its watch, which
/// the entry keeps alive), the stage and the arm. No string is copied per
/// evaluation; the ledger's `Cell`s are made once per flush.
type Key = (usize, Option<usize>, Side);

/// Counts kept by one isolate until they are flushed to the ledger.
#[derive(Debug, Default)]
pub struct Tally {
    cells: HashMap<Key, (Rc<Watch>, Arm)>,
    /// Counts a flush could not deliver, sent with the next one.
    undelivered: BTreeMap<Cell, Arm>,
}

impl Tally {
    /// Counts one served evaluation, when a guarded rollout took part in it.
    pub fn expose(&mut self, w: &Watches, e: &Exposure<'_>) {
        if let Some(arm) = self.arm(w, e.guard, e.stage) {
            arm.exposures = arm.exposures.saturating_add(1);
        }
    }

    fn arm(
        &mut self,
        w: &Watches,
        guard: Option<GuardHit>,
        stage: Option<usize>,
    ) -> Option<&mut Arm> {
        let hit = guard?;
        let watch = w.at(hit.site)?;
        let key = (Rc::as_ptr(watch) as usize, stage, hit.side);
        let entry = self
            .cells
            .entry(key)
            .or_insert_with(|| (Rc::clone(watch), Arm::default()));
        Some(&mut entry.1)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.undelivered.is_empty()
    }

    /// The counts so far, as the ledger's cells, leaving none.
    pub fn take(&mut self) -> Vec<(Cell, Arm)> {
        let mut out: Vec<(Cell, Arm)> = std::mem::take(&mut self.undelivered).into_iter().collect();
        let cells = std::mem::take(&mut self.cells);
        out.extend(
            cells
                .into_iter()
                .map(|((_, stage, side), (w, arm))| (Cell::of(&w, stage, side), arm)),
        );
        out
    }

    /// Keeps counts a flush could not deliver for the next one, added up
    /// (so an unreachable ledger costs a cell per rollout, stage and arm).
    pub fn restore(&mut self, cells: Vec<(Cell, Arm)>) {
        for (c, a) in cells {
            let arm = self.undelivered.entry(c).or_default();
            arm.exposures = arm.exposures.saturating_add(a.exposures);
            arm.events = arm.events.saturating_add(a.events);
        }
    }
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
                if let Some(arm) = tally.arm(w, res.guard, res.stage) {
                    arm.events = arm.events.saturating_add(1);
                    out.counted += 1;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "guards_tests.rs"]
mod tests;
