//! The acceptance policy: whether a candidate envelope replaces what a
//! consumer serves. Every consumer (the worker's loader, the npm providers,
//! the console page, the CLI) calls [`accept`] with what it holds, so one
//! rule decides everywhere and each rejection has one code.
//!
//! In order: the signature check (bounded before any hashing, see
//! `signed::verified_payload`), the schema, then the judgement of the payload
//! against the policy and what is held (environment, issue time, expiry,
//! version floor, reuse), and last the compilation of the definitions.

use serde::{Deserialize, Serialize};

use crate::compile::snapshot::Snapshot;
use crate::eval::wire::Source;
use crate::format::decode::{Decode, Path};
use crate::format::json;
use crate::format::time::Timestamp;
use crate::model::Audience;
use crate::signed::envelope::{Payload, Promotion};
use crate::signed::keys::PublicKey;
use crate::signed::{self, SNAPSHOT_SCHEMA, SnapshotError, Trust};

/// Default size limit of an envelope for tools (the CLI reads large files).
pub const DEFAULT_MAX_SIZE: usize = 10 * 1024 * 1024;
/// Default size limit of long-running consumers (the worker's
/// `MAX_SNAPSHOT_BYTES`): three times the 200-flag reference snapshot, and
/// small enough that refusing the worst envelope this size costs less than
/// verifying that snapshot (BENCHMARKS.md, "hostile envelopes").
pub const EDGE_MAX_SIZE: usize = 128 * 1024;
/// Default limit on the values in a payload (a 10,000-flag snapshot holds
/// about 600,000): the payload is signed, but the tree it parses into takes
/// tens of bytes per value, so even a signer cannot make it unbounded.
pub const DEFAULT_MAX_VALUES: usize = 2_000_000;
/// Default allowed clock skew for expiry and issue times.
pub const DEFAULT_SKEW_MS: i64 = 60_000;

/// What a consumer wants a snapshot for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Purpose {
    /// To serve it now (the edge, the providers, the console, `verify`):
    /// every check, the clock's included.
    #[default]
    Serve,
    /// To read history (`log`, `revert`, `build --previous`, post-mortems):
    /// authenticity, schema, environment and version order; the clock is
    /// not consulted, since old snapshots have expired by design.
    Audit,
}

/// What a consumer trusts and enforces.
#[derive(Clone, Debug)]
pub struct Policy {
    pub trusted: Vec<PublicKey>,
    /// Distinct trusted keys whose signatures must verify (M of N).
    pub threshold: usize,
    /// The environment this consumer serves; `None` only for tools that read
    /// several (`log`). A long-running consumer must set it.
    pub environment: Option<String>,
    /// Whom this consumer serves: a snapshot for another audience is refused.
    pub audience: Audience,
    /// The lowest version ever accepted, whatever is held.
    pub min_version: u64,
    /// The time to judge expiry and issue times against.
    pub now: Timestamp,
    pub purpose: Purpose,
    pub max_size: usize,
    pub max_depth: usize,
    pub max_values: usize,
    pub skew_ms: i64,
}

impl Policy {
    /// Defaults: threshold 1, any environment, no minimum version, 10 MiB,
    /// depth 64, one minute of skew, to serve.
    pub fn new(trusted: Vec<PublicKey>, now: Timestamp) -> Self {
        Policy {
            trusted,
            threshold: 1,
            environment: None,
            audience: Audience::Server,
            min_version: 0,
            now,
            purpose: Purpose::Serve,
            max_size: DEFAULT_MAX_SIZE,
            max_depth: json::DEFAULT_MAX_DEPTH,
            max_values: DEFAULT_MAX_VALUES,
            skew_ms: DEFAULT_SKEW_MS,
        }
    }

    /// The same policy for reading history (see [`Purpose::Audit`]).
    pub fn audit(mut self) -> Self {
        self.purpose = Purpose::Audit;
        self
    }

    /// The same policy for another audience (browsers).
    pub fn for_audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }

    /// The same policy for one environment.
    pub fn for_environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }
}

/// The name a consumer keeps a high-water mark under: the environment's
/// for server snapshots, and `<environment>:browser` for browser snapshots,
/// whose versions are numbered apart. The worker's Durable Object and the
/// npm providers' floor stores both use it.
pub fn mark_name(environment: &str, audience: Audience) -> String {
    match audience {
        Audience::Browser => format!("{environment}:browser"),
        Audience::Server => environment.to_owned(),
    }
}

/// A snapshot's place in its environment's history: what a high-water mark
/// records. Marks only move up (see [`Mark::merge`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub version: u64,
    /// The payload digest (`sha256:…`).
    pub digest: String,
}

/// What offering a mark to a stored one came to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MarkMerge {
    /// The offered mark is higher (or there was none): store it.
    Raised,
    /// The stored mark is as high or higher: keep it.
    Kept,
    /// The same version with another digest: keep the stored one, and say so.
    Conflict,
}

impl Mark {
    /// Whether `offered` should replace `stored`: only a higher version does.
    pub fn merge(stored: Option<&Mark>, offered: &Mark) -> MarkMerge {
        match stored {
            None => MarkMerge::Raised,
            Some(s) if offered.version > s.version => MarkMerge::Raised,
            Some(s) if offered.version == s.version && offered.digest != s.digest => {
                MarkMerge::Conflict
            }
            Some(_) => MarkMerge::Kept,
        }
    }
}

/// The snapshot a consumer serves, as far as judging a successor goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub mark: Mark,
    pub expires_at: Option<Timestamp>,
}

/// What a consumer holds when it judges a candidate: what it serves (if
/// anything) and the durable high-water mark of its environment (if known).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    pub served: Option<Served>,
    pub mark: Option<Mark>,
}

/// A snapshot that passed the policy.
#[derive(Debug)]
pub struct Verified {
    pub version: u64,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub previous: Option<String>,
    pub forced: bool,
    pub never_expires: bool,
    /// Whom the snapshot is for.
    pub audience: Audience,
    /// The digest of the payload (see [`crate::digest`]).
    pub digest: String,
    /// The trusted keys whose signatures verified.
    pub signed_by: Vec<String>,
    /// The release candidate, and how the promotion gate let it through.
    pub candidate: Option<String>,
    pub promotion: Option<Promotion>,
    pub snapshot: Snapshot,
}

impl Verified {
    /// What results from this snapshot say about it (`flagMetadata`).
    pub fn source(&self) -> Source<'_> {
        Source {
            version: self.version,
            environment: self.snapshot.environment(),
            release: &self.snapshot.definitions().release.name,
        }
    }

    /// Whether the snapshot has passed its expiry at `now` (without skew).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| now > e)
    }

    /// Its version and digest.
    pub fn mark(&self) -> Mark {
        Mark {
            version: self.version,
            digest: self.digest.clone(),
        }
    }

    /// What a consumer serving it holds, to judge the next candidate.
    pub fn served(&self) -> Served {
        Served {
            mark: self.mark(),
            expires_at: self.expires_at,
        }
    }
}

/// Verifies an envelope for a consumer that holds nothing yet.
pub fn verify(bytes: &[u8], policy: &Policy) -> Result<Verified, SnapshotError> {
    accept(bytes, policy, &Holding::default())
}

/// Whether `bytes` may replace what `holding` describes, under `policy`:
/// the one acceptance rule of every runtime.
pub fn accept(bytes: &[u8], policy: &Policy, holding: &Holding) -> Result<Verified, SnapshotError> {
    let trust = Trust {
        trusted: &policy.trusted,
        threshold: policy.threshold,
        max_size: policy.max_size,
        max_depth: policy.max_depth,
    };
    let (signed_by, raw) = signed::verified_payload(bytes, &trust)?;
    let doc = json::parse_bounded(&raw, policy.max_depth, policy.max_values)
        .map_err(|e| signed::shape(e, "payload"))?;
    let schema =
        crate::format::decode::schema_of(&doc).ok_or_else(|| SnapshotError::Malformed {
            why: "payload has no integer `schema`".into(),
        })?;
    if schema != u64::from(SNAPSHOT_SCHEMA) {
        return Err(SnapshotError::UnsupportedSchema {
            found: u32::try_from(schema).unwrap_or(u32::MAX),
            supported: SNAPSHOT_SCHEMA,
        });
    }
    let p = Payload::decode(doc, Path::Root).map_err(|e| SnapshotError::Malformed {
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
    let candidate = Candidate {
        payload: &p,
        issued_at,
        expires_at,
        digest: crate::digest(&raw),
    };
    judge(&candidate, policy, holding)?;
    let digest = candidate.digest;
    let Payload {
        version,
        previous,
        forced,
        never_expires,
        audience,
        candidate: candidate_digest,
        promotion,
        definitions,
        ..
    } = p;
    let snapshot = Snapshot::compile(definitions)
        .map_err(SnapshotError::Invalid)?
        .with_expiry(expires_at);
    Ok(Verified {
        version,
        issued_at,
        expires_at,
        previous,
        forced,
        never_expires,
        audience,
        digest,
        signed_by,
        candidate: candidate_digest,
        promotion,
        snapshot,
    })
}

/// A payload that verified, with its times read.
struct Candidate<'a> {
    payload: &'a Payload,
    issued_at: Timestamp,
    expires_at: Option<Timestamp>,
    digest: String,
}

/// The policy's judgement of a verified payload against what is held.
fn judge(c: &Candidate, policy: &Policy, holding: &Holding) -> Result<(), SnapshotError> {
    let p = c.payload;
    let found = p.definitions.environment.as_str();
    if let Some(expected) = policy.environment.as_deref().filter(|e| *e != found) {
        return Err(SnapshotError::WrongEnvironment {
            found: found.to_owned(),
            expected: expected.to_owned(),
        });
    }
    if p.audience != policy.audience {
        return Err(SnapshotError::WrongAudience {
            found: p.audience.name(),
            expected: policy.audience.name(),
        });
    }
    let serve = policy.purpose == Purpose::Serve;
    if serve && c.issued_at > policy.now.add_millis(policy.skew_ms) {
        return Err(SnapshotError::IssuedInFuture {
            issued_at: c.issued_at.to_string(),
            now: policy.now.to_string(),
            skew_seconds: policy.skew_ms / 1000,
        });
    }
    if serve && c.expires_at.is_none() && !p.never_expires {
        return Err(SnapshotError::NoExpiry);
    }
    version_order(p.version, &c.digest, policy.min_version, holding)?;
    // An expired candidate never replaces a fresh snapshot; with nothing
    // fresh held it is the best there is, served under the stale policy.
    // Replaying an old one is stopped above by the floor, not here.
    if let Some(exp) = c
        .expires_at
        .filter(|e| serve && policy.now > e.add_millis(policy.skew_ms))
    {
        let fresh = holding
            .served
            .as_ref()
            .is_some_and(|s| s.expires_at.is_none_or(|e| policy.now <= e));
        if fresh {
            return Err(SnapshotError::Expired {
                expires_at: exp.to_string(),
                now: policy.now.to_string(),
            });
        }
    }
    Ok(())
}

/// The version floor: never below `min_version`, the durable mark or what is
/// served; at the floor itself only the very payload that set it.
pub fn version_order(
    version: u64,
    digest: &str,
    min_version: u64,
    holding: &Holding,
) -> Result<(), SnapshotError> {
    let held = [
        (holding.mark.as_ref(), "recorded as the high-water mark"),
        (holding.served.as_ref().map(|s| &s.mark), "served"),
    ];
    for (mark, held) in held {
        let Some(m) = mark else { continue };
        if version < m.version {
            return Err(SnapshotError::VersionTooOld {
                version,
                min: m.version,
                why: if held == "served" {
                    "the version being served"
                } else {
                    "the high-water mark of this environment"
                },
            });
        }
        if version == m.version && digest != m.digest {
            return Err(SnapshotError::VersionReused {
                version,
                held,
                held_digest: m.digest.clone(),
                digest: digest.to_owned(),
            });
        }
    }
    if version < min_version {
        return Err(SnapshotError::VersionTooOld {
            version,
            min: min_version,
            why: "the configured minimum",
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "accept_tests.rs"]
mod tests;
