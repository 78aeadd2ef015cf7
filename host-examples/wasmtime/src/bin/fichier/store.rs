//! `store copy`: both stores from one backend to another — SQLite files, PostgreSQL,
//! MariaDB/MySQL — from one consistent snapshot of the source, resumable, then verified:
//! the same keys and values on both sides, and the target's ledger, audit log and sealed
//! records checked by the component under the master key.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use fichier_host::copy::{compare, copy};
use fichier_host::kv::{KvBackend, SqlKv, SqliteKv, is_url, shown_place, store_files};
use fichier_host::master::{default_key_file, master_key_from_env, resolve_master_key};
use fichier_host::{Clock, RuntimeBuilder};
use serde_json::{Value, json};

use crate::Cli;
use crate::call::{Failure, Output, call};

#[derive(Subcommand)]
pub enum StoreCmd {
    /// Copy both stores (data and keys) into another store: from a consistent snapshot of
    /// the source, the keys first, verified afterwards (same keys, same values; the
    /// ledger, the audit log and every sealed record on the target). A path is a SQLite
    /// data file (its keys file beside it); a URL is postgres://… or mysql://….
    Copy(CopyArgs),
}

#[derive(Args)]
pub struct CopyArgs {
    /// The source: a SQLite data file or a database URL.
    #[arg(long)]
    from: String,
    /// The target: a SQLite data file (created) or a database URL.
    #[arg(long)]
    to: String,
    /// The source's keys database, when its keys live apart.
    #[arg(long)]
    from_keys_db: Option<String>,
    /// The target's keys database, to keep the keys apart there.
    #[arg(long)]
    to_keys_db: Option<String>,
    /// Finish an interrupted copy: write what is missing or different, delete what the
    /// source no longer has (without it, a target holding anything is refused).
    #[arg(long)]
    resume: bool,
}

fn host(what: impl std::fmt::Display) -> Failure {
    Failure::Host(what.to_string())
}

/// The source, read from one snapshot: a server's in a read-only transaction; SQLite
/// files copied first with `VACUUM INTO` (the data, then the keys) into `scratch`.
fn open_source(a: &CopyArgs, scratch: &Path) -> Result<Arc<dyn KvBackend>, Failure> {
    if is_url(&a.from) {
        let kv = SqlKv::connect(&a.from, a.from_keys_db.as_deref())
            .map_err(|e| host(format!("opening {}: {e}", shown_place(&a.from))))?;
        kv.begin_snapshot().map_err(|e| host(format!("taking a snapshot of {}: {e}", shown_place(&a.from))))?;
        return Ok(Arc::new(kv));
    }
    if a.from_keys_db.is_some() {
        return Err(host("--from-keys-db goes with a database URL in --from (a SQLite file keeps its keys beside it)"));
    }
    let snapshot = scratch.join("snapshot.db");
    for ((label, source), (_, target)) in store_files(Path::new(&a.from)).into_iter().zip(store_files(&snapshot)) {
        if !source.exists() {
            return Err(host(format!("no {label} store at {}: nothing to copy", source.display())));
        }
        let db = rusqlite::Connection::open_with_flags(&source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| host(format!("opening {}: {e}", source.display())))?;
        db.execute("VACUUM INTO ?1", [target.to_string_lossy()])
            .map_err(|e| host(format!("reading {}: {e}", source.display())))?;
    }
    Ok(Arc::new(SqliteKv::open(&snapshot).map_err(|e| host(format!("opening the snapshot: {e}")))?))
}

fn open_target(a: &CopyArgs) -> Result<Arc<dyn KvBackend>, Failure> {
    let opened: Result<Arc<dyn KvBackend>, _> = if is_url(&a.to) {
        SqlKv::connect(&a.to, a.to_keys_db.as_deref()).map(|kv| Arc::new(kv) as Arc<dyn KvBackend>)
    } else if a.to_keys_db.is_some() {
        return Err(host("--to-keys-db goes with a database URL in --to (a SQLite file keeps its keys beside it)"));
    } else {
        SqliteKv::open(Path::new(&a.to)).map(|kv| Arc::new(kv) as Arc<dyn KvBackend>)
    };
    opened.map_err(|e| host(format!("opening {}: {e}", shown_place(&a.to))))
}

/// The master key both stores are under: the environment, `--key-file`, or the key file
/// beside a SQLite source.
fn master_key(cli: &Cli, a: &CopyArgs) -> Result<String, Failure> {
    let file: PathBuf = match (&cli.key_file, is_url(&a.from)) {
        (Some(f), _) => f.clone(),
        (None, false) => default_key_file(Path::new(&a.from)),
        (None, true) if master_key_from_env().ok().flatten().is_some() => PathBuf::new(),
        (None, true) => {
            return Err(host("the source is a database server: set FICHIER_MASTER_KEY or give --key-file"));
        }
    };
    if master_key_from_env().ok().flatten().is_none() && !file.exists() {
        return Err(host(format!("no master key: set FICHIER_MASTER_KEY or give --key-file (no {})", file.display())));
    }
    resolve_master_key(&file).map_err(|e| host(format!("{e:#}")))
}

pub fn store(c: &StoreCmd, cli: &Cli, as_json: bool) -> Result<ExitCode, Failure> {
    let StoreCmd::Copy(a) = c;
    if a.from == a.to {
        return Err(host("--from and --to are the same store"));
    }
    let master = master_key(cli, a)?;
    let scratch = tempfile::Builder::new()
        .prefix("fichier-copy-")
        .tempdir()
        .map_err(|e| host(format!("a scratch directory: {e}")))?;
    let source = open_source(a, scratch.path())?;
    let target = open_target(a)?;
    let mut last = String::new();
    let copied = copy(&*source, &*target, a.resume, &mut |label, _| {
        if !as_json && label != last {
            last = label.to_string();
            eprintln!("copying the {label} store…");
        }
    })
    .map_err(host)?;
    let compared = compare(&*source, &*target, 20).map_err(host)?;
    source.rollback();
    drop(source);

    // The target, through the component: the chains and every sealed record.
    let rt = RuntimeBuilder::new(target)
        .config(vec![("master_key".into(), master)])
        .clock(Clock::from_env().map_err(|e| host(format!("{e:#}")))?)
        .pooling(false)
        .build()
        .map_err(|e| host(format!("loading the component: {e:#}")))?;
    let actor = json!({"id": cli.actor, "role": "system"});
    let ledger = call(&rt, "ledger", "verify", std::slice::from_ref(&actor))?;
    let audit = call(&rt, "audit", "verify", std::slice::from_ref(&actor))?;
    let sealed = call(&rt, "maintenance", "verify-store", std::slice::from_ref(&actor))?;
    let damaged = sealed["damaged"].as_array().map_or(0, Vec::len);
    let ok = compared.different == 0 && ledger["ok"] == json!(true) && audit["ok"] == json!(true) && damaged == 0;
    let report = json!({
        "from": shown_place(&a.from),
        "to": shown_place(&a.to),
        "copied": copied,
        "compared": compared,
        "ledger": ledger,
        "audit": audit,
        "verify-store": sealed,
        "ok": ok,
    });
    let mut human: Vec<String> = copied
        .iter()
        .map(|c| {
            format!(
                "{}: {} keys ({} bytes), {} written, {} already there, {} deleted",
                c.label, c.keys, c.bytes, c.written, c.unchanged, c.deleted
            )
        })
        .collect();
    human.push(format!(
        "compared: {} keys, {} different; ledger {} ({} receipts), audit log {} ({} entries), {} sealed records damaged",
        compared.keys,
        compared.different,
        verdict(&ledger),
        ledger["receipts"],
        verdict(&audit),
        audit["entries"],
        damaged
    ));
    human.extend(compared.differences.iter().cloned());
    let output = Output::new(&report, human.join("\n"));
    if ok {
        return output.done(as_json);
    }
    output.print(as_json);
    eprintln!("fichier: the copy does not verify (see above); run it again with --resume once the cause is fixed");
    Ok(ExitCode::from(1))
}

fn verdict(v: &Value) -> &'static str {
    if v["ok"] == json!(true) { "intact" } else { "BROKEN" }
}
