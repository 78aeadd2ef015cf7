//! `backup` and `restore`: an online, consistent copy of both SQLite files with a manifest,
//! and its restoration, checked before anything is opened (GDPR Art. 32(1)(c): the ability
//! to restore in a timely manner).
//!
//! A backup is a directory: `data.db`, `keys.db` and `manifest.json` (format, time, each
//! file's size and SHA-256, the SHA-256 of the stored key check — never the master key).
//! Each file is copied with SQLite's `VACUUM INTO`, which reads one consistent snapshot
//! while writers go on. The data file is copied first, the keys file second: every write
//! commits a key before the data that needs it, so each key the data copy refers to is in
//! the later keys copy (an erasure between the two copies only makes that person's data
//! unreadable, as the erasure means to).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use fichier_backup_manifest::{FILES, FORMAT, FileEntry};
use fichier_host::Clock;
use fichier_host::kv::{ErasureJournal, store_files};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Cli;
use crate::call::{Failure, Output, call};

/// The key-value key of the master key's check value in the keys store.
const KEY_CHECK: &str = "check";

#[derive(Args)]
pub struct BackupArgs {
    /// The directory to write (created; refused when it exists and is not empty).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A directory `fichier backup` wrote.
    #[arg(long)]
    from: PathBuf,
    /// The erasure journal to replay (default: the one the manifest names, beside the
    /// store the backup was taken from).
    #[arg(long)]
    journal: Option<PathBuf>,
}

fn host(what: impl std::fmt::Display) -> Failure {
    Failure::Host(what.to_string())
}

/// SHA-256 (hex) and size of a file, read in blocks.
fn digest(path: &Path) -> Result<(String, u64), Failure> {
    let mut file = fs::File::open(path).map_err(|e| host(format!("reading {}: {e}", path.display())))?;
    let (mut hasher, mut buf, mut size) = (Sha256::new(), vec![0u8; 1 << 16], 0u64);
    loop {
        let n = file.read(&mut buf).map_err(|e| host(format!("reading {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// SHA-256 (hex) of the key check stored in a keys file (`none` when there is none yet).
fn key_check(keys: &Path) -> Result<Option<String>, Failure> {
    let db = rusqlite::Connection::open_with_flags(keys, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| host(format!("opening {}: {e}", keys.display())))?;
    let value: Option<Vec<u8>> = db
        .query_row("SELECT value FROM kv WHERE key = ?1", [KEY_CHECK], |r| r.get(0))
        .map(Some)
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
        .map_err(|e| host(format!("reading {}: {e}", keys.display())))?;
    Ok(value.map(|v| hex::encode(Sha256::digest(&v))))
}

/// The time written in the manifest, on the clock the component would read.
fn now() -> Result<String, Failure> {
    let since_epoch = Clock::from_env().map_err(|e| host(format!("{e:#}")))?.now();
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH
        + chrono::Duration::milliseconds(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX));
    Ok(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Backups are of SQLite stores; a database server is backed up with its own tools, or
/// copied into SQLite files first (`fichier store copy`).
fn on_files(cli: &Cli, what: &str) -> Result<(), Failure> {
    match crate::call::on_server(cli) {
        Some(_) => Err(host(format!(
            "cannot {what} a database server's tables: use fichier store copy --to a SQLite file (then back that up), or the server's own dump of both tables"
        ))),
        None => Ok(()),
    }
}

/// `fichier backup --out DIR`.
pub fn backup(a: &BackupArgs, cli: &Cli, as_json: bool) -> Result<ExitCode, Failure> {
    on_files(cli, "back up")?;
    let stores = store_files(&cli.db);
    for (label, path) in &stores {
        if !path.exists() {
            return Err(host(format!("no {label} store at {}: nothing to back up", path.display())));
        }
    }
    if a.out.exists() && fs::read_dir(&a.out).map_err(|e| host(format!("{}: {e}", a.out.display())))?.next().is_some() {
        return Err(host(format!("{} exists and is not empty: back up into a new directory", a.out.display())));
    }
    fs::create_dir_all(&a.out).map_err(|e| host(format!("creating {}: {e}", a.out.display())))?;
    let mut files = Vec::new();
    // The data first, then the keys (see the module's comment).
    for (label, name) in FILES {
        let Some((_, source)) = stores.iter().find(|(l, _)| l == label) else {
            return Err(host(format!("no {label} store")));
        };
        let target = a.out.join(name);
        let db = rusqlite::Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| host(format!("opening {}: {e}", source.display())))?;
        db.execute("VACUUM INTO ?1", [target.to_string_lossy()])
            .map_err(|e| host(format!("copying {} to {}: {e}", source.display(), target.display())))?;
        let (sha256, bytes) = digest(&target)?;
        files.push(json!({"store": label, "name": name, "bytes": bytes, "sha256": sha256}));
    }
    // The erasure journal stays beside the store (a backup must not carry it back in time):
    // the manifest says where it is, so a restore can replay what came after.
    let journal = ErasureJournal::beside(&cli.db);
    let journal_path =
        fs::canonicalize(cli.db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
            .map(|dir| dir.join(journal.path().file_name().unwrap_or_default()))
            .unwrap_or_else(|_| journal.path().to_path_buf());
    let manifest = json!({
        "format": FORMAT,
        "created-at": now()?,
        "files": files,
        "key-check-sha256": key_check(&a.out.join("keys.db"))?,
        "erasure-journal": journal_path,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| host(format!("manifest: {e}")))?;
    fs::write(a.out.join("manifest.json"), format!("{text}\n"))
        .map_err(|e| host(format!("writing the manifest: {e}")))?;
    let human = format!(
        "backup written to {}: data.db ({} bytes), keys.db ({} bytes), manifest.json; keep the master key elsewhere",
        a.out.display(),
        files[0]["bytes"],
        files[1]["bytes"]
    );
    Output::new(&manifest, human).done(as_json)
}

/// A file of the backup, checked against the manifest's entry for it.
fn checked_file(dir: &Path, entry: &FileEntry) -> Result<PathBuf, Failure> {
    let (name, bytes, sha256) = (entry.name, entry.bytes, &entry.sha256);
    let path = dir.join(name);
    let (found, size) = digest(&path)?;
    if size != bytes || found != *sha256 {
        return Err(host(format!(
            "{name} does not match the manifest ({size} bytes, SHA-256 {found}; the manifest says {bytes} bytes, {sha256}): refused"
        )));
    }
    Ok(path)
}

/// `fichier restore --from DIR` into `--db` (and the keys file beside it), which must not
/// exist: the manifest and both files are checked first, the ledger and the audit log are
/// verified after; a restore that fails its checks leaves nothing behind.
pub fn restore(a: &RestoreArgs, cli: &Cli, as_json: bool) -> Result<ExitCode, Failure> {
    let text = fs::read(a.from.join("manifest.json"))
        .map_err(|e| host(format!("reading {}: {e}", a.from.join("manifest.json").display())))?;
    // Every member checked before any file is read (fichier-backup-manifest).
    let checked = fichier_backup_manifest::parse(&text).map_err(host)?;
    let mut sources = Vec::new();
    for entry in &checked.files {
        sources.push((entry.store, checked_file(&a.from, entry)?));
    }
    if let Some(keys) = sources.iter().find(|(l, _)| *l == "keys") {
        let found = key_check(&keys.1)?;
        if checked.key_check_sha256 != found {
            return Err(host("the keys file's key check does not match the manifest: refused"));
        }
    }
    // The master key is not in a backup: it must come from where it is kept, never be made
    // anew here (a new key would not open the restored keys).
    on_files(cli, "restore into")?;
    // The erasures to replay: read (and checked) before anything is written.
    let journal = match (&a.journal, &checked.erasure_journal) {
        (Some(p), _) => Some(ErasureJournal::at(p.clone())),
        (None, Some(p)) => Some(ErasureJournal::at(PathBuf::from(p))),
        (None, None) => None,
    };
    let erasures = match &journal {
        Some(j) => j.read().map_err(|e| host(format!("the erasure journal: {e}: refused")))?,
        None => Vec::new(),
    };
    let taken = checked.created_at;
    let mut after: Vec<String> = Vec::new();
    for e in &erasures {
        let at = chrono::DateTime::parse_from_rfc3339(&e.at).map_err(|_| host("the erasure journal: a bad time"))?;
        if at > taken && !after.contains(&e.subject) {
            after.push(e.subject.clone());
        }
    }
    let key_file = cli.key_file.clone().unwrap_or_else(|| fichier_host::master::default_key_file(&cli.db));
    if std::env::var_os("FICHIER_MASTER_KEY").is_none() && !key_file.exists() {
        return Err(host(format!(
            "no master key: set FICHIER_MASTER_KEY or give --key-file (no {} either)",
            key_file.display()
        )));
    }
    let targets = store_files(&cli.db);
    for (_, path) in &targets {
        if path.exists() {
            return Err(host(format!(
                "{} exists: restore into a new path (move the current files away first)",
                path.display()
            )));
        }
    }
    let remove = || {
        for (_, path) in &targets {
            let _ = fs::remove_file(path);
        }
    };
    if let Some(parent) = cli.db.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| host(format!("creating {}: {e}", parent.display())))?;
    }
    for (label, source) in &sources {
        let Some((_, target)) = targets.iter().find(|(l, _)| l == label) else { continue };
        let partial = target.with_extension("restoring");
        if let Err(e) = fs::copy(source, &partial).and_then(|_| fs::rename(&partial, target)) {
            let _ = fs::remove_file(&partial);
            remove();
            return Err(host(format!("writing {}: {e}", target.display())));
        }
    }
    // The restored store opens with this master key, and both chains verify.
    let actor = json!({"id": cli.actor, "role": "system"});
    let verified = (|| -> Result<(Value, Value), Failure> {
        let rt = crate::call::runtime(cli)?;
        Ok((
            call(&rt, "ledger", "verify", std::slice::from_ref(&actor))?,
            call(&rt, "audit", "verify", std::slice::from_ref(&actor))?,
        ))
    })();
    let (ledger, audit) = match verified {
        Ok(v) => v,
        Err(e) => {
            remove();
            return Err(e);
        }
    };
    let manifest = checked.value;
    let ok = ledger["ok"] == json!(true) && audit["ok"] == json!(true);
    if !ok {
        let report = json!({"restored": cli.db, "manifest": manifest, "ledger": ledger, "audit": audit, "ok": ok});
        remove();
        Output::new(&report, "the restored store does not verify (ledger or audit log): nothing restored")
            .print(as_json);
        return Ok(ExitCode::from(1));
    }
    // Everyone erased after the backup is erased again before the store is used: their
    // key came back with the old keys file. The journal comes along first (the replay's
    // own erasures are added to it), so a later restore of an older backup still knows.
    let replay = (|| -> Result<(u64, u64), Failure> {
        let own = ErasureJournal::beside(&cli.db);
        if !erasures.is_empty() {
            own.append(&erasures).map_err(|e| host(format!("{}: {e}", own.path().display())))?;
        }
        if after.is_empty() {
            return Ok((0, 0));
        }
        let rt = crate::call::runtime(cli)?;
        let dpo = json!({"id": cli.actor, "role": "dpo"});
        let (mut erased, mut absent) = (0, 0);
        for subject in &after {
            let who = json!({"tag": "subject", "val": subject});
            match call(&rt, "rights", "erase", &[dpo.clone(), who, json!({"request": null, "claim": null})]) {
                Ok(_) => erased += 1,
                // Not in the backup (a person who came after it): nothing to erase.
                Err(Failure::Component(e)) if e["tag"] == "not-found" => absent += 1,
                Err(e) => return Err(e),
            }
        }
        Ok((erased, absent))
    })();
    let (erased, absent) = match replay {
        Ok(v) => v,
        Err(e) => {
            remove();
            let _ = fs::remove_file(ErasureJournal::beside(&cli.db).path());
            return Err(e);
        }
    };
    let report = json!({
        "restored": cli.db,
        "manifest": manifest,
        "ledger": ledger,
        "audit": audit,
        "erasures": {
            "journal": journal.as_ref().map(|j| j.path().to_path_buf()),
            "after-backup": after.len(),
            "erased-again": erased,
            "not-in-backup": absent,
        },
        "ok": ok,
    });
    let human = format!(
        "restored {} from the backup of {}: ledger intact ({} receipts), audit log verified ({} entries); \
         {} people erased after the backup: {} erased again, {} not in it",
        cli.db.display(),
        manifest["created-at"].as_str().unwrap_or("?"),
        ledger["receipts"],
        audit["entries"],
        after.len(),
        erased,
        absent
    );
    Output::new(&report, human).done(as_json)
}
