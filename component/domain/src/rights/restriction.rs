//! Restriction of processing (Art. 18) and objection to direct marketing (Art. 21).
//!
//! - **Restriction.** The record is only stored: support and the host's automation can no
//!   longer read, change, list or delete it, the sweep leaves it alone, an import does not
//!   touch it. The DPO and admins still handle it. It is lifted only after the person is
//!   told (Art. 18(3)): the first `lift-restriction` queues the notice in the outbox; once
//!   the host has acknowledged it as sent, the next one lifts.
//! - **Objection to direct marketing** is absolute (Art. 21(2)–(3)) and takes effect at
//!   once: every marketing and advertising purpose leaves the person's fields (a field
//!   left with none goes), each such consent still given is withdrawn in the ledger, and
//!   a keyed hash of the e-mail goes on the opposition list (`opposition/<hash>`, for the
//!   policy's `opposition-months`), which the import consults so the person is not
//!   imported again.

use serde::{Deserialize, Serialize};

use crate::consent::{ConsentState, ReceiptInput};
use crate::customers::{ChangeReason, FieldChange, Restriction};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Document, Store};
use crate::kernel::time::{self, Stamp};
use crate::kernel::types::{Actor, Channel, PurposeKind, SubjectRef};
use crate::kernel::validate;
use crate::outbox::{MessageBody, MessageKind};

/// A change to what may be done with a person's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessingChange {
    /// Art. 18, with the reason (contested accuracy, unlawful processing, legal claims,
    /// pending objection).
    Restrict(String),
    /// Tell the person, then (once the notice is sent) lift the restriction.
    LiftRestriction,
    /// Art. 21(2)–(3), recorded as given through this channel.
    ObjectToMarketing(Channel),
}

/// Where a person's processing stands after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessingState {
    pub subject: String,
    pub restriction: Option<Restriction>,
    /// The restriction was lifted by this call.
    pub lifted: bool,
    /// On the opposition list until then.
    pub opposed_until: Option<Stamp>,
    /// Purposes that stopped (taken off fields or withdrawn in the ledger).
    pub purposes_stopped: Vec<String>,
    /// Fields that served only those purposes, removed.
    pub fields_removed: Vec<String>,
}

/// `opposition/<hash>`: a person who objected to direct marketing (no personal data).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OppositionEntry {
    pub at: Stamp,
    pub until: Stamp,
}
impl Document for OppositionEntry {
    const KIND: &'static str = "opposition";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

impl<S: Store> Fichier<'_, S> {
    /// The opposition list's key for a normalised e-mail (a keyed hash, distinct from the
    /// subject id).
    pub(crate) fn opposition_key(&self, email: &str) -> Result<String> {
        let h = self.keys()?.lookup_hash("opposition", email);
        Ok(format!("opposition/{}", crate::kernel::encoding::base32(&h)))
    }

    /// Restrict, lift a restriction, or record an objection to direct marketing.
    pub fn change_processing(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        change: &ProcessingChange,
    ) -> Result<ProcessingState> {
        match change {
            ProcessingChange::Restrict(reason) => {
                authorize(actor, Operation::Restrict)?;
                validate::text("change.restrict", reason, 1000)?;
            }
            ProcessingChange::LiftRestriction => authorize(actor, Operation::LiftRestriction)?,
            ProcessingChange::ObjectToMarketing(_) => authorize(actor, Operation::Object)?,
        }
        self.check_master_key(false)?;
        match change {
            ProcessingChange::Restrict(reason) => self.restrict(actor, subject, reason),
            ProcessingChange::LiftRestriction => self.lift(actor, subject),
            ProcessingChange::ObjectToMarketing(channel) => self.object(actor, subject, *channel),
        }
    }

    fn restrict(&mut self, actor: &Actor, subject: &SubjectRef, reason: &str) -> Result<ProcessingState> {
        let l = self.require_processable(actor, "subject", subject)?;
        let sid = l.sid.clone();
        let mut state = state(&sid, l.body.restriction.clone());
        if l.body.restriction.is_some() {
            return Ok(state);
        }
        let mut body = l.body;
        let now = Stamp::from_instant(self.now);
        let restriction = Restriction { since: now, reason: reason.to_string(), by: actor.clone(), lift_notice: None };
        body.restriction = Some(restriction.clone());
        body.updated_at = now;
        self.audit_one(actor, "rights.restrict", sid.clone(), String::new())?;
        let dek = self.existing_data_key(&sid)?;
        self.commit_customer_only(&sid, Some(l.doc.revision), body, &dek, None)?;
        state.restriction = Some(restriction);
        Ok(state)
    }

    fn lift(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<ProcessingState> {
        let l = self.require_processable(actor, "subject", subject)?;
        let sid = l.sid.clone();
        let Some(restriction) = l.body.restriction.clone() else {
            return Err(Error::conflict("subject", "restricted", "this person's processing is not restricted"));
        };
        let mut body = l.body;
        let now = Stamp::from_instant(self.now);
        let dek = self.existing_data_key(&sid)?;
        match &restriction.lift_notice {
            None => {
                let Some(to) = body.email().map(str::to_string) else {
                    return Err(Error::conflict(
                        "subject",
                        "contact-known",
                        "the person must be told before the restriction is lifted, and no e-mail is known",
                    ));
                };
                let message = MessageBody {
                    to,
                    title: "Fin de la limitation du traitement de vos données / Restriction lifted".into(),
                    body: format!(
                        "Bonjour,\n\nLa limitation du traitement de vos données, en place depuis le {since}, va être \
                         levée (article 18, paragraphe 3, du RGPD).\n\nHello,\n\nThe restriction of the processing \
                         of your data, in place since {since}, is about to be lifted (GDPR Art. 18(3)).\n",
                        since = time::date_in(restriction.since.instant(), self.current_policy()?.settings.zone())
                    ),
                };
                let id = self.queue(&sid, &dek, MessageKind::RestrictionLifted, None, message)?;
                body.restriction = Some(Restriction { lift_notice: Some(id), ..restriction });
                self.audit_one(actor, "rights.lift-notice", sid.clone(), String::new())?;
                let c = self.commit_customer_only(&sid, Some(l.doc.revision), body, &dek, None)?;
                Ok(state(&sid, c.body.restriction))
            }
            Some(id) => {
                if self.outbox_holds(id)? {
                    return Err(Error::conflict(
                        "subject",
                        "person-told",
                        format!("the notice {id} has not been sent yet: acknowledge it once it is, then lift"),
                    ));
                }
                body.restriction = None;
                body.updated_at = now;
                self.audit_one(actor, "rights.lift", sid.clone(), format!("notice={id}"))?;
                self.commit_customer_only(&sid, Some(l.doc.revision), body, &dek, None)?;
                Ok(ProcessingState { lifted: true, ..state(&sid, None) })
            }
        }
    }

    fn object(&mut self, actor: &Actor, subject: &SubjectRef, channel: Channel) -> Result<ProcessingState> {
        let sid = self.subject_id("subject", subject)?;
        let loaded = self.find_customer("subject", subject)?;
        let email = match (subject, &loaded) {
            (SubjectRef::Email(e), _) => Some(crate::customers::normalize::email("subject.email", e)?),
            (_, Some(l)) => l.body.email().map(str::to_string),
            _ => None,
        };
        let Some(email) = email else {
            return Err(Error::invalid(
                "subject",
                "email-known",
                "the opposition list holds e-mail addresses: name the person by e-mail",
            ));
        };
        let purposes = self.purposes()?;
        let marketing: Vec<String> = purposes
            .iter()
            // Measuring the opens of marketing mails goes with the marketing objected to.
            .filter(|p| {
                matches!(p.kind, PurposeKind::Marketing | PurposeKind::Advertising | PurposeKind::EmailTracking)
            })
            .map(|p| p.id.clone())
            .collect();
        let policy = self.current_policy()?;
        let now = Stamp::from_instant(self.now);
        // Kept to the end of the period's last day, Paris time (Reg. 1182/71 art. 3).
        let until = time::period_end(self.now, policy.settings.opposition_months, policy.settings.zone())
            .map_or(now, Stamp::from_instant);
        let target = loaded.as_ref().map_or(sid.clone(), |l| l.sid.clone());
        self.audit_one(actor, "rights.object", target.clone(), "direct marketing".into())?;
        // The list first: whatever happens next, the person is not imported again.
        self.check_master_key(true)?;
        let key = self.opposition_key(&email)?;
        let entry = OppositionEntry { at: now, until };
        self.set_raw(Bucket::Data, &key, &crate::kernel::store::encode(&entry))?;
        let mut out = ProcessingState { opposed_until: Some(until), ..state(&target, None) };
        if let Some(l) = loaded {
            out.restriction = l.body.restriction.clone();
            let mut body = l.body;
            let mut changed = false;
            let mut kept = Vec::with_capacity(body.fields.len());
            for mut f in std::mem::take(&mut body.fields) {
                let before = f.purposes.len();
                for p in f.purposes.iter().filter(|p| marketing.contains(p)) {
                    if !out.purposes_stopped.contains(p) {
                        out.purposes_stopped.push(p.clone());
                    }
                }
                f.purposes.retain(|p| !marketing.contains(p));
                changed |= f.purposes.len() != before;
                if f.purposes.is_empty() {
                    body.history.push(FieldChange {
                        field: f.name.clone(),
                        previous: Some(f.value.clone()),
                        value: None,
                        reason: ChangeReason::Removed,
                        at: now,
                        by: actor.clone(),
                        from_subject: None,
                    });
                    out.fields_removed.push(f.name);
                } else {
                    kept.push(f);
                }
            }
            body.fields = kept;
            if changed {
                body.updated_at = now;
                if body.is_empty() {
                    // Only marketing kept this record: nothing is left to keep.
                    self.delete_record(&l.sid)?;
                } else {
                    let dek = self.existing_data_key(&l.sid)?;
                    self.commit_customer_only(&l.sid, Some(l.doc.revision), body, &dek, None)?;
                }
            }
        }
        // Consent still given to a marketing purpose is withdrawn, in the person's name.
        let status = self.status(actor, &SubjectRef::Email(email.clone()))?;
        for p in status.purposes.iter().filter(|p| p.state == ConsentState::Given && marketing.contains(&p.purpose)) {
            let input = ReceiptInput::withdrawal(SubjectRef::Email(email.clone()), p.purpose.clone(), channel, None);
            self.record_decision(actor, input)?;
            if !out.purposes_stopped.contains(&p.purpose) {
                out.purposes_stopped.push(p.purpose.clone());
            }
        }
        out.purposes_stopped.sort();
        Ok(out)
    }
}

fn state(sid: &str, restriction: Option<Restriction>) -> ProcessingState {
    ProcessingState {
        subject: sid.to_string(),
        restriction,
        lifted: false,
        opposed_until: None,
        purposes_stopped: Vec::new(),
        fields_removed: Vec::new(),
    }
}
