//! What the wasm tests share: the embedded vectors and release files, a fixed
//! signing key, and JS values in and out.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

/// The native suite's helpers: the vectors are compared exactly as there.
#[path = "../../../../tests/common/mod.rs"]
pub mod native;

use edgeflag::{Definitions, Payload, ReleaseFile, SNAPSHOT_SCHEMA, SigningKey, sign};
use edgeflag_wasm::EdgeFlags;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

include!(concat!(env!("OUT_DIR"), "/vector_data.rs"));

pub const ISSUED_AT: &str = "2026-01-01T00:00:00Z";

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes([n; 32])
}

pub fn pem(n: u8) -> String {
    key(n).public().to_spki_pem().unwrap()
}

pub fn vector_file(name: &str) -> Value {
    let (_, text) = VECTOR_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not embedded"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn release_file(path: &str) -> ReleaseFile {
    let (_, text) = RELEASE_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .unwrap_or_else(|| panic!("{path} is not embedded (build.rs embeds what vectors name)"));
    ReleaseFile::from_toml(text).unwrap()
}

pub fn season0() -> ReleaseFile {
    release_file("examples/season0.toml")
}

/// The release a vector file holds: inline JSON, or a TOML file it names.
pub fn release_of(name: &str, file: &Value) -> ReleaseFile {
    if let Some(path) = file.get("release_file").and_then(Value::as_str) {
        return release_file(path);
    }
    let release: ReleaseFile =
        edgeflag::ReleaseFile::from_json(&file["release"].clone().to_string())
            .unwrap_or_else(|e| panic!("{name}: release: {e}"));
    release
        .validate()
        .unwrap_or_else(|e| panic!("{name}: release: {e}"));
    release
}

pub fn payload(definitions: Definitions, version: u64, expires_at: Option<&str>) -> Payload {
    Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: ISSUED_AT.into(),
        expires_at: expires_at.map(Into::into),
        previous: None,
        forced: false,
        never_expires: expires_at.is_none(),
        audience: Default::default(),
        candidate: None,
        promotion: None,
        definitions,
    }
}

/// A signed envelope of `payload` by key `n`.
pub fn signed(payload: &Payload, n: u8) -> String {
    sign(payload, &[&key(n)]).unwrap().envelope
}

/// A JS value of JSON.
pub fn js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

/// The JSON of a JS value (`undefined` fields are absent, as in JSON).
pub fn json_of(v: &JsValue) -> Value {
    if v.is_undefined() {
        return Value::Null;
    }
    let text = String::from(js_sys::JSON::stringify(v).unwrap());
    serde_json::from_str(&text).unwrap()
}

pub fn options(extra: Value) -> JsValue {
    let mut o = json!({ "trustedKeys": [pem(1)] });
    if let (Some(o), Value::Object(extra)) = (o.as_object_mut(), extra) {
        o.extend(extra);
    }
    js(&o)
}

/// `CODE: message` of a thrown error: its `code` property (the code crosses
/// as data, not inside the text) and its message.
pub fn message(e: JsValue) -> String {
    let code = js_sys::Reflect::get(&e, &JsValue::from_str("code"))
        .unwrap()
        .as_string()
        .unwrap_or_else(|| panic!("no code property on {e:?}"));
    let text = String::from(e.dyn_into::<js_sys::Error>().unwrap().message());
    assert!(
        !text.starts_with(&format!("{code}:")),
        "code in the text: {text}"
    );
    format!("{code}: {text}")
}

pub fn load(envelope: &str, options: &JsValue) -> EdgeFlags {
    EdgeFlags::from_snapshot(&JsValue::from_str(envelope), options)
        .unwrap_or_else(|e| panic!("fromSnapshot: {}", message(e)))
}
