//! Receipts: every decision (grant, refuse, withdraw) a subject makes for a purpose,
//! with its proof (channel, time, actor, the notice cited and its hash, a truncated IP,
//! the SHA-256 of the User-Agent, the GPC signal, an age declaration). Each receipt is an
//! immutable entry sealed under the subject's data key and chained by hash; the subject's
//! head holds the chain (hashes in clear) and, sealed, the summaries status needs.
//!
//! Stored: `subject/<sid>` — [`SubjectHead`], the commit point of every decision;
//! `receipt/<sid>/<chain hash>` — [`ReceiptEntry`], immutable, content-addressed.

use crate::kernel::encoding::{base32, base64, from_base64};
use serde::{Deserialize, Serialize};

use super::status::purpose_status_with_gpc;
use super::{AgeDeclaration, Decision, GivenBy, NoticeCitation, Receipt, ReceiptInput, StatusSignals, SubjectStatus};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::{DataKey, sha256_hex, sha256_parts};
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{self, Bucket, Store, document, storage_error};
use crate::kernel::types::{Actor, Channel, Role, SubjectRef};
use crate::kernel::{time, validate};

/// The hash every subject's chain starts from.
pub fn genesis(sid: &str) -> String {
    hex::encode(sha256_parts(&[b"fichier/genesis/v1", sid.as_bytes()]))
}

/// `hash(n) = SHA-256("fichier/receipt/v1" ‖ hash(n−1) ‖ stored bytes of receipt n)`.
pub fn chain_hash(prev: &str, stored: &[u8]) -> String {
    hex::encode(sha256_parts(&[b"fichier/receipt/v1", prev.as_bytes(), stored]))
}

/// A subject's head: the chain in clear (hashes only), everything else sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubjectHead {
    pub subject: String,
    /// Chain hashes, lower-case hex, receipt 1 first.
    pub chain: Vec<String>,
    /// [`HeadBody`], sealed under the subject's data key (base64).
    pub sealed: String,
}
document!(SubjectHead, "subject-head", 1, binary);

/// The sealed part of a subject's head.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct HeadBody {
    pub email: Option<String>,
    pub external: Option<String>,
    pub receipts: Vec<ReceiptSummary>,
    /// How many receipts of the chain were sealed under a data key that an erasure
    /// destroyed: their hashes still verify, they no longer open.
    #[serde(default)]
    pub shredded: u32,
    /// When Global Privacy Control was first seen for this subject (RFC 3339): by a
    /// receipt that carried it (its `at`, not later than when it was recorded) or by a
    /// status read that carried it. A grant of an advertising purpose before it does not
    /// stand while the signal is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpc_since: Option<String>,
}

/// What status needs of a receipt, kept in the head so status is one read.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct ReceiptSummary {
    pub id: String,
    pub seq: u32,
    pub purpose: String,
    pub decision: Decision,
    pub given_by: GivenBy,
    pub at: String,
    pub age: Option<AgeDeclaration>,
    /// The notice it cited, so that another device can tell whether the choice was made
    /// under the notice shown now (heads written before it read as `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// One receipt, sealed under the subject's data key (base64).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReceiptEntry {
    pub sealed: String,
}
document!(ReceiptEntry, "receipt", 1, binary);

impl SubjectHead {
    /// A head read at `sid` is that subject's.
    fn belongs(&self, sid: &str) -> Result<()> {
        if self.subject != sid {
            return Err(Error::corrupted(
                place(Bucket::Data, &subject_key(sid)),
                "subject-matches",
                "the head belongs to another subject",
            ));
        }
        Ok(())
    }
}

/// The key of a subject's head in the data bucket.
pub fn subject_key(sid: &str) -> String {
    format!("subject/{sid}")
}

/// The key of a receipt in the data bucket.
pub fn receipt_key(sid: &str, hash: &str) -> String {
    format!("receipt/{sid}/{hash}")
}

/// A subject as loaded for a change or a read.
pub(crate) struct LoadedSubject {
    /// `None` for a subject never seen.
    pub head: Option<SubjectHead>,
    pub body: HeadBody,
}

impl<S: Store> Fichier<'_, S> {
    /// Subject ids that have a head, from a full scan (authoritative, not the index).
    pub(crate) fn scanned_subjects(&self) -> Result<Vec<String>> {
        self.scan_prefix(Bucket::Data, "subject/")
    }

    /// Open a stored head's sealed body with the subject's data key.
    pub(crate) fn open_head(&mut self, sid: &str, head: &SubjectHead) -> Result<HeadBody> {
        let dek = self.existing_data_key(sid)?;
        self.open_head_with(sid, head, &dek)
    }

    /// Open a subject's head with their data key, already read.
    pub(crate) fn open_head_with(&self, sid: &str, head: &SubjectHead, dek: &DataKey) -> Result<HeadBody> {
        let key = subject_key(sid);
        let sealed = from_base64(&head.sealed)
            .ok_or_else(|| Error::corrupted(place(Bucket::Data, &key), "decodes", "the sealed head is not base64"))?;
        let Some(plain) = dek.open(&head_context(head), sid, &sealed) else {
            // An erasure replaced the key and had not yet rewritten the head: everything
            // in it was the person's, now unreadable (the erasure run again rewrites it).
            if self.erased_at(sid)?.is_some() {
                return Ok(HeadBody {
                    shredded: u32::try_from(head.chain.len()).unwrap_or(u32::MAX),
                    ..HeadBody::default()
                });
            }
            return Err(Error::corrupted(
                place(Bucket::Data, &key),
                "aead-authentic",
                "the subject's head fails authentication",
            ));
        };
        serde_json::from_slice(&plain)
            .map_err(|e| Error::corrupted(place(Bucket::Data, &key), "decodes", format!("sealed head: {e}")))
    }

    /// Load a subject for reading.
    pub(crate) fn load_subject(&mut self, sid: &str) -> Result<LoadedSubject> {
        let head: Option<SubjectHead> = self.get_doc(Bucket::Data, &subject_key(sid))?;
        let body = match &head {
            Some(h) => {
                h.belongs(sid)?;
                self.open_head(sid, h)?
            }
            None => HeadBody::default(),
        };
        Ok(LoadedSubject { head, body })
    }

    /// The heads' bodies of subjects whose data keys are already read, in one read of the
    /// store (`get-many`); a subject without a head has an empty one.
    pub(crate) fn head_bodies(&self, subjects: &[(&str, &DataKey)]) -> Result<Vec<HeadBody>> {
        let keys: Vec<String> = subjects.iter().map(|(sid, _)| subject_key(sid)).collect();
        subjects
            .iter()
            .zip(self.get_docs::<SubjectHead>(Bucket::Data, &keys)?)
            .map(|((sid, dek), head)| match head {
                None => Ok(HeadBody::default()),
                Some(head) => {
                    let head = head?;
                    head.belongs(sid)?;
                    self.open_head_with(sid, &head, dek)
                }
            })
            .collect()
    }

    /// Seal a head body for storage.
    pub(crate) fn seal_head(&mut self, sid: &str, chain: Vec<String>, body: &HeadBody, dek: &DataKey) -> SubjectHead {
        let mut head = SubjectHead { subject: sid.to_string(), chain, sealed: String::new() };
        let plain = serde_json::to_vec(body).unwrap_or_else(|_| unreachable!("head bodies serialise"));
        head.sealed = base64(&dek.seal(&head_context(&head), sid, &plain, self.entropy));
        head
    }
}

/// The stored first sighting of Global Privacy Control, if any.
fn stored_sighting(body: &HeadBody) -> Option<time::Instant> {
    body.gpc_since.as_deref().and_then(|t| time::parse("gpc-since", t).ok())
}

/// Keep the earliest sighting of Global Privacy Control.
fn record_gpc_sighting(body: &mut HeadBody, seen: time::Instant) {
    if stored_sighting(body).is_none_or(|t| seen < t) {
        body.gpc_since = Some(time::format(seen));
    }
}

/// The sealed body is bound to the chain it was written with: a sealed body copied
/// from an older head fails to open.
pub(super) fn head_context(head: &SubjectHead) -> String {
    format!("head/{}/{}", head.chain.len(), head.chain.last().map(String::as_str).unwrap_or("-"))
}

impl<S: Store> Fichier<'_, S> {
    pub fn record_decision(&mut self, actor: &Actor, input: ReceiptInput) -> Result<Receipt> {
        authorize(actor, Operation::RecordDecision { channel: input.channel })?;
        // A visitor names a person by e-mail only through the mail itself: a grant waits
        // for its confirmation (`sign-up`), a withdrawal carries the mail's unsubscribe
        // token; otherwise anyone could write in anyone's history, and the answer would
        // tell whether the address is known.
        if actor.role == Role::Public && matches!(input.subject, SubjectRef::Email(_)) {
            return Err(Error::invalid(
                "input.subject",
                "email-confirmed-by-mail",
                "a public decision by e-mail goes through the mail: sign up (a confirmation link is sent) or follow \
                 the unsubscribe link",
            ));
        }
        // Nor by fichier's subject id: a logged-in customer's choice goes with the reference
        // the shop's page gives (`record-decision` with `customer`).
        if actor.role == Role::Public && matches!(input.subject, SubjectRef::Subject(_)) {
            return Err(Error::invalid(
                "input.subject",
                "banner-id",
                "a public decision names the banner's id (external); a logged-in customer's goes with the shop's \
                 customer reference",
            ));
        }
        if input.channel == Channel::EmailLink {
            return Err(Error::invalid(
                "input.channel",
                "email-link-by-token",
                "the email-link channel is recorded by a confirmation or an unsubscribe token",
            ));
        }
        self.record(actor, input, false, None)
    }

    /// Record a validated, authorised decision. `new_by_id`: a subject named by its id may
    /// be new (an unsubscribe token names the person by id, whether fichier knew them or
    /// not). `banner`: the device a logged-in customer decided on.
    pub(crate) fn record(
        &mut self,
        actor: &Actor,
        input: ReceiptInput,
        new_by_id: bool,
        banner: Option<String>,
    ) -> Result<Receipt> {
        // Validate everything before touching the store.
        let sid = self.subject_id("input.subject", &input.subject)?;
        // What a receipt reads one key at a time, in one round trip per bucket: the
        // catalogues, the key check and the subject's data key.
        self.read_ahead(
            Bucket::Data,
            &[
                crate::consent::purposes::PURPOSES_KEY,
                crate::kernel::policy::POLICY_KEY,
                crate::consent::notices::NOTICES_KEY,
            ],
        )?;
        self.read_ahead(Bucket::Keys, &[crate::kernel::keys::KEY_CHECK_KEY, &crate::kernel::keys::dek_key(&sid)])?;
        let purpose = self.purpose(&input.purpose, "input.purpose")?;
        let policy = self.current_policy()?;
        let notice = match &input.notice {
            Some(r) => {
                let n = self.notice("input.notice", r)?;
                if !n.purposes.contains(&purpose.id) {
                    return Err(Error::invalid(
                        "input.notice",
                        "notice-covers-purpose",
                        format!("notice {r} does not inform about {}", purpose.id),
                    ));
                }
                Some(NoticeCitation { reference: n.reference, sha256: n.sha256 })
            }
            None if input.decision == Decision::Grant => {
                return Err(Error::invalid(
                    "input.notice",
                    "grant-cites-notice",
                    "a grant must cite the notice that was shown (Art. 7(1))",
                ));
            }
            None => None,
        };
        let at = match &input.at {
            Some(a) => {
                let t = time::parse("input.at", a)?;
                let skew = chrono::Duration::seconds(i64::from(policy.settings.max_future_skew_seconds));
                if t > self.now + skew {
                    return Err(Error::invalid(
                        "input.at",
                        "not-in-future",
                        "a decision cannot be dated in the future",
                    ));
                }
                t
            }
            None => self.now,
        };
        if let Some(id) = &input.receipt_id {
            validate::receipt_id("input.receipt-id", id)?;
        }
        let ip_truncated =
            input.client_ip.as_deref().map(|ip| validate::truncate_ip("input.client-ip", ip)).transpose()?;
        let user_agent_sha256 = match &input.user_agent {
            Some(ua) if ua.len() > 8 * 1024 => {
                return Err(Error::invalid("input.user-agent", "max-bytes", "a User-Agent is at most 8 KiB"));
            }
            Some(ua) => Some(sha256_hex(ua.as_bytes())),
            None => None,
        };
        match input.age {
            Some(AgeDeclaration::Age(a)) if a > 130 => {
                return Err(Error::invalid("input.age.age", "range-0-130", "an age is 0 to 130 years"));
            }
            Some(AgeDeclaration::BirthYear(y))
                if i32::from(y) < 1890 || i32::from(y) > chrono::Datelike::year(&self.now) =>
            {
                return Err(Error::invalid(
                    "input.age.birth-year",
                    "plausible-year",
                    "a birth year is from 1890 to this year",
                ));
            }
            _ => {}
        }
        let receipt_id = match &input.receipt_id {
            Some(id) => id.clone(),
            None => {
                let mut r = [0u8; 16];
                self.entropy.fill(&mut r);
                format!("r-{}", base32(&r))
            }
        };

        if !new_by_id
            && matches!(input.subject, SubjectRef::Subject(_))
            && self.get_raw(Bucket::Data, &subject_key(&sid))?.is_none()
        {
            return Err(Error::not_found(
                "input.subject.subject",
                "known-subject",
                "no subject has this id; name a new subject by e-mail or external id",
            ));
        }
        self.check_master_key(true)?;
        let dek = self.data_key(&sid, true)?.ok_or_else(|| Error::Other("data key not created".into()))?;
        let recorded_at = time::format(self.now);
        let day = at.date_naive();
        // The signal was seen with this decision: from when it was expressed, but not later
        // than now (a decision dated ahead within the skew was still sent now).
        let gpc_seen = input.gpc.then(|| at.min(self.now));
        let at = time::format(at);
        let mut is_new = false;
        let mut written: Option<String> = None;
        let receipt = self.update::<SubjectHead, Receipt>(
            Bucket::Data,
            &subject_key(&sid),
            |this, head| {
                let mut body = match &head {
                    Some(h) => this.open_head(&sid, h)?,
                    None => HeadBody::default(),
                };
                is_new = head.is_none();
                if body.receipts.iter().any(|r| r.id == receipt_id) {
                    return Err(Error::conflict(
                        "input.receipt-id",
                        "unique-per-subject",
                        format!("receipt {receipt_id} is already recorded for this subject"),
                    ));
                }
                match &input.subject {
                    SubjectRef::Email(e) => body.email = Some(validate::email("input.subject.email", e)?),
                    SubjectRef::External(x) => body.external = Some(x.clone()),
                    SubjectRef::Subject(_) if head.is_none() && !new_by_id => {
                        return Err(Error::not_found(
                            "input.subject.subject",
                            "known-subject",
                            "no subject has this id; name a new subject by e-mail or external id",
                        ));
                    }
                    SubjectRef::Subject(_) => {}
                }
                if let Some(seen) = gpc_seen {
                    record_gpc_sighting(&mut body, seen);
                }
                let mut chain = head.map(|h| h.chain).unwrap_or_default();
                let prev = chain.last().cloned().unwrap_or_else(|| genesis(&sid));
                let seq = u32::try_from(chain.len() + 1).map_err(|_| Error::Other("chain too long".into()))?;
                let mut receipt = Receipt {
                    id: receipt_id.clone(),
                    subject: sid.clone(),
                    seq,
                    purpose: purpose.id.clone(),
                    decision: input.decision,
                    given_by: input.given_by,
                    channel: input.channel,
                    notice: notice.clone(),
                    at: at.clone(),
                    recorded_at: recorded_at.clone(),
                    recorded_by: actor.clone(),
                    ip_truncated: ip_truncated.clone(),
                    user_agent_sha256: user_agent_sha256.clone(),
                    gpc: input.gpc,
                    age: input.age,
                    banner: banner.clone(),
                    hash: String::new(),
                    prev: prev.clone(),
                };
                let plain = serde_json::to_vec(&receipt).unwrap_or_else(|_| unreachable!("receipts serialise"));
                let sealed = dek.seal("receipt", &sid, &plain, this.entropy);
                let stored = store::encode(&ReceiptEntry { sealed: base64(&sealed) });
                let hash = chain_hash(&prev, &stored);
                receipt.hash = hash.clone();
                chain.push(hash.clone());
                body.receipts.push(ReceiptSummary {
                    id: receipt.id.clone(),
                    seq,
                    purpose: receipt.purpose.clone(),
                    decision: receipt.decision,
                    given_by: receipt.given_by,
                    at: receipt.at.clone(),
                    age: receipt.age,
                    notice: receipt.notice.as_ref().map(|n| n.reference.clone()),
                });
                let head = this.seal_head(&sid, chain, &body, &dek);
                // Refuse a head that would not fit before writing anything.
                this.check_fits(Bucket::Data, &subject_key(&sid), &store::encode(&head))?;
                // The entry of an attempt that lost its swap is unreferenced: remove it
                // (best effort; `verify` ignores unreferenced entries anyway).
                if let Some(orphan) = written.take() {
                    let _ = this.store.delete(Bucket::Data, &orphan);
                }
                // Immutable entry first; the head swap is the commit point.
                let key = receipt_key(&sid, &hash);
                this.set_raw(Bucket::Data, &key, &stored)?;
                written = Some(key);
                Ok(Some((head, receipt)))
            },
            || unreachable!("recording always writes"),
        )?;
        if is_new {
            // Derived index; a failure here is repaired by `reindex`.
            let _ = self.index_subject(&sid);
        }
        // Derived statistics (see `banner`): best effort after the commit point.
        let _ = self.count_decision(&sid, &receipt.purpose, receipt.decision, day);
        Ok(receipt)
    }

    pub fn status(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<SubjectStatus> {
        self.status_with_signals(actor, subject, StatusSignals::default())
    }

    /// The status as [`Self::status`], for a read that carries the browser's signals.
    /// With Global Privacy Control, advertising purposes answer `refused` unless granted
    /// at or after the signal was first seen for the subject (policy
    /// `gpc-refuses-advertising`, on by default). The first sighting is stored in the
    /// subject's head: a read with the signal of a subject that has a head and no stored
    /// sighting is a write (one swap of the head, the chain unchanged); a subject never
    /// seen is not created by a read (every advertising purpose answers `refused`, the
    /// signal counted from now).
    pub fn status_with_signals(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        signals: StatusSignals,
    ) -> Result<SubjectStatus> {
        authorize(actor, Operation::ReadStatus { subject })?;
        let sid = self.subject_id("subject", subject)?;
        Ok(self.status_of(actor, sid, signals)?.0)
    }

    /// The status of subject `sid` (its role checked by the caller), and the receipt
    /// summaries it was derived from.
    pub(crate) fn status_of(
        &mut self,
        actor: &Actor,
        sid: String,
        signals: StatusSignals,
    ) -> Result<(SubjectStatus, Vec<ReceiptSummary>)> {
        let policy = self.current_policy()?;
        let purposes = self.purposes()?;
        self.check_master_key(false)?;
        let mut loaded = self.load_subject(&sid)?;
        let gpc = signals.gpc && policy.settings.gpc_refuses_advertising();
        let mut since = None;
        if gpc {
            since = stored_sighting(&loaded.body).filter(|t| *t <= self.now);
            if since.is_none() && loaded.head.is_some() && loaded.body.shredded == 0 {
                loaded.body = self.store_gpc_sighting(&sid)?;
                since = stored_sighting(&loaded.body);
            }
            since = since.or(Some(self.now));
        }
        let purposes = purposes
            .iter()
            .map(|p| purpose_status_with_gpc(p, &policy.settings, &loaded.body.receipts, self.now, since))
            .collect::<Result<Vec<_>>>()?;
        // Staff and automation reads are audited; a visitor reading the status of its own
        // banner id (every page view) is the person, not the shop, reading.
        if actor.role != Role::Public && loaded.head.is_some() {
            self.audit_one(actor, "consent.status", sid.clone(), String::new())?;
        }
        Ok((SubjectStatus { subject: sid, purposes }, loaded.body.receipts))
    }

    /// Store now as the first sighting of Global Privacy Control in an existing head, unless
    /// one (not in the future) is already stored: one swap, the chain unchanged. Returns
    /// the head's body as written (or as found).
    fn store_gpc_sighting(&mut self, sid: &str) -> Result<HeadBody> {
        let dek = self.existing_data_key(sid)?;
        let now = self.now;
        let kept = std::cell::RefCell::new(HeadBody::default());
        self.update::<SubjectHead, HeadBody>(
            Bucket::Data,
            &subject_key(sid),
            |this, head| {
                let Some(head) = head else { return Ok(None) };
                let mut body = this.open_head(sid, &head)?;
                if body.shredded > 0 || stored_sighting(&body).is_some_and(|t| t <= now) {
                    *kept.borrow_mut() = body;
                    return Ok(None);
                }
                record_gpc_sighting(&mut body, now);
                let head = this.seal_head(sid, head.chain, &body, &dek);
                Ok(Some((head, body)))
            },
            || kept.take(),
        )
    }

    pub fn history(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Vec<Receipt>> {
        authorize(actor, Operation::ReadHistory)?;
        let sid = self.subject_id("subject", subject)?;
        self.check_master_key(false)?;
        let loaded = self.load_subject(&sid)?;
        let Some(head) = loaded.head else {
            return Ok(Vec::new());
        };
        let receipts = self.read_receipts(&sid, &head, loaded.body.shredded as usize)?;
        self.audit_one(actor, "consent.history", sid, format!("{} receipts", receipts.len()))?;
        Ok(receipts)
    }

    /// Every receipt of a stored chain, checked against its chain hash, and opened but for
    /// the first `shredded` (sealed under a key an erasure destroyed).
    pub(crate) fn read_receipts(&mut self, sid: &str, head: &SubjectHead, shredded: usize) -> Result<Vec<Receipt>> {
        let dek = self.existing_data_key(sid)?;
        let keys: Vec<String> = head.chain.iter().map(|h| receipt_key(sid, h)).collect();
        let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut prev = genesis(sid);
        let mut out = Vec::with_capacity(values.len());
        for (i, ((hash, key), value)) in head.chain.iter().zip(&keys).zip(values).enumerate() {
            let at = place(Bucket::Data, key);
            let stored =
                value.ok_or_else(|| Error::corrupted(&at, "receipt-present", "a receipt of the chain is missing"))?;
            if &chain_hash(&prev, &stored) != hash {
                return Err(Error::corrupted(&at, "receipt-hash", "the receipt does not match its chain hash"));
            }
            prev = hash.clone();
            if i < shredded {
                continue;
            }
            let entry: ReceiptEntry = store::decode(&at, &stored)?;
            let sealed = from_base64(&entry.sealed).ok_or_else(|| Error::corrupted(&at, "decodes", "not base64"))?;
            let plain = dek
                .open("receipt", sid, &sealed)
                .ok_or_else(|| Error::corrupted(&at, "aead-authentic", "the receipt fails authentication"))?;
            let mut receipt: Receipt =
                serde_json::from_slice(&plain).map_err(|e| Error::corrupted(&at, "decodes", e.to_string()))?;
            receipt.hash = hash.clone();
            out.push(receipt);
        }
        Ok(out)
    }
}
