//! Responses: every one carries the CORS headers, so browsers can read errors too.

use worker::{Headers, Response, Result};

use crate::http::CORS;

/// A response with a body (none for 204 and 304) and headers.
pub fn reply(
    status: u16,
    body: Vec<u8>,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<Response> {
    let headers = Headers::new();
    for (k, v) in CORS.iter().chain(extra) {
        headers.set(k, v)?;
    }
    if let Some(t) = content_type {
        headers.set("Content-Type", t)?;
    }
    let resp = if matches!(status, 204 | 304) {
        Response::empty()?
    } else {
        Response::from_bytes(body)?
    };
    Ok(resp.with_status(status).with_headers(headers))
}

/// A JSON response.
pub fn json(status: u16, body: Vec<u8>, extra: &[(&str, &str)]) -> Result<Response> {
    reply(status, body, Some("application/json"), extra)
}
