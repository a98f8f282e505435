#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Browser snapshots: what they leave out, and that what they keep evaluates
//! exactly as the edge snapshot does.

mod common;

use edgeflag::{
    Audience, Condition, Context, Definitions, Payload, Policy, ReleaseFile, SNAPSHOT_SCHEMA,
    SigningKey, Snapshot, Timestamp, browser_salt,
};
use proptest::prelude::*;
use serde_json::Value;

fn browser(defs: &Definitions, until: Option<&str>) -> Definitions {
    defs.for_browser(&browser_salt("test"), until.map(common::at))
        .unwrap()
}

/// Everything in `release` that a browser must not read: owners,
/// descriptions, runbooks, rollback steps, the incident channel, every
/// target key, every value compared against a private attribute, and the
/// keys of the flags that are not for browsers.
fn secrets(release: &ReleaseFile) -> Vec<String> {
    let r = &release.release;
    let mut out: Vec<String> = [&r.owner, &r.description, &r.incident_channel]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let private = |conds: &[Condition], out: &mut Vec<String>| {
        for c in conds {
            if r.private_attributes.contains(&c.attr) {
                out.extend(c.values.iter().map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }));
            }
        }
    };
    for seg in release.segments.values() {
        out.extend(seg.description.clone());
        private(&seg.conditions, &mut out);
    }
    for (key, f) in &release.flags {
        if !f.serves(Audience::Browser) {
            out.push(format!("\"{key}\""));
        }
        out.extend(
            [&f.owner, &f.description, &f.runbook]
                .into_iter()
                .flatten()
                .cloned(),
        );
        out.extend(f.rollback.iter().flat_map(|r| r.steps.clone()));
        let overrides = f.env.values();
        let targets = std::iter::once(&f.targets).chain(overrides.clone().flat_map(|o| &o.targets));
        out.extend(targets.flat_map(|t| t.values().flatten().cloned()));
        let rules = std::iter::once(&f.rules).chain(overrides.flat_map(|o| &o.rules));
        for rule in rules.flatten() {
            private(&rule.conditions, &mut out);
        }
        for rb in &f.rollbacks {
            private(&rb.conditions, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn a_browser_snapshot_of_season0_holds_none_of_its_secrets() {
    let release = common::season0();
    let secrets = secrets(&release);
    // What the search looks for is read from the release, so it must be there.
    for must in [
        "acct-store-qa-1",
        "qa-bot-1",
        "store-demo-device",
        "@example.com",
    ] {
        assert!(secrets.iter().any(|s| s.contains(must)), "{must} not found");
    }
    for env in ["production", "staging"] {
        let defs = browser(&release.for_environment(env).unwrap(), None);
        // The payload exactly as it is signed and shipped, decoded back.
        let key = SigningKey::from_secret_bytes([7; 32]);
        let payload = Payload {
            schema: SNAPSHOT_SCHEMA,
            version: 1,
            issued_at: "2026-12-03T00:00:00Z".into(),
            expires_at: Some("2026-12-04T00:00:00Z".into()),
            previous: None,
            forced: false,
            never_expires: false,
            audience: Audience::Browser,
            candidate: None,
            promotion: None,
            definitions: defs,
        };
        let signed = edgeflag::sign(&payload, &[&key]).unwrap();
        let policy = Policy::new(vec![key.public()], common::at("2026-12-03T01:00:00Z"))
            .for_audience(Audience::Browser);
        let verified = edgeflag::verify(signed.envelope.as_bytes(), &policy).unwrap();
        let text = serde_json::to_string(&payload).unwrap();
        let decoded = serde_json::to_string(verified.snapshot.definitions()).unwrap();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{env}: the payload holds {s}");
            assert!(
                !decoded.contains(s.as_str()),
                "{env}: the snapshot holds {s}"
            );
        }
        let keys: Vec<&str> = verified.snapshot.flag_keys().collect();
        assert_eq!(keys, ["store-layout", "season-banner"], "{env}");
    }
}

/// Every vector case of a release's browser flags gives the same result
/// from the browser snapshot as from the edge snapshot (and as pinned),
/// with the full schedule and, before the cut, with the stages after it
/// left out.
#[test]
fn browser_snapshots_evaluate_as_the_edge_does() {
    const CUT: &str = "2026-12-03T00:00:00Z";
    let mut compared = 0;
    let mut before_cut = 0;
    for (path, file) in common::vector_files() {
        if file.get("buckets").is_some() {
            continue;
        }
        let release = common::release_of(&path, &file);
        if !release.flags.values().any(|f| f.serves(Audience::Browser)) {
            continue;
        }
        let (env, expiry) = common::env_and_expiry(&file);
        let defs = release.for_environment(env).unwrap();
        let compile = |d: Definitions| Snapshot::compile(d).unwrap().with_expiry(expiry);
        let edge = compile(defs.clone());
        let full = compile(browser(&defs, None));
        let cut = compile(browser(&defs, Some(CUT)));
        for case in file["cases"].as_array().unwrap() {
            let flag = case["flag"].as_str().unwrap();
            if !release
                .flags
                .get(flag)
                .is_some_and(|f| f.serves(Audience::Browser))
            {
                continue;
            }
            let name = case["name"].as_str().unwrap();
            // The flag's metadata is what a browser snapshot leaves out.
            let run = |snap: &Snapshot| {
                let mut v = common::run_case(snap, case);
                v.as_object_mut().unwrap().remove("metadata");
                v
            };
            let want = run(&edge);
            assert!(
                common::mismatches(&case["expected"], &want).is_empty(),
                "{name}"
            );
            assert_eq!(run(&full), want, "{name}: full schedule");
            compared += 1;
            if common::at(case["at"].as_str().unwrap()) < common::at(CUT) {
                assert_eq!(run(&cut), want, "{name}: cut at {CUT}");
                before_cut += 1;
            }
        }
    }
    assert!(
        compared >= 20,
        "only {compared} browser cases in the vectors"
    );
    assert!(
        before_cut >= 5,
        "only {before_cut} browser cases before the cut"
    );
}

#[test]
fn a_cut_schedule_publishes_no_later_stage() {
    let defs = common::season0().for_environment("production").unwrap();
    let cut = browser(&defs, Some("2026-12-02T00:00:00Z"));
    let text = serde_json::to_string(&cut).unwrap();
    assert!(!text.contains("2026-12-03T16:00:00Z"), "{text}");
    assert!(text.contains("2026-12-01T16:00:00Z"), "{text}");
}

/// A flag of one browser flag: a private-attribute rule, targets, a staged
/// rule rollout and a staged flag rollout, on stages given in hours.
fn release(values: &[String], rule_hours: &[u32], flag_hours: &[u32]) -> ReleaseFile {
    let stages = |hours: &[u32]| -> String {
        let n = hours.len();
        let list: Vec<String> = hours
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let pct = 100 * (i + 1) / n;
                let at = Timestamp::parse("2026-12-01T00:00:00Z")
                    .unwrap()
                    .add_millis(i64::from(*h) * 3_600_000);
                format!("{{ at = \"{at}\", percent = {pct} }}")
            })
            .collect();
        format!("[{}]", list.join(", "))
    };
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    let src = format!(
        r#"
schema = 1
[release]
name = "p"
private_attributes = ["email"]
[flags.f]
type = "string"
clients = ["browser"]
variants = {{ a = "A", b = "B", c = "C", d = "D" }}
default = "a"
targets = {{ d = ["user-3", "user-17"] }}
[[flags.f.rules]]
name = "listed"
match = [{{ attr = "email", op = "in", values = [{}] }}]
serve = "b"
[[flags.f.rules]]
name = "eu"
match = [{{ attr = "region", op = "eq", value = "eu" }}]
rollout = {{ variant = "c", stages = {} }}
[flags.f.rollout]
variant = "b"
stages = {}
"#,
        quoted.join(", "),
        stages(rule_hours),
        stages(flag_hours),
    );
    ReleaseFile::from_toml(&src).unwrap()
}

fn increasing(max: usize) -> impl Strategy<Value = Vec<u32>> {
    prop::collection::btree_set(0u32..24 * 10, 1..=max).prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Before the snapshot's expiry, a browser snapshot with the later stages
    /// left out gives every user exactly what the full one gives; digested
    /// private values and target keys match exactly the raw ones.
    #[test]
    fn a_cut_schedule_changes_nothing_before_the_cut(
        values in prop::collection::vec("[a-z]{1,6}@[a-z]{1,4}\\.com", 1..4),
        rule_hours in increasing(4),
        flag_hours in increasing(4),
        cut_hour in 0u32..24 * 10,
        probe_hours in prop::collection::vec(0u32..24 * 10, 1..4),
    ) {
        let defs = release(&values, &rule_hours, &flag_hours).for_environment("production").unwrap();
        let start = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
        let hour = |h: u32| start.add_millis(i64::from(h) * 3_600_000);
        let until = hour(cut_hour);
        let edge = Snapshot::compile(defs.clone()).unwrap();
        let cut = Snapshot::compile(
            defs.for_browser(&browser_salt("prop"), Some(until)).unwrap()
        ).unwrap();
        for h in probe_hours.into_iter().filter(|h| hour(*h) < until) {
            for i in 0..40 {
                let mut ctx = serde_json::json!({ "targetingKey": format!("user-{i}") });
                if i % 3 == 0 {
                    ctx["region"] = "eu".into();
                }
                if i % 5 == 0 {
                    ctx["email"] = values[i % values.len()].clone().into();
                } else if i % 7 == 0 {
                    ctx["email"] = format!("x{}", values[0]).into();
                }
                let ctx = Context::from_json(&ctx).unwrap();
                let a = edge.evaluate("f", &ctx, hour(h));
                let b = cut.evaluate("f", &ctx, hour(h));
                prop_assert_eq!(a.fields(), b.fields(), "user-{} at hour {}", i, h);
            }
        }
    }
}
