//! The season0 release, as its release manager will check it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::at;
use edgeflag::{Context, Reason, Snapshot};
use serde_json::json;

fn prod() -> Snapshot {
    common::season0().compile("production").unwrap()
}

fn user(i: u32) -> Context {
    Context::with_key(&format!("user-{i}"))
}

fn on_share(snap: &Snapshot, flag: &str, when: &str, n: u32) -> f64 {
    let now = at(when);
    let on = (0..n)
        .filter(|i| snap.bool_value(flag, &user(*i), now, false).value)
        .count();
    on as f64 / f64::from(n)
}

#[test]
fn before_launch_only_targets_and_testers_have_ranked() {
    let snap = prod();
    let now = at("2026-12-01T15:59:59Z");
    let r = snap.evaluate("ranked-matchmaking", &user(7), now);
    assert_eq!((r.variant, r.reason), (Some("off"), Reason::Default));
    assert_eq!((r.stage, r.percent), (None, Some(0.0)));
    let qa = snap.evaluate("ranked-matchmaking", &Context::with_key("qa-bot-1"), now);
    assert_eq!(
        (qa.variant, qa.reason, qa.rule),
        (Some("on"), Reason::TargetingMatch, None)
    );
    let tester = Context::with_key("u-1").with("email", "dana@example.com");
    let t = snap.evaluate("ranked-matchmaking", &tester, now);
    assert_eq!(t.variant, Some("on"));
    assert_eq!(t.rule, Some("internal testers first"));
    assert_eq!(t.reason, Reason::TargetingMatch);
}

#[test]
fn second_stage_is_five_percent_and_keeps_everyone_from_the_first() {
    let snap = prod();
    let share = on_share(&snap, "ranked-matchmaking", "2026-12-02T18:00:00Z", 100_000);
    assert!((share - 0.05).abs() <= 0.003, "share {share}");
    let (day1, day2) = (at("2026-12-01T18:00:00Z"), at("2026-12-02T18:00:00Z"));
    for i in 0..100_000 {
        let ctx = user(i);
        if snap
            .bool_value("ranked-matchmaking", &ctx, day1, false)
            .value
        {
            assert!(
                snap.bool_value("ranked-matchmaking", &ctx, day2, false)
                    .value,
                "user-{i} dropped"
            );
        }
    }
}

#[test]
fn legacy_android_is_rolled_back_whatever_the_bucket() {
    let snap = prod();
    let now = at("2026-12-05T18:00:00Z"); // 100%: everyone else is on
    for i in 0..2_000 {
        let old = user(i)
            .with("platform", "android")
            .with("appVersion", "4.1.9");
        let r = snap.evaluate("ranked-matchmaking", &old, now);
        assert_eq!((r.variant, r.reason), (Some("off"), Reason::Rollback));
        assert_eq!(r.rule, Some("INC-2041 crash on legacy Android"));
        let new = user(i)
            .with("platform", "android")
            .with("appVersion", "4.2.0");
        let r = snap.evaluate("ranked-matchmaking", &new, now);
        assert_eq!((r.variant, r.reason), (Some("on"), Reason::Split));
    }
    // Before `since`, the rollback does not apply yet.
    let early = user(1)
        .with("platform", "android")
        .with("appVersion", "4.1.9");
    let r = snap.evaluate("ranked-matchmaking", &early, at("2026-12-02T09:29:59Z"));
    assert_ne!(r.reason, Reason::Rollback);
}

#[test]
fn rewards_never_on_where_ranked_is_off() {
    let snap = prod();
    for when in [
        "2026-12-02T18:00:00Z",
        "2026-12-03T18:00:00Z",
        "2026-12-04T18:00:00Z",
        "2026-12-06T00:00:00Z",
    ] {
        let now = at(when);
        let mut rewarded = 0;
        for i in 0..20_000 {
            let ctx = user(i);
            let rewards = snap.evaluate("ranked-rewards", &ctx, now);
            let ranked = snap
                .bool_value("ranked-matchmaking", &ctx, now, false)
                .value;
            if rewards.variant == Some("on") {
                rewarded += 1;
                assert!(ranked, "user-{i} has rewards without ranked at {when}");
            }
            if !ranked {
                assert_eq!(rewards.reason, Reason::PrerequisiteFailed);
            }
        }
        assert!(rewarded > 0, "nobody rewarded at {when}");
    }
}

#[test]
fn store_layout_splits_fifty_twenty_five_twenty_five_by_account() {
    let snap = prod();
    let now = at("2026-12-03T17:00:00Z");
    let n = 100_000;
    let mut counts = std::collections::HashMap::new();
    for i in 0..n {
        // Same device key for everyone: only the account may decide.
        let ctx = Context::with_key("shared-device").with("accountId", format!("acct-{i}"));
        let r = snap.evaluate("store-layout", &ctx, now);
        assert_eq!(r.reason, Reason::Split);
        *counts.entry(r.variant.unwrap()).or_insert(0u32) += 1;
    }
    for (variant, want) in [("classic", 0.50), ("grid", 0.25), ("carousel", 0.25)] {
        let got = f64::from(counts[variant]) / f64::from(n);
        assert!((got - want).abs() <= 0.01, "{variant}: {got}");
    }
}

/// The country rule is rolled out in stages of its own: at 5% only about 5%
/// of German players get the short queue, the rest fall through to the
/// default, and once it reaches 100% every German player does.
#[test]
fn match_timeout_rolls_out_to_germany_in_stages() {
    let snap = prod();
    let short = |day: &str| {
        (0..10_000)
            .filter(|i| {
                let ctx = user(*i).with("country", "DE");
                let r = snap.number_value("match-timeout-seconds", &ctx, at(day), -1.0);
                match r.value {
                    45.0 => {
                        assert_eq!(r.detail.reason, Reason::Split);
                        assert_eq!(
                            r.detail.rule,
                            Some("short queue in high-population regions")
                        );
                        true
                    }
                    90.0 => {
                        assert_eq!((r.detail.reason, r.detail.rule), (Reason::Default, None));
                        false
                    }
                    other => panic!("{other}"),
                }
            })
            .count()
    };
    assert_eq!(short("2026-12-02T00:00:00Z"), 0);
    let first = short("2026-12-03T00:00:00Z");
    assert!((400..=600).contains(&first), "{first} of 10,000 at 5%");
    let second = short("2026-12-04T00:00:00Z");
    assert!(
        (4_700..=5_300).contains(&second),
        "{second} of 10,000 at 50%"
    );
    assert_eq!(short("2026-12-05T00:00:00Z"), 10_000);
    let now = at("2026-12-05T00:00:00Z");
    for (country, want) in [("DE", 45.0), ("FR", 90.0), ("BR", 90.0)] {
        let ctx = user(3).with("country", country);
        assert_eq!(
            snap.number_value("match-timeout-seconds", &ctx, now, -1.0)
                .value,
            want
        );
    }
    let nowhere = snap.number_value("match-timeout-seconds", &user(3), now, -1.0);
    assert_eq!(
        (nowhere.value, nowhere.detail.reason),
        (90.0, Reason::Default)
    );
}

#[test]
fn staging_has_ranked_for_everyone_the_rollback_does_not_cover() {
    let snap = common::season0().compile("staging").unwrap();
    let now = at("2026-12-02T10:00:00Z");
    for i in 0..5_000 {
        let r = snap.evaluate("ranked-matchmaking", &user(i), now);
        assert_eq!(
            (r.variant, r.reason),
            (Some("on"), Reason::Split),
            "user-{i}"
        );
        let old = user(i)
            .with("platform", "android")
            .with("appVersion", "v4.1.0");
        assert_eq!(
            snap.evaluate("ranked-matchmaking", &old, now).reason,
            Reason::Rollback
        );
    }
}

#[test]
fn hotfix_is_static_and_evaluate_all_covers_every_flag() {
    let snap = prod();
    let now = at("2026-12-02T00:00:00Z");
    let ctx = user(1).with("country", "DE");
    let all: Vec<_> = snap.evaluate_all(&ctx, now).collect();
    let keys: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, snap.flag_keys().collect::<Vec<_>>());
    let (_, hotfix) = all
        .iter()
        .find(|(k, _)| *k == "hotfix-login-throttle")
        .unwrap();
    assert_eq!(
        (hotfix.value, hotfix.reason),
        (Some(&json!(true)), Reason::Static)
    );
    let meta = serde_json::to_value(hotfix).unwrap()["metadata"].clone();
    assert_eq!(meta["hotfix"], json!(true));
    assert_eq!(
        meta["runbook"],
        json!("https://runbooks.example.com/season0/login-throttle")
    );
    assert_eq!(meta["owner"], json!("platform-team@example.com"));
    assert_eq!(
        meta["rollback_steps"][0],
        json!("Run `edgeflag rollback hotfix-login-throttle`")
    );
}

#[test]
fn type_mismatch_and_unknown_flags_return_the_callers_default() {
    let snap = prod();
    let now = at("2026-12-02T00:00:00Z");
    let t = snap.string_value("ranked-matchmaking", &user(1), now, "fallback");
    assert_eq!(t.value, "fallback");
    assert_eq!(
        t.detail.error_code().map(|c| c.name()),
        Some("TYPE_MISMATCH")
    );
    assert_eq!(
        t.detail.error.unwrap().to_string(),
        "flag `ranked-matchmaking` is a boolean flag, not string"
    );
    let missing = snap.bool_value("no-such-flag", &user(1), now, true);
    assert!(missing.value);
    assert_eq!(missing.detail.reason, Reason::Error);
    assert_eq!(
        missing.detail.error.unwrap().to_string(),
        "flag `no-such-flag` is not in the snapshot"
    );
}
