//! The snapshot an isolate serves, and how it changes. The runtime glue reads
//! KV and the high-water mark and hands them over; everything here is
//! synchronous and pure, so a swap is one assignment between two awaits:
//! requests see the old snapshot or the new one, never a mix.
//!
//! Acceptance is the core's `accept`: this module only says what the isolate
//! holds (the snapshot it serves and the durable high-water mark of its
//! environment, cached here) and keeps the bookkeeping: what KV held at the
//! last look, the last rejection, whether the mark store answered.

use std::rc::Rc;

use edgeflag::halt::Halt;
use edgeflag::{Audience, Holding, Mark, MarkMerge, Policy, Snapshot, Timestamp};
use serde::Serialize;

use crate::config::Config;
use crate::guards::Watches;

/// A verified snapshot and what the worker says about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub version: u64,
    /// The payload digest (`sha256:…`), as `edgeflag build` prints it.
    pub digest: String,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub signed_by: Vec<String>,
    pub forced: bool,
    /// The release candidate, and how the promotion gate let it through.
    pub candidate: Option<String>,
    pub promotion: Option<edgeflag::Promotion>,
    /// The signed snapshot, with the fleet's guard halts applied.
    pub snapshot: Snapshot,
    /// Its guarded rollouts.
    pub watches: Watches,
    /// The halts applied to it (docs/guards.md).
    pub halts: Vec<Halt>,
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
    /// `VERSION_TOO_OLD`, `VERSION_REUSED`, `WRONG_ENVIRONMENT`, …) or the
    /// loader's own for KV itself: `KV_ERROR`, `MISSING`.
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

/// A check that has not finished after this long is taken as abandoned (its
/// request was cancelled mid-await), so it cannot stop the isolate refreshing.
pub const CHECK_TIMEOUT_MS: i64 = 15_000;

/// What the durable high-water mark store last said.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum MarkStore {
    /// Not asked yet.
    #[default]
    Unknown,
    /// It answered (with a mark, or none yet).
    Answered,
    /// It could not be reached: the isolate judges on its in-memory floor
    /// and `MIN_SNAPSHOT_VERSION` alone.
    Unreachable(String),
}

/// One isolate's snapshot state.
#[derive(Debug, Default)]
pub struct Loader {
    /// Whom the snapshots it loads are for: another audience is refused.
    audience: Audience,
    current: Option<Rc<Loaded>>,
    /// The highest mark known here: from the store, or accepted here.
    mark: Option<Mark>,
    mark_store: MarkStore,
    seen: Option<Seen>,
    /// When the latest check started.
    last_check: Option<Timestamp>,
    /// When the check in progress started, if one is.
    in_flight: Option<Timestamp>,
    /// Whether the latest check ended with KV holding what is served.
    in_sync: bool,
    last_rejection: Option<Rejection>,
    /// The fleet's halts, as the guard ledger last gave them: applied to
    /// every snapshot served, where their plans match.
    halts: Vec<Halt>,
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

    /// The highest mark this isolate knows of.
    pub fn mark(&self) -> Option<&Mark> {
        self.mark.as_ref()
    }

    pub fn mark_store(&self) -> &MarkStore {
        &self.mark_store
    }

    /// When a check started that has not finished within `CHECK_TIMEOUT_MS`.
    pub fn stuck_since(&self, now: Timestamp) -> Option<Timestamp> {
        self.in_flight
            .filter(|t| now >= t.add_millis(CHECK_TIMEOUT_MS))
    }

    fn checking(&self, now: Timestamp) -> bool {
        self.in_flight.is_some() && self.stuck_since(now).is_none()
    }

    /// Takes what the mark store answered: the cached mark only moves up.
    pub fn note_mark(&mut self, read: Result<Option<Mark>, String>) {
        match read {
            Ok(m) => {
                self.mark_store = MarkStore::Answered;
                if let Some(m) = m {
                    self.raise(m);
                }
            }
            Err(why) => self.mark_store = MarkStore::Unreachable(why),
        }
    }

    fn raise(&mut self, m: Mark) {
        if Mark::merge(self.mark.as_ref(), &m) == MarkMerge::Raised {
            self.mark = Some(m);
        }
    }

    /// A loader of the snapshots for `audience` (the default is servers').
    pub fn new(audience: Audience) -> Self {
        Loader {
            audience,
            ..Loader::default()
        }
    }

    /// Takes the fleet's halts (from the guard ledger). When they change
    /// what applies to the served snapshot, a copy with them applied is
    /// served from now on; returns whether that happened.
    pub fn set_halts(&mut self, halts: Vec<Halt>) -> bool {
        self.halts = halts;
        let Some(current) = &self.current else {
            return false;
        };
        let mut next = Loaded::clone(current);
        let applied: Vec<Halt> = next
            .snapshot
            .apply_halts(&self.halts)
            .into_iter()
            .cloned()
            .collect();
        if applied == current.halts {
            return false;
        }
        next.halts = applied;
        self.current = Some(Rc::new(next));
        true
    }

    /// Whom it loads for.
    pub fn audience(&self) -> Audience {
        self.audience
    }

    /// The KV key it reads.
    pub fn key<'c>(&self, cfg: &'c Config) -> &'c str {
        cfg.key(self.audience).unwrap_or_default()
    }

    /// Whether to look at KV now. A cold isolate reads on every request until
    /// a check completes (concurrent first requests each read for themselves
    /// rather than wait on another request's I/O); after a failed cold check
    /// it waits `refresh_ms` like everyone else.
    pub fn due(&self, now: Timestamp, refresh_ms: i64) -> Due {
        let elapsed = |t: Timestamp| now >= t.add_millis(refresh_ms);
        let checking = self.checking(now);
        match (&self.current, self.last_check) {
            (None, None) => Due::Now,
            (None, Some(t)) if checking || elapsed(t) => Due::Now,
            (None, Some(_)) => Due::No,
            (Some(_), _) if checking => Due::No,
            (Some(_), None) => Due::Background,
            (Some(_), Some(t)) if elapsed(t) => Due::Background,
            (Some(_), Some(_)) => Due::No,
        }
    }

    /// Marks a check as started (call before reading KV).
    pub fn begin(&mut self, now: Timestamp) {
        self.in_flight = Some(now);
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
        self.in_flight = None;
        let bytes = match read {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                let why = format!("kv holds no value under `{}`", self.key(cfg));
                return self.reject("MISSING", why, None, now);
            }
            Err(e) => {
                let why = format!("reading `{}` from kv failed: {e}", self.key(cfg));
                return self.reject("KV_ERROR", why, None, now);
            }
        };
        let hash = edgeflag::digest(&bytes);
        if self.served().is_some_and(|c| c.envelope_hash == hash) {
            self.seen = Some(Seen { hash, code: None });
            self.in_sync = true;
            return Outcome::Unchanged;
        }
        if let Some(seen) = &self.seen {
            // The same bytes get the same verdict unless the verdict depends
            // on the clock (an expiry, an issue time): the core says which.
            if seen.hash == hash
                && seen
                    .code
                    .is_some_and(|c| !edgeflag::SnapshotError::may_change(c))
            {
                self.in_sync = false;
                return Outcome::Unchanged;
            }
        }
        self.judge(bytes, hash, cfg, now)
    }

    /// Offers the last good envelope kept by the mark store, when KV holds
    /// nothing this isolate can serve: judged exactly like a KV value.
    pub fn offer_kept(&mut self, bytes: Vec<u8>, cfg: &Config, now: Timestamp) -> Outcome {
        let hash = edgeflag::digest(&bytes);
        let in_sync = self.in_sync;
        let outcome = self.judge(bytes, hash, cfg, now);
        // KV still holds the rejected value: the served one is not in sync.
        self.in_sync = in_sync && matches!(outcome, Outcome::Accepted(_));
        outcome
    }

    fn judge(&mut self, bytes: Vec<u8>, hash: String, cfg: &Config, now: Timestamp) -> Outcome {
        let mut policy = Policy::new(cfg.trusted.clone(), now)
            .for_environment(&cfg.environment)
            .for_audience(self.audience);
        policy.threshold = cfg.threshold;
        policy.min_version = cfg.min_version;
        policy.max_size = cfg.max_snapshot_bytes;
        let holding = Holding {
            served: self.current.as_ref().map(|c| edgeflag::Served {
                mark: Mark {
                    version: c.version,
                    digest: c.digest.clone(),
                },
                expires_at: c.expires_at,
            }),
            mark: self.mark.clone(),
        };
        let v = match edgeflag::accept(&bytes, &policy, &holding) {
            Ok(v) => v,
            Err(e) => return self.reject(e.code(), e.to_string(), Some(hash), now),
        };
        self.raise(v.mark());
        let mut snapshot = v.snapshot;
        let halts = snapshot
            .apply_halts(&self.halts)
            .into_iter()
            .cloned()
            .collect();
        let loaded = Rc::new(Loaded {
            version: v.version,
            digest: v.digest,
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            signed_by: v.signed_by,
            forced: v.forced,
            candidate: v.candidate,
            promotion: v.promotion,
            watches: Watches::of(&snapshot),
            halts,
            snapshot,
            envelope_etag: format!("\"{}\"", hash.trim_start_matches("sha256:")),
            envelope_hash: hash.clone(),
            envelope: bytes,
            loaded_at: now,
        });
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
