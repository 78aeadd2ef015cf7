//! Decoder robustness on stable Rust: every decoder of stored or caller-given data
//! takes random and mutated input without panicking, and returns a typed error for
//! what it refuses. (Deeper coverage-guided runs: `fuzz/`, with cargo-fuzz.)

use fichier_domain::Error;
use fichier_domain::consent::ledger::*;
use fichier_domain::consent::notices::*;
use fichier_domain::consent::receipts::*;
use fichier_domain::customers::*;
use fichier_domain::kernel::crypto::{Entropy, SeededEntropy};
use fichier_domain::kernel::directory::*;
use fichier_domain::kernel::keys::*;
use fichier_domain::kernel::policy::*;
use fichier_domain::kernel::store::{Document, decode, encode};
use fichier_domain::kernel::{time, validate};
use fichier_domain::registry::breaches::*;
use fichier_domain::registry::*;

struct Rng(SeededEntropy);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        (u64::from_le_bytes(b) % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.0.fill(&mut v);
        v
    }

    /// Flip, drop, duplicate or insert bytes of a valid input.
    fn mutate(&mut self, valid: &[u8]) -> Vec<u8> {
        let mut v = valid.to_vec();
        for _ in 0..1 + self.below(4) {
            if v.is_empty() {
                v.push(0);
            }
            let i = self.below(v.len());
            match self.below(5) {
                0 => {
                    let bit = self.below(8);
                    v[i] ^= 1 << bit;
                }
                1 => v.truncate(i),
                2 => {
                    let b = v[i];
                    v.insert(i, b);
                }
                3 => {
                    let junk = b"{}[]\",:0-9eE.\\u\xff\x00";
                    let j = self.below(junk.len());
                    v.insert(i, junk[j]);
                }
                _ => {
                    let b = self.bytes(1)[0];
                    v[i] = b;
                }
            }
        }
        v
    }
}

fn must_not_panic<T>(what: &str, input: &[u8], r: Result<T, Error>) {
    if let Err(e) = r {
        let f = e.field_error().unwrap_or_else(|| panic!("{what}: an untyped error for {input:?}: {e}"));
        assert!(!f.rule.is_empty(), "{what}: a rule");
    }
}

fn exercise<T: Document>(rng: &mut Rng, valid: &T, rounds: usize) {
    let bytes = encode(valid);
    decode::<T>("k", &bytes).unwrap_or_else(|e| panic!("{} round-trips: {e}", T::KIND));
    for _ in 0..rounds {
        let input = if rng.below(4) == 0 {
            let n = rng.below(64);
            rng.bytes(n)
        } else {
            rng.mutate(&bytes)
        };
        must_not_panic(T::KIND, &input, decode::<T>("k", &input));
    }
}

#[test]
fn stored_document_decoders_survive_random_and_mutated_input() {
    let mut rng = Rng(SeededEntropy::new(42));
    let head =
        SubjectHead { subject: "s-abc".into(), chain: vec!["00".repeat(32), "11".repeat(32)], sealed: "AAAA".into() };
    exercise(&mut rng, &head, 4000);
    exercise(&mut rng, &ReceiptEntry { sealed: "c2VhbGVk".into() }, 2000);
    exercise(&mut rng, &PolicyDoc { versions: vec![fichier_domain::kernel::policy::default_policy()] }, 4000);
    exercise(&mut rng, &SubjectShard { subjects: vec!["s-a".into(), "s-b".into()], split: false }, 2000);
    exercise(&mut rng, &AnchorHead { seq: 3, root: "ab".repeat(32) }, 2000);
    exercise(&mut rng, &WrappedKey { wrapped: "d3JhcHBlZA==".into(), next: Some("bmV4dA==".into()) }, 2000);
    exercise(&mut rng, &NoticeText { text: "Texte é ü 🍪".into() }, 2000);
    // Binary envelopes (postcard).
    let customer = CustomerDoc {
        subject: "s-abc".into(),
        revision: 7,
        state: CustomerState::MergedInto("s-def".into()),
        sealed: Some(vec![1, 2, 3, 250]),
    };
    exercise(&mut rng, &customer, 4000);
    // The registers (binary only): the e-shop defaults with an organisation, and a breach.
    let store = fichier_domain::kernel::store::MemoryStore::new();
    let master = fichier_domain::kernel::crypto::MasterKey::from_bytes([7; 32]);
    let mut entropy = SeededEntropy::new(3);
    let now = time::parse("now", "2026-11-29T10:00:00Z").expect("now");
    let mut f = fichier_domain::Fichier::new(&store, &master, now, &mut entropy);
    let admin =
        fichier_domain::kernel::types::Actor { id: "a".into(), role: fichier_domain::kernel::types::Role::Admin };
    f.load_shop_defaults(&admin).expect("defaults");
    let c = fichier_domain::registry::Contact {
        name: "Boutique".into(),
        address: None,
        email: Some("dpo@example.org".into()),
        phone: None,
    };
    let org = fichier_domain::registry::Organisation { controller: c.clone(), representative: None, dpo: Some(c) };
    f.set_organisation(&admin, org).expect("organisation");
    f.record_breach(
        &admin,
        fichier_domain::registry::breaches::BreachInput {
            discovered_at: "2026-11-28T10:00:00Z".into(),
            occurred_at: None,
            nature: vec![fichier_domain::registry::breaches::BreachNature::Availability],
            description: "panne".into(),
            categories: vec![fichier_domain::kernel::types::DataCategory::Order],
            subjects_approx: 1,
            records_approx: 2,
            consequences: "retard".into(),
            measures: "restauration".into(),
            risk: fichier_domain::registry::breaches::BreachRisk::Unlikely,
        },
    )
    .expect("breach");
    use fichier_domain::kernel::store::{Bucket, Store};
    let stored = |key: &str| store.get(Bucket::Data, key).expect("get").expect("stored");
    let registry: RegistryDoc = decode("k", &stored(REGISTRY_KEY)).expect("registry");
    assert_eq!(registry.activities.len(), 7);
    exercise(&mut rng, &registry, 4000);
    let breaches: BreachRegister = decode("k", &stored(BREACHES_KEY)).expect("breaches");
    exercise(&mut rng, &breaches, 2000);
    // The audit log's documents (binary only).
    let entry = fichier_domain::audit::AuditEntry {
        seq: 7,
        at: fichier_domain::kernel::time::Stamp::from_instant(now),
        actor: admin.clone(),
        action: "retention.delete".into(),
        target: "s-abc".into(),
        detail: "field=email".into(),
        hash: "ab".repeat(32),
        call: 0x0123_4567_89ab_cdef,
    };
    // A segment of schema 1 (entries without `call`), as earlier versions wrote it, read
    // through its migration, and mutated: never a panic.
    let v1_entry = (
        entry.seq,
        entry.at,
        entry.actor.clone(),
        entry.action.clone(),
        entry.target.clone(),
        entry.detail.clone(),
        entry.hash.clone(),
    );
    let mut v1 = vec![fichier_domain::kernel::store::BINARY_DOCUMENT];
    v1 = postcard::to_extend(&("audit-segment", 1u32), v1).expect("head");
    v1 = postcard::to_extend(&(2u64, "cd".repeat(32), vec![v1_entry.clone(), v1_entry]), v1).expect("body");
    let read: fichier_domain::audit::AuditSegment = decode("k", &v1).expect("a schema-1 segment reads");
    assert_eq!((read.entries.len(), read.entries[0].call, read.entries[0].hash.clone()), (2, 0, entry.hash.clone()));
    for _ in 0..3000 {
        let input = rng.mutate(&v1);
        must_not_panic("audit-segment v1", &input, decode::<fichier_domain::audit::AuditSegment>("k", &input));
    }
    let segment =
        fichier_domain::audit::AuditSegment { number: 2, prev: "cd".repeat(32), entries: vec![entry.clone(), entry] };
    exercise(&mut rng, &segment, 3000);
    let checkpoint = fichier_domain::audit::AuditCheckpoint {
        segment: 1,
        seq: 1024,
        hash: "ef".repeat(32),
        at: fichier_domain::kernel::time::Stamp::from_instant(now),
        by: admin.clone(),
    };
    exercise(&mut rng, &checkpoint, 2000);
    // The rights issue's documents: erasure marks, held data, the hold schedule, the
    // opposition list (binary only).
    let stamp = fichier_domain::kernel::time::Stamp::from_instant(now);
    exercise(
        &mut rng,
        &fichier_domain::rights::erasure::ErasureMark { first_at: stamp, last_at: stamp, times: 2 },
        1000,
    );
    exercise(
        &mut rng,
        &fichier_domain::rights::erasure::HeldDoc { subject: "s-abc".into(), sealed: vec![7; 80] },
        1000,
    );
    let schedule = fichier_domain::rights::erasure::HoldSchedule {
        entries: vec![("s-abc".into(), stamp), ("s-def".into(), stamp)],
    };
    exercise(&mut rng, &schedule, 1000);
    exercise(&mut rng, &fichier_domain::rights::restriction::OppositionEntry { at: stamp, until: stamp }, 1000);
    // Binary-only kinds refuse JSON instead of carrying its decoder.
    let json = br#"{"kind":"registry","schema":1,"body":{}}"#;
    assert_eq!(
        decode::<RegistryDoc>("k", json).map(|_| ()).map_err(|e| e.field_error().map(|f| f.rule.clone())),
        Err(Some("decodes".into()))
    );
}

#[test]
fn caller_input_parsers_survive_random_input() {
    let mut rng = Rng(SeededEntropy::new(7));
    let seeds: [&[u8]; 8] = [
        b"alice.martin+news@example.org",
        b"2026-02-28T23:59:59.999+01:00",
        b"192.0.2.77",
        b"2001:db8::1",
        b"newsletter",
        b"+33 (0)6 12 34 56 78",
        b"FR14 2004 1010 0505 0001 3M02 606",
        b"mon NIR 253072B07300470 et ma carte 4970 1012 3456 7899",
    ];
    for _ in 0..20_000 {
        let base = seeds[rng.below(seeds.len())];
        let raw = if rng.below(3) == 0 {
            let n = rng.below(40);
            rng.bytes(n)
        } else {
            rng.mutate(base)
        };
        let s = String::from_utf8_lossy(&raw);
        must_not_panic("email", &raw, validate::email("e", &s));
        must_not_panic("time", &raw, time::parse("t", &s));
        must_not_panic("ip", &raw, validate::truncate_ip("ip", &s));
        must_not_panic("purpose id", &raw, validate::purpose_id("p", &s));
        must_not_panic("campaign", &raw, fichier_domain::consent::pixel::check_campaign("c", &s));
        must_not_panic("receipt id", &raw, validate::receipt_id("r", &s));
        must_not_panic("master key", &raw, fichier_domain::kernel::crypto::MasterKey::from_hex(&s));
        must_not_panic("subject id", &raw, fichier_domain::kernel::keys::check_subject_id("s", &s));
        must_not_panic("phone", &raw, fichier_domain::customers::phone::to_e164("p", &s));
        must_not_panic("iban", &raw, fichier_domain::minimisation::identifiers::parse_iban("i", &s));
        let _ = fichier_domain::minimisation::identifiers::find_in_text(&s);
    }
}

/// The CSV import takes random and mutated files, cut anywhere, without panicking:
/// each chunk is a typed error or a result that consumed no more than it was given.
#[test]
#[allow(clippy::unwrap_used)]
fn csv_import_survives_random_and_mutated_files() {
    use fichier_domain::Fichier;
    use fichier_domain::consent::*;
    use fichier_domain::customers::import::{ImportOptions, TextEncoding};
    use fichier_domain::kernel::crypto::MasterKey;
    use fichier_domain::kernel::store::MemoryStore;
    use fichier_domain::kernel::types::*;
    let mut rng = Rng(SeededEntropy::new(11));
    let seeds: [&[u8]; 4] = [
        b"email,first_name,billing_phone,billing_postcode\na@example.org,Anne,0612345678,75011\nb@example.org,\"B, \"\"Bob\"\"\",+33 7 12 34 56 78,69001\n",
        b"Email;Pr\xc3\xa9nom;NIR;notes\nc@example.org;Chlo\xc3\xa9;253072B07300470;\"carte 4111 1111 1111 1111\nligne 2\"\n",
        b"\xef\xbb\xbfcustomer_id,billing_email\r\n1,d@example.org\r\n2,\r\n",
        b"email,notes\ne@example.org,\"unterminated\n",
    ];
    let master = MasterKey::from_bytes([7; 32]);
    let now = time::parse("now", "2026-11-29T10:00:00Z").unwrap();
    let admin = Actor { id: "t".into(), role: Role::Admin };
    for round in 0..1500 {
        let base = seeds[rng.below(seeds.len())];
        let file = if rng.below(5) == 0 {
            let n = rng.below(200);
            rng.bytes(n)
        } else {
            rng.mutate(base)
        };
        let store = MemoryStore::new();
        let mut entropy = SeededEntropy::new(round);
        let mut f = Fichier::new(&store, &master, now, &mut entropy);
        f.declare_purpose(
            &admin,
            PurposeInput {
                id: "orders".into(),
                kind: PurposeKind::Service,
                title: "x".into(),
                validity_months: None,
                serves: None,
            },
        )
        .unwrap();
        let options = ImportOptions {
            name: "f.csv".into(),
            file_sha256: "ab".repeat(32),
            mapping: vec![],
            encoding: if rng.below(2) == 0 { TextEncoding::Utf8 } else { TextEncoding::Latin1 },
            delimiter: [",", ";"][rng.below(2)].into(),
            default_purposes: vec!["orders".into()],
            default_basis: LawfulBasis::Contract,
            source: None,
            examples_per_rule: None,
        };
        let session = f.import_begin(&admin, options).unwrap();
        let cut = rng.below(file.len() + 1);
        let mut offset = 0usize;
        for last in [false, true] {
            let chunk = if last { &file[offset..] } else { &file[..cut] };
            match f.import_feed(&admin, &session.id, offset as u64, chunk, last) {
                Ok(r) => {
                    assert!(r.consumed as usize <= chunk.len(), "consumed more than given for {file:?}");
                    offset += r.consumed as usize;
                }
                Err(e) => {
                    must_not_panic("import", &file, Err::<(), _>(e));
                    break;
                }
            }
        }
        f.import_report(&admin, &session.id).unwrap();
    }
}
