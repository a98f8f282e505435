#![doc = include_str!("../README.md")]

// First: the output macros are used by every module after it.
#[macro_use]
mod out;
mod args;
mod cmd;
mod error;
mod io;

use std::process::ExitCode;

use clap::Parser;

use crate::error::CliError;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result: anyhow::Result<()> = cmd::run(cli).map_err(anyhow::Error::from);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgeflag: {e:#}");
            // 1: a check failed or a snapshot was rejected; 2: usage or input errors.
            match e.downcast_ref::<CliError>() {
                Some(CliError::Failed(_)) => ExitCode::from(1),
                _ => ExitCode::from(2),
            }
        }
    }
}
