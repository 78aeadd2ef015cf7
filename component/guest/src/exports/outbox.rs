//! `outbox`: the messages the host sends on the component's behalf.

use fichier_domain::outbox as d;

use crate::bindings::exports::fichier::client::outbox as o;
use crate::{Component, run, wit};

impl o::Guest for Component {
    fn pending(actor: wit::Actor, after: Option<String>, limit: u32) -> Result<o::MessagePage, wit::Error> {
        run(
            |f| f.outbox_pending(&actor.into(), after.as_deref(), limit),
            |p| o::MessagePage { messages: p.messages.into_iter().map(message).collect(), next: p.next },
        )
    }

    fn ack(actor: wit::Actor, id: String) -> Result<bool, wit::Error> {
        run(|f| f.outbox_ack(&actor.into(), &id), |b| b)
    }
}

enum_pairs! {
    o::MessageKind = d::MessageKind {
        IdentityToken,
        Extension,
        Answer,
        Refusal,
        Repermission,
        RestrictionLifted,
        BreachNotice,
        ConsentConfirmation,
    }
}

fn message(m: d::Message) -> o::Message {
    o::Message {
        id: m.id,
        kind: m.kind.into(),
        to: m.to,
        title: m.title,
        body: m.body,
        created_at: m.created_at.to_string(),
        request: m.request,
        token: m.token,
    }
}
