//! Signed snapshots for the unit tests, made with the core like `edgeflag build`.

use edgeflag::{Audience, Payload, ReleaseFile, SNAPSHOT_SCHEMA, SigningKey, Timestamp};

use crate::config::{Config, Raw};

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_secret_bytes([seed; 32])
}

pub fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// A small release: a rule, a staged rollout, and a kill switch marked `stale = "safe"`.
pub const RELEASE: &str = r#"{
  "schema": 1,
  "release": { "name": "unit" },
  "flags": {
    "new-checkout": {
      "type": "boolean",
      "owner": "payments-team",
      "runbook": "https://runbooks.example/new-checkout",
      "rules": [{ "name": "beta testers", "match": [{ "attr": "beta", "op": "eq", "values": [true] }], "serve": "on" }],
      "rollout": { "variant": "on", "stages": [{ "at": "2026-12-01T00:00:00Z", "percent": 50 }] }
    },
    "payments-kill-switch": {
      "type": "boolean", "default": "on", "stale": "safe",
      "rollback": { "variant": "off", "steps": ["disable payments"] }
    }
  }
}"#;

/// The envelope of `RELEASE` for `production`, version `version`.
pub fn envelope(signer: &SigningKey, version: u64, expires_at: Option<&str>) -> Vec<u8> {
    envelope_for(Audience::Server, signer, version, expires_at)
}

/// The same for `audience`: a browser snapshot holds `new-checkout` only.
pub fn envelope_for(
    audience: Audience,
    signer: &SigningKey,
    version: u64,
    expires_at: Option<&str>,
) -> Vec<u8> {
    let release = ReleaseFile::from_json(&RELEASE.replacen(
        r#""type": "boolean","#,
        r#""type": "boolean", "clients": ["server", "browser"],"#,
        1,
    ))
    .unwrap();
    let mut definitions = release.for_environment("production").unwrap();
    if audience == Audience::Browser {
        definitions = definitions
            .for_browser(&edgeflag::browser_salt("unit"), None)
            .unwrap();
    }
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: "2026-11-01T00:00:00Z".into(),
        expires_at: expires_at.map(str::to_owned),
        previous: None,
        forced: false,
        never_expires: expires_at.is_none(),
        audience,
        candidate: None,
        promotion: None,
        definitions,
    };
    edgeflag::sign(&payload, &[signer])
        .unwrap()
        .envelope
        .into_bytes()
}

/// A config trusting `key(1)`, with a 30 s refresh.
pub fn config() -> Config {
    let pem = key(1).public().to_spki_pem().unwrap();
    Config::read(|name| match name {
        "SNAPSHOT_KEY" => Raw::Text("snapshot:production".into()),
        "BROWSER_SNAPSHOT_KEY" => Raw::Text("snapshot:production:browser".into()),
        "ENVIRONMENT" => Raw::Text("production".into()),
        "TRUSTED_KEYS" => Raw::Text(pem.clone()),
        _ => Raw::Missing,
    })
    .unwrap()
}

/// The guarded fixture release (tests/guards/release.toml), edited by
/// `edit`, signed as `version` by `key(1)`.
pub fn guarded_envelope(version: u64, edit: impl Fn(String) -> String) -> Vec<u8> {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/guards/release.toml"
    ))
    .unwrap();
    let definitions = ReleaseFile::from_toml(&edit(src))
        .unwrap()
        .for_environment("production")
        .unwrap();
    let payload = Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: "2026-11-01T00:00:00Z".into(),
        expires_at: None,
        previous: None,
        forced: false,
        never_expires: true,
        audience: Audience::Server,
        candidate: None,
        promotion: None,
        definitions,
    };
    edgeflag::sign(&payload, &[&key(1)])
        .unwrap()
        .envelope
        .into_bytes()
}
