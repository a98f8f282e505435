//! The one reader against the one writer, both made by `schema!` from the
//! same declarations: every release the tests know round-trips, and of
//! thousands of damaged payloads each is refused with a located error or read
//! into a payload that itself round-trips.

use std::path::Path;

use serde_json::{Value, json};

use crate::format::decode::{Decode, Path as At};
use crate::format::json;
use crate::model::ReleaseFile;
use crate::signed::envelope::Payload;

fn releases() -> Vec<(String, ReleaseFile)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let mut out = vec![(
        "season0".to_owned(),
        ReleaseFile::from_toml(&read("examples/season0.toml")).expect("season0"),
    )];
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/vectors"))
        .expect("vectors")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for path in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read"))
            .expect("vector json");
        let name = path.display().to_string();
        let release = match (
            v.get("release_file").and_then(Value::as_str),
            v.get("release"),
        ) {
            (Some(rel), _) => ReleaseFile::from_toml(&read(rel)).expect("release file"),
            (None, Some(r)) => ReleaseFile::from_json(&r.to_string()).expect("inline release"),
            (None, None) => continue,
        };
        out.push((name, release));
    }
    out
}

fn payloads() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, release) in releases() {
        for env in release.environment_names() {
            let Ok(definitions) = release.for_environment(&env) else {
                continue;
            };
            let p = Payload {
                schema: 1,
                version: 7,
                issued_at: "2026-11-27T10:00:00Z".into(),
                expires_at: Some("2026-12-27T10:00:00Z".into()),
                previous: None,
                forced: false,
                never_expires: false,
                audience: Default::default(),
                candidate: None,
                promotion: None,
                definitions,
            };
            out.push((
                format!("{name} ({env})"),
                serde_json::to_value(&p).expect("encode"),
            ));
        }
    }
    out
}

/// The reader's verdict on one document: the payload, or its error.
fn read(doc: &Value) -> Result<Payload, String> {
    let text = doc.to_string();
    json::parse(text.as_bytes(), 64)
        .map_err(|e| e.to_string())
        .and_then(|j| Payload::decode(j, At::Root).map_err(|e| e.to_string()))
}

/// What the writer makes of a payload, read back.
fn round_trip(p: &Payload) -> Result<Payload, String> {
    read(&serde_json::to_value(p).expect("encode"))
}

#[test]
fn every_known_release_round_trips() {
    let all = payloads();
    assert!(all.len() >= 10, "only {} payloads", all.len());
    for (name, doc) in all {
        let p = read(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(serde_json::to_value(&p).expect("encode"), doc, "{name}");
        assert_eq!(round_trip(&p), Ok(p), "{name}");
    }
}

/// Every object in `doc`, by its path of keys and indexes.
fn objects(doc: &Value, path: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match doc {
        Value::Object(m) => {
            out.push(path.clone());
            for (k, v) in m {
                let mut p = path.clone();
                p.push(json!(k));
                objects(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(json!(i));
                objects(v, p, out);
            }
        }
        _ => {}
    }
}

fn object_at<'a>(doc: &'a mut Value, path: &[Value]) -> &'a mut serde_json::Map<String, Value> {
    let mut here = doc;
    for step in path {
        here = match step {
            Value::String(k) => &mut here[k.as_str()],
            _ => &mut here[step.as_u64().expect("index") as usize],
        };
    }
    here.as_object_mut().expect("an object")
}

#[test]
fn damaged_payloads_are_refused_or_round_trip() {
    let (_, doc) = payloads().into_iter().next().expect("season0");
    let mut paths = Vec::new();
    objects(&doc, Vec::new(), &mut paths);
    let replacements = [
        json!(null),
        json!(true),
        json!(3),
        json!(-1),
        json!(2.5),
        json!("on"),
        json!([]),
        json!(["x"]),
        json!({}),
    ];
    let (mut accepted, mut refused) = (0, 0);
    for path in &paths {
        let keys: Vec<String> = object_at(&mut doc.clone(), path).keys().cloned().collect();
        let mut damaged = Vec::new();
        let mut extra = doc.clone();
        object_at(&mut extra, path).insert("unexpected".into(), json!(1));
        damaged.push(extra);
        for k in &keys {
            let mut gone = doc.clone();
            object_at(&mut gone, path).remove(k);
            damaged.push(gone);
            for r in &replacements {
                let mut changed = doc.clone();
                object_at(&mut changed, path).insert(k.clone(), r.clone());
                damaged.push(changed);
            }
        }
        for d in damaged {
            match read(&d) {
                Ok(p) => {
                    assert_eq!(round_trip(&p), Ok(p), "{path:?}");
                    accepted += 1;
                }
                Err(e) => {
                    assert!(
                        e.contains("expected") || e.contains("field"),
                        "{path:?}: {e}"
                    );
                    refused += 1;
                }
            }
        }
    }
    assert!(
        accepted > 100 && refused > 1000,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn errors_name_the_place_and_the_problem() {
    let (_, mut doc) = payloads().into_iter().next().expect("season0");
    let flag = doc["definitions"]["flags"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("a flag");
    doc["definitions"]["flags"][&flag]["rules"] = json!([{ "serve": "on", "when": 1 }]);
    assert_eq!(
        read(&doc).expect_err("unknown field"),
        format!(
            "definitions.flags.{flag}.rules[0].when: unknown field `when`; expected one of `name`, `segment`, `match`, `serve`, `rollout`"
        )
    );
    doc["definitions"]["flags"][&flag]["rules"] =
        json!([{ "match": [{ "attr": "a", "op": "like" }], "serve": "on" }]);
    assert!(
        read(&doc)
            .expect_err("unknown op")
            .starts_with(&format!("definitions.flags.{flag}.rules[0].match[0].op: unknown variant `like`; expected one of `in`, `not_in`,"))
    );
    doc["definitions"]["flags"][&flag]["rules"] = json!([{ "match": [{ "attr": "a", "op": "eq", "value": 1, "values": [1] }], "serve": "on" }]);
    assert_eq!(
        read(&doc).expect_err("both names"),
        format!("definitions.flags.{flag}.rules[0].match[0]: duplicate field `values`")
    );
    doc["version"] = json!("7");
    assert_eq!(
        read(&doc).expect_err("version"),
        "version: expected a non-negative integer, found a string"
    );
    doc.as_object_mut().map(|m| m.remove("definitions"));
    doc["version"] = json!(7);
    assert_eq!(
        read(&doc).expect_err("missing"),
        "missing field `definitions`"
    );
}

#[test]
fn the_js_form_renames_fields_and_keeps_keys() {
    use crate::format::decode::Camel;
    let release = ReleaseFile::from_json(
        &json!({
            "schema": 1,
            "release": { "name": "t", "incident_channel": "#incidents" },
            "flags": { "snake_key": {
                "type": "boolean",
                "variants": { "on_x": true, "off": false },
                "default": "off",
                "rollback": { "variant": "off", "steps": ["turn it off"] },
                "targets": { "on_x": ["user_1"] },
            } }
        })
        .to_string(),
    )
    .expect("release");
    let js = release.for_environment("production").expect("defs").camel();
    assert_eq!(js["release"]["incidentChannel"], "#incidents");
    assert!(js["release"].get("incident_channel").is_none());
    let flag = &js["flags"]["snake_key"];
    assert_eq!(flag["variants"]["on_x"], true);
    assert_eq!(flag["targets"]["on_x"], json!(["user_1"]));
    assert_eq!(flag["rollback"]["steps"], json!(["turn it off"]));
    assert_eq!(flag["type"], "boolean");
}
