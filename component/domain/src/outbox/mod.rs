//! The outbox (the WIT `outbox` interface): the component has no network, so it queues
//! the messages to people — identity tokens, extensions, answers, refusals with the right
//! to complain, erasure reports, re-permission requests, notices that a restriction ends,
//! breach notices — each sealed under the person's key. The host or the shop's backend
//! reads them by page (`pending`, audited) and acknowledges each once sent (`ack`), which
//! deletes it with the token it carried.
//!
//! Stored, each message its own entry so that queueing and acknowledging cost the same
//! whatever the outbox holds:
//! - `outbox/seq` — [`OutboxSeq`], the last message number given: one small swap per
//!   queueing gives the numbers, never given twice (a number given and never written, a
//!   crash between the two, leaves a gap, which lists skip);
//! - `outbox/message/<n>` — [`OutboxEntry`], written once under its fresh number (the commit
//!   point of queueing it), deleted by its acknowledgement (the commit point of that);
//! - `outbox/removed` — [`OutboxRemoved`], how many numbers are gone (acknowledged, dropped
//!   by an erasure, never written): counted after the delete, so a crash between them
//!   over-counts what waits, never under-counts it; `last - removed` is what waits, held
//!   under [`MAX_MESSAGES`];
//! - `outbox/low` — [`OutboxLow`], a hint: every number up to it is gone, so a first page
//!   starts after it (moved by first pages).
//!
//! The single `outbox` document of earlier versions ([`Outbox`]) is split into entries the
//! first time the outbox is used (its numbers kept), then deleted.
//! Rights requests, erasure, restriction, objection, the retention sweep and the breach
//! register queue through [`Fichier::queue`] and [`Fichier::queue_many`].

use serde::{Deserialize, Serialize};

use crate::audit::AuditDraft;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::{DataKey, Entropy};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store, document, storage_error};
use crate::kernel::time::Stamp;
use crate::kernel::types::Actor;

/// Messages the outbox holds unsent: past it, queueing is refused (`outbox-full`) until
/// the host sends and acknowledges; it keeps an outbox nobody drains from growing without
/// end (a public sign-up queues a confirmation).
pub const MAX_MESSAGES: u64 = 20_000;
/// The key of the single outbox document of earlier versions (split on first use).
pub(crate) const OUTBOX_KEY: &str = "outbox";
const SEQ_KEY: &str = "outbox/seq";
const REMOVED_KEY: &str = "outbox/removed";
const LOW_KEY: &str = "outbox/low";
/// Numbers read per batch when listing.
const SCAN_BATCH: u64 = 128;
/// Numbers a page reads at most (gaps included): a page may come back short, with a cursor.
const SCAN_BUDGET: u64 = 4096;

/// The key of message number `n`.
pub(crate) fn message_key(n: u64) -> String {
    format!("outbox/message/{n}")
}

/// The id of message number `n`: `M-000001`, … (more digits past 999 999).
fn message_id(n: u64) -> String {
    format!("M-{n:06}")
}

/// The number of a message id, checked: `M-` then 6 to 18 digits.
pub(crate) fn message_number(field: &str, id: &str) -> Result<u64> {
    let digits = id.strip_prefix("M-").unwrap_or("");
    let ok = (6..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    match digits.parse::<u64>() {
        Ok(n) if ok && n > 0 => Ok(n),
        _ => Err(Error::invalid(field, "id-syntax", "an id looks like M-000001")),
    }
}

/// The last message number given.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OutboxSeq {
    pub last: u64,
}
document!(OutboxSeq, "outbox-seq", 1, binary_only);

/// How many message numbers are gone (see the module's documentation).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OutboxRemoved {
    pub count: u64,
}
document!(OutboxRemoved, "outbox-removed", 1, binary_only);

/// Every message number up to `upto` is gone (a hint for the first page). A number is
/// given before its entry is written, within the call that queues it: a first page passes
/// an absent number only if it was already given when the previous first page looked
/// (`seen`), so a message being written is never passed over.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OutboxLow {
    pub upto: u64,
    /// The last number given when the previous first page was read.
    pub seen: u64,
}
document!(OutboxLow, "outbox-low", 1, binary_only);

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
    /// A public sign-up by e-mail: the link that confirms it (double opt-in).
    ConsentConfirmation,
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
document!(OutboxEntry, "outbox-message", 1, binary_only);

impl OutboxEntry {
    /// A message numbered `n` to `sid`, its body sealed under `dek`.
    #[allow(clippy::too_many_arguments)]
    fn seal(
        n: u64,
        kind: MessageKind,
        sid: &str,
        dek: &DataKey,
        request: Option<String>,
        plain: &[u8],
        at: Stamp,
        entropy: &mut dyn Entropy,
    ) -> Self {
        let id = message_id(n);
        let sealed = dek.seal(&format!("outbox/{id}"), sid, plain, entropy);
        OutboxEntry { id, kind, subject: sid.to_string(), request, created_at: at, sealed }
    }
}

/// What is sealed of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageBody {
    pub to: String,
    pub title: String,
    pub body: String,
}

/// The single outbox document of earlier versions: read once, split into entries.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outbox {
    /// The last message number given.
    pub last: u64,
    pub messages: Vec<OutboxEntry>,
}
document!(Outbox, "outbox", 1, binary_only);

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
    /// A `consent-confirmation`'s token, for the shop's confirmation link.
    pub token: Option<String>,
}

/// A page of messages to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxPage {
    pub messages: Vec<Message>,
    /// Where the next page starts (`None`: nothing after this page).
    pub next: Option<String>,
}

/// What queueing one message needs: to whom, their key, the request, the body.
pub(crate) type Queued<'k> = (String, &'k DataKey, Option<String>, MessageBody);

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

    /// Queue messages, each sealed under its person's key: their numbers are given in one
    /// small swap, then each is written as its own entry. What it costs does not depend on
    /// what the outbox holds.
    pub(crate) fn queue_many(&mut self, kind: MessageKind, messages: Vec<Queued<'_>>) -> Result<Vec<String>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let now = Stamp::from_instant(self.now);
        let mut plains = Vec::with_capacity(messages.len());
        for (_, _, _, body) in &messages {
            plains.push(postcard::to_allocvec(body).map_err(|e| Error::Other(e.to_string()))?);
        }
        let k = messages.len() as u64;
        let first = self.reserve(k)?;
        let mut ids = Vec::with_capacity(messages.len());
        for (n, ((sid, dek, request, _), plain)) in (first..).zip(messages.iter().zip(&plains)) {
            let entry = OutboxEntry::seal(n, kind, sid, dek, request.clone(), plain, now, self.entropy);
            self.set_raw(Bucket::Data, &message_key(n), &crate::kernel::store::encode(&entry))?;
            ids.push(entry.id);
        }
        Ok(ids)
    }

    /// Give `k` message numbers (one swap of `outbox/seq`): the first one. Refused when the
    /// outbox would hold more than [`MAX_MESSAGES`].
    fn reserve(&mut self, k: u64) -> Result<u64> {
        self.outbox_last()?;
        let removed = self.get_doc::<OutboxRemoved>(Bucket::Data, REMOVED_KEY)?.unwrap_or_default().count;
        self.update::<OutboxSeq, u64>(
            Bucket::Data,
            SEQ_KEY,
            |_, current| {
                let last = current.unwrap_or_default().last;
                let waiting = last.saturating_sub(removed);
                if waiting.saturating_add(k) > MAX_MESSAGES {
                    return Err(Error::conflict(
                        "outbox",
                        "outbox-full",
                        format!("the outbox holds {waiting} messages: send and acknowledge them"),
                    ));
                }
                Ok(Some((OutboxSeq { last: last.saturating_add(k) }, last + 1)))
            },
            || 0,
        )
    }

    /// The last number given is at least `n`.
    fn advance_seq(&mut self, n: u64) -> Result<()> {
        self.update::<OutboxSeq, ()>(
            Bucket::Data,
            SEQ_KEY,
            |_, current| {
                Ok(if current.is_some_and(|s| s.last >= n) { None } else { Some((OutboxSeq { last: n }, ())) })
            },
            || (),
        )
    }

    /// `n` numbers more are gone.
    fn count_removed(&mut self, n: u64) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.update::<OutboxRemoved, ()>(
            Bucket::Data,
            REMOVED_KEY,
            |_, current| Ok(Some((OutboxRemoved { count: current.unwrap_or_default().count.saturating_add(n) }, ()))),
            || (),
        )
    }

    /// The last message number given (every entry is under it once it is counted here);
    /// splits the single document of earlier versions first if one is left.
    fn outbox_last(&mut self) -> Result<u64> {
        if let Some(seq) = self.get_doc::<OutboxSeq>(Bucket::Data, SEQ_KEY)? {
            return Ok(seq.last);
        }
        let Some(old) = self.get_doc::<Outbox>(Bucket::Data, OUTBOX_KEY)? else { return Ok(0) };
        // Each step can be done again: the entries (as they were), the count of numbers
        // already gone, the last number (the commit point), then the old document goes.
        for m in &old.messages {
            let n = message_number(OUTBOX_KEY, &m.id)?;
            self.set_raw(Bucket::Data, &message_key(n), &crate::kernel::store::encode(m))?;
        }
        let gone = old.last.saturating_sub(old.messages.len() as u64);
        self.set_raw(Bucket::Data, REMOVED_KEY, &crate::kernel::store::encode(&OutboxRemoved { count: gone }))?;
        self.advance_seq(old.last)?;
        self.store.delete(Bucket::Data, OUTBOX_KEY).map_err(|e| storage_error(Bucket::Data, e))?;
        Ok(old.last)
    }

    /// Whether message `id` waits to be sent.
    pub(crate) fn outbox_holds(&mut self, id: &str) -> Result<bool> {
        let n = message_number("id", id)?;
        self.outbox_last()?;
        Ok(self.get_raw(Bucket::Data, &message_key(n))?.is_some())
    }

    /// Every entry waiting, with its number, read in batches (for the rare operation that
    /// looks at every message: an erasure).
    pub(crate) fn outbox_entries(&mut self) -> Result<Vec<(u64, OutboxEntry)>> {
        let last = self.outbox_last()?;
        let low = self.get_doc::<OutboxLow>(Bucket::Data, LOW_KEY)?.unwrap_or_default().upto;
        let mut out = Vec::new();
        let mut pos = low;
        while pos < last {
            let hi = pos.saturating_add(SCAN_BATCH).min(last);
            out.extend(self.read_entries(pos + 1, hi)?);
            pos = hi;
        }
        Ok(out)
    }

    /// The entries stored under numbers `from..=to`.
    fn read_entries(&mut self, from: u64, to: u64) -> Result<Vec<(u64, OutboxEntry)>> {
        let keys: Vec<String> = (from..=to).map(message_key).collect();
        let mut out = Vec::new();
        for (n, entry) in (from..=to).zip(self.get_docs::<OutboxEntry>(Bucket::Data, &keys)?) {
            if let Some(entry) = entry {
                out.push((n, entry?));
            }
        }
        Ok(out)
    }

    /// Count again how many message numbers are gone (`maintenance.reindex`): an
    /// acknowledgement stopped between its delete and its count left the outbox looking
    /// fuller than it is. Whether the count changed.
    pub(crate) fn recount_outbox(&mut self) -> Result<bool> {
        let last = self.outbox_last()?;
        let low = self.get_doc::<OutboxLow>(Bucket::Data, LOW_KEY)?.unwrap_or_default().upto;
        let mut present = 0u64;
        let mut pos = low;
        while pos < last {
            let hi = pos.saturating_add(SCAN_BATCH).min(last);
            present += self.read_entries(pos + 1, hi)?.len() as u64;
            pos = hi;
        }
        let gone = last.saturating_sub(present);
        self.update::<OutboxRemoved, bool>(
            Bucket::Data,
            REMOVED_KEY,
            |_, current| {
                Ok(if current.map_or(0, |c| c.count) == gone {
                    None
                } else {
                    Some((OutboxRemoved { count: gone }, true))
                })
            },
            || false,
        )
    }

    /// Remove message `n` (acknowledged or dropped); whether it was there.
    pub(crate) fn remove_message(&mut self, n: u64) -> Result<Option<OutboxEntry>> {
        let key = message_key(n);
        let Some(entry) = self.get_doc::<OutboxEntry>(Bucket::Data, &key)? else { return Ok(None) };
        self.store.delete(Bucket::Data, &key).map_err(|e| storage_error(Bucket::Data, e))?;
        self.count_removed(1)?;
        Ok(Some(entry))
    }

    /// Messages to send, oldest first, opened, by page: up to `limit` after the message
    /// `after` (the previous page's `next`). A page reads at most [`SCAN_BUDGET`] numbers,
    /// so it may hold fewer than `limit` messages while `next` says more follow. The host
    /// sends them, then acknowledges each.
    pub fn outbox_pending(&mut self, actor: &Actor, after: Option<&str>, limit: u32) -> Result<OutboxPage> {
        authorize(actor, Operation::DrainOutbox)?;
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "1 to 1000 messages"));
        }
        let after = after.map(|a| message_number("after", a)).transpose()?;
        let last = self.outbox_last()?;
        let low = self.get_doc::<OutboxLow>(Bucket::Data, LOW_KEY)?.unwrap_or_default().upto;
        let start = after.unwrap_or(0).max(low);
        let end = start.saturating_add(SCAN_BUDGET).min(last);
        let mut entries = Vec::new();
        let mut pos = start;
        'scan: while pos < end && entries.len() < limit as usize {
            let hi = pos.saturating_add(SCAN_BATCH).min(end);
            for (n, entry) in self.read_entries(pos + 1, hi)? {
                if entries.len() == limit as usize {
                    break 'scan;
                }
                pos = n;
                entries.push(entry);
            }
            if entries.len() < limit as usize {
                pos = hi;
            }
        }
        if start == low {
            // Every number before the first entry found is gone, if it was given when the
            // previous first page looked (see [`OutboxLow`]).
            let gone = entries.first().map_or(pos, |e| message_number(OUTBOX_KEY, &e.id).map_or(low, |n| n - 1));
            self.update::<OutboxLow, ()>(
                Bucket::Data,
                LOW_KEY,
                |_, current| {
                    let current = current.unwrap_or_default();
                    let upto = current.upto.max(gone.min(current.seen));
                    let next = OutboxLow { upto, seen: current.seen.max(last) };
                    Ok((next.upto != current.upto || next.seen != current.seen).then_some((next, ())))
                },
                || (),
            )?;
        }
        let mut out = Vec::with_capacity(entries.len());
        let mut drafts = Vec::with_capacity(entries.len());
        for m in entries {
            let body = self.open_message(&m)?;
            drafts.push(AuditDraft {
                action: "outbox.read".into(),
                target: m.subject.clone(),
                detail: format!("message={}", m.id),
            });
            let token = (m.kind == MessageKind::ConsentConfirmation)
                .then(|| body.body.split_whitespace().find(|w| crate::consent::optin::is_signup_token(w)))
                .flatten()
                .map(str::to_string);
            out.push(Message {
                token,
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
        Ok(OutboxPage { messages: out, next: (pos < last).then(|| message_id(pos)) })
    }

    /// A message's sealed body, opened under its person's key, or the key an erasure in
    /// progress staged (it seals its answer under the key that replaces the old one).
    pub(crate) fn open_message(&mut self, m: &OutboxEntry) -> Result<MessageBody> {
        let context = format!("outbox/{}", m.id);
        let key = message_key(message_number(OUTBOX_KEY, &m.id).map_err(|_| {
            Error::corrupted(place(Bucket::Data, "outbox/message"), "decodes", "a message's id is not M-<number>")
        })?);
        let dek = self.existing_data_key(&m.subject)?;
        let plain = match dek.open(&context, &m.subject, &m.sealed) {
            Some(p) => Some(p),
            None => self
                .named_key(&crate::rights::erasure::staged_key(&m.subject), &m.subject, false)?
                .and_then(|k| k.open(&context, &m.subject, &m.sealed)),
        };
        let plain = plain.ok_or_else(|| {
            Error::corrupted(place(Bucket::Data, &key), "aead-authentic", "a message fails authentication")
        })?;
        postcard::from_bytes(&plain)
            .map_err(|e| Error::corrupted(place(Bucket::Data, &key), "decodes", format!("a message: {e}")))
    }

    /// The message was sent: it leaves the outbox (with the token it carried). `false`
    /// when it was already acknowledged.
    pub fn outbox_ack(&mut self, actor: &Actor, id: &str) -> Result<bool> {
        authorize(actor, Operation::DrainOutbox)?;
        let n = message_number("id", id)?;
        self.outbox_last()?;
        match self.remove_message(n)? {
            Some(m) => {
                self.audit(
                    actor,
                    vec![AuditDraft {
                        action: "outbox.sent".into(),
                        target: m.subject,
                        detail: format!("message={id}"),
                    }],
                )?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
