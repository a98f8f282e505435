#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every way a release file is rejected, each with its own precise error: the
//! variant, the path into the file, the line, and the exact message.

use edgeflag::{ReleaseError, ReleaseFile};

/// The error a release file is rejected with; panics when it is accepted.
fn rejected(src: &str) -> ReleaseError {
    match ReleaseFile::from_toml(src) {
        Ok(_) => panic!("release file was accepted:\n{src}"),
        Err(e) => e,
    }
}

/// The error a JSON release file is rejected with by `validate()`.
fn rejected_json(json: serde_json::Value) -> ReleaseError {
    match ReleaseFile::from_json(&json.to_string()) {
        Ok(_) => panic!("release file was accepted"),
        Err(e) => e,
    }
}

fn assert_msg(err: &ReleaseError, expected: &str) {
    assert_eq!(err.to_string(), expected, "\nerror: {err:?}");
}

// ---------------------------------------------------------------------------
// The bad release files. Line numbers are 1-based; every source starts with
// `schema = 1` on line 1.
// ---------------------------------------------------------------------------

const SYNTAX: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = boolean
"#;

const UNKNOWN_FIELD_ROLLOT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollot]
percent = 5
"#;

const UNKNOWN_FIELD_IN_ROLLOUT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
percnt = 5
"#;

const MISSING_SERVE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
segment = "beta"
"#;

const WRONG_TOML_TYPE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
percent = "5"
"#;

const SCHEMA_2: &str = r#"schema = 2
[release]
name = "t"
"#;

const UNKNOWN_DEFAULT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
default = "of"
"#;

const UNKNOWN_ROLLBACK_VARIANT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
rollback = { variant = "of", steps = ["turn it off"] }
"#;

const UNKNOWN_TARGET_VARIANT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
targets = { on = ["u1"], of = ["u2"] }
"#;

const UNKNOWN_RULE_SERVE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "country", op = "eq", values = "US" }]
serve = "yes"
"#;

const UNKNOWN_ROLLBACKS_SERVE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rollbacks]]
match = [{ attr = "country", op = "eq", values = "US" }]
serve = "of"
since = "2026-12-01T00:00:00Z"
"#;

const UNKNOWN_ROLLOUT_VARIANT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B" }
default = "a"
[flags.x.rollout]
variant = "c"
percent = 50
"#;

const UNKNOWN_WEIGHT_VARIANT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B" }
default = "a"
[flags.x.rollout]
weights = { a = 50, c = 50 }
percent = 50
"#;

const UNKNOWN_PREREQUISITE_VARIANT: &str = r#"schema = 1
[release]
name = "t"
[flags.a]
type = "string"
variants = { red = "red", blue = "blue" }
default = "red"
[flags.b]
type = "boolean"
prerequisites = [{ flag = "a", variant = "green" }]
"#;

const UNKNOWN_RULE_SEGMENT: &str = r#"schema = 1
[release]
name = "t"
[segments.beta]
match = [{ attr = "beta", op = "eq", values = true }]
[flags.x]
type = "boolean"
[[flags.x.rules]]
segment = "betta"
serve = "on"
"#;

const UNKNOWN_ROLLBACK_SEGMENT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rollbacks]]
name = "INC-1"
segment = "legacy-android"
serve = "off"
since = "2026-12-01T00:00:00Z"
"#;

const UNKNOWN_PREREQUISITE_FLAG: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
prerequisites = [{ flag = "nope", variant = "on" }]
"#;

const BAD_STAGE_AT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
stages = [
  { at = "2026-12-01T16:00:00Z", percent = 5 },
  { at = "2026-12-02", percent = 50 },
]
"#;

const BAD_ROLLBACK_SINCE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rollbacks]]
match = [{ attr = "country", op = "eq", values = "US" }]
serve = "off"
since = "2026-12-01 16:00"
"#;

const BAD_BEFORE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "signedUpAt", op = "before", values = "yesterday" }]
serve = "on"
"#;

const BAD_AFTER: &str = r#"schema = 1
[release]
name = "t"
[segments.new-users]
match = [
  { attr = "country", op = "eq", values = "US" },
  { attr = "signedUpAt", op = "after", values = "2026-02-29T00:00:00Z" },
]
"#;

const STAGES_EQUAL: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
stages = [
  { at = "2026-12-01T16:00:00Z", percent = 5 },
  { at = "2026-12-01T16:00:00Z", percent = 50 },
]
"#;

const STAGES_DECREASING: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
stages = [
  { at = "2026-12-01T16:00:00Z", percent = 5 },
  { at = "2026-12-03T16:00:00Z", percent = 25 },
  { at = "2026-12-02T16:00:00Z", percent = 50 },
]
"#;

const PERCENT_NEGATIVE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
percent = -1
"#;

const PERCENT_OVER_100: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
stages = [
  { at = "2026-12-01T16:00:00Z", percent = 5 },
  { at = "2026-12-02T16:00:00Z", percent = 100.5 },
]
"#;

const PERCENT_NAN: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
rollout.percent = nan
"#;

const PERCENT_TOO_PRECISE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
percent = 0.0001
"#;

const WEIGHTS_SUM_75: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B" }
default = "a"
[flags.x.rollout]
weights = { a = 50, b = 25 }
percent = 100
"#;

const WEIGHTS_SUM_FRACTION: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B", c = "C" }
default = "a"
[flags.x.rollout]
weights = { a = 33.3, b = 33.3, c = 33.3 }
percent = 100
"#;

const WEIGHT_TOO_PRECISE: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B" }
default = "a"
[flags.x.rollout]
weights = { a = 33.3333, b = 66.6667 }
percent = 100
"#;

const DUPLICATE_RULE_NAME: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
name = "beta"
match = [{ attr = "country", op = "eq", values = "US" }]
serve = "on"
[[flags.x.rules]]
name = "beta"
match = [{ attr = "country", op = "eq", values = "DE" }]
serve = "on"
"#;

const DUPLICATE_ROLLBACK_NAME: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
rollbacks = [
  { name = "INC-1", match = [{ attr = "os", op = "eq", values = "ios" }], serve = "off", since = "2026-12-01T00:00:00Z" },
  { name = "INC-1", match = [{ attr = "os", op = "eq", values = "android" }], serve = "off", since = "2026-12-02T00:00:00Z" },
]
"#;

const DUPLICATE_TARGET_ACROSS_VARIANTS: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.targets]
on = ["u1", "u2"]
off = ["u3", "u1"]
"#;

const DUPLICATE_TARGET_SAME_VARIANT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
targets = { on = ["u1", "u1"] }
"#;

const BOOLEAN_WITH_STRING: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
variants = { on = "yes", off = false }
"#;

const NUMBER_WITH_STRING: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "number"
variants = { normal = 90, short = "45" }
default = "normal"
"#;

const STRING_WITH_NUMBER: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = 2 }
default = "a"
"#;

const MISSING_DEFAULT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "number"
variants = { normal = 90, short = 45 }
"#;

const MISSING_VARIANTS: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
default = "a"
"#;

const EMPTY_VARIANTS: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = {}
default = "a"
"#;

const RULE_WITHOUT_SEGMENT_OR_MATCH: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
name = "everyone"
serve = "on"
"#;

const SEGMENT_WITHOUT_CONDITIONS: &str = r#"schema = 1
[release]
name = "t"
[segments.beta]
description = "nobody yet"
"#;

const EQ_TWO_VALUES: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "country", op = "eq", values = ["US", "DE"] }]
serve = "on"
"#;

const LT_STRING: &str = r#"schema = 1
[release]
name = "t"
[segments.young]
match = [{ attr = "age", op = "lt", values = "18" }]
"#;

const SEMVER_SHORT: &str = r#"schema = 1
[release]
name = "t"
[segments.legacy-android]
match = [
  { attr = "platform", op = "in", values = ["android"] },
  { attr = "appVersion", op = "semver_lt", values = ["4.2"] },
]
"#;

const EXISTS_WITH_VALUES: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "email", op = "exists", values = ["a@example.com"] }]
serve = "on"
"#;

const IN_WITH_OBJECT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "plan", op = "in", values = ["pro", { a = 1 }] }]
serve = "on"
"#;

const IN_WITHOUT_VALUES: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "plan", op = "in", values = [] }]
serve = "on"
"#;

const EMPTY_ATTR: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[[flags.x.rules]]
match = [{ attr = "", op = "eq", values = "pro" }]
serve = "on"
"#;

const VARIANT_AND_WEIGHTS: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B" }
default = "a"
[flags.x.rollout]
variant = "b"
weights = { a = 50, b = 50 }
percent = 100
"#;

const PERCENT_AND_STAGES: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
percent = 5
stages = [{ at = "2026-12-01T16:00:00Z", percent = 5 }]
"#;

const NEITHER_STAGES_NOR_PERCENT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
variant = "on"
"#;

const NEITHER_VARIANT_NOR_WEIGHTS: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B" }
default = "a"
[flags.x.rollout]
percent = 10
"#;

const CYCLE_SELF: &str = r#"schema = 1
[release]
name = "t"
[flags.a]
type = "boolean"
prerequisites = [{ flag = "a", variant = "on" }]
"#;

const CYCLE_TWO: &str = r#"schema = 1
[release]
name = "t"
[flags.a]
type = "boolean"
prerequisites = [{ flag = "b", variant = "on" }]
[flags.b]
type = "boolean"
prerequisites = [{ flag = "a", variant = "on" }]
"#;

const CYCLE_THREE: &str = r#"schema = 1
[release]
name = "t"
[flags.lead-in]
type = "boolean"
prerequisites = [{ flag = "a", variant = "on" }]
[flags.a]
type = "boolean"
prerequisites = [{ flag = "b", variant = "on" }]
[flags.b]
type = "boolean"
prerequisites = [{ flag = "c", variant = "on" }]
[flags.c]
type = "boolean"
prerequisites = [{ flag = "a", variant = "off" }]
"#;

const UNDECLARED_ENV: &str = r#"schema = 1
[release]
name = "t"
environments = ["production", "staging"]
[flags.x]
type = "boolean"
[flags.x.env.prodution]
enabled = false
"#;

const UNDECLARED_ENV_NESTED: &str = r#"schema = 1
[release]
name = "t"
environments = ["production", "staging"]
[flags.x]
type = "boolean"
[flags.x.rollout]
percent = 5
[flags.x.env.stagin.rollout]
percent = 100
"#;

const DECLARED_ENVS: &str = r#"schema = 1
[release]
name = "t"
environments = ["production", "staging"]
[flags.x]
type = "boolean"
[flags.x.env.staging]
enabled = false
"#;

const ENV_STAGES_NOT_INCREASING: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
percent = 5
[flags.x.env.staging.rollout]
stages = [
  { at = "2026-12-02T00:00:00Z", percent = 5 },
  { at = "2026-12-01T00:00:00Z", percent = 50 },
]
"#;

const ENV_UNKNOWN_TARGET_VARIANT: &str = r#"schema = 1
[release]
name = "t"
environments = ["production", "staging"]
[flags.x]
type = "boolean"
targets = { on = ["u1"] }
[flags.x.env.staging]
targets = { yes = ["qa-1"] }
"#;

const ENV_UNKNOWN_RULE_SEGMENT: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.env.staging]
rules = [{ segment = "qa", serve = "on" }]
"#;

const BASE_BROKEN_BUT_OVERRIDDEN: &str = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
stages = [{ at = "soon", percent = 5 }]
[flags.x.env.staging.rollout]
percent = 100
"#;

const BAD_SOAK: &str = r#"schema = 1
[release]
name = "t"
[checklist]
min_stage_soak = "12 hours"
"#;

const SCHEMA_2_WITH_NEW_FIELD: &str = r#"schema = 2
[release]
name = "t"
[flags.x]
type = "boolean"
expires = "2027-01-01T00:00:00Z"
"#;

// ---------------------------------------------------------------------------
// Reading the file
// ---------------------------------------------------------------------------

#[test]
fn toml_syntax_error_has_its_line() {
    let err = rejected(SYNTAX);
    assert!(
        matches!(err, ReleaseError::Syntax { line: Some(5), .. }),
        "{err:?}"
    );
    assert_eq!(err.line(), Some(5));
    assert_msg(
        &err,
        "invalid release file (line 5): string values must be quoted, expected literal string",
    );
}

#[test]
fn unknown_field_is_rejected_with_its_line() {
    let err = rejected(UNKNOWN_FIELD_ROLLOT);
    assert!(matches!(err, ReleaseError::Shape { .. }), "{err:?}");
    assert_eq!(err.line(), Some(6));
    assert_msg(
        &err,
        "flags.x.rollot (line 6): unknown field `rollot`; expected one of `type`, \
         `description`, `owner`, `runbook`, `hotfix`, `enabled`, `stale`, `variants`, \
         `default`, `rollback`, `prerequisites`, `targets`, `rollbacks`, `rules`, `rollout`, `env`",
    );
}

#[test]
fn unknown_field_inside_a_rollout_is_rejected_with_its_line() {
    let err = rejected(UNKNOWN_FIELD_IN_ROLLOUT);
    assert!(matches!(err, ReleaseError::Shape { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.percnt (line 7): unknown field `percnt`; expected one of `by`, `salt`, \
         `variant`, `weights`, `percent`, `stages`",
    );
}

#[test]
fn missing_required_field_points_at_its_table() {
    let err = rejected(MISSING_SERVE);
    assert!(matches!(err, ReleaseError::Shape { .. }), "{err:?}");
    assert_msg(&err, "flags.x.rules[0] (line 6): missing field `serve`");
}

#[test]
fn wrong_toml_type_is_rejected_with_its_line() {
    let err = rejected(WRONG_TOML_TYPE);
    assert!(matches!(err, ReleaseError::Shape { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.percent (line 7): expected a number, found a string",
    );
}

#[test]
fn unsupported_schema() {
    let err = rejected(SCHEMA_2);
    assert!(
        matches!(
            err,
            ReleaseError::UnsupportedSchema {
                found: 2,
                supported: 1
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "unsupported release schema 2: this version reads schema 1",
    );
}

#[test]
fn newer_schema_with_new_fields_reports_the_schema() {
    let err = rejected(SCHEMA_2_WITH_NEW_FIELD);
    assert!(
        matches!(
            err,
            ReleaseError::UnsupportedSchema {
                found: 2,
                supported: 1
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "unsupported release schema 2: this version reads schema 1",
    );
}

// ---------------------------------------------------------------------------
// Unknown names
// ---------------------------------------------------------------------------

#[test]
fn unknown_variant_in_default() {
    let err = rejected(UNKNOWN_DEFAULT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.default (line 6): unknown variant `of`; the flag has `on`, `off`",
    );
}

#[test]
fn unknown_variant_in_rollback_variant() {
    let err = rejected(UNKNOWN_ROLLBACK_VARIANT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollback.variant (line 6): unknown variant `of`; the flag has `on`, `off`",
    );
}

#[test]
fn unknown_variant_in_targets() {
    let err = rejected(UNKNOWN_TARGET_VARIANT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.targets.of (line 6): unknown variant `of`; the flag has `on`, `off`",
    );
}

#[test]
fn unknown_variant_in_rule_serve() {
    let err = rejected(UNKNOWN_RULE_SERVE);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].serve (line 8): unknown variant `yes`; the flag has `on`, `off`",
    );
}

#[test]
fn unknown_variant_in_rollbacks_serve() {
    let err = rejected(UNKNOWN_ROLLBACKS_SERVE);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollbacks[0].serve (line 8): unknown variant `of`; the flag has `on`, `off`",
    );
}

#[test]
fn unknown_variant_in_rollout_variant() {
    let err = rejected(UNKNOWN_ROLLOUT_VARIANT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.variant (line 9): unknown variant `c`; the flag has `a`, `b`",
    );
}

#[test]
fn unknown_variant_in_weights() {
    let err = rejected(UNKNOWN_WEIGHT_VARIANT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.weights.c (line 9): unknown variant `c`; the flag has `a`, `b`",
    );
}

#[test]
fn unknown_variant_in_prerequisite_lists_the_other_flags_variants() {
    let err = rejected(UNKNOWN_PREREQUISITE_VARIANT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.b.prerequisites[0].variant (line 10): unknown variant `green`; the flag has `red`, `blue`",
    );
}

#[test]
fn unknown_segment_in_rule() {
    let err = rejected(UNKNOWN_RULE_SEGMENT);
    assert!(
        matches!(err, ReleaseError::UnknownSegment { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].segment (line 9): unknown segment `betta`",
    );
}

#[test]
fn unknown_segment_in_rollback() {
    let err = rejected(UNKNOWN_ROLLBACK_SEGMENT);
    assert!(
        matches!(err, ReleaseError::UnknownSegment { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollbacks[0].segment (line 8): unknown segment `legacy-android`",
    );
}

#[test]
fn unknown_flag_in_prerequisites() {
    let err = rejected(UNKNOWN_PREREQUISITE_FLAG);
    assert!(matches!(err, ReleaseError::UnknownFlag { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.prerequisites[0].flag (line 6): unknown flag `nope`",
    );
}

// ---------------------------------------------------------------------------
// Times and schedules
// ---------------------------------------------------------------------------

#[test]
fn bad_time_in_stage_at() {
    let err = rejected(BAD_STAGE_AT);
    assert!(matches!(err, ReleaseError::BadTime { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.stages[1].at (line 9): `2026-12-02` is not an rfc 3339 time such as \
         2026-12-01T16:00:00Z",
    );
}

#[test]
fn bad_time_in_rollback_since() {
    let err = rejected(BAD_ROLLBACK_SINCE);
    assert!(matches!(err, ReleaseError::BadTime { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollbacks[0].since (line 9): `2026-12-01 16:00` is not an rfc 3339 time such \
         as 2026-12-01T16:00:00Z",
    );
}

#[test]
fn bad_time_in_before_condition() {
    let err = rejected(BAD_BEFORE);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "before", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].values (line 7): operator `before` needs an rfc 3339 time, \
         not \"yesterday\"",
    );
}

#[test]
fn bad_time_in_after_condition() {
    let err = rejected(BAD_AFTER);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "after", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "segments.new-users.match[1].values (line 7): operator `after` needs an rfc 3339 time, \
         not \"2026-02-29T00:00:00Z\"",
    );
}

#[test]
fn unquoted_toml_datetime_in_a_stage_is_read_as_a_time() {
    let unquoted = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "boolean"
[flags.x.rollout]
stages = [{ at = 2026-12-01T16:00:00Z, percent = 5 }]
"#;
    let release = match ReleaseFile::from_toml(unquoted) {
        Ok(r) => r,
        Err(e) => panic!("rejected: {e}"),
    };
    let quoted = ReleaseFile::from_toml(
        &unquoted.replace("at = 2026-12-01T16:00:00Z", "at = \"2026-12-01T16:00:00Z\""),
    )
    .unwrap();
    assert_eq!(release, quoted);
}

#[test]
fn stages_at_the_same_time_are_not_increasing() {
    let err = rejected(STAGES_EQUAL);
    assert!(
        matches!(err, ReleaseError::StagesNotIncreasing { index: 1, .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.stages[1] (line 9): stage 1 is not later than the stage before it",
    );
}

#[test]
fn stages_going_back_in_time_are_not_increasing() {
    let err = rejected(STAGES_DECREASING);
    assert!(
        matches!(err, ReleaseError::StagesNotIncreasing { index: 2, .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.stages[2] (line 10): stage 2 is not later than the stage before it",
    );
}

// ---------------------------------------------------------------------------
// Percentages and weights
// ---------------------------------------------------------------------------

#[test]
fn negative_percent_is_out_of_range() {
    let err = rejected(PERCENT_NEGATIVE);
    assert!(
        matches!(err, ReleaseError::PercentOutOfRange { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.percent (line 7): percent -1 is outside [0, 100]",
    );
}

#[test]
fn percent_over_100_is_out_of_range() {
    let err = rejected(PERCENT_OVER_100);
    assert!(
        matches!(err, ReleaseError::PercentOutOfRange { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.stages[1].percent (line 9): percent 100.5 is outside [0, 100]",
    );
}

#[test]
fn nan_percent_is_not_a_number() {
    let err = rejected(PERCENT_NAN);
    assert!(matches!(err, ReleaseError::Shape { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.percent (line 6): expected a finite number, found nan",
    );
}

#[test]
fn percent_finer_than_a_thousandth_is_too_precise() {
    let err = rejected(PERCENT_TOO_PRECISE);
    assert!(
        matches!(err, ReleaseError::PercentTooPrecise { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.percent (line 7): percent 0.0001 is finer than the 0.001% resolution",
    );
}

#[test]
fn weights_must_sum_to_100() {
    let err = rejected(WEIGHTS_SUM_75);
    assert!(matches!(err, ReleaseError::WeightsSum { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.weights (line 9): weights sum to 75, not 100",
    );
}

#[test]
fn weights_with_fractions_report_the_sum_as_written() {
    let err = rejected(WEIGHTS_SUM_FRACTION);
    assert!(matches!(err, ReleaseError::WeightsSum { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.weights (line 9): weights sum to 99.9, not 100",
    );
}

#[test]
fn weights_with_fine_fractions_that_sum_to_100_are_accepted() {
    // 0.1 + 0.2 + 99.7 is not 100.0 in f64 arithmetic; in thousandths it is exact.
    let src = r#"schema = 1
[release]
name = "t"
[flags.x]
type = "string"
variants = { a = "A", b = "B", c = "C" }
default = "a"
[flags.x.rollout]
weights = { a = 0.1, b = 0.2, c = 99.7 }
percent = 100
"#;
    let release = ReleaseFile::from_toml(src).unwrap();
    release.compile("production").unwrap();
}

#[test]
fn weight_finer_than_a_thousandth_is_too_precise() {
    let err = rejected(WEIGHT_TOO_PRECISE);
    assert!(
        matches!(err, ReleaseError::PercentTooPrecise { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout.weights.a (line 9): percent 33.3333 is finer than the 0.001% resolution",
    );
}

// ---------------------------------------------------------------------------
// Duplicates
// ---------------------------------------------------------------------------

#[test]
fn duplicate_rule_names() {
    let err = rejected(DUPLICATE_RULE_NAME);
    assert!(matches!(err, ReleaseError::DuplicateName { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rules[1].name (line 11): duplicate name `beta`",
    );
}

#[test]
fn duplicate_rollback_names() {
    let err = rejected(DUPLICATE_ROLLBACK_NAME);
    assert!(matches!(err, ReleaseError::DuplicateName { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollbacks[1].name (line 8): duplicate name `INC-1`",
    );
}

#[test]
fn targeting_key_listed_under_two_variants() {
    let err = rejected(DUPLICATE_TARGET_ACROSS_VARIANTS);
    assert!(matches!(err, ReleaseError::DuplicateName { .. }), "{err:?}");
    assert_msg(&err, "flags.x.targets.off[1] (line 8): duplicate name `u1`");
}

#[test]
fn targeting_key_listed_twice_under_one_variant() {
    let err = rejected(DUPLICATE_TARGET_SAME_VARIANT);
    assert!(matches!(err, ReleaseError::DuplicateName { .. }), "{err:?}");
    assert_msg(&err, "flags.x.targets.on[1] (line 6): duplicate name `u1`");
}

// ---------------------------------------------------------------------------
// Variants and their types
// ---------------------------------------------------------------------------

#[test]
fn boolean_flag_with_a_string_variant() {
    let err = rejected(BOOLEAN_WITH_STRING);
    assert!(
        matches!(
            err,
            ReleaseError::WrongValueType {
                expected: "boolean",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.variants.on (line 6): a boolean flag cannot have the value \"yes\"",
    );
}

#[test]
fn number_flag_with_a_string_variant() {
    let err = rejected(NUMBER_WITH_STRING);
    assert!(
        matches!(
            err,
            ReleaseError::WrongValueType {
                expected: "number",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.variants.short (line 6): a number flag cannot have the value \"45\"",
    );
}

#[test]
fn string_flag_with_a_number_variant() {
    let err = rejected(STRING_WITH_NUMBER);
    assert!(
        matches!(
            err,
            ReleaseError::WrongValueType {
                expected: "string",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.variants.b (line 6): a string flag cannot have the value 2",
    );
}

#[test]
fn non_boolean_flag_without_default() {
    let err = rejected(MISSING_DEFAULT);
    assert!(
        matches!(
            err,
            ReleaseError::Missing {
                field: "default",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x (line 4): missing `default`: only a boolean flag with the implicit `on`/`off` variants defaults to `off`",
    );
}

#[test]
fn string_flag_without_variants() {
    let err = rejected(MISSING_VARIANTS);
    assert!(
        matches!(
            err,
            ReleaseError::Missing {
                field: "variants",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x (line 4): missing `variants`: only boolean flags have implicit variants",
    );
}

#[test]
fn string_flag_with_no_variants() {
    let err = rejected(EMPTY_VARIANTS);
    assert!(
        matches!(
            err,
            ReleaseError::Missing {
                field: "variants",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.variants (line 6): missing `variants`: a flag needs at least one variant",
    );
}

// ---------------------------------------------------------------------------
// Rules, segments and conditions
// ---------------------------------------------------------------------------

#[test]
fn rule_with_neither_segment_nor_match() {
    let err = rejected(RULE_WITHOUT_SEGMENT_OR_MATCH);
    assert!(
        matches!(
            err,
            ReleaseError::Missing {
                field: "segment",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0] (line 6): missing `segment`: give a segment, conditions (`match`), or both",
    );
}

#[test]
fn segment_with_no_conditions() {
    let err = rejected(SEGMENT_WITHOUT_CONDITIONS);
    assert!(
        matches!(err, ReleaseError::Missing { field: "match", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "segments.beta (line 4): missing `match`: a segment needs at least one condition",
    );
}

#[test]
fn eq_with_two_values() {
    let err = rejected(EQ_TWO_VALUES);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "eq", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].values (line 7): operator `eq` takes exactly one value, not 2",
    );
}

#[test]
fn lt_with_a_string() {
    let err = rejected(LT_STRING);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "lt", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "segments.young.match[0].values (line 5): operator `lt` compares numbers, not \"18\"",
    );
}

#[test]
fn semver_lt_with_an_incomplete_version() {
    let err = rejected(SEMVER_SHORT);
    assert!(
        matches!(
            err,
            ReleaseError::BadCondition {
                op: "semver_lt",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "segments.legacy-android.match[1].values (line 7): operator `semver_lt` needs a semantic \
         version such as \"4.2.0\", not \"4.2\"",
    );
}

#[test]
fn exists_with_values() {
    let err = rejected(EXISTS_WITH_VALUES);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "exists", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].values (line 7): operator `exists` takes no values",
    );
}

#[test]
fn in_with_an_object_value() {
    let err = rejected(IN_WITH_OBJECT);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "in", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].values (line 7): operator `in` compares strings, numbers or \
         booleans, not {\"a\":1}",
    );
}

#[test]
fn in_without_values() {
    let err = rejected(IN_WITHOUT_VALUES);
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "in", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].values (line 7): operator `in` needs at least one value",
    );
}

#[test]
fn in_with_a_null_value_from_json() {
    let err = rejected_json(serde_json::json!({
        "schema": 1,
        "release": { "name": "t" },
        "flags": { "x": {
            "type": "boolean",
            "rules": [{ "match": [{ "attr": "plan", "op": "in", "values": ["pro", null] }], "serve": "on" }]
        }}
    }));
    assert!(
        matches!(err, ReleaseError::BadCondition { op: "in", .. }),
        "{err:?}"
    );
    assert_eq!(err.line(), None);
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].values: operator `in` compares strings, numbers or booleans, \
         not null",
    );
}

#[test]
fn condition_without_an_attribute() {
    let err = rejected(EMPTY_ATTR);
    assert!(
        matches!(err, ReleaseError::Missing { field: "attr", .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rules[0].match[0].attr (line 7): missing `attr`: a condition names the context \
         attribute it tests",
    );
}

// ---------------------------------------------------------------------------
// Rollout shape
// ---------------------------------------------------------------------------

#[test]
fn rollout_with_both_variant_and_weights() {
    let err = rejected(VARIANT_AND_WEIGHTS);
    assert!(matches!(err, ReleaseError::Conflict { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout (line 8): a rollout serves either one `variant` or a split by \
         `weights`, not both",
    );
}

#[test]
fn rollout_with_both_percent_and_stages() {
    let err = rejected(PERCENT_AND_STAGES);
    assert!(matches!(err, ReleaseError::Conflict { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout (line 6): a rollout has either a constant `percent` or `stages`, not both",
    );
}

#[test]
fn rollout_with_neither_stages_nor_percent() {
    let err = rejected(NEITHER_STAGES_NOR_PERCENT);
    assert!(
        matches!(
            err,
            ReleaseError::Missing {
                field: "stages",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout (line 6): missing `stages`: a rollout needs `stages` or a constant `percent`",
    );
}

#[test]
fn non_boolean_rollout_with_neither_variant_nor_weights() {
    let err = rejected(NEITHER_VARIANT_NOR_WEIGHTS);
    assert!(
        matches!(
            err,
            ReleaseError::Missing {
                field: "variant",
                ..
            }
        ),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.rollout (line 8): missing `variant`: a rollout serves one `variant` or a split \
         by `weights`",
    );
}

// ---------------------------------------------------------------------------
// Prerequisite cycles
// ---------------------------------------------------------------------------

#[test]
fn flag_that_requires_itself() {
    let err = rejected(CYCLE_SELF);
    assert!(
        matches!(err, ReleaseError::PrerequisiteCycle { .. }),
        "{err:?}"
    );
    assert_msg(&err, "prerequisite cycle: a -> a");
}

#[test]
fn two_flags_that_require_each_other() {
    let err = rejected(CYCLE_TWO);
    assert!(
        matches!(err, ReleaseError::PrerequisiteCycle { .. }),
        "{err:?}"
    );
    assert_msg(&err, "prerequisite cycle: a -> b -> a");
}

#[test]
fn three_flag_cycle_lists_only_the_cycle() {
    let err = rejected(CYCLE_THREE);
    assert!(
        matches!(err, ReleaseError::PrerequisiteCycle { .. }),
        "{err:?}"
    );
    assert_msg(&err, "prerequisite cycle: a -> b -> c -> a");
}

// ---------------------------------------------------------------------------
// Environments
// ---------------------------------------------------------------------------

#[test]
fn override_for_an_undeclared_environment() {
    let err = rejected(UNDECLARED_ENV);
    assert!(
        matches!(err, ReleaseError::UnknownEnvironment { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.env.prodution (line 7): unknown environment `prodution`; the release declares \
         production, staging",
    );
}

#[test]
fn nested_override_for_an_undeclared_environment() {
    let err = rejected(UNDECLARED_ENV_NESTED);
    assert!(
        matches!(err, ReleaseError::UnknownEnvironment { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.env.stagin (line 9): unknown environment `stagin`; the release declares \
         production, staging",
    );
}

#[test]
fn compiling_an_undeclared_environment() {
    let release = ReleaseFile::from_toml(DECLARED_ENVS).unwrap();
    release.compile("production").unwrap();
    release.compile("staging").unwrap();
    let err = release.compile("prod").unwrap_err();
    assert!(
        matches!(&err, ReleaseError::UnknownEnvironment { env, .. } if env == "prod"),
        "{err:?}"
    );
    assert_msg(
        &err,
        "release.environments: unknown environment `prod`; the release declares production, staging",
    );
    assert!(release.for_environment("prod").is_err());
}

#[test]
fn undeclared_environment_from_json() {
    let err = rejected_json(serde_json::json!({
        "schema": 1,
        "release": { "name": "t", "environments": ["production"] },
        "flags": { "x": { "type": "boolean", "env": { "qa": { "enabled": false } } } }
    }));
    assert!(
        matches!(err, ReleaseError::UnknownEnvironment { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.env.qa: unknown environment `qa`; the release declares production",
    );
}

#[test]
fn error_in_an_override_points_at_the_override() {
    let err = rejected(ENV_STAGES_NOT_INCREASING);
    assert!(
        matches!(err, ReleaseError::StagesNotIncreasing { index: 1, .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.env.staging.rollout.stages[1] (line 11): stage 1 is not later than the stage \
         before it",
    );
}

#[test]
fn unknown_variant_in_override_targets_points_at_the_override() {
    let err = rejected(ENV_UNKNOWN_TARGET_VARIANT);
    assert!(
        matches!(err, ReleaseError::UnknownVariant { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.env.staging.targets.yes (line 9): unknown variant `yes`; the flag has `on`, `off`",
    );
}

#[test]
fn unknown_segment_in_override_rules_points_at_the_override() {
    let err = rejected(ENV_UNKNOWN_RULE_SEGMENT);
    assert!(
        matches!(err, ReleaseError::UnknownSegment { .. }),
        "{err:?}"
    );
    assert_msg(
        &err,
        "flags.x.env.staging.rules[0].segment (line 7): unknown segment `qa`",
    );
}

#[test]
fn broken_base_plan_is_rejected_even_when_an_override_replaces_it() {
    let err = rejected(BASE_BROKEN_BUT_OVERRIDDEN);
    assert!(matches!(err, ReleaseError::BadTime { .. }), "{err:?}");
    assert_msg(
        &err,
        "flags.x.rollout.stages[0].at (line 7): `soon` is not an rfc 3339 time such as \
         2026-12-01T16:00:00Z",
    );
}

#[test]
fn bad_checklist_soak_duration() {
    let err = rejected(BAD_SOAK);
    assert!(matches!(err, ReleaseError::BadDuration { .. }), "{err:?}");
    assert_msg(
        &err,
        "checklist.min_stage_soak (line 5): `12 hours` is not a duration such as 12h or 1d12h",
    );
}

// ---------------------------------------------------------------------------
// The example release, and the shape of every message
// ---------------------------------------------------------------------------

#[test]
fn season0_parses_and_compiles_for_production_and_staging() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/season0.toml");
    let src = std::fs::read_to_string(path).unwrap();
    let release = ReleaseFile::from_toml(&src).unwrap();
    release.validate().unwrap();
    let production = release.compile("production").unwrap();
    let staging = release.compile("staging").unwrap();
    assert_eq!(production.environment(), "production");
    assert_eq!(staging.environment(), "staging");
    assert_eq!(production.flag_keys().len(), 6);
    assert_eq!(staging.flag_keys().len(), 6);
    // Staging's override replaces the rollout; production keeps the base plan.
    let stages = |snap: &edgeflag::Snapshot| {
        snap.flag("ranked-matchmaking")
            .and_then(|f| f.rollout.as_ref())
            .map(|r| r.stages.len())
    };
    assert_eq!(stages(&production), Some(4));
    assert_eq!(stages(&staging), Some(1));
}

const ALL_BAD: &[&str] = &[
    SYNTAX,
    UNKNOWN_FIELD_ROLLOT,
    UNKNOWN_FIELD_IN_ROLLOUT,
    MISSING_SERVE,
    WRONG_TOML_TYPE,
    SCHEMA_2,
    SCHEMA_2_WITH_NEW_FIELD,
    UNKNOWN_DEFAULT,
    UNKNOWN_ROLLBACK_VARIANT,
    UNKNOWN_TARGET_VARIANT,
    UNKNOWN_RULE_SERVE,
    UNKNOWN_ROLLBACKS_SERVE,
    UNKNOWN_ROLLOUT_VARIANT,
    UNKNOWN_WEIGHT_VARIANT,
    UNKNOWN_PREREQUISITE_VARIANT,
    UNKNOWN_RULE_SEGMENT,
    UNKNOWN_ROLLBACK_SEGMENT,
    UNKNOWN_PREREQUISITE_FLAG,
    BAD_STAGE_AT,
    BAD_ROLLBACK_SINCE,
    BAD_BEFORE,
    BAD_AFTER,
    STAGES_EQUAL,
    STAGES_DECREASING,
    PERCENT_NEGATIVE,
    PERCENT_OVER_100,
    PERCENT_NAN,
    PERCENT_TOO_PRECISE,
    WEIGHTS_SUM_75,
    WEIGHTS_SUM_FRACTION,
    WEIGHT_TOO_PRECISE,
    DUPLICATE_RULE_NAME,
    DUPLICATE_ROLLBACK_NAME,
    DUPLICATE_TARGET_ACROSS_VARIANTS,
    DUPLICATE_TARGET_SAME_VARIANT,
    BOOLEAN_WITH_STRING,
    NUMBER_WITH_STRING,
    STRING_WITH_NUMBER,
    MISSING_DEFAULT,
    MISSING_VARIANTS,
    EMPTY_VARIANTS,
    RULE_WITHOUT_SEGMENT_OR_MATCH,
    SEGMENT_WITHOUT_CONDITIONS,
    EQ_TWO_VALUES,
    LT_STRING,
    SEMVER_SHORT,
    EXISTS_WITH_VALUES,
    IN_WITH_OBJECT,
    IN_WITHOUT_VALUES,
    EMPTY_ATTR,
    VARIANT_AND_WEIGHTS,
    PERCENT_AND_STAGES,
    NEITHER_STAGES_NOR_PERCENT,
    NEITHER_VARIANT_NOR_WEIGHTS,
    CYCLE_SELF,
    CYCLE_TWO,
    CYCLE_THREE,
    UNDECLARED_ENV,
    UNDECLARED_ENV_NESTED,
    ENV_STAGES_NOT_INCREASING,
    ENV_UNKNOWN_TARGET_VARIANT,
    ENV_UNKNOWN_RULE_SEGMENT,
];

/// The message after the path (and line), or the whole message when the
/// error has no path; for syntax errors, also the parser's own message.
fn message_parts(err: &ReleaseError) -> Vec<String> {
    let text = err.to_string();
    match err {
        ReleaseError::Syntax { message, .. } => vec![text, message.clone()],
        _ => match err.loc() {
            Some(loc) => {
                let prefix = format!("{loc}: ");
                let rest = text
                    .strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("`{text}` does not start with its path `{prefix}`"));
                vec![rest.to_owned()]
            }
            None => vec![text],
        },
    }
}

#[test]
fn messages_start_lowercase_after_the_path() {
    let mut errors: Vec<ReleaseError> = ALL_BAD
        .iter()
        .filter_map(|src| ReleaseFile::from_toml(src).err())
        .collect();
    let declared = ReleaseFile::from_toml(DECLARED_ENVS).unwrap();
    errors.push(declared.compile("prod").unwrap_err());
    // Every bad file is rejected.
    assert!(
        errors.len() == ALL_BAD.len() + 1,
        "only {} errors",
        errors.len()
    );
    let mut capitalised = Vec::new();
    for err in &errors {
        for part in message_parts(err) {
            let first = part.chars().next();
            assert!(first.is_some(), "empty message in {err:?}");
            if first.is_some_and(char::is_uppercase) {
                capitalised.push(err.to_string());
            }
        }
    }
    assert!(
        capitalised.is_empty(),
        "messages starting with a capital:\n{}",
        capitalised.join("\n")
    );
}

#[test]
fn every_located_error_has_a_line_from_toml() {
    for src in ALL_BAD {
        let Err(err) = ReleaseFile::from_toml(src) else {
            continue;
        };
        if err.loc().is_some() {
            assert!(err.line().is_some(), "no line for `{err}` in:\n{src}");
        }
    }
}
