#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The release candidate: the digest of a release file's meaning. Formatting
//! and comments do not count, order that means something does, and season0's
//! is pinned in its vector file for every runtime that shows it.

mod common;

use edgeflag::{ReleaseFile, candidate};

fn of(toml: &str) -> String {
    candidate(&ReleaseFile::from_toml(toml).unwrap())
}

#[test]
fn season0_candidate_is_pinned() {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("tests/vectors/season0.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        candidate(&common::season0()),
        v["candidate"].as_str().unwrap()
    );
}

/// Each edit of season0, and whether it is the same candidate.
const EDITS: &[(&str, &str, &str, bool)] = &[
    (
        "a comment",
        "[release]\n",
        "# a comment\n[release]\n# and another\n",
        true,
    ),
    (
        "blank lines and spacing",
        "schema = 1\n",
        "\n\nschema   =   1\n\n",
        true,
    ),
    (
        "an inline table written out",
        "rollback = { variant = \"off\", steps = [\"Run `edgeflag rollback hotfix-login-throttle`\"] }\n",
        "[flags.hotfix-login-throttle.rollback]\nvariant = \"off\"\nsteps = [\"Run `edgeflag rollback hotfix-login-throttle`\"]\n",
        true,
    ),
    ("one percent", "percent = 5 }", "percent = 4 }", false),
    (
        "one description",
        "description = \"Hotfix: throttle login retries (INC-2050)\"",
        "description = \"Hotfix: throttle login retries\"",
        false,
    ),
];

#[test]
fn only_meaning_changes_the_candidate() {
    let base = std::fs::read_to_string(common::root().join("examples/season0.toml")).unwrap();
    let digest = of(&base);
    for (what, from, to, same) in EDITS {
        assert!(base.contains(from), "{what}: the edit must apply");
        let mut edited = base.replacen(from, to, 1);
        if what.starts_with("an inline table") {
            // The table form must come after the flag's own keys.
            edited = base.replacen(from, "", 1) + "\n" + to;
        }
        assert_eq!(of(&edited) == digest, *same, "{what}");
    }
}

#[test]
fn key_order_inside_values_does_not_count_but_weights_order_does() {
    let flag = |variants: &str, weights: &str| {
        format!(
            "schema = 1\n[release]\nname = \"r\"\n[flags.f]\ntype = \"json\"\ndefault = \"a\"\nvariants = {{ {variants} }}\nrollout = {{ weights = {{ {weights} }}, percent = 100 }}\n"
        )
    };
    let a = of(&flag("a = { x = 1, y = 2 }, b = 3", "a = 50, b = 50"));
    assert_eq!(
        a,
        of(&flag("a = { y = 2, x = 1 }, b = 3", "a = 50, b = 50"))
    );
    // The order of weights decides who gets which variant.
    assert_ne!(
        a,
        of(&flag("a = { x = 1, y = 2 }, b = 3", "b = 50, a = 50"))
    );
}
