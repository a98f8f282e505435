//! Loading through the JS-facing exports: each hostile snapshot of the core's
//! matrix (tests/snapshots.rs) throws its own code, bad options and contexts
//! throw theirs, and the console's calls answer in camelCase.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../../../tests/common/hostile.rs"]
mod hostile;

use common::{js, json_of, message, options};
use edgeflag::{Payload, SnapshotError};
use edgeflag_wasm::{EdgeFlags, Kind, UNCACHED, time_micros};
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn season0(version: u64, expires_at: Option<&str>) -> Payload {
    common::payload(
        common::season0().for_environment("production").unwrap(),
        version,
        expires_at,
    )
}

/// The error of loading `bytes` (given as a Uint8Array), split at the code.
fn rejected(bytes: &[u8], options: &JsValue) -> (String, String) {
    let input: JsValue = js_sys::Uint8Array::from(bytes).into();
    let Err(e) = EdgeFlags::from_snapshot(&input, options) else {
        panic!("accepted");
    };
    let m = message(e);
    let (code, rest) = m
        .split_once(": ")
        .unwrap_or_else(|| panic!("no code in {m:?}"));
    (code.to_owned(), rest.to_owned())
}

/// The options that judge a case as the native test's policy and holding do.
fn judged_by(j: &hostile::Judge, base: &hostile::Base) -> JsValue {
    let keys: Vec<String> = j.trusted.iter().map(|n| common::pem(*n)).collect();
    let mut o = json!({ "trustedKeys": keys, "now": j.now });
    if let Some(t) = j.threshold {
        o["threshold"] = json!(t);
    }
    if let Some(v) = j.min_version {
        o["minVersion"] = json!(v);
    }
    if let Some(m) = j.max_size {
        o["maxSize"] = json!(m);
    }
    if let Some(env) = &j.environment {
        o["environment"] = json!(env);
    }
    if let Some(a) = &j.audience {
        o["audience"] = json!(a);
    }
    let mark = json!({ "version": base.version, "digest": base.digest });
    match j.held {
        hostile::Held::Nothing => {}
        hostile::Held::Base => {
            o["current"] = json!({ "version": base.version, "digest": base.digest, "expiresAt": base.expires_at });
            o["floor"] = mark;
        }
        hostile::Held::Mark => o["floor"] = mark,
    }
    common::js(&o)
}

/// Each hostile snapshot of `tests/hostile/envelopes.json` (the list the
/// native tests replay), loaded through `fromSnapshot`: its own code and
/// message.
#[wasm_bindgen_test]
fn each_hostile_snapshot_throws_its_own_code() {
    let season0 = common::season0();
    let production = season0.for_environment("production").unwrap();
    let staging = season0.for_environment("staging").unwrap();
    let (base, cases) = hostile::cases(&production, &staging);
    assert!(cases.len() >= 29, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let input: JsValue = js_sys::Uint8Array::from(case.envelope.as_slice()).into();
        match EdgeFlags::from_snapshot(&input, &judged_by(&case.judge, &base)) {
            Ok(_) => failures.push(format!("{}: accepted", case.name)),
            Err(e) => {
                let m = message(e);
                let (code, rest) = m.split_once(": ").unwrap_or((&m, ""));
                failures.extend(case.mismatch(code, rest));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And the base still loads.
    let base_text = String::from_utf8(base.envelope.clone()).unwrap();
    assert_eq!(common::load(&base_text, &options(json!({}))).version(), 5.0);
}

#[wasm_bindgen_test]
fn the_codes_are_the_cores() {
    // The JS side promises the core's codes; keep one in sight of the other.
    let e = SnapshotError::BadSignature { keyid: "k".into() };
    let (code, rest) = rejected(b"{", &options(json!({})));
    assert_eq!((code.as_str(), e.code()), ("MALFORMED", "BAD_SIGNATURE"));
    assert!(
        rest.starts_with("malformed snapshot: not a dsse envelope"),
        "{rest}"
    );
}

#[wasm_bindgen_test]
fn bad_options_and_inputs_throw_their_codes() {
    let good = common::signed(&season0(1, None), 1);
    let cases = [
        (json!({ "trustedKeys": ["not a key"] }), "INVALID_KEY"),
        (json!({ "trustedKeys": [1] }), "INVALID_ARGUMENT"),
        (json!({ "trustedKeys": common::pem(1) }), "INVALID_ARGUMENT"),
        (json!({ "minversion": 3 }), "INVALID_ARGUMENT"),
        (json!({ "threshold": -1 }), "INVALID_ARGUMENT"),
        (json!({ "threshold": 1.5 }), "INVALID_ARGUMENT"),
        (json!({ "now": "yesterday" }), "INVALID_ARGUMENT"),
        (json!({ "allowExpired": true }), "INVALID_ARGUMENT"),
        (json!({ "environment": 5 }), "INVALID_ARGUMENT"),
        (json!({ "current": { "version": 1 } }), "INVALID_ARGUMENT"),
        (json!({ "floor": "5" }), "INVALID_ARGUMENT"),
    ];
    for (extra, code) in cases {
        let (got, m) = rejected(good.as_bytes(), &options(extra.clone()));
        assert_eq!(got, code, "{extra}: {m}");
    }
    let Err(e) = EdgeFlags::from_snapshot(&JsValue::from(5), &options(json!({}))) else {
        panic!("a number loaded");
    };
    assert!(message(e).starts_with("MALFORMED: "));
    let Err(e) = EdgeFlags::from_snapshot(&JsValue::from_str(&good), &JsValue::UNDEFINED) else {
        panic!("loaded without options");
    };
    assert!(message(e).starts_with("INVALID_ARGUMENT: "));
    // Strings, Uint8Arrays and ArrayBuffers are all envelopes.
    let bytes = js_sys::Uint8Array::from(good.as_bytes());
    let buffer: JsValue = bytes.buffer().into();
    assert!(EdgeFlags::from_snapshot(&buffer, &options(json!({}))).is_ok());
    // A PEM entry may hold several keys, as a key file may.
    let two = format!("{}{}", common::pem(3), common::pem(1));
    assert!(
        EdgeFlags::from_snapshot(&bytes.into(), &options(json!({ "trustedKeys": [two] }))).is_ok()
    );
}

#[wasm_bindgen_test]
fn expired_snapshots_load_only_when_nothing_fresh_is_served_and_serve_stale() {
    let envelope = common::signed(&season0(2, Some("2026-12-02T12:00:00Z")), 1);
    let at = json!({ "now": "2026-12-03T00:00:00Z" });
    let mut fresh = at.clone();
    fresh["current"] =
        json!({ "version": 1, "digest": "sha256:00", "expiresAt": "2026-12-09T00:00:00Z" });
    assert_eq!(rejected(envelope.as_bytes(), &options(fresh)).0, "EXPIRED");
    // Holding nothing, it is the best there is.
    let mut flags = common::load(&envelope, &options(at));
    let now = time_micros(&JsValue::from_str("2026-12-03T00:00:00Z"));
    assert!(flags.is_expired(now));
    let ctx = flags
        .context(&js(&json!({ "targetingKey": "user-1" })))
        .unwrap();
    let id = flags.resolve(&ctx, 0, Kind::Any, now);
    assert_eq!(json_of(&flags.outcome(0, id).unwrap())["reason"], "STALE");
}

#[wasm_bindgen_test]
fn snapshot_facts_and_metadata() {
    let envelope = common::signed(&season0(7, Some("2026-12-09T00:00:00Z")), 1);
    let mut flags = common::load(
        &envelope,
        &options(json!({ "now": "2026-12-02T00:00:00Z" })),
    );
    assert_eq!(flags.version(), 7.0);
    assert_eq!(flags.environment(), "production");
    assert_eq!(flags.issued_at(), common::ISSUED_AT);
    assert_eq!(flags.expires_at().as_deref(), Some("2026-12-09T00:00:00Z"));
    assert!(flags.digest().starts_with("sha256:"));
    assert_eq!(flags.signed_by(), vec![common::key(1).public().key_id()]);
    assert_eq!(flags.flag_keys()[0], "ranked-matchmaking");
    let ctx = flags
        .context(&js(&json!({ "targetingKey": "u1" })))
        .unwrap();
    let now = time_micros(&JsValue::from_str("2026-12-02T00:00:00Z"));
    let id = flags.resolve(&ctx, 0, Kind::Any, now);
    let meta = json_of(&flags.outcome(0, id).unwrap())["flagMetadata"].clone();
    assert_eq!(meta["owner"], "matchmaking-team@example.com");
    assert_eq!(meta["snapshotVersion"], 7);
    assert_eq!(meta["environment"], "production");
    assert_eq!(meta["hotfix"], false);
    // OpenFeature's metadata is flat: the rollback steps are lines of text.
    assert_eq!(meta["rollbackSteps"].as_str().unwrap().lines().count(), 3);
    let missing = json_of(&flags.missing("nope"));
    assert_eq!(missing["errorCode"], "FLAG_NOT_FOUND");
    assert_eq!(missing["useDefault"], true);
    assert_eq!(
        missing["flagMetadata"],
        json!({ "snapshotVersion": 7, "environment": "production",
                "release": missing["flagMetadata"]["release"], "stale": false })
    );
}

#[wasm_bindgen_test]
fn contexts_that_do_not_convert() {
    let envelope = common::signed(&season0(1, None), 1);
    let mut flags = common::load(&envelope, &options(json!({})));
    let now = time_micros(&JsValue::UNDEFINED);
    for bad in [
        JsValue::from(5),
        JsValue::from_str("user-1"),
        js(&json!([1])),
    ] {
        let Err(e) = flags.context(&bad) else {
            panic!("{bad:?} made a context")
        };
        assert!(message(e).starts_with("INVALID_CONTEXT: the context must be an object"));
        assert_eq!(flags.resolve_with(&bad, 0, Kind::Any, now), UNCACHED);
        let o = json_of(&flags.last_outcome().unwrap());
        assert_eq!(
            (o["reason"].as_str(), o["errorCode"].as_str()),
            (Some("ERROR"), Some("INVALID_CONTEXT"))
        );
        assert_eq!(o["useDefault"], true);
    }
    // A cycle cannot be JSON.
    let cyclic = js(&json!({}));
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    assert!(
        message(flags.context(&cyclic).err().unwrap())
            .starts_with("INVALID_CONTEXT: the context cannot be read as json")
    );
    // No context at all is the empty context.
    assert!(flags.context(&JsValue::UNDEFINED).is_ok() && flags.context(&JsValue::NULL).is_ok());
    // An unusable time is an error result, not a throw, numbered like any
    // other (its message does not depend on the input), with the flag's metadata.
    let ctx = flags.context(&JsValue::NULL).unwrap();
    let id = flags.resolve(&ctx, 0, Kind::Any, f64::NAN);
    assert_ne!(id, UNCACHED);
    let bad_time = json_of(&flags.outcome(0, id).unwrap());
    assert_eq!(bad_time["errorCode"], "GENERAL");
    assert_eq!(bad_time["useDefault"], true);
    assert!(bad_time["flagMetadata"]["owner"].is_string());
}

#[wasm_bindgen_test]
fn dates_are_times() {
    // A Date attribute reads as its RFC 3339 string, which the time operators compare.
    let date = js_sys::Date::new(&JsValue::from_str("2026-12-01T10:00:00Z"));
    assert_eq!(time_micros(&date.clone().into()), 1_796_119_200_000_000.0);
    assert_eq!(
        time_micros(&JsValue::from(1_796_119_200_000.0)),
        1_796_119_200_000_000.0
    );
    assert!(time_micros(&JsValue::from_str("soon")).is_nan());
    assert!(time_micros(&JsValue::TRUE).is_nan());
    let release: edgeflag::ReleaseFile = edgeflag::ReleaseFile::from_json(&json!({
        "schema": 1, "release": { "name": "t" },
        "flags": { "f": { "type": "boolean", "rules": [
            { "match": [{ "attr": "signedUp", "op": "before", "values": ["2026-12-02T00:00:00Z"] }], "serve": "on" }
        ] } }
    }).to_string())
    .unwrap();
    let envelope = common::signed(
        &common::payload(release.for_environment("production").unwrap(), 1, None),
        1,
    );
    let mut flags = common::load(&envelope, &options(json!({})));
    let attrs = js(&json!({}));
    js_sys::Reflect::set(&attrs, &"signedUp".into(), &date).unwrap();
    let id = flags.resolve_with(&attrs, 0, Kind::Any, time_micros(&JsValue::UNDEFINED));
    let o = json_of(&flags.outcome(0, id).unwrap());
    assert_eq!(
        (o["variant"].as_str(), o["reason"].as_str()),
        (Some("on"), Some("TARGETING_MATCH"))
    );
}

#[cfg(feature = "console")]
#[wasm_bindgen_test]
fn console_calls_answer_in_camel_case() {
    let envelope = common::signed(&season0(1, None), 1);
    let flags = common::load(&envelope, &options(json!({})));
    let now = time_micros(&JsValue::from_str("2026-12-02T18:00:00Z"));
    let status = json_of(&flags.status(now).unwrap());
    assert_eq!(status[0]["key"], "ranked-matchmaking");
    assert_eq!(status[0]["rollout"]["stage"], 1);
    assert_eq!(status[0]["rollout"]["next"]["percent"], 25.0);
    assert_eq!(status[0]["rollbacks"][0]["active"], true);
    let template = flags.context(&js(&json!({ "platform": "ios" }))).unwrap();
    let sim = flags
        .simulate(vec!["store-layout".into()], 1000.0, now, &template)
        .unwrap();
    let sim = json_of(&sim);
    assert_eq!(sim[0]["users"], 1000);
    let total: u64 = sim[0]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["users"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1000);
    assert!(flags.simulate(vec![], -1.0, now, &template).is_err());
    let defs = json_of(&flags.definitions().unwrap());
    assert_eq!(
        defs["flags"]["ranked-matchmaking"]["rollback"]["steps"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(defs["environment"], "production");
    // JS names: camelCase fields, keys as written.
    assert!(defs["release"].get("incident_channel").is_none());
    assert!(defs["release"]["incidentChannel"].is_string());
    // changedFlags: the flags whose definitions differ from a previous snapshot.
    let mut p = season0(2, None);
    p.definitions
        .flags
        .get_mut("store-layout")
        .unwrap()
        .description = Some("changed".into());
    let next = common::load(&common::signed(&p, 1), &options(json!({})));
    assert_eq!(next.changed_flags(&flags), vec!["store-layout".to_owned()]);
}
