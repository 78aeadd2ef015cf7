//! Deployment secrets and settings for `wasi:config`.
//!
//! - The master key: `FICHIER_MASTER_KEY` (64 hex characters), else a key file (by
//!   default next to the database, `<db>.master.key`) created on first run with 32
//!   random bytes and mode 0600. It is never printed or logged. Keep it apart from
//!   backups of the data file: whoever has both can read the data.
//! - Settings: a JSON object of strings (`--settings FILE`) and `FICHIER_CONFIG_<NAME>`
//!   environment variables (name lower-cased). The master key cannot be set there.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The default key file for a database path.
pub fn default_key_file(db: &Path) -> PathBuf {
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "fichier.db".into());
    db.with_file_name(format!("{name}.master.key"))
}

/// Whether `s` is a master key as the component takes it: 64 hexadecimal characters.
pub fn valid_hex_key(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The master key from `FICHIER_MASTER_KEY`, if set (an error if it is not a valid key).
pub fn master_key_from_env() -> anyhow::Result<Option<String>> {
    match std::env::var("FICHIER_MASTER_KEY") {
        Ok(k) if valid_hex_key(k.trim()) => Ok(Some(k.trim().to_string())),
        Ok(_) => bail!("FICHIER_MASTER_KEY must be 64 hexadecimal characters (256 bits)"),
        Err(_) => Ok(None),
    }
}

/// The master key (hex): from the environment, else the key file (created if absent).
pub fn resolve_master_key(key_file: &Path) -> anyhow::Result<String> {
    if let Some(k) = master_key_from_env()? {
        return Ok(k);
    }
    match std::fs::read_to_string(key_file) {
        Ok(content) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(key_file)?.permissions().mode();
                if mode & 0o077 != 0 {
                    bail!(
                        "{} is readable by others (mode {:o}): run chmod 600 on it",
                        key_file.display(),
                        mode & 0o777
                    );
                }
            }
            let k = content.trim().to_string();
            if !valid_hex_key(&k) {
                bail!("{} does not hold a 64-hex-character master key", key_file.display());
            }
            Ok(k)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(key_file),
        Err(e) => Err(e).with_context(|| format!("reading {}", key_file.display())),
    }
}

fn create_key_file(path: &Path) -> anyhow::Result<String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    let hex = hex::encode(key);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => {
            f.write_all(hex.as_bytes())?;
            f.sync_all()?;
            Ok(hex)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => resolve_master_key(path),
        Err(e) => Err(e).with_context(|| format!("creating the master key file {}", path.display())),
    }
}

/// `wasi:config` entries from a settings file and the environment.
pub fn load_settings(file: Option<&Path>) -> anyhow::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading settings {}", path.display()))?;
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{} must be a JSON object of strings", path.display()))?;
        for (k, v) in map {
            let Some(s) = v.as_str() else { bail!("setting {k} in {} must be a string", path.display()) };
            out.push((k, s.to_string()));
        }
    }
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("FICHIER_CONFIG_") {
            out.retain(|(n, _)| *n != name.to_lowercase());
            out.push((name.to_lowercase(), v));
        }
    }
    if out.iter().any(|(k, _)| k == "master_key" || k == "new_master_key") {
        bail!(
            "a master key is a secret: give it as FICHIER_MASTER_KEY (FICHIER_NEW_MASTER_KEY) or a key file, not as a setting"
        );
    }
    out.sort();
    Ok(out)
}
