//! `edgeflag log`: the audit trail of a folder of snapshots, chain by chain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use edgeflag::{Change, Definitions, Holding, Policy, Timestamp, Verified};
use serde::Serialize;

use crate::args::Trust;
use crate::error::{CliError, Result};
use crate::io;

/// A snapshot of the folder that verified.
pub(crate) struct Loaded {
    pub path: PathBuf,
    pub verified: Verified,
}

/// Verified snapshots by environment, each list sorted by version.
pub(crate) type ByEnv = BTreeMap<String, Vec<Loaded>>;

/// A file of the folder that did not verify, and why.
#[derive(Serialize)]
pub(crate) struct Rejected {
    pub file: PathBuf,
    pub code: Option<&'static str>,
    pub error: String,
}

/// Every `*.json` of `dir`, verified: snapshots grouped by environment and
/// sorted by version (then file name), and the files that were rejected.
/// `signed_by` lists every trusted key whose signature verifies (co-signers too).
pub(crate) fn load(dir: &Path, policy: &Policy) -> Result<(ByEnv, Vec<Rejected>)> {
    let files = io::json_files(dir)?;
    if files.is_empty() {
        return Err(CliError::input(format!(
            "{}: no *.json snapshots in this folder",
            dir.display()
        )));
    }
    let mut envs = ByEnv::new();
    let mut rejected = Vec::new();
    for path in files {
        // An unreadable file is part of the trail too: report it, do not stop.
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                rejected.push(Rejected {
                    file: path,
                    code: None,
                    error: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        match edgeflag::verify(&bytes, policy) {
            Ok(mut verified) => {
                verified.signed_by = io::all_signers(&bytes, policy, &verified);
                envs.entry(verified.snapshot.environment().to_owned())
                    .or_default()
                    .push(Loaded { path, verified });
            }
            Err(e) => rejected.push(Rejected {
                file: path,
                code: Some(e.code()),
                error: e.to_string(),
            }),
        }
    }
    for list in envs.values_mut() {
        list.sort_by(|a, b| (a.verified.version, &a.path).cmp(&(b.verified.version, &b.path)));
    }
    Ok((envs, rejected))
}

/// `sha256:` and the first 12 hex digits: enough to tell snapshots apart on screen.
pub(crate) fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let cut: String = hex.chars().take(12).collect();
    format!("sha256:{cut}")
}

/// The file name alone, for compact text output.
pub(crate) fn name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// What changed between two sets of definitions, flag by flag and by segment.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Changes {
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub segments: Vec<String>,
}

impl Changes {
    pub fn between(old: &Definitions, new: &Definitions) -> Changes {
        let mut c = Changes {
            segments: edgeflag::segment_changes(old, new),
            ..Changes::default()
        };
        for (key, change) in edgeflag::definition_changes(old, new) {
            match change {
                Change::Changed => c.changed.push(key),
                Change::Added => c.added.push(key),
                Change::Removed => c.removed.push(key),
                _ => {}
            }
        }
        c
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.segments.is_empty()
    }

    /// `changed: a, b; added: c; segments: d`, or `no changes`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("changed", &self.changed),
            ("added", &self.added),
            ("removed", &self.removed),
            ("segments", &self.segments),
        ]
        .iter()
        .filter(|(_, keys)| !keys.is_empty())
        .map(|(label, keys)| format!("{label}: {}", keys.join(", ")))
        .collect();
        if parts.is_empty() {
            "no changes".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// How a snapshot links to the one before it in the folder.
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Link {
    /// No previous digest at all: the first snapshot ever built.
    Genesis,
    /// The lowest version in the folder points to a snapshot kept elsewhere.
    StartsHere {
        previous: String,
    },
    Intact {
        previous_version: u64,
    },
    /// A byte-identical copy of another file.
    Duplicate {
        of: PathBuf,
    },
    Broken {
        reason: String,
    },
}

impl Link {
    fn is_broken(&self) -> bool {
        matches!(self, Link::Broken { .. })
    }

    fn describe(&self) -> String {
        match self {
            Link::Genesis => "chain starts here (first snapshot, no previous)".to_owned(),
            Link::StartsHere { .. } => "chain starts here (previous not in folder)".to_owned(),
            Link::Intact { previous_version } => {
                format!("intact (previous is version {previous_version})")
            }
            Link::Duplicate { of } => format!("intact (same payload as {})", name(of)),
            Link::Broken { reason } => format!("BROKEN: {reason}"),
        }
    }
}

fn link(list: &[Loaded], i: usize, all: &ByEnv) -> Link {
    let Some(cur) = list.get(i).map(|l| &l.verified) else {
        return Link::Genesis;
    };
    let elsewhere = |digest: &str| {
        all.values()
            .flatten()
            .find(|l| l.verified.digest == digest)
            .map(|l| {
                format!(
                    "{} (version {} of `{}`)",
                    name(&l.path),
                    l.verified.version,
                    l.verified.snapshot.environment()
                )
            })
    };
    let Some(pred) = i.checked_sub(1).and_then(|j| list.get(j)) else {
        return match &cur.previous {
            None => Link::Genesis,
            // Pointing at a snapshot that is in the folder but not below this one is no start.
            Some(p) => match elsewhere(p) {
                Some(found) => Link::Broken {
                    reason: format!(
                        "previous {} is {found}, not a lower version of this environment",
                        short(p)
                    ),
                },
                None => Link::StartsHere {
                    previous: p.clone(),
                },
            },
        };
    };
    let prev = &pred.verified;
    if cur.version == prev.version {
        // The same version twice: the core's rule decides, as a consumer
        // serving the one would judge the other.
        let held = Holding {
            served: Some(prev.served()),
            mark: None,
        };
        return match edgeflag::version_order(cur.version, &cur.digest, 0, &held) {
            Ok(()) => Link::Duplicate {
                of: pred.path.clone(),
            },
            Err(e) => Link::Broken {
                reason: format!(
                    "version {} appears twice ({} and this file): rejected ({}): {e}",
                    cur.version,
                    name(&pred.path),
                    e.code()
                ),
            },
        };
    }
    let mut reasons = Vec::new();
    if cur.version != prev.version + 1 {
        let missing = if cur.version == prev.version + 2 {
            format!("version {} is", prev.version + 1)
        } else {
            format!("versions {} to {} are", prev.version + 1, cur.version - 1)
        };
        reasons.push(format!(
            "version gap: {} follows {}; {missing} not in the folder",
            cur.version, prev.version
        ));
    }
    match &cur.previous {
        Some(p) if *p == prev.digest => {}
        Some(p) => reasons.push(match elsewhere(p) {
            Some(found) => format!(
                "previous {} is {found}, not version {} ({})",
                short(p),
                prev.version,
                short(&prev.digest)
            ),
            None => format!(
                "previous {} is not in the folder; version {} has {}",
                short(p),
                prev.version,
                short(&prev.digest)
            ),
        }),
        None => reasons.push(format!(
            "no previous digest, but version {} ({}) comes before it",
            prev.version,
            name(&pred.path)
        )),
    }
    if reasons.is_empty() {
        Link::Intact {
            previous_version: prev.version,
        }
    } else {
        Link::Broken {
            reason: reasons.join("; "),
        }
    }
}

#[derive(Serialize)]
struct Entry {
    file: PathBuf,
    version: u64,
    issued_at: String,
    expires_at: Option<String>,
    expired: bool,
    digest: String,
    previous: Option<String>,
    signed_by: Vec<String>,
    forced: bool,
    /// The release candidate, and how the promotion gate let it through.
    candidate: Option<String>,
    promotion: Option<edgeflag::Promotion>,
    chain: Link,
    /// Against the next lower version in the folder; `None` for the first.
    changes: Option<Changes>,
}

#[derive(Serialize)]
struct Chain {
    environment: String,
    release: String,
    intact: bool,
    snapshots: Vec<Entry>,
}

pub fn run(dir: &Path, trust: &Trust, json: bool) -> Result<()> {
    let now = io::now();
    // A post-mortem reads old snapshots: expiry says nothing about authenticity.
    let policy = io::policy(trust, now)?.audit();
    let (envs, rejected) = load(dir, &policy)?;
    let chains: Vec<Chain> = envs
        .iter()
        .map(|(env, list)| chain(env, list, &envs, now))
        .collect();
    let broken: Vec<&str> = chains
        .iter()
        .filter(|c| !c.intact)
        .map(|c| c.environment.as_str())
        .collect();
    if json {
        io::print_json(&serde_json::json!({
            "folder": dir,
            "intact": broken.is_empty() && rejected.is_empty(),
            "environments": chains,
            "rejected": rejected,
        }))?;
    } else {
        print_text(dir, &chains, &rejected);
    }
    let mut problems = Vec::new();
    if !rejected.is_empty() {
        let files: Vec<String> = rejected
            .iter()
            .map(|r| r.file.display().to_string())
            .collect();
        problems.push(format!("rejected: {}", files.join(", ")));
    }
    if !broken.is_empty() {
        problems.push(format!("chain broken in {}", broken.join(", ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "{}: {}",
            dir.display(),
            problems.join("; ")
        )))
    }
}

fn chain(env: &str, list: &[Loaded], all: &ByEnv, now: Timestamp) -> Chain {
    let snapshots: Vec<Entry> = list
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let v = &l.verified;
            let changes = i.checked_sub(1).and_then(|j| list.get(j)).map(|p| {
                Changes::between(p.verified.snapshot.definitions(), v.snapshot.definitions())
            });
            Entry {
                file: l.path.clone(),
                version: v.version,
                issued_at: v.issued_at.to_string(),
                expires_at: v.expires_at.map(|t| t.to_string()),
                expired: v.is_expired(now),
                digest: v.digest.clone(),
                previous: v.previous.clone(),
                signed_by: v.signed_by.clone(),
                forced: v.forced,
                candidate: v.candidate.clone(),
                promotion: v.promotion.clone(),
                chain: link(list, i, all),
                changes,
            }
        })
        .collect();
    Chain {
        environment: env.to_owned(),
        release: list
            .first()
            .map(|l| l.verified.snapshot.definitions().release.name.clone())
            .unwrap_or_default(),
        intact: !snapshots.iter().any(|e| e.chain.is_broken()),
        snapshots,
    }
}

fn print_text(dir: &Path, chains: &[Chain], rejected: &[Rejected]) {
    outln!("audit trail of {}", dir.display());
    for c in chains {
        outln!();
        outln!(
            "{} / {}: {} snapshot(s), chain {}",
            c.release,
            c.environment,
            c.snapshots.len(),
            if c.intact { "intact" } else { "BROKEN" }
        );
        for e in &c.snapshots {
            let expires = match &e.expires_at {
                None => "never".to_owned(),
                Some(t) if e.expired => format!("{t} (expired)"),
                Some(t) => t.clone(),
            };
            outln!(
                "  v{}  {}  {}{}",
                e.version,
                short(&e.digest),
                name(&e.file),
                if e.forced {
                    "  FORCED (checklist failed)"
                } else {
                    ""
                }
            );
            outln!("      issued     {}", e.issued_at);
            outln!("      expires    {expires}");
            outln!("      signed by  {}", io::signers_text(&e.signed_by));
            outln!("      link       {}", e.chain.describe());
            if let Some(c) = &e.candidate {
                outln!("      candidate  {}", short(c));
            }
            if let Some(p) = &e.promotion {
                outln!(
                    "      promoted   {}",
                    super::promotion::line(p, &e.issued_at)
                );
            }
            let changes = match (&e.changes, &e.chain) {
                (None, _) => "first in folder".to_owned(),
                (Some(c), _) if !c.is_empty() => c.describe(),
                (Some(_), Link::Intact { previous_version }) => {
                    format!("none: same definitions as version {previous_version}")
                }
                (Some(_), _) => "none: same definitions as the version before".to_owned(),
            };
            outln!("      changes    {changes}");
        }
    }
    if !rejected.is_empty() {
        outln!();
        outln!("rejected: {} file(s)", rejected.len());
        for r in rejected {
            match r.code {
                Some(code) => outln!("  {}: rejected ({code}): {}", r.file.display(), r.error),
                None => outln!("  {}: {}", r.file.display(), r.error),
            }
        }
    }
}
