//! The release manager's commands end to end: keys, checklist, build, verify,
//! eval, simulate, diff and status, with their exit codes.
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

const AT: &str = "2026-12-02T18:00:00Z";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A key pair and a production snapshot of season0 in a fresh folder.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        edgeflag()
            .args(["keygen", "--out", s(dir.path())])
            .assert()
            .success();
        let setup = Setup { dir };
        setup.build("production", "v1.json", &["--version", "1"]);
        setup
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn key(&self) -> PathBuf {
        self.path("edgeflag.pem")
    }
    fn public(&self) -> PathBuf {
        self.path("edgeflag.pub.pem")
    }
    fn build(&self, env: &str, out: &str, extra: &[&str]) {
        edgeflag()
            .args([
                "build",
                s(&example("season0.toml")),
                "--env",
                env,
                "--key",
                s(&self.key()),
            ])
            .args(["--at", "2026-12-01T00:00:00Z", "--out", s(&self.path(out))])
            .args(extra)
            .assert()
            .success();
    }
    fn json(&self, args: &[&str]) -> Value {
        let out = edgeflag().arg("--json").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read() {
    let setup = Setup::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(setup.key()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pem = std::fs::read_to_string(setup.key()).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    // Never overwrite a signing key.
    edgeflag()
        .args(["keygen", "--out", s(setup.dir.path())])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "already exists; refusing to overwrite a signing key",
        ));
}

#[test]
fn check_passes_season0_and_fails_the_broken_release() {
    edgeflag()
        .args(["check", s(&example("season0.toml"))])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "6 of 6 flag(s) pass; 0 violation(s): ready to build",
        ));
    edgeflag()
        .args(["check", s(&example("broken-release.toml"))])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "big-bang: staged plan: `default` is `on`",
        ))
        .stderr(predicate::str::contains(
            "the release checklist fails with 20 violation(s)",
        ));
    let out = edgeflag()
        .args(["--json", "check", s(&example("broken-release.toml"))])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["violations"], 20);
    // An invalid file is an input error, naming the file, the field and the line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(example("season0.toml")).unwrap();
    std::fs::write(
        &bad,
        text.replace("serve = \"short\"", "serve = \"shortt\""),
    )
    .unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l.contains("serve = \"short\""))
        .unwrap();
    edgeflag().args(["check", s(&bad)]).assert().code(2).stderr(predicate::str::contains(
        format!("bad.toml: flags.match-timeout-seconds.env.staging.rules[0].serve (line {line}): unknown variant `shortt`"),
    ));
}

#[test]
fn build_refuses_a_failing_checklist_unless_forced_and_records_it() {
    let setup = Setup::new();
    let broken = example("broken-release.toml");
    let out = setup.path("broken.json");
    edgeflag()
        .args([
            "build",
            s(&broken),
            "--env",
            "production",
            "--key",
            s(&setup.key()),
            "--out",
            s(&out),
            "--version",
            "1",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the release checklist fails (20 violation(s))",
        ));
    assert!(!out.exists());
    edgeflag()
        .args([
            "build",
            s(&broken),
            "--env",
            "production",
            "--key",
            s(&setup.key()),
            "--out",
            s(&out),
            "--version",
            "1",
            "--force",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("built with --force"));
    let v = setup.json(&["verify", s(&out), "--trust", s(&setup.public())]);
    assert_eq!(v["forced"], true);
}

#[test]
fn build_chains_versions_and_digests() {
    let setup = Setup::new();
    let v1 = setup.json(&[
        "verify",
        s(&setup.path("v1.json")),
        "--trust",
        s(&setup.public()),
        "--at",
        AT,
    ]);
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["expires_at"], "2026-12-31T00:00:00Z");
    setup.build(
        "production",
        "v2.json",
        &["--previous", s(&setup.path("v1.json"))],
    );
    let v2 = setup.json(&[
        "verify",
        s(&setup.path("v2.json")),
        "--trust",
        s(&setup.public()),
        "--at",
        AT,
    ]);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["previous"], v1["digest"]);
    // A staging snapshot cannot continue production's chain: the core says so.
    edgeflag()
        .args([
            "build",
            s(&example("season0.toml")),
            "--env",
            "staging",
            "--key",
            s(&setup.key()),
        ])
        .args([
            "--previous",
            s(&setup.path("v1.json")),
            "--out",
            s(&setup.path("s.json")),
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "v1.json: rejected as --previous (WRONG_ENVIRONMENT): snapshot is for environment `production`, but this consumer serves `staging`",
        ));
    assert!(!setup.path("s.json").exists());
}

#[test]
fn verify_rejects_with_exit_1_and_names_the_reason() {
    let setup = Setup::new();
    let other = tempfile::tempdir().unwrap();
    edgeflag()
        .args(["keygen", "--out", s(other.path()), "--name", "other"])
        .assert()
        .success();
    let snap = setup.path("v1.json");
    edgeflag()
        .args([
            "verify",
            s(&snap),
            "--trust",
            s(&other.path().join("other.pub.pem")),
            "--at",
            AT,
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rejected (UNKNOWN_KEY): no signature from a trusted key",
        ));
    edgeflag()
        .args([
            "verify",
            s(&snap),
            "--trust",
            s(&setup.public()),
            "--min-version",
            "2",
            "--at",
            AT,
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rejected (VERSION_TOO_OLD): snapshot version 1 is below the minimum 2",
        ));
    // Expired: a consumer holding nothing still serves it, under the stale
    // policy, so it verifies, with a warning.
    edgeflag()
        .args([
            "verify",
            s(&snap),
            "--trust",
            s(&setup.public()),
            "--at",
            "2027-02-01T00:00:00Z",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("v1.json: valid"))
        .stderr(predicate::str::contains(
            "v1.json expired at 2026-12-31T00:00:00Z; serving it under the stale policy",
        ));
    edgeflag()
        .args([
            "verify",
            s(&snap),
            "--trust",
            s(&setup.public()),
            "--env",
            "staging",
            "--at",
            AT,
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "v1.json: rejected (WRONG_ENVIRONMENT): snapshot is for environment `production`, but this consumer serves `staging`",
        ));
    edgeflag()
        .args([
            "verify",
            s(&snap),
            "--trust",
            s(&setup.public()),
            "--env",
            "production",
            "--at",
            AT,
        ])
        .assert()
        .success();
    let tampered = setup.path("tampered.json");
    let text = std::fs::read_to_string(&snap).unwrap();
    let mut env: Value = serde_json::from_str(&text).unwrap();
    let payload = env["payload"].as_str().unwrap().to_owned();
    let flipped = if payload.starts_with('e') {
        payload.replacen('e', "f", 1)
    } else {
        format!("e{}", &payload[1..])
    };
    env["payload"] = Value::String(flipped);
    std::fs::write(&tampered, env.to_string()).unwrap();
    edgeflag()
        .args([
            "verify",
            s(&tampered),
            "--trust",
            s(&setup.public()),
            "--at",
            AT,
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rejected ("));
    edgeflag()
        .args([
            "verify",
            s(&setup.path("missing.json")),
            "--trust",
            s(&setup.public()),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json: cannot read"));
    edgeflag().args(["verify", s(&snap)]).assert().code(2);
    edgeflag()
        .args([
            "verify",
            s(&snap),
            "--trust",
            s(&setup.public()),
            "--at",
            "tomorrow",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--at: `tomorrow` is not an rfc 3339 time",
        ));
}

#[test]
fn an_openssl_key_builds_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = (dir.path().join("k.pem"), dir.path().join("k.pub.pem"));
    let ok = |args: &[&str]| {
        assert!(
            std::process::Command::new("openssl")
                .args(args)
                .status()
                .unwrap()
                .success()
        )
    };
    ok(&["genpkey", "-algorithm", "ed25519", "-out", s(&key)]);
    ok(&["pkey", "-in", s(&key), "-pubout", "-out", s(&public)]);
    let out = dir.path().join("snap.json");
    edgeflag()
        .args([
            "build",
            s(&example("season0.toml")),
            "--env",
            "production",
            "--key",
            s(&key),
            "--out",
            s(&out),
            "--version",
            "1",
        ])
        .assert()
        .success();
    edgeflag()
        .args(["verify", s(&out), "--trust", s(&public)])
        .assert()
        .success();
}

#[test]
fn eval_gives_resolution_details() {
    let setup = Setup::new();
    let snap = s(&setup.path("v1.json")).to_owned();
    let public = s(&setup.public()).to_owned();
    let ctx =
        r#"{"targetingKey":"user-1","platform":"android","appVersion":"4.1.9","country":"DE"}"#;
    let all = setup.json(&[
        "eval",
        &snap,
        "--trust",
        &public,
        "--all",
        "--context",
        ctx,
        "--at",
        AT,
    ]);
    assert_eq!(all["ranked-matchmaking"]["reason"], "ROLLBACK");
    assert_eq!(
        all["ranked-matchmaking"]["rule"],
        "INC-2041 crash on legacy Android"
    );
    // The country rule is at its 5% stage, which has not reached user-1.
    assert_eq!(all["match-timeout-seconds"]["value"], 90);
    assert_eq!(all["match-timeout-seconds"]["reason"], "DEFAULT");
    assert_eq!(all["hotfix-login-throttle"]["metadata"]["hotfix"], true);
    assert_eq!(all.as_object().unwrap().len(), 6);
    edgeflag()
        .args([
            "eval",
            &snap,
            "--trust",
            &public,
            "--flag",
            "store-layout",
            "--context",
            "{}",
            "--at",
            AT,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("store-layout").and(predicate::str::contains("DEFAULT")));
    edgeflag()
        .args([
            "eval",
            &snap,
            "--trust",
            &public,
            "--flag",
            "nope",
            "--context",
            "{}",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no flag `nope`"));
    edgeflag()
        .args([
            "eval",
            &snap,
            "--trust",
            &public,
            "--all",
            "--context",
            "[1]",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--context: the context must be a json object",
        ));
}

#[test]
fn simulate_shows_five_percent_at_the_second_stage() {
    let setup = Setup::new();
    let dist = setup.json(&[
        "simulate",
        s(&setup.path("v1.json")),
        "--trust",
        s(&setup.public()),
        "--flag",
        "ranked-matchmaking",
        "--users",
        "100000",
        "--at",
        AT,
    ]);
    let outcomes = dist[0]["outcomes"].as_array().unwrap();
    let on: u64 = outcomes
        .iter()
        .filter(|o| o["variant"] == "on")
        .map(|o| o["users"].as_u64().unwrap())
        .sum();
    let share = on as f64 / 100_000.0;
    assert!((share - 0.05).abs() <= 0.003, "{share}");
    edgeflag()
        .args([
            "simulate",
            s(&setup.path("v1.json")),
            "--trust",
            s(&setup.public()),
        ])
        .args([
            "--flag",
            "store-layout",
            "--users",
            "2000",
            "--at",
            "2026-12-03T17:00:00Z",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("classic").and(predicate::str::contains("█")));
}

#[test]
fn diff_shows_a_hotfix_moves_nobody_on_other_flags() {
    let setup = Setup::new();
    // The release before the hotfix existed: season0 without its hotfix flag.
    let text = std::fs::read_to_string(example("season0.toml")).unwrap();
    let start = text.find("# An emergency hotfix").unwrap();
    let end = text.find("# A JSON configuration flag.").unwrap();
    let before = setup.path("before.toml");
    std::fs::write(&before, format!("{}{}", &text[..start], &text[end..])).unwrap();
    edgeflag()
        .args([
            "build",
            s(&before),
            "--env",
            "production",
            "--key",
            s(&setup.key()),
            "--out",
            s(&setup.path("v0.json")),
            "--version",
            "1",
            "--at",
            "2026-12-01T00:00:00Z",
        ])
        .assert()
        .success();
    let d = setup.json(&[
        "diff",
        s(&setup.path("v0.json")),
        s(&setup.path("v1.json")),
        "--trust",
        s(&setup.public()),
        "--users",
        "5000",
        "--at",
        AT,
    ]);
    for f in d["flags"].as_array().unwrap() {
        if f["key"] == "hotfix-login-throttle" {
            assert_eq!(f["definition"], "added");
        } else {
            assert_eq!(f["definition"], "unchanged", "{f}");
            assert_eq!(f["moved_users"], 0, "{f}");
        }
    }
}

#[test]
fn status_shows_where_each_rollout_stands() {
    edgeflag()
        .args([
            "status",
            s(&example("season0.toml")),
            "--env",
            "production",
            "--at",
            AT,
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("stage 2 of 4: 5%")
                .and(predicate::str::contains(
                    "stage 3: 25% at 2026-12-03T16:00:00Z",
                ))
                .and(predicate::str::contains(
                    "INC-2041 crash on legacy Android (active 2026-12-02T09:30:00Z, serves off)",
                )),
        );
    let st: Value = serde_json::from_slice(
        &edgeflag()
            .args([
                "--json",
                "status",
                s(&example("season0.toml")),
                "--env",
                "staging",
                "--at",
                AT,
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(st["flags"][0]["rollout"]["percent"], 100.0);
}

/// `edgeflag check … | head`: the reader goes away before the output is
/// written. The command ends quietly (exit 0), without a panic message.
#[test]
fn a_closed_stdout_ends_the_output_without_a_panic() {
    for args in [vec!["check"], vec!["notes", "--env", "production"]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("edgeflag"))
            .args(&args[..1])
            .arg(example("season0.toml"))
            .args(&args[1..])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end at once: every write then fails with a broken pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
