//! `fichier import` end to end: real CSV files, real SQLite files, the real component.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

mod support;

const DB: &str = "shop.db";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import")
}

fn sample_csv() -> PathBuf {
    examples().join("woocommerce-customers.csv")
}

fn sample_mapping() -> PathBuf {
    examples().join("mapping.toml")
}

/// The binary, run in `dir` with a pinned clock and the master key in the environment.
fn cmd(dir: &Path) -> Command {
    support::pinned(dir, "2026-11-29T10:00:00Z")
}

/// `fichier --db shop.db ARGS` in `dir`.
fn fichier(dir: &Path, args: &[&str]) -> Output {
    cmd(dir).args(["--db", DB]).args(args).output().expect("run fichier")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    support::success_json(args, &fichier(dir, args))
}

/// A shop with the purpose `orders` declared.
fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = ok_json(
        dir.path(),
        &["--json", "purpose", "add", "--id", "orders", "--kind", "service", "--title", "Commandes"],
    );
    assert_eq!(p["id"], "orders");
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `SELECT key, value FROM kv WHERE key LIKE 'PREFIX%'` on the data file, read-only
/// (nothing when the file does not exist).
fn rows(dir: &Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let db = dir.join(DB);
    if !db.exists() {
        return Vec::new();
    }
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open read-only");
    conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    let mut st = conn.prepare("SELECT key, value FROM kv WHERE key LIKE ?1 || '%' ORDER BY key").expect("prepare");
    st.query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").map(|r| r.expect("row")).collect()
}

fn customer_count(dir: &Path) -> usize {
    rows(dir, "customer/").len()
}

/// The import session documents (`import/…`), decoded.
fn sessions(dir: &Path) -> Vec<Value> {
    rows(dir, "import/").into_iter().map(|(_, v)| serde_json::from_slice(&v).expect("session json")).collect()
}

fn field<'a>(customer: &'a Value, name: &str) -> Option<&'a str> {
    customer["fields"].as_array()?.iter().find(|f| f["name"] == name)?["value"].as_str()
}

fn field_names(customer: &Value) -> Vec<String> {
    customer["fields"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str().map(String::from)).collect()
}

fn get(dir: &Path, email: &str) -> Value {
    ok_json(dir, &["customers", "get", "--email", email, "--json"])
}

/// Whether the issue list holds `rule` at `line` (and `column`, when given).
fn has_issue(list: &Value, line: u64, column: Option<&str>, rule: &str) -> bool {
    list.as_array()
        .into_iter()
        .flatten()
        .any(|i| i["line"].as_u64() == Some(line) && i["rule"] == rule && column.is_none_or(|c| i["column"] == c))
}

fn dropped_rule(report: &Value, column: &str) -> Option<String> {
    report["dropped"].as_array()?.iter().find(|d| d["column"] == column)?["rule"].as_str().map(String::from)
}

/// Import the sample with its mapping; returns the output.
fn import_sample(dir: &Path, file: &Path, extra: &[&str]) -> Output {
    let mapping = sample_mapping();
    let mut args = vec!["import", path_str(file), "--mapping", path_str(&mapping)];
    args.extend_from_slice(extra);
    fichier(dir, &args)
}

#[test]
fn the_sample_export_is_imported_normalised_and_minimised() {
    let dir = shop();
    let d = dir.path();
    let report_path = d.join("report.json");
    let out = import_sample(d, &sample_csv(), &["--report", path_str(&report_path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).expect("report written")).expect("json");
    assert_eq!(report["name"], "woocommerce-customers.csv");
    assert_eq!(report["done"], true);
    assert_eq!(
        (report["rows"].as_u64(), report["imported"].as_u64(), report["updated"].as_u64()),
        (Some(7), Some(6), Some(0))
    );
    assert_eq!((report["unchanged"].as_u64(), report["rejected"].as_u64()), (Some(0), Some(1)));
    assert_eq!(report["redacted"].as_u64(), Some(1));
    // Denis Blanc's address has no top-level domain: line 5 (the header is line 1).
    assert!(has_issue(&report["issues"], 5, Some("billing_email"), "email-syntax"), "{report:#}");
    // Émilie Noir's company holds a card number: line 6.
    assert!(has_issue(&report["issues"], 6, Some("billing_company"), "redacted"), "{report:#}");
    assert_eq!(report["issues"].as_array().map(Vec::len), Some(2), "{report:#}");
    // The password column is dropped for what it is, the others as unmapped or mapped to nothing.
    assert_eq!(dropped_rule(&report, "user_pass").as_deref(), Some("plain-password"));
    assert_eq!(dropped_rule(&report, "date_registered").as_deref(), Some("unmapped-column"));
    assert_eq!(dropped_rule(&report, "shipping_address_1").as_deref(), Some("unmapped-column"));
    assert_eq!(dropped_rule(&report, "user_login").as_deref(), Some("mapped-to-nothing"));
    assert_eq!(dropped_rule(&report, "total_spent").as_deref(), Some("mapped-to-nothing"));
    assert_eq!(dropped_rule(&report, "billing_email"), None, "a mapped column is kept");
    // The human summary says the same.
    let human = stdout(&out);
    assert!(human.contains("7 rows") && human.contains("6 imported") && human.contains("1 rejected"), "{human}");
    assert_eq!(customer_count(d), 6);

    let anne = get(d, "anne.martin@example.fr");
    assert_eq!(field(&anne, "email"), Some("anne.martin@example.fr"));
    assert_eq!(field(&anne, "phone"), Some("+33612345678"), "{anne:#}");
    assert_eq!(field(&anne, "city"), Some("PARIS"));
    assert_eq!(field(&anne, "postal-code"), Some("75002"));
    assert_eq!(field(&anne, "customer-number"), Some("101"));
    assert_eq!(field(&anne, "family-name"), Some("Martin"));
    let mut names = field_names(&anne);
    names.sort();
    assert_eq!(
        names,
        [
            "address-line1",
            "city",
            "country",
            "customer-number",
            "email",
            "family-name",
            "given-name",
            "phone",
            "postal-code"
        ]
    );
    for f in anne["fields"].as_array().expect("fields") {
        assert_eq!(f["purposes"], serde_json::json!(["orders"]));
        assert_eq!(f["basis"], "contract");
    }
    let text = anne.to_string();
    for gone in ["$P$BxHashedPass1", "amartin", "2023-04-02", "129.90"] {
        assert!(!text.contains(gone), "{gone} was dropped: {text}");
    }
    let emilie = get(d, "emilie.noir@example.fr");
    let company = field(&emilie, "company").expect("company kept, redacted");
    assert!(company.contains("[redacted:card-number]") && !company.contains("4111"), "{company}");
    let bruno = get(d, "bruno.petit@example.fr");
    assert_eq!(field(&bruno, "phone"), Some("+33798765432"));
    assert_eq!(field(&bruno, "address-line2"), Some("Bât. B"));
    // The rejected row wrote nothing.
    let out = fichier(d, &["customers", "get", "--email", "denis.blanc@example"]);
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn importing_again_changes_nothing() {
    let dir = shop();
    let d = dir.path();
    let out = import_sample(d, &sample_csv(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = rows(d, "customer/");
    assert_eq!(before.len(), 6);
    // The same file with the same options: the same session, already done.
    for extra in [&[][..], &["--chunk-kib", "1"][..]] {
        let out = import_sample(d, &sample_csv(), extra);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("already imported"), "{extra:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("6 imported"), "the report is the first import's: {}", stdout(&out));
        assert_eq!(rows(d, "customer/"), before, "{extra:?}");
    }
    assert_eq!(sessions(d).len(), 1, "a chunk size is not an option of the session");
    // Another file name is another session: every row is found unchanged.
    let copy = d.join("copy.csv");
    std::fs::copy(sample_csv(), &copy).expect("copy");
    let out = import_sample(d, &copy, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("already imported"), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        (report["rows"].as_u64(), report["imported"].as_u64(), report["updated"].as_u64()),
        (Some(7), Some(0), Some(0))
    );
    assert_eq!((report["unchanged"].as_u64(), report["rejected"].as_u64()), (Some(6), Some(1)));
    assert_eq!(sessions(d).len(), 2);
    assert_eq!(rows(d, "customer/"), before, "customer rows are byte-identical");
    let anne = get(d, "anne.martin@example.fr");
    assert_eq!(anne["revision"], 1);
}

#[test]
fn a_rerun_reports_the_rows_the_import_rejected() {
    let dir = shop();
    let d = dir.path();
    let first = d.join("first.json");
    let again = d.join("again.json");
    assert_eq!(import_sample(d, &sample_csv(), &["--report", path_str(&first)]).status.code(), Some(0));
    let out = import_sample(d, &sample_csv(), &["--report", path_str(&again)]);
    assert_eq!(out.status.code(), Some(0));
    let first: Value = serde_json::from_slice(&std::fs::read(first).expect("first")).expect("json");
    let again: Value = serde_json::from_slice(&std::fs::read(again).expect("again")).expect("json");
    assert_eq!(again["rejected"], first["rejected"]);
    assert_eq!(again["issues"], first["issues"], "\"the report is that import's\"");
    assert!(stdout(&out).contains("email-syntax"), "{}", stdout(&out));
}

/// Whether `needle` occurs in `hay` other than inside a base64/hex run (an alphanumeric
/// needle must stand as a word; ciphertext may hold any short word by chance).
fn occurs(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let free = n.iter().any(|b| !b64(*b));
    hay.windows(n.len()).enumerate().any(|(i, w)| {
        w == n
            && (free
                || (i.checked_sub(1).is_none_or(|p| !b64(hay[p])) && hay.get(i + n.len()).is_none_or(|a| !b64(*a))))
    })
}

#[test]
fn nothing_personal_is_stored_in_clear() {
    let dir = shop();
    let d = dir.path();
    let out = import_sample(d, &sample_csv(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files: Vec<PathBuf> = std::fs::read_dir(d)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("shop.")))
        .collect();
    let names: Vec<_> = files.iter().filter_map(|p| p.file_name()).collect();
    assert!(files.contains(&d.join("shop.db")) && files.contains(&d.join("shop.keys.db")), "{names:?}");
    let bytes: Vec<u8> = files.iter().flat_map(|p| std::fs::read(p).expect("read")).collect();
    assert!(occurs(&bytes, "orders"), "the check sees the files' text ({names:?})");
    let clear = [
        // e-mail addresses
        "anne.martin@example.fr",
        "bruno.petit@example.fr",
        "Bruno.Petit@Example.fr",
        "chloe.roux@example.fr",
        "emilie.noir@example.fr",
        "anne.martin@exemple.fr",
        "gaspard.lemoine@example.be",
        "denis.blanc@example",
        "@example.fr",
        // phone numbers, as written and normalised
        "06 12 34 56 78",
        "+33 7 98 76 54 32",
        "0690 12 34 56",
        "+32 470 12 34 56",
        "0612345678",
        "+33612345678",
        "+33798765432",
        "+32470123456",
        // family names
        "Martin",
        "Petit",
        "Roux",
        "Blanc",
        "Noir",
        "Lemoine",
        // streets
        "rue de la Paix",
        "place Bellecour",
        "Schœlcher",
        "quai des Chartrons",
        "Rue Neuve",
        "Bât. B",
        // what is never kept at all
        "4111 1111 1111 1111",
        "$P$BxHashedPass",
    ];
    for word in clear {
        assert!(!occurs(&bytes, word), "{word:?} is in clear in {names:?}");
    }
}

/// A CSV of `n` customers; every 500th row has a bad e-mail. Returns the valid count.
fn many_customers(path: &Path, n: usize) -> usize {
    let mut text = String::from("email,first_name,last_name,city,phone\n");
    let mut valid = 0;
    for i in 0..n {
        if i % 500 == 499 {
            text.push_str(&format!("client{i}-at-example.org,Jean,Dupont,Lyon,0612345678\n"));
        } else {
            valid += 1;
            text.push_str(&format!("client{i}@example.org,Jean,Dupont,Lyon,06{:08}\n", i));
        }
    }
    std::fs::write(path, text).expect("write csv");
    valid
}

/// The session's offset, when the data file can be read.
fn session_offset(db: &Path) -> Option<(u64, bool)> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.busy_timeout(Duration::from_secs(1)).ok()?;
    let v: Vec<u8> = conn.query_row("SELECT value FROM kv WHERE key LIKE 'import/%'", [], |r| r.get(0)).ok()?;
    let doc: Value = serde_json::from_slice(&v).ok()?;
    Some((doc["body"]["offset"].as_u64()?, doc["body"]["done"].as_bool()?))
}

#[test]
fn a_killed_import_resumes_where_it_stopped() {
    // 5 000 rows (~240 KiB, 15 chunks of 16 KiB) keep the test to a few seconds; 30 000
    // take ~25 s in a debug host.
    const ROWS: usize = 5_000;
    let dir = shop();
    let d = dir.path();
    let csv = d.join("many.csv");
    let valid = many_customers(&csv, ROWS);
    let total = std::fs::metadata(&csv).expect("meta").len();
    let args = ["--db", DB, "import", "many.csv", "--purpose", "orders", "--chunk-kib", "16"];
    let mut child =
        cmd(d).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn fichier import");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((offset, _)) = session_offset(&d.join(DB))
            && offset > 0
        {
            break;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the import ended ({status}) before a chunk was seen committed");
        }
        assert!(Instant::now() < deadline, "no chunk committed in 60 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    let (offset, done) = session_offset(&d.join(DB)).expect("session after the kill");
    assert!(!done && offset > 0 && offset < total, "killed mid-file: offset {offset} of {total}, done {done}");
    let partial = customer_count(d);
    assert!(partial > 0 && partial < valid, "{partial} of {valid} customers before resuming");

    let out = cmd(d).args(args).arg("--json").output().expect("run again");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("resuming import") && err.contains(&format!("of {total}")), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["done"], true);
    assert_eq!(report["rows"].as_u64(), Some(ROWS as u64), "{report:#}");
    assert_eq!(report["rejected"].as_u64(), Some((ROWS - valid) as u64));
    let written = report["imported"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap();
    assert_eq!(written, valid as u64, "{report:#}");
    assert_eq!(session_offset(&d.join(DB)), Some((total, true)));

    let customers = rows(d, "customer/");
    assert_eq!(customers.len(), valid);
    for (key, value) in &customers {
        let doc = fichier_domain::kernel::store::decode::<fichier_domain::customers::CustomerDoc>(key, value)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        assert!(doc.sealed.is_some_and(|s| !s.is_empty()), "{key}");
    }
    // The last row (4 999) has a bad e-mail; the one before is the last customer.
    let last = get(d, &format!("client{}@example.org", ROWS - 2));
    assert_eq!(field(&last, "city"), Some("LYON"));
    assert_eq!(field(&last, "phone"), Some(format!("+336{:08}", ROWS - 2).as_str()));
    assert!(get(d, "client0@example.org")["fields"].is_array());
}

/// Write `bytes` as `name` in `dir` and import it with the built-in mapping and `extra`.
fn import_bytes(dir: &Path, name: &str, bytes: &[u8], extra: &[&str]) -> Output {
    std::fs::write(dir.join(name), bytes).expect("write csv");
    let mut args = vec!["import", name, "--purpose", "orders"];
    args.extend_from_slice(extra);
    fichier(dir, &args)
}

/// Exit 2, the rule named on stderr, no customer written.
fn refused(dir: &Path, out: &Output, rule: &str) {
    assert_eq!(out.status.code(), Some(2), "{rule}: {}", stderr(out));
    assert!(stderr(out).contains(&format!("[{rule}]")), "{rule}: {}", stderr(out));
    assert!(
        stderr(out).contains("run the same command again (rows already imported are recognised"),
        "{rule}: says how to go on: {}",
        stderr(out)
    );
    assert_eq!(customer_count(dir), 0, "{rule}: no customer written");
}

#[test]
fn an_unterminated_quote_is_refused() {
    let dir = shop();
    let d = dir.path();
    let csv = b"email,company\na@example.org,\"Acme\nb@example.org,Bob SARL\nc@example.org,Carl SA\n";
    let out = import_bytes(d, "quote.csv", csv, &[]);
    refused(d, &out, "csv-syntax");
}

#[test]
fn ragged_rows_are_rejected_one_by_one() {
    let dir = shop();
    let d = dir.path();
    let csv = b"email,first_name\na@example.org,Anne,extra\nb@example.org,Bruno\nc@example.org\n";
    let out = import_bytes(d, "ragged.csv", csv, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!((report["rows"].as_u64(), report["rejected"].as_u64()), (Some(3), Some(2)), "{report:#}");
    assert_eq!(report["imported"].as_u64(), Some(1));
    assert!(has_issue(&report["issues"], 2, None, "ragged-row"), "{report:#}");
    assert!(has_issue(&report["issues"], 4, None, "ragged-row"), "{report:#}");
    assert_eq!(customer_count(d), 1, "only the whole row is written");
    assert_eq!(field(&get(d, "b@example.org"), "given-name"), Some("Bruno"));
    for email in ["a@example.org", "c@example.org"] {
        assert_ne!(fichier(d, &["customers", "get", "--email", email]).status.code(), Some(0), "{email}");
    }
}

#[test]
fn an_empty_file_is_refused() {
    let dir = shop();
    let d = dir.path();
    let out = import_bytes(d, "empty.csv", b"", &[]);
    refused(d, &out, "empty-file");
    let out = import_bytes(d, "blank.csv", b"\n  \n", &[]);
    refused(d, &out, "empty-file");
}

#[test]
fn a_header_without_rows_is_refused() {
    let dir = shop();
    let d = dir.path();
    let out = import_bytes(d, "header.csv", b"email,first_name,last_name\n", &[]);
    refused(d, &out, "no-rows");
}

#[test]
fn a_record_over_one_mib_is_refused() {
    let dir = shop();
    let d = dir.path();
    let mut csv = b"email,company\na@example.org,".to_vec();
    csv.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    csv.extend_from_slice(b"\nb@example.org,Acme\n");
    let out = import_bytes(d, "big.csv", &csv, &[]);
    refused(d, &out, "max-record-size");
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn unknown_columns_are_dropped_with_the_builtin_mapping() {
    let dir = shop();
    let d = dir.path();
    let csv = "Courriel,Prénom,favourite_colour,shoe size\na@example.org,Anne,blue,38\n";
    let out = import_bytes(d, "unknown.csv", csv.as_bytes(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(dropped_rule(&report, "favourite_colour").as_deref(), Some("unknown-column"), "{report:#}");
    assert_eq!(dropped_rule(&report, "shoe size").as_deref(), Some("unknown-column"), "{report:#}");
    assert_eq!(dropped_rule(&report, "Courriel"), None);
    assert_eq!(report["imported"].as_u64(), Some(1));
    let anne = get(d, "a@example.org");
    let mut names = field_names(&anne);
    names.sort();
    assert_eq!(names, ["email", "given-name"]);
    assert!(!anne.to_string().contains("blue"));
}

#[test]
fn a_latin1_file_is_refused_with_a_hint_then_imported_with_the_flag() {
    let dir = shop();
    let d = dir.path();
    // "Élodie Lévy" in Latin-1: É = 0xC9, é = 0xE9.
    let csv = b"email,first_name,last_name,city\nelodie@example.org,\xc9lodie,L\xe9vy,Orl\xe9ans\n";
    let out = import_bytes(d, "latin1.csv", csv, &[]);
    refused(d, &out, "utf-8");
    assert!(stderr(&out).contains("Latin-1") && stderr(&out).contains("latin1"), "{}", stderr(&out));
    let out = import_bytes(d, "latin1.csv", csv, &["--encoding", "latin1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let c = get(d, "elodie@example.org");
    assert_eq!(field(&c, "given-name"), Some("Élodie"), "{c:#}");
    assert_eq!(field(&c, "family-name"), Some("Lévy"));
    // Cities follow the postal convention: upper case without accents.
    assert_eq!(field(&c, "city"), Some("ORLEANS"));
}

#[test]
fn a_mapping_naming_a_missing_column_is_refused() {
    let dir = shop();
    let d = dir.path();
    std::fs::write(d.join("mapping.toml"), "purposes = [\"orders\"]\n[columns]\nmail = \"email\"\n").expect("write");
    std::fs::write(d.join("file.csv"), "email,first_name\na@example.org,Anne\n").expect("write");
    let out = fichier(d, &["import", "file.csv", "--mapping", "mapping.toml"]);
    refused(d, &out, "missing-column");
    assert!(stderr(&out).contains("mail"), "{}", stderr(&out));
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into()).collect();
    names.sort();
    names
}

#[test]
fn a_broken_mapping_or_a_missing_file_exits_1_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("broken.toml"), "purposes = [\"orders\"\n[columns\n").expect("write");
    std::fs::write(d.join("typo.toml"), "purposes = [\"orders\"]\ncolumn = {}\n").expect("write");
    std::fs::write(d.join("file.csv"), "email,first_name\na@example.org,Anne\n").expect("write");
    let before = listing(d);
    for (args, says) in [
        (vec!["import", "file.csv", "--mapping", "broken.toml"], "broken.toml"),
        (vec!["import", "file.csv", "--mapping", "typo.toml"], "typo.toml"),
        (vec!["import", "file.csv", "--mapping", "missing.toml"], "missing.toml"),
        (vec!["import", "missing.csv", "--purpose", "orders"], "missing.csv"),
    ] {
        // No master key in the environment: not even a key file may appear.
        let out = cmd(d).env_remove("FICHIER_MASTER_KEY").args(["--db", DB]).args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(listing(d), before, "{args:?} left a file behind");
    }
}

/// Exit 2, `says` on stderr, no suggestion to resume (nothing started), nothing written.
fn not_started(dir: &Path, out: &Output, says: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{says}: {err}");
    assert!(err.contains("import not started") && err.contains(says), "{says}: {err}");
    assert!(!err.contains("resume") && !err.contains("same command"), "{says}: nothing to resume: {err}");
    assert_eq!(customer_count(dir), 0, "{says}: no customer written");
    assert!(sessions(dir).is_empty(), "{says}: no session");
}

#[test]
fn an_undeclared_purpose_is_refused() {
    let dir = shop();
    let d = dir.path();
    std::fs::write(d.join("file.csv"), "email,first_name\na@example.org,Anne\n").expect("write");
    let out = fichier(d, &["import", "file.csv", "--purpose", "ghost"]);
    not_started(d, &out, "[declared-purpose]");
    assert!(stderr(&out).contains("ghost"), "{}", stderr(&out));
}

/// A usage error (no purpose named, an unknown encoding) exits 2 and says the import did
/// not start, without suggesting to resume it; nothing is created, not even the store.
#[test]
fn a_usage_error_says_so_without_suggesting_a_resume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("file.csv"), "email,first_name\na@example.org,Anne\n").expect("write");
    let before = listing(d);
    for (args, says) in [
        (&["import", "file.csv"][..], "name the purposes"),
        (&["import", "file.csv", "--purpose", "orders", "--encoding", "ebcdic"][..], "unknown encoding ebcdic"),
        (&["import", "file.csv", "--purpose", "orders", "--basis", "whim"][..], "unknown lawful basis whim"),
    ] {
        let out = fichier(d, args);
        not_started(d, &out, says);
        assert_eq!(listing(d), before, "{args:?} created a file");
    }
}

#[test]
fn examples_per_rule_is_checked_by_the_component() {
    let dir = shop();
    let d = dir.path();
    std::fs::write(d.join("file.csv"), "email,first_name\na@example.org,Anne\n").expect("write");
    let out = fichier(d, &["import", "file.csv", "--purpose", "orders", "--examples-per-rule", "101"]);
    not_started(d, &out, "options.examples-per-rule [range-0-100]");
}

/// `rows` rows of which every 4th is imported and the others refused in turn for a
/// malformed e-mail, a ragged row and a phone too short.
fn mostly_refused(rows: usize) -> String {
    let mut s = String::from("email,first_name,billing_phone\n");
    for i in 0..rows {
        s.push_str(&match i % 4 {
            0 => format!("ok{i}@example.org,Anne,0612345678\n"),
            1 => format!("bad{i}-example.org,Anne,0612345678\n"),
            2 => format!("ragged{i}@example.org,Anne\n"),
            _ => format!("short{i}@example.org,Anne,06 99\n"),
        });
    }
    s
}

/// 12 000 rows, 9 000 refused, in 16 KiB chunks: the report counts every refused row per
/// rule and keeps the first examples of each (20, or `--examples-per-rule`), so neither
/// the report nor the command's memory grows with the refused rows (the bench measures
/// the memory: `FICHIER_BENCH_PART=refused`).
#[test]
fn the_report_counts_every_refused_row_and_keeps_the_first_of_each_rule() {
    const ROWS: usize = 12_000;
    let dir = shop();
    let d = dir.path();
    let csv = mostly_refused(ROWS);
    let path = d.join("report.json");
    let out = import_bytes(d, "refused.csv", csv.as_bytes(), &["--chunk-kib", "16", "--report", path_str(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&std::fs::read(&path).expect("report")).expect("json");
    assert_eq!((report["rows"].as_u64(), report["rejected"].as_u64()), (Some(12_000), Some(9_000)));
    assert_eq!(
        report["issue-counts"],
        serde_json::json!([
            {"rule": "email-syntax", "count": 3_000},
            {"rule": "phone-length", "count": 3_000},
            {"rule": "ragged-row", "count": 3_000}
        ])
    );
    let issues = report["issues"].as_array().expect("issues");
    assert_eq!(issues.len(), 60, "20 of each rule");
    // The first of each: row i is on line i + 2.
    assert!(has_issue(&report["issues"], 3, Some("email"), "email-syntax"), "{report:#}");
    assert!(has_issue(&report["issues"], 4, None, "ragged-row"), "{report:#}");
    assert!(has_issue(&report["issues"], 5, Some("billing_phone"), "phone-length"), "{report:#}");
    // The 20th ragged row (lines 4, 8, …) is kept, the 21st only counted.
    assert!(has_issue(&report["issues"], 80, None, "ragged-row"), "{report:#}");
    assert!(!has_issue(&report["issues"], 84, None, "ragged-row"), "{report:#}");
    let human = stdout(&out);
    assert!(human.contains("issue   email-syntax") && human.contains("x3000"), "{human}");
    assert!(human.contains("… 40 more examples"), "{human}");
    // Fewer examples, asked for (another session: the options name the same file, but
    // the count of examples is not part of a session, so a new file name).
    let out = import_bytes(d, "again.csv", csv.as_bytes(), &["--examples-per-rule", "2", "--report", path_str(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&std::fs::read(&path).expect("report")).expect("json");
    assert_eq!(report["issues"].as_array().map(Vec::len), Some(6));
    assert_eq!(report["rejected"].as_u64(), Some(9_000));
    assert_eq!(report["unchanged"].as_u64(), Some(3_000));
}

/// A file none of whose rows can be imported exits 2 (the input was refused) once its
/// report is written, and so does running it again.
#[test]
fn an_import_whose_every_row_is_refused_exits_2() {
    let dir = shop();
    let d = dir.path();
    let csv = "email,first_name\nanne-at-example.org,Anne\nbruno@example,Bruno\n";
    let path = d.join("report.json");
    for run in ["first", "again"] {
        let out = import_bytes(d, "refused.csv", csv.as_bytes(), &["--report", path_str(&path)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{run}: {err}");
        assert!(err.contains("every row of the file was refused (2 rows)"), "{run}: {err}");
        assert!(stdout(&out).contains("2 rows — 0 imported") && stdout(&out).contains("x2"), "{run}: {}", stdout(&out));
        let report: Value = serde_json::from_slice(&std::fs::read(&path).expect("report")).expect("json");
        assert_eq!((report["rows"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(2)), "{run}");
        assert_eq!(report["done"], true);
    }
    assert_eq!(customer_count(d), 0);
    // One row imported is an import: exit 0.
    let out = import_bytes(d, "one.csv", format!("{csv}chloe@example.org,Chloé\n").as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn check_form_blocks_a_cvv_field() {
    let dir = shop();
    let d = dir.path();
    let email = r#"{"name":"email","label":"E-mail","field-type":"email","required":true,"purposes":["orders"]}"#;
    let cvv =
        r#"{"name":"cvv","label":"Cryptogramme visuel","field-type":"text","required":true,"purposes":["orders"]}"#;
    std::fs::write(d.join("bad.json"), format!("[{email},{cvv}]")).expect("write");
    std::fs::write(d.join("clean.json"), format!("[{email}]")).expect("write");
    let out = fichier(d, &["check", "form", "bad.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("cvv-field"), "{}", stdout(&out));
    let out = fichier(d, &["--json", "check", "form", "bad.json"]);
    assert_eq!(out.status.code(), Some(1));
    let findings: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        findings
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["rule"] == "cvv-field" && f["field"] == "cvv" && f["severity"] == "block"),
        "{findings:#}"
    );
    let out = fichier(d, &["check", "form", "clean.json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("block"), "{}", stdout(&out));
    let out = fichier(d, &["--json", "check", "form", "clean.json"]);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).expect("json"), serde_json::json!([]));
}

/// A file of `n` customers of one length (every 10th with a malformed e-mail, refused),
/// lines ended by `end`, `tail` after the last row's end (`final_end`: whether it has
/// one), a byte-order mark when asked, and `pad` bytes in the name of a header column
/// the built-in mapping drops: moving `pad` moves every row against the chunk boundaries.
struct LineFile {
    end: &'static str,
    bom: bool,
    n: usize,
    pad: usize,
    final_end: bool,
    tail: usize,
}

impl LineFile {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.bom {
            out.extend_from_slice(b"\xef\xbb\xbf");
        }
        out.extend_from_slice(format!("email,first_name,pad{}", "x".repeat(self.pad)).as_bytes());
        for i in 0..self.n {
            out.extend_from_slice(self.end.as_bytes());
            let at = if i % 10 == 9 { '-' } else { '@' };
            out.extend_from_slice(format!("c{i:04}{at}example.org,Anne,z").as_bytes());
        }
        if self.final_end {
            out.extend_from_slice(self.end.as_bytes());
        }
        out.extend_from_slice(self.end.repeat(self.tail).as_bytes());
        out
    }

    fn refused(&self) -> usize {
        self.n / 10
    }
}

/// The first file (by `pad`, then `n`) whose bytes satisfy `fits`.
fn line_file(end: &'static str, bom: bool, final_end: bool, tail: usize, fits: &dyn Fn(&[u8]) -> bool) -> LineFile {
    for n in 40..140 {
        for pad in 0..40 {
            let f = LineFile { end, bom, n, pad, final_end, tail };
            if fits(&f.bytes()) {
                return f;
            }
        }
    }
    panic!("no file with {end:?} fits");
}

fn is_break(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// CRLF, LF and CR line ends, with and without a byte-order mark, trailing blank lines
/// and no final line end, with a 1 KiB chunk ending inside a `\r\n`, right after a line
/// end, right before one, inside a row, inside the trailing blank lines and at the end of
/// the file, and in one chunk: every row is imported or refused on its own line, the
/// import exits 0 with its report written, and running it again finds it done.
#[test]
fn every_line_end_imports_at_and_off_chunk_boundaries() {
    const B: usize = 2048; // the second 1 KiB chunk's end
    type Fits = dyn Fn(&[u8]) -> bool;
    let between_cr_lf: &Fits = &|d| d.len() > B + 100 && d[B - 1] == b'\r' && d[B] == b'\n';
    let after_end: &Fits = &|d| d.len() > B + 100 && is_break(d[B - 1]) && !is_break(d[B]);
    let before_end: &Fits = &|d| d.len() > B + 100 && !is_break(d[B - 1]) && is_break(d[B]);
    let in_row: &Fits = &|d| d.len() > B + 100 && !is_break(d[B - 1]) && !is_break(d[B]);
    let in_tail: &Fits = &|d| d.len() > B + 2 && d[B - 3..B + 2].iter().all(|b| is_break(*b));
    let at_end: &Fits = &|d| d.len() == B;
    let dir = shop();
    let d = dir.path();
    let (mut runs, mut most) = (0, 0);
    for end in ["\r\n", "\n", "\r"] {
        for bom in [false, true] {
            let mut files = vec![
                ("inside a row, final line end", line_file(end, bom, true, 0, in_row), true),
                ("after a line end, no final line end", line_file(end, bom, false, 0, after_end), true),
                ("before a line end, 3 blank lines at the end", line_file(end, bom, true, 3, before_end), true),
                ("inside trailing blank lines", line_file(end, bom, true, 6, in_tail), true),
                ("at the end of the file, no final line end", line_file(end, bom, false, 0, at_end), true),
                ("at the end of the file, after 2 blank lines", line_file(end, bom, true, 2, at_end), true),
                ("one chunk, 2 blank lines at the end", line_file(end, bom, true, 2, in_row), false),
            ];
            if end == "\r\n" {
                files.push(("between CR and LF", line_file(end, bom, true, 0, between_cr_lf), true));
                files.push((
                    "between CR and LF, no final line end",
                    line_file(end, bom, false, 0, between_cr_lf),
                    true,
                ));
            }
            for (case, file, small) in files {
                runs += 1;
                most = most.max(file.n);
                let what = format!("{end:?}, BOM {bom}, {case}");
                let name = format!("lines{runs}.csv");
                let report = d.join(format!("lines{runs}.json"));
                let chunk: &[&str] = if small { &["--chunk-kib", "1"] } else { &[] };
                let args = [&["--report", path_str(&report)][..], chunk].concat();
                let out = import_bytes(d, &name, &file.bytes(), &args);
                assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
                let r: Value = serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("json");
                assert_eq!(r["done"], true, "{what}: {r:#}");
                assert_eq!(r["rows"].as_u64(), Some(file.n as u64), "{what}: {r:#}");
                assert_eq!(r["rejected"].as_u64(), Some(file.refused() as u64), "{what}: {r:#}");
                let written = r["imported"].as_u64().unwrap() + r["unchanged"].as_u64().unwrap();
                assert_eq!(written, (file.n - file.refused()) as u64, "{what}: {r:#}");
                // Row i is on line i + 2 (the header is line 1): every 10th is refused.
                for i in (9..file.n).step_by(10) {
                    assert!(has_issue(&r["issues"], i as u64 + 2, Some("email"), "email-syntax"), "{what}: {r:#}");
                }
                let again = import_bytes(d, &name, &file.bytes(), chunk);
                assert_eq!(again.status.code(), Some(0), "{what}, again: {}", stderr(&again));
                assert!(stderr(&again).contains("already imported"), "{what}, again: {}", stderr(&again));
            }
        }
    }
    // The files share their first rows: c0000 up to the longest file's last, but the refused.
    assert_eq!(customer_count(d), (0..most).filter(|i| i % 10 != 9).count());
}

/// The Rust host's runtime over the shop's files in `dir`, as the CLI opens them.
fn host_runtime(dir: &Path) -> fichier_host::Runtime {
    let kv = std::sync::Arc::new(fichier_host::kv::SqliteKv::open(&dir.join(DB)).expect("sqlite"));
    fichier_host::RuntimeBuilder::new(kv)
        .config(vec![("master_key".into(), support::KEY.into())])
        .clock(fichier_host::Clock::pinned("2026-11-29T10:00:00Z").expect("clock"))
        .cache_dir(Some(support::cache_dir()))
        .pooling(false)
        .build()
        .expect("runtime")
}

fn host_actor() -> fichier_host::bindings::types::Actor {
    fichier_host::bindings::types::Actor { id: "cli".into(), role: fichier_host::bindings::types::Role::Admin }
}

/// A CRLF file with a UTF-8 byte-order mark and blank lines at its end, its session begun
/// with the options the CLI makes and fed by hand up to a chunk ending between a `\r` and
/// its `\n` (the record before it is left for the next chunk), then stopped: the same
/// command resumes at that offset and imports the rest.
#[test]
fn an_import_stopped_inside_a_crlf_resumes() {
    let dir = shop();
    let d = dir.path();
    let file = LineFile { end: "\r\n", bom: true, n: 60, pad: 0, final_end: true, tail: 2 };
    let bytes = file.bytes();
    let csv = d.join("stopped.csv");
    std::fs::write(&csv, &bytes).expect("write");
    let cut = bytes.iter().position(|b| *b == b'\n').expect("a line end") + 40;
    let cut = cut + bytes[cut..].iter().position(|b| *b == b'\r').expect("a \\r") + 1;
    assert_eq!(bytes[cut], b'\n');
    let req = fichier_host::import::ImportRequest {
        file: csv.clone(),
        mapping: None,
        encoding: None,
        delimiter: None,
        purposes: vec!["orders".into()],
        basis: None,
        source: None,
        chunk: fichier_host::import::DEFAULT_CHUNK,
        examples_per_rule: None,
    };
    let (sha, _, head) = fichier_host::import::file_sha256(&csv).expect("sha");
    let opts = fichier_host::import::options(&req, &sha, &head).expect("options");
    let rt = host_runtime(d);
    let session = rt
        .call(|lib, store| lib.fichier_client_customer_import().call_begin(store, &host_actor(), &opts))
        .expect("call")
        .expect("begin");
    let r = rt
        .call_batched(|lib, store| {
            lib.fichier_client_customer_import().call_feed(store, &host_actor(), &session.id, 0, &bytes[..cut], false)
        })
        .expect("call")
        .expect("feed");
    assert!(r.consumed > 0 && (r.consumed as usize) < cut && !r.done, "{r:?}");
    assert_eq!(bytes[r.consumed as usize - 1], b'\n', "the chunk stops after a whole line end");
    drop(rt);

    let out = import_bytes(d, "stopped.csv", &bytes, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("resuming import {} at byte {}", session.id, r.consumed)),
        "{}",
        stderr(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["done"], true);
    assert_eq!(report["rows"].as_u64(), Some(60), "{report:#}");
    assert_eq!(report["rejected"].as_u64(), Some(6), "{report:#}");
    assert_eq!(report["imported"].as_u64(), Some(54), "{report:#}");
    assert_eq!(customer_count(d), 54);
}

/// 250 000 short rows (3.1 MB) in one 4 MiB chunk, through the component in the Rust
/// host: the chunk used to begin one compare-and-swap per customer and hold them all,
/// and wasmtime trapped at its 100 000 live handles per store ("store handle limit
/// exceeded"). Now every row is imported in the one chunk.
#[test]
fn a_chunk_of_250_000_short_rows_imports() {
    const ROWS: usize = 250_000;
    let dir = shop();
    let d = dir.path();
    let mut csv = String::from("email\n");
    for i in 0..ROWS {
        csv.push_str(&format!("u{i}@x.fr\n"));
    }
    assert!(csv.len() <= 4 * 1024 * 1024, "{} bytes: one chunk", csv.len());
    let path = d.join("short.json");
    let out = import_bytes(d, "short.csv", csv.as_bytes(), &["--chunk-kib", "4096", "--report", path_str(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&std::fs::read(&path).expect("report written")).expect("json");
    assert_eq!(report["done"], true);
    assert_eq!(report["rows"].as_u64(), Some(ROWS as u64), "{report:#}");
    assert_eq!(report["imported"].as_u64(), Some(ROWS as u64), "{report:#}");
    // One chunk: the progress line after the first chunk already counts every row.
    let progress = stderr(&out).lines().find(|l| l.starts_with("import: ")).map(String::from);
    assert_eq!(progress, Some(format!("import: {0}/{0} bytes, {ROWS} rows", csv.len())), "{}", stderr(&out));
    assert_eq!(customer_count(d), ROWS);
    assert_eq!(field(&get(d, "u249999@x.fr"), "email"), Some("u249999@x.fr"));
}
