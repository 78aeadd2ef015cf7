//! `outbox`: the messages the host sends on the component's behalf.

use fichier_domain::rights as d;

use super::types;
use crate::bindings::exports::fichier::client::outbox as o;
use crate::{Component, run, wit};

impl o::Guest for Component {
    fn pending(actor: wit::Actor, limit: u32) -> Result<Vec<o::Message>, wit::Error> {
        run(|f| f.outbox_pending(&types::actor(actor), limit), |v| v.into_iter().map(message).collect())
    }

    fn ack(actor: wit::Actor, id: String) -> Result<bool, wit::Error> {
        run(|f| f.outbox_ack(&types::actor(actor), &id), |b| b)
    }
}

pub fn message(m: d::Message) -> o::Message {
    o::Message {
        id: m.id,
        kind: match m.kind {
            d::MessageKind::IdentityToken => o::MessageKind::IdentityToken,
            d::MessageKind::Extension => o::MessageKind::Extension,
            d::MessageKind::Answer => o::MessageKind::Answer,
            d::MessageKind::Refusal => o::MessageKind::Refusal,
            d::MessageKind::Repermission => o::MessageKind::Repermission,
            d::MessageKind::RestrictionLifted => o::MessageKind::RestrictionLifted,
            d::MessageKind::BreachNotice => o::MessageKind::BreachNotice,
        },
        to: m.to,
        title: m.title,
        body: m.body,
        created_at: m.created_at.to_string(),
        request: m.request,
    }
}
