//! Signed snapshots: a DSSE envelope (the in-toto/sigstore signing envelope)
//! around a JSON payload, signed with Ed25519. The edge, the browser and the
//! CLI act only on what `verify` returns: signatures are checked before a
//! single byte of flag content is parsed.

use ed25519_dalek::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::base64;
use crate::decode;
use crate::error::ReleaseError;
use crate::json::{self, Json, JsonError};
use crate::keys::{PublicKey, SigningKey, hex};
use crate::snapshot::{Definitions, Snapshot};
use crate::time::Timestamp;

/// The DSSE `payloadType` of an edgeflag snapshot.
pub const PAYLOAD_TYPE: &str = "application/vnd.edgeflag.snapshot+json";
/// The payload schema this crate writes and reads.
pub const SNAPSHOT_SCHEMA: u32 = 1;
/// Default size limit of an envelope.
pub const DEFAULT_MAX_SIZE: usize = 10 * 1024 * 1024;
/// Default nesting limit of the envelope and the payload JSON.
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Default allowed clock skew when checking expiry.
pub const DEFAULT_SKEW_MS: i64 = 60_000;

/// The DSSE envelope as it travels and is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    pub keyid: String,
    pub sig: String,
}

/// What a snapshot says: its place in the history and the flag definitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub schema: u32,
    /// Only grows per environment; the edge refuses anything below what it served.
    pub version: u64,
    pub issued_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The digest of the previous payload of this environment: the audit chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Built with `--force` despite a failing release checklist.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    pub definitions: Definitions,
}

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
    #[error("snapshot json repeats the key `{key}`")]
    DuplicateKey { key: String },
    #[error("payload type is `{found}`, not `{PAYLOAD_TYPE}`")]
    WrongPayloadType { found: String },
    #[error("no signature from a trusted key (signed by: {})", if keyids.is_empty() { "nobody".to_owned() } else { keyids.join(", ") })]
    UnknownKey { keyids: Vec<String> },
    #[error("the signature of key {keyid} does not verify")]
    BadSignature { keyid: String },
    #[error("{valid} valid signature(s) from trusted keys, {threshold} required")]
    BelowThreshold { valid: usize, threshold: usize },
    #[error("snapshot expired at {expires_at} (now {now})")]
    Expired { expires_at: String, now: String },
    #[error("snapshot version {version} is below the minimum {min}")]
    VersionTooOld { version: u64, min: u64 },
    #[error("unsupported snapshot schema {found}: this version reads schema {supported}")]
    UnsupportedSchema { found: u32, supported: u32 },
    #[error("snapshot definitions are invalid: {0}")]
    Invalid(ReleaseError),
    #[error("threshold {threshold} cannot be met by {trusted} trusted key(s)")]
    Unsatisfiable { threshold: usize, trusted: usize },
}

impl SnapshotError {
    /// The stable code of this kind of rejection, e.g. `BAD_SIGNATURE`.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::TooLarge { .. } => "TOO_LARGE",
            SnapshotError::Malformed { .. } => "MALFORMED",
            SnapshotError::TooDeep { .. } => "TOO_DEEP",
            SnapshotError::DuplicateKey { .. } => "DUPLICATE_KEY",
            SnapshotError::WrongPayloadType { .. } => "WRONG_PAYLOAD_TYPE",
            SnapshotError::UnknownKey { .. } => "UNKNOWN_KEY",
            SnapshotError::BadSignature { .. } => "BAD_SIGNATURE",
            SnapshotError::BelowThreshold { .. } => "BELOW_THRESHOLD",
            SnapshotError::Expired { .. } => "EXPIRED",
            SnapshotError::VersionTooOld { .. } => "VERSION_TOO_OLD",
            SnapshotError::UnsupportedSchema { .. } => "UNSUPPORTED_SCHEMA",
            SnapshotError::Invalid(_) => "INVALID_DEFINITIONS",
            SnapshotError::Unsatisfiable { .. } => "UNSATISFIABLE_THRESHOLD",
        }
    }
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

/// What a verifier trusts and enforces.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    pub trusted: Vec<PublicKey>,
    /// Distinct trusted keys whose signatures must verify (M of N).
    pub threshold: usize,
    /// The lowest version accepted: replaying an older snapshot fails.
    pub min_version: u64,
    /// The time to check expiry against.
    pub now: Timestamp,
    /// Accept an expired snapshot (the edge's stale policy decides what it serves).
    pub allow_expired: bool,
    pub max_size: usize,
    pub max_depth: usize,
    pub skew_ms: i64,
}

impl VerifyOptions {
    /// Defaults: threshold 1, no minimum version, 10 MiB, depth 64, one minute of skew.
    pub fn new(trusted: Vec<PublicKey>, now: Timestamp) -> Self {
        VerifyOptions {
            trusted,
            threshold: 1,
            min_version: 0,
            now,
            allow_expired: false,
            max_size: DEFAULT_MAX_SIZE,
            max_depth: DEFAULT_MAX_DEPTH,
            skew_ms: DEFAULT_SKEW_MS,
        }
    }
}

/// A snapshot whose signatures, freshness and content all checked out.
#[derive(Debug)]
pub struct Verified {
    pub version: u64,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub previous: Option<String>,
    pub forced: bool,
    /// The digest of the payload (see [`digest`]).
    pub digest: String,
    /// The trusted keys whose signatures verified.
    pub signed_by: Vec<String>,
    pub snapshot: Snapshot,
}

impl Verified {
    /// Whether the snapshot has passed its expiry at `now` (without skew).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| now > e)
    }
}

/// A JSON problem of the envelope (`context` says which) or the payload.
fn shape(e: JsonError, context: &str) -> SnapshotError {
    match e {
        JsonError::TooDeep { limit } => SnapshotError::TooDeep { limit },
        JsonError::DuplicateKey { key } => SnapshotError::DuplicateKey { key },
        other => SnapshotError::Malformed {
            why: format!("{context}: {other}"),
        },
    }
}

/// The payload's top-level `schema`, read before the rest so that a newer
/// schema is reported as such rather than as unknown fields.
fn schema(doc: &Json) -> Option<u64> {
    match doc {
        Json::Object(fields) => fields.iter().find_map(|(k, v)| match v {
            Json::Number(n) if k == "schema" => n.as_u64(),
            _ => None,
        }),
        _ => None,
    }
}

/// Verifies an envelope and compiles its payload.
pub fn verify(bytes: &[u8], opts: &VerifyOptions) -> Result<Verified, SnapshotError> {
    let payload = verified_payload(bytes, opts)?;
    let (signed_by, raw) = payload;
    let doc = json::parse(&raw, opts.max_depth).map_err(|e| shape(e, "payload is not json"))?;
    let schema = schema(&doc).ok_or_else(|| SnapshotError::Malformed {
        why: "payload has no integer `schema`".into(),
    })?;
    if schema != u64::from(SNAPSHOT_SCHEMA) {
        return Err(SnapshotError::UnsupportedSchema {
            found: u32::try_from(schema).unwrap_or(u32::MAX),
            supported: SNAPSHOT_SCHEMA,
        });
    }
    let p = decode::payload(doc).map_err(|e| SnapshotError::Malformed {
        why: format!("payload: {e}"),
    })?;
    let time = |field: &str, v: &str| {
        Timestamp::parse(v).ok_or_else(|| SnapshotError::Malformed {
            why: format!("payload {field} `{v}` is not an rfc 3339 time"),
        })
    };
    let issued_at = time("issued_at", &p.issued_at)?;
    let expires_at = p
        .expires_at
        .as_deref()
        .map(|e| time("expires_at", e))
        .transpose()?;
    if let Some(exp) = expires_at {
        if !opts.allow_expired && opts.now > exp.add_millis(opts.skew_ms) {
            return Err(SnapshotError::Expired {
                expires_at: exp.to_string(),
                now: opts.now.to_string(),
            });
        }
    }
    if p.version < opts.min_version {
        return Err(SnapshotError::VersionTooOld {
            version: p.version,
            min: opts.min_version,
        });
    }
    let snapshot = Snapshot::compile(p.definitions)
        .map_err(SnapshotError::Invalid)?
        .with_expiry(expires_at);
    Ok(Verified {
        version: p.version,
        issued_at,
        expires_at,
        previous: p.previous,
        forced: p.forced,
        digest: digest(&raw),
        signed_by,
        snapshot,
    })
}

/// Checks the envelope and its signatures; returns the signers and the payload bytes.
fn verified_payload(
    bytes: &[u8],
    opts: &VerifyOptions,
) -> Result<(Vec<String>, Vec<u8>), SnapshotError> {
    if opts.threshold == 0 || opts.threshold > opts.trusted.len() {
        return Err(SnapshotError::Unsatisfiable {
            threshold: opts.threshold,
            trusted: opts.trusted.len(),
        });
    }
    if bytes.len() > opts.max_size {
        return Err(SnapshotError::TooLarge {
            size: bytes.len(),
            limit: opts.max_size,
        });
    }
    let doc = json::parse(bytes, opts.max_depth).map_err(|e| shape(e, "not a dsse envelope"))?;
    let env = decode::envelope(doc).map_err(|e| SnapshotError::Malformed {
        why: format!("not a dsse envelope: {e}"),
    })?;
    if env.payload_type != PAYLOAD_TYPE {
        return Err(SnapshotError::WrongPayloadType {
            found: env.payload_type,
        });
    }
    let payload = base64::decode(env.payload.as_bytes()).map_err(|e| SnapshotError::Malformed {
        why: format!("payload is not base64: {e}"),
    })?;
    let signed = pae(PAYLOAD_TYPE, &payload);
    let trusted: Vec<(String, &PublicKey)> = opts.trusted.iter().map(|k| (k.key_id(), k)).collect();
    let mut valid: Vec<String> = Vec::new();
    let mut first_bad = None;
    let mut known_any = false;
    for s in &env.signatures {
        let Some((id, key)) = trusted.iter().find(|(id, _)| *id == s.keyid) else {
            continue;
        };
        known_any = true;
        let ok = base64::decode(s.sig.as_bytes())
            .ok()
            .and_then(|raw| ed25519_dalek::Signature::from_slice(&raw).ok())
            .is_some_and(|sig| key.0.verify(&signed, &sig).is_ok());
        if ok {
            if !valid.contains(id) {
                valid.push(id.clone());
            }
        } else if first_bad.is_none() {
            first_bad = Some(id.clone());
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
    if valid.len() < opts.threshold {
        return Err(SnapshotError::BelowThreshold {
            valid: valid.len(),
            threshold: opts.threshold,
        });
    }
    Ok((valid, payload))
}
