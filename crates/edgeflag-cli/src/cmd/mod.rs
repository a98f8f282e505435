//! One module per command: each converts arguments, calls the core, prints.

mod build;
mod check;
mod eval;
mod guards;
mod keygen;
mod log;
mod notes;
mod promotion;
mod revert;
mod rollback;
mod sign;
mod simulate;
mod status;

use crate::args::{Cli, Command};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Keygen { out, name } => keygen::run(&out, &name, json),
        Command::Check { release } => check::run(&release, json),
        Command::Build(args) => build::run(&args, json),
        Command::Sign { snapshot, key, out } => sign::run(&snapshot, &key, out.as_deref(), json),
        Command::Verify {
            snapshot,
            trust,
            at,
        } => eval::verify(&snapshot, &trust, at.as_deref(), json),
        Command::Eval {
            snapshot,
            trust,
            flag,
            all: _,
            r#type,
            default,
            context,
            at,
        } => eval::run(
            &snapshot,
            &trust,
            &eval::Query {
                flags: &flag,
                context: &context,
                kind: r#type.as_deref(),
                default: default.as_deref(),
                at: at.as_deref(),
            },
            json,
        ),
        Command::Simulate {
            snapshot,
            trust,
            flag,
            users,
            at,
            context,
        } => simulate::simulate(
            &snapshot,
            &trust,
            &flag,
            users,
            at.as_deref(),
            context.as_deref(),
            json,
        ),
        Command::Diff {
            old,
            new,
            trust,
            users,
            at,
            context,
        } => simulate::diff(
            &old,
            &new,
            &trust,
            users,
            at.as_deref(),
            context.as_deref(),
            json,
        ),
        Command::Status { release, env, at } => status::run(&release, &env, at.as_deref(), json),
        Command::Guards { url, api_key } => guards::run(&url, api_key.as_deref(), json),
        Command::Rollback(args) => rollback::run(&args, json),
        Command::Revert {
            dir,
            to,
            key,
            out,
            trust,
            expires_in,
            force,
            at,
        } => revert::run(
            &revert::RevertArgs {
                dir: &dir,
                to,
                key: &key,
                out: &out,
                trust: &trust.trust,
                expires_in: &expires_in,
                force,
                at: at.as_deref(),
            },
            json,
        ),
        Command::Notes {
            release,
            env,
            at,
            snapshot,
            trust,
        } => {
            let signed = snapshot.as_deref().map(|s| (s, trust.as_slice()));
            notes::run(&release, &env, at.as_deref(), signed, json)
        }
        Command::Log { dir, trust } => log::run(&dir, &trust, json),
    }
}
