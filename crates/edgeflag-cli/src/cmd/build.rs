//! `edgeflag build`: the signed snapshot of one environment.

use edgeflag::{Payload, SNAPSHOT_SCHEMA, VerifyOptions};

use crate::args::BuildArgs;
use crate::error::{CliError, Result};
use crate::io;

pub fn run(a: &BuildArgs, json: bool) -> Result<()> {
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
    let key = io::read_signing_key(&a.key)?;
    let issued = io::time(a.at.as_deref())?;
    let (version, previous) = match &a.previous {
        Some(path) => {
            // The previous snapshot must be one this key (or its predecessor) really signed.
            let mut opts = VerifyOptions::new(vec![key.public()], issued);
            opts.allow_expired = true;
            let prev = edgeflag::verify(&io::read_bytes(path)?, &opts).map_err(|e| {
                CliError::failed(format!(
                    "{}: rejected as --previous ({}): {e}",
                    path.display(),
                    e.code()
                ))
            })?;
            if prev.snapshot.environment() != a.env {
                return Err(CliError::input(format!(
                    "{}: is a snapshot of `{}`, not `{}`",
                    path.display(),
                    prev.snapshot.environment(),
                    a.env
                )));
            }
            (prev.version + 1, Some(prev.digest))
        }
        None => (a.version.unwrap_or(1), None),
    };
    let definitions = release
        .for_environment(&a.env)
        .map_err(|e| CliError::input(format!("{}: {e}", a.release.display())))?;
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: issued.to_string(),
        expires_at: io::expiry(issued, &a.expires_in)?.map(|t| t.to_string()),
        previous,
        forced: failing,
        definitions,
    };
    let signed = edgeflag::sign(&payload, &[&key]).map_err(|e| CliError::input(e.to_string()))?;
    io::write(&a.out, &signed.envelope, false)?;
    let digest = signed.digest;
    if json {
        return io::print_json(&serde_json::json!({
            "out": a.out,
            "environment": a.env,
            "version": version,
            "digest": digest,
            "issued_at": payload.issued_at,
            "expires_at": payload.expires_at,
            "previous": payload.previous,
            "forced": failing,
            "key_id": key.public().key_id(),
        }));
    }
    println!(
        "built {} for `{}`: version {version}, {} flag(s), signed by {}",
        a.out.display(),
        a.env,
        payload.definitions.flags.len(),
        key.public().key_id()
    );
    println!("digest   {digest}");
    println!(
        "expires  {}",
        payload.expires_at.as_deref().unwrap_or("never")
    );
    if failing {
        println!(
            "warning: built with --force despite a failing checklist; the snapshot records it"
        );
    }
    Ok(())
}
