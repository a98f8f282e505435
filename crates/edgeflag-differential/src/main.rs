#![doc = include_str!("../README.md")]
// Reading a serde_json `Value` by index gives `Null` for a missing key or
// position, never a panic; the few writes go through `as_object_mut`.
#![allow(clippy::indexing_slicing)]

mod compare;
mod generator;
#[path = "../../../benches/common/workload.rs"]
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use edgeflag::{Context, Policy, PublicKey, Snapshot, Timestamp};
use serde_json::{Value, json};

/// Flags per release, and probes per release at most. Each probe is also
/// asked for one key the release does not have (`FLAG_NOT_FOUND`, the
/// caller's default): 41 cases per probe, 51,250 per release.
const FLAGS: usize = 40;
const PROBES: usize = 1250;
const MISSING: &str = "no-such-flag";
/// The fields every runtime reports and the comparison checks, in row order.
pub const FIELDS: [&str; 6] = ["value", "variant", "reason", "error_code", "rule", "stage"];

const USAGE: &str = "usage:
  edgeflag-differential gen --seed N --cases N --out DIR
  edgeflag-differential native --dir DIR --key PUBLIC.pem
  edgeflag-differential compare --dir DIR --runtimes node,chromium,worker";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("edgeflag-differential: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let opt = |name: &str| -> Result<&str, String> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
            .ok_or_else(|| format!("missing {name}\n{USAGE}"))
    };
    let number = |name: &str| -> Result<u64, String> {
        opt(name)?
            .parse()
            .map_err(|_| format!("{name} takes a whole number"))
    };
    let done = |r: Result<(), String>| r.map(|()| ExitCode::SUCCESS);
    match args.first().map(String::as_str) {
        Some("gen") => done(generate(
            number("--seed")?,
            number("--cases")? as usize,
            Path::new(opt("--out")?),
        )),
        Some("native") => done(native(Path::new(opt("--dir")?), Path::new(opt("--key")?))),
        Some("compare") => {
            let runtimes: Vec<&str> = opt("--runtimes")?.split(',').collect();
            let agreed = compare::run(Path::new(opt("--dir")?), &runtimes)?;
            Ok(if agreed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        _ => Err(USAGE.to_owned()),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn json_of(path: &Path) -> Result<Value, String> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The lines of a JSON-lines file, parsed.
pub fn lines_of(path: &Path) -> Result<Vec<Value>, String> {
    read(path)?
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// `plan.json`, each release's flags and the probe count, for the runners.
fn generate(seed: u64, cases: usize, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut g = generator::Gen::new(seed);
    let mut releases = Vec::new();
    let mut left = cases;
    let keys = FLAGS + 1;
    while left > 0 {
        let probes = PROBES.min(left.div_ceil(keys));
        let name = format!("r{}", releases.len());
        let release = g.release(&format!("differential-{seed}-{name}"), FLAGS);
        // Valid by construction: a refusal here is a generator bug.
        let text = release.to_string();
        let checked = edgeflag::ReleaseFile::from_json(&text)
            .and_then(|r| r.validate().map(|()| r))
            .and_then(|r| r.compile("production"));
        if let Err(e) = checked {
            return Err(format!(
                "generated release {name} is invalid (a generator bug): {e}"
            ));
        }
        write(&out.join(format!("{name}.release.json")), &text)?;
        let lines: Vec<String> = (0..probes).map(|_| g.probe().to_string()).collect();
        write(
            &out.join(format!("{name}.probes.jsonl")),
            &(lines.join("\n") + "\n"),
        )?;
        let mut flags: Vec<String> = (0..FLAGS).map(|i| format!("f{i}")).collect();
        flags.push(MISSING.to_owned());
        releases.push(json!({ "name": name, "flags": flags, "probes": probes }));
        left = left.saturating_sub(probes * keys);
    }
    let total: usize = releases
        .iter()
        .filter_map(|r| r["probes"].as_u64())
        .sum::<u64>() as usize
        * keys;
    let plan = json!({ "seed": seed, "cases": total, "releases": releases });
    write(&out.join("plan.json"), &plan.to_string())?;
    println!(
        "{total} cases: {} releases of {FLAGS} flags (and one missing key) in {}",
        releases.len(),
        out.display()
    );
    Ok(())
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

/// The plan's releases: name, flag keys, probe count.
pub fn releases(dir: &Path) -> Result<Vec<(String, Vec<String>)>, String> {
    let plan = json_of(&dir.join("plan.json"))?;
    let list = plan["releases"]
        .as_array()
        .ok_or("plan.json: no releases")?;
    Ok(list
        .iter()
        .map(|r| {
            let flags = r["flags"].as_array().map(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
            (
                r["name"].as_str().unwrap_or_default().to_owned(),
                flags.unwrap_or_default(),
            )
        })
        .collect())
}

/// Each release's signed snapshot through the core's acceptance policy, then
/// every probe and flag as the vector suite evaluates them.
fn native(dir: &Path, key: &Path) -> Result<(), String> {
    let trusted = PublicKey::all_from_pem(&read(key)?).map_err(|e| e.to_string())?;
    let out = results_dir(dir, "native")?;
    let (started, mut cases) = (std::time::Instant::now(), 0usize);
    for (name, flags) in releases(dir)? {
        let envelope = read(&dir.join(format!("{name}.snapshot.json")))?;
        let policy = Policy::new(trusted.clone(), now()).for_environment("production");
        let snap = edgeflag::verify(envelope.as_bytes(), &policy)
            .map_err(|e| format!("{name}: {e}"))?
            .snapshot;
        let mut rows = String::new();
        for probe in lines_of(&dir.join(format!("{name}.probes.jsonl")))? {
            let row: Vec<Value> = flags.iter().map(|f| evaluate(&snap, f, &probe)).collect();
            cases += row.len();
            rows.push_str(&Value::Array(row).to_string());
            rows.push('\n');
        }
        write(&out.join(format!("{name}.jsonl")), &rows)?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("native: {cases} cases evaluated in {secs:.1} s");
    Ok(())
}

pub fn results_dir(dir: &Path, runtime: &str) -> Result<PathBuf, String> {
    let out = dir.join("results").join(runtime);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

/// One case's row: [value, variant, reason, error_code, rule, stage].
fn evaluate(snap: &Snapshot, flag: &str, probe: &Value) -> Value {
    let at = probe["at"].as_str().and_then(Timestamp::parse);
    let ctx = Context::from_json(&probe["context"]);
    let (Some(at), Some(ctx)) = (at, ctx) else {
        return json!(["native cannot read the probe"]);
    };
    let typed = match snap.resolve_or(flag, &ctx, at, None, Value::Null) {
        Ok(t) => t,
        Err(e) => return json!([format!("native: {e}")]),
    };
    let detail = serde_json::to_value(&typed.detail).unwrap_or(Value::Null);
    let mut row = vec![typed.value];
    row.extend(
        FIELDS
            .iter()
            .skip(1)
            .map(|f| detail.get(*f).cloned().unwrap_or(Value::Null)),
    );
    Value::Array(row)
}
