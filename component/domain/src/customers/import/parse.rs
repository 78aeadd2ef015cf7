//! Parsing a chunk: the whole CSV records a byte range holds (never the last, possibly
//! cut one, unless the range reaches the end of the file), decoded from UTF-8 or
//! Latin-1, validated all before anything is written.

use super::{MAX_RECORD_BYTES, TextEncoding};
use crate::kernel::error::{Error, Result};

/// Windows-1252 (a superset of ISO-8859-1's printable range) to a string.
pub fn decode_latin1(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xa0).contains(&b) { HIGH[usize::from(b - 0x80)] } else { char::from(b) }).collect()
}

/// Whether invalid UTF-8 looks like Latin-1 text (accented letters as single high bytes).
pub(super) fn looks_latin1(bytes: &[u8]) -> bool {
    let high = bytes.iter().filter(|b| **b >= 0xa0).count();
    high > 0 && decode_latin1(bytes).chars().filter(|c| "éèêàâçùûôîïëÉÈÀÇ".contains(*c)).count() * 2 >= high
}

/// One parsed record: its line and its decoded fields.
pub(super) struct Record {
    pub(crate) line: u64,
    pub(crate) fields: Vec<String>,
}

/// Split `data` into whole records. Returns the records and the bytes they span.
pub(super) fn parse_chunk(
    data: &[u8],
    delimiter: u8,
    encoding: TextEncoding,
    first_line: u64,
    last: bool,
) -> Result<(Vec<Record>, usize)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(data);
    let mut records = Vec::new();
    let mut consumed = 0usize;
    let mut line = first_line;
    let mut record = csv::ByteRecord::new();
    loop {
        let start = consumed;
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(_) => {
                return Err(Error::invalid("data", "csv-syntax", format!("line {line}: the CSV cannot be read")));
            }
        };
        if !more {
            break;
        }
        let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(data.len());
        if end == data.len() && !last {
            break; // maybe cut: the host sends it again with what follows
        }
        if end - start > MAX_RECORD_BYTES {
            return Err(Error::invalid(
                "data",
                "max-record-size",
                format!("line {line}: a record is over {} bytes", MAX_RECORD_BYTES),
            ));
        }
        // Quotes come in pairs in a well-formed record (enclosing pairs, doubled quotes
        // inside): an odd count is a quote never closed, which would swallow the rows after it.
        if data[start..end].iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Err(Error::invalid(
                "data",
                "csv-syntax",
                format!("line {line}: a quote is not closed (or a quote stands inside an unquoted value)"),
            ));
        }
        let lines_spanned = data[start..end].iter().filter(|b| **b == b'\n').count().max(1) as u64;
        let mut fields = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            let raw = if line == 1 && i == 0 { raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw) } else { raw };
            let text = match encoding {
                TextEncoding::Latin1 => decode_latin1(raw),
                TextEncoding::Utf8 => match std::str::from_utf8(raw) {
                    Ok(s) => s.to_string(),
                    Err(_) => {
                        let hint = if looks_latin1(raw) {
                            "; the file looks like Latin-1 (Windows-1252): import it with the latin1 encoding"
                        } else {
                            ""
                        };
                        return Err(Error::invalid(
                            "data",
                            "utf-8",
                            format!("line {line}, column {}: not UTF-8{hint}", i + 1),
                        ));
                    }
                },
            };
            fields.push(text);
        }
        // A blank line is no record.
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push(Record { line, fields });
        }
        line += lines_spanned;
        consumed = end;
    }
    // What is left is the start of one record: if it is already over the limit, it is
    // refused now rather than asked for again with more bytes.
    if !last && data.len() - consumed > MAX_RECORD_BYTES {
        return Err(Error::invalid(
            "data",
            "max-record-size",
            format!("line {line}: a record is over {} bytes", MAX_RECORD_BYTES),
        ));
    }
    Ok((records, consumed))
}
