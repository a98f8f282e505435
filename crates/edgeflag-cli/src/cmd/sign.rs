//! `edgeflag sign`: a further signature on a signed snapshot, its payload
//! untouched (the second person of a two-person rule, or a key being rotated in).

use std::path::Path;

use edgeflag::Envelope;

use crate::error::{CliError, Result};
use crate::io;

pub fn run(snapshot: &Path, key: &Path, out: Option<&Path>, json: bool) -> Result<()> {
    let bytes = io::read_bytes(snapshot)?;
    let key = io::read_signing_key(key)?;
    let signed = edgeflag::cosign(&bytes, &[&key]).map_err(|e| io::rejected(snapshot, &e))?;
    let envelope = Envelope::parse(signed.envelope.as_bytes(), edgeflag::DEFAULT_MAX_DEPTH)
        .map_err(|e| CliError::input(format!("cannot read the signed envelope back: {e}")))?;
    let out = out.unwrap_or(snapshot);
    io::replace(out, &signed.envelope)?;
    let added = key.public().key_id();
    let signatures: Vec<String> = envelope.signatures.into_iter().map(|s| s.keyid).collect();
    if json {
        return io::print_json(&serde_json::json!({
            "out": out,
            "digest": signed.digest,
            "signatures": signatures,
            "added": added,
        }));
    }
    outln!("signed {} with key {added}", out.display());
    outln!("digest      {}", signed.digest);
    outln!("signatures  {}", io::signers_text(&signatures));
    Ok(())
}
