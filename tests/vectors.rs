//! The shared vectors, natively. A failure names every failing case.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;

use serde_json::Value;

#[test]
fn every_vector_case_passes() {
    let mut failures = Vec::new();
    let mut names = HashSet::new();
    let mut count = 0;
    for (path, file) in common::vector_files() {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(buckets) = file.get("buckets") {
            for b in buckets.as_array().unwrap() {
                count += 1;
                if let Some(problem) = common::bucket_mismatch(b) {
                    failures.push(format!("{file_name}: {problem}"));
                }
            }
            continue;
        }
        let release = common::release_of(&path, &file);
        let env = file
            .get("environment")
            .and_then(Value::as_str)
            .unwrap_or("production");
        let expiry = file
            .get("expires_at")
            .and_then(Value::as_str)
            .map(common::at);
        let snap = release.compile(env).unwrap().with_expiry(expiry);
        for case in file["cases"].as_array().unwrap() {
            count += 1;
            let name = case["name"].as_str().unwrap().to_owned();
            assert!(names.insert(name.clone()), "duplicate case name {name}");
            let actual = common::run_case(&snap, case);
            let problems = common::mismatches(&case["expected"], &actual);
            if !problems.is_empty() {
                failures.push(format!("{file_name}: {name}: {}", problems.join("; ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        count >= 300,
        "only {count} vector cases; the suite promises at least 300"
    );
}
