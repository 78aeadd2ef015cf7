//! Folding and words: text lower-cased without accents (`É` → `e`, `œ` → `oe`) and split
//! into words (also at camelCase boundaries in names), and the word tables — the
//! special-category terms, the field-name terms and the glued substrings — built at
//! compile time and bucketed by their first two letters.

use super::detectors::{DETECTORS, PARENT_WHAT_WORDS, PARENT_WHO_WORDS};
use super::special::{CONTEXTUAL, SPECIAL_TERMS, Special};

include!("fold_rules.rs");

/// Appends `c` lower-cased, without accents (`É` → `e`, `œ` → `oe`).
#[inline]
pub(super) fn fold_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        fold_non_ascii(c, out);
    }
}

/// `s` folded, keeping only letters and digits (`Date_de-Naissance` → `datedenaissance`).
pub(super) fn compact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| c.is_alphanumeric()) {
        fold_into(c, &mut out);
    }
    out
}

/// A word of [`Words`]: its folded bytes `from..to` in [`Words::compact`] and where it is in the
/// text, in characters (`start..end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Word {
    from: usize,
    to: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The folded words of a text. The words are stored end to end, so `compact` is also the text
/// folded with only its letters and digits (what [`compact`] returns). The buffers are reused:
/// a check reads every name, label and value with the same `Words`.
pub(super) struct Words {
    pub(crate) compact: String,
    pub(crate) words: Vec<Word>,
}

impl Default for Words {
    fn default() -> Self {
        Words { compact: String::with_capacity(64), words: Vec::with_capacity(8) }
    }
}

impl Words {
    /// Reads the words of `text`: runs of letters and digits (combining marks stay inside a
    /// word); with `camel`, also split at camelCase boundaries (`dateOfBirth`, `NIRNumber`).
    pub(crate) fn read(&mut self, text: &str, camel: bool) {
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
    pub(crate) fn read_chars(&mut self, text: &str, camel: bool) {
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
    pub(crate) fn read_ascii(&mut self, bytes: &[u8], camel: bool) {
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
pub(super) struct Token {
    pub(crate) word: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The words of `text` (see [`Words::read`]).
#[cfg(test)]
pub(super) fn tokenize(text: &str, camel: bool) -> Vec<Token> {
    let mut w = Words::default();
    w.read(text, camel);
    w.words.iter().enumerate().map(|(i, t)| Token { word: w.text(i).to_owned(), start: t.start, end: t.end }).collect()
}

/// One word of a term: a folded word, or a stem (written with a trailing `*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pat {
    pub(crate) text: &'static str,
    stem: bool,
}

impl Pat {
    pub(crate) const EMPTY: Pat = Pat { text: "", stem: false };

    pub(crate) const fn new(pat: &'static str) -> Self {
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
pub(super) enum Owner {
    Special(Special),
    /// A [`Detector`], by id.
    Detector(u8),
}

/// The number of words of a phrase (space-separated patterns).
pub(super) const fn words_in(phrase: &str) -> usize {
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
pub(super) const fn max_words(list: &[&str], mut max: usize) -> usize {
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
pub(super) const MAX_PATS: usize = {
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
pub(super) struct Term {
    /// Its patterns are `pats[..len]`.
    pub(crate) pats: [Pat; MAX_PATS],
    pub(crate) len: usize,
    pub(crate) owner: Owner,
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

    pub(crate) fn pats(&self) -> &[Pat] {
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
pub(super) fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s.iter().zip(prefix).all(|(a, b)| a == b)
}

pub(super) const LETTERS: usize = 26;

/// The number of buckets: two letters.
pub(super) const BUCKETS: usize = LETTERS * LETTERS;

/// The bucket of a pattern, or of the text at some position: its first two bytes, when both are
/// `a`–`z`. Whatever starts with a pattern is in the pattern's bucket.
pub(super) const fn bucket(b: &[u8]) -> Option<usize> {
    match b {
        [x @ b'a'..=b'z', y @ b'a'..=b'z', ..] => Some((*x - b'a') as usize * LETTERS + (*y - b'a') as usize),
        _ => None,
    }
}

/// Patterns grouped by [`bucket`], then those without a bucket (tried everywhere); built at
/// compile time by [`bucketed`].
pub(super) struct Buckets<T: 'static> {
    /// `items[starts[k]..starts[k + 1]]` is bucket `k`; `items[starts[BUCKETS]..]` are tried
    /// everywhere.
    pub(crate) items: &'static [T],
    pub(crate) starts: &'static [u32; BUCKETS + 1],
}

/// The items of `all`: those with a bucket sorted by it (stably: a counting sort), then those
/// without, in order; and where each bucket starts.
pub(super) const fn bucketed<T: Copy, const N: usize>(all: [(Option<usize>, T); N]) -> ([T; N], [u32; BUCKETS + 1]) {
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
    pub(crate) fn anywhere(&self) -> &'static [T] {
        self.starts.get(BUCKETS).and_then(|&s| self.items.get(s as usize..)).unwrap_or_default()
    }
}

/// Bits of [`Index::glued_flags`]: a detector's glued substring (bit `id`), its `unless`
/// substring (bit `8 + id`), and the two halves of a parental-consent name.
pub(super) const UNLESS_SHIFT: u32 = 8;
pub(super) const PARENT_WHO: u32 = 1 << 16;
pub(super) const PARENT_WHAT: u32 = 1 << 17;

/// The first character of [`Index::latin`].
pub(super) const LATIN_FIRST: u32 = 0xc0;

// `LATIN`, generated by build.rs: for `U+00C0..=U+017F`, whether the character is alphanumeric
// and its folded form.
include!(concat!(env!("OUT_DIR"), "/latin.rs"));

/// A substring of [`Index::glued`] and its bit.
pub(super) type Glued = (&'static str, u32);

/// The number of special-category terms.
pub(super) const SPECIAL_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < SPECIAL_TERMS.len() {
        n += SPECIAL_TERMS[i].1.len();
        i += 1;
    }
    n
};

/// The special-category terms and their buckets, in the order of [`SPECIAL_TERMS`].
pub(super) const fn special_terms() -> [(Option<usize>, Term); SPECIAL_COUNT] {
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
pub(super) const NAMED_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < DETECTORS.len() {
        n += DETECTORS[i].terms.len();
        i += 1;
    }
    n
};

/// The terms of the detectors and their buckets, in order.
pub(super) const fn named_terms() -> [(Option<usize>, Term); NAMED_COUNT] {
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
pub(super) const GLUED_COUNT: usize = {
    let (mut n, mut i) = (PARENT_WHO_WORDS.len() + PARENT_WHAT_WORDS.len(), 0);
    while i < DETECTORS.len() {
        n += DETECTORS[i].glued.len() + DETECTORS[i].unless.len();
        i += 1;
    }
    n
};

/// Appends the substrings of `list` with `bit` to `out` from `n`; returns the new end.
pub(super) const fn push_glued(
    out: &mut [(Option<usize>, Glued)],
    mut n: usize,
    list: &[&'static str],
    bit: u32,
) -> usize {
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
pub(super) const fn glued_substrings() -> [(Option<usize>, Glued); GLUED_COUNT] {
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

pub(super) const SPECIAL: ([Term; SPECIAL_COUNT], [u32; BUCKETS + 1]) = bucketed(special_terms());
pub(super) const NAMED: ([Term; NAMED_COUNT], [u32; BUCKETS + 1]) = bucketed(named_terms());
pub(super) const GLUED: ([Glued; GLUED_COUNT], [u32; BUCKETS + 1]) = bucketed(glued_substrings());

/// The word lists and substrings, indexed at compile time.
pub(super) struct Index {
    /// For `U+00C0..=U+017F` (Latin-1 letters, Latin Extended-A), by code point minus
    /// [`LATIN_FIRST`]: whether the character is alphanumeric, and its folded form; the same as
    /// `char::is_alphanumeric` and [`fold_non_ascii`].
    pub(crate) latin: &'static [(bool, &'static str)],
    /// The special-category terms.
    pub(crate) special: Buckets<Term>,
    /// The terms of the detectors.
    pub(crate) named: Buckets<Term>,
    pub(crate) glued: Buckets<Glued>,
}

pub(super) static INDEX: Index = Index {
    latin: &LATIN,
    special: Buckets { items: &SPECIAL.0, starts: &SPECIAL.1 },
    named: Buckets { items: &NAMED.0, starts: &NAMED.1 },
    glued: Buckets { items: &GLUED.0, starts: &GLUED.1 },
};

impl Index {
    /// Calls `f` with each special-category term matching from word `i` and the number of words
    /// it matches. Every such term starts with a word of at least three letters, so shorter words
    /// and numbers are not tried.
    pub(crate) fn specials_at(&self, words: &Words, i: usize, f: impl FnMut(Owner, usize)) {
        let word = words.text(i);
        if word.len() >= 3 && !word.starts_with(|c: char| c.is_ascii_digit()) {
            Self::terms_at(&self.special, words, i, f);
        }
    }

    /// Calls `f` with each word of [`CONTEXTUAL`] that is word `i` and whose context (the words
    /// around it) gives it its sensitive meaning (a match of one word). Each such word has at
    /// least three letters; its context is a few words, so this is linear in the text.
    pub(crate) fn contextual_at(&self, words: &Words, i: usize, mut f: impl FnMut(Owner, usize)) {
        let word = words.text(i);
        if word.len() < 3 || word.starts_with(|c: char| c.is_ascii_digit()) {
            return;
        }
        let any = |from: usize, to: usize, list: &[&'static str]| {
            (from..to).any(|j| j != i && list.iter().any(|p| Pat::new(p).matches(words.text(j))))
        };
        for c in CONTEXTUAL {
            if !Pat::new(c.term).matches(word) {
                continue;
            }
            let from = i.saturating_sub(c.near);
            let to = words.words.len().min(i + c.near + 1);
            let counts =
                (c.before.is_empty() && c.after.is_empty()) || any(from, i, c.before) || any(i + 1, to, c.after);
            let noun = i.checked_sub(1).is_some_and(|p| any(p, i, c.not_after));
            if counts && !noun && !c.unless.iter().any(|list| any(from, to, list)) {
                f(Owner::Special(c.kind), 1);
            }
        }
    }

    /// Calls `f` with each term of `terms` matching from word `i` and the number of words it
    /// matches.
    pub(crate) fn terms_at(terms: &Buckets<Term>, words: &Words, i: usize, mut f: impl FnMut(Owner, usize)) {
        for term in terms.at(words.text(i).as_bytes()).iter().chain(terms.anywhere()) {
            if let Some(len) = term.len_at(words, i) {
                f(term.owner, len);
            }
        }
    }

    /// The substrings (see the bits above) found in a compact form.
    pub(crate) fn glued_flags(&self, compact: &str) -> u32 {
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
