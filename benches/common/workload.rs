//! The reference workload of `docs/workload.md`, built from a fixed seed.
// Each bench includes this module and uses a different part of it.
#![allow(dead_code)]

use edgeflag::{Context, ReleaseFile, Snapshot, Timestamp};
use serde_json::{Value, json};

pub const COUNTRIES: [&str; 20] = [
    "US", "DE", "JP", "FR", "GB", "BR", "IN", "CA", "AU", "ES", "IT", "MX", "KR", "NL", "SE", "PL",
    "TR", "AR", "ZA", "NG",
];
const NEAR_MISSES: [&str; 4] = ["mail.test", "notexample.com", "example.com.au", "corp.test"];
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

/// SplitMix64: a fixed, portable sequence, so every runtime builds the same workload.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The 200 flags, as a release document.
pub fn release() -> Value {
    let mut rng = Rng::new(42);
    let mut flags = serde_json::Map::new();
    for i in 0..50 {
        let default = if i % 2 == 0 { "on" } else { "off" };
        flags.insert(
            format!("simple-{i}"),
            json!({ "type": "boolean", "default": default }),
        );
    }
    for i in 0..50 {
        flags.insert(
            format!("rollout-{i}"),
            json!({ "type": "boolean", "rollout": { "variant": "on", "percent": 30 } }),
        );
    }
    for i in 0..50 {
        let mut countries: Vec<&str> = COUNTRIES.to_vec();
        let mut pick = Vec::new();
        for _ in 0..5 {
            pick.push(countries.remove(rng.below(countries.len())));
        }
        flags.insert(
            format!("rules-{i}"),
            json!({
                "type": "string",
                "variants": { "a": "a", "b": "b", "c": "c", "off": "off" },
                "default": "off",
                "rules": [
                    { "match": [{ "attr": "country", "op": "in", "values": pick }], "serve": "a" },
                    { "match": [{ "attr": "appVersion", "op": "semver_gte", "values": ["2.3.0"] }], "serve": "b" },
                    { "match": [{ "attr": "email", "op": "ends_with", "values": ["@example.com"] }], "serve": "c" }
                ]
            }),
        );
    }
    for i in 0..50 {
        flags.insert(
            format!("split-{i}"),
            json!({
                "type": "string",
                "variants": { "x": "x", "y": "y", "z": "z" },
                "default": "x",
                "rollout": { "weights": { "x": 34, "y": 33, "z": 33 }, "percent": 100 }
            }),
        );
    }
    json!({ "schema": 1, "release": { "name": "workload" }, "flags": flags })
}

pub fn snapshot() -> Snapshot {
    let release: ReleaseFile = match edgeflag::ReleaseFile::from_json(&release().to_string()) {
        Ok(r) => r,
        Err(e) => unreachable!("workload release: {e}"),
    };
    match release.compile("production") {
        Ok(s) => s,
        Err(e) => unreachable!("workload release: {e}"),
    }
}

/// The raw attributes of the 10,000 contexts.
pub struct Raw {
    pub key: String,
    pub email: String,
    pub country: &'static str,
    pub version: String,
    pub plan: &'static str,
}

pub fn contexts() -> Vec<Raw> {
    let mut rng = Rng::new(7);
    (0..10_000)
        .map(|i| Raw {
            key: format!("user-{i}"),
            email: if i % 5 == 0 {
                format!("user{i}@example.com")
            } else {
                format!("user{i}@{}", NEAR_MISSES[rng.below(4)])
            },
            country: COUNTRIES[rng.below(20)],
            version: format!("{}.{}.{}", 1 + rng.below(3), rng.below(10), rng.below(10)),
            plan: PLANS[rng.below(3)],
        })
        .collect()
}

/// The engine's context object, built as a request handler would.
pub fn context(r: &Raw) -> Context {
    Context::new()
        .with("targetingKey", r.key.as_str())
        .with("email", r.email.as_str())
        .with("country", r.country)
        .with("appVersion", r.version.as_str())
        .with("plan", r.plan)
}

/// One run of the workload: each context built once, then every flag by key
/// with the full resolution. Returns a sum of what was served, for `black_box`.
pub fn run(snap: &Snapshot, raws: &[Raw], keys: &[String], now: Timestamp) -> usize {
    let mut served = 0usize;
    for raw in raws {
        let ctx = context(raw);
        for key in keys {
            let r = snap.evaluate(key, &ctx, now);
            served += r.variant.map_or(0, str::len) + r.reason as usize;
        }
    }
    served
}
