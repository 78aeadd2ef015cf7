//! `fichier request …`, `fichier erase` and `fichier outbox …`: rights requests, erasure
//! and the messages to people. No rule lives here.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use fichier_host::Runtime;
use serde_json::{Value, json};

use crate::call::{Failure, Output, SubjectArgs, call, paged, rows, s, write_file, write_stdout};
use crate::consent;
use crate::registry::{Format, Lang};
use crate::wit::WitName;

#[derive(Subcommand)]
pub enum RequestCmd {
    /// Receive a request (a token is queued to the person unless --identity-verified).
    New {
        #[command(flatten)]
        who: SubjectArgs,
        #[arg(long, value_enum)]
        kind: Kind,
        #[arg(long, value_enum, default_value_t = Channel::WebForm)]
        channel: Channel,
        /// When it arrived (RFC 3339), if not now.
        #[arg(long)]
        received_at: Option<String>,
        #[arg(long, value_enum, default_value_t = Lang::Fr)]
        lang: Lang,
        /// What the person asks, in their words.
        #[arg(long)]
        details: Option<String>,
        /// The shop already knows it is them (signed in to their account).
        #[arg(long)]
        identity_verified: bool,
        /// Why the identity is in doubt (extra proof will be needed).
        #[arg(long)]
        doubtful: Option<String>,
    },
    /// The person's token (from the message they received).
    Verify { id: String, token: String },
    /// Send a new token.
    ResendToken { id: String },
    /// Record the kind of extra proof seen for a doubtful request (no copy is kept).
    ConfirmIdentity {
        id: String,
        #[arg(long)]
        method: String,
    },
    /// Ask the person for information that identifies them (Art. 12(6)): the clock stops
    /// until `confirm-identity` records it arrived; as often as needed.
    AskIdentity {
        id: String,
        /// What was asked (never a copy of a document).
        #[arg(long)]
        note: String,
    },
    /// Requests by deadline (exit 1 with --overdue when any is overdue).
    List {
        /// Open requests only.
        #[arg(long)]
        open: bool,
        /// Overdue requests only.
        #[arg(long)]
        overdue: bool,
        /// Open requests due within this many days.
        #[arg(long)]
        due_within: Option<u32>,
    },
    /// One request, with the person's address and words.
    Show { id: String },
    /// Two more months (once, within the first month), with the reason.
    Extend {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Done, with what was done.
    Complete {
        id: String,
        #[arg(long)]
        note: String,
    },
    /// Refused, with the reasons (the person is told they may complain to the CNIL).
    Refuse {
        id: String,
        #[arg(long)]
        reasons: String,
    },
}

#[derive(Args)]
pub struct EraseArgs {
    #[command(flatten)]
    who: SubjectArgs,
    /// The erasure request this answers (it is completed and the person sent the report).
    #[arg(long)]
    request: Option<String>,
    /// A category an open dispute or claim needs kept (repeat; with --claim-reason and
    /// --claim-until): contact, identity, order, payment, …
    #[arg(long = "claim-category")]
    claim_categories: Vec<String>,
    /// What the claim is (a dispute's reference).
    #[arg(long)]
    claim_reason: Option<String>,
    /// When the claim's hold ends (RFC 3339).
    #[arg(long)]
    claim_until: Option<String>,
}

/// The erasure report, as staff read it.
fn erasure(r: &Value) -> String {
    if let Some(at) = r["already-erased"].as_str() {
        return format!("{} was already erased on {at}: nothing left to delete", s(&r["subject"]));
    }
    let mut out = format!("erased {} at {}", s(&r["subject"]), s(&r["erased-at"]));
    for d in r["deleted"].as_array().into_iter().flatten() {
        let archived = if d["archived"] == json!(true) { " (from the archive)" } else { "" };
        out.push_str(&format!("\n  deleted {} ({}){archived}", s(&d["field"]), s(&d["category"])));
    }
    for k in r["kept"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n  kept    {} ({}) until {}: {} — {}",
            s(&k["field"]),
            s(&k["category"]),
            s(&k["until"]),
            s(&k["rule"]),
            s(&k["basis"])
        ));
    }
    out.push_str(&format!(
        "\n  history entries deleted: {}; consent receipts shredded: {}; waiting messages dropped: {}",
        r["history-entries"], r["consent-receipts"], r["messages-dropped"]
    ));
    out.push_str("\n  the person's data key was replaced: copies from before (backups) no longer open");
    out
}

pub fn erase(a: &EraseArgs, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let claim = match (&a.claim_reason, &a.claim_until) {
        (None, None) if a.claim_categories.is_empty() => Value::Null,
        (Some(reason), Some(until)) => json!({"categories": a.claim_categories, "reason": reason, "until": until}),
        _ => {
            return Err(Failure::Host(
                "a claim needs --claim-category (one or more), --claim-reason and --claim-until".into(),
            ));
        }
    };
    let options = json!({"request": a.request, "claim": claim});
    let r = call(rt, "rights", "erase", &[actor, a.who.json()?, options])?;
    Output::new(&r, erasure(&r)).done(as_json)
}

#[derive(Args)]
pub struct RestrictArgs {
    #[command(flatten)]
    who: SubjectArgs,
    /// Why: contested accuracy, unlawful processing, legal claims, pending objection.
    #[arg(long)]
    reason: String,
}

#[derive(Args)]
pub struct ObjectArgs {
    #[command(flatten)]
    who: SubjectArgs,
    /// Where the person expressed it.
    #[arg(long, value_enum, default_value_t = consent::Channel::WebForm)]
    channel: consent::Channel,
}

pub fn restrict(a: &RestrictArgs, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    processing(&a.who, json!({"tag": "restrict", "val": a.reason}), rt, actor, as_json)
}

pub fn lift_restriction(who: &SubjectArgs, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    processing(who, json!({"tag": "lift-restriction"}), rt, actor, as_json)
}

pub fn object(a: &ObjectArgs, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    processing(&a.who, json!({"tag": "object-to-marketing", "val": a.channel.wit()}), rt, actor, as_json)
}

/// `restrict`, `lift-restriction`, `object`: one call, the person's state after it.
fn processing(
    who: &SubjectArgs,
    change: Value,
    rt: &Runtime,
    actor: Value,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let r = call(rt, "rights", "change-processing", &[actor, who.json()?, change])?;
    let mut out = s(&r["subject"]);
    match (&r["restriction"], r["lifted"] == json!(true)) {
        (_, true) => out.push_str(": restriction lifted"),
        (Value::Null, _) => {}
        (x, _) => match x["lift-notice"].as_str() {
            Some(m) => out.push_str(&format!(
                ": restricted since {}; the person is told in {m} — lift again once it is sent",
                s(&x["since"])
            )),
            None => out.push_str(&format!(": restricted since {} ({})", s(&x["since"]), s(&x["reason"]))),
        },
    }
    if let Some(until) = r["opposed-until"].as_str() {
        let list =
            |k: &str| r[k].as_array().map(|a| a.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default();
        out.push_str(&format!(
            ": on the opposition list until {until}; purposes stopped: {}; fields removed: {}",
            list("purposes-stopped"),
            list("fields-removed")
        ));
    }
    Output::new(&r, out).done(as_json)
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    who: SubjectArgs,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Only what the person provided, on consent or a contract (Art. 20): JSON or CSV.
    #[arg(long)]
    portability: bool,
    /// The language of the HTML version.
    #[arg(long, value_enum, default_value_t = Lang::Fr)]
    lang: Lang,
    /// Write the file there instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// `fichier export`: the file as the component wrote it (to stdout or --out).
pub fn export(a: &ExportArgs, rt: &Runtime, actor: Value) -> Result<ExitCode, Failure> {
    let scope = if a.portability { "portability" } else { "access" };
    let who = a.who.json()?;
    let r = call(rt, "rights", "export-data", &[actor, who, json!(scope), json!(a.format.wit()), json!(a.lang.wit())])?;
    let content = r["content"].as_str().unwrap_or_default();
    match &a.out {
        Some(path) => {
            write_file(path, content.as_bytes())?;
            eprintln!("{} written ({}, {} bytes)", path.display(), s(&r["media-type"]), content.len());
        }
        None => write_stdout(content.as_bytes()),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Messages to send, oldest first, by page.
    List {
        /// Start after this message (the previous page's cursor).
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// The message was sent: delete it.
    Ack { id: String },
}

// WIT `rights.request-kind`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Kind {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
    Withdrawal,
}

// WIT `rights.request-channel`.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Channel {
    WebForm,
    Email,
    Letter,
    Phone,
    InPerson,
}

fn line(r: &Value) -> String {
    let mut flags = Vec::new();
    if r["overdue"] == json!(true) {
        flags.push("OVERDUE".to_string());
    }
    if r["paused"] == json!(true) {
        flags.push("clock stopped: waiting for identity".into());
    }
    if let Some(reason) = r["extended"].as_str() {
        flags.push(format!("extended: {reason}"));
    }
    format!(
        "{} {:<13} {:<17} received {} deadline {} {}",
        s(&r["id"]),
        s(&r["kind"]),
        s(&r["state"]),
        s(&r["received-at"]),
        s(&r["deadline"]),
        flags.join("; ")
    )
}

fn details(r: &Value) -> String {
    let mut out = line(r);
    for (label, key) in [("subject", "subject"), ("e-mail", "email"), ("asks", "details"), ("outcome", "outcome")] {
        if let Some(v) = r[key].as_str() {
            out.push_str(&format!("\n  {label}: {v}"));
        }
    }
    for e in r["history"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n  {} {} ({}): {}",
            s(&e["at"]),
            s(&e["by"]["id"]),
            s(&e["by"]["role"]),
            s(&e["what"])
        ));
    }
    out
}

pub fn request(c: &RequestCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    let step = |id: &str, step: Value| call(rt, "rights", "step", &[actor.clone(), json!(id), step]);
    let r = match c {
        RequestCmd::New { who, kind, channel, received_at, lang, details, identity_verified, doubtful } => {
            let input = json!({
                "subject": who.json()?,
                "kind": kind.wit(),
                "channel": channel.wit(),
                "received-at": received_at,
                "lang": lang.wit(),
                "details": details,
                "identity-verified": identity_verified,
                "doubtful": doubtful,
            });
            call(rt, "rights", "new-request", &[actor.clone(), input])?
        }
        RequestCmd::Verify { id, token } => step(id, json!({"tag": "verify-token", "val": token}))?,
        RequestCmd::ResendToken { id } => step(id, json!({"tag": "resend-token"}))?,
        RequestCmd::ConfirmIdentity { id, method } => step(id, json!({"tag": "confirm-identity", "val": method}))?,
        RequestCmd::AskIdentity { id, note } => step(id, json!({"tag": "ask-identity", "val": note}))?,
        RequestCmd::Extend { id, reason } => step(id, json!({"tag": "extend", "val": reason}))?,
        RequestCmd::Complete { id, note } => step(id, json!({"tag": "complete", "val": note}))?,
        RequestCmd::Refuse { id, reasons } => step(id, json!({"tag": "refuse", "val": reasons}))?,
        RequestCmd::Show { id } => {
            let r = call(rt, "rights", "get-request", &[actor.clone(), json!(id)])?;
            return Output::new(&r, details(&r)).done(as_json);
        }
        RequestCmd::List { open, overdue, due_within } => {
            let filter = match (open, overdue, due_within) {
                (_, true, _) => json!({"tag": "overdue"}),
                (_, _, Some(d)) => json!({"tag": "due-within", "val": d}),
                (true, _, _) => json!({"tag": "open"}),
                _ => json!({"tag": "all"}),
            };
            let list = call(rt, "rights", "list-requests", &[actor.clone(), filter])?;
            let late = list.as_array().into_iter().flatten().any(|r| r["overdue"] == json!(true));
            Output::new(&list, rows(&list, line)).print(as_json);
            return Ok(if *overdue && late { ExitCode::from(1) } else { ExitCode::SUCCESS });
        }
    };
    Output::new(&r, line(&r)).done(as_json)
}

pub fn outbox(c: &OutboxCmd, rt: &Runtime, actor: Value, as_json: bool) -> Result<ExitCode, Failure> {
    match c {
        OutboxCmd::List { cursor, limit } => {
            let page = call(rt, "outbox", "pending", &[actor, json!(cursor), json!(limit)])?;
            let human = rows(&page["messages"], |m| {
                format!(
                    "{} {} to {} — {}\n{}\n",
                    s(&m["id"]),
                    s(&m["kind"]),
                    s(&m["to"]),
                    s(&m["title"]),
                    s(&m["body"])
                )
            });
            Output::new(&page, paged(human, &page["next"])).print(as_json);
        }
        OutboxCmd::Ack { id } => {
            let gone = call(rt, "outbox", "ack", &[actor, json!(id)])?;
            let human =
                if gone == json!(true) { format!("{id} acknowledged") } else { format!("{id} was already gone") };
            Output::new(&json!({"acknowledged": gone}), human).print(as_json);
        }
    }
    Ok(ExitCode::SUCCESS)
}
