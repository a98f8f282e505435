//! Signed snapshots: what verifies, and every hostile snapshot rejected with its own error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use edgeflag::{
    Context, Holding, Payload, Policy, PublicKey, Reason, SNAPSHOT_SCHEMA, SigningKey,
    SnapshotError, Timestamp, accept, digest, sign, verify,
};
use serde_json::{Value, json};

fn key(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes([n; 32])
}

fn payload(version: u64, expires_at: Option<&str>) -> Payload {
    Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: "2026-12-01T12:00:00Z".into(),
        expires_at: expires_at.map(Into::into),
        previous: None,
        forced: false,
        // `None` here is a snapshot built with `--expires-in never --force`.
        never_expires: expires_at.is_none(),
        definitions: common::season0().for_environment("production").unwrap(),
    }
}

fn now() -> Timestamp {
    common::at("2026-12-02T18:00:00Z")
}

fn opts(keys: &[&SigningKey]) -> Policy {
    Policy::new(keys.iter().map(|k| k.public()).collect(), now())
}

fn signed(p: &Payload, keys: &[&SigningKey]) -> Vec<u8> {
    sign(p, keys).unwrap().envelope.into_bytes()
}

/// Rewrites the envelope's JSON.
fn edit_envelope(bytes: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

/// Signs arbitrary payload bytes with key `n`: hostile content that is still
/// validly signed, so only the checks after the signature can catch it.
fn resigned_raw(payload: &[u8], n: u8) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let raw = ed25519_dalek::SigningKey::from_bytes(&[n; 32]);
    let sig = raw.sign(&edgeflag::pae(edgeflag::PAYLOAD_TYPE, payload));
    serde_json::to_vec(&json!({
        "payload": B64.encode(payload),
        "payloadType": edgeflag::PAYLOAD_TYPE,
        "signatures": [{ "keyid": key(n).public().key_id(), "sig": B64.encode(sig.to_bytes()) }],
    }))
    .unwrap()
}

#[test]
fn a_signed_snapshot_verifies_and_evaluates() {
    let k = key(1);
    let p = payload(7, Some("2026-12-09T00:00:00Z"));
    let bytes = signed(&p, &[&k]);
    let v = verify(&bytes, &opts(&[&k])).unwrap();
    assert_eq!(v.version, 7);
    assert_eq!(v.signed_by, vec![k.public().key_id()]);
    assert_eq!(v.snapshot.environment(), "production");
    assert_eq!(v.digest, digest(&serde_json::to_vec(&p).unwrap()));
    assert!(v.digest.starts_with("sha256:") && v.digest.len() == 71);
    let ctx = Context::with_key("qa-bot-1");
    let r = v.snapshot.evaluate("ranked-matchmaking", &ctx, now());
    assert_eq!((r.variant, r.reason), (Some("on"), Reason::TargetingMatch));
}

#[test]
fn m_of_n_signatures() {
    let (a, b, c) = (key(1), key(2), key(3));
    let bytes = signed(&payload(1, None), &[&a, &b]);
    let mut o = opts(&[&a, &b, &c]);
    o.threshold = 2;
    assert_eq!(verify(&bytes, &o).unwrap().signed_by.len(), 2);
    o.threshold = 3;
    let err = verify(&bytes, &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 valid signature(s) from trusted keys, 3 required"
    );
    assert_eq!(err.code(), "BELOW_THRESHOLD");
    // The same key twice counts once.
    let twice = signed(&payload(1, None), &[&a, &a]);
    o.threshold = 2;
    assert_eq!(verify(&twice, &o).unwrap_err().code(), "BELOW_THRESHOLD");
    o.threshold = 4;
    assert_eq!(
        verify(&bytes, &o).unwrap_err().to_string(),
        "threshold 4 cannot be met by 3 trusted key(s)"
    );
}

#[test]
fn an_expired_snapshot_is_accepted_only_when_nothing_fresh_is_served() {
    let k = key(1);
    let bytes = signed(&payload(1, Some("2026-12-02T17:00:00Z")), &[&k]);
    let o = opts(&[&k]);
    // Cold: it is the best there is, served under the stale policy.
    let v = verify(&bytes, &o).unwrap();
    assert!(v.is_expired(now()));
    let fresh = verify(
        &signed(&payload(0, Some("2026-12-09T00:00:00Z")), &[&k]),
        &o,
    )
    .unwrap();
    let holding = Holding {
        served: Some(fresh.served()),
        mark: None,
    };
    assert_eq!(accept(&bytes, &o, &holding).unwrap_err().code(), "EXPIRED");
    // Within the allowed skew it is still fresh.
    let mut o = opts(&[&k]);
    o.now = common::at("2026-12-02T17:00:30Z");
    assert!(verify(&bytes, &o).is_ok());
}

#[test]
fn keys_round_trip_through_pem_and_ids_are_spki_digests() {
    let k = key(9);
    let pem = k.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(back.public(), k.public());
    let pub_pem = k.public().to_spki_pem().unwrap();
    assert_eq!(PublicKey::from_spki_pem(&pub_pem).unwrap(), k.public());
    let two = format!("{pub_pem}{}", key(8).public().to_spki_pem().unwrap());
    assert_eq!(PublicKey::all_from_pem(&two).unwrap().len(), 2);
    let err = PublicKey::from_spki_pem("nonsense")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("not an ed25519 public key in spki pem"),
        "{err}"
    );
    assert!(SigningKey::from_pkcs8_pem(&pub_pem).is_err());
}

#[test]
fn openssl_keys_sign_and_verify() {
    let dir = std::env::temp_dir().join(format!("edgeflag-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (priv_path, pub_path) = (dir.join("k.pem"), dir.join("k.pub.pem"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        priv_path.to_str().unwrap(),
    ]);
    run(&[
        "pkey",
        "-in",
        priv_path.to_str().unwrap(),
        "-pubout",
        "-out",
        pub_path.to_str().unwrap(),
    ]);
    let der = run(&[
        "pkey",
        "-in",
        priv_path.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
    ]);
    let k = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&priv_path).unwrap()).unwrap();
    let public = PublicKey::from_spki_pem(&std::fs::read_to_string(&pub_path).unwrap()).unwrap();
    assert_eq!(k.public(), public);
    // The documented key id: sha256 of the SPKI DER.
    use sha2::Digest;
    let id: String = sha2::Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(public.key_id(), id);
    let bytes = signed(&payload(1, None), &[&k]);
    assert!(verify(&bytes, &Policy::new(vec![public], now())).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each hostile snapshot, and the exact error it must get.
#[test]
fn hostile_snapshots_are_each_rejected_with_their_own_error() {
    let k = key(1);
    let stranger = key(2);
    let good = signed(&payload(5, Some("2026-12-09T00:00:00Z")), &[&k]);
    let good_json: Value = serde_json::from_slice(&good).unwrap();
    let payload_b64 = good_json["payload"].as_str().unwrap().to_owned();
    let raw_payload = B64.decode(&payload_b64).unwrap();
    let stranger_id = stranger.public().key_id();
    let kid = k.public().key_id();

    let mut flipped_payload = raw_payload.clone();
    let at = flipped_payload.len() / 2;
    flipped_payload[at] ^= 0x01;
    let flipped_payload = edit_envelope(&good, |v| {
        v["payload"] = json!(B64.encode(&flipped_payload))
    });
    let flipped_sig = edit_envelope(&good, |v| {
        let mut sig = B64
            .decode(v["signatures"][0]["sig"].as_str().unwrap())
            .unwrap();
        sig[10] ^= 0x80;
        v["signatures"][0]["sig"] = json!(B64.encode(sig));
    });
    let by_stranger = signed(&payload(5, None), &[&stranger]);
    let wrong_type = edit_envelope(&good, |v| v["payloadType"] = json!("application/json"));
    let expired = signed(&payload(6, Some("2026-12-02T12:00:00Z")), &[&k]);
    let older = signed(&payload(3, None), &[&k]);
    let truncated = good[..good.len() / 2].to_vec();
    let not_json = b"this is not json".to_vec();
    let huge = {
        let mut p = payload(5, None);
        p.definitions.release.description = Some("x".repeat(200_000));
        signed(&p, &[&k])
    };
    let deep = {
        let nested = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let text = String::from_utf8(raw_payload.clone()).unwrap();
        let text = text.replacen("{", &format!("{{\"deep\":{nested},"), 1);
        resigned_raw(text.as_bytes(), 1)
    };
    let duplicate = {
        let text = String::from_utf8(raw_payload.clone()).unwrap();
        let text = text.replacen("\"version\":5", "\"version\":5,\"version\":999", 1);
        resigned_raw(text.as_bytes(), 1)
    };
    // A second `payloadType` in the envelope itself: an attacker's hope that
    // the verifier and a consumer read different ones.
    let duplicate_in_envelope = {
        let text = String::from_utf8(good.clone()).unwrap();
        let text = text.replacen('{', "{\"payloadType\": \"application/json\",", 1);
        text.into_bytes()
    };
    let schema2 = {
        let text = String::from_utf8(raw_payload.clone()).unwrap();
        let text = text.replacen("\"schema\":1", "\"schema\":2", 1);
        resigned_raw(text.as_bytes(), 1)
    };
    let bad_definitions = {
        let text = String::from_utf8(raw_payload.clone()).unwrap();
        let text = text
            .replacen("\"serve\":\"on\"", "\"serve\":\"onn\"", 1)
            .replacen("\"version\":5", "\"version\":6", 1);
        resigned_raw(text.as_bytes(), 1)
    };
    let unsigned = edit_envelope(&good, |v| v["signatures"] = json!([]));
    let not_base64 = edit_envelope(&good, |v| v["payload"] = json!("%%%not base64%%%"));
    let extra_field = edit_envelope(&good, |v| v["extra"] = json!(1));

    let many_signatures = edit_envelope(&good, |v| {
        let one = v["signatures"][0].clone();
        v["signatures"] = json!(vec![one; 300]);
    });
    let many_values = edit_envelope(&good, |v| v["signatures"] = json!(vec![0; 20_000]));
    let no_expiry = {
        let mut p = payload(5, None);
        p.never_expires = false;
        signed(&p, &[&k])
    };
    let future = {
        let mut p = payload(6, Some("2026-12-09T00:00:00Z"));
        p.issued_at = "2026-12-03T00:00:00Z".into();
        signed(&p, &[&k])
    };
    let staging = {
        let mut p = payload(6, Some("2026-12-09T00:00:00Z"));
        p.definitions = common::season0().for_environment("staging").unwrap();
        signed(&p, &[&k])
    };
    let reused = {
        let mut p = payload(5, Some("2026-12-09T00:00:00Z"));
        p.definitions.release.description = Some("another payload".into());
        signed(&p, &[&k])
    };
    let good_v = verify(&good, &opts(&[&k])).unwrap();

    let mut tight = opts(&[&k]);
    tight.max_size = 100_000;
    let mut replay = opts(&[&k]);
    replay.min_version = 4;
    let production = opts(&[&k]).for_environment("production");

    let cases: Vec<(&str, Vec<u8>, Policy, &str, String)> = vec![
        ("flipped payload bit", flipped_payload, opts(&[&k]), "BAD_SIGNATURE",
            format!("the signature of key {kid} does not verify")),
        ("flipped signature bit", flipped_sig, opts(&[&k]), "BAD_SIGNATURE",
            format!("the signature of key {kid} does not verify")),
        ("unknown key", by_stranger, opts(&[&k]), "UNKNOWN_KEY",
            format!("no signature from a trusted key (signed by: {stranger_id})")),
        ("no signatures", unsigned, opts(&[&k]), "UNKNOWN_KEY",
            "no signature from a trusted key (signed by: nobody)".into()),
        ("wrong payload type", wrong_type, opts(&[&k]), "WRONG_PAYLOAD_TYPE",
            "payload type is `application/json`, not `application/vnd.edgeflag.snapshot+json`".into()),
        ("expired, a fresh one served", expired, opts(&[&k]), "EXPIRED",
            "snapshot expired at 2026-12-02T12:00:00Z (now 2026-12-02T18:00:00Z), and a fresh snapshot is being served".into()),
        ("older version replayed", older, replay, "VERSION_TOO_OLD",
            "snapshot version 3 is below the minimum 5 (the high-water mark of this environment)".into()),
        ("the same version with another payload", reused.clone(), opts(&[&k]), "VERSION_REUSED",
            format!("snapshot version 5 is already recorded as the high-water mark with payload {}; this one has {}: a changed payload needs a higher version",
                good_v.digest, verify(&reused, &opts(&[&k])).unwrap().digest)),
        ("hundreds of signatures", many_signatures, opts(&[&k]), "TOO_MANY_SIGNATURES",
            "the envelope carries 300 signatures; at most 5 are read (the trusted keys and 4 more)".into()),
        ("an envelope of thousands of values", many_values, opts(&[&k]), "TOO_MANY_VALUES",
            "snapshot json holds more than 16384 values (envelope)".into()),
        ("no expiry", no_expiry, opts(&[&k]), "NO_EXPIRY",
            "snapshot has no expiry: build it with --expires-in, or `--expires-in never --force` to record that it never expires".into()),
        ("issued in the future", future, opts(&[&k]), "ISSUED_IN_FUTURE",
            "snapshot was issued at 2026-12-03T00:00:00Z, after now (2026-12-02T18:00:00Z) plus 60 s of allowed clock skew".into()),
        ("a staging snapshot for production", staging, production, "WRONG_ENVIRONMENT",
            "snapshot is for environment `staging`, but this consumer serves `production`".into()),
        ("unknown schema", schema2, opts(&[&k]), "UNSUPPORTED_SCHEMA",
            "unsupported snapshot schema 2: this version reads schema 1".into()),
        ("deep nesting", deep, opts(&[&k]), "TOO_DEEP",
            "snapshot json nests deeper than 64 levels".into()),
        ("duplicate json keys", duplicate, opts(&[&k]), "DUPLICATE_KEY",
            "snapshot json repeats the key `version`".into()),
        ("duplicate envelope keys", duplicate_in_envelope, opts(&[&k]), "DUPLICATE_KEY",
            "snapshot json repeats the key `payloadType`".into()),
        ("over the size limit", huge.clone(), tight, "TOO_LARGE",
            format!("snapshot is {} bytes, over the 100000-byte limit", huge.len())),
        ("invalid definitions", bad_definitions, opts(&[&k]), "INVALID_DEFINITIONS",
            "snapshot definitions are invalid: flags.ranked-matchmaking.rules[0].serve: unknown variant `onn`; the flag has `on`, `off`".into()),
    ];
    let mut malformed = vec![
        ("truncated", truncated),
        ("not json", not_json),
        ("payload not base64", not_base64),
        ("unknown envelope field", extra_field),
    ];
    // What every case is judged against: version 5 (`good`), fresh, served.
    let holding = Holding {
        served: Some(good_v.served()),
        mark: Some(good_v.mark()),
    };
    for (name, bytes, o, code, message) in cases {
        let err = accept(&bytes, &o, &holding).expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err}");
        assert_eq!(err.to_string(), message, "{name}");
    }
    for (name, bytes) in malformed.drain(..) {
        let err = verify(&bytes, &opts(&[&k])).expect_err(name);
        assert!(
            matches!(err, SnapshotError::Malformed { .. }),
            "{name}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("malformed snapshot: "),
            "{name}: {err}"
        );
    }
    // And the good one still verifies: the matrix did not break the key.
    assert!(verify(&good, &opts(&[&k])).is_ok());
}
