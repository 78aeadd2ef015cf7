//! [`CountingKv`]: a backend that counts the key-value calls made through it, reads and
//! writes apart. On a store where every write is its own transaction — Spin's SQLite
//! store, and any store without call-level commits — a call costs its number of writes
//! (each one a commit and, on a durable store, a sync), so this is the figure the tests
//! hold the hot paths to and the benchmarks report.
//!
//! With [`CountingKv::per_write`] it also drops the host's batches, so every write
//! through it is its own transaction on the store beneath, as on Spin.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{KvBackend, KvError, Versioned};

/// The calls counted so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KvCalls {
    /// `get` (also a compare-and-swap's read of the current value), `get-many`,
    /// `list-keys`: one each, whatever the number of keys.
    pub reads: u64,
    /// `set`, `delete`, a compare-and-swap's `swap`, `increment`: one each.
    pub writes: u64,
}

impl std::ops::Sub for KvCalls {
    type Output = KvCalls;
    fn sub(self, earlier: KvCalls) -> KvCalls {
        KvCalls { reads: self.reads - earlier.reads, writes: self.writes - earlier.writes }
    }
}

/// Counts the calls to `inner` (see the module's documentation).
pub struct CountingKv {
    inner: Arc<dyn KvBackend>,
    reads: AtomicU64,
    writes: AtomicU64,
    per_write: bool,
}

impl CountingKv {
    pub fn new(inner: Arc<dyn KvBackend>) -> Self {
        Self { inner, reads: AtomicU64::new(0), writes: AtomicU64::new(0), per_write: false }
    }

    /// Every write its own transaction: the host's batches are not passed on.
    pub fn per_write(mut self) -> Self {
        self.per_write = true;
        self
    }

    /// The calls counted so far.
    pub fn calls(&self) -> KvCalls {
        KvCalls { reads: self.reads.load(Ordering::SeqCst), writes: self.writes.load(Ordering::SeqCst) }
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::SeqCst);
    }

    fn write(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }
}

impl KvBackend for CountingKv {
    fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }
    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        self.read();
        self.inner.get(label, key)
    }
    fn get_many(&self, label: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.read();
        self.inner.get_many(label, keys)
    }
    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write();
        self.inner.set(label, key, value)
    }
    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        self.write();
        self.inner.delete(label, key)
    }
    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        self.read();
        self.inner.list_after(label, cursor)
    }
    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        self.write();
        self.inner.swap_if(label, key, seen, value)
    }
    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        self.write();
        self.inner.increment(label, key, delta)
    }
    fn begin(&self) -> Result<(), KvError> {
        if self.per_write { Ok(()) } else { self.inner.begin() }
    }
    fn commit(&self) -> Result<(), KvError> {
        if self.per_write { Ok(()) } else { self.inner.commit() }
    }
    fn rollback(&self) {
        if !self.per_write {
            self.inner.rollback();
        }
    }
    fn grouped(&self) -> bool {
        !self.per_write && self.inner.grouped()
    }
    fn enter(&self) {
        if !self.per_write {
            self.inner.enter();
        }
    }
    fn durable(&self) -> Result<(), KvError> {
        if self.per_write { Ok(()) } else { self.inner.durable() }
    }
}
