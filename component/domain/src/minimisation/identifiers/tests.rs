//! The identifiers' unit tests: check digits, issuers, the free-text scanner.

use super::iban::{IBAN_LENGTHS, IBAN_TABLE, iban_mod97};
use super::*;
use crate::Error;

const NIR_EXAMPLE: &str = "253072B07300470";
const IBANS: [&str; 5] = [
    "FR14 2004 1010 0505 0001 3M02 606",
    "DE89 3704 0044 0532 0130 00",
    "GB29 NWBK 6016 1331 9268 19",
    "BE68 5390 0754 7034",
    "NL91 ABNA 0417 1643 00",
];
const CARDS: [(&str, CardBrand); 17] = [
    ("4111111111111111", CardBrand::Visa),
    ("4012888888881881", CardBrand::Visa),
    ("4222222222222", CardBrand::Visa),
    ("5555555555554444", CardBrand::Mastercard),
    ("5105105105105100", CardBrand::Mastercard),
    ("2223003122003222", CardBrand::Mastercard),
    ("2221000000000009", CardBrand::Mastercard),
    ("378282246310005", CardBrand::AmericanExpress),
    ("371449635398431", CardBrand::AmericanExpress),
    ("6011111111111117", CardBrand::Discover),
    ("6011000990139424", CardBrand::Discover),
    ("3530111333300000", CardBrand::Jcb),
    ("3566002020360505", CardBrand::Jcb),
    ("3056930009020004", CardBrand::DinersClub),
    ("6200000000000005", CardBrand::UnionPay),
    ("6759649826438453", CardBrand::Maestro),
    ("5018000000000009", CardBrand::Maestro),
];
const SIRENS: [&str; 2] = ["732829320", "356000000"];
const SIRETS: [&str; 3] = ["73282932000074", "35600000000048", "35600000000001"];

/// `prefix` followed by its Luhn check digit.
fn luhn_complete(prefix: &str) -> String {
    (0..10).map(|d| format!("{prefix}{d}")).find(|s| luhn_valid(s)).expect("one digit completes")
}

/// `body` (13 characters, 2A/2B allowed) followed by its NIR key, computed independently.
fn nir_complete(body: &str) -> String {
    let n: u64 = body.replace("2A", "19").replace("2B", "18").parse().expect("13 digits");
    format!("{body}{:02}", 97 - n % 97)
}

/// Every string made from `s` by changing one digit to another.
fn digit_changes(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() {
            for d in b'0'..=b'9' {
                if char::from(d) != c {
                    let mut t = s.to_owned();
                    t.replace_range(i..i + 1, &char::from(d).to_string());
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Every string made from `s` (no spaces) by swapping two different adjacent digits, with the pair.
fn adjacent_swaps(s: &str) -> Vec<(String, (u8, u8))> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(1))
        .filter(|&i| b[i].is_ascii_digit() && b[i + 1].is_ascii_digit() && b[i] != b[i + 1])
        .map(|i| {
            let mut t = b.to_vec();
            t.swap(i, i + 1);
            (String::from_utf8(t).expect("ascii"), (b[i], b[i + 1]))
        })
        .collect()
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_09(pair: (u8, u8)) -> bool {
    matches!(pair, (b'0', b'9') | (b'9', b'0'))
}

#[test]
fn identifiers_luhn() {
    assert!(luhn_valid("0"));
    assert!(luhn_valid("79927398713"));
    assert!(!luhn_valid("79927398710"));
    assert!(!luhn_valid(""));
    assert!(!luhn_valid("7992 7398 713"));
    assert!(!luhn_valid("٧٩٩٢٧٣٩٨٧١٣")); // Arabic-Indic digits are not ASCII digits
    let long = "0".repeat(1_000_000);
    assert!(luhn_valid(&long));
}

#[test]
fn identifiers_siren_siret() {
    for s in SIRENS {
        assert!(siren_valid(s), "{s}");
    }
    for s in SIRETS {
        assert!(siret_valid(s), "{s}");
    }
    assert!(siren_valid("732 829 320"));
    assert!(siret_valid("732 829 320 00074"));
    assert!(!luhn_valid("35600000000001"), "a La Poste SIRET accepted by its digit sum only");
    assert!(!siret_valid("35600000000002"));
    for bad in ["", "000000000", "00000000000000", "73282932", "7328293200", "73282932O", "732829320 1", "-732829320"] {
        assert!(!siren_valid(bad), "{bad:?}");
        assert!(!siret_valid(bad), "{bad:?}");
    }
    assert!(!siret_valid("732829320"));
    assert!(!siren_valid("73282932000074"));

    // Luhn catches every single-digit change; adjacent swaps slip through only for 0↔9.
    for valid in ["732829320".to_owned(), luhn_complete("55210055"), luhn_complete("54206547")] {
        let valid = valid.as_str();
        assert!(siren_valid(valid), "{valid}");
        for bad in digit_changes(valid) {
            assert!(!siren_valid(&bad), "{bad}");
        }
        for (bad, pair) in adjacent_swaps(valid) {
            assert_eq!(siren_valid(&bad), is_09(pair), "{bad}");
        }
    }
    for valid in ["73282932000074".to_owned(), luhn_complete("5521005540001"), luhn_complete("6420654790001")] {
        let valid = valid.as_str();
        assert!(siret_valid(valid), "{valid}");
        for bad in digit_changes(valid) {
            // La Poste's rule would accept a mutant that happened to start with its SIREN.
            assert!(!siret_valid(&bad), "{bad}");
        }
        for (bad, pair) in adjacent_swaps(valid) {
            assert_eq!(siret_valid(&bad), is_09(pair), "{bad}");
        }
    }
    // La Poste: the digit sum misses changes by ±5 only.
    let mutants = digit_changes("35600000000001");
    let accepted = mutants.iter().filter(|m| siret_valid(m)).count();
    assert!(accepted * 5 <= mutants.len(), "{accepted}/{}", mutants.len());
}

#[test]
fn identifiers_cards() {
    for (pan, brand) in CARDS {
        assert!(luhn_valid(pan), "{pan}");
        assert_eq!(card_number(pan), Some(brand), "{pan}");
    }
    assert_eq!(card_number("4111 1111 1111 1111"), Some(CardBrand::Visa));
    assert_eq!(card_number(" 4111-1111-1111-1111 "), Some(CardBrand::Visa));
    assert_eq!(card_number("3782 822463 10005"), Some(CardBrand::AmericanExpress));
    assert_eq!(card_number("4111111111111111111"), None, "19 digits, Luhn invalid");
    assert_eq!(card_number(&luhn_complete("411111111111111111")), Some(CardBrand::Visa));
    for bad in [
        "",
        " ",
        "-",
        "4111  1111 1111 1111",
        "4111--1111-1111-1111",
        "-4111111111111111",
        "4111111111111111-",
        "4111111111111112",
        "41111111111111111111",
        "4111 1111 1111 111a",
        "1111111111111117",
        "4111111111111111\u{0}",
    ] {
        assert_eq!(card_number(bad), None, "{bad:?}");
    }
    // Prefixes and lengths: a Luhn-valid number of the wrong length is no card.
    assert_eq!(card_number(&luhn_complete("51000000000000000")), None, "Mastercard has 16 digits");
    assert_eq!(card_number(&luhn_complete("37000000000000")), Some(CardBrand::AmericanExpress));
    assert_eq!(card_number(&luhn_complete("370000000000000")), None, "Amex has 15 digits");
    assert_eq!(card_number(&luhn_complete("272100000000000")), None, "2721 is not Mastercard");
    assert_eq!(card_number(&luhn_complete("272000000000000")), Some(CardBrand::Mastercard));
    assert_eq!(card_number(&luhn_complete("64400000000000000")), Some(CardBrand::Discover));
    assert_eq!(card_number(&luhn_complete("64300000000000000")), Some(CardBrand::Maestro));
    assert_eq!(card_number(&luhn_complete("65000000000")), None, "Discover has 16–19 digits");
    assert_eq!(card_number(&luhn_complete("560000000000")), Some(CardBrand::Maestro));
    assert_eq!(card_number(&luhn_complete("5600000000000")), None, "14 digits is a SIRET");
    assert_eq!(card_number(&luhn_complete("350000000000000")), None, "35 below 3528 is nobody's");
    assert_eq!(card_number(&luhn_complete("380000000000000")), Some(CardBrand::DinersClub));
    // Legacy 14-digit Diners cards are given up: 14 digits is a SIRET.
    for diners14 in ["30569309025904", "38520000023237", "36227206271667"] {
        assert!(luhn_valid(diners14));
        assert_eq!(card_number(diners14), None, "{diners14}");
    }

    // Luhn catches every single-digit change; adjacent swaps slip through only for 0↔9.
    for (pan, _) in CARDS {
        for bad in digit_changes(pan) {
            assert_eq!(card_number(&bad), None, "{bad}");
        }
        for (bad, pair) in adjacent_swaps(pan) {
            if !is_09(pair) {
                assert_eq!(card_number(&bad), None, "{bad}");
            }
        }
    }
}

#[test]
fn identifiers_siret_siren_are_not_cards() {
    for s in SIRENS.iter().chain(&SIRETS) {
        assert_eq!(card_number(s), None, "{s}");
    }
    // SIRETs whose prefixes are card prefixes (Diners 36/38/300–305, Maestro 50/56–69,
    // Discover 65, UnionPay 62, Visa 4, Mastercard 51–55).
    for prefix in ["36", "38", "39", "301", "50", "56", "60", "6011", "62", "65", "67", "4", "51", "34", "3530"] {
        let body = format!("{prefix}{}", "1234567890123").chars().take(13).collect::<String>();
        let siret = luhn_complete(&body);
        assert!(siret_valid(&siret), "{siret}");
        assert_eq!(card_number(&siret), None, "{siret}");
        assert_eq!(spans(&format!("SIRET {siret}, merci.")), vec![(FindingKind::Siret, 6, 20)], "{siret}");
        let siren = luhn_complete(&body[..8]);
        assert!(siren_valid(&siren), "{siren}");
        assert_eq!(card_number(&siren), None, "{siren}");
        assert_eq!(spans(&format!("SIREN {siren}.")), vec![(FindingKind::Siren, 6, 15)], "{siren}");
    }
}

/// SIREN and SIRET in free text (GDPR.md Identifiers; issue 25): found as business identifiers,
/// in the registry's groups or, digits together, after their name; La Poste's by their digit
/// sum; a spaced group run that goes on, a wrong check digit, a longer number or one glued to
/// letters is not one.
#[test]
fn identifiers_siren_siret_in_text() {
    assert_eq!(
        spans("SIRET 732 829 320 00074, SIREN 732829320, La Poste 35600000000048."),
        vec![(FindingKind::Siret, 6, 23), (FindingKind::Siren, 31, 40), (FindingKind::Siret, 51, 65)]
    );
    assert_eq!(spans("siège : 732829320 00074"), vec![(FindingKind::Siret, 9, 24)]);
    assert_eq!(spans("SIREN 732 829 320"), vec![(FindingKind::Siren, 6, 17)]);
    assert_eq!(spans("n° SIRET : 732-829-320-00074."), vec![(FindingKind::Siret, 12, 29)]);
    assert_eq!(spans("SIRET du bureau : 35600000000001"), vec![(FindingKind::Siret, 18, 32)], "La Poste: digit sum");
    // A list of SIRENs written without spaces, after their name: each is found.
    assert_eq!(spans("SIREN 732829320 356000000"), vec![(FindingKind::Siren, 6, 15), (FindingKind::Siren, 16, 25)]);
    assert_eq!(spans("rcs Paris 732829320"), vec![(FindingKind::Siren, 10, 19)]);
    // Digits together without their name are as likely an order or an invoice number.
    assert_eq!(spans("Commande 732829320, facture 73282932000074"), vec![]);
    for text in [
        "SIREN 732829321",         // wrong check digit
        "SIRET 73282932000075",    // wrong check digit
        "SIRET 35600000000002",    // La Poste, digit sum not a multiple of 5
        "n° 7328293200",           // ten digits
        "n° 732829320000741",      // fifteen digits
        "réf. 732 829 320 123",    // a spaced group run that goes on
        "code X732829320",         // glued to a letter
        "lot 732829320B",          // glued to a letter
        "732 829 320 12345",       // a SIREN with a wrong NIC: not a SIRET, nor a SIREN
        "0000000000000 000000000", // all zeros
        "732-829 320",             // two kinds of separator
    ] {
        assert_eq!(spans(text), vec![], "{text}");
    }
}

#[test]
fn identifiers_nir() {
    assert!(nir_valid(NIR_EXAMPLE));
    assert!(nir_valid("2 53 07 2B 073 004 70"));
    assert!(nir_valid(" 253072b07300470 "));
    assert!(nir_valid("2\u{a0}53\u{a0}07\u{a0}2B\u{a0}073\u{a0}004\u{a0}70"));
    let nir = Nir::parse("subject.nir", "2 53 07 2B 073 004 70").expect("valid");
    assert_eq!(nir.as_str(), NIR_EXAMPLE);
    assert_eq!((nir.sex(), nir.year(), nir.month(), nir.key()), (2, 53, 7, 70));
    assert_eq!((nir.department(), nir.commune(), nir.order()), ("2B", "073", "004"));
    assert_eq!(format!("{nir:?}"), "Nir(<redacted>)");
    assert_eq!(NIR_EXAMPLE.parse::<Nir>().map(|n| n.key()), Ok(70));

    let generated = [
        nir_complete("1850578006084"),
        nir_complete("2990113055123"),
        nir_complete("185052A123456"),
        nir_complete("3751299123001"),
        nir_complete("4012012345678"),
        nir_complete("7424297112345"), // overseas department 971
        nir_complete("8005099123456"),
        nir_complete("1000101001001"),
    ];
    for valid in std::iter::once(NIR_EXAMPLE.to_owned()).chain(generated) {
        assert!(nir_valid(&valid), "{valid}");
        // mod 97 catches every single-digit change and every swap of adjacent digits.
        for bad in digit_changes(&valid) {
            assert!(!nir_valid(&bad), "{bad}");
        }
        for (bad, _) in adjacent_swaps(&valid) {
            assert!(!nir_valid(&bad), "{bad}");
        }
    }
    let dom = nir_complete("2424297112345");
    assert!(nir_valid(&format!(
        "{} {} {} {} {} {} {}",
        &dom[..1],
        &dom[1..3],
        &dom[3..5],
        &dom[5..8],
        &dom[8..10],
        &dom[10..13],
        &dom[13..]
    )));

    let rule = |s: &str| match Nir::parse("subject.nir", s) {
        Err(Error::InvalidInput(e)) => {
            assert_eq!(e.field, "subject.nir");
            assert!(!e.message.contains(s.trim()) || s.trim().is_empty(), "the message repeats the input");
            e.rule
        }
        other => panic!("{s:?}: {other:?}"),
    };
    assert_eq!(rule(""), "nir-syntax");
    assert_eq!(rule("25307207300470"), "nir-syntax");
    assert_eq!(rule("2530720730047012"), "nir-syntax");
    assert_eq!(rule("25 3072B07300470"), "nir-syntax", "a space inside a group");
    assert_eq!(rule("2  53072B07300470"), "nir-syntax", "two spaces");
    assert_eq!(rule("2530 72B07300470"), "nir-syntax");
    assert_eq!(rule("253072C07300470"), "nir-syntax");
    assert_eq!(rule("25307A207300470"), "nir-syntax");
    assert_eq!(rule("2530723B7300470"), "nir-syntax");
    assert_eq!(rule(&nir_complete("5530720073004")), "nir-sex");
    assert_eq!(rule(&nir_complete("0530720073004")), "nir-sex");
    assert_eq!(rule(&nir_complete("2531320073004")), "nir-month");
    assert_eq!(rule(&nir_complete("2530020073004")), "nir-month");
    assert_eq!(rule(&nir_complete("2534320073004")), "nir-month");
    assert_eq!(rule(&nir_complete("2530700073004")), "nir-department");
    assert_eq!(rule("253072B07300471"), "nir-key");
    assert_eq!(rule("253072A07300470"), "nir-key", "2A and 2B give different keys");
    for month in ["01", "12", "20", "42", "50", "99"] {
        assert!(nir_valid(&nir_complete(&format!("185{month}78006084"))), "{month}");
    }
}

/// GDPR.md "Identifiers" (the CNIL's reading of décret 2019-341: a retailer may not hold a NIR):
/// people write a NIR with spaces, dots or dashes between its groups, and it is the same NIR.
/// One kind of separator throughout, one per group boundary, and the key is still checked.
#[test]
fn identifiers_nir_with_dots_or_dashes() {
    for s in [
        "2.53.07.2B.073.004.70",
        "2-53-07-2B-073-004-70",
        "2.53.07.2b.073.004.70",
        "2.91.11.75.115.233.94",
        "2-91-11-75-115-233-94",
        "291117511523394",
    ] {
        assert!(nir_valid(s), "{s}");
    }
    let nir = Nir::parse("subject.nir", "2.53.07.2B.073.004.70").expect("valid");
    assert_eq!(nir.as_str(), NIR_EXAMPLE);
    let dom = nir_complete("2424297112345");
    let grouped = [&dom[..1], &dom[1..3], &dom[3..5], &dom[5..8], &dom[8..10], &dom[10..13], &dom[13..]];
    assert!(nir_valid(&grouped.join(".")));
    assert!(nir_valid(&grouped.join("-")));
    for s in [
        "2.53.07.2B.073.004.71",  // the key is checked
        "2.91.11.75.115.233.95",  // the key is checked
        "2.53-07.2B.073.004.70",  // mixed separators
        "2 53.07.2B.073.004.70",  // mixed separators
        "2..53.07.2B.073.004.70", // two separators
        "25.3.07.2B.073.004.70",  // a dot inside a group
        "2/53/07/2B/073/004/70",  // not a separator people use for a NIR
        "2_53_07_2B_073_004_70",
    ] {
        assert!(!nir_valid(s), "{s}");
        let e = Nir::parse("subject.nir", s).expect_err(s);
        assert!(!format!("{e:?}").contains(s), "the error repeats the input");
    }
}

#[test]
fn identifiers_iban() {
    for iban in IBANS {
        assert!(iban_valid(iban), "{iban}");
        assert!(iban_valid(&compact(iban)), "{iban}");
        assert!(iban_valid(&iban.to_lowercase()), "{iban}");
        assert_eq!(parse_iban("payer.iban", iban), Ok(compact(iban)));
    }
    for (cc, len) in [("FR", 27), ("DE", 22), ("ES", 24), ("IT", 27), ("BE", 16), ("NL", 18), ("LU", 20)] {
        assert_eq!(iban_length(cc), Some(len));
    }
    for (cc, len) in [("PT", 25), ("IE", 22), ("AT", 20), ("CH", 21), ("GB", 22), ("MC", 27), ("fr", 27)] {
        assert_eq!(iban_length(cc), Some(len));
    }
    assert_eq!(iban_length("US"), None);
    assert_eq!(iban_length("F"), None);

    let rule = |s: &str| match parse_iban("payer.iban", s) {
        Err(Error::InvalidInput(e)) => e.rule,
        other => panic!("{s:?}: {other:?}"),
    };
    assert_eq!(rule(""), "iban-syntax");
    assert_eq!(rule("FR14-2004-1010"), "iban-syntax");
    assert_eq!(rule("FR142004101005050001"), "iban-length");
    assert_eq!(rule("US14200410100505000130"), "iban-country");
    assert_eq!(rule("FR15 2004 1010 0505 0001 3M02 606"), "iban-checksum");
    assert_eq!(rule(&"FR14".repeat(20)), "iban-syntax");
    assert_eq!(rule("14FR 2004 1010 0505 0001 3M02 606"), "iban-syntax");
    // Check digits 99 ≡ 02 (mod 97): refused by range, since the sum alone would pass.
    let with02 = (0..100)
        .map(|k| format!("GB02NWBK601613319268{k:02}"))
        .find(|s| iban_mod97(s.as_bytes()) == 1)
        .expect("two free digits reach every residue");
    assert!(iban_valid(&with02));
    let with99 = with02.replacen("GB02", "GB99", 1);
    assert_eq!(iban_mod97(with99.as_bytes()), 1);
    assert!(!iban_valid(&with99));
    assert_eq!(rule(&with99), "iban-checksum");

    // mod 97 catches every single change of a digit or a letter and every swap of adjacent digits.
    for iban in IBANS {
        let c = compact(iban);
        let mut mutants = digit_changes(&c);
        for (i, ch) in c.char_indices().filter(|(_, ch)| ch.is_ascii_uppercase()) {
            for l in 'A'..='Z' {
                if l != ch {
                    let mut t = c.clone();
                    t.replace_range(i..i + 1, &l.to_string());
                    mutants.push(t);
                }
            }
        }
        mutants.extend(adjacent_swaps(&c).into_iter().map(|(s, _)| s));
        assert!(mutants.len() > 100);
        for bad in mutants {
            assert!(!iban_valid(&bad), "{bad}");
        }
    }
}

/// The span of `needle` in `text`.
fn span(text: &str, needle: &str) -> (usize, usize) {
    let start = text.find(needle).expect("needle in text");
    (start, start + needle.len())
}

fn spans(text: &str) -> Vec<(FindingKind, usize, usize)> {
    find_in_text(text).into_iter().map(|f| (f.kind, f.start, f.end)).collect()
}

#[test]
fn identifiers_find_in_text() {
    let text = "Bonjour, je suis Élodie Martin (élodie.martin@exemple.fr), joignable au 06 12 34 56 78 \
                    ou au +33 (0)1 23 45 67 89. Mon IBAN : FR14 2004 1010 0505 0001 3M02 606 ; \
                    n° de sécu 2 53 07 2B 073 004 70, carte 4111 1111 1111 1111 (exp. 12/27). Merci !";
    let expected = [
        (FindingKind::Email, "élodie.martin@exemple.fr"),
        (FindingKind::Phone, "06 12 34 56 78"),
        (FindingKind::Phone, "+33 (0)1 23 45 67 89"),
        (FindingKind::Iban, "FR14 2004 1010 0505 0001 3M02 606"),
        (FindingKind::Nir, "2 53 07 2B 073 004 70"),
        (FindingKind::CardNumber, "4111 1111 1111 1111"),
    ];
    let want: Vec<_> = expected
        .iter()
        .map(|&(kind, needle)| {
            let (s, e) = span(text, needle);
            (kind, s, e)
        })
        .collect();
    assert_eq!(spans(text), want);

    // Other forms, one at a time.
    for (kind, needle) in [
        (FindingKind::Phone, "0612345678"),
        (FindingKind::Phone, "06.12.34.56.78"),
        (FindingKind::Phone, "06-12-34-56-78"),
        (FindingKind::Phone, "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78"),
        (FindingKind::Phone, "+33 6 12 34 56 78"),
        (FindingKind::Phone, "+33612345678"),
        (FindingKind::Phone, "0033 6 12 34 56 78"),
        (FindingKind::Phone, "+33.6.12.34.56.78"),
        (FindingKind::Phone, "09 70 80 90 00"),
        (FindingKind::Email, "a.b-c+tag@sous.domaine.example.com"),
        (FindingKind::Email, "Jean.Dupont@Example.ORG"),
        (FindingKind::Iban, "fr1420041010050500013m02606"),
        (FindingKind::Iban, "DE89370400440532013000"),
        (FindingKind::Iban, "GB29 NWBK 6016 1331 9268 19"),
        (FindingKind::Iban, "BE68 5390 0754 7034"),
        (FindingKind::Iban, "NL91 ABNA 0417 1643 00"),
        (FindingKind::Nir, "253072B07300470"),
        (FindingKind::Nir, "2 53 07 2b 073 004 70"),
        (FindingKind::Nir, "2.53.07.2B.073.004.70"),
        (FindingKind::Nir, "2-53-07-2B-073-004-70"),
        (FindingKind::Nir, "2.91.11.75.115.233.94"),
        (FindingKind::CardNumber, "4111-1111-1111-1111"),
        (FindingKind::CardNumber, "378282246310005"),
        (FindingKind::CardNumber, "3782 822463 10005"),
        (FindingKind::CardNumber, "5555 5555 5555 4444"),
        (FindingKind::CardNumber, "6759 6498 2643 8453"),
    ] {
        for text in [
            needle.to_owned(),
            format!("Voici : {needle}."),
            format!("«\u{a0}{needle}\u{a0}»"),
            format!("({needle})"),
            format!("→{needle}←"),
            format!("{needle}, puis rien"),
        ] {
            let (s, e) = span(&text, needle);
            assert_eq!(spans(&text), vec![(kind, s, e)], "{text:?}");
        }
    }
    // A card followed by other digits is still found.
    let text = "carte 4111 1111 1111 1111 99";
    assert_eq!(spans(text), vec![(FindingKind::CardNumber, 6, 25)]);
    // The digits of an e-mail address are part of it.
    let text = "écrire à 0612345678@sms.example.fr";
    assert_eq!(spans(text), vec![(FindingKind::Email, span(text, "0612345678@sms.example.fr").0, text.len())]);
}

/// A dotted or dashed phone number is a phone, not a NIR (GDPR.md "Identifiers": a NIR is 15
/// characters with a key), and a NIR written that way next to one is still found.
#[test]
fn identifiers_dotted_phones_are_not_nirs() {
    let text = "Appelez le 06.12.34.56.78 ou le 01-23-45-67-89 avant le 12.03.2024, sécu 2.91.11.75.115.233.94.";
    let want = vec![
        (FindingKind::Phone, span(text, "06.12.34.56.78").0, span(text, "06.12.34.56.78").1),
        (FindingKind::Phone, span(text, "01-23-45-67-89").0, span(text, "01-23-45-67-89").1),
        (FindingKind::Nir, span(text, "2.91.11.75.115.233.94").0, span(text, "2.91.11.75.115.233.94").1),
    ];
    assert_eq!(spans(text), want);
}

/// The finder reads French numbers with phone.rs's rules: every number it reports converts
/// with `phone::to_e164`, overseas departments included, and what `to_e164` refuses is not
/// reported.
#[test]
fn identifiers_phones_follow_phone_rules() {
    for needle in [
        "0690 12 34 56",
        "0690.12.34.56",
        "0590123456",
        "0262 12 34 56",
        "0639 12 34 56",
        "+590 690 12 34 56",
        "+590690123456",
        "00594 694 12 34 56",
        "+596 (0)696 12 34 56",
        "+262 639 12 34 56",
        "+262 2 69 61 23 45",
        "06 12 34 56 78",
        "+33 (0)6 12 34 56 78",
    ] {
        let text = format!("Tél. : {needle}.");
        let (s, e) = span(&text, needle);
        assert_eq!(spans(&text), vec![(FindingKind::Phone, s, e)], "{text:?}");
        assert!(crate::customers::phone::to_e164("p", needle).is_ok(), "{needle}");
    }
    for text in [
        "+33 690 12 34 56",
        "+33 6 90 12 34 56",
        "+590 612 34 56 78",
        "+594 590 12 34 56",
        "+262 590 12 34 56",
        "+44 20 7946 0958",
        "00 12 34 56 78",
        "06 12 34 56 7",
        "06 12 34 56 78 90",
        "06 12 34 5 678",
        "06 123 456 78",
        "0 6 12 34 56 78",
        "06.12 34.56.78",
        "+33 6 12 34 56 78 9",
    ] {
        assert!(!spans(text).iter().any(|f| f.0 == FindingKind::Phone), "{text:?}");
    }
}

#[test]
fn identifiers_nothing_in_ordinary_text() {
    for text in [
        "Commande n° 2024-000417 du 12/03/2024 : 3 articles à 19,99 € (total 59,97 €), \
             livraison prévue le 15.03.2024 à 14h30, réf. CMD-88412-B, code postal 75015, \
             facture 2024031500123, lot 4 500 × 12, poids 1 250,5 kg.",
        "Order #100234567 shipped 2024-03-12T10:15:00Z; tracking 1Z999AA10123456784; qty 12; total $1,299.00.",
        "Prix : 1 299,00 € TTC — remise 10 % — TVA 20 % — 2 x 49,90 €.",
        "Dates : 01/02/2024, 01.02.2024, 2024-02-01, 01-02-2024, 1er février 2024.",
        "Ticket 4000 1234 5678 9010, caisse 06, vendeur 12, 0,5 L, 33 cl, +33 %.",
        "Version 1.2.3, build 20240312, port 8080, ISBN 978-2-07-036822-8.",
        "Numéros : 01 02 03 04 05 06, 12 34 56 78 90.",
        // Dotted or dashed dates and references are not NIRs (15 characters and a key).
        "Rendez-vous 2.53.07.2024, réf. 2-53-07-20-073-004, lot 1.85.05.78.006.084.",
        "Lot 2.53.07.2B.073.004.71 (clé fausse), 2-53-07-2B-073-004-7 (trop court).",
        "adresse invalide a@b, @exemple.fr, x@.fr, y@exemple.",
    ] {
        assert_eq!(spans(text), vec![], "{text}");
    }
}

/// A deterministic generator for the robustness test (tests only).
struct Lcg(u64);
impl Lcg {
    fn step(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn check_findings(text: &str) {
    let found = find_in_text(text);
    let mut last = 0;
    for f in &found {
        assert!(f.start >= last && f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{f:?}");
        last = f.end;
    }
}

#[test]
fn identifiers_no_panic_on_odd_inputs() {
    let mut inputs: Vec<String> = [
        "",
        " ",
        "\0",
        "\u{a0}",
        "\u{202f}",
        "é",
        "😀",
        "\u{feff}",
        "\u{200f}\u{202e}",
        "e\u{301}",
        "@",
        "@@",
        "a@",
        "@b.fr",
        "a@b@c.fr",
        "+",
        "+33",
        "+33 (0)",
        "0033",
        "(0)",
        "0",
        "06",
        "2A",
        "2B",
        "FR",
        "FR14",
        "FR14 ",
        "fr14 2004",
        "1 ",
        "2 53 07 2B",
        "253072B0730047",
        "4111 ",
        "4111-",
        "٠٦١٢٣٤٥٦٧٨",
        "０６１２３４５６７８",
        "𝟎𝟔𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    inputs.push("9".repeat(100_000));
    inputs.push("1 ".repeat(50_000));
    inputs.push("a@".repeat(50_000));
    inputs.push(format!("{}@{}", "a".repeat(70_000), "b.".repeat(70_000)));
    inputs.push("é1".repeat(50_000));
    inputs.push("FR".to_owned() + &"9".repeat(10_000));
    inputs.push("+33 (0)".repeat(10_000));
    inputs.push("06 12 34 56 78 ".repeat(5_000));
    inputs.push("2 53 07 2B 073 004 70 ".repeat(2_000));
    inputs.push("\u{a0}".repeat(30_000));
    inputs.push("😀0".repeat(30_000));

    // Random texts over an alphabet of the characters the scanners care about.
    let alphabet: Vec<char> = "0123456789 0.-+@()AaBbFRZé😀\u{a0}\u{202f}x.,".chars().collect();
    let mut rng = Lcg(42);
    for _ in 0..2_000 {
        let len = usize::try_from(rng.step() % 60).expect("small");
        let s: String =
            (0..len).map(|_| alphabet[usize::try_from(rng.step()).expect("small") % alphabet.len()]).collect();
        inputs.push(s);
    }
    // Every suffix and prefix of a text full of identifiers.
    let rich = "é élodie@exemple.fr 06 12 34 56 78 +33 6 12 34 56 78 FR14 2004 1010 0505 0001 3M02 606 \
                    2 53 07 2B 073 004 70 4111 1111 1111 1111 😀";
    for (i, _) in rich.char_indices() {
        inputs.push(rich[i..].to_owned());
        inputs.push(rich[..i].to_owned());
    }

    for s in &inputs {
        let _ = luhn_valid(s);
        let _ = siren_valid(s);
        let _ = siret_valid(s);
        let _ = card_number(s);
        let _ = nir_valid(s);
        let _ = Nir::parse("f", s);
        let _ = iban_valid(s);
        let _ = parse_iban("f", s);
        let _ = iban_length(s);
        check_findings(s);
    }
    assert_eq!(find_in_text(&"9".repeat(100_000)), vec![]);
    assert_eq!(find_in_text(&"06 12 34 56 78 ".repeat(5_000)).len(), 0, "one long number, not phones");
    assert_eq!(find_in_text(&"2 53 07 2B 073 004 70 ".repeat(2_000)).len(), 2_000);
}

/// The compile-time table equals the one `iban_length` used to build on first use.
#[test]
fn iban_table_matches_run_time_construction() {
    let mut t = [0u8; 676];
    for (cc, len) in IBAN_LENGTHS {
        let b = cc.as_bytes();
        t[usize::from(b[0] - b'A') * 26 + usize::from(b[1] - b'A')] = u8::try_from(*len).unwrap_or(0);
    }
    assert_eq!(t, IBAN_TABLE);
}

/// The identifier check (issue 25): each kind by its own validator, several when a value is
/// valid as several, none for a number that passes no check; the normal form only for the
/// business identifiers a register publishes, never a NIR, a card, an IBAN, a phone or an
/// e-mail address (no echo, as the finder's spans).
#[test]
fn identifiers_check_identifier_kinds() {
    let kinds = |v: &str| check_identifier(v).into_iter().map(|m| m.kind).collect::<Vec<_>>();
    assert_eq!(kinds(NIR_EXAMPLE), vec![IdentifierKind::Nir]);
    assert_eq!(kinds("2 53 07 2B 073 004 70"), vec![IdentifierKind::Nir]);
    assert_eq!(kinds("253072B07300471"), vec![], "wrong NIR key");
    assert_eq!(kinds("FR14 2004 1010 0505 0001 3M02 606"), vec![IdentifierKind::Iban]);
    assert_eq!(kinds("4111 1111 1111 1111"), vec![IdentifierKind::CardNumber]);
    assert_eq!(kinds("4111 1111 1111 1112"), vec![], "Luhn fails");
    assert_eq!(kinds("732 829 320"), vec![IdentifierKind::Siren]);
    assert_eq!(kinds("732829321"), vec![], "SIREN Luhn fails");
    assert_eq!(kinds("73282932000074"), vec![IdentifierKind::Siret]);
    assert_eq!(kinds("35600000000001"), vec![IdentifierKind::Siret], "La Poste, digit sum");
    assert_eq!(kinds("35600000000002"), vec![]);
    assert_eq!(kinds("06 12 34 56 78"), vec![IdentifierKind::PhoneFr]);
    assert_eq!(kinds("+590 690 12 34 56"), vec![IdentifierKind::PhoneFr]);
    assert_eq!(kinds("+44 20 7946 0958"), vec![IdentifierKind::PhoneInternational]);
    assert_eq!(kinds("+999 12 34"), vec![], "unassigned calling code");
    assert_eq!(kinds("a.b@example.org"), vec![IdentifierKind::Email]);
    assert_eq!(kinds("bonjour"), vec![]);
    // A SIRET that passes Luhn and starts like a card (Visa 4…, Diners 36…) is a SIRET only.
    for prefix in ["4", "36", "51"] {
        let siret = luhn_complete(&format!("{prefix}{}", "1234567890123").chars().take(13).collect::<String>());
        assert_eq!(kinds(&siret), vec![IdentifierKind::Siret], "{siret}");
    }

    let detail = |v: &str| check_identifier(v).into_iter().map(|m| (m.normalized, m.detail)).collect::<Vec<_>>();
    assert_eq!(detail("732 829 320 00074"), vec![(Some("73282932000074".to_owned()), None)]);
    assert_eq!(detail(" 732 829 320 "), vec![(Some("732829320".to_owned()), None)]);
    assert_eq!(detail("4111 1111 1111 1111"), vec![(None, Some("visa".to_owned()))]);
    assert_eq!(detail("fr1420041010050500013M02606"), vec![(None, Some("FR".to_owned()))]);
    assert_eq!(detail("0690 12 34 56"), vec![(None, Some("+590".to_owned()))]);
    assert_eq!(detail("06 12 34 56 78"), vec![(None, Some("+33".to_owned()))]);
    assert_eq!(detail(NIR_EXAMPLE), vec![(None, None)]);
    assert_eq!(detail("a.b@example.org"), vec![(None, None)]);
    assert_eq!(IdentifierKind::PhoneInternational.as_str(), "phone-international");
}
