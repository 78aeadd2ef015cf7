//! Consent by e-mail from the public (issue 24): a public grant by e-mail waits for its
//! confirmation (double opt-in), a public withdrawal by e-mail needs the mail's
//! unsubscribe token, and neither answer tells whether the address was known.

#![allow(clippy::unwrap_used)]

use fichier_domain::Error;
use fichier_domain::consent::optin::PublicOutcome;
use fichier_domain::consent::{Decision, NoticeInput};
use fichier_domain::kernel::store::Bucket;
use fichier_domain::kernel::types::*;
use fichier_domain::outbox::MessageKind;
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

/// A shop with a newsletter and its French notice; Anne already granted it at checkout.
fn shop() -> (World, String) {
    let mut w = World::empty("2026-04-01T10:00:00Z", 9, 2);
    w.declare(&[("newsletter", PurposeKind::Marketing)]);
    let input =
        NoticeInput { purposes: vec!["newsletter".into()], lang: "fr".into(), text: "Lettre mensuelle.".into() };
    let reference = w.f().register_notice(&admin(), input).unwrap().reference;
    let known = decision(email("anne@example.org"), "newsletter", Decision::Grant, Channel::Checkout, Some(&reference));
    w.f().record_decision(&admin(), known).unwrap();
    (w, reference)
}

fn sign_up(w: &mut World, who: &str, notice: &str) -> Result<PublicOutcome, Error> {
    w.f().sign_up(&visitor(), decision(email(who), "newsletter", Decision::Grant, Channel::WebForm, Some(notice)))
}

/// The confirmation messages waiting, (to, token).
fn confirmations(w: &mut World) -> Vec<(String, String)> {
    let page = w.f().outbox_pending(&system(), None, 100).unwrap();
    page.messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::ConsentConfirmation)
        .map(|m| {
            let token = m.body.split_whitespace().find(|t| t.contains('-') && t.len() > 26).unwrap().to_string();
            (m.to, token)
        })
        .collect()
}

#[test]
fn a_public_decision_by_e_mail_is_refused_and_writes_nothing() {
    let (mut w, reference) = shop();
    let before = w.store.raw();
    for d in [Decision::Grant, Decision::Withdraw, Decision::Refuse] {
        let input = decision(email("anne@example.org"), "newsletter", d, Channel::WebForm, Some(&reference));
        assert_eq!(
            rule(w.f().record_decision(&visitor(), input).unwrap_err()),
            "input.subject:email-confirmed-by-mail"
        );
    }
    // Staff may not claim the e-mail link channel either: only the tokens record it.
    let input = decision(email("anne@example.org"), "newsletter", Decision::Withdraw, Channel::EmailLink, None);
    assert_eq!(rule(w.f().record_decision(&admin(), input).unwrap_err()), "input.channel:email-link-by-token");
    assert_eq!(w.store.raw(), before);
    // The banner's opaque identifiers keep their direct, public path.
    let banner =
        decision(SubjectRef::External("v-1".into()), "newsletter", Decision::Withdraw, Channel::CookieBanner, None);
    assert_eq!(w.f().record_decision(&visitor(), banner).unwrap().seq, 1);
}

#[test]
fn a_sign_up_waits_for_its_confirmation_and_answers_the_same_for_known_and_unknown_addresses() {
    let (mut w, reference) = shop();
    let known = sign_up(&mut w, "anne@example.org", &reference).unwrap();
    let unknown = sign_up(&mut w, "Bruno@Example.org", &reference).unwrap();
    assert_eq!((known, unknown), (PublicOutcome::ConfirmationSent, PublicOutcome::ConfirmationSent));
    // Nothing is recorded yet: Bruno has no history, Anne only her checkout grant.
    assert!(w.f().history(&admin(), &email("bruno@example.org")).unwrap().is_empty());
    assert_eq!(w.f().history(&admin(), &email("anne@example.org")).unwrap().len(), 1);
    let sent = confirmations(&mut w);
    assert_eq!(sent.iter().map(|(to, _)| to.as_str()).collect::<Vec<_>>(), ["anne@example.org", "bruno@example.org"]);
    let token = sent[1].1.clone();
    // A wrong secret is refused like an unknown one; the right one records the grant,
    // citing the notice the form showed, through the form's channel.
    let (n, secret) = token.split_once('-').unwrap();
    let wrong = format!(
        "{n}-{}",
        if secret.starts_with('a') { secret.replacen('a', "b", 1) } else { format!("a{}", &secret[1..]) }
    );
    assert_eq!(rule(w.f().confirm_sign_up(&visitor(), &wrong).unwrap_err()), "token:token-matches");
    assert_eq!(rule(w.f().confirm_sign_up(&visitor(), "nope").unwrap_err()), "token:token-syntax");
    assert_eq!(w.f().confirm_sign_up(&visitor(), &token).unwrap(), PublicOutcome::Confirmed);
    let history = w.f().history(&admin(), &email("bruno@example.org")).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].decision, history[0].channel), (Decision::Grant, Channel::WebForm));
    assert_eq!(history[0].notice.as_ref().map(|n| n.reference.as_str()), Some(reference.as_str()));
    assert_eq!(history[0].recorded_by.role, Role::Public);
    // Single use.
    assert_eq!(rule(w.f().confirm_sign_up(&visitor(), &token).unwrap_err()), "token:token-matches");
    // A sign-up that is not a grant by e-mail with its notice is refused, naming the rule.
    let withdraw = decision(email("c@example.org"), "newsletter", Decision::Withdraw, Channel::WebForm, None);
    assert_eq!(rule(w.f().sign_up(&visitor(), withdraw).unwrap_err()), "input.decision:grant-by-sign-up");
    let no_notice = decision(email("c@example.org"), "newsletter", Decision::Grant, Channel::WebForm, None);
    assert_eq!(rule(w.f().sign_up(&visitor(), no_notice).unwrap_err()), "input.notice:grant-cites-notice");
    let by_id =
        decision(SubjectRef::External("x".into()), "newsletter", Decision::Grant, Channel::WebForm, Some(&reference));
    assert_eq!(rule(w.f().sign_up(&visitor(), by_id).unwrap_err()), "input.subject:email-subject");
}

#[test]
fn an_unconfirmed_sign_up_expires_after_the_setting_and_is_deleted() {
    let (mut w, reference) = shop();
    sign_up(&mut w, "late@example.org", &reference).unwrap();
    let token = confirmations(&mut w)[0].1.clone();
    let pending = |w: &World| {
        w.store.raw().iter().filter(|(_, k, _)| k.starts_with("optin/") && k[6..].parse::<u64>().is_ok()).count()
    };
    assert_eq!(pending(&w), 1);
    // Seven days by default: still good just before, gone after.
    w.at("2026-04-08T10:00:01Z");
    assert_eq!(rule(w.f().confirm_sign_up(&visitor(), &token).unwrap_err()), "token:token-unexpired");
    assert_eq!(pending(&w), 0, "the expired sign-up is deleted");
    assert!(w.f().history(&admin(), &email("late@example.org")).unwrap().is_empty());
    // One nobody follows is deleted by later sign-ups.
    w.at("2026-04-10T10:00:00Z");
    sign_up(&mut w, "never@example.org", &reference).unwrap();
    w.at("2026-04-18T10:00:00Z");
    sign_up(&mut w, "next@example.org", &reference).unwrap();
    assert_eq!(pending(&w), 1, "only the fresh one is left");
}

#[test]
fn an_unsubscribe_token_withdraws_in_one_step_and_cannot_be_forged() {
    let (mut w, reference) = shop();
    let anne = w.f().unsubscribe_link(&system(), &email("Anne@Example.org"), "newsletter").unwrap();
    assert!(anne.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe: {anne}");
    assert!(!anne.contains("anne"), "no address in the token");
    // Only the shop mints them.
    let refused =
        w.f().unsubscribe_link(&Actor { id: "s".into(), role: Role::Support }, &email("a@example.org"), "newsletter");
    assert!(matches!(refused, Err(Error::Forbidden(_))));
    assert_eq!(
        rule(w.f().unsubscribe_link(&system(), &email("a@example.org"), "nope").unwrap_err()),
        "purpose:declared-purpose"
    );
    // Following it withdraws, citing the purpose's current notice, through the mail.
    assert_eq!(w.f().unsubscribe(&visitor(), &anne).unwrap(), PublicOutcome::Withdrawn);
    let history = w.f().history(&admin(), &email("anne@example.org")).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[1].decision, history[1].channel), (Decision::Withdraw, Channel::EmailLink));
    assert_eq!(history[1].notice.as_ref().map(|n| n.reference.as_str()), Some(reference.as_str()));
    // An address fichier never saw answers the same (the shop mailed it, so it may go).
    let stranger = w.f().unsubscribe_link(&admin(), &email("stranger@example.org"), "newsletter").unwrap();
    assert_eq!(w.f().unsubscribe(&visitor(), &stranger).unwrap(), PublicOutcome::Withdrawn);
    // A changed token, another key's token, or garbage: refused, nothing written.
    let before = w.store.raw();
    let mut bytes = anne.clone().into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert_eq!(rule(w.f().unsubscribe(&visitor(), &tampered).unwrap_err()), "token:token-matches");
    let mut other = World::empty("2026-04-01T10:00:00Z", 10, 2);
    other.declare(&[("newsletter", PurposeKind::Marketing)]);
    let foreign = other.f().unsubscribe_link(&system(), &email("anne@example.org"), "newsletter").unwrap();
    assert_eq!(rule(w.f().unsubscribe(&visitor(), &foreign).unwrap_err()), "token:token-matches");
    assert_eq!(rule(w.f().unsubscribe(&visitor(), "%%%").unwrap_err()), "token:token-syntax");
    assert_eq!(w.store.raw(), before);
}

#[test]
fn the_sweep_deletes_the_sign_ups_nobody_confirmed() {
    use fichier_domain::retention::SweepOptions;
    let (mut w, reference) = shop();
    for i in 0..40 {
        sign_up(&mut w, &format!("p{i}@example.org"), &reference).unwrap();
    }
    let pending = |w: &World| {
        w.store.raw().iter().filter(|(_, k, _)| k.starts_with("optin/") && k[6..].parse::<u64>().is_ok()).count()
    };
    assert_eq!(pending(&w), 40);
    w.at("2026-04-09T10:00:00Z");
    let options = SweepOptions { apply: false, cursor: None, limit: 100, repermission_days: 30 };
    w.f().sweep(&admin(), &options).unwrap();
    assert_eq!(pending(&w), 40, "a dry run deletes nothing");
    let options = SweepOptions { apply: true, ..options };
    w.f().sweep(&admin(), &options).unwrap();
    assert_eq!(pending(&w), 0);
}

/// A sealed value altered in place: its last byte flipped.
fn tamper(w: &mut World, key: &str) {
    let (_, _, mut bytes) = w.store.raw().into_iter().find(|(b, k, _)| *b == Bucket::Data && k == key).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    w.store.raw_set(Bucket::Data, key, bytes);
}

/// Art. 32(1)(b)-(d): `verify-store` opens every sealed record — the outbox's messages
/// and the sign-ups waiting for their confirmation too — and names each that does not.
#[test]
fn verify_store_opens_the_outbox_messages_and_the_waiting_sign_ups() {
    let (mut w, reference) = shop();
    for who in ["bruno@example.org", "chloe@example.org"] {
        assert_eq!(sign_up(&mut w, who, &reference).unwrap(), PublicOutcome::ConfirmationSent);
    }
    let report = w.f().verify_store(&admin()).unwrap();
    assert_eq!((report.messages, report.sign_ups, report.damaged.len()), (2, 2, 0), "{report:?}");

    // A confirmed sign-up keeps nothing sealed: it is not counted.
    let (_, token) = confirmations(&mut w).into_iter().find(|(to, _)| to == "bruno@example.org").unwrap();
    w.f().confirm_sign_up(&visitor(), &token).unwrap();
    let report = w.f().verify_store(&admin()).unwrap();
    assert_eq!((report.messages, report.sign_ups), (2, 1), "{report:?}");

    // Chloé's sign-up and the first message altered: both named, with the place and rule.
    let chloe = w.f().subject_id("s", &email("chloe@example.org")).unwrap();
    tamper(&mut w, "optin/2");
    tamper(&mut w, "outbox/message/1");
    let report = w.f().verify_store(&admin()).unwrap();
    let named: Vec<(&str, &str)> = report.damaged.iter().map(|d| (d.place.as_str(), d.rule.as_str())).collect();
    assert_eq!(
        named,
        [("store:default/outbox/message/1", "aead-authentic"), ("store:default/optin/2", "aead-authentic")],
        "{report:?}"
    );
    assert_eq!(report.damaged[1].subject, chloe);
    assert_eq!((report.messages, report.sign_ups), (2, 1));
}

/// Art. 17(1): an erasure deletes the person's sign-up waiting for its confirmation with
/// the rest (not only when it expires), and its link no longer confirms anything.
#[test]
fn an_erasure_deletes_the_persons_waiting_sign_up() {
    let (mut w, reference) = shop();
    sign_up(&mut w, "bruno@example.org", &reference).unwrap();
    sign_up(&mut w, "chloe@example.org", &reference).unwrap();
    let tokens = confirmations(&mut w);
    let options = fichier_domain::rights::erasure::EraseOptions { request: None, claim: None };
    // Bruno has nothing else stored: the sign-up alone is something to erase.
    let report = w.f().erase(&admin(), &email("bruno@example.org"), &options).unwrap();
    assert_eq!(report.already_erased, None);
    assert_eq!(report.messages_dropped, 1, "his confirmation message goes too");
    assert!(w.store.raw().iter().all(|(_, k, _)| k != "optin/1"), "the sign-up is deleted");
    let bruno = tokens.iter().find(|(to, _)| to == "bruno@example.org").unwrap();
    assert!(w.f().confirm_sign_up(&visitor(), &bruno.1).is_err());
    // Chloé's is untouched and still confirms.
    let chloe = tokens.iter().find(|(to, _)| to == "chloe@example.org").unwrap();
    assert_eq!(w.f().confirm_sign_up(&visitor(), &chloe.1).unwrap(), PublicOutcome::Confirmed);
    let report = w.f().verify_store(&admin()).unwrap();
    assert!(report.damaged.is_empty(), "{report:?}");
}
