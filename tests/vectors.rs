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
        let (env, expiry) = common::env_and_expiry(&file);
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

/// A flag's result depends only on the attributes `Snapshot::flag_attributes`
/// lists (the JS wrapper converts no others): every vector case gives the
/// same result with its context cut down to them.
#[test]
fn results_depend_only_on_the_flags_attributes() {
    let (mut cases, mut narrowed) = (0, 0);
    for (path, file) in common::vector_files() {
        if file.get("buckets").is_some() {
            continue;
        }
        let release = common::release_of(&path, &file);
        let env = file["environment"].as_str().unwrap_or("production");
        let snap = release.compile(env).unwrap();
        let names = snap.attributes();
        let unique: HashSet<&str> = names.iter().map(|n| &**n).collect();
        assert_eq!(unique.len(), names.len(), "{path:?}: each attribute once");
        for case in file["cases"].as_array().unwrap() {
            let Some(id) = snap.flag_id(case["flag"].as_str().unwrap()) else {
                continue;
            };
            let reads: HashSet<&str> = snap
                .flag_attributes(id)
                .iter()
                .map(|&i| &*names[i as usize])
                .collect();
            let mut cut = case.clone();
            if let Some(Value::Object(ctx)) = cut.get_mut("context") {
                let before = ctx.len();
                ctx.retain(|k, _| reads.contains(k.as_str()));
                narrowed += usize::from(ctx.len() < before);
            }
            let (full, only) = (common::run_case(&snap, case), common::run_case(&snap, &cut));
            assert_eq!(full, only, "{}: with only {reads:?}", case["name"]);
            cases += 1;
        }
    }
    assert!(
        cases >= 300 && narrowed >= 50,
        "{cases} cases, {narrowed} narrowed"
    );
}
