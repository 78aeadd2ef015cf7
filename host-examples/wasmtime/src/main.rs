//! `fichier`: the command line over the fichier component, on SQLite files.
//!
//! Every command is one call (or a few) into the component; this file only parses
//! arguments, builds the call's JSON and prints the answer. No rule lives here.

mod audit;
mod registers;
mod rights;
mod sweep;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use fichier_host::kv::{GroupedKv, KvBackend, SqliteKv};
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
enum ApiKeyCmd {
    /// Create a key bound to a role; prints its token once.
    Create {
        /// Who or what uses it.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
    },
    /// Every key (never a secret), revoked ones included.
    List,
    /// Revoke a key: calls made with it are refused from now on.
    Revoke { id: String },
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
    /// The customer file: read, rectify, review, duplicates and merge.
    #[command(subcommand)]
    Customers(CustomersCmd),
    /// Import customers from a shop's CSV export (resumable; running it twice changes nothing).
    Import(ImportArgs),
    /// Minimisation checks of a form definition, a record, or a free text.
    #[command(subcommand)]
    Check(CheckCmd),
    /// The record of processing activities (Art. 30): defaults, activities, exports, check,
    /// and the lawful-basis assistant.
    #[command(subcommand)]
    Registry(registers::RegistryCmd),
    /// The breach register (Art. 33(5)) and its 72-hour deadlines.
    #[command(subcommand)]
    Breach(registers::BreachCmd),
    /// Apply the register's retention rules to the customer file (--dry-run: only list
    /// what would happen to whom and why). Safe to interrupt and run again.
    Sweep(sweep::SweepArgs),
    /// The audit log: verify its hash chain, export it, prune what is past its retention.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Data-subject requests: receive, verify identity, extend, complete, refuse, list.
    #[command(subcommand)]
    Request(rights::RequestCmd),
    /// Erase a person (Art. 17): what no legal hold covers is deleted, what a hold needs
    /// is kept apart until it ends, and the person's key is replaced (backups no longer
    /// open). Prints the erasure report; erasing twice says so.
    Erase(rights::EraseArgs),
    /// A person's data for an access (Art. 15) or portability (Art. 20) request: JSON,
    /// CSV or HTML (French or English).
    Export(rights::ExportArgs),
    /// Restrict a person's processing (Art. 18): the record is only stored until lifted.
    Restrict {
        #[command(flatten)]
        who: SubjectArgs,
        /// Why: contested accuracy, unlawful processing, legal claims, pending objection.
        #[arg(long)]
        reason: String,
    },
    /// Lift a restriction: the first run queues the notice to the person; once it is sent
    /// (outbox ack), the next run lifts.
    LiftRestriction(SubjectArgs),
    /// The person objects to direct marketing (Art. 21): it stops at once and the person
    /// goes on the opposition list, which imports consult.
    Object {
        #[command(flatten)]
        who: SubjectArgs,
        /// Where the person expressed it.
        #[arg(long, value_enum, default_value_t = Channel::WebForm)]
        channel: Channel,
    },
    /// Messages to people waiting to be sent (identity tokens, answers, refusals).
    #[command(subcommand)]
    Outbox(rights::OutboxCmd),
    /// Rebuild every derived index from the stored aggregates.
    Reindex,
    /// Serve the REST API, the cookie banner and the admin page over HTTP: one
    /// instance of the component per request, as on Spin. Stops on SIGINT/SIGTERM after
    /// finishing the requests in flight.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The largest request body accepted, in bytes.
        #[arg(long, default_value_t = 4 << 20)]
        max_body: usize,
        /// Seconds a request may take before it is answered 503 and interrupted.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Also serve the demo shop at `/`, and declare its purposes (`analytics`, `ads`,
        /// `newsletter`) and notices (French and English) when they are missing.
        #[arg(long)]
        demo: bool,
    },
    /// API keys for the HTTP face, each bound to a role.
    #[command(subcommand)]
    ApiKey(ApiKeyCmd),
    /// List subjects (opaque ids) by page.
    Subjects {
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum CustomersCmd {
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
    /// Customers by page.
    List {
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Pairs of records that may be one person, for review (nothing is merged).
    Duplicates,
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

#[derive(Clone, Copy, ValueEnum)]
enum EventKind {
    /// An order, a reply, a click (an opened e-mail does not count).
    Contact,
    RelationshipEnded,
}

#[derive(Args)]
struct ImportArgs {
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
    /// Write the full report (every rejected row and redaction) as JSON here.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Subcommand)]
enum CheckCmd {
    /// Check a form: a JSON list of {name, label, field-type, required, purposes}.
    Form { file: PathBuf },
    /// Check a record: a JSON list of {name, value, category, purposes}.
    Record { file: PathBuf },
    /// Find personal data hidden in a text file.
    Text { file: PathBuf },
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
    /// Generate the Art. 13 notice of some purposes from the register and register it.
    Generate {
        /// A purpose the notice informs about (repeat for several).
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        #[arg(long, value_enum, default_value_t = registers::Lang::Fr)]
        lang: registers::Lang,
        /// Print the HTML rendering instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// List notice versions.
    List,
    /// Show a notice version and its text.
    Show { reference: String },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct SubjectArgs {
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
    pub(crate) fn json(&self) -> Result<Value, String> {
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
pub(crate) enum Channel {
    WebForm,
    CookieBanner,
    Checkout,
    Phone,
    Paper,
    Import,
}

impl Channel {
    pub(crate) fn wit(self) -> &'static str {
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
pub(crate) enum Failure {
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
                let _ = writeln!(std::io::stdout().lock(), "{}", json!({"error": err}));
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
    runtime_builder(cli)?.pooling(false).build().map_err(|e| Failure::Host(format!("loading the component: {e:#}")))
}

fn serve(
    cli: &Cli,
    addr: std::net::SocketAddr,
    max_body: usize,
    timeout: u64,
    demo: bool,
) -> Result<ExitCode, Failure> {
    let host = |e: &dyn std::fmt::Display| Failure::Host(e.to_string());
    let timeout = std::time::Duration::from_secs(timeout.max(1));
    let extra = if demo { vec![("demo".to_owned(), "true".to_owned())] } else { Vec::new() };
    let rt = runtime_builder_with(cli, extra, true)?
        .pooling(true)
        .deadline(Some(timeout))
        .build()
        .map_err(|e| host(&format!("loading the component: {e:#}")))?;
    if demo {
        seed_demo(&rt)?;
    }
    let opts = fichier_host::serve::ServeOptions { addr, max_body, timeout, ..Default::default() };
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| host(&e))?;
    tokio
        .block_on(fichier_host::serve::serve(
            Arc::new(rt),
            opts,
            |a| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "fichier serving http://{a}/v1/ (data: {})", cli.db.display());
                let _ = writeln!(out, "  admin page: http://{a}/admin   cookie banner: http://{a}/banner.js");
                if demo {
                    let _ = writeln!(out, "  demo shop:  http://{a}/");
                }
            },
            fichier_host::serve::signal(),
        ))
        .map_err(|e| host(&format!("serving on {addr}: {e}")))?;
    let _ = writeln!(std::io::stdout().lock(), "fichier stopped");
    Ok(ExitCode::SUCCESS)
}

/// The demo shop's purposes and notices (`serve --demo`): declared when missing; a
/// notice registered again with the same text keeps its version.
fn seed_demo(rt: &Runtime) -> Result<(), Failure> {
    let actor = json!({"id": "demo", "role": "admin"});
    let declared = call(rt, "consent", "list-purposes", std::slice::from_ref(&actor))?;
    let have = |id: &str| declared.as_array().is_some_and(|l| l.iter().any(|p| p["id"] == json!(id)));
    for (id, kind, title) in [
        ("analytics", "cookie", "Mesure d'audience / Audience measurement"),
        ("ads", "advertising", "Publicité personnalisée / Personalised advertising"),
        ("newsletter", "marketing", "Lettre d'information / Newsletter"),
    ] {
        if !have(id) {
            let input = json!({"id": id, "kind": kind, "title": title});
            call(rt, "consent", "declare-purpose", &[actor.clone(), input])?;
        }
    }
    for (purposes, lang, text) in [
        (&["ads", "analytics"][..], "fr", include_str!("../../../examples/demo/banner.fr.txt")),
        (&["ads", "analytics"][..], "en", include_str!("../../../examples/demo/banner.en.txt")),
        (&["newsletter"][..], "fr", include_str!("../../../examples/demo/newsletter.fr.txt")),
        (&["newsletter"][..], "en", include_str!("../../../examples/demo/newsletter.en.txt")),
    ] {
        let input = json!({"purposes": purposes, "lang": lang, "text": text});
        call(rt, "consent", "register-notice", &[actor.clone(), input])?;
    }
    Ok(())
}

fn runtime_builder(cli: &Cli) -> Result<RuntimeBuilder, Failure> {
    runtime_builder_with(cli, Vec::new(), false)
}

/// The runtime for `cli`, with `extra` settings after the file's; `grouped`: the store
/// commits concurrent calls in groups (`serve`) instead of by batches.
fn runtime_builder_with(cli: &Cli, extra: Vec<(String, String)>, grouped: bool) -> Result<RuntimeBuilder, Failure> {
    let host = |e: &dyn std::fmt::Display| Failure::Host(e.to_string());
    let key_file = cli.key_file.clone().unwrap_or_else(|| default_key_file(&cli.db));
    let master = resolve_master_key(&key_file).map_err(|e| host(&format!("{e:#}")))?;
    let mut config = load_settings(cli.settings.as_deref()).map_err(|e| host(&format!("{e:#}")))?;
    config.extend(extra);
    config.push(("master_key".into(), master));
    let opening = |e: fichier_host::kv::KvError| host(&format!("opening {}: {e}", cli.db.display()));
    let kv: Arc<dyn KvBackend> = if grouped {
        Arc::new(GroupedKv::open(&cli.db).map_err(opening)?)
    } else {
        Arc::new(SqliteKv::open(&cli.db).map_err(opening)?)
    };
    // FICHIER_PINNED_CLOCK (RFC 3339) pins the clock, for demos and tests only.
    let clock = match std::env::var("FICHIER_PINNED_CLOCK") {
        Ok(t) => Clock::pinned(&t).map_err(|e| host(&format!("FICHIER_PINNED_CLOCK: {e}")))?,
        Err(_) => Clock::System,
    };
    Ok(RuntimeBuilder::new(kv).config(config).clock(clock))
}

/// One component call, its writes in one SQLite transaction (a change and its audit
/// entry commit together).
pub(crate) fn call(rt: &Runtime, iface: &str, func: &str, args: &[Value]) -> Result<Value, Failure> {
    let r = rt.invoke_batched(iface, func, args).map_err(|e| Failure::Host(e.to_string()))?;
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
        Command::Notice(NoticeCmd::Add { file, .. })
        | Command::Policy(PolicyCmd::Set { file })
        | Command::Check(CheckCmd::Form { file } | CheckCmd::Record { file } | CheckCmd::Text { file }) => {
            Some(std::fs::read_to_string(file).map_err(|e| usage(format!("reading {}: {e}", file.display())))?)
        }
        _ => None,
    };
    if let (
        Command::Policy(PolicyCmd::Set { file }) | Command::Check(CheckCmd::Form { file } | CheckCmd::Record { file }),
        Some(text),
    ) = (&cli.command, &file_text)
    {
        serde_json::from_str::<Value>(text).map_err(|e| usage(format!("{}: not JSON: {e}", file.display())))?;
    }
    if let Command::Import(a) = &cli.command {
        std::fs::metadata(&a.file).map_err(|e| usage(format!("{}: {e}", a.file.display())))?;
        if let Some(m) = &a.mapping {
            fichier_host::import::MappingFile::read(m).map_err(|e| usage(e.to_string()))?;
        }
    }
    let actor = json!({"id": cli.actor, "role": cli.role.wit()});
    match &cli.command {
        Command::Registry(c) => return registers::registry(c, || runtime(cli), actor, cli.json),
        Command::Breach(c) => return registers::breach(c, || runtime(cli), actor, cli.json),
        Command::Sweep(a) => return sweep::sweep(a, &runtime(cli)?, actor, cli.json),
        Command::Audit(c) => return audit::audit(c, &runtime(cli)?, actor, cli.json),
        Command::Request(c) => return rights::request(c, &runtime(cli)?, actor, cli.json),
        Command::Erase(a) => return rights::erase(a, &runtime(cli)?, actor, cli.json),
        Command::Export(a) => return rights::export(a, &runtime(cli)?, actor),
        Command::Restrict { who, reason } => {
            let change = json!({"tag": "restrict", "val": reason});
            return rights::processing(who, change, &runtime(cli)?, actor, cli.json);
        }
        Command::LiftRestriction(who) => {
            return rights::processing(who, json!({"tag": "lift-restriction"}), &runtime(cli)?, actor, cli.json);
        }
        Command::Object { who, channel } => {
            let change = json!({"tag": "object-to-marketing", "val": channel.wit()});
            return rights::processing(who, change, &runtime(cli)?, actor, cli.json);
        }
        Command::Outbox(c) => return rights::outbox(c, &runtime(cli)?, actor, cli.json),
        Command::Serve { addr, max_body, timeout, demo } => return serve(cli, *addr, *max_body, *timeout, *demo),
        _ => {}
    }
    let rt = runtime(cli)?;
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
        Command::Notice(NoticeCmd::Generate { purposes, lang, html }) => {
            return registers::generate_notice(&rt, actor, purposes, *lang, *html, cli.json);
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
        Command::Customers(c) => customers(&rt, actor, c)?,
        Command::Import(a) => return import(cli, &rt, a),
        Command::Check(c) => {
            let text = file_text.unwrap_or_default();
            let r = match c {
                CheckCmd::Form { .. } => {
                    let v: Value = serde_json::from_str(&text).unwrap_or_default();
                    call(&rt, "minimisation", "check-form", &[actor, v])?
                }
                CheckCmd::Record { .. } => {
                    let v: Value = serde_json::from_str(&text).unwrap_or_default();
                    call(&rt, "minimisation", "check-record", &[actor, v])?
                }
                CheckCmd::Text { file } => {
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    call(&rt, "minimisation", "scan-text", &[actor, json!(name), json!(text)])?
                }
            };
            let blocking = r.as_array().into_iter().flatten().any(|f| f["severity"] == json!("block"));
            let human = rows(&r, |f| {
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
            });
            Output::new(&r, human).print(cli.json);
            return Ok(if blocking { ExitCode::from(1) } else { ExitCode::SUCCESS });
        }
        Command::Registry(_)
        | Command::Breach(_)
        | Command::Sweep(_)
        | Command::Audit(_)
        | Command::Request(_)
        | Command::Erase(_)
        | Command::Export(_)
        | Command::Restrict { .. }
        | Command::LiftRestriction(_)
        | Command::Object { .. }
        | Command::Outbox(_)
        | Command::Serve { .. } => {
            unreachable!("handled above")
        }
        Command::Reindex => {
            let r = call(&rt, "maintenance", "reindex", &[actor])?;
            Output::new(
                &r,
                format!(
                    "{} subjects, {} customers; {} index entries added, {} removed",
                    r["subjects"], r["customers"], r["added"], r["removed"]
                ),
            )
        }
        Command::ApiKey(ApiKeyCmd::Create { name, role }) => {
            let r = call(&rt, "settings", "create-api-key", &[actor, json!(name), json!(role.wit())])?;
            Output::new(
                &r,
                format!(
                    "API key {} ({}, role {}):\n{}\nShown once: keep it in the shop's secrets.",
                    s(&r[0]["id"]),
                    s(&r[0]["name"]),
                    s(&r[0]["role"]),
                    s(&r[1])
                ),
            )
        }
        Command::ApiKey(ApiKeyCmd::List) => {
            let r = call(&rt, "settings", "list-api-keys", &[actor])?;
            let human = r
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .map(|k| {
                            let state =
                                k["revoked-at"].as_str().map_or("active".to_owned(), |t| format!("revoked {t}"));
                            format!("{}  {:<8} {}  ({state})", s(&k["id"]), s(&k["role"]), s(&k["name"]))
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            Output::new(&r, human)
        }
        Command::ApiKey(ApiKeyCmd::Revoke { id }) => {
            let r = call(&rt, "settings", "revoke-api-key", &[actor, json!(id)])?;
            Output::new(&r, format!("API key {} revoked at {}", s(&r["id"]), s(&r["revoked-at"])))
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
    for (label, key) in [("last contact", "last-contact-at"), ("relationship ended", "relationship-ended-at")] {
        if let Some(t) = c[key].as_str() {
            out.push_str(&format!("\n  {label} {t}"));
        }
    }
    if let Some(m) = c["merged-from"].as_array().filter(|m| !m.is_empty()) {
        out.push_str(&format!("\n  merged from {}", m.iter().map(s).collect::<Vec<_>>().join(", ")));
    }
    out
}

fn customers(rt: &Runtime, actor: Value, c: &CustomersCmd) -> Result<Output, Failure> {
    let who = |w: &SubjectArgs| w.json().map_err(Failure::Host);
    Ok(match c {
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
        CustomersCmd::List { cursor, limit } => {
            let r = call(rt, "customers", "list-customers", &[actor, json!(cursor), json!(limit)])?;
            let mut human = rows(&r["customers"], customer_text);
            if let Some(next) = r["next"].as_str() {
                human.push_str(&format!("\n(more: --cursor {next})"));
            }
            Output::new(&r, human)
        }
        CustomersCmd::Duplicates => {
            let r = call(rt, "customers", "find-duplicates", &[actor])?;
            Output::new(
                &r,
                rows(&r, |p| {
                    format!(
                        "{:<22} {} {}{}",
                        s(&p["reason"]),
                        s(&p["a"]),
                        s(&p["b"]),
                        p["distance"].as_u64().map(|d| format!(" (distance {d})")).unwrap_or_default()
                    )
                }),
            )
        }
        CustomersCmd::Merge { keep, absorb } => {
            let r = call(rt, "customers", "merge", &[actor, subject_value(keep), subject_value(absorb)])?;
            Output::new(&r, customer_text(&r))
        }
        CustomersCmd::Review { cursor, limit } => {
            let r = call(rt, "customers", "review", &[actor, json!(cursor), json!(limit)])?;
            let mut human = rows(&r["entries"], |e| {
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
            if let Some(next) = r["next"].as_str() {
                human.push_str(&format!("\n(more: --cursor {next})"));
            }
            Output::new(&r, human)
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
            let kind = match kind {
                EventKind::Contact => "contact",
                EventKind::RelationshipEnded => "relationship-ended",
            };
            let r = call(rt, "customers", "record-event", &[actor, who(w)?, json!(kind), json!(at)])?;
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
    })
}

fn import(cli: &Cli, rt: &Runtime, a: &ImportArgs) -> Result<ExitCode, Failure> {
    use fichier_host::bindings::types;
    use fichier_host::import::{self, ImportError, ImportRequest, Progress};
    use std::io::IsTerminal;
    let role = match cli.role {
        Role::Admin => types::Role::Admin,
        Role::Dpo => types::Role::Dpo,
        Role::Support => types::Role::Support,
        Role::System => types::Role::System,
        Role::Public => types::Role::Public,
    };
    let actor = types::Actor { id: cli.actor.clone(), role };
    let req = ImportRequest {
        file: a.file.clone(),
        mapping: a.mapping.clone(),
        encoding: a.encoding.clone(),
        delimiter: a.delimiter.clone(),
        purposes: a.purposes.clone(),
        basis: a.basis.clone(),
        source: a.source.clone(),
        chunk: a.chunk_kib.saturating_mul(1024),
    };
    let terminal = std::io::stderr().is_terminal() && !cli.json;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut issues: Vec<Value> = Vec::new();
    let mut rows_seen = 0u64;
    let mut next_line_at = 0u64;
    let result = import::run(rt, &actor, &req, &mut |p| match p {
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
        Progress::Chunk { offset, total, rows, issues: chunk_issues } => {
            rows_seen += u64::from(rows);
            for i in chunk_issues {
                issues.push(json!({"line": i.line, "column": i.column, "rule": i.rule, "message": i.message}));
            }
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
    // The session keeps the first issues of every run (a resumed or repeated import
    // reports them too); this run's chunks gave all of its own.
    let seen: std::collections::BTreeSet<(u64, String, String)> =
        issues.iter().map(|i| (i["line"].as_u64().unwrap_or(0), s(&i["column"]), s(&i["rule"]))).collect();
    let mut earlier: Vec<Value> = report
        .issues
        .iter()
        .filter(|i| !seen.contains(&(i.line, i.column.clone(), i.rule.clone())))
        .map(|i| json!({"line": i.line, "column": i.column, "rule": i.rule, "message": i.message}))
        .collect();
    earlier.append(&mut issues);
    let mut issues = earlier;
    issues.sort_by_key(|i| i["line"].as_u64().unwrap_or(0));
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({"rule": f.rule, "severity": match f.severity {
                fichier_host::bindings::minimisation::Severity::Block => "block",
                fichier_host::bindings::minimisation::Severity::Warn => "warn",
                fichier_host::bindings::minimisation::Severity::Info => "info",
            }, "count": f.count})
        })
        .collect();
    let dropped: Vec<Value> =
        report.dropped.iter().map(|d| json!({"column": d.column, "rule": d.rule, "message": d.message})).collect();
    let full = json!({
        "session": report.id, "name": report.name, "rows": report.rows, "imported": report.imported,
        "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected,
        "redacted": report.redacted, "done": report.done, "dropped": dropped, "findings": findings,
        "issues": issues, "started-at": report.started_at, "updated-at": report.updated_at,
    });
    if let Some(path) = &a.report {
        std::fs::write(path, serde_json::to_vec_pretty(&full).unwrap_or_default())
            .map_err(|e| Failure::Host(format!("writing {}: {e}", path.display())))?;
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
        human.push_str(&format!("\n  … {} more (--report FILE writes them all)", issues.len() - 20));
    }
    Output::new(&full, human).print(cli.json);
    Ok(ExitCode::SUCCESS)
}

/// A string field, or `-` when absent.
pub(crate) fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

pub(crate) fn rows(list: &Value, f: impl Fn(&Value) -> String) -> String {
    let lines: Vec<String> = list.as_array().into_iter().flatten().map(f).collect();
    if lines.is_empty() { "(none)".into() } else { lines.join("\n") }
}

pub(crate) struct Output {
    json: Value,
    human: String,
}

impl Output {
    pub(crate) fn new(json: &Value, human: impl Into<String>) -> Self {
        Self { json: json.clone(), human: human.into() }
    }

    /// Print to stdout; a closed pipe (`fichier … | head`) is not an error.
    pub(crate) fn print(&self, as_json: bool) {
        let text =
            if as_json { serde_json::to_string_pretty(&self.json).unwrap_or_default() } else { self.human.clone() };
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }
}
