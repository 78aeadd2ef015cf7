//! `consent`: purposes, notices, receipts, the banner and its rates.

use fichier_domain::model as d;

use super::types::{self, actor_out, subject_ref};
use crate::bindings::exports::fichier::client::consent as c;
use crate::{Component, run, wit};

impl c::Guest for Component {
    fn declare_purpose(actor: wit::Actor, input: c::PurposeInput) -> Result<c::Purpose, wit::Error> {
        run(|f| f.declare_purpose(&types::actor(actor), purpose_input(input)), purpose)
    }

    fn list_purposes(actor: wit::Actor) -> Result<Vec<c::Purpose>, wit::Error> {
        run(|f| f.list_purposes(&types::actor(actor)), |v| v.into_iter().map(purpose).collect())
    }

    fn register_notice(actor: wit::Actor, input: c::NoticeInput) -> Result<c::Notice, wit::Error> {
        run(|f| f.register_notice(&types::actor(actor), notice_input(input)), notice)
    }

    fn get_notice(actor: wit::Actor, reference: String) -> Result<(c::Notice, String), wit::Error> {
        run(|f| f.get_notice(&types::actor(actor), &reference), |(n, t)| (notice(n), t))
    }

    fn notice_for(actor: wit::Actor, purposes: Vec<String>, lang: String) -> Result<(c::Notice, String), wit::Error> {
        run(|f| f.notice_for(&types::actor(actor), &purposes, &lang), |(n, t)| (notice(n), t))
    }

    fn list_notices(actor: wit::Actor) -> Result<Vec<c::Notice>, wit::Error> {
        run(|f| f.list_notices(&types::actor(actor)), |v| v.into_iter().map(notice).collect())
    }

    fn record_decision(actor: wit::Actor, input: c::ReceiptInput) -> Result<c::Receipt, wit::Error> {
        run(|f| f.record_decision(&types::actor(actor), receipt_input(input)), receipt)
    }

    fn status(actor: wit::Actor, subject: wit::SubjectRef) -> Result<c::SubjectStatus, wit::Error> {
        run(|f| f.status(&types::actor(actor), &types::subject_ref(subject)), subject_status)
    }

    fn history(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<c::Receipt>, wit::Error> {
        run(|f| f.history(&types::actor(actor), &types::subject_ref(subject)), |v| v.into_iter().map(receipt).collect())
    }
    fn banner(actor: wit::Actor, lang: String) -> Result<c::BannerConfig, wit::Error> {
        run(|f| f.banner(&types::actor(actor), &lang), banner_config)
    }

    fn rates(actor: wit::Actor, from: String, to: String) -> Result<Vec<c::DayRates>, wit::Error> {
        run(|f| f.consent_rates(&types::actor(actor), &from, &to), |v| v.into_iter().map(day_rates).collect())
    }
}

pub fn kind(k: c::PurposeKind) -> d::PurposeKind {
    match k {
        c::PurposeKind::Service => d::PurposeKind::Service,
        c::PurposeKind::Marketing => d::PurposeKind::Marketing,
        c::PurposeKind::Cookie => d::PurposeKind::Cookie,
        c::PurposeKind::Advertising => d::PurposeKind::Advertising,
    }
}

pub fn kind_out(k: d::PurposeKind) -> c::PurposeKind {
    match k {
        d::PurposeKind::Service => c::PurposeKind::Service,
        d::PurposeKind::Marketing => c::PurposeKind::Marketing,
        d::PurposeKind::Cookie => c::PurposeKind::Cookie,
        d::PurposeKind::Advertising => c::PurposeKind::Advertising,
    }
}

pub fn purpose_input(p: c::PurposeInput) -> d::PurposeInput {
    d::PurposeInput { id: p.id, kind: kind(p.kind), title: p.title, validity_months: p.validity_months }
}

pub fn purpose(p: d::Purpose) -> c::Purpose {
    c::Purpose {
        id: p.id,
        kind: kind_out(p.kind),
        title: p.title,
        validity_months: p.validity_months,
        revision: p.revision,
        declared_at: p.declared_at,
        declared_by: actor_out(p.declared_by),
    }
}

pub fn notice_input(n: c::NoticeInput) -> d::NoticeInput {
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

pub fn banner_config(b: fichier_domain::banner::BannerConfig) -> c::BannerConfig {
    c::BannerConfig {
        lang: b.lang,
        purposes: b
            .purposes
            .into_iter()
            .map(|p| c::BannerPurpose {
                id: p.id,
                kind: kind_out(p.kind),
                title: p.title,
                grant_months: p.grant_months,
                refusal_months: p.refusal_months,
            })
            .collect(),
        notice: b.notice.map(|n| c::BannerNotice { reference: n.reference, sha256: n.sha256, text: n.text }),
    }
}

pub fn day_rates(r: fichier_domain::banner::DayRates) -> c::DayRates {
    c::DayRates { day: r.day, purpose: r.purpose, grants: r.grants, refusals: r.refusals, withdrawals: r.withdrawals }
}

fn decision(x: c::Decision) -> d::Decision {
    match x {
        c::Decision::Grant => d::Decision::Grant,
        c::Decision::Refuse => d::Decision::Refuse,
        c::Decision::Withdraw => d::Decision::Withdraw,
    }
}

fn decision_out(x: d::Decision) -> c::Decision {
    match x {
        d::Decision::Grant => c::Decision::Grant,
        d::Decision::Refuse => c::Decision::Refuse,
        d::Decision::Withdraw => c::Decision::Withdraw,
    }
}

fn given_by(x: c::GivenBy) -> d::GivenBy {
    match x {
        c::GivenBy::Subject => d::GivenBy::Subject,
        c::GivenBy::Parent => d::GivenBy::Parent,
    }
}

fn given_by_out(x: d::GivenBy) -> c::GivenBy {
    match x {
        d::GivenBy::Subject => c::GivenBy::Subject,
        d::GivenBy::Parent => c::GivenBy::Parent,
    }
}

pub fn channel(x: c::Channel) -> d::Channel {
    match x {
        c::Channel::WebForm => d::Channel::WebForm,
        c::Channel::CookieBanner => d::Channel::CookieBanner,
        c::Channel::Checkout => d::Channel::Checkout,
        c::Channel::Phone => d::Channel::Phone,
        c::Channel::Paper => d::Channel::Paper,
        c::Channel::Import => d::Channel::Import,
    }
}

fn channel_out(x: d::Channel) -> c::Channel {
    match x {
        d::Channel::WebForm => c::Channel::WebForm,
        d::Channel::CookieBanner => c::Channel::CookieBanner,
        d::Channel::Checkout => c::Channel::Checkout,
        d::Channel::Phone => c::Channel::Phone,
        d::Channel::Paper => c::Channel::Paper,
        d::Channel::Import => c::Channel::Import,
    }
}

fn age(x: c::AgeDeclaration) -> d::AgeDeclaration {
    match x {
        c::AgeDeclaration::Age(a) => d::AgeDeclaration::Age(a),
        c::AgeDeclaration::BirthYear(y) => d::AgeDeclaration::BirthYear(y),
    }
}

fn age_out(x: d::AgeDeclaration) -> c::AgeDeclaration {
    match x {
        d::AgeDeclaration::Age(a) => c::AgeDeclaration::Age(a),
        d::AgeDeclaration::BirthYear(y) => c::AgeDeclaration::BirthYear(y),
    }
}

pub fn receipt_input(r: c::ReceiptInput) -> d::ReceiptInput {
    d::ReceiptInput {
        subject: subject_ref(r.subject),
        purpose: r.purpose,
        decision: decision(r.decision),
        given_by: given_by(r.given_by),
        channel: channel(r.channel),
        notice: r.notice,
        at: r.at,
        receipt_id: r.receipt_id,
        client_ip: r.client_ip,
        user_agent: r.user_agent,
        gpc: r.gpc,
        age: r.age.map(age),
    }
}

pub fn receipt(r: d::Receipt) -> c::Receipt {
    c::Receipt {
        id: r.id,
        subject: r.subject,
        seq: r.seq,
        purpose: r.purpose,
        decision: decision_out(r.decision),
        given_by: given_by_out(r.given_by),
        channel: channel_out(r.channel),
        notice: r.notice.map(|n| c::NoticeCitation { reference: n.reference, sha256: n.sha256 }),
        at: r.at,
        recorded_at: r.recorded_at,
        recorded_by: actor_out(r.recorded_by),
        ip_truncated: r.ip_truncated,
        user_agent_sha256: r.user_agent_sha256,
        gpc: r.gpc,
        age: r.age.map(age_out),
        hash: r.hash,
        prev: r.prev,
    }
}

fn state_out(s: d::ConsentState) -> c::ConsentState {
    match s {
        d::ConsentState::Given => c::ConsentState::Given,
        d::ConsentState::Refused => c::ConsentState::Refused,
        d::ConsentState::Withdrawn => c::ConsentState::Withdrawn,
        d::ConsentState::Expired => c::ConsentState::Expired,
        d::ConsentState::PendingParentalConsent => c::ConsentState::PendingParentalConsent,
        d::ConsentState::NeverAsked => c::ConsentState::NeverAsked,
    }
}

pub fn subject_status(s: d::SubjectStatus) -> c::SubjectStatus {
    c::SubjectStatus {
        subject: s.subject,
        purposes: s
            .purposes
            .into_iter()
            .map(|p| c::PurposeStatus {
                purpose: p.purpose,
                state: state_out(p.state),
                reason: p.reason,
                receipt: p.receipt,
                expires_at: p.expires_at,
            })
            .collect(),
    }
}
