//! One damaged record does not hide the others (Art. 32(1)(b): availability): every walk
//! over the customer file — the list, the re-verification list, the duplicates report,
//! the retention sweep, the register's check — leaves out a record that does not open,
//! names it (subject, place, rule) and goes on; `verify-store` opens every sealed record
//! and names each damaged one.

#![allow(clippy::unwrap_used)]

mod support;

use fichier_domain::customers::CustomerDoc;
use fichier_domain::kernel::keys::WrappedKey;
use fichier_domain::kernel::store::{Bucket, decode, encode};
use fichier_domain::kernel::types::{Channel, DamagedRecord, PurposeKind, SubjectRef};
use fichier_domain::retention::SweepOptions;
use fichier_domain::{Error, consent::Decision};
use support::{World, admin, decision, field};

const NOW: &str = "2026-12-01T10:00:00.000Z";

fn email(who: &str) -> SubjectRef {
    SubjectRef::Email(who.into())
}

/// Three customers; the second's sealed body altered in the store.
fn world() -> (World, [String; 3]) {
    let mut w = World::empty(NOW, 7, 1);
    w.declare(&[("orders", PurposeKind::Service)]);
    let mut sids = Vec::new();
    for who in ["anne@example.org", "bruno@example.org", "chloe@example.org"] {
        let fields =
            [field("email", who, None, &["orders"], None), field("phone", "06 12 34 56 78", None, &["orders"], None)];
        sids.push(w.f().create_customer(&admin(), &email(who), &fields).unwrap().subject);
    }
    let key = format!("customer/{}", sids[1]);
    let mut doc: CustomerDoc = decode(&key, &raw(&w, Bucket::Data, &key)).unwrap();
    let sealed = doc.sealed.as_mut().unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    w.store.raw_set(Bucket::Data, &key, encode(&doc));
    (w, sids.try_into().unwrap())
}

fn raw(w: &World, bucket: Bucket, key: &str) -> Vec<u8> {
    w.store.raw().into_iter().find(|(b, k, _)| *b == bucket && k == key).map(|(_, _, v)| v).unwrap()
}

fn named(sid: &str, key: &str, rule: &str) -> DamagedRecord {
    DamagedRecord { subject: sid.into(), place: format!("store:{key}"), rule: rule.into() }
}

#[test]
fn every_walk_over_the_file_names_the_damaged_record_and_goes_on() {
    let (mut w, [a, b, c]) = world();
    let damaged = vec![named(&b, &format!("default/customer/{b}"), "aead-authentic")];
    // Reading that one record is an error naming it, as before.
    assert!(matches!(w.f().get_customer(&admin(), &email("bruno@example.org")), Err(Error::Corrupted(_))));

    let page = w.f().list_customers(&admin(), None, 10).unwrap();
    assert_eq!(page.customers.iter().map(|c| c.subject.as_str()).collect::<Vec<_>>(), {
        let mut v = vec![a.as_str(), c.as_str()];
        v.sort_unstable();
        v
    });
    assert_eq!(page.damaged, damaged);

    let review = w.f().review_customers(&admin(), None, 10).unwrap();
    assert_eq!((review.scanned, &review.damaged), (3, &damaged));

    let report = w.f().find_duplicates(&admin(), None, 100).unwrap();
    assert_eq!(report.damaged, damaged);
    // The two phones that do open still pair.
    assert_eq!(report.pairs.len(), 1, "{:?}", report.pairs);

    let options = SweepOptions { apply: true, cursor: None, limit: 100, repermission_days: 30 };
    let sweep = w.f().sweep(&admin(), &options).unwrap();
    assert_eq!((sweep.scanned, &sweep.damaged), (3, &damaged));

    let findings = w.f().check_registry(&admin()).unwrap();
    let f = findings.iter().find(|f| f.rule == "record-opens").unwrap();
    assert_eq!(f.target, format!("customer:{b}"));
    assert!(!f.message.contains("bruno"), "{}", f.message);
}

#[test]
fn verify_store_opens_every_sealed_record_and_names_each_damaged_one() {
    let (mut w, [a, b, c]) = world();
    // A receipt for Anne, and a second subject's receipt edited in the store.
    for who in ["anne@example.org", "dora@example.org"] {
        w.declare(&[("newsletter", PurposeKind::Marketing)]);
        let notice = fichier_domain::consent::NoticeInput {
            purposes: vec!["newsletter".into()],
            lang: "fr".into(),
            text: "La lettre.".into(),
        };
        let reference = w.f().register_notice(&admin(), notice).unwrap().reference;
        w.f()
            .record_decision(
                &admin(),
                decision(email(who), "newsletter", Decision::Grant, Channel::WebForm, Some(&reference)),
            )
            .unwrap();
    }
    let dora = w.f().subject_id("s", &email("dora@example.org")).unwrap();
    let (_, receipt_key, mut bytes) = w
        .store
        .raw()
        .into_iter()
        .find(|(b, k, _)| *b == Bucket::Data && k.starts_with(&format!("receipt/{dora}/")))
        .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    w.store.raw_set(Bucket::Data, &receipt_key, bytes);
    // Chloé's data key no longer unwraps.
    let key = format!("dek/{c}");
    let mut wrapped: WrappedKey = decode(&key, &raw(&w, Bucket::Keys, &key)).unwrap();
    wrapped.wrapped.replace_range(4..8, "AAAA");
    w.store.raw_set(Bucket::Keys, &key, encode(&wrapped));

    let report = w.f().verify_store(&admin()).unwrap();
    assert_eq!((report.customers, report.subjects), (3, 2), "{report:?}");
    assert_eq!(report.receipts, 1, "Anne's receipt opened; Dora's is named");
    let mut names: Vec<(&str, &str, &str)> =
        report.damaged.iter().map(|d| (d.subject.as_str(), d.place.as_str(), d.rule.as_str())).collect();
    names.sort_unstable();
    let dora_receipt = format!("store:default/{receipt_key}");
    let (c_key, b_record) = (format!("store:keys/dek/{c}"), format!("store:default/customer/{b}"));
    // Chloé's key, and her record (whose key does not unwrap); Bruno's record; Dora's receipt.
    let mut expected = vec![
        (c.as_str(), c_key.as_str(), "aead-authentic"),
        (c.as_str(), c_key.as_str(), "aead-authentic"),
        (b.as_str(), b_record.as_str(), "aead-authentic"),
        (dora.as_str(), dora_receipt.as_str(), "receipt-hash"),
    ];
    expected.sort_unstable();
    assert_eq!(names, expected, "nothing of Anne's ({a})");
    // Only admins, DPOs and automation run it.
    let support =
        fichier_domain::kernel::types::Actor { id: "s".into(), role: fichier_domain::kernel::types::Role::Support };
    assert!(matches!(w.f().verify_store(&support), Err(Error::Forbidden(_))));
}
