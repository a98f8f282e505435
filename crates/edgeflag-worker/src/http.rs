//! The HTTP details around the flag answers: body limit, API keys, CORS,
//! entity tags, the testing time header and path decoding.

use edgeflag::Timestamp;

/// Request bodies above this are refused with 413 before they are parsed.
pub const MAX_BODY: usize = 64 * 1024;

/// How much of an oversized body is read and thrown away before the 413 goes
/// out. A client still sending when the answer arrives sees its connection
/// reset instead of the 413; draining a bounded amount (a lingering close, as
/// HTTP servers do) lets ordinary oversized requests read why they failed
/// while an endless upload is still cut off.
pub const DRAIN_LIMIT: u64 = 1024 * 1024;

/// The staging/testing header that sets the evaluation time (see `ALLOW_TIME_OVERRIDE`).
pub const TIME_HEADER: &str = "X-Edgeflag-At";

/// CORS for browser callers. No credentials are involved (keys travel in
/// headers), so any origin may call; `ETag` is exposed for OFREP web providers.
pub const CORS: [(&str, &str); 5] = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, If-None-Match, X-API-Key, X-Edgeflag-At",
    ),
    ("Access-Control-Expose-Headers", "ETag"),
    ("Access-Control-Max-Age", "86400"),
];

/// Whether the request carries one of the API keys, as `X-API-Key` or a
/// Bearer token. With no keys configured, everyone is.
pub fn authorized(keys: &[String], x_api_key: Option<&str>, authorization: Option<&str>) -> bool {
    if keys.is_empty() {
        return true;
    }
    let bearer = authorization.and_then(|h| {
        let (scheme, token) = h.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    // Every candidate against every key, without stopping at a match: the
    // time taken does not depend on which key matched, or how much of one.
    let mut found = false;
    for given in [x_api_key.map(str::trim), bearer].into_iter().flatten() {
        for k in keys {
            found |= same_secret(k.as_bytes(), given.as_bytes());
        }
    }
    found
}

/// Compares digests of both sides, so neither the length nor the position of
/// the first difference shows in how long the comparison takes.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (edgeflag::digest(a), edgeflag::digest(b));
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Why a time header was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeHeaderError {
    #[error(
        "the {TIME_HEADER} header is refused: ALLOW_TIME_OVERRIDE is off (it is a staging and testing feature)"
    )]
    Refused,
    #[error("the {TIME_HEADER} header `{0}` is not an rfc 3339 time such as 2026-12-02T18:00:00Z")]
    NotATime(String),
}

/// The evaluation time a request asks for, if it may ask for one.
pub fn time_override(
    allowed: bool,
    header: Option<&str>,
) -> Result<Option<Timestamp>, TimeHeaderError> {
    let Some(value) = header else {
        return Ok(None);
    };
    if !allowed {
        return Err(TimeHeaderError::Refused);
    }
    Timestamp::parse(value.trim())
        .map(Some)
        .ok_or_else(|| TimeHeaderError::NotATime(value.to_owned()))
}

/// A strong entity tag for a response body: equal bodies, equal tags, so a
/// rollout that moves on changes it even when the snapshot did not.
pub fn etag(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

/// Whether `If-None-Match` names this tag (`*`, lists, weak tags: RFC 9110's
/// weak comparison, the one it prescribes for this header).
pub fn none_match(header: Option<&str>, etag: &str) -> bool {
    let Some(header) = header else {
        return false;
    };
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// The OFREP evaluation a path asks for: `Some(None)` for the bulk endpoint,
/// `Some(Some(key))` for one flag (percent-decoded; `…/flags/` is the empty
/// key, which no flag has), `None` for any other path.
pub fn ofrep_route(path: &str) -> Option<Option<String>> {
    let rest = path.strip_prefix("/ofrep/v1/evaluate/flags")?;
    if rest.is_empty() {
        return Some(None);
    }
    let segment = rest.strip_prefix('/')?;
    Some(Some(
        decode_segment(segment).unwrap_or_else(|| segment.to_owned()),
    ))
}

/// Percent-decodes a path segment; `None` when it is not UTF-8 once decoded.
pub fn decode_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|c| char::from(*c).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h * 16 + l);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_by_header_or_bearer() {
        let keys = vec!["k-one".to_owned(), "k-two".to_owned()];
        assert!(authorized(&[], None, None));
        assert!(!authorized(&keys, None, None));
        assert!(authorized(&keys, Some("k-two"), None));
        assert!(authorized(&keys, None, Some("Bearer k-one")));
        assert!(authorized(&keys, None, Some("bearer  k-one ")));
        assert!(!authorized(&keys, Some("k-on"), Some("Basic k-one")));
        assert!(!authorized(&keys, Some("k-one-and-more"), Some("Bearer")));
    }

    #[test]
    fn time_header() {
        assert_eq!(time_override(false, None), Ok(None));
        assert_eq!(
            time_override(false, Some("2026-12-01T00:00:00Z")),
            Err(TimeHeaderError::Refused)
        );
        assert_eq!(
            time_override(true, Some("2026-12-01T00:00:00Z")),
            Ok(Timestamp::parse("2026-12-01T00:00:00Z"))
        );
        assert_eq!(
            time_override(true, Some("tomorrow"))
                .unwrap_err()
                .to_string(),
            "the X-Edgeflag-At header `tomorrow` is not an rfc 3339 time such as 2026-12-02T18:00:00Z"
        );
    }

    #[test]
    fn entity_tags() {
        let t = etag(b"{\"flags\":[]}");
        assert_eq!(t, etag(b"{\"flags\":[]}"));
        assert_ne!(t, etag(b"{\"flags\":[1]}"));
        assert!(none_match(Some(&t), &t));
        assert!(none_match(Some(&format!("\"x\", W/{t}")), &t));
        assert!(none_match(Some("*"), &t));
        assert!(!none_match(Some("\"x\""), &t));
        assert!(!none_match(None, &t));
    }

    #[test]
    fn ofrep_routes() {
        assert_eq!(ofrep_route("/ofrep/v1/evaluate/flags"), Some(None));
        assert_eq!(
            ofrep_route("/ofrep/v1/evaluate/flags/"),
            Some(Some(String::new()))
        );
        assert_eq!(
            ofrep_route("/ofrep/v1/evaluate/flags/bool-flag%20"),
            Some(Some("bool-flag ".into()))
        );
        assert_eq!(ofrep_route("/ofrep/v1/evaluate/flagsx"), None);
        assert_eq!(ofrep_route("/v1/keys"), None);
    }

    #[test]
    fn path_segments() {
        assert_eq!(
            decode_segment("bool-flag%20").as_deref(),
            Some("bool-flag ")
        );
        assert_eq!(decode_segment("Z%C3%BCrich").as_deref(), Some("Zürich"));
        assert_eq!(decode_segment("50%").as_deref(), Some("50%"));
        assert_eq!(decode_segment("%FF"), None);
    }
}
