//! Evaluation contexts from JS values.

use edgeflag::Context;
use wasm_bindgen::prelude::*;

use crate::convert::js_message;

/// A context parsed once (versions and times read once, as the core does) and
/// reusable for any number of evaluations, with any snapshot. Made by
/// `EdgeFlags.context`; free it with `free()` (or let the GC do it).
#[wasm_bindgen]
pub struct FlagContext {
    pub(crate) ctx: Context,
}

/// The core context of a JS value: `undefined` and `null` are the empty
/// context; an object is read as JSON, so a `Date` attribute becomes its
/// RFC 3339 string (the time operators' input) and `undefined` attributes are
/// absent. Anything else is an error message.
pub(crate) fn parse_context(attributes: &JsValue) -> Result<Context, String> {
    if attributes.is_undefined() || attributes.is_null() {
        return Ok(Context::new());
    }
    if !attributes.is_object() || js_sys::Array::is_array(attributes) {
        let kind = if attributes.is_object() {
            "array".to_owned()
        } else {
            attributes.js_typeof().as_string().unwrap_or_default()
        };
        return Err(format!(
            "the context must be an object of attributes, not a {kind}"
        ));
    }
    let text = js_sys::JSON::stringify(attributes)
        .map_err(|e| format!("the context cannot be read as json: {}", js_message(&e)))?;
    let text = String::from(text);
    Context::parse_json(text.as_bytes()).map_err(|e| format!("the context cannot be read: {e}"))
}
