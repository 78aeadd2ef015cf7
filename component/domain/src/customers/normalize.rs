//! Normalisation of customer fields: each function checks a value and returns it in its one
//! stored form, or refuses it with [`Error::invalid`] naming the field and the rule that failed.
//! Case, spacing and accents are normalised; an invalid value is never "fixed".
//!
//! [`fold`] is not a normaliser but the key under which names are compared (duplicates).

use super::phone;
use crate::kernel::error::{Error, Result};
use crate::kernel::validate;

/// An e-mail address: trimmed, lower-cased, syntax checked ([`validate::email`]).
pub fn email(field: &str, raw: &str) -> Result<String> {
    validate::email(field, raw)
}

/// A phone number in E.164 ([`phone::to_e164`]).
pub fn phone(field: &str, raw: &str) -> Result<String> {
    phone::to_e164(field, raw)
}

/// Spaces allowed between the digits of a postal code.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// A French postal code: 5 ASCII digits once trimmed and spaces removed (`75 001` → `75001`,
/// rule `postal-code-syntax`), in a department that exists (`postal-code-department`): not
/// `00`, `96`, nor `20` outside Corsica's 20000–20699, and overseas only 971–978 and 980
/// (Monaco), 986, 987, 988.
pub fn postal_code_fr(field: &str, raw: &str) -> Result<String> {
    let code: String = raw.trim().chars().filter(|&c| !is_space(c)).take(6).collect();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(field, "postal-code-syntax", "a French postal code has 5 digits, such as 75001"));
    }
    let n: u32 = code.parse().map_err(|_| Error::invalid(field, "postal-code-syntax", "not 5 digits"))?;
    let department_ok = match n / 1000 {
        0 | 96 => false,
        20 => n < 20_700,
        97 => (1..=8).contains(&(n / 100 % 10)),
        98 => matches!(n / 100 % 10, 0 | 6 | 7 | 8),
        d => (1..=95).contains(&d),
    };
    if !department_ok {
        return Err(Error::invalid(
            field,
            "postal-code-department",
            "no French department has this postal code (01–95, Corsica 20000–20699, 971–978, 980, 986–988)",
        ));
    }
    Ok(code)
}

/// The upper-case ASCII form of a French (or nearby Latin) accented letter, either case.
fn unaccent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' | 'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => "A",
        'ç' | 'Ç' => "C",
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "E",
        'î' | 'ï' | 'í' | 'ì' | 'Î' | 'Ï' | 'Í' | 'Ì' => "I",
        'ñ' | 'Ñ' => "N",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => "O",
        'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => "U",
        'ÿ' | 'ý' | 'Ÿ' | 'Ý' => "Y",
        'œ' | 'Œ' => "OE",
        'æ' | 'Æ' => "AE",
        _ => return None,
    })
}

/// An apostrophe: typewriter, typographic or modifier letter.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}')
}

/// A combining diacritical mark (decomposed accents, as some systems send `e` + U+0301).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Words of `s` separated by one space: every run of whitespace becomes one space, none at
/// either end.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Longest commune name in the La Poste address line 6 (38 characters, CEDEX included).
const COMMUNE_MAX: usize = 38;

/// A commune as La Poste writes it on the last address line: trimmed, whitespace collapsed,
/// upper case without accents (`Œ` → `OE`, `Æ` → `AE`), hyphens kept, apostrophes turned
/// into spaces (` Saint-Étienne ` → `SAINT-ETIENNE`, `L'Haÿ-les-Roses` → `L HAY-LES-ROSES`).
/// Words are letters joined by single hyphens (`commune-syntax`); the only digits allowed are
/// 1–2 after a final `CEDEX` (`Paris Cedex 08` → `PARIS CEDEX 08`). At most 38 characters
/// (`max-length`).
pub fn commune(field: &str, raw: &str) -> Result<String> {
    let syntax = || {
        Error::invalid(
            field,
            "commune-syntax",
            "a commune is letters, spaces and hyphens, optionally followed by CEDEX and 1–2 digits",
        )
    };
    let mut upper = String::with_capacity(raw.len().min(256));
    for c in raw.chars() {
        if c.is_ascii_alphabetic() {
            upper.push(c.to_ascii_uppercase());
        } else if let Some(s) = unaccent(c) {
            upper.push_str(s);
        } else if is_apostrophe(c) {
            upper.push(' ');
        } else if c == '-' || c.is_ascii_digit() || c.is_whitespace() {
            upper.push(c);
        } else {
            return Err(syntax());
        }
    }
    let out = collapse(&upper);
    if out.is_empty() {
        return Err(Error::invalid(field, "non-empty", "a commune must not be empty"));
    }
    let words: Vec<&str> = out.split(' ').collect();
    let name_words = match words.as_slice() {
        [rest @ .., "CEDEX", n] if n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()) => rest,
        [rest @ .., "CEDEX"] => rest,
        all => all,
    };
    let word_ok = |w: &&str| w.split('-').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_uppercase()));
    if name_words.is_empty() || !name_words.iter().all(word_ok) {
        return Err(syntax());
    }
    if out.len() > COMMUNE_MAX {
        return Err(Error::invalid(field, "max-length", "a commune has at most 38 characters"));
    }
    Ok(out)
}

/// Longest name (given or family) accepted, in characters.
const NAME_MAX: usize = 100;

/// A given or family name: trimmed, inner whitespace collapsed, case kept (`  jean   DUPONT `
/// → `jean DUPONT`). 1–100 characters (`non-empty`, `max-length`) of letters of any script
/// (with combining accents), spaces, hyphens, apostrophes (`’` becomes `'`) and periods, with
/// at least one letter; no digits, no control or other characters (`name-syntax`).
pub fn name(field: &str, raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "non-empty", "a name must not be empty"));
    }
    let syntax = || {
        Error::invalid(
            field,
            "name-syntax",
            "a name is letters, spaces, hyphens, apostrophes and periods (no digits or symbols)",
        )
    };
    let mut out = String::with_capacity(trimmed.len());
    let mut prev: Option<char> = None;
    let mut letters = 0usize;
    for c in trimmed.chars() {
        let keep = if c.is_alphabetic() {
            letters += 1;
            c
        } else if is_combining_mark(c) && prev.is_some_and(|p| p.is_alphabetic() || is_combining_mark(p)) {
            c
        } else if is_apostrophe(c) {
            '\''
        } else if matches!(c, '-' | '.') {
            c
        } else if c.is_whitespace() && !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}') {
            if prev == Some(' ') {
                continue;
            }
            ' '
        } else {
            return Err(syntax());
        };
        out.push(keep);
        prev = Some(keep);
    }
    if letters == 0 {
        return Err(syntax());
    }
    if out.chars().count() > NAME_MAX {
        return Err(Error::invalid(field, "max-length", "a name has at most 100 characters"));
    }
    Ok(out)
}

/// A country: ISO 3166-1 alpha-2, trimmed and upper-cased (` fr ` → `FR`; rule
/// `iso-3166-alpha-2`). Only the syntax is checked (two ASCII letters), not the assignment.
pub fn country(field: &str, raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.len() != 2 || !t.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::invalid(field, "iso-3166-alpha-2", "a country is two letters, such as FR"));
    }
    let code = t.to_ascii_uppercase();
    validate::country(field, &code)?;
    Ok(code)
}

/// The accent- and case-folded key under which names are compared: lower case, French
/// accented letters without their accents (`œ` → `oe`, `æ` → `ae`, combining accents
/// dropped), hyphens and apostrophes as spaces, whitespace collapsed and trimmed
/// (`L’Haÿ-les-Roses` → `l hay les roses`). Other characters are only lower-cased.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(plain) = unaccent(c) {
            out.extend(plain.chars().map(|p| p.to_ascii_lowercase()));
        } else if is_apostrophe(c) || matches!(c, '-' | '\u{2010}' | '\u{2011}') {
            out.push(' ');
        } else if is_combining_mark(c) {
            // dropped: `e` + U+0301 folds like `é`
        } else {
            out.extend(c.to_lowercase());
        }
    }
    collapse(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<String>) -> String {
        match r {
            Err(Error::InvalidInput(e)) => {
                assert_eq!(e.field, "f");
                e.rule
            }
            other => format!("not refused: {other:?}"),
        }
    }

    #[test]
    fn postal_codes() {
        for (raw, want) in [
            ("75001", "75001"),
            ("75 001", "75001"),
            (" 01000 ", "01000"),
            ("\u{a0}13\u{202f}008", "13008"),
            ("20000", "20000"),
            ("20200", "20200"),
            ("20699", "20699"),
            ("95880", "95880"),
            ("97100", "97100"),
            ("97200", "97200"),
            ("97400", "97400"),
            ("97600", "97600"),
            ("97800", "97800"),
            ("98000", "98000"),
            ("98600", "98600"),
            ("98800", "98800"),
        ] {
            assert_eq!(postal_code_fr("f", raw).as_deref(), Ok(want), "{raw:?}");
        }
        for (raw, want) in [
            ("", "postal-code-syntax"),
            ("7500", "postal-code-syntax"),
            ("750011", "postal-code-syntax"),
            ("75-001", "postal-code-syntax"),
            ("2A000", "postal-code-syntax"),
            ("７５００１", "postal-code-syntax"),
            ("00100", "postal-code-department"),
            ("20700", "postal-code-department"),
            ("20900", "postal-code-department"),
            ("96000", "postal-code-department"),
            ("97000", "postal-code-department"),
            ("97900", "postal-code-department"),
            ("98100", "postal-code-department"),
            ("98500", "postal-code-department"),
            ("98900", "postal-code-department"),
            ("99000", "postal-code-department"),
        ] {
            assert_eq!(rule(postal_code_fr("f", raw)), want, "{raw:?}");
        }
        assert_eq!(rule(postal_code_fr("f", &"1".repeat(100_000))), "postal-code-syntax");
    }

    #[test]
    fn communes() {
        for (raw, want) in [
            (" Saint-Étienne ", "SAINT-ETIENNE"),
            ("L'Haÿ-les-Roses", "L HAY-LES-ROSES"),
            ("L’Haÿ-les-Roses", "L HAY-LES-ROSES"),
            ("Paris Cedex 08", "PARIS CEDEX 08"),
            ("paris   cedex\t8", "PARIS CEDEX 8"),
            ("Lyon Cedex", "LYON CEDEX"),
            ("Œuilly", "OEUILLY"),
            ("Saint-Jean-de-Luz", "SAINT-JEAN-DE-LUZ"),
            ("Châlons-en-Champagne", "CHALONS-EN-CHAMPAGNE"),
            ("Aÿ-Champagne", "AY-CHAMPAGNE"),
            ("Le Kremlin-Bicêtre", "LE KREMLIN-BICETRE"),
            ("Saint-Rémy-en-Bouzemont-Saint-Genest-E", "SAINT-REMY-EN-BOUZEMONT-SAINT-GENEST-E"),
        ] {
            assert_eq!(commune("f", raw).as_deref(), Ok(want), "{raw:?}");
        }
        for (raw, want) in [
            ("", "non-empty"),
            ("  ", "non-empty"),
            ("'", "non-empty"),
            ("Paris 15", "commune-syntax"),
            ("Paris Cedex 123", "commune-syntax"),
            ("Cedex 08", "commune-syntax"),
            ("75001 Paris", "commune-syntax"),
            ("Paris (75)", "commune-syntax"),
            ("-Paris", "commune-syntax"),
            ("Saint--Denis", "commune-syntax"),
            ("Saint - Denis", "commune-syntax"),
            ("Paris_Nord", "commune-syntax"),
            ("Москва", "commune-syntax"),
            ("Pa\u{0}ris", "commune-syntax"),
            ("Saint-Rémy-en-Bouzemont-Saint-Genest-et", "max-length"),
            (&"A".repeat(100_000), "max-length"),
        ] {
            assert_eq!(rule(commune("f", raw)), want, "{raw:?}");
        }
    }

    #[test]
    fn names() {
        for (raw, want) in [
            ("  jean   DUPONT ", "jean DUPONT"),
            ("Jean-Pierre", "Jean-Pierre"),
            ("O’Brien", "O'Brien"),
            ("d'Artagnan", "d'Artagnan"),
            ("J.-P.", "J.-P."),
            ("Élodie", "Élodie"),
            ("E\u{301}lodie", "E\u{301}lodie"),
            ("Zoë\u{a0}Müller", "Zoë Müller"),
            ("Дмитрий", "Дмитрий"),
            ("山田", "山田"),
            ("X", "X"),
        ] {
            assert_eq!(name("f", raw).as_deref(), Ok(want), "{raw:?}");
        }
        for (raw, want) in [
            ("", "non-empty"),
            (" \t ", "non-empty"),
            ("Jean2", "name-syntax"),
            ("Jean\nDupont", "name-syntax"),
            ("Jean\u{0}", "name-syntax"),
            ("Jean_Dupont", "name-syntax"),
            ("Jean@Dupont", "name-syntax"),
            ("Jean\u{200b}", "name-syntax"),
            ("\u{301}Jean", "name-syntax"),
            ("-.'", "name-syntax"),
            ("😀", "name-syntax"),
            (&"a".repeat(101), "max-length"),
            (&"a ".repeat(100_000), "max-length"),
        ] {
            assert_eq!(rule(name("f", raw)), want, "{raw:?}");
        }
        assert_eq!(name("f", &"a".repeat(100)).map(|s| s.len()), Ok(100));
    }

    #[test]
    fn countries() {
        assert_eq!(country("f", " fr ").as_deref(), Ok("FR"));
        assert_eq!(country("f", "De").as_deref(), Ok("DE"));
        for bad in ["", "F", "FRA", "F1", "ß", "éé", "F R"] {
            assert_eq!(rule(country("f", bad)), "iso-3166-alpha-2", "{bad:?}");
        }
    }

    #[test]
    fn emails_and_phones_delegate() {
        assert_eq!(email("f", " Jean.Dupont@Example.FR ").as_deref(), Ok("jean.dupont@example.fr"));
        assert_eq!(rule(email("f", "jean@")), "email-syntax");
        for (raw, want) in [
            ("06 12 34 56 78", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("0033612345678", "+33612345678"),
            ("0690 12 34 56", "+590690123456"),
        ] {
            assert_eq!(phone("f", raw).as_deref(), Ok(want), "{raw:?}");
        }
        assert_eq!(rule(phone("f", "06 12 34 56")), "phone-length");
    }

    #[test]
    fn folding() {
        for (raw, want) in [
            ("  Jean-Pierre  DUPONT ", "jean pierre dupont"),
            ("L’Haÿ-les-Roses", "l hay les roses"),
            ("Élodie", "elodie"),
            ("E\u{301}lodie", "elodie"),
            ("Œdipe Lætitia", "oedipe laetitia"),
            ("François d'Aubigné", "francois d aubigne"),
            ("Дмитрий", "дмитрий"),
            ("", ""),
            (" - ' ", ""),
        ] {
            assert_eq!(fold(raw), want, "{raw:?}");
        }
    }
}
