//! Phone numbers to E.164: a compact, tested rule set for France and its overseas
//! departments (which have their own country codes), and for the rest of the world an
//! assigned calling code followed by as many digits as its numbering plan uses
//! ([`super::calling_codes`], generated from libphonenumber's metadata). Invalid numbers are refused with the rule that failed, never "fixed".
//!
//! Why not the `phonenumber` crate (0.3, measured here on 2026-11-29 with a wasm32-wasip2
//! command that parses one French number): 2.27 MB of wasm on its own (this whole
//! component is 0.7 MB), and the first parse, which loads its metadata, took 185 ms
//! natively and 436 ms in wasm (jco/V8), then 1.25 µs / 31 µs per number — a first-use
//! cost every fresh instance would pay. These rules cost nothing to load.

use super::calling_codes::CALLING_CODES;
use crate::kernel::error::{Error, Result};

/// The French national prefixes (after the trunk `0`) that belong to an overseas
/// department, and the country code their numbers take in E.164 (ARCEP numbering plan).
const OVERSEAS: [(&str, &str, &str); 13] = [
    ("590", "590", "Guadeloupe, Saint-Barthélemy, Saint-Martin (fixed)"),
    ("690", "590", "Guadeloupe (mobile)"),
    ("691", "590", "Guadeloupe (mobile)"),
    ("594", "594", "Guyane (fixed)"),
    ("694", "594", "Guyane (mobile)"),
    ("596", "596", "Martinique (fixed)"),
    ("696", "596", "Martinique (mobile)"),
    ("697", "596", "Martinique (mobile)"),
    ("262", "262", "La Réunion (fixed)"),
    ("263", "262", "La Réunion (fixed)"),
    ("692", "262", "La Réunion (mobile)"),
    ("693", "262", "La Réunion (mobile)"),
    ("269", "262", "Mayotte (fixed)"),
];

/// Mayotte's mobile prefix shares +262 with La Réunion.
const MAYOTTE_MOBILE: (&str, &str) = ("639", "262");

/// The E.164 country codes of French numbers: metropolitan France's, then the overseas
/// departments' (those of [`OVERSEAS`]). No code is a prefix of another, so a reader may try
/// them in turn.
pub(crate) const FRENCH_COUNTRY_CODES: [&str; 5] = ["33", "590", "594", "596", "262"];

fn overseas_code(national: &str) -> Option<&'static str> {
    OVERSEAS
        .iter()
        .map(|(p, c, _)| (*p, *c))
        .chain(std::iter::once(MAYOTTE_MOBILE))
        .find(|(p, _)| national.starts_with(p))
        .map(|(_, c)| c)
}

/// The country code that the French number with these national digits (the 9 after the trunk
/// `0`) takes in E.164: an overseas department's for its prefixes, else 33. `None` unless
/// `national` is 9 ASCII digits, the first not `0`. The one rule set for French numbers: the
/// free-text finder ([`crate::minimisation::identifiers::find_in_text`]) uses it too.
pub(crate) fn french_country_code(national: &str) -> Option<&'static str> {
    let ok = national.len() == 9 && national.bytes().all(|b| b.is_ascii_digit()) && !national.starts_with('0');
    ok.then(|| overseas_code(national).unwrap_or("33"))
}

/// Normalise a phone number to E.164 (`+33612345678`).
///
/// Accepted: French national numbers (`06 12 34 56 78`, `01.23.45.67.89`), `+33 6 12 34
/// 56 78`, `+33 (0)6 12 34 56 78`, `0033 6 12 34 56 78`, overseas departments in national
/// form (`0590 12 34 56` → `+590590123456`) or E.164, and any E.164 number (`+44 20 7946
/// 0958`). Separators: spaces (also non-breaking), `.`, `-`, `/`, and parentheses.
pub fn to_e164(field: &str, raw: &str) -> Result<String> {
    if raw.len() > 64 {
        return Err(Error::invalid(field, "max-length", "a phone number has at most 64 characters"));
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "non-empty", "a phone number must not be empty"));
    }
    // `+33 (0)6…`: the bracketed trunk zero is a common, unambiguous way of writing it.
    let unbracketed = trimmed.replacen("(0)", "", 1);
    let mut digits = String::with_capacity(20);
    let mut plus = false;
    for (i, c) in unbracketed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '\u{a0}' | '\u{202f}' | '.' | '-' | '/' | '(' | ')' => {}
            _ => {
                return Err(Error::invalid(
                    field,
                    "phone-syntax",
                    "a phone number holds digits, an initial +, and spaces, dots, dashes or parentheses",
                ));
            }
        }
    }
    let international = if plus { Some(digits.as_str()) } else { digits.strip_prefix("00") };
    match international {
        Some(rest) => international_number(field, rest),
        None => national_number(field, &digits),
    }
}

fn national_number(field: &str, digits: &str) -> Result<String> {
    let Some(national) = digits.strip_prefix('0') else {
        return Err(Error::invalid(
            field,
            "phone-prefix",
            "a French number starts with 0 (06 12 34 56 78); others start with + and the country code",
        ));
    };
    if national.len() != 9 {
        return Err(Error::invalid(field, "phone-length", "a French number has 10 digits (06 12 34 56 78)"));
    }
    match french_country_code(national) {
        Some(code) => Ok(format!("+{code}{national}")),
        None => Err(Error::invalid(field, "phone-prefix", "no French number starts with 00 after the trunk 0")),
    }
}

fn international_number(field: &str, digits: &str) -> Result<String> {
    if digits.starts_with('0') || digits.is_empty() {
        return Err(Error::invalid(field, "phone-country-code", "a country code does not start with 0"));
    }
    if let Some(national) = digits.strip_prefix("33") {
        if national.len() != 9 || national.starts_with('0') {
            return Err(Error::invalid(field, "phone-length", "+33 is followed by 9 digits (+33 6 12 34 56 78)"));
        }
        if french_country_code(national) != Some("33") {
            return Err(Error::invalid(
                field,
                "overseas-number-country-code",
                "overseas departments have their own country code (+590, +594, +596, +262), not +33",
            ));
        }
        return Ok(format!("+33{national}"));
    }
    for code in FRENCH_COUNTRY_CODES.into_iter().filter(|&c| c != "33") {
        if let Some(national) = digits.strip_prefix(code) {
            if national.len() != 9 {
                return Err(Error::invalid(field, "phone-length", format!("+{code} is followed by 9 digits")));
            }
            if french_country_code(national) != Some(code) {
                return Err(Error::invalid(
                    field,
                    "overseas-prefix",
                    format!("after +{code} comes one of that department's prefixes (+{code} {code} …)"),
                ));
            }
            return Ok(format!("+{digits}"));
        }
    }
    // E.164 (ITU-T): at most 15 digits in all, a calling code that is assigned, and as many
    // digits after it as its countries' numbering plans use (libphonenumber's lengths).
    if digits.len() > 15 {
        return Err(Error::invalid(field, "phone-length", "an international number has at most 15 digits after the +"));
    }
    let Some((code, national, lengths)) = calling_code(digits) else {
        let shown = &digits[..digits.len().min(3)];
        return Err(Error::invalid(
            field,
            "phone-country-code",
            format!("no country has the calling code +{shown} (ITU-T E.164)"),
        ));
    };
    if lengths & (1u32 << national.len()) == 0 {
        let allowed: Vec<String> = (1..32).filter(|n| lengths & (1 << n) != 0).map(|n| n.to_string()).collect();
        return Err(Error::invalid(
            field,
            "phone-length",
            format!("a number of +{code} has {} digits after the country code", allowed.join(", ")),
        ));
    }
    Ok(format!("+{digits}"))
}

/// The assigned calling code `digits` starts with (codes are prefix-free: one to three
/// digits), the digits after it, and the lengths they may have ([`CALLING_CODES`]).
fn calling_code(digits: &str) -> Option<(u16, &str, u32)> {
    (1..=3.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        let at = CALLING_CODES.binary_search_by_key(&code, |&(c, _)| c).ok()?;
        Some((code, &digits[n..], CALLING_CODES[at].1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_overseas_numbers() {
        let table = [
            ("06 12 34 56 78", "+33612345678"),
            ("07.12.34.56.78", "+33712345678"),
            ("01-23-45-67-89", "+33123456789"),
            ("0912345678", "+33912345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+33 (0)6 12 34 56 78", "+33612345678"),
            ("0033 6 12 34 56 78", "+33612345678"),
            ("\u{a0}06\u{202f}12 34 56 78 ", "+33612345678"),
            ("0590 12 34 56", "+590590123456"),
            ("0690 12 34 56", "+590690123456"),
            ("0594 12 34 56", "+594594123456"),
            ("0696 12 34 56", "+596696123456"),
            ("0262 12 34 56", "+262262123456"),
            ("0692 12 34 56", "+262692123456"),
            ("0269 61 23 45", "+262269612345"),
            ("0639 12 34 56", "+262639123456"),
            ("+590 690 12 34 56", "+590690123456"),
            ("+262 639 12 34 56", "+262639123456"),
            ("+44 20 7946 0958", "+442079460958"),
            ("0049 30 123456", "+4930123456"),
            ("+1 (415) 555-2671", "+14155552671"),
        ];
        for (raw, e164) in table {
            assert_eq!(to_e164("phone", raw).as_deref(), Ok(e164), "{raw}");
        }
    }

    #[test]
    fn french_country_codes_cover_the_overseas_table() {
        let mut from_table: Vec<&str> = OVERSEAS.iter().map(|(_, c, _)| *c).chain([MAYOTTE_MOBILE.1, "33"]).collect();
        from_table.sort_unstable();
        from_table.dedup();
        let mut codes = FRENCH_COUNTRY_CODES.to_vec();
        codes.sort_unstable();
        assert_eq!(codes, from_table);
        for a in FRENCH_COUNTRY_CODES {
            for b in FRENCH_COUNTRY_CODES {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
        for (national, code) in [
            ("612345678", Some("33")),
            ("690123456", Some("590")),
            ("639123456", Some("262")),
            ("012345678", None),
            ("61234567", None),
            ("6123456789", None),
            ("61234567a", None),
        ] {
            assert_eq!(french_country_code(national), code, "{national}");
        }
    }

    #[test]
    fn invalid_numbers_name_the_rule() {
        let table = [
            ("", "non-empty"),
            ("06 12 34 56", "phone-length"),
            ("06 12 34 56 78 9", "phone-length"),
            ("6 12 34 56 78", "phone-prefix"),
            ("00 00 12 34 56", "phone-country-code"),
            ("06 12 34 56 7a", "phone-syntax"),
            ("06+12345678", "phone-syntax"),
            ("+33 06 12 34 56 78", "phone-length"),
            ("+33 690 12 34 56", "overseas-number-country-code"),
            ("+590 612 34 56 78", "overseas-prefix"),
            ("+590 590 12 34 5", "phone-length"),
            ("+0 123 456 789", "phone-country-code"),
            ("+1 234", "phone-length"),
            ("+1234567890123456", "phone-length"),
        ];
        for (raw, rule) in table {
            match to_e164("input.phone", raw) {
                Err(Error::InvalidInput(e)) => {
                    assert_eq!(e.field, "input.phone");
                    assert_eq!(e.rule, rule, "{raw}");
                }
                other => panic!("{raw}: {other:?}"),
            }
        }
        assert!(to_e164("p", &"1".repeat(65)).is_err());
    }

    /// ITU-T E.164 as libphonenumber's metadata states it (the regulatory issue, point 2):
    /// a calling code nobody was assigned, or a number of another length than its
    /// country's plan, is refused; `00` opens an international number only before an
    /// assigned code. Numbers of each kind of code still pass.
    #[test]
    fn the_calling_code_is_assigned_and_the_length_its_countrys() {
        for (raw, rule) in [
            ("+999 123 456", "phone-country-code"),
            ("00 999 123 456", "phone-country-code"),
            ("+10000-01-01", "phone-length"),
            ("+44 20 7946 09", "phone-length"),
            ("+49 1", "phone-length"),
            ("+1 415 555 26710", "phone-length"),
        ] {
            match to_e164("phone", raw) {
                Err(Error::InvalidInput(e)) => assert_eq!(e.rule, rule, "{raw}"),
                other => panic!("{raw}: {other:?}"),
            }
        }
        let message = to_e164("phone", "+999 123 456").err().and_then(|e| e.field_error().map(|f| f.message.clone()));
        assert_eq!(message.as_deref(), Some("no country has the calling code +999 (ITU-T E.164)"));
        for (raw, e164) in [
            ("+7 912 345 67 89", "+79123456789"),
            ("+32 470 12 34 56", "+32470123456"),
            ("+41 44 668 18 00", "+41446681800"),
            ("+213 551 23 45 67", "+213551234567"),
            ("+800 1234 5678", "+80012345678"),
            ("+852 2123 4567", "+85221234567"),
        ] {
            assert_eq!(to_e164("phone", raw).as_deref(), Ok(e164), "{raw}");
        }
        // The table itself: sorted, codes prefix-free, France's nine digits.
        assert!(CALLING_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        for &(a, _) in CALLING_CODES {
            for &(b, _) in CALLING_CODES {
                assert!(a == b || !b.to_string().starts_with(&a.to_string()), "+{a} is a prefix of +{b}");
            }
        }
        assert_eq!(calling_code("33612345678").map(|(c, n, l)| (c, n.len(), l)), Some((33, 9, 1 << 9)));
    }
}
