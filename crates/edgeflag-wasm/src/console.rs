//! The release console's extras: definitions, status, simulation and changes.
//! The size-tuned browser build leaves them out (feature `console`); the
//! console page and Node load the full build.

use edgeflag::{Change, definition_changes};
use wasm_bindgen::prelude::*;

use crate::EdgeFlags;
use crate::context::FlagContext;
use serde_json::Value;

use crate::convert::{error, js_message, timestamp};
use edgeflag::{Camel, camel};

#[wasm_bindgen]
impl EdgeFlags {
    /// The snapshot's definitions as signed (the release file's shape), with
    /// camelCase field names (`incidentChannel`) and keys as written.
    pub fn definitions(&self) -> Result<JsValue, JsValue> {
        to_js(&self.verified.snapshot.definitions().camel())
    }

    /// Where every flag's rollout and partial rollbacks stand at `now`
    /// (microseconds), camelCase.
    pub fn status(&self, now: f64) -> Result<JsValue, JsValue> {
        let now = timestamp(now).ok_or_else(bad_time)?;
        let status = serde_json::to_value(self.verified.snapshot.status(now))
            .map_err(|e| error("GENERAL", e))?;
        to_js(&camel_keys(status))
    }

    /// How `users` synthetic users (built from `template`) resolve for the
    /// given flags (all when empty) at `now` (microseconds), camelCase.
    pub fn simulate(
        &self,
        flag_keys: Vec<String>,
        users: f64,
        now: f64,
        template: &FlagContext,
    ) -> Result<JsValue, JsValue> {
        let now = timestamp(now).ok_or_else(bad_time)?;
        if !(users >= 0.0 && users.fract() == 0.0 && users <= u32::MAX as f64) {
            return Err(error(
                "INVALID_ARGUMENT",
                "users must be a non-negative integer",
            ));
        }
        let keys: Vec<&str> = flag_keys.iter().map(String::as_str).collect();
        let dist = self
            .verified
            .snapshot
            .simulate(&keys, users as usize, now, &template.ctx);
        let dist = serde_json::to_value(dist).map_err(|e| error("GENERAL", e))?;
        to_js(&camel_keys(dist))
    }

    /// The keys of flags added, removed or changed since `previous`.
    #[wasm_bindgen(js_name = changedFlags)]
    pub fn changed_flags(&self, previous: &EdgeFlags) -> Vec<String> {
        definition_changes(
            previous.verified.snapshot.definitions(),
            self.verified.snapshot.definitions(),
        )
        .into_iter()
        .filter(|(_, c)| *c != Change::Unchanged)
        .map(|(k, _)| k)
        .collect()
    }
}

fn bad_time() -> JsValue {
    error(
        "INVALID_ARGUMENT",
        "now must be a Date, epoch milliseconds or an rfc 3339 string",
    )
}

/// A JS value from anything serializable. `JSON.parse` builds large objects
/// (definitions, simulations) faster than element-by-element conversion.
pub(crate) fn to_js(value: &impl serde::Serialize) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(value).map_err(|e| error("GENERAL", e))?;
    js_sys::JSON::parse(&json).map_err(|e| error("GENERAL", js_message(&e)))
}

/// Renames the keys of struct-shaped JSON to camelCase, recursively. Only for
/// values whose every key is a field name (status, simulations): user data
/// such as flag values keeps its keys.
pub(crate) fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (camel(&k), camel_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_keys_become_camel_case() {
        let v = camel_keys(serde_json::json!({ "a_b": [{ "c_d": 1 }] }));
        assert_eq!(v, serde_json::json!({ "aB": [{ "cD": 1 }] }));
    }
}
