//! `customers`: the customer file (records, history, duplicates, review, events).

use crate::exports::types::damaged;
use fichier_domain::customers as dc;

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
        run(|f| f.create_customer(&actor.into(), &subject.into(), &field_inputs(fields)), customer)
    }

    fn get(actor: wit::Actor, subject: wit::SubjectRef) -> Result<cu::Customer, wit::Error> {
        run(|f| f.get_customer(&actor.into(), &subject.into()), customer)
    }

    fn rectify(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        set: Vec<cu::FieldInput>,
        remove: Vec<String>,
    ) -> Result<cu::Customer, wit::Error> {
        run(|f| f.rectify_customer(&actor.into(), &subject.into(), &field_inputs(set), &remove), customer)
    }

    fn history(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<cu::FieldChange>, wit::Error> {
        run(|f| f.customer_history(&actor.into(), &subject.into()), |v| v.into_iter().map(field_change).collect())
    }

    fn delete(actor: wit::Actor, subject: wit::SubjectRef) -> Result<bool, wit::Error> {
        run(|f| f.delete_customer(&actor.into(), &subject.into()), |b| b)
    }

    fn list_customers(actor: wit::Actor, cursor: Option<String>, limit: u32) -> Result<cu::CustomerPage, wit::Error> {
        run(
            |f| f.list_customers(&actor.into(), cursor.as_deref(), limit),
            |p| cu::CustomerPage {
                customers: p.customers.into_iter().map(customer).collect(),
                next: p.next,
                damaged: damaged(p.damaged),
            },
        )
    }

    fn find_duplicates(
        actor: wit::Actor,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<cu::DuplicatesReport, wit::Error> {
        run(
            |f| f.find_duplicates(&actor.into(), cursor.as_deref(), limit),
            |r| cu::DuplicatesReport {
                pairs: r.pairs.into_iter().map(duplicate_pair).collect(),
                next: r.next,
                damaged: damaged(r.damaged),
            },
        )
    }

    fn merge(actor: wit::Actor, kept: wit::SubjectRef, absorbed: wit::SubjectRef) -> Result<cu::Customer, wit::Error> {
        run(|f| f.merge_customers(&actor.into(), &kept.into(), &absorbed.into()), customer)
    }

    fn review(actor: wit::Actor, cursor: Option<String>, limit: u32) -> Result<cu::ReviewPage, wit::Error> {
        run(
            |f| f.review_customers(&actor.into(), cursor.as_deref(), limit),
            |p| cu::ReviewPage {
                entries: p.entries.into_iter().map(review_entry).collect(),
                next: p.next,
                scanned: p.scanned,
                damaged: damaged(p.damaged),
            },
        )
    }

    fn mark_bounced(actor: wit::Actor, subject: wit::SubjectRef) -> Result<cu::Customer, wit::Error> {
        run(|f| f.mark_bounced(&actor.into(), &subject.into()), customer)
    }

    fn reverify(actor: wit::Actor, subject: wit::SubjectRef, fields: Vec<String>) -> Result<cu::Customer, wit::Error> {
        run(|f| f.reverify_customer(&actor.into(), &subject.into(), &fields), customer)
    }

    fn record_event(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        event: cu::CustomerEvent,
        at: Option<String>,
    ) -> Result<cu::Customer, wit::Error> {
        run(|f| f.record_customer_event(&actor.into(), &subject.into(), event.into(), at.as_deref()), customer)
    }

    fn archived(actor: wit::Actor, subject: wit::SubjectRef) -> Result<Vec<cu::ArchivedField>, wit::Error> {
        run(|f| f.archived_fields(&actor.into(), &subject.into()), |v| v.into_iter().map(archived_field).collect())
    }
}

enum_pairs! {
    cu::CustomerEvent = dc::CustomerEvent { Contact, RelationshipEnded, Login }
    cu::ChangeReason = dc::ChangeReason {
        Created,
        Rectified,
        Removed,
        Merged,
        Imported,
        Reverified,
        Bounced,
        Expired,
        Anonymised,
        Archived,
    }
    cu::DuplicateReason = fichier_domain::customers::duplicates::Reason { SameEmail, SamePhone, SameNamePostalCode, SimilarEmail }
}

fn field_input(f: cu::FieldInput) -> dc::FieldInput {
    dc::FieldInput {
        name: f.name,
        value: f.value,
        category: f.category.map(Into::into),
        purposes: f.purposes,
        basis: f.basis.into(),
        source: f.source.map(Into::into),
        collected_at: f.collected_at,
        verified_at: f.verified_at,
    }
}

fn customer(c: dc::Customer) -> cu::Customer {
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
        last_login_at: b.last_login_at.map(|t| t.to_string()),
    }
}

fn field_out(f: dc::Field) -> cu::Field {
    cu::Field {
        name: f.name,
        value: f.value,
        category: f.category.into(),
        purposes: f.purposes,
        basis: f.basis.into(),
        source: f.source.into(),
        collected_at: f.collected_at.to_string(),
        verified_at: f.verified_at.map(|t| t.to_string()),
        updated_at: f.updated_at.to_string(),
    }
}

fn archived_field(a: dc::ArchivedField) -> cu::ArchivedField {
    cu::ArchivedField {
        field: field_out(a.field),
        archived_at: a.archived_at.to_string(),
        until: a.until.to_string(),
        activity: a.activity,
    }
}

fn field_change(c: dc::FieldChange) -> cu::FieldChange {
    cu::FieldChange {
        field: c.field,
        previous: c.previous,
        value: c.value,
        reason: c.reason.into(),
        at: c.at.to_string(),
        by: c.by.into(),
        from_subject: c.from_subject,
    }
}

fn duplicate_pair(p: fichier_domain::customers::duplicates::Pair) -> cu::DuplicatePair {
    cu::DuplicatePair { a: p.a, b: p.b, reason: p.reason.into(), distance: p.distance }
}

fn review_entry(e: dc::ReviewEntry) -> cu::ReviewEntry {
    cu::ReviewEntry {
        subject: e.subject,
        stale: e
            .stale
            .into_iter()
            .map(|f| cu::StaleField { field: f.field, category: f.category.into(), since: f.since, due_at: f.due_at })
            .collect(),
        email_bounced_at: e.email_bounced_at.map(|t| t.to_string()),
    }
}
