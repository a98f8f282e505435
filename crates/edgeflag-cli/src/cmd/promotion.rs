//! How a snapshot was promoted, in one line for `build`, `log` and `notes`.

use std::path::{Path, PathBuf};

use edgeflag::{Promotion, Timestamp};

use crate::error::{CliError, Result};
use crate::io;

/// `from staging v3 (sha256:…), tested in staging from A to B`, the hotfix
/// soak said, or `FORCED PROMOTION: reason (…)`.
pub fn line(p: &Promotion, issued_at: &str) -> String {
    let source = match (p.version, &p.digest, &p.issued_at) {
        (Some(v), Some(d), Some(at)) => format!(
            "from {from} v{v}{hotfix} ({}), tested in {from} from {at} to {issued_at}",
            super::log::short(d),
            from = p.from,
            hotfix = if p.hotfix { " (hotfix soak)" } else { "" },
        ),
        _ => format!("with no {} snapshot of this candidate", p.from),
    };
    match &p.forced {
        Some(why) => format!("FORCED PROMOTION: {why} ({source})"),
        None => source,
    }
}

/// The promotion line of a signed snapshot of the environment, which must
/// be of `candidate` (the release the notes are of).
pub fn of_snapshot(
    file: &Path,
    trust: &[PathBuf],
    env: &str,
    now: Timestamp,
    candidate: &str,
) -> Result<Option<String>> {
    let policy = edgeflag::Policy::new(io::read_trusted(trust)?, now)
        .audit()
        .for_environment(env);
    let v =
        edgeflag::verify(&io::read_bytes(file)?, &policy).map_err(|e| io::rejected(file, &e))?;
    if v.candidate.as_deref() != Some(candidate) {
        return Err(CliError::failed(format!(
            "{}: the snapshot is of candidate {}, not of this release ({candidate})",
            file.display(),
            v.candidate.as_deref().unwrap_or("(none recorded)")
        )));
    }
    Ok(v.promotion.map(|p| line(&p, &v.issued_at.to_string())))
}
