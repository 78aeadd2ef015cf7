//! Restriction of processing (Art. 18) and objection to direct marketing (Art. 21) on the
//! in-memory store: who may still process a restricted record, the sweep and the import
//! leaving it alone, lifting only after the person is told; objection stopping marketing
//! at once (fields, consent) and keeping the person out of later imports.

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;

use fichier_domain::Error;
use fichier_domain::consent::*;
use fichier_domain::customers::FieldInput;
use fichier_domain::customers::import::{ImportOptions, TextEncoding};
use fichier_domain::kernel::types::*;
use fichier_domain::outbox::MessageKind;
use fichier_domain::retention::{SweepAction, SweepOptions};
use fichier_domain::rights::restriction::ProcessingChange;
use support::{World, admin};

fn actor(role: Role) -> Actor {
    Actor { id: format!("{role:?}").to_lowercase(), role }
}

fn email(e: &str) -> SubjectRef {
    SubjectRef::Email(e.into())
}

fn field(name: &str, value: &str, purposes: &[&str]) -> FieldInput {
    FieldInput {
        name: name.into(),
        value: value.into(),
        category: None,
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        basis: LawfulBasis::Contract,
        source: None,
        collected_at: None,
        verified_at: None,
    }
}

impl World {
    fn new() -> Self {
        let mut w = World::empty("2026-04-01T09:00:00.000Z", 6, 2);
        w.declare(&[("orders", PurposeKind::Service), ("newsletter", PurposeKind::Marketing)]);
        let notice = NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Lettre.".into() };
        w.f().register_notice(&admin(), notice).unwrap();
        w
    }

    fn customer(&mut self, who: &str) {
        let fields = [
            field("email", who, &["orders", "newsletter"]),
            field("given-name", "Eva", &["orders"]),
            field("customer-number", "C-77", &["newsletter"]),
        ];
        self.f().create_customer(&admin(), &email(who), &fields).unwrap();
        let grant =
            support::decision(email(who), "newsletter", Decision::Grant, Channel::WebForm, Some("newsletter:fr:v1"));
        self.f().record_decision(&admin(), grant).unwrap();
    }

    fn change(
        &mut self,
        role: Role,
        who: &str,
        change: ProcessingChange,
    ) -> Result<fichier_domain::rights::restriction::ProcessingState, Error> {
        self.f().change_processing(&actor(role), &email(who), &change)
    }

    fn import(&mut self, csv: &str, seed: u8) -> fichier_domain::customers::import::ImportReport {
        let options = ImportOptions {
            name: "clients.csv".into(),
            file_sha256: format!("{seed:02x}").repeat(32),
            mapping: vec![],
            encoding: TextEncoding::Utf8,
            delimiter: ",".into(),
            default_purposes: vec!["orders".into(), "newsletter".into()],
            default_basis: LawfulBasis::Contract,
            source: None,
            examples_per_rule: None,
        };
        let s = self.f().import_begin(&admin(), options).unwrap();
        let r = self.f().import_feed(&admin(), &s.id, 0, csv.as_bytes(), true).unwrap();
        assert!(r.done);
        self.f().import_report(&admin(), &s.id).unwrap()
    }
}

#[test]
fn a_restricted_record_is_only_stored_until_the_person_is_told() {
    let mut w = World::new();
    w.customer("eva@example.org");
    w.customer("finn@example.org");
    let e = w
        .change(Role::System, "eva@example.org", ProcessingChange::Restrict("exactitude contestée".into()))
        .unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");
    let e = w.change(Role::Support, "eva@example.org", ProcessingChange::Restrict(String::new())).unwrap_err();
    assert_eq!(rule(e), "change.restrict:non-empty");
    let s =
        w.change(Role::Support, "eva@example.org", ProcessingChange::Restrict("exactitude contestée".into())).unwrap();
    assert_eq!(s.restriction.as_ref().map(|r| r.reason.as_str()), Some("exactitude contestée"));

    // Support and automation can no longer process it; the DPO still handles it.
    let support = actor(Role::Support);
    for e in [
        w.f().get_customer(&support, &email("eva@example.org")).unwrap_err(),
        w.f().customer_history(&support, &email("eva@example.org")).unwrap_err(),
        w.f()
            .rectify_customer(&support, &email("eva@example.org"), &[field("given-name", "Ève", &["orders"])], &[])
            .unwrap_err(),
        w.f().mark_bounced(&actor(Role::System), &email("eva@example.org")).unwrap_err(),
        w.f().delete_customer(&actor(Role::System), &email("eva@example.org")).unwrap_err(),
    ] {
        assert_eq!(rule(e), "subject:not-restricted");
    }
    let listed = w.f().list_customers(&support, None, 10).unwrap().customers;
    assert_eq!(listed.len(), 1, "the restricted record is not listed for support");
    assert_eq!(w.f().list_customers(&admin(), None, 10).unwrap().customers.len(), 2);
    w.f()
        .rectify_customer(&actor(Role::Dpo), &email("eva@example.org"), &[field("given-name", "Ève", &["orders"])], &[])
        .unwrap();

    // The sweep reports it and leaves it alone; an import does not touch it.
    let sweep =
        w.f().sweep(&admin(), &SweepOptions { apply: true, cursor: None, limit: 10, repermission_days: 30 }).unwrap();
    assert!(sweep.entries.iter().any(|e| e.action == SweepAction::Restricted), "{sweep:?}");
    let report = w.import("email,given_name\neva@example.org,Eve\n", 1);
    assert_eq!((report.imported, report.updated, report.rejected), (0, 0, 1), "{report:?}");
    assert!(report.issues.iter().any(|i| i.rule == "restricted"), "{report:?}");

    // Lifting: the notice first; refused until it is sent; then lifted.
    let e = w.change(Role::Support, "eva@example.org", ProcessingChange::LiftRestriction).unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");
    let s = w.change(Role::Dpo, "eva@example.org", ProcessingChange::LiftRestriction).unwrap();
    let notice = s.restriction.and_then(|r| r.lift_notice).expect("a notice queued");
    assert!(!s.lifted);
    let e = w.change(Role::Dpo, "eva@example.org", ProcessingChange::LiftRestriction).unwrap_err();
    assert_eq!(rule(e), "subject:person-told");
    let pending = w.f().outbox_pending(&actor(Role::System), None, 10).unwrap().messages;
    let m = pending.iter().find(|m| m.id == notice).unwrap();
    assert_eq!((m.kind, m.to.as_str()), (MessageKind::RestrictionLifted, "eva@example.org"));
    assert!(m.body.contains("2026-04-01") && m.body.contains("article 18"), "{}", m.body);
    w.f().outbox_ack(&actor(Role::System), &notice).unwrap();
    let s = w.change(Role::Dpo, "eva@example.org", ProcessingChange::LiftRestriction).unwrap();
    assert!(s.lifted && s.restriction.is_none());
    assert_eq!(
        w.f().get_customer(&support, &email("eva@example.org")).unwrap().body.field("given-name").unwrap().value,
        "Ève"
    );
    let e = w.change(Role::Dpo, "eva@example.org", ProcessingChange::LiftRestriction).unwrap_err();
    assert_eq!(rule(e), "subject:restricted");
}

#[test]
fn an_objection_stops_marketing_at_once_and_keeps_the_person_out_of_imports() {
    let mut w = World::new();
    w.customer("gael@example.org");
    let s = w.change(Role::System, "gael@example.org", ProcessingChange::ObjectToMarketing(Channel::WebForm)).unwrap();
    assert_eq!(s.purposes_stopped, ["newsletter"]);
    assert_eq!(s.fields_removed, ["customer-number"]);
    assert_eq!(
        s.opposed_until.map(|t| t.to_string()).as_deref(),
        Some("2029-04-01T21:59:59.999Z"),
        "kept to the end of the Paris day"
    );
    let c = w.f().get_customer(&admin(), &email("gael@example.org")).unwrap();
    assert!(c.body.fields.iter().all(|f| !f.purposes.contains(&"newsletter".to_string())), "{c:?}");
    let status = w.f().status(&admin(), &email("gael@example.org")).unwrap();
    assert_eq!(status.purposes.iter().find(|p| p.purpose == "newsletter").unwrap().state, ConsentState::Withdrawn);
    // Objecting again changes nothing more and stays harmless.
    let again =
        w.change(Role::Support, "gael@example.org", ProcessingChange::ObjectToMarketing(Channel::Phone)).unwrap();
    assert!(again.purposes_stopped.is_empty() && again.fields_removed.is_empty());

    // A person never seen can object too (by e-mail); neither is imported again. The
    // list holds keyed hashes only.
    w.change(Role::Support, "Hana@Example.org", ProcessingChange::ObjectToMarketing(Channel::Paper)).unwrap();
    w.f().delete_customer(&admin(), &email("gael@example.org")).unwrap();
    let report = w.import("email,given_name\ngael@example.org,Gael\nhana@example.org,Hana\nines@example.org,Ines\n", 2);
    assert_eq!((report.imported, report.rejected), (1, 2), "{report:?}");
    assert_eq!(report.issues.iter().filter(|i| i.rule == "opposed").count(), 2);
    assert!(!w.store.raw().iter().any(|(_, k, v)| k.contains("hana") || v.windows(4).any(|x| x == b"hana")));

    // After the policy's period the list no longer applies.
    w.at("2029-04-02T09:00:00.000Z");
    let report = w.import("email,given_name\nhana@example.org,Hana\n", 3);
    assert_eq!(report.imported, 1, "{report:?}");

    let e = w
        .f()
        .change_processing(
            &actor(Role::Support),
            &SubjectRef::External("x-1".into()),
            &ProcessingChange::ObjectToMarketing(Channel::WebForm),
        )
        .unwrap_err();
    assert_eq!(rule(e), "subject:email-known");
    let e =
        w.change(Role::Public, "gael@example.org", ProcessingChange::ObjectToMarketing(Channel::WebForm)).unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");
}

#[test]
fn staff_reads_of_consent_are_audited_a_visitor_reading_its_own_is_not() {
    let mut w = World::new();
    w.customer("ivy@example.org");
    let visitor = SubjectRef::External("banner-visitor-1".into());
    let refusal = support::decision(visitor.clone(), "newsletter", Decision::Refuse, Channel::CookieBanner, None);
    w.f().record_decision(&actor(Role::Public), refusal).unwrap();
    let count = |w: &mut World, action: &str| {
        let (entries, _) = w.f().audit_entries(&admin(), None, 1000).unwrap();
        entries.iter().filter(|e| e.action == action).count()
    };
    w.f().status(&actor(Role::Public), &visitor).unwrap();
    assert_eq!(count(&mut w, "consent.status"), 0, "the person reading their own status");
    w.f().status(&actor(Role::System), &email("ivy@example.org")).unwrap();
    w.f().history(&actor(Role::Support), &email("ivy@example.org")).unwrap();
    assert_eq!((count(&mut w, "consent.status"), count(&mut w, "consent.history")), (1, 1));
    let (entries, _) = w.f().audit_entries(&admin(), None, 1000).unwrap();
    let read = entries.iter().find(|e| e.action == "consent.history").unwrap();
    assert_eq!(
        (read.actor.role, read.target.starts_with("s-"), read.detail.as_str()),
        (Role::Support, true, "1 receipts")
    );
}
