#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The snapshot history: `log` audits the digest chain, `revert` re-issues an
//! earlier state as a new version on top of it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const SEASON0: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/season0.toml");
const AT: &str = "2026-12-01T00:00:00Z";

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temp folder with a key pair, three chained snapshots of production in
/// `snaps/` (v2 raises store-layout's first stage, v3 adds a segment rule to
/// match-timeout-seconds and drops season-banner's JSON variant title).
struct History {
    tmp: tempfile::TempDir,
}

impl History {
    fn new() -> History {
        let tmp = tempfile::tempdir().unwrap();
        edgeflag()
            .args(["keygen", "--out"])
            .arg(tmp.path().join("keys"))
            .assert()
            .success();
        let h = History { tmp };
        let base = std::fs::read_to_string(SEASON0).unwrap();
        let v2 = base.replacen(
            "{ at = \"2026-12-01T16:00:00Z\", percent = 5 },\n  { at = \"2026-12-03T16:00:00Z\", percent = 100 },",
            "{ at = \"2026-12-01T16:00:00Z\", percent = 4 },\n  { at = \"2026-12-03T16:00:00Z\", percent = 100 },",
            1,
        );
        assert_ne!(base, v2, "the edit for v2 must apply");
        let v3 = v2.replace(
            "description = \"Matchmaking queue timeout\"",
            "description = \"Matchmaking queue timeout (seconds)\"",
        );
        assert_ne!(v2, v3, "the edit for v3 must apply");
        h.build(&base, "v1", None);
        h.build(&v2, "v2", Some("v1"));
        h.build(&v3, "v3", Some("v2"));
        h
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn snaps(&self) -> PathBuf {
        self.path("snaps")
    }

    fn snap(&self, name: &str) -> PathBuf {
        self.snaps().join(format!("{name}.json"))
    }

    fn key(&self) -> PathBuf {
        self.path("keys/edgeflag.pem")
    }

    fn public(&self) -> PathBuf {
        self.path("keys/edgeflag.pub.pem")
    }

    fn build(&self, toml: &str, name: &str, previous: Option<&str>) {
        let release = self.path(&format!("{name}.toml"));
        std::fs::write(&release, toml).unwrap();
        let mut cmd = edgeflag();
        cmd.arg("build")
            .arg(&release)
            .args(["--env", "production", "--key"])
            .arg(self.key())
            .arg("--out")
            .arg(self.snap(name))
            .args(["--at", AT]);
        match previous {
            Some(p) => cmd.arg("--previous").arg(self.snap(p)),
            None => cmd.args(["--version", "1"]),
        };
        cmd.assert().success();
    }

    fn log(&self, dir: &Path, json: bool) -> std::process::Output {
        let mut cmd = edgeflag();
        cmd.arg("log").arg(dir).arg("--trust").arg(self.public());
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    }

    fn revert(&self, to: &str, out: &Path) -> std::process::Output {
        edgeflag()
            .arg("revert")
            .arg(self.snaps())
            .args(["--to", to, "--key"])
            .arg(self.key())
            .arg("--out")
            .arg(out)
            .args(["--at", "2026-12-02T12:00:00Z"])
            .output()
            .unwrap()
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding: the CLI's dev-dependencies have no decoder.
fn decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|b| *b == c).expect("base64 digit") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The decoded payload of a snapshot file.
fn payload(path: &Path) -> serde_json::Value {
    let env: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    serde_json::from_slice(&decode(env["payload"].as_str().unwrap())).unwrap()
}

fn digest_of(h: &History, name: &str) -> String {
    let out = edgeflag()
        .arg("verify")
        .arg(h.snap(name))
        .arg("--trust")
        .arg(h.public())
        .args(["--at", AT, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["digest"].as_str().unwrap().to_owned()
}

#[test]
fn log_shows_an_intact_chain_with_the_changes() {
    let h = History::new();
    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("season0 / production: 3 snapshot(s), chain intact"),
        "{text}"
    );
    assert!(!text.contains("BROKEN"), "{text}");
    assert!(text.contains("chain starts here"), "{text}");
    assert!(text.contains("intact (previous is version 1)"), "{text}");
    assert!(text.contains("intact (previous is version 2)"), "{text}");
    assert!(text.contains("changes    changed: store-layout"), "{text}");
    assert!(
        text.contains("changes    changed: match-timeout-seconds"),
        "{text}"
    );
    // Digests are shortened in text: `sha256:` and 12 hex digits.
    let d1 = digest_of(&h, "v1");
    assert!(
        text.contains(&format!("v1  {}  v1.json", &d1[..19])),
        "{text}"
    );
    assert!(!text.contains(&d1), "{text}");
}

#[test]
fn log_json_is_structured() {
    let h = History::new();
    let out = h.log(&h.snaps(), true);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["rejected"].as_array().unwrap().len(), 0);
    let env = &v["environments"][0];
    assert_eq!(env["environment"], "production");
    assert_eq!(env["release"], "season0");
    let snaps = env["snapshots"].as_array().unwrap();
    let versions: Vec<u64> = snaps
        .iter()
        .map(|s| s["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(snaps[0]["chain"]["state"], "genesis");
    assert_eq!(snaps[0]["changes"], serde_json::Value::Null);
    assert_eq!(snaps[1]["chain"]["state"], "intact");
    assert_eq!(
        snaps[1]["changes"]["changed"],
        serde_json::json!(["store-layout"])
    );
    assert_eq!(snaps[1]["previous"], digest_of(&h, "v1").as_str());
    assert_eq!(snaps[2]["digest"], digest_of(&h, "v3").as_str());
    assert_eq!(snaps[2]["issued_at"], AT);
    assert!(
        snaps[2]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-31")
    );
    assert_eq!(snaps[2]["forced"], false);
    assert_eq!(snaps[2]["signed_by"].as_array().unwrap().len(), 1);
}

#[test]
fn revert_reissues_an_old_state_as_the_next_version() {
    let h = History::new();
    let v4 = h.snap("v4");
    let out = h.revert("1", &v4);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("reverted `production` to version 1"),
        "{text}"
    );
    assert!(text.contains("as version 4"), "{text}");
    assert!(text.contains("changed back"), "{text}");
    assert!(
        text.contains("store-layout, match-timeout-seconds"),
        "{text}"
    );
    assert!(
        text.contains("version 4 is higher than version 3"),
        "{text}"
    );

    let (p1, p4) = (payload(&h.snap("v1")), payload(&v4));
    assert_eq!(p4["definitions"], p1["definitions"]);
    // The old definitions are the old release candidate's.
    assert!(p1["candidate"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(p4["candidate"], p1["candidate"]);
    assert_ne!(p4["candidate"], payload(&h.snap("v3"))["candidate"]);
    assert_eq!(p4["version"], 4);
    assert_eq!(p4["previous"], digest_of(&h, "v3").as_str());
    assert_eq!(p4["issued_at"], "2026-12-02T12:00:00Z");
    assert_eq!(p4["expires_at"], "2027-01-01T12:00:00Z");

    edgeflag()
        .arg("verify")
        .arg(&v4)
        .arg("--trust")
        .arg(h.public())
        .args(["--min-version", "4", "--at", "2026-12-03T00:00:00Z"])
        .assert()
        .success();

    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("4 snapshot(s), chain intact"), "{text}");
    assert!(text.contains("intact (previous is version 3)"), "{text}");
    assert!(
        text.contains("changes    changed: store-layout, match-timeout-seconds"),
        "{text}"
    );
}

#[test]
fn revert_json_and_refusing_to_overwrite_the_folder() {
    let h = History::new();
    let out = edgeflag()
        .arg("revert")
        .arg(h.snaps())
        .args(["--to", "2", "--key"])
        .arg(h.key())
        .arg("--trust")
        .arg(h.public())
        .arg("--out")
        .arg(h.path("out/v4.json"))
        .args([
            "--at",
            "2026-12-02T12:00:00Z",
            "--expires-in",
            "never",
            "--force",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 4);
    assert_eq!(v["reverted_to"]["version"], 2);
    assert_eq!(v["replaces"]["version"], 3);
    assert_eq!(v["expires_at"], serde_json::Value::Null);
    assert_eq!(v["never_expires"], true);
    assert_eq!(payload(&h.path("out/v4.json"))["never_expires"], true);
    assert_eq!(
        v["changes"]["changed"],
        serde_json::json!(["match-timeout-seconds"])
    );
    assert_eq!(v["key_trusted"], true);

    // Writing over v3 would cut the chain the new snapshot extends.
    let out = h.revert("1", &h.snap("v3"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is version 3 of `production`"),
        "{}",
        stderr(&out)
    );
    // Reverting to the head changes nothing.
    let out = h.revert("3", &h.path("out/same.json"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("already the latest"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_tampered_file_is_rejected_by_log_and_revert() {
    let h = History::new();
    let path = h.snap("v2");
    let mut env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // Flip one base64 digit in the middle: some payload bits change, the signature stays.
    let mut text = env["payload"].as_str().unwrap().as_bytes().to_vec();
    let i = text.len() / 2;
    text[i] = if text[i] == b'A' { b'B' } else { b'A' };
    env["payload"] = String::from_utf8(text).unwrap().into();
    std::fs::write(&path, serde_json::to_vec_pretty(&env).unwrap()).unwrap();

    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("rejected: 1 file(s)"), "{text}");
    assert!(text.contains("v2.json: rejected (BAD_SIGNATURE)"), "{text}");
    assert!(stderr(&out).contains("v2.json"), "{}", stderr(&out));
    // Without v2, v3 follows v1 with a gap.
    assert!(text.contains("BROKEN: version gap"), "{text}");

    let out = h.revert("1", &h.path("v4.json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("v2.json: rejected (BAD_SIGNATURE)"),
        "{}",
        stderr(&out)
    );
    assert!(!h.path("v4.json").exists());
}

#[test]
fn a_missing_link_breaks_the_chain() {
    let h = History::new();
    std::fs::remove_file(h.snap("v2")).unwrap();
    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("chain BROKEN"), "{text}");
    assert!(
        text.contains("BROKEN: version gap: 3 follows 1; version 2 is not in the folder"),
        "{text}"
    );
    assert!(text.contains("previous sha256:"), "{text}");
    assert!(
        stderr(&out).contains("chain broken in production"),
        "{}",
        stderr(&out)
    );

    let out = h.log(&h.snaps(), true);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(
        v["environments"][0]["snapshots"][1]["chain"]["state"],
        "broken"
    );
}

#[test]
fn the_first_snapshot_in_the_folder_may_point_outside() {
    let h = History::new();
    std::fs::remove_file(h.snap("v1")).unwrap();
    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("chain starts here (previous not in folder)"),
        "{text}"
    );
}

#[test]
fn a_mismatching_previous_is_broken() {
    let h = History::new();
    // A second v2, built from v1 again: same version, different content and
    // not what v3 chains to.
    let base = std::fs::read_to_string(SEASON0).unwrap();
    h.build(&base.replace("season0", "season0b"), "v2b", Some("v1"));
    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The core's version rule decides, and its message is the reason.
    assert!(
        text.contains(
            "BROKEN: version 2 appears twice (v2.json and this file): rejected (VERSION_REUSED): snapshot version 2 is already served with payload sha256:"
        ),
        "{text}"
    );
    assert!(
        text.contains("a changed payload needs a higher version"),
        "{text}"
    );
    assert!(text.contains("not version 2"), "{text}");
    let out = h.revert("2", &h.path("v4.json"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the history forks"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn revert_to_a_version_not_in_the_folder() {
    let h = History::new();
    let out = h.revert("7", &h.path("v4.json"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no snapshot with version 7"), "{err}");
    assert!(
        err.contains("versions present: production: 1, 2, 3"),
        "{err}"
    );
}

#[test]
fn an_ambiguous_version_names_the_environments() {
    let h = History::new();
    edgeflag()
        .arg("build")
        .arg(SEASON0)
        .args(["--env", "staging", "--key"])
        .arg(h.key())
        .arg("--out")
        .arg(h.snaps().join("staging-v1.json"))
        .args(["--at", AT, "--version", "1"])
        .assert()
        .success();
    let out = h.revert("1", &h.path("v4.json"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("version 1 is ambiguous"), "{err}");
    assert!(err.contains("v1.json (`production`"), "{err}");
    assert!(err.contains("staging-v1.json (`staging`"), "{err}");
    // Version 2 only exists in production: not ambiguous.
    let out = h.revert("2", &h.path("v4.json"));
    assert!(out.status.success(), "{}", stderr(&out));

    let out = h.log(&h.snaps(), false);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("season0 / production: 3 snapshot(s), chain intact"),
        "{text}"
    );
    assert!(
        text.contains("season0 / staging: 1 snapshot(s), chain intact"),
        "{text}"
    );
}

#[test]
fn an_untrusted_signer_is_rejected() {
    let h = History::new();
    let other = h.path("other");
    edgeflag()
        .args(["keygen", "--out"])
        .arg(&other)
        .assert()
        .success();
    let out = edgeflag()
        .arg("log")
        .arg(h.snaps())
        .arg("--trust")
        .arg(other.join("edgeflag.pub.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("rejected: 3 file(s)"), "{text}");
    assert!(text.contains("UNKNOWN_KEY"), "{text}");
}
