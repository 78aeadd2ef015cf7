//! `rights`: the data subjects' requests, erasure, restriction and objection, and
//! access and portability exports.

use fichier_domain::rights as d;
use fichier_domain::rights::{access as dac, restriction as dob};

use crate::bindings::exports::fichier::client::rights as w;
use crate::{Component, run, wit};

impl w::Guest for Component {
    fn new_request(actor: wit::Actor, input: w::RequestInput) -> Result<w::Request, wit::Error> {
        run(|f| f.new_request(&actor.into(), request_input(input)), request)
    }

    fn step(actor: wit::Actor, id: String, step: w::RequestStep) -> Result<w::Request, wit::Error> {
        let actor = actor.into();
        run(
            |f| match step {
                w::RequestStep::VerifyToken(token) => f.verify_token(&actor, &id, &token),
                w::RequestStep::ResendToken => f.resend_token(&actor, &id),
                w::RequestStep::ConfirmIdentity(method) => f.confirm_identity(&actor, &id, &method),
                w::RequestStep::AskIdentity(note) => f.ask_identity(&actor, &id, &note),
                w::RequestStep::Extend(reason) => f.extend_request(&actor, &id, &reason),
                w::RequestStep::Complete(note) => f.close_request(&actor, &id, d::Closing::Done, &note),
                w::RequestStep::Refuse(reasons) => f.close_request(&actor, &id, d::Closing::Refused, &reasons),
            },
            request,
        )
    }

    fn get_request(actor: wit::Actor, id: String) -> Result<w::Request, wit::Error> {
        run(|f| f.get_request(&actor.into(), &id), request)
    }

    fn list_requests(actor: wit::Actor, filter: w::RequestFilter) -> Result<Vec<w::Request>, wit::Error> {
        run(|f| f.list_requests(&actor.into(), filter.into()), |v| v.into_iter().map(request).collect())
    }

    fn erase(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        options: w::EraseOptions,
    ) -> Result<w::ErasureReport, wit::Error> {
        run(|f| f.erase(&actor.into(), &subject.into(), &erase_options(options)), erasure_report)
    }

    fn change_processing(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        change: w::ProcessingChange,
    ) -> Result<w::ProcessingState, wit::Error> {
        run(|f| f.change_processing(&actor.into(), &subject.into(), &change.into()), processing_state)
    }

    fn export_data(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        scope: w::ExportScope,
        format: w::ExportFormat,
        lang: w::Lang,
    ) -> Result<w::SubjectExport, wit::Error> {
        run(
            |f| f.export_subject(&actor.into(), &subject.into(), scope.into(), format.into(), lang.into()),
            subject_export,
        )
    }
}

enum_pairs! {
    w::RequestKind = d::RequestKind {
        Access,
        Rectification,
        Erasure,
        Restriction,
        Portability,
        Objection,
        Withdrawal,
    }
    w::RequestChannel = d::RequestChannel { WebForm, Email, Letter, Phone, InPerson }
    w::RequestFilter = d::RequestFilter { All, Open, Overdue, DueWithin(days) }
    w::RequestState = d::RequestState { AwaitingIdentity, InProgress, Done, Refused }
    w::ProcessingChange = dob::ProcessingChange { Restrict(reason), LiftRestriction, ObjectToMarketing(channel: into) }
    w::ExportScope = dac::ExportScope { Access, Portability }
}

fn request_input(i: w::RequestInput) -> d::RequestInput {
    d::RequestInput {
        subject: i.subject.into(),
        kind: i.kind.into(),
        channel: i.channel.into(),
        received_at: i.received_at,
        lang: i.lang.into(),
        details: i.details,
        identity_verified: i.identity_verified,
        doubtful: i.doubtful,
    }
}

fn request(v: d::Request) -> w::Request {
    let r = v.record;
    let (closed_at, outcome) = match r.outcome {
        Some(d::Outcome::Done { at, note }) => (Some(at.to_string()), Some(note)),
        Some(d::Outcome::Refused { at, reasons }) => (Some(at.to_string()), Some(reasons)),
        None => (None, None),
    };
    w::Request {
        id: r.id,
        subject: r.subject,
        kind: r.kind.into(),
        channel: r.channel.into(),
        lang: r.lang.into(),
        state: r.state.into(),
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
            .map(|e| w::RequestEvent { at: e.at.to_string(), by: e.by.into(), what: e.what })
            .collect(),
    }
}

fn erase_options(o: w::EraseOptions) -> fichier_domain::rights::erasure::EraseOptions {
    fichier_domain::rights::erasure::EraseOptions {
        request: o.request,
        claim: o.claim.map(|c| fichier_domain::rights::erasure::ClaimHold {
            categories: c.categories.into_iter().map(Into::into).collect(),
            reason: c.reason,
            until: c.until,
        }),
    }
}

fn erasure_report(r: fichier_domain::rights::erasure::ErasureReport) -> w::ErasureReport {
    w::ErasureReport {
        subject: r.subject,
        erased_at: r.erased_at.to_string(),
        already_erased: r.already_erased.map(|t| t.to_string()),
        deleted: r
            .deleted
            .into_iter()
            .map(|d| w::ErasedField { field: d.field, category: d.category.into(), archived: d.archived })
            .collect(),
        kept: r
            .kept
            .into_iter()
            .map(|k| w::KeptField {
                field: k.field,
                category: k.category.into(),
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

fn processing_state(s: dob::ProcessingState) -> w::ProcessingState {
    w::ProcessingState {
        subject: s.subject,
        restriction: s.restriction.map(|r| w::Restriction {
            since: r.since.to_string(),
            reason: r.reason,
            by: r.by.into(),
            lift_notice: r.lift_notice,
        }),
        lifted: s.lifted,
        opposed_until: s.opposed_until.map(|t| t.to_string()),
        purposes_stopped: s.purposes_stopped,
        fields_removed: s.fields_removed,
    }
}

fn subject_export(e: dac::SubjectExport) -> w::SubjectExport {
    w::SubjectExport { media_type: e.media_type, file_name: e.file_name, content: e.content }
}
