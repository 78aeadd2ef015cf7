//! The registers on the in-memory store: the record of processing activities (Art. 30),
//! its defaults, exports and consistency check, the notices generated from it (Art. 13),
//! and the breach register (Art. 33). The component tests run the same operations
//! through wasmtime and SQLite (conformance cases, CLI).

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;

use fichier_domain::Error;
use fichier_domain::customers::FieldInput;
use fichier_domain::kernel::types::*;
use fichier_domain::minimisation::Severity;
use fichier_domain::registry::breaches::{
    BreachInput, BreachNature, BreachRisk, Disproportionate, PeopleInformed, PublicCommunication,
};
use fichier_domain::registry::export::{ExportFormat, HEADINGS};
use fichier_domain::registry::*;
use support::{World, admin};

const NOW: &str = "2026-11-29T10:00:00.000Z";

fn dpo() -> Actor {
    Actor { id: "claire".into(), role: Role::Dpo }
}

impl World {
    fn new() -> Self {
        World::empty(NOW, 7, 1)
    }
}

fn contact(name: &str, email: &str) -> Contact {
    Contact { name: name.into(), address: None, email: Some(email.into()), phone: None }
}

fn org() -> Organisation {
    Organisation {
        controller: Contact {
            name: "Boutique Exemple SAS".into(),
            address: Some("1 rue de la Paix\n75002 Paris".into()),
            email: Some("Contact@Boutique.example".into()),
            phone: None,
        },
        representative: None,
        dpo: Some(contact("Claire Martin", "dpo@boutique.example")),
    }
}

fn l(fr: &str) -> Localized {
    Localized { fr: fr.into(), en: Some(format!("{fr} (en)")) }
}

/// A small valid activity.
fn activity(id: &str) -> ActivityInput {
    ActivityInput {
        id: id.into(),
        name: l("Club fidélité"),
        joint_controller: None,
        purposes: vec![ActivityPurpose {
            id: "loyalty".into(),
            description: l("Programme de fidélité"),
            basis: LawfulBasis::Contract,
            legitimate_interest: None,
            provision: None,
        }],
        subjects: vec![SubjectCategory::Customers],
        data: vec![DataItem { category: DataCategory::Identity, description: l("Nom"), sensitive: false }],
        recipients: vec![],
        transfers: vec![],
        retention: vec![RetentionRule {
            category: DataCategory::Identity,
            months: 36,
            start: RetentionStart::EndOfContract,
            action: RetentionAction::Delete,
            legal_hold: None,
        }],
        security: vec![SecurityMeasure::EncryptionAtRest],
        automated_decisions: None,
    }
}

#[test]
fn bad_activities_are_refused_with_the_field_and_rule() {
    let mut w = World::new();
    type Break = fn(&mut ActivityInput);
    let table: Vec<(Break, &str)> = vec![
        (|a| a.id = "Club".into(), "input.id:activity-id-syntax"),
        (|a| a.id = String::new(), "input.id:activity-id-syntax"),
        (|a| a.name.fr = " ".into(), "input.name.fr:non-empty"),
        (|a| a.name.en = Some("x".repeat(201)), "input.name.en:max-length"),
        (|a| a.name.fr = "a\u{7}b".into(), "input.name.fr:printable"),
        (|a| a.purposes.clear(), "input.purposes:non-empty"),
        (|a| a.purposes[0].id = "Bad Id".into(), "input.purposes[0].id:purpose-id-syntax"),
        (|a| a.purposes.push(a.purposes[0].clone()), "input.purposes[1].id:unique"),
        (
            |a| a.purposes[0].basis = LawfulBasis::LegitimateInterests,
            "input.purposes[0].legitimate-interest:stated-when-legitimate-interests",
        ),
        (
            |a| a.purposes[0].legitimate_interest = Some(l("intérêt")),
            "input.purposes[0].legitimate-interest:only-with-legitimate-interests",
        ),
        (|a| a.subjects.clear(), "input.subjects:non-empty"),
        (|a| a.subjects.push(SubjectCategory::Customers), "input.subjects[1]:unique"),
        (|a| a.data.clear(), "input.data:non-empty"),
        (|a| a.data.push(a.data[0].clone()), "input.data[1].category:unique"),
        (|a| a.retention[0].category = DataCategory::Payment, "input.retention[0].category:declared-category"),
        (|a| a.retention[0].months = 0, "input.retention[0].months:range-1-1200"),
        (|a| a.retention[0].months = 1201, "input.retention[0].months:range-1-1200"),
        (|a| a.retention.push(a.retention[0].clone()), "input.retention[1].category:unique"),
        (
            |a| {
                a.retention[0].legal_hold = Some(l("Code de commerce"));
                a.retention[0].months = 6;
            },
            "input.retention[0].months:legal-hold-period",
        ),
        (
            |a| {
                a.transfers.push(Transfer {
                    recipient: "Hébergeur".into(),
                    country: "DE".into(),
                    safeguard: Safeguard::StandardContractualClauses,
                    details: None,
                })
            },
            "input.transfers[0].country:outside-eea",
        ),
        (
            |a| {
                a.transfers.push(Transfer {
                    recipient: "Hébergeur".into(),
                    country: "usa".into(),
                    safeguard: Safeguard::StandardContractualClauses,
                    details: None,
                })
            },
            "input.transfers[0].country:iso-3166-alpha-2",
        ),
        (|a| a.security.clear(), "input.security:non-empty"),
        (|a| a.security.push(SecurityMeasure::EncryptionAtRest), "input.security[1]:unique"),
        (|a| a.recipients = vec![Recipient { name: l(""), internal: true }], "input.recipients[0].name.fr:non-empty"),
        (
            |a| a.joint_controller = Some(Contact { name: "X".into(), address: None, email: None, phone: None }),
            "input.joint-controller:contact-details",
        ),
        (|a| a.joint_controller = Some(contact("X", "not-an-email")), "input.joint-controller.email:email-syntax"),
        (|a| a.data = (0..65).map(|_| a.data[0].clone()).collect(), "input.data:max-items"),
    ];
    for (break_it, expected) in table {
        let mut a = activity("club");
        break_it(&mut a);
        let got = w.f().put_activity(&admin(), a).map(|_| ()).map_err(rule);
        assert_eq!(got, Err(expected.to_string()), "{expected}");
    }
    // Nothing was written by any of them.
    assert!(w.f().list_activities(&admin(), true).unwrap().is_empty());
    assert!(w.f().registry_history(&admin(), None).unwrap().is_empty());
    // Roles: support reads, only admin and dpo write.
    let support = Actor { id: "sam".into(), role: Role::Support };
    assert_eq!(rule(w.f().put_activity(&support, activity("club")).unwrap_err()), "actor.role:role-permitted");
    assert!(w.f().list_activities(&support, false).is_ok());
    let public = Actor { id: "v".into(), role: Role::Public };
    assert_eq!(rule(w.f().list_activities(&public, false).unwrap_err()), "actor.role:role-permitted");
}

#[test]
fn every_change_is_in_the_history_with_actor_fields_and_time() {
    let mut w = World::new();
    let a = w.f().put_activity(&admin(), activity("club")).unwrap();
    assert_eq!((a.revision, a.created_at.as_str()), (1, NOW));
    // The same definition again writes nothing.
    let again = w.f().put_activity(&admin(), activity("club")).unwrap();
    assert_eq!(again, a);
    w.now = "2026-12-01T08:00:00.000Z".into();
    let mut changed = activity("club");
    changed.retention[0].months = 24;
    changed.name.en = None;
    let b = w.f().put_activity(&dpo(), changed.clone()).unwrap();
    assert_eq!((b.revision, b.created_at.as_str(), b.changed_at.as_str()), (2, NOW, "2026-12-01T08:00:00.000Z"));
    assert_eq!(b.changed_by, dpo());
    w.now = "2026-12-02T08:00:00.000Z".into();
    let r = w.f().retire_activity(&admin(), "club", "programme arrêté").unwrap();
    assert_eq!((r.revision, r.retired.as_ref().map(|x| x.reason.as_str())), (3, Some("programme arrêté")));
    // Retiring again changes nothing; a retired activity leaves the default listing.
    assert_eq!(w.f().retire_activity(&admin(), "club", "encore").unwrap(), r);
    assert!(w.f().list_activities(&admin(), false).unwrap().is_empty());
    assert_eq!(w.f().list_activities(&admin(), true).unwrap().len(), 1);
    // Putting it back reinstates it.
    w.f().put_activity(&admin(), changed).unwrap();
    w.f().set_organisation(&admin(), org()).unwrap();
    let h = w.f().registry_history(&admin(), None).unwrap();
    let summary: Vec<(u32, &str, &str, ChangeAction, Vec<String>)> =
        h.iter().map(|c| (c.sequence, c.target.as_str(), c.actor.id.as_str(), c.action, c.fields.clone())).collect();
    assert_eq!(summary[0].0, 1);
    assert_eq!(summary[0].3, ChangeAction::Created);
    assert_eq!(summary[0].4.len(), 11, "every field at creation");
    assert_eq!(summary[1], (2, "club", "claire", ChangeAction::Updated, vec!["name".into(), "retention".into()]));
    assert_eq!(summary[2], (3, "club", "alice", ChangeAction::Retired, vec!["retired".into()]));
    assert_eq!(summary[3].3, ChangeAction::Reinstated);
    assert_eq!(summary[4].1, "organisation");
    assert_eq!(h[1].at, "2026-12-01T08:00:00.000Z");
    assert_eq!(w.f().registry_history(&admin(), Some("organisation")).unwrap().len(), 1);
    assert_eq!(rule(w.f().registry_history(&admin(), Some("Bad!")).unwrap_err()), "target:activity-id-syntax");
    assert_eq!(rule(w.f().get_activity(&admin(), "nope").unwrap_err()), "id:activity-exists");
    // The organisation's e-mail is normalised; contacts need a way to reach them.
    assert_eq!(
        w.f().get_organisation(&admin()).unwrap().unwrap().controller.email.as_deref(),
        Some("contact@boutique.example")
    );
    let mut bad = org();
    bad.controller = Contact { name: "X".into(), address: None, email: None, phone: None };
    assert_eq!(rule(w.f().set_organisation(&admin(), bad).unwrap_err()), "input.controller:contact-details");
}

#[test]
fn the_shop_defaults_load_once_and_pass_the_check_once_the_organisation_is_set() {
    let mut w = World::new();
    let created = w.f().load_shop_defaults(&admin()).unwrap();
    assert_eq!(
        created,
        [
            "customer-management",
            "prospecting",
            "audience-measurement",
            "rights-requests",
            "accounting",
            "fraud-prevention",
            "customer-service"
        ]
    );
    // Loading again creates nothing and overwrites nothing that was edited.
    let mut edited = w.f().get_activity(&admin(), "prospecting").unwrap().definition;
    edited.retention[0].months = 24;
    w.f().put_activity(&admin(), edited.clone()).unwrap();
    assert!(w.f().load_shop_defaults(&admin()).unwrap().is_empty());
    assert_eq!(w.f().get_activity(&admin(), "prospecting").unwrap().definition, edited);
    // Accounting keeps invoices 10 years under a legal hold.
    let acc = w.f().get_activity(&admin(), "accounting").unwrap().definition;
    assert!(acc.retention.iter().all(|r| r.months == 120 && r.legal_hold.is_some()));
    assert_eq!(acc.purposes[0].basis, LawfulBasis::LegalObligation);
    // Every default category has its retention rule; the only gap is the organisation.
    let findings = w.f().check_registry(&admin()).unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["organisation-set"]);
    w.f().set_organisation(&admin(), org()).unwrap();
    assert!(w.f().check_registry(&admin()).unwrap().is_empty());
}

/// A register made before the shipped default carried them: card data archived with no
/// legal hold on record (an erasure would delete what the sweep keeps for disputes: Art.
/// 17(3)(e), CNIL délibération 2018-303), an account counted from the last contact
/// instead of the last login (CNIL délibération 2021-131). The check says both.
#[test]
fn the_check_finds_an_archive_without_its_hold_and_an_account_counted_from_contact() {
    let mut w = World::new();
    w.f().set_organisation(&admin(), org()).unwrap();
    w.f().load_shop_defaults(&admin()).unwrap();
    let mut old = w.f().get_activity(&admin(), "customer-management").unwrap().definition;
    for r in &mut old.retention {
        if r.category == DataCategory::Payment {
            r.legal_hold = None;
        }
        if r.category == DataCategory::Account {
            r.start = fichier_domain::registry::RetentionStart::LastContact;
        }
    }
    w.f().put_activity(&admin(), old).unwrap();
    let findings = w.f().check_registry(&admin()).unwrap();
    let got: Vec<(Severity, &str, &str)> =
        findings.iter().map(|f| (f.severity, f.target.as_str(), f.rule.as_str())).collect();
    assert_eq!(
        got,
        [
            (Severity::Warn, "activity:customer-management", "archive-hold-recorded"),
            (Severity::Info, "activity:customer-management", "account-from-last-login"),
        ]
    );
}

#[test]
fn the_check_finds_purposes_and_stored_categories_the_register_does_not_declare() {
    let mut w = World::new();
    w.f().set_organisation(&admin(), org()).unwrap();
    let empty = w.f().check_registry(&admin()).unwrap();
    assert_eq!(empty.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["activities-declared"]);
    w.f().load_shop_defaults(&admin()).unwrap();
    // A consent purpose no activity declares; a cookie purpose recorded on contract.
    w.declare(&[("ads", PurposeKind::Advertising)]);
    w.declare(&[("orders", PurposeKind::Service)]);
    w.declare(&[("loyalty", PurposeKind::Cookie)]);
    let mut club = activity("club");
    club.data.push(DataItem { category: DataCategory::Payment, description: l("Cartes"), sensitive: true });
    w.f().put_activity(&admin(), club).unwrap();
    // Customer fields: identity for orders (declared by customer-management), free text for
    // orders (not declared by it), marketing preferences for a purpose nobody declares.
    let field = |name: &str, value: &str, category: Option<DataCategory>, purpose: &str| FieldInput {
        name: name.into(),
        value: value.into(),
        category,
        purposes: vec![purpose.into()],
        basis: LawfulBasis::Contract,
        source: None,
        collected_at: None,
        verified_at: None,
    };
    w.declare(&[("contest", PurposeKind::Marketing)]);
    w.f()
        .create_customer(
            &admin(),
            &SubjectRef::Email("a@example.org".into()),
            &[
                field("email", "a@example.org", None, "orders"),
                field("note", "client fidèle", Some(DataCategory::FreeText), "orders"),
                field("jeu", "oui", Some(DataCategory::MarketingPreferences), "contest"),
            ],
        )
        .unwrap();
    let findings = w.f().check_registry(&admin()).unwrap();
    let got: Vec<(Severity, &str, &str)> =
        findings.iter().map(|f| (f.severity, f.target.as_str(), f.rule.as_str())).collect();
    assert_eq!(
        got,
        [
            (Severity::Block, "activity:club", "retention-per-category"),
            (Severity::Block, "category:free-text", "stored-category-declared"),
            (Severity::Block, "purpose:ads", "purpose-in-activity"),
            (Severity::Block, "purpose:contest", "purpose-in-activity"),
            (Severity::Block, "purpose:contest", "stored-purpose-in-activity"),
            (Severity::Warn, "activity:club", "sensitive-data"),
            (Severity::Warn, "purpose:loyalty", "purpose-basis-fits-kind"),
        ]
    );
    // Findings name no personal data.
    let all = format!("{findings:?}");
    assert!(!all.contains("a@example.org") && !all.contains("fidèle"));
}

#[test]
fn exports_follow_the_cnil_template_in_both_languages() {
    let mut w = World::new();
    w.f().load_shop_defaults(&admin()).unwrap();
    w.f().set_organisation(&admin(), org()).unwrap();
    w.f().retire_activity(&admin(), "fraud-prevention", "pas de contrôle").unwrap();
    for lang in [Lang::Fr, Lang::En] {
        let csv = w.f().export_registry(&admin(), ExportFormat::Csv, lang).unwrap();
        let mut r = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let want: Vec<&str> = HEADINGS.iter().map(|(fr, en)| if lang == Lang::Fr { *fr } else { *en }).collect();
        assert_eq!(header, want);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 6, "one row per active activity");
        assert_eq!(&rows[0][0], "accounting");
        assert!(rows.iter().all(|row| &row[0] != "fraud-prevention"));
        let invoices = if lang == Lang::Fr { "10 ans" } else { "10 years" };
        assert!(rows[0][11].contains(invoices), "{}", &rows[0][11]);
        assert!(rows[0][4].contains("Boutique Exemple SAS, 1 rue de la Paix, 75002 Paris"));
        let html = w.f().export_registry(&admin(), ExportFormat::Html, lang).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains(&format!("<html lang=\"{}\">", lang.as_str())));
        assert_eq!(html.matches("<section class=\"sheet\"").count(), 6);
        assert_eq!(html.matches("<section class=\"common\">").count(), 1);
        assert!(html.find("class=\"common\"") < html.find("class=\"sheet\""), "common page first");
        assert!(html.contains("break-before:page"), "one sheet per printed page");
        for (fr, en) in HEADINGS {
            let h = if lang == Lang::Fr { fr } else { en };
            assert!(html.contains(&fichier_domain::registry::export::escape(h)), "{h}");
        }
    }
    // JSON carries both languages and parses.
    let json = w.f().export_registry(&admin(), ExportFormat::Json, Lang::Fr).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["activities"].as_array().unwrap().len(), 6);
    assert_eq!(v["activities"][0]["definition"]["name"]["en"], "Accounting");
    assert_eq!(v["organisation"]["dpo"]["name"], "Claire Martin");
    // Dates show on the shop's calendar: 23:30 UTC on 29 November is 30 November in Paris.
    w.now = "2026-11-29T23:30:00.000Z".into();
    w.f().put_activity(&admin(), activity("club")).unwrap();
    let csv = w.f().export_registry(&admin(), ExportFormat::Csv, Lang::Fr).unwrap();
    assert!(csv.contains("\r\nclub,Club fidélité,2026-11-30,2026-11-30,"), "{csv}");
    // Text is escaped in HTML.
    let mut evil = activity("evil");
    evil.name.fr = "<script>alert(1)</script> & co".into();
    w.f().put_activity(&admin(), evil).unwrap();
    let html = w.f().export_registry(&admin(), ExportFormat::Html, Lang::Fr).unwrap();
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    // A formula in a cell is not run by a spreadsheet opening the CSV.
    let mut formula = activity("formula");
    formula.name.fr = "=HYPERLINK(\"http://evil.example\",\"x\")".into();
    w.f().put_activity(&admin(), formula).unwrap();
    let csv = w.f().export_registry(&admin(), ExportFormat::Csv, Lang::Fr).unwrap();
    assert!(csv.contains("\r\nformula,\"'=HYPERLINK("), "{csv}");
}

#[test]
fn csv_cells_never_start_a_formula() {
    use fichier_domain::registry::export::csv_cell;
    for (cell, out) in [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("+", "'+"),
        ("+33612345678", "+33612345678"),
        ("-12.5", "-12.5"),
        ("Dupont", "Dupont"),
        ("", ""),
        ("a=b", "a=b"),
    ] {
        assert_eq!(csv_cell(cell), out, "{cell:?}");
    }
}

/// The Art. 13 items a notice must carry, as the headings that hold them.
const ART_13: [(&str, &str); 11] = [
    ("Responsable du traitement", "Controller"),
    ("Délégué à la protection des données", "Data protection officer"),
    ("Finalités et bases légales", "Purposes and legal bases"),
    ("Intérêts légitimes poursuivis", "Legitimate interests pursued"),
    ("Destinataires", "Recipients"),
    ("Transferts hors de l'Union européenne", "Transfers outside the European Union"),
    ("Durées de conservation", "How long we keep them"),
    ("Vos droits", "Your rights"),
    ("Réclamation", "Complaints"),
    ("Caractère obligatoire ou facultatif", "Whether you must provide the data"),
    ("Décisions automatisées", "Automated decisions"),
];

#[test]
fn notices_carry_every_art_13_item_and_change_version_only_when_their_text_changes() {
    let mut w = World::new();
    w.f().load_shop_defaults(&admin()).unwrap();
    w.f().set_organisation(&admin(), org()).unwrap();
    for (id, kind) in [("newsletter", PurposeKind::Marketing), ("prospecting", PurposeKind::Marketing)] {
        w.declare(&[(id, kind)]);
    }
    let purposes = vec!["newsletter".to_string(), "prospecting".to_string()];
    for lang in [Lang::Fr, Lang::En] {
        let g = w.f().generate_notice(&admin(), &purposes, lang).unwrap();
        assert_eq!(g.notice.version, 1);
        assert_eq!(g.notice.lang, lang.as_str());
        for (fr, en) in ART_13 {
            let h = if lang == Lang::Fr { fr } else { en };
            assert!(g.text.contains(&format!("\n{h}\n")), "{h} missing:\n{}", g.text);
            assert!(g.html.contains(&format!("<h3>{}</h3>", fichier_domain::registry::export::escape(h))), "{h}");
        }
        // Consent-based: withdrawal; legitimate interests: the interest itself; the DPO; the CNIL.
        let (withdraw, interest, cnil) = match lang {
            Lang::Fr => ("retirer votre consentement", "Fidéliser nos clients", "CNIL"),
            Lang::En => ("withdraw your consent", "Keeping our customers", "CNIL"),
        };
        assert!(g.text.contains(withdraw) && g.text.contains(interest) && g.text.contains(cnil));
        assert!(g.text.contains("dpo@boutique.example"));
        // Its hash is the registered text's.
        let (n, text) = w.f().get_notice(&admin(), &g.notice.reference).unwrap();
        assert_eq!((n, text), (g.notice.clone(), g.text.clone()));
    }
    let v1 = w.f().generate_notice(&admin(), &purposes, Lang::Fr).unwrap();
    assert_eq!(v1.notice.version, 1, "generating again gives the same version");
    // A change the notice does not show (security measures of an activity) keeps the version.
    let mut p = w.f().get_activity(&admin(), "prospecting").unwrap().definition;
    p.security.push(SecurityMeasure::Backups);
    w.f().put_activity(&admin(), p.clone()).unwrap();
    // …as does a change to an activity the notice is not about.
    let mut acc = w.f().get_activity(&admin(), "accounting").unwrap().definition;
    acc.recipients.push(Recipient { name: l("Banque"), internal: false });
    w.f().put_activity(&admin(), acc).unwrap();
    let same = w.f().generate_notice(&admin(), &purposes, Lang::Fr).unwrap();
    assert_eq!(same.notice, v1.notice);
    // A retention change is in the text: a new version.
    p.retention[0].months = 24;
    w.f().put_activity(&admin(), p).unwrap();
    let v2 = w.f().generate_notice(&admin(), &purposes, Lang::Fr).unwrap();
    assert_eq!(v2.notice.version, 2);
    assert_ne!(v2.notice.sha256, v1.notice.sha256);
    assert!(v2.text.contains("2 ans"));
    // Refusals, each naming the field and rule.
    assert_eq!(rule(w.f().generate_notice(&admin(), &[], Lang::Fr).unwrap_err()), "purposes:count-1-32");
    w.declare(&[("orphan", PurposeKind::Cookie)]);
    assert_eq!(
        rule(w.f().generate_notice(&admin(), &["newsletter".into(), "orphan".into()], Lang::Fr).unwrap_err()),
        "purposes[1]:purpose-in-activity"
    );
    assert_eq!(
        rule(w.f().generate_notice(&admin(), &["customer-service".into()], Lang::Fr).unwrap_err()),
        "input.purposes[0]:declared-purpose"
    );
    let support = Actor { id: "sam".into(), role: Role::Support };
    assert_eq!(rule(w.f().generate_notice(&support, &purposes, Lang::Fr).unwrap_err()), "actor.role:role-permitted");
    let mut fresh = World::new();
    fresh.f().load_shop_defaults(&admin()).unwrap();
    fresh.declare(&[("newsletter", PurposeKind::Marketing)]);
    assert_eq!(
        rule(fresh.f().generate_notice(&admin(), &["newsletter".into()], Lang::Fr).unwrap_err()),
        "organisation:organisation-set"
    );
}

fn breach(discovered: &str, risk: BreachRisk) -> BreachInput {
    BreachInput {
        discovered_at: discovered.into(),
        occurred_at: None,
        nature: vec![BreachNature::Confidentiality],
        description: "Export CSV envoyé au mauvais destinataire".into(),
        categories: vec![DataCategory::Contact, DataCategory::Identity],
        subjects_approx: 120,
        records_approx: 120,
        consequences: "Courriels indésirables possibles".into(),
        measures: "Demande de suppression au destinataire".into(),
        risk,
    }
}

#[test]
fn breaches_get_a_72_hour_deadline_and_overdue_ones_are_listed() {
    let mut w = World::new();
    let b = w.f().record_breach(&dpo(), breach("2026-11-28T09:30:00+01:00", BreachRisk::Risk)).unwrap();
    assert_eq!((b.breach.id.as_str(), b.breach.deadline.as_str()), ("B-0001", "2026-12-01T08:30:00.000Z"));
    assert!(b.notification_due && !b.overdue && !b.people_due);
    w.f().record_breach(&dpo(), breach("2026-11-29T08:00:00Z", BreachRisk::Unlikely)).unwrap();
    w.f().record_breach(&dpo(), breach("2026-11-29T09:00:00Z", BreachRisk::High)).unwrap();
    assert!(w.f().list_breaches(&admin(), true).unwrap().is_empty());
    // Past the deadline: B-0001 and B-0003 are overdue, B-0002 (no risk) never is.
    w.now = "2026-12-02T10:00:00.000Z".into();
    let overdue: Vec<String> = w.f().list_breaches(&admin(), true).unwrap().into_iter().map(|v| v.breach.id).collect();
    assert_eq!(overdue, ["B-0001", "B-0003"]);
    // Notified late: the reason for the delay is required (Art. 33(1)).
    assert_eq!(
        rule(w.f().notify_cnil(&dpo(), "B-0001", "2026-12-02T09:00:00Z", None, None).unwrap_err()),
        "delay-reason:reason-for-delay"
    );
    let n = w
        .f()
        .notify_cnil(&dpo(), "B-0001", "2026-12-02T09:00:00Z", Some("NOTIF-42".into()), Some("week-end".into()))
        .unwrap();
    assert!(!n.overdue && !n.notification_due);
    // High risk: the people are told, or the reason they are not is recorded.
    let t = w.f().notify_cnil(&dpo(), "B-0003", "2026-11-30T09:00:00Z", None, None).unwrap();
    assert!(t.people_due);
    let told = w
        .f()
        .inform_people(&dpo(), "B-0003", PeopleInformed::NotTold("données chiffrées (art. 34.3.a)".into()))
        .unwrap();
    assert!(!told.people_due);
    assert_eq!(
        told.breach.history.iter().map(|h| h.what.as_str()).collect::<Vec<_>>(),
        ["recorded", "CNIL notified", "people not told (reason recorded)"]
    );
    assert!(w.f().list_breaches(&admin(), true).unwrap().is_empty());
    // Correcting the discovery time moves the deadline.
    let mut facts = breach("2026-11-29T08:00:00Z", BreachRisk::Risk);
    facts.records_approx = 300;
    let u = w.f().update_breach(&dpo(), "B-0002", facts).unwrap();
    assert_eq!(u.breach.deadline, "2026-12-02T08:00:00.000Z");
    assert!(u.overdue);
}

#[test]
fn bad_breaches_are_refused_with_the_field_and_rule() {
    let mut w = World::new();
    type Break = fn(&mut BreachInput);
    let table: Vec<(Break, &str)> = vec![
        (|b| b.discovered_at = "hier".into(), "input.discovered-at:rfc3339"),
        (|b| b.discovered_at = "2026-12-25T00:00:00Z".into(), "input.discovered-at:not-in-future"),
        (|b| b.occurred_at = Some("2026-11-29T09:00:00Z".into()), "input.occurred-at:before-discovery"),
        (|b| b.nature.clear(), "input.nature:non-empty"),
        (|b| b.description = " ".into(), "input.description:non-empty"),
        (|b| b.description = "x".repeat(4001), "input.description:max-length"),
        (|b| b.categories.clear(), "input.categories:non-empty"),
        (|b| b.records_approx = 1, "input.records-approx:at-least-subjects"),
        (|b| b.consequences = String::new(), "input.consequences:non-empty"),
        (|b| b.measures = "\u{0}".into(), "input.measures:printable"),
    ];
    for (break_it, expected) in table {
        let mut b = breach("2026-11-28T09:00:00Z", BreachRisk::Risk);
        break_it(&mut b);
        assert_eq!(w.f().record_breach(&dpo(), b).map(|_| ()).map_err(rule), Err(expected.to_string()), "{expected}");
    }
    assert!(w.f().list_breaches(&admin(), false).unwrap().is_empty(), "nothing written");
    assert_eq!(rule(w.f().get_breach(&admin(), "B-1").unwrap_err()), "id:breach-id-syntax");
    assert_eq!(rule(w.f().get_breach(&admin(), "B-0009").unwrap_err()), "id:breach-exists");
    let support = Actor { id: "sam".into(), role: Role::Support };
    assert_eq!(rule(w.f().list_breaches(&support, false).unwrap_err()), "actor.role:role-permitted");
    w.f().record_breach(&dpo(), breach("2026-11-28T09:00:00Z", BreachRisk::Risk)).unwrap();
    assert_eq!(
        rule(w.f().notify_cnil(&dpo(), "B-0001", "2026-11-27T00:00:00Z", None, None).unwrap_err()),
        "at:after-discovery"
    );
    assert_eq!(
        rule(w.f().inform_people(&dpo(), "B-0001", PeopleInformed::Told("2027-01-01T00:00:00Z".into())).unwrap_err()),
        "informed.told:not-in-future"
    );
}

#[test]
fn the_people_a_breach_concerns_are_told_through_the_outbox() {
    let mut w = World::new();
    w.declare(&[("orders", PurposeKind::Service)]);
    let b = w.f().record_breach(&dpo(), breach("2026-11-29T08:00:00Z", BreachRisk::High)).unwrap();
    let id = b.breach.id.clone();
    let people = [SubjectRef::Email("Zoe@Example.org".into()), SubjectRef::External("shop-customer-9".into())];
    // The notice needs a contact point (Art. 34(2)): the register's DPO.
    let e = w.f().notify_people(&dpo(), &id, &people, Lang::Fr).unwrap_err();
    assert_eq!(rule(e), "organisation:organisation-set");
    w.f().set_organisation(&admin(), org()).unwrap();
    let field = support::field("email", "zoe@example.org", None, &["orders"], None);
    w.f().create_customer(&admin(), &people[0], &[field]).unwrap();
    let support = Actor { id: "sam".into(), role: Role::Support };
    assert!(matches!(w.f().notify_people(&support, &id, &people, Lang::Fr), Err(Error::Forbidden(_))));
    assert_eq!(rule(w.f().notify_people(&dpo(), &id, &[], Lang::Fr).unwrap_err()), "subjects:count-1-500");

    let n = w.f().notify_people(&dpo(), &id, &people, Lang::En).unwrap();
    assert_eq!(n.queued.len(), 1);
    assert_eq!(n.unreachable.len(), 1, "no e-mail is known for the external id");
    let system = Actor { id: "cron".into(), role: Role::System };
    let m = w.f().outbox_pending(&system, None, 10).unwrap().messages.remove(0);
    assert_eq!((m.kind, m.to.as_str()), (fichier_domain::outbox::MessageKind::BreachNotice, "zoe@example.org"));
    for part in ["Export CSV envoyé", "Courriels indésirables", "Demande de suppression", "Claire Martin", "Art. 34"]
    {
        assert!(m.body.contains(part), "{part} missing: {}", m.body);
    }
    let b = w.f().get_breach(&dpo(), &id).unwrap();
    assert!(matches!(b.breach.people, Some(PeopleInformed::Told(_))) && !b.people_due, "{b:?}");
    assert!(b.breach.history.last().unwrap().what.contains("1 people told"));
}

/// The notice people receive reads as written (Art. 34(2): clear and plain language):
/// no run of spaces where the source wraps its lines, in French and in English.
#[test]
fn a_breach_notice_has_no_runs_of_spaces() {
    for lang in [Lang::Fr, Lang::En] {
        let mut w = World::new();
        w.declare(&[("orders", PurposeKind::Service)]);
        w.f().set_organisation(&admin(), org()).unwrap();
        let b = w.f().record_breach(&dpo(), breach("2026-11-29T08:00:00Z", BreachRisk::High)).unwrap();
        let who = SubjectRef::Email("zoe@example.org".into());
        let field = support::field("email", "zoe@example.org", None, &["orders"], None);
        w.f().create_customer(&admin(), &who, &[field]).unwrap();
        w.f().notify_people(&dpo(), &b.breach.id, &[who], lang).unwrap();
        let system = Actor { id: "cron".into(), role: Role::System };
        let m = w.f().outbox_pending(&system, None, 10).unwrap().messages.remove(0);
        assert!(!m.body.contains("  "), "{lang:?}: {:?}", m.body);
        assert!(m.body.contains(if lang == Lang::Fr { "concernant (article 34" } else { "concerns you (GDPR" }));
    }
}

/// Art. 34(3) (GDPR.md "Security and breaches"): the register records which exception
/// spares telling the people of a high-risk breach — (a) the data are unintelligible, (b)
/// later measures make the high risk no longer likely, (c) telling each would take
/// disproportionate effort, and then a public communication informs them instead (Art.
/// 33(5): the record says which). No one is due a notice under any of them; under (c)
/// the public communication is shown as due until it is recorded, when and where.
#[test]
fn the_register_records_which_art_34_3_exception_spares_the_notices() {
    let mut w = World::new();
    for _ in 0..3 {
        let b = w.f().record_breach(&dpo(), breach("2026-11-28T20:00:00Z", BreachRisk::High)).unwrap();
        assert!(b.people_due && !b.public_communication_due);
    }
    let a =
        w.f().inform_people(&dpo(), "B-0001", PeopleInformed::Unintelligible("AES-256, clé intacte".into())).unwrap();
    assert!(!a.people_due && !a.public_communication_due);
    assert_eq!(a.breach.people.as_ref().and_then(PeopleInformed::exception), Some('a'));
    let b = w
        .f()
        .inform_people(&dpo(), "B-0002", PeopleInformed::LaterMeasures("mots de passe réinitialisés".into()))
        .unwrap();
    assert!(!b.people_due && !b.public_communication_due);
    assert_eq!(b.breach.people.as_ref().and_then(PeopleInformed::exception), Some('b'));

    // (c) without the public communication yet: nobody is due one by one, the
    // communication is.
    let effort = |public_communication| {
        PeopleInformed::DisproportionateEffort(Disproportionate {
            reason: "adresses inconnues".into(),
            public_communication,
        })
    };
    let c = w.f().inform_people(&dpo(), "B-0003", effort(None)).unwrap();
    assert!(!c.people_due && c.public_communication_due, "{c:?}");
    let due: Vec<String> = w
        .f()
        .list_breaches(&admin(), false)
        .unwrap()
        .into_iter()
        .filter(|v| v.people_due || v.public_communication_due)
        .map(|v| v.breach.id)
        .collect();
    assert_eq!(due, ["B-0003"]);

    // Bad input is refused by field and rule, and writes nothing.
    let public = |at: &str, medium: &str| Some(PublicCommunication { at: at.into(), medium: medium.into() });
    let cases = [
        (effort(public("2026-11-28T19:00:00Z", "page d'accueil")), "public-communication.at:after-discovery"),
        (effort(public("2026-12-01T00:00:00Z", "page d'accueil")), "public-communication.at:not-in-future"),
        (effort(public("2026-11-28T22:30:00Z", "")), "public-communication.medium:non-empty"),
        (PeopleInformed::Unintelligible(" ".into()), "informed.unintelligible:non-empty"),
        (PeopleInformed::LaterMeasures(String::new()), "informed.later-measures:non-empty"),
    ];
    for (informed, expected) in cases {
        let e = rule(w.f().inform_people(&dpo(), "B-0003", informed).unwrap_err());
        assert!(e.ends_with(expected), "{e} for {expected}");
    }
    assert!(w.f().get_breach(&admin(), "B-0003").unwrap().public_communication_due);

    // The communication made at 23:30 UTC on 28 November: 29 November in Paris, the day
    // the history shows.
    let c = w.f().inform_people(&dpo(), "B-0003", effort(public("2026-11-28T23:30:00Z", "page d'accueil"))).unwrap();
    assert!(!c.people_due && !c.public_communication_due);
    assert_eq!(
        c.breach.history.iter().map(|h| h.what.as_str()).collect::<Vec<_>>(),
        [
            "recorded",
            "people not told one by one: Art. 34(3)(c), public communication to be made",
            "people not told one by one: Art. 34(3)(c), public communication of 29/11/2026",
        ]
    );
    assert_eq!(
        w.f().get_breach(&admin(), "B-0001").unwrap().breach.history.last().unwrap().what,
        "people not told: Art. 34(3)(a), the data are unintelligible"
    );

    // Telling the reachable ones too leaves the exception recorded; the history says so.
    w.declare(&[("orders", PurposeKind::Service)]);
    w.f().set_organisation(&admin(), org()).unwrap();
    let who = SubjectRef::Email("zoe@example.org".into());
    let field = support::field("email", "zoe@example.org", None, &["orders"], None);
    w.f().create_customer(&admin(), &who, &[field]).unwrap();
    assert_eq!(w.f().notify_people(&dpo(), "B-0003", &[who], Lang::Fr).unwrap().queued.len(), 1);
    let c = w.f().get_breach(&admin(), "B-0003").unwrap();
    assert_eq!(c.breach.people.as_ref().and_then(PeopleInformed::exception), Some('c'));
    assert!(!c.people_due && !c.public_communication_due);
    assert_eq!(c.breach.history.last().unwrap().what, "1 people told through the outbox");
}

/// GDPR.md "Time limits": the calendar date of an instant is its Paris date. The 72 hours
/// run from the instant (Art. 33(1)); the notice shows the day the breach happened, or was
/// found, as the shop's calendar has it: 23:30 UTC on 14 June is 15 June in Paris.
#[test]
fn a_breach_notice_shows_its_day_on_the_paris_calendar() {
    for (occurred, lang, line) in [
        (Some("2026-06-14T23:30:00Z"), Lang::Fr, "Date de la violation : 15/06/2026"),
        (Some("2026-06-14T21:30:00Z"), Lang::En, "Date of the breach: 14/06/2026"),
        (None, Lang::Fr, "Violation constatée le 15/06/2026"),
        (None, Lang::En, "Breach discovered on 15/06/2026"),
    ] {
        let mut w = World::new();
        w.declare(&[("orders", PurposeKind::Service)]);
        w.f().set_organisation(&admin(), org()).unwrap();
        let mut facts = breach("2026-06-14T23:45:00Z", BreachRisk::High);
        facts.occurred_at = occurred.map(str::to_string);
        let b = w.f().record_breach(&dpo(), facts).unwrap();
        assert_eq!(b.breach.deadline, "2026-06-17T23:45:00.000Z", "72 hours from the instant");
        let who = SubjectRef::Email("zoe@example.org".into());
        let field = support::field("email", "zoe@example.org", None, &["orders"], None);
        w.f().create_customer(&admin(), &who, &[field]).unwrap();
        w.f().notify_people(&dpo(), &b.breach.id, &[who], lang).unwrap();
        let system = Actor { id: "cron".into(), role: Role::System };
        let m = w.f().outbox_pending(&system, None, 10).unwrap().messages.remove(0);
        assert!(m.body.contains(&format!("\n\n{line}\n\n")), "{line} in {:?}", m.body);
    }
}
