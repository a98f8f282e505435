//! `edgeflag simulate` and `edgeflag diff`.

use std::path::Path;

use edgeflag::Change;

use crate::args::Trust;
use crate::error::{CliError, Result};
use crate::{io, out};

pub fn simulate(
    path: &Path,
    trust: &Trust,
    flags: &[String],
    users: usize,
    at: Option<&str>,
    context: Option<&str>,
    json: bool,
) -> Result<()> {
    let now = io::time(at)?;
    let v = io::snapshot(path, trust, now)?;
    io::warn_if_stale(path, &v, now);
    let template = io::context(context)?;
    let keys: Vec<&str> = flags.iter().map(String::as_str).collect();
    if let Some(missing) = keys.iter().find(|k| v.snapshot.flag(k).is_none()) {
        return Err(CliError::input(format!(
            "{}: no flag `{missing}`",
            path.display()
        )));
    }
    let dists = v.snapshot.simulate(&keys, users, now, &template);
    if json {
        return io::print_json(&dists);
    }
    outln!("{users} synthetic users at {now}");
    for d in &dists {
        outln!("\n{}", d.key);
        let rows: Vec<Vec<String>> = d
            .outcomes
            .iter()
            .map(|o| {
                vec![
                    o.variant.clone().unwrap_or_default(),
                    o.reason.name().to_owned(),
                    o.rule.clone().unwrap_or_default(),
                    o.users.to_string(),
                    out::percent(o.share),
                    out::bar(o.share, 40),
                ]
            })
            .collect();
        out::table(
            &[
                "variant",
                "reason",
                "rule or rollback",
                "users",
                "share",
                "",
            ],
            &rows,
        );
    }
    Ok(())
}

pub fn diff(
    old: &Path,
    new: &Path,
    trust: &Trust,
    users: usize,
    at: Option<&str>,
    context: Option<&str>,
    json: bool,
) -> Result<()> {
    let now = io::time(at)?;
    // History is compared as it was: an expired old snapshot is still a fair baseline.
    let a = io::snapshot(old, trust, now)?;
    let b = io::snapshot(new, trust, now)?;
    let template = io::context(context)?;
    let diffs = edgeflag::diff(&a.snapshot, &b.snapshot, users, now, &template);
    let segments = edgeflag::segment_changes(a.snapshot.definitions(), b.snapshot.definitions());
    if json {
        return io::print_json(&serde_json::json!({
            "from_version": a.version,
            "to_version": b.version,
            "users": users,
            "at": now.to_string(),
            "flags": diffs,
            "segments_changed": segments,
        }));
    }
    outln!(
        "version {} -> {}: {users} synthetic users at {now}",
        a.version,
        b.version
    );
    let rows: Vec<Vec<String>> = diffs
        .iter()
        .map(|d| {
            let moved = d.moved_users.map_or("-".to_owned(), |n| {
                format!("{n} ({})", out::percent(n as f64 / users.max(1) as f64))
            });
            // Which rule moved them, so a rule's rollout or rollback reads on its own.
            let by_rule: Vec<String> = d
                .by_rule
                .iter()
                .map(|m| match &m.rule {
                    Some(rule) => format!("{rule}: {}", m.users),
                    None => format!("(no rule): {}", m.users),
                })
                .collect();
            let def = match d.definition {
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
                Change::Unchanged => "unchanged",
            };
            vec![d.key.clone(), def.to_owned(), moved, by_rule.join("; ")]
        })
        .collect();
    out::table(
        &[
            "flag",
            "definition",
            "users whose variant changes",
            "by rule",
        ],
        &rows,
    );
    if !segments.is_empty() {
        outln!("segments changed: {}", segments.join(", "));
    }
    let untouched_moved: Vec<&str> = diffs
        .iter()
        .filter(|d| d.definition == Change::Unchanged && d.moved_users.unwrap_or(0) > 0)
        .map(|d| d.key.as_str())
        .collect();
    if untouched_moved.is_empty() {
        outln!("no user changes variant on a flag whose definition is unchanged");
    } else {
        outln!(
            "users change on unchanged flags (through segments or prerequisites): {}",
            untouched_moved.join(", ")
        );
    }
    Ok(())
}
