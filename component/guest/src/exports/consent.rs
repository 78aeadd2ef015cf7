//! `consent`: purposes, notices, receipts, the banner and its rates.

use fichier_domain::consent as d;
use fichier_domain::kernel::types as dk;

use crate::bindings::exports::fichier::client::consent as c;
use crate::{Component, run, wit};

impl c::Guest for Component {
    fn declare_purpose(actor: wit::Actor, input: c::PurposeInput) -> Result<c::Purpose, wit::Error> {
        run(|f| f.declare_purpose(&actor.into(), purpose_input(input)), purpose)
    }

    fn list_purposes(actor: wit::Actor) -> Result<Vec<c::Purpose>, wit::Error> {
        run(|f| f.list_purposes(&actor.into()), |v| v.into_iter().map(purpose).collect())
    }

    fn register_notice(actor: wit::Actor, input: c::NoticeInput) -> Result<c::Notice, wit::Error> {
        run(|f| f.register_notice(&actor.into(), notice_input(input)), notice)
    }

    fn get_notice(actor: wit::Actor, reference: String) -> Result<(c::Notice, String), wit::Error> {
        run(|f| f.get_notice(&actor.into(), &reference), |(n, t)| (notice(n), t))
    }

    fn notice_for(actor: wit::Actor, purposes: Vec<String>, lang: String) -> Result<(c::Notice, String), wit::Error> {
        run(|f| f.notice_for(&actor.into(), &purposes, &lang), |(n, t)| (notice(n), t))
    }

    fn list_notices(actor: wit::Actor) -> Result<Vec<c::Notice>, wit::Error> {
        run(|f| f.list_notices(&actor.into()), |v| v.into_iter().map(notice).collect())
    }

    fn record_decision(actor: wit::Actor, mut input: c::ReceiptInput) -> Result<c::Receipt, wit::Error> {
        let customer = input.customer.take();
        run(
            |f| match customer {
                Some(c) => f.record_customer_decision(&actor.into(), &c, receipt_input(input)),
                None => f.record_decision(&actor.into(), receipt_input(input)),
            },
            receipt,
        )
    }

    fn status(actor: wit::Actor, subject: wit::SubjectRef) -> Result<c::SubjectStatus, wit::Error> {
        run(|f| f.status(&actor.into(), &subject.into()), subject_status)
    }

    fn status_with_signals(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        signals: Option<c::StatusSignals>,
    ) -> Result<c::SubjectStatus, wit::Error> {
        let signals = d::StatusSignals { gpc: signals.is_some_and(|s| s.gpc) };
        run(|f| f.status_with_signals(&actor.into(), &subject.into(), signals), subject_status)
    }

    fn history(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<c::Receipt>, wit::Error> {
        run(|f| f.history(&actor.into(), &subject.into()), |v| v.into_iter().map(receipt).collect())
    }
    fn sign_up(actor: wit::Actor, input: c::ReceiptInput) -> Result<c::PublicAnswer, wit::Error> {
        let banner_only = input.customer.is_some();
        run(
            |f| {
                if banner_only {
                    Err(d::devices::not_on_banner())
                } else {
                    f.sign_up(&actor.into(), receipt_input(input))
                }
            },
            public_answer,
        )
    }

    fn confirm(actor: wit::Actor, token: String) -> Result<c::PublicAnswer, wit::Error> {
        run(|f| f.confirm_sign_up(&actor.into(), &token), public_answer)
    }

    fn unsubscribe_link(actor: wit::Actor, subject: wit::SubjectRef, purpose: String) -> Result<String, wit::Error> {
        run(|f| f.unsubscribe_link(&actor.into(), &subject.into(), &purpose), |t| t)
    }

    fn unsubscribe(actor: wit::Actor, token: String) -> Result<c::PublicAnswer, wit::Error> {
        run(|f| f.unsubscribe(&actor.into(), &token), public_answer)
    }

    fn mint_mail_links(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        campaign: String,
        purpose: String,
    ) -> Result<c::MailLinks, wit::Error> {
        run(
            |f| f.mail_links(&actor.into(), &subject.into(), &campaign, &purpose),
            |l| {
                let link = |l: d::pixel::MailLink| c::MailLink { token: l.token, path: l.path };
                c::MailLinks { pixel: l.pixel.map(link), unsubscribe: link(l.unsubscribe) }
            },
        )
    }

    fn mint_customer_reference(
        actor: wit::Actor,
        subject: wit::SubjectRef,
    ) -> Result<c::CustomerReference, wit::Error> {
        run(
            |f| f.customer_reference(&actor.into(), &subject.into()),
            |r| c::CustomerReference { token: r.token, expires_at: r.expires_at },
        )
    }

    fn customer_choice(
        actor: wit::Actor,
        customer: String,
        lang: String,
        signals: Option<c::StatusSignals>,
    ) -> Result<Option<c::BannerChoice>, wit::Error> {
        let signals = d::StatusSignals { gpc: signals.is_some_and(|s| s.gpc) };
        run(
            |f| f.customer_choice(&actor.into(), &customer, &lang, signals),
            |o| o.map(|c| c::BannerChoice { notice: c.notice, at: c.at, granted: c.granted, refused: c.refused }),
        )
    }

    fn open_pixel(actor: wit::Actor, token: String) -> Result<(), wit::Error> {
        run(|f| f.open_pixel(&actor.into(), &token), |_counted| ())
    }

    fn opens(actor: wit::Actor, from: String, to: String) -> Result<Vec<c::CampaignOpens>, wit::Error> {
        run(
            |f| f.campaign_opens(&actor.into(), &from, &to),
            |v| v.into_iter().map(|o| c::CampaignOpens { day: o.day, campaign: o.campaign, opens: o.opens }).collect(),
        )
    }

    fn tracking_to_ask(
        actor: wit::Actor,
        purpose: String,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<c::TrackingPage, wit::Error> {
        run(
            |f| f.tracking_to_ask(&actor.into(), &purpose, cursor.as_deref(), limit),
            |p| c::TrackingPage {
                purpose: p.purpose,
                tracking: p.tracking,
                cutover: p.cutover,
                past_cutover: p.past_cutover,
                subjects: p.subjects,
                damaged: p.damaged,
                next: p.next,
            },
        )
    }

    fn banner(actor: wit::Actor, lang: String) -> Result<c::BannerConfig, wit::Error> {
        run(|f| f.banner(&actor.into(), &lang), banner_config)
    }

    fn rates(actor: wit::Actor, from: String, to: String) -> Result<Vec<c::DayRates>, wit::Error> {
        run(|f| f.consent_rates(&actor.into(), &from, &to), |v| v.into_iter().map(day_rates).collect())
    }
}

enum_pairs! {
    c::PurposeKind = dk::PurposeKind { Service, Marketing, Cookie, Advertising, EmailTracking }
    c::Decision = d::Decision { Grant, Refuse, Withdraw }
    c::GivenBy = d::GivenBy { Subject, Parent }
    c::Channel = dk::Channel { WebForm, CookieBanner, Checkout, Phone, Paper, Import, EmailLink }
    c::PublicOutcome = d::optin::PublicOutcome { ConfirmationSent, Confirmed, Withdrawn }
    c::AgeDeclaration = d::AgeDeclaration { Age(age), BirthYear(year) }
    c::ConsentState = d::ConsentState { Given, Refused, Withdrawn, Expired, PendingParentalConsent, NeverAsked }
}

fn public_answer(o: d::optin::PublicOutcome) -> c::PublicAnswer {
    c::PublicAnswer { outcome: o.into() }
}

fn purpose_input(p: c::PurposeInput) -> d::PurposeInput {
    d::PurposeInput {
        id: p.id,
        kind: p.kind.into(),
        title: p.title,
        validity_months: p.validity_months,
        serves: p.serves,
    }
}

fn purpose(p: d::Purpose) -> c::Purpose {
    c::Purpose {
        id: p.id,
        kind: p.kind.into(),
        title: p.title,
        validity_months: p.validity_months,
        serves: p.serves,
        revision: p.revision,
        declared_at: p.declared_at,
        declared_by: p.declared_by.into(),
    }
}

fn notice_input(n: c::NoticeInput) -> d::NoticeInput {
    d::NoticeInput { purposes: n.purposes, lang: n.lang, text: n.text }
}

pub fn notice(n: d::Notice) -> c::Notice {
    c::Notice {
        reference: n.reference,
        purposes: n.purposes,
        lang: n.lang,
        version: n.version,
        sha256: n.sha256,
        registered_at: n.registered_at,
    }
}

fn banner_config(b: fichier_domain::consent::banner::BannerConfig) -> c::BannerConfig {
    c::BannerConfig {
        lang: b.lang,
        purposes: b
            .purposes
            .into_iter()
            .map(|p| c::BannerPurpose {
                id: p.id,
                kind: p.kind.into(),
                title: p.title,
                grant_months: p.grant_months,
                refusal_months: p.refusal_months,
            })
            .collect(),
        notice: b.notice.map(|n| c::BannerNotice { reference: n.reference, sha256: n.sha256, text: n.text }),
    }
}

fn day_rates(r: fichier_domain::consent::banner::DayRates) -> c::DayRates {
    c::DayRates { day: r.day, purpose: r.purpose, grants: r.grants, refusals: r.refusals, withdrawals: r.withdrawals }
}

fn receipt_input(r: c::ReceiptInput) -> d::ReceiptInput {
    d::ReceiptInput {
        subject: r.subject.into(),
        purpose: r.purpose,
        decision: r.decision.into(),
        given_by: r.given_by.into(),
        channel: r.channel.into(),
        notice: r.notice,
        at: r.at,
        receipt_id: r.receipt_id,
        client_ip: r.client_ip,
        user_agent: r.user_agent,
        gpc: r.gpc,
        age: r.age.map(Into::into),
    }
}

fn receipt(r: d::Receipt) -> c::Receipt {
    c::Receipt {
        id: r.id,
        subject: r.subject,
        seq: r.seq,
        purpose: r.purpose,
        decision: r.decision.into(),
        given_by: r.given_by.into(),
        channel: r.channel.into(),
        notice: r.notice.map(|n| c::NoticeCitation { reference: n.reference, sha256: n.sha256 }),
        at: r.at,
        recorded_at: r.recorded_at,
        recorded_by: r.recorded_by.into(),
        ip_truncated: r.ip_truncated,
        user_agent_sha256: r.user_agent_sha256,
        gpc: r.gpc,
        age: r.age.map(Into::into),
        banner: r.banner,
        hash: r.hash,
        prev: r.prev,
    }
}

fn subject_status(s: d::SubjectStatus) -> c::SubjectStatus {
    c::SubjectStatus {
        subject: s.subject,
        purposes: s
            .purposes
            .into_iter()
            .map(|p| c::PurposeStatus {
                purpose: p.purpose,
                state: p.state.into(),
                reason: p.reason,
                receipt: p.receipt,
                expires_at: p.expires_at,
            })
            .collect(),
    }
}
