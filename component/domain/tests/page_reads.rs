//! A page of a walk over the customer file (the list, the sweep, the duplicates report)
//! reads the store a number of times that does not grow with the records it holds: the
//! records of a page, their data keys and (for the sweep) their consent heads each come
//! in one `get-many`. A host
//! answers every read with a crossing into it, and a database server's store with a
//! round trip: read one by one, a page of 1 000 records took 2 000 to 4 000 of them.

#![allow(clippy::unwrap_used)]

use std::cell::Cell;

mod support;

use fichier_domain::Fichier;
use fichier_domain::consent::PurposeInput;
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::{Bucket, MemoryCas, MemoryStore, Store, StoreError, Swap};
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::PurposeKind;
use fichier_domain::retention::SweepOptions;
use support::admin;

/// A store that counts its reads: each `get` and each `get-many` one.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    reads: Cell<usize>,
}

impl Counting {
    fn read(&self) {
        self.reads.set(self.reads.get() + 1);
    }
}

impl Store for Counting {
    type Cas = MemoryCas;

    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read();
        self.inner.get(bucket, key)
    }
    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.read();
        self.inner.get_many(bucket, keys)
    }
    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(bucket, key, value)
    }
    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError> {
        self.inner.delete(bucket, key)
    }
    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.read();
        self.inner.list_keys(bucket, cursor)
    }
    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(MemoryCas, Option<Vec<u8>>), StoreError> {
        self.read();
        self.inner.cas_begin(bucket, key)
    }
    fn cas_swap(&self, cas: MemoryCas, value: &[u8]) -> Result<Swap, StoreError> {
        self.inner.cas_swap(cas, value)
    }
}

#[test]
fn a_pages_reads_of_the_store_do_not_grow_with_its_records() {
    let store = Counting::default();
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-12-01T09:00:00Z").unwrap();
    let actor = admin();
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let orders = PurposeInput {
        id: "orders".into(),
        kind: PurposeKind::Service,
        title: "o".into(),
        validity_months: None,
        serves: None,
    };
    f.declare_purpose(&actor, orders).unwrap();
    f.load_shop_defaults(&actor).unwrap();
    // Namesakes by fours in one postal code: six candidate pairs a name, 1 800 in all.
    let mut csv = String::from("email,first_name,last_name,postcode,city\n");
    for i in 0..1_200 {
        let name: String = [i / 4 / 26, i / 4 % 26].iter().map(|n| char::from(b'a' + *n as u8)).collect();
        csv.push_str(&format!("client{i}@example.org,Anne,Mar{name},69001,Lyon\n"));
    }
    let s = f.import_begin(&actor, support::import_options(0xab)).unwrap();
    assert!(f.import_feed(&actor, &s.id, 0, csv.as_bytes(), true).unwrap().done);
    assert_eq!(f.import_report(&actor, &s.id).unwrap().imported, 1_200);

    // Reads of one call on a fresh context (nothing read ahead), and what it returned.
    let mut counted = |call: &dyn Fn(&mut Fichier<'_, Counting>) -> usize| {
        let mut f = Fichier::new(&store, &master, now, &mut entropy);
        store.reads.set(0);
        let n = call(&mut f);
        (store.reads.get(), n)
    };
    let list = |limit: u32| {
        move |f: &mut Fichier<'_, Counting>| f.list_customers(&admin(), None, limit).unwrap().customers.len()
    };
    let sweep = |limit: u32| {
        move |f: &mut Fichier<'_, Counting>| {
            let options = SweepOptions { apply: false, cursor: None, limit, repermission_days: 30 };
            f.sweep(&admin(), &options).unwrap().scanned as usize
        }
    };
    let duplicates =
        |limit: u32| move |f: &mut Fichier<'_, Counting>| f.find_duplicates(&admin(), None, limit).unwrap().pairs.len();
    let (dups_10, dups_all) = (counted(&duplicates(10)), counted(&duplicates(100_000)));
    assert_eq!((dups_10.1, dups_all.1), (10, 1_800));
    let (list_10, list_1000) = (counted(&list(10)), counted(&list(1_000)));
    let (sweep_10, sweep_1000) = (counted(&sweep(10)), counted(&sweep(1_000)));
    assert_eq!((list_10.1, list_1000.1, sweep_10.1, sweep_1000.1), (10, 1_000, 10, 1_000));
    // A thousand records: the reads of ten, and a few more for the directory's shards the
    // longer page spans (read by batches of shards); one by one it was 2 000 more (list)
    // and 3 000 (sweep).
    // The duplicates report walks the whole file either way; confirming 1 800 pairs
    // rather than 10 opens their 1 200 records by runs (before: two reads a pair).
    let checks =
        [("list", list_10.0, list_1000.0), ("sweep", sweep_10.0, sweep_1000.0), ("duplicates", dups_10.0, dups_all.0)];
    for (what, small, large) in checks {
        assert!(small <= 30, "{what}: {small} reads for a page of 10");
        assert!(large <= small + 20, "{what}: {large} reads for a page of 1 000, {small} for 10");
    }
}
