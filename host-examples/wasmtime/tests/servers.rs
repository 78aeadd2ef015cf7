//! fichier on a database server the shop already runs (PostgreSQL, MariaDB), started here:
//! the CLI end to end, and several `fichier serve` processes on one database driven at
//! once — receipts, customer creations, rectifications of one shared record, an import
//! and a sweep from other processes — with one of them killed (SIGKILL) during the load.
//! Every acknowledged write is found afterwards, the shared record lost no update, and
//! the ledger and the audit log verify.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use support::servers::{Engine, Server};

const NOW: &str = "2026-03-01T10:00:00Z";

fn fichier(dir: &Path, db: &str, args: &[&str]) -> Output {
    support::pinned(dir, NOW).args(["--db", db]).args(args).output().expect("run fichier")
}

fn ok_json(dir: &Path, db: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    support::success_json(args, &fichier(dir, db, &all))
}

/// The CLI on a server: the master key must come from outside; the consent flow, the
/// customer file and every verification work as on SQLite.
fn cli_on(engine: Engine) {
    let mut server = Server::start(engine);
    let db = server.database("");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();

    let no_key = support::pinned(d, NOW)
        .env_remove("FICHIER_MASTER_KEY")
        .args(["--db", &db, "purpose", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&no_key.stderr);
    assert_eq!(no_key.status.code(), Some(1), "{err}");
    assert!(err.contains("FICHIER_MASTER_KEY") && err.contains("--key-file"), "{err}");
    assert!(!d.join("fichier.db").exists(), "no SQLite file made instead");

    ok_json(d, &db, &["purpose", "add", "--id", "newsletter", "--kind", "marketing", "--title", "Lettre"]);
    ok_json(d, &db, &["purpose", "add", "--id", "orders", "--kind", "service", "--title", "Commandes"]);
    std::fs::write(d.join("notice.txt"), "Une lettre par mois.").unwrap();
    let notice = ok_json(d, &db, &["notice", "add", "--purpose", "newsletter", "--lang", "fr", "--file", "notice.txt"]);
    let reference = notice["reference"].as_str().unwrap();
    ok_json(
        d,
        &db,
        &[
            "consent",
            "grant",
            "--email",
            "a@example.org",
            "--purpose",
            "newsletter",
            "--notice",
            reference,
            "--channel",
            "web-form",
        ],
    );
    let status = ok_json(d, &db, &["consent", "status", "--email", "a@example.org"]);
    assert_eq!(status["purposes"][0]["state"], "given", "{status}");
    std::fs::write(d.join("c.csv"), "email,first_name,city\nb@example.org,Anne,Lyon\nc@example.org,Paul,Nice\n")
        .unwrap();
    let report = ok_json(d, &db, &["import", "c.csv", "--purpose", "orders"]);
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(ok_json(d, &db, &["ledger", "verify"])["ok"], true);
    assert_eq!(ok_json(d, &db, &["audit", "verify"])["ok"], true);
    let store = ok_json(d, &db, &["verify-store"]);
    assert_eq!(store["damaged"], json!([]), "{store}");
    assert_eq!(store["customers"], 2, "{store}");
    ok_json(d, &db, &["reindex"]);

    // A backup of a server's tables is the server's or `store copy`'s: said, not attempted.
    let out = fichier(d, &db, &["backup", "--out", "b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("store copy"), "{out:?}");
    // The password of a URL is never printed.
    let out = fichier(
        d,
        &format!("{}?timeout_ms=300", db.replace("127.0.0.1", "secretuser:hunter2@127.0.0.2")),
        &["purpose", "list"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    drop(server);
}

#[test]
fn the_cli_keeps_the_file_on_postgresql() {
    cli_on(Engine::Postgres);
}

#[test]
fn the_cli_keeps_the_file_on_mariadb() {
    cli_on(Engine::MariaDb);
}

/// `store copy` from SQLite to PostgreSQL and back: every key and value, the ledger,
/// the audit log and the sealed records verified on each target; the component answers
/// the same on each; a copy into a store that holds something is refused unless it is
/// resumed, and a resumed copy writes only what is missing.
#[test]
fn a_shop_moves_from_sqlite_to_postgresql_and_back() {
    let mut server = Server::start(Engine::Postgres);
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let shop = "shop.db";
    ok_json(d, shop, &["purpose", "add", "--id", "newsletter", "--kind", "marketing", "--title", "Lettre"]);
    ok_json(d, shop, &["purpose", "add", "--id", "orders", "--kind", "service", "--title", "Commandes"]);
    std::fs::write(d.join("notice.txt"), "Une lettre par mois.").unwrap();
    let notice =
        ok_json(d, shop, &["notice", "add", "--purpose", "newsletter", "--lang", "fr", "--file", "notice.txt"]);
    let reference = notice["reference"].as_str().unwrap().to_owned();
    for who in ["a@example.org", "b@example.org"] {
        ok_json(
            d,
            shop,
            &[
                "consent",
                "grant",
                "--email",
                who,
                "--purpose",
                "newsletter",
                "--notice",
                &reference,
                "--channel",
                "web-form",
            ],
        );
    }
    let mut csv = String::from("email,first_name,city\n");
    for i in 0..1200 {
        csv.push_str(&format!("client{i}@example.org,Jean,Lyon\n"));
    }
    std::fs::write(d.join("c.csv"), csv).unwrap();
    ok_json(d, shop, &["import", "c.csv", "--purpose", "orders"]);
    ok_json(d, shop, &["erase", "--email", "client7@example.org"]);
    let status = |db: &str| ok_json(d, db, &["consent", "status", "--email", "a@example.org"])["purposes"].clone();
    let before = status(shop);

    let pg = server.database("");
    let copy = |from: &str, to: &str, extra: &[&str]| {
        let mut args = vec!["store", "copy", "--from", from, "--to", to];
        args.extend_from_slice(extra);
        ok_json(d, "unused.db", &args)
    };
    let report = copy(shop, &pg, &[]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["compared"]["different"], 0, "{report}");
    assert_eq!(report["copied"][0]["label"], "keys", "the keys first");
    assert!(report["copied"][1]["keys"].as_u64().unwrap() > 1200, "{report}");
    assert_eq!(report["verify-store"]["damaged"], json!([]), "{report}");
    assert_eq!(status(&pg), before, "the component answers the same from PostgreSQL");
    assert!(!d.join("unused.db").exists(), "the global --db is not opened by a copy");

    // Into a store that holds something: refused, nothing written.
    let again = fichier(d, "unused.db", &["store", "copy", "--from", shop, "--to", &pg]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"), "{again:?}");

    // An interrupted copy (rows missing on the target, one stray), resumed: only the
    // difference moves, and the result verifies.
    server.sql_in(&pg, "DELETE FROM fichier_data WHERE k IN (SELECT k FROM fichier_data ORDER BY k DESC LIMIT 40)");
    let resumed = copy(shop, &pg, &["--resume"]);
    assert_eq!(resumed["ok"], true, "{resumed}");
    // The 40 rows, and the audit segment the first copy's verification appended to (the
    // target mirrors the source's snapshot again).
    assert_eq!(resumed["copied"][1]["written"], 41, "{resumed}");
    assert_eq!(resumed["copied"][0]["written"], 0, "{resumed}");

    // Back to SQLite, verified; the two SQLite stores answer alike.
    let report = copy(&pg, "back.db", &[]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(status("back.db"), before);
    let a = ok_json(d, shop, &["verify-store"]);
    let b = ok_json(d, "back.db", &["verify-store"]);
    assert_eq!((&a["customers"], &a["receipts"]), (&b["customers"], &b["receipts"]));
    // A wrong master key: the target does not verify, and the command says so.
    let wrong = support::pinned(d, NOW)
        .env("FICHIER_MASTER_KEY", "ff".repeat(32))
        .args(["--json", "store", "copy", "--from", shop, "--to", "wrong.db"])
        .output()
        .unwrap();
    assert_ne!(wrong.status.code(), Some(0), "{wrong:?}");

    // The master key rotated on PostgreSQL: the same answers under the new key, the old
    // one refused.
    let new = "5a".repeat(32);
    let with = |key: &str, args: &[&str]| {
        support::pinned(d, NOW)
            .env("FICHIER_MASTER_KEY", key)
            .args(["--json", "--db", &pg])
            .args(args)
            .output()
            .unwrap()
    };
    let rotated = support::pinned(d, NOW)
        .env("FICHIER_NEW_MASTER_KEY", &new)
        .args(["--json", "--db", &pg, "master-key", "rotate", "--drain-seconds", "0"])
        .output()
        .unwrap();
    let rotated = support::success_json(&["master-key", "rotate"], &rotated);
    assert!(rotated["rewrapped"].as_u64().unwrap() > 1200, "{rotated}");
    assert_eq!(rotated["rewrapped"], rotated["cleaned"], "{rotated}");
    let args = ["consent", "status", "--email", "a@example.org"];
    assert_eq!(support::success_json(&args, &with(&new, &args))["purposes"], before);
    let old = with(support::KEY, &args);
    assert_eq!(old.status.code(), Some(3), "the old key is refused: {old:?}");
    let store = support::success_json(&["verify-store"], &with(&new, &["verify-store"]));
    assert_eq!(store["damaged"], json!([]), "{store}");
}

fn get(addr: &str, path: &str, token: &str) -> Value {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    let body = all.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {all}"))
}

/// What the load's workers were told was done.
#[derive(Default)]
struct Acknowledged {
    receipts: Vec<String>,
    customers: Vec<String>,
    rectifications: Vec<String>,
    /// Requests that got no answer (sent to the killed process).
    unanswered: usize,
    /// Requests answered with a server error: a call whose transaction the database gave
    /// up (a deadlock between two processes' calls) fails whole, and says so.
    failed: usize,
}

fn shared_load(engine: Engine, processes: usize) {
    let mut server = Server::start(engine);
    let db = server.database("pool=4");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = ok_json(d, &db, &["api-key", "create", "--name", "load", "--key-role", "admin"]);
    let token = key[1].as_str().unwrap().to_owned();
    let servers: Vec<(Child, String)> = (0..processes).map(|_| support::serve(d, &db, NOW)).collect();
    let addrs: Vec<String> = servers.iter().map(|(_, a)| a.clone()).collect();
    let a0 = &addrs[0];
    let ok = |addr: &str, path: &str, body: Value| support::post_ok(addr, path, &token, &body);
    ok(a0, "/v1/purposes", json!({"id": "analytics", "kind": "cookie", "title": "Audience"}));
    ok(a0, "/v1/purposes", json!({"id": "orders", "kind": "service", "title": "Commandes"}));
    let notice = ok(a0, "/v1/notices", json!({"purposes": ["analytics"], "lang": "fr", "text": "Mesure d'audience."}));
    let notice = notice["reference"].as_str().unwrap().to_owned();
    let shared = json!({"tag": "email", "val": "shared@example.org"});
    ok(a0, "/v1/customers", json!({"subject": shared, "fields": [support::field("email", "shared@example.org")]}));

    // Other processes meanwhile: an import (its chunks in transactions) and a sweep.
    let mut csv = String::from("email,first_name,city\n");
    for i in 0..300 {
        csv.push_str(&format!("imported{i}@example.org,Jean,Lyon\n"));
    }
    std::fs::write(d.join("import.csv"), csv).unwrap();
    let import = support::pinned(d, NOW)
        .args(["--db", &db, "--json", "import", "import.csv", "--purpose", "orders", "--chunk-kib", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sweep = support::pinned(d, NOW).args(["--db", &db, "--json", "sweep"]).stdout(Stdio::piped()).spawn().unwrap();

    let acknowledged = Mutex::new(Acknowledged::default());
    let victim = Mutex::new(Some(servers.into_iter().map(|(c, _)| c).collect::<Vec<_>>()));
    let (workers, per) = (6, 24);
    std::thread::scope(|s| {
        for t in 0..workers {
            let (addrs, token, notice, acknowledged) = (&addrs, &token, &notice, &acknowledged);
            let shared = &shared;
            s.spawn(move || {
                for i in 0..per {
                    // Spread over every process; the killed one's requests fail (not acknowledged).
                    let addr = &addrs[(t + i) % addrs.len()];
                    let visitor = format!("v-{t}-{i}");
                    let receipt = json!({"subject": {"tag": "external", "val": visitor}, "purpose": "analytics",
                        "decision": "grant", "given-by": "subject", "channel": "cookie-banner", "notice": notice, "gpc": false});
                    match support::post(addr, "/v1/consent/receipts", token, &receipt.to_string()) {
                        Ok((200, _)) => acknowledged.lock().unwrap().receipts.push(visitor),
                        Ok((status, _)) if status >= 500 => acknowledged.lock().unwrap().failed += 1,
                        Ok((status, b)) => panic!("a receipt: {status} {b}"),
                        Err(_) => acknowledged.lock().unwrap().unanswered += 1,
                    }
                    let email = format!("c{t}x{i}@example.org");
                    let create = json!({"subject": {"tag": "email", "val": email}, "fields": [support::field("email", &email)]});
                    match support::post(addr, "/v1/customers", token, &create.to_string()) {
                        Ok((200, _)) => acknowledged.lock().unwrap().customers.push(email),
                        Ok((status, _)) if status >= 500 => acknowledged.lock().unwrap().failed += 1,
                        Ok((status, b)) => panic!("a customer: {status} {b}"),
                        Err(_) => acknowledged.lock().unwrap().unanswered += 1,
                    }
                    let city = format!("Ville-{}-{}", support::word(t as u64), support::word(i as u64)); // a commune is letters
                    let rectify = json!({"subject": shared, "set": [support::field("city", &city)], "remove": []});
                    match support::post(addr, "/v1/customers/rectify", token, &rectify.to_string()) {
                        Ok((200, _)) => acknowledged.lock().unwrap().rectifications.push(city),
                        Ok((status, _)) if status >= 500 => acknowledged.lock().unwrap().failed += 1,
                        Ok((status, b)) => panic!("a rectification under contention: {status} {b}"),
                        Err(_) => acknowledged.lock().unwrap().unanswered += 1,
                    }
                }
            });
        }
        // Under load (a third of the receipts acknowledged), the last process is killed (SIGKILL).
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while acknowledged.lock().unwrap().receipts.len() < workers * per / 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if processes > 1
            && let Some(children) = victim.lock().unwrap().as_mut()
        {
            let last = children.last_mut().unwrap();
            last.kill().unwrap();
            last.wait().unwrap();
        }
    });
    let import = import.wait_with_output().unwrap();
    assert!(import.status.success(), "import: {}", String::from_utf8_lossy(&import.stderr));
    let report: Value = serde_json::from_slice(&import.stdout).unwrap();
    assert_eq!(report["imported"], 300, "{report}");
    let sweep = sweep.wait_with_output().unwrap();
    assert!(sweep.status.success(), "sweep");

    let acknowledged = acknowledged.into_inner().unwrap();
    // The kill happened under load: requests were still being sent to the killed process.
    assert!(acknowledged.unanswered > 0 || processes == 1, "{engine:?}: the process was killed after the load");
    assert!(
        acknowledged.receipts.len() >= workers * per / 2,
        "most of the load went through: {}",
        acknowledged.receipts.len()
    );
    for visitor in &acknowledged.receipts {
        let h = ok(a0, "/v1/consent/history", json!({"subject": {"tag": "external", "val": visitor}}));
        assert_eq!(h.as_array().map(Vec::len), Some(1), "{engine:?}: the acknowledged receipt of {visitor}");
    }
    for email in &acknowledged.customers {
        let c = ok(a0, "/v1/customers/get", json!({"subject": {"tag": "email", "val": email}}));
        assert_eq!(c["fields"][0]["value"], json!(email), "{engine:?}");
    }
    // The shared record: every acknowledged rectification is in its history.
    let history = ok(a0, "/v1/customers/history", json!({"subject": shared}));
    let cities = support::field_values(&history, "city");
    let lost: Vec<&String> =
        acknowledged.rectifications.iter().filter(|c| !cities.contains(&c.to_uppercase())).collect();
    assert!(
        lost.is_empty(),
        "{engine:?}: {} of {} acknowledged rectifications lost: {lost:?}; history: {cities:?}",
        lost.len(),
        acknowledged.rectifications.len()
    );
    let ledger = get(a0, "/v1/ledger/verify", &token);
    assert_eq!(ledger["ok"], true, "{ledger}");
    assert!(ledger["receipts"].as_u64().unwrap() >= acknowledged.receipts.len() as u64, "{ledger}");
    let audit = get(a0, "/v1/audit/verify", &token);
    assert_eq!(audit["ok"], true, "{audit}");
    let store = ok_json(d, &db, &["verify-store"]);
    assert_eq!(store["damaged"], json!([]), "{store}");
    for mut child in victim.into_inner().unwrap().unwrap() {
        let _ = child.kill();
        let _ = child.wait();
    }
    server.kill();
}

#[test]
fn three_serve_processes_share_one_postgresql_and_a_kill_loses_nothing_acknowledged() {
    shared_load(Engine::Postgres, 3);
}

#[test]
fn two_serve_processes_share_one_mariadb_and_a_kill_loses_nothing_acknowledged() {
    shared_load(Engine::MariaDb, 2);
}
