//! `fichier customers …`, `check …`, `subjects` and `reindex`: the customer file, the
//! minimisation checks, and the subjects and indexes behind them. No rule lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use fichier_host::Runtime;
use serde_json::{Value, json};

use crate::call::{Failure, Output, SubjectArgs, call, findings, paged, read_json, read_text, rows, s, with_damaged};
use crate::wit::WitName;

#[derive(Subcommand)]
pub enum CustomersCmd {
    /// Create a customer: --field name=value (repeat), each serving --purpose on --basis.
    Create {
        #[command(flatten)]
        who: SubjectArgs,
        /// A field, as name=value (well-known names: email, phone, given-name, family-name,
        /// birth-date, address-line1, address-line2, postal-code, city, country, company,
        /// customer-number).
        #[arg(long = "field", required = true)]
        fields: Vec<String>,
        /// The declared purposes the fields serve.
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        #[arg(long, default_value = "contract")]
        basis: String,
    },
    /// Show a customer record.
    Get(SubjectArgs),
    /// Rectify fields (the previous values stay in the history).
    Rectify {
        #[command(flatten)]
        who: SubjectArgs,
        #[arg(long = "field")]
        fields: Vec<String>,
        /// A field to remove.
        #[arg(long = "remove")]
        remove: Vec<String>,
        #[arg(long = "purpose")]
        purposes: Vec<String>,
        #[arg(long, default_value = "contract")]
        basis: String,
    },
    /// A record's history.
    History(SubjectArgs),
    /// Delete a record (consent receipts stay).
    Delete(SubjectArgs),
    /// Customers by page; with --all, every page after the cursor, each record printed as
    /// its page arrives (a JSON object per line with --json).
    List {
        #[arg(long)]
        cursor: Option<String>,
        /// Records per page (1–1 000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Walk the whole file (from --cursor), --limit records per component call.
        #[arg(long)]
        all: bool,
    },
    /// Pairs of records that may be one person, for review (nothing is merged): a line per
    /// pair as each page arrives (a JSON object per line with --json).
    Duplicates {
        /// Resume after this cursor (printed when the command is interrupted: `next`).
        #[arg(long)]
        cursor: Option<String>,
        /// Candidate pairs examined per component call (1–100 000); each call reads the
        /// whole file once.
        #[arg(long, default_value_t = 100_000)]
        page: u32,
    },
    /// Merge one record into another (e-mail, s-… subject id or customer number).
    Merge {
        #[arg(long)]
        keep: String,
        #[arg(long)]
        absorb: String,
    },
    /// Records to re-verify: stale fields and bounced e-mails.
    Review {
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Record that mail to the customer bounced.
    Bounced(SubjectArgs),
    /// Record that the person confirmed fields now (all without --field).
    Reverify {
        #[command(flatten)]
        who: SubjectArgs,
        #[arg(long = "field")]
        fields: Vec<String>,
    },
    /// Record an event that starts a retention period: a contact the person initiated, or
    /// the end of the relationship.
    Event {
        #[command(flatten)]
        who: SubjectArgs,
        #[arg(long, value_enum)]
        kind: EventKind,
        /// When (RFC 3339), if not now.
        #[arg(long)]
        at: Option<String>,
    },
    /// What the intermediate archive holds for a customer (DPO and admin only).
    Archived(SubjectArgs),
}

// WIT `customers.customer-event`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum EventKind {
    /// An order, a reply, a click (an opened e-mail does not count).
    Contact,
    RelationshipEnded,
    /// A login to the online account (restarts the account's inactivity only).
    Login,
}

#[derive(Subcommand)]
pub enum CheckCmd {
    /// Check a form: a JSON list of {name, label, field-type, required, purposes, and optionally
    /// handling (stored, hashed, transient; default stored) and checked (default false)}.
    Form { file: PathBuf },
    /// Check a record: a JSON list of {name, value, category, purposes}.
    Record { file: PathBuf },
    /// Find personal data hidden in a text file.
    Text { file: PathBuf },
    /// Which kinds of identifier a value is valid as (nir, iban, card-number, siren, siret,
    /// phone-fr, phone-international, email); quote it when it has spaces.
    Identifier { value: String },
}

#[derive(Args)]
pub struct SubjectsArgs {
    #[arg(long)]
    cursor: Option<String>,
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// A subject named on the command line: an e-mail, an `s-…` id, or a customer number.
fn subject_value(v: &str) -> Value {
    if v.contains('@') {
        json!({"tag": "email", "val": v})
    } else if v.starts_with("s-") && v.len() == 28 {
        json!({"tag": "subject", "val": v})
    } else {
        json!({"tag": "external", "val": v})
    }
}

/// `name=value` pairs as field inputs.
fn field_inputs(pairs: &[String], purposes: &[String], basis: &str) -> Result<Vec<Value>, Failure> {
    pairs
        .iter()
        .map(|p| {
            let (name, value) =
                p.split_once('=').ok_or_else(|| Failure::Host(format!("--field {p}: expected name=value")))?;
            Ok(json!({
                "name": name, "value": value, "category": null, "purposes": purposes, "basis": basis,
                "source": null, "collected-at": null, "verified-at": null,
            }))
        })
        .collect()
}

fn customer_text(c: &Value) -> String {
    let mut out =
        format!("customer {} (revision {}, created {})", s(&c["subject"]), c["revision"], s(&c["created-at"]));
    if let Some(b) = c["email-bounced-at"].as_str() {
        out.push_str(&format!("\n  e-mail bounced at {b}"));
    }
    for f in c["fields"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n  {:<16} {:<32} [{}; {}; {}; verified {}]",
            s(&f["name"]),
            s(&f["value"]),
            s(&f["category"]),
            f["purposes"].as_array().map(|p| p.iter().map(s).collect::<Vec<_>>().join(",")).unwrap_or_default(),
            s(&f["basis"]),
            s(&f["verified-at"])
        ));
    }
    for (label, key) in [
        ("last contact", "last-contact-at"),
        ("relationship ended", "relationship-ended-at"),
        ("last login", "last-login-at"),
    ] {
        if let Some(t) = c[key].as_str() {
            out.push_str(&format!("\n  {label} {t}"));
        }
    }
    if let Some(m) = c["merged-from"].as_array().filter(|m| !m.is_empty()) {
        out.push_str(&format!("\n  merged from {}", m.iter().map(s).collect::<Vec<_>>().join(", ")));
    }
    out
}

pub fn customers(c: &CustomersCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let who = SubjectArgs::json;
    match c {
        CustomersCmd::Create { who: w, fields, purposes, basis } => {
            let r = call(rt, "customers", "create", &[actor, who(w)?, json!(field_inputs(fields, purposes, basis)?)])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Get(w) => {
            let r = call(rt, "customers", "get", &[actor, who(w)?])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Rectify { who: w, fields, remove, purposes, basis } => {
            if !fields.is_empty() && purposes.is_empty() {
                return Err(Failure::Host("name the purposes the new values serve with --purpose".into()));
            }
            let set = json!(field_inputs(fields, purposes, basis)?);
            let r = call(rt, "customers", "rectify", &[actor, who(w)?, set, json!(remove)])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::History(w) => {
            let h = call(rt, "customers", "history", &[actor, who(w)?])?;
            Output::new(
                &h,
                rows(&h, |e| {
                    format!(
                        "{} {:<10} {:<16} {} -> {} by {}{}",
                        s(&e["at"]),
                        s(&e["reason"]),
                        s(&e["field"]),
                        s(&e["previous"]),
                        s(&e["value"]),
                        s(&e["by"]["id"]),
                        e["from-subject"].as_str().map(|f| format!(" (from {f})")).unwrap_or_default()
                    )
                }),
            )
        }
        CustomersCmd::Delete(w) => {
            let r = call(rt, "customers", "delete", &[actor, who(w)?])?;
            Output::new(&r, if r == json!(true) { "deleted" } else { "no such record (nothing to delete)" })
        }
        CustomersCmd::List { cursor, limit, all: true } => return list_all(rt, actor, cursor.clone(), *limit, as_json),
        CustomersCmd::List { cursor, limit, all: false } => {
            let r = call(rt, "customers", "list-customers", &[actor, json!(cursor), json!(limit)])?;
            Output::new(&r, with_damaged(paged(rows(&r["customers"], customer_text), &r["next"]), &r["damaged"]))
        }
        CustomersCmd::Duplicates { cursor, page } => return duplicates(rt, actor, cursor.clone(), *page, as_json),
        CustomersCmd::Merge { keep, absorb } => {
            let r = call(rt, "customers", "merge", &[actor, subject_value(keep), subject_value(absorb)])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Review { cursor, limit } => {
            let r = call(rt, "customers", "review", &[actor, json!(cursor), json!(limit)])?;
            let human = rows(&r["entries"], |e| {
                let fields: Vec<String> = e["stale"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| format!("{} (due {})", s(&f["field"]), s(&f["due-at"])))
                    .collect();
                let bounced =
                    e["email-bounced-at"].as_str().map(|b| format!(" e-mail bounced {b};")).unwrap_or_default();
                format!("{}{} {}", s(&e["subject"]), bounced, fields.join(", "))
            });
            Output::new(&r, with_damaged(paged(human, &r["next"]), &r["damaged"]))
        }
        CustomersCmd::Bounced(w) => {
            let r = call(rt, "customers", "mark-bounced", &[actor, who(w)?])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Reverify { who: w, fields } => {
            let r = call(rt, "customers", "reverify", &[actor, who(w)?, json!(fields)])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Event { who: w, kind, at } => {
            let r = call(rt, "customers", "record-event", &[actor, who(w)?, json!(kind.wit()), json!(at)])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Archived(w) => {
            let r = call(rt, "customers", "archived", &[actor, who(w)?])?;
            let human = rows(&r, |a| {
                format!(
                    "{:<16} {:<32} [{}] archived {} until {} ({})",
                    s(&a["field"]["name"]),
                    s(&a["field"]["value"]),
                    s(&a["field"]["category"]),
                    s(&a["archived-at"]),
                    s(&a["until"]),
                    s(&a["activity"])
                )
            });
            Output::new(&r, human)
        }
    }
    .done(as_json)
}

/// `customers duplicates`: each pair printed as its page arrives.
fn duplicates(
    rt: &Runtime,
    actor: Value,
    cursor: Option<String>,
    page: u32,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let line = |p: &Value| {
        format!(
            "{:<22} {} {}{}",
            s(&p["reason"]),
            s(&p["a"]),
            s(&p["b"]),
            p["distance"].as_u64().map(|d| format!(" (distance {d})")).unwrap_or_default()
        )
    };
    pages(rt, ("find-duplicates", "pairs"), actor, cursor, page, line, as_json)
}

/// `customers list --all`: each record printed as its page arrives.
fn list_all(
    rt: &Runtime,
    actor: Value,
    cursor: Option<String>,
    limit: u32,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    pages(rt, ("list-customers", "customers"), actor, cursor, limit, customer_text, as_json)
}

/// Call `customers.<function>(actor, cursor, per_page)` page after page from `cursor`,
/// printing each item of the answer's `items` member as its page arrives (a JSON object
/// per line with `--json`, else `line`) and each record that did not open (`{"damaged":
/// …}`), so the command holds one page at a time whatever the size of the file; `(none)`
/// when no page had any item. A closed output ends it quietly.
fn pages(
    rt: &Runtime,
    (function, items): (&str, &str),
    actor: Value,
    mut cursor: Option<String>,
    per_page: u32,
    line: impl Fn(&Value) -> String,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut any = false;
    loop {
        let r = call(rt, "customers", function, &[actor.clone(), json!(cursor), json!(per_page)])?;
        for item in r[items].as_array().into_iter().flatten() {
            any = true;
            let text = if as_json { item.to_string() } else { line(item) };
            if writeln!(out, "{text}").is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
        for d in r["damaged"].as_array().into_iter().flatten() {
            let text =
                if as_json { json!({"damaged": d}).to_string() } else { with_damaged(String::new(), &json!([d])) };
            let _ = writeln!(out, "{text}");
        }
        let _ = out.flush();
        match r["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    if !any && !as_json {
        let _ = writeln!(out, "(none)");
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}

/// `check …`: the file is read (and, for JSON, parsed) before the store is opened; exit 1
/// when a finding blocks. `check identifier` prints one line per kind the value is valid as.
pub fn check(
    c: &CheckCmd,
    runtime: impl FnOnce() -> Result<Runtime, Failure>,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let args = match c {
        CheckCmd::Form { file } | CheckCmd::Record { file } => vec![actor, read_json(file)?],
        CheckCmd::Text { file } => {
            let text = read_text(file)?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            vec![actor, json!(name), json!(text)]
        }
        CheckCmd::Identifier { value } => vec![actor, json!(value)],
    };
    let rt = runtime()?;
    let func = match c {
        CheckCmd::Form { .. } => "check-form",
        CheckCmd::Record { .. } => "check-record",
        CheckCmd::Text { .. } => "scan-text",
        CheckCmd::Identifier { .. } => "check-identifier",
    };
    let r = call(&rt, "minimisation", func, &args)?;
    if let CheckCmd::Identifier { .. } = c {
        let human = rows(&r, |m| {
            let mut line = s(&m["kind"]);
            if let Some(n) = m["normalized"].as_str() {
                line.push_str(&format!(" {n}"));
            }
            if let Some(d) = m["detail"].as_str() {
                line.push_str(&format!(" ({d})"));
            }
            line
        });
        return Output::new(&r, human).done(as_json);
    }
    findings(
        &r,
        |f| {
            let span = match &f["span"] {
                Value::Object(sp) => format!(" @{}..{}", sp["start"], sp["end"]),
                _ => String::new(),
            };
            format!(
                "{:<5} {:<20} {:<32}{} {}\n      {}\n      fix: {}",
                s(&f["severity"]),
                s(&f["field"]),
                s(&f["rule"]),
                span,
                s(&f["source"]),
                s(&f["message"]),
                s(&f["fix"])
            )
        },
        as_json,
    )
}

/// `subjects`: every subject (opaque ids), by page.
pub fn subjects(a: &SubjectsArgs, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let r = call(rt, "maintenance", "list-subjects", &[actor, json!(a.cursor), json!(a.limit)])?;
    Output::new(&r, paged(rows(&r[0], s), &r[1])).done(as_json)
}

/// `verify-store`: every sealed record opened once; exit 1 when one does not.
pub fn verify_store(rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let r = call(rt, "maintenance", "verify-store", &[actor])?;
    let damaged = r["damaged"].as_array().map_or(0, Vec::len);
    let summary = format!(
        "{} keys, {} customer records, {} consent heads, {} receipts, {} outbox messages, {} sign-ups checked: {}",
        r["keys"],
        r["customers"],
        r["subjects"],
        r["receipts"],
        r["messages"],
        r["sign-ups"],
        if damaged == 0 { "every one opens".to_owned() } else { format!("{damaged} did not open") }
    );
    Output::new(&r, with_damaged(summary, &r["damaged"])).print(as_json);
    Ok(if damaged == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `reindex`: every derived index rebuilt from the stored aggregates.
pub fn reindex(rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let r = call(rt, "maintenance", "reindex", &[actor])?;
    Output::new(
        &r,
        format!(
            "{} subjects, {} customers; {} index entries added, {} removed",
            r["subjects"], r["customers"], r["added"], r["removed"]
        ),
    )
    .done(as_json)
}
