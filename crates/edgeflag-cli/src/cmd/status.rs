//! `edgeflag status`: where each rollout stands.

use std::path::Path;

use edgeflag::RolloutStatus;

use crate::error::Result;
use crate::{io, out};

pub fn run(path: &Path, env: &str, at: Option<&str>, json: bool) -> Result<()> {
    let now = io::time(at)?;
    let (release, snap) = io::compiled_release(path, env)?;
    let status = snap.status(now);
    if json {
        return io::print_json(&serde_json::json!({
            "release": release.release.name,
            "environment": env,
            "at": now.to_string(),
            "flags": status,
        }));
    }
    outln!("{} / {env} at {now}", release.release.name);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &status {
        {
            let (stage, next) = match &s.rollout {
                None => ("no rollout".to_owned(), String::new()),
                Some(r) => position(r),
            };
            let rollbacks: Vec<String> = s
                .rollbacks
                .iter()
                .map(|r| {
                    let state = if r.active { "active" } else { "from" };
                    format!("{} ({state} {}, serves {})", r.name, r.since, r.serve)
                })
                .collect();
            let mut state = if s.enabled { "on" } else { "KILLED" }.to_owned();
            if s.hotfix {
                state.push_str(", hotfix");
            }
            rows.push(vec![
                s.key.clone(),
                state,
                stage,
                next,
                rollbacks.join("; "),
            ]);
        }
        // One row per rule rollout, under its flag: each has its own schedule.
        for rule in &s.rules {
            if let Some(r) = &rule.rollout {
                let (stage, next) = position(r);
                rows.push(vec![
                    format!("  rule `{}`", rule.name),
                    String::new(),
                    stage,
                    next,
                    String::new(),
                ]);
            }
        }
    }
    out::table(
        &["flag", "switch", "current", "next", "partial rollbacks"],
        &rows,
    );
    Ok(())
}

/// The current stage and the next one, as the table shows them.
fn position(r: &RolloutStatus) -> (String, String) {
    (
        match r.stage {
            Some(i) => format!("stage {} of {}: {}%", i + 1, r.stages.len(), r.percent),
            None => "not started: 0%".to_owned(),
        },
        r.next.as_ref().map_or("complete".to_owned(), |n| {
            format!(
                "stage {}: {}% at {}",
                n.index + 1,
                n.percent,
                n.at.as_deref().unwrap_or("start")
            )
        }),
    )
}
