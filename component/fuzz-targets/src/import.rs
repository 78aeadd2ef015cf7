//! The CSV import feed: a file fed whole, and the same file cut at fuzzer-chosen points
//! (each chunk resending what the last did not consume, as a host does), never panic and
//! have the same outcome: a file imported whole is imported however it is cut, with the
//! same report; a file refused whole is refused however it is cut, with an error of the
//! same kind (not always the same rule: a chunk is checked before the rest of the file
//! is read, so a cut file's header can be refused before a later line's syntax is
//! seen — `fuzz/regressions/import_feed/refused-header-before-syntax`). No chunk reports
//! more bytes consumed than it was given, and the last one consumes the rest.
//!
//! The input: a byte of options (bit 0: Latin-1 rather than UTF-8; bits 1–2: the
//! delimiter, `,` `;` tab or `|`), a byte giving the number of cuts (at most 7), each
//! cut as a little-endian `u16` (modulo the file's length), then the file.

use fichier_domain::consent::PurposeInput;
use fichier_domain::customers::import::{ImportOptions, ImportReport, TextEncoding};
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::MemoryStore;
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Actor, LawfulBasis, PurposeKind, Role};
use fichier_domain::{Error, Fichier};

const DELIMITERS: [&str; 4] = [",", ";", "\t", "|"];

/// Import `file` into a new in-memory store, fed in the chunks `cuts` end (sorted; the
/// last chunk runs to the end of the file).
fn import(file: &[u8], encoding: TextEncoding, delimiter: &str, cuts: &[usize]) -> Result<ImportReport, Error> {
    let store = MemoryStore::new();
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-11-29T10:00:00Z")?;
    let admin = Actor { id: "fuzz".into(), role: Role::Admin };
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let purpose = PurposeInput {
        id: "orders".into(),
        kind: PurposeKind::Service,
        title: "x".into(),
        validity_months: None,
        serves: None,
    };
    f.declare_purpose(&admin, purpose)?;
    let options = ImportOptions {
        name: "fuzz.csv".into(),
        file_sha256: "ab".repeat(32),
        mapping: vec![],
        encoding,
        delimiter: delimiter.into(),
        default_purposes: vec!["orders".into()],
        default_basis: LawfulBasis::Contract,
        source: None,
        examples_per_rule: None,
    };
    let session = f.import_begin(&admin, options)?;
    let mut offset = 0usize;
    for end in cuts.iter().copied().chain([file.len()]) {
        let last = end == file.len();
        // A cut before what is already consumed: the next chunk starts there.
        let Some(chunk) = file.get(offset..end) else { continue };
        let r = f.import_feed(&admin, &session.id, offset as u64, chunk, last)?;
        let consumed = usize::try_from(r.consumed).unwrap_or(usize::MAX);
        assert!(consumed <= chunk.len(), "a chunk consumed {consumed} bytes of {}", chunk.len());
        offset += consumed;
        if last {
            assert_eq!(offset, file.len(), "the last chunk is consumed whole");
            assert!(r.done, "the last chunk ends the import");
        }
    }
    f.import_report(&admin, &session.id)
}

/// Import the file of `data` whole and cut; the same outcome.
pub fn import_feed(data: &[u8]) {
    let (flags, rest) = data.split_first().map_or((0, data), |(b, r)| (*b, r));
    let (count, mut rest) = rest.split_first().map_or((0, rest), |(b, r)| (usize::from(*b % 8), r));
    let mut raw = Vec::new();
    for _ in 0..count {
        let Some((cut, tail)) = rest.split_first_chunk::<2>() else { break };
        raw.push(usize::from(u16::from_le_bytes(*cut)));
        rest = tail;
    }
    let file = rest;
    let encoding = if flags & 1 == 0 { TextEncoding::Utf8 } else { TextEncoding::Latin1 };
    let delimiter = DELIMITERS[usize::from(flags >> 1) % DELIMITERS.len()];
    // Cuts inside the file, in order: an empty chunk is no cut.
    let mut cuts: Vec<usize> = raw.iter().map(|c| c % file.len().max(1)).filter(|c| *c > 0).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let whole = import(file, encoding, delimiter, &[]);
    let cut = import(file, encoding, delimiter, &cuts);
    match (&whole, &cut) {
        (Ok(_), _) => assert_eq!(cut, whole, "the file cut at {cuts:?} imports as the whole file"),
        (Err(w), Err(c)) => assert_eq!(
            std::mem::discriminant(w),
            std::mem::discriminant(c),
            "the file cut at {cuts:?} is refused as the whole file: {c:?}, whole {w:?}"
        ),
        (Err(w), Ok(_)) => panic!("the file cut at {cuts:?} is imported, the whole file refused: {w:?}"),
    }
}
