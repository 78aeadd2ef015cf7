//! Minimisation checks (GDPR Art. 5(1)(c)): is a form, a record or a free text collecting more
//! than the declared purposes need, or something a shop must never keep?
//!
//! Everything here is pure and total: no clock (`today` is an argument), no panics on any input,
//! and time linear in the input (times a fixed keyword table).
//!
//! **No echo.** A finding names the field, the rule, the kind of data and where it is (`span`,
//! in characters), never the value or any part of it.
//!
//! How things are recognised:
//! - *Names and labels* are folded (lower case, accents removed, `œ` → `oe`), split into words
//!   (also at camelCase boundaries for names) and compared with French and English word lists.
//!   A list entry is a word (`nir`), a stem (`diabet*`: diabète, diabétique, diabetes, diabetic)
//!   or a phrase of those (`casier* judiciaire*`). Whole words only: `health` matches
//!   "health data" but not "healthy snacks"; `religio*` matches "religieux" but not
//!   "irreligious". Ambiguous words are left out (French `politique` also means "policy", `race`
//!   also means "breed", `casier` alone is a locker), or count only in the context that gives
//!   them their sensitive sense (`special::CONTEXTUAL`: *je suis enceinte* but not *une enceinte
//!   Bluetooth*, *opérée du genou* but not *opération commerciale*, *membre du parti* but not
//!   *garden party*).
//! - *Identifiers in values* come from [`identifiers::find_in_text`]: NIR (key), IBAN (mod 97),
//!   card numbers (Luhn, issuer prefix and length; 14-digit numbers are SIRETs, never cards),
//!   SIREN/SIRET (Luhn; La Poste's SIRETs by digit sum), e-mail addresses and French phone
//!   numbers. A SIREN or SIRET is a business identifier: reported as such (`info`, since a sole
//!   trader's number identifies a person), never under a card's rule; in a text when written in
//!   the registry's groups or after its name (SIREN, SIRET, RCS), in a record also as the whole
//!   value of a field named for a company.
//! - *Payment purpose* (for IBANs): a declared purpose whose id or title mentions payment,
//!   paiement, refund, rembours(ement), SEPA or prélèvement. When the field lists purposes, one
//!   of *its* declared purposes must be such a purpose; when it lists none, any declared purpose
//!   of the shop counts.
//! - *What a form field does with its value* ([`ValueHandling`], default stored) decides the
//!   password, CVV and card findings. A checkbox's purposes are what ticking it agrees to; it
//!   is a *consent box* when one of them is consent-based (not [`PurposeKind::Service`]). A
//!   card kept (stored or hashed) needs *its own* consent box: an unticked, optional checkbox
//!   sharing a consent-based purpose with the card field (CNIL délibération 2018-303).
//!
//! In a record, identifiers are reported under their own rule (`nir`, `card-number`,
//! `iban-without-payment` / `iban-for-payment`) when the field holds them as structured data,
//! and under `personal-data-in-free-text` when they are hidden in free text: always in a
//! [`DataCategory::FreeText`] field, and in an uncategorised or [`DataCategory::Other`] field
//! when the identifier is only part of the value. E-mail addresses and phone numbers are only
//! reported in free text (an e-mail in the e-mail field is expected).
//!
//! | rule | severity | where |
//! |---|---|---|
//! | `unneeded-field` | block | form: a field with no purpose |
//! | `undeclared-purpose` | block | form, record: a purpose id the shop has not declared (once per id) |
//! | `required-for-optional-purpose` | block | form: required, and only consent-based purposes use it; a checkbox required with any consent-based purpose (tied consent, Art. 7(4)) |
//! | `pre-ticked-consent` | block | form: a checkbox ticked in advance for a consent-based purpose (CJEU C-673/17 Planet49) |
//! | `special-category` | block / warn | name or label (block); words in a value or text (warn, with span) |
//! | `nir` | block | name or label; a NIR as a record value |
//! | `card-number` | block | form name or label (not loyalty, gift, ID cards…) of a card kept (not transient) without its own unticked, optional consent box; a card number in a record value |
//! | `cvv-field` | block | form field named like a CVV / CVC / cryptogramme and not transient; any such record field |
//! | `iban-without-payment` | block | IBAN field or value with no payment purpose (see above) |
//! | `iban-for-payment` | info | the same, with a payment purpose |
//! | `plain-password` | block | form: a password field not of type password; record: any password field |
//! | `password-not-hashed` | block | form: a password field stored as typed (not hashed, not transient) |
//! | `security-question` | warn | form: a security question (question secrète), which no purpose needs |
//! | `full-birth-date` | warn / info | form: a birth-date field (warn), an unnamed date field (info); record (info) |
//! | `birth-date-invalid` | warn | record: a date of birth that is not a date, in the future or over 130 years |
//! | `minor-without-parental-consent` | block | record: under `minor_age` with no truthy parental-consent field |
//! | `personal-data-in-free-text` | block / warn | NIR, card, IBAN (block); e-mail, phone (warn) in free text |
//! | `free-text-field` | info | form: a textarea |
//! | `business-identifier` | info | record, text: a SIREN or SIRET (kind `siren` / `siret`), never taken for a card |
//!
//! Every finding currently names a field; `field` is empty only for form-level findings, which no
//! rule produces yet.
//!
//! The code follows the checks' steps:
//! - [`lexicon`] — folding and words: the compile-time word tables and the readers that
//!   split names and texts into folded words (accent folding from `fold_rules.rs`, shared
//!   with `build.rs`).
//! - [`detectors`] — what a field's name says it holds (NIR, CVV, card, IBAN, password,
//!   birth date, parental consent).
//! - [`special`] — Art. 9 categories and Art. 10 data, in names and in text.
//! - [`birth`] — dates of birth and ages.
//! - [`findings`] — rule ids' sources and fixes, building findings, the checks every
//!   entry point shares.
//! - [`form`], [`record`], [`text`] — the three checks; [`operations`] — them as the WIT
//!   `minimisation` interface's operations (input validation, role, the shop's purposes
//!   and policy); [`identifiers`] — the check-digit validators and the free-text scanner.
//!
//! **Architecture invariant:** everything here but [`operations`] is pure: no store, no
//! clock, and every table is built at compile time (an instance is fresh for every call,
//! so a table built at run time would be rebuilt on every call).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::consent::Purpose;
use crate::kernel::types::{DataCategory, PurposeKind};

mod birth;
mod detectors;
mod findings;
mod form;
pub mod identifiers;
mod lexicon;
pub mod operations;
mod record;
mod special;
#[cfg(test)]
mod tests;
mod text;

pub use birth::{BirthDate, age_on, parse_birth_date};
pub use findings::is_payment_purpose;
pub(crate) use findings::may_hold_identifier;
pub use form::check_form;
pub use record::{RecordChecker, check_record};
pub use text::scan_text;

/// How serious a finding is. Ordered from the most severe: `Block < Warn < Info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Must not be collected or kept as it is.
    Block,
    /// Probably more than needed; review.
    Warn,
    /// Worth knowing.
    Info,
}

/// An HTML input type, as far as the checks care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    Text,
    Email,
    Tel,
    Date,
    Number,
    Password,
    Checkbox,
    Select,
    Textarea,
    Hidden,
}

/// What the shop does with a field's value once the form is sent (GDPR.md "Forms").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueHandling {
    /// Kept as typed (encrypted at rest or not). What a form that says nothing means.
    #[default]
    Stored,
    /// Kept only as a slow, salted hash.
    Hashed,
    /// Passed to a third party (the payment provider's hosted fields) and never stored.
    Transient,
}

/// A form field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub field_type: FieldType,
    /// Must be filled (a checkbox: ticked) to send the form.
    pub required: bool,
    /// The purposes it is collected for; a checkbox's are what ticking it agrees to.
    pub purposes: Vec<String>,
    /// What happens to the value (default: stored).
    pub handling: ValueHandling,
    /// A checkbox ticked when the form opens (default: unticked).
    pub checked: bool,
}

/// A record field: a stored or submitted value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordField {
    pub name: String,
    pub value: String,
    pub category: Option<DataCategory>,
    pub purposes: Vec<String>,
}

/// What [`check_record`] reads of a field: a [`RecordField`], or a customer field input
/// (the import checks its rows without copying them).
pub trait RecordView {
    fn name(&self) -> &str;
    fn value(&self) -> &str;
    fn category(&self) -> Option<DataCategory>;
    fn purposes(&self) -> &[String];
}

impl RecordView for RecordField {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self) -> &str {
        &self.value
    }
    fn category(&self) -> Option<DataCategory> {
        self.category
    }
    fn purposes(&self) -> &[String] {
        &self.purposes
    }
}

/// Character offsets (Unicode scalar values, not bytes) into the field's value, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Finding {
    pub severity: Severity,
    /// The form field / record field name (`""` for form-level findings).
    pub field: String,
    /// Stable kebab-case rule id.
    pub rule: String,
    /// The article or CNIL text the rule comes from.
    pub source: String,
    /// A sentence for people; never contains the value or any part of it.
    pub message: String,
    /// What to do instead.
    pub fix: String,
    /// What was detected, when it is data (`nir`, `iban`, `card-number`, `email`, `health`, …).
    pub kind: Option<String>,
    /// Where in the value (record and text checks only).
    pub span: Option<Span>,
}

/// What the checks know about the shop.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The declared purposes. [`PurposeKind::Service`] (contract or legal obligation) is the one
    /// non-optional kind; the others rest on consent.
    pub purposes: &'a [Purpose],
    /// The age under which a parent must consent too (France: 15).
    pub minor_age: u8,
    /// Pinned by the caller; the checks never read the clock.
    pub today: NaiveDate,
}

// ---------------------------------------------------------------------------------------------
// Rules: id, source, fix
// ---------------------------------------------------------------------------------------------

/// The stable rule ids.
pub mod rules {
    pub const UNNEEDED_FIELD: &str = "unneeded-field";
    pub const UNDECLARED_PURPOSE: &str = "undeclared-purpose";
    pub const REQUIRED_FOR_OPTIONAL_PURPOSE: &str = "required-for-optional-purpose";
    pub const SPECIAL_CATEGORY: &str = "special-category";
    pub const NIR: &str = "nir";
    pub const CARD_NUMBER: &str = "card-number";
    pub const CVV_FIELD: &str = "cvv-field";
    pub const IBAN_WITHOUT_PAYMENT: &str = "iban-without-payment";
    pub const IBAN_FOR_PAYMENT: &str = "iban-for-payment";
    pub const PLAIN_PASSWORD: &str = "plain-password";
    pub const PASSWORD_NOT_HASHED: &str = "password-not-hashed";
    pub const PRE_TICKED_CONSENT: &str = "pre-ticked-consent";
    pub const SECURITY_QUESTION: &str = "security-question";
    pub const FULL_BIRTH_DATE: &str = "full-birth-date";
    pub const BIRTH_DATE_INVALID: &str = "birth-date-invalid";
    pub const MINOR_WITHOUT_PARENTAL_CONSENT: &str = "minor-without-parental-consent";
    pub const PERSONAL_DATA_IN_FREE_TEXT: &str = "personal-data-in-free-text";
    pub const FREE_TEXT_FIELD: &str = "free-text-field";
    pub const BUSINESS_IDENTIFIER: &str = "business-identifier";
}
