//! Consent across devices for logged-in customers (issue 28 point 2, CNIL délibération
//! 2025-131): the shop mints a short-lived customer reference; a choice made on one
//! device's banner is recorded for the customer with that device's banner id, refusals and
//! withdrawals as grants; another device reads the choice in force, until the purposes or
//! the notice change. A reference opens nothing else.

#![allow(clippy::unwrap_used)]

use fichier_domain::Error;
use fichier_domain::consent::{Decision, StatusSignals};
use fichier_domain::kernel::policy::PolicyInput;
use fichier_domain::kernel::types::*;
use fichier_domain::registry::export::ExportFormat;
use fichier_domain::rights::access::ExportScope;
use support::{World, admin, decision};

mod support;
use support::rule;

fn visitor() -> Actor {
    Actor { id: "banner".into(), role: Role::Public }
}

fn shop_server() -> Actor {
    Actor { id: "wordpress".into(), role: Role::System }
}

fn anne() -> SubjectRef {
    SubjectRef::Email("anne@example.org".into())
}

/// A shop whose banner asks about analytics (cookie) and ads (advertising), with a French
/// and an English notice; Anne's reference minted at 10:00.
fn shop() -> (World, String, String) {
    let mut w = World::empty("2026-03-01T10:00:00Z", 7, 3);
    w.declare(&[("analytics", PurposeKind::Cookie), ("ads", PurposeKind::Advertising)]);
    let fr = w.notice(&["ads", "analytics"], "fr", "Mesure d'audience et publicité ; destinataires : régie.");
    w.notice(&["ads", "analytics"], "en", "Audience measurement and advertising; recipients: ad network.");
    let reference = w.f().customer_reference(&shop_server(), &anne()).unwrap();
    assert_eq!(reference.expires_at, "2026-03-02T10:00:00.000Z", "24 hours by default");
    assert_eq!(reference.token.len(), 55);
    assert!(!reference.token.contains("anne"), "nothing personal in the reference");
    (w, reference.token, fr)
}

/// Every banner purpose decided the same way on the device `banner`.
fn decide(w: &mut World, token: &str, banner: &str, notice: &str, grant: &[&str], previous: &[&str]) {
    for purpose in ["ads", "analytics"] {
        let d = if grant.contains(&purpose) {
            Decision::Grant
        } else if previous.contains(&purpose) {
            Decision::Withdraw
        } else {
            Decision::Refuse
        };
        let input = decision(SubjectRef::External(banner.into()), purpose, d, Channel::CookieBanner, Some(notice));
        w.f().record_customer_decision(&visitor(), token, input).unwrap();
    }
}

fn choice(w: &mut World, token: &str, lang: &str) -> Option<(Vec<String>, Vec<String>, String)> {
    w.f()
        .customer_choice(&visitor(), token, lang, StatusSignals::default())
        .unwrap()
        .map(|c| (c.granted, c.refused, c.notice))
}

#[test]
fn a_refusal_on_one_device_is_the_choice_in_force_on_another_and_a_change_there_comes_back() {
    let (mut w, token, fr) = shop();
    assert_eq!(choice(&mut w, &token, "fr"), None, "never asked: the banner asks");

    // Device A refuses everything.
    decide(&mut w, &token, "v-aaaa", &fr, &[], &[]);
    let refused = (vec![], vec!["ads".to_string(), "analytics".to_string()], fr.clone());
    assert_eq!(choice(&mut w, &token, "fr"), Some(refused.clone()), "device B sees the refusal in force");
    // In English too: the same purposes, the English notice shown.
    let en = choice(&mut w, &token, "en").unwrap();
    assert_eq!((en.0, en.1), (refused.0.clone(), refused.1.clone()));
    assert!(en.2.ends_with(":en:v1"));

    // Device B accepts analytics: device A reads the grant.
    w.at("2026-03-01T11:00:00Z");
    decide(&mut w, &token, "v-bbbb", &fr, &["analytics"], &[]);
    let c = w.f().customer_choice(&visitor(), &token, "fr", StatusSignals::default()).unwrap().unwrap();
    assert_eq!((c.granted, c.refused), (vec!["analytics".to_string()], vec!["ads".to_string()]));
    assert_eq!(c.at, "2026-03-01T11:00:00.000Z");

    // Device A withdraws it: the withdrawal goes back exactly as the grant came.
    w.at("2026-03-01T12:00:00Z");
    decide(&mut w, &token, "v-aaaa", &fr, &[], &["analytics"]);
    assert_eq!(choice(&mut w, &token, "fr"), Some(refused));

    // The receipts are the customer's, each with the device it came from.
    let history = w.f().history(&admin(), &anne()).unwrap();
    assert_eq!(history.len(), 6);
    let devices: Vec<(&str, Decision, Option<&str>)> =
        history.iter().map(|r| (r.purpose.as_str(), r.decision, r.banner.as_deref())).collect();
    assert_eq!(devices[0], ("ads", Decision::Refuse, Some("v-aaaa")));
    assert_eq!(devices[3], ("analytics", Decision::Grant, Some("v-bbbb")));
    assert_eq!(devices[5], ("analytics", Decision::Withdraw, Some("v-aaaa")));
    // The banner id is in the sealed, chained bytes: the ledger verifies the chain.
    let ledger = w.f().verify_ledger(&admin()).unwrap();
    assert!(ledger.ok && ledger.receipts == 6, "{ledger:?}");
    // The access export names the devices among the identifiers the data is linked to.
    let export =
        w.f().export_subject(&admin(), &anne(), ExportScope::Access, ExportFormat::Json, Lang::Fr).unwrap().content;
    assert!(export.contains("v-aaaa") && export.contains("v-bbbb"), "{export}");
    // Nothing was recorded under the devices' own ids.
    assert!(w.f().history(&admin(), &SubjectRef::External("v-aaaa".into())).unwrap().is_empty());
}

#[test]
fn a_change_of_purposes_or_notice_asks_again() {
    let (mut w, token, fr) = shop();
    decide(&mut w, &token, "v-aaaa", &fr, &["analytics", "ads"], &[]);
    assert!(choice(&mut w, &token, "fr").is_some());

    // A new text (its recipients changed): the grant cited the old version.
    w.at("2026-03-02T09:00:00Z");
    let fr2 = w.notice(&["ads", "analytics"], "fr", "Mesure d'audience et publicité ; destinataires : deux régies.");
    assert!(fr2.ends_with(":fr:v2"));
    assert_eq!(choice(&mut w, &token, "fr"), None);
    // Under the new text, the choice stands again.
    decide(&mut w, &token, "v-aaaa", &fr2, &["analytics"], &["analytics", "ads"]);
    assert!(choice(&mut w, &token, "fr").is_some());

    // A purpose added to the banner: asked again.
    w.declare(&[("social", PurposeKind::Cookie)]);
    w.notice(&["ads", "analytics", "social"], "fr", "Trois finalités.");
    assert_eq!(choice(&mut w, &token, "fr"), None);
}

#[test]
fn a_refusal_without_a_notice_stands_and_an_expired_choice_does_not() {
    let (mut w, token, _fr) = shop();
    // Refusals recorded elsewhere (the customer's account page, through the shop's server)
    // cite no notice: they stand.
    for purpose in ["ads", "analytics"] {
        let input = decision(anne(), purpose, Decision::Refuse, Channel::WebForm, None);
        w.f().record_decision(&admin(), input).unwrap();
    }
    let (g, r, _) = choice(&mut w, &token, "fr").unwrap();
    assert!(g.is_empty() && r.len() == 2);
    // The policy respects a refusal 6 months; a fresh reference 7 months later is asked.
    w.at("2026-10-02T10:00:00Z");
    let token = w.f().customer_reference(&shop_server(), &anne()).unwrap().token;
    assert_eq!(choice(&mut w, &token, "fr"), None);
}

#[test]
fn a_reference_is_checked_altered_expired_or_foreign_and_opens_one_customer_only() {
    let (mut w, token, fr) = shop();
    let input = || {
        decision(SubjectRef::External("v-aaaa".into()), "analytics", Decision::Grant, Channel::CookieBanner, Some(&fr))
    };

    // Altered: one character changed.
    let mut altered = token.clone().into_bytes();
    altered[20] = if altered[20] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(
        rule(w.f().record_customer_decision(&visitor(), &altered, input()).unwrap_err()),
        "input.customer:token-matches"
    );
    let signals = StatusSignals::default();
    assert_eq!(rule(w.f().customer_choice(&visitor(), &altered, "fr", signals).unwrap_err()), "customer:token-matches");
    assert_eq!(
        rule(w.f().customer_choice(&visitor(), "anne@example.org", "fr", signals).unwrap_err()),
        "customer:token-syntax"
    );

    // Minted under another master key.
    let mut other = World::empty("2026-03-01T10:00:00Z", 8, 3);
    let foreign = other.f().customer_reference(&shop_server(), &anne()).unwrap().token;
    assert_eq!(rule(w.f().customer_choice(&visitor(), &foreign, "fr", signals).unwrap_err()), "customer:token-matches");

    // Another kind of token of this shop (an unsubscribe link) is no reference.
    let unsubscribe = w.f().unsubscribe_link(&shop_server(), &anne(), "analytics").unwrap();
    assert_eq!(
        rule(w.f().customer_choice(&visitor(), &unsubscribe, "fr", signals).unwrap_err()),
        "customer:token-syntax"
    );

    // Expired after the policy's hours (set to 2).
    let mut policy: PolicyInput = w.f().get_policy(&admin()).unwrap().settings;
    policy.customer_reference_hours = Some(2);
    w.f().set_policy(&admin(), policy.clone()).unwrap();
    let short = w.f().customer_reference(&shop_server(), &anne()).unwrap();
    assert_eq!(short.expires_at, "2026-03-01T12:00:00.000Z");
    w.at("2026-03-01T11:59:59Z");
    assert!(w.f().customer_choice(&visitor(), &short.token, "fr", signals).is_ok());
    w.at("2026-03-01T12:00:00Z");
    let before = w.store.raw();
    assert_eq!(
        rule(w.f().record_customer_decision(&visitor(), &short.token, input()).unwrap_err()),
        "input.customer:token-unexpired"
    );
    assert_eq!(w.store.raw(), before, "a refused reference writes nothing");
    policy.customer_reference_hours = Some(0);
    assert_eq!(rule(w.f().set_policy(&admin(), policy).unwrap_err()), "input.customer-reference-hours:range-1-720");

    // Only the shop's server mints; the device must be named by its banner id, on the banner.
    w.at("2026-03-01T10:00:00Z");
    assert!(matches!(w.f().customer_reference(&visitor(), &anne()), Err(Error::Forbidden(_))));
    let support = Actor { id: "s".into(), role: Role::Support };
    assert!(matches!(w.f().customer_reference(&support, &anne()), Err(Error::Forbidden(_))));
    let by_email = decision(anne(), "analytics", Decision::Grant, Channel::CookieBanner, Some(&fr));
    assert_eq!(
        rule(w.f().record_customer_decision(&visitor(), &token, by_email).unwrap_err()),
        "input.subject:banner-id"
    );
    let mut form = input();
    form.channel = Channel::WebForm;
    assert_eq!(
        rule(w.f().record_customer_decision(&visitor(), &token, form).unwrap_err()),
        "input.channel:customer-on-banner"
    );

    // A reference designates its customer only: Bob's choice is not Anne's.
    let bob = w.f().customer_reference(&shop_server(), &SubjectRef::Email("bob@example.org".into())).unwrap().token;
    w.f().record_customer_decision(&visitor(), &token, input()).unwrap();
    let mut refuse = input();
    refuse.purpose = "ads".into();
    refuse.decision = Decision::Refuse;
    w.f().record_customer_decision(&visitor(), &token, refuse).unwrap();
    assert!(choice(&mut w, &token, "fr").is_some());
    assert_eq!(choice(&mut w, &bob, "fr"), None);

    // Without a reference, the public reaches a customer's consent by no other name: not by
    // e-mail, not by subject id.
    let sid = w.f().status(&admin(), &anne()).unwrap().subject;
    let by_sid = decision(SubjectRef::Subject(sid.clone()), "analytics", Decision::Refuse, Channel::CookieBanner, None);
    assert_eq!(rule(w.f().record_decision(&visitor(), by_sid).unwrap_err()), "input.subject:banner-id");
    assert!(matches!(w.f().status(&visitor(), &SubjectRef::Subject(sid)), Err(Error::Forbidden(_))));
    assert!(matches!(w.f().status(&visitor(), &anne()), Err(Error::Forbidden(_))));
}
