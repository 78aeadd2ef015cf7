//! The audit log: who did what, to which record, when. Append-only, hash-chained like the
//! consent ledger, stored in segments so that entries past their retention are pruned
//! whole segments at a time without breaking the verification of the rest.
//!
//! - An entry holds the actor (id and role), the action (`retention.delete`, …), the
//!   target (a subject id or a document key: pseudonymous, never an e-mail), a short
//!   detail (field names, rule and activity ids: never a value) and its hash:
//!   SHA-256 over the previous entry's hash and its own content.
//! - Segments `audit/segment/<n>` hold up to [`SEGMENT_ENTRIES`] entries; the open (last)
//!   segment is the commit point of an append (one compare-and-swap per batch). Each
//!   segment records the hash the chain had before its first entry.
//! - Pruning first writes the checkpoint `audit/checkpoint` (the last pruned segment,
//!   sequence and hash), then deletes the segments it covers: verification starts from
//!   the checkpoint, so an interrupted prune is finished by the next one and never reads
//!   as tampering.
//! - Verification recomputes every hash, checks the sequence has no gap and each segment
//!   starts where the previous one (or the checkpoint) ended. Like any hash chain kept by
//!   its writer, it shows edits and removals inside the chain, not a truncated tail: a
//!   tail is shown by comparing with a copy of an earlier `verify` report kept elsewhere.

use serde::{Deserialize, Serialize};

use crate::Fichier;
use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::place;
use crate::kernel::crypto::sha256_parts;
use crate::kernel::error::{Error, Result};
use crate::kernel::store::{Bucket, Document, Store, storage_error};
use crate::kernel::time::{self, Stamp};
use crate::kernel::types::Actor;

/// Entries per segment (~200 bytes each). An append rewrites the open segment, so this
/// bounds its cost (~25 KB), small enough to audit every staff read of a consent status.
/// Segments written when it was 1024 stay valid: only new segments are smaller.
pub const SEGMENT_ENTRIES: usize = 128;
/// The hash before the first entry ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HEAD_KEY: &str = "audit/head";
const CHECKPOINT_KEY: &str = "audit/checkpoint";

fn segment_key(n: u64) -> String {
    format!("audit/segment/{n:012}")
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuditEntry {
    /// 1, 2, … over the whole log (pruning does not renumber).
    pub seq: u64,
    pub at: Stamp,
    pub actor: Actor,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// SHA-256 (hex) over the previous hash and this entry.
    pub hash: String,
    /// A random number drawn once per call that audits (0 in entries written before it
    /// existed): entries of concurrent calls never coincide, even by one actor on one
    /// target in one millisecond from one chain position, so a swap of the open segment
    /// that loses to another writer is never mistaken for one the store failed to report.
    pub call: u64,
}

/// What a caller audits; the log adds the sequence, time, actor and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditDraft {
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// A stored segment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditSegment {
    pub number: u64,
    /// The chain's hash before this segment's first entry.
    pub prev: String,
    pub entries: Vec<AuditEntry>,
}
impl Document for AuditSegment {
    const KIND: &'static str = "audit-segment";
    /// 2: entries carry `call`.
    const SCHEMA: u32 = 2;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;

    fn migrate_binary(from: u32, body: &[u8]) -> std::result::Result<Self, String> {
        /// Schema 1's entry: no `call`.
        #[derive(Deserialize)]
        struct EntryV1 {
            seq: u64,
            at: Stamp,
            actor: Actor,
            action: String,
            target: String,
            detail: String,
            hash: String,
        }
        #[derive(Deserialize)]
        struct SegmentV1 {
            number: u64,
            prev: String,
            entries: Vec<EntryV1>,
        }
        if from != 1 {
            return Err(format!("no migration of binary schema {from}"));
        }
        match postcard::take_from_bytes::<SegmentV1>(body) {
            Ok((v1, [])) => Ok(AuditSegment {
                number: v1.number,
                prev: v1.prev,
                entries: v1
                    .entries
                    .into_iter()
                    .map(|e| AuditEntry {
                        seq: e.seq,
                        at: e.at,
                        actor: e.actor,
                        action: e.action,
                        target: e.target,
                        detail: e.detail,
                        hash: e.hash,
                        call: 0,
                    })
                    .collect(),
            }),
            Ok(_) => Err("trailing bytes after an audit segment of schema 1".into()),
            Err(e) => Err(format!("audit segment of schema 1: {e}")),
        }
    }
}

/// Where the open segment is (a hint: appends look further when it lags).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditHead {
    pub segment: u64,
}
impl Document for AuditHead {
    const KIND: &'static str = "audit-head";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// What pruning removed: the chain goes on from here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCheckpoint {
    /// The last pruned segment.
    pub segment: u64,
    /// The last pruned entry and its hash.
    pub seq: u64,
    pub hash: String,
    pub at: Stamp,
    pub by: Actor,
}
impl Document for AuditCheckpoint {
    const KIND: &'static str = "audit-checkpoint";
    const SCHEMA: u32 = 1;
    const BINARY: bool = true;
    const BINARY_ONLY: bool = true;
}

/// A failed check of [`Fichier::verify_audit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFailure {
    pub segment: u64,
    pub seq: Option<u64>,
    pub rule: String,
    pub message: String,
}

/// The result of verifying the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    pub ok: bool,
    pub segments: u64,
    pub entries: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The last hash: keep it elsewhere to show later that no entry was cut from the end.
    pub last_hash: String,
    /// Entries removed by pruning so far (the checkpoint's sequence).
    pub pruned_through: Option<u64>,
    pub failures: Vec<AuditFailure>,
}

/// The hash of an entry after `prev`.
/// The entries written before `call` existed (0) hash as they always did.
pub fn entry_hash(prev: &str, e: &AuditEntry) -> String {
    let at = e.at.to_string();
    let (seq, call) = (e.seq.to_be_bytes(), e.call.to_be_bytes());
    let mut parts: Vec<&[u8]> = vec![
        b"fichier/audit/v1",
        prev.as_bytes(),
        &seq,
        at.as_bytes(),
        e.actor.id.as_bytes(),
        e.actor.role.as_str().as_bytes(),
        e.action.as_bytes(),
        e.target.as_bytes(),
        e.detail.as_bytes(),
    ];
    if e.call != 0 {
        parts.extend([b"call".as_slice(), call.as_slice()]);
    }
    hex::encode(sha256_parts(&parts))
}

impl<S: Store> Fichier<'_, S> {
    fn audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        self.get_doc(Bucket::Data, CHECKPOINT_KEY)
    }

    /// The first segment still stored (after the checkpoint's).
    fn first_segment(&self) -> Result<u64> {
        Ok(self.audit_checkpoint()?.map_or(1, |c| c.segment + 1))
    }

    /// Append entries by `actor`, in order, now. Callers audit before they act, so no
    /// change lacks its entry (an interrupted caller may leave an entry whose change the
    /// next run makes, and audits again).
    /// Append one entry.
    pub(crate) fn audit_one(&mut self, actor: &Actor, action: &str, target: String, detail: String) -> Result<()> {
        self.audit(actor, vec![AuditDraft { action: action.into(), target, detail }])
    }

    pub(crate) fn audit(&mut self, actor: &Actor, drafts: Vec<AuditDraft>) -> Result<()> {
        if drafts.is_empty() {
            return Ok(());
        }
        let now = Stamp::from_instant(self.now);
        let mut nonce = [0u8; 8];
        self.entropy.fill(&mut nonce);
        let call = u64::from_le_bytes(nonce).max(1);
        let checkpoint = self.audit_checkpoint()?;
        let first = checkpoint.as_ref().map_or(1, |c| c.segment + 1);
        let hint = self.get_doc::<AuditHead>(Bucket::Data, HEAD_KEY)?.map_or(first, |h| h.segment.max(first));
        let mut n = hint;
        let mut rest = &drafts[..];
        // Bounded: each turn either appends at least one entry or moves to a later segment.
        for _ in 0..(drafts.len() + 64) {
            // The open segment is the last one stored.
            while self.get_raw(Bucket::Data, &segment_key(n + 1))?.is_some() {
                n += 1;
            }
            let batch = rest;
            let appended = self.update::<AuditSegment, usize>(
                Bucket::Data,
                &segment_key(n),
                |this, current| {
                    let (mut seg, (mut prev, mut seq)) = match current {
                        Some(s) => {
                            let last = match s.entries.last() {
                                Some(e) => (e.hash.clone(), e.seq),
                                None => (s.prev.clone(), this.chain_before(n, first, &checkpoint)?.1),
                            };
                            (s, last)
                        }
                        None => {
                            let before = this.chain_before(n, first, &checkpoint)?;
                            (AuditSegment { number: n, prev: before.0.clone(), entries: Vec::new() }, before)
                        }
                    };
                    let room = SEGMENT_ENTRIES.saturating_sub(seg.entries.len());
                    if room == 0 {
                        return Ok(None);
                    }
                    let take = room.min(batch.len());
                    for d in &batch[..take] {
                        seq += 1;
                        let mut e = AuditEntry {
                            seq,
                            at: now,
                            actor: actor.clone(),
                            action: d.action.clone(),
                            target: d.target.clone(),
                            detail: d.detail.clone(),
                            hash: String::new(),
                            call,
                        };
                        e.hash = entry_hash(&prev, &e);
                        prev = e.hash.clone();
                        seg.entries.push(e);
                    }
                    Ok(Some((seg, take)))
                },
                || 0,
            )?;
            rest = &rest[appended..];
            if rest.is_empty() {
                if n != hint {
                    let _ = self.set_doc(Bucket::Data, HEAD_KEY, &AuditHead { segment: n });
                }
                return Ok(());
            }
            // The segment is full: the next one opens.
            n += 1;
        }
        Err(Error::conflict("audit", "compare-and-swap", "the audit log keeps changing; retry later"))
    }

    /// Where the chain stands before segment `n`: the hash and sequence of the entry
    /// before its first (the checkpoint's, or the genesis, for the first segment kept).
    fn chain_before(&self, n: u64, first: u64, checkpoint: &Option<AuditCheckpoint>) -> Result<(String, u64)> {
        if n == first {
            return Ok(checkpoint.as_ref().map_or_else(|| (GENESIS.to_string(), 0), |c| (c.hash.clone(), c.seq)));
        }
        let before: AuditSegment = self.get_doc(Bucket::Data, &segment_key(n - 1))?.ok_or_else(|| {
            Error::corrupted(place(Bucket::Data, &segment_key(n - 1)), "segment-present", "a segment is missing")
        })?;
        Ok(before.entries.last().map_or((before.prev, 0), |e| (e.hash.clone(), e.seq)))
    }

    fn set_doc<T: Document>(&self, bucket: Bucket, key: &str, doc: &T) -> Result<()> {
        let bytes = crate::kernel::store::encode(doc);
        self.store.set(bucket, key, &bytes).map_err(|e| storage_error(bucket, e))
    }

    /// The stored segments, oldest first, from the first after the checkpoint.
    fn segments(&self) -> Result<Vec<u64>> {
        let first = self.first_segment()?;
        let mut out = Vec::new();
        let mut n = first;
        while self.get_raw(Bucket::Data, &segment_key(n))?.is_some() {
            out.push(n);
            n += 1;
        }
        Ok(out)
    }

    /// Check every stored entry and the links between segments.
    pub fn verify_audit(&mut self, actor: &Actor) -> Result<AuditReport> {
        authorize(actor, Operation::ReadAudit)?;
        let checkpoint = self.audit_checkpoint()?;
        let mut report = AuditReport {
            ok: true,
            segments: 0,
            entries: 0,
            first_seq: None,
            last_seq: None,
            last_hash: checkpoint.as_ref().map_or_else(|| GENESIS.to_string(), |c| c.hash.clone()),
            pruned_through: checkpoint.as_ref().map(|c| c.seq),
            failures: Vec::new(),
        };
        let mut seq = checkpoint.as_ref().map_or(0, |c| c.seq);
        // Each stored segment is read once, in order, until the first missing one.
        for n in checkpoint.as_ref().map_or(1, |c| c.segment + 1).. {
            let fail = |report: &mut AuditReport, seq: Option<u64>, rule: &str, message: String| {
                report.ok = false;
                report.failures.push(AuditFailure { segment: n, seq, rule: rule.into(), message });
            };
            let seg: AuditSegment = match self.get_doc(Bucket::Data, &segment_key(n)) {
                Ok(Some(s)) => s,
                Ok(None) => break,
                Err(e) => {
                    fail(&mut report, None, "decodes", e.to_string());
                    break;
                }
            };
            report.segments += 1;
            if seg.number != n {
                fail(&mut report, None, "segment-number", format!("segment {n} says it is {}", seg.number));
            }
            if seg.prev != report.last_hash {
                fail(&mut report, None, "segment-linked", "the segment does not start where the chain ended".into());
            }
            let mut prev = seg.prev.clone();
            for e in &seg.entries {
                report.entries += 1;
                if e.seq != seq + 1 {
                    fail(&mut report, Some(e.seq), "sequence", format!("expected entry {}, found {}", seq + 1, e.seq));
                }
                seq = e.seq;
                report.first_seq.get_or_insert(e.seq);
                report.last_seq = Some(e.seq);
                if entry_hash(&prev, e) != e.hash {
                    fail(&mut report, Some(e.seq), "entry-hash", "the entry does not match its hash".into());
                }
                prev = e.hash.clone();
            }
            report.last_hash = prev;
        }
        Ok(report)
    }

    /// Entries after `after` (a sequence number), oldest first, up to `limit` (1–1000),
    /// and the sequence to continue from.
    pub fn audit_entries(
        &mut self,
        actor: &Actor,
        after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<AuditEntry>, Option<u64>)> {
        authorize(actor, Operation::ReadAudit)?;
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("limit", "range-1-1000", "a page holds 1 to 1000 entries"));
        }
        let after = after.unwrap_or(0);
        let mut out = Vec::new();
        let mut more = false;
        for n in self.first_segment()?.. {
            let Some(seg) = self.get_doc::<AuditSegment>(Bucket::Data, &segment_key(n))? else { break };
            if seg.entries.last().is_none_or(|e| e.seq <= after) {
                continue;
            }
            for e in seg.entries.into_iter().filter(|e| e.seq > after) {
                if out.len() == limit as usize {
                    more = true;
                    break;
                }
                out.push(e);
            }
            if more {
                break;
            }
        }
        let next = if more { out.last().map(|e| e.seq) } else { None };
        Ok((out, next))
    }

    /// Remove whole segments whose last entry is older than the policy's retention; the
    /// open segment is never removed. Returns how many entries went.
    pub fn prune_audit(&mut self, actor: &Actor) -> Result<u64> {
        authorize(actor, Operation::PruneAudit)?;
        // A policy stored when fewer days were accepted still keeps the least CNIL
        // délibération 2021-122 asks (6 months); one that asked for more keeps its value
        // until the policy is set again, within the range.
        let settings = self.current_policy()?.settings;
        let days = settings.audit_retention_days.max(crate::kernel::policy::MIN_AUDIT_RETENTION_DAYS);
        // An entry is kept to the end of its period's last day in the shop's zone (Reg.
        // 1182/71 art. 3): the period of an entry written on day D ends at 24:00 on D + days,
        // so whatever was written on or after the date `days` days before today stays.
        let zone = settings.zone();
        let first_kept = time::date_in(self.now, zone) - chrono::Days::new(u64::from(days));
        let cutoff = time::end_of_day(first_kept - chrono::Days::new(1), zone)
            .unwrap_or(self.now - chrono::Duration::days(i64::from(days)));
        let segments = self.segments()?;
        let Some((_, closed)) = segments.split_last() else { return Ok(0) };
        let mut last: Option<(u64, u64, String)> = None;
        let mut count = 0u64;
        for &n in closed {
            let Some(seg) = self.get_doc::<AuditSegment>(Bucket::Data, &segment_key(n))? else { break };
            let Some(end) = seg.entries.last() else { break };
            if end.at.instant() > cutoff {
                break;
            }
            count += seg.entries.len() as u64;
            last = Some((n, end.seq, end.hash.clone()));
        }
        if let Some((segment, seq, hash)) = last {
            let checkpoint =
                AuditCheckpoint { segment, seq, hash, at: Stamp::from_instant(self.now), by: actor.clone() };
            self.update::<AuditCheckpoint, ()>(
                Bucket::Data,
                CHECKPOINT_KEY,
                |_, current| match current {
                    Some(c) if c.segment >= checkpoint.segment => Ok(None),
                    _ => Ok(Some((checkpoint.clone(), ()))),
                },
                || (),
            )?;
        }
        // Delete what the checkpoint covers, oldest first, including what an interrupted
        // prune left: the segments still stored below it are a contiguous run ending at it.
        let through = self.audit_checkpoint()?.map_or(0, |c| c.segment);
        let mut low = through + 1;
        while low > 1 && self.get_raw(Bucket::Data, &segment_key(low - 1))?.is_some() {
            low -= 1;
        }
        for n in low..=through {
            self.store.delete(Bucket::Data, &segment_key(n)).map_err(|e| storage_error(Bucket::Data, e))?;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::crypto::{MasterKey, SeededEntropy};
    use crate::kernel::store::{MemoryStore, decode, encode};
    use crate::kernel::time;
    use crate::kernel::types::Role;
    fn dpo() -> Actor {
        Actor { id: "claire".into(), role: Role::Dpo }
    }

    fn drafts(from: usize, n: usize) -> Vec<AuditDraft> {
        (from..from + n)
            .map(|i| AuditDraft { action: "test.write".into(), target: format!("s-{i}"), detail: format!("n={i}") })
            .collect()
    }

    struct World {
        store: MemoryStore,
        master: MasterKey,
        entropy: SeededEntropy,
    }

    impl World {
        fn f(&mut self, now: &str) -> Fichier<'_, MemoryStore> {
            let now = time::parse("now", now).expect("now");
            Fichier::new(&self.store, &self.master, now, &mut self.entropy)
        }
        fn segment(&self, n: u64) -> AuditSegment {
            let bytes = self.store.get(Bucket::Data, &segment_key(n)).expect("get").expect("stored");
            decode("k", &bytes).expect("segment")
        }
    }

    fn world() -> World {
        World { store: MemoryStore::new(), master: MasterKey::from_bytes([1; 32]), entropy: SeededEntropy::new(1) }
    }

    /// A segment stored at schema 1 (entries without `call`, written by earlier versions)
    /// still reads, verifies with the hashes it was written with, and takes new entries.
    /// And two calls by one actor on one target at one instant from one chain position
    /// write different entries (the writers of one open segment never write the same
    /// bytes, so a loss to another writer is never taken for a store's silent commit).
    #[test]
    fn schema_1_segments_still_verify_and_identical_calls_write_different_entries() {
        #[derive(Serialize)]
        struct EntryV1 {
            seq: u64,
            at: Stamp,
            actor: Actor,
            action: String,
            target: String,
            detail: String,
            hash: String,
        }
        let mut w = world();
        let at = Stamp::from_instant(time::parse("now", "2026-01-01T00:00:00Z").expect("now"));
        let mut prev = GENESIS.to_string();
        let mut entries = Vec::new();
        for seq in 1..=2 {
            let mut e = AuditEntry {
                seq,
                at,
                actor: dpo(),
                action: "test.write".into(),
                target: "s-1".into(),
                detail: String::new(),
                hash: String::new(),
                call: 0,
            };
            e.hash = entry_hash(&prev, &e);
            // Schema 1's formula, as it was written: no `call` part.
            let v1 = hex::encode(sha256_parts(&[
                b"fichier/audit/v1",
                prev.as_bytes(),
                &seq.to_be_bytes(),
                at.to_string().as_bytes(),
                b"claire",
                b"dpo",
                b"test.write",
                b"s-1",
                b"",
            ]));
            assert_eq!(e.hash, v1);
            prev = e.hash.clone();
            entries.push(EntryV1 {
                seq,
                at,
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
                hash: e.hash,
            });
        }
        let mut bytes = vec![crate::kernel::store::BINARY_DOCUMENT];
        bytes = postcard::to_extend(&("audit-segment", 1u32), bytes).expect("head");
        bytes = postcard::to_extend(&(1u64, GENESIS.to_string(), entries), bytes).expect("body");
        w.store.raw_set(Bucket::Data, &segment_key(1), bytes);
        assert_eq!(w.segment(1).entries.iter().map(|e| e.call).collect::<Vec<_>>(), vec![0, 0]);
        let r = w.f("2026-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(r.ok && r.entries == 2 && r.last_hash == prev, "{r:?}");
        // Two identical calls: same actor, action, target, detail and instant.
        let same = || vec![AuditDraft { action: "test.write".into(), target: "s-1".into(), detail: String::new() }];
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), same()).expect("append");
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), same()).expect("append");
        let seg = w.segment(1);
        let (third, fourth) = (&seg.entries[2], &seg.entries[3]);
        assert!(third.call != 0 && fourth.call != 0 && third.call != fourth.call);
        let r = w.f("2026-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(r.ok && r.entries == 4, "{r:?}");
        // The call is covered by the hash: changing it breaks the chain.
        let mut seg = w.segment(1);
        seg.entries[3].call ^= 1;
        w.store.raw_set(Bucket::Data, &segment_key(1), encode(&seg));
        let r = w.f("2026-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(!r.ok && r.failures.iter().any(|f| f.rule == "entry-hash"), "{r:?}");
        // A schema this version does not know, or a damaged schema-1 body: named, no panic.
        let mut bytes = vec![crate::kernel::store::BINARY_DOCUMENT];
        bytes = postcard::to_extend(&("audit-segment", 1u32), bytes).expect("head");
        bytes.extend_from_slice(&[1, 0, 5]);
        assert!(decode::<AuditSegment>("k", &bytes).is_err());
    }

    #[test]
    fn appends_chain_across_segments_and_verify() {
        let mut w = world();
        let total = SEGMENT_ENTRIES * 2 + 5;
        // Batches that straddle segment ends.
        let mut done = 0;
        for size in [1, 70, 60, 30, 44].into_iter().cycle() {
            let n = size.min(total - done);
            w.f("2026-01-01T00:00:00Z").audit(&dpo(), drafts(done, n)).expect("append");
            done += n;
            if done == total {
                break;
            }
        }
        let r = w.f("2026-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(r.ok, "{r:?}");
        assert_eq!((r.segments, r.entries, r.first_seq, r.last_seq), (3, total as u64, Some(1), Some(total as u64)));
        assert_eq!(w.segment(2).prev, w.segment(1).entries.last().expect("full").hash);
        // Pages of entries, in order, with the cursor to go on.
        let edge = SEGMENT_ENTRIES as u64 - 4;
        let (page, next) = w.f("2026-01-01T00:00:00Z").audit_entries(&dpo(), Some(edge), 10).expect("page");
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), (edge + 1..=edge + 10).collect::<Vec<_>>());
        assert_eq!(next, Some(edge + 10));
        let (tail, next) = w.f("2026-01-01T00:00:00Z").audit_entries(&dpo(), Some(total as u64 - 2), 10).expect("tail");
        assert_eq!((tail.len(), next), (2, None));
        // Support may not read the log; a page is 1–1000.
        let support = Actor { id: "sam".into(), role: Role::Support };
        assert!(matches!(w.f("2026-01-01T00:00:00Z").verify_audit(&support), Err(Error::Forbidden(_))));
        assert!(matches!(
            w.f("2026-01-01T00:00:00Z").audit_entries(&dpo(), None, 0),
            Err(Error::InvalidInput(e)) if e.field == "limit"
        ));
    }

    #[test]
    fn an_edited_entry_or_a_removed_segment_is_found() {
        let mut w = world();
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), drafts(0, SEGMENT_ENTRIES * 3)).expect("append");
        let mut seg = w.segment(2);
        seg.entries[5].detail = "n=tampered".into();
        w.store.raw_set(Bucket::Data, &segment_key(2), encode(&seg));
        let r = w.f("2026-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(!r.ok);
        assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
        assert_eq!((r.failures[0].seq, r.failures[0].rule.as_str()), (Some(SEGMENT_ENTRIES as u64 + 6), "entry-hash"));
        // A whole segment taken out: the next one no longer links, and the sequence jumps.
        let mut w = world();
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), drafts(0, SEGMENT_ENTRIES * 3)).expect("append");
        let third = w.segment(3);
        w.store.raw_set(Bucket::Data, &segment_key(2), encode(&third));
        w.store.delete(Bucket::Data, &segment_key(3)).expect("delete");
        let r = w.f("2026-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        let rules: Vec<&str> = r.failures.iter().map(|f| f.rule.as_str()).collect();
        assert!(rules.contains(&"segment-number") && rules.contains(&"segment-linked") && rules.contains(&"sequence"));
    }

    #[test]
    fn pruning_removes_old_segments_and_the_rest_still_verifies() {
        let mut w = world();
        w.f("2025-01-10T00:00:00Z").audit(&dpo(), drafts(0, SEGMENT_ENTRIES)).expect("old");
        w.f("2025-06-10T00:00:00Z").audit(&dpo(), drafts(0, SEGMENT_ENTRIES)).expect("recent");
        w.f("2026-01-05T00:00:00Z").audit(&dpo(), drafts(0, 10)).expect("open");
        // 365 days by default: on 1 February 2026 only the first segment is past it.
        assert_eq!(w.f("2026-02-01T00:00:00Z").prune_audit(&dpo()).expect("prune"), SEGMENT_ENTRIES as u64);
        assert!(w.store.get(Bucket::Data, &segment_key(1)).expect("get").is_none());
        let r = w.f("2026-02-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(r.ok, "{r:?}");
        assert_eq!(
            (r.pruned_through, r.first_seq, r.segments),
            (Some(SEGMENT_ENTRIES as u64), Some(SEGMENT_ENTRIES as u64 + 1), 2)
        );
        // Pruning again the same day finds nothing more; appends go on from the chain.
        assert_eq!(w.f("2026-02-01T00:00:00Z").prune_audit(&dpo()).expect("again"), 0);
        w.f("2026-02-01T00:00:00Z").audit(&dpo(), drafts(0, 3)).expect("append");
        assert!(w.f("2026-02-01T00:00:00Z").verify_audit(&dpo()).expect("verify").ok);
        // The open segment is never pruned, however old.
        assert_eq!(w.f("2040-01-01T00:00:00Z").prune_audit(&dpo()).expect("late"), SEGMENT_ENTRIES as u64);
        let r = w.f("2040-01-01T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(r.ok && r.segments == 1 && r.entries == 13, "{r:?}");
    }

    /// A policy stored when fewer days were accepted still keeps six months of log.
    #[test]
    fn a_stored_retention_under_six_months_prunes_at_six_months() {
        let mut w = world();
        let mut policy = crate::kernel::policy::default_policy();
        policy.settings.audit_retention_days = 30;
        let doc = crate::kernel::policy::PolicyDoc { versions: vec![policy] };
        w.store.raw_set(Bucket::Data, crate::kernel::policy::POLICY_KEY, encode(&doc));
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), drafts(0, SEGMENT_ENTRIES)).expect("append");
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), drafts(0, 1)).expect("open");
        // 100 days on: past the stored 30, within the 180 kept.
        assert_eq!(w.f("2026-04-11T00:00:00Z").prune_audit(&dpo()).expect("prune"), 0);
        // Kept to the end of the period's last day in Paris (Reg. 1182/71 art. 3): 1 January
        // + 180 days is 30 June, which ends at 21:59:59.999 UTC in summer.
        assert_eq!(w.f("2026-06-30T21:59:59.999Z").prune_audit(&dpo()).expect("prune"), 0);
        assert_eq!(w.f("2026-06-30T22:00:00Z").prune_audit(&dpo()).expect("prune"), SEGMENT_ENTRIES as u64);
    }

    #[test]
    fn an_interrupted_prune_is_finished_by_the_next_and_never_reads_as_tampering() {
        let mut w = world();
        for day in ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"] {
            w.f(day).audit(&dpo(), drafts(0, SEGMENT_ENTRIES)).expect("append");
        }
        w.f("2026-01-01T00:00:00Z").audit(&dpo(), drafts(0, 1)).expect("open");
        // A prune that wrote its checkpoint (through segment 3) and deleted only segment 1.
        let last = w.segment(3).entries.last().expect("full").clone();
        let checkpoint = AuditCheckpoint { segment: 3, seq: last.seq, hash: last.hash, at: last.at, by: dpo() };
        w.store.raw_set(Bucket::Data, CHECKPOINT_KEY, encode(&checkpoint));
        w.store.delete(Bucket::Data, &segment_key(1)).expect("delete");
        let r = w.f("2026-01-02T00:00:00Z").verify_audit(&dpo()).expect("verify");
        assert!(r.ok && r.segments == 1 && r.first_seq == Some(3 * SEGMENT_ENTRIES as u64 + 1), "{r:?}");
        w.f("2026-01-02T00:00:00Z").prune_audit(&dpo()).expect("prune");
        for n in 1..=3 {
            assert!(w.store.get(Bucket::Data, &segment_key(n)).expect("get").is_none(), "segment {n}");
        }
        assert!(w.f("2026-01-02T00:00:00Z").verify_audit(&dpo()).expect("verify").ok);
    }
}
