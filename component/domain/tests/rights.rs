//! Rights requests on the in-memory store: lifecycle, deadlines on the Paris calendar
//! (month ends, extension, the clock stopped while identity is checked), identity tokens
//! (hashed, expiring, single use, limited tries), the outbox, roles and bad input. The
//! component runs the same through wasmtime (conformance case `rights-01-requests`).

#![allow(clippy::unwrap_used)]

use fichier_domain::Error;
use fichier_domain::kernel::types::{Lang, *};
use fichier_domain::outbox::*;
use fichier_domain::rights::*;
use support::World;

mod support;
use support::rule;

fn actor(role: Role) -> Actor {
    Actor { id: format!("{role:?}").to_lowercase(), role }
}

impl World {
    fn new(now: &str) -> Self {
        World::empty(now, 5, 11)
    }

    /// The token in the newest identity message, and that message's id.
    fn token(&mut self) -> (String, String) {
        let pending = self.f().outbox_pending(&actor(Role::System), None, 1000).unwrap().messages;
        let m = pending.iter().rev().find(|m| m.kind == MessageKind::IdentityToken).expect("a token message");
        let token = m.body.split_whitespace().find(|w| w.len() == 24 && w.chars().all(|c| c.is_ascii_alphanumeric()));
        (token.expect("the token in the message").to_string(), m.id.clone())
    }
}

fn input(email: &str) -> RequestInput {
    RequestInput {
        subject: SubjectRef::Email(email.into()),
        kind: RequestKind::Access,
        channel: RequestChannel::WebForm,
        received_at: None,
        lang: Lang::Fr,
        details: Some("Je veux une copie de mes données.".into()),
        identity_verified: false,
        doubtful: None,
    }
}

#[test]
fn a_request_goes_from_token_to_answer_with_the_clock_stopped_meanwhile() {
    let mut w = World::new("2026-01-10T09:00:00Z");
    let r = w.f().new_request(&actor(Role::Support), input("Anne@Example.org")).unwrap();
    assert_eq!((r.record.id.as_str(), r.record.state), ("R-000001", RequestState::AwaitingIdentity));
    assert_eq!(r.email.as_deref(), Some("anne@example.org"));
    let (token, message) = w.token();
    let pending = w.f().outbox_pending(&actor(Role::System), None, 10).unwrap().messages;
    assert_eq!(pending[0].to, "anne@example.org");
    assert!(pending[0].title.contains("R-000001") && pending[0].body.contains("13/01/2026 10:00"), "{pending:?}");

    // Two days later the person types the code (a wrong one first).
    w.at("2026-01-12T09:00:00Z");
    let e = w.f().verify_token(&actor(Role::Public), "R-000001", "AAAAAAAAAAAAAAAAAAAAAAAA").unwrap_err();
    assert_eq!(rule(e), "token:token-matches");
    let r = w.f().verify_token(&actor(Role::Public), "R-000001", &token.to_lowercase()).unwrap();
    assert_eq!(r.record.state, RequestState::InProgress);
    // One month from receipt, plus the two days spent waiting for the person: due 12
    // February, to the end of that day in Paris (Reg. 1182/71 art. 3).
    assert_eq!(r.deadline.to_string(), "2026-02-12T22:59:59.999Z");
    let e = w.f().verify_token(&actor(Role::Public), "R-000001", &token).unwrap_err();
    assert_eq!(rule(e), "id:awaiting-identity");

    // The token leaves the store with its message; only its hash stays.
    assert!(w.f().outbox_ack(&actor(Role::System), &message).unwrap());
    assert!(!w.f().outbox_ack(&actor(Role::System), &message).unwrap(), "a second ack says it was gone");
    let raw: Vec<u8> = w.store.raw().into_iter().flat_map(|(_, k, v)| [k.into_bytes(), v].concat()).collect();
    assert!(!raw.windows(token.len()).any(|x| x == token.as_bytes()), "the token is stored only hashed");
    assert!(!raw.windows(16).any(|x| x == b"anne@example.org"), "the address is sealed");

    // Support may not decide; the DPO answers; the person is told.
    let e = w.f().close_request(&actor(Role::Support), "R-000001", Closing::Done, "Copie envoyée.").unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)));
    let r = w.f().close_request(&actor(Role::Dpo), "R-000001", Closing::Done, "Copie envoyée.").unwrap();
    assert_eq!(r.record.state, RequestState::Done);
    let answer = w.f().outbox_pending(&actor(Role::Admin), None, 10).unwrap().messages;
    assert_eq!((answer.len(), answer[0].kind), (1, MessageKind::Answer));
    let e = w.f().close_request(&actor(Role::Dpo), "R-000001", Closing::Refused, "Trop tard.").unwrap_err();
    assert_eq!(rule(e), "id:request-open");

    // Every step is in the audit log, by subject id only.
    let (log, _) = w.f().audit_entries(&actor(Role::Dpo), None, 100).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in
        ["rights.received", "rights.token-sent", "rights.token-verified", "rights.done", "outbox.read", "outbox.sent"]
    {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(log.iter().all(|e| !e.detail.contains("anne") && !e.target.contains("anne")));
    assert!(w.f().verify_audit(&actor(Role::Dpo)).unwrap().ok);
}

#[test]
fn deadlines_follow_the_shop_calendar() {
    // (received, extended, deadline): the end (24:00 Paris) of the due date.
    let table = [
        ("2026-01-31T10:00:00Z", false, "2026-02-28T22:59:59.999Z"),
        ("2024-01-31T10:00:00Z", false, "2024-02-29T22:59:59.999Z"),
        // 31 January, three months on: 30 April, in summer time.
        ("2026-01-31T10:00:00Z", true, "2026-04-30T21:59:59.999Z"),
        // 29 March 00:30 in Paris (the night clocks go forward) → 29 April.
        ("2026-03-28T23:30:00Z", false, "2026-04-29T21:59:59.999Z"),
        // 1 January 00:30 in Paris → 1 February.
        ("2026-12-31T23:30:00Z", false, "2027-02-01T22:59:59.999Z"),
        // 31 October 2026, 12:00 in Paris, after clocks went back → 30 November.
        ("2026-10-31T11:00:00Z", false, "2026-11-30T22:59:59.999Z"),
    ];
    for (received, extended, due) in table {
        let mut w = World::new(received);
        let mut i = input("bob@example.org");
        i.identity_verified = true;
        let r = w.f().new_request(&actor(Role::System), i).unwrap();
        assert_eq!(r.record.state, RequestState::InProgress);
        let r = if extended {
            w.f().extend_request(&actor(Role::Dpo), &r.record.id, "Demande complexe.").unwrap()
        } else {
            r
        };
        assert_eq!(r.deadline.to_string(), due, "{received} extended {extended}");
    }
}

#[test]
fn extensions_are_once_within_the_first_month_and_lists_show_what_is_due() {
    let mut w = World::new("2026-03-02T10:00:00Z");
    let mut i = input("chloe@example.org");
    i.identity_verified = true;
    i.received_at = Some("2026-03-01T10:00:00Z".into());
    w.f().new_request(&actor(Role::Support), i.clone()).unwrap();
    i.subject = SubjectRef::Email("denis@example.org".into());
    w.f().new_request(&actor(Role::Support), i).unwrap();
    // 25 March: both due within 7 days, none overdue.
    w.at("2026-03-25T10:00:00Z");
    let due = w.f().list_requests(&actor(Role::Support), RequestFilter::DueWithin(7)).unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|r| r.email.is_none() && r.details.is_none()), "lists carry no personal data");
    let e = w.f().extend_request(&actor(Role::Dpo), "R-000001", " ").unwrap_err();
    assert_eq!(rule(e), "reason:non-empty");
    let r = w.f().extend_request(&actor(Role::Dpo), "R-000001", "Plusieurs bases à interroger.").unwrap();
    assert_eq!(r.deadline.to_string(), "2026-06-01T21:59:59.999Z");
    let e = w.f().extend_request(&actor(Role::Dpo), "R-000001", "Encore.").unwrap_err();
    assert_eq!(rule(e), "id:extend-once");
    // 2 April: the second is overdue and can no longer be extended.
    w.at("2026-04-02T10:00:00Z");
    let overdue = w.f().list_requests(&actor(Role::Dpo), RequestFilter::Overdue).unwrap();
    assert_eq!(overdue.iter().map(|r| r.record.id.as_str()).collect::<Vec<_>>(), ["R-000002"]);
    let e = w.f().extend_request(&actor(Role::Dpo), "R-000002", "Trop tard.").unwrap_err();
    assert_eq!(rule(e), "id:within-first-month");
    let open = w.f().list_requests(&actor(Role::Dpo), RequestFilter::Open).unwrap();
    assert_eq!(open.iter().map(|r| r.record.id.as_str()).collect::<Vec<_>>(), ["R-000002", "R-000001"]);
    // A refusal needs its reasons, and tells the person they may complain to the CNIL.
    let e = w.f().close_request(&actor(Role::Dpo), "R-000002", Closing::Refused, "").unwrap_err();
    assert_eq!(rule(e), "reasons:non-empty");
    w.f().close_request(&actor(Role::Dpo), "R-000002", Closing::Refused, "Demande manifestement excessive.").unwrap();
    let m = w.f().outbox_pending(&actor(Role::System), None, 10).unwrap().messages;
    let refusal = m.iter().find(|m| m.kind == MessageKind::Refusal).unwrap();
    assert!(refusal.body.contains("CNIL") && refusal.body.contains("manifestement excessive"));
    assert_eq!(w.f().list_requests(&actor(Role::Dpo), RequestFilter::All).unwrap().len(), 2);
}

/// Reg. 1182/71 art. 3(2)(b)-(c) (GDPR.md "Time limits"): a month from a receipt at 09:15
/// on 15 March ends at the end of 15 April, Paris time; the request is overdue only from
/// the next midnight, and an extension told at 18:00 on that last day is within the first
/// month (the due date becomes three months from receipt).
#[test]
fn a_period_ends_at_the_end_of_its_last_day_in_paris() {
    // 09:15 in Paris (CET) on 15 March 2026.
    let mut w = World::new("2026-03-15T08:15:00Z");
    let mut i = input("emma@example.org");
    i.identity_verified = true;
    w.f().new_request(&actor(Role::Support), i.clone()).unwrap();
    i.subject = SubjectRef::Email("felix@example.org".into());
    w.f().new_request(&actor(Role::Support), i).unwrap();
    let ids = |v: Vec<Request>| v.into_iter().map(|r| r.record.id).collect::<Vec<_>>();

    // 15 April, 09:15 in Paris (CEST): the receipt's time of day on the last day; not late.
    w.at("2026-04-15T07:15:00Z");
    let r = w.f().get_request(&actor(Role::Dpo), "R-000001").unwrap();
    assert_eq!(r.deadline.to_string(), "2026-04-15T21:59:59.999Z");
    assert!(!r.overdue);
    assert!(w.f().list_requests(&actor(Role::Dpo), RequestFilter::Overdue).unwrap().is_empty());
    // Due today: within one day.
    assert_eq!(ids(w.f().list_requests(&actor(Role::Dpo), RequestFilter::DueWithin(1)).unwrap()).len(), 2);

    // 18:00 in Paris on the last day: the extension is within the first month.
    w.at("2026-04-15T16:00:00Z");
    let r = w.f().extend_request(&actor(Role::Dpo), "R-000001", "Plusieurs bases à interroger.").unwrap();
    assert_eq!(r.deadline.to_string(), "2026-06-15T21:59:59.999Z", "three months from receipt");

    // 23:59:59.999 in Paris on the last day: still not overdue.
    w.at("2026-04-15T21:59:59.999Z");
    let r = w.f().get_request(&actor(Role::Dpo), "R-000002").unwrap();
    assert!(!r.overdue);
    assert!(w.f().list_requests(&actor(Role::Dpo), RequestFilter::Overdue).unwrap().is_empty());

    // Midnight in Paris: overdue, and too late to extend.
    w.at("2026-04-15T22:00:00Z");
    let r = w.f().get_request(&actor(Role::Dpo), "R-000002").unwrap();
    assert!(r.overdue);
    assert_eq!(ids(w.f().list_requests(&actor(Role::Dpo), RequestFilter::Overdue).unwrap()), ["R-000002"]);
    let e = w.f().extend_request(&actor(Role::Dpo), "R-000002", "Trop tard.").unwrap_err();
    assert_eq!(rule(e), "id:within-first-month");
    // Due within d days = due on a date up to today + d: the overdue one; the extended one
    // is due 15 June = 16 April (today in Paris) + 60 days.
    assert_eq!(ids(w.f().list_requests(&actor(Role::Dpo), RequestFilter::DueWithin(1)).unwrap()), ["R-000002"]);
    assert_eq!(ids(w.f().list_requests(&actor(Role::Dpo), RequestFilter::DueWithin(59)).unwrap()), ["R-000002"]);
    assert_eq!(
        ids(w.f().list_requests(&actor(Role::Dpo), RequestFilter::DueWithin(60)).unwrap()),
        ["R-000002", "R-000001"]
    );
}

#[test]
fn tokens_expire_wear_out_and_doubtful_requests_need_extra_proof() {
    let mut w = World::new("2026-05-04T08:00:00Z");
    w.f().new_request(&actor(Role::Support), input("emilie@example.org")).unwrap();
    let (first, _) = w.token();
    // 72 hours later the token is void; a new one is sent.
    w.at("2026-05-07T08:00:00Z");
    let e = w.f().verify_token(&actor(Role::Public), "R-000001", &first).unwrap_err();
    assert_eq!(rule(e), "token:token-unexpired");
    w.f().resend_token(&actor(Role::Support), "R-000001").unwrap();
    let (second, _) = w.token();
    assert_ne!(first, second);
    for _ in 0..TOKEN_ATTEMPTS {
        let e = w.f().verify_token(&actor(Role::Public), "R-000001", &first).unwrap_err();
        assert_eq!(rule(e), "token:token-matches");
    }
    let e = w.f().verify_token(&actor(Role::Public), "R-000001", &second).unwrap_err();
    assert_eq!(rule(e), "token:token-attempts", "five wrong tries void the token");

    // A doubtful request: the token is not enough, someone confirms the extra proof.
    let mut i = input("francois@example.org");
    i.doubtful = Some("Adresse différente de celle du compte.".into());
    w.f().new_request(&actor(Role::Support), i).unwrap();
    let (token, _) = w.token();
    let r = w.f().verify_token(&actor(Role::Public), "R-000002", &token).unwrap();
    assert_eq!(r.record.state, RequestState::AwaitingIdentity);
    let e = w.f().close_request(&actor(Role::Dpo), "R-000002", Closing::Done, "ok").unwrap_err();
    assert_eq!(rule(e), "id:identity-checked");
    let r =
        w.f().confirm_identity(&actor(Role::Support), "R-000002", "pièce d'identité présentée en boutique").unwrap();
    assert_eq!(r.record.state, RequestState::InProgress);
    assert_eq!(r.record.identity_confirmed.as_deref(), Some("pièce d'identité présentée en boutique"));
}

#[test]
fn bad_requests_are_refused_by_name() {
    let mut w = World::new("2026-05-04T08:00:00Z");
    let mut no_email = input("x@example.org");
    no_email.subject = SubjectRef::External("visitor-42".into());
    let mut future = input("x@example.org");
    future.received_at = Some("2026-06-01T00:00:00Z".into());
    let mut both = input("x@example.org");
    both.identity_verified = true;
    both.doubtful = Some("?".into());
    let mut long = input("x@example.org");
    long.details = Some("x".repeat(4001));
    let cases: Vec<(RequestInput, &str)> = vec![
        (no_email, "input.subject:contact-known"),
        (future, "input.received-at:not-future"),
        (both, "input.doubtful:doubt-or-verified"),
        (long, "input.details:max-length"),
        (input("not-an-email"), "input.subject.email:"),
    ];
    for (i, want) in cases {
        let got = rule(w.f().new_request(&actor(Role::Support), i).unwrap_err());
        assert!(got.starts_with(want), "{got} vs {want}");
    }
    // The public may ask only as the shop's form does: by e-mail, web form, token to come.
    let by_phone = RequestInput { channel: RequestChannel::Phone, ..input("x@example.org") };
    let verified = RequestInput { identity_verified: true, ..input("x@example.org") };
    let doubted = RequestInput { doubtful: Some("odd".into()), ..input("x@example.org") };
    let dated = RequestInput { received_at: Some("2026-01-09T09:00:00Z".into()), ..input("x@example.org") };
    let by_id = RequestInput { subject: SubjectRef::External("c-1".into()), ..input("x@example.org") };
    for i in [by_phone, verified, doubted, dated, by_id] {
        assert!(matches!(w.f().new_request(&actor(Role::Public), i), Err(Error::Forbidden(_))));
    }
    assert_eq!(rule(w.f().get_request(&actor(Role::Dpo), "R-1").unwrap_err()), "id:id-syntax");
    assert_eq!(rule(w.f().get_request(&actor(Role::Dpo), "R-000009").unwrap_err()), "id:request-exists");
    assert_eq!(rule(w.f().verify_token(&actor(Role::Public), "R-000001", "").unwrap_err()), "token:token-syntax");
    assert_eq!(rule(w.f().outbox_ack(&actor(Role::System), "M-12").unwrap_err()), "id:id-syntax");
    assert_eq!(rule(w.f().outbox_pending(&actor(Role::System), None, 0).unwrap_err()), "limit:range-1-1000");
    assert!(matches!(w.f().outbox_pending(&actor(Role::Support), None, 10), Err(Error::Forbidden(_))));
    let e = w.f().list_requests(&actor(Role::Dpo), RequestFilter::DueWithin(0)).unwrap_err();
    assert_eq!(rule(e), "filter.due-within:range-1-366");
    // Nothing was written by any of them.
    assert!(w.store.raw().is_empty(), "{:?}", w.store.raw().iter().map(|(_, k, _)| k).collect::<Vec<_>>());
}

#[test]
fn a_visitor_asks_through_the_form_and_learns_no_subject_id() {
    let mut w = World::new("2026-01-10T09:00:00Z");
    let r = w.f().new_request(&actor(Role::Public), input("Visitor@Example.org")).unwrap();
    assert_eq!((r.record.id.as_str(), r.record.state), ("R-000001", RequestState::AwaitingIdentity));
    // Neither fichier's id for the address nor the person's words come back.
    assert_eq!((r.record.subject.as_str(), r.email.as_deref(), r.details.as_deref()), ("", None, None));
    // The token went to the address typed, which proves the request is theirs.
    let (token, _) = w.token();
    let pending = w.f().outbox_pending(&actor(Role::System), None, 10).unwrap().messages;
    assert_eq!(pending[0].to, "visitor@example.org");
    let done = w.f().verify_token(&actor(Role::Public), "R-000001", &token).unwrap();
    assert_eq!(done.record.state, RequestState::InProgress);
    // Staff see the whole request.
    let seen = w.f().get_request(&actor(Role::Dpo), "R-000001").unwrap();
    assert!(!seen.record.subject.is_empty());
    assert_eq!(seen.details.as_deref(), Some("Je veux une copie de mes données."));
}

/// Art. 12(3) and 12(6), EDPB Guidelines 01/2022 §157-160 (GDPR.md "Time limits"): the
/// clock stops each time the controller asks for information that identifies the person
/// and restarts when it arrives, any number of times; the due date moves on by the days it
/// was stopped, counted on the Paris calendar as Reg. 1182/71 art. 3(1) counts a period
/// from an event (the day it stops does not count, the day it restarts does), and still
/// ends at the end of a Paris day.
#[test]
fn the_identity_check_stops_the_clock_each_time_it_is_asked() {
    // 10:00 in Paris on 5 January: due 5 February.
    let mut w = World::new("2026-01-05T09:00:00Z");
    let mut i = input("gaelle@example.org");
    i.identity_verified = true;
    let r = w.f().new_request(&actor(Role::Support), i).unwrap();
    assert_eq!(r.deadline.to_string(), "2026-02-05T22:59:59.999Z");

    // 8 January: the shop asks for the order number; the clock stops.
    w.at("2026-01-08T10:00:00Z");
    let e = w.f().ask_identity(&actor(Role::Support), "R-000001", "").unwrap_err();
    assert_eq!(rule(e), "note:non-empty");
    let e = w.f().ask_identity(&actor(Role::Public), "R-000001", "numéro de commande").unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    let r = w.f().ask_identity(&actor(Role::Support), "R-000001", "numéro de commande").unwrap();
    assert_eq!(r.record.state, RequestState::AwaitingIdentity);
    assert!(r.record.paused_since.is_some());
    let e = w.f().ask_identity(&actor(Role::Support), "R-000001", "encore").unwrap_err();
    assert_eq!(rule(e), "id:in-progress", "the clock is already stopped");
    let e = w.f().close_request(&actor(Role::Dpo), "R-000001", Closing::Done, "ok").unwrap_err();
    assert_eq!(rule(e), "id:identity-checked");

    // While stopped, the deadline moves with today: 12 January is 4 days on.
    w.at("2026-01-12T15:00:00Z");
    let r = w.f().get_request(&actor(Role::Dpo), "R-000001").unwrap();
    assert_eq!(r.deadline.to_string(), "2026-02-09T22:59:59.999Z");
    assert!(!r.overdue);
    // The answer arrives: the clock runs again, 4 days later.
    let r = w.f().confirm_identity(&actor(Role::Support), "R-000001", "numéro de commande donné").unwrap();
    assert_eq!(r.record.state, RequestState::InProgress);
    assert_eq!(r.deadline.to_string(), "2026-02-09T22:59:59.999Z");

    // A second question at 00:30 in Paris on 21 January (still the 20th in UTC), answered at
    // 09:00 on the 22nd: one Paris day, not two UTC ones.
    w.at("2026-01-20T23:30:00Z");
    w.f().ask_identity(&actor(Role::Support), "R-000001", "date de la dernière commande").unwrap();
    w.at("2026-01-22T08:00:00Z");
    let r = w.f().confirm_identity(&actor(Role::Support), "R-000001", "date donnée").unwrap();
    assert_eq!(r.deadline.to_string(), "2026-02-10T22:59:59.999Z");

    // A third, asked and answered the same day: no day stopped, the due date stays.
    w.at("2026-01-26T08:00:00Z");
    w.f().ask_identity(&actor(Role::Support), "R-000001", "adresse de livraison").unwrap();
    w.at("2026-01-26T17:00:00Z");
    let r = w.f().confirm_identity(&actor(Role::Support), "R-000001", "adresse donnée").unwrap();
    assert_eq!(r.deadline.to_string(), "2026-02-10T22:59:59.999Z");
    let whats: Vec<&str> = r.record.history.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "received; identity known",
            "identity information asked, clock stopped: numéro de commande",
            "identity confirmed: numéro de commande donné",
            "identity information asked, clock stopped: date de la dernière commande",
            "identity confirmed: date donnée",
            "identity information asked, clock stopped: adresse de livraison",
            "identity confirmed: adresse donnée",
        ],
        "each stop and restart is in the history"
    );

    // Due 10 February, to 24:00 Paris time: overdue only from that midnight.
    w.at("2026-02-10T22:59:59.999Z");
    assert!(!w.f().get_request(&actor(Role::Dpo), "R-000001").unwrap().overdue);
    w.at("2026-02-10T23:00:00Z");
    assert!(w.f().get_request(&actor(Role::Dpo), "R-000001").unwrap().overdue);

    // Closed: nothing more to ask; each stop is audited, by subject id only.
    w.f().close_request(&actor(Role::Dpo), "R-000001", Closing::Done, "Copie envoyée.").unwrap();
    let e = w.f().ask_identity(&actor(Role::Support), "R-000001", "trop tard").unwrap_err();
    assert_eq!(rule(e), "id:request-open");
    let (log, _) = w.f().audit_entries(&actor(Role::Dpo), None, 100).unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "rights.identity-asked").count(), 3);
    assert!(log.iter().all(|e| !e.detail.contains("gaelle") && !e.target.contains("gaelle")));
}

/// Art. 12(6): after the shop asks for more, a new token the person verifies also brings
/// the information that restarts the clock (the old one, used, does not).
#[test]
fn a_new_token_verified_after_a_question_restarts_the_clock() {
    let mut w = World::new("2026-03-02T09:00:00Z");
    w.f().new_request(&actor(Role::Support), input("hugo@example.org")).unwrap();
    let (first, _) = w.token();
    let r = w.f().verify_token(&actor(Role::Public), "R-000001", &first).unwrap();
    assert_eq!(
        (r.record.state, r.deadline.to_string().as_str()),
        (RequestState::InProgress, "2026-04-02T21:59:59.999Z")
    );
    w.at("2026-03-05T09:00:00Z");
    w.f().ask_identity(&actor(Role::Dpo), "R-000001", "confirmer l'adresse de livraison").unwrap();
    let e = w.f().verify_token(&actor(Role::Public), "R-000001", &first).unwrap_err();
    assert_eq!(rule(e), "token:token-unused");
    w.f().resend_token(&actor(Role::Support), "R-000001").unwrap();
    let (second, _) = w.token();
    w.at("2026-03-07T09:00:00Z");
    let r = w.f().verify_token(&actor(Role::Public), "R-000001", &second).unwrap();
    assert_eq!(r.record.state, RequestState::InProgress);
    assert_eq!(r.deadline.to_string(), "2026-04-04T21:59:59.999Z", "two days stopped");
}
