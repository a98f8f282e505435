//! The empty worker: no routing, no bindings, no evaluation: it reads the
//! request body (workerd closes a keep-alive connection whose request body was
//! left unread, so every POST endpoint must) and answers with one fixed JSON
//! body, built the way crates/edgeflag-worker's `glue::reply::reply` builds
//! its own (`Response::from_bytes` plus a `Headers` object). What our worker
//! costs beyond this is what it does with the request.

use worker::{Context, Env, Headers, Request, Response, Result, event};

/// An OFREP bulk answer for the 200-flag reference workload (42 KB).
static BODY: &[u8] = include_bytes!("../body.json");

#[event(fetch)]
async fn fetch(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let _ = req.bytes().await?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    Ok(Response::from_bytes(BODY.to_vec())?.with_headers(headers))
}
