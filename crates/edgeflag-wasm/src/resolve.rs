//! The evaluation calls: flags by number, results by number (see `outcome`).
//! The JS wrapper maps keys to numbers and numbers to the objects it returns;
//! every decision, typed checks included, is the core's.

use edgeflag::{Context, ErrorCode, FlagId, Resolution, Snapshot, Timestamp};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::EdgeFlags;
use crate::context::{FlagContext, parse_context};
use crate::convert::{error, timestamp};
use crate::outcome::{self, detail, error_detail};

pub use crate::outcome::UNCACHED;

/// Evaluation kinds: the detail as is, or one of the core's typed calls.
pub const ANY: u32 = 0;
pub const BOOLEAN: u32 = 1;
pub const STRING: u32 = 2;
pub const NUMBER: u32 = 3;
pub const OBJECT: u32 = 4;

const BAD_TIME: &str = "now must be a Date, epoch milliseconds or an rfc 3339 string";

/// The core's resolution of one flag, and whether the caller's default is the
/// value (when the core has no value of the asked type).
fn resolution<'s>(
    snap: &'s Snapshot,
    (key, id): (&str, FlagId),
    ctx: &Context,
    now: Timestamp,
    kind: u32,
) -> (Resolution<'s>, bool) {
    // Typed calls pass a throwaway default: the JS side holds the caller's.
    match kind {
        BOOLEAN => {
            let t = snap.bool_value(key, ctx, now, false);
            let d = t.detail.value.and_then(Value::as_bool).is_none();
            (t.detail, d)
        }
        STRING => {
            let t = snap.string_value(key, ctx, now, "");
            let d = t.detail.value.and_then(Value::as_str).is_none();
            (t.detail, d)
        }
        NUMBER => {
            let t = snap.number_value(key, ctx, now, 0.0);
            let d = t.detail.value.and_then(Value::as_f64).is_none();
            (t.detail, d)
        }
        OBJECT => {
            let t = snap.json_value(key, ctx, now, Value::Null);
            let d = t.detail.value.is_none();
            (t.detail, d)
        }
        _ => {
            let r = snap.evaluate_id(id, ctx, now);
            let d = r.value.is_none();
            (r, d)
        }
    }
}

impl EdgeFlags {
    fn resolve_in(&mut self, ctx: &Context, flag: u32, kind: u32, now: f64) -> u32 {
        let Some(now) = timestamp(now) else {
            return self.uncached(ErrorCode::General, BAD_TIME);
        };
        let Some((key, id)) = self.flags.get(flag as usize) else {
            return self.uncached(ErrorCode::FlagNotFound, "no such flag number");
        };
        let (r, use_default) = resolution(&self.verified.snapshot, (key, *id), ctx, now, kind);
        self.outcomes.intern(flag as usize, &r, use_default)
    }

    fn uncached(&mut self, code: ErrorCode, message: &str) -> u32 {
        let js = error_detail(code, message);
        self.outcomes.uncached(js)
    }
}

#[wasm_bindgen]
impl EdgeFlags {
    /// Evaluates flag number `flag` (its position in `flagKeys()`) for a
    /// parsed context at `now` (microseconds since the epoch, see
    /// `timeMicros`) as `kind` (0 any, 1 boolean, 2 string, 3 number,
    /// 4 object). Returns the result's number for `outcome(flag, n)`, or
    /// `UNCACHED` (2^32 - 1) for a result to read with `lastOutcome()`.
    /// Never throws.
    pub fn resolve(&mut self, context: &FlagContext, flag: u32, kind: u32, now: f64) -> u32 {
        self.resolve_in(&context.ctx, flag, kind, now)
    }

    /// `resolve` with a plain context object, parsed for this call only. A
    /// context that does not convert gives an uncached `INVALID_CONTEXT` result.
    #[wasm_bindgen(js_name = resolveWith)]
    pub fn resolve_with(&mut self, attributes: &JsValue, flag: u32, kind: u32, now: f64) -> u32 {
        match parse_context(attributes) {
            Ok(ctx) => self.resolve_in(&ctx, flag, kind, now),
            Err(message) => self.uncached(ErrorCode::InvalidContext, &message),
        }
    }

    /// Every flag for one context, in `flagKeys()` order: the result numbers.
    #[wasm_bindgen(js_name = resolveAll)]
    pub fn resolve_all(&mut self, context: &FlagContext, now: f64) -> Vec<u32> {
        let Some(now) = timestamp(now) else {
            let n = self.flags.len();
            return vec![self.uncached(ErrorCode::General, BAD_TIME); n];
        };
        let outcomes = &mut self.outcomes;
        self.verified
            .snapshot
            .evaluate_all(&context.ctx, now)
            .enumerate()
            .map(|(i, (_, r))| {
                let use_default = r.value.is_none();
                outcomes.intern(i, &r, use_default)
            })
            .collect()
    }

    /// Result number `id` of flag number `flag`: `{ value, variant, reason,
    /// errorCode?, errorMessage?, rule?, stage?, percent?, useDefault }`, where
    /// `useDefault` says the caller's default is the value. A new object on
    /// every call (values shared): the caller may add fields and freeze it,
    /// and one uncached result can stand for many flags (`resolveAll`).
    pub fn outcome(&self, flag: u32, id: u32) -> Result<JsValue, JsError> {
        let kept = self
            .outcomes
            .get(flag as usize, id)
            .ok_or_else(|| error("INVALID_ARGUMENT", "no such result number"))?;
        Ok(js_sys::Object::assign(&js_sys::Object::new(), kept.unchecked_ref()).into())
    }

    /// The last result returned as `UNCACHED`.
    #[wasm_bindgen(js_name = lastOutcome)]
    pub fn last_outcome(&self) -> Result<JsValue, JsError> {
        self.outcome(0, UNCACHED)
    }

    /// The metadata of flag number `flag`, camelCase: the core's (type,
    /// description, owner, runbook, hotfix, rollbackSteps) and `snapshotVersion`.
    #[wasm_bindgen(js_name = flagMetadata)]
    pub fn flag_metadata(&self, flag: u32) -> Result<JsValue, JsError> {
        let snap = &self.verified.snapshot;
        let (_, id) = self
            .flags
            .get(flag as usize)
            .ok_or_else(|| error("INVALID_ARGUMENT", "no such flag number"))?;
        // The core decides what metadata a resolution carries; take it from one.
        let r = snap.evaluate_id(*id, &Context::new(), Timestamp::MIN);
        Ok(outcome::metadata(&r, self.verified.version))
    }

    /// The result for a key the snapshot lacks (`FLAG_NOT_FOUND`), with its
    /// `flagMetadata`.
    pub fn missing(&self, key: &str) -> Result<JsValue, JsError> {
        let r = self
            .verified
            .snapshot
            .evaluate(key, &Context::new(), Timestamp::MIN);
        let out = detail(&r, true);
        let meta = outcome::metadata(&r, self.verified.version);
        js_sys::Reflect::set(&out, &JsValue::from_str("flagMetadata"), &meta)
            .map_err(|_| error("GENERAL", "the result cannot be built"))?;
        Ok(out)
    }
}
