//! Reading and writing the CLI's files, with errors that name the file.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use edgeflag::{
    Context, Envelope, Policy, PublicKey, ReleaseFile, SigningKey, Timestamp, Verified,
};

use crate::args::Trust;
use crate::error::{CliError, Result};

pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: cannot read: {e}", path.display())))
}

pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| CliError::input(format!("{}: cannot read: {e}", path.display())))
}

/// A release file: TOML, or JSON when the name ends in `.json`.
pub fn read_release(path: &Path) -> Result<ReleaseFile> {
    let text = read_text(path)?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        ReleaseFile::from_json(&text)
    } else {
        ReleaseFile::from_toml(&text)
    };
    parsed.map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

/// A release file compiled for one environment: what `status` and `notes` read.
pub fn compiled_release(path: &Path, env: &str) -> Result<(ReleaseFile, edgeflag::Snapshot)> {
    let release = read_release(path)?;
    let snap = release
        .compile(env)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    Ok((release, snap))
}

pub fn read_signing_key(path: &Path) -> Result<SigningKey> {
    SigningKey::from_pkcs8_pem(&read_text(path)?)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

pub fn read_trusted(paths: &[PathBuf]) -> Result<Vec<PublicKey>> {
    let mut keys = Vec::new();
    for p in paths {
        let found = PublicKey::all_from_pem(&read_text(p)?)
            .map_err(|e| CliError::input(format!("{}: {e}", p.display())))?;
        keys.extend(found);
    }
    Ok(keys)
}

pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

/// `--at`: an RFC 3339 time, or now.
pub fn time(at: Option<&str>) -> Result<Timestamp> {
    match at {
        None | Some("now") => Ok(now()),
        Some(t) => Timestamp::parse(t).ok_or_else(|| {
            CliError::input(format!(
                "--at: `{t}` is not an rfc 3339 time such as 2026-12-02T18:00:00Z"
            ))
        }),
    }
}

/// `--context`: a JSON object, inline or `@FILE`.
pub fn context(arg: Option<&str>) -> Result<Context> {
    let Some(arg) = arg else {
        return Ok(Context::new());
    };
    let (text, origin) = match arg.strip_prefix('@') {
        Some(path) => (read_text(Path::new(path))?, path.to_owned()),
        None => (arg.to_owned(), "--context".to_owned()),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::input(format!("{origin}: not json: {e}")))?;
    Context::from_json(&value)
        .ok_or_else(|| CliError::input(format!("{origin}: the context must be a json object")))
}

/// The policy of `--trust`, `--threshold`, `--min-version` and `--env`, to serve at `now`.
pub fn policy(trust: &Trust, now: Timestamp) -> Result<Policy> {
    let mut policy = Policy::new(read_trusted(&trust.trust)?, now);
    policy.threshold = trust.threshold;
    policy.min_version = trust.min_version;
    policy.environment.clone_from(&trust.env);
    // clap accepts only the names of `Audience`.
    policy.audience = edgeflag::Audience::from_name(&trust.audience).unwrap_or_default();
    Ok(policy)
}

/// Reads and verifies a snapshot as a consumer holding nothing would (an
/// expired one is accepted, to serve under the stale policy; see
/// [`warn_if_stale`]); a rejection is a failed check (exit 1).
pub fn snapshot(path: &Path, trust: &Trust, now: Timestamp) -> Result<Verified> {
    let bytes = read_bytes(path)?;
    let policy = policy(trust, now)?;
    edgeflag::verify(&bytes, &policy).map_err(|e| rejected(path, &e))
}

/// `FILE: rejected (CODE): reason`, a failed check.
pub fn rejected(path: &Path, e: &edgeflag::SnapshotError) -> CliError {
    CliError::failed(format!("{}: rejected ({}): {e}", path.display(), e.code()))
}

/// Every trusted key whose signature on `bytes` verifies, in the envelope's
/// order: verification stops at the threshold, so `signed_by` may list fewer.
/// `bytes` must have passed `policy` (which `verified` is the result of).
pub fn all_signers(bytes: &[u8], policy: &Policy, verified: &Verified) -> Vec<String> {
    let Ok(envelope) = Envelope::parse(bytes, edgeflag::DEFAULT_MAX_DEPTH) else {
        return verified.signed_by.clone();
    };
    let mut signers: Vec<String> = Vec::new();
    for s in &envelope.signatures {
        if signers.contains(&s.keyid) {
            continue;
        }
        let valid = verified.signed_by.contains(&s.keyid)
            || policy
                .trusted
                .iter()
                .find(|k| k.key_id() == s.keyid)
                .is_some_and(|k| {
                    // One key at a time: this key's signature alone must verify.
                    let mut one = Policy::new(vec![*k], policy.now).audit();
                    one.audience = policy.audience;
                    one.max_size = policy.max_size;
                    one.max_depth = policy.max_depth;
                    one.max_values = policy.max_values;
                    edgeflag::verify(bytes, &one).is_ok()
                });
        if valid {
            signers.push(s.keyid.clone());
        }
    }
    // The core's list is authoritative: never show fewer than it verified.
    for id in &verified.signed_by {
        if !signers.contains(id) {
            signers.push(id.clone());
        }
    }
    signers
}

/// `a, b (2 signatures)`, or `a` alone.
pub fn signers_text(ids: &[String]) -> String {
    match ids.len() {
        0 => "nobody".to_owned(),
        1 => ids.join(", "),
        n => format!("{} ({n} signatures)", ids.join(", ")),
    }
}

/// Says on stderr when a snapshot is past its expiry: results then carry `STALE`.
pub fn warn_if_stale(path: &Path, v: &Verified, now: Timestamp) {
    if let Some(exp) = v.expires_at.filter(|_| v.snapshot.is_stale(now)) {
        eprintln!(
            "edgeflag: warning: {} expired at {exp}; serving it under the stale policy (reason STALE, `stale = \"safe\"` flags on their rollback variant)",
            path.display()
        );
    }
}

/// Writes a file, creating its folder; private files get mode 0600 before any byte is written.
pub fn write(path: &Path, contents: &str, private: bool) -> Result<()> {
    use std::io::Write;
    let fail =
        |e: std::io::Error| CliError::input(format!("{}: cannot write: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    #[cfg(unix)]
    if private {
        // An existing file keeps its old mode on open: set it explicitly.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    file.write_all(contents.as_bytes()).map_err(fail)
}

/// Replaces a file atomically: a temp file next to it, renamed over it, so a
/// crash or a full disk leaves the old file whole. An existing file keeps its
/// mode, and a symlink stays one (what it points to is replaced).
pub fn replace(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let fail =
        |e: std::io::Error| CliError::input(format!("{}: cannot write: {e}", path.display()));
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(fail(e)),
    };
    let dir = match target.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(fail)?;
            d.to_path_buf()
        }
        None => PathBuf::from("."),
    };
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.edgeflag-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if let Ok(meta) = std::fs::metadata(&target) {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        // Best effort: the temp file is ours and useless once the write failed.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

/// The `*.json` files of a folder, sorted by name.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::input(format!("{}: cannot read folder: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// `--expires-in`: a duration, or `never` (only with `--force`): the expiry,
/// and whether the snapshot records that it never expires.
pub fn expiry(
    issued: Timestamp,
    expires_in: &str,
    force: bool,
) -> Result<(Option<Timestamp>, bool)> {
    if expires_in == "never" {
        if !force {
            return Err(CliError::input(NEVER_NEEDS_FORCE));
        }
        return Ok((None, true));
    }
    edgeflag::parse_duration(expires_in)
        .map(|ms| (Some(issued.add_millis(ms)), false))
        .ok_or_else(|| {
            CliError::input(format!(
                "--expires-in: `{expires_in}` is not a duration such as 30d or 12h, nor `never`"
            ))
        })
}

/// Why `--expires-in never` needs `--force`.
pub const NEVER_NEEDS_FORCE: &str = "--expires-in never needs --force: consumers would serve the snapshot forever, never falling back to the stale policy; give a duration such as 30d, or add --force to record that it never expires";

/// The warning of a snapshot built with `--expires-in never --force`.
pub const NEVER_EXPIRES_WARNING: &str = "warning: the snapshot never expires (--expires-in never --force, recorded in the snapshot): consumers serve it until a higher version replaces it";

pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::input(format!("cannot encode json output: {e}")))?;
    outln!("{text}");
    Ok(())
}
