//! What every command shares: the runtime it opens, one component call, the person it
//! names, what it prints and how it fails (with the exit code each failure maps to).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use fichier_host::kv::{
    ErasureJournal, GroupedKv, JournalingKv, KvBackend, KvError, SqlKv, SqliteKv, is_url, shown_place,
};
use fichier_host::master::{default_key_file, load_settings, master_key_from_env, resolve_master_key};
use fichier_host::runtime::describe_error;
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use serde_json::{Value, json};

use crate::Cli;

/// What went wrong, with the exit code it maps to.
pub enum Failure {
    /// The component refused the input (2) or found stored data bad (3).
    Component(Value),
    /// Usage or host failure (1).
    Host(String),
}

impl Failure {
    /// Say what went wrong (as JSON on stdout with `--json` for the component's errors,
    /// else on stderr) and give the exit code.
    pub fn report(self, as_json: bool) -> ExitCode {
        match self {
            Failure::Component(err) => {
                if as_json {
                    let _ = writeln!(std::io::stdout().lock(), "{}", json!({"error": err}));
                } else {
                    eprintln!("fichier: {}", describe_error(&err));
                }
                match err.get("tag").and_then(Value::as_str) {
                    Some("corrupted" | "config" | "storage" | "other") => ExitCode::from(3),
                    _ => ExitCode::from(2),
                }
            }
            Failure::Host(m) => {
                eprintln!("fichier: {m}");
                ExitCode::from(1)
            }
        }
    }
}

/// The runtime of one command: the store at `--db`, each call's writes in one SQLite
/// transaction, memory allocated on demand (one call per process).
pub fn runtime(cli: &Cli) -> Result<Runtime, Failure> {
    runtime_builder(cli, Vec::new(), |cli| open_store(cli, false))?
        .pooling(false)
        .build()
        .map_err(|e| Failure::Host(format!("loading the component: {e:#}")))
}

/// Whether `--db` names a database server (`postgres://…`, `mysql://…`) rather than a
/// SQLite file.
pub fn on_server(cli: &Cli) -> Option<&str> {
    cli.db.to_str().filter(|db| is_url(db))
}

/// `--db` as messages show it (a server URL's password hidden).
pub fn db_shown(cli: &Cli) -> String {
    cli.db.to_str().map_or_else(|| cli.db.display().to_string(), shown_place)
}

/// The store at `--db` (and `--keys-db`): SQLite files, one transaction per call (or, for
/// `shared`, [`GroupedKv`]'s group commits); a database server's tables, one transaction
/// per call (or, for `shared`, every write its own, as on Spin, so several processes can
/// serve one database).
pub fn open_store(cli: &Cli, shared: bool) -> Result<Arc<dyn KvBackend>, KvError> {
    match (on_server(cli), &cli.keys_db) {
        (Some(url), keys) => {
            let kv = SqlKv::connect(url, keys.as_deref())?;
            Ok(if shared { Arc::new(kv.shared()) } else { Arc::new(kv) })
        }
        (None, Some(_)) => Err(KvError::Other(
            "--keys-db names a database server for the keys; it needs --db on a server too (a SQLite --db keeps its keys in <stem>.keys.db)".into(),
        )),
        (None, None) => {
            let kv: Arc<dyn KvBackend> =
                if shared { Arc::new(GroupedKv::open(&cli.db)?) } else { Arc::new(SqliteKv::open(&cli.db)?) };
            // Erasures are journaled beside the files, outside what a backup copies.
            let clock = Clock::from_env().map_err(|e| KvError::Other(format!("{e:#}")))?;
            Ok(Arc::new(JournalingKv::new(kv, ErasureJournal::beside(&cli.db), clock)))
        }
    }
}

/// The master key file: `--key-file`, else `<db>.master.key` beside a SQLite file. A
/// database server has no such place (the key never lives in the database): it needs
/// FICHIER_MASTER_KEY or `--key-file`.
pub fn key_file(cli: &Cli) -> Result<std::path::PathBuf, Failure> {
    match (&cli.key_file, on_server(cli)) {
        (Some(f), _) => Ok(f.clone()),
        (None, None) => Ok(default_key_file(&cli.db)),
        (None, Some(_)) if master_key_from_env().ok().flatten().is_some() => Ok(std::path::PathBuf::new()),
        (None, Some(_)) => Err(Failure::Host(
            "a database server holds no master key: set FICHIER_MASTER_KEY or give --key-file".into(),
        )),
    }
}

/// The runtime for `cli`, with `extra` settings after the file's, on the store `open`
/// makes of `--db` (opened after the master key and the settings are read).
pub fn runtime_builder(
    cli: &Cli,
    extra: Vec<(String, String)>,
    open: impl FnOnce(&Cli) -> Result<Arc<dyn KvBackend>, KvError>,
) -> Result<RuntimeBuilder, Failure> {
    let host = |e: &dyn std::fmt::Display| Failure::Host(e.to_string());
    let master = resolve_master_key(&key_file(cli)?).map_err(|e| host(&format!("{e:#}")))?;
    let mut config = load_settings(cli.settings.as_deref()).map_err(|e| host(&format!("{e:#}")))?;
    config.extend(extra);
    config.push(("master_key".into(), master));
    let kv = open(cli).map_err(|e| host(&format!("opening {}: {e}", db_shown(cli))))?;
    let clock = Clock::from_env().map_err(|e| host(&format!("{e:#}")))?;
    Ok(RuntimeBuilder::new(kv).config(config).clock(clock))
}

/// One component call, its writes in one SQLite transaction (a change and its audit
/// entry commit together).
pub fn call(rt: &Runtime, iface: &str, func: &str, args: &[Value]) -> Result<Value, Failure> {
    let mut r = rt.invoke_batched(iface, func, args).map_err(|e| Failure::Host(e.to_string()))?;
    let Some(o) = r.as_object_mut().filter(|o| o.len() == 1) else { return Ok(r) };
    if let Some(v) = o.remove("ok") {
        return Ok(v);
    }
    match o.remove("err") {
        Some(e) => Err(Failure::Component(e)),
        None => Ok(r),
    }
}

/// The person a command is about: exactly one of `--email`, `--external`, `--subject`.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct SubjectArgs {
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
    /// The WIT `subject-ref`.
    pub fn json(&self) -> Result<Value, Failure> {
        match (&self.email, &self.external, &self.subject) {
            (Some(e), None, None) => Ok(json!({"tag": "email", "val": e})),
            (None, Some(x), None) => Ok(json!({"tag": "external", "val": x})),
            (None, None, Some(s)) => Ok(json!({"tag": "subject", "val": s})),
            _ => Err(Failure::Host("name the person with exactly one of --email, --external, --subject".into())),
        }
    }
}

/// A string field, or `-` when absent.
pub fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// One line per item of `list`, or `(none)`.
pub fn rows(list: &Value, f: impl Fn(&Value) -> String) -> String {
    let lines: Vec<String> = list.as_array().into_iter().flatten().map(f).collect();
    if lines.is_empty() { "(none)".into() } else { lines.join("\n") }
}

/// `human` with the hint to the next page, when there is one.
pub fn paged(mut human: String, next: &Value) -> String {
    if let Some(next) = next.as_str() {
        human.push_str(&format!("\n(more: --cursor {next})"));
    }
    human
}

/// A command's answer: the component's JSON (`--json`) or lines for people.
pub struct Output {
    json: Value,
    human: String,
}

impl Output {
    pub fn new(json: &Value, human: impl Into<String>) -> Self {
        Self { json: json.clone(), human: human.into() }
    }

    /// Print to stdout; a closed pipe (`fichier … | head`) is not an error.
    pub fn print(&self, as_json: bool) {
        let text =
            if as_json { serde_json::to_string_pretty(&self.json).unwrap_or_default() } else { self.human.clone() };
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }

    /// Print, and exit 0.
    pub fn done(self, as_json: bool) -> Result<ExitCode, Failure> {
        self.print(as_json);
        Ok(ExitCode::SUCCESS)
    }
}

/// `human`, then one line per record that did not open (a walk over the file names them
/// and goes on); `fichier verify-store` checks every sealed record.
pub fn with_damaged(mut human: String, damaged: &Value) -> String {
    for d in damaged.as_array().into_iter().flatten() {
        if !human.is_empty() {
            human.push('\n');
        }
        human.push_str(&format!("damaged: {} at {} ({}), left out", s(&d["subject"]), s(&d["place"]), s(&d["rule"])));
    }
    human
}

/// Print findings (a check's answer), one block each; exit 1 when one blocks.
pub fn findings(r: &Value, block: impl Fn(&Value) -> String, as_json: bool) -> Result<ExitCode, Failure> {
    let blocking = r.as_array().into_iter().flatten().any(|f| f["severity"] == json!("block"));
    Output::new(r, rows(r, block)).print(as_json);
    Ok(if blocking { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Write `bytes` to `path` (`--out`).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| Failure::Host(format!("writing {}: {e}", path.display())))
}

/// Write `bytes` to stdout as they are (an export is the output, in both modes); a
/// closed pipe is not an error.
pub fn write_stdout(bytes: &[u8]) {
    let _ = std::io::stdout().lock().write_all(bytes);
}

/// The text of an input file.
pub fn read_text(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file).map_err(|e| Failure::Host(format!("reading {}: {e}", file.display())))
}

/// An input file of JSON (a WIT record, as the conformance cases write it).
pub fn read_json(file: &Path) -> Result<Value, Failure> {
    let text = read_text(file)?;
    serde_json::from_str(&text).map_err(|e| Failure::Host(format!("{}: not JSON: {e}", file.display())))
}
