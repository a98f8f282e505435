//! Verifying and loading signed snapshots. Figures and the command in BENCHMARKS.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/workload.rs"]
mod workload;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edgeflag::{
    Payload, ReleaseFile, SNAPSHOT_SCHEMA, SigningKey, Timestamp, VerifyOptions, sign, verify,
};
use serde_json::json;

fn envelope(release: &ReleaseFile, key: &SigningKey) -> Vec<u8> {
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version: 1,
        issued_at: "2026-12-01T00:00:00Z".into(),
        expires_at: Some("2026-12-31T00:00:00Z".into()),
        previous: None,
        forced: false,
        definitions: release.for_environment("production").unwrap(),
    };
    sign(&payload, &[key]).unwrap().envelope.into_bytes()
}

/// 10,000 flags shaped like the workload's: a quarter of each kind.
fn ten_thousand() -> ReleaseFile {
    let base = workload::release();
    let mut flags = serde_json::Map::new();
    for round in 0..50 {
        for (k, v) in base["flags"].as_object().unwrap() {
            flags.insert(format!("{k}-{round}"), v.clone());
        }
    }
    serde_json::from_value(json!({ "schema": 1, "release": { "name": "big" }, "flags": flags }))
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let key = SigningKey::from_secret_bytes([7; 32]);
    let now = Timestamp::parse("2026-12-02T00:00:00Z").unwrap();
    let opts = VerifyOptions::new(vec![key.public()], now);
    let small = envelope(&serde_json::from_value(workload::release()).unwrap(), &key);
    let big = envelope(&ten_thousand(), &key);
    assert_eq!(
        verify(&small, &opts).unwrap().snapshot.flag_keys().len(),
        200
    );
    assert_eq!(
        verify(&big, &opts).unwrap().snapshot.flag_keys().len(),
        10_000
    );
    eprintln!(
        "envelope sizes: 200 flags {} bytes, 10,000 flags {} bytes",
        small.len(),
        big.len()
    );
    // Dropping a loaded snapshot is not part of loading it: the edge frees the
    // old one after the swap, off the request path.
    c.bench_function("verify and load 200 flags", |b| {
        b.iter_with_large_drop(|| verify(black_box(&small), &opts).unwrap())
    });
    let mut group = c.benchmark_group("large");
    group.sample_size(20);
    group.bench_function("verify and load 10,000 flags", |b| {
        b.iter_with_large_drop(|| verify(black_box(&big), &opts).unwrap())
    });
    group.finish();
}

criterion_group!(snapshots, benches);
criterion_main!(snapshots);
