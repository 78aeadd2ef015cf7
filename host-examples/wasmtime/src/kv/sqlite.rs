//! [`SqliteKv`]: the SQLite store of the CLI and the PHP library. Every write is its own
//! transaction, acknowledged after commit (WAL, `synchronous = FULL`), unless the host
//! opened a batch ([`KvBackend::begin`]): then every write of every label joins one
//! transaction per file, committed together by [`KvBackend::commit`], keys first.

use std::path::Path;

use super::file::{File, Files, KEYS};
use super::{KvBackend, KvError, Versioned};

/// One SQLite file per label, one transaction per call or per batch.
pub struct SqliteKv {
    files: Files<BatchFile>,
}

/// A file and what its open batch holds.
struct BatchFile {
    file: File,
    /// In a batch: the open transaction holds a write, and one that replaced or deleted
    /// a value (not only inserted one).
    dirty: bool,
    replaced: bool,
}

impl BatchFile {
    /// Open the file's part of a batch (its version counter kept in memory).
    fn begin(&mut self) -> Result<(), KvError> {
        (self.dirty, self.replaced) = (false, false);
        self.file.begin_counted()
    }

    /// Commit the file's part of the batch (its version counter written back once).
    fn commit(&mut self) -> Result<(), KvError> {
        self.file.commit_counted()?;
        (self.dirty, self.replaced) = (false, false);
        Ok(())
    }

    /// Run `f` in a transaction of its own (committed when it returns `Some`), or inside
    /// the open batch.
    fn with_tx<T>(&mut self, f: impl FnOnce(&mut File) -> Result<Option<T>, KvError>) -> Result<Option<T>, KvError> {
        if self.file.in_transaction() {
            return f(&mut self.file);
        }
        self.file.db.execute_batch("BEGIN IMMEDIATE")?;
        match f(&mut self.file) {
            Ok(Some(out)) => match self.file.db.execute_batch("COMMIT") {
                Ok(()) => Ok(Some(out)),
                Err(e) => {
                    let _ = self.file.db.execute_batch("ROLLBACK");
                    Err(e.into())
                }
            },
            other => {
                let _ = self.file.db.execute_batch("ROLLBACK");
                other
            }
        }
    }
}

impl SqliteKv {
    /// Open (creating if needed) the files for `db` (see [`super::store_files`]).
    pub fn open(db: &Path) -> Result<Self, KvError> {
        let files = Files::open(db, |file| BatchFile { file, dirty: false, replaced: false })?;
        Ok(Self { files })
    }

    /// The file behind a label.
    pub fn path(&self, label: &str) -> Option<&Path> {
        self.files.path(label)
    }

    /// In a batch, which commits the keys file and then the others when the call ends, a
    /// write that would make that order unsafe first commits what the batch holds, so
    /// that a crash leaves a prefix of the call's writes (as the grouped store does), give
    /// or take keys inserted early, which nothing references yet:
    /// - a write that replaces or deletes a key (an erasure replacing a subject's data
    ///   key) first commits the keys, then the data written before it;
    /// - a data write after such a key write first commits the keys.
    ///
    /// A batch that only inserts keys (an import chunk) stays one transaction per file.
    fn batch_order(&self, label: &str, replaces: bool) -> Result<(), KvError> {
        let others_dirty = || -> Result<bool, KvError> {
            for other in self.files.labels().filter(|l| *l != KEYS) {
                if self.files.lock(other)?.dirty {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        let commit = |label: &str| -> Result<(), KvError> {
            let mut f = self.files.lock(label)?;
            if f.dirty && f.file.in_transaction() {
                f.commit()?;
                f.begin()?;
            }
            Ok(())
        };
        if label == KEYS {
            if replaces && others_dirty()? {
                commit(KEYS)?;
                for other in self.files.labels().filter(|l| *l != KEYS) {
                    commit(other)?;
                }
            }
        } else if self.files.contains(KEYS) && self.files.lock(KEYS)?.replaced {
            commit(KEYS)?;
        }
        Ok(())
    }

    /// Run a write on `label`'s file: in its own transaction or in the batch, with the
    /// order across files kept. `replaces`: the write may overwrite or delete a value
    /// (see [`SqliteKv::batch_order`]).
    fn write<T>(
        &self,
        label: &str,
        replaces: bool,
        f: impl FnOnce(&mut File) -> Result<Option<T>, KvError>,
    ) -> Result<Option<T>, KvError> {
        self.batch_order(label, replaces)?;
        let mut file = self.files.lock(label)?;
        let in_batch = file.file.in_transaction();
        let out = file.with_tx(f);
        if in_batch {
            // Even a failed statement may have been a write.
            file.dirty = true;
            file.replaced |= replaces;
        }
        out
    }
}

impl KvBackend for SqliteKv {
    super::file::rows!();

    fn begin(&self) -> Result<(), KvError> {
        let open = || -> Result<(), KvError> {
            for label in self.files.labels() {
                let mut f = self.files.lock(label)?;
                if !f.file.in_transaction() {
                    f.begin()?;
                }
            }
            Ok(())
        };
        // A file that could not join leaves none of the others in a transaction.
        open().inspect_err(|_| self.rollback())
    }

    fn commit(&self) -> Result<(), KvError> {
        // Keys first: a committed customer always finds its data key.
        for label in [KEYS, "default"].into_iter().chain(self.files.labels().map(String::as_str)) {
            if let Ok(mut f) = self.files.lock(label)
                && f.file.in_transaction()
            {
                f.commit()?;
            }
        }
        Ok(())
    }

    fn rollback(&self) {
        for label in self.files.labels() {
            if let Ok(mut f) = self.files.lock(label) {
                (f.dirty, f.replaced) = (false, false);
                f.file.rollback();
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn open(dir: &Path) -> SqliteKv {
        SqliteKv::open(&dir.join("t.db")).unwrap()
    }

    /// What another process would read of `label`'s `key` now (committed rows only).
    fn committed(kv: &SqliteKv, label: &str, key: &str) -> Option<Vec<u8>> {
        super::super::file::committed(kv.path(label).unwrap(), key)
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
