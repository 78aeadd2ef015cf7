//! NFC as UAX #15 defines it: the component's own composition (over the canonical tables
//! only, for size) gives what `unicode-normalization`'s full `nfc()` gives, for every
//! character alone and for random sequences mixing letters, marks in any order, Hangul
//! jamo, singletons and composition exclusions.

#![allow(clippy::unwrap_used)]

use fichier_domain::kernel::nfc::nfc;
use unicode_normalization::UnicodeNormalization;

#[test]
fn every_character_alone() {
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let s = c.to_string();
        assert_eq!(nfc(&s), s.nfc().collect::<String>(), "U+{:04X}", c as u32);
    }
}

#[test]
fn random_sequences_of_what_composes() {
    // Bases, marks of several classes, Hangul L/V/T and syllables, singletons (U+212B,
    // U+0340), exclusions (U+0958, U+2ADC), starters that compose with a starter.
    let pool: Vec<char> = "aeEiouAcCnNsSzZyYwWgGkKhHxX0- \u{391}\u{3B1}\u{3B7}\u{3C9}\u{415}\u{418}\u{435}\u{438}"
        .chars()
        .chain((0x300..=0x36F).filter_map(char::from_u32))
        .chain(['\u{323}', '\u{328}', '\u{345}', '\u{5B0}', '\u{93C}', '\u{94D}', '\u{915}', '\u{958}'])
        .chain(['\u{1100}', '\u{1161}', '\u{11A8}', '\u{AC00}', '\u{AC01}', '\u{212B}', '\u{340}', '\u{2ADC}'])
        .chain(['\u{E9}', '\u{C7}', '\u{1EA0}', '\u{1E0B}', '\u{FB2C}', '\u{1D15E}', '\u{1D165}', '\u{0F73}'])
        .collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..200_000 {
        let len = (next() % 9) as usize;
        let s: String = (0..len).map(|_| pool[(next() % pool.len() as u64) as usize]).collect();
        assert_eq!(nfc(&s), s.nfc().collect::<String>(), "{:?}", s.chars().map(|c| c as u32).collect::<Vec<_>>());
    }
}
