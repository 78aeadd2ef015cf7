//! Key-value backends for `wasi:keyvalue@0.2.0-draft2`: SQLite files (the embedded
//! default), PostgreSQL or MariaDB/MySQL tables ([`SqlKv`], `sql.rs`), and memory. Each label (`default`, `keys`) is a separate bucket; on SQLite
//! each is a separate file, so the data file holds no key.
//!
//! Compare-and-swap: every row carries a version drawn from a per-file counter that
//! only grows; a swap commits only if the row still has the version its handle saw
//! (or is still absent). Every write is its own transaction, acknowledged after commit
//! (WAL, `synchronous = FULL`) — unless the host opened a batch ([`KvBackend::begin`]):
//! then every write of every label joins one transaction per file, committed together
//! by [`KvBackend::commit`] (bulk work such as an import chunk: one fsync per chunk, and
//! a crash leaves the chunk wholly in or wholly out).
//!
//! - [`SqliteKv`] (`sqlite.rs`): one transaction per call or per batch (the CLI, the PHP
//!   library);
//! - [`GroupedKv`] (`grouped.rs`): concurrent callers' writes committed in groups
//!   (`fichier serve`);
//! - both on the same file layer (`file.rs`: opening, pragmas, the layout and its
//!   migration, the statements, the version counter), so one database moves between them;
//! - [`MemoryKv`] (`memory.rs`): buckets in memory;
//! - [`CountingKv`] (`counting.rs`): counts the reads and writes through it, and can
//!   make every write its own transaction, as on Spin;
//! - [`JournalingKv`] (`journal.rs`): journals each committed erasure outside the stores,
//!   so that a restore can erase again whoever was erased after its backup.

use std::path::{Path, PathBuf};

mod counting;
mod file;
mod grouped;
mod journal;
mod memory;
mod sql;
mod sqlite;

pub use counting::{CountingKv, KvCalls};
pub use grouped::GroupedKv;
pub use journal::{Erasure, ErasureJournal, JournalingKv};
pub use memory::MemoryKv;
pub use sql::{Dialect, SqlKv, SqlUrl, is_url, shown_place};
pub use sqlite::SqliteKv;

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
    /// [`GroupedKv`]); then callers use [`KvBackend::durable`], not batches.
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

/// The files a `--db PATH` stands for: the data file itself and `<stem>.keys.<ext>`.
pub fn store_files(db: &Path) -> Vec<(String, PathBuf)> {
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "fichier".into());
    let ext = db.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    let keys = db.with_file_name(format!("{stem}.keys.{ext}"));
    vec![("default".into(), db.to_path_buf()), ("keys".into(), keys)]
}

/// `current` (the integer at `key`, absent: 0) plus `delta`, as `increment` writes it.
fn incremented(key: &str, current: Option<&[u8]>, delta: i64) -> Result<i64, KvError> {
    let n = match current {
        None => 0,
        Some(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| KvError::Other(format!("value of {key} is not an integer")))?,
    };
    n.checked_add(delta).ok_or_else(|| KvError::Other("increment overflows".into()))
}
