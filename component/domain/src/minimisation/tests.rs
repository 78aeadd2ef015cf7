//! The minimisation rules' unit tests: words, tables, detectors, birth dates, spans.

use super::detectors::{
    BIRTH_NAME, CARD_NAME, CVV_NAME, DETECTORS, Detector, IBAN_NAME, NIR_NAME, Named, PASSWORD_NAME,
    SECURITY_QUESTION_NAME, is_parental_consent_name,
};
use super::findings::CharPos;
use super::identifiers::{FindingKind, Occurrence};
use super::lexicon::{INDEX, Pat, Term, Words, compact, fold_into, tokenize};
use super::special::Special;
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
    // CNIL délibération 2018-303: the card security code by its French and English labels, not the
    // social security code.
    assert!(is(&CVV_NAME, "Code de sécurité") && is(&CVV_NAME, "securityCode") && is(&CVV_NAME, "codes securite"));
    assert!(!is(&CVV_NAME, "Code de sécurité sociale") && !is(&CVV_NAME, "code_securite_sociale"));
    // GDPR Art. 5(1)(c): security questions and their answers, French and English, whole or glued.
    for q in ["security_question", "secretQuestion", "Question secrète", "questionsecrete", "Réponse secrète"] {
        assert!(is(&SECURITY_QUESTION_NAME, q), "{q}");
    }
    for q in ["Question de sécurité", "securityanswer", "Mother's maiden name", "mother_maiden_name"] {
        assert!(is(&SECURITY_QUESTION_NAME, q), "{q}");
    }
    for q in ["question", "Votre question", "secret", "maiden_name", "securite", "code_secret"] {
        assert!(!is(&SECURITY_QUESTION_NAME, q), "{q}");
    }
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
    // Whatever find_in_text finds, the prefilter lets through (all kinds with `contact` and
    // `business`; without `contact` no e-mail or phone; without `business` no SIREN or SIRET).
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
        "732829320",
        "732 829 320",
        "73282932000074",
        "732 829 320 00074",
        "35600000000001",
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
        if !may_hold_identifier(&s, true, true) {
            assert!(found.is_empty(), "{s:?}: {found:?}");
        }
        let contact = |f: &Occurrence| matches!(f.kind, FindingKind::Email | FindingKind::Phone);
        let business = |f: &Occurrence| matches!(f.kind, FindingKind::Siren | FindingKind::Siret);
        if !may_hold_identifier(&s, false, true) {
            assert!(found.iter().all(contact), "{s:?}");
        }
        if !may_hold_identifier(&s, true, false) {
            assert!(found.iter().all(business), "{s:?}");
        }
        if !may_hold_identifier(&s, false, false) {
            assert!(found.iter().all(|f| contact(f) || business(f)), "{s:?}");
        }
    }
}

/// The run-time construction the compile-time tables replaced, kept to check them.
mod old {
    use crate::minimisation::detectors::{DETECTORS, PARENT_WHAT_WORDS, PARENT_WHO_WORDS};
    use crate::minimisation::lexicon::fold_non_ascii;
    use crate::minimisation::lexicon::{
        BUCKETS, LATIN_FIRST, Owner, PARENT_WHAT, PARENT_WHO, Pat, UNLESS_SHIFT, bucket,
    };
    use crate::minimisation::special::SPECIAL_TERMS;

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
            crate::kernel::sort::sort_by(&mut keyed, |a, b| a.0.cmp(&b.0));
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
fn index() -> &'static old::Index {
    static OLD: std::sync::OnceLock<old::Index> = std::sync::OnceLock::new();
    OLD.get_or_init(old::Index::build)
}
