//! Identifiers that a minimisation check must recognise: the French social security number
//! (NIR), IBANs, payment card numbers (PAN), SIREN/SIRET, and a scanner that finds e-mail
//! addresses, French phone numbers, IBANs, NIRs and card numbers in free text.
//!
//! Every candidate must pass its check digits (NIR key, IBAN mod 97, Luhn plus issuer prefix
//! and length for cards), so that ordinary numbers (orders, prices, dates) are not reported.
//! Everything here is total: no input panics, and the scanner runs in time linear in the text
//! (each start position looks ahead a bounded number of characters).
//!
//! The scanner reports kinds and byte spans, never the matched text: the caller must not echo
//! personal data back.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::{phone, validate};

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

/// A SIREN (French company number): 9 digits passing Luhn; spaces between digits are accepted
/// (`732 829 320`). All zeros is refused.
pub fn siren_valid(s: &str) -> bool {
    match compact_digits::<9>(s) {
        Some((d, 9)) => d.iter().any(|&b| b != b'0') && luhn_bytes(&d),
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
    let Some((d, 14)) = compact_digits::<14>(s) else {
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

// ---------------------------------------------------------------------------------------------
// Payment cards
// ---------------------------------------------------------------------------------------------

/// The scheme of a payment card number, recognised from its issuer prefix and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardBrand {
    Visa,
    Mastercard,
    AmericanExpress,
    Discover,
    Jcb,
    DinersClub,
    UnionPay,
    Maestro,
}

impl CardBrand {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::Visa => "visa",
            CardBrand::Mastercard => "mastercard",
            CardBrand::AmericanExpress => "american-express",
            CardBrand::Discover => "discover",
            CardBrand::Jcb => "jcb",
            CardBrand::DinersClub => "diners-club",
            CardBrand::UnionPay => "union-pay",
            CardBrand::Maestro => "maestro",
        }
    }
}

impl fmt::Display for CardBrand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shortest and longest card numbers of any scheme.
const CARD_MIN: usize = 12;
const CARD_MAX: usize = 19;

/// The SIRET length: 14-digit numbers pass Luhn as SIRETs, so they are never taken for cards
/// (this gives up the legacy 14-digit Diners Club cards; current ones have 16 digits).
const SIRET_LEN: usize = 14;

/// The scheme of a Luhn-valid number of ASCII digits whose prefix and length match one.
fn card_brand(d: &[u8]) -> Option<CardBrand> {
    let len = d.len();
    if !(CARD_MIN..=CARD_MAX).contains(&len) || len == SIRET_LEN || !luhn_bytes(d) {
        return None;
    }
    let prefix = |k: usize| d.iter().take(k).fold(0u32, |acc, &b| acc * 10 + u32::from(digit_value(b)));
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    let (brand, length_ok) = if p2 == 34 || p2 == 37 {
        (CardBrand::AmericanExpress, len == 15)
    } else if p1 == 4 {
        (CardBrand::Visa, matches!(len, 13 | 16 | 19))
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        (CardBrand::Mastercard, len == 16)
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 {
        (CardBrand::Discover, (16..=19).contains(&len))
    } else if (3528..=3589).contains(&p4) {
        (CardBrand::Jcb, (16..=19).contains(&len))
    } else if p2 == 36 || (300..=305).contains(&p3) || p4 == 3095 || p2 == 38 || p2 == 39 {
        (CardBrand::DinersClub, (14..=19).contains(&len))
    } else if p2 == 62 {
        (CardBrand::UnionPay, (16..=19).contains(&len))
    } else if p2 == 50 || (56..=69).contains(&p2) {
        (CardBrand::Maestro, (12..=19).contains(&len))
    } else {
        return None;
    };
    length_ok.then_some(brand)
}

/// The scheme of a payment card number (PAN), when the number passes Luhn and its issuer prefix
/// and length match a known scheme. Single spaces or dashes between digits are accepted
/// (`4111 1111 1111 1111`, `4111-1111-1111-1111`). 14-digit numbers are never cards: they would
/// be SIRETs.
pub fn card_number(s: &str) -> Option<CardBrand> {
    let mut d = [0u8; CARD_MAX];
    let mut n = 0;
    let mut after_sep = true; // no leading separator
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            if n == CARD_MAX {
                return None;
            }
            d[n] = u8::try_from(c).ok()?;
            n += 1;
            after_sep = false;
        } else if is_card_sep(c) && !after_sep {
            after_sep = true;
        } else {
            return None;
        }
    }
    if after_sep {
        return None; // empty, or a trailing separator
    }
    card_brand(d.get(..n)?)
}

// ---------------------------------------------------------------------------------------------
// NIR
// ---------------------------------------------------------------------------------------------

const NIR_LEN: usize = 15;

/// Whether a space may follow the `n`th character of a NIR: between the groups
/// sex | year | month | department | commune | order | key, and also after the third digit of an
/// overseas department (97x, 98x), whose commune has two digits.
fn nir_boundary(n: usize, c: &[u8; NIR_LEN]) -> bool {
    matches!(n, 1 | 3 | 5 | 7 | 10 | 13) || (n == 8 && c[5] == b'9' && matches!(c[6], b'7' | b'8'))
}

/// Reads the 15 characters of a NIR at the start of `s` (upper-cased), with at most one space at
/// each group boundary. Returns them and the number of bytes read.
fn nir_scan(s: &str) -> Option<([u8; NIR_LEN], usize)> {
    let mut out = [0u8; NIR_LEN];
    let mut n = 0;
    let mut after_sep = false;
    for (i, c) in s.char_indices() {
        if c.is_ascii_alphanumeric() {
            out[n] = u8::try_from(c).ok()?.to_ascii_uppercase();
            n += 1;
            after_sep = false;
            if n == NIR_LEN {
                return Some((out, i + 1));
            }
        } else if is_space_sep(c) && !after_sep && n > 0 && nir_boundary(n, &out) {
            after_sep = true;
        } else {
            return None;
        }
    }
    None
}

/// A failed check: the rule and a sentence that does not repeat the input.
type Broken = (&'static str, &'static str);

fn two_digits(a: u8, b: u8) -> u8 {
    digit_value(a) * 10 + digit_value(b)
}

/// Checks the structure and the key of 15 upper-cased NIR characters.
fn nir_check(c: &[u8; NIR_LEN]) -> std::result::Result<(), Broken> {
    let corsica = c[5] == b'2' && matches!(c[6], b'A' | b'B');
    let digits_ok = c.iter().enumerate().all(|(i, b)| b.is_ascii_digit() || (corsica && i == 6));
    if !digits_ok {
        return Err((
            "nir-syntax",
            "a NIR is 15 digits (department 2A or 2B for Corsica): sex, year, month, department, commune, order, key",
        ));
    }
    if !matches!(c[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return Err(("nir-sex", "a NIR starts with 1, 2, 3, 4, 7 or 8"));
    }
    let month = two_digits(c[3], c[4]);
    if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
        return Err(("nir-month", "the month of a NIR is 01–12, 20–42 or 50–99"));
    }
    if !corsica && two_digits(c[5], c[6]) == 0 {
        return Err(("nir-department", "the department of a NIR is 01–99, 2A or 2B"));
    }
    // The first 13 characters as a number, with 2A read as 19 and 2B as 18 (fits in a u64).
    let mut body = 0u64;
    for (i, &b) in c.iter().take(13).enumerate() {
        let d = match (i, b) {
            (5, _) if corsica => 1,
            (6, b'A') => 9,
            (6, b'B') => 8,
            _ => digit_value(b),
        };
        body = body * 10 + u64::from(d);
    }
    let key = 97 - body % 97;
    if u64::from(two_digits(c[13], c[14])) != key {
        return Err(("nir-key", "the key of this NIR does not match its first 13 characters"));
    }
    Ok(())
}

/// Whether `s` is a French social security number (NIR): 15 characters, spaces accepted between
/// groups (`2 53 07 2B 073 004 70`), with a valid sex, month, department and key.
pub fn nir_valid(s: &str) -> bool {
    let t = s.trim();
    matches!(nir_scan(t), Some((c, len)) if len == t.len() && nir_check(&c).is_ok())
}

/// A French social security number (NIR), checked, held as its 15 upper-case characters.
///
/// Its `Debug` output is redacted: a NIR is personal data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nir(String);

impl Nir {
    /// Parses a NIR (spaces between groups accepted). Errors name `field` and one of the rules
    /// `nir-syntax`, `nir-sex`, `nir-month`, `nir-department`, `nir-key`; they never repeat the input.
    pub fn parse(field: &str, s: &str) -> Result<Nir> {
        let t = s.trim();
        let syntax = || {
            Error::invalid(
                field,
                "nir-syntax",
                "a NIR is 15 characters: sex, year, month, department, commune, order, key (spaces between groups)",
            )
        };
        let (c, len) = nir_scan(t).ok_or_else(syntax)?;
        if len != t.len() {
            return Err(syntax());
        }
        nir_check(&c).map_err(|(rule, message)| Error::invalid(field, rule, message))?;
        Ok(Nir(c.iter().map(|&b| char::from(b)).collect()))
    }

    /// The 15 characters, without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn part(&self, from: usize, to: usize) -> &str {
        self.0.get(from..to).unwrap_or_default()
    }

    fn byte(&self, i: usize) -> u8 {
        self.0.as_bytes().get(i).copied().unwrap_or(b'0')
    }

    /// 1 or 3 (men), 2 or 4 (women), 7 or 8 (temporary numbers).
    pub fn sex(&self) -> u8 {
        digit_value(self.byte(0))
    }

    /// The last two digits of the year of birth.
    pub fn year(&self) -> u8 {
        two_digits(self.byte(1), self.byte(2))
    }

    /// The month of birth: 01–12, or 20–42 / 50–99 when unknown or special.
    pub fn month(&self) -> u8 {
        two_digits(self.byte(3), self.byte(4))
    }

    /// The department of birth: two digits, `2A` or `2B` (99 for a birth abroad).
    pub fn department(&self) -> &str {
        self.part(5, 7)
    }

    /// The commune (or country) code.
    pub fn commune(&self) -> &str {
        self.part(7, 10)
    }

    /// The order number of the birth in the commune's register that month.
    pub fn order(&self) -> &str {
        self.part(10, 13)
    }

    /// The key: 97 − (first 13 digits mod 97).
    pub fn key(&self) -> u8 {
        two_digits(self.byte(13), self.byte(14))
    }
}

impl fmt::Debug for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nir(<redacted>)")
    }
}

impl FromStr for Nir {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Nir::parse("nir", s)
    }
}

// ---------------------------------------------------------------------------------------------
// IBAN
// ---------------------------------------------------------------------------------------------

const IBAN_MAX: usize = 34;

/// IBAN lengths by country (SWIFT IBAN registry): every EU/EEA country, GB, CH and the other
/// countries of the registry.
const IBAN_LENGTHS: &[(&str, usize)] = &[
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
static IBAN_TABLE: [u8; 676] = {
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

#[cfg(test)]
mod iban_table_tests {
    use super::{IBAN_LENGTHS, IBAN_TABLE};

    /// The compile-time table equals the one `iban_length` used to build on first use.
    #[test]
    fn iban_table_matches_run_time_construction() {
        let mut t = [0u8; 676];
        for (cc, len) in IBAN_LENGTHS {
            let b = cc.as_bytes();
            t[usize::from(b[0] - b'A') * 26 + usize::from(b[1] - b'A')] = u8::try_from(*len).unwrap_or(0);
        }
        assert_eq!(t, IBAN_TABLE);
    }
}

/// The IBAN characters of `s`, upper-cased, without spaces; `None` if anything else appears or
/// there are more than 34.
fn iban_compact(s: &str) -> Option<([u8; IBAN_MAX], usize)> {
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
fn iban_mod97(c: &[u8]) -> u32 {
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
fn iban_check(c: &[u8]) -> std::result::Result<(), Broken> {
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

// ---------------------------------------------------------------------------------------------
// Free text
// ---------------------------------------------------------------------------------------------

/// What was found in a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    Email,
    Phone,
    Iban,
    Nir,
    CardNumber,
}

impl FindingKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Email => "email",
            FindingKind::Phone => "phone",
            FindingKind::Iban => "iban",
            FindingKind::Nir => "nir",
            FindingKind::CardNumber => "card-number",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identifier found in a text: its kind and byte span `start..end` (on character boundaries).
/// The matched text itself is deliberately not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub start: usize,
    pub end: usize,
}

/// A position in a text, moved forward one character at a time.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut rest = self.text.get(self.pos..)?.chars();
        rest.next()?;
        rest.next()
    }

    fn eat_if(&mut self, f: impl Fn(char) -> bool) -> Option<char> {
        let c = self.peek().filter(|&c| f(c))?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let found = self.text.get(self.pos..).is_some_and(|rest| rest.starts_with(s));
        if found {
            self.pos += s.len();
        }
        found
    }

    fn digit(&mut self) -> Option<u8> {
        self.eat_if(|c| c.is_ascii_digit()).and_then(|c| u8::try_from(c).ok())
    }
}

fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Whether a run of digits may start at `i`: not glued to a letter or digit, and not the
/// continuation of a spaced or dotted number (`12 34`, `12.34`, `12-34`).
fn digit_run_start(text: &str, i: usize) -> bool {
    match prev_char(text, i) {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some(c) if is_phone_sep(c) => {
            !prev_char(text, i.saturating_sub(c.len_utf8())).is_some_and(|p| p.is_ascii_digit())
        }
        Some(_) => true,
    }
}

/// Whether `i` comes right after a finding ending at `last_end` and one separator: identifiers
/// listed with spaces (`2 53 … 70 1 85 … 36`) are each found.
fn follows(text: &str, i: usize, last_end: Option<usize>) -> bool {
    prev_char(text, i).is_some_and(|c| is_phone_sep(c) && Some(i - c.len_utf8()) == last_end)
}

fn word_start(text: &str, i: usize) -> bool {
    !prev_char(text, i).is_some_and(char::is_alphanumeric)
}

fn ends_word(text: &str, end: usize) -> bool {
    !next_char(text, end).is_some_and(char::is_alphanumeric)
}

/// An IBAN starting at `i` (letters of either case, spaces anywhere after the country code).
fn match_iban(text: &str, i: usize) -> Option<usize> {
    let mut cur = Cursor { text, pos: i };
    let mut buf = [0u8; IBAN_MAX];
    for slot in buf.iter_mut().take(2) {
        *slot = u8::try_from(cur.eat_if(|c| c.is_ascii_alphabetic())?).ok()?.to_ascii_uppercase();
    }
    let len = iban_length(std::str::from_utf8(buf.get(..2)?).ok()?)?;
    for slot in buf.iter_mut().skip(2).take(2) {
        *slot = cur.digit()?;
    }
    for slot in buf.iter_mut().take(len).skip(4) {
        if cur.eat_if(is_space_sep).is_some() && cur.peek().is_some_and(is_space_sep) {
            return None;
        }
        *slot = u8::try_from(cur.eat_if(|c| c.is_ascii_alphanumeric())?).ok()?.to_ascii_uppercase();
    }
    (ends_word(text, cur.pos) && iban_check(buf.get(..len)?).is_ok()).then_some(cur.pos)
}

/// A NIR starting at `i`.
fn match_nir(text: &str, i: usize) -> Option<usize> {
    let (c, len) = nir_scan(text.get(i..)?)?;
    let end = i + len;
    (ends_word(text, end) && nir_check(&c).is_ok()).then_some(end)
}

/// A card number starting at `i`: the longest prefix of the digit run (single spaces or dashes
/// between digits) that ends a group and is a card number.
fn match_card(text: &str, i: usize) -> Option<usize> {
    let mut digits = [0u8; CARD_MAX];
    let mut ends = [0usize; CARD_MAX + 1]; // ends[n]: byte end when a group ends after n digits
    let mut n = 0;
    let mut cur = Cursor { text, pos: i };
    while let Some(d) = cur.digit() {
        let slot = digits.get_mut(n)?;
        *slot = d;
        n += 1;
        match cur.peek() {
            Some(c) if c.is_ascii_digit() => {
                if n == CARD_MAX {
                    break; // a longer run: only the group ends seen so far count
                }
            }
            Some(c) if c.is_alphanumeric() => break,
            Some(c) if is_card_sep(c) => {
                if let Some(e) = ends.get_mut(n) {
                    *e = cur.pos;
                }
                if n == CARD_MAX || !cur.peek2().is_some_and(|c| c.is_ascii_digit()) {
                    break;
                }
                cur.eat_if(is_card_sep);
            }
            _ => {
                if let Some(e) = ends.get_mut(n) {
                    *e = cur.pos;
                }
                break;
            }
        }
    }
    (CARD_MIN..=n.min(CARD_MAX)).rev().find_map(|len| {
        let end = *ends.get(len)?;
        (end != 0 && card_brand(digits.get(..len)?).is_some()).then_some(end)
    })
}

/// A French phone number starting at `i`, read as [`phone::to_e164`] reads French numbers: the
/// trunk `0` (`06 12 34 56 78`, `0690 12 34 56`), or a French country code after `+` or `00`
/// (`+33`, and the overseas departments' `+590`, `+594`, `+596`, `+262`), then a separator and a
/// bracketed trunk `(0)`, both optional; then the 9 national digits grouped `X XX XX XX XX`,
/// `XXX XX XX XX` or not at all, with one separator (space, dot or dash, the same throughout)
/// between groups. The digits must pass phone.rs's rules for that code (its table of overseas
/// prefixes), so `+33 690 12 34 56` and `+590 612 34 56 78`, which `to_e164` refuses, are not
/// reported. A longer run of digits (`06 12 34 56 78 90`) is not a phone.
fn match_phone(text: &str, i: usize) -> Option<usize> {
    let mut cur = Cursor { text, pos: i };
    let code = if cur.eat_str("+") || cur.eat_str("00") {
        let code = phone::FRENCH_COUNTRY_CODES.into_iter().find(|c| cur.eat_str(c))?;
        cur.eat_if(is_phone_sep);
        if cur.eat_str("(0)") {
            cur.eat_if(is_phone_sep);
        }
        Some(code)
    } else if cur.eat_str("0") {
        None
    } else {
        return None;
    };
    let mut national = [0u8; 9];
    let mut n = 0;
    let mut groups = [0usize; 5];
    let mut g = 0;
    let mut sep = None;
    loop {
        let mut len = 0;
        while let Some(d) = cur.digit() {
            *national.get_mut(n)? = d; // a tenth digit: a longer number
            n += 1;
            len += 1;
        }
        *groups.get_mut(g)? = len;
        g += 1;
        match (cur.peek(), cur.peek2()) {
            (Some(c), Some(next)) if is_phone_sep(c) && next.is_ascii_digit() && sep.is_none_or(|s| s == c) => {
                sep = Some(c);
                cur.eat_if(is_phone_sep);
            }
            _ => break,
        }
    }
    if !matches!(groups.get(..g)?, [9] | [1, 2, 2, 2, 2] | [3, 2, 2, 2]) {
        return None;
    }
    let expected = phone::french_country_code(std::str::from_utf8(&national).ok()?)?;
    (code.is_none_or(|c| c == expected) && ends_word(text, cur.pos)).then_some(cur.pos)
}

/// Characters of the local part of an e-mail address found in free text.
fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// The e-mail addresses of `text`, in order, without overlaps.
fn find_emails(text: &str) -> Vec<Finding> {
    const LOCAL_MAX: usize = 64;
    const DOMAIN_MAX: usize = 253;
    let mut out: Vec<Finding> = Vec::new();
    for (at, _) in text.match_indices('@') {
        // The local part: the run of local characters before '@' (at most 64 bytes), without
        // leading dots.
        let mut start = at;
        let mut too_long = false;
        for (k, c) in text.get(..at).unwrap_or_default().char_indices().rev() {
            if !is_local_char(c) {
                break;
            }
            if at - k > LOCAL_MAX + 1 {
                too_long = true;
                break;
            }
            start = k;
        }
        while text.as_bytes().get(start) == Some(&b'.') {
            start += 1;
        }
        if too_long || start == at || at - start > LOCAL_MAX || out.last().is_some_and(|f| f.end > start) {
            continue;
        }
        // The domain: the run of domain characters after '@', without trailing dots or dashes.
        let from = at + 1;
        let mut end = from;
        for (k, c) in text.get(from..).unwrap_or_default().char_indices() {
            if !is_domain_char(c) {
                break;
            }
            if k + c.len_utf8() > DOMAIN_MAX {
                too_long = true;
                break;
            }
            end = from + k + c.len_utf8();
        }
        while end > from && matches!(text.as_bytes().get(end - 1), Some(b'.' | b'-')) {
            end -= 1;
        }
        if too_long || end == from {
            continue;
        }
        if let Some(candidate) = text.get(start..end)
            && validate::email("text", candidate).is_ok()
        {
            out.push(Finding { kind: FindingKind::Email, start, end });
        }
    }
    out
}

/// Finds e-mail addresses, French phone numbers, IBANs, NIRs and payment card numbers in free
/// text. Each candidate must pass its checks (IBAN mod 97 and length, NIR key, card Luhn with
/// issuer prefix and length). Returns the kinds and byte spans, in order and without overlaps;
/// never the matched text.
pub fn find_in_text(text: &str) -> Vec<Finding> {
    let emails = find_emails(text);
    let mut out = Vec::with_capacity(emails.len());
    let mut next_email = emails.iter().peekable();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut last_end = None;
    while let Some(&b) = bytes.get(i) {
        // Skip the e-mail addresses already found (their digits are not phones).
        while next_email.peek().is_some_and(|e| e.end <= i) {
            if let Some(e) = next_email.next() {
                out.push(*e);
            }
        }
        if let Some(e) = next_email.peek()
            && e.start <= i
        {
            i = e.end;
            last_end = Some(e.end);
            continue;
        }
        // Only ASCII bytes start a candidate, and an ASCII byte is always a character boundary.
        let found = if b.is_ascii_alphabetic() && word_start(text, i) {
            match_iban(text, i).map(|end| (FindingKind::Iban, end))
        } else if b == b'+' && word_start(text, i) {
            match_phone(text, i).map(|end| (FindingKind::Phone, end))
        } else if b.is_ascii_digit() && (digit_run_start(text, i) || follows(text, i, last_end)) {
            match_nir(text, i)
                .map(|end| (FindingKind::Nir, end))
                .or_else(|| match_card(text, i).map(|end| (FindingKind::CardNumber, end)))
                .or_else(|| match_phone(text, i).map(|end| (FindingKind::Phone, end)))
        } else {
            None
        };
        match found {
            // A candidate running into an e-mail address is part of it.
            Some((kind, end)) if next_email.peek().is_none_or(|e| e.start >= end) => {
                out.push(Finding { kind, start: i, end });
                i = end;
                last_end = Some(end);
            }
            _ => i += 1,
        }
    }
    out.extend(next_email.copied());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NIR_EXAMPLE: &str = "253072B07300470";
    const IBANS: [&str; 5] = [
        "FR14 2004 1010 0505 0001 3M02 606",
        "DE89 3704 0044 0532 0130 00",
        "GB29 NWBK 6016 1331 9268 19",
        "BE68 5390 0754 7034",
        "NL91 ABNA 0417 1643 00",
    ];
    const CARDS: [(&str, CardBrand); 17] = [
        ("4111111111111111", CardBrand::Visa),
        ("4012888888881881", CardBrand::Visa),
        ("4222222222222", CardBrand::Visa),
        ("5555555555554444", CardBrand::Mastercard),
        ("5105105105105100", CardBrand::Mastercard),
        ("2223003122003222", CardBrand::Mastercard),
        ("2221000000000009", CardBrand::Mastercard),
        ("378282246310005", CardBrand::AmericanExpress),
        ("371449635398431", CardBrand::AmericanExpress),
        ("6011111111111117", CardBrand::Discover),
        ("6011000990139424", CardBrand::Discover),
        ("3530111333300000", CardBrand::Jcb),
        ("3566002020360505", CardBrand::Jcb),
        ("3056930009020004", CardBrand::DinersClub),
        ("6200000000000005", CardBrand::UnionPay),
        ("6759649826438453", CardBrand::Maestro),
        ("5018000000000009", CardBrand::Maestro),
    ];
    const SIRENS: [&str; 2] = ["732829320", "356000000"];
    const SIRETS: [&str; 3] = ["73282932000074", "35600000000048", "35600000000001"];

    /// `prefix` followed by its Luhn check digit.
    fn luhn_complete(prefix: &str) -> String {
        (0..10).map(|d| format!("{prefix}{d}")).find(|s| luhn_valid(s)).expect("one digit completes")
    }

    /// `body` (13 characters, 2A/2B allowed) followed by its NIR key, computed independently.
    fn nir_complete(body: &str) -> String {
        let n: u64 = body.replace("2A", "19").replace("2B", "18").parse().expect("13 digits");
        format!("{body}{:02}", 97 - n % 97)
    }

    /// Every string made from `s` by changing one digit to another.
    fn digit_changes(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in s.char_indices() {
            if c.is_ascii_digit() {
                for d in b'0'..=b'9' {
                    if char::from(d) != c {
                        let mut t = s.to_owned();
                        t.replace_range(i..i + 1, &char::from(d).to_string());
                        out.push(t);
                    }
                }
            }
        }
        out
    }

    /// Every string made from `s` (no spaces) by swapping two different adjacent digits, with the pair.
    fn adjacent_swaps(s: &str) -> Vec<(String, (u8, u8))> {
        let b = s.as_bytes();
        (0..b.len().saturating_sub(1))
            .filter(|&i| b[i].is_ascii_digit() && b[i + 1].is_ascii_digit() && b[i] != b[i + 1])
            .map(|i| {
                let mut t = b.to_vec();
                t.swap(i, i + 1);
                (String::from_utf8(t).expect("ascii"), (b[i], b[i + 1]))
            })
            .collect()
    }

    fn compact(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn is_09(pair: (u8, u8)) -> bool {
        matches!(pair, (b'0', b'9') | (b'9', b'0'))
    }

    #[test]
    fn identifiers_luhn() {
        assert!(luhn_valid("0"));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("7992 7398 713"));
        assert!(!luhn_valid("٧٩٩٢٧٣٩٨٧١٣")); // Arabic-Indic digits are not ASCII digits
        let long = "0".repeat(1_000_000);
        assert!(luhn_valid(&long));
    }

    #[test]
    fn identifiers_siren_siret() {
        for s in SIRENS {
            assert!(siren_valid(s), "{s}");
        }
        for s in SIRETS {
            assert!(siret_valid(s), "{s}");
        }
        assert!(siren_valid("732 829 320"));
        assert!(siret_valid("732 829 320 00074"));
        assert!(!luhn_valid("35600000000001"), "a La Poste SIRET accepted by its digit sum only");
        assert!(!siret_valid("35600000000002"));
        for bad in
            ["", "000000000", "00000000000000", "73282932", "7328293200", "73282932O", "732829320 1", "-732829320"]
        {
            assert!(!siren_valid(bad), "{bad:?}");
            assert!(!siret_valid(bad), "{bad:?}");
        }
        assert!(!siret_valid("732829320"));
        assert!(!siren_valid("73282932000074"));

        // Luhn catches every single-digit change; adjacent swaps slip through only for 0↔9.
        for valid in ["732829320".to_owned(), luhn_complete("55210055"), luhn_complete("54206547")] {
            let valid = valid.as_str();
            assert!(siren_valid(valid), "{valid}");
            for bad in digit_changes(valid) {
                assert!(!siren_valid(&bad), "{bad}");
            }
            for (bad, pair) in adjacent_swaps(valid) {
                assert_eq!(siren_valid(&bad), is_09(pair), "{bad}");
            }
        }
        for valid in ["73282932000074".to_owned(), luhn_complete("5521005540001"), luhn_complete("6420654790001")] {
            let valid = valid.as_str();
            assert!(siret_valid(valid), "{valid}");
            for bad in digit_changes(valid) {
                // La Poste's rule would accept a mutant that happened to start with its SIREN.
                assert!(!siret_valid(&bad), "{bad}");
            }
            for (bad, pair) in adjacent_swaps(valid) {
                assert_eq!(siret_valid(&bad), is_09(pair), "{bad}");
            }
        }
        // La Poste: the digit sum misses changes by ±5 only.
        let mutants = digit_changes("35600000000001");
        let accepted = mutants.iter().filter(|m| siret_valid(m)).count();
        assert!(accepted * 5 <= mutants.len(), "{accepted}/{}", mutants.len());
    }

    #[test]
    fn identifiers_cards() {
        for (pan, brand) in CARDS {
            assert!(luhn_valid(pan), "{pan}");
            assert_eq!(card_number(pan), Some(brand), "{pan}");
        }
        assert_eq!(card_number("4111 1111 1111 1111"), Some(CardBrand::Visa));
        assert_eq!(card_number(" 4111-1111-1111-1111 "), Some(CardBrand::Visa));
        assert_eq!(card_number("3782 822463 10005"), Some(CardBrand::AmericanExpress));
        assert_eq!(card_number("4111111111111111111"), None, "19 digits, Luhn invalid");
        assert_eq!(card_number(&luhn_complete("411111111111111111")), Some(CardBrand::Visa));
        for bad in [
            "",
            " ",
            "-",
            "4111  1111 1111 1111",
            "4111--1111-1111-1111",
            "-4111111111111111",
            "4111111111111111-",
            "4111111111111112",
            "41111111111111111111",
            "4111 1111 1111 111a",
            "1111111111111117",
            "4111111111111111\u{0}",
        ] {
            assert_eq!(card_number(bad), None, "{bad:?}");
        }
        // Prefixes and lengths: a Luhn-valid number of the wrong length is no card.
        assert_eq!(card_number(&luhn_complete("51000000000000000")), None, "Mastercard has 16 digits");
        assert_eq!(card_number(&luhn_complete("37000000000000")), Some(CardBrand::AmericanExpress));
        assert_eq!(card_number(&luhn_complete("370000000000000")), None, "Amex has 15 digits");
        assert_eq!(card_number(&luhn_complete("272100000000000")), None, "2721 is not Mastercard");
        assert_eq!(card_number(&luhn_complete("272000000000000")), Some(CardBrand::Mastercard));
        assert_eq!(card_number(&luhn_complete("64400000000000000")), Some(CardBrand::Discover));
        assert_eq!(card_number(&luhn_complete("64300000000000000")), Some(CardBrand::Maestro));
        assert_eq!(card_number(&luhn_complete("65000000000")), None, "Discover has 16–19 digits");
        assert_eq!(card_number(&luhn_complete("560000000000")), Some(CardBrand::Maestro));
        assert_eq!(card_number(&luhn_complete("5600000000000")), None, "14 digits is a SIRET");
        assert_eq!(card_number(&luhn_complete("350000000000000")), None, "35 below 3528 is nobody's");
        assert_eq!(card_number(&luhn_complete("380000000000000")), Some(CardBrand::DinersClub));
        // Legacy 14-digit Diners cards are given up: 14 digits is a SIRET.
        for diners14 in ["30569309025904", "38520000023237", "36227206271667"] {
            assert!(luhn_valid(diners14));
            assert_eq!(card_number(diners14), None, "{diners14}");
        }

        // Luhn catches every single-digit change; adjacent swaps slip through only for 0↔9.
        for (pan, _) in CARDS {
            for bad in digit_changes(pan) {
                assert_eq!(card_number(&bad), None, "{bad}");
            }
            for (bad, pair) in adjacent_swaps(pan) {
                if !is_09(pair) {
                    assert_eq!(card_number(&bad), None, "{bad}");
                }
            }
        }
    }

    #[test]
    fn identifiers_siret_siren_are_not_cards() {
        for s in SIRENS.iter().chain(&SIRETS) {
            assert_eq!(card_number(s), None, "{s}");
        }
        // SIRETs whose prefixes are card prefixes (Diners 36/38/300–305, Maestro 50/56–69,
        // Discover 65, UnionPay 62, Visa 4, Mastercard 51–55).
        for prefix in ["36", "38", "39", "301", "50", "56", "60", "6011", "62", "65", "67", "4", "51", "34", "3530"] {
            let body = format!("{prefix}{}", "1234567890123").chars().take(13).collect::<String>();
            let siret = luhn_complete(&body);
            assert!(siret_valid(&siret), "{siret}");
            assert_eq!(card_number(&siret), None, "{siret}");
            assert!(find_in_text(&format!("SIRET {siret}, merci.")).is_empty(), "{siret}");
            let siren = luhn_complete(&body[..8]);
            assert!(siren_valid(&siren), "{siren}");
            assert_eq!(card_number(&siren), None, "{siren}");
            assert!(find_in_text(&format!("SIREN {siren}.")).is_empty(), "{siren}");
        }
    }

    #[test]
    fn identifiers_nir() {
        assert!(nir_valid(NIR_EXAMPLE));
        assert!(nir_valid("2 53 07 2B 073 004 70"));
        assert!(nir_valid(" 253072b07300470 "));
        assert!(nir_valid("2\u{a0}53\u{a0}07\u{a0}2B\u{a0}073\u{a0}004\u{a0}70"));
        let nir = Nir::parse("subject.nir", "2 53 07 2B 073 004 70").expect("valid");
        assert_eq!(nir.as_str(), NIR_EXAMPLE);
        assert_eq!((nir.sex(), nir.year(), nir.month(), nir.key()), (2, 53, 7, 70));
        assert_eq!((nir.department(), nir.commune(), nir.order()), ("2B", "073", "004"));
        assert_eq!(format!("{nir:?}"), "Nir(<redacted>)");
        assert_eq!(NIR_EXAMPLE.parse::<Nir>().map(|n| n.key()), Ok(70));

        let generated = [
            nir_complete("1850578006084"),
            nir_complete("2990113055123"),
            nir_complete("185052A123456"),
            nir_complete("3751299123001"),
            nir_complete("4012012345678"),
            nir_complete("7424297112345"), // overseas department 971
            nir_complete("8005099123456"),
            nir_complete("1000101001001"),
        ];
        for valid in std::iter::once(NIR_EXAMPLE.to_owned()).chain(generated) {
            assert!(nir_valid(&valid), "{valid}");
            // mod 97 catches every single-digit change and every swap of adjacent digits.
            for bad in digit_changes(&valid) {
                assert!(!nir_valid(&bad), "{bad}");
            }
            for (bad, _) in adjacent_swaps(&valid) {
                assert!(!nir_valid(&bad), "{bad}");
            }
        }
        let dom = nir_complete("2424297112345");
        assert!(nir_valid(&format!(
            "{} {} {} {} {} {} {}",
            &dom[..1],
            &dom[1..3],
            &dom[3..5],
            &dom[5..8],
            &dom[8..10],
            &dom[10..13],
            &dom[13..]
        )));

        let rule = |s: &str| match Nir::parse("subject.nir", s) {
            Err(Error::InvalidInput(e)) => {
                assert_eq!(e.field, "subject.nir");
                assert!(!e.message.contains(s.trim()) || s.trim().is_empty(), "the message repeats the input");
                e.rule
            }
            other => panic!("{s:?}: {other:?}"),
        };
        assert_eq!(rule(""), "nir-syntax");
        assert_eq!(rule("25307207300470"), "nir-syntax");
        assert_eq!(rule("2530720730047012"), "nir-syntax");
        assert_eq!(rule("25 3072B07300470"), "nir-syntax", "a space inside a group");
        assert_eq!(rule("2  53072B07300470"), "nir-syntax", "two spaces");
        assert_eq!(rule("2530 72B07300470"), "nir-syntax");
        assert_eq!(rule("253072C07300470"), "nir-syntax");
        assert_eq!(rule("25307A207300470"), "nir-syntax");
        assert_eq!(rule("2530723B7300470"), "nir-syntax");
        assert_eq!(rule(&nir_complete("5530720073004")), "nir-sex");
        assert_eq!(rule(&nir_complete("0530720073004")), "nir-sex");
        assert_eq!(rule(&nir_complete("2531320073004")), "nir-month");
        assert_eq!(rule(&nir_complete("2530020073004")), "nir-month");
        assert_eq!(rule(&nir_complete("2534320073004")), "nir-month");
        assert_eq!(rule(&nir_complete("2530700073004")), "nir-department");
        assert_eq!(rule("253072B07300471"), "nir-key");
        assert_eq!(rule("253072A07300470"), "nir-key", "2A and 2B give different keys");
        for month in ["01", "12", "20", "42", "50", "99"] {
            assert!(nir_valid(&nir_complete(&format!("185{month}78006084"))), "{month}");
        }
    }

    #[test]
    fn identifiers_iban() {
        for iban in IBANS {
            assert!(iban_valid(iban), "{iban}");
            assert!(iban_valid(&compact(iban)), "{iban}");
            assert!(iban_valid(&iban.to_lowercase()), "{iban}");
            assert_eq!(parse_iban("payer.iban", iban), Ok(compact(iban)));
        }
        for (cc, len) in [("FR", 27), ("DE", 22), ("ES", 24), ("IT", 27), ("BE", 16), ("NL", 18), ("LU", 20)] {
            assert_eq!(iban_length(cc), Some(len));
        }
        for (cc, len) in [("PT", 25), ("IE", 22), ("AT", 20), ("CH", 21), ("GB", 22), ("MC", 27), ("fr", 27)] {
            assert_eq!(iban_length(cc), Some(len));
        }
        assert_eq!(iban_length("US"), None);
        assert_eq!(iban_length("F"), None);

        let rule = |s: &str| match parse_iban("payer.iban", s) {
            Err(Error::InvalidInput(e)) => e.rule,
            other => panic!("{s:?}: {other:?}"),
        };
        assert_eq!(rule(""), "iban-syntax");
        assert_eq!(rule("FR14-2004-1010"), "iban-syntax");
        assert_eq!(rule("FR142004101005050001"), "iban-length");
        assert_eq!(rule("US14200410100505000130"), "iban-country");
        assert_eq!(rule("FR15 2004 1010 0505 0001 3M02 606"), "iban-checksum");
        assert_eq!(rule(&"FR14".repeat(20)), "iban-syntax");
        assert_eq!(rule("14FR 2004 1010 0505 0001 3M02 606"), "iban-syntax");
        // Check digits 99 ≡ 02 (mod 97): refused by range, since the sum alone would pass.
        let with02 = (0..100)
            .map(|k| format!("GB02NWBK601613319268{k:02}"))
            .find(|s| iban_mod97(s.as_bytes()) == 1)
            .expect("two free digits reach every residue");
        assert!(iban_valid(&with02));
        let with99 = with02.replacen("GB02", "GB99", 1);
        assert_eq!(iban_mod97(with99.as_bytes()), 1);
        assert!(!iban_valid(&with99));
        assert_eq!(rule(&with99), "iban-checksum");

        // mod 97 catches every single change of a digit or a letter and every swap of adjacent digits.
        for iban in IBANS {
            let c = compact(iban);
            let mut mutants = digit_changes(&c);
            for (i, ch) in c.char_indices().filter(|(_, ch)| ch.is_ascii_uppercase()) {
                for l in 'A'..='Z' {
                    if l != ch {
                        let mut t = c.clone();
                        t.replace_range(i..i + 1, &l.to_string());
                        mutants.push(t);
                    }
                }
            }
            mutants.extend(adjacent_swaps(&c).into_iter().map(|(s, _)| s));
            assert!(mutants.len() > 100);
            for bad in mutants {
                assert!(!iban_valid(&bad), "{bad}");
            }
        }
    }

    /// The span of `needle` in `text`.
    fn span(text: &str, needle: &str) -> (usize, usize) {
        let start = text.find(needle).expect("needle in text");
        (start, start + needle.len())
    }

    fn spans(text: &str) -> Vec<(FindingKind, usize, usize)> {
        find_in_text(text).into_iter().map(|f| (f.kind, f.start, f.end)).collect()
    }

    #[test]
    fn identifiers_find_in_text() {
        let text = "Bonjour, je suis Élodie Martin (élodie.martin@exemple.fr), joignable au 06 12 34 56 78 \
                    ou au +33 (0)1 23 45 67 89. Mon IBAN : FR14 2004 1010 0505 0001 3M02 606 ; \
                    n° de sécu 2 53 07 2B 073 004 70, carte 4111 1111 1111 1111 (exp. 12/27). Merci !";
        let expected = [
            (FindingKind::Email, "élodie.martin@exemple.fr"),
            (FindingKind::Phone, "06 12 34 56 78"),
            (FindingKind::Phone, "+33 (0)1 23 45 67 89"),
            (FindingKind::Iban, "FR14 2004 1010 0505 0001 3M02 606"),
            (FindingKind::Nir, "2 53 07 2B 073 004 70"),
            (FindingKind::CardNumber, "4111 1111 1111 1111"),
        ];
        let want: Vec<_> = expected
            .iter()
            .map(|&(kind, needle)| {
                let (s, e) = span(text, needle);
                (kind, s, e)
            })
            .collect();
        assert_eq!(spans(text), want);

        // Other forms, one at a time.
        for (kind, needle) in [
            (FindingKind::Phone, "0612345678"),
            (FindingKind::Phone, "06.12.34.56.78"),
            (FindingKind::Phone, "06-12-34-56-78"),
            (FindingKind::Phone, "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78"),
            (FindingKind::Phone, "+33 6 12 34 56 78"),
            (FindingKind::Phone, "+33612345678"),
            (FindingKind::Phone, "0033 6 12 34 56 78"),
            (FindingKind::Phone, "+33.6.12.34.56.78"),
            (FindingKind::Phone, "09 70 80 90 00"),
            (FindingKind::Email, "a.b-c+tag@sous.domaine.example.com"),
            (FindingKind::Email, "Jean.Dupont@Example.ORG"),
            (FindingKind::Iban, "fr1420041010050500013m02606"),
            (FindingKind::Iban, "DE89370400440532013000"),
            (FindingKind::Iban, "GB29 NWBK 6016 1331 9268 19"),
            (FindingKind::Iban, "BE68 5390 0754 7034"),
            (FindingKind::Iban, "NL91 ABNA 0417 1643 00"),
            (FindingKind::Nir, "253072B07300470"),
            (FindingKind::Nir, "2 53 07 2b 073 004 70"),
            (FindingKind::CardNumber, "4111-1111-1111-1111"),
            (FindingKind::CardNumber, "378282246310005"),
            (FindingKind::CardNumber, "3782 822463 10005"),
            (FindingKind::CardNumber, "5555 5555 5555 4444"),
            (FindingKind::CardNumber, "6759 6498 2643 8453"),
        ] {
            for text in [
                needle.to_owned(),
                format!("Voici : {needle}."),
                format!("«\u{a0}{needle}\u{a0}»"),
                format!("({needle})"),
                format!("→{needle}←"),
                format!("{needle}, puis rien"),
            ] {
                let (s, e) = span(&text, needle);
                assert_eq!(spans(&text), vec![(kind, s, e)], "{text:?}");
            }
        }
        // A card followed by other digits is still found.
        let text = "carte 4111 1111 1111 1111 99";
        assert_eq!(spans(text), vec![(FindingKind::CardNumber, 6, 25)]);
        // The digits of an e-mail address are part of it.
        let text = "écrire à 0612345678@sms.example.fr";
        assert_eq!(spans(text), vec![(FindingKind::Email, span(text, "0612345678@sms.example.fr").0, text.len())]);
    }

    /// The finder reads French numbers with phone.rs's rules: every number it reports converts
    /// with `phone::to_e164`, overseas departments included, and what `to_e164` refuses is not
    /// reported.
    #[test]
    fn identifiers_phones_follow_phone_rules() {
        for needle in [
            "0690 12 34 56",
            "0690.12.34.56",
            "0590123456",
            "0262 12 34 56",
            "0639 12 34 56",
            "+590 690 12 34 56",
            "+590690123456",
            "00594 694 12 34 56",
            "+596 (0)696 12 34 56",
            "+262 639 12 34 56",
            "+262 2 69 61 23 45",
            "06 12 34 56 78",
            "+33 (0)6 12 34 56 78",
        ] {
            let text = format!("Tél. : {needle}.");
            let (s, e) = span(&text, needle);
            assert_eq!(spans(&text), vec![(FindingKind::Phone, s, e)], "{text:?}");
            assert!(crate::phone::to_e164("p", needle).is_ok(), "{needle}");
        }
        for text in [
            "+33 690 12 34 56",
            "+33 6 90 12 34 56",
            "+590 612 34 56 78",
            "+594 590 12 34 56",
            "+262 590 12 34 56",
            "+44 20 7946 0958",
            "00 12 34 56 78",
            "06 12 34 56 7",
            "06 12 34 56 78 90",
            "06 12 34 5 678",
            "06 123 456 78",
            "0 6 12 34 56 78",
            "06.12 34.56.78",
            "+33 6 12 34 56 78 9",
        ] {
            assert!(!spans(text).iter().any(|f| f.0 == FindingKind::Phone), "{text:?}");
        }
    }

    #[test]
    fn identifiers_nothing_in_ordinary_text() {
        for text in [
            "Commande n° 2024-000417 du 12/03/2024 : 3 articles à 19,99 € (total 59,97 €), \
             livraison prévue le 15.03.2024 à 14h30, réf. CMD-88412-B, code postal 75015, \
             facture 2024031500123, lot 4 500 × 12, poids 1 250,5 kg.",
            "Order #100234567 shipped 2024-03-12T10:15:00Z; tracking 1Z999AA10123456784; qty 12; total $1,299.00.",
            "Prix : 1 299,00 € TTC — remise 10 % — TVA 20 % — 2 x 49,90 €.",
            "Dates : 01/02/2024, 01.02.2024, 2024-02-01, 01-02-2024, 1er février 2024.",
            "Ticket 4000 1234 5678 9010, caisse 06, vendeur 12, 0,5 L, 33 cl, +33 %.",
            "Version 1.2.3, build 20240312, port 8080, ISBN 978-2-07-036822-8.",
            "SIRET 732 829 320 00074, SIREN 732829320, La Poste 35600000000048.",
            "Numéros : 01 02 03 04 05 06, 12 34 56 78 90.",
            "adresse invalide a@b, @exemple.fr, x@.fr, y@exemple.",
        ] {
            assert_eq!(spans(text), vec![], "{text}");
        }
    }

    /// A deterministic generator for the robustness test (tests only).
    struct Lcg(u64);
    impl Lcg {
        fn step(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
    }

    fn check_findings(text: &str) {
        let found = find_in_text(text);
        let mut last = 0;
        for f in &found {
            assert!(f.start >= last && f.start < f.end && f.end <= text.len(), "{f:?}");
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{f:?}");
            last = f.end;
        }
    }

    #[test]
    fn identifiers_no_panic_on_odd_inputs() {
        let mut inputs: Vec<String> = [
            "",
            " ",
            "\0",
            "\u{a0}",
            "\u{202f}",
            "é",
            "😀",
            "\u{feff}",
            "\u{200f}\u{202e}",
            "e\u{301}",
            "@",
            "@@",
            "a@",
            "@b.fr",
            "a@b@c.fr",
            "+",
            "+33",
            "+33 (0)",
            "0033",
            "(0)",
            "0",
            "06",
            "2A",
            "2B",
            "FR",
            "FR14",
            "FR14 ",
            "fr14 2004",
            "1 ",
            "2 53 07 2B",
            "253072B0730047",
            "4111 ",
            "4111-",
            "٠٦١٢٣٤٥٦٧٨",
            "０６１２３４５６７８",
            "𝟎𝟔𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        inputs.push("9".repeat(100_000));
        inputs.push("1 ".repeat(50_000));
        inputs.push("a@".repeat(50_000));
        inputs.push(format!("{}@{}", "a".repeat(70_000), "b.".repeat(70_000)));
        inputs.push("é1".repeat(50_000));
        inputs.push("FR".to_owned() + &"9".repeat(10_000));
        inputs.push("+33 (0)".repeat(10_000));
        inputs.push("06 12 34 56 78 ".repeat(5_000));
        inputs.push("2 53 07 2B 073 004 70 ".repeat(2_000));
        inputs.push("\u{a0}".repeat(30_000));
        inputs.push("😀0".repeat(30_000));

        // Random texts over an alphabet of the characters the scanners care about.
        let alphabet: Vec<char> = "0123456789 0.-+@()AaBbFRZé😀\u{a0}\u{202f}x.,".chars().collect();
        let mut rng = Lcg(42);
        for _ in 0..2_000 {
            let len = usize::try_from(rng.step() % 60).expect("small");
            let s: String =
                (0..len).map(|_| alphabet[usize::try_from(rng.step()).expect("small") % alphabet.len()]).collect();
            inputs.push(s);
        }
        // Every suffix and prefix of a text full of identifiers.
        let rich = "é élodie@exemple.fr 06 12 34 56 78 +33 6 12 34 56 78 FR14 2004 1010 0505 0001 3M02 606 \
                    2 53 07 2B 073 004 70 4111 1111 1111 1111 😀";
        for (i, _) in rich.char_indices() {
            inputs.push(rich[i..].to_owned());
            inputs.push(rich[..i].to_owned());
        }

        for s in &inputs {
            let _ = luhn_valid(s);
            let _ = siren_valid(s);
            let _ = siret_valid(s);
            let _ = card_number(s);
            let _ = nir_valid(s);
            let _ = Nir::parse("f", s);
            let _ = iban_valid(s);
            let _ = parse_iban("f", s);
            let _ = iban_length(s);
            check_findings(s);
        }
        assert_eq!(find_in_text(&"9".repeat(100_000)), vec![]);
        assert_eq!(find_in_text(&"06 12 34 56 78 ".repeat(5_000)).len(), 0, "one long number, not phones");
        assert_eq!(find_in_text(&"2 53 07 2B 073 004 70 ".repeat(2_000)).len(), 2_000);
    }
}
