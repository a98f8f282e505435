#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Replays the fuzz targets' seed corpus (`fuzz/corpus/<target>/`) and every
//! crash ever found (`fuzz/regressions/<target>/`) through the same checks
//! the libFuzzer targets run, on stable Rust and in seconds: a crash fixed
//! once stays fixed. Fuzzing itself is `cargo fuzz run` (fuzz/README.md).

#[path = "../benches/common/workload.rs"]
mod workload;

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 6] = [
    ("verify", checks::verify),
    ("verify_signed", checks::verify_signed),
    ("release", checks::release),
    ("context", checks::context),
    ("eval", checks::eval),
    ("json", checks::json),
];

#[test]
fn every_seed_and_every_crash_found_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, check) in TARGETS {
        let mut seeds = 0;
        for dir in [
            root.join("corpus").join(name),
            root.join("regressions").join(name),
        ] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(
                    outcome.is_ok(),
                    "{name}: {} fails its check",
                    path.display()
                );
                seeds += 1;
            }
        }
        assert!(seeds > 0, "{name}: no seed corpus in fuzz/corpus/{name}");
        replayed += seeds;
    }
    assert!(replayed >= 20, "only {replayed} inputs replayed");
}
