//! The `fichier` binary as scripts and docs use it, on real files.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

mod support;

fn fichier(dir: &Path, args: &[&str]) -> Output {
    support::pinned(dir, "2026-03-01T10:00:00Z").args(args).output().expect("run fichier")
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    support::success_json(args, &fichier(dir, args))
}

/// `consent grant` of the newsletter for `email` in shop.db, with extra arguments.
fn grant(dir: &Path, email: &str, notice: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "--db",
        "shop.db",
        "--json",
        "consent",
        "grant",
        "--email",
        email,
        "--purpose",
        "newsletter",
        "--notice",
        notice,
    ];
    args.extend_from_slice(extra);
    ok_json(dir, &args)
}

fn setup(dir: &Path) -> String {
    std::fs::write(dir.join("notice.txt"), "Nous utilisons votre e-mail pour la lettre d'information.\n")
        .expect("write");
    ok_json(
        dir,
        &[
            "--db",
            "shop.db",
            "--json",
            "purpose",
            "add",
            "--id",
            "newsletter",
            "--kind",
            "marketing",
            "--title",
            "Lettre",
        ],
    );
    let out = fichier(
        dir,
        &["--db", "shop.db", "notice", "add", "--purpose", "newsletter", "--lang", "fr", "--file", "notice.txt"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_documented_invocations_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let notice = setup(d);
    assert_eq!(notice, "newsletter:fr:v1", "notice add prints the reference");
    for decision in ["grant", "refuse", "withdraw"] {
        let r = ok_json(
            d,
            &[
                "--db",
                "shop.db",
                "consent",
                decision,
                "--email",
                "a@example.org",
                "--purpose",
                "newsletter",
                "--notice",
                &notice,
                "--channel",
                "web-form",
                "--json",
            ],
        );
        assert_eq!(r["decision"], decision);
    }
    let status = ok_json(d, &["--db", "shop.db", "consent", "status", "--email", "a@example.org", "--json"]);
    assert_eq!(status["purposes"][0]["purpose"], "newsletter");
    assert_eq!(status["purposes"][0]["state"], "withdrawn");
    assert!(status["purposes"][0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(status["purposes"][0]["receipt"].is_string());
    let history = ok_json(d, &["--db", "shop.db", "consent", "history", "--email", "a@example.org", "--json"]);
    assert_eq!(history.as_array().map(Vec::len), Some(3));
    let verify = ok_json(d, &["--db", "shop.db", "ledger", "verify", "--json"]);
    assert_eq!(verify["ok"], true);
    let human = fichier(d, &["--db", "shop.db", "consent", "status", "--email", "a@example.org"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("withdrawn"));
    // The two files, next to --db.
    assert!(d.join("shop.db").exists() && d.join("shop.keys.db").exists());
    let help = fichier(d, &["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for word in ["consent", "notice", "ledger", "reindex", "FICHIER_MASTER_KEY"] {
        assert!(help.contains(word), "--help mentions {word}");
    }
}

#[test]
fn bad_input_exits_2_with_field_and_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let notice = setup(d);
    let out = fichier(
        d,
        &[
            "--db",
            "shop.db",
            "consent",
            "grant",
            "--email",
            "not-an-email",
            "--purpose",
            "newsletter",
            "--notice",
            &notice,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("input.subject.email") && err.contains("email-syntax"), "{err}");
    let out = fichier(
        d,
        &[
            "--db",
            "shop.db",
            "--json",
            "consent",
            "grant",
            "--email",
            "a@example.org",
            "--purpose",
            "nope",
            "--notice",
            &notice,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert_eq!(v["error"]["tag"], "not-found");
    assert_eq!(v["error"]["val"]["rule"], "declared-purpose");
}

#[test]
fn verify_exits_nonzero_naming_an_edited_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let notice = setup(d);
    for id in ["first", "second", "third"] {
        grant(d, "a@example.org", &notice, &["--receipt-id", id]);
    }
    let history = ok_json(d, &["--db", "shop.db", "consent", "history", "--email", "a@example.org", "--json"]);
    let key =
        format!("receipt/{}/{}", history[1]["subject"].as_str().expect("s"), history[1]["hash"].as_str().expect("h"));
    // Flip one base64 character of the sealed receipt (the entry's last field).
    let conn = rusqlite::Connection::open(d.join("shop.db")).expect("open");
    let mut value: Vec<u8> = conn.query_row("SELECT value FROM kv WHERE key = ?1", [&key], |r| r.get(0)).expect("row");
    // A letter or digit of the base64 text near its end (the sealed bytes are random, so
    // the character at a fixed place may be `+` or `/`).
    let pos = (0..=value.len() - 12).rev().find(|&i| value[i].is_ascii_alphanumeric()).expect("a letter");
    assert!(pos + 40 > value.len(), "a base64 character of the sealed receipt");
    value[pos] = if value[pos] == b'A' { b'B' } else { b'A' };
    conn.execute("UPDATE kv SET value = ?1 WHERE key = ?2", rusqlite::params![value, key]).expect("tamper");
    drop(conn);
    let out = fichier(d, &["--db", "shop.db", "ledger", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["ok"], false);
    assert_eq!(report["failure"]["receipt"], "second");
    let human = fichier(d, &["--db", "shop.db", "ledger", "verify"]);
    assert_eq!(human.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&human.stdout).contains("second"));
}

#[test]
fn reindex_rebuilds_a_lost_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let notice = setup(d);
    for i in 0..5 {
        grant(d, &format!("c{i}@example.org"), &notice, &[]);
    }
    let before = ok_json(d, &["--db", "shop.db", "--json", "subjects"]);
    assert_eq!(before[0].as_array().map(Vec::len), Some(5));
    let conn = rusqlite::Connection::open(d.join("shop.db")).expect("open");
    conn.execute("DELETE FROM kv WHERE key LIKE 'index/%'", []).expect("delete");
    conn.execute("INSERT INTO kv (key, value, version) VALUES ('index/subjects/zz', CAST('{\"kind\":\"subject-shard\",\"schema\":1,\"body\":{\"subjects\":[\"s-zzzzzzzzzzzzzzzzzzzzzzzzzz\"]}}' AS BLOB), 1)", [])
        .expect("stale entry");
    drop(conn);
    let stale = ok_json(d, &["--db", "shop.db", "--json", "subjects"]);
    assert_eq!(stale[0].as_array().map(Vec::len), Some(1));
    let report = ok_json(d, &["--db", "shop.db", "--json", "reindex"]);
    assert_eq!(
        (report["subjects"].as_u64(), report["added"].as_u64(), report["removed"].as_u64()),
        (Some(5), Some(5), Some(1))
    );
    assert_eq!(ok_json(d, &["--db", "shop.db", "--json", "subjects"]), before);
    let again = ok_json(d, &["--db", "shop.db", "--json", "reindex"]);
    assert_eq!((again["added"].as_u64(), again["removed"].as_u64()), (Some(0), Some(0)));
}

#[test]
fn a_key_file_is_created_owner_only_and_never_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = support::keyed(d)
        .env_remove("FICHIER_MASTER_KEY")
        .args(["purpose", "add", "--id", "newsletter", "--kind", "marketing", "--title", "Lettre"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key_file = d.join("fichier.db.master.key");
    let key = std::fs::read_to_string(&key_file).expect("key file");
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).expect("meta").permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(d.join("fichier.db")).expect("meta").permissions().mode() & 0o077, 0);
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = Command::new(env!("CARGO_BIN_EXE_fichier"))
            .current_dir(d)
            .env_remove("FICHIER_MASTER_KEY")
            .args(["purpose", "list"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "a key file readable by others is refused");
        assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    }
    for o in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(o).contains(key.trim()), "the key is never printed");
    }
}

#[test]
fn a_mistyped_command_leaves_no_file_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (args, code) in [
        (vec!["--db", "typo.db", "consent", "status"], 2),
        (vec!["--db", "typo.db", "consent", "status", "--email", "a@example.org", "--external", "x"], 2),
        (vec!["--db", "typo.db", "notice", "add", "--purpose", "p", "--lang", "fr", "--file", "missing.txt"], 1),
        (vec!["--db", "typo.db", "policy", "set", "--file", "missing.json"], 1),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_fichier"))
            .current_dir(d)
            .env_remove("FICHIER_MASTER_KEY")
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let left: Vec<_> = std::fs::read_dir(d).expect("dir").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
}

#[test]
fn the_registers_commands_work_on_a_real_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let db = ["--db", "shop.db"];
    let run = |args: &[&str]| fichier(dir, &[&db[..], args].concat());
    let json = |args: &[&str]| ok_json(dir, &[&db[..], &["--json"], args].concat());
    let created = json(&["registry", "init", "--shop"]);
    assert_eq!(created.as_array().map(Vec::len), Some(7));
    assert_eq!(json(&["registry", "init", "--shop"]), serde_json::json!([]));
    // The organisation is missing: a blocking gap, exit 1.
    let check = run(&["registry", "check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("organisation-set"));
    std::fs::write(
        dir.join("org.json"),
        r#"{"controller": {"name": "Boutique Exemple", "address": "1 rue de la Paix, Paris", "email": "contact@boutique.example", "phone": null},
            "representative": null, "dpo": {"name": "DPO", "address": null, "email": "dpo@boutique.example", "phone": null}}"#,
    )
    .expect("write");
    json(&["registry", "organisation", "--file", "org.json"]);
    assert_eq!(run(&["registry", "check"]).status.code(), Some(0));
    // Exports: CSV to standard output, HTML to a file, JSON.
    let csv = run(&["registry", "export", "--format", "csv", "--lang", "en"]);
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).expect("utf-8");
    assert!(csv.starts_with("Reference,Processing activity,Created,Last updated,Controller,"), "{csv}");
    assert_eq!(csv.matches("\r\n").count(), 8, "a header and one row per activity");
    assert!(run(&["registry", "export", "--format", "html", "--out", "registre.html"]).status.success());
    let html = std::fs::read_to_string(dir.join("registre.html")).expect("html");
    assert!(html.contains("Registre des activités de traitement") && html.matches("class=\"sheet\"").count() == 7);
    let exported: Value =
        serde_json::from_slice(&run(&["registry", "export", "--format", "json"]).stdout).expect("json");
    assert_eq!(exported["activities"].as_array().map(Vec::len), Some(7));
    // An activity from a file, its history, and a notice generated from the register.
    let mut act = json(&["registry", "show", "prospecting"])["definition"].clone();
    act["retention"][0]["months"] = serde_json::json!(24);
    std::fs::write(dir.join("act.json"), act.to_string()).expect("write");
    assert_eq!(json(&["registry", "put", "act.json"])["revision"], 2);
    let history = json(&["registry", "history", "--target", "prospecting"]);
    assert_eq!(history[1]["fields"], serde_json::json!(["retention"]));
    json(&["purpose", "add", "--id", "newsletter", "--kind", "marketing", "--title", "Lettre"]);
    let notice = json(&["notice", "generate", "--purpose", "newsletter", "--lang", "en"]);
    assert_eq!(notice["notice"]["reference"], "newsletter:en:v1");
    assert!(notice["text"].as_str().is_some_and(|t| t.contains("2 years") && t.contains("CNIL")));
    let advice = json(&["registry", "basis", "--electronic-marketing", "--lang", "en"]);
    assert_eq!(advice["basis"], "consent");
    // A bad activity file: exit 2 with the field and rule; a missing file: exit 1, nothing opened.
    std::fs::write(dir.join("bad.json"), act.to_string().replace("\"prospecting\"", "\"Bad Id\"")).expect("write");
    let bad = run(&["registry", "put", "bad.json"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("activity-id-syntax"));
    assert_eq!(run(&["registry", "put", "missing.json"]).status.code(), Some(1));

    // The breach register: discovered on 20 February, the clock says 1 March: overdue.
    std::fs::write(
        dir.join("breach.json"),
        r#"{"discovered-at": "2026-02-20T10:00:00Z", "occurred-at": null, "nature": ["confidentiality"],
            "description": "Ordinateur portable volé", "categories": ["contact"], "subjects-approx": 40,
            "records-approx": 40, "consequences": "Faible: disque chiffré", "measures": "Plainte, révocation des accès",
            "risk": "risk"}"#,
    )
    .expect("write");
    let b = json(&["breach", "record", "breach.json"]);
    assert_eq!(
        (b["id"].as_str(), b["deadline"].as_str(), b["overdue"].as_bool()),
        (Some("B-0001"), Some("2026-02-23T10:00:00.000Z"), Some(true))
    );
    let list = run(&["breach", "list", "--overdue"]);
    assert_eq!(list.status.code(), Some(1), "an overdue notification fails the listing");
    assert!(String::from_utf8_lossy(&list.stdout).contains("CNIL NOTIFICATION OVERDUE"));
    let late = run(&["breach", "notify", "B-0001", "--at", "2026-02-28T09:00:00Z"]);
    assert_eq!(late.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&late.stderr).contains("reason-for-delay"));
    json(&["breach", "notify", "B-0001", "--at", "2026-02-28T09:00:00Z", "--delay-reason", "vol constaté tard"]);
    assert_eq!(run(&["breach", "list", "--overdue"]).status.code(), Some(0));
}

/// The README's register commands, with its example files, on 29 November 2026.
#[test]
fn the_readme_register_session_works_with_the_example_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registry");
    let run = |args: &[&str]| {
        let out = support::pinned(tmp.path(), "2026-11-29T10:00:00Z").args(args).output().expect("run fichier");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let org = examples.join("organisation.json");
    let breach = examples.join("breach.json");
    for (args, code) in [
        (vec!["registry", "init", "--shop"], 0),
        (vec!["registry", "check"], 1),
        (vec!["registry", "organisation", "--file", org.to_str().expect("path")], 0),
        (vec!["registry", "check"], 0),
        (vec!["registry", "export", "--format", "html", "--lang", "fr", "--out", "registre.html"], 0),
        (vec!["registry", "history", "--target", "prospecting"], 0),
        (vec!["purpose", "add", "--id", "newsletter", "--kind", "marketing", "--title", "Lettre"], 0),
        (vec!["notice", "generate", "--purpose", "newsletter", "--lang", "fr"], 0),
        (vec!["registry", "basis", "--electronic-marketing", "--existing-customers-similar-products"], 0),
        (vec!["breach", "record", breach.to_str().expect("path")], 0),
        // Discovered on 28 November 09:30 Paris time: due on 1 December 08:30 UTC, not overdue yet.
        (vec!["breach", "list", "--overdue"], 0),
    ] {
        let (got, stdout, stderr) = run(&args);
        assert_eq!(got, Some(code), "{args:?}\n{stdout}\n{stderr}");
    }
    let (_, list, _) = run(&["breach", "list"]);
    assert!(list.contains("B-0001") && list.contains("deadline 2026-12-01T08:30:00.000Z"), "{list}");
    assert!(std::fs::read_to_string(tmp.path().join("registre.html")).expect("html").contains("Boutique Exemple SAS"));
}

/// `fichier sweep --dry-run` then `fichier sweep` on a real file, years apart.
#[test]
fn the_sweep_lists_then_applies_and_reruns_cleanly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |clock: &str, args: &[&str]| {
        let out = support::pinned(tmp.path(), clock).args(args).output().expect("run fichier");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        text
    };
    let json = |clock: &str, args: &[&str]| -> Value {
        let text = run(clock, &[&["--json"], args].concat());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    };
    let t0 = "2020-01-15T10:00:00Z";
    run(t0, &["registry", "init", "--shop"]);
    for (id, kind) in [("orders", "service"), ("accounting", "service")] {
        run(t0, &["purpose", "add", "--id", id, "--kind", kind, "--title", id]);
    }
    let c = json(
        t0,
        &[
            "customers",
            "create",
            "--email",
            "anne@example.org",
            "--field",
            "email=anne@example.org",
            "--field",
            "given-name=Anne",
            "--purpose",
            "orders",
            "--purpose",
            "accounting",
        ],
    );
    let sid = c["subject"].as_str().expect("subject").to_string();
    run(
        "2021-07-01T00:00:00Z",
        &["customers", "event", "--subject", &sid, "--kind", "relationship-ended", "--at", "2021-06-30T12:00:00Z"],
    );

    // 3 years after the end of the relationship: the e-mail goes, the name stays for the
    // accounting hold, in the archive.
    let later = "2024-07-01T00:00:00Z";
    let dry = json(later, &["sweep", "--dry-run"]);
    let actions: Vec<(String, String)> = dry["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["field"].as_str().unwrap_or("*").to_string(), e["action"].as_str().unwrap_or("").to_string()))
        .collect();
    let pair = |f: &str, a: &str| (f.to_string(), a.to_string());
    assert_eq!(actions, [pair("email", "delete"), pair("given-name", "archive")]);
    assert_eq!((dry["applied"].as_bool(), dry["changed"].as_u64()), (Some(false), Some(0)));
    let human = run(later, &["sweep", "--dry-run"]);
    assert!(
        human.contains("customer-management: contact data kept 36 months from end-of-contract, then delete"),
        "{human}"
    );
    assert!(human.contains("legal hold: Code de commerce"), "{human}");
    // The dry run changed nothing.
    let still = json(later, &["customers", "get", "--subject", &sid]);
    assert_eq!(still["fields"].as_array().map(Vec::len), Some(2));

    let done = json(later, &["sweep"]);
    assert_eq!((done["applied"].as_bool(), done["changed"].as_u64()), (Some(true), Some(1)));
    let again = json(later, &["sweep"]);
    assert_eq!((again["changed"].as_u64(), again["entries"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let c = json(later, &["customers", "get", "--subject", &sid]);
    assert_eq!(c["fields"], serde_json::json!([]));
    let archived = json(later, &["--role", "dpo", "customers", "archived", "--subject", &sid]);
    assert_eq!(archived[0]["field"]["name"], "given-name");
    // The archive's end is the end of its last day, Paris time (Reg. 1182/71 art. 3).
    assert_eq!(archived[0]["until"], "2030-01-15T22:59:59.999Z");
    let refused = support::keyed(tmp.path())
        .args(["--role", "support", "customers", "archived", "--subject", &sid])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));

    // The sweep's actions are in the audit log, which verifies, exports and shows an edit.
    let report = json(later, &["audit", "verify"]);
    assert_eq!(report["ok"], true, "{report}");
    let csv = run(later, &["audit", "export", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("seq,at,actor,role,action,target,detail,hash"));
    assert!(csv.contains(&format!("retention.delete,{sid},field=email activity=customer-management")), "{csv}");
    assert!(!csv.contains("anne@example.org") && !csv.contains("Anne"), "no value in the log: {csv}");
    let conn = rusqlite::Connection::open(tmp.path().join("fichier.db")).expect("open");
    let (key, mut blob): (String, Vec<u8>) = conn
        .query_row("SELECT key, value FROM kv WHERE key LIKE 'audit/segment/%' ORDER BY key LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("a segment");
    let at = blob.windows(11).position(|w| w == b"field=email").expect("the entry");
    blob[at + 10] = b'L';
    conn.execute("UPDATE kv SET value = ?1 WHERE key = ?2", rusqlite::params![blob, key]).expect("edit");
    let out = support::keyed(tmp.path()).args(["audit", "verify"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAILS VERIFICATION") && text.contains("[entry-hash]"), "{text}");
}

/// A rights request on a real file: the token travels through the outbox, as a shop's
/// backend would send it, and the person types it.
#[test]
fn a_rights_request_goes_through_token_outbox_and_answer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let json = |args: &[&str]| ok_json(dir, &[&["--json"], args].concat());
    let r = json(&["request", "new", "--email", "anne@example.org", "--kind", "access", "--details", "Mes données"]);
    assert_eq!((r["id"].as_str(), r["state"].as_str()), (Some("R-000001"), Some("awaiting-identity")));
    let pending = json(&["--role", "system", "outbox", "list"]);
    let body = pending["messages"][0]["body"].as_str().expect("body");
    let token = body
        .split_whitespace()
        .find(|w| w.len() == 24 && w.chars().all(|c| c.is_ascii_alphanumeric()))
        .expect("a token in the message")
        .to_string();
    // The person types it (lower case works too); the clock runs again.
    let r = json(&["--role", "public", "request", "verify", "R-000001", &token.to_lowercase()]);
    assert_eq!(r["state"], "in-progress");
    let again = fichier(dir, &["--role", "public", "request", "verify", "R-000001", &token]);
    assert_eq!(again.status.code(), Some(2), "a used token is refused");
    let shown = json(&["request", "show", "R-000001"]);
    assert_eq!((shown["email"].as_str(), shown["details"].as_str()), (Some("anne@example.org"), Some("Mes données")));
    let listed = json(&["request", "list", "--open"]);
    assert!(listed[0]["email"].is_null(), "lists carry no address");
    let done = json(&["--role", "dpo", "request", "complete", "R-000001", "--note", "Copie envoyée par e-mail."]);
    assert_eq!(done["state"], "done");
    let pending = json(&["--role", "system", "outbox", "list"]);
    let ids: Vec<&str> =
        pending["messages"].as_array().expect("list").iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["M-000001", "M-000002"]);
    for id in ids {
        assert_eq!(json(&["--role", "system", "outbox", "ack", id])["acknowledged"], true);
    }
    assert_eq!(json(&["--role", "system", "outbox", "list"]), serde_json::json!({"messages": [], "next": null}));
    // Nothing of the token or the address is left in clear in the file.
    let mut bytes = Vec::new();
    for name in ["fichier.db", "fichier.db-wal", "fichier.keys.db", "fichier.keys.db-wal"] {
        bytes.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token is stored only hashed");
    assert!(!bytes.windows(16).any(|w| w == b"anne@example.org"), "the address is sealed");
    assert_eq!(fichier(dir, &["request", "list", "--overdue"]).status.code(), Some(0));
}

/// An erasure request answered from the command line: the report, the answer in the
/// outbox, and a second erasure that says it was done.
#[test]
fn an_erasure_request_is_answered_with_its_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let json = |args: &[&str]| ok_json(dir, &[&["--db", "shop.db", "--json"], args].concat());
    let run = |args: &[&str]| fichier(dir, &[&["--db", "shop.db"], args].concat());
    setup(dir);
    let fields = ["--field", "email=anne@example.org", "--field", "given-name=Anne", "--purpose", "newsletter"];
    json(&[&["customers", "create", "--email", "anne@example.org", "--basis", "consent"], &fields[..]].concat());
    let r = json(&["request", "new", "--email", "anne@example.org", "--kind", "erasure", "--identity-verified"]);
    let id = r["id"].as_str().expect("id").to_string();
    let refused = run(&["--role", "support", "erase", "--email", "anne@example.org", "--request", &id]);
    assert_eq!(refused.status.code(), Some(2), "support may not erase");
    let out = run(&["--role", "dpo", "erase", "--email", "anne@example.org", "--request", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("deleted given-name (identity)") && text.contains("copies from before"), "{text}");
    assert_eq!(json(&["request", "show", &id])["state"], "done");
    let pending = json(&["--role", "system", "outbox", "list"]);
    let answer = pending["messages"].as_array().expect("list").iter().find(|m| m["kind"] == "answer").expect("answer");
    assert!(answer["body"].as_str().is_some_and(|b| b.contains("given-name (identity)")), "{answer}");
    let again = run(&["erase", "--email", "anne@example.org"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("was already erased on 2026-03-01"), "{again:?}");
    let bad = run(&["erase", "--email", "anne@example.org", "--claim-reason", "litige"]);
    assert_eq!(bad.status.code(), Some(1), "a claim needs its three options");
}

/// `fichier export`: the access export written to a file, the HTML on standard output,
/// portability refused in HTML, and support refused.
#[test]
fn an_access_export_is_written_as_json_csv_or_html() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let run = |args: &[&str]| fichier(dir, &[&["--db", "shop.db"], args].concat());
    setup(dir);
    let fields = ["--field", "email=nina@example.org", "--field", "given-name=Nina", "--purpose", "newsletter"];
    ok_json(
        dir,
        &[
            &["--db", "shop.db", "--json", "customers", "create", "--email", "nina@example.org", "--basis", "consent"],
            &fields[..],
        ]
        .concat(),
    );
    let out =
        run(&["--role", "dpo", "export", "--email", "nina@example.org", "--format", "json", "--out", "nina.json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&std::fs::read(dir.join("nina.json")).expect("file")).expect("json");
    assert_eq!(json["format"], "fichier-access/1");
    // The identifiers the data is linked to come first (Art. 15(1)), then the fields.
    assert_eq!(json["sections"][0]["section"], "identifiers");
    assert_eq!(json["sections"][0]["rows"][0]["value"], "nina@example.org");
    assert_eq!(json["sections"][1]["section"], "fields");
    assert_eq!(json["sections"][1]["rows"][1]["value"], "Nina");
    let html = run(&["export", "--email", "nina@example.org", "--format", "html", "--lang", "en"]);
    let text = String::from_utf8_lossy(&html.stdout);
    assert!(
        text.starts_with("<!DOCTYPE html>") && text.contains("Your personal data") && text.contains("Nina"),
        "{text}"
    );
    let csv = run(&["export", "--email", "nina@example.org", "--format", "csv", "--portability"]);
    assert!(String::from_utf8_lossy(&csv.stdout).contains("fields,given-name,Nina"), "{csv:?}");
    assert_eq!(
        run(&["export", "--email", "nina@example.org", "--format", "html", "--portability"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["--role", "support", "export", "--email", "nina@example.org"]).status.code(), Some(2));
}

/// `api-key create` names the key's role `--key-role`, apart from the acting role
/// (`--role`, global): a key of every role is made either way; the old spelling (`--role`
/// once, after `create`) still works; where the two cannot be told apart the command is
/// refused before anything is written, naming `--key-role`.
#[test]
fn api_keys_are_made_for_every_role_with_their_own_flag() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let roles = ["admin", "dpo", "support", "system"];
    for role in roles {
        let name = format!("new-{role}");
        let args = ["--db", "shop.db", "--json", "api-key", "create", "--name", &name, "--key-role", role];
        assert_eq!(ok_json(dir, &args)[0]["role"], role, "{args:?}");
        // The old spelling, `--role` after the command and nothing else: the key's role.
        let name = format!("old-{role}");
        let args = ["--db", "shop.db", "--json", "api-key", "create", "--name", &name, "--role", role];
        // (Made at all: the acting role stayed the default, admin, the one role that may.)
        assert_eq!(ok_json(dir, &args)[0]["role"], role, "{args:?}");
    }
    // The public needs no key: the component says so, whichever spelling reached it.
    for flag in ["--key-role", "--role"] {
        let out = fichier(dir, &["--db", "shop.db", "--json", "api-key", "create", "--name", "p", flag, "public"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            (&err["error"]["val"]["field"], &err["error"]["val"]["rule"]),
            (&json!("role"), &json!("not-public"))
        );
    }
    // The acting role is the acting role: a support operator may not make keys.
    let out = fichier(
        dir,
        &["--db", "shop.db", "--role", "support", "api-key", "create", "--name", "x", "--key-role", "admin"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("role-permitted"), "{out:?}");
    let before = ok_json(dir, &["--db", "shop.db", "--json", "api-key", "list"]);
    assert_eq!(before.as_array().map(Vec::len), Some(2 * roles.len()));
    for args in [
        // Two --role: which is the key's is a guess.
        &["--db", "shop.db", "--role", "support", "api-key", "create", "--name", "x", "--role", "admin"][..],
        &["--db", "shop.db", "api-key", "--role", "dpo", "create", "--name", "x", "--role=admin", "--key-role", "dpo"],
        // --role before the command acts; the key has no role.
        &["--db", "shop.db", "--role", "admin", "api-key", "create", "--name", "x"],
        &["--db", "shop.db", "api-key", "create", "--name", "x"],
    ] {
        let out = fichier(dir, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--key-role"), "{args:?}: {err}");
    }
    assert_eq!(ok_json(dir, &["--db", "shop.db", "--json", "api-key", "list"]), before);
    let listed = String::from_utf8_lossy(&fichier(dir, &["--db", "shop.db", "api-key", "list"]).stdout).into_owned();
    for role in roles {
        assert!(listed.contains(&format!("new-{role}")) && listed.contains(&format!("old-{role}")), "{listed}");
    }
}

/// `fichier serve`: an API key made with `fichier api-key create` works over HTTP, and
/// SIGTERM stops the server only after the request in flight is answered; new
/// connections are refused meanwhile.
#[test]
fn serve_answers_with_keys_and_finishes_requests_in_flight_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let key = ok_json(dir, &["--db", "shop.db", "--json", "api-key", "create", "--name", "ops", "--key-role", "admin"]);
    let token = key[1].as_str().expect("token").to_owned();
    let listed = fichier(dir, &["--db", "shop.db", "api-key", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("admin") && listed.contains("ops") && !listed.contains(&token[12..]), "{listed}");

    let mut child = support::keyed(dir)
        .env("FICHIER_PINNED_CLOCK", "2026-03-01T10:00:00Z")
        .args(["--db", "shop.db", "serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn fichier serve");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();

    // A request whose body is still on its way when SIGTERM arrives.
    let body = br#"{"id":"newsletter","kind":"marketing","title":"Lettre"}"#;
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "POST /v1/purposes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("write");
    s.write_all(&body[..10]).expect("write");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(term.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(std::net::TcpStream::connect(&addr).is_err(), "the listener closes at once");
    s.write_all(&body[10..]).expect("finish the body");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"id\":\"newsletter\"") && resp.contains("\"role\":\"admin\""), "{resp}");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("stdout");
    assert!(rest.contains("fichier stopped"), "{rest}");

    // The purpose was committed.
    let purposes = ok_json(dir, &["--db", "shop.db", "--json", "purpose", "list"]);
    assert_eq!(purposes[0]["id"], "newsletter");
}

/// One damaged customer record does not hide the others: `customers list` names it and
/// lists the rest; `verify-store` names it and exits 1.
#[test]
fn a_damaged_record_is_named_and_the_others_still_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok_json(
        d,
        &["--db", "shop.db", "--json", "purpose", "add", "--id", "orders", "--kind", "service", "--title", "Commandes"],
    );
    let mut sids = Vec::new();
    for who in ["anne@example.org", "bruno@example.org", "carla@example.org"] {
        let c = ok_json(
            d,
            &[
                "--db",
                "shop.db",
                "--json",
                "customers",
                "create",
                "--email",
                who,
                "--field",
                &format!("email={who}"),
                "--field",
                "phone=06 12 34 56 78",
                "--purpose",
                "orders",
            ],
        );
        sids.push(c["subject"].as_str().expect("subject").to_owned());
    }
    let ok = fichier(d, &["--db", "shop.db", "verify-store"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains("3 customer records"),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    // Bruno's sealed body loses its last byte's integrity.
    let key = format!("customer/{}", sids[1]);
    let conn = rusqlite::Connection::open(d.join("shop.db")).expect("open");
    let mut value: Vec<u8> = conn.query_row("SELECT value FROM kv WHERE key = ?1", [&key], |r| r.get(0)).expect("row");
    let last = value.len() - 1;
    value[last] ^= 1;
    conn.execute("UPDATE kv SET value = ?1 WHERE key = ?2", rusqlite::params![value, key]).expect("tamper");
    drop(conn);

    let list = ok_json(d, &["--db", "shop.db", "--json", "customers", "list"]);
    let listed: Vec<&Value> = list["customers"].as_array().into_iter().flatten().map(|c| &c["subject"]).collect();
    assert_eq!(listed.len(), 2, "{list}");
    assert!(listed.contains(&&json!(sids[0])) && listed.contains(&&json!(sids[2])), "{list}");
    assert_eq!(list["damaged"][0]["subject"], sids[1]);
    assert_eq!(list["damaged"][0]["rule"], "aead-authentic");
    let human = fichier(d, &["--db", "shop.db", "customers", "list"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains(&format!("damaged: {}", sids[1])));

    // The whole file by pages of one record, a line each as its page arrives: each record
    // once, the damaged one named.
    let all = fichier(d, &["--db", "shop.db", "--json", "customers", "list", "--all", "--limit", "1"]);
    assert!(all.status.success(), "{}", String::from_utf8_lossy(&all.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&all.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    let mut walked: Vec<&str> = lines.iter().filter_map(|l| l["subject"].as_str()).collect();
    walked.sort_unstable();
    let mut expected = vec![sids[0].as_str(), sids[2].as_str()];
    expected.sort_unstable();
    assert_eq!(walked, expected, "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l["damaged"]["subject"] == json!(sids[1])).count(), 1, "{lines:?}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    let human = fichier(d, &["--db", "shop.db", "customers", "list", "--all", "--limit", "1"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(&format!("customer {} ", sids[2])) && text.contains(&format!("damaged: {}", sids[1])),
        "{text}"
    );

    let out = fichier(d, &["--db", "shop.db", "verify-store"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("damaged: {} at store:default/{key} (aead-authentic)", sids[1])), "{text}");
    assert!(!text.contains("bruno") && !text.contains("06 12"), "no value printed: {text}");
}

/// `fichier consent unsubscribe-link`: the one-click link of a mail (RFC 8058) and its two
/// headers; following it withdraws in one step, through the e-mail link channel.
#[test]
fn an_unsubscribe_link_is_minted_for_a_mail_and_followed_in_one_step() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    setup(dir);
    let json = |args: &[&str]| ok_json(dir, &[&["--db", "shop.db", "--json"], args].concat());
    let mint = ["consent", "unsubscribe-link", "--email", "anne@example.org", "--purpose", "newsletter"];
    let link = json(&[&["--role", "system"], &mint[..], &["--base-url", "https://shop.example/"]].concat());
    let token = link["token"].as_str().expect("token").to_string();
    assert_eq!(link["url"], format!("https://shop.example/v1/unsubscribe/{token}"));
    let human = fichier(dir, &[&["--db", "shop.db", "--role", "system"], &mint[..]].concat());
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{text}");
    assert!(text.contains(&format!("/v1/unsubscribe/{token}>")), "{text}");
    let refused = fichier(dir, &[&["--db", "shop.db", "--role", "support"], &mint[..]].concat());
    assert_eq!(refused.status.code(), Some(2), "support does not mint links");
    assert_eq!(json(&["--role", "public", "consent", "unsubscribe", &token])["outcome"], "withdrawn");
    let history = json(&["consent", "history", "--email", "anne@example.org"]);
    assert_eq!(
        (history[0]["decision"].as_str(), history[0]["channel"].as_str()),
        (Some("withdraw"), Some("email-link"))
    );
}

/// `fichier backup` / `restore` (Art. 32(1)(c): restore in a timely manner): a copy of both
/// stores with a manifest (sizes, SHA-256, the key check's hash, never the master key);
/// what was written after the backup is not in the restored store; a file altered since,
/// a manifest that cannot be checked, a master key that does not open the keys, or a
/// target that exists are refused, and a refused restore leaves no store behind.
#[test]
fn a_backup_restores_into_a_new_store_and_a_damaged_one_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let notice = setup(d);
    grant(d, "anne@example.org", &notice, &[]);
    let manifest = ok_json(d, &["--db", "shop.db", "--json", "backup", "--out", "b1"]);
    assert_eq!(manifest["format"], "fichier-backup/1");
    let text = std::fs::read_to_string(d.join("b1/manifest.json")).expect("manifest");
    assert!(!text.contains(support::KEY), "the master key is never in a backup");
    assert_eq!(manifest["key-check-sha256"].as_str().map(str::len), Some(64));
    // Written after the backup: not in what it restores.
    grant(d, "bruno@example.org", &notice, &[]);
    let out = fichier(d, &["--db", "shop.db", "backup", "--out", "b1"]);
    assert!(!out.status.success(), "a backup never writes into a directory that holds one");

    let report = ok_json(d, &["--db", "r/shop.db", "--json", "restore", "--from", "b1"]);
    assert_eq!((report["ok"].as_bool(), report["ledger"]["receipts"].as_u64()), (Some(true), Some(1)));
    let history = |who: &str| ok_json(d, &["--db", "r/shop.db", "--json", "consent", "history", "--email", who]);
    assert_eq!(history("anne@example.org").as_array().map(Vec::len), Some(1));
    assert_eq!(history("bruno@example.org").as_array().map(Vec::len), Some(0));
    let again = fichier(d, &["--db", "r/shop.db", "restore", "--from", "b1"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"), "never over a store");

    let refused = |dir: &str, db: &str, why: &str, cmd: &mut Command| {
        let out = cmd.args(["--db", db, "restore", "--from", dir]).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(why), "{dir}: {err}");
        assert!(!d.join(db).exists(), "{dir}: nothing restored");
    };
    let copy = |to: &str| {
        std::fs::create_dir(d.join(to)).expect("dir");
        for f in ["data.db", "keys.db", "manifest.json"] {
            std::fs::copy(d.join("b1").join(f), d.join(to).join(f)).expect("copy");
        }
    };
    copy("altered");
    let mut bytes = std::fs::read(d.join("altered/keys.db")).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(d.join("altered/keys.db"), bytes).expect("write");
    refused("altered", "r2/shop.db", "keys.db does not match the manifest", &mut support::keyed(d));
    copy("unknown");
    std::fs::write(d.join("unknown/manifest.json"), r#"{"format": "other/9"}"#).expect("write");
    refused("unknown", "r3/shop.db", "refused", &mut support::keyed(d));
    let mut other_key = support::keyed(d);
    other_key.env("FICHIER_MASTER_KEY", "cd".repeat(32));
    refused("b1", "r4/shop.db", "master key", &mut other_key);
}

/// Erasure survives a restore (Art. 17; issue 27): an erasure is journaled beside the
/// store, outside what a backup copies (a subject id and a time, nothing personal); the
/// restore of a backup taken before it erases the person again before anyone uses the
/// store, and says so; a backup taken after it replays nothing.
#[test]
fn a_person_erased_after_a_backup_is_erased_again_by_its_restore() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let notice = setup(d);
    grant(d, "anne@example.org", &notice, &[]);
    grant(d, "bruno@example.org", &notice, &[]);
    let before = ok_json(d, &["--db", "shop.db", "--json", "backup", "--out", "before"]);
    assert!(before["erasure-journal"].as_str().is_some_and(|p| p.ends_with("shop.db.erasures.jsonl")), "{before}");
    let later = |args: &[&str]| {
        support::success_json(args, &support::pinned(d, "2026-03-02T10:00:00Z").args(args).output().expect("run"))
    };
    let erased = later(&["--db", "shop.db", "--json", "erase", "--email", "anne@example.org"]);
    let anne = erased["subject"].as_str().expect("subject").to_owned();
    let journal = std::fs::read_to_string(d.join("shop.db.erasures.jsonl")).expect("journal");
    assert_eq!(journal, format!("{{\"subject\":\"{anne}\",\"at\":\"2026-03-02T10:00:00.000Z\"}}\n"));
    later(&["--db", "shop.db", "--json", "backup", "--out", "after"]);

    // Restored from before the erasure: Anne's old key came back, and is replaced again.
    let report = later(&["--db", "r/shop.db", "--json", "restore", "--from", "before"]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        (&report["erasures"]["after-backup"], &report["erasures"]["erased-again"]),
        (&json!(1), &json!(1)),
        "{report}"
    );
    let again = later(&["--db", "r/shop.db", "--json", "erase", "--email", "anne@example.org"]);
    assert!(again["already-erased"].is_string(), "the restored store knows she was erased: {again}");
    assert!(again["deleted"].as_array().is_some_and(Vec::is_empty), "{again}");
    let status = |who: &str| later(&["--db", "r/shop.db", "--json", "consent", "status", "--email", who]);
    assert_eq!(status("bruno@example.org")["purposes"][0]["state"], "given", "Bruno is untouched");
    assert_ne!(status("anne@example.org")["purposes"][0]["state"], "given", "Anne's consent no longer opens");
    // The restored store carries the journal on (a later restore of an older backup).
    let carried = std::fs::read_to_string(d.join("r/shop.db.erasures.jsonl")).expect("journal");
    assert!(carried.starts_with(&journal), "{carried}");

    // Restored from after the erasure: nothing to replay.
    let report = later(&["--db", "r2/shop.db", "--json", "restore", "--from", "after"]);
    assert_eq!(report["erasures"]["after-backup"], 0, "{report}");
    // A journal that does not read: the restore is refused, nothing restored.
    std::fs::write(d.join("broken.jsonl"), "not a journal\n").expect("write");
    let out = fichier(d, &["--db", "r3/shop.db", "restore", "--from", "before", "--journal", "broken.jsonl"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("erasure journal"), "{out:?}");
    assert!(!d.join("r3/shop.db").exists());
}
