#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `edgeflag notes`: Markdown release notes from a release file.

use assert_cmd::Command;

const SEASON0: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/season0.toml");
const AT: &str = "2026-12-02T18:00:00Z";

fn notes(release: &str, env: &str, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("edgeflag")
        .unwrap()
        .args(["notes", release, "--env", env, "--at", AT])
        .args(extra)
        .output()
        .unwrap()
}

fn text(env: &str) -> String {
    let out = notes(SEASON0, env, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn release() -> edgeflag::ReleaseFile {
    edgeflag::ReleaseFile::from_toml(&std::fs::read_to_string(SEASON0).unwrap()).unwrap()
}

/// The section of one flag: from its heading to the next flag's.
fn section<'a>(md: &'a str, key: &str) -> &'a str {
    let start = md
        .find(&format!("## `{key}`"))
        .unwrap_or_else(|| panic!("no heading for {key}"));
    let rest = &md[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

#[test]
fn production_notes_have_everything_an_incident_needs() {
    let md = text("production");
    let release = release();
    assert!(
        md.starts_with("# Release notes: season0 (production)\n"),
        "{md}"
    );
    assert!(md.contains("release-eng@example.com"), "{md}");
    assert!(
        md.contains("[https://chat.example.com/channels/season0-incidents](https://chat.example.com/channels/season0-incidents)"),
        "{md}"
    );
    for (key, def) in &release.flags {
        let s = section(&md, key);
        let runbook = def.runbook.as_deref().unwrap();
        assert!(s.contains(&format!("[{runbook}]({runbook})")), "{key}: {s}");
        assert!(s.contains(def.owner.as_deref().unwrap()), "{key}: {s}");
        assert!(
            s.contains(def.description.as_deref().unwrap()),
            "{key}: {s}"
        );
        assert!(
            s.contains(&format!("- **Type:** {}", def.kind.name())),
            "{key}: {s}"
        );
        for (i, step) in def.rollback.as_ref().unwrap().steps.iter().enumerate() {
            assert!(s.contains(&format!("{}. {step}\n", i + 1)), "{key}: {s}");
        }
    }
    // Flags come in file order.
    let positions: Vec<usize> = release
        .flags
        .keys()
        .map(|k| md.find(&format!("## `{k}`")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");

    let ranked = section(&md, "ranked-matchmaking");
    assert!(
        ranked.contains("| 1 | 2026-12-01T16:00:00Z | 1% |  |"),
        "{ranked}"
    );
    assert!(
        ranked.contains("| 2 | 2026-12-02T16:00:00Z | 5% | **current** |"),
        "{ranked}"
    );
    assert!(
        ranked.contains("| 3 | 2026-12-03T16:00:00Z | 25% |  |"),
        "{ranked}"
    );
    assert!(
        ranked.contains("| 4 | 2026-12-05T16:00:00Z | 100% |  |"),
        "{ranked}"
    );
    assert_eq!(ranked.matches("**current**").count(), 1, "{ranked}");
    assert!(ranked.contains("now: stage 2 of 4, 5%"), "{ranked}");
    assert!(
        ranked.contains(
            "- INC-2041 crash on legacy Android: **active** since 2026-12-02T09:30:00Z; users in segment `legacy-android` get `off`"
        ),
        "{ranked}"
    );
    assert!(
        ranked.contains("- **Targets:** 2 key(s) (2 for `on`)"),
        "{ranked}"
    );
    assert!(
        ranked.contains("- internal testers first: users in segment `internal-testers` get `on`"),
        "{ranked}"
    );

    let hotfix = section(&md, "hotfix-login-throttle");
    assert!(
        hotfix.starts_with("## `hotfix-login-throttle` **hotfix**\n"),
        "{hotfix}"
    );
    assert!(hotfix.contains("No rollout"), "{hotfix}");
    assert_eq!(md.matches("**hotfix**").count(), 1, "{md}");
    assert!(!md.contains("**disabled**"), "{md}");

    let rewards = section(&md, "ranked-rewards");
    assert!(
        rewards.contains("- **Prerequisites:** `ranked-matchmaking` serves `on`"),
        "{rewards}"
    );
    let store = section(&md, "store-layout");
    assert!(
        store.contains("`classic` 50, `grid` 25, `carousel` 25"),
        "{store}"
    );
    assert!(store.contains("bucketed by `accountId`"), "{store}");
    let timeout = section(&md, "match-timeout-seconds");
    assert!(
        timeout.contains(
            "- short queue in high-population regions: users with `country in US, DE, JP` get `short`"
        ),
        "{timeout}"
    );
    assert!(
        md.contains("- **Environment overrides:** none: every flag follows its base plan"),
        "{md}"
    );
}

#[test]
fn partial_rollbacks_before_their_time_are_scheduled() {
    let out = Command::cargo_bin("edgeflag")
        .unwrap()
        .args([
            "notes",
            SEASON0,
            "--env",
            "production",
            "--at",
            "2026-12-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    let ranked = section(&md, "ranked-matchmaking");
    assert!(
        ranked.contains("scheduled from 2026-12-02T09:30:00Z"),
        "{ranked}"
    );
    assert!(ranked.contains("not started (0%)"), "{ranked}");
    assert!(!ranked.contains("**current**"), "{ranked}");
}

#[test]
fn staging_notes_show_the_staging_schedule() {
    let md = text("staging");
    assert!(
        md.starts_with("# Release notes: season0 (staging)\n"),
        "{md}"
    );
    let ranked = section(&md, "ranked-matchmaking");
    assert!(
        ranked.contains("| 1 | 2026-11-20T00:00:00Z | 100% | **current** |"),
        "{ranked}"
    );
    assert!(!ranked.contains("2026-12-02T16:00:00Z"), "{ranked}");
    assert!(
        md.contains("- **Environment overrides:** `ranked-matchmaking`, `match-timeout-seconds`\n"),
        "{md}"
    );
    // Flags without a staging override keep the base plan.
    let store = section(&md, "store-layout");
    assert!(
        store.contains("| 1 | 2026-12-01T16:00:00Z | 5% | **current** |"),
        "{store}"
    );
}

#[test]
fn json_notes_have_every_flag() {
    let out = notes(SEASON0, "production", &["--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["release"], "season0");
    assert_eq!(v["environment"], "production");
    assert_eq!(v["at"], AT);
    assert_eq!(
        v["incident_channel"],
        "https://chat.example.com/channels/season0-incidents"
    );
    let keys: Vec<&str> = v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    let release = release();
    let expected: Vec<&str> = release.flags.keys().map(String::as_str).collect();
    assert_eq!(keys, expected);

    let ranked = &v["flags"][0];
    assert_eq!(ranked["type"], "boolean");
    assert_eq!(ranked["schedule"]["current_stage"], 2);
    assert_eq!(ranked["schedule"]["percent"], 5.0);
    assert_eq!(ranked["schedule"]["stages"][1]["current"], true);
    assert_eq!(ranked["schedule"]["stages"][1]["stage"], 2);
    assert_eq!(ranked["partial_rollbacks"][0]["active"], true);
    assert_eq!(ranked["partial_rollbacks"][0]["segment"], "legacy-android");
    assert_eq!(ranked["targets"], 2);
    assert_eq!(ranked["rollback"]["variant"], "off");
    assert_eq!(ranked["rollback"]["steps"].as_array().unwrap().len(), 3);
    let hotfix = v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "hotfix-login-throttle")
        .unwrap();
    assert_eq!(hotfix["hotfix"], true);
    assert_eq!(hotfix["schedule"], serde_json::Value::Null);
}

#[test]
fn unknown_environments_behave_as_compile_does() {
    // season0 declares no environments: any name compiles to the base plan,
    // and the notes show no overrides.
    assert!(release().compile("prodution").is_ok());
    let md = text("prodution");
    assert!(md.contains("- **Environment overrides:** none"), "{md}");
    let ranked = section(&md, "ranked-matchmaking");
    assert!(
        ranked.contains("| 2 | 2026-12-02T16:00:00Z | 5% | **current** |"),
        "{ranked}"
    );

    // With declared environments, a typo is an error, the same one compile gives.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("declared.toml");
    let src = std::fs::read_to_string(SEASON0).unwrap().replacen(
        "owner = \"release-eng@example.com\"",
        "owner = \"release-eng@example.com\"\nenvironments = [\"production\", \"staging\"]",
        1,
    );
    std::fs::write(&path, &src).unwrap();
    let declared = edgeflag::ReleaseFile::from_toml(&src).unwrap();
    let expected = declared.compile("prodution").unwrap_err().to_string();
    let out = notes(path.to_str().unwrap(), "prodution", &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&expected), "{err}\nexpected: {expected}");
    assert!(out.stdout.is_empty());
    assert!(declared.compile("staging").is_ok());
    assert!(
        notes(path.to_str().unwrap(), "staging", &[])
            .status
            .success()
    );
}

#[test]
fn a_disabled_flag_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.toml");
    let src =
        std::fs::read_to_string(SEASON0)
            .unwrap()
            .replacen("enabled = true", "enabled = false", 1);
    std::fs::write(&path, src).unwrap();
    let out = notes(path.to_str().unwrap(), "production", &[]);
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    let timeout = section(&md, "match-timeout-seconds");
    assert!(
        timeout.starts_with("## `match-timeout-seconds` **disabled**\n"),
        "{timeout}"
    );
    assert!(timeout.contains("everyone gets `normal`"), "{timeout}");
}

#[test]
fn bad_input_names_the_file() {
    let out = notes("/nonexistent/release.toml", "production", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/release.toml"));
    let out = Command::cargo_bin("edgeflag")
        .unwrap()
        .args(["notes", SEASON0, "--env", "production", "--at", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at: `yesterday`"));
}
