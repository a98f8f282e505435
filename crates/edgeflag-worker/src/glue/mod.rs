//! The Workers runtime side: routes, bindings, KV, responses, logs. Only this
//! module touches `worker`; it converts and calls the pure modules.

mod guard_ledger;
mod high_water;
mod isolate;
mod reply;

use futures_util::StreamExt as _;
use worker::{ByteStream, Context, Env, Method, Request, Response, Result, event};

use crate::config::{Config, ConfigError};
use crate::http::{self, DRAIN_LIMIT, MAX_BODY, TIME_HEADER};
use crate::ofrep::{self, Failure};
use edgeflag::Audience;
use isolate::{clock, config, snapshot, snapshot_for};
use reply::{json, reply};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match route(req, &env, &ctx).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            let why = format!("internal error: {e}");
            isolate::log_error(&serde_json::json!({"event": "error", "message": why}));
            json(500, Failure::general(500, why).body(None), &[])
        }
    }
}

async fn route(req: Request, env: &Env, ctx: &Context) -> Result<Response> {
    let method = req.method();
    if method == Method::Options {
        return reply(204, Vec::new(), None, &[]);
    }
    let path = req.path();
    match path.as_str() {
        "/healthz" | "/v1/keys" | "/v1/snapshot" => {
            if !matches!(method, Method::Get | Method::Head) {
                return not_allowed(&method, &path, "GET, HEAD, OPTIONS");
            }
            match path.as_str() {
                "/healthz" => healthz(&req, env, ctx).await,
                "/v1/keys" => keys(env).await,
                _ => envelope(&req, env, ctx).await,
            }
        }
        "/v1/guards" => {
            if !matches!(method, Method::Get | Method::Head) {
                return not_allowed(&method, &path, "GET, HEAD, OPTIONS");
            }
            guards(&req, env, ctx).await
        }
        "/v1/track" => {
            if method != Method::Post {
                return not_allowed(&method, &path, "POST, OPTIONS");
            }
            track(req, env, ctx).await
        }
        other => match http::ofrep_route(other) {
            None => not_found(&method, &path),
            Some(_) if method != Method::Post => not_allowed(&method, &path, "POST, OPTIONS"),
            Some(key) => evaluate(req, env, ctx, key).await,
        },
    }
}

/// The settings, once the request carries a client key (any, when no
/// `API_KEYS` are set): else the answer that refuses it. `key` is the flag a
/// single OFREP evaluation names, for its error body.
fn client(
    req: &Request,
    env: &Env,
    key: Option<&str>,
) -> Result<std::result::Result<std::rc::Rc<Config>, Response>> {
    let cfg = match config(env) {
        Ok(cfg) => cfg,
        Err(e) => return misconfigured(&e, key).map(Err),
    };
    let h = req.headers();
    if !http::authorized(
        &cfg.client_keys(),
        h.get("X-API-Key")?.as_deref(),
        h.get("Authorization")?.as_deref(),
    ) {
        return unauthorized(key).map(Err);
    }
    Ok(Ok(cfg))
}

fn not_allowed(method: &Method, path: &str, allow: &str) -> Result<Response> {
    let body =
        serde_json::json!({"error": format!("{} is not allowed on {path}", method.as_ref())});
    json(405, body.to_string().into_bytes(), &[("Allow", allow)])
}

fn not_found(method: &Method, path: &str) -> Result<Response> {
    let body = serde_json::json!({"error": format!("no route for {} {path}", method.as_ref())});
    json(404, body.to_string().into_bytes(), &[])
}

/// The OFREP endpoints: auth, limits, the context, then the core.
async fn evaluate(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    key: Option<String>,
) -> Result<Response> {
    let key = key.as_deref();
    let fail = |f: Failure| json(f.status, f.body(key), &[]);
    let cfg = match client(&req, env, key)? {
        Ok(cfg) => cfg,
        Err(refused) => return Ok(refused),
    };
    let h = req.headers();
    let at = match http::time_override(cfg.allow_time_override, h.get(TIME_HEADER)?.as_deref()) {
        Ok(at) => at,
        Err(e) => return fail(Failure::general(400, e.to_string())),
    };
    let if_none_match = h.get("If-None-Match")?;
    let declared = h
        .get("Content-Length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(size) = declared.filter(|&n| n > MAX_BODY as u64) {
        if size <= DRAIN_LIMIT {
            if let Ok(mut stream) = req.stream() {
                drain(&mut stream, 0).await;
            }
        }
        return too_large(size, key);
    }
    let body = match read_body(&mut req).await? {
        Ok(body) => body,
        Err(size) => return too_large(size, key),
    };
    let context = match ofrep::parse_context(&body) {
        Ok(c) => c,
        Err(f) => return fail(f),
    };
    let Some(loaded) = snapshot(env, ctx, &cfg).await else {
        return fail(Failure::not_ready(not_ready_details(
            &cfg,
            Audience::Server,
        )));
    };
    let now = at.unwrap_or_else(clock);
    let answer = match key {
        Some(k) => ofrep::single(&loaded, k, &context, now),
        None => ofrep::bulk(&loaded, &context, now),
    };
    let answer = match answer {
        Ok(a) => a,
        Err(f) => return fail(f),
    };
    isolate::expose(env, &cfg, &loaded, &answer.exposures);
    let tag = http::etag(&answer.body);
    let version = loaded.version.to_string();
    let headers = [
        ("ETag", tag.as_str()),
        ("X-Edgeflag-Version", version.as_str()),
    ];
    if http::none_match(if_none_match.as_deref(), &tag) {
        return reply(304, Vec::new(), None, &headers);
    }
    json(200, answer.body, &headers)
}

/// `POST /v1/track`: metric events (OpenFeature's `track`) for the guards,
/// counted in the arm each user is in now; `202` with what was counted.
async fn track(mut req: Request, env: &Env, ctx: &Context) -> Result<Response> {
    let cfg = match client(&req, env, None)? {
        Ok(cfg) => cfg,
        Err(refused) => return Ok(refused),
    };
    let h = req.headers();
    let at = match http::time_override(cfg.allow_time_override, h.get(TIME_HEADER)?.as_deref()) {
        Ok(at) => at,
        Err(e) => return json(400, Failure::general(400, e.to_string()).body(None), &[]),
    };
    let body = match read_body(&mut req).await? {
        Ok(body) => body,
        Err(size) => return too_large(size, None),
    };
    let Some(loaded) = snapshot(env, ctx, &cfg).await else {
        let f = Failure::not_ready(not_ready_details(&cfg, Audience::Server));
        return json(f.status, f.body(None), &[]);
    };
    match isolate::track(&loaded, &body, at.unwrap_or_else(clock)) {
        Ok(t) => json(202, serde_json::to_vec(&t)?, &[]),
        Err(e) => json(e.status(), e.body(), &[]),
    }
}

/// `GET /v1/guards`: every guarded rollout, its arms' counts per stage, the
/// current verdict and any halt (API key or admin key).
async fn guards(req: &Request, env: &Env, ctx: &Context) -> Result<Response> {
    // Admin keys are client keys too (`Config::client_keys`).
    let cfg = match client(req, env, None)? {
        Ok(cfg) => cfg,
        Err(refused) => return Ok(refused),
    };
    if snapshot(env, ctx, &cfg).await.is_none() {
        let f = Failure::not_ready(not_ready_details(&cfg, Audience::Server));
        return json(f.status, f.body(None), &[]);
    }
    match isolate::guard_view(env, &cfg).await {
        Ok(v) => json(
            200,
            serde_json::to_vec(&v)?,
            &[("Cache-Control", "no-store")],
        ),
        Err(why) => {
            let body =
                serde_json::json!({"error": format!("the guard ledger cannot be read: {why}")});
            json(503, body.to_string().into_bytes(), &[])
        }
    }
}

/// The body, read up to the limit: `Err(bytes seen)` past it, so a chunked
/// upload without a length cannot make the isolate buffer it whole.
async fn read_body(req: &mut Request) -> Result<std::result::Result<Vec<u8>, u64>> {
    let Ok(mut stream) = req.stream() else {
        return Ok(Ok(Vec::new()));
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > MAX_BODY {
            let seen = body.len() as u64;
            drop(body);
            drain(&mut stream, seen).await;
            return Ok(Err(seen));
        }
    }
    Ok(Ok(body))
}

/// Reads and discards the rest of a refused body, up to `DRAIN_LIMIT` bytes
/// in all (see its doc); errors just end the draining.
async fn drain(stream: &mut ByteStream, mut seen: u64) {
    while seen <= DRAIN_LIMIT {
        match stream.next().await {
            Some(Ok(chunk)) => seen += chunk.len() as u64,
            _ => return,
        }
    }
}

fn too_large(size: u64, key: Option<&str>) -> Result<Response> {
    let f = Failure::general(
        413,
        format!("the request body is over the {MAX_BODY}-byte limit ({size} bytes or more)"),
    );
    json(413, f.body(key), &[])
}

fn misconfigured(e: &ConfigError, key: Option<&str>) -> Result<Response> {
    let f = Failure::general(500, format!("the worker is misconfigured: {e}"));
    json(500, f.body(key), &[])
}

fn unauthorized(key: Option<&str>) -> Result<Response> {
    let f = Failure::general(
        401,
        "an api key is required: send it as X-API-Key or Authorization: Bearer",
    );
    json(401, f.body(key), &[("WWW-Authenticate", "Bearer")])
}

/// Why nothing is served, for any caller: the rejection's code only (its
/// message, like `/healthz`'s details, is for admin keys).
fn not_ready_details(cfg: &Config, audience: Audience) -> String {
    let why = isolate::last_rejection(audience)
        .map(|r| format!("; the last attempt was rejected ({})", r.code))
        .unwrap_or_default();
    format!(
        "no valid snapshot has loaded from kv key `{}` yet{why}",
        cfg.key(audience).unwrap_or_default()
    )
}

/// `GET /healthz`: the status and version for anyone, the details for an
/// admin key (`ADMIN_KEYS`).
async fn healthz(req: &Request, env: &Env, ctx: &Context) -> Result<Response> {
    let cfg = config(env);
    if let Ok(cfg) = &cfg {
        snapshot(env, ctx, cfg).await;
        snapshot_for(env, ctx, cfg, Audience::Browser).await;
    }
    let h = req.headers();
    let admin = cfg.as_ref().is_ok_and(|c| {
        !c.admin_keys.is_empty()
            && http::authorized(
                &c.admin_keys,
                h.get("X-API-Key").ok().flatten().as_deref(),
                h.get("Authorization").ok().flatten().as_deref(),
            )
    });
    let (status, body) = isolate::health(cfg.as_deref(), clock(), admin)?;
    json(status, body, &[("Cache-Control", "no-store")])
}

/// `GET /v1/snapshot?env=NAME` for an environment this worker does not serve:
/// the envelope stored under its `CONSOLE_SNAPSHOTS` key, as stored. It is not
/// verified or evaluated here; the console verifies it in the browser.
async fn other_environment(
    env: &Env,
    cfg: &Config,
    wanted: &str,
    serving: &str,
    cache: &str,
    req: &Request,
) -> Result<Response> {
    let listed: Vec<&str> = cfg
        .console_snapshots
        .iter()
        .map(|(e, _)| e.as_str())
        .collect();
    let Some(kv_key) = cfg.console_snapshot(wanted) else {
        let body = serde_json::json!({"error": format!(
            "no snapshot for environment `{wanted}`: this worker serves `{serving}`, and CONSOLE_SNAPSHOTS lists {}",
            if listed.is_empty() { "none".to_owned() } else { listed.join(", ") }
        )});
        return json(404, body.to_string().into_bytes(), &[]);
    };
    let bytes = env.kv(isolate::KV_BINDING)?.get(kv_key).bytes().await?;
    let Some(bytes) = bytes else {
        let body = serde_json::json!({"error": format!("no snapshot stored under `{kv_key}` for environment `{wanted}`")});
        return json(404, body.to_string().into_bytes(), &[]);
    };
    let tag = http::etag(&bytes);
    let headers = [("ETag", tag.as_str()), ("Cache-Control", cache)];
    if http::none_match(req.headers().get("If-None-Match")?.as_deref(), &tag) {
        return reply(304, Vec::new(), None, &headers);
    }
    json(200, bytes, &headers)
}

/// `GET /v1/keys`: the trusted public keys, so clients can verify `/v1/snapshot`.
async fn keys(env: &Env) -> Result<Response> {
    let cfg = match config(env) {
        Ok(cfg) => cfg,
        Err(e) => return misconfigured(&e, None),
    };
    let mut keys = Vec::new();
    for k in &cfg.trusted {
        let pem = k
            .to_spki_pem()
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        keys.push(serde_json::json!({"keyid": k.key_id(), "pem": pem}));
    }
    let body = serde_json::json!({"threshold": cfg.threshold, "keys": keys});
    json(
        200,
        body.to_string().into_bytes(),
        &[("Cache-Control", "max-age=300")],
    )
}

/// `GET /v1/snapshot`: the signed envelope exactly as stored, for browsers and
/// Node to verify and evaluate locally.
async fn envelope(req: &Request, env: &Env, ctx: &Context) -> Result<Response> {
    let cfg = match client(req, env, None)? {
        Ok(cfg) => cfg,
        Err(refused) => return Ok(refused),
    };
    let h = req.headers();
    // Revalidate after the refresh interval: a newer snapshot may be in KV by then.
    let scope = if cfg.api_keys.is_empty() {
        "public"
    } else {
        "private"
    };
    let cache = format!(
        "{scope}, max-age={}, must-revalidate",
        cfg.refresh_ms / 1000
    );
    let url = req.url()?;
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let wanted = query("env");
    let audience = match query("audience").as_deref() {
        None => Audience::Server,
        Some(name) => match Audience::from_name(name) {
            Some(a) => a,
            None => {
                let body = serde_json::json!({"error": format!(
                    "unknown audience `{name}`: ask for `server` or `browser`"
                )});
                return json(400, body.to_string().into_bytes(), &[]);
            }
        },
    };
    if audience == Audience::Browser && cfg.browser_snapshot_key.is_none() {
        let body = serde_json::json!({"error":
            "this worker serves no browser snapshot: BROWSER_SNAPSHOT_KEY is not set"});
        return json(404, body.to_string().into_bytes(), &[]);
    }
    let Some(loaded) = snapshot_for(env, ctx, &cfg, audience).await else {
        let f = Failure::not_ready(not_ready_details(&cfg, audience));
        return json(503, f.body(None), &[]);
    };
    if audience == Audience::Browser {
        if let Some(other) = wanted.filter(|w| w != loaded.environment()) {
            let body = serde_json::json!({"error": format!(
                "no browser snapshot for environment `{other}`: this worker serves `{}`",
                loaded.environment()
            )});
            return json(404, body.to_string().into_bytes(), &[]);
        }
    } else if let Some(other) = wanted.filter(|w| w != loaded.environment()) {
        return other_environment(env, &cfg, &other, loaded.environment(), &cache, req).await;
    }
    let version = loaded.version.to_string();
    let headers = [
        ("ETag", loaded.envelope_etag.as_str()),
        ("Cache-Control", cache.as_str()),
        ("X-Edgeflag-Version", version.as_str()),
    ];
    if http::none_match(h.get("If-None-Match")?.as_deref(), &loaded.envelope_etag) {
        return reply(304, Vec::new(), None, &headers);
    }
    json(200, loaded.envelope.clone(), &headers)
}
