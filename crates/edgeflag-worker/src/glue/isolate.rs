//! Per-isolate state: the settings, read once, and the snapshot loader. The
//! runtime is single-threaded, so a `RefCell` suffices; no borrow is held
//! across an await, which is what keeps a swap atomic for every request.

use std::cell::RefCell;
use std::rc::Rc;

use edgeflag::{Audience, Timestamp};
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{Context, Env, console_error, console_log};

use crate::config::{Config, ConfigError, Raw};
use crate::exposure::{self, Exposure, MAX_POINTS_PER_REQUEST};
use crate::glue::guard_ledger;
use crate::glue::high_water::{self, Answer, Offer};
use crate::guards::{self, Flush, Ledger, Tally, TrackError, Tracked, Watches};
use crate::health;
use crate::loader::{Due, Loaded, Loader, Outcome, Rejection};

/// The KV namespace binding that holds the signed snapshots.
pub const KV_BINDING: &str = "FLAGS";
/// The optional Analytics Engine dataset binding for exposure counts.
const EXPOSURES_BINDING: &str = "EXPOSURES";

struct Isolate {
    config: Option<Result<Rc<Config>, ConfigError>>,
    loader: Loader,
    /// The browser snapshot's own loader: its own KV key, history and mark.
    browser: Loader,
    warned_points: bool,
    /// Guard counts not flushed to the ledger yet.
    tally: Tally,
    /// The guard ledger as it last answered.
    ledger: Option<Result<Ledger, String>>,
}

impl Isolate {
    fn loader(&mut self, audience: Audience) -> &mut Loader {
        match audience {
            Audience::Browser => &mut self.browser,
            _ => &mut self.loader,
        }
    }
}

thread_local! {
    static ISOLATE: RefCell<Isolate> = RefCell::new(Isolate {
        config: None,
        loader: Loader::new(Audience::Server),
        browser: Loader::new(Audience::Browser),
        warned_points: false,
        tally: Tally::default(),
        ledger: None,
    });
}

/// Runs `f` on the loader of `audience`.
fn with_loader<R>(audience: Audience, f: impl FnOnce(&mut Loader) -> R) -> R {
    ISOLATE.with(|i| f(i.borrow_mut().loader(audience)))
}

/// The current time. Workers advance it only across I/O, which is precise
/// enough for expiry and refresh intervals.
pub fn clock() -> Timestamp {
    Timestamp::from_millis(i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX))
}

/// The settings, read from the bindings on the isolate's first request.
pub fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    ISOLATE.with(|i| {
        i.borrow_mut()
            .config
            .get_or_insert_with(|| Config::read(|name| raw(env, name)).map(Rc::new))
            .clone()
    })
}

fn raw(env: &Env, name: &str) -> Raw {
    let Ok(v) = js_sys::Reflect::get(env, &JsValue::from_str(name)) else {
        return Raw::Missing;
    };
    if v.is_undefined() || v.is_null() {
        Raw::Missing
    } else if let Some(s) = v.as_string() {
        Raw::Text(s)
    } else if let Some(n) = v.as_f64() {
        Raw::Number(n)
    } else if let Some(b) = v.as_bool() {
        Raw::Bool(b)
    } else if js_sys::Array::is_array(&v) {
        let items: Option<Vec<String>> = js_sys::Array::from(&v)
            .iter()
            .map(|x| x.as_string())
            .collect();
        items.map_or(Raw::Other, Raw::List)
    } else {
        Raw::Other
    }
}

/// The snapshot to answer with. Looks at KV when due: inline while nothing
/// is served, in the background (after the response) otherwise.
pub async fn snapshot(env: &Env, ctx: &Context, cfg: &Rc<Config>) -> Option<Rc<Loaded>> {
    snapshot_for(env, ctx, cfg, Audience::Server).await
}

/// The same for the snapshot of `audience`; `None` for browsers also when
/// no `BROWSER_SNAPSHOT_KEY` is set.
pub async fn snapshot_for(
    env: &Env,
    ctx: &Context,
    cfg: &Rc<Config>,
    audience: Audience,
) -> Option<Rc<Loaded>> {
    cfg.key(audience)?;
    let due = with_loader(audience, |l| l.due(clock(), cfg.refresh_ms));
    match due {
        Due::No => {}
        Due::Now => check(env.clone(), Rc::clone(cfg), audience).await,
        Due::Background => ctx.wait_until(check(env.clone(), Rc::clone(cfg), audience)),
    }
    with_loader(audience, |l| l.current())
}

/// Reads the high-water mark and KV, lets the loader judge what KV holds
/// (falling back to the envelope the mark store kept when nothing can be
/// served), and raises the mark after an acceptance.
async fn check(env: Env, cfg: Rc<Config>, audience: Audience) {
    with_loader(audience, |l| l.begin(clock()));
    let key = cfg.key(audience).unwrap_or_default();
    let kv_read = async {
        match env.kv(KV_BINDING) {
            Ok(kv) => kv.get(key).bytes().await.map_err(|e| e.to_string()),
            Err(e) => Err(format!("no kv namespace bound as `{KV_BINDING}`: {e}")),
        }
    };
    let store = Store {
        cfg: &cfg,
        audience,
    };
    let (mark, read) = futures_util::future::join(read_mark(&env, &store), kv_read).await;
    let now = clock();
    let mut outcome = with_loader(audience, |l| {
        l.note_mark(mark);
        l.offer(read, &cfg, now)
    });
    log_outcome(&outcome, &store, "kv", now);
    let serving = with_loader(audience, |l| l.current().is_some());
    if !serving {
        if let Some(kept) = kept_envelope(&env, &store).await {
            outcome = with_loader(audience, |l| l.offer_kept(kept, &cfg, now));
            log_outcome(&outcome, &store, "the high-water mark store", now);
        }
    }
    if let Outcome::Accepted(l) = &outcome {
        raise_mark(&env, &store, l).await;
    }
    if audience == Audience::Server {
        flush_guards(&env, &cfg).await;
    }
}

/// Sends this isolate's guard counts to the ledger and applies the halts it
/// answers with: so every isolate picks up a halt within `REFRESH_SECONDS`.
/// Counts that could not be delivered are kept for the next flush.
pub async fn flush_guards(env: &Env, cfg: &Config) {
    let Some(loaded) = with_loader(Audience::Server, |l| l.current()) else {
        return;
    };
    // Nothing guarded and nothing counted: no halt can apply, the ledger is not asked.
    if loaded.watches.is_empty() && ISOLATE.with(|i| i.borrow().tally.is_empty()) {
        return;
    }
    let cells = ISOLATE.with(|i| i.borrow_mut().tally.take());
    let flush = Flush {
        watches: loaded.watches.watches().cloned().collect(),
        cells,
    };
    let answer = match serde_json::to_string(&flush) {
        Ok(body) => ask_ledger(env, cfg, "/flush", Some(body)).await,
        Err(e) => Err(e.to_string()),
    };
    match answer {
        Ok(ledger) => {
            let changed = with_loader(Audience::Server, |l| l.set_halts(ledger.halts.clone()));
            if changed {
                console_log!(
                    "{}",
                    json!({"event": "guard_halts_applied", "halts": ledger.halts})
                );
            }
            ISOLATE.with(|i| i.borrow_mut().ledger = Some(Ok(ledger)));
        }
        Err(why) => {
            log_error(&json!({"event": "guard_flush_failed", "message": why}));
            ISOLATE.with(|i| {
                let mut i = i.borrow_mut();
                i.tally.restore(flush.cells);
                i.ledger = Some(Err(why));
            });
        }
    }
}

async fn ask_ledger(
    env: &Env,
    cfg: &Config,
    path: &str,
    body: Option<String>,
) -> Result<Ledger, String> {
    let mut resp = ask_object(env, guard_ledger::BINDING, &cfg.environment, path, body).await?;
    if resp.status_code() != 200 {
        return Err(format!("the guard ledger answered {}", resp.status_code()));
    }
    resp.json::<Ledger>().await.map_err(|e| e.to_string())
}

/// Counts a `/v1/track` batch against the served snapshot.
pub fn track(l: &Loaded, body: &[u8], now: Timestamp) -> Result<Tracked, TrackError> {
    ISOLATE.with(|i| {
        guards::track(
            &l.snapshot,
            &l.watches,
            body,
            now,
            &mut i.borrow_mut().tally,
        )
    })
}

/// The guard view: every guarded rollout the ledger knows, after flushing
/// this isolate's counts (so a reader sees its own events).
pub async fn guard_view(env: &Env, cfg: &Config) -> Result<serde_json::Value, String> {
    flush_guards(env, cfg).await;
    // No flush asked it (nothing guarded is served): read it as it stands.
    if ISOLATE.with(|i| i.borrow().ledger.is_none()) {
        let read = ask_ledger(env, cfg, "/ledger", None).await;
        ISOLATE.with(|i| i.borrow_mut().ledger = Some(read));
    }
    ISOLATE.with(|i| {
        let i = i.borrow();
        let serving = i.loader.served().map(|l| &l.watches);
        let serving = serving.into_iter().flat_map(Watches::watches);
        match &i.ledger {
            Some(Ok(ledger)) => Ok(json!({
                "environment": cfg.environment,
                "snapshot_version": i.loader.served().map(|l| l.version),
                "guards": ledger.view(serving),
            })),
            Some(Err(why)) => Err(why.clone()),
            None => Err("nothing is served yet".to_owned()),
        }
    })
}

/// Which mark store: each environment's, and its browser snapshots' own,
/// since the two histories are numbered apart.
struct Store<'a> {
    cfg: &'a Config,
    audience: Audience,
}

impl Store<'_> {
    fn name(&self) -> String {
        edgeflag::mark_name(&self.cfg.environment, self.audience)
    }
}

fn log_outcome(outcome: &Outcome, store: &Store, from: &str, now: Timestamp) {
    let audience = store.audience;
    let serving = with_loader(audience, |l| l.current().map(|c| c.version));
    let key = store.cfg.key(audience).unwrap_or_default();
    match outcome {
        Outcome::Accepted(l) => console_log!(
            "{}",
            json!({
                "event": "snapshot_loaded", "from": from, "audience": audience.name(),
                "version": l.version, "digest": l.digest,
                "environment": l.environment(), "release": l.release(),
                "expires_at": l.expires_at.map(|t| t.to_string()),
                "stale": l.snapshot.is_stale(now), "signed_by": l.signed_by,
            })
        ),
        Outcome::Rejected(r) => log_error(&json!({
            "event": "snapshot_rejected", "from": from, "code": r.code, "message": r.message,
            "audience": audience.name(), "snapshot_key": key, "serving_version": serving,
        })),
        Outcome::Unchanged => {}
    }
}

/// A request to this environment's mark store.
async fn ask_store(
    env: &Env,
    store: &Store<'_>,
    path: &str,
    body: Option<String>,
) -> Result<worker::Response, String> {
    ask_object(env, high_water::BINDING, &store.name(), path, body).await
}

/// A request to the Durable Object `name` of namespace `binding`: a GET, or
/// a POST of `body`.
async fn ask_object(
    env: &Env,
    binding: &str,
    name: &str,
    path: &str,
    body: Option<String>,
) -> Result<worker::Response, String> {
    let ns = env
        .durable_object(binding)
        .map_err(|e| format!("no durable object bound as `{binding}`: {e}"))?;
    let stub = ns.get_by_name(name).map_err(|e| e.to_string())?;
    let mut init = worker::RequestInit::new();
    if let Some(body) = body {
        init.with_method(worker::Method::Post)
            .with_body(Some(JsValue::from_str(&body)));
    }
    let req = worker::Request::new_with_init(&format!("https://durable-object{path}"), &init)
        .map_err(|e| e.to_string())?;
    stub.fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())
}

async fn read_mark(env: &Env, store: &Store<'_>) -> Result<Option<edgeflag::Mark>, String> {
    let mut resp = ask_store(env, store, "/mark", None).await?;
    if resp.status_code() != 200 {
        return Err(format!("it answered {}", resp.status_code()));
    }
    let answer: Answer = resp.json().await.map_err(|e| e.to_string())?;
    Ok(answer.mark)
}

async fn kept_envelope(env: &Env, store: &Store<'_>) -> Option<Vec<u8>> {
    let mut resp = ask_store(env, store, "/envelope", None).await.ok()?;
    if resp.status_code() != 200 {
        return None;
    }
    resp.bytes().await.ok()
}

async fn raise_mark(env: &Env, store: &Store<'_>, l: &Loaded) {
    let offer = Offer {
        mark: edgeflag::Mark {
            version: l.version,
            digest: l.digest.clone(),
        },
        envelope: String::from_utf8_lossy(&l.envelope).into_owned(),
    };
    let body = match serde_json::to_string(&offer) {
        Ok(b) => b,
        Err(e) => return log_error(&json!({"event": "mark_not_raised", "message": e.to_string()})),
    };
    let answer = match ask_store(env, store, "/mark", Some(body)).await {
        Ok(mut resp) if resp.status_code() == 200 => {
            resp.json::<Answer>().await.map_err(|e| e.to_string())
        }
        Ok(resp) => Err(format!("it answered {}", resp.status_code())),
        Err(e) => Err(e),
    };
    match answer {
        Ok(a) => {
            if a.merge.as_deref() == Some("conflict") {
                log_error(&json!({
                    "event": "mark_conflict", "version": l.version, "digest": l.digest,
                    "stored": a.mark,
                }));
            }
            with_loader(store.audience, |l| l.note_mark(Ok(a.mark)));
        }
        Err(why) => {
            log_error(&json!({"event": "mark_not_raised", "message": why}));
            with_loader(store.audience, |l| l.note_mark(Err(why)));
        }
    }
}

pub fn log_error(line: &serde_json::Value) {
    console_error!("{line}");
}

pub fn last_rejection(audience: Audience) -> Option<Rejection> {
    with_loader(audience, |l| l.last_rejection().cloned())
}

/// `/healthz`'s status code and body: the details only for an admin.
pub fn health(
    cfg: Result<&Config, &ConfigError>,
    now: Timestamp,
    admin: bool,
) -> worker::Result<(u16, Vec<u8>)> {
    ISOLATE.with(|i| {
        let i = i.borrow();
        let mut h = health::health(&i.loader, cfg, now);
        if cfg.is_ok_and(|c| c.browser_snapshot_key.is_some()) {
            h = h.with_browser(health::health(&i.browser, cfg, now));
        }
        let body = if admin {
            let mut v = serde_json::to_value(&h)?;
            let guards = match &i.ledger {
                Some(Ok(ledger)) => {
                    let serving = i.loader.served().map(|l| &l.watches);
                    ledger
                        .view(serving.into_iter().flat_map(Watches::watches))
                        .into()
                }
                Some(Err(why)) => json!({"unreachable": why}),
                None => serde_json::Value::Null,
            };
            if let Some(m) = v.as_object_mut() {
                m.insert("guards".into(), guards);
            }
            serde_json::to_vec(&v)?
        } else {
            serde_json::to_vec(&h.public())?
        };
        Ok((h.http_status(), body))
    })
}

// A request's data points in one call: through workers-rs's point builder,
// each point cost a dozen JS calls and copies, 2 ms for a 200-flag answer.
#[wasm_bindgen(inline_js = "export function write_points(ds, text) { \
    for (const p of JSON.parse(text)) ds.writeDataPoint(p); \
}")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn write_points(ds: &JsValue, text: &str) -> Result<(), JsValue>;
}

/// Counts exposures into Analytics Engine (when bound) and the guard
/// tally, and logs a sample.
pub fn expose(env: &Env, cfg: &Config, l: &Loaded, exposures: &[Exposure<'_>]) {
    if !l.watches.is_empty() {
        ISOLATE.with(|i| {
            let tally = &mut i.borrow_mut().tally;
            for e in exposures {
                tally.expose(&l.watches, e);
            }
        });
    }
    if let Ok(ds) = env.analytics_engine(EXPOSURES_BINDING) {
        let points = exposure::data_points(exposures, l);
        if let Err(err) = write_points(ds.as_ref(), &points) {
            let message = err.as_string().unwrap_or_else(|| format!("{err:?}"));
            log_error(&json!({"event": "exposure_write_failed", "message": message}));
        }
        if exposures.len() > MAX_POINTS_PER_REQUEST {
            let first =
                ISOLATE.with(|i| !std::mem::replace(&mut i.borrow_mut().warned_points, true));
            if first {
                log_error(&json!({
                    "event": "exposures_truncated",
                    "message": format!("a bulk answer of {} flags counts its first {MAX_POINTS_PER_REQUEST} (the analytics engine limit per request)", exposures.len()),
                }));
            }
        }
    }
    if exposure::sampled(cfg.exposure_sample, js_sys::Math::random()) {
        for e in exposures {
            console_log!("{}", exposure::log_line(e, l, cfg.exposure_sample));
        }
    }
}
