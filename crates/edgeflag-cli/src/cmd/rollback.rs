//! `edgeflag rollback`: rolls a flag back in the release file itself, so the
//! rollback goes through the same review, build and signature as any change.
//! The file is edited with `toml_edit` rather than re-serialised: the release
//! manager's comments and layout outside the flag must survive an incident.

use std::path::Path;

use edgeflag::{FlagDef, FlagType, ReleaseFile, Timestamp};
use toml_edit::{DocumentMut, InlineTable, Item, Value};

use crate::args::RollbackArgs;
use crate::error::{CliError, Result};
use crate::io;

mod edit;
mod matching;

/// Every message names the file and the flag, so whoever runs a rollback in
/// the middle of an incident knows exactly what to fix.
pub(super) struct Place<'a> {
    pub(super) path: &'a Path,
    pub(super) flag: &'a str,
}

impl Place<'_> {
    pub(super) fn err(&self, field: &str, msg: impl std::fmt::Display) -> CliError {
        let bare = !self.flag.is_empty()
            && self
                .flag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let key = if bare {
            self.flag.to_owned()
        } else {
            format!("{:?}", self.flag)
        };
        let field = if field.is_empty() {
            String::new()
        } else {
            format!("{field}: ")
        };
        CliError::input(format!(
            "{}: flags.{key}: {field}{msg}",
            self.path.display()
        ))
    }
}

pub fn run(a: &RollbackArgs, json: bool) -> Result<()> {
    let path = a.release.as_path();
    let place = Place {
        path,
        flag: &a.flag,
    };
    let text = io::read_text(path)?;
    let release = ReleaseFile::from_toml(&text)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let Some(def) = release.flags.get(&a.flag) else {
        let known: Vec<String> = release.flags.keys().map(|k| format!("`{k}`")).collect();
        return Err(CliError::input(format!(
            "{}: unknown flag `{}`; the release has {}",
            path.display(),
            a.flag,
            known.join(", ")
        )));
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let flag = doc
        .get_mut("flags")
        .and_then(Item::as_table_like_mut)
        .and_then(|flags| flags.get_mut(&a.flag))
        .ok_or_else(|| place.err("", "not found as a table in the file"))?;

    let partial = a.segment.is_some() || !a.matches.is_empty();
    let (kind, changed) = match (partial, a.to_stage) {
        (true, _) => ("partial", partial_rollback(a, &place, &release, def, flag)?),
        (false, Some(n)) => {
            only_partial(a, &place, "--to-stage")?;
            (
                "stage",
                edit::cut_stages(&place, def, flag, n, a.rule.as_deref())?,
            )
        }
        (false, None) => {
            only_partial(a, &place, "a full rollback")?;
            ("full", edit::kill(&place, def, flag)?)
        }
    };

    let edited = doc.to_string();
    // The core validates everything a build would: a rollback must never leave
    // a file that cannot be built in the middle of an incident.
    let after = ReleaseFile::from_toml(&edited).map_err(|e| {
        place.err(
            "",
            format!("the rollback would make the release invalid, nothing was written: {e}"),
        )
    })?;
    // Never half a release: a temp file renamed over the old one.
    io::replace(path, &edited)?;

    // A stage rollback leaves a plan that no longer ends at 100%, which the
    // checklist rejects; in an incident the build must still go out, so say
    // so and suggest `--force` (which the snapshot records) rather than let
    // the next command fail.
    let report = edgeflag::check(&after);
    let mut next = next_command(path, &release);
    let mut warning = None;
    if !report.passed() {
        next.push_str(" --force");
        warning = Some(format!(
            "the release checklist now fails ({} violation(s)): `--force` publishes the rollback and records it; run `edgeflag check {}` to see what to restore",
            report.summary.violations,
            path.display()
        ));
    }
    if json {
        return io::print_json(&serde_json::json!({
            "flag": a.flag,
            "kind": kind,
            "changed": changed,
            "next": next,
            "warning": warning,
        }));
    }
    outln!("{changed}");
    outln!("updated {}", path.display());
    if let Some(w) = &warning {
        outln!("note: {w}");
    }
    outln!("next: build and sign the next snapshot, then publish it:");
    outln!("  {next}");
    Ok(())
}

/// `--name`, `--serve` and `--at` only mean something for a partial rollback;
/// ignoring them silently would let a release manager believe, say, that a
/// kill switch waits for `--at`.
fn only_partial(a: &RollbackArgs, place: &Place, mode: &str) -> Result<()> {
    let given = [
        ("--name", a.name.is_some()),
        ("--serve", a.serve.is_some()),
        ("--at", a.at.is_some()),
    ];
    let Some((opt, _)) = given.iter().find(|(_, set)| *set) else {
        return Ok(());
    };
    let hint = match *opt {
        "--serve" => "; a full rollback serves the flag's `rollback.variant`",
        "--at" => "; the change takes effect when its snapshot is published",
        _ => "",
    };
    Err(place.err(
        opt,
        format!("only applies to a partial rollback (--segment/--match), not to {mode}{hint}"),
    ))
}

fn variant_names(def: &FlagDef) -> Vec<String> {
    match &def.variants {
        Some(v) => v.keys().cloned().collect(),
        None if def.kind == FlagType::Boolean => vec!["on".to_owned(), "off".to_owned()],
        None => Vec::new(),
    }
}

/// The variant the kill switch serves, as the core resolves it.
pub(super) fn rollback_variant(def: &FlagDef) -> Option<String> {
    def.rollback
        .as_ref()
        .and_then(|r| r.variant.clone())
        .or_else(|| def.default.clone())
        .or_else(|| (def.kind == FlagType::Boolean).then(|| "off".to_owned()))
}

fn quoted(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    q.join(", ")
}

fn partial_rollback(
    a: &RollbackArgs,
    place: &Place,
    release: &ReleaseFile,
    def: &FlagDef,
    flag: &mut Item,
) -> Result<String> {
    if let Some(s) = a
        .segment
        .as_ref()
        .filter(|s| !release.segments.contains_key(*s))
    {
        let known: Vec<String> = release.segments.keys().cloned().collect();
        return Err(place.err(
            "--segment",
            format!(
                "unknown segment `{s}`; the release defines {}",
                quoted(&known)
            ),
        ));
    }
    let conds = a
        .matches
        .iter()
        .map(|m| matching::parse_match(m).map_err(|why| place.err(&format!("--match `{m}`"), why)))
        .collect::<Result<Vec<matching::Cond>>>()?;
    let names = variant_names(def);
    let serve = match &a.serve {
        Some(s) if !names.contains(s) => {
            return Err(place.err(
                "--serve",
                format!("unknown variant `{s}`; the flag has {}", quoted(&names)),
            ));
        }
        Some(s) => s.clone(),
        None => rollback_variant(def)
            .ok_or_else(|| place.err("--serve", "the flag has no rollback variant; give one"))?,
    };
    let at = io::time(a.at.as_deref()).map_err(|e| place.err("", e))?;
    let since = match a.at.as_deref() {
        // Whole seconds from the clock: the file is read by people, and a
        // rollback active a fraction of a second earlier changes nothing.
        None | Some("now") => Timestamp::from_millis(at.as_millis().div_euclid(1000) * 1000),
        Some(_) => at,
    };
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| format!("rollback {since}"));
    if name.trim().is_empty() {
        return Err(place.err("--name", "must not be empty"));
    }
    if def
        .rollbacks
        .iter()
        .any(|r| r.name.as_deref() == Some(&name))
    {
        return Err(place.err(
            "--name",
            format!("the flag already has a partial rollback named \"{name}\""),
        ));
    }

    let mut entry = InlineTable::new();
    entry.insert("name", Value::from(name.as_str()));
    let mut who = Vec::new();
    if let Some(s) = &a.segment {
        entry.insert("segment", Value::from(s.as_str()));
        who.push(format!("segment {s}"));
    }
    if !conds.is_empty() {
        let mut list = toml_edit::Array::new();
        for c in conds {
            who.push(c.text);
            list.push(c.value);
        }
        list.fmt();
        entry.insert("match", Value::Array(list));
    }
    entry.insert("serve", Value::from(serve.as_str()));
    entry.insert("since", Value::from(since.to_string()));
    entry.fmt();
    edit::append_rollback(place, flag, entry)?;
    Ok(format!(
        "{}: partial rollback \"{name}\" for {} serves \"{serve}\" since {since}",
        place.flag,
        who.join(" and ")
    ))
}

/// The build that turns the edited file into the next signed snapshot.
fn next_command(path: &Path, release: &ReleaseFile) -> String {
    // Undeclared environments get the base plan, so production always builds
    // unless the release declares a list without it.
    let env = match &release.release.environments {
        Some(declared) if !declared.iter().any(|e| e == "production") => {
            declared.first().map_or("production", String::as_str)
        }
        _ => "production",
    };
    format!(
        "edgeflag build {} --env {} --key KEY.pem --previous LATEST_SNAPSHOT.json \
         --out NEXT_SNAPSHOT.json",
        shell_word(&path.display().to_string()),
        shell_word(env)
    )
}

fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+=,".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
