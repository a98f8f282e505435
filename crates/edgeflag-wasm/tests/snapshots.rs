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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{js, json_of, message, options};
use edgeflag::{PAYLOAD_TYPE, Payload, SnapshotError, pae};
use edgeflag_wasm::{EdgeFlags, Kind, UNCACHED, time_micros};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn season0(version: u64, expires_at: Option<&str>) -> Payload {
    common::payload(
        common::season0().for_environment("production").unwrap(),
        version,
        expires_at,
    )
}

fn edit(envelope: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(envelope).unwrap();
    f(&mut v);
    v.to_string()
}

/// Hostile content that is still validly signed by key `n`.
fn resigned(payload: &[u8], n: u8) -> String {
    use ed25519_dalek::Signer;
    let sig = ed25519_dalek::SigningKey::from_bytes(&[n; 32]).sign(&pae(PAYLOAD_TYPE, payload));
    json!({
        "payload": B64.encode(payload),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{ "keyid": common::key(n).public().key_id(), "sig": B64.encode(sig.to_bytes()) }],
    })
    .to_string()
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

#[wasm_bindgen_test]
fn each_hostile_snapshot_throws_its_own_code() {
    let good = common::signed(&season0(5, Some("2026-12-09T00:00:00Z")), 1);
    let raw = B64
        .decode(
            serde_json::from_str::<Value>(&good).unwrap()["payload"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let text = String::from_utf8(raw.clone()).unwrap();
    let kid = common::key(1).public().key_id();
    let stranger = common::key(2).public().key_id();

    let mut flipped = raw.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    let flipped_payload = edit(&good, |v| v["payload"] = json!(B64.encode(&flipped)));
    let flipped_sig = edit(&good, |v| {
        let mut sig = B64
            .decode(v["signatures"][0]["sig"].as_str().unwrap())
            .unwrap();
        sig[10] ^= 0x80;
        v["signatures"][0]["sig"] = json!(B64.encode(sig));
    });
    let huge = {
        let mut p = season0(5, None);
        p.definitions.release.description = Some("x".repeat(200_000));
        common::signed(&p, 1)
    };
    let nested = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let bad_serve = text.replacen("\"serve\":\"on\"", "\"serve\":\"onn\"", 1);

    let cases: Vec<(&str, String, Value, &str, String)> = vec![
        ("flipped payload bit", flipped_payload, json!({}), "BAD_SIGNATURE",
            format!("the signature of key {kid} does not verify")),
        ("flipped signature bit", flipped_sig, json!({}), "BAD_SIGNATURE",
            format!("the signature of key {kid} does not verify")),
        ("unknown key", common::signed(&season0(5, None), 2), json!({}), "UNKNOWN_KEY",
            format!("no signature from a trusted key (signed by: {stranger})")),
        ("no signatures", edit(&good, |v| v["signatures"] = json!([])), json!({}), "UNKNOWN_KEY",
            "no signature from a trusted key (signed by: nobody)".into()),
        ("wrong payload type", edit(&good, |v| v["payloadType"] = json!("application/json")),
            json!({}), "WRONG_PAYLOAD_TYPE",
            "payload type is `application/json`, not `application/vnd.edgeflag.snapshot+json`".into()),
        ("expired, a fresh one served", common::signed(&season0(5, Some("2026-12-02T12:00:00Z")), 1),
            json!({ "now": "2026-12-02T18:00:00Z",
                    "current": { "version": 4, "digest": "sha256:00", "expiresAt": "2026-12-09T00:00:00Z" } }),
            "EXPIRED",
            "snapshot expired at 2026-12-02T12:00:00Z (now 2026-12-02T18:00:00Z), and a fresh snapshot is being served".into()),
        ("older version replayed", common::signed(&season0(3, None), 1), json!({ "minVersion": 4 }),
            "VERSION_TOO_OLD", "snapshot version 3 is below the minimum 4 (the configured minimum)".into()),
        ("below the floor", common::signed(&season0(3, None), 1), json!({ "floor": { "version": 4, "digest": "sha256:00" } }),
            "VERSION_TOO_OLD", "snapshot version 3 is below the minimum 4 (the high-water mark of this environment)".into()),
        ("another environment", common::signed(&season0(3, None), 1), json!({ "environment": "staging" }),
            "WRONG_ENVIRONMENT", "snapshot is for environment `production`, but this consumer serves `staging`".into()),
        ("unknown schema", resigned(text.replacen("\"schema\":1", "\"schema\":2", 1).as_bytes(), 1),
            json!({}), "UNSUPPORTED_SCHEMA",
            "unsupported snapshot schema 2: this version reads schema 1".into()),
        ("deep nesting", resigned(text.replacen('{', &format!("{{\"deep\":{nested},"), 1).as_bytes(), 1),
            json!({}), "TOO_DEEP", "snapshot json nests deeper than 64 levels".into()),
        ("duplicate json keys",
            resigned(text.replacen("\"version\":5", "\"version\":5,\"version\":999", 1).as_bytes(), 1),
            json!({}), "DUPLICATE_KEY", "snapshot json repeats the key `version`".into()),
        ("over the size limit", huge.clone(), json!({ "maxSize": 100_000 }), "TOO_LARGE",
            format!("snapshot is {} bytes, over the 100000-byte limit", huge.len())),
        ("invalid definitions", resigned(bad_serve.as_bytes(), 1), json!({}), "INVALID_DEFINITIONS",
            "snapshot definitions are invalid: flags.ranked-matchmaking.rules[0].serve: unknown variant `onn`; the flag has `on`, `off`".into()),
        ("below threshold", good.clone(), json!({ "trustedKeys": [common::pem(1), common::pem(3)], "threshold": 2 }),
            "BELOW_THRESHOLD", "1 valid signature(s) from trusted keys, 2 required".into()),
        ("unsatisfiable threshold", good.clone(), json!({ "threshold": 2 }), "UNSATISFIABLE_THRESHOLD",
            "threshold 2 cannot be met by 1 trusted key(s)".into()),
        ("no trusted keys", good.clone(), json!({ "trustedKeys": [] }), "UNSATISFIABLE_THRESHOLD",
            "threshold 1 cannot be met by 0 trusted key(s)".into()),
    ];
    let mut failures = Vec::new();
    for (name, envelope, extra, code, want) in cases {
        let (got_code, got) = rejected(envelope.as_bytes(), &options(extra));
        if got_code != code || got != want {
            failures.push(format!(
                "{name}: expected {code}: {want}\n  got {got_code}: {got}"
            ));
        }
    }
    for (name, bytes) in [
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec()),
        ("not json", b"this is not json".to_vec()),
        (
            "payload not base64",
            edit(&good, |v| v["payload"] = json!("%%%not base64%%%")).into_bytes(),
        ),
        (
            "unknown envelope field",
            edit(&good, |v| v["extra"] = json!(1)).into_bytes(),
        ),
    ] {
        let (code, m) = rejected(&bytes, &options(json!({})));
        if code != "MALFORMED" || !m.starts_with("malformed snapshot: ") {
            failures.push(format!("{name}: expected MALFORMED, got {code}: {m}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And the good one still loads.
    assert_eq!(common::load(&good, &options(json!({}))).version(), 5.0);
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
