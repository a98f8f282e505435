//! The release checklist, as the release manager runs it before a build.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use edgeflag::{Check, CheckStatus, ChecklistReport, ReleaseFile, Thresholds, check};
use serde_json::json;

fn read(name: &str) -> String {
    std::fs::read_to_string(common::root().join("examples").join(name)).unwrap()
}

fn season0_with(from: &str, to: &str) -> ReleaseFile {
    let src = read("season0.toml");
    assert!(src.contains(from), "season0.toml no longer has {from:?}");
    ReleaseFile::from_toml(&src.replace(from, to)).unwrap()
}

fn broken() -> ChecklistReport {
    check(&ReleaseFile::from_toml(&read("broken-release.toml")).unwrap())
}

fn status<'a>(report: &'a ChecklistReport, flag: &str, c: Check) -> &'a CheckStatus {
    report
        .flag(flag)
        .unwrap_or_else(|| panic!("no flag {flag}"))
        .status(c)
        .unwrap_or_else(|| panic!("no {c:?} on {flag}"))
}

fn fail(message: &str) -> CheckStatus {
    CheckStatus::Fail(message.to_owned())
}

fn na(reason: &str) -> CheckStatus {
    CheckStatus::NotApplicable(reason.to_owned())
}

/// A one-flag release with everything but the flag's own fields in order.
fn one_flag(checklist: &str, flag: &str) -> ChecklistReport {
    let src = format!(
        r#"schema = 1
[release]
name = "t"
owner = "release-eng@example.com"
incident_channel = "https://chat.example.com/incidents"
{checklist}
[flags.x]
type = "boolean"
owner = "team@example.com"
description = "x"
{flag}
"#
    );
    check(&ReleaseFile::from_toml(&src).unwrap())
}

const ROLLBACK: &str = r#"runbook = "https://runbooks.example.com/x"
rollback = { variant = "off", steps = ["Run `edgeflag rollback x`"] }"#;

#[test]
fn season0_passes_every_check() {
    let report = check(&common::season0());
    let failures: Vec<_> = report
        .flags
        .iter()
        .flat_map(|f| f.items.iter().map(move |i| (&f.flag, i)))
        .filter(|(_, i)| i.status.is_fail())
        .collect();
    assert_eq!(failures, vec![]);
    assert!(report.passed());
    assert_eq!(report.release, "season0");
    assert_eq!(
        report.release_status(Check::ReleaseOwner),
        Some(&CheckStatus::Pass)
    );
    assert_eq!(
        report.release_status(Check::IncidentChannel),
        Some(&CheckStatus::Pass)
    );
    assert_eq!(
        (
            report.summary.flags,
            report.summary.flags_passing,
            report.summary.violations
        ),
        (6, 6, 0)
    );
    for f in &report.flags {
        assert_eq!(f.items.len(), Check::FLAG.len(), "{}", f.flag);
        for c in [
            Check::Owner,
            Check::Description,
            Check::Runbook,
            Check::RollbackVariant,
            Check::RollbackSteps,
        ] {
            assert_eq!(
                status(&report, &f.flag, c),
                &CheckStatus::Pass,
                "{} {c:?}",
                f.flag
            );
        }
    }
    for staged in [
        "ranked-matchmaking",
        "store-layout",
        "ranked-rewards",
        "season-banner",
        "match-timeout-seconds",
    ] {
        assert_eq!(
            status(&report, staged, Check::StagedPlan),
            &CheckStatus::Pass
        );
    }
    assert_eq!(
        status(&report, "hotfix-login-throttle", Check::StagedPlan),
        &na("a hotfix (`hotfix = true`) ships at once")
    );
}

#[test]
fn broken_release_validates_but_fails_every_check() {
    let r = broken();
    assert!(!r.passed());
    assert_eq!(
        r.release_status(Check::ReleaseOwner),
        Some(&fail("`release.owner` is missing"))
    );
    assert_eq!(
        r.release_status(Check::IncidentChannel),
        Some(&fail("`release.incident_channel` is missing"))
    );

    assert_eq!(
        status(&r, "anonymous", Check::Owner),
        &fail("`owner` is missing")
    );
    assert_eq!(
        status(&r, "anonymous", Check::Description),
        &fail("`description` is missing")
    );
    assert_eq!(
        status(&r, "blank-and-http", Check::Owner),
        &fail("`owner` is empty")
    );
    assert_eq!(
        status(&r, "blank-and-http", Check::Description),
        &fail("`description` is empty")
    );
    assert_eq!(
        status(&r, "blank-and-http", Check::Runbook),
        &fail(
            "`runbook` is \"http://wiki.example.com/runbooks/blank-and-http\", \
             not an https:// link with a host"
        )
    );
    assert_eq!(
        status(&r, "no-runbook", Check::Runbook),
        &fail("`runbook` is missing")
    );
    assert_eq!(
        status(&r, "empty-steps", Check::Runbook),
        &fail("`runbook` is \"https://\", not an https:// link with a host")
    );
    assert_eq!(
        status(&r, "no-rollback", Check::RollbackVariant),
        &fail("`rollback.variant` is missing; it falls back to the default `calm`")
    );
    assert_eq!(
        status(&r, "no-rollback", Check::RollbackSteps),
        &fail("`rollback.steps` is missing")
    );
    assert_eq!(
        status(&r, "empty-steps", Check::RollbackSteps),
        &fail("`rollback.steps` is [\"\"]: every step is empty")
    );

    let plan = |flag| status(&r, flag, Check::StagedPlan);
    assert_eq!(
        plan("constant-percent"),
        &fail("`rollout.percent` is 10, a constant rollout; give it `stages`")
    );
    assert_eq!(
        plan("single-stage"),
        &fail(
            "`rollout.stages` has 1 stage; a staged plan needs at least 2; \
             `rollout.stages[0].percent` is 100, above the first-stage maximum of 5"
        )
    );
    assert_eq!(
        plan("big-first-stage"),
        &fail("`rollout.stages[0].percent` is 50, above the first-stage maximum of 5")
    );
    assert_eq!(
        plan("rushed-stages"),
        &fail(
            "`rollout.stages[1].at` is 1h after stage 0, less than the 12h soak; \
             `rollout.stages[2].at` is 11h30m after stage 1, less than the 12h soak"
        )
    );
    assert_eq!(
        plan("decreasing-stages"),
        &fail("`rollout.stages[2].percent` is 10, below stage 1's 25")
    );
    assert_eq!(
        plan("never-finishes"),
        &fail("`rollout.stages[1].percent` is 50: the last stage must be 100")
    );
    assert_eq!(
        plan("big-bang"),
        &fail(
            "`default` is `on`, not the rollback variant `off`: \
             serves `on` to everyone at once; give it a staged rollout"
        )
    );
    assert_eq!(
        plan("unstaged-rule"),
        &fail(
            "rule `large parties in the US` serves `large`, not the rollback variant `normal`, \
             to everyone it matches at once; give the rule a staged `rollout` or an internal \
             segment; rule `large parties in the EU`: `rules[1].rollout.stages[0].percent` \
             is 20, above the first-stage maximum of 5"
        )
    );
    // The flags whose plan is fine, so each failure above is the one meant.
    for good in ["anonymous", "blank-and-http", "no-runbook", "no-rollback"] {
        assert_eq!(plan(good), &CheckStatus::Pass, "{good}");
    }

    // Every check kind fails somewhere, and every flag fails something. The
    // file has no [checklist] table, so no guard is required: the guard
    // check's failures are pinned by `rollouts_above_the_size_need_a_guard`.
    for c in Check::FLAG.into_iter().filter(|c| *c != Check::Guarded) {
        assert!(
            r.flags.iter().any(|f| f.status(c).unwrap().is_fail()),
            "{c:?} never fails"
        );
    }
    assert_eq!(r.summary.flags, 13);
    assert_eq!(r.summary.flags_passing, 0);
    assert_eq!(r.summary.violations, 2 + 18);
    assert!(!r.summary.passed);
}

#[test]
fn absent_checklist_means_the_defaults() {
    let broken = broken();
    assert_eq!(broken.thresholds, Thresholds::default());
    assert_eq!(
        Thresholds::default(),
        Thresholds {
            max_first_stage_percent: 5.0,
            min_stage_soak: "12h".to_owned(),
            min_stage_soak_ms: 43_200_000,
            require_runbook: true,
            require_rollback: true,
            require_guard_above: None,
        }
    );
    // season0 spells out the defaults: without the table nothing changes.
    let table = "[checklist]\nmax_first_stage_percent = 5\nmin_stage_soak = \"12h\"\n\
                 require_runbook = true\nrequire_rollback = true\n";
    let bare = check(&season0_with(table, ""));
    let full = check(&common::season0());
    assert_eq!(bare, full);
    // An empty table keeps the defaults too, required flags included.
    let empty = check(&season0_with(table, "[checklist]\n"));
    assert_eq!(empty.thresholds, Thresholds::default());
}

#[test]
fn a_lower_first_stage_maximum_fails_season0() {
    let r = check(&season0_with(
        "max_first_stage_percent = 5",
        "max_first_stage_percent = 0.5",
    ));
    assert!(!r.passed());
    assert_eq!(
        status(&r, "ranked-matchmaking", Check::StagedPlan),
        &fail("`rollout.stages[0].percent` is 1, above the first-stage maximum of 0.5")
    );
    assert_eq!(
        status(&r, "store-layout", Check::StagedPlan),
        &fail("`rollout.stages[0].percent` is 5, above the first-stage maximum of 0.5")
    );
    // Rule rollouts are held to the same threshold, and the message names the rule.
    assert_eq!(
        status(&r, "match-timeout-seconds", Check::StagedPlan),
        &fail(
            "rule `short queue in high-population regions`: \
             `rules[0].rollout.stages[0].percent` is 5, above the first-stage maximum of 0.5"
        )
    );
    assert_eq!((r.summary.flags_passing, r.summary.violations), (1, 5));
}

#[test]
fn a_longer_soak_fails_season0() {
    let r = check(&season0_with(
        "min_stage_soak = \"12h\"",
        "min_stage_soak = \"1d12h\"",
    ));
    // 24h, 24h then 48h apart: only the last gap is long enough.
    assert_eq!(
        status(&r, "ranked-matchmaking", Check::StagedPlan),
        &fail(
            "`rollout.stages[1].at` is 1d after stage 0, less than the 1d12h soak; \
             `rollout.stages[2].at` is 1d after stage 1, less than the 1d12h soak"
        )
    );
    assert_eq!(
        status(&r, "store-layout", Check::StagedPlan),
        &CheckStatus::Pass
    );
    assert_eq!(r.thresholds.min_stage_soak_ms, 129_600_000);
}

#[test]
fn the_soak_boundary_is_inclusive() {
    let stages = |second: &str| {
        format!(
            "{ROLLBACK}\n[flags.x.rollout]\nstages = [\
             {{ at = \"2026-12-01T00:00:00Z\", percent = 1 }}, \
             {{ at = \"{second}\", percent = 100 }}]"
        )
    };
    let exact = one_flag("", &stages("2026-12-01T12:00:00Z"));
    assert!(exact.passed());
    let short = one_flag("", &stages("2026-12-01T11:59:59.999Z"));
    assert_eq!(
        status(&short, "x", Check::StagedPlan),
        &fail("`rollout.stages[1].at` is 11h59m59s999ms after stage 0, less than the 12h soak")
    );
}

#[test]
fn disabled_and_hotfix_flags_are_exempt_from_the_staged_plan() {
    let big_bang = format!("{ROLLBACK}\ndefault = \"on\"");
    let constant = format!("{ROLLBACK}\nrollout = {{ percent = 50 }}");
    for plan in [&big_bang, &constant] {
        let disabled = one_flag("", &format!("enabled = false\n{plan}"));
        assert_eq!(
            status(&disabled, "x", Check::StagedPlan),
            &na("disabled (`enabled = false`): it serves its rollback variant `off`")
        );
        assert!(disabled.passed());
        let hotfix = one_flag("", &format!("hotfix = true\n{plan}"));
        assert_eq!(
            status(&hotfix, "x", Check::StagedPlan),
            &na("a hotfix (`hotfix = true`) ships at once")
        );
        assert!(hotfix.passed());
        let plain = one_flag("", plan);
        assert!(status(&plain, "x", Check::StagedPlan).is_fail());
    }
    // Exempt from the plan, not from the rest of the list.
    let bare_hotfix = one_flag("", "hotfix = true\ndefault = \"on\"");
    assert_eq!(
        status(&bare_hotfix, "x", Check::RollbackSteps),
        &fail("`rollback.steps` is missing")
    );
    assert_eq!(
        status(&bare_hotfix, "x", Check::RollbackVariant),
        &fail("`rollback.variant` is missing; it falls back to the default `on`")
    );
}

#[test]
fn a_rollout_does_not_excuse_an_unsafe_default() {
    // Users outside the rollout get the default, so `on` reaches them at once.
    let r = one_flag(
        "",
        &format!(
            "{ROLLBACK}\ndefault = \"on\"\n[flags.x.rollout]\nstages = [\
             {{ at = \"2026-12-01T00:00:00Z\", percent = 1 }}, \
             {{ at = \"2026-12-02T00:00:00Z\", percent = 100 }}]"
        ),
    );
    assert_eq!(
        status(&r, "x", Check::StagedPlan),
        &fail(
            "`default` is `on`, not the rollback variant `off`: \
             serves `on` to everyone outside the rollout at once; give it a staged rollout"
        )
    );
    // The same flag with the safe default is fine.
    let safe = one_flag(
        "",
        &format!(
            "{ROLLBACK}\n[flags.x.rollout]\nstages = [\
             {{ at = \"2026-12-01T00:00:00Z\", percent = 1 }}, \
             {{ at = \"2026-12-02T00:00:00Z\", percent = 100 }}]"
        ),
    );
    assert!(safe.passed());
}

#[test]
fn optional_runbook_and_rollback_are_not_applicable() {
    let relaxed = "[checklist]\nrequire_runbook = false\nrequire_rollback = false";
    let r = one_flag(relaxed, "");
    assert!(r.passed());
    assert_eq!(
        status(&r, "x", Check::Runbook),
        &na("not required: `checklist.require_runbook` is false")
    );
    for c in [Check::RollbackVariant, Check::RollbackSteps] {
        assert_eq!(
            status(&r, "x", c),
            &na("not required: `checklist.require_rollback` is false")
        );
    }
    // A runbook given anyway must still open.
    let bad = one_flag(relaxed, "runbook = \"ftp://files.example.com/x\"");
    assert_eq!(
        status(&bad, "x", Check::Runbook),
        &fail("`runbook` is \"ftp://files.example.com/x\", not an https:// link with a host")
    );
}

#[test]
fn runbook_links_need_https_and_a_host() {
    for good in [
        "https://runbooks.example.com",
        "HTTPS://runbooks.example.com/x?y#z",
        "https://user@runbooks.example.com:8443/x",
        "https://localhost",
    ] {
        let r = one_flag(
            "",
            &format!("runbook = {good:?}\nrollback = {{ variant = \"off\", steps = [\"s\"] }}"),
        );
        assert!(r.passed(), "{good}: {:?}", status(&r, "x", Check::Runbook));
    }
    for bad in [
        "https://",
        "https:///path",
        "https://:443/x",
        "https://exa mple.com",
        "https://[2001:db8::1]/x",
        "https://example.com:https",
        "runbooks.example.com/x",
        "https//example.com",
    ] {
        let r = one_flag("", &format!("runbook = {bad:?}"));
        assert_eq!(
            status(&r, "x", Check::Runbook),
            &fail(&format!(
                "`runbook` is {bad:?}, not an https:// link with a host"
            )),
        );
    }
}

#[test]
fn the_release_needs_an_owner_and_an_https_incident_channel() {
    let r = check(&season0_with(
        "incident_channel = \"https://chat.example.com/channels/season0-incidents\"",
        "incident_channel = \"#season0-incidents\"",
    ));
    assert_eq!(
        r.release_status(Check::IncidentChannel),
        Some(&fail(
            "`release.incident_channel` is \"#season0-incidents\", not an https:// link with a host"
        ))
    );
    assert_eq!(r.summary.flags_passing, 6);
    assert_eq!(r.summary.violations, 1);
    assert!(!r.passed());
}

#[test]
fn the_report_serializes_for_the_cli() {
    let r = broken();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v["summary"],
        json!({ "flags": 13, "flags_passing": 0, "violations": 20, "passed": false })
    );
    assert_eq!(v["thresholds"]["min_stage_soak"], "12h");
    assert_eq!(
        v["release_items"][0],
        json!({ "check": "release_owner", "status": "fail", "message": "`release.owner` is missing" })
    );
    let anonymous = &v["flags"][0];
    assert_eq!(anonymous["flag"], "anonymous");
    assert_eq!(
        anonymous["items"][2],
        json!({ "check": "runbook", "status": "pass" })
    );
    let season0 = serde_json::to_value(check(&common::season0())).unwrap();
    let hotfix = &season0["flags"][4];
    assert_eq!(hotfix["flag"], "hotfix-login-throttle");
    assert_eq!(
        hotfix["items"][5],
        json!({
            "check": "staged_plan",
            "status": "not_applicable",
            "message": "a hotfix (`hotfix = true`) ships at once",
        })
    );
    for (i, c) in Check::FLAG.into_iter().enumerate() {
        assert_eq!(
            anonymous["items"][i]["check"],
            serde_json::to_value(c).unwrap()
        );
    }
}

#[test]
fn a_production_override_cannot_skip_the_staged_plan() {
    // Production goes to everyone at once through an override; the base plan is fine.
    let release = season0_with(
        "# Staging runs the whole feature from the start.",
        "[flags.store-layout.env.production.rollout]\nweights = { classic = 50, grid = 25, carousel = 25 }\npercent = 100\n\n# Staging runs the whole feature from the start.",
    );
    let report = check(&release);
    assert_eq!(
        status(&report, "store-layout", Check::StagedPlan),
        &fail("`rollout.percent` is 100, a constant rollout; give it `stages`")
    );
    // Staging's own 100% override is not held to production's thresholds.
    assert_eq!(
        status(&report, "ranked-matchmaking", Check::StagedPlan),
        &CheckStatus::Pass
    );
}

/// Every path to a new variant is held to the staged plan: each rule that
/// serves one to all it matches, and each rule rollout, case by case.
#[test]
fn every_rule_is_a_path_the_staged_plan_holds() {
    const SEGMENTS: &str = r#"[segments.qa]
internal = true
match = [{ attr = "email", op = "ends_with", value = "@example.com" }]
[segments.android]
match = [{ attr = "platform", op = "eq", value = "android" }]"#;
    const STAGES: &str = r#"stages = [
  { at = "2026-12-01T00:00:00Z", percent = 5 },
  { at = "2026-12-02T00:00:00Z", percent = 25 },
  { at = "2026-12-03T00:00:00Z", percent = 100 },
]"#;
    let cases: &[(&str, String, Option<&str>)] = &[
        (
            "a rule on an internal segment ships at once",
            "[[flags.x.rules]]\nname = \"qa\"\nsegment = \"qa\"\nserve = \"on\"".into(),
            None,
        ),
        (
            "a rule serving the rollback variant is safe",
            "[[flags.x.rules]]\nname = \"android off\"\nsegment = \"android\"\nserve = \"off\""
                .into(),
            None,
        ),
        (
            "a rule on a segment that is not internal",
            "[[flags.x.rules]]\nname = \"android\"\nsegment = \"android\"\nserve = \"on\"".into(),
            Some(
                "rule `android` serves `on`, not the rollback variant `off`, to everyone it \
                 matches at once; give the rule a staged `rollout` or an internal segment",
            ),
        ),
        (
            "an unnamed rule is named by its place",
            "[[flags.x.rules]]\nmatch = [{ attr = \"country\", op = \"eq\", value = \"US\" }]\nserve = \"on\""
                .into(),
            Some(
                "rule `rule 1` serves `on`, not the rollback variant `off`, to everyone it \
                 matches at once; give the rule a staged `rollout` or an internal segment",
            ),
        ),
        (
            "a staged rule rollout passes",
            format!("[[flags.x.rules]]\nname = \"android\"\nsegment = \"android\"\n[flags.x.rules.rollout]\n{STAGES}"),
            None,
        ),
        (
            "a constant rule rollout",
            "[[flags.x.rules]]\nname = \"android\"\nsegment = \"android\"\nrollout = { percent = 30 }".into(),
            Some("rule `android`: `rules[0].rollout.percent` is 30, a constant rollout; give it `stages`"),
        ),
        (
            "a rule rollout that stops short and soaks too little",
            "[[flags.x.rules]]\nname = \"android\"\nsegment = \"android\"\n[flags.x.rules.rollout]\n\
             stages = [{ at = \"2026-12-01T00:00:00Z\", percent = 1 }, { at = \"2026-12-01T06:00:00Z\", percent = 50 }]"
                .into(),
            Some(
                "rule `android`: `rules[0].rollout.stages[1].at` is 6h after stage 0, less than \
                 the 12h soak; rule `android`: `rules[0].rollout.stages[1].percent` is 50: the \
                 last stage must be 100",
            ),
        ),
        (
            "a rule rollout with one stage, going down",
            "[[flags.x.rules]]\nname = \"qa\"\nsegment = \"qa\"\n[flags.x.rules.rollout]\n\
             stages = [{ at = \"2026-12-01T00:00:00Z\", percent = 100 }]"
                .into(),
            Some(
                "rule `qa`: `rules[0].rollout.stages` has 1 stage; a staged plan needs at least 2; \
                 rule `qa`: `rules[0].rollout.stages[0].percent` is 100, above the first-stage \
                 maximum of 5",
            ),
        ),
        (
            "a production override brings an unstaged rule",
            format!(
                "[[flags.x.rules]]\nname = \"android\"\nsegment = \"android\"\n[flags.x.rules.rollout]\n{STAGES}\n\
                 [[flags.x.env.production.rules]]\nname = \"android\"\nsegment = \"android\"\nserve = \"on\""
            ),
            Some(
                "rule `android` serves `on`, not the rollback variant `off`, to everyone it \
                 matches at once; give the rule a staged `rollout` or an internal segment",
            ),
        ),
    ];
    for (name, rules, want) in cases {
        let r = one_flag(SEGMENTS, &format!("{ROLLBACK}\n{rules}"));
        let got = status(&r, "x", Check::StagedPlan);
        match want {
            Some(message) => assert_eq!(got, &fail(message), "{name}"),
            None => assert_eq!(got, &CheckStatus::Pass, "{name}"),
        }
        // A hotfix ships every rule at once on purpose.
        let hotfix = one_flag(SEGMENTS, &format!("{ROLLBACK}\nhotfix = true\n{rules}"));
        assert_eq!(
            status(&hotfix, "x", Check::StagedPlan),
            &na("a hotfix (`hotfix = true`) ships at once"),
            "{name}"
        );
    }
}

/// `[checklist] require_guard_above`: rollouts reaching more than it need a
/// guard; each case is the checklist line, the flag's rollout lines, and the
/// `guarded` verdict.
#[test]
fn rollouts_above_the_size_need_a_guard() {
    const GUARD: &str = "guard = { metric = \"match_error\", max_relative_increase = 0.25, on_regression = \"rollback\" }";
    let cases: &[(&str, String, Result<(), &str>)] = &[
        ("", "percent = 50".to_owned(), Err("no guard required: [checklist] require_guard_above is not set")),
        ("require_guard_above = 10", "percent = 5".to_owned(), Ok(())),
        ("require_guard_above = 10", "percent = 50".to_owned(),
            Err("FAIL the rollout reaches 50% without a guard; [checklist] require_guard_above is 10%")),
        ("require_guard_above = 10", format!("percent = 50\n{GUARD}"), Ok(())),
        ("require_guard_above = 10",
            "stages = [{ at = \"2026-12-01T00:00:00Z\", percent = 1 }, { at = \"2026-12-02T00:00:00Z\", percent = 12.5 }]".to_owned(),
            Err("FAIL the rollout reaches 12.5% without a guard; [checklist] require_guard_above is 10%")),
    ];
    for (line, rollout, want) in cases {
        let toml = format!(
            "schema = 1\n[release]\nname = \"r\"\n[checklist]\n{line}\n[flags.f]\ntype = \"boolean\"\n[flags.f.rollout]\nvariant = \"on\"\n{rollout}\n"
        );
        let release = ReleaseFile::from_toml(&toml).unwrap();
        let report = check(&release);
        let got = status(&report, "f", Check::Guarded);
        match want {
            Ok(()) => assert_eq!(got, &CheckStatus::Pass, "{line} / {rollout}"),
            Err(m) if m.starts_with("FAIL ") => {
                assert_eq!(
                    got,
                    &CheckStatus::Fail(m["FAIL ".len()..].to_owned()),
                    "{line} / {rollout}"
                )
            }
            Err(m) => assert_eq!(
                got,
                &CheckStatus::NotApplicable((*m).to_owned()),
                "{line} / {rollout}"
            ),
        }
    }
}
