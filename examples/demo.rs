//! The short demo behind `scripts/start.sh`: the season0 release in production
//! and staging, evaluated for a handful of users at one moment.
//!
//! ```text
//! cargo run --example demo -- [--at 2026-12-02T18:00:00Z] [--env production]
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use edgeflag::{Context, ReleaseFile, Timestamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut now = None;
    let mut envs = vec!["production".to_owned(), "staging".to_owned()];
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--at", Some(t)) => {
                now = Some(
                    Timestamp::parse(&t).ok_or(format!("--at: `{t}` is not an rfc 3339 time"))?,
                )
            }
            ("--env", Some(e)) => envs = vec![e],
            _ => return Err(format!("usage: demo [--at TIME] [--env ENV], not `{arg}`").into()),
        }
    }
    let now = match now {
        Some(t) => t,
        None => Timestamp::from_millis(i64::try_from(
            SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis(),
        )?),
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/season0.toml");
    let release = ReleaseFile::from_toml(&std::fs::read_to_string(path)?)?;
    let users = [
        (
            "a random player",
            Context::with_key("user-8817").with("country", "FR"),
        ),
        ("QA bot", Context::with_key("qa-bot-1")),
        (
            "an employee",
            Context::with_key("user-2").with("email", "kim@example.com"),
        ),
        (
            "legacy Android",
            Context::with_key("user-3")
                .with("platform", "android")
                .with("appVersion", "4.1.9"),
        ),
        (
            "a player in DE",
            Context::with_key("user-4")
                .with("country", "DE")
                .with("accountId", "acct-4"),
        ),
    ];
    for env in envs {
        let snap = release.compile(&env)?;
        println!("{} / {env} at {now}", release.release.name);
        for (who, ctx) in &users {
            println!("  {who}:");
            for (key, r) in snap.evaluate_all(ctx, now) {
                let value = r.value.map(ToString::to_string).unwrap_or_default();
                let why = r.rule.map(|n| format!(" ({n})")).unwrap_or_default();
                println!("    {key:<24} {value:<45} {}{why}", r.reason.name());
            }
        }
    }
    Ok(())
}
