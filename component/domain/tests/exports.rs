//! Access (Art. 15) and portability (Art. 20) exports on the in-memory store, compared
//! byte for byte with the files in `tests/expected/` (deterministic output: a pinned
//! clock and seeded randomness give the same bytes). `FICHIER_UPDATE_EXPECTED=1`
//! rewrites them after a deliberate change; review the diff.

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;

use fichier_domain::consent::*;
use fichier_domain::customers::FieldInput;
use fichier_domain::kernel::types::{Lang, *};
use fichier_domain::registry::export::ExportFormat;
use fichier_domain::registry::{Contact, Organisation};
use fichier_domain::rights::access::ExportScope;
use fichier_domain::rights::{RequestChannel, RequestInput, RequestKind};
use support::{World, admin};

fn actor(role: Role) -> Actor {
    Actor { id: format!("{role:?}").to_lowercase(), role }
}

fn field(name: &str, value: &str, purposes: &[&str], basis: LawfulBasis, source: Option<Source>) -> FieldInput {
    FieldInput {
        name: name.into(),
        value: value.into(),
        category: None,
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        basis,
        source,
        collected_at: Some("2025-06-01T08:00:00.000Z".into()),
        verified_at: None,
    }
}

fn lea() -> SubjectRef {
    SubjectRef::Email("lea@example.org".into())
}

/// Léa: four fields (one from a marketplace), a rectification, a newsletter consent and
/// an access request; the register's e-shop defaults with the controller named.
fn world() -> World {
    let mut w = World::empty("2026-05-04T12:00:00.000Z", 3, 17);
    w.declare(&[
        ("orders", PurposeKind::Service),
        ("newsletter", PurposeKind::Marketing),
        ("accounting", PurposeKind::Service),
    ]);
    w.f().load_shop_defaults(&admin()).unwrap();
    let contact =
        |name: &str, email: &str| Contact { name: name.into(), address: None, email: Some(email.into()), phone: None };
    let org = Organisation {
        controller: Contact {
            address: Some("1 rue de la Paix\n75002 Paris".into()),
            ..contact("Boutique Exemple SAS", "contact@boutique.example")
        },
        representative: None,
        dpo: Some(contact("Claire Martin", "dpo@boutique.example")),
    };
    w.f().set_organisation(&admin(), org).unwrap();
    let notice = NoticeInput {
        purposes: vec!["newsletter".into()],
        lang: "fr".into(),
        text: "Notre lettre <mensuelle>.".into(),
    };
    w.f().register_notice(&admin(), notice).unwrap();
    let fields = [
        field("email", "lea@example.org", &["orders", "newsletter"], LawfulBasis::Contract, None),
        field("given-name", "Léa", &["orders"], LawfulBasis::Contract, None),
        field(
            "phone",
            "06 12 34 56 78",
            &["orders"],
            LawfulBasis::Contract,
            Some(Source::ThirdParty("Place de marché \"Exemple\"".into())),
        ),
        field("loyalty-note", "Préfère <le> vert, \"toujours\"", &["orders"], LawfulBasis::LegitimateInterests, None),
    ];
    let fields: Vec<FieldInput> = fields
        .into_iter()
        .map(|mut f| {
            if f.name == "loyalty-note" {
                f.category = Some(DataCategory::Other);
            }
            f
        })
        .collect();
    w.f().create_customer(&admin(), &lea(), &fields).unwrap();
    w.at("2026-05-05T09:30:00.000Z");
    let rectified = field("given-name", "Léa-Rose", &["orders"], LawfulBasis::Contract, None);
    w.f().rectify_customer(&admin(), &lea(), &[rectified], &[]).unwrap();
    let grant = ReceiptInput {
        receipt_id: Some("checkout-2026-0042".into()),
        client_ip: Some("192.0.2.10".into()),
        ..support::decision(lea(), "newsletter", Decision::Grant, Channel::Checkout, Some("newsletter:fr:v1"))
    };
    w.f().record_decision(&admin(), grant).unwrap();
    let request = RequestInput {
        subject: lea(),
        kind: RequestKind::Access,
        channel: RequestChannel::Email,
        received_at: None,
        lang: Lang::Fr,
        details: None,
        identity_verified: true,
        doubtful: None,
    };
    w.f().new_request(&admin(), request).unwrap();
    w.at("2026-05-06T10:00:00.000Z");
    w
}

fn expected(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected").join(name);
    if std::env::var_os("FICHIER_UPDATE_EXPECTED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (FICHIER_UPDATE_EXPECTED=1 writes it)", path.display()));
    assert!(want == actual, "{name} differs from the expected file:\n{actual}");
}

#[test]
fn exports_match_the_expected_files() {
    let mut w = world();
    let cases = [
        (ExportScope::Access, ExportFormat::Json, Lang::Fr, "access.json"),
        (ExportScope::Access, ExportFormat::Csv, Lang::Fr, "access.csv"),
        (ExportScope::Access, ExportFormat::Html, Lang::Fr, "access.fr.html"),
        (ExportScope::Access, ExportFormat::Html, Lang::En, "access.en.html"),
        (ExportScope::Portability, ExportFormat::Json, Lang::En, "portability.json"),
        (ExportScope::Portability, ExportFormat::Csv, Lang::En, "portability.csv"),
    ];
    for (scope, format, lang, name) in cases {
        let e = w.f().export_subject(&actor(Role::Dpo), &lea(), scope, format, lang).unwrap();
        assert!(e.file_name.ends_with(name.rsplit('.').next().unwrap()), "{}", e.file_name);
        expected(name, &e.content);
        // The same store and clock give the same bytes.
        let again = w.f().export_subject(&actor(Role::Dpo), &lea(), scope, format, lang).unwrap();
        assert_eq!(again, e);
    }
}

#[test]
fn exports_hold_everything_for_access_and_only_what_was_provided_for_portability() {
    let mut w = world();
    let access =
        w.f().export_subject(&admin(), &lea(), ExportScope::Access, ExportFormat::Json, Lang::Fr).unwrap().content;
    for needle in [
        "\"Léa-Rose\"",
        "\"previous\": \"Léa\"",
        "checkout-2026-0042",
        "newsletter:fr:v1",
        "R-000001",
        "Place de marché",
        "Claire Martin",
        "CNIL",
    ] {
        assert!(access.contains(needle), "{needle} missing from the access export");
    }
    let portable =
        w.f().export_subject(&admin(), &lea(), ExportScope::Portability, ExportFormat::Json, Lang::Fr).unwrap();
    assert_eq!(portable.media_type, "application/json");
    // The phone came from a marketplace, the note rests on legitimate interests: neither
    // is portable; nothing but fields is.
    assert!(portable.content.contains("Léa-Rose") && portable.content.contains("lea@example.org"));
    for absent in ["06 12", "+33612345678", "toujours", "checkout-2026-0042", "R-000001", "CNIL"] {
        assert!(!portable.content.contains(absent), "{absent} in the portability export");
    }
    let html =
        w.f().export_subject(&admin(), &lea(), ExportScope::Access, ExportFormat::Html, Lang::Fr).unwrap().content;
    assert!(html.contains("Préfère &lt;le&gt; vert, &quot;toujours&quot;") && !html.contains("<le>"), "escaped");

    let e = w
        .f()
        .export_subject(&actor(Role::Support), &lea(), ExportScope::Access, ExportFormat::Json, Lang::Fr)
        .unwrap_err();
    assert_eq!(rule(e), "actor.role:role-permitted");
    let e = w.f().export_subject(&admin(), &lea(), ExportScope::Portability, ExportFormat::Html, Lang::Fr).unwrap_err();
    assert_eq!(rule(e), "format:machine-readable");
    let nobody = SubjectRef::Email("nobody@example.org".into());
    let e = w.f().export_subject(&admin(), &nobody, ExportScope::Access, ExportFormat::Json, Lang::Fr).unwrap_err();
    assert_eq!(rule(e), "subject:known-subject");
    // Each export is audited.
    let log = w.f().audit_entries(&admin(), None, 1000).unwrap();
    assert_eq!(log.0.iter().filter(|e| e.action == "rights.export").count(), 3);
}

/// The `identifiers` section of an access export as (kind, value, from).
fn identifiers(w: &mut World, subject: &SubjectRef) -> Vec<(String, String, String)> {
    let e =
        w.f().export_subject(&actor(Role::Dpo), subject, ExportScope::Access, ExportFormat::Json, Lang::En).unwrap();
    let v: serde_json::Value = serde_json::from_str(&e.content).unwrap();
    let section = v["sections"].as_array().unwrap().iter().find(|s| s["section"] == "identifiers").unwrap().clone();
    section["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_owned();
            (s("kind"), s("value"), s("from"))
        })
        .collect()
}

/// Art. 15(1) and 4(1), Art. 12(1): a person known only by consent receipts (a
/// newsletter sign-up, a banner visit) learns which identifiers their data is linked to:
/// the e-mail address as the request gave it, fichier's subject id, and what the
/// subject's head keeps of how the receipts named them (the banner's visitor id); nothing
/// the request did not give or the store does not keep (no banner id for the e-mail).
#[test]
fn an_access_export_names_the_identifiers_the_data_is_linked_to() {
    let mut w = World::empty("2026-05-04T12:00:00.000Z", 3, 21);
    w.declare(&[("newsletter", PurposeKind::Marketing), ("ads", PurposeKind::Advertising)]);
    let n = w
        .f()
        .register_notice(
            &admin(),
            NoticeInput {
                purposes: vec!["newsletter".into(), "ads".into()],
                lang: "fr".into(),
                text: "Lettre, pub.".into(),
            },
        )
        .unwrap()
        .reference;
    let zoe = SubjectRef::Email("zoe@example.org".into());
    let signed = support::decision(zoe.clone(), "newsletter", Decision::Grant, Channel::WebForm, Some(&n));
    let zoe_sid = w.f().record_decision(&admin(), signed).unwrap().subject;
    let visitor = "v-0123456789abcdef0123456789abcdef";
    let banner = SubjectRef::External(visitor.into());
    let refused = support::decision(banner.clone(), "ads", Decision::Refuse, Channel::CookieBanner, Some(&n));
    let visitor_sid = w.f().record_decision(&Actor { id: "web".into(), role: Role::Public }, refused).unwrap().subject;
    let row = |k: &str, v: &str, f: &str| (k.to_owned(), v.to_owned(), f.to_owned());

    assert_eq!(
        identifiers(&mut w, &zoe),
        vec![row("email", "zoe@example.org", "request"), row("subject-id", &zoe_sid, "fichier")]
    );
    // The address as the request gave it (its case kept; the same address once
    // normalised, so not repeated from the head), the same person.
    assert_eq!(
        identifiers(&mut w, &SubjectRef::Email(" Zoe@Example.org ".into())),
        vec![row("email", "Zoe@Example.org", "request"), row("subject-id", &zoe_sid, "fichier")]
    );
    // Named by fichier's id: the address comes from the sealed head.
    assert_eq!(
        identifiers(&mut w, &SubjectRef::Subject(zoe_sid.clone())),
        vec![row("subject-id", &zoe_sid, "request"), row("email", "zoe@example.org", "consent-receipts")]
    );
    // The banner's visitor id, named as such because its receipts came from the banner.
    assert_eq!(
        identifiers(&mut w, &banner),
        vec![row("banner-id", visitor, "request"), row("subject-id", &visitor_sid, "fichier")]
    );
    assert_eq!(
        identifiers(&mut w, &SubjectRef::Subject(visitor_sid.clone())),
        vec![row("subject-id", &visitor_sid, "request"), row("banner-id", visitor, "consent-receipts")]
    );
    // CSV and HTML carry them too; portability does not (only what the person provided).
    let csv = w.f().export_subject(&admin(), &zoe, ExportScope::Access, ExportFormat::Csv, Lang::Fr).unwrap().content;
    assert!(csv.starts_with("section,kind,value,from\r\nidentifiers,email,zoe@example.org,request\r\n"), "{csv}");
    let html = w.f().export_subject(&admin(), &zoe, ExportScope::Access, ExportFormat::Html, Lang::En).unwrap().content;
    assert!(html.contains("Identifiers your data is linked to") && html.contains(&zoe_sid), "{html}");
    let portable =
        w.f().export_subject(&admin(), &zoe, ExportScope::Portability, ExportFormat::Json, Lang::En).unwrap().content;
    assert!(!portable.contains("identifiers"), "{portable}");
}
