//! Key-value backends for `wasi:keyvalue@0.2.0-draft2`: SQLite files (the embedded
//! default) and memory. Each label (`default`, `keys`) is a separate bucket; on SQLite
//! each is a separate file, so the data file holds no key.
//!
//! Compare-and-swap: every row carries a version drawn from a per-file counter that
//! only grows; a swap commits only if the row still has the version its handle saw
//! (or is still absent). Every write is its own transaction, acknowledged after commit
//! (WAL, `synchronous = FULL`) — unless the host opened a batch ([`KvBackend::begin`]):
//! then every write of every label joins one transaction per file, committed together
//! by [`KvBackend::commit`] (bulk work such as an import chunk: one fsync per chunk, and
//! a crash leaves the chunk wholly in or wholly out).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// What a backend reports; mapped onto the WIT `error` variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("no such store")]
    NoSuchStore,
    #[error("access denied")]
    AccessDenied,
    #[error("{0}")]
    Other(String),
}

impl From<rusqlite::Error> for KvError {
    fn from(e: rusqlite::Error) -> Self {
        KvError::Other(format!("sqlite: {e}"))
    }
}

/// A value and the version it was read at.
pub type Versioned = (u64, Vec<u8>);

/// Page size of `list-keys`.
pub const LIST_PAGE: usize = 1000;

/// A store of labelled buckets.
pub trait KvBackend: Send + Sync {
    /// The labels this backend serves.
    fn labels(&self) -> Vec<String>;
    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError>;
    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, label: &str, key: &str) -> Result<(), KvError>;
    /// Keys after `cursor`, in key order, at most [`LIST_PAGE`].
    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError>;
    /// Write `value` if the row is still at `seen` (`None`: still absent). `Ok(false)`: lost.
    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError>;
    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError>;
    /// Open a batch: the writes until [`KvBackend::commit`] become durable together.
    /// Backends without transactions accept and ignore it. A batch covers every caller
    /// of this backend: give batched work a backend of its own.
    fn begin(&self) -> Result<(), KvError> {
        Ok(())
    }
    /// Commit the open batch (keys before data, so committed data always has its key).
    fn commit(&self) -> Result<(), KvError> {
        Ok(())
    }
    /// Abandon the open batch.
    fn rollback(&self) {}
}

// ------------------------------------------------------------------ SQLite

/// One SQLite file per label.
pub struct SqliteKv {
    files: BTreeMap<String, (PathBuf, Mutex<Connection>)>,
}

/// The files a `--db PATH` stands for: the data file itself and `<stem>.keys.<ext>`.
pub fn store_files(db: &Path) -> Vec<(String, PathBuf)> {
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "fichier".into());
    let ext = db.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    let keys = db.with_file_name(format!("{stem}.keys.{ext}"));
    vec![("default".into(), db.to_path_buf()), ("keys".into(), keys)]
}

fn open_sqlite(path: &Path) -> Result<Connection, KvError> {
    // Personal data is sealed, but the files are still the shop's: owner-only (SQLite
    // gives its -wal and -shm files the same mode).
    #[cfg(unix)]
    if !path.exists() {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| KvError::Other(format!("creating {}: {e}", path.display())))?;
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // 32 MiB of page cache (the default 2 MiB makes a bulk import re-read its pages
    // through the kernel at every look-up).
    conn.pragma_update(None, "cache_size", -32768)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
         INSERT OR IGNORE INTO meta (name, n) VALUES ('version', 0);",
    )?;
    Ok(conn)
}

impl SqliteKv {
    /// Open (creating if needed) the files for `db` (see [`store_files`]).
    pub fn open(db: &Path) -> Result<Self, KvError> {
        let mut files = BTreeMap::new();
        for (label, path) in store_files(db) {
            let conn = open_sqlite(&path)?;
            files.insert(label, (path, Mutex::new(conn)));
        }
        Ok(Self { files })
    }

    /// The file behind a label.
    pub fn path(&self, label: &str) -> Option<&Path> {
        self.files.get(label).map(|(p, _)| p.as_path())
    }

    fn conn(&self, label: &str) -> Result<std::sync::MutexGuard<'_, Connection>, KvError> {
        let (_, m) = self.files.get(label).ok_or(KvError::NoSuchStore)?;
        m.lock().map_err(|_| KvError::Other("store lock poisoned".into()))
    }
}

/// Run `f` in a transaction of its own, or inside the open batch.
fn with_tx<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Connection) -> Result<Option<T>, KvError>,
) -> Result<Option<T>, KvError> {
    if !conn.is_autocommit() {
        return f(conn);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    if out.is_some() {
        tx.commit()?;
    }
    Ok(out)
}

fn next_version(tx: &Connection) -> Result<u64, KvError> {
    let n: i64 = tx
        .prepare_cached("UPDATE meta SET n = n + 1 WHERE name = 'version' RETURNING n")?
        .query_row([], |r| r.get(0))?;
    u64::try_from(n).map_err(|_| KvError::Other("version counter out of range".into()))
}

/// Write `value` at `key` under the next version, inside `tx`.
fn write_row(tx: &Connection, key: &str, value: &[u8]) -> Result<(), KvError> {
    let v = next_version(tx)?;
    tx.prepare_cached(
        "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version",
    )?
    .execute(params![key, value, v as i64])?;
    Ok(())
}

impl KvBackend for SqliteKv {
    fn labels(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        let conn = self.conn(label)?;
        let row = conn
            .prepare_cached("SELECT version, value FROM kv WHERE key = ?1")?
            .query_row(params![key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .optional()?;
        Ok(row.map(|(v, b)| (u64::try_from(v).unwrap_or(0), b)))
    }

    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        let mut conn = self.conn(label)?;
        with_tx(&mut conn, |tx| write_row(tx, key, value).map(Some))?;
        Ok(())
    }

    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        let conn = self.conn(label)?;
        conn.execute("DELETE FROM kv WHERE key = ?1", params![key])?;
        Ok(())
    }

    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        let conn = self.conn(label)?;
        let mut stmt = conn.prepare_cached("SELECT key FROM kv WHERE key > ?1 ORDER BY key LIMIT ?2")?;
        let rows = stmt.query_map(params![cursor.unwrap_or(""), LIST_PAGE as i64], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        let mut conn = self.conn(label)?;
        let won = with_tx(&mut conn, |tx| {
            let current: Option<i64> = tx
                .prepare_cached("SELECT version FROM kv WHERE key = ?1")?
                .query_row(params![key], |r| r.get(0))
                .optional()?;
            if current.map(|v| v as u64) != seen {
                return Ok(None);
            }
            write_row(tx, key, value)?;
            Ok(Some(()))
        })?;
        Ok(won.is_some())
    }

    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut conn = self.conn(label)?;
        let next = with_tx(&mut conn, |tx| {
            let current: Option<Vec<u8>> =
                tx.query_row("SELECT value FROM kv WHERE key = ?1", params![key], |r| r.get(0)).optional()?;
            let n = match current {
                None => 0,
                Some(bytes) => std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| KvError::Other(format!("value of {key} is not an integer")))?,
            };
            let next = n.checked_add(delta).ok_or_else(|| KvError::Other("increment overflows".into()))?;
            write_row(tx, key, &next.to_string().into_bytes())?;
            Ok(Some(next))
        })?;
        next.ok_or_else(|| KvError::Other("increment wrote nothing".into()))
    }

    fn begin(&self) -> Result<(), KvError> {
        for label in self.files.keys() {
            let conn = self.conn(label)?;
            if conn.is_autocommit() {
                conn.execute_batch("BEGIN IMMEDIATE")?;
            }
        }
        Ok(())
    }

    fn commit(&self) -> Result<(), KvError> {
        // Keys first: a committed customer always finds its data key.
        for label in ["keys", "default"].into_iter().chain(self.files.keys().map(String::as_str)) {
            if let Ok(conn) = self.conn(label)
                && !conn.is_autocommit()
            {
                conn.execute_batch("COMMIT")?;
            }
        }
        Ok(())
    }

    fn rollback(&self) {
        for label in self.files.keys() {
            if let Ok(conn) = self.conn(label)
                && !conn.is_autocommit()
            {
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
    }
}

// ------------------------------------------------------------------ memory

/// The last version handed out, and every (label, key) → versioned value.
type MemoryRows = (u64, BTreeMap<(String, String), Versioned>);

/// Buckets in memory (tests, benchmarks, throw-away runs).
pub struct MemoryKv {
    labels: Vec<String>,
    inner: Mutex<MemoryRows>,
}

impl MemoryKv {
    pub fn new(labels: &[&str]) -> Self {
        Self { labels: labels.iter().map(|s| s.to_string()).collect(), inner: Mutex::new((0, BTreeMap::new())) }
    }

    fn check(&self, label: &str) -> Result<(), KvError> {
        if self.labels.iter().any(|l| l == label) { Ok(()) } else { Err(KvError::NoSuchStore) }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryRows>, KvError> {
        self.inner.lock().map_err(|_| KvError::Other("store lock poisoned".into()))
    }
}

/// Write `value` at `key` under the next version.
fn write_memory_row(rows: &mut MemoryRows, key: (String, String), value: Vec<u8>) {
    rows.0 += 1;
    let v = rows.0;
    rows.1.insert(key, (v, value));
}

impl KvBackend for MemoryKv {
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }

    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        self.check(label)?;
        Ok(self.lock()?.1.get(&(label.to_string(), key.to_string())).cloned())
    }

    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.check(label)?;
        write_memory_row(&mut *self.lock()?, (label.to_string(), key.to_string()), value.to_vec());
        Ok(())
    }

    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        self.check(label)?;
        self.lock()?.1.remove(&(label.to_string(), key.to_string()));
        Ok(())
    }

    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        self.check(label)?;
        let g = self.lock()?;
        Ok(g.1
            .keys()
            .filter(|(l, k)| l == label && cursor.is_none_or(|c| k.as_str() > c))
            .take(LIST_PAGE)
            .map(|(_, k)| k.clone())
            .collect())
    }

    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        self.check(label)?;
        let mut g = self.lock()?;
        let k = (label.to_string(), key.to_string());
        if g.1.get(&k).map(|(v, _)| *v) != seen {
            return Ok(false);
        }
        write_memory_row(&mut g, k, value.to_vec());
        Ok(true)
    }

    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        self.check(label)?;
        let mut g = self.lock()?;
        let k = (label.to_string(), key.to_string());
        let n = match g.1.get(&k) {
            None => 0,
            Some((_, b)) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| KvError::Other(format!("value of {key} is not an integer")))?,
        };
        let next = n.checked_add(delta).ok_or_else(|| KvError::Other("increment overflows".into()))?;
        write_memory_row(&mut g, k, next.to_string().into_bytes());
        Ok(next)
    }
}
