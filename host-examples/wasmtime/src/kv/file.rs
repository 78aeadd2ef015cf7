//! The file layer both SQLite stores share: opening a file (mode, pragmas, the layout and
//! its migration), the statements on its rows, and its version counter. How writes are
//! grouped into transactions is the stores' own ([`super::SqliteKv`]: one per call or
//! batch; [`super::GroupedKv`]: one per group of callers).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use super::{KvError, LIST_PAGE, Versioned, incremented, store_files};

/// The label whose file a batch commits first (keys before the data sealed under them).
pub(super) const KEYS: &str = "keys";

/// The rows: a rowid table with a unique index on the key. Values live in the table's
/// leaves in insertion order (a bulk import appends; only the small index cells land at
/// random places), and up to ~4 KB of a value stays in its leaf page. A `WITHOUT ROWID`
/// table clustered on the key (the first layout) scattered every insert of a random
/// subject id across the file and kept at most ~1 KB of a value in its leaf, so each
/// sealed customer record took an overflow page of its own.
const KV_COLUMNS: &str =
    "(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT NULL, version INTEGER NOT NULL)";

/// An open file, and the version counter of its open counted transaction: inside a batch
/// (or a group's transaction) the counter is kept here and written back once, at commit.
pub(super) struct File {
    pub(super) db: Connection,
    batch_version: Option<u64>,
}

impl File {
    /// Open (creating if needed) the file at `path`, owner-only, in WAL mode with
    /// `synchronous = FULL`, in the current layout.
    pub(super) fn open(path: &Path) -> Result<Self, KvError> {
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
        // 16 KiB pages for a new file (an existing one keeps its own): measured on a bulk
        // import of 100 000 customers, 1.2x faster than 4 KiB with the same file size.
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // 32 MiB of page cache (the default 2 MiB makes a bulk import re-read its pages
        // through the kernel at every look-up).
        conn.pragma_update(None, "cache_size", -32768)?;
        // Deleted and overwritten rows are zeroed in their page (no extra IO): a data key an
        // erasure replaced does not linger in the file's free space.
        conn.pragma_update(None, "secure_delete", "FAST")?;
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS kv {KV_COLUMNS};
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
             INSERT OR IGNORE INTO meta (name, n) VALUES ('version', 0);",
        ))?;
        migrate_clustered(&conn)?;
        Ok(Self { db: conn, batch_version: None })
    }

    /// Whether a transaction is open on this file.
    pub(super) fn in_transaction(&self) -> bool {
        !self.db.is_autocommit()
    }

    /// Open a transaction whose version counter is kept here and written back once, by
    /// [`File::commit_counted`] (a batch, or a group's transaction).
    pub(super) fn begin_counted(&mut self) -> Result<(), KvError> {
        self.db.execute_batch("BEGIN IMMEDIATE")?;
        let n = self
            .db
            .query_row("SELECT n FROM meta WHERE name = 'version'", [], |r| r.get::<_, i64>(0))
            .map_err(KvError::from)
            .and_then(|n| u64::try_from(n).map_err(|_| KvError::Other("version counter out of range".into())));
        match n {
            Ok(n) => {
                self.batch_version = Some(n);
                Ok(())
            }
            Err(e) => {
                let _ = self.db.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Write the version counter back and commit the open transaction.
    pub(super) fn commit_counted(&mut self) -> Result<(), KvError> {
        if let Some(v) = self.batch_version.take() {
            self.db.prepare_cached("UPDATE meta SET n = ?1 WHERE name = 'version'")?.execute(params![v as i64])?;
        }
        self.db.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Abandon the open transaction, if any, and the counter it kept.
    pub(super) fn rollback(&mut self) {
        self.batch_version = None;
        if self.in_transaction() {
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }

    fn next_version(&mut self) -> Result<u64, KvError> {
        if let Some(v) = self.batch_version.as_mut() {
            *v += 1;
            return Ok(*v);
        }
        let n: i64 = self
            .db
            .prepare_cached("UPDATE meta SET n = n + 1 WHERE name = 'version' RETURNING n")?
            .query_row([], |r| r.get(0))?;
        u64::try_from(n).map_err(|_| KvError::Other("version counter out of range".into()))
    }

    pub(super) fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        let row = self
            .db
            .prepare_cached("SELECT version, value FROM kv WHERE key = ?1")?
            .query_row(params![key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .optional()?;
        Ok(row.map(|(v, b)| (u64::try_from(v).unwrap_or(0), b)))
    }

    /// One statement for all the keys (an import chunk reads thousands at a time).
    pub(super) fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let mut stmt = self.db.prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
        keys.iter().map(|k| Ok(stmt.query_row(params![k], |r| r.get::<_, Vec<u8>>(0)).optional()?)).collect()
    }

    pub(super) fn list_after(&self, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        let mut stmt = self.db.prepare_cached("SELECT key FROM kv WHERE key > ?1 ORDER BY key LIMIT ?2")?;
        let rows = stmt.query_map(params![cursor.unwrap_or(""), LIST_PAGE as i64], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Write `value` at `key` under the next version.
    pub(super) fn write_row(&mut self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let v = self.next_version()?;
        self.db
            .prepare_cached(
                "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version",
            )?
            .execute(params![key, value, v as i64])?;
        Ok(())
    }

    pub(super) fn delete_row(&mut self, key: &str) -> Result<(), KvError> {
        self.db.prepare_cached("DELETE FROM kv WHERE key = ?1")?.execute(params![key])?;
        Ok(())
    }

    /// One statement: an insert that does nothing when the key exists, or an update of
    /// the row at the version seen. Whether it wrote.
    pub(super) fn swap_row(&mut self, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        let v = self.next_version()? as i64;
        let changed = match seen {
            None => self
                .db
                .prepare_cached("INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO NOTHING")?
                .execute(params![key, value, v])?,
            Some(seen) => self
                .db
                .prepare_cached("UPDATE kv SET value = ?2, version = ?3 WHERE key = ?1 AND version = ?4")?
                .execute(params![key, value, v, seen as i64])?,
        };
        Ok(changed == 1)
    }

    /// Add `delta` to the integer at `key` (absent: 0); the new value.
    pub(super) fn increment_row(&mut self, key: &str, delta: i64) -> Result<i64, KvError> {
        let current: Option<Vec<u8>> =
            self.db.query_row("SELECT value FROM kv WHERE key = ?1", params![key], |r| r.get(0)).optional()?;
        let next = incremented(key, current.as_deref(), delta)?;
        self.write_row(key, &next.to_string().into_bytes())?;
        Ok(next)
    }
}

/// Bring a file of the first layout (`WITHOUT ROWID`) to [`KV_COLUMNS`], in one
/// transaction: every key keeps its value and its version.
fn migrate_clustered(conn: &Connection) -> Result<(), KvError> {
    let sql: String =
        conn.query_row("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'kv'", [], |r| r.get(0))?;
    if !sql.to_ascii_uppercase().contains("WITHOUT ROWID") {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         CREATE TABLE kv_rowid {KV_COLUMNS};
         INSERT INTO kv_rowid (key, value, version) SELECT key, value, version FROM kv ORDER BY key;
         DROP TABLE kv;
         ALTER TABLE kv_rowid RENAME TO kv;
         COMMIT;"
    ))
    .inspect_err(|_| {
        let _ = conn.execute_batch("ROLLBACK");
    })?;
    Ok(())
}

/// The `wasi:keyvalue` calls both SQLite stores answer alike, written into each one's
/// `impl KvBackend`: reads on the file under its lock; writes through the store's own
/// `write(label, replaces, f)`, which decides the transaction a write joins (`replaces`:
/// the write may overwrite or delete a value, not only insert one).
macro_rules! rows {
    () => {
        fn labels(&self) -> Vec<String> {
            self.files.labels().cloned().collect()
        }

        fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
            self.files.lock(label)?.file.get(key)
        }

        /// One lock of the file and one statement for all the keys (an import chunk reads
        /// thousands at a time).
        fn get_many(&self, label: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
            self.files.lock(label)?.file.get_many(keys)
        }

        fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
            self.write(label, true, |f| f.write_row(key, value).map(Some))?;
            Ok(())
        }

        fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
            self.write(label, true, |f| f.delete_row(key).map(Some))?;
            Ok(())
        }

        fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
            self.files.lock(label)?.file.list_after(cursor)
        }

        /// One statement: an insert that does nothing when the key exists, or an update of
        /// the row at the version seen.
        fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
            let won = self.write(label, seen.is_some(), |f| Ok(f.swap_row(key, seen, value)?.then_some(())))?;
            Ok(won.is_some())
        }

        fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
            let next = self.write(label, true, |f| f.increment_row(key, delta).map(Some))?;
            next.ok_or_else(|| KvError::Other("increment wrote nothing".into()))
        }
    };
}
pub(super) use rows;

/// The files of a `--db PATH` (see [`store_files`]), one per label, each behind its lock
/// with the state `S` a store keeps beside it.
pub(super) struct Files<S> {
    files: BTreeMap<String, (PathBuf, Mutex<S>)>,
}

impl<S> Files<S> {
    /// Open every file of `db`, `state` making each store's per-file state.
    pub(super) fn open(db: &Path, state: impl Fn(File) -> S) -> Result<Self, KvError> {
        let mut files = BTreeMap::new();
        for (label, path) in store_files(db) {
            let file = File::open(&path)?;
            files.insert(label, (path, Mutex::new(state(file))));
        }
        Ok(Self { files })
    }

    pub(super) fn labels(&self) -> impl Iterator<Item = &String> {
        self.files.keys()
    }

    pub(super) fn contains(&self, label: &str) -> bool {
        self.files.contains_key(label)
    }

    /// The file behind a label.
    pub(super) fn path(&self, label: &str) -> Option<&Path> {
        self.files.get(label).map(|(p, _)| p.as_path())
    }

    pub(super) fn lock(&self, label: &str) -> Result<MutexGuard<'_, S>, KvError> {
        let (_, m) = self.files.get(label).ok_or(KvError::NoSuchStore)?;
        m.lock().map_err(|_| KvError::Other("store lock poisoned".into()))
    }
}

/// What another process would read of `key` in the file at `path` now (committed rows
/// only).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) fn committed(path: &Path, key: &str) -> Option<Vec<u8>> {
    let conn = Connection::open(path).unwrap();
    conn.query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0)).optional().unwrap()
}
