//! The check of a form definition (its fields, their types, labels and purposes, and what each
//! does with its value).

use super::detectors::{
    BIRTH_NAME, CARD_NAME, CVV_NAME, IBAN_NAME, NIR_NAME, Named, PASSWORD_NAME, SECURITY_QUESTION_NAME,
};
use super::findings::{
    Detail, FIX_CARD_KEPT, FIX_CVV_HASHED, FIX_FREE_TEXT_FIELD, FIX_PASSWORD_HASH, FIX_PRE_TICKED,
    FIX_SECURITY_QUESTION, FIX_TIED, FIX_TIED_BOX, FIX_UNNEEDED, SRC_CARD, SRC_MINIMISATION, SRC_PASSWORD,
    SRC_PRE_TICKED, SRC_PURPOSE, SRC_TIED_CONSENT, birth_finding, check_declared, check_special_names, cvv_finding,
    declared, finish, iban_finding, is_optional, make, nir_finding, password_finding, payment_justified, rule,
};
use super::lexicon::Words;
use super::{Context, FieldType, Finding, FormField, Severity, ValueHandling, rules};

/// Whether the declared purpose `id` rests on consent (is not needed by the service).
fn consent_based(ctx: &Context<'_>, id: &str) -> bool {
    declared(ctx, id).is_some_and(|p| is_optional(p.kind))
}

/// Whether `form` holds the card field `card`'s own consent box: an unticked, optional checkbox
/// whose purposes share a consent-based purpose with the card field (CNIL délibération 2018-303:
/// a card is kept for later payments only with the person's explicit consent, by a box they tick).
fn has_own_consent_box(card: &FormField, form: &[FormField], ctx: &Context<'_>) -> bool {
    form.iter().any(|b| {
        b.field_type == FieldType::Checkbox
            && !b.checked
            && !b.required
            && b.purposes.iter().any(|id| card.purposes.contains(id) && consent_based(ctx, id))
    })
}

/// Checks a form definition: every field needs a declared purpose, consent-only fields must stay
/// optional, consent boxes unticked and optional, and some data must never be asked for (special
/// categories, NIR, a security question), or only in a certain way (a CVV passed to the payment
/// provider, a card kept only with its own consent box, masked and hashed passwords, an age
/// question rather than a date of birth).
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
        let checkbox = f.field_type == FieldType::Checkbox;
        let consent_box = checkbox && f.purposes.iter().any(|id| consent_based(ctx, id));
        let mut kinds = f.purposes.iter().filter_map(|id| declared(ctx, id)).map(|p| p.kind).peekable();
        let only_optional = kinds.peek().is_some() && kinds.all(is_optional);
        if f.required && !only_optional && consent_box {
            // A box that agrees to the order's terms and to a consent-based purpose at once.
            out.push(make(
                rule(rules::REQUIRED_FOR_OPTIONAL_PURPOSE, SRC_TIED_CONSENT),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the box must be ticked to send the form, and ticking it also agrees to a \
                              consent-based purpose the order does not need (tied consent)"
                        .to_owned(),
                    fix: FIX_TIED_BOX.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
        if consent_box && f.checked {
            out.push(make(
                rule(rules::PRE_TICKED_CONSENT, SRC_PRE_TICKED),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the consent box is ticked before the person acts, so ticking it is not consent"
                        .to_owned(),
                    fix: FIX_PRE_TICKED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
        if f.required && only_optional {
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
        // What the field does with its value: a CVV passed straight to the payment provider, or
        // a card passed to it or kept with its own consent box, is fine (CNIL délibération
        // 2018-303); a CVV kept in any form never is.
        let cvv = CVV_NAME.any(&names);
        if cvv && f.handling == ValueHandling::Stored {
            out.push(cvv_finding(field));
        } else if cvv && f.handling == ValueHandling::Hashed {
            out.push(make(
                rule(rules::CVV_FIELD, SRC_CARD),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the card security code (CVV/CVC, cryptogramme) is kept hashed; it must not be kept in \
                              any form"
                        .to_owned(),
                    fix: FIX_CVV_HASHED.to_owned(),
                    kind: Some("cvv"),
                    span: None,
                },
            ));
        }
        if !cvv
            && f.handling != ValueHandling::Transient
            && CARD_NAME.any(&names)
            && !has_own_consent_box(f, fields, ctx)
        {
            out.push(make(
                rule(rules::CARD_NUMBER, SRC_CARD),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the field's name or label asks for a payment card number, kept without its own \
                              unticked consent box"
                        .to_owned(),
                    fix: FIX_CARD_KEPT.to_owned(),
                    kind: Some("card-number"),
                    span: None,
                },
            ));
        }
        if IBAN_NAME.any(&names) {
            out.push(iban_finding(field, payment_justified(&f.purposes, ctx), None));
        }
        let password = PASSWORD_NAME.any(&names);
        if f.field_type != FieldType::Password && password {
            out.push(password_finding(field, false));
        }
        if password && !checkbox && f.handling == ValueHandling::Stored {
            out.push(make(
                rule(rules::PASSWORD_NOT_HASHED, SRC_PASSWORD),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the password is stored as typed, not as a slow, salted hash".to_owned(),
                    fix: FIX_PASSWORD_HASH.to_owned(),
                    kind: Some("password"),
                    span: None,
                },
            ));
        }
        if SECURITY_QUESTION_NAME.any(&names) {
            out.push(make(
                rule(rules::SECURITY_QUESTION, SRC_MINIMISATION),
                Detail {
                    severity: Severity::Warn,
                    field,
                    message: "a security question collects a fact of the person's life that no purpose needs to \
                              sign them in"
                        .to_owned(),
                    fix: FIX_SECURITY_QUESTION.to_owned(),
                    kind: Some("security-question"),
                    span: None,
                },
            ));
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
