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
//!   also means "breed", `enceinte` also means "loudspeaker", `casier` alone is a locker).
//! - *Identifiers in values* come from [`identifiers::find_in_text`]: NIR (key), IBAN (mod 97),
//!   card numbers (Luhn, issuer prefix and length; 14-digit numbers are SIRETs, never cards),
//!   e-mail addresses and French phone numbers.
//! - *Payment purpose* (for IBANs): a declared purpose whose id or title mentions payment,
//!   paiement, refund, rembours(ement), SEPA or prélèvement. When the field lists purposes, one
//!   of *its* declared purposes must be such a purpose; when it lists none, any declared purpose
//!   of the shop counts.
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
//! | `required-for-optional-purpose` | block | form: required, and only consent-based purposes use it (Art. 7(4)) |
//! | `special-category` | block / warn | name or label (block); words in a value or text (warn, with span) |
//! | `nir` | block | name or label; a NIR as a record value |
//! | `card-number` | block | form name or label (not loyalty, gift, ID cards…); a card number in a record value |
//! | `cvv-field` | block | form or record field named like a CVV / CVC / cryptogramme |
//! | `iban-without-payment` | block | IBAN field or value with no payment purpose (see above) |
//! | `iban-for-payment` | info | the same, with a payment purpose |
//! | `plain-password` | block | form: a password field not of type password; record: any password field |
//! | `full-birth-date` | warn / info | form: a birth-date field (warn), an unnamed date field (info); record (info) |
//! | `birth-date-invalid` | warn | record: a date of birth that is not a date, in the future or over 130 years |
//! | `minor-without-parental-consent` | block | record: under `minor_age` with no truthy parental-consent field |
//! | `personal-data-in-free-text` | block / warn | NIR, card, IBAN (block); e-mail, phone (warn) in free text |
//! | `free-text-field` | info | form: a textarea |
//!
//! Every finding currently names a field; `field` is empty only for form-level findings, which no
//! rule produces yet.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::identifiers::{self, FindingKind};
use crate::model::{DataCategory, Purpose, PurposeKind};

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

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

/// A form field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub field_type: FieldType,
    pub required: bool,
    pub purposes: Vec<String>,
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
    pub const FULL_BIRTH_DATE: &str = "full-birth-date";
    pub const BIRTH_DATE_INVALID: &str = "birth-date-invalid";
    pub const MINOR_WITHOUT_PARENTAL_CONSENT: &str = "minor-without-parental-consent";
    pub const PERSONAL_DATA_IN_FREE_TEXT: &str = "personal-data-in-free-text";
    pub const FREE_TEXT_FIELD: &str = "free-text-field";
}

const SRC_MINIMISATION: &str = "GDPR Art. 5(1)(c)";
const SRC_PURPOSE: &str = "GDPR Art. 5(1)(b)-(c)";
const SRC_DECLARED: &str = "GDPR Art. 5(1)(b), Art. 13(1)(c), Art. 30(1)(b)";
const SRC_TIED_CONSENT: &str = "GDPR Art. 7(4)";
const SRC_NIR: &str = "Décret 2019-341 (NIR)";
const SRC_CARD: &str = "CNIL délibération 2018-303";
const SRC_PASSWORD: &str = "CNIL délibération 2022-100; GDPR Art. 32";
const SRC_ACCURACY: &str = "GDPR Art. 5(1)(d)";
const SRC_MINOR: &str = "GDPR Art. 8(1); Loi Informatique et Libertés art. 45";
const SRC_IBAN_KEPT: &str = "GDPR Art. 5(1)(c), 5(1)(e)";

const FIX_NIR_FIELD: &str =
    "remove the field: retail may not process the NIR; identify customers by a customer number instead";
const FIX_NIR_VALUE: &str = "erase the social security number (NIR): retail may not process it";
const FIX_CARD_FIELD: &str = "remove the field: let the payment provider collect the card (hosted fields or \
                              redirection) and keep only its token";
const FIX_CARD_VALUE: &str = "erase the card number from the customer file and keep the payment provider's token \
                              (at most the last 4 digits and the expiry)";
const FIX_CVV: &str = "remove the field: the card security code goes straight to the payment provider and is never \
                       kept, not even until the payment";
const FIX_IBAN_BLOCK: &str = "remove the IBAN, or declare the payment or refund purpose that needs it and attach \
                              the field to it";
const FIX_IBAN_INFO: &str = "keep the IBAN only for the payment or refund purpose and only as long as it needs it; \
                             prefer the payment provider's mandate reference";
const FIX_PASSWORD_FORM: &str = "use an input of type password (masked) and send it to the authentication system \
                                 only, never to the customer file";
const FIX_PASSWORD_RECORD: &str = "remove the field: passwords, even hashed, belong to the authentication system, \
                                   not to the customer file";
const FIX_BIRTH_INVALID: &str = "correct or erase the date of birth (YYYY-MM-DD or DD/MM/YYYY)";
const FIX_MINOR: &str = "collect the consent of a holder of parental responsibility (with the child's) and record \
                         it in a parental-consent field, or do not process the child's data on consent";
const FIX_UNNEEDED: &str = "remove the field, or attach it to the declared purpose that needs it";
const FIX_UNDECLARED: &str = "declare the purpose first (record of processing, information notice), or remove it \
                              from the field";
const FIX_TIED: &str = "make the field optional: a consent-based purpose must not be a condition of the service";
const FIX_SPECIAL_FIELD: &str = "remove the field: an e-shop has no Art. 9(2) exception to rely on; if one truly \
                                 applies, document it and collect explicit consent";
const FIX_CRIMINAL_FIELD: &str = "remove the field: data on criminal convictions and offences may only be processed \
                                  under official authority or when the law allows it";
const FIX_SPECIAL_VALUE: &str = "erase or redact the passage unless an Art. 9(2) exception applies; remind people \
                                 not to enter sensitive data in free text";
const FIX_CRIMINAL_VALUE: &str = "erase or redact the passage: data on criminal convictions and offences may only \
                                  be processed under official authority or when the law allows it";
const FIX_FREE_TEXT_FIELD: &str = "tell people what to write and not to enter sensitive data (health, opinions, \
                                   identifiers); scan submissions with scan-text";

// ---------------------------------------------------------------------------------------------
// Folding and words
// ---------------------------------------------------------------------------------------------

include!("fold_rules.rs");

/// Appends `c` lower-cased, without accents (`É` → `e`, `œ` → `oe`).
#[inline]
fn fold_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        fold_non_ascii(c, out);
    }
}

/// `s` folded, keeping only letters and digits (`Date_de-Naissance` → `datedenaissance`).
fn compact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| c.is_alphanumeric()) {
        fold_into(c, &mut out);
    }
    out
}

/// A word of [`Words`]: its folded bytes `from..to` in [`Words::compact`] and where it is in the
/// text, in characters (`start..end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Word {
    from: usize,
    to: usize,
    start: usize,
    end: usize,
}

/// The folded words of a text. The words are stored end to end, so `compact` is also the text
/// folded with only its letters and digits (what [`compact`] returns). The buffers are reused:
/// a check reads every name, label and value with the same `Words`.
struct Words {
    compact: String,
    words: Vec<Word>,
}

impl Default for Words {
    fn default() -> Self {
        Words { compact: String::with_capacity(64), words: Vec::with_capacity(8) }
    }
}

impl Words {
    /// Reads the words of `text`: runs of letters and digits (combining marks stay inside a
    /// word); with `camel`, also split at camelCase boundaries (`dateOfBirth`, `NIRNumber`).
    fn read(&mut self, text: &str, camel: bool) {
        self.compact.clear();
        self.words.clear();
        self.compact.reserve(text.len());
        if text.is_ascii() {
            self.read_ascii(text.as_bytes(), camel);
        } else {
            self.read_chars(text, camel);
        }
    }

    /// [`Words::read`] for any text.
    fn read_chars(&mut self, text: &str, camel: bool) {
        let latin = INDEX.latin;
        let bytes = text.as_bytes();
        // The word being read: where it starts in `compact` and in the text.
        let mut cur: Option<(usize, usize)> = None;
        let mut prev: Option<char> = None;
        // Byte and character positions.
        let (mut pos, mut i) = (0, 0);
        while let Some(&b) = bytes.get(pos) {
            let ascii = b.is_ascii();
            let c = if ascii {
                pos += 1;
                char::from(b)
            } else {
                let Some(c) = text.get(pos..).and_then(|rest| rest.chars().next()) else {
                    break;
                };
                pos += c.len_utf8();
                c
            };
            // Accented Latin letters come from the table, other non-ASCII characters from Unicode.
            let latin = if ascii {
                None
            } else {
                usize::try_from(u32::from(c).wrapping_sub(LATIN_FIRST)).ok().and_then(|k| latin.get(k))
            };
            let (combining, alnum) = match latin {
                _ if ascii => (false, b.is_ascii_alphanumeric()),
                Some(&(alnum, _)) => (false, alnum),
                None => (is_combining(c), c.is_alphanumeric()),
            };
            if combining {
                // Part of the current word, if any.
            } else if alnum {
                let boundary = camel
                    && c.is_uppercase()
                    && prev.is_some_and(|p| {
                        p.is_lowercase()
                            || (p.is_uppercase()
                                && text.get(pos..).and_then(|rest| rest.chars().next()).is_some_and(char::is_lowercase))
                    });
                if boundary {
                    self.close(&mut cur, i);
                }
                if cur.is_none() {
                    cur = Some((self.compact.len(), i));
                }
                match latin {
                    _ if ascii => self.compact.push(char::from(b.to_ascii_lowercase())),
                    Some((_, folded)) => self.compact.push_str(folded),
                    None => fold_non_ascii(c, &mut self.compact),
                }
            } else {
                self.close(&mut cur, i);
            }
            prev = Some(c);
            i += 1;
        }
        self.close(&mut cur, i);
    }

    /// [`Words::read`] for an ASCII text, where bytes are characters.
    fn read_ascii(&mut self, bytes: &[u8], camel: bool) {
        let mut cur: Option<(usize, usize)> = None;
        for (i, &b) in bytes.iter().enumerate() {
            if b.is_ascii_alphanumeric() {
                let boundary = camel
                    && b.is_ascii_uppercase()
                    && i.checked_sub(1).and_then(|p| bytes.get(p)).is_some_and(|&p| {
                        p.is_ascii_lowercase()
                            || (p.is_ascii_uppercase() && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase))
                    });
                if boundary {
                    self.close(&mut cur, i);
                }
                if cur.is_none() {
                    cur = Some((self.compact.len(), i));
                }
                self.compact.push(char::from(b.to_ascii_lowercase()));
            } else {
                self.close(&mut cur, i);
            }
        }
        self.close(&mut cur, bytes.len());
    }

    /// Ends the current word, if any, before character `end`.
    fn close(&mut self, cur: &mut Option<(usize, usize)>, end: usize) {
        if let Some((from, start)) = cur.take() {
            self.words.push(Word { from, to: self.compact.len(), start, end });
        }
    }

    /// The folded text of word `i`.
    fn text(&self, i: usize) -> &str {
        self.words.get(i).and_then(|w| self.compact.get(w.from..w.to)).unwrap_or_default()
    }
}

/// A folded word and where it is, in characters.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token {
    word: String,
    start: usize,
    end: usize,
}

/// The words of `text` (see [`Words::read`]).
#[cfg(test)]
fn tokenize(text: &str, camel: bool) -> Vec<Token> {
    let mut w = Words::default();
    w.read(text, camel);
    w.words.iter().enumerate().map(|(i, t)| Token { word: w.text(i).to_owned(), start: t.start, end: t.end }).collect()
}

/// One word of a term: a folded word, or a stem (written with a trailing `*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pat {
    text: &'static str,
    stem: bool,
}

impl Pat {
    const EMPTY: Pat = Pat { text: "", stem: false };

    const fn new(pat: &'static str) -> Self {
        match pat.as_bytes() {
            [.., b'*'] => Pat { text: pat.split_at(pat.len() - 1).0, stem: true },
            _ => Pat { text: pat, stem: false },
        }
    }

    fn matches(self, word: &str) -> bool {
        let (w, p) = (word.as_bytes(), self.text.as_bytes());
        if self.stem { starts_with(w, p) } else { w.len() == p.len() && starts_with(w, p) }
    }
}

/// What a term tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Special(Special),
    /// A [`Detector`], by id.
    Detector(u8),
}

/// The number of words of a phrase (space-separated patterns).
const fn words_in(phrase: &str) -> usize {
    let b = phrase.as_bytes();
    let (mut n, mut i) = (1, 0);
    while i < b.len() {
        if b[i] == b' ' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The most words of a phrase in `list` or `max`.
const fn max_words(list: &[&str], mut max: usize) -> usize {
    let mut i = 0;
    while i < list.len() {
        if words_in(list[i]) > max {
            max = words_in(list[i]);
        }
        i += 1;
    }
    max
}

/// The most words of a phrase of [`SPECIAL_TERMS`] and the detectors' terms.
const MAX_PATS: usize = {
    let mut max = 0;
    let mut i = 0;
    while i < SPECIAL_TERMS.len() {
        max = max_words(SPECIAL_TERMS[i].1, max);
        i += 1;
    }
    i = 0;
    while i < DETECTORS.len() {
        max = max_words(DETECTORS[i].terms, max);
        i += 1;
    }
    max
};

/// A word, stem or phrase (space-separated patterns) of a list.
#[derive(Clone, Copy, Debug)]
struct Term {
    /// Its patterns are `pats[..len]`.
    pats: [Pat; MAX_PATS],
    len: usize,
    owner: Owner,
}

impl Term {
    const fn new(phrase: &'static str, owner: Owner) -> Self {
        let mut pats = [Pat::EMPTY; MAX_PATS];
        let mut len = 0;
        let mut rest = phrase;
        loop {
            // The next pattern: up to the next space or the end (`str::split(' ')`).
            let b = rest.as_bytes();
            let mut end = 0;
            while end < b.len() && b[end] != b' ' {
                end += 1;
            }
            let (pat, tail) = rest.split_at(end);
            pats[len] = Pat::new(pat);
            len += 1;
            if end == b.len() {
                break;
            }
            rest = tail.split_at(1).1;
        }
        Term { pats, len, owner }
    }

    fn pats(&self) -> &[Pat] {
        self.pats.get(..self.len).unwrap_or_default()
    }

    /// The number of words the term matches from word `i`.
    fn len_at(&self, words: &Words, i: usize) -> Option<usize> {
        for (n, pat) in self.pats().iter().enumerate() {
            if n + i >= words.words.len() || !pat.matches(words.text(i + n)) {
                return None;
            }
        }
        Some(self.len)
    }

    /// Its [`bucket`]: that of its first pattern.
    const fn bucket(&self) -> Option<usize> {
        bucket(self.pats[0].text.as_bytes())
    }
}

/// `s.starts_with(prefix)`, byte by byte: the words and patterns are short, so this beats a call
/// to `memcmp`.
#[inline]
fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s.iter().zip(prefix).all(|(a, b)| a == b)
}

const LETTERS: usize = 26;

/// The number of buckets: two letters.
const BUCKETS: usize = LETTERS * LETTERS;

/// The bucket of a pattern, or of the text at some position: its first two bytes, when both are
/// `a`–`z`. Whatever starts with a pattern is in the pattern's bucket.
const fn bucket(b: &[u8]) -> Option<usize> {
    match b {
        [x @ b'a'..=b'z', y @ b'a'..=b'z', ..] => Some((*x - b'a') as usize * LETTERS + (*y - b'a') as usize),
        _ => None,
    }
}

/// Patterns grouped by [`bucket`], then those without a bucket (tried everywhere); built at
/// compile time by [`bucketed`].
struct Buckets<T: 'static> {
    /// `items[starts[k]..starts[k + 1]]` is bucket `k`; `items[starts[BUCKETS]..]` are tried
    /// everywhere.
    items: &'static [T],
    starts: &'static [u32; BUCKETS + 1],
}

/// The items of `all`: those with a bucket sorted by it (stably: a counting sort), then those
/// without, in order; and where each bucket starts.
const fn bucketed<T: Copy, const N: usize>(all: [(Option<usize>, T); N]) -> ([T; N], [u32; BUCKETS + 1]) {
    let mut starts = [0u32; BUCKETS + 1];
    let mut i = 0;
    while i < N {
        if let Some(k) = all[i].0 {
            starts[k + 1] += 1;
        }
        i += 1;
    }
    let mut k = 0;
    while k < BUCKETS {
        starts[k + 1] += starts[k];
        k += 1;
    }
    // The next free slot of each bucket; that of the items without one after the last bucket.
    let mut next = starts;
    let mut items = [all[0].1; N];
    i = 0;
    while i < N {
        let slot = match all[i].0 {
            Some(k) => &mut next[k],
            None => &mut next[BUCKETS],
        };
        items[*slot as usize] = all[i].1;
        *slot += 1;
        i += 1;
    }
    (items, starts)
}

impl<T> Buckets<T> {
    /// The patterns that may start `b`, but for those tried everywhere.
    fn at(&self, b: &[u8]) -> &'static [T] {
        let Some(k) = bucket(b) else {
            return &[];
        };
        match (self.starts.get(k), self.starts.get(k + 1)) {
            (Some(&s), Some(&e)) => self.items.get(s as usize..e as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The patterns tried everywhere.
    fn anywhere(&self) -> &'static [T] {
        self.starts.get(BUCKETS).and_then(|&s| self.items.get(s as usize..)).unwrap_or_default()
    }
}

/// Bits of [`Index::glued_flags`]: a detector's glued substring (bit `id`), its `unless`
/// substring (bit `8 + id`), and the two halves of a parental-consent name.
const UNLESS_SHIFT: u32 = 8;
const PARENT_WHO: u32 = 1 << 16;
const PARENT_WHAT: u32 = 1 << 17;

/// The first character of [`Index::latin`].
const LATIN_FIRST: u32 = 0xc0;

// `LATIN`, generated by build.rs: for `U+00C0..=U+017F`, whether the character is alphanumeric
// and its folded form.
include!(concat!(env!("OUT_DIR"), "/latin.rs"));

/// A substring of [`Index::glued`] and its bit.
type Glued = (&'static str, u32);

/// The number of special-category terms.
const SPECIAL_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < SPECIAL_TERMS.len() {
        n += SPECIAL_TERMS[i].1.len();
        i += 1;
    }
    n
};

/// The special-category terms and their buckets, in the order of [`SPECIAL_TERMS`].
const fn special_terms() -> [(Option<usize>, Term); SPECIAL_COUNT] {
    let mut out = [(None, Term::new("", Owner::Detector(0))); SPECIAL_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < SPECIAL_TERMS.len() {
        let (kind, list) = SPECIAL_TERMS[i];
        let mut j = 0;
        while j < list.len() {
            let term = Term::new(list[j], Owner::Special(kind));
            out[n] = (term.bucket(), term);
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The number of terms of the detectors.
const NAMED_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < DETECTORS.len() {
        n += DETECTORS[i].terms.len();
        i += 1;
    }
    n
};

/// The terms of the detectors and their buckets, in order.
const fn named_terms() -> [(Option<usize>, Term); NAMED_COUNT] {
    let mut out = [(None, Term::new("", Owner::Detector(0))); NAMED_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < DETECTORS.len() {
        let d = DETECTORS[i];
        let mut j = 0;
        while j < d.terms.len() {
            let term = Term::new(d.terms[j], Owner::Detector(d.id));
            out[n] = (term.bucket(), term);
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The number of glued substrings.
const GLUED_COUNT: usize = {
    let (mut n, mut i) = (PARENT_WHO_WORDS.len() + PARENT_WHAT_WORDS.len(), 0);
    while i < DETECTORS.len() {
        n += DETECTORS[i].glued.len() + DETECTORS[i].unless.len();
        i += 1;
    }
    n
};

/// Appends the substrings of `list` with `bit` to `out` from `n`; returns the new end.
const fn push_glued(out: &mut [(Option<usize>, Glued)], mut n: usize, list: &[&'static str], bit: u32) -> usize {
    let mut j = 0;
    while j < list.len() {
        out[n] = (bucket(list[j].as_bytes()), (list[j], bit));
        n += 1;
        j += 1;
    }
    n
}

/// The glued substrings, their bits and buckets: each detector's `glued` and `unless`, then the
/// parental-consent halves.
const fn glued_substrings() -> [(Option<usize>, Glued); GLUED_COUNT] {
    let mut out = [(None, ("", 0)); GLUED_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < DETECTORS.len() {
        let d = DETECTORS[i];
        n = push_glued(&mut out, n, d.glued, 1 << d.id);
        n = push_glued(&mut out, n, d.unless, 1 << (UNLESS_SHIFT + d.id as u32));
        i += 1;
    }
    n = push_glued(&mut out, n, &PARENT_WHO_WORDS, PARENT_WHO);
    n = push_glued(&mut out, n, &PARENT_WHAT_WORDS, PARENT_WHAT);
    assert!(n == GLUED_COUNT);
    out
}

const SPECIAL: ([Term; SPECIAL_COUNT], [u32; BUCKETS + 1]) = bucketed(special_terms());
const NAMED: ([Term; NAMED_COUNT], [u32; BUCKETS + 1]) = bucketed(named_terms());
const GLUED: ([Glued; GLUED_COUNT], [u32; BUCKETS + 1]) = bucketed(glued_substrings());

/// The word lists and substrings, indexed at compile time.
struct Index {
    /// For `U+00C0..=U+017F` (Latin-1 letters, Latin Extended-A), by code point minus
    /// [`LATIN_FIRST`]: whether the character is alphanumeric, and its folded form; the same as
    /// `char::is_alphanumeric` and [`fold_non_ascii`].
    latin: &'static [(bool, &'static str)],
    /// The special-category terms.
    special: Buckets<Term>,
    /// The terms of the detectors.
    named: Buckets<Term>,
    glued: Buckets<Glued>,
}

static INDEX: Index = Index {
    latin: &LATIN,
    special: Buckets { items: &SPECIAL.0, starts: &SPECIAL.1 },
    named: Buckets { items: &NAMED.0, starts: &NAMED.1 },
    glued: Buckets { items: &GLUED.0, starts: &GLUED.1 },
};

impl Index {
    /// Calls `f` with each special-category term matching from word `i` and the number of words
    /// it matches. Every such term starts with a word of at least three letters, so shorter words
    /// and numbers are not tried.
    fn specials_at(&self, words: &Words, i: usize, f: impl FnMut(Owner, usize)) {
        let word = words.text(i);
        if word.len() >= 3 && !word.starts_with(|c: char| c.is_ascii_digit()) {
            Self::terms_at(&self.special, words, i, f);
        }
    }

    /// Calls `f` with each term of `terms` matching from word `i` and the number of words it
    /// matches.
    fn terms_at(terms: &Buckets<Term>, words: &Words, i: usize, mut f: impl FnMut(Owner, usize)) {
        for term in terms.at(words.text(i).as_bytes()).iter().chain(terms.anywhere()) {
            if let Some(len) = term.len_at(words, i) {
                f(term.owner, len);
            }
        }
    }

    /// The substrings (see the bits above) found in a compact form.
    fn glued_flags(&self, compact: &str) -> u32 {
        let b = compact.as_bytes();
        let mut flags = 0;
        for p in 0..b.len() {
            let rest = b.get(p..).unwrap_or_default();
            for &(pat, bit) in self.glued.at(rest) {
                if starts_with(rest, pat.as_bytes()) {
                    flags |= bit;
                }
            }
        }
        for &(pat, bit) in self.glued.anywhere() {
            if compact.contains(pat) {
                flags |= bit;
            }
        }
        flags
    }
}

/// The run-time construction the compile-time tables replaced, kept to check them.
#[cfg(test)]
mod old {
    use super::{BUCKETS, DETECTORS, LATIN_FIRST, Owner, PARENT_WHAT, PARENT_WHAT_WORDS, PARENT_WHO, PARENT_WHO_WORDS};
    use super::{Pat, SPECIAL_TERMS, UNLESS_SHIFT, bucket, fold_non_ascii};

    pub(super) struct Term {
        pub(super) pats: Vec<Pat>,
        pub(super) owner: Owner,
    }

    impl Term {
        fn new(phrase: &'static str, owner: Owner) -> Self {
            Term { pats: phrase.split(' ').map(Pat::new).collect(), owner }
        }
    }

    pub(super) struct Buckets<T> {
        pub(super) items: Vec<T>,
        pub(super) starts: Vec<u32>,
        pub(super) anywhere: Vec<T>,
    }

    impl<T> Buckets<T> {
        fn new(all: Vec<(Option<usize>, T)>) -> Self {
            let mut keyed = Vec::with_capacity(all.len());
            let mut anywhere = Vec::new();
            for (k, t) in all {
                match k {
                    Some(k) => keyed.push((k, t)),
                    None => anywhere.push(t),
                }
            }
            crate::sort::sort_by(&mut keyed, |a, b| a.0.cmp(&b.0));
            let mut starts = Vec::with_capacity(BUCKETS + 1);
            let mut n = 0;
            for k in 0..=BUCKETS {
                while keyed.get(n).is_some_and(|(key, _)| *key < k) {
                    n += 1;
                }
                starts.push(u32::try_from(n).unwrap_or(u32::MAX));
            }
            Buckets { items: keyed.into_iter().map(|(_, t)| t).collect(), starts, anywhere }
        }
    }

    pub(super) struct Index {
        pub(super) latin: Vec<(bool, String)>,
        pub(super) special: Buckets<Term>,
        pub(super) named: Buckets<Term>,
        pub(super) glued: Buckets<(&'static str, u32)>,
    }

    impl Index {
        pub(super) fn build() -> Index {
            let mut special = Vec::new();
            for &(kind, list) in SPECIAL_TERMS {
                special.extend(list.iter().map(|t| Term::new(t, Owner::Special(kind))));
            }
            let mut named = Vec::new();
            let mut glued = Vec::new();
            for d in DETECTORS {
                named.extend(d.terms.iter().map(|t| Term::new(t, Owner::Detector(d.id))));
                glued.extend(d.glued.iter().map(|g| (*g, 1u32 << d.id)));
                glued.extend(d.unless.iter().map(|u| (*u, 1u32 << (UNLESS_SHIFT + u32::from(d.id)))));
            }
            glued.extend(PARENT_WHO_WORDS.iter().map(|w| (*w, PARENT_WHO)));
            glued.extend(PARENT_WHAT_WORDS.iter().map(|w| (*w, PARENT_WHAT)));
            let by_first_word = |terms: Vec<Term>| {
                Buckets::new(
                    terms.into_iter().map(|t| (t.pats.first().and_then(|p| bucket(p.text.as_bytes())), t)).collect(),
                )
            };
            let latin = (LATIN_FIRST..=0x17f)
                .filter_map(char::from_u32)
                .map(|c| {
                    let mut folded = String::new();
                    fold_non_ascii(c, &mut folded);
                    (c.is_alphanumeric(), folded)
                })
                .collect();
            Index {
                latin,
                special: by_first_word(special),
                named: by_first_word(named),
                glued: Buckets::new(glued.into_iter().map(|g| (bucket(g.0.as_bytes()), g)).collect()),
            }
        }
    }
}

/// The tables built at run time, as they were before being computed at compile time.
#[cfg(test)]
fn index() -> &'static old::Index {
    static OLD: std::sync::OnceLock<old::Index> = std::sync::OnceLock::new();
    OLD.get_or_init(old::Index::build)
}

/// A field name or label, analysed once: the detectors it matches (bit `id`), the special
/// categories it names (bit [`Special::bit`]), and whether it names a parental consent.
#[derive(Clone, Copy)]
struct Named {
    detectors: u8,
    specials: u16,
    parental: bool,
}

impl Named {
    fn new(s: &str, camel: bool) -> Self {
        Named::read(&mut Words::default(), s, camel)
    }

    /// Analyses `s` with the buffers of `words`.
    fn read(words: &mut Words, s: &str, camel: bool) -> Self {
        words.read(s, camel);
        let idx = &INDEX;
        let glued = idx.glued_flags(&words.compact);
        let (mut found, mut specials) = (0u8, 0u16);
        for i in 0..words.words.len() {
            let mut note = |owner, _| match owner {
                Owner::Detector(id) => found |= 1 << id,
                Owner::Special(kind) => specials |= Special::bit(kind),
            };
            Index::terms_at(&idx.named, words, i, &mut note);
            idx.specials_at(words, i, &mut note);
        }
        let own = u8::try_from(glued & 0xff).unwrap_or(0);
        let unless = u8::try_from((glued >> UNLESS_SHIFT) & 0xff).unwrap_or(0);
        Named {
            detectors: (own | found) & !unless,
            specials,
            parental: glued & PARENT_WHO != 0 && glued & PARENT_WHAT != 0,
        }
    }
}

/// What a field name or label says about the field. A name matches when it contains none of
/// `unless`, and one of `glued` or a word, stem or phrase of `terms`.
struct Detector {
    /// Its bit in [`Named::detectors`] (0–7).
    id: u8,
    /// Word / stem / phrase patterns.
    terms: &'static [&'static str],
    /// Substrings of the compact form (for glued names: `dateofbirth`, `motdepasse`).
    glued: &'static [&'static str],
    /// Substrings of the compact form that mean it is something else (`birthplace`, `codeinsee`).
    unless: &'static [&'static str],
}

impl Detector {
    fn matches(&self, n: &Named) -> bool {
        n.detectors & (1 << self.id) != 0
    }

    fn any(&self, names: &[Named]) -> bool {
        names.iter().any(|n| self.matches(n))
    }
}

const DETECTORS: [&Detector; 6] = [&NIR_NAME, &CVV_NAME, &CARD_NAME, &IBAN_NAME, &PASSWORD_NAME, &BIRTH_NAME];

const NIR_NAME: Detector = Detector {
    id: 0,
    terms: &[
        "nir",
        "ssn",
        "nss",
        "secu",
        "insee",
        "securite* sociale*",
        "social security",
        "social insurance",
        "carte vitale",
    ],
    glued: &["numsecu", "numerosecu", "securitesociale", "socialsecurity", "cartevitale"],
    unless: &["codeinsee", "inseecode", "commune"],
};

const CVV_NAME: Detector = Detector {
    id: 1,
    terms: &["cvv*", "cvc*", "cvn", "cryptogram*", "card verification*", "card security*"],
    glued: &["cvv", "cvc", "cryptogram"],
    unless: &[],
};

const CARD_NAME: Detector = Detector {
    id: 2,
    terms: &[
        "card number*",
        "card no",
        "card num*",
        "cardnumber*",
        "credit card*",
        "debit card*",
        "carte* bancaire*",
        "carte* de credit",
        "carte* credit",
        "numero* de carte*",
        "numero* carte*",
        "num carte*",
        "no carte*",
        "pan",
        "cc number",
        "cc num*",
    ],
    glued: &["cardnumber", "creditcard", "debitcard", "cartebancaire", "numcarte", "numerocarte", "numerodecarte"],
    unless: &[
        "fidelit",
        "loyalty",
        "gift",
        "cadeau",
        "member",
        "membre",
        "vitale",
        "identit",
        "grise",
        "club",
        "student",
        "etudiant",
        "navigo",
        "transport",
        "bibliotheque",
        "library",
        "type",
        "brand",
        "marque",
        "expir",
        "holder",
        "titulaire",
        "nom",
        "name",
        "last4",
        "derniers",
        "masked",
        "token",
    ],
};

const IBAN_NAME: Detector = Detector {
    id: 3,
    terms: &[
        "iban",
        "rib",
        "identite* bancaire*",
        "bank account*",
        "compte* bancaire*",
        "coordonnee* bancaire*",
        "bank detail*",
    ],
    glued: &["comptebancaire", "coordonneesbancaires", "bankaccount", "bankdetails"],
    unless: &[],
};

const PASSWORD_NAME: Detector = Detector {
    id: 4,
    terms: &["password*", "passwd", "pass", "pwd", "mdp", "passphrase*", "passcode*", "mot* de passe*", "motdepasse*"],
    glued: &["password", "motdepasse", "passwd"],
    unless: &[
        "changed", "updated", "reset", "expir", "hint", "strength", "policy", "attempt", "oubli", "forgot", "date",
    ],
};

const BIRTH_NAME: Detector = Detector {
    id: 5,
    terms: &["birth*", "dob", "naissance*", "anniversaire*", "ddn"],
    glued: &["dateofbirth", "birthdate", "birthday", "datenaissance", "datedenaissance"],
    unless: &[
        "place", "lieu", "city", "ville", "country", "pays", "name", "nom", "commune", "depart", "town", "region",
        "mariage", "wedding",
    ],
};

/// A field named like a parental consent (`parental_consent`, `consentement-parental`,
/// `autorisationParentale`, `guardian_approval`).
fn is_parental_consent_name(name: &str) -> bool {
    Named::new(name, false).parental
}

/// Who consents, and what they do, in a parental-consent name (substrings of the compact form).
const PARENT_WHO_WORDS: [&str; 4] = ["parent", "tuteur", "guardian", "representantlegal"];
const PARENT_WHAT_WORDS: [&str; 6] = ["consent", "autoris", "authori", "accord", "approv", "agree"];

fn is_truthy(value: &str) -> bool {
    let v = value.trim().to_lowercase();
    matches!(v.as_str(), "true" | "yes" | "y" | "oui" | "o" | "1" | "on" | "vrai" | "x" | "checked")
}

// ---------------------------------------------------------------------------------------------
// Special categories (Art. 9) and criminal data (Art. 10)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Special {
    Health,
    Religion,
    PoliticalOpinion,
    TradeUnion,
    EthnicOrigin,
    SexualOrientation,
    SexLife,
    Genetic,
    Biometric,
    Criminal,
}

impl Special {
    /// Every category, in the order of the enum.
    const ALL: [Special; 10] = [
        Special::Health,
        Special::Religion,
        Special::PoliticalOpinion,
        Special::TradeUnion,
        Special::EthnicOrigin,
        Special::SexualOrientation,
        Special::SexLife,
        Special::Genetic,
        Special::Biometric,
        Special::Criminal,
    ];

    /// Its bit in [`Named::specials`].
    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    fn as_str(self) -> &'static str {
        match self {
            Special::Health => "health",
            Special::Religion => "religion",
            Special::PoliticalOpinion => "political-opinion",
            Special::TradeUnion => "trade-union",
            Special::EthnicOrigin => "ethnic-origin",
            Special::SexualOrientation => "sexual-orientation",
            Special::SexLife => "sex-life",
            Special::Genetic => "genetic",
            Special::Biometric => "biometric",
            Special::Criminal => "criminal",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Special::Health => "health data",
            Special::Religion => "religious or philosophical beliefs",
            Special::PoliticalOpinion => "political opinions",
            Special::TradeUnion => "trade-union membership",
            Special::EthnicOrigin => "racial or ethnic origin",
            Special::SexualOrientation => "sexual orientation",
            Special::SexLife => "sex life",
            Special::Genetic => "genetic data",
            Special::Biometric => "biometric data",
            Special::Criminal => "criminal convictions or offences",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Special::Criminal => "GDPR Art. 10",
            _ => "GDPR Art. 9(1)",
        }
    }
}

/// Folded French and English words, stems and phrases per category. Whole words only.
const SPECIAL_TERMS: &[(Special, &[&str])] = &[
    (
        Special::Health,
        &[
            "health",
            "healthcare",
            "sante",
            "medical*",
            "medicaux",
            "medication*",
            "medicament*",
            "medicine*",
            "medecin*",
            "diabet*",
            "allerg*",
            "illness*",
            "disease*",
            "diagnosis",
            "diagnosed",
            "maladie*",
            "malade*",
            "disabilit*",
            "disabled",
            "handicap*",
            "invalidite*",
            "pregnan*",
            "grossesse*",
            "cancer*",
            "tumeur*",
            "tumor*",
            "tumour*",
            "hiv",
            "vih",
            "sida",
            "asthm*",
            "epilep*",
            "patholog*",
            "ordonnance* medicale*",
            "prescription*",
            "symptom*",
            "intoleran*",
            "insulin*",
            "glycemi*",
            "hypertension",
            "celiac*",
            "coeliac*",
            "coeliaqu*",
            "autis*",
            "alzheimer*",
            "parkinson*",
            "psychiatr*",
            "therap*",
            "vaccin*",
            "blood type*",
            "groupe* sanguin*",
            "wheelchair*",
            "fauteuil* roulant*",
        ],
    ),
    (
        Special::Religion,
        &[
            "religio*",
            "croyance*",
            "muslim*",
            "musulman*",
            "islam*",
            "juif",
            "juifs",
            "juive*",
            "jewish",
            "judaism*",
            "judaisme",
            "catholi*",
            "protestant*",
            "buddhis*",
            "bouddhis*",
            "hindu*",
            "hindou*",
            "atheis*",
            "athee*",
            "chretien*",
            "christianit*",
            "christianism*",
            "evangeli*",
            "sikh*",
            "jehovah*",
            "philosophical belief*",
            "conviction* philosophique*",
        ],
    ),
    (
        Special::PoliticalOpinion,
        &[
            "politic*",
            "opinion* politique*",
            "parti* politique*",
            "orientation* politique*",
            "sensibilite* politique*",
            "appartenance* politique*",
            "engagement* politique*",
            "affiliation* politique*",
            "conviction* politique*",
        ],
    ),
    (Special::TradeUnion, &["trade union*", "labor union*", "labour union*", "union member*", "syndica*", "syndique*"]),
    (Special::EthnicOrigin, &["ethni*", "racia*", "skin colo*", "couleur* de peau"]),
    (
        Special::SexualOrientation,
        &["sexual orientation*", "orientation* sexuelle*", "homosexu*", "bisexu*", "heterosexu*", "lesbi*", "lgbt*"],
    ),
    (
        Special::SexLife,
        &[
            "sex life",
            "sexual life",
            "vie* sexuelle*",
            "sexual activit*",
            "activite* sexuelle*",
            "sexual partner*",
            "partenaire* sexuel*",
            "sexualit*",
        ],
    ),
    (Special::Genetic, &["genetic*", "genetique*", "dna", "adn", "genom*", "genotyp*"]),
    (
        Special::Biometric,
        &[
            "biometri*",
            "fingerprint*",
            "empreinte* digitale*",
            "face recognition",
            "facial recognition",
            "reconnaissance* faciale*",
            "iris scan*",
            "retina* scan*",
            "voiceprint*",
            "empreinte* vocale*",
        ],
    ),
    (
        Special::Criminal,
        &[
            "criminal*",
            "criminel*",
            "casier* judiciaire*",
            "criminal record*",
            "condamnation*",
            "convicted",
            "conviction* penale*",
            "infraction*",
            "felon*",
            "incarcer*",
            "antecedent* judiciaire*",
        ],
    ),
];

/// Calls `f` with every occurrence of a special-category term in `words`: category and
/// character span. At most one per category and starting word (the longest phrase).
fn special_matches(words: &Words, mut f: impl FnMut(Special, usize, usize)) {
    let idx = &INDEX;
    for (i, w) in words.words.iter().enumerate() {
        let mut longest: Option<[usize; Special::ALL.len()]> = None;
        idx.specials_at(words, i, |owner, len| {
            if let Owner::Special(kind) = owner
                && let Some(l) = longest.get_or_insert_default().get_mut(kind as usize)
            {
                *l = (*l).max(len);
            }
        });
        let Some(longest) = longest else {
            continue;
        };
        for (&kind, &len) in Special::ALL.iter().zip(&longest) {
            if len > 0
                && let Some(last) = words.words.get(i + len - 1)
            {
                f(kind, w.start, last.end);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dates of birth
// ---------------------------------------------------------------------------------------------

/// A date of birth as written in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BirthDate {
    /// A full date.
    Full(NaiveDate),
    /// A year only (`1990`), which is already minimised.
    Year(i32),
}

fn small_number(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if !(min_len..=max_len).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a date of birth: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `DD/MM/YYYY`, `DD-MM-YYYY`, `DD.MM.YYYY`
/// (day and month on one or two digits), or a year alone (`YYYY`). Surrounding spaces are
/// ignored. `None` when it is none of these or not a calendar date.
pub fn parse_birth_date(s: &str) -> Option<BirthDate> {
    let s = s.trim();
    if s.len() > 10 {
        return None;
    }
    if let Some(y) = small_number(s, 4, 4) {
        return Some(BirthDate::Year(i32::try_from(y).ok()?));
    }
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 {
        (small_number(a, 4, 4)?, small_number(b, 1, 2)?, small_number(c, 1, 2)?)
    } else {
        (small_number(c, 4, 4)?, small_number(b, 1, 2)?, small_number(a, 1, 2)?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d).map(BirthDate::Full)
}

/// Age in whole years on `today` (`None` when born after `today`). Someone born on 29 February
/// has their birthday on 1 March in common years.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> Option<i32> {
    if birth > today {
        return None;
    }
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    Some(age)
}

/// The oldest plausible age; anything older is taken for a typing error.
const MAX_AGE: i32 = 130;

// ---------------------------------------------------------------------------------------------
// Purposes
// ---------------------------------------------------------------------------------------------

/// Whether a purpose is about payment: its id or title mentions payment, paiement, refund,
/// rembours(ement), SEPA or prélèvement (accents and case ignored).
pub fn is_payment_purpose(p: &Purpose) -> bool {
    const WORDS: [&str; 6] = ["payment", "paiement", "refund", "rembours", "sepa", "prelevement"];
    let (id, title) = (compact(&p.id), compact(&p.title));
    WORDS.iter().any(|w| id.contains(w) || title.contains(w))
}

/// Whether an IBAN is justified for a field with these purposes (see the module documentation).
fn payment_justified(field_purposes: &[String], ctx: &Context<'_>) -> bool {
    if field_purposes.is_empty() {
        ctx.purposes.iter().any(is_payment_purpose)
    } else {
        field_purposes.iter().filter_map(|id| declared(ctx, id)).any(is_payment_purpose)
    }
}

fn declared<'a>(ctx: &Context<'a>, id: &str) -> Option<&'a Purpose> {
    ctx.purposes.iter().find(|p| p.id == id)
}

/// Consent-based purposes are optional; only `Service` (contract, legal obligation) is not.
fn is_optional(kind: PurposeKind) -> bool {
    !matches!(kind, PurposeKind::Service)
}

// ---------------------------------------------------------------------------------------------
// Building findings
// ---------------------------------------------------------------------------------------------

/// What every finding of a rule shares.
struct Rule {
    id: &'static str,
    source: &'static str,
}

const fn rule(id: &'static str, source: &'static str) -> Rule {
    Rule { id, source }
}

/// Everything but the rule.
struct Detail<'a> {
    severity: Severity,
    field: &'a str,
    message: String,
    fix: String,
    kind: Option<&'a str>,
    span: Option<Span>,
}

fn make(rule: Rule, d: Detail<'_>) -> Finding {
    Finding {
        severity: d.severity,
        field: d.field.to_owned(),
        rule: rule.id.to_owned(),
        source: rule.source.to_owned(),
        message: d.message,
        fix: d.fix,
        kind: d.kind.map(str::to_owned),
        span: d.span,
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn span(start: usize, end: usize) -> Span {
    Span { start: to_u32(start), end: to_u32(end) }
}

/// Converts byte offsets (increasing, mostly) into character offsets in one pass.
struct CharPos<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharPos<'a> {
    fn new(text: &'a str) -> Self {
        CharPos { text, byte: 0, chars: 0 }
    }

    /// The number of characters that start before byte `b`.
    fn at(&mut self, b: usize) -> usize {
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        for c in self.text.get(self.byte..).unwrap_or_default().chars() {
            if self.byte >= b {
                break;
            }
            self.byte += c.len_utf8();
            self.chars += 1;
        }
        self.chars
    }
}

/// Sorts (severity, field, span start, rule, then the rest) and removes duplicates.
fn finish(mut out: Vec<Finding>) -> Vec<Finding> {
    crate::sort::sort_by(&mut out, |a, b| {
        (a.severity, &a.field, a.span.map(|s| s.start), &a.rule, &a.kind, a.span.map(|s| s.end), &a.message, &a.fix)
            .cmp(&(
                b.severity,
                &b.field,
                b.span.map(|s| s.start),
                &b.rule,
                &b.kind,
                b.span.map(|s| s.end),
                &b.message,
                &b.fix,
            ))
    });
    out.dedup();
    out
}

// ---------------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------------

/// `undeclared-purpose` for each purpose id of a field that the shop has not declared.
fn check_declared(field: &str, purposes: &[String], ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for (i, id) in purposes.iter().enumerate() {
        if declared(ctx, id).is_none() && seen.insert(id.as_str()) {
            out.push(make(
                rule(rules::UNDECLARED_PURPOSE, SRC_DECLARED),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: format!(
                        "purpose number {} of this field is not one of the shop's declared purposes",
                        i + 1
                    ),
                    fix: FIX_UNDECLARED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
    }
}

/// Name- or label-based special categories: one blocking finding per category.
fn check_special_names(field: &str, names: &[Named], out: &mut Vec<Finding>) {
    let specials = names.iter().fold(0, |acc, n| acc | n.specials);
    if specials == 0 {
        return;
    }
    for kind in Special::ALL.into_iter().filter(|k| specials & k.bit() != 0) {
        let fix = if kind == Special::Criminal { FIX_CRIMINAL_FIELD } else { FIX_SPECIAL_FIELD };
        out.push(make(
            rule(rules::SPECIAL_CATEGORY, kind.source()),
            Detail {
                severity: Severity::Block,
                field,
                message: format!(
                    "the field's name or label points to {}, a category the shop may not process by default",
                    kind.describe()
                ),
                fix: fix.to_owned(),
                kind: Some(kind.as_str()),
                span: None,
            },
        ));
    }
}

/// Special-category words in a value: one warning per occurrence (`words` are scratch buffers).
fn check_special_text(field: &str, text: &str, words: &mut Words, out: &mut Vec<Finding>) {
    words.read(text, false);
    special_matches(words, |kind, start, end| {
        out.push(make(
            rule(rules::SPECIAL_CATEGORY, kind.source()),
            Detail {
                severity: Severity::Warn,
                field,
                message: format!(
                    "this passage seems to reveal {}, which the shop may not process by default",
                    kind.describe()
                ),
                fix: if kind == Special::Criminal { FIX_CRIMINAL_VALUE } else { FIX_SPECIAL_VALUE }.to_owned(),
                kind: Some(kind.as_str()),
                span: Some(span(start, end)),
            },
        ));
    });
}

/// Whether [`identifiers::find_in_text`] may find in `text` an identifier of a kind the caller
/// uses: NIRs, card numbers and IBANs, and with `contact` also e-mail addresses and phone
/// numbers. What each needs: a NIR 15 characters of which at most one is not an ASCII digit
/// (2A/2B), a card number 12 to 19 ASCII digits, an IBAN two ASCII letters starting a word right
/// followed by two ASCII digits, an e-mail address an `@`, a phone number 9 national ASCII digits.
/// So most short values (names, postal codes, cities) skip the scan.
pub(crate) fn may_hold_identifier(text: &str, contact: bool) -> bool {
    let b = text.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digits >= 12 || (contact && (digits >= 9 || b.contains(&b'@'))) {
        return true;
    }
    // An IBAN: two ASCII letters starting a word (a non-ASCII character before counts as a
    // possible word start), then two ASCII digits.
    digits >= 2
        && b.windows(4).enumerate().any(|(i, w)| {
            matches!(w, [x, y, d, e]
                if d.is_ascii_digit() && e.is_ascii_digit() && x.is_ascii_alphabetic() && y.is_ascii_alphabetic())
                && i.checked_sub(1).and_then(|j| b.get(j)).is_none_or(|p| !p.is_ascii_alphanumeric())
        })
}

fn free_text_finding(field: &str, kind: FindingKind, at: Span) -> Finding {
    let (severity, source, what, fix) = match kind {
        FindingKind::Email => (
            Severity::Warn,
            SRC_MINIMISATION,
            "an e-mail address",
            "keep contact data in the contact fields and remove it from the text",
        ),
        FindingKind::Phone => (
            Severity::Warn,
            SRC_MINIMISATION,
            "a phone number",
            "keep contact data in the contact fields and remove it from the text",
        ),
        FindingKind::Iban => (
            Severity::Block,
            SRC_MINIMISATION,
            "an IBAN",
            "remove the IBAN from the text; bank details, when a payment purpose needs them, go to their own field",
        ),
        FindingKind::Nir => (Severity::Block, SRC_NIR, "a social security number (NIR)", FIX_NIR_VALUE),
        FindingKind::CardNumber => (
            Severity::Block,
            SRC_CARD,
            "a payment card number",
            "remove the card number from the text; cards are handled by the payment provider only",
        ),
    };
    make(
        rule(rules::PERSONAL_DATA_IN_FREE_TEXT, source),
        Detail {
            severity,
            field,
            message: format!("the text contains {what}"),
            fix: fix.to_owned(),
            kind: Some(kind.as_str()),
            span: Some(at),
        },
    )
}

fn iban_finding(field: &str, justified: bool, at: Option<Span>) -> Finding {
    if justified {
        make(
            rule(rules::IBAN_FOR_PAYMENT, SRC_IBAN_KEPT),
            Detail {
                severity: Severity::Info,
                field,
                message: "bank details (IBAN) collected for a declared payment or refund purpose".to_owned(),
                fix: FIX_IBAN_INFO.to_owned(),
                kind: Some("iban"),
                span: at,
            },
        )
    } else {
        make(
            rule(rules::IBAN_WITHOUT_PAYMENT, SRC_MINIMISATION),
            Detail {
                severity: Severity::Block,
                field,
                message: "bank details (IBAN) without a declared payment or refund purpose that needs them".to_owned(),
                fix: FIX_IBAN_BLOCK.to_owned(),
                kind: Some("iban"),
                span: at,
            },
        )
    }
}

fn nir_finding(field: &str, at: Option<Span>) -> Finding {
    let (message, fix) = match at {
        None => ("the field's name or label asks for a social security number (NIR)", FIX_NIR_FIELD),
        Some(_) => ("the value is a social security number (NIR)", FIX_NIR_VALUE),
    };
    make(
        rule(rules::NIR, SRC_NIR),
        Detail {
            severity: Severity::Block,
            field,
            message: message.to_owned(),
            fix: fix.to_owned(),
            kind: Some("nir"),
            span: at,
        },
    )
}

fn card_finding(field: &str, at: Option<Span>) -> Finding {
    let (message, fix) = match at {
        None => ("the field's name or label asks for a payment card number", FIX_CARD_FIELD),
        Some(_) => ("the value contains a payment card number", FIX_CARD_VALUE),
    };
    make(
        rule(rules::CARD_NUMBER, SRC_CARD),
        Detail {
            severity: Severity::Block,
            field,
            message: message.to_owned(),
            fix: fix.to_owned(),
            kind: Some("card-number"),
            span: at,
        },
    )
}

fn cvv_finding(field: &str) -> Finding {
    make(
        rule(rules::CVV_FIELD, SRC_CARD),
        Detail {
            severity: Severity::Block,
            field,
            message: "the field asks for or holds a card security code (CVV/CVC, cryptogramme)".to_owned(),
            fix: FIX_CVV.to_owned(),
            kind: Some("cvv"),
            span: None,
        },
    )
}

fn password_finding(field: &str, in_record: bool) -> Finding {
    let (message, fix) = if in_record {
        ("the customer file holds a password field", FIX_PASSWORD_RECORD)
    } else {
        ("a password is typed into a field that does not mask it", FIX_PASSWORD_FORM)
    };
    make(
        rule(rules::PLAIN_PASSWORD, SRC_PASSWORD),
        Detail {
            severity: Severity::Block,
            field,
            message: message.to_owned(),
            fix: fix.to_owned(),
            kind: Some("password"),
            span: None,
        },
    )
}

fn birth_fix(ctx: &Context<'_>) -> String {
    format!("ask a yes/no 'I am {} or older' (or 18) instead, unless a purpose needs the date", ctx.minor_age)
}

fn birth_finding(field: &str, severity: Severity, message: &str, ctx: &Context<'_>) -> Finding {
    make(
        rule(rules::FULL_BIRTH_DATE, SRC_MINIMISATION),
        Detail {
            severity,
            field,
            message: message.to_owned(),
            fix: birth_fix(ctx),
            kind: Some("birth-date"),
            span: None,
        },
    )
}

fn birth_invalid_finding(field: &str, message: &str) -> Finding {
    make(
        rule(rules::BIRTH_DATE_INVALID, SRC_ACCURACY),
        Detail {
            severity: Severity::Warn,
            field,
            message: message.to_owned(),
            fix: FIX_BIRTH_INVALID.to_owned(),
            kind: Some("birth-date"),
            span: None,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// check_form
// ---------------------------------------------------------------------------------------------

/// Checks a form definition: every field needs a declared purpose, consent-only fields must stay
/// optional, and some data must never be asked for (special categories, NIR, card number, CVV),
/// or only in a certain way (masked passwords, an age question rather than a date of birth).
pub fn check_form(fields: &[FormField], ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut words = Words::default();
    for f in fields {
        let field = f.name.as_str();

        // Purposes.
        if f.purposes.is_empty() {
            out.push(make(
                rule(rules::UNNEEDED_FIELD, SRC_PURPOSE),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "no declared purpose needs this field".to_owned(),
                    fix: FIX_UNNEEDED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
        check_declared(field, &f.purposes, ctx, &mut out);
        let mut kinds = f.purposes.iter().filter_map(|id| declared(ctx, id)).map(|p| p.kind).peekable();
        if f.required && kinds.peek().is_some() && kinds.all(is_optional) {
            out.push(make(
                rule(rules::REQUIRED_FOR_OPTIONAL_PURPOSE, SRC_TIED_CONSENT),
                Detail {
                    severity: Severity::Block,
                    field,
                    message: "the field is required although only consent-based (optional) purposes use it, so \
                              consent would not be freely given"
                        .to_owned(),
                    fix: FIX_TIED.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }

        // What the name and the label ask for.
        let names = [Named::read(&mut words, &f.name, true), Named::read(&mut words, &f.label, false)];
        check_special_names(field, &names, &mut out);
        if NIR_NAME.any(&names) {
            out.push(nir_finding(field, None));
        }
        let cvv = CVV_NAME.any(&names);
        if cvv {
            out.push(cvv_finding(field));
        }
        if !cvv && CARD_NAME.any(&names) {
            out.push(card_finding(field, None));
        }
        if IBAN_NAME.any(&names) {
            out.push(iban_finding(field, payment_justified(&f.purposes, ctx), None));
        }
        if f.field_type != FieldType::Password && PASSWORD_NAME.any(&names) {
            out.push(password_finding(field, false));
        }
        if f.field_type != FieldType::Checkbox && BIRTH_NAME.any(&names) {
            out.push(birth_finding(field, Severity::Warn, "the form asks for a full date of birth", ctx));
        } else if f.field_type == FieldType::Date {
            out.push(birth_finding(
                field,
                Severity::Info,
                "a date field whose name does not say what it holds; if it is a date of birth, it is more than \
                 an age check needs",
                ctx,
            ));
        }
        if f.field_type == FieldType::Textarea {
            out.push(make(
                rule(rules::FREE_TEXT_FIELD, SRC_MINIMISATION),
                Detail {
                    severity: Severity::Info,
                    field,
                    message: "a free-text field collects whatever people type, including sensitive data nobody \
                              asked for"
                        .to_owned(),
                    fix: FIX_FREE_TEXT_FIELD.to_owned(),
                    kind: None,
                    span: None,
                },
            ));
        }
    }
    finish(out)
}

// ---------------------------------------------------------------------------------------------
// check_record
// ---------------------------------------------------------------------------------------------

/// Categories whose values are not searched for special-category words (street names such as
/// "rue de la Santé", e-mail addresses, payment and account data).
fn keyword_scanned(category: Option<DataCategory>) -> bool {
    !matches!(
        category,
        Some(DataCategory::Contact | DataCategory::PostalAddress | DataCategory::Payment | DataCategory::Account)
    )
}

/// Checks a record (a submitted form, a row to import): what the customer file must never hold
/// (special categories, NIR, card numbers, CVV, passwords), IBANs without a payment purpose,
/// personal data hidden in free text, dates of birth, and minors without parental consent.
pub fn check_record<F: RecordView>(fields: &[F], ctx: &Context<'_>) -> Vec<Finding> {
    RecordChecker::default().check(fields, ctx)
}

/// [`check_record`] for many records with the same field names (the rows of an import):
/// what each name says is read once, not once per record.
#[derive(Default)]
pub struct RecordChecker {
    words: Words,
    names: Vec<(String, Named)>,
}

/// Most field names a [`RecordChecker`] remembers (any more are read every time).
const REMEMBERED_NAMES: usize = 64;

impl RecordChecker {
    fn named(&mut self, name: &str) -> Named {
        if let Some((_, n)) = self.names.iter().find(|(k, _)| k == name) {
            return *n;
        }
        let n = Named::read(&mut self.words, name, true);
        if self.names.len() < REMEMBERED_NAMES {
            self.names.push((name.to_string(), n));
        }
        n
    }

    /// The findings of one record, as [`check_record`] gives them.
    pub fn check<F: RecordView>(&mut self, fields: &[F], ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        // Birth-date fields of a minor (under ctx.minor_age).
        let mut minors: Vec<&str> = Vec::new();
        for f in fields {
            let field = f.name();
            let value = f.value();
            check_declared(field, f.purposes(), ctx, &mut out);

            // What the name says.
            let names = [self.named(f.name())];
            check_special_names(field, &names, &mut out);
            let nir_name = NIR_NAME.any(&names);
            if CVV_NAME.any(&names) {
                out.push(cvv_finding(field));
            }
            if PASSWORD_NAME.any(&names) {
                out.push(password_finding(field, true));
            }

            // Identifiers in the value.
            let contact = matches!(f.category(), None | Some(DataCategory::FreeText | DataCategory::Other));
            let ids = if may_hold_identifier(value, contact) { identifiers::find_in_text(value) } else { Vec::new() };
            let trimmed_start = value.len() - value.trim_start().len();
            let trimmed_end = value.trim_end().len();
            let mut pos = CharPos::new(value);
            let mut nir_in_value = false;
            for id in ids {
                let at = span(pos.at(id.start), pos.at(id.end));
                let whole = id.start <= trimmed_start && id.end >= trimmed_end;
                let free = match f.category() {
                    Some(DataCategory::FreeText) => true,
                    None | Some(DataCategory::Other) => !whole,
                    Some(_) => false,
                };
                if id.kind == FindingKind::Nir {
                    nir_in_value = true;
                }
                if free {
                    out.push(free_text_finding(field, id.kind, at));
                    continue;
                }
                match id.kind {
                    FindingKind::Nir => out.push(nir_finding(field, Some(at))),
                    FindingKind::CardNumber => out.push(card_finding(field, Some(at))),
                    FindingKind::Iban => out.push(iban_finding(field, payment_justified(f.purposes(), ctx), Some(at))),
                    FindingKind::Email | FindingKind::Phone => {}
                }
            }
            if nir_name && !nir_in_value {
                out.push(nir_finding(field, None));
            }
            if keyword_scanned(f.category()) {
                check_special_text(field, value, &mut self.words, &mut out);
            }

            // Dates of birth.
            if BIRTH_NAME.any(&names) && !value.trim().is_empty() {
                match parse_birth_date(value) {
                    Some(BirthDate::Full(birth)) => match age_on(birth, ctx.today) {
                        None => out.push(birth_invalid_finding(field, "the date of birth is in the future")),
                        Some(age) if age > MAX_AGE => {
                            out.push(birth_invalid_finding(field, "the date of birth is implausibly old"));
                        }
                        Some(age) => {
                            out.push(birth_finding(
                                field,
                                Severity::Info,
                                "the record keeps a full date of birth",
                                ctx,
                            ));
                            if age < i32::from(ctx.minor_age) {
                                minors.push(field);
                            }
                        }
                    },
                    Some(BirthDate::Year(year)) => {
                        // Age is this difference or one less: report only a certain minor.
                        let oldest = ctx.today.year() - year;
                        if oldest < 0 {
                            out.push(birth_invalid_finding(field, "the year of birth is in the future"));
                        } else if oldest > MAX_AGE + 1 {
                            out.push(birth_invalid_finding(field, "the year of birth is implausibly old"));
                        } else if oldest < i32::from(ctx.minor_age) {
                            minors.push(field);
                        }
                    }
                    None => out.push(birth_invalid_finding(
                        field,
                        "the date of birth is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                    )),
                }
            }
        }

        let parental_consent =
            !minors.is_empty() && fields.iter().any(|f| is_parental_consent_name(f.name()) && is_truthy(f.value()));
        if !parental_consent {
            for field in minors {
                out.push(make(
                    rule(rules::MINOR_WITHOUT_PARENTAL_CONSENT, SRC_MINOR),
                    Detail {
                        severity: Severity::Block,
                        field,
                        message: format!(
                            "the person is under {} and the record holds no parental consent",
                            ctx.minor_age
                        ),
                        fix: FIX_MINOR.to_owned(),
                        kind: Some("minor"),
                        span: None,
                    },
                ));
            }
        }
        finish(out)
    }
}

// ---------------------------------------------------------------------------------------------
// scan_text
// ---------------------------------------------------------------------------------------------

/// Finds personal data hidden in a free text: e-mail addresses and phone numbers (warn), IBANs,
/// NIRs and card numbers (block), each under `personal-data-in-free-text`, and words revealing a
/// special category (`special-category`, warn). One finding per occurrence, with its span in
/// characters; `field` names the text in the findings.
pub fn scan_text(field: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if may_hold_identifier(text, true) {
        let mut pos = CharPos::new(text);
        for id in identifiers::find_in_text(text) {
            let at = span(pos.at(id.start), pos.at(id.end));
            out.push(free_text_finding(field, id.kind, at));
        }
    }
    check_special_text(field, text, &mut Words::default(), &mut out);
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str, camel: bool) -> Vec<String> {
        tokenize(s, camel).into_iter().map(|t| t.word).collect()
    }

    #[test]
    fn minimisation_tokenize_folds_and_splits() {
        assert_eq!(words("Date de Naissance", false), ["date", "de", "naissance"]);
        assert_eq!(words("dateOfBirth", true), ["date", "of", "birth"]);
        assert_eq!(words("NIRNumber", true), ["nir", "number"]);
        assert_eq!(words("cvv2", true), ["cvv2"]);
        assert_eq!(words("Œdème SANTÉ l'allergie", false), ["oedeme", "sante", "l", "allergie"]);
        // Decomposed accents stay inside the word.
        assert_eq!(words("sante\u{301} diabe\u{301}tique", false), ["sante", "diabetique"]);
        let t = tokenize("😀 santé", false);
        assert_eq!((t[0].start, t[0].end), (2, 7));
        assert_eq!(compact("Date_de-Naissance"), "datedenaissance");
    }

    #[test]
    fn minimisation_birth_dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).map(BirthDate::Full);
        assert_eq!(parse_birth_date("2010-03-04"), d(2010, 3, 4));
        assert_eq!(parse_birth_date(" 04/03/2010 "), d(2010, 3, 4));
        assert_eq!(parse_birth_date("4/3/2010"), d(2010, 3, 4));
        assert_eq!(parse_birth_date("04-03-2010"), d(2010, 3, 4));
        assert_eq!(parse_birth_date("04.03.2010"), d(2010, 3, 4));
        assert_eq!(parse_birth_date("2010/03/04"), d(2010, 3, 4));
        assert_eq!(parse_birth_date("1990"), Some(BirthDate::Year(1990)));
        for bad in ["", "2010-02-30", "31/04/2010", "2010-3", "10/03/10", "hier", "2010-03-04T00:00", "1/2/3/4"] {
            assert_eq!(parse_birth_date(bad), None, "{bad}");
        }
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(age_on(day(2010, 3, 4), day(2025, 3, 3)), Some(14));
        assert_eq!(age_on(day(2010, 3, 4), day(2025, 3, 4)), Some(15));
        assert_eq!(age_on(day(2008, 2, 29), day(2023, 2, 28)), Some(14));
        assert_eq!(age_on(day(2008, 2, 29), day(2023, 3, 1)), Some(15));
        assert_eq!(age_on(day(2030, 1, 1), day(2025, 1, 1)), None);
    }

    #[test]
    fn minimisation_char_positions() {
        let text = "é😀a";
        let mut p = CharPos::new(text);
        assert_eq!((p.at(0), p.at(2), p.at(6), p.at(7)), (0, 1, 2, 3));
        assert_eq!(p.at(2), 1, "going back restarts");
        assert_eq!(p.at(100), 3);
    }

    #[test]
    fn minimisation_detectors() {
        let is = |d: &Detector, s: &str| d.matches(&Named::new(s, true));
        assert!(is(&NIR_NAME, "numero_secu") && is(&NIR_NAME, "Numéro de sécurité sociale") && is(&NIR_NAME, "ssn"));
        assert!(!is(&NIR_NAME, "code_insee") && !is(&NIR_NAME, "security_question"));
        assert!(is(&PASSWORD_NAME, "confirmPassword") && is(&PASSWORD_NAME, "Mot de passe"));
        assert!(!is(&PASSWORD_NAME, "password_changed_at") && !is(&PASSWORD_NAME, "passage"));
        assert!(is(&BIRTH_NAME, "dateOfBirth") && is(&BIRTH_NAME, "date_naissance") && is(&BIRTH_NAME, "dob"));
        assert!(!is(&BIRTH_NAME, "birthPlace") && !is(&BIRTH_NAME, "lieu_de_naissance"));
        assert!(is(&CARD_NAME, "cardNumber") && is(&CARD_NAME, "Numéro de carte bancaire"));
        assert!(!is(&CARD_NAME, "loyaltyCardNumber") && !is(&CARD_NAME, "numero_carte_fidelite"));
        assert!(is(&IBAN_NAME, "iban") && is(&IBAN_NAME, "RIB") && !is(&IBAN_NAME, "nationalite_libanaise"));
        assert!(is(&CVV_NAME, "cvv2") && is(&CVV_NAME, "Cryptogramme visuel") && !is(&CVV_NAME, "crypto"));
        assert!(is_parental_consent_name("consentement-parental") && is_parental_consent_name("parentalConsent"));
        assert!(!is_parental_consent_name("consent_newsletter"));
    }

    #[test]
    fn minimisation_tables_are_consistent() {
        for (i, d) in DETECTORS.iter().enumerate() {
            assert_eq!(usize::from(d.id), i);
        }
        for (i, k) in Special::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
        let idx = index();
        assert_eq!(idx.latin.len(), 0x17f - 0xc0 + 1);
        for (k, c) in ('\u{c0}'..='\u{17f}').enumerate() {
            let mut folded = String::new();
            fold_into(c, &mut folded);
            assert_eq!(idx.latin.get(k), Some(&(c.is_alphanumeric(), folded)), "{c}");
        }
    }

    /// The compile-time tables equal what the run-time construction they replaced built.
    #[test]
    fn minimisation_compile_time_tables_match_run_time_construction() {
        let (new, old) = (&INDEX, index());
        let latin: Vec<(bool, String)> = new.latin.iter().map(|&(a, f)| (a, f.to_owned())).collect();
        assert_eq!(latin, old.latin);
        let terms = |t: &[Term]| t.iter().map(|t| (t.pats().to_vec(), t.owner)).collect::<Vec<_>>();
        let old_terms = |t: &[old::Term]| t.iter().map(|t| (t.pats.clone(), t.owner)).collect::<Vec<_>>();
        for (new, old) in [(&new.special, &old.special), (&new.named, &old.named)] {
            assert_eq!(new.starts.to_vec(), old.starts);
            let keyed = new.items.len() - new.anywhere().len();
            assert_eq!(terms(new.items.get(..keyed).unwrap_or_default()), old_terms(&old.items));
            assert_eq!(terms(new.anywhere()), old_terms(&old.anywhere));
        }
        assert_eq!(new.glued.starts.to_vec(), old.glued.starts);
        let all_old: Vec<_> = old.glued.items.iter().chain(&old.glued.anywhere).copied().collect();
        assert_eq!(new.glued.items.to_vec(), all_old);
        for term in new.special.items.iter().chain(new.named.items) {
            assert!(term.pats.get(term.len..).unwrap_or_default().iter().all(|p| *p == Pat::EMPTY));
        }
    }

    #[test]
    fn minimisation_word_readers_agree() {
        let ascii = [
            "",
            "a",
            "A",
            "aB",
            "AB",
            "ABc",
            "NIRNumber",
            "dateOfBirth",
            "x-Y_z9",
            "HTTPServer2Go",
            "a  b",
            "--",
            "cardNumber4",
            "IBAN",
            "mot_de_passe",
            "Date de Naissance",
        ];
        for s in ascii {
            for camel in [false, true] {
                let (mut a, mut b) = (Words::default(), Words::default());
                a.read_ascii(s.as_bytes(), camel);
                b.read_chars(s, camel);
                assert_eq!((&a.compact, &a.words), (&b.compact, &b.words), "{s:?} {camel}");
            }
        }
        for s in ascii.iter().copied().chain(["Numéro de Sécurité", "ŒdèmeÉté", "sante\u{301}", "😀 İx ß"]) {
            let mut w = Words::default();
            w.read(s, true);
            assert_eq!(w.compact, compact(s), "{s:?}");
        }
    }

    #[test]
    fn minimisation_identifier_prefilter_is_conservative() {
        // Whatever find_in_text finds, the prefilter lets through (all kinds with `contact`, else
        // NIRs, card numbers and IBANs).
        let pieces = [
            "253072B07300470",
            "2 53 07 2B 073 004 70",
            "FR14 2004 1010 0505 0001 3M02 606",
            "fr1420041010050500013M02606",
            "GB29 NWBK 6016 1331 9268 19",
            "BE68 5390 0754 7034",
            "4111111111111111",
            "4111 1111 1111 1111",
            "378282246310005",
            "4222222222222",
            "06 12 34 56 78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033 (0)6 12 34 56 78",
            "0690 12 34 56",
            "a.b@example.org",
            "x@y.fr",
            "@",
            "é",
            "Ü",
            "x",
            "FR",
            "12",
            "7",
            "2",
            "0",
            "123456",
        ];
        let seps = ["", "", " ", "-", ".", "\u{a0}", "é", ":"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % u64::try_from(n).unwrap_or(1)).unwrap_or(0)
        };
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..1 + next(5) {
                s.push_str(seps.get(next(seps.len())).copied().unwrap_or_default());
                s.push_str(pieces.get(next(pieces.len())).copied().unwrap_or_default());
            }
            let found = identifiers::find_in_text(&s);
            if !may_hold_identifier(&s, true) {
                assert!(found.is_empty(), "{s:?}: {found:?}");
            }
            if !may_hold_identifier(&s, false) {
                assert!(found.iter().all(|f| matches!(f.kind, FindingKind::Email | FindingKind::Phone)), "{s:?}");
            }
        }
    }
}
