//! `edgeflag rollback`: each mode edits only the flag's own TOML, the result
//! still validates and evaluates as intended, and every failure leaves the
//! file untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use edgeflag::{Context, Reason, ReleaseFile, Snapshot, Timestamp};
use predicates::prelude::*;

const SEASON0: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/season0.toml"
));

/// A writable copy of season0.toml (the original may be read-only).
fn season0() -> (tempfile::TempDir, PathBuf) {
    copy_of(SEASON0)
}

fn copy_of(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("season0.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

fn rollback(path: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    edgeflag().arg("rollback").arg(path).args(args).assert()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn at(t: &str) -> Timestamp {
    Timestamp::parse(t).unwrap()
}

fn production(text: &str) -> Snapshot {
    ReleaseFile::from_toml(text)
        .unwrap()
        .compile("production")
        .unwrap()
}

/// The byte range of a flag's tables: from its first header to its last
/// content line, leaving the comments that introduce the next flag outside.
fn flag_region(text: &str, flag: &str) -> (usize, usize) {
    let own =
        |name: &str| name == format!("flags.{flag}") || name.starts_with(&format!("flags.{flag}."));
    let mut start = None;
    let mut end = text.len();
    let mut last_content_end = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let name = trimmed.trim_matches(|c| c == '[' || c == ']').trim();
            match (start, own(name)) {
                (None, true) => start = Some(offset),
                (Some(_), false) => {
                    end = last_content_end;
                    break;
                }
                _ => {}
            }
        }
        offset += line.len();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            last_content_end = offset;
        }
    }
    if end == text.len() {
        end = last_content_end;
    }
    (start.expect("the flag has a table"), end)
}

/// Everything outside the flag's region is byte for byte the same; returns
/// the region before and after.
fn only_flag_changed<'a>(before: &'a str, after: &'a str, flag: &str) -> (&'a str, &'a str) {
    let (s1, e1) = flag_region(before, flag);
    let (s2, e2) = flag_region(after, flag);
    assert_eq!(s1, s2, "the text before the flag moved");
    assert_eq!(&before[..s1], &after[..s2], "text before {flag} changed");
    assert_eq!(&before[e1..], &after[e2..], "text after {flag} changed");
    (&before[s1..e1], &after[s2..e2])
}

/// The lines of `after` that are not in `before`, and the reverse.
fn line_diff(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    let added = a.iter().filter(|l| !b.contains(l)).map(|l| (*l).to_owned());
    let removed = b.iter().filter(|l| !a.contains(l)).map(|l| (*l).to_owned());
    (added.collect(), removed.collect())
}

fn no_temp_files(path: &Path) {
    let dir = path.parent().unwrap();
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["season0.toml".to_owned()]);
}

fn user(i: usize) -> Context {
    Context::with_key(&format!("user-{i}"))
}

#[test]
fn full_rollback_adds_the_kill_switch_inside_the_flag() {
    let (_dir, path) = season0();
    rollback(&path, &["ranked-matchmaking"])
        .success()
        .stdout(predicate::str::contains(
            "ranked-matchmaking: full rollback: enabled = false, everyone gets \"off\"",
        ))
        .stdout(predicate::str::contains(format!(
            "edgeflag build {} --env production --key KEY.pem --previous LATEST_SNAPSHOT.json \
             --out NEXT_SNAPSHOT.json",
            path.display()
        )));
    let after = read(&path);
    let (old, new) = only_flag_changed(SEASON0, &after, "ranked-matchmaking");
    assert_eq!(
        line_diff(old, new),
        (vec!["enabled = false".into()], vec![])
    );
    // The kill switch goes into the flag's own table, not a sub-table.
    let header = new.find("[flags.ranked-matchmaking]").unwrap();
    let rules = new.find("[[flags.ranked-matchmaking.rules]]").unwrap();
    let enabled = new.find("enabled = false").unwrap();
    assert!(header < enabled && enabled < rules);

    let snap = production(&after);
    let d = snap.evaluate("ranked-matchmaking", &user(1), at("2026-12-06T00:00:00Z"));
    assert_eq!(d.reason, Reason::Disabled);
    assert_eq!(d.variant, Some("off"));
    no_temp_files(&path);
}

#[test]
fn full_rollback_flips_an_existing_switch_in_place() {
    let (_dir, path) = season0();
    rollback(&path, &["match-timeout-seconds"]).success();
    let after = read(&path);
    let (b, a): (Vec<&str>, Vec<&str>) = (SEASON0.lines().collect(), after.lines().collect());
    assert_eq!(b.len(), a.len());
    let changed: Vec<usize> = (0..b.len()).filter(|&i| b[i] != a[i]).collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (b[changed[0]], a[changed[0]]),
        ("enabled = true", "enabled = false")
    );
    let snap = production(&after);
    let d = snap.evaluate(
        "match-timeout-seconds",
        &user(1).with("country", "US"),
        at("2026-12-06T00:00:00Z"),
    );
    assert_eq!((d.reason, d.variant), (Reason::Disabled, Some("normal")));
}

#[test]
fn full_rollback_of_a_disabled_flag_changes_nothing_and_fails() {
    let (_dir, path) = season0();
    rollback(&path, &["ranked-matchmaking"]).success();
    let once = read(&path);
    rollback(&path, &["ranked-matchmaking"])
        .code(2)
        .stderr(predicate::str::contains(
            "flags.ranked-matchmaking: enabled: already false",
        ));
    assert_eq!(read(&path), once);
}

#[test]
fn partial_rollback_by_match_appends_a_table_after_the_existing_ones() {
    let (_dir, path) = season0();
    rollback(
        &path,
        &[
            "ranked-matchmaking",
            "--match",
            "country in FR,BE",
            "--name",
            "INC-2099 queue stalls in FR/BE",
            "--at",
            "2026-12-06T00:00:00Z",
        ],
    )
    .success()
    .stdout(predicate::str::contains(
        "ranked-matchmaking: partial rollback \"INC-2099 queue stalls in FR/BE\" for country in \
         FR,BE serves \"off\" since 2026-12-06T00:00:00Z",
    ));
    let after = read(&path);
    let (old, new) = only_flag_changed(SEASON0, &after, "ranked-matchmaking");
    let (added, removed) = line_diff(old, new);
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(
        added,
        vec![
            "name = \"INC-2099 queue stalls in FR/BE\"",
            "match = [{ attr = \"country\", op = \"in\", values = [\"FR\", \"BE\"] }]",
            "since = \"2026-12-06T00:00:00Z\"",
        ]
    );
    // The same style: a second [[...rollbacks]] table right after the first.
    let first = new.find("name = \"INC-2041").unwrap();
    let second = new.find("name = \"INC-2099").unwrap();
    let rollout = new.find("[flags.ranked-matchmaking.rollout]").unwrap();
    assert!(first < second && second < rollout);
    assert_eq!(
        new.matches("[[flags.ranked-matchmaking.rollbacks]]")
            .count(),
        2
    );

    let snap = production(&after);
    let fr = user(7).with("country", "FR");
    let d = snap.evaluate("ranked-matchmaking", &fr, at("2026-12-07T00:00:00Z"));
    assert_eq!(d.reason, Reason::Rollback);
    assert_eq!(d.variant, Some("off"));
    assert_eq!(d.rule, Some("INC-2099 queue stalls in FR/BE"));
    // Before `since`, and for other countries, the rollout still decides.
    let d = snap.evaluate("ranked-matchmaking", &fr, at("2026-12-05T18:00:00Z"));
    assert_eq!((d.reason, d.variant), (Reason::Split, Some("on")));
    let de = user(7).with("country", "DE");
    let d = snap.evaluate("ranked-matchmaking", &de, at("2026-12-07T00:00:00Z"));
    assert_eq!((d.reason, d.variant), (Reason::Split, Some("on")));
    no_temp_files(&path);
}

#[test]
fn partial_rollback_by_segment_defaults_name_and_serve() {
    let (_dir, path) = season0();
    rollback(
        &path,
        &[
            "store-layout",
            "--segment",
            "legacy-android",
            "--at",
            "2026-12-04T10:00:00+01:00",
        ],
    )
    .success();
    let after = read(&path);
    let (_, new) = only_flag_changed(SEASON0, &after, "store-layout");
    // The flag had no partial rollbacks: a new array of tables, inside the flag.
    assert!(new.ends_with(
        "\n[[flags.store-layout.rollbacks]]\nname = \"rollback 2026-12-04T09:00:00Z\"\n\
         segment = \"legacy-android\"\nserve = \"classic\"\nsince = \"2026-12-04T09:00:00Z\"\n"
    ));
    let snap = production(&after);
    let android = Context::new()
        .with("accountId", "acct-1")
        .with("platform", "android")
        .with("appVersion", "4.0.0");
    let d = snap.evaluate("store-layout", &android, at("2026-12-05T00:00:00Z"));
    assert_eq!((d.reason, d.variant), (Reason::Rollback, Some("classic")));
}

#[test]
fn partial_rollback_serves_the_given_variant_and_combines_segment_and_match() {
    let (_dir, path) = season0();
    rollback(
        &path,
        &[
            "season-banner",
            "--segment",
            "internal-testers",
            "--match",
            "level gte 3",
            "--match",
            "beta exists",
            "--serve",
            "launch",
            "--at",
            "2026-12-01T00:00:00Z",
        ],
    )
    .success()
    .stdout(predicate::str::contains(
        "for segment internal-testers and level gte 3 and beta exists serves \"launch\"",
    ));
    let after = read(&path);
    let (_, new) = only_flag_changed(SEASON0, &after, "season-banner");
    assert!(new.contains(
        "match = [\n  { attr = \"level\", op = \"gte\", values = [3] },\n  \
         { attr = \"beta\", op = \"exists\" },\n]\n"
    ));
    let snap = production(&after);
    let tester = user(1)
        .with("email", "qa@example.com")
        .with("level", 4.0)
        .with("beta", true);
    let d = snap.evaluate("season-banner", &tester, at("2026-12-01T12:00:00Z"));
    assert_eq!((d.reason, d.variant), (Reason::Rollback, Some("launch")));
    let low = user(1)
        .with("email", "qa@example.com")
        .with("level", 2.0)
        .with("beta", true);
    let d = snap.evaluate("season-banner", &low, at("2026-12-01T12:00:00Z"));
    assert_ne!(d.reason, Reason::Rollback);
}

#[test]
fn partial_rollback_without_at_is_active_now_in_whole_seconds() {
    let (_dir, path) = season0();
    let out = edgeflag()
        .args(["--json", "rollback"])
        .arg(&path)
        .args(["hotfix-login-throttle", "--match", "country eq FR"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let since = read(&path)
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("since = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let t = at(&since);
    assert_eq!(t.as_micros() % 1_000_000, 0);
    assert!(json["changed"].as_str().unwrap().contains(&since));
    let snap = production(&read(&path));
    let d = snap.evaluate(
        "hotfix-login-throttle",
        &user(1).with("country", "FR"),
        t.add_millis(1000),
    );
    assert_eq!((d.reason, d.variant), (Reason::Rollback, Some("off")));
}

#[test]
fn stage_rollback_cuts_the_schedule_and_only_takes_users_away() {
    let (_dir, path) = season0();
    rollback(&path, &["ranked-matchmaking", "--to-stage", "2"])
        .success()
        .stdout(predicate::str::contains(
            "ranked-matchmaking: rollout cut back to stage 2 of 4 (5% from 2026-12-02T16:00:00Z); \
             removed stage 3 (25% at 2026-12-03T16:00:00Z), stage 4 (100% at 2026-12-05T16:00:00Z); \
             env staging keeps its own rollout, unchanged",
        ));
    let after = read(&path);
    let (old, new) = only_flag_changed(SEASON0, &after, "ranked-matchmaking");
    assert_eq!(
        line_diff(old, new),
        (
            vec![],
            vec![
                "  { at = \"2026-12-03T16:00:00Z\", percent = 25 },".to_owned(),
                "  { at = \"2026-12-05T16:00:00Z\", percent = 100 },".to_owned(),
            ]
        )
    );

    let (before, cut) = (production(SEASON0), production(&after));
    let t = at("2026-12-04T00:00:00Z");
    let someone = user(1);
    assert_eq!(
        before.evaluate("ranked-matchmaking", &someone, t).percent,
        Some(25.0)
    );
    assert_eq!(
        cut.evaluate("ranked-matchmaking", &someone, t).percent,
        Some(5.0)
    );
    for when in [
        "2026-12-02T18:00:00Z",
        "2026-12-04T00:00:00Z",
        "2026-12-06T00:00:00Z",
    ] {
        let (mut on_before, mut on_after) = (0, 0);
        for i in 0..3000 {
            let u = user(i);
            let was = before.evaluate("ranked-matchmaking", &u, at(when)).variant == Some("on");
            let is = cut.evaluate("ranked-matchmaking", &u, at(when)).variant == Some("on");
            assert!(!is || was, "user-{i} gained the feature at {when}");
            on_before += usize::from(was);
            on_after += usize::from(is);
        }
        assert!(on_after > 0 && on_after <= on_before);
    }
    // Staging's own plan is not the base plan and stays whole.
    let staging = ReleaseFile::from_toml(&after)
        .unwrap()
        .compile("staging")
        .unwrap();
    assert_eq!(
        staging.evaluate("ranked-matchmaking", &someone, t).percent,
        Some(100.0)
    );
}

/// `--rule` cuts back one rule's own rollout: only users that rule had reached
/// lose the short queue, everyone else (other countries, the flag's other
/// paths) keeps what they had.
#[test]
fn stage_rollback_of_a_rule_cuts_only_that_rules_schedule() {
    let (_dir, path) = season0();
    const RULE: &str = "short queue in high-population regions";
    rollback(
        &path,
        &["match-timeout-seconds", "--to-stage", "1", "--rule", RULE],
    )
    .success()
    .stdout(predicate::str::contains(
        "match-timeout-seconds: rule `short queue in high-population regions` rollout cut \
             back to stage 1 of 3 (5% from 2026-12-02T16:00:00Z); removed stage 2 (50% at \
             2026-12-03T16:00:00Z), stage 3 (100% at 2026-12-04T16:00:00Z); env staging keeps \
             its own rules, unchanged",
    ));
    let after = read(&path);
    let (old, new) = only_flag_changed(SEASON0, &after, "match-timeout-seconds");
    assert_eq!(
        line_diff(old, new),
        (
            vec![],
            vec![
                "  { at = \"2026-12-03T16:00:00Z\", percent = 50 },".to_owned(),
                "  { at = \"2026-12-04T16:00:00Z\", percent = 100 },".to_owned(),
            ]
        )
    );
    let (before, cut) = (production(SEASON0), production(&after));
    let t = at("2026-12-06T00:00:00Z");
    let (mut short_before, mut short_after) = (0, 0);
    for i in 0..3000 {
        for country in ["DE", "FR"] {
            let u = user(i).with("country", country);
            let was = before.evaluate("match-timeout-seconds", &u, t);
            let is = cut.evaluate("match-timeout-seconds", &u, t);
            if is.variant == Some("short") {
                assert_eq!(
                    was.variant,
                    Some("short"),
                    "user-{i} in {country} gained it"
                );
                assert_eq!(
                    (is.rule, is.stage, is.percent),
                    (Some(RULE), Some(0), Some(5.0))
                );
            }
            if country == "FR" {
                assert_eq!(
                    (was.variant, was.reason, was.rule),
                    (is.variant, is.reason, is.rule),
                    "user-{i} in FR changed"
                );
            }
            short_before += usize::from(was.variant == Some("short"));
            short_after += usize::from(is.variant == Some("short"));
        }
    }
    assert_eq!(short_before, 3000);
    assert!(
        (100..=200).contains(&short_after),
        "{short_after} of 3000 at 5%"
    );
    // The staging override has its own rules and keeps them.
    let staging = ReleaseFile::from_toml(&after)
        .unwrap()
        .compile("staging")
        .unwrap();
    let de = user(1).with("country", "DE");
    assert_eq!(
        staging.evaluate("match-timeout-seconds", &de, t).variant,
        Some("short")
    );
}

#[test]
fn stage_rollback_of_a_rule_fails_precisely() {
    fails(
        &["match-timeout-seconds", "--to-stage", "1", "--rule", "nope"],
        &[
            "flags.match-timeout-seconds: --rule: unknown rule `nope`; the flag has the rules \
             `short queue in high-population regions`",
        ],
    );
    fails(
        &[
            "ranked-matchmaking",
            "--to-stage",
            "1",
            "--rule",
            "internal testers first",
        ],
        &[
            "flags.ranked-matchmaking: --rule: rule `internal testers first` serves `on` to \
             everyone it matches and has no staged rollout; use a partial rollback",
        ],
    );
    fails(
        &["season-banner", "--to-stage", "1", "--rule", "x"],
        &["flags.season-banner: --rule: unknown rule `x`; the flag has no named rules"],
    );
    fails(
        &[
            "match-timeout-seconds",
            "--to-stage",
            "3",
            "--rule",
            "short queue in high-population regions",
        ],
        &[
            "--to-stage: the rule `short queue in high-population regions` rollout already ends \
             at stage 3 of 3",
        ],
    );
    fails(
        &[
            "match-timeout-seconds",
            "--to-stage",
            "7",
            "--rule",
            "short queue in high-population regions",
        ],
        &[
            "--to-stage: stage 7 is out of range: the rule `short queue in high-population regions` rollout has 3 stages",
        ],
    );
}

#[test]
fn json_output_has_flag_kind_changed_next() {
    for (args, kind) in [
        (vec!["store-layout"], "full"),
        (
            vec!["store-layout", "--segment", "legacy-android"],
            "partial",
        ),
        (vec!["store-layout", "--to-stage", "1"], "stage"),
    ] {
        let (_dir, path) = season0();
        let out = edgeflag()
            .args(["--json", "rollback"])
            .arg(&path)
            .args(&args)
            .assert()
            .success();
        let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let obj = json.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["changed", "flag", "kind", "next", "warning"]);
        assert_eq!(json["flag"], "store-layout");
        assert_eq!(json["kind"], kind);
        // Only the stage cut leaves a plan the checklist rejects: the next
        // build must be forced, and the output says so.
        let forced = json["next"].as_str().unwrap().ends_with(" --force");
        assert_eq!(forced, kind == "stage", "{kind}: {}", json["next"]);
        assert_eq!(json["warning"].is_string(), kind == "stage", "{kind}");
        assert!(
            json["changed"]
                .as_str()
                .unwrap()
                .starts_with("store-layout: ")
        );
        assert!(json["next"].as_str().unwrap().starts_with(&format!(
            "edgeflag build {} --env production --key KEY.pem",
            path.display()
        )));
    }
}

/// Each failure: exit 2, a message naming the file and the place, and the
/// file byte for byte as it was.
fn fails(args: &[&str], expected: &[&str]) {
    let (_dir, path) = season0();
    let mut assert = rollback(&path, args)
        .code(2)
        .stderr(predicate::str::contains(path.display().to_string()));
    for e in expected {
        assert = assert.stderr(predicate::str::contains(*e));
    }
    assert_eq!(read(&path), SEASON0, "{args:?} changed the file");
    no_temp_files(&path);
}

#[test]
fn unknown_flag_fails() {
    fails(
        &["ranked-matchmakin"],
        &["unknown flag `ranked-matchmakin`", "`ranked-matchmaking`"],
    );
}

#[test]
fn unknown_segment_fails() {
    fails(
        &["ranked-matchmaking", "--segment", "legacy-androi"],
        &[
            "flags.ranked-matchmaking: --segment: unknown segment `legacy-androi`",
            "`legacy-android`",
        ],
    );
}

#[test]
fn malformed_match_fails_precisely() {
    let m = "flags.ranked-matchmaking: --match";
    let cases: [(&str, &str); 7] = [
        ("country", "expected `ATTR OP VALUE`"),
        ("country within FR", "unknown operator `within`"),
        ("country in", "operator `in` needs a value"),
        ("country in FR,,BE", "empty item in the list `FR,,BE`"),
        (
            "level lt high",
            "operator `lt` compares numbers, not `high`",
        ),
        ("beta exists yes", "operator `exists` takes no value"),
        (
            "seen before yesterday",
            "operator `before` needs an rfc 3339 time",
        ),
    ];
    for (arg, why) in cases {
        fails(
            &["ranked-matchmaking", "--match", arg],
            &[&format!("{m} `{arg}`: {why}")],
        );
    }
}

#[test]
fn a_match_the_core_rejects_leaves_the_file_alone() {
    // Only the core knows semver: its validation of the edited text catches it.
    fails(
        &[
            "ranked-matchmaking",
            "--match",
            "appVersion semver_lt banana",
        ],
        &[
            "would make the release invalid, nothing was written",
            "flags.ranked-matchmaking.rollbacks[1].match[0].values",
            "semantic version",
        ],
    );
}

#[test]
fn to_stage_out_of_range_fails() {
    fails(
        &["ranked-matchmaking", "--to-stage", "0"],
        &[
            "flags.ranked-matchmaking: --to-stage: stage 0 is out of range: the rollout has 4 stages; give 1 to 3",
        ],
    );
    fails(
        &["ranked-matchmaking", "--to-stage", "5"],
        &["flags.ranked-matchmaking: --to-stage: stage 5 is out of range"],
    );
    fails(
        &["ranked-matchmaking", "--to-stage", "4"],
        &["--to-stage: the rollout already ends at stage 4 of 4; cutting to it changes nothing"],
    );
    fails(
        &["hotfix-login-throttle", "--to-stage", "1"],
        &["flags.hotfix-login-throttle: rollout.stages: the flag has no staged rollout"],
    );
}

#[test]
fn bad_at_fails() {
    fails(
        &[
            "ranked-matchmaking",
            "--segment",
            "legacy-android",
            "--at",
            "yesterday",
        ],
        &["flags.ranked-matchmaking: --at: `yesterday` is not an rfc 3339 time"],
    );
}

#[test]
fn unknown_serve_variant_fails() {
    fails(
        &[
            "store-layout",
            "--segment",
            "legacy-android",
            "--serve",
            "list",
        ],
        &[
            "flags.store-layout: --serve: unknown variant `list`",
            "`classic`, `grid`, `carousel`",
        ],
    );
    fails(
        &[
            "ranked-matchmaking",
            "--match",
            "country eq FR",
            "--serve",
            "maybe",
        ],
        &["unknown variant `maybe`; the flag has `on`, `off`"],
    );
}

#[test]
fn partial_only_options_are_refused_elsewhere() {
    fails(
        &["ranked-matchmaking", "--serve", "on"],
        &["flags.ranked-matchmaking: --serve: only applies to a partial rollback"],
    );
    fails(
        &[
            "ranked-matchmaking",
            "--to-stage",
            "2",
            "--at",
            "2026-12-04T00:00:00Z",
        ],
        &["--at: only applies to a partial rollback"],
    );
    fails(
        &[
            "ranked-matchmaking",
            "--match",
            "country eq FR",
            "--name",
            "INC-2041 crash on legacy Android",
        ],
        &["--name: the flag already has a partial rollback named"],
    );
}

/// Inline styles: an inline array of rollbacks gets an inline table in the
/// same layout; a flag written as an inline table or with dotted keys stays
/// so; an environment that forces the flag on is switched off as well.
const INLINE: &str = r#"schema = 1 # schema
[release]
name = "mini"

[segments.beta]
match = [{ attr = "beta", op = "exists" }]

[flags]
compact = { type = "boolean", rollout = { stages = [{ at = "2026-01-01T00:00:00Z", percent = 10 }, { at = "2026-01-02T00:00:00Z", percent = 50 }] } } # keep me
dotted.type = "boolean" # dotted
dotted.rollout.percent = 20

[flags.listed]
type = "boolean"
rollbacks = [
  { name = "first", segment = "beta", serve = "off", since = "2026-01-01T00:00:00Z" },
]

[[flags.listed.rollout.stages]]
at = "2026-01-01T00:00:00Z"
percent = 10

[[flags.listed.rollout.stages]]
at = "2026-01-02T00:00:00Z"
percent = 50 # half

[flags.listed.env.production]
enabled = true # forced on

# the end
"#;

const INLINE_AFTER: &str = r#"schema = 1 # schema
[release]
name = "mini"

[segments.beta]
match = [{ attr = "beta", op = "exists" }]

[flags]
compact = { type = "boolean", rollout = { stages = [{ at = "2026-01-01T00:00:00Z", percent = 10 }] }, rollbacks = [{ name = "second", segment = "beta", serve = "off", since = "2026-02-01T00:00:00Z" }], enabled = false } # keep me
dotted.type = "boolean" # dotted
dotted.rollout.percent = 20
dotted.rollbacks = [{ name = "second", segment = "beta", serve = "off", since = "2026-02-01T00:00:00Z" }]

[flags.listed]
type = "boolean"
rollbacks = [
  { name = "first", segment = "beta", serve = "off", since = "2026-01-01T00:00:00Z" },
  { name = "second", segment = "beta", serve = "off", since = "2026-02-01T00:00:00Z" },
]
enabled = false

[[flags.listed.rollout.stages]]
at = "2026-01-01T00:00:00Z"
percent = 10

[flags.listed.env.production]
enabled = false # forced on

# the end
"#;

#[test]
fn inline_styles_are_kept() {
    let (_dir, path) = copy_of(INLINE);
    let partial = |flag: &str| {
        rollback(
            &path,
            &[
                flag,
                "--segment",
                "beta",
                "--at",
                "2026-02-01T00:00:00Z",
                "--name",
                "second",
            ],
        )
        .success();
    };
    partial("listed");
    partial("compact");
    partial("dotted");
    rollback(&path, &["compact", "--to-stage", "1"]).success();
    rollback(&path, &["compact"]).success();
    rollback(&path, &["listed", "--to-stage", "1"]).success();
    rollback(&path, &["listed"])
        .success()
        .stdout(predicate::str::contains(
            "also enabled = false in env production",
        ));
    assert_eq!(read(&path), INLINE_AFTER);

    // A one-stage schedule and a constant percentage cannot be cut back.
    rollback(&path, &["compact", "--to-stage", "1"])
        .code(2)
        .stderr(predicate::str::contains(
            "flags.compact: --to-stage: the rollout has a single stage",
        ));
    rollback(&path, &["dotted", "--to-stage", "1"])
        .code(2)
        .stderr(predicate::str::contains(
            "flags.dotted: rollout.stages: the flag has no staged rollout",
        ));
    assert_eq!(read(&path), INLINE_AFTER);

    let snap = production(&read(&path));
    let d = snap.evaluate("listed", &user(1), at("2026-03-01T00:00:00Z"));
    assert_eq!(d.reason, Reason::Disabled);
    let beta = user(1).with("beta", true);
    let d = snap.evaluate("dotted", &beta, at("2026-03-01T00:00:00Z"));
    assert_eq!((d.reason, d.variant), (Reason::Rollback, Some("off")));
}
