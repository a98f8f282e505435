//! `edgeflag revert`: an earlier snapshot's definitions, re-issued as the
//! newest version so that the edge (which refuses lower versions) takes them.

use std::path::{Path, PathBuf};

use edgeflag::{Payload, Policy, SNAPSHOT_SCHEMA};

use super::log::{self, Changes, Loaded};
use crate::error::{CliError, Result};
use crate::io;

pub struct RevertArgs<'a> {
    pub dir: &'a Path,
    pub to: u64,
    pub key: &'a Path,
    pub out: &'a Path,
    pub trust: &'a [PathBuf],
    pub expires_in: &'a str,
    pub force: bool,
    pub at: Option<&'a str>,
}

pub fn run(a: &RevertArgs, json: bool) -> Result<()> {
    let key = io::read_signing_key(a.key)?;
    let now = io::time(a.at)?;
    let (expires_at, never_expires) = io::expiry(now, a.expires_in, a.force)?;
    let trusted = if a.trust.is_empty() {
        vec![key.public()]
    } else {
        io::read_trusted(a.trust)?
    };
    let key_trusted = trusted.iter().any(|k| k.key_id() == key.public().key_id());
    // The state to go back to is usually older than the expiry window: history.
    let policy = Policy::new(trusted, now).audit();
    let (envs, rejected) = log::load(a.dir, &policy)?;
    // Reverting on top of a folder we cannot fully trust could chain onto the wrong head.
    if !rejected.is_empty() {
        let reasons: Vec<String> = rejected
            .iter()
            .map(|r| match r.code {
                Some(code) => format!("{}: rejected ({code}): {}", r.file.display(), r.error),
                None => format!("{}: {}", r.file.display(), r.error),
            })
            .collect();
        return Err(CliError::failed(reasons.join("\n")));
    }

    let found: Vec<(&str, &Loaded)> = envs
        .iter()
        .flat_map(|(env, list)| list.iter().map(move |l| (env.as_str(), l)))
        .filter(|(_, l)| l.verified.version == a.to)
        .collect();
    let Some((env, target)) = found.first().copied() else {
        return Err(CliError::input(format!(
            "{}: no snapshot with version {}; versions present: {}",
            a.dir.display(),
            a.to,
            present(&envs)
        )));
    };
    if found
        .iter()
        .any(|(_, l)| l.verified.digest != target.verified.digest)
    {
        let which: Vec<String> = found
            .iter()
            .map(|(e, l)| {
                format!(
                    "{} (`{e}`, {})",
                    log::name(&l.path),
                    log::short(&l.verified.digest)
                )
            })
            .collect();
        let hint = if found.iter().all(|(e, _)| *e == env) {
            "the history forks; run `edgeflag log` and keep the snapshots the edge served"
        } else {
            "keep one environment's snapshots in the folder"
        };
        return Err(CliError::input(format!(
            "{}: version {} is ambiguous: {}; {hint}",
            a.dir.display(),
            a.to,
            which.join(", ")
        )));
    }
    let list = envs.get(env).map_or(&[][..], Vec::as_slice);
    let Some(latest) = list.last() else {
        return Err(CliError::input(format!(
            "{}: no snapshots",
            a.dir.display()
        )));
    };
    let heads: Vec<&Loaded> = list
        .iter()
        .filter(|l| l.verified.version == latest.verified.version)
        .collect();
    if heads
        .iter()
        .any(|l| l.verified.digest != latest.verified.digest)
    {
        let files: Vec<String> = heads.iter().map(|l| log::name(&l.path)).collect();
        return Err(CliError::failed(format!(
            "{}: the latest version {} of `{env}` exists with different content in {}; run `edgeflag log` and keep the one the edge serves",
            a.dir.display(),
            latest.verified.version,
            files.join(", ")
        )));
    }
    if latest.verified.version == a.to {
        return Err(CliError::input(format!(
            "{}: version {} is already the latest snapshot of `{env}` ({}); nothing to revert",
            a.dir.display(),
            a.to,
            log::name(&latest.path)
        )));
    }

    // Writing over a snapshot of the folder would cut the very chain this extends.
    let out = canonical(a.out);
    if let Some(l) = envs
        .values()
        .flatten()
        .find(|l| out.is_some() && canonical(&l.path) == out)
    {
        return Err(CliError::input(format!(
            "{}: is version {} of `{}` in the folder; choose a new file for --out",
            a.out.display(),
            l.verified.version,
            l.verified.snapshot.environment()
        )));
    }

    let old = target.verified.snapshot.definitions();
    let head = latest.verified.snapshot.definitions();
    let version = latest.verified.version + 1;
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: now.to_string(),
        expires_at: expires_at.map(|t| t.to_string()),
        previous: Some(latest.verified.digest.clone()),
        // The definitions are the old ones, so is their checklist verdict; the
        // thresholds are not in a snapshot, so it cannot be run again here.
        forced: target.verified.forced,
        never_expires,
        audience: Default::default(),
        // The old definitions are the old candidate's, and were promoted as
        // it was: a revert goes back to a state that passed the gate.
        candidate: target.verified.candidate.clone(),
        promotion: target.verified.promotion.clone(),
        definitions: old.clone(),
    };
    let signed = edgeflag::sign(&payload, &[&key]).map_err(|e| CliError::input(e.to_string()))?;
    io::write(a.out, &signed.envelope, false)?;
    let changes = Changes::between(head, old);

    if json {
        return io::print_json(&serde_json::json!({
            "out": a.out,
            "environment": env,
            "version": version,
            "reverted_to": { "version": a.to, "file": target.path, "digest": target.verified.digest },
            "replaces": { "version": latest.verified.version, "file": latest.path, "digest": latest.verified.digest },
            "digest": signed.digest,
            "issued_at": payload.issued_at,
            "expires_at": payload.expires_at,
            "never_expires": never_expires,
            "previous": payload.previous,
            "forced": payload.forced,
            "key_id": key.public().key_id(),
            "key_trusted": key_trusted,
            "changes": changes,
        }));
    }
    outln!(
        "reverted `{env}` to version {} ({}): wrote {} as version {version}",
        a.to,
        log::name(&target.path),
        a.out.display()
    );
    outln!(
        "previous {} (version {}, {})",
        latest.verified.digest,
        latest.verified.version,
        log::name(&latest.path)
    );
    outln!("digest   {}", signed.digest);
    outln!(
        "expires  {}",
        payload.expires_at.as_deref().unwrap_or("never")
    );
    if changes.is_empty() {
        outln!(
            "no flag changes: version {} has the same definitions as version {}",
            a.to,
            latest.verified.version
        );
    } else {
        outln!("flags back to version {}:", a.to);
        for (label, keys) in [
            ("changed back", &changes.changed),
            ("restored", &changes.added),
            ("removed", &changes.removed),
            ("segments", &changes.segments),
        ] {
            if !keys.is_empty() {
                outln!("  {label:<13}{}", keys.join(", "));
            }
        }
    }
    outln!(
        "the edge will accept it: version {version} is higher than version {}, the latest in the folder",
        latest.verified.version
    );
    if payload.forced {
        outln!(
            "warning: version {} was built with --force despite a failing checklist; so is this one",
            a.to
        );
    }
    if never_expires {
        outln!("{}", io::NEVER_EXPIRES_WARNING);
    }
    if !key_trusted {
        outln!(
            "warning: --key {} is not among the --trust keys; the edge must trust it",
            key.public().key_id()
        );
    }
    Ok(())
}

/// `production: 1, 2, 3; staging: 1`
fn present(envs: &log::ByEnv) -> String {
    envs.iter()
        .map(|(env, list)| {
            let versions: Vec<String> = list
                .iter()
                .map(|l| l.verified.version.to_string())
                .collect();
            format!("{env}: {}", versions.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}
