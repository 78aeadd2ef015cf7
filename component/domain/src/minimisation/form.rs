//! The check of a form definition (its fields, their types, labels and purposes).

use super::detectors::{BIRTH_NAME, CARD_NAME, CVV_NAME, IBAN_NAME, NIR_NAME, Named, PASSWORD_NAME};
use super::findings::{
    Detail, FIX_FREE_TEXT_FIELD, FIX_TIED, FIX_UNNEEDED, SRC_MINIMISATION, SRC_PURPOSE, SRC_TIED_CONSENT,
    birth_finding, card_finding, check_declared, check_special_names, cvv_finding, declared, finish, iban_finding,
    is_optional, make, nir_finding, password_finding, payment_justified, rule,
};
use super::lexicon::Words;
use super::{Context, FieldType, Finding, FormField, Severity, rules};

/// Checks a form definition: every field needs a declared purpose, consent-only fields must stay
/// optional, and some data must never be asked for (special categories, NIR, card number, CVV),
/// or only in a certain way (masked passwords, an age question rather than a date of birth).
pub fn check_form(fields: &[FormField], ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut words = Words::default();
    for f in fields {
        let field = f.name.as_str();

        // Purposes.
        if f.purposes.is_empty() {
            out.push(make(
                rule(rules::UNNEEDED_FIELD, SRC_PURPOSE),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "no declared purpose needs this field".to_owned(),
                    fix: FIX_UNNEEDED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
        check_declared(field, &f.purposes, ctx, &mut out);
        let mut kinds = f.purposes.iter().filter_map(|id| declared(ctx, id)).map(|p| p.kind).peekable();
        if f.required && kinds.peek().is_some() && kinds.all(is_optional) {
            out.push(make(
                rule(rules::REQUIRED_FOR_OPTIONAL_PURPOSE, SRC_TIED_CONSENT),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the field is required although only consent-based (optional) purposes use it, so \
                              consent would not be freely given"
                        .to_owned(),
                    fix: FIX_TIED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }

        // What the name and the label ask for.
        let names = [Named::read(&mut words, &f.name, true), Named::read(&mut words, &f.label, false)];
        check_special_names(field, &names, &mut out);
        if NIR_NAME.any(&names) {
            out.push(nir_finding(field, None));
        }
        let cvv = CVV_NAME.any(&names);
        if cvv {
            out.push(cvv_finding(field));
        }
        if !cvv && CARD_NAME.any(&names) {
            out.push(card_finding(field, None));
        }
        if IBAN_NAME.any(&names) {
            out.push(iban_finding(field, payment_justified(&f.purposes, ctx), None));
        }
        if f.field_type != FieldType::Password && PASSWORD_NAME.any(&names) {
            out.push(password_finding(field, false));
        }
        if f.field_type != FieldType::Checkbox && BIRTH_NAME.any(&names) {
            out.push(birth_finding(field, Severity::Warn, "the form asks for a full date of birth", ctx));
        } else if f.field_type == FieldType::Date {
            out.push(birth_finding(
                field,
                Severity::Info,
                "a date field whose name does not say what it holds; if it is a date of birth, it is more than \
                 an age check needs",
                ctx,
            ));
        }
        if f.field_type == FieldType::Textarea {
            out.push(make(
                rule(rules::FREE_TEXT_FIELD, SRC_MINIMISATION),
                Detail {
                    severity: Severity::Info,
                    field,
                    message: "a free-text field collects whatever people type, including sensitive data nobody \
                              asked for"
                        .to_owned(),
                    fix: FIX_FREE_TEXT_FIELD.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
    }
    finish(out)
}
