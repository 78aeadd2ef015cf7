//! The retention sweep on the in-memory store, with the register's e-shop defaults:
//! what happens to each field and when (a date table on the Paris calendar), the dry run
//! against the applied sweep, re-runs, interruption, the archive's restricted reading,
//! anonymisation, re-permission and bad input. The component runs the same through
//! wasmtime and SQLite (conformance case `retention-01-sweep`, CLI test).

#![allow(clippy::unwrap_used)]

mod support;

use fichier_domain::Error;
use fichier_domain::consent::*;
use fichier_domain::customers::{ChangeReason, CustomerEvent, FieldInput};
use fichier_domain::kernel::types::*;
use fichier_domain::registry::*;
use fichier_domain::retention::{SweepAction, SweepOptions, SweepReport};
use support::{World, admin};

fn system() -> Actor {
    Actor { id: "cron".into(), role: Role::System }
}

impl World {
    fn new(now: &str) -> Self {
        let mut w = World::empty(now, 9, 3);
        w.declare(&[
            ("orders", PurposeKind::Service),
            ("newsletter", PurposeKind::Marketing),
            ("accounting", PurposeKind::Service),
            ("loyalty", PurposeKind::Marketing),
        ]);
        w.f().load_shop_defaults(&admin()).unwrap();
        w
    }

    fn sweep(&mut self, apply: bool) -> SweepReport {
        let options = SweepOptions { apply, cursor: None, limit: 1000, repermission_days: 30 };
        self.f().sweep(&system(), &options).unwrap()
    }
}

fn field(name: &str, value: &str, category: Option<DataCategory>, purposes: &[&str], collected: &str) -> FieldInput {
    support::field(name, value, category, purposes, Some(collected))
}

fn anne() -> SubjectRef {
    SubjectRef::Email("anne@example.org".into())
}

/// Anne, a customer since 15 January 2020 (10:00 UTC, 11:00 in Paris).
fn with_anne(w: &mut World) -> String {
    let t0 = "2020-01-15T10:00:00.000Z";
    let fields = [
        field("email", "anne@example.org", None, &["orders", "newsletter"], t0),
        field("given-name", "Anne", None, &["orders", "accounting"], t0),
        field("postal-code", "75002", None, &["orders", "accounting"], t0),
        field("last-order", "2020-0001 39,90 EUR", Some(DataCategory::Order), &["orders", "accounting"], t0),
        field("card-brand", "visa", Some(DataCategory::Payment), &["orders"], t0),
        field("loyalty-tier", "gold", Some(DataCategory::Other), &["loyalty"], t0),
    ];
    w.f().create_customer(&admin(), &anne(), &fields).unwrap().subject
}

/// (field or "*", action, due) of a report, sorted.
fn table(r: &SweepReport) -> Vec<(String, &'static str, String)> {
    let mut t: Vec<_> = r
        .entries
        .iter()
        .map(|e| {
            (
                match (&e.field, &e.purpose) {
                    (Some(f), Some(p)) => format!("{f}#{p}"),
                    (Some(f), None) => f.clone(),
                    (None, Some(p)) => format!("#{p}"),
                    (None, None) => "*".into(),
                },
                e.action.as_str(),
                e.due.map(|d| d.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    t.sort();
    t
}

fn row(f: &str, a: &'static str, due: &str) -> (String, &'static str, String) {
    (f.into(), a, due.into())
}

#[test]
fn each_field_follows_its_rules_through_the_years() {
    let mut w = World::new("2020-01-15T10:00:00.000Z");
    with_anne(&mut w);
    // At once: card data and the order are only kept as evidence (archive rules, the
    // accounting hold); the loyalty tier's purpose is in no activity.
    let r = w.sweep(false);
    assert_eq!(
        table(&r),
        vec![
            row("card-brand", "archive", "2021-02-15T22:59:59.999Z"),
            row("last-order", "archive", "2030-01-15T22:59:59.999Z"),
            row("loyalty-tier", "no-rule", ""),
        ]
    );
    assert_eq!((r.scanned, r.changed, r.applied), (1, 0, false));
    // A dry run writes nothing; the sweep then does it.
    assert_eq!(w.sweep(false), r);
    let applied = w.sweep(true);
    assert_eq!((table(&applied), applied.changed, applied.applied), (table(&r), 1, true));

    // 20 December 2022: the newsletter's 3 years end within 30 days: one re-permission.
    let r = w.at("2022-12-20T09:00:00.000Z").sweep(false);
    assert!(table(&r).contains(&row("#newsletter", "repermission", "2023-01-15T22:59:59.999Z")), "{r:?}");
    // The card data's 13 months in the archive ended with 15 February 2021.
    assert!(table(&r).contains(&row("card-brand", "delete-archived", "2021-02-15T22:59:59.999Z")), "{r:?}");
    let r = w.sweep(true);
    assert_eq!(r.changed, 1);
    assert!(table(&r).contains(&row("#newsletter", "repermission", "2023-01-15T22:59:59.999Z")));
    // The request is in the outbox, in the shop's words, with the date it ends.
    let m = w.f().outbox_pending(&system(), None, 10).unwrap().messages;
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].kind, m[0].to.as_str()), (fichier_domain::outbox::MessageKind::Repermission, "anne@example.org"));
    assert!(m[0].body.contains("lettre d'information") && m[0].body.contains("15/01/2023"), "{}", m[0].body);
    // Asked once: not listed again.
    assert!(!table(&w.sweep(false)).iter().any(|(_, a, _)| *a == "repermission"));

    // 16 January 2023: 3 years after the end of the relationship (no order since) ended
    // with 15 January, at midnight in Paris.
    let r = w.at("2023-01-16T09:00:00.000Z").sweep(true);
    assert_eq!(
        table(&r),
        vec![
            row("email", "delete", "2023-01-15T22:59:59.999Z"),
            row("given-name", "archive", "2030-01-15T22:59:59.999Z"),
            row("loyalty-tier", "no-rule", ""),
            row("postal-code", "archive", "2030-01-15T22:59:59.999Z"),
        ]
    );
    let sid = r.entries[0].subject.clone();
    let subject = SubjectRef::Subject(sid.clone());
    let c = w.f().get_customer(&admin(), &subject).unwrap();
    let names: Vec<&str> = c.body.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["loyalty-tier"]);
    // Deleted values are gone from the history too; the entries say why.
    let history = w.f().customer_history(&admin(), &subject).unwrap();
    assert!(history.iter().filter(|h| h.field == "email").all(|h| h.value.is_none() && h.previous.is_none()));
    assert!(history.iter().any(|h| h.field == "email" && h.reason == ChangeReason::Expired));
    assert!(history.iter().any(|h| h.field == "given-name" && h.reason == ChangeReason::Archived));
    // The archive: the DPO reads it, support does not.
    let archived = w.f().archived_fields(&Actor { id: "claire".into(), role: Role::Dpo }, &subject).unwrap();
    let mut names: Vec<&str> = archived.iter().map(|a| a.field.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["given-name", "last-order", "postal-code"]);
    let support = Actor { id: "sam".into(), role: Role::Support };
    assert!(matches!(w.f().archived_fields(&support, &subject), Err(Error::Forbidden(_))));
    // Each action was audited (before it was made), by subject id and field name, never
    // a value; dry runs are audited as reads; the log verifies.
    let (log, _) = w.f().audit_entries(&system(), None, 1000).unwrap();
    let has = |action: &str, detail: &str| {
        log.iter().any(|e| e.action == action && e.target == sid && e.detail.contains(detail))
    };
    assert!(has("retention.delete", "field=email activity=customer-management rule=contact:36m:end-of-contract"));
    assert!(has(
        "retention.archive",
        "field=given-name activity=accounting rule=identity:120m:transaction hold due=2030-01-15"
    ));
    assert!(has("retention.repermission", "purpose=newsletter activity=prospecting"));
    assert!(log.iter().any(|e| e.action == "retention.dry-run" && e.actor.id == "cron"));
    for e in &log {
        for secret in ["anne", "Anne", "75002", "visa", "39,90"] {
            assert!(!e.detail.contains(secret) && !e.target.contains(secret), "{e:?}");
        }
    }
    assert!(w.f().verify_audit(&system()).unwrap().ok);
    // Re-running the same day finds nothing more to do.
    let again = w.sweep(true);
    assert_eq!((again.changed, table(&again)), (0, vec![row("loyalty-tier", "no-rule", "")]));

    // 15 January 2030: the accounting hold ends at midnight in Paris (23:00 UTC); with the
    // loyalty tier removed by the shop, nothing is left and the whole record goes.
    w.f().rectify_customer(&admin(), &subject, &[], &["loyalty-tier".into()]).unwrap();
    assert!(w.at("2030-01-15T22:59:59.999Z").sweep(false).entries.is_empty());
    let r = w.at("2030-01-15T23:00:00.000Z").sweep(true);
    assert_eq!(
        table(&r),
        vec![
            row("*", "delete-record", ""),
            row("given-name", "delete-archived", "2030-01-15T22:59:59.999Z"),
            row("last-order", "delete-archived", "2030-01-15T22:59:59.999Z"),
            row("postal-code", "delete-archived", "2030-01-15T22:59:59.999Z"),
        ]
    );
    assert!(matches!(w.f().get_customer(&admin(), &subject), Err(Error::NotFound(_))));
    assert_eq!(w.sweep(true).scanned, 0);
}

#[test]
fn contacts_orders_and_consent_move_the_start() {
    let mut w = World::new("2020-01-15T10:00:00.000Z");
    let sid = with_anne(&mut w);
    let subject = SubjectRef::Subject(sid);
    // An order in 2022 keeps the customer relationship going, for marketing too: the
    // newsletter runs 3 years from the end of the commercial relationship, the last
    // purchase (référentiel 2021-131), not from the last contact alone: to 31 January 2025.
    w.at("2022-01-31T12:00:00.000Z");
    let order =
        field("last-order", "2022-0042 12,00 EUR", Some(DataCategory::Order), &["orders"], "2022-01-31T12:00:00Z");
    w.f().rectify_customer(&admin(), &subject, &[order], &[]).unwrap();
    let t = table(&w.at("2023-02-01T00:00:00.000Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f.starts_with("email")), "{t:?}");
    let t = table(&w.at("2025-01-31T22:59:59.999Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f.starts_with("email")), "{t:?}");
    let t = table(&w.at("2025-01-31T23:00:00.000Z").sweep(false));
    assert!(t.contains(&row("email", "delete", "2025-01-31T22:59:59.999Z")), "{t:?}");

    // A click from the person on 1 May 2024 (recorded by the shop), then the end of the
    // relationship: both are starts. An older event changes nothing.
    let c =
        w.f().record_customer_event(&admin(), &subject, CustomerEvent::Contact, Some("2024-05-01T08:00:00Z")).unwrap();
    assert_eq!(c.body.last_contact_at.unwrap().to_string(), "2024-05-01T08:00:00.000Z");
    let before = c.revision;
    let c =
        w.f().record_customer_event(&admin(), &subject, CustomerEvent::Contact, Some("2023-01-01T00:00:00Z")).unwrap();
    assert_eq!(c.revision, before);
    // 3 years after the click: 1 May 2027 in Paris, to its midnight (22:00 UTC in summer).
    let r = w.at("2027-05-01T21:59:59.999Z").sweep(false);
    assert!(!table(&r).iter().any(|(f, _, _)| f == "email"), "{r:?}");
    let r = w.at("2027-05-01T22:00:00.000Z").sweep(false);
    assert!(table(&r).contains(&row("email", "delete", "2027-05-01T21:59:59.999Z")), "{r:?}");
    // A recorded end of the relationship later than that counts for marketing too.
    w.f()
        .record_customer_event(&admin(), &subject, CustomerEvent::RelationshipEnded, Some("2025-03-10T10:00:00Z"))
        .unwrap();
    let t = table(&w.sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f.starts_with("email")), "{t:?}");
    let t = table(&w.at("2028-03-10T23:00:00.000Z").sweep(false));
    assert!(t.contains(&row("email", "delete", "2028-03-10T22:59:59.999Z")), "{t:?}");

    // Bad input: a future event, a malformed date.
    let e =
        w.f().record_customer_event(&admin(), &subject, CustomerEvent::RelationshipEnded, Some("2099-01-01T00:00:00Z"));
    assert!(matches!(e, Err(Error::InvalidInput(f)) if f.field == "at" && f.rule == "not-future"));
    let e = w.f().record_customer_event(&admin(), &subject, CustomerEvent::Contact, Some("yesterday"));
    assert!(matches!(e, Err(Error::InvalidInput(f)) if f.field == "at"));
}

#[test]
fn a_consent_given_again_restarts_prospecting() {
    let mut w = World::new("2020-01-15T10:00:00.000Z");
    with_anne(&mut w);
    w.at("2022-12-24T10:00:00.000Z");
    let notice = w
        .f()
        .register_notice(
            &admin(),
            NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Notre lettre.".into() },
        )
        .unwrap();
    let grant =
        support::decision(anne(), "newsletter", Decision::Grant, Channel::WebForm, Some(notice.reference.as_str()));
    w.f().record_decision(&admin(), grant).unwrap();
    // The re-permission worked: the newsletter now runs to 24 December 2025.
    let t = table(&w.at("2023-01-16T09:00:00.000Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f == "email"), "{t:?}");
    let t = table(&w.at("2025-12-24T22:59:59.999Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f == "email"), "{t:?}");
    let t = table(&w.at("2025-12-24T23:00:00.000Z").sweep(false));
    assert!(t.contains(&row("email", "delete", "2025-12-24T22:59:59.999Z")), "{t:?}");
}

#[test]
fn anonymise_keeps_a_coarse_form_and_month_ends_follow_the_calendar() {
    let mut w = World::new("2021-01-31T12:00:00.000Z");
    let l = |s: &str| Localized { fr: s.into(), en: None };
    w.f()
        .put_activity(
            &admin(),
            ActivityInput {
                id: "loyalty-programme".into(),
                name: l("Fidélité"),
                joint_controller: None,
                purposes: vec![ActivityPurpose {
                    id: "loyalty".into(),
                    description: l("Programme de fidélité"),
                    basis: LawfulBasis::Contract,
                    legitimate_interest: None,
                    provision: None,
                }],
                subjects: vec![SubjectCategory::Customers],
                data: vec![
                    DataItem { category: DataCategory::PostalAddress, description: l("Code postal"), sensitive: false },
                    DataItem { category: DataCategory::Identity, description: l("Naissance"), sensitive: false },
                ],
                recipients: vec![],
                transfers: vec![],
                retention: vec![
                    RetentionRule {
                        category: DataCategory::PostalAddress,
                        months: 13,
                        start: RetentionStart::Collection,
                        action: RetentionAction::Anonymise,
                        legal_hold: None,
                    },
                    RetentionRule {
                        category: DataCategory::Identity,
                        months: 1,
                        start: RetentionStart::Collection,
                        action: RetentionAction::Anonymise,
                        legal_hold: None,
                    },
                ],
                security: vec![SecurityMeasure::EncryptionAtRest],
                automated_decisions: None,
            },
        )
        .unwrap();
    let t0 = "2021-01-31T12:00:00Z";
    let fields = [
        field("email", "bob@example.org", None, &["orders"], t0),
        field("postal-code", "97411", None, &["loyalty"], t0),
        field("birth-date", "1990-07-14", None, &["loyalty"], t0),
    ];
    let sid = w.f().create_customer(&admin(), &SubjectRef::Email("bob@example.org".into()), &fields).unwrap().subject;
    // 31 January + 1 month = 28 February; + 13 months = 28 February of the next year; each
    // to the end of that day in Paris (23:00 UTC in winter).
    let t = table(&w.at("2021-02-28T22:59:59.999Z").sweep(false));
    assert!(t.is_empty(), "{t:?}");
    let t = table(&w.at("2021-02-28T23:00:00.000Z").sweep(true));
    assert_eq!(t, vec![row("birth-date", "anonymise", "2021-02-28T22:59:59.999Z")]);
    let t = table(&w.at("2022-02-28T23:00:00.000Z").sweep(true));
    assert_eq!(t, vec![row("postal-code", "anonymise", "2022-02-28T22:59:59.999Z")]);
    let c = w.f().get_customer(&admin(), &SubjectRef::Subject(sid)).unwrap();
    let kept: Vec<(&str, &str)> = c.body.anonymised.iter().map(|a| (a.name.as_str(), a.value.as_str())).collect();
    assert_eq!(kept, [("birth-date", "1990"), ("postal-code", "974")]);
    assert!(
        c.body.history.iter().all(|h| h.value.as_deref() != Some("97411") && h.value.as_deref() != Some("1990-07-14"))
    );
}

#[test]
fn an_interrupted_sweep_resumes_where_it_stopped() {
    let mut w = World::new("2020-01-15T10:00:00.000Z");
    with_anne(&mut w);
    let fields = [field("email", "bob@example.org", None, &["orders"], "2020-01-15T10:00:00Z")];
    w.f().create_customer(&admin(), &SubjectRef::Email("bob@example.org".into()), &fields).unwrap();
    w.at("2023-06-01T00:00:00.000Z");
    let all = w.sweep(false);
    assert_eq!(all.scanned, 2);
    // One page of one record, then "the process stops".
    let first =
        w.f().sweep(&system(), &SweepOptions { apply: true, cursor: None, limit: 1, repermission_days: 30 }).unwrap();
    assert_eq!((first.scanned, first.changed), (1, 1));
    assert!(first.next.is_some());
    // A fresh run from the start plans only what was not done.
    let rest = w.sweep(false);
    let done: Vec<_> = first.entries.iter().filter(|e| e.action != SweepAction::NoRule).collect();
    for e in &done {
        assert!(!rest.entries.iter().any(|r| r.subject == e.subject && r.field == e.field && r.action == e.action));
    }
    let mut expected: Vec<_> = all.entries.iter().filter(|e| !done.contains(e)).cloned().collect();
    let mut got = rest.entries.clone();
    expected.sort_by(|a, b| (&a.subject, &a.field).cmp(&(&b.subject, &b.field)));
    got.sort_by(|a, b| (&a.subject, &a.field).cmp(&(&b.subject, &b.field)));
    assert_eq!(got, expected);
}

#[test]
fn bad_sweep_input_is_refused_by_name() {
    let mut w = World::new("2020-01-15T10:00:00.000Z");
    let cases: Vec<(Actor, SweepOptions, &str)> = vec![
        (system(), SweepOptions { apply: false, cursor: None, limit: 0, repermission_days: 30 }, "limit:range-1-1000"),
        (
            system(),
            SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 0 },
            "options.repermission-days:range-1-365",
        ),
        (
            system(),
            SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 366 },
            "options.repermission-days:range-1-365",
        ),
        (
            system(),
            SweepOptions { apply: false, cursor: Some("../x".into()), limit: 10, repermission_days: 30 },
            "cursor:",
        ),
        (
            Actor { id: "sam".into(), role: Role::Support },
            SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 30 },
            "actor.role:role-permitted",
        ),
    ];
    for (actor, options, want) in cases {
        let e = w.f().sweep(&actor, &options).unwrap_err();
        let got = e.field_error().map(|f| format!("{}:{}", f.field, f.rule)).unwrap();
        assert!(got.starts_with(want), "{got} vs {want}");
    }
}

#[test]
fn an_imported_record_counts_from_the_dates_it_brought() {
    // Imported in 2026, last order in 2019: the relationship ended long ago.
    let mut w = World::new("2026-11-29T10:00:00.000Z");
    let t = "2019-05-01T10:00:00Z";
    let fields = [
        field("email", "old@example.org", None, &["orders"], t),
        field("last-order", "2019-0007", Some(DataCategory::Order), &["orders"], t),
    ];
    w.f().create_customer(&admin(), &SubjectRef::Email("old@example.org".into()), &fields).unwrap();
    let r = w.sweep(false);
    assert_eq!(
        table(&r),
        vec![
            row("*", "delete-record", ""),
            row("email", "delete", "2022-05-01T21:59:59.999Z"),
            row("last-order", "delete", "2024-05-01T21:59:59.999Z"),
        ]
    );
}

/// Référentiel 2021-131 (GDPR.md "Retention"): a customer's marketing data runs 3 years
/// from the end of the commercial relationship, their last purchase, even when they
/// logged in since; an online account is closed after 2 years without a login, and only
/// a login restarts it. A login is not a contact.
#[test]
fn a_login_restarts_the_account_not_marketing() {
    let mut w = World::new("2020-01-15T10:00:00.000Z");
    let t0 = "2020-01-15T10:00:00Z";
    let fields = [
        field("email", "lou@example.org", None, &["newsletter"], t0),
        field("customer-number", "C-0042", Some(DataCategory::Account), &["orders"], t0),
        field("last-order", "2020-0001", Some(DataCategory::Order), &["orders"], t0),
    ];
    let lou = SubjectRef::Email("lou@example.org".into());
    w.f().create_customer(&admin(), &lou, &fields).unwrap();
    // A purchase on 1 March 2021, then a login on 10 January 2022.
    w.at("2021-03-01T10:00:00.000Z");
    let order = field("last-order", "2021-0107", Some(DataCategory::Order), &["orders"], "2021-03-01T10:00:00Z");
    w.f().rectify_customer(&admin(), &lou, &[order], &[]).unwrap();
    w.at("2022-01-10T10:00:00.000Z");
    let c = w.f().record_customer_event(&admin(), &lou, CustomerEvent::Login, None).unwrap();
    assert_eq!(c.body.last_login_at.map(|t| t.to_string()).as_deref(), Some("2022-01-10T10:00:00.000Z"));
    assert_eq!(c.body.last_contact_at, None, "a login is not a contact");
    // Without the login the account would have ended with 15 January 2022: it runs on.
    let t = table(&w.at("2022-06-01T00:00:00.000Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f.starts_with("customer-number") || f.starts_with("email")), "{t:?}");
    // The account: 2 years from the login, to the end of 10 January 2024 in Paris.
    let t = table(&w.at("2024-01-10T22:59:59.999Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f == "customer-number"), "{t:?}");
    let t = table(&w.at("2024-01-10T23:00:00.000Z").sweep(false));
    assert!(t.contains(&row("customer-number", "delete", "2024-01-10T22:59:59.999Z")), "{t:?}");
    // Marketing: 3 years from the purchase, not from the later login: the end of 1 March
    // 2024 in Paris (24:00 CET, 23:00 UTC).
    let t = table(&w.at("2024-03-01T22:59:59.999Z").sweep(false));
    assert!(!t.iter().any(|(f, _, _)| f == "email"), "{t:?}");
    let r = w.at("2024-03-01T23:00:00.000Z").sweep(false);
    assert!(table(&r).contains(&row("email", "delete", "2024-03-01T22:59:59.999Z")), "{r:?}");
    let email = r.entries.iter().find(|e| e.field.as_deref() == Some("email")).unwrap();
    assert_eq!(email.activity.as_deref(), Some("prospecting"));
}
