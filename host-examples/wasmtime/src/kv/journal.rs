//! The erasure journal: which subjects were erased, and when, kept **outside** the two
//! stores a backup copies, so that a restore can erase again everyone erased after the
//! backup was taken (GDPR Art. 17: an erasure must survive a restore). An erasure
//! replaces the person's data key, so an old *data* file beside the current keys no
//! longer opens for them; but an old *keys* file would bring their key back.
//!
//! [`JournalingKv`] wraps a store and notices each erasure where the component records
//! it: the erasure mark in the keys store (`keys: erased/<subject id>`). The journal is a
//! JSON-lines file (`<db>.erasures.jsonl` beside a SQLite data file): one line per erasure,
//! `{"subject": "s-…", "at": "<RFC 3339>"}` — an opaque subject id (a keyed hash) and a
//! time, no personal data. A line is appended (and synced) once the erasure's writes are
//! committed: after the batch's commit, after a grouped call is durable, at once for a
//! single write. A batch rolled back leaves no line.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use serde::{Deserialize, Serialize};

use super::{KvBackend, KvError, Versioned};
use crate::Clock;

/// The key prefix of the component's erasure marks in the keys store.
const MARK: &str = "erased/";

/// One erasure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub subject: String,
    /// RFC 3339, milliseconds, UTC.
    pub at: String,
}

/// The journal file.
#[derive(Clone, Debug)]
pub struct ErasureJournal {
    path: PathBuf,
}

impl ErasureJournal {
    /// The journal of the SQLite store at `db`: `<db>.erasures.jsonl`.
    pub fn beside(db: &Path) -> Self {
        let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".erasures.jsonl");
        Self { path: db.with_file_name(name) }
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append `entries` and sync them.
    pub fn append(&self, entries: &[Erasure]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for e in entries {
            text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        file.write_all(text.as_bytes())?;
        file.sync_data()
    }

    /// Every erasure recorded (none when there is no journal yet). A line that does not
    /// read is an error naming its number: a journal cut short by a crash ends with a
    /// partial line, which is skipped.
    pub fn read(&self) -> Result<Vec<Erasure>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match serde_json::from_str::<Erasure>(line) {
                Ok(e) if chrono::DateTime::parse_from_rfc3339(&e.at).is_ok() => out.push(e),
                _ if i + 1 == lines.len() && !complete => {} // a crash mid-append
                _ => return Err(format!("{} line {}: not an erasure entry", self.path.display(), i + 1)),
            }
        }
        Ok(out)
    }
}

/// A store that journals the erasures committed through it.
pub struct JournalingKv {
    inner: Arc<dyn KvBackend>,
    journal: ErasureJournal,
    clock: Clock,
    /// A batch is open (`begin` … `commit`/`rollback`).
    batch: AtomicBool,
    /// Erasures written and not yet committed, by the thread of the call that wrote them.
    pending: Mutex<HashMap<ThreadId, Vec<String>>>,
    /// Threads inside a grouped call (`enter` … `durable`).
    calls: Mutex<HashSet<ThreadId>>,
}

impl JournalingKv {
    pub fn new(inner: Arc<dyn KvBackend>, journal: ErasureJournal, clock: Clock) -> Self {
        Self {
            inner,
            journal,
            clock,
            batch: AtomicBool::new(false),
            pending: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashSet::new()),
        }
    }

    fn pending(&self) -> MutexGuard<'_, HashMap<ThreadId, Vec<String>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> String {
        let ms = i64::try_from(self.clock.now().as_millis()).unwrap_or(i64::MAX);
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    fn write(&self, subjects: Vec<String>) -> Result<(), KvError> {
        let at = self.now();
        let entries: Vec<Erasure> = subjects.into_iter().map(|subject| Erasure { subject, at: at.clone() }).collect();
        self.journal
            .append(&entries)
            .map_err(|e| KvError::Other(format!("the erasure journal {}: {e}", self.journal.path().display())))
    }

    /// A write of `key` in `label` committed (or joined the open batch or call).
    fn noted(&self, label: &str, key: &str) -> Result<(), KvError> {
        let Some(subject) = key.strip_prefix(MARK).filter(|_| label == "keys") else { return Ok(()) };
        let me = std::thread::current().id();
        let scoped = self.batch.load(Ordering::SeqCst)
            || self.calls.lock().unwrap_or_else(PoisonError::into_inner).contains(&me);
        if scoped {
            self.pending().entry(me).or_default().push(subject.to_owned());
            Ok(())
        } else {
            self.write(vec![subject.to_owned()])
        }
    }
}

impl KvBackend for JournalingKv {
    fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }
    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        self.inner.get(label, key)
    }
    fn get_many(&self, label: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.inner.get_many(label, keys)
    }
    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.inner.set(label, key, value)?;
        self.noted(label, key)
    }
    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        self.inner.delete(label, key)
    }
    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        self.inner.list_after(label, cursor)
    }
    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        let won = self.inner.swap_if(label, key, seen, value)?;
        if won {
            self.noted(label, key)?;
        }
        Ok(won)
    }
    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        self.inner.increment(label, key, delta)
    }
    fn begin(&self) -> Result<(), KvError> {
        self.inner.begin()?;
        self.batch.store(true, Ordering::SeqCst);
        Ok(())
    }
    fn commit(&self) -> Result<(), KvError> {
        self.inner.commit()?;
        self.batch.store(false, Ordering::SeqCst);
        let all: Vec<String> = self.pending().drain().flat_map(|(_, v)| v).collect();
        self.write(all)
    }
    fn rollback(&self) {
        self.inner.rollback();
        self.batch.store(false, Ordering::SeqCst);
        self.pending().clear();
    }
    fn grouped(&self) -> bool {
        self.inner.grouped()
    }
    fn enter(&self) {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).insert(std::thread::current().id());
        self.inner.enter();
    }
    fn durable(&self) -> Result<(), KvError> {
        let me = std::thread::current().id();
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).remove(&me);
        let out = self.inner.durable();
        let mine = self.pending().remove(&me).unwrap_or_default();
        out?;
        self.write(mine)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;

    fn journaled(dir: &Path) -> (JournalingKv, ErasureJournal) {
        let journal = ErasureJournal::beside(&dir.join("shop.db"));
        let clock = Clock::pinned("2026-12-01T10:00:00Z").unwrap();
        let kv = JournalingKv::new(Arc::new(MemoryKv::new(&["default", "keys"])), journal.clone(), clock);
        (kv, journal)
    }

    #[test]
    fn an_erasure_mark_is_journaled_once_committed_and_a_rolled_back_one_never() {
        let dir = tempfile::tempdir().unwrap();
        let (kv, journal) = journaled(dir.path());
        assert_eq!(journal.path(), dir.path().join("shop.db.erasures.jsonl"));
        // Not a mark, or not in the keys store: nothing.
        kv.set("keys", "dek/s-a", b"k").unwrap();
        kv.set("default", "erased/s-a", b"x").unwrap();
        assert_eq!(journal.read().unwrap(), vec![]);
        // In a batch: written at the commit.
        kv.begin().unwrap();
        assert!(kv.swap_if("keys", "erased/s-a", None, b"mark").unwrap());
        assert_eq!(journal.read().unwrap(), vec![]);
        kv.commit().unwrap();
        let at = "2026-12-01T10:00:00.000Z".to_string();
        assert_eq!(journal.read().unwrap(), vec![Erasure { subject: "s-a".into(), at: at.clone() }]);
        // Rolled back: never.
        kv.begin().unwrap();
        kv.set("keys", "erased/s-b", b"mark").unwrap();
        kv.rollback();
        // A lost swap: not an erasure.
        assert!(!kv.swap_if("keys", "erased/s-a", None, b"again").unwrap());
        // A grouped call: written once durable.
        kv.enter();
        kv.set("keys", "erased/s-c", b"mark").unwrap();
        assert_eq!(journal.read().unwrap().len(), 1);
        kv.durable().unwrap();
        // A single write: at once.
        kv.set("keys", "erased/s-d", b"mark").unwrap();
        let subjects: Vec<String> = journal.read().unwrap().into_iter().map(|e| e.subject).collect();
        assert_eq!(subjects, ["s-a", "s-c", "s-d"]);
        // A crash mid-append leaves a partial last line, skipped; a damaged line is named.
        let mut f = std::fs::OpenOptions::new().append(true).open(journal.path()).unwrap();
        f.write_all(b"{\"subject\":\"s-e\",\"at\":\"2026").unwrap();
        assert_eq!(journal.read().unwrap().len(), 3);
        f.write_all(b"\nnot json\n").unwrap();
        assert!(journal.read().unwrap_err().contains("line 4"));
    }

    /// The journal reader over random and mutated files: an answer or a typed error,
    /// never a panic (the stable counterpart of a fuzz target).
    #[test]
    fn the_journal_reader_survives_random_and_mutated_files() {
        let dir = tempfile::tempdir().unwrap();
        let journal = ErasureJournal::at(dir.path().join("j.jsonl"));
        let valid = b"{\"subject\":\"s-abc\",\"at\":\"2026-12-01T10:00:00.000Z\"}\n{\"subject\":\"s-d\",\"at\":\"2026-12-02T10:00:00.000Z\"}\n";
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..2000 {
            let mut bytes = valid.to_vec();
            if round % 5 == 0 {
                bytes = (0..next() % 80).map(|_| next() as u8).collect();
            } else {
                for _ in 0..1 + next() % 4 {
                    let i = (next() as usize) % bytes.len();
                    match next() % 3 {
                        0 => bytes[i] = next() as u8,
                        1 => {
                            bytes.remove(i);
                        }
                        _ => bytes.insert(i, next() as u8),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
            }
            std::fs::write(journal.path(), &bytes).unwrap();
            if let Ok(entries) = journal.read() {
                assert!(entries.iter().all(|e| chrono::DateTime::parse_from_rfc3339(&e.at).is_ok()));
            }
        }
    }
}
