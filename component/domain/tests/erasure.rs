//! Erasure on the in-memory store with the register's e-shop defaults: what goes, what a
//! legal hold or a claim keeps (and the sweep deletes at the hold's end), key destruction
//! against a copy of the data taken before, the consent ledger still verifying, the
//! request answered, a second erasure, roles and bad input. The component runs the same
//! through wasmtime and SQLite (`tests/tests/storage.rs`, the backup test).

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;

use fichier_domain::consent::*;
use fichier_domain::customers::FieldInput;
use fichier_domain::kernel::store::Bucket;
use fichier_domain::kernel::types::{Lang, *};
use fichier_domain::outbox::MessageKind;
use fichier_domain::retention::{SweepAction, SweepOptions};
use fichier_domain::rights::erasure::{ClaimHold, EraseOptions};
use fichier_domain::rights::{RequestChannel, RequestInput, RequestKind, RequestState};
use support::{World, admin};

fn actor(role: Role) -> Actor {
    Actor { id: format!("{role:?}").to_lowercase(), role }
}

fn field(name: &str, value: &str, category: Option<DataCategory>, purposes: &[&str]) -> FieldInput {
    support::field(name, value, category, purposes, Some("2025-03-01T10:00:00.000Z"))
}

fn email(e: &str) -> SubjectRef {
    SubjectRef::Email(e.into())
}

impl World {
    fn new() -> Self {
        let mut w = World::empty("2026-03-01T10:00:00.000Z", 4, 8);
        w.declare(&[
            ("orders", PurposeKind::Service),
            ("newsletter", PurposeKind::Marketing),
            ("accounting", PurposeKind::Service),
        ]);
        w.f().load_shop_defaults(&admin()).unwrap();
        let notice =
            NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Notre lettre.".into() };
        w.f().register_notice(&admin(), notice).unwrap();
        w
    }

    fn customer(&mut self, who: &str) -> String {
        let fields = [
            field("email", who, None, &["orders", "newsletter"]),
            field("given-name", "Anne", None, &["orders"]),
            field("phone", "06 12 34 56 78", None, &["orders"]),
            field("last-order", "2025-0042 59,00 EUR", Some(DataCategory::Order), &["orders", "accounting"]),
        ];
        let c = self.f().create_customer(&admin(), &email(who), &fields).unwrap();
        self.f()
            .rectify_customer(&admin(), &email(who), &[field("phone", "06 98 76 54 32", None, &["orders"])], &[])
            .unwrap();
        let grant =
            support::decision(email(who), "newsletter", Decision::Grant, Channel::WebForm, Some("newsletter:fr:v1"));
        let receipt = ReceiptInput { client_ip: Some("192.0.2.7".into()), ..grant };
        self.f().record_decision(&admin(), receipt).unwrap();
        c.subject
    }

    fn erasure_request(&mut self, who: &str) -> String {
        let input = RequestInput {
            subject: email(who),
            kind: RequestKind::Erasure,
            channel: RequestChannel::Email,
            received_at: None,
            lang: Lang::Fr,
            details: Some("Effacez tout.".into()),
            identity_verified: true,
            doubtful: None,
        };
        self.f().new_request(&actor(Role::Support), input).unwrap().record.id
    }
}

fn clear_text(w: &World, needle: &str) -> bool {
    w.store.raw().iter().any(|(_, k, v)| k.contains(needle) || v.windows(needle.len()).any(|x| x == needle.as_bytes()))
}

#[test]
fn erasure_keeps_what_a_hold_needs_destroys_the_key_and_answers_the_person() {
    let mut w = World::new();
    let anne = w.customer("anne@example.org");
    w.customer("bob@example.org");
    let id = w.erasure_request("anne@example.org");
    let before = w.store.raw();

    // Support may read a customer, not erase one.
    let e = w.f().erase(&actor(Role::Support), &email("anne@example.org"), &EraseOptions::default()).unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");

    let options = EraseOptions { request: Some(id.clone()), claim: None };
    let report = w.f().erase(&actor(Role::Dpo), &email("anne@example.org"), &options).unwrap();
    let mut deleted: Vec<&str> = report.deleted.iter().map(|d| d.field.as_str()).collect();
    deleted.sort();
    assert_eq!(deleted, ["email", "given-name", "phone"]);
    // The order is kept under the accounting activity's hold (Code de commerce, 10 years
    // from the transaction, to the end of that day in Paris: 24:00 CET is 23:00 UTC).
    assert_eq!(report.kept.len(), 1, "{report:?}");
    let kept = &report.kept[0];
    assert_eq!((kept.field.as_str(), kept.category), ("last-order", DataCategory::Order));
    assert!(kept.basis.contains("L123-22"), "{kept:?}");
    assert_eq!(kept.until.to_string(), "2035-03-01T22:59:59.999Z");
    assert_eq!((report.history_entries, report.consent_receipts, report.already_erased), (5, 1, None));

    // The customer is gone; the held order is readable by the DPO only, the ledger still
    // verifies, status shows no consent, Bob is untouched.
    let e = w.f().get_customer(&admin(), &email("anne@example.org")).unwrap_err();
    assert_eq!(rule(e), "subject:customer-exists");
    let held = w.f().archived_fields(&actor(Role::Dpo), &email("anne@example.org")).unwrap();
    assert_eq!(
        held.iter().map(|h| (h.field.name.as_str(), h.field.value.as_str())).collect::<Vec<_>>(),
        [("last-order", "2025-0042 59,00 EUR")]
    );
    let e = w.f().archived_fields(&actor(Role::Support), &email("anne@example.org")).unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");
    let ledger = w.f().verify_ledger(&admin()).unwrap();
    assert!(ledger.ok && ledger.receipts == 2, "{ledger:?}");
    let status = w.f().status(&admin(), &email("anne@example.org")).unwrap();
    assert!(status.purposes.iter().all(|p| p.receipt.is_none()), "{status:?}");
    assert!(w.f().history(&admin(), &email("anne@example.org")).unwrap().is_empty());
    assert_eq!(w.f().get_customer(&admin(), &email("bob@example.org")).unwrap().body.fields.len(), 4);

    // The request is done with the report; the person's words are gone; the answer waits
    // in the outbox, readable, with what was kept and why.
    let r = w.f().get_request(&admin(), &id).unwrap();
    assert_eq!((r.record.state, r.email, r.details), (RequestState::Done, None, None));
    let pending = w.f().outbox_pending(&actor(Role::System), None, 100).unwrap().messages;
    let answer = pending.iter().find(|m| m.kind == MessageKind::Answer && m.request.as_deref() == Some(&id)).unwrap();
    assert_eq!(answer.to, "anne@example.org");
    assert!(
        answer.body.contains("last-order : Code de commerce") && answer.body.contains("jusqu'au 2035-03-01"),
        "{}",
        answer.body
    );
    assert!(w.f().outbox_ack(&actor(Role::System), &answer.id).unwrap());

    // Nothing of Anne's in clear anywhere, and a copy of the data taken before the erasure
    // does not open with the current keys (Bob's still does).
    for needle in ["anne@example.org", "Anne", "0612345678", "Effacez"] {
        assert!(!clear_text(&w, needle), "{needle} in clear");
    }
    let restored = World::empty("2026-03-02T10:00:00.000Z", 4, 9);
    for (bucket, key, value) in &before {
        if *bucket == Bucket::Data {
            restored.store.raw_set(Bucket::Data, key, value.clone());
        }
    }
    for (bucket, key, value) in w.store.raw() {
        if bucket == Bucket::Keys {
            restored.store.raw_set(Bucket::Keys, &key, value);
        }
    }
    let mut restored = restored;
    let e = restored.f().get_customer(&admin(), &email("anne@example.org")).unwrap_err();
    assert_eq!(rule(e), "subject:not-erased");
    assert_eq!(restored.f().get_customer(&admin(), &email("bob@example.org")).unwrap().body.fields.len(), 4);

    // Erasing again deletes nothing and says when it was done.
    let again = w.f().erase(&admin(), &email("anne@example.org"), &EraseOptions::default()).unwrap();
    assert_eq!(again.already_erased.map(|t| t.to_string()).as_deref(), Some("2026-03-01T10:00:00.000Z"));
    assert!(again.deleted.is_empty() && again.kept.is_empty());
    assert_eq!(again.subject, anne);

    // Anne comes back: a new record, a new consent, under the new key.
    w.customer("anne@example.org");
    assert!(w.f().verify_ledger(&admin()).unwrap().ok);
    assert_eq!(w.f().history(&admin(), &email("anne@example.org")).unwrap().len(), 1);

    // The hold ends with 1 March 2035: at its last millisecond nothing goes; from the next
    // midnight in Paris the sweep deletes the held order and its key.
    w.at("2035-03-01T22:59:59.999Z");
    let dry =
        w.f().sweep(&admin(), &SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    assert!(!dry.entries.iter().any(|e| e.subject == anne && e.action == SweepAction::DeleteArchived), "{dry:?}");
    w.at("2035-03-01T23:00:00.000Z");
    let dry =
        w.f().sweep(&admin(), &SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    let ended: Vec<_> =
        dry.entries.iter().filter(|e| e.subject == anne && e.action == SweepAction::DeleteArchived).collect();
    assert_eq!(ended.len(), 1, "{dry:?}");
    w.f().sweep(&admin(), &SweepOptions { apply: true, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    assert!(!w.store.raw().iter().any(|(_, k, _)| k == &format!("held/{anne}") || k == &format!("hold/{anne}")));
}

#[test]
fn a_claim_keeps_its_categories_and_bad_options_write_nothing() {
    let mut w = World::new();
    w.customer("carla@example.org");
    let claim = |categories: Vec<DataCategory>, reason: &str, until: &str| EraseOptions {
        request: None,
        claim: Some(ClaimHold { categories, reason: reason.into(), until: until.into() }),
    };
    let cases = [
        (claim(vec![], "x", "2027-01-01T00:00:00Z"), "options.claim.categories:non-empty"),
        (claim(vec![DataCategory::Contact], "", "2027-01-01T00:00:00Z"), "options.claim.reason:non-empty"),
        (claim(vec![DataCategory::Contact], "x", "2026-01-01T00:00:00Z"), "options.claim.until:future"),
        (claim(vec![DataCategory::Contact], "x", "2099-01-01T00:00:00Z"), "options.claim.until:within-30-years"),
        (EraseOptions { request: Some("R-1".into()), claim: None }, "options.request:id-syntax"),
        (EraseOptions { request: Some("R-000009".into()), claim: None }, "options.request:request-exists"),
    ];
    let before = w.store.raw();
    for (options, expected) in cases {
        let e = w.f().erase(&admin(), &email("carla@example.org"), &options).unwrap_err();
        assert_eq!(rule(e), expected);
    }
    assert_eq!(w.store.raw(), before, "refused erasures write nothing");
    let e = w.f().erase(&admin(), &email("nobody@example.org"), &EraseOptions::default()).unwrap_err();
    assert_eq!(rule(e), "subject:known-subject");

    // A request not yet verified, or another kind, is refused.
    let mut input = RequestInput {
        subject: email("carla@example.org"),
        kind: RequestKind::Access,
        channel: RequestChannel::Email,
        received_at: None,
        lang: Lang::En,
        details: None,
        identity_verified: true,
        doubtful: None,
    };
    let access = w.f().new_request(&admin(), input.clone()).unwrap().record.id;
    input.kind = RequestKind::Erasure;
    input.identity_verified = false;
    let unverified = w.f().new_request(&admin(), input).unwrap().record.id;
    for (id, expected) in
        [(access, "options.request:erasure-request"), (unverified, "options.request:identity-checked")]
    {
        let e = w
            .f()
            .erase(&admin(), &email("carla@example.org"), &EraseOptions { request: Some(id), claim: None })
            .unwrap_err();
        assert_eq!(rule(e), expected);
    }

    // A dispute over contact data keeps the e-mail and phone until it ends.
    let report = w
        .f()
        .erase(
            &admin(),
            &email("carla@example.org"),
            &claim(vec![DataCategory::Contact], "litige 2026-17", "2028-06-30T00:00:00Z"),
        )
        .unwrap();
    let mut kept: Vec<(&str, &str)> = report.kept.iter().map(|k| (k.field.as_str(), k.rule.as_str())).collect();
    kept.sort();
    assert_eq!(kept, [("email", "legal-claim"), ("last-order", "accounting"), ("phone", "legal-claim")]);
    assert!(report.kept.iter().filter(|k| k.rule == "legal-claim").all(|k| k.basis == "litige 2026-17"));
    // The identity token sent for the unverified request is dropped with the old key.
    assert_eq!(report.messages_dropped, 1);
}

/// CNIL délibération 2018-303 and Art. 17(3)(e): card data kept in the archive for
/// disputes 13 months after the debit is a legal-claims exception. An erasure keeps it
/// exactly as long as the sweep would (to the end of that day in Paris), naming the
/// activity and the rule; the sweep then deletes it.
#[test]
fn erasure_keeps_card_data_for_disputes_until_the_sweeps_end() {
    let mut w = World::new();
    let card = |who: &str| {
        [field("email", who, None, &["orders"]), field("card-brand", "visa", Some(DataCategory::Payment), &["orders"])]
    };
    // Debited on 1 March 2025 (10:00 UTC): the archive runs to the end of 1 April 2026.
    w.f().create_customer(&admin(), &email("dan@example.org"), &card("dan@example.org")).unwrap();
    w.f().create_customer(&admin(), &email("eve@example.org"), &card("eve@example.org")).unwrap();
    let swept =
        w.f().sweep(&admin(), &SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    let archive = swept.entries.iter().find(|e| e.field.as_deref() == Some("card-brand")).unwrap();
    assert_eq!(archive.action, SweepAction::Archive);
    let sweep_end = archive.due.unwrap().to_string();
    assert_eq!(sweep_end, "2026-04-01T21:59:59.999Z");

    let report = w.f().erase(&admin(), &email("dan@example.org"), &EraseOptions::default()).unwrap();
    assert_eq!(report.deleted.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["email"]);
    assert_eq!(report.kept.len(), 1, "{report:?}");
    let kept = &report.kept[0];
    assert_eq!((kept.field.as_str(), kept.rule.as_str()), ("card-brand", "customer-management"));
    assert!(kept.basis.contains("2018-303") && kept.basis.contains("17(3)(e)"), "{kept:?}");
    assert_eq!(kept.until.to_string(), sweep_end, "erasure and sweep agree");
    let fr = fichier_domain::rights::erasure::render(&report, Lang::Fr, fichier_domain::kernel::time::DEFAULT_ZONE);
    assert!(fr.contains("card-brand : CNIL, délibération 2018-303") && fr.contains("jusqu'au 2026-04-01"), "{fr}");

    // The last millisecond of 1 April 2026 (Paris) keeps it; the next midnight ends it.
    w.at("2026-04-01T21:59:59.999Z");
    let dry =
        w.f().sweep(&admin(), &SweepOptions { apply: false, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    assert!(!dry.entries.iter().any(|e| e.subject == report.subject), "{dry:?}");
    w.at("2026-04-01T22:00:00.000Z");
    let r =
        w.f().sweep(&admin(), &SweepOptions { apply: true, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    let ended: Vec<_> = r.entries.iter().filter(|e| e.subject == report.subject).collect();
    assert_eq!(ended.len(), 1, "{r:?}");
    assert_eq!((ended[0].action, ended[0].field.as_deref()), (SweepAction::DeleteArchived, Some("card-brand")));
    assert!(w.f().archived_fields(&actor(Role::Dpo), &email("dan@example.org")).is_err());
}

/// Art. 17(3)(e) and CNIL délibération 2018-303 (GDPR.md "Retention"): an open dispute
/// holds the fields it names with no end date, past the card archive's 13 months, in the
/// sweep and through an erasure; once it is closed the sweep applies the normal rule.
#[test]
fn an_open_dispute_keeps_its_fields_until_it_is_closed() {
    let mut w = World::new();
    let card = |who: &str| {
        [field("email", who, None, &["orders"]), field("card-brand", "visa", Some(DataCategory::Payment), &["orders"])]
    };
    let sweep = |w: &mut World, apply: bool| {
        let options = SweepOptions { apply, cursor: None, limit: 10, repermission_days: 30 };
        w.f().sweep(&admin(), &options).unwrap()
    };
    w.f().create_customer(&admin(), &email("fay@example.org"), &card("fay@example.org")).unwrap();
    let gus = w.f().create_customer(&admin(), &email("gus@example.org"), &card("gus@example.org")).unwrap().subject;
    let fields = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

    // Who may open one, and bad input, refused by name; nothing changes.
    let before = w.store.raw();
    let fay = email("fay@example.org");
    let e = w.f().open_dispute(&actor(Role::Support), &fay, "CB-1", &fields(&["card-brand"])).unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");
    for (reference, names, expected) in [
        ("", &["card-brand"][..], "reference:non-empty"),
        ("CB\n1", &["card-brand"][..], "reference:printable"),
        ("CB-1", &[][..], "fields:non-empty"),
        ("CB-1", &["Card"][..], "fields[0]:field-name-syntax"),
        ("CB-1", &["card-brand", "card-brand"][..], "fields[1]:unique"),
        ("CB-1", &["iban"][..], "fields[0]:field-exists"),
    ] {
        let e = w.f().open_dispute(&admin(), &fay, reference, &fields(names)).unwrap_err();
        assert_eq!(rule(e), expected);
    }
    let e = w.f().close_dispute(&admin(), &fay, "CB-1").unwrap_err();
    assert_eq!(rule(e), "reference:dispute-open");
    assert_eq!(w.store.raw(), before, "refused calls write nothing");

    // A chargeback on each card.
    let open = w.f().open_dispute(&actor(Role::Dpo), &fay, "CB-2026-0042", &fields(&["card-brand"])).unwrap();
    assert_eq!(
        (open.len(), open[0].reference.as_str(), open[0].fields.clone()),
        (1, "CB-2026-0042", fields(&["card-brand"]))
    );
    let e = w.f().open_dispute(&admin(), &fay, "CB-2026-0042", &fields(&["email"])).unwrap_err();
    assert_eq!(rule(e), "reference:unique");
    w.f().open_dispute(&admin(), &email("gus@example.org"), "CB-2026-0043", &fields(&["card-brand"])).unwrap();
    sweep(&mut w, true);

    // Past the archive's end (1 April 2026, Paris), the disputes keep both cards.
    w.at("2026-04-02T10:00:00.000Z");
    let r = sweep(&mut w, false);
    assert!(!r.entries.iter().any(|e| e.field.as_deref() == Some("card-brand")), "{r:?}");
    // Fay is erased meanwhile: her card is kept for the dispute, until it is closed.
    let report = w.f().erase(&admin(), &fay, &EraseOptions::default()).unwrap();
    assert_eq!(report.kept.len(), 1, "{report:?}");
    let kept = &report.kept[0];
    assert_eq!(
        (kept.field.as_str(), kept.rule.as_str(), kept.basis.as_str()),
        ("card-brand", "dispute", "CB-2026-0042")
    );
    let fr = fichier_domain::rights::erasure::render(&report, Lang::Fr, fichier_domain::kernel::time::DEFAULT_ZONE);
    assert!(
        fr.contains("card-brand : litige en cours (CB-2026-0042), RGPD art. 17(3)(e) ; jusqu'à sa clôture"),
        "{fr}"
    );
    w.at("2026-06-01T10:00:00.000Z");
    let r = sweep(&mut w, true);
    assert!(!r.entries.iter().any(|e| e.field.as_deref() == Some("card-brand")), "{r:?}");
    assert_eq!(w.f().archived_fields(&actor(Role::Dpo), &fay).unwrap().len(), 1);

    // Closed: the sweep applies the normal rule (the archive ended on 1 April 2026).
    assert!(w.f().close_dispute(&admin(), &fay, "CB-2026-0042").unwrap().is_empty());
    let e = w.f().close_dispute(&admin(), &fay, "CB-2026-0042").unwrap_err();
    assert_eq!(rule(e), "reference:dispute-open");
    assert!(w.f().close_dispute(&admin(), &email("gus@example.org"), "CB-2026-0043").unwrap().is_empty());
    let r = sweep(&mut w, true);
    let mut ended: Vec<(&str, SweepAction)> = r
        .entries
        .iter()
        .filter(|e| e.field.as_deref() == Some("card-brand"))
        .map(|e| (e.subject.as_str(), e.action))
        .collect();
    ended.sort();
    let mut want =
        vec![(report.subject.as_str(), SweepAction::DeleteArchived), (gus.as_str(), SweepAction::DeleteArchived)];
    want.sort();
    assert_eq!(ended, want, "{r:?}");
    let gus_card = r.entries.iter().find(|e| e.subject == gus && e.field.as_deref() == Some("card-brand")).unwrap();
    assert_eq!(gus_card.due.map(|d| d.to_string()).as_deref(), Some("2026-04-01T21:59:59.999Z"));
    assert!(w.f().archived_fields(&actor(Role::Dpo), &fay).is_err());
    let (log, _) = w.f().audit_entries(&admin(), None, 1000).unwrap();
    assert!(log.iter().any(|e| e.action == "retention.dispute-open" && e.detail == "fields=card-brand"));
    assert!(log.iter().any(|e| e.action == "retention.dispute-close"));
}
