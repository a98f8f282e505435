//! Several keys: co-signing (`build --key A --key B`, `sign`), thresholds,
//! key rotation across a chain (`build --previous --trust`, `log`), and the
//! build refusals that keep a history sound (no version, no expiry).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const SEASON0: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/season0.toml");
const AT: &str = "2026-12-01T00:00:00Z";
const LATER: &str = "2026-12-02T00:00:00Z";

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What a run printed, and how it exited.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        assert_eq!(self.code, Some(0), "{}\n{}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout).unwrap()
    }
    fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "{}\n{}", self.stdout, self.stderr);
        self
    }
    /// Exits with `code` and says `message` on stderr.
    fn fails(&self, code: i32, message: &str) {
        assert_eq!(self.code, Some(code), "{}\n{}", self.stdout, self.stderr);
        assert!(self.stderr.contains(message), "{}", self.stderr);
    }
}

fn run(args: &[&str]) -> Run {
    let out = edgeflag().args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A key pair made by `keygen`.
struct Key {
    private: PathBuf,
    public: PathBuf,
    id: String,
}

/// A temp folder with named key pairs.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn key(&self, name: &str) -> Key {
        let dir = self.path("keys");
        let info = run(&["--json", "keygen", "--out", s(&dir), "--name", name]).json();
        Key {
            private: dir.join(format!("{name}.pem")),
            public: dir.join(format!("{name}.pub.pem")),
            id: info["key_id"].as_str().unwrap().to_owned(),
        }
    }
}

/// `build` of season0 for production at `at`, with `extra` arguments.
fn build(out: &Path, at: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "--json",
        "build",
        SEASON0,
        "--env",
        "production",
        "--at",
        at,
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn verify(snap: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--json", "verify", s(snap), "--at", LATER];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn a_second_person_cosigns_and_a_threshold_of_two_needs_both() {
    let keys = Keys::new();
    let (a, b) = (keys.key("alice"), keys.key("bob"));
    let single = keys.path("single.json");
    let built = build(&single, AT, &["--version", "1", "--key", s(&a.private)]).json();
    assert_eq!(built["signed_by"], serde_json::json!([a.id]));
    assert_eq!(built["key_id"], a.id.as_str());

    // `sign --out` leaves the single-signature snapshot as it was.
    let double = keys.path("double.json");
    let signed = run(&[
        "--json",
        "sign",
        s(&single),
        "--key",
        s(&b.private),
        "--out",
        s(&double),
    ])
    .json();
    assert_eq!(
        signed["digest"], built["digest"],
        "the payload is untouched"
    );
    assert_eq!(signed["signatures"], serde_json::json!([a.id, b.id]));
    assert_eq!(signed["added"], b.id.as_str());
    assert_eq!(signed["out"], s(&double));

    let both = [
        "--trust",
        s(&a.public),
        "--trust",
        s(&b.public),
        "--threshold",
        "2",
    ];
    let v = verify(&double, &both).json();
    assert_eq!(v["signed_by"], serde_json::json!([a.id, b.id]));
    assert_eq!(v["digest"], built["digest"]);
    verify(&single, &both).fails(
        1,
        "single.json: rejected (BELOW_THRESHOLD): 1 valid signature(s) from trusted keys, 2 required",
    );
    // With a threshold of 1, verify still lists every trusted co-signer.
    let text = run(&[
        "verify",
        s(&double),
        "--trust",
        s(&a.public),
        "--trust",
        s(&b.public),
        "--at",
        LATER,
    ]);
    assert!(
        text.ok()
            .stdout
            .contains(&format!("signed by    {}, {} (2 signatures)", a.id, b.id)),
        "{}",
        text.stdout
    );

    // Neither signer signs twice, in place or not; the file is left alone.
    let before = std::fs::read(&double).unwrap();
    for key in [&a, &b] {
        run(&["sign", s(&double), "--key", s(&key.private)]).fails(
            1,
            &format!(
                "double.json: rejected (ALREADY_SIGNED): key {} has already signed this snapshot",
                key.id
            ),
        );
    }
    assert_eq!(std::fs::read(&double).unwrap(), before);

    // In place (the default): the file is replaced whole, no temp file stays.
    let c = keys.key("carol");
    let text = run(&["sign", s(&double), "--key", s(&c.private)]);
    assert!(
        text.ok()
            .stdout
            .contains(&format!("signed {} with key {}", s(&double), c.id)),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(&format!(
            "signatures  {}, {}, {} (3 signatures)",
            a.id, b.id, c.id
        )),
        "{}",
        text.stdout
    );
    let three = [
        "--trust",
        s(&a.public),
        "--trust",
        s(&b.public),
        "--trust",
        s(&c.public),
        "--threshold",
        "3",
    ];
    verify(&double, &three).ok();
    let mut names: Vec<String> = std::fs::read_dir(keys.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["double.json", "keys", "single.json"]);

    // What is not an envelope is rejected, and nothing is written.
    let junk = keys.path("junk.json");
    std::fs::write(&junk, "{}").unwrap();
    run(&["sign", s(&junk), "--key", s(&a.private)])
        .fails(1, "junk.json: rejected (MALFORMED): malformed snapshot: not a dsse envelope: missing field `payload`");
    assert_eq!(std::fs::read_to_string(&junk).unwrap(), "{}");
}

#[test]
fn build_signs_with_every_key_once() {
    let keys = Keys::new();
    let (a, b) = (keys.key("a"), keys.key("b"));
    let out = keys.path("snap.json");
    let text = run(&[
        "build",
        SEASON0,
        "--env",
        "production",
        "--version",
        "1",
        "--at",
        AT,
        "--out",
        s(&out),
        "--key",
        s(&a.private),
        "--key",
        s(&b.private),
    ]);
    assert!(
        text.ok()
            .stdout
            .contains(&format!("signed by {}, {}\n", a.id, b.id)),
        "{}",
        text.stdout
    );
    verify(
        &out,
        &[
            "--trust",
            s(&a.public),
            "--trust",
            s(&b.public),
            "--threshold",
            "2",
        ],
    )
    .ok();
    build(
        &keys.path("twice.json"),
        AT,
        &[
            "--version",
            "1",
            "--key",
            s(&a.private),
            "--key",
            s(&a.private),
        ],
    )
    .fails(2, &format!("a.pem: key {} is given twice to --key", a.id));
    assert!(!keys.path("twice.json").exists());
}

#[test]
fn a_chain_crosses_a_key_rotation() {
    let keys = Keys::new();
    let (old, new) = (keys.key("old"), keys.key("new"));
    let snaps = keys.path("snaps");
    let snap = |n: u32| snaps.join(format!("v{n}.json"));
    // 1. v1 under the old key alone.
    build(&snap(1), AT, &["--version", "1", "--key", s(&old.private)]).json();
    // 2. Both keys sign v2; --previous verifies with both by default.
    let v2 = build(
        &snap(2),
        AT,
        &[
            "--previous",
            s(&snap(1)),
            "--key",
            s(&old.private),
            "--key",
            s(&new.private),
        ],
    )
    .json();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["signed_by"], serde_json::json!([old.id, new.id]));
    // 3. The new key alone: it co-signed v2, so it trusts v2 by default.
    let v3 = build(
        &snap(3),
        LATER,
        &["--previous", s(&snap(2)), "--key", s(&new.private)],
    )
    .json();
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["previous"], v2["digest"]);

    // The audit trail, trusting both keys: intact, co-signatures shown.
    let log = run(&[
        "log",
        s(&snaps),
        "--trust",
        s(&old.public),
        "--trust",
        s(&new.public),
    ]);
    let text = &log.ok().stdout;
    assert!(
        text.contains("season0 / production: 3 snapshot(s), chain intact"),
        "{text}"
    );
    for expected in [
        format!("signed by  {}\n", old.id),
        format!("signed by  {}, {} (2 signatures)\n", old.id, new.id),
        format!("signed by  {}\n", new.id),
        "intact (previous is version 1)".to_owned(),
        "intact (previous is version 2)".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected}\n{text}");
    }
    // 4. Once the old key is dropped, only what the new key signed verifies.
    let log = run(&["log", s(&snaps), "--trust", s(&new.public)]);
    assert_eq!(log.code, Some(1), "{}", log.stdout);
    assert!(
        log.stdout.contains("v1.json: rejected (UNKNOWN_KEY)"),
        "{}",
        log.stdout
    );

    // Chaining onto a snapshot only the old key signed needs --trust old.
    let skip = keys.path("v2-new.json");
    build(
        &skip,
        LATER,
        &["--previous", s(&snap(1)), "--key", s(&new.private)],
    )
    .fails(
        1,
        &format!(
            "v1.json: rejected as --previous (UNKNOWN_KEY): no signature from a trusted key (signed by: {})",
            old.id
        ),
    );
    assert!(!skip.exists());
    let built = build(
        &skip,
        LATER,
        &[
            "--previous",
            s(&snap(1)),
            "--key",
            s(&new.private),
            "--trust",
            s(&old.public),
        ],
    )
    .json();
    assert_eq!(built["version"], 2);
    assert_eq!(built["signed_by"], serde_json::json!([new.id]));
}

#[test]
fn build_refuses_what_would_break_a_history() {
    let keys = Keys::new();
    let k = keys.key("k");
    let out = keys.path("snap.json");
    let cases: &[(&[&str], &str)] = &[
        (
            &[],
            "no version: give --previous (the last snapshot of `production`) to chain onto it, or --version 1 for the first snapshot of an environment",
        ),
        (
            &["--version", "1", "--expires-in", "never"],
            "--expires-in never needs --force: consumers would serve the snapshot forever, never falling back to the stale policy; give a duration such as 30d, or add --force to record that it never expires",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["--key", s(&k.private)];
        args.extend_from_slice(extra);
        build(&out, AT, &args).fails(2, message);
        assert!(!out.exists(), "{extra:?}");
    }
    // `revert` follows the same rule.
    build(
        &keys.path("h/v1.json"),
        AT,
        &["--version", "1", "--key", s(&k.private)],
    )
    .json();
    build(
        &keys.path("h/v2.json"),
        AT,
        &[
            "--previous",
            s(&keys.path("h/v1.json")),
            "--key",
            s(&k.private),
        ],
    )
    .json();
    run(&[
        "revert",
        s(&keys.path("h")),
        "--to",
        "1",
        "--key",
        s(&k.private),
        "--out",
        s(&out),
        "--expires-in",
        "never",
    ])
    .fails(2, "--expires-in never needs --force");
    assert!(!out.exists());
}

#[test]
fn a_snapshot_that_never_expires_is_forced_and_recorded() {
    let keys = Keys::new();
    let k = keys.key("k");
    let out = keys.path("snap.json");
    let built = build(
        &out,
        AT,
        &[
            "--version",
            "1",
            "--key",
            s(&k.private),
            "--expires-in",
            "never",
            "--force",
        ],
    )
    .json();
    assert_eq!(built["never_expires"], true);
    assert_eq!(built["expires_at"], Value::Null);
    // A passing checklist is not recorded as forced.
    assert_eq!(built["forced"], false);
    // Long after any expiry window it still verifies, not stale.
    let v = run(&[
        "--json",
        "verify",
        s(&out),
        "--trust",
        s(&k.public),
        "--at",
        "2036-01-01T00:00:00Z",
    ]);
    let info = v.json();
    assert_eq!(info["never_expires"], true);
    assert!(!v.stderr.contains("expired"), "{}", v.stderr);
    // Text says so, at build and at verify.
    let text = run(&[
        "build",
        SEASON0,
        "--env",
        "production",
        "--version",
        "1",
        "--key",
        s(&k.private),
        "--expires-in",
        "never",
        "--force",
        "--out",
        s(&keys.path("text.json")),
    ]);
    assert!(
        text.ok().stdout.contains(
            "warning: the snapshot never expires (--expires-in never --force, recorded in the snapshot): consumers serve it until a higher version replaces it"
        ),
        "{}",
        text.stdout
    );
    let text = run(&["verify", s(&out), "--trust", s(&k.public)]);
    assert!(
        text.ok()
            .stdout
            .contains("warning: never expires (built with --expires-in never --force)"),
        "{}",
        text.stdout
    );
}

/// The identity point as an SPKI PEM: `302a300506032b6570032100`, then 0x01
/// and 31 zero bytes (y = 1, a point of order 1).
const WEAK_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-----END PUBLIC KEY-----\n";

#[test]
fn a_weak_trusted_key_is_refused() {
    let keys = Keys::new();
    let k = keys.key("k");
    let v1 = keys.path("snaps/v1.json");
    build(&v1, AT, &["--version", "1", "--key", s(&k.private)]).json();
    let weak = keys.path("weak.pub.pem");
    std::fs::write(&weak, WEAK_PEM).unwrap();
    // The key id of the weak key: the digest of its SPKI DER.
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, 0x01,
    ];
    der.extend([0u8; 31]);
    let id = edgeflag::digest(&der).replace("sha256:", "");
    let message = format!(
        "weak.pub.pem: weak ed25519 public key {id}: a small-order point, which anyone can forge signatures for"
    );
    let out = keys.path("v2.json");
    let snaps = keys.path("snaps");
    let commands: &[&[&str]] = &[
        &["verify", s(&v1), "--trust", s(&weak)],
        &["log", s(&snaps), "--trust", s(&weak)],
        &[
            "build",
            SEASON0,
            "--env",
            "production",
            "--key",
            s(&k.private),
            "--previous",
            s(&v1),
            "--trust",
            s(&weak),
            "--out",
            s(&out),
        ],
    ];
    for args in commands {
        run(args).fails(2, &message);
    }
    assert!(!out.exists());
    // Next to a good key in one file, it is refused all the same.
    let both = keys.path("both.pub.pem");
    let good = std::fs::read_to_string(&k.public).unwrap();
    std::fs::write(&both, format!("{good}{WEAK_PEM}")).unwrap();
    run(&["verify", s(&v1), "--trust", s(&both)])
        .fails(2, &message.replace("weak.pub.pem", "both.pub.pem"));
}
