use super::*;
use crate::testkit::{at, config, envelope, envelope_for, key};

fn accepted(o: Outcome) -> Rc<Loaded> {
    match o {
        Outcome::Accepted(l) => l,
        other => panic!("expected a load, got {other:?}"),
    }
}

fn rejected(o: Outcome) -> Rejection {
    match o {
        Outcome::Rejected(r) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn check(l: &mut Loader, bytes: Vec<u8>, now: Timestamp) -> Outcome {
    l.begin(now);
    l.offer(Ok(Some(bytes)), &config(), now)
}

const NOW: &str = "2026-11-27T00:00:00Z";

#[test]
fn cold_then_refresh_schedule() {
    let cfg = config();
    let now = at(NOW);
    let mut l = Loader::default();
    assert_eq!(l.due(now, cfg.refresh_ms), Due::Now);
    l.begin(now);
    // A concurrent cold request reads too rather than wait.
    assert_eq!(l.due(now, cfg.refresh_ms), Due::Now);
    let loaded = accepted(l.offer(Ok(Some(envelope(&key(1), 3, None))), &cfg, now));
    assert_eq!(
        (loaded.version, loaded.environment(), loaded.release()),
        (3, "production", "unit")
    );
    assert_eq!(l.due(now.add_millis(29_999), cfg.refresh_ms), Due::No);
    assert_eq!(
        l.due(now.add_millis(30_000), cfg.refresh_ms),
        Due::Background
    );
    l.begin(now.add_millis(30_000));
    assert_eq!(
        l.due(now.add_millis(35_000), 1_000),
        Due::No,
        "one refresh at a time"
    );
}

#[test]
fn failed_cold_check_waits_for_the_interval() {
    let cfg = config();
    let now = at(NOW);
    let mut l = Loader::default();
    l.begin(now);
    let r = rejected(l.offer(Ok(None), &cfg, now));
    assert_eq!(r.code, "MISSING");
    assert_eq!(r.message, "kv holds no value under `snapshot:production`");
    assert_eq!(l.due(now.add_millis(1000), cfg.refresh_ms), Due::No);
    assert_eq!(l.due(now.add_millis(30_000), cfg.refresh_ms), Due::Now);
    l.begin(now);
    let r = rejected(l.offer(Err("network".into()), &cfg, now));
    assert_eq!(
        (r.code, r.message.as_str()),
        (
            "KV_ERROR",
            "reading `snapshot:production` from kv failed: network"
        )
    );
}

#[test]
fn hostile_values_keep_the_last_good_snapshot() {
    let now = at(NOW);
    let mut l = Loader::default();
    accepted(check(&mut l, envelope(&key(1), 5, None), now));
    let mut tampered = String::from_utf8(envelope(&key(1), 6, None)).unwrap();
    let sig_at = tampered.find("\"sig\": \"").unwrap() + 8;
    let flipped = if &tampered[sig_at..sig_at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(sig_at..sig_at + 1, flipped);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (tampered.into_bytes(), "BAD_SIGNATURE"),
        (envelope(&key(2), 7, None), "UNKNOWN_KEY"),
        (envelope(&key(1), 4, None), "VERSION_TOO_OLD"),
        (
            envelope(&key(1), 8, Some("2026-11-20T00:00:00Z")),
            "EXPIRED",
        ),
        (b"not json".to_vec(), "MALFORMED"),
    ];
    for (bytes, code) in cases {
        let r = rejected(check(&mut l, bytes.clone(), now));
        assert_eq!(r.code, code, "{}", r.message);
        assert_eq!(l.current().unwrap().version, 5);
        assert!(!l.in_sync());
        // Verdicts that do not depend on the clock are reached once; an
        // expiry is judged again (it stops mattering once ours expires).
        let again = check(&mut l, bytes, now);
        if edgeflag::SnapshotError::may_change(code) {
            assert_eq!(rejected(again).code, code);
        } else {
            assert!(matches!(again, Outcome::Unchanged), "{code}: verified once");
        }
    }
    assert_eq!(l.rejections, 6);
    assert_eq!(
        l.last_rejection().unwrap().message,
        "malformed snapshot: not a dsse envelope: expected a value at line 1 column 1"
    );
    // The served bytes again: in sync, nothing verified.
    assert!(matches!(
        check(&mut l, envelope(&key(1), 5, None), now),
        Outcome::Unchanged
    ));
    assert!(l.in_sync());
    assert_eq!(
        accepted(check(&mut l, envelope(&key(1), 9, None), now)).version,
        9
    );
}

#[test]
fn versions_never_go_back_and_are_never_reused() {
    let now = at(NOW);
    let mut l = Loader::default();
    accepted(check(&mut l, envelope(&key(1), 5, None), now));
    let r = rejected(check(&mut l, envelope(&key(1), 4, None), now));
    assert_eq!(
        r.message,
        "snapshot version 4 is below the minimum 5 (the high-water mark of this environment)"
    );
    let other = envelope(&key(1), 5, Some("2027-01-01T00:00:00Z"));
    let r = rejected(check(&mut l, other, now));
    assert_eq!(r.code, "VERSION_REUSED");
    assert!(
        r.message.starts_with(
            "snapshot version 5 is already recorded as the high-water mark with payload sha256:"
        ),
        "{}",
        r.message
    );
}

#[test]
fn min_snapshot_version_applies_from_the_start() {
    let mut cfg = config();
    cfg.min_version = 10;
    let now = at(NOW);
    let mut l = Loader::default();
    l.begin(now);
    let r = rejected(l.offer(Ok(Some(envelope(&key(1), 9, None))), &cfg, now));
    assert_eq!(
        r.message,
        "snapshot version 9 is below the minimum 10 (the configured minimum)"
    );
    assert!(l.current().is_none());
}

#[test]
fn expired_snapshots_load_only_when_nothing_fresher_is_served() {
    let now = at(NOW);
    // A cold isolate whose only snapshot has expired serves it (stale policy).
    let mut l = Loader::default();
    let stale = accepted(check(
        &mut l,
        envelope(&key(1), 3, Some("2026-11-20T00:00:00Z")),
        now,
    ));
    assert!(stale.snapshot.is_stale(now));
    // A newer expired one replaces an expired one.
    accepted(check(
        &mut l,
        envelope(&key(1), 4, Some("2026-11-21T00:00:00Z")),
        now,
    ));
    // A fresh isolate refuses it, then takes it once its own snapshot expired.
    let mut l = Loader::default();
    accepted(check(
        &mut l,
        envelope(&key(1), 3, Some("2026-11-28T00:00:00Z")),
        now,
    ));
    let newer_expired = envelope(&key(1), 4, Some("2026-11-26T00:00:00Z"));
    assert_eq!(
        rejected(check(&mut l, newer_expired.clone(), now)).code,
        "EXPIRED"
    );
    let later = at("2026-11-29T00:00:00Z");
    assert_eq!(accepted(check(&mut l, newer_expired, later)).version, 4);
}

#[test]
fn environment_pins_which_snapshots_are_accepted() {
    let now = at(NOW);
    let mut staging_only = config();
    staging_only.environment = "staging".into();
    let mut l = Loader::default();
    l.begin(now);
    let r = rejected(l.offer(Ok(Some(envelope(&key(1), 3, None))), &staging_only, now));
    assert_eq!(r.code, "WRONG_ENVIRONMENT");
    assert_eq!(
        r.message,
        "snapshot is for environment `production`, but this consumer serves `staging`"
    );
    let mut l = Loader::default();
    l.begin(now);
    accepted(l.offer(Ok(Some(envelope(&key(1), 3, None))), &config(), now));
}

#[test]
fn a_cold_isolate_refuses_what_is_below_the_durable_mark() {
    let now = at(NOW);
    let mut warm = Loader::default();
    let v5 = accepted(check(&mut warm, envelope(&key(1), 5, None), now));
    let mark = warm.mark().cloned().unwrap();
    assert_eq!(
        (mark.version, mark.digest.as_str()),
        (5, v5.digest.as_str())
    );
    // A new isolate: the store's mark first, then an old snapshot from KV.
    let mut cold = Loader::default();
    cold.note_mark(Ok(Some(mark.clone())));
    let r = rejected(check(&mut cold, envelope(&key(1), 4, None), now));
    assert_eq!(r.code, "VERSION_TOO_OLD");
    assert!(cold.current().is_none());
    // The last good envelope the store kept is judged the same way, and serves.
    assert_eq!(
        accepted(cold.offer_kept(envelope(&key(1), 5, None), &config(), now)).version,
        5
    );
    assert!(!cold.in_sync(), "kv still holds the refused value");
    // An older mark from the store never lowers the cached one.
    cold.note_mark(Ok(Some(edgeflag::Mark {
        version: 2,
        digest: "sha256:00".into(),
    })));
    assert_eq!(cold.mark().map(|m| m.version), Some(5));
    // Unreachable: the isolate says so and keeps its floor.
    cold.note_mark(Err("no durable object bound".into()));
    assert_eq!(
        cold.mark_store(),
        &MarkStore::Unreachable("no durable object bound".into())
    );
    assert_eq!(
        rejected(check(&mut cold, envelope(&key(1), 3, None), now)).code,
        "VERSION_TOO_OLD"
    );
}

#[test]
fn an_abandoned_check_cannot_stop_refreshing() {
    let cfg = config();
    let now = at(NOW);
    let mut l = Loader::default();
    accepted(check(&mut l, envelope(&key(1), 5, None), now));
    let later = now.add_millis(cfg.refresh_ms);
    l.begin(later);
    // Its request was cancelled: `offer` never comes.
    assert_eq!(l.due(later.add_millis(1_000), cfg.refresh_ms), Due::No);
    assert_eq!(l.stuck_since(later.add_millis(1_000)), None);
    let stuck = later.add_millis(CHECK_TIMEOUT_MS);
    assert_eq!(l.stuck_since(stuck), Some(later));
    // The next interval starts a new check despite the abandoned one.
    assert_eq!(l.due(stuck, 1_000), Due::Background);
}

/// Each loader takes only its own audience's snapshots, whatever KV key
/// they were written under, and keeps serving what it had.
#[test]
fn browser_and_edge_snapshots_never_cross() {
    let cfg = config();
    let now = at(NOW);
    let exp = Some("2026-12-10T00:00:00Z");
    let browser = envelope_for(Audience::Browser, &key(1), 3, exp);
    let edge = envelope(&key(1), 3, exp);

    let mut b = Loader::new(Audience::Browser);
    assert_eq!(b.key(&cfg), "snapshot:production:browser");
    let r = rejected(check(&mut b, edge.clone(), now));
    assert_eq!(
        (r.code, r.message.as_str()),
        (
            "WRONG_AUDIENCE",
            "snapshot is for `server` clients, but this consumer serves `browser` clients"
        )
    );
    let loaded = accepted(check(&mut b, browser.clone(), now));
    let keys: Vec<&str> = loaded.snapshot.flag_keys().collect();
    assert_eq!(keys, ["new-checkout"]);
    assert!(
        loaded
            .snapshot
            .flag("new-checkout")
            .unwrap()
            .owner
            .is_none()
    );
    // An edge snapshot written under the browser key later changes nothing.
    let r = rejected(check(&mut b, envelope(&key(1), 4, exp), now));
    assert_eq!(r.code, "WRONG_AUDIENCE");
    assert_eq!(b.current().unwrap().version, 3);

    let mut e = Loader::new(Audience::Server);
    assert_eq!(e.key(&cfg), "snapshot:production");
    let r = rejected(check(&mut e, browser, now));
    assert_eq!(
        r.message,
        "snapshot is for `browser` clients, but this consumer serves `server` clients"
    );
    assert!(e.current().is_none());
    accepted(check(&mut e, edge, now));
}
