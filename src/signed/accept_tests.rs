#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::model::Definitions;
use crate::signed::keys::SigningKey;
use crate::signed::sign;

fn key(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes([n; 32])
}

fn at(t: &str) -> Timestamp {
    Timestamp::parse(t).unwrap()
}

fn definitions(env: &str, marker: &str) -> Definitions {
    let release =
        crate::ReleaseFile::from_toml(include_str!("../../examples/season0.toml")).unwrap();
    let mut defs = release.for_environment(env).unwrap();
    defs.release.description = Some(marker.to_owned());
    defs
}

/// A signed envelope: `(version, issued, expires, env, marker)`; the marker
/// changes the payload (and its digest) without changing the version.
struct Spec {
    version: u64,
    issued: &'static str,
    expires: Option<&'static str>,
    env: &'static str,
    marker: &'static str,
    never: bool,
}

const BASE: Spec = Spec {
    version: 5,
    issued: "2026-12-01T00:00:00Z",
    expires: Some("2026-12-10T00:00:00Z"),
    env: "production",
    marker: "a",
    never: false,
};

fn envelope(s: &Spec) -> Vec<u8> {
    let p = Payload {
        schema: SNAPSHOT_SCHEMA,
        version: s.version,
        issued_at: s.issued.into(),
        expires_at: s.expires.map(Into::into),
        previous: None,
        forced: false,
        never_expires: s.never,
        audience: Default::default(),
        candidate: None,
        promotion: None,
        definitions: definitions(s.env, s.marker),
    };
    sign(&p, &[&key(1)]).unwrap().envelope.into_bytes()
}

fn digest_of(s: &Spec) -> String {
    verify(&envelope(s), &policy().audit()).unwrap().digest
}

fn policy() -> Policy {
    Policy::new(vec![key(1).public()], at("2026-12-02T00:00:00Z")).for_environment("production")
}

fn served(s: &Spec) -> Served {
    Served {
        mark: Mark {
            version: s.version,
            digest: digest_of(s),
        },
        expires_at: s.expires.map(at),
    }
}

fn mark(s: &Spec) -> Mark {
    served(s).mark
}

/// Current state, candidate, expected decision (`Ok` or the code), as a table.
#[test]
fn the_acceptance_policy_as_a_table() {
    let v4 = Spec { version: 4, ..BASE };
    let v6 = Spec { version: 6, ..BASE };
    let v5b = Spec {
        marker: "b",
        ..BASE
    };
    let expired_v6 = Spec {
        version: 6,
        issued: "2026-11-01T00:00:00Z",
        expires: Some("2026-11-02T00:00:00Z"),
        ..BASE
    };
    let expired_v5 = Spec {
        issued: "2026-11-01T00:00:00Z",
        expires: Some("2026-11-02T00:00:00Z"),
        ..BASE
    };
    let future = Spec {
        version: 6,
        issued: "2026-12-03T00:00:00Z",
        ..BASE
    };
    let skewed = Spec {
        version: 6,
        issued: "2026-12-02T00:00:59Z",
        ..BASE
    };
    let staging = Spec {
        version: 9,
        env: "staging",
        ..BASE
    };
    let no_expiry = Spec {
        version: 6,
        expires: None,
        ..BASE
    };
    let never = Spec {
        version: 6,
        expires: None,
        never: true,
        ..BASE
    };
    let expired_v4 = Spec {
        version: 4,
        ..expired_v5
    };
    let nothing = Holding::default();
    let serving = |s: &Spec| Holding {
        served: Some(served(s)),
        mark: Some(mark(s)),
    };
    let only_mark = |s: &Spec| Holding {
        served: None,
        mark: Some(mark(s)),
    };
    let stale_serving = Holding {
        served: Some(served(&expired_v5)),
        mark: Some(mark(&expired_v5)),
    };
    let cases: Vec<(&str, Holding, &Spec, Result<(), &str>)> = vec![
        ("cold, fresh", nothing.clone(), &BASE, Ok(())),
        (
            "cold, expired: serves stale",
            nothing.clone(),
            &expired_v6,
            Ok(()),
        ),
        ("newer replaces", serving(&BASE), &v6, Ok(())),
        ("same bytes again", serving(&BASE), &BASE, Ok(())),
        (
            "older replayed",
            serving(&BASE),
            &v4,
            Err("VERSION_TOO_OLD"),
        ),
        (
            "older replayed to a cold consumer with a mark",
            only_mark(&BASE),
            &v4,
            Err("VERSION_TOO_OLD"),
        ),
        (
            "the mark's own payload, cold",
            only_mark(&BASE),
            &BASE,
            Ok(()),
        ),
        (
            "same version, other payload",
            serving(&BASE),
            &v5b,
            Err("VERSION_REUSED"),
        ),
        (
            "same version, other payload, cold with a mark",
            only_mark(&BASE),
            &v5b,
            Err("VERSION_REUSED"),
        ),
        (
            "newer but expired, fresh served",
            serving(&BASE),
            &expired_v6,
            Err("EXPIRED"),
        ),
        (
            "newer but expired, stale served",
            stale_serving.clone(),
            &expired_v6,
            Ok(()),
        ),
        (
            "older and expired, cold with a mark",
            only_mark(&BASE),
            &expired_v4,
            Err("VERSION_TOO_OLD"),
        ),
        (
            "issued in the future",
            serving(&BASE),
            &future,
            Err("ISSUED_IN_FUTURE"),
        ),
        ("issued within the skew", serving(&BASE), &skewed, Ok(())),
        (
            "staging under the production key",
            serving(&BASE),
            &staging,
            Err("WRONG_ENVIRONMENT"),
        ),
        ("no expiry", serving(&BASE), &no_expiry, Err("NO_EXPIRY")),
        (
            "never expires, forced and recorded",
            serving(&BASE),
            &never,
            Ok(()),
        ),
    ];
    for (name, holding, spec, want) in cases {
        let got = accept(&envelope(spec), &policy(), &holding)
            .map(|_| ())
            .map_err(|e| e.code());
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_floor_names_where_it_comes_from() {
    let v4 = Spec { version: 4, ..BASE };
    let holding = Holding {
        served: None,
        mark: Some(mark(&BASE)),
    };
    let e = accept(&envelope(&v4), &policy(), &holding).unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot version 4 is below the minimum 5 (the high-water mark of this environment)"
    );
    let mut p = policy();
    p.min_version = 7;
    let e = verify(&envelope(&BASE), &p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot version 5 is below the minimum 7 (the configured minimum)"
    );
    let v5b = Spec {
        marker: "b",
        ..BASE
    };
    let e = accept(&envelope(&v5b), &policy(), &holding).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "snapshot version 5 is already recorded as the high-water mark with payload {}; this one has {}: a changed payload needs a higher version",
            digest_of(&BASE),
            digest_of(&v5b)
        )
    );
    let staging = Spec {
        env: "staging",
        ..BASE
    };
    let e = verify(&envelope(&staging), &policy()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot is for environment `staging`, but this consumer serves `production`"
    );
}

#[test]
fn audits_ignore_the_clock_but_not_the_order() {
    let old = Spec {
        issued: "2025-01-01T00:00:00Z",
        expires: Some("2025-01-02T00:00:00Z"),
        ..BASE
    };
    let fresh = Holding {
        served: Some(served(&Spec { version: 4, ..BASE })),
        mark: None,
    };
    assert_eq!(
        accept(&envelope(&old), &policy(), &fresh)
            .unwrap_err()
            .code(),
        "EXPIRED"
    );
    assert!(accept(&envelope(&old), &policy().audit(), &fresh).is_ok());
    let no_expiry = Spec {
        expires: None,
        ..BASE
    };
    assert!(verify(&envelope(&no_expiry), &policy().audit()).is_ok());
    let v3 = Spec { version: 3, ..old };
    assert_eq!(
        accept(&envelope(&v3), &policy().audit(), &fresh)
            .unwrap_err()
            .code(),
        "VERSION_TOO_OLD"
    );
}

#[test]
fn marks_only_move_up() {
    let m = |version, digest: &str| Mark {
        version,
        digest: digest.into(),
    };
    assert_eq!(Mark::merge(None, &m(1, "a")), MarkMerge::Raised);
    assert_eq!(Mark::merge(Some(&m(1, "a")), &m(2, "b")), MarkMerge::Raised);
    assert_eq!(Mark::merge(Some(&m(2, "b")), &m(1, "a")), MarkMerge::Kept);
    assert_eq!(Mark::merge(Some(&m(2, "b")), &m(2, "b")), MarkMerge::Kept);
    assert_eq!(
        Mark::merge(Some(&m(2, "b")), &m(2, "c")),
        MarkMerge::Conflict
    );
}

#[test]
fn every_code_is_listed_once() {
    let s = String::new;
    let all = [
        SnapshotError::TooLarge { size: 0, limit: 0 },
        SnapshotError::Malformed { why: s() },
        SnapshotError::TooDeep { limit: 0 },
        SnapshotError::TooManyValues { limit: 0, part: "" },
        SnapshotError::DuplicateKey { key: s() },
        SnapshotError::WrongPayloadType { found: s() },
        SnapshotError::TooManySignatures { found: 0, limit: 0 },
        SnapshotError::UnknownKey { keyids: vec![] },
        SnapshotError::BadSignature { keyid: s() },
        SnapshotError::BelowThreshold {
            valid: 0,
            threshold: 0,
        },
        SnapshotError::Expired {
            expires_at: s(),
            now: s(),
        },
        SnapshotError::NoExpiry,
        SnapshotError::IssuedInFuture {
            issued_at: s(),
            now: s(),
            skew_seconds: 0,
        },
        SnapshotError::VersionTooOld {
            version: 0,
            min: 0,
            why: "",
        },
        SnapshotError::VersionReused {
            version: 0,
            held: "",
            held_digest: s(),
            digest: s(),
        },
        SnapshotError::WrongEnvironment {
            found: s(),
            expected: s(),
        },
        SnapshotError::UnsupportedSchema {
            found: 0,
            supported: 0,
        },
        SnapshotError::Invalid(crate::ReleaseError::UnsupportedSchema {
            found: 0,
            supported: 0,
        }),
        SnapshotError::Unsatisfiable {
            threshold: 0,
            trusted: 0,
        },
        SnapshotError::AlreadySigned { keyid: s() },
    ];
    let codes: Vec<&str> = all.iter().map(SnapshotError::code).collect();
    assert_eq!(codes, SnapshotError::CODES);
}
