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
    EDGE_MAX_SIZE, EXTRA_SIGNATURES, PAYLOAD_TYPE, Payload, Policy, ReleaseFile, SNAPSHOT_SCHEMA,
    SigningKey, Timestamp, sign, verify,
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
        never_expires: false,
        audience: Default::default(),
        candidate: None,
        promotion: None,
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
    edgeflag::ReleaseFile::from_json(
        &json!({ "schema": 1, "release": { "name": "big" }, "flags": flags }).to_string(),
    )
    .unwrap()
}

/// The worst envelope an attacker with KV write access can hand the edge:
/// exactly `EDGE_MAX_SIZE` bytes, nearly all payload, and as many signatures
/// as are read, each claiming a trusted key (with a well-formed signature
/// copied from a real snapshot), so every trusted key is tried once over
/// the largest payload before the envelope is refused.
fn hostile(keys: &[SigningKey], real: &[u8]) -> Vec<u8> {
    let env: serde_json::Value = serde_json::from_slice(real).unwrap();
    let sig = env["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let sigs: Vec<serde_json::Value> = (0..keys.len() + EXTRA_SIGNATURES)
        .map(|i| json!({ "keyid": keys[i % keys.len()].public().key_id(), "sig": sig }))
        .collect();
    let shell =
        json!({ "payload": "", "payloadType": PAYLOAD_TYPE, "signatures": sigs }).to_string();
    let room = (EDGE_MAX_SIZE - shell.len()) / 4 * 4;
    let payload = "QUJD".repeat(room / 4);
    let out = json!({ "payload": payload, "payloadType": PAYLOAD_TYPE, "signatures": sigs })
        .to_string()
        .into_bytes();
    assert!(out.len() <= EDGE_MAX_SIZE && out.len() > EDGE_MAX_SIZE - 8);
    out
}

fn benches(c: &mut Criterion) {
    let key = SigningKey::from_secret_bytes([7; 32]);
    let now = Timestamp::parse("2026-12-02T00:00:00Z").unwrap();
    let opts = Policy::new(vec![key.public()], now);
    let small = envelope(
        &edgeflag::ReleaseFile::from_json(&workload::release().to_string()).unwrap(),
        &key,
    );
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
    // Rejections at the edge's limits, next to the normal verification above.
    let second = SigningKey::from_secret_bytes([8; 32]);
    for keys in [vec![key.clone()], vec![key.clone(), second]] {
        let mut edge = Policy::new(keys.iter().map(SigningKey::public).collect(), now);
        edge.max_size = EDGE_MAX_SIZE;
        let bad = hostile(&keys, &small);
        assert_eq!(verify(&bad, &edge).unwrap_err().code(), "BAD_SIGNATURE");
        let name = format!(
            "refuse the worst hostile envelope ({} trusted key(s))",
            keys.len()
        );
        c.bench_function(&name, |b| {
            b.iter(|| verify(black_box(&bad), &edge).unwrap_err())
        });
    }
    let mut group = c.benchmark_group("large");
    group.sample_size(20);
    group.bench_function("verify and load 10,000 flags", |b| {
        b.iter_with_large_drop(|| verify(black_box(&big), &opts).unwrap())
    });
    group.finish();
}

criterion_group!(snapshots, benches);
criterion_main!(snapshots);
