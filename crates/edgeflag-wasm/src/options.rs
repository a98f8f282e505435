//! `fromSnapshot`'s inputs: the envelope's bytes and the verify options.

use edgeflag::{PublicKey, VerifyOptions};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{error, time_micros, timestamp};

const OPTIONS: [&str; 6] = [
    "trustedKeys",
    "threshold",
    "minVersion",
    "now",
    "allowExpired",
    "maxSize",
];

/// The envelope as bytes: a string (its UTF-8), or any `ArrayBuffer` view
/// (`Uint8Array`, Node's `Buffer`) or `ArrayBuffer`.
pub(crate) fn envelope_bytes(envelope: &JsValue) -> Result<Vec<u8>, JsError> {
    if let Some(text) = envelope.as_string() {
        return Ok(text.into_bytes());
    }
    if js_sys::ArrayBuffer::is_view(envelope) {
        let view: &js_sys::Uint8Array = envelope.unchecked_ref();
        // Any view: read its bytes through a Uint8Array over the same range.
        let bytes = Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset(),
            view.byte_length(),
        );
        return Ok(bytes.to_vec());
    }
    if let Some(buffer) = envelope.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(buffer).to_vec());
    }
    Err(error(
        "MALFORMED",
        "malformed snapshot: expected a string, a Uint8Array or an ArrayBuffer",
    ))
}

fn bad(message: impl std::fmt::Display) -> JsError {
    error("INVALID_ARGUMENT", message)
}

/// A non-negative integer option, `None` when absent.
fn count(options: &JsValue, name: &str) -> Result<Option<f64>, JsError> {
    let v = get(options, name)?;
    if v.is_undefined() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(Some(n)),
        _ => Err(bad(format!(
            "options.{name} must be a non-negative integer"
        ))),
    }
}

fn get(options: &JsValue, name: &str) -> Result<JsValue, JsError> {
    Reflect::get(options, &JsValue::from_str(name))
        .map_err(|_| bad(format!("options.{name} cannot be read")))
}

/// What `fromSnapshot` verifies with. Unknown option names are errors, so a
/// misspelt `minVersion` cannot silently turn replay protection off.
pub(crate) fn verify_options(options: &JsValue) -> Result<VerifyOptions, JsError> {
    if !options.is_object() {
        return Err(bad(
            "options must be an object with at least `trustedKeys` (pem public keys)",
        ));
    }
    let object: &Object = options.unchecked_ref();
    for name in Object::keys(object).iter() {
        let name = name.as_string().unwrap_or_default();
        if !OPTIONS.contains(&name.as_str()) {
            return Err(bad(format!(
                "unknown option `{name}`; the options are {}",
                OPTIONS.join(", ")
            )));
        }
    }
    let keys = get(options, "trustedKeys")?;
    if !Array::is_array(&keys) {
        return Err(bad(
            "options.trustedKeys must be an array of pem public keys",
        ));
    }
    let mut trusted = Vec::new();
    for (i, pem) in Array::from(&keys).iter().enumerate() {
        let pem = pem
            .as_string()
            .ok_or_else(|| bad(format!("options.trustedKeys[{i}] must be a pem string")))?;
        // One entry may hold several PEM blocks, as a key file may.
        let keys = PublicKey::all_from_pem(&pem)
            .map_err(|e| error("INVALID_KEY", format!("options.trustedKeys[{i}]: {e}")))?;
        trusted.extend(keys);
    }
    let now = get(options, "now")?;
    let now = timestamp(time_micros(&now)).ok_or_else(|| {
        bad("options.now must be a Date, epoch milliseconds or an rfc 3339 string")
    })?;
    let mut opts = VerifyOptions::new(trusted, now);
    if let Some(t) = count(options, "threshold")? {
        opts.threshold = t as usize;
    }
    if let Some(v) = count(options, "minVersion")? {
        opts.min_version = v as u64;
    }
    if let Some(size) = count(options, "maxSize")? {
        opts.max_size = size as usize;
    }
    let allow = get(options, "allowExpired")?;
    if !allow.is_undefined() {
        opts.allow_expired = allow
            .as_bool()
            .ok_or_else(|| bad("options.allowExpired must be a boolean"))?;
    }
    Ok(opts)
}
