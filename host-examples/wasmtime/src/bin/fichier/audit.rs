//! `fichier audit verify|export|prune`: the audit log's commands. No rule lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use fichier_host::Runtime;
use serde_json::{Value, json};

use crate::call::{Failure, Output, call, s, write_stdout};

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check every entry's hash and the links between segments (exit 1 on a failure).
    Verify,
    /// Write every kept entry, oldest first, as JSON or CSV.
    Export {
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Remove whole segments older than the policy's audit-retention-days.
    Prune,
}

// The host's own formats for the audit export (no WIT type: the host writes it).
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Format {
    Json,
    Csv,
}

const COLUMNS: [&str; 8] = ["seq", "at", "actor", "role", "action", "target", "detail", "hash"];

fn csv(entries: &[Value]) -> Result<Vec<u8>, Failure> {
    let fail = |e: csv::Error| Failure::Host(format!("writing CSV: {e}"));
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(fail)?;
    for e in entries {
        w.write_record([
            e["seq"].to_string(),
            s(&e["at"]),
            s(&e["actor"]["id"]),
            s(&e["actor"]["role"]),
            s(&e["action"]),
            s(&e["target"]),
            s(&e["detail"]),
            s(&e["hash"]),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| Failure::Host(format!("writing CSV: {e}")))
}

pub fn audit(c: &AuditCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    match c {
        AuditCmd::Verify => {
            let r = call(rt, "audit", "verify", &[actor])?;
            let ok = r["ok"] == json!(true);
            let mut human = format!(
                "{}: {} entries in {} segments (seq {} to {}), last hash {}",
                if ok { "audit log verified" } else { "AUDIT LOG FAILS VERIFICATION" },
                r["entries"],
                r["segments"],
                r["first-seq"],
                r["last-seq"],
                s(&r["last-hash"])
            );
            if let Some(p) = r["pruned-through"].as_u64() {
                human.push_str(&format!("; entries up to {p} pruned"));
            }
            for f in r["failures"].as_array().into_iter().flatten() {
                human.push_str(&format!(
                    "\n  segment {} entry {}: [{}] {}",
                    f["segment"],
                    f["seq"],
                    s(&f["rule"]),
                    s(&f["message"])
                ));
            }
            Output::new(&r, human).print(as_json);
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        AuditCmd::Export { format, out } => {
            let mut entries = Vec::new();
            let mut after: Option<u64> = None;
            loop {
                let page = call(rt, "audit", "entries", &[actor.clone(), json!(after), json!(1000)])?;
                entries.extend(page["entries"].as_array().into_iter().flatten().cloned());
                match page["next"].as_u64() {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            let bytes = match format {
                Format::Json => {
                    let mut b = serde_json::to_vec_pretty(&entries).map_err(|e| Failure::Host(e.to_string()))?;
                    b.push(b'\n');
                    b
                }
                Format::Csv => csv(&entries)?,
            };
            match out {
                Some(path) => {
                    std::fs::write(path, &bytes).map_err(|e| Failure::Host(format!("{}: {e}", path.display())))?;
                    eprintln!("{} entries written to {}", entries.len(), path.display());
                }
                None => write_stdout(&bytes),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Prune => {
            let n = call(rt, "audit", "prune", &[actor])?;
            Output::new(&json!({"pruned": n}), format!("{n} entries pruned")).done(as_json)
        }
    }
}
