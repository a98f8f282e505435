//! Conversions at the boundary: errors with stable codes, times, and JSON out.

use std::fmt::Display;

use edgeflag::Timestamp;
use wasm_bindgen::prelude::*;

/// A JS `Error` with a stable `code` property (`BAD_SIGNATURE`, ...): the code
/// crosses as data, and the JS wrapper makes it an `EdgeFlagsError`.
pub(crate) fn error(code: &str, message: impl Display) -> JsValue {
    let e = js_sys::Error::new(&message.to_string());
    // Setting a property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&e, &JsValue::from_str("code"), &JsValue::from_str(code));
    e.into()
}

/// Microseconds since the epoch of an evaluation time given from JS: a `Date`,
/// epoch milliseconds, or an RFC 3339 string (parsed by the core, to the
/// microsecond); `undefined` and `null` mean the current time. Anything else
/// (and an invalid `Date` or string) gives `NaN`, which evaluations report as
/// an error rather than throw.
#[wasm_bindgen(js_name = timeMicros)]
pub fn time_micros(value: &JsValue) -> f64 {
    if value.is_undefined() || value.is_null() {
        return js_sys::Date::now() * 1000.0;
    }
    if let Some(ms) = value.as_f64() {
        return ms * 1000.0;
    }
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        return date.get_time() * 1000.0;
    }
    match value.as_string().as_deref().and_then(Timestamp::parse) {
        Some(t) => t.as_micros() as f64,
        None => f64::NAN,
    }
}

/// The instant of `time_micros`'s result, when it is one.
pub(crate) fn timestamp(micros: f64) -> Option<Timestamp> {
    // Beyond ±2^63 µs the cast would saturate into a wrong but valid-looking time.
    (micros.is_finite() && micros.abs() < 9.2e18)
        .then(|| Timestamp::from_micros(micros.floor() as i64))
}

/// The message of a thrown JS value.
pub(crate) fn js_message(e: &JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => e
            .as_string()
            .unwrap_or_else(|| "a value that is not an Error was thrown".into()),
    }
}
