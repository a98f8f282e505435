//! The evaluation calls: flags by number, results by number (see `outcome`).
//! The JS wrapper maps keys to numbers and numbers to the objects it returns;
//! every decision, typed checks included, is the core's.

use edgeflag::{Context, ErrorCode, EvalError, FlagType, Resolution, Timestamp};
use wasm_bindgen::prelude::*;

use crate::EdgeFlags;
use crate::context::{FlagContext, parse_context};
use crate::convert::{error, timestamp};
use crate::outcome::detail;

pub use crate::outcome::UNCACHED;

/// What a call asks for: any value, or a value of one type (a typed call).
/// Exported to JS as a frozen object (`Kind.Boolean`, ...), so the wrapper
/// holds no copy of these numbers.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Any = 0,
    Boolean = 1,
    String = 2,
    Number = 3,
    Object = 4,
}

impl Kind {
    /// The core's type for a typed call; `None` asks for any value.
    fn expect(self) -> Option<FlagType> {
        match self {
            Kind::Any => None,
            Kind::Boolean => Some(FlagType::Boolean),
            Kind::String => Some(FlagType::String),
            Kind::Number => Some(FlagType::Number),
            Kind::Object => Some(FlagType::Json),
        }
    }
}

const BAD_TIME: &str = "now must be a Date, epoch milliseconds or an rfc 3339 string";

impl EdgeFlags {
    fn resolve_in(&mut self, ctx: &Context, flag: u32, kind: Kind, now: f64) -> u32 {
        let Some(now) = timestamp(now) else {
            return self.failed(flag, ErrorCode::General, BAD_TIME);
        };
        let Some((_, id)) = self.flags.get(flag as usize) else {
            return self.failed(flag, ErrorCode::FlagNotFound, "no such flag number");
        };
        // The core's one typed call decides the type check and the default.
        let r = self
            .verified
            .snapshot
            .resolve_id(*id, ctx, now, kind.expect());
        self.outcomes
            .intern(flag as usize, &r, &self.verified.source())
    }

    /// An input the core never saw (a time or context that does not
    /// convert): the core's failure for flag number `flag`, with its
    /// metadata. Numbered like any result, so messages must not vary with
    /// the input (contexts' do: see `resolve_with`).
    fn failed(&mut self, flag: u32, code: ErrorCode, why: &str) -> u32 {
        let error = EvalError::Input {
            code,
            why: why.to_owned(),
        };
        let source = self.verified.source();
        match self.flags.get(flag as usize) {
            Some((_, id)) => {
                let r = self.verified.snapshot.failure(*id, error);
                self.outcomes.intern(flag as usize, &r, &source)
            }
            None => {
                let js = detail(&Resolution::failure(error), &source);
                self.outcomes.uncached(js)
            }
        }
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
    pub fn resolve(&mut self, context: &FlagContext, flag: u32, kind: Kind, now: f64) -> u32 {
        self.resolve_in(&context.ctx, flag, kind, now)
    }

    /// `resolve` with a plain context object, parsed for this call only. A
    /// context that does not convert gives an uncached `INVALID_CONTEXT` result.
    #[wasm_bindgen(js_name = resolveWith)]
    pub fn resolve_with(&mut self, attributes: &JsValue, flag: u32, kind: Kind, now: f64) -> u32 {
        match parse_context(attributes) {
            Ok(ctx) => self.resolve_in(&ctx, flag, kind, now),
            Err(why) => self.invalid_context(flag, why),
        }
    }

    /// The `INVALID_CONTEXT` result of flag number `flag` for a context that
    /// did not convert, saying `why`. Uncached: the message names the input.
    #[wasm_bindgen(js_name = invalidContext)]
    pub fn invalid_context(&mut self, flag: u32, why: String) -> u32 {
        let error = EvalError::Input {
            code: ErrorCode::InvalidContext,
            why,
        };
        let snapshot = &self.verified.snapshot;
        let r = match self.flags.get(flag as usize) {
            Some((_, id)) => snapshot.failure(*id, error),
            None => Resolution::failure(error),
        };
        let js = detail(&r, &self.verified.source());
        self.outcomes.uncached(js)
    }

    /// Every flag for one context, in `flagKeys()` order: the result numbers.
    #[wasm_bindgen(js_name = resolveAll)]
    pub fn resolve_all(&mut self, context: &FlagContext, now: f64) -> Vec<u32> {
        let Some(now) = timestamp(now) else {
            let n = self.flags.len() as u32;
            return (0..n)
                .map(|flag| self.failed(flag, ErrorCode::General, BAD_TIME))
                .collect();
        };
        let source = self.verified.source();
        let outcomes = &mut self.outcomes;
        self.verified
            .snapshot
            .evaluate_all(&context.ctx, now)
            .enumerate()
            .map(|(i, (_, r))| outcomes.intern(i, &r, &source))
            .collect()
    }

    /// Result number `id` of flag number `flag`: `{ value, variant, reason,
    /// errorCode?, errorMessage?, rule?, stage?, percent?, useDefault }`, where
    /// `useDefault` says the caller's default is the value. A new object on
    /// every call (values shared): the caller may add fields and freeze it,
    /// and one uncached result can stand for many flags (`resolveAll`).
    pub fn outcome(&self, flag: u32, id: u32) -> Result<JsValue, JsValue> {
        let kept = self
            .outcomes
            .get(flag as usize, id)
            .ok_or_else(|| error("INVALID_ARGUMENT", "no such result number"))?;
        Ok(js_sys::Object::assign(&js_sys::Object::new(), kept.unchecked_ref()).into())
    }

    /// The last result returned as `UNCACHED`.
    #[wasm_bindgen(js_name = lastOutcome)]
    pub fn last_outcome(&self) -> Result<JsValue, JsValue> {
        self.outcome(0, UNCACHED)
    }

    /// The result for a key the snapshot lacks (`FLAG_NOT_FOUND`), with its
    /// `flagMetadata`.
    pub fn missing(&self, key: &str) -> JsValue {
        let r = self
            .verified
            .snapshot
            .evaluate(key, &Context::new(), Timestamp::MIN);
        detail(&r, &self.verified.source())
    }
}
