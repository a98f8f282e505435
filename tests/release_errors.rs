#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every way a release file is rejected, each with its own precise error: the
//! variant, the fields that tell it apart, the line and the exact message. The
//! cases are data, in `tests/release_errors/cases.toml` (its header says what
//! a case holds); one test replays them all and reports every case that
//! fails, not just the first. The few tests below it check something other
//! than a rejection.

use edgeflag::{ReleaseError, ReleaseFile};
use serde::Deserialize;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/release_errors/cases.toml"
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    case: Vec<Case>,
}

/// One bad release file and what it is rejected with; unknown keys are
/// refused so that a misspelt expectation cannot go silently unchecked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    toml: Option<String>,
    json: Option<String>,
    #[serde(default)]
    compiles: Vec<String>,
    compile: Option<String>,
    /// The file compiles for this environment; its browser snapshot is refused.
    browser: Option<String>,
    error: String,
    #[serde(default)]
    fields: toml::Table,
    line: Option<usize>,
    message: String,
}

/// What the case's release file is rejected with, or why it is not.
fn rejection(case: &Case) -> Result<ReleaseError, String> {
    let read = match (&case.toml, &case.json) {
        (Some(src), None) => ReleaseFile::from_toml(src),
        (None, Some(src)) => ReleaseFile::from_json(src),
        _ => return Err("the case needs exactly one of `toml` and `json`".into()),
    };
    if let Some(env) = &case.browser {
        let release = read.map_err(|e| format!("the release file was rejected: {e}"))?;
        let defs = release
            .for_environment(env)
            .map_err(|e| format!("for_environment(`{env}`) was rejected: {e}"))?;
        return match defs.for_browser(&edgeflag::browser_salt("case"), None) {
            Ok(_) => Err(format!("the browser snapshot of `{env}` was accepted")),
            Err(e) => Ok(e),
        };
    }
    let Some(env) = &case.compile else {
        return match read {
            Ok(_) => Err("the release file was accepted".into()),
            Err(e) => Ok(e),
        };
    };
    let release = read.map_err(|e| format!("the release file was rejected: {e}"))?;
    for ok in &case.compiles {
        release
            .compile(ok)
            .map_err(|e| format!("compiling for `{ok}` was rejected: {e}"))?;
    }
    if release.for_environment(env).is_ok() {
        return Err(format!("for_environment(`{env}`) was accepted"));
    }
    match release.compile(env) {
        Ok(_) => Err(format!("compiling for `{env}` was accepted")),
        Err(e) => Ok(e),
    }
}

/// The variant's name, as Debug writes it.
fn variant(err: &ReleaseError) -> String {
    format!("{err:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// A field of the variant that a case may pin, as TOML writes it; `None` when
/// the variant has no such field (or it is `None`).
fn field(err: &ReleaseError, name: &str) -> Option<toml::Value> {
    let int = |n: usize| i64::try_from(n).ok().map(toml::Value::Integer);
    let text = |s: &str| Some(toml::Value::String(s.to_owned()));
    match (err, name) {
        (ReleaseError::Syntax { line, .. }, "line") => line.and_then(int),
        (ReleaseError::UnsupportedSchema { found, .. }, "found") => {
            Some(toml::Value::Integer((*found).into()))
        }
        (ReleaseError::UnsupportedSchema { supported, .. }, "supported") => {
            Some(toml::Value::Integer((*supported).into()))
        }
        (ReleaseError::UnknownEnvironment { env, .. }, "env") => text(env),
        (ReleaseError::StagesNotIncreasing { index, .. }, "index") => int(*index),
        (ReleaseError::WrongValueType { expected, .. }, "expected") => text(expected),
        (ReleaseError::Missing { field, .. }, "field") => text(field),
        (ReleaseError::BadCondition { op, .. }, "op") => text(op),
        (ReleaseError::PrivateOperator { op, .. }, "op") => text(op),
        (ReleaseError::PrivateOperator { attr, .. }, "attr") => text(attr),
        (ReleaseError::PrivateOperator { step, .. }, "step") => step.as_deref().and_then(text),
        (ReleaseError::NotForBrowsers { flag, .. }, "flag") => text(flag),
        _ => None,
    }
}

/// The message after the path (and line), or the whole message when the
/// error has no path; for syntax errors, also the parser's own message.
fn message_parts(err: &ReleaseError) -> Result<Vec<String>, String> {
    let text = err.to_string();
    match err {
        ReleaseError::Syntax { message, .. } => Ok(vec![text, message.clone()]),
        _ => match err.loc() {
            Some(loc) => {
                let prefix = format!("{loc}: ");
                match text.strip_prefix(&prefix) {
                    Some(rest) => Ok(vec![rest.to_owned()]),
                    None => Err(format!("`{text}` does not start with its path `{prefix}`")),
                }
            }
            None => Ok(vec![text]),
        },
    }
}

/// How `err` differs from what the case expects, apart from the message;
/// empty when it does not.
fn differences(case: &Case, err: &ReleaseError) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, expected: String, actual: String| {
        if expected != actual {
            out.push(format!(
                "{what}\n    expected: {expected}\n    actual:   {actual}"
            ));
        }
    };
    differ("variant", case.error.clone(), variant(err));
    for (name, expected) in &case.fields {
        let actual = field(err, name).map_or_else(|| "(no such field)".into(), |v| v.to_string());
        differ(&format!("field `{name}`"), expected.to_string(), actual);
    }
    if let Some(line) = case.line {
        differ(
            "line",
            format!("{:?}", Some(line)),
            format!("{:?}", err.line()),
        );
    }
    // What every message promises, whatever the case.
    match message_parts(err) {
        Err(why) => out.push(why),
        Ok(parts) => {
            for part in parts {
                match part.chars().next() {
                    None => out.push("an empty message".into()),
                    Some(c) if c.is_uppercase() => {
                        out.push(format!("a message starting with a capital: `{part}`"));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let read_from_toml = case.toml.is_some() && case.compile.is_none() && case.browser.is_none();
    if read_from_toml && err.loc().is_some() && err.line().is_none() {
        out.push("a located error read from toml has no line".into());
    }
    if case.json.is_some() && err.line().is_some() {
        out.push(format!(
            "an error read from json has a line: {:?}",
            err.line()
        ));
    }
    out
}

/// `s` as a TOML string on one line, as the table writes them: a literal
/// string for a message that quotes values (no escapes to read), else basic.
fn toml_string(s: &str) -> String {
    let plain = !s.chars().any(|c| c.is_control());
    if plain && !s.contains(['"', '\\']) {
        return format!("\"{s}\"");
    }
    if plain && !s.contains('\'') {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Rewrites the `message` line of each named case in the table's text.
fn rewrite_messages(text: &str, new: &[(String, String)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for (name, message) in new {
        let header = format!("name = {}", toml_string(name));
        let at = lines.iter().position(|l| *l == header);
        let line = at.and_then(|at| {
            lines
                .iter_mut()
                .skip(at)
                .find(|l| l.starts_with("message = "))
        });
        match line {
            Some(line) => *line = format!("message = {}", toml_string(message)),
            None => panic!("no `message` line for case {name} in {CASES}"),
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn every_bad_release_file_is_rejected_with_its_own_error() {
    let text = std::fs::read_to_string(CASES).unwrap();
    let table: Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{CASES}: {e}"));
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut rewritten = Vec::new();
    for case in &table.case {
        let err = match rejection(case) {
            Ok(err) => err,
            Err(why) => {
                failures.push(format!("{}: {why}", case.name));
                continue;
            }
        };
        let mut wrong = differences(case, &err);
        let message = err.to_string();
        if message != case.message {
            if update {
                rewritten.push((case.name.clone(), message));
            } else {
                wrong.push(format!(
                    "message\n    expected: {}\n    actual:   {message}",
                    case.message
                ));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}:\n  {}\n  ({err:?})",
                case.name,
                wrong.join("\n  ")
            ));
        }
    }
    if !rewritten.is_empty() {
        std::fs::write(CASES, rewrite_messages(&text, &rewritten)).unwrap();
        eprintln!(
            "UPDATE_EXPECT: rewrote {} message(s) in {CASES}",
            rewritten.len()
        );
    }
    let mut seen = std::collections::HashSet::new();
    for case in &table.case {
        if !seen.insert(case.name.as_str()) {
            failures.push(format!("{}: two cases have this name", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        table.case.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------
// What is accepted, next to what is not
// ---------------------------------------------------------------------------

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
