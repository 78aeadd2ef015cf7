//! Accuracy (Art. 5(1)(d)): the re-verification list (fields past their period per
//! category, bounced e-mails), marking a field re-verified or an e-mail bounced, the
//! events that start retention periods (a contact the person initiated, the end of the
//! relationship), and what the retention sweep archived for a record.

use super::{
    ArchivedField, ChangeReason, Customer, CustomerBody, CustomerEvent, FieldChange, ReviewEntry, ReviewPage,
    StaleField, field_name,
};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::policy::Policy;
use crate::kernel::store::Store;
use crate::kernel::time::{self, Instant, Stamp};
use crate::kernel::types::{Actor, SubjectRef};

impl<S: Store> Fichier<'_, S> {
    pub(crate) fn review_customers_unaudited(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ReviewPage> {
        authorize(actor, Operation::ReadCustomer)?;
        let policy = self.current_policy()?;
        let (loaded, damaged, next) = self.page(cursor, limit)?;
        let scanned = (loaded.len() + damaged.len()) as u32;
        let now = self.now;
        let entries = loaded
            .into_iter()
            .filter_map(|l| {
                let stale = stale_fields(&l.body, &policy, now);
                (!stale.is_empty() || l.body.email_bounced_at.is_some()).then_some(ReviewEntry {
                    subject: l.sid,
                    stale,
                    email_bounced_at: l.body.email_bounced_at,
                })
            })
            .collect();
        Ok(ReviewPage { entries, next, scanned, damaged })
    }

    pub(crate) fn mark_bounced_unaudited(&mut self, actor: &Actor, subject: &SubjectRef) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        let now = Stamp::from_instant(self.now);
        self.change_customer(actor, subject, |_, body| {
            let Some(email) = body.email().map(str::to_string) else {
                return Err(Error::invalid("subject", "has-email", "the record has no email field"));
            };
            if body.email_bounced_at.is_some() {
                return Ok(false);
            }
            body.email_bounced_at = Some(now);
            body.history.push(FieldChange::new(
                "email".into(),
                Some(email.clone()),
                Some(email),
                ChangeReason::Bounced,
                now,
                actor,
            ));
            body.updated_at = now;
            Ok(true)
        })
    }

    pub(crate) fn record_customer_event_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        event: CustomerEvent,
        at: Option<&str>,
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        let policy = self.current_policy()?;
        let at = match at {
            None => self.now,
            Some(t) => {
                let t = time::parse("at", t)?;
                if t > self.now + chrono::Duration::seconds(i64::from(policy.settings.max_future_skew_seconds)) {
                    return Err(Error::invalid("at", "not-future", "an event cannot be in the future"));
                }
                t
            }
        };
        let at = Stamp::from_instant(at);
        self.change_customer(actor, subject, |_, body| {
            let slot = match event {
                CustomerEvent::Contact => &mut body.last_contact_at,
                CustomerEvent::RelationshipEnded => &mut body.relationship_ended_at,
                CustomerEvent::Login => &mut body.last_login_at,
            };
            // The latest event counts; an older one changes nothing.
            if slot.is_some_and(|s| s >= at) {
                return Ok(false);
            }
            *slot = Some(at);
            Ok(true)
        })
    }

    /// The record's subject id and archive.
    pub(crate) fn archived_fields_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
    ) -> Result<(String, Vec<ArchivedField>)> {
        authorize(actor, Operation::ReadArchive)?;
        self.check_master_key(false)?;
        match self.find_customer("subject", subject)? {
            Some(l) => Ok((l.sid, l.body.archive)),
            None => {
                // An erased person: what legal holds keep of them.
                let sid = self.subject_id("subject", subject)?;
                let held = self.held_fields(&sid)?;
                if held.is_empty() {
                    return Err(Error::not_found("subject", "customer-exists", "no customer record for this subject"));
                }
                Ok((sid, held))
            }
        }
    }

    pub(crate) fn reverify_customer_unaudited(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        names: &[String],
    ) -> Result<Customer> {
        authorize(actor, Operation::WriteCustomer)?;
        for (i, n) in names.iter().enumerate() {
            field_name(&format!("fields[{i}]"), n)?;
        }
        let now = Stamp::from_instant(self.now);
        self.change_customer(actor, subject, |_, body| {
            for (i, n) in names.iter().enumerate() {
                if body.field(n).is_none() {
                    return Err(Error::not_found(
                        format!("fields[{i}]"),
                        "field-exists",
                        "the record has no such field",
                    ));
                }
            }
            let mut touched = Vec::new();
            for f in body.fields.iter_mut() {
                if names.is_empty() || names.contains(&f.name) {
                    f.verified_at = Some(now);
                    touched.push((f.name.clone(), f.value.clone()));
                }
            }
            for (name, value) in touched {
                if name == "email" {
                    body.email_bounced_at = None;
                }
                body.history.push(FieldChange::new(
                    name,
                    Some(value.clone()),
                    Some(value),
                    ChangeReason::Reverified,
                    now,
                    actor,
                ));
            }
            body.updated_at = now;
            Ok(true)
        })
    }
}

/// Fields past their re-verification period.
pub fn stale_fields(body: &CustomerBody, policy: &Policy, now: Instant) -> Vec<StaleField> {
    let mut out = Vec::new();
    for f in &body.fields {
        let Some(months) = policy.settings.reverify_months(f.category) else { continue };
        let since = f.verified_at.unwrap_or(f.collected_at);
        // Due at the end of the period's last day, Paris time; stale only after it
        // (Reg. 1182/71 art. 3).
        let Some(due) = time::period_end(since.instant(), months, policy.settings.zone()) else { continue };
        if due < now {
            out.push(StaleField {
                field: f.name.clone(),
                category: f.category,
                since: since.to_string(),
                due_at: time::format(due),
            });
        }
    }
    out
}
