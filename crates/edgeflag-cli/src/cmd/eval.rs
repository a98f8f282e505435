//! `edgeflag verify` and `edgeflag eval`.

use std::path::Path;

use edgeflag::Verified;

use crate::args::Trust;
use crate::error::{CliError, Result};
use crate::{io, out};

pub fn verify(path: &Path, trust: &Trust, at: Option<&str>, json: bool) -> Result<()> {
    let now = io::time(at)?;
    let v = io::snapshot(path, trust, now, false)?;
    if json {
        return io::print_json(&summary(&v));
    }
    println!("{}: valid", path.display());
    for (k, val) in [
        ("release", v.snapshot.definitions().release.name.clone()),
        ("environment", v.snapshot.environment().to_owned()),
        ("version", v.version.to_string()),
        ("issued at", v.issued_at.to_string()),
        (
            "expires at",
            v.expires_at.map_or("never".into(), |t| t.to_string()),
        ),
        ("digest", v.digest.clone()),
        (
            "previous",
            v.previous.clone().unwrap_or_else(|| "none".into()),
        ),
        ("signed by", v.signed_by.join(", ")),
        ("flags", v.snapshot.flag_keys().len().to_string()),
    ] {
        println!("  {k:<12} {val}");
    }
    if v.forced {
        println!("  warning: built with --force despite a failing checklist");
    }
    Ok(())
}

pub fn summary(v: &Verified) -> serde_json::Value {
    serde_json::json!({
        "valid": true,
        "release": v.snapshot.definitions().release.name,
        "environment": v.snapshot.environment(),
        "version": v.version,
        "issued_at": v.issued_at.to_string(),
        "expires_at": v.expires_at.map(|t| t.to_string()),
        "digest": v.digest,
        "previous": v.previous,
        "forced": v.forced,
        "signed_by": v.signed_by,
        "flags": v.snapshot.flag_keys().collect::<Vec<_>>(),
    })
}

pub fn run(
    path: &Path,
    trust: &Trust,
    flags: &[String],
    context: &str,
    at: Option<&str>,
    json: bool,
) -> Result<()> {
    let now = io::time(at)?;
    // An expired snapshot still evaluates, under the core's stale policy, as it does at the edge.
    let v = io::snapshot(path, trust, now, true)?;
    io::warn_if_stale(path, &v, now);
    let ctx = io::context(Some(context))?;
    let keys: Vec<&str> = if flags.is_empty() {
        v.snapshot.flag_keys().collect()
    } else {
        flags.iter().map(String::as_str).collect()
    };
    if let Some(missing) = keys.iter().find(|k| v.snapshot.flag(k).is_none()) {
        return Err(CliError::input(format!(
            "{}: no flag `{missing}`; it has {}",
            path.display(),
            v.snapshot.flag_keys().collect::<Vec<_>>().join(", ")
        )));
    }
    let results: Vec<_> = keys
        .iter()
        .map(|k| (*k, v.snapshot.evaluate(k, &ctx, now)))
        .collect();
    if json {
        let map: serde_json::Map<String, serde_json::Value> = results
            .iter()
            .map(|(k, r)| ((*k).to_owned(), serde_json::to_value(r).unwrap_or_default()))
            .collect();
        return io::print_json(&map);
    }
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|(k, r)| {
            let stage = match (r.stage, r.percent) {
                (Some(i), Some(p)) => format!("stage {}, {p}%", i + 1),
                (None, Some(p)) => format!("{p}%"),
                _ => String::new(),
            };
            vec![
                (*k).to_owned(),
                r.value.map(ToString::to_string).unwrap_or_default(),
                r.variant.unwrap_or("").to_owned(),
                r.reason.as_str().to_owned(),
                r.rule.unwrap_or("").to_owned(),
                stage,
            ]
        })
        .collect();
    out::table(
        &["flag", "value", "variant", "reason", "rule", "rollout"],
        &rows,
    );
    Ok(())
}
