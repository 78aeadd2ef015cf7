//! `retention`: the sweep that applies the register's retention rules.

use fichier_domain::retention as dt;

use super::registry::retention_rule_out;
use super::types::{self, category_out};
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
        run(|f| f.sweep(&types::actor(actor), &options), sweep_report)
    }
}

pub fn sweep_report(x: dt::SweepReport) -> t::SweepReport {
    t::SweepReport {
        entries: x
            .entries
            .into_iter()
            .map(|e| t::SweepEntry {
                subject: e.subject,
                field: e.field,
                category: e.category.map(category_out),
                action: match e.action {
                    dt::SweepAction::Delete => t::SweepAction::Delete,
                    dt::SweepAction::Anonymise => t::SweepAction::Anonymise,
                    dt::SweepAction::Archive => t::SweepAction::Archive,
                    dt::SweepAction::DeleteArchived => t::SweepAction::DeleteArchived,
                    dt::SweepAction::EndPurpose => t::SweepAction::EndPurpose,
                    dt::SweepAction::DeleteRecord => t::SweepAction::DeleteRecord,
                    dt::SweepAction::Repermission => t::SweepAction::Repermission,
                    dt::SweepAction::NoRule => t::SweepAction::NoRule,
                    dt::SweepAction::Restricted => t::SweepAction::Restricted,
                },
                activity: e.activity,
                purpose: e.purpose,
                rule: e.rule.map(retention_rule_out),
                due: e.due.map(|d| d.to_string()),
            })
            .collect(),
        scanned: x.scanned,
        changed: x.changed,
        next: x.next,
        applied: x.applied,
    }
}
