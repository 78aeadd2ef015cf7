//! The `fichier` binary as scripts and docs use it, on real files.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn fichier(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fichier"))
        .current_dir(dir)
        .env("FICHIER_MASTER_KEY", KEY)
        .env("FICHIER_PINNED_CLOCK", "2026-03-01T10:00:00Z")
        .env("FICHIER_CACHE_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm"))
        .env_remove("FICHIER_DB")
        .args(args)
        .output()
        .expect("run fichier")
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let out = fichier(dir, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
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
    let conn = rusqlite::Connection::open(d.join("shop.db")).expect("open");
    conn.execute("UPDATE kv SET value = CAST(replace(CAST(value AS TEXT), '\"sealed\":\"', '\"sealed\":\"AA') AS BLOB) WHERE key = ?1", [&key])
        .expect("tamper");
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
    let out = Command::new(env!("CARGO_BIN_EXE_fichier"))
        .current_dir(d)
        .env_remove("FICHIER_MASTER_KEY")
        .env("FICHIER_CACHE_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fichier-cwasm"))
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
