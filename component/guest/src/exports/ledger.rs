//! `ledger`: verifying the receipts' hash chains and their anchors.

use fichier_domain::consent::ledger as d;

use crate::bindings::exports::fichier::client::ledger as l;
use crate::{Component, run, wit};

impl l::Guest for Component {
    fn verify(actor: wit::Actor) -> Result<l::LedgerReport, wit::Error> {
        run(|f| f.verify_ledger(&actor.into()), ledger_report)
    }

    fn take_anchor(actor: wit::Actor) -> Result<l::Anchor, wit::Error> {
        run(|f| f.take_anchor(&actor.into()), anchor)
    }

    fn list_anchors(actor: wit::Actor) -> Result<Vec<l::Anchor>, wit::Error> {
        run(|f| f.list_anchors(&actor.into()), |v| v.into_iter().map(anchor).collect())
    }
}

fn ledger_report(r: d::LedgerReport) -> l::LedgerReport {
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

fn anchor(a: d::Anchor) -> l::Anchor {
    l::Anchor { seq: a.seq, at: a.at, subjects: a.subjects, receipts: a.receipts, root: a.root, prev: a.prev }
}
