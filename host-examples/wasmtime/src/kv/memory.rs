//! The in-memory store (tests, benchmarks, throw-away runs): every label's keys in one
//! map, batches undone key by key.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{KvBackend, KvError, LIST_PAGE, Versioned, incremented};

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
        let next = incremented(key, g.1.get(&k).map(|(_, b)| b.as_slice()), delta)?;
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
}
