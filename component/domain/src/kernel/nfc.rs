//! Unicode Normalization Form C (UAX #15), applied to text as it enters: `e` + U+0301
//! becomes `é`, so a commune, a name or a word the minimisation rules look for reads the
//! same however the keyboard or the exporting tool composed it.
//!
//! The algorithm is UAX #15's (canonical decomposition, canonical ordering, canonical
//! composition) over the per-character tables of `unicode-normalization`: only its
//! canonical tables are linked (~50 KB), where its string iterators also link the
//! compatibility tables (+124 KB, past the component's 2 MiB).

use std::borrow::Cow;

use unicode_normalization::char::{canonical_combining_class as ccc, compose, decompose_canonical};

/// Whether `c` is unchanged by NFC whatever its neighbours: below U+0300 nothing
/// decomposes and nothing combines with what precedes it.
fn stable(c: char) -> bool {
    c < '\u{300}'
}

/// `s` in NFC; borrowed when it already is (every character below U+0300, the usual case).
pub fn nfc(s: &str) -> Cow<'_, str> {
    if s.chars().all(stable) {
        return Cow::Borrowed(s);
    }
    // Canonical decomposition, then canonical ordering: each run of non-starters is
    // sorted by combining class (stably).
    let mut chars: Vec<(char, u8)> = Vec::with_capacity(s.len());
    for c in s.chars() {
        decompose_canonical(c, |d| chars.push((d, ccc(d))));
    }
    let mut start = 0;
    while start < chars.len() {
        if chars[start].1 == 0 {
            start += 1;
            continue;
        }
        let end = chars[start..].iter().position(|&(_, class)| class == 0).map_or(chars.len(), |n| start + n);
        chars[start..end].sort_by_key(|&(_, class)| class);
        start = end;
    }
    // Canonical composition: a character joins the last starter when nothing between
    // them blocks it (no character between, or the last one of lower class).
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut starter: Option<usize> = None;
    let mut last_between: Option<u8> = None;
    for (c, class) in chars {
        if let Some(at) = starter {
            let blocked = last_between.is_some_and(|b| b == 0 || b >= class);
            if !blocked && let Some(joined) = compose(out[at], c) {
                out[at] = joined;
                continue;
            }
        }
        if class == 0 {
            starter = Some(out.len());
            last_between = None;
        } else if starter.is_some() {
            last_between = Some(class);
        }
        out.push(c);
    }
    Cow::Owned(out.into_iter().collect())
}

/// [`nfc`] of an owned string, which it returns when it already is NFC.
pub fn nfc_owned(s: String) -> String {
    match nfc(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(n) => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_french_is_composed() {
        assert_eq!(nfc("Saint-E\u{301}tienne"), "Saint-Étienne");
        assert_eq!(nfc("ç\u{327}"), "ç\u{327}");
        assert_eq!(nfc("c\u{327}a"), "ça");
        // Already composed text is borrowed.
        assert!(matches!(nfc("Besançon"), Cow::Borrowed(_)));
        // A singleton (Ångström sign) becomes its canonical letter; marks reorder.
        assert_eq!(nfc("\u{212B}"), "Å");
        assert_eq!(nfc("a\u{323}\u{302}"), "ậ");
        assert_eq!(nfc("a\u{302}\u{323}"), "ậ");
    }
}
