//! `audit`: the tamper-evident audit log.

use fichier_domain::audit as da;

use crate::bindings::exports::fichier::client::audit as au;
use crate::{Component, run, wit};

impl au::Guest for Component {
    fn verify(actor: wit::Actor) -> Result<au::AuditReport, wit::Error> {
        run(|f| f.verify_audit(&actor.into()), audit_report)
    }

    fn entries(actor: wit::Actor, after: Option<u64>, limit: u32) -> Result<au::AuditPage, wit::Error> {
        run(
            |f| f.audit_entries(&actor.into(), after, limit),
            |(entries, next)| au::AuditPage { entries: entries.into_iter().map(audit_entry).collect(), next },
        )
    }

    fn prune(actor: wit::Actor) -> Result<u64, wit::Error> {
        run(|f| f.prune_audit(&actor.into()), |n| n)
    }
}

fn audit_entry(e: da::AuditEntry) -> au::AuditEntry {
    au::AuditEntry {
        seq: e.seq,
        at: e.at.to_string(),
        actor: e.actor.into(),
        action: e.action,
        target: e.target,
        detail: e.detail,
        hash: e.hash,
    }
}

fn audit_report(r: da::AuditReport) -> au::AuditReport {
    au::AuditReport {
        ok: r.ok,
        segments: r.segments,
        entries: r.entries,
        first_seq: r.first_seq,
        last_seq: r.last_seq,
        last_hash: r.last_hash,
        pruned_through: r.pruned_through,
        failures: r
            .failures
            .into_iter()
            .map(|f| au::AuditFailure { segment: f.segment, seq: f.seq, rule: f.rule, message: f.message })
            .collect(),
    }
}
