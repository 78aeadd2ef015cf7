//! `rotate-master-key`: every wrapped key re-wrapped under a new master key, in steps a
//! host drives, each bounded (one page of the keys bucket) and each safe to repeat, so a
//! rotation killed at any point resumes and the store always opens with the old master
//! key or the new one, never neither (GDPR Art. 32(1): keys kept under the controller's
//! control over the years; a suspected leak of the key answered by replacing it).
//!
//! 1. `begin` (old key, next key configured): the key check names the next key, holds its
//!    wrap key sealed under the current one — so every process still on the old key wraps
//!    the keys it creates under both — and the keyed-hash secrets sealed under the next key.
//! 2. The host waits for the calls that began before (they wrap under the old key only),
//!    then `rewrap` pages through the keys bucket: each key gains its wrapping under the
//!    next key (a compare-and-swap; a key that has one that opens is left alone).
//! 3. `commit` (old key): refused unless every wrapped key has a second wrapping that opens
//!    under the next key (checked, not assumed); then one compare-and-swap of the key check
//!    makes the next key the store's. From here the old key is refused.
//! 4. The host waits again; `clean` (new key) pages through the keys: each first wrapping
//!    replaced by the second one. `finish` checks none is left and closes the rotation.
//!
//! What does not change: subject ids, the opposition list and unsubscribe tokens are keyed
//! hashes whose secrets come from the store's first master key; they are kept, sealed under
//! the current one (`docs/key-rotation.md` says why and what it means).

use serde::{Deserialize, Serialize};

use crate::kernel::authz::{Operation, authorize};
use crate::kernel::context::Fichier;
use crate::kernel::crypto::{KeyRing, MasterKey, WrapKey};
use crate::kernel::error::{Error, Result};
use crate::kernel::keys::{KEY_CHECK_KEY, KeyCheck, WrappedKey, compare_check, ring_for};
use crate::kernel::store::{Bucket, Store, storage_error};
use crate::kernel::types::Actor;
use crate::kernel::validate;
use crate::rights::erasure::hold_owner;

/// One step of a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotationStep {
    /// Where the store stands; changes nothing.
    Status,
    /// Name the next master key in the key check (repeatable).
    Begin,
    /// Give the keys of one page their wrapping under the next key (`None`: the first page).
    Rewrap(Option<String>),
    /// Check every key has that wrapping, then make the next key the store's.
    Commit,
    /// Replace the first wrapping of the keys of one page (with the new key).
    Clean(Option<String>),
    /// Check no key keeps its first wrapping, then close the rotation.
    Finish,
}

/// Where a store stands in a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RotationPhase {
    /// No rotation under way.
    Steady,
    /// Begun: keys gain their wrapping under the next key; the old key is the store's.
    Rewrapping,
    /// Committed: the new key is the store's; keys lose their first wrapping.
    Cleaning,
}

/// What a step did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RotationProgress {
    /// Where the store stands after the step.
    pub phase: RotationPhase,
    /// Wrapped keys the step looked at.
    pub keys: u64,
    /// Wrapped keys it wrote.
    pub rewritten: u64,
    /// For `rewrap` and `clean`: the next page's cursor (`None`: that was the last page).
    pub cursor: Option<String>,
}

/// The owner a wrapped key is bound to, from its key in the keys bucket (`None`: not a
/// wrapped key).
fn wrapped_owner(key: &str) -> Option<String> {
    if let Some(sid) = key.strip_prefix("dek/").or_else(|| key.strip_prefix("dek-next/")) {
        return Some(sid.to_string());
    }
    key.strip_prefix("hold/").map(hold_owner)
}

fn decode_b64(key: &str, b64: &str) -> Result<Vec<u8>> {
    crate::kernel::encoding::from_base64(b64).ok_or_else(|| {
        Error::corrupted(crate::kernel::context::place(Bucket::Keys, key), "decodes", "the wrapped key is not base64")
    })
}

/// A look at a wrapped key ([`Fichier::every_wrapped`]): its key, its owner, its value.
pub(crate) type WrappedCheck<'c> = dyn FnMut(&str, &str, Result<WrappedKey>) -> Result<()> + 'c;

/// A page of wrapped keys (key, owner) and the next page's cursor.
type WrappedPage = (Vec<(String, String)>, Option<String>);

fn no_rotation(rule: &str, message: &str) -> Error {
    Error::conflict(crate::kernel::context::place(Bucket::Keys, KEY_CHECK_KEY), rule, message)
}

impl<S: Store> Fichier<'_, S> {
    /// One step of a master-key rotation. `next`: the new master key (`begin`, `rewrap`,
    /// `commit`; the host reads it from its configuration). Audited
    /// (`maintenance.rotate-master-key`) for the steps that write.
    pub fn rotate_master_key(
        &mut self,
        actor: &Actor,
        step: &RotationStep,
        next: Option<&MasterKey>,
    ) -> Result<RotationProgress> {
        authorize(actor, Operation::RotateMasterKey)?;
        if let RotationStep::Rewrap(Some(c)) | RotationStep::Clean(Some(c)) = step {
            validate::printable("cursor", c, 1024)?;
        }
        let check = self.stored_check()?;
        // The master key this call runs with must be the store's.
        self.keys()?;
        let needs_next = matches!(step, RotationStep::Begin | RotationStep::Rewrap(_) | RotationStep::Commit);
        let next = match (needs_next, next) {
            (false, _) => None,
            (true, Some(n)) => Some(KeyRing::new(n)),
            (true, None) => {
                return Err(Error::config(
                    "config:new_master_key",
                    "present",
                    "no new master key is configured (wasi:config key new_master_key; FICHIER_NEW_MASTER_KEY or --new-key-file for the fichier host)",
                ));
            }
        };
        let phase = |c: &Option<KeyCheck>| match c {
            Some(c) if c.rotation.is_some() => RotationPhase::Rewrapping,
            Some(c) if c.retiring.is_some() => RotationPhase::Cleaning,
            _ => RotationPhase::Steady,
        };
        let done = |phase, keys, rewritten, cursor| Ok(RotationProgress { phase, keys, rewritten, cursor });
        match step {
            RotationStep::Status => done(phase(&check), 0, 0, None),
            RotationStep::Begin => {
                let Some(next) = next else { unreachable!("checked above") };
                self.begin_rotation(actor, check, &next)?;
                done(RotationPhase::Rewrapping, 0, 0, None)
            }
            RotationStep::Rewrap(cursor) => {
                let Some(next) = next else { unreachable!("checked above") };
                self.pending_to(&check, &next)?;
                let (keys, rewritten, cursor) = self.rewrap_page(cursor.as_deref(), next.wrap_key())?;
                done(RotationPhase::Rewrapping, keys, rewritten, cursor)
            }
            RotationStep::Commit => {
                let Some(next) = next else { unreachable!("checked above") };
                self.commit_rotation(actor, check, &next)?;
                done(RotationPhase::Cleaning, 0, 0, None)
            }
            RotationStep::Clean(cursor) => {
                if phase(&check) != RotationPhase::Cleaning {
                    return Err(no_rotation("rotation-committed", "no committed rotation is being cleaned"));
                }
                let (keys, rewritten, cursor) = self.clean_page(cursor.as_deref())?;
                done(RotationPhase::Cleaning, keys, rewritten, cursor)
            }
            RotationStep::Finish => {
                self.finish_rotation(actor, check)?;
                done(RotationPhase::Steady, 0, 0, None)
            }
        }
    }

    fn begin_rotation(&mut self, actor: &Actor, check: Option<KeyCheck>, next: &KeyRing) -> Result<()> {
        let Some(check) = check else {
            return Err(no_rotation(
                "store-has-key",
                "this store has sealed nothing yet: start it with the new master key instead",
            ));
        };
        if check.retiring.is_some() {
            return Err(no_rotation(
                "rotation-finished",
                "the last rotation is not finished: run it to its end with the key it committed",
            ));
        }
        let to = hex::encode(next.check_value());
        if compare_check(next, &check.value).is_ok() {
            return Err(Error::config("config:new_master_key", "differs", "the new master key is the current one"));
        }
        if check.rotation.as_ref().is_some_and(|r| r.to == to) {
            return Ok(()); // begun already: resumed
        }
        let pending = self.pending_rotation(next)?;
        let master = self.master().clone();
        self.swap_check(&mut |current| {
            let Some(mut current) = current else {
                return Err(no_rotation("store-has-key", "the key check vanished"));
            };
            ring_for(&master, Some(&current))?;
            if current.retiring.is_some() {
                return Err(no_rotation("rotation-finished", "another rotation was committed meanwhile"));
            }
            current.rotation = Some(pending.clone());
            Ok(Some(current))
        })?;
        // A rotation begun towards another key is replaced: its second wrappings no
        // longer open under the next key and `rewrap` writes them again.
        self.audit_one(actor, "maintenance.rotate-master-key", String::new(), format!("step=begin to={}", &to[..16]))
    }

    /// The pending rotation of `check`, which must lead to `next`.
    fn pending_to(&self, check: &Option<KeyCheck>, next: &KeyRing) -> Result<()> {
        match check.as_ref().and_then(|c| c.rotation.as_ref()) {
            None => Err(no_rotation("rotation-begun", "no rotation is under way: begin one first")),
            Some(p) if p.to == hex::encode(next.check_value()) => Ok(()),
            Some(_) => Err(Error::config(
                "config:new_master_key",
                "matches-rotation",
                "the new master key is not the one the rotation under way began with",
            )),
        }
    }

    /// One page of the keys bucket: the wrapped keys on it and their owners.
    pub(crate) fn wrapped_page(&self, cursor: Option<&str>) -> Result<WrappedPage> {
        let (keys, next) = self.store.list_keys(Bucket::Keys, cursor).map_err(|e| storage_error(Bucket::Keys, e))?;
        let next = next.filter(|n| Some(n.as_str()) != cursor);
        Ok((keys.into_iter().filter_map(|k| wrapped_owner(&k).map(|o| (k, o))).collect(), next))
    }

    /// Every wrapped key of the store, page by page (one read of many per page): `check`
    /// sees each one's key, owner and value (or why it does not decode).
    pub(crate) fn every_wrapped(&self, check: &mut WrappedCheck<'_>) -> Result<()> {
        let mut cursor: Option<String> = None;
        loop {
            let (page, after) = self.wrapped_page(cursor.as_deref())?;
            let keys: Vec<String> = page.iter().map(|(k, _)| k.clone()).collect();
            for ((key, owner), doc) in page.iter().zip(self.get_docs(Bucket::Keys, &keys)?) {
                if let Some(doc) = doc {
                    check(key, owner, doc)?;
                }
            }
            match after {
                Some(c) => cursor = Some(c),
                None => return Ok(()),
            }
        }
    }

    /// Give each wrapped key of a page its wrapping under `next`.
    fn rewrap_page(&mut self, cursor: Option<&str>, next: &WrapKey) -> Result<(u64, u64, Option<String>)> {
        let (page, cursor) = self.wrapped_page(cursor)?;
        let (mut seen, mut written) = (0, 0);
        for (key, owner) in page {
            let wrote = self.swap_wrapped(&key, &mut |this, current| {
                let Some(mut w) = current else { return Ok(None) };
                if let Some(n) = &w.next
                    && next.unwrap(&owner, &decode_b64(&key, n)?).is_some()
                {
                    return Ok(None);
                }
                let dek = this.unwrap_key(&owner, &key, &w)?;
                w.next = Some(crate::kernel::encoding::base64(&next.wrap(&owner, &dek, this.entropy)));
                Ok(Some(w))
            })?;
            seen += 1;
            written += u64::from(wrote);
        }
        Ok((seen, written, cursor))
    }

    fn commit_rotation(&mut self, actor: &Actor, check: Option<KeyCheck>, next: &KeyRing) -> Result<()> {
        self.pending_to(&check, next)?;
        // Every key must open under the next key before the store switches to it.
        self.every_wrapped(&mut |key, owner, w| {
            let opens = match &w?.next {
                Some(n) => next.unwrap(owner, &decode_b64(key, n)?).is_some(),
                None => false,
            };
            if opens {
                return Ok(());
            }
            Err(no_rotation(
                "every-key-rewrapped",
                &format!("{key} has no wrapping under the new master key yet: run the rewrap pages again"),
            ))
        })?;
        self.audit_one(actor, "maintenance.rotate-master-key", String::new(), "step=commit".into())?;
        let master = self.master().clone();
        let to = hex::encode(next.check_value());
        self.swap_check(&mut |current| {
            let Some(current) = current else { return Err(no_rotation("rotation-begun", "the key check vanished")) };
            ring_for(&master, Some(&current))?;
            let Some(pending) = current.rotation.filter(|p| p.to == to) else {
                return Err(no_rotation("rotation-begun", "the rotation under way changed meanwhile"));
            };
            Ok(Some(KeyCheck {
                value: pending.to,
                hashes: Some(pending.next_hashes),
                rotation: None,
                retiring: Some(current.value),
            }))
        })
    }

    /// Replace the first wrapping of each key of a page by its second one.
    fn clean_page(&mut self, cursor: Option<&str>) -> Result<(u64, u64, Option<String>)> {
        let (page, cursor) = self.wrapped_page(cursor)?;
        let (mut seen, mut written) = (0, 0);
        for (key, owner) in page {
            let wrote = self.swap_wrapped(&key, &mut |this, current| {
                let Some(w) = current else { return Ok(None) };
                let Some(n) = &w.next else { return Ok(None) };
                // The second wrapping opens under the store's key now (else the key is
                // named damaged, and stays as it is).
                if this.keys()?.unwrap(&owner, &decode_b64(&key, n)?).is_none() {
                    return Err(Error::corrupted(
                        crate::kernel::context::place(Bucket::Keys, &key),
                        "aead-authentic",
                        "the key's wrapping under the new master key does not open",
                    ));
                }
                Ok(Some(WrappedKey { wrapped: n.clone(), next: None }))
            })?;
            seen += 1;
            written += u64::from(wrote);
        }
        Ok((seen, written, cursor))
    }

    fn finish_rotation(&mut self, actor: &Actor, check: Option<KeyCheck>) -> Result<()> {
        if check.as_ref().is_none_or(|c| c.retiring.is_none()) {
            return Err(no_rotation("rotation-committed", "no committed rotation is being cleaned"));
        }
        self.every_wrapped(&mut |key, _, w| match w?.next {
            None => Ok(()),
            Some(_) => Err(no_rotation(
                "every-key-cleaned",
                &format!("{key} keeps its wrapping under the old master key: run the clean pages again"),
            )),
        })?;
        let master = self.master().clone();
        self.swap_check(&mut |current| {
            let Some(mut current) = current else {
                return Err(no_rotation("rotation-committed", "the key check vanished"));
            };
            ring_for(&master, Some(&current))?;
            Ok(current.retiring.take().map(|_| current))
        })?;
        self.audit_one(actor, "maintenance.rotate-master-key", String::new(), "step=finish".into())
    }
}
