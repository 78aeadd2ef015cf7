//! The import's unit tests: encodings, chunk boundaries, redaction, the built-in mapping.

#![allow(clippy::unwrap_used)]

use super::columns::{builtin_field, redact};
use super::parse::{decode_latin1, looks_latin1, parse_chunk};
use super::*;

#[test]
fn latin1_is_decoded_and_recognised() {
    let bytes = b"Fran\xe7ois;H\xe9l\xe8ne;\x80";
    assert_eq!(decode_latin1(bytes), "François;Hélène;€");
    assert!(std::str::from_utf8(std::hint::black_box(bytes)).is_err());
    assert!(looks_latin1(bytes));
}

#[test]
fn chunks_stop_before_a_record_that_may_be_cut() {
    let data = b"a,b\n1,2\n3,4";
    let (records, consumed) = parse_chunk(data, b',', TextEncoding::Utf8, 1, false).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(consumed, 8);
    let (records, consumed) = parse_chunk(data, b',', TextEncoding::Utf8, 1, true).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(consumed, data.len());
    assert_eq!(records[2].line, 3);
}

#[test]
fn quoted_newlines_count_their_lines() {
    let data = b"a,b\n\"x\ny\",2\n3,4\n";
    let (records, _) = parse_chunk(data, b',', TextEncoding::Utf8, 1, true).unwrap();
    assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 4]);
}

#[test]
fn redaction_keeps_no_digit_of_what_it_redacts() {
    let (clean, kinds) = redact("carte 4111 1111 1111 1111 et NIR 253072B07300470 merci".into());
    assert_eq!(kinds.len(), 2, "{clean}");
    assert!(!clean.contains("4111") && !clean.contains("253072"), "{clean}");
    assert!(clean.contains("[redacted:card-number]"));
}

#[test]
fn builtin_mapping_knows_woocommerce_and_french_headers() {
    assert_eq!(builtin_field("billing_email"), Some("email"));
    assert_eq!(builtin_field("Prénom"), Some("given-name"));
    assert_eq!(builtin_field("Code postal"), Some("postal-code"));
    assert_eq!(builtin_field("shipping_address_1"), None);
}
