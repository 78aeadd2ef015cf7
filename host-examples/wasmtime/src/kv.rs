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

use rusqlite::{Connection, OptionalExtension, params};

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
    /// The values of many keys, in order (`wasi:keyvalue/batch.get-many`).
    fn get_many(&self, label: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        keys.iter().map(|k| self.get(label, k).map(|v| v.map(|(_, b)| b))).collect()
    }
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
    /// Whether this backend commits concurrent callers' writes in groups (see
    /// [`SqliteKv::open_grouped`]); then callers use [`KvBackend::durable`], not batches.
    fn grouped(&self) -> bool {
        false
    }
    /// Group commit: a caller starts. A caller is a thread: the writes this thread makes
    /// until [`KvBackend::durable`] are the caller's.
    fn enter(&self) {}
    /// Group commit: return once every write this caller made since [`KvBackend::enter`]
    /// is durable — one commit and sync per file for all the callers waiting at that
    /// moment; an error if a commit holding any of them failed. Without groups, every
    /// write is already durable when it returns.
    fn durable(&self) -> Result<(), KvError> {
        Ok(())
    }
}

// ------------------------------------------------------------------ SQLite

/// One SQLite file per label.
pub struct SqliteKv {
    files: BTreeMap<String, (PathBuf, Mutex<File>)>,
    /// Group commit, when opened with [`SqliteKv::open_grouped`].
    group: Option<Group>,
    /// Tells this store's entries in a thread's [`PENDING`] from another store's.
    id: u64,
}

/// Group commit, per file. Writes join the file's open transaction; a caller that needs
/// them durable asks for the transaction's number (its epoch) to be. The first caller to
/// find no commit running on that file commits the transaction (a WAL append: the file
/// is opened with `synchronous = NORMAL`), releases the file, then makes the WAL durable
/// with `fdatasync` — outside the file's lock, so other callers read and write the next
/// transaction meanwhile — and wakes the callers waiting. Those who finished during one
/// sync share the next.
///
/// Order: a caller's write to one file first waits until its earlier writes to the other
/// files are durable (see [`SqliteKv::before_write`]), and a write to a file whose
/// transaction holding the caller's earlier writes was committed meanwhile first waits
/// for that transaction's outcome. So whatever a crash or a failed commit keeps of one
/// caller's writes is a prefix of them, as when every write committed on its own: a
/// subject's data never outlives the key it is sealed under, and a head never lands
/// without the receipt entry written before it.
struct Group {
    files: BTreeMap<String, FileGroup>,
}

#[derive(Default)]
struct FileGroup {
    state: Mutex<GroupState>,
    turn: std::sync::Condvar,
    /// The file's write-ahead log, opened at the first sync.
    wal: Mutex<Option<std::fs::File>>,
    wal_path: PathBuf,
}

impl FileGroup {
    fn lock(&self) -> std::sync::MutexGuard<'_, GroupState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `fdatasync` of the write-ahead log: every transaction committed to it so far is durable.
    fn sync_wal(&self) -> Result<(), KvError> {
        let mut wal = self.wal.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let f = match &mut *wal {
            Some(f) => f,
            None => wal.insert(
                std::fs::File::open(&self.wal_path)
                    .map_err(|e| KvError::Other(format!("opening {}: {e}", self.wal_path.display())))?,
            ),
        };
        f.sync_data().map_err(|e| KvError::Other(format!("syncing {}: {e}", self.wal_path.display())))
    }
}

#[derive(Default)]
struct GroupState {
    /// Every transaction up to this one is committed and synced (or failed).
    durable: u64,
    /// A caller is committing this file.
    leading: bool,
    /// Recent failed transactions: (epoch, why).
    failures: std::collections::VecDeque<(u64, String)>,
}

/// How many stores were opened (each gets its own id).
static STORES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// This thread's writes not yet known durable, on grouped stores: (store id, label,
    /// the epoch of the transaction they joined — the latest, per file).
    static PENDING: std::cell::RefCell<Vec<(u64, String, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An open file, and the version counter of its open batch: inside a batch the counter
/// is kept here and written back once, at commit.
struct File {
    db: Connection,
    batch_version: Option<u64>,
    /// Grouped: the number of the transaction writes join now (from 1).
    epoch: u64,
    /// In a batch: the open transaction holds a write, and one that replaced or deleted
    /// a value (not only inserted one).
    dirty: bool,
    replaced: bool,
}

/// The label whose file a batch commits first (keys before the data sealed under them).
const KEYS: &str = "keys";

impl File {
    /// Open a transaction whose version counter is kept here and written back once, by
    /// [`File::commit_counted`] (a batch, or a group's transaction).
    fn begin_counted(&mut self) -> Result<(), KvError> {
        self.db.execute_batch("BEGIN IMMEDIATE")?;
        (self.dirty, self.replaced) = (false, false);
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
    fn commit_counted(&mut self) -> Result<(), KvError> {
        if let Some(v) = self.batch_version.take() {
            self.db.prepare_cached("UPDATE meta SET n = ?1 WHERE name = 'version'")?.execute(params![v as i64])?;
        }
        self.db.execute_batch("COMMIT")?;
        (self.dirty, self.replaced) = (false, false);
        Ok(())
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

    /// Run `f` in a transaction of its own (committed when it returns `Some`), or inside
    /// the open batch. Grouped: inside the group's open transaction, opened if needed and
    /// left open for [`KvBackend::durable`] to commit (a failed statement undoes only
    /// itself: the transaction holds other callers' writes).
    fn with_tx<T>(
        &mut self,
        grouped: bool,
        f: impl FnOnce(&mut File) -> Result<Option<T>, KvError>,
    ) -> Result<Option<T>, KvError> {
        if !self.db.is_autocommit() {
            return f(self);
        }
        if grouped {
            self.begin_counted()?;
            return f(self);
        }
        self.db.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(Some(out)) => match self.db.execute_batch("COMMIT") {
                Ok(()) => Ok(Some(out)),
                Err(e) => {
                    let _ = self.db.execute_batch("ROLLBACK");
                    Err(e.into())
                }
            },
            other => {
                let _ = self.db.execute_batch("ROLLBACK");
                other
            }
        }
    }

    /// Write `value` at `key` under the next version.
    fn write_row(&mut self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let v = self.next_version()?;
        self.db
            .prepare_cached(
                "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version",
            )?
            .execute(params![key, value, v as i64])?;
        Ok(())
    }
}

/// The files a `--db PATH` stands for: the data file itself and `<stem>.keys.<ext>`.
pub fn store_files(db: &Path) -> Vec<(String, PathBuf)> {
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "fichier".into());
    let ext = db.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    let keys = db.with_file_name(format!("{stem}.keys.{ext}"));
    vec![("default".into(), db.to_path_buf()), ("keys".into(), keys)]
}

/// The rows: a rowid table with a unique index on the key. Values live in the table's
/// leaves in insertion order (a bulk import appends; only the small index cells land at
/// random places), and up to ~4 KB of a value stays in its leaf page. A `WITHOUT ROWID`
/// table clustered on the key (the first layout) scattered every insert of a random
/// subject id across the file and kept at most ~1 KB of a value in its leaf, so each
/// sealed customer record took an overflow page of its own.
const KV_COLUMNS: &str =
    "(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT NULL, version INTEGER NOT NULL)";

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
    Ok(conn)
}

impl SqliteKv {
    /// Open (creating if needed) the files for `db` (see [`store_files`]).
    pub fn open(db: &Path) -> Result<Self, KvError> {
        let mut files = BTreeMap::new();
        for (label, path) in store_files(db) {
            let db = open_sqlite(&path)?;
            let file = File { db, batch_version: None, epoch: 1, dirty: false, replaced: false };
            files.insert(label, (path, Mutex::new(file)));
        }
        Ok(Self { files, group: None, id: STORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) })
    }

    /// The same, committing concurrent callers' writes in groups (`fichier serve`): a
    /// write is not durable when it returns, but when [`KvBackend::durable`] does; a
    /// caller acknowledges its work only then. There are no batches in this mode.
    ///
    /// Commits append to the write-ahead log without syncing it (`synchronous = NORMAL`;
    /// SQLite still syncs before each checkpoint) and the group syncs it itself, after
    /// releasing the file: nothing is acknowledged before that sync.
    pub fn open_grouped(db: &Path) -> Result<Self, KvError> {
        let mut kv = Self::open(db)?;
        let mut files = BTreeMap::new();
        for (label, (path, file)) in &kv.files {
            file.lock().map_err(|_| KvError::Other("store lock poisoned".into()))?.db.pragma_update(
                None,
                "synchronous",
                "NORMAL",
            )?;
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            files.insert(label.clone(), FileGroup { wal_path: wal.into(), ..FileGroup::default() });
        }
        kv.group = Some(Group { files });
        Ok(kv)
    }

    /// A write to `label` is about to join its file's transaction: first make this
    /// caller's earlier writes to the other files durable (their order across files).
    fn before_write(&self, label: &str) -> Result<(), KvError> {
        if self.group.is_none() {
            return Ok(());
        }
        let others: Vec<(String, u64)> = PENDING.with(|p| {
            p.borrow()
                .iter()
                .filter(|(id, l, _)| *id == self.id && l != label)
                .map(|(_, l, e)| (l.clone(), *e))
                .collect()
        });
        for (other, epoch) in others {
            self.make_durable(&other, epoch)?;
        }
        Ok(())
    }

    /// The transaction of `label` holding this caller's writes not yet known durable.
    fn pending(&self, label: &str) -> Option<u64> {
        self.group.as_ref()?;
        PENDING.with(|p| p.borrow().iter().find(|(id, l, _)| *id == self.id && l == label).map(|(_, _, e)| *e))
    }

    /// A write to `label` joined its transaction `epoch`: this caller depends on it.
    fn wrote(&self, label: &str, epoch: u64) {
        if self.group.is_none() {
            return;
        }
        PENDING.with(|p| {
            let mut p = p.borrow_mut();
            match p.iter_mut().find(|(id, l, _)| *id == self.id && l == label) {
                Some(entry) => entry.2 = entry.2.max(epoch),
                None => p.push((self.id, label.to_string(), epoch)),
            }
        });
    }

    /// In a batch, which commits the keys file and then the others when the call ends, a
    /// write that would make that order unsafe first commits what the batch holds, so
    /// that a crash leaves a prefix of the call's writes (as the grouped mode does), give
    /// or take keys inserted early, which nothing references yet:
    /// - a write that replaces or deletes a key (an erasure replacing a subject's data
    ///   key) first commits the keys, then the data written before it;
    /// - a data write after such a key write first commits the keys.
    ///
    /// A batch that only inserts keys (an import chunk) stays one transaction per file.
    fn batch_order(&self, label: &str, replaces: bool) -> Result<(), KvError> {
        if self.group.is_some() {
            return Ok(());
        }
        let others_dirty = || -> Result<bool, KvError> {
            for other in self.files.keys().filter(|l| *l != KEYS) {
                if self.file(other)?.dirty {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        let commit = |label: &str| -> Result<(), KvError> {
            let mut f = self.file(label)?;
            if f.dirty && !f.db.is_autocommit() {
                f.commit_counted()?;
                f.begin_counted()?;
            }
            Ok(())
        };
        if label == KEYS {
            if replaces && others_dirty()? {
                commit(KEYS)?;
                for other in self.files.keys().filter(|l| *l != KEYS) {
                    commit(other)?;
                }
            }
        } else if self.files.contains_key(KEYS) && self.file(KEYS)?.replaced {
            commit(KEYS)?;
        }
        Ok(())
    }

    /// Run a write on `label`'s file: in its own transaction, a batch, or (grouped) the
    /// file's open transaction, with the order across files kept. `replaces`: the write
    /// may overwrite or delete a value (see [`SqliteKv::batch_order`]).
    fn write<T>(
        &self,
        label: &str,
        replaces: bool,
        f: impl FnOnce(&mut File) -> Result<Option<T>, KvError>,
    ) -> Result<Option<T>, KvError> {
        self.before_write(label)?;
        self.batch_order(label, replaces)?;
        let mut file = self.file(label)?;
        if let Some(mine) = self.pending(label)
            && mine < file.epoch
        {
            // This caller's earlier writes to this file were in a transaction already
            // committed (its sync may still run): their outcome first, so a later write
            // never lands after an earlier one that failed.
            drop(file);
            self.make_durable(label, mine)?;
            file = self.file(label)?;
        }
        let in_batch = self.group.is_none() && !file.db.is_autocommit();
        let out = file.with_tx(self.group.is_some(), f);
        if in_batch {
            // Even a failed statement may have been a write.
            file.dirty = true;
            file.replaced |= replaces;
        }
        let epoch = file.epoch;
        drop(file);
        // Even a failed statement may follow others of this caller in the transaction.
        self.wrote(label, epoch);
        out
    }

    /// Return once `label`'s transaction `epoch` is committed and its log synced; an
    /// error if that transaction failed.
    fn make_durable(&self, label: &str, epoch: u64) -> Result<(), KvError> {
        let Some(fg) = self.group.as_ref().and_then(|g| g.files.get(label)) else { return Ok(()) };
        let mut st = fg.lock();
        loop {
            if st.durable >= epoch {
                // Removed from the caller's list: done with, whatever the outcome.
                PENDING.with(|p| p.borrow_mut().retain(|(id, l, e)| !(*id == self.id && l == label && *e <= epoch)));
                return match st.failures.iter().find(|(e, _)| *e == epoch) {
                    Some((_, why)) => Err(KvError::Other(format!("committing: {why}"))),
                    None => Ok(()),
                };
            }
            if st.leading {
                st = fg.turn.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            st.leading = true;
            drop(st);
            let (committed, outcome) = self.commit_file(label);
            let outcome = outcome.and_then(|()| fg.sync_wal());
            st = fg.lock();
            st.leading = false;
            if committed == 0 {
                // The file itself could not be had: nothing was committed.
                fg.turn.notify_all();
                return outcome;
            }
            st.durable = st.durable.max(committed);
            if let Err(e) = outcome {
                st.failures.push_back((committed, e.to_string()));
                if st.failures.len() > 64 {
                    st.failures.pop_front();
                }
            }
            fg.turn.notify_all();
        }
    }

    /// Commit `label`'s open transaction (its version counter written back) and start
    /// the next epoch; the epoch committed. A transaction that fails to commit is rolled
    /// back.
    fn commit_file(&self, label: &str) -> (u64, Result<(), KvError>) {
        let mut f = match self.file(label) {
            Ok(f) => f,
            Err(e) => return (0, Err(e)),
        };
        let committed = f.epoch;
        f.epoch += 1;
        if f.db.is_autocommit() {
            return (committed, Ok(()));
        }
        let outcome = f.commit_counted();
        if outcome.is_err() {
            let _ = f.db.execute_batch("ROLLBACK");
        }
        (committed, outcome)
    }

    /// The file behind a label.
    pub fn path(&self, label: &str) -> Option<&Path> {
        self.files.get(label).map(|(p, _)| p.as_path())
    }

    fn file(&self, label: &str) -> Result<std::sync::MutexGuard<'_, File>, KvError> {
        let (_, m) = self.files.get(label).ok_or(KvError::NoSuchStore)?;
        m.lock().map_err(|_| KvError::Other("store lock poisoned".into()))
    }
}

impl KvBackend for SqliteKv {
    fn labels(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        let f = self.file(label)?;
        let row =
            f.db.prepare_cached("SELECT version, value FROM kv WHERE key = ?1")?
                .query_row(params![key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
                .optional()?;
        Ok(row.map(|(v, b)| (u64::try_from(v).unwrap_or(0), b)))
    }

    /// One lock of the file and one statement for all the keys (an import chunk reads
    /// thousands at a time).
    fn get_many(&self, label: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let f = self.file(label)?;
        let mut stmt = f.db.prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
        keys.iter().map(|k| Ok(stmt.query_row(params![k], |r| r.get::<_, Vec<u8>>(0)).optional()?)).collect()
    }

    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write(label, true, |f| f.write_row(key, value).map(Some))?;
        Ok(())
    }

    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        self.write(label, true, |f| {
            f.db.prepare_cached("DELETE FROM kv WHERE key = ?1")?.execute(params![key])?;
            Ok(Some(()))
        })?;
        Ok(())
    }

    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        let f = self.file(label)?;
        let mut stmt = f.db.prepare_cached("SELECT key FROM kv WHERE key > ?1 ORDER BY key LIMIT ?2")?;
        let rows = stmt.query_map(params![cursor.unwrap_or(""), LIST_PAGE as i64], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One statement: an insert that does nothing when the key exists, or an update of
    /// the row at the version seen.
    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        let won = self.write(label, seen.is_some(), |f| {
            let v = f.next_version()? as i64;
            let changed = match seen {
                None => {
                    f.db.prepare_cached(
                        "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO NOTHING",
                    )?
                    .execute(params![key, value, v])?
                }
                Some(seen) => {
                    f.db.prepare_cached("UPDATE kv SET value = ?2, version = ?3 WHERE key = ?1 AND version = ?4")?
                        .execute(params![key, value, v, seen as i64])?
                }
            };
            Ok((changed == 1).then_some(()))
        })?;
        Ok(won.is_some())
    }

    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        let next = self.write(label, true, |f| {
            let current: Option<Vec<u8>> =
                f.db.query_row("SELECT value FROM kv WHERE key = ?1", params![key], |r| r.get(0)).optional()?;
            let n = match current {
                None => 0,
                Some(bytes) => std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| KvError::Other(format!("value of {key} is not an integer")))?,
            };
            let next = n.checked_add(delta).ok_or_else(|| KvError::Other("increment overflows".into()))?;
            f.write_row(key, &next.to_string().into_bytes())?;
            Ok(Some(next))
        })?;
        next.ok_or_else(|| KvError::Other("increment wrote nothing".into()))
    }

    fn begin(&self) -> Result<(), KvError> {
        let open = || -> Result<(), KvError> {
            for label in self.files.keys() {
                let mut f = self.file(label)?;
                if f.db.is_autocommit() {
                    f.begin_counted()?;
                }
            }
            Ok(())
        };
        // A file that could not join leaves none of the others in a transaction.
        open().inspect_err(|_| self.rollback())
    }

    fn commit(&self) -> Result<(), KvError> {
        // Keys first: a committed customer always finds its data key.
        for label in [KEYS, "default"].into_iter().chain(self.files.keys().map(String::as_str)) {
            if let Ok(mut f) = self.file(label)
                && !f.db.is_autocommit()
            {
                f.commit_counted()?;
            }
        }
        Ok(())
    }

    fn rollback(&self) {
        for label in self.files.keys() {
            if let Ok(mut f) = self.file(label) {
                f.batch_version = None;
                (f.dirty, f.replaced) = (false, false);
                if !f.db.is_autocommit() {
                    let _ = f.db.execute_batch("ROLLBACK");
                }
            }
        }
    }

    fn grouped(&self) -> bool {
        self.group.is_some()
    }

    fn enter(&self) {
        // A caller starts: nothing of an earlier call on this thread is its concern.
        PENDING.with(|p| p.borrow_mut().retain(|(id, _, _)| *id != self.id));
    }

    fn durable(&self) -> Result<(), KvError> {
        if self.group.is_none() {
            return Ok(());
        }
        let pending: Vec<(String, u64)> = PENDING
            .with(|p| p.borrow().iter().filter(|(id, _, _)| *id == self.id).map(|(_, l, e)| (l.clone(), *e)).collect());
        let mut failed = None;
        for (label, epoch) in pending {
            if let Err(e) = self.make_durable(&label, epoch) {
                failed.get_or_insert(e);
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

// ------------------------------------------------------------------ memory

/// The last version handed out, and every (label, key) → versioned value.
type MemoryRows = (u64, BTreeMap<(String, String), Versioned>);

/// Buckets in memory (tests, benchmarks, throw-away runs).
pub struct MemoryKv {
    labels: Vec<String>,
    inner: Mutex<MemoryRows>,
    /// The open batch: each key's value before the batch first wrote it (`None`: absent),
    /// put back by [`KvBackend::rollback`].
    batch: Mutex<Option<MemoryUndo>>,
}

/// (label, key) → the value before the open batch first changed it.
type MemoryUndo = BTreeMap<(String, String), Option<Versioned>>;

impl MemoryKv {
    pub fn new(labels: &[&str]) -> Self {
        Self {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            inner: Mutex::new((0, BTreeMap::new())),
            batch: Mutex::new(None),
        }
    }

    /// About to change `key`: an open batch keeps its value from before the batch.
    fn before_change(&self, rows: &MemoryRows, key: &(String, String)) {
        let mut batch = self.batch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(undo) = batch.as_mut() {
            undo.entry(key.clone()).or_insert_with(|| rows.1.get(key).cloned());
        }
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
        let mut g = self.lock()?;
        let k = (label.to_string(), key.to_string());
        self.before_change(&g, &k);
        write_memory_row(&mut g, k, value.to_vec());
        Ok(())
    }

    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        self.check(label)?;
        let mut g = self.lock()?;
        let k = (label.to_string(), key.to_string());
        self.before_change(&g, &k);
        g.1.remove(&k);
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
        self.before_change(&g, &k);
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
        self.before_change(&g, &k);
        write_memory_row(&mut g, k, next.to_string().into_bytes());
        Ok(next)
    }

    /// A batch in memory: the writes stay in place, and a rollback puts back what each
    /// key held before the batch (a call that traps or fails writes nothing, as on SQLite).
    fn begin(&self) -> Result<(), KvError> {
        *self.batch.lock().map_err(|_| KvError::Other("store lock poisoned".into()))? = Some(BTreeMap::new());
        Ok(())
    }

    fn commit(&self) -> Result<(), KvError> {
        *self.batch.lock().map_err(|_| KvError::Other("store lock poisoned".into()))? = None;
        Ok(())
    }

    fn rollback(&self) {
        let Ok(mut g) = self.lock() else { return };
        let undo = self.batch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        for (k, before) in undo.into_iter().flatten() {
            match before {
                Some(v) => g.1.insert(k, v),
                None => g.1.remove(&k),
            };
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> SqliteKv {
        SqliteKv::open(&dir.join("t.db")).unwrap()
    }

    #[test]
    fn grouped_writes_are_durable_for_every_caller_once_durable_returns() {
        let dir = tempfile::tempdir().unwrap();
        let kv = std::sync::Arc::new(SqliteKv::open_grouped(&dir.path().join("t.db")).unwrap());
        assert!(kv.grouped());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for i in 0..40 {
                        kv.enter();
                        let key = format!("k/{t}/{i}");
                        assert!(kv.swap_if("default", &key, None, b"v").unwrap());
                        kv.set("keys", &key, b"w").unwrap();
                        kv.durable().unwrap();
                        // Committed: another connection (another process) reads it.
                        let other = SqliteKv::open(&dir_of(&kv)).unwrap();
                        assert_eq!(other.get("default", &key).unwrap().map(|v| v.1), Some(b"v".to_vec()));
                        assert_eq!(other.get("keys", &key).unwrap().map(|v| v.1), Some(b"w".to_vec()));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Nothing is left in an open transaction, and a swap at a stale version loses.
        let other = SqliteKv::open(&dir.path().join("t.db")).unwrap();
        let (v, _) = other.get("default", "k/0/0").unwrap().unwrap();
        other.set("default", "k/0/0", b"x").unwrap();
        kv.enter();
        assert!(!kv.swap_if("default", "k/0/0", Some(v), b"y").unwrap());
        kv.durable().unwrap();
        assert_eq!(other.get("default", "k/0/0").unwrap().unwrap().1, b"x".to_vec());
    }

    /// What another process would read of `label`'s `key` now (committed rows only).
    fn committed(kv: &SqliteKv, label: &str, key: &str) -> Option<Vec<u8>> {
        let conn = Connection::open(kv.path(label).unwrap()).unwrap();
        conn.query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0)).optional().unwrap()
    }

    #[test]
    fn a_memory_batch_rolled_back_leaves_every_key_as_before() {
        let kv = MemoryKv::new(&["default", "keys"]);
        kv.set("default", "kept", b"1").unwrap();
        kv.set("default", "gone", b"2").unwrap();
        let before = kv.get("default", "kept").unwrap();
        kv.begin().unwrap();
        kv.set("default", "kept", b"changed").unwrap();
        kv.set("default", "kept", b"twice").unwrap();
        kv.delete("default", "gone").unwrap();
        assert!(kv.swap_if("keys", "new", None, b"k").unwrap());
        kv.increment("default", "n", 5).unwrap();
        kv.rollback();
        assert_eq!(kv.get("default", "kept").unwrap(), before);
        assert_eq!(kv.get("default", "gone").unwrap().map(|v| v.1), Some(b"2".to_vec()));
        assert_eq!((kv.get("keys", "new").unwrap(), kv.get("default", "n").unwrap()), (None, None));
        // A committed batch keeps its writes; outside a batch, a rollback changes nothing.
        kv.begin().unwrap();
        kv.set("default", "kept", b"3").unwrap();
        kv.commit().unwrap();
        kv.rollback();
        assert_eq!(kv.get("default", "kept").unwrap().map(|v| v.1), Some(b"3".to_vec()));
    }

    #[test]
    fn a_batch_commits_early_only_where_its_keys_first_order_would_break_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("t.db")).unwrap();
        // Inserting keys and writing data (an import chunk): one transaction per file.
        kv.begin().unwrap();
        assert!(kv.swap_if("keys", "dek/a", None, b"key a").unwrap());
        kv.set("default", "customer/a", b"sealed a").unwrap();
        assert!(kv.swap_if("keys", "dek/b", None, b"key b").unwrap());
        kv.set("default", "customer/b", b"sealed b").unwrap();
        assert_eq!(committed(&kv, "keys", "dek/a"), None);
        assert_eq!(committed(&kv, "default", "customer/a"), None);
        kv.commit().unwrap();
        assert_eq!(committed(&kv, "default", "customer/b"), Some(b"sealed b".to_vec()));

        // An erasure: data written, then a data key replaced, then data sealed under the new one.
        kv.begin().unwrap();
        assert!(kv.swap_if("keys", "staged/a", None, b"new key").unwrap());
        kv.set("default", "hold/a", b"held copy").unwrap();
        let (v, _) = kv.get("keys", "dek/a").unwrap().unwrap();
        // Replacing the key first commits the keys, then the data written before it.
        assert!(kv.swap_if("keys", "dek/a", Some(v), b"new key").unwrap());
        assert_eq!(committed(&kv, "keys", "staged/a"), Some(b"new key".to_vec()));
        assert_eq!(committed(&kv, "default", "hold/a"), Some(b"held copy".to_vec()));
        assert_eq!(committed(&kv, "keys", "dek/a"), Some(b"key a".to_vec()), "the replacement waits");
        kv.delete("keys", "staged/a").unwrap();
        // Data after the replacement: the keys go first.
        kv.set("default", "subject/a", b"under the new key").unwrap();
        assert_eq!(committed(&kv, "keys", "dek/a"), Some(b"new key".to_vec()));
        assert_eq!(committed(&kv, "keys", "staged/a"), None);
        assert_eq!(committed(&kv, "default", "subject/a"), None);
        kv.set("default", "audit/1", b"entry").unwrap();
        kv.commit().unwrap();
        assert_eq!(committed(&kv, "default", "subject/a"), Some(b"under the new key".to_vec()));
        assert_eq!(committed(&kv, "default", "audit/1"), Some(b"entry".to_vec()));

        // A rolled-back batch keeps what it committed early, and nothing after.
        kv.begin().unwrap();
        kv.set("default", "x", b"1").unwrap();
        kv.set("keys", "dek/b", b"replaced").unwrap();
        kv.set("default", "y", b"2").unwrap();
        kv.set("default", "z", b"3").unwrap();
        kv.rollback();
        assert_eq!(committed(&kv, "default", "x"), Some(b"1".to_vec()));
        assert_eq!(committed(&kv, "keys", "dek/b"), Some(b"replaced".to_vec()));
        assert_eq!(committed(&kv, "default", "y"), None);
        // The version counter kept counting across the early commits.
        let before = kv.get("default", "x").unwrap().unwrap().0;
        kv.set("default", "x", b"4").unwrap();
        assert!(kv.get("default", "x").unwrap().unwrap().0 > before);
    }

    #[test]
    fn a_grouped_write_to_one_file_first_makes_the_callers_writes_to_the_other_durable() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open_grouped(&dir.path().join("t.db")).unwrap();
        kv.enter();
        assert!(kv.swap_if("keys", "dek/a", None, b"key").unwrap());
        assert_eq!(committed(&kv, "keys", "dek/a"), None, "grouped: not committed when the write returns");
        // Data sealed under that key: the key is committed before the data joins its file.
        kv.set("default", "subject/a", b"sealed").unwrap();
        assert_eq!(committed(&kv, "keys", "dek/a"), Some(b"key".to_vec()));
        assert_eq!(committed(&kv, "default", "subject/a"), None);
        // And the other way round.
        kv.set("keys", "dek/b", b"key b").unwrap();
        assert_eq!(committed(&kv, "default", "subject/a"), Some(b"sealed".to_vec()));
        assert_eq!(committed(&kv, "keys", "dek/b"), None);
        kv.durable().unwrap();
        assert_eq!(committed(&kv, "keys", "dek/b"), Some(b"key b".to_vec()));
        let (v, _) = kv.get("default", "subject/a").unwrap().unwrap();
        drop(kv);
        // The version counter kept in memory during the transactions was written back.
        let kv = SqliteKv::open(&dir.path().join("t.db")).unwrap();
        kv.set("default", "subject/c", b"c").unwrap();
        assert!(kv.get("default", "subject/c").unwrap().unwrap().0 > v);
    }

    #[test]
    fn a_failed_group_commit_fails_its_callers_and_any_later_write_of_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open_grouped(&dir.path().join("t.db")).unwrap();
        let refuse = |on: bool| kv.file("default").unwrap().db.pragma_update(None, "query_only", on).unwrap();
        kv.enter();
        kv.set("default", "a", b"1").unwrap();
        // The commit fails (the connection refuses the version counter's write-back).
        refuse(true);
        assert!(kv.durable().is_err(), "the caller is told");
        refuse(false);
        assert_eq!(committed(&kv, "default", "a"), None, "rolled back");
        // A caller's write lands in a transaction that another caller commits, and that
        // commit fails: the caller's next write to the file fails instead of landing
        // after the lost one.
        kv.enter();
        kv.set("default", "b", b"2").unwrap();
        let epoch = kv.pending("default").unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                refuse(true);
                assert!(kv.make_durable("default", epoch).is_err());
                refuse(false);
            });
        });
        assert!(kv.set("default", "c", b"3").is_err());
        kv.durable().unwrap();
        assert_eq!((committed(&kv, "default", "b"), committed(&kv, "default", "c")), (None, None));
        // The store goes on.
        kv.enter();
        kv.set("default", "d", b"4").unwrap();
        kv.durable().unwrap();
        assert_eq!(committed(&kv, "default", "d"), Some(b"4".to_vec()));
    }

    fn dir_of(kv: &SqliteKv) -> PathBuf {
        kv.path("default").unwrap().to_path_buf()
    }

    #[test]
    fn swaps_insert_if_absent_and_update_only_at_the_version_seen() {
        let dir = tempfile::tempdir().unwrap();
        let kv = open(dir.path());
        assert!(kv.swap_if("default", "a", None, b"1").unwrap());
        assert!(!kv.swap_if("default", "a", None, b"2").unwrap(), "present: an insert-if-absent loses");
        let (v1, value) = kv.get("default", "a").unwrap().unwrap();
        assert_eq!(value, b"1");
        assert!(!kv.swap_if("default", "a", Some(v1 + 100), b"3").unwrap(), "another version: lost");
        assert!(kv.swap_if("default", "a", Some(v1), b"4").unwrap());
        let (v2, value) = kv.get("default", "a").unwrap().unwrap();
        assert_eq!(value, b"4");
        assert!(v2 > v1);
        assert!(!kv.swap_if("default", "a", Some(v1), b"5").unwrap(), "the version seen is gone");
        assert!(!kv.swap_if("default", "gone", Some(v1), b"6").unwrap(), "absent: an update loses");
        assert_eq!(kv.get("default", "gone").unwrap(), None);
        // A batched read answers as single reads would, in the order asked, repeats included.
        let keys = ["gone", "a", "a"].map(String::from);
        assert_eq!(kv.get_many("default", &keys).unwrap(), vec![None, Some(b"4".to_vec()), Some(b"4".to_vec())]);
        assert!(matches!(kv.get_many("nope", &keys), Err(KvError::NoSuchStore)));
    }

    #[test]
    fn versions_grow_across_batches_and_a_rolled_back_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let kv = open(dir.path());
        kv.set("default", "a", b"0").unwrap();
        let (v0, _) = kv.get("default", "a").unwrap().unwrap();
        kv.begin().unwrap();
        assert!(kv.swap_if("default", "b", None, b"1").unwrap());
        kv.set("default", "c", b"2").unwrap();
        kv.commit().unwrap();
        let (vb, _) = kv.get("default", "b").unwrap().unwrap();
        let (vc, _) = kv.get("default", "c").unwrap().unwrap();
        assert!(v0 < vb && vb < vc);
        kv.begin().unwrap();
        kv.set("default", "d", b"3").unwrap();
        kv.rollback();
        assert_eq!(kv.get("default", "d").unwrap(), None);
        // Reopened, outside a batch: the counter went on from the committed batch.
        drop(kv);
        let kv = open(dir.path());
        kv.set("default", "e", b"4").unwrap();
        let (ve, _) = kv.get("default", "e").unwrap().unwrap();
        assert!(ve > vc, "{ve} after {vc}");
    }

    #[test]
    fn a_file_of_the_first_layout_is_migrated_with_every_value_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
                 CREATE TABLE meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                 INSERT INTO meta (name, n) VALUES ('version', 41);
                 INSERT INTO kv VALUES ('customer/s-b', x'0102', 40), ('customer/s-a', x'03', 41);",
            )
            .unwrap();
        }
        let kv = SqliteKv::open(&path).unwrap();
        assert_eq!(kv.get("default", "customer/s-a").unwrap(), Some((41, vec![3])));
        assert_eq!(kv.get("default", "customer/s-b").unwrap(), Some((40, vec![1, 2])));
        assert_eq!(kv.list_after("default", None).unwrap(), vec!["customer/s-a", "customer/s-b"]);
        assert!(kv.swap_if("default", "customer/s-a", Some(41), b"x").unwrap());
        assert_eq!(kv.get("default", "customer/s-a").unwrap().unwrap().0, 42);
        drop(kv);
        let conn = Connection::open(&path).unwrap();
        let sql: String = conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'kv'", [], |r| r.get(0)).unwrap();
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        // Opening again migrates nothing more.
        drop(conn);
        let kv = SqliteKv::open(&path).unwrap();
        assert_eq!(kv.get("default", "customer/s-b").unwrap(), Some((40, vec![1, 2])));
    }
}
