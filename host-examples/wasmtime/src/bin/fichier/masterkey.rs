//! `master-key rotate`: every wrapped key re-wrapped under a new master key, driven
//! through the component's `maintenance.rotate-master-key` steps (begin, rewrap pages,
//! commit, clean pages, finish). Killed anywhere, the store opens with the old key or the
//! new one, and running the command again with the same new key carries it to its end.
//!
//! The old key comes as every command's does (FICHIER_MASTER_KEY, else the key file);
//! the new one from FICHIER_NEW_MASTER_KEY or `--new-key-file`. Once the rotation is
//! committed, a key file that held the old key is rewritten with the new one (a new file
//! renamed over it), so the next command opens the store.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use fichier_host::kv::KvBackend;
use fichier_host::master::{load_settings, master_key_from_env, valid_hex_key};
use fichier_host::{Clock, Runtime, RuntimeBuilder};
use serde_json::{Value, json};

use crate::Cli;
use crate::call::{Failure, Output, call, db_shown, key_file, open_store};
use crate::wit::WitName;

#[derive(Subcommand)]
pub enum MasterKeyCmd {
    /// Re-wrap every key under a new master key (FICHIER_NEW_MASTER_KEY or
    /// --new-key-file). Resumable: killed anywhere, the store opens with the old key or
    /// the new one; run it again with the same new key to finish. Afterwards the old key
    /// is refused; subject ids and unsubscribe links do not change.
    Rotate(RotateArgs),
}

#[derive(Args)]
pub struct RotateArgs {
    /// The new master key's file (64 hexadecimal characters, mode 0600), when
    /// FICHIER_NEW_MASTER_KEY is not set.
    #[arg(long)]
    new_key_file: Option<PathBuf>,
    /// Seconds to wait after naming the new key, and again after the commit, for calls
    /// already running elsewhere (`fichier serve`, an import) to end: they wrap the keys
    /// they create under the key they began with. 0 when nothing else uses the store.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    drain_seconds: u64,
}

pub fn master_key(c: &MasterKeyCmd, cli: &Cli, as_json: bool) -> Result<ExitCode, Failure> {
    match c {
        MasterKeyCmd::Rotate(a) => rotate(a, cli, as_json),
    }
}

/// A master key from a file: 64 hexadecimal characters, readable by its owner only.
fn read_key_file(path: &Path, what: &str) -> Result<String, Failure> {
    let fail = |why: String| Failure::Host(format!("{what} {}: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(fail(format!("readable by others (mode {:o}): run chmod 600 on it", mode & 0o777)));
        }
    }
    let key = text.trim().to_string();
    if !valid_hex_key(&key) {
        return Err(fail("does not hold a 64-hex-character master key".into()));
    }
    Ok(key)
}

/// Write `key` to `path` through a new file renamed over it (mode 0600, synced).
fn replace_key_file(path: &Path, key: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("rotating");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(key.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// One rotation step with the component; the answer's fields.
fn step(rt: &Runtime, actor: &Value, step: Value) -> Result<Value, Failure> {
    call(rt, "maintenance", "rotate-master-key", &[actor.clone(), step])
}

/// Every page of `tag` (`rewrap` or `clean`): keys looked at and written.
fn pages(rt: &Runtime, actor: &Value, tag: &str) -> Result<(u64, u64), Failure> {
    let (mut keys, mut written, mut cursor) = (0, 0, Value::Null);
    loop {
        let p = step(rt, actor, json!({"tag": tag, "val": cursor}))?;
        keys += p["keys"].as_u64().unwrap_or(0);
        written += p["rewritten"].as_u64().unwrap_or(0);
        cursor = p["cursor"].clone();
        if cursor.is_null() {
            return Ok((keys, written));
        }
    }
}

fn drain(seconds: u64, why: &str) {
    if seconds > 0 {
        eprintln!("fichier: waiting {seconds} s for calls begun {why} to end (--drain-seconds)");
        std::thread::sleep(std::time::Duration::from_secs(seconds));
    }
}

fn rotate(a: &RotateArgs, cli: &Cli, as_json: bool) -> Result<ExitCode, Failure> {
    let host = |e: &dyn std::fmt::Display| Failure::Host(e.to_string());
    let new = match std::env::var("FICHIER_NEW_MASTER_KEY") {
        Ok(k) if valid_hex_key(k.trim()) => k.trim().to_string(),
        Ok(_) => return Err(host(&"FICHIER_NEW_MASTER_KEY must be 64 hexadecimal characters (256 bits)")),
        Err(_) => match &a.new_key_file {
            Some(f) => read_key_file(f, "the new master key file")?,
            None => return Err(host(&"give the new master key: FICHIER_NEW_MASTER_KEY or --new-key-file")),
        },
    };
    // The current key, as every command finds it — but never a key file created here.
    let from_env = master_key_from_env().map_err(|e| host(&format!("{e:#}")))?;
    let file = key_file(cli)?;
    let old = match &from_env {
        Some(k) => k.clone(),
        None => read_key_file(&file, "the master key file")?,
    };
    if old.eq_ignore_ascii_case(&new) {
        return Err(host(&"the new master key is the current one"));
    }
    let settings = load_settings(cli.settings.as_deref()).map_err(|e| host(&format!("{e:#}")))?;
    let kv: Arc<dyn KvBackend> =
        open_store(cli, false).map_err(|e| host(&format!("opening {}: {e}", db_shown(cli))))?;
    let clock = Clock::from_env().map_err(|e| host(&format!("{e:#}")))?;
    let runtime = |entries: Vec<(String, String)>| {
        let mut config = settings.clone();
        config.extend(entries);
        RuntimeBuilder::new(kv.clone())
            .config(config)
            .clock(clock.clone())
            .pooling(false)
            .build()
            .map_err(|e| host(&format!("loading the component: {e:#}")))
    };
    let actor = json!({"id": cli.actor, "role": cli.role.wit()});
    let with_new = runtime(vec![("master_key".into(), new.clone())])?;

    // Committed already (a rotation killed after its commit)? Then only the clean-up is left.
    let committed = match step(&with_new, &actor, json!({"tag": "status"})) {
        Ok(_) => true,
        Err(Failure::Component(e)) if e["val"]["rule"] == "matches-store" => false,
        Err(e) => return Err(e),
    };
    let (mut rewrapped, mut looked) = (0, 0);
    if !committed {
        let with_old = runtime(vec![("master_key".into(), old.clone()), ("new_master_key".into(), new.clone())])?;
        step(&with_old, &actor, json!({"tag": "begin"}))?;
        drain(a.drain_seconds, "before the rotation");
        // A call that outlived the drain may have created a key after the pass went by:
        // the commit names it and refuses, and another pass wraps it.
        for pass in 1.. {
            let (seen, written) = pages(&with_old, &actor, "rewrap")?;
            (looked, rewrapped) = (seen, rewrapped + written);
            match step(&with_old, &actor, json!({"tag": "commit"})) {
                Err(Failure::Component(e)) if e["val"]["rule"] == "every-key-rewrapped" && pass < 3 => continue,
                r => r.map(drop)?,
            }
            break;
        }
    }
    // From here the store opens with the new key only: the key file follows.
    let key_file_note = match &from_env {
        None => {
            replace_key_file(&file, &new).map_err(|e| host(&format!("writing {}: {e}", file.display())))?;
            format!("{} now holds the new key", file.display())
        }
        Some(_) => "set FICHIER_MASTER_KEY to the new key wherever fichier runs".to_string(),
    };
    let status = step(&with_new, &actor, json!({"tag": "status"}))?;
    let (mut cleaned, mut seen) = (0, 0);
    if status["phase"] == "cleaning" {
        drain(a.drain_seconds, "before the commit");
        (seen, cleaned) = pages(&with_new, &actor, "clean")?;
        step(&with_new, &actor, json!({"tag": "finish"}))?;
    }
    let summary = json!({
        "rewrapped": rewrapped,
        "cleaned": cleaned,
        "keys": looked.max(seen),
        "resumed-after-commit": committed,
    });
    let human = format!(
        "master key rotated: {} keys wrapped under the new key, {} old wrappings dropped; the old key is refused from now on ({key_file_note}). Backups taken before open with the old key only: keep it with them until they expire.",
        rewrapped, cleaned
    );
    Output::new(&summary, human).done(as_json)
}
