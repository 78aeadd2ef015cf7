//! `fichier`: the command line over the fichier component, on SQLite files.
//!
//! Every command is one call (or a few) into the component; this file only parses
//! arguments, builds the call's JSON and prints the answer. No rule lives here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use fichier_host::kv::SqliteKv;
use fichier_host::master::{default_key_file, load_settings, resolve_master_key};
use fichier_host::runtime::describe_error;
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use serde_json::{Value, json};

/// fichier keeps a shop's customer file lawful under the GDPR: consent with proof,
/// declared purposes, versioned notices, a verifiable ledger.
///
/// Data lives in two SQLite files: the data (`--db`, default ./fichier.db) and the
/// per-subject keys (`<db stem>.keys.db`). The master key comes from
/// FICHIER_MASTER_KEY, else from a key file created on first run (`<db>.master.key`,
/// mode 0600): keep it out of backups of the data file.
///
/// Start:
///   fichier purpose add --id newsletter --kind marketing --title "Lettre d'information"
///   fichier notice add --purpose newsletter --lang fr --file notice.txt
///   fichier consent grant --email a@example.org --purpose newsletter --notice newsletter:fr:v1 --channel web-form
///   fichier consent status --email a@example.org
///   fichier ledger verify
#[derive(Parser)]
#[command(name = "fichier", version, verbatim_doc_comment)]
struct Cli {
    /// The data file (the keys file sits next to it).
    #[arg(long, global = true, default_value = "./fichier.db", env = "FICHIER_DB")]
    db: PathBuf,
    /// Print machine-readable JSON (the component's own answer).
    #[arg(long, global = true)]
    json: bool,
    /// The master key file, used when FICHIER_MASTER_KEY is not set.
    #[arg(long, global = true)]
    key_file: Option<PathBuf>,
    /// A JSON object of wasi:config settings (strings).
    #[arg(long, global = true)]
    settings: Option<PathBuf>,
    /// Who is acting (kept in receipts).
    #[arg(long, global = true, default_value = "cli")]
    actor: String,
    /// The actor's role.
    #[arg(long, global = true, value_enum, default_value_t = Role::Admin)]
    role: Role,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Admin,
    Dpo,
    Support,
    System,
    Public,
}

impl Role {
    fn wit(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dpo => "dpo",
            Role::Support => "support",
            Role::System => "system",
            Role::Public => "public",
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Declare and list processing purposes.
    #[command(subcommand)]
    Purpose(PurposeCmd),
    /// Register, list and show information notices (versioned by content).
    #[command(subcommand)]
    Notice(NoticeCmd),
    /// Record decisions (grant, refuse, withdraw) and read status and history.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Verify the consent ledger and take anchors.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Show and change the policy (validity periods, minor age).
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Rebuild every derived index from the stored aggregates.
    Reindex,
    /// List subjects (opaque ids) by page.
    Subjects {
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum PurposeCmd {
    /// Declare a purpose (or change a declared one).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long, value_enum)]
        kind: Kind,
        #[arg(long)]
        title: String,
        /// Months a consent stays valid (default: the policy's for the kind).
        #[arg(long)]
        validity_months: Option<u32>,
    },
    /// List declared purposes.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Service,
    Marketing,
    Cookie,
    Advertising,
}

#[derive(Subcommand)]
enum NoticeCmd {
    /// Register the text of a notice; prints its reference.
    Add {
        /// A purpose the notice informs about (repeat for several).
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        #[arg(long)]
        lang: String,
        /// The text file (UTF-8), hashed exactly as it is.
        #[arg(long)]
        file: PathBuf,
    },
    /// List notice versions.
    List,
    /// Show a notice version and its text.
    Show { reference: String },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct SubjectArgs {
    /// The person's e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// An id of the shop's (customer number, banner visitor id).
    #[arg(long)]
    external: Option<String>,
    /// fichier's opaque subject id.
    #[arg(long)]
    subject: Option<String>,
}

impl SubjectArgs {
    fn json(&self) -> Result<Value, String> {
        match (&self.email, &self.external, &self.subject) {
            (Some(e), None, None) => Ok(json!({"tag": "email", "val": e})),
            (None, Some(x), None) => Ok(json!({"tag": "external", "val": x})),
            (None, None, Some(s)) => Ok(json!({"tag": "subject", "val": s})),
            _ => Err("name the person with exactly one of --email, --external, --subject".into()),
        }
    }
}

#[derive(Args)]
struct DecisionArgs {
    #[command(flatten)]
    who: SubjectArgs,
    #[arg(long)]
    purpose: String,
    /// The notice shown (required for a grant), e.g. newsletter:fr:v1.
    #[arg(long)]
    notice: Option<String>,
    #[arg(long, value_enum, default_value_t = Channel::WebForm)]
    channel: Channel,
    /// When the person decided (RFC 3339), if not now.
    #[arg(long)]
    at: Option<String>,
    /// Your id for this receipt (makes retries safe).
    #[arg(long)]
    receipt_id: Option<String>,
    /// The decision is a parent's co-consent for a minor.
    #[arg(long)]
    parent: bool,
    /// The person's age, if known.
    #[arg(long, conflicts_with = "birth_year")]
    age: Option<u8>,
    /// The person's year of birth, if known.
    #[arg(long)]
    birth_year: Option<u16>,
    /// The client's IP address (only a truncated form is kept).
    #[arg(long)]
    ip: Option<String>,
    /// The client's User-Agent (only its SHA-256 is kept).
    #[arg(long)]
    user_agent: Option<String>,
    /// The browser sent a Global Privacy Control signal.
    #[arg(long)]
    gpc: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Channel {
    WebForm,
    CookieBanner,
    Checkout,
    Phone,
    Paper,
    Import,
}

impl Channel {
    fn wit(self) -> &'static str {
        match self {
            Channel::WebForm => "web-form",
            Channel::CookieBanner => "cookie-banner",
            Channel::Checkout => "checkout",
            Channel::Phone => "phone",
            Channel::Paper => "paper",
            Channel::Import => "import",
        }
    }
}

#[derive(Subcommand)]
enum ConsentCmd {
    /// Record that the person gave consent.
    Grant(DecisionArgs),
    /// Record that the person refused when asked.
    Refuse(DecisionArgs),
    /// Record that the person took consent back.
    Withdraw(DecisionArgs),
    /// Where the person stands for every declared purpose.
    Status(SubjectArgs),
    /// Every receipt of the person, in chain order.
    History(SubjectArgs),
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Walk every chain and anchor; exit 1 naming the first receipt that does not match.
    Verify,
    /// Record an anchor over all chain heads (publish its root elsewhere).
    Anchor,
    /// List anchors.
    Anchors,
}

#[derive(Subcommand)]
enum PolicyCmd {
    /// The policy in force.
    Show,
    /// Every version of the policy.
    History,
    /// Replace the policy with a JSON file (the `policy-input` record).
    Set {
        #[arg(long)]
        file: PathBuf,
    },
}

/// What went wrong, with the exit code it maps to.
enum Failure {
    /// The component refused the input (2) or found stored data bad (3).
    Component(Value),
    /// Usage or host failure (1).
    Host(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(Failure::Component(err)) => {
            if cli.json {
                println!("{}", json!({"error": err}));
            } else {
                eprintln!("fichier: {}", describe_error(&err));
            }
            match err.get("tag").and_then(Value::as_str) {
                Some("corrupted" | "config" | "storage" | "other") => ExitCode::from(3),
                _ => ExitCode::from(2),
            }
        }
        Err(Failure::Host(m)) => {
            eprintln!("fichier: {m}");
            ExitCode::from(1)
        }
    }
}

fn runtime(cli: &Cli) -> Result<Runtime, Failure> {
    let host = |e: &dyn std::fmt::Display| Failure::Host(e.to_string());
    let key_file = cli.key_file.clone().unwrap_or_else(|| default_key_file(&cli.db));
    let master = resolve_master_key(&key_file).map_err(|e| host(&format!("{e:#}")))?;
    let mut config = load_settings(cli.settings.as_deref()).map_err(|e| host(&format!("{e:#}")))?;
    config.push(("master_key".into(), master));
    let kv = SqliteKv::open(&cli.db).map_err(|e| host(&format!("opening {}: {e}", cli.db.display())))?;
    // FICHIER_PINNED_CLOCK (RFC 3339) pins the clock, for demos and tests only.
    let clock = match std::env::var("FICHIER_PINNED_CLOCK") {
        Ok(t) => Clock::pinned(&t).map_err(|e| host(&format!("FICHIER_PINNED_CLOCK: {e}")))?,
        Err(_) => Clock::System,
    };
    RuntimeBuilder::new(Arc::new(kv))
        .config(config)
        .clock(clock)
        .pooling(false)
        .build()
        .map_err(|e| host(&format!("loading the component: {e:#}")))
}

fn call(rt: &Runtime, iface: &str, func: &str, args: &[Value]) -> Result<Value, Failure> {
    let r = rt.invoke(iface, func, args).map_err(|e| Failure::Host(e.to_string()))?;
    match (r.get("ok"), r.get("err")) {
        (Some(v), _) => Ok(v.clone()),
        (_, Some(e)) => Err(Failure::Component(e.clone())),
        _ => Ok(r),
    }
}

fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    let usage = Failure::Host;
    // Read every input file before opening (and perhaps creating) the store, so a typo
    // leaves nothing behind.
    let file_text = match &cli.command {
        Command::Notice(NoticeCmd::Add { file, .. }) | Command::Policy(PolicyCmd::Set { file }) => {
            Some(std::fs::read_to_string(file).map_err(|e| usage(format!("reading {}: {e}", file.display())))?)
        }
        _ => None,
    };
    if let (Command::Policy(PolicyCmd::Set { file }), Some(text)) = (&cli.command, &file_text) {
        serde_json::from_str::<Value>(text).map_err(|e| usage(format!("{}: not JSON: {e}", file.display())))?;
    }
    let rt = runtime(cli)?;
    let actor = json!({"id": cli.actor, "role": cli.role.wit()});
    let out = match &cli.command {
        Command::Purpose(PurposeCmd::Add { id, kind, title, validity_months }) => {
            let kind = match kind {
                Kind::Service => "service",
                Kind::Marketing => "marketing",
                Kind::Cookie => "cookie",
                Kind::Advertising => "advertising",
            };
            let p = call(
                &rt,
                "consent",
                "declare-purpose",
                &[actor, json!({"id": id, "kind": kind, "title": title, "validity-months": validity_months})],
            )?;
            Output::new(&p, format!("purpose {} ({}), revision {}", s(&p["id"]), s(&p["kind"]), p["revision"]))
        }
        Command::Purpose(PurposeCmd::List) => {
            let list = call(&rt, "consent", "list-purposes", &[actor])?;
            let lines = rows(&list, |p| {
                format!("{:<24} {:<12} rev {:<3} {}", s(&p["id"]), s(&p["kind"]), p["revision"], s(&p["title"]))
            });
            Output::new(&list, lines)
        }
        Command::Notice(NoticeCmd::Add { purposes, lang, .. }) => {
            let text = file_text.unwrap_or_default();
            let n = call(
                &rt,
                "consent",
                "register-notice",
                &[actor, json!({"purposes": purposes, "lang": lang, "text": text})],
            )?;
            Output::new(&n, s(&n["reference"]))
        }
        Command::Notice(NoticeCmd::List) => {
            let list = call(&rt, "consent", "list-notices", &[actor])?;
            Output::new(&list, rows(&list, |n| format!("{:<40} sha256 {}", s(&n["reference"]), s(&n["sha256"]))))
        }
        Command::Notice(NoticeCmd::Show { reference }) => {
            let r = call(&rt, "consent", "get-notice", &[actor, json!(reference)])?;
            Output::new(&r, format!("{} (sha256 {})\n\n{}", s(&r[0]["reference"]), s(&r[0]["sha256"]), s(&r[1])))
        }
        Command::Consent(c) => consent(&rt, actor, c)?,
        Command::Ledger(LedgerCmd::Verify) => {
            let r = call(&rt, "ledger", "verify", &[actor])?;
            let ok = r["ok"] == json!(true);
            let human = if ok {
                format!(
                    "ledger intact: {} subjects, {} receipts, {} anchors",
                    r["subjects"], r["receipts"], r["anchors"]
                )
            } else {
                let f = &r["failure"];
                format!(
                    "LEDGER BROKEN: {} (rule {}; subject {}, receipt {})",
                    s(&f["message"]),
                    s(&f["rule"]),
                    s(&f["subject"]),
                    s(&f["receipt"])
                )
            };
            Output::new(&r, human).print(cli.json);
            return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        Command::Ledger(LedgerCmd::Anchor) => {
            let a = call(&rt, "ledger", "take-anchor", &[actor])?;
            Output::new(
                &a,
                format!(
                    "anchor {} at {}: {} subjects, {} receipts\nroot {}",
                    a["seq"],
                    s(&a["at"]),
                    a["subjects"],
                    a["receipts"],
                    s(&a["root"])
                ),
            )
        }
        Command::Ledger(LedgerCmd::Anchors) => {
            let list = call(&rt, "ledger", "list-anchors", &[actor])?;
            Output::new(&list, rows(&list, |a| format!("{:>5} {} {}", a["seq"], s(&a["at"]), s(&a["root"]))))
        }
        Command::Policy(PolicyCmd::Show) => {
            let p = call(&rt, "settings", "get-policy", &[actor])?;
            Output::new(&p, serde_json::to_string_pretty(&p).unwrap_or_default())
        }
        Command::Policy(PolicyCmd::History) => {
            let list = call(&rt, "settings", "policy-history", &[actor])?;
            Output::new(
                &list,
                rows(&list, |p| format!("v{} {} by {}", p["version"], s(&p["changed-at"]), s(&p["changed-by"]["id"]))),
            )
        }
        Command::Policy(PolicyCmd::Set { file }) => {
            let text = file_text.unwrap_or_default();
            let input: Value =
                serde_json::from_str(&text).map_err(|e| usage(format!("{}: not JSON: {e}", file.display())))?;
            let p = call(&rt, "settings", "set-policy", &[actor, input])?;
            Output::new(&p, format!("policy version {}", p["version"]))
        }
        Command::Reindex => {
            let r = call(&rt, "maintenance", "reindex", &[actor])?;
            Output::new(
                &r,
                format!("{} subjects; {} index entries added, {} removed", r["subjects"], r["added"], r["removed"]),
            )
        }
        Command::Subjects { cursor, limit } => {
            let r = call(&rt, "maintenance", "list-subjects", &[actor, json!(cursor), json!(limit)])?;
            let mut human = rows(&r[0], s);
            if let Some(next) = r[1].as_str() {
                human.push_str(&format!("\n(more: --cursor {next})"));
            }
            Output::new(&r, human)
        }
    };
    out.print(cli.json);
    Ok(ExitCode::SUCCESS)
}

fn consent(rt: &Runtime, actor: Value, c: &ConsentCmd) -> Result<Output, Failure> {
    let (decision, d) = match c {
        ConsentCmd::Grant(d) => ("grant", d),
        ConsentCmd::Refuse(d) => ("refuse", d),
        ConsentCmd::Withdraw(d) => ("withdraw", d),
        ConsentCmd::Status(who) => {
            let st = call(rt, "consent", "status", &[actor, who.json().map_err(Failure::Host)?])?;
            let mut lines = format!("subject {}", s(&st["subject"]));
            for p in st["purposes"].as_array().into_iter().flatten() {
                lines.push_str(&format!(
                    "\n  {:<24} {:<26} {}{}",
                    s(&p["purpose"]),
                    s(&p["state"]),
                    s(&p["reason"]),
                    p["receipt"].as_str().map(|r| format!(" [receipt {r}]")).unwrap_or_default()
                ));
            }
            return Ok(Output::new(&st, lines));
        }
        ConsentCmd::History(who) => {
            let h = call(rt, "consent", "history", &[actor, who.json().map_err(Failure::Host)?])?;
            let lines = rows(&h, |r| {
                format!(
                    "#{:<4} {} {:<9} {:<20} via {:<13} {} {}",
                    r["seq"],
                    s(&r["at"]),
                    s(&r["decision"]),
                    s(&r["purpose"]),
                    s(&r["channel"]),
                    s(&r["id"]),
                    &s(&r["hash"])[..12.min(s(&r["hash"]).len())]
                )
            });
            return Ok(Output::new(&h, lines));
        }
    };
    let age = match (d.age, d.birth_year) {
        (Some(a), _) => json!({"tag": "age", "val": a}),
        (None, Some(y)) => json!({"tag": "birth-year", "val": y}),
        (None, None) => Value::Null,
    };
    let input = json!({
        "subject": d.who.json().map_err(Failure::Host)?,
        "purpose": d.purpose,
        "decision": decision,
        "given-by": if d.parent { "parent" } else { "subject" },
        "channel": d.channel.wit(),
        "notice": d.notice,
        "at": d.at,
        "receipt-id": d.receipt_id,
        "client-ip": d.ip,
        "user-agent": d.user_agent,
        "gpc": d.gpc,
        "age": age,
    });
    let r = call(rt, "consent", "record-decision", &[actor, input])?;
    Ok(Output::new(
        &r,
        format!(
            "receipt {} recorded (#{} of subject {}, hash {})",
            s(&r["id"]),
            r["seq"],
            s(&r["subject"]),
            s(&r["hash"])
        ),
    ))
}

/// A string field, or `-` when absent.
fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn rows(list: &Value, f: impl Fn(&Value) -> String) -> String {
    let lines: Vec<String> = list.as_array().into_iter().flatten().map(f).collect();
    if lines.is_empty() { "(none)".into() } else { lines.join("\n") }
}

struct Output {
    json: Value,
    human: String,
}

impl Output {
    fn new(json: &Value, human: impl Into<String>) -> Self {
        Self { json: json.clone(), human: human.into() }
    }

    fn print(&self, as_json: bool) {
        if as_json {
            println!("{}", serde_json::to_string_pretty(&self.json).unwrap_or_default());
        } else {
            println!("{}", self.human);
        }
    }
}
