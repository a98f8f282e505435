//! `GET /healthz`: what this isolate serves and whether that is healthy.
//!
//! - `ok`: a snapshot is served, it has not expired, and the latest check
//!   found it in KV.
//! - `degraded`: a snapshot is served, but it has expired (answers say
//!   `STALE`) or the latest value read from KV was rejected.
//! - `failing`: nothing is served (evaluations answer `PROVIDER_NOT_READY`)
//!   or the worker's settings are unusable.
//!
//! Anyone may read the status and the served version ([`Public`]); the rest
//! (release, digests, signers, rejections) tells an attacker what works, so
//! it needs an admin key (`ADMIN_KEYS`).

use edgeflag::{Mark, Timestamp};
use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::loader::{Loader, MarkStore, Rejection};

/// What `/healthz` tells anyone.
#[derive(Debug, Serialize)]
pub struct Public {
    pub status: &'static str,
    pub version: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Health<'a> {
    pub status: &'static str,
    /// Why the status is not `ok`, in words.
    pub problems: Vec<String>,
    pub snapshot_key: Option<&'a str>,
    pub version: Option<u64>,
    pub environment: Option<&'a str>,
    pub release: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub issued_at: Option<String>,
    pub expires_at: Option<String>,
    /// Seconds since the served snapshot was issued.
    pub age_seconds: Option<i64>,
    pub stale: bool,
    pub forced: Option<bool>,
    /// The release candidate, and how the promotion gate let it through.
    pub candidate: Option<&'a str>,
    pub promotion: Option<&'a edgeflag::Promotion>,
    pub signed_by: Option<&'a [String]>,
    pub loaded_at: Option<String>,
    pub last_check: Option<String>,
    pub last_rejection: Option<&'a Rejection>,
    /// The environment's high-water mark as this isolate knows it.
    pub mark: Option<&'a Mark>,
    /// `answered`, `unreachable` or `unknown` (not asked yet).
    pub mark_store: &'static str,
    pub checks: u64,
    pub rejections: u64,
    /// The browser snapshot's own health, when `BROWSER_SNAPSHOT_KEY` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<Box<Health<'a>>>,
}

impl<'a> Health<'a> {
    /// Adds the browser snapshot's health: a browser snapshot that is not
    /// `ok` makes the worker `degraded`, never `failing`, since OFREP still
    /// answers from the edge snapshot.
    pub fn with_browser(mut self, browser: Health<'a>) -> Self {
        if browser.status != "ok" {
            self.problems.push(format!(
                "the browser snapshot is {}: {}",
                browser.status,
                browser.problems.join("; ")
            ));
            if self.status == "ok" {
                self.status = "degraded";
            }
        }
        self.browser = Some(Box::new(browser));
        self
    }
}

impl Health<'_> {
    /// 503 when failing, so load balancers and uptime checks notice.
    pub fn http_status(&self) -> u16 {
        if self.status == "failing" { 503 } else { 200 }
    }

    pub fn public(&self) -> Public {
        Public {
            status: self.status,
            version: self.version,
        }
    }
}

pub fn health<'a>(
    loader: &'a Loader,
    cfg: Result<&'a Config, &ConfigError>,
    now: Timestamp,
) -> Health<'a> {
    let cur = loader.served();
    let mut problems = Vec::new();
    if let Err(e) = cfg {
        problems.push(format!("the worker is misconfigured: {e}"));
    }
    let stale = cur.is_some_and(|c| c.snapshot.is_stale(now));
    match cur {
        None => problems.push("no valid snapshot has loaded".into()),
        Some(c) if stale => problems.push(format!(
            "snapshot version {} expired at {}: answers are STALE",
            c.version,
            c.expires_at.map(|t| t.to_string()).unwrap_or_default()
        )),
        Some(_) => {}
    }
    if cur.is_some() && !loader.in_sync() {
        if let Some(r) = loader.last_rejection() {
            problems.push(format!(
                "the latest value in kv was rejected ({}): {}",
                r.code, r.message
            ));
        }
    }
    if let MarkStore::Unreachable(why) = loader.mark_store() {
        problems.push(format!(
            "the high-water mark store is unreachable ({why}): snapshots are judged against this isolate's own floor and MIN_SNAPSHOT_VERSION only"
        ));
    }
    if let Some(t) = loader.stuck_since(now) {
        problems.push(format!(
            "a snapshot check started at {t} has not completed; the next one will not wait for it"
        ));
    }
    let status = if cur.is_none() || cfg.is_err() {
        "failing"
    } else if problems.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    let time = |t: Timestamp| t.to_string();
    Health {
        status,
        problems,
        snapshot_key: cfg.ok().map(|c| loader.key(c)),
        version: cur.map(|c| c.version),
        environment: cur.map(|c| c.environment()),
        release: cur.map(|c| c.release()),
        digest: cur.map(|c| c.digest.as_str()),
        issued_at: cur.map(|c| time(c.issued_at)),
        expires_at: cur.and_then(|c| c.expires_at).map(time),
        age_seconds: cur.map(|c| (now.as_millis() - c.issued_at.as_millis()).div_euclid(1000)),
        stale,
        forced: cur.map(|c| c.forced),
        candidate: cur.and_then(|c| c.candidate.as_deref()),
        promotion: cur.and_then(|c| c.promotion.as_ref()),
        signed_by: cur.map(|c| c.signed_by.as_slice()),
        loaded_at: cur.map(|c| time(c.loaded_at)),
        last_check: loader.last_check().map(time),
        last_rejection: loader.last_rejection(),
        mark: loader.mark(),
        mark_store: match loader.mark_store() {
            MarkStore::Unknown => "unknown",
            MarkStore::Answered => "answered",
            MarkStore::Unreachable(_) => "unreachable",
        },
        checks: loader.checks,
        rejections: loader.rejections,
        browser: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{at, config, envelope, key};

    #[test]
    fn unavailable_ok_degraded() {
        let cfg = config();
        let now = at("2026-11-27T00:00:00Z");
        let mut l = Loader::default();
        let h = health(&l, Ok(&cfg), now);
        assert_eq!((h.status, h.http_status()), ("failing", 503));
        assert_eq!(h.problems, ["no valid snapshot has loaded"]);

        l.begin(now);
        l.offer(
            Ok(Some(envelope(&key(1), 4, Some("2026-12-10T00:00:00Z")))),
            &cfg,
            now,
        );
        let h = health(&l, Ok(&cfg), now);
        assert_eq!(
            (h.status, h.version, h.environment),
            ("ok", Some(4), Some("production"))
        );
        assert_eq!(h.age_seconds, Some(26 * 86_400));
        assert_eq!(h.expires_at.as_deref(), Some("2026-12-10T00:00:00Z"));

        l.begin(now);
        l.offer(Ok(Some(b"{}".to_vec())), &cfg, now);
        let h = health(&l, Ok(&cfg), now);
        assert_eq!(h.status, "degraded");
        assert_eq!(h.last_rejection.map(|r| r.code), Some("MALFORMED"));
        assert!(h.problems[0].starts_with("the latest value in kv was rejected (MALFORMED): "));

        let later = at("2026-12-11T00:00:00Z");
        let h = health(&l, Ok(&cfg), later);
        assert!(h.stale);
        assert_eq!(
            h.problems[0],
            "snapshot version 4 expired at 2026-12-10T00:00:00Z: answers are STALE"
        );
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["last_rejection"]["at"], "2026-11-27T00:00:00Z");
        assert_eq!(
            serde_json::to_value(h.public()).unwrap(),
            serde_json::json!({"status": "degraded", "version": 4})
        );

        l.note_mark(Err("no durable object bound as `HIGH_WATER`".into()));
        let h = health(&l, Ok(&cfg), now);
        assert_eq!(h.mark_store, "unreachable");
        assert!(h.problems.iter().any(|p| p.starts_with(
            "the high-water mark store is unreachable (no durable object bound as `HIGH_WATER`)"
        )));
    }
}
