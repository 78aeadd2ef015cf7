//! The CSV import: any bytes, fed in any two chunks, give a typed error or a chunk
//! result, never a panic; and a chunk never reports more bytes consumed than it got.
#![no_main]

use fichier_domain::Fichier;
use fichier_domain::consent::*;
use fichier_domain::customers::import::{ImportOptions, TextEncoding};
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::MemoryStore;
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let store = MemoryStore::new();
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let Ok(now) = time::parse("now", "2026-11-29T10:00:00Z") else { return };
    let admin = Actor { id: "fuzz".into(), role: Role::Admin };
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    let purpose =
        PurposeInput { id: "orders".into(), kind: PurposeKind::Service, title: "x".into(), validity_months: None };
    if f.declare_purpose(&admin, purpose).is_err() {
        return;
    }
    let (split, encoding, body) = match data.split_first() {
        Some((b, rest)) => (usize::from(*b), if b % 2 == 0 { TextEncoding::Utf8 } else { TextEncoding::Latin1 }, rest),
        None => (0, TextEncoding::Utf8, data),
    };
    let options = ImportOptions {
        name: "fuzz.csv".into(),
        file_sha256: "ab".repeat(32),
        mapping: vec![],
        encoding,
        delimiter: ",".into(),
        default_purposes: vec!["orders".into()],
        default_basis: LawfulBasis::Contract,
        source: None,
        examples_per_rule: None,
    };
    let Ok(session) = f.import_begin(&admin, options) else { return };
    let cut = split.min(body.len());
    let mut offset = 0u64;
    for (chunk, last) in [(&body[..cut], false), (&body[cut..], true)] {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(body.len());
        let chunk = if last { &body[start..] } else { chunk };
        match f.import_feed(&admin, &session.id, offset, chunk, last) {
            Ok(r) => {
                assert!(r.consumed as usize <= chunk.len());
                offset += r.consumed;
            }
            Err(_) => return,
        }
    }
    let _ = f.import_report(&admin, &session.id);
});
