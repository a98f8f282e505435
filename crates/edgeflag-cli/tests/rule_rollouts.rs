//! Rule rollouts through every command that reports on a plan: `status`,
//! `notes`, `simulate` and `diff` each show the rule and its own schedule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const RULE: &str = "short queue in high-population regions";
/// Stage 2 of the rule's 3: 50%.
const AT: &str = "2026-12-03T20:00:00Z";

fn season0() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/season0.toml")
}

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = edgeflag().arg("--json").args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A key pair, and a production snapshot of `release` as `out`.
fn build(dir: &Path, release: &Path, out: &str, version: &str) {
    if !dir.join("edgeflag.pem").exists() {
        edgeflag()
            .args(["keygen", "--out", s(dir)])
            .assert()
            .success();
    }
    edgeflag()
        .args(["build", s(release), "--env", "production", "--force"])
        .args(["--key", s(&dir.join("edgeflag.pem")), "--version", version])
        .args(["--at", "2026-12-01T00:00:00Z", "--out", s(&dir.join(out))])
        .assert()
        .success();
}

#[test]
fn status_and_notes_list_the_rules_schedule() {
    let rel = s(&season0()).to_owned();
    edgeflag()
        .args(["status", &rel, "--env", "production", "--at", AT])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("  rule `{RULE}`")).and(
            predicate::str::contains("stage 2 of 3: 50%   stage 3: 100% at 2026-12-04T16:00:00Z"),
        ));
    let st = json(&["status", &rel, "--env", "production", "--at", AT]);
    let timeout = &st["flags"][3];
    assert_eq!(timeout["key"], "match-timeout-seconds");
    assert_eq!(timeout["rollout"], Value::Null);
    let rule = &timeout["rules"][0];
    assert_eq!(rule["name"], RULE);
    assert_eq!(rule["serve"], Value::Null);
    assert_eq!(rule["rollout"]["stage"], 1);
    assert_eq!(rule["rollout"]["percent"], 50.0);
    assert_eq!(rule["rollout"]["stages"].as_array().unwrap().len(), 3);
    // A rule that serves one variant says which.
    assert_eq!(st["flags"][0]["rules"][0]["serve"], "on");

    edgeflag()
        .args(["notes", &rel, "--env", "production", "--at", AT])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(format!(
                "- {RULE}: users with `country in US, DE, JP` get `short` in stages of its own \
                 (stage 2 of 3, 50%)"
            ))
            .and(predicate::str::contains(format!(
                "#### Rule `{RULE}`: its schedule"
            )))
            .and(predicate::str::contains(
                "| 2 | 2026-12-03T16:00:00Z | 50% | **current** |",
            )),
        );
    let notes = json(&["notes", &rel, "--env", "production", "--at", AT]);
    let rule = &notes["flags"][3]["rules"][0];
    assert_eq!(rule["schedule"]["current_stage"], 2);
    assert_eq!(rule["schedule"]["serves"], "`short`");
}

#[test]
fn simulate_counts_each_rule_and_diff_names_the_rule_that_moved_users() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &season0(), "v1.json", "1");
    let public = dir.path().join("edgeflag.pub.pem");
    let dist = json(&[
        "simulate",
        s(&dir.path().join("v1.json")),
        "--trust",
        s(&public),
        "--flag",
        "match-timeout-seconds",
        "--users",
        "20000",
        "--at",
        AT,
        "--context",
        r#"{"country": "DE"}"#,
    ]);
    let outcomes = dist[0]["outcomes"].as_array().unwrap();
    let short = outcomes.iter().find(|o| o["variant"] == "short").unwrap();
    assert_eq!(
        (&short["reason"], &short["rule"]),
        (&"SPLIT".into(), &RULE.into())
    );
    let share = short["share"].as_f64().unwrap();
    assert!((share - 0.5).abs() < 0.02, "{share}");
    let normal = outcomes.iter().find(|o| o["variant"] == "normal").unwrap();
    assert_eq!(
        (&normal["reason"], &normal["rule"]),
        (&"DEFAULT".into(), &Value::Null)
    );
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");

    // Cut the rule back to 5% and diff: only that rule's users move.
    let cut = dir.path().join("cut.toml");
    std::fs::copy(season0(), &cut).unwrap();
    edgeflag()
        .args([
            "rollback",
            s(&cut),
            "match-timeout-seconds",
            "--to-stage",
            "1",
        ])
        .args(["--rule", RULE])
        .assert()
        .success();
    build(dir.path(), &cut, "v2.json", "2");
    let d = json(&[
        "diff",
        s(&dir.path().join("v1.json")),
        s(&dir.path().join("v2.json")),
        "--trust",
        s(&public),
        "--users",
        "20000",
        "--at",
        AT,
        "--context",
        r#"{"country": "JP"}"#,
    ]);
    for f in d["flags"].as_array().unwrap() {
        if f["key"] == "match-timeout-seconds" {
            let moved = f["moved_users"].as_u64().unwrap();
            assert!(
                (8_400..=9_600).contains(&moved),
                "{moved}: about 45% of 20,000"
            );
            assert_eq!(
                f["by_rule"],
                serde_json::json!([{ "rule": RULE, "users": moved }])
            );
        } else {
            assert_eq!(
                (&f["definition"], &f["moved_users"]),
                (&"unchanged".into(), &0.into()),
                "{f}"
            );
        }
    }
    edgeflag()
        .args([
            "diff",
            s(&dir.path().join("v1.json")),
            s(&dir.path().join("v2.json")),
        ])
        .args(["--trust", s(&public), "--users", "2000", "--at", AT])
        .args(["--context", r#"{"country": "JP"}"#])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{RULE}: ")));
}
