//! Master-key rotation (GDPR Art. 32(1)): every wrapped key re-wrapped under the new key,
//! the old key refused after the commit, subject ids and unsubscribe links unchanged, and
//! a rotation stopped at any write — between steps or in the middle of a page — leaving a
//! store that opens with the old key or the new one (never neither), which the same
//! steps then carry to its end.

#![allow(clippy::unwrap_used)]

mod support;

use std::cell::Cell;

use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::keys::WrappedKey;
use fichier_domain::kernel::store::{Bucket, MemoryCas, MemoryStore, Store, StoreError, Swap, decode};
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Actor, PurposeKind, Role, SubjectRef};
use fichier_domain::maintenance::{RotationPhase, RotationStep};
use fichier_domain::{Error, Fichier};
use support::{World, admin, field};

const NOW: &str = "2026-12-01T10:00:00.000Z";
const OLD: u8 = 7;
const NEW: u8 = 9;
const PEOPLE: [&str; 4] = ["anne@example.org", "bruno@example.org", "chloe@example.org", "david@example.org"];

fn email(who: &str) -> SubjectRef {
    SubjectRef::Email(who.into())
}

fn key(b: u8) -> MasterKey {
    MasterKey::from_bytes([b; 32])
}

/// A store that stops writing after a budget of writes (a process killed there): every
/// later write fails and changes nothing.
struct Stopping {
    inner: MemoryStore,
    budget: Cell<Option<u32>>,
}

impl Stopping {
    fn spend(&self) -> Result<(), StoreError> {
        match self.budget.get() {
            Some(0) => Err(StoreError("killed".into())),
            Some(n) => {
                self.budget.set(Some(n - 1));
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Store for Stopping {
    type Cas = MemoryCas;
    fn get(&self, bucket: Bucket, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(bucket, key)
    }
    fn get_many(&self, bucket: Bucket, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.inner.get_many(bucket, keys)
    }
    fn set(&self, bucket: Bucket, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.spend()?;
        self.inner.set(bucket, key, value)
    }
    fn delete(&self, bucket: Bucket, key: &str) -> Result<(), StoreError> {
        self.spend()?;
        self.inner.delete(bucket, key)
    }
    fn list_keys(&self, bucket: Bucket, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.inner.list_keys(bucket, cursor)
    }
    fn cas_begin(&self, bucket: Bucket, key: &str) -> Result<(MemoryCas, Option<Vec<u8>>), StoreError> {
        self.inner.cas_begin(bucket, key)
    }
    fn cas_swap(&self, cas: MemoryCas, value: &[u8]) -> Result<Swap, StoreError> {
        self.spend()?;
        self.inner.cas_swap(cas, value)
    }
}

/// A shop's store: customers (data keys), one erased (a replaced key), a legal hold.
fn shop() -> World {
    let mut w = World::empty(NOW, OLD, 1);
    w.declare(&[("orders", PurposeKind::Service), ("newsletter", PurposeKind::Marketing)]);
    for who in PEOPLE {
        let fields = [field("email", who, None, &["orders"], None)];
        w.f().create_customer(&admin(), &email(who), &fields).unwrap();
    }
    w
}

fn call<'a>(store: &'a Stopping, master: &MasterKey, entropy: &'a mut SeededEntropy) -> Fichier<'a, Stopping> {
    Fichier::new(store, master, time::parse("now", NOW).unwrap(), entropy)
}

/// Whether every customer's record opens with `master` (`Err`: the store refused the key).
fn opens(store: &Stopping, master: &MasterKey) -> Result<(), Error> {
    let mut entropy = SeededEntropy::new(3);
    for who in PEOPLE {
        let got = call(store, master, &mut entropy).get_customer(&admin(), &email(who))?;
        assert!(got.body.fields.iter().any(|f| f.value == who), "{who}'s record opened whole");
    }
    Ok(())
}

/// Every wrapped key in the store.
fn wrapped(store: &MemoryStore) -> Vec<(String, WrappedKey)> {
    store
        .raw()
        .into_iter()
        .filter(|(b, k, _)| *b == Bucket::Keys && (k.starts_with("dek/") || k.starts_with("hold/")))
        .map(|(_, k, v)| {
            let w = decode::<WrappedKey>(&k, &v).unwrap();
            (k, w)
        })
        .collect()
}

/// Run a rotation from wherever the store stands to its end, as `fichier master-key
/// rotate` does: the new key first (committed: clean), else the old one (begin, rewrap,
/// commit, then clean).
fn run_rotation(store: &Stopping, old: &MasterKey, new: &MasterKey) -> Result<(), Error> {
    let mut entropy = SeededEntropy::new(11);
    let status = call(store, new, &mut entropy).rotate_master_key(&admin(), &RotationStep::Status, None);
    let committed = match status {
        Ok(p) => p.phase != RotationPhase::Rewrapping,
        Err(Error::Config(e)) if e.rule == "matches-store" => false,
        Err(e) => return Err(e),
    };
    if !committed {
        let mut f = call(store, old, &mut entropy);
        f.rotate_master_key(&admin(), &RotationStep::Begin, Some(new))?;
        let mut cursor = None;
        loop {
            let p =
                call(store, old, &mut entropy).rotate_master_key(&admin(), &RotationStep::Rewrap(cursor), Some(new))?;
            cursor = p.cursor;
            if cursor.is_none() {
                break;
            }
        }
        call(store, old, &mut entropy).rotate_master_key(&admin(), &RotationStep::Commit, Some(new))?;
    }
    let phase = call(store, new, &mut entropy).rotate_master_key(&admin(), &RotationStep::Status, None)?.phase;
    if phase == RotationPhase::Steady {
        return Ok(());
    }
    let mut cursor = None;
    loop {
        let p = call(store, new, &mut entropy).rotate_master_key(&admin(), &RotationStep::Clean(cursor), None)?;
        cursor = p.cursor;
        if cursor.is_none() {
            break;
        }
    }
    call(store, new, &mut entropy).rotate_master_key(&admin(), &RotationStep::Finish, None).map(drop)
}

#[test]
fn a_rotation_rewraps_every_key_and_keeps_ids_and_links() {
    let mut w = shop();
    let sid = w.f().subject_id("s", &email("anne@example.org")).unwrap();
    let link = w.f().unsubscribe_link(&admin(), &email("anne@example.org"), "newsletter").unwrap();
    let before = wrapped(&w.store);
    assert_eq!(before.len(), PEOPLE.len());

    let store = Stopping { inner: w.store, budget: Cell::new(None) };
    run_rotation(&store, &key(OLD), &key(NEW)).unwrap();

    // The old key is refused; the new one opens everything.
    match opens(&store, &key(OLD)) {
        Err(Error::Config(e)) => {
            assert_eq!((e.field.as_str(), e.rule.as_str()), ("config:master_key", "matches-store"))
        }
        other => panic!("the old key still opens the store: {other:?}"),
    }
    opens(&store, &key(NEW)).unwrap();
    // Each key rewrapped, none keeps a wrapping under the old key.
    let after = wrapped(&store.inner);
    assert_eq!(after.len(), before.len());
    for ((k, old), (k2, new)) in before.iter().zip(&after) {
        assert_eq!(k, k2);
        assert_ne!(old.wrapped, new.wrapped, "{k} rewrapped");
        assert_eq!(new.next, None, "{k} keeps one wrapping");
    }
    // Keyed hashes keep the store's first secrets: the same subject id, the same link.
    let mut entropy = SeededEntropy::new(5);
    let mut f = call(&store, &key(NEW), &mut entropy);
    assert_eq!(f.subject_id("s", &email("anne@example.org")).unwrap(), sid);
    assert_eq!(f.unsubscribe_link(&admin(), &email("anne@example.org"), "newsletter").unwrap(), link);
    // A new customer after it, and a second rotation carries the same secrets on.
    let fields = [field("email", "eve@example.org", None, &["orders"], None)];
    f.create_customer(&admin(), &email("eve@example.org"), &fields).unwrap();
    run_rotation(&store, &key(NEW), &key(3)).unwrap();
    let mut f = call(&store, &key(3), &mut entropy);
    assert_eq!(f.subject_id("s", &email("anne@example.org")).unwrap(), sid);
    assert_eq!(f.unsubscribe_link(&admin(), &email("anne@example.org"), "newsletter").unwrap(), link);
    assert!(f.get_customer(&admin(), &email("eve@example.org")).is_ok());
    assert!(f.verify_store(&admin()).unwrap().damaged.is_empty());
}

#[test]
fn stopped_at_any_write_the_store_opens_with_one_key_and_the_rotation_resumes() {
    // How many writes a whole rotation makes.
    let total = {
        let store = Stopping { inner: shop().store, budget: Cell::new(Some(u32::MAX)) };
        run_rotation(&store, &key(OLD), &key(NEW)).unwrap();
        u32::MAX - store.budget.get().unwrap()
    };
    assert!(total > 2 * PEOPLE.len() as u32, "{total} writes");
    for stop in 0..total {
        let store = Stopping { inner: shop().store, budget: Cell::new(Some(stop)) };
        assert!(run_rotation(&store, &key(OLD), &key(NEW)).is_err(), "stopped after {stop} writes");
        store.budget.set(None);
        let (old, new) = (opens(&store, &key(OLD)), opens(&store, &key(NEW)));
        assert!(old.is_ok() != new.is_ok(), "after {stop} writes: old {old:?}, new {new:?}");
        run_rotation(&store, &key(OLD), &key(NEW)).unwrap();
        assert!(opens(&store, &key(OLD)).is_err());
        opens(&store, &key(NEW)).unwrap();
        assert!(wrapped(&store.inner).iter().all(|(_, w)| w.next.is_none()), "resumed after {stop} writes");
    }
}

#[test]
fn keys_created_during_a_rotation_are_wrapped_for_both_and_commit_checks_every_key() {
    let w = shop();
    let store = Stopping { inner: w.store, budget: Cell::new(None) };
    let mut entropy = SeededEntropy::new(2);
    let (old, new) = (key(OLD), key(NEW));
    call(&store, &old, &mut entropy).rotate_master_key(&admin(), &RotationStep::Begin, Some(&new)).unwrap();
    // Not rewrapped yet: the commit is refused, naming the rule.
    match call(&store, &old, &mut entropy).rotate_master_key(&admin(), &RotationStep::Commit, Some(&new)) {
        Err(Error::Conflict(e)) => assert_eq!(e.rule, "every-key-rewrapped"),
        other => panic!("{other:?}"),
    }
    // A customer created meanwhile by a process on the old key: wrapped under both.
    let fields = [field("email", "eve@example.org", None, &["orders"], None)];
    call(&store, &old, &mut entropy).create_customer(&admin(), &email("eve@example.org"), &fields).unwrap();
    let eve = wrapped(&store.inner).into_iter().filter(|(_, w)| w.next.is_some()).count();
    assert_eq!(eve, 1, "the new key has its second wrapping from the start");
    // The old key still opens everything while the rotation runs; the new one does not yet.
    opens(&store, &old).unwrap();
    assert!(matches!(opens(&store, &new), Err(Error::Config(_))));
    run_rotation(&store, &old, &new).unwrap();
    let mut f = call(&store, &new, &mut entropy);
    assert!(f.get_customer(&admin(), &email("eve@example.org")).is_ok());
}

#[test]
fn each_step_refuses_what_it_cannot_do_with_a_named_rule() {
    let (old, new, other) = (key(OLD), key(NEW), key(4));
    let store = Stopping { inner: shop().store, budget: Cell::new(None) };
    let mut entropy = SeededEntropy::new(2);
    let mut step = |master: &MasterKey, step: RotationStep, next: Option<&MasterKey>| {
        call(&store, master, &mut entropy).rotate_master_key(&admin(), &step, next)
    };
    let rule = |r: Result<_, Error>| match r {
        Err(Error::Config(e) | Error::Conflict(e) | Error::InvalidInput(e)) => format!("{}:{}", e.field, e.rule),
        Err(e) => format!("{e:?}"),
        Ok(p) => format!("ok {p:?}"),
    };
    assert_eq!(rule(step(&old, RotationStep::Begin, None)), "config:new_master_key:present");
    assert_eq!(rule(step(&old, RotationStep::Begin, Some(&old))), "config:new_master_key:differs");
    assert_eq!(rule(step(&old, RotationStep::Rewrap(None), Some(&new))), "store:keys/check:rotation-begun");
    assert_eq!(rule(step(&old, RotationStep::Clean(None), None)), "store:keys/check:rotation-committed");
    assert_eq!(rule(step(&old, RotationStep::Finish, None)), "store:keys/check:rotation-committed");
    assert_eq!(rule(step(&new, RotationStep::Status, None)), "config:master_key:matches-store");
    assert_eq!(rule(step(&old, RotationStep::Rewrap(Some("\u{7}".into())), Some(&new))), "cursor:printable");
    step(&old, RotationStep::Begin, Some(&new)).unwrap();
    assert_eq!(rule(step(&old, RotationStep::Rewrap(None), Some(&other))), "config:new_master_key:matches-rotation");
    assert_eq!(
        rule(step(&old, RotationStep::Status, None)),
        "ok RotationProgress { phase: Rewrapping, keys: 0, rewritten: 0, cursor: None }"
    );
    // Begun again towards another key: that one replaces it.
    step(&old, RotationStep::Begin, Some(&other)).unwrap();
    assert_eq!(rule(step(&old, RotationStep::Rewrap(None), Some(&new))), "config:new_master_key:matches-rotation");
    // Only an administrator or the system rotates; a support agent may not.
    let support = Actor { id: "sam".into(), role: Role::Support };
    let r = call(&store, &old, &mut entropy).rotate_master_key(&support, &RotationStep::Status, None);
    assert!(matches!(r, Err(Error::Forbidden(_))), "{r:?}");
    // A store that sealed nothing has nothing to rotate.
    let empty = Stopping { inner: MemoryStore::new(), budget: Cell::new(None) };
    let r = call(&empty, &old, &mut entropy).rotate_master_key(&admin(), &RotationStep::Begin, Some(&new));
    assert_eq!(rule(r), "store:keys/check:store-has-key");
}
