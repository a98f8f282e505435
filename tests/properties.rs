//! The rollout promises of docs/bucketing.md, as properties over many users.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use edgeflag::{BUCKETS, Context, INCLUSION_SEED, ReleaseFile, Snapshot, Timestamp, bucket};
use proptest::prelude::*;
use serde_json::json;

const USERS: u32 = 100_000;

fn t(day: i64) -> Timestamp {
    Timestamp::from_millis(1_796_140_800_000 + day * 86_400_000)
}

fn iso(day: i64) -> String {
    t(day).to_string()
}

/// One weighted flag `f` with the given stage percents, one day apart, as
/// the flag's rollout or as the rollout of a rule that matches every user.
fn staged(salt: &str, percents: &[f64], in_rule: bool) -> Snapshot {
    let stages: Vec<_> = percents
        .iter()
        .enumerate()
        .map(|(i, p)| json!({ "at": iso(i as i64), "percent": p }))
        .collect();
    let rollout =
        json!({ "salt": salt, "weights": { "a": 20, "b": 30, "c": 50 }, "stages": stages });
    let mut flag = json!({
        "type": "string",
        "variants": { "a": "a", "b": "b", "c": "c", "off": "off" },
        "default": "off",
    });
    if in_rule {
        flag["rules"] = json!([{
            "name": "everyone",
            "match": [{ "attr": "targetingKey", "op": "exists" }],
            "rollout": rollout,
        }]);
    } else {
        flag["rollout"] = rollout;
    }
    release(json!({ "f": flag }))
}

fn release(flags: serde_json::Value) -> Snapshot {
    let release: ReleaseFile = edgeflag::ReleaseFile::from_json(
        &json!({ "schema": 1, "release": { "name": "props" }, "flags": flags }).to_string(),
    )
    .unwrap();
    release.compile("production").unwrap()
}

/// The variant of every user on the given day ("off" = outside the rollout).
fn served(snap: &Snapshot, day: i64) -> Vec<String> {
    (0..USERS)
        .map(|i| {
            let ctx = Context::with_key(&format!("user-{i}"));
            snap.string_value("f", &ctx, t(day), "?").value
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn buckets_stay_in_range(salt in ".{0,40}", value in ".{0,300}", seed in any::<u64>()) {
        prop_assert!(bucket(salt.as_bytes(), value.as_bytes(), seed) < BUCKETS);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Raising only adds users; cutting back removes the last added first;
    /// nobody inside changes variant as the stages move. The same for a
    /// flag's rollout and a rule's.
    #[test]
    fn stages_nest_and_variants_hold(
        salt in "[a-z]{1,12}",
        in_rule in any::<bool>(),
        a in 0u32..=20_000, b in 0u32..=80_000, c in 0u32..=100_000,
    ) {
        // p1 <= p3 <= p2: up from p1 to p2, then back down to p3.
        let mut p = [a, a + b, c];
        p[1] = p[1].min(100_000);
        p[2] = p[2].clamp(p[0], p[1]);
        let pct: Vec<f64> = p.iter().map(|x| f64::from(*x) / 1000.0).collect();
        let snap = staged(&salt, &pct, in_rule);
        let (s1, s2, s3) = (served(&snap, 0), served(&snap, 1), served(&snap, 2));
        for i in 0..USERS as usize {
            let (x, y, z) = (&s1[i], &s2[i], &s3[i]);
            if x != "off" {
                prop_assert_eq!(y, x, "user-{} lost or changed at the raise", i);
                prop_assert_eq!(z, x, "user-{} from the first stage lost at the cut", i);
            }
            if z != "off" {
                prop_assert_eq!(y, z, "user-{} inside after the cut was not inside before", i);
            }
        }
        let inside = |s: &[String]| s.iter().filter(|v| *v != "off").count() as f64 / f64::from(USERS);
        for (s, want) in [(&s1, pct[0]), (&s2, pct[1]), (&s3, pct[2])] {
            prop_assert!((inside(s) - want / 100.0).abs() < 0.006, "{} vs {}", inside(s), want);
        }
    }

    /// Different salts choose independent users; a shared salt chooses the same ones.
    #[test]
    fn salts_decide_who_is_picked(x in "[a-z]{1,8}", y in "[A-Z]{1,8}", pct in 5_000u32..=50_000) {
        let pick = |salt: &str| -> Vec<bool> {
            (0..USERS)
                .map(|i| bucket(salt.as_bytes(), format!("user-{i}").as_bytes(), INCLUSION_SEED) < pct)
                .collect()
        };
        let (px, py) = (pick(&x), pick(&y));
        let both = px.iter().zip(&py).filter(|(a, b)| **a && **b).count() as f64 / f64::from(USERS);
        let p = f64::from(pct) / f64::from(BUCKETS);
        // Independent picks overlap on about p^2 of users, not p.
        prop_assert!((both - p * p).abs() < 0.01, "overlap {} for p {}", both, p);
        prop_assert_eq!(pick(&x), px);
    }
}

/// Two rule rollouts of a flag, and the flag's own rollout, pick their users
/// independently by default; a salt given to both rules makes them pick alike.
#[test]
fn rule_rollouts_pick_independently_unless_they_share_a_salt() {
    let rules = |salt: Option<&str>| {
        let rollout = |extra: serde_json::Value| {
            let mut r = json!({ "variant": "on", "percent": 30 });
            if let Some(s) = salt {
                r["salt"] = json!(s);
            }
            r.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            r
        };
        release(json!({ "f": {
            "type": "boolean",
            "rules": [
                { "name": "one", "match": [{ "attr": "rule", "op": "eq", "value": 1 }], "rollout": rollout(json!({})) },
                { "name": "two", "match": [{ "attr": "rule", "op": "eq", "value": 2 }], "rollout": rollout(json!({})) },
            ],
            "rollout": { "variant": "on", "percent": 30 },
        } }))
    };
    let picked = |snap: &Snapshot, rule: Option<f64>| -> Vec<bool> {
        (0..USERS)
            .map(|i| {
                let mut ctx = Context::with_key(&format!("user-{i}"));
                if let Some(r) = rule {
                    ctx.set("rule", r.into());
                }
                let d = snap.bool_value("f", &ctx, t(0), false).detail;
                // Inside the rule itself, not the flag's rollout after it.
                d.variant == Some("on") && (rule.is_none() || d.rule.is_some())
            })
            .collect()
    };
    let overlap = |a: &[bool], b: &[bool]| {
        a.iter().zip(b).filter(|(x, y)| **x && **y).count() as f64 / f64::from(USERS)
    };
    let independent = rules(None);
    let (one, two, flag) = (
        picked(&independent, Some(1.0)),
        picked(&independent, Some(2.0)),
        picked(&independent, None),
    );
    for (name, a, b) in [
        ("one/two", &one, &two),
        ("one/flag", &one, &flag),
        ("two/flag", &two, &flag),
    ] {
        let o = overlap(a, b);
        assert!(
            (o - 0.09).abs() < 0.006,
            "{name}: overlap {o}, not about 0.3²"
        );
    }
    let shared = rules(Some("shared"));
    assert_eq!(picked(&shared, Some(1.0)), picked(&shared, Some(2.0)));
}

#[test]
fn percentiles_of_a_million_keys_are_uniform() {
    let mut counts = [0u32; 100];
    let n = 1_000_000u32;
    for i in 0..n {
        let b = bucket(
            b"uniformity",
            format!("user-{i}").as_bytes(),
            INCLUSION_SEED,
        );
        counts[(b / 1000) as usize] += 1;
    }
    // 1% is 10,000 keys; the binomial spread is ~100, so +/-500 is five sigma.
    for (pct, c) in counts.iter().enumerate() {
        assert!((9_500..=10_500).contains(c), "percentile {pct}: {c} keys");
    }
    let chi2: f64 = counts
        .iter()
        .map(|c| (f64::from(*c) - 10_000.0).powi(2) / 10_000.0)
        .sum();
    // 99 degrees of freedom: p = 0.001 at ~148.
    assert!(chi2 < 148.0, "chi-square {chi2}");
}
