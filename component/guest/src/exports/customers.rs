//! `customers`: the customer file (records, history, duplicates, review, events).

use fichier_domain::customers as dc;

use super::types::{self, actor_out, basis, basis_out, category, category_out, source, source_out};
use crate::bindings::exports::fichier::client::customers as cu;
use crate::{Component, run, wit};

fn field_inputs(v: Vec<cu::FieldInput>) -> Vec<dc::FieldInput> {
    v.into_iter().map(field_input).collect()
}

impl cu::Guest for Component {
    fn create(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        fields: Vec<cu::FieldInput>,
    ) -> Result<cu::Customer, wit::Error> {
        run(|f| f.create_customer(&types::actor(actor), &types::subject_ref(subject), &field_inputs(fields)), customer)
    }

    fn get(actor: wit::Actor, subject: wit::SubjectRef) -> Result<cu::Customer, wit::Error> {
        run(|f| f.get_customer(&types::actor(actor), &types::subject_ref(subject)), customer)
    }

    fn rectify(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        set: Vec<cu::FieldInput>,
        remove: Vec<String>,
    ) -> Result<cu::Customer, wit::Error> {
        run(
            |f| f.rectify_customer(&types::actor(actor), &types::subject_ref(subject), &field_inputs(set), &remove),
            customer,
        )
    }

    fn history(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<cu::FieldChange>, wit::Error> {
        run(
            |f| f.customer_history(&types::actor(actor), &types::subject_ref(subject)),
            |v| v.into_iter().map(field_change).collect(),
        )
    }

    fn delete(actor: wit::Actor, subject: wit::SubjectRef) -> Result<bool, wit::Error> {
        run(|f| f.delete_customer(&types::actor(actor), &types::subject_ref(subject)), |b| b)
    }

    fn list_customers(actor: wit::Actor, cursor: Option<String>, limit: u32) -> Result<cu::CustomerPage, wit::Error> {
        run(
            |f| f.list_customers(&types::actor(actor), cursor.as_deref(), limit),
            |(v, next)| cu::CustomerPage { customers: v.into_iter().map(customer).collect(), next },
        )
    }

    fn find_duplicates(actor: wit::Actor) -> Result<Vec<cu::DuplicatePair>, wit::Error> {
        run(|f| f.find_duplicates(&types::actor(actor)), |v| v.into_iter().map(duplicate_pair).collect())
    }

    fn merge(actor: wit::Actor, kept: wit::SubjectRef, absorbed: wit::SubjectRef) -> Result<cu::Customer, wit::Error> {
        run(
            |f| f.merge_customers(&types::actor(actor), &types::subject_ref(kept), &types::subject_ref(absorbed)),
            customer,
        )
    }

    fn review(actor: wit::Actor, cursor: Option<String>, limit: u32) -> Result<cu::ReviewPage, wit::Error> {
        run(
            |f| f.review_customers(&types::actor(actor), cursor.as_deref(), limit),
            |(entries, next, scanned)| cu::ReviewPage {
                entries: entries.into_iter().map(review_entry).collect(),
                next,
                scanned,
            },
        )
    }

    fn mark_bounced(actor: wit::Actor, subject: wit::SubjectRef) -> Result<cu::Customer, wit::Error> {
        run(|f| f.mark_bounced(&types::actor(actor), &types::subject_ref(subject)), customer)
    }

    fn reverify(actor: wit::Actor, subject: wit::SubjectRef, fields: Vec<String>) -> Result<cu::Customer, wit::Error> {
        run(|f| f.reverify_customer(&types::actor(actor), &types::subject_ref(subject), &fields), customer)
    }

    fn record_event(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        event: cu::CustomerEvent,
        at: Option<String>,
    ) -> Result<cu::Customer, wit::Error> {
        run(
            |f| {
                f.record_customer_event(
                    &types::actor(actor),
                    &types::subject_ref(subject),
                    customer_event(event),
                    at.as_deref(),
                )
            },
            customer,
        )
    }

    fn archived(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<cu::ArchivedField>, wit::Error> {
        run(
            |f| f.archived_fields(&types::actor(actor), &types::subject_ref(subject)),
            |v| v.into_iter().map(archived_field).collect(),
        )
    }
}

pub fn field_input(f: cu::FieldInput) -> dc::FieldInput {
    dc::FieldInput {
        name: f.name,
        value: f.value,
        category: f.category.map(category),
        purposes: f.purposes,
        basis: basis(f.basis),
        source: f.source.map(source),
        collected_at: f.collected_at,
        verified_at: f.verified_at,
    }
}

pub fn customer(c: dc::Customer) -> cu::Customer {
    let b = c.body;
    cu::Customer {
        subject: c.subject,
        revision: c.revision,
        fields: b.fields.into_iter().map(field_out).collect(),
        created_at: b.created_at.to_string(),
        updated_at: b.updated_at.to_string(),
        email_bounced_at: b.email_bounced_at.map(|t| t.to_string()),
        merged_from: b.merged_from,
        last_contact_at: b.last_contact_at.map(|t| t.to_string()),
        relationship_ended_at: b.relationship_ended_at.map(|t| t.to_string()),
    }
}

fn field_out(f: dc::Field) -> cu::Field {
    cu::Field {
        name: f.name,
        value: f.value,
        category: category_out(f.category),
        purposes: f.purposes,
        basis: basis_out(f.basis),
        source: source_out(f.source),
        collected_at: f.collected_at.to_string(),
        verified_at: f.verified_at.map(|t| t.to_string()),
        updated_at: f.updated_at.to_string(),
    }
}

pub fn archived_field(a: dc::ArchivedField) -> cu::ArchivedField {
    cu::ArchivedField {
        field: field_out(a.field),
        archived_at: a.archived_at.to_string(),
        until: a.until.to_string(),
        activity: a.activity,
    }
}

pub fn customer_event(e: cu::CustomerEvent) -> dc::CustomerEvent {
    match e {
        cu::CustomerEvent::Contact => dc::CustomerEvent::Contact,
        cu::CustomerEvent::RelationshipEnded => dc::CustomerEvent::RelationshipEnded,
    }
}

pub fn field_change(c: dc::FieldChange) -> cu::FieldChange {
    cu::FieldChange {
        field: c.field,
        previous: c.previous,
        value: c.value,
        reason: match c.reason {
            dc::ChangeReason::Created => cu::ChangeReason::Created,
            dc::ChangeReason::Rectified => cu::ChangeReason::Rectified,
            dc::ChangeReason::Removed => cu::ChangeReason::Removed,
            dc::ChangeReason::Merged => cu::ChangeReason::Merged,
            dc::ChangeReason::Imported => cu::ChangeReason::Imported,
            dc::ChangeReason::Reverified => cu::ChangeReason::Reverified,
            dc::ChangeReason::Bounced => cu::ChangeReason::Bounced,
            dc::ChangeReason::Expired => cu::ChangeReason::Expired,
            dc::ChangeReason::Anonymised => cu::ChangeReason::Anonymised,
            dc::ChangeReason::Archived => cu::ChangeReason::Archived,
        },
        at: c.at.to_string(),
        by: actor_out(c.by),
        from_subject: c.from_subject,
    }
}

pub fn duplicate_pair(p: fichier_domain::duplicates::Pair) -> cu::DuplicatePair {
    use fichier_domain::duplicates::Reason;
    cu::DuplicatePair {
        a: p.a,
        b: p.b,
        reason: match p.reason {
            Reason::SameEmail => cu::DuplicateReason::SameEmail,
            Reason::SamePhone => cu::DuplicateReason::SamePhone,
            Reason::SameNamePostalCode => cu::DuplicateReason::SameNamePostalCode,
            Reason::SimilarEmail => cu::DuplicateReason::SimilarEmail,
        },
        distance: p.distance,
    }
}

pub fn review_entry(e: dc::ReviewEntry) -> cu::ReviewEntry {
    cu::ReviewEntry {
        subject: e.subject,
        stale: e
            .stale
            .into_iter()
            .map(|f| cu::StaleField {
                field: f.field,
                category: category_out(f.category),
                since: f.since,
                due_at: f.due_at,
            })
            .collect(),
        email_bounced_at: e.email_bounced_at.map(|t| t.to_string()),
    }
}
