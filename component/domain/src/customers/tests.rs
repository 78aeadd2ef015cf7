//! The customer file's unit tests.

use super::body::{BODY_POSTCARD, BODY_POSTCARD_1, BODY_POSTCARD_2, BODY_POSTCARD_3, encode_body};
use super::fields::birth_date;
use super::*;
use crate::kernel::time::{self, Stamp};
use crate::kernel::types::{DataCategory, LawfulBasis, Role, Source};

/// A record holding one phone number (contact data, for orders) collected at `at`: the
/// unit tests' date tables.
pub(crate) fn phone_record(at: Stamp) -> CustomerBody {
    let mut b = CustomerBody::new(at);
    b.fields.push(Field {
        name: "phone".into(),
        value: "+33612345678".into(),
        category: DataCategory::Contact,
        purposes: vec!["orders".into()],
        basis: LawfulBasis::Contract,
        source: Source::Person,
        collected_at: at,
        verified_at: None,
        updated_at: at,
    });
    b
}

/// Re-verification due dates (contact: 24 months by default) on the Paris calendar.
#[test]
fn reverification_falls_due_on_the_shop_calendar() {
    let stamp = |t: &str| Stamp::from_instant(time::parse("t", t).expect("valid"));
    let policy = crate::kernel::policy::default_policy();
    // Due at the end of the last day in Paris (Reg. 1182/71 art. 3), so stale from the
    // next midnight.
    let table = [
        // 29 February + 24 months = 28 February.
        ("2024-02-29T09:00:00Z", "2026-02-28T22:59:59.999Z"),
        // 1 March 00:30 in Paris (29 February 23:30 UTC) stays 1 March.
        ("2024-02-29T23:30:00Z", "2026-03-01T22:59:59.999Z"),
        // The day clocks went back (27 October 2024) → 27 October, in winter time.
        ("2024-10-27T00:30:00Z", "2026-10-27T22:59:59.999Z"),
        // The day clocks went forward (31 March 2024) → 31 March, in summer time.
        ("2024-03-31T01:30:00Z", "2026-03-31T21:59:59.999Z"),
        // 31 May 23:30 UTC is 1 June in Paris.
        ("2024-05-31T23:30:00Z", "2026-06-01T21:59:59.999Z"),
    ];
    for (collected, due) in table {
        let b = phone_record(stamp(collected));
        let now = time::parse("now", "2030-01-01T00:00:00Z").expect("now");
        let stale = stale_fields(&b, &policy, now);
        assert_eq!(stale.first().map(|f| f.due_at.as_str()), Some(due), "collected {collected}");
        // Not stale during its last day, stale from the next midnight.
        let b = phone_record(stamp(collected));
        let last = time::parse("due", due).expect("due");
        assert!(stale_fields(&b, &policy, last).is_empty(), "collected {collected}");
        let next = last + chrono::Duration::milliseconds(1);
        assert_eq!(stale_fields(&b, &policy, next).len(), 1, "collected {collected}");
    }
}

fn body() -> CustomerBody {
    let by = Actor { id: "import".into(), role: Role::System };
    let stamp = |t: &str| Stamp::from_instant(time::parse("t", t).expect("valid"));
    let at = stamp("2026-11-29T08:00:00.000Z");
    let mut b = CustomerBody::new(at);
    b.fields.push(Field {
        name: "email".into(),
        value: "anne@example.org".into(),
        category: DataCategory::Contact,
        purposes: vec!["orders".into()],
        basis: LawfulBasis::Contract,
        source: Source::ThirdParty("marketplace".into()),
        collected_at: stamp("2024-03-01T00:00:00.000Z"),
        verified_at: Some(at),
        updated_at: at,
    });
    b.history.push(FieldChange::new(
        "email".into(),
        None,
        Some("anne@example.org".into()),
        ChangeReason::Imported,
        at,
        &by,
    ));
    b.email_bounced_at = Some(at);
    b.merged_from = vec!["s-abc".into()];
    b
}

/// A body with every retention part filled.
fn swept_body() -> CustomerBody {
    let mut b = body();
    let at = b.created_at;
    b.last_contact_at = Some(at);
    b.relationship_ended_at = Some(at);
    b.repermission_asked_at = Some(at);
    let field = b.fields[0].clone();
    b.archive.push(ArchivedField { field, archived_at: at, until: at, activity: "accounting".into() });
    b.anonymised.push(AnonymisedField {
        name: "postal-code".into(),
        category: DataCategory::PostalAddress,
        value: "75".into(),
        at,
    });
    b
}

#[test]
fn bodies_round_trip_binary_and_read_legacy_json() {
    let b = body();
    let bin = encode_body(&b);
    assert_eq!(bin[0], BODY_POSTCARD);
    assert_eq!(decode_body(&bin).expect("binary"), b);
    let json = serde_json::to_vec(&b).expect("json");
    assert!(bin.len() * 2 < json.len(), "{} vs {}", bin.len(), json.len());
    assert_eq!(decode_body(&json).expect("legacy json"), b);
    // Truncated, extended or unknown encodings are errors, never a partial record.
    assert!(decode_body(&bin[..bin.len() - 1]).is_err());
    let mut longer = bin.clone();
    longer.push(0);
    assert!(decode_body(&longer).is_err());
    assert!(decode_body(&[]).is_err());
    assert!(decode_body(&[7, 1, 2]).is_err());
}

#[test]
fn birth_dates_are_strict_iso_dates() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    for (raw, want) in [
        ("1990-07-14", Some("1990-07-14")),
        (" 1990-07-14 ", Some("1990-07-14")),
        ("2024-02-29", Some("2024-02-29")),
        ("2023-02-29", None),
        ("1990-7-14", None),
        ("1990-07-4", None),
        ("+990-07-14", None),
        ("19900714", None),
        ("14/07/1990", None),
        ("1990-07-14T00:00", None),
        ("2027-01-01", None),
    ] {
        assert_eq!(birth_date("f", raw, today).ok().as_deref(), want, "{raw:?}");
    }
}

#[test]
fn bodies_sealed_in_formats_1_2_and_3_are_read() {
    // Format 1 had no retention fields: the same layout up to `merged-from`.
    let b = body();
    let v1 = (b.created_at, b.updated_at, &b.fields, &b.history, b.email_bounced_at, &b.merged_from);
    let mut bin = vec![BODY_POSTCARD_1];
    bin.extend(postcard::to_allocvec(&v1).expect("v1"));
    let read = decode_body(&bin).expect("format 1");
    assert_eq!(read, b);
    assert!(read.archive.is_empty() && read.last_contact_at.is_none());
    // A format-3 body is not a format-1 one.
    let mut three = encode_body(&b);
    three[0] = BODY_POSTCARD_1;
    assert!(decode_body(&three).is_err());
    // Format 2 had no restriction: the same layout up to `anonymised`.
    let v2 = (
        (b.created_at, b.updated_at, &b.fields, &b.history, b.email_bounced_at, &b.merged_from),
        (b.last_contact_at, b.relationship_ended_at, b.repermission_asked_at, &b.archive, &b.anonymised),
    );
    let mut bin = vec![BODY_POSTCARD_2];
    bin.extend(postcard::to_allocvec(&v2).expect("v2"));
    let read = decode_body(&bin).expect("format 2");
    assert_eq!((read.restriction.is_none(), read), (true, b.clone()));
    // Format 3 had no last login nor disputes: the same layout up to `restriction`.
    let v3 = (v2, &b.restriction);
    let mut bin = vec![BODY_POSTCARD_3];
    bin.extend(postcard::to_allocvec(&v3).expect("v3"));
    let read = decode_body(&bin).expect("format 3");
    assert_eq!((read.last_login_at.is_none(), read.disputes.is_empty(), read), (true, true, b));
}

/// The last login and the open disputes survive sealing (format 4).
#[test]
fn logins_and_disputes_round_trip() {
    let mut b = swept_body();
    b.last_login_at = Some(b.created_at);
    b.disputes.push(super::Dispute {
        reference: "CB-2026-0042".into(),
        fields: vec!["card-brand".into()],
        opened_at: b.created_at,
        by: crate::kernel::types::Actor { id: "dpo".into(), role: Role::Dpo },
    });
    let bin = encode_body(&b);
    assert_eq!(bin[0], BODY_POSTCARD);
    assert_eq!(decode_body(&bin).expect("format 4"), b);
}

#[test]
fn the_body_decoder_survives_every_single_byte_change_and_cut() {
    // Bodies are authenticated before they are decoded; the decoder must still never
    // panic nor loop on bytes it did not write.
    let full = swept_body();
    assert_eq!(decode_body(&encode_body(&full)).expect("round trip"), full);
    let bin = encode_body(&full);
    for i in 1..bin.len() {
        for v in [0u8, 1, 0x7f, 0x80, 0xff, bin[i] ^ 0x55] {
            let mut m = bin.clone();
            m[i] = v;
            let _ = decode_body(&m);
        }
        let _ = decode_body(&bin[..i]);
    }
}
