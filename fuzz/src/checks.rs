//! What each fuzz target checks, as plain functions of the input bytes: the
//! libFuzzer targets (fuzz_targets/) call them, and `tests/fuzz_corpus.rs`
//! replays the seed corpus and every crash ever found through them on
//! stable Rust, without fuzzing. A check panics only when an invariant
//! breaks; the core itself must never panic, whatever the bytes.

use std::sync::OnceLock;

use edgeflag::{
    Audience, Context, Payload, Policy, Reason, ReleaseFile, SNAPSHOT_SCHEMA, SigningKey, Snapshot,
    Timestamp,
};
use serde_json::Value;

const SEASON0: &str = include_str!("../../examples/season0.toml");

/// The key every snapshot target trusts.
fn key() -> SigningKey {
    SigningKey::from_secret_bytes([7; 32])
}

fn policy() -> Policy {
    let now = Timestamp::parse("2026-12-03T00:00:00Z").unwrap_or(Timestamp::MIN);
    Policy::new(vec![key().public()], now)
}

fn season0() -> &'static ReleaseFile {
    static R: OnceLock<ReleaseFile> = OnceLock::new();
    R.get_or_init(|| ReleaseFile::from_toml(SEASON0).expect("season0 reads"))
}

/// season0 in production and the reference workload's 200 flags.
fn snapshots() -> &'static [Snapshot] {
    static S: OnceLock<Vec<Snapshot>> = OnceLock::new();
    S.get_or_init(|| {
        let workload = ReleaseFile::from_json(&crate::workload::release().to_string())
            .expect("the workload reads");
        vec![
            season0().compile("production").expect("season0 compiles"),
            workload
                .compile("production")
                .expect("the workload compiles"),
        ]
    })
}

/// The signed production payload of season0, as text, for mutation.
fn season0_payload() -> &'static str {
    static P: OnceLock<String> = OnceLock::new();
    P.get_or_init(|| {
        let payload = Payload {
            schema: SNAPSHOT_SCHEMA,
            version: 3,
            issued_at: "2026-12-01T00:00:00Z".into(),
            expires_at: Some("2026-12-31T00:00:00Z".into()),
            previous: None,
            forced: false,
            never_expires: false,
            audience: Audience::Server,
            candidate: None,
            promotion: None,
            definitions: season0().for_environment("production").expect("production"),
        };
        serde_json::to_string(&payload).expect("the payload writes")
    })
}

/// Arbitrary envelope bytes against a fixed trusted key: a verdict, never a panic.
pub fn verify(data: &[u8]) {
    if let Ok(v) = edgeflag::verify(data, &policy()) {
        evaluate_all(&v.snapshot, &Context::with_key("fuzz"), Timestamp::MIN);
    }
}

/// season0's payload with bytes of the input written over it (pairs of a
/// position and a byte), then validly signed: only the checks after the
/// signature (decoding, compiling) can refuse it.
pub fn verify_signed(data: &[u8]) {
    let mut text = season0_payload().as_bytes().to_vec();
    for pair in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([pair[0], pair[1]])) % text.len();
        text[at] = pair[2];
    }
    let Ok(text) = String::from_utf8(text) else {
        return;
    };
    let Ok(payload) = serde_json::from_str::<Value>(&text) else {
        return;
    };
    let envelope = resign(&payload);
    if let Ok(v) = edgeflag::verify(envelope.as_bytes(), &policy()) {
        evaluate_all(&v.snapshot, &Context::with_key("fuzz"), Timestamp::MIN);
    }
}

/// Any JSON payload, signed by the trusted key exactly as DSSE signs: the
/// core signs only typed payloads, and these need not decode.
fn resign(payload: &Value) -> String {
    use base64::Engine as _;
    use ed25519_dalek::Signer as _;
    let bytes = payload.to_string().into_bytes();
    let signer = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let sig = signer.sign(&edgeflag::pae(edgeflag::PAYLOAD_TYPE, &bytes));
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::json!({
        "payload": b64.encode(&bytes),
        "payloadType": edgeflag::PAYLOAD_TYPE,
        "signatures": [{ "keyid": key().public().key_id(), "sig": b64.encode(sig.to_bytes()) }],
    })
    .to_string()
}

/// Arbitrary text as a release file: read, then compiled for every
/// environment it declares (and production), then evaluated.
pub fn release(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(release) = ReleaseFile::from_toml(text) else {
        return;
    };
    let mut envs = vec!["production".to_owned()];
    envs.extend(release.release.environments.clone().unwrap_or_default());
    for env in envs {
        if let Ok(snap) = release.compile(&env) {
            let at = Timestamp::parse("2026-12-02T12:00:00Z").unwrap_or(Timestamp::MIN);
            evaluate_all(&snap, &Context::with_key("fuzz"), at);
            let _ = release
                .for_environment(&env)
                .and_then(|d| d.for_browser("fuzz", Some(at)));
        }
    }
}

/// Arbitrary JSON as an evaluation context.
pub fn context(data: &[u8]) {
    if let Ok(ctx) = Context::parse_json(data) {
        for snap in snapshots() {
            evaluate_all(snap, &ctx, Timestamp::MIN);
        }
    }
}

/// A context and two times from the input, against season0 and the
/// workload, holding the invariants of every result.
pub fn eval(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let (times, rest) = data.split_at(4);
    let Ok(ctx) = Context::parse_json(rest) else {
        return;
    };
    let base = Timestamp::parse("2026-11-15T00:00:00Z").unwrap_or(Timestamp::MIN);
    // Two moments up to ~45 days after the base, in minutes, t1 <= t2.
    let a = i64::from(u16::from_le_bytes([times[0], times[1]]));
    let b = i64::from(u16::from_le_bytes([times[2], times[3]]));
    let (t1, t2) = (
        base.add_millis(a.min(b) * 60_000),
        base.add_millis(a.max(b) * 60_000),
    );
    for snap in snapshots() {
        for key in snap.flag_keys() {
            let def = snap.flag(key).expect("listed flags exist");
            let first = snap.evaluate(key, &ctx, t1);
            let again = snap.evaluate(key, &ctx, t1);
            assert_eq!(
                first.fields(),
                again.fields(),
                "{key}: evaluating twice differs"
            );
            let variants: Vec<&str> = match &def.variants {
                Some(v) => v.keys().map(String::as_str).collect(),
                None => vec!["on", "off"],
            };
            if let Some(v) = first.variant {
                assert!(
                    variants.contains(&v),
                    "{key}: variant {v} is not one of the flag's"
                );
            }
            assert_eq!(
                first.error.is_some(),
                first.reason == Reason::Error,
                "{key}: reason {:?} with error {:?}",
                first.reason,
                first.error
            );
            assert_eq!(
                first.variant.is_none(),
                first.reason == Reason::Error,
                "{key}"
            );
            // Inside a rollout (a variant other than the default, by the
            // bucket): a later stage keeps the user there, as long as the
            // same step still decides.
            let default = def.default.as_deref().unwrap_or("off");
            let later = snap.evaluate(key, &ctx, t2);
            if first.reason == Reason::Split
                && first.variant != Some(default)
                && later.reason == Reason::Split
                && later.rule == first.rule
            {
                assert_eq!(
                    later.variant, first.variant,
                    "{key}: a later stage removed a user"
                );
            }
        }
    }
}

/// The hand JSON reader against serde_json: the same verdict and value,
/// except for what only the hand reader refuses on purpose (duplicate keys,
/// nesting past its limit).
pub fn json(data: &[u8]) {
    let ours = edgeflag::parse_json(data, edgeflag::DEFAULT_MAX_DEPTH);
    let theirs = serde_json::from_slice::<Value>(data);
    match (ours, theirs) {
        (Ok(a), Ok(b)) => assert_eq!(Value::from(a), b, "the readers disagree on the value"),
        (Ok(a), Err(e)) => panic!(
            "only the hand reader accepts it ({e}): {:?}",
            Value::from(a)
        ),
        (Err(e), Ok(_)) => assert!(
            matches!(
                e,
                edgeflag::JsonError::DuplicateKey { .. } | edgeflag::JsonError::TooDeep { .. }
            ),
            "only serde_json accepts it: {e}"
        ),
        (Err(_), Err(_)) => {}
    }
}

fn evaluate_all(snap: &Snapshot, ctx: &Context, at: Timestamp) {
    for key in snap.flag_keys() {
        let _ = snap.evaluate(key, ctx, at);
    }
    let _ = snap.evaluate("no-such-flag", ctx, at);
}
