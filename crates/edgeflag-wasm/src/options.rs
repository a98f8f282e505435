//! `fromSnapshot`'s inputs: the envelope's bytes, the core's acceptance
//! policy and what the caller holds (its current snapshot, its floor).

use edgeflag::{Holding, Mark, Policy, PublicKey, Served, Timestamp};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{error, time_micros, timestamp};

const OPTIONS: [&str; 9] = [
    "trustedKeys",
    "threshold",
    "environment",
    "audience",
    "minVersion",
    "now",
    "maxSize",
    "current",
    "floor",
];

/// The envelope as bytes: a string (its UTF-8), or any `ArrayBuffer` view
/// (`Uint8Array`, Node's `Buffer`) or `ArrayBuffer`.
pub(crate) fn envelope_bytes(envelope: &JsValue) -> Result<Vec<u8>, JsValue> {
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

fn bad(message: impl std::fmt::Display) -> JsValue {
    error("INVALID_ARGUMENT", message)
}

/// A non-negative integer option, `None` when absent.
fn count(options: &JsValue, name: &str) -> Result<Option<f64>, JsValue> {
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

fn get(options: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(options, &JsValue::from_str(name))
        .map_err(|_| bad(format!("options.{name} cannot be read")))
}

/// What `fromSnapshot` verifies with, and what the caller holds. Unknown
/// option names are errors, so a misspelt `minVersion` cannot silently turn
/// replay protection off.
pub(crate) fn policy(options: &JsValue) -> Result<(Policy, Holding), JsValue> {
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
    let mut policy = Policy::new(trusted, now);
    if let Some(t) = count(options, "threshold")? {
        policy.threshold = t as usize;
    }
    if let Some(v) = count(options, "minVersion")? {
        policy.min_version = v as u64;
    }
    if let Some(size) = count(options, "maxSize")? {
        policy.max_size = size as usize;
    }
    let env = get(options, "environment")?;
    if !env.is_undefined() {
        policy.environment = Some(
            env.as_string()
                .filter(|e| !e.is_empty())
                .ok_or_else(|| bad("options.environment must be an environment name"))?,
        );
    }
    let audience = get(options, "audience")?;
    if !audience.is_undefined() {
        policy.audience = audience
            .as_string()
            .and_then(|a| edgeflag::Audience::from_name(&a))
            .ok_or_else(|| bad("options.audience must be \"server\" or \"browser\""))?;
    }
    let current = get(options, "current")?;
    let served = if current.is_undefined() || current.is_null() {
        None
    } else {
        let expires = get(&current, "expiresAt")?;
        let expires_at = if expires.is_undefined() || expires.is_null() {
            None
        } else {
            Some(
                expires
                    .as_string()
                    .as_deref()
                    .and_then(Timestamp::parse)
                    .ok_or_else(|| bad("options.current.expiresAt must be an rfc 3339 string"))?,
            )
        };
        Some(Served {
            mark: mark(&current, "current")?,
            expires_at,
        })
    };
    let floor = get(options, "floor")?;
    let mark = if floor.is_undefined() || floor.is_null() {
        None
    } else {
        Some(mark(&floor, "floor")?)
    };
    Ok((policy, Holding { served, mark }))
}

/// `{ version, digest }` (an `EdgeFlags` has both).
fn mark(value: &JsValue, name: &str) -> Result<Mark, JsValue> {
    if !value.is_object() {
        return Err(bad(format!(
            "options.{name} must be an object with `version` and `digest` (an EdgeFlags has both)"
        )));
    }
    let version = get(value, "version")?
        .as_f64()
        .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_991.0)
        .ok_or_else(|| {
            bad(format!(
                "options.{name}.version must be a non-negative integer"
            ))
        })?;
    let digest = get(value, "digest")?.as_string().ok_or_else(|| {
        bad(format!(
            "options.{name}.digest must be a `sha256:` digest string"
        ))
    })?;
    Ok(Mark {
        version: version as u64,
        digest,
    })
}
