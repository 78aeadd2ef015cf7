//! Duplicates and merge: the likely-duplicate pairs for review (see [`super::duplicates`]
//! for the rules), and the merge of two records on request, keeping every value and its
//! history; the absorbed record points to the kept one.

use super::{
    ChangeReason, Customer, CustomerBody, CustomerDoc, CustomerState, DuplicatesReport, FieldChange, duplicates,
};
use std::collections::HashMap;

use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::directory::Directory;
use crate::kernel::error::{Error, Result};
use crate::kernel::keys::check_subject_id;
use crate::kernel::store::{Bucket, Store};
use crate::kernel::time::Stamp;
use crate::kernel::types::{Actor, SubjectRef};

/// The most candidate pairs one page of the duplicates report examines.
pub const DUPLICATES_PAGE_MAX: u32 = 100_000;
/// Candidate pairs confirmed together: the records they name are opened in one batch.
const CONFIRM_RUN: usize = 500;

fn candidate(subject: String, body: &CustomerBody) -> duplicates::Candidate {
    let get = |n: &str| body.field(n).map(|f| f.value.clone());
    duplicates::Candidate {
        subject,
        email: get("email"),
        phone: get("phone"),
        given_name: get("given-name"),
        family_name: get("family-name"),
        postal_code: get("postal-code"),
    }
}

impl<S: Store> Fichier<'_, S> {
    /// A page of the duplicates report (see [`duplicates`] for the rules, and
    /// `find_duplicates` for the paging): one walk over the file by pages of records, each
    /// leaving compact keys; then up to `limit` candidate pairs after `cursor`, each
    /// confirmed on the two records reopened.
    pub(crate) fn find_duplicates_unaudited(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<DuplicatesReport> {
        authorize(actor, Operation::FindDuplicates)?;
        if !(1..=DUPLICATES_PAGE_MAX).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-100000", "a page examines 1 to 100 000 candidate pairs"));
        }
        let after = match cursor {
            None => None,
            Some(c) => {
                let parsed = c.split_once('.').filter(|(a, b)| {
                    check_subject_id("cursor", a).is_ok() && check_subject_id("cursor", b).is_ok() && a < b
                });
                Some(parsed.ok_or_else(|| {
                    Error::invalid(
                        "cursor",
                        "duplicates-cursor",
                        "a cursor is two subject ids, the first smaller, joined by a dot",
                    )
                })?)
            }
        };
        self.check_master_key(false)?;
        let mut blocking = duplicates::Blocking::default();
        let mut damaged = Vec::new();
        let mut walked: Option<String> = None;
        loop {
            let (loaded, bad, next) = self.page(walked.as_deref(), 1000)?;
            damaged.extend(bad);
            for l in loaded {
                if !blocking.add(&candidate(l.sid, &l.body)) {
                    return Err(Error::conflict(
                        "customers",
                        "duplicates-max-records",
                        "the file holds more records than one duplicates report compares (16 777 216)",
                    ));
                }
            }
            match next {
                Some(n) => walked = Some(n),
                None => break,
            }
        }
        let candidates = blocking.candidates();
        let pair_of = |c: u64| {
            let (i, j) = duplicates::positions(c);
            (blocking.subject(i), blocking.subject(j))
        };
        let start = after.map_or(0, |cut| candidates.partition_point(|&c| pair_of(c) <= cut));
        let todo = candidates.get(start..).unwrap_or_default();
        let page = todo.get(..limit as usize).unwrap_or(todo);
        let mut pairs = Vec::new();
        // The pairs by runs of 500: the records a run names (up to 1 000) opened together,
        // two reads of the store, and let go before the next run. A record no longer
        // active or that does not open (named by the walk) confirms no pair.
        for run in page.chunks(CONFIRM_RUN) {
            let mut ids: Vec<String> = run
                .iter()
                .flat_map(|&c| {
                    let (a, b) = pair_of(c);
                    [a.to_string(), b.to_string()]
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let (loaded, _) = self.load_many(&ids)?;
            let opened: HashMap<String, duplicates::Candidate> =
                loaded.into_iter().map(|l| (l.sid.clone(), candidate(l.sid, &l.body))).collect();
            for &c in run {
                let (a, b) = pair_of(c);
                let (Some(x), Some(y)) = (opened.get(a), opened.get(b)) else { continue };
                duplicates::confirm_all(x, y, &mut |reason, distance| {
                    pairs.push(duplicates::Pair { a: a.to_string(), b: b.to_string(), reason, distance })
                });
            }
        }
        let next = match (page.last(), todo.len() > page.len()) {
            (Some(&last), true) => {
                let (a, b) = pair_of(last);
                Some(format!("{a}.{b}"))
            }
            _ => None,
        };
        // Damaged records are named once, on the first page.
        if cursor.is_some() {
            damaged.clear();
        }
        Ok(DuplicatesReport { pairs, next, damaged })
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
