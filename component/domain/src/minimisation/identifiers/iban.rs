//! IBANs: the length per country (ISO 13616 registry) and the mod-97 check.

use super::nir::two_digits;
use super::{Broken, digit_value, is_space_sep};
use crate::kernel::error::{Error, Result};

pub(super) const IBAN_MAX: usize = 34;

/// IBAN lengths by country (SWIFT IBAN registry): every EU/EEA country, GB, CH and the other
/// countries of the registry.
pub(super) const IBAN_LENGTHS: &[(&str, usize)] = &[
    // EU
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IT", 27),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MT", 31),
    ("NL", 18),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    // EEA, United Kingdom, Switzerland and European microstates
    ("IS", 26),
    ("LI", 21),
    ("NO", 15),
    ("GB", 22),
    ("CH", 21),
    ("AD", 24),
    ("GI", 23),
    ("MC", 27),
    ("SM", 27),
    ("VA", 22),
    // Rest of the registry
    ("AE", 23),
    ("AL", 28),
    ("AZ", 28),
    ("BA", 20),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CR", 22),
    ("DJ", 27),
    ("DO", 28),
    ("EG", 29),
    ("FK", 18),
    ("FO", 18),
    ("GE", 22),
    ("GL", 18),
    ("GT", 28),
    ("HN", 28),
    ("IL", 23),
    ("IQ", 23),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LY", 25),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MU", 30),
    ("NI", 28),
    ("OM", 23),
    ("PK", 24),
    ("PS", 29),
    ("QA", 29),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// The length of an IBAN of `country` (ISO 3166 alpha-2, either case), if it issues IBANs.
pub fn iban_length(country: &str) -> Option<usize> {
    // Called at every word start of a scanned text: a direct 26×26 table.
    let &[a, b] = country.as_bytes() else { return None };
    let (a, b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return None;
    }
    Some(usize::from(IBAN_TABLE[usize::from(a - b'A') * 26 + usize::from(b - b'A')])).filter(|l| *l > 0)
}

/// [`IBAN_LENGTHS`] by country, `AA` to `ZZ` (0: no IBAN), computed at compile time.
pub(super) static IBAN_TABLE: [u8; 676] = {
    let mut t = [0u8; 676];
    let mut i = 0;
    while i < IBAN_LENGTHS.len() {
        let (cc, len) = IBAN_LENGTHS[i];
        let b = cc.as_bytes();
        assert!(b.len() == 2 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase() && len <= u8::MAX as usize);
        t[(b[0] - b'A') as usize * 26 + (b[1] - b'A') as usize] = len as u8;
        i += 1;
    }
    t
};

/// The IBAN characters of `s`, upper-cased, without spaces; `None` if anything else appears or
/// there are more than 34.
pub(super) fn iban_compact(s: &str) -> Option<([u8; IBAN_MAX], usize)> {
    let mut out = [0u8; IBAN_MAX];
    let mut n = 0;
    for c in s.chars() {
        if is_space_sep(c) || c == '\t' {
            continue;
        }
        if !c.is_ascii_alphanumeric() || n == IBAN_MAX {
            return None;
        }
        out[n] = u8::try_from(c).ok()?.to_ascii_uppercase();
        n += 1;
    }
    Some((out, n))
}

/// ISO 7064 mod 97-10 of an upper-cased IBAN, its first four characters moved to the end and
/// letters read as 10–35, computed piecewise.
pub(super) fn iban_mod97(c: &[u8]) -> u32 {
    let (head, tail) = c.split_at(c.len().min(4));
    tail.iter().chain(head).fold(0u32, |r, &b| {
        if b.is_ascii_digit() {
            (r * 10 + u32::from(digit_value(b))) % 97
        } else {
            (r * 100 + u32::from(b.wrapping_sub(b'A') % 26) + 10) % 97
        }
    })
}

/// Checks an upper-cased, compact IBAN.
pub(super) fn iban_check(c: &[u8]) -> std::result::Result<(), Broken> {
    let syntax = ("iban-syntax", "an IBAN is a country code, two check digits and up to 30 letters or digits");
    let [a, b, k1, k2, ..] = *c else {
        return Err(syntax);
    };
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || !k1.is_ascii_digit() || !k2.is_ascii_digit() {
        return Err(syntax);
    }
    let country = [a, b];
    let len = std::str::from_utf8(&country)
        .ok()
        .and_then(iban_length)
        .ok_or(("iban-country", "this country does not issue IBANs"))?;
    if c.len() != len {
        return Err(("iban-length", "the IBAN does not have its country's length"));
    }
    if !c.iter().all(u8::is_ascii_alphanumeric) {
        return Err(syntax);
    }
    // Check digits are 02–98: 00, 01 and 99 never come out of the computation.
    if !(2..=98).contains(&two_digits(k1, k2)) || iban_mod97(c) != 1 {
        return Err(("iban-checksum", "the check digits of this IBAN do not match"));
    }
    Ok(())
}

/// Whether `s` is an IBAN (ISO 13616): known country, that country's length, check digits
/// (mod 97 = 1). Spaces and lower case are accepted.
pub fn iban_valid(s: &str) -> bool {
    matches!(iban_compact(s), Some((c, n)) if c.get(..n).is_some_and(|c| iban_check(c).is_ok()))
}

/// Checks an IBAN and returns it compact and upper-cased. Errors name `field` and one of the
/// rules `iban-syntax`, `iban-country`, `iban-length`, `iban-checksum`; they never repeat the input.
pub fn parse_iban(field: &str, s: &str) -> Result<String> {
    let (c, n) = iban_compact(s.trim()).ok_or_else(|| {
        Error::invalid(
            field,
            "iban-syntax",
            "an IBAN is a country code, two check digits and up to 30 letters or digits",
        )
    })?;
    let c = c.get(..n).unwrap_or_default();
    iban_check(c).map_err(|(rule, message)| Error::invalid(field, rule, message))?;
    Ok(c.iter().map(|&b| char::from(b)).collect())
}
