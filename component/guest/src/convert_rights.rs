//! WIT ↔ domain mapping for rights requests and the outbox. Exhaustive `match`es, no rules.

use fichier_domain::registry as dr;
use fichier_domain::rights as d;

use crate::bindings::exports::fichier::client::{outbox as o, registry as r, rights as w};
use crate::convert::{actor_out, subject_ref};
use crate::convert_registry::lang;

fn lang_out(l: dr::Lang) -> r::Lang {
    match l {
        dr::Lang::Fr => r::Lang::Fr,
        dr::Lang::En => r::Lang::En,
    }
}

fn kind(k: w::RequestKind) -> d::RequestKind {
    match k {
        w::RequestKind::Access => d::RequestKind::Access,
        w::RequestKind::Rectification => d::RequestKind::Rectification,
        w::RequestKind::Erasure => d::RequestKind::Erasure,
        w::RequestKind::Restriction => d::RequestKind::Restriction,
        w::RequestKind::Portability => d::RequestKind::Portability,
        w::RequestKind::Objection => d::RequestKind::Objection,
        w::RequestKind::Withdrawal => d::RequestKind::Withdrawal,
    }
}

fn kind_out(k: d::RequestKind) -> w::RequestKind {
    match k {
        d::RequestKind::Access => w::RequestKind::Access,
        d::RequestKind::Rectification => w::RequestKind::Rectification,
        d::RequestKind::Erasure => w::RequestKind::Erasure,
        d::RequestKind::Restriction => w::RequestKind::Restriction,
        d::RequestKind::Portability => w::RequestKind::Portability,
        d::RequestKind::Objection => w::RequestKind::Objection,
        d::RequestKind::Withdrawal => w::RequestKind::Withdrawal,
    }
}

fn channel(c: w::RequestChannel) -> d::RequestChannel {
    match c {
        w::RequestChannel::WebForm => d::RequestChannel::WebForm,
        w::RequestChannel::Email => d::RequestChannel::Email,
        w::RequestChannel::Letter => d::RequestChannel::Letter,
        w::RequestChannel::Phone => d::RequestChannel::Phone,
        w::RequestChannel::InPerson => d::RequestChannel::InPerson,
    }
}

fn channel_out(c: d::RequestChannel) -> w::RequestChannel {
    match c {
        d::RequestChannel::WebForm => w::RequestChannel::WebForm,
        d::RequestChannel::Email => w::RequestChannel::Email,
        d::RequestChannel::Letter => w::RequestChannel::Letter,
        d::RequestChannel::Phone => w::RequestChannel::Phone,
        d::RequestChannel::InPerson => w::RequestChannel::InPerson,
    }
}

pub fn input(i: w::RequestInput) -> d::RequestInput {
    d::RequestInput {
        subject: subject_ref(i.subject),
        kind: kind(i.kind),
        channel: channel(i.channel),
        received_at: i.received_at,
        lang: lang(i.lang),
        details: i.details,
        identity_verified: i.identity_verified,
        doubtful: i.doubtful,
    }
}

pub fn filter(f: w::RequestFilter) -> d::RequestFilter {
    match f {
        w::RequestFilter::All => d::RequestFilter::All,
        w::RequestFilter::Open => d::RequestFilter::Open,
        w::RequestFilter::Overdue => d::RequestFilter::Overdue,
        w::RequestFilter::DueWithin(n) => d::RequestFilter::DueWithin(n),
    }
}

pub fn request(v: d::Request) -> w::Request {
    let r = v.record;
    let (closed_at, outcome) = match r.outcome {
        Some(d::Outcome::Done { at, note }) => (Some(at.to_string()), Some(note)),
        Some(d::Outcome::Refused { at, reasons }) => (Some(at.to_string()), Some(reasons)),
        None => (None, None),
    };
    w::Request {
        id: r.id,
        subject: r.subject,
        kind: kind_out(r.kind),
        channel: channel_out(r.channel),
        lang: lang_out(r.lang),
        state: match r.state {
            d::RequestState::AwaitingIdentity => w::RequestState::AwaitingIdentity,
            d::RequestState::InProgress => w::RequestState::InProgress,
            d::RequestState::Done => w::RequestState::Done,
            d::RequestState::Refused => w::RequestState::Refused,
        },
        received_at: r.received_at.to_string(),
        deadline: v.deadline.to_string(),
        overdue: v.overdue,
        paused: r.paused_since.is_some(),
        extended: r.extension.map(|e| e.reason),
        doubtful: r.doubtful,
        identity_confirmed: r.identity_confirmed,
        token_expires_at: r.token.map(|t| t.expires_at.to_string()),
        closed_at,
        outcome,
        email: v.email,
        details: v.details,
        history: r
            .history
            .into_iter()
            .map(|e| w::RequestEvent { at: e.at.to_string(), by: actor_out(e.by), what: e.what })
            .collect(),
    }
}

pub fn message(m: d::Message) -> o::Message {
    o::Message {
        id: m.id,
        kind: match m.kind {
            d::MessageKind::IdentityToken => o::MessageKind::IdentityToken,
            d::MessageKind::Extension => o::MessageKind::Extension,
            d::MessageKind::Answer => o::MessageKind::Answer,
            d::MessageKind::Refusal => o::MessageKind::Refusal,
            d::MessageKind::Repermission => o::MessageKind::Repermission,
            d::MessageKind::RestrictionLifted => o::MessageKind::RestrictionLifted,
            d::MessageKind::BreachNotice => o::MessageKind::BreachNotice,
        },
        to: m.to,
        title: m.title,
        body: m.body,
        created_at: m.created_at.to_string(),
        request: m.request,
    }
}

pub fn erase_options(o: w::EraseOptions) -> fichier_domain::erasure::EraseOptions {
    fichier_domain::erasure::EraseOptions {
        request: o.request,
        claim: o.claim.map(|c| fichier_domain::erasure::ClaimHold {
            categories: c.categories.into_iter().map(crate::convert::category).collect(),
            reason: c.reason,
            until: c.until,
        }),
    }
}

pub fn erasure_report(r: fichier_domain::erasure::ErasureReport) -> w::ErasureReport {
    use crate::convert::category_out;
    w::ErasureReport {
        subject: r.subject,
        erased_at: r.erased_at.to_string(),
        already_erased: r.already_erased.map(|t| t.to_string()),
        deleted: r
            .deleted
            .into_iter()
            .map(|d| w::ErasedField { field: d.field, category: category_out(d.category), archived: d.archived })
            .collect(),
        kept: r
            .kept
            .into_iter()
            .map(|k| w::KeptField {
                field: k.field,
                category: category_out(k.category),
                rule: k.rule,
                basis: k.basis,
                until: k.until.to_string(),
            })
            .collect(),
        history_entries: r.history_entries,
        consent_receipts: r.consent_receipts,
        messages_dropped: r.messages_dropped,
        request: r.request,
    }
}

pub fn processing_change(c: w::ProcessingChange) -> fichier_domain::objection::ProcessingChange {
    use fichier_domain::objection::ProcessingChange as P;
    match c {
        w::ProcessingChange::Restrict(reason) => P::Restrict(reason),
        w::ProcessingChange::LiftRestriction => P::LiftRestriction,
        w::ProcessingChange::ObjectToMarketing(channel) => P::ObjectToMarketing(crate::convert::channel(channel)),
    }
}

pub fn processing_state(s: fichier_domain::objection::ProcessingState) -> w::ProcessingState {
    w::ProcessingState {
        subject: s.subject,
        restriction: s.restriction.map(|r| w::Restriction {
            since: r.since.to_string(),
            reason: r.reason,
            by: actor_out(r.by),
            lift_notice: r.lift_notice,
        }),
        lifted: s.lifted,
        opposed_until: s.opposed_until.map(|t| t.to_string()),
        purposes_stopped: s.purposes_stopped,
        fields_removed: s.fields_removed,
    }
}

pub fn export_scope(s: w::ExportScope) -> fichier_domain::access::ExportScope {
    match s {
        w::ExportScope::Access => fichier_domain::access::ExportScope::Access,
        w::ExportScope::Portability => fichier_domain::access::ExportScope::Portability,
    }
}

pub fn subject_export(e: fichier_domain::access::SubjectExport) -> w::SubjectExport {
    w::SubjectExport { media_type: e.media_type, file_name: e.file_name, content: e.content }
}
