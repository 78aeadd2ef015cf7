//! Minimisation checks: tables of forms and records with their exact findings, French and English
//! keywords, the no-echo guarantee over many generated identifiers, SIRETs that are not cards, and
//! robustness on a 64 KiB random text.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;

use Severity::{Block, Info, Warn};
use chrono::NaiveDate;
use fichier_domain::consent::Purpose;
use fichier_domain::kernel::error::Error;
use fichier_domain::kernel::types::{Actor, DataCategory, PurposeKind, Role};
use fichier_domain::minimisation::*;
use support::{World, admin};

fn purpose(id: &str, kind: PurposeKind, title: &str) -> Purpose {
    Purpose {
        id: id.into(),
        kind,
        title: title.into(),
        validity_months: None,
        serves: None,
        revision: 1,
        declared_at: "2025-01-01T00:00:00.000Z".into(),
        declared_by: Actor { id: "admin".into(), role: Role::Admin },
    }
}

fn purposes() -> Vec<Purpose> {
    vec![
        purpose("orders", PurposeKind::Service, "Gestion des commandes"),
        purpose("refunds", PurposeKind::Service, "Remboursements"),
        purpose("newsletter", PurposeKind::Marketing, "Lettre d'information"),
        purpose("ads", PurposeKind::Advertising, "Publicité ciblée"),
    ]
}

fn ctx(purposes: &[Purpose]) -> Context<'_> {
    Context { purposes, minor_age: 15, today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap() }
}

fn form(name: &str, label: &str, field_type: FieldType, required: bool, purposes: &[&str]) -> FormField {
    FormField {
        name: name.into(),
        label: label.into(),
        field_type,
        required,
        purposes: purposes.iter().map(|p| (*p).to_owned()).collect(),
        handling: ValueHandling::Stored,
        checked: false,
    }
}

/// The field, kept only as a slow, salted hash.
fn hashed(f: FormField) -> FormField {
    FormField { handling: ValueHandling::Hashed, ..f }
}

/// The field, passed to a third party and never stored.
fn transient(f: FormField) -> FormField {
    FormField { handling: ValueHandling::Transient, ..f }
}

/// The checkbox, ticked when the form opens.
fn ticked(f: FormField) -> FormField {
    FormField { checked: true, ..f }
}

fn rec(name: &str, value: &str, category: Option<DataCategory>, purposes: &[&str]) -> RecordField {
    RecordField {
        name: name.into(),
        value: value.into(),
        category,
        purposes: purposes.iter().map(|p| (*p).to_owned()).collect(),
    }
}

type Key = (String, String, Severity);

fn keys(findings: &[Finding]) -> BTreeSet<Key> {
    findings.iter().map(|f| (f.rule.clone(), f.field.clone(), f.severity)).collect()
}

fn want(items: &[(&str, &str, Severity)]) -> BTreeSet<Key> {
    items.iter().map(|&(r, f, s)| (r.to_owned(), f.to_owned(), s)).collect()
}

/// Sorted as documented, every finding complete, no duplicates.
fn assert_well_formed(findings: &[Finding]) {
    for w in findings.windows(2) {
        let key = |f: &Finding| (f.severity, f.field.clone(), f.span.map(|s| s.start), f.rule.clone());
        assert!(key(&w[0]) <= key(&w[1]), "not sorted: {:?} then {:?}", w[0], w[1]);
        assert_ne!(w[0], w[1], "duplicate");
    }
    for f in findings {
        assert!(!f.rule.is_empty() && !f.source.is_empty() && !f.message.is_empty() && !f.fix.is_empty(), "{f:?}");
        assert!(f.rule.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{f:?}");
        if let Some(s) = f.span {
            assert!(s.start < s.end, "{f:?}");
        }
    }
}

#[test]
fn minimisation_form_table() {
    let p = purposes();
    let ctx = ctx(&p);
    use FieldType::*;
    let cases: Vec<(FormField, Vec<(&str, Severity)>)> = vec![
        (form("email", "Adresse e-mail", Email, true, &["orders"]), vec![]),
        (form("newsletter", "Je veux recevoir la lettre", Checkbox, false, &["newsletter"]), vec![]),
        (
            form("newsletter_forced", "Je veux recevoir la lettre", Checkbox, true, &["newsletter"]),
            vec![("required-for-optional-purpose", Block)],
        ),
        (
            form("phone", "Téléphone (publicité)", Tel, true, &["newsletter", "ads"]),
            vec![("required-for-optional-purpose", Block)],
        ),
        (form("phone2", "Téléphone", Tel, true, &["newsletter", "orders"]), vec![]),
        (form("fax", "Fax", Tel, false, &[]), vec![("unneeded-field", Block)]),
        (form("ghost", "Ghost", Text, false, &["ghost", "orders", "ghost"]), vec![("undeclared-purpose", Block)]),
        (form("religion", "Votre religion", Select, false, &["orders"]), vec![("special-category", Block)]),
        (
            form("notes_medicales", "Allergies alimentaires", Text, false, &["orders"]),
            vec![("special-category", Block)],
        ),
        (form("casier", "Extrait de casier judiciaire", Text, false, &["orders"]), vec![("special-category", Block)]),
        (form("numero_secu", "N° de sécu", Text, false, &["orders"]), vec![("nir", Block)]),
        (form("ssn", "Social security number", Text, false, &["orders"]), vec![("nir", Block)]),
        (form("code_insee", "Code INSEE de la commune", Text, false, &["orders"]), vec![]),
        (form("cvv", "Cryptogramme visuel", Number, true, &["orders"]), vec![("cvv-field", Block)]),
        (form("cardNumber", "Numéro de carte bancaire", Text, true, &["orders"]), vec![("card-number", Block)]),
        (form("loyaltyCardNumber", "Carte de fidélité", Text, false, &["orders"]), vec![]),
        (form("iban", "IBAN", Text, false, &["orders"]), vec![("iban-without-payment", Block)]),
        (form("iban_refund", "RIB pour le remboursement", Text, false, &["refunds"]), vec![("iban-for-payment", Info)]),
        (
            form("password", "Mot de passe", Text, true, &["orders"]),
            vec![("plain-password", Block), ("password-not-hashed", Block)],
        ),
        (hashed(form("password_ok", "Mot de passe", Password, true, &["orders"])), vec![]),
        (
            form("mdp_hidden", "", Hidden, false, &["orders"]),
            vec![("plain-password", Block), ("password-not-hashed", Block)],
        ),
        (form("dateNaissance", "Date de naissance", Date, true, &["orders"]), vec![("full-birth-date", Warn)]),
        (form("dob", "Date of birth", Text, false, &["orders"]), vec![("full-birth-date", Warn)]),
        (form("birthplace", "Lieu de naissance", Text, false, &["orders"]), vec![]),
        (form("delivery_date", "Livraison souhaitée", Date, false, &["orders"]), vec![("full-birth-date", Info)]),
        (form("age_ok", "J'ai 15 ans ou plus", Checkbox, true, &["orders"]), vec![]),
        (form("comments", "Commentaire", Textarea, false, &["orders"]), vec![("free-text-field", Info)]),
        (form("cgv", "J'accepte la politique de confidentialité", Checkbox, true, &["orders"]), vec![]),
        (form("snacks", "Healthy snacks", Select, false, &["orders"]), vec![]),
        (form("sexe", "Sexe", Select, false, &["orders"]), vec![]),
    ];
    for (field, expected) in &cases {
        let found = check_form(std::slice::from_ref(field), &ctx);
        assert_well_formed(&found);
        let exp: Vec<_> = expected.iter().map(|&(r, s)| (r, field.name.as_str(), s)).collect();
        assert_eq!(keys(&found), want(&exp), "{field:?}\n{found:#?}");
    }
    // The whole form at once: the union, sorted.
    let all: Vec<FormField> = cases.iter().map(|(f, _)| f.clone()).collect();
    let found = check_form(&all, &ctx);
    assert_well_formed(&found);
    let exp: Vec<_> = cases.iter().flat_map(|(f, e)| e.iter().map(|&(r, s)| (r, f.name.as_str(), s))).collect();
    assert_eq!(keys(&found), want(&exp));
    assert_eq!(found.first().map(|f| f.severity), Some(Block));
    assert_eq!(found.last().map(|f| f.severity), Some(Info));
    // An undeclared purpose is reported once per distinct id, by position, without naming it.
    let ghosts: Vec<_> = found.iter().filter(|f| f.rule == "undeclared-purpose").collect();
    assert_eq!(ghosts.len(), 1);
    assert!(!ghosts[0].message.contains("ghost"));
    // Sources.
    let source = |rule: &str| found.iter().find(|f| f.rule == rule).map(|f| f.source.clone()).unwrap();
    assert_eq!(source("required-for-optional-purpose"), "GDPR Art. 7(4)");
    assert_eq!(source("nir"), "Décret 2019-341 (NIR)");
    assert_eq!(source("cvv-field"), "CNIL délibération 2018-303");
    assert!(found.iter().any(|f| f.rule == "special-category" && f.source == "GDPR Art. 10"));
    assert!(found.iter().any(|f| f.rule == "special-category" && f.source == "GDPR Art. 9(1)"));
    let kinds: BTreeSet<_> =
        found.iter().filter(|f| f.rule == "special-category").filter_map(|f| f.kind.clone()).collect();
    assert_eq!(kinds, ["criminal", "health", "religion"].iter().map(|s| (*s).to_owned()).collect());
    let birth = found.iter().find(|f| f.rule == "full-birth-date").unwrap();
    assert!(birth.fix.contains("I am 15 or older"), "{}", birth.fix);

    assert_eq!(check_form(&[], &ctx), vec![]);
    // With no payment purpose declared anywhere, an IBAN field without purposes is blocked too.
    let none: Vec<Purpose> = vec![];
    let found = check_form(&[form("rib", "RIB", Text, false, &[])], &Context { purposes: &none, ..ctx });
    assert_eq!(keys(&found), want(&[("unneeded-field", "rib", Block), ("iban-without-payment", "rib", Block)]));
}

const NIR: &str = "253072B07300470";
const IBAN_FR: &str = "FR14 2004 1010 0505 0001 3M02 606";

/// The purposes of a checkout that may keep a card: the order (contract) and keeping the card for
/// later purchases (consent: CNIL délibération 2018-303).
fn checkout_purposes() -> Vec<Purpose> {
    let mut p = purposes();
    p.push(purpose("saved-card", PurposeKind::Marketing, "Conserver ma carte pour mes prochains achats"));
    p
}

/// The findings of a form, as (rule, field, severity).
fn form_keys(fields: &[FormField], ctx: &Context<'_>) -> BTreeSet<Key> {
    let found = check_form(fields, ctx);
    assert_well_formed(&found);
    keys(&found)
}

/// GDPR.md "Forms", CNIL délibération 2022-100: a password stored as typed is blocked
/// (`password-not-hashed`); kept as a slow, salted hash, or passed to an authentication system
/// and never stored, it is fine. A form that says nothing stores it.
#[test]
fn minimisation_form_password_stored_as_typed_is_blocked_hashed_is_fine_cnil_2022_100() {
    let p = purposes();
    let ctx = ctx(&p);
    for (name, label) in
        [("password", "Password"), ("motDePasse", "Mot de passe"), ("mdp", "Choisissez un mot de passe")]
    {
        let field = form(name, label, FieldType::Password, true, &["orders"]);
        let found = check_form(std::slice::from_ref(&field), &ctx);
        assert_eq!(keys(&found), want(&[("password-not-hashed", name, Block)]), "{name}");
        assert_eq!(found[0].source, "CNIL délibération 2022-100; GDPR Art. 32");
        assert_eq!(found[0].kind.as_deref(), Some("password"));
        assert!(found[0].fix.contains("salted hash"), "{}", found[0].fix);
        assert_eq!(form_keys(&[hashed(field.clone())], &ctx), want(&[]), "{name} hashed");
        assert_eq!(form_keys(&[transient(field)], &ctx), want(&[]), "{name} transient");
    }
    // Masking and hashing are two rules: an unmasked, hashed password is still `plain-password`.
    let unmasked = hashed(form("pwd", "Mot de passe", FieldType::Text, true, &["orders"]));
    assert_eq!(form_keys(&[unmasked], &ctx), want(&[("plain-password", "pwd", Block)]));
    // Not a password: a reset date, a "show the password" box.
    assert_eq!(form_keys(&[form("password_changed_at", "", FieldType::Date, false, &["orders"])], &ctx).len(), 1);
    let show = form("show_password", "Afficher le mot de passe", FieldType::Checkbox, false, &["orders"]);
    assert!(!form_keys(&[show], &ctx).iter().any(|k| k.0 == "password-not-hashed"));
}

/// GDPR.md "Forms", CNIL délibération 2018-303: a CVV kept in any form, even hashed, is blocked
/// (`cvv-field`); passed straight to the payment provider and never stored, it is fine.
#[test]
fn minimisation_form_cvv_kept_in_any_form_is_blocked_transient_is_fine_cnil_2018_303() {
    let p = purposes();
    let ctx = ctx(&p);
    for (name, label) in [
        ("cvv", "CVV"),
        ("cvc", "CVC"),
        ("cryptogramme", "Cryptogramme visuel"),
        ("card_code", "Code de sécurité"),
        ("securityCode", "Security code"),
    ] {
        let field = form(name, label, FieldType::Number, true, &["orders"]);
        for f in [field.clone(), hashed(field.clone())] {
            let found = check_form(std::slice::from_ref(&f), &ctx);
            assert_eq!(keys(&found), want(&[("cvv-field", name, Block)]), "{f:?}");
            assert_eq!(found[0].source, "CNIL délibération 2018-303");
            assert_eq!(found[0].kind.as_deref(), Some("cvv"));
        }
        let hashed_cvv = check_form(&[hashed(field.clone())], &ctx);
        assert!(hashed_cvv[0].message.contains("hashed"), "{}", hashed_cvv[0].message);
        assert_eq!(form_keys(&[transient(field)], &ctx), want(&[]), "{name} transient");
    }
    // "Code de la sécurité sociale" is no card code.
    let secu = form("code", "Code de sécurité sociale", FieldType::Text, false, &["orders"]);
    assert_eq!(form_keys(&[secu], &ctx), want(&[("nir", "code", Block)]));
}

/// GDPR.md "Forms", CNIL délibération 2018-303: a card number kept (stored or hashed) needs its own
/// unticked, optional consent box (`card-number` otherwise); passed to the payment provider and
/// never stored, it needs none.
#[test]
fn minimisation_form_card_kept_needs_its_own_unticked_consent_box_cnil_2018_303() {
    let p = checkout_purposes();
    let ctx = ctx(&p);
    let card = form("cardNumber", "Numéro de carte bancaire", FieldType::Text, true, &["orders", "saved-card"]);
    let own_box = form(
        "save_card",
        "Enregistrer ma carte pour mes prochains achats",
        FieldType::Checkbox,
        false,
        &["saved-card"],
    );
    let newsletter = form("newsletter", "Je veux recevoir la lettre", FieldType::Checkbox, false, &["newsletter"]);
    let terms = form("cgv", "J'accepte les conditions de vente", FieldType::Checkbox, false, &["orders"]);

    // Kept without a box, or with a box that is not its own, not unticked or not optional.
    let blocked = want(&[("card-number", "cardNumber", Block)]);
    for others in [vec![], vec![newsletter.clone()], vec![terms.clone()]] {
        let mut fields = vec![card.clone()];
        fields.extend(others);
        let found = check_form(&fields, &ctx);
        assert_eq!(keys(&found), blocked, "{fields:?}");
        assert_eq!(found[0].source, "CNIL délibération 2018-303");
        assert!(found[0].message.contains("unticked consent box"), "{}", found[0].message);
    }
    assert_eq!(form_keys(&[hashed(card.clone())], &ctx), blocked);
    assert_eq!(
        form_keys(&[card.clone(), ticked(own_box.clone())], &ctx),
        want(&[("card-number", "cardNumber", Block), ("pre-ticked-consent", "save_card", Block)])
    );
    assert_eq!(
        form_keys(&[card.clone(), FormField { required: true, ..own_box.clone() }], &ctx),
        want(&[("card-number", "cardNumber", Block), ("required-for-optional-purpose", "save_card", Block)])
    );
    // A card field that lists no consent purpose has no box of its own, whatever the form holds.
    let card_for_orders = FormField { purposes: vec!["orders".into()], ..card.clone() };
    assert_eq!(form_keys(&[card_for_orders, own_box.clone()], &ctx), want(&[("card-number", "cardNumber", Block)]));

    // Fine: with its own unticked, optional box; or passed to the payment provider.
    assert_eq!(form_keys(&[card.clone(), own_box.clone()], &ctx), want(&[]));
    assert_eq!(form_keys(&[own_box, hashed(card.clone())], &ctx), want(&[]));
    assert_eq!(form_keys(&[transient(card)], &ctx), want(&[]));
}

/// GDPR.md "Forms", CJEU C-673/17 Planet49: a consent box ticked in advance is not consent
/// (`pre-ticked-consent`, block); unticked it is fine, and a box ticked in advance for the
/// order itself (a contract purpose) is no consent box.
#[test]
fn minimisation_form_pre_ticked_consent_box_is_blocked_cjeu_planet49() {
    let p = purposes();
    let ctx = ctx(&p);
    let newsletter = form("newsletter", "Je veux recevoir la lettre", FieldType::Checkbox, false, &["newsletter"]);
    let found = check_form(&[ticked(newsletter.clone())], &ctx);
    assert_eq!(keys(&found), want(&[("pre-ticked-consent", "newsletter", Block)]));
    assert_eq!(found[0].source, "CJEU C-673/17 Planet49; GDPR Art. 4(11), Art. 7");
    assert!(found[0].fix.contains("unticked"), "{}", found[0].fix);
    let mixed = ticked(form("offers", "Offres", FieldType::Checkbox, false, &["orders", "ads"]));
    assert_eq!(form_keys(&[mixed], &ctx), want(&[("pre-ticked-consent", "offers", Block)]));

    assert_eq!(form_keys(&[newsletter], &ctx), want(&[]));
    let same_address =
        form("same_address", "Livrer à l'adresse de facturation", FieldType::Checkbox, false, &["orders"]);
    assert_eq!(form_keys(&[ticked(same_address)], &ctx), want(&[]));
}

/// GDPR.md "Forms", GDPR Art. 7(4): a consent box that must be ticked to order, for a purpose the
/// order does not need, is tied consent (`required-for-optional-purpose`, block), also when the
/// same box accepts the order's terms; optional, or for the order's own purposes, it is fine.
#[test]
fn minimisation_form_required_consent_box_is_tied_consent_art_7_4() {
    let p = purposes();
    let ctx = ctx(&p);
    let both =
        form("cgv_newsletter", "J'accepte les CGV et la lettre", FieldType::Checkbox, true, &["orders", "newsletter"]);
    let found = check_form(std::slice::from_ref(&both), &ctx);
    assert_eq!(keys(&found), want(&[("required-for-optional-purpose", "cgv_newsletter", Block)]));
    assert_eq!(found[0].source, "GDPR Art. 7(4)");
    assert!(found[0].message.contains("tied consent"), "{}", found[0].message);
    let only = form("newsletter", "Je veux recevoir la lettre", FieldType::Checkbox, true, &["newsletter"]);
    assert_eq!(form_keys(&[only], &ctx), want(&[("required-for-optional-purpose", "newsletter", Block)]));

    assert_eq!(form_keys(&[FormField { required: false, ..both }], &ctx), want(&[]));
    let terms = form("cgv", "J'accepte les conditions de vente", FieldType::Checkbox, true, &["orders"]);
    assert_eq!(form_keys(&[terms], &ctx), want(&[]));
    // A required field (not a box) that also serves a consent purpose is needed by the order.
    assert_eq!(form_keys(&[form("phone", "Téléphone", FieldType::Tel, true, &["orders", "ads"])], &ctx), want(&[]));
}

/// GDPR Art. 5(1)(c): a security question (question secrète) collects a fact of the person's
/// life that no purpose needs (`security-question`, warn), in French and in English.
#[test]
fn minimisation_form_security_question_no_purpose_needs_art_5_1_c() {
    let p = purposes();
    let ctx = ctx(&p);
    for (name, label) in [
        ("security_question", "Security question"),
        ("securityAnswer", "Answer"),
        ("question_secrete", "Question secrète"),
        ("q", "Votre question de sécurité"),
        ("reponse", "Réponse secrète"),
        ("maiden", "Mother's maiden name"),
        ("jf", "Nom de jeune fille de votre mère"),
        ("nom_naissance_mere", "Nom de naissance de la mère"),
    ] {
        let found = check_form(&[form(name, label, FieldType::Text, true, &["orders"])], &ctx);
        assert_eq!(keys(&found), want(&[("security-question", name, Warn)]), "{name} {label}");
        assert_eq!(found[0].source, "GDPR Art. 5(1)(c)");
        assert_eq!(found[0].kind.as_deref(), Some("security-question"));
    }
    for (name, label) in [
        ("question", "Une question sur votre commande ?"),
        ("secret", "Code promo secret"),
        ("maiden_name", "Nom de naissance"),
        ("nom_jeune_fille", "Nom de jeune fille"),
    ] {
        assert_eq!(form_keys(&[form(name, label, FieldType::Text, false, &["orders"])], &ctx), want(&[]), "{name}");
    }
}

/// The operation refuses a field ticked in advance that is not a checkbox (typed error naming the
/// field and the rule), and takes absent handling and box state as stored and unticked.
#[test]
fn minimisation_check_form_validates_checked_and_defaults_to_stored_unticked() {
    let mut w = World::empty("2026-11-29T10:00:00Z", 7, 1);
    w.declare(&[("orders", PurposeKind::Service), ("newsletter", PurposeKind::Marketing)]);
    let text = ticked(form("email", "E-mail", FieldType::Email, true, &["orders"]));
    match w.f().check_form(&admin(), &[form("cgv", "CGV", FieldType::Checkbox, true, &["orders"]), text]) {
        Err(Error::InvalidInput(e)) => {
            assert_eq!((e.field.as_str(), e.rule.as_str()), ("fields[1].checked", "checkbox-only"))
        }
        other => panic!("{other:?}"),
    }
    let found =
        w.f().check_form(&admin(), &[ticked(form("nl", "Lettre", FieldType::Checkbox, false, &["newsletter"]))]);
    assert_eq!(keys(&found.unwrap()), want(&[("pre-ticked-consent", "nl", Block)]));
    let found = w.f().check_form(&admin(), &[form("pwd", "Mot de passe", FieldType::Password, true, &["orders"])]);
    assert_eq!(keys(&found.unwrap()), want(&[("password-not-hashed", "pwd", Block)]));
}

/// `tests/conformance/minimisation-03-form-semantics.json`'s forms through the operation, with the
/// findings that case expects, in order (CNIL délibérations 2022-100 and 2018-303, CJEU C-673/17
/// Planet49, GDPR Art. 7(4) and 5(1)(c)).
#[test]
fn minimisation_form_semantics_as_the_conformance_case_expects() {
    use FieldType::{Checkbox, Email, Number, Password, Select, Text};
    let mut w = World::empty("2026-11-29T10:00:00Z", 7, 1);
    w.declare(&[("orders", PurposeKind::Service), ("newsletter", PurposeKind::Marketing)]);
    w.declare(&[("saved-card", PurposeKind::Marketing)]);
    let save_card =
        form("save-card", "Enregistrer ma carte pour mes prochains achats", Checkbox, false, &["saved-card"]);
    let newsletter = form("newsletter", "Je veux recevoir la lettre", Checkbox, false, &["newsletter"]);
    let fine = [
        form("email", "E-mail", Email, true, &["orders"]),
        hashed(form("password", "Mot de passe", Password, true, &["orders"])),
        form("cardNumber", "Numéro de carte bancaire", Text, true, &["orders", "saved-card"]),
        save_card.clone(),
        transient(form("cvv", "Cryptogramme visuel", Number, true, &["orders"])),
        newsletter.clone(),
    ];
    assert_eq!(w.f().check_form(&admin(), &fine).unwrap(), vec![]);
    let bad = [
        form("login-password", "Mot de passe", Password, true, &["orders"]),
        hashed(form("cvv", "CVV", Number, true, &["orders"])),
        form("card", "Numéro de carte", Text, true, &["orders", "saved-card"]),
        ticked(save_card),
        ticked(newsletter),
        form("cgv", "J'accepte les CGV et la lettre d'information", Checkbox, true, &["orders", "newsletter"]),
        form("security-question", "Question secrète", Select, true, &["orders"]),
    ];
    let found = w.f().check_form(&admin(), &bad).unwrap();
    let got: Vec<_> = found
        .iter()
        .map(|f| (f.severity, f.field.as_str(), f.rule.as_str(), f.source.as_str(), f.kind.as_deref(), f.span))
        .collect();
    let planet49 = "CJEU C-673/17 Planet49; GDPR Art. 4(11), Art. 7";
    assert_eq!(
        got,
        [
            (Block, "card", "card-number", "CNIL délibération 2018-303", Some("card-number"), None),
            (Block, "cgv", "required-for-optional-purpose", "GDPR Art. 7(4)", None, None),
            (Block, "cvv", "cvv-field", "CNIL délibération 2018-303", Some("cvv"), None),
            (
                Block,
                "login-password",
                "password-not-hashed",
                "CNIL délibération 2022-100; GDPR Art. 32",
                Some("password"),
                None
            ),
            (Block, "newsletter", "pre-ticked-consent", planet49, None, None),
            (Block, "save-card", "pre-ticked-consent", planet49, None, None),
            (Warn, "security-question", "security-question", "GDPR Art. 5(1)(c)", Some("security-question"), None),
        ]
    );
}

#[test]
fn minimisation_record_table() {
    let p = purposes();
    let ctx = ctx(&p);
    use DataCategory::*;
    let nir_in_text = format!("voir {NIR} svp");
    let cases: Vec<(RecordField, Vec<(&str, Severity)>)> = vec![
        // A NIR in free text is reported once, as free text, even in a field named like one.
        (rec("nir", &nir_in_text, Some(FreeText), &["orders"]), vec![("personal-data-in-free-text", Block)]),
        (rec("email", "jean.dupont@exemple.fr", Some(Contact), &["orders"]), vec![]),
        (rec("phone", "06 12 34 56 78", Some(Contact), &["orders"]), vec![]),
        (rec("contact", "jean.dupont@exemple.fr", None, &["orders"]), vec![]),
        (
            rec("remarque", "Écrire à jean.dupont@exemple.fr svp", None, &["orders"]),
            vec![("personal-data-in-free-text", Warn)],
        ),
        (
            rec("notes", "Mon fils est diabétique, appelez le 06 12 34 56 78", Some(FreeText), &["orders"]),
            vec![("special-category", Warn), ("personal-data-in-free-text", Warn)],
        ),
        (rec("nir", NIR, Some(Identity), &["orders"]), vec![("nir", Block)]),
        (rec("secu", "", Some(Identity), &["orders"]), vec![("nir", Block)]),
        (rec("client_id", "2 53 07 2B 073 004 70", Some(Other), &["orders"]), vec![("nir", Block)]),
        (rec("payment_ref", "4111 1111 1111 1111", Some(Payment), &["orders"]), vec![("card-number", Block)]),
        (rec("order_note", "payé avec 5555555555554444", Some(Order), &["orders"]), vec![("card-number", Block)]),
        (
            rec("comment", "ma carte 5555555555554444 exp 12/27", Some(FreeText), &["orders"]),
            vec![("personal-data-in-free-text", Block)],
        ),
        (rec("card_last4", "**** **** **** 1111", Some(Payment), &["orders"]), vec![]),
        (rec("cvv", "123", Some(Payment), &["orders"]), vec![("cvv-field", Block)]),
        // A SIREN or SIRET is what it is, wherever it is (GDPR Art. 4(1), Recital 14): a business
        // identifier (info), never a card (issue 25).
        (rec("siret", "732 829 320 00074", Some(Order), &["orders"]), vec![("business-identifier", Info)]),
        (
            rec("invoice", "SIRET 73282932000074 — facture 2024-001", None, &["orders"]),
            vec![("business-identifier", Info)],
        ),
        (rec("company_id", "732829320", Some(Identity), &["orders"]), vec![("business-identifier", Info)]),
        (rec("notes", "société 732 829 320", Some(FreeText), &["orders"]), vec![("business-identifier", Info)]),
        (rec("siret", "732 829 320 00075", Some(Order), &["orders"]), vec![]),
        // Nine digits together in a field not named for a company: an order number, not a SIREN.
        (rec("order_number", "732829320", None, &["orders"]), vec![]),
        (rec("iban", IBAN_FR, Some(Payment), &["refunds"]), vec![("iban-for-payment", Info)]),
        (rec("iban_any", IBAN_FR, Some(Payment), &[]), vec![("iban-for-payment", Info)]),
        (rec("iban_orders", IBAN_FR, Some(Payment), &["orders"]), vec![("iban-without-payment", Block)]),
        (rec("password_hash", "$argon2id$v=19$…", Some(Account), &["orders"]), vec![("plain-password", Block)]),
        (rec("password_changed_at", "2025-01-01", Some(Account), &["orders"]), vec![]),
        (rec("ghost", "x", Some(Other), &["ghost"]), vec![("undeclared-purpose", Block)]),
        (rec("address", "12 rue de la Santé, 75014 Paris", Some(PostalAddress), &["orders"]), vec![]),
        (rec("religion", "", Some(Other), &["orders"]), vec![("special-category", Block)]),
        (rec("birth_date", "1990-01-01", Some(Identity), &["orders"]), vec![("full-birth-date", Info)]),
        (rec("birth_year", "1990", Some(Identity), &["orders"]), vec![]),
        (rec("birth_date", "2030-01-01", Some(Identity), &["orders"]), vec![("birth-date-invalid", Warn)]),
        (rec("date_naissance", "31/02/2000", Some(Identity), &["orders"]), vec![("birth-date-invalid", Warn)]),
        (rec("date_naissance", "1850-01-01", Some(Identity), &["orders"]), vec![("birth-date-invalid", Warn)]),
        (rec("dob", "", Some(Identity), &["orders"]), vec![]),
        (
            rec("dateOfBirth", "02/06/2010", Some(Identity), &["orders"]),
            vec![("full-birth-date", Info), ("minor-without-parental-consent", Block)],
        ),
        // 15 on the day: no longer a minor in France.
        (rec("dateOfBirth", "2010-06-01", Some(Identity), &["orders"]), vec![("full-birth-date", Info)]),
        (rec("birth_year", "2012", Some(Identity), &["orders"]), vec![("minor-without-parental-consent", Block)]),
    ];
    for (field, expected) in &cases {
        let found = check_record(std::slice::from_ref(field), &ctx);
        assert_well_formed(&found);
        let exp: Vec<_> = expected.iter().map(|&(r, s)| (r, field.name.as_str(), s)).collect();
        assert_eq!(keys(&found), want(&exp), "{field:?}\n{found:#?}");
        for f in &found {
            assert!(field.value.chars().count() < 4 || !f.message.contains(field.value.trim()), "{f:?}");
        }
    }

    // One checker for every record (as an import holds one per chunk) finds the same, in
    // either order: what a name says is remembered, not the value's findings.
    let mut checker = RecordChecker::default();
    for (field, _) in cases.iter().chain(cases.iter().rev()) {
        let record = std::slice::from_ref(field);
        assert_eq!(checker.check(record, &ctx), check_record(record, &ctx), "{field:?}");
    }
    // Past the names it remembers, it still reads each one.
    for i in 0..100 {
        let field = rec(&format!("religion_{i}"), "", Some(Other), &["orders"]);
        let found = checker.check(std::slice::from_ref(&field), &ctx);
        assert_eq!(keys(&found), want(&[("special-category", field.name.as_str(), Block)]), "{field:?}");
    }

    // A value-based NIR replaces the name-based one: one finding, with its span.
    let found = check_record(&[rec("nir", &format!("  {NIR} "), Some(Identity), &["orders"])], &ctx);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span, Some(Span { start: 2, end: 17 }));
    assert_eq!(found[0].kind.as_deref(), Some("nir"));

    // Spans are in characters.
    let found = check_record(&[rec("notes", "Émilie 😀 est diabétique", Some(FreeText), &["orders"])], &ctx);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].kind.as_deref(), found[0].span), (Some("health"), Some(Span { start: 13, end: 23 })));

    // Parental consent lifts the minor finding; a refusal does not.
    let child = rec("date_de_naissance", "2014-09-30", Some(Identity), &["orders"]);
    let with = |v: &str| {
        keys(&check_record(&[child.clone(), rec("consentement_parental", v, Some(Other), &["orders"])], &ctx))
    };
    let minor = ("minor-without-parental-consent".to_owned(), "date_de_naissance".to_owned(), Block);
    for yes in ["oui", "true", "1", " Yes "] {
        assert!(!with(yes).contains(&minor), "{yes}");
    }
    for no in ["non", "false", "0", ""] {
        assert!(with(no).contains(&minor), "{no}");
    }
    let found = check_record(std::slice::from_ref(&child), &ctx);
    let m = found.iter().find(|f| f.rule == "minor-without-parental-consent").unwrap();
    assert!(m.source.contains("Art. 8") && m.source.contains("art. 45"), "{}", m.source);
    // The policy age counts: with 13, the same child (10) is still a minor; at 16 years old, not.
    let ctx13 = Context { minor_age: 13, ..ctx };
    assert!(keys(&check_record(std::slice::from_ref(&child), &ctx13)).contains(&minor));
    let teen = rec("date_de_naissance", "2009-01-01", Some(Identity), &["orders"]);
    assert!(!keys(&check_record(std::slice::from_ref(&teen), &ctx)).iter().any(|k| k.0 == minor.0));
    assert!(keys(&check_record(&[teen], &Context { minor_age: 17, ..ctx })).iter().any(|k| k.0 == minor.0));

    assert_eq!(check_record::<RecordField>(&[], &ctx), vec![]);
}

/// The special-category kinds `scan_text` reports for `text`.
fn special_kinds(text: &str) -> BTreeSet<String> {
    scan_text("t", text)
        .into_iter()
        .filter(|f| f.rule == "special-category")
        .inspect(|f| assert_eq!(f.severity, Warn))
        .filter_map(|f| f.kind)
        .collect()
}

#[test]
fn minimisation_keywords_french_and_english() {
    let cases: &[(&str, &[&str])] = &[
        ("mon fils est diabétique", &["health"]),
        ("MON FILS EST DIABETIQUE", &["health"]),
        ("mon fils est diabe\u{301}tique", &["health"]),
        ("Allergie aux arachides", &["health"]),
        ("Grossesse de cinq mois", &["health"]),
        ("ÉPILEPSIE", &["health"]),
        ("intolérance au gluten, cœliaque", &["health"]),
        ("He has a medical condition", &["health"]),
        ("needs a wheelchair", &["health"]),
        ("health insurance details", &["health"]),
        ("Healthy snacks for kids", &[]),
        ("enceinte Bluetooth 20 W", &[]),
        ("race de chien : labrador", &[]),
        ("Place Médicis, Paris", &[]),
        ("je suis musulmane", &["religion"]),
        ("Catholique pratiquant", &["religion"]),
        ("religious holidays", &["religion"]),
        ("irreligious remarks", &[]),
        ("opinions politiques de gauche", &["political-opinion"]),
        ("a political party member", &["political-opinion"]),
        ("J'accepte la politique de confidentialité", &[]),
        ("privacy policy", &[]),
        ("délégué syndical", &["trade-union"]),
        ("trade union member", &["trade-union"]),
        ("European Union", &[]),
        ("origine ethnique", &["ethnic-origin"]),
        ("racial background", &["ethnic-origin"]),
        ("orientation sexuelle", &["sexual-orientation"]),
        ("Homosexuel", &["sexual-orientation"]),
        ("vie sexuelle", &["sex-life"]),
        ("test ADN", &["genetic"]),
        ("genetic testing kit", &["genetic"]),
        ("empreintes digitales", &["biometric"]),
        ("Reconnaissance faciale", &["biometric"]),
        ("casier judiciaire vierge", &["criminal"]),
        ("criminal record", &["criminal"]),
        ("condamnation pour vol", &["criminal"]),
        ("casier à chaussures", &[]),
        ("sexe : F", &[]),
        ("diabétique et musulman", &["health", "religion"]),
    ];
    for (text, kinds) in cases {
        let want: BTreeSet<String> = kinds.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(special_kinds(text), want, "{text}");
    }
    // One finding per occurrence, spans in characters.
    let found = scan_text("notes", "santé, Santé, SANTE\u{301}");
    let spans: Vec<_> = found.iter().map(|f| f.span.map(|s| (s.start, s.end))).collect();
    assert_eq!(spans, vec![Some((0, 5)), Some((7, 12)), Some((14, 20))]);
    assert!(found.iter().all(|f| f.field == "notes" && f.source == "GDPR Art. 9(1)"));
}

/// Art. 9(1) and Art. 10 words in their everyday and inflected forms, French and English, each
/// with a sentence where a shop's word of the same spelling must not be taken for it (GDPR.md
/// Identifiers; issue 25): *je suis enceinte* is health data, *une enceinte Bluetooth* a
/// loudspeaker; *opérée du genou* is surgery, *opération commerciale* a sale.
#[test]
fn minimisation_special_categories_everyday_forms() {
    // (term, a text revealing the category, a text that must not)
    let cases: &[(&str, &str, &str, &str)] = &[
        ("health", "enceinte", "je suis enceinte", "une enceinte Bluetooth"),
        ("health", "enceinte", "Ma femme est enceinte de cinq mois", "Cette enceinte est géniale"),
        ("health", "enceintes", "remise pour les femmes enceintes", "les enceintes de la marque JBL"),
        ("health", "enceinte", "enceinte de 7 mois, merci de livrer au rez-de-chaussée", "enceinte de 50 W"),
        ("health", "enceinte", "Je suis tombée enceinte", "dans l'enceinte du stade"),
        ("health", "pregnant", "I am pregnant", "pregnable fortress"),
        ("health", "pregnancy", "pregnancy pillow for my wife", "impregnable"),
        ("health", "accouchement", "accouchement prévu en mai", "couches lavables"),
        ("health", "fausse couche", "j'ai fait une fausse couche", "une couche de peinture"),
        ("health", "miscarriage", "after my miscarriage", "carriage return"),
        ("health", "opérée", "j'ai été opérée du genou", "opération commerciale de printemps"),
        ("health", "opéré", "opéré de la hanche en mars", "livraison opérée par Colissimo"),
        ("health", "opérés", "nous sommes opérés demain", "les colis sont opérés par DHL"),
        ("health", "opérer", "je dois me faire opérer", "le virement sera opéré demain"),
        ("health", "opération", "j'ai subi une opération du genou", "l'opération du jour : -20 %"),
        ("health", "opération", "après mon opération de la cataracte", "opération promotionnelle sur les pulls"),
        ("health", "operated", "I was operated on last week", "a shop operated by volunteers"),
        ("health", "operation", "knee operation in June", "the operation of the website"),
        ("health", "surgery", "recovering from knee surgery", "surge protector"),
        ("health", "surgeon", "my surgeon said no lifting", "surge pricing"),
        ("health", "surgical", "a surgical procedure", "surgical steel earrings"),
        ("health", "chirurgie", "chirurgie du genou", "masque chirurgical x50"),
        ("health", "chirurgien", "mon chirurgien m'interdit", "acier chirurgical 316L"),
        ("health", "hospitalisée", "je suis hospitalisée", "hospitality industry"),
        ("sexual-orientation", "gay", "je suis gay", "12 rue Gay-Lussac"),
        ("sexual-orientation", "gays", "bar pour gays", "gaiement"),
        ("sexual-orientation", "lesbienne", "ma fille est lesbienne", "l'île de Lesbos"),
        ("sexual-orientation", "lesbian", "a lesbian couple", "Lesbos holidays"),
        ("sexual-orientation", "homosexuel", "il est homosexuel", "mélange homogène"),
        ("sexual-orientation", "homosexuelle", "une relation homosexuelle", "homologué CE"),
        ("sexual-orientation", "homosexuels", "les couples homosexuels", "homonymes"),
        ("sexual-orientation", "homosexual", "homosexual", "homogenous"),
        ("political-opinion", "parti", "militant au Parti socialiste", "un parti pris esthétique"),
        ("political-opinion", "parti", "militante du parti depuis 2010", "je suis parti en vacances"),
        ("political-opinion", "parti", "adhérent du parti", "adhérent du club de foot"),
        ("political-opinion", "parti", "membre du parti", "membre du club"),
        ("political-opinion", "party", "party member since 2019", "birthday party decorations"),
        ("political-opinion", "party", "member of the Green Party", "garden party"),
        ("political-opinion", "party", "a Labour Party activist", "members get 10% off party supplies"),
        ("ethnic-origin", "origine", "d'origine maghrébine", "café d'origine africaine"),
        ("ethnic-origin", "origine", "je suis d'origine algérienne", "pays d'origine : Maroc"),
        ("ethnic-origin", "origin", "of Moroccan origin", "country of origin: Morocco"),
        ("ethnic-origin", "origin", "people of African origin", "African origin coffee beans"),
        ("criminal", "prison", "je sors de prison", "Prison Break saison 2"),
        ("criminal", "prisonnier", "mon frère est prisonnier", "jeu Prison Escape"),
        ("criminal", "condamné", "condamné pour vol", "porte condamnée"),
        ("criminal", "condamnée", "elle a été condamnée", "sortie condamnée"),
        ("criminal", "casier judiciaire", "casier judiciaire chargé", "casier à chaussures"),
        ("criminal", "convicted", "he was convicted", "convinced"),
        ("criminal", "convict", "a former convict", "convection oven"),
        ("criminal", "emprisonné", "il a été emprisonné", "emprunt immobilier"),
        ("criminal", "jail", "just out of jail", "jailbreak tool"),
        ("criminal", "garde à vue", "placé en garde à vue", "garde-robe en chêne"),
        ("criminal", "mis en examen", "il est mis en examen", "mise en place rapide"),
        ("criminal", "criminal record", "no criminal record", "record player"),
    ];
    for &(kind, term, yes, no) in cases {
        assert!(special_kinds(yes).contains(kind), "{term}: {yes:?} should reveal {kind}");
        assert_eq!(special_kinds(no), BTreeSet::new(), "{term}: {no:?} is a shop's word");
    }
    // The span is the word, not its context; the message does not repeat it.
    let found = scan_text("note", "Bonjour, je suis enceinte.");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span.map(|s| (s.start, s.end)), Some((17, 25)));
    assert!(!found[0].message.contains("enceinte"));
    // In a field's name too: a pregnancy field blocks, a loudspeaker field does not.
    let ctx = ctx(&[]);
    let names = |name: &str, label: &str| {
        check_form(&[form(name, label, FieldType::Checkbox, false, &[])], &ctx)
            .into_iter()
            .filter(|f| f.rule == "special-category")
            .map(|f| f.kind.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("femme_enceinte", "Êtes-vous enceinte ?"), vec!["health"]);
    assert_eq!(names("enceinte_bluetooth", "Votre enceinte"), Vec::<String>::new());
}

#[test]
fn minimisation_scan_text_identifiers() {
    let text = "Élodie (élodie@exemple.fr, 06 12 34 56 78) IBAN FR14 2004 1010 0505 0001 3M02 606, \
                sécu 2 53 07 2B 073 004 70, carte 4111 1111 1111 1111.";
    let found = scan_text("comment", text);
    assert_well_formed(&found);
    let got: Vec<_> = found.iter().map(|f| (f.kind.clone().unwrap(), f.severity, f.rule.as_str())).collect();
    let pd = "personal-data-in-free-text";
    // Sorted by severity, then position.
    assert_eq!(
        got,
        vec![
            ("iban".to_owned(), Block, pd),
            ("nir".to_owned(), Block, pd),
            ("card-number".to_owned(), Block, pd),
            ("email".to_owned(), Warn, pd),
            ("phone".to_owned(), Warn, pd),
        ]
    );
    let chars: Vec<char> = text.chars().collect();
    let snippet = |f: &Finding| {
        let s = f.span.unwrap();
        chars[s.start as usize..s.end as usize].iter().collect::<String>()
    };
    assert_eq!(snippet(&found[0]), IBAN_FR);
    assert_eq!(snippet(&found[1]), "2 53 07 2B 073 004 70");
    assert_eq!(snippet(&found[2]), "4111 1111 1111 1111");
    assert_eq!(snippet(&found[3]), "élodie@exemple.fr");
    assert_eq!(snippet(&found[4]), "06 12 34 56 78");
    assert_eq!(found[1].source, "Décret 2019-341 (NIR)");
    assert_eq!(found[2].source, "CNIL délibération 2018-303");

    // SIRET and SIREN numbers are never cards.
    for text in [
        "SIRET 73282932000074",
        "SIRET 732 829 320 00074",
        "SIREN 732829320",
        "La Poste, SIRET 35600000000048",
        "n° SIRET : 732-829-320-00074.",
    ] {
        let found = scan_text("t", text);
        let got: Vec<_> = found.iter().map(|f| (f.rule.as_str(), f.severity, f.kind.as_deref())).collect();
        let kind = if text.starts_with("SIREN") { "siren" } else { "siret" };
        assert_eq!(got, vec![("business-identifier", Info, Some(kind))], "{text}");
        assert!(!found[0].message.contains(&text[text.len() - 6..text.len() - 1]), "{text}");
    }
    assert_eq!(scan_text("t", ""), vec![]);

    // Serialised as the WIT mapping expects.
    let json = serde_json::to_value(&found[0]).unwrap();
    assert_eq!(json["severity"], "block");
    assert_eq!(json["rule"], "personal-data-in-free-text");
    assert_eq!(json["span"]["start"], found[0].span.unwrap().start);
}

/// A deterministic generator (tests only).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn luhn_complete(prefix: &str) -> String {
    (0..10).map(|d| format!("{prefix}{d}")).find(|s| fichier_domain::minimisation::identifiers::luhn_valid(s)).unwrap()
}

fn random_nir(rng: &mut Lcg) -> String {
    let dept = if rng.below(5) == 0 { rng.pick(&["2A", "2B"]).to_owned() } else { format!("{:02}", 1 + rng.below(95)) };
    let body = format!(
        "{}{}{:02}{dept}{:03}{:03}",
        1 + rng.below(2),
        rng.digits(2),
        1 + rng.below(12),
        1 + rng.below(999),
        1 + rng.below(999)
    );
    let n: u64 = body.replace("2A", "19").replace("2B", "18").parse().unwrap();
    format!("{body}{:02}", 97 - n % 97)
}

fn random_iban(rng: &mut Lcg) -> String {
    let bban = format!("{}{}", rng.digits(21), rng.digits(2));
    // FR = 15 27, check digits 00 moved to the end.
    let numeric = format!("{bban}152700");
    let m = numeric.bytes().fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
    format!("FR{:02}{bban}", 98 - m)
}

fn random_card(rng: &mut Lcg) -> String {
    let prefix = match rng.below(3) {
        0 => format!("4{}", rng.digits(14)),
        1 => format!("5{}{}", 1 + rng.below(5), rng.digits(13)),
        _ => format!("6011{}", rng.digits(11)),
    };
    luhn_complete(&prefix)
}

/// Groups of four separated by spaces.
fn grouped(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

fn nir_spaced(s: &str) -> String {
    format!("{} {} {} {} {} {} {}", &s[..1], &s[1..3], &s[3..5], &s[5..7], &s[7..10], &s[10..13], &s[13..])
}

/// No finding string holds the identifier or any 6 consecutive characters of it.
fn assert_no_echo(findings: &[Finding], compact_id: &str) {
    let id: Vec<char> = compact_id.chars().collect();
    for f in findings {
        let strings = [f.message.as_str(), &f.fix, &f.field, &f.source, &f.rule, f.kind.as_deref().unwrap_or_default()];
        for s in strings {
            for w in id.windows(6) {
                let w: String = w.iter().collect();
                assert!(!s.contains(&w), "{s:?} contains part of {compact_id}");
            }
        }
    }
}

#[test]
fn minimisation_never_echoes_identifiers() {
    let p = purposes();
    let ctx = ctx(&p);
    let mut rng = Lcg(7);
    let templates = [
        ("", ""),
        ("Bonjour, voici : ", " — merci 😀"),
        ("«\u{a0}", "\u{a0}»"),
        ("Réf. commande 2024-0012 ; ", "."),
        ("note (é) ", ", rappeler lundi"),
    ];
    let categories = [
        Some(DataCategory::FreeText),
        None,
        Some(DataCategory::Other),
        Some(DataCategory::Identity),
        Some(DataCategory::Payment),
    ];
    let mut seen = 0;
    for i in 0..600 {
        let (compact_id, written, kind) = match i % 3 {
            0 => {
                let n = random_nir(&mut rng);
                let w = if rng.below(2) == 0 { nir_spaced(&n) } else { n.clone() };
                (n, w, "nir")
            }
            1 => {
                let n = random_iban(&mut rng);
                let w = if rng.below(2) == 0 { grouped(&n) } else { n.clone() };
                (n, w, "iban")
            }
            _ => {
                let n = random_card(&mut rng);
                let w = if rng.below(2) == 0 { grouped(&n) } else { n.clone() };
                (n, w, "card-number")
            }
        };
        let (before, after) = templates[rng.below(templates.len() as u64) as usize];
        let text = format!("{before}{written}{after}");
        let start = before.chars().count() as u32;
        let expected = Span { start, end: start + written.chars().count() as u32 };

        let scanned = scan_text("commentaire", &text);
        assert!(
            scanned.iter().any(|f| f.kind.as_deref() == Some(kind) && f.span == Some(expected) && f.severity == Block),
            "{text}: {scanned:#?}"
        );
        assert_no_echo(&scanned, &compact_id);

        let category = categories[rng.below(categories.len() as u64) as usize];
        let record = check_record(&[rec("champ", &text, category, &["orders"])], &ctx);
        assert!(record.iter().any(|f| f.kind.as_deref() == Some(kind) && f.span == Some(expected)), "{text}");
        assert_no_echo(&record, &compact_id);
        assert_well_formed(&record);
        seen += 1;
    }
    assert_eq!(seen, 600);
}

#[test]
fn minimisation_random_64k_text_is_total_and_deterministic() {
    let mut rng = Lcg(2025);
    let alphabet: Vec<char> =
        "0123456789 0123456789   .-+@()AaBbFRZzeé😀\u{a0}\u{202f}\u{301}x.,;:'\n\tsantédiabète".chars().collect();
    let mut text = String::new();
    while text.len() < 64 * 1024 {
        match rng.below(200) {
            0 => text.push_str(&random_nir(&mut rng)),
            1 => text.push_str(&grouped(&random_card(&mut rng))),
            2 => text.push_str(&random_iban(&mut rng)),
            3 => text.push_str(" casier judiciaire "),
            _ => text.push(alphabet[rng.below(alphabet.len() as u64) as usize]),
        }
    }
    let chars = text.chars().count() as u32;
    let started = std::time::Instant::now();
    let a = scan_text("t", &text);
    let b = scan_text("t", &text);
    assert_eq!(a, b);
    assert!(!a.is_empty());
    assert_well_formed(&a);
    for f in &a {
        let s = f.span.unwrap();
        assert!(s.end <= chars, "{f:?}");
    }
    let p = purposes();
    let ctx = ctx(&p);
    for category in [Some(DataCategory::FreeText), None, Some(DataCategory::Order)] {
        let head: String = text.chars().take(200).collect();
        let fields = [rec("t", &text, category, &["orders"]), rec("date_naissance", &head, None, &[])];
        let r1 = check_record(&fields, &ctx);
        assert_eq!(r1, check_record(&fields, &ctx));
        assert_well_formed(&r1);
    }
    let long_form = [form(&text, &text, FieldType::Text, true, &[&text])];
    assert_eq!(check_form(&long_form, &ctx), check_form(&long_form, &ctx));
    assert!(started.elapsed().as_secs() < 20, "too slow: {:?}", started.elapsed());

    // Odd inputs.
    for s in ["", " ", "\u{301}", "😀", "é\u{301}\u{301}", "@", "2A", "0", "İ", "ﬁ", "\u{feff}"] {
        let _ = scan_text(s, s);
        let _ = check_record(&[rec(s, s, None, &[s])], &ctx);
        let _ = check_form(&[form(s, s, FieldType::Date, true, &[s])], &ctx);
    }
}

/// `minimisation.check-identifier` (issue 25): the roles of the minimisation checks, and the
/// value validated before it is read: 1–254 printable characters, errors naming `value`.
#[test]
fn minimisation_check_identifier_operation() {
    use fichier_domain::Fichier;
    use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
    use fichier_domain::kernel::error::Error;
    use fichier_domain::kernel::store::MemoryStore;
    use fichier_domain::kernel::time;
    use fichier_domain::minimisation::identifiers::IdentifierKind;

    let store = MemoryStore::new();
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-03-01T10:00:00Z").unwrap();
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let admin = Actor { id: "a".into(), role: Role::Admin };
    let found = f.check_identifier(&admin, "732 829 320 00074").unwrap();
    assert_eq!(found.iter().map(|m| m.kind).collect::<Vec<_>>(), vec![IdentifierKind::Siret]);
    assert_eq!(f.check_identifier(&admin, "n'importe quoi").unwrap(), vec![]);
    let rule = |r: Result<_, Error>| match r {
        Err(Error::InvalidInput(e)) => (e.field, e.rule),
        other => panic!("{other:?}"),
    };
    assert_eq!(rule(f.check_identifier(&admin, "  ")), ("value".to_owned(), "non-empty".to_owned()));
    assert_eq!(rule(f.check_identifier(&admin, &"1".repeat(255))), ("value".to_owned(), "max-length".to_owned()));
    assert_eq!(rule(f.check_identifier(&admin, "7328\u{200b}29320")), ("value".to_owned(), "printable".to_owned()));
    assert!(f.check_identifier(&admin, &"1".repeat(254)).is_ok());
    let public = Actor { id: "p".into(), role: Role::Public };
    assert!(matches!(f.check_identifier(&public, "732829320"), Err(Error::Forbidden(_))));
}
