//! The promotion gate: a gated environment (`[checklist] promote.to`) only
//! gets a release candidate that was signed for the source environment
//! (`promote.from`) at least the soak before. A candidate is the digest of the
//! release file's meaning, not of its bytes, so comments and formatting do not
//! count and every environment's snapshot of one release carries the same one.

use serde_json::Value;

use crate::format::time::{Timestamp, parse_duration};
use crate::model::{Condition, Promote, ReleaseFile};
use crate::reports::simulate::{Change, definition_changes, segment_changes};
use crate::signed::accept::Verified;
use crate::signed::digest;
use crate::signed::envelope::Promotion;

/// The release candidate of a release file: `sha256:` over the canonical JSON
/// of its model. Model fields come in their declared order and maps in file
/// order (the order of weights and rules is meaning); inside variant and
/// condition values, object keys are sorted, whatever order the file or the
/// JSON map type kept.
pub fn candidate(release: &ReleaseFile) -> String {
    let mut r = release.clone();
    for seg in r.segments.values_mut() {
        sort_conditions(&mut seg.conditions);
    }
    for def in r.flags.values_mut() {
        for v in def.variants.iter_mut().flat_map(|v| v.values_mut()) {
            sort_keys(v);
        }
        for rb in &mut def.rollbacks {
            sort_conditions(&mut rb.conditions);
        }
        let overrides = def.env.values_mut().filter_map(|o| o.rules.as_mut());
        for rule in def.rules.iter_mut().chain(overrides.flatten()) {
            sort_conditions(&mut rule.conditions);
        }
    }
    // The model's writer cannot fail: every map key is a string.
    digest(&serde_json::to_vec(&r).unwrap_or_default())
}

fn sort_conditions(conditions: &mut [Condition]) {
    for v in conditions.iter_mut().flat_map(|c| c.values.iter_mut()) {
        sort_keys(v);
    }
}

fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut v) in entries {
                sort_keys(&mut v);
                map.insert(k, v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// Why the gate refuses a build. Each kind has a stable code.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GateError {
    #[error(
        "no {from} snapshot of this candidate ({candidate}); give the {from} snapshot with --promote-from, or the folder of snapshots with --previous"
    )]
    NoSource { from: String, candidate: String },
    #[error(
        "no {from} snapshot of this candidate; {from} has candidate {theirs} ({})",
        differ(flags)
    )]
    OtherCandidate {
        from: String,
        theirs: String,
        flags: Vec<String>,
    },
    #[error("the candidate was signed for {from} {ago} ago; {to} needs {soak}{} (at {ready})", if *hotfix { " for a hotfix" } else { "" })]
    TooSoon {
        from: String,
        to: String,
        ago: String,
        soak: String,
        hotfix: bool,
        ready: Timestamp,
    },
    #[error(
        "--force bypasses the promotion gate only with --reason \"...\", which the snapshot records; the gate says: {refused}"
    )]
    NoReason { refused: Box<GateError> },
    #[error("`{value}` is not a duration such as 24h (checklist.promote)")]
    BadSoak { value: String },
}

fn differ(flags: &[String]) -> String {
    match flags.len() {
        0 => "no flag differs there: the change is to another environment's plan or to the release's metadata".to_owned(),
        1 => format!("1 flag differs: {}", flags.join(", ")),
        n => format!("{n} flags differ: {}", flags.join(", ")),
    }
}

impl GateError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            GateError::NoSource { .. } => "NO_SOURCE_SNAPSHOT",
            GateError::OtherCandidate { .. } => "OTHER_CANDIDATE",
            GateError::TooSoon { .. } => "SOAK_TOO_SHORT",
            GateError::NoReason { .. } => "FORCE_WITHOUT_REASON",
            GateError::BadSoak { .. } => "BAD_SOAK",
        }
    }
}

/// What the gate judges.
pub struct Gate<'a> {
    pub release: &'a ReleaseFile,
    /// The environment being built.
    pub env: &'a str,
    pub now: Timestamp,
    /// Snapshots of the source environment, each verified by the caller with
    /// the trusted keys through the acceptance policy (for auditing).
    pub sources: &'a [Verified],
    /// The target environment's previous snapshot: a change of hotfix flags
    /// only, since it, needs only `hotfix_soak`.
    pub previous: Option<&'a Verified>,
    /// `--force`, and its `--reason`.
    pub force: bool,
    pub reason: Option<&'a str>,
}

impl Gate<'_> {
    /// `Ok(None)`: the environment is not gated. Otherwise the record the
    /// snapshot carries, or why it may not be built.
    pub fn judge(&self) -> Result<Option<Promotion>, GateError> {
        let promote = self
            .release
            .checklist
            .as_ref()
            .and_then(|c| c.promote.as_ref());
        let Some(p) = promote.filter(|p| p.to.iter().any(|t| t == self.env)) else {
            return Ok(None);
        };
        match self.source(p) {
            Ok(promotion) => Ok(Some(promotion)),
            Err(refused) => match self.reason.map(str::trim).filter(|r| !r.is_empty()) {
                Some(reason) if self.force => {
                    let ours = candidate(self.release);
                    let best = self.matching(&ours).next();
                    Ok(Some(Promotion {
                        forced: Some(reason.to_owned()),
                        ..record(p, best, false)
                    }))
                }
                _ if self.force => Err(GateError::NoReason {
                    refused: Box::new(refused),
                }),
                _ => Err(refused),
            },
        }
    }

    /// Source snapshots of `candidate`, the earliest issued first.
    fn matching<'s>(&'s self, candidate: &'s str) -> impl Iterator<Item = &'s Verified> + 's {
        let mut found: Vec<&Verified> = self
            .sources
            .iter()
            .filter(|s| s.candidate.as_deref() == Some(candidate))
            .collect();
        found.sort_by_key(|s| s.issued_at);
        found.into_iter()
    }

    fn source(&self, p: &Promote) -> Result<Promotion, GateError> {
        let ours = candidate(self.release);
        let hotfix = self.hotfix_only();
        let soak = match (&p.hotfix_soak, hotfix) {
            (Some(h), true) => h,
            _ => &p.soak,
        };
        let soak_ms = parse_duration(soak).ok_or_else(|| GateError::BadSoak {
            value: soak.clone(),
        })?;
        let Some(first) = self.matching(&ours).next() else {
            return Err(self.other_candidate(p, ours));
        };
        let ready = first.issued_at.add_millis(soak_ms);
        if self.now < ready {
            return Err(GateError::TooSoon {
                from: p.from.clone(),
                to: self.env.to_owned(),
                ago: span(self.now.as_millis() - first.issued_at.as_millis()),
                soak: soak.clone(),
                hotfix: hotfix && p.hotfix_soak.is_some(),
                ready,
            });
        }
        Ok(record(p, Some(first), hotfix && p.hotfix_soak.is_some()))
    }

    /// No source snapshot has our candidate: what the latest one has, and
    /// which of its flags the candidate changes.
    fn other_candidate(&self, p: &Promote, ours: String) -> GateError {
        let Some(latest) = self.sources.iter().max_by_key(|s| s.version) else {
            return GateError::NoSource {
                from: p.from.clone(),
                candidate: ours,
            };
        };
        let flags = match self.release.for_environment(&p.from) {
            Ok(defs) => definition_changes(latest.snapshot.definitions(), &defs)
                .into_iter()
                .filter(|(_, c)| *c != Change::Unchanged)
                .map(|(k, _)| k)
                .collect(),
            Err(_) => Vec::new(),
        };
        GateError::OtherCandidate {
            from: p.from.clone(),
            theirs: latest
                .candidate
                .clone()
                .unwrap_or_else(|| format!("(none recorded, version {})", latest.version)),
            flags,
        }
    }

    /// Whether every change since the target's previous snapshot is to a
    /// hotfix flag (and there is at least one, and no segment changed).
    fn hotfix_only(&self) -> bool {
        let (Some(prev), Ok(new)) = (self.previous, self.release.for_environment(self.env)) else {
            return false;
        };
        let old = prev.snapshot.definitions();
        let changed: Vec<(String, Change)> = definition_changes(old, &new)
            .into_iter()
            .filter(|(_, c)| *c != Change::Unchanged)
            .collect();
        let hotfix = |k: &str| {
            new.flags
                .get(k)
                .or_else(|| old.flags.get(k))
                .is_some_and(|d| d.hotfix)
        };
        !changed.is_empty()
            && segment_changes(old, &new).is_empty()
            && changed.iter().all(|(k, _)| hotfix(k))
    }
}

fn record(p: &Promote, source: Option<&Verified>, hotfix: bool) -> Promotion {
    Promotion {
        from: p.from.clone(),
        version: source.map(|s| s.version),
        digest: source.map(|s| s.digest.clone()),
        issued_at: source.map(|s| s.issued_at.to_string()),
        hotfix,
        forced: None,
    }
}

/// A span of milliseconds for people: `3h`, `1d2h`, `45m`, `20s`.
fn span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h{m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}
