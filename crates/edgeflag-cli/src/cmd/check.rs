//! `edgeflag check`: the release checklist, flag by flag.

use std::path::Path;

use edgeflag::{Check, CheckStatus};

use crate::error::{CliError, Result};
use crate::{io, out};

fn label(c: Check) -> &'static str {
    match c {
        Check::ReleaseOwner => "release owner",
        Check::IncidentChannel => "incident channel",
        Check::Owner => "owner",
        Check::Description => "description",
        Check::Runbook => "runbook",
        Check::RollbackVariant => "rollback variant",
        Check::RollbackSteps => "rollback steps",
        Check::StagedPlan => "staged plan",
        _ => "check",
    }
}

fn mark(s: &CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "ok",
        CheckStatus::Fail(_) => "FAIL",
        CheckStatus::NotApplicable(_) => "n/a",
    }
}

pub fn run(path: &Path, json: bool) -> Result<()> {
    let release = io::read_release(path)?;
    let report = edgeflag::check(&release);
    if json {
        io::print_json(&report)?;
    } else {
        outln!("release checklist: {} ({})", report.release, path.display());
        let mut header = vec!["flag"];
        header.extend(Check::FLAG.iter().map(|c| label(*c)));
        header.push("clients");
        let rows: Vec<Vec<String>> = report
            .flags
            .iter()
            .map(|f| {
                let mut row = vec![f.flag.clone()];
                row.extend(
                    Check::FLAG
                        .iter()
                        .map(|c| f.status(*c).map_or("", mark).to_owned()),
                );
                let clients: Vec<&str> = f.clients.iter().map(|a| a.name()).collect();
                row.push(clients.join("+"));
                row
            })
            .collect();
        out::table(&header, &rows);
        let mut problems = Vec::new();
        for item in &report.release_items {
            if let CheckStatus::Fail(m) = &item.status {
                problems.push(format!("release: {}: {m}", label(item.check)));
            }
        }
        for f in &report.flags {
            for item in &f.items {
                if let CheckStatus::Fail(m) = &item.status {
                    problems.push(format!("{}: {}: {m}", f.flag, label(item.check)));
                }
            }
        }
        if !problems.is_empty() {
            outln!("\nviolations:");
            for p in &problems {
                outln!("  - {p}");
            }
        }
        let s = &report.summary;
        outln!(
            "\n{} of {} flag(s) pass; {} violation(s): {}",
            s.flags_passing,
            s.flags,
            s.violations,
            if report.passed() {
                "ready to build"
            } else {
                "fix these before building"
            }
        );
    }
    if report.passed() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "{}: the release checklist fails with {} violation(s)",
            path.display(),
            report.summary.violations
        )))
    }
}
