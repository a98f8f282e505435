//! `edgeflag verify` and `edgeflag eval`.

use std::path::Path;

use edgeflag::{Context, FlagType, Timestamp, Verified};
use serde_json::Value;

use crate::args::Trust;
use crate::error::{CliError, Result};
use crate::{io, out};

pub fn verify(path: &Path, trust: &Trust, at: Option<&str>, json: bool) -> Result<()> {
    let now = io::time(at)?;
    let bytes = io::read_bytes(path)?;
    let policy = io::policy(trust, now)?;
    let mut v = edgeflag::verify(&bytes, &policy).map_err(|e| io::rejected(path, &e))?;
    // An expired snapshot verifies (a consumer holding nothing serves it, stale): say so.
    io::warn_if_stale(path, &v, now);
    v.signed_by = io::all_signers(&bytes, &policy, &v);
    if json {
        return io::print_json(&summary(&v));
    }
    outln!("{}: valid", path.display());
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
        ("signed by", io::signers_text(&v.signed_by)),
        ("flags", v.snapshot.flag_keys().len().to_string()),
    ] {
        outln!("  {k:<12} {val}");
    }
    if v.forced {
        outln!("  warning: built with --force despite a failing checklist");
    }
    if v.never_expires {
        outln!("  warning: never expires (built with --expires-in never --force)");
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
        "never_expires": v.never_expires,
        "signed_by": v.signed_by,
        "flags": v.snapshot.flag_keys().collect::<Vec<_>>(),
    })
}

/// What to evaluate.
pub struct Query<'a> {
    pub flags: &'a [String],
    pub context: &'a str,
    /// A typed call: `boolean`, `string`, `number` or `json`.
    pub kind: Option<&'a str>,
    /// The caller's default, as JSON.
    pub default: Option<&'a str>,
    pub at: Option<&'a str>,
}

/// One evaluation as JSON: the resolution, with the value a caller would use.
fn detail(v: &Verified, key: &str, ctx: &Context, now: Timestamp, q: &Query) -> Result<Value> {
    let default: Value = match q.default {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| CliError::input(format!("--default: not json: {e}")))?,
        None => Value::Null,
    };
    let expect = match q.kind {
        None => None,
        Some(name) => Some(FlagType::from_name(name).ok_or_else(|| {
            CliError::input(format!(
                "--type: `{name}` is not boolean, string, number or json"
            ))
        })?),
    };
    // The core decides the type check and when the default is the value.
    let typed = v
        .snapshot
        .resolve_or(key, ctx, now, expect, default)
        .map_err(|e| CliError::input(format!("--default: {e}")))?;
    let (value, resolution) = (typed.value, typed.detail);
    let mut out = serde_json::to_value(&resolution)
        .map_err(|e| CliError::input(format!("cannot encode the result: {e}")))?;
    if let Some(obj) = out.as_object_mut() {
        obj.insert("value".into(), value);
    }
    Ok(out)
}

pub fn run(path: &Path, trust: &Trust, q: &Query, json: bool) -> Result<()> {
    let (flags, context, at) = (q.flags, q.context, q.at);
    let now = io::time(at)?;
    // An expired snapshot still evaluates, under the core's stale policy, as it does at the edge.
    let v = io::snapshot(path, trust, now)?;
    io::warn_if_stale(path, &v, now);
    let ctx = io::context(Some(context))?;
    let keys: Vec<&str> = if flags.is_empty() {
        v.snapshot.flag_keys().collect()
    } else {
        flags.iter().map(String::as_str).collect()
    };
    // An unknown flag is an input error for a person, but a caller asking for a
    // typed call with a default wants what an SDK gets: the default, FLAG_NOT_FOUND.
    if q.default.is_none()
        && let Some(missing) = keys.iter().find(|k| v.snapshot.flag(k).is_none())
    {
        return Err(CliError::input(format!(
            "{}: no flag `{missing}`; it has {}",
            path.display(),
            v.snapshot.flag_keys().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut results = serde_json::Map::new();
    for k in &keys {
        results.insert((*k).to_owned(), detail(&v, k, &ctx, now, q)?);
    }
    if json {
        return io::print_json(&results);
    }
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|(k, r)| {
            let percent = r.get("percent").and_then(Value::as_f64);
            let stage = match (r.get("stage").and_then(Value::as_u64), percent) {
                (Some(i), Some(p)) => format!("stage {}, {p}%", i + 1),
                (None, Some(p)) => format!("{p}%"),
                _ => String::new(),
            };
            vec![
                k.clone(),
                r.get("value").map(ToString::to_string).unwrap_or_default(),
                text(r, "variant"),
                text(r, "reason"),
                text(r, "rule"),
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
