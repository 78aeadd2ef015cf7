//! The consent rules' unit tests: status, expiry, minors, chain hashes, references.

use ConsentState::*;
use Decision::*;
use GivenBy::*;

use super::receipts::ReceiptSummary;
use super::*;
use crate::Error;
use crate::kernel::policy::default_policy;
use crate::kernel::time;
use crate::kernel::types::{Actor, PurposeKind, Role};

fn purpose(kind: PurposeKind, validity: Option<u32>) -> Purpose {
    Purpose {
        id: "p".into(),
        kind,
        title: "t".into(),
        validity_months: validity,
        serves: None,
        revision: 1,
        declared_at: "2026-01-01T00:00:00.000Z".into(),
        declared_by: Actor { id: "a".into(), role: Role::Admin },
    }
}

fn r(seq: u32, decision: Decision, by: GivenBy, at: &str, age: Option<AgeDeclaration>) -> ReceiptSummary {
    ReceiptSummary {
        id: format!("r{seq}"),
        seq,
        purpose: "p".into(),
        decision,
        given_by: by,
        at: at.into(),
        age,
        notice: None,
    }
}

fn state(
    kind: PurposeKind,
    validity: Option<u32>,
    receipts: &[ReceiptSummary],
    now: &str,
) -> (ConsentState, Option<String>) {
    let s = purpose_status(
        &purpose(kind, validity),
        &default_policy().settings,
        receipts,
        time::parse("now", now).expect("now"),
    )
    .expect("status");
    (s.state, s.expires_at)
}

#[test]
fn expiry_dates_follow_calendar_months() {
    // (kind, validity, decision at, now, expected state, expected expiry), on the
    // default policy's Paris calendar and clock (an independent check with Python's
    // zoneinfo gave the same instants).
    let table = [
        // 1 September 00:00 in Paris + 6 months = 1 March 00:00 (winter time).
        (
            PurposeKind::Cookie,
            None,
            "2026-08-31T22:00:00Z",
            "2027-02-28T22:59:59Z",
            Given,
            Some("2027-02-28T23:00:00.000Z"),
        ),
        (
            PurposeKind::Cookie,
            None,
            "2026-08-31T22:00:00Z",
            "2027-02-28T23:00:00Z",
            Expired,
            Some("2027-02-28T23:00:00.000Z"),
        ),
        // 31 August 14:00 summer time + 6 months = 29 February 14:00 winter time.
        (
            PurposeKind::Cookie,
            None,
            "2027-08-31T12:00:00Z",
            "2028-02-29T12:59:59Z",
            Given,
            Some("2028-02-29T13:00:00.000Z"),
        ),
        (
            PurposeKind::Cookie,
            Some(12),
            "2028-02-29T12:00:00Z",
            "2029-02-28T12:00:00Z",
            Expired,
            Some("2029-02-28T12:00:00.000Z"),
        ),
        // The days clocks change in Paris: the wall time is kept across the change.
        (
            PurposeKind::Advertising,
            None,
            "2026-03-29T00:30:00Z",
            "2026-09-28T23:29:59Z",
            Given,
            Some("2026-09-28T23:30:00.000Z"),
        ),
        (
            PurposeKind::Advertising,
            None,
            "2026-10-25T01:30:00Z",
            "2027-04-25T00:30:00Z",
            Expired,
            Some("2027-04-25T00:30:00.000Z"),
        ),
        (
            PurposeKind::Marketing,
            None,
            "2026-01-31T00:00:00Z",
            "2029-01-30T23:59:59Z",
            Given,
            Some("2029-01-31T00:00:00.000Z"),
        ),
        (PurposeKind::Service, None, "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z", Given, None),
    ];
    for (kind, validity, at, now, expected, expiry) in table {
        let got = state(kind, validity, &[r(1, Grant, Subject, at, None)], now);
        assert_eq!(got, (expected, expiry.map(str::to_string)), "{kind:?} granted {at}, now {now}");
    }
}

#[test]
fn refusals_and_withdrawals() {
    let refused = [r(1, Refuse, Subject, "2026-01-31T10:00:00Z", None)];
    // 11:00 in winter, 11:00 in summer (09:00 UTC).
    assert_eq!(state(PurposeKind::Cookie, None, &refused, "2026-07-31T08:59:59Z").0, Refused);
    assert_eq!(state(PurposeKind::Cookie, None, &refused, "2026-07-31T09:00:00Z").0, Expired);
    assert_eq!(state(PurposeKind::Marketing, None, &refused, "2040-01-01T00:00:00Z").0, Refused);
    let withdrawn =
        [r(1, Grant, Subject, "2026-01-01T00:00:00Z", None), r(2, Withdraw, Subject, "2026-02-01T00:00:00Z", None)];
    assert_eq!(state(PurposeKind::Marketing, None, &withdrawn, "2026-02-02T00:00:00Z").0, Withdrawn);
    // Order is by effective time, then chain order for equal times.
    let same_time =
        [r(1, Grant, Subject, "2026-02-01T00:00:00Z", None), r(2, Refuse, Subject, "2026-02-01T00:00:00Z", None)];
    assert_eq!(state(PurposeKind::Marketing, None, &same_time, "2026-02-02T00:00:00Z").0, Refused);
    let backdated =
        [r(1, Refuse, Subject, "2026-02-01T00:00:00Z", None), r(2, Grant, Subject, "2026-01-01T00:00:00Z", None)];
    assert_eq!(state(PurposeKind::Marketing, None, &backdated, "2026-02-02T00:00:00Z").0, Refused);
    assert_eq!(state(PurposeKind::Marketing, None, &[], "2026-02-02T00:00:00Z").0, NeverAsked);
    // A parent's decision alone is not the person's.
    let parent_only = [r(1, Grant, Parent, "2026-02-01T00:00:00Z", None)];
    assert_eq!(state(PurposeKind::Marketing, None, &parent_only, "2026-02-02T00:00:00Z").0, NeverAsked);
}

#[test]
fn minors_need_a_parent() {
    let at = "2026-06-01T00:00:00Z";
    let now = "2026-06-02T00:00:00Z";
    let fourteen = Some(AgeDeclaration::Age(14));
    assert_eq!(
        state(PurposeKind::Marketing, None, &[r(1, Grant, Subject, at, fourteen)], now).0,
        PendingParentalConsent
    );
    assert_eq!(
        state(PurposeKind::Marketing, None, &[r(1, Grant, Subject, at, Some(AgeDeclaration::Age(15)))], now).0,
        Given
    );
    let with_parent = [r(1, Grant, Subject, at, fourteen), r(2, Grant, Parent, "2026-05-01T00:00:00Z", None)];
    assert_eq!(
        state(PurposeKind::Marketing, None, &with_parent, now),
        (Given, Some("2029-05-01T00:00:00.000Z".into()))
    );
    let parent_refused = [r(1, Grant, Subject, at, fourteen), r(2, Refuse, Parent, at, None)];
    assert_eq!(state(PurposeKind::Marketing, None, &parent_refused, now).0, Refused);
    // Declared 14 two years before consenting: 16 at consent, so no parent needed.
    let older = [r(1, Refuse, Subject, "2024-05-01T00:00:00Z", fourteen), r(2, Grant, Subject, at, None)];
    assert_eq!(state(PurposeKind::Marketing, None, &older, now).0, Given);
    // An age declared after the consent (here on another purpose's receipt) does not
    // apply to it retroactively.
    let mut other = r(2, Refuse, Subject, "2026-06-01T12:00:00Z", fourteen);
    other.purpose = "other".into();
    let later = [r(1, Grant, Subject, at, None), other];
    assert_eq!(state(PurposeKind::Marketing, None, &later, now).0, Given);
    // A parent's receipt declaring the parent's age says nothing of the child's.
    let parent_age = [
        r(1, Grant, Subject, "2026-05-01T00:00:00Z", Some(AgeDeclaration::Age(13))),
        r(2, Refuse, Parent, "2026-05-02T00:00:00Z", Some(AgeDeclaration::Age(45))),
        r(3, Grant, Subject, at, None),
    ];
    assert_eq!(state(PurposeKind::Marketing, None, &parent_age, now).0, Refused);
    // A co-consent given before the person withdrew does not carry over to a new grant.
    let stale = [
        r(1, Grant, Subject, "2026-05-01T00:00:00Z", fourteen),
        r(2, Grant, Parent, "2026-05-02T00:00:00Z", None),
        r(3, Withdraw, Subject, "2026-05-03T00:00:00Z", None),
        r(4, Grant, Subject, at, None),
    ];
    assert_eq!(state(PurposeKind::Marketing, None, &stale, now).0, PendingParentalConsent);
    let renewed = [stale.to_vec(), vec![r(5, Grant, Parent, "2026-06-01T12:00:00Z", None)]].concat();
    assert_eq!(state(PurposeKind::Marketing, None, &renewed, now).0, Given);
    // Birth year: the lowest possible age counts.
    let by = |y| [r(1, Grant, Subject, at, Some(AgeDeclaration::BirthYear(y)))];
    assert_eq!(state(PurposeKind::Marketing, None, &by(2011), now).0, PendingParentalConsent);
    assert_eq!(state(PurposeKind::Marketing, None, &by(2010), now).0, Given);
}

#[test]
fn chain_hashes_commit_to_order_and_content() {
    let g = genesis("s-a");
    assert_ne!(g, genesis("s-b"));
    let h1 = chain_hash(&g, b"one");
    assert_ne!(h1, chain_hash(&g, b"onf"));
    assert_ne!(chain_hash(&h1, b"two"), chain_hash(&g, b"two"));
    assert_eq!(h1.len(), 64);
}

#[test]
fn notice_references_parse_strictly() {
    assert_eq!(
        parse_reference("r", "analytics+newsletter:fr:v12").expect("valid"),
        (vec!["analytics".to_string(), "newsletter".to_string()], "fr".to_string(), 12)
    );
    for bad in [
        "",
        "newsletter:fr",
        "newsletter:fr:v0",
        "newsletter:fr:1",
        "newsletter:FR:v1",
        "News:fr:v1",
        "a::fr:v1",
        "a:fr:v1:x",
        "a++b:fr:v1",
    ] {
        assert!(matches!(parse_reference("r", bad), Err(Error::InvalidInput(_))), "{bad}");
    }
}

/// GDPR.md ("a decision dated in the future (within the allowed clock skew) decides
/// nothing until its time comes"), Art. 7(1): a receipt dated ahead of the clock does
/// not decide the status before its time; at its time exactly, it does.
#[test]
fn a_receipt_dated_in_the_future_decides_nothing_until_its_time() {
    let receipts =
        [r(1, Grant, Subject, "2026-03-01T09:00:00Z", None), r(2, Withdraw, Subject, "2026-03-01T10:04:00Z", None)];
    // One second before the withdrawal's time: the grant still decides.
    assert_eq!(state(PurposeKind::Marketing, None, &receipts, "2026-03-01T10:03:59Z").0, Given);
    // At its time, and after.
    assert_eq!(state(PurposeKind::Marketing, None, &receipts, "2026-03-01T10:04:00Z").0, Withdrawn);
    assert_eq!(state(PurposeKind::Marketing, None, &receipts, "2026-03-02T00:00:00Z").0, Withdrawn);
    // A future-dated grant alone: never asked until then.
    let ahead = [r(1, Grant, Subject, "2026-03-01T10:04:00Z", None)];
    assert_eq!(state(PurposeKind::Cookie, None, &ahead, "2026-03-01T10:00:00Z").0, NeverAsked);
    // A parent's co-consent dated ahead does not complete a minor's grant before its time.
    let minor = [
        r(1, Grant, Subject, "2026-03-01T09:00:00Z", Some(AgeDeclaration::Age(12))),
        r(2, Grant, Parent, "2026-03-01T10:04:00Z", None),
    ];
    assert_eq!(state(PurposeKind::Cookie, None, &minor, "2026-03-01T10:03:59Z").0, PendingParentalConsent);
    assert_eq!(state(PurposeKind::Cookie, None, &minor, "2026-03-01T10:04:00Z").0, Given);
}

fn gpc_state(kind: PurposeKind, receipts: &[ReceiptSummary], now: &str, since: Option<&str>) -> PurposeStatus {
    purpose_status_with_gpc(
        &purpose(kind, None),
        &default_policy().settings,
        receipts,
        time::parse("now", now).expect("now"),
        since.map(|s| time::parse("since", s).expect("since")),
    )
    .expect("status")
}

/// GDPR.md, Global Privacy Control (the GPC specification; our policy, its EU effect not
/// settled) with Art. 7(1): under the signal an advertising purpose is refused unless the
/// person granted it at or after the signal was first seen; other kinds are untouched.
#[test]
fn under_global_privacy_control_advertising_is_refused_unless_granted_after_the_signal() {
    let now = "2026-03-01T12:00:00Z";
    let since = Some("2026-03-01T10:00:00Z");
    let before = [r(1, Grant, Subject, "2026-03-01T09:59:59Z", None)];
    let s = gpc_state(PurposeKind::Advertising, &before, now, since);
    assert_eq!((s.state, s.receipt.as_deref(), s.expires_at.as_deref()), (Refused, None, None));
    assert!(s.reason.starts_with("Global Privacy Control"), "{}", s.reason);
    // Without the signal the same grant stands.
    assert_eq!(gpc_state(PurposeKind::Advertising, &before, now, None).state, Given);
    // A grant at the first sighting (it carried the signal) or after it stands.
    for at in ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"] {
        let s = gpc_state(PurposeKind::Advertising, &[r(1, Grant, Subject, at, None)], now, since);
        assert_eq!((s.state, s.receipt.as_deref()), (Given, Some("r1")), "{at}");
    }
    // Never asked: refused by the signal.
    assert_eq!(gpc_state(PurposeKind::Advertising, &[], now, since).state, Refused);
    // The person's own withdrawal stays a withdrawal (no weaker, and more precise).
    let withdrawn =
        [r(1, Grant, Subject, "2026-03-01T11:00:00Z", None), r(2, Withdraw, Subject, "2026-03-01T11:30:00Z", None)];
    assert_eq!(gpc_state(PurposeKind::Advertising, &withdrawn, now, since).state, Withdrawn);
    // Cookies (audience measurement) and marketing are not advertising or sale.
    assert_eq!(gpc_state(PurposeKind::Cookie, &before, now, since).state, Given);
    assert_eq!(gpc_state(PurposeKind::Marketing, &before, now, since).state, Given);
    // A grant dated in the future of the read does not count yet, signal or not.
    let ahead = [r(1, Grant, Subject, "2026-03-01T12:04:00Z", None)];
    assert_eq!(gpc_state(PurposeKind::Advertising, &ahead, now, since).state, Refused);
    // The policy can turn the rule off.
    let mut policy = default_policy().settings;
    policy.gpc_refuses_advertising = Some(false);
    let off = purpose_status_with_gpc(
        &purpose(PurposeKind::Advertising, None),
        &policy,
        &before,
        time::parse("now", now).expect("now"),
        since.map(|s| time::parse("since", s).expect("since")),
    )
    .expect("status");
    assert_eq!(off.state, Given);
}
