//! Evaluation results as small numbers. Crossing the JS/wasm boundary is what
//! an evaluation costs in JS, so each distinct result of a flag (variant,
//! reason, rule, stage, percent, error) is numbered the first time it occurs
//! and sent as JSON once; afterwards an evaluation returns only its number and
//! the JS side reuses the object it built. A flag has few distinct results
//! (variants × reasons × rules × stages), so the table stays small.

use edgeflag::{ErrorCode, Reason, Resolution};
use serde_json::{Map, Value, json};

use crate::convert::camel;

/// Returned instead of a number for a result that is not kept (errors whose
/// message depends on the input): read it with `lastOutcome()`.
pub const UNCACHED: u32 = u32::MAX;
/// A bound that real snapshots never reach; past it results are sent whole.
const MAX_PER_FLAG: usize = 4096;

struct Outcome {
    variant: Option<Box<str>>,
    reason: Reason,
    error: Option<String>,
    rule: Option<Box<str>>,
    stage: Option<usize>,
    percent: Option<u64>,
    use_default: bool,
    json: String,
}

impl Outcome {
    fn new(r: &Resolution, use_default: bool) -> Self {
        Outcome {
            variant: r.variant.map(Into::into),
            reason: r.reason,
            error: r.error.as_ref().map(ToString::to_string),
            rule: r.rule.map(Into::into),
            stage: r.stage,
            percent: r.percent.map(f64::to_bits),
            use_default,
            json: Value::Object(detail(r, use_default)).to_string(),
        }
    }

    // The value is the variant's, so it needs no comparing of its own.
    fn matches(&self, r: &Resolution, use_default: bool) -> bool {
        self.reason == r.reason
            && self.use_default == use_default
            && self.variant.as_deref() == r.variant
            && self.rule.as_deref() == r.rule
            && self.stage == r.stage
            && self.percent == r.percent.map(f64::to_bits)
            && match (&self.error, &r.error) {
                (None, None) => true,
                (Some(m), Some(e)) => *m == e.to_string(),
                _ => false,
            }
    }
}

/// The numbered results of every flag of one snapshot.
pub(crate) struct Outcomes {
    flags: Vec<Vec<Outcome>>,
    last: String,
}

impl Outcomes {
    pub(crate) fn new(flags: usize) -> Self {
        Outcomes {
            flags: (0..flags).map(|_| Vec::new()).collect(),
            last: String::new(),
        }
    }

    /// The number of this result of `flag`, numbering it if it is new.
    pub(crate) fn intern(&mut self, flag: usize, r: &Resolution, use_default: bool) -> u32 {
        let Some(known) = self.flags.get_mut(flag) else {
            return self.uncached(Value::Object(detail(r, use_default)).to_string());
        };
        if let Some(i) = known.iter().position(|o| o.matches(r, use_default)) {
            return i as u32;
        }
        let outcome = Outcome::new(r, use_default);
        if known.len() >= MAX_PER_FLAG {
            return self.uncached(outcome.json);
        }
        known.push(outcome);
        (known.len() - 1) as u32
    }

    /// Keeps a result for `lastOutcome()` and returns [`UNCACHED`].
    pub(crate) fn uncached(&mut self, json: String) -> u32 {
        self.last = json;
        UNCACHED
    }

    /// The JSON of a numbered result, or of the last uncached one.
    pub(crate) fn json(&self, flag: usize, id: u32) -> Option<&str> {
        if id == UNCACHED {
            return Some(&self.last);
        }
        let o = self.flags.get(flag)?.get(usize::try_from(id).ok()?)?;
        Some(&o.json)
    }
}

/// The core's resolution as JSON with camelCase keys, without the flag's
/// metadata (sent once per flag), and `useDefault` when the caller's default
/// is the value. Serializing the core's own resolution keeps its field choice.
pub(crate) fn detail(r: &Resolution, use_default: bool) -> Map<String, Value> {
    let mut out = match serde_json::to_value(r) {
        Ok(Value::Object(fields)) => fields
            .into_iter()
            .filter(|(k, _)| k != "metadata")
            .map(|(k, v)| (camel(&k), v))
            .collect(),
        Ok(_) | Err(_) => error_detail(ErrorCode::General, "the resolution cannot be encoded"),
    };
    out.insert("useDefault".into(), use_default.into());
    out
}

/// A result for an input the core never saw (a context or time that does not
/// convert): the caller's default, with the OpenFeature code.
pub(crate) fn error_detail(code: ErrorCode, message: &str) -> Map<String, Value> {
    let v = json!({
        "value": null,
        "variant": null,
        "reason": Reason::Error.as_str(),
        "errorCode": code.as_str(),
        "errorMessage": message,
        "useDefault": true,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A flag's metadata with camelCase keys: what the core's resolution says
/// (owner, runbook, rollback steps, ...) plus the snapshot's version.
pub(crate) fn metadata(r: &Resolution, version: u64) -> Map<String, Value> {
    let mut out = Map::new();
    if let Ok(Value::Object(mut fields)) = serde_json::to_value(r) {
        if let Some(Value::Object(meta)) = fields.remove("metadata") {
            out.extend(meta.into_iter().map(|(k, v)| (camel(&k), v)));
        }
    }
    out.insert("snapshotVersion".into(), version.into());
    out
}
