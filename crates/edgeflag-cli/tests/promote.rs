#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The promotion gate: production only gets a candidate signed for staging
//! at least the soak before (the hotfix soak for hotfix-only changes), and
//! `--force` needs a reason, which the snapshot keeps. One folder of
//! snapshots, one release history, each step a row: what is built, when,
//! and what `build` must answer.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

const SEASON0: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/season0.toml");
const GATE: &str = "promote = { from = \"staging\", to = [\"production\"], soak = \"24h\", hotfix_soak = \"30m\" }\n";

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

/// season0 with the gate, and the edits the steps build.
fn release(edit: &str) -> String {
    let base = std::fs::read_to_string(SEASON0).unwrap();
    let gated = base.replacen(
        "require_rollback = true\n",
        &format!("require_rollback = true\n{GATE}"),
        1,
    );
    let (from, to) = match edit {
        "base" => return gated,
        // A comment and blank lines only: the same candidate.
        "comment" => (
            "[release]\n",
            "[release]\n# reviewed by the release manager\n\n",
        ),
        // One value of a flag that is not a hotfix.
        "store-layout" => (
            "{ at = \"2026-12-01T16:00:00Z\", percent = 5 },\n  { at = \"2026-12-03T16:00:00Z\", percent = 100 },",
            "{ at = \"2026-12-01T16:00:00Z\", percent = 4 },\n  { at = \"2026-12-03T16:00:00Z\", percent = 100 },",
        ),
        // The hotfix flag only.
        "hotfix" => (
            "login retries (INC-2050)",
            "login retries harder (INC-2050)",
        ),
        other => panic!("no edit {other}"),
    };
    assert!(gated.contains(from), "edit {edit} must apply");
    gated.replacen(from, to, 1)
}

struct Step {
    what: &'static str,
    edit: &'static str,
    env: &'static str,
    at: &'static str,
    extra: &'static [&'static str],
    /// `Ok(())`: built. `Err(text)`: refused, the message containing `text`.
    expect: Result<(), &'static str>,
}

const STEPS: &[Step] = &[
    Step {
        what: "production without staging",
        edit: "base",
        env: "production",
        at: "2026-12-03T10:00:00Z",
        extra: &[],
        expect: Err(
            "not promoted to `production` (NO_SOURCE_SNAPSHOT): no staging snapshot of this candidate (sha256:",
        ),
    },
    Step {
        what: "staging first",
        edit: "base",
        env: "staging",
        at: "2026-12-03T10:00:00Z",
        extra: &[],
        expect: Ok(()),
    },
    Step {
        what: "too short a soak",
        edit: "base",
        env: "production",
        at: "2026-12-03T13:00:00Z",
        extra: &[],
        expect: Err(
            "(SOAK_TOO_SHORT): the candidate was signed for staging 3h ago; production needs 24h (at 2026-12-04T10:00:00Z)",
        ),
    },
    Step {
        what: "after the soak, a comment-only edit is the same candidate",
        edit: "comment",
        env: "production",
        at: "2026-12-04T10:00:00Z",
        extra: &[],
        expect: Ok(()),
    },
    Step {
        what: "a changed flag after staging",
        edit: "store-layout",
        env: "production",
        at: "2026-12-05T10:00:00Z",
        extra: &[],
        expect: Err(
            "(OTHER_CANDIDATE): no staging snapshot of this candidate; staging has candidate sha256:",
        ),
    },
    Step {
        what: "the hotfix in staging",
        edit: "hotfix",
        env: "staging",
        at: "2026-12-05T10:00:00Z",
        extra: &[],
        expect: Ok(()),
    },
    Step {
        what: "the hotfix before its soak",
        edit: "hotfix",
        env: "production",
        at: "2026-12-05T10:10:00Z",
        extra: &[],
        expect: Err(
            "the candidate was signed for staging 10m ago; production needs 30m for a hotfix (at 2026-12-05T10:30:00Z)",
        ),
    },
    Step {
        what: "the hotfix after its soak",
        edit: "hotfix",
        env: "production",
        at: "2026-12-05T10:30:00Z",
        extra: &[],
        expect: Ok(()),
    },
    Step {
        what: "--force without --reason",
        edit: "store-layout",
        env: "production",
        at: "2026-12-05T11:00:00Z",
        extra: &["--force"],
        expect: Err(
            "(FORCE_WITHOUT_REASON): --force bypasses the promotion gate only with --reason \"...\", which the snapshot records; the gate says: no staging snapshot of this candidate",
        ),
    },
    Step {
        what: "--force with a reason",
        edit: "store-layout",
        env: "production",
        at: "2026-12-05T11:00:00Z",
        extra: &["--force", "--reason", "INC-2077: sev1, staging is down"],
        expect: Ok(()),
    },
];

/// A temporary folder with a key pair in `keys/`.
fn keyed() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    edgeflag()
        .args(["keygen", "--out"])
        .arg(tmp.path().join("keys"))
        .assert()
        .success();
    tmp
}

#[test]
fn the_gate_step_by_step() {
    let tmp = keyed();
    let dir = tmp.path();
    let snaps = dir.join("snaps");
    std::fs::create_dir_all(&snaps).unwrap();
    let mut built: Vec<(usize, Value)> = Vec::new();
    for (i, s) in STEPS.iter().enumerate() {
        let file = dir.join(format!("step{i}.toml"));
        std::fs::write(&file, release(s.edit)).unwrap();
        let out: PathBuf = snaps.join(format!("{}-{i}.json", s.env));
        let mut cmd = edgeflag();
        cmd.arg("--json")
            .arg("build")
            .arg(&file)
            .args(["--env", s.env, "--at", s.at, "--key"]);
        cmd.arg(dir.join("keys/edgeflag.pem"))
            .arg("--out")
            .arg(&out);
        // The folder: this environment's latest to chain onto, and staging's snapshots.
        let has_env = std::fs::read_dir(&snaps)
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(s.env));
        if has_env {
            cmd.arg("--previous").arg(&snaps);
        } else {
            cmd.args(["--version", "1"]);
            if s.env == "production" && std::fs::read_dir(&snaps).unwrap().next().is_some() {
                for e in std::fs::read_dir(&snaps).unwrap() {
                    cmd.arg("--promote-from").arg(e.unwrap().path());
                }
            }
        }
        cmd.args(s.extra);
        let o = cmd.output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        match s.expect {
            Ok(()) => {
                assert!(o.status.success(), "step {i} ({}): {stderr}", s.what);
                built.push((i, serde_json::from_str(&stdout).unwrap()));
            }
            Err(text) => {
                assert!(!o.status.success(), "step {i} ({}) was built", s.what);
                assert!(
                    stderr.contains(text),
                    "step {i} ({}): expected …{text}…, got {stderr}",
                    s.what
                );
                assert!(
                    !out.exists(),
                    "step {i}: a refused build wrote {}",
                    out.display()
                );
            }
        }
    }
    let info = |i: usize| &built.iter().find(|(j, _)| *j == i).unwrap().1;
    // The staging snapshot and the production one promoted from it share the
    // candidate, and production names the staging snapshot.
    let (staging, prod) = (info(1), info(3));
    assert_eq!(staging["candidate"], prod["candidate"]);
    assert!(
        staging["candidate"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(staging["promotion"], Value::Null, "staging is not gated");
    let p = &prod["promotion"];
    assert_eq!(
        (p["from"].as_str(), p["version"].as_u64()),
        (Some("staging"), Some(1))
    );
    assert_eq!(p["digest"], staging["digest"]);
    assert_eq!(p["issued_at"], "2026-12-03T10:00:00Z");
    // `hotfix` is written only when true.
    assert_eq!(
        (p["hotfix"].as_bool().unwrap_or(false), &p["forced"]),
        (false, &Value::Null)
    );
    // The hotfix went through on the shorter soak, from the second staging snapshot.
    let h = &info(7)["promotion"];
    assert_eq!(
        (h["hotfix"].as_bool(), h["version"].as_u64()),
        (Some(true), Some(2))
    );
    let forced = &info(9)["promotion"];
    assert_eq!(forced["forced"], "INC-2077: sev1, staging is down");
    assert_eq!(
        forced["version"],
        Value::Null,
        "no staging snapshot of that candidate"
    );
    assert_ne!(info(9)["candidate"], info(7)["candidate"]);

    // `log` shows the chain of promotions and marks the forced one.
    let log = edgeflag()
        .arg("log")
        .arg(&snaps)
        .arg("--trust")
        .arg(dir.join("keys/edgeflag.pub.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&log.stdout);
    assert!(text.contains("promoted   from staging v1"), "{text}");
    assert!(
        text.contains("promoted   from staging v2 (hotfix soak)"),
        "{text}"
    );
    assert!(
        text.contains("FORCED PROMOTION: INC-2077: sev1, staging is down"),
        "{text}"
    );
}

#[test]
fn a_changed_flag_is_named() {
    let tmp = keyed();
    let dir = tmp.path();
    let key = dir.join("keys/edgeflag.pem");
    let build = |edit: &str, env: &str, at: &str, extra: &[&std::path::Path]| {
        let file = dir.join(format!("{edit}.toml"));
        std::fs::write(&file, release(edit)).unwrap();
        let mut cmd = edgeflag();
        cmd.arg("build")
            .arg(&file)
            .args(["--env", env, "--at", at, "--version", "1", "--key"])
            .arg(&key);
        cmd.arg("--out").arg(dir.join(format!("{env}-{edit}.json")));
        for p in extra {
            cmd.arg("--promote-from").arg(p);
        }
        cmd.output().unwrap()
    };
    assert!(
        build("base", "staging", "2026-12-03T10:00:00Z", &[])
            .status
            .success()
    );
    let staging = dir.join("staging-base.json");
    let o = build(
        "store-layout",
        "production",
        "2026-12-06T10:00:00Z",
        &[&staging],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(1 flag differs: store-layout)"), "{err}");
    // `notes` of the promoted snapshot says where and how long it was tested.
    assert!(
        build("base", "production", "2026-12-04T12:00:00Z", &[&staging])
            .status
            .success()
    );
    let notes = edgeflag()
        .arg("notes")
        .arg(dir.join("base.toml"))
        .args(["--env", "production", "--snapshot"])
        .arg(dir.join("production-base.json"))
        .arg("--trust")
        .arg(dir.join("keys/edgeflag.pub.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&notes.stdout);
    assert!(
        text.contains("tested in staging from 2026-12-03T10:00:00Z to 2026-12-04T12:00:00Z"),
        "{text}{}",
        String::from_utf8_lossy(&notes.stderr)
    );
}
