//! Signed snapshots: a DSSE envelope (the in-toto/sigstore signing envelope)
//! around a JSON payload, signed with Ed25519. The edge, the browser and the
//! CLI act only on what `verify` returns: signatures are checked before a
//! single byte of flag content is parsed.

use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};

use crate::format::base64;
use crate::format::decode::{Decode, Path};
use crate::format::json::{self, JsonError};
use crate::model::error::ReleaseError;

pub mod accept;
pub mod envelope;
pub mod keys;

use crate::format::base64::hex;
use envelope::{Envelope, EnvelopeSignature, Payload};
use keys::{PublicKey, SigningKey};

/// The DSSE `payloadType` of an edgeflag snapshot.
pub const PAYLOAD_TYPE: &str = "application/vnd.edgeflag.snapshot+json";
/// The payload schema this crate writes and reads.
pub const SNAPSHOT_SCHEMA: u32 = 1;
/// Signatures read beyond one per trusted key: room for keys being rotated
/// in or out, and no more, so a long list costs nothing before it is refused.
pub const EXTRA_SIGNATURES: usize = 4;
/// Values (see `json::parse_bounded`) an envelope may hold: a payload string
/// and a few signatures need a few dozen. This bounds the tree parsed from
/// unauthenticated bytes (under a megabyte) whatever their size, while a long
/// signature list still parses far enough to be refused as one.
pub const ENVELOPE_VALUES: usize = 16_384;

/// Why a snapshot was rejected. Each kind has a stable code for other runtimes.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error("snapshot is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed snapshot: {why}")]
    Malformed { why: String },
    #[error("snapshot json nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("snapshot json holds more than {limit} values ({part})")]
    TooManyValues { limit: usize, part: &'static str },
    #[error("snapshot json repeats the key `{key}`")]
    DuplicateKey { key: String },
    #[error("payload type is `{found}`, not `{PAYLOAD_TYPE}`")]
    WrongPayloadType { found: String },
    #[error(
        "the envelope carries {found} signatures; at most {limit} are read (the trusted keys and {EXTRA_SIGNATURES} more)"
    )]
    TooManySignatures { found: usize, limit: usize },
    #[error("no signature from a trusted key (signed by: {})", if keyids.is_empty() { "nobody".to_owned() } else { keyids.join(", ") })]
    UnknownKey { keyids: Vec<String> },
    #[error("the signature of key {keyid} does not verify")]
    BadSignature { keyid: String },
    #[error("{valid} valid signature(s) from trusted keys, {threshold} required")]
    BelowThreshold { valid: usize, threshold: usize },
    #[error("snapshot expired at {expires_at} (now {now}), and a fresh snapshot is being served")]
    Expired { expires_at: String, now: String },
    #[error(
        "snapshot has no expiry: build it with --expires-in, or `--expires-in never --force` to record that it never expires"
    )]
    NoExpiry,
    #[error(
        "snapshot was issued at {issued_at}, after now ({now}) plus {skew_seconds} s of allowed clock skew"
    )]
    IssuedInFuture {
        issued_at: String,
        now: String,
        skew_seconds: i64,
    },
    #[error("snapshot version {version} is below the minimum {min} ({why})")]
    VersionTooOld {
        version: u64,
        min: u64,
        why: &'static str,
    },
    #[error(
        "snapshot version {version} is already {held} with payload {held_digest}; this one has {digest}: a changed payload needs a higher version"
    )]
    VersionReused {
        version: u64,
        held: &'static str,
        held_digest: String,
        digest: String,
    },
    #[error("snapshot is for environment `{found}`, but this consumer serves `{expected}`")]
    WrongEnvironment { found: String, expected: String },
    #[error("snapshot is for `{found}` clients, but this consumer serves `{expected}` clients")]
    WrongAudience {
        found: &'static str,
        expected: &'static str,
    },
    #[error("unsupported snapshot schema {found}: this version reads schema {supported}")]
    UnsupportedSchema { found: u32, supported: u32 },
    #[error("snapshot definitions are invalid: {0}")]
    Invalid(ReleaseError),
    #[error("threshold {threshold} cannot be met by {trusted} trusted key(s)")]
    Unsatisfiable { threshold: usize, trusted: usize },
    #[error("key {keyid} has already signed this snapshot")]
    AlreadySigned { keyid: String },
}

impl SnapshotError {
    /// The stable code of this kind of rejection, e.g. `BAD_SIGNATURE`.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::TooLarge { .. } => "TOO_LARGE",
            SnapshotError::Malformed { .. } => "MALFORMED",
            SnapshotError::TooDeep { .. } => "TOO_DEEP",
            SnapshotError::TooManyValues { .. } => "TOO_MANY_VALUES",
            SnapshotError::DuplicateKey { .. } => "DUPLICATE_KEY",
            SnapshotError::WrongPayloadType { .. } => "WRONG_PAYLOAD_TYPE",
            SnapshotError::TooManySignatures { .. } => "TOO_MANY_SIGNATURES",
            SnapshotError::UnknownKey { .. } => "UNKNOWN_KEY",
            SnapshotError::BadSignature { .. } => "BAD_SIGNATURE",
            SnapshotError::BelowThreshold { .. } => "BELOW_THRESHOLD",
            SnapshotError::Expired { .. } => "EXPIRED",
            SnapshotError::NoExpiry => "NO_EXPIRY",
            SnapshotError::IssuedInFuture { .. } => "ISSUED_IN_FUTURE",
            SnapshotError::VersionTooOld { .. } => "VERSION_TOO_OLD",
            SnapshotError::VersionReused { .. } => "VERSION_REUSED",
            SnapshotError::WrongEnvironment { .. } => "WRONG_ENVIRONMENT",
            SnapshotError::WrongAudience { .. } => "WRONG_AUDIENCE",
            SnapshotError::UnsupportedSchema { .. } => "UNSUPPORTED_SCHEMA",
            SnapshotError::Invalid(_) => "INVALID_DEFINITIONS",
            SnapshotError::Unsatisfiable { .. } => "UNSATISFIABLE_THRESHOLD",
            SnapshotError::AlreadySigned { .. } => "ALREADY_SIGNED",
        }
    }

    /// Whether judging the same bytes again later may come out otherwise:
    /// only verdicts that depend on the clock (an expiry that stops mattering
    /// once what is served expires too, an issue time that arrives). Other
    /// verdicts are final for those bytes, so a consumer need not re-verify them.
    pub fn may_change(code: &str) -> bool {
        matches!(code, "EXPIRED" | "ISSUED_IN_FUTURE")
    }

    /// Every code [`SnapshotError::code`] can return (a test holds the two
    /// together), for tables and documentation in other runtimes.
    pub const CODES: &'static [&'static str] = &[
        "TOO_LARGE",
        "MALFORMED",
        "TOO_DEEP",
        "TOO_MANY_VALUES",
        "DUPLICATE_KEY",
        "WRONG_PAYLOAD_TYPE",
        "TOO_MANY_SIGNATURES",
        "UNKNOWN_KEY",
        "BAD_SIGNATURE",
        "BELOW_THRESHOLD",
        "EXPIRED",
        "NO_EXPIRY",
        "ISSUED_IN_FUTURE",
        "VERSION_TOO_OLD",
        "VERSION_REUSED",
        "WRONG_ENVIRONMENT",
        "UNSUPPORTED_SCHEMA",
        "INVALID_DEFINITIONS",
        "UNSATISFIABLE_THRESHOLD",
        "ALREADY_SIGNED",
    ];
}

/// DSSE's pre-authentication encoding: what is actually signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// The digest of a payload: `sha256:` and lowercase hex of its bytes.
pub fn digest(payload: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(payload)))
}

/// A freshly signed envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The envelope as JSON, ready to store.
    pub envelope: String,
    /// The digest of the payload inside (see [`digest`]).
    pub digest: String,
}

/// Signs a payload with every given key.
pub fn sign(payload: &Payload, keys: &[&SigningKey]) -> Result<Signed, SnapshotError> {
    let bytes = serde_json::to_vec(payload).map_err(|e| SnapshotError::Malformed {
        why: format!("payload cannot be encoded: {e}"),
    })?;
    let to_sign = pae(PAYLOAD_TYPE, &bytes);
    let envelope = Envelope {
        payload: base64::encode(&bytes),
        payload_type: PAYLOAD_TYPE.to_owned(),
        signatures: keys
            .iter()
            .map(|k| EnvelopeSignature {
                keyid: k.public().key_id(),
                sig: base64::encode(&k.0.sign(&to_sign).to_bytes()),
            })
            .collect(),
    };
    let json = serde_json::to_string_pretty(&envelope).map_err(|e| SnapshotError::Malformed {
        why: format!("envelope cannot be encoded: {e}"),
    })?;
    Ok(Signed {
        envelope: json,
        digest: digest(&bytes),
    })
}

/// A JSON problem of the envelope or the payload (`part` says which).
pub(crate) fn shape(e: JsonError, part: &'static str) -> SnapshotError {
    match e {
        JsonError::TooDeep { limit } => SnapshotError::TooDeep { limit },
        JsonError::DuplicateKey { key } => SnapshotError::DuplicateKey { key },
        JsonError::TooManyValues { limit } => SnapshotError::TooManyValues { limit, part },
        other => SnapshotError::Malformed {
            why: format!(
                "{}: {other}",
                if part == "envelope" {
                    "not a dsse envelope"
                } else {
                    "payload is not json"
                }
            ),
        },
    }
}

impl Envelope {
    /// Reads an envelope without checking any signature: bounded JSON (at
    /// most [`ENVELOPE_VALUES`] values, `max_depth` levels), the DSSE shape,
    /// and edgeflag's payload type.
    pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Envelope, SnapshotError> {
        let doc = json::parse_bounded(bytes, max_depth, ENVELOPE_VALUES)
            .map_err(|e| shape(e, "envelope"))?;
        let env = Envelope::decode(doc, Path::Root).map_err(|e| SnapshotError::Malformed {
            why: format!("not a dsse envelope: {e}"),
        })?;
        if env.payload_type != PAYLOAD_TYPE {
            return Err(SnapshotError::WrongPayloadType {
                found: env.payload_type,
            });
        }
        Ok(env)
    }

    /// The payload's bytes, as signed.
    fn payload_bytes(&self) -> Result<Vec<u8>, SnapshotError> {
        base64::decode(self.payload.as_bytes()).map_err(|e| SnapshotError::Malformed {
            why: format!("payload is not base64: {e}"),
        })
    }
}

/// The parts of the policy the signature check needs.
pub(crate) struct Trust<'a> {
    pub trusted: &'a [PublicKey],
    pub threshold: usize,
    pub max_size: usize,
    pub max_depth: usize,
}

/// Checks the envelope and its signatures; returns the signers and the
/// payload bytes. Every step is bounded before any hashing: the size, the
/// envelope's values, the number of signatures; then each trusted key is
/// tried at most once, and checking stops when the threshold is met, so a
/// hostile envelope costs at most one verification per trusted key.
pub(crate) fn verified_payload(
    bytes: &[u8],
    t: &Trust,
) -> Result<(Vec<String>, Vec<u8>), SnapshotError> {
    if t.threshold == 0 || t.threshold > t.trusted.len() {
        return Err(SnapshotError::Unsatisfiable {
            threshold: t.threshold,
            trusted: t.trusted.len(),
        });
    }
    if bytes.len() > t.max_size {
        return Err(SnapshotError::TooLarge {
            size: bytes.len(),
            limit: t.max_size,
        });
    }
    let env = Envelope::parse(bytes, t.max_depth)?;
    let limit = t.trusted.len() + EXTRA_SIGNATURES;
    if env.signatures.len() > limit {
        return Err(SnapshotError::TooManySignatures {
            found: env.signatures.len(),
            limit,
        });
    }
    let payload = env.payload_bytes()?;
    let signed = pae(PAYLOAD_TYPE, &payload);
    let mut untried: Vec<(String, &PublicKey)> =
        t.trusted.iter().map(|k| (k.key_id(), k)).collect();
    let known_any = env
        .signatures
        .iter()
        .any(|s| untried.iter().any(|(id, _)| *id == s.keyid));
    let mut valid: Vec<String> = Vec::new();
    let mut first_bad = None;
    for s in &env.signatures {
        if valid.len() >= t.threshold {
            break;
        }
        // Unknown keys, and trusted keys already tried, are never hashed.
        let Some(i) = untried.iter().position(|(id, _)| *id == s.keyid) else {
            continue;
        };
        let (id, key) = untried.swap_remove(i);
        let ok = base64::decode(s.sig.as_bytes())
            .ok()
            .and_then(|raw| ed25519_dalek::Signature::from_slice(&raw).ok())
            .is_some_and(|sig| key.0.verify_strict(&signed, &sig).is_ok());
        if ok {
            valid.push(id);
        } else if first_bad.is_none() {
            first_bad = Some(id);
        }
    }
    if !known_any {
        return Err(SnapshotError::UnknownKey {
            keyids: env.signatures.iter().map(|s| s.keyid.clone()).collect(),
        });
    }
    if valid.is_empty() {
        return Err(SnapshotError::BadSignature {
            keyid: first_bad.unwrap_or_default(),
        });
    }
    if valid.len() < t.threshold {
        return Err(SnapshotError::BelowThreshold {
            valid: valid.len(),
            threshold: t.threshold,
        });
    }
    Ok((valid, payload))
}

/// Adds signatures to a signed envelope without touching its payload: the
/// second signer of an M-of-N snapshot. Refuses a key that already signed.
pub fn cosign(envelope: &[u8], keys: &[&SigningKey]) -> Result<Signed, SnapshotError> {
    let mut env = Envelope::parse(envelope, json::DEFAULT_MAX_DEPTH)?;
    let payload = env.payload_bytes()?;
    let to_sign = pae(PAYLOAD_TYPE, &payload);
    for k in keys {
        let keyid = k.public().key_id();
        if env.signatures.iter().any(|s| s.keyid == keyid) {
            return Err(SnapshotError::AlreadySigned { keyid });
        }
        env.signatures.push(EnvelopeSignature {
            keyid,
            sig: base64::encode(&k.0.sign(&to_sign).to_bytes()),
        });
    }
    let json = serde_json::to_string_pretty(&env).map_err(|e| SnapshotError::Malformed {
        why: format!("envelope cannot be encoded: {e}"),
    })?;
    Ok(Signed {
        envelope: json,
        digest: digest(&payload),
    })
}
