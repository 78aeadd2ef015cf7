//! WIT ↔ domain mapping. Exhaustive `match`es, no casts, no rules.

use fichier_domain::model as d;
use fichier_domain::{Error, FieldError};

use crate::bindings::exports::fichier::client::{consent as c, ledger as l, settings as s};
use crate::wit;

pub fn error(e: Error) -> wit::Error {
    let fe = |f: FieldError| wit::FieldError { field: f.field, rule: f.rule, message: f.message };
    match e {
        Error::InvalidInput(f) => wit::Error::InvalidInput(fe(f)),
        Error::NotFound(f) => wit::Error::NotFound(fe(f)),
        Error::Forbidden(f) => wit::Error::Forbidden(fe(f)),
        Error::Conflict(f) => wit::Error::Conflict(fe(f)),
        Error::Corrupted(f) => wit::Error::Corrupted(fe(f)),
        Error::Config(f) => wit::Error::Config(fe(f)),
        Error::Storage(f) => wit::Error::Storage(fe(f)),
        Error::Other(m) => wit::Error::Other(m),
    }
}

fn role(r: wit::Role) -> d::Role {
    match r {
        wit::Role::Admin => d::Role::Admin,
        wit::Role::Dpo => d::Role::Dpo,
        wit::Role::Support => d::Role::Support,
        wit::Role::System => d::Role::System,
        wit::Role::Public => d::Role::Public,
    }
}

fn role_out(r: d::Role) -> wit::Role {
    match r {
        d::Role::Admin => wit::Role::Admin,
        d::Role::Dpo => wit::Role::Dpo,
        d::Role::Support => wit::Role::Support,
        d::Role::System => wit::Role::System,
        d::Role::Public => wit::Role::Public,
    }
}

pub fn actor(a: wit::Actor) -> d::Actor {
    d::Actor { id: a.id, role: role(a.role) }
}

fn actor_out(a: d::Actor) -> wit::Actor {
    wit::Actor { id: a.id, role: role_out(a.role) }
}

pub fn subject_ref(r: wit::SubjectRef) -> d::SubjectRef {
    match r {
        wit::SubjectRef::Email(e) => d::SubjectRef::Email(e),
        wit::SubjectRef::External(x) => d::SubjectRef::External(x),
        wit::SubjectRef::Subject(s) => d::SubjectRef::Subject(s),
    }
}

fn kind(k: c::PurposeKind) -> d::PurposeKind {
    match k {
        c::PurposeKind::Service => d::PurposeKind::Service,
        c::PurposeKind::Marketing => d::PurposeKind::Marketing,
        c::PurposeKind::Cookie => d::PurposeKind::Cookie,
        c::PurposeKind::Advertising => d::PurposeKind::Advertising,
    }
}

fn kind_out(k: d::PurposeKind) -> c::PurposeKind {
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

fn channel(x: c::Channel) -> d::Channel {
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

pub fn ledger_report(r: d::LedgerReport) -> l::LedgerReport {
    l::LedgerReport {
        ok: r.ok,
        subjects: r.subjects,
        receipts: r.receipts,
        anchors: r.anchors,
        failure: r.failure.map(|f| l::LedgerFailure {
            subject: f.subject,
            receipt: f.receipt,
            seq: f.seq,
            anchor: f.anchor,
            rule: f.rule,
            message: f.message,
        }),
    }
}

pub fn anchor(a: d::Anchor) -> l::Anchor {
    l::Anchor { seq: a.seq, at: a.at, subjects: a.subjects, receipts: a.receipts, root: a.root, prev: a.prev }
}

pub fn policy_input(p: s::PolicyInput) -> d::PolicyInput {
    d::PolicyInput {
        country: p.country,
        minor_ages: p.minor_ages.into_iter().map(|m| d::MinorAge { country: m.country, age: m.age }).collect(),
        default_minor_age: p.default_minor_age,
        validity: p
            .validity
            .into_iter()
            .map(|v| d::KindValidity {
                kind: kind(v.kind),
                grant_months: v.grant_months,
                refusal_months: v.refusal_months,
            })
            .collect(),
        max_future_skew_seconds: p.max_future_skew_seconds,
    }
}

pub fn policy(p: d::Policy) -> s::Policy {
    let i = p.settings;
    s::Policy {
        version: p.version,
        settings: s::PolicyInput {
            country: i.country,
            minor_ages: i.minor_ages.into_iter().map(|m| s::MinorAge { country: m.country, age: m.age }).collect(),
            default_minor_age: i.default_minor_age,
            validity: i
                .validity
                .into_iter()
                .map(|v| s::KindValidity {
                    kind: kind_out(v.kind),
                    grant_months: v.grant_months,
                    refusal_months: v.refusal_months,
                })
                .collect(),
            max_future_skew_seconds: i.max_future_skew_seconds,
        },
        changed_at: p.changed_at,
        changed_by: actor_out(p.changed_by),
    }
}
