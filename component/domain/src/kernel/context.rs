//! [`Fichier`]: one operation's context (store, clock, randomness, master key) and the
//! storage mechanics every capability shares: raw reads and writes with their errors
//! named, typed documents, and the compare-and-swap retry loop.

use super::crypto::{Entropy, KeyRing, MasterKey};
use super::error::{Error, FieldError, Result};
use super::store::{self, Bucket, Document, Store, Swap, storage_error};
use super::time::Instant;

/// How many times a lost compare-and-swap is retried from a fresh read.
pub const CAS_ATTEMPTS: usize = 64;

/// One call's context. Hosts (through the guest) build one per call: the store they
/// lend, the time their clock says, their randomness and the master key.
pub struct Fichier<'a, S: Store> {
    pub(crate) store: &'a S,
    pub(crate) now: Instant,
    pub(crate) entropy: &'a mut dyn Entropy,
    pub(super) master: MasterKey,
    /// Derived from `master` (and the store's key check) on first use: most reads and
    /// every check need no key, and the derivation (HKDF, cipher set-up) costs more than a
    /// minimisation check.
    pub(super) keys: std::cell::OnceCell<KeyRing>,
    /// Values read ahead for this call ([`Fichier::read_ahead`]: one `get-many` for what
    /// a call is about to read one key at a time): the call's later reads of those keys
    /// take them from here, until the call writes the key.
    pub(super) ahead: std::cell::RefCell<Vec<ReadAhead>>,
}

/// A value read ahead: its bucket, key and value (`None`: absent).
pub(super) type ReadAhead = (Bucket, String, Option<Vec<u8>>);

impl<'a, S: Store> Fichier<'a, S> {
    pub fn new(store: &'a S, master: &MasterKey, now: Instant, entropy: &'a mut dyn Entropy) -> Self {
        Self {
            store,
            now,
            entropy,
            master: master.clone(),
            keys: std::cell::OnceCell::new(),
            ahead: std::cell::RefCell::new(Vec::new()),
        }
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    // ---- raw storage, with errors named ----

    pub(crate) fn get_raw(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>> {
        if let Some((.., value)) = self.ahead.borrow().iter().find(|(b, k, _)| *b == bucket && k == key) {
            return Ok(value.clone());
        }
        self.store.get(bucket, key).map_err(|e| storage_error(bucket, e))
    }

    /// Read `keys` of `bucket` in one round trip (a database server's store answers each
    /// read with one): the call's next reads of them cost nothing. A key this call then
    /// writes is read from the store again.
    pub(crate) fn read_ahead(&self, bucket: Bucket, keys: &[&str]) -> Result<()> {
        let wanted: Vec<String> = {
            let ahead = self.ahead.borrow();
            keys.iter()
                .filter(|k| !ahead.iter().any(|(b, a, _)| *b == bucket && a == *k))
                .map(|k| k.to_string())
                .collect()
        };
        if wanted.is_empty() {
            return Ok(());
        }
        let values = self.store.get_many(bucket, &wanted).map_err(|e| storage_error(bucket, e))?;
        self.ahead.borrow_mut().extend(wanted.into_iter().zip(values).map(|(k, v)| (bucket, k, v)));
        Ok(())
    }

    /// This call writes `key`: it is no longer read ahead.
    fn forget(&self, bucket: Bucket, key: &str) {
        self.ahead.borrow_mut().retain(|(b, k, _)| !(*b == bucket && k == key));
    }

    pub(crate) fn set_raw(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<()> {
        self.forget(bucket, key);
        check_size(bucket, key, value)?;
        self.store.set(bucket, key, value).map_err(|e| storage_error(bucket, e))
    }

    pub(crate) fn get_doc<T: Document>(&self, bucket: Bucket, key: &str) -> Result<Option<T>> {
        match self.get_raw(bucket, key)? {
            None => Ok(None),
            Some(bytes) => store::decode(&place(bucket, key), &bytes).map(Some),
        }
    }

    /// The documents at `keys` of `bucket`, in their order, read with one `get-many` (the
    /// store as it is now, not this call's read-ahead): each absent, or decoded — a value
    /// that does not decode is its own error, so a damaged one does not hide the others.
    /// A store that fails fails the call.
    pub(crate) fn get_docs<T: Document>(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Result<T>>>> {
        let values = self.store.get_many(bucket, keys).map_err(|e| storage_error(bucket, e))?;
        Ok(keys
            .iter()
            .zip(values)
            .map(|(key, value)| value.map(|bytes| store::decode(&place(bucket, key), &bytes)))
            .collect())
    }

    /// Read-modify-write `key` with one compare-and-swap, retried from a fresh read
    /// when another writer got there first. `change` sees the current document (or
    /// `None`) and returns the new one and a result, or `Ok(None)` to write nothing.
    pub(crate) fn update<T: Document, R>(
        &mut self,
        bucket: Bucket,
        key: &str,
        change: impl FnMut(&mut Self, Option<T>) -> Result<Option<(T, R)>>,
        unchanged: impl FnOnce() -> R,
    ) -> Result<R> {
        self.update_from(bucket, key, None, change, unchanged)
    }

    /// [`Self::update`] whose first attempt uses a compare-and-swap the caller has
    /// already begun on `key` (and the value it saw): a batch that begins one per record
    /// reads each record once, not once to decide and again to write.
    pub(crate) fn update_from<T: Document, R>(
        &mut self,
        bucket: Bucket,
        key: &str,
        mut begun: Option<(S::Cas, Option<Vec<u8>>)>,
        mut change: impl FnMut(&mut Self, Option<T>) -> Result<Option<(T, R)>>,
        unchanged: impl FnOnce() -> R,
    ) -> Result<R> {
        self.forget(bucket, key);
        let mut suspect = SuspectLosses::default();
        for _ in 0..CAS_ATTEMPTS {
            let (cas, seen) = match begun.take() {
                Some(b) => b,
                None => self.store.cas_begin(bucket, key).map_err(|e| storage_error(bucket, e))?,
            };
            let current = match &seen {
                None => None,
                Some(bytes) => Some(store::decode::<T>(&place(bucket, key), bytes)?),
            };
            let Some((next, result)) = change(self, current)? else {
                return Ok(unchanged());
            };
            let bytes = store::encode(&next);
            check_size(bucket, key, &bytes)?;
            match self.store.cas_swap(cas, &bytes).map_err(|e| storage_error(bucket, e))? {
                Swap::Committed => return Ok(result),
                Swap::Lost => self.check_lost(bucket, key, seen.as_deref(), &bytes, &mut suspect)?,
            }
        }
        Err(Error::conflict(
            place(bucket, key),
            "compare-and-swap",
            format!("still losing to concurrent writers after {CAS_ATTEMPTS} attempts; retry later"),
        ))
    }
}

impl<S: Store> Fichier<'_, S> {
    /// A swap the store reported lost is retried when another writer changed the value.
    /// When the value is still the one the swap saw, or is the very one it tried to write,
    /// the loss is suspect; suspect losses that go on mean the store failed for another
    /// reason (Spin's Redis store reports every swap as failed after its write committed),
    /// and retrying would spin or apply the change again: a `storage` error naming the
    /// store. Some are retried: a value may be changed and changed back once, and writers
    /// may legitimately write the same bytes (requests counting one client from the same
    /// count), even twice in a row under contention: three same-bytes losses in a row, with
    /// no other writer's value between them, are the store's fault.
    fn check_lost(
        &self,
        bucket: Bucket,
        key: &str,
        seen: Option<&[u8]>,
        wrote: &[u8],
        suspect: &mut SuspectLosses,
    ) -> Result<()> {
        let now = self.store.get(bucket, key).map_err(|e| storage_error(bucket, e))?;
        let why = match now.as_deref() {
            Some(n) if n == wrote => {
                suspect.same_bytes += 1;
                if suspect.same_bytes < 3 {
                    return Ok(());
                }
                "it holds the value the swap wrote"
            }
            n if n == seen => {
                suspect.unchanged += 1;
                if suspect.unchanged < 2 {
                    return Ok(());
                }
                "the value did not change"
            }
            _ => {
                // Another writer's value: a contended document, not a failing store. Only
                // same-bytes losses in a row are suspect (a failing store repeats them on
                // every attempt; writers counting from the same value rarely do three times
                // running, where they did now and then across 64 attempts).
                suspect.same_bytes = 0;
                return Ok(());
            }
        };
        Err(Error::Storage(FieldError::new(
            format!("store:{}", bucket.label()),
            "compare-and-swap",
            format!("the store keeps reporting the compare-and-swap as lost, but {why}"),
        )))
    }
}

/// Swaps reported lost that no other writer explains (see [`Fichier::check_lost`]).
#[derive(Default)]
struct SuspectLosses {
    unchanged: u32,
    /// Same-bytes losses since the last loss to another writer's value.
    same_bytes: u32,
}

/// `store:<label>/<key>`: how errors name a stored value.
pub(crate) fn place(bucket: Bucket, key: &str) -> String {
    format!("store:{}/{}", bucket.label(), key)
}

impl<S: Store> Fichier<'_, S> {
    /// Whether `value` fits the store's value limit (checked before writing anything).
    pub(crate) fn check_fits(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<()> {
        check_size(bucket, key, value)
    }
}

fn check_size(bucket: Bucket, key: &str, value: &[u8]) -> Result<()> {
    if value.len() > store::MAX_VALUE_BYTES {
        return Err(Error::conflict(
            place(bucket, key),
            "max-value-size",
            format!("the value would be {} bytes, over the store's 1 MiB limit", value.len()),
        ));
    }
    Ok(())
}

impl<S: Store> Fichier<'_, S> {
    /// Every key of a bucket that starts with `prefix`, without it, sorted: a full scan
    /// through `list-keys` pages (which have no prefix filter), keeping only matches.
    pub(crate) fn scan_prefix(&self, bucket: Bucket, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = self.store.list_keys(bucket, cursor.as_deref()).map_err(|e| storage_error(bucket, e))?;
            keys.extend(page.into_iter().filter_map(|k| k.strip_prefix(prefix).map(str::to_string)));
            match next {
                Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                _ => break,
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::crypto::{MasterKey, SeededEntropy};
    use crate::kernel::store::MemoryStore;

    /// Same-bytes losses are suspect only in a row: a loss to another writer's value
    /// between them shows a contended document (many requests counting one client), not
    /// a store that writes and reports failure; three in a row are a storage error.
    #[test]
    fn only_same_bytes_losses_in_a_row_are_the_stores_fault() {
        let store = MemoryStore::new();
        let master = MasterKey::from_bytes([7; 32]);
        let mut entropy = SeededEntropy::new(1);
        let now = crate::kernel::time::parse("now", "2026-12-01T09:00:00Z").unwrap_or_default();
        let f = Fichier::new(&store, &master, now, &mut entropy);
        let mut suspect = SuspectLosses::default();
        let mut lose = |now_holds: &[u8], wrote: &[u8]| {
            store.set(Bucket::Data, "counter", now_holds).map_err(|e| storage_error(Bucket::Data, e))?;
            f.check_lost(Bucket::Data, "counter", Some(b"seen"), wrote, &mut suspect)
        };
        for _ in 0..10 {
            assert!(lose(b"mine", b"mine").is_ok());
            assert!(lose(b"mine", b"mine").is_ok());
            assert!(lose(b"theirs", b"mine").is_ok());
        }
        assert!(lose(b"mine", b"mine").is_ok());
        assert!(lose(b"mine", b"mine").is_ok());
        assert!(matches!(lose(b"mine", b"mine"), Err(Error::Storage(_))));
    }

    /// Keys read ahead are read once for the call (a consistent view of them, whatever
    /// another process writes meanwhile), until the call itself writes one: then that key
    /// is read from the store again. A key absent ahead stays absent for the call.
    #[test]
    fn a_key_read_ahead_is_the_calls_until_the_call_writes_it() {
        let store = MemoryStore::new();
        let master = MasterKey::from_bytes([7; 32]);
        let mut entropy = SeededEntropy::new(1);
        let now = crate::kernel::time::parse("now", "2026-12-01T09:00:00Z").unwrap_or_default();
        store.set(Bucket::Data, "a", b"1").unwrap_or_default();
        let f = Fichier::new(&store, &master, now, &mut entropy);
        f.read_ahead(Bucket::Data, &["a", "b"]).unwrap_or_default();
        store.set(Bucket::Data, "a", b"2").unwrap_or_default();
        store.set(Bucket::Data, "b", b"3").unwrap_or_default();
        assert_eq!(f.get_raw(Bucket::Data, "a").ok().flatten(), Some(b"1".to_vec()));
        assert_eq!(f.get_raw(Bucket::Data, "b").ok().flatten(), None);
        assert_eq!(f.get_raw(Bucket::Keys, "a").ok().flatten(), None, "another bucket is not read ahead");
        f.set_raw(Bucket::Data, "a", b"4").unwrap_or_default();
        assert_eq!(f.get_raw(Bucket::Data, "a").ok().flatten(), Some(b"4".to_vec()), "written: read again");
        // Reading ahead again skips what is already there.
        f.read_ahead(Bucket::Data, &["b"]).unwrap_or_default();
        assert_eq!(f.get_raw(Bucket::Data, "b").ok().flatten(), None);
    }
}
