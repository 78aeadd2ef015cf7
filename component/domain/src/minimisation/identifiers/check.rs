//! The identifier check: which kinds of identifier a whole value is valid as, each by its own
//! rule (the same validators the checks and the free-text finder use).

use std::fmt;

use super::{card_number, iban_valid, nir_valid, siren_valid, siret_valid};
use crate::customers::phone::{self, FRENCH_COUNTRY_CODES};
use crate::kernel::validate;

/// A kind of identifier a value may be valid as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierKind {
    /// A French social security number (NIR): groups, Corsica's 2A/2B, key.
    Nir,
    /// An IBAN: the country's length, mod 97.
    Iban,
    /// A payment card number: Luhn, issuer prefix and length (never 14 digits).
    CardNumber,
    /// A French company number: 9 digits, Luhn.
    Siren,
    /// A French establishment number: 14 digits, Luhn (La Poste: digit sum mod 5).
    Siret,
    /// A French phone number (metropolitan France or an overseas department), in any form
    /// the customer file accepts (`06 12 34 56 78`, `+33 6 12 34 56 78`, `0590 12 34 56`).
    PhoneFr,
    /// Another country's phone number in E.164 form (`+44 20 7946 0958`).
    PhoneInternational,
    /// An e-mail address.
    Email,
}

impl IdentifierKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Nir => "nir",
            IdentifierKind::Iban => "iban",
            IdentifierKind::CardNumber => "card-number",
            IdentifierKind::Siren => "siren",
            IdentifierKind::Siret => "siret",
            IdentifierKind::PhoneFr => "phone-fr",
            IdentifierKind::PhoneInternational => "phone-international",
            IdentifierKind::Email => "email",
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kind a value is valid as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifierMatch {
    pub kind: IdentifierKind,
    /// The value in its normal form, only for the kinds a business publishes in the SIRENE
    /// register (SIREN, SIRET: the digits without spaces). Never for personal identifiers
    /// (NIR, card, IBAN, phone, e-mail): the check does not echo personal data, as findings
    /// do not.
    pub normalized: Option<String>,
    /// What the kind tells without the value: a card's scheme (`visa`), an IBAN's country
    /// (`FR`), a phone number's country calling code for a French one (`+33`, `+590`).
    pub detail: Option<String>,
}

/// Which kinds of identifier `value` (a whole value, surrounding spaces ignored) is valid as,
/// in the order of [`IdentifierKind`]. Empty when it is none. A value may be valid as several
/// kinds, though the rules keep most apart: a 9- or 14-digit number is never a card (12–19
/// digits, never 14), a NIR (15 characters) or a phone (a trunk `0` then 9 digits, or `+`).
pub fn check_identifier(value: &str) -> Vec<IdentifierMatch> {
    let v = value.trim();
    let mut out = Vec::new();
    let mut push = |kind, normalized: Option<String>, detail: Option<String>| {
        out.push(IdentifierMatch { kind, normalized, detail });
    };
    if nir_valid(v) {
        push(IdentifierKind::Nir, None, None);
    }
    if iban_valid(v) {
        push(IdentifierKind::Iban, None, v.get(..2).map(str::to_ascii_uppercase));
    }
    if let Some(brand) = card_number(v) {
        push(IdentifierKind::CardNumber, None, Some(brand.as_str().to_owned()));
    }
    let digits = || v.chars().filter(char::is_ascii_digit).collect::<String>();
    if siren_valid(v) {
        push(IdentifierKind::Siren, Some(digits()), None);
    }
    if siret_valid(v) {
        push(IdentifierKind::Siret, Some(digits()), None);
    }
    if let Ok(e164) = phone::to_e164("value", v) {
        let national = |code: &str| e164.strip_prefix('+')?.strip_prefix(code).filter(|n| n.len() == 9);
        match FRENCH_COUNTRY_CODES
            .into_iter()
            .find(|&c| national(c).is_some_and(|n| phone::french_country_code(n) == Some(c)))
        {
            Some(code) => push(IdentifierKind::PhoneFr, None, Some(format!("+{code}"))),
            None => push(IdentifierKind::PhoneInternational, None, None),
        }
    }
    if validate::email("value", v).is_ok() {
        push(IdentifierKind::Email, None, None);
    }
    out
}
