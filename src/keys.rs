//! Ed25519 keys in the formats openssl and every PKI tool speak: private keys
//! as PKCS#8 PEM, public keys as SPKI PEM. Key generation needs randomness, so
//! it lives in the CLI; the core only reads, writes and identifies keys.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};

/// Why a key could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("not an ed25519 private key in pkcs#8 pem (\"-----BEGIN PRIVATE KEY-----\"): {why}")]
    BadPrivateKey { why: String },
    #[error("not an ed25519 public key in spki pem (\"-----BEGIN PUBLIC KEY-----\"): {why}")]
    BadPublicKey { why: String },
    #[error("the key cannot be encoded: {why}")]
    Encoding { why: String },
}

/// A private signing key.
#[derive(Clone)]
pub struct SigningKey(pub(crate) ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "SigningKey({})", self.public().key_id())
    }
}

impl SigningKey {
    /// A key from its 32 secret bytes (from a CSPRNG: the CLI's `keygen`).
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(&secret))
    }

    /// Reads a PKCS#8 PEM private key, such as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim())
            .map(SigningKey)
            .map_err(|e| KeyError::BadPrivateKey { why: e.to_string() })
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| KeyError::Encoding { why: e.to_string() })
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

/// A public key that may verify snapshots.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub(crate) ed25519_dalek::VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl PublicKey {
    /// Reads an SPKI PEM public key (`openssl pkey -pubout` writes one).
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        ed25519_dalek::VerifyingKey::from_public_key_pem(pem.trim())
            .map(PublicKey)
            .map_err(|e| KeyError::BadPublicKey { why: e.to_string() })
    }

    /// Reads every PEM public key in a text (a file or a variable may hold several).
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>, KeyError> {
        const END: &str = "-----END PUBLIC KEY-----";
        let mut keys = Vec::new();
        let mut rest = text;
        while let Some(end) = rest.find(END) {
            let (block, tail) = rest.split_at(end + END.len());
            keys.push(PublicKey::from_spki_pem(block)?);
            rest = tail;
        }
        if keys.is_empty() {
            return Err(KeyError::BadPublicKey {
                why: "no \"-----END PUBLIC KEY-----\" block found".into(),
            });
        }
        Ok(keys)
    }

    /// The key as SPKI PEM.
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encoding { why: e.to_string() })
    }

    /// The key id: lowercase hex SHA-256 of the key's SPKI DER encoding (the
    /// bytes inside the PEM), so anyone can recompute it with
    /// `openssl pkey -pubin -outform DER | sha256sum`.
    pub fn key_id(&self) -> String {
        match self.0.to_public_key_der() {
            Ok(der) => hex(&Sha256::digest(der.as_bytes())),
            // Encoding a valid 32-byte key cannot fail; fall back to the raw key.
            Err(_) => hex(&Sha256::digest(self.0.as_bytes())),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    let digit = |n: u8| char::from(DIGITS.get(usize::from(n)).copied().unwrap_or(b'0'));
    for b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b & 15));
    }
    s
}
