//! [`GroupedKv`]: the SQLite store of `fichier serve`, which commits concurrent callers'
//! writes in groups. Same files, layout and versions as [`super::SqliteKv`]; no batches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::file::{File, Files};
use super::{KvBackend, KvError, Versioned};

/// One SQLite file per label, committing concurrent callers' writes in groups.
///
/// Group commit, per file. Writes join the file's open transaction; a caller that needs
/// them durable asks for the transaction's number (its epoch) to be. The first caller to
/// find no commit running on that file commits the transaction (a WAL append: the file
/// is opened with `synchronous = NORMAL`), releases the file, then makes the WAL durable
/// with `fdatasync` — outside the file's lock, so other callers read and write the next
/// transaction meanwhile — and wakes the callers waiting. Those who finished during one
/// sync share the next.
///
/// Order: a caller's write to one file first waits until its earlier writes to the other
/// files are durable (see [`GroupedKv::before_write`]), and a write to a file whose
/// transaction holding the caller's earlier writes was committed meanwhile first waits
/// for that transaction's outcome. So whatever a crash or a failed commit keeps of one
/// caller's writes is a prefix of them, as when every write committed on its own: a
/// subject's data never outlives the key it is sealed under, and a head never lands
/// without the receipt entry written before it.
pub struct GroupedKv {
    files: Files<GroupFile>,
    groups: BTreeMap<String, FileGroup>,
    /// Tells this store's entries in a thread's [`PENDING`] from another store's.
    id: u64,
}

/// A file, and the number of the transaction writes join now (from 1).
struct GroupFile {
    file: File,
    epoch: u64,
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

/// How many grouped stores were opened (each gets its own id).
static STORES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// This thread's writes not yet known durable, on grouped stores: (store id, label,
    /// the epoch of the transaction they joined — the latest, per file).
    static PENDING: std::cell::RefCell<Vec<(u64, String, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl GroupedKv {
    /// Open (creating if needed) the files for `db` (see [`super::store_files`]),
    /// committing concurrent callers' writes in groups (`fichier serve`): a write is not
    /// durable when it returns, but when [`KvBackend::durable`] does; a caller
    /// acknowledges its work only then. There are no batches in this store.
    ///
    /// Commits append to the write-ahead log without syncing it (`synchronous = NORMAL`;
    /// SQLite still syncs before each checkpoint) and the group syncs it itself, after
    /// releasing the file: nothing is acknowledged before that sync.
    pub fn open(db: &Path) -> Result<Self, KvError> {
        let files = Files::open(db, |file| GroupFile { file, epoch: 1 })?;
        let mut groups = BTreeMap::new();
        for label in files.labels() {
            files.lock(label)?.file.db.pragma_update(None, "synchronous", "NORMAL")?;
            let mut wal = files.path(label).map(Path::to_path_buf).unwrap_or_default().into_os_string();
            wal.push("-wal");
            groups.insert(label.clone(), FileGroup { wal_path: wal.into(), ..FileGroup::default() });
        }
        Ok(Self { files, groups, id: STORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) })
    }

    /// The file behind a label.
    pub fn path(&self, label: &str) -> Option<&Path> {
        self.files.path(label)
    }

    /// A write to `label` is about to join its file's transaction: first make this
    /// caller's earlier writes to the other files durable (their order across files).
    fn before_write(&self, label: &str) -> Result<(), KvError> {
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
        PENDING.with(|p| p.borrow().iter().find(|(id, l, _)| *id == self.id && l == label).map(|(_, _, e)| *e))
    }

    /// A write to `label` joined its transaction `epoch`: this caller depends on it.
    fn wrote(&self, label: &str, epoch: u64) {
        PENDING.with(|p| {
            let mut p = p.borrow_mut();
            match p.iter_mut().find(|(id, l, _)| *id == self.id && l == label) {
                Some(entry) => entry.2 = entry.2.max(epoch),
                None => p.push((self.id, label.to_string(), epoch)),
            }
        });
    }

    /// Run a write on `label`'s file inside the file's open transaction (opened if
    /// needed and left open for [`KvBackend::durable`] to commit; a failed statement
    /// undoes only itself: the transaction holds other callers' writes), with the order
    /// across files kept. Whether it replaces a value does not matter here: every write
    /// joins the transaction, in the caller's order.
    fn write<T>(
        &self,
        label: &str,
        _replaces: bool,
        f: impl FnOnce(&mut File) -> Result<Option<T>, KvError>,
    ) -> Result<Option<T>, KvError> {
        self.before_write(label)?;
        let mut file = self.files.lock(label)?;
        if let Some(mine) = self.pending(label)
            && mine < file.epoch
        {
            // This caller's earlier writes to this file were in a transaction already
            // committed (its sync may still run): their outcome first, so a later write
            // never lands after an earlier one that failed.
            drop(file);
            self.make_durable(label, mine)?;
            file = self.files.lock(label)?;
        }
        let out = if file.file.in_transaction() {
            f(&mut file.file)
        } else {
            file.file.begin_counted().and_then(|()| f(&mut file.file))
        };
        let epoch = file.epoch;
        drop(file);
        // Even a failed statement may follow others of this caller in the transaction.
        self.wrote(label, epoch);
        out
    }

    /// Return once `label`'s transaction `epoch` is committed and its log synced; an
    /// error if that transaction failed.
    fn make_durable(&self, label: &str, epoch: u64) -> Result<(), KvError> {
        let Some(fg) = self.groups.get(label) else { return Ok(()) };
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
        let mut f = match self.files.lock(label) {
            Ok(f) => f,
            Err(e) => return (0, Err(e)),
        };
        let committed = f.epoch;
        f.epoch += 1;
        if !f.file.in_transaction() {
            return (committed, Ok(()));
        }
        let outcome = f.file.commit_counted();
        if outcome.is_err() {
            f.file.rollback();
        }
        (committed, outcome)
    }
}

impl KvBackend for GroupedKv {
    super::file::rows!();

    fn grouped(&self) -> bool {
        true
    }

    fn enter(&self) {
        // A caller starts: nothing of an earlier call on this thread is its concern.
        PENDING.with(|p| p.borrow_mut().retain(|(id, _, _)| *id != self.id));
    }

    fn durable(&self) -> Result<(), KvError> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::SqliteKv;
    use super::*;

    #[test]
    fn grouped_writes_are_durable_for_every_caller_once_durable_returns() {
        let dir = tempfile::tempdir().unwrap();
        let kv = std::sync::Arc::new(GroupedKv::open(&dir.path().join("t.db")).unwrap());
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
    fn committed(kv: &GroupedKv, label: &str, key: &str) -> Option<Vec<u8>> {
        super::super::file::committed(kv.path(label).unwrap(), key)
    }

    #[test]
    fn a_grouped_write_to_one_file_first_makes_the_callers_writes_to_the_other_durable() {
        let dir = tempfile::tempdir().unwrap();
        let kv = GroupedKv::open(&dir.path().join("t.db")).unwrap();
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
        let kv = GroupedKv::open(&dir.path().join("t.db")).unwrap();
        let refuse =
            |on: bool| kv.files.lock("default").unwrap().file.db.pragma_update(None, "query_only", on).unwrap();
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

    fn dir_of(kv: &GroupedKv) -> PathBuf {
        kv.path("default").unwrap().to_path_buf()
    }
}
