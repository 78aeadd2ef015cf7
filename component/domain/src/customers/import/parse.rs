//! Parsing a chunk: the whole CSV records a byte range holds (never the last, possibly
//! cut one, unless the range reaches the end of the file), decoded from UTF-8 or
//! Latin-1, validated all before anything is written.

use std::io::Read;

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

/// What a chunk holds: its whole records, the bytes they span (blank lines and a
/// byte-order mark included) and the lines those bytes end.
pub(super) struct Parsed {
    pub(super) records: Vec<Record>,
    pub(super) consumed: usize,
    /// Line breaks in the consumed bytes (`\r\n`, `\n` or a lone `\r` each count one),
    /// plus one for a last line without a break at the end of the file.
    pub(super) lines: u64,
}

/// UTF-8's byte-order mark, which spreadsheets write at the start of a "CSV UTF-8" file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Line breaks in `bytes`: `\r\n`, `\n` and a lone `\r` (old Mac exports) each count one.
/// The caller never cuts a slice between the `\r` and the `\n` of one break.
fn breaks(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

fn is_break(b: &u8) -> bool {
    matches!(b, b'\r' | b'\n')
}

/// Split `data` into whole records; `at_start`: `data` begins the file (a UTF-8
/// byte-order mark there is skipped). Every line end is a record end: `\r\n`, `\n` or a
/// lone `\r`. Blank lines are no record but are consumed with the records around them;
/// when `last`, everything is consumed (trailing blank lines, a last line without a break).
pub(super) fn parse_chunk(
    data: &[u8],
    delimiter: u8,
    encoding: TextEncoding,
    first_line: u64,
    at_start: bool,
    last: bool,
) -> Result<Parsed> {
    let bom = if at_start && encoding == TextEncoding::Utf8 {
        if data.starts_with(BOM) {
            BOM.len()
        } else if !last && BOM.starts_with(data) {
            // The mark itself may be cut: ask for more.
            return Ok(Parsed { records: Vec::new(), consumed: 0, lines: 0 });
        } else {
            0
        }
    } else {
        0
    };
    let body = &data[bom..];
    // csv-core skips a byte-order mark at the start of what its reader reads first, but
    // only when those three bytes come in its first read (`strip_utf8_bom`). Every chunk
    // gets a new reader: a chunk starting inside the file with those bytes (a line that
    // begins with U+FEFF, as when two exports are concatenated) would lose them, and the
    // rows read would depend on where the host cut the file. The file's own mark is
    // skipped above, at offset 0 only; the reader's first read is one byte, so it skips none.
    let (head, tail) = body.split_at(body.len().min(1));
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(head.chain(tail));
    let mut records = Vec::new();
    let mut consumed = 0usize;
    // The line the byte at `consumed` is on.
    let mut line = first_line;
    let mut record = csv::ByteRecord::new();
    let mut exhausted = false;
    loop {
        let start = consumed;
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(_) => {
                return Err(Error::invalid("data", "csv-syntax", format!("line {line}: the CSV cannot be read")));
            }
        };
        if !more {
            exhausted = true;
            break;
        }
        let mut end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(body.len());
        // The reader stops after the `\r` of a `\r\n`: the `\n` ends this record too.
        if end > 0 && body[end - 1] == b'\r' && body.get(end) == Some(&b'\n') {
            end += 1;
        }
        if end == body.len() && !last {
            break; // maybe cut: the host sends it again with what follows
        }
        // Blank lines before the record were skipped by the reader: they are no part of it.
        let content = start + body[start..end].iter().take_while(|b| is_break(b)).count();
        let record_line = line + breaks(&body[start..content]);
        if end - content > MAX_RECORD_BYTES {
            return Err(Error::invalid(
                "data",
                "max-record-size",
                format!("line {record_line}: a record is over {} bytes", MAX_RECORD_BYTES),
            ));
        }
        // Quotes come in pairs in a well-formed record (enclosing pairs, doubled quotes
        // inside): an odd count is a quote never closed, which would swallow the rows after it.
        if body[content..end].iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Err(Error::invalid(
                "data",
                "csv-syntax",
                format!("line {record_line}: a quote is not closed (or a quote stands inside an unquoted value)"),
            ));
        }
        let mut fields = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
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
                            format!("line {record_line}, column {}: not UTF-8{hint}", i + 1),
                        ));
                    }
                },
            };
            fields.push(text);
        }
        // A line of spaces is no record either.
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push(Record { line: record_line, fields });
        }
        line += breaks(&body[start..end]);
        consumed = end;
    }
    let rest = &body[consumed..];
    if exhausted && rest.iter().all(is_break) {
        // Only blank lines are left (the reader skips them). At the end of the file they
        // are consumed; before it, up to their last `\n` (a final `\r` may be half of a
        // `\r\n`), so a run of blank lines across chunks is never asked for again whole.
        let take = if last { rest.len() } else { rest.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) };
        line += breaks(&rest[..take]);
        consumed += take;
    } else if last {
        return Err(Error::invalid("data", "csv-syntax", format!("line {line}: the CSV cannot be read")));
    }
    // What is left is the start of one record: if it is already over the limit, it is
    // refused now rather than asked for again with more bytes.
    if !last && body.len() - consumed > MAX_RECORD_BYTES {
        return Err(Error::invalid(
            "data",
            "max-record-size",
            format!("line {line}: a record is over {} bytes", MAX_RECORD_BYTES),
        ));
    }
    let unterminated = last && consumed > 0 && !body[..consumed].ends_with(b"\n") && !body[..consumed].ends_with(b"\r");
    let lines = line - first_line + u64::from(unterminated);
    Ok(Parsed { records, consumed: bom + consumed, lines })
}
