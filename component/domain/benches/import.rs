//! The import natively, on the in-memory store: the floor under the component's figure
//! (`cargo bench -p fichier-host --bench customers`). `cargo bench -p fichier-domain --bench
//! import`; `FICHIER_BENCH_ROWS` sets the number of rows (default 20 000).

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use fichier_domain::Fichier;
use fichier_domain::consent::PurposeInput;
use fichier_domain::customers::import::{ImportOptions, TextEncoding};
use fichier_domain::kernel::crypto::{MasterKey, SeededEntropy};
use fichier_domain::kernel::store::MemoryStore;
use fichier_domain::kernel::time;
use fichier_domain::kernel::types::{Actor, LawfulBasis, PurposeKind, Role};

#[path = "support/sample_rows.rs"]
mod sample_rows;

fn main() {
    let n: usize = std::env::var("FICHIER_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let data = sample_rows::woocommerce_csv(n);
    let store = MemoryStore::new();
    let master = MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(1);
    let now = time::parse("now", "2026-11-29T10:00:00.000Z").unwrap();
    let admin = Actor { id: "admin".into(), role: Role::Admin };
    let mut f = Fichier::new(&store, &master, now, &mut entropy);
    f.declare_purpose(
        &admin,
        PurposeInput {
            id: "orders".into(),
            kind: PurposeKind::Service,
            title: "Commandes".into(),
            validity_months: None,
            serves: None,
        },
    )
    .unwrap();
    let options = ImportOptions {
        name: "customers.csv".into(),
        file_sha256: "ab".repeat(32),
        mapping: vec![],
        encoding: TextEncoding::Utf8,
        delimiter: ",".into(),
        default_purposes: vec!["orders".into()],
        default_basis: LawfulBasis::Contract,
        source: None,
        examples_per_rule: None,
    };
    let start = Instant::now();
    let session = f.import_begin(&admin, options).unwrap();
    let bytes = data.as_bytes();
    let mut offset = 0usize;
    loop {
        // The host's default chunk: 1 MiB.
        let end = (offset + (1 << 20)).min(bytes.len());
        let r = f.import_feed(&admin, &session.id, offset as u64, &bytes[offset..end], end == bytes.len()).unwrap();
        offset += r.consumed as usize;
        if r.done {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let report = f.import_report(&admin, &session.id).unwrap();
    assert_eq!(report.imported as usize, n, "{report:?}");
    println!(
        "native import of {n} rows on the in-memory store: {:.0} rows/s ({:.1} µs per row)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
