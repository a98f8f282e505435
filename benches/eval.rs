//! Evaluation speed. Figures and the command in BENCHMARKS.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use edgeflag::{Context, Reason, ReleaseFile, Snapshot, Timestamp};
use serde_json::json;

fn season0() -> ReleaseFile {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/season0.toml"
    ))
    .unwrap();
    ReleaseFile::from_toml(&src).unwrap()
}

/// A flag with 3 rules (none matching) and a staged rollout: the full path.
fn three_rules_and_rollout() -> Snapshot {
    let release: ReleaseFile = edgeflag::ReleaseFile::from_json(&json!({
        "schema": 1, "release": { "name": "bench" },
        "flags": { "f": {
            "type": "boolean",
            "rules": [
                { "match": [{ "attr": "country", "op": "in", "values": ["US", "DE", "JP"] }], "serve": "on" },
                { "match": [{ "attr": "appVersion", "op": "semver_lt", "values": ["1.0.0"] }], "serve": "off" },
                { "match": [{ "attr": "email", "op": "ends_with", "values": ["@example.com"] }], "serve": "on" }
            ],
            "rollout": { "stages": [
                { "at": "2026-12-01T00:00:00Z", "percent": 5 },
                { "at": "2026-12-02T00:00:00Z", "percent": 50 }
            ] }
        } }
    }).to_string())
    .unwrap();
    release.compile("production").unwrap()
}

/// A flag with 3 rule rollouts and a staged rollout: a context that every
/// rule matches, outside each rule's 5%, pays three rules' buckets before
/// the flag's rollout decides (the longest path a rule rollout adds).
fn three_rule_rollouts_and_rollout() -> Snapshot {
    let stages = json!([
        { "at": "2026-12-01T00:00:00Z", "percent": 1 },
        { "at": "2026-12-02T00:00:00Z", "percent": 5 }
    ]);
    let release: ReleaseFile = edgeflag::ReleaseFile::from_json(&json!({
        "schema": 1, "release": { "name": "bench" },
        "flags": { "f": {
            "type": "boolean",
            "rules": [
                { "name": "countries", "match": [{ "attr": "country", "op": "in", "values": ["US", "DE", "JP"] }],
                  "rollout": { "stages": stages } },
                { "name": "old apps", "match": [{ "attr": "appVersion", "op": "semver_lt", "values": ["3.0.0"] }],
                  "rollout": { "stages": stages } },
                { "name": "staff", "match": [{ "attr": "email", "op": "ends_with", "values": ["@example.com"] }],
                  "rollout": { "stages": stages } }
            ],
            "rollout": { "stages": [
                { "at": "2026-12-01T00:00:00Z", "percent": 5 },
                { "at": "2026-12-02T00:00:00Z", "percent": 50 }
            ] }
        } }
    }).to_string())
    .unwrap();
    release.compile("production").unwrap()
}

fn thousand_flags() -> ReleaseFile {
    let mut flags = serde_json::Map::new();
    for i in 0..1000 {
        flags.insert(
            format!("flag-{i}"),
            json!({
                "type": "string",
                "variants": { "a": "a", "b": "b", "off": "off" },
                "default": "off",
                "rules": [{ "match": [{ "attr": "country", "op": "in", "values": ["US", "DE"] }], "serve": "a" }],
                "rollout": { "weights": { "a": 50, "b": 50 }, "stages": [
                    { "at": "2026-12-01T00:00:00Z", "percent": 10 },
                    { "at": "2026-12-02T00:00:00Z", "percent": 100 }
                ] }
            }),
        );
    }
    edgeflag::ReleaseFile::from_json(
        &json!({ "schema": 1, "release": { "name": "big" }, "flags": flags }).to_string(),
    )
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let now = Timestamp::parse("2026-12-02T18:00:00Z").unwrap();

    let snap = three_rules_and_rollout();
    let ctx = Context::with_key("user-42")
        .with("country", "FR")
        .with("appVersion", "2.1.0")
        .with("email", "someone@mail.test");
    assert_eq!(snap.evaluate("f", &ctx, now).reason, Reason::Split);
    c.bench_function("one flag, 3 rules + rollout", |b| {
        b.iter(|| black_box(snap.evaluate(black_box("f"), black_box(&ctx), now)))
    });

    let snap = three_rule_rollouts_and_rollout();
    // The first user every rule matches and none has reached yet.
    let ctx = (0..)
        .map(|i| {
            Context::with_key(&format!("user-{i}"))
                .with("country", "DE")
                .with("appVersion", "2.1.0")
                .with("email", "someone@example.com")
        })
        .find(|ctx| snap.evaluate("f", ctx, now).rule.is_none())
        .unwrap();
    let r = snap.evaluate("f", &ctx, now);
    assert_eq!(
        (r.reason, r.rule, r.percent),
        (Reason::Split, None, Some(50.0))
    );
    c.bench_function(
        "one flag, 3 rule rollouts (all matching, outside each) + rollout",
        |b| b.iter(|| black_box(snap.evaluate(black_box("f"), black_box(&ctx), now))),
    );

    let season = season0().compile("production").unwrap();
    let ctx = Context::with_key("user-42")
        .with("country", "DE")
        .with("platform", "android")
        .with("appVersion", "4.2.1")
        .with("accountId", "acct-9");
    c.bench_function("season0, every flag for one context", |b| {
        b.iter(|| {
            let mut n = 0;
            for (_, r) in season.evaluate_all(black_box(&ctx), now) {
                n += usize::from(r.variant.is_some());
            }
            black_box(n)
        })
    });

    let big = thousand_flags();
    c.bench_function("compile 1,000 flags", |b| {
        b.iter(|| black_box(big.compile("production").unwrap()))
    });

    let work = workload::snapshot();
    let raws = workload::contexts();
    let keys: Vec<String> = work.flag_keys().map(str::to_owned).collect();
    check_workload(&work, &raws, &keys, now);
    let mut group = c.benchmark_group("reference workload");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements((raws.len() * keys.len()) as u64));
    group.bench_function("200 flags x 10,000 contexts, contexts built", |b| {
        b.iter(|| black_box(workload::run(&work, &raws, &keys, now)))
    });
    group.finish();
}

/// The workload's own correctness check: rule flags exact, splits within a point.
fn check_workload(snap: &Snapshot, raws: &[workload::Raw], keys: &[String], now: Timestamp) {
    let mut rollout_on = 0usize;
    let mut split = [0usize; 3];
    for raw in raws {
        let ctx = workload::context(raw);
        for key in keys {
            let r = snap.evaluate(key, &ctx, now);
            let v = r.variant.unwrap();
            if key.starts_with("rollout-") {
                rollout_on += usize::from(v == "on");
            } else if key.starts_with("split-") {
                split[(v.as_bytes()[0] - b'x') as usize] += 1;
            } else if key.starts_with("rules-") {
                let rule = &snap.flag(key).unwrap().rules[0].conditions[0].values;
                let want = if rule.iter().any(|c| c == raw.country) {
                    "a"
                } else if semver::Version::parse(&raw.version).unwrap()
                    >= semver::Version::new(2, 3, 0)
                {
                    "b"
                } else if raw.email.ends_with("@example.com") {
                    "c"
                } else {
                    "off"
                };
                assert_eq!(v, want, "{key} for {}", raw.key);
            }
        }
    }
    let n = (raws.len() * 50) as f64;
    assert!((rollout_on as f64 / n - 0.30).abs() < 0.01);
    for (got, want) in split.iter().zip([0.34, 0.33, 0.33]) {
        assert!((*got as f64 / n - want).abs() < 0.01);
    }
}

criterion_group!(evaluation, benches);
criterion_main!(evaluation);
