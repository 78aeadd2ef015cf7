//! `fichier sweep [--dry-run]`: the retention sweep, page after page until the customer
//! file is done. Each page is one component call and one SQLite transaction (each subject
//! in it changes with one compare-and-swap; the page commits whole or not at all), so
//! stopping the command anywhere and running it again is safe. No rule lives here.

use std::process::ExitCode;

use clap::Args;
use fichier_host::Runtime;
use serde_json::{Value, json};

use crate::call::{Failure, Output, call, s, with_damaged};

#[derive(Args)]
pub struct SweepArgs {
    /// Only list what would happen to whom and why; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Records per component call (1–1000).
    #[arg(long, default_value_t = 500)]
    page: u32,
    /// List prospects for a re-permission request this many days before their data ends.
    #[arg(long, default_value_t = 30)]
    repermission_days: u32,
}

/// "customer-management: 36 months from end-of-contract, then delete (hold: …)".
fn why(e: &Value) -> String {
    let r = &e["rule"];
    if r.is_null() {
        return match s(&e["action"]).as_str() {
            "no-rule" => "no activity of the register covers this field's purposes and category".into(),
            "delete-record" => "nothing in use nor archived is left".into(),
            "restricted" => "processing is restricted (Art. 18): the record is only stored".into(),
            _ => format!("archive term of {}", s(&e["activity"])),
        };
    }
    let hold = r["legal-hold"]["fr"].as_str().map(|h| format!("; legal hold: {h}")).unwrap_or_default();
    format!(
        "{}: {} data kept {} months from {}, then {}{hold}",
        s(&e["activity"]),
        s(&r["category"]),
        r["months"],
        s(&r["start"]),
        s(&r["action"])
    )
}

fn line(e: &Value) -> String {
    let target = match (e["field"].as_str(), e["purpose"].as_str()) {
        (Some(f), Some(p)) => format!("{f} (purpose {p})"),
        (Some(f), None) => f.to_string(),
        (None, Some(p)) => format!("(purpose {p})"),
        (None, None) => "(record)".into(),
    };
    let due = e["due"].as_str().map(|d| format!(" due {d}")).unwrap_or_default();
    format!("{} {:<15} {target}{due} — {}", s(&e["subject"]), s(&e["action"]), why(e))
}

pub fn sweep(a: &SweepArgs, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let apply = !a.dry_run;
    let mut cursor: Option<String> = None;
    let (mut entries, mut damaged, mut scanned, mut changed) = (Vec::new(), Vec::new(), 0u64, 0u64);
    loop {
        let options = json!({
            "apply": apply,
            "cursor": cursor,
            "limit": a.page,
            "repermission-days": a.repermission_days,
        });
        let r = call(rt, "retention", "sweep", &[actor.clone(), options])?;
        scanned += r["scanned"].as_u64().unwrap_or(0);
        changed += r["changed"].as_u64().unwrap_or(0);
        entries.extend(r["entries"].as_array().into_iter().flatten().cloned());
        damaged.extend(r["damaged"].as_array().into_iter().flatten().cloned());
        match r["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let count = |action: &str| entries.iter().filter(|e| e["action"] == json!(action)).count();
    let summary = format!(
        "{} {scanned} records{}: {} deleted, {} anonymised, {} archived, {} deleted from the archive, {} purposes ended, \
         {} records deleted, {} re-permission requests to send, {} fields no rule covers, {} restricted records left alone",
        if apply { "swept" } else { "dry run over" },
        if apply { format!(" ({changed} changed)") } else { String::new() },
        count("delete"),
        count("anonymise"),
        count("archive"),
        count("delete-archived"),
        count("end-purpose"),
        count("delete-record"),
        count("repermission"),
        count("no-rule"),
        count("restricted"),
    );
    let mut human: Vec<String> = entries.iter().map(line).collect();
    human.push(summary);
    let human = with_damaged(human.join("\n"), &json!(damaged));
    let out = json!({"applied": apply, "scanned": scanned, "changed": changed, "entries": entries, "damaged": damaged});
    Output::new(&out, human).done(as_json)
}
