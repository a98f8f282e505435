//! Every runtime's rows against the native ones, field by field. Each
//! disagreement is reported, and the first ones of each runtime are written
//! out as a vector file that reproduces it alone: the flag and the flags it
//! depends on, the one context and the one time, the native result expected.
//! Dropped into `tests/vectors/`, it becomes a case every runtime replays.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::{FIELDS, json_of, lines_of, releases};

/// Reproducers written per runtime; the count covers every disagreement.
const REPRODUCERS: usize = 20;

/// Per runtime: cases compared, disagreements, reproducers written.
#[derive(Default)]
struct Tally {
    cases: usize,
    differ: usize,
    written: usize,
}

/// Prints the report; `Ok(false)` when any runtime disagreed (or compared nothing).
pub fn run(dir: &Path, runtimes: &[&str]) -> Result<bool, String> {
    let repro = dir.join("reproducers");
    let mut tallies: Vec<Tally> = runtimes.iter().map(|_| Tally::default()).collect();
    // Each release's probes, native rows and release are read once, for every runtime.
    for (name, flags) in releases(dir)? {
        let probes = lines_of(&dir.join(format!("{name}.probes.jsonl")))?;
        let native = lines_of(&dir.join(format!("results/native/{name}.jsonl")))?;
        let release = json_of(&dir.join(format!("{name}.release.json")))?;
        for (runtime, t) in runtimes.iter().zip(&mut tallies) {
            let theirs = lines_of(&dir.join(format!("results/{runtime}/{name}.jsonl")))?;
            if native.len() != probes.len() || theirs.len() != probes.len() {
                return Err(format!(
                    "{runtime} {name}: {} probes, {} native rows, {} {runtime} rows",
                    probes.len(),
                    native.len(),
                    theirs.len()
                ));
            }
            for (p, ((probe, want), got)) in probes.iter().zip(&native).zip(&theirs).enumerate() {
                for (f, flag) in flags.iter().enumerate() {
                    t.cases += 1;
                    let (w, g) = (&want[f], &got[f]);
                    let fields = differing(w, g);
                    if fields.is_empty() {
                        continue;
                    }
                    t.differ += 1;
                    if t.differ <= 5 {
                        eprintln!(
                            "{runtime}: {name} probe {p} flag {flag}: {} (native {w}, {runtime} {g})",
                            fields.join(", ")
                        );
                    }
                    if t.written < REPRODUCERS {
                        std::fs::create_dir_all(&repro).map_err(|e| e.to_string())?;
                        let file = repro.join(format!("{runtime}-{name}-{p}-{flag}.json"));
                        let text = reproducer(&release, flag, probe, w, runtime, &fields);
                        std::fs::write(&file, text)
                            .map_err(|e| format!("{}: {e}", file.display()))?;
                        t.written += 1;
                    }
                }
            }
        }
    }
    for (runtime, t) in runtimes.iter().zip(&tallies) {
        println!(
            "native vs {runtime}: {} cases, {} disagreements",
            t.cases, t.differ
        );
    }
    let agreed = tallies.iter().all(|t| t.differ == 0 && t.cases > 0);
    if !agreed {
        eprintln!("reproducers: {}", repro.display());
    }
    Ok(agreed)
}

/// The names of the fields two rows differ in; 5 and 5.0 are one number.
fn differing(want: &Value, got: &Value) -> Vec<&'static str> {
    FIELDS
        .iter()
        .enumerate()
        .filter(|(i, _)| !same(&want[*i], &got[*i]))
        .map(|(_, f)| *f)
        .collect()
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A vector file with the flag's closure under its prerequisites, one case.
fn reproducer(
    release: &Value,
    flag: &str,
    probe: &Value,
    want: &Value,
    runtime: &str,
    fields: &[&str],
) -> String {
    let flags = release["flags"].as_object().cloned().unwrap_or_default();
    let mut keep = BTreeSet::new();
    let mut todo = vec![flag.to_owned()];
    while let Some(key) = todo.pop() {
        if !keep.insert(key.clone()) {
            continue;
        }
        for p in flags
            .get(&key)
            .and_then(|f| f["prerequisites"].as_array())
            .into_iter()
            .flatten()
        {
            todo.extend(p["flag"].as_str().map(str::to_owned));
        }
    }
    // In release order, so the closure compiles as the release did.
    let closure: Map<String, Value> = flags
        .into_iter()
        .filter(|(k, _)| keep.contains(k))
        .collect();
    let mut small = release.clone();
    if let Some(obj) = small.as_object_mut() {
        obj.insert("flags".to_owned(), Value::Object(closure));
    }
    let expected: Map<String, Value> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| ((*f).to_owned(), want[i].clone()))
        .collect();
    let file = json!({
        "description": format!("differential: {runtime} disagreed with native on {} of flag {flag}", fields.join(", ")),
        "release": small,
        "cases": [{
            "name": format!("differential {runtime} {flag}"),
            "flag": flag,
            "context": probe["context"],
            "at": probe["at"],
            "expected": expected,
        }],
    });
    serde_json::to_string_pretty(&file).unwrap_or_default()
}
