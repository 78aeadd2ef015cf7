//! Derived indexes: the subject directory (sharded), its upkeep and its rebuild.

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

impl<S: Store> Fichier<'_, S> {
    /// Add a subject to the directory (idempotent).
    pub(crate) fn index_subject(&mut self, sid: &str) -> Result<()> {
        let sid = sid.to_string();
        self.update::<SubjectShard, ()>(
            Bucket::Data,
            &docs::shard_key(shard_of(&sid)),
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
        let keys: Vec<String> = all_shards().map(|s| docs::shard_key(&s)).collect();
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

    /// Rebuild the subject directory from a full scan of subject heads.
    pub fn reindex(&mut self, actor: &Actor) -> Result<ReindexReport> {
        authorize(actor, Operation::Reindex)?;
        let scanned: BTreeSet<String> = self.scanned_subjects()?.into_iter().collect();
        let mut by_shard: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for sid in &scanned {
            by_shard.entry(shard_of(sid).to_string()).or_default().insert(sid.clone());
        }
        let mut report = ReindexReport { subjects: scanned.len() as u64, ..Default::default() };
        let shard_keys: BTreeSet<String> =
            self.scan_prefix(Bucket::Data, "index/subjects/")?.into_iter().chain(by_shard.keys().cloned()).collect();
        for shard in shard_keys {
            let wanted = by_shard.remove(&shard).unwrap_or_default();
            let (added, removed) = self.update::<SubjectShard, (u64, u64)>(
                Bucket::Data,
                &docs::shard_key(&shard),
                |this, current| {
                    let current: BTreeSet<String> =
                        current.map(|s| s.subjects.into_iter().collect()).unwrap_or_default();
                    // Keep entries added since the scan if their head exists now.
                    let mut next = wanted.clone();
                    for sid in current.difference(&wanted) {
                        if check_subject_id("index", sid).is_ok()
                            && this.get_raw(Bucket::Data, &docs::subject_key(sid))?.is_some()
                        {
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
            report.added += added;
            report.removed += removed;
        }
        Ok(report)
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
