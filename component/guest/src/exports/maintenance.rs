//! `maintenance`: rebuilding the indexes, checking every sealed record, listing subjects.

use crate::bindings::exports::fichier::client::maintenance;
use crate::{Component, run, wit};

impl maintenance::Guest for Component {
    fn reindex(actor: wit::Actor) -> Result<maintenance::ReindexReport, wit::Error> {
        run(
            |f| f.reindex(&actor.into()),
            |r| maintenance::ReindexReport {
                subjects: r.subjects,
                customers: r.customers,
                added: r.added,
                removed: r.removed,
            },
        )
    }

    fn verify_store(actor: wit::Actor) -> Result<maintenance::StoreReport, wit::Error> {
        run(
            |f| f.verify_store(&actor.into()),
            |r| maintenance::StoreReport {
                keys: r.keys,
                customers: r.customers,
                subjects: r.subjects,
                receipts: r.receipts,
                messages: r.messages,
                sign_ups: r.sign_ups,
                damaged: crate::exports::types::damaged(r.damaged),
            },
        )
    }

    fn list_subjects(
        actor: wit::Actor,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<(Vec<String>, Option<String>), wit::Error> {
        run(|f| f.list_subjects(&actor.into(), cursor.as_deref(), limit), |p| p)
    }
}
