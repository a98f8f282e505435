//! One bulk OFREP request, stage by stage, as crates/edgeflag-worker's
//! `glue::evaluate` runs it: each export runs one stage `n` times over the
//! request bodies handed in, and returns a checksum so nothing is optimised
//! away. `expose` repeats glue/isolate.rs's `expose` loop (it is private
//! there) line for line, against a JS object standing in for the binding.

use std::cell::RefCell;
use std::rc::Rc;

use edgeflag::{Context, Source, Timestamp};
use edgeflag_worker::config::{Config, Raw};
use edgeflag_worker::exposure::{self, Exposure, MAX_POINTS_PER_REQUEST};
use edgeflag_worker::loader::{Loaded, Loader, Outcome};
use edgeflag_worker::{http, ofrep};
use wasm_bindgen::prelude::*;
use worker::{AnalyticsEngineDataPointBuilder, AnalyticsEngineDataset};

struct State {
    cfg: Config,
    loaded: &'static Loaded,
    bodies: Vec<Vec<u8>>,
    contexts: Vec<Context>,
    now: Timestamp,
}

thread_local! {
    static STATE: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
}

fn state() -> Rc<State> {
    STATE.with(|s| s.borrow().clone()).expect("setup first")
}

/// Loads the signed envelope as the worker does (`Loader::offer`), with the
/// deployed settings, and keeps the request bodies (`bodies`, split at `lens`).
#[wasm_bindgen]
pub fn setup(envelope: &[u8], trusted_pem: String, bodies: &[u8], lens: &[u32], now_ms: f64) -> String {
    let cfg = Config::read(|name| match name {
        "SNAPSHOT_KEY" => Raw::Text("snapshot:production".into()),
        "ENVIRONMENT" => Raw::Text("production".into()),
        "TRUSTED_KEYS" => Raw::Text(trusted_pem.clone()),
        _ => Raw::Missing,
    })
    .expect("config");
    let now = Timestamp::from_millis(now_ms as i64);
    let mut loader = Loader::default();
    loader.begin(now);
    let loaded = match loader.offer(Ok(Some(envelope.to_vec())), &cfg, now) {
        Outcome::Accepted(l) => l,
        Outcome::Rejected(r) => return format!("rejected: {} {}", r.code, r.message),
        Outcome::Unchanged => return "unchanged".into(),
    };
    // Leaked once per setup: a bench, and answers borrow from it.
    let loaded: &'static Loaded = Box::leak(Box::new(Rc::clone(&loaded)));
    let mut out = Vec::new();
    let mut at = 0usize;
    for &n in lens {
        out.push(bodies[at..at + n as usize].to_vec());
        at += n as usize;
    }
    let contexts = out.iter().map(|b| ofrep::parse_context(b).expect("context")).collect();
    STATE.with(|s| {
        *s.borrow_mut() = Some(Rc::new(State { cfg, loaded, bodies: out, contexts, now }))
    });
    format!("ok: version {}, {} flags", loaded.version, loaded.snapshot.definitions().flags.len())
}

/// `ofrep::parse_context` (serde_json into the core's `Context`).
#[wasm_bindgen]
pub fn parse(n: u32) -> f64 {
    let s = state();
    let mut sum = 0usize;
    for i in 0..n as usize {
        let ctx = ofrep::parse_context(&s.bodies[i % s.bodies.len()]).expect("context");
        sum += std::hint::black_box(&ctx) as *const _ as usize & 1;
    }
    sum as f64
}

/// The 200 evaluations alone: `Snapshot::evaluate_all`, collected as `ofrep::bulk` does.
#[wasm_bindgen]
pub fn evaluate(n: u32) -> f64 {
    let s = state();
    let mut sum = 0usize;
    for i in 0..n as usize {
        let ctx = &s.contexts[i % s.contexts.len()];
        let results: Vec<_> = s.loaded.snapshot.evaluate_all(ctx, s.now).collect();
        sum += results.iter().filter(|(_, r)| r.variant.is_some()).count();
    }
    sum as f64
}

/// The per-flag `flagMetadata` lists `ofrep::bulk`'s serialiser builds
/// (`Resolution::flag_metadata`, owned strings), without writing them.
#[wasm_bindgen]
pub fn metadata(n: u32) -> f64 {
    let s = state();
    let l = s.loaded;
    let results: Vec<_> = l.snapshot.evaluate_all(&s.contexts[0], s.now).collect();
    let source = Source {
        version: l.version,
        environment: l.environment(),
        release: l.release(),
    };
    let mut sum = 0usize;
    for _ in 0..n {
        for (_, r) in &results {
            sum += std::hint::black_box(r.flag_metadata(&source)).len();
        }
    }
    sum as f64
}

/// `ofrep::bulk`: the evaluations, the serialised answer and the exposure list.
#[wasm_bindgen]
pub fn bulk(n: u32) -> f64 {
    let s = state();
    let mut sum = 0usize;
    for i in 0..n as usize {
        let ctx = &s.contexts[i % s.contexts.len()];
        let a = ofrep::bulk(s.loaded, ctx, s.now).expect("bulk");
        sum += a.body.len() + a.exposures.len();
    }
    sum as f64
}

/// What `glue::evaluate` does after `ofrep::bulk` besides the runtime calls:
/// the entity tag of the body, the version header's text, `client_keys`.
#[wasm_bindgen]
pub fn etag(n: u32) -> f64 {
    let s = state();
    let a = ofrep::bulk(s.loaded, &s.contexts[0], s.now).expect("bulk");
    let mut sum = 0usize;
    for _ in 0..n {
        let tag = http::etag(std::hint::black_box(&a.body));
        let version = s.loaded.version.to_string();
        let keys = s.cfg.client_keys();
        sum += tag.len() + version.len() + keys.len();
    }
    sum as f64
}

/// The Rust half of the exposure count: `exposure::data_point` for every flag
/// (200 points of 6 owned strings each), no JS.
#[wasm_bindgen]
pub fn points(n: u32) -> f64 {
    let s = state();
    let a = ofrep::bulk(s.loaded, &s.contexts[0], s.now).expect("bulk");
    let mut sum = 0usize;
    for _ in 0..n {
        for e in a.exposures.iter().take(MAX_POINTS_PER_REQUEST) {
            let p = exposure::data_point(e, s.loaded);
            sum += p.blobs.len() + p.index.len();
        }
    }
    sum as f64
}

/// glue/isolate.rs `expose`, its Analytics Engine loop line for line, with
/// `dataset` (a JS object with `writeDataPoint`) as the binding.
#[wasm_bindgen]
pub fn expose(n: u32, dataset: JsValue) -> f64 {
    let s = state();
    let a = ofrep::bulk(s.loaded, &s.contexts[0], s.now).expect("bulk");
    let ds: AnalyticsEngineDataset = dataset.unchecked_into();
    let mut sum = 0usize;
    for _ in 0..n {
        sum += write_points(&a.exposures, s.loaded, &ds);
    }
    sum as f64
}

fn write_points(exposures: &[Exposure<'_>], l: &Loaded, ds: &AnalyticsEngineDataset) -> usize {
    let mut written = 0;
    for e in exposures.iter().take(MAX_POINTS_PER_REQUEST) {
        let p = exposure::data_point(e, l);
        let w = AnalyticsEngineDataPointBuilder::new()
            .indexes([p.index.as_str()])
            .blobs(p.blobs.iter().map(String::as_str))
            .doubles(p.doubles)
            .write_to(ds);
        if w.is_err() {
            break;
        }
        written += 1;
    }
    written
}

/// The whole Rust side of one bulk request: parse, `ofrep::bulk`, etag,
/// exposures (with `dataset` as the binding).
#[wasm_bindgen]
pub fn request(n: u32, dataset: JsValue) -> f64 {
    let s = state();
    let ds: AnalyticsEngineDataset = dataset.unchecked_into();
    let mut sum = 0usize;
    for i in 0..n as usize {
        let ctx = ofrep::parse_context(&s.bodies[i % s.bodies.len()]).expect("context");
        let a = ofrep::bulk(s.loaded, &ctx, s.now).expect("bulk");
        let tag = http::etag(&a.body);
        sum += write_points(&a.exposures, s.loaded, &ds) + tag.len() + a.body.len();
    }
    sum as f64
}

/// One bulk answer's body, to check it against the worker's.
#[wasm_bindgen]
pub fn answer(i: u32) -> Vec<u8> {
    let s = state();
    let ctx = &s.contexts[i as usize % s.contexts.len()];
    ofrep::bulk(s.loaded, ctx, s.now).expect("bulk").body
}
