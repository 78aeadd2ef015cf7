//! The cookie banner's configuration (its purposes and their validity under the policy,
//! the notice it shows) and the consent statistics the admin page draws.

#![allow(clippy::unwrap_used)]

mod support;
use support::rule;
use support::visitor;

use fichier_domain::Error;
use fichier_domain::consent::banner::DayRates;
use fichier_domain::consent::*;
use fichier_domain::kernel::types::*;
use support::{World, admin, decision};

#[test]
fn the_banner_asks_about_cookie_and_advertising_purposes_with_the_closest_notice() {
    let mut w = World::empty("2026-03-01T10:00:00Z", 3, 1);
    // Nothing declared: nothing to ask, no notice needed.
    let empty = w.f().banner(&visitor(), "fr").unwrap();
    assert!(empty.purposes.is_empty() && empty.notice.is_none());

    w.declare(&[("stats", PurposeKind::Cookie), ("ads", PurposeKind::Advertising), ("news", PurposeKind::Marketing)]);
    let longer = PurposeInput {
        id: "stats".into(),
        kind: PurposeKind::Cookie,
        title: "Stats".into(),
        validity_months: Some(3),
        serves: None,
    };
    w.f().declare_purpose(&admin(), longer).unwrap();
    // No notice covers both banner purposes yet.
    w.notice(&["stats"], "fr", "stats only");
    assert_eq!(rule(w.f().banner(&visitor(), "fr").unwrap_err()), "lang:banner-notice");

    let wide = w.notice(&["ads", "news", "stats"], "fr", "everything");
    assert_eq!(w.f().banner(&visitor(), "fr").unwrap().notice.unwrap().reference, wide);
    // The exact set beats a wider one, and its latest version wins.
    w.notice(&["ads", "stats"], "fr", "banner v1");
    let v2 = w.notice(&["stats", "ads"], "fr", "banner v2");
    w.notice(&["ads", "stats"], "en", "banner in English");
    let b = w.f().banner(&visitor(), "fr").unwrap();
    let n = b.notice.unwrap();
    assert_eq!((n.reference.as_str(), n.text.as_str()), (v2.as_str(), "banner v2"));
    assert_eq!(n.reference, "ads+stats:fr:v2");
    // Sorted by id; marketing is not the banner's; validity from the policy's defaults
    // (6 months, CNIL) unless the purpose declares its own grant validity.
    let got: Vec<(&str, PurposeKind, Option<u32>, Option<u32>)> =
        b.purposes.iter().map(|p| (p.id.as_str(), p.kind, p.grant_months, p.refusal_months)).collect();
    assert_eq!(
        got,
        vec![("ads", PurposeKind::Advertising, Some(6), Some(6)), ("stats", PurposeKind::Cookie, Some(3), Some(6))]
    );
    assert_eq!(w.f().banner(&visitor(), "en").unwrap().notice.unwrap().text, "banner in English");
    // A language nobody wrote a notice in, and a malformed one.
    assert_eq!(rule(w.f().banner(&visitor(), "de").unwrap_err()), "lang:banner-notice");
    assert!(rule(w.f().banner(&visitor(), "FR").unwrap_err()).starts_with("lang:"));
}

/// What a checkout box or a form cites: the banner's rule for any purposes, so no host
/// picks a notice itself.
#[test]
fn the_notice_for_some_purposes_is_the_closest_in_their_language() {
    let mut w = World::empty("2026-03-01T10:00:00Z", 3, 4);
    w.declare(&[("news", PurposeKind::Marketing), ("partners", PurposeKind::Marketing)]);
    let p = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(rule(w.f().notice_for(&visitor(), &p(&["news"]), "fr").unwrap_err()), "lang:notice-for");
    let both = w.notice(&["news", "partners"], "fr", "lettre et partenaires");
    // A wider notice serves until one of the purpose alone exists; then the latest of those.
    let (n, text) = w.f().notice_for(&visitor(), &p(&["news"]), "fr").unwrap();
    assert_eq!((n.reference.as_str(), text.as_str()), (both.as_str(), "lettre et partenaires"));
    w.notice(&["news"], "fr", "lettre v1");
    let v2 = w.notice(&["news"], "fr", "lettre v2");
    w.notice(&["news"], "en", "newsletter");
    let (n, text) = w.f().notice_for(&visitor(), &p(&["news"]), "fr").unwrap();
    assert_eq!((n.reference.as_str(), text.as_str()), (v2.as_str(), "lettre v2"));
    assert_eq!(w.f().notice_for(&visitor(), &p(&["news", "partners"]), "fr").unwrap().0.reference, both);
    assert_eq!(w.f().notice_for(&visitor(), &p(&["news"]), "en").unwrap().1, "newsletter");
    // Bad input names the field and the rule.
    assert_eq!(rule(w.f().notice_for(&visitor(), &p(&[]), "fr").unwrap_err()), "purposes:non-empty");
    let many: Vec<String> = (0..33).map(|i| format!("p{i}")).collect();
    assert_eq!(rule(w.f().notice_for(&visitor(), &many, "fr").unwrap_err()), "purposes:max-items");
    assert_eq!(
        rule(w.f().notice_for(&visitor(), &p(&["news", "nope"]), "fr").unwrap_err()),
        "purposes[1]:declared-purpose"
    );
    assert!(rule(w.f().notice_for(&visitor(), &p(&["news"]), "FR").unwrap_err()).starts_with("lang:"));
    assert_eq!(rule(w.f().notice_for(&visitor(), &p(&["partners"]), "en").unwrap_err()), "lang:notice-for");
}

#[test]
fn decisions_are_counted_per_day_and_purpose_without_people() {
    let mut w = World::empty("2026-03-01T10:00:00Z", 3, 2);
    w.declare(&[("stats", PurposeKind::Cookie), ("ads", PurposeKind::Advertising)]);
    let n = w.notice(&["ads", "stats"], "fr", "banner");
    let record = |w: &mut World, who: &str, purpose: &str, d: Decision, at: &str| {
        let mut i = decision(SubjectRef::External(who.into()), purpose, d, Channel::CookieBanner, Some(&n));
        i.at = Some(at.into());
        w.f().record_decision(&visitor(), i).unwrap();
    };
    // Thirty visitors over three days, spread over the shards.
    for v in 0..20 {
        let d = if v % 4 == 0 { Decision::Refuse } else { Decision::Grant };
        record(&mut w, &format!("v-{v}"), "stats", d, "2026-02-27T23:59:59Z");
        record(&mut w, &format!("v-{v}"), "ads", Decision::Refuse, "2026-02-27T12:00:00+01:00");
    }
    for v in 20..30 {
        record(&mut w, &format!("v-{v}"), "stats", Decision::Grant, "2026-02-28T00:00:00Z");
    }
    record(&mut w, "v-1", "stats", Decision::Withdraw, "2026-03-01T09:00:00Z");

    let rates = w.f().consent_rates(&admin(), "2026-02-01", "2026-03-01").unwrap();
    let row = |day: &str, purpose: &str, g, r, wd| DayRates {
        day: day.into(),
        purpose: purpose.into(),
        grants: g,
        refusals: r,
        withdrawals: wd,
    };
    assert_eq!(
        rates,
        vec![
            row("2026-02-27", "ads", 0, 20, 0),
            row("2026-02-27", "stats", 15, 5, 0),
            row("2026-02-28", "stats", 10, 0, 0),
            row("2026-03-01", "stats", 0, 0, 1),
        ]
    );
    // A narrower range; no visitor id is kept in the counters.
    assert_eq!(w.f().consent_rates(&admin(), "2026-02-28", "2026-02-28").unwrap().len(), 1);
    for (_, k, v) in w.store.raw().into_iter().filter(|(_, k, _)| k.starts_with("stats/")) {
        assert!(k.len() <= "stats/consent/2026-02-27/7".len(), "{k}");
        assert!(!String::from_utf8_lossy(&v).contains("v-1"), "{k}");
    }
}

#[test]
fn rates_check_their_range_and_role() {
    let mut w = World::empty("2026-03-01T10:00:00Z", 3, 3);
    let cases = [
        ("2026-02-30", "2026-03-01", "from:date"),
        ("2026-3-01", "2026-03-01", "from:date"),
        ("2026-03-01", "", "to:date"),
        ("2026-03-02", "2026-03-01", "to:not-before-from"),
        ("2025-01-01", "2026-01-02", "to:max-366-days"),
    ];
    for (from, to, want) in cases {
        assert_eq!(rule(w.f().consent_rates(&admin(), from, to).unwrap_err()), want, "{from} {to}");
    }
    assert!(w.f().consent_rates(&admin(), "2025-01-01", "2026-01-01").unwrap().is_empty());
    for role in [Role::Support, Role::System, Role::Public] {
        let a = Actor { id: "x".into(), role };
        assert!(matches!(w.f().consent_rates(&a, "2026-01-01", "2026-01-02"), Err(Error::Forbidden(_))), "{role:?}");
    }
}

fn state_of(s: &SubjectStatus, purpose: &str) -> ConsentState {
    s.purposes.iter().find(|p| p.purpose == purpose).unwrap().state
}

/// GDPR.md, Global Privacy Control (our policy) and Art. 7(1): a status read carrying the
/// signal refuses advertising purposes not granted after the signal was first seen; the
/// first sighting is stored once in the subject's head (a write of one swap, the chain
/// unchanged), later grants stand, and a subject never seen is not created by a read.
#[test]
fn a_status_read_under_gpc_refuses_advertising_granted_before_the_signal_was_first_seen() {
    let mut w = World::empty("2026-03-01T10:00:00Z", 3, 5);
    w.declare(&[("stats", PurposeKind::Cookie), ("ads", PurposeKind::Advertising)]);
    let n = w.notice(&["ads", "stats"], "fr", "banner");
    let me = SubjectRef::External("v-0123456789abcdef0123456789abcdef".into());
    for p in ["ads", "stats"] {
        let i = decision(me.clone(), p, Decision::Grant, Channel::CookieBanner, Some(&n));
        w.f().record_decision(&visitor(), i).unwrap();
    }
    let gpc = StatusSignals { gpc: true };
    let plain = w.at("2026-03-01T11:00:00Z").f().status(&visitor(), &me).unwrap();
    assert_eq!((state_of(&plain, "ads"), state_of(&plain, "stats")), (ConsentState::Given, ConsentState::Given));

    // First sighting: stored, and the older advertising grant no longer stands.
    let sid = plain.subject.clone();
    let head_key = format!("subject/{sid}");
    let before = w.store.raw().into_iter().find(|(_, k, _)| *k == head_key).unwrap().2;
    let s = w.f().status_with_signals(&visitor(), &me, gpc).unwrap();
    assert_eq!((state_of(&s, "ads"), state_of(&s, "stats")), (ConsentState::Refused, ConsentState::Given));
    assert!(s.purposes[0].reason.contains("2026-03-01T11:00:00"), "{}", s.purposes[0].reason);
    let after = w.store.raw().into_iter().find(|(_, k, _)| *k == head_key).unwrap().2;
    assert_ne!(before, after, "the first sighting is written");
    // A later read keeps the first sighting (no new write).
    let s = w.at("2026-03-02T09:00:00Z").f().status_with_signals(&visitor(), &me, gpc).unwrap();
    assert!(s.purposes[0].reason.contains("2026-03-01T11:00:00"), "{}", s.purposes[0].reason);
    assert_eq!(after, w.store.raw().into_iter().find(|(_, k, _)| *k == head_key).unwrap().2);
    assert!(w.f().verify_ledger(&admin()).unwrap().ok, "the chain is unchanged");

    // The person grants advertising explicitly after the signal: it stands.
    let mut i = decision(me.clone(), "ads", Decision::Grant, Channel::CookieBanner, Some(&n));
    i.gpc = true;
    let grant = w.f().record_decision(&visitor(), i).unwrap();
    let s = w.at("2026-03-02T09:00:01Z").f().status_with_signals(&visitor(), &me, gpc).unwrap();
    assert_eq!((state_of(&s, "ads"), s.purposes[0].receipt.as_deref()), (ConsentState::Given, Some(grant.id.as_str())));

    // A subject never seen: refused under the signal, and nothing written.
    let stranger = SubjectRef::External("v-ffffffffffffffffffffffffffffffff".into());
    let keys = w.store.raw().len();
    let s = w.f().status_with_signals(&visitor(), &stranger, gpc).unwrap();
    assert_eq!((state_of(&s, "ads"), state_of(&s, "stats")), (ConsentState::Refused, ConsentState::NeverAsked));
    assert_eq!(w.store.raw().len(), keys);

    // The policy can turn the rule off; unset, it is on.
    let mut policy = w.f().get_policy(&admin()).unwrap().settings;
    assert_eq!(policy.gpc_refuses_advertising, Some(true));
    policy.gpc_refuses_advertising = None;
    assert_eq!(w.f().set_policy(&admin(), policy.clone()).unwrap().settings.gpc_refuses_advertising, Some(true));
    policy.gpc_refuses_advertising = Some(false);
    w.f().set_policy(&admin(), policy).unwrap();
    assert_eq!(
        state_of(&w.f().status_with_signals(&visitor(), &stranger, gpc).unwrap(), "ads"),
        ConsentState::NeverAsked
    );
}

/// A receipt that carries the signal marks its first sighting at its own time: a grant
/// made before it (same person, no signal then) is refused under the signal afterwards,
/// without any status read having stored a sighting.
#[test]
fn a_receipt_carrying_gpc_records_the_first_sighting() {
    let mut w = World::empty("2026-03-01T10:00:00Z", 3, 6);
    w.declare(&[("stats", PurposeKind::Cookie), ("ads", PurposeKind::Advertising)]);
    let n = w.notice(&["ads", "stats"], "fr", "banner");
    let me = SubjectRef::External("v-00000000000000000000000000000001".into());
    w.f()
        .record_decision(&visitor(), decision(me.clone(), "ads", Decision::Grant, Channel::CookieBanner, Some(&n)))
        .unwrap();
    let mut i = decision(me.clone(), "stats", Decision::Refuse, Channel::CookieBanner, Some(&n));
    i.gpc = true;
    w.at("2026-03-05T10:00:00Z").f().record_decision(&visitor(), i).unwrap();
    let s = w.at("2026-03-06T10:00:00Z").f().status_with_signals(&visitor(), &me, StatusSignals { gpc: true }).unwrap();
    assert_eq!(state_of(&s, "ads"), ConsentState::Refused);
    assert!(s.purposes[0].reason.contains("2026-03-05T10:00:00"), "{}", s.purposes[0].reason);
}
