//! A store that keeps reporting a compare-and-swap as lost when no other writer explains
//! it is faulty, not busy: the call fails with a `storage` error naming the store after a
//! retry or two, instead of retrying 64 times. Spin's Redis store (v3.0.0 to v4.0.2)
//! reports every swap as failed after its write committed (host-examples/spin/README.md).

#![allow(clippy::unwrap_used)]

use std::cell::Cell;

use fichier_domain::consent::PurposeInput;
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::{Bucket, MemoryCas, MemoryStore, Store, StoreError, Swap};
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Actor, PurposeKind, Role};
use fichier_domain::web::ratelimit::PublicLimit;
use fichier_domain::{Error, Fichier};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Every swap reports `lost` and writes nothing.
    LostWithoutWriting,
    /// Every swap writes, then reports `lost` (Spin's Redis store).
    LostAfterWriting,
    /// Before the first swap, another writer writes the value it already held (its
    /// version changes, its bytes do not): a real, if unusual, concurrent write.
    RewrittenOnce,
    /// Before the first swap, another writer writes the very bytes this one writes.
    SameBytesOnce,
}

struct Faulty {
    inner: MemoryStore,
    fault: Fault,
    /// Off while the test sets the store up.
    armed: Cell<bool>,
    swaps: Cell<u32>,
}

impl Store for Faulty {
    type Cas = (Bucket, String, MemoryCas);

    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(bucket, key)
    }
    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.inner.get_many(bucket, keys)
    }
    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(bucket, key, value)
    }
    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError> {
        self.inner.delete(bucket, key)
    }
    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.inner.list_keys(bucket, cursor)
    }
    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), StoreError> {
        let (cas, current) = self.inner.cas_begin(bucket, key)?;
        Ok(((bucket, key.to_owned(), cas), current))
    }
    fn cas_swap(&self, (bucket, key, cas): Self::Cas, value: &[u8]) -> Result<Swap, StoreError> {
        if !self.armed.get() {
            return self.inner.cas_swap(cas, value);
        }
        self.swaps.set(self.swaps.get() + 1);
        match self.fault {
            Fault::LostWithoutWriting => Ok(Swap::Lost),
            Fault::LostAfterWriting => {
                assert_eq!(self.inner.cas_swap(cas, value)?, Swap::Committed);
                Ok(Swap::Lost)
            }
            Fault::SameBytesOnce => {
                if self.swaps.get() == 1 {
                    self.inner.set(bucket, &key, value)?;
                }
                self.inner.cas_swap(cas, value)
            }
            Fault::RewrittenOnce => {
                if self.swaps.get() == 1 {
                    let held = self.inner.get(bucket, &key)?;
                    match held {
                        Some(v) => self.inner.set(bucket, &key, &v)?,
                        None => self.inner.delete(bucket, &key)?,
                    }
                }
                self.inner.cas_swap(cas, value)
            }
        }
    }
}

/// Declare a second purpose on a store with `fault` (the first declared before it is
/// armed): the result and how many swaps it took.
fn declare(fault: Fault) -> (Result<(), Error>, u32, Faulty) {
    let store = Faulty { inner: MemoryStore::new(), fault, armed: Cell::new(false), swaps: Cell::new(0) };
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-12-01T09:00:00Z").unwrap();
    let admin = Actor { id: "alice".into(), role: Role::Admin };
    let purpose = |id: &str| PurposeInput {
        id: id.into(),
        kind: PurposeKind::Marketing,
        title: id.into(),
        validity_months: None,
        serves: None,
    };
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    f.declare_purpose(&admin, purpose("orders")).unwrap();
    store.armed.set(true);
    let r = f.declare_purpose(&admin, purpose("newsletter")).map(|_| ());
    drop(f);
    let swaps = store.swaps.get();
    (r, swaps, store)
}

fn storage_rule(r: &Result<(), Error>) -> Option<(String, String)> {
    match r {
        Err(Error::Storage(f)) => Some((f.field.clone(), f.rule.clone())),
        _ => None,
    }
}

#[test]
fn a_swap_lost_without_a_change_is_a_storage_error_after_one_retry() {
    let (r, swaps, _) = declare(Fault::LostWithoutWriting);
    assert_eq!(storage_rule(&r), Some(("store:default".into(), "compare-and-swap".into())), "{r:?}");
    assert_eq!(swaps, 2, "one retry, not 64");
}

/// Spin's Redis store: every swap writes, then reports failure. The third such swap
/// is a storage error (a counter has then counted twice; the store is not fit to hold
/// fichier, and says so with a 503 rather than 64 retries).
#[test]
fn a_swap_lost_after_its_write_is_a_storage_error_at_the_third() {
    let store = Faulty {
        inner: MemoryStore::new(),
        fault: Fault::LostAfterWriting,
        armed: Cell::new(true),
        swaps: Cell::new(0),
    };
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-12-01T09:00:00Z").unwrap();
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let r = f.count_public_request("203.0.113.7", PublicLimit::default()).map(|_| ());
    drop(f);
    assert_eq!(storage_rule(&r), Some(("store:default".into(), "compare-and-swap".into())), "{r:?}");
    assert_eq!(store.swaps.get(), 3, "two retries, not 64");
}

/// A write that another writer already made, byte for byte (two requests counting the
/// same client from the same count), is retried and counts.
#[test]
fn the_same_bytes_written_by_another_writer_are_retried() {
    let store =
        Faulty { inner: MemoryStore::new(), fault: Fault::SameBytesOnce, armed: Cell::new(true), swaps: Cell::new(0) };
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-12-01T09:00:00Z").unwrap();
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let limit = PublicLimit { per_minute: 120, ..PublicLimit::default() };
    // The other writer's count is 1, this one's 2: 118 left.
    assert_eq!(f.count_public_request("203.0.113.7", limit), Ok(118));
    drop(f);
    assert_eq!(store.swaps.get(), 2);
}

#[test]
fn a_value_rewritten_by_another_writer_is_retried_as_a_conflict() {
    let (r, swaps, _) = declare(Fault::RewrittenOnce);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(swaps, 2);
}
