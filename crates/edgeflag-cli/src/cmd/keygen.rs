//! `edgeflag keygen`: a fresh Ed25519 key pair.

use std::path::Path;

use edgeflag::SigningKey;

use crate::error::{CliError, Result};
use crate::io;

pub fn run(out: &Path, name: &str, json: bool) -> Result<()> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| CliError::input(format!("no randomness from the operating system: {e}")))?;
    let key = SigningKey::from_secret_bytes(secret);
    let private = out.join(format!("{name}.pem"));
    let public = out.join(format!("{name}.pub.pem"));
    if private.exists() {
        return Err(CliError::input(format!(
            "{}: already exists; refusing to overwrite a signing key",
            private.display()
        )));
    }
    let enc = |e: edgeflag::KeyError| CliError::input(e.to_string());
    io::write(&private, &key.to_pkcs8_pem().map_err(enc)?, true)?;
    io::write(&public, &key.public().to_spki_pem().map_err(enc)?, false)?;
    let id = key.public().key_id();
    if json {
        return io::print_json(&serde_json::json!({
            "key_id": id,
            "private_key": private,
            "public_key": public,
        }));
    }
    outln!("key id       {id}");
    outln!(
        "private key  {} (mode 0600: keep it secret)",
        private.display()
    );
    outln!(
        "public key   {} (give it to --trust and TRUSTED_KEYS)",
        public.display()
    );
    Ok(())
}
