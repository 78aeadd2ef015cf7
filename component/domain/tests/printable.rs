//! What is printed back is what was stored: control characters (NUL, line breaks where a
//! value is one line), bidirectional overrides and other invisible formatting characters
//! are refused where people read values — API key names, purpose titles, notices, customer
//! fields — and a line or paragraph separator is not a space in a name (the hardening
//! issue, point 5).

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;

use fichier_domain::consent::{NoticeInput, PurposeInput};
use fichier_domain::kernel::types::{DataCategory, PurposeKind, Role, SubjectRef};
use support::{World, admin, field};

const NOW: &str = "2026-12-01T10:00:00.000Z";

#[test]
fn invisible_characters_are_refused_where_values_are_printed() {
    let mut w = World::empty(NOW, 7, 1);
    let rlo = "facture\u{202E}fdp.exe";
    assert_eq!(rule(w.f().create_api_key(&admin(), rlo, Role::Support).unwrap_err()), "name:printable");
    assert_eq!(rule(w.f().create_api_key(&admin(), "ops\u{0}", Role::Support).unwrap_err()), "name:printable");

    let title = PurposeInput {
        id: "news".into(),
        kind: PurposeKind::Marketing,
        title: rlo.into(),
        validity_months: None,
        serves: None,
    };
    assert_eq!(rule(w.f().declare_purpose(&admin(), title).unwrap_err()), "input.title:printable");
    w.declare(&[("orders", PurposeKind::Service)]);

    let notice =
        NoticeInput { purposes: vec!["orders".into()], lang: "fr".into(), text: format!("Nous utilisons {rlo}.") };
    assert_eq!(rule(w.f().register_notice(&admin(), notice).unwrap_err()), "input.text:printable");

    let who = SubjectRef::Email("anne@example.org".into());
    let email = field("email", "anne@example.org", None, &["orders"], None);
    for (name, value, category, at) in [
        ("note", "livrer au\u{202E}ecnanimod", Some(DataCategory::Order), "fields[1].value:printable"),
        ("given-name", "Anne\u{2028}Marie", None, "fields[1].value:name-syntax"),
        ("given-name", "Anne\u{200B}", None, "fields[1].value:name-syntax"),
    ] {
        let fields = [email.clone(), field(name, value, category, &["orders"], None)];
        assert_eq!(rule(w.f().create_customer(&admin(), &who, &fields).unwrap_err()), at, "{name}={value:?}");
    }
    // Ordinary text still passes: accents, typographic apostrophes, no-break spaces.
    let fields = [email, field("given-name", "Émilie d’Aubigné", None, &["orders"], None)];
    let c = w.f().create_customer(&admin(), &who, &fields).unwrap();
    assert_eq!(c.body.field("given-name").unwrap().value, "Émilie d'Aubigné");
}

/// Text is NFC before any rule reads it: a commune or a name typed in decomposed form
/// (`E` + U+0301, as some keyboards and exporters send it) is accepted and stored composed,
/// and reads the same as the composed one (the hardening issue, point 5).
#[test]
fn decomposed_text_is_composed_before_the_rules() {
    let mut w = World::empty(NOW, 7, 2);
    w.declare(&[("orders", PurposeKind::Service)]);
    let create = |w: &mut World, mail: &str, city: &str, name: &str, note: &str| {
        let who = SubjectRef::Email(mail.into());
        let fields = [
            field("email", mail, None, &["orders"], None),
            field("postal-code", "42000", None, &["orders"], None),
            field("city", city, None, &["orders"], None),
            field("given-name", name, None, &["orders"], None),
            field("note", note, Some(DataCategory::Order), &["orders"], None),
        ];
        w.f().create_customer(&admin(), &who, &fields).unwrap()
    };
    let decomposed = create(&mut w, "a@example.org", "Saint-E\u{301}tienne", "Ame\u{301}lie", "de\u{301}po\u{302}t");
    let composed = create(&mut w, "b@example.org", "Saint-Étienne", "Amélie", "dépôt");
    for name in ["city", "given-name", "note"] {
        let (d, c) = (&decomposed.body.field(name).unwrap().value, &composed.body.field(name).unwrap().value);
        assert_eq!(d, c, "{name}");
        assert!(!d.contains('\u{301}') && !d.contains('\u{302}'), "{name}: {d:?}");
    }
}
