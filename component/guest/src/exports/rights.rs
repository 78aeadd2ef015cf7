//! `rights`: the data subjects' requests, erasure, restriction and objection, and
//! access and portability exports.

use fichier_domain::rights as d;

use super::registry::{lang, lang_out};
use super::types::{self, actor_out, category, category_out, subject_ref};
use crate::bindings::exports::fichier::client::rights as w;
use crate::{Component, run, wit};

impl w::Guest for Component {
    fn new_request(actor: wit::Actor, input: w::RequestInput) -> Result<w::Request, wit::Error> {
        run(|f| f.new_request(&types::actor(actor), request_input(input)), request)
    }

    fn step(actor: wit::Actor, id: String, step: w::RequestStep) -> Result<w::Request, wit::Error> {
        use fichier_domain::rights::Closing;
        let actor = types::actor(actor);
        run(
            |f| match step {
                w::RequestStep::VerifyToken(token) => f.verify_token(&actor, &id, &token),
                w::RequestStep::ResendToken => f.resend_token(&actor, &id),
                w::RequestStep::ConfirmIdentity(method) => f.confirm_identity(&actor, &id, &method),
                w::RequestStep::Extend(reason) => f.extend_request(&actor, &id, &reason),
                w::RequestStep::Complete(note) => f.close_request(&actor, &id, Closing::Done, &note),
                w::RequestStep::Refuse(reasons) => f.close_request(&actor, &id, Closing::Refused, &reasons),
            },
            request,
        )
    }

    fn get_request(actor: wit::Actor, id: String) -> Result<w::Request, wit::Error> {
        run(|f| f.get_request(&types::actor(actor), &id), request)
    }

    fn list_requests(actor: wit::Actor, filter: w::RequestFilter) -> Result<Vec<w::Request>, wit::Error> {
        run(|f| f.list_requests(&types::actor(actor), request_filter(filter)), |v| v.into_iter().map(request).collect())
    }

    fn erase(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        options: w::EraseOptions,
    ) -> Result<w::ErasureReport, wit::Error> {
        run(|f| f.erase(&types::actor(actor), &types::subject_ref(subject), &erase_options(options)), erasure_report)
    }

    fn change_processing(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        change: w::ProcessingChange,
    ) -> Result<w::ProcessingState, wit::Error> {
        run(
            |f| {
                let change = processing_change(change);
                f.change_processing(&types::actor(actor), &types::subject_ref(subject), &change)
            },
            processing_state,
        )
    }

    fn export_data(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        scope: w::ExportScope,
        format: w::ExportFormat,
        lang: w::Lang,
    ) -> Result<w::SubjectExport, wit::Error> {
        run(
            |f| {
                let scope = export_scope(scope);
                f.export_subject(
                    &types::actor(actor),
                    &types::subject_ref(subject),
                    scope,
                    super::registry::format(format),
                    super::registry::lang(lang),
                )
            },
            subject_export,
        )
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

pub fn request_input(i: w::RequestInput) -> d::RequestInput {
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

pub fn request_filter(f: w::RequestFilter) -> d::RequestFilter {
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

pub fn erase_options(o: w::EraseOptions) -> fichier_domain::erasure::EraseOptions {
    fichier_domain::erasure::EraseOptions {
        request: o.request,
        claim: o.claim.map(|c| fichier_domain::erasure::ClaimHold {
            categories: c.categories.into_iter().map(category).collect(),
            reason: c.reason,
            until: c.until,
        }),
    }
}

pub fn erasure_report(r: fichier_domain::erasure::ErasureReport) -> w::ErasureReport {
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
        w::ProcessingChange::ObjectToMarketing(channel) => P::ObjectToMarketing(super::consent::channel(channel)),
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
