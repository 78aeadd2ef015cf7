//! Payment card numbers (PAN): 12–19 digits (a setting's range in GDPR.md, unconfirmed),
//! the Luhn check, and the issuer prefix and length of each scheme.

use std::fmt;

use super::{SIRET_LEN, digit_value, is_card_sep, luhn_bytes};

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
pub(super) const CARD_MIN: usize = 12;
pub(super) const CARD_MAX: usize = 19;

/// The scheme of a Luhn-valid number of ASCII digits whose prefix and length match one.
/// 14-digit numbers are never cards: SIRETs pass Luhn too, and are 14 digits (this gives up
/// the legacy 14-digit Diners Club cards; current ones have 16 digits).
pub(super) fn card_brand(d: &[u8]) -> Option<CardBrand> {
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
