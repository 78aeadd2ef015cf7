//! Timings of the minimisation checks: `cargo bench -p fichier-domain --bench minimisation`.
//! Prints the median, over several runs, of the time per call.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use fichier_domain::consent::Purpose;
use fichier_domain::kernel::types::{Actor, DataCategory, PurposeKind, Role};
use fichier_domain::minimisation::{self, Context, FieldType, FormField, RecordField, ValueHandling};

fn purposes() -> Vec<Purpose> {
    vec![Purpose {
        id: "orders".into(),
        kind: PurposeKind::Service,
        title: "Gestion des commandes".into(),
        validity_months: None,
        serves: None,
        revision: 1,
        declared_at: "2025-01-01T00:00:00.000Z".into(),
        declared_by: Actor { id: "admin".into(), role: Role::Admin },
    }]
}

const ROW: [(&str, &str, DataCategory); 9] = [
    ("customer-number", "123", DataCategory::Account),
    ("given-name", "Émilie", DataCategory::Identity),
    ("family-name", "Noir", DataCategory::Identity),
    ("email", "client123@example.org", DataCategory::Contact),
    ("phone", "+33612345678", DataCategory::Contact),
    ("address-line1", "12 rue de la République", DataCategory::PostalAddress),
    ("postal-code", "75011", DataCategory::PostalAddress),
    ("city", "PARIS", DataCategory::PostalAddress),
    ("country", "FR", DataCategory::PostalAddress),
];

fn row(categorised: bool) -> Vec<RecordField> {
    ROW.iter()
        .map(|&(name, value, category)| RecordField {
            name: name.into(),
            value: value.into(),
            category: categorised.then_some(category),
            purposes: vec!["orders".into()],
        })
        .collect()
}

fn form() -> Vec<FormField> {
    let f = |name: &str, label: &str, field_type, required| FormField {
        name: name.into(),
        label: label.into(),
        field_type,
        required,
        purposes: vec!["orders".into()],
        handling: ValueHandling::Stored,
        checked: false,
    };
    vec![
        f("customer-number", "Numéro client", FieldType::Text, true),
        f("given-name", "Prénom", FieldType::Text, true),
        f("family-name", "Nom de famille", FieldType::Text, true),
        f("email", "Adresse e-mail", FieldType::Email, true),
        f("phone", "Téléphone portable", FieldType::Tel, false),
        f("address-line1", "Adresse (numéro et rue)", FieldType::Text, true),
        f("postal-code", "Code postal", FieldType::Text, true),
        f("city", "Ville", FieldType::Text, true),
        f("country", "Pays", FieldType::Select, true),
        f("comment", "Précisions pour la livraison", FieldType::Textarea, false),
    ]
}

const PARAGRAPH: &str = "Bonjour, je vous écris au sujet de ma commande n° 2025-11-0042 passée le 3 novembre. \
Le colis n'est jamais arrivé à l'adresse indiquée (12 rue de la République, 75011 Paris) et le suivi \
indique « livré » depuis mardi. Pourriez-vous vérifier auprès du transporteur et me rappeler au \
06 12 34 56 78 ou m'écrire à emilie.noir@example.org ? Je suis disponible en semaine après 18 h. \
Par ailleurs, mon fils est allergique aux arachides : merci de ne pas glisser d'échantillons dans \
le prochain envoi. Si un remboursement est nécessaire, je préfère un avoir sur mon compte client. \
Merci d'avance pour votre aide et bonne journée, cordialement. ";

fn text() -> String {
    let mut s = String::new();
    while s.len() < 2048 {
        s.push_str(PARAGRAPH);
    }
    let cut = (0..=2048).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    s.truncate(cut);
    s
}

/// Median over `runs` runs of the mean time per call (ns) of `iters` calls. Arguments not starting
/// with `--` select the timings whose name contains one of them.
fn time(name: &str, runs: usize, iters: u32, mut f: impl FnMut() -> usize) {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() && !filters.iter().any(|x| name.contains(x.as_str())) {
        return;
    }
    let mut found = 0;
    let mut per_call: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                found = black_box(f());
            }
            t.elapsed().as_secs_f64() * 1e9 / f64::from(iters)
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    let median = per_call.get(runs / 2).copied().unwrap_or(f64::NAN);
    let min = per_call.first().copied().unwrap_or(f64::NAN);
    println!("{name:<40} {median:>10.0} ns/call median, {min:>10.0} min  ({found} findings)");
}

/// The first `check_record` call of the process (which pays for any table built on first use)
/// and the second one. Must run before any other check.
fn first_calls(row: &[RecordField], ctx: &Context<'_>) {
    let t = Instant::now();
    let first = black_box(minimisation::check_record(black_box(row), ctx)).len();
    let first_ns = t.elapsed().as_nanos();
    let t = Instant::now();
    let second = black_box(minimisation::check_record(black_box(row), ctx)).len();
    let second_ns = t.elapsed().as_nanos();
    println!("check_record first call of the process   {first_ns:>10} ns  ({first} findings)");
    println!("check_record second call                 {second_ns:>10} ns  ({second} findings)");
}

fn main() {
    let purposes = purposes();
    let ctx = Context { purposes: &purposes, minor_age: 15, today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap() };
    let (row, uncategorised, form, text) = (row(true), row(false), form(), text());
    first_calls(&uncategorised, &ctx);
    time("check_record (9 fields, categorised)", 11, 20_000, || {
        minimisation::check_record(black_box(&row), &ctx).len()
    });
    time("check_record (9 fields, no category)", 11, 20_000, || {
        minimisation::check_record(black_box(&uncategorised), &ctx).len()
    });
    time("check_form (10 fields)", 11, 20_000, || minimisation::check_form(black_box(&form), &ctx).len());
    time("scan_text (2 KiB French text)", 11, 2_000, || minimisation::scan_text("comment", black_box(&text)).len());
    time("  of which identifiers::find_in_text", 11, 2_000, || {
        fichier_domain::minimisation::identifiers::find_in_text(black_box(&text)).len()
    });
}
