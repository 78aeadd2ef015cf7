//! The check of a submitted record (its fields' names, values, categories and purposes).

use chrono::Datelike;

use super::birth::MAX_AGE;
use super::detectors::{BIRTH_NAME, CVV_NAME, NIR_NAME, Named, PASSWORD_NAME, is_parental_consent_name, is_truthy};
use super::findings::{
    CharPos, Detail, FIX_MINOR, SRC_MINOR, birth_finding, birth_invalid_finding, business_finding, card_finding,
    check_declared, check_special_names, check_special_text, cvv_finding, finish, free_text_finding, iban_finding,
    make, nir_finding, password_finding, payment_justified, rule, span,
};
use super::identifiers::FindingKind;
use super::lexicon::{Words, compact};
use super::{
    BirthDate, Context, DataCategory, Finding, RecordView, Severity, age_on, identifiers, may_hold_identifier,
    parse_birth_date, rules,
};

/// Categories whose values are not searched for special-category words (street names such as
/// "rue de la Santé", e-mail addresses, payment and account data).
pub(super) fn keyword_scanned(category: Option<DataCategory>) -> bool {
    !matches!(
        category,
        Some(DataCategory::Contact | DataCategory::PostalAddress | DataCategory::Payment | DataCategory::Account)
    )
}

/// Whether a field named for a company (`siren`, `siret`, `company`, `société`, `entreprise`,
/// `business`, `rcs`) holds a SIREN or SIRET as its whole value, and which.
fn business_value(name: &str, value: &str) -> Option<FindingKind> {
    const NAMES: [&str; 7] = ["siren", "siret", "company", "societe", "entreprise", "business", "rcs"];
    let kind = if identifiers::siret_valid(value) {
        FindingKind::Siret
    } else if identifiers::siren_valid(value) {
        FindingKind::Siren
    } else {
        return None;
    };
    let name = compact(name);
    NAMES.iter().any(|w| name.contains(w)).then_some(kind)
}

/// Checks a record (a submitted form, a row to import): what the customer file must never hold
/// (special categories, NIR, card numbers, CVV, passwords), IBANs without a payment purpose,
/// personal data hidden in free text, SIRENs and SIRETs (info, wherever they are), dates of birth, and minors without parental consent.
pub fn check_record<F: RecordView>(fields: &[F], ctx: &Context<'_>) -> Vec<Finding> {
    RecordChecker::default().check(fields, ctx)
}

/// [`check_record`] for many records with the same field names (the rows of an import):
/// what each name says is read once, not once per record.
#[derive(Default)]
pub struct RecordChecker {
    words: Words,
    names: Vec<(String, Named)>,
}

/// Most field names a [`RecordChecker`] remembers (any more are read every time).
pub(super) const REMEMBERED_NAMES: usize = 64;

impl RecordChecker {
    fn named(&mut self, name: &str) -> Named {
        if let Some((_, n)) = self.names.iter().find(|(k, _)| k == name) {
            return *n;
        }
        let n = Named::read(&mut self.words, name, true);
        if self.names.len() < REMEMBERED_NAMES {
            self.names.push((name.to_string(), n));
        }
        n
    }

    /// The findings of one record, as [`check_record`] gives them.
    pub fn check<F: RecordView>(&mut self, fields: &[F], ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        // Birth-date fields of a minor (under ctx.minor_age).
        let mut minors: Vec<&str> = Vec::new();
        for f in fields {
            let field = f.name();
            let value = f.value();
            check_declared(field, f.purposes(), ctx, &mut out);

            // What the name says.
            let names = [self.named(f.name())];
            check_special_names(field, &names, &mut out);
            let nir_name = NIR_NAME.any(&names);
            if CVV_NAME.any(&names) {
                out.push(cvv_finding(field));
            }
            if PASSWORD_NAME.any(&names) {
                out.push(password_finding(field, true));
            }

            // Identifiers in the value.
            let contact = matches!(f.category(), None | Some(DataCategory::FreeText | DataCategory::Other));
            let ids =
                if may_hold_identifier(value, contact, true) { identifiers::find_in_text(value) } else { Vec::new() };
            let trimmed_start = value.len() - value.trim_start().len();
            let trimmed_end = value.trim_end().len();
            let mut pos = CharPos::new(value);
            let mut nir_in_value = false;
            let mut business_in_value = false;
            for id in ids {
                let at = span(pos.at(id.start), pos.at(id.end));
                let whole = id.start <= trimmed_start && id.end >= trimmed_end;
                let free = match f.category() {
                    Some(DataCategory::FreeText) => true,
                    None | Some(DataCategory::Other) => !whole,
                    Some(_) => false,
                };
                if id.kind == FindingKind::Nir {
                    nir_in_value = true;
                }
                if matches!(id.kind, FindingKind::Siren | FindingKind::Siret) {
                    business_in_value = true;
                    out.push(business_finding(field, id.kind, at));
                    continue;
                }
                if free {
                    out.push(free_text_finding(field, id.kind, at));
                    continue;
                }
                match id.kind {
                    FindingKind::Nir => out.push(nir_finding(field, Some(at))),
                    FindingKind::CardNumber => out.push(card_finding(field, Some(at))),
                    FindingKind::Iban => out.push(iban_finding(field, payment_justified(f.purposes(), ctx), Some(at))),
                    FindingKind::Email | FindingKind::Phone | FindingKind::Siren | FindingKind::Siret => {}
                }
            }
            // A whole value that is a SIREN or SIRET, in a field named for one, needs no name
            // before it (the finder wants one for digits written together).
            if !business_in_value && let Some(kind) = business_value(field, value) {
                let at = span(pos.at(trimmed_start), pos.at(trimmed_end));
                out.push(business_finding(field, kind, at));
            }
            if nir_name && !nir_in_value {
                out.push(nir_finding(field, None));
            }
            if keyword_scanned(f.category()) {
                check_special_text(field, value, &mut self.words, &mut out);
            }

            // Dates of birth.
            if BIRTH_NAME.any(&names) && !value.trim().is_empty() {
                match parse_birth_date(value) {
                    Some(BirthDate::Full(birth)) => match age_on(birth, ctx.today) {
                        None => out.push(birth_invalid_finding(field, "the date of birth is in the future")),
                        Some(age) if age > MAX_AGE => {
                            out.push(birth_invalid_finding(field, "the date of birth is implausibly old"));
                        }
                        Some(age) => {
                            out.push(birth_finding(
                                field,
                                Severity::Info,
                                "the record keeps a full date of birth",
                                ctx,
                            ));
                            if age < i32::from(ctx.minor_age) {
                                minors.push(field);
                            }
                        }
                    },
                    Some(BirthDate::Year(year)) => {
                        // Age is this difference or one less: report only a certain minor.
                        let oldest = ctx.today.year() - year;
                        if oldest < 0 {
                            out.push(birth_invalid_finding(field, "the year of birth is in the future"));
                        } else if oldest > MAX_AGE + 1 {
                            out.push(birth_invalid_finding(field, "the year of birth is implausibly old"));
                        } else if oldest < i32::from(ctx.minor_age) {
                            minors.push(field);
                        }
                    }
                    None => out.push(birth_invalid_finding(
                        field,
                        "the date of birth is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                    )),
                }
            }
        }

        let parental_consent =
            !minors.is_empty() && fields.iter().any(|f| is_parental_consent_name(f.name()) && is_truthy(f.value()));
        if !parental_consent {
            for field in minors {
                out.push(make(
                    rule(rules::MINOR_WITHOUT_PARENTAL_CONSENT, SRC_MINOR),
                    Detail {
                        severity: Severity::Block,
                        field,
                        message: format!(
                            "the person is under {} and the record holds no parental consent",
                            ctx.minor_age
                        ),
                        fix: FIX_MINOR.to_owned(),
                        kind: Some("minor"),
                        span: None,
                    },
                ));
            }
        }
        finish(out)
    }
}
