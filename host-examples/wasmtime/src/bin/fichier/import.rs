//! `fichier import FILE`: a shop's CSV export into the customer file, chunk by chunk
//! (`fichier_host::import`), with progress on stderr and the report on stdout. The file
//! and the mapping are checked before the store is opened. No rule lives here, and
//! nothing is kept per row: the report is the component's (counts per rule, examples).
//!
//! Exit codes: 0 the import is done (some rows may be refused); 1 the host failed (run
//! the same command again to resume); 2 the input was refused — the command or the
//! mapping (nothing started), the options or a chunk (the component named the field and
//! the rule), or every row of the file; 3 stored data, the store or the configuration.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use fichier_host::Runtime;
use fichier_host::bindings::{customer_import, minimisation, types};
use fichier_host::import::{self, ImportError, ImportRequest, Progress};
use serde_json::{Value, json};

use crate::call::{Failure, Output, s, write_file};
use crate::{Cli, Role};

#[derive(Args)]
pub struct ImportArgs {
    /// The CSV file (a WooCommerce customer export works as it is).
    file: PathBuf,
    /// A TOML mapping of columns to fields (see docs/import.md).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// utf8 (default) or latin1 (Windows-1252).
    #[arg(long)]
    encoding: Option<String>,
    /// , ; or tab (default: guessed from the header).
    #[arg(long)]
    delimiter: Option<String>,
    /// The declared purposes the imported fields serve.
    #[arg(long = "purpose")]
    purposes: Vec<String>,
    /// Their lawful basis (default contract).
    #[arg(long)]
    basis: Option<String>,
    /// The third party the data came from, if it is not the people themselves.
    #[arg(long)]
    source: Option<String>,
    /// Bytes per chunk, in KiB (each chunk is one transaction).
    #[arg(long, default_value_t = fichier_host::import::DEFAULT_CHUNK / 1024)]
    chunk_kib: usize,
    /// Write the report as JSON here: the counts, every issue counted per rule, and the
    /// first rejected rows and redactions of each rule with their line and column.
    #[arg(long)]
    report: Option<PathBuf>,
    /// How many rejected rows and redactions of each rule the report keeps as examples
    /// (0–100; default 20). Every one is counted whatever this is.
    #[arg(long)]
    examples_per_rule: Option<u32>,
}

impl From<Role> for types::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => types::Role::Admin,
            Role::Dpo => types::Role::Dpo,
            Role::Support => types::Role::Support,
            Role::System => types::Role::System,
            Role::Public => types::Role::Public,
        }
    }
}

pub fn import(
    a: &ImportArgs,
    cli: &Cli,
    runtime: impl FnOnce() -> Result<Runtime, Failure>,
) -> Result<ExitCode, Failure> {
    std::fs::metadata(&a.file).map_err(|e| Failure::Host(format!("{}: {e}", a.file.display())))?;
    if let Some(m) = &a.mapping {
        import::MappingFile::read(m).map_err(|e| Failure::Host(e.to_string()))?;
    }
    let req = ImportRequest {
        file: a.file.clone(),
        mapping: a.mapping.clone(),
        encoding: a.encoding.clone(),
        delimiter: a.delimiter.clone(),
        purposes: a.purposes.clone(),
        basis: a.basis.clone(),
        source: a.source.clone(),
        chunk: a.chunk_kib.saturating_mul(1024),
        examples_per_rule: a.examples_per_rule,
    };
    // A usage error (no purpose named, an unknown encoding…) stops here: nothing is created.
    match import::check(&req) {
        Ok(()) => {}
        Err(ImportError::Usage(m)) => {
            eprintln!("fichier: import not started: {m}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(Failure::Host(e.to_string())),
    }
    let rt = runtime()?;
    let actor = types::Actor { id: cli.actor.clone(), role: cli.role.into() };
    let terminal = std::io::stderr().is_terminal() && !cli.json;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut rows_seen = 0u64;
    let mut next_line_at = 0u64;
    let result = import::run(&rt, &actor, &req, &mut |p| match p {
        Progress::Started { session, offset, total, done } => {
            if done {
                eprintln!(
                    "this file was already imported with these options (session {session}): nothing to do; \
                     the report is that import's"
                );
            } else if offset > 0 {
                eprintln!("resuming import {session} at byte {offset} of {total}");
            } else if !cli.json {
                eprintln!(
                    "import {session}: if it is interrupted, run the same command again to resume after the last \
                     committed chunk"
                );
            }
            if terminal {
                let b = indicatif::ProgressBar::new(total);
                b.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b.set_position(offset);
                bar = Some(b);
            }
        }
        Progress::Chunk { offset, total, rows, .. } => {
            rows_seen += u64::from(rows);
            match &bar {
                Some(b) => {
                    b.set_position(offset);
                    b.set_message(format!("{rows_seen} rows"));
                }
                None if !cli.json && (offset >= next_line_at || offset >= total) => {
                    eprintln!("import: {offset}/{total} bytes, {rows_seen} rows");
                    next_line_at = offset + total / 10;
                }
                None => {}
            }
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(ImportError::Usage(m)) => {
            eprintln!("fichier: import not started: {m}");
            return Ok(ExitCode::from(2));
        }
        Err(ImportError::Options(e)) => {
            eprintln!("fichier: import not started: {}", import::describe(&e));
            eprintln!("fichier: nothing was written; correct the options or the mapping and run the command again");
            return Ok(ExitCode::from(if import::is_input_error(&e) { 2 } else { 3 }));
        }
        Err(ImportError::Component(e)) => {
            eprintln!("fichier: import stopped: {}", import::describe(&e));
            eprintln!(
                "fichier: every row before the failing chunk is committed; fix the file and run the same command again \
                 (rows already imported are recognised and left unchanged)"
            );
            return Ok(ExitCode::from(if import::is_input_error(&e) { 2 } else { 3 }));
        }
        Err(e) => {
            return Err(Failure::Host(format!(
                "import stopped: {e}\nrun the same command again to resume after the last committed chunk"
            )));
        }
    };
    let issue = |i: &customer_import::RowIssue| json!({"line": i.line, "column": i.column, "rule": i.rule, "message": i.message});
    let issues: Vec<Value> = report.issues.iter().map(issue).collect();
    let issue_counts: Vec<Value> =
        report.issue_counts.iter().map(|c| json!({"rule": c.rule, "count": c.count})).collect();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({"rule": f.rule, "severity": match f.severity {
                minimisation::Severity::Block => "block",
                minimisation::Severity::Warn => "warn",
                minimisation::Severity::Info => "info",
            }, "count": f.count})
        })
        .collect();
    let dropped: Vec<Value> =
        report.dropped.iter().map(|d| json!({"column": d.column, "rule": d.rule, "message": d.message})).collect();
    let full = json!({
        "session": report.id, "name": report.name, "rows": report.rows, "imported": report.imported,
        "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected,
        "redacted": report.redacted, "done": report.done, "dropped": dropped, "findings": findings,
        "issue-counts": issue_counts, "issues": issues, "started-at": report.started_at,
        "updated-at": report.updated_at,
    });
    if let Some(path) = &a.report {
        write_file(path, &serde_json::to_vec_pretty(&full).unwrap_or_default())?;
    }
    let mut human = format!(
        "{}: {} rows — {} imported, {} updated (same e-mail), {} unchanged, {} rejected; {} values redacted",
        report.name, report.rows, report.imported, report.updated, report.unchanged, report.rejected, report.redacted
    );
    for d in &report.dropped {
        human.push_str(&format!("\n  dropped column {:<24} [{}] {}", d.column, d.rule, d.message));
    }
    for f in &findings {
        human.push_str(&format!("\n  finding {:<32} {:<5} x{}", s(&f["rule"]), s(&f["severity"]), f["count"]));
    }
    for c in &report.issue_counts {
        human.push_str(&format!("\n  issue   {:<32} x{}", c.rule, c.count));
    }
    for i in issues.iter().take(20) {
        human.push_str(&format!(
            "\n  line {:<6} {:<20} [{}] {}",
            i["line"],
            s(&i["column"]),
            s(&i["rule"]),
            s(&i["message"])
        ));
    }
    if issues.len() > 20 {
        human.push_str(&format!(
            "\n  … {} more examples (--report FILE writes them; --examples-per-rule sets how many)",
            issues.len() - 20
        ));
    }
    let every_row_refused = report.rows > 0 && report.rejected == report.rows;
    let code = Output::new(&full, human).done(cli.json)?;
    if every_row_refused {
        eprintln!(
            "fichier: every row of the file was refused ({} rows): nothing was imported; the report counts them per rule",
            report.rows
        );
        return Ok(ExitCode::from(2));
    }
    Ok(code)
}
