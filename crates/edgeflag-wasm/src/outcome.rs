//! Evaluation results as small numbers. Crossing the JS/wasm boundary is what
//! an evaluation costs in JS, so each distinct result of a flag (variant,
//! reason, rule, stage, percent, error) is numbered the first time it occurs
//! and built as a JS object once; afterwards an evaluation returns only its
//! number and the JS side reuses that object. A flag has few distinct results
//! (variants × reasons × rules × stages), so the table stays small.

use edgeflag::{Field, Reason, Resolution, Source, camel};
use js_sys::{Array, Object, Reflect};
use serde_json::Value;
use wasm_bindgen::JsValue;

/// Returned instead of a number for a result that is not kept (errors whose
/// message depends on the input): read it with `lastOutcome()`.
pub const UNCACHED: u32 = u32::MAX;
/// A bound that real snapshots never reach; past it results are sent whole.
const MAX_PER_FLAG: usize = 4096;

struct Outcome {
    key: Key,
    error: Option<String>,
    js: JsValue,
}

/// What tells two results of one flag apart, compared on every evaluation.
/// Variant and rule names borrow from the snapshot, which lives as long as
/// the table, so the same name is the same address: comparing addresses
/// spares a string comparison per evaluation (wasm's `memcmp` is a byte loop).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    variant: Option<(usize, usize)>,
    rule: Option<(usize, usize)>,
    reason: Reason,
    stage: Option<usize>,
    percent: Option<u64>,
    use_default: bool,
    /// A guard's halt decided (the `guard` field).
    halted: bool,
}

fn address(s: Option<&str>) -> Option<(usize, usize)> {
    s.map(|s| (s.as_ptr() as usize, s.len()))
}

impl Key {
    fn of(r: &Resolution) -> Self {
        Key {
            variant: address(r.variant),
            rule: address(r.rule),
            reason: r.reason,
            stage: r.stage,
            percent: r.percent.map(f64::to_bits),
            use_default: r.uses_default(),
            halted: r.guard.is_some_and(|g| g.halted),
        }
    }
}

impl Outcome {
    fn new(r: &Resolution, source: &Source) -> Self {
        Outcome {
            key: Key::of(r),
            error: r.error.as_ref().map(ToString::to_string),
            js: detail(r, source),
        }
    }

    // The value is the variant's, so it needs no comparing of its own.
    fn matches(&self, key: &Key, r: &Resolution) -> bool {
        self.key == *key
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
    last: JsValue,
}

impl Outcomes {
    pub(crate) fn new(flags: usize) -> Self {
        Outcomes {
            flags: (0..flags).map(|_| Vec::new()).collect(),
            last: JsValue::UNDEFINED,
        }
    }

    /// The number of this result of `flag`, numbering it if it is new.
    pub(crate) fn intern(&mut self, flag: usize, r: &Resolution, source: &Source) -> u32 {
        let Some(known) = self.flags.get_mut(flag) else {
            return self.uncached(detail(r, source));
        };
        let key = Key::of(r);
        if let Some(i) = known.iter().position(|o| o.matches(&key, r)) {
            return i as u32;
        }
        let outcome = Outcome::new(r, source);
        if known.len() >= MAX_PER_FLAG {
            return self.uncached(outcome.js);
        }
        known.push(outcome);
        (known.len() - 1) as u32
    }

    /// Keeps a result for `lastOutcome()` and returns [`UNCACHED`].
    pub(crate) fn uncached(&mut self, js: JsValue) -> u32 {
        self.last = js;
        UNCACHED
    }

    /// A numbered result, or the last uncached one.
    pub(crate) fn get(&self, flag: usize, id: u32) -> Option<&JsValue> {
        if id == UNCACHED {
            return Some(&self.last);
        }
        let o = self.flags.get(flag)?.get(usize::try_from(id).ok()?)?;
        Some(&o.js)
    }
}

/// The core's resolution as a JS object with camelCase keys, its
/// OpenFeature `flagMetadata` (frozen, shared by every caller of this
/// result), and `useDefault` when the caller's default is the value. The
/// core's field lists decide every field.
pub(crate) fn detail(r: &Resolution, source: &Source) -> JsValue {
    let out = object(r.fields());
    let meta = Object::new();
    for (k, v) in r.flag_metadata(source) {
        set(&meta, &k, &field(v));
    }
    set(&out, "flagMetadata", &Object::freeze(&meta));
    set(&out, "useDefault", &JsValue::from_bool(r.uses_default()));
    out.into()
}

fn object(fields: Vec<(&str, Field)>) -> Object {
    let out = Object::new();
    for (k, v) in fields {
        set(&out, &camel(k), &field(v));
    }
    out
}

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), value);
}

fn field(f: Field) -> JsValue {
    match f {
        Field::Json(v) => v.map_or(JsValue::NULL, json),
        Field::Str(s) => s.map_or(JsValue::NULL, JsValue::from_str),
        Field::Text(t) => JsValue::from_str(&t),
        Field::Count(n) => JsValue::from_f64(n as f64),
        Field::Number(n) => JsValue::from_f64(n),
        Field::Bool(b) => JsValue::from_bool(b),
        Field::List(items) => items
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect::<Array>()
            .into(),
        _ => JsValue::UNDEFINED,
    }
}

/// A JSON value as a JS value (numbers as JS numbers, as `JSON.parse` reads them).
pub(crate) fn json(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => n.as_f64().map_or(JsValue::NULL, JsValue::from_f64),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(json).collect::<Array>().into(),
        Value::Object(fields) => {
            let out = Object::new();
            for (k, v) in fields {
                set(&out, k, &json(v));
            }
            out.into()
        }
    }
}
