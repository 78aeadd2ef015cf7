//! E-mail tracking pixels (issue 28, CNIL délibération 2026-042): measuring the opens of a
//! mail needs its own consent, beside the marketing it serves; the pixel counts an open
//! only while both stand, a withdrawal after the mail was sent stops the count, the counts
//! hold no person, and the subscribers without that consent are listed with the policy's
//! cut-over day.

#![allow(clippy::unwrap_used)]

use fichier_domain::Error;
use fichier_domain::consent::pixel::CampaignOpens;
use fichier_domain::consent::{Decision, NoticeInput, PurposeInput};
use fichier_domain::kernel::types::*;
use support::{World, admin, decision};

mod support;
use support::rule;
use support::visitor;

fn system() -> Actor {
    Actor { id: "mailer".into(), role: Role::System }
}

fn email(e: &str) -> SubjectRef {
    SubjectRef::Email(e.into())
}

fn tracking(id: &str, serves: Option<&str>) -> PurposeInput {
    PurposeInput {
        id: id.into(),
        kind: PurposeKind::EmailTracking,
        title: "Mesure d'ouverture".into(),
        validity_months: None,
        serves: serves.map(str::to_string),
    }
}

/// A shop with a newsletter, its opens' measuring and a notice for each.
fn shop() -> (World, String, String) {
    let mut w = World::empty("2026-04-01T10:00:00Z", 9, 2);
    w.declare(&[("newsletter", PurposeKind::Marketing)]);
    w.f().declare_purpose(&admin(), tracking("newsletter-opens", Some("newsletter"))).unwrap();
    let mut refs = Vec::new();
    for p in ["newsletter", "newsletter-opens"] {
        let input = NoticeInput { purposes: vec![p.into()], lang: "fr".into(), text: format!("Notice {p}.") };
        refs.push(w.f().register_notice(&admin(), input).unwrap().reference);
    }
    let opens = refs.pop().unwrap();
    (w, refs.pop().unwrap(), opens)
}

fn grant(w: &mut World, who: &str, purpose: &str, notice: &str) {
    let input = decision(email(who), purpose, Decision::Grant, Channel::WebForm, Some(notice));
    w.f().record_decision(&admin(), input).unwrap();
}

fn pixel_token(w: &mut World, who: &str, campaign: &str) -> String {
    let links = w.f().mail_links(&system(), &email(who), campaign, "newsletter").unwrap();
    let pixel = links.pixel.unwrap();
    assert_eq!(pixel.path, format!("/t/{}.gif", pixel.token));
    pixel.token
}

fn opens(w: &mut World) -> Vec<(String, String, u32)> {
    let list: Vec<CampaignOpens> = w.f().campaign_opens(&admin(), "2026-01-01", "2026-12-31").unwrap();
    list.into_iter().map(|o| (o.day, o.campaign, o.opens)).collect()
}

#[test]
fn a_tracking_purpose_names_the_marketing_it_serves() {
    let (mut w, _, _) = shop();
    assert_eq!(
        rule(w.f().declare_purpose(&admin(), tracking("t", None)).unwrap_err()),
        "input.serves:tracking-serves-marketing"
    );
    assert_eq!(
        rule(w.f().declare_purpose(&admin(), tracking("t", Some("nope"))).unwrap_err()),
        "input.serves:declared-purpose"
    );
    w.declare(&[("orders", PurposeKind::Service)]);
    assert_eq!(
        rule(w.f().declare_purpose(&admin(), tracking("t", Some("orders"))).unwrap_err()),
        "input.serves:tracking-serves-marketing"
    );
    let mut not_tracking = tracking("t", Some("newsletter"));
    not_tracking.kind = PurposeKind::Cookie;
    assert_eq!(rule(w.f().declare_purpose(&admin(), not_tracking).unwrap_err()), "input.serves:serves-only-tracking");
    // The marketing purpose a tracking purpose serves stays marketing.
    let input = PurposeInput {
        id: "newsletter".into(),
        kind: PurposeKind::Cookie,
        title: "x".into(),
        validity_months: None,
        serves: None,
    };
    assert_eq!(rule(w.f().declare_purpose(&admin(), input).unwrap_err()), "input.kind:served-stays-marketing");
    let listed = w.f().list_purposes(&admin()).unwrap();
    let opens = listed.iter().find(|p| p.id == "newsletter-opens").unwrap();
    assert_eq!((opens.kind, opens.serves.as_deref()), (PurposeKind::EmailTracking, Some("newsletter")));
    // Never on the cookie banner.
    w.declare(&[("stats", PurposeKind::Cookie)]);
    let input = NoticeInput { purposes: vec!["stats".into()], lang: "fr".into(), text: "Mesure.".into() };
    w.f().register_notice(&admin(), input).unwrap();
    let banner = w.f().banner(&visitor(), "fr").unwrap();
    assert_eq!(banner.purposes.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["stats"]);
}

#[test]
fn the_pixel_counts_only_while_consent_stands_and_a_later_withdrawal_stops_it() {
    let (mut w, news, tracked) = shop();
    grant(&mut w, "anne@example.org", "newsletter", &news);
    grant(&mut w, "anne@example.org", "newsletter-opens", &tracked);
    grant(&mut w, "bob@example.org", "newsletter", &news);
    let anne = pixel_token(&mut w, "anne@example.org", "spring-26");
    let bob = pixel_token(&mut w, "bob@example.org", "spring-26");
    let links = w.f().mail_links(&system(), &email("anne@example.org"), "spring-26", "newsletter").unwrap();
    assert_eq!(links.unsubscribe.path, format!("/v1/unsubscribe/{}", links.unsubscribe.token));
    // No personal data in the URL: neither the address nor the subject id.
    let sid = w.f().status(&admin(), &email("anne@example.org")).unwrap().subject;
    assert!(!anne.contains("anne") && !anne.contains(sid.trim_start_matches("s-")));

    assert!(w.f().open_pixel(&visitor(), &anne).unwrap(), "consent to both stands: counted");
    assert!(w.f().open_pixel(&visitor(), &anne).unwrap(), "a second open counts again");
    assert!(!w.f().open_pixel(&visitor(), &bob).unwrap(), "no consent to tracking: not counted");
    assert_eq!(opens(&mut w), [("2026-04-01".to_string(), "spring-26".to_string(), 2)]);

    // The person unsubscribes the day after, by the mail's link: both purposes go, and the
    // pixel of the mail already sent stops counting.
    w.at("2026-04-02T09:00:00Z");
    w.f().unsubscribe(&visitor(), &links.unsubscribe.token).unwrap();
    let history = w.f().history(&admin(), &email("anne@example.org")).unwrap();
    let last: Vec<_> = history.iter().rev().take(2).map(|r| (r.purpose.as_str(), r.decision)).collect();
    assert!(
        last.contains(&("newsletter-opens", Decision::Withdraw)) && last.contains(&("newsletter", Decision::Withdraw))
    );
    assert!(!w.f().open_pixel(&visitor(), &anne).unwrap(), "withdrawn after sending: not counted");
    assert_eq!(opens(&mut w), [("2026-04-01".to_string(), "spring-26".to_string(), 2)]);
}

#[test]
fn withdrawing_either_purpose_by_any_channel_stops_the_count() {
    let (mut w, news, tracked) = shop();
    for who in ["c@example.org", "d@example.org"] {
        grant(&mut w, who, "newsletter", &news);
        grant(&mut w, who, "newsletter-opens", &tracked);
    }
    let c = pixel_token(&mut w, "c@example.org", "june");
    let d = pixel_token(&mut w, "d@example.org", "june");
    assert!(w.f().open_pixel(&visitor(), &c).unwrap());
    assert!(w.f().open_pixel(&visitor(), &d).unwrap());
    // The account page withdraws only the measuring; the support desk only the newsletter.
    let input = decision(email("c@example.org"), "newsletter-opens", Decision::Withdraw, Channel::WebForm, None);
    w.f().record_decision(&admin(), input).unwrap();
    let input = decision(email("d@example.org"), "newsletter", Decision::Withdraw, Channel::Phone, None);
    w.f().record_decision(&admin(), input).unwrap();
    assert!(!w.f().open_pixel(&visitor(), &c).unwrap());
    assert!(!w.f().open_pixel(&visitor(), &d).unwrap());
    // A tracking consent that expired (36 months by default) counts no more either.
    grant(&mut w, "c@example.org", "newsletter-opens", &tracked);
    w.f()
        .record_decision(
            &admin(),
            decision(email("d@example.org"), "newsletter", Decision::Grant, Channel::Phone, Some(&news)),
        )
        .unwrap();
    assert!(w.f().open_pixel(&visitor(), &d).unwrap(), "granted again: counted again");
    w.at("2029-04-02T10:00:00Z");
    assert!(!w.f().open_pixel(&visitor(), &d).unwrap(), "expired after 36 months");
}

#[test]
fn a_token_not_minted_here_counts_nothing_and_writes_nothing() {
    let (mut w, news, tracked) = shop();
    grant(&mut w, "anne@example.org", "newsletter", &news);
    grant(&mut w, "anne@example.org", "newsletter-opens", &tracked);
    let good = pixel_token(&mut w, "anne@example.org", "spring-26");
    let before = w.store.raw();
    // One character changed anywhere, or a token of another master key.
    let mut altered = good.clone().into_bytes();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(rule(w.f().open_pixel(&visitor(), &altered).unwrap_err()), "token:token-matches");
    let mut other = World::empty("2026-04-01T10:00:00Z", 7, 2);
    other.declare(&[("newsletter", PurposeKind::Marketing)]);
    other.f().declare_purpose(&admin(), tracking("newsletter-opens", Some("newsletter"))).unwrap();
    let foreign = pixel_token(&mut other, "anne@example.org", "spring-26");
    assert_eq!(rule(w.f().open_pixel(&visitor(), &foreign).unwrap_err()), "token:token-matches");
    for bad in ["", "x", "!!!!", &"A".repeat(300)] {
        assert_eq!(rule(w.f().open_pixel(&visitor(), bad).unwrap_err()), "token:token-syntax", "{bad}");
    }
    // An unsubscribe token is no pixel token (and a pixel token unsubscribes no one).
    let unsubscribe = w.f().unsubscribe_link(&system(), &email("anne@example.org"), "newsletter").unwrap();
    assert_eq!(rule(w.f().open_pixel(&visitor(), &unsubscribe).unwrap_err()), "token:token-syntax");
    assert_eq!(rule(w.f().unsubscribe(&visitor(), &good).unwrap_err()), "token:token-syntax");
    assert_eq!(w.store.raw(), before, "nothing written");
    assert!(opens(&mut w).is_empty());
}

#[test]
fn minting_checks_its_input_and_role() {
    let (mut w, _, _) = shop();
    for bad in ["", "a b", "été", "x@y", &"c".repeat(33)] {
        let e = w.f().mail_links(&system(), &email("anne@example.org"), bad, "newsletter").unwrap_err();
        assert_eq!(rule(e), "campaign:campaign-syntax", "{bad:?}");
    }
    let e = w.f().mail_links(&system(), &email("anne@example.org"), "c", "newsletter-opens").unwrap_err();
    assert_eq!(rule(e), "purpose:marketing-purpose");
    let e = w.f().mail_links(&visitor(), &email("anne@example.org"), "c", "newsletter").unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    // A marketing purpose no tracking purpose serves: no pixel.
    w.declare(&[("offers", PurposeKind::Marketing)]);
    let links = w.f().mail_links(&system(), &email("anne@example.org"), "c", "offers").unwrap();
    assert_eq!(links.pixel, None);
    assert_eq!(rule(w.f().campaign_opens(&admin(), "2026-02-01", "2026-01-01").unwrap_err()), "to:not-before-from");
    assert!(matches!(w.f().campaign_opens(&visitor(), "2026-01-01", "2026-01-01").unwrap_err(), Error::Forbidden(_)));
}

#[test]
fn subscribers_without_tracking_consent_are_listed_with_the_cutover_setting() {
    let (mut w, news, tracked) = shop();
    grant(&mut w, "anne@example.org", "newsletter", &news);
    grant(&mut w, "anne@example.org", "newsletter-opens", &tracked);
    grant(&mut w, "bob@example.org", "newsletter", &news);
    grant(&mut w, "carl@example.org", "newsletter-opens", &tracked);
    let bob = w.f().status(&admin(), &email("bob@example.org")).unwrap().subject;
    let page = w.f().tracking_to_ask(&admin(), "newsletter", None, 1000).unwrap();
    assert_eq!(page.subjects, std::slice::from_ref(&bob), "only the subscriber without a tracking consent");
    assert_eq!(page.tracking, ["newsletter-opens"]);
    assert_eq!((page.cutover.as_str(), page.past_cutover), ("2026-07-14", false));
    assert!(page.damaged.is_empty() && page.next.is_none());
    // Each subject read is audited.
    let audited = w.f().audit_entries(&admin(), None, 100).unwrap();
    assert_eq!(audited.0.iter().filter(|e| e.action == "consent.tracking-to-ask").count(), 3);

    // By pages: every subject looked at once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = w.f().tracking_to_ask(&admin(), "newsletter", cursor.as_deref(), 1).unwrap();
        seen.extend(page.subjects);
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, std::slice::from_ref(&bob));

    // The cut-over is a setting: another day moves it, a bad one is refused.
    let mut policy = w.f().get_policy(&admin()).unwrap().settings;
    assert_eq!(policy.email_tracking_cutover.as_deref(), Some("2026-07-14"));
    policy.email_tracking_cutover = Some("2026-13-01".into());
    assert_eq!(rule(w.f().set_policy(&admin(), policy.clone()).unwrap_err()), "input.email-tracking-cutover:date");
    policy.email_tracking_cutover = Some("2026-03-31".into());
    w.f().set_policy(&admin(), policy.clone()).unwrap();
    let page = w.f().tracking_to_ask(&admin(), "newsletter", None, 1000).unwrap();
    assert_eq!((page.cutover.as_str(), page.past_cutover), ("2026-03-31", true));
    // Left out, it takes the default again (and the stored version says so).
    policy.email_tracking_cutover = None;
    let stored = w.f().set_policy(&admin(), policy).unwrap();
    assert_eq!(stored.settings.email_tracking_cutover.as_deref(), Some("2026-07-14"));
    // A policy giving no validity for email-tracking keeps its default (36 months).
    assert!(
        stored.settings.validity.iter().any(|v| v.kind == PurposeKind::EmailTracking && v.grant_months == Some(36))
    );

    assert_eq!(
        rule(w.f().tracking_to_ask(&admin(), "newsletter-opens", None, 10).unwrap_err()),
        "purpose:marketing-purpose"
    );
    assert_eq!(rule(w.f().tracking_to_ask(&admin(), "newsletter", None, 0).unwrap_err()), "limit:range-1-1000");
    assert!(matches!(w.f().tracking_to_ask(&visitor(), "newsletter", None, 10).unwrap_err(), Error::Forbidden(_)));
    let _ = system();
}

#[test]
fn mutated_and_random_tokens_are_typed_errors_never_a_panic_nor_a_count() {
    let (mut w, news, tracked) = shop();
    grant(&mut w, "anne@example.org", "newsletter", &news);
    grant(&mut w, "anne@example.org", "newsletter-opens", &tracked);
    let good = pixel_token(&mut w, "anne@example.org", "c").into_bytes();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.%\0\xff";
    // A small deterministic generator (xorshift): the same cases on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        usize::try_from(x % n as u64).unwrap()
    };
    for round in 0..3000 {
        let mut t = if round % 3 == 0 { Vec::new() } else { good.clone() };
        let edits = 1 + next(4);
        for _ in 0..edits {
            match next(3) {
                0 if !t.is_empty() => {
                    let i = next(t.len());
                    t[i] = alphabet[next(alphabet.len())];
                }
                1 if !t.is_empty() => {
                    t.truncate(next(t.len()));
                }
                _ => {
                    for _ in 0..next(40) {
                        t.push(alphabet[next(alphabet.len())]);
                    }
                }
            }
        }
        let s = String::from_utf8_lossy(&t).into_owned();
        if s.as_bytes() == good.as_slice() {
            continue;
        }
        match w.f().open_pixel(&visitor(), &s) {
            Err(e) => assert!(e.field_error().is_some_and(|f| f.field == "token"), "{s:?}: {e:?}"),
            Ok(counted) => assert!(!counted, "{s:?} counted"),
        }
    }
    assert!(opens(&mut w).is_empty(), "no altered token counted");
}
