//! Proof (the WIT `ledger` interface): walking every chain of receipts against its
//! hashes, and anchors — a root over every subject's chain head, each anchor chained to
//! the previous one, to publish elsewhere.
//!
//! Stored: `anchor/head` — [`AnchorHead`], the commit point of anchors; `anchor/<root>` —
//! [`AnchorDoc`], immutable; `anchor-leaves/<sha256>` — [`AnchorLeaves`], its leaves.

use serde::{Deserialize, Serialize};

use super::receipts::{SubjectHead, receipt_key, subject_key};
use super::{chain_hash, genesis};
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::{Fichier, place};
use crate::kernel::crypto::sha256_parts;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{self, Bucket, Store, document, storage_error};
use crate::kernel::time;
use crate::kernel::types::Actor;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LedgerFailure {
    pub subject: Option<String>,
    pub receipt: Option<String>,
    pub seq: Option<u32>,
    pub anchor: Option<u64>,
    pub rule: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LedgerReport {
    pub ok: bool,
    pub subjects: u64,
    pub receipts: u64,
    pub anchors: u64,
    pub failure: Option<LedgerFailure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Anchor {
    pub seq: u64,
    pub at: String,
    pub subjects: u64,
    pub receipts: u64,
    pub root: String,
    pub prev: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnchorHead {
    pub seq: u64,
    pub root: String,
}
document!(AnchorHead, "anchor-head", 1);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnchorDoc {
    pub anchor: Anchor,
    pub taken_by: Actor,
    /// Keys (`anchor-leaves/<sha256>`) of the leaf chunks, in order.
    pub chunks: Vec<String>,
}
document!(AnchorDoc, "anchor", 1);

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnchorLeaf {
    pub subject: String,
    pub len: u32,
    pub head: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnchorLeaves {
    pub leaves: Vec<AnchorLeaf>,
}
document!(AnchorLeaves, "anchor-leaves", 1);

/// The key of [`AnchorHead`] in the data bucket.
pub const ANCHOR_HEAD_KEY: &str = "anchor/head";

/// The key of an anchor in the data bucket.
pub fn anchor_key(root: &str) -> String {
    format!("anchor/{root}")
}

/// The key of an anchor's leaves in the data bucket.
pub fn anchor_leaves_key(sha: &str) -> String {
    format!("anchor-leaves/{sha}")
}

/// Leaves per stored chunk (~110 bytes each: well under the 1 MiB value limit).
const LEAVES_PER_CHUNK: usize = 4096;
const NO_ANCHOR: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An anchor's root: SHA-256 over the previous root, the time and every leaf.
pub fn anchor_root(prev: &str, at: &str, leaves: &[AnchorLeaf]) -> String {
    let mut parts: Vec<Vec<u8>> = vec![b"fichier/anchor/v1".to_vec(), prev.as_bytes().to_vec(), at.as_bytes().to_vec()];
    for l in leaves {
        parts.push(l.subject.as_bytes().to_vec());
        parts.push(l.len.to_be_bytes().to_vec());
        parts.push(l.head.as_bytes().to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    hex::encode(sha256_parts(&refs))
}

fn failure(
    subject: Option<&str>,
    receipt: Option<String>,
    seq: Option<u32>,
    anchor: Option<u64>,
    rule: &str,
    message: String,
) -> LedgerFailure {
    LedgerFailure { subject: subject.map(str::to_string), receipt, seq, anchor, rule: rule.into(), message }
}

impl<S: Store> Fichier<'_, S> {
    pub fn verify_ledger(&mut self, actor: &Actor) -> Result<LedgerReport> {
        authorize(actor, Operation::VerifyLedger)?;
        self.check_master_key(false)?;
        let mut report = LedgerReport { ok: true, subjects: 0, receipts: 0, anchors: 0, failure: None };
        let subjects = self.scanned_subjects()?;
        let mut heads = std::collections::BTreeMap::new();
        for sid in &subjects {
            report.subjects += 1;
            let key = subject_key(sid);
            let head: SubjectHead = match self.get_doc(Bucket::Data, &key) {
                Ok(Some(h)) => h,
                Ok(None) => continue,
                Err(e) => {
                    report.failure = Some(failure(Some(sid), None, None, None, "head-authentic", e.to_string()));
                    break;
                }
            };
            if let Some(f) = self.verify_chain(sid, &head, &mut report.receipts)? {
                report.failure = Some(f);
                break;
            }
            heads.insert(sid.clone(), head.chain);
        }
        if report.failure.is_none() {
            report.failure = self.verify_anchors(&heads, &mut report.anchors)?;
        }
        report.ok = report.failure.is_none();
        Ok(report)
    }

    /// Walk one chain; `Ok(Some(failure))` names the first receipt that does not match.
    fn verify_chain(&mut self, sid: &str, head: &SubjectHead, count: &mut u64) -> Result<Option<LedgerFailure>> {
        // Names come from the sealed head when it opens; positions otherwise.
        let (names, shredded): (Vec<String>, usize) = match self.open_head(sid, head) {
            Ok(body) => (body.receipts.iter().map(|r| r.id.clone()).collect(), body.shredded as usize),
            Err(e) => {
                return Ok(Some(failure(
                    Some(sid),
                    None,
                    None,
                    None,
                    "head-authentic",
                    format!("the subject's head does not open: {e}"),
                )));
            }
        };
        let keys: Vec<String> = head.chain.iter().map(|h| receipt_key(sid, h)).collect();
        let values = self.store.get_many(Bucket::Data, &keys).map_err(|e| storage_error(Bucket::Data, e))?;
        let mut prev = genesis(sid);
        for (i, (hash, value)) in head.chain.iter().zip(values).enumerate() {
            let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let name = i.checked_sub(shredded).and_then(|j| names.get(j)).cloned().unwrap_or_else(|| format!("#{seq}"));
            *count += 1;
            let Some(stored) = value else {
                return Ok(Some(failure(
                    Some(sid),
                    Some(name),
                    Some(seq),
                    None,
                    "receipt-present",
                    format!("receipt {seq} of the chain is missing"),
                )));
            };
            if &chain_hash(&prev, &stored) != hash {
                return Ok(Some(failure(
                    Some(sid),
                    Some(name),
                    Some(seq),
                    None,
                    "receipt-hash",
                    format!("receipt {seq} does not match its chain hash: it was altered"),
                )));
            }
            prev = hash.clone();
        }
        // The receipts also open under the subject's key (altered ciphertext with a
        // recomputed chain would have been caught above; this catches a swapped key).
        if let Err(e) = self.read_receipts(sid, head, shredded) {
            return Ok(Some(failure(Some(sid), None, None, None, "receipt-authentic", e.to_string())));
        }
        Ok(None)
    }

    fn anchor_chain(&self) -> Result<Vec<(AnchorDoc, Vec<AnchorLeaf>)>> {
        let mut out = Vec::new();
        let Some(head) = self.get_doc::<AnchorHead>(Bucket::Data, ANCHOR_HEAD_KEY)? else {
            return Ok(out);
        };
        let mut root = head.root;
        while root != NO_ANCHOR {
            let key = anchor_key(&root);
            let doc: AnchorDoc = self.get_doc(Bucket::Data, &key)?.ok_or_else(|| {
                Error::corrupted(place(Bucket::Data, &key), "anchor-present", "an anchor of the chain is missing")
            })?;
            let mut leaves = Vec::new();
            for chunk in &doc.chunks {
                let ck = anchor_leaves_key(chunk);
                let part: AnchorLeaves = self.get_doc(Bucket::Data, &ck)?.ok_or_else(|| {
                    Error::corrupted(place(Bucket::Data, &ck), "anchor-present", "a chunk of an anchor is missing")
                })?;
                leaves.extend(part.leaves);
            }
            if out.len() > 1_000_000 {
                return Err(Error::corrupted(place(Bucket::Data, &key), "anchor-acyclic", "the anchor chain loops"));
            }
            root = doc.anchor.prev.clone();
            out.push((doc, leaves));
        }
        out.reverse();
        Ok(out)
    }

    fn verify_anchors(
        &self,
        heads: &std::collections::BTreeMap<String, Vec<String>>,
        count: &mut u64,
    ) -> Result<Option<LedgerFailure>> {
        let chain = match self.anchor_chain() {
            Ok(c) => c,
            Err(e) => {
                return Ok(Some(failure(None, None, None, None, "anchor-hash", e.to_string())));
            }
        };
        let mut prev = NO_ANCHOR.to_string();
        for (doc, leaves) in chain {
            *count += 1;
            let a = &doc.anchor;
            if a.prev != prev || anchor_root(&a.prev, &a.at, &leaves) != a.root {
                return Ok(Some(failure(
                    None,
                    None,
                    None,
                    Some(a.seq),
                    "anchor-hash",
                    format!("anchor {} does not match its root", a.seq),
                )));
            }
            for leaf in &leaves {
                let ok = heads
                    .get(&leaf.subject)
                    .and_then(|chain| chain.get((leaf.len as usize).wrapping_sub(1)))
                    .is_some_and(|h| *h == leaf.head);
                if !ok {
                    return Ok(Some(failure(
                        Some(&leaf.subject),
                        None,
                        Some(leaf.len),
                        Some(a.seq),
                        "anchor-covers-head",
                        format!(
                            "anchor {} recorded receipt {} of this subject with another hash: its history was rewritten",
                            a.seq, leaf.len
                        ),
                    )));
                }
            }
            prev = a.root.clone();
        }
        Ok(None)
    }

    pub fn take_anchor(&mut self, actor: &Actor) -> Result<Anchor> {
        authorize(actor, Operation::TakeAnchor)?;
        self.check_master_key(false)?;
        let mut leaves = Vec::new();
        // Every subject with a head, from a full scan: an anchor must not depend on the
        // (derived, repairable) index, or a subject missing from it would go unanchored.
        for sid in self.scanned_subjects()? {
            if let Some(head) = self.get_doc::<SubjectHead>(Bucket::Data, &subject_key(&sid))?
                && let Some(last) = head.chain.last()
            {
                leaves.push(AnchorLeaf {
                    subject: sid,
                    len: u32::try_from(head.chain.len()).unwrap_or(u32::MAX),
                    head: last.clone(),
                });
            }
        }
        // Leaf chunks are immutable and content-addressed: written before the commit.
        let mut chunks = Vec::new();
        for part in leaves.chunks(LEAVES_PER_CHUNK) {
            let bytes = store::encode(&AnchorLeaves { leaves: part.to_vec() });
            let sha = crate::kernel::crypto::sha256_hex(&bytes);
            self.set_raw(Bucket::Data, &anchor_leaves_key(&sha), &bytes)?;
            chunks.push(sha);
        }
        let at = time::format(self.now);
        let receipts: u64 = leaves.iter().map(|l| u64::from(l.len)).sum();
        let subjects = leaves.len() as u64;
        self.update::<AnchorHead, Anchor>(
            Bucket::Data,
            ANCHOR_HEAD_KEY,
            |this, current| {
                let (seq, prev) = current.map_or((1, NO_ANCHOR.to_string()), |h| (h.seq + 1, h.root));
                let root = anchor_root(&prev, &at, &leaves);
                let anchor = Anchor { seq, at: at.clone(), subjects, receipts, root: root.clone(), prev };
                let doc = AnchorDoc { anchor: anchor.clone(), taken_by: actor.clone(), chunks: chunks.clone() };
                this.set_raw(Bucket::Data, &anchor_key(&root), &store::encode(&doc))?;
                Ok(Some((AnchorHead { seq, root }, anchor)))
            },
            || unreachable!("anchoring always writes"),
        )
    }

    pub fn list_anchors(&mut self, actor: &Actor) -> Result<Vec<Anchor>> {
        authorize(actor, Operation::VerifyLedger)?;
        Ok(self.anchor_chain()?.into_iter().map(|(d, _)| d.anchor).collect())
    }
}
