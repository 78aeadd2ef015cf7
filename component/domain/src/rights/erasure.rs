//! Erasure (GDPR Art. 17): everything no legal hold covers is deleted, and the subject's
//! data key is destroyed, so no copy of the data store made before (a backup) can be read
//! with the current keys either.
//!
//! - **What a hold keeps.** A field is kept when a legal hold of the register (a retention
//!   rule with a `legal-hold` text, e.g. invoices and Code de commerce L123-22) still runs
//!   for it, or when the erasure names a legal claim (Art. 17(3)(e): an open dispute) over
//!   its category. Only the field's current value is kept (no history), re-sealed under a
//!   key of its own (`keys: hold/<sid>`) in `held/<sid>`; the `holds` schedule lists when
//!   each subject's held data ends, and the retention sweep deletes it then, with its key.
//! - **Key destruction.** A new data key replaces the subject's (`dek/<sid>`): the
//!   customer record, the consent receipts, the requests' sealed words and the messages
//!   sealed before no longer open. The consent chain keeps its hashes (the ledger still
//!   verifies); its head is rewritten empty under the new key and counts the receipts it
//!   can no longer open (`shredded`). Subjects merged into the record lose their keys too.
//! - **Order and resumption.** The audit entry is written first; then the held data, the
//!   erasure mark (`keys: erased/<sid>`), the answer to the person (sealed under the new
//!   key, staged at `keys: dek-next/<sid>` until it replaces the old one), the request, the
//!   record; the key last but one and the head last. Every step is idempotent: an erasure
//!   stopped anywhere is finished by running it again. A second erasure of an erased
//!   person deletes nothing and says when the first took place.
//! - **The mark lives with the keys**, so a data file restored from before the erasure
//!   reads as erased (`not-erased`), not as damaged.

use serde::{Deserialize, Serialize};

use super::{RequestEvent, RequestKind, RequestState};
use crate::consent::receipts::{HeadBody, SubjectHead, subject_key};
use crate::customers::{ArchivedField, CustomerDoc, CustomerState, Dispute, Field, customer_key};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::DataKey;
use crate::kernel::directory::Directory;
use crate::kernel::error::{Error, Result};
use crate::kernel::keys::{WrappedKey, dek_key};
use crate::kernel::store::{Bucket, Document, Store};
use crate::kernel::time::{self, Stamp};
use crate::kernel::types::{Actor, DataCategory, Lang, SubjectRef};
use crate::kernel::validate;
use crate::outbox::{MessageBody, MessageKind, OutboxEntry};

const HOLDS_KEY: &str = "holds";
/// Most subjects with held data at once (the schedule is one document).
pub const MAX_HOLDS: usize = 10_000;

fn held_key(sid: &str) -> String {
    format!("held/{sid}")
}
fn hold_key(sid: &str) -> String {
    format!("hold/{sid}")
}
pub(crate) fn hold_owner(sid: &str) -> String {
    format!("{sid}/hold")
}
fn erased_key(sid: &str) -> String {
    format!("erased/{sid}")
}
pub(crate) fn staged_key(sid: &str) -> String {
    format!("dek-next/{sid}")
}

/// An open dispute or other legal claim (Art. 17(3)(e)) that keeps some categories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimHold {
    pub categories: Vec<DataCategory>,
    /// What the claim is (a dispute's reference, the court): recorded in the report.
    pub reason: String,
    /// When the hold ends (RFC 3339, in the future).
    pub until: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EraseOptions {
    /// The erasure request this answers (kind erasure, identity checked): it is completed
    /// with the report and the person is told.
    pub request: Option<String>,
    pub claim: Option<ClaimHold>,
}

/// A field that was deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasedField {
    pub field: String,
    pub category: DataCategory,
    /// It was in the intermediate archive.
    pub archived: bool,
}

/// A field a hold keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptField {
    pub field: String,
    pub category: DataCategory,
    /// The activity whose legal hold keeps it, `legal-claim`, or `dispute`.
    pub rule: String,
    /// The text that imposes the hold, the claim's reason, or the dispute's reference.
    pub basis: String,
    /// When the hold ends; for a dispute, when the register's rules end it once the
    /// dispute is closed (the erasure itself when they keep nothing).
    pub until: Stamp,
}

/// What an erasure did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureReport {
    pub subject: String,
    pub erased_at: Stamp,
    /// The person had already been erased, then: nothing was left to delete.
    pub already_erased: Option<Stamp>,
    pub deleted: Vec<ErasedField>,
    pub kept: Vec<KeptField>,
    /// Entries of the record's history deleted with it (old values included).
    pub history_entries: u32,
    /// Consent receipts that no longer open (their hashes stay in the ledger).
    pub consent_receipts: u32,
    /// Messages to the person that were waiting in the outbox, dropped.
    pub messages_dropped: u32,
    pub request: Option<String>,
}

/// `keys: erased/<sid>`: when the person was erased (no personal data).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErasureMark {
    pub first_at: Stamp,
    pub last_at: Stamp,
    pub times: u32,
}
impl Document for ErasureMark {
    const KIND: &'static str = "erasure-mark";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// `held/<sid>`: what holds keep of an erased person, sealed under `hold/<sid>`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeldDoc {
    pub subject: String,
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}
impl Document for HeldDoc {
    const KIND: &'static str = "held";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct HeldBody {
    items: Vec<HeldItem>,
    /// The disputes open at the erasure: the items they name stay until they are closed
    /// (`retention.close-dispute`). Added after the first held bodies were sealed: those
    /// are read as having none.
    #[serde(default)]
    disputes: Vec<Dispute>,
}

/// `rule` of a field kept by an open dispute.
pub const DISPUTE_RULE: &str = "dispute";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct HeldItem {
    field: Field,
    kept: KeptField,
    held_at: Stamp,
}

/// `holds`: when each subject's held data ends (the sweep deletes it then).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HoldSchedule {
    pub entries: Vec<(String, Stamp)>,
}
impl Document for HoldSchedule {
    const KIND: &'static str = "hold-schedule";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// Held data the sweep deleted (or would delete).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldExpiry {
    pub subject: String,
    pub field: String,
    pub category: DataCategory,
    pub rule: String,
    pub until: Stamp,
}

impl ClaimHold {
    fn validate(&self, now: time::Instant) -> Result<Stamp> {
        if self.categories.is_empty() {
            return Err(Error::invalid("options.claim.categories", "non-empty", "name the categories the claim needs"));
        }
        validate::text("options.claim.reason", &self.reason, 1000)?;
        let until = time::parse("options.claim.until", &self.until)?;
        if until <= now {
            return Err(Error::invalid("options.claim.until", "future", "a hold ends after today"));
        }
        if until > now + chrono::Duration::days(366 * 30) {
            return Err(Error::invalid("options.claim.until", "within-30-years", "a claim hold ends within 30 years"));
        }
        Ok(Stamp::from_instant(until))
    }
}

/// The report as the person and the staff read it; its days are the shop's calendar days
/// in `zone` (a hold that ends at 24:00 in Paris ends on that Paris date).
pub fn render(report: &ErasureReport, lang: Lang, zone: time::Zone) -> String {
    let mut out = String::new();
    let day = |s: &Stamp| time::date_in(s.instant(), zone).to_string();
    match lang {
        Lang::Fr => {
            if let Some(at) = &report.already_erased {
                out.push_str(&format!("Vos données ont déjà été effacées le {}.\n", day(at)));
                return out;
            }
            out.push_str("Données effacées :");
            for d in &report.deleted {
                out.push_str(&format!("\n- {} ({})", d.field, d.category.as_str()));
            }
            out.push_str(&format!(
                "\n- historique des modifications ({}), preuves de consentement ({})",
                report.history_entries, report.consent_receipts
            ));
            if !report.kept.is_empty() {
                out.push_str("\nDonnées conservées, car la loi l'impose :");
                for k in &report.kept {
                    if k.rule == DISPUTE_RULE {
                        out.push_str(&format!(
                            "\n- {} : litige en cours ({}), RGPD art. 17(3)(e) ; jusqu'à sa clôture",
                            k.field, k.basis
                        ));
                    } else {
                        out.push_str(&format!("\n- {} : {} ; jusqu'au {}", k.field, k.basis, day(&k.until)));
                    }
                }
            }
        }
        Lang::En => {
            if let Some(at) = &report.already_erased {
                out.push_str(&format!("Your data was already erased on {}.\n", day(at)));
                return out;
            }
            out.push_str("Erased:");
            for d in &report.deleted {
                out.push_str(&format!("\n- {} ({})", d.field, d.category.as_str()));
            }
            out.push_str(&format!(
                "\n- history of changes ({}), consent receipts ({})",
                report.history_entries, report.consent_receipts
            ));
            if !report.kept.is_empty() {
                out.push_str("\nKept, because the law requires it:");
                for k in &report.kept {
                    if k.rule == DISPUTE_RULE {
                        out.push_str(&format!(
                            "\n- {}: open dispute ({}), GDPR Art. 17(3)(e); until it is closed",
                            k.field, k.basis
                        ));
                    } else {
                        out.push_str(&format!("\n- {}: {}; until {}", k.field, k.basis, day(&k.until)));
                    }
                }
            }
        }
    }
    out.push('\n');
    out
}

impl<S: Store> Fichier<'_, S> {
    /// When `sid` was last erased, if ever.
    pub(crate) fn erased_at(&self, sid: &str) -> Result<Option<Stamp>> {
        Ok(self.get_doc::<ErasureMark>(Bucket::Keys, &erased_key(sid))?.map(|m| m.last_at))
    }

    /// A record that does not open because its person was erased (a data file restored
    /// from before): say so instead of reporting damage.
    pub(crate) fn erased_instead(&self, sid: &str, e: Error) -> Error {
        match self.erased_at(sid) {
            Ok(Some(at)) => Error::not_found(
                "subject",
                "not-erased",
                format!("this person was erased on {at}: data from before cannot be opened"),
            ),
            _ => e,
        }
    }

    /// Erase a person: see the module documentation.
    pub fn erase(&mut self, actor: &Actor, subject: &SubjectRef, options: &EraseOptions) -> Result<ErasureReport> {
        authorize(actor, Operation::Erase)?;
        let claim_until = options.claim.as_ref().map(|c| c.validate(self.now)).transpose()?;
        if let Some(id) = &options.request {
            crate::rights::check_id("options.request", id, 'R')?;
        }
        let sid = self.subject_id("subject", subject)?;
        self.check_master_key(false)?;
        let loaded = self.find_customer("subject", subject)?;
        let target = loaded.as_ref().map_or(sid, |l| l.sid.clone());
        // The shop's zone: the register's periods end in it, and the report's days are in it.
        let zone = self.current_policy()?.settings.zone();
        let request = match &options.request {
            Some(id) => Some(self.erasure_request(id, &target)?),
            None => None,
        };
        let head: Option<SubjectHead> = self.get_doc(Bucket::Data, &subject_key(&target))?;
        let head_body = match &head {
            Some(h) => Some(self.open_head(&target, h)?),
            None => None,
        };
        let receipts_left = match (&head, &head_body) {
            (Some(h), Some(b)) => h.chain.len().saturating_sub(b.shredded as usize),
            _ => 0,
        };
        let mark = self.get_doc::<ErasureMark>(Bucket::Keys, &erased_key(&target))?;
        let now = Stamp::from_instant(self.now);
        let mut report = ErasureReport {
            subject: target.clone(),
            erased_at: now,
            already_erased: None,
            deleted: Vec::new(),
            kept: Vec::new(),
            history_entries: 0,
            consent_receipts: u32::try_from(receipts_left).unwrap_or(u32::MAX),
            messages_dropped: 0,
            request: options.request.clone(),
        };
        let staged = self.get_doc::<WrappedKey>(Bucket::Keys, &staged_key(&target))?.is_some();
        // A sign-up waiting for its confirmation is the person's too: it goes now, not
        // when it expires.
        let signups = self.signups_of(&target)?;
        if loaded.is_none() && receipts_left == 0 && !staged && signups.is_empty() {
            let Some(mark) = mark else {
                return Err(Error::not_found("subject", "known-subject", "nothing is stored for this person"));
            };
            report.already_erased = Some(mark.last_at);
            self.audit_one(actor, "rights.erase", target.clone(), format!("already erased on {}", mark.last_at))?;
            if let Some((id, lang, email)) = request {
                self.finish_request(actor, &target, (&id, lang, email), &report, zone)?;
            }
            return Ok(report);
        }
        // What goes and what stays.
        let mut held = Vec::new();
        let mut merged_from = Vec::new();
        if let Some(l) = &loaded {
            let register = self.registry()?;
            let grants = self.grants(&target)?;
            let cx = crate::retention::Context {
                activities: &register.activities,
                grants,
                now: self.now,
                zone,
                repermission_days: 30,
            };
            let fields =
                l.body.fields.iter().map(|f| (f, false)).chain(l.body.archive.iter().map(|a| (&a.field, true)));
            for (f, archived) in fields {
                let legal = cx.legal_hold(&l.body, f).map(|(rule, basis, end)| (rule, basis, Stamp::from_instant(end)));
                let claim = match (&options.claim, claim_until) {
                    (Some(c), Some(until)) if c.categories.contains(&f.category) => {
                        Some(("legal-claim".to_string(), c.reason.clone(), until))
                    }
                    _ => None,
                };
                let mut keep = match (legal, claim) {
                    (Some(a), Some(b)) => Some(if b.2 > a.2 { b } else { a }),
                    (a, b) => a.or(b),
                };
                // An open dispute keeps it with no end date: once closed, the hold above
                // (or nothing: deleted at the next sweep) decides, as for the sweep.
                if let Some(d) = l.body.disputes.iter().find(|d| d.fields.contains(&f.name)) {
                    let until = keep.as_ref().map_or(now, |k| k.2);
                    keep = Some((DISPUTE_RULE.to_string(), d.reference.clone(), until));
                }
                match keep {
                    Some((rule, basis, until)) => {
                        let kept = KeptField { field: f.name.clone(), category: f.category, rule, basis, until };
                        report.kept.push(kept.clone());
                        held.push(HeldItem { field: f.clone(), kept, held_at: now });
                    }
                    None => report.deleted.push(ErasedField { field: f.name.clone(), category: f.category, archived }),
                }
            }
            for a in &l.body.anonymised {
                report.deleted.push(ErasedField { field: a.name.clone(), category: a.category, archived: false });
            }
            report.history_entries = u32::try_from(l.body.history.len()).unwrap_or(u32::MAX);
            merged_from.clone_from(&l.body.merged_from);
        }
        let detail = format!(
            "request={} deleted={} kept={} receipts={}",
            options.request.as_deref().unwrap_or("-"),
            report.deleted.len(),
            report.kept.len(),
            report.consent_receipts
        );
        self.audit_one(actor, "rights.erase", target.clone(), detail)?;
        if !held.is_empty() {
            let disputes = loaded.as_ref().map(|l| l.body.disputes.clone()).unwrap_or_default();
            self.hold(&target, held, disputes)?;
        }
        self.mark_erased(&target, now)?;
        // The new key, staged: the answer to the person is sealed under it.
        let fresh =
            self.named_key(&staged_key(&target), &target, true)?.ok_or_else(|| Error::Other("no key".into()))?;
        let answer = match &request {
            Some((id, lang, Some(to))) => Some((id.clone(), answer_message(id, *lang, to, &report, zone))),
            _ => None,
        };
        report.messages_dropped = self.rewrite_outbox(&target, &fresh, answer)?;
        for n in signups {
            self.drop_signup(n)?;
        }
        if let Some((id, _, _)) = &request {
            self.complete_erasure_request(actor, &target, id, &report, zone)?;
        }
        if let Some(l) = &loaded {
            self.delete_record(&l.sid)?;
        }
        // The old key goes: the staged one replaces it, in one write.
        let fresh = self.replace_key(&target)?;
        self.rewrite_head(&target, &fresh)?;
        for absorbed in merged_from {
            self.mark_erased(&absorbed, now)?;
            if self.get_raw(Bucket::Keys, &dek_key(&absorbed))?.is_some() {
                let other = self.replace_key(&absorbed)?;
                self.rewrite_head(&absorbed, &other)?;
            }
        }
        Ok(report)
    }

    /// Replace `sid`'s data key by the staged one (created if none is staged): one write
    /// over the old key, then the staged copy goes.
    fn replace_key(&mut self, sid: &str) -> Result<DataKey> {
        let fresh = self.named_key(&staged_key(sid), sid, true)?.ok_or_else(|| Error::Other("no key".into()))?;
        if let Some(w) = self.get_doc::<WrappedKey>(Bucket::Keys, &staged_key(sid))? {
            self.set_raw(Bucket::Keys, &dek_key(sid), &crate::kernel::store::encode(&w))?;
            self.store
                .delete(Bucket::Keys, &staged_key(sid))
                .map_err(|e| crate::kernel::store::storage_error(Bucket::Keys, e))?;
        }
        Ok(fresh)
    }

    /// The open, identity-checked erasure request `id` of `sid`: its language and the
    /// person's address.
    fn erasure_request(&mut self, id: &str, sid: &str) -> Result<(String, Lang, Option<String>)> {
        let r = self.request_record(id).map_err(|e| e.at("options.request".to_string()))?;
        if r.kind != RequestKind::Erasure {
            return Err(Error::invalid("options.request", "erasure-request", "this request is not an erasure request"));
        }
        if r.subject != sid {
            return Err(Error::invalid("options.request", "same-subject", "this request is another person's"));
        }
        match r.state {
            RequestState::InProgress => {}
            RequestState::AwaitingIdentity => {
                return Err(Error::conflict(
                    "options.request",
                    "identity-checked",
                    "the person's identity is not checked yet: verify the token or confirm it",
                ));
            }
            RequestState::Done | RequestState::Refused => {
                return Err(Error::conflict("options.request", "request-open", "this request is closed"));
            }
        }
        let email = match self.open_personal(&r) {
            Ok(p) => p.email,
            Err(_) => None,
        };
        Ok((r.id, r.lang, email))
    }

    /// Close an erasure request that was erased earlier (nothing left to do).
    fn finish_request(
        &mut self,
        actor: &Actor,
        sid: &str,
        (id, lang, email): (&str, Lang, Option<String>),
        report: &ErasureReport,
        zone: time::Zone,
    ) -> Result<()> {
        let dek = self.data_key(sid, true)?.ok_or_else(|| Error::Other("no key".into()))?;
        if let Some(to) = email {
            self.rewrite_outbox(sid, &dek, Some((id.to_string(), answer_message(id, lang, &to, report, zone))))?;
        }
        self.complete_erasure_request(actor, sid, id, report, zone)
    }

    /// Keep `items` under the subject's hold key; schedule their deletion.
    fn hold(&mut self, sid: &str, items: Vec<HeldItem>, disputes: Vec<Dispute>) -> Result<()> {
        let key =
            self.named_key(&hold_key(sid), &hold_owner(sid), true)?.ok_or_else(|| Error::Other("no key".into()))?;
        let sid_owned = sid.to_string();
        let until = items.iter().map(|i| i.kept.until).max().unwrap_or(Stamp::from_instant(self.now));
        let at = place(Bucket::Data, &held_key(sid));
        self.update::<HeldDoc, ()>(
            Bucket::Data,
            &held_key(sid),
            |this, current| {
                let mut body = match &current {
                    Some(d) => open_held(&key, &sid_owned, d, &at)?,
                    None => HeldBody::default(),
                };
                // Resumed: an item already kept (same field, same hold) is not kept twice.
                for item in &items {
                    if !body.items.iter().any(|i| i.field.name == item.field.name && i.kept.rule == item.kept.rule) {
                        body.items.push(item.clone());
                    }
                }
                for d in &disputes {
                    if !body.disputes.iter().any(|x| x.reference == d.reference) {
                        body.disputes.push(d.clone());
                    }
                }
                let plain = postcard::to_allocvec(&body).map_err(|e| Error::Other(e.to_string()))?;
                let sealed = key.seal("held", &sid_owned, &plain, this.entropy);
                Ok(Some((HeldDoc { subject: sid_owned.clone(), sealed }, ())))
            },
            || (),
        )?;
        self.schedule(sid, Some(until))
    }

    /// Set (or, with `None`, remove) when `sid`'s held data ends.
    fn schedule(&mut self, sid: &str, until: Option<Stamp>) -> Result<()> {
        let sid = sid.to_string();
        self.update::<HoldSchedule, ()>(
            Bucket::Data,
            HOLDS_KEY,
            |_, current| {
                let mut s = current.unwrap_or_default();
                let before = s.entries.clone();
                s.entries.retain(|(x, _)| x != &sid);
                if let Some(u) = until {
                    let later = before.iter().find(|(x, _)| x == &sid).map_or(u, |(_, t)| (*t).max(u));
                    if s.entries.len() >= MAX_HOLDS {
                        return Err(Error::conflict(HOLDS_KEY, "max-holds", "the hold schedule is full"));
                    }
                    s.entries.push((sid.clone(), later));
                }
                Ok((s.entries != before).then_some((s, ())))
            },
            || (),
        )
    }

    fn mark_erased(&mut self, sid: &str, now: Stamp) -> Result<()> {
        self.update::<ErasureMark, ()>(
            Bucket::Keys,
            &erased_key(sid),
            |_, current| {
                let mark = match current {
                    Some(m) if m.last_at == now => return Ok(None),
                    Some(m) => ErasureMark { first_at: m.first_at, last_at: now, times: m.times.saturating_add(1) },
                    None => ErasureMark { first_at: now, last_at: now, times: 1 },
                };
                Ok(Some((mark, ())))
            },
            || (),
        )
    }

    /// Drop the person's waiting messages (sealed under the old key), then queue the answer
    /// (sealed under the new one); an answer already queued is kept. Each step can be done
    /// again: a message dropped is gone, an answer queued is found.
    fn rewrite_outbox(&mut self, sid: &str, fresh: &DataKey, answer: Option<(String, MessageBody)>) -> Result<u32> {
        let is_answer = |m: &OutboxEntry| {
            m.subject == sid
                && m.kind == MessageKind::Answer
                && answer.as_ref().is_some_and(|(id, _)| m.request.as_ref() == Some(id))
        };
        let mut queued = false;
        let mut dropped = 0u32;
        for (n, m) in self.outbox_entries()? {
            if m.subject != sid {
                continue;
            }
            if is_answer(&m) {
                queued = true;
            } else if self.remove_message(n)?.is_some() {
                dropped = dropped.saturating_add(1);
            }
        }
        if let (Some((id, body)), false) = (&answer, queued) {
            self.queue(sid, fresh, MessageKind::Answer, Some(id), body.clone())?;
        }
        Ok(dropped)
    }

    /// Complete the erasure request with the report; erase the words of every request of
    /// the person (the requests themselves stay, pseudonymous, as the record of handling).
    fn complete_erasure_request(
        &mut self,
        actor: &Actor,
        sid: &str,
        id: &str,
        report: &ErasureReport,
        zone: time::Zone,
    ) -> Result<()> {
        let note = render(report, Lang::En, zone);
        let at = Stamp::from_instant(self.now);
        let (sid_owned, id_owned) = (sid.to_string(), id.to_string());
        self.update::<crate::rights::RequestRegister, ()>(
            Bucket::Data,
            crate::rights::REQUESTS_KEY,
            |_, current| {
                let mut reg = current.unwrap_or_default();
                let mut changed = false;
                for r in reg.requests.iter_mut().filter(|r| r.subject == sid_owned) {
                    if !r.sealed.is_empty() {
                        r.sealed.clear();
                        changed = true;
                    }
                    if r.id == id_owned && r.state.is_open() {
                        crate::rights::requests::close(r, at, note.clone(), zone);
                        r.history.push(RequestEvent { at, by: actor.clone(), what: "done: erased".into() });
                        changed = true;
                    }
                }
                Ok(changed.then_some((reg, ())))
            },
            || (),
        )?;
        self.audit_one(actor, "rights.done", sid.to_string(), format!("request={id}"))
    }

    /// The active record at `sid` goes (state `deleted`, nothing sealed), with its
    /// directory entry; `false` when there was none.
    pub(crate) fn delete_record(&mut self, sid: &str) -> Result<bool> {
        let deleted = self.update::<CustomerDoc, bool>(
            Bucket::Data,
            &customer_key(sid),
            |_, current| match current {
                Some(d) if d.state == CustomerState::Active => Ok(Some((
                    CustomerDoc {
                        subject: d.subject,
                        revision: d.revision + 1,
                        state: CustomerState::Deleted,
                        sealed: None,
                    },
                    true,
                ))),
                _ => Ok(None),
            },
            || false,
        )?;
        if deleted {
            let _ = self.unindex_in(Directory::Customers, sid);
        }
        Ok(deleted)
    }

    /// The consent head, rewritten empty under `key`: the chain stays, every receipt in it
    /// is counted as shredded.
    fn rewrite_head(&mut self, sid: &str, key: &DataKey) -> Result<()> {
        let Some(head) = self.get_doc::<SubjectHead>(Bucket::Data, &subject_key(sid))? else { return Ok(()) };
        let n = u32::try_from(head.chain.len()).unwrap_or(u32::MAX);
        let body = HeadBody { shredded: n, ..HeadBody::default() };
        let sid_owned = sid.to_string();
        self.update::<SubjectHead, ()>(
            Bucket::Data,
            &subject_key(sid),
            |this, current| match current {
                Some(h) => {
                    // A receipt recorded meanwhile (under the new key) is not shredded.
                    let body = if h.chain.len() == n as usize { body.clone() } else { this.open_head(&sid_owned, &h)? };
                    Ok(Some((this.seal_head(&sid_owned, h.chain, &body, key), ())))
                }
                None => Ok(None),
            },
            || (),
        )
    }

    /// Close the dispute `reference` that keeps held data of the erased `sid`: its items
    /// then end as their holds say (the next sweep deletes those past). `None` when no
    /// such dispute is open; else the disputes still open.
    pub(crate) fn close_held_dispute(&mut self, sid: &str, reference: &str) -> Result<Option<Vec<Dispute>>> {
        if self.get_doc::<HeldDoc>(Bucket::Data, &held_key(sid))?.is_none() {
            return Ok(None);
        }
        let Some(key) = self.named_key(&hold_key(sid), &hold_owner(sid), false)? else { return Ok(None) };
        let (sid_owned, at) = (sid.to_string(), place(Bucket::Data, &held_key(sid)));
        let left = self.update::<HeldDoc, Option<Vec<Dispute>>>(
            Bucket::Data,
            &held_key(sid),
            |this, current| {
                let Some(d) = current else { return Ok(None) };
                let mut body = open_held(&key, &sid_owned, &d, &at)?;
                let before = body.disputes.len();
                body.disputes.retain(|x| x.reference != reference);
                if body.disputes.len() == before {
                    return Ok(None);
                }
                let left = body.disputes.clone();
                let plain = postcard::to_allocvec(&body).map_err(|e| Error::Other(e.to_string()))?;
                let sealed = key.seal("held", &sid_owned, &plain, this.entropy);
                Ok(Some((HeldDoc { subject: sid_owned.clone(), sealed }, Some(left))))
            },
            || None,
        )?;
        Ok(left)
    }

    /// What a hold keeps of an erased person (DPO, admin: through `customers.archived`).
    pub(crate) fn held_fields(&mut self, sid: &str) -> Result<Vec<ArchivedField>> {
        let Some(doc) = self.get_doc::<HeldDoc>(Bucket::Data, &held_key(sid))? else { return Ok(Vec::new()) };
        let Some(key) = self.named_key(&hold_key(sid), &hold_owner(sid), false)? else { return Ok(Vec::new()) };
        let body = open_held(&key, sid, &doc, &place(Bucket::Data, &held_key(sid)))?;
        Ok(body
            .items
            .into_iter()
            .map(|i| ArchivedField {
                field: i.field,
                archived_at: i.held_at,
                until: i.kept.until,
                activity: i.kept.rule,
            })
            .collect())
    }

    /// Held data whose hold has ended: deleted (with the hold key once nothing is left)
    /// when `apply`, listed otherwise.
    pub(crate) fn expire_holds(&mut self, apply: bool) -> Result<Vec<HeldExpiry>> {
        let schedule: HoldSchedule = self.get_doc(Bucket::Data, HOLDS_KEY)?.unwrap_or_default();
        let now = Stamp::from_instant(self.now);
        let mut out = Vec::new();
        // A hold ends at the end of its last day: held data goes only after that instant.
        for (sid, _) in schedule.entries.iter().filter(|(_, until)| *until < now) {
            let at = place(Bucket::Data, &held_key(sid));
            let key = self.named_key(&hold_key(sid), &hold_owner(sid), false)?;
            let doc = self.get_doc::<HeldDoc>(Bucket::Data, &held_key(sid))?;
            let mut body = match (&key, &doc) {
                (Some(k), Some(d)) => open_held(k, sid, d, &at)?,
                _ => HeldBody::default(),
            };
            // An item an open dispute names stays, whatever its end.
            let disputes = std::mem::take(&mut body.disputes);
            let open = |i: &HeldItem| disputes.iter().any(|d| d.fields.contains(&i.field.name));
            let (due, left): (Vec<HeldItem>, Vec<HeldItem>) =
                body.items.drain(..).partition(|i| i.kept.until < now && !open(i));
            out.extend(due.iter().map(|i| HeldExpiry {
                subject: sid.clone(),
                field: i.field.name.clone(),
                category: i.field.category,
                rule: i.kept.rule.clone(),
                until: i.kept.until,
            }));
            if !apply || due.is_empty() {
                continue;
            }
            if left.is_empty() {
                self.store
                    .delete(Bucket::Data, &held_key(sid))
                    .map_err(|e| crate::kernel::store::storage_error(Bucket::Data, e))?;
                self.store
                    .delete(Bucket::Keys, &hold_key(sid))
                    .map_err(|e| crate::kernel::store::storage_error(Bucket::Keys, e))?;
                self.schedule(sid, None)?;
            } else if let Some(k) = &key {
                let until = left.iter().map(|i| i.kept.until).max();
                let plain = postcard::to_allocvec(&HeldBody { items: left, disputes })
                    .map_err(|e| Error::Other(e.to_string()))?;
                let sealed = k.seal("held", sid, &plain, self.entropy);
                self.set_raw(
                    Bucket::Data,
                    &held_key(sid),
                    &crate::kernel::store::encode(&HeldDoc { subject: sid.clone(), sealed }),
                )?;
                self.schedule(sid, None)?;
                self.schedule(sid, until)?;
            }
        }
        Ok(out)
    }
}

fn open_held(key: &DataKey, sid: &str, doc: &HeldDoc, at: &str) -> Result<HeldBody> {
    let plain = key
        .open("held", sid, &doc.sealed)
        .ok_or_else(|| Error::corrupted(at, "aead-authentic", "held data fails authentication"))?;
    decode_held(&plain).map_err(|e| Error::corrupted(at, "decodes", format!("held data: {e}")))
}

/// A held body, or one sealed before disputes were kept with it (the same layout without
/// the trailing list: read as an empty one). Every byte must be used.
fn decode_held(plain: &[u8]) -> std::result::Result<HeldBody, postcard::Error> {
    match postcard::take_from_bytes::<HeldBody>(plain) {
        Ok((b, [])) => Ok(b),
        Ok(_) => Err(postcard::Error::DeserializeBadEncoding),
        Err(_) => match postcard::take_from_bytes::<HeldBody>(&[plain, &[0]].concat())? {
            (b, []) => Ok(b),
            _ => Err(postcard::Error::DeserializeBadEncoding),
        },
    }
}

fn answer_message(id: &str, lang: Lang, to: &str, report: &ErasureReport, zone: time::Zone) -> MessageBody {
    let text = render(report, lang, zone);
    let (title, body) = match lang {
        Lang::Fr => (
            format!("Votre demande {id} a été traitée"),
            format!("Bonjour,\n\nVotre demande d'effacement ({id}) a été traitée.\n\n{text}"),
        ),
        Lang::En => (
            format!("Your request {id} has been handled"),
            format!("Hello,\n\nYour request for erasure ({id}) has been handled.\n\n{text}"),
        ),
    };
    MessageBody { to: to.to_string(), title, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_what_went_and_what_stayed() {
        let at = Stamp::from_instant(time::parse("t", "2026-01-01T00:00:00Z").expect("t"));
        let until = Stamp::from_instant(time::parse("t", "2036-01-01T00:00:00Z").expect("t"));
        let mut r = ErasureReport {
            subject: "s-x".into(),
            erased_at: at,
            already_erased: None,
            deleted: vec![ErasedField { field: "email".into(), category: DataCategory::Contact, archived: false }],
            kept: vec![KeptField {
                field: "invoice".into(),
                category: DataCategory::Order,
                rule: "sales".into(),
                basis: "Code de commerce L123-22".into(),
                until,
            }],
            history_entries: 3,
            consent_receipts: 2,
            messages_dropped: 0,
            request: None,
        };
        let paris = time::DEFAULT_ZONE;
        let fr = render(&r, Lang::Fr, paris);
        assert!(
            fr.contains("- email (contact)") && fr.contains("invoice : Code de commerce L123-22 ; jusqu'au 2036-01-01"),
            "{fr}"
        );
        let en = render(&r, Lang::En, paris);
        assert!(en.contains("consent receipts (2)") && en.contains("until 2036-01-01"), "{en}");
        // A day shown is the shop's calendar day (Reg. 1182/71 art. 3): a hold that ends
        // at 24:00 in Paris on 1 July ends at 21:59:59.999 UTC, still 1 July; 23:30 UTC on
        // 1 July is already 2 July in Paris.
        r.kept[0].until = Stamp::from_instant(time::parse("t", "2036-07-01T21:59:59.999Z").expect("t"));
        assert!(render(&r, Lang::En, paris).contains("until 2036-07-01"));
        r.kept[0].until = Stamp::from_instant(time::parse("t", "2036-07-01T23:30:00Z").expect("t"));
        assert!(render(&r, Lang::En, paris).contains("until 2036-07-02"));
        r.already_erased = Some(at);
        assert_eq!(render(&r, Lang::En, paris), "Your data was already erased on 2026-01-01.\n");
    }
}

#[cfg(test)]
mod held_format {
    use super::*;

    /// Held data sealed before disputes were kept with it is read as having none; a body
    /// with trailing bytes is refused.
    #[test]
    fn held_bodies_without_disputes_are_read() {
        #[derive(Serialize)]
        struct Before {
            items: Vec<HeldItem>,
        }
        let at = Stamp::from_instant(time::parse("t", "2026-01-01T00:00:00Z").expect("t"));
        let field = crate::customers::tests::phone_record(at).fields.remove(0);
        let kept = KeptField {
            field: "phone".into(),
            category: DataCategory::Contact,
            rule: "accounting".into(),
            basis: "L123-22".into(),
            until: at,
        };
        let old = postcard::to_allocvec(&Before { items: vec![HeldItem { field, kept, held_at: at }] }).expect("old");
        let body = decode_held(&old).expect("old layout");
        assert_eq!((body.items.len(), body.disputes.len()), (1, 0));
        let new = postcard::to_allocvec(&body).expect("new");
        assert_eq!(decode_held(&new).expect("new layout").items.len(), 1);
        let mut longer = new.clone();
        longer.extend([0, 0]);
        assert!(decode_held(&longer).is_err());
    }
}
