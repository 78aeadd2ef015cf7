//! The free-text scanner: e-mail addresses, French phone numbers, IBANs, NIRs, card
//! numbers and French business identifiers (SIREN, SIRET) found in a text, each reported as an [`Occurrence`] (its kind and byte span),
//! never as the text itself.

use std::fmt;

use super::cards::{CARD_MAX, CARD_MIN, card_brand};
use super::iban::{IBAN_MAX, iban_check};
use super::nir::{nir_check, nir_scan};
use super::{SIREN_LEN, SIRET_LEN, iban_length, is_card_sep, is_phone_sep, is_space_sep, siren_valid, siret_valid};
use crate::customers::phone;
use crate::kernel::validate;

/// What was found in a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    Email,
    Phone,
    Iban,
    Nir,
    CardNumber,
    /// A French company number (9 digits, Luhn): a business identifier, not a card.
    Siren,
    /// A French establishment number (14 digits, Luhn or La Poste's digit sum).
    Siret,
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
            FindingKind::Siren => "siren",
            FindingKind::Siret => "siret",
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
pub struct Occurrence {
    pub kind: FindingKind,
    pub start: usize,
    pub end: usize,
}

/// A position in a text, moved forward one character at a time.
pub(super) struct Cursor<'a> {
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

pub(super) fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

pub(super) fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Whether a run of digits may start at `i`: not glued to a letter or digit, and not the
/// continuation of a spaced or dotted number (`12 34`, `12.34`, `12-34`).
pub(super) fn digit_run_start(text: &str, i: usize) -> bool {
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
pub(super) fn follows(text: &str, i: usize, last_end: Option<usize>) -> bool {
    prev_char(text, i).is_some_and(|c| is_phone_sep(c) && Some(i - c.len_utf8()) == last_end)
}

pub(super) fn word_start(text: &str, i: usize) -> bool {
    !prev_char(text, i).is_some_and(char::is_alphanumeric)
}

pub(super) fn ends_word(text: &str, end: usize) -> bool {
    !next_char(text, end).is_some_and(char::is_alphanumeric)
}

/// An IBAN starting at `i` (letters of either case, spaces anywhere after the country code).
pub(super) fn match_iban(text: &str, i: usize) -> Option<usize> {
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
pub(super) fn match_nir(text: &str, i: usize) -> Option<usize> {
    let (c, len) = nir_scan(text.get(i..)?)?;
    let end = i + len;
    (ends_word(text, end) && nir_check(&c).is_ok()).then_some(end)
}

/// A card number starting at `i`: the longest prefix of the digit run (single spaces or dashes
/// between digits) that ends a group and is a card number.
pub(super) fn match_card(text: &str, i: usize) -> Option<usize> {
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
pub(super) fn match_phone(text: &str, i: usize) -> Option<usize> {
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

/// A SIRET or SIREN starting at `i`, as a French business identifier is written: in the groups
/// of the registry, one space or dash between them, the same throughout (`732 829 320 00074`,
/// `732829320 00074`, `732-829-320`), or its digits together (`73282932000074`, `732829320`)
/// after its name (`SIRET`, `SIREN` or `RCS` in the 32 bytes before it): nine or fourteen digits
/// alone pass Luhn one time in ten, as any order or invoice number does. The digits must pass
/// [`siret_valid`] / [`siren_valid`] and the number must end a word. A spaced one followed by
/// another group of digits is part of a longer number (`123 456 789 012`), and is not reported;
/// one written without spaces may be followed by another (a list).
///
/// Cards are never confused with these: a SIREN is shorter than any card (12 digits at least)
/// and the card finder refuses every 14-digit number (`cards::card_brand`), so a SIRET
/// that passes Luhn is a SIRET; 9 and 14 digits are neither a NIR (15) nor a French phone
/// (a trunk `0` and 9 digits).
pub(super) fn match_business(text: &str, i: usize) -> Option<(FindingKind, usize)> {
    let mut digits = [0u8; SIRET_LEN];
    let mut n = 0;
    let mut groups = [0usize; 4];
    let mut g = 0;
    let mut sep = None;
    let mut cur = Cursor { text, pos: i };
    // `ends[n]`: where the number ends and its number of groups, when a group ends after `n`
    // digits (zero otherwise). Reading stops at the 15th digit: no longer number is one.
    let mut ends = [(0usize, 0usize); SIRET_LEN + 1];
    'groups: loop {
        let mut len = 0;
        while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
            let Some(slot) = digits.get_mut(n) else {
                break 'groups;
            };
            *slot = cur.digit()?;
            n += 1;
            len += 1;
        }
        *groups.get_mut(g)? = len;
        g += 1;
        *ends.get_mut(n)? = (cur.pos, g);
        match (cur.peek(), cur.peek2()) {
            (Some(c), Some(next))
                if is_card_sep(c) && next.is_ascii_digit() && g < groups.len() && sep.is_none_or(|s| s == c) =>
            {
                sep = Some(c);
                cur.eat_if(is_card_sep);
            }
            _ => break,
        }
    }
    let candidates: [(FindingKind, usize, &[&[usize]]); 2] = [
        (FindingKind::Siret, SIRET_LEN, &[&[14], &[9, 5], &[3, 3, 3, 5]]),
        (FindingKind::Siren, SIREN_LEN, &[&[9], &[3, 3, 3]]),
    ];
    candidates.into_iter().find_map(|(kind, len, shapes)| {
        let (end, g_end) = *ends.get(len)?;
        if end == 0 || !shapes.contains(&groups.get(..g_end)?) || !ends_word(text, end) {
            return None;
        }
        // What follows: nothing more of the number, or (written without spaces) a list.
        let more = text.get(end..).is_some_and(|rest| {
            let mut c = rest.chars();
            c.next().is_some_and(is_phone_sep) && c.next().is_some_and(|d| d.is_ascii_digit())
        });
        if more && g_end > 1 {
            return None;
        }
        // Nine or fourteen digits together are also an order, an invoice or a customer number
        // one time in ten: they need their name before them.
        if g_end == 1 && !named_business(text, i) {
            return None;
        }
        let s = std::str::from_utf8(digits.get(..len)?).ok()?;
        let valid = if kind == FindingKind::Siret { siret_valid(s) } else { siren_valid(s) };
        valid.then_some((kind, end))
    })
}

/// Whether `SIREN`, `SIRET` or `RCS` (any case) is in the 32 bytes before `i`.
fn named_business(text: &str, i: usize) -> bool {
    let mut from = i.saturating_sub(32);
    while !text.is_char_boundary(from) {
        from += 1; // at most 3 steps: `i` is a boundary
    }
    text.get(from..i).is_some_and(|before| {
        let b = before.as_bytes();
        ["siren", "siret", "rcs"].iter().any(|w| b.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w.as_bytes())))
    })
}

/// Characters of the local part of an e-mail address found in free text.
pub(super) fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

pub(super) fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// The e-mail addresses of `text`, in order, without overlaps.
pub(super) fn find_emails(text: &str) -> Vec<Occurrence> {
    const LOCAL_MAX: usize = 64;
    const DOMAIN_MAX: usize = 253;
    let mut out: Vec<Occurrence> = Vec::new();
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
            out.push(Occurrence { kind: FindingKind::Email, start, end });
        }
    }
    out
}

/// Finds e-mail addresses, French phone numbers, IBANs, NIRs, payment card numbers and French
/// business identifiers (SIREN, SIRET) in free text. Each candidate must pass its checks (IBAN
/// mod 97 and length, NIR key, card Luhn with issuer prefix and length, SIREN/SIRET Luhn or La
/// Poste's digit sum; see [`match_business`] for why a SIRET is never a card). Returns the kinds and byte spans, in order and without overlaps;
/// never the matched text.
pub fn find_in_text(text: &str) -> Vec<Occurrence> {
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
                .or_else(|| match_business(text, i))
        } else {
            None
        };
        match found {
            // A candidate running into an e-mail address is part of it.
            Some((kind, end)) if next_email.peek().is_none_or(|e| e.start >= end) => {
                out.push(Occurrence { kind, start: i, end });
                i = end;
                last_end = Some(end);
            }
            _ => i += 1,
        }
    }
    out.extend(next_email.copied());
    out
}
