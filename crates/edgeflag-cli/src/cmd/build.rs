//! `edgeflag build`: the signed snapshot of one environment.

use std::path::Path;

use edgeflag::{Audience, Payload, Policy, SNAPSHOT_SCHEMA, SigningKey, Verified};

use crate::args::BuildArgs;
use crate::cmd::log;
use crate::error::{CliError, Result};
use crate::io;

pub fn run(a: &BuildArgs, json: bool) -> Result<()> {
    // A missing version used to mean 1: a second "first" snapshot of an
    // environment, which every consumer holding the first refuses.
    if a.previous.is_none() && a.version.is_none() {
        return Err(CliError::input(format!(
            "no version: give --previous (the last snapshot of `{}`) to chain onto it, or --version 1 for the first snapshot of an environment",
            a.env
        )));
    }
    // clap accepts only the names of `Audience`.
    let audience = Audience::from_name(&a.audience).unwrap_or_default();
    if a.full_schedule && audience != Audience::Browser {
        return Err(CliError::input(
            "--full-schedule applies to browser snapshots (--audience browser); a server snapshot always carries every stage",
        ));
    }
    let issued = io::time(a.at.as_deref())?;
    let (expires_at, never_expires) = io::expiry(issued, &a.expires_in, a.force)?;
    let release = io::read_release(&a.release)?;
    let report = edgeflag::check(&release);
    let failing = !report.passed();
    if failing && !a.force {
        return Err(CliError::failed(format!(
            "{}: the release checklist fails ({} violation(s)); run `edgeflag check {}`, or build with --force (recorded in the snapshot)",
            a.release.display(),
            report.summary.violations,
            a.release.display()
        )));
    }
    let keys = signing_keys(a)?;
    // Earlier snapshots must be ones a trusted key really signed; they are
    // history, so their expiry does not matter.
    let trusted = if a.trust.is_empty() {
        keys.iter().map(SigningKey::public).collect()
    } else {
        io::read_trusted(&a.trust)?
    };
    let history = History::read(a, &release, &trusted, issued, audience)?;
    let (version, previous) = match &history.previous {
        Some(prev) => (prev.version + 1, Some(prev.digest.clone())),
        None => (a.version.unwrap_or(1), None),
    };
    let gate = edgeflag::Gate {
        release: &release,
        env: &a.env,
        now: issued,
        sources: &history.sources,
        previous: history.previous.as_ref(),
        force: a.force,
        reason: a.reason.as_deref(),
    };
    let promotion = gate.judge().map_err(|e| {
        CliError::failed(format!(
            "{}: not promoted to `{}` ({}): {e}",
            a.release.display(),
            a.env,
            e.code()
        ))
    })?;
    let bad = |e: edgeflag::ReleaseError| CliError::input(format!("{}: {e}", a.release.display()));
    let mut definitions = release.for_environment(&a.env).map_err(bad)?;
    if audience == Audience::Browser {
        let salt = edgeflag::browser_salt(&format!("{}/{version}/{issued}", a.env));
        let until = if a.full_schedule { None } else { expires_at };
        definitions = definitions.for_browser(&salt, until).map_err(bad)?;
    }
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: issued.to_string(),
        expires_at: expires_at.map(|t| t.to_string()),
        previous,
        forced: failing,
        never_expires,
        audience,
        candidate: Some(edgeflag::candidate(&release)),
        promotion,
        definitions,
    };
    let refs: Vec<&SigningKey> = keys.iter().collect();
    let signed = edgeflag::sign(&payload, &refs).map_err(|e| CliError::input(e.to_string()))?;
    io::write(&a.out, &signed.envelope, false)?;
    let digest = signed.digest;
    let signed_by: Vec<String> = keys.iter().map(|k| k.public().key_id()).collect();
    if json {
        return io::print_json(&serde_json::json!({
            "out": a.out,
            "environment": a.env,
            "audience": audience.name(),
            "version": version,
            "digest": digest,
            "issued_at": payload.issued_at,
            "expires_at": payload.expires_at,
            "never_expires": never_expires,
            "previous": payload.previous,
            "forced": failing,
            "candidate": payload.candidate,
            "promotion": payload.promotion,
            "key_id": signed_by.first(),
            "signed_by": signed_by,
        }));
    }
    let whom = match audience {
        Audience::Browser => " (browsers)",
        _ => "",
    };
    outln!(
        "built {} for `{}`{whom}: version {version}, {} flag(s), signed by {}",
        a.out.display(),
        a.env,
        payload.definitions.flags.len(),
        signed_by.join(", ")
    );
    outln!("digest   {digest}");
    if let Some(c) = &payload.candidate {
        outln!("candidate {c}");
    }
    if let Some(p) = &payload.promotion {
        outln!("promoted {}", super::promotion::line(p, &payload.issued_at));
    }
    outln!(
        "expires  {}",
        payload.expires_at.as_deref().unwrap_or("never")
    );
    if failing {
        outln!("warning: built with --force despite a failing checklist; the snapshot records it");
    }
    if never_expires {
        outln!("{}", io::NEVER_EXPIRES_WARNING);
    }
    Ok(())
}

/// The snapshots `build` chains onto and promotes from.
struct History {
    /// The latest earlier snapshot of the environment being built.
    previous: Option<Verified>,
    /// Snapshots of the promotion gate's source environment.
    sources: Vec<Verified>,
}

impl History {
    fn read(
        a: &BuildArgs,
        release: &edgeflag::ReleaseFile,
        trusted: &[edgeflag::PublicKey],
        issued: edgeflag::Timestamp,
        audience: Audience,
    ) -> Result<History> {
        let from = release
            .checklist
            .as_ref()
            .and_then(|c| c.promote.as_ref())
            .map(|p| p.from.clone());
        let policy = |env: &str, audience: Audience| {
            Policy::new(trusted.to_vec(), issued)
                .audit()
                .for_environment(env)
                .for_audience(audience)
        };
        let verify = |path: &Path, policy: &Policy, what: &str| {
            edgeflag::verify(&io::read_bytes(path)?, policy).map_err(|e| {
                CliError::failed(format!(
                    "{}: rejected as {what} ({}): {e}",
                    path.display(),
                    e.code()
                ))
            })
        };
        let mut sources = Vec::new();
        if let Some(env) = &from {
            for path in &a.promote_from {
                sources.push(verify(
                    path,
                    &policy(env, Audience::Server),
                    "--promote-from",
                )?);
            }
        } else if let Some(path) = a.promote_from.first() {
            return Err(CliError::input(format!(
                "{}: --promote-from needs `[checklist] promote` in {}",
                path.display(),
                a.release.display()
            )));
        }
        let previous = match &a.previous {
            Some(dir) if dir.is_dir() => {
                // One pass over the folder, every environment: the chain's
                // and the gate's source. Browser snapshots are a chain of
                // their own, so building one reads the folder again for it.
                let all = |audience| {
                    Policy::new(trusted.to_vec(), issued)
                        .audit()
                        .for_audience(audience)
                };
                let (mut envs, _) = log::load(dir, &all(Audience::Server))?;
                // The source is never a gated target, so never `a.env`.
                if let Some(env) = from.as_ref().filter(|e| **e != a.env) {
                    sources.extend(envs.remove(env).into_iter().flatten().map(|l| l.verified));
                }
                if audience != Audience::Server {
                    envs = log::load(dir, &all(audience))?.0;
                }
                envs.remove(&a.env)
                    .and_then(|list| list.into_iter().last())
                    .map(|l| l.verified)
            }
            Some(path) => Some(verify(path, &policy(&a.env, audience), "--previous")?),
            None => None,
        };
        Ok(History { previous, sources })
    }
}

/// Every `--key`, each once.
fn signing_keys(a: &BuildArgs) -> Result<Vec<SigningKey>> {
    let mut keys: Vec<SigningKey> = Vec::new();
    for path in &a.key {
        let key = io::read_signing_key(path)?;
        let id = key.public().key_id();
        if keys.iter().any(|k| k.public().key_id() == id) {
            return Err(CliError::input(format!(
                "{}: key {id} is given twice to --key",
                path.display()
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}
