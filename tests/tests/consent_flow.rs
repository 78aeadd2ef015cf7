//! Consent end to end through the component, on a real SQLite file.

use fichier_tests::*;
use serde_json::json;

fn setup(rt: &fichier_host::Runtime) -> String {
    ok(
        rt,
        "consent",
        "declare-purpose",
        &[
            admin(),
            json!({"id": "newsletter", "kind": "marketing", "title": "Lettre d'information", "validity-months": null}),
        ],
    );
    ok(
        rt,
        "consent",
        "declare-purpose",
        &[admin(), json!({"id": "analytics", "kind": "cookie", "title": "Mesure d'audience", "validity-months": null})],
    );
    let n = ok(
        rt,
        "consent",
        "register-notice",
        &[
            admin(),
            json!({"purposes": ["newsletter"], "lang": "fr", "text": "Nous utilisons votre e-mail pour la lettre."}),
        ],
    );
    n["reference"].as_str().expect("reference").to_string()
}

fn receipt(email: &str, purpose: &str, decision: &str, notice: Option<&str>) -> serde_json::Value {
    json!({
        "subject": {"tag": "email", "val": email},
        "purpose": purpose, "decision": decision, "given-by": "subject", "channel": "web-form",
        "notice": notice, "at": null, "receipt-id": null, "client-ip": "192.0.2.77",
        "user-agent": "Mozilla/5.0", "gpc": false, "age": null
    })
}

#[test]
fn grant_status_history_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, "2026-03-01T10:00:00Z", TEST_KEY);
    let notice = setup(&rt);
    assert_eq!(notice, "newsletter:fr:v1");
    let r = ok(
        &rt,
        "consent",
        "record-decision",
        &[admin(), receipt("Alice@Example.org", "newsletter", "grant", Some(&notice))],
    );
    assert_eq!(r["seq"], 1);
    assert_eq!(r["ip-truncated"], "192.0.2.0");
    let status = ok(&rt, "consent", "status", &[admin(), json!({"tag": "email", "val": "alice@example.org"})]);
    let states: Vec<(String, String)> = status["purposes"]
        .as_array()
        .expect("purposes")
        .iter()
        .map(|p| (p["purpose"].as_str().unwrap_or("").into(), p["state"].as_str().unwrap_or("").into()))
        .collect();
    assert_eq!(states, vec![("analytics".into(), "never-asked".into()), ("newsletter".into(), "given".into())]);
    rt.clock().set("2026-04-01T10:00:00Z").expect("clock");
    ok(&rt, "consent", "record-decision", &[admin(), receipt("alice@example.org", "newsletter", "withdraw", None)]);
    let history = ok(&rt, "consent", "history", &[admin(), json!({"tag": "email", "val": "alice@example.org"})]);
    assert_eq!(history.as_array().map(Vec::len), Some(2));
    assert_eq!(history[1]["prev"], history[0]["hash"]);
    let report = ok(&rt, "ledger", "verify", &[admin()]);
    assert_eq!(report["ok"], true, "{report}");
}
