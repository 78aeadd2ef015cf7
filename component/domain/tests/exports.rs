//! Access (Art. 15) and portability (Art. 20) exports on the in-memory store, compared
//! byte for byte with the files in `tests/expected/` (deterministic output: a pinned
//! clock and seeded randomness give the same bytes). `FICHIER_UPDATE_EXPECTED=1`
//! rewrites them after a deliberate change; review the diff.

#![allow(clippy::unwrap_used)]

mod support;

use fichier_domain::Error;
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

fn rule(e: Error) -> String {
    e.field_error().map(|f| format!("{}:{}", f.field, f.rule)).unwrap_or_else(|| format!("{e:?}"))
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
