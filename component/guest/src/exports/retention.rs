//! `retention`: the sweep that applies the register's retention rules.

use fichier_domain::retention as dt;

use crate::bindings::exports::fichier::client::retention as t;
use crate::{Component, run, wit};

impl t::Guest for Component {
    fn sweep(actor: wit::Actor, options: t::SweepOptions) -> Result<t::SweepReport, wit::Error> {
        let options = dt::SweepOptions {
            apply: options.apply,
            cursor: options.cursor,
            limit: options.limit,
            repermission_days: options.repermission_days,
        };
        run(|f| f.sweep(&actor.into(), &options), sweep_report)
    }

    fn open_dispute(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        reference: String,
        fields: Vec<String>,
    ) -> Result<Vec<t::Dispute>, wit::Error> {
        run(|f| f.open_dispute(&actor.into(), &subject.into(), &reference, &fields), disputes)
    }

    fn close_dispute(
        actor: wit::Actor,
        subject: wit::SubjectRef,
        reference: String,
    ) -> Result<Vec<t::Dispute>, wit::Error> {
        run(|f| f.close_dispute(&actor.into(), &subject.into(), &reference), disputes)
    }
}

fn disputes(x: Vec<fichier_domain::customers::Dispute>) -> Vec<t::Dispute> {
    x.into_iter()
        .map(|d| t::Dispute {
            reference: d.reference,
            fields: d.fields,
            opened_at: d.opened_at.to_string(),
            opened_by: d.by.into(),
        })
        .collect()
}

enum_pairs! {
    t::SweepAction = dt::SweepAction {
        Delete,
        Anonymise,
        Archive,
        DeleteArchived,
        EndPurpose,
        DeleteRecord,
        Repermission,
        NoRule,
        Restricted,
    }
}

fn sweep_report(x: dt::SweepReport) -> t::SweepReport {
    t::SweepReport {
        entries: x
            .entries
            .into_iter()
            .map(|e| t::SweepEntry {
                subject: e.subject,
                field: e.field,
                category: e.category.map(Into::into),
                action: e.action.into(),
                activity: e.activity,
                purpose: e.purpose,
                rule: e.rule.map(Into::into),
                due: e.due.map(|d| d.to_string()),
            })
            .collect(),
        scanned: x.scanned,
        changed: x.changed,
        next: x.next,
        applied: x.applied,
        damaged: crate::exports::types::damaged(x.damaged),
    }
}
