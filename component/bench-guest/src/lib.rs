//! One workload, two targets: the bench in `host-examples/wasmtime/benches` runs these
//! functions natively and runs this crate's binary (the same functions) as a
//! wasm32-wasip2 command in wasmtime. The difference is what WebAssembly costs the
//! domain code itself, before any component boundary or host storage.

use std::time::{Duration, Instant};

use fichier_domain::consent::{ConsentState, Decision, GivenBy, NoticeInput, PurposeInput, ReceiptInput};
use fichier_domain::kernel::crypto::{DataKey, MasterKey, SeededEntropy, sha256_hex};
use fichier_domain::kernel::store::MemoryStore;
use fichier_domain::kernel::types::{Actor, Channel, DataCategory, PurposeKind, Role, SubjectRef};

pub const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const NOW: &str = "2026-03-01T10:00:00Z";
/// Operations per sequence and the subjects they cycle over.
pub const OPS: usize = 2000;
pub const SUBJECTS: usize = 200;

fn admin() -> Actor {
    Actor { id: "bench".into(), role: Role::Admin }
}

/// The cookie banner's caller: a visitor recording and reading its own choice (the path
/// every page view takes; staff reads of a status are audited, this one is not).
fn visitor() -> Actor {
    Actor { id: "banner".into(), role: Role::Public }
}

/// The receipt every operation records (the component bench records the same).
pub fn receipt(visitor: &str, notice: &str) -> ReceiptInput {
    ReceiptInput {
        subject: SubjectRef::External(visitor.into()),
        purpose: "newsletter".into(),
        decision: Decision::Grant,
        given_by: GivenBy::Subject,
        channel: Channel::CookieBanner,
        notice: Some(notice.into()),
        at: None,
        receipt_id: None,
        client_ip: Some("192.0.2.1".into()),
        user_agent: Some("bench".into()),
        gpc: false,
        age: None,
    }
}

/// `OPS` × (record a grant, read the status) on an in-memory store; the elapsed time.
pub fn sequence() -> Duration {
    let store = MemoryStore::new();
    let master = MasterKey::from_hex(KEY).unwrap_or_else(|_| unreachable!("the bench key is valid"));
    let now =
        fichier_domain::kernel::time::parse("now", NOW).unwrap_or_else(|_| unreachable!("the bench time is valid"));
    let mut entropy = SeededEntropy::new(7);
    let mut f = fichier_domain::Fichier::new(&store, &master, now, &mut entropy);
    let setup = (|| {
        f.declare_purpose(
            &admin(),
            PurposeInput {
                id: "newsletter".into(),
                kind: PurposeKind::Marketing,
                title: "Lettre".into(),
                validity_months: None,
                serves: None,
            },
        )?;
        let n = NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Texte.".into() };
        f.register_notice(&admin(), n).map(|n| n.reference)
    })();
    let Ok(notice) = setup else { unreachable!("the bench setup is valid") };
    let start = Instant::now();
    for i in 0..OPS {
        let id = format!("visitor-{}", i % SUBJECTS);
        let mut f = fichier_domain::Fichier::new(&store, &master, now, &mut entropy);
        let done = f
            .record_decision(&visitor(), receipt(&id, &notice))
            .and_then(|_| f.status(&visitor(), &SubjectRef::External(id)));
        assert!(matches!(done, Ok(st) if st.purposes[0].state == ConsentState::Given));
    }
    start.elapsed()
}

/// The record every minimisation-check bench checks: nine fields of an imported
/// customer, all clean (no finding).
pub fn check_fields() -> Vec<(&'static str, &'static str, Option<DataCategory>)> {
    use DataCategory::*;
    vec![
        ("customer-number", "123", Some(Account)),
        ("given-name", "Émilie", Some(Identity)),
        ("family-name", "Noir", Some(Identity)),
        ("email", "client123@example.org", Some(Contact)),
        ("phone", "+33612345678", Some(Contact)),
        ("address-line1", "12 rue de la République", Some(PostalAddress)),
        ("postal-code", "75011", Some(PostalAddress)),
        ("city", "PARIS", Some(PostalAddress)),
        ("country", "FR", Some(PostalAddress)),
    ]
}

/// `n` minimisation checks of [`check_fields`] through `Fichier::check_record` on an
/// in-memory store (the rules read from the store each time, as the component does);
/// the elapsed time.
pub fn check(n: usize) -> Duration {
    let store = MemoryStore::new();
    let master = MasterKey::from_hex(KEY).unwrap_or_else(|_| unreachable!("the bench key is valid"));
    let now =
        fichier_domain::kernel::time::parse("now", NOW).unwrap_or_else(|_| unreachable!("the bench time is valid"));
    let mut entropy = SeededEntropy::new(1);
    let mut f = fichier_domain::Fichier::new(&store, &master, now, &mut entropy);
    let orders = PurposeInput {
        id: "orders".into(),
        kind: PurposeKind::Service,
        title: "Commandes".into(),
        validity_months: None,
        serves: None,
    };
    if f.declare_purpose(&admin(), orders).is_err() {
        unreachable!("the bench setup is valid");
    }
    let fields: Vec<fichier_domain::minimisation::RecordField> = check_fields()
        .into_iter()
        .map(|(n, v, c)| fichier_domain::minimisation::RecordField {
            name: n.into(),
            value: v.into(),
            category: c,
            purposes: vec!["orders".into()],
        })
        .collect();
    let start = Instant::now();
    for _ in 0..n {
        let found = f.check_record(&admin(), std::hint::black_box(&fields));
        assert!(matches!(found, Ok(v) if v.is_empty()));
    }
    start.elapsed()
}

/// The cryptography of one record+status, `n` times: three seals and four opens of
/// ~600 bytes and two SHA-256 of 600 bytes (an approximation of what the sequence does).
pub fn crypto(n: usize) -> Duration {
    let mut e = SeededEntropy::new(1);
    let k = DataKey::generate(&mut e);
    let plain = vec![7u8; 600];
    let start = Instant::now();
    for _ in 0..n {
        for _ in 0..3 {
            let s = k.seal("receipt", "s-x", &plain, &mut e);
            std::hint::black_box(k.open("receipt", "s-x", &s));
        }
        std::hint::black_box(k.open("receipt", "s-x", &k.seal("receipt", "s-x", &plain, &mut e)));
        std::hint::black_box(sha256_hex(&plain));
        std::hint::black_box(sha256_hex(&plain));
    }
    start.elapsed()
}
