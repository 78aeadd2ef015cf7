//! One suite of the key-value semantics the component relies on, run against every
//! backend that keeps data: SQLite files, PostgreSQL and MariaDB (real servers, started
//! here). What is stated in `src/kv/mod.rs` is checked here for each:
//! compare-and-swap by version (no lost update between two processes), batches in one
//! transaction (all or nothing, read-your-writes, invisible to others until committed),
//! get-many in the order asked, `list-keys` in the keys' byte order by pages, binary
//! values kept exactly, and on a server: a typed error when it is down, and the next
//! calls working once it is back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fichier_host::kv::{KvBackend, KvError, SqlKv, SqliteKv};
use support::servers::{Engine, Server};

/// Two handles on one store: `a` and `b`, as two processes would have.
type Pair = (Arc<dyn KvBackend>, Arc<dyn KvBackend>);

fn suite(name: &str, open: &dyn Fn() -> Arc<dyn KvBackend>) {
    let (a, b): Pair = (open(), open());
    swaps(name, &*a, &*b);
    binary_values(name, &*a);
    batches(name, &*a, &*b);
    listing(name, &*a);
    no_lost_update(name, open);
}

fn swaps(name: &str, a: &dyn KvBackend, b: &dyn KvBackend) {
    assert_eq!(a.labels().len(), 2, "{name}: default and keys");
    assert!(a.swap_if("default", "s/a", None, b"1").unwrap(), "{name}");
    assert!(!b.swap_if("default", "s/a", None, b"2").unwrap(), "{name}: present, an insert-if-absent loses");
    let (v1, value) = b.get("default", "s/a").unwrap().unwrap();
    assert_eq!(value, b"1", "{name}: another handle reads the commit");
    assert!(!a.swap_if("default", "s/a", Some(v1.wrapping_add(1)), b"3").unwrap(), "{name}: another version");
    assert!(a.swap_if("default", "s/a", Some(v1), b"4").unwrap(), "{name}");
    let (v2, value) = a.get("default", "s/a").unwrap().unwrap();
    assert_eq!(value, b"4");
    assert!(v2 > v1, "{name}: versions grow ({v1} then {v2})");
    assert!(!b.swap_if("default", "s/a", Some(v1), b"5").unwrap(), "{name}: the version seen is gone");
    assert!(!a.swap_if("default", "s/gone", Some(v1), b"6").unwrap(), "{name}: absent, an update loses");
    // Deleted and written again: a reader of the first life cannot swap.
    a.delete("default", "s/a").unwrap();
    assert_eq!(b.get("default", "s/a").unwrap(), None, "{name}");
    a.set("default", "s/a", b"7").unwrap();
    assert!(!b.swap_if("default", "s/a", Some(v2), b"8").unwrap(), "{name}: a version never repeats");
    // The two labels are two buckets.
    a.set("keys", "s/a", b"key").unwrap();
    assert_eq!(b.get("keys", "s/a").unwrap().unwrap().1, b"key");
    assert_eq!(b.get("default", "s/a").unwrap().unwrap().1, b"7");
    // get-many: in the order asked, repeats and absences included; an unknown label.
    let keys = ["s/gone", "s/a", "s/a"].map(String::from);
    assert_eq!(b.get_many("default", &keys).unwrap(), vec![None, Some(b"7".to_vec()), Some(b"7".to_vec())]);
    assert_eq!(b.get_many("default", &[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
    assert!(matches!(b.get_many("nope", &keys), Err(KvError::NoSuchStore)), "{name}");
    assert!(matches!(b.get("nope", "k"), Err(KvError::NoSuchStore)), "{name}");
    // increment: from absent, then on.
    assert_eq!(a.increment("default", "s/n", 5).unwrap(), 5);
    assert_eq!(b.increment("default", "s/n", -2).unwrap(), 3);
    a.set("default", "s/text", b"not a number").unwrap();
    assert!(a.increment("default", "s/text", 1).is_err(), "{name}: a typed error, not a panic");
}

fn binary_values(name: &str, a: &dyn KvBackend) {
    let every_byte: Vec<u8> = (0..=255u8).collect();
    let large: Vec<u8> = (0..1_048_576u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for (key, value) in [("v/empty", Vec::new()), ("v/bytes", every_byte), ("v/large", large)] {
        a.set("default", key, &value).unwrap();
        assert_eq!(a.get("default", key).unwrap().unwrap().1, value, "{name}: {key}");
    }
    // Keys in UTF-8 beyond ASCII are kept as written.
    a.set("default", "v/clé-é", b"x").unwrap();
    assert_eq!(a.get("default", "v/clé-é").unwrap().unwrap().1, b"x", "{name}");
}

fn batches(name: &str, a: &dyn KvBackend, b: &dyn KvBackend) {
    a.begin().unwrap();
    assert!(a.swap_if("keys", "b/dek", None, b"key").unwrap());
    a.set("default", "b/customer", b"sealed").unwrap();
    assert_eq!(a.get("default", "b/customer").unwrap().unwrap().1, b"sealed", "{name}: read-your-writes");
    assert_eq!(b.get("default", "b/customer").unwrap(), None, "{name}: invisible to others before the commit");
    assert_eq!(b.get("keys", "b/dek").unwrap(), None, "{name}");
    a.commit().unwrap();
    assert_eq!(b.get("default", "b/customer").unwrap().unwrap().1, b"sealed", "{name}");
    assert_eq!(b.get("keys", "b/dek").unwrap().unwrap().1, b"key", "{name}");

    // (Keys inserted, not replaced: the SQLite store commits a batch early where a
    // replaced key would break its keys-first order, see `SqliteKv::batch_order`.)
    a.begin().unwrap();
    assert!(a.swap_if("keys", "b/y", None, b"2").unwrap());
    a.set("default", "b/x", b"1").unwrap();
    a.delete("default", "b/customer").unwrap();
    a.rollback();
    assert_eq!(b.get("default", "b/x").unwrap(), None, "{name}: a rolled-back batch leaves nothing");
    assert_eq!(b.get("keys", "b/y").unwrap(), None, "{name}");
    assert!(b.get("default", "b/customer").unwrap().is_some(), "{name}");
    // After a rollback, writes are single again.
    a.set("default", "b/z", b"3").unwrap();
    assert_eq!(b.get("default", "b/z").unwrap().unwrap().1, b"3", "{name}");
}

/// Inside a batch, a swap that loses to another process sees that process's commit on its
/// next read, and then wins. (On SQLite a batch holds the file's write lock: the other
/// process waits instead, so the case cannot arise.)
fn lost_in_a_batch(name: &str, a: &dyn KvBackend, b: &dyn KvBackend) {
    a.set("default", "b/doc", b"0").unwrap();
    a.begin().unwrap();
    let (seen, _) = a.get("default", "b/doc").unwrap().unwrap();
    b.set("default", "b/doc", b"other").unwrap();
    assert!(!a.swap_if("default", "b/doc", Some(seen), b"mine").unwrap(), "{name}: lost to the other");
    let (now, value) = a.get("default", "b/doc").unwrap().unwrap();
    assert_eq!(value, b"other", "{name}: the re-read sees the other commit");
    assert!(a.swap_if("default", "b/doc", Some(now), b"mine").unwrap(), "{name}");
    a.commit().unwrap();
    assert_eq!(b.get("default", "b/doc").unwrap().unwrap().1, b"mine", "{name}");
}

fn listing(name: &str, a: &dyn KvBackend) {
    let mut keys: Vec<String> = (0..1500).map(|i| format!("l/{i:05}")).collect();
    keys.extend(["l/", "l/B", "l/a", "l/a-b", "l/a/b", "l/a0", "l/é", "l/z", "l/~"].map(String::from));
    a.begin().unwrap();
    for k in &keys {
        a.set("default", k, b"").unwrap();
    }
    a.commit().unwrap();
    keys.sort(); // Rust's order: the keys' bytes
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = a.list_after("default", cursor.as_deref()).unwrap();
        assert!(page.len() <= fichier_host::kv::LIST_PAGE, "{name}");
        let Some(last) = page.last().cloned() else { break };
        listed.extend(page);
        cursor = Some(last);
    }
    let listed: Vec<String> = listed.into_iter().filter(|k| k.starts_with("l/")).collect();
    assert_eq!(listed, keys, "{name}: every key once, in byte order");
}

/// Four handles (processes) × 25 read-modify-writes of one counter by compare-and-swap:
/// no update is lost.
fn no_lost_update(name: &str, open: &dyn Fn() -> Arc<dyn KvBackend>) {
    let handles: Vec<Arc<dyn KvBackend>> = (0..4).map(|_| open()).collect();
    std::thread::scope(|s| {
        for kv in &handles {
            s.spawn(move || {
                for _ in 0..25 {
                    loop {
                        let seen = kv.get("default", "c/counter").unwrap();
                        let n: u64 = seen.as_ref().map_or(0, |(_, v)| std::str::from_utf8(v).unwrap().parse().unwrap());
                        if kv
                            .swap_if("default", "c/counter", seen.map(|(v, _)| v), (n + 1).to_string().as_bytes())
                            .unwrap()
                        {
                            break;
                        }
                    }
                }
            });
        }
    });
    let (_, v) = handles[0].get("default", "c/counter").unwrap().unwrap();
    assert_eq!(v, b"100", "{name}: 100 swaps, 100 counted");
}

#[test]
fn the_store_semantics_hold_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.db");
    suite("sqlite", &|| Arc::new(SqliteKv::open(&path).unwrap()));
}

fn on_server(engine: Engine) {
    let mut server = Server::start(engine);
    let url = server.database("");
    let name = format!("{engine:?}");
    suite(&name, &|| Arc::new(SqlKv::connect(&url, None).unwrap()));
    lost_in_a_batch(&name, &SqlKv::connect(&url, None).unwrap(), &SqlKv::connect(&url, None).unwrap());

    // Shared mode (`fichier serve`): a call's writes are one transaction, seen by others
    // once `durable` returns; calls on other threads are their own; outside a call, a
    // write commits at once.
    let shared = Arc::new(SqlKv::connect(&url, None).unwrap().shared());
    let other = SqlKv::connect(&url, None).unwrap();
    assert!(shared.grouped(), "{name}: calls may run concurrently");
    shared.enter();
    assert_eq!(shared.get("default", "call/a").unwrap(), None);
    shared.set("default", "call/a", b"1").unwrap();
    assert!(shared.swap_if("keys", "call/k", None, b"key").unwrap());
    assert_eq!(shared.get("default", "call/a").unwrap().unwrap().1, b"1", "{name}: read-your-writes");
    assert_eq!(other.get("default", "call/a").unwrap(), None, "{name}: not before durable");
    std::thread::scope(|s| {
        s.spawn(|| {
            shared.enter();
            shared.set("default", "call/other-thread", b"2").unwrap();
            shared.durable().unwrap();
        });
    });
    assert!(other.get("default", "call/other-thread").unwrap().is_some(), "{name}: another call, committed");
    assert_eq!(other.get("keys", "call/k").unwrap(), None, "{name}: this call still open");
    shared.durable().unwrap();
    assert_eq!(other.get("default", "call/a").unwrap().unwrap().1, b"1", "{name}");
    assert_eq!(other.get("keys", "call/k").unwrap().unwrap().1, b"key", "{name}");
    shared.set("default", "call/outside", b"3").unwrap();
    assert!(other.get("default", "call/outside").unwrap().is_some(), "{name}: outside a call, at once");

    // The keys in a database of their own: the data database holds no key table.
    let (data, keys) = (server.database("prefix=shop_"), server.database(""));
    let kv = SqlKv::connect(&data, Some(&keys)).unwrap();
    kv.begin().unwrap();
    kv.set("keys", "dek/a", b"key").unwrap();
    kv.set("default", "customer/a", b"sealed").unwrap();
    kv.commit().unwrap();
    let only_data = SqlKv::connect(&data, None).unwrap();
    assert_eq!(only_data.get("default", "customer/a").unwrap().unwrap().1, b"sealed");
    assert_eq!(only_data.get("keys", "dek/a").unwrap(), None, "{engine:?}: no key in the data database");
    assert_eq!(SqlKv::connect(&keys, None).unwrap().get("keys", "dek/a").unwrap().unwrap().1, b"key");

    // Two databases: a batch commits the keys first, and early where a replaced key would
    // otherwise break that order — the SQLite store's rule (`SqliteKv::batch_order`), here
    // across two servers' transactions.
    let (data, keys) = (server.database(""), server.database(""));
    let kv = SqlKv::connect(&data, Some(&keys)).unwrap();
    let (data_seen, keys_seen) = (SqlKv::connect(&data, None).unwrap(), SqlKv::connect(&keys, None).unwrap());
    let committed = |label: &str, key: &str| {
        let seen = if label == "keys" { &keys_seen } else { &data_seen };
        seen.get(label, key).unwrap().map(|(_, v)| v)
    };
    kv.begin().unwrap();
    assert!(kv.swap_if("keys", "dek/a", None, b"key a").unwrap());
    kv.set("default", "customer/a", b"sealed a").unwrap();
    assert_eq!((committed("keys", "dek/a"), committed("default", "customer/a")), (None, None), "{name}");
    kv.commit().unwrap();
    assert_eq!(committed("default", "customer/a"), Some(b"sealed a".to_vec()), "{name}");
    // An erasure: a staged key, held data, then the data key replaced.
    kv.begin().unwrap();
    assert!(kv.swap_if("keys", "staged/a", None, b"new key").unwrap());
    kv.set("default", "hold/a", b"held copy").unwrap();
    let (v, _) = kv.get("keys", "dek/a").unwrap().unwrap();
    assert!(kv.swap_if("keys", "dek/a", Some(v), b"new key").unwrap());
    assert_eq!(committed("keys", "staged/a"), Some(b"new key".to_vec()), "{name}: the keys first");
    assert_eq!(committed("default", "hold/a"), Some(b"held copy".to_vec()), "{name}: then the data before it");
    assert_eq!(committed("keys", "dek/a"), Some(b"key a".to_vec()), "{name}: the replacement waits");
    kv.delete("keys", "staged/a").unwrap();
    kv.set("default", "subject/a", b"under the new key").unwrap();
    assert_eq!(committed("keys", "dek/a"), Some(b"new key".to_vec()), "{name}: data after it: the keys first");
    assert_eq!(committed("keys", "staged/a"), None, "{name}");
    assert_eq!(committed("default", "subject/a"), None, "{name}");
    kv.commit().unwrap();
    assert_eq!(committed("default", "subject/a"), Some(b"under the new key".to_vec()), "{name}");

    // A key longer than an index entry allows: a typed error.
    let e = kv.set("default", &"k".repeat(600), b"x").unwrap_err();
    assert!(e.to_string().contains("at most 512 bytes"), "{e}");

    // Slow: a row another transaction holds past the timeout is a typed error within it,
    // not a hang; the holder's commit then goes through.
    let url = server.database("timeout_ms=1000&pool=2");
    let holder = SqlKv::connect(&url, None).unwrap();
    let waiter = SqlKv::connect(&url, None).unwrap();
    holder.set("default", "held", b"0").unwrap();
    holder.begin().unwrap();
    holder.set("default", "held", b"1").unwrap();
    let start = Instant::now();
    let e = waiter.set("default", "held", b"2").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5), "{engine:?}: answered in {:?}", start.elapsed());
    assert!(matches!(e, KvError::Other(_)), "{engine:?}: {e}");
    holder.commit().unwrap();
    assert_eq!(waiter.get("default", "held").unwrap().unwrap().1, b"1", "{engine:?}");
    // A statement of a call's transaction that fails spoils the call: MariaDB may have
    // rolled the transaction back whole (a deadlock) and PostgreSQL refuses the rest, so
    // the call's later statements are refused and its commit is an error — never a call
    // answered as done whose writes the server did not keep.
    let call = SqlKv::connect(&url, None).unwrap().shared();
    holder.begin().unwrap();
    holder.set("default", "held", b"again").unwrap();
    call.enter();
    call.set("default", "call/before", b"1").unwrap();
    assert!(call.set("default", "held", b"mine").is_err(), "{engine:?}: the lock wait times out");
    let e = call.set("default", "call/after", b"2").unwrap_err();
    assert!(e.to_string().contains("earlier statement"), "{engine:?}: {e}");
    assert!(call.durable().is_err(), "{engine:?}: the call fails");
    holder.commit().unwrap();
    assert_eq!(waiter.get("default", "call/before").unwrap(), None, "{engine:?}: nothing of the call kept");
    assert_eq!(waiter.get("default", "call/after").unwrap(), None, "{engine:?}");
    // The same for a batch: its commit is an error and keeps nothing.
    holder.begin().unwrap();
    holder.set("default", "held", b"once more").unwrap();
    waiter.begin().unwrap();
    waiter.set("default", "batch/before", b"1").unwrap();
    assert!(waiter.set("default", "held", b"mine").is_err(), "{engine:?}");
    assert!(waiter.commit().is_err(), "{engine:?}: the batch fails");
    holder.commit().unwrap();
    assert_eq!(call.get("default", "batch/before").unwrap(), None, "{engine:?}");

    // Refused: a database that does not exist is named, with no panic.
    let e = SqlKv::connect(&server.url("no_such_database", "timeout_ms=2000"), None).map(|_| ()).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("does not exist") || e.contains("Unknown database"), "{engine:?}: {e}");

    // The server goes down: a typed error, within the timeout; back: the calls work again.
    let url = server.database("timeout_ms=2000&pool=2");
    let kv = SqlKv::connect(&url, None).unwrap();
    kv.set("default", "alive", b"1").unwrap();
    server.kill();
    let start = Instant::now();
    let e = kv.get("default", "alive").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(10), "{engine:?}: answered in {:?}", start.elapsed());
    assert!(matches!(e, KvError::Other(_)), "{engine:?}: {e}");
    assert!(kv.set("default", "during", b"x").is_err(), "{engine:?}: a write is refused, not lost silently");
    server.resume();
    // The first call after the restart reconnects.
    assert_eq!(kv.get("default", "alive").unwrap().unwrap().1, b"1", "{engine:?}");
    kv.set("default", "after", b"2").unwrap();
    assert_eq!(kv.get("default", "during").unwrap(), None, "{engine:?}: the refused write is not there");
}

#[test]
fn the_store_semantics_hold_on_postgresql() {
    on_server(Engine::Postgres);
}

#[test]
fn the_store_semantics_hold_on_mariadb() {
    on_server(Engine::MariaDb);
}
