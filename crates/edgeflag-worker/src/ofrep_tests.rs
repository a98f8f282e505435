use super::*;
use crate::loader::{Loader, Outcome};
use crate::testkit::{at, config, envelope, key};
use edgeflag::Reason;
use serde_json::{Value, json};

fn loaded(expires_at: Option<&str>) -> std::rc::Rc<Loaded> {
    let now = at("2026-11-27T00:00:00Z");
    let mut l = Loader::default();
    l.begin(now);
    match l.offer(Ok(Some(envelope(&key(1), 7, expires_at))), &config(), now) {
        Outcome::Accepted(l) => l,
        other => panic!("{other:?}"),
    }
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn contexts_and_their_errors() {
    let ctx = parse_context(br#"{"context": {"targetingKey": "u1", "beta": true}}"#).unwrap();
    assert_eq!(ctx.names().collect::<Vec<_>>(), ["targetingKey", "beta"]);
    // Numbers and other types of targeting keys go to the core as they are.
    assert!(parse_context(br#" {"context": {"targetingKey": 42}, "extra": 1}"#).is_ok());
    let cases: [(&[u8], &str, &str); 6] = [
        (
            b"",
            "PARSE_ERROR",
            "the request body must be a json object with a `context` object",
        ),
        (
            b"[1]",
            "PARSE_ERROR",
            "the request body must be a json object with a `context` object",
        ),
        (
            b"{\"context\": {",
            "PARSE_ERROR",
            "request body is not json: EOF while parsing an object at line 1 column 13",
        ),
        (
            b"{}",
            "INVALID_CONTEXT",
            "the request has no `context` object",
        ),
        (
            b"{\"context\": null}",
            "INVALID_CONTEXT",
            "the request has no `context` object",
        ),
        (
            b"{\"context\": [1]}",
            "INVALID_CONTEXT",
            "context: invalid type: sequence, expected an object of context attributes at line 1 column 12",
        ),
    ];
    for (body, code, details) in cases {
        let f = parse_context(body).unwrap_err();
        assert_eq!((f.status, f.code, f.details.as_str()), (400, code, details));
    }
}

#[test]
fn single_answers_with_metadata() {
    let l = loaded(None);
    let ctx = Context::with_key("u1").with("beta", true);
    let a = single(&l, "new-checkout", &ctx, at("2026-12-02T00:00:00Z")).unwrap();
    assert_eq!(
        json(&a.body),
        json!({"key": "new-checkout", "value": true, "reason": "TARGETING_MATCH", "variant": "on",
            "metadata": {"snapshotVersion": 7, "environment": "production", "release": "unit",
                "type": "boolean", "owner": "payments-team",
                "runbook": "https://runbooks.example/new-checkout", "hotfix": false,
                "rule": "beta testers", "stale": false}})
    );
    assert_eq!(
        a.exposures,
        [Exposure {
            flag: "new-checkout",
            variant: Some("on"),
            reason: Reason::TargetingMatch,
            rule: Some("beta testers"),
            stage: None,
            guard: None,
        }]
    );
    let f = single(&l, "nope", &ctx, at("2026-12-02T00:00:00Z")).unwrap_err();
    assert_eq!((f.status, f.code), (404, "FLAG_NOT_FOUND"));
    assert_eq!(
        json(&f.body(Some("nope"))),
        json!({"key": "nope", "errorCode": "FLAG_NOT_FOUND", "errorDetails": "flag `nope` is not in snapshot version 7"})
    );
}

#[test]
fn bulk_answers_every_flag_and_the_stale_policy_is_the_cores() {
    let l = loaded(Some("2026-12-10T00:00:00Z"));
    let ctx = Context::with_key("u1");
    let a = bulk(&l, &ctx, at("2026-12-02T00:00:00Z")).unwrap();
    let body = json(&a.body);
    assert_eq!(body["metadata"]["snapshotVersion"], 7);
    assert_eq!(body["metadata"]["digest"], l.digest.as_str());
    let flags = body["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 2);
    assert_eq!(flags[0]["metadata"]["stage"], 0);
    assert_eq!(flags[0]["metadata"]["percent"], 50.0);
    assert_eq!(flags[1]["value"], true);
    assert_eq!(a.exposures.len(), 2);

    let stale = bulk(&l, &ctx, at("2026-12-11T00:00:00Z")).unwrap();
    let flags = json(&stale.body)["flags"].clone();
    assert_eq!(flags[0]["reason"], "STALE");
    assert_eq!(flags[0]["metadata"]["stale"], true);
    assert_eq!(
        (flags[1]["value"].clone(), flags[1]["variant"].clone()),
        (json!(false), json!("off"))
    );
    assert_eq!(flags[1]["reason"], "STALE");
}
