//! The hostile envelopes of `tests/hostile/envelopes.json`, made into bytes:
//! one list of cases (how each envelope is made from the base snapshot, the
//! policy it is judged by, the exact error) for every runtime that replays
//! it. Natively `tests/snapshots.rs` judges them with `edgeflag::accept`; the
//! wasm tests load them through `EdgeFlags.fromSnapshot` in Node and Chromium.
//! Included by path from both test crates, so it uses only what both have.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use edgeflag::{Definitions, PAYLOAD_TYPE, Payload, SNAPSHOT_SCHEMA, SigningKey};
use serde_json::{Value, json};

const CASES: &str = include_str!("../hostile/envelopes.json");
const ISSUED_AT: &str = "2026-12-01T12:00:00Z";

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes([n; 32])
}

/// What the consumer holds when it judges a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// Nothing served, no durable mark.
    Nothing,
    /// The base snapshot served (fresh) and recorded as the mark.
    Base,
    /// Only the durable mark of the base (a cold consumer).
    Mark,
}

/// The policy a case is judged by.
#[derive(Clone, Debug)]
pub struct Judge {
    /// Trusted keys, by number (see [`key`]).
    pub trusted: Vec<u8>,
    pub threshold: Option<usize>,
    pub min_version: Option<u64>,
    pub max_size: Option<usize>,
    pub environment: Option<String>,
    pub audience: Option<String>,
    pub now: String,
    pub held: Held,
}

/// The error a case must get.
#[derive(Clone, Debug)]
pub enum Expect {
    Exact(String),
    StartsWith(String),
}

pub struct Case {
    pub name: String,
    pub envelope: Vec<u8>,
    pub judge: Judge,
    pub code: String,
    pub expect: Expect,
}

impl Case {
    /// What is wrong with getting `code` and `message`, if anything.
    pub fn mismatch(&self, code: &str, message: &str) -> Option<String> {
        let fits = match &self.expect {
            Expect::Exact(m) => message == m,
            Expect::StartsWith(m) => message.starts_with(m.as_str()),
        };
        (code != self.code || !fits).then(|| {
            format!(
                "{}: expected {} {:?}\n  got {code}: {message}",
                self.name, self.code, self.expect
            )
        })
    }
}

/// The base snapshot every case starts from, and what it is judged against.
pub struct Base {
    pub envelope: Vec<u8>,
    pub version: u64,
    pub digest: String,
    pub expires_at: String,
}

fn payload(defs: &Definitions, version: u64, expires_at: Option<&str>) -> Payload {
    Payload {
        schema: SNAPSHOT_SCHEMA,
        version,
        issued_at: ISSUED_AT.into(),
        expires_at: expires_at.map(Into::into),
        previous: None,
        forced: false,
        // No expiry is a snapshot built with `--expires-in never --force`.
        never_expires: expires_at.is_none(),
        audience: Default::default(),
        candidate: None,
        promotion: None,
        definitions: defs.clone(),
    }
}

fn signed(p: &Payload, n: u8) -> Vec<u8> {
    edgeflag::sign(p, &[&key(n)]).unwrap().envelope.into_bytes()
}

/// Arbitrary payload bytes validly signed by key `n`: hostile content that
/// only the checks after the signature can catch.
fn resigned(payload: &[u8], n: u8) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let sig =
        ed25519_dalek::SigningKey::from_bytes(&[n; 32]).sign(&edgeflag::pae(PAYLOAD_TYPE, payload));
    json!({
        "payload": B64.encode(payload),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{ "keyid": key(n).public().key_id(), "sig": B64.encode(sig.to_bytes()) }],
    })
    .to_string()
    .into_bytes()
}

fn payload_of(envelope: &[u8]) -> Vec<u8> {
    try_payload(envelope).unwrap()
}

fn try_payload(envelope: &[u8]) -> Option<Vec<u8>> {
    let v: Value = serde_json::from_slice(envelope).ok()?;
    B64.decode(v["payload"].as_str()?).ok()
}

fn replace_all(text: &str, pairs: &Value) -> String {
    let nested = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let mut out = text.to_owned();
    for pair in pairs.as_array().unwrap() {
        let from = pair[0].as_str().unwrap();
        let to = pair[1].as_str().unwrap().replace("{nest100}", &nested);
        assert!(out.contains(from), "`{from}` is not in the text");
        out = out.replacen(from, &to, 1);
    }
    out
}

/// Makes one case's envelope from its `make` description.
fn make(
    m: &Value,
    base: &Base,
    b: &Value,
    production: &Definitions,
    staging: &Definitions,
) -> Vec<u8> {
    let good = &base.envelope;
    let mut env: Value = serde_json::from_slice(good).unwrap();
    if let Some(s) = m.get("sign") {
        let defs = match s.get("environment").and_then(Value::as_str) {
            Some("staging") => staging,
            _ => production,
        };
        let version = s
            .get("version")
            .and_then(Value::as_u64)
            .unwrap_or(base.version);
        let expires = match s.get("expires_at") {
            Some(Value::Null) => None,
            Some(v) => Some(v.as_str().unwrap().to_owned()),
            None => Some(base.expires_at.clone()),
        };
        let mut p = payload(defs, version, expires.as_deref());
        if let Some(t) = s.get("issued_at") {
            p.issued_at = t.as_str().unwrap().into();
        }
        if let Some(d) = s.get("description") {
            p.definitions.release.description = Some(d.as_str().unwrap().into());
        }
        if let Some(n) = s.get("description_bytes") {
            p.definitions.release.description = Some("x".repeat(n.as_u64().unwrap() as usize));
        }
        if let Some(n) = s.get("never_expires") {
            p.never_expires = n.as_bool().unwrap();
        }
        if let Some(a) = s.get("audience").and_then(Value::as_str) {
            p.audience = edgeflag::Audience::from_name(a).unwrap();
            if p.audience == edgeflag::Audience::Browser {
                let salt = edgeflag::browser_salt("hostile");
                p.definitions = p.definitions.for_browser(&salt, None).unwrap();
            }
        }
        let n = s
            .get("key")
            .and_then(Value::as_u64)
            .unwrap_or(b["key"].as_u64().unwrap());
        return signed(&p, n as u8);
    }
    if let Some(which) = m.get("flip").and_then(Value::as_str) {
        if which == "payload" {
            let mut raw = payload_of(good);
            let mid = raw.len() / 2;
            raw[mid] ^= 0x01;
            env["payload"] = json!(B64.encode(raw));
        } else {
            let mut sig = B64
                .decode(env["signatures"][0]["sig"].as_str().unwrap())
                .unwrap();
            sig[10] ^= 0x80;
            env["signatures"][0]["sig"] = json!(B64.encode(sig));
        }
        return env.to_string().into_bytes();
    }
    if let Some(fields) = m.get("set").and_then(Value::as_object) {
        for (k, v) in fields {
            env[k.as_str()] = match v.get("zeros").and_then(Value::as_u64) {
                Some(n) => json!(vec![0; n as usize]),
                None => v.clone(),
            };
        }
        return env.to_string().into_bytes();
    }
    if let Some(n) = m.get("repeat_signature").and_then(Value::as_u64) {
        let one = env["signatures"][0].clone();
        env["signatures"] = json!(vec![one; n as usize]);
        return env.to_string().into_bytes();
    }
    if let Some(pairs) = m.get("replace") {
        return replace_all(std::str::from_utf8(good).unwrap(), pairs).into_bytes();
    }
    if let Some(pairs) = m.get("resign") {
        let text = String::from_utf8(payload_of(good)).unwrap();
        return resigned(replace_all(&text, pairs).as_bytes(), 1);
    }
    if let Some(f) = m.get("truncate").and_then(Value::as_f64) {
        return good[..(good.len() as f64 * f) as usize].to_vec();
    }
    if let Some(t) = m.get("text").and_then(Value::as_str) {
        return t.as_bytes().to_vec();
    }
    panic!("unknown way to make an envelope: {m}");
}

fn judge(defaults: &Value, over: Option<&Value>) -> Judge {
    let get = |k: &str| over.and_then(|o| o.get(k)).or_else(|| defaults.get(k));
    Judge {
        trusted: get("trusted")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap() as u8)
            .collect(),
        threshold: get("threshold").and_then(Value::as_u64).map(|n| n as usize),
        min_version: get("min_version").and_then(Value::as_u64),
        max_size: get("max_size").and_then(Value::as_u64).map(|n| n as usize),
        environment: get("environment").and_then(Value::as_str).map(Into::into),
        audience: get("audience").and_then(Value::as_str).map(Into::into),
        now: get("now").unwrap().as_str().unwrap().into(),
        held: match get("holding").and_then(Value::as_str) {
            Some("base") => Held::Base,
            Some("mark") => Held::Mark,
            Some("none") | None => Held::Nothing,
            Some(other) => panic!("unknown holding {other}"),
        },
    }
}

/// The base snapshot and every case, made from season0's definitions.
pub fn cases(production: &Definitions, staging: &Definitions) -> (Base, Vec<Case>) {
    let file: Value = serde_json::from_str(CASES).unwrap();
    let b = &file["base"];
    let version = b["version"].as_u64().unwrap();
    let expires_at = b["expires_at"].as_str().unwrap().to_owned();
    let envelope = signed(
        &payload(production, version, Some(&expires_at)),
        b["key"].as_u64().unwrap() as u8,
    );
    let base = Base {
        digest: edgeflag::digest(&payload_of(&envelope)),
        envelope,
        version,
        expires_at,
    };
    let mut out = Vec::new();
    for c in file["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_owned();
        let envelope = make(&c["make"], &base, b, production, staging);
        let fill = |m: &str| {
            let digest = try_payload(&envelope)
                .map(|p| edgeflag::digest(&p))
                .unwrap_or_default();
            m.replace("{kid}", &key(1).public().key_id())
                .replace("{stranger}", &key(2).public().key_id())
                .replace("{size}", &envelope.len().to_string())
                .replace("{base_digest}", &base.digest)
                .replace("{digest}", &digest)
        };
        let expect = match (c.get("message"), c.get("message_starts")) {
            (Some(m), _) => Expect::Exact(fill(m.as_str().unwrap())),
            (None, Some(m)) => Expect::StartsWith(fill(m.as_str().unwrap())),
            (None, None) => panic!("{name}: no expected message"),
        };
        out.push(Case {
            judge: judge(&file["policy"], c.get("policy")),
            code: c["code"].as_str().unwrap().to_owned(),
            name,
            envelope,
            expect,
        });
    }
    (base, out)
}
