//! Writes what the npm package's Node tests need from Rust (scripts/test-npm.sh):
//! every vector file's release signed with a fixed test key, with its cases, so
//! the vectors also run through the package's JS wrapper; and the reference
//! workload's release and contexts exactly as benches/common/workload.rs builds
//! them, which the JS benchmark's own generator must match; and the same 200
//! flags as a signed browser snapshot (every flag for browsers, `country`
//! private), for the time to first evaluation in Chromium.
//!
//!   cargo run -p edgeflag-wasm --example fixtures -- OUT_DIR
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../../../benches/common/workload.rs"]
mod workload;

use std::path::PathBuf;

use edgeflag::{Audience, Payload, SNAPSHOT_SCHEMA, SigningKey, sign};
use serde_json::{Value, json};

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: fixtures OUT_DIR"));
    let key = SigningKey::from_secret_bytes([1; 32]);
    std::fs::create_dir_all(out.join("vectors")).unwrap();
    std::fs::write(out.join("key.pub.pem"), key.public().to_spki_pem().unwrap()).unwrap();

    let mut written = 0;
    for (path, file) in common::vector_files() {
        let Some(cases) = file.get("cases") else {
            continue; // bucketing vectors: no JS API to replay them through
        };
        let release = common::release_of(&path, &file);
        let env = file
            .get("environment")
            .and_then(Value::as_str)
            .unwrap_or("production");
        let expires_at = file.get("expires_at").and_then(Value::as_str);
        let payload = Payload {
            schema: SNAPSHOT_SCHEMA,
            version: 1,
            issued_at: "2026-01-01T00:00:00Z".into(),
            expires_at: expires_at.map(Into::into),
            previous: None,
            forced: false,
            never_expires: expires_at.is_none(),
            audience: Default::default(),
            candidate: None,
            promotion: None,
            definitions: release.for_environment(env).unwrap(),
        };
        let fixture = json!({
            "envelope": sign(&payload, &[&key]).unwrap().envelope,
            "environment": env,
            "cases": cases,
        });
        let name = path.file_name().unwrap();
        std::fs::write(out.join("vectors").join(name), fixture.to_string()).unwrap();
        written += 1;
    }
    let mut browser = workload::release();
    browser["release"]["private_attributes"] = json!(["country"]);
    for flag in browser["flags"].as_object_mut().unwrap().values_mut() {
        flag["clients"] = json!(["server", "browser"]);
    }
    let defs = edgeflag::ReleaseFile::from_json(&browser.to_string())
        .unwrap()
        .for_environment("production")
        .unwrap()
        .for_browser(&edgeflag::browser_salt("workload"), None)
        .unwrap();
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version: 1,
        issued_at: "2026-01-01T00:00:00Z".into(),
        expires_at: Some("2036-01-01T00:00:00Z".into()),
        previous: None,
        forced: false,
        never_expires: false,
        audience: Audience::Browser,
        candidate: None,
        promotion: None,
        definitions: defs,
    };
    let envelope = sign(&payload, &[&key]).unwrap().envelope;
    std::fs::write(out.join("workload-browser.json"), envelope).unwrap();
    let release = serde_json::to_string_pretty(&workload::release()).unwrap();
    std::fs::write(out.join("workload-release.json"), release).unwrap();
    let contexts: Vec<Value> = workload::contexts()
        .iter()
        .map(|r| json!([r.key, r.email, r.country, r.version, r.plan]))
        .collect();
    std::fs::write(
        out.join("workload-contexts.json"),
        Value::Array(contexts).to_string(),
    )
    .unwrap();
    println!(
        "{written} vector snapshots and the workload in {}",
        out.display()
    );
}
