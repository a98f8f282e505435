//! OFREP (the OpenFeature Remote Evaluation Protocol, 0.3.0): request bodies
//! in, answers out. The flag decisions are the core's `evaluate`; this module
//! only converts. The context is deserialized straight into the core's
//! `Context`, once per request, bulk or single.
//!
//! Reasons are the core's own (`DEFAULT`, `ROLLBACK`, `STALE`, … besides the
//! four the OFREP schema lists), as OpenFeature allows, so that every runtime
//! reports the same resolution. `metadata` (the client's `flagMetadata`) holds
//! primitives only, as the schema requires.

use edgeflag::{Context, ErrorCode, FieldMap, Resolution, Source, Timestamp};
use serde::Deserialize;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::exposure::Exposure;
use crate::loader::Loaded;

/// An OFREP error answer: HTTP status, `errorCode` and `errorDetails`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: &'static str,
    pub details: String,
}

impl Failure {
    pub fn parse(details: impl Into<String>) -> Self {
        Failure::new(400, ErrorCode::ParseError.name(), details)
    }

    pub fn invalid_context(details: impl Into<String>) -> Self {
        Failure::new(400, ErrorCode::InvalidContext.name(), details)
    }

    pub fn general(status: u16, details: impl Into<String>) -> Self {
        Failure::new(status, ErrorCode::General.name(), details)
    }

    /// No snapshot has loaded yet. A 500, the spec's status for a server that
    /// cannot evaluate, so providers surface the code and its details.
    pub fn not_ready(details: impl Into<String>) -> Self {
        Failure::new(500, ErrorCode::ProviderNotReady.name(), details)
    }

    fn new(status: u16, code: &'static str, details: impl Into<String>) -> Self {
        Failure {
            status,
            code,
            details: details.into(),
        }
    }

    /// The error body; single evaluations name their flag.
    pub fn body(&self, key: Option<&str>) -> Vec<u8> {
        let mut m = serde_json::Map::new();
        if let Some(key) = key {
            m.insert("key".into(), key.into());
        }
        m.insert("errorCode".into(), self.code.into());
        m.insert("errorDetails".into(), self.details.clone().into());
        serde_json::to_vec(&m).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct EvaluationRequest {
    #[serde(default)]
    context: Option<Context>,
}

/// The context of an evaluation request. Not JSON, or JSON that is not an
/// object: `PARSE_ERROR`. No `context` object: `INVALID_CONTEXT`. A missing
/// or non-string `targetingKey` is no error: the core buckets numbers and
/// treats anything else as a missing attribute, as in every runtime.
pub fn parse_context(body: &[u8]) -> Result<Context, Failure> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Failure::parse(
            "the request body must be a json object with a `context` object",
        ));
    }
    match serde_json::from_slice::<EvaluationRequest>(body) {
        Ok(EvaluationRequest { context: Some(ctx) }) => Ok(ctx),
        Ok(EvaluationRequest { context: None }) => Err(Failure::invalid_context(
            "the request has no `context` object",
        )),
        Err(e) if e.is_data() => Err(Failure::invalid_context(format!("context: {e}"))),
        Err(e) => Err(Failure::parse(format!("request body is not json: {e}"))),
    }
}

/// A serialized answer and the evaluations behind it (for exposure counting).
#[derive(Debug)]
pub struct Answer<'a> {
    pub body: Vec<u8>,
    pub exposures: Vec<Exposure<'a>>,
}

/// `POST /ofrep/v1/evaluate/flags/{key}`.
pub fn single<'a>(
    loaded: &'a Loaded,
    key: &str,
    ctx: &Context,
    now: Timestamp,
) -> Result<Answer<'a>, Failure> {
    let Some(id) = loaded.snapshot.flag_id(key) else {
        return Err(Failure::new(
            404,
            ErrorCode::FlagNotFound.name(),
            format!("flag `{key}` is not in snapshot version {}", loaded.version),
        ));
    };
    let res = loaded.snapshot.evaluate_id(id, ctx, now);
    if let Some(e) = &res.error {
        return Err(Failure::general(500, e.to_string()));
    }
    let flag = flag_key(loaded, key);
    let body = serde_json::to_vec(&Item {
        key: flag,
        res: &res,
        loaded,
    })
    .map_err(|e| Failure::general(500, format!("cannot encode the answer: {e}")))?;
    Ok(Answer {
        body,
        exposures: vec![Exposure::of(flag, &res)],
    })
}

/// The snapshot's own copy of a key, so exposures can borrow from the snapshot.
fn flag_key<'a>(loaded: &'a Loaded, key: &str) -> &'a str {
    loaded
        .snapshot
        .definitions()
        .flags
        .get_key_value(key)
        .map_or("", |(k, _)| k.as_str())
}

/// `POST /ofrep/v1/evaluate/flags`: every flag, in release-file order.
pub fn bulk<'a>(
    loaded: &'a Loaded,
    ctx: &'a Context,
    now: Timestamp,
) -> Result<Answer<'a>, Failure> {
    let results: Vec<(&'a str, Resolution<'a>)> = loaded.snapshot.evaluate_all(ctx, now).collect();
    let body = serde_json::to_vec(&Bulk {
        results: &results,
        loaded,
    })
    .map_err(|e| Failure::general(500, format!("cannot encode the answer: {e}")))?;
    let exposures = results.iter().map(|(k, r)| Exposure::of(k, r)).collect();
    Ok(Answer { body, exposures })
}

struct Bulk<'r, 'a> {
    results: &'r [(&'a str, Resolution<'a>)],
    loaded: &'r Loaded,
}

impl Serialize for Bulk<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Flags<'r, 'a>(&'r Bulk<'r, 'a>);
        impl Serialize for Flags<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.results.iter().map(|(key, res)| Item {
                    key,
                    res,
                    loaded: self.0.loaded,
                }))
            }
        }
        let l = self.loaded;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("flags", &Flags(self))?;
        m.serialize_entry(
            "metadata",
            &serde_json::json!({
                "snapshotVersion": l.version,
                "environment": l.environment(),
                "release": l.release(),
                "digest": l.digest,
                // Monitoring groups answers by release candidate.
                "releaseCandidate": l.candidate,
            }),
        )?;
        m.end()
    }
}

/// One flag's answer: an `evaluationSuccess`, or an `evaluationFailure` in a
/// bulk answer should the core ever report an error for a known flag.
struct Item<'r, 'a> {
    key: &'r str,
    res: &'r Resolution<'a>,
    loaded: &'r Loaded,
}

impl Serialize for Item<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.res;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("key", self.key)?;
        if let Some(e) = &r.error {
            m.serialize_entry("errorCode", ErrorCode::General.name())?;
            m.serialize_entry("errorDetails", &e.to_string())?;
            return m.end();
        }
        // No value means "use the code default" in OFREP (`codeDefaultFlag`).
        if let Some(v) = r.value {
            m.serialize_entry("value", v)?;
        }
        m.serialize_entry("reason", r.reason.name())?;
        if let Some(v) = r.variant {
            m.serialize_entry("variant", v)?;
        }
        m.serialize_entry("metadata", &Metadata { r, l: self.loaded })?;
        m.end()
    }
}

/// What someone watching a rollout or on call needs, per answer.
struct Metadata<'r, 'a> {
    r: &'r Resolution<'a>,
    l: &'r Loaded,
}

impl Serialize for Metadata<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.l;
        let source = Source {
            version: l.version,
            environment: l.environment(),
            release: l.release(),
        };
        // The core's flagMetadata, the same list the npm providers send.
        FieldMap(&self.r.flag_metadata(&source)).serialize(s)
    }
}

#[cfg(test)]
#[path = "ofrep_tests.rs"]
mod tests;
