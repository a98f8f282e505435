//! Replays `tests/vectors/*.json`: the one suite every runtime runs.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use edgeflag::{
    Context, FlagType, INCLUSION_SEED, ReleaseFile, Snapshot, Timestamp, VARIANT_SEED, bucket,
};
use serde_json::{Value, json};

/// The repository root: the nearest folder up from this crate holding `tests/vectors`,
/// so that every crate of the workspace can replay the same vectors.
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("tests/vectors").is_dir())
        .map_or(here.clone(), Path::to_path_buf)
}

pub fn season0() -> ReleaseFile {
    let src = std::fs::read_to_string(root().join("examples/season0.toml")).unwrap();
    ReleaseFile::from_toml(&src).unwrap()
}

pub fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|| panic!("bad time {s}"))
}

/// Every vector file, sorted, with its parsed JSON.
pub fn vector_files() -> Vec<(PathBuf, Value)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("tests/vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, v)
        })
        .collect()
}

/// The environment a vector file evaluates (production unless it says) and
/// the expiry its snapshot carries, if any.
pub fn env_and_expiry(v: &Value) -> (&str, Option<Timestamp>) {
    let env = v
        .get("environment")
        .and_then(Value::as_str)
        .unwrap_or("production");
    let expiry = v.get("expires_at").and_then(Value::as_str).map(at);
    (env, expiry)
}

pub fn release_of(file: &Path, v: &Value) -> ReleaseFile {
    if let Some(rel) = v.get("release_file").and_then(Value::as_str) {
        let src = std::fs::read_to_string(root().join(rel)).unwrap();
        return ReleaseFile::from_toml(&src).unwrap();
    }
    let release: ReleaseFile = edgeflag::ReleaseFile::from_json(&v["release"].clone().to_string())
        .unwrap_or_else(|e| panic!("{}: release: {e}", file.display()));
    release
        .validate()
        .unwrap_or_else(|e| panic!("{}: release: {e}", file.display()));
    release
}

/// The JSON detail of one case, as every runtime reports it.
pub fn run_case(snap: &Snapshot, case: &Value) -> Value {
    let key = case["flag"].as_str().unwrap();
    let ctx = Context::from_json(case.get("context").unwrap_or(&json!({}))).unwrap();
    let now = at(case["at"].as_str().unwrap());
    let default = case.get("default").cloned().unwrap_or(Value::Null);
    let expect = match case.get("type").and_then(Value::as_str) {
        None | Some("any") => None,
        Some(name) => Some(FlagType::from_name(name).unwrap_or_else(|| panic!("type {name}"))),
    };
    let typed = snap.resolve_or(key, &ctx, now, expect, default).unwrap();
    let (value, detail) = (typed.value, serde_json::to_value(&typed.detail).unwrap());
    let mut detail = detail;
    detail["value"] = value;
    detail
}

/// Equality where 5 and 5.0 are the same number, as in JSON itself.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The mismatches between a case's expectation and the actual detail.
pub fn mismatches(expected: &Value, actual: &Value) -> Vec<String> {
    expected
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, want)| {
            let got = actual.get(k).unwrap_or(&Value::Null);
            (!same(want, got)).then(|| format!("{k}: expected {want}, got {got}"))
        })
        .collect()
}

/// The mismatch of one pinned bucket vector, if the core disagrees with it.
pub fn bucket_mismatch(b: &Value) -> Option<String> {
    let (salt, value) = (b["salt"].as_str().unwrap(), b["value"].as_str().unwrap());
    let got = (
        bucket(salt.as_bytes(), value.as_bytes(), INCLUSION_SEED),
        bucket(salt.as_bytes(), value.as_bytes(), VARIANT_SEED),
    );
    let want = (
        b["inclusion"].as_u64().unwrap() as u32,
        b["variant"].as_u64().unwrap() as u32,
    );
    (got != want).then(|| format!("bucket {salt:?}/{value:?}: expected {want:?}, got {got:?}"))
}
