//! Keys: the master key's check value, each subject's data key (created on first write,
//! wrapped by the master key in the `keys` bucket, replaced by an erasure), and the
//! opaque subject ids that keyed look-up hashes give (no e-mail is stored in clear).
//!
//! Stored in the keys bucket: `check` — [`KeyCheck`]; `dek/<sid>`, `dek-next/<sid>` (the
//! key an erasure stages) and `hold/<sid>` (what an erasure keeps under a legal hold) —
//! [`WrappedKey`].
//!
//! A master-key rotation (`maintenance::rotation`) changes what wraps the keys, never
//! the keys themselves: while it runs, the key check names the next master key and each
//! wrapped key gains a second wrapping under it; once every key has one, the key check
//! switches to the next key in one compare-and-swap (the commit point), and the first
//! wrappings are dropped. The keyed hashes (subject ids, the opposition list, unsubscribe
//! tokens) keep the store's first master key's secrets, kept sealed in the key check.

use super::encoding::{base32, base64, from_base64};
use serde::{Deserialize, Serialize};

use super::context::{Fichier, place};
use super::crypto::{DataKey, KeyRing, MasterKey};
use super::error::{Error, Result};
use super::store::{Bucket, Store};
use super::types::SubjectRef;
use super::validate;

/// The master key's check value: a store opened with another master key is refused.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyCheck {
    /// Hex of the current master key's check value.
    pub value: String,
    /// Once the master key was rotated: the first master key's keyed-hash secrets, sealed
    /// under the current one (base64). Absent: derived from the current master key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<String>,
    /// A rotation under way (before its commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<PendingRotation>,
    /// After a rotation's commit, until every key lost its first wrapping: the check value
    /// of the master key it replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retiring: Option<String>,
}

/// A master-key rotation begun and not committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRotation {
    /// Hex of the next master key's check value.
    pub to: String,
    /// The next master key's wrap key, sealed under the current one (base64): every
    /// process still on the current key wraps the keys it creates under both.
    pub next_wrap: String,
    /// The keyed-hash secrets, sealed under the next master key's wrap key (base64): what
    /// `hashes` becomes at the commit.
    pub next_hashes: String,
}

impl crate::kernel::store::Document for KeyCheck {
    const KIND: &'static str = "key-check";
    /// 2: `hashes`, `rotation` and `retiring` (a version that knew only schema 1 would
    /// derive other subject ids from a rotated store's key; it refuses it instead).
    const SCHEMA: u32 = 2;

    fn migrate(from: u32, body: serde_json::Value) -> std::result::Result<serde_json::Value, String> {
        match from {
            1 => Ok(body),
            _ => Err(format!("no migration from schema {from}")),
        }
    }
}

impl KeyCheck {
    pub(crate) fn new(value: String) -> Self {
        Self { value, hashes: None, rotation: None, retiring: None }
    }
}

/// A data key, wrapped (sealed) by the master key, base64.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WrappedKey {
    pub wrapped: String,
    /// During a master-key rotation: the same key wrapped under the next master key.
    #[serde(default)]
    pub next: Option<String>,
}

impl crate::kernel::store::Document for WrappedKey {
    const KIND: &'static str = "wrapped-key";
    /// 2: `next`.
    const SCHEMA: u32 = 2;
    const BINARY: bool = true;

    fn migrate(from: u32, body: serde_json::Value) -> std::result::Result<serde_json::Value, String> {
        match from {
            1 => Ok(body),
            _ => Err(format!("no migration from schema {from}")),
        }
    }

    fn migrate_binary(from: u32, body: &[u8]) -> std::result::Result<Self, String> {
        /// Schema 1: no `next`.
        #[derive(Deserialize)]
        struct WrappedV1 {
            wrapped: String,
        }
        match (from, postcard::take_from_bytes::<WrappedV1>(body)) {
            (1, Ok((v1, []))) => Ok(WrappedKey { wrapped: v1.wrapped, next: None }),
            (1, Ok(_)) => Err("trailing bytes after a schema-1 wrapped key".into()),
            (1, Err(e)) => Err(e.to_string()),
            _ => Err(format!("no migration of binary schema {from}")),
        }
    }
}

/// A change of a wrapped key ([`Fichier::swap_wrapped`]): the call, what is stored; what
/// to write.
pub(crate) type WrappedChange<'c, F> = dyn FnMut(&mut F, Option<WrappedKey>) -> Result<Option<WrappedKey>> + 'c;

/// The key of [`KeyCheck`] in the keys bucket.
pub const KEY_CHECK_KEY: &str = "check";

/// The key of a subject's wrapped data key in the keys bucket.
pub fn dek_key(sid: &str) -> String {
    format!("dek/{sid}")
}

impl<S: Store> Fichier<'_, S> {
    // ---- keys ----

    /// The key ring of this call: the master key's, with the store's keyed-hash secrets
    /// and, during a rotation, the next master key's wrap key. Reads the key check once a
    /// call; a store whose key check names another master key is refused.
    pub(crate) fn keys(&self) -> Result<&KeyRing> {
        if let Some(k) = self.keys.get() {
            return Ok(k);
        }
        let ring = ring_for(&self.master, self.stored_check()?.as_ref())?;
        Ok(self.keys.get_or_init(|| ring))
    }

    /// The ring of the master key alone, with no store read: for keyed hashes that need
    /// not outlive a rotation (rate-limit counters, a minute long).
    pub(crate) fn master_ring(&self) -> KeyRing {
        KeyRing::new(&self.master)
    }

    /// The master key this call runs with.
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// A rotation to `next` as the key check holds it: the next wrap key sealed under this
    /// call's, and the store's keyed-hash secrets sealed under the next one.
    pub(crate) fn pending_rotation(&mut self, next: &KeyRing) -> Result<PendingRotation> {
        self.keys()?;
        let Some(ring) = self.keys.get() else { unreachable!("initialised just above") };
        Ok(PendingRotation {
            to: hex::encode(next.check_value()),
            next_wrap: base64(&next.wrap_key().sealed_under(ring.wrap_key(), self.entropy)),
            next_hashes: base64(&next.wrap_key().seal_hashes(ring.hashes(), self.entropy)),
        })
    }

    /// The stored key check (read ahead: this call's later reads of it cost nothing).
    pub(crate) fn stored_check(&self) -> Result<Option<KeyCheck>> {
        self.read_ahead(Bucket::Keys, &[KEY_CHECK_KEY])?;
        self.get_doc(Bucket::Keys, KEY_CHECK_KEY)
    }

    /// The key check changed under this call (a rotation step): the ring is read again.
    pub(crate) fn forget_keys(&mut self) {
        self.keys = std::cell::OnceCell::new();
    }

    /// Check the master key against the store's key-check value; on a store that has
    /// none yet, create it when `create` (a write is about to seal something).
    pub(crate) fn check_master_key(&mut self, create: bool) -> Result<()> {
        if self.stored_check()?.is_some() {
            return self.keys().map(drop);
        }
        if !create {
            return Ok(());
        }
        let master = self.master.clone();
        let value = hex::encode(KeyRing::new(&master).check_value());
        self.swap_check(&mut |current| match current {
            Some(check) => ring_for(&master, Some(&check)).map(|_| None),
            None => Ok(Some(KeyCheck::new(value.clone()))),
        })
    }

    /// One compare-and-swap of the key check (retried from fresh reads); the call's key
    /// ring is read again after it. Every change of the key check goes through here (one
    /// copy of the swap loop for it in the component).
    pub(crate) fn swap_check(
        &mut self,
        change: &mut dyn FnMut(Option<KeyCheck>) -> Result<Option<KeyCheck>>,
    ) -> Result<()> {
        self.update::<KeyCheck, ()>(Bucket::Keys, KEY_CHECK_KEY, |_, c| Ok(change(c)?.map(|k| (k, ()))), || ())?;
        self.forget_keys();
        Ok(())
    }

    /// One compare-and-swap of the wrapped key at `key`: whether it wrote. Every change of
    /// a wrapped key but an erasure's installing copy goes through here.
    pub(crate) fn swap_wrapped(&mut self, key: &str, change: &mut WrappedChange<'_, Self>) -> Result<bool> {
        self.update::<WrappedKey, bool>(Bucket::Keys, key, |this, c| Ok(change(this, c)?.map(|w| (w, true))), || false)
    }

    /// The subject's data key, created (and wrapped into the `keys` bucket) if `create`.
    pub(crate) fn data_key(&mut self, sid: &str, create: bool) -> Result<Option<DataKey>> {
        self.named_key(&dek_key(sid), sid, create)
    }

    /// A key stored wrapped at `key` in the `keys` bucket, bound to `owner` (a subject id
    /// for data keys; `<sid>/hold` for an erasure's held data), created if `create`.
    pub(crate) fn named_key(&mut self, key: &str, owner: &str, create: bool) -> Result<Option<DataKey>> {
        if let Some(w) = self.get_doc::<WrappedKey>(Bucket::Keys, key)? {
            return self.unwrap_key(owner, key, &w).map(Some);
        }
        if !create {
            return Ok(None);
        }
        self.create_named_key(key, owner).map(Some)
    }

    /// Create the subject's data key, or take the one a concurrent first writer created
    /// (insert-if-absent). For callers that have just seen it absent.
    pub(crate) fn create_data_key(&mut self, sid: &str) -> Result<DataKey> {
        self.create_named_key(&dek_key(sid), sid)
    }

    fn create_named_key(&mut self, key: &str, owner: &str) -> Result<DataKey> {
        let fresh = DataKey::generate(self.entropy);
        self.keys()?;
        let Some(keys) = self.keys.get() else { unreachable!("initialised just above") };
        // During a rotation, wrapped under the next master key too.
        let wrapped = WrappedKey {
            wrapped: base64(&keys.wrap(owner, &fresh, self.entropy)),
            next: keys.wrap_next(owner, &fresh, self.entropy).map(|n| base64(&n)),
        };
        // Insert-if-absent: two first writers agree on one key.
        let won = self.swap_wrapped(key, &mut |_, current| Ok(current.is_none().then(|| wrapped.clone())))?;
        if won {
            return Ok(fresh);
        }
        match self.get_doc::<WrappedKey>(Bucket::Keys, key)? {
            Some(w) => self.unwrap_key(owner, key, &w),
            None => Err(Error::conflict(place(Bucket::Keys, key), "compare-and-swap", "the data key vanished")),
        }
    }

    /// The data key of a subject that has stored data: its absence is corruption.
    pub(crate) fn existing_data_key(&mut self, sid: &str) -> Result<DataKey> {
        self.data_key(sid, false)?.ok_or_else(|| missing_key(sid))
    }

    /// Unwrap a stored data key (read by the caller, e.g. in a batch).
    pub(crate) fn open_data_key(&self, sid: &str, w: &WrappedKey) -> Result<DataKey> {
        self.unwrap_key(sid, &dek_key(sid), w)
    }

    /// Unwrap a stored key: its wrapping under this call's master key, or — after a
    /// rotation's commit and before its clean-up reached the key — its second wrapping.
    pub(crate) fn unwrap_key(&self, owner: &str, key: &str, w: &WrappedKey) -> Result<DataKey> {
        let keys = self.keys()?;
        let open = |b64: &str| {
            from_base64(b64)
                .ok_or_else(|| Error::corrupted(place(Bucket::Keys, key), "decodes", "the wrapped key is not base64"))
                .map(|bytes| keys.unwrap(owner, &bytes))
        };
        if let Some(dek) = open(&w.wrapped)? {
            return Ok(dek);
        }
        if let Some(next) = &w.next
            && let Some(dek) = open(next)?
        {
            return Ok(dek);
        }
        Err(Error::corrupted(place(Bucket::Keys, key), "aead-authentic", "the subject's data key does not unwrap"))
    }

    /// The opaque subject id a reference designates (the input checked first). Its first
    /// use in a call reads the key check (a rotated store keeps its first key's hashes)
    /// together with the data key of the subject it most likely is — the one the master
    /// key's own hashes give, right unless the store was rotated — in one round trip: most
    /// calls read that key next.
    pub fn subject_id(&self, field: &str, r: &SubjectRef) -> Result<String> {
        let (domain, value) = match r {
            SubjectRef::Email(e) => {
                ("email", validate::email("email", e).map_err(|er| er.at(format!("{field}.email")))?)
            }
            SubjectRef::External(x) => {
                validate::printable(&format!("{field}.external"), x, 128)?;
                ("external", x.clone())
            }
            SubjectRef::Subject(s) => {
                check_subject_id(&format!("{field}.subject"), s)?;
                return Ok(s.clone());
            }
        };
        let sid = |hash: [u8; 16]| format!("s-{}", base32(&hash));
        if self.keys.get().is_none() {
            let likely = sid(self.master_ring().lookup_hash(domain, &value));
            self.read_ahead(Bucket::Keys, &[KEY_CHECK_KEY, &dek_key(&likely)])?;
        }
        Ok(sid(self.keys()?.lookup_hash(domain, &value)))
    }
}

/// The ring of `master` over a store whose key check is `check` (none yet: the master
/// key's own). A key check naming another master key is refused.
pub(crate) fn ring_for(master: &MasterKey, check: Option<&KeyCheck>) -> Result<KeyRing> {
    let ring = KeyRing::new(master);
    let Some(check) = check else { return Ok(ring) };
    compare_check(&ring, &check.value)?;
    let damaged = |what: &str| {
        Error::corrupted(
            place(Bucket::Keys, KEY_CHECK_KEY),
            "aead-authentic",
            format!("the key check's {what} do not open"),
        )
    };
    let sealed = |b64: &str, what: &str| from_base64(b64).ok_or_else(|| damaged(what));
    let ring = match &check.hashes {
        None => ring,
        Some(h) => {
            let hashes =
                ring.wrap_key().open_hashes(&sealed(h, "hash secrets")?).ok_or_else(|| damaged("hash secrets"))?;
            ring.with_hashes(hashes)
        }
    };
    match &check.rotation {
        None => Ok(ring),
        Some(r) => {
            let next = ring
                .wrap_key()
                .open_wrap_key(&sealed(&r.next_wrap, "next wrap key")?)
                .ok_or_else(|| damaged("next wrap key"))?;
            Ok(ring.with_next(next))
        }
    }
}

/// Compare a ring's check value with a stored one (hex).
pub(crate) fn compare_check(ring: &KeyRing, stored: &str) -> Result<()> {
    let bytes = match hex::decode(stored) {
        Ok(b) if b.len() == 32 => b,
        _ => {
            return Err(Error::corrupted(
                place(Bucket::Keys, KEY_CHECK_KEY),
                "decodes",
                "the stored key-check value is damaged",
            ));
        }
    };
    if ring.check_matches(&bytes) {
        Ok(())
    } else {
        Err(Error::config(
            "config:master_key",
            "matches-store",
            "the master key is not the one this store was created with",
        ))
    }
}

/// The error for a subject whose data key is not in the keys bucket.
pub(crate) fn missing_key(sid: &str) -> Error {
    Error::corrupted(place(Bucket::Keys, &dek_key(sid)), "key-present", "the subject's data key is missing")
}

/// `s-` and 26 characters of lower-case base32.
pub fn check_subject_id(field: &str, s: &str) -> Result<()> {
    let ok = s.len() == 28
        && s.starts_with("s-")
        && s[2..].chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "subject-id-syntax", "a subject id is s- followed by 26 characters of base32"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::store::{BINARY_DOCUMENT, decode, encode};
    #[test]
    fn a_wrapped_key_is_written_binary_and_its_json_form_still_read() {
        let w = WrappedKey { wrapped: "AAECAw==".into(), next: None };
        let bytes = encode(&w);
        assert_eq!(bytes[0], BINARY_DOCUMENT);
        assert_eq!(decode::<WrappedKey>("k", &bytes).map(|d| d.wrapped), Ok(w.wrapped.clone()));
        // As every version before this one wrote it.
        let json = br#"{"kind":"wrapped-key","schema":1,"body":{"wrapped":"AAECAw=="}}"#;
        assert_eq!(decode::<WrappedKey>("k", json).map(|d| d.wrapped), Ok(w.wrapped));
    }
}
