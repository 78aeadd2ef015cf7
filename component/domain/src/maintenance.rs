//! Derived indexes: the subject and customer directories (sharded), e-mail aliases,
//! their upkeep and their rebuild.

use std::collections::{BTreeMap, BTreeSet};

use crate::Fichier;
use crate::authz::{Operation, authorize};
use crate::docs::{self, SubjectShard};
use crate::error::{Error, Result};
use crate::model::{Actor, ReindexReport};
use crate::service::check_subject_id;
use crate::store::{Bucket, Store};

/// Subject ids are `s-` + base32; the two characters after `s-` pick one of 1024 shards.
fn shard_of(sid: &str) -> &str {
    sid.get(2..4).unwrap_or("__")
}

const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

fn all_shards() -> impl Iterator<Item = String> {
    BASE32.iter().flat_map(|a| BASE32.iter().map(move |b| format!("{}{}", *a as char, *b as char)))
}

/// A sharded directory of subject ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Directory {
    /// Every subject with a consent head.
    Subjects,
    /// Every active customer record.
    Customers,
}

impl Directory {
    fn prefix(self) -> &'static str {
        match self {
            Directory::Subjects => "index/subjects/",
            Directory::Customers => "index/customers/",
        }
    }
    fn key(self, shard: &str) -> String {
        format!("{}{shard}", self.prefix())
    }
}

impl<S: Store> Fichier<'_, S> {
    /// Add a subject to the directory (idempotent).
    pub(crate) fn index_subject(&mut self, sid: &str) -> Result<()> {
        self.index_in(Directory::Subjects, sid)
    }

    /// Remove an id from a directory (idempotent).
    pub(crate) fn unindex_in(&mut self, dir: Directory, sid: &str) -> Result<()> {
        let sid = sid.to_string();
        self.update::<SubjectShard, ()>(
            Bucket::Data,
            &dir.key(shard_of(&sid)),
            |_, current| {
                let mut shard = current.unwrap_or_default();
                match shard.subjects.binary_search(&sid) {
                    Ok(i) => {
                        shard.subjects.remove(i);
                        Ok(Some((shard, ())))
                    }
                    Err(_) => Ok(None),
                }
            },
            || (),
        )
    }

    /// Add many ids to a directory: one compare-and-swap per shard touched (idempotent).
    pub(crate) fn index_many(&mut self, dir: Directory, sids: &[String]) -> Result<()> {
        let mut by_shard: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for sid in sids {
            by_shard.entry(shard_of(sid)).or_default().push(sid);
        }
        for (shard, new) in by_shard {
            self.update::<SubjectShard, ()>(
                Bucket::Data,
                &dir.key(shard),
                |_, current| {
                    let mut shard = current.unwrap_or_default();
                    let before = shard.subjects.len();
                    for sid in &new {
                        if let Err(i) = shard.subjects.binary_search(sid) {
                            shard.subjects.insert(i, (*sid).clone());
                        }
                    }
                    Ok((shard.subjects.len() != before).then_some((shard, ())))
                },
                || (),
            )?;
        }
        Ok(())
    }

    /// Add an id to a directory (idempotent).
    pub(crate) fn index_in(&mut self, dir: Directory, sid: &str) -> Result<()> {
        let sid = sid.to_string();
        self.update::<SubjectShard, ()>(
            Bucket::Data,
            &dir.key(shard_of(&sid)),
            |_, current| {
                let mut shard = current.unwrap_or_default();
                match shard.subjects.binary_search(&sid) {
                    Ok(_) => Ok(None),
                    Err(i) => {
                        shard.subjects.insert(i, sid.clone());
                        Ok(Some((shard, ())))
                    }
                }
            },
            || (),
        )
    }

    /// Every subject in the directory, sorted.
    pub(crate) fn indexed_subjects(&self) -> Result<Vec<String>> {
        self.indexed_in(Directory::Subjects)
    }

    /// Every id in a directory, sorted.
    pub(crate) fn indexed_in(&self, dir: Directory) -> Result<Vec<String>> {
        let keys: Vec<String> = all_shards().map(|s| dir.key(&s)).collect();
        let values =
            self.store.get_many(Bucket::Data, &keys).map_err(|e| crate::store::storage_error(Bucket::Data, e))?;
        let mut out = Vec::new();
        for (key, value) in keys.iter().zip(values) {
            if let Some(bytes) = value {
                let shard: SubjectShard = crate::store::decode(&crate::service::place(Bucket::Data, key), &bytes)?;
                out.extend(shard.subjects);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Rebuild every derived index from a full scan: the subject directory from the
    /// consent heads, the customer directory and e-mail aliases from the customer records.
    pub fn reindex(&mut self, actor: &Actor) -> Result<ReindexReport> {
        authorize(actor, Operation::Reindex)?;
        let subjects: BTreeSet<String> = self.scanned_subjects()?.into_iter().collect();
        let mut customers = BTreeSet::new();
        for sid in self.scan_prefix(Bucket::Data, "customer/")? {
            if self.active_customer(&sid)? {
                customers.insert(sid);
            }
        }
        let mut report =
            ReindexReport { subjects: subjects.len() as u64, customers: customers.len() as u64, ..Default::default() };
        for (dir, wanted) in [(Directory::Subjects, &subjects), (Directory::Customers, &customers)] {
            let (added, removed) = self.rebuild(dir, wanted)?;
            report.added += added;
            report.removed += removed;
        }
        if !customers.is_empty() {
            self.check_master_key(false)?;
        }
        for sid in &customers {
            let Some(doc) = self.get_doc::<docs::CustomerDoc>(Bucket::Data, &docs::customer_key(sid))? else {
                continue;
            };
            let body = self.open_customer(sid, &doc)?;
            let Some(email) = body.email() else { continue };
            let esid = self.subject_id("email", &crate::model::SubjectRef::Email(email.to_string()))?;
            if esid != *sid {
                let current: Option<docs::AliasDoc> = self.get_doc(Bucket::Data, &docs::alias_key(&esid))?;
                if current.is_none_or(|a| a.subject != *sid) {
                    self.set_alias(&esid, sid)?;
                    report.added += 1;
                }
            }
        }
        Ok(report)
    }

    fn active_customer(&self, sid: &str) -> Result<bool> {
        Ok(check_subject_id("index", sid).is_ok()
            && self
                .get_doc::<docs::CustomerDoc>(Bucket::Data, &docs::customer_key(sid))?
                .is_some_and(|d| d.state == docs::CustomerState::Active))
    }

    /// Make a directory hold exactly `wanted` (plus entries added since the scan that
    /// are still backed by their aggregate). Returns (added, removed).
    fn rebuild(&mut self, dir: Directory, wanted: &BTreeSet<String>) -> Result<(u64, u64)> {
        let mut by_shard: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for sid in wanted {
            by_shard.entry(shard_of(sid).to_string()).or_default().insert(sid.clone());
        }
        let shard_keys: BTreeSet<String> =
            self.scan_prefix(Bucket::Data, dir.prefix())?.into_iter().chain(by_shard.keys().cloned()).collect();
        let (mut added_total, mut removed_total) = (0, 0);
        for shard in shard_keys {
            let wanted = by_shard.remove(&shard).unwrap_or_default();
            let (added, removed) = self.update::<SubjectShard, (u64, u64)>(
                Bucket::Data,
                &dir.key(&shard),
                |this, current| {
                    let current: BTreeSet<String> =
                        current.map(|s| s.subjects.into_iter().collect()).unwrap_or_default();
                    let mut next = wanted.clone();
                    for sid in current.difference(&wanted) {
                        let backed = match dir {
                            Directory::Subjects => {
                                check_subject_id("index", sid).is_ok()
                                    && this.get_raw(Bucket::Data, &docs::subject_key(sid))?.is_some()
                            }
                            Directory::Customers => this.active_customer(sid)?,
                        };
                        if backed {
                            next.insert(sid.clone());
                        }
                    }
                    let added = next.difference(&current).count() as u64;
                    let removed = current.difference(&next).count() as u64;
                    if added == 0 && removed == 0 {
                        return Ok(None);
                    }
                    Ok(Some((SubjectShard { subjects: next.into_iter().collect() }, (added, removed))))
                },
                || (0, 0),
            )?;
            added_total += added;
            removed_total += removed;
        }
        Ok((added_total, removed_total))
    }

    /// Subjects by page, sorted by id.
    pub fn list_subjects(
        &mut self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<String>, Option<String>)> {
        authorize(actor, Operation::ListSubjects)?;
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "a page holds 1 to 1000 subjects"));
        }
        if let Some(c) = cursor {
            check_subject_id("cursor", c)?;
        }
        let all = self.indexed_subjects()?;
        let start = cursor.map_or(0, |c| all.partition_point(|s| s.as_str() <= c));
        let page: Vec<String> = all[start..].iter().take(limit as usize).cloned().collect();
        let next = if start + page.len() < all.len() { page.last().cloned() } else { None };
        Ok((page, next))
    }
}
