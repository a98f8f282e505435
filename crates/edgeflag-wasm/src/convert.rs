//! Conversions at the boundary: errors with stable codes, times, and JSON out.

use std::fmt::Display;

use edgeflag::Timestamp;
use wasm_bindgen::prelude::*;

/// A `JsError` whose message starts with a stable code (`BAD_SIGNATURE: ...`):
/// `JsError` carries no other field, and the JS wrapper splits the two into an
/// `EdgeFlagsError` with `.code`.
pub(crate) fn error(code: &str, message: impl Display) -> JsError {
    JsError::new(&format!("{code}: {message}"))
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

/// `error_message` → `errorMessage`: the core speaks JSON's snake_case, JS and
/// OpenFeature camelCase.
pub(crate) fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            // Field names are ASCII; this avoids Unicode case tables in the build.
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_becomes_camel_case() {
        assert_eq!(camel("error_message"), "errorMessage");
        assert_eq!(camel("rollback_steps"), "rollbackSteps");
        assert_eq!(camel("value"), "value");
    }

    #[test]
    fn timestamps_are_floored_to_the_microsecond() {
        assert_eq!(timestamp(1.9), Some(Timestamp::from_micros(1)));
        assert_eq!(timestamp(f64::NAN), None);
        assert_eq!(timestamp(f64::INFINITY), None);
    }
}
