//! Ed25519 keys in the formats openssl and every PKI tool speak: private keys
//! as PKCS#8 PEM, public keys as SPKI PEM. Key generation needs randomness, so
//! it lives in the CLI; the core only reads, writes and identifies keys.

use ed25519_dalek::pkcs8::spki::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};

use crate::format::base64::hex;

/// An Ed25519 public key's SPKI DER is always these 12 bytes and then the 32
/// key bytes: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused) }
/// (RFC 8410). Reading and identifying keys by hand with it keeps the DER and
/// PEM codecs out of the wasm builds, which only ever read public keys.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const BEGIN_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----";
const END_PUBLIC: &str = "-----END PUBLIC KEY-----";

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
    #[error(
        "weak ed25519 public key {key_id}: a small-order point, which anyone can forge signatures for"
    )]
    WeakKey { key_id: String },
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
        let bad = |why: &str| KeyError::BadPublicKey { why: why.into() };
        let body = pem
            .trim()
            .strip_prefix(BEGIN_PUBLIC)
            .ok_or_else(|| bad("it does not start with \"-----BEGIN PUBLIC KEY-----\""))?
            .strip_suffix(END_PUBLIC)
            .ok_or_else(|| bad("it does not end with \"-----END PUBLIC KEY-----\""))?;
        let text: String = body.split_ascii_whitespace().collect();
        let der = crate::format::base64::decode(text.as_bytes())
            .map_err(|_| bad("the text between the lines is not base64"))?;
        let key = der
            .strip_prefix(&SPKI_PREFIX)
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or_else(|| bad("the key is not an ed25519 key (spki with oid 1.3.101.112)"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map(PublicKey)
            .map_err(|_| bad("the key bytes are not an ed25519 curve point"))?;
        // A small-order key verifies signatures nobody made (strict
        // verification refuses them too, but a trusted list must not hold one).
        if key.0.is_weak() {
            return Err(KeyError::WeakKey {
                key_id: key.key_id(),
            });
        }
        Ok(key)
    }

    /// Reads every PEM public key in a text (a file or a variable may hold several).
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>, KeyError> {
        let mut keys = Vec::new();
        let mut rest = text;
        while let Some(end) = rest.find(END_PUBLIC) {
            let (block, tail) = rest.split_at(end + END_PUBLIC.len());
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
        let mut spki = Sha256::new();
        spki.update(SPKI_PREFIX);
        spki.update(self.0.as_bytes());
        hex(&spki.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(pem: &str) -> String {
        PublicKey::from_spki_pem(pem)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn spki_pem_errors_say_what_is_wrong() {
        let pre = "not an ed25519 public key in spki pem (\"-----BEGIN PUBLIC KEY-----\")";
        assert_eq!(
            err("nonsense"),
            format!("{pre}: it does not start with \"-----BEGIN PUBLIC KEY-----\"")
        );
        assert_eq!(
            err("-----BEGIN PUBLIC KEY-----\nAAAA"),
            format!("{pre}: it does not end with \"-----END PUBLIC KEY-----\"")
        );
        assert_eq!(
            err("-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"),
            format!("{pre}: the text between the lines is not base64")
        );
        // An RSA key's SPKI (any DER that is not the Ed25519 shape).
        let rsa = format!(
            "{BEGIN_PUBLIC}\n{}\n{END_PUBLIC}",
            crate::format::base64::encode(&[0x30, 0x0d, 0x30, 0x0b])
        );
        assert_eq!(
            err(&rsa),
            format!("{pre}: the key is not an ed25519 key (spki with oid 1.3.101.112)")
        );
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point (y = 1): order 1, the weakest key there is.
        let mut point = [0u8; 32];
        point[0] = 1;
        let der = [SPKI_PREFIX.as_slice(), &point].concat();
        let pem = format!(
            "{BEGIN_PUBLIC}\n{}\n{END_PUBLIC}",
            crate::format::base64::encode(&der)
        );
        let e = PublicKey::from_spki_pem(&pem).unwrap_err();
        assert!(matches!(e, KeyError::WeakKey { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with("weak ed25519 public key ")
                && e.to_string()
                    .ends_with(": a small-order point, which anyone can forge signatures for"),
            "{e}"
        );
    }

    #[test]
    fn hand_read_keys_match_the_der_codec() {
        for seed in 0..8u8 {
            let k = SigningKey::from_secret_bytes([seed; 32]).public();
            let pem = k.0.to_public_key_pem(LineEnding::LF).unwrap();
            // The same key, read by hand, with CRLF lines and surrounding space.
            let crlf = format!("  {}\n", pem.replace('\n', "\r\n"));
            assert_eq!(PublicKey::from_spki_pem(&crlf).unwrap(), k);
            let der = k.0.to_public_key_der().unwrap();
            assert_eq!(k.key_id(), hex(&Sha256::digest(der.as_bytes())));
        }
    }
}
