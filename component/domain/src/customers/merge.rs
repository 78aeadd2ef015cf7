//! Duplicates and merge: the likely-duplicate pairs for review (see [`super::duplicates`]
//! for the rules), and the merge of two records on request, keeping every value and its
//! history; the absorbed record points to the kept one.

use super::{
    ChangeReason, Customer, CustomerBody, CustomerDoc, CustomerState, DuplicatesReport, FieldChange, duplicates,
};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::directory::Directory;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Store};
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, SubjectRef};

impl<S: Store> Fichier<'_, S> {
    pub(crate) fn find_duplicates_unaudited(&mut self, actor: &Actor) -> Result<DuplicatesReport> {
        authorize(actor, Operation::FindDuplicates)?;
        self.check_master_key(false)?;
        let ids = self.customer_ids()?;
        let mut candidates = Vec::with_capacity(ids.len());
        let mut damaged = Vec::new();
        for chunk in ids.chunks(256) {
            let (loaded, bad) = self.load_many(chunk)?;
            damaged.extend(bad);
            for l in loaded {
                let get = |n: &str| l.body.field(n).map(|f| f.value.clone());
                candidates.push(duplicates::Candidate {
                    subject: l.sid.clone(),
                    email: get("email"),
                    phone: get("phone"),
                    given_name: get("given-name"),
                    family_name: get("family-name"),
                    postal_code: get("postal-code"),
                });
            }
        }
        Ok(DuplicatesReport { pairs: duplicates::find(&candidates), damaged })
    }

    pub(crate) fn merge_customers_unaudited(
        &mut self,
        actor: &Actor,
        kept: &SubjectRef,
        absorbed: &SubjectRef,
    ) -> Result<(Customer, String)> {
        authorize(actor, Operation::MergeCustomers)?;
        self.check_master_key(false)?;
        let absorbed_sid = self.subject_id("absorbed", absorbed)?;
        let keep = self.require_customer("kept", kept)?;
        // Already merged (perhaps interrupted before the pointer was written): finish.
        let gone = match self.customer_doc(&absorbed_sid)? {
            Some(d) if d.state == CustomerState::Active => {
                if absorbed_sid == keep.sid {
                    return Err(Error::invalid("absorbed", "distinct", "a record cannot absorb itself"));
                }
                Some(self.open_customer(&absorbed_sid, &d)?)
            }
            _ if keep.body.merged_from.contains(&absorbed_sid) => None,
            _ => return Err(Error::not_found("absorbed", "customer-exists", "no customer record for this subject")),
        };
        let now = Stamp::from_instant(self.now);
        let merged = match gone {
            None => Customer { subject: keep.sid.clone(), revision: keep.doc.revision, body: keep.body.clone() },
            Some(other) => {
                let kept_ref = SubjectRef::Subject(keep.sid.clone());
                let from = absorbed_sid.clone();
                self.change_customer(actor, &kept_ref, |_, body| {
                    if body.merged_from.contains(&from) {
                        return Ok(false);
                    }
                    merge_into(body, &other, &from, actor, now);
                    Ok(true)
                })?
            }
        };
        // Second step: the absorbed record becomes a pointer (idempotent).
        let into = merged.subject.clone();
        let pointed = self.update::<CustomerDoc, bool>(
            Bucket::Data,
            &crate::customers::customer_key(&absorbed_sid),
            |_, current| match current {
                Some(d) if d.state == CustomerState::Active => Ok(Some((
                    CustomerDoc {
                        subject: d.subject,
                        revision: d.revision + 1,
                        state: CustomerState::MergedInto(into.clone()),
                        sealed: None,
                    },
                    true,
                ))),
                _ => Ok(None),
            },
            || false,
        )?;
        if pointed {
            let _ = self.unindex_in(Directory::Customers, &absorbed_sid);
        }
        Ok((merged, absorbed_sid))
    }
}

/// Fold `other` (the absorbed record) into `body`.
pub(super) fn merge_into(body: &mut CustomerBody, other: &CustomerBody, from: &str, by: &Actor, now: Stamp) {
    for mut change in other.history.clone() {
        change.from_subject = Some(change.from_subject.unwrap_or_else(|| from.to_string()));
        body.history.push(change);
    }
    for f in &other.fields {
        let previous = body.field(&f.name).map(|e| e.value.clone());
        match previous {
            None => {
                body.fields.push(f.clone());
                body.history.push(FieldChange {
                    from_subject: Some(from.to_string()),
                    ..FieldChange::new(f.name.clone(), None, Some(f.value.clone()), ChangeReason::Merged, now, by)
                });
            }
            Some(mine) if mine != f.value => {
                // The kept value stays; the other one is kept in the history.
                body.history.push(FieldChange {
                    from_subject: Some(from.to_string()),
                    ..FieldChange::new(f.name.clone(), Some(f.value.clone()), Some(mine), ChangeReason::Merged, now, by)
                });
            }
            Some(_) => {}
        }
    }
    body.last_contact_at = body.last_contact_at.max(other.last_contact_at);
    body.relationship_ended_at = body.relationship_ended_at.max(other.relationship_ended_at);
    body.last_login_at = body.last_login_at.max(other.last_login_at);
    for d in &other.disputes {
        if !body.disputes.iter().any(|x| x.reference == d.reference) {
            body.disputes.push(d.clone());
        }
    }
    body.archive.extend(other.archive.iter().cloned());
    body.anonymised.extend(other.anonymised.iter().cloned());
    body.merged_from.push(from.to_string());
    for m in &other.merged_from {
        if !body.merged_from.contains(m) {
            body.merged_from.push(m.clone());
        }
    }
    crate::kernel::sort::sort_by(&mut body.fields, |a, b| a.name.cmp(&b.name));
    body.updated_at = now;
}
