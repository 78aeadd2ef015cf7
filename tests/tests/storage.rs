//! Storage properties through the real component on real SQLite files: nothing in
//! clear, tamper evidence, wrong key, corruption, concurrent writers, crashes at
//! every point of a write, and a trap that leaves the host serving.

use std::sync::Arc;

use fichier_host::kv::{KvBackend, SqliteKv};
use fichier_host::{Clock, RuntimeBuilder};
use fichier_tests::*;
use serde_json::{Value, json};

const NOW: &str = "2026-03-01T10:00:00Z";

fn declare(rt: &fichier_host::Runtime) -> String {
    ok(
        rt,
        "consent",
        "declare-purpose",
        &[admin(), json!({"id": "newsletter", "kind": "marketing", "title": "Lettre", "validity-months": null})],
    );
    ok(
        rt,
        "consent",
        "register-notice",
        &[admin(), json!({"purposes": ["newsletter"], "lang": "fr", "text": "Texte."})],
    )["reference"]
        .as_str()
        .expect("reference")
        .to_string()
}

fn grant(email: &str, notice: &str, receipt_id: Option<&str>) -> Value {
    json!({
        "subject": {"tag": "email", "val": email}, "purpose": "newsletter", "decision": "grant", "given-by": "subject",
        "channel": "web-form", "notice": notice, "at": null, "receipt-id": receipt_id,
        "client-ip": "203.0.113.195", "user-agent": "FichierTestAgent/1.0 (secret-ua-marker)", "gpc": false, "age": null
    })
}

fn raw_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for (_, path) in fichier_host::kv::store_files(db) {
        for suffix in ["", "-wal", "-shm"] {
            let p = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if let Ok(b) = std::fs::read(&p) {
                all.extend(b);
            }
        }
    }
    all
}

#[test]
fn no_personal_data_in_clear_in_the_files_or_their_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    let emails: Vec<String> = (0..50).map(|i| format!("client.{i:03}@boutique-exemple.fr")).collect();
    for e in &emails {
        ok(&rt, "consent", "record-decision", &[admin(), grant(e, &notice, None)]);
    }
    ok(
        &rt,
        "consent",
        "record-decision",
        &[
            admin(),
            json!({
        "subject": {"tag": "external", "val": "customer-ZX81-secret"}, "purpose": "newsletter", "decision": "refuse",
        "given-by": "subject", "channel": "checkout", "notice": notice, "at": null, "receipt-id": null,
        "client-ip": null, "user-agent": null, "gpc": false, "age": null}),
        ],
    );
    let raw = raw_bytes(&db);
    assert!(raw.len() > 10_000, "the files hold the data ({} bytes)", raw.len());
    let haystack = String::from_utf8_lossy(&raw).to_lowercase();
    let mut needles: Vec<String> = emails.clone();
    needles.extend([
        "boutique-exemple".into(),
        "203.0.113.195".into(),
        "203.0.113.0".into(),
        "secret-ua-marker".into(),
        "customer-zx81".into(),
    ]);
    for n in &needles {
        assert!(!haystack.contains(n), "{n} found in clear in the store files");
    }
    // The same check must be able to fail: the notice text is not personal and is stored as is.
    assert!(haystack.contains("texte."), "the grep sees stored text");
    // And the data is all there, readable through the component.
    let st = ok(&rt, "consent", "status", &[admin(), json!({"tag": "email", "val": emails[7]})]);
    assert_eq!(st["purposes"][0]["state"], "given");
}

#[test]
fn an_edited_receipt_is_named_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    for (i, e) in ["a@example.org", "b@example.org"].iter().enumerate() {
        for n in 0..3 {
            ok(&rt, "consent", "record-decision", &[admin(), grant(e, &notice, Some(&format!("r{i}-{n}")))]);
        }
    }
    let b = ok(&rt, "consent", "history", &[admin(), json!({"tag": "email", "val": "b@example.org"})]);
    let target_hash = b[1]["hash"].as_str().expect("hash").to_string();
    let sid = b[1]["subject"].as_str().expect("sid").to_string();
    assert_eq!(ok(&rt, "ledger", "verify", &[admin()])["ok"], true);
    // Flip one base64 character of the sealed receipt (the entry's last field), directly
    // in the file.
    let conn = rusqlite::Connection::open(&db).expect("open");
    let key = format!("receipt/{sid}/{target_hash}");
    let value: Vec<u8> = conn.query_row("SELECT value FROM kv WHERE key = ?1", [&key], |r| r.get(0)).expect("row");
    let mut edited = value.clone();
    // A letter or digit of the base64 text near its end (the sealed bytes are random, so
    // the character at a fixed place may be `+` or `/`).
    let pos = (0..=edited.len() - 12).rev().find(|&i| edited[i].is_ascii_alphanumeric()).expect("a letter");
    assert!(pos + 40 > edited.len(), "a base64 character of the sealed receipt");
    edited[pos] = if edited[pos] == b'A' { b'B' } else { b'A' };
    conn.execute("UPDATE kv SET value = ?1 WHERE key = ?2", rusqlite::params![edited, key]).expect("update");
    drop(conn);
    let report = ok(&rt, "ledger", "verify", &[admin()]);
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["failure"]["receipt"], "r1-1", "{report}");
    assert_eq!(report["failure"]["seq"], 2);
    assert_eq!(report["failure"]["rule"], "receipt-hash");
    assert_eq!(report["failure"]["subject"], sid);
    // Reading that history now fails with a typed error instead of returning altered data.
    let e = err(&rt, "consent", "history", &[admin(), json!({"tag": "email", "val": "b@example.org"})]);
    assert_eq!(e["tag"], "corrupted");
    assert_eq!(e["val"]["rule"], "receipt-hash");
}

#[test]
fn a_rewritten_history_with_recomputed_hashes_is_caught_by_the_anchor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    ok(&rt, "consent", "record-decision", &[admin(), grant("a@example.org", &notice, Some("one"))]);
    let anchor = ok(&rt, "ledger", "take-anchor", &[admin()]);
    assert_eq!(anchor["subjects"], 1);
    // Someone with write access replaces the subject's whole chain by a fresh one:
    // copy the head and receipt of another store where a@example.org refused instead.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other_db = other_dir.path().join("fichier.db");
    let other = sqlite_runtime(&other_db, NOW, TEST_KEY);
    let other_notice = declare(&other);
    let mut refusal = grant("a@example.org", &other_notice, Some("one"));
    refusal["decision"] = json!("refuse");
    ok(&other, "consent", "record-decision", &[admin(), refusal]);
    let forged: Vec<(String, String, Vec<u8>)> = dump(&other_db)
        .into_iter()
        .filter(|(_, k, _)| k.starts_with("subject/") || k.starts_with("receipt/") || k.starts_with("dek/"))
        .collect();
    for (label, key, value) in forged {
        let path = if label == "keys" { fichier_host::kv::store_files(&db)[1].1.clone() } else { db.clone() };
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.execute(
            "INSERT OR REPLACE INTO kv (key, value, version) VALUES (?1, ?2, 999999)",
            rusqlite::params![key, value],
        )
        .expect("write");
    }
    // The forged chain is internally consistent…
    let h = ok(&rt, "consent", "history", &[admin(), json!({"tag": "email", "val": "a@example.org"})]);
    assert_eq!(h[0]["decision"], "refuse");
    // …but does not match the anchor.
    let report = ok(&rt, "ledger", "verify", &[admin()]);
    assert_eq!(report["ok"], false);
    assert_eq!(report["failure"]["rule"], "anchor-covers-head", "{report}");
    assert_eq!(report["failure"]["anchor"], 1);
}

#[test]
fn the_wrong_master_key_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    ok(&rt, "consent", "record-decision", &[admin(), grant("a@example.org", &notice, None)]);
    drop(rt);
    let before = dump(&db);
    let wrong = sqlite_runtime(&db, NOW, &"ab".repeat(32));
    for (iface, func, args) in [
        ("consent", "record-decision", vec![admin(), grant("a@example.org", &notice, None)]),
        ("consent", "record-decision", vec![admin(), grant("new@example.org", &notice, None)]),
        ("consent", "status", vec![admin(), json!({"tag": "email", "val": "a@example.org"})]),
        ("consent", "history", vec![admin(), json!({"tag": "email", "val": "a@example.org"})]),
        ("ledger", "verify", vec![admin()]),
    ] {
        let e = err(&wrong, iface, func, &args);
        assert_eq!(e["tag"], "config", "{iface}.{func}: {e}");
        assert_eq!(e["val"]["field"], "config:master_key");
        assert_eq!(e["val"]["rule"], "matches-store");
    }
    assert_eq!(dump(&db), before, "nothing written");
    let malformed = sqlite_runtime(&db, NOW, "not-a-key");
    let e = err(&malformed, "consent", "status", &[admin(), json!({"tag": "email", "val": "a@example.org"})]);
    assert_eq!((e["tag"].as_str(), e["val"]["rule"].as_str()), (Some("config"), Some("hex-256-bit")));
    let missing =
        runtime_with(Arc::new(SqliteKv::open(&db).expect("open")), Clock::pinned(NOW).expect("clock"), TEST_KEY);
    drop(missing);
    let no_key = RuntimeBuilder::new(Arc::new(SqliteKv::open(&db).expect("open")))
        .cache_dir(Some(cache_dir()))
        .build()
        .expect("runtime");
    let e = err(&no_key, "consent", "status", &[admin(), json!({"tag": "email", "val": "a@example.org"})]);
    assert_eq!((e["tag"].as_str(), e["val"]["rule"].as_str()), (Some("config"), Some("present")));
    assert_eq!(dump(&db), before, "nothing written");
}

#[test]
fn a_corrupted_value_is_a_typed_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    let r = ok(&rt, "consent", "record-decision", &[admin(), grant("a@example.org", &notice, None)]);
    let sid = r["subject"].as_str().expect("sid");
    let conn = rusqlite::Connection::open(&db).expect("open");
    for (what, bytes) in [
        ("garbage", b"\x00\xffnot json".to_vec()),
        ("future schema", br#"{"kind":"subject-head","schema":99,"body":{}}"#.to_vec()),
    ] {
        conn.execute("UPDATE kv SET value = ?1 WHERE key = ?2", rusqlite::params![bytes, format!("subject/{sid}")])
            .expect("corrupt");
        let before = dump(&db);
        for args in [
            ("status", vec![admin(), json!({"tag": "email", "val": "a@example.org"})]),
            ("record-decision", vec![admin(), grant("a@example.org", &notice, None)]),
        ] {
            let e = err(&rt, "consent", args.0, &args.1);
            assert_eq!(e["tag"], "corrupted", "{what}: {e}");
            assert_eq!(e["val"]["field"], format!("store:default/subject/{sid}"));
        }
        assert_eq!(dump(&db), before, "{what}: nothing written");
    }
    // Other subjects are unaffected.
    ok(&rt, "consent", "record-decision", &[admin(), grant("b@example.org", &notice, None)]);
    // A corrupted catalogue is reported too.
    conn.execute("UPDATE kv SET value = X'00' WHERE key = 'purposes'", []).expect("corrupt");
    let e = err(&rt, "consent", "list-purposes", &[admin()]);
    assert_eq!((e["tag"].as_str(), e["val"]["field"].as_str()), (Some("corrupted"), Some("store:default/purposes")));
}

/// A backend that counts the compare-and-swaps it refused.
struct CountingKv {
    inner: SqliteKv,
    lost: std::sync::atomic::AtomicUsize,
}

impl KvBackend for CountingKv {
    fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }
    fn get(&self, l: &str, k: &str) -> Result<Option<fichier_host::kv::Versioned>, fichier_host::kv::KvError> {
        self.inner.get(l, k)
    }
    fn set(&self, l: &str, k: &str, v: &[u8]) -> Result<(), fichier_host::kv::KvError> {
        self.inner.set(l, k, v)
    }
    fn delete(&self, l: &str, k: &str) -> Result<(), fichier_host::kv::KvError> {
        self.inner.delete(l, k)
    }
    fn list_after(&self, l: &str, c: Option<&str>) -> Result<Vec<String>, fichier_host::kv::KvError> {
        self.inner.list_after(l, c)
    }
    fn swap_if(&self, l: &str, k: &str, seen: Option<u64>, v: &[u8]) -> Result<bool, fichier_host::kv::KvError> {
        let won = self.inner.swap_if(l, k, seen, v)?;
        if !won {
            self.lost.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(won)
    }
    fn increment(&self, l: &str, k: &str, d: i64) -> Result<i64, fichier_host::kv::KvError> {
        self.inner.increment(l, k, d)
    }
}

#[test]
fn two_threads_hammering_one_subject_lose_no_update() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let counting = Arc::new(CountingKv { inner: SqliteKv::open(&db).expect("open"), lost: Default::default() });
    let kv: Arc<dyn KvBackend> = counting.clone();
    let rt = Arc::new(runtime_with(kv.clone(), Clock::pinned(NOW).expect("clock"), TEST_KEY));
    let notice = declare(&rt);
    const PER_THREAD: usize = 40;
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let rt = rt.clone();
            let notice = notice.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    ok(
                        &rt,
                        "consent",
                        "record-decision",
                        &[admin(), grant("shared@example.org", &notice, Some(&format!("t{t}-{i}")))],
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let history = ok(&rt, "consent", "history", &[admin(), json!({"tag": "email", "val": "shared@example.org"})]);
    let history = history.as_array().expect("list");
    assert_eq!(history.len(), 2 * PER_THREAD, "every receipt kept");
    for (i, r) in history.iter().enumerate() {
        assert_eq!(r["seq"], i + 1);
    }
    let mut ids: Vec<&str> = history.iter().filter_map(|r| r["id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2 * PER_THREAD);
    assert_eq!(ok(&rt, "ledger", "verify", &[admin()])["ok"], true);
    let lost = counting.lost.load(std::sync::atomic::Ordering::SeqCst);
    println!("{lost} compare-and-swaps lost to the other writer and retried");
    assert!(lost > 0, "the threads did contend (else this test shows nothing)");
    // A lost attempt's receipt entry is removed: what remains is what the chain references.
    let entries = dump(&db).into_iter().filter(|(_, k, _)| k.starts_with("receipt/")).count();
    assert_eq!(entries, 2 * PER_THREAD, "no unreferenced entry left by lost swaps");
}

#[test]
fn an_anchor_covers_subjects_missing_from_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    ok(&rt, "consent", "record-decision", &[admin(), grant("a@example.org", &notice, None)]);
    ok(&rt, "consent", "record-decision", &[admin(), grant("b@example.org", &notice, None)]);
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute("DELETE FROM kv WHERE key LIKE 'index/%'", []).expect("drop the index");
    drop(conn);
    let anchor = ok(&rt, "ledger", "take-anchor", &[admin()]);
    assert_eq!(anchor["subjects"], 2, "{anchor}");
    assert_eq!(anchor["receipts"], 2);
}

#[test]
fn a_crash_at_any_point_of_a_write_leaves_the_store_consistent() {
    // Fuel bounds each call; sweeping it makes the component stop (trap) at every
    // point of a write in turn, as a crash would. After each stop the store must be
    // exactly as before or fully changed, never half-changed, and the host keeps serving.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let kv: Arc<dyn KvBackend> = Arc::new(SqliteKv::open(&db).expect("open"));
    let rt = RuntimeBuilder::new(kv)
        .config(vec![("master_key".into(), TEST_KEY.into())])
        .clock(Clock::pinned(NOW).expect("clock"))
        .cache_dir(Some(cache_dir()))
        .fuel(Some(u64::MAX))
        .build()
        .expect("runtime");
    let notice = declare(&rt);
    ok(&rt, "consent", "record-decision", &[admin(), grant("a@example.org", &notice, Some("first"))]);
    let subject = json!({"tag": "email", "val": "a@example.org"});
    let mut fuel = 1_000u64;
    let mut traps = 0;
    loop {
        rt.set_fuel(fuel);
        let outcome =
            rt.invoke("consent", "record-decision", &[admin(), grant("a@example.org", &notice, Some("second"))]);
        rt.set_fuel(u64::MAX);
        let history = ok(&rt, "consent", "history", &[admin(), subject.clone()]);
        let n = history.as_array().map_or(0, Vec::len);
        let verify = ok(&rt, "ledger", "verify", &[admin()]);
        assert_eq!(verify["ok"], true, "after a stop at fuel {fuel}: {verify}");
        match outcome {
            Err(fichier_host::CallError::Trap(_)) => {
                traps += 1;
                assert!(n == 1 || n == 2, "fuel {fuel}: history has {n} receipts");
                if n == 2 {
                    break; // it committed, then stopped before returning
                }
            }
            Ok(v) => {
                assert!(v.get("ok").is_some(), "{v}");
                assert_eq!(n, 2);
                break;
            }
            Err(e) => panic!("{e}"),
        }
        fuel = fuel * 5 / 4 + 1000;
    }
    assert!(traps > 10, "the sweep stopped the write at many points ({traps})");
}

/// Four customers on SQLite created on 15 January 2020 (e-mail for orders, name also kept
/// for accounting, card brand), the e-shop register, the clock moved to 16 January 2024
/// (the e-mails and card data due for deletion, the names for the archive); with fuel.
fn sweep_world(dir: &std::path::Path) -> (fichier_host::Runtime, Vec<String>) {
    let db = dir.join("fichier.db");
    let kv: Arc<dyn KvBackend> = Arc::new(SqliteKv::open(&db).expect("open"));
    let rt = RuntimeBuilder::new(kv)
        .config(vec![("master_key".into(), TEST_KEY.into())])
        .clock(Clock::pinned("2020-01-15T10:00:00Z").expect("clock"))
        .cache_dir(Some(cache_dir()))
        .fuel(Some(u64::MAX))
        .build()
        .expect("runtime");
    for id in ["orders", "accounting"] {
        ok(
            &rt,
            "consent",
            "declare-purpose",
            &[admin(), json!({"id": id, "kind": "service", "title": id, "validity-months": null})],
        );
    }
    ok(&rt, "registry", "load-shop-defaults", &[admin()]);
    let field = |name: &str, value: &str, category: Value, purposes: &[&str]| {
        json!({"name": name, "value": value, "category": category, "purposes": purposes, "basis": "contract",
               "source": null, "collected-at": null, "verified-at": null})
    };
    let mut sids = Vec::new();
    for i in 0..4 {
        let email = format!("c{i}@example.org");
        let fields = json!([
            field("email", &email, json!(null), &["orders"]),
            field("given-name", "Camille", json!(null), &["orders", "accounting"]),
            field("card-brand", "visa", json!("payment"), &["orders"]),
        ]);
        let c = ok(&rt, "customers", "create", &[admin(), json!({"tag": "email", "val": email}), fields]);
        sids.push(c["subject"].as_str().expect("sid").to_string());
    }
    rt.clock().set("2024-01-16T10:00:00Z").expect("clock");
    (rt, sids)
}

#[test]
fn an_interrupted_sweep_leaves_each_record_before_or_after_and_a_rerun_finishes() {
    // The retention sweep stopped at every point in turn (fuel), on SQLite: after each
    // stop every record is untouched or fully swept, every swept record has its audit
    // entries, the audit log verifies; running the sweep again finishes the job.
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, sids) = sweep_world(dir.path());
    let system = json!({"id": "cron", "role": "system"});
    let dpo = json!({"id": "claire", "role": "dpo"});
    let options = json!({"apply": true, "cursor": null, "limit": 1000, "repermission-days": 30});
    let swept = |rt: &fichier_host::Runtime| -> usize {
        let log = ok(rt, "audit", "entries", &[system.clone(), json!(null), json!(1000)]);
        let mut done = 0;
        for sid in &sids {
            let who = json!({"tag": "subject", "val": sid});
            let fields = ok(rt, "customers", "get", &[admin(), who.clone()])["fields"].as_array().map_or(0, Vec::len);
            let archived = ok(rt, "customers", "archived", &[dpo.clone(), who]).as_array().map_or(0, Vec::len);
            match (fields, archived) {
                (3, 0) => {}
                (0, 1) => {
                    done += 1;
                    let audited = log["entries"].as_array().expect("entries").iter().any(|e| {
                        e["target"] == json!(sid)
                            && e["action"] == "retention.delete"
                            && e["detail"].as_str().is_some_and(|d| d.starts_with("field=email"))
                    });
                    assert!(audited, "{sid} was swept without its audit entry");
                }
                other => panic!("{sid} is half-swept: {other:?} (fields, archived)"),
            }
        }
        assert_eq!(ok(rt, "audit", "verify", std::slice::from_ref(&system))["ok"], true);
        done
    };
    let mut fuel = 20_000u64;
    let mut traps = 0;
    loop {
        rt.set_fuel(fuel);
        let outcome = rt.invoke("retention", "sweep", &[system.clone(), options.clone()]);
        rt.set_fuel(u64::MAX);
        let done = swept(&rt);
        match outcome {
            Err(fichier_host::CallError::Trap(_)) => traps += 1,
            Ok(v) => {
                assert!(v.get("ok").is_some(), "{v}");
                assert_eq!(done, 4);
                break;
            }
            Err(e) => panic!("{e}"),
        }
        fuel = fuel * 5 / 4 + 1000;
    }
    assert!(traps > 10, "the sweep was stopped at many points ({traps})");
    // Nothing left to do.
    let again = ok(&rt, "retention", "sweep", &[system.clone(), options.clone()]);
    assert_eq!((again["changed"].as_u64(), again["entries"].as_array().map(Vec::len)), (Some(0), Some(0)));
}

#[test]
fn a_batched_sweep_page_commits_whole_or_not_at_all() {
    // As `fichier sweep` runs it: a page is one SQLite transaction. Stopped anywhere, the
    // page leaves nothing (records and audit as before); run to the end, all of it.
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, sids) = sweep_world(dir.path());
    let system = json!({"id": "cron", "role": "system"});
    let options = json!({"apply": true, "cursor": null, "limit": 1000, "repermission-days": 30});
    let emails = |rt: &fichier_host::Runtime| {
        sids.iter()
            .filter(|sid| {
                let c = ok(rt, "customers", "get", &[admin(), json!({"tag": "subject", "val": sid})]);
                c["fields"].as_array().is_some_and(|f| f.iter().any(|f| f["name"] == "email"))
            })
            .count()
    };
    // The sweep's own entries (reading the records to check them is audited too).
    let entries = |rt: &fichier_host::Runtime| {
        let log = ok(rt, "audit", "entries", &[system.clone(), json!(null), json!(1000)]);
        let all = log["entries"].as_array().expect("entries");
        all.iter().filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("retention."))).count()
    };
    let mut fuel = 20_000u64;
    let mut traps = 0;
    loop {
        let before = entries(&rt);
        rt.set_fuel(fuel);
        let outcome = rt.invoke_batched("retention", "sweep", &[system.clone(), options.clone()]);
        rt.set_fuel(u64::MAX);
        match outcome {
            Err(fichier_host::CallError::Trap(_)) => {
                traps += 1;
                assert_eq!(emails(&rt), 4, "fuel {fuel}: a stopped page changed no record");
                assert_eq!(entries(&rt), before, "fuel {fuel}: a stopped page left no audit entry");
            }
            Ok(v) => {
                assert!(v.get("ok").is_some(), "{v}");
                assert_eq!(emails(&rt), 0);
                break;
            }
            Err(e) => panic!("{e}"),
        }
        fuel = fuel * 5 / 4 + 1000;
    }
    assert!(traps > 10, "the page was stopped at many points ({traps})");
    assert_eq!(ok(&rt, "audit", "verify", &[system])["ok"], true);
}

/// A consistent copy of a store's data file (not its keys), as a backup would take it.
fn backup_data(db: &std::path::Path, to: &std::path::Path) {
    let conn = rusqlite::Connection::open(db).expect("open data file");
    conn.execute("VACUUM INTO ?1", [to.to_string_lossy()]).expect("vacuum into");
}

#[test]
fn an_erased_person_cannot_be_read_back_from_a_backup_taken_before() {
    // Issue 5, point 5: copy the data file before the erasure, erase, then put the copy
    // back beside the current keys: the erased person's fields do not open (and say why),
    // another person's still do. The old data key is gone from the keys file.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    let notice = declare(&rt);
    let field = |name: &str, value: &str| {
        json!({"name": name, "value": value, "category": null, "purposes": ["newsletter"], "basis": "consent",
               "source": null, "collected-at": null, "verified-at": null})
    };
    let person = |e: &str| json!({"tag": "email", "val": e});
    for (email, name) in [("anne@example.org", "Anne-Sophie"), ("bob@example.org", "Robert")] {
        ok(
            &rt,
            "customers",
            "create",
            &[admin(), person(email), json!([field("email", email), field("given-name", name)])],
        );
        ok(&rt, "consent", "record-decision", &[admin(), grant(email, &notice, None)]);
    }
    let anne = ok(&rt, "customers", "get", &[admin(), person("anne@example.org")])["subject"]
        .as_str()
        .expect("sid")
        .to_string();
    let keys = SqliteKv::open(&db).expect("open");
    let old_key = keys.get("keys", &format!("dek/{anne}")).expect("read").expect("anne's key").1;
    drop(keys);
    let backup = dir.path().join("backup.db");
    backup_data(&db, &backup);
    let raw = raw_bytes(&db);
    assert!(raw.windows(old_key.len()).any(|w| w == old_key.as_slice()), "the search sees the stored key");

    let report =
        ok(&rt, "rights", "erase", &[admin(), person("anne@example.org"), json!({"request": null, "claim": null})]);
    assert_eq!(report["deleted"].as_array().map(Vec::len), Some(2), "{report}");
    assert_eq!(report["consent-receipts"], 1);
    let again =
        ok(&rt, "rights", "erase", &[admin(), person("anne@example.org"), json!({"request": null, "claim": null})]);
    assert_eq!(again["already-erased"], report["erased-at"], "a second erasure says when the first was");
    assert_eq!(ok(&rt, "ledger", "verify", &[admin()])["ok"], true, "the consent chain still verifies");
    drop(rt);

    // The old key is nowhere in the keys file or its journal.
    let raw = raw_bytes(&db);
    assert!(!raw.windows(old_key.len()).any(|w| w == old_key.as_slice()), "the replaced data key lingers");

    // The backup restored beside today's keys.
    let restored = dir.path().join("restored.db");
    std::fs::copy(&backup, &restored).expect("restore data");
    let (_, keys_file) = fichier_host::kv::store_files(&db).remove(1);
    let (_, restored_keys) = fichier_host::kv::store_files(&restored).remove(1);
    std::fs::copy(&keys_file, &restored_keys).expect("current keys");
    let rt = sqlite_runtime(&restored, NOW, TEST_KEY);
    let e = err(&rt, "customers", "get", &[admin(), person("anne@example.org")]);
    assert_eq!((e["val"]["field"].as_str(), e["val"]["rule"].as_str()), (Some("subject"), Some("not-erased")), "{e}");
    let bob = ok(&rt, "customers", "get", &[admin(), person("bob@example.org")]);
    assert!(bob["fields"].to_string().contains("Robert"), "{bob}");
    // Her consent receipts in the backup do not open either: the head reads as erased.
    assert_eq!(ok(&rt, "consent", "history", &[admin(), person("anne@example.org")]), json!([]));
    assert_eq!(ok(&rt, "consent", "history", &[admin(), person("bob@example.org")]).as_array().map(Vec::len), Some(1));
}
