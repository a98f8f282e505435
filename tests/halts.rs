#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! A guard's halt over a signed plan (docs/guards.md), on the guarded
//! fixture `tests/guards/release.toml`: who it changes (exactly the halted
//! rollout's users, diffed user by user over every flag), what they get
//! (what the signed guard says), and which snapshots it survives.

use edgeflag::guard::{Arm, judge};
use edgeflag::halt::{Halt, Side};
use edgeflag::{Context, Reason, ReleaseFile, Snapshot, Timestamp, synthetic_user};

const USERS: usize = 4000;

fn release(edit: impl Fn(String) -> String) -> Snapshot {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/guards/release.toml"
    ))
    .unwrap();
    ReleaseFile::from_toml(&edit(src))
        .unwrap()
        .compile("production")
        .unwrap()
}

fn at(t: &str) -> Timestamp {
    Timestamp::parse(t).unwrap()
}

/// The users of the diff: synthetic ones, plus some the other steps decide
/// (pinned targets, the partial rollback, beta testers), in the EU for half.
fn users(s: &Snapshot) -> Vec<Context> {
    (0..USERS)
        .map(|i| {
            let mut ctx = synthetic_user(s, &Context::default(), i);
            if i % 2 == 0 {
                ctx.set("region", "eu".into());
            }
            match i % 50 {
                0 => ctx.set("targetingKey", "pinned-on".into()),
                1 => ctx.set("targetingKey", "pinned-off".into()),
                2 => ctx.set("platform", "android-old".into()),
                3 => ctx.set("beta", true.into()),
                _ => {}
            }
            ctx
        })
        .collect()
}

/// A halt of `flag`'s guarded rollout (`rule` for a rule rollout) as the
/// edge records it, with evidence from a clear regression.
fn halt(s: &Snapshot, flag: &str, rule: Option<&str>, stage: Option<usize>) -> Halt {
    let g = s
        .guarded()
        .into_iter()
        .find(|g| g.flag == flag && g.rule == rule)
        .unwrap();
    let verdict = judge(
        g.guard,
        Arm {
            exposures: 5000,
            events: 50,
        },
        Arm {
            exposures: 5000,
            events: 150,
        },
    );
    assert!(verdict.is_regression());
    Halt {
        flag: flag.into(),
        rule: rule.map(Into::into),
        plan: g.plan,
        stage,
        metric: g.guard.metric.clone(),
        at: "2026-12-07T12:00:00Z".into(),
        evidence: verdict.evidence().clone(),
    }
}

/// `(flag, variant, reason, rule, stage)` of every flag for one user.
fn results(s: &Snapshot, ctx: &Context, now: Timestamp) -> Vec<String> {
    s.evaluate_all(ctx, now)
        .map(|(k, r)| {
            format!(
                "{k} {:?} {} {:?} {:?}",
                r.variant,
                r.reason.name(),
                r.rule,
                r.stage
            )
        })
        .collect()
}

#[test]
fn a_rollback_halt_changes_exactly_the_rollouts_users() {
    let plain = release(|s| s);
    let mut halted = release(|s| s);
    let h = halt(&plain, "new-matcher", None, Some(0));
    assert_eq!(halted.apply_halts(std::slice::from_ref(&h)).len(), 1);
    let now = at("2026-12-07T13:00:00Z");
    let (mut treated, mut changed) = (0, 0);
    for ctx in users(&plain) {
        let before = plain.evaluate("new-matcher", &ctx, now);
        let after = halted.evaluate("new-matcher", &ctx, now);
        let arm = before
            .guard
            .filter(|_| before.guard_metric() == Some("match_error"));
        let in_rollout = arm.is_some_and(|g| g.side == Side::Treatment);
        treated += usize::from(in_rollout);
        if in_rollout {
            // What the signed guard says: the rollback variant, from the guard.
            assert_eq!(after.variant, Some("off"));
            assert_eq!(after.reason, Reason::Rollback);
            assert_eq!(after.rule, Some("guard: match_error"));
            assert!(after.guard.is_some_and(|g| g.halted));
            let fields = after.fields();
            assert!(fields.iter().any(|(k, _)| *k == "guard"), "{fields:?}");
        }
        // Every other flag, and every other user of this one: unchanged.
        let (b, a) = (results(&plain, &ctx, now), results(&halted, &ctx, now));
        for (x, y) in b.iter().zip(&a) {
            if x != y {
                changed += 1;
                assert!(
                    in_rollout && x.starts_with("new-matcher "),
                    "{x} became {y}"
                );
            }
        }
    }
    // Half the users are in the rollout, bar those the earlier steps decide.
    assert!((1700..2100).contains(&treated), "{treated} in the rollout");
    assert_eq!(changed, treated);
}

#[test]
fn a_hold_freezes_a_rule_rollout_at_its_stage() {
    let plain = release(|s| s);
    let mut halted = release(|s| s);
    let h = halt(&plain, "lobby", Some("eu grid"), Some(0));
    assert_eq!(halted.apply_halts(&[h]).len(), 1);
    let (first, second) = (at("2026-12-05T00:00:00Z"), at("2026-12-12T00:00:00Z"));
    let (mut widened, mut grid) = (0, 0);
    for ctx in users(&plain) {
        // At the halted stage nothing changes; later, the stage stays.
        assert_eq!(results(&plain, &ctx, first), results(&halted, &ctx, first));
        let held = halted.evaluate("lobby", &ctx, second);
        assert_eq!(
            results(&plain, &ctx, first)[1],
            results(&halted, &ctx, second)[1]
        );
        grid += usize::from(held.variant == Some("grid"));
        let later = plain.evaluate("lobby", &ctx, second);
        if later.variant != held.variant {
            widened += 1;
            // Only users the schedule would have added since: not the rollback.
            assert_eq!(later.variant, Some("grid"));
            assert_eq!(held.reason, Reason::Default);
        }
        if held.variant == Some("grid") {
            assert_eq!(
                (held.stage, held.guard.map(|g| g.halted)),
                (Some(0), Some(true))
            );
        }
        for (x, y) in results(&plain, &ctx, second)
            .iter()
            .zip(&results(&halted, &ctx, second))
        {
            assert!(x == y || x.starts_with("lobby "), "{x} became {y}");
        }
    }
    assert!(
        widened > 400 && grid > 100,
        "{widened} held back, {grid} kept"
    );
}

#[test]
fn a_halt_lasts_while_its_plan_is_the_same() {
    let plain = release(|s| s);
    let h = halt(&plain, "new-matcher", None, Some(0));
    // Another flag changed: the same plan, the halt applies.
    let mut other = release(|s| s.replace("percent = 30", "percent = 35"));
    assert_eq!(other.apply_halts(std::slice::from_ref(&h)).len(), 1);
    assert!(other.guarded()[0].halted && other.guarded()[0].flag == "new-matcher");
    // A new signed plan for the rollout (a later stage moved): cleared.
    for edit in [
        (
            "2027-06-01T00:00:00Z\", percent = 100 },\n]\nguard = { metric = \"match_error\"",
            "2027-07-01T00:00:00Z\", percent = 100 },\n]\nguard = { metric = \"match_error\"",
        ),
        (
            "max_relative_increase = 0.25",
            "max_relative_increase = 0.3",
        ),
    ] {
        let mut replanned = release(|s| {
            assert!(s.contains(edit.0), "{}", edit.0);
            s.replace(edit.0, edit.1)
        });
        assert!(replanned.apply_halts(std::slice::from_ref(&h)).is_empty());
        assert!(replanned.guarded().iter().all(|g| !g.halted));
    }
    // Applying none lifts every halt applied before.
    let mut s = release(|s| s);
    s.apply_halts(std::slice::from_ref(&h));
    s.apply_halts(&[]);
    let ctx = synthetic_user(&s, &Context::default(), 7);
    let now = at("2026-12-07T13:00:00Z");
    assert_eq!(results(&s, &ctx, now), results(&plain, &ctx, now));
}

#[test]
fn arms_are_the_rollouts_users_and_those_it_has_not_reached() {
    let s = release(|s| s);
    let now = at("2026-12-07T13:00:00Z");
    let mut sides = std::collections::BTreeMap::new();
    for ctx in users(&s) {
        let r = s.evaluate("new-matcher", &ctx, now);
        let side = r.guard.map(|g| (r.guard_metric().unwrap(), g.side));
        let expect = match (r.reason, r.variant) {
            (Reason::Split, Some("on")) => Some(("match_error", Side::Treatment)),
            (Reason::Split, Some("off")) => Some(("match_error", Side::Control)),
            _ => None,
        };
        assert_eq!(side, expect, "{:?} {:?}", r.reason, r.variant);
        *sides.entry(format!("{side:?}")).or_insert(0) += 1;
        // A rule rollout's outside users count as its control, whatever decides next.
        let lobby = s.evaluate("lobby", &ctx, now);
        if ctx.get("region").is_some() && lobby.variant == Some("classic") {
            assert_eq!(lobby.guard.map(|g| g.side), Some(Side::Control));
        }
    }
    assert_eq!(sides.len(), 3, "{sides:?}");
}
