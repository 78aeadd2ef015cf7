//! Identifiers that a minimisation check must recognise: the French social security number
//! (NIR), IBANs, payment card numbers (PAN), SIREN/SIRET, a scanner that finds e-mail
//! addresses, French phone numbers, IBANs, NIRs, card numbers and SIREN/SIRET in free text,
//! and the check of a whole value against every kind.
//!
//! Every candidate must pass its check digits (NIR key, IBAN mod 97, Luhn plus issuer prefix
//! and length for cards), so that ordinary numbers (orders, prices, dates) are not reported.
//! Everything here is total: no input panics, and the scanner runs in time linear in the text
//! (each start position looks ahead a bounded number of characters).
//!
//! The scanner reports kinds and byte spans, never the matched text: the caller must not echo
//! personal data back.
//!
//! - [`cards`] — payment card numbers: Luhn, issuer prefix and length.
//! - [`nir`] — the NIR: its groups, Corsica's 2A/2B, the key.
//! - [`iban`] — IBANs: the length per country, mod 97.
//! - [`text`] — the free-text scanner ([`find_in_text`]).
//! - [`check`] — which kinds a whole value is valid as ([`check_identifier`]).

mod cards;
mod check;
mod iban;
mod nir;
#[cfg(test)]
mod tests;
mod text;

pub use cards::{CardBrand, card_number};
pub use check::{IdentifierKind, IdentifierMatch, check_identifier};
pub use iban::{iban_length, iban_valid, parse_iban};
pub use nir::{Nir, nir_valid};
pub use text::{FindingKind, Occurrence, find_in_text};

/// A space that may separate groups of an identifier: space, no-break space, narrow no-break space.
fn is_space_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// A separator between groups of card digits.
fn is_card_sep(c: char) -> bool {
    is_space_sep(c) || c == '-'
}

/// A separator between pairs of phone digits.
fn is_phone_sep(c: char) -> bool {
    is_space_sep(c) || matches!(c, '.' | '-')
}

/// The value of an ASCII digit byte (callers check `is_ascii_digit` first).
fn digit_value(b: u8) -> u8 {
    b.wrapping_sub(b'0') % 10
}

/// `text` without surrounding whitespace, with every space separator removed, if what is left
/// is 1–`N` ASCII digits.
fn compact_digits<const N: usize>(s: &str) -> Option<([u8; N], usize)> {
    let mut out = [0u8; N];
    let mut n = 0;
    for c in s.trim().chars() {
        if is_space_sep(c) {
            continue;
        }
        if !c.is_ascii_digit() || n == N {
            return None;
        }
        out[n] = u8::try_from(c).ok()?;
        n += 1;
    }
    (n > 0).then_some((out, n))
}

// ---------------------------------------------------------------------------------------------
// Luhn, SIREN, SIRET
// ---------------------------------------------------------------------------------------------

/// Luhn (mod 10) over ASCII digits; callers guarantee every byte is a digit.
fn luhn_bytes(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        let mut v = u32::from(digit_value(b));
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum = (sum + v) % 10;
    }
    sum == 0
}

/// The Luhn check (ISO/IEC 7812-1) over a string of ASCII digits only: `false` when empty or when
/// anything but a digit appears.
pub fn luhn_valid(digits: &str) -> bool {
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && luhn_bytes(digits.as_bytes())
}

/// The length of a SIREN (company) and of a SIRET (establishment: SIREN + 5-digit NIC).
const SIREN_LEN: usize = 9;
const SIRET_LEN: usize = 14;

/// A SIREN (French company number): 9 digits passing Luhn; spaces between digits are accepted
/// (`732 829 320`). All zeros is refused.
pub fn siren_valid(s: &str) -> bool {
    match compact_digits::<SIREN_LEN>(s) {
        Some((d, SIREN_LEN)) => d.iter().any(|&b| b != b'0') && luhn_bytes(&d),
        _ => false,
    }
}

/// The SIREN of La Poste, whose establishments (SIRET) use a digit-sum check instead of Luhn.
const LA_POSTE_SIREN: &[u8] = b"356000000";

/// A SIRET (French establishment number): 14 digits (SIREN + NIC) passing Luhn; spaces between
/// digits are accepted. La Poste's establishments (`356000000…`) are numbered so that the sum
/// of the digits is a multiple of 5; its head office (`35600000000048`) passes Luhn, so either
/// check is accepted for them. All zeros is refused.
pub fn siret_valid(s: &str) -> bool {
    let Some((d, SIRET_LEN)) = compact_digits::<SIRET_LEN>(s) else {
        return false;
    };
    if d.iter().all(|&b| b == b'0') {
        return false;
    }
    if luhn_bytes(&d) {
        return true;
    }
    d.starts_with(LA_POSTE_SIREN) && d.iter().map(|&b| u32::from(digit_value(b))).sum::<u32>() % 5 == 0
}

/// A failed check: the rule and a sentence that does not repeat the input.
type Broken = (&'static str, &'static str);
