//! Dispute holds (Art. 17(3)(e), CNIL délibération 2018-303): an open dispute or legal
//! claim over a customer keeps the fields it names, with no end date known in advance,
//! until it is closed. While it is open the sweep archives those fields instead of
//! deleting them and never deletes them from the archive, and an erasure keeps them; once
//! it is closed the normal rules apply again (the next sweep deletes what they no longer
//! keep).

use crate::customers::{Dispute, field_name};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::Store;
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, SubjectRef};
use crate::kernel::validate;

/// Most disputes open at once on one record.
pub const MAX_DISPUTES: usize = 16;

fn check_reference(reference: &str) -> Result<()> {
    validate::printable("reference", reference, 100)
}

impl<S: Store> Fichier<'_, S> {
    /// Open a dispute hold over `fields` of a customer (each must be in the record, in use
    /// or archived). Returns the record's open disputes.
    pub fn open_dispute(
        &mut self,
        actor: &Actor,
        subject: &SubjectRef,
        reference: &str,
        fields: &[String],
    ) -> Result<Vec<Dispute>> {
        authorize(actor, Operation::HoldDispute)?;
        check_reference(reference)?;
        if fields.is_empty() {
            return Err(Error::invalid("fields", "non-empty", "name the fields the dispute needs kept"));
        }
        if fields.len() > crate::customers::MAX_FIELDS {
            return Err(Error::invalid("fields", "max-items", "at most 64 fields"));
        }
        for (i, f) in fields.iter().enumerate() {
            field_name(&format!("fields[{i}]"), f)?;
            if fields[..i].contains(f) {
                return Err(Error::invalid(format!("fields[{i}]"), "unique", "a field is named once"));
            }
        }
        let now = Stamp::from_instant(self.now);
        let c = self.change_customer(actor, subject, |_, body| {
            for (i, f) in fields.iter().enumerate() {
                let known = body.fields.iter().any(|x| &x.name == f) || body.archive.iter().any(|a| &a.field.name == f);
                if !known {
                    return Err(Error::not_found(
                        format!("fields[{i}]"),
                        "field-exists",
                        "the record has no such field, in use or archived",
                    ));
                }
            }
            if body.disputes.iter().any(|d| d.reference == reference) {
                return Err(Error::conflict("reference", "unique", "a dispute with this reference is already open"));
            }
            if body.disputes.len() >= MAX_DISPUTES {
                return Err(Error::conflict("reference", "max-disputes", "at most 16 disputes are open at once"));
            }
            body.disputes.push(Dispute {
                reference: reference.to_string(),
                fields: fields.to_vec(),
                opened_at: now,
                by: actor.clone(),
            });
            Ok(true)
        })?;
        let detail = format!("fields={}", fields.join(","));
        self.audit_one(actor, "retention.dispute-open", c.subject.clone(), detail)?;
        Ok(c.body.disputes)
    }

    /// Close the dispute `reference` of a customer, or of an erased person whose held data
    /// it keeps: the normal rules apply again from the next sweep. Returns the disputes
    /// still open.
    pub fn close_dispute(&mut self, actor: &Actor, subject: &SubjectRef, reference: &str) -> Result<Vec<Dispute>> {
        authorize(actor, Operation::HoldDispute)?;
        check_reference(reference)?;
        self.check_master_key(false)?;
        let gone = || Error::not_found("reference", "dispute-open", "no open dispute with this reference");
        let (sid, left) = match self.find_customer("subject", subject)? {
            Some(_) => {
                let c = self.change_customer(actor, subject, |_, body| {
                    let before = body.disputes.len();
                    body.disputes.retain(|d| d.reference != reference);
                    if body.disputes.len() == before {
                        return Err(gone());
                    }
                    Ok(true)
                })?;
                (c.subject, c.body.disputes)
            }
            None => {
                // An erased person: the dispute lives with what it keeps.
                let sid = self.subject_id("subject", subject)?;
                match self.close_held_dispute(&sid, reference)? {
                    Some(left) => (sid, left),
                    None => return Err(gone()),
                }
            }
        };
        self.audit_one(actor, "retention.dispute-close", sid, String::new())?;
        Ok(left)
    }
}
