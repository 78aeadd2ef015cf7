//! Proof: walking every chain, and anchors over all chain heads.

use crate::Fichier;
use crate::authz::{Operation, authorize};
use crate::consent::{chain_hash, genesis};
use crate::crypto::sha256_parts;
use crate::docs::{self, AnchorDoc, AnchorHead, AnchorLeaf, AnchorLeaves, SubjectHead};
use crate::error::{Error, Result};
use crate::model::{Actor, Anchor, LedgerFailure, LedgerReport};
use crate::service::place;
use crate::store::{self, Bucket, Store, storage_error};
use crate::time;

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
    /// Every key of a bucket that starts with `prefix`, without it, sorted: a full scan
    /// through `list-keys` pages (which have no prefix filter), keeping only matches.
    pub(crate) fn scan_prefix(&self, bucket: Bucket, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = self.store.list_keys(bucket, cursor.as_deref()).map_err(|e| storage_error(bucket, e))?;
            keys.extend(page.into_iter().filter_map(|k| k.strip_prefix(prefix).map(str::to_string)));
            match next {
                Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                _ => break,
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Subject ids that have a head, from a full scan (authoritative, not the index).
    pub(crate) fn scanned_subjects(&self) -> Result<Vec<String>> {
        self.scan_prefix(Bucket::Data, "subject/")
    }

    pub fn verify_ledger(&mut self, actor: &Actor) -> Result<LedgerReport> {
        authorize(actor, Operation::VerifyLedger)?;
        self.check_master_key(false)?;
        let mut report = LedgerReport { ok: true, subjects: 0, receipts: 0, anchors: 0, failure: None };
        let subjects = self.scanned_subjects()?;
        let mut heads = std::collections::BTreeMap::new();
        for sid in &subjects {
            report.subjects += 1;
            let key = docs::subject_key(sid);
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
        let keys: Vec<String> = head.chain.iter().map(|h| docs::receipt_key(sid, h)).collect();
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
        let Some(head) = self.get_doc::<AnchorHead>(Bucket::Data, docs::ANCHOR_HEAD_KEY)? else {
            return Ok(out);
        };
        let mut root = head.root;
        while root != NO_ANCHOR {
            let key = docs::anchor_key(&root);
            let doc: AnchorDoc = self.get_doc(Bucket::Data, &key)?.ok_or_else(|| {
                Error::corrupted(place(Bucket::Data, &key), "anchor-present", "an anchor of the chain is missing")
            })?;
            let mut leaves = Vec::new();
            for chunk in &doc.chunks {
                let ck = docs::anchor_leaves_key(chunk);
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
            if let Some(head) = self.get_doc::<SubjectHead>(Bucket::Data, &docs::subject_key(&sid))?
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
            let sha = crate::crypto::sha256_hex(&bytes);
            self.set_raw(Bucket::Data, &docs::anchor_leaves_key(&sha), &bytes)?;
            chunks.push(sha);
        }
        let at = time::format(self.now);
        let receipts: u64 = leaves.iter().map(|l| u64::from(l.len)).sum();
        let subjects = leaves.len() as u64;
        self.update::<AnchorHead, Anchor>(
            Bucket::Data,
            docs::ANCHOR_HEAD_KEY,
            |this, current| {
                let (seq, prev) = current.map_or((1, NO_ANCHOR.to_string()), |h| (h.seq + 1, h.root));
                let root = anchor_root(&prev, &at, &leaves);
                let anchor = Anchor { seq, at: at.clone(), subjects, receipts, root: root.clone(), prev };
                let doc = AnchorDoc { anchor: anchor.clone(), taken_by: actor.clone(), chunks: chunks.clone() };
                this.set_raw(Bucket::Data, &docs::anchor_key(&root), &store::encode(&doc))?;
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
