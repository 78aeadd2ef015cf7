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

/// A record's line and fields.
type Line = (u64, Vec<String>);

/// The records of `data` fed as a host feeds it: the first `first` bytes, then the rest
/// (resending what was not consumed), growing a chunk that consumed nothing. Returns each
/// record's line and fields, the bytes consumed and the lines counted.
fn fed(data: &[u8], first: usize) -> (Vec<Line>, usize, u64) {
    let mut out = Vec::new();
    let (mut offset, mut lines, mut want) = (0usize, 0u64, first.max(1));
    loop {
        let end = (offset + want).min(data.len());
        let last = end == data.len();
        let p = parse_chunk(&data[offset..end], b',', TextEncoding::Utf8, lines + 1, offset == 0, last).unwrap();
        out.extend(p.records.into_iter().map(|r| (r.line, r.fields)));
        offset += p.consumed;
        lines += p.lines;
        if last {
            assert_eq!(offset, data.len(), "the last chunk is consumed whole");
            return (out, offset, lines);
        }
        want = if p.consumed == 0 { want * 2 } else { data.len() };
    }
}

#[test]
fn chunks_stop_before_a_record_that_may_be_cut() {
    let data = b"a,b\n1,2\n3,4";
    let p = parse_chunk(data, b',', TextEncoding::Utf8, 1, true, false).unwrap();
    assert_eq!((p.records.len(), p.consumed, p.lines), (2, 8, 2));
    let p = parse_chunk(data, b',', TextEncoding::Utf8, 1, true, true).unwrap();
    assert_eq!((p.records.len(), p.consumed, p.lines), (3, data.len(), 3));
    assert_eq!(p.records[2].line, 3);
}

#[test]
fn quoted_newlines_count_their_lines() {
    let data = b"a,b\n\"x\ny\",2\n3,4\n";
    let p = parse_chunk(data, b',', TextEncoding::Utf8, 1, true, true).unwrap();
    assert_eq!(p.records.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 4]);
}

/// Every way a file ends its lines, split at every byte: the same records on the same
/// lines, and every byte consumed (a `\r\n` cut in two, a run of blank lines, a byte-order
/// mark cut or not).
#[test]
fn every_line_end_and_blank_line_is_consumed_at_every_chunk_boundary() {
    let rows = [("a,b", 1u64), ("1,2", 2), ("3,4", 3)];
    let expected = |shift: &[u64]| -> Vec<Line> {
        rows.iter().zip(shift).map(|((r, l), s)| (l + s, r.split(',').map(String::from).collect())).collect()
    };
    let plain = expected(&[0, 0, 0]);
    let cases: Vec<(&str, &[u8], Vec<Line>, u64)> = vec![
        ("LF", b"a,b\n1,2\n3,4\n", plain.clone(), 3),
        ("CRLF", b"a,b\r\n1,2\r\n3,4\r\n", plain.clone(), 3),
        ("CR", b"a,b\r1,2\r3,4\r", plain.clone(), 3),
        ("no final line end", b"a,b\n1,2\n3,4", plain.clone(), 3),
        ("CRLF, no final line end", b"a,b\r\n1,2\r\n3,4", plain.clone(), 3),
        ("trailing blank lines", b"a,b\n1,2\n3,4\n\n\n", plain.clone(), 5),
        ("CRLF, trailing blank lines", b"a,b\r\n1,2\r\n3,4\r\n\r\n\r\n", plain.clone(), 5),
        ("CR, trailing blank lines", b"a,b\r1,2\r3,4\r\r\r", plain.clone(), 5),
        ("trailing spaces line", b"a,b\n1,2\n3,4\n  \n", plain.clone(), 4),
        ("blank lines inside", b"a,b\r\n\r\n1,2\r\n\r\n\r\n3,4\r\n", expected(&[0, 1, 3]), 6),
        ("leading blank lines", b"\n\na,b\n1,2\n3,4\n", expected(&[2, 2, 2]), 5),
        ("BOM, LF", b"\xef\xbb\xbfa,b\n1,2\n3,4\n", plain.clone(), 3),
        ("BOM, CRLF, blank end", b"\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n\r\n", plain.clone(), 4),
        ("BOM, quoted header", b"\xef\xbb\xbf\"a\",b\r\n1,2\r\n3,4", plain.clone(), 3),
    ];
    for (name, data, want, lines) in cases {
        for first in 1..=data.len() {
            let (got, consumed, counted) = fed(data, first);
            assert_eq!(got, want, "{name}, first chunk of {first} bytes");
            assert_eq!((consumed, counted), (data.len(), lines), "{name}, first chunk of {first} bytes");
        }
    }
}

#[test]
fn a_chunk_of_blank_lines_is_consumed_before_the_end() {
    let p = parse_chunk(b"\r\n\r\n\r", b',', TextEncoding::Utf8, 7, false, false).unwrap();
    // Up to the last \n: the final \r may be half of a \r\n.
    assert_eq!((p.records.len(), p.consumed, p.lines), (0, 4, 2));
    let p = parse_chunk(b"\xef\xbb", b',', TextEncoding::Utf8, 1, true, false).unwrap();
    assert_eq!((p.records.len(), p.consumed), (0, 0), "a cut byte-order mark waits for more");
}

#[test]
fn redaction_keeps_no_digit_of_what_it_redacts() {
    let (clean, kinds) = redact("carte 4111 1111 1111 1111 et NIR 253072B07300470 merci".into());
    assert_eq!(kinds.len(), 2, "{clean}");
    assert!(!clean.contains("4111") && !clean.contains("253072"), "{clean}");
    assert!(clean.contains("[redacted:card-number]"));
    // GDPR.md "Identifiers": a NIR with dots or dashes between its groups is redacted too.
    for nir in ["2.91.11.75.115.233.94", "2-53-07-2B-073-004-70"] {
        let (clean, kinds) = redact(format!("NIR {nir} merci"));
        assert_eq!((clean.as_str(), kinds.len()), ("NIR [redacted:nir] merci", 1), "{nir}");
    }
}

#[test]
fn builtin_mapping_knows_woocommerce_and_french_headers() {
    assert_eq!(builtin_field("billing_email"), Some("email"));
    assert_eq!(builtin_field("Prénom"), Some("given-name"));
    assert_eq!(builtin_field("Code postal"), Some("postal-code"));
    assert_eq!(builtin_field("shipping_address_1"), None);
}
