//! `reindex`: makes every derived index (the
//! subject and customer directories of [`crate::kernel::directory`], the e-mail aliases
//! of renamed customers) agree with the committed aggregates, from a full scan. It may
//! run at any time, any number of times, alongside other calls.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::consent::subject_key;
use crate::customers::{AliasDoc, CustomerDoc, CustomerState, alias_key, customer_key};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::directory::{Directory, SubjectShard};
use crate::kernel::error::Result;
use crate::kernel::keys::check_subject_id;
use crate::kernel::store::{Bucket, Store, decode, storage_error};
use crate::kernel::types::{Actor, SubjectRef};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReindexReport {
    pub subjects: u64,
    pub customers: u64,
    pub added: u64,
    pub removed: u64,
}

impl<S: Store> Fichier<'_, S> {
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
        // The outbox's count of what is gone is derived too (what waits is held under a bound).
        self.recount_outbox()?;
        for sid in &customers {
            let Some(doc) = self.get_doc::<CustomerDoc>(Bucket::Data, &customer_key(sid))? else {
                continue;
            };
            let body = self.open_customer(sid, &doc)?;
            let Some(email) = body.email() else { continue };
            let esid = self.subject_id("email", &SubjectRef::Email(email.to_string()))?;
            if esid != *sid {
                let current: Option<AliasDoc> = self.get_doc(Bucket::Data, &alias_key(&esid))?;
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
                .get_doc::<CustomerDoc>(Bucket::Data, &customer_key(sid))?
                .is_some_and(|d| d.state == CustomerState::Active))
    }

    /// Make a directory hold exactly `wanted` (plus entries added since the scan that
    /// are still backed by their aggregate), leaf by leaf of the tree as stored (a leaf
    /// that split meanwhile is done again from a fresh read). Returns (added, removed).
    fn rebuild(&mut self, dir: Directory, wanted: &BTreeSet<String>) -> Result<(u64, u64)> {
        let (mut added_total, mut removed_total) = (0, 0);
        for _ in 0..3 {
            // The tree as stored: which shards are split and reached from a root.
            let prefixes = self.scan_prefix(Bucket::Data, dir.prefix())?;
            let mut split: BTreeSet<String> = BTreeSet::new();
            let mut leaves: BTreeSet<String> = BTreeSet::new();
            let mut by_len = prefixes.clone();
            crate::kernel::sort::sort_by(&mut by_len, |a, b| a.len().cmp(&b.len()));
            for chunk in by_len.chunks(256) {
                let keys: Vec<String> = chunk.iter().map(|p| dir.key(p)).collect();
                let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
                for ((p, key), value) in chunk.iter().zip(&keys).zip(values) {
                    let Some(bytes) = value else { continue };
                    let reached = p.len() <= 2 || split.contains(&p[..p.len() - 1]);
                    if !reached {
                        continue;
                    }
                    let shard: SubjectShard = decode(&place(Bucket::Data, key), &bytes)?;
                    if shard.split {
                        split.insert(p.clone());
                    } else {
                        leaves.insert(p.clone());
                    }
                }
            }
            let mut by_leaf: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for sid in wanted {
                let b = sid.get(2..).unwrap_or("");
                let mut len = 2.min(b.len());
                while len < b.len() && split.contains(&b[..len]) {
                    len += 1;
                }
                by_leaf.entry(b[..len].to_string()).or_default().insert(sid.clone());
            }
            leaves.extend(by_leaf.keys().cloned());
            let mut moved = false;
            for leaf in leaves {
                let wanted = by_leaf.remove(&leaf).unwrap_or_default();
                let (added, removed) = self.update::<SubjectShard, (u64, u64)>(
                    Bucket::Data,
                    &dir.key(&leaf),
                    |this, current| {
                        if current.as_ref().is_some_and(|s| s.split) {
                            moved = true;
                            return Ok(None);
                        }
                        let current: BTreeSet<String> =
                            current.map(|s| s.subjects.into_iter().collect()).unwrap_or_default();
                        let mut next = wanted.clone();
                        for sid in current.difference(&wanted) {
                            let backed = match dir {
                                Directory::Subjects => {
                                    check_subject_id("index", sid).is_ok()
                                        && this.get_raw(Bucket::Data, &subject_key(sid))?.is_some()
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
                        Ok(Some((
                            SubjectShard { subjects: next.into_iter().collect(), split: false },
                            (added, removed),
                        )))
                    },
                    || (0, 0),
                )?;
                added_total += added;
                removed_total += removed;
            }
            if !moved {
                return Ok((added_total, removed_total));
            }
        }
        Err(crate::kernel::error::Error::conflict(
            crate::kernel::context::place(Bucket::Data, dir.prefix()),
            "compare-and-swap",
            "the directory kept splitting while it was rebuilt",
        ))
    }
}
