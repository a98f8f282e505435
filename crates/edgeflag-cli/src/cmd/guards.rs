//! `edgeflag guards --url URL --api-key K`: a worker's guarded rollouts, as
//! `GET /v1/guards` gives them (docs/guards.md), in a terminal. The worker's
//! ledger and the core's judge decide; this prints.

use std::time::Duration;

use serde_json::Value;

use crate::error::{CliError, Result};
use crate::{io, out};

pub fn run(url: &str, api_key: Option<&str>, json: bool) -> Result<()> {
    let view = fetch(url, api_key)?;
    let guards = view
        .get("guards")
        .and_then(Value::as_array)
        .ok_or_else(|| CliError::failed(format!("{url} did not answer with a guard list")))?;
    let halted: Vec<&Value> = guards
        .iter()
        .filter(|g| g["serving"] == true && !g["halt"].is_null())
        .collect();
    if json {
        io::print_json(&view)?;
    } else {
        print(&view, guards);
    }
    match halted.len() {
        0 => Ok(()),
        n => Err(CliError::failed(format!(
            "{n} guarded rollout(s) halted: {}",
            halted
                .iter()
                .map(|g| name(g))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn endpoint(url: &str) -> String {
    let base = url.trim_end_matches('/');
    if base.ends_with("/v1/guards") {
        base.to_owned()
    } else {
        format!("{base}/v1/guards")
    }
}

fn fetch(url: &str, api_key: Option<&str>) -> Result<Value> {
    let at = endpoint(url);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(&at);
    if let Some(k) = api_key {
        req = req.header("X-API-Key", k);
    }
    let mut resp = req
        .call()
        .map_err(|e| CliError::input(format!("GET {at}: {e}")))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| CliError::input(format!("GET {at}: reading the answer: {e}")))?;
    if status != 200 {
        let why = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .or_else(|| v.get("errorDetails"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or(text);
        return Err(CliError::input(format!("GET {at}: {status}: {why}")));
    }
    serde_json::from_str(&text)
        .map_err(|e| CliError::input(format!("GET {at}: the answer is not json: {e}")))
}

fn name(g: &Value) -> String {
    let flag = g["flag"].as_str().unwrap_or_default();
    match g["rule"].as_str() {
        Some(rule) => format!("{flag} (rule `{rule}`)"),
        None => flag.to_owned(),
    }
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "-".into(), |x| format!("{:.2}%", x * 100.0))
}

/// `1.05% [0.80%, 1.32%] of 4000`.
fn arm(e: &Value, side: &str) -> String {
    let counts = &e[side];
    let interval = &e[format!("{side}_interval")];
    format!(
        "{} [{}, {}] of {}",
        pct(&e[format!("{side}_rate")]),
        pct(&interval[0]),
        pct(&interval[1]),
        counts["exposures"].as_u64().unwrap_or(0)
    )
}

fn print(view: &Value, guards: &[Value]) {
    outln!(
        "guards of {} (snapshot version {})",
        view["environment"].as_str().unwrap_or("?"),
        view["snapshot_version"]
    );
    if guards.is_empty() {
        outln!("no guarded rollouts");
        return;
    }
    let mut rows = Vec::new();
    for g in guards {
        let verdict = &g["verdict"];
        let e = &verdict["evidence"];
        let state = match (&g["halt"], g["serving"].as_bool()) {
            (h, _) if !h.is_null() => format!(
                "HALTED ({}) at stage {} on {}",
                g["on_regression"].as_str().unwrap_or("?"),
                h["stage"],
                h["at"].as_str().unwrap_or("?")
            ),
            (_, Some(false)) => "an earlier plan".into(),
            _ => verdict["verdict"].as_str().unwrap_or("?").to_owned(),
        };
        rows.push(vec![
            name(g),
            g["metric"].as_str().unwrap_or_default().to_owned(),
            arm(e, "control"),
            arm(e, "treatment"),
            format!(
                "{:.2} / {}",
                e["likelihood_ratio"].as_f64().unwrap_or(0.0),
                e["threshold"]
            ),
            state,
        ]);
    }
    out::table(
        &[
            "rollout",
            "metric",
            "control",
            "treatment",
            "evidence",
            "state",
        ],
        &rows,
    );
}
