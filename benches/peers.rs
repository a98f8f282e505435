//! edgeflag's core beside Unleash's Rust engine, `unleash-yggdrasil` 0.21.5, on the reference
//! workload (`docs/workload.md`, `benches/common/workload.rs`), in one criterion run.
//!
//! Command: `cargo bench --bench peers`
//!
//! Two groups:
//! - "reference workload vs unleash-yggdrasil": every one of the 200 flags for each of the 10,000
//!   contexts (2,000,000 evaluations per iteration), each context built once per iteration as a
//!   request handler would, for both engines.
//! - "load 200 flags": edgeflag's `ReleaseFile::from_json` + `compile` against yggdrasil's
//!   `UpdateMessage` parse + `EngineState::take_state`, each from its own JSON text.
//!
//! Before timing, yggdrasil's results (and ours, by the same check) are checked: rule flags
//! exactly against an independent computation, the 30% rollouts and the 34/33/33 splits within
//! one point in aggregate, static flags exactly.
//!
//! Absolute times on the shared machines vary about 2x from hour to hour; only the ratios
//! between the two engines within one run are claimed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/workload.rs"]
mod workload;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use edgeflag::{ReleaseFile, Timestamp};
use serde_json::{Value, json};
use unleash_yggdrasil::{Context as UnleashContext, EngineState, UpdateMessage};

/// The workload's release translated into Unleash's `ClientFeatures` (the body of
/// `/api/client/features`), read flag by flag from the release document so the per-flag country
/// sets, percentages and weights are the workload's own.
///
/// - `simple-*`: `enabled` true/false with one `default` strategy; the value is whether the
///   feature is enabled.
/// - `rollout-*`: one `flexibleRollout` strategy, rollout 30, sticky on `userId`, `groupId` the
///   flag's name.
/// - `rules-*`: three `default` strategies in order, each with one constraint (`country` `IN` the
///   five codes; `appVersion` `SEMVER_GTE` 2.3.0, which yggdrasil supports; `email`
///   `STR_ENDS_WITH` `@example.com`) and one strategy variant (`a`, `b`, `c`). When none matches
///   the feature is disabled for the context, which the caller reads as the default `off` (a
///   fourth catch-all strategy serving `off` would cost yggdrasil one more hash per miss).
/// - `split-*`: one `default` strategy and feature variants `x`/`y`/`z` weighted 340/330/330
///   (of 1000), sticky on `userId` (a `flexibleRollout` at 100% with strategy variants would
///   cost one more hash).
fn client_features(release: &Value) -> Value {
    let flags = release["flags"].as_object().unwrap();
    let features: Vec<Value> = flags
        .iter()
        .map(|(name, def)| {
            if name.starts_with("simple-") {
                let on = match def["default"].as_str() {
                    Some("on") => true,
                    Some("off") => false,
                    other => panic!("{name}: unexpected default {other:?}"),
                };
                json!({
                    "name": name, "type": "release", "enabled": on, "project": "default",
                    "strategies": [{ "name": "default", "parameters": {}, "constraints": [] }]
                })
            } else if name.starts_with("rollout-") {
                let percent = def["rollout"]["percent"].as_u64().unwrap();
                json!({
                    "name": name, "type": "release", "enabled": true, "project": "default",
                    "strategies": [{
                        "name": "flexibleRollout",
                        "parameters": {
                            "rollout": percent.to_string(),
                            "stickiness": "userId",
                            "groupId": name
                        },
                        "constraints": []
                    }]
                })
            } else if name.starts_with("rules-") {
                let strategies: Vec<Value> = def["rules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|rule| {
                        let cond = &rule["match"][0];
                        let attr = cond["attr"].as_str().unwrap();
                        let values = &cond["values"];
                        let constraint = match cond["op"].as_str().unwrap() {
                            "in" => json!({
                                "contextName": attr, "operator": "IN", "values": values
                            }),
                            "semver_gte" => json!({
                                "contextName": attr, "operator": "SEMVER_GTE", "value": values[0]
                            }),
                            "ends_with" => json!({
                                "contextName": attr, "operator": "STR_ENDS_WITH", "values": values
                            }),
                            op => panic!("{name}: no Unleash operator for {op}"),
                        };
                        json!({
                            "name": "default",
                            "parameters": {},
                            "constraints": [constraint],
                            "variants": [{
                                "name": rule["serve"], "weight": 1000, "stickiness": "default"
                            }]
                        })
                    })
                    .collect();
                json!({
                    "name": name, "type": "release", "enabled": true, "project": "default",
                    "strategies": strategies
                })
            } else if name.starts_with("split-") {
                let weights = def["rollout"]["weights"].as_object().unwrap();
                let variants: Vec<Value> = weights
                    .iter()
                    .map(|(v, w)| {
                        json!({
                            "name": v,
                            "weight": w.as_u64().unwrap() * 10,
                            "weightType": "fix",
                            "stickiness": "userId"
                        })
                    })
                    .collect();
                json!({
                    "name": name, "type": "release", "enabled": true, "project": "default",
                    "strategies": [{ "name": "default", "parameters": {}, "constraints": [] }],
                    "variants": variants
                })
            } else {
                panic!("{name}: not a flag of the reference workload");
            }
        })
        .collect();
    json!({ "version": 2, "features": features })
}

/// Unleash's context for one user, built as a request handler would: `targetingKey` is
/// `userId`, the other attributes are properties.
fn unleash_context(r: &workload::Raw) -> UnleashContext {
    let mut properties = HashMap::with_capacity(4);
    properties.insert("email".to_owned(), r.email.clone());
    properties.insert("country".to_owned(), r.country.to_owned());
    properties.insert("appVersion".to_owned(), r.version.clone());
    properties.insert("plan".to_owned(), r.plan.to_owned());
    UnleashContext {
        user_id: Some(r.key.clone()),
        session_id: None,
        environment: None,
        app_name: None,
        current_time: None,
        remote_address: None,
        properties: Some(properties),
    }
}

fn load_yggdrasil(text: &str) -> EngineState {
    let message: UpdateMessage = serde_json::from_str(text).unwrap();
    let mut engine = EngineState::default();
    if let Some(warnings) = engine.take_state(message) {
        let msgs: Vec<String> = warnings
            .iter()
            .map(|w| format!("{}: {}", w.toggle_name, w.message))
            .collect();
        panic!("yggdrasil compiled the workload with warnings: {msgs:?}");
    }
    engine
}

/// Checks one engine's served values over the whole workload. `serve` returns the value the
/// caller gets for a flag: `on`/`off` for booleans, the variant for string flags.
fn check(
    engine: &str,
    release: &Value,
    raws: &[workload::Raw],
    keys: &[String],
    mut serve: impl FnMut(&workload::Raw, &str) -> String,
) {
    let countries: HashMap<&str, Vec<&str>> = keys
        .iter()
        .filter(|k| k.starts_with("rules-"))
        .map(|k| {
            let values = release["flags"][k.as_str()]["rules"][0]["match"][0]["values"]
                .as_array()
                .unwrap();
            (
                k.as_str(),
                values.iter().map(|v| v.as_str().unwrap()).collect(),
            )
        })
        .collect();
    let min = semver::Version::new(2, 3, 0);
    let (mut rollout_on, mut rollout_n, mut split, mut split_n) = (0usize, 0usize, [0usize; 3], 0);
    for raw in raws {
        for key in keys {
            let got = serve(raw, key);
            if let Some(i) = key.strip_prefix("simple-") {
                let want = if i.parse::<u32>().unwrap() % 2 == 0 {
                    "on"
                } else {
                    "off"
                };
                if got != want {
                    panic!("{engine}: {key} for {} served {got}, want {want}", raw.key);
                }
            } else if key.starts_with("rollout-") {
                rollout_n += 1;
                match got.as_str() {
                    "on" => rollout_on += 1,
                    "off" => {}
                    _ => panic!("{engine}: {key} for {} served {got}", raw.key),
                }
            } else if key.starts_with("split-") {
                split_n += 1;
                match got.as_str() {
                    "x" => split[0] += 1,
                    "y" => split[1] += 1,
                    "z" => split[2] += 1,
                    _ => panic!("{engine}: {key} for {} served {got}", raw.key),
                }
            } else if key.starts_with("rules-") {
                let want = if countries[key.as_str()].contains(&raw.country) {
                    "a"
                } else if semver::Version::parse(&raw.version).unwrap() >= min {
                    "b"
                } else if raw.email.ends_with("@example.com") {
                    "c"
                } else {
                    "off"
                };
                if got != want {
                    panic!(
                        "{engine}: {key} for {} (country {}, appVersion {}, email {}) served {got}, want {want}",
                        raw.key, raw.country, raw.version, raw.email
                    );
                }
            } else {
                panic!("{engine}: unexpected flag {key}");
            }
        }
    }
    let share = rollout_on as f64 / rollout_n as f64;
    if (share - 0.30).abs() >= 0.01 {
        panic!(
            "{engine}: rollouts served on to {:.2}%, want 30% +/- 1",
            share * 100.0
        );
    }
    for ((got, want), name) in split.iter().zip([0.34, 0.33, 0.33]).zip(["x", "y", "z"]) {
        let share = *got as f64 / split_n as f64;
        if (share - want).abs() >= 0.01 {
            panic!(
                "{engine}: splits served {name} to {:.2}%, want {:.0}% +/- 1",
                share * 100.0,
                want * 100.0
            );
        }
    }
    eprintln!(
        "{engine}: checked {} evaluations (rollouts on {:.2}%, splits {:.2}/{:.2}/{:.2}%)",
        raws.len() * keys.len(),
        share * 100.0,
        split[0] as f64 * 100.0 / split_n as f64,
        split[1] as f64 * 100.0 / split_n as f64,
        split[2] as f64 * 100.0 / split_n as f64,
    );
}

fn benches(c: &mut Criterion) {
    let now = Timestamp::parse("2026-12-02T18:00:00Z").unwrap();
    let release = workload::release();
    let release_text = release.to_string();
    let unleash_text = client_features(&release).to_string();

    let snap = workload::snapshot();
    let engine = load_yggdrasil(&unleash_text);
    let raws = workload::contexts();
    let keys: Vec<String> = snap.flag_keys().map(str::to_owned).collect();
    assert_eq!(keys.len(), 200);

    check("edgeflag", &release, &raws, &keys, |raw, key| {
        let ctx = workload::context(raw);
        snap.evaluate(key, &ctx, now).variant.unwrap().to_owned()
    });
    check("unleash-yggdrasil", &release, &raws, &keys, |raw, key| {
        let ctx = unleash_context(raw);
        let v = engine.get_variant(key, &ctx, &None);
        if key.starts_with("simple-") || key.starts_with("rollout-") {
            (if v.feature_enabled { "on" } else { "off" }).to_owned()
        } else if v.feature_enabled && v.enabled {
            v.name
        } else {
            "off".to_owned()
        }
    });

    let mut group = c.benchmark_group("reference workload vs unleash-yggdrasil");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements((raws.len() * keys.len()) as u64));
    group.bench_function("edgeflag", |b| {
        b.iter(|| black_box(workload::run(&snap, &raws, &keys, now)))
    });
    // `EngineState::get_variant` is the one call that yields both whether the feature is enabled
    // for the context (`feature_enabled`) and its variant (`name`, `enabled`, `payload`), from a
    // single pass over the strategies. `resolve` gives the same plus project and impression data,
    // but runs the strategies twice (`enabled`, then `get_variant`); `is_enabled` alone gives no
    // variant. Usage metrics (`count_toggle`/`count_variant`, which SDKs call after it) are left
    // out, as edgeflag's core has none.
    group.bench_function("unleash-yggdrasil", |b| {
        b.iter(|| {
            let mut served = 0usize;
            for raw in &raws {
                let ctx = unleash_context(raw);
                for key in &keys {
                    let v = engine.get_variant(key, &ctx, &None);
                    served +=
                        v.name.len() + usize::from(v.enabled) + usize::from(v.feature_enabled);
                }
            }
            black_box(served)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("load 200 flags");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("edgeflag compile", |b| {
        b.iter(|| {
            let release = ReleaseFile::from_json(black_box(&release_text)).unwrap();
            black_box(release.compile("production").unwrap())
        })
    });
    group.bench_function("yggdrasil take_state", |b| {
        b.iter(|| {
            let message: UpdateMessage = serde_json::from_str(black_box(&unleash_text)).unwrap();
            let mut engine = EngineState::default();
            black_box(engine.take_state(message));
            black_box(engine)
        })
    });
    group.finish();
}

criterion_group!(peers, benches);
criterion_main!(peers);
