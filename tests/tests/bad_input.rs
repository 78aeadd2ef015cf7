//! Bad input, table-driven, through the component on SQLite: each case returns a
//! typed error naming the field and the rule, writes nothing, and panics nowhere.

use fichier_tests::*;
use serde_json::{Value, json};

const NOW: &str = "2026-03-01T10:00:00Z";

fn decision(overrides: Value) -> Value {
    let base = json!({
        "subject": {"tag": "email", "val": "alice@example.org"}, "purpose": "newsletter", "decision": "grant",
        "given-by": "subject", "channel": "web-form", "notice": "newsletter:fr:v1", "at": null, "receipt-id": null,
        "client-ip": null, "user-agent": null, "gpc": false, "age": null
    });
    with(base, overrides)
}

/// `base` with the fields of `overrides` replaced.
fn with(mut base: Value, overrides: Value) -> Value {
    for (k, v) in overrides.as_object().expect("object") {
        base[k] = v.clone();
    }
    base
}

/// A valid activity with some fields replaced.
fn activity(overrides: Value) -> Value {
    let l = |t: &str| json!({"fr": t, "en": null});
    let base = json!({
        "id": "club", "name": l("Club"), "joint-controller": null,
        "purposes": [{"id": "club", "description": l("Fidélité"), "basis": "contract",
            "legitimate-interest": null, "provision": null}],
        "subjects": [{"tag": "customers"}],
        "data": [{"category": "identity", "description": l("Nom"), "sensitive": false}],
        "recipients": [], "transfers": [],
        "retention": [{"category": "identity", "months": 36, "start": "end-of-contract", "action": "delete",
            "legal-hold": null}],
        "security": [{"tag": "encryption-at-rest"}], "automated-decisions": null
    });
    with(base, overrides)
}

/// A valid policy with some fields replaced.
fn policy(overrides: Value) -> Value {
    let base = json!({
        "country": "FR", "minor-ages": [], "default-minor-age": 16,
        "validity": [
            {"kind": "service", "grant-months": null, "refusal-months": null},
            {"kind": "marketing", "grant-months": 36, "refusal-months": null},
            {"kind": "cookie", "grant-months": 6, "refusal-months": 6},
            {"kind": "advertising", "grant-months": 6, "refusal-months": 6}],
        "max-future-skew-seconds": 0, "reverify": [], "time-zone": "Europe/Paris", "audit-retention-days": 365,
        "opposition-months": 36, "confirm-within-days": 7
    });
    with(base, overrides)
}

/// A valid breach with some fields replaced.
fn breach(overrides: Value) -> Value {
    let base = json!({
        "discovered-at": "2026-03-01T08:00:00Z", "occurred-at": null, "nature": ["availability"],
        "description": "Panne", "categories": ["order"], "subjects-approx": 1, "records-approx": 1,
        "consequences": "Retard", "measures": "Restauration", "risk": "unlikely"
    });
    with(base, overrides)
}

fn actor(role: &str) -> Value {
    json!({"id": "t", "role": role})
}

#[test]
fn every_bad_input_is_a_typed_error_that_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fichier.db");
    let rt = sqlite_runtime(&db, NOW, TEST_KEY);
    ok(
        &rt,
        "consent",
        "declare-purpose",
        &[admin(), json!({"id": "newsletter", "kind": "marketing", "title": "Lettre", "validity-months": null})],
    );
    ok(
        &rt,
        "consent",
        "declare-purpose",
        &[admin(), json!({"id": "analytics", "kind": "cookie", "title": "Audience", "validity-months": null})],
    );
    ok(
        &rt,
        "consent",
        "register-notice",
        &[admin(), json!({"purposes": ["newsletter"], "lang": "fr", "text": "Texte."})],
    );
    ok(&rt, "consent", "record-decision", &[admin(), decision(json!({"receipt-id": "taken"}))]);
    // Rita's processing is restricted (Art. 18).
    let rita = json!({"tag": "email", "val": "rita@example.org"});
    let rita_field = |name: &str, value: &str| {
        json!({"name": name, "value": value, "category": null, "purposes": ["newsletter"], "basis": "consent",
               "source": null, "collected-at": null, "verified-at": null})
    };
    ok(&rt, "customers", "create", &[admin(), rita.clone(), json!([rita_field("email", "rita@example.org")])]);
    ok(&rt, "rights", "change-processing", &[admin(), rita.clone(), json!({"tag": "restrict", "val": "contestée"})]);

    let big = "x".repeat(64 * 1024 + 1);
    let long_actor = "a".repeat(129);
    let long_email = format!("{}@example.org", "a".repeat(250));
    // (call, args, error tag, field, rule)
    let table: Vec<(&str, Vec<Value>, &str, &str, &str)> = vec![
        // actors
        (
            "consent.status",
            vec![json!({"id": "", "role": "admin"}), json!({"tag": "email", "val": "a@example.org"})],
            "invalid-input",
            "actor.id",
            "non-empty",
        ),
        (
            "consent.status",
            vec![json!({"id": long_actor, "role": "admin"}), json!({"tag": "email", "val": "a@example.org"})],
            "invalid-input",
            "actor.id",
            "max-length",
        ),
        (
            "consent.status",
            vec![json!({"id": "a\u{7}b", "role": "admin"}), json!({"tag": "email", "val": "a@example.org"})],
            "invalid-input",
            "actor.id",
            "printable",
        ),
        // subjects
        (
            "consent.status",
            vec![admin(), json!({"tag": "email", "val": ""})],
            "invalid-input",
            "subject.email",
            "non-empty",
        ),
        (
            "consent.status",
            vec![admin(), json!({"tag": "email", "val": "not-an-email"})],
            "invalid-input",
            "subject.email",
            "email-syntax",
        ),
        (
            "consent.status",
            vec![admin(), json!({"tag": "email", "val": long_email})],
            "invalid-input",
            "subject.email",
            "max-length",
        ),
        (
            "consent.status",
            vec![admin(), json!({"tag": "subject", "val": "s-../../etc"})],
            "invalid-input",
            "subject.subject",
            "subject-id-syntax",
        ),
        (
            "consent.status",
            vec![admin(), json!({"tag": "external", "val": "x".repeat(129)})],
            "invalid-input",
            "subject.external",
            "max-length",
        ),
        // record-decision, field by field
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"purpose": "profiling"}))],
            "not-found",
            "input.purpose",
            "declared-purpose",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"purpose": ""}))],
            "invalid-input",
            "input.purpose",
            "non-empty",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"notice": "newsletter:fr:v9"}))],
            "not-found",
            "input.notice",
            "registered-notice",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"notice": "garbage"}))],
            "invalid-input",
            "input.notice",
            "notice-reference-syntax",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"notice": null}))],
            "invalid-input",
            "input.notice",
            "grant-cites-notice",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"purpose": "analytics"}))],
            "invalid-input",
            "input.notice",
            "notice-covers-purpose",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"at": "2026-03-01T11:00:00Z"}))],
            "invalid-input",
            "input.at",
            "not-in-future",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"at": "9999-12-31T23:59:59Z"}))],
            "invalid-input",
            "input.at",
            "not-in-future",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"at": "tomorrow"}))],
            "invalid-input",
            "input.at",
            "rfc3339",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"receipt-id": "taken"}))],
            "conflict",
            "input.receipt-id",
            "unique-per-subject",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"receipt-id": "has space"}))],
            "invalid-input",
            "input.receipt-id",
            "receipt-id-syntax",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"receipt-id": "r".repeat(65)}))],
            "invalid-input",
            "input.receipt-id",
            "receipt-id-syntax",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"at": format!("2026-03-01T10:00:00{}Z", ".0".repeat(40))}))],
            "invalid-input",
            "input.at",
            "max-length",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"receipt-id": ""}))],
            "invalid-input",
            "input.receipt-id",
            "receipt-id-syntax",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"subject": {"tag": "external", "val": ""}}))],
            "invalid-input",
            "input.subject.external",
            "non-empty",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"client-ip": "300.1.1.1"}))],
            "invalid-input",
            "input.client-ip",
            "ip-address",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"user-agent": "u".repeat(8193)}))],
            "invalid-input",
            "input.user-agent",
            "max-bytes",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"age": {"tag": "age", "val": 200}}))],
            "invalid-input",
            "input.age.age",
            "range-0-130",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"age": {"tag": "birth-year", "val": 1800}}))],
            "invalid-input",
            "input.age.birth-year",
            "plausible-year",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"age": {"tag": "birth-year", "val": 2031}}))],
            "invalid-input",
            "input.age.birth-year",
            "plausible-year",
        ),
        (
            "consent.record-decision",
            vec![admin(), decision(json!({"subject": {"tag": "subject", "val": "s-aaaaaaaaaaaaaaaaaaaaaaaaaa"}}))],
            "not-found",
            "input.subject.subject",
            "known-subject",
        ),
        (
            "consent.record-decision",
            vec![actor("public"), decision(json!({"channel": "phone"}))],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        // notices and purposes
        (
            "consent.register-notice",
            vec![admin(), json!({"purposes": ["newsletter"], "lang": "fr", "text": big})],
            "invalid-input",
            "input.text",
            "max-bytes",
        ),
        (
            "consent.register-notice",
            vec![admin(), json!({"purposes": ["newsletter"], "lang": "french", "text": "t"})],
            "invalid-input",
            "input.lang",
            "iso-639-1",
        ),
        (
            "consent.register-notice",
            vec![admin(), json!({"purposes": vec!["newsletter"; 33], "lang": "fr", "text": "t"})],
            "invalid-input",
            "input.purposes",
            "max-items",
        ),
        (
            "consent.declare-purpose",
            vec![admin(), json!({"id": "x".repeat(65), "kind": "cookie", "title": "t", "validity-months": null})],
            "invalid-input",
            "input.id",
            "max-length",
        ),
        (
            "consent.declare-purpose",
            vec![admin(), json!({"id": "ok", "kind": "cookie", "title": "t".repeat(201), "validity-months": null})],
            "invalid-input",
            "input.title",
            "max-length",
        ),
        (
            "consent.declare-purpose",
            vec![admin(), json!({"id": "ok", "kind": "cookie", "title": "t", "validity-months": 121})],
            "invalid-input",
            "input.validity-months",
            "range-1-120",
        ),
        (
            "consent.declare-purpose",
            vec![actor("support"), json!({"id": "ok", "kind": "cookie", "title": "t", "validity-months": null})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        ("consent.get-notice", vec![admin(), json!("a".repeat(3000))], "invalid-input", "reference", "max-length"),
        // roles on reads
        (
            "consent.status",
            vec![actor("public"), json!({"tag": "email", "val": "alice@example.org"})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "consent.history",
            vec![actor("public"), json!({"tag": "external", "val": "v1"})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        ("ledger.verify", vec![actor("support")], "forbidden", "actor.role", "role-permitted"),
        ("ledger.take-anchor", vec![actor("public")], "forbidden", "actor.role", "role-permitted"),
        ("maintenance.reindex", vec![actor("support")], "forbidden", "actor.role", "role-permitted"),
        ("maintenance.list-subjects", vec![admin(), json!(null), json!(0)], "invalid-input", "limit", "range-1-1000"),
        (
            "maintenance.list-subjects",
            vec![admin(), json!("../x"), json!(10)],
            "invalid-input",
            "cursor",
            "subject-id-syntax",
        ),
        // policy
        ("settings.set-policy", vec![actor("support"), policy(json!({}))], "forbidden", "actor.role", "role-permitted"),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"country": "fr"}))],
            "invalid-input",
            "input.country",
            "iso-3166-alpha-2",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"minor-ages": [{"country": "FR", "age": 12}]}))],
            "invalid-input",
            "input.minor-ages[0].age",
            "art-8-range",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"validity": []}))],
            "invalid-input",
            "input.validity",
            "one-per-kind",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"time-zone": "America/New_York"}))],
            "invalid-input",
            "input.time-zone",
            "iana-zone",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"audit-retention-days": 179}))],
            "invalid-input",
            "input.audit-retention-days",
            "range-180-366",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"audit-retention-days": 3650}))],
            "invalid-input",
            "input.audit-retention-days",
            "range-180-366",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"opposition-months": 12}))],
            "invalid-input",
            "input.opposition-months",
            "range-36-120",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"confirm-within-days": 0}))],
            "invalid-input",
            "input.confirm-within-days",
            "range-1-30",
        ),
        // consent by e-mail from the public (issue 24)
        ("consent.confirm", vec![actor("public"), json!("1-short")], "invalid-input", "token", "token-syntax"),
        (
            "consent.confirm",
            vec![actor("public"), json!("1-aaaaaaaaaaaaaaaaaaaaaaaaaa")],
            "invalid-input",
            "token",
            "token-matches",
        ),
        ("consent.unsubscribe", vec![actor("public"), json!("not base64!")], "invalid-input", "token", "token-syntax"),
        (
            "consent.unsubscribe",
            vec![actor("public"), json!("AQAAAAAAAAAAAAAAAAAAAABuZXdzbGV0dGVyAAAAAAAAAAAAAAAAAAAAAAA")],
            "invalid-input",
            "token",
            "token-matches",
        ),
        (
            "consent.unsubscribe-link",
            vec![actor("support"), json!({"tag": "email", "val": "a@example.org"}), json!("newsletter")],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        // e-mail tracking pixels (issue 28)
        (
            "consent.mint-mail-links",
            vec![admin(), json!({"tag": "email", "val": "a@example.org"}), json!("a@example.org"), json!("newsletter")],
            "invalid-input",
            "campaign",
            "campaign-syntax",
        ),
        ("consent.open-pixel", vec![actor("public"), json!("not base64!")], "invalid-input", "token", "token-syntax"),
        (
            "consent.open-pixel",
            vec![actor("public"), json!("cAAAAAAAAAAAAAAAAAAAAAABY25ld3NsZXR0ZXIAAAAAAAAAAAAAAAAAAAAA")],
            "invalid-input",
            "token",
            "token-matches",
        ),
        ("consent.opens", vec![admin(), json!("2026-02-30"), json!("2026-03-01")], "invalid-input", "from", "date"),
        (
            "consent.tracking-to-ask",
            vec![admin(), json!("newsletter"), Value::Null, json!(0)],
            "invalid-input",
            "limit",
            "range-1-1000",
        ),
        (
            "settings.set-policy",
            vec![admin(), policy(json!({"email-tracking-cutover": "14/07/2026"}))],
            "invalid-input",
            "input.email-tracking-cutover",
            "date",
        ),
        // the register (Art. 30) and its notices
        (
            "registry.put-activity",
            vec![admin(), activity(json!({"id": "Bad Id"}))],
            "invalid-input",
            "input.id",
            "activity-id-syntax",
        ),
        (
            "registry.put-activity",
            vec![admin(), activity(json!({"purposes": []}))],
            "invalid-input",
            "input.purposes",
            "non-empty",
        ),
        (
            "registry.put-activity",
            vec![
                admin(),
                activity(json!({"retention": [{"category": "payment", "months": 12, "start": "collection",
                    "action": "delete", "legal-hold": null}]})),
            ],
            "invalid-input",
            "input.retention[0].category",
            "declared-category",
        ),
        (
            "registry.put-activity",
            vec![admin(), activity(json!({"name": {"fr": big.clone(), "en": null}}))],
            "invalid-input",
            "input.name.fr",
            "max-length",
        ),
        (
            "registry.put-activity",
            vec![actor("support"), activity(json!({}))],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "registry.set-organisation",
            vec![
                admin(),
                json!({"controller": {"name": "Shop", "address": null, "email": "nope", "phone": null},
                    "representative": null, "dpo": null}),
            ],
            "invalid-input",
            "input.controller.email",
            "email-syntax",
        ),
        ("registry.get-activity", vec![admin(), json!("../x")], "invalid-input", "id", "activity-id-syntax"),
        ("registry.get-activity", vec![admin(), json!("absent")], "not-found", "id", "activity-exists"),
        (
            "registry.retire-activity",
            vec![admin(), json!("absent"), json!(" ")],
            "invalid-input",
            "reason",
            "non-empty",
        ),
        ("registry.history", vec![admin(), json!("Nope!")], "invalid-input", "target", "activity-id-syntax"),
        ("registry.generate-notice", vec![admin(), json!([]), json!("fr")], "invalid-input", "purposes", "count-1-32"),
        (
            "registry.generate-notice",
            vec![admin(), json!(["newsletter"]), json!("fr")],
            "not-found",
            "organisation",
            "organisation-set",
        ),
        ("registry.load-shop-defaults", vec![actor("support")], "forbidden", "actor.role", "role-permitted"),
        (
            "registry.export",
            vec![actor("public"), json!("csv"), json!("fr")],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        // the breach register (Art. 33)
        (
            "breaches.record-breach",
            vec![admin(), breach(json!({"discovered-at": "2026-03-02T10:00:00Z"}))],
            "invalid-input",
            "input.discovered-at",
            "not-in-future",
        ),
        (
            "breaches.record-breach",
            vec![admin(), breach(json!({"nature": []}))],
            "invalid-input",
            "input.nature",
            "non-empty",
        ),
        (
            "breaches.record-breach",
            vec![admin(), breach(json!({"subjects-approx": 5, "records-approx": 4}))],
            "invalid-input",
            "input.records-approx",
            "at-least-subjects",
        ),
        (
            "breaches.record-breach",
            vec![actor("support"), breach(json!({}))],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "breaches.notify-cnil",
            vec![admin(), json!("B-1"), json!("2026-03-01T09:00:00Z"), json!(null), json!(null)],
            "invalid-input",
            "id",
            "breach-id-syntax",
        ),
        (
            "breaches.inform-people",
            vec![admin(), json!("B-0001"), json!({"tag": "not-told", "val": ""})],
            "invalid-input",
            "informed.not-told",
            "non-empty",
        ),
        ("breaches.get-breach", vec![admin(), json!("B-0001")], "not-found", "id", "breach-exists"),
        (
            "customers.record-event",
            vec![admin(), json!({"tag": "email", "val": "alice@example.org"}), json!("contact"), json!("tomorrow")],
            "invalid-input",
            "at",
            "rfc3339",
        ),
        (
            "customers.record-event",
            vec![
                admin(),
                json!({"tag": "email", "val": "alice@example.org"}),
                json!("contact"),
                json!("2026-03-02T10:00:00Z"),
            ],
            "invalid-input",
            "at",
            "not-future",
        ),
        (
            "customers.record-event",
            vec![
                admin(),
                json!({"tag": "email", "val": "nobody@example.org"}),
                json!("relationship-ended"),
                json!(null),
            ],
            "not-found",
            "subject",
            "customer-exists",
        ),
        (
            "customers.archived",
            vec![actor("support"), json!({"tag": "email", "val": "alice@example.org"})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "customers.archived",
            vec![admin(), json!({"tag": "email", "val": "nobody@example.org"})],
            "not-found",
            "subject",
            "customer-exists",
        ),
        (
            "retention.sweep",
            vec![actor("support"), json!({"apply": true, "cursor": null, "limit": 10, "repermission-days": 30})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "retention.sweep",
            vec![actor("system"), json!({"apply": true, "cursor": null, "limit": 1001, "repermission-days": 30})],
            "invalid-input",
            "limit",
            "range-1-1000",
        ),
        (
            "retention.sweep",
            vec![actor("system"), json!({"apply": true, "cursor": null, "limit": 10, "repermission-days": 0})],
            "invalid-input",
            "options.repermission-days",
            "range-1-365",
        ),
        (
            "retention.sweep",
            vec![actor("system"), json!({"apply": true, "cursor": "../etc", "limit": 10, "repermission-days": 30})],
            "invalid-input",
            "cursor",
            "subject-id-syntax",
        ),
        ("audit.entries", vec![admin(), json!(null), json!(0)], "invalid-input", "limit", "range-1-1000"),
        ("audit.verify", vec![actor("support")], "forbidden", "actor.role", "role-permitted"),
        ("audit.prune", vec![actor("public")], "forbidden", "actor.role", "role-permitted"),
        (
            "rights.new-request",
            vec![
                admin(),
                json!({"subject": {"tag": "external", "val": "visitor-9"}, "kind": "access", "channel": "web-form",
                       "received-at": null, "lang": "fr", "details": null, "identity-verified": false, "doubtful": null}),
            ],
            "invalid-input",
            "input.subject",
            "contact-known",
        ),
        (
            "rights.new-request",
            vec![
                actor("public"),
                json!({"subject": {"tag": "email", "val": "a@example.org"}, "kind": "access", "channel": "web-form",
                       "received-at": null, "lang": "fr", "details": null, "identity-verified": true, "doubtful": null}),
            ],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "rights.new-request",
            vec![
                admin(),
                json!({"subject": {"tag": "email", "val": "a@example.org"}, "kind": "access", "channel": "web-form",
                       "received-at": "2026-03-02T10:00:00Z", "lang": "fr", "details": null, "identity-verified": true,
                       "doubtful": null}),
            ],
            "invalid-input",
            "input.received-at",
            "not-future",
        ),
        (
            "rights.step",
            vec![admin(), json!("R-000001"), json!({"tag": "verify-token", "val": ""})],
            "invalid-input",
            "token",
            "token-syntax",
        ),
        (
            "rights.step",
            vec![admin(), json!("R-1"), json!({"tag": "resend-token"})],
            "invalid-input",
            "id",
            "id-syntax",
        ),
        (
            "rights.step",
            vec![admin(), json!("R-000001"), json!({"tag": "complete", "val": "ok"})],
            "not-found",
            "id",
            "request-exists",
        ),
        ("rights.get-request", vec![actor("public"), json!("R-000001")], "forbidden", "actor.role", "role-permitted"),
        (
            "rights.list-requests",
            vec![admin(), json!({"tag": "due-within", "val": 400})],
            "invalid-input",
            "filter.due-within",
            "range-1-366",
        ),
        (
            "rights.erase",
            vec![
                actor("support"),
                json!({"tag": "email", "val": "alice@example.org"}),
                json!({"request": null, "claim": null}),
            ],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "rights.erase",
            vec![
                admin(),
                json!({"tag": "email", "val": "nobody@example.org"}),
                json!({"request": null, "claim": null}),
            ],
            "not-found",
            "subject",
            "known-subject",
        ),
        (
            "rights.erase",
            vec![
                admin(),
                json!({"tag": "email", "val": "alice@example.org"}),
                json!({"request": null, "claim": {"categories": ["contact"], "reason": "litige", "until": "2020-01-01T00:00:00Z"}}),
            ],
            "invalid-input",
            "options.claim.until",
            "future",
        ),
        (
            "rights.erase",
            vec![
                admin(),
                json!({"tag": "email", "val": "alice@example.org"}),
                json!({"request": "R-000001", "claim": null}),
            ],
            "not-found",
            "options.request",
            "request-exists",
        ),
        // restriction, objection, rectification (the rights issue's bad inputs)
        ("customers.get", vec![actor("support"), rita.clone()], "conflict", "subject", "not-restricted"),
        (
            "customers.rectify",
            vec![actor("system"), rita.clone(), json!([rita_field("given-name", "Rita")]), json!([])],
            "conflict",
            "subject",
            "not-restricted",
        ),
        (
            "customers.rectify",
            vec![admin(), rita.clone(), json!([rita_field("phone", "06 12")]), json!([])],
            "invalid-input",
            "set[0].value",
            "phone-length",
        ),
        (
            "customers.rectify",
            vec![admin(), rita.clone(), json!([rita_field("email", "rita@")]), json!([])],
            "invalid-input",
            "set[0].value",
            "email-syntax",
        ),
        (
            "rights.change-processing",
            vec![admin(), rita.clone(), json!({"tag": "restrict", "val": ""})],
            "invalid-input",
            "change.restrict",
            "non-empty",
        ),
        (
            "rights.change-processing",
            vec![actor("support"), rita.clone(), json!({"tag": "lift-restriction"})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "rights.change-processing",
            vec![admin(), json!({"tag": "email", "val": "nobody@example.org"}), json!({"tag": "lift-restriction"})],
            "not-found",
            "subject",
            "customer-exists",
        ),
        (
            "rights.change-processing",
            vec![admin(), json!({"tag": "email", "val": "alice@example.org"}), json!({"tag": "lift-restriction"})],
            "not-found",
            "subject",
            "customer-exists",
        ),
        (
            "rights.change-processing",
            vec![actor("public"), rita.clone(), json!({"tag": "object-to-marketing", "val": "web-form"})],
            "forbidden",
            "actor.role",
            "role-permitted",
        ),
        (
            "rights.change-processing",
            vec![
                admin(),
                json!({"tag": "external", "val": "visitor-9"}),
                json!({"tag": "object-to-marketing", "val": "web-form"}),
            ],
            "invalid-input",
            "subject",
            "email-known",
        ),
        (
            "breaches.notify-people",
            vec![admin(), json!("B-0001"), json!([]), json!("fr")],
            "invalid-input",
            "subjects",
            "count-1-500",
        ),
        ("outbox.pending", vec![admin(), json!(null), json!(0)], "invalid-input", "limit", "range-1-1000"),
        ("outbox.pending", vec![admin(), json!("M-1"), json!(10)], "invalid-input", "after", "id-syntax"),
        ("outbox.ack", vec![actor("support"), json!("M-000001")], "forbidden", "actor.role", "role-permitted"),
        ("outbox.ack", vec![admin(), json!("X")], "invalid-input", "id", "id-syntax"),
    ];
    let before = dump(&db);
    for (call, args, tag, field, rule) in &table {
        let (iface, func) = call.split_once('.').expect("call");
        let e = err(&rt, iface, func, args);
        assert_eq!(e["tag"], *tag, "{call} {args:?}: {e}");
        assert_eq!(e["val"]["field"], *field, "{call}: {e}");
        assert_eq!(e["val"]["rule"], *rule, "{call}: {e}");
        assert!(e["val"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{call}: a message for people");
    }
    assert_eq!(dump(&db), before, "no bad input wrote anything");
    // And the component still serves after all of them.
    ok(&rt, "consent", "status", &[admin(), json!({"tag": "email", "val": "alice@example.org"})]);
}

#[test]
fn arguments_of_the_wrong_shape_are_refused_by_the_host_before_the_call() {
    let rt = memory_runtime(NOW);
    for args in [
        vec![],
        vec![admin()],
        vec![admin(), json!({"tag": "email"})],
        vec![admin(), json!({"tag": "phone", "val": "x"})],
    ] {
        assert!(matches!(rt.invoke("consent", "status", &args), Err(fichier_host::CallError::BadCall(_))), "{args:?}");
    }
    assert!(matches!(rt.invoke("consent", "nope", &[]), Err(fichier_host::CallError::BadCall(_))));
    assert!(matches!(rt.invoke("nope", "status", &[]), Err(fichier_host::CallError::BadCall(_))));
    let extra = json!({"id": "newsletter", "kind": "marketing", "title": "t", "validity-months": null, "unknown": 1});
    assert!(matches!(
        rt.invoke("consent", "declare-purpose", &[admin(), extra]),
        Err(fichier_host::CallError::BadCall(_))
    ));
}
