//! `fichier`: the command line over the fichier component, on SQLite files.
//!
//! Every command is one call (or a few) into the component; this crate only parses
//! arguments, builds the call's JSON and prints the answer. No rule lives here. Each
//! command group is a module owning its arguments; `call` is what they share.

mod audit;
mod backup;
mod call;
mod consent;
mod customers;
mod import;
mod masterkey;
mod registry;
mod rights;
mod scan;
mod serve;
mod store;
mod sweep;
mod wit;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::call::Failure;
use crate::wit::WitName;

/// fichier keeps a shop's customer file lawful under the GDPR: consent with proof,
/// declared purposes, versioned notices, a verifiable ledger.
///
/// Data lives in two SQLite files: the data (`--db`, default ./fichier.db) and the
/// per-subject keys (`<db stem>.keys.db`), or in two tables of a PostgreSQL or
/// MariaDB/MySQL database (`--db postgres://…`, `--keys-db` for a second one). The master
/// key comes from FICHIER_MASTER_KEY, else from a key file created on first run
/// (`<db>.master.key`, mode 0600; beside a database server, give --key-file): keep it
/// out of backups of the data.
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
    /// The data file (the keys file sits next to it), or a database server:
    /// postgres://user:pass@host/db or mysql://user:pass@host/db (tables fichier_data and
    /// fichier_keys; URL settings pool=, timeout_ms=, prefix=).
    #[arg(long, global = true, default_value = "./fichier.db", env = "FICHIER_DB")]
    db: PathBuf,
    /// With a database server: keep the keys in another database (other credentials), so
    /// a dump of the data database holds no key.
    #[arg(long, global = true, env = "FICHIER_KEYS_DB")]
    keys_db: Option<String>,
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

/// WIT `types.role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "kebab-case")]
enum Role {
    Admin,
    Dpo,
    Support,
    System,
    Public,
}

#[derive(Subcommand)]
enum Command {
    /// Declare and list processing purposes.
    #[command(subcommand)]
    Purpose(consent::PurposeCmd),
    /// Register, list and show information notices (versioned by content).
    #[command(subcommand)]
    Notice(consent::NoticeCmd),
    /// Record decisions (grant, refuse, withdraw) and read status and history.
    #[command(subcommand)]
    Consent(consent::ConsentCmd),
    /// Verify the consent ledger and take anchors.
    #[command(subcommand)]
    Ledger(consent::LedgerCmd),
    /// Show and change the policy (validity periods, minor age).
    #[command(subcommand)]
    Policy(consent::PolicyCmd),
    /// The customer file: read, rectify, review, duplicates and merge.
    #[command(subcommand)]
    Customers(customers::CustomersCmd),
    /// Import customers from a shop's CSV export (resumable; running it twice changes nothing).
    Import(import::ImportArgs),
    /// Minimisation checks of a form definition, a record, or a free text.
    #[command(subcommand)]
    Check(customers::CheckCmd),
    /// The record of processing activities (Art. 30): defaults, activities, exports, check,
    /// and the lawful-basis assistant.
    #[command(subcommand)]
    Registry(registry::RegistryCmd),
    /// The breach register (Art. 33(5)) and its 72-hour deadlines.
    #[command(subcommand)]
    Breach(registry::BreachCmd),
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
    Restrict(rights::RestrictArgs),
    /// Lift a restriction: the first run queues the notice to the person; once it is sent
    /// (outbox ack), the next run lifts.
    LiftRestriction(call::SubjectArgs),
    /// The person objects to direct marketing (Art. 21): it stops at once and the person
    /// goes on the opposition list, which imports consult.
    Object(rights::ObjectArgs),
    /// Messages to people waiting to be sent (identity tokens, answers, refusals).
    #[command(subcommand)]
    Outbox(rights::OutboxCmd),
    /// Copy both stores while fichier runs (one consistent snapshot each) into a new
    /// directory with a manifest (sizes, SHA-256, the key check's hash; never the master key).
    Backup(backup::BackupArgs),
    /// Restore a backup into `--db` (which must not exist): the manifest and files are
    /// checked first, the ledger and the audit log after; a failed check leaves nothing.
    Restore(backup::RestoreArgs),
    /// Move the customer file between stores (SQLite files, PostgreSQL, MariaDB/MySQL).
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// The master key: rotate it (every key re-wrapped under a new one, resumable).
    #[command(subcommand)]
    MasterKey(masterkey::MasterKeyCmd),
    /// Rebuild every derived index from the stored aggregates.
    Reindex,
    /// Open every sealed record once (keys, customer records, consent heads, receipts,
    /// outbox messages, waiting sign-ups) and name each that does not open; exit 1 when
    /// one does not.
    VerifyStore,
    /// Serve the REST API, the cookie banner and the admin page over HTTP: one
    /// instance of the component per request, as on Spin. Stops on SIGINT/SIGTERM after
    /// finishing the requests in flight.
    Serve(serve::ServeArgs),
    /// API keys for the HTTP face, each bound to a role.
    #[command(subcommand)]
    ApiKey(serve::ApiKeyCmd),
    /// List subjects (opaque ids) by page.
    Subjects(customers::SubjectsArgs),
    /// Prove what the shop's pages make the browser store and send: the system's
    /// Chromium (headless, a fresh profile per sequence, never downloaded) loads the pages
    /// before any choice, after « Tout refuser », after « Tout accepter » and after a
    /// withdrawal, clicking the banner's own buttons; cookies, storage keys and
    /// third-party requests are judged against the banner tag's declarations
    /// (`data-cookies-ID`, `data-recipients-ID`) and, with `--register`, the register in
    /// `--db` (read only), by rules citing the CNIL. Prints the report (`--json`: as JSON);
    /// `--json-file`, `--html` also write it.
    /// Exit status: 0 no error-level finding, 4 an error-level finding, 1 the scan could
    /// not run (no browser, a page or the banner's buttons missing).
    Scan(scan::ScanArgs),
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // `api-key create` has two roles, the acting one and the key's: tell them apart
    // before anything runs (a usage error, as clap's own).
    if let Command::ApiKey(serve::ApiKeyCmd::Create { key_role, .. }) = &mut cli.command {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        match serve::key_roles(cli.role, *key_role, serve::role_positions(&args)) {
            Ok((acting, key)) => {
                cli.role = acting;
                *key_role = Some(key);
            }
            Err(why) => {
                <Cli as clap::CommandFactory>::command().error(clap::error::ErrorKind::ArgumentConflict, why).exit()
            }
        }
    }
    run(&cli).unwrap_or_else(|failure| failure.report(cli.json))
}

/// One command. A command that reads input files reads (and checks) them before it opens
/// the store (and perhaps creates it), so a typo leaves nothing behind: `rt` opens it.
fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    let actor = json!({"id": cli.actor, "role": cli.role.wit()});
    let (rt, json) = (|| call::runtime(cli), cli.json);
    match &cli.command {
        Command::Purpose(c) => consent::purpose(c, &rt()?, actor, json),
        Command::Notice(c) => consent::notice(c, rt, actor, json),
        Command::Consent(c) => consent::consent(c, &rt()?, actor, json),
        Command::Ledger(c) => consent::ledger(c, &rt()?, actor, json),
        Command::Policy(c) => consent::policy(c, rt, actor, json),
        Command::Customers(c) => customers::customers(c, &rt()?, actor, json),
        Command::Import(a) => import::import(a, cli, rt),
        Command::Check(c) => customers::check(c, rt, actor, json),
        Command::Registry(c) => registry::registry(c, rt, actor, json),
        Command::Breach(c) => registry::breach(c, rt, actor, json),
        Command::Sweep(a) => sweep::sweep(a, &rt()?, actor, json),
        Command::Audit(c) => audit::audit(c, &rt()?, actor, json),
        Command::Request(c) => rights::request(c, &rt()?, actor, json),
        Command::Erase(a) => rights::erase(a, &rt()?, actor, json),
        Command::Export(a) => rights::export(a, &rt()?, actor),
        Command::Restrict(a) => rights::restrict(a, &rt()?, actor, json),
        Command::LiftRestriction(who) => rights::lift_restriction(who, &rt()?, actor, json),
        Command::Object(a) => rights::object(a, &rt()?, actor, json),
        Command::Outbox(c) => rights::outbox(c, &rt()?, actor, json),
        Command::Backup(a) => backup::backup(a, cli, json),
        Command::Restore(a) => backup::restore(a, cli, json),
        Command::Store(c) => store::store(c, cli, json),
        Command::MasterKey(c) => masterkey::master_key(c, cli, json),
        Command::Reindex => customers::reindex(&rt()?, actor, json),
        Command::VerifyStore => customers::verify_store(&rt()?, actor, json),
        Command::Serve(a) => serve::serve(a, cli),
        Command::ApiKey(c) => serve::api_key(c, rt, actor, json),
        Command::Subjects(a) => customers::subjects(a, &rt()?, actor, json),
        Command::Scan(a) => scan::scan(a, cli, actor, json),
    }
}
