//! The outbox (the WIT `outbox` interface): the component has no network, so it queues
//! the messages to people — identity tokens, extensions, answers, refusals with the right
//! to complain, erasure reports, re-permission requests, notices that a restriction ends,
//! breach notices — each sealed under the person's key. The host or the shop's backend
//! reads them (`pending`, audited) and acknowledges each once sent (`ack`), which
//! deletes it with the token it carried.
//!
//! Stored: `outbox` — [`Outbox`], the commit point of queueing and acknowledging
//! (binary only). Rights requests, erasure, restriction, objection, the retention sweep
//! and the breach register queue through [`Fichier::queue`] and [`Fichier::queue_many`].

use serde::{Deserialize, Serialize};

use crate::audit::AuditDraft;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::{DataKey, Entropy};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, document};
use crate::kernel::time::Stamp;
use crate::kernel::types::Actor;
use crate::rights::check_id;

/// Messages the outbox holds unsent.
pub const MAX_MESSAGES: usize = 2000;
/// The key of [`Outbox`] in the data bucket.
pub(crate) const OUTBOX_KEY: &str = "outbox";

/// What a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    IdentityToken,
    Extension,
    Answer,
    Refusal,
    /// Before prospecting data ends: one request to renew consent (retention sweep).
    Repermission,
    /// A restriction of processing is about to be lifted (Art. 18(3)).
    RestrictionLifted,
    /// A breach that concerns the person (Art. 34).
    BreachNotice,
}

/// A queued message: to whom, about what, and its body sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: MessageKind,
    pub subject: String,
    pub request: Option<String>,
    pub created_at: Stamp,
    /// [`MessageBody`], sealed under the subject's key.
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

/// What is sealed of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageBody {
    pub to: String,
    pub title: String,
    pub body: String,
}

/// The messages queued and not yet acknowledged.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outbox {
    /// The last message number given.
    pub last: u64,
    pub messages: Vec<OutboxEntry>,
}
document!(Outbox, "outbox", 1, binary_only);

impl Outbox {
    /// Append a message: the next id, the body sealed under `dek` for `sid`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        kind: MessageKind,
        sid: &str,
        dek: &DataKey,
        request: Option<String>,
        plain: &[u8],
        at: Stamp,
        entropy: &mut dyn Entropy,
    ) -> String {
        self.last += 1;
        let id = format!("M-{:06}", self.last);
        let sealed = dek.seal(&format!("outbox/{id}"), sid, plain, entropy);
        self.messages.push(OutboxEntry {
            id: id.clone(),
            kind,
            subject: sid.to_string(),
            request,
            created_at: at,
            sealed,
        });
        id
    }
}

/// A message to send, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub kind: MessageKind,
    pub to: String,
    pub title: String,
    pub body: String,
    pub created_at: Stamp,
    pub request: Option<String>,
}

impl<S: Store> Fichier<'_, S> {
    /// Queue a message to `sid` (sealed under their key).
    pub(crate) fn queue(
        &mut self,
        sid: &str,
        dek: &DataKey,
        kind: MessageKind,
        request: Option<&str>,
        body: MessageBody,
    ) -> Result<String> {
        let one = (sid.to_string(), dek, request.map(str::to_string), body);
        self.queue_many(kind, vec![one])?.pop().ok_or_else(|| Error::Other("no message queued".into()))
    }

    /// Queue messages (to, key, request, body), each sealed under its person's key, in
    /// one swap of the outbox.
    pub(crate) fn queue_many(
        &mut self,
        kind: MessageKind,
        messages: Vec<(String, &DataKey, Option<String>, MessageBody)>,
    ) -> Result<Vec<String>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let now = Stamp::from_instant(self.now);
        let mut plains = Vec::with_capacity(messages.len());
        for (_, _, _, body) in &messages {
            plains.push(postcard::to_allocvec(body).map_err(|e| Error::Other(e.to_string()))?);
        }
        self.update::<Outbox, Vec<String>>(
            Bucket::Data,
            OUTBOX_KEY,
            |this, current| {
                let mut outbox = current.unwrap_or_default();
                if outbox.messages.len() + messages.len() > MAX_MESSAGES {
                    return Err(Error::conflict(
                        "outbox",
                        "outbox-full",
                        "the outbox is full: send and acknowledge its messages",
                    ));
                }
                let mut ids = Vec::with_capacity(messages.len());
                for ((sid, dek, request, _), plain) in messages.iter().zip(&plains) {
                    ids.push(outbox.push(kind, sid, dek, request.clone(), plain, now, this.entropy));
                }
                Ok(Some((outbox, ids)))
            },
            || unreachable!("queueing always writes"),
        )
    }

    /// Messages to send, oldest first, opened (the host sends them, then acknowledges).
    pub fn outbox_pending(&mut self, actor: &Actor, limit: u32) -> Result<Vec<Message>> {
        authorize(actor, Operation::DrainOutbox)?;
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "1 to 1000 messages"));
        }
        let outbox: Outbox = self.get_doc(Bucket::Data, OUTBOX_KEY)?.unwrap_or_default();
        let mut out = Vec::new();
        let mut drafts = Vec::new();
        for m in outbox.messages.into_iter().take(limit as usize) {
            let context = format!("outbox/{}", m.id);
            let dek = self.existing_data_key(&m.subject)?;
            // An erasure in progress sealed its answer under the key that replaces this one.
            let plain = match dek.open(&context, &m.subject, &m.sealed) {
                Some(p) => Some(p),
                None => self
                    .named_key(&crate::rights::erasure::staged_key(&m.subject), &m.subject, false)?
                    .and_then(|k| k.open(&context, &m.subject, &m.sealed)),
            };
            let plain = plain.ok_or_else(|| {
                Error::corrupted(place(Bucket::Data, OUTBOX_KEY), "aead-authentic", "a message fails authentication")
            })?;
            let body: MessageBody = postcard::from_bytes(&plain)
                .map_err(|e| Error::corrupted(place(Bucket::Data, OUTBOX_KEY), "decodes", format!("a message: {e}")))?;
            drafts.push(AuditDraft {
                action: "outbox.read".into(),
                target: m.subject.clone(),
                detail: format!("message={}", m.id),
            });
            out.push(Message {
                id: m.id,
                kind: m.kind,
                to: body.to,
                title: body.title,
                body: body.body,
                created_at: m.created_at,
                request: m.request,
            });
        }
        self.audit(actor, drafts)?;
        Ok(out)
    }

    /// The message was sent: it leaves the outbox (with the token it carried). `false`
    /// when it was already acknowledged.
    pub fn outbox_ack(&mut self, actor: &Actor, id: &str) -> Result<bool> {
        authorize(actor, Operation::DrainOutbox)?;
        check_id("id", id, 'M')?;
        let id_owned = id.to_string();
        let gone = self.update::<Outbox, Option<String>>(
            Bucket::Data,
            OUTBOX_KEY,
            |_, current| {
                let mut outbox = current.unwrap_or_default();
                let Some(i) = outbox.messages.iter().position(|m| m.id == id_owned) else { return Ok(None) };
                let m = outbox.messages.remove(i);
                Ok(Some((outbox, Some(m.subject))))
            },
            || None,
        )?;
        match gone {
            Some(subject) => {
                self.audit(
                    actor,
                    vec![AuditDraft { action: "outbox.sent".into(), target: subject, detail: format!("message={id}") }],
                )?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
