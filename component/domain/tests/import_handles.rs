//! An import holds few compare-and-swap handles at once, whatever its chunk holds: a host
//! bounds them (wasmtime traps a store past 100 000 live component handles, "store handle
//! limit exceeded"), so a chunk of many short rows must not begin one per customer and
//! keep them all until the chunk ends.

#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;

use fichier_domain::Fichier;
use fichier_domain::consent::PurposeInput;
use fichier_domain::customers::import::{ImportOptions, ROWS_PER_BATCH, TextEncoding};
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::{Bucket, MemoryCas, MemoryStore, Store, StoreError, Swap};
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Actor, LawfulBasis, PurposeKind, Role};

/// Live handles now, and the most there ever were.
#[derive(Default)]
struct Live {
    now: Cell<usize>,
    peak: Cell<usize>,
}

/// A handle that counts itself live until it is swapped or dropped.
struct Counted {
    cas: Option<MemoryCas>,
    live: Rc<Live>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.now.set(self.live.now.get() - 1);
    }
}

/// The in-memory store, counting open compare-and-swap handles.
struct Counting {
    inner: MemoryStore,
    live: Rc<Live>,
}

impl Store for Counting {
    type Cas = Counted;

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
    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(Counted, Option<Vec<u8>>), StoreError> {
        let (cas, current) = self.inner.cas_begin(bucket, key)?;
        let now = self.live.now.get() + 1;
        self.live.now.set(now);
        self.live.peak.set(self.live.peak.get().max(now));
        Ok((Counted { cas: Some(cas), live: self.live.clone() }, current))
    }
    fn cas_swap(&self, mut cas: Counted, value: &[u8]) -> Result<Swap, StoreError> {
        let inner = cas.cas.take().ok_or_else(|| StoreError("swapped twice".into()))?;
        self.inner.cas_swap(inner, value)
    }
}

/// `rows` customers (every 9th the 8th again, every 13th with a malformed e-mail), all in `city`.
fn csv(rows: usize, city: &str) -> Vec<u8> {
    let mut s = String::from("email,city\n");
    for i in 0..rows {
        let n = if i % 9 == 8 { i - 1 } else { i };
        let at = if i % 13 == 12 { "-" } else { "@" };
        s.push_str(&format!("c{n}{at}example.org,{city}\n"));
    }
    s.into_bytes()
}

#[test]
fn an_import_holds_one_batch_of_handles_at_most() {
    let store = Counting { inner: MemoryStore::new(), live: Rc::default() };
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-12-01T09:00:00Z").unwrap();
    let admin = Actor { id: "alice".into(), role: Role::Admin };
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let orders = PurposeInput {
        id: "orders".into(),
        kind: PurposeKind::Service,
        title: "o".into(),
        validity_months: None,
        serves: None,
    };
    f.declare_purpose(&admin, orders).unwrap();
    let rows = 5 * ROWS_PER_BATCH + 17;
    // New customers, then the same file again (every row unchanged: no handle writes),
    // then another city (every customer updated).
    for (n, city) in [(1u8, "Paris"), (2, "Paris"), (3, "Lyon")] {
        let options = ImportOptions {
            name: format!("run{n}.csv"),
            file_sha256: format!("{n:02x}").repeat(32),
            mapping: vec![],
            encoding: TextEncoding::Utf8,
            delimiter: ",".into(),
            default_purposes: vec!["orders".into()],
            default_basis: LawfulBasis::Contract,
            source: None,
            examples_per_rule: None,
        };
        let s = f.import_begin(&admin, options).unwrap();
        store.live.peak.set(0);
        let r = f.import_feed(&admin, &s.id, 0, &csv(rows, city), true).unwrap();
        assert!(r.done && r.rows as usize == rows, "run {n}: {} rows, done {}", r.rows, r.done);
        let peak = store.live.peak.get();
        assert!(peak > 1 && peak <= ROWS_PER_BATCH + 4, "run {n}: {peak} handles open at once for {rows} rows");
        assert_eq!(store.live.now.get(), 0, "run {n}: every handle is swapped or dropped");
        let report = f.import_report(&admin, &s.id).unwrap();
        let counts = (report.imported, report.updated, report.unchanged, report.rejected);
        assert_eq!(counts.0 + counts.1 + counts.2 + counts.3, rows as u64, "run {n}: {counts:?}");
        let changed = [counts.0, counts.2, counts.1][usize::from(n - 1)];
        assert!(changed > rows as u64 / 2 && counts.3 > 0, "run {n}: {counts:?}");
    }
}
