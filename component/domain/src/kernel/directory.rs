//! The sharded directories: every subject with a consent head, every active customer
//! record, each as 1 024 shard documents of sorted subject ids. Derived from the
//! aggregates (never the other way round) and rebuilt by `reindex`; a listing reads
//! them because `wasi:keyvalue` lists keys without a prefix filter.
//!
//! Stored: `index/subjects/<xx>` and `index/customers/<xx>` — [`SubjectShard`], where
//! `<xx>` are the two characters after a subject id's `s-`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::authz::{Operation, authorize};
use super::context::{Fichier, place};
use super::error::{Error, Result};
use super::keys::check_subject_id;
use super::store::{self, Bucket, Store, document, storage_error};
use super::types::Actor;

/// One shard of a directory: subject ids, sorted.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SubjectShard {
    pub subjects: Vec<String>,
}
document!(SubjectShard, "subject-shard", 1, binary);

/// Subject ids are `s-` + base32; the two characters after `s-` pick one of 1024 shards.
pub(crate) fn shard_of(sid: &str) -> &str {
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
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Directory::Subjects => "index/subjects/",
            Directory::Customers => "index/customers/",
        }
    }
    pub(crate) fn key(self, shard: &str) -> String {
        format!("{}{shard}", self.prefix())
    }
}

impl<S: Store> Fichier<'_, S> {
    /// Add a subject to the directory (idempotent).
    pub(crate) fn index_subject(&mut self, sid: &str) -> Result<()> {
        self.index_in(Directory::Subjects, sid)
    }

    /// Add an id to a directory (idempotent).
    pub(crate) fn index_in(&mut self, dir: Directory, sid: &str) -> Result<()> {
        self.edit_shard(dir, sid, true)
    }

    /// Remove an id from a directory (idempotent).
    pub(crate) fn unindex_in(&mut self, dir: Directory, sid: &str) -> Result<()> {
        self.edit_shard(dir, sid, false)
    }

    /// Put `sid` in its shard (`present`) or take it out, with one compare-and-swap, and
    /// write nothing when it already is as asked.
    fn edit_shard(&mut self, dir: Directory, sid: &str, present: bool) -> Result<()> {
        let sid = sid.to_string();
        self.update::<SubjectShard, ()>(
            Bucket::Data,
            &dir.key(shard_of(&sid)),
            |_, current| {
                let mut shard = current.unwrap_or_default();
                match (shard.subjects.binary_search(&sid), present) {
                    (Ok(_), true) | (Err(_), false) => Ok(None),
                    (Err(i), true) => {
                        shard.subjects.insert(i, sid.clone());
                        Ok(Some((shard, ())))
                    }
                    (Ok(i), false) => {
                        shard.subjects.remove(i);
                        Ok(Some((shard, ())))
                    }
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

    /// Every subject in the directory, sorted.
    pub(crate) fn indexed_subjects(&self) -> Result<Vec<String>> {
        self.indexed_in(Directory::Subjects)
    }

    /// Every id in a directory, sorted.
    pub(crate) fn indexed_in(&self, dir: Directory) -> Result<Vec<String>> {
        let keys: Vec<String> = all_shards().map(|s| dir.key(&s)).collect();
        let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut out = Vec::new();
        for (key, value) in keys.iter().zip(values) {
            if let Some(bytes) = value {
                let shard: SubjectShard = store::decode(&place(Bucket::Data, key), &bytes)?;
                out.extend(shard.subjects);
            }
        }
        out.sort();
        Ok(out)
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
