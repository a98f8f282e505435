//! Signed snapshots: what verifies, and every hostile snapshot rejected with its own error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use edgeflag::{
    Context, Holding, Payload, Policy, PublicKey, Reason, SNAPSHOT_SCHEMA, SigningKey, Timestamp,
    accept, digest, sign, verify,
};

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
        audience: Default::default(),
        candidate: None,
        promotion: None,
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

/// Each hostile snapshot of `tests/hostile/envelopes.json`, and the exact
/// error it must get (the wasm tests replay the same list).
#[test]
fn hostile_snapshots_are_each_rejected_with_their_own_error() {
    let season0 = common::season0();
    let production = season0.for_environment("production").unwrap();
    let staging = season0.for_environment("staging").unwrap();
    let (base, cases) = hostile::cases(&production, &staging);
    assert!(cases.len() >= 29, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let j = &case.judge;
        let now = common::at(&j.now);
        let mut policy = Policy::new(
            j.trusted
                .iter()
                .map(|n| hostile::key(*n).public())
                .collect(),
            now,
        );
        if let Some(t) = j.threshold {
            policy.threshold = t;
        }
        if let Some(v) = j.min_version {
            policy.min_version = v;
        }
        if let Some(m) = j.max_size {
            policy.max_size = m;
        }
        if let Some(env) = &j.environment {
            policy = policy.for_environment(env);
        }
        if let Some(a) = &j.audience {
            policy = policy.for_audience(edgeflag::Audience::from_name(a).unwrap());
        }
        let base_v = verify(
            &base.envelope,
            &Policy::new(vec![hostile::key(1).public()], now),
        )
        .unwrap();
        let holding = match j.held {
            hostile::Held::Nothing => Holding::default(),
            hostile::Held::Base => Holding {
                served: Some(base_v.served()),
                mark: Some(base_v.mark()),
            },
            hostile::Held::Mark => Holding {
                served: None,
                mark: Some(base_v.mark()),
            },
        };
        match accept(&case.envelope, &policy, &holding) {
            Ok(_) => failures.push(format!("{}: accepted", case.name)),
            Err(e) => failures.extend(case.mismatch(e.code(), &e.to_string())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And the base still verifies: the matrix did not break the key.
    let now = common::at("2026-12-02T18:00:00Z");
    assert!(
        verify(
            &base.envelope,
            &Policy::new(vec![hostile::key(1).public()], now)
        )
        .is_ok()
    );
}
