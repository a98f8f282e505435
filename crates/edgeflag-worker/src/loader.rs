//! The snapshot an isolate serves, and how it changes. The runtime glue reads
//! KV and hands the bytes over; everything here is synchronous and pure, so a
//! swap is one assignment between two awaits: requests see the old snapshot or
//! the new one, never a mix.
//!
//! Acceptance is the core's `verify` (signatures, keys, threshold, schema,
//! expiry, minimum version); the loader only chooses its options: the
//! minimum is the higher of `MIN_SNAPSHOT_VERSION` and the highest version this
//! isolate has served, and an expired snapshot is accepted only when nothing
//! fresher is being served (a cold isolate, or one whose snapshot expired too),
//! so that it serves under the core's stale policy rather than nothing.

use std::rc::Rc;

use edgeflag::{Snapshot, SnapshotError, Timestamp, VerifyOptions};
use serde::Serialize;

use crate::config::Config;

/// A verified snapshot and what the worker says about it.
#[derive(Debug)]
pub struct Loaded {
    pub version: u64,
    /// The payload digest (`sha256:…`), as `edgeflag build` prints it.
    pub digest: String,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub signed_by: Vec<String>,
    pub forced: bool,
    pub snapshot: Snapshot,
    /// The envelope exactly as stored in KV, for `GET /v1/snapshot`.
    pub envelope: Vec<u8>,
    /// `sha256:…` of `envelope`, to tell whether KV changed.
    pub envelope_hash: String,
    /// The entity tag of `envelope`.
    pub envelope_etag: String,
    pub loaded_at: Timestamp,
}

impl Loaded {
    pub fn environment(&self) -> &str {
        self.snapshot.environment()
    }

    pub fn release(&self) -> &str {
        &self.snapshot.definitions().release.name
    }
}

/// Why the latest value read from KV is not the one served.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    /// The core's stable code (`BAD_SIGNATURE`, `UNKNOWN_KEY`, `EXPIRED`,
    /// `VERSION_TOO_OLD`, `MALFORMED`, …) or the loader's own: `KV_ERROR`,
    /// `MISSING`, `VERSION_REUSED`.
    pub code: &'static str,
    pub message: String,
    #[serde(serialize_with = "as_rfc3339")]
    pub at: Timestamp,
}

fn as_rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// What a check of KV came to.
#[derive(Debug)]
pub enum Outcome {
    /// A snapshot was verified and is now served.
    Accepted(Rc<Loaded>),
    /// The bytes in KV are those already judged: nothing was verified.
    Unchanged,
    Rejected(Rejection),
}

/// Whether a request should look at KV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Nothing is served yet: read and verify before answering.
    Now,
    /// The refresh interval has passed: read in the background, answer now.
    Background,
    /// Not yet.
    No,
}

/// The bytes last read from KV and whether they are the ones served.
#[derive(Debug)]
struct Seen {
    hash: String,
    code: Option<&'static str>,
}

/// One isolate's snapshot state.
#[derive(Debug, Default)]
pub struct Loader {
    current: Option<Rc<Loaded>>,
    highest: u64,
    seen: Option<Seen>,
    /// When the latest check started.
    last_check: Option<Timestamp>,
    in_flight: u32,
    /// Whether the latest check ended with KV holding what is served.
    in_sync: bool,
    last_rejection: Option<Rejection>,
    pub checks: u64,
    pub rejections: u64,
}

impl Loader {
    /// The snapshot to answer with, if any (cheap: a reference count).
    pub fn current(&self) -> Option<Rc<Loaded>> {
        self.current.clone()
    }

    /// The served snapshot, borrowed.
    pub fn served(&self) -> Option<&Loaded> {
        self.current.as_deref()
    }

    pub fn last_rejection(&self) -> Option<&Rejection> {
        self.last_rejection.as_ref()
    }

    pub fn last_check(&self) -> Option<Timestamp> {
        self.last_check
    }

    /// Whether the latest check found the served snapshot in KV.
    pub fn in_sync(&self) -> bool {
        self.in_sync
    }

    /// Whether to look at KV now. A cold isolate reads on every request until
    /// a check completes (concurrent first requests each read for themselves
    /// rather than wait on another request's I/O); after a failed cold check
    /// it waits `refresh_ms` like everyone else.
    pub fn due(&self, now: Timestamp, refresh_ms: i64) -> Due {
        let elapsed = |t: Timestamp| now >= t.add_millis(refresh_ms);
        match (&self.current, self.last_check) {
            (None, None) => Due::Now,
            (None, Some(t)) if self.in_flight > 0 || elapsed(t) => Due::Now,
            (None, Some(_)) => Due::No,
            (Some(_), _) if self.in_flight > 0 => Due::No,
            (Some(_), None) => Due::Background,
            (Some(_), Some(t)) if elapsed(t) => Due::Background,
            (Some(_), Some(_)) => Due::No,
        }
    }

    /// Marks a check as started (call before reading KV).
    pub fn begin(&mut self, now: Timestamp) {
        self.in_flight += 1;
        self.checks += 1;
        self.last_check = Some(now);
    }

    /// Judges what KV returned for the snapshot key and swaps it in if it passes.
    pub fn offer(
        &mut self,
        read: Result<Option<Vec<u8>>, String>,
        cfg: &Config,
        now: Timestamp,
    ) -> Outcome {
        self.in_flight = self.in_flight.saturating_sub(1);
        let bytes = match read {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                let why = format!("kv holds no value under `{}`", cfg.snapshot_key);
                return self.reject("MISSING", why, None, now);
            }
            Err(e) => {
                let why = format!("reading `{}` from kv failed: {e}", cfg.snapshot_key);
                return self.reject("KV_ERROR", why, None, now);
            }
        };
        let hash = edgeflag::digest(&bytes);
        if self.served().is_some_and(|c| c.envelope_hash == hash) {
            self.seen = Some(Seen { hash, code: None });
            self.in_sync = true;
            return Outcome::Unchanged;
        }
        let stale = self
            .current
            .as_ref()
            .is_none_or(|c| c.snapshot.is_stale(now));
        if let Some(seen) = &self.seen {
            // An expired snapshot refused while a fresh one served may be
            // acceptable once that one has expired too: judge it again then.
            if seen.hash == hash && !(seen.code == Some("EXPIRED") && stale) {
                self.in_sync = seen.code.is_none();
                return Outcome::Unchanged;
            }
        }
        let mut opts = VerifyOptions::new(cfg.trusted.clone(), now);
        opts.threshold = cfg.threshold;
        opts.min_version = cfg.min_version.max(self.highest);
        opts.allow_expired = stale;
        let v = match edgeflag::verify(&bytes, &opts) {
            Ok(v) => v,
            Err(e) => {
                let mut why = e.to_string();
                if matches!(e, SnapshotError::VersionTooOld { .. })
                    && self.highest > cfg.min_version
                {
                    why.push_str(" (the highest version this isolate has served)");
                }
                return self.reject(e.code(), why, Some(hash), now);
            }
        };
        if let Some(want) = cfg
            .environment
            .as_deref()
            .filter(|want| *want != v.snapshot.environment())
        {
            let why = format!(
                "snapshot is for environment `{}`, but this worker serves `{want}` (ENVIRONMENT)",
                v.snapshot.environment()
            );
            return self.reject("WRONG_ENVIRONMENT", why, Some(hash), now);
        }
        if let Some(cur) = self.current.as_ref().filter(|c| c.version == v.version) {
            if cur.digest != v.digest {
                let why = format!(
                    "snapshot version {} is already served with payload {}; this one has {}: a changed payload needs a higher version",
                    v.version, cur.digest, v.digest
                );
                return self.reject("VERSION_REUSED", why, Some(hash), now);
            }
        }
        let loaded = Rc::new(Loaded {
            version: v.version,
            digest: v.digest,
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            signed_by: v.signed_by,
            forced: v.forced,
            snapshot: v.snapshot,
            envelope_etag: format!("\"{}\"", hash.trim_start_matches("sha256:")),
            envelope_hash: hash.clone(),
            envelope: bytes,
            loaded_at: now,
        });
        self.highest = self.highest.max(loaded.version);
        self.current = Some(Rc::clone(&loaded));
        self.seen = Some(Seen { hash, code: None });
        self.in_sync = true;
        Outcome::Accepted(loaded)
    }

    fn reject(
        &mut self,
        code: &'static str,
        message: String,
        hash: Option<String>,
        now: Timestamp,
    ) -> Outcome {
        self.seen = hash.map(|hash| Seen {
            hash,
            code: Some(code),
        });
        self.in_sync = false;
        self.rejections += 1;
        let r = Rejection {
            code,
            message,
            at: now,
        };
        self.last_rejection = Some(r.clone());
        Outcome::Rejected(r)
    }
}

#[cfg(test)]
#[path = "loader_tests.rs"]
mod tests;
