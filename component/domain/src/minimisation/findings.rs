//! Findings: each rule's source and fix, building a finding (never with the value), the
//! purposes' part in the rules (payment purposes, optional purposes), and the checks the
//! form, record and text checks share.

use std::collections::BTreeSet;

use super::detectors::Named;
use super::identifiers::FindingKind;
use super::lexicon::{Words, compact};
use super::special::{Special, special_matches};
use super::{Context, Finding, Purpose, PurposeKind, Severity, Span, rules};

pub(super) const SRC_MINIMISATION: &str = "GDPR Art. 5(1)(c)";
pub(super) const SRC_PURPOSE: &str = "GDPR Art. 5(1)(b)-(c)";
pub(super) const SRC_DECLARED: &str = "GDPR Art. 5(1)(b), Art. 13(1)(c), Art. 30(1)(b)";
pub(super) const SRC_TIED_CONSENT: &str = "GDPR Art. 7(4)";
pub(super) const SRC_NIR: &str = "Décret 2019-341 (NIR)";
pub(super) const SRC_CARD: &str = "CNIL délibération 2018-303";
pub(super) const SRC_PASSWORD: &str = "CNIL délibération 2022-100; GDPR Art. 32";
pub(super) const SRC_ACCURACY: &str = "GDPR Art. 5(1)(d)";
pub(super) const SRC_MINOR: &str = "GDPR Art. 8(1); Loi Informatique et Libertés art. 45";
pub(super) const SRC_IBAN_KEPT: &str = "GDPR Art. 5(1)(c), 5(1)(e)";
pub(super) const SRC_PRE_TICKED: &str = "CJEU C-673/17 Planet49; GDPR Art. 4(11), Art. 7";
pub(super) const SRC_BUSINESS: &str = "GDPR Art. 4(1), Recital 14";

pub(super) const FIX_NIR_FIELD: &str =
    "remove the field: retail may not process the NIR; identify customers by a customer number instead";
pub(super) const FIX_NIR_VALUE: &str = "erase the social security number (NIR): retail may not process it";
pub(super) const FIX_CARD_FIELD: &str = "remove the field: let the payment provider collect the card (hosted fields or \
                              redirection) and keep only its token";
pub(super) const FIX_CARD_VALUE: &str = "erase the card number from the customer file and keep the payment provider's token \
                              (at most the last 4 digits and the expiry)";
pub(super) const FIX_CVV: &str = "remove the field: the card security code goes straight to the payment provider and is never \
                       kept, not even until the payment";
pub(super) const FIX_IBAN_BLOCK: &str = "remove the IBAN, or declare the payment or refund purpose that needs it and attach \
                              the field to it";
pub(super) const FIX_IBAN_INFO: &str = "keep the IBAN only for the payment or refund purpose and only as long as it needs it; \
                             prefer the payment provider's mandate reference";
pub(super) const FIX_PASSWORD_FORM: &str = "use an input of type password (masked) and send it to the authentication system \
                                 only, never to the customer file";
pub(super) const FIX_PASSWORD_RECORD: &str = "remove the field: passwords, even hashed, belong to the authentication system, \
                                   not to the customer file";
pub(super) const FIX_CARD_KEPT: &str = "let the payment provider collect the card (hosted fields, handling transient) and \
                             keep only its token; to keep the card for later payments, attach the field to a \
                             consent purpose with its own unticked, optional box";
pub(super) const FIX_CVV_HASHED: &str = "pass the card security code straight to the payment provider (handling transient): \
                              it is never kept, not even hashed or encrypted";
pub(super) const FIX_PASSWORD_HASH: &str = "store only a slow, salted hash of the password (Argon2, scrypt, bcrypt, PBKDF2), \
                                 or leave it to the authentication system (handling transient)";
pub(super) const FIX_PRE_TICKED: &str = "leave the box unticked: consent is an act of the person, a box ticked in advance \
                              is not consent";
pub(super) const FIX_TIED_BOX: &str = "make the box optional: an order must not depend on consent to a purpose it does not \
                            need; ask for the order's terms in a separate box";
pub(super) const FIX_SECURITY_QUESTION: &str = "remove the question: let people reset their password by a link sent to \
                                     their e-mail address";
pub(super) const FIX_BIRTH_INVALID: &str = "correct or erase the date of birth (YYYY-MM-DD or DD/MM/YYYY)";
pub(super) const FIX_MINOR: &str = "collect the consent of a holder of parental responsibility (with the child's) and record \
                         it in a parental-consent field, or do not process the child's data on consent";
pub(super) const FIX_UNNEEDED: &str = "remove the field, or attach it to the declared purpose that needs it";
pub(super) const FIX_UNDECLARED: &str = "declare the purpose first (record of processing, information notice), or remove it \
                              from the field";
pub(super) const FIX_TIED: &str =
    "make the field optional: a consent-based purpose must not be a condition of the service";
pub(super) const FIX_SPECIAL_FIELD: &str = "remove the field: an e-shop has no Art. 9(2) exception to rely on; if one truly \
                                 applies, document it and collect explicit consent";
pub(super) const FIX_CRIMINAL_FIELD: &str = "remove the field: data on criminal convictions and offences may only be processed \
                                  under official authority or when the law allows it";
pub(super) const FIX_SPECIAL_VALUE: &str = "erase or redact the passage unless an Art. 9(2) exception applies; remind people \
                                 not to enter sensitive data in free text";
pub(super) const FIX_CRIMINAL_VALUE: &str = "erase or redact the passage: data on criminal convictions and offences may only \
                                  be processed under official authority or when the law allows it";
pub(super) const FIX_FREE_TEXT_FIELD: &str = "tell people what to write and not to enter sensitive data (health, opinions, \
                                   identifiers); scan submissions with scan-text";

/// Whether a purpose is about payment: its id or title mentions payment, paiement, refund,
/// rembours(ement), SEPA or prélèvement (accents and case ignored).
pub fn is_payment_purpose(p: &Purpose) -> bool {
    const WORDS: [&str; 6] = ["payment", "paiement", "refund", "rembours", "sepa", "prelevement"];
    let (id, title) = (compact(&p.id), compact(&p.title));
    WORDS.iter().any(|w| id.contains(w) || title.contains(w))
}

/// Whether an IBAN is justified for a field with these purposes (see the module documentation).
pub(super) fn payment_justified(field_purposes: &[String], ctx: &Context<'_>) -> bool {
    if field_purposes.is_empty() {
        ctx.purposes.iter().any(is_payment_purpose)
    } else {
        field_purposes.iter().filter_map(|id| declared(ctx, id)).any(is_payment_purpose)
    }
}

pub(super) fn declared<'a>(ctx: &Context<'a>, id: &str) -> Option<&'a Purpose> {
    ctx.purposes.iter().find(|p| p.id == id)
}

/// Consent-based purposes are optional; only `Service` (contract, legal obligation) is not.
pub(super) fn is_optional(kind: PurposeKind) -> bool {
    !matches!(kind, PurposeKind::Service)
}

// ---------------------------------------------------------------------------------------------
// Building findings
// ---------------------------------------------------------------------------------------------

/// What every finding of a rule shares.
pub(super) struct Rule {
    id: &'static str,
    source: &'static str,
}

pub(super) const fn rule(id: &'static str, source: &'static str) -> Rule {
    Rule { id, source }
}

/// Everything but the rule.
pub(super) struct Detail<'a> {
    pub(super) severity: Severity,
    pub(super) field: &'a str,
    pub(super) message: String,
    pub(super) fix: String,
    pub(super) kind: Option<&'a str>,
    pub(super) span: Option<Span>,
}

pub(super) fn make(rule: Rule, d: Detail<'_>) -> Finding {
    Finding {
        severity: d.severity,
        field: d.field.to_owned(),
        rule: rule.id.to_owned(),
        source: rule.source.to_owned(),
        message: d.message,
        fix: d.fix,
        kind: d.kind.map(str::to_owned),
        span: d.span,
    }
}

pub(super) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn span(start: usize, end: usize) -> Span {
    Span { start: to_u32(start), end: to_u32(end) }
}

/// Converts byte offsets (increasing, mostly) into character offsets in one pass.
pub(super) struct CharPos<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharPos<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        CharPos { text, byte: 0, chars: 0 }
    }

    /// The number of characters that start before byte `b`.
    pub(crate) fn at(&mut self, b: usize) -> usize {
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        for c in self.text.get(self.byte..).unwrap_or_default().chars() {
            if self.byte >= b {
                break;
            }
            self.byte += c.len_utf8();
            self.chars += 1;
        }
        self.chars
    }
}

/// Sorts (severity, field, span start, rule, then the rest) and removes duplicates.
pub(super) fn finish(mut out: Vec<Finding>) -> Vec<Finding> {
    crate::kernel::sort::sort_by(&mut out, |a, b| {
        (a.severity, &a.field, a.span.map(|s| s.start), &a.rule, &a.kind, a.span.map(|s| s.end), &a.message, &a.fix)
            .cmp(&(
                b.severity,
                &b.field,
                b.span.map(|s| s.start),
                &b.rule,
                &b.kind,
                b.span.map(|s| s.end),
                &b.message,
                &b.fix,
            ))
    });
    out.dedup();
    out
}

// ---------------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------------

/// `undeclared-purpose` for each purpose id of a field that the shop has not declared.
pub(super) fn check_declared(field: &str, purposes: &[String], ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for (i, id) in purposes.iter().enumerate() {
        if declared(ctx, id).is_none() && seen.insert(id.as_str()) {
            out.push(make(
                rule(rules::UNDECLARED_PURPOSE, SRC_DECLARED),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: format!(
                        "purpose number {} of this field is not one of the shop's declared purposes",
                        i + 1
                    ),
                    fix: FIX_UNDECLARED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
    }
}

/// Name- or label-based special categories: one blocking finding per category.
pub(super) fn check_special_names(field: &str, names: &[Named], out: &mut Vec<Finding>) {
    let specials = names.iter().fold(0, |acc, n| acc | n.specials);
    if specials == 0 {
        return;
    }
    for kind in Special::ALL.into_iter().filter(|k| specials & k.bit() != 0) {
        let fix = if kind == Special::Criminal { FIX_CRIMINAL_FIELD } else { FIX_SPECIAL_FIELD };
        out.push(make(
            rule(rules::SPECIAL_CATEGORY, kind.source()),
            Detail {
                severity: Severity::Block,
                field,
                message: format!(
                    "the field's name or label points to {}, a category the shop may not process by default",
                    kind.describe()
                ),
                fix: fix.to_owned(),
                kind: Some(kind.as_str()),
                span: None,
            },
        ));
    }
}

/// Special-category words in a value: one warning per occurrence (`words` are scratch buffers).
pub(super) fn check_special_text(field: &str, text: &str, words: &mut Words, out: &mut Vec<Finding>) {
    words.read(text, false);
    special_matches(words, |kind, start, end| {
        out.push(make(
            rule(rules::SPECIAL_CATEGORY, kind.source()),
            Detail {
                severity: Severity::Warn,
                field,
                message: format!(
                    "this passage seems to reveal {}, which the shop may not process by default",
                    kind.describe()
                ),
                fix: if kind == Special::Criminal { FIX_CRIMINAL_VALUE } else { FIX_SPECIAL_VALUE }.to_owned(),
                kind: Some(kind.as_str()),
                span: Some(span(start, end)),
            },
        ));
    });
}

/// Whether [`identifiers::find_in_text`] may find in `text` an identifier of a kind the caller
/// uses: NIRs, card numbers and IBANs, with `contact` also e-mail addresses and phone numbers,
/// and with `business` also SIRENs and SIRETs. What each needs: a NIR 15 characters of which at
/// most one is not an ASCII digit (2A/2B), a card number 12 to 19 ASCII digits, an IBAN two ASCII
/// letters starting a word right followed by two ASCII digits, an e-mail address an `@`, a phone
/// number 9 national ASCII digits, a SIREN 9 ASCII digits (a SIRET 14). So most short values
/// (names, postal codes, cities) skip the scan.
pub(crate) fn may_hold_identifier(text: &str, contact: bool, business: bool) -> bool {
    let b = text.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digits >= 12 || ((contact || business) && digits >= 9) || (contact && b.contains(&b'@')) {
        return true;
    }
    // An IBAN: two ASCII letters starting a word (a non-ASCII character before counts as a
    // possible word start), then two ASCII digits.
    digits >= 2
        && b.windows(4).enumerate().any(|(i, w)| {
            matches!(w, [x, y, d, e]
                if d.is_ascii_digit() && e.is_ascii_digit() && x.is_ascii_alphabetic() && y.is_ascii_alphabetic())
                && i.checked_sub(1).and_then(|j| b.get(j)).is_none_or(|p| !p.is_ascii_alphanumeric())
        })
}

/// A SIREN or SIRET in a value: what it is (a business identifier, never a card). Not an error
/// for a company, whose numbers are public (the GDPR protects natural persons, Recital 14); a
/// sole trader's (entrepreneur individuel) identifies the person, so the finding says so.
pub(super) fn business_finding(field: &str, kind: FindingKind, at: Span) -> Finding {
    let what = if kind == FindingKind::Siret {
        "a SIRET (French establishment number)"
    } else {
        "a SIREN (French company number)"
    };
    make(
        rule(rules::BUSINESS_IDENTIFIER, SRC_BUSINESS),
        Detail {
            severity: Severity::Info,
            field,
            message: format!("the value contains {what}: a business identifier, not a payment card"),
            fix: "nothing to do for a company; a sole trader's number identifies the person: keep it only for the \
                  purposes that need it (invoicing, B2B accounts)"
                .to_owned(),
            kind: Some(kind.as_str()),
            span: Some(at),
        },
    )
}

/// An identifier found in a free text: `personal-data-in-free-text`, but for a SIREN or SIRET
/// ([`business_finding`]).
pub(super) fn free_text_finding(field: &str, kind: FindingKind, at: Span) -> Finding {
    let (severity, source, what, fix) = match kind {
        FindingKind::Siren | FindingKind::Siret => return business_finding(field, kind, at),
        FindingKind::Email => (
            Severity::Warn,
            SRC_MINIMISATION,
            "an e-mail address",
            "keep contact data in the contact fields and remove it from the text",
        ),
        FindingKind::Phone => (
            Severity::Warn,
            SRC_MINIMISATION,
            "a phone number",
            "keep contact data in the contact fields and remove it from the text",
        ),
        FindingKind::Iban => (
            Severity::Block,
            SRC_MINIMISATION,
            "an IBAN",
            "remove the IBAN from the text; bank details, when a payment purpose needs them, go to their own field",
        ),
        FindingKind::Nir => (Severity::Block, SRC_NIR, "a social security number (NIR)", FIX_NIR_VALUE),
        FindingKind::CardNumber => (
            Severity::Block,
            SRC_CARD,
            "a payment card number",
            "remove the card number from the text; cards are handled by the payment provider only",
        ),
    };
    make(
        rule(rules::PERSONAL_DATA_IN_FREE_TEXT, source),
        Detail {
            severity,
            field,
            message: format!("the text contains {what}"),
            fix: fix.to_owned(),
            kind: Some(kind.as_str()),
            span: Some(at),
        },
    )
}

pub(super) fn iban_finding(field: &str, justified: bool, at: Option<Span>) -> Finding {
    if justified {
        make(
            rule(rules::IBAN_FOR_PAYMENT, SRC_IBAN_KEPT),
            Detail {
                severity: Severity::Info,
                field,
                message: "bank details (IBAN) collected for a declared payment or refund purpose".to_owned(),
                fix: FIX_IBAN_INFO.to_owned(),
                kind: Some("iban"),
                span: at,
            },
        )
    } else {
        make(
            rule(rules::IBAN_WITHOUT_PAYMENT, SRC_MINIMISATION),
            Detail {
                severity: Severity::Block,
                field,
                message: "bank details (IBAN) without a declared payment or refund purpose that needs them".to_owned(),
                fix: FIX_IBAN_BLOCK.to_owned(),
                kind: Some("iban"),
                span: at,
            },
        )
    }
}

pub(super) fn nir_finding(field: &str, at: Option<Span>) -> Finding {
    let (message, fix) = match at {
        None => ("the field's name or label asks for a social security number (NIR)", FIX_NIR_FIELD),
        Some(_) => ("the value is a social security number (NIR)", FIX_NIR_VALUE),
    };
    make(
        rule(rules::NIR, SRC_NIR),
        Detail {
            severity: Severity::Block,
            field,
            message: message.to_owned(),
            fix: fix.to_owned(),
            kind: Some("nir"),
            span: at,
        },
    )
}

pub(super) fn card_finding(field: &str, at: Option<Span>) -> Finding {
    let (message, fix) = match at {
        None => ("the field's name or label asks for a payment card number", FIX_CARD_FIELD),
        Some(_) => ("the value contains a payment card number", FIX_CARD_VALUE),
    };
    make(
        rule(rules::CARD_NUMBER, SRC_CARD),
        Detail {
            severity: Severity::Block,
            field,
            message: message.to_owned(),
            fix: fix.to_owned(),
            kind: Some("card-number"),
            span: at,
        },
    )
}

pub(super) fn cvv_finding(field: &str) -> Finding {
    make(
        rule(rules::CVV_FIELD, SRC_CARD),
        Detail {
            severity: Severity::Block,
            field,
            message: "the field asks for or holds a card security code (CVV/CVC, cryptogramme)".to_owned(),
            fix: FIX_CVV.to_owned(),
            kind: Some("cvv"),
            span: None,
        },
    )
}

pub(super) fn password_finding(field: &str, in_record: bool) -> Finding {
    let (message, fix) = if in_record {
        ("the customer file holds a password field", FIX_PASSWORD_RECORD)
    } else {
        ("a password is typed into a field that does not mask it", FIX_PASSWORD_FORM)
    };
    make(
        rule(rules::PLAIN_PASSWORD, SRC_PASSWORD),
        Detail {
            severity: Severity::Block,
            field,
            message: message.to_owned(),
            fix: fix.to_owned(),
            kind: Some("password"),
            span: None,
        },
    )
}

pub(super) fn birth_fix(ctx: &Context<'_>) -> String {
    format!("ask a yes/no 'I am {} or older' (or 18) instead, unless a purpose needs the date", ctx.minor_age)
}

pub(super) fn birth_finding(field: &str, severity: Severity, message: &str, ctx: &Context<'_>) -> Finding {
    make(
        rule(rules::FULL_BIRTH_DATE, SRC_MINIMISATION),
        Detail {
            severity,
            field,
            message: message.to_owned(),
            fix: birth_fix(ctx),
            kind: Some("birth-date"),
            span: None,
        },
    )
}

pub(super) fn birth_invalid_finding(field: &str, message: &str) -> Finding {
    make(
        rule(rules::BIRTH_DATE_INVALID, SRC_ACCURACY),
        Detail {
            severity: Severity::Warn,
            field,
            message: message.to_owned(),
            fix: FIX_BIRTH_INVALID.to_owned(),
            kind: Some("birth-date"),
            span: None,
        },
    )
}
