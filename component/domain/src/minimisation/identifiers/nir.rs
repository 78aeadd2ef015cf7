//! The NIR (French social security number): 15 characters — sex, year, month,
//! department (Corsica 2A/2B), commune, order, and a key of 97 − (13 digits mod 97).
//! Retail may not process it (décret 2019-341): it is only ever found, to be refused.

use std::fmt;
use std::str::FromStr;

use super::{Broken, digit_value, is_space_sep};
use crate::kernel::error::{Error, Result};

pub(super) const NIR_LEN: usize = 15;

/// Whether a separator may follow the `n`th character of a NIR: between the groups
/// sex | year | month | department | commune | order | key, and also after the third digit of an
/// overseas department (97x, 98x), whose commune has two digits.
pub(super) fn nir_boundary(n: usize, c: &[u8; NIR_LEN]) -> bool {
    matches!(n, 1 | 3 | 5 | 7 | 10 | 13) || (n == 8 && c[5] == b'9' && matches!(c[6], b'7' | b'8'))
}

/// The separator one NIR uses between its groups: a space (any of [`is_space_sep`]'s), a dot or
/// a dash. GDPR.md "Identifiers": people write a NIR with spaces, dots or dashes between the
/// groups (`2 53 07 2B 073 004 70`, `2.53.07.2B.073.004.70`, `2-53-07-2B-073-004-70`) and it is
/// the same NIR, found and refused the same way.
fn nir_sep(c: char) -> Option<char> {
    if is_space_sep(c) { Some(' ') } else { matches!(c, '.' | '-').then_some(c) }
}

/// Reads the 15 characters of a NIR at the start of `s` (upper-cased), with at most one
/// separator at each group boundary, the same kind (space, dot or dash) throughout. Returns them
/// and the number of bytes read.
pub(super) fn nir_scan(s: &str) -> Option<([u8; NIR_LEN], usize)> {
    let mut out = [0u8; NIR_LEN];
    let mut n = 0;
    let mut after_sep = false;
    let mut kind = None;
    for (i, c) in s.char_indices() {
        if c.is_ascii_alphanumeric() {
            out[n] = u8::try_from(c).ok()?.to_ascii_uppercase();
            n += 1;
            after_sep = false;
            if n == NIR_LEN {
                return Some((out, i + 1));
            }
        } else if let Some(sep) = nir_sep(c)
            && !after_sep
            && n > 0
            && nir_boundary(n, &out)
            && kind.is_none_or(|k| k == sep)
        {
            kind = Some(sep);
            after_sep = true;
        } else {
            return None;
        }
    }
    None
}

pub(super) fn two_digits(a: u8, b: u8) -> u8 {
    digit_value(a) * 10 + digit_value(b)
}

/// Checks the structure and the key of 15 upper-cased NIR characters.
pub(super) fn nir_check(c: &[u8; NIR_LEN]) -> std::result::Result<(), Broken> {
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

/// Whether `s` is a French social security number (NIR): 15 characters, spaces, dots or dashes
/// accepted between groups (`2 53 07 2B 073 004 70`, `2.53.07.2B.073.004.70`, one kind
/// throughout), with a valid sex, month, department and key.
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
    /// Parses a NIR (spaces, dots or dashes between groups accepted, one kind throughout). Errors name `field` and one of the rules
    /// `nir-syntax`, `nir-sex`, `nir-month`, `nir-department`, `nir-key`; they never repeat the input.
    pub fn parse(field: &str, s: &str) -> Result<Nir> {
        let t = s.trim();
        let syntax = || {
            Error::invalid(
                field,
                "nir-syntax",
                "a NIR is 15 characters: sex, year, month, department, commune, order, key (spaces, dots or dashes between groups)",
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
