//! The shared vectors through the CLI: each vector file's release is built and
//! signed with `edgeflag build`, and every case is evaluated with `edgeflag eval`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn edgeflag() -> Command {
    Command::cargo_bin("edgeflag").unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Builds and signs the snapshot a vector file describes.
fn build(file: &Path, v: &Value, dir: &Path, key: &Path) -> std::path::PathBuf {
    let name = file.file_stem().unwrap().to_str().unwrap();
    let release = match v.get("release_file").and_then(Value::as_str) {
        Some(rel) => common::root().join(rel),
        None => {
            let path = dir.join(format!("{name}.release.json"));
            std::fs::write(&path, v["release"].to_string()).unwrap();
            path
        }
    };
    let env = v
        .get("environment")
        .and_then(Value::as_str)
        .unwrap_or("production");
    let out = dir.join(format!("{name}.snapshot.json"));
    let mut cmd = edgeflag();
    cmd.args([
        "build",
        s(&release),
        "--env",
        env,
        "--key",
        s(key),
        "--out",
        s(&out),
        "--version",
        "1",
        "--force",
    ]);
    match v.get("expires_at").and_then(Value::as_str) {
        // Issued a day before it expires: the expiry is what the cases test.
        Some(exp) => {
            let issued = common::at(exp).add_millis(-86_400_000).to_string();
            cmd.args(["--at", &issued, "--expires-in", "1d"]);
        }
        // Issued no later than its earliest case: a snapshot is refused
        // before its issue time (ISSUED_IN_FUTURE), and cases go back to 1970.
        None => {
            let issued = v["cases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["at"].as_str().map(common::at))
                .min()
                .unwrap_or_else(|| common::at("2026-01-01T00:00:00Z"))
                .to_string();
            cmd.args(["--at", &issued, "--expires-in", "never"]);
        }
    }
    cmd.assert().success();
    out
}

#[test]
fn every_vector_case_passes_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    edgeflag()
        .args(["keygen", "--out", s(dir.path())])
        .assert()
        .success();
    let (key, public) = (
        dir.path().join("edgeflag.pem"),
        dir.path().join("edgeflag.pub.pem"),
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for (path, file) in common::vector_files() {
        if file.get("cases").is_none() {
            continue; // bucket-only files: no release to evaluate
        }
        let snap = build(&path, &file, dir.path(), &key);
        for case in file["cases"].as_array().unwrap() {
            count += 1;
            let name = case["name"].as_str().unwrap();
            let flag = case["flag"].as_str().unwrap();
            let mut cmd = edgeflag();
            cmd.args([
                "--json",
                "eval",
                s(&snap),
                "--trust",
                s(&public),
                "--flag",
                flag,
            ]);
            cmd.args([
                "--context",
                &case
                    .get("context")
                    .cloned()
                    .unwrap_or(Value::Null)
                    .to_string(),
            ]);
            cmd.args(["--at", case["at"].as_str().unwrap()]);
            let default = case.get("default").cloned().unwrap_or(Value::Null);
            match case.get("type").and_then(Value::as_str) {
                Some(kind) if kind != "any" => {
                    cmd.args(["--type", kind, &format!("--default={default}")]);
                }
                _ => {
                    cmd.arg(format!("--default={default}"));
                }
            }
            let out = cmd.output().unwrap();
            if !out.status.success() {
                failures.push(format!(
                    "{name}: exit {:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
            let result: Value = serde_json::from_slice(&out.stdout).unwrap();
            let problems = common::mismatches(&case["expected"], &result[flag]);
            if !problems.is_empty() {
                failures.push(format!("{name}: {}", problems.join("; ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 300, "only {count} cases replayed");
}
