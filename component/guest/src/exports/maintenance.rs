//! `maintenance`: rebuilding the indexes, checking every sealed record, listing subjects,
//! rotating the master key.

use fichier_domain::kernel::crypto::MasterKey;
use fichier_domain::maintenance::{RotationPhase, RotationStep};

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

    fn rotate_master_key(
        actor: wit::Actor,
        step: maintenance::RotationStep,
    ) -> Result<maintenance::RotationProgress, wit::Error> {
        use maintenance::RotationStep as W;
        let step = match step {
            W::Status => RotationStep::Status,
            W::Begin => RotationStep::Begin,
            W::Rewrap(c) => RotationStep::Rewrap(c),
            W::Commit => RotationStep::Commit,
            W::Clean(c) => RotationStep::Clean(c),
            W::Finish => RotationStep::Finish,
        };
        // The next master key, a deployment secret like the current one: read from
        // `wasi:config` by the steps that use it, never passed as an argument.
        let next = match &step {
            RotationStep::Begin | RotationStep::Rewrap(_) | RotationStep::Commit => {
                match crate::bindings::wasi::config::store::get("new_master_key") {
                    Ok(Some(v)) => Some(MasterKey::from_hex_setting("config:new_master_key", &v)),
                    Ok(None) => None,
                    Err(e) => {
                        Some(Err(fichier_domain::Error::config("config:new_master_key", "readable", format!("{e:?}"))))
                    }
                }
            }
            _ => None,
        };
        let next = match next.transpose() {
            Ok(n) => n,
            Err(e) => return Err(wit::Error::from(e)),
        };
        run(
            |f| f.rotate_master_key(&actor.into(), &step, next.as_ref()),
            |p| maintenance::RotationProgress {
                phase: match p.phase {
                    RotationPhase::Steady => maintenance::RotationPhase::Steady,
                    RotationPhase::Rewrapping => maintenance::RotationPhase::Rewrapping,
                    RotationPhase::Cleaning => maintenance::RotationPhase::Cleaning,
                },
                keys: p.keys,
                rewritten: p.rewritten,
                cursor: p.cursor,
            },
        )
    }
}
