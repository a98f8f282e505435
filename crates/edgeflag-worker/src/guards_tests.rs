use std::rc::Rc;

use super::*;
use crate::loader::{Loaded, Loader, Outcome};
use crate::testkit::{at, config, guarded_envelope};
use edgeflag::Reason;

fn load(loader: &mut Loader, version: u64, edit: impl Fn(String) -> String) -> Rc<Loaded> {
    let now = at("2026-12-07T12:00:00Z");
    loader.begin(now);
    match loader.offer(Ok(Some(guarded_envelope(version, edit))), &config(), now) {
        Outcome::Accepted(l) => l,
        other => panic!("not loaded: {other:?}"),
    }
}

fn user(i: usize) -> Context {
    Context::with_key(&format!("user-{i}"))
}

fn batch(events: &[(&str, &str)]) -> Vec<u8> {
    let events: Vec<_> = events
        .iter()
        .map(
            |(metric, key)| serde_json::json!({"metric": metric, "context": {"targetingKey": key}}),
        )
        .collect();
    serde_json::json!({ "events": events })
        .to_string()
        .into_bytes()
}

/// Serves `users` evaluations of new-matcher and tracks `match_error` for
/// those of each arm at the given rates (every `1/rate`-th user of the arm).
fn drive(l: &Loaded, tally: &mut Tally, users: usize, every: (usize, usize)) {
    let now = at("2026-12-07T12:00:00Z");
    let (mut seen_c, mut seen_t) = (0, 0);
    for i in 0..users {
        let ctx = user(i);
        let res = l.snapshot.evaluate("new-matcher", &ctx, now);
        tally.expose(
            &l.watches,
            &crate::exposure::Exposure::of("new-matcher", &res),
        );
        let side = res.guard.map(|g| g.side);
        let fire = match side {
            Some(Side::Control) => {
                seen_c += 1;
                seen_c % every.0 == 0
            }
            Some(Side::Treatment) => {
                seen_t += 1;
                seen_t % every.1 == 0
            }
            None => false,
        };
        if fire {
            let key = format!("user-{i}");
            let got = track(
                &l.snapshot,
                &l.watches,
                &batch(&[("match_error", &key)]),
                now,
                tally,
            );
            assert_eq!(
                got,
                Ok(Tracked {
                    received: 1,
                    counted: 1
                })
            );
        }
    }
}

fn arms(cells: &[(Cell, Arm)], flag: &str) -> (Arm, Arm) {
    let mut out = (Arm::default(), Arm::default());
    for (c, a) in cells.iter().filter(|(c, _)| c.flag == flag) {
        let s = if c.arm == Side::Control {
            &mut out.0
        } else {
            &mut out.1
        };
        s.exposures += a.exposures;
        s.events += a.events;
    }
    out
}

#[test]
fn events_count_in_the_arm_the_user_is_in() {
    let mut loader = Loader::default();
    let l = load(&mut loader, 1, |s| s);
    let mut tally = Tally::default();
    drive(&l, &mut tally, 4000, (100, 33));
    let cells = tally.take();
    let (c, t) = arms(&cells, "new-matcher");
    assert_eq!(c.exposures + t.exposures, 4000);
    assert!((1800..2200).contains(&t.exposures), "{t:?}");
    assert_eq!((c.events, t.events), (c.exposures / 100, t.exposures / 33));
    // Each cell names the rollout's signed plan and its stage.
    let plan = l.watches.watches().next().unwrap().plan.clone();
    assert!(
        cells
            .iter()
            .all(|(x, _)| x.plan == plan && x.stage == Some(0))
    );
    assert!(tally.is_empty());
}

#[test]
fn a_refused_batch_says_why_and_counts_nothing() {
    let mut loader = Loader::default();
    let l = load(&mut loader, 1, |s| s);
    let now = at("2026-12-07T12:00:00Z");
    let many = batch(&vec![("match_error", "u"); MAX_EVENTS + 1]);
    let cases: Vec<(Vec<u8>, u16, &str, &str)> = vec![
        (
            b"[]".to_vec(),
            400,
            "MALFORMED_BATCH",
            "the body must be a json object with an `events` list: it is not a json object",
        ),
        (
            b"{}".to_vec(),
            400,
            "MALFORMED_BATCH",
            "the body must be a json object with an `events` list: missing field `events` at line 1 column 2",
        ),
        (
            b"{\"events\": 3}".to_vec(),
            400,
            "MALFORMED_BATCH",
            "the body must be a json object with an `events` list: invalid type: integer `3`, expected a sequence at line 1 column 12",
        ),
        (
            b"{\"events\": [{\"metric\": \"match_error\"}]}".to_vec(),
            400,
            "MALFORMED_BATCH",
            "the body must be a json object with an `events` list: events[0]: missing field `context`",
        ),
        (
            many,
            413,
            "BATCH_TOO_LARGE",
            "a batch holds at most 1000 events; this one has 1001",
        ),
        (
            batch(&[("match_error", "u1"), ("purchase", "u2")]),
            422,
            "UNKNOWN_METRIC",
            "events[1]: no guard watches the metric `purchase` (watched: lobby_crash, match_error, ui_error)",
        ),
        (
            br#"{"events": [{"metric": "match_error", "flag": "nope", "context": {}}]}"#.to_vec(),
            422,
            "UNKNOWN_FLAG",
            "events[0]: no flag `nope` in the served snapshot",
        ),
    ];
    for (body, status, code, message) in cases {
        let mut tally = Tally::default();
        let err = track(&l.snapshot, &l.watches, &body, now, &mut tally).unwrap_err();
        assert_eq!(
            (err.status(), err.code(), err.to_string().as_str()),
            (status, code, message)
        );
        let body: serde_json::Value = serde_json::from_slice(&err.body()).unwrap();
        assert_eq!(
            (body["errorCode"].as_str(), body["errorDetails"].as_str()),
            (Some(code), Some(message))
        );
        match code {
            "UNKNOWN_METRIC" => assert_eq!(
                (&body["index"], &body["metric"]),
                (&1.into(), &"purchase".into())
            ),
            "UNKNOWN_FLAG" => {
                assert_eq!((&body["index"], &body["flag"]), (&0.into(), &"nope".into()))
            }
            _ => assert_eq!(body.as_object().unwrap().len(), 2),
        }
        assert!(tally.is_empty());
    }
    // Users outside every guarded rollout (a pinned target, a partial
    // rollback, no key at all) and events for another flag count nowhere.
    let mut tally = Tally::default();
    let body = br#"{"events": [
        {"metric": "match_error", "context": {"targetingKey": "pinned-on"}},
        {"metric": "match_error", "context": {"targetingKey": "u1", "platform": "android-old"}},
        {"metric": "match_error", "context": {}},
        {"metric": "match_error", "flag": "lobby", "context": {"targetingKey": "u1"}}
    ]}"#;
    let got = track(&l.snapshot, &l.watches, body, now, &mut tally);
    assert_eq!(
        got,
        Ok(Tracked {
            received: 4,
            counted: 0
        })
    );
    assert!(tally.is_empty());
}

#[test]
fn the_ledger_halts_a_regression_once_and_the_isolate_applies_it() {
    let mut loader = Loader::default();
    let l = load(&mut loader, 1, |s| s);
    let now = at("2026-12-07T12:00:00Z");
    let mut ledger = Ledger::default();
    let mut tally = Tally::default();
    // 1% control, 3% treatment: flushed in slices, as isolates do.
    for _ in 0..3 {
        drive(&l, &mut tally, 2000, (100, 33));
        let f = Flush {
            watches: l.watches.watches().cloned().collect(),
            cells: tally.take(),
        };
        ledger.flush(f, now);
    }
    assert_eq!(
        ledger.halts.len(),
        1,
        "{:?}",
        ledger.view(std::iter::empty())
    );
    let h = ledger.halts[0].clone();
    assert_eq!(
        (h.flag.as_str(), h.rule.as_deref(), h.stage),
        ("new-matcher", None, Some(0))
    );
    assert_eq!(h.metric, "match_error");
    assert!(h.evidence.treatment_rate > h.evidence.control_rate * 1.25);
    // Judged again with more counts: still the one halt, the first one.
    ledger.flush(Flush::default(), at("2026-12-07T13:00:00Z"));
    assert_eq!(ledger.halts, vec![h.clone()]);
    let view = ledger.view(l.watches.watches());
    let g = &view.iter().find(|g| g["flag"] == "new-matcher").unwrap();
    assert_eq!(
        (g["serving"].as_bool(), g["verdict"]["verdict"].as_str()),
        (Some(true), Some("regression"))
    );
    assert_eq!(g["halt"]["at"], "2026-12-07T12:00:00Z");

    // The isolate applies it: the rollout's users get the rollback variant.
    assert!(loader.set_halts(ledger.halts.clone()));
    assert!(
        !loader.set_halts(ledger.halts.clone()),
        "the same halts again change nothing"
    );
    let served = loader.current().unwrap();
    assert_eq!(served.halts, vec![h.clone()]);
    let inside = (0..100)
        .map(user)
        .find(|u| l.snapshot.evaluate("new-matcher", u, now).variant == Some("on"))
        .unwrap();
    let res = served.snapshot.evaluate("new-matcher", &inside, now);
    assert_eq!(
        (res.variant, res.reason, res.rule),
        (Some("off"), Reason::Rollback, Some("guard: match_error"))
    );

    // A new version with the same plan keeps the halt; a new plan clears it.
    let same = load(&mut loader, 2, |s| {
        s.replace("percent = 30", "percent = 31")
    });
    assert_eq!(same.halts, vec![h.clone()]);
    let replanned = load(&mut loader, 3, |s| {
        s.replace(
            "max_relative_increase = 0.25",
            "max_relative_increase = 0.5",
        )
    });
    assert!(replanned.halts.is_empty());
    assert_eq!(
        replanned
            .snapshot
            .evaluate("new-matcher", &inside, now)
            .variant,
        Some("on")
    );
}

#[test]
fn equal_rates_do_not_halt() {
    let mut loader = Loader::default();
    let l = load(&mut loader, 1, |s| s);
    let mut ledger = Ledger::default();
    let mut tally = Tally::default();
    for _ in 0..4 {
        drive(&l, &mut tally, 2000, (100, 100));
        let f = Flush {
            watches: l.watches.watches().cloned().collect(),
            cells: tally.take(),
        };
        ledger.flush(f, at("2026-12-07T12:00:00Z"));
    }
    assert!(ledger.halts.is_empty());
    let view = ledger.view(l.watches.watches());
    let g = view
        .iter()
        .find(|g| g["flag"] == "new-matcher")
        .unwrap()
        .clone();
    assert_eq!(g["verdict"]["verdict"], "continue");
    assert_eq!(g["stages"][0]["stage"], 0);
}
